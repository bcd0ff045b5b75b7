"""Steps from the picture when the subject's motion is measured during tracking, against after it.

Why: opening a clip measures the subject's motion while it is tracked (`analysis.motion_ahead`).
Flow and everything measured before the point where the subject was found come out as
before, but pose restarts there (MediaPipe follows the body from frame to frame, so its
landmarks then differ by a pixel or so, all along). The step benches
(bench_steps_walkers.py, bench_steps_hard.py) measure on the true boxes without tracking, so
they cannot see this: here `jobs.analyze_clip` opens each walker clip both ways (the real
tracker, the real guide) and `steps_from_motion` is scored on the motion each way: F1
(+-50 ms), median |error| and median signed error (+ = late) of the strikes found within 100 ms.

Run: .venv/bin/python tests/bench/bench_motion_during_tracking.py [--seeds 1 2 3] [--scenarios ...]
     [--size 960x540] [--duration 6]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from stereosync_studio.analysis import motion as _motion  # noqa: E402
from stereosync_studio.analysis.steps_video import steps_from_motion  # noqa: E402
from stereosync_studio.jobs import analyze as _analyze  # noqa: E402
from stereosync_studio.metrics.onsets import onset_f1  # noqa: E402
from tests.hard_motion import scored  # noqa: E402
from tests.walker import cached_walker_clip  # noqa: E402

SCENARIOS = ("crossing", "approaching", "diagonal", "pausing")


def motion_of(clip: str, during: bool):
    """The subject's motion as `analyze_clip` measured it, during tracking or after it."""
    got = {}
    real = _motion.analyze_subjects

    def capture(*a, **k):
        out = real(*a, **k)
        got["m"] = out[0]
        return out

    _analyze.MEASURE_WHILE_TRACKING = during
    _motion.analyze_subjects = capture
    try:
        _analyze.analyze_clip(clip)
    finally:
        _motion.analyze_subjects = real
        _analyze.MEASURE_WHILE_TRACKING = True
    return got.get("m")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--seeds", type=int, nargs="*", default=[1, 2, 3])
    ap.add_argument("--scenarios", nargs="*", default=list(SCENARIOS))
    ap.add_argument("--size", default="960x540")
    ap.add_argument("--duration", type=float, default=6.0)
    args = ap.parse_args(argv if argv is not None else [])
    size = tuple(int(v) for v in args.size.lower().split("x"))
    cache = ROOT / "tests" / ".cache"
    for scen in args.scenarios:
        pooled = {True: [0, 0, 0, [], []], False: [0, 0, 0, [], []]}  # matched, found, true, |err|, err
        same_flow = True
        for seed in args.seeds:
            truth = cached_walker_clip(cache, scenario=scen, duration=args.duration, fps=25, size=size, seed=seed)
            ms = {}
            for during in (False, True):
                m = motion_of(str(truth.path), during)
                ms[during] = m
                if m is None:
                    continue
                found, want = scored([t for t, _ in steps_from_motion(m)], list(truth.step_times))
                f = onset_f1(found, want, 0.05)
                acc = pooled[during]
                acc[0] += f["matched"]
                acc[1] += len(found)
                acc[2] += len(want)
                fd = np.asarray(found)
                for t in want:
                    if len(fd) and np.min(np.abs(fd - t)) < 0.1:
                        e = float(fd[np.argmin(np.abs(fd - t))] - t)
                        acc[3].append(abs(e))
                        acc[4].append(e)
            if ms[True] is not None and ms[False] is not None:
                same_flow &= np.array_equal(ms[True].flow, ms[False].flow, equal_nan=True)
        for during in (False, True):
            mt, nf, nt, ae, se = pooled[during]
            r, p = mt / max(nt, 1), mt / max(nf, 1)
            f1 = 0.0 if r + p == 0 else 2 * r * p / (r + p)
            print(f"{scen:11s} {'during' if during else 'after '} tracking: F1 {f1:.3f} (R {r:.3f} P {p:.3f}, "
                  f"{nt} strikes), median |err| {np.median(ae) * 1000 if ae else float('nan'):5.1f} ms, "
                  f"signed {np.median(se) * 1000 if se else float('nan'):+5.1f} ms")
        print(f"{scen:11s} flow rows identical both ways: {same_flow}")


if __name__ == "__main__":
    main(sys.argv[1:])

"""Step timing and F1 from the picture on ordinary walkers, normal and rough clips.

Why: a change that helps hard motion (tests/bench/bench_steps_hard.py) must not make ordinary
walking worse, and a few milliseconds of lateness on every step is a regression that F1 at
+-50 ms does not show. For each scenario of tests/walker.py (crossing, approaching, diagonal,
pausing) and each seed, `steps_from_motion` runs on the true boxes; printed per scenario:
F1 (+-50 ms), the median |found - true| and the median signed error (found - true, + = late)
of the strikes found within 100 ms. `--rough` makes the clips as tests/hard_motion.py's rough
ones (384x216, the walker ~60 px tall, sensor noise, crf 32). Measured motion is cached in
tests/.cache/steps_walkers/.

Run: .venv/bin/python tests/bench/bench_steps_walkers.py [--rough] [--seeds 1 2 3] [--detail]
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from stereosync_studio.analysis.motion import SubjectMotion, analyze_subjects  # noqa: E402
from stereosync_studio.analysis.steps_video import steps_from_motion  # noqa: E402
from stereosync_studio.core.track import Track  # noqa: E402
from stereosync_studio.metrics.onsets import onset_f1  # noqa: E402
from tests.hard_motion import ROUGH_CRF, ROUGH_NOISE, ROUGH_SIZE, _rough_frames, scored  # noqa: E402
from tests.walker import WalkerScene  # noqa: E402

SCENARIOS = ("crossing", "approaching", "diagonal", "pausing")
SEEDS = (1, 2, 3)
DURATION = 5.0
CACHE = ROOT / "tests" / ".cache" / "steps_walkers"


def measured(scenario: str, seed: int, rough: bool) -> tuple[SubjectMotion, list[float]]:
    """Measured motion (cached .npz) and heel strikes of one walker clip."""
    from stereosync_studio.media.video_writer import write_video

    size = ROUGH_SIZE if rough else (640, 360)
    scene = WalkerScene(scenario, DURATION, 25, size, seed)
    tag = hashlib.sha1(f"{scenario}{seed}{DURATION}{rough}{ROUGH_NOISE}{ROUGH_CRF}".encode()).hexdigest()[:10]
    CACHE.mkdir(parents=True, exist_ok=True)
    clip, f = CACHE / f"{scenario}_{seed}_{tag}.mp4", CACHE / f"{scenario}_{seed}_{tag}.npz"
    truth = scene.truth(clip)
    if f.is_file():
        z = np.load(f)
        m = SubjectMotion(float(z["fps"]), z["times"], z["boxes"], z["flow"],
                          z["pose"] if z["pose"].ndim == 3 else None, int(z["width"]), int(z["height"]))
        return m, list(truth.step_times)
    if not clip.is_file():
        frames = _rough_frames(scene, seed) if rough else (scene.render(i) for i in range(scene.n_frames))
        write_video(clip, frames, scene.fps, crf=ROUGH_CRF if rough else 18)
    m = analyze_subjects(str(clip), [Track(truth.boxes)])[0]
    np.savez_compressed(f, fps=m.fps, times=m.times, boxes=m.boxes, flow=m.flow,
                        pose=m.pose if m.pose is not None else np.zeros(0), width=m.width, height=m.height)
    return m, list(truth.step_times)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rough", action="store_true")
    ap.add_argument("--detail", action="store_true")
    ap.add_argument("--seeds", type=int, nargs="*", default=list(SEEDS))
    ap.add_argument("--scenarios", nargs="*", default=list(SCENARIOS))
    args = ap.parse_args(argv if argv is not None else [])
    print(f"ordinary walkers, seeds {args.seeds}{', rough clips' if args.rough else ''}:")
    all_err: list[float] = []
    for scenario in args.scenarios:
        matched = n_found = n_true = 0
        err: list[float] = []
        for seed in args.seeds:
            m, all_truth = measured(scenario, seed, args.rough)
            found, truth = scored([t for t, _ in steps_from_motion(m)], all_truth)
            f = onset_f1(found, truth, 0.05)
            matched, n_found, n_true = matched + f["matched"], n_found + len(found), n_true + len(truth)
            fd = np.asarray(found)
            e = [float(fd[np.argmin(np.abs(fd - t))] - t) for t in truth if len(fd) and np.min(np.abs(fd - t)) < 0.1]
            err += e
            if args.detail:
                ms = np.round(np.array(e) * 1000).astype(int).tolist()
                print(f"    {scenario:11s} seed {seed}: F1 {f['f1']:.2f} errors ms {ms}")
        all_err += err
        r, p = matched / max(n_true, 1), matched / max(n_found, 1)
        f1 = 0.0 if r + p == 0 else 2 * r * p / (r + p)
        ea = np.asarray(err)
        print(f"  {scenario:11s} F1 {f1:.2f} (R {r:.2f} P {p:.2f})  "
              f"median |err| {np.median(np.abs(ea)) * 1000:4.1f} ms  median err {np.median(ea) * 1000:+5.1f} ms  "
              f"({len(ea)} strikes)")
    ea = np.asarray(all_err)
    print(f"  {'all':11s} median |err| {np.median(np.abs(ea)) * 1000:4.1f} ms  "
          f"median err {np.median(ea) * 1000:+5.1f} ms")


if __name__ == "__main__":
    main(sys.argv[1:])

"""From opening a clip to its first take: analysis + one take, against the clip's duration.

Goal (the issue): >= 4x real time. Uses an 8 s 1080p walker clip with a guide track (like the
demo), in a fresh process so start-up (imports, model loading) counts as a designer feels it.
`--duration 60` times a longer clip; `--profile` runs the job under cProfile and prints where
the time goes (decode, detection/tracking, steps seen in the picture, guide, render, metrics).

Run: .venv/bin/python tests/bench/bench_first_take.py [--duration 8] [--profile]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.walker import cached_walker_clip  # noqa: E402

_JOB = """
import sys, tempfile, time
profile = len(sys.argv) > 2
if profile:
    import cProfile
    prof = cProfile.Profile()
    prof.enable()
t0 = time.perf_counter()
from stereosync_studio import jobs
p = jobs.analyze_clip(sys.argv[1])
t1 = time.perf_counter()
jobs.render_takes(p, tempfile.mkdtemp(), n_takes=1, seed=1)
t2 = time.perf_counter()
if profile:
    prof.disable()
    prof.dump_stats(sys.argv[2])
print(f"{t1 - t0:.3f} {t2 - t1:.3f}")
"""

# (stage, what counts: (file part, function) whose cumulative time is the stage's; "*" = tottime of the file)
STAGES = [
    ("decode (media.video)", [("media/video.py", "*")]),
    ("detection + tracking", [("analysis/tracking.py", "track_clip")]),
    ("steps in the picture", [("analysis/steps_video.py", "measure")]),
    ("guide footsteps", [("jobs/guide.py", "footstep_guide")]),
    ("render (engine)", [("engines/sampler.py", "generate")]),
    ("metrics", [("metrics/__init__.py", "evaluate_take")]),
    ("WAV writing", [("media/audio.py", "write_wav")]),
]


def breakdown(stats_path: str) -> list[tuple[str, float]]:
    """Seconds per stage from a cProfile dump (decode: own time of media/video.py functions,
    which the tracking and steps stages also contain)."""
    import pstats

    st = pstats.Stats(stats_path).stats  # {(file, line, fn): (cc, nc, tt, ct, callers)}
    out = []
    for name, parts in STAGES:
        total = 0.0
        for file_part, fn in parts:
            for (file, _, func), (_, _, tt, ct, _) in st.items():
                if file.replace("\\\\", "/").endswith(file_part) and (fn == "*" or func == fn):
                    total += tt if fn == "*" else ct
        out.append((name, total))
    decode_c = sum(ct for (f, _, fn), (_, _, _, ct, _) in st.items()
                   if fn in ("to_ndarray", "decode") or f.endswith("media/video.py") and fn == "_to_rgb")
    out[0] = (out[0][0], max(out[0][1], decode_c))
    return out


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--duration", type=float, default=8.0)
    ap.add_argument("--profile", action="store_true")
    args = ap.parse_args(argv if argv is not None else [])
    cache = ROOT / "tests" / ".cache"
    size, dur = (1920, 1080), args.duration
    truth = cached_walker_clip(cache, scenario="diagonal", duration=dur, fps=25, size=size, seed=1)
    prof = str(cache / "first_take.prof")
    t0 = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", _JOB, truth.path] + ([prof] if args.profile else []), cwd=ROOT,
                         capture_output=True, text=True)
    total = time.perf_counter() - t0
    if out.returncode:
        raise RuntimeError(out.stderr[-2000:])
    a, r = (float(x) for x in out.stdout.split()[-2:])
    print(f"clip to first take, {size[0]}x{size[1]} {dur:g} s: {total:5.1f} s wall "
          f"(analysis {a:.1f} s, one take {r:.1f} s, start-up {total - a - r:.1f} s) = "
          f"{dur / total:4.2f}x real time{' (under cProfile)' if args.profile else ''}")
    if args.profile:
        for name, sec in breakdown(prof):
            print(f"  {name:24s} {sec:6.2f} s")


if __name__ == "__main__":
    main(sys.argv[1:])

"""Peak resident memory of the picture's step pass (`steps_video.measure` + steps + envelope) on
the 10-minute 1080p clip of tests/long_clip.py, with its track given (tracking has its own
figure in tests/bench/bench_memory.py). Runs the pass in a fresh process; prints one line.

Goal (issue 10): the analysis of a 10-minute 1080p clip within 1.5 GB; this pass must hold
only bounded per-frame features (flow rows, landmarks), never frames or crops of the clip.

Run: .venv/bin/python tests/bench/bench_steps_memory.py [--minutes 10] [--no-pose]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def _child(clip: str, boxes_file: str, use_pose: bool) -> None:
    from stereosync_studio.analysis import steps_video as S
    from stereosync_studio.core.track import Track
    from tests.memory_probe import _peak_mb

    start = _peak_mb()
    t0 = time.perf_counter()
    motion = S.measure(clip, Track(np.load(boxes_file)), use_pose=use_pose)
    steps = S.steps_from_motion(motion)
    env = S.envelope_from_steps(steps, S.step_levels(steps, motion), motion.duration)
    print(json.dumps({"peak_mb": round(_peak_mb(), 1), "start_mb": round(start, 1), "frames": motion.n_frames,
                      "steps": len(steps), "envelope_s": round(len(env.values) / env.rate, 1),
                      "seconds": round(time.perf_counter() - t0, 1)}))


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--minutes", type=float, default=10.0)
    ap.add_argument("--no-pose", action="store_true")
    ap.add_argument("--child", nargs=2)
    args = ap.parse_args(argv if argv is not None else [])
    use_pose = not args.no_pose
    if args.child:
        _child(args.child[0], args.child[1], use_pose)
        return
    from tests.long_clip import long_clip
    from tests.walker import WalkerScene

    clip = long_clip(ROOT / "tests" / ".cache", minutes=args.minutes)
    fps = 4.0  # long_clip's loop: the walker scene's true boxes, repeated
    loop = WalkerScene("crossing", duration=12.0, fps=fps, size=(1920, 1080), seed=9, background="plain").truth()
    n = int(round(args.minutes * 60 * fps))
    boxes_file = ROOT / "tests" / ".cache" / f"long_boxes_{n}.npy"
    np.save(boxes_file, loop.boxes[np.arange(n) % len(loop.boxes)])
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", str(clip), str(boxes_file)]
    out = subprocess.run(cmd + (["--no-pose"] if args.no_pose else []), cwd=ROOT, capture_output=True,
                         text=True, timeout=3600)
    line = [ln for ln in out.stdout.splitlines() if ln.startswith("{")]
    if out.returncode or not line:
        raise SystemExit(f"step pass failed:\n{out.stderr[-2000:]}")
    r = json.loads(line[-1])
    print(f"picture step pass ({'pose + flow' if use_pose else 'flow only'}), {args.minutes:g} min 1080p "
          f"({r['frames']} frames): peak {r['peak_mb']:.0f} MB (start {r['start_mb']:.0f} MB), {r['steps']} steps, "
          f"{r['seconds']:.0f} s  {'OK' if r['peak_mb'] <= 1536 else 'over 1.5 GB'}")


if __name__ == "__main__":
    main(sys.argv[1:])

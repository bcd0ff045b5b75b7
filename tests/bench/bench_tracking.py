"""Tracking speed on generated walker clips (goal: >= 60 frames/s at 1080p with re-identification).

Prints frames/s for the whole `track_clip` path (decode + downscale + track with the identity
model: Kalman, appearance check with the ONNX embedder, coasting), at 720p and 1080p, seeded
and automatic; decoding alone; and the tracker alone on frames already in memory.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from stereosync_studio.analysis.detect import iou  # noqa: E402
from stereosync_studio.analysis.tracking import _Follower, _work_scale, track_clip  # noqa: E402
from stereosync_studio.media.video import VideoReader  # noqa: E402
from tests.walker import cached_walker_clip  # noqa: E402


def _best_of(fn, repeats: int = 2) -> float:
    best = float("inf")
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def main() -> None:
    cache = ROOT / "tests" / ".cache"
    t0 = time.perf_counter()
    truth = cached_walker_clip(cache, scenario="crossing", duration=10.0, fps=25, size=(1280, 720), seed=3)
    print(f"clip: {truth.path} ({truth.n_frames} frames 1280x720, ready in {time.perf_counter() - t0:.1f} s)")
    n = truth.n_frames

    result = {}

    def seeded():
        result["seeded"] = track_clip(truth.path, seed_box=truth.boxes[0])

    def automatic():
        result["auto"] = track_clip(truth.path)

    t_seed = _best_of(seeded)
    t_auto = _best_of(automatic)
    for name, t in (("seeded", t_seed), ("auto", t_auto)):
        tr = result[name]
        m = float(np.mean([iou(a, b) for a, b in zip(tr.boxes, truth.boxes)]))
        print(f"track_clip ({name:6s}, decode+track): {n / t:7.1f} frames/s   mean IoU {m:.3f}")

    from stereosync_studio.analysis.reid import get_embedder

    print(f"re-identification embedder: {'ONNX (onnxruntime)' if get_embedder() else 'missing: colour + motion only'}")
    hd = cached_walker_clip(cache, scenario="crossing", duration=10.0, fps=25, size=(1920, 1080), seed=3)
    res_hd = {}
    t_hd = _best_of(lambda: res_hd.__setitem__("t", track_clip(hd.path, seed_box=hd.boxes[0])))
    m_hd = float(np.mean([iou(a, b) for a, b in zip(res_hd["t"].boxes, hd.boxes)]))
    print(f"track_clip 1080p (seeded, decode+track+re-id): {hd.n_frames / t_hd:7.1f} frames/s   mean IoU {m_hd:.3f}")
    print(f"track_clip  720p (seeded, decode+track+re-id): {n / t_seed:7.1f} frames/s")

    with VideoReader(truth.path) as reader:
        scale = _work_scale(reader.info, 360)
        frames = []
        t_dec = _best_of(lambda: frames.__setitem__(slice(None), [rgb for _, _, rgb in reader.iter_frames(0, None, scale)]))
        print(f"decode + downscale to 360p only:        {n / t_dec:7.1f} frames/s")
        full = _best_of(lambda: [None for _ in reader.iter_frames(0, None, 1.0)], 1)
        print(f"decode at full size only:               {n / full:7.1f} frames/s")

    seed = truth.boxes[0] * scale

    def tracker_only():
        f = _Follower("kcf", truth.fps)
        f.start(frames[0], seed)
        for img in frames[1:]:
            f.step(img)

    t_trk = _best_of(tracker_only)
    print(f"tracker only (KCF + colour, 640x360):   {n / t_trk:7.1f} frames/s")

    def csrt_only():
        f = _Follower("csrt", truth.fps)
        f.start(frames[0], seed)
        for img in frames[1:]:
            f.step(img)

    print(f"tracker only (CSRT + colour, 640x360):  {n / _best_of(csrt_only, 1):7.1f} frames/s")


if __name__ == "__main__":
    main()

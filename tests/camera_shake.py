"""Walker clips filmed by a handheld camera: the plain walker scenes (tests/walker.py) seen
through a camera that sways and jitters, with the truth boxes moved the same way.

Why: phone and handheld footage never stands still. The shake is a sum of slow sways
(0.4, 0.9 and 1.7 Hz, each a random share of `amp` pixels at 640 px wide, larger the slower,
as a hand drifts more than it trembles), per-frame jitter and a slight roll, on a 6 % zoom so
no border shows. `amp` 4 is a steady hand, 8 a restless one (up to ~4 % of the frame width).
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from tests.walker import WalkerScene

__all__ = ["handheld_path", "make_shaken_walker_clip"]


def handheld_path(n: int, fps: float, rng: np.random.Generator, amp: float) -> np.ndarray:
    """(n, 3): dx, dy in pixels at 640 px wide and the roll in degrees, per frame."""
    t = np.arange(n) / fps
    out = np.zeros((n, 3))
    for k in range(2):
        for f in (0.4, 0.9, 1.7):
            out[:, k] += amp * rng.uniform(0.3, 1.0) / f ** 0.7 * np.sin(2 * np.pi * f * t + rng.uniform(0, 2 * np.pi))
        out[:, k] += rng.normal(0, 0.25 * amp, n)
    out[:, 2] = 0.1 * amp * np.sin(2 * np.pi * 0.5 * t + rng.uniform(0, 2 * np.pi))
    return out


def make_shaken_walker_clip(path: str | Path, scenario: str = "diagonal", seed: int = 0, amp: float = 4.0,
                            duration: float = 6.0, fps: float = 25.0, size: tuple[int, int] = (640, 360)) -> np.ndarray:
    """Render the walker scene through a handheld camera to `path`; return the subject's true
    boxes (n, 4) in the shaken frames."""
    from stereosync_studio.media.video_writer import write_video

    scene = WalkerScene(scenario, duration, fps, size, seed)
    truth = scene.truth()
    w, h = size
    shake = handheld_path(scene.n_frames, fps, np.random.default_rng(seed + 77), amp * w / 640)
    frames, boxes = [], []
    for i in range(scene.n_frames):
        m = cv2.getRotationMatrix2D((w / 2, h / 2), shake[i, 2], 1.06)
        m[:, 2] += shake[i, :2]
        frames.append(cv2.warpAffine(scene.render(i), m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT))
        x0, y0, x1, y1 = truth.boxes[i]
        corners = np.array([[x0, y0, 1], [x1, y0, 1], [x0, y1, 1], [x1, y1, 1]]) @ m.T
        boxes.append([*corners.min(axis=0), *corners.max(axis=0)])
    write_video(Path(path), frames, fps)
    return np.asarray(boxes, float)

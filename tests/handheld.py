"""Walker clips as a handheld phone films them: the plain walker scenes (tests/walker.py) seen
through a camera that sways and jitters (truth boxes moved the same way), or whose auto
exposure pumps.

Why: phone and handheld footage never stands still, and its exposure follows the light. The shake is a sum of slow sways
(0.4, 0.9 and 1.7 Hz, each a random share of `amp` pixels at 640 px wide, larger the slower,
as a hand drifts more than it trembles), per-frame jitter and a slight roll, on a 6 % zoom so
no border shows. `amp` 4 is a steady hand, 8 a restless one (up to ~4 % of the frame width).
Auto exposure: three steps of x0.75 or x1.3 at random times, each eased over half a second,
or lights flickering against the shutter (+-15 % at 3.3 Hz, with frame-to-frame jitter).
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from tests.walker import WalkerScene

__all__ = ["exposure_gains", "handheld_path", "make_exposure_walker_clip", "make_shaken_walker_clip"]


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


def exposure_gains(n: int, fps: float, rng: np.random.Generator, kind: str = "pumping") -> np.ndarray:
    """(n,) the picture's gain per frame: auto exposure "pumping" or lights that "flicker"."""
    t = np.arange(n) / fps
    if kind == "flicker":
        return 1 + 0.15 * np.sin(2 * np.pi * 3.3 * t + rng.uniform(0, 2 * np.pi)) + rng.normal(0, 0.04, n)
    g = np.ones(n)
    for at in rng.uniform(0.5, t[-1] - 0.5, 3):
        g *= np.where(t > at, rng.choice([0.75, 1.3]), 1.0)
    k = max(int(round(0.5 * fps)), 1)
    return np.convolve(np.r_[np.full(k, g[0]), g, np.full(k, g[-1])], np.ones(k) / k, "same")[k:-k]


def make_exposure_walker_clip(path: str | Path, scenario: str = "diagonal", seed: int = 0, kind: str = "pumping",
                              duration: float = 6.0, fps: float = 25.0, size: tuple[int, int] = (640, 360)) -> np.ndarray:
    """Render the walker scene with its exposure changing (`exposure_gains`) to `path`; return
    the subject's true boxes (n, 4)."""
    from stereosync_studio.media.video_writer import write_video

    scene = WalkerScene(scenario, duration, fps, size, seed)
    gains = exposure_gains(scene.n_frames, fps, np.random.default_rng(seed + 5), kind)
    frames = (np.clip(scene.render(i).astype(np.float32) * gains[i], 0, 255).astype(np.uint8)
              for i in range(scene.n_frames))
    write_video(Path(path), frames, fps)
    return np.asarray(scene.truth().boxes, float)

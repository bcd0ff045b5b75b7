"""Relative distance of the subject from its box height (a pinhole camera: height ~ 1/depth).

A walker's box height wobbles with every stride (the swinging foot lifts, the segmentation
jitters by a pixel or two); the distance curve drives the level of every footstep, so it is
smoothed: a short median filter removes single-frame outliers, then a Savitzky-Golay filter
(on log height, so approaching and receding are treated alike) removes the gait ripple while
keeping the trend.
"""

from __future__ import annotations

import numpy as np
from scipy.signal import medfilt, savgol_filter

from ..core.track import Track


def _odd(n: int) -> int:
    return max(int(n) | 1, 1)


def _fill(values: np.ndarray, ok: np.ndarray) -> np.ndarray:
    idx = np.arange(len(values))
    return np.interp(idx, idx[ok], values[ok])


def _smooth(x: np.ndarray, window: int) -> np.ndarray:
    n = len(x)
    if n < 5:
        return x.copy()
    x = medfilt(x, _odd(min(5, n - (1 - n % 2))))
    w = _odd(min(window, n if n % 2 else n - 1))
    if w < 5:
        return x
    return savgol_filter(x, w, 2, mode="interp")


def smooth_track(track: Track, fps: float = 25.0, seconds: float = 0.3, min_confidence: float = 0.25) -> np.ndarray:
    """Boxes (N, 4) with gaps and unsure frames filled, then each coordinate smoothed.

    Rows with confidence below `min_confidence` count as gaps (unless every row is unsure).
    All-NaN input stays NaN.
    """
    boxes = np.asarray(track.boxes, float)
    n = len(boxes)
    ok = ~np.isnan(boxes[:, 0])
    sure = ok & (np.asarray(track.confidence) >= min_confidence)
    if sure.sum() >= 2:
        ok = sure
    if not ok.any():
        return boxes.copy()
    out = np.stack([_fill(boxes[:, c], ok) for c in range(4)], axis=1)
    w = _odd(int(round(seconds * fps)))
    if n >= 5 and w >= 5:
        out = np.stack([_smooth(out[:, c], w) for c in range(4)], axis=1)
    return out


def distance_from_track(track: Track, frame_height: int, ref: float | None = None, fps: float = 25.0,
                        seconds: float = 0.5) -> np.ndarray:
    """Relative distance per frame: reference height / box height, smoothed, gaps filled.

    `ref` is the box height (as a fraction of `frame_height`) seen at distance 1.0; None uses
    the median box height of the clip, so the median distance is 1.0. A track without any
    box gives all ones.
    """
    boxes = np.asarray(track.boxes, float)
    n = len(boxes)
    ok = ~np.isnan(boxes[:, 0])
    sure = ok & (np.asarray(track.confidence) >= 0.25)
    if sure.sum() >= 2:
        ok = sure
    if not ok.any():
        return np.ones(n)
    h = np.maximum(boxes[:, 3] - boxes[:, 1], 1.0)
    logh = _fill(np.log(np.where(ok, h, 1.0)), ok)
    logh = _smooth(logh, _odd(int(round(seconds * fps))))
    ref_px = float(ref) * float(frame_height) if ref else float(np.exp(np.median(logh)))
    return np.clip(ref_px / np.exp(logh), 0.05, 1000.0)


__all__ = ["distance_from_track", "smooth_track"]

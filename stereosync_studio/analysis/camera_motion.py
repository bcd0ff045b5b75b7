"""How the camera moved between two frames: a handheld shake, a pan, a tilt.

Why: the tracker's motion model (`pace.Pace`) predicts where the subject will be from where it
was. A handheld camera moves the whole picture by several pixels from frame to frame; the
subject's box then lands off the prediction, is doubted, and a doubted box keeps its old
height, so a walker coming towards a shaking camera was held at the size of his first steps
(IoU 0.49 where the steady camera gives 0.89). The picture's own shift is measured on the
background (phase correlation of small grey copies, the subject blanked out) and the
prediction is moved with it, as multi-object trackers do (BoT-SORT's camera motion
compensation). A still camera measures under `STILL_PX` and is left exactly as it was.

Exposure: a phone's auto exposure steps the whole picture x0.75 or x1.3 as the subject walks
from shade into sun; the colour model and the look gallery learnt the other brightness and
doubted the box (walkers, IoU 0.75 -> 0.84 with the change taken out, kept 0.96 -> 0.99).
The gain is measured on the background, frame to frame (the mean log ratio of the same places,
so sensor noise cancels, over the places near the median: people moving are left out), and
`CameraPath.steady` divides it out once it is 5 % or more.
"""

from __future__ import annotations

from collections import deque

import cv2
import numpy as np

__all__ = ["CameraPath", "picture_shift"]

WIDTH = 320  # px: the grey copies compared
STILL_PX = 0.35  # work pixels: a smaller shift is the sensor noise of a still camera
MAX_CORNERS, MIN_CORNERS = 150, 12  # background corners followed; fewer found: too plain to tell
KEEP_CORNERS = 0.6  # the tracker looks for new corners once fewer than this share of them is left
INLIER_PX = 0.5  # a corner moving this far (grey-copy pixels) from the median move is not background
STILL_GAIN = 0.003  # a smaller change of exposure between two frames is noise
STEADY_GAIN = 0.05  # pictures are corrected once the exposure is this far from the start
SAME_LIGHT = 0.04  # log ratio from the median within which a place only changed with the exposure
MAX_SPREAD = 0.25  # interquartile range of the log ratios past which two frames do not show the same places
GAIN_RANGE = (0.33, 3.0)  # the most the tracker's pictures are brightened or darkened


def _small(img: np.ndarray) -> tuple[np.ndarray, float]:
    h, w = img.shape[:2]
    s = min(1.0, WIDTH / max(w, 1))
    g = img if img.ndim == 2 else cv2.cvtColor(img, cv2.COLOR_RGB2GRAY)
    if s < 1.0:
        g = cv2.resize(g, (max(int(w * s), 8), max(int(h * s), 8)), interpolation=cv2.INTER_AREA)
    return g.astype(np.uint8, copy=False), s


def _blanked(shape: tuple[int, ...], blank: np.ndarray | None, s: float) -> tuple[np.ndarray | None, tuple | None]:
    """(mask for the corner search, the box in grey-copy pixels) leaving `blank` out."""
    if blank is None or not np.isfinite(blank).all():
        return None, None
    x0, y0, x1, y1 = (np.asarray(blank, float) * s).round().astype(int)
    mask = np.full(shape, 255, np.uint8)
    mask[max(y0, 0):max(y1, 0), max(x0, 0):max(x1, 0)] = 0
    return mask, (x0, y0, x1, y1)


def _corners(grey: np.ndarray, mask: np.ndarray | None) -> np.ndarray | None:
    pts = cv2.goodFeaturesToTrack(grey, maxCorners=MAX_CORNERS, qualityLevel=0.01, minDistance=8, mask=mask)
    return None if pts is None or len(pts) < MIN_CORNERS else pts


def _follow(a: np.ndarray, b: np.ndarray, pts: np.ndarray) -> tuple[np.ndarray | None, np.ndarray]:
    """(the dominant move of `pts` from grey copy `a` to `b`, or None where there is none; where
    the background corners are in `b`). Pyramidal Lucas-Kanade, then the median move: people
    walking elsewhere are outliers to it."""
    nxt, st, _ = cv2.calcOpticalFlowPyrLK(a, b, pts, None, winSize=(11, 11), maxLevel=2)
    ok = st.ravel() == 1
    if ok.sum() < MIN_CORNERS:
        return None, pts[:0]
    d = (nxt - pts).reshape(-1, 2)[ok]
    near = np.hypot(*(d - np.median(d, axis=0)).T) < INLIER_PX
    if near.sum() < max(MIN_CORNERS, 0.4 * len(d)):  # no dominant motion: nothing to tell by
        return None, pts[:0]
    return np.mean(d[near], axis=0), nxt[ok][near]


def _as_bright(img: np.ndarray, like: np.ndarray) -> np.ndarray:
    """`img` brought to the mean brightness of `like` (Lucas-Kanade assumes a place keeps its
    brightness: lights flickering 15 % lost most corners); nearly the same whatever the shift."""
    m, ref = float(img.mean()), float(like.mean())
    if m <= 1.0 or abs(ref / m - 1.0) < 0.01:
        return img
    return cv2.convertScaleAbs(img, alpha=ref / m)


def picture_shift(before: np.ndarray, after: np.ndarray, blank: np.ndarray | None = None) -> np.ndarray | None:
    """(dx, dy) in pixels of `after` by which the picture moved from `before` to `after`, or None
    where the background is too plain to tell. `blank`: a box (the subject, where it moves on
    its own) left out."""
    a, s = _small(before)
    b, _ = _small(after)
    if a.shape != b.shape or min(a.shape) < 16:
        return None
    pts = _corners(a, _blanked(a.shape, blank, s)[0])
    d = None if pts is None else _follow(a, _as_bright(b, a), pts)[0]
    return None if d is None else d / s


_LOG = np.log(np.maximum(np.arange(256), 1)).astype(np.float32)


def _gain(a: np.ndarray, b: np.ndarray, d: np.ndarray, box: tuple | None) -> float:
    """How much brighter grey copy `b` is than `a` (the picture moved by `d` between them): the
    mean log ratio of the same places of the background, where neither is dark or clipped."""
    h, w = a.shape
    dx, dy = int(round(float(d[0]))), int(round(float(d[1])))
    if abs(dx) >= w // 2 or abs(dy) >= h // 2:
        return 1.0
    ya, yb = slice(max(-dy, 0), h - max(dy, 0)), slice(max(dy, 0), h - max(-dy, 0))
    xa, xb = slice(max(-dx, 0), w - max(dx, 0)), slice(max(dx, 0), w - max(-dx, 0))
    pa, pb = a[ya, xa][::2, ::2], b[yb, xb][::2, ::2]  # every other row and column: as sure, a quarter the work
    ok = (pa > 30) & (pa < 235) & (pb > 30) & (pb < 235)
    if box is not None:  # the subject, in `b`'s pixels, moves and turns on its own
        x0, x1 = (max(v - xb.start, 0) // 2 for v in (box[0], box[2] + 1))
        y0, y1 = (max(v - yb.start, 0) // 2 for v in (box[1], box[3] + 1))
        ok[y0:y1, x0:x1] = False
    n = int(ok.sum())
    if n < 0.1 * ok.size:
        return 1.0
    r = _LOG[pb[ok]] - _LOG[pa[ok]]  # logs: the same noise on both sides cancels
    k = [n // 4, n // 2, 3 * n // 4]
    q = np.partition(r, k)[k]
    if q[2] - q[0] > MAX_SPREAD:  # not the same places: another shot, or a blur
        return 1.0
    # the mean of the ratios near their median: an exposure change moves every place alike,
    # people moving elsewhere (a group, passers-by) change theirs far more and are left out
    near = r[np.abs(r - q[1]) <= SAME_LIGHT]
    return float(np.exp(near.mean())) if len(near) else 1.0


class CameraPath:
    """The camera's path over a tracked stretch: how far the picture has moved since the start
    (`offset`, work pixels) and over the last frames (`since`), one entry per frame; and how
    its exposure changed since the start (`exposure`: auto exposure pumping as the subject
    walks from shade into sun, lights flickering against the shutter), which `steady` takes
    back out of the pictures the tracker learns from. The background corners found on one
    frame are followed on the next ones (finding them is most of the cost) and looked for
    again once too many were lost."""

    def __init__(self, history: int) -> None:
        self.exposure = 1.0
        self._prev: np.ndarray | None = None
        self._pts: np.ndarray | None = None
        self._found = 0
        self._path: deque[np.ndarray] = deque([np.zeros(2)], maxlen=max(history, 2))

    @property
    def offset(self) -> np.ndarray:
        """How far the picture has moved since the start (work pixels)."""
        return self._path[-1]

    def update(self, img: np.ndarray, subject: np.ndarray | None) -> np.ndarray:
        """The picture's shift from the last frame to `img` (zero for a still camera or when it
        cannot be told), the subject's last box left out."""
        shift = np.zeros(2)
        cur, s = _small(img)
        if self._prev is not None and self._prev.shape == cur.shape and min(cur.shape) >= 16:
            mask, box = _blanked(cur.shape, subject, s)
            pts = self._pts
            if pts is not None and box is not None:  # corners the subject walked onto are not background
                x, y = pts[:, 0, 0], pts[:, 0, 1]
                pts = pts[~((x >= box[0]) & (x < box[2]) & (y >= box[1]) & (y < box[3]))]
            if pts is None or len(pts) < max(MIN_CORNERS, KEEP_CORNERS * self._found):
                pts = _corners(self._prev, mask)
                self._found = 0 if pts is None else len(pts)
            d, self._pts = (None, None) if pts is None else _follow(self._prev, _as_bright(cur, self._prev), pts)
            if d is not None and float(np.hypot(*d)) >= STILL_PX * s:
                shift = d / s
            g = _gain(self._prev, cur, shift * s, box)
            if abs(g - 1.0) >= STILL_GAIN:
                self.exposure = float(np.clip(self.exposure * g, *GAIN_RANGE))
        self._prev = cur
        self._path.append(self._path[-1] + shift)
        return shift

    def steady(self, img: np.ndarray) -> np.ndarray:
        """`img` brought back to within STEADY_GAIN of the start's exposure: only the excess is
        taken out, so the picture never jumps as the exposure crosses that margin, and a small
        drift (the hard footage's 3 % light) leaves it untouched."""
        held = float(np.clip(self.exposure, 1.0 - STEADY_GAIN, 1.0 + STEADY_GAIN))
        if held == self.exposure:
            return img
        return cv2.convertScaleAbs(img, alpha=held / self.exposure)

    def since(self, frames: int) -> np.ndarray:
        """How far the picture moved over the last `frames` frames (as far back as is kept)."""
        k = min(max(int(frames), 0), len(self._path) - 1)
        return self._path[-1] - self._path[-1 - k]

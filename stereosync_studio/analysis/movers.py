"""What moves near a hidden or doubtful subject: double frame differencing in a window.

Why: small subjects on noisy, compressed footage have too few pixels for HOG or the colour
model, but a walker is still what moves. Differencing runs in a window around where the
subject should be, not over the whole frame, so other people walking elsewhere do not
decide it, and only while the camera stands still (a pan moves the whole street). Someone
standing does not show here at all.
`identity.SubjectTracker` mixes this in: it uses the tracker's past frames (`_past`, `_gap`),
frame size (`w`, `h`), frame count (`n`) and motion model (`motion`).
"""

from __future__ import annotations

import cv2
import numpy as np

from .detect import box_centre, detect_moving_region

__all__ = ["WhatMoves"]


class WhatMoves:
    """The double-frame-differencing searches of `identity.SubjectTracker` (a mixin)."""

    def _moving_near(self, img: np.ndarray, pred: np.ndarray, reach: float,
                     exclude: np.ndarray | None = None, carry: bool = True) -> np.ndarray | None:
        """What moves near the prediction, carried forward at the subject's pace (`carry`) from the
        middle frame `_gap` frames back (see `_moving_around`): small subjects on noisy footage
        have too few pixels for HOG or the colour model, but a walker is still what moves."""
        g = self._gap
        if len(self._past) < 2 * g:
            return None
        shift = self.motion.velocity()[0] * g if carry else 0.0
        det = self._moving_around(self._past[-2 * g][0], self._past[-g][0], img, pred - [shift, 0, shift, 0], reach,
                                  exclude, legs=True)
        return None if det is None else det + [shift, 0, shift, 0]

    def _moving_around(self, before: np.ndarray, mid: np.ndarray, after: np.ndarray, hint: np.ndarray,
                       reach: float, exclude: np.ndarray | None = None, legs: bool = False) -> np.ndarray | None:
        """The walker-sized moving blob in `mid` near `hint` (double frame differencing in a window
        around it, so other people moving elsewhere in the frame and a small subject's few pixels
        do not decide it), or None where nothing moves there, or the camera moves."""
        h = self.motion.height
        pc = box_centre(hint)
        x0, x1 = int(max(pc[0] - reach - 1.2 * h, 0)), int(min(pc[0] + reach + 1.2 * h, self.w))
        y0, y1 = int(max(hint[1] - 0.6 * h, 0)), int(min(hint[3] + 0.6 * h, self.h))
        if x1 - x0 < 8 or y1 - y0 < 8 or not self._camera_still(before, after, (x0, y0, x1, y1)):
            return None
        win = (slice(y0, y1), slice(x0, x1))
        crops = [before[win], mid[win], after[win]]
        if exclude is not None:  # blank a box (and its path over the three frames) in all three
            e = np.round(exclude - [x0, y0, x0, y0] + [-0.25 * h, -0.1 * h, 0.25 * h, 0.1 * h]).astype(int)
            crops = [c.copy() for c in crops]
            for c in crops:
                c[max(e[1], 0):max(e[3], 0), max(e[0], 0):max(e[2], 0)] = 0
        det = detect_moving_region(*crops, hint=hint - [x0, y0, x0, y0], max_height=y1 - y0, max_moving=0.35)
        if det is None:
            return None
        b = det[0] + [x0, y0, x0, y0]
        if legs and 0.3 * h <= b[3] - b[1] < 0.75 * h and abs(b[3] - hint[3]) < 0.2 * h:
            # on a small, compressed walker only the legs' swing survives differencing: the
            # body stands above them, at the subject's height
            half = max(0.5 * (b[2] - b[0]), 0.15 * h)
            cx = 0.5 * (b[0] + b[2])
            b = np.array([cx - half, b[3] - h, cx + half, b[3]])
        if (b[2] - b[0]) > 0.75 * (b[3] - b[1]):
            return None  # several people's blobs merged (a group): not one walker's outline
        return b

    def _camera_still(self, before: np.ndarray, after: np.ndarray, window: tuple[int, int, int, int]) -> bool:
        """No pan or tilt between two frames: on small grey copies (noise averaged away), few
        pixels outside the search `window` changed (people walking elsewhere change a few per
        cent; a pan changes the whole textured street). Frame differencing shows the walker
        only when the street stands still. The change map is made once per pair of frames."""
        key = (self.n, id(before), id(after))
        if self._still[0] != key:
            size = (160, max(int(160 * self.h / self.w), 8))
            a, b = (cv2.resize(cv2.cvtColor(x, cv2.COLOR_RGB2GRAY), size, interpolation=cv2.INTER_AREA)
                    for x in (before, after))
            self._still = (key, cv2.absdiff(a, b) > 12)
        changed = self._still[1]
        sy, sx = changed.shape[0] / self.h, changed.shape[1] / self.w
        x0, y0, x1, y1 = window
        inside = changed[int(y0 * sy):int(np.ceil(y1 * sy)), int(x0 * sx):int(np.ceil(x1 * sx))]
        outside = changed.size - inside.size
        return outside > 0 and float(changed.sum() - inside.sum()) / outside < 0.08

"""The subject's motion model: where it should be next, and at what pace.

Why its own module: the identity tracker (`identity.SubjectTracker`) gates every box by it,
coasts on it while the subject is hidden, and re-acquires against it.
"""

from __future__ import annotations

import cv2
import numpy as np

__all__ = ["Pace", "cxcyh"]


def cxcyh(b: np.ndarray) -> np.ndarray:
    return np.array([0.5 * (b[0] + b[2]), 0.5 * (b[1] + b[3]), b[3] - b[1]], np.float32)


class Pace:
    """Constant-velocity Kalman filter on (cx, cy, h), per frame, in work pixels.

    Stiff on velocity on purpose: walkers keep their pace, so a box that drifts with an
    occluder or a passer-by soon leaves the gate instead of dragging the prediction along.
    """

    def __init__(self, box: np.ndarray, fps: float):
        kf = cv2.KalmanFilter(6, 3)
        kf.transitionMatrix = np.eye(6, dtype=np.float32)
        kf.transitionMatrix[0, 3] = kf.transitionMatrix[1, 4] = kf.transitionMatrix[2, 5] = 1.0
        kf.measurementMatrix = np.eye(3, 6, dtype=np.float32)
        self.kf, self.fps = kf, fps
        m = cxcyh(box)
        kf.statePost = np.r_[m, 0, 0, 0].astype(np.float32).reshape(6, 1)
        h = float(m[2])
        kf.errorCovPost = np.diag([(0.05 * h) ** 2] * 3 + [(0.06 * h) ** 2, (0.01 * h) ** 2, (0.005 * h) ** 2]).astype(np.float32)
        self.aspect = float((box[2] - box[0]) / max(h, 1.0))
        self.height = h  # slow reference height: a partly hidden subject must not shrink the model
        self.drift, self.side = 0, 0.0
        self.scaling, self.scale_sign = 0, 0.0  # doubtful frames in a row on which the whole body grew
        # (sign +1) or shrank (-1)
        self.following = False  # boxes taken as measured (`follows_depth`)
        self._tune(h, 1.0)

    def _tune(self, h: float, loose: float) -> None:
        scale = 25.0 / self.fps  # noise per frame, for any frame rate
        q = np.array([0.004, 0.004, 0.002, 0.0008 * scale, 0.0008 * scale, 0.0003 * scale]) * h
        self.kf.processNoiseCov = np.diag(q ** 2).astype(np.float32)
        self.kf.measurementNoiseCov = (np.diag(np.array([0.05, 0.04, 0.05]) * h * loose) ** 2).astype(np.float32)

    def predict(self) -> np.ndarray:
        return self.box(self.kf.predict().ravel())

    def velocity(self) -> np.ndarray:
        return self.kf.statePost.ravel()[3:5].copy()

    def box(self, s: np.ndarray) -> np.ndarray:
        h = self.height if abs(float(s[2]) / self.height - 1) > 0.2 else max(float(s[2]), 4.0)
        w = self.aspect * h
        return np.array([s[0] - w / 2, s[1] - h / 2, s[0] + w / 2, s[1] + h / 2], float)

    def correct(self, box: np.ndarray, loose: float = 1.0) -> None:
        m = cxcyh(box)
        self._tune(self.height, loose)
        # a turn or a stop: the box keeps landing on one side of the prediction -> relearn the pace
        off = float(m[0] - self.kf.statePre[0, 0]) / self.height
        self.drift = self.drift + 1 if abs(off) > 0.06 and np.sign(off) == self.side else 0
        self.side = np.sign(off)
        if self.drift >= 3:
            self.kf.errorCovPre[3, 3] = max(float(self.kf.errorCovPre[3, 3]), (0.03 * self.height) ** 2)
            self.drift = 0
        self.kf.correct(m.reshape(3, 1))
        a = 0.1 / loose
        self.aspect = (1 - a) * self.aspect + a * float((box[2] - box[0]) / max(m[2], 1.0))
        self.height = (1 - a) * self.height + a * float(m[2])

    def follows_depth(self, measured: np.ndarray, model: np.ndarray, frames: int) -> bool:
        """True once the measured box has grown or shrunk as a whole against the model's box
        (reference height) on `frames` doubtful frames in a row (the change over 8 % of the
        height, top and bottom edges both moving, each by a tenth of it or more), the first of
        them under 12 %: a change in depth grows from nothing; then for as long as it keeps
        that direction (over 3 %). A box that jumped onto part of the body (a crossing walker
        at 12.5 fps) starts with a big change.

        Why: a doubtful box takes its height from the slow reference, so that a subject partly
        hidden (one edge cut, the other still) does not shrink the model. A walker who turns
        away from the camera shrinks from both ends (the feet rise most); held at the reference,
        the box stayed the size of the nearest step and lost him (a walker coming diagonally
        towards the camera, turning back, 720p/1080p: 13 of 18 clips lost within 4 s, 3 now).
        Such a box is then taken as measured. Not caught: a walker whose head stays on the
        horizon (only the feet rise), which looks like legs being hidden, nor a change that
        appears only once it is large."""
        dh = float((measured[3] - measured[1]) - (model[3] - model[1]))
        top, bottom = -float(measured[1] - model[1]) * np.sign(dh), float(measured[3] - model[3]) * np.sign(dh)
        if self.following:  # as long as the change goes on the same way
            self.following = bool(abs(dh) > 0.03 * self.height and np.sign(dh) == self.scale_sign
                                  and top >= 0 and bottom >= 0)
            self.scaling = self.scaling if self.following else 0
            return self.following
        whole = abs(dh) > 0.08 * self.height and min(top, bottom) >= 0.1 * abs(dh)
        if whole and self.scaling and np.sign(dh) == self.scale_sign:
            self.scaling += 1
        else:  # a run starts only from a small change: a change in depth grows from nothing,
            # a box that jumped onto part of the body (a crossing walker at 12.5 fps) starts big
            self.scaling = int(whole and abs(dh) <= 0.12 * self.height)
            self.scale_sign = float(np.sign(dh))
        self.following = self.scaling >= frames
        return self.following

    def shift(self, d: np.ndarray) -> None:
        """The picture moved by `d` (dx, dy): so does the subject's place; its pace, against the
        background, does not."""
        for st in (self.kf.statePost, self.kf.statePre):
            st[0, 0] += float(d[0])
            st[1, 0] += float(d[1])

    def coast(self, factor: float = 1.0) -> None:
        """While hidden: the height, and with it the level (the feet stay on the ground at the
        same depth), stop changing; after long, the pace slows (`factor`)."""
        for st in (self.kf.statePost, self.kf.statePre):
            st[2] = self.height
            st[4:6] = 0.0
            st[3] *= factor

"""How fast the swinging foot moves against the ground, from optical flow and from pose.

Why a module of its own: the step detector (`steps_video`) and the learned mapper's features
(`mapper_features`) both measure the swinging foot; keeping the measures here lets both use
them without importing each other. Speeds are in box heights per second with the camera's
own motion removed, so resolution, zoom and distance do not matter.
"""

from __future__ import annotations

import numpy as np
from scipy.ndimage import median_filter

from . import pose as P
from .flow_features import IDX
from .motion import SubjectMotion

__all__ = ["flow_swing_speed", "foot_points", "pose_swing_speed"]


def flow_swing_speed(motion: SubjectMotion) -> np.ndarray:
    """Fastest motion in the feet band (90th percentile of flow speed), box heights/s."""
    return motion.flow[:, IDX["low_p90"]].astype(np.float64)


def foot_points(pose: np.ndarray, min_vis: float = 0.3) -> np.ndarray:
    """(n, 2, 2) pixel position of each foot: visibility-weighted mean of heel, ankle and toe."""
    groups = ((P.LEFT_HEEL, P.LEFT_ANKLE, P.LEFT_FOOT), (P.RIGHT_HEEL, P.RIGHT_ANKLE, P.RIGHT_FOOT))
    feet = np.full((len(pose), 2, 2), np.nan)
    for f, g in enumerate(groups):
        pts = pose[:, g, :2].astype(np.float64)
        vis = pose[:, g, 3].astype(np.float64)
        wgt = np.where(np.isfinite(vis) & (vis >= min_vis), np.nan_to_num(vis), 0.0)
        tot = wgt.sum(axis=1)
        good = tot > 0
        feet[good, f] = (pts[good] * wgt[good, :, None]).sum(axis=1) / tot[good, None]
    return feet


def _pair(feet: np.ndarray) -> np.ndarray:
    """Re-pair the two feet frame to frame by least total displacement.

    Pose models swap left and right in profile; which foot is which does not matter here,
    only that each foot's motion is measured against the same foot in the previous frame.
    """
    out = feet.copy()
    for i in range(1, len(out)):
        a, b = out[i - 1], out[i]
        if np.isfinite(a).all() and np.isfinite(b).all():
            if np.linalg.norm(b[::-1] - a, axis=1).sum() < np.linalg.norm(b - a, axis=1).sum():
                out[i] = b[::-1]
    return out


def pose_swing_speed(motion: SubjectMotion) -> np.ndarray:
    """Speed of the faster foot against the ground (box heights/s) from the landmarks.

    A 3-frame median removes single-frame landmark glitches; camera motion (the flow of the
    ring around the box) is subtracted; a [1 2 1] filter takes the edge off landmark jitter.
    """
    n = motion.n_frames
    if motion.pose is None or n < 3:
        return np.full(n, np.nan)
    feet = _pair(foot_points(motion.pose))
    feet = _pair(median_filter(feet, size=(3, 1, 1), mode="nearest"))
    bh = np.maximum(motion.boxes[:, 3] - motion.boxes[:, 1], 1.0)
    bg = np.nan_to_num(motion.flow[:, [IDX["bg_dx"], IDX["bg_dy"]]].astype(np.float64))
    d = np.diff(feet, axis=0) * motion.fps / bh[1:, None, None] - bg[1:, None, :]
    sp = np.r_[np.nan, np.hypot(d[..., 0], d[..., 1]).max(axis=1)]
    ok = np.isfinite(sp)
    out = sp.copy()
    both = ok[:-2] & ok[2:]
    out[1:-1] = np.where(both, 0.25 * sp[:-2] + 0.5 * sp[1:-1] + 0.25 * sp[2:], sp[1:-1])
    return out

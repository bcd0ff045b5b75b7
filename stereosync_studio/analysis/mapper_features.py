"""What the learned video-to-envelope mapper sees and learns: per-frame features and targets.

Why here and torch-free: the features are measurements of the subject (optical flow, pose,
foot speeds) that analysis already makes, and the targets are the papers' RMS of a clip's
guide audio; the model that maps one to the other lives in `learned/` and works on these
arrays only. Stable-V2A resamples its video features to 30 fps (FEATURE_RATE) and predicts
the envelope on a decimated grid (MAPPER_RATE = ENVELOPE_RATE / 4, ~86 Hz); the targets are
peak normalised per clip and smoothed with a kernel of 15 envelope frames, as in the paper.
"""

from __future__ import annotations

import numpy as np

from ..core.envelope import ENVELOPE_RATE
from . import pose as P
from .envelope_audio import envelope_from_audio
from .flow_features import N_FLOW, fill_rows
from .foot_speed import flow_swing_speed, pose_swing_speed
from .motion import SubjectMotion

__all__ = ["FEATURE_RATE", "MAPPER_RATE", "N_FEATURES", "mapper_features", "mapper_targets"]

FEATURE_RATE = 30.0  # video features are resampled to this rate (the paper converts to 30 fps)
DECIMATE = 4
MAPPER_RATE = ENVELOPE_RATE / DECIMATE  # ~86.13 target values per second
SMOOTH = 15  # moving-average kernel on the ENVELOPE_RATE grid (the paper's "kernel size 15")
N_FEATURES = N_FLOW + 2 * len(P.LOWER_BODY) + 4


def mapper_features(motion: SubjectMotion, rate: float = FEATURE_RATE) -> np.ndarray:
    """(T, N_FEATURES) float32 features at `rate` Hz over the clip's duration.

    Flow statistics (gaps filled), the ten lower-body landmarks relative to the box (x from
    the box centre, y from the box bottom, in box heights), the two swing-foot speeds, a
    "pose present" and a "subject seen" flag. Unseen frames are zeros with the flags at 0.
    """
    n = motion.n_frames
    seen = motion.seen()
    flow = np.where(seen[:, None], fill_rows(motion.flow), 0.0)
    lm = np.zeros((n, 2 * len(P.LOWER_BODY)), np.float32)
    have_pose = np.zeros(n, np.float32)
    pose_speed = np.zeros(n, np.float32)
    if motion.pose is not None:
        b = motion.boxes
        bh = np.maximum(b[:, 3] - b[:, 1], 1.0)
        cx = 0.5 * (b[:, 0] + b[:, 2])
        pts = motion.pose[:, list(P.LOWER_BODY), :2]
        rel = np.concatenate([(pts[..., 0] - cx[:, None]) / bh[:, None],
                              (pts[..., 1] - b[:, 3:4]) / bh[:, None]], axis=1)
        ok = np.isfinite(rel).all(axis=1) & seen
        lm[ok] = rel[ok]
        have_pose = ok.astype(np.float32)
        ps = pose_swing_speed(motion)
        pose_speed = np.where(np.isfinite(ps), ps, 0.0)
    fs = flow_swing_speed(motion)
    flow_speed = np.where(np.isfinite(fs) & seen, fs, 0.0)
    feats = np.concatenate([flow, lm, pose_speed[:, None], flow_speed[:, None], have_pose[:, None],
                            seen[:, None].astype(np.float32)], axis=1).astype(np.float32)
    feats = np.nan_to_num(feats, nan=0.0, posinf=0.0, neginf=0.0)
    t_out = np.arange(int(round(motion.duration * rate))) / rate
    src = np.asarray(motion.times, np.float64)
    return np.stack([np.interp(t_out, src, feats[:, k]) for k in range(feats.shape[1])], axis=1).astype(np.float32)


def mapper_targets(audio: np.ndarray, sample_rate: int, duration: float) -> np.ndarray:
    """Envelope target on the MAPPER_RATE grid: peak-normalised RMS, smoothed, in [0, 1]."""
    a = np.asarray(audio, np.float32)
    peak = float(np.max(np.abs(a))) if a.size else 0.0
    env = envelope_from_audio(a / peak if peak > 0 else a, sample_rate).with_duration(duration).values
    if len(env) >= SMOOTH:
        env = np.convolve(env, np.ones(SMOOTH, np.float32) / SMOOTH, mode="same")
    n = int(round(duration * MAPPER_RATE))
    env = np.pad(env, (0, max(0, n * DECIMATE - len(env))))[: n * DECIMATE]
    return np.clip(env.reshape(n, DECIMATE).mean(axis=1), 0.0, 1.0).astype(np.float32)

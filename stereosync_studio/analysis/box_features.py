"""SpatialV2A's five spatial features per frame, from the subject's box (or a heatmap).

SpatialV2A computes them from a sound-source localisation heatmap (ACL); we have no such
model, so the "heatmap" is the subject's box as a uniform mask (closed forms below), or any
per-frame heatmap the caller passes (e.g. the optical-flow magnitude around the feet). The
diffusion engine reads them from `Source.features` as its spatial conditioning.

Features (names as stored on the Source):
  box_h      S_h    horizontal centroid / frame width (0 left .. 1 right)
  box_area   S_area area of the mask / frame area
  box_var    S_var  var_x + var_y of the mask, in units of frame width^2 and height^2
  box_lr     S_LR   (mass right of centre - mass left) / total mass, in [-1, 1]
  box_shape  S_shape var_x / var_y (anisotropy; < 1 for an upright person)
"""

from __future__ import annotations

import numpy as np

from ..core.track import Track

FEATURE_NAMES = ("box_h", "box_area", "box_var", "box_lr", "box_shape")


def box_features(track: Track, width: int, height: int) -> dict[str, list[float]]:
    """The five features per frame for a box track (gaps filled; no box at all -> neutral)."""
    boxes = track.filled()
    n = len(boxes)
    if n == 0:
        return {k: [] for k in FEATURE_NAMES}
    if np.isnan(boxes[:, 0]).all():
        neutral = {"box_h": 0.5, "box_area": 0.0, "box_var": 0.0, "box_lr": 0.0, "box_shape": 1.0}
        return {k: [neutral[k]] * n for k in FEATURE_NAMES}
    feats = box_feature_array(boxes, width, height)
    return {k: [round(float(v), 6) for v in feats[:, i]] for i, k in enumerate(FEATURE_NAMES)}


def box_feature_array(boxes: np.ndarray, width: int, height: int) -> np.ndarray:
    """(N, 5) features for boxes (N, 4) with a uniform mask, clipped to the frame."""
    W, H = float(width), float(height)
    b = np.asarray(boxes, np.float64).reshape(-1, 4)
    x0 = np.clip(np.minimum(b[:, 0], b[:, 2]), 0, W)
    x1 = np.clip(np.maximum(b[:, 0], b[:, 2]), 0, W)
    y0 = np.clip(np.minimum(b[:, 1], b[:, 3]), 0, H)
    y1 = np.clip(np.maximum(b[:, 1], b[:, 3]), 0, H)
    w = np.maximum(x1 - x0, 1e-6)
    h = np.maximum(y1 - y0, 1e-6)
    s_h = 0.5 * (x0 + x1) / W
    s_area = (w * h) / (W * H)
    var_x = (w / W) ** 2 / 12.0  # variance of a uniform distribution over the box width
    var_y = (h / H) ** 2 / 12.0
    right = np.clip(x1 - np.maximum(x0, W / 2), 0, None)
    left = np.clip(np.minimum(x1, W / 2) - x0, 0, None)
    s_lr = (right - left) / w
    shape = var_x / np.maximum(var_y, 1e-12)
    out = np.stack([s_h, s_area, var_x + var_y, s_lr, shape], axis=1)
    return np.nan_to_num(out, nan=0.0)


def heatmap_features(heatmap: np.ndarray, threshold: float = 0.5) -> np.ndarray:
    """The five features (as in `box_feature_array`) of one heatmap (H, W), as SpatialV2A writes them.

    `threshold` is relative to the heatmap's maximum (the mask for S_area).
    """
    m = np.clip(np.nan_to_num(np.asarray(heatmap, np.float64)), 0, None)
    H, W = m.shape
    total = m.sum()
    if total <= 0:
        return np.array([0.5, 0.0, 0.0, 0.0, 1.0])
    xs = (np.arange(W) + 0.5) / W
    ys = (np.arange(H) + 0.5) / H
    mx, my = m.sum(axis=0), m.sum(axis=1)
    cx, cy = float((mx * xs).sum() / total), float((my * ys).sum() / total)
    var_x = float((mx * (xs - cx) ** 2).sum() / total)
    var_y = float((my * (ys - cy) ** 2).sum() / total)
    area = float((m >= threshold * m.max()).mean())
    half = W // 2
    lr = float((m[:, W - half:].sum() - m[:, :half].sum()) / total)
    return np.array([cx, area, var_x + var_y, lr, var_x / max(var_y, 1e-12)])


__all__ = ["FEATURE_NAMES", "box_features", "box_feature_array", "heatmap_features"]

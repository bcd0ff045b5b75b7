"""Conditioning arrays for one window of audio, shared by dataset preparation and sampling.

Torch-free numpy, so training chunks and inference windows are built by the same code:
the envelope as a stereo control signal at the model rate, boxes and depth resampled to a
fixed token rate over the window, and the chunk plan / crossfade for long clips.
"""

from __future__ import annotations

import numpy as np

from ...core.envelope import Envelope
from ...core.track import Track
from ...core.trajectory import Trajectory


def envelope_signal(env: Envelope, start_s: float, n: int, sample_rate: int) -> np.ndarray:
    """The RMS envelope interpolated to audio length, on both channels: (2, n) float32."""
    t = start_s + np.arange(n, dtype=np.float64) / float(sample_rate)
    v = env.at(t).astype(np.float32)
    return np.stack([v, v])


def boxes_normalised(track: Track | None, frame_size: tuple[int, int],
                     trajectory: Trajectory | None = None) -> np.ndarray:
    """Per-frame boxes (F, 4) as fractions of the frame (x0, y0, x1, y1), gaps interpolated.

    Without a usable track the boxes are synthesised from the trajectory (centre from pan,
    height from distance) so a drawn trajectory still drives the box conditioning."""
    w, h = float(frame_size[0]), float(frame_size[1])
    if track is not None and len(track) and not np.isnan(track.boxes[:, 0]).all():
        b = track.filled().astype(np.float64)
        return (b / np.array([w, h, w, h])).astype(np.float32)
    if trajectory is None or len(trajectory) == 0:
        return np.array([[0.4, 0.25, 0.6, 0.75]], np.float32)
    cx = trajectory.mapping.x(trajectory.pan, w) / w
    bh = np.clip(0.5 / np.maximum(trajectory.distance, 0.05), 0.02, 1.0)
    bw = bh * 0.4 * h / w
    return np.stack([cx - bw / 2, 0.5 - bh / 2, cx + bw / 2, 0.5 + bh / 2], axis=1).astype(np.float32)


def tokens_over_window(values: np.ndarray, fps: float, start_s: float, seconds: float,
                       rate: float) -> np.ndarray:
    """Per-frame values (F, D) sampled at `rate` tokens per second over [start, start+seconds):
    (round(seconds * rate), D), linear interpolation, held at the ends."""
    v = np.asarray(values, np.float64)
    if v.ndim == 1:
        v = v[:, None]
    n = max(1, int(round(seconds * rate)))
    t = start_s + (np.arange(n) + 0.5) * (seconds / n)
    if len(v) == 0:
        return np.zeros((n, v.shape[1]), np.float32)
    if len(v) == 1:
        return np.repeat(v, n, axis=0).astype(np.float32)
    frame_t = (np.arange(len(v)) + 0.5) / float(fps)
    return np.stack([np.interp(t, frame_t, v[:, d]) for d in range(v.shape[1])], axis=1).astype(np.float32)


def depth_per_frame(features: dict | None, distance: np.ndarray, depth_dim: int,
                    source: str = "distance") -> tuple[np.ndarray, str]:
    """(F, depth_dim) depth features and where they came from.

    A depth model's per-frame feature vectors (features['depth'], (F, depth_dim)) are used when
    the adapter was trained on them; a per-frame scalar depth, or the trajectory's distance
    curve, goes through the fixed distance encoding otherwise."""
    raw = None if not features else features.get("depth")
    if raw is not None and len(raw):
        arr = np.asarray(raw, np.float32)
        if source == "features" and arr.ndim == 2 and arr.shape[1] == depth_dim:
            return arr, "depth-model"
        if arr.ndim == 1 or (arr.ndim == 2 and arr.shape[1] == 1):
            return encode_distance(arr.reshape(-1), depth_dim), "depth-scalar"
    return encode_distance(np.asarray(distance, np.float64), depth_dim), "distance"


def encode_distance(distance: np.ndarray, dim: int) -> np.ndarray:
    """Depth features from a relative distance curve when no depth model is available:
    log2 distance and sinusoids of it (a fixed encoding, so training and inference agree)."""
    d = np.clip(np.nan_to_num(np.asarray(distance, np.float64).reshape(-1), nan=1.0), 0.05, 1000.0)
    x = np.clip(np.log2(d), -4.0, 8.0)
    feats = [x / 4.0]
    k = 0
    while len(feats) < dim:
        w = np.pi * (2.0 ** k) / 8.0
        feats.append(np.sin(w * x))
        if len(feats) < dim:
            feats.append(np.cos(w * x))
        k += 1
    return np.stack(feats[:dim], axis=1).astype(np.float32)


def chunk_plan(n_total: int, window: int, overlap: int) -> list[tuple[int, int]]:
    """(start, length) of overlapping windows covering n_total samples; last one ends at the end."""
    if n_total <= window:
        return [(0, n_total)]
    overlap = int(min(max(overlap, 0), window // 2))
    hop = window - overlap
    starts = list(range(0, n_total - window, hop))
    starts.append(n_total - window)
    return [(s, window) for s in starts]


def crossfade_stitch(chunks: list[np.ndarray], plan: list[tuple[int, int]], n_total: int) -> np.ndarray:
    """Overlap-add (C, L) chunks with equal-power fades over each actual overlap."""
    out = np.zeros((chunks[0].shape[0], n_total), np.float32)
    for k, (audio, (start, length)) in enumerate(zip(chunks, plan)):
        g = np.ones(length, np.float64)
        if k > 0:
            ov = plan[k - 1][0] + plan[k - 1][1] - start
            if ov > 0:
                g[:ov] *= np.sin(0.5 * np.pi * (np.arange(ov) + 0.5) / ov)
        if k + 1 < len(plan):
            ov = start + length - plan[k + 1][0]
            if ov > 0:
                g[length - ov:] *= np.cos(0.5 * np.pi * (np.arange(ov) + 0.5) / ov)
        out[:, start:start + length] += audio[:, :length] * g.astype(np.float32)
    return out

"""The mapper's output as classes: mu-law encoded loudness, smoothed labels, top-k accuracy.

Why: Stable-V2A treats the envelope as classification, not regression (quiet frames
dominate and a regressor would average them away). The envelope in [0, 1] is mu-law
compressed into 64 classes; training targets get Gaussian label smoothing (sigma 1, three
neighbours each side) and silence stays one-hot. Plain numpy: no torch here.
"""

from __future__ import annotations

import numpy as np

__all__ = ["MU", "N_CLASSES", "decode", "encode", "smooth_labels", "topk_accuracy"]

N_CLASSES = 64
MU = 255
SIGMA, WINDOW = 1.0, 3  # Gaussian label smoothing


def encode(env: np.ndarray) -> np.ndarray:
    """Envelope values in [0, 1] -> mu-law class indices 0..63."""
    import librosa

    c = librosa.mu_compress(np.clip(np.asarray(env, np.float64), 0, 1), mu=MU, quantize=False)
    return np.clip(np.round(c * (N_CLASSES - 1)), 0, N_CLASSES - 1).astype(np.int64)


def decode(classes: np.ndarray) -> np.ndarray:
    """Class indices -> envelope values in [0, 1] (the inverse of `encode`)."""
    import librosa

    c = np.asarray(classes, np.float64) / (N_CLASSES - 1)
    return np.clip(librosa.mu_expand(c, mu=MU, quantize=False), 0, 1).astype(np.float32)


def smooth_labels(classes: np.ndarray, sigma: float = SIGMA, window: int = WINDOW) -> np.ndarray:
    """(T, 64) Gaussian-smoothed targets (Stable-V2A eq. 9); silence (class 0) stays one-hot
    and never receives mass from its neighbours. Rows sum to 1."""
    c = np.asarray(classes, np.int64).reshape(-1)
    i = np.arange(N_CLASSES)[None, :]
    d = i - c[:, None]
    w = np.exp(-(d ** 2) / (2 * sigma ** 2)) * (np.abs(d) <= window)
    w[:, 0] = 0.0
    w[c == 0] = 0.0
    w[c == 0, 0] = 1.0
    return (w / w.sum(axis=1, keepdims=True)).astype(np.float32)


def topk_accuracy(logits: np.ndarray, classes: np.ndarray, ks: tuple[int, ...] = (1, 5, 10)) -> dict[str, float]:
    """acc@k: how often the true class is among the k most likely (the paper's acc@1/5/10)."""
    order = np.argsort(-np.asarray(logits), axis=-1)
    c = np.asarray(classes).reshape(-1)
    order = order.reshape(len(c), -1)
    return {f"acc@{k}": float((order[:, :k] == c[:, None]).any(axis=1).mean()) for k in ks}

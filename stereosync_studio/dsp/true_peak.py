"""The true peak (ITU-R BS.1770-4 Annex 2): the largest magnitude of the 4x oversampled signal.

Why one place: the delivery meter (`metrics.loudness`), the limiter that holds takes under
-1 dBTP and the room mix's gain (`engines`) must read the same figure, or a take the limiter
passed could measure over the ceiling. The oversampling is scipy's polyphase resampler (its
Kaiser low-pass reaches 10 input samples on each side); a sample's level is the largest of
its own magnitude and the 3 interpolated values after it, over all channels.

Bounded memory: `true_peak` reads a long signal CHUNK samples at a time, each with CTX real
samples of context on both sides (zeros only beyond the signal's ends, as the one-shot
resampler pads), so every kept value is the one-shot value and a 10-minute stereo take needs a
few tens of MB. `peak_trace` oversamples only the 256-sample segments that can matter.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import lru_cache

import numpy as np

__all__ = ["CHUNK", "CTX", "OVERSAMPLE", "SEG", "l1_bound", "peak_trace", "true_peak", "true_peak_dbtp"]

OVERSAMPLE = 4
SEG = 256  # samples per segment when deciding where to oversample
CTX = 16  # input samples of context the resampler's filter needs on each side (it spans 10)
CHUNK = 1 << 20  # samples measured at a time by `true_peak`


def _channels(audio: np.ndarray) -> np.ndarray:
    a = np.asarray(audio)
    return a[None, :] if a.ndim == 1 else a


def peak_trace(arrays: Sequence[np.ndarray], quiet: float = 0.0) -> np.ndarray:
    """Per sample, the largest magnitude over the arrays' (channels, n) channels of the 4x
    oversampled signal at and just after it (float64, length n): its max is the true peak.
    Segments whose samples and context stay at or under `quiet` (e.g. ceiling / `l1_bound()`:
    no interpolated value there can pass the ceiling) keep the sample level, lower and cheaper."""
    from scipy.signal import resample_poly

    level = np.max(np.abs(arrays[0]), axis=0).astype(np.float64)
    for a in arrays[1:]:
        np.maximum(level, np.max(np.abs(a), axis=0), out=level)
    n = level.shape[0]
    nseg = -(-n // SEG)
    padded = np.zeros(nseg * SEG)
    padded[:n] = level
    seg_max = padded.reshape(nseg, SEG).max(axis=1)
    near = seg_max.copy()  # the segment and its neighbours (CTX <= SEG): the resampler's reach
    near[1:] = np.maximum(near[1:], seg_max[:-1])
    near[:-1] = np.maximum(near[:-1], seg_max[1:])
    hot = np.flatnonzero(near > quiet)
    if hot.size == 0:
        return level
    if 2 * hot.size > nseg:  # mostly loud: one resampling of the whole (the same values)
        for a in arrays:
            x = np.zeros((a.shape[0], n + 2 * CTX), np.float32)
            x[:, CTX:CTX + n] = a
            up = resample_poly(x, OVERSAMPLE, 1, axis=-1)
            np.abs(up, out=up)
            m = up[0]
            for c in range(1, up.shape[0]):
                np.maximum(m, up[c], out=m)
            m = m[OVERSAMPLE * CTX:OVERSAMPLE * (CTX + n)]
            for p in range(OVERSAMPLE):  # strided maxima: cheaper than a reduction over 4
                np.maximum(level, m[p::OVERSAMPLE], out=level)
        return level
    idx = hot[:, None] * SEG + np.arange(SEG + 2 * CTX)[None, :]  # (hot, SEG + 2 CTX) in x below
    up_level = np.zeros((hot.size, SEG))
    for a in arrays:
        x = np.zeros((a.shape[0], nseg * SEG + 2 * CTX), np.float32)  # zeros beyond the ends, as the meter
        x[:, CTX:CTX + n] = a
        up = resample_poly(x[:, idx], OVERSAMPLE, 1, axis=-1)  # (C, hot, 4 (SEG + 2 CTX))
        up = np.abs(up[:, :, OVERSAMPLE * CTX:OVERSAMPLE * (CTX + SEG)])
        np.maximum(up_level, up.reshape(a.shape[0], hot.size, SEG, OVERSAMPLE).max(axis=(0, 3)), out=up_level)
    flat = (hot[:, None] * SEG + np.arange(SEG)[None, :]).ravel()
    keep = flat < n
    level[flat[keep]] = np.maximum(level[flat[keep]], up_level.ravel()[keep])
    return level


def true_peak(arrays: Sequence[np.ndarray]) -> float:
    """The largest magnitude (linear) of the 4x oversampled arrays ((channels, n) or (n,), all
    the same length), CHUNK samples at a time: the figure of one pass, in bounded memory."""
    mats = [_channels(a) for a in arrays]
    n = mats[0].shape[1] if mats else 0
    peaks = [0.0]
    for i0 in range(0, n, CHUNK):
        i1 = min(n, i0 + CHUNK)
        lo, hi = max(0, i0 - CTX), min(n, i1 + CTX)
        level = peak_trace([np.asarray(m[:, lo:hi], np.float32) for m in mats])
        peaks.append(float(np.max(level[i0 - lo:i1 - lo])))
    return float(np.max(peaks))  # NaN in, NaN out


def true_peak_dbtp(audio: np.ndarray) -> float:
    """True peak in dBTP of (channels, n) or (n,) audio; -inf when empty or silent."""
    peak = true_peak([audio])
    return -math.inf if peak == 0.0 else 20.0 * math.log10(peak)


@lru_cache(maxsize=None)
def l1_bound() -> float:
    """The resampler's largest per-phase sum of |taps| (scipy's resample_poly filter for 4x):
    no interpolated value exceeds this times the largest input sample within its reach."""
    from scipy.signal import firwin

    half = 10 * OVERSAMPLE
    h = firwin(2 * half + 1, 1.0 / OVERSAMPLE, window=("kaiser", 5.0)) * OVERSAMPLE
    return float(max(np.abs(h[p::OVERSAMPLE]).sum() for p in range(OVERSAMPLE))) * 1.001

"""Interaural cues of a stereo/binaural signal: ILD, ITD (GCC-PHAT), IACC, per window.

Why here: these are measurements of a signal, not scores; the metrics summarise them and
the spatial-alignment metric inverts them through `dsp.panning`, so they live below both.

Conventions: ILD = 10 log10(E_right / E_left) dB (positive = right louder); ITD in ms is
positive when the RIGHT channel leads (the left lags), i.e. a source on the right; IACC is the
maximum absolute normalised cross-correlation within +-1 ms. ITD uses GCC-PHAT (whitened
cross-spectrum, robust to colouration) with 8x interpolated lags.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["stereo_pair", "ild_db", "gcc_phat", "iacc", "InterauralWindows", "frame_pairs", "active_windows",
           "interaural_windows"]

_EPS = 1e-12


def stereo_pair(audio: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(left, right) float64 of (2, N) audio; ValueError for any other shape."""
    a = np.asarray(audio, np.float64)
    if a.ndim != 2 or a.shape[0] != 2:
        raise ValueError(f"interaural cues need (2, N) audio, got shape {a.shape}")
    return a[0], a[1]


def ild_db(left: np.ndarray, right: np.ndarray, axis: int = -1) -> np.ndarray | float:
    """10 log10 of the right/left energy ratio."""
    el = np.sum(np.square(left, dtype=np.float64), axis=axis) + _EPS
    er = np.sum(np.square(right, dtype=np.float64), axis=axis) + _EPS
    return 10.0 * np.log10(er / el)


def _xcorr(left: np.ndarray, right: np.ndarray, sr: int, max_lag_s: float, phat: bool,
           upsample: int) -> tuple[np.ndarray, np.ndarray]:
    """Cross-correlation c[k] = sum L[n + k] R[n] for |k| <= max lag, batched on the last axis.

    The plain correlation (no PHAT, no upsampling) is exact for those lags with padding to
    n + max lag + 1 (the circular wrap-around lands beyond them): half the FFT size of 2n.
    GCC-PHAT's whitening and the interpolated lags depend on the padding: 2n, as measured."""
    n = left.shape[-1]
    max_lag = int(np.ceil(max_lag_s * sr * upsample))
    size = 2 * n if phat or upsample != 1 else max(n + max_lag + 1, 2 * max_lag + 1)
    nfft = 1 << int(np.ceil(np.log2(max(size, 2))))
    fl = np.fft.rfft(left, nfft)
    fr = np.fft.rfft(right, nfft)
    cross = fl * np.conj(fr)
    if phat:
        cross = cross / (np.abs(cross) + _EPS)
    cc = np.fft.irfft(cross, nfft * upsample) * upsample
    cc = np.concatenate([cc[..., -max_lag:], cc[..., : max_lag + 1]], axis=-1)
    lags = np.arange(-max_lag, max_lag + 1) / float(sr * upsample)
    return lags, cc


_LONG = 1 << 22  # samples (87 s at 48 kHz): longer 1-D signals are correlated segment by segment
_SEGMENT = 1 << 20


def _segmented_xcorr(left: np.ndarray, right: np.ndarray, sr: int, max_lag_s: float, phat: bool,
                     upsample: int) -> tuple[np.ndarray, np.ndarray]:
    """`_xcorr` of a long pair as the sum over 2^20-sample segments (Welch-style): plain
    correlations add up exactly but for the few lags that straddle a segment edge; with PHAT
    each segment is whitened on its own. Memory stays at one segment's FFTs, not gigabytes."""
    total = None
    for i in range(0, left.shape[-1], _SEGMENT):
        seg_l = np.asarray(left[i:i + _SEGMENT], np.float64)
        seg_r = np.asarray(right[i:i + _SEGMENT], np.float64)
        lags, cc = _xcorr(seg_l, seg_r, sr, max_lag_s, phat, upsample)
        total = cc if total is None else total + cc
    return lags, total


def gcc_phat(left: np.ndarray, right: np.ndarray, sr: int, max_lag_s: float = 1e-3,
             upsample: int = 8) -> np.ndarray | float:
    """ITD (seconds, + = right leads) from the GCC-PHAT peak within +-max_lag_s; 0 where a
    channel is silent (no peak to read: argmax of a flat correlation would say -max_lag_s).
    A 1-D pair longer than `_LONG` samples is correlated segment by segment."""
    if np.ndim(left) == 1 and np.shape(left)[0] > _LONG:
        lags, cc = _segmented_xcorr(left, right, sr, max_lag_s, True, upsample)
    else:
        lags, cc = _xcorr(np.asarray(left, np.float64), np.asarray(right, np.float64), sr, max_lag_s, True, upsample)
    itd = np.where(np.ptp(cc, axis=-1) > 0, lags[np.argmax(cc, axis=-1)], 0.0)
    return float(itd) if itd.ndim == 0 else itd


def iacc(left: np.ndarray, right: np.ndarray, sr: int, max_lag_s: float = 1e-3) -> np.ndarray | float:
    """Max |normalised cross-correlation| within +-max_lag_s (1 = identical up to a delay).
    A 1-D pair (a whole take) is correlated directly, lag by lag, a block at a time: exact at
    any length and faster than its FFT (a few dozen lags), in bounded memory."""
    if np.ndim(left) == 1:
        max_lag = int(np.ceil(max_lag_s * sr))
        cc, el, er = _lagged_dots(left, right, max_lag)
        return float(np.max(np.abs(cc)) / (np.sqrt(el * er) + _EPS))
    left = np.asarray(left, np.float64)
    right = np.asarray(right, np.float64)
    _, cc = _xcorr(left, right, sr, max_lag_s, False, 1)
    norm = np.sqrt(np.sum(left ** 2, axis=-1) * np.sum(right ** 2, axis=-1)) + _EPS
    return np.max(np.abs(cc), axis=-1) / norm


_DOT_BLOCK = 1 << 16  # samples of the right channel per block of `_lagged_dots` (stays in cache)


def _lagged_dots(left: np.ndarray, right: np.ndarray, max_lag: int) -> tuple[np.ndarray, float, float]:
    """(c[k] = sum L[m + k] R[m] for k = -max_lag..max_lag, sum L^2, sum R^2) of a 1-D pair
    (arrays or anything sliced), as float64 dot products a block at a time."""
    n = min(len(left), len(right))
    cc = np.zeros(2 * max_lag + 1)
    el = er = 0.0
    for a in range(0, n, _DOT_BLOCK):
        b = min(n, a + _DOT_BLOCK)
        lo, hi = max(0, a - max_lag), min(n, b + max_lag)
        ls = np.asarray(left[lo:hi], np.float64)
        rs = np.asarray(right[a:b], np.float64)
        el += float(np.dot(ls[a - lo:b - lo], ls[a - lo:b - lo]))
        er += float(np.dot(rs, rs))
        for j, k in enumerate(range(-max_lag, max_lag + 1)):
            m0, m1 = max(a, -k), min(b, n - k)  # R[m] with L[m + k] inside the signal
            if m1 > m0:
                cc[j] += np.dot(ls[m0 + k - lo:m1 + k - lo], rs[m0 - a:m1 - a])
    return cc, el, er


@dataclass
class InterauralWindows:
    """Per-window cues; `active` marks windows loud enough to mean anything."""

    times: np.ndarray  # window centres (s)
    ild_db: np.ndarray
    itd_ms: np.ndarray
    iacc: np.ndarray
    level_db: np.ndarray  # window RMS (dBFS, both channels)
    active: np.ndarray


def frame_pairs(audio: np.ndarray, sr: int, window_s: float = 0.1) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Non-overlapping windows: (left (W, L), right (W, L), centre times (W,)); tail dropped
    unless it is at least half a window (then zero-padded)."""
    left, right = stereo_pair(audio)
    size = max(1, int(round(window_s * sr)))
    n = left.shape[-1]
    count = n // size + (1 if n % size >= size // 2 and n % size > 0 else 0)
    total = count * size
    pl = np.zeros(total)
    pr = np.zeros(total)
    m = min(n, total)
    pl[:m], pr[:m] = left[:m], right[:m]
    times = (np.arange(count) + 0.5) * size / float(sr)
    return pl.reshape(count, size), pr.reshape(count, size), times


def active_windows(level_db: np.ndarray, active_db: float = -40.0, floor_dbfs: float = -80.0) -> np.ndarray:
    """Windows within `active_db` of the loudest one and above an absolute floor."""
    if level_db.size == 0:
        return np.zeros(0, bool)
    return (level_db >= np.max(level_db) + active_db) & (level_db > floor_dbfs)


def interaural_windows(audio: np.ndarray, sr: int, window_s: float = 0.1,
                       active_db: float = -40.0, batch: int = 128) -> InterauralWindows:
    """ILD, ITD and IACC per `window_s` window (SpatialV2A-style cues over time).

    Windows are measured `batch` at a time (the same numbers): the batched FFTs of a whole
    10-minute take at once would need gigabytes."""
    a = np.asarray(audio)
    if a.ndim != 2 or a.shape[0] != 2:
        raise ValueError(f"interaural cues need (2, N) audio, got shape {a.shape}")
    size = max(1, int(round(window_s * sr)))
    n = a.shape[-1]
    count = n // size + (1 if n % size >= size // 2 and n % size > 0 else 0)
    if count == 0:
        z = np.zeros(0)
        return InterauralWindows(z, z, z, z, z, np.zeros(0, bool))
    times = (np.arange(count) + 0.5) * size / float(sr)
    parts: list[tuple[np.ndarray, ...]] = []
    for w0 in range(0, count, batch):
        w1 = min(count, w0 + batch)
        wl, wr, _ = frame_pairs(a[:, w0 * size:w1 * size], sr, window_s)
        energy = (np.sum(wl ** 2, axis=1) + np.sum(wr ** 2, axis=1)) / (2 * wl.shape[1])
        parts.append((ild_db(wl, wr), gcc_phat(wl, wr, sr) * 1e3, iacc(wl, wr, sr), 10 * np.log10(energy + _EPS)))
    ild, itd, ia, level = (np.concatenate([np.atleast_1d(p[i]) for p in parts]) for i in range(4))
    return InterauralWindows(times, ild, itd, ia, level, active_windows(level, active_db))

"""Short-time spectra and what is measured on them: noise floor, onset rise, voicing.

Why here: the footstep guide analysis separates steps from speech, music and room tone on
these measures, and a performed envelope or a metric may want the same ones; they are
signal measurements, so they live in the signal layer, written once, numpy only (a few
milliseconds per second of audio: the guide analysis must run far faster than real time).

Conventions: spectra are (bins, frames), frames centred on t = frame * hop / sr (the signal
zero-padded by n_fft / 2 at both ends), periodic Hann window; `istft` inverts `stft`
exactly (weighted overlap-add).
"""

from __future__ import annotations

import functools

import numpy as np
from scipy.ndimage import maximum_filter1d

FFT_WORKERS = 2  # threads per FFT call (scipy.fft): the machines this runs on have two cores or more

__all__ = ["stft", "istft", "low_quantile", "noise_floor", "onset_rise", "band_rise", "voicing"]


@functools.lru_cache(maxsize=8)
def _window(n_fft: int) -> np.ndarray:
    w = (0.5 - 0.5 * np.cos(2.0 * np.pi * np.arange(n_fft) / n_fft)).astype(np.float32)
    w.flags.writeable = False
    return w


def stft(x: np.ndarray, n_fft: int, hop: int) -> np.ndarray:
    """Complex64 spectrum (n_fft // 2 + 1, frames) of mono `x`, frames centred on k * hop."""
    import scipy.fft

    y = np.pad(np.asarray(x, np.float32).reshape(-1), n_fft // 2)
    n_frames = 1 + max(0, len(y) - n_fft) // hop
    frames = np.lib.stride_tricks.sliding_window_view(y, n_fft)[::hop][:n_frames]
    return scipy.fft.rfft(frames * _window(n_fft), axis=1, workers=FFT_WORKERS).T


def istft(spec: np.ndarray, n_fft: int, hop: int, length: int) -> np.ndarray:
    """The signal (float32, `length` samples) whose `stft` is `spec` (weighted overlap-add)."""
    import scipy.fft

    frames = scipy.fft.irfft(np.asarray(spec, np.complex64).T, n_fft, axis=1, workers=FFT_WORKERS) * _window(n_fft)
    n_frames = frames.shape[0]
    n = (n_frames - 1) * hop + n_fft
    out = np.zeros(n + n_fft, np.float32)
    stride = -(-n_fft // hop)  # frames r, r + stride, ... do not overlap: add each such set in one go
    for r in range(stride):
        sel = frames[r::stride]
        if len(sel) == 0:
            continue
        seg = out[r * hop:r * hop + len(sel) * stride * hop].reshape(len(sel), stride * hop)
        seg[:, :n_fft] += sel
    w2 = _window(n_fft) ** 2
    norm = np.zeros(n + n_fft, np.float32)
    for r in range(stride):
        count = len(range(r, n_frames, stride))
        if count:
            norm[r * hop:r * hop + count * stride * hop].reshape(count, stride * hop)[:, :n_fft] += w2
    out /= np.maximum(norm, 1e-8)
    pad = n_fft // 2
    res = out[pad:pad + length]
    return np.pad(res, (0, max(0, length - len(res)))).astype(np.float32)


def low_quantile(a: np.ndarray, q: float, axis: int = 0) -> np.ndarray:
    """The q-quantile (0..1) along `axis`, as the nearest order statistic (one partition: a
    few times cheaper than np.quantile on the large spectra this runs on)."""
    n = a.shape[axis]
    k = min(n - 1, max(0, int(round(q * (n - 1)))))
    return np.take(np.partition(a, k, axis=axis), k, axis=axis)


def _low(p: np.ndarray, q: float) -> np.ndarray:
    """Per row, about the q-th percentile (every 8th column: the floor is slow)."""
    return low_quantile(p[:, ::8] if p.shape[1] >= 128 else p, q / 100.0, axis=1)


def noise_floor(power: np.ndarray, q: float = 10.0, block: int = 1024) -> np.ndarray:
    """Per-bin stationary floor (bins, frames): the q-th percentile over time in blocks of
    `block` frames (several seconds), interpolated between block centres, so room tone and
    hum that drift slowly are followed while a step, a word or a note is not."""
    p = np.asarray(power)
    n = p.shape[1]
    if n <= block:
        return np.broadcast_to(_low(p, q)[:, None], p.shape)
    starts = np.arange(0, n, block // 2)
    centres, values = [], []
    for s in starts:
        seg = p[:, max(0, s - block // 2):min(n, s + block // 2)]
        centres.append(min(n - 1, s))
        values.append(_low(seg, q))
    v = np.stack(values, axis=1)
    c = np.asarray(centres, np.float64)
    t = np.arange(n)
    j = np.clip(np.searchsorted(c, t) - 1, 0, len(c) - 2)
    f = np.clip((t - c[j]) / np.maximum(c[j + 1] - c[j], 1), 0.0, 1.0)
    return v[:, j] * (1 - f) + v[:, j + 1] * f


def onset_rise(power: np.ndarray, lag: int, cap_db: float = 30.0) -> np.ndarray:
    """Per bin and frame: how many dB the power rises above the loudest of the previous
    `lag` frames (0 where it does not rise, at most `cap_db`)."""
    level = np.log10(np.asarray(power, np.float32) + np.float32(1e-12))
    level *= np.float32(10.0)
    prev = maximum_filter1d(level, size=max(1, lag), axis=1, origin=(max(1, lag) - 1) // 2)
    prev = np.concatenate([np.full((level.shape[0], 1), -120.0, np.float32), prev[:, :-1]], axis=1)
    return np.clip(level - prev, 0.0, cap_db)


def band_rise(rise: np.ndarray, freqs: np.ndarray, edges: tuple[float, ...], rank: int = 2,
              quantile: float | None = None) -> np.ndarray:
    """Per frame: the `rank`-th largest band rise (bands between `edges`, Hz), a band's rise
    being the mean over its bins, or their `quantile` (0.7: most of the band rises).

    An impact rises across a whole band at once, while a harmonic sound lifts a few bins of
    it; a higher rank asks several bands to rise together."""
    bands = [rise[(freqs >= a) & (freqs < b)] for a, b in zip(edges[:-1], edges[1:])]
    bands = [b for b in bands if len(b)]
    means = np.stack([b.mean(axis=0) if quantile is None else low_quantile(b, quantile) for b in bands])
    means.sort(axis=0)
    return means[-min(rank, len(means))]


def voicing(power: np.ndarray, sr: int, fmin: float = 70.0, fmax: float = 500.0) -> np.ndarray:
    """Per frame 0..1: the normalised autocorrelation peak at a pitch lag (1/fmax .. 1/fmin s),
    read off the power spectrum (Wiener-Khinchin). Voiced speech and notes are periodic
    (0.5-1); footsteps, scuffs and room tone are noise (below 0.3)."""
    p = np.asarray(power, np.float64)
    n_fft = 2 * (p.shape[0] - 1)
    ac = np.fft.irfft(p, n_fft, axis=0)
    lo, hi = max(1, int(sr / fmax)), min(n_fft // 2, int(sr / fmin) + 1)
    if hi <= lo:
        return np.zeros(p.shape[1])
    win_ac = np.fft.irfft(np.abs(np.fft.rfft(_window(n_fft).astype(np.float64))) ** 2, n_fft)
    norm = win_ac[lo:hi, None] / win_ac[0]  # the window's own taper of the autocorrelation
    r = ac[lo:hi] / np.maximum(ac[0:1], 1e-20) / np.maximum(norm, 1e-3)
    return np.clip(r.max(axis=0), 0.0, 1.0)

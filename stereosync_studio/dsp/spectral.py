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

__all__ = ["stft", "stft_range", "n_frames", "istft", "overlap_add", "wola_norm", "low_quantile", "noise_floor",
           "floor_columns", "floor_anchors", "floor_at", "onset_rise", "band_rise", "voicing", "pow2_length"]


@functools.lru_cache(maxsize=8)
def _window(n_fft: int) -> np.ndarray:
    w = (0.5 - 0.5 * np.cos(2.0 * np.pi * np.arange(n_fft) / n_fft)).astype(np.float32)
    w.flags.writeable = False
    return w


def stft(x: np.ndarray, n_fft: int, hop: int) -> np.ndarray:
    """Complex64 spectrum (n_fft // 2 + 1, frames) of mono `x`, frames centred on k * hop."""
    x = np.asarray(x, np.float32).reshape(-1)
    return stft_range(x, n_fft, hop, 0, n_frames(len(x), n_fft, hop))


def pow2_length(seconds: float, sr: int) -> int:
    """The power of two nearest `seconds` of samples at `sr` (at least 64): an FFT size."""
    return 1 << max(6, int(round(np.log2(max(seconds * sr, 64)))))


def n_frames(n_samples: int, n_fft: int, hop: int) -> int:
    """How many frames `stft` gives for `n_samples` samples."""
    return 1 + max(0, int(n_samples) + 2 * (n_fft // 2) - n_fft) // hop


def stft_range(x: np.ndarray, n_fft: int, hop: int, k0: int, k1: int, step: int = 1) -> np.ndarray:
    """Frames k0, k0 + step, ... (< k1) of `stft(x, n_fft, hop)`, the same numbers, computed
    from the samples those frames cover only: a long clip is analysed a block at a time and
    no whole-clip spectrum is ever held."""
    import scipy.fft

    x = np.asarray(x, np.float32).reshape(-1)
    k1 = min(int(k1), n_frames(len(x), n_fft, hop))
    count = len(range(int(k0), k1, step))
    if count <= 0:
        return np.zeros((n_fft // 2 + 1, 0), np.complex64)
    a = int(k0) * hop - n_fft // 2
    b = (int(k0) + (count - 1) * step) * hop - n_fft // 2 + n_fft
    seg = np.zeros(b - a, np.float32)
    lo, hi = max(a, 0), min(b, len(x))
    if hi > lo:
        seg[lo - a:hi - a] = x[lo:hi]
    frames = np.lib.stride_tricks.sliding_window_view(seg, n_fft)[::hop * step][:count]
    return scipy.fft.rfft(frames * _window(n_fft), axis=1, workers=FFT_WORKERS).T


def overlap_add(spec: np.ndarray, k0: int, n_fft: int, hop: int, out: np.ndarray) -> None:
    """Add the windowed inverse of frames k0, k0 + 1, ... (`spec`, bins x frames) into `out`,
    the signal padded by n_fft // 2 as `stft` pads it (see `wola_norm`)."""
    import scipy.fft

    if spec.shape[1] == 0:
        return
    frames = scipy.fft.irfft(np.asarray(spec, np.complex64).T, n_fft, axis=1, workers=FFT_WORKERS) * _window(n_fft)
    _add_frames(out, frames, int(k0) * hop, n_fft, hop)


def _add_frames(out: np.ndarray, frames: np.ndarray, start: int, n_fft: int, hop: int) -> None:
    """out[start + j * hop: + n_fft] += frames[j], for all j (sets of frames that do not overlap at once)."""
    stride = -(-n_fft // hop)
    for r in range(stride):
        sel = frames[r::stride]
        if len(sel) == 0:
            continue
        s0 = start + r * hop
        seg = out[s0:s0 + len(sel) * stride * hop]
        if len(seg) < len(sel) * stride * hop:
            seg = np.zeros(len(sel) * stride * hop, out.dtype)
            seg[:len(out) - s0] = out[s0:]
            seg.reshape(len(sel), stride * hop)[:, :n_fft] += sel
            out[s0:] = seg[:len(out) - s0]
            continue
        seg.reshape(len(sel), stride * hop)[:, :n_fft] += sel


def wola_norm(frames_total: int, n_fft: int, hop: int) -> np.ndarray:
    """The summed squared windows of `frames_total` frames (padded coordinates, as `overlap_add`)."""
    norm = np.zeros((frames_total - 1) * hop + 2 * n_fft, np.float32)
    w2 = _window(n_fft) ** 2
    _add_frames(norm, np.broadcast_to(w2, (frames_total, n_fft)), 0, n_fft, hop)
    return norm


def istft(spec: np.ndarray, n_fft: int, hop: int, length: int) -> np.ndarray:
    """The signal (float32, `length` samples) whose `stft` is `spec` (weighted overlap-add)."""
    total = spec.shape[1]
    out = np.zeros(max(0, total - 1) * hop + 2 * n_fft, np.float32)
    overlap_add(spec, 0, n_fft, hop, out)
    out /= np.maximum(wola_norm(max(total, 1), n_fft, hop)[:len(out)], 1e-8)
    pad = n_fft // 2
    res = out[pad:pad + length]
    return np.pad(res, (0, max(0, length - len(res)))).astype(np.float32)


def low_quantile(a: np.ndarray, q: float, axis: int = 0) -> np.ndarray:
    """The q-quantile (0..1) along `axis`, as the nearest order statistic (one partition: a
    few times cheaper than np.quantile on the large spectra this runs on)."""
    n = a.shape[axis]
    k = min(n - 1, max(0, int(round(q * (n - 1)))))
    return np.take(np.partition(a, k, axis=axis), k, axis=axis)


def floor_columns(frames_total: int) -> np.ndarray:
    """The frames the stationary floor is read from (every 8th: the floor is slow)."""
    return np.arange(0, frames_total, 8) if frames_total >= 128 else np.arange(frames_total)


def floor_anchors(cols_power: np.ndarray, frames_total: int, q: float = 10.0,
                  block: int = 1024) -> tuple[np.ndarray, np.ndarray]:
    """(centres, values (bins, anchors)) of the floor from the power at `floor_columns`: the
    q-th percentile over time in blocks of `block` frames (several seconds), every half block."""
    cols = floor_columns(frames_total)
    p = np.asarray(cols_power)
    if frames_total <= block:
        return np.zeros(1), low_quantile(p, q / 100.0, axis=1)[:, None]
    centres, values = [], []
    for s in range(0, frames_total, block // 2):
        a, b = np.searchsorted(cols, [max(0, s - block // 2), min(frames_total, s + block // 2)])
        centres.append(min(frames_total - 1, s))
        values.append(low_quantile(p[:, a:b], q / 100.0, axis=1))
    return np.asarray(centres, np.float64), np.stack(values, axis=1)


def floor_at(centres: np.ndarray, values: np.ndarray, frames: np.ndarray) -> np.ndarray:
    """The floor (bins, len(frames)) at `frames`, interpolated between the anchors' centres."""
    t = np.asarray(frames)
    if len(centres) == 1:
        return np.broadcast_to(values[:, :1], (values.shape[0], len(t)))
    c = centres
    j = np.clip(np.searchsorted(c, t) - 1, 0, len(c) - 2)
    f = np.clip((t - c[j]) / np.maximum(c[j + 1] - c[j], 1), 0.0, 1.0).astype(values.dtype)
    return values[:, j] * (1 - f) + values[:, j + 1] * f


def noise_floor(power: np.ndarray, q: float = 10.0, block: int = 1024) -> np.ndarray:
    """Per-bin stationary floor (bins, frames): the q-th percentile over time in blocks of
    `block` frames (several seconds), interpolated between block centres, so room tone and
    hum that drift slowly are followed while a step, a word or a note is not."""
    p = np.asarray(power)
    n = p.shape[1]
    centres, values = floor_anchors(p[:, floor_columns(n)], n, q, block)
    return floor_at(centres, values, np.arange(n))


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

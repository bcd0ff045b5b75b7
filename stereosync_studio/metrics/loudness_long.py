"""BS.1770 loudness of long takes in bounded memory (same gating and windows as `loudness`).

Why: pyloudnorm holds several float64 copies of the whole take; for a 10-minute take that is
gigabytes. Here the K-weighting runs chunk by chunk with its filter state carried over (the
same recursion) and energies are kept per 100 ms (the gating step and the short-term hop).
`loudness` uses this beyond `LONG_S` seconds when 100 ms is a whole number of samples. (The
true peak is measured in bounded memory by `dsp.true_peak`.)
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["LONG_S", "applies", "integrated_lufs_long", "short_term_max_long"]

LONG_S = 60.0
_CHUNK = 1 << 20


def applies(n_samples: int, sample_rate: int) -> bool:
    return n_samples > LONG_S * sample_rate and int(sample_rate) % 10 == 0


def _step_energies(a: np.ndarray, sample_rate: int) -> np.ndarray:
    """(channels, steps): sum of squares of the K-weighted signal per 100 ms (last step partial)."""
    import pyloudnorm
    from scipy.signal import lfilter, lfilter_zi

    meter = pyloudnorm.Meter(int(sample_rate))
    stages = list(meter._filters.values())
    step = int(sample_rate) // 10
    n = a.shape[1]
    out = np.zeros((a.shape[0], -(-n // step)))
    for c in range(a.shape[0]):
        zi = [lfilter_zi(f.b, f.a) * 0.0 for f in stages]
        for i0 in range(0, n, _CHUNK):  # _CHUNK is a multiple of nothing in particular: carry the tail
            x = np.asarray(a[c, i0:i0 + _CHUNK], np.float64)
            for k, f in enumerate(stages):
                x, zi[k] = lfilter(f.b, f.a, x, zi=zi[k])
                x = f.passband_gain * x
            sq = x * x
            pos = i0
            while pos < i0 + len(sq):  # add into the 100 ms steps this chunk covers
                s = pos // step
                end = min((s + 1) * step, i0 + len(sq))
                out[c, s] += float(np.sum(sq[pos - i0:end - i0]))
                pos = end
    return out


def integrated_lufs_long(a: np.ndarray, sample_rate: int) -> float:
    """pyloudnorm's gated integrated loudness (400 ms blocks, 75 % overlap), from 100 ms steps."""
    e = _step_energies(a, sample_rate)
    n = a.shape[1]
    blocks = int(np.round((n / sample_rate - 0.4) / 0.1)) + 1
    padded = np.concatenate([e, np.zeros((e.shape[0], 4))], axis=1)
    z = sum(padded[:, j:j + blocks] for j in range(4)) / (0.4 * sample_rate)
    with np.errstate(divide="ignore"):
        loud = -0.691 + 10.0 * np.log10(np.sum(z, axis=0))
    gated = loud >= -70.0
    if not gated.any():
        return -math.inf
    rel = -0.691 + 10.0 * math.log10(float(np.sum(z[:, gated].mean(axis=1)))) - 10.0
    keep = (loud > rel) & (loud > -70.0)
    if not keep.any():
        return -math.inf
    return -0.691 + 10.0 * math.log10(float(np.sum(z[:, keep].mean(axis=1))))


def short_term_max_long(a: np.ndarray, sample_rate: int) -> float:
    """The loudest 3 s window (ungated, 100 ms hop), from 100 ms steps."""
    e = _step_energies(a, sample_rate)
    win_steps = 30
    n = a.shape[1]
    count = (n - 3 * int(sample_rate)) // (int(sample_rate) // 10) + 1
    if count <= 0:
        return -math.inf
    cum = np.concatenate([np.zeros((e.shape[0], 1)), np.cumsum(e, axis=1)], axis=1)
    sums = cum[:, win_steps:win_steps + count] - cum[:, :count]
    total = float(np.max(np.sum(sums, axis=0))) / (3 * int(sample_rate))
    return -0.691 + 10.0 * math.log10(total) if total > 0 else -math.inf


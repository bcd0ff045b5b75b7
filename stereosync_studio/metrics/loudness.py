"""Delivery loudness (ITU-R BS.1770-4 / EBU R128): integrated, maximum short-term, true peak.

Why here: a take is delivered against a loudness spec (EBU R128 -23 LUFS, ATSC A/85 -24, web
-16/-14) that designers otherwise measure in another tool. The K-weighting and gating are the
kept library's (pyloudnorm); the short-term loudness reuses its K-weighting filters on sliding
3 s windows (every 100 ms), and the true peak is `dsp.true_peak`'s (BS.1770-4 Annex 2: the
4x oversampled signal, measured chunk by chunk), the figure the limiter holds takes to.
"""

from __future__ import annotations

import math

import numpy as np

from ..dsp import true_peak as _tp
from . import loudness_long as _long

__all__ = ["FLOOR_LUFS", "LoudnessReport", "integrated_lufs", "loudness_report", "short_term_max", "true_peak_dbtp"]

FLOOR_LUFS = -70.0  # the absolute gate: below this a take counts as silent
SHORT_TERM_S, SHORT_TERM_HOP_S = 3.0, 0.1


class LoudnessReport(dict):
    """`lufs_integrated`, `lufs_short_term_max`, `true_peak_dbtp` (keys left out when silent)."""


def _channels(audio: np.ndarray) -> np.ndarray:
    a = np.asarray(audio, np.float64)
    return a[None, :] if a.ndim == 1 else a


def _meter(sample_rate: int, block: float = 0.4):
    import pyloudnorm

    return pyloudnorm.Meter(int(sample_rate), block_size=block)


def integrated_lufs(audio: np.ndarray, sample_rate: int) -> float:
    """Gated integrated loudness (LUFS) of (C, N) audio; -inf when silent or shorter than 0.4 s."""
    x = np.asarray(audio)
    x = x[None, :] if x.ndim == 1 else x  # as it is: a float64 copy only for a take short enough
    if x.shape[1] < int(0.4 * sample_rate) or not np.any(x):
        return -math.inf
    if _long.applies(x.shape[1], sample_rate):  # bounded memory, same gating
        return _long.integrated_lufs_long(x, sample_rate)
    return float(_meter(sample_rate).integrated_loudness(_channels(x).T))


def short_term_max(audio: np.ndarray, sample_rate: int) -> float:
    """The loudest 3 s window (LUFS, ungated, 100 ms hop; the whole take when shorter)."""
    if _long.applies(np.shape(audio)[-1], sample_rate):
        x = np.asarray(audio)
        return _long.short_term_max_long(x[None, :] if x.ndim == 1 else x, sample_rate)
    a = _channels(audio)
    meter = _meter(sample_rate)
    weighted = a
    for f in meter._filters.values():  # pyloudnorm's K-weighting stages (along the last axis: time)
        weighted = f.apply_filter(weighted)
    power = np.cumsum(np.concatenate([np.zeros((1, a.shape[0])), (weighted ** 2).T]), axis=0)
    win = min(int(SHORT_TERM_S * sample_rate), a.shape[1])
    if win <= 0:
        return -math.inf
    hop = max(1, int(SHORT_TERM_HOP_S * sample_rate))
    starts = np.arange(0, a.shape[1] - win + 1, hop)
    mean_sq = (power[starts + win] - power[starts]) / win  # (windows, channels); BS.1770 weights 1 for L/R
    total = float(np.max(np.sum(mean_sq, axis=1)))
    return -0.691 + 10.0 * math.log10(total) if total > 0 else -math.inf


def true_peak_dbtp(audio: np.ndarray, sample_rate: int) -> float:
    """True peak (dBTP): the largest magnitude of the 4x oversampled signal (any length, in
    bounded memory); -inf when silent. `sample_rate` is kept for the meter's one signature."""
    return _tp.true_peak_dbtp(audio)


def loudness_report(audio: np.ndarray, sample_rate: int) -> LoudnessReport:
    """The three figures the Takes table and `eval` show, as plain floats."""
    out = LoudnessReport()
    lufs = integrated_lufs(audio, sample_rate)
    if lufs > FLOOR_LUFS:
        out["lufs_integrated"] = lufs
    st = short_term_max(audio, sample_rate)
    if st > FLOOR_LUFS:
        out["lufs_short_term_max"] = st
    tp = true_peak_dbtp(audio, sample_rate)
    if math.isfinite(tp):
        out["true_peak_dbtp"] = tp
    return out

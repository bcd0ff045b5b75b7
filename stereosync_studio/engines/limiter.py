"""Look-ahead true-peak limiter for finished takes: never over -1 dBTP, never touch the interaural cues.

An envelope (drawn, or from loud guide audio) can ask for more than full scale once the pan
law and distance gain are applied; every engine ends its take here so what reaches a WAV file
stays at or below LIMIT_CEILING (-1 dBTP, EBU R128 / streaming delivery) without clipping.
The ceiling holds for the *true* peak (BS.1770-4 Annex 2: the 4x oversampled signal, as
`dsp.true_peak` measures it for the limiter and for `metrics.loudness` alike), because a take
whose samples stay under full scale can still swing above it between samples, and that clips
in a DAW or codec.

Cheap: the oversampled level is only computed where it can matter. A block (or a 256-sample
segment) whose samples and context stay under ceiling / L1 (the resampler's largest per-phase
sum of |taps|: no interpolated value there can pass the ceiling) is not oversampled; the
others are, in one batched resampling call per block. A 10-minute stereo take at 48 kHz with
every step over full scale limits in about 1 s on 2 cores (tests/bench/bench_true_peak_limiter_s18.py).

Bounded memory: the limiter's arithmetic (`_limit_pass`) works on float64 arrays of one block
and its reach (level, need, the running minimum and average), a few MB at a time; each block
sees the original samples of its reach on both sides, so the result is the same samples as one
pass over the whole take. The gain is exactly 1 away from true peaks over the target. A first
pass limits true peaks to MARGIN_DB under the ceiling; a second one (a check, as cheap) only
touches what the gain's interpolation left over the ceiling.
"""

from __future__ import annotations

import math

import numpy as np

from ..dsp.true_peak import CTX, l1_bound, peak_trace

__all__ = ["LIMIT_CEILING", "LIMIT_CEILING_DBTP", "LIMIT_HOLD", "LIMIT_LOOKAHEAD", "peak_limit"]

LIMIT_CEILING_DBTP = -1.0  # the takes' true peaks stay at or below -1 dBTP
LIMIT_CEILING = 10.0 ** (LIMIT_CEILING_DBTP / 20.0)
LIMIT_LOOKAHEAD = 0.005  # s: the limiter's gain falls this long before a peak (and rises as long)
LIMIT_HOLD = 0.05  # s: ... and holds this long after it before rising again
MARGIN_DB = 0.01  # a pass limits this far under the ceiling (interpolation of the gained signal)
PASSES = 3
BLOCK = 1 << 18  # samples limited at a time


def peak_limit(out: np.ndarray, sr: int, block: int = BLOCK, also: list[np.ndarray] | None = None,
               ceiling: float = LIMIT_CEILING) -> float:
    """Scale `out` (channels, n) in place so its true (4x) peak stays <= `ceiling`; the largest cut (dB).

    A look-ahead limiter with one gain for all channels (interaural cues untouched): the gain
    each sample needs, held over [-LIMIT_HOLD, +LIMIT_LOOKAHEAD] (a running minimum), then
    smoothed by a moving average no wider than the look-ahead, so it never exceeds the gain
    any sample in reach needs and it moves over milliseconds (no hard clipping, no clicks).
    `also`: float32 arrays of the same shape (e.g. a take's reverb stem) given the same gain,
    their true peaks held too. `block` samples at a time, each with its reach of context; the
    first pass limits true peaks over the target (MARGIN_DB under the ceiling), the next ones
    (verification) only those the gain's interpolation left over the ceiling."""
    arrays = [out] + list(also or [])
    target = ceiling * 10.0 ** (-MARGIN_DB / 20.0)
    worst, trigger = 0.0, target
    for _ in range(PASSES):
        cut = _sweep(arrays, sr, block, target, trigger)
        if cut is None:
            break
        worst += cut
        trigger = ceiling
    return worst


def _limit(out: np.ndarray, sr: int, also: list[np.ndarray] | None = None, ceiling: float = LIMIT_CEILING) -> float:
    """The limiter over all of `out` in one block (float64 work arrays the size of `out`):
    tests check that the block-wise limiter gives its samples."""
    return peak_limit(out, sr, max(1, out.shape[1]), also, ceiling)


def _sweep(arrays: list[np.ndarray], sr: int, block: int, target: float, trigger: float) -> float | None:
    """One pass over the take in blocks; its largest cut (dB), None when nothing changed."""
    n = arrays[0].shape[1]
    look, hold = max(1, int(LIMIT_LOOKAHEAD * sr)), max(1, int(LIMIT_HOLD * sr))
    reach = hold + 2 * look + 4 + CTX  # the minimum's window, the average's half width, the resampler
    quiet = trigger / l1_bound()
    block = max(block, reach)  # a block's left context is then the previous block's (kept in `before`)
    cut: float | None = None
    before: list[np.ndarray | None] = [None] * len(arrays)  # original samples before the block, if it changed
    for s in range(0, n, block):
        e = min(n, s + block)
        c0, c1 = max(0, s - reach), min(n, e + reach)
        if max(_peak(arr[:, c0:c1]) for arr in arrays) <= quiet:  # no true peak in reach can be over
            before = [None] * len(arrays)
            continue
        chunks = [arr[:, c0:c1].copy() if prev is None else
                  np.concatenate([prev[:, prev.shape[1] - (s - c0):], arr[:, s:c1]], axis=1)
                  for arr, prev in zip(arrays, before)]
        done = _limit_pass(chunks, sr, target, trigger, quiet)
        if done is None:
            before = [None] * len(arrays)
            continue
        before = [arr[:, max(0, e - reach):e].copy() for arr in arrays]
        for arr, chunk in zip(arrays, chunks):
            arr[:, s:e] = chunk[:, s - c0:e - c0]
        cut = max(cut or 0.0, done)
    return cut


def _peak(a: np.ndarray) -> float:
    return max(float(a.max()), -float(a.min())) if a.size else 0.0


def _limit_pass(arrays: list[np.ndarray], sr: int, target: float, trigger: float, quiet: float) -> float | None:
    """The limiter over all of `arrays` (one gain) in place, for true peaks over `trigger`
    (brought to `target`); its largest cut (dB), None when none is over."""
    from scipy.ndimage import minimum_filter1d, uniform_filter1d

    level = peak_trace(arrays, quiet)
    over = level > trigger
    if not over.any():
        return None
    need = np.ones_like(level)
    need[over] = np.minimum(1.0, target / level[over])
    look, hold = max(1, int(LIMIT_LOOKAHEAD * sr)), max(1, int(LIMIT_HOLD * sr))
    # window [i - hold, i + look]: size hold + look + 1 centred at i + (look - hold) / 2
    gain = minimum_filter1d(need, hold + look + 1, mode="nearest", origin=(hold - look) // 2)
    gain = uniform_filter1d(gain, 2 * (look // 2) + 1, mode="nearest")
    np.minimum(gain, need, out=gain)  # guards the average's rounding
    g32 = gain.astype(np.float32)[None, :]
    ceiling = target * 10.0 ** (MARGIN_DB / 20.0)
    for a in arrays:
        a *= g32
        np.clip(a, -ceiling, ceiling, out=a)  # float32 rounding only
    return float(-20.0 * math.log10(max(float(gain.min()), 1e-30)))


"""Look-ahead peak limiter for finished takes: never clip, never touch the interaural cues.

An envelope (drawn, or from loud guide audio) can ask for more than full scale once the pan
law and distance gain are applied; every engine ends its take here so what reaches a WAV file
stays below LIMIT_CEILING without hard clipping.

Bounded memory: the limiter's arithmetic (`_limit`) works on float64 arrays of the samples it
is given (level, need, the running minimum and average: 1 GB for a whole 10-minute take).
Only the samples within the limiter's reach of a sample over the ceiling change at all
(elsewhere the gain is exactly 1 and nothing is clipped), so `peak_limit` scans the take for
such samples and limits those stretches only, a block at a time with its reach of context on
both sides: the same samples as one pass over the whole take, a few MB at a time.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["LIMIT_CEILING", "LIMIT_HOLD", "LIMIT_LOOKAHEAD", "peak_limit"]

LIMIT_CEILING = 10.0 ** (-0.3 / 20.0)  # the take's peaks stay below -0.3 dBFS
LIMIT_LOOKAHEAD = 0.005  # s: the limiter's gain falls this long before a peak (and rises as long)
LIMIT_HOLD = 0.05  # s: ... and holds this long after it before rising again
SCAN = 1 << 16  # samples per block when looking for peaks over the ceiling
BLOCK = 1 << 18  # samples limited at a time


def peak_limit(out: np.ndarray, sr: int, block: int = BLOCK) -> float:
    """Scale `out` (channels, n) in place so no sample exceeds LIMIT_CEILING; the largest cut (dB).

    A look-ahead peak limiter with one gain for all channels (interaural cues untouched): the
    gain each sample needs, held over [-LIMIT_HOLD, +LIMIT_LOOKAHEAD] (a running minimum), then
    smoothed by a moving average no wider than the look-ahead, so it never exceeds the gain
    any sample in reach needs and it moves over milliseconds (no hard clipping, no clicks).
    Run on the stretches near peaks over the ceiling, `block` samples at a time."""
    n = out.shape[1]
    look, hold = max(1, int(LIMIT_LOOKAHEAD * sr)), max(1, int(LIMIT_HOLD * sr))
    reach = hold + 2 * look + 4  # the running minimum's window plus the average's half width
    worst = 0.0
    for a, b in _hot_ranges(out, reach):  # [a, b) limited in blocks, each seeing `reach` of the original around it
        before = None  # the original samples just before the next block (the previous block is written already)
        for s in range(a, b, block):
            e = min(b, s + block)
            c0, c1 = max(0, s - reach), min(n, e + reach)
            if before is None:
                chunk = out[:, c0:c1].copy()
            else:
                chunk = np.concatenate([before[:, before.shape[1] - (s - c0):], out[:, s:c1]], axis=1)
            before = out[:, max(0, e - reach):e].copy()
            worst = max(worst, _limit(chunk, sr))
            out[:, s:e] = chunk[:, s - c0:e - c0]
    return worst


def _limit(out: np.ndarray, sr: int) -> float:
    """The limiter over all of `out` at once, in place (float64 work arrays the size of `out`)."""
    from scipy.ndimage import minimum_filter1d, uniform_filter1d

    level = np.max(np.abs(out), axis=0).astype(np.float64)
    need = np.minimum(1.0, LIMIT_CEILING / np.maximum(level, 1e-30))
    look, hold = max(1, int(LIMIT_LOOKAHEAD * sr)), max(1, int(LIMIT_HOLD * sr))
    # window [i - hold, i + look]: size hold + look + 1 centred at i + (look - hold) / 2
    gain = minimum_filter1d(need, hold + look + 1, mode="nearest", origin=(hold - look) // 2)
    gain = uniform_filter1d(gain, 2 * (look // 2) + 1, mode="nearest")
    np.minimum(gain, need, out=gain)  # guards the average's rounding
    out *= gain.astype(np.float32)[None, :]
    np.clip(out, -LIMIT_CEILING, LIMIT_CEILING, out=out)  # float32 rounding only
    return float(-20.0 * math.log10(max(float(gain.min()), 1e-30)))


def _hot_ranges(out: np.ndarray, reach: int) -> list[tuple[int, int]]:
    """Sample ranges within `reach` of a sample over LIMIT_CEILING, merged, in order."""
    n = out.shape[1]
    ranges: list[tuple[int, int]] = []
    for s in range(0, n, SCAN):
        blk = out[:, s:s + SCAN]
        if max(float(blk.max()), -float(blk.min())) <= LIMIT_CEILING:
            continue
        a, b = max(0, s - reach), min(n, s + blk.shape[1] + reach)
        if ranges and a <= ranges[-1][1]:
            ranges[-1] = (ranges[-1][0], b)
        else:
            ranges.append((a, b))
    return ranges

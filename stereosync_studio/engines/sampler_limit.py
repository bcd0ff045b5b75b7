"""The take's peak limiter run a block at a time: bounded memory on long takes.

Why: `limiter.peak_limit` works on float64 copies of the whole take (level, need, the running
minimum and average: four arrays of 8 bytes per sample, 1 GB for a 10-minute take). Only the
samples within the limiter's reach of a sample over the ceiling change at all (elsewhere the
gain is exactly 1 and nothing is clipped), so the take is scanned for such samples and the
limiter runs on those stretches only, a block at a time with its reach of context on both
sides: the same gains as one call on the whole take.
"""

from __future__ import annotations

import numpy as np

from .limiter import LIMIT_CEILING, LIMIT_HOLD, LIMIT_LOOKAHEAD, peak_limit

__all__ = ["peak_limit_blocks"]

SCAN = 1 << 16  # samples per block when looking for peaks over the ceiling
BLOCK = 1 << 18  # samples limited at a time


def peak_limit_blocks(out: np.ndarray, sr: int, block: int = BLOCK) -> float:
    """`limiter.peak_limit(out, sr)` (in place, the largest cut in dB), in bounded memory."""
    n = out.shape[1]
    look, hold = max(1, int(LIMIT_LOOKAHEAD * sr)), max(1, int(LIMIT_HOLD * sr))
    reach = hold + 2 * look + 4  # the running minimum's window plus the average's half width
    hot = _hot_ranges(out, reach)
    worst = 0.0
    for a, b in hot:  # the stretch [a, b) is limited in blocks; each block sees `reach` of the original around it
        before = None  # the original samples just before the next block (the previous block is written already)
        for s in range(a, b, block):
            e = min(b, s + block)
            c0, c1 = max(0, s - reach), min(n, e + reach)
            if before is None:
                chunk = out[:, c0:c1].copy()
            else:
                chunk = np.concatenate([before[:, before.shape[1] - (s - c0):], out[:, s:c1]], axis=1)
            before = out[:, max(0, e - reach):e].copy()
            worst = max(worst, peak_limit(chunk, sr))
            out[:, s:e] = chunk[:, s - c0:e - c0]
    return worst


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

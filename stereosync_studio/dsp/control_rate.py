"""Control-rate curves to audio rate: linear interpolation from a coarse grid to samples.

Why here: renderers compute gains, delays and azimuths every `hop` samples (cheap, smooth)
and need them per sample; the stereo renderer and the binaural head model both do this,
so the interpolation is written once, below both.
"""

from __future__ import annotations

import functools

import numpy as np

__all__ = ["upsample", "linear_ramps"]


def upsample(ctrl: np.ndarray, hop: int, n: int, out: np.ndarray | None = None) -> np.ndarray:
    """Linear interpolation from the control grid (positions k * hop) to n audio samples.

    `out`: an optional contiguous float32 array of n samples to write into (saves a large
    temporary)."""
    c = np.asarray(ctrl, np.float32)
    k = len(c) - 1
    if out is None:
        out = np.empty(n, np.float32)
    if k < 1:
        out[:] = c[0] if len(c) else 0.0
        return out
    full = min(k, n // hop)  # whole hops that fit in n
    body = out[: full * hop].reshape(full, hop)  # hop j: c[j] + (c[j + 1] - c[j]) * ramp, as one BLAS product
    coef = np.empty((full, 2), np.float32)
    coef[:, 0] = c[:full]
    np.subtract(c[1:full + 1], c[:full], out=coef[:, 1])
    np.matmul(coef, linear_ramps(hop), out=body)
    rest = n - full * hop
    if rest > 0:  # a partial last hop, or beyond the grid: keep interpolating, then hold
        j = np.arange(rest, dtype=np.float32) / np.float32(hop)
        last = c[full]
        nxt = c[full + 1] if full + 1 <= k else last
        out[full * hop:n] = np.where(j < 1.0, last + (nxt - last) * j, nxt)
    return out


@functools.lru_cache(maxsize=8)
def _ramp(hop: int) -> np.ndarray:
    return np.arange(hop, dtype=np.float32) / np.float32(hop)


@functools.lru_cache(maxsize=8)
def linear_ramps(hop: int) -> np.ndarray:
    """(2, hop) read-only rows [1, ramp]: a hop's interpolation is [c_j, c_j+1 - c_j] @ this."""
    out = np.stack([np.ones(hop, np.float32), _ramp(hop)])  # (2, hop): rows 1 and the ramp
    out.flags.writeable = False
    return out

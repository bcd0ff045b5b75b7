"""Look-ahead peak limiter for finished takes: never clip, never touch the interaural cues.

An envelope (drawn, or from loud guide audio) can ask for more than full scale once the pan
law and distance gain are applied; every engine ends its take here so what reaches a WAV file
stays below LIMIT_CEILING without hard clipping.
"""

from __future__ import annotations

import math

import numpy as np

LIMIT_CEILING = 10.0 ** (-0.3 / 20.0)  # the take's peaks stay below -0.3 dBFS
LIMIT_LOOKAHEAD = 0.005  # s: the limiter's gain falls this long before a peak (and rises as long)
LIMIT_HOLD = 0.05  # s: ... and holds this long after it before rising again


def peak_limit(out: np.ndarray, sr: int) -> float:
    """Scale `out` (channels, n) in place so no sample exceeds LIMIT_CEILING; the largest cut (dB).

    A look-ahead peak limiter with one gain for all channels (interaural cues untouched): the
    gain each sample needs, held over [-LIMIT_HOLD, +LIMIT_LOOKAHEAD] (a running minimum), then
    smoothed by a moving average no wider than the look-ahead, so it never exceeds the gain
    any sample in reach needs and it moves over milliseconds (no hard clipping, no clicks)."""
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

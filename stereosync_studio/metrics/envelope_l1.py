"""E-L1: how well a take follows the target loudness envelope (T-Foley / Stable-V2A).

The envelope (librosa RMS, 512 / 128 at 44.1 kHz) and the distance (Stable-V2A, Sec. V-C,
Eq. 11: (1/k) sum_i |r_i - r^_i| over the k target frames, no normalisation) are defined in
`dsp.rms`, shared with the engines and analysis; this module scores takes with them.
"""

from __future__ import annotations

import numpy as np

from ..core.envelope import Envelope
from ..dsp.rms import envelope_l1, rms_envelope, target_values

__all__ = ["e_l1", "e_l1_normalized", "e_l1_silence"]


def e_l1(audio: np.ndarray, sr: int, target: Envelope | np.ndarray, envelope: np.ndarray | None = None) -> float:
    """Mean |target - envelope(audio)| over the target's frames (take trimmed / zero-padded).

    `envelope`: `rms_envelope(audio, sr)` when the caller already measured it."""
    t = target_values(target)
    if not len(t):
        return 0.0
    return envelope_l1(rms_envelope(audio, sr) if envelope is None else envelope, t)


def e_l1_normalized(audio: np.ndarray, sr: int, target: Envelope | np.ndarray,
                    envelope: np.ndarray | None = None) -> float:
    """E-L1 after min-max normalising both envelopes to [0, 1] (level-independent variant).

    Stable-V2A (Sec. IV-C) makes its envelopes lie in [0, 1] by peak-normalising the audio to
    [-1, 1] before the RMS, and Eq. 11 (Sec. V-C) is then computed on those raw values. This
    variant instead min-max normalises each envelope, so a take that follows the shape at a
    different overall level scores well; use it to compare engines whose output level differs.
    A flat envelope normalises to all zeros.
    """
    t = target_values(target)
    if not len(t):
        return 0.0
    return envelope_l1(rms_envelope(audio, sr) if envelope is None else envelope, t, normalized=True)


def e_l1_silence(target: Envelope | np.ndarray) -> float:
    """E-L1 of a silent take: the mean of the target (the baseline any take must beat)."""
    t = target_values(target)
    return float(np.mean(np.abs(t))) if len(t) else 0.0

"""Loudness normalisation of delivered stems: a target in LUFS under a true-peak ceiling.

Why a job: it measures with `metrics.loudness` and changes audio, which metrics never do.
Footsteps have a large crest factor, so at web targets (-16/-14 LUFS) a plain gain would put
their peaks above the ceiling: the gain is followed by the engines' look-ahead limiter
(`engines.limiter`, on the 4x-oversampled true peaks), and gain and limiter are repeated
until the integrated loudness is within 0.05 LU of the target with the true peak at or below
the ceiling.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = ["LOUDNESS_TARGETS", "TRUE_PEAK_CEILING_DBTP", "Normalised", "loudness_target", "normalise_loudness"]

TRUE_PEAK_CEILING_DBTP = -1.0
# The Export dialog's choices: label -> integrated target (None: leave the level alone).
LOUDNESS_TARGETS: dict[str, float | None] = {
    "EBU R128 (-23 LUFS)": -23.0, "ATSC A/85 (-24 LUFS)": -24.0, "Web (-16 LUFS)": -16.0,
    "Streaming (-14 LUFS)": -14.0, "None": None,
}
TOLERANCE_LU = 0.03  # LU: meters differ by a few hundredths (pyloudnorm vs FFmpeg ebur128)


@dataclass
class Normalised:
    audio: np.ndarray
    gain_db: float  # the static gain applied
    limited_db: float  # the limiter's largest cut
    lufs: float  # integrated loudness after
    true_peak_dbtp: float
    note: str = ""


def loudness_target(value: float | str | None) -> float | None:
    """A dialog label, "none", or a number (LUFS, negative) -> the target, or None."""
    if value is None:
        return None
    if isinstance(value, str):
        if value in LOUDNESS_TARGETS:
            return LOUDNESS_TARGETS[value]
        if value.strip().lower() in ("", "none", "off"):
            return None
        value = float(value)
    target = float(value)
    if not math.isfinite(target) or not -60.0 <= target <= -5.0:
        raise ValueError(f"loudness target {target:g} LUFS is outside -60..-5")
    return target


def normalise_loudness(audio: np.ndarray, sample_rate: int, target_lufs: float,
                       ceiling_dbtp: float = TRUE_PEAK_CEILING_DBTP,
                       also: list[np.ndarray] | None = None) -> Normalised:
    """`audio` (C, N) at `target_lufs` integrated with true peaks <= `ceiling_dbtp`.

    `also`: float32 arrays of the same shape (parts of `audio`, e.g. its reverb) given the same
    gains in place, so the parts still sum to the result."""
    parts = list(also or [])
    from ..engines.limiter import peak_limit
    from ..metrics.loudness import FLOOR_LUFS, integrated_lufs, true_peak_dbtp

    y = np.asarray(audio, np.float32).copy()
    lufs = integrated_lufs(y, sample_rate)
    if not lufs > FLOOR_LUFS:
        return Normalised(y, 0.0, 0.0, lufs, true_peak_dbtp(y, sample_rate), "silent: left as it is")
    total_gain, limited = 0.0, 0.0
    for _ in range(16):
        step = target_lufs - lufs
        for a in [y] + parts:
            a *= np.float32(10.0 ** (step / 20.0))
        total_gain += step
        cut = peak_limit(y, sample_rate, also=parts, ceiling=10.0 ** ((ceiling_dbtp - 0.05) / 20.0))
        limited = max(limited, cut)
        lufs = integrated_lufs(y, sample_rate)
        if abs(lufs - target_lufs) <= TOLERANCE_LU and true_peak_dbtp(y, sample_rate) <= ceiling_dbtp:
            break
    tp = true_peak_dbtp(y, sample_rate)
    note = ""
    if tp > ceiling_dbtp:  # the ceiling wins over the target
        for a in [y] + parts:
            a *= np.float32(10.0 ** ((ceiling_dbtp - tp - 0.01) / 20.0))
        lufs, tp = integrated_lufs(y, sample_rate), true_peak_dbtp(y, sample_rate)
        note = f"true-peak ceiling kept: {lufs:.1f} LUFS instead of {target_lufs:.1f}"
    elif abs(lufs - target_lufs) > 0.1:  # peaks too sharp: the limiter's cuts ate the gain
        note = f"{lufs:.1f} LUFS instead of {target_lufs:.1f}: the limiter holds its sharp peaks at the ceiling"
    return Normalised(y, total_gain, limited, lufs, tp, note)

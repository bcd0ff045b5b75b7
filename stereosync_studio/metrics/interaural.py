"""Interaural cues of a take as the metrics report them (SpatialV2A-style summaries).

The per-signal estimates (ILD, GCC-PHAT ITD, IACC, per-window cues) are measurements shared
with the spatial-alignment metric and live in `dsp.interaural` (conventions there).
"""

from __future__ import annotations

import numpy as np

from ..dsp.interaural import gcc_phat, iacc, ild_db, interaural_windows, stereo_pair

__all__ = ["interaural_summary"]


def interaural_summary(audio: np.ndarray, sr: int, window_s: float = 0.1) -> dict[str, float]:
    """Whole-take cues plus the mean over active windows (a moving source averages out overall)."""
    left, right = stereo_pair(audio)
    w = interaural_windows(audio, sr, window_s)
    out = {
        "ild_db": float(ild_db(left, right)),
        "itd_ms": float(gcc_phat(left, right, sr, upsample=2) * 1e3),
        "iacc": float(iacc(left, right, sr)),
    }
    if np.any(w.active):
        out["ild_db_mean_abs"] = float(np.mean(np.abs(w.ild_db[w.active])))
        out["itd_ms_mean_abs"] = float(np.mean(np.abs(w.itd_ms[w.active])))
        out["iacc_mean"] = float(np.mean(w.iacc[w.active]))
    return out

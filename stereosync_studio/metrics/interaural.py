"""Interaural cues of a take as the metrics report them (SpatialV2A-style summaries).

The per-signal estimates (ILD, GCC-PHAT ITD, IACC, per-window cues) are measurements shared
with the spatial-alignment metric and live in `dsp.interaural` (conventions there).
"""

from __future__ import annotations

import numpy as np

from ..dsp.interaural import InterauralWindows, gcc_phat, iacc, interaural_windows

__all__ = ["interaural_summary"]

_SEGMENT = 1 << 20  # samples: whole-take energies are summed a segment at a time


def interaural_summary(audio: np.ndarray, sr: int, window_s: float = 0.1,
                       windows: InterauralWindows | None = None) -> dict[str, float]:
    """Whole-take cues plus the mean over active windows (a moving source averages out overall).

    `windows`: the take's `interaural_windows` when the caller already has them (evaluate_take
    measures them once for every metric). The channels are read as they are (no float64 copy
    of a whole take: segments are widened one at a time)."""
    a = np.asarray(audio)
    if a.ndim != 2 or a.shape[0] != 2:
        raise ValueError(f"interaural cues need (2, N) audio, got shape {a.shape}")
    left, right = a[0], a[1]
    w = windows if windows is not None else interaural_windows(a, sr, window_s, batch=32)  # ~70 MB of FFTs
    out = {
        "ild_db": _ild_db(left, right),
        "itd_ms": float(gcc_phat(left, right, sr, upsample=2) * 1e3),
        "iacc": float(iacc(left, right, sr)),
    }
    if np.any(w.active):
        out["ild_db_mean_abs"] = float(np.mean(np.abs(w.ild_db[w.active])))
        out["itd_ms_mean_abs"] = float(np.mean(np.abs(w.itd_ms[w.active])))
        out["iacc_mean"] = float(np.mean(w.iacc[w.active]))
    return out


def _ild_db(left: np.ndarray, right: np.ndarray) -> float:
    """`dsp.interaural.ild_db` of a whole take, its energies summed segment by segment."""
    el = er = 0.0
    for i in range(0, len(left), _SEGMENT):
        seg = np.asarray(left[i:i + _SEGMENT], np.float64)
        el += float(np.dot(seg, seg))
        seg = np.asarray(right[i:i + _SEGMENT], np.float64)
        er += float(np.dot(seg, seg))
    return float(10.0 * np.log10((er + 1e-12) / (el + 1e-12)))

"""Step timing: score detected footstep onsets against the intended steps.

Detection is a signal measurement shared with the sampler: `dsp.onsets.detect_step_onsets`.
Scoring matches onsets one-to-one (Hungarian assignment) within a tolerance.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import linear_sum_assignment

__all__ = ["onset_f1"]


def onset_f1(detected: np.ndarray, truth: np.ndarray, tolerance: float = 0.05) -> dict[str, float]:
    """Precision/recall/F1 with one-to-one matching within `tolerance` seconds."""
    d = np.asarray(detected, np.float64).reshape(-1)
    t = np.asarray(truth, np.float64).reshape(-1)
    if len(d) == 0 and len(t) == 0:
        return {"precision": 1.0, "recall": 1.0, "f1": 1.0, "matched": 0.0}
    if len(d) == 0 or len(t) == 0:
        return {"precision": 0.0, "recall": 0.0, "f1": 0.0, "matched": 0.0}
    dist = np.abs(d[:, None] - t[None, :])
    within = dist <= tolerance + 1e-9
    # Maximise the number of matches first, then minimise their total distance.
    cost = np.where(within, dist / (tolerance + 1e-9) * 1e-3, 1.0)
    rows, cols = linear_sum_assignment(cost)
    matched = int(np.sum(within[rows, cols]))
    precision = matched / len(d)
    recall = matched / len(t)
    f1 = 0.0 if matched == 0 else 2 * precision * recall / (precision + recall)
    return {"precision": float(precision), "recall": float(recall), "f1": float(f1), "matched": float(matched)}

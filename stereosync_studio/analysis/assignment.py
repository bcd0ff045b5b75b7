"""Which candidate is the subject: a one-row assignment between the predicted subject and the
candidates near it (Hungarian, through the kept `lap` solver; scipy's gives the same answer)."""

from __future__ import annotations

import numpy as np

__all__ = ["assign"]


def assign(cost: np.ndarray) -> int | None:
    """The candidate the (one-row) assignment gives the subject, through `lap` when present."""
    if not np.isfinite(cost).any() or cost.min() >= 1e3:
        return None
    try:
        import lap

        _, x, _ = lap.lapjv(cost.reshape(1, -1), extend_cost=True, cost_limit=1e3 - 1)
        j = int(x[0])
        return j if j >= 0 else None
    except ImportError:  # scipy's solver gives the same answer
        from scipy.optimize import linear_sum_assignment

        _, cols = linear_sum_assignment(cost.reshape(1, -1))
        return int(cols[0])

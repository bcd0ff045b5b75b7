"""Steps the picture cannot see, restored from the walk's cadence.

Why: a walker keeps its rhythm through a turn, but a swing that goes towards or away from
the camera (the turn at the end of a zig-zag leg, a pivot) hardly moves in the picture, so
the contact detector misses it and leaves a gap of two step periods between its neighbours.
Where the body keeps moving through that gap (so the subject is not standing: a stop must
stay silent), one step is put half-way. Moving means the box never stops travelling through
the gap (a walk, a slow turn), or the upper body moves against the background on average as
fast as a slow walk (a turn round: the box hardly travels while the body rotates). A subject
that stops has a still box and a still upper body for part of the gap. A gap is filled only
when it is close to twice the local step period (the median of the neighbouring intervals),
and the filled step gets a low confidence so that callers who rank steps can tell it apart.
"""

from __future__ import annotations

import numpy as np

__all__ = ["fill_cadence_gaps", "FILLED_CONFIDENCE"]

FILLED_CONFIDENCE = 0.3  # confidence of a step put in from the cadence
GAP_RANGE = (1.65, 2.35)  # a gap this many local step periods long is missing one step
TRAVEL = 0.1  # body heights/s: the box travels at least this fast all through the gap, or
TURNING = 0.3  # body heights/s: the upper body's mean speed against the background in the gap
MAX_PERIOD = 0.8  # s: a slower rhythm than this is no walk to keep


def fill_cadence_gaps(steps: list[tuple[float, float]], frame_times: np.ndarray, box_speed: np.ndarray,
                      upper_speed: np.ndarray, neighbours: int = 3) -> list[tuple[float, float]]:
    """`steps` (sorted (time, confidence)) with one step added in each gap of about two step
    periods through which the body keeps moving. `box_speed`: the box's travel per frame,
    `upper_speed`: the upper body's flow against the background per frame (box heights/s)."""
    if len(steps) < 4:
        return list(steps)
    t = np.array([s[0] for s in steps])
    iv = np.diff(t)
    ft = np.asarray(frame_times, np.float64)
    sp = np.asarray(box_speed, np.float64)
    up = np.asarray(upper_speed, np.float64)
    out = list(steps)
    for k, gap in enumerate(iv):
        lo, hi = max(0, k - neighbours), min(len(iv), k + neighbours + 1)
        near = np.r_[iv[lo:k], iv[k + 1:hi]]
        near = near[near <= MAX_PERIOD]
        if len(near) < 2:
            continue
        period = float(np.median(near))
        if not GAP_RANGE[0] * period <= gap <= GAP_RANGE[1] * period:
            continue
        inside = (ft >= t[k]) & (ft <= t[k + 1]) & np.isfinite(sp)
        if inside.sum() < 2:
            continue
        travels = float(np.min(sp[inside])) >= TRAVEL
        turns = bool(np.isfinite(up[inside]).any()) and float(np.nanmean(up[inside])) >= TURNING
        if not (travels or turns):
            continue
        out.append((float(0.5 * (t[k] + t[k + 1])), FILLED_CONFIDENCE))
    return sorted(out)

"""Steps the picture cannot see, restored from the walk's cadence.

Why: a walker keeps its rhythm through a turn, but a swing that goes towards or away from
the camera (the turn at the end of a zig-zag leg, a pivot) hardly moves in the picture, so
the contact detector misses it and leaves a gap of two step periods between its neighbours
(three, where two such swings follow each other, as in the short steps of a turn on the spot
on a small subject). Where the body keeps moving through that gap (so the subject is not
standing: a stop must stay silent), the missing steps are put in evenly. Moving means the
box never stops travelling through the gap (a walk, a slow turn), or the upper body moves
against the background on average as fast as a slow walk (a turn round: the box hardly
travels while the body rotates). A subject
that stops has a still box and a still upper body for part of the gap. A gap is filled only
when it is close to two or three local step periods (the median of the neighbouring
intervals; a longer gap is no walk to guess through), and a filled step gets a low
confidence so that callers who rank steps can tell it apart.

The same rhythm re-times a contact that the picture put in the wrong place: a foot that
pivots at a turn flicks round mid-swing (a burst of motion that stops), and the short swing
that follows hardly moves, so the contact lands on the flick, 100-150 ms before the heel
strike. Such a contact splits the two step periods between its neighbours very unevenly
(one interval >= `UNEVEN` times the other) while the neighbours themselves keep the local
period; it is moved half-way between them, with the low confidence of a filled step (two
such contacts in a row between neighbours three periods apart go to the thirds). A steady
limp (intervals alternating by 20-40 %) stays well under `UNEVEN`; a pause makes its
neighbours too far apart.

A contact is not otherwise moved towards a rhythm: estimating the heel strike from the centre
of the swing helped turns but made an ordinary walker's steps late (a walker approaching the
camera by 20-30 ms), and ordinary walking comes first.
"""

from __future__ import annotations

import numpy as np

__all__ = ["fill_cadence_gaps", "retime_to_cadence", "FILLED_CONFIDENCE"]

FILLED_CONFIDENCE = 0.3  # confidence of a step put in from the cadence
GAP_TOL = 0.35  # a gap within this many step periods of n >= 2 periods is missing n - 1 steps
MAX_MISSING = 2  # at most this many steps in a row are put in from the cadence
TRAVEL = 0.1  # body heights/s: the box travels at least this fast all through the gap, or
TURNING = 0.3  # body heights/s: the upper body's mean speed against the background in the gap
MAX_PERIOD = 0.8  # s: a slower rhythm than this is no walk to keep
UNEVEN = 1.6  # a contact whose two intervals differ this much (ratio) is off the rhythm...
SPAN_TOL = 0.15  # ...when its neighbours are two local step periods apart (within this fraction)
OFF_GRID = 0.2  # step periods: a contact this far from its place on the rhythm is moved


def _times(steps: list[tuple[float, float]]) -> tuple[np.ndarray, np.ndarray]:
    """(step times, intervals between them)."""
    t = np.array([s[0] for s in steps], np.float64)
    return t, np.diff(t)


def _local_period(iv: np.ndarray, skip: slice, neighbours: int) -> float | None:
    """Median of the step intervals near `skip` (those in it left out); None with < 2 walk intervals."""
    lo, hi = max(0, skip.start - neighbours), min(len(iv), skip.stop + neighbours)
    near = np.r_[iv[lo:skip.start], iv[skip.stop:hi]]
    near = near[near <= MAX_PERIOD]
    return float(np.median(near)) if len(near) >= 2 else None


def fill_cadence_gaps(steps: list[tuple[float, float]], frame_times: np.ndarray, box_speed: np.ndarray,
                      upper_speed: np.ndarray, neighbours: int = 3) -> list[tuple[float, float]]:
    """`steps` (sorted (time, confidence)) with the missing steps put in evenly in each gap of
    about n = 2 .. `MAX_MISSING` + 1 step periods through which the body keeps moving.
    `box_speed`: the box's travel per frame, `upper_speed`: the upper body's flow against the
    background per frame (box heights/s)."""
    if len(steps) < 4:
        return list(steps)
    t, iv = _times(steps)
    ft = np.asarray(frame_times, np.float64)
    sp = np.asarray(box_speed, np.float64)
    up = np.asarray(upper_speed, np.float64)
    out = list(steps)
    for k, gap in enumerate(iv):
        period = _local_period(iv, slice(k, k + 1), neighbours)
        if period is None:
            continue
        n = int(round(gap / period))
        if not 2 <= n <= MAX_MISSING + 1 or abs(gap / period - n) > GAP_TOL:
            continue
        inside = (ft >= t[k]) & (ft <= t[k + 1]) & np.isfinite(sp)
        if inside.sum() < 2:
            continue
        travels = float(np.min(sp[inside])) >= TRAVEL
        turns = bool(np.isfinite(up[inside]).any()) and float(np.nanmean(up[inside])) >= TURNING
        if not (travels or turns):
            continue
        out += [(float(t[k] + j / n * gap), FILLED_CONFIDENCE) for j in range(1, n)]
    return sorted(out)


def retime_to_cadence(steps: list[tuple[float, float]], neighbours: int = 3) -> list[tuple[float, float]]:
    """`steps` (sorted (time, confidence)) with contacts that split the step periods between
    their neighbours very unevenly put back on the rhythm (see the module's note).

    One contact between two neighbours two step periods apart, then runs of two contacts
    between neighbours three periods apart (two pivots in a row); a contact already within
    `OFF_GRID` periods of its place on the rhythm stays."""
    out = list(steps)
    for run in (1, 2):
        out = _retime_runs(out, run, neighbours)
    return out


def _retime_runs(steps: list[tuple[float, float]], run: int, neighbours: int) -> list[tuple[float, float]]:
    """One pass of `retime_to_cadence` for runs of `run` contacts; decisions use the input times."""
    if len(steps) < run + 4:
        return list(steps)
    t, iv = _times(steps)
    out = list(steps)
    for k in range(1, len(t) - run):  # contacts k..k+run-1 between neighbours k-1 and k+run
        seg = iv[k - 1:k + run]
        if seg.max() < UNEVEN * max(seg.min(), 1e-6):
            continue
        period = _local_period(iv, slice(k - 1, k + run), neighbours)
        if period is None or abs(seg.sum() / ((run + 1) * period) - 1.0) > SPAN_TOL:
            continue
        for j in range(run):
            place = float(t[k - 1] + (j + 1) / (run + 1) * seg.sum())
            if abs(place - t[k + j]) >= OFF_GRID * period:
                out[k + j] = (place, min(steps[k + j][1], FILLED_CONFIDENCE))
    return out

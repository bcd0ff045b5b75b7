"""Sub-frame placement of a step's grain on the target's own rise.

Why: a footstep's attack rises within a millisecond or two, and the envelope grid is 2.9 ms
with 11.6 ms windows, so reading "where the envelope crosses 10 % of its peak" off the grid
places a grain up to a frame (3 ms) off, and off a guide whose steps carry a little AAC
pre-echo it places it early. A grain a few ms early leaves the take's envelope loud where
the target is still silent; the envelope follow then cuts that, which is the grain's own
attack, and the take's onset goes soft or moves. Here the grain is slid over a few ms and
put where its RMS envelope (the metric's definition, computed at that exact offset) best
matches the target's around the rise: the shape's bulk decides, not one crossing.
(`engines.follow` then keeps the first ms of each placed attack from being cut.)
"""

from __future__ import annotations

import numpy as np

from ..core.envelope import ENVELOPE_FRAME, ENVELOPE_HOP, ENVELOPE_SR

__all__ = ["ALIGN_GAIN", "ALIGN_SEARCH", "align_start"]

ALIGN_SEARCH = 0.004  # s: the grain may move this far either way (a frame and a bit: no more is known wrong)
ALIGN_STEP = 0.00025  # s between candidate placements
ALIGN_BEFORE = 0.015  # s of the target compared before the step's rise ...
ALIGN_AFTER = 0.025  # s ... and after it
ALIGN_TOL = 0.3  # the earliest placement within this fraction of the best fit's error wins
ALIGN_GAIN = 0.5  # the grain moves only when that fits at least this much better than where it is


def align_start(target: np.ndarray, rise_time: float, start: float, audio: np.ndarray, sr: int,
                search: float = ALIGN_SEARCH, tol: float = ALIGN_TOL, min_gain: float = ALIGN_GAIN) -> float:
    """The start (s) of `audio` within `search` s of `start` whose RMS envelope best fits
    `target` (ENVELOPE_RATE grid) from ALIGN_BEFORE before `rise_time` to ALIGN_AFTER after.

    Each candidate's envelope is scaled to the target over the window (ratio of sums: the
    follow fixes level, not shape) and scored by the L1 error. The earliest placement within
    `tol` of the best error wins: where the target's rise is sharp that is the best fit to a
    fraction of a frame; where it is soft or smeared (a busy guide's estimate, a first light
    touch) many placements fit about as well, and the earliest keeps the grain's attack
    ahead of the step's bulk, where the onset detector and the ear expect it. The grain
    moves only when that fits at least `min_gain` (a fraction of the error) better than
    `start`: a guide's estimated envelope can be a little late or smeared at a step's rise,
    and a marginal fit to it is no reason to move a grain the step's own analysis placed.
    `start` itself when the window holds no target or the grain is silent there."""
    if not (np.isfinite(rise_time) and np.isfinite(start)):
        return start
    t = np.asarray(target, np.float64)
    rate = ENVELOPE_SR / ENVELOPE_HOP
    f0 = max(0, int(np.floor((rise_time - ALIGN_BEFORE) * rate)))
    f1 = min(len(t), int(np.ceil((rise_time + ALIGN_AFTER) * rate)) + 1)
    if f1 - f0 < 2 or len(audio) == 0:
        return start
    tv = t[f0:f1]
    if float(tv.sum()) <= 0.0:
        return start
    k = int(round(search / ALIGN_STEP))
    offsets = np.arange(-k, k + 1) * ALIGN_STEP
    starts = start + offsets  # (C,)
    hop = ENVELOPE_HOP * sr / ENVELOPE_SR  # samples per frame
    half = ENVELOPE_FRAME * sr / ENVELOPE_SR / 2.0
    centres = np.arange(f0, f1) * hop  # (F,) in take samples
    need = int(np.ceil(centres[-1] + half - starts[0] * sr)) + 1  # the grain's samples any window reaches
    a = np.asarray(audio[:max(need, 1)], np.float64)
    cum = np.concatenate([[0.0], np.cumsum(a * a)])
    grid = np.arange(len(cum), dtype=np.float64)
    lo = centres[None, :] - half - starts[:, None] * sr  # (C, F) window bounds in grain samples
    energy = np.interp(lo + 2.0 * half, grid, cum) - np.interp(lo, grid, cum)
    env = np.sqrt(np.maximum(energy, 0.0) / (2.0 * half))
    total = env.sum(axis=1)
    ok = total > 0
    if not ok.any():
        return start
    gain = np.where(ok, tv.sum() / np.where(ok, total, 1.0), 0.0)
    err = np.abs(env * gain[:, None] - tv[None, :]).sum(axis=1)
    err[~ok] = np.inf
    best = float(err.min())
    if not np.isfinite(best) or best > (1.0 - min_gain) * float(err[k]):  # not clearly better than where it is: leave it
        return start
    return float(starts[int(np.argmax(err <= best * (1.0 + tol) + 1e-12))])

"""Step events from a loudness envelope: where each footstep starts and how loud it peaks.

Explicit events (set by the user or by video analysis) win, then the steps an analysis
found (`Envelope.found`: the guide track's footsteps). Otherwise steps are the
envelope's peaks (scipy find_peaks) with a minimum spacing and a height/prominence relative
to the envelope's noise floor and robust maximum (so one loud stomp does not hide the quiet
steps and background noise does not make steps). Each peak is refined back to the onset:
the point on its rise where the envelope first crosses RISE_FRACTION of the way from the
floor to the peak, so a grain is placed with its own rise on it (transient on time).

Step levels: where a step has died away (`step_end`) and the gain that fits a grain's
envelope to the target over its step (`fit_gain`, `fit_gains` for many steps at once).
"""

from __future__ import annotations

import hashlib
import math
import threading
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np
from scipy.signal import find_peaks

from ..core.envelope import ENVELOPE_RATE, Envelope
from .grains import RISE_FRACTION

DIP_S, DIP_DB = 0.012, 12.0  # s before each step held this far below its peak (one onset per step)
FILL_RISE_DB, FILL_LOOK = 8.0, 0.08  # nothing inside a step rises more than this within this (s)
_UNIT_GRID = np.linspace(0.0, 1.0, 32)  # fit_gain's candidate gains, evenly spaced in log


@dataclass
class StepEvent:
    """One footstep to place."""

    time: float  # s: where the step's envelope rises (derived) or the step time (explicit)
    peak_time: float  # s
    peak: float  # target envelope value at the peak (linear RMS)
    explicit: bool


# An engine asks for the same envelope's floor and steps on every take (and auditioning
# makes many takes of one envelope): both are memoised on the curve's bytes.
_MEMO: "OrderedDict[tuple, object]" = OrderedDict()
_MEMO_LOCK = threading.Lock()
_MEMO_SIZE = 32


def _memo_key(key: tuple) -> tuple:
    """`key` with its byte strings (a whole envelope's values) replaced by short digests: the
    memo holds 32 entries, and a 10-minute envelope is 1.7 MB."""
    return tuple(hashlib.blake2b(k, digest_size=16).digest() if isinstance(k, bytes) else k for k in key)


def _memo_get(key: tuple):
    key = _memo_key(key)
    with _MEMO_LOCK:
        hit = _MEMO.get(key)
        if hit is not None:
            _MEMO.move_to_end(key)
        return hit


def _memo_put(key: tuple, value) -> None:
    key = _memo_key(key)
    with _MEMO_LOCK:
        _MEMO[key] = value
        while len(_MEMO) > _MEMO_SIZE:
            _MEMO.popitem(last=False)


def envelope_floor_and_max(values: np.ndarray) -> tuple[float, float]:
    """(noise floor, robust max): 10th percentile and the 99.5th (or max for sparse curves)."""
    v = np.asarray(values, np.float64)
    if v.size == 0:
        return 0.0, 0.0
    key = ("floor", v.tobytes())
    hit = _memo_get(key)
    if hit is not None:
        return hit  # type: ignore[return-value]
    floor, robust = (float(q) for q in np.percentile(v, [10, 99.5]))
    top = float(np.max(v))
    if robust < floor + 0.5 * (top - floor):  # few loud frames (sparse steps): use the true max
        robust = top
    _memo_put(key, (floor, robust))
    return floor, robust


def find_events(envelope: Envelope, min_spacing: float = 0.22, rel_height: float = 0.08,
                rel_prominence: float = 0.12, rise_fraction: float = RISE_FRACTION,
                max_rise: float = 0.2, min_rise_db: float = 10.0) -> list[StepEvent]:
    """Step events: the envelope's explicit events, or its peaks refined to their onsets."""
    v = np.asarray(envelope.values, np.float64)
    rate = float(envelope.rate)
    floor, top = envelope_floor_and_max(v)
    if envelope.steps() is not None:  # the designer's steps, or the ones an analysis found
        times = [t for t in envelope.steps() if 0.0 <= t < envelope.duration + 1e-9]
        nxt = times[1:] + [np.inf]
        return [_explicit(v, rate, t, min(0.15, max(0.03, n - t))) for t, n in zip(times, nxt)]
    span = top - floor
    if v.size < 3 or span <= 1e-6:
        return []
    peaks, _ = find_peaks(v, height=floor + rel_height * span, prominence=rel_prominence * span,
                          distance=max(1, int(round(min_spacing * rate))))
    kept: list[int] = []
    for p in peaks:  # a new step rises min_rise_db out of the dip after the previous one
        if kept and v[p] < (np.min(v[kept[-1]:p + 1]) + 1e-9) * 10 ** (min_rise_db / 20):
            if v[p] > v[kept[-1]]:
                kept[-1] = int(p)  # same step, louder part: keep the louder peak for the level
            continue
        kept.append(int(p))
    return [_refine(v, rate, p, kept[i - 1] if i else 0, floor, rise_fraction, max_rise)
            for i, p in enumerate(kept)]


def _refine(v: np.ndarray, rate: float, p: int, prev: int, floor: float, rise_fraction: float,
            max_rise: float) -> StepEvent:
    """The step's onset: where the envelope, rising towards peak `p`, first reaches
    `rise_fraction` of the peak.

    A step is often several transients (heel, toe, gravel crunches) and the loudest is not
    always first, so the search starts at the quietest point since the previous peak (or
    `max_rise` s before the peak) and goes forward: the first crossing wins, not the last.
    """
    peak = v[p]
    lo = max(0, p - int(round(max_rise * rate)))
    if prev > 0 and prev < p:
        lo = max(lo, prev + int(np.argmin(v[prev:p + 1])))
    thr = floor + rise_fraction * (peak - floor)
    # from the first frame below the threshold, the first frame back above it is the rise;
    # with no frame below (a dense, noisy curve) the quietest frame before the peak is used
    below = np.flatnonzero(v[lo:p + 1] < thr)
    if len(below) == 0:
        return StepEvent((lo + int(np.argmin(v[lo:p + 1]))) / rate, p / rate, float(peak), False)
    start = lo + int(below[0])
    k = int(np.argmax(v[start:p + 1] >= thr))
    j = start + k
    if j > 0 and v[j] > v[j - 1] and v[j - 1] < thr:
        t = (j - 1 + (thr - v[j - 1]) / (v[j] - v[j - 1])) / rate
    else:
        t = j / rate
    return StepEvent(float(t), p / rate, float(peak), False)


def _explicit(v: np.ndarray, rate: float, t: float, look: float, snap: float = 0.03) -> StepEvent:
    """An explicit step: its level is the envelope's peak within `look` seconds after it.

    Where the envelope clearly rises within `snap` s of the step (the peak at least 4x the
    quietest point just before), the step is placed on that rise, as a derived step is (a
    step time from the picture or a detector may be a few ms off the sound's own attack)."""
    i0 = max(0, int(np.floor((t - 0.02) * rate)))
    i1 = min(len(v), int(np.ceil((t + look) * rate)) + 1)
    if i1 <= i0:
        return StepEvent(float(t), float(t), 0.0, True)
    k = i0 + int(np.argmax(v[i0:i1]))
    start = max(0, int(np.floor((t - snap) * rate)))
    low = float(np.min(v[start:k + 1]))
    if v[k] > 4.0 * low and v[k] > 0:
        rise = _refine(v, rate, k, start, low, RISE_FRACTION, snap + look)
        if abs(rise.time - t) <= snap:
            return StepEvent(rise.time, k / rate, float(v[k]), False)
    return StepEvent(float(t), k / rate, float(v[k]), True)


def events_for_options(envelope: Envelope, options: dict | None = None) -> list[StepEvent]:
    """The steps the sampler places for these engine options (min_spacing, sensitivity).

    One place for the mapping, so the Studio's step markers show exactly the sampler's steps.
    """
    opt = options or {}
    sens = min(max(float(opt.get("sensitivity", 0.5)), 0.0), 1.0)
    spacing = float(opt.get("min_spacing", 0.22))
    v = np.asarray(envelope.values)
    steps = envelope.steps()
    key = ("events", v.dtype.str, v.tobytes(), float(envelope.rate), None if steps is None else tuple(steps),
           sens, spacing)
    hit = _memo_get(key)
    if hit is None:
        hit = find_events(envelope, spacing, rel_height=0.16 - 0.14 * sens, rel_prominence=0.24 - 0.2 * sens)
        _memo_put(key, hit)
    return [StepEvent(e.time, e.peak_time, e.peak, e.explicit) for e in hit]  # type: ignore[union-attr]  # own copies


def one_rise_per_step(target: np.ndarray, events: list[StepEvent], rate: float = ENVELOPE_RATE,
                      max_rise_db: float = FILL_RISE_DB, look: float = FILL_LOOK, keep: float = 0.12) -> np.ndarray:
    """`target` reshaped so nothing inside a step rises more than `max_rise_db` within `look`
    seconds: a scuff or a long crunch still shapes the step's level, but the take it drives
    has one onset per step (the onset detector, `dsp.onsets`, counts a new step from a 10 dB
    rise, measured from the dip before a transient to the loudest point 50 ms after it, at
    least 0.15 s after the last).

    The first `keep` seconds of a step keep their shape (a heel-toe double that close is one
    onset anyway). Later in the step a rise is flattened the cheaper way (`_flatten_rises`):
    the dips before it filled (never above the step's own peak), or its top lowered, or
    both, whichever changes the level least (E-L1 counts either); the reshaping looks no
    further than 10 ms before the next event (whose rise is a new step). Just before each
    step (DIP_S) the level is held DIP_DB below the step's peak: a tail still ringing from
    the step before would otherwise swallow the new step's onset."""
    v = np.asarray(target, np.float64)
    if not events or len(v) < 3:
        return v
    key = ("one_rise", v.tobytes(), tuple(e.time for e in events), rate, max_rise_db, look, keep)
    hit = _memo_get(key)
    if hit is not None:
        return hit.copy()  # type: ignore[union-attr]
    out = _one_rise(v, [e.time for e in events], rate, max_rise_db, look, keep)
    _memo_put(key, out.copy())
    return out


def _one_rise(v: np.ndarray, times: list[float], rate: float, max_rise_db: float, look: float,
              keep: float) -> np.ndarray:
    """`one_rise_per_step` of the curve `v` with steps at `times` (computed, not memoised)."""
    out = v.copy()
    w = max(1, int(round(look * rate)))
    dip = 10.0 ** (-DIP_DB / 20.0)
    for k, t in enumerate(times):
        i0 = max(0, int(round(t * rate)))
        a = max(0, int(round((t - DIP_S) * rate)))
        if k > 0 and a < i0 and a > int(round(times[k - 1] * rate)):  # a dip before the step: its onset stands out
            peak = float(v[i0:i0 + max(1, int(round(0.03 * rate)))].max(initial=0.0))
            np.minimum(out[a:i0], dip * peak, out=out[a:i0])
        start = min(len(v), int(round((t + keep) * rate)))
        stop = min(len(v), int((times[k + 1] - 0.01) * rate)) if k + 1 < len(times) else len(v)
        if stop - start < 2 or start <= i0:
            continue
        out[start:stop] = _flatten_rises(out[start:stop], float(v[i0:start].max()), w, max_rise_db)
    return out


def _flatten_rises(seg: np.ndarray, cap: float, w: int, max_rise_db: float, n_levels: int = 24) -> np.ndarray:
    """`seg` changed as little as possible (L1, over a log grid of ceilings) so that no frame
    is more than `max_rise_db` below the loudest of the w - 1 frames after it.

    For a ceiling c the frames above it are lowered to c, then each frame is raised to the
    loudest of the next w - 1 frames less `max_rise_db` (at most `cap`), from the end
    backwards so the fill itself rises no faster. The ceiling of the seg's own maximum is
    the plain fill; lower ceilings trade filled dips for lowered tops."""
    seg = np.nan_to_num(np.asarray(seg, np.float64), nan=0.0, posinf=0.0, neginf=0.0)
    top = float(seg.max(initial=0.0))
    if top <= 0.0:
        return seg.copy()
    scale = 10.0 ** (-max_rise_db / 20.0)
    floor = max(float(seg.min()), top * 1e-4)
    levels = [top]
    if floor < top:
        levels = list(top * np.exp(np.linspace(0.0, math.log(max(floor / top, 1e-12)), n_levels)))
    best, best_cost = seg.copy(), np.inf
    pad = np.zeros(len(seg) + max(w, 2) - 1)
    for c in levels:  # one ceiling at a time: memory stays the segment's length (a 10-minute tail)
        base = np.minimum(seg, c)
        out = base.copy()
        # fixed point of out_i = max(base_i, min(scale * max(out_i+1 .. out_i+w-1), cap)); the fill
        # stops 120 dB down (digital silence would otherwise carry it back w - 1 frames a pass)
        for _ in range(len(seg) // max(w - 1, 1) + 2 if w > 1 else 0):
            pad[:len(seg)] = out
            ahead = np.lib.stride_tricks.sliding_window_view(pad[1:], w - 1)[:len(seg)].max(axis=1)
            fill = np.minimum(scale * ahead, cap)
            fill[fill < 1e-6 * top] = 0.0
            new = np.maximum(base, fill)
            if np.array_equal(new, out):
                break
            out = new
        cost = float(np.abs(out - seg).sum())
        if cost < best_cost:
            best, best_cost = out, cost
    return best


# ------------------------------------------------------------------ step levels

def fit_gains(target: np.ndarray, items: list[tuple[float, float, np.ndarray]],
               range_db: float) -> list[tuple[float, float] | None]:
    """`fit_gain` of every (t0, t_next, grain_env) in `items` at once: the same numbers.

    Per frame the error of a gain c is g_i * h(c, rho_i) with rho_i = T_i / G_i and h piecewise
    linear in c: |c - rho| minus the two saturated ramps (c - rho R)+ and (rho / R - c)+. So
    the error over a step is a sum of hinge functions, evaluated for all candidates at once
    from cumulative sums of g and T over the frames whose rho lies below each candidate
    (frames binned between the candidates by their log ratio). This replaces a candidates x
    frames table per step by a few passes over all frames of all steps.
    """
    out: list[tuple[float, float] | None] = [None] * len(items)
    if not items:
        return out
    t = np.asarray(target, np.float64)
    t0 = np.array([it[0] for it in items], np.float64)
    i0 = np.round(t0 * ENVELOPE_RATE).astype(np.int64)  # as int(round(.)): half to even
    span = np.maximum(4, ((np.array([it[1] for it in items], np.float64) - t0) * ENVELOPE_RATE).astype(np.int64))
    lo, hi = np.maximum(i0, 0), np.minimum(i0 + span, len(t))
    which = np.flatnonzero(hi - lo >= 4)
    if len(which) == 0:
        return out
    lo, i0, seg_len = lo[which], i0[which], (hi - lo)[which]
    envs = [np.asarray(items[k][2]).reshape(-1) for k in which]
    env_len = np.array([len(e) for e in envs], np.int64)
    env_at = np.concatenate([[0], np.cumsum(env_len)[:-1]])
    src = np.concatenate(envs + [np.zeros(1, np.float32)])  # the grains' envelopes back to back
    n_seg = len(which)
    starts = np.concatenate([[0], np.cumsum(seg_len)[:-1]])
    seg = np.repeat(np.arange(n_seg), seg_len)
    local = np.arange(len(seg)) - starts[seg]  # frame within its step
    tv = t[lo[seg] + local]
    gi = (lo - i0)[seg] + local  # frame within the grain's envelope (zero past its end)
    inside = gi < env_len[seg]
    g = np.where(inside, src[np.where(inside, env_at[seg] + gi, len(src) - 1)], 0.0).astype(np.float64)
    gmax = np.maximum.reduceat(g, starts)
    valid = (np.maximum.reduceat(tv, starts) > 0) & (gmax > 0)
    use = (g > 0.02 * gmax[seg]) & valid[seg]
    empty = np.bincount(seg, weights=np.where(use, 0.0, tv), minlength=n_seg)  # error whatever the gain
    vsegs = np.flatnonzero(valid)
    if len(vsegs) == 0:
        return out
    g, tv = g[use], tv[use]
    count = np.bincount(seg[use], minlength=n_seg)[vsegs]  # >= 1: the grain's loudest frame
    n_v, kk = len(vsegs), len(_UNIT_GRID)
    sid = np.repeat(np.arange(n_v), count)
    ustart = np.concatenate([[0], np.cumsum(count)[:-1]])
    ratios = np.log(np.maximum(tv, 1e-9) / g)
    top = np.maximum.reduceat(ratios, ustart)
    lo_r = np.maximum(np.minimum.reduceat(ratios, ustart), top - 12.0)  # candidates span at most ~100 dB
    cand = np.exp(lo_r[:, None] + (top - lo_r)[:, None] * _UNIT_GRID[None, :])  # (steps, K), ascending
    # every frame's breakpoints in log: rho, rho R, rho / R (a silent frame's rho ~ 0 is below all)
    log_rho = np.log(np.maximum(tv, 1e-300)) - np.log(g)
    r = 10.0 ** (range_db / 20.0) if range_db > 0 else 1.0
    shifts = np.array([0.0, math.log(r), -math.log(r)] if range_db > 0 else [0.0])
    ns = len(shifts)
    b = _count_below(lo_r, top - lo_r, kk, np.tile(sid, ns), (log_rho[None, :] + shifts[:, None]).reshape(-1))
    b += (np.repeat(np.arange(ns), len(sid)) * n_v + np.tile(sid, ns)) * (kk + 1)  # bin per (shift, step)
    sums = []  # frames with x <= c_j, per shift: cumulative g and T over the bins
    for w in (g, tv):
        binned = np.bincount(b, weights=np.tile(w, ns), minlength=ns * n_v * (kk + 1)).reshape(ns, n_v, kk + 1)
        sums.append(np.cumsum(binned, axis=2))
    g_le, t_le = sums[0][0, :, :kk], sums[1][0, :, :kk]
    g_tot, t_tot = sums[0][0, :, kk:], sums[1][0, :, kk:]
    err = cand * (2.0 * g_le - g_tot) - (2.0 * t_le - t_tot)  # sum |c g - T|
    if range_db > 0:
        over = cand * sums[0][1, :, :kk] - r * sums[1][1, :, :kk]  # rho R <= c: boosted out of reach
        under = (t_tot - sums[1][2, :, :kk]) / r - cand * (g_tot - sums[0][2, :, :kk])  # rho / R > c: cut
        err = err - over - under + 0.05 * err
    rows = np.arange(n_v)
    best = np.argmin(err, axis=1)
    for v, c, e in zip(which[vsegs].tolist(), cand[rows, best].tolist(), (err[rows, best] + empty[vsegs]).tolist()):
        out[v] = (c, e)
    return out


def _count_below(lo_r: np.ndarray, width: np.ndarray, kk: int, sid: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Per frame: how many of its step's kk candidates exp(lo_r + width * j / (kk - 1)) lie below
    exp(x), read off the log directly. Only a frame within rounding of a candidate can land on
    the other side, where its hinge is zero either way."""
    scale = np.where(width > 0, (kk - 1) / np.where(width > 0, width, 1.0), 0.0)
    u = x - lo_r[sid]
    u *= scale[sid]
    np.ceil(u, out=u)
    np.clip(u, 0, kk, out=u)
    b = u.astype(np.intp)
    flat = width[sid] <= 0  # all candidates equal: all below or none
    if flat.any():
        b[flat] = np.where(x[flat] > lo_r[sid[flat]], kk, 0)
    return b


def fit_gain(target: np.ndarray, t0: float, t_next: float, grain_env: np.ndarray,
              range_db: float) -> tuple[float, float] | None:
    """(gain, error) leaving the least envelope error once the follow has done its part.

    Per frame the follow can scale by up to +-range_db; what it cannot reach stays as error:
    sum_i |clip(g G_i, T_i / R, T_i R) - T_i| (absolute error, as E-L1), plus 5 % of the
    plain error sum_i |g G_i - T_i| so that among gains the follow can fix equally well the
    one needing the least correction wins (not the edge of the range), minimised over a log
    grid of gains. The error covers the whole span up to the next step, so frames the grain
    leaves empty count too and grains of different lengths compare fairly. None when there
    is nothing to fit.
    """
    i0 = int(round(t0 * ENVELOPE_RATE))
    span = max(4, int((t_next - t0) * ENVELOPE_RATE))
    lo, hi = max(i0, 0), min(i0 + span, len(target))
    if hi - lo < 4:
        return None
    tv = np.asarray(target[lo:hi], np.float64)
    g = np.zeros(hi - lo)
    m = min(len(grain_env) - (lo - i0), hi - lo)
    if m > 0:
        g[:m] = grain_env[lo - i0:lo - i0 + m]
    if float(np.max(tv)) <= 0 or float(np.max(g)) <= 0:
        return None
    use = g > 0.02 * g.max()
    empty = float(np.sum(tv[~use]))  # frames the grain leaves (nearly) empty: error whatever the gain
    g, tv = g[use], tv[use]
    ratios = np.log(np.maximum(tv, 1e-9) / g)
    top = float(ratios.max())
    lo_r = max(float(ratios.min()), top - 12.0)  # candidates span at most ~100 dB
    cand = np.exp(lo_r + (top - lo_r) * _UNIT_GRID)
    scaled = cand[:, None] * g[None, :]
    err = np.abs(scaled - tv).sum(axis=1)
    if range_db > 0:  # what the follow cannot reach, with a small pull towards needing less of it
        r = 10.0 ** (range_db / 20.0)
        err = np.abs(np.minimum(np.maximum(scaled, tv / r), tv * r) - tv).sum(axis=1) + 0.05 * err
    best = int(np.argmin(err))
    return float(cand[best]), float(err[best]) + empty


def step_end(target: np.ndarray, ev: StepEvent, t_next: float, floor: float, fraction: float) -> float:
    """Where the target's step has died away: the last frame before the next step above
    `fraction` of this step's peak (and above twice the envelope's noise floor)."""
    i0 = int(ev.time * ENVELOPE_RATE)
    i1 = min(len(target), int(t_next * ENVELOPE_RATE))
    if i1 <= i0:
        return ev.time
    loud = np.flatnonzero(target[i0:i1] >= max(fraction * ev.peak, 2.0 * floor))
    return (i0 + int(loud[-1]) + 1) / ENVELOPE_RATE if len(loud) else ev.time

"""Step events from a loudness envelope: where each footstep starts and how loud it peaks.

Explicit events (set by the user or by video analysis) win. Otherwise steps are the
envelope's peaks (scipy find_peaks) with a minimum spacing and a height/prominence relative
to the envelope's noise floor and robust maximum (so one loud stomp does not hide the quiet
steps and background noise does not make steps). Each peak is refined back to the onset:
the point on its rise where the envelope first crosses RISE_FRACTION of the way from the
floor to the peak, so a grain is placed with its own rise on it (transient on time).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.signal import find_peaks

from ..core.envelope import Envelope
from .grains import RISE_FRACTION


@dataclass
class StepEvent:
    """One footstep to place."""

    time: float  # s: where the step's envelope rises (derived) or the step time (explicit)
    peak_time: float  # s
    peak: float  # target envelope value at the peak (linear RMS)
    explicit: bool


def envelope_floor_and_max(values: np.ndarray) -> tuple[float, float]:
    """(noise floor, robust max): 10th percentile and the 99.5th (or max for sparse curves)."""
    v = np.asarray(values, np.float64)
    if v.size == 0:
        return 0.0, 0.0
    floor = float(np.percentile(v, 10))
    robust = float(np.percentile(v, 99.5))
    top = float(np.max(v))
    if robust < floor + 0.5 * (top - floor):  # few loud frames (sparse steps): use the true max
        robust = top
    return floor, robust


def find_events(envelope: Envelope, min_spacing: float = 0.22, rel_height: float = 0.08,
                rel_prominence: float = 0.12, rise_fraction: float = RISE_FRACTION,
                max_rise: float = 0.2, min_rise_db: float = 10.0) -> list[StepEvent]:
    """Step events: the envelope's explicit events, or its peaks refined to their onsets."""
    v = np.asarray(envelope.values, np.float64)
    rate = float(envelope.rate)
    floor, top = envelope_floor_and_max(v)
    if envelope.events is not None:
        times = [t for t in envelope.events if 0.0 <= t < envelope.duration + 1e-9]
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


def _explicit(v: np.ndarray, rate: float, t: float, look: float) -> StepEvent:
    """An explicit step: its level is the envelope's peak within `look` seconds after it."""
    i0 = max(0, int(np.floor((t - 0.02) * rate)))
    i1 = min(len(v), int(np.ceil((t + look) * rate)) + 1)
    if i1 <= i0:
        return StepEvent(float(t), float(t), 0.0, True)
    k = i0 + int(np.argmax(v[i0:i1]))
    return StepEvent(float(t), k / rate, float(v[k]), True)


def events_for_options(envelope: Envelope, options: dict | None = None) -> list[StepEvent]:
    """The steps the sampler places for these engine options (min_spacing, sensitivity).

    One place for the mapping, so the Studio's step markers show exactly the sampler's steps.
    """
    opt = options or {}
    sens = min(max(float(opt.get("sensitivity", 0.5)), 0.0), 1.0)
    return find_events(envelope, float(opt.get("min_spacing", 0.22)), rel_height=0.16 - 0.14 * sens,
                       rel_prominence=0.24 - 0.2 * sens)

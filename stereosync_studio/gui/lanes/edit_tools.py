"""The lane edits as pure numpy: pencil strokes, point drags, range scale/smooth/clear, step events.

Each function takes a curve sampled at `times` (seconds) and returns a new array, leaving the
input alone, so the document can keep the old one for undo. Kept Qt-free so they are tested
directly and the lanes stay thin.
"""

from __future__ import annotations

import numpy as np


def pencil(values: np.ndarray, times: np.ndarray, t0: float, v0: float, t1: float, v1: float,
           lo: float, hi: float) -> np.ndarray:
    """Freehand segment from (t0, v0) to (t1, v1): samples in between take the straight line.

    A mouse moves in jumps, so each move event draws the segment since the last one; the
    sample nearest a lone click is set too, so a click without a drag still leaves a mark.
    """
    out = np.array(values, copy=True)
    if t1 < t0:
        t0, v0, t1, v1 = t1, v1, t0, v0
    mask = (times >= t0) & (times <= t1)
    if not mask.any():
        i = int(np.argmin(np.abs(times - 0.5 * (t0 + t1))))
        mask = np.zeros(len(times), bool)
        mask[i] = True
    if t1 > t0:
        out[mask] = v0 + (v1 - v0) * (times[mask] - t0) / (t1 - t0)
    else:
        out[mask] = v1
    return np.clip(out, lo, hi).astype(values.dtype, copy=False)


def drag(values: np.ndarray, times: np.ndarray, t: float, delta: float, width_s: float,
         lo: float, hi: float) -> np.ndarray:
    """Move the curve around `t` by `delta`, fading to nothing `width_s` away (raised cosine).

    Dense curves have no breakpoints to grab; this is the DAW feel of grabbing a point and
    pulling it while its neighbours follow smoothly.
    """
    d = np.abs(times - t)
    w = np.where(d < width_s, 0.5 * (1.0 + np.cos(np.pi * d / max(width_s, 1e-9))), 0.0)
    return np.clip(values + delta * w, lo, hi).astype(values.dtype, copy=False)


def _range_mask(times: np.ndarray, a: float, b: float) -> np.ndarray:
    a, b = min(a, b), max(a, b)
    return (times >= a) & (times <= b)


def scale_range(values: np.ndarray, times: np.ndarray, a: float, b: float, factor: float,
                lo: float, hi: float, centre: float = 0.0) -> np.ndarray:
    """Multiply the selection by `factor` about `centre` (0 for loudness, 0 for pan)."""
    out = np.array(values, copy=True)
    m = _range_mask(times, a, b)
    out[m] = centre + (out[m] - centre) * factor
    return np.clip(out, lo, hi).astype(values.dtype, copy=False)


def smooth_width(strength: float) -> float:
    """The smoothing window (seconds, two Gaussian sigmas) of a strength in (0, 1].

    Gentle at the low end on purpose: footstep peaks on the RMS grid are only a few ms wide (the
    strike of a hard step, read on 11 ms spectra, is the narrowest), so at 20 % (an 8 ms window,
    the default) a pass lowers them by ~2 dB (two passes ~4 dB) on the demo's steps, while 100 %
    (a 100 ms window) flattens them into a loudness contour (~-18 dB)."""
    s = min(max(float(strength), 0.01), 1.0)
    return 0.004 + 0.096 * s * s


def smooth_range(values: np.ndarray, times: np.ndarray, a: float, b: float, strength: float = 0.2) -> np.ndarray:
    """Gaussian-smooth the selection with the window of `strength` (see `smooth_width`)."""
    from scipy.ndimage import gaussian_filter1d

    out = np.array(values, copy=True)
    m = _range_mask(times, a, b)
    if m.sum() < 3 or len(times) < 2:
        return out
    dt = float(np.median(np.diff(times)))
    sigma = max(smooth_width(strength) / 2.0 / max(dt, 1e-9), 0.5)
    smooth = gaussian_filter1d(np.asarray(values, np.float64), sigma, mode="nearest")
    out[m] = smooth[m]
    return out.astype(values.dtype, copy=False)


def peak_change_db(before: np.ndarray, after: np.ndarray, times: np.ndarray, a: float, b: float) -> float:
    """How much the loudest value in the range moved, in dB (0 when the range was silent)."""
    m = _range_mask(times, a, b)
    if not m.any():
        return 0.0
    p0, p1 = float(np.max(np.abs(before[m]))), float(np.max(np.abs(after[m])))
    return 0.0 if p0 <= 1e-9 else 20.0 * float(np.log10(max(p1, 1e-9) / p0))


def clear_range(values: np.ndarray, times: np.ndarray, a: float, b: float, fill: float) -> np.ndarray:
    out = np.array(values, copy=True)
    out[_range_mask(times, a, b)] = fill
    return out


# One name per range action: the lane tool bar, the Edit menu, the right-click menu and the undo
# history all say these words.
RANGE_ACTIONS = {"up": "Scale up", "down": "Scale down", "smooth": "Smooth", "clear": "Clear range"}
DELETE_STEPS = "Delete steps in range"
SCALE_STEP = 1.2  # Scale up multiplies the range by this, Scale down divides by it


def add_event(events: list[float], t: float, min_gap: float = 0.02) -> list[float]:
    """Events with one more at `t` (ignored when another lies within `min_gap`)."""
    if any(abs(e - t) < min_gap for e in events):
        return sorted(events)
    return sorted([*events, float(t)])


def nearest_event(events: list[float], t: float, tolerance: float) -> int | None:
    if not events:
        return None
    d = np.abs(np.asarray(events) - t)
    i = int(np.argmin(d))
    return i if d[i] <= tolerance else None


def remove_event(events: list[float], t: float, tolerance: float) -> list[float]:
    i = nearest_event(events, t, tolerance)
    if i is None:
        return list(events)
    return [e for k, e in enumerate(events) if k != i]


def move_event(events: list[float], index: int, t: float, duration: float) -> list[float]:
    out = list(events)
    out[index] = float(min(max(t, 0.0), duration))
    return sorted(out)


def remove_events_in(events: list[float], a: float, b: float) -> list[float]:
    a, b = min(a, b), max(a, b)
    return [e for e in events if not a <= e <= b]


__all__ = ["DELETE_STEPS", "RANGE_ACTIONS", "SCALE_STEP", "add_event", "clear_range", "drag", "move_event",
           "nearest_event", "peak_change_db", "pencil", "remove_event", "remove_events_in", "scale_range",
           "smooth_range", "smooth_width"]

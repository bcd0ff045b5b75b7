"""Fast first-order recursions and time-varying fractional delays (vectorised, float32).

Why here: the air-absorption low-pass and the interaural delay of the stereo renderer and
the head model's shadow filter and ear delays are the same two operations; written once,
below both renderers (the head model itself stays in engines.hrtf).
"""

from __future__ import annotations

import numpy as np

__all__ = ["one_pole_lowpass", "one_pole", "fractional_delay", "delay_pad", "delay_padded", "fractional_delay_gather"]


def one_pole_lowpass(x: np.ndarray, pole: float, tol: float = 1e-7) -> np.ndarray:
    """y[n] = (1 - pole) x[n] + pole y[n - 1] from rest, float32 (a new array).

    The same as scipy.signal.lfilter([1 - pole], [1, -pole], x) to float32 precision, about
    3x faster: the impulse response (1 - pole) pole^k is built by doubling, y += pole^s
    y[n - s] for s = 1, 2, 4, ... (each step doubles the taps), until the part left out,
    pole^(2s) of the DC gain, is below `tol` (1e-7: float32's resolution), so a 4 kHz pole
    at 48 kHz takes five vectorised steps instead of a sequential recursion.
    """
    return one_pole(np.asarray(x, np.float32).reshape(-1), float(pole), 1.0 - float(pole), tol)


def one_pole(x: np.ndarray, pole: float, gain: float, tol: float = 1e-7) -> np.ndarray:
    """y[n] = gain x[n] + pole y[n - 1] from rest, by doubling (see `one_pole_lowpass`)."""
    n = len(x)
    y = np.multiply(x, np.float32(gain), dtype=np.float32)
    if n < 2 or pole == 0.0:
        return y
    if not abs(pole) < 1.0:
        raise ValueError(f"pole {pole} is not stable")
    tmp = np.empty(n, np.float32)
    s, c = 1, pole
    while s < n and abs(c) > tol:  # y holds the response truncated to s taps (c = pole^s left out)
        np.multiply(y[:n - s], np.float32(c), out=tmp[:n - s])
        y[s:] += tmp[:n - s]
        s *= 2
        c *= c
    return y


def fractional_delay(x: np.ndarray, delay_samples: np.ndarray) -> np.ndarray:
    """y[n] = x[n - d[n]] with a time-varying d (may be negative: offline look-ahead).

    4-point Lagrange (cubic) interpolation: flat to a few kHz and free of the modulated
    low-pass a linear interpolator gives when d sweeps. A moving source's delay is smooth,
    so its whole-sample part changes only a few dozen times per take: between those points
    the four taps are plain slices of x (no gathers, no index arrays), the weights are made
    span by span (cache-sized), sharing products: w0 = -A (f-2)/6, w1 = B (f-1)/2,
    w2 = -B f/2, w3 = A (f+1)/6 with A = f (f-1), B = (f+1)(f-2). A delay that keeps
    crossing whole samples falls back to gathering the taps.
    """
    n = len(x)
    d = np.asarray(delay_samples, np.float32)
    pad = delay_pad(d)
    xp = np.zeros(n + 2 * pad, np.float32)
    xp[pad:pad + n] = x
    return delay_padded(xp, pad, d, np.empty(n, np.float32))


def delay_pad(d: np.ndarray) -> int:
    """Zeros needed on each side of the signal for delays `d` and the four taps."""
    return int(np.ceil(max(float(np.max(d)), -float(np.min(d))))) + 3 if len(d) else 3


def delay_padded(xp: np.ndarray, pad: int, d: np.ndarray, out: np.ndarray,
                  work: np.ndarray | None = None) -> np.ndarray:
    """`fractional_delay` of xp[pad:pad + len(d)] (xp zero-padded by `pad`) into `out`;
    `work`: an optional float32 scratch array of len(d) samples."""
    n = len(d)
    whole = np.floor(d, out=work) if work is not None else np.floor(d)  # n - d = (n - floor(d) - 1) + frac
    cuts = np.flatnonzero(whole[1:] != whole[:-1]) + 1
    if len(cuts) > n // 256:
        out[:] = fractional_delay_gather(xp, pad, d, whole)
        return out
    edges = [0] + cuts.tolist() + [n]
    sixth, half = np.float32(1.0 / 6.0), np.float32(0.5)
    for a, b in zip(edges[:-1], edges[1:]):
        m = b - a
        s = a + pad - 2 - int(whole[a])  # first of the four taps for sample a
        f = np.subtract(d[a:b], whole[a])
        np.subtract(np.float32(1.0), f, out=f)  # frac = 1 - (d - floor(d)) in (0, 1]
        fm1, fm2, fp1 = f - np.float32(1.0), f - np.float32(2.0), f + np.float32(1.0)
        pa, pb = f * fm1, fp1 * fm2
        acc6 = pa * fp1
        acc6 *= xp[s + 3:s + 3 + m]
        pa *= fm2
        pa *= xp[s:s + m]
        acc6 -= pa
        acc2 = pb * fm1
        acc2 *= xp[s + 1:s + 1 + m]
        pb *= f
        pb *= xp[s + 2:s + 2 + m]
        acc2 -= pb
        acc6 *= sixth
        acc2 *= half
        np.add(acc6, acc2, out=out[a:b])
    return out


def fractional_delay_gather(xp: np.ndarray, pad: int, d: np.ndarray, whole: np.ndarray) -> np.ndarray:
    """`fractional_delay` with the taps gathered per sample (any delay curve)."""
    n = len(d)
    f = whole.copy()
    i = np.arange(pad - 2, pad - 2 + n, dtype=np.int64)  # index of the first of the 4 taps
    i -= f.astype(np.int64)
    np.subtract(d, f, out=f)
    np.subtract(np.float32(1.0), f, out=f)
    y = np.empty(n, np.float32)
    w = np.empty(n, np.float32)
    tap = np.empty(n, np.float32)
    # Lagrange weights for taps at -1, 0, 1, 2 around the fractional position f
    for k, (a, b, c, scale) in enumerate(((0.0, 1.0, 2.0, -1.0 / 6.0), (-1.0, 1.0, 2.0, 0.5),
                                          (-1.0, 0.0, 2.0, -0.5), (-1.0, 0.0, 1.0, 1.0 / 6.0))):
        np.subtract(f, np.float32(a), out=w)
        np.subtract(f, np.float32(b), out=tap)
        w *= tap
        np.subtract(f, np.float32(c), out=tap)
        w *= tap
        w *= np.float32(scale)
        np.take(xp[k:], i, out=tap)
        if k == 0:
            np.multiply(tap, w, out=y)
        else:
            tap *= w
            y += tap
    return y

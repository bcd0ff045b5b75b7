"""The sampler's envelope follow: a smooth, limited gain curve that makes a take's RMS envelope
(the metric's definition) follow the target, with each step's attack kept.

Why its own module: the follow is the stage that decides how faithfully a take tracks its
envelope, and it is tuned on its own (range, smoothing, passes, the attacks it must not cut).
"""

from __future__ import annotations

import functools
import math
from typing import Any

import numpy as np

from ..core.envelope import ENVELOPE_RATE
from ..core.progress import CancelToken
from ..dsp.rms import frame_matrix
from . import spatial
from .events import envelope_floor_and_max

__all__ = ["BLOCK", "follow_gain"]

BLOCK = 32  # samples per energy block in the envelope follow
ATTACK_KEEP = 0.008  # s after a step's onset the follow ...
ATTACK_CUT_DB = 6.0  # ... cuts by at most this much


def follow_gain(energy: np.ndarray, mix_gain: np.ndarray | None, n: int, sr: int, target: np.ndarray,
                 opt: dict[str, Any], cancel: CancelToken, info: dict[str, Any], iterations: int = 4,
                attacks: list[float] | None = None) -> np.ndarray:
    """Gain curve (control grid) that makes the take's RMS envelope follow `target`.

    `energy`: BLOCK-sample block energies of the signal the gain will scale; `mix_gain`
    (control grid) maps that signal to the take's mixdown when it is a plain gain (stereo
    pan law and distance), else None (the energies are the mixdown's own). Limited to
    +-follow_range_db in total, smoothed over follow_ms, never boosting where the target is
    near silent (< 2 % of its peak) or where the take has nothing to boost. Iterates on the
    block energies (the gain is smooth at that scale), so the audio is scaled only once.
    The grid-to-grid maps are sparse matrices cached per length (`_interp_matrix`, and
    `frame_matrix` for the envelope).

    `attacks`: onset times (s) of the placed steps. For ATTACK_KEEP after each the follow
    cuts by at most ATTACK_CUT_DB (below the step's fitted level): a target that rises
    softly or a few ms late (a guide's pre-echo, a soft first touch) would otherwise have
    the follow shave off the grain's transient by tens of dB, and the take's onset with it;
    a few dB keep most of the level fit where the target's rise is right but softer.
    """
    rng_db = float(opt["follow_range_db"])
    hop = spatial.CONTROL_HOP
    t = np.asarray(target, np.float64)
    nf = len(t)
    _, top = envelope_floor_and_max(t)
    quiet = t < 0.02 * top
    sigma = float(opt["follow_ms"]) / 1000.0 * ENVELOPE_RATE / 2.355
    to_blocks = _interp_matrix(len(energy), nf, BLOCK / float(sr) * ENVELOPE_RATE, 0.5)  # block centres, in frames
    to_frames = frame_matrix(len(energy), sr, nf, BLOCK)
    if mix_gain is not None:
        energy = energy * (_interp_matrix(len(energy), len(mix_gain), BLOCK / hop, 0.5) @ np.square(mix_gain))
    target_db = 20.0 * np.log10(t + 1e-7)
    total_db = np.zeros(nf)
    keep = _attack_frames(attacks or [], nf)
    db_to_log_power = math.log(10.0) / 10.0
    for it in range(iterations):
        cancel.check()
        if it == 0:
            power = energy  # no gain yet
        else:
            power = to_blocks @ total_db  # the gain so far, at the blocks (as np.interp)
            power *= db_to_log_power
            factor = power.astype(np.float32)  # float32 exp: several times faster, precise enough for a gain
            np.exp(factor, out=factor)
            np.multiply(energy, factor, out=power)
        env = np.sqrt(to_frames @ power)  # the RMS envelope with that gain (frame_mean_square)
        env += 1e-7
        g = np.log10(env)
        g *= -20.0
        g += target_db
        g = np.clip(g, -rng_db - total_db, rng_db - total_db)  # the overall correction stays in range
        np.minimum(g, 0.0, out=g, where=quiet)
        g[env < 1e-6 + 1e-7] = 0.0
        if sigma > 0.3:
            g = _gaussian_smooth(g, sigma)
        total_db += g
        np.clip(total_db, -rng_db, rng_db, out=total_db)
        np.maximum(total_db, -ATTACK_CUT_DB, out=total_db, where=keep)
    info["follow_gain_db"] = {"min": round(float(total_db.min()), 2), "max": round(float(total_db.max()), 2)}
    ctrl = _interp_matrix(math.ceil(n / hop) + 1, nf, hop / float(sr) * ENVELOPE_RATE, 0.0) @ total_db
    ctrl *= math.log(10.0) / 20.0
    return np.exp(ctrl, out=ctrl)


def _attack_frames(attacks: list[float], nf: int) -> np.ndarray:
    """Frames (bool, ENVELOPE_RATE grid) whose gain reaches the first ATTACK_KEEP of a step."""
    keep = np.zeros(nf, bool)
    for t in attacks:
        a, b = max(0, int(np.floor(t * ENVELOPE_RATE))), min(nf, int(np.ceil((t + ATTACK_KEEP) * ENVELOPE_RATE)) + 1)
        keep[a:b] = True
    return keep


@functools.lru_cache(maxsize=16)
def _interp_matrix(n_out: int, n_in: int, step: float, offset: float):
    """Sparse (n_out x n_in) matrix reading a curve on the grid 0..n_in - 1 at the points
    (i + offset) * step, i < n_out, as np.interp would (held beyond the ends); cached."""
    from scipy.sparse import csr_matrix

    pos = (np.arange(n_out) + offset) * step
    if n_in < 2:
        return csr_matrix((np.ones(n_out), (np.arange(n_out), np.zeros(n_out, np.intp))), shape=(n_out, max(n_in, 1)))
    j = np.clip(np.floor(pos), 0, n_in - 2).astype(np.intp)
    frac = np.clip(pos - j, 0.0, 1.0)
    vals = np.stack([1.0 - frac, frac], axis=1).reshape(-1)
    cols = np.stack([j, j + 1], axis=1).reshape(-1)
    return csr_matrix((vals, cols, np.arange(0, 2 * n_out + 1, 2)), shape=(n_out, n_in))


def _gaussian_smooth(x: np.ndarray, sigma: float) -> np.ndarray:
    """scipy.ndimage.gaussian_filter1d(x, sigma, mode="nearest") (same kernel, radius 4 sigma),
    as one short np.convolve: a fraction of scipy's call overhead on a few thousand frames."""
    kernel = _gaussian_kernel(round(float(sigma), 12))
    r = len(kernel) // 2
    if len(x) == 0:
        return x.copy()
    buf = np.empty(len(x) + 2 * r)
    buf[:r], buf[r:r + len(x)], buf[r + len(x):] = x[0], x, x[-1]
    return np.convolve(buf, kernel, mode="valid")


@functools.lru_cache(maxsize=8)
def _gaussian_kernel(sigma: float) -> np.ndarray:
    radius = int(4.0 * sigma + 0.5)
    k = np.exp(-0.5 / sigma ** 2 * np.arange(-radius, radius + 1, dtype=np.float64) ** 2)
    k /= k.sum()
    k.flags.writeable = False
    return k

"""Head models for the binaural mode: Brown-Duda spherical head, and measured HRTFs (SOFA).

Brown & Duda 1998 ("A structural model for binaural sound synthesis") model each ear as
a pure delay (Woodworth's ray-tracing formula) plus a one-pole/one-zero head-shadow filter

    H(w, b) = (1 + j a(b) w / 2w0) / (1 + j w / 2w0),   w0 = c / r,
    a(b) = (1 + a_min/2) + (1 - a_min/2) cos(b / b_min * 180 deg),

where b is the angle between the ear axis and the source. H = 1 + (a - 1) * HP(w) with HP a
fixed first-order high-pass, so a time-varying a(t) needs only ONE filtered copy of the signal
and a per-sample gain: exact coefficient interpolation, no zipper noise, fully vectorised.
The ear delay is Woodworth's ITD split between the ears (`dsp.panning.woodworth_itd` is the
difference); first-order filters run by doubling and the ear delays vary per sample through
a 4-tap Lagrange fractional delay (both in `dsp.filters`).

SOFA files (AES69) are read with `sofar`; the MIT KEMAR set is the default HRTF
(`default_sofa`), diffuse-field equalised. The horizontal-plane HRIRs are interpolated
by weighting the input per direction (weights sum to one) and convolving each used direction
once, which is a sample-accurate crossfade between neighbouring measurements.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

import numpy as np
from scipy import signal

from ..core.errors import InputError
from ..dsp.control_rate import upsample
from ..dsp.filters import delay_pad, delay_padded, fractional_delay, one_pole
from ..dsp.panning import HEAD_RADIUS, SPEED_OF_SOUND

ALPHA_MIN = 0.1
THETA_MIN_DEG = 150.0

# Brown-Duda pinna echoes: reflection coefficient rho, A and B (samples at 44.1 kHz) and their
# first subject's D; delay tau = A cos(az / 2) sin(D (90 deg - elevation)) + B.
_PINNA = np.array([
    [0.5, 1.0, 2.0, 1.0],
    [-1.0, 5.0, 4.0, 0.5],
    [0.5, 5.0, 7.0, 0.5],
    [-0.25, 5.0, 11.0, 0.5],
    [0.25, 5.0, 13.0, 0.5],
])


def ear_delay(angle_from_ear_deg: np.ndarray, radius: float = HEAD_RADIUS) -> np.ndarray:
    """Brown-Duda per-ear delay (s): -r/c cos(b) in front of the ear, r/c (b - 90deg) behind it."""
    b = np.radians(np.abs(np.asarray(angle_from_ear_deg, np.float64)))
    rc = radius / SPEED_OF_SOUND
    return np.where(b < np.pi / 2, -rc * np.cos(b), rc * (b - np.pi / 2))


def shadow_alpha(angle_from_ear_deg: np.ndarray) -> np.ndarray:
    """Brown-Duda head-shadow zero position a(b): 2 (+6 dB) facing the ear, 0.1 (-20 dB) at 150 deg."""
    b = np.abs(np.asarray(angle_from_ear_deg, np.float64))
    return (1 + ALPHA_MIN / 2) + (1 - ALPHA_MIN / 2) * np.cos(np.radians(b / THETA_MIN_DEG * 180.0))


@functools.lru_cache(maxsize=16)
def shadow_highpass(sample_rate: int, radius: float = HEAD_RADIUS) -> tuple[np.ndarray, np.ndarray]:
    """Bilinear first-order high-pass s*tau/(1 + s*tau), tau = r / 2c (the shadow filter's pole)."""
    tau = radius / (2.0 * SPEED_OF_SOUND)
    k = 2.0 * sample_rate * tau
    b = np.array([k, -k]) / (1 + k)
    a = np.array([1.0, (1 - k) / (1 + k)])
    return b, a


def shadow_filter(x: np.ndarray, sample_rate: int, radius: float = HEAD_RADIUS) -> np.ndarray:
    """`x` through the `shadow_highpass` filter from rest: float32, equal to scipy's lfilter
    to float32 precision and about 3x faster (the first difference, then the pole by
    doubling: see `dsp.filters.one_pole_lowpass`)."""
    b, a = shadow_highpass(sample_rate, radius)  # b = b0 (1, -1): a first difference
    v = np.asarray(x, np.float32).reshape(-1)
    u = np.empty(len(v), np.float32)
    if len(v):
        u[0] = v[0]
        np.subtract(v[1:], v[:-1], out=u[1:])
    return one_pole(u, -float(a[1]), float(b[0]))


def brown_duda(mono: np.ndarray, sample_rate: int, azimuth_deg: np.ndarray, pinna: bool = False,
               radius: float = HEAD_RADIUS, hop: int = 1) -> np.ndarray:
    """Binaural (2, N) from mono and the azimuth (deg, + = right, front hemisphere).

    `azimuth_deg` is per sample (hop=1) or on a control grid at sample positions k * hop
    (then the shadow gains and delays are computed there and interpolated linearly).
    """
    x = np.asarray(mono, np.float32)
    n = len(x)
    hp = shadow_filter(x, sample_rate, radius)
    az = np.asarray(azimuth_deg, np.float64)
    out = np.empty((2, n), np.float32)
    ears = []  # per ear: head-shadow gain - 1 and delay (samples), on az's grid
    for ear_az in (-90.0, 90.0):
        beta = np.abs(az - ear_az)  # angle between this ear's axis and the source
        ears.append((shadow_alpha(beta) - 1.0, ear_delay(beta, radius) * sample_rate))
    pad = delay_pad(np.concatenate([e[1] for e in ears]))  # linear interpolation stays within
    xp = np.zeros(n + 2 * pad, np.float32)  # each ear's shaded signal, zero-padded for the delay
    shaded = xp[pad:pad + n]
    gain, delay = np.empty(n, np.float32), np.empty(n, np.float32)  # work arrays shared by both ears
    for ch, (gain_c, delay_c) in enumerate(ears):
        if hop > 1:
            upsample(gain_c, hop, n, out=gain)
            upsample(delay_c, hop, n, out=delay)
        else:
            gain[:], delay[:] = gain_c, delay_c
        np.multiply(gain, hp, out=shaded)
        shaded += x
        if pinna:
            toward = az if ch == 1 else -az
            shaded[:] = _pinna(shaded, sample_rate, upsample(toward, hop, n) if hop > 1 else toward)
        delay_padded(xp, pad, delay, out[ch], work=gain)
    return out


def _pinna(x: np.ndarray, sample_rate: int, az_toward_ear_deg: np.ndarray) -> np.ndarray:
    """Brown-Duda pinna echoes at zero elevation: x + sum rho_k / 2 x(n - tau_k(azimuth)).

    The echo gains are halved (a gentler comb than the paper's); the DC gain stays 1."""
    y = x.copy()
    scale = sample_rate / 44100.0
    half = np.cos(np.radians(np.clip(az_toward_ear_deg, -90.0, 90.0)) / 2.0)
    for rho, a_k, b_k, d_k in _PINNA:
        tau = (a_k * half * np.sin(np.radians(d_k * 90.0)) + b_k) * scale
        y += np.float32(rho * 0.5) * fractional_delay(x, tau)  # halved: the full comb is harsh
    return y


# ---------------------------------------------------------------------------------- SOFA

class SofaHRTF:
    """Horizontal-plane HRIRs from a SOFA file, resampled to one rate and level-normalised."""

    def __init__(self, azimuths_deg: np.ndarray, hrirs: np.ndarray, sample_rate: int, path: str = ""):
        order = np.argsort(azimuths_deg)
        self.azimuths = np.asarray(azimuths_deg, np.float64)[order]  # + = right, -180..180
        self.hrirs = np.asarray(hrirs, np.float32)[order]  # (M, 2, taps): [left, right]
        self.sample_rate = int(sample_rate)
        self.path = path

    def weights(self, azimuth_deg: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Indices (K,) of the used directions and linear weights (K, T) that sum to one over K."""
        az = np.asarray(azimuth_deg, np.float64)
        grid = np.concatenate([self.azimuths, [self.azimuths[0] + 360.0]])  # wrap around
        pos = np.interp(((az - grid[0]) % 360.0) + grid[0], grid, np.arange(len(grid)))
        lo = np.floor(pos).astype(np.int64)
        frac = pos - lo
        lo_idx = lo % len(self.azimuths)
        hi_idx = (lo + 1) % len(self.azimuths)
        used = np.unique(np.concatenate([lo_idx[frac < 1.0], hi_idx[frac > 0.0]]))
        w = np.zeros((len(used), len(az)), np.float32)
        where = {int(m): k for k, m in enumerate(used)}
        for m in used:
            k = where[int(m)]
            w[k] += np.where(lo_idx == m, 1.0 - frac, 0.0).astype(np.float32)
            w[k] += np.where(hi_idx == m, frac, 0.0).astype(np.float32)
        return used, w

    def render(self, mono: np.ndarray, azimuth_deg: np.ndarray) -> np.ndarray:
        """(2, N): each used direction convolves only the span where its weight is non-zero.

        The per-direction weights are gathered by sorting the samples by direction (no dense
        directions x samples matrix: a moving source crosses dozens of measured directions)."""
        n = len(mono)
        out = np.zeros((2, n), np.float32)
        az = np.asarray(azimuth_deg, np.float64)
        grid = np.concatenate([self.azimuths, [self.azimuths[0] + 360.0]])
        pos = np.interp(((az - grid[0]) % 360.0) + grid[0], grid, np.arange(len(grid)))
        lo = np.floor(pos).astype(np.int64)
        frac = (pos - lo).astype(np.float32)
        m_count = len(self.azimuths)
        idx = np.concatenate([lo % m_count, (lo + 1) % m_count])
        wts = np.concatenate([1.0 - frac, frac])
        at = np.concatenate([np.arange(n), np.arange(n)])
        keep = wts > 1e-6
        idx, wts, at = idx[keep], wts[keep], at[keep]
        order = np.argsort(idx, kind="stable")
        idx, wts, at = idx[order], wts[order], at[order]
        bounds = np.flatnonzero(np.diff(idx)) + 1
        x = np.asarray(mono, np.float32)
        for a, b in zip(np.concatenate([[0], bounds]), np.concatenate([bounds, [len(idx)]])):
            if b <= a:
                continue
            m, p, w = int(idx[a]), at[a:b], wts[a:b]
            s, e = int(p.min()), int(p.max()) + 1
            seg = np.zeros(e - s, np.float32)
            seg[p - s] = x[p] * w  # a sample has one weight per direction (its two neighbours differ)
            for ch in range(2):
                y = signal.oaconvolve(seg, self.hrirs[m, ch])
                stop = min(n, s + len(y))
                out[ch, s:stop] += y[: stop - s]
        return out


# Where the default HRTF is looked for: a user override, a copy bundled with the app, then
# Debian's libmysofa1 data (installed by the Makefile). MIT KEMAR, "normal" pinna: Gardner &
# Martin, MIT Media Lab 1994, free for any use provided the authors are cited.
KEMAR_NAME = "MIT_KEMAR_normal_pinna.sofa"
KEMAR_CITATION = "MIT KEMAR HRTF (normal pinna), Bill Gardner and Keith Martin, MIT Media Lab, 1994"
_SEARCH = (Path(__file__).resolve().parents[2] / "resources" / "hrtf" / KEMAR_NAME,
           Path("/usr/share/libmysofa") / KEMAR_NAME, Path("/usr/local/share/libmysofa") / KEMAR_NAME)


def default_sofa() -> str | None:
    """The default measured HRTF: $STEREOSYNC_HRTF, else the MIT KEMAR set if installed; None
    when there is none (binaural rendering then falls back to the spherical-head model)."""
    env = os.environ.get("STEREOSYNC_HRTF", "")
    for p in ([Path(env)] if env else []) + list(_SEARCH):
        if p.is_file():
            return str(p)
    return None


@functools.lru_cache(maxsize=4)
def _load_sofa_cached(path: str, mtime: float, sample_rate: int) -> SofaHRTF:
    """Read with `sofar` (the AES69 reference reader): any convention with Data.IR and
    SourcePosition; the horizontal plane (the elevation nearest 0) is kept."""
    import sofar

    try:
        sofa = sofar.read_sofa(path, verify=False, verbose=False)
        ir = np.asarray(sofa.Data_IR, np.float64)
        pos = np.asarray(sofa.SourcePosition, np.float64)
        sr = float(np.asarray(sofa.Data_SamplingRate).reshape(-1)[0])
        kind = str(getattr(sofa, "SourcePosition_Type", "spherical")).lower()
    except (OSError, ValueError, KeyError, AttributeError, TypeError, IndexError, RuntimeError) as exc:
        raise InputError(path, f"not a readable SOFA HRTF file ({exc.__class__.__name__}: {exc})") from None
    if ir.ndim != 3 or ir.shape[1] != 2 or pos.ndim != 2 or pos.shape[0] != ir.shape[0]:
        raise InputError(path, f"SOFA file has unexpected shapes (Data.IR {ir.shape}, SourcePosition {pos.shape})")
    if not np.isfinite(ir).all() or not np.isfinite(sr) or sr <= 0:
        raise InputError(path, "SOFA file holds NaN/inf impulse responses or no sampling rate")
    if "cartesian" in kind:
        az_sofa = np.degrees(np.arctan2(pos[:, 1], pos[:, 0]))
        el = np.degrees(np.arctan2(pos[:, 2], np.hypot(pos[:, 0], pos[:, 1])))
    else:
        az_sofa, el = pos[:, 0], pos[:, 1]
    horiz = np.abs(el - el[np.argmin(np.abs(el))]) < 1e-6
    if horiz.sum() < 2:
        raise InputError(path, "SOFA file has fewer than two directions in the horizontal plane")
    # SOFA azimuth turns counter-clockwise (90 deg = left); ours is + = right.
    az = (-(az_sofa[horiz]) + 180.0) % 360.0 - 180.0
    az, keep = np.unique(np.round(az, 6), return_index=True)
    hrirs = ir[horiz][keep]
    if int(round(sr)) != sample_rate:
        from ..media.audio import resample
        flat = hrirs.reshape(-1, hrirs.shape[-1]).astype(np.float32)
        flat = resample(flat, int(round(sr)), sample_rate)
        hrirs = flat.reshape(hrirs.shape[0], 2, -1)
    hrirs = diffuse_field_equalised(hrirs)
    front = int(np.argmin(np.abs(az)))
    level = np.sqrt(np.mean(np.sum(hrirs[front] ** 2, axis=-1)))
    if not np.isfinite(level) or level <= 0:
        raise InputError(path, "SOFA file's frontal HRIR is silent or invalid")
    return SofaHRTF(az, hrirs / level, sample_rate, path)


def diffuse_field_equalised(hrirs: np.ndarray, max_boost_db: float = 15.0, smooth_bins: int = 9) -> np.ndarray:
    """HRIRs (M, 2, taps) divided by their average (diffuse-field) magnitude, minimum phase.

    Why: measured sets carry the loudspeaker's and the ear canal's response (raw MIT KEMAR:
    -14 dB below 200 Hz, +7 dB at 1-3 kHz), which would colour every binaural take and its
    room. What differs between directions and ears (ITD, ILD, pinna cues) is kept: one filter
    for all. The boost is limited to `max_boost_db` above the median (no bass the speaker
    never played is invented)."""
    from scipy.ndimage import uniform_filter1d

    taps = hrirs.shape[-1]
    nfft = 1 << int(np.ceil(np.log2(2 * taps)))
    power = np.mean(np.abs(np.fft.rfft(hrirs, nfft, axis=-1)) ** 2, axis=(0, 1))
    power = uniform_filter1d(power, smooth_bins, mode="nearest")
    inverse = 1.0 / np.sqrt(np.maximum(power, 1e-20))
    inverse = np.minimum(inverse, np.median(inverse) * 10.0 ** (max_boost_db / 20.0))
    cep = np.fft.irfft(np.log(inverse), nfft)  # real cepstrum -> minimum phase (homomorphic)
    fold = np.zeros(nfft)
    fold[0], fold[nfft // 2] = cep[0], cep[nfft // 2]
    fold[1:nfft // 2] = 2.0 * cep[1:nfft // 2]
    eq = np.fft.irfft(np.exp(np.fft.rfft(fold, nfft)), nfft)[:nfft // 2]
    eq[-nfft // 8:] *= np.linspace(1.0, 0.0, nfft // 8)  # the filter's tail fades out
    out = signal.oaconvolve(hrirs, eq[None, None, :], axes=-1)
    return out[..., : taps + nfft // 8].astype(np.float32)


def load_sofa(path: str | Path, sample_rate: int) -> SofaHRTF:
    """Read the horizontal-plane HRIRs of a SOFA file (cached per path, mtime and rate)."""
    p = str(path)
    if not os.path.isfile(p):
        raise InputError(p, "SOFA HRTF file not found")
    return _load_sofa_cached(p, os.path.getmtime(p), int(sample_rate))

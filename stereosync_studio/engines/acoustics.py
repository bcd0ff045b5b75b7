"""Scene acoustics (the "Space" setting): a take heard in a room, outdoors or in the user's own
impulse response instead of a booth.

Why after the engine: every engine's finished take gets the same room, and the room stays a
separate signal, so it can be exported as its own stem (`apply_space` returns mix and wet).

- The subject's dry sound is recovered from the take's mid signal divided by the level the
  spatial renderer gave it (`spatial.mixdown_level`: pan law and distance gain).
- Early reflections: first-order image sources of a shoebox room (four walls and the
  ceiling; footsteps are on the floor, so the floor image coincides with the source),
  recomputed every `BLOCK` samples from the subject's pan and distance, each delayed
  (`dsp.filters.fractional_delay`) and placed at its own azimuth by the source's renderer
  (pan law in stereo, the same HRTF as the direct sound in binaural).
- Late reverberation: a two-receiver room response simulated once per preset with
  pyroomacoustics (image sources + ray tracing), the first 20-40 ms faded out (the image
  model above owns them), convolved with scipy. Its level is distance-independent, set so
  the direct and reverberant energies are equal at the room's critical distance
  (Sabine, a floor source: Q = 2) while the direct sound falls as 1/distance: the
  direct-to-reverberant ratio falls 6 dB per doubling of distance, as in a real room.
- A user impulse response (WAV, mono or stereo) is taken as heard at the reference distance:
  its direct sound (the peak +- 2.5 ms) is removed and the rest scaled by the direct's energy,
  so at distance 1 the take has the IR's own ratio.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from scipy import signal

from ..core.errors import InputError, StereoSyncError
from ..core.trajectory import Trajectory
from ..dsp.control_rate import upsample
from ..dsp.filters import fractional_delay
from ..dsp.panning import PAN_DEG, SPEED_OF_SOUND, pan_gains
from ..dsp.true_peak import true_peak
from . import spatial
from .limiter import LIMIT_CEILING

__all__ = ["PRESETS", "REFERENCE_DISTANCE_M", "Room", "SpaceResult", "apply_space", "late_response", "load_ir",
           "space_active"]

REFERENCE_DISTANCE_M = 2.0  # metres at trajectory distance 1 (a person filling the frame's height)
BLOCK = 1024  # samples between recomputations of the reflection geometry
TAIL_FADE_S = (0.020, 0.040)  # the simulated tail fades in here; image reflections later than its end are dropped
SOURCE_HEIGHT_M, EAR_HEIGHT_M = 0.05, 1.5
IR_DIRECT_S = 0.0025
MAX_IR_S = 20.0


@dataclass(frozen=True)
class Room:
    """A preset space: shoebox size (m), reverberation time (s) and the camera's spot (fractions
    of width and depth). `walls=False`: outdoors (one building facade behind the camera)."""

    label: str
    dims: tuple[float, float, float]
    rt60: float
    listener: tuple[float, float] = (0.5, 0.2)
    walls: bool = True
    q: float = 2.0  # source directivity factor (a floor source radiates into a half space)

    @property
    def critical_distance_m(self) -> float:
        volume = self.dims[0] * self.dims[1] * self.dims[2]
        return 0.057 * math.sqrt(self.q * volume / self.rt60)

    @property
    def reflection(self) -> float:
        """Pressure reflection coefficient of the walls (Sabine absorption for rt60)."""
        import pyroomacoustics as pra

        absorption, _ = pra.inverse_sabine(self.rt60, list(self.dims))
        return math.sqrt(max(0.0, 1.0 - float(absorption)))


PRESETS: dict[str, Room] = {
    "small-room": Room("Small room", (4.0, 3.5, 2.6), 0.35),
    "living-room": Room("Living room", (6.5, 5.0, 2.7), 0.5),
    "hall": Room("Hall", (25.0, 18.0, 10.0), 1.8),
    "outdoor": Room("Outdoor", (40.0, 60.0, 40.0), 0.8, listener=(0.5, 0.1), walls=False),
}
OUTDOOR_DRR_DB = 14.0  # outdoors the diffuse field is faint: +14 dB direct at the reference distance


@dataclass
class SpaceResult:
    """A take with its space: `mix` = take + `wet`; `wet` None when the space is dry."""

    mix: np.ndarray
    wet: np.ndarray | None
    info: dict[str, Any]


def space_active(options: dict[str, Any] | None) -> bool:
    return str(spatial.spatial_defaults(options).get("space", "dry")) != "dry"


def apply_space(audio: np.ndarray, sample_rate: int, trajectory: Trajectory,
                options: dict[str, Any] | None = None) -> SpaceResult:
    """The take (2, N) placed in the source's Space (options `space`, `space_ir`, `space_mix_db`,
    and `mode`/`hrtf`/`sofa_path` for the reflections' directions)."""
    opt = spatial.spatial_defaults(options)
    take = np.asarray(audio, np.float32)
    space = str(opt.get("space", "dry"))
    if space == "dry" or take.shape[-1] == 0:
        return SpaceResult(take, None, {"space": "dry"})
    sr, n = int(sample_rate), take.shape[-1]
    source = _dry_source(take, sr, trajectory, opt)
    mix_gain = 10.0 ** (float(opt.get("space_mix_db", 0.0)) / 20.0)
    info: dict[str, Any] = {"space": space}
    if space == "ir":
        path = str(opt.get("space_ir") or "")
        if not path:
            raise InputError(None, "space 'ir' needs an impulse response file (option space_ir)")
        wet = _convolve(source, load_ir(path, sr), n) * np.float32(_diffuse_scale(opt))
        info["ir"] = Path(path).name
    elif space in PRESETS:
        room = PRESETS[space]
        wet = _early(source, sr, trajectory, opt, room)
        late = _convolve(source, late_response(space, sr), n)
        wet += late * np.float32(_late_gain(room) * _diffuse_scale(opt))
        info.update(rt60=room.rt60, critical_distance_m=round(room.critical_distance_m, 2))
    else:
        raise StereoSyncError(f"unknown space {space!r} (known: {', '.join(spatial.SPACE_CHOICES)})")
    wet *= np.float32(mix_gain)
    mix = take + wet
    peak = true_peak([mix]) if mix.size else 0.0
    if peak > LIMIT_CEILING:  # one gain for the whole of take and room: the stems still sum, the room's
        scale = np.float32(LIMIT_CEILING / peak)  # balance stays (a limiter would cut the direct sound only)
        mix *= scale
        wet *= scale
        info["gain_db"] = round(20.0 * math.log10(float(scale)), 2)
    return SpaceResult(mix.astype(np.float32), wet.astype(np.float32), info)


def _diffuse_scale(opt: dict[str, Any]) -> float:
    """Per-channel level of a diffuse field: the pan law shares one unit of energy between the
    speakers (1/2 each), the ears each get about one; so the ratio is the same in both modes."""
    return 1.0 if opt.get("mode") == "binaural" else math.sqrt(0.5)


def _late_gain(room: Room) -> float:
    """Tail gain (tail normalised to unit energy): reverberant = direct energy at the critical
    distance; outdoors a fixed ratio at the reference distance."""
    if not room.walls:
        return 10.0 ** (-OUTDOOR_DRR_DB / 20.0)
    return REFERENCE_DISTANCE_M / room.critical_distance_m


def _dry_source(take: np.ndarray, sr: int, trajectory: Trajectory, opt: dict[str, Any]) -> np.ndarray:
    """The subject's sound at the reference distance: the take's mid over its render level."""
    n = take.shape[-1]
    mid = take.mean(axis=0) if take.ndim == 2 else take
    hop = spatial.CONTROL_HOP
    grid = np.arange(n // hop + 2) * hop / float(sr)
    level = spatial.mixdown_level(trajectory, grid, sr, opt)
    gain = 1.0 / np.maximum(level, 10.0 ** (spatial.DIST_GAIN_MIN_DB / 20.0) * 0.5)
    return (mid * upsample(gain, hop, n)).astype(np.float32)


# ------------------------------------------------------------------------- early reflections

def image_sources(room: Room, azimuth_deg: np.ndarray, distance: np.ndarray):
    """Per control point: (delay s relative to the direct sound, gain relative to the source at
    the reference distance, azimuth deg) of each first-order image, shape (K, points)."""
    w, d, h = room.dims
    lx, ly = room.listener[0] * w, room.listener[1] * d
    listener = np.array([lx, ly, EAR_HEIGHT_M])
    r = np.asarray(distance, np.float64) * REFERENCE_DISTANCE_M
    az = np.radians(np.asarray(azimuth_deg, np.float64))
    sx = np.clip(lx + r * np.sin(az), 0.3, w - 0.3)  # x right, y forward (the camera looks along +y)
    sy = np.clip(ly + r * np.cos(az), 0.3, d - 0.3)
    sz = np.full_like(sx, SOURCE_HEIGHT_M)
    if room.walls:
        images = [(-sx, sy, sz), (2 * w - sx, sy, sz), (sx, -sy, sz), (sx, 2 * d - sy, sz), (sx, sy, 2 * h - sz)]
        coeff = room.reflection
    else:  # outdoors: one facade 12 m behind the camera
        images = [(sx, 2 * (ly - 12.0) - sy, sz)]
        coeff = 0.5
    direct = np.sqrt((sx - lx) ** 2 + (sy - ly) ** 2 + (sz - listener[2]) ** 2)
    delays, gains, azimuths = [], [], []
    for ix, iy, iz in images:
        vx, vy, vz = ix - lx, iy - ly, iz - listener[2]
        path = np.sqrt(vx ** 2 + vy ** 2 + vz ** 2)
        delays.append((path - direct) / SPEED_OF_SOUND)
        gains.append(coeff * REFERENCE_DISTANCE_M / path)
        azimuths.append(np.degrees(np.arctan2(vx, vy)))
    return np.array(delays), np.array(gains), np.array(azimuths)


def _early(source: np.ndarray, sr: int, trajectory: Trajectory, opt: dict[str, Any], room: Room) -> np.ndarray:
    n = len(source)
    cc = spatial.control_curves(trajectory, n, sr, opt, hop=BLOCK)
    delays, gains, azimuths = image_sources(room, cc.pan * PAN_DEG, cc.distance)
    binaural = opt.get("mode") == "binaural"
    render = spatial.binaural_renderer(opt, sr) if binaural else None
    measured = binaural and spatial.hrtf_path(opt) is not None  # a SOFA set has rear directions
    out = np.zeros((2, n), np.float32)
    for k in range(len(delays)):
        if float(np.min(delays[k])) > TAIL_FADE_S[1]:
            continue  # arrives inside the simulated tail, which already holds it
        reach = np.where(delays[k] <= TAIL_FADE_S[1], gains[k], 0.0)
        y = fractional_delay(source, upsample(delays[k] * sr, BLOCK, n))
        y *= upsample(reach, BLOCK, n)
        # behind the camera folds to the front for speakers and the (front-only) head model
        folded = np.where(np.abs(azimuths[k]) > 90.0, np.sign(azimuths[k]) * 180.0 - azimuths[k], azimuths[k])
        if binaural:
            out += render(y, azimuths[k] if measured else folded, BLOCK)[:, :n]
        else:
            gl, gr = pan_gains(np.clip(folded / PAN_DEG, -1.0, 1.0))
            out[0] += y * upsample(gl, BLOCK, n)
            out[1] += y * upsample(gr, BLOCK, n)
    return out


# ------------------------------------------------------------------------------ late tails

@functools.lru_cache(maxsize=8)
def late_response(space: str, sample_rate: int) -> np.ndarray:
    """The preset's late reverberation (2, taps), unit energy per channel (cached)."""
    room = PRESETS[space]
    sr = int(sample_rate)
    if room.walls:
        h = _simulate(room, sr)
    else:  # outdoors: a faint, decorrelated, darkening diffuse field
        rng = np.random.default_rng(7)
        t = np.arange(int(room.rt60 * sr)) / sr
        decay = 10.0 ** (-3.0 * t / room.rt60)
        sos = signal.butter(2, 3000.0, "low", fs=sr, output="sos")
        h = signal.sosfilt(sos, rng.standard_normal((2, len(t)))) * decay
    start = int(np.argmax(np.max(np.abs(h), axis=0)))
    a, b = (int(start + s * sr) for s in TAIL_FADE_S)
    fade = np.clip((np.arange(h.shape[1]) - a) / max(b - a, 1), 0.0, 1.0)
    h = h * fade
    h /= np.sqrt(np.mean(np.sum(h ** 2, axis=1)))
    h = h.astype(np.float32)
    h.flags.writeable = False
    return h


def _simulate(room: Room, sr: int) -> np.ndarray:
    """Two receivers 18 cm apart at the camera, a floor source 2 m ahead (pyroomacoustics)."""
    import pyroomacoustics as pra

    absorption, order = pra.inverse_sabine(room.rt60, list(room.dims))
    shoebox = pra.ShoeBox(list(room.dims), fs=sr, materials=pra.Material(float(absorption)),
                          max_order=min(int(order), 12), air_absorption=True, ray_tracing=True)
    shoebox.set_ray_tracing(receiver_radius=0.5, n_rays=3000, energy_thres=1e-5)
    w, d, _ = room.dims
    lx, ly = room.listener[0] * w, room.listener[1] * d
    shoebox.add_source([lx + 0.4, min(ly + REFERENCE_DISTANCE_M, d - 0.3), SOURCE_HEIGHT_M])
    shoebox.add_microphone_array(np.array([[lx - 0.09, lx + 0.09], [ly, ly], [EAR_HEIGHT_M, EAR_HEIGHT_M]]))
    np.random.seed(11)  # pyroomacoustics' ray tracer draws from numpy's global generator
    shoebox.compute_rir()
    rirs = [np.asarray(shoebox.rir[m][0], np.float64) for m in range(2)]
    m = min(len(r) for r in rirs)
    return np.stack([r[:m] for r in rirs])


@functools.lru_cache(maxsize=4)
def _load_ir_cached(path: str, mtime: float, sample_rate: int) -> np.ndarray:
    from ..media.audio import check_audio, read_audio, to_stereo

    audio, _ = read_audio(path, sample_rate)
    check_audio(audio, path, "impulse response")
    if audio.shape[1] > MAX_IR_S * sample_rate:
        raise InputError(path, f"impulse response is {audio.shape[1] / sample_rate:.0f} s long "
                               f"(at most {MAX_IR_S:.0f} s)")
    ir = to_stereo(audio).astype(np.float64)
    peak = int(np.argmax(np.max(np.abs(ir), axis=0)))
    w = int(IR_DIRECT_S * sample_rate)
    direct = ir[:, max(0, peak - w):peak + w + 1]
    tail = ir[:, peak + w + 1:].copy()
    if tail.shape[1] < 16:
        raise InputError(path, "impulse response holds no reverberation after its direct sound")
    fade = min(tail.shape[1], w)
    tail[:, :fade] *= np.linspace(0.0, 1.0, fade)
    e_direct, e_tail = float(np.mean(np.sum(direct ** 2, axis=1))), float(np.mean(np.sum(tail ** 2, axis=1)))
    if e_tail < 1e-12 * max(e_direct, 1e-30):
        raise InputError(path, "impulse response holds no reverberation after its direct sound")
    out = (tail / math.sqrt(e_direct)).astype(np.float32)
    out.flags.writeable = False
    return out


def load_ir(path: str | Path, sample_rate: int) -> np.ndarray:
    """A user's impulse response as a stereo reverb tail (direct sound removed), scaled so that
    at the reference distance the take keeps the IR's own direct-to-reverberant ratio."""
    p = Path(path)
    if not p.is_file():
        raise InputError(p, "impulse response file not found")
    return _load_ir_cached(str(p), p.stat().st_mtime, int(sample_rate))


def _convolve(source: np.ndarray, tail: np.ndarray, n: int) -> np.ndarray:
    """source (N,) through each channel of `tail`, cut to N samples (the stem's length)."""
    active = np.flatnonzero(np.abs(source) > 0)
    out = np.zeros((2, n), np.float32)
    if len(active) == 0:
        return out
    s = int(active[0])
    e = min(n, int(active[-1]) + 1)
    for ch in range(2):
        y = signal.oaconvolve(source[s:e], tail[ch])
        m = min(n - s, len(y))
        out[ch, s:s + m] = y[:m]
    return out

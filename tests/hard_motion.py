"""Walker clips with hard motion for the picture's step detector: turning on the spot, zig-zag,
running and stop-and-go, each drawn from a seed (speeds, cadence, timings, distance vary).

The people are tests/walker.py's (3-D bodies with planted feet, exact heel strikes). Turning
on the spot needs steps that do not follow the path's length (the body hardly moves while the
feet step round), so `_Stepper` places steps at a cadence in time instead.

    truth = cached_motion_clip(cache_dir, "turning", seed=11)
    truth.path, truth.step_times, truth.boxes

`rough=True` makes the same motion as footage from a cheap camera would show it: a small
subject (384x216 frame, the person ~60 px tall), strong sensor noise drawn afresh each frame
and heavy H.264 compression (crf 32). The truth is the walker's, unchanged.
"""

from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path

import numpy as np

from tests.walker import PALETTES, WalkerScene, WalkerTruth, _Path, _Walker

MOTIONS = ("turning", "zigzag", "running", "stop_and_go")
VERSION = 2  # bump when a motion changes (cached clips are keyed on it)


class _Stepper(_Walker):
    """A walker whose steps come at a fixed cadence in time: on the straights it walks as any
    walker; where the body slows to turn on the spot, the steps get short and turn with it."""

    def __init__(self, path: _Path, knots_t: list[float], knots_s: list[float], cadence: float, palette: dict,
                 t0: float, t1: float, phase: float = 0.0):
        super().__init__(path, knots_t, knots_s, cadence, 1.3, palette, t0, t1, phase=phase)
        k = np.arange(math.floor((t0 - 2.0) * cadence), math.ceil((t1 + 2.0) * cadence) + 1)
        self.step_t = (k + phase) / cadence
        self.step_s = np.array([self.s_at(t) for t in self.step_t])
        self.step_side = (k % 2).astype(int)
        pos, head = [], []
        for t, s, side in zip(self.step_t, self.step_s, self.step_side):
            ahead = s + 0.5 * (self.s_at(t + 1.0 / cadence) - s)
            h = path.heading(ahead)
            lat = np.array([h[1], -h[0]])
            pos.append(path.pos(ahead) + lat * (self.half_w if side else -self.half_w))
            head.append(h)
        self.step_pos, self.step_heading = np.asarray(pos), np.asarray(head)
        self.swing = np.full(len(self.step_t), 0.8 / cadence)


def _turning(duration: float, rng: np.random.Generator) -> _Walker:
    """Walk in, turn round on the spot (a half or a whole turn), walk back out."""
    v, z = rng.uniform(1.1, 1.4), rng.uniform(4.2, 5.5)
    r = rng.uniform(0.1, 0.18)
    turns = float(rng.choice([0.5, 1.0]))
    t_in = rng.uniform(0.25, 0.35) * duration
    t_turn = rng.uniform(1.4, 2.0) * turns / 0.5 * 0.6
    start = -v * t_in
    arc = [(r * math.sin(a), z + r - r * math.cos(a)) for a in np.linspace(0.0, 2 * math.pi * turns, 40)]
    if turns == 0.5:  # back along a parallel line, 2r nearer the camera... or farther
        tail = [(-10.0, z + 2 * r)]
    else:
        tail = [(10.0, z)]
    path = _Path([(start - 10.0, z), (0.0, z)] + arc[1:] + tail, smooth=0)
    s_turn = 10.0 - start
    arc_len = 2 * math.pi * r * turns
    kt = [-3.0, t_in, t_in + t_turn, duration + 3.0]
    ks = [s_turn - v * (t_in + 3.0), s_turn, s_turn + arc_len, s_turn + arc_len + v * (duration + 3.0 - t_in - t_turn)]
    return _Stepper(path, kt, ks, rng.uniform(1.7, 2.0), PALETTES[0], -3.0, duration + 3.0, phase=rng.uniform())


def _running(duration: float, rng: np.random.Generator) -> _Walker:
    """A run across the frame: ~3 m/s at 2.7-3 steps/s."""
    v, cad = rng.uniform(2.8, 3.4), rng.uniform(2.7, 3.0)
    z = max(7.0, 0.55 * v * duration)
    x0 = -0.47 * v * duration
    path = _Path([(x0 - 20.0, z), (x0 + 40.0, z)], smooth=0)
    kt, ks = [-3.0, duration + 3.0], [20.0 - 3.0 * v, 20.0 + v * (duration + 3.0)]
    return _Walker(path, kt, ks, cad, v, PALETTES[1], -3.0, duration + 3.0, phase=rng.uniform())


def _stop_and_go(duration: float, rng: np.random.Generator) -> _Walker:
    """Walks, stops, walks on, stops again (the stops land on heel strikes: both feet down)."""
    v, cad, z, phase = rng.uniform(1.1, 1.4), rng.uniform(1.8, 2.1), rng.uniform(4.5, 5.5), rng.uniform()
    x0 = -0.45 * v * duration
    path = _Path([(x0 - 20.0, z), (x0 + 40.0, z)], smooth=0)
    plain = _Walker(path, [-3.0, duration + 3.0], [20.0 - 3.0 * v, 20.0 + v * (duration + 3.0)], cad, v,
                    PALETTES[0], -3.0, duration + 3.0, phase=phase)
    kt, ks, shift = [-3.0], [20.0 - 3.0 * v], 0.0
    for frac in (rng.uniform(0.2, 0.3), rng.uniform(0.55, 0.65)):
        k = int(np.argmin(np.abs(plain.step_t - frac * duration)))
        t_stop, s_stop = float(plain.step_t[k]) + shift, float(plain.step_s[k])
        pause = rng.uniform(0.5, 0.9)
        kt += [t_stop, t_stop + pause]
        ks += [s_stop, s_stop]
        shift += pause
    kt.append(duration + 3.0 + shift)
    ks.append(ks[-1] + v * (kt[-1] - kt[-2]))
    return _Walker(path, kt, ks, cad, v, PALETTES[0], -3.0, duration + 3.0 + shift, phase=phase)


def motion_scene(motion: str, seed: int = 0, duration: float = 5.0, size: tuple[int, int] = (640, 360),
                 fps: float = 25.0) -> WalkerScene:
    """A scene with one walker doing `motion` (one of MOTIONS)."""
    if motion not in MOTIONS:
        raise ValueError(f"unknown motion {motion!r} (one of {', '.join(MOTIONS)})")
    scene = WalkerScene("zigzag" if motion == "zigzag" else "crossing", duration, fps, size, seed)
    if motion != "zigzag":
        rng = np.random.default_rng([seed, 11])
        scene.walkers = [{"turning": _turning, "running": _running, "stop_and_go": _stop_and_go}[motion](duration, rng)]
    return scene


ROUGH_SIZE, ROUGH_NOISE, ROUGH_CRF = (384, 216), 6.0, 32


def _rough_frames(scene: WalkerScene, seed: int):
    """The scene's frames with fresh sensor noise on each (the scene's own repeats every 4)."""
    rng = np.random.default_rng([seed, 77])
    for i in range(scene.n_frames):
        f = scene.render(i).astype(np.float32) + rng.normal(0.0, ROUGH_NOISE, (scene.height, scene.width, 1))
        yield np.clip(f, 0, 255).astype(np.uint8)


def cached_motion_clip(cache_dir: str | Path, motion: str, seed: int = 0, duration: float = 5.0,
                       rough: bool = False, crf: int | None = None, bframes: int | None = None) -> WalkerTruth:
    """The clip of `motion_scene` (H.264 + AAC guide), cached in `cache_dir` by its parameters;
    `rough`: small, noisy and heavily compressed (see the module's note). `crf` and `bframes`
    (None: the encoder's default, 3 B-frames with x264's veryfast) re-encode the same pictures
    one factor at a time, to tell what compression does to the steps."""
    from stereosync_studio.media.video_writer import write_video

    scene = motion_scene(motion, seed, duration, size=ROUGH_SIZE) if rough else motion_scene(motion, seed, duration)
    params = {"v": VERSION, "motion": motion, "seed": seed, "duration": duration}
    if rough:
        params["rough"] = [ROUGH_SIZE, ROUGH_NOISE, ROUGH_CRF]
    crf = int(crf) if crf is not None else (ROUGH_CRF if rough else 18)
    if crf != (ROUGH_CRF if rough else 18) or bframes is not None:  # the default clips keep their keys
        params["encode"] = [crf, bframes]
    key = json.dumps(params, sort_keys=True)
    d = Path(cache_dir)
    d.mkdir(parents=True, exist_ok=True)
    clip = d / f"motion_{motion}_{hashlib.sha1(key.encode()).hexdigest()[:10]}.mp4"
    truth = scene.truth(clip)
    if not (clip.is_file() and clip.stat().st_size > 0):
        frames = _rough_frames(scene, seed) if rough else (scene.render(i) for i in range(scene.n_frames))
        write_video(clip, frames, scene.fps, audio=truth.guide_audio, sample_rate=truth.sample_rate,
                    crf=crf, bframes=bframes)
    return truth


def picture_types(path: str | Path) -> str:
    """The coded picture type of each frame in presentation order, one letter (I, P, B; ? other)."""
    import av

    with av.open(str(path)) as c:
        return "".join({1: "I", 2: "P", 3: "B"}.get(int(f.pict_type), "?") for f in c.decode(video=0))


def scored(found: list[float], truth: list[float], first: float = 0.15,
           tol: float = 0.05) -> tuple[list[float], list[float]]:
    """(found, truth) to score: heel strikes in the first `first` s have no swing in the clip,
    so they are not asked for, and a contact found on one of them counts neither way."""
    early = [t for t in truth if t < first]
    return ([t for t in found if t >= 0.1 and not any(abs(t - e) <= tol for e in early)],
            [t for t in truth if t >= first])


__all__ = ["MOTIONS", "cached_motion_clip", "motion_scene", "picture_types", "scored"]

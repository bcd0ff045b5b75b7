"""Generated footage with the difficulties of real pedestrian clips, and its exact truth.

Why: no real clips ship with the project, and the plain walker clips (tests/walker.py) are
too easy to show identity switches. These scenes keep that generator's people (3-D walkers
with planted feet) and add what broke the tracker on real footage: a textured street, sensor
noise, blur and strong compression, small subjects, a sign post and a kiosk in front of the
subject, a second person in near-identical clothes crossing in front of it or standing next
to it, a standing group the subject joins and leaves, camera pans, and a subject who turns
back or stands while hidden behind a kiosk (kiosk_turn), where coasting on its last velocity
leads to a lookalike. Every scene is drawn from a seed (positions, timings, clothes, textures,
noise, compression), so tests and benches measure on held-out seeds instead of one fixture.

    truth = make_hard_clip(tmp / "hard.mp4", scenario="story", seed=11)
    score_track(track.boxes, truth)  # {"kept": ..., "mean_iou": ..., "id_switches": ...}

Truth boxes are the subject's whole body even while something hides it (`visible` says how
much of it shows), in pixels of the output frame; NaN where the subject is outside the frame.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from stereosync_studio.analysis.detect import iou
from tests.walker import _Camera, _draw_walker, _Path, _Walker

SCENARIOS = ("post_and_passer", "kiosk", "group", "pan", "small", "story", "kiosk_turn")  # append: index seeds the rng
VERSION = 2
CLOTHES = [  # shirt, trousers, skin, shoes: muted colours of real clothes
    dict(shirt=(38, 48, 78), trousers=(52, 60, 82), skin=(200, 160, 130), shoes=(30, 26, 24)),
    dict(shirt=(120, 36, 40), trousers=(40, 40, 46), skin=(170, 125, 95), shoes=(25, 22, 20)),
    dict(shirt=(60, 92, 62), trousers=(90, 82, 70), skin=(225, 185, 155), shoes=(45, 35, 28)),
    dict(shirt=(150, 146, 138), trousers=(36, 44, 70), skin=(140, 100, 75), shoes=(20, 20, 22)),
    dict(shirt=(170, 120, 60), trousers=(55, 55, 58), skin=(215, 170, 140), shoes=(60, 40, 30)),
    dict(shirt=(30, 30, 34), trousers=(70, 72, 80), skin=(190, 150, 120), shoes=(15, 15, 15)),
]


@dataclass
class HardTruth:
    """What a hard clip shows: the subject's box per frame, the others', how visible it is."""

    path: str
    scenario: str
    seed: int
    fps: float
    width: int
    height: int
    n_frames: int
    boxes: np.ndarray  # (n, 4) the subject, whole body, NaN when outside the frame
    others: list[np.ndarray] = field(default_factory=list)  # (n, 4) each other person
    visible: np.ndarray | None = None  # (n,) fraction of the subject's pixels not hidden
    similar: list[int] = field(default_factory=list)  # indices in `others` dressed like the subject
    hidden_move: str = ""  # kiosk_turn: what the subject does while hidden (turn, stop_turn, stop)


# ----------------------------------------------------------------------------- street

def _noise(rng: np.random.Generator, h: int, w: int, cell: int, ch: int = 1) -> np.ndarray:
    small = rng.normal(0, 1, (max(h // cell, 2), max(w // cell, 2), ch)).astype(np.float32)
    return cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC).reshape(h, w, ch)


def _street(w: int, h: int, cam: _Camera, rng: np.random.Generator) -> np.ndarray:
    """A facade (bricks, windows, shop fronts, signs) above a paved pavement, with texture."""
    horizon = int(cam.cy)
    base = np.array(rng.uniform([120, 100, 85], [175, 150, 130]), np.float32)
    img = np.empty((h, w, 3), np.float32)
    img[:] = base
    img += 14 * _noise(rng, h, w, 30) + 5 * _noise(rng, h, w, 60, 3) + 7 * rng.normal(0, 1, (h, w, 1))
    brick_h = max(int(h * 0.012), 3)
    for y in range(0, horizon, brick_h):
        img[y, :] *= 0.82
        off = (y // brick_h % 2) * brick_h * 2
        img[y:y + brick_h, off::brick_h * 4] *= 0.88
    x = int(rng.integers(0, w // 12))
    while x < w:  # bays: a window or a shop front, each its own colour
        bw = int(rng.uniform(0.06, 0.14) * w)
        if rng.random() < 0.4:
            top, bot = int(horizon * 0.45), horizon - 2
            col = np.array(rng.uniform(30, 200, 3), np.float32)
            img[top:bot, x:x + bw] = 0.3 * img[top:bot, x:x + bw] + 0.7 * col
            img[top:top + max(h // 40, 2), x:x + bw] = rng.uniform(40, 230, 3)  # shop sign
        else:
            top, bot = int(horizon * rng.uniform(0.1, 0.3)), int(horizon * rng.uniform(0.55, 0.8))
            grad = np.linspace(1.0, 0.6, bot - top, dtype=np.float32)[:, None, None]
            img[top:bot, x:x + bw] = np.array([55, 65, 80], np.float32) * grad + 10 * rng.normal(
                0, 1, (bot - top, min(bw, w - x), 1))
            img[top:bot, x + bw // 2:x + bw // 2 + 2] = 200
        x += bw + int(rng.uniform(0.03, 0.1) * w)
    pave = np.array(rng.uniform([110, 105, 100], [150, 140, 130]), np.float32)
    floor = pave + 12 * _noise(rng, h, w, 8) + 9 * rng.normal(0, 1, (h, w, 1)) + 8 * _noise(rng, h, w, 50, 3)
    img[horizon:] = floor[horizon:]
    lines = np.zeros((h, w), np.uint8)
    for z in np.arange(1.5, 60.0, 0.6):
        v = int(cam.cy + cam.f / z)
        if horizon < v < h:
            cv2.line(lines, (0, v), (w, v), 255, 1, cv2.LINE_AA)
    for xw in np.arange(-40.0, 41.0, 0.6):
        p0, p1 = cam.project(np.array([xw, 0.0, 1.0])), cam.project(np.array([xw, 0.0, 80.0]))
        cv2.line(lines, (int(p0[0]), int(p0[1])), (int(p1[0]), int(p1[1])), 200, 1, cv2.LINE_AA)
    img -= lines[..., None].astype(np.float32) / 255.0 * 30.0
    img[horizon - 2:horizon + 1] *= 0.6  # kerb
    return np.clip(img, 0, 255).astype(np.uint8)


# ----------------------------------------------------------------------------- props

@dataclass
class _Prop:
    """A static object in front of the people: rectangles (x0, x1, y0, y1 in metres) at depth z."""

    z: float
    rects: list[tuple[float, float, float, float, tuple[int, int, int]]]

    def draw(self, frame: np.ndarray, cam: _Camera, texture: np.ndarray) -> None:
        for x0, x1, y0, y1, col in self.rects:
            a = cam.project(np.array([x0, y1, self.z]))
            b = cam.project(np.array([x1, y0, self.z]))
            u0, v0 = int(max(round(a[0]), 0)), int(max(round(a[1]), 0))
            u1, v1 = int(min(round(b[0]), frame.shape[1])), int(min(round(b[1]), frame.shape[0]))
            if u1 > u0 and v1 > v0:
                tex = texture[v0:v1, u0:u1]
                frame[v0:v1, u0:u1] = np.clip(np.asarray(col, np.float32) + tex, 0, 255).astype(np.uint8)


def _post(x: float, z: float, rng: np.random.Generator) -> _Prop:
    grey = tuple(int(c) for c in rng.uniform(70, 110, 3))
    sign = tuple(int(c) for c in rng.uniform(60, 220, 3))
    return _Prop(z, [(x - 0.06, x + 0.06, 0.0, 2.7, grey), (x - 0.35, x + 0.35, 1.9, 2.5, sign)])


def _kiosk(x: float, z: float, width: float, rng: np.random.Generator) -> _Prop:
    col = tuple(int(c) for c in rng.uniform(50, 170, 3))
    roof = tuple(int(c * 0.6) for c in col)
    return _Prop(z, [(x - width / 2, x + width / 2, 0.0, 2.1, col), (x - width / 2 - 0.1, x + width / 2 + 0.1, 2.1, 2.4, roof)])


# ----------------------------------------------------------------------------- people

def _similar(p: dict, rng: np.random.Generator) -> dict:
    """Clothes a passer-by could wear and a colour histogram cannot tell from `p`'s."""
    return {k: tuple(int(np.clip(c + rng.uniform(-14, 14), 0, 255)) for c in v) for k, v in p.items()}


def _walker(xs: float, xe: float, z: float, t_start: float, speed: float, palette: dict,
            rng: np.random.Generator, stops: list[tuple[float, float]] = (), stature: float | None = None) -> _Walker:
    """A person walking from (xs, z) towards (xe, z) from `t_start`, standing still during `stops`
    (time, seconds), before and after at `speed`."""
    direction = 1.0 if xe >= xs else -1.0
    path = _Path([(xs, z), (xs + direction * 200.0, z + rng.uniform(-0.02, 0.02) * 200.0)], smooth=0)
    return _on_path(path, t_start, speed, palette, rng, stops, stature)


def _on_path(path: _Path, t_start: float, speed: float, palette: dict, rng: np.random.Generator,
             stops: list[tuple[float, float]] = (), stature: float | None = None) -> _Walker:
    """A person walking `path` from its start at `t_start`, standing still during `stops`."""
    kt, ks, s, t = [t_start - 5.0, t_start], [-speed * 5.0, 0.0], 0.0, t_start
    for ts, dur in sorted(stops):
        s += speed * (ts - t)
        kt += [ts, ts + dur]
        ks += [s, s + 1e-3]
        t = ts + dur
    kt.append(t + 60.0)
    ks.append(s + speed * 60.0)
    return _Walker(path, kt, ks, float(rng.uniform(1.8, 2.1)), speed, palette, t_start - 5.0, t + 60.0,
                   stature=stature or float(rng.uniform(1.62, 1.9)), phase=float(rng.uniform(0, 1)))


def _stander(x: float, z: float, palette: dict, rng: np.random.Generator) -> _Walker:
    """Someone standing (shifting weight now and then: tiny steps on the spot)."""
    return _walker(x, x + 1.0, z, -5.0, 0.03, palette, rng)


def _heel_strikes(rng: np.random.Generator, speed: float, palette: dict) -> np.ndarray:
    """Arc lengths (m) of the heel strikes of the next walker `_on_path` draws from `rng`, which
    is left as it was: a stop placed on one stands with both feet down, as people stand."""
    state = rng.bit_generator.state
    probe = _on_path(_Path([(0.0, 0.0), (200.0, 0.0)], smooth=0), 0.0, speed, palette, rng)
    rng.bit_generator.state = state
    return probe.step_s[probe.step_s >= 0]


# ----------------------------------------------------------------------------- scenes

class HardScene:
    """One randomised scene of a scenario; `render(i)` draws frame i, `truth()` the truth."""

    def __init__(self, scenario: str = "story", seed: int = 0, size: tuple[int, int] = (960, 540),
                 fps: float = 25.0, duration: float | None = None):
        if scenario not in SCENARIOS:
            raise ValueError(f"unknown hard scenario {scenario!r} (one of {', '.join(SCENARIOS)})")
        rng = np.random.default_rng(10_000 + 97 * seed + SCENARIOS.index(scenario))
        self.scenario, self.seed, self.fps = scenario, seed, float(fps)
        self.w, self.h = int(size[0]), int(size[1])
        self.duration = float(duration or {"story": 8.0, "kiosk_turn": 7.0}.get(scenario, 6.0))
        self.n_frames = int(round(self.duration * self.fps))
        pan = scenario in ("pan", "story")
        self.margin = int(0.45 * self.w) if pan else 0
        self.cam = _Camera(self.w + 2 * self.margin, self.h)
        self.cam.f = 0.5 * self.w  # 90 deg across the output frame, whatever the canvas
        self.cam.cy = self.h * rng.uniform(0.42, 0.5)
        self.bg = _street(self.cam.w, self.h, self.cam, rng)
        self.props: list[_Prop] = []
        self.others: list[_Walker] = []
        self.similar: list[int] = []
        self.hidden_move = ""
        self._build(scenario, rng)
        self.noise_sd = float(rng.uniform(2.5, 5.0))
        self.blur = float(rng.uniform(0.4, 0.9))
        self.crf = int(rng.integers(27, 32))
        self._noise = [rng.normal(0, self.noise_sd, (self.h, self.w, 3)).astype(np.int16) for _ in range(5)]
        self._flicker = 1.0 + 0.03 * np.sin(np.arange(self.n_frames) / self.fps * rng.uniform(0.5, 2.0))
        tex_rng = np.random.default_rng(seed + 7)
        self._tex = (10 * _noise(tex_rng, self.h, self.cam.w, 12) + 5 * tex_rng.normal(0, 1, (self.h, self.cam.w, 1)))
        self._offsets = self._pan_offsets(pan, rng)

    # -- layout
    def _build(self, sc: str, rng: np.random.Generator) -> None:
        small = sc == "small"
        z = float(rng.uniform(17.0, 24.0)) if small else float(rng.uniform(5.0, 7.0))
        v = float(rng.uniform(1.1, 1.45))
        d = 1.0 if rng.random() < 0.5 else -1.0
        half = 0.5 * self.w / self.cam.f * z  # metres from the centre to the frame edge at depth z
        xs = -d * half * rng.uniform(0.65, 0.85)
        pal = dict(CLOTHES[int(rng.integers(len(CLOTHES)))])
        stops: list[tuple[float, float]] = []
        t_meet = float(rng.uniform(0.3, 0.45)) * self.duration  # when the first difficulty happens
        x_meet = xs + d * v * t_meet
        if sc in ("group", "story"):
            t_g = self.duration * (0.7 if sc == "story" else 0.45)
            x_g = xs + d * v * t_g
            stops.append((t_g, float(rng.uniform(1.0, 1.6))))
            twin = _similar(pal, rng)
            group = [(x_g + d * rng.uniform(0.45, 0.6), z + rng.uniform(-0.5, -0.25), twin),
                     (x_g - d * rng.uniform(0.5, 0.7), z + rng.uniform(0.2, 0.5), dict(CLOTHES[int(rng.integers(len(CLOTHES)))]))]
            if rng.random() < 0.5:
                group.append((x_g + d * rng.uniform(1.0, 1.3), z + rng.uniform(0.0, 0.4), dict(CLOTHES[int(rng.integers(len(CLOTHES)))])))
            for gx, gz, gp in group:
                if gp is twin:
                    self.similar.append(len(self.others))
                self.others.append(_stander(gx, gz, gp, rng))
        if sc in ("post_and_passer", "small", "pan", "story"):
            zp = z - float(rng.uniform(1.5, 3.0)) if not small else z * 0.55
            self.props.append(_post(x_meet * zp / z, zp, rng))
            zd = z - float(rng.uniform(0.6, 1.2)) * (3.0 if small else 1.0)  # the passer walks in front
            vd = float(rng.uniform(1.0, 1.4))
            t_c = t_meet + float(rng.uniform(-0.2, 0.4))
            x_c = (xs + d * v * t_c) * zd / z  # where the passer hides the subject
            self.similar.append(len(self.others))
            self.others.append(_walker(x_c + d * vd * t_c, x_c - d * 100, zd, 0.0, vd, _similar(pal, rng), rng))
        if sc == "kiosk":
            zk = z - float(rng.uniform(1.5, 2.5))
            occ = float(rng.uniform(0.8, 1.5))  # seconds fully hidden
            width_at_z = v * occ + 0.55
            self.props.append(_kiosk(x_meet * zk / z, zk, width_at_z * zk / z, rng))
            zs = z + float(rng.uniform(0.5, 1.5))  # someone alike standing just behind the kiosk's far side
            self.similar.append(len(self.others))
            self.others.append(_stander(x_meet + d * rng.uniform(1.6, 2.4), zs, _similar(pal, rng), rng))
        if sc == "kiosk_turn":
            self.subject = self._hidden_turn(xs, z, v, d, x_meet, pal, rng)
            return
        self.subject = _walker(xs, xs + d * 100, z, 0.0, v, pal, rng, stops=stops)

    def _hidden_turn(self, xs: float, z: float, v: float, d: float, x_hide: float, pal: dict,
                     rng: np.random.Generator) -> _Walker:
        """kiosk_turn: hidden behind a kiosk from x_hide on, the subject turns back ("turn"),
        stands about a second and turns back ("stop_turn"), or stands and walks on ("stop"); a
        lookalike stands past the kiosk's far side, where a constant-velocity guess of the
        hidden subject leads. Why: a tracker that coasts on the last velocity meets the subject
        late, or the lookalike first, when real people do this behind things."""
        self.hidden_move = move = str(rng.choice(["turn", "stop_turn", "stop"]))
        body = 0.45  # metres from the body's centre to its outline, arms and feet in a stride
        stand, into, past = float(rng.uniform(0.6, 1.0)), float(rng.uniform(0.05, 0.15)), float(rng.uniform(0.2, 0.6))
        a = v * float(rng.uniform(0.4, 0.7))  # "turn": hidden walk before turning
        r = float(rng.uniform(0.3, 0.6) * rng.choice([-1.0, 1.0]))  # back a little nearer or further
        strikes = _heel_strikes(rng, v, pal)
        s_stop = float(strikes[strikes >= abs(x_hide - xs) + into][0])  # both feet down while standing
        stops = [(s_stop / v, stand)] if move != "turn" else []
        if move == "stop":
            path = _Path([(xs, z), (xs + d * 200.0, z)], smooth=0)
            x_far = xs + d * (s_stop + past + body)
        else:
            x_turn = x_hide + d * a if move == "turn" else xs + d * (s_stop + 0.15)
            path = _Path([(xs, z), (x_turn - d * 0.3, z), (x_turn, z), (x_turn, z + r), (x_turn - d * 0.3, z + r),
                          (x_turn - d * 200.0, z + r)], smooth=3)
            x_far = x_turn + d * (body + past)
        subject = _on_path(path, 0.0, v, pal, rng, stops)
        x_near = x_hide - d * body
        zk = z - float(rng.uniform(1.5, 2.5))
        self.props.append(_kiosk(0.5 * (x_near + x_far) * zk / z, zk, abs(x_far - x_near) * zk / z, rng))
        zs = z + float(rng.uniform(0.3, 1.2))
        self.similar.append(len(self.others))
        self.others.append(_stander(x_far * zs / z + d * float(rng.uniform(0.4, 1.0)), zs, _similar(pal, rng), rng))
        return subject

    def _pan_offsets(self, pan: bool, rng: np.random.Generator) -> np.ndarray:
        """Left edge of the output window on the canvas, per frame (a camera panning after the subject)."""
        base = np.full(self.n_frames, float(self.margin))
        if not pan:
            return base
        cx = np.array([self._subject_box_canvas(i / self.fps) for i in range(self.n_frames)])
        cx = 0.5 * (cx[:, 0] + cx[:, 2])
        lag = int(rng.uniform(0.3, 0.8) * self.fps)
        follow = np.r_[np.full(lag, cx[0]), cx[:-lag]] if lag else cx
        k = float(rng.uniform(0.5, 0.9))
        off = base + k * (follow - 0.5 * self.cam.w)
        off = np.convolve(np.r_[np.full(12, off[0]), off, np.full(12, off[-1])], np.ones(25) / 25, mode="same")[12:-12]
        return np.clip(off, 0, 2 * self.margin)

    def _subject_box_canvas(self, t: float) -> np.ndarray:
        b, _ = _draw_walker(None, self.subject, t, self.cam)
        return b

    # -- drawing
    def _people(self, t: float) -> list[tuple[float, _Walker]]:
        everyone = [self.subject] + self.others
        return sorted(((float(p.joints(t)["pelvis"][2]), p) for p in everyone), key=lambda q: -q[0])

    def _canvas(self, t: float) -> np.ndarray:
        canvas = self.bg.copy()
        drawn = [(z, p) for z, p in self._people(t)] + [(pr.z, pr) for pr in self.props]
        for z, obj in sorted(drawn, key=lambda q: -q[0]):
            if isinstance(obj, _Prop):
                obj.draw(canvas, self.cam, self._tex)
            else:
                _draw_walker(canvas, obj, t, self.cam)
        return canvas

    def render(self, i: int) -> np.ndarray:
        t = i / self.fps
        off = int(round(self._offsets[i]))
        img = self._canvas(t)[:, off:off + self.w].astype(np.float32) * self._flicker[i]
        img = cv2.GaussianBlur(img, (0, 0), self.blur)
        img = img + self._noise[i % len(self._noise)]
        return np.clip(img, 0, 255).astype(np.uint8)

    def _visible(self, t: float, off: int) -> float:
        """Share of the subject's pixels that nothing in front hides."""
        zs = float(self.subject.joints(t)["pelvis"][2])
        alone = np.zeros((self.h, self.cam.w, 3), np.uint8)
        _draw_walker(alone, self.subject, t, self.cam)
        mine = alone[:, off:off + self.w].any(axis=2)
        if not mine.any():
            return 0.0
        front = np.zeros_like(alone)
        for p in self.others:
            if float(p.joints(t)["pelvis"][2]) < zs:
                _draw_walker(front, p, t, self.cam)
        for pr in self.props:
            if pr.z < zs:
                pr.draw(front, self.cam, np.zeros_like(self._tex) + 50)
        hidden = front[:, off:off + self.w].any(axis=2) & mine
        return float(1.0 - hidden.sum() / mine.sum())

    def truth(self, path: str | Path = "") -> HardTruth:
        def boxes_of(p: _Walker) -> np.ndarray:
            out = np.full((self.n_frames, 4), np.nan)
            for i in range(self.n_frames):
                b, _ = _draw_walker(None, p, i / self.fps, self.cam)
                if np.isfinite(b).all():
                    b = b - [self._offsets[i], 0, self._offsets[i], 0]
                    b[[0, 2]] = np.clip(np.round(b[[0, 2]]), 0, self.w)
                    if b[2] - b[0] >= 0.3 * (b[3] - b[1]) * 0.25:
                        out[i] = b
            return out

        vis = np.array([self._visible(i / self.fps, int(round(self._offsets[i]))) for i in range(self.n_frames)])
        return HardTruth(str(path), self.scenario, self.seed, self.fps, self.w, self.h, self.n_frames,
                         boxes_of(self.subject), [boxes_of(p) for p in self.others], vis, list(self.similar),
                         self.hidden_move)


# ----------------------------------------------------------------------------- files

def make_hard_clip(path: str | Path, scenario: str = "story", seed: int = 0, size: tuple[int, int] = (960, 540),
                   fps: float = 25.0, duration: float | None = None) -> HardTruth:
    """Render and encode (H.264 at the scene's CRF, veryfast) one hard scene; return its truth."""
    from stereosync_studio.media.video_writer import write_video

    scene = HardScene(scenario, seed, size, fps, duration)
    target = Path(path)
    truth = scene.truth(target)
    write_video(target, (scene.render(i) for i in range(scene.n_frames)), fps, crf=scene.crf)
    return truth


def cached_hard_clip(cache_dir: str | Path, scenario: str = "story", seed: int = 0,
                     size: tuple[int, int] = (960, 540), fps: float = 25.0, duration: float | None = None) -> HardTruth:
    """make_hard_clip, reusing `<cache_dir>/hard_<scenario>_<key>.mp4` (the truth is recomputed)."""
    key = hashlib.sha1(json.dumps([VERSION, scenario, seed, list(size), fps, duration]).encode()).hexdigest()[:10]
    target = Path(cache_dir) / f"hard_{scenario}_{key}.mp4"
    scene = HardScene(scenario, seed, size, fps, duration)
    truth = scene.truth(target)
    if not (target.is_file() and target.stat().st_size > 0):
        from stereosync_studio.media.video_writer import write_video

        write_video(target, (scene.render(i) for i in range(scene.n_frames)), fps, crf=scene.crf)
    return truth


# ----------------------------------------------------------------------------- scoring

def score_track(boxes: np.ndarray, truth: HardTruth) -> dict:
    """kept: share of frames (subject in view) whose box centre lies inside the subject's true
    box; mean_iou over those frames (a missing box counts 0); id_switches: how often the person
    the box is on (best IoU > 0.3) changes; on_other: frames spent on someone else."""
    inside = np.isfinite(truth.boxes[:, 0])
    kept, ious, owner = [], [], []
    for i in np.flatnonzero(inside):
        b, t = boxes[i], truth.boxes[i]
        ok = bool(np.isfinite(b).all())
        c = ((b[0] + b[2]) / 2, (b[1] + b[3]) / 2) if ok else (math.nan, math.nan)
        kept.append(ok and t[0] <= c[0] <= t[2] and t[1] <= c[1] <= t[3])
        ious.append(iou(b, t))
        cands = [ious[-1]] + [iou(b, o[i]) for o in truth.others]
        j = int(np.argmax(cands))
        owner.append(j if cands[j] > 0.3 else None)
    seq = [o for o in owner if o is not None]
    brush = max(5, int(round(0.2 * truth.fps)))  # a stay under 0.2 s (5 frames at 25 fps) is a brush past
    runs: list[list] = []  # [owner, length]
    for o in seq:
        if runs and runs[-1][0] == o:
            runs[-1][1] += 1
        else:
            runs.append([o, 1])
    held = [o for o, n in runs if n >= brush]
    switches = sum(1 for a, b in zip(held, held[1:]) if a != b)
    return {"kept": float(np.mean(kept)) if kept else 0.0, "mean_iou": float(np.mean(ious)) if ious else 0.0,
            "id_switches": int(switches), "on_other": int(sum(1 for o in seq if o != 0)),
            "frames": int(inside.sum())}


def hidden_runs(truth: HardTruth, below: float = 0.05) -> list[np.ndarray]:
    """Runs of consecutive frames in which the subject, inside the frame, is (almost) fully hidden."""
    idx = np.flatnonzero((truth.visible < below) & np.isfinite(truth.boxes[:, 0]))
    return np.split(idx, np.flatnonzero(np.diff(idx) > 1) + 1) if len(idx) else []


def reacquire_delay(boxes: np.ndarray, truth: HardTruth) -> int | None:
    """Frames from the subject's coming out (half visible, after its longest full hiding) until
    the box centre is on it for 5 frames running; None when that never happens in the clip."""
    runs = hidden_runs(truth)
    if not runs:
        return 0
    after = np.flatnonzero(truth.visible[int(max(runs, key=len)[-1]) + 1:] >= 0.5)
    if not len(after):
        return None
    back = int(max(runs, key=len)[-1]) + 1 + int(after[0])
    t, b = truth.boxes, boxes
    cx, cy = 0.5 * (b[:, 0] + b[:, 2]), 0.5 * (b[:, 1] + b[:, 3])
    with np.errstate(invalid="ignore"):
        on = (t[:, 0] <= cx) & (cx <= t[:, 2]) & (t[:, 1] <= cy) & (cy <= t[:, 3])
    for i in range(back, truth.n_frames - 4):
        if on[i:i + 5].all():
            return i - back
    return None


__all__ = ["HardScene", "HardTruth", "SCENARIOS", "cached_hard_clip", "hidden_runs", "make_hard_clip",
           "reacquire_delay", "score_track"]

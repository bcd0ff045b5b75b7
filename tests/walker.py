"""Synthetic walker clips with exact ground truth (boxes, step times, distance, guide audio).

A stylised person is built in 3-D (hips, knees, feet, arms, head) and projected through a
pinhole camera with a 90 deg horizontal field of view, the lens `pan_from_x` assumes, so box
centre, pan and distance in the truth agree with the Studio's own conventions. Feet are
placed first: each foot stays planted (fixed world point, so fixed pixels) from its heel
strike until it lifts for the next step; the body follows a path at walking speed and the
steps fall where the body has covered one step length. The guide track puts one real
footstep recording at each heel strike, panned by the box centre and scaled by 1/distance.

    truth = make_walker_clip(tmp_path / "walk.mp4", scenario="approaching")
    truth.boxes, truth.step_times, truth.distance, truth.guide_audio

Scenarios: crossing, zigzag, approaching, pausing, two (or walkers=2 with any scenario).
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from dataclasses import dataclass, field, fields
from pathlib import Path

import cv2
import numpy as np
import soundfile as sf
import soxr

from stereosync_studio.core.project import atomic_write_text
from stereosync_studio.core.trajectory import pan_from_x

_ROOT = Path(__file__).resolve().parents[1]
FOOTSTEP_DIR = Path(os.environ.get("STEREOSYNC_FOOTSTEPS", _ROOT / "tests" / "data" / "footsteps"))
DEFAULT_REFERENCES = [f"default_gravel_footstep.{i}.ogg" for i in (1, 2, 3, 4)]  # CC-BY-SA: tests only
SCENARIOS = ("crossing", "zigzag", "approaching", "diagonal", "pausing", "two")
GENERATOR_VERSION = 3  # bump when the drawing or the truth changes (invalidates caches)
GUIDE_SR = 48000
CAM_HEIGHT = 1.0  # metres; the camera looks horizontally, so the horizon is the image centre line
Z_REF = 5.0  # depth (m) at which distance == 1.0
_SHIFT = 4  # cv2 fixed-point bits: sub-pixel drawing so slow motion is smooth
_ONE = 1 << _SHIFT

PALETTES = [
    # shirt, trousers, skin, shoes (RGB)
    dict(shirt=(205, 45, 40), trousers=(40, 52, 120), skin=(228, 182, 150), shoes=(45, 28, 18)),
    dict(shirt=(40, 160, 70), trousers=(105, 75, 45), skin=(175, 125, 95), shoes=(20, 20, 24)),
]


@dataclass
class WalkerTruth:
    """What a walker clip contains, frame by frame and step by step."""

    fps: float
    width: int
    height: int
    duration: float
    n_frames: int
    boxes: np.ndarray  # (n_frames, 4) x0, y0, x1, y1 of walker 0 (x1/y1 exclusive)
    step_times: list[float]
    step_x: list[float]
    distance: np.ndarray  # (n_frames,) depth / Z_REF of walker 0
    guide_audio: np.ndarray  # (2, N) float32
    sample_rate: int = GUIDE_SR
    path: str = ""
    scenario: str = "crossing"
    boxes_per_walker: list[np.ndarray] = field(default_factory=list)
    step_times_per_walker: list[list[float]] = field(default_factory=list)
    step_x_per_walker: list[list[float]] = field(default_factory=list)
    distance_per_walker: list[np.ndarray] = field(default_factory=list)
    step_gain: list[float] = field(default_factory=list)  # linear gain of each step of walker 0
    feet_px: np.ndarray | None = None  # (n_frames, 2, 2) ankle pixel (x, y) of walker 0's feet
    foot_planted: np.ndarray | None = None  # (n_frames, 2) bool

    def to_dict(self) -> dict:
        """JSON-ready: arrays as (rounded) lists; the guide audio is left out (it is in the clip)."""
        def conv(v):
            if isinstance(v, np.ndarray):
                return v.tolist() if v.dtype == bool else np.round(v.astype(float), 4).tolist()
            return [conv(x) for x in v] if isinstance(v, list) else v
        return {f.name: conv(getattr(self, f.name)) for f in fields(self) if f.name != "guide_audio"}

    def save_json(self, path: str | Path) -> Path:
        """Everything but the guide audio (that is in the clip) as JSON, written atomically."""
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(target, json.dumps(self.to_dict(), indent=1))
        return target


# ----------------------------------------------------------------------------- geometry

class _Camera:
    def __init__(self, width: int, height: int, hfov_deg: float = 90.0):
        self.w, self.h = width, height
        self.f = 0.5 * width / math.tan(math.radians(hfov_deg) / 2.0)
        self.cx, self.cy = 0.5 * width, 0.5 * height

    def project(self, p: np.ndarray) -> np.ndarray:
        """World (X, Y up, Z forward) -> pixel (u, v); works on (..., 3)."""
        p = np.asarray(p, float)
        z = np.maximum(p[..., 2], 0.1)
        return np.stack([self.cx + self.f * p[..., 0] / z, self.cy + self.f * (CAM_HEIGHT - p[..., 1]) / z], -1)


class _Path:
    """A smoothed ground polyline (X, Z) walked by arc length, extrapolated straight at both ends."""

    def __init__(self, pts: list[tuple[float, float]], smooth: int = 4):
        p = np.asarray(pts, float)
        for _ in range(smooth if len(p) > 2 else 0):  # Chaikin corner cutting
            q = 0.75 * p[:-1] + 0.25 * p[1:]
            r = 0.25 * p[:-1] + 0.75 * p[1:]
            mid = np.empty((2 * len(q), 2))
            mid[0::2], mid[1::2] = q, r
            p = np.vstack([p[:1], mid, p[-1:]])
        seg = np.linalg.norm(np.diff(p, axis=0), axis=1)
        keep = np.concatenate([[True], seg > 1e-9])
        self.p = p[keep]
        self.s = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(self.p, axis=0), axis=1))])
        self.length = float(self.s[-1])
        seg_d = np.diff(self.p, axis=0)
        self.t = seg_d / np.linalg.norm(seg_d, axis=1, keepdims=True)  # direction of each segment
        self.ts = 0.5 * (self.s[:-1] + self.s[1:])  # ... known at the segment's middle

    def pos(self, s: float) -> np.ndarray:
        if s <= 0:
            return self.p[0] + self.t[0] * s
        if s >= self.length:
            return self.p[-1] + self.t[-1] * (s - self.length)
        return np.array([np.interp(s, self.s, self.p[:, 0]), np.interp(s, self.s, self.p[:, 1])])

    def heading(self, s: float) -> np.ndarray:
        h = np.array([np.interp(s, self.ts, self.t[:, 0]), np.interp(s, self.ts, self.t[:, 1])])
        return h / max(np.linalg.norm(h), 1e-9)


def _ease(x: float) -> float:
    x = min(max(x, 0.0), 1.0)
    return x * x * (3.0 - 2.0 * x)


class _Walker:
    """One person: a path, a speed profile s(t), steps derived from it, and a drawable pose."""

    def __init__(self, path: _Path, knots_t: list[float], knots_s: list[float], cadence: float,
                 speed: float, palette: dict, t0: float, t1: float, stature: float = 1.75,
                 phase: float = 0.0):
        self.path, self.kt, self.ks = path, np.asarray(knots_t, float), np.asarray(knots_s, float)
        self.palette, self.k = palette, stature / 1.75
        self.step_len = speed / cadence
        self.t_step = 1.0 / cadence
        self.half_w = 0.09 * self.k
        # heel strike k: body arc == (k + phase) * L; that foot lands half a step ahead of the body
        s_lo, s_hi = self.s_at(t0 - 2.0), self.s_at(t1 + 2.0)
        ks = np.arange(math.floor(s_lo / self.step_len) - 2, math.ceil(s_hi / self.step_len) + 3)
        self.step_s = (ks + phase) * self.step_len
        self.step_t = np.array([self._time_of(s) for s in self.step_s])
        self.step_side = (ks % 2).astype(int)
        self.step_pos = []
        for s, side in zip(self.step_s, self.step_side):
            sl = s + 0.5 * self.step_len
            h = path.heading(sl)
            lat = np.array([h[1], -h[0]])
            self.step_pos.append(path.pos(sl) + lat * (self.half_w if side else -self.half_w))
        self.step_pos = np.asarray(self.step_pos)
        self.step_heading = np.asarray([path.heading(s + 0.5 * self.step_len) for s in self.step_s])
        dt = np.diff(self.step_t, prepend=self.step_t[0] - self.t_step)
        self.swing = np.minimum(0.8 * dt, 0.8 * self.t_step)

    def s_at(self, t: float) -> float:
        kt, ks = self.kt, self.ks
        if t <= kt[0]:
            return ks[0] + (t - kt[0]) * (ks[1] - ks[0]) / (kt[1] - kt[0])
        if t >= kt[-1]:
            return ks[-1] + (t - kt[-1]) * (ks[-1] - ks[-2]) / (kt[-1] - kt[-2])
        return float(np.interp(t, kt, ks))

    def _time_of(self, s: float) -> float:
        """First time the body arc reaches `s` (s(t) is piecewise linear and non-decreasing)."""
        kt, ks = self.kt, self.ks
        if s <= ks[0]:
            return kt[0] + (s - ks[0]) * (kt[1] - kt[0]) / (ks[1] - ks[0])
        for j in range(len(kt) - 1):
            if ks[j + 1] > ks[j] and ks[j] <= s <= ks[j + 1]:
                return kt[j] + (s - ks[j]) / (ks[j + 1] - ks[j]) * (kt[j + 1] - kt[j])
        return kt[-1] + (s - ks[-1]) * (kt[-1] - kt[-2]) / (ks[-1] - ks[-2])

    def foot(self, side: int, t: float) -> tuple[np.ndarray, np.ndarray, float, bool]:
        """Ground point, heading, lift (m) and planted flag of one foot at time t."""
        idx = np.nonzero((self.step_side == side) & (self.step_t <= t))[0]
        k = int(idx[-1]) if len(idx) else int(np.nonzero(self.step_side == side)[0][0])
        nxt = k + 2
        if nxt < len(self.step_t):
            lift_t = self.step_t[nxt] - self.swing[nxt]
            if lift_t < t < self.step_t[nxt]:
                ph = (t - lift_t) / self.swing[nxt]
                e = _ease(ph)
                pos = self.step_pos[k] + (self.step_pos[nxt] - self.step_pos[k]) * e
                hd = self.step_heading[k] + (self.step_heading[nxt] - self.step_heading[k]) * e
                return pos, hd / max(np.linalg.norm(hd), 1e-9), 0.11 * self.k * math.sin(math.pi * ph), False
        return self.step_pos[k], self.step_heading[k], 0.0, True

    def joints(self, t: float) -> dict:
        s = self.s_at(t)
        b = self.path.pos(s)
        d = self.path.heading(s)
        lat = np.array([d[1], -d[0]])
        k = self.k

        def w(xz, y):
            return np.array([xz[0], y, xz[1]])

        j = {"d": d, "lat": lat, "body": b}
        for side, sign in ((0, -1.0), (1, 1.0)):
            fp, fh, lift, planted = self.foot(side, t)
            hip = w(b + lat * sign * self.half_w, 0.92 * k)
            ankle = w(fp, 0.08 * k + lift)
            j[f"hip{side}"], j[f"ankle{side}"], j[f"planted{side}"] = hip, ankle, planted
            j[f"heel{side}"] = w(fp - fh * 0.06 * k, 0.03 * k + lift)
            j[f"toe{side}"] = w(fp + fh * 0.17 * k, 0.03 * k + lift)
            # two-bone IK, knee bends forward
            seg = 0.45 * k
            v = hip - ankle
            dist = np.linalg.norm(v)
            mid = 0.5 * (hip + ankle)
            fwd = np.array([d[0], 0.0, d[1]])
            fwd = fwd - v * (fwd @ v) / max(dist * dist, 1e-9)
            fwd /= max(np.linalg.norm(fwd), 1e-9)
            bend = math.sqrt(max(seg * seg - 0.25 * dist * dist, 0.0))
            j[f"knee{side}"] = mid + fwd * bend
            # arm swings against the leg of the same side
            along = float(np.clip(-0.55 * ((fp - b) @ d), -0.28 * k, 0.28 * k))
            sh = w(b + lat * sign * 0.17 * k, 1.42 * k)
            hand = w(b + lat * sign * 0.21 * k + d * along, 0.80 * k)
            j[f"shoulder{side}"], j[f"hand{side}"] = sh, hand
            j[f"elbow{side}"] = 0.5 * (sh + hand) + np.array([-d[0], 0.0, -d[1]]) * 0.04 * k
        j["pelvis"] = w(b, 0.95 * k)
        j["neck"] = w(b + d * 0.02 * k, 1.45 * k)
        j["head"] = w(b + d * 0.03 * k, 1.62 * k)
        return j


# ----------------------------------------------------------------------------- scenarios

def _straight(t0: float, t1: float, speed: float) -> tuple[list[float], list[float]]:
    return [t0, t1], [0.0, speed * (t1 - t0)]


def _zigzag_path(leg: float, z0: float, needed: float, n_legs: int) -> _Path:
    """Back-and-forth legs across the frame, with at least `needed` metres of smoothed path.

    Corner cutting shortens each leg, so `n_legs` (enough for clips up to ~10 s, whose paths
    must not change: cached clips are keyed on the scene's parameters) fell short on long clips;
    past the path's end the walker went straight on out of the frame (NaN boxes, so NaN pan
    and NaN guide audio). A path too short gets legs added until it reaches a leg further.
    """
    target = needed
    while True:
        xs, zs, x, sign = [], [], -0.45 * leg, 1.0
        for i in range(n_legs):
            xs.append(x)
            zs.append(z0 + (0.5 if i % 2 else 0.0))
            x += sign * leg * 0.92
            sign = -sign
        path = _Path([(xs[0] - 3 * leg, zs[0])] + list(zip(xs, zs)), smooth=3)
        if path.length >= target:
            return path
        target = needed + leg
        n_legs += max(2, int(np.ceil((target - path.length) / (0.5 * leg))))


def _build_walkers(scenario: str, duration: float, rng: np.random.Generator, walkers: int) -> list[_Walker]:
    t0, t1 = -3.0, duration + 3.0
    out: list[_Walker] = []
    cad = float(rng.uniform(1.85, 2.1))
    ph = float(rng.uniform(0.0, 1.0))  # where in the stride the clip starts
    if scenario in ("crossing", "two", "pausing"):
        v = 1.3
        span = v * duration
        z = max(4.4, 0.62 * span)
        x_start = -0.5 * span
        path = _Path([(x_start, z), (x_start + 10 * span, z + 0.04 * 10 * span)], smooth=0)
        kt, ks = _straight(t0, t1, v)
        ks = [s - v * (0 - t0) for s in ks]  # body at x_start when t == 0
        if scenario == "pausing":
            w0 = _Walker(path, kt, ks, cad, v, PALETTES[0], t0, t1, phase=ph)
            k_stop = int(np.argmin(np.abs(w0.step_t - 0.38 * duration)))
            t_stop = float(w0.step_t[k_stop])
            pause = 1.1
            s_stop = float(w0.step_s[k_stop])  # exactly a heel strike: both feet down while standing
            kt = [t0, t_stop, t_stop + pause, t1]
            ks = [ks[0], s_stop, s_stop, s_stop + v * (t1 - t_stop - pause)]
        out.append(_Walker(path, kt, ks, cad, v, PALETTES[0], t0, t1, phase=ph))
    elif scenario == "zigzag":
        v = 1.3
        leg = v * min(2.0, duration / 3.0)
        z0 = 4.8
        s_at0 = 3 * leg  # the body is at the first waypoint at t == 0
        path = _zigzag_path(leg, z0, s_at0 + v * duration, int(duration * v / leg) + 6)
        kt, ks = _straight(t0, t1, v)
        ks = [s + s_at0 - v * (0 - t0) for s in ks]
        out.append(_Walker(path, kt, ks, cad, v, PALETTES[0], t0, t1, phase=ph))
    elif scenario == "approaching":
        v = 1.1
        z_end = 2.9
        z_start = z_end + v * duration * 0.985
        drift = 0.12 * (z_start - z_end)
        path = _Path([(-0.6 * drift - 0.2, z_start), (0.4 * drift - 0.2, z_end)], smooth=0)
        kt, ks = _straight(t0, t1, v)
        ks = [s - v * (0 - t0) for s in ks]
        out.append(_Walker(path, kt, ks, cad, v, PALETTES[0], t0, t1, phase=ph))
    elif scenario == "diagonal":  # across and towards the camera: far left to near right (the demo)
        v = 1.15
        dist = v * duration * 0.98
        x_end, z_end = 1.3, 3.0
        path = _Path([(x_end - 0.55 * dist, z_end + 0.83 * dist), (x_end, z_end)], smooth=0)
        kt, ks = _straight(t0, t1, v)
        ks = [s - v * (0 - t0) for s in ks]
        out.append(_Walker(path, kt, ks, cad, v, PALETTES[0], t0, t1, phase=ph))
    else:
        raise ValueError(f"unknown walker scenario {scenario!r} (one of {', '.join(SCENARIOS)})")
    if walkers >= 2 or scenario == "two":
        v2 = 1.15
        span = v2 * duration
        z = out[0].path.pos(0.0)[1] + 2.2
        x_start = 0.45 * span
        path = _Path([(x_start, z), (x_start - 10 * span, z - 0.03 * 10 * span)], smooth=0)
        kt, ks = _straight(t0, t1, v2)
        ks = [s - v2 * (0 - t0) for s in ks]
        out.append(_Walker(path, kt, ks, float(rng.uniform(1.85, 2.1)), v2, PALETTES[1], t0, t1, stature=1.68,
                           phase=float(rng.uniform(0.0, 1.0))))
    return out


# ----------------------------------------------------------------------------- drawing

def _background(w: int, h: int, rng: np.random.Generator, kind: str, cam: _Camera) -> np.ndarray:
    """Static scene: a wall above the horizon, a tiled floor below it, both with texture."""
    if kind == "plain":
        img = np.empty((h, w, 3), np.uint8)
        img[: h // 2] = (150, 160, 170)
        img[h // 2:] = (140, 130, 112)
        return img
    yy = np.arange(h, dtype=np.float32)[:, None, None]
    horizon = cam.cy

    def blobs(cell: int, ch: int) -> np.ndarray:
        small = rng.normal(0, 1, (max(h // cell, 2), max(w // cell, 2), ch)).astype(np.float32)
        return cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC).reshape(h, w, ch)

    low = 1.0 * blobs(24, 1) + 0.3 * blobs(40, 3)  # mostly brightness, a little colour
    mid = cv2.GaussianBlur(rng.normal(0, 1, (h, w)).astype(np.float32), (0, 0), 1.5)[..., None]
    fine = rng.normal(0, 1, (h, w, 1)).astype(np.float32)
    wall = np.array([150, 160, 172], np.float32) + 16 * low + 14 * mid + 6 * fine
    floor = np.array([148, 134, 110], np.float32) + 14 * low + 16 * mid + 8 * fine
    img = np.where(yy < horizon, wall, floor)
    # floor tiles in perspective: rows at constant depth, columns converging to the horizon
    lines = np.zeros((h, w), np.uint8)
    for z in np.arange(1.5, 40.0, 1.0):
        v = cam.cy + cam.f * CAM_HEIGHT / z
        if v < h:
            cv2.line(lines, (0, int(v * _ONE)), (w * _ONE, int(v * _ONE)), 255, 1, cv2.LINE_AA, _SHIFT)
    for x in np.arange(-30.0, 31.0, 1.0):
        p0 = cam.project(np.array([x, 0.0, 1.0]))
        p1 = cam.project(np.array([x, 0.0, 60.0]))
        cv2.line(lines, tuple(int(c * _ONE) for c in p0), tuple(int(c * _ONE) for c in p1), 255, 1,
                 cv2.LINE_AA, _SHIFT)
    # wall panels: vertical seams and a skirting line
    for x in range(int(rng.integers(20, 60)), w, max(w // 9, 8)):
        cv2.line(lines, (x, 0), (x, int(horizon) - 12), 160, 1, cv2.LINE_AA)
    cv2.line(lines, (0, int(horizon) - 12), (w, int(horizon) - 12), 200, 2, cv2.LINE_AA)
    img -= (lines[..., None].astype(np.float32) / 255.0) * 38.0
    return np.clip(img, 0, 255).astype(np.uint8)


def _pt(p: np.ndarray, ox: int, oy: int) -> tuple[int, int]:
    return int(round((p[0] - ox) * _ONE)), int(round((p[1] - oy) * _ONE))


def _draw_walker(frame: np.ndarray | None, walker: _Walker, t: float, cam: _Camera,
                 ) -> tuple[np.ndarray, dict]:
    """Composite one walker into `frame` (if given); return its exact box and joint pixels."""
    j = walker.joints(t)
    names = [k for k, v in j.items() if isinstance(v, np.ndarray) and v.shape == (3,)]
    px = {k: cam.project(j[k]) for k in names}
    zb = max(float(j["pelvis"][2]), 0.3)
    scale = cam.f / zb  # pixels per metre at the body
    pts = np.array(list(px.values()))
    pad = int(math.ceil(0.25 * scale)) + 3
    x0 = max(int(math.floor(pts[:, 0].min())) - pad, 0)
    y0 = max(int(math.floor(pts[:, 1].min())) - pad, 0)
    x1 = min(int(math.ceil(pts[:, 0].max())) + pad, cam.w)
    y1 = min(int(math.ceil(pts[:, 1].max())) + pad, cam.h)
    info = {"ankle_px": [px["ankle0"], px["ankle1"]], "planted": [j["planted0"], j["planted1"]]}
    if x1 <= x0 or y1 <= y0:
        return np.full(4, np.nan), info
    rw, rh = x1 - x0, y1 - y0
    col = np.zeros((rh, rw, 3), np.uint8)
    mask = np.zeros((rh, rw), np.uint8)
    pal = walker.palette

    def thick(m: float) -> int:
        return max(int(round(m * scale)), 1)

    def line(a, b, color, m):
        pa, pb = _pt(px[a], x0, y0), _pt(px[b], x0, y0)
        cv2.line(col, pa, pb, color, thick(m), cv2.LINE_AA, _SHIFT)
        cv2.line(mask, pa, pb, 255, thick(m), cv2.LINE_AA, _SHIFT)

    def shade(c, f):
        return tuple(int(min(255, x * f)) for x in c)

    # far side first: its hip is deeper
    order = sorted((0, 1), key=lambda s: -j[f"hip{s}"][2])
    k = walker.k
    for rank, side in enumerate(order):
        f = 0.78 if rank == 0 else 1.0
        if rank == 1:  # torso and head between the far and near limbs
            lat_x = abs(float(j["lat"][0]))
            line("pelvis", "neck", pal["shirt"], (0.24 + 0.12 * lat_x) * k)
            line("neck", "head", pal["skin"], 0.08 * k)
            c = _pt(px["head"], x0, y0)
            r = int(round(0.11 * k * scale * _ONE))
            cv2.circle(col, c, r, pal["skin"], -1, cv2.LINE_AA, _SHIFT)
            cv2.circle(mask, c, r, 255, -1, cv2.LINE_AA, _SHIFT)
        line(f"hip{side}", f"knee{side}", shade(pal["trousers"], f), 0.14 * k)
        line(f"knee{side}", f"ankle{side}", shade(pal["trousers"], f), 0.11 * k)
        line(f"heel{side}", f"toe{side}", shade(pal["shoes"], f), 0.075 * k)
        line(f"shoulder{side}", f"elbow{side}", shade(pal["shirt"], f), 0.085 * k)
        line(f"elbow{side}", f"hand{side}", shade(pal["skin"], f), 0.065 * k)
    ys, xs = np.nonzero(mask)
    if len(xs) == 0:
        return np.full(4, np.nan), info
    box = np.array([x0 + xs.min(), y0 + ys.min(), x0 + xs.max() + 1, y0 + ys.max() + 1], float)
    if frame is not None:
        roi = frame[y0:y1, x0:x1].astype(np.float32)
        a = mask.astype(np.float32)[..., None] / 255.0
        frame[y0:y1, x0:x1] = np.clip(col.astype(np.float32) + roi * (1.0 - a), 0, 255).astype(np.uint8)
    return box, info


# ----------------------------------------------------------------------------- the scene

class WalkerScene:
    """A deterministic scene: `render(i)` draws frame i, `truth()` gives the ground truth."""

    def __init__(self, scenario: str = "crossing", duration: float = 6.0, fps: float = 25,
                 size: tuple[int, int] = (640, 360), seed: int = 0, background: str = "textured",
                 walkers: int = 1, guide_reference: list[str | Path] | str | Path | None = None):
        self.scenario, self.duration, self.fps = scenario, float(duration), float(fps)
        self.width, self.height = int(size[0]), int(size[1])
        self.n_frames = int(round(self.duration * self.fps))
        self.seed = seed
        rng = np.random.default_rng(seed)
        self.cam = _Camera(self.width, self.height)
        self.walkers = _build_walkers(scenario, self.duration, rng, walkers)
        self.bg = _background(self.width, self.height, rng, background, self.cam)
        self._noise = [rng.normal(0, 1.6, (self.height, self.width, 3)).astype(np.int16) for _ in range(4)]
        self.guide_reference = guide_reference
        self._rng_audio = np.random.default_rng(seed + 1000)

    def frame_time(self, i: int) -> float:
        return i / self.fps

    def render(self, i: int) -> np.ndarray:
        """Frame i (RGB uint8): background, walkers back to front, a little sensor noise."""
        frame = self.bg.copy()
        t = self.frame_time(i)
        for w in sorted(self.walkers, key=lambda w: -w.joints(t)["pelvis"][2]):
            _draw_walker(frame, w, t, self.cam)
        noisy = frame.astype(np.int16) + self._noise[i % len(self._noise)]
        return np.clip(noisy, 0, 255).astype(np.uint8)

    def _per_frame(self) -> tuple[list[np.ndarray], np.ndarray, np.ndarray]:
        boxes = [np.zeros((self.n_frames, 4)) for _ in self.walkers]
        feet = np.zeros((self.n_frames, 2, 2))
        planted = np.zeros((self.n_frames, 2), bool)
        for i in range(self.n_frames):
            t = self.frame_time(i)
            for wi, w in enumerate(self.walkers):
                b, info = _draw_walker(None, w, t, self.cam)
                boxes[wi][i] = b
                if wi == 0:
                    feet[i] = np.asarray(info["ankle_px"])
                    planted[i] = info["planted"]
        return boxes, feet, planted

    def truth(self, path: str | Path = "") -> WalkerTruth:
        boxes, feet, planted = self._per_frame()
        tf = np.arange(self.n_frames) / self.fps
        dists = [np.array([w.path.pos(w.s_at(t))[1] / Z_REF for t in tf]) for w in self.walkers]
        steps, steps_x, gains = [], [], []
        for wi, w in enumerate(self.walkers):
            sel = (w.step_t >= 0.0) & (w.step_t < self.duration - 1e-9)
            st = [float(t) for t in w.step_t[sel]]
            cx = 0.5 * (boxes[wi][:, 0] + boxes[wi][:, 2])
            sx = [float(np.interp(t, tf, cx)) for t in st]
            g = [float(min(0.5 / (w.path.pos(w.s_at(t))[1] / Z_REF), 0.9)) for t in st]
            steps.append(st)
            steps_x.append(sx)
            gains.append(g)
        audio = self._guide_audio(steps, steps_x, gains)
        return WalkerTruth(
            fps=self.fps, width=self.width, height=self.height, duration=self.duration,
            n_frames=self.n_frames, boxes=boxes[0], step_times=steps[0], step_x=steps_x[0],
            distance=dists[0], guide_audio=audio, sample_rate=GUIDE_SR, path=str(path),
            scenario=self.scenario, boxes_per_walker=boxes, step_times_per_walker=steps,
            step_x_per_walker=steps_x, distance_per_walker=dists, step_gain=gains[0],
            feet_px=feet, foot_planted=planted)

    def _guide_audio(self, steps, steps_x, gains) -> np.ndarray:
        n = int(round(self.duration * GUIDE_SR))
        out = np.zeros((2, n), np.float32)
        samples = load_step_samples(self.guide_reference)
        rng = self._rng_audio
        for st, sx, g in zip(steps, steps_x, gains):
            for t, x, gain in zip(st, sx, g):
                smp = samples[int(rng.integers(len(samples)))] * gain
                pan = float(pan_from_x(x, self.width, 90.0))
                ang = (pan + 1.0) * math.pi / 4.0
                i0 = int(round(t * GUIDE_SR))
                m = min(len(smp), n - i0)
                if m > 0:
                    out[0, i0:i0 + m] += math.cos(ang) * smp[:m]
                    out[1, i0:i0 + m] += math.sin(ang) * smp[:m]
        floor = 10 ** (-70 / 20)
        out += (rng.normal(0, floor, out.shape)).astype(np.float32)
        return out


_SAMPLE_CACHE: dict[tuple, list[np.ndarray]] = {}


def default_references() -> list[Path]:
    """The gravel steps of tests/data (CC-BY-SA, tests only), else the bundled samples, else none (synthetic)."""
    gravel = [FOOTSTEP_DIR / n for n in DEFAULT_REFERENCES]
    if all(p.is_file() for p in gravel):
        return gravel
    bundled = _ROOT / "resources" / "samples"
    return sorted(p for p in bundled.rglob("*") if p.suffix.lower() in (".ogg", ".wav", ".flac"))


def _synthetic_steps(n: int = 3) -> list[np.ndarray]:
    """Decaying low-passed noise thumps, for a checkout without any footstep recordings."""
    rng = np.random.default_rng(12345)
    t = np.arange(int(0.2 * GUIDE_SR)) / GUIDE_SR
    out = []
    for i in range(n):
        x = np.convolve(rng.normal(0, 1, len(t)), np.ones(6 + 2 * i) / (6 + 2 * i), mode="same")
        x *= np.exp(-t / (0.03 + 0.01 * i))
        out.append((x / np.abs(x).max()).astype(np.float32))
    return out


def load_step_samples(refs: list[str | Path] | str | Path | None = None) -> list[np.ndarray]:
    """Mono 48 kHz footstep samples, trimmed so each starts at its onset, peak-normalised to 1."""
    if refs is None:
        refs = default_references()
    elif isinstance(refs, (str, Path)):
        p = Path(refs)
        refs = sorted(p.glob("*.ogg")) + sorted(p.glob("*.wav")) if p.is_dir() else [p]
    key = tuple(str(r) for r in refs)
    if key in _SAMPLE_CACHE:
        return _SAMPLE_CACHE[key]
    out = [] if refs else _synthetic_steps()
    for r in refs:
        data, sr = sf.read(str(r), dtype="float32", always_2d=True)
        x = data.mean(axis=1)
        if sr != GUIDE_SR:
            x = soxr.resample(x, sr, GUIDE_SR).astype(np.float32)
        peak = float(np.max(np.abs(x))) or 1.0
        above = np.nonzero(np.abs(x) > 0.1 * peak)[0]
        start = max(int(above[0]) - int(0.001 * GUIDE_SR), 0) if len(above) else 0
        x = x[start:] / peak
        fade = min(len(x), int(0.01 * GUIDE_SR))
        x[len(x) - fade:] *= np.linspace(1, 0, fade, dtype=np.float32)
        out.append(x.astype(np.float32))
    if not out:
        raise ValueError(f"no footstep samples in {refs}")
    _SAMPLE_CACHE[key] = out
    return out


# ----------------------------------------------------------------------------- public API

def _write(scene: WalkerScene, path: Path, truth: WalkerTruth) -> None:
    from stereosync_studio.media.video_writer import write_video

    frames = (scene.render(i) for i in range(scene.n_frames))
    write_video(path, frames, scene.fps, audio=truth.guide_audio, sample_rate=GUIDE_SR, crf=18)


def make_walker_clip(path: str | Path, scenario: str = "crossing", duration: float = 6.0, fps: float = 25,
                     size: tuple[int, int] = (640, 360), guide_reference=None, seed: int = 0,
                     background: str = "textured", walkers: int = 1) -> WalkerTruth:
    """Render a walker clip (H.264 + AAC guide track) to `path` and return its ground truth."""
    scene = WalkerScene(scenario, duration, fps, size, seed, background, walkers, guide_reference)
    target = Path(path)
    truth = scene.truth(target)
    _write(scene, target, truth)
    return truth


def walker_truth(path: str | Path = "", **kwargs) -> WalkerTruth:
    """The truth of a clip `make_walker_clip(**kwargs)` makes, without rendering or encoding it."""
    scene = _scene_from_kwargs(kwargs)
    return scene.truth(path)


def _scene_from_kwargs(kwargs: dict) -> WalkerScene:
    k = dict(kwargs)
    return WalkerScene(k.pop("scenario", "crossing"), k.pop("duration", 6.0), k.pop("fps", 25),
                       tuple(k.pop("size", (640, 360))), k.pop("seed", 0), k.pop("background", "textured"),
                       k.pop("walkers", 1), k.pop("guide_reference", None))


_DEFAULTS = dict(scenario="crossing", duration=6.0, fps=25, size=(640, 360), guide_reference=None, seed=0,
                 background="textured", walkers=1)


def cached_walker_clip(cache_dir: str | Path, **kwargs) -> WalkerTruth:
    """Like make_walker_clip, but reuses `<cache_dir>/walker_<hash>.mp4` made with the same kwargs.

    The truth is recomputed (it is deterministic and cheap); only the encoded clip is cached.
    """
    unknown = set(kwargs) - set(_DEFAULTS)
    if unknown:
        raise TypeError(f"unknown walker clip options: {', '.join(sorted(unknown))}")
    full = {**_DEFAULTS, **kwargs}  # same clip, same key, whether defaults are spelled out or not
    full["duration"], full["fps"] = float(full["duration"]), float(full["fps"])
    norm = {k: (list(v) if isinstance(v, tuple) else v) for k, v in sorted(full.items())}
    gr = norm["guide_reference"]
    if gr is None:  # the default depends on what this checkout has: key on what it resolves to
        gr = default_references()
    norm["guide_reference"] = [str(x) for x in gr] if isinstance(gr, (list, tuple)) else str(gr)
    blob = json.dumps({"v": GENERATOR_VERSION, **norm}, sort_keys=True, default=str)
    key = hashlib.sha1(blob.encode()).hexdigest()[:12]
    d = Path(cache_dir)
    d.mkdir(parents=True, exist_ok=True)
    target = d / f"walker_{full['scenario']}_{key}.mp4"
    scene = _scene_from_kwargs(full)
    truth = scene.truth(target)
    if not (target.is_file() and target.stat().st_size > 0):
        _write(scene, target, truth)
        truth.save_json(target.with_suffix(".json"))
    return truth


__all__ = ["WalkerTruth", "WalkerScene", "make_walker_clip", "cached_walker_clip", "walker_truth",
           "load_step_samples", "default_references", "SCENARIOS"]

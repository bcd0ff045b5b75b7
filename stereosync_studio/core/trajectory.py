"""Where the sound is: pan (-1 left .. 1 right) and relative distance, one value per video frame.

Pan comes from the box centre through a pan mapping (`PanMapping`):

* "screen" (the default): screen-width panning, as on a mixing stage where the screen spans
  the left and right speakers. The frame's edges are full left/right, scaled by the width
  (0..1: 1 = edges at +-1, 0.5 = edges half-way, 0 = mono centre).
* "lens": the camera's geometry. The azimuth of the box centre through a pinhole lens of
  horizontal field of view `hfov_deg`, divided by 90 deg, so with a 90 deg lens the frame
  edges sit at pan +-0.5 (heard half-way out).

Distance comes from box height (or a depth model): 1.0 is the reference distance, 2.0 twice
as far.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .track import Track

PAN_MODES = ("screen", "lens")


@dataclass(frozen=True)
class PanMapping:
    """How a horizontal pixel position becomes a pan, and back (see the module docstring)."""

    mode: str = "screen"  # screen | lens
    width: float = 1.0  # screen mode: pan of the frame's right edge (0..1)
    hfov_deg: float = 90.0  # lens mode: the camera's horizontal field of view

    def __post_init__(self) -> None:
        if self.mode not in PAN_MODES:
            raise ValueError(f"pan mode must be one of {', '.join(PAN_MODES)}, not {self.mode!r}")

    def pan(self, x: np.ndarray | float, frame_width: float) -> np.ndarray:
        if self.mode == "lens":
            return pan_from_x(x, frame_width, self.hfov_deg)
        half = 0.5 * float(frame_width)
        w = min(max(float(self.width), 0.0), 1.0)
        return np.clip((np.asarray(x, np.float64) - half) / half, -1.0, 1.0) * w

    def x(self, pan: np.ndarray | float, frame_width: float) -> np.ndarray:
        """The pixel column a pan points at (a pan beyond the frame edge lies off screen)."""
        if self.mode == "lens":
            return x_from_pan(pan, frame_width, self.hfov_deg)
        half = 0.5 * float(frame_width)
        w = min(max(float(self.width), 0.0), 1.0)
        p = np.asarray(pan, np.float64)
        return half + (p / w if w > 1e-6 else np.zeros_like(p)) * half


@dataclass
class Trajectory:
    """Pan and distance curves on the video frame grid; `fps` gives their time base.

    `pan_mode` and `pan_width` (with `hfov_deg`) say how the pan was derived from the box
    (`mapping`), so the metric reads a heard pan back to a screen position the same way."""

    pan: np.ndarray
    distance: np.ndarray
    fps: float
    hfov_deg: float = 90.0
    follow_box: bool = True  # False once the user edited the curves by hand
    pan_mode: str = "screen"
    pan_width: float = 1.0

    def __post_init__(self) -> None:
        self.pan = np.clip(np.nan_to_num(np.asarray(self.pan, np.float64).reshape(-1)), -1.0, 1.0)
        d = np.asarray(self.distance, np.float64).reshape(-1)
        self.distance = np.clip(np.nan_to_num(d, nan=1.0), 0.05, 1000.0)
        self.pan_width = float(min(max(self.pan_width, 0.0), 1.0))
        PanMapping(self.pan_mode)  # ValueError for an unknown mode

    @property
    def mapping(self) -> PanMapping:
        return PanMapping(self.pan_mode, self.pan_width, self.hfov_deg)

    def __len__(self) -> int:
        return len(self.pan)

    def times(self) -> np.ndarray:
        """Centre time of each frame (seconds)."""
        return (np.arange(len(self.pan)) + 0.5) / self.fps

    def pan_at(self, t: np.ndarray | float) -> np.ndarray:
        return np.interp(np.asarray(t, np.float64), self.times(), self.pan)

    def distance_at(self, t: np.ndarray | float) -> np.ndarray:
        return np.interp(np.asarray(t, np.float64), self.times(), self.distance)

    def azimuth_deg(self) -> np.ndarray:
        """Azimuth per frame (deg, positive = right): pan x 90 deg."""
        return self.pan * 90.0

    @classmethod
    def from_track(cls, track: Track, width: int, height: int, fps: float, hfov_deg: float = 90.0,
                   ref_height_fraction: float | None = None, pan_mode: str = "screen",
                   pan_width: float = 1.0) -> "Trajectory":
        """Derive pan from box centres and distance from box heights (gaps interpolated)."""
        boxes = track.filled()
        n = len(boxes)
        if n == 0 or np.isnan(boxes[:, 0]).all():
            return cls(np.zeros(n), np.ones(n), fps, hfov_deg, pan_mode=pan_mode, pan_width=pan_width)
        cx = 0.5 * (boxes[:, 0] + boxes[:, 2])
        pan = PanMapping(pan_mode, pan_width, hfov_deg).pan(cx, width)
        h = np.maximum(boxes[:, 3] - boxes[:, 1], 1.0)
        ref = ref_height_fraction * height if ref_height_fraction else float(np.median(h))
        dist = ref / h
        return cls(pan, dist, fps, hfov_deg, pan_mode=pan_mode, pan_width=pan_width)

    def remapped(self, mapping: PanMapping, frame_width: float = 1.0) -> "Trajectory":
        """The same on-screen positions under another pan mapping (hand-drawn pans keep their
        place on the screen; a pan beyond the old mapping's edge stays beyond the new one's)."""
        out = self.copy()
        out.pan_mode, out.pan_width, out.hfov_deg = mapping.mode, float(mapping.width), float(mapping.hfov_deg)
        if self.mapping == mapping:
            return out
        if self.pan_mode == "screen" and self.pan_width <= 1e-6:
            out.pan = np.zeros_like(self.pan)  # a mono trajectory has no screen positions left
        else:
            out.pan = mapping.pan(self.mapping.x(self.pan, frame_width), frame_width)
        out.__post_init__()
        return out

    def to_dict(self) -> dict:
        return {
            "fps": self.fps, "hfov_deg": self.hfov_deg, "follow_box": self.follow_box,
            "pan_mode": self.pan_mode, "pan_width": round(float(self.pan_width), 4),
            "pan": [round(float(x), 4) for x in self.pan],
            "distance": [round(float(x), 4) for x in self.distance],
        }

    @classmethod
    def from_dict(cls, d: dict) -> "Trajectory":
        """A saved trajectory; files from before pan mappings hold lens-mapped pans."""
        return cls(np.asarray(d["pan"], float), np.asarray(d["distance"], float), float(d["fps"]),
                   float(d.get("hfov_deg", 90.0)), bool(d.get("follow_box", True)),
                   str(d.get("pan_mode", "lens")), float(d.get("pan_width", 1.0)))

    def copy(self) -> "Trajectory":
        return Trajectory(self.pan.copy(), self.distance.copy(), self.fps, self.hfov_deg, self.follow_box,
                          self.pan_mode, self.pan_width)


def pan_from_x(x: np.ndarray | float, width: float, hfov_deg: float = 90.0) -> np.ndarray:
    """Pan in [-1, 1] for a horizontal pixel position through a pinhole camera (lens mapping).

    The azimuth of pixel x is atan((x - w/2) / f) with f = (w/2) / tan(hfov/2); pan is the
    azimuth divided by 90 deg, so pan +-1 means hard left/right (90 deg off axis).
    """
    half = 0.5 * float(width)
    f = half / math.tan(math.radians(hfov_deg) / 2.0)
    az = np.degrees(np.arctan((np.asarray(x, np.float64) - half) / f))
    return np.clip(az / 90.0, -1.0, 1.0)


def x_from_pan(pan: np.ndarray | float, width: float, hfov_deg: float = 90.0) -> np.ndarray:
    """Inverse of `pan_from_x`: the pixel column a pan value points at (may lie off screen)."""
    half = 0.5 * float(width)
    f = half / math.tan(math.radians(hfov_deg) / 2.0)
    az = np.radians(np.clip(np.asarray(pan, np.float64), -0.999, 0.999) * 90.0)
    return half + f * np.tan(az)

"""Where the sound is: pan (-1 left .. 1 right) and relative distance, one value per video frame.

Pan comes from the box centre through the camera's horizontal field of view: pan is the
azimuth divided by 90 deg, so with the default 90 deg lens the frame edges sit at pan +-0.5.
Distance comes from box height (or a depth model): 1.0 is the
reference distance, 2.0 twice as far.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .track import Track


@dataclass
class Trajectory:
    """Pan and distance curves on the video frame grid; `fps` gives their time base."""

    pan: np.ndarray
    distance: np.ndarray
    fps: float
    hfov_deg: float = 90.0
    follow_box: bool = True  # False once the user edited the curves by hand

    def __post_init__(self) -> None:
        self.pan = np.clip(np.nan_to_num(np.asarray(self.pan, np.float64).reshape(-1)), -1.0, 1.0)
        d = np.asarray(self.distance, np.float64).reshape(-1)
        self.distance = np.clip(np.nan_to_num(d, nan=1.0), 0.05, 1000.0)

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
        """Azimuth per frame (deg, positive = right), the inverse of `pan_from_x`."""
        return self.pan * 90.0

    @classmethod
    def from_track(cls, track: Track, width: int, height: int, fps: float, hfov_deg: float = 90.0,
                   ref_height_fraction: float | None = None) -> "Trajectory":
        """Derive pan from box centres and distance from box heights (gaps interpolated)."""
        boxes = track.filled()
        n = len(boxes)
        if n == 0 or np.isnan(boxes[:, 0]).all():
            return cls(np.zeros(n), np.ones(n), fps, hfov_deg)
        cx = 0.5 * (boxes[:, 0] + boxes[:, 2])
        pan = pan_from_x(cx, width, hfov_deg)
        h = np.maximum(boxes[:, 3] - boxes[:, 1], 1.0)
        ref = ref_height_fraction * height if ref_height_fraction else float(np.median(h))
        dist = ref / h
        return cls(pan, dist, fps, hfov_deg)

    def to_dict(self) -> dict:
        return {
            "fps": self.fps, "hfov_deg": self.hfov_deg, "follow_box": self.follow_box,
            "pan": [round(float(x), 4) for x in self.pan],
            "distance": [round(float(x), 4) for x in self.distance],
        }

    @classmethod
    def from_dict(cls, d: dict) -> "Trajectory":
        return cls(np.asarray(d["pan"], float), np.asarray(d["distance"], float), float(d["fps"]),
                   float(d.get("hfov_deg", 90.0)), bool(d.get("follow_box", True)))

    def copy(self) -> "Trajectory":
        return Trajectory(self.pan.copy(), self.distance.copy(), self.fps, self.hfov_deg, self.follow_box)


def pan_from_x(x: np.ndarray | float, width: float, hfov_deg: float = 90.0) -> np.ndarray:
    """Pan in [-1, 1] for a horizontal pixel position through a pinhole camera.

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

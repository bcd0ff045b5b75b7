"""Per-frame boxes of one subject, with the user's keyframes that always win over the tracker."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class Track:
    """Boxes (x0, y0, x1, y1) in pixels of the original frame, one row per video frame.

    A row of NaN means "not seen in this frame". `keyframes` maps frame index -> box the user
    set; the tracker re-runs from each keyframe and never overwrites one.
    """

    boxes: np.ndarray
    confidence: np.ndarray | None = None
    keyframes: dict[int, list[float]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.boxes = np.asarray(self.boxes, dtype=np.float64).reshape(-1, 4)
        if self.confidence is None:
            self.confidence = np.where(np.isnan(self.boxes[:, 0]), 0.0, 1.0)
        self.confidence = np.asarray(self.confidence, dtype=np.float64).reshape(-1)
        self.keyframes = {int(k): [float(x) for x in v] for k, v in self.keyframes.items()}

    def __len__(self) -> int:
        return len(self.boxes)

    @classmethod
    def empty(cls, n_frames: int) -> "Track":
        return cls(np.full((n_frames, 4), np.nan), np.zeros(n_frames))

    def box(self, frame: int) -> np.ndarray | None:
        if 0 <= frame < len(self.boxes) and not np.isnan(self.boxes[frame, 0]):
            return self.boxes[frame].copy()
        return None

    def filled(self) -> np.ndarray:
        """Boxes with gaps filled by linear interpolation (and held at the ends)."""
        out = self.boxes.copy()
        ok = ~np.isnan(out[:, 0])
        if not ok.any():
            return out
        idx = np.arange(len(out))
        for c in range(4):
            out[:, c] = np.interp(idx, idx[ok], out[ok, c])
        return out

    def set_keyframe(self, frame: int, box: list[float] | np.ndarray) -> None:
        b = [float(x) for x in box]
        self.keyframes[int(frame)] = b
        self.boxes[int(frame)] = b
        self.confidence[int(frame)] = 1.0

    def to_dict(self) -> dict:
        rows = [None if np.isnan(b[0]) else [round(float(x), 2) for x in b] for b in self.boxes]
        return {
            "boxes": rows,
            "confidence": [round(float(c), 3) for c in self.confidence],
            "keyframes": {str(k): v for k, v in self.keyframes.items()},
        }

    @classmethod
    def from_dict(cls, d: dict) -> "Track":
        rows = [[np.nan] * 4 if b is None else b for b in d.get("boxes", [])]
        boxes = np.asarray(rows, np.float64).reshape(-1, 4)
        conf = d.get("confidence")
        return cls(boxes, None if conf is None else np.asarray(conf, np.float64),
                   {int(k): v for k, v in d.get("keyframes", {}).items()})

    def copy(self) -> "Track":
        return Track(self.boxes.copy(), self.confidence.copy(), {k: list(v) for k, v in self.keyframes.items()})

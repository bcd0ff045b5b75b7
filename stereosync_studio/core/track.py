"""Per-frame boxes of one subject, with the user's keyframes that always win over the tracker.

Confidence per frame (what the Studio's confidence strip draws): 1 a keyframe; 0.6-1 seen
and verified; 0.35-0.6 doubtful or interpolated; below 0.35 the subject is hidden and the
box is predicted (coasting); 0 nothing (NaN box). `uncertain_frames` / `next_uncertain` list
the frames a designer should look at (confidence below `UNCERTAIN`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

UNCERTAIN = 0.5  # below this a frame is worth a look
INTERPOLATED = 0.5  # the confidence of a box interpolated between two keyframes


def box_iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Intersection over union of (x0, y0, x1, y1) boxes, row by row (..., 4) -> (...): 0 where
    either box is empty or NaN. The one overlap measure of the tracker, the subjects' merging
    and the Studio."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    iw = np.minimum(a[..., 2], b[..., 2]) - np.maximum(a[..., 0], b[..., 0])
    ih = np.minimum(a[..., 3], b[..., 3]) - np.maximum(a[..., 1], b[..., 1])
    inter = np.where((iw > 0) & (ih > 0), iw * ih, 0.0)
    union = (a[..., 2] - a[..., 0]) * (a[..., 3] - a[..., 1]) + (b[..., 2] - b[..., 0]) * (b[..., 3] - b[..., 1]) - inter
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.where(union > 0, inter / np.where(union > 0, union, 1.0), 0.0)
    return np.nan_to_num(out, nan=0.0)


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

    # -- where to look ------------------------------------------------------------------------
    def uncertain_frames(self, threshold: float = UNCERTAIN) -> np.ndarray:
        """Indices of frames whose confidence is below `threshold` (keyframes never are)."""
        low = self.confidence < threshold
        for k in self.keyframes:
            if 0 <= k < len(low):
                low[k] = False
        return np.flatnonzero(low)

    def uncertain_spans(self, threshold: float = UNCERTAIN) -> list[tuple[int, int]]:
        """Runs of uncertain frames as (first, last + 1), in order."""
        idx = self.uncertain_frames(threshold)
        if len(idx) == 0:
            return []
        cuts = np.flatnonzero(np.diff(idx) > 1)
        starts = np.r_[idx[0], idx[cuts + 1]]
        ends = np.r_[idx[cuts], idx[-1]] + 1
        return [(int(a), int(b)) for a, b in zip(starts, ends)]

    def next_uncertain(self, frame: int, direction: int = 1, threshold: float = UNCERTAIN) -> int | None:
        """The first frame of the next (direction > 0) or previous uncertain run from `frame`,
        or None. Jumps over the run `frame` is in, so repeated calls walk run by run."""
        spans = self.uncertain_spans(threshold)
        if direction >= 0:
            return next((a for a, _ in spans if a > frame), None)
        return next((a for a, b in reversed(spans) if a < frame and not a <= frame < b), None)

    # -- keyframes -------------------------------------------------------------------------------
    def interpolate_keyframes(self, start: int, end: int) -> "Track":
        """A copy with the frames strictly between keyframes `start` and `end` linearly
        interpolated (confidence `INTERPOLATED`); other frames and keyframes untouched."""
        if start not in self.keyframes or end not in self.keyframes:
            raise ValueError(f"frames {start} and {end} must both be keyframes (have {sorted(self.keyframes)})")
        a, b = sorted((int(start), int(end)))
        out = self.copy()
        if b - a < 2:
            return out
        t = (np.arange(a + 1, b) - a)[:, None] / float(b - a)
        ba, bb = np.asarray(self.keyframes[a]), np.asarray(self.keyframes[b])
        out.boxes[a + 1:b] = ba + t * (bb - ba)
        out.confidence[a + 1:b] = INTERPOLATED
        return out

    def interpolate_all_keyframes(self) -> "Track":
        """Every gap between consecutive keyframes interpolated (a hand-keyed track)."""
        out = self
        keys = sorted(self.keyframes)
        for a, b in zip(keys, keys[1:]):
            out = out.interpolate_keyframes(a, b)
        return out if out is not self else self.copy()

    @classmethod
    def centred_default(cls, n_frames: int, width: int, height: int) -> "Track":
        """A box in the middle of the frame on every frame (confidence 0): where a designer starts
        when no person was found. Not a keyframe, so the first edit re-tracks from there."""
        bw, bh = 0.25 * width, 0.6 * height
        box = [0.5 * (width - bw), 0.5 * (height - bh), 0.5 * (width + bw), 0.5 * (height + bh)]
        return cls(np.tile(box, (n_frames, 1)), np.zeros(n_frames))

    def overlap(self, other: "Track") -> tuple[np.ndarray, np.ndarray]:
        """(the frames both tracks see, the boxes' IoU on each of them)."""
        n = min(len(self), len(other))
        both = np.flatnonzero(np.isfinite(self.boxes[:n, 0]) & np.isfinite(other.boxes[:n, 0]))
        return both, box_iou(self.boxes[both], other.boxes[both])

    def copy(self) -> "Track":
        return Track(self.boxes.copy(), self.confidence.copy(), {k: list(v) for k, v in self.keyframes.items()})

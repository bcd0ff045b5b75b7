"""One decode pass over a clip that measures how each tracked subject moves, frame by frame.

For every subject it keeps the box, the optical-flow statistics of the box (flow_features)
and, when MediaPipe works here, the body landmarks (pose). The step detector, the learned
mapper and the multi-subject job all start from this, so the clip is decoded once however
many subjects there are. Torch-free.
"""

from __future__ import annotations

from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..core.errors import InputError
from ..core.progress import CancelToken, ProgressFn, null_progress
from ..core.track import Track
from . import pose as _pose
from .flow_features import N_FLOW, FlowAnalyzer


@dataclass
class SubjectMotion:
    """Per-frame measurements of one subject (rows of NaN where the subject is not on screen)."""

    fps: float
    times: np.ndarray  # (n,) seconds of each frame
    boxes: np.ndarray  # (n, 4) the boxes used (gaps inside the seen span filled), NaN outside
    flow: np.ndarray  # (n, N_FLOW) flow statistics, see flow_features.FLOW_FEATURE_NAMES
    pose: np.ndarray | None  # (n, 33, 4) landmarks (x, y px, z, visibility) or None if no pose
    width: int
    height: int

    @property
    def n_frames(self) -> int:
        return len(self.times)

    @property
    def duration(self) -> float:
        return self.n_frames / self.fps if self.fps > 0 else 0.0

    def seen(self) -> np.ndarray:
        return np.isfinite(self.boxes[:, 0])

    def pose_coverage(self) -> float:
        """Fraction of the seen frames with landmarks."""
        if self.pose is None:
            return 0.0
        seen = self.seen()
        if not seen.any():
            return 0.0
        return float(np.isfinite(self.pose[seen, 0, 0]).mean())


def working_boxes(track: Track) -> np.ndarray:
    """Boxes filled between the first and last seen frame, NaN before and after."""
    raw = track.boxes
    seen = np.flatnonzero(np.isfinite(raw[:, 0]))
    out = np.full_like(raw, np.nan)
    if len(seen):
        filled = track.filled()
        out[seen[0]:seen[-1] + 1] = filled[seen[0]:seen[-1] + 1]
    return out


def analyze_subjects(path: str | Path, tracks: list[Track], use_pose: bool | None = None,
                     progress: ProgressFn = null_progress, cancel: CancelToken | None = None,
                     reader=None) -> list[SubjectMotion]:
    """Measure every subject of `tracks` in one pass over the clip at `path`.

    `use_pose` None means "if MediaPipe is available". A track shorter than the clip is padded
    with unseen frames; a longer one is cut.
    """
    from ..media.video import VideoReader

    cancel = cancel or CancelToken()
    own = reader is None
    if own:  # never `reader or ...`: an empty crop store is falsy (it has a length) yet is the reader
        reader = VideoReader(path)
    try:
        info = reader.info
        n = info.n_frames
        if n < 2:
            raise InputError(path, "clip is too short to find steps (fewer than 2 frames)")
        boxes = [_fit(working_boxes(t), n) for t in tracks]
        want_pose = _pose.available() if use_pose is None else (bool(use_pose) and _pose.available())
        flows = [FlowAnalyzer(info.fps) for _ in tracks]
        poses = [_pose.PoseTracker() for _ in tracks] if want_pose else []
        flow_rows = [np.full((n, N_FLOW), np.nan, np.float32) for _ in tracks]
        lms = [np.full((n, _pose.N_LANDMARKS, 4), np.nan, np.float32) for _ in tracks] if want_pose else []
        times = np.asarray(reader.times, np.float64)[:n].copy()
        lo, hi = _active_span(boxes, n)
        # pose runs on a worker thread, in frame order, while this one measures the flow of the
        # same frame (MediaPipe releases the GIL while its graph runs): the same results, sooner
        pool = ThreadPoolExecutor(1, thread_name_prefix="pose") if want_pose else None
        queued: deque = deque()
        try:
            for i, _t, rgb in reader.iter_frames(lo, hi):
                if (i - lo) % 8 == 0:
                    cancel.check()
                    progress((i - lo) / max(hi - lo, 1), f"measuring motion, frame {i + 1}/{n}")
                for k in range(len(tracks)):
                    b = boxes[k][i]
                    if not np.isfinite(b[0]):
                        flows[k].reset()
                        continue
                    if pool is not None:
                        queued.append((k, i, pool.submit(poses[k].update, rgb, b)))
                    flow_rows[k][i] = flows[k].update(rgb, b)
                while queued and (len(queued) > 2 * len(tracks) or queued[0][2].done()):
                    _collect(queued.popleft(), lms)
            while queued:
                _collect(queued.popleft(), lms)
        finally:
            if pool is not None:
                pool.shutdown(wait=True, cancel_futures=True)
            for p in poses:
                p.close()
        progress(1.0, "motion measured")
        return [SubjectMotion(info.fps, times, boxes[k], flow_rows[k], lms[k] if want_pose else None,
                              info.width, info.height) for k in range(len(tracks))]
    finally:
        if own:
            reader.close()


def _collect(item: tuple[int, int, Future], lms: list[np.ndarray]) -> None:
    """Store the landmarks of a finished pose job (subject k, frame i)."""
    k, i, job = item
    lm = job.result()
    if lm is not None:
        lms[k][i] = lm


def _fit(boxes: np.ndarray, n: int) -> np.ndarray:
    if len(boxes) >= n:
        return boxes[:n]
    return np.vstack([boxes, np.full((n - len(boxes), 4), np.nan)])


def _active_span(boxes: list[np.ndarray], n: int) -> tuple[int, int]:
    """First and one-past-last frame where any subject is seen (decode only that)."""
    lo, hi = n, 0
    for b in boxes:
        seen = np.flatnonzero(np.isfinite(b[:, 0]))
        if len(seen):
            lo, hi = min(lo, int(seen[0])), max(hi, int(seen[-1]) + 1)
    return (0, 0) if hi <= lo else (lo, hi)


__all__ = ["SubjectMotion", "analyze_subjects", "working_boxes"]

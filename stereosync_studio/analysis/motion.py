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
from ..core.progress import CancelToken, ProgressFn, null_progress, sub_progress
from ..core.track import Track
from . import pose as _pose
from .flow_features import IDX, N_FLOW, FlowAnalyzer


FEET_MARGIN_PX = 2.0  # a box ending this close to the frame's bottom edge is cut by it
MEASURE_RATE = 25.0  # Hz: clips shot faster are measured on every `stride_for(fps)`-th frame
REPEAT_FLOW = 0.02  # box heights/s: under this nothing in the box moved (a repeated picture)


def stride_for(fps: float) -> int:
    """Frames from one measured frame to the next: 1 up to ~44 fps, 2 at 48/50/59.94/60, 4 at 100...

    Why: the step detector and the learned mapper are built on 24-30 fps motion (a swing
    spans enough samples, landmark jitter is filtered over the same time). At 50 fps and up
    every frame costs twice the pose and flow for worse steps: zig-zag recall on 50 fps clips
    0.78 measuring every frame, 0.92 every other frame (true boxes, seeds 10-13 and 20-23).
    The measured rate stays between 20 and 30 Hz."""
    return max(1, int(float(fps) / MEASURE_RATE + 0.25)) if fps and fps > 0 else 1


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
    stride: int = 1  # row i is the clip's frame i * stride (`fps` is the clip's fps / stride;
    # about so for `distinct_pictures`, whose rows are the new pictures)
    clip_frames: int = 0  # the clip's frame count (0: n_frames * stride)

    @property
    def n_frames(self) -> int:
        return len(self.times)

    @property
    def duration(self) -> float:
        """Seconds of the clip (not of the last row): what an envelope from this motion spans."""
        frames = self.clip_frames or self.n_frames * self.stride
        return frames / (self.fps * self.stride) if self.fps > 0 else 0.0

    def per_row(self, per_frame: np.ndarray) -> np.ndarray:
        """A per-clip-frame array (e.g. a distance per frame) read at this motion's rows."""
        return np.asarray(per_frame)[::self.stride][:self.n_frames]

    def seen(self) -> np.ndarray:
        return np.isfinite(self.boxes[:, 0])

    def feet_seen(self) -> np.ndarray:
        """Frames where the subject's feet are in the picture: seen, the box ending above the
        frame's bottom edge. A box cut by the edge (a medium shot, a walker leaving at the bottom)
        has no feet in it: its 'foot contacts' are read from the legs, or the hips."""
        bottom = np.where(self.seen(), self.boxes[:, 3], np.inf)
        return bottom < self.height - FEET_MARGIN_PX

    def pose_coverage(self) -> float:
        """Fraction of the seen frames with landmarks."""
        if self.pose is None:
            return 0.0
        seen = self.seen()
        if not seen.any():
            return 0.0
        return float(np.isfinite(self.pose[seen, 0, 0]).mean())


def distinct_pictures(motion: SubjectMotion) -> SubjectMotion:
    """The motion of the pictures that are new, at their own rate, when the clip repeats
    its pictures regularly (animation on twos, a 12.5 fps source or a screen capture written
    out at 25 fps, a frame-rate conversion by repetition); else `motion` itself.

    Why: a repeated picture has no motion at all and the next one all of two frames' motion,
    so the swing of a foot reads as 0, 2x, 0, 2x ... and the step detector found no step at
    all (picture-only step F1 0.97 -> 0.00 on six walkers shown on twos; 0.84 read this way,
    a true 12.5 fps clip of the same pictures gives 0.79). Repeats are rows where
    nothing in the subject's box moved (`REPEAT_FLOW`); they count as a pattern when the rows
    that moved come every k >= 2 rows (median) and the still rows are 30 % or more of the seen
    ones: a subject who stands still for a while is no pattern. The rows kept have their
    rates divided by the frames they span, the rate is fps / k."""
    seen = motion.seen()
    p90 = motion.flow[:, IDX["box_p90"]]
    known = seen & np.isfinite(p90)
    still = known & (p90 < REPEAT_FLOW)
    moved = np.flatnonzero(known & ~still)
    if len(moved) < 4 or still.sum() < 0.3 * max(seen.sum(), 1):
        return motion
    k = int(np.median(np.diff(moved)))
    if k < 2:
        return motion
    keep = ~still
    flow = motion.flow.astype(np.float64).copy()
    span = np.diff(np.r_[-1, np.flatnonzero(keep)])  # frames since the row kept before
    rates = [i for name, i in IDX.items() if name != "low_moving"]
    rows = np.flatnonzero(keep)
    flow[np.ix_(rows, rates)] /= np.clip(span, 1, k)[:, None]
    return SubjectMotion(motion.fps / k, motion.times[keep], motion.boxes[keep], flow[keep].astype(np.float32),
                         None if motion.pose is None else motion.pose[keep], motion.width, motion.height,
                         motion.stride * k, motion.clip_frames or motion.n_frames * motion.stride)


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
                     reader=None, ahead=None) -> list[SubjectMotion]:
    """Measure every subject of `tracks` in one pass over the clip at `path`.

    `use_pose` None means "if MediaPipe is available". A track shorter than the clip is padded
    with unseen frames; a longer one is cut. Clips faster than ~44 fps are measured on every
    `stride_for(fps)`-th frame: the motions returned have a row per measured frame. `ahead`
    (an `analysis.motion_ahead.MotionAhead` that measured a lone subject while it was being
    tracked) supplies the frames it measured with the boxes the track ended with; the rest
    is measured here.
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
        times = np.asarray(reader.times, np.float64)[:n].copy()
        lo, hi = _active_span(boxes, n)
        done = ahead.adopt(boxes, lo, hi, want_pose) if ahead is not None else None
        if done:
            rows, lms = _around(done, reader, boxes, lo, hi, progress, cancel)
        else:
            with MotionPass(info.fps, n, len(tracks), want_pose) as mp:
                _measure(mp, reader, boxes, lo, hi, progress, cancel)
                rows, lms = mp.flow_rows, mp.lms
        progress(1.0, "motion measured")
        step = stride_for(info.fps)
        return [SubjectMotion(info.fps / step, times[::step], boxes[k][::step], rows[k][::step],
                              lms[k][::step] if want_pose else None, info.width, info.height, step, n)
                for k in range(len(tracks))]
    finally:
        if own:
            reader.close()


class MotionPass:
    """Flow and pose of every subject, fed one frame at a time in frame order (resumable: a
    pass fed frames s..e-1 goes on at e exactly as one pass over s.. would). Only the frames
    on the clip's measuring grid (index a multiple of `stride_for(fps)`) are measured; the
    others are ignored, their rows stay NaN.

    Pose runs on a worker thread, in frame order, while the caller measures the flow of the
    same frame (MediaPipe releases the GIL while its graph runs): the same results, sooner."""

    def __init__(self, fps: float, n: int, n_subjects: int, want_pose: bool):
        self.want_pose = bool(want_pose)
        self.stride = stride_for(fps)
        self.flows = [FlowAnalyzer(fps / self.stride) for _ in range(n_subjects)]
        self.poses = [_pose.PoseTracker() for _ in range(n_subjects)] if want_pose else []
        self.flow_rows = [np.full((n, N_FLOW), np.nan, np.float32) for _ in range(n_subjects)]
        self.lms = [np.full((n, _pose.N_LANDMARKS, 4), np.nan, np.float32) for _ in range(n_subjects)] \
            if want_pose else []
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="pose") if want_pose else None
        self._queued: deque = deque()
        self._closed = False

    def feed(self, i: int, rgb, boxes: list[np.ndarray]) -> None:
        """Measure frame `i` (full-size `rgb`, or a stand-in that slices like one) with each
        subject's box of that frame (`boxes[k]`, NaN where the subject is not seen)."""
        if i % self.stride:
            return
        for k, b in enumerate(boxes):
            if not np.isfinite(b[0]):
                self.flows[k].reset()
                continue
            if self._pool is not None:
                self._queued.append((k, i, self._pool.submit(self.poses[k].update, rgb, b)))
            self.flow_rows[k][i] = self.flows[k].update(rgb, b)
        while self._queued and (len(self._queued) > 2 * len(boxes) or self._queued[0][2].done()):
            _collect(self._queued.popleft(), self.lms)

    def drain(self) -> None:
        """Wait for the pose of every frame fed so far."""
        while self._queued:
            _collect(self._queued.popleft(), self.lms)

    @property
    def closed(self) -> bool:
        """True once `close` ran: the rows stay, nothing more can be fed."""
        return self._closed

    def close(self) -> None:
        self._closed = True
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
        for p in self.poses:
            p.close()
        self.poses = []

    def __enter__(self) -> "MotionPass":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _measure(mp: MotionPass, reader, boxes: list[np.ndarray], lo: int, hi: int, progress: ProgressFn,
             cancel: CancelToken) -> None:
    """Feed frames lo..hi-1 of `reader` to `mp` and wait for their pose."""
    for i, _t, rgb in reader.iter_frames(lo, hi):
        if (i - lo) % 8 == 0:
            cancel.check()
            progress((i - lo) / max(hi - lo, 1), f"measuring motion, frame {i + 1}/{reader.info.n_frames}")
        mp.feed(i, rgb, [b[i] for b in boxes])
    mp.drain()


def _around(done: list[tuple[int, int, MotionPass]], reader, boxes: list[np.ndarray], lo: int, hi: int,
            progress: ProgressFn, cancel: CancelToken) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Flow rows and landmarks when segments s..e-1 were measured ahead (`done`, in frame
    order, one pass each). The frames between them (tracked back from where the subject was
    found, or a gap where it was lost) are measured in passes of their own, each primed with
    the flow of the frame before it and giving the next segment's first frame its flow (flow
    remembers one frame: every flow row is what one pass gives; pose restarts at each part).
    After the last segment its own pass goes on."""
    fps, n = reader.info.fps, reader.info.n_frames
    first = done[0][2]
    rows = [np.full_like(r, np.nan) for r in first.flow_rows]
    lms = [np.full_like(m, np.nan) for m in first.lms]
    parts, at = [], lo  # (kind, first frame, one past the last, the pass measuring it)
    for s, e, mp in done:
        if s > at:
            parts.append(("gap", at, s, None))
        parts.append(("ahead", s, e, mp))
        at = e
    if -(-at // first.stride) * first.stride < hi:  # a frame to measure after the last segment
        parts.append(("tail", at, hi, done[-1][2]))  # the last segment's pass goes on
    try:
        for j, (kind, u0, u1, mp) in enumerate(parts):
            sub = sub_progress(progress, j / len(parts), (j + 1) / len(parts))
            if kind == "ahead":
                continue
            if kind == "tail" and not mp.closed:
                _measure(mp, reader, boxes, u0, u1, sub, cancel)
                continue
            with MotionPass(fps, n, len(boxes), first.want_pose) as own:
                g = -(-u0 // own.stride) * own.stride - own.stride  # the measured frame before u0's first
                if g >= lo:  # the flow of that first one comes from it
                    _, _, prev = next(iter(reader.iter_frames(g, g + 1)))
                    for k, b in enumerate(boxes):
                        own.flows[k].update(prev, b[g])
                _measure(own, reader, boxes, u0, u1, sub, cancel)
                if kind == "gap":  # the segment after it gets its first flow row from here
                    _, _, rgb = next(iter(reader.iter_frames(u1, u1 + 1)))
                    for k, b in enumerate(boxes):
                        parts[j + 1][3].flow_rows[k][u1] = own.flows[k].update(rgb, b[u1])
                _copy(own, rows, lms, u0, u1)
        for kind, u0, u1, mp in parts:
            if kind == "ahead" or (kind == "tail" and not mp.closed):
                _copy(mp, rows, lms, u0, u1)
        return rows, lms
    finally:
        for _, _, mp in done:
            mp.close()


def _copy(mp: MotionPass, rows: list[np.ndarray], lms: list[np.ndarray], a: int, b: int) -> None:
    for k in range(len(rows)):
        rows[k][a:b] = mp.flow_rows[k][a:b]
        if mp.want_pose:
            lms[k][a:b] = mp.lms[k][a:b]


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


__all__ = ["MotionPass", "SubjectMotion", "analyze_subjects", "distinct_pictures", "working_boxes"]

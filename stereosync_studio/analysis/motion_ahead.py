"""The motion pass of a lone subject, run while the subject is still being tracked.

Why: opening a clip tracks the subject (one core: the tracker, the other: decoding), then
measures its motion (flow, and pose on a worker thread). One after the other, each leaves a
core idle half the time. `MotionAhead` is handed every frame the tracker has placed a box on,
full size, as the tracker lets go of it (`media.frame_crops.KeepingReader`'s `tap`), and
measures it at once on a thread of its own: the two passes share the cores, and the frames it
measured are not read again (a long clip keeps no crops: it was decoded twice).

What it measured is used only where the finished track has exactly the boxes it measured
with (`adopt`): the segments tracked forward keep their boxes. The frames before the point
where the subject was found are tracked back from it at the end, and a gap where it was lost
is filled in afterwards; the motion pass measures those frames on their own after tracking
(`motion._around`). Flow rows come out as one pass gives them (flow remembers only the frame
before, which each part is primed with); pose restarts at each part (MediaPipe follows the
body from frame to frame: its landmarks then differ by a pixel or so, all along; the steps
found do not, within noise: tests/bench/bench_motion_during_tracking.py). A box changed since
(a keyframe's bridge) sends its segment back to the usual pass.
"""

from __future__ import annotations

import logging
import queue
import threading

import numpy as np

from .motion import MotionPass, stride_for

__all__ = ["MotionAhead"]

log = logging.getLogger(__name__)

_END = None  # queued after the last frame


class MotionAhead:
    """Measures frames offered in order (`offer`, from the tracking thread) on its own thread.

    `depth` frames may wait (full-size pictures: ~6 MB each at 1080p); a tracker that runs
    ahead by more waits for it, so the two stay side by side on two cores. Frames come in
    runs: a frame after a gap (the subject lost) starts a new segment, with a pass of its own
    (at most `max_segments`; past that the rest is measured afterwards); a frame already
    measured (decoded again when the tracker goes back) is ignored, and so is a frame off the
    measuring grid of a fast clip (`motion.stride_for`: every other frame at 50-60 fps)."""

    def __init__(self, fps: float, n_frames: int, want_pose: bool, depth: int = 6, max_segments: int = 12):
        self.fps, self.n = float(fps), int(n_frames)
        self.want_pose = bool(want_pose)
        self.max_segments = int(max_segments)
        self.stride = stride_for(fps)
        self._q: queue.Queue = queue.Queue(maxsize=max(1, int(depth)))
        self._stop = threading.Event()
        self._closed = False  # no more frames are taken (too many segments, `finish`, `close`)
        self.segments: list[list[int]] = []  # [start, stop]: frames start..stop-1 offered, in order
        self.used = np.full((self.n, 4), np.nan)  # the box each frame was measured with
        self.error: BaseException | None = None
        self._passes: list[MotionPass] = []  # one per segment, made on the worker thread
        self._thread = threading.Thread(target=self._run, name="motion-ahead", daemon=True)
        self._thread.start()

    @property
    def start(self) -> int:
        return self.segments[0][0] if self.segments else -1

    @property
    def stop(self) -> int:
        return self.segments[-1][1] if self.segments else -1

    # ------------------------------------------------------------------ the tracking thread
    def offer(self, index: int, rgb: np.ndarray, box: np.ndarray) -> None:
        """Frame `index` (full size) and the box the tracker placed on it (clip pixels)."""
        if self._closed or self._stop.is_set() or not 0 <= index < self.n or index % self.stride:
            return
        if self.segments and index < self.stop:  # decoded again (going back): measured already
            return
        if not self.segments or index >= self.stop + self.stride:  # the first frame, or one after a gap
            if len(self.segments) >= self.max_segments:
                self._closed = True
                self._put(_END)
                return
            self.segments.append([index, index])
        self.segments[-1][1] = index + 1
        self.used[index] = box
        self._put((len(self.segments) - 1, index, rgb, np.array(box, np.float64)))

    def _put(self, item) -> None:
        while not self._stop.is_set():
            try:
                self._q.put(item, timeout=0.1)
                return
            except queue.Full:
                continue

    # ------------------------------------------------------------------ its own thread
    def _run(self) -> None:
        try:
            while not self._stop.is_set():
                try:
                    item = self._q.get(timeout=0.1)
                except queue.Empty:
                    continue
                if item is _END:
                    break
                seg, i, rgb, box = item
                if seg == len(self._passes):  # a new segment: the one before is done
                    if self._passes:
                        self._passes[-1].drain()
                        self._passes[-1].close()  # its rows stay; its pose graph is freed
                    self._passes.append(MotionPass(self.fps, self.n, 1, self.want_pose))
                self._passes[seg].feed(i, rgb, [box])
            if self._passes and not self._stop.is_set():
                self._passes[-1].drain()
        except BaseException as exc:  # reported by `adopt` (the usual pass runs instead)
            self.error = exc
            self._closed = True
            self._stop.set()  # a tracker waiting to hand a frame over goes on without it
            log.info("motion measured ahead failed (%s): measured after tracking instead", exc)

    # ------------------------------------------------------------------ after tracking
    def finish(self) -> None:
        """No more frames: wait until every frame offered is measured."""
        if not self._closed:
            self._closed = True
            self._put(_END)
        self._thread.join()

    def adopt(self, boxes: list[np.ndarray], lo: int, hi: int,
              want_pose: bool) -> list[tuple[int, int, MotionPass]]:
        """The segments measured ahead that can stand for the usual pass over lo..hi-1 of one
        subject with these final `boxes`: (start, stop, its pass), in frame order (only the
        last segment's pass is still open, to go on); [] when none can (then everything here is closed). The
        caller owns and closes the passes returned."""
        self.finish()
        passes, self._passes = self._passes, []
        ok = (self.error is None and len(boxes) == 1 and want_pose == self.want_pose
              and len(passes) == len(self.segments))
        out = []
        for (s, e), mp in zip(self.segments, passes):
            grid = slice(s, e, self.stride)  # the frames measured
            if ok and lo <= s < e <= hi and np.array_equal(self.used[grid], boxes[0][grid]):
                out.append((s, e, mp))
            else:
                mp.close()
        return out

    def close(self) -> None:
        """Stop at once (cancel, an error) and free the passes."""
        self._closed = True
        self._stop.set()
        self._thread.join()
        for mp in self._passes:
            mp.close()
        self._passes = []

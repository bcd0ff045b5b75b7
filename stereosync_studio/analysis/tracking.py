"""Follow one walking subject through a clip: one box per frame, user keyframes always win.

How a frame is tracked (on a copy `work_height` px tall, boxes returned in clip pixels):
  1. a correlation-filter tracker (OpenCV KCF by default, CSRT on request) moves the box;
  2. a colour model of the subject (foreground/background histograms learnt at the seed)
     segments the subject around that box and gives its real extent -- KCF keeps a fixed box
     size, but a walker's box grows when they approach and widens with every stride;
     when the colours do not tell the subject apart, MediaPipe pose corrects the size now
     and then instead;
  3. the box is checked (tracker failure, left the frame, size jump, subject colours gone);
     a lost subject is searched near where it was last (colour search every frame, person
     and motion detectors a few times a second) and the tracker restarts where it is found.
     Frames where nothing is found are NaN rows with confidence 0.
Segments run forward from each keyframe (or the seed) to the next one, and backward from
the first one to frame 0; a gap between two of the user's keyframes is also tracked back
from the later one, and per frame the surer, nearer side is kept (both blended when they
agree). Every keyframe's look anchors the identity model. Without a seed the subject is found by `detect_subject`.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import cv2
import numpy as np

from ..core.errors import InputError
from ..core.progress import CancelToken, ProgressFn, null_progress
from ..core.track import Track
from .detect import ColourModel, clip_box, detect_subject, iou, iou_inside
from .follower import TRACKERS, _Follower
from .identity import SubjectTracker
from .motion import stride_for
from .reid import get_embedder

if TYPE_CHECKING:
    from ..media.frame_crops import FrameCrops

MIN_SUBJECT_PX = 20


# ----------------------------------------------------------------------------- frames

def _open_reader(reader_or_path):
    if isinstance(reader_or_path, (str, Path)):
        from ..media.video import VideoReader

        return VideoReader(reader_or_path), True
    return reader_or_path, False


def _frames(reader, start: int, stop: int, step: int, scale: float, chunk: int = 96) -> Iterator:
    """(index, rgb) from start towards stop (exclusive), forward or backward, decoded once each."""
    if step > 0:
        for i, _, rgb in reader.iter_frames(start, stop, scale):
            yield i, rgb
        return
    hi = start + 1
    while hi > stop + 1:
        lo = max(stop + 1, hi - chunk)
        buf = [(i, rgb) for i, _, rgb in reader.iter_frames(lo, hi, scale)]
        yield from reversed(buf)
        hi = lo


def _work_scale(info, work_height: int) -> float:
    return min(1.0, float(work_height) / max(info.height, 1)) if work_height else 1.0


def _run_segment(reader, follower: SubjectTracker, start: int, stop: int, step: int, box0: np.ndarray,
                 scale: float, sxy: np.ndarray, boxes: np.ndarray, conf: np.ndarray,
                 tick, cancel: CancelToken | None, stride: int = 1) -> None:
    """Track from `start` (where the box is `box0`, clip pixels) towards `stop` (exclusive).

    With `stride` > 1 (a fast clip, `motion.stride_for`) the follower sees the frames whose
    index is a multiple of it (and the segment's last); the frames between get the boxes
    in between (NaN next to a frame where the subject is lost)."""
    first = True
    last = stop - step
    prev: tuple[int, np.ndarray, float] | None = None
    for i, img in _frames(reader, start, stop, step, scale):
        if cancel is not None:
            cancel.check()
        if first:
            follower.start(img, np.asarray(box0, float) / sxy)
            first = False
            prev = (i, np.asarray(box0, float), 1.0)
            tick()
            continue
        if i % stride and i != last:
            tick()
            continue
        b, c = follower.step(img)
        boxes[i] = b * sxy
        conf[i] = c
        _between(prev, (i, b * sxy, c), boxes, conf)
        prev = (i, b * sxy, c)
        tick()


def _between(a: tuple[int, np.ndarray, float] | None, b: tuple[int, np.ndarray, float],
             boxes: np.ndarray, conf: np.ndarray) -> None:
    """Boxes of the frames strictly between two tracked ones: linear in time, the lower
    confidence of the two; left NaN when the subject is lost on either side."""
    if a is None or abs(b[0] - a[0]) < 2 or not (np.isfinite(a[1]).all() and np.isfinite(b[1]).all()):
        return
    (i0, b0, c0), (i1, b1, c1) = a, b
    for i in range(min(i0, i1) + 1, max(i0, i1)):
        w = (i - i0) / float(i1 - i0)
        boxes[i] = (1.0 - w) * b0 + w * b1
        conf[i] = min(c0, c1)


# ----------------------------------------------------------------------------- auto seed

def find_subject(reader, work_height: int = 360, cancel: CancelToken | None = None,
                 max_probes: int = 12) -> tuple[int, np.ndarray, float] | None:
    """(frame, box in clip pixels, score) of the walking subject, probing the clip from the start."""
    info = reader.info
    n = info.n_frames
    scale = _work_scale(info, work_height)
    gap = max(1, int(round(info.fps * 0.16)))
    span = min(n, int(round(info.fps * 2.0)) + 2 * gap)
    head = [rgb for _, _, rgb in reader.iter_frames(0, span, scale)]
    probes = [p for p in (gap, gap + int(info.fps * 0.4), gap + int(info.fps * 0.8)) if p < len(head)]
    if not probes:
        probes = [0]
    step = max(int(round(info.fps)), 1)
    later = list(range(span + step // 2, n, step))[: max(max_probes - len(probes), 0)]
    best = None
    for p in probes + later:
        if cancel is not None:
            cancel.check()
        if p < len(head):
            cur = head[p]
            prev = head[p - gap] if p - gap >= 0 else None
            nxt = head[p + gap] if p + gap < len(head) else None
        else:
            def get(i):
                return cv2.resize(reader.frame_at(i), (head[0].shape[1], head[0].shape[0]),
                                  interpolation=cv2.INTER_AREA)
            cur, prev, nxt = get(p), get(max(p - gap, 0)), get(min(p + gap, n - 1))
        det = detect_subject(cur, prev_rgb=prev, next_rgb=nxt)
        if det is None:
            continue
        box = _refine_seed(cur, det[0])
        if best is None or det[1] > best[2] + 0.1:
            best = (p, box, det[1])
        if det[1] >= 0.5 or (best is not None and p >= len(head)):
            break
    if best is None:
        return None
    sx = info.width / head[0].shape[1]
    sy = info.height / head[0].shape[0]
    return best[0], best[1] * [sx, sy, sx, sy], best[2]


def _refine_seed(img: np.ndarray, box: np.ndarray) -> np.ndarray:
    """Tighten a detector's box on the subject's colours (kept only if it stays close)."""
    h, w = img.shape[:2]
    bw, bh = box[2] - box[0], box[3] - box[1]
    # detectors cut off limbs (and frame differencing misses a planted foot): learn from a
    # slightly larger box, the background histogram keeps background colours out anyway
    big = clip_box(np.array([box[0] - 0.15 * bw, box[1] - 0.08 * bh, box[2] + 0.15 * bw, box[3] + 0.08 * bh]), w, h)
    cm = ColourModel()
    cm.learn(img, big)
    if not cm.good:
        return box
    cur = big
    for _ in range(2):
        seg = cm.segment(img, cur)
        # detectors' boxes are often loose: accept a tighter box inside, not one elsewhere
        if seg is None or iou_inside(seg, big) < 0.7 or (seg[3] - seg[1]) < 0.4 * bh:
            break
        cur = seg
        cm.learn(img, cur)
    return cur if cur is not big else box


# ----------------------------------------------------------------------------- public API

def _check_box(box, info, path, what: str) -> np.ndarray:
    """A user box as a float array, or InputError if it is not a box inside the frame."""
    b = np.asarray(box, float).reshape(-1)
    if b.shape != (4,) or not np.isfinite(b).all():
        raise InputError(path, f"{what}: a box needs 4 finite numbers (x0, y0, x1, y1), got {box!r}")
    c = clip_box(b, info.width, info.height)
    if c[2] - c[0] < 2 or c[3] - c[1] < 2:
        raise InputError(path, f"{what}: box {[round(x, 1) for x in b]} is empty or outside the "
                               f"{info.width}x{info.height} frame")
    return b


def track_clip(reader_or_path, seed_box=None, seed_frame: int = 0,
               keyframes: dict[int, list[float] | np.ndarray] | None = None,
               progress: ProgressFn = null_progress, cancel: CancelToken | None = None,
               tracker: str = "kcf", work_height: int | None = None,
               keep_crops: FrameCrops | None = None) -> Track:
    """One box per frame of the clip (clip pixels), NaN where the subject is not found.

    The subject keeps its identity through occlusions and crowds (`identity.SubjectTracker`):
    while hidden its box is predicted for up to two seconds with a low confidence.
    `work_height` None: 360 px, more for small subjects (they stay >= MIN_SUBJECT_PX tall).

    Anchors are the user's `keyframes` (kept exactly, recorded in the Track) and `seed_box` at
    `seed_frame` (a starting point only); with neither, the subject is detected automatically.
    `keep_crops` (a `media.frame_crops.FrameCrops`) keeps the subject's part of each decoded
    frame at full size, so the motion pass need not decode the clip again.
    """
    if tracker not in TRACKERS:
        raise ValueError(f"unknown tracker {tracker!r} (one of {', '.join(TRACKERS)})")
    reader, own = _open_reader(reader_or_path)
    if keep_crops is not None:
        reader = keep_crops.keeping(reader)
    try:
        info = reader.info
        n = info.n_frames
        path = getattr(reader, "path", None)
        kf = {int(k): _check_box(v, info, path, f"keyframe {k}") for k, v in (keyframes or {}).items()
              if 0 <= int(k) < n}
        anchors = dict(kf)
        if seed_box is not None and int(seed_frame) not in anchors:
            if not 0 <= int(seed_frame) < n:
                raise InputError(path, f"seed frame {seed_frame} outside 0..{n - 1}")
            anchors[int(seed_frame)] = _check_box(seed_box, info, path, "seed box")
        if not anchors:
            progress(0.0, "looking for the subject")
            found = find_subject(reader, work_height or 360, cancel)
            if found is None:
                progress(1.0, "no subject found")
                return Track.empty(n)
            anchors[found[0]] = found[1]
        track = Track.empty(n)
        track.keyframes = {k: list(v) for k, v in kf.items()}
        if keep_crops is not None:
            reader.watch(track.boxes)  # each frame is cropped around the box tracked on it
        _track_anchors(reader, track, anchors, 0, n, progress, cancel, tracker, work_height)
        for k, v in kf.items():
            track.set_keyframe(k, v)
        progress(1.0, "tracking done")
        return track
    finally:
        if own:
            reader.close()


def work_geometry(info, anchors: dict[int, np.ndarray], work_height: int | None) -> tuple[float, np.ndarray]:
    """(scale of the working copy, clip pixels per work pixel as x0, y0, x1, y1 factors).

    `work_height` None: 360 px, more when the smallest anchor box would be under
    MIN_SUBJECT_PX there (the colour model and the re-id crop need pixels), as an integer
    shrink of the clip (1/2, 1/3 ...: several times cheaper to resize than any other)."""
    if work_height is None:
        hs = [b[3] - b[1] for b in anchors.values()] or [info.height]
        want = max(360, 360 * MIN_SUBJECT_PX / max(min(hs) * 360 / info.height, 1.0))
        work_height = int(min(info.height, info.height / max(1, int(info.height // want)) if want > 360 else 360))
    scale = _work_scale(info, work_height)
    sw = max(1, round(info.width * scale)) if scale != 1.0 else info.width
    sh = max(1, round(info.height * scale)) if scale != 1.0 else info.height
    return scale, np.array([info.width / sw, info.height / sh] * 2)


def _track_anchors(reader, track: Track, anchors: dict[int, np.ndarray], lo: int, hi: int,
                   progress: ProgressFn, cancel: CancelToken | None, tracker: str, work_height: int | None,
                   backward: bool = True, both_ways: bool = True) -> None:
    """Fill track[lo:hi] from the anchors: forward from each to the next, backward from the first.
    Between two of the user's keyframes (`both_ways`) also backward from the later one.

    Every keyframe of `track` (and every anchor) is shown to the identity model first, so a
    re-track knows what the subject looks like wherever the designer placed a box; a segment
    that ends hidden or lost before the next keyframe is bridged to it by interpolation."""
    info = reader.info
    scale, sxy = work_geometry(info, anchors, work_height)
    keys = sorted(k for k in anchors if lo <= k < hi)
    back = backward and bool(keys) and keys[0] > lo
    total = max(hi - lo + (1 if back else 0), 1)  # the first anchor starts both directions
    done = [0]

    def tick():
        done[0] += 1
        if done[0] % 5 == 0 or done[0] == total:
            progress(min(done[0] / total, 1.0), f"tracking {min(100, 100 * done[0] // total)} %")  # not frames

    stride = stride_for(info.fps)
    follower = SubjectTracker(tracker, info.fps / stride, get_embedder())
    looks = {**{int(k): np.asarray(v, float) for k, v in track.keyframes.items()}, **anchors}
    follower.gallery.anchors = _looks_of(reader, looks, scale, sxy, follower)
    for j, k in enumerate(keys):
        track.boxes[k] = anchors[k]
        track.confidence[k] = 1.0
        end = keys[j + 1] if j + 1 < len(keys) else hi
        _run_segment(reader, follower, k, end, 1, anchors[k], scale, sxy, track.boxes, track.confidence,
                     tick, cancel, stride)
        nxt = min((x for x in track.keyframes if x >= end), default=None)
        if nxt == end and end - k > 2 and both_ways:
            # between two keyframes: track back from the later one too, and keep per frame the
            # side that is nearer and surer (a subject lost on the way is found from the other end)
            bb, bc = np.full((end - k, 4), np.nan), np.zeros(end - k)
            other = SubjectTracker(tracker, info.fps / stride, get_embedder())  # its own memory: what it meets
            other.gallery.anchors = follower.gallery.anchors  # on the way back stays out of the rest
            _run_segment(reader, other, end, k, -1, np.asarray(track.keyframes[end], float), scale, sxy,
                         _Shifted(bb, k), _Shifted(bc, k), lambda: None, cancel, stride)
            _merge_ways(track, k, end, bb, bc)
        if nxt == end:
            _bridge(track, k, end)
    if back:
        _run_segment(reader, follower, keys[0], lo - 1, -1, anchors[keys[0]], scale, sxy, track.boxes,
                     track.confidence, tick, cancel, stride)


class _Shifted:
    """A view of an array whose row `i` is row `i - offset` (a gap's own buffer, clip indices)."""

    def __init__(self, arr: np.ndarray, offset: int):
        self.arr, self.offset = arr, offset

    def __setitem__(self, i: int, v) -> None:
        if 0 <= i - self.offset < len(self.arr):
            self.arr[i - self.offset] = v


def _merge_ways(track: Track, a: int, b: int, back_boxes: np.ndarray, back_conf: np.ndarray) -> None:
    """Frames a+1..b-1: the forward pass (in `track`) and the backward one (from keyframe b).
    Where both follow the same person the boxes are blended, weighted by confidence and by
    nearness to their own keyframe; where they disagree the surer side wins."""
    for i in range(a + 1, b):
        fb, fc = track.boxes[i], float(track.confidence[i])
        bb, bc = back_boxes[i - a], float(back_conf[i - a])
        t = (i - a) / float(b - a)
        wf = fc * (1.0 - t) if np.isfinite(fb).all() else 0.0
        wb = bc * t if np.isfinite(bb).all() else 0.0
        if wf <= 0.0 and wb <= 0.0:
            continue
        if wf > 0.0 and wb > 0.0 and iou(fb, bb) > 0.3:
            track.boxes[i] = (wf * fb + wb * bb) / (wf + wb)
            track.confidence[i] = max(fc, bc)
        elif wb > 0.0 and (wf <= 0.0 or bc > fc):  # they disagree: the surer side wins
            track.boxes[i], track.confidence[i] = bb, bc


def _looks_of(reader, boxes: dict[int, np.ndarray], scale: float, sxy: np.ndarray,
              follower: SubjectTracker, most: int = 8) -> list[tuple]:
    """Appearance descriptors of the subject at the given frames (keyframes), work pixels."""
    from .reid import describe

    out = []
    keys = sorted(boxes)
    if len(keys) > most:  # spread over the clip: the subject's look changes along it
        keys = [keys[int(round(j))] for j in np.linspace(0, len(keys) - 1, most)]
    for k in keys:
        if not 0 <= k < reader.info.n_frames:
            continue
        img = reader.frame_at(k)
        if scale != 1.0:
            img = cv2.resize(img, (int(round(img.shape[1] / sxy[0])), int(round(img.shape[0] / sxy[1]))),
                             interpolation=cv2.INTER_AREA)
        b = clip_box(np.asarray(boxes[k], float) / sxy, img.shape[1], img.shape[0])
        if b[2] - b[0] >= 2 and b[3] - b[1] >= 4:
            out.append(describe(img, [b], follower.embedder)[0])
    return out


def _bridge(track: Track, a: int, b: int) -> None:
    """Frames before keyframe `b` where the subject was hidden or lost, and never found again
    before `b`, are interpolated from the last box seen towards the keyframe."""
    conf = track.confidence
    j = b - 1
    while j > a and conf[j] < 0.35:
        j -= 1
    if j >= b - 1 or not np.isfinite(track.boxes[j]).all():
        return
    t = (np.arange(j + 1, b) - j)[:, None] / float(b - j)
    track.boxes[j + 1:b] = track.boxes[j] + t * (np.asarray(track.keyframes[b], float) - track.boxes[j])
    track.confidence[j + 1:b] = np.maximum(conf[j + 1:b], 0.4)


def retrack_from(track: Track, reader_or_path, frame: int, box, progress: ProgressFn = null_progress,
                 cancel: CancelToken | None = None, tracker: str = "kcf", work_height: int | None = None) -> Track:
    """A copy of `track` with a keyframe at `frame` and the boxes after it re-tracked.

    Frames from `frame` up to the next keyframe (or the end) are recomputed; all other frames
    and keyframes are kept.
    """
    reader, own = _open_reader(reader_or_path)
    try:
        n = reader.info.n_frames
        if not 0 <= int(frame) < n:
            raise InputError(getattr(reader, "path", None), f"frame {frame} outside 0..{n - 1}")
        out = track.copy()
        if len(out) != n:  # a track from another version of the clip: fit it to this one
            grown = Track.empty(n)
            m = min(n, len(out))
            grown.boxes[:m], grown.confidence[:m] = out.boxes[:m], out.confidence[:m]
            grown.keyframes = {k: v for k, v in out.keyframes.items() if k < n}
            out = grown
        frame = int(frame)
        box = _check_box(box, reader.info, getattr(reader, "path", None), f"keyframe {frame}")
        out.set_keyframe(frame, box)
        nxt = min([k for k in out.keyframes if k > frame], default=n)
        out.boxes[frame + 1:nxt] = np.nan
        out.confidence[frame + 1:nxt] = 0.0
        _track_anchors(reader, out, {frame: np.asarray(box, float)}, frame, nxt, progress, cancel,
                       tracker, work_height, backward=False)
        out.set_keyframe(frame, box)
        progress(1.0, "tracking done")
        return out
    finally:
        if own:
            reader.close()


__all__ = ["track_clip", "retrack_from", "find_subject", "work_geometry", "MIN_SUBJECT_PX", "TRACKERS"]

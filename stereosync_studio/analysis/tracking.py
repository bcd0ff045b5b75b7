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
the first one to frame 0. Without a seed the subject is found by `detect_subject`.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np

from ..core.errors import InputError
from ..core.progress import CancelToken, ProgressFn, null_progress
from ..core.track import Track
from .detect import ColourModel, clip_box, detect_pose_box, detect_subject, iou, iou_inside

TRACKERS = ("kcf", "csrt")
_NAN4 = np.full(4, np.nan)


# ----------------------------------------------------------------------------- follower

def _cv_tracker(kind: str):
    if kind == "kcf":
        p = cv2.TrackerKCF_Params()
        p.detect_thresh = 0.3  # limbs change the appearance every frame: fail less eagerly
        return cv2.TrackerKCF_create(p)
    if kind == "csrt":
        return cv2.TrackerCSRT_create()
    raise ValueError(f"unknown tracker {kind!r} (one of {', '.join(TRACKERS)})")


def _centre(b: np.ndarray) -> np.ndarray:
    return np.array([b[0] + b[2], b[1] + b[3]]) * 0.5


def _box_at(c: np.ndarray, w: float, h: float) -> np.ndarray:
    return np.array([c[0] - w / 2, c[1] - h / 2, c[0] + w / 2, c[1] + h / 2])


class _Follower:
    """Tracks one subject frame to frame on work-resolution RGB frames."""

    def __init__(self, kind: str, fps: float):
        self.kind, self.fps = kind, max(float(fps), 1.0)
        self.colour = ColourModel()
        self.recent: deque[np.ndarray] = deque(maxlen=max(4, int(round(self.fps * 0.25))))
        self.redetect_every = max(2, int(round(self.fps / 5)))
        self.pose_every = max(4, int(round(self.fps * 0.4)))

    # -- setup
    def start(self, img: np.ndarray, box: np.ndarray) -> None:
        self.h, self.w = img.shape[:2]
        box = clip_box(box, self.w, self.h)
        self.colour = ColourModel()
        self.colour.learn(img, box)
        if self.colour.good:  # learn again from the subject's own pixels (drops the background in the box)
            x0, y0, x1, y1 = ColourModel.ring(box, self.w, self.h)
            m = np.zeros((self.h, self.w), np.uint8)
            m[y0:y1, x0:x1] = self.colour.mask(img, (x0, y0, x1, y1), 3) * 255
            self.colour.learn(img, box, fg_mask=m, rate=1.0)
        self.presence0 = max(self.colour.presence(img, box), 1e-3) if self.colour.good else 1.0
        self._restart(img, box)
        self.n = 0
        self.recent.clear()
        self.recent.append(img)

    def _restart(self, img: np.ndarray, box: np.ndarray) -> None:
        box = clip_box(box, self.w, self.h)
        bw, bh = max(box[2] - box[0], 4.0), max(box[3] - box[1], 8.0)
        self.cv = _cv_tracker(self.kind)
        x = int(np.clip(round(box[0]), 0, max(self.w - 4, 0)))
        y = int(np.clip(round(box[1]), 0, max(self.h - 8, 0)))
        rect = (x, y, max(min(int(round(bw)), self.w - x), 1), max(min(int(round(bh)), self.h - y), 1))
        self.cv.init(cv2.cvtColor(img, cv2.COLOR_RGB2BGR), rect)
        self.cv_size = (float(rect[2]), float(rect[3]))
        self.box = box.copy()
        self.last_good = box.copy()
        self.ema = np.array([bw, bh])
        self.bad = 0
        self.lost = False
        self.lost_for = 0
        self.template = self._patch(img, box)
        self.template_upper = self._patch(img, self._upper(box))

    @staticmethod
    def _patch(img: np.ndarray, box: np.ndarray) -> np.ndarray | None:
        x0, y0, x1, y1 = (int(round(v)) for v in box)
        p = img[max(y0, 0):max(y1, 0), max(x0, 0):max(x1, 0)]
        if p.shape[0] < 4 or p.shape[1] < 2:
            return None
        return cv2.resize(cv2.cvtColor(p, cv2.COLOR_RGB2GRAY), (24, 48), interpolation=cv2.INTER_AREA)

    @staticmethod
    def _upper(box: np.ndarray) -> np.ndarray:
        """Head and torso: the part of a walker that does not change shape with every stride."""
        return np.array([box[0], box[1], box[2], box[1] + 0.55 * (box[3] - box[1])])

    def _ncc(self, img: np.ndarray, box: np.ndarray, upper: bool = False) -> float:
        p = self._patch(img, self._upper(box) if upper else box)
        t = self.template_upper if upper else self.template
        if p is None or t is None:
            return 0.0
        return float(cv2.matchTemplate(p, t, cv2.TM_CCOEFF_NORMED)[0, 0])

    def _scale_search(self, img: np.ndarray, box: np.ndarray) -> float:
        """1, or a 4 % step up or down if the patch then matches the template better."""
        w, h = box[2] - box[0], box[3] - box[1]
        scores = {s: self._ncc(img, _box_at(_centre(box), w * s, h * s), upper=True) for s in (0.96, 1.0, 1.04)}
        best = max(scores, key=scores.get)
        return best if scores[best] > scores[1.0] + 0.01 else 1.0

    # -- per frame
    def step(self, img: np.ndarray) -> tuple[np.ndarray, float]:
        self.n += 1
        try:
            if self.lost:
                return self._recover(img)
            return self._follow(img)
        finally:
            self.recent.append(img)

    def _visible(self, b: np.ndarray) -> bool:
        c = _centre(b)
        return 0 <= c[0] < self.w and 0 <= c[1] < self.h

    def _follow(self, img: np.ndarray) -> tuple[np.ndarray, float]:
        ok, r = self.cv.update(cv2.cvtColor(img, cv2.COLOR_RGB2BGR))
        kbox = np.array([r[0], r[1], r[0] + r[2], r[1] + r[3]], float) if ok else None
        if kbox is None or not self._visible(kbox):
            return self._lose(img)
        out = kbox
        if self.colour.good:
            seg = self.colour.segment(img, kbox)
            if seg is not None and self._plausible(seg, kbox):
                out = seg
            else:
                out = _box_at(_centre(kbox), *self.ema)
        else:  # colours do not separate the subject: pose now and then, else a scale search
            out = _box_at(_centre(kbox), *self.ema)
            pb = None
            if self.n % self.pose_every == 0:
                pb = detect_pose_box(img, hint=_box_at(_centre(kbox), *(1.4 * self.ema)))
            if pb is not None and iou(pb[0], out) > 0.3:
                out = 0.3 * out + 0.7 * pb[0]
                self.ema = np.array([out[2] - out[0], out[3] - out[1]])
            elif self.n % 2 == 0:
                s = self._scale_search(img, out)
                self.ema = self.ema * s
                out = _box_at(_centre(out), *self.ema)
        # is it still the subject?
        if self.colour.good:
            score = self.colour.presence(img, out) / self.presence0
        else:
            score = 1.0 if self.n % 5 else max(self._ncc(img, out), 0.0) + 0.3  # lost below NCC 0.15
        self.bad = self.bad + 1 if score < 0.45 else 0
        if self.bad >= 3:
            return self._lose(img)
        out = clip_box(out, self.w, self.h)
        self._manage_size(img, out, kbox)
        conf = float(np.clip(score, 0.3, 1.0))
        if conf > 0.7:
            self.last_good = out.copy()
            if self.colour.good and self.n % 10 == 0:
                self.colour.learn(img, out, rate=0.05)
        self.box = out
        return out, conf

    def _plausible(self, seg: np.ndarray, kbox: np.ndarray) -> bool:
        sw, sh = seg[2] - seg[0], seg[3] - seg[1]
        ew, eh = self.ema
        return (0.8 * eh <= sh <= 1.25 * eh and 0.5 * ew <= sw <= 1.8 * ew and iou(seg, kbox) > 0.3)

    def _manage_size(self, img: np.ndarray, out: np.ndarray, kbox: np.ndarray) -> None:
        """Keep the fixed-size tracker on the subject's real size (it grows when approaching)."""
        wh = np.array([out[2] - out[0], out[3] - out[1]])
        self.ema = 0.7 * self.ema + 0.3 * wh
        kw, kh = self.cv_size
        off = _centre(out) - _centre(kbox)
        if (abs(self.ema[1] / kh - 1) > 0.08 or abs(self.ema[0] / kw - 1) > 0.3
                or abs(off[0]) > 0.3 * kw or abs(off[1]) > 0.15 * kh):
            ema = self.ema.copy()
            self._restart(img, _box_at(_centre(out), *ema))
            self.ema = ema
            self.box = out

    def _lose(self, img: np.ndarray) -> tuple[np.ndarray, float]:
        self.lost = True
        self.lost_for = 0
        return self._recover(img)

    def _recover(self, img: np.ndarray) -> tuple[np.ndarray, float]:
        """Look for the subject near where it was last seen; restart the tracker there."""
        self.lost_for += 1
        last = self.last_good
        cand = None
        if self.colour.good:
            c = self.colour.search(img, last)
            if c is not None and self.colour.presence(img, c) >= 0.6 * self.presence0:
                cand = c
        if cand is None and (self.lost_for - 1) % self.redetect_every == 0:
            prev = self.recent[0] if len(self.recent) >= 2 else None
            det = detect_subject(img, prev_rgb=prev, hint=last)
            if det is not None:
                box, score = det
                if self.colour.good:
                    okc = self.colour.presence(img, box) >= 0.5 * self.presence0
                else:
                    okc = score >= 0.5
                hb, hl = box[3] - box[1], last[3] - last[1]
                if okc and 0.5 * hl <= hb <= 2.0 * hl:
                    cand = box
        if cand is None:
            return _NAN4.copy(), 0.0
        cand = clip_box(cand, self.w, self.h)
        keep = self.presence0
        self._restart(img, cand)
        self.presence0 = keep
        return cand, 0.6


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


def _run_segment(reader, follower: _Follower, start: int, stop: int, step: int, box0: np.ndarray,
                 scale: float, sxy: np.ndarray, boxes: np.ndarray, conf: np.ndarray,
                 tick, cancel: CancelToken | None) -> None:
    """Track from `start` (where the box is `box0`, clip pixels) towards `stop` (exclusive)."""
    first = True
    for i, img in _frames(reader, start, stop, step, scale):
        if cancel is not None:
            cancel.check()
        if first:
            follower.start(img, np.asarray(box0, float) / sxy)
            first = False
            tick()
            continue
        b, c = follower.step(img)
        boxes[i] = b * sxy
        conf[i] = c
        tick()


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
               tracker: str = "kcf", work_height: int = 360) -> Track:
    """One box per frame of the clip (clip pixels), NaN where the subject is not found.

    Anchors are the user's `keyframes` (kept exactly, recorded in the Track) and `seed_box` at
    `seed_frame` (a starting point only); with neither, the subject is detected automatically.
    """
    if tracker not in TRACKERS:
        raise ValueError(f"unknown tracker {tracker!r} (one of {', '.join(TRACKERS)})")
    reader, own = _open_reader(reader_or_path)
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
            found = find_subject(reader, work_height, cancel)
            if found is None:
                progress(1.0, "no subject found")
                return Track.empty(n)
            anchors[found[0]] = found[1]
        track = Track.empty(n)
        _track_anchors(reader, track, anchors, 0, n, progress, cancel, tracker, work_height)
        for k, v in kf.items():
            track.set_keyframe(k, v)
        progress(1.0, "tracking done")
        return track
    finally:
        if own:
            reader.close()


def _track_anchors(reader, track: Track, anchors: dict[int, np.ndarray], lo: int, hi: int,
                   progress: ProgressFn, cancel: CancelToken | None, tracker: str, work_height: int,
                   backward: bool = True) -> None:
    """Fill track[lo:hi] from the anchors: forward from each to the next, backward from the first."""
    info = reader.info
    scale = _work_scale(info, work_height)
    sw = max(1, round(info.width * scale)) if scale != 1.0 else info.width
    sh = max(1, round(info.height * scale)) if scale != 1.0 else info.height
    sxy = np.array([info.width / sw, info.height / sh] * 2)
    keys = sorted(k for k in anchors if lo <= k < hi)
    back = backward and bool(keys) and keys[0] > lo
    total = max(hi - lo + (1 if back else 0), 1)  # the first anchor starts both directions
    done = [0]

    def tick():
        done[0] += 1
        if done[0] % 5 == 0 or done[0] == total:
            progress(min(done[0] / total, 1.0), f"tracking frame {done[0]}/{total}")

    follower = _Follower(tracker, info.fps)
    for j, k in enumerate(keys):
        track.boxes[k] = anchors[k]
        track.confidence[k] = 1.0
        end = keys[j + 1] if j + 1 < len(keys) else hi
        _run_segment(reader, follower, k, end, 1, anchors[k], scale, sxy, track.boxes, track.confidence,
                     tick, cancel)
    if back:
        _run_segment(reader, follower, keys[0], lo - 1, -1, anchors[keys[0]], scale, sxy, track.boxes,
                     track.confidence, tick, cancel)


def retrack_from(track: Track, reader_or_path, frame: int, box, progress: ProgressFn = null_progress,
                 cancel: CancelToken | None = None, tracker: str = "kcf", work_height: int = 360) -> Track:
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


__all__ = ["track_clip", "retrack_from", "find_subject", "TRACKERS"]

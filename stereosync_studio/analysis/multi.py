"""Every person in the clip: detect, associate across frames, one Track each; merge / split edits.

Tracking by detection, because several people cross, hide each other and leave:

* detections per frame: foreground blobs against a background model (the per-pixel median
  of frames spread over the clip: whole bodies, not only the moving limbs, for a still
  camera) and OpenCV's HOG people detector (people standing still, moving cameras): once a
  second, or five times a second on frames where most of the picture changes (the camera
  moves, so blobs are skipped).
* association: each track predicts its box (centre moving at its recent velocity, recent
  median size); predictions and detections are matched by the Hungarian algorithm on IoU,
  centre distance and height ratio. A blob that covers two predicted people (they overlap on
  screen) updates neither: both coast on their prediction (low confidence) until they
  separate. A track that misses for over a second ends.
* clean-up: short tracks die, duplicates (two tracks on one person) merge, fragments of one
  person (lost, then found again nearby) are joined, and the `max_subjects` most present
  people are kept, in order of appearance.

The user's edits (`merge_tracks`, `split_track`) work on plain Tracks; the job
`jobs.subjects.analyze_multi` (with the source-level merge / split / delete) turns tracks into
a Project with one Source per subject.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
from scipy.optimize import linear_sum_assignment

from ..core.errors import InputError
from ..core.progress import CancelToken, ProgressFn, null_progress, sub_progress
from ..core.track import Track
from .detect import detect_people, iou, iou_inside

MAX_MISS_S = 1.0  # a track not seen for this long ends
MIN_LIFE_S = 0.5  # tracks seen for less than this are dropped


# ----------------------------------------------------------------------------- detections

def background_model(reader, scale: float, n_samples: int = 31, cancel: CancelToken | None = None) -> np.ndarray:
    """Per-pixel median of `n_samples` frames spread over the clip (uint8 RGB at `scale`)."""
    n = reader.info.n_frames
    want = set(np.linspace(0, n - 1, min(n_samples, n)).round().astype(int).tolist())
    frames = []
    for i, _t, rgb in reader.iter_frames(0, max(want) + 1, scale=scale):
        if i in want:
            frames.append(rgb)
            if cancel is not None:
                cancel.check()
    return np.median(np.stack(frames), axis=0).astype(np.uint8)


def foreground_blobs(rgb: np.ndarray, background: np.ndarray,
                     min_height: float = 0.04) -> list[tuple[np.ndarray, float]] | None:
    """Person-like blobs that differ from the background: [(box, score)], boxes in `rgb` pixels.

    None when over 40 % of the picture differs (the camera moved or the light changed).
    """
    h, w = rgb.shape[:2]
    diff = cv2.absdiff(rgb, background).max(axis=2)
    noise = float(np.median(diff[::4, ::4]))
    mask = (diff > max(22.0, 3.0 * noise + 10.0)).astype(np.uint8)
    if mask.mean() > 0.4:
        return None
    mask = cv2.morphologyEx(mask, cv2.MORPH_OPEN, np.ones((2, 2), np.uint8))
    k = max(3, int(round(0.012 * h)) | 1)
    mask = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, 2 * k + 1)))
    n, _, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    min_px = max(12.0, 0.15 * (min_height * h) ** 2)
    comps = [[float(s[0]), float(s[1]), float(s[0] + s[2]), float(s[1] + s[3]), float(s[4])]
             for s in stats[1:] if s[4] >= min_px]
    comps = _merge_parts(comps)
    out = []
    for x0, y0, x1, y1, area in comps:
        bw, bh = x1 - x0, y1 - y0
        if bh < min_height * h or bh / max(bw, 1.0) < 0.7:
            continue
        fill = area / max(bw * bh, 1.0)
        out.append((np.array([x0, y0, x1, y1]), float(0.4 + 0.4 * min(fill / 0.4, 1.0))))
    return out


def _merge_parts(comps: list[list[float]]) -> list[list[float]]:
    """Join blobs of one body (head, torso, legs, a trailing foot split by the threshold).

    Two blobs join when they are stacked (overlap sideways, small vertical gap), or when one
    is a small piece (under 35 % of the other's area) right next to the other.
    """
    comps = sorted(comps, key=lambda c: -c[4])
    changed = True
    while changed:
        changed = False
        for i in range(len(comps)):
            for j in range(i + 1, len(comps)):
                a, b = comps[i], comps[j]
                ha = max(a[3] - a[1], b[3] - b[1])
                ox = min(a[2], b[2]) - max(a[0], b[0])
                gap_x = -ox
                gap_y = max(a[1], b[1]) - min(a[3], b[3])
                narrow = min(a[2] - a[0], b[2] - b[0])
                stacked = ox > 0.5 * narrow and gap_y < 0.12 * ha
                piece = b[4] < 0.35 * a[4] and gap_x < 0.25 * (a[3] - a[1]) and gap_y < 0.15 * (a[3] - a[1])
                if stacked or piece:
                    comps[i] = [min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3]), a[4] + b[4]]
                    del comps[j]
                    changed = True
                    break
            if changed:
                break
    return comps


def _nms(blobs: list[tuple[np.ndarray, float]], people: list[tuple[np.ndarray, float]],
         thr: float = 0.5) -> list[tuple[np.ndarray, float]]:
    """Blobs first (their boxes are exact on a still camera), then HOG boxes where no blob is."""
    out: list[tuple[np.ndarray, float]] = []
    for b, s in sorted(blobs, key=lambda d: -d[1]):
        if all(iou(b, o) < thr and iou_inside(b, o) < 0.8 for o, _ in out):
            out.append((b, s))
    n_blobs = len(out)
    for b, s in sorted(people, key=lambda d: -d[1]):
        if all(iou(b, o) < 0.3 and iou_inside(b, o) < 0.5 for o, _ in out[:n_blobs]) and \
                all(iou(b, o) < thr for o, _ in out[n_blobs:]):
            out.append((b, s))
    return out


# ----------------------------------------------------------------------------- association

@dataclass(eq=False)
class _Tracklet:
    """A person being followed: matched boxes, and a motion model for the frames in between.

    The prediction moves the box centre along a straight line fitted to the last `memory`
    matched centres and keeps the median recent size: a walker's box edges jump with every
    stride (the front foot moves, the back one stays), its centre and size do not.
    """

    first: int
    box: np.ndarray
    memory: int = 12
    boxes: dict[int, np.ndarray] = field(default_factory=dict)
    conf: dict[int, float] = field(default_factory=dict)
    last: int = 0
    hits: int = 0
    coast: list[tuple[int, np.ndarray]] = field(default_factory=list)

    def predict(self, frame: int) -> np.ndarray:
        frames = sorted(self.boxes)[-self.memory:]
        b = np.array([self.boxes[f] for f in frames])
        c = 0.5 * (b[:, :2] + b[:, 2:])
        size = np.median(b[:, 2:] - b[:, :2], axis=0)
        if len(frames) >= 3:
            t = np.asarray(frames, float)
            vel = np.polyfit(t, c, 1)[0]
            centre = c[-1] + vel * (frame - frames[-1])
        else:
            centre = c[-1]
        return np.r_[centre - size / 2, centre + size / 2]

    def update(self, frame: int, box: np.ndarray, conf: float) -> None:
        for f, b in self.coast:  # the gap was real: keep the coasted boxes
            self.boxes[f], self.conf[f] = b, 0.3
        self.coast.clear()
        self.box, self.last = np.asarray(box, float), frame
        self.boxes[frame], self.conf[frame] = self.box, conf
        self.hits += 1


def _associate(tracks: list[_Tracklet], dets: list[tuple[np.ndarray, float]], frame: int) -> None:
    preds = [t.predict(frame) for t in tracks]
    used_d: set[int] = set()
    used_t: set[int] = set()
    # a blob holding two established people: both coast
    for j, (d, _s) in enumerate(dets):
        inside = [k for k, p in enumerate(preds) if tracks[k].hits >= 3 and iou_inside(p, d) > 0.6]
        if len(inside) >= 2:
            used_d.add(j)
            for k in inside:
                used_t.add(k)
                tracks[k].coast.append((frame, preds[k]))
    ti = [k for k in range(len(tracks)) if k not in used_t]
    di = [j for j in range(len(dets)) if j not in used_d]
    if ti and di:
        cost = np.full((len(ti), len(di)), 10.0)
        for a, k in enumerate(ti):
            p = preds[k]
            ph = max(p[3] - p[1], 1.0)
            pc = 0.5 * (p[:2] + p[2:])
            for b, j in enumerate(di):
                d = dets[j][0]
                o = iou(p, d)
                dist = float(np.linalg.norm(0.5 * (d[:2] + d[2:]) - pc)) / ph
                dh = abs(np.log(max(d[3] - d[1], 1.0) / ph))
                if (o >= 0.1 or dist < 0.6) and (dh < 0.3 or o > 0.5):
                    cost[a, b] = (1.0 - o) + 0.5 * min(dist, 2.0) + 0.5 * dh
        rows, cols = linear_sum_assignment(cost)
        for a, b in zip(rows, cols):
            if cost[a, b] < 10.0:
                k, j = ti[a], di[b]
                tracks[k].update(frame, dets[j][0], dets[j][1])
                used_t.add(k)
                used_d.add(j)
    for k, t in enumerate(tracks):
        if k not in used_t:
            t.coast.append((frame, preds[k]))
    for j, (d, s) in enumerate(dets):
        if j in used_d:
            continue
        if any(iou_inside(d, p) > 0.7 for p in preds):  # a piece of someone already tracked
            continue
        t = _Tracklet(first=frame, box=np.asarray(d, float), last=frame)
        t.update(frame, d, s)
        tracks.append(t)


def track_all(path: str | Path, max_subjects: int = 4, progress: ProgressFn = null_progress,
              cancel: CancelToken | None = None, work_height: int = 360, use_hog: bool = True) -> list[Track]:
    """One Track per person found in the clip (boxes in clip pixels), in order of appearance."""
    from ..media.video import VideoReader

    cancel = cancel or CancelToken()
    with VideoReader(path) as reader:
        info = reader.info
        n, fps = info.n_frames, info.fps
        scale = min(1.0, work_height / float(info.height))
        progress(0.0, "background model")
        bg = background_model(reader, scale, cancel=cancel)
        hog_often, hog_rarely = max(1, int(round(fps / 5))), max(1, int(round(fps)))
        max_miss = int(round(MAX_MISS_S * fps))
        live: list[_Tracklet] = []
        done: list[_Tracklet] = []
        part = sub_progress(progress, 0.1, 0.95)
        for i, _t, rgb in reader.iter_frames(0, n, scale=scale):
            if i % 8 == 0:
                cancel.check()
                part(i / n, f"finding people, frame {i + 1}/{n}")
            blobs = foreground_blobs(rgb, bg)
            # HOG finds people the background model cannot (moving camera, standing still):
            # 5 times a second when the camera moves, once a second otherwise
            hog_every = hog_rarely if blobs is not None else hog_often
            blobs = blobs or []
            people = []
            if use_hog and i % hog_every == 0:
                people = [(b, 0.5 + 0.4 * s) for b, s in detect_people(rgb, min_height=0.12)]
            _associate(live, _nms(blobs, people), i)
            for t in [t for t in live if i - t.last > max_miss]:
                live.remove(t)
                done.append(t)
        done += live
    tracks = _finish(done, n, fps, 1.0 / scale)
    tracks = _clean(tracks, fps, max_subjects)
    progress(1.0, f"{len(tracks)} subject(s) found")
    return tracks


def _finish(tracklets: list[_Tracklet], n: int, fps: float, unscale: float) -> list[Track]:
    out = []
    for t in tracklets:
        if t.hits < max(3, MIN_LIFE_S * fps * 0.5):
            continue
        tr = Track.empty(n)
        for f, b in t.boxes.items():
            tr.boxes[f] = b * unscale
            tr.confidence[f] = t.conf[f]
        out.append(tr)
    return out


# ----------------------------------------------------------------------------- clean-up

def _span(t: Track) -> tuple[int, int]:
    seen = np.flatnonzero(np.isfinite(t.boxes[:, 0]))
    return (int(seen[0]), int(seen[-1])) if len(seen) else (0, -1)


def _mean_iou(a: Track, b: Track) -> tuple[float, int]:
    both, overlap = a.overlap(b)
    return (float(overlap.mean()), len(both)) if len(both) else (0.0, 0)


def _clean(tracks: list[Track], fps: float, max_subjects: int) -> list[Track]:
    tracks = [t for t in tracks if np.isfinite(t.boxes[:, 0]).sum() >= MIN_LIFE_S * fps]
    changed = True
    while changed:  # duplicates (same person twice) and fragments (same person, lost and found)
        changed = False
        for i in range(len(tracks)):
            for j in range(len(tracks)):
                if i == j:
                    continue
                a, b = tracks[i], tracks[j]
                m, common = _mean_iou(a, b)
                dup = common >= 3 and m > 0.5
                frag = common == 0 and _continues(a, b, fps)
                if dup or frag:
                    tracks[i] = merge_tracks(a, b)
                    del tracks[j]
                    changed = True
                    break
            if changed:
                break

    def presence(t: Track) -> float:
        seen = np.isfinite(t.boxes[:, 0])
        h = np.nanmedian(t.boxes[seen, 3] - t.boxes[seen, 1])
        return float((t.confidence[seen] > 0.5).sum() * h)

    tracks = sorted(tracks, key=presence, reverse=True)[:max(1, int(max_subjects))]
    return sorted(tracks, key=lambda t: (_span(t)[0], float(t.boxes[_span(t)[0], 0] + t.boxes[_span(t)[0], 2])))


def _continues(a: Track, b: Track, fps: float, max_gap_s: float = 1.5) -> bool:
    """Does `b` start where `a`, moving on, would be shortly after `a` ends?"""
    a0, a1 = _span(a)
    b0, _b1 = _span(b)
    gap = b0 - a1
    if gap <= 0 or gap > max_gap_s * fps:
        return False
    k = max(a0, a1 - int(round(0.3 * fps)))
    va = (a.boxes[a1] - a.boxes[k]) / max(a1 - k, 1)
    pred = a.boxes[a1] + va * gap
    ph = max(pred[3] - pred[1], 1.0)
    dist = np.linalg.norm(0.5 * (pred[:2] + pred[2:]) - 0.5 * (b.boxes[b0, :2] + b.boxes[b0, 2:])) / ph
    dh = abs(np.log(max(b.boxes[b0, 3] - b.boxes[b0, 1], 1.0) / ph))
    return bool(dist < 0.8 and dh < 0.4)


# ----------------------------------------------------------------------------- user edits

def merge_tracks(a: Track, b: Track) -> Track:
    """One subject from two tracks: frame by frame the surer box (a's when equally sure).

    Keyframes of both are kept (a's win where both have one). Lengths may differ: the result
    is as long as the longer track.
    """
    n = max(len(a), len(b))
    pad = lambda t: Track(np.vstack([t.boxes, np.full((n - len(t), 4), np.nan)]),  # noqa: E731
                          np.r_[t.confidence, np.zeros(n - len(t))], t.keyframes)
    a, b = pad(a), pad(b)
    sa = np.isfinite(a.boxes[:, 0])
    sb = np.isfinite(b.boxes[:, 0])
    take_b = sb & (~sa | (b.confidence > a.confidence))
    boxes = np.where(take_b[:, None], b.boxes, a.boxes)
    conf = np.where(take_b, b.confidence, a.confidence)
    keys = {**b.keyframes, **a.keyframes}
    out = Track(boxes, conf, keys)
    for k, v in keys.items():
        if 0 <= k < n:
            out.boxes[k] = v
            out.confidence[k] = 1.0
    return out


def split_track(t: Track, frame: int) -> tuple[Track, Track]:
    """Two subjects from one track: frames before `frame`, and from `frame` on."""
    n = len(t)
    if not 0 < int(frame) < n:
        raise InputError(None, f"cannot split a track of {n} frames at frame {frame}")
    first, second = t.copy(), t.copy()
    first.boxes[frame:] = np.nan
    first.confidence[frame:] = 0.0
    second.boxes[:frame] = np.nan
    second.confidence[:frame] = 0.0
    first.keyframes = {k: v for k, v in t.keyframes.items() if k < frame}
    second.keyframes = {k: v for k, v in t.keyframes.items() if k >= frame}
    return first, second


__all__ = ["track_all", "merge_tracks", "split_track", "foreground_blobs", "background_model"]

"""Find the walking subject in a frame: HOG people detector, MediaPipe pose, frame differencing.

Detectors seed and re-seed the tracker; they are not run on every frame. HOG and pose know
what a person looks like (real footage); frame differencing knows what moves (it also works
on stylised or partly hidden people, and when the camera is still). `detect_subject` asks all
of them and keeps the candidate that is most person-like, moving, large and near a hint.
`ColourModel` learns what the subject looks like (its colours against the background) and
finds its full extent, limbs included, around a predicted box: the tracker's size cue.

Boxes are float arrays (x0, y0, x1, y1) in pixels of the image passed in.
"""

from __future__ import annotations

import logging
import math
import os
import threading

import cv2
import numpy as np

from ..core.track import box_iou
from .camera_motion import STILL_PX, picture_shift

log = logging.getLogger(__name__)

Detection = tuple[np.ndarray, float]

_HOG: cv2.HOGDescriptor | None = None
_POSE = None
_POSE_FAILED = False
_POSE_LOCK = threading.Lock()
_HOG_PERSON_PX = 100.0  # the default people detector sees a ~96 px tall person in its 128 px window


# ----------------------------------------------------------------------------- helpers

def iou(a: np.ndarray, b: np.ndarray) -> float:
    """Intersection over union of two (x0, y0, x1, y1) boxes (0 if either is empty or NaN)."""
    return float(box_iou(a, b))


def box_centre(b: np.ndarray) -> np.ndarray:
    """(cx, cy) of an x0, y0, x1, y1 box."""
    return np.array([0.5 * (b[0] + b[2]), 0.5 * (b[1] + b[3])])


def clip_box(box: np.ndarray, width: int, height: int) -> np.ndarray:
    b = np.asarray(box, float).copy()
    b[[0, 2]] = np.clip(b[[0, 2]], 0, width)
    b[[1, 3]] = np.clip(b[[1, 3]], 0, height)
    return b


def _nms(boxes: list[np.ndarray], scores: list[float], thr: float = 0.4) -> list[int]:
    if not boxes:
        return []
    xywh = [[float(b[0]), float(b[1]), float(b[2] - b[0]), float(b[3] - b[1])] for b in boxes]
    keep = cv2.dnn.NMSBoxes(xywh, [float(s) for s in scores], 0.0, thr)
    return [int(k) for k in np.asarray(keep).reshape(-1)]


def _gray(rgb: np.ndarray) -> np.ndarray:
    return rgb if rgb.ndim == 2 else cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)


# ----------------------------------------------------------------------------- HOG

def _hog() -> cv2.HOGDescriptor:
    global _HOG
    if _HOG is None:
        h = cv2.HOGDescriptor()
        h.setSVMDetector(cv2.HOGDescriptor_getDefaultPeopleDetector())
        _HOG = h
    return _HOG


def detect_people(rgb: np.ndarray, min_height: float = 0.15, max_width: int = 960) -> list[Detection]:
    """Upright people (OpenCV HOG + non-maximum suppression), best first.

    The image is shrunk so a person `min_height` of the frame tall fills the detector window
    (never enlarged, and never wider than `max_width`), which is what makes it fast. Boxes are
    tightened from the detector window (which has margins) to the person.
    """
    h, w = rgb.shape[:2]
    s = min(1.0, _HOG_PERSON_PX / max(min_height * h, 1.0), max_width / max(w, 1))
    img = rgb if s >= 0.999 else cv2.resize(rgb, (max(int(w * s), 64), max(int(h * s), 128)),
                                                 interpolation=cv2.INTER_AREA)
    if img.shape[0] < 128 or img.shape[1] < 64:
        return []
    sx, sy = w / img.shape[1], h / img.shape[0]
    found, weights = _hog().detectMultiScale(img, winStride=(8, 8), padding=(8, 8), scale=1.06)
    boxes, scores = [], []
    for (x, y, bw, bh), wt in zip(np.asarray(found).reshape(-1, 4), np.asarray(weights).reshape(-1)):
        # the 64x128 window holds the person with ~16 px margins: keep the middle
        b = np.array([x + 0.2 * bw, y + 0.09 * bh, x + 0.8 * bw, y + 0.93 * bh], float)
        b *= [sx, sy, sx, sy]
        if (b[3] - b[1]) < 0.8 * min_height * h:
            continue
        boxes.append(clip_box(b, w, h))
        scores.append(float(1.0 / (1.0 + math.exp(-2.5 * (float(wt) - 0.6)))))
    keep = _nms(boxes, scores)
    out = [(boxes[k], scores[k]) for k in keep]
    return sorted(out, key=lambda d: -d[1])


def detect_people_near(img: np.ndarray, box: np.ndarray, spread: float = 1.6) -> list[np.ndarray]:
    """People (HOG) in a window around `box`, the window upscaled so a person of the box's height
    fills the detector (small subjects are found too). Boxes in `img` pixels."""
    h, w = img.shape[:2]
    bh = max(box[3] - box[1], 8.0)
    cx = 0.5 * (box[0] + box[2])
    x0, x1 = int(max(cx - spread * bh, 0)), int(min(cx + spread * bh, w))
    y0, y1 = int(max(box[1] - 0.45 * bh, 0)), int(min(box[3] + 0.45 * bh, h))
    if x1 - x0 < 8 or y1 - y0 < 8:
        return []
    s = 110.0 / bh
    crop = cv2.resize(img[y0:y1, x0:x1], (max(int((x1 - x0) * s), 64), max(int((y1 - y0) * s), 128)),
                      interpolation=cv2.INTER_LINEAR)
    found, _ = _hog().detectMultiScale(crop, winStride=(8, 8), padding=(8, 8), scale=1.08)
    sx, sy = (x1 - x0) / crop.shape[1], (y1 - y0) / crop.shape[0]
    out = []
    for x, y, bw, bh2 in np.asarray(found).reshape(-1, 4):
        b = np.array([x + 0.2 * bw, y + 0.09 * bh2, x + 0.8 * bw, y + 0.93 * bh2], float)
        out.append(clip_box(b * [sx, sy, sx, sy] + [x0, y0, x0, y0], w, h))
    return out


# ----------------------------------------------------------------------------- MediaPipe pose

def _pose():
    """One static-image MediaPipe Pose (model_complexity=1 is the model bundled in the wheel)."""
    global _POSE, _POSE_FAILED
    if _POSE is None and not _POSE_FAILED:
        try:
            os.environ.setdefault("GLOG_minloglevel", "2")
            import mediapipe as mp  # heavy; only loaded when a pose box is asked for

            from .pose import quiet_native_stderr

            with quiet_native_stderr():  # MediaPipe's C++ start-up chatter goes to fd 2
                _POSE = mp.solutions.pose.Pose(static_image_mode=True, model_complexity=1,
                                               min_detection_confidence=0.5)
                _POSE.process(np.zeros((96, 64, 3), np.uint8))  # logs on first (non-square) use
        except Exception as exc:  # missing, broken or model download attempted offline
            log.info("MediaPipe pose unavailable: %s", exc)
            _POSE_FAILED = True
    return _POSE


def detect_pose_box(rgb: np.ndarray, hint: np.ndarray | None = None) -> Detection | None:
    """The box around the person MediaPipe Pose finds (near `hint` if given), or None.

    With a hint the search runs on a crop around it, which is both faster and finds smaller
    people. Returns None whenever MediaPipe is missing or fails.
    """
    h, w = rgb.shape[:2]
    ox = oy = 0
    img = rgb
    if hint is not None and not np.isnan(hint).any():
        bw, bh = hint[2] - hint[0], hint[3] - hint[1]
        side = max(bw, bh) * 1.6
        cx, cy = 0.5 * (hint[0] + hint[2]), 0.5 * (hint[1] + hint[3])
        x0, y0 = int(max(cx - side / 2, 0)), int(max(cy - side / 2, 0))
        x1, y1 = int(min(cx + side / 2, w)), int(min(cy + side / 2, h))
        if x1 - x0 >= 16 and y1 - y0 >= 16:
            img, ox, oy = rgb[y0:y1, x0:x1], x0, y0
    with _POSE_LOCK:
        pose = _pose()
        if pose is None:
            return None
        try:
            from .pose import quiet_native_stderr

            with quiet_native_stderr():  # the C++ side logs on its first landmark projection
                res = pose.process(np.ascontiguousarray(img))
        except Exception as exc:  # pragma: no cover - defensive: never let a detector crash a job
            log.info("MediaPipe pose failed: %s", exc)
            return None
    if res is None or res.pose_landmarks is None:
        return None
    ih, iw = img.shape[:2]
    pts = np.array([(lm.x * iw, lm.y * ih, lm.visibility) for lm in res.pose_landmarks.landmark])
    vis = pts[:, 2] > 0.3
    if vis.sum() < 6:
        return None
    p = pts[vis]
    x0, y0, x1, y1 = p[:, 0].min(), p[:, 1].min(), p[:, 0].max(), p[:, 1].max()
    bh = y1 - y0
    # landmarks are joints: add the top of the head (above the eyes) and a little flesh around
    box = np.array([x0 - 0.07 * bh + ox, y0 - 0.10 * bh + oy, x1 + 0.07 * bh + ox, y1 + 0.03 * bh + oy])
    box = clip_box(box, w, h)
    if box[2] - box[0] < 4 or box[3] - box[1] < 8:
        return None
    return box, float(np.clip(p[:, 2].mean(), 0.0, 1.0))


# ----------------------------------------------------------------------------- motion

def _difference(cur: np.ndarray, other: np.ndarray, steady: bool) -> np.ndarray:
    """|cur - other|; with `steady`, `other` is first moved by the picture's shift onto `cur`
    (the strip it leaves uncovered counts as unchanged)."""
    shift = picture_shift(other, cur) if steady else None
    if shift is None or float(np.hypot(*shift)) < STILL_PX:
        return cv2.absdiff(cur, other)
    h, w = cur.shape[:2]
    m = np.float32([[1, 0, shift[0]], [0, 1, shift[1]]])
    d = cv2.absdiff(cur, cv2.warpAffine(other, m, (w, h), borderMode=cv2.BORDER_REPLICATE))
    bx, by = int(np.ceil(abs(shift[0]))) + 1, int(np.ceil(abs(shift[1]))) + 1
    (d[:, :bx] if shift[0] > 0 else d[:, w - bx:])[:] = 0
    (d[:by] if shift[1] > 0 else d[h - by:])[:] = 0
    return d


def detect_moving_region(prev_rgb: np.ndarray, rgb: np.ndarray, next_rgb: np.ndarray | None = None,
                         hint: np.ndarray | None = None, min_area: float = 0.001,
                         max_height: int = 360, max_moving: float = 0.5, steady: bool = False) -> Detection | None:
    """The moving blob in `rgb` by frame differencing (with `next_rgb`: double differencing).

    Double differencing keeps only what differs from both neighbours, i.e. the object where it
    is in the middle frame, not also where it was. Nearby blobs (a person's limbs and head)
    are merged. Assumes a still camera, or with `steady` one whose picture shifted (a handheld
    shake, a pan: the neighbours are moved back onto `rgb` first, `camera_motion`); returns None
    when nothing moves, or more than `max_moving` of the frame does (the camera).
    """
    h, w = rgb.shape[:2]
    s = min(1.0, max_height / h)
    size = (max(int(round(w * s)), 1), max(int(round(h * s)), 1))

    def prep(x):
        g = _gray(x)
        if s < 1.0:
            g = cv2.resize(g, size, interpolation=cv2.INTER_AREA)
        return cv2.GaussianBlur(g, (5, 5), 0)

    cur = prep(rgb)
    d = _difference(cur, prep(prev_rgb), steady)
    if next_rgb is not None:
        d = cv2.min(d, _difference(cur, prep(next_rgb), steady))
    noise = float(np.median(d))
    thr = max(8.0, 4.0 * noise + 4.0)
    mask = (d > thr).astype(np.uint8)
    moving = float(mask.mean())
    if moving < min_area or moving > max_moving:  # nothing moves, or the camera does
        return None
    k = max(3, int(size[1] * 0.03)) | 1
    mask = cv2.morphologyEx(mask, cv2.MORPH_OPEN, np.ones((2, 2), np.uint8))
    mask = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, 2 * k + 1)))
    n, _, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    comps = [stats[i] for i in range(1, n) if stats[i][4] >= min_area * size[0] * size[1]]
    if not comps:
        return None
    hint_s = None if hint is None or np.isnan(hint).any() else np.asarray(hint, float) * s

    def rank(c):
        area = float(c[4])
        if hint_s is None:
            return area
        cx, cy = c[0] + c[2] / 2, c[1] + c[3] / 2
        hx, hy = 0.5 * (hint_s[0] + hint_s[2]), 0.5 * (hint_s[1] + hint_s[3])
        hs = max(hint_s[3] - hint_s[1], 1.0)
        return area * math.exp(-math.hypot(cx - hx, cy - hy) / hs)

    best = max(comps, key=rank)
    x0, y0, x1, y1 = best[0], best[1], best[0] + best[2], best[1] + best[3]
    # merge blobs close to it (a walker splits into head, arms, legs)
    changed = True
    while changed:
        changed = False
        gap_x, gap_y = 0.25 * (y1 - y0), 0.15 * (y1 - y0)
        for c in comps:
            cx0, cy0, cx1, cy1 = c[0], c[1], c[0] + c[2], c[1] + c[3]
            if (cx0, cy0, cx1, cy1) == (x0, y0, x1, y1) or (cx0 >= x0 and cy0 >= y0 and cx1 <= x1 and cy1 <= y1):
                continue
            if cx0 < x1 + gap_x and cx1 > x0 - gap_x and cy0 < y1 + gap_y and cy1 > y0 - gap_y:
                x0, y0, x1, y1 = min(x0, cx0), min(y0, cy0), max(x1, cx1), max(y1, cy1)
                changed = True
    fill = float(mask[y0:y1, x0:x1].mean()) if y1 > y0 and x1 > x0 else 0.0
    box = np.array([x0, y0, x1, y1], float) / s
    score = 0.35 + 0.3 * min(fill / 0.5, 1.0)
    return clip_box(box, w, h), score


# ----------------------------------------------------------------------------- colour model

class ColourModel:
    """P(subject | colour) from RGB histograms of the subject's box against the rest of the frame.

    The tracker uses it to find the subject's real extent around its predicted box (limbs
    included), to check the subject is still there, and to search for it after a loss.
    """

    BINS = 16

    def __init__(self) -> None:
        self.hf: np.ndarray | None = None
        self.hb: np.ndarray | None = None
        self.lut: np.ndarray | None = None
        self.quality = 0.0

    @property
    def good(self) -> bool:
        return self.lut is not None and self.quality > 0.1

    @staticmethod
    def ring(box: np.ndarray, w: int, h: int, fx: float = 0.6, fy: float = 0.25) -> tuple[int, int, int, int]:
        bw, bh = box[2] - box[0], box[3] - box[1]
        return (int(max(box[0] - fx * bw, 0)), int(max(box[1] - fy * bh, 0)),
                int(min(math.ceil(box[2] + fx * bw), w)), int(min(math.ceil(box[3] + fy * bh), h)))

    def _index(self, roi: np.ndarray) -> np.ndarray:
        """Histogram bin of every pixel (16 levels per channel, packed into one int)."""
        q = roi >> 4  # 256 / BINS
        return (q[..., 0].astype(np.int32) << 8) | (q[..., 1].astype(np.int32) << 4) | q[..., 2]

    def _hist(self, idx: np.ndarray, mask: np.ndarray) -> np.ndarray:
        hist = np.bincount(idx[mask > 0], minlength=self.BINS ** 3).astype(np.float32)
        s = float(hist.sum())
        return hist / s if s > 0 else hist

    def learn(self, img: np.ndarray, box: np.ndarray, fg_mask: np.ndarray | None = None,
              rate: float = 1.0) -> None:
        """Learn (rate 1) or blend in (rate < 1) the colours of `box` against the rest of the frame.

        The background histogram mixes the ring around the box with the whole frame (every
        other pixel, skipping the box): the ring alone misses background colours that happen
        to sit inside the box, and those would then pass for the subject.
        """
        h, w = img.shape[:2]
        x0, y0, x1, y1 = self.ring(box, w, h)
        roi = np.ascontiguousarray(img[y0:y1, x0:x1])
        if roi.size == 0:
            return
        bx0, by0 = int(box[0]) - x0, int(box[1]) - y0
        bx1, by1 = int(math.ceil(box[2])) - x0, int(math.ceil(box[3])) - y0
        inside = np.zeros(roi.shape[:2], np.uint8)
        inside[max(by0, 0):by1, max(bx0, 0):bx1] = 255
        fg = inside if fg_mask is None else cv2.bitwise_and(inside, fg_mask[y0:y1, x0:x1])
        if cv2.countNonZero(fg) < 10 or cv2.countNonZero(255 - inside) < 10:
            return
        idx = self._index(roi)
        hf, hb = self._hist(idx, fg), self._hist(idx, 255 - inside)
        whole = np.ones((h, w), np.uint8)
        whole[max(int(box[1]), 0):int(math.ceil(box[3])), max(int(box[0]), 0):int(math.ceil(box[2]))] = 0
        hb = 0.5 * hb + 0.5 * self._hist(self._index(img[::2, ::2]), whole[::2, ::2])
        if self.hf is None or rate >= 1.0:
            self.hf, self.hb = hf, hb
        else:
            self.hf = (1 - rate) * self.hf + rate * hf
            self.hb = (1 - rate) * self.hb + rate * hb
        # P(subject | colour) with a 1:4 prior for subject:background (a colour the background
        # also shows must be clearly more frequent on the subject); a colour never seen gets
        # 0.3, i.e. unknown leans to background
        eps = 2e-4
        self.lut = np.round(255.0 * (self.hf + 0.3 * eps) / (self.hf + 4.0 * self.hb + eps)).astype(np.uint8)
        if rate >= 1.0:  # how cleanly the colours separate: subject pixels in the box, none around
            hit = self.prob(roi) > 127
            self.quality = float(hit[inside > 0].mean()) - 3.0 * float(hit[inside == 0].mean())

    def prob(self, roi: np.ndarray) -> np.ndarray:
        """uint8 map 0..255 of P(subject) for every pixel of an RGB region."""
        return self.lut.take(self._index(roi))

    def mask(self, img: np.ndarray, rect: tuple[int, int, int, int], kernel: int) -> np.ndarray:
        """0/1 subject mask of a region: P > 0.5 after a 3x3 mean, specks opened, gaps closed."""
        x0, y0, x1, y1 = rect
        p = self.prob(img[y0:y1, x0:x1])
        m = (cv2.blur(p, (3, 3)) > 127).astype(np.uint8)
        m = cv2.morphologyEx(m, cv2.MORPH_OPEN, np.ones((2, 2), np.uint8))
        k = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (kernel, kernel))
        return cv2.morphologyEx(m, cv2.MORPH_CLOSE, k)

    def segment(self, img: np.ndarray, box: np.ndarray) -> np.ndarray | None:
        """The subject's extent around a predicted box: the colour blobs touching its core."""
        h, w = img.shape[:2]
        bw, bh = box[2] - box[0], box[3] - box[1]
        rect = self.ring(box, w, h, 0.5, 0.2)
        x0, y0, x1, y1 = rect
        if x1 - x0 < 4 or y1 - y0 < 4:
            return None
        m = self.mask(img, rect, max(3, int(0.05 * bh)) | 1)
        n, _, stats, _ = cv2.connectedComponentsWithStats(m, connectivity=8)
        core = np.array([box[0] + 0.3 * bw, box[1] + 0.15 * bh, box[2] - 0.3 * bw, box[3] - 0.15 * bh]) - [x0, y0, x0, y0]
        sel = None
        for i in range(1, n):
            cx0, cy0, cw, ch, area = stats[i]
            c = np.array([cx0, cy0, cx0 + cw, cy0 + ch], float)
            if c[0] < core[2] and c[2] > core[0] and c[1] < core[3] and c[3] > core[1]:
                sel = c if sel is None else np.array([min(sel[0], c[0]), min(sel[1], c[1]),
                                                     max(sel[2], c[2]), max(sel[3], c[3])])
        if sel is None:
            return None
        return sel + [x0, y0, x0, y0]

    def search(self, img: np.ndarray, last: np.ndarray, exclude: np.ndarray | None = None) -> np.ndarray | None:
        """Find the subject near where it was last seen (wide window), for recovery; with
        `exclude`, the largest blob in the subject's colours that is not that box (a lookalike)."""
        h, w = img.shape[:2]
        bh = last[3] - last[1]
        rect = self.ring(last, w, h, 1.5, 0.5)
        x0, y0, x1, y1 = rect
        if x1 - x0 < 4 or y1 - y0 < 4:
            return None
        m = self.mask(img, rect, max(3, int(0.05 * bh)) | 1)
        n, _, stats, _ = cv2.connectedComponentsWithStats(m, connectivity=8)
        best, best_area = None, 0
        for i in range(1, n):
            cx0, cy0, cw, ch, area = stats[i]
            c = np.array([cx0 + x0, cy0 + y0, cx0 + x0 + cw, cy0 + y0 + ch], float)
            if exclude is not None and iou(c, exclude) > 0.05:
                continue
            if 0.5 * bh <= ch <= 1.6 * bh and cw <= 2.5 * ch and area > best_area:
                best, best_area = c, area
        return best

    def presence(self, img: np.ndarray, box: np.ndarray) -> float:
        """Mean P(subject) over the central part of a box (0..1): is the subject still there?"""
        bw, bh = box[2] - box[0], box[3] - box[1]
        x0, y0 = int(max(box[0] + 0.2 * bw, 0)), int(max(box[1] + 0.1 * bh, 0))
        x1, y1 = int(min(box[2] - 0.2 * bw, img.shape[1])), int(min(box[3] - 0.1 * bh, img.shape[0]))
        if x1 - x0 < 2 or y1 - y0 < 2:
            return 0.0
        return float(self.prob(img[y0:y1, x0:x1]).mean()) / 255.0


def iou_inside(inner: np.ndarray, outer: np.ndarray) -> float:
    """Fraction of `inner`'s area that lies inside `outer`."""
    iw = min(inner[2], outer[2]) - max(inner[0], outer[0])
    ih = min(inner[3], outer[3]) - max(inner[1], outer[1])
    area = (inner[2] - inner[0]) * (inner[3] - inner[1])
    return float(iw * ih / area) if iw > 0 and ih > 0 and area > 0 else 0.0


# ----------------------------------------------------------------------------- combined

def detect_subject(rgb: np.ndarray, prev_rgb: np.ndarray | None = None, next_rgb: np.ndarray | None = None,
                   hint: np.ndarray | None = None, min_height: float = 0.15,
                   use_pose: bool = True) -> Detection | None:
    """The most likely walking subject: person detectors first, motion as fallback and tie-break.

    Each candidate scores its detector confidence, times a bonus when it overlaps the moving
    region (a walker moves), times a preference for tall boxes and, with `hint`, for boxes near
    the hint (the last place the subject was seen).
    """
    h, w = rgb.shape[:2]
    cands: list[tuple[np.ndarray, float, str]] = [(b, s, "hog") for b, s in detect_people(rgb, min_height)]
    if use_pose:
        pb = detect_pose_box(rgb, hint)
        if pb is None and hint is not None:
            pb = detect_pose_box(rgb)
        if pb is not None:
            cands.append((pb[0], pb[1], "pose"))
    motion = None
    if prev_rgb is not None:
        motion = detect_moving_region(prev_rgb, rgb, next_rgb, hint=hint, steady=True)
        if motion is not None:
            mb = motion[0]
            bw, bh = mb[2] - mb[0], mb[3] - mb[1]
            # a motion blob taller than wide is person-like; a flat or huge one is not
            shape_ok = 0.9 < bh / max(bw, 1.0) < 8.0 and bh > 0.5 * min_height * h
            cands.append((mb, motion[1] * (1.0 if shape_ok else 0.4), "motion"))
    if not cands:
        return None

    def total(c):
        box, score, kind = c
        s = score
        if motion is not None and kind != "motion":
            # a walker moves: a person box away from the moving region is probably not it
            s *= 0.4 + 1.2 * iou(box, motion[0])
        s *= 0.6 + 0.4 * min((box[3] - box[1]) / (0.5 * h), 1.0)
        if hint is not None and not np.isnan(hint).any():
            hc = np.array([hint[0] + hint[2], hint[1] + hint[3]]) / 2
            bc = np.array([box[0] + box[2], box[1] + box[3]]) / 2
            s *= math.exp(-float(np.linalg.norm(hc - bc)) / max(hint[3] - hint[1], 1.0))
        return s

    best = max(cands, key=total)
    return best[0], float(min(best[1], 1.0))


__all__ = ["detect_people", "detect_people_near", "detect_pose_box", "detect_moving_region", "detect_subject", "iou",
           "iou_inside", "box_centre", "clip_box", "ColourModel"]

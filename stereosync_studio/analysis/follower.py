"""One subject followed frame to frame: a correlation filter moves the box, a colour model sizes it.

Why a module of its own: `tracking` runs segments and anchors, `identity` decides whether the
box is still the same person; this is the cheap per-frame part both rely on. On a copy of the
frame `work_height` px tall:
  1. a correlation-filter tracker (OpenCV KCF by default, CSRT on request) moves the box;
  2. a colour model of the subject (foreground/background histograms learnt at the seed)
     segments the subject around that box and gives its real extent -- KCF keeps a fixed box
     size, but a walker's box grows when they approach and widens with every stride; when the
     colours do not tell the subject apart, MediaPipe pose corrects the size now and then;
  3. the box is checked (tracker failure, left the frame, size jump, subject colours gone); a
     lost subject is searched near where it was last and the tracker restarts where it is found.
"""

from __future__ import annotations

from collections import deque

import cv2
import numpy as np

from .detect import ColourModel, box_centre, clip_box, detect_pose_box, detect_subject, iou

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
        scores = {s: self._ncc(img, _box_at(box_centre(box), w * s, h * s), upper=True) for s in (0.96, 1.0, 1.04)}
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
        c = box_centre(b)
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
                out = _box_at(box_centre(kbox), *self.ema)
        else:  # colours do not separate the subject: pose now and then, else a scale search
            out = _box_at(box_centre(kbox), *self.ema)
            pb = None
            if self.n % self.pose_every == 0:
                pb = detect_pose_box(img, hint=_box_at(box_centre(kbox), *(1.4 * self.ema)))
            if pb is not None and iou(pb[0], out) > 0.3:
                out = 0.3 * out + 0.7 * pb[0]
                self.ema = np.array([out[2] - out[0], out[3] - out[1]])
            elif self.n % 2 == 0:
                s = self._scale_search(img, out)
                self.ema = self.ema * s
                out = _box_at(box_centre(out), *self.ema)
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
        off = box_centre(out) - box_centre(kbox)
        if (abs(self.ema[1] / kh - 1) > 0.08 or abs(self.ema[0] / kw - 1) > 0.3
                or abs(off[0]) > 0.3 * kw or abs(off[1]) > 0.15 * kh):
            ema = self.ema.copy()
            self._restart(img, _box_at(box_centre(out), *ema))
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


__all__ = ["TRACKERS", "_Follower", "_box_at", "_centre"]

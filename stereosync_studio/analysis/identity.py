"""Keep the same person through occlusions and crowds: motion model, appearance check, coasting.

Why: a correlation filter alone follows whatever texture is in its box. When the subject
passes behind a post or another man, the box slides onto the occluder or the passer-by and
stays there. `SubjectTracker` wraps the per-frame follower (`follower._Follower`) with:
  * a motion model (`pace.Pace`): a constant-velocity Kalman filter (OpenCV) on the box centre
    and height; a box that jumps away from the prediction is not the subject, nor a doubtful
    box moving against the subject's direction while something else moves where the subject
    should be (a passer-by going the other way);
  * an appearance check: every frame the box is compared with the subject's gallery (CNN
    embedding + clothing colours, `reid`); a box whose look drops below what the subject
    usually scores against itself is an occluder or someone else; near a lookalike (someone
    in the subject's colours seen beside it lately, found apart from the subject's own box)
    the motion check is tighter -- a lookalike cannot be told by its looks, only by where it
    is and how it moves;
  * two people parting: every few frames a walker-sized mover beside the box, level with it
    and on the side the subject was heading, takes the box when it looks clearly more like
    the subject's anchors (seed, keyframes) than the box does: while the two overlapped, the
    gallery's recent samples learnt both, and the box could stay with the one who stood;
  * coasting: while the subject is hidden the box follows the prediction for up to
    `MAX_COAST_S` seconds with a confidence that falls from 0.35 towards 0, then NaN;
  * re-acquisition: candidates near the prediction (colour search, HOG on an upscaled crop,
    what moves there by double frame differencing: small subjects have too few pixels for the
    others) are gated by motion and scored by appearance; when several
    people near the prediction look alike, the one nearest the prediction wins (Hungarian
    assignment, `lap`, between the predicted subject and the candidates); it is taken only
    once a second sighting moved as the subject moves (a passer-by going the other way, or
    someone standing, does not), or, for a subject who stood, walked off at a walking pace.
    After TURN_S hidden the subject is also looked for where it went into hiding and between
    there and the prediction (it turned back or stood behind the occluder: a walker there that
    clearly looks like it is taken, in its new direction);
  * a moving camera (handheld shake, pan): the picture's own shift (`camera_motion`) moves the
    prediction with it; paces are kept against the background; changes of exposure are taken
    out of the pictures before anything looks at them;
  * start-up: in the first 1.5 s the box is checked against what moves around it (double frame
    differencing; a pan, where everything moves, tells nothing); a seed box that is mostly
    background in the subject's colours otherwise holds tracker, colour model and gallery there
    while the walker leaves. The check also runs while the box coasts (it may be lost at once).
Confidence: 1 keyframe; 0.6-1 seen and verified; 0.35-0.5 doubtful; <= 0.35 coasting; 0 lost.
"""

from __future__ import annotations

from collections import deque

import numpy as np

from .assignment import assign
from .camera_motion import CameraPath
from .detect import box_centre, clip_box, detect_people_near, iou
from .follower import _Follower, _NAN4
from .movers import WhatMoves
from .pace import Pace, cxcyh
from .reid import Embedder, Gallery, describe

__all__ = ["MAX_COAST_S", "SubjectTracker"]

MAX_COAST_S = 2.0
STARTUP_S = 1.5  # how long after a start the walker is checked against what moves
SPLIT_EVERY, SPLIT_MARGIN = 4, 0.1  # frames between checks that the box did not stay with someone else; look margin
SPLIT_MIN_PX = 48  # work pixels: a smaller subject's look is too few pixels to choose between two people by
LEVEL_DAMP = 0.9  # per doubtful frame: the model's own level is not evidence that the subject sinks
TURN_S = 0.5  # s hidden after which the subject is also looked for where it went into hiding


class SubjectTracker(WhatMoves):
    """The follower, supervised by motion and appearance, with coasting and re-acquisition."""

    def __init__(self, kind: str, fps: float, embedder: Embedder | None = None):
        self.follower = _Follower(kind, fps)
        self.fps = max(float(fps), 1.0)
        self.embedder = embedder
        self.gallery = Gallery()
        self.others = Gallery(recent=8)  # people near the subject who look like it
        self.max_coast = int(round(MAX_COAST_S * self.fps))
        self.search_every = max(1, int(round(self.fps / 12)))
        self.add_every = max(2, int(round(self.fps / 3)))

    # -- setup
    def start(self, img: np.ndarray, box: np.ndarray, anchors: list[tuple] | None = None) -> None:
        """Begin at `box` (work pixels). `anchors`: descriptors of the subject seen elsewhere."""
        self.follower.start(img, box)
        self.h, self.w = img.shape[:2]
        box = clip_box(box, self.w, self.h)
        self.motion = Pace(box, self.fps)
        keep = self.gallery
        self.gallery = Gallery()
        self.gallery.anchors = list(keep.anchors) + list(anchors or [])
        self.gallery._n, self.gallery._mean, self.gallery._m2 = keep._n, keep._mean, keep._m2
        self.gallery.add(self._desc(img, box), anchor=True)
        self.n, self.misses, self.hidden, self.state, self.seen, self.doubtful = 0, 0, 0, "track", 0, 0
        self.tentative: tuple[np.ndarray, int] | None = None  # the first sighting of a re-acquisition
        self.other_seen = -10**9
        self._gap = max(1, int(round(self.fps * 0.08)))
        self._past: deque[tuple[np.ndarray, np.ndarray]] = deque([(img, box)], maxlen=2 * self._gap + 1)
        self._blobs: list[tuple[int, np.ndarray, np.ndarray]] = []  # (frame, walker, box) sightings
        self._still: tuple = (None, None)  # (frame and frames compared, what changed) for `_camera_still`
        self._trusted: deque[tuple[int, float]] = deque(maxlen=int(self.fps) + 1)  # (frame, cx) verified
        self._seen_box = box.copy()  # where the subject was last verified (a turn comes back out there)
        self.camera = CameraPath(int(2 * self.fps))
        self.camera.update(img, box)

    # -- per frame
    def step(self, img: np.ndarray) -> tuple[np.ndarray, float]:
        """The subject's box in `img` (work pixels) and how sure that is (see the module doc)."""
        d = self.camera.update(img, self._past[-1][1])
        img = self.camera.steady(img)
        if d.any():  # the picture moved: so did where the subject should be, and where it was seen
            self.motion.shift(d)
            self._seen_box = self._seen_box + np.r_[d, d]
        b, c = self._step(img)
        self._past.append((img, b))
        if self.n <= STARTUP_S * self.fps:
            b = self._startup_check(img, b)
        return b, c

    def _startup_check(self, img: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Just after the start the walker is what moves: a seed box that is mostly background
        (a planted foot, a wide stride) lets the tracker and the colour model stay behind on
        background in the subject's colours, and the motion model has no pace yet to notice.
        Double frame differencing finds the walker a few frames back; when the box keeps
        falling behind it (3+ sightings on one side, the walker moving steadily) the box is
        moved onto it (ahead by the pace seen) and the colours learnt again there."""
        g = self._gap
        if self.state not in ("track", "coast") or len(self._past) < 2 * g + 1 or self.n % g:
            return b
        mid, mb = self._past[g]
        if not np.isfinite(mb).all():
            return b
        h = self.motion.height
        det = self._moving_around(self._past[0][0], mid, img, mb, 0.6 * h)
        if (det is None or not 0.75 < (det[3] - det[1]) / h < 1.3
                or abs(box_centre(det)[1] - box_centre(mb)[1]) > 0.12 * h
                or not mb[0] - 0.6 * h <= box_centre(det)[0] <= mb[2] + 0.6 * h):
            self._blobs.clear()
            return b
        m, t = det, self.n - g
        self._blobs = [x for x in self._blobs if t - x[0] <= 0.6 * self.fps] + [(t, m, mb)]
        if len(self._blobs) < 3:
            return b
        ts = np.array([x[0] for x in self._blobs], float)
        cx = np.array([box_centre(x[1])[0] for x in self._blobs])
        off = cx - np.array([box_centre(x[2])[0] for x in self._blobs])
        v, c0 = np.polyfit(ts, cx, 1)
        steady = float(np.sqrt(np.mean((cx - (v * ts + c0)) ** 2))) < 0.05 * h and abs(v) * self.fps > 0.3 * h
        behind = (np.sign(off) == np.sign(off[-1])).all() and abs(off[-1]) > 0.15 * h and abs(off[-1]) >= abs(off[0])
        if not (steady and behind):
            return b
        new = self._inside(m + [v * g, 0.0, v * g, 0.0])
        if abs(box_centre(new)[0] - box_centre(b)[0]) < 0.15 * h:  # the box has caught up
            return b
        self.follower.start(mid, m)
        self.follower._restart(img, new)
        self.gallery.add(self._desc(mid, m), anchor=True)
        self.motion = Pace(new, self.fps)
        self.motion.kf.statePost[3] = v
        self._past[-1] = (img, new)
        self._blobs.clear()
        self.state, self.misses, self.hidden, self.tentative = "track", 0, 0, None  # a box lost at once is found
        return new

    def _step(self, img: np.ndarray) -> tuple[np.ndarray, float]:
        self.n += 1
        pred = self.motion.predict()
        if self.state == "track":
            b, c = self.follower.step(img)
            verdict, sim = self._verify(img, b, pred)
            if verdict and self.n % SPLIT_EVERY == 0 and self.seen >= 8 and self.motion.height >= SPLIT_MIN_PX:
                moved = self._split_check(img, b)
                if moved is not None:
                    b, verdict, pred = moved, 1, self.motion.box(self.motion.kf.statePre.ravel())
            if verdict == 1:  # position from the box, height and level from the model, unless
                self.doubtful += 1  # the whole body keeps growing or shrinking (a turn in depth)
                model = self._model_box(b, pred)
                b = b if self.motion.follows_depth(b, model, max(2, int(round(0.3 * self.fps)))) else model
                if self.doubtful % 3 == 0:  # put the follower back on the whole body
                    keep = self.follower.presence0
                    self.follower._restart(img, b)
                    self.follower.presence0 = keep
            if verdict:
                b = self._narrow(b)
                self.motion.correct(b, 1.0 if verdict == 2 else 3.0)
                if verdict == 1 and not self.motion.following:  # a level no box confirms stops moving
                    self.motion.kf.statePost[4] *= LEVEL_DAMP
                self.misses, self.hidden = 0, 0
                self.seen += 1
                mean, sd = self.gallery.usual()
                if verdict == 2:
                    self.doubtful = 0
                    self._trusted.append((self.n, float(box_centre(b)[0] - self.camera.offset[0])))
                    self._seen_box = b.copy()
                    self.gallery.observe(sim)
                    # only close matches are learnt: a gallery that followed looser ones (the look
                    # drifting with the background) drifted onto the background itself and lost a
                    # walker going away from the camera in plain view
                    if self.n % self.add_every == 0 and c >= 0.7 and sim >= mean - sd:
                        self.gallery.add(self._desc(img, b))
                        self._learn_others(img, b)
                conf = min(c, 0.5 + (sim - mean + 2 * sd) / (4 * sd)) if verdict == 2 else 0.45
                return b, float(np.clip(conf, 0.4, 1.0))
            self.misses += 1
            self.state, self.hidden = "coast", 0
            self.tentative = None
            self._restore_pace()
        return self._hidden_step(img, pred)

    def _split_check(self, img: np.ndarray, b: np.ndarray) -> np.ndarray | None:
        """Two people parting (one stays, one walks on): the box may stay with the wrong one, whose
        look the gallery's recent samples learnt while they overlapped. The walker-sized mover
        beside the box, level with it and on the side the subject was heading, is taken instead
        when it looks clearly more like the subject's anchors (the seed, keyframes: learnt
        before the overlap) than the box does, and at least as much like the whole gallery."""
        h = self.motion.height
        m = self._moving_near(img, b, 0.6 * h, exclude=b, carry=False)
        kept = self._kept_pace()
        if m is None:
            return None
        ahead = kept * self._gap + self.camera.since(self._gap)[0]
        m = self._inside(m + [ahead, 0.0, ahead, 0.0])  # seen `_gap` frames back
        off = box_centre(m) - box_centre(b)
        heading = abs(kept) * self.fps > 0.3 * h
        if (abs(off[0]) < 0.5 * h or abs(off[1]) > 0.15 * h or not 0.8 < (m[3] - m[1]) / h < 1.25
                or heading and off[0] * kept < 0):
            return None
        db, dm = self._box_desc, self._desc(img, m)  # the box's: described by `_verify` this frame
        ab, am = self.gallery.anchor_similarity(db), self.gallery.anchor_similarity(dm)
        sim_m, other = self._looks_like(dm)
        if other or am < ab + SPLIT_MARGIN or sim_m < self.gallery.similarity(db):
            return None
        keep = self.follower.presence0
        self.follower._restart(img, m)
        self.follower.presence0 = keep
        v = self.motion.velocity()
        self.motion = Pace(m, self.fps)  # the model followed the one who stayed: start it on the walker
        kf = self.motion.kf
        kf.statePost[3:5, 0] = [kept if heading else v[0], v[1]]
        kf.statePre, kf.errorCovPre = kf.statePost.copy(), kf.errorCovPost.copy()  # corrected with it this frame
        self.seen = 0
        self._trusted.clear()
        self._seen_box = m.copy()
        return m

    def _kept_pace(self) -> float:
        """The pace (px per frame across) the subject kept over its last verified second:
        Theil-Sen over the verified centres; 0 when too little was verified."""
        pts = np.array(self._trusted, float)
        if len(pts) < 0.3 * self.fps or pts[-1, 0] - pts[0, 0] < 0.5 * self.fps:
            return 0.0
        i, j = np.triu_indices(len(pts), 1)
        dt = pts[j, 0] - pts[i, 0]
        far = dt >= 0.2 * self.fps
        return float(np.median((pts[j, 1] - pts[i, 1])[far] / dt[far])) if far.any() else 0.0

    def _restore_pace(self) -> None:
        """Going into hiding: where the filter's pace has sunk below half the pace the subject
        kept over its last verified second (the box stuck on the occluder's edge while the
        subject walked behind it), coast at the kept pace."""
        kept = self._kept_pace()
        v = float(self.motion.velocity()[0])
        if abs(kept) * self.fps > 0.3 * self.motion.height and abs(v) < 0.5 * abs(kept):
            for st in (self.motion.kf.statePost, self.motion.kf.statePre):
                st[3] = kept

    def _hidden_step(self, img: np.ndarray, pred: np.ndarray) -> tuple[np.ndarray, float]:
        self.hidden += 1
        self.motion.coast(0.8 if self.hidden % int(self.fps) == 0 else 1.0)
        pred = self.motion.box(self.motion.kf.statePre.ravel())
        if self.hidden % self.search_every == 0:
            found = self._reacquire(img, pred)
            if found is not None:
                keep = self.follower.presence0
                self.follower._restart(img, found)
                self.follower.presence0 = keep
                self.motion.correct(found)
                self.state, self.misses, self.hidden = "track", 0, 0
                return found, 0.55
        c = box_centre(pred)
        if self.hidden <= self.max_coast and 0 <= c[0] < self.w and 0 <= c[1] < self.h:
            self.state = "coast"
            return self._inside(pred), 0.05 + 0.3 * (1.0 - self.hidden / self.max_coast)
        self.state = "lost"
        found = self._search_wide(img) if self.hidden % self.follower.redetect_every == 0 else None
        if found is not None:
            keep = self.follower.presence0
            self.follower._restart(img, found)
            self.follower.presence0 = keep
            self.motion = Pace(found, self.fps)
            self.state, self.misses, self.hidden, self.seen = "track", 0, 0, 0
            return found, 0.5
        self.follower.recent.append(img)
        return _NAN4.copy(), 0.0

    def _search_wide(self, img: np.ndarray) -> np.ndarray | None:
        """Lost for long: the person detectors over the frame (the likeliest walker near where it
        was last seen, and every upright person of the subject's size); the one that looks most
        like the subject is taken, if it looks like it as closely as a verified box and clearly
        more than anyone else. Not only the likeliest walker: that is often someone else
        standing where the subject was lost."""
        from .detect import detect_people, detect_subject

        f = self.follower
        prev = f.recent[0] if len(f.recent) >= 2 else None
        h = self.motion.height
        det = detect_subject(img, prev_rgb=prev, hint=f.last_good)
        cands = ([det[0]] if det is not None else []) + [b for b, _ in detect_people(img, 0.7 * h / self.h)]
        boxes = []
        for b in cands:
            b = clip_box(b, self.w, self.h)
            if b[2] - b[0] >= 2 and 0.5 < (b[3] - b[1]) / max(h, 1.0) < 2.0 and all(iou(b, k) < 0.7 for k in boxes):
                boxes.append(b)
        if not boxes:
            return None
        looks = [self._looks_like(d) for d in describe(img, boxes, self.embedder)]
        mean, sd = self.gallery.usual()
        ok = sorted((k for k, (sim, other) in enumerate(looks) if sim >= mean - 2.0 * sd and not other),
                    key=lambda k: -looks[k][0])
        if not ok or len(ok) > 1 and looks[ok[0]][0] - looks[ok[1]][0] < 0.05:
            return None  # none, or two people who both look like the subject: not a choice to make blind
        return boxes[ok[0]]

    # -- appearance
    def _desc(self, img: np.ndarray, b: np.ndarray) -> tuple:
        return describe(img, [clip_box(b, self.w, self.h)], self.embedder)[0]

    def _looks_like(self, d: tuple) -> tuple[float, bool]:
        """(similarity to the subject, whether it rather looks like a known lookalike)."""
        sim = self.gallery.similarity(d)
        other = self.others.similarity(d) if self.others else 0.0
        # a clear margin: a lookalike's sample often matches the subject as well as its own do
        return sim, other > sim + 0.05

    def _learn_others(self, img: np.ndarray, b: np.ndarray) -> None:
        """Remember people near the subject who share its colours (the one to not jump to)."""
        f = self.follower
        if not f.colour.good:
            return
        h = b[3] - b[1]
        probe = np.array([b[0] - 1.5 * h, b[1], b[2] + 1.5 * h, b[3]])
        blob = f.colour.search(img, probe, exclude=b)
        if blob is None or iou(blob, b) > 0.05 or not 0.7 < (blob[3] - blob[1]) / h < 1.4:
            return
        self.others.add(self._desc(img, blob))
        self.other_seen = self.n

    # -- checks
    def _verify(self, img: np.ndarray, b: np.ndarray, pred: np.ndarray) -> tuple[int, float]:
        """2: the subject (trusted); 1: probably (followed, barely trusted); 0: not the subject."""
        if not np.isfinite(b).all() or b[2] - b[0] < 2 or b[3] - b[1] < 4:
            return 0, 0.0
        m, p = cxcyh(b), cxcyh(pred)
        h = self.motion.height
        dx, dy, dh = abs(m[0] - p[0]) / h, abs(m[1] - p[1]) / h, m[2] / h
        young = self.seen < 8  # the velocity is not known yet
        crowded = self._crowded()
        if dx > (0.5 if young or not crowded else 0.3) or dy > 0.2 or not 0.65 < dh < 1.5:
            return 0, 0.0
        self._box_desc = self._desc(img, b)  # the split check, on a verified box, reads it again
        sim, other = self._looks_like(self._box_desc)
        mean, sd = self.gallery.usual()
        tight = dx <= (0.5 if young else 0.12) and dy <= 0.08 and 0.85 < dh < 1.2
        # a box that looks less like the subject than usual is not trusted even where it moves
        # as the subject moves (trusting such boxes alone lost a walker going away in plain view)
        if sim < mean - 3.0 * sd - 0.05 or other:
            return 0, sim
        trusted = tight and sim >= mean - 2.0 * sd
        if not trusted and not young and self._against_pace(b) and self._mover_elsewhere(img, b, pred):
            return 0, sim
        return (2 if trusted else 1), sim

    def _mover_elsewhere(self, img: np.ndarray, b: np.ndarray, pred: np.ndarray) -> bool:
        """Something walker-sized moves near where the subject should be, apart from the box."""
        h = self.motion.height
        m = self._moving_near(img, pred, 0.3 * h, exclude=b)
        return m is not None and abs(box_centre(m)[0] - box_centre(b)[0]) > 0.35 * h

    def _against_pace(self, b: np.ndarray) -> bool:
        """The box has lately moved against the subject's walking direction. With another mover
        where the subject should be (`_mover_elsewhere`) it is on a passer-by going the other
        way, and a doubtful box would drag the motion model onto them; alone, the subject turned."""
        g = 2 * self._gap
        if len(self._past) < g or not np.isfinite(self._past[-g][1]).all():
            return False
        v = float(self.motion.velocity()[0])
        if abs(v) * self.fps < 0.3 * self.motion.height:  # standing or slow: no direction to hold
            return False
        u = (box_centre(b)[0] - box_centre(self._past[-g][1])[0] - self.camera.since(g)[0]) / g
        return u * v < 0 and abs(u) > 0.3 * abs(v)

    def _reacquire(self, img: np.ndarray, pred: np.ndarray) -> np.ndarray | None:
        """The subject near the prediction, or None: candidates gated by motion, scored by looks,
        confirmed by a second sighting that moved as the subject moves."""
        f = self.follower
        pred = self._inside(pred)
        h = self.motion.height
        reach = (0.25 + 0.5 * self.hidden / self.fps) * h
        cands: list[np.ndarray] = []
        if f.colour.good:
            for c in (f.colour.search(img, pred), f.colour.segment(img, pred)):
                if c is not None:
                    cands.append(c)
        if self.hidden % (3 * self.search_every) == 0:
            cands += detect_people_near(img, pred, spread=1.0 + reach / h)
        moving = self._moving_near(img, pred, reach)
        if moving is not None:
            cands.append(moving)
        pc, ec = box_centre(pred), box_centre(self._seen_box)
        back = self.hidden >= TURN_S * self.fps and abs(ec[0] - pc[0]) > reach
        if back:  # a subject who turned or stood behind the occluder comes out where it went in
            moving = self._moving_near(img, self._inside(self._seen_box), reach, carry=False)
            if moving is not None:
                cands.append(moving)
        keep, turned = [], []
        for c in cands:
            c = clip_box(c, self.w, self.h)
            ch = c[3] - c[1]
            if ch < 4 or not 0.75 < ch / h < 1.35 or c[2] - c[0] < 0.15 * ch:
                continue
            cc = box_centre(c)
            if abs(cc[1] - pc[1]) > 0.25 * h:
                continue
            near_pred = abs(cc[0] - pc[0]) <= reach
            if not near_pred and not (back and min(abs(cc[0] - ec[0]), abs(cc[0] - pc[0])) <= reach
                                      or back and (cc[0] - ec[0]) * (cc[0] - pc[0]) < 0):
                continue
            if all(iou(c, k) < 0.7 for k in keep):
                keep.append(c)
                turned.append(not near_pred)
        if not keep:
            return None
        looks = [self._looks_like(d) for d in describe(img, keep, self.embedder)]
        sims = np.array([s for s, _ in looks])
        mean, sd = self.gallery.usual()
        crowded = self._crowded()
        ok = (sims >= mean - (2.5 if crowded else 4.0) * sd) & ~np.array([o for _, o in looks])
        dist = np.array([min(abs(box_centre(c)[0] - pc[0]), abs(box_centre(c)[0] - ec[0]) if t else np.inf) / h
                         for c, t in zip(keep, turned)])
        cost = np.where(ok, dist - 2.0 * (sims - mean), 1e3)
        best = assign(cost)
        if best is None:
            return None
        cand = keep[best]
        t = self.tentative
        if t is None or self.n - t[1] > 3 * self.search_every:
            self.tentative = (cand, self.n)
            return None
        # confirm: since the first sighting it moved like the subject moves (not like a passer-by)
        dn = self.n - t[1]
        moved = box_centre(cand)[0] - box_centre(t[0])[0] - self.camera.since(dn)[0]
        expect = self.motion.velocity()[0] * dn
        stood = abs(self.motion.velocity()[0]) * self.fps < 0.25 * h
        self.tentative = (cand, self.n)
        pace = abs(moved) / dn * self.fps / h  # heights per second
        if turned[best]:  # out where it went in (or between): a walker that looks clearly like the subject
            cc = box_centre(cand)[0]
            back_out = (cc - ec[0]) * (pc[0] - ec[0]) <= 0  # at or behind where it went in: it must have turned
            if (0.25 < pace < 1.6 and sims[best] >= mean - 1.5 * sd
                    and not (back_out and moved * self.motion.velocity()[0] > 0)):
                for st in (self.motion.kf.statePost, self.motion.kf.statePre):
                    st[3] = moved / dn  # its new direction: the old one would carry the box away at once
                return cand
            return None
        if abs(moved - expect) <= 0.06 * h + 0.5 * abs(expect):
            return cand
        # a subject who stood (in a group, at a kiosk) walks off at a pace the filter has not
        # seen: taken when it clearly looks like the subject and moves at a walking pace
        if stood and 0.25 < pace < 1.6 and sims[best] >= mean - 1.5 * sd:
            return cand
        return None

    def _crowded(self) -> bool:
        """A lookalike was near the subject lately (the last two seconds)."""
        return self.n - self.other_seen < 2 * self.fps

    def _inside(self, b: np.ndarray) -> np.ndarray:
        return clip_box(b, self.w, self.h)

    def _model_box(self, b: np.ndarray, pred: np.ndarray) -> np.ndarray:
        """The measured centre across, the predicted level and the reference height."""
        h = self.motion.height
        w = min(b[2] - b[0], 1.3 * self.motion.aspect * h)
        cx, cy = 0.5 * (b[0] + b[2]), 0.5 * (pred[1] + pred[3])
        return np.array([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2])

    def _narrow(self, b: np.ndarray) -> np.ndarray:
        """A box far wider than the subject usually is has swallowed background: trim it."""
        h = b[3] - b[1]
        wmax = 1.6 * self.motion.aspect * max(h, 1.0)
        if b[2] - b[0] <= wmax:
            return b
        c = 0.5 * (b[0] + b[2])
        return np.array([c - wmax / 2, b[1], c + wmax / 2, b[3]])


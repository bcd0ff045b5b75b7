"""Identity: the subject's look drifts while it walks alone; lookalikes beside it are told apart.

Mechanisms behind the losses on the hard footage (issue 9), on small generated frames:
* alone, the subject's look changes with what shows around and between its limbs (a shop
  front behind it): the gallery must follow, or the subject, in plain view, stays "doubtful"
  (and, on the hard footage, was dropped to coasting and never taken back);
* a lookalike beside the subject is found as a blob of its own, not the subject itself (the
  tracker learns what not to jump to from it);
* a seed box that is mostly background in the subject's colours (a wide stride, a shop
  window behind) must not hold the tracker there while the walker leaves: what moves is it.
"""

from __future__ import annotations

import cv2
import numpy as np

from stereosync_studio.analysis.detect import ColourModel
from stereosync_studio.analysis.identity import SubjectTracker

SHIRT = (40, 60, 150)
TROUSERS = (90, 80, 60)


def _street(rng: np.random.Generator, shop_from: int | None = None) -> np.ndarray:
    img = rng.normal(150, 12, (200, 320, 3)).clip(0, 255).astype(np.uint8)
    img[:, :, 1] = (img[:, :, 1] * 0.8).astype(np.uint8)  # a warm street, nothing like the shirt
    if shop_from is not None:
        img[30:150, shop_from:] = (60, 170, 70)  # a green shop front
    return img


def _walker_at(img: np.ndarray, x: int) -> np.ndarray:
    img[70:105, x + 4:x + 22] = SHIRT
    img[105:140, x + 4:x + 11] = TROUSERS  # legs apart: the street shows between them
    img[105:140, x + 15:x + 22] = TROUSERS
    img[60:70, x + 8:x + 18] = (200, 160, 130)  # head
    return img


def test_alone_in_plain_view_the_subject_is_followed_when_its_look_drifts():
    rng = np.random.default_rng(0)
    t = SubjectTracker("kcf", 25.0, None)  # colours and motion (the CNN adds nothing here)
    t.start(_walker_at(_street(rng, 150), 40), np.array([40.0, 60.0, 66.0, 140.0]))
    conf, err = [], []
    for i in range(1, 90):  # 2 px a frame; from frame ~55 on the shop front is behind it
        x = 40 + 2 * i
        b, c = t.step(_walker_at(_street(rng, 150), x))
        conf.append(c)
        err.append(abs(0.5 * (b[0] + b[2]) - (x + 13)) if np.isfinite(b).all() else np.inf)
    conf = np.array(conf)
    assert max(err) <= 3, err
    assert conf.min() >= 0.4  # followed all along, in front of the shop too
    # (it may stay "doubtful" there: a gallery that learnt the drifting look drifted onto the
    # background and lost a walker going away from the camera in plain view)


def test_search_with_exclude_finds_the_lookalike_beside_the_subject():
    rng = np.random.default_rng(4)
    img = _walker_at(_street(rng), 100)
    cm = ColourModel()
    me = np.array([104.0, 60.0, 122.0, 140.0])
    cm.learn(img, me)
    assert cm.good
    _walker_at(img, 170)  # someone dressed alike, 70 px to the right
    probe = np.array([60.0, 60.0, 230.0, 140.0])
    twin = cm.search(img, probe, exclude=me)
    assert twin is not None and 175 <= 0.5 * (twin[0] + twin[2]) <= 195, twin
    back = cm.search(img, probe, exclude=twin)  # and the other way round: the subject
    assert back is not None and 105 <= 0.5 * (back[0] + back[2]) <= 125, back


def test_seed_box_mostly_background_in_the_subjects_colours_the_walker_is_followed_away():
    rng = np.random.default_rng(1)

    def frame(x: int) -> np.ndarray:
        img = _street(rng)
        img[70:105, 10:44] = SHIRT  # a window and a doorstep in the subject's very colours
        img[105:140, 10:44] = TROUSERS
        return _walker_at(img, x)

    t = SubjectTracker("kcf", 25.0, None)
    t.start(frame(40), np.array([10.0, 60.0, 66.0, 140.0]))  # the walker is the right third
    err = []
    for i in range(1, 60):  # 3 px a frame to the right, the window stays
        x = 40 + 3 * i
        b, _ = t.step(frame(x))
        err.append(abs(0.5 * (b[0] + b[2]) - (x + 13)) if np.isfinite(b).all() else np.inf)
    err = np.array(err)
    # found within the first second, then kept (it stayed on the window for good before)
    assert (err[20:] <= 9).all(), err
    assert (err <= 9).mean() >= 0.8, err


def test_what_moves_is_looked_for_only_while_the_camera_stands_still():
    """Frame differencing finds a walker only on a still street: a pan changes the whole
    textured street (the check must say so), a walker and someone else walking do not."""
    rng = np.random.default_rng(3)
    street = cv2.resize(rng.normal(150, 40, (50, 100, 3)).clip(0, 255).astype(np.uint8), (340, 200),
                        interpolation=cv2.INTER_CUBIC)  # a textured street, wider than the frame
    t = SubjectTracker("kcf", 25.0, None)
    t.start(street[:, :320].copy(), np.array([100.0, 60.0, 126.0, 140.0]))
    window = (60, 30, 170, 180)
    still_a = _walker_at(_walker_at(street[:, :320].copy(), 100), 250)
    still_b = _walker_at(_walker_at(street[:, :320].copy(), 112), 238)  # both walkers moved
    assert t._camera_still(still_a, still_b, window)
    t.n += 1  # one answer per frame
    panned = _walker_at(street[:, 8:328].copy(), 112)
    assert not t._camera_still(still_a, panned, window)

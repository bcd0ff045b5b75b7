"""Tracking, detection and distance measured against the walker clips' exact boxes."""

from __future__ import annotations

import numpy as np
import pytest

from stereosync_studio.analysis.detect import ColourModel, detect_moving_region, detect_people, detect_subject, iou
from stereosync_studio.analysis.distance import distance_from_track, smooth_track
from stereosync_studio.analysis.tracking import retrack_from, track_clip
from stereosync_studio.core.errors import Cancelled, InputError
from stereosync_studio.core.progress import CancelToken
from stereosync_studio.core.track import UNCERTAIN, Track
from stereosync_studio.media.video import VideoReader
from stereosync_studio.media.video_writer import write_video
from tests.walker import WalkerScene, cached_walker_clip

SCENARIOS = ["crossing", "zigzag", "approaching", "pausing"]


def _ious(track: Track, truth_boxes: np.ndarray) -> np.ndarray:
    return np.array([iou(a, b) for a, b in zip(track.boxes, truth_boxes)])


@pytest.fixture(scope="module")
def clips(cache_dir):
    return {s: cached_walker_clip(cache_dir, scenario=s) for s in SCENARIOS + ["two"]}


@pytest.mark.parametrize("scenario", SCENARIOS)
@pytest.mark.parametrize("mode", ["seeded", "automatic"])
def test_tracks_the_walker(clips, scenario, mode):
    truth = clips[scenario]
    seed = {"seed_box": truth.boxes[0]} if mode == "seeded" else {}
    track = track_clip(truth.path, **seed)
    assert len(track) == truth.n_frames and track.keyframes == {}
    ious = _ious(track, truth.boxes)
    assert ious.mean() >= 0.8, ious.round(2)
    assert np.mean(ious >= 0.5) >= 0.95
    assert np.isfinite(track.boxes).all() and (track.confidence > 0).all()


def test_follows_the_seeded_walker_past_another(clips):
    truth = clips["two"]
    track = track_clip(truth.path, seed_box=truth.boxes[0])
    mine = _ious(track, truth.boxes_per_walker[0])
    assert mine.mean() >= 0.8
    other = _ious(track, truth.boxes_per_walker[1])
    apart = np.array([iou(a, b) for a, b in zip(*truth.boxes_per_walker)]) < 0.05
    assert apart[-30:].all() and (mine[apart] > other[apart]).all()  # never jumps to the other one
    assert mine[-30:].mean() >= 0.8  # still on the first one after they crossed


def test_keyframes_win_and_track_backward(clips):
    truth = clips["crossing"]
    k = 60
    moved = truth.boxes[k] + [3, -2, 5, 1]  # the user's box, not quite the truth
    track = track_clip(truth.path, keyframes={k: moved})
    assert track.keyframes == {k: list(moved)}
    np.testing.assert_array_equal(track.boxes[k], moved)
    assert track.confidence[k] == 1.0
    ious = _ious(track, truth.boxes)
    assert ious[:k].mean() >= 0.8  # tracked backward from the keyframe to frame 0
    assert ious[k + 1:].mean() >= 0.8
    # two keyframes: the second is kept even where the tracker would have gone elsewhere
    wrong = truth.boxes[100] + [40, 0, 40, 0]
    track2 = track_clip(truth.path, keyframes={k: moved, 100: wrong})
    np.testing.assert_array_equal(track2.boxes[100], wrong)
    np.testing.assert_array_equal(track2.boxes[:k + 1], track.boxes[:k + 1])
    # the gap is also tracked back from the later keyframe: frames before it lean towards it
    assert iou(track2.boxes[99], wrong) > iou(track.boxes[99], wrong)
    assert iou(track2.boxes[101], wrong) > iou(track2.boxes[101], truth.boxes[101])


def test_retrack_from_recomputes_until_the_next_keyframe(clips):
    truth = clips["zigzag"]
    base = track_clip(truth.path, keyframes={0: truth.boxes[0], 120: truth.boxes[120]})
    bad = base.copy()
    bad.boxes[50:120] = truth.boxes[50:120] + [60, 0, 60, 0]  # drifted off
    fixed = retrack_from(bad, truth.path, 50, truth.boxes[50])
    assert set(fixed.keyframes) == {0, 50, 120}
    np.testing.assert_array_equal(fixed.boxes[:50], bad.boxes[:50])
    np.testing.assert_array_equal(fixed.boxes[120:], bad.boxes[120:])
    assert _ious(fixed, truth.boxes)[50:120].mean() >= 0.8
    assert _ious(bad, truth.boxes)[51:120].mean() < 0.3  # the input was not touched
    with pytest.raises(InputError):
        retrack_from(bad, truth.path, 10_000, truth.boxes[0])
    with pytest.raises(InputError, match="outside"):
        retrack_from(bad, truth.path, 10, [700, 10, 800, 100])  # right of the 640 px frame
    with pytest.raises(InputError, match="finite"):
        track_clip(truth.path, keyframes={3: [0, 0, float("nan"), 10]})


def test_progress_is_monotone_and_cancel_stops(clips):
    truth = clips["pausing"]
    seen = []
    track_clip(truth.path, seed_box=truth.boxes[0], progress=lambda f, m="": seen.append(f))
    assert seen and seen[-1] == 1.0 and all(b >= a for a, b in zip(seen, seen[1:]))
    assert len(seen) >= 10

    token = CancelToken()
    calls = []

    def progress(f, m=""):
        calls.append(f)
        if f > 0.3:
            token.cancel()

    with pytest.raises(Cancelled):
        track_clip(truth.path, seed_box=truth.boxes[0], progress=progress, cancel=token)
    assert max(calls) < 0.6


def test_lost_subject_is_nan_and_found_again(tmp_path):
    """The walker vanishes for a second (as behind a wall) and comes back: the box coasts on
    the motion model with a falling confidence (or is NaN once coasting gives up)."""
    scene = WalkerScene("crossing", duration=5.0, seed=2)
    truth = scene.truth()
    gone = range(45, 70)
    path = tmp_path / "vanish.mp4"
    write_video(path, (scene.bg.copy() if i in gone else scene.render(i) for i in range(truth.n_frames)), 25)
    track = track_clip(path, seed_box=truth.boxes[0])
    # not claimed as seen: no box (lost), or a coasted box whose confidence says "hidden"
    hidden = np.isnan(track.boxes[list(gone), 0]) | (track.confidence[list(gone)] <= UNCERTAIN - 0.15)
    assert hidden.mean() >= 0.9
    assert (track.confidence[list(gone)][np.isnan(track.boxes[list(gone), 0])] == 0).all()
    assert set(range(50, 70)) <= set(track.uncertain_frames().tolist())  # the Studio can list them
    ious = _ious(track, truth.boxes)
    assert ious[:45].mean() >= 0.8
    assert ious[75:].mean() >= 0.8  # re-found by the detectors
    filled = track.filled()
    assert np.isfinite(filled).all()


def test_partial_occlusion_by_a_pillar(tmp_path):
    scene = WalkerScene("crossing", duration=5.0, seed=5)
    truth = scene.truth()
    cx = 0.5 * (truth.boxes[:, 0] + truth.boxes[:, 2])
    x = int(cx[60])
    behind = np.abs(cx - x) < 40

    def frames():
        for i in range(truth.n_frames):
            f = scene.render(i)
            f[:, x - 12:x + 12] = (88, 94, 100)
            yield f

    path = tmp_path / "pillar.mp4"
    write_video(path, frames(), 25)
    track = track_clip(path, seed_box=truth.boxes[0])
    ious = _ious(track, truth.boxes)
    assert ious[~behind].mean() >= 0.8
    assert ious[-20:].mean() >= 0.8  # still on the walker after passing the pillar


def test_odd_sizes_and_scales(tmp_path):
    scene = WalkerScene("crossing", duration=2.0, size=(333, 187), seed=1)
    truth = scene.truth()
    path = tmp_path / "odd.mp4"
    write_video(path, (scene.render(i) for i in range(truth.n_frames)), 25)
    with VideoReader(path) as r:
        w, h = r.info.width, r.info.height
        for wh in (121, 187, 360):
            track = track_clip(r, seed_box=truth.boxes[0], work_height=wh)
            assert len(track) == truth.n_frames
            assert np.isfinite(track.boxes).all()
            assert (track.boxes[:, [0, 2]] >= 0).all() and (track.boxes[:, [0, 2]] <= w).all()
            assert (track.boxes[:, [1, 3]] >= 0).all() and (track.boxes[:, [1, 3]] <= h).all()
            assert _ious(track, truth.boxes).mean() >= 0.6


@pytest.mark.parametrize("scenario", ["crossing", "approaching"])
def test_without_colour_cues_size_still_follows(clips, scenario, monkeypatch):
    """Clothes the colour of the background: KCF + pose / template scale search carry it."""
    monkeypatch.setattr(ColourModel, "good", property(lambda self: False))
    truth = clips[scenario]
    track = track_clip(truth.path, seed_box=truth.boxes[0])
    ious = _ious(track, truth.boxes)
    assert ious.mean() >= 0.6 and np.isfinite(track.boxes).all()
    h_ratio = (track.boxes[:, 3] - track.boxes[:, 1]) / (truth.boxes[:, 3] - truth.boxes[:, 1])
    assert 0.8 <= np.median(h_ratio[-30:]) <= 1.2  # grew with the approaching walker


def test_csrt_option_and_bad_tracker_name(cache_dir):
    truth = cached_walker_clip(cache_dir, scenario="crossing", duration=2.0, seed=7)
    with VideoReader(truth.path) as r:
        track = track_clip(r, seed_box=truth.boxes[0], tracker="csrt")
        assert _ious(track, truth.boxes).mean() >= 0.75
        with pytest.raises(ValueError):
            track_clip(r, seed_box=truth.boxes[0], tracker="nope")


def test_detectors_on_the_walker(clips):
    truth = clips["crossing"]
    with VideoReader(truth.path) as r:
        a, b, c = r.frame_at(36), r.frame_at(40), r.frame_at(44)
    m = detect_moving_region(a, b, c)
    assert m is not None and iou(m[0], truth.boxes[40]) >= 0.6
    s = detect_subject(b, a, c)
    assert s is not None and iou(s[0], truth.boxes[40]) >= 0.6
    # nothing moves -> no motion region; an empty wall has no people
    assert detect_moving_region(b, b) is None
    assert detect_people(np.full((360, 640, 3), 128, np.uint8)) == []


def test_pose_box_and_its_fallback(clips, monkeypatch):
    pytest.importorskip("mediapipe")
    from stereosync_studio.analysis import detect

    truth = clips["crossing"]
    with VideoReader(truth.path) as r:
        prev, img, nxt = r.frame_at(36), r.frame_at(40), r.frame_at(44)
    pb = detect.detect_pose_box(img, hint=truth.boxes[40])
    assert pb is not None and iou(pb[0], truth.boxes[40]) >= 0.6 and 0.0 < pb[1] <= 1.0
    monkeypatch.setattr(detect, "_POSE", None)
    monkeypatch.setattr(detect, "_POSE_FAILED", True)  # as when MediaPipe cannot be imported
    assert detect.detect_pose_box(img) is None
    s = detect.detect_subject(img, prev, nxt)  # still finds the walker, by motion
    assert s is not None and iou(s[0], truth.boxes[40]) >= 0.6


def test_no_subject_gives_an_empty_track(tmp_path):
    scene = WalkerScene("crossing", duration=1.0)
    path = tmp_path / "empty.mp4"
    write_video(path, (scene.bg for _ in range(25)), 25)
    track = track_clip(path)
    assert len(track) == 25 and np.isnan(track.boxes).all() and (track.confidence == 0).all()


# ----------------------------------------------------------------------------- distance

def test_distance_from_tracked_boxes_follows_depth(clips):
    truth = clips["approaching"]
    track = track_clip(truth.path, seed_box=truth.boxes[0])
    d = distance_from_track(track, truth.height, fps=truth.fps)
    assert np.corrcoef(d, truth.distance)[0, 1] >= 0.95
    assert abs(np.median(d) - 1.0) < 0.01  # the median height is the reference
    # with a reference height: the person's height at Z_REF, distance is absolute
    ref = (truth.boxes[:, 3] - truth.boxes[:, 1]) * truth.distance
    d_abs = distance_from_track(track, truth.height, ref=float(np.median(ref)) / truth.height, fps=truth.fps)
    np.testing.assert_allclose(d_abs, truth.distance, rtol=0.12)


def test_distance_is_smoothed_and_fills_gaps(clips):
    truth = clips["crossing"]
    raw = Track(truth.boxes.copy())
    h = raw.boxes[:, 3] - raw.boxes[:, 1]
    d_raw = np.median(h) / h
    d = distance_from_track(raw, truth.height, fps=truth.fps)
    assert np.std(np.diff(d, 2)) < 0.3 * np.std(np.diff(d_raw, 2))  # gait ripple removed
    assert np.corrcoef(d, truth.distance)[0, 1] > 0.8
    gappy = raw.copy()
    gappy.boxes[40:60] = np.nan
    gappy.confidence[40:60] = 0
    dg = distance_from_track(gappy, truth.height, fps=truth.fps)
    assert np.isfinite(dg).all() and np.abs(dg[40:60] - d[40:60]).max() < 0.08
    assert (distance_from_track(Track.empty(10), 360) == 1.0).all()
    sm = smooth_track(gappy, fps=truth.fps)
    assert np.isfinite(sm).all() and np.abs(sm - truth.boxes).mean() < 3.0

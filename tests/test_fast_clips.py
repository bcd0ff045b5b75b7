"""Clips shot at 50/59.94/60 fps: tracked and measured on every other frame.

Why: the tracker and the step detector are built on 24-30 fps pictures. Following and
measuring every frame of a 50 fps clip cost twice the CPU and found fewer steps (zig-zag
recall 0.78 against 0.92 every other frame, true boxes, 8 seeds). The frames between get
boxes in between, the motion's rows keep their real times, the envelope spans the whole
clip, and the motion measured while tracking (`motion_ahead`) is still adopted as is.
"""

from __future__ import annotations

import numpy as np
import pytest

from stereosync_studio.analysis.motion import analyze_subjects, stride_for
from stereosync_studio.analysis.steps_video import envelope_from_video, step_levels, steps_from_motion
from stereosync_studio.core.track import Track
from stereosync_studio.media.frame_crops import FrameCrops
from stereosync_studio.media.video import VideoReader, write_video
from stereosync_studio.metrics.onsets import onset_f1
from tests.hard_motion import motion_scene
from tests.walker import cached_walker_clip
from tests.test_first_take_speed import _track_as_found_at, moving_square


@pytest.mark.parametrize("fps, stride", [(23.976, 1), (25, 1), (30, 1), (29.97, 1), (40, 1), (48, 2), (50, 2),
                                         (59.94, 2), (60, 2), (100, 4), (120, 5), (240, 9), (0, 1)])
def test_clips_faster_than_44_fps_are_measured_at_20_to_30_hz(fps, stride):
    assert stride_for(fps) == stride
    if stride > 1:
        assert 20.0 <= fps / stride <= 30.0
    else:
        assert fps < 44.0


@pytest.fixture(scope="module")
def zigzag_50(tmp_path_factory):
    """Four 5 s zig-zag walkers at 50 fps: two where measuring every other frame finds more
    steps (10, 11), two where it finds one fewer each (21, 22)."""
    d = tmp_path_factory.mktemp("fast")
    out = []
    for seed in (10, 11, 21, 22):
        scene = motion_scene("zigzag", seed, 5.0, fps=50.0)
        path = d / f"zigzag_{seed}.mp4"
        truth = scene.truth(path)
        write_video(path, (scene.render(i) for i in range(scene.n_frames)), 50.0, crf=18)
        out.append((str(path), truth))
    return out


def test_a_50_fps_clip_is_measured_at_25_hz_with_its_real_times(zigzag_50):
    path, truth = zigzag_50[0]
    with VideoReader(path) as r:
        times, n = np.asarray(r.times), r.info.n_frames
    m = analyze_subjects(path, [Track(np.asarray(truth.boxes))], use_pose=False)[0]
    assert (m.stride, m.fps, m.n_frames) == (2, 25.0, (n + 1) // 2)
    np.testing.assert_allclose(m.times, times[::2])
    assert abs(m.duration - n / 50.0) < 1e-9  # an envelope spans the clip, not its last measured frame
    assert np.isfinite(m.flow[1:, 0]).all()  # every measured frame has its flow (from the one before)
    near_far = np.where(np.arange(n) < n // 2, 1.0, 4.0)  # a distance per clip frame: 4x further after mid-clip
    env = envelope_from_video(path, motion=m, distance=near_far)
    assert abs(env.duration - n / 50.0) < 0.03
    steps = steps_from_motion(m, use_pose=False)
    levels = step_levels(steps, m, near_far)
    t = np.array([s for s, _ in steps])
    early, late = levels[t < 0.45 * n / 50.0], levels[t > 0.55 * n / 50.0]
    assert len(early) and len(late) and late.mean() < 0.5 * early.mean()  # read at the rows' own frames


def test_steps_of_50_fps_zigzag_walkers_are_found(zigzag_50):
    """Recall (+-50 ms) over the four clips: 34 of 39; measuring every frame found 28 (0.72)."""
    matched = total = 0
    for path, truth in zigzag_50:
        steps = [t for t in truth.step_times if t >= 0.15]
        m = analyze_subjects(path, [Track(np.asarray(truth.boxes))])[0]
        found = [t for t, _ in steps_from_motion(m) if t >= 0.1]
        matched += onset_f1(found, steps, 0.05)["matched"]
        total += len(steps)
    assert matched / total >= 0.85


@pytest.fixture(scope="module")
def moving_clip_50(tmp_path_factory):
    """The square of `moving_square` at 50 fps, moving 2 px a frame."""
    return moving_square(tmp_path_factory.mktemp("crops50") / "moving50.mp4", 50.0, 2)


@pytest.mark.parametrize("changed, lost, reads", [
    (None, (), [(0, 6), (6, 7)]),
    (None, (10, 11, 12), [(0, 6), (6, 7), (8, 9), (9, 14), (14, 15)]),  # primed from frame 8, not 13
    (15, (), [(0, 6), (6, 7)]),  # a frame that is not measured changed: nothing to measure again
    (16, (), [(0, 24)]),  # a measured one changed: all measured again
])
def test_motion_measured_while_tracking_a_50_fps_clip_is_the_motion_measured_after_it(moving_clip_50, changed,
                                                                                       lost, reads):
    from stereosync_studio.analysis.motion_ahead import MotionAhead

    path, boxes = moving_clip_50
    ahead = MotionAhead(50.0, 24, want_pose=False)
    crops, tracked = _track_as_found_at(path, boxes, 6, ahead, lost)
    if changed is not None:
        tracked[changed] += 2.0
    read = []
    real_iter = crops.iter_frames
    crops.iter_frames = lambda lo, hi, *a: (read.append((lo, hi)), real_iter(lo, hi, *a))[1]
    got = analyze_subjects(path, [Track(tracked)], use_pose=False, reader=crops, ahead=ahead)[0]
    want = analyze_subjects(path, [Track(tracked)], use_pose=False)[0]
    assert got.n_frames == 12 and np.isfinite(want.flow[1:]).all()
    assert np.array_equal(got.flow, want.flow, equal_nan=True)
    assert read == reads
    assert len(ahead.segments) == (2 if lost else 1)
    ahead.close()
    crops.close()


def test_a_fast_clip_kept_in_crops_is_measured_on_its_grid(moving_clip_50):
    """The crop store (what tracking kept) gives the same rows as decoding again."""
    path, boxes = moving_clip_50
    crops = FrameCrops()
    with VideoReader(path) as inner:
        keeping = crops.keeping(inner)
        keeping.watch(boxes)
        for _ in keeping.iter_frames(0, 24, 0.5):
            pass
    got = analyze_subjects(path, [Track(boxes)], use_pose=False, reader=crops)[0]
    want = analyze_subjects(path, [Track(boxes)], use_pose=False)[0]
    assert np.array_equal(got.flow, want.flow, equal_nan=True) and got.stride == 2
    crops.close()


def test_a_59_94_fps_walker_is_followed_on_every_other_frame_and_boxed_on_all(tmp_path, monkeypatch):
    from stereosync_studio.analysis import identity
    from stereosync_studio.analysis.tracking import track_clip
    from stereosync_studio.core.track import box_iou

    truth = cached_walker_clip(tmp_path, scenario="crossing", duration=3.0, fps=60000 / 1001, size=(640, 360), seed=2)
    seen_rates, steps = [], []
    real_init, real_step = identity.SubjectTracker.__init__, identity.SubjectTracker.step

    def init(self, kind, fps, embedder=None):
        seen_rates.append(fps)
        real_init(self, kind, fps, embedder)

    def step(self, img):
        steps.append(1)
        return real_step(self, img)

    monkeypatch.setattr(identity.SubjectTracker, "__init__", init)
    monkeypatch.setattr(identity.SubjectTracker, "step", step)
    t = track_clip(truth.path)
    n = len(truth.boxes)
    assert seen_rates and all(abs(r - 30000 / 1001) < 1e-6 for r in seen_rates)  # it thinks in 29.97 fps steps
    assert len(steps) <= n // 2 + 2
    assert np.isfinite(t.boxes).all()  # every frame has its box, those between tracked ones too
    ious = np.array([box_iou(a, b) for a, b in zip(t.boxes, np.asarray(truth.boxes))])
    assert ious.mean() >= 0.7 and ious[1::2].mean() >= 0.7


def test_frames_between_two_followed_ones_get_boxes_in_between_unless_the_subject_is_lost():
    from stereosync_studio.analysis.tracking import _between

    boxes, conf = np.full((8, 4), np.nan), np.zeros(8)
    b0, b1 = np.array([10.0, 20, 30, 60]), np.array([14.0, 20, 34, 64])
    _between((2, b0, 0.9), (4, b1, 0.6), boxes, conf)  # forward
    np.testing.assert_allclose(boxes[3], [12, 20, 32, 62])
    assert conf[3] == 0.6 and np.isnan(boxes[2]).all() and np.isnan(boxes[4]).all()  # the ends are the caller's
    _between((7, b1, 0.8), (5, b0, 0.7), boxes, conf)  # backward
    np.testing.assert_allclose(boxes[6], [12, 20, 32, 62])
    lost = np.full(4, np.nan)
    _between((0, b0, 0.9), (2, lost, 0.0), boxes, conf)  # lost on one side: nothing guessed
    assert np.isnan(boxes[1]).all() and conf[1] == 0.0

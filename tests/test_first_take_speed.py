"""What makes opening a clip fast must not change what it finds (speed itself: tests/bench/bench_first_take.py).

* The frames tracking decodes are shared with the motion pass (`media.frame_crops`): the
  tracker sees the same pictures, the motion pass the same pixels, so tracks, flow and pose
  come out identical, within a memory budget or past it.
* MediaPipe is imported without its drawing and audio helpers' libraries, which still work
  when someone asks for them.
* The subject's motion is measured while it is tracked (`analysis.motion_ahead`): what was
  measured is not read again, flow comes out as one pass gives it, and a box changed since is
  measured again. A cancel does not wait for the guide track being read meanwhile.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from stereosync_studio.analysis.motion import analyze_subjects
from stereosync_studio.analysis.tracking import track_clip
from stereosync_studio.media.frame_crops import FrameCrops
from stereosync_studio.media.video import VideoReader, write_video
from tests.walker import cached_walker_clip


def moving_square(path: Path, fps: float = 25.0, step: int = 3) -> tuple[str, np.ndarray]:
    """24 frames of 160x120 with a textured square moving right `step` px a frame, and its boxes."""
    rng = np.random.default_rng(5)
    bg = rng.integers(0, 255, (120, 160, 3), dtype=np.uint8)
    frames, boxes = [], []
    for i in range(24):
        f = bg.copy()
        x = 20 + step * i
        f[30:90, x:x + 30] = (200, 60 + 4 * i, 40)
        frames.append(f)
        boxes.append([x, 30, x + 30, 90])
    return str(write_video(path, frames, fps, gop=12)), np.asarray(boxes, float)


@pytest.fixture(scope="module")
def moving_clip(tmp_path_factory):
    return moving_square(tmp_path_factory.mktemp("crops") / "moving.mp4")


def test_the_tracker_sees_the_same_pictures_and_the_motion_pass_the_same_pixels(moving_clip):
    path, boxes = moving_clip
    crops = FrameCrops()
    with VideoReader(path) as plain, VideoReader(path) as inner:
        keeping = crops.keeping(inner)
        watched = np.full_like(boxes, np.nan)
        keeping.watch(watched)
        small = []
        for i, _t, img in keeping.iter_frames(0, 24, 0.5):
            watched[i] = boxes[i]  # what a tracker does: write the box of the frame it was given
            small.append(img)
        for (i, _t, want), got in zip(plain.iter_frames(0, 24, 0.5), small):
            assert np.array_equal(want, got), f"frame {i} differs from the reader's own scaled frame"
        assert len(crops) == 24 and crops.bytes > 0
    with VideoReader(path) as inner:  # a tracker that stops early (cancel) leaves the reader usable
        keeping = FrameCrops().keeping(inner)
        frames = keeping.iter_frames(0, 24, 0.5)
        assert [item[0] for _, item in zip(range(3), frames)] == [0, 1, 2]
        frames.close()
        assert [i for i, _t, _img in keeping.iter_frames(20, 24, 0.5)] == [20, 21, 22, 23]
        full = [rgb for _, _, rgb in plain.iter_frames(0, 24)]
    frames = list(crops.iter_frames(0, 24))
    assert frames[5][2].shape == full[5].shape
    for i, _t, f in frames:  # around the box: from memory, the same pixels
        x0, y0, x1, y1 = boxes[i].astype(int)
        assert np.array_equal(f[y0 - 4:y1 + 4, x0 - 5:x1 + 5], full[i][y0 - 4:y1 + 4, x0 - 5:x1 + 5])
    assert crops.misses == 0 and crops.hits == 24
    far = frames[3][2][0:20, 120:160]  # outside the kept crop: decoded again, still the same pixels
    assert np.array_equal(far, full[3][0:20, 120:160]) and crops.misses == 1
    assert np.array_equal(np.asarray(frames[7][2]), full[7])
    with pytest.raises(ValueError):
        next(crops.iter_frames(0, 3, 0.5))
    crops.close()
    assert len(crops) == 0 and crops.bytes == 0


def test_past_the_memory_budget_frames_are_decoded_again(moving_clip):
    path, boxes = moving_clip
    crops = FrameCrops(budget_bytes=30_000)  # room for a few crops only
    with VideoReader(path) as inner:
        keeping = crops.keeping(inner)
        keeping.watch(boxes)
        for _ in keeping.iter_frames(0, 24):
            pass
    assert 0 < len(crops) < 24 and crops.bytes <= 30_000
    with VideoReader(path) as plain:
        full = [rgb for _, _, rgb in plain.iter_frames(0, 24)]
    for i, _t, f in crops.iter_frames(0, 24):
        x0, y0, x1, y1 = boxes[i].astype(int)
        assert np.array_equal(f[y0:y1, x0:x1], full[i][y0:y1, x0:x1])
    assert crops.misses == 24 - len(crops)
    crops.close()


def test_tracking_and_motion_through_the_kept_crops_match_a_second_decode(cache_dir):
    truth = cached_walker_clip(cache_dir, scenario="crossing", duration=4.0)
    crops = FrameCrops()
    shared = track_clip(truth.path, keep_crops=crops)
    plain = track_clip(truth.path)
    assert np.array_equal(shared.boxes, plain.boxes, equal_nan=True)
    assert np.array_equal(shared.confidence, plain.confidence)
    assert len(crops) > 0.9 * len(plain)  # all but the frames tracked backwards from the seed
    got = analyze_subjects(truth.path, [shared], reader=crops)[0]
    want = analyze_subjects(truth.path, [plain])[0]
    assert np.isfinite(want.flow).any()
    assert np.array_equal(got.flow, want.flow, equal_nan=True)
    assert (got.pose is None) == (want.pose is None)
    if want.pose is not None:
        assert np.array_equal(got.pose, want.pose, equal_nan=True)
    assert crops.hits > 10 * max(crops.misses, 1)
    crops.close()


def test_libraries_deferred_while_mediapipe_loads_still_import_when_used():
    from stereosync_studio.analysis import pose

    name = "colorsys"  # a small module; another test may have imported it: set aside meanwhile
    saved = sys.modules.pop(name, None)
    try:
        with pose._deferred((name,)):
            import colorsys as stub  # what MediaPipe's helpers would hold

            assert type(stub) is pose._Deferred
        assert sys.modules.get(name) is None  # the stand-in is gone once MediaPipe is loaded
        assert stub.rgb_to_hsv(1.0, 0.0, 0.0) == (0.0, 1.0, 1.0)  # and imports the real module when used
        assert type(sys.modules[name]) is not pose._Deferred
    finally:
        if saved is not None:
            sys.modules[name] = saved


def test_a_long_clip_keeps_no_crops_and_an_empty_store_is_still_the_reader(moving_clip):
    """Crops spare the second decode only where they cover the clip: a 10-minute 1080p clip gets
    no budget (256 MB would cover 16 s and add to the peak memory). An empty store is falsy (it
    has a length) but must still be the reader the motion pass uses, not a new decoder."""
    from stereosync_studio.media.frame_crops import DEFAULT_BUDGET, budget_for

    assert budget_for(1920, 1080, 8 * 25) == DEFAULT_BUDGET
    assert budget_for(1920, 1080, 10 * 60 * 25) == 0
    from stereosync_studio.core.track import Track

    path, boxes = moving_clip
    crops = FrameCrops(budget_bytes=0)
    with VideoReader(path) as inner:
        keeping = crops.keeping(inner)
        keeping.watch(boxes)
        for _ in keeping.iter_frames(0, 24, 0.5):
            pass
    assert len(crops) == 0 and not crops
    analyze_subjects(path, [Track(boxes)], use_pose=False, reader=crops)
    assert crops.misses > 0  # every frame came through the store's own decoder
    crops.close()


def _track_as_found_at(path: str, boxes: np.ndarray, found: int, ahead, lost=()) -> tuple[FrameCrops, np.ndarray]:
    """What tracking a clip does through a crop store whose `tap` feeds `ahead`: frames from
    `found` (where the subject was found) to the end, then back to frame 0 from there; the
    subject is not found on the `lost` frames. The store and the boxes tracked."""
    crops = FrameCrops()
    crops.tap = ahead.offer
    watched = np.full_like(boxes, np.nan)
    with VideoReader(path) as inner:
        keeping = crops.keeping(inner)
        keeping.watch(watched)
        for i, _t, _img in keeping.iter_frames(found, len(boxes), 0.5):
            watched[i] = np.nan if i in lost else boxes[i]
        for i, _t, _img in list(keeping.iter_frames(0, found + 1, 0.5))[::-1]:  # decoded forward, used backward
            watched[i] = boxes[i]
    return crops, watched


@pytest.mark.parametrize("changed, lost, reads", [
    (None, (), [(0, 6), (6, 7)]),  # the frames before the point found, and its flow's pair
    (None, (10, 11, 12), [(0, 6), (6, 7), (9, 10), (10, 13), (13, 14)]),  # a gap, between its neighbours
    (15, (), [(0, 24)]),  # measured with a box that changed since: all measured again
])
def test_motion_measured_during_tracking_is_the_motion_measured_after_it(moving_clip, changed, lost, reads):
    """Frames measured while tracking goes on are not read again, and flow comes out as one pass
    gives it; a box that changed after it was measured (a keyframe) is measured again."""
    from stereosync_studio.analysis.motion_ahead import MotionAhead
    from stereosync_studio.core.track import Track

    path, boxes = moving_clip
    ahead = MotionAhead(25.0, 24, want_pose=False)
    crops, tracked = _track_as_found_at(path, boxes, 6, ahead, lost)
    if changed is not None:
        tracked[changed] += 2.0
    read = []
    real_iter = crops.iter_frames
    crops.iter_frames = lambda lo, hi, *a: (read.append((lo, hi)), real_iter(lo, hi, *a))[1]
    got = analyze_subjects(path, [Track(tracked)], use_pose=False, reader=crops, ahead=ahead)[0]
    want = analyze_subjects(path, [Track(tracked)], use_pose=False)[0]
    assert np.isfinite(want.flow[1:]).all()
    assert np.array_equal(got.flow, want.flow, equal_nan=True)
    assert np.array_equal(got.boxes, want.boxes, equal_nan=True)
    assert read == reads
    assert len(ahead.segments) == (2 if lost else 1)
    ahead.close()
    crops.close()


def test_a_cancel_during_the_motion_pass_does_not_wait_for_the_guide_track(moving_clip, monkeypatch):
    import threading

    from stereosync_studio.core.progress import Cancelled, CancelToken
    from stereosync_studio.core.track import Track
    from stereosync_studio.jobs import analyze as an

    path, boxes = moving_clip
    release, read_done = threading.Event(), threading.Event()

    def slow_guide(_path, _has_audio):  # a long clip's guide track, still being read
        release.wait(10.0)
        read_done.set()

    monkeypatch.setattr(an, "_guide_audio", slow_guide)
    cancel = CancelToken()
    cancel.cancel()
    with VideoReader(path) as r:
        info = r.info
    try:
        with pytest.raises(Cancelled):
            an._guide_with_picture(Path(path), info, Track(boxes), "video", None, lambda *_: None, cancel)
        assert not read_done.is_set()  # the cancel came back while the read went on
    finally:
        release.set()

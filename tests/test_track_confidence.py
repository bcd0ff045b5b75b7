"""The backend of the Studio's confidence strip: uncertain frames, next/previous uncertain run,
keyframe interpolation, and re-tracking between keyframes with the identity model."""

from __future__ import annotations

import numpy as np
import pytest

from stereosync_studio.core.track import INTERPOLATED, UNCERTAIN, Track
from stereosync_studio.jobs import interpolate_keyframes, uncertain_frames


def _track() -> Track:
    n = 20
    boxes = np.tile([10.0, 10.0, 30.0, 60.0], (n, 1))
    conf = np.full(n, 0.9)
    conf[3:6] = 0.2  # hidden (coasting)
    conf[10] = 0.45  # doubtful
    conf[15:18] = 0.0
    boxes[15:18] = np.nan
    return Track(boxes, conf, {4: [10, 10, 30, 60]})


def test_uncertain_frames_spans_and_navigation():
    t = _track()
    assert t.uncertain_frames().tolist() == [3, 5, 10, 15, 16, 17]  # keyframe 4 is certain by definition
    assert t.uncertain_spans() == [(3, 4), (5, 6), (10, 11), (15, 18)]
    assert t.next_uncertain(0) == 3 and t.next_uncertain(3) == 5 and t.next_uncertain(11) == 15
    assert t.next_uncertain(15) is None
    assert t.next_uncertain(16, -1) == 10 and t.next_uncertain(10, -1) == 5 and t.next_uncertain(3, -1) is None
    assert uncertain_frames(t, 0.3) == [3, 5, 15, 16, 17]
    assert UNCERTAIN == 0.5


def test_interpolation_between_keyframes():
    t = Track.empty(11)
    t.set_keyframe(0, [0, 0, 10, 20])
    t.set_keyframe(10, [100, 50, 120, 90])
    out = interpolate_keyframes(t, 0)
    np.testing.assert_allclose(out.boxes[5], [50, 25, 65, 55])
    assert (out.confidence[1:10] == INTERPOLATED).all() and out.confidence[0] == out.confidence[10] == 1.0
    assert np.isnan(t.boxes[5, 0])  # the input is untouched
    with pytest.raises(ValueError):
        t.interpolate_keyframes(0, 5)
    full = t.interpolate_all_keyframes()
    assert np.isfinite(full.boxes).all()


def test_retrack_uses_the_next_keyframe_when_the_subject_stays_hidden(tmp_path):
    """The walker vanishes for good before a keyframe: the gap is bridged towards the keyframe."""
    from stereosync_studio.analysis.detect import iou
    from stereosync_studio.analysis.tracking import retrack_from
    from stereosync_studio.media.video_writer import write_video
    from tests.walker import WalkerScene

    scene = WalkerScene("crossing", duration=4.0, seed=2)
    truth = scene.truth()
    path = tmp_path / "gone.mp4"
    write_video(path, (scene.bg.copy() if 40 <= i < 95 else scene.render(i) for i in range(truth.n_frames)), 25)
    base = Track.empty(truth.n_frames)
    base.set_keyframe(95, truth.boxes[95])
    out = retrack_from(base, path, 10, truth.boxes[10])
    assert set(out.keyframes) == {10, 95}
    assert np.isfinite(out.boxes[10:95]).all()
    mid = np.array([iou(a, b) for a, b in zip(out.boxes[60:95], truth.boxes[60:95])])
    assert mid.mean() >= 0.5  # bridged towards the keyframe, not left where it was lost
    assert (out.confidence[60:95] < 0.6).all()  # and marked as worth a look


def test_retrack_from_designer_keyframes_anchors_identity_and_keeps_them_exact(tmp_path, monkeypatch):
    """The Studio's "re-track with keyframes": the walker is gone for 2.4 s (longer than the
    tracker coasts); keyframes either side. Every keyframe teaches the identity model, the gap
    is tracked from both keyframes, and keyframed frames come back exactly as placed."""
    from stereosync_studio.analysis import tracking
    from stereosync_studio.analysis.detect import iou
    from stereosync_studio.core.project import Project
    from stereosync_studio.jobs.analyze import retrack_keyframes
    from stereosync_studio.media.video import probe
    from stereosync_studio.media.video_writer import write_video
    from tests.walker import WalkerScene

    scene = WalkerScene("crossing", duration=5.0, seed=2)
    truth = scene.truth()
    path = tmp_path / "gone.mp4"
    write_video(path, (scene.bg.copy() if 35 <= i < 95 else scene.render(i) for i in range(truth.n_frames)), 25)
    looked = []
    real_looks = tracking._looks_of
    monkeypatch.setattr(tracking, "_looks_of", lambda reader, boxes, *a, **k: (looked.append(sorted(boxes)),
                                                                             real_looks(reader, boxes, *a, **k))[1])
    project = Project("gone", probe(path))
    base = Track.empty(truth.n_frames)
    base.set_keyframe(5, truth.boxes[5])
    kf = {120: [float(x) for x in truth.boxes[120]]}
    out, traj = retrack_keyframes(base, project, kf, follow_box=True)
    assert set(out.keyframes) == {5, 120} and traj is not None
    np.testing.assert_allclose(out.boxes[5], truth.boxes[5])
    np.testing.assert_allclose(out.boxes[120], truth.boxes[120])
    assert looked == [[5, 120]]  # both keyframes' looks anchor the identity model
    ious = np.array([iou(a, b) for a, b in zip(out.boxes, truth.boxes)])
    assert ious[6:33].mean() >= 0.6  # forward from the first keyframe
    assert ious[97:120].mean() >= 0.6
    # a forward pass alone is lost (NaN) when the walker comes back; tracking back from the
    # later keyframe has it from the first frame it shows again
    assert np.isfinite(out.boxes[5:121]).all() and ious[95:99].min() >= 0.6
    assert (out.confidence[45:85] < UNCERTAIN).all()  # nobody there: worth a look
    with pytest.raises(Exception, match="outside"):
        retrack_keyframes(base, project, {10_000: [0, 0, 10, 10]})

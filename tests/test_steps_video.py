"""Steps found in the picture: generated walkers whose heel strikes are known exactly.

Every test tracks the subject with the real tracker (no ground-truth boxes) and scores the
detected heel strikes against the drawn ones with onset F1 at +-50 ms.
"""

from __future__ import annotations

import numpy as np
import pytest

from stereosync_studio.analysis import steps_video as S
from stereosync_studio.analysis.motion import analyze_subjects
from stereosync_studio.analysis.tracking import track_clip
from stereosync_studio.core.envelope import ENVELOPE_RATE
from stereosync_studio.core.errors import InputError
from stereosync_studio.core.track import Track
from stereosync_studio.metrics.onsets import onset_f1
from tests.walker import WalkerScene, cached_walker_clip

DUR = 4.0
_MOTION: dict = {}


def _measured(cache_dir, scenario: str, use_pose: bool | None = None):
    """(truth, track, motion) of a cached 640x360 walker clip, tracked once per session."""
    key = (scenario, use_pose)
    if key not in _MOTION:
        truth = cached_walker_clip(cache_dir, scenario=scenario, duration=DUR)
        base = _MOTION.get((scenario, None))
        track = base[1] if base else track_clip(truth.path)
        motion = analyze_subjects(truth.path, [track], use_pose)[0]
        _MOTION[key] = (truth, track, motion)
    return _MOTION[key]


def _f1(steps, truth_times) -> dict:
    return onset_f1([t for t, _ in steps], truth_times, tolerance=0.05)


@pytest.mark.parametrize("scenario", ["crossing", "approaching", "pausing"])
def test_step_f1_from_video_alone(cache_dir, scenario):
    truth, _track, motion = _measured(cache_dir, scenario)
    steps = S.steps_from_motion(motion)
    f = _f1(steps, truth.step_times)
    assert f["f1"] >= 0.8, (scenario, f, steps, truth.step_times)
    assert all(0.0 <= c <= 1.0 for _, c in steps)
    times = np.array([t for t, _ in steps])
    assert np.all(np.diff(times) >= S.MIN_GAP - 1e-9)


def test_no_steps_while_the_walker_stands_still(cache_dir):
    truth, _track, motion = _measured(cache_dir, "pausing")
    st = np.asarray(truth.step_times)
    gaps = np.diff(st)
    k = int(np.argmax(gaps))
    assert gaps[k] > 1.0  # the scenario has a pause
    detected = np.array([t for t, _ in S.steps_from_motion(motion)])
    inside = detected[(detected > st[k] + 0.1) & (detected < st[k + 1] - 0.1)]
    assert len(inside) == 0, inside


def test_optical_flow_alone_finds_the_steps(cache_dir):
    """The fallback when pose fails: no landmarks at all."""
    truth, _track, motion = _measured(cache_dir, "crossing", use_pose=False)
    assert motion.pose is None
    f = _f1(S.steps_from_motion(motion), truth.step_times)
    assert f["f1"] >= 0.8, f


def test_camera_following_the_walker(tmp_path):
    """A panning camera: the background moves, the feet planted on it must still read as still."""
    from stereosync_studio.media.video_writer import write_video

    scene = WalkerScene("crossing", duration=3.0, size=(900, 360), seed=3)
    truth = scene.truth()
    cx = 0.5 * (truth.boxes[:, 0] + truth.boxes[:, 2])
    n = scene.n_frames
    x0 = np.clip(np.round(np.linspace(cx[0] - 320, cx[-1] - 320, n)).astype(int), 0, 900 - 640)
    assert np.diff(x0).mean() > 2.0  # the camera really pans
    path = write_video(tmp_path / "pan.mp4", (scene.render(i)[:, x0[i]:x0[i] + 640] for i in range(n)), 25)
    steps = S.detect_steps(path, track_clip(str(path)), use_pose=False)
    f = _f1(steps, truth.step_times)
    assert f["f1"] >= 0.8, (f, steps, truth.step_times)


def test_envelope_from_video_tracks_by_itself(cache_dir):
    truth = cached_walker_clip(cache_dir, scenario="crossing", duration=DUR)
    env = S.envelope_from_video(truth.path, None)  # no predictor: transients on the steps
    assert env.origin == "video"
    assert abs(env.duration - DUR) < 0.05
    assert _f1([(t, 1.0) for t in env.events], truth.step_times)["f1"] >= 0.8
    # one transient per step: loud just after each event, near silent half-way between steps
    ev = np.asarray(env.events)
    peaks = env.at(ev + 0.006)
    mids = env.at(0.5 * (ev[:-1] + ev[1:]))
    assert np.all(peaks > 0.05)
    assert np.all(mids < 0.05 * peaks[:-1])
    assert env.values.max() <= 1.0 and env.rate == pytest.approx(ENVELOPE_RATE)


def test_step_levels_follow_distance(cache_dir):
    """The approaching walker gets louder as it nears: levels track 1 / true distance."""
    truth, _track, motion = _measured(cache_dir, "approaching")
    steps = S.steps_from_motion(motion)
    levels = S.step_levels(steps, motion)
    t = np.array([s[0] for s in steps])
    inv_d = 1.0 / np.interp(t, np.arange(truth.n_frames) / truth.fps, truth.distance)
    r = np.corrcoef(levels, inv_d)[0, 1]
    assert r > 0.9, (levels, inv_d)
    ratio, want = levels[-1] / levels[0], inv_d[-1] / inv_d[0]
    assert want > 1.4  # the scenario really approaches
    assert abs(np.log(ratio / want)) < np.log(1.3)


def test_contact_detector_on_a_known_signal():
    fps = 25.0
    t = np.arange(150) / fps
    contacts = np.arange(0.3, 5.8, 0.55)
    speed = np.full_like(t, 0.05)
    for c in contacts:  # swing: a bump that ends at the contact
        sw = (t > c - 0.35) & (t <= c)
        speed[sw] = 2.0 * np.sqrt(np.clip(np.sin(np.pi * (t[sw] - (c - 0.35)) / 0.35), 0.0, None))
    speed += np.random.default_rng(0).normal(0, 0.03, len(t))
    found = S.merge_close(S.contacts_from_speed(t, speed, fps))
    f = onset_f1([x for x, _ in found], contacts, 0.05)
    assert f["f1"] == 1.0, (found, contacts)
    assert min(c for _, c in found) > 0.7
    still = np.abs(np.random.default_rng(1).normal(0.05, 0.03, len(t)))  # a standing subject
    assert S.contacts_from_speed(t, still, fps) == []


def test_merge_close_keeps_the_surer_step():
    merged = S.merge_close([(1.0, 0.4), (1.1, 0.9), (1.6, 0.5), (2.5, 0.3), (2.6, 0.2)])
    assert merged == [(1.1, 0.9), (1.6, 0.5), (2.5, 0.3)]


def test_no_subject_is_a_clear_error(cache_dir):
    truth = cached_walker_clip(cache_dir, scenario="crossing", duration=DUR)
    with pytest.raises(InputError, match="no subject"):
        S.detect_steps(truth.path, Track.empty(truth.n_frames))


# ---- the learned-envelope seam: any callable features -> values (no model loaded here) ----

def _walking_motion():
    """A measured subject without decoding a clip: a box crossing the frame, the feet band's
    flow swinging twice a second (3 s at 25 fps, no pose)."""
    from stereosync_studio.analysis.flow_features import IDX, N_FLOW
    from stereosync_studio.analysis.motion import SubjectMotion

    n, fps = 75, 25.0
    t = np.arange(n) / fps
    boxes = np.stack([100 + 40 * t, np.full(n, 50.0), 140 + 40 * t, np.full(n, 150.0)], axis=1)
    flow = np.zeros((n, N_FLOW), np.float32)
    flow[:, IDX["low_p90"]] = 1.2 * np.maximum(np.sin(2 * np.pi * 2.0 * t), 0.0)  # two swings a second
    return SubjectMotion(fps, t, boxes, flow, None, 640, 360)


def test_envelope_from_a_predictor_callable():
    from stereosync_studio.analysis.mapper_features import FEATURE_RATE, N_FEATURES

    motion = _walking_motion()
    seen = {}

    def predictor(features):
        seen["shape"] = features.shape
        n = int(round(len(features) / FEATURE_RATE * ENVELOPE_RATE)) + 1
        return 0.5 * (1 + np.sin(np.arange(n) / ENVELOPE_RATE * 2 * np.pi))  # a known curve

    plain = S.envelope_from_video(None, motion=motion)
    env = S.envelope_from_video(None, motion=motion, predictor=predictor)
    assert seen["shape"] == (int(round(motion.duration * FEATURE_RATE)), N_FEATURES)
    assert env.origin == "mapper" and plain.origin == "video"
    assert env.events == plain.events and len(env.events) >= 3  # the steps still come from the picture
    assert len(env.values) == len(plain.values)  # the clip's duration
    k = np.arange(len(env.values))
    assert np.allclose(env.values, 0.5 * (1 + np.sin(k / ENVELOPE_RATE * 2 * np.pi)), atol=1e-6)


@pytest.mark.parametrize("bad", ["raises", "nan", "empty"])
def test_a_failing_predictor_falls_back_to_the_steps(bad, caplog):
    motion = _walking_motion()

    def predictor(features):
        if bad == "raises":
            raise RuntimeError("checkpoint is broken")
        return np.full(10, np.nan) if bad == "nan" else np.zeros(0)

    with caplog.at_level("WARNING", logger="stereosync_studio.analysis.envelope_predictor"):
        env = S.envelope_from_video(None, motion=motion, predictor=predictor)
    plain = S.envelope_from_video(None, motion=motion)
    assert env.origin == "video" and np.array_equal(env.values, plain.values) and env.events == plain.events
    assert "learned envelope not used" in caplog.text

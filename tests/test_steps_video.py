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


@pytest.mark.parametrize("swing_s, period_s", [(0.42, 0.53), (0.2, 0.3)])  # a walk, a run (3.3 steps/s)
def test_contact_timing_of_a_foot_easing_into_its_landing(swing_s, period_s):
    """The foot's speed falls along a slope to zero at the heel strike (an eased swing, frame
    speeds averaged over each frame interval, as the flow measures them): the contact is put
    where the slope meets the stance level, not where it crosses a level on the way down
    (which was 20-40 ms early on a walk)."""
    fps = 25.0
    frames = np.arange(int(6.0 * fps) + 1) / fps
    contacts = np.arange(0.4, 5.6, period_s) + 0.013  # not on the frame grid
    fine = np.arange(0.0, frames[-1], 0.001)
    pos = np.zeros_like(fine)
    for k, c in enumerate(contacts):  # smoothstep swing of one foot, alternating feet
        ph = np.clip((fine - (c - swing_s)) / swing_s, 0.0, 1.0)
        pos += (ph * ph * (3.0 - 2.0 * ph)) * 0.5
    speed = np.abs(np.diff(np.interp(frames, fine, pos))) * fps
    speed += np.random.default_rng(2).normal(0, 0.02, len(speed))
    mid = 0.5 * (frames[1:] + frames[:-1])
    found = np.array([x for x, _ in S.merge_close(S.contacts_from_speed(mid, speed, fps))])
    f = onset_f1(found, contacts, 0.05)
    assert f["f1"] == 1.0, (found, contacts)
    err = np.array([found[np.argmin(np.abs(found - c))] - c for c in contacts])
    assert abs(float(np.median(err))) < 0.012, err


def test_a_step_the_picture_missed_is_put_in_from_the_cadence_only_while_moving():
    """One step missing from a regular walk (0.5 s period): put half-way when the box keeps
    travelling, or the upper body keeps moving (a turn round); not when the subject stops."""
    from stereosync_studio.analysis.step_cadence import FILLED_CONFIDENCE, fill_cadence_gaps

    ft = np.arange(0, 6.0, 0.04)
    steps = [(t, 0.8) for t in np.arange(0.5, 5.6, 0.5) if abs(t - 3.0) > 0.1]  # 3.0 s missing
    walking, still = np.full(len(ft), 0.7), np.zeros(len(ft))
    filled = fill_cadence_gaps(steps, ft, walking, still)
    assert len(filled) == len(steps) + 1
    new = [(t, c) for t, c in filled if (t, c) not in steps]
    assert abs(new[0][0] - 3.0) < 1e-6 and new[0][1] == FILLED_CONFIDENCE
    stops = walking.copy()
    stops[(ft > 2.6) & (ft < 3.3)] = 0.0  # the subject stands still in the gap
    assert fill_cadence_gaps(steps, ft, stops, still) == steps
    assert len(fill_cadence_gaps(steps, ft, stops, np.full(len(ft), 0.5))) == len(steps) + 1  # turning round
    long_gap = [(t, c) for t, c in steps if not 2.4 < t < 3.6]  # three steps missing: not guessed
    assert fill_cadence_gaps(long_gap, ft, walking, still) == long_gap


def test_a_contact_off_the_rhythm_is_moved_back_onto_it_but_a_limp_is_kept():
    """A walk at 0.5 s whose step at 3.0 s was found 150 ms early (the flick of a pivoting
    foot): moved half-way between its neighbours, as are two such steps in a row; a steady
    limp (0.45 / 0.6 s) and a pause are untouched."""
    from stereosync_studio.analysis.step_cadence import FILLED_CONFIDENCE, retime_to_cadence

    steps = [(float(t), 0.8) for t in np.arange(0.5, 5.6, 0.5)]
    early = [(t - 0.15, c) if abs(t - 3.0) < 1e-6 else (t, c) for t, c in steps]
    fixed = retime_to_cadence(early)
    assert len(fixed) == len(early)
    moved = [(t, c) for t, c in fixed if (t, c) not in early]
    assert len(moved) == 1 and abs(moved[0][0] - 3.0) < 1e-6 and moved[0][1] == FILLED_CONFIDENCE
    limp = [(float(t), 0.8) for t in np.cumsum(np.tile([0.45, 0.6], 6))]
    assert retime_to_cadence(limp) == limp
    stop = [(t + (0.8 if t > 3.2 else 0.0), c) for t, c in steps]  # a pause: intervals 0.5, 1.3, 0.5
    assert retime_to_cadence(stop) == stop
    two = [(t - 0.14, c) if abs(t - 3.0) < 1e-6 or abs(t - 3.5) < 1e-6 else (t, c) for t, c in steps]
    back = np.array([t for t, _ in retime_to_cadence(two)])  # two pivots in a row: both back
    assert np.allclose(back, [t for t, _ in steps]), back


def test_the_measured_motion_holds_small_rows_per_frame_not_pictures(cache_dir):
    """What the step pass keeps for a clip grows by well under 1 kB a frame (flow row, box,
    landmarks), never by a frame or a crop: a 10-minute 1080p clip at 30 fps stays ~12 MB
    (the whole pass's peak RSS on such a clip: tests/bench/bench_steps_memory.py)."""
    _truth, _track, motion = _measured(cache_dir, "crossing")
    held = [v for v in vars(motion).values() if isinstance(v, np.ndarray)]
    per_frame = sum(v.nbytes for v in held) / motion.n_frames
    assert per_frame < 1024, {k: v.shape for k, v in vars(motion).items() if isinstance(v, np.ndarray)}
    assert all(v.ndim < 4 and v.shape[0] == motion.n_frames for v in held)


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


def _two_witness_motion(flow_gain: float):
    """A walker (2 steps/s, 4 s at 25 fps) whose feet the landmarks follow exactly; the feet
    band's flow sees the same swings scaled by `flow_gain` (a small subject on compressed
    footage hardly moves the pixels: gain << 1), plus a little noise. Returns (motion, strikes)."""
    from stereosync_studio.analysis.flow_features import IDX, N_FLOW
    from stereosync_studio.analysis.motion import SubjectMotion
    from stereosync_studio.analysis.pose import (LEFT_ANKLE, LEFT_FOOT, LEFT_HEEL, N_LANDMARKS, RIGHT_ANKLE,
                                                 RIGHT_FOOT, RIGHT_HEEL)

    n, fps, period, swing = 100, 25.0, 0.5, 0.4
    t = np.arange(n) / fps
    strikes = np.arange(0.45, 4.0, period) + 0.013
    x = np.zeros((n, 2))  # each foot's x (px): smoothstep swings of 60 px, feet alternating
    for k, c in enumerate(strikes):
        ph = np.clip((t - (c - swing)) / swing, 0.0, 1.0)
        x[:, k % 2] += 60.0 * ph * ph * (3.0 - 2.0 * ph)
    pose = np.zeros((n, N_LANDMARKS, 4))
    pose[..., 3] = 1.0
    for f, group in enumerate(((LEFT_HEEL, LEFT_ANKLE, LEFT_FOOT), (RIGHT_HEEL, RIGHT_ANKLE, RIGHT_FOOT))):
        pose[:, group, 0] = 200.0 + x[:, f, None]
        pose[:, group, 1] = 300.0
    boxes = np.tile([150.0, 100.0, 250.0, 300.0], (n, 1))  # 200 px tall
    foot_speed = np.r_[0.0, np.abs(np.diff(x, axis=0)).max(axis=1) * fps / 200.0]
    flow = np.zeros((n, N_FLOW), np.float32)
    flow[:, IDX["low_p90"]] = flow_gain * foot_speed + np.abs(np.random.default_rng(3).normal(0, 0.02, n))
    return SubjectMotion(fps, t, boxes, flow, pose, 640, 360), strikes


def test_a_flow_blind_to_the_swing_does_not_hide_the_steps_pose_sees():
    """Where the flow's swings reach a fraction of the pose's (a small, heavily compressed
    subject; a foot swinging towards the camera) the smaller witness would hide every step:
    the steps pose sees are found. Where the flow sees the swing, the smaller one is used."""
    blind, strikes = _two_witness_motion(0.08)
    assert S.swing_speed(blind)[2] == "pose+flow"
    assert len(S.flow_contacts(blind)) <= len(strikes) // 2  # the flow alone hardly sees a step
    f = _f1(S.steps_from_motion(blind), strikes[strikes > 0.15])
    assert f["f1"] >= 0.9, f
    sighted, _ = _two_witness_motion(0.9)
    from stereosync_studio.analysis.foot_speed import flow_swing_speed, pose_swing_speed

    times, fused, _ = S.swing_speed(sighted)
    pose, flow = pose_swing_speed(sighted), flow_swing_speed(sighted)
    both = np.isfinite(pose) & np.isfinite(flow)
    assert np.allclose(fused[both], np.minimum(flow, pose)[both])


def test_two_steps_missing_in_a_row_are_put_in_evenly_only_while_moving():
    """Two short steps of a turn on the spot that the picture did not see: put in at the
    thirds of the gap while the body keeps moving, not while the subject stands."""
    from stereosync_studio.analysis.step_cadence import FILLED_CONFIDENCE, fill_cadence_gaps

    ft = np.arange(0, 6.0, 0.04)
    steps = [(float(t), 0.8) for t in np.arange(0.5, 5.6, 0.5) if not 2.9 < t < 3.6]  # 3.0, 3.5 missing
    filled = fill_cadence_gaps(steps, ft, np.full(len(ft), 0.7), np.zeros(len(ft)))
    new = sorted(t for t, c in filled if c == FILLED_CONFIDENCE)
    assert len(new) == 2 and np.allclose(new, [3.0, 3.5]), filled
    stops = np.full(len(ft), 0.7)
    stops[(ft > 2.7) & (ft < 3.8)] = 0.0
    assert fill_cadence_gaps(steps, ft, stops, np.zeros(len(ft))) == steps

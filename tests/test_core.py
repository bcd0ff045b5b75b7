"""Core model: time base, envelope, track, trajectory, project JSON round trip."""

from __future__ import annotations

import json

import numpy as np
import pytest

from stereosync_studio.core import (ClipInfo, Envelope, InputError, Project, Reference, Source, TakeInfo,
                                    TimeBase, Track, Trajectory, timecode)
from stereosync_studio.core.trajectory import pan_from_x, x_from_pan


def test_timebase_and_timecode():
    tb = TimeBase(25.0, 48000)
    assert tb.frame_to_samples(25) == 48000
    assert tb.seconds_to_frame(1.0) == 25
    assert tb.seconds_to_frame(0.0399) == 0
    assert timecode(3725.52, 25) == "01:02:05:13"
    assert TimeBase(29.97).timecode(1.0) == "00:00:00:29"


def test_envelope_sanitises_and_interpolates():
    env = Envelope(np.array([0.0, np.nan, 2.0, 0.5]), rate=10.0)
    assert env.values.tolist() == [0.0, 0.0, 1.0, 0.5]
    assert env.at(0.15) == pytest.approx(0.5)
    longer = env.with_duration(1.0)
    assert len(longer.values) == 11 and longer.values[5] == 0.0
    csv = Envelope.from_points(np.array([0.0, 1.0]), np.array([0.0, 1.0]), 1.0, rate=4.0)
    assert csv.values.tolist() == pytest.approx([0, 0.25, 0.5, 0.75, 1.0])


def test_pan_mapping_is_inverse_and_physical():
    w = 1280
    assert pan_from_x(w / 2, w) == pytest.approx(0.0)
    assert pan_from_x(w, w, 90.0) == pytest.approx(0.5)  # frame edge of a 90 deg lens = 45 deg
    assert pan_from_x(0, w, 60.0) == pytest.approx(-1 / 3)
    xs = np.linspace(0, w, 9)
    assert np.allclose(x_from_pan(pan_from_x(xs, w), w), xs)


def test_trajectory_from_track_fills_gaps_and_scales_distance():
    boxes = np.array([[0, 100, 100, 300], [np.nan] * 4, [540, 150, 740, 250], [1180, 200, 1280, 250]], float)
    traj = Trajectory.from_track(Track(boxes), 1280, 720, 25.0)
    assert traj.pan[0] < 0 < traj.pan[3]
    assert traj.pan[2] == pytest.approx(0.0)
    assert traj.distance[0] < traj.distance[2] < traj.distance[3]  # smaller box = farther
    assert np.isfinite(traj.pan).all() and np.isfinite(traj.distance).all()


def test_project_round_trip_relative_paths(tmp_path):
    clip = tmp_path / "media" / "walk.mp4"
    clip.parent.mkdir()
    clip.write_bytes(b"x")
    n = 5
    track = Track(np.tile([10.0, 20, 30, 60], (n, 1)))
    track.set_keyframe(2, [11, 21, 31, 61])
    src = Source("subject1", track, Envelope(np.linspace(0, 1, 50), events=[0.1, 0.4]),
                 Trajectory(np.linspace(-1, 1, n), np.ones(n), 25.0), Reference(str(tmp_path / "ref.wav")),
                 [TakeInfo(str(tmp_path / "out" / "walk_take01.wav"), "take01", "sampler", 3, 48000,
                           metrics={"e_l1": 0.01})])
    proj = Project("walk", ClipInfo(str(clip), 25.0, 64, 48, 0.2, n, has_audio=True), [src])
    path = proj.save(tmp_path / "proj" / "walk.stereosync.json")
    raw = json.loads(path.read_text())
    assert raw["schema_version"] == 1
    assert not raw["clip"]["path"].startswith("/")  # stored relative to the project
    back = Project.load(path)
    s = back.source("subject1")
    assert back.clip.path == str(clip.resolve())
    assert s.track.keyframes == {2: [11.0, 21.0, 31.0, 61.0]}
    assert np.allclose(s.envelope.values, src.envelope.values, atol=1e-5)
    assert s.envelope.events == [0.1, 0.4]
    assert s.takes[0].metrics == {"e_l1": 0.01} and s.takes[0].seed == 3
    assert np.allclose(s.trajectory.pan, src.trajectory.pan)
    assert not list(path.parent.glob(".*.tmp"))


@pytest.mark.parametrize("content", ["not json {", json.dumps({"hello": 1}),
                                     json.dumps({"schema": "stereosync-project", "schema_version": 99})])
def test_bad_project_files_name_the_file(tmp_path, content):
    p = tmp_path / "bad.stereosync.json"
    p.write_text(content)
    with pytest.raises(InputError) as err:
        Project.load(p)
    assert "bad.stereosync.json" in str(err.value)

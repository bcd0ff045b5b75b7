"""Clips that break naive trackers: no person, 4K, phone video shot upright, variable frame rate,
and the NTSC rates (23.976, 29.97, 59.94). Each is tracked and timed correctly."""

from __future__ import annotations

import numpy as np
import pytest

from stereosync_studio.analysis.detect import iou
from stereosync_studio.analysis.tracking import track_clip
from stereosync_studio.jobs import NO_PERSON_MESSAGE, analyze_clip, subject_found
from stereosync_studio.media.video import VideoReader, probe
from stereosync_studio.media.video_writer import write_video
from tests.walker import WalkerScene


def _mean_iou(track, boxes) -> float:
    return float(np.mean([iou(a, b) for a, b in zip(track.boxes, boxes)]))


def test_no_person_gives_a_message_and_a_centred_editable_track(tmp_path):
    scene = WalkerScene("crossing", duration=1.0)
    path = tmp_path / "empty_street.mp4"
    write_video(path, (scene.bg for _ in range(25)), 25)
    messages = []
    project = analyze_clip(path, envelope="none", progress=lambda f, m="": messages.append(m))
    track = project.sources[0].track
    assert NO_PERSON_MESSAGE in messages
    assert not subject_found(track)
    assert np.isfinite(track.boxes).all() and (track.confidence == 0).all() and track.keyframes == {}
    cx = 0.5 * (track.boxes[:, 0] + track.boxes[:, 2])
    np.testing.assert_allclose(cx, 320.0)
    assert len(track.uncertain_frames()) == 25  # the Studio points the designer at every frame
    assert np.allclose(project.sources[0].trajectory.pan, 0.0, atol=1e-6)


def test_4k_clip_is_tracked_in_clip_pixels(tmp_path):
    scene = WalkerScene("crossing", duration=1.2, fps=25, size=(3840, 2160), seed=4, background="plain")
    truth = scene.truth()
    path = tmp_path / "uhd.mp4"
    write_video(path, (scene.render(i) for i in range(truth.n_frames)), 25, crf=28, preset="ultrafast")
    info = probe(path)
    assert (info.width, info.height, info.n_frames) == (3840, 2160, truth.n_frames)
    track = track_clip(path, seed_box=truth.boxes[0])
    assert _mean_iou(track, truth.boxes) >= 0.75


def test_upright_phone_video_is_rotated_and_tracked(tmp_path):
    """A phone held upright stores landscape pictures with a 90 deg rotation tag."""
    scene = WalkerScene("approaching", duration=2.0, size=(360, 640), seed=2)
    truth = scene.truth()
    path = tmp_path / "phone.mp4"
    stored = (np.ascontiguousarray(np.rot90(scene.render(i), k=1)) for i in range(truth.n_frames))
    write_video(path, stored, 30, rotation=90)
    info = probe(path)
    assert (info.width, info.height, info.rotation) == (360, 640, 90)
    with VideoReader(path) as r:
        assert r.frame_at(0).shape == (640, 360, 3)
    track = track_clip(path, seed_box=truth.boxes[0])
    assert _mean_iou(track, truth.boxes) >= 0.7


def test_variable_frame_rate_keeps_real_times(tmp_path):
    scene = WalkerScene("crossing", duration=3.0, fps=30, seed=6)
    truth = scene.truth()
    rng = np.random.default_rng(0)
    gaps = rng.choice([1 / 30, 1 / 24, 1 / 60], size=truth.n_frames)  # a phone dropping and doubling frames
    pts = np.concatenate([[0.0], np.cumsum(gaps[:-1])])
    path = tmp_path / "vfr.mp4"
    write_video(path, (scene.render(i) for i in range(truth.n_frames)), 30, pts_seconds=pts)
    with VideoReader(path) as r:
        assert r.info.variable_frame_rate and r.info.n_frames == truth.n_frames
        np.testing.assert_allclose(r.times, pts, atol=2e-3)
        assert r.index_at_time(pts[40] + 0.001) == 40
    track = track_clip(path, seed_box=truth.boxes[0])
    assert len(track) == truth.n_frames and _mean_iou(track, truth.boxes) >= 0.75


@pytest.mark.parametrize("fps", [24000 / 1001, 30000 / 1001, 60000 / 1001])
def test_ntsc_rates_are_timed_exactly(tmp_path, fps):
    scene = WalkerScene("crossing", duration=2.0, fps=fps, seed=3)
    truth = scene.truth()
    path = tmp_path / f"ntsc_{fps:.3f}.mp4"
    write_video(path, (scene.render(i) for i in range(truth.n_frames)), fps)
    info = probe(path)
    assert abs(info.fps - fps) < 1e-6 and info.n_frames == truth.n_frames and not info.variable_frame_rate
    with VideoReader(path) as r:
        np.testing.assert_allclose(r.times, np.arange(truth.n_frames) / fps, atol=1e-3)
    track = track_clip(path, seed_box=truth.boxes[0])
    assert _mean_iou(track, truth.boxes) >= 0.75

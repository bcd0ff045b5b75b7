"""Scrubbing proxies: made by a job beside the project, frame-exact, used only while scrubbing."""

from __future__ import annotations

import os

import numpy as np
import pytest

from stereosync_studio.core.errors import Cancelled
from stereosync_studio.core.progress import CancelToken
from stereosync_studio.jobs import make_proxy, open_scrub_reader, proxy_for, proxy_path
from stereosync_studio.media.proxy import PROXY_HEIGHT, ScrubReader
from stereosync_studio.media.video import VideoReader, probe
from stereosync_studio.media.video_writer import write_video


def _frames(n: int, w: int, h: int):
    for i in range(n):
        img = np.full((h, w, 3), 40, np.uint8)
        img[:, (i * 13) % (w - 40):(i * 13) % (w - 40) + 40] = (200, 60, 30)  # a bar that moves: frames differ
        img[:40, :40] = i * 4  # and a frame counter in the corner
        yield img


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    d = tmp_path_factory.mktemp("proxy")
    return write_video(d / "cam.mp4", _frames(48, 1920, 1080), 24, gop=48, crf=30, preset="ultrafast")


def test_proxy_job_makes_a_frame_exact_small_copy_beside_the_project(clip, tmp_path):
    project = tmp_path / "scene.stereosync.json"
    assert proxy_for(clip, project) is None
    seen = []
    p = make_proxy(clip, project, progress=lambda f, m="": seen.append(f))
    assert p == proxy_path(clip, project) and p.parent == tmp_path / "scene_cache"
    assert seen[-1] == 1.0 and proxy_for(clip, project) == p
    info = probe(p)
    assert info.height == PROXY_HEIGHT and info.n_frames == 48
    with ScrubReader(clip, p) as s, VideoReader(clip) as r:
        assert s.has_proxy
        for i in (0, 17, 47, 3):
            small, full = s.frame_at(i, scrubbing=True), s.frame_at(i)
            assert small.shape == (540, 960, 3) and full.shape == (1080, 1920, 3)
            assert abs(float(small[5:15, 5:15].mean()) - float(r.frame_at(i)[10:30, 10:30].mean())) < 6
    assert make_proxy(clip, project) == p  # already there: not made again
    import av

    with av.open(str(p)) as c:  # no B-frames: a frame decodes from the keyframe forwards only
        kinds = {int(f.pict_type) for f in c.decode(video=0)}  # libavutil's AVPictureType: 1 I, 2 P, 3 B
    assert 3 not in kinds and 1 in kinds, kinds


def test_a_changed_clip_gets_a_new_proxy_and_a_bad_one_is_ignored(clip, tmp_path):
    project = tmp_path / "p.json"
    p = make_proxy(clip, project)
    st = os.stat(clip)
    os.utime(clip, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    assert proxy_for(clip, project) is None  # stale: another name
    bad = proxy_path(clip, project)
    bad.write_bytes(b"not a video")
    with open_scrub_reader(clip, project) as s:
        assert not s.has_proxy and not s.attach_proxy(bad)
        assert s.frame_at(5, scrubbing=True).shape == (1080, 1920, 3)  # falls back to the original
        assert s.attach_proxy(p)  # an explicit attach only checks the frames match
    assert p.exists()


def test_proxy_keeps_variable_frame_rate_timestamps(tmp_path):
    pts = np.cumsum([0.0] + [1 / 30, 1 / 15] * 12)[:24]
    clip = write_video(tmp_path / "vfr.mp4", _frames(24, 640, 360), 30, pts_seconds=pts)
    p = make_proxy(clip, tmp_path / "x.json")
    with VideoReader(p) as r:
        np.testing.assert_allclose(r.times, pts, atol=2e-3)


def test_proxy_can_be_cancelled(clip, tmp_path):
    token = CancelToken()

    def progress(f, m=""):
        if f > 0.2:
            token.cancel()

    with pytest.raises(Cancelled):
        make_proxy(clip, tmp_path / "c.json", progress=progress, cancel=token)
    assert not proxy_path(clip, tmp_path / "c.json").exists()


def test_only_clips_bigger_than_a_proxy_need_one():
    from stereosync_studio.jobs.proxy import needs_proxy

    assert needs_proxy(1920, 1080) and needs_proxy(1080, 1920)  # landscape and portrait phone video
    assert needs_proxy(1280, 720)
    assert not needs_proxy(960, 540) and not needs_proxy(640, 360)


def test_a_proxy_made_before_the_project_was_saved_is_found_after(clip, tmp_path, monkeypatch):
    monkeypatch.setenv("STEREOSYNC_CACHE", str(tmp_path / "user_cache"))
    made = make_proxy(clip, None)  # an unsaved project: the user cache
    assert made.is_relative_to(tmp_path / "user_cache")
    saved = tmp_path / "later" / "scene.stereosync.json"
    assert proxy_for(clip, saved) == made  # not made again once the project has a folder
    assert make_proxy(clip, saved) == made

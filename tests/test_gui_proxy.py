"""The scrubbing proxy in the Studio, offscreen: made in a worker when a 720p clip opens (the tag in
the picture says so), proxy frames while the playhead moves, the original's once it rests, Stop
cancels it, and clips no bigger than a proxy get none."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("pytestqt")

from stereosync_studio import jobs  # noqa: E402
from stereosync_studio.media.video_writer import write_video  # noqa: E402
from tests.gui_fixtures import small_project, studio_home, window  # noqa: E402,F401

pytestmark = pytest.mark.gui


def _clip(path, n: int = 32, size=(1280, 720)):
    w, h = size
    frames = []
    for i in range(n):
        img = np.full((h, w, 3), 50, np.uint8)
        img[:, (i * 23) % (w - 80):(i * 23) % (w - 80) + 80] = (210, 90, 40)
        frames.append(img)
    return write_video(path, frames, 24, gop=n, crf=32, preset="ultrafast")


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("STEREOSYNC_CACHE", str(tmp_path / "user_cache"))  # unsaved projects' proxies
    return tmp_path / "user_cache"


def _project(clip, width=1280, height=720):
    from stereosync_studio.media.video import probe

    info = probe(clip)
    proj = small_project(n_sources=1, duration=info.n_frames / 24.0, fps=24.0, clip_path=str(clip))
    proj.clip.width, proj.clip.height = width, height
    return proj


def test_proxy_is_made_in_the_background_and_shown_only_while_scrubbing(qtbot, window, tmp_path, cache):
    win, clip = window, _clip(tmp_path / "cam720.mp4")
    win.projects.set_project(_project(clip))
    assert win.view.proxy[0] == "building" and win.runner.running("proxy")
    assert "making proxy" in win.video.proxy_tag.textItem.toPlainText()
    qtbot.waitUntil(lambda: win.view.proxy is not None and win.view.proxy[0] == "ready", timeout=60000)
    assert jobs.proxy_for(clip, None) is not None
    assert not win.video.proxy_tag.isVisible()  # paused on the original: nothing to say
    for f in range(4, 30, 5):  # scrubbing: seeks a few ms apart
        win.transport.seek_frame(f)
        qtbot.wait(25)
    qtbot.waitUntil(lambda: win.video.shown_frame == 29 or win.video.shown_from_proxy, timeout=5000)
    assert win.video.shown_from_proxy
    assert win.video.image.image.shape[:2] == (540, 960)  # the proxy's picture, drawn over the clip's size
    assert win.video.proxy_tag.isVisible() and "PROXY" in win.video.proxy_tag.textItem.toPlainText()
    qtbot.waitUntil(lambda: win.video.shown_frame == 29 and not win.video.shown_from_proxy, timeout=5000)
    assert win.video.image.image.shape[:2] == (720, 1280)  # at rest: the original
    assert not win.video.proxy_tag.isVisible()
    x = win.video.image.mapRectToView(win.video.image.boundingRect())
    assert (x.width(), x.height()) == pytest.approx((1280, 720))


def test_stop_making_proxy_cancels_it_and_small_clips_get_none(qtbot, window, tmp_path, cache):
    win, clip = window, _clip(tmp_path / "cam_b.mp4", n=64)
    win.projects.set_project(_project(clip))
    job = win.runner.job("proxy")
    assert job is not None and win.commands.stop_proxy.isEnabled()
    win.commands.stop_proxy.trigger()
    qtbot.waitUntil(lambda: not job.running, timeout=20000)
    assert job.state == "cancelled" and win.view.proxy is None
    assert jobs.proxy_for(clip, None) is None
    small = _clip(tmp_path / "small.mp4", n=12, size=(640, 360))
    win.projects.set_project(_project(small, 640, 360))
    assert win.runner.job("proxy") is None and win.view.proxy is None

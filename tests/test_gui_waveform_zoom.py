"""The envelope lane draws waveforms in bounded memory at any zoom: zoomed out the overview,
zoomed in (once the view settles) one min/max column per pixel read from the audio on demand,
so two clicks 5 ms apart that the overview merges into one column show as two.
"""

from __future__ import annotations

import os

import numpy as np
import pytest

pytest.importorskip("pytestqt")
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from stereosync_studio.gui.document import ProjectDocument  # noqa: E402
from stereosync_studio.gui.lanes.base import LaneContext  # noqa: E402
from stereosync_studio.gui.lanes.envelope_lane import WAVE_REDRAW_MS, EnvelopeLane  # noqa: E402
from stereosync_studio.gui.transport import Transport  # noqa: E402
from stereosync_studio.gui.view_state import ViewState  # noqa: E402
from stereosync_studio.media.waveform_view import WaveformView  # noqa: E402

pytestmark = pytest.mark.gui

SR = 48000


def _clicks(duration: float, at: list[float], seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    audio = rng.normal(0.0, 1e-3, (2, int(duration * SR))).astype(np.float32)
    for t in at:
        audio[:, int(t * SR)] += 0.8
    return audio


def _dips_between(t: np.ndarray, y: np.ndarray, a: float, b: float) -> float:
    """The lowest drawn value strictly between the two clicks, relative to the lower click."""
    inside = (t > a + 1e-3) & (t < b - 1e-3)
    near_a, near_b = np.abs(t - a) < 1e-3, np.abs(t - b) < 1e-3
    if not inside.any() or not near_a.any() or not near_b.any():
        return 1.0
    return float(y[inside].min() / min(y[near_a].max(), y[near_b].max()))


@pytest.fixture
def lane(qtbot) -> EnvelopeLane:
    """An envelope lane on its own, shown offscreen 900 px wide."""
    lane = EnvelopeLane(LaneContext(ProjectDocument(), ViewState(), Transport()))
    qtbot.addWidget(lane)
    lane.resize(900, 240)
    lane.show()
    qtbot.waitExposed(lane)
    return lane


@pytest.mark.parametrize("where,seed", [(20.0, 0), (41.3371, 5)])
def test_zoom_resolves_clicks_the_overview_merges(qtbot, lane, where, seed):
    ctx = lane.ctx
    a, b = where, where + 0.005
    audio = _clicks(60.0, [a, b], seed)
    wave = WaveformView(audio, SR)
    overview = wave.overview()
    lane.vb.setXRange(0.0, 60.0, padding=0)
    ctx.view.guide = (audio, overview, wave)
    qtbot.wait(3 * WAVE_REDRAW_MS)
    t0, y0 = lane.guide_fill.getData()
    top = lane.vb.viewRange()[1][1]
    # zoomed out: exactly the overview (sqrt of the normalised peaks)
    np.testing.assert_allclose(t0, overview[0])
    np.testing.assert_allclose(y0, np.sqrt(overview[1]) * top * 0.9, rtol=1e-6)
    # the overview has one column for both clicks (no dip between them)
    step = overview[0][1] - overview[0][0]
    assert step > 0.005 and _dips_between(t0, y0, a, b) == 1.0

    lane.vb.setXRange(a - 0.1, a + 0.1, padding=0)
    qtbot.wait(3 * WAVE_REDRAW_MS)
    t1, y1 = lane.guide_fill.getData()
    px = lane.vb.width()
    assert px > 100
    assert np.median(np.diff(t1)) <= 0.2 / px * 1.5  # about one column per pixel
    assert t1.min() >= a - 0.1 - 1e-3 and t1.max() <= a + 0.1 + 1e-3
    assert _dips_between(t1, y1, a, b) < 0.2  # two peaks with near-silence between them
    assert y1.max() == pytest.approx(top * 0.9, rel=0.01)  # the clicks are the loudest: same scale as zoomed out

    lane.vb.setXRange(0.0, 60.0, padding=0)  # zoomed out again: the overview again
    qtbot.wait(3 * WAVE_REDRAW_MS)
    np.testing.assert_allclose(lane.guide_fill.getData()[1], y0, rtol=1e-6)


def test_take_waveform_zooms_and_clears(qtbot, lane):
    audio = _clicks(30.0, [12.0, 12.005], 3)
    wave = WaveformView(audio, SR)
    lane.set_take(*wave.overview(), waveform=wave)
    lane.vb.setXRange(11.9, 12.1, padding=0)
    qtbot.wait(3 * WAVE_REDRAW_MS)
    t, y = lane.take_fill.getData()
    assert _dips_between(t, y, 12.0, 12.005) < 0.2
    lane.set_take(None, None)
    assert len(lane.take_fill.getData()[0] if lane.take_fill.getData()[0] is not None else []) == 0

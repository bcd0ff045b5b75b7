"""Where to look and how to fix it, through the real window offscreen: the confidence strip on the
lanes' time axis, U / Shift+U to the uncertain spans, keyframes from box drags, Interpolate
(Ctrl+I) and Re-track from keyframes (Ctrl+R, in a worker, Esc cancels), each one undo step."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("pytestqt")

from PySide6.QtCore import QPointF, Qt  # noqa: E402

from stereosync_studio.gui.lanes.confidence_strip import LEVELS, confidence_levels, level_runs  # noqa: E402
from tests.gui_fixtures import (click, drag, open_project, project_file, small_project, studio_home,  # noqa: E402,F401
                                wait_idle, window, analysed_project_file, demo_clip)

pytestmark = pytest.mark.gui

HIDDEN_SPAN = (40, 56)  # frames [40, 56): the subject behind something, box predicted
DOUBT_SPAN = (70, 75)


def _project_with_spans():
    """One subject over 4 s at 25 fps, seen everywhere but a hidden span and a doubtful one."""
    proj = small_project(n_sources=2, duration=4.0)
    proj.sources[1].track.confidence[:] = 0.95  # the other subject: seen all along
    tr = proj.sources[0].track
    tr.confidence[:] = 0.9
    tr.confidence[slice(*HIDDEN_SPAN)] = 0.2
    tr.confidence[slice(*DOUBT_SPAN)] = 0.45
    tr.confidence[47] = 0.8  # a one-frame glimpse in the middle of the occlusion: still one place to look
    tr.boxes[:2] = tr.boxes[2]  # seen from the first frame
    return proj


def _screen_x(plot_item, t: float) -> float:
    """Global screen x of time `t` on a lane's plot."""
    vb = plot_item.getViewBox()
    gv = plot_item.scene().views()[0]
    p = gv.mapFromScene(vb.mapViewToScene(QPointF(t, 0.5)))
    return float(gv.viewport().mapToGlobal(p).x())


def test_levels_and_runs_follow_the_confidence():
    proj = _project_with_spans()
    tr = proj.sources[0].track
    tr.set_keyframe(60, tr.boxes[60])
    tr.boxes[90:95] = np.nan
    tr.confidence[90:95] = 0.0
    lv = confidence_levels(tr)
    assert lv[0] == len(LEVELS) - 1 and lv[41] == 1 and lv[72] == 2 and lv[92] == 0 and lv[60] == len(LEVELS) - 1
    starts, ends, levels = level_runs(lv)
    assert (40, 47, 1) in zip(starts.tolist(), ends.tolist(), levels.tolist())
    assert (48, 56, 1) in zip(starts.tolist(), ends.tolist(), levels.tolist())
    assert ends[-1] == len(tr) and np.all(starts[1:] == ends[:-1])  # runs tile the clip


def test_strip_aligned_with_lanes_and_u_walks_uncertain_spans(qtbot, window):
    win = window
    win.projects.set_project(_project_with_spans())
    qtbot.wait(50)
    strip, fps = win.confidence, 25.0
    runs = strip.shown_runs()
    red = [r[:2] for r in runs if r[2] == LEVELS[1][1]]
    assert red == [pytest.approx((HIDDEN_SPAN[0] / fps, 47 / fps)), pytest.approx((48 / fps, HIDDEN_SPAN[1] / fps))]
    orange = [r for r in runs if r[2] == LEVELS[2][1]]
    assert orange[0][:2] == pytest.approx((DOUBT_SPAN[0] / fps, DOUBT_SPAN[1] / fps))
    # the strip's time axis is the lanes' one: the same second at the same screen x, also zoomed in
    for rng in (None, (1.0, 2.5)):
        if rng is not None:
            win.view.visible_range = rng
            qtbot.wait(30)
        for t in (HIDDEN_SPAN[0] / fps, 2.2, 3.5):
            if rng is not None and not rng[0] <= t <= rng[1]:
                continue
            assert abs(_screen_x(strip.plot, t) - _screen_x(win.lanes.envelope.plot, t)) <= 1.0
    win.lanes.zoom_fit()
    qtbot.wait(30)
    win.activateWindow()
    assert win.transport.frame == 0
    qtbot.keyClick(win, Qt.Key_U)
    assert win.transport.frame == HIDDEN_SPAN[0]
    assert "0.20" in strip.title_label.text() and "hidden" in strip.title_label.toolTip()
    qtbot.keyClick(win, Qt.Key_U)
    assert win.transport.frame == DOUBT_SPAN[0]
    qtbot.keyClick(win, Qt.Key_U)  # nothing after: stays
    assert win.transport.frame == DOUBT_SPAN[0]
    qtbot.keyClick(win, Qt.Key_U, Qt.ShiftModifier)
    assert win.transport.frame == HIDDEN_SPAN[0]
    win.transport.seek_frame(50)  # inside a span: Shift+U goes to its start first, like a previous marker
    qtbot.keyClick(win, Qt.Key_U, Qt.ShiftModifier)
    assert win.transport.frame == HIDDEN_SPAN[0]
    qtbot.keyClick(win, Qt.Key_U, Qt.ShiftModifier)  # nothing before
    assert win.transport.frame == HIDDEN_SPAN[0]
    assert win.commands.next_uncertain.shortcut().toString() == "U"
    assert "(U)" in win.commands.next_uncertain.toolTip()
    # clicking the strip seeks there
    click(qtbot, strip.plot_widget, strip.vb, 3.01, 0.5)
    assert win.transport.frame == 75
    # the strip is the selected subject's: the other one was seen all along
    assert win.subjects.select_subject("subject2")
    assert not [r for r in strip.shown_runs() if r[2] in (LEVELS[1][1], LEVELS[2][1])]
    win.transport.seek_frame(0)
    qtbot.keyClick(win, Qt.Key_U)
    assert win.transport.frame == 0


def _drag_box_to(qtbot, win, frame: int, dx: float, dy: float) -> list[float]:
    """Seek to `frame` and drag the subject's box by (dx, dy) pixels of the picture, as a hand would."""
    win.transport.seek_frame(frame)
    qtbot.waitUntil(lambda: win.video.shown_frame == frame, timeout=10000)
    x0, y0, x1, y1 = win.video.roi.box()
    cx, cy = 0.5 * (x0 + x1), 0.5 * (y0 + y1)
    drag(qtbot, win.video.gv, win.video.vb, [(cx, cy), (cx + dx / 2, cy + dy / 2), (cx + dx, cy + dy)])
    key = win.doc.source.track.keyframes[frame]
    assert key[0] == pytest.approx(x0 + dx, abs=3.0) and key[1] == pytest.approx(y0 + dy, abs=3.0)
    wait_idle(qtbot, win)  # the re-track a box drag starts (controllers.editing)
    return key


def test_box_corrections_become_keyframes_and_interpolate_is_linear_and_undoable(qtbot, window, project_file):
    win = window
    open_project(qtbot, win, project_file)
    k30 = _drag_box_to(qtbot, win, 30, -40, 20)  # the later one first: the second re-track stops at it
    k10 = _drag_box_to(qtbot, win, 10, 60, 0)
    track = win.doc.source.track
    assert sorted(track.keyframes) == [10, 30]
    keys_x = win.confidence.keys.getData()[0]
    fps = win.doc.project.clip.fps
    assert keys_x == pytest.approx([10.5 / fps, 30.5 / fps])  # gold marks on the strip
    before = track.boxes.copy()
    undo_entries = len(win.doc.undo_stack.commands())
    win.transport.seek_frame(20)
    win.activateWindow()
    qtbot.keyClick(win, Qt.Key_I, Qt.ControlModifier)
    after = win.doc.source.track
    assert len(win.doc.undo_stack.commands()) == undo_entries + 1
    for f in (11, 17, 20, 29):
        want = np.asarray(k10) + (f - 10) / 20.0 * (np.asarray(k30) - np.asarray(k10))
        assert after.boxes[f] == pytest.approx(want, abs=1e-6)
    assert np.array_equal(after.boxes[31:], before[31:], equal_nan=True)  # nothing beyond the keyframes
    assert after.keyframes[10] == k10 and after.keyframes[30] == k30
    qtbot.keyClick(win, Qt.Key_Z, Qt.ControlModifier)
    assert np.array_equal(win.doc.source.track.boxes, before, equal_nan=True)
    # Alt+Left / Alt+Right walk the keyframes
    qtbot.keyClick(win, Qt.Key_Left, Qt.AltModifier)
    assert win.transport.frame == 10
    qtbot.keyClick(win, Qt.Key_Right, Qt.AltModifier)
    assert win.transport.frame == 30


def test_retrack_from_keyframes_runs_in_a_worker_as_one_undo_step(qtbot, window, project_file):
    win = window
    open_project(qtbot, win, project_file)
    src = win.doc.source
    n = len(src.track)
    win.transport.seek_frame(n // 2)
    win.activateWindow()
    qtbot.keyClick(win, Qt.Key_K, Qt.ControlModifier)  # the box shown is right: keyframe
    assert n // 2 in win.doc.source.track.keyframes
    before = win.doc.source.track.copy()
    entries = len(win.doc.undo_stack.commands())
    qtbot.keyClick(win, Qt.Key_R, Qt.ControlModifier)
    job = win.runner.job("retrack")
    assert job is not None and job.running and win.job_bar.isVisible()
    qtbot.keyClick(win, Qt.Key_Escape)  # cancelled: the track stays as it was
    wait_idle(qtbot, win)
    assert job.state == "cancelled"
    assert len(win.doc.undo_stack.commands()) == entries
    assert np.array_equal(win.doc.source.track.boxes, before.boxes, equal_nan=True)
    job = win.keyframes.retrack()
    wait_idle(qtbot, win)
    assert job.state == "finished"
    after = win.doc.source.track
    assert len(win.doc.undo_stack.commands()) == entries + 1
    assert win.doc.undo_stack.undo_label().startswith("Re-track from 1 keyframe")
    assert after.keyframes == before.keyframes
    assert after.boxes[n // 2] == pytest.approx(before.boxes[n // 2])
    sure = before.confidence[:n // 2] >= 0.5  # before the key, what the tracker was sure of stays
    assert sure.mean() > 0.5
    assert np.array_equal(after.boxes[:n // 2][sure], before.boxes[:n // 2][sure], equal_nan=True)
    assert np.isfinite(after.boxes[n // 2:, 0]).mean() > 0.8  # the walker is followed after it
    win.projects.undo()
    assert np.array_equal(win.doc.source.track.boxes, before.boxes, equal_nan=True)

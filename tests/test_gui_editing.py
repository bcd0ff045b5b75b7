"""Editing without surprises, through the real widgets (offscreen): Smooth has a strength and keeps
footsteps at its default, one name per range action everywhere, Undo/Redo name what they undo,
a hand-edited envelope is replaced only after a question, the view (takes, seed, selected take,
lane zoom) comes back with the project, take numbers come from the project's own takes, Export
suggests a folder next to the project, and frames count from 0 everywhere with End on the last.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("pytestqt")

from PySide6.QtCore import Qt, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication, QDialog, QMenu, QMessageBox  # noqa: E402

from stereosync_studio.core.project import Project  # noqa: E402
from stereosync_studio.core.timebase import timecode  # noqa: E402
from stereosync_studio.gui.lanes import edit_tools as et  # noqa: E402
from tests.gui_fixtures import (analysed_project_file, demo_clip, drag, generate_takes, open_project,  # noqa: E402,F401
                                project_file, studio_home, wait_idle, window)

pytestmark = pytest.mark.gui


def _peak(values: np.ndarray, times: np.ndarray, a: float, b: float) -> float:
    m = (times >= a) & (times <= b)
    return float(values[m].max())


def _select(qtbot, lane, a: float, b: float) -> None:
    top = lane.vb.viewRange()[1][1]
    drag(qtbot, lane.plot_widget, lane.vb, [(a, 0.97 * top), (0.5 * (a + b), 0.97 * top), (b, 0.97 * top)])


def _answer_next_box(button) -> None:
    """Click `button` of the next modal message box (the real dialog, shown from a nested loop)."""
    def click():
        box = QApplication.activeModalWidget()
        if isinstance(box, QMessageBox):
            box.button(button).click()
        else:
            QTimer.singleShot(20, click)
    QTimer.singleShot(20, click)


def test_smooth_has_a_strength_and_its_default_keeps_the_steps(qtbot, window, project_file):
    open_project(qtbot, window, project_file)
    lanes, lane = window.lanes, window.lanes.envelope
    env0 = window.doc.source.envelope.copy()
    t = env0.times()
    _select(qtbot, lane, 2.0, 4.0)
    a, b = lanes.ctx.selection
    p0 = _peak(env0.values, t, a, b)
    assert p0 > 0.02  # footsteps in the range
    assert lanes.strength.value() == 20  # the default strength, shown beside Smooth
    statuses = []
    lanes.message.connect(statuses.append)
    for _ in range(2):
        qtbot.mouseClick(lanes.range_buttons["smooth"], Qt.LeftButton)
    p2 = _peak(window.doc.source.envelope.values, t, a, b)
    assert 20 * np.log10(p2 / p0) > -5.0  # was -18 dB after two passes (-4.1 dB on today's sharp strikes)
    assert window.commands.undo.text() == "&Undo Smooth (Envelope, 20 %)"
    assert statuses and "peak" in statuses[-1] and "dB" in statuses[-1]
    # full strength really smooths: the peaks flatten into a contour
    window.projects.undo(), window.projects.undo()
    assert np.array_equal(window.doc.source.envelope.values, env0.values)
    lanes.strength.setValue(100)
    assert window.view.smooth_strength == pytest.approx(1.0)
    qtbot.keyClick(window, Qt.Key_M, Qt.ControlModifier)  # the Edit menu's Smooth (Ctrl+M)
    p_full = _peak(window.doc.source.envelope.values, t, a, b)
    assert p_full < 0.3 * p0 and window.doc.undo_stack.undo_label() == "Smooth (Envelope, 100 %)"
    outside = (t < a - 0.01) | (t > b + 0.01)
    assert np.array_equal(window.doc.source.envelope.values[outside], env0.values[outside])


def test_each_range_action_has_one_name_everywhere(qtbot, window, project_file):
    open_project(qtbot, window, project_file)
    lanes, edit = window.lanes, window.commands
    names = list(et.RANGE_ACTIONS.values())
    assert [lanes.range_buttons[k].text() for k in et.RANGE_ACTIONS] == names  # the lane tool bar
    edit_menu = next(m for m in window.menuBar().findChildren(QMenu) if m.title() == "&Edit")
    menu_texts = [a.text() for a in edit_menu.actions()]
    assert all(n in menu_texts for n in names)  # the Edit menu
    for lane in (lanes.envelope, lanes.pan, lanes.distance):  # every lane's right-click menu
        menu = QMenu()
        lane.fill_menu(menu, 1.0, 0.0)
        texts = [a.text() for a in menu.actions()]
        assert all(n in texts for n in names), texts
    every = menu_texts + [b.text() for b in lanes.range_buttons.values()]
    assert not any(x in every for x in ("Clear selection", "Delete selection", "Clear", "Scale +"))
    # the undo history uses the same words: Clear range on the pan lane, from the Delete key
    lanes.ctx.set_selection((1.0, 2.0), lanes.pan)
    qtbot.keyClick(window, Qt.Key_Delete)
    assert window.doc.undo_stack.undo_label() == "Clear range (Pan)"
    # with the step tool the Delete entry says what it does there
    lanes.ctx.set_tool("step")
    lanes.ctx.set_active(lanes.envelope)
    assert edit.clear_range.text() == et.DELETE_STEPS
    lanes.ctx.set_tool("select")
    assert edit.clear_range.text() == "Clear range"


def test_undo_and_redo_name_what_they_undo(qtbot, window, project_file):
    open_project(qtbot, window, project_file)
    undo, redo = window.commands.undo, window.commands.redo
    assert undo.text() == "&Undo" and not undo.isEnabled()
    lanes = window.lanes
    lanes.ctx.set_selection((1.0, 3.0), lanes.distance)
    qtbot.mouseClick(lanes.range_buttons["up"], Qt.LeftButton)
    assert undo.text() == "&Undo Scale up (Distance)" and "Scale up (Distance)" in undo.toolTip()
    qtbot.keyClick(window, Qt.Key_Z, Qt.ControlModifier)
    assert redo.text() == "&Redo Scale up (Distance)" and undo.text() == "&Undo"
    qtbot.keyClick(window, Qt.Key_Z, Qt.ControlModifier | Qt.ShiftModifier)
    assert undo.text() == "&Undo Scale up (Distance)" and redo.text() == "&Redo"
    assert undo.iconText() == "Undo"  # the tool bar stays short


def test_replacing_a_hand_edited_envelope_asks_first(qtbot, window, project_file):
    open_project(qtbot, window, project_file)
    lane = window.lanes.envelope
    assert window.doc.source.envelope.origin == "audio"
    window.lanes.ctx.set_tool("draw")
    drag(qtbot, lane.plot_widget, lane.vb, [(1.0, 0.08), (1.5, 0.08), (2.0, 0.08)])
    drawn = window.doc.source.envelope.copy()
    assert drawn.origin == "drawn" and "drawn" in lane.title_label.text()
    window.prompts.interactive = True  # the real question
    try:
        _answer_next_box(QMessageBox.No)
        qtbot.mouseClick(lane.b_guide, Qt.LeftButton)
        wait_idle(qtbot, window)
        assert np.array_equal(window.doc.source.envelope.values, drawn.values)  # kept
        _answer_next_box(QMessageBox.Yes)
        qtbot.mouseClick(lane.b_guide, Qt.LeftButton)
        qtbot.waitUntil(lambda: window.doc.source.envelope.origin == "audio", timeout=30000)
        # an envelope nobody edited is replaced without a question
        asked = []
        window.prompts.confirm = lambda title, text: asked.append(title) or True
        qtbot.mouseClick(lane.b_guide, Qt.LeftButton)
        wait_idle(qtbot, window)
        assert asked == []
    finally:
        window.prompts.interactive = False
    window.projects.undo()  # undo gives the drawn one back
    window.projects.undo()
    assert np.array_equal(window.doc.source.envelope.values, drawn.values)
    # a hand-placed step makes it hand-edited too
    window.projects.undo()
    window.lanes.envelope.set_events([1.0, 2.0], "Add step")
    assert window.doc.source.envelope.origin == "drawn"


def test_takes_seed_selection_and_zoom_come_back_with_the_project(qtbot, window, project_file, tmp_path):
    open_project(qtbot, window, project_file)
    panel = window.engine_panel
    takes = generate_takes(qtbot, window, 2)
    assert [t.name for t in takes] == ["take01", "take02"]
    window.takes_panel.select_path(takes[0].path)  # the designer picks the first take
    panel.n_takes.setValue(5)
    panel.seed.setValue(42)
    window.lanes.ruler.vb.setXRange(1.5, 3.25, padding=0.0)  # zoomed in on the lanes
    window.lanes.strength.setValue(35)
    assert window.projects.save_to(str(project_file))
    saved = Project.load(project_file).settings["studio"]
    assert saved["n_takes"] == 5 and saved["seed"] == 42 and saved["selected_take"] == "take01"
    assert saved["visible_range"] == pytest.approx([1.5, 3.25], abs=1e-3)
    # another project, then this one again
    other = tmp_path / "other.stereosync.json"
    Project.load(project_file).save(other)
    data = Project.load(other)
    data.settings = {}
    data.save(other)
    open_project(qtbot, window, other)
    assert window.view.visible_range == pytest.approx((0.0, data.clip.duration))  # nothing saved: the whole clip
    panel.n_takes.setValue(3)
    panel.seed.setValue(7)
    open_project(qtbot, window, project_file)
    assert panel.n_takes.value() == 5 and panel.seed.value() == 42 and window.lanes.strength.value() == 35
    first = window.doc.source.takes[0]
    assert window.view.selected_take == first.path
    assert window.takes_panel.tree.currentItem().text(0) == "take01"
    assert window.lanes.envelope.vb.viewRange()[0] == pytest.approx([1.5, 3.25], abs=1e-3)


def test_take_numbers_come_from_the_project_not_the_folder(qtbot, window, project_file):
    from stereosync_studio.gui.controllers import takes_dir

    open_project(qtbot, window, project_file)
    folder = takes_dir(window.doc.project)
    folder.mkdir(parents=True, exist_ok=True)
    strays = [folder / f"{window.doc.project.name}_take{k:02d}.wav" for k in range(1, 7)]
    for f in strays:  # another session's takes in the same folder
        f.write_bytes(b"not this project's")
    takes = generate_takes(qtbot, window, 2)
    assert [t.name for t in takes] == ["take01", "take02"]
    assert all(f.read_bytes() == b"not this project's" for f in strays)  # never overwritten
    assert len({t.path for t in takes} | {str(f) for f in strays}) == 8
    assert [window.takes_panel.tree.topLevelItem(i).text(0) for i in range(2)] == ["take01", "take02"]


def test_export_suggests_a_folder_next_to_the_project(qtbot, window, project_file, demo_clip):
    from stereosync_studio.gui.export_dialog import APP_TREE, default_export_dir

    open_project(qtbot, window, project_file)
    generate_takes(qtbot, window, 1)
    seen = []

    def read_and_cancel():
        dlg = QApplication.activeModalWidget()
        if isinstance(dlg, QDialog):
            seen.append(dlg.outdir.text())
            dlg.reject()
        else:
            QTimer.singleShot(20, read_and_cancel)

    window.prompts.interactive = True
    try:
        QTimer.singleShot(20, read_and_cancel)
        qtbot.mouseClick(window.takes_panel.b_export, Qt.LeftButton)
    finally:
        window.prompts.interactive = False
    proj = window.doc.project
    assert seen == [str(Path(project_file).resolve().parent / f"{proj.name}_stems")]
    # a project never saved, on a clip inside the Studio's own folder: not there
    unsaved = proj.copy()
    unsaved.path = None
    unsaved.clip.path = str(APP_TREE / "resources" / "demo" / "demo.mp4")
    suggested = default_export_dir(unsaved)
    assert APP_TREE not in suggested.resolve().parents and suggested.name == f"{proj.name}_stems"


def test_frames_count_from_zero_and_end_is_the_last_frame(qtbot, window, project_file):
    open_project(qtbot, window, project_file)
    t, bar = window.transport, window.transport_bar
    n = window.doc.project.clip.n_frames
    qtbot.keyClick(window, Qt.Key_End)
    assert t.frame == n - 1 == t.last_frame
    assert bar.frame_label.text().startswith(f"frame {n - 1} / {n - 1}")
    assert f"{(n - 1) / t.fps:.2f} s" in bar.frame_label.text()
    assert bar.tc.text() == timecode((n - 1) / t.fps, t.fps)
    assert window.video.frame == n - 1
    t.seek(t.duration + 5.0)  # a click past the end lands on the last frame too
    assert t.frame == n - 1 and t.position < t.duration
    qtbot.keyClick(window, Qt.Key_Home)
    assert bar.frame_label.text().startswith(f"frame 0 / {n - 1}")
    qtbot.keyClick(window, Qt.Key_Right)
    assert t.frame == 1 and bar.frame_label.text().startswith("frame 1 /")
    # the undo history and the project file use the same number the transport shows
    qtbot.waitUntil(lambda: window.video.shown_frame == 1, timeout=10000)
    b = window.video.roi.box()
    cx, cy = 0.5 * (b[0] + b[2]), 0.5 * (b[1] + b[3])
    drag(qtbot, window.video.gv, window.video.vb, [(cx, cy), (cx + 10, cy), (cx + 30, cy)])
    assert window.doc.undo_stack.undo_label() == "Move box at frame 1"
    assert 1 in window.doc.source.track.keyframes
    wait_idle(qtbot, window)

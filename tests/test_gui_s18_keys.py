"""A sound designer's hands on the keyboard (session 18 walk-through, real window, offscreen).

After typing a number into a field of the main window and pressing Enter, the window's
shortcuts work again: Space plays, Ctrl+Z undoes the edit (not the field's text), 2 picks the
draw tool. And a refused Surface-lane edit says what happened in plain words, for a moment,
without leaving the lane in an error state.
"""

from __future__ import annotations

import copy

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from stereosync_studio.core.project import Reference, SurfaceRegion
from tests.gui_fixtures import small_project, studio_home, window  # noqa: F401 (fixtures)


def _small_project_with_focus_in(qtbot, win, field) -> None:
    """The small project open, `field` focused with its text selected, as a click leaves it."""
    win.activateWindow()
    win.projects.set_project(small_project(1, duration=2.0))
    field.setFocus(Qt.OtherFocusReason)
    qtbot.waitUntil(lambda: QApplication.focusWidget() is field, timeout=2000)
    field.selectAll()


def _key(qtbot, win, key, modifiers=Qt.NoModifier) -> None:
    """A key as the keyboard sends it: to the widget that has the focus (else the window)."""
    qtbot.keyClick(QApplication.focusWidget() or win, key, modifiers)


def test_enter_in_a_number_field_gives_the_keys_back_to_the_window(qtbot, window):  # noqa: F811
    win = window
    spin = win.engine_panel.n_takes
    _small_project_with_focus_in(qtbot, win, spin)
    qtbot.keyClicks(spin, "5")
    _key(qtbot, win, Qt.Key_Return)
    assert win.view.n_takes == 5 and spin.value() == 5
    _key(qtbot, win, Qt.Key_2)  # the draw tool, not "52" takes
    assert win.lanes.ctx.tool == "draw" and win.view.n_takes == 5
    _key(qtbot, win, Qt.Key_Space)
    assert win.transport.playing
    _key(qtbot, win, Qt.Key_Space)
    assert not win.transport.playing and spin.value() == 5
    seed = win.engine_panel.seed  # Space straight after a click into a field: plays, the field keeps its text
    seed.setFocus(Qt.OtherFocusReason)
    qtbot.waitUntil(lambda: QApplication.focusWidget() is seed, timeout=2000)
    seed.selectAll()
    _key(qtbot, win, Qt.Key_Space)
    assert seed.text() == str(win.view.seed) and win.transport.playing
    win.transport.stop()


def test_ctrl_z_after_a_typed_width_undoes_the_width(qtbot, window):  # noqa: F811
    win = window
    width = win.lanes.pan.width_box
    _small_project_with_focus_in(qtbot, win, width)
    before = win.doc.source.trajectory.pan_width
    assert before == 1.0
    qtbot.keyClicks(width, "50")
    _key(qtbot, win, Qt.Key_Return)
    assert win.doc.source.trajectory.pan_width == 0.5
    _key(qtbot, win, Qt.Key_Z, Qt.ControlModifier)
    assert win.doc.source.trajectory.pan_width == before and width.value() == 100
    _key(qtbot, win, Qt.Key_Z, Qt.ControlModifier | Qt.ShiftModifier)
    assert win.doc.source.trajectory.pan_width == 0.5 and width.value() == 50


def test_a_refused_split_says_why_and_goes_away_with_the_playhead(qtbot, window):  # noqa: F811
    win = window
    win.projects.set_project(small_project(1, duration=2.0))
    lane = win.lanes.surface
    win.doc.edit("surfaces", [SurfaceRegion(0.0, 1.0, Reference("grass"))], "one surface")
    lane.refresh()
    win.transport.seek(0.0)  # on the region's own edge: too close to split
    assert not lane.split_at(0.0)
    text = lane.readout.toolTip() + " " + lane.readout.text()
    assert "too close to an edge of grass" in text
    assert not lane.readout.text().startswith("⚠ s ")  # the sentence, not a mangled one
    assert lane.problem == ""  # the regions themselves are fine
    win.transport.seek(0.5)
    assert lane.readout.text() == "grass · 0.00–1.00"
    assert lane.b_split.isEnabled()
    win.transport.seek(1.5)
    assert not lane.split_at(1.5)
    assert "no surface region at 1.50 s" in lane.readout.toolTip()
    win.transport.seek(1.6)
    assert lane.readout.text() == "subject's reference" and not lane.b_split.isEnabled()


def test_surface_buttons_do_nothing_without_a_project(qtbot, window):  # noqa: F811
    lane = window.lanes.surface
    assert window.doc.project is None
    assert not lane.b_add.isEnabled() and not lane.b_split.isEnabled() and not lane.b_delete.isEnabled()


def test_follow_box_is_off_and_idle_without_a_project(qtbot, window):  # noqa: F811
    """With nothing open, Follow box is not a toggle that flips and does nothing."""
    pan = window.lanes.pan
    assert not pan.b_follow.isEnabled() and not pan.b_follow.isChecked()
    window.projects.set_project(small_project(1, duration=2.0))
    assert pan.b_follow.isEnabled()


def test_heard_vs_box_follows_a_box_edit(qtbot, window):  # noqa: F811
    """The Heard-vs-box lane (and its AV-Align readout) is against the box as it is now, like the
    takes list's Align: after the box moves, the band moves and the take is judged against it."""
    import numpy as np

    from stereosync_studio.core.track import Track
    from tests.gui_fixtures import generate_takes, wait_idle

    win = window
    win.projects.set_project(small_project(1, duration=2.0))
    take = generate_takes(qtbot, win, 1)[0]
    win.view.select_take(take.path)
    qtbot.waitUntil(lambda: win.lanes.heard.alignment is not None, timeout=30000)
    before = win.lanes.heard.alignment
    src = win.doc.source
    moved = src.track.boxes.copy()
    moved[:, [0, 2]] += 240.0  # the box 240 px to the right on every frame
    win.doc.edit("track", Track(moved, src.track.confidence.copy()), "Move box")
    wait_idle(qtbot, win)
    qtbot.waitUntil(lambda: win.lanes.heard.alignment is not before, timeout=8000)
    after = win.lanes.heard.alignment
    shift = np.nanmean(after.box_x0 - before.box_x0)
    assert abs(shift - 240.0) < 1.0
    band = win.lanes.heard.band_lo.getData()[1]
    assert abs(np.nanmean(band) * 640 - np.nanmean(after.box_x0)) < 1.0
    # renamed (double-click in the takes list): the lane names the take by its new name
    renamed = [copy.copy(t) for t in win.doc.source.takes]
    renamed[0].name = "hero steps"
    win.doc.edit("takes", renamed, "Rename take to hero steps")
    assert win.lanes.heard.readout.text().startswith("hero steps: AV-Align")

"""Four papercuts of the Studio walk-through, through the real window offscreen: deleting the only
keyframe re-tracks from the automatic detection (one undo step with the deletion); Undo of a take
deletion selects the take it brings back; no trail over a missing picture; the first Open dialog
starts in the last used folder (else the bundled demo, else home)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("pytestqt")

from PySide6.QtCore import Qt  # noqa: E402

from stereosync_studio.core.project import TakeInfo  # noqa: E402
from stereosync_studio.gui import autosave, start_folder  # noqa: E402
from stereosync_studio.gui.controllers.keyframes import same_subject  # noqa: E402
from tests.gui_fixtures import demo_clip, small_project, studio_home, wait_idle, window  # noqa: E402,F401

pytestmark = pytest.mark.gui


def _wave(path: Path, sr: int = 48000) -> str:
    import soundfile as sf

    path.parent.mkdir(parents=True, exist_ok=True)
    t = np.arange(sr // 2) / sr
    sf.write(str(path), np.stack([np.sin(2 * np.pi * 220 * t)] * 2, 1).astype(np.float32), sr, subtype="FLOAT")
    return str(path)


def _demo_project(demo_clip: Path, tmp_path: Path) -> Path:
    """The demo with a wrong track: the box keyed on frame 60 far left of the walker, the boxes
    after it following that wrong place (what a bad drag leaves)."""
    from stereosync_studio import jobs

    project = jobs.analyze_clip(str(demo_clip), envelope="none")
    tr = project.sources[0].track
    wrong = [10.0, 10.0, 90.0, 200.0]
    tr.boxes[60:] = wrong
    tr.confidence[60:] = 0.9
    tr.set_keyframe(60, wrong)
    path = tmp_path / "demo.stereosync.json"
    project.save(path)
    return path


def test_deleting_the_only_keyframe_retracks_from_the_automatic_detection(qtbot, window, demo_clip, tmp_path):
    win = window
    assert win.projects.open_project(str(_demo_project(demo_clip, tmp_path)))
    wait_idle(qtbot, win)
    before = win.doc.source.track.copy()
    entries = len(win.doc.undo_stack.commands())
    win.transport.seek_frame(60)
    win.activateWindow()
    qtbot.keyClick(win, Qt.Key_K, Qt.ControlModifier | Qt.ShiftModifier)
    assert not win.doc.source.track.keyframes
    assert win.runner.job("retrack") is not None  # nothing left to track from: the detection runs
    assert "re-tracking from the automatic detection" in win.statusBar().currentMessage()
    wait_idle(qtbot, win)
    after = win.doc.source.track
    assert len(win.doc.undo_stack.commands()) == entries + 1  # the deletion and its re-track: one step
    assert "re-tracked from the automatic detection" in win.statusBar().currentMessage()
    # the walker is followed again: nowhere near the wrong box any more
    assert same_subject(after, before) < 0.5
    seen = np.isfinite(after.boxes[60:, 0])
    assert seen.mean() > 0.8 and np.median(after.boxes[60:, 0][seen]) > 200.0
    assert not after.keyframes
    win.projects.undo()  # the keyframe and the track it made come back exactly
    assert win.doc.source.track.keyframes == before.keyframes
    assert np.array_equal(win.doc.source.track.boxes, before.boxes, equal_nan=True)


def test_deleting_the_only_keyframe_without_the_clip_says_the_boxes_stay(qtbot, window):
    win = window
    proj = small_project(1)  # its clip is missing
    tr = proj.sources[0].track
    tr.set_keyframe(10, tr.boxes[10])
    win.projects.set_project(proj)
    before = win.doc.source.track.copy()
    win.transport.seek_frame(10)
    assert win.keyframes.delete_keyframe_here()
    assert win.runner.job("retrack") is None
    msg = win.statusBar().currentMessage()
    assert "boxes kept" in msg and "clip not found" in msg
    assert np.array_equal(win.doc.source.track.boxes, before.boxes, equal_nan=True)
    win.projects.undo()
    assert 10 in win.doc.source.track.keyframes


def test_an_automatic_track_of_another_subject_is_not_taken(qtbot, window, demo_clip, monkeypatch):
    """Two subjects: the detection follows one person, maybe not this one; then the boxes stay."""
    from stereosync_studio import jobs

    win = window
    proj = small_project(2, clip_path=str(demo_clip))
    for s in proj.sources:
        s.track.set_keyframe(10, s.track.boxes[10])
    other = small_project(2)
    monkeypatch.setattr(jobs, "retrack_keyframes", lambda *_a, **_k: (other.sources[0].track.copy(), None))
    win.projects.set_project(proj)
    win.doc.select_source(1)
    win.transport.seek_frame(10)
    before = win.doc.source.track.copy()
    assert win.keyframes.delete_keyframe_here()
    wait_idle(qtbot, win)
    assert "follows another subject" in win.statusBar().currentMessage()
    assert np.array_equal(win.doc.source.track.boxes, before.boxes, equal_nan=True)
    win.doc.select_source(0)  # the subject the detection follows: re-tracked from it
    before = win.doc.source.track.copy()
    before.boxes[10:] += 5.0  # a little off, still the same person
    win.doc.edit("track", before, "nudge")
    assert win.keyframes.delete_keyframe_here()
    wait_idle(qtbot, win)
    assert np.array_equal(win.doc.source.track.boxes, other.sources[0].track.boxes, equal_nan=True)
    win.projects.undo()
    assert win.doc.source.track.keyframes == before.keyframes


def test_same_subject_tells_one_walker_from_two():
    a = small_project(2).sources
    assert same_subject(a[0].track, a[0].track) == pytest.approx(1.0)
    assert same_subject(a[0].track, a[1].track) < 0.3  # 200 px apart, 80 px wide


def test_undo_of_a_deleted_take_selects_it_again(qtbot, window, tmp_path):
    win = window
    proj = small_project(1)
    takes = [TakeInfo(_wave(tmp_path / f"t{k}.wav"), f"take0{k}", "sampler", k, 48000) for k in (1, 2, 3)]
    proj.sources[0].takes = takes
    win.projects.set_project(proj)
    panel = win.takes_panel
    for victim in (takes[1], takes[2]):  # one in the middle, then the last one
        panel.select_path(victim.path)
        assert win.view.selected_take == victim.path
        qtbot.mouseClick(panel.b_delete, Qt.LeftButton)
        assert victim.path not in [t.path for t in win.doc.source.takes]
        assert win.view.selected_take != victim.path
        win.activateWindow()
        qtbot.keyClick(win, Qt.Key_Z, Qt.ControlModifier)  # Ctrl held while the list rebuilds
        assert [t.path for t in win.doc.source.takes] == [t.path for t in takes]
        assert win.view.selected_take == victim.path
        assert [it.data(0, Qt.UserRole) for it in panel.tree.selectedItems()] == [victim.path]  # highlighted
        assert panel.b_delete.isEnabled()
    # the only take: deleted, nothing selected; back with Undo and selected
    win.doc.edit("takes", [takes[0]], "Delete 2 take(s)")
    panel.select_path(takes[0].path)
    qtbot.mouseClick(panel.b_delete, Qt.LeftButton)
    assert win.view.selected_take is None
    win.projects.undo()
    assert win.view.selected_take == takes[0].path


def test_no_trail_over_a_missing_picture(qtbot, window, demo_clip, tmp_path):
    win = window
    proj = small_project(1)
    win.projects.set_project(proj)  # clip missing
    assert len(win.video.trail.data) > 0  # the path is known...
    assert not win.video.trail.isVisible()  # ...but not drawn over nothing
    assert win.video.placeholder.isVisible() and "not found" in win.video.placeholder.textItem.toPlainText()
    win.doc.relink_clip(str(demo_clip))  # the clip found again: the trail comes back
    assert win.video.trail.isVisible() and not win.video.placeholder.isVisible()


def test_open_dialog_starts_in_the_last_used_folder(qtbot, studio_home, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QFileDialog, QMainWindow

    from stereosync_studio.gui.prompts import WindowPrompts

    asked: list[str] = []
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda _w, _t, start, _f: (asked.append(start), ("", ""))[1])
    win = QMainWindow()
    qtbot.addWidget(win)
    prompts = WindowPrompts(win, interactive=True)
    monkeypatch.chdir(tmp_path)
    demo = start_folder.DEMO_FOLDER
    assert prompts.ask_open_file("Open", "*") is None
    assert asked[-1] == str(demo if demo.is_dir() else Path.home())  # first run: never the working folder
    monkeypatch.setattr(start_folder, "DEMO_FOLDER", tmp_path / "no_demo_here")
    prompts.ask_open_file("Open", "*")
    assert asked[-1] == str(Path.home())
    used = tmp_path / "shoots" / "day2"
    used.mkdir(parents=True)
    (used / "walk.stereosync.json").write_text("{}")
    autosave.add_recent(str(used / "walk.stereosync.json"), wait=True)
    prompts.ask_open_file("Open", "*")
    assert asked[-1] == str(used.resolve())
    (used / "walk.stereosync.json").unlink()  # a recent file gone, its folder still there: still that folder
    prompts.ask_open_file("Open", "*")
    assert asked[-1] == str(used.resolve())

"""The Studio driven through its real widgets, offscreen: open the demo, move a box keyframe, draw
on the envelope lane, generate takes in the worker while the event loop keeps running, undo/redo,
export, save and reopen."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("pytestqt")

from PySide6.QtCore import Qt  # noqa: E402

from stereosync_studio.core.project import Project  # noqa: E402
from tests.gui_fixtures import (LoopMonitor, analysed_project_file, click, demo_clip, drag, open_project,  # noqa: E402,F401
                                project_file, studio_home, wait_idle, window)

pytestmark = pytest.mark.gui


def test_open_demo_clip_tracks_and_fills_lanes(qtbot, window, demo_clip):
    job = window.projects.open_clip(str(demo_clip))
    assert job is not None
    wait_idle(qtbot, window)
    proj = window.doc.project
    assert proj is not None and proj.clip.n_frames > 50
    src = proj.source()
    seen = ~np.isnan(src.track.boxes[:, 0])
    assert seen.mean() > 0.8  # the walker is found in most frames
    qtbot.waitUntil(lambda: window.video.shown_frame == 0, timeout=20000)
    # the picture shows the clip's first frame and the box sits on the subject
    img = window.video.image.image
    assert img is not None and img.ndim == 3 and img.shape[2] == 3
    assert window.video.roi.isVisible()
    box = window.video.roi.box()
    assert np.allclose(box, src.track.boxes[0], atol=0.5)
    # lanes show the document's curves on the shared time axis
    x, y = window.lanes.envelope.env_curve.getData()
    assert len(x) == len(src.envelope.values) and np.allclose(y, src.envelope.values)
    assert src.envelope.origin == "audio" and src.envelope.values.max() > 0.01
    px, py = window.lanes.pan.curve_item.getData()
    assert np.allclose(py, src.trajectory.pan)
    qtbot.waitUntil(lambda: len(window.lanes.envelope.auto_events) > 3, timeout=10000)
    assert window.windowTitle().startswith(proj.name)
    # a freshly analysed, untouched project is not dirty: it never autosaves over a recovery file
    assert not window.doc.is_dirty() and window.autosaver.tick() is None


def test_box_drag_sets_keyframe_retracks_and_undoes(qtbot, window, project_file):
    open_project(qtbot, window, project_file)
    assert not window.video.busy.isVisible()  # nothing runs: no busy label on the picture
    src = window.doc.source
    frame = 20
    window.transport.seek_frame(frame)
    qtbot.waitUntil(lambda: window.video.shown_frame == frame, timeout=10000)
    before_boxes = src.track.boxes.copy()
    before_pan = src.trajectory.pan.copy()
    b = window.video.roi.box()
    cx, cy = 0.5 * (b[0] + b[2]), 0.5 * (b[1] + b[3])
    shift = 0.12 * window.doc.project.clip.width
    drag(qtbot, window.video.gv, window.video.vb, [(cx, cy), (cx + shift / 3, cy), (cx + shift, cy)])
    src = window.doc.source
    assert frame in src.track.keyframes
    key = np.array(src.track.keyframes[frame])
    assert key[0] - before_boxes[frame, 0] == pytest.approx(shift, abs=0.05 * shift)
    assert key[2] - key[0] == pytest.approx(before_boxes[frame, 2] - before_boxes[frame, 0], abs=2.0)
    assert window.doc.undo_stack.undo_label().startswith("Move box")
    wait_idle(qtbot, window)  # the background re-track from the keyframe
    assert not window.video.busy.isVisible() and window.view.busy_text == ""
    src = window.doc.source
    later = src.track.boxes[frame + 1: frame + 6]
    assert np.all(np.abs(later[:, 0] - before_boxes[frame + 1: frame + 6, 0]) > 0.3 * shift)
    assert src.trajectory.pan[frame] > before_pan[frame] + 0.02  # the pan lane follows the box
    assert len(window.doc.undo_stack) == 1  # keyframe + re-track are one undo step
    window.projects.undo()
    src = window.doc.source
    assert frame not in src.track.keyframes
    assert np.allclose(src.track.boxes, before_boxes, equal_nan=True)
    assert np.allclose(src.trajectory.pan, before_pan)
    window.projects.redo()
    assert frame in window.doc.source.track.keyframes


def test_draw_step_and_range_edits_on_envelope_lane(qtbot, window, project_file):
    open_project(qtbot, window, project_file)
    lane = window.lanes.envelope
    env0 = window.doc.source.envelope.copy()
    qtbot.mouseClick(window.lanes.tool_buttons["draw"], Qt.LeftButton)
    assert window.lanes.ctx.tool == "draw"
    top = lane.vb.viewRange()[1][1]
    level = round(0.5 * top, 4)
    drag(qtbot, lane.plot_widget, lane.vb, [(1.0, level), (1.3, level), (1.7, level), (2.0, level)])
    env = window.doc.source.envelope
    t = env.times()
    inside = (t >= 1.05) & (t <= 1.95)
    assert np.allclose(env.values[inside], level, atol=0.02 * top)
    outside = (t < 0.9) | (t > 2.1)
    assert np.array_equal(env.values[outside], env0.values[outside])
    assert env.origin == "drawn"
    assert len(window.doc.undo_stack) == 1  # one stroke, one undo step
    # steps: a click with the step tool adds one exactly there
    qtbot.mouseClick(window.lanes.tool_buttons["step"], Qt.LeftButton)
    qtbot.waitUntil(lambda: len(lane.auto_events) > 0, timeout=10000)
    n_auto = len(lane.auto_events)
    # the middle of the widest gap between the found steps (a click on a step grabs that step)
    marks = np.r_[0.5, np.sort([float(e) for e in lane.auto_events if 0.5 < e < 6.0]), 6.0]
    k = int(np.argmax(np.diff(marks)))
    at = float(marks[k] + marks[k + 1]) / 2
    click(qtbot, lane.plot_widget, lane.vb, at, 0.5 * top)
    ev = window.doc.source.envelope.events
    assert ev is not None and len(ev) == n_auto + 1
    assert min(abs(e - at) for e in ev) < 0.02
    # select a range and scale it with the toolbar button
    qtbot.mouseClick(window.lanes.tool_buttons["select"], Qt.LeftButton)
    drag(qtbot, lane.plot_widget, lane.vb, [(3.0, 0.95 * top), (3.5, 0.95 * top), (4.0, 0.95 * top)])
    sel = window.lanes.ctx.selection
    assert sel is not None and sel[0] == pytest.approx(3.0, abs=0.05) and sel[1] == pytest.approx(4.0, abs=0.05)
    before = window.doc.source.envelope.values.copy()
    qtbot.mouseClick(window.lanes.range_buttons["down"], Qt.LeftButton)
    after = window.doc.source.envelope.values
    m = (t >= sel[0]) & (t <= sel[1])
    assert np.allclose(after[m], before[m] / 1.2, atol=1e-6)
    # Ctrl+Z three times (keyboard) brings back the analysed envelope exactly; Ctrl+Shift+Z redoes
    for _ in range(3):
        qtbot.keyClick(window, Qt.Key_Z, Qt.ControlModifier)
    assert np.array_equal(window.doc.source.envelope.values, env0.values)
    assert window.doc.source.envelope.events is None
    qtbot.keyClick(window, Qt.Key_Z, Qt.ControlModifier | Qt.ShiftModifier)
    assert np.allclose(window.doc.source.envelope.values[inside], level, atol=0.02 * top)
    x, y = lane.env_curve.getData()  # the lane redrew from the document
    assert np.allclose(y, window.doc.source.envelope.values)


def test_envelope_from_csv_guide_and_video_buttons(qtbot, window, project_file, tmp_path):
    open_project(qtbot, window, project_file)
    dur = window.doc.project.clip.duration
    csv = tmp_path / "env.csv"
    csv.write_text("time,value\n0,0\n1,0.5\n2,0\n")
    job = window.editing.envelope_from_mode(str(csv))
    qtbot.waitUntil(lambda: not job.running, timeout=30000)
    env = window.doc.source.envelope
    assert job.state == "finished", job.error
    assert env.origin == "csv" and float(env.at(1.0)) == pytest.approx(0.5, abs=0.01)
    assert float(env.at(0.5)) == pytest.approx(0.25, abs=0.01) and env.duration == pytest.approx(dur, abs=0.01)
    assert window.doc.undo_stack.undo_label() == "Envelope from env.csv"
    qtbot.mouseClick(window.lanes.envelope.b_guide, Qt.LeftButton)  # back to the clip's own audio
    qtbot.waitUntil(lambda: window.doc.source.envelope.origin == "audio", timeout=30000)
    assert np.allclose(window.doc.source.envelope.values[:100],
                       window.doc.project.guide_envelope.values[:100])
    if window.lanes.envelope.b_video.isEnabled():
        qtbot.mouseClick(window.lanes.envelope.b_video, Qt.LeftButton)
        wait_idle(qtbot, window)
        env = window.doc.source.envelope
        assert env.origin == "video" or window.prompts.last_error  # a clear message when it cannot
        if env.origin == "video":
            assert env.values.max() > 0


def test_ruler_seeks_and_sets_loop_and_steps_move(qtbot, window, project_file):
    open_project(qtbot, window, project_file)
    ruler, lane = window.lanes.ruler, window.lanes.envelope
    dur = window.doc.project.clip.duration
    assert window.view.visible_range == pytest.approx((0.0, dur), abs=1e-6)  # a new project: the whole clip
    window.view.visible_range = (1.0, 3.0)  # the view state's window moves every lane
    assert lane.vb.viewRange()[0] == pytest.approx([1.0, 3.0], abs=1e-6)
    ruler.vb.setXRange(0.5, 2.5, padding=0.0)  # zooming the lanes writes it back
    assert window.view.visible_range == pytest.approx((0.5, 2.5), abs=1e-6)
    qtbot.keyClick(window, Qt.Key_0, Qt.ControlModifier)  # Fit
    assert lane.vb.viewRange()[0] == pytest.approx([0.0, dur], abs=1e-6)
    click(qtbot, ruler.plot_widget, ruler.vb, 2.5, 0.5)
    assert window.transport.position == pytest.approx(2.5, abs=0.03)
    assert window.video.frame == window.transport.frame
    drag(qtbot, ruler.plot_widget, ruler.vb, [(1.0, 0.5), (2.0, 0.5), (3.0, 0.5)], modifiers=Qt.ShiftModifier)
    t = window.transport
    assert t.loop_enabled and t.loop_in == pytest.approx(1.0, abs=0.03) and t.loop_out == pytest.approx(3.0, abs=0.03)
    # steps tool: add one, drag it later in time, right-click deletes it
    window.lanes.ctx.set_tool("step")
    top = lane.vb.viewRange()[1][1]
    qtbot.waitUntil(lambda: len(lane.auto_events) > 0, timeout=10000)
    click(qtbot, lane.plot_widget, lane.vb, 3.33, 0.5 * top)
    drag(qtbot, lane.plot_widget, lane.vb, [(3.33, 0.5 * top), (3.5, 0.5 * top), (3.7, 0.5 * top)])
    ev = window.doc.source.envelope.events
    assert min(abs(e - 3.7) for e in ev) < 0.02 and min(abs(e - 3.33) for e in ev) > 0.05
    n = len(ev)
    click(qtbot, lane.plot_widget, lane.vb, 3.7, 0.5 * top, button=Qt.RightButton)
    assert len(window.doc.source.envelope.events) == n - 1


def test_pan_lane_draw_stops_following_box_and_follow_restores(qtbot, window, project_file):
    open_project(qtbot, window, project_file)
    lane = window.lanes.pan
    pan0 = window.doc.source.trajectory.pan.copy()
    window.lanes.ctx.set_tool("draw")
    drag(qtbot, lane.plot_widget, lane.vb, [(1.0, -0.6), (1.5, -0.6), (2.0, -0.6)])
    tr = window.doc.source.trajectory
    assert not tr.follow_box
    t = tr.times()
    assert np.allclose(tr.pan[(t > 1.1) & (t < 1.9)], -0.6, atol=0.03)
    qtbot.mouseClick(lane.b_follow, Qt.LeftButton)
    tr = window.doc.source.trajectory
    assert tr.follow_box and np.allclose(tr.pan, pan0, atol=1e-3)


def test_drag_a_point_on_the_pan_curve(qtbot, window, project_file):
    open_project(qtbot, window, project_file)
    lane = window.lanes.pan
    tr = window.doc.source.trajectory
    t = tr.times()
    i = int(np.argmin(np.abs(t - 3.0)))
    p0 = float(tr.pan[i])
    drag(qtbot, lane.plot_widget, lane.vb, [(t[i], p0), (t[i], p0 + 0.15), (t[i], p0 + 0.3)])
    pan = window.doc.source.trajectory.pan
    assert pan[i] == pytest.approx(p0 + 0.3, abs=0.03)
    far = np.abs(t - t[i]) > 1.0
    assert np.allclose(pan[far], tr.pan[far])
    near = (np.abs(t - t[i]) > 0.02) & (np.abs(t - t[i]) < 0.1)
    assert np.all(pan[near] > tr.pan[near]) and np.all(pan[near] < p0 + 0.3)
    assert window.doc.undo_stack.undo_label() == "Drag Pan" and len(window.doc.undo_stack) == 1


def test_reference_and_engine_panels_edit_the_source(qtbot, window, project_file, tmp_path):
    import shutil

    from tests.gui_fixtures import HARD

    open_project(qtbot, window, project_file)
    folder = tmp_path / "refs"
    folder.mkdir()
    for f in HARD:
        shutil.copy(f, folder)
    panel = window.reference_panel
    panel.set_path(str(folder))
    assert window.doc.source.reference.path == str(folder) and panel.list.count() == len(HARD)
    panel.list.item(0).setCheckState(Qt.Unchecked)
    files = window.doc.source.reference.files
    assert len(files) == len(HARD) - 1 and panel.list.item(0).data(Qt.UserRole) not in files
    window.projects.undo()
    assert window.doc.source.reference.files == [] and panel.list.item(0).checkState() == Qt.Checked
    # engine: the diffusion entry is listed but disabled with its reason; options are undoable edits
    eng = window.engine_panel
    i = eng.combo.findData("diffusion")
    assert i >= 0
    item = eng.combo.model().item(i)
    if not eng.engines["diffusion"].ok:
        assert not item.isEnabled() and item.toolTip() and eng.reason.isVisible()
    spin = eng.widgets["min_spacing"]
    spin.setValue(0.4)
    assert window.doc.source.engine_options["min_spacing"] == pytest.approx(0.4)
    window.projects.undo()
    assert "min_spacing" not in window.doc.source.engine_options
    assert eng.widgets["min_spacing"].value() == pytest.approx(0.22)


def test_generate_two_takes_in_worker_keeps_loop_alive(qtbot, window, project_file):
    open_project(qtbot, window, project_file)
    panel = window.engine_panel
    panel.n_takes.setValue(2)
    panel.seed.setValue(11)
    monitor = LoopMonitor(5).start()
    qtbot.mouseClick(panel.b_generate, Qt.LeftButton)
    job = window.runner.job("generate")
    assert job.running and panel.b_cancel.isEnabled() and not panel.b_generate.isEnabled()
    ticks_at_start = monitor.ticks
    progress_seen = []
    job.progress.connect(lambda f, m: progress_seen.append(f))
    ticks_at_done = []
    job.done.connect(lambda: ticks_at_done.append(monitor.ticks))
    qtbot.waitUntil(lambda: not job.running, timeout=120000)
    monitor.stop()
    assert job.state == "finished", job.error
    # the GUI thread kept running its timer and received progress while the worker generated
    # (a blocked event loop would deliver no tick and no progress until the end)
    assert ticks_at_done[0] - ticks_at_start >= 3 and len(progress_seen) >= 2
    takes = window.doc.source.takes
    assert [t.seed for t in takes] == [11, 12]
    assert all(Path(t.path).is_file() for t in takes)
    assert window.takes_panel.tree.topLevelItemCount() == 2
    assert panel.seed.value() == 13 and not panel.b_cancel.isEnabled()
    assert (window.view.seed, window.view.n_takes) == (13, 2)  # the spin boxes edit the view state
    wait_idle(qtbot, window)  # the takes' scores (in the background), the selected take's audio and heard-vs-box
    takes = window.doc.source.takes
    assert all(np.isfinite(list(t.metrics.values())).all() and t.metrics for t in takes)
    assert window.takes_panel.tree.topLevelItem(0).text(3) not in ("", "–", "scoring…")  # E-L1 column
    assert window.lanes.heard.alignment is not None
    tx, ty = window.lanes.envelope.take_fill.getData()
    assert tx is not None and len(tx) > 100
    assert window.doc.undo_stack.undo_label().startswith("Generate 2")
    # audition flags: the selected take plays; solo wins; mute silences; A/B flips the selection
    mixer, panel_t = window.transport.mixer, window.takes_panel
    a, b = ("take:" + t.path for t in takes)
    assert panel_t.selected_take().path == takes[1].path
    assert b in mixer.tracks and mixer.tracks[b].muted is False
    # (each take was selected, so loaded, as it landed: the first one may be in the mixer already)
    window.playback.ab_switch()
    assert panel_t.selected_take().path == takes[0].path
    qtbot.waitUntil(lambda: a in mixer.tracks, timeout=30000)
    assert mixer.tracks[a].muted is False and mixer.tracks[b].muted is True
    panel_t.tree.topLevelItem(1).setCheckState(5, Qt.Checked)  # solo take 2
    assert window.doc.source.takes[1].solo and mixer.tracks[b].muted is False and mixer.tracks[a].muted is True
    panel_t.tree.topLevelItem(1).setCheckState(6, Qt.Checked)  # and mute it
    assert mixer.tracks[b].muted is True
    window.projects.undo(), window.projects.undo()
    assert not window.doc.source.takes[1].solo and not window.doc.source.takes[1].muted
    # delete the selected take; undo brings it back (its file was never removed)
    panel_t.select_path(takes[0].path)
    qtbot.mouseClick(panel_t.b_delete, Qt.LeftButton)
    assert [t.seed for t in window.doc.source.takes] == [12]
    window.projects.undo()
    assert [t.seed for t in window.doc.source.takes] == [11, 12]
    window.projects.undo()
    assert window.doc.source.takes == [] and window.takes_panel.tree.topLevelItemCount() == 0


def test_cancel_button_stops_generation_and_keeps_finished_takes(qtbot, window, project_file):
    open_project(qtbot, window, project_file)
    panel = window.engine_panel
    panel.n_takes.setValue(16)
    qtbot.mouseClick(panel.b_generate, Qt.LeftButton)
    job = window.runner.job("generate")
    qtbot.waitUntil(lambda: panel.progress.value() > 0, timeout=60000)  # it is really working
    qtbot.mouseClick(panel.b_cancel, Qt.LeftButton)
    qtbot.waitUntil(lambda: not job.running, timeout=60000)
    assert job.state == "cancelled"
    takes = window.doc.source.takes
    assert len(takes) < 16 and all(Path(t.path).is_file() for t in takes)
    assert panel.b_generate.isEnabled() and not panel.b_cancel.isEnabled()


def test_export_stems_then_reopen_finds_every_edit(qtbot, window, project_file, tmp_path, studio_home):
    import soundfile as sf

    from stereosync_studio.gui.export_dialog import ExportChoice

    open_project(qtbot, window, project_file)
    window.engine_panel.n_takes.setValue(1)
    window.generation.generate()
    wait_idle(qtbot, window)
    take = window.doc.source.takes[0]
    # edits of every kind
    track = window.doc.source.track.copy()
    box = [float(v) for v in track.filled()[10]]
    window.editing.box_edited(10, [box[0] + 20, box[1], box[2] + 20, box[3]])
    wait_idle(qtbot, window)
    lane = window.lanes.envelope
    window.lanes.ctx.set_tool("draw")
    drag(qtbot, lane.plot_widget, lane.vb, [(0.5, 0.05), (1.0, 0.05)])
    window.takes_panel.tree.topLevelItem(0).setText(0, "hero03")
    assert window.doc.source.takes[0].name == "hero03"
    out = tmp_path / "stems"
    job = window.generation.export(ExportChoice([window.doc.source.takes[0]], str(out), 44100, 24, 0.5, False))
    qtbot.waitUntil(lambda: not job.running, timeout=60000)
    assert job.state == "finished", job.error
    proj = window.doc.project
    expected = out / f"{proj.name}_{window.doc.source.name}_take03.wav"
    assert [Path(p) for p in job.result] == [expected]
    info = sf.info(str(expected))
    assert info.samplerate == 44100 and info.subtype == "PCM_24" and info.channels == 2
    assert info.frames == int(round(proj.clip.duration * 44100))
    from stereosync_studio.media.bwf import read_bext

    assert read_bext(expected)["time_reference"] == 22050  # 0.5 s at 44.1 kHz (BWF bext)
    # save, reopen in a new window: the same edits are there
    assert window.projects.save_to(str(project_file))
    assert not window.doc.is_dirty()
    reopened = Project.load(project_file)
    src, live = reopened.source(), window.doc.source
    assert 10 in src.track.keyframes and np.allclose(src.track.keyframes[10], live.track.keyframes[10])
    assert np.allclose(src.envelope.values, live.envelope.values, atol=1e-4)
    assert [t.name for t in src.takes] == ["hero03"] and Path(src.takes[0].path).resolve() == Path(take.path).resolve()
    assert np.allclose(src.trajectory.pan, live.trajectory.pan, atol=1e-4)


def test_autosave_and_crash_recovery(qtbot, window, project_file, studio_home):
    from stereosync_studio.gui import autosave
    from stereosync_studio.gui.main_window import MainWindow

    open_project(qtbot, window, project_file)
    env = window.doc.source.envelope.copy()
    env.values[:50] = 0.3
    window.doc.edit("envelope", env, "test edit")
    path = window.autosaver.tick()
    window.autosaver.flush()
    assert path is not None and Path(path).is_file()
    assert Path(path) == autosave.newer_autosave(str(project_file))
    assert window.autosaver.tick() is None  # nothing new since: no rewrite
    # "crash": a second window opens the same project and recovers the unsaved edit
    other = MainWindow(interactive=False, autosave_interval_s=3600)
    qtbot.addWidget(other)
    assert other.projects.open_project(str(project_file))  # not interactive: recovery is the default answer
    assert np.allclose(other.doc.source.envelope.values[:50], 0.3)
    assert other.doc.is_dirty() and other.doc.path == str(project_file)
    assert other.projects.save_to(str(project_file))
    assert autosave.newer_autosave(str(project_file)) is None
    other.shutdown()
    # a never-saved project autosaves into the recovery folder; the next start offers it
    unsaved = Project.load(project_file)
    unsaved.path = None
    window.projects.set_project(unsaved, dirty=True)
    window.doc.edit("envelope", env, "another edit")
    orphan = window.autosaver.tick()
    window.autosaver.flush()
    assert orphan is not None and Path(orphan).parent == studio_home / "recovery"
    third = MainWindow(interactive=False, autosave_interval_s=3600)
    qtbot.addWidget(third)
    assert third.projects.offer_recovery()
    assert third.doc.path is None and np.allclose(third.doc.source.envelope.values[:50], 0.3)
    third.shutdown()


def test_transport_keys_and_no_audio_device(qtbot, window, project_file, monkeypatch):
    from stereosync_studio.gui import audition

    open_project(qtbot, window, project_file)
    t = window.transport
    fps = t.fps
    qtbot.keyClick(window, Qt.Key_Right)
    assert t.frame == 1
    qtbot.keyClick(window, Qt.Key_Right, Qt.ShiftModifier)
    assert t.frame == 1 + int(round(fps))
    qtbot.keyClick(window, Qt.Key_End)  # the last frame, not one past it
    assert t.frame == window.doc.project.clip.n_frames - 1 and t.position < t.duration
    qtbot.keyClick(window, Qt.Key_Home)
    assert t.position == 0.0
    t.seek(1.0)
    qtbot.keyClick(window, Qt.Key_I)
    t.seek(2.0)
    qtbot.keyClick(window, Qt.Key_O)
    assert (t.loop_in, t.loop_out, t.loop_enabled) == (pytest.approx(1.0), pytest.approx(2.0), True)
    assert window.lanes.envelope.loop_region.isVisible()
    # no output device: a clear message, and the picture still plays on the wall clock
    monkeypatch.setattr(audition, "output_status", lambda: (False, "no audio output device found"))
    t.player.available, t.player.reason = audition.output_status()
    window.transport_bar.set_audio_status(False, t.player.reason)
    assert "no audio output" in window.transport_bar.audio_label.text()
    t.seek(1.0)
    qtbot.keyClick(window, Qt.Key_Space)
    assert t.playing and not t.player.audible
    qtbot.wait(400)
    assert 1.0 < t.position <= 2.0 and window.video.frame == t.frame
    qtbot.keyClick(window, Qt.Key_Space)
    assert not t.playing
    qtbot.keyClick(window, Qt.Key_L)
    qtbot.keyClick(window, Qt.Key_L)
    assert t.rate == 2.0
    qtbot.keyClick(window, Qt.Key_J)
    assert t.rate == -1.0
    qtbot.keyClick(window, Qt.Key_K)
    assert not t.playing


def test_bad_file_is_a_message_not_a_crash(qtbot, window, tmp_path):
    bad = tmp_path / "broken.mp4"
    bad.write_bytes(b"this is not a video")
    window.projects.open_path(str(bad))
    wait_idle(qtbot, window)
    assert "broken.mp4" in window.prompts.last_error
    assert window.doc.project is None
    window.projects.open_path(str(tmp_path / "missing.stereosync.json"))
    assert "not found" in window.prompts.last_error


def test_screenshot_command_writes_window_picture(qtbot, project_file, tmp_path, studio_home):
    from PySide6.QtGui import QImage

    from stereosync_studio.gui.app import main

    out = tmp_path / "shot.png"
    assert main([str(project_file), "--screenshot", str(out), "--at", "1.0"]) == 0
    img = QImage(str(out))
    assert (img.width(), img.height()) == (1600, 1000)

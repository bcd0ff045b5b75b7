"""Issue 10 in the Studio, through the real widgets (offscreen): the footstep guide lane with its
kept steps and rejected transients (reason on hover), the pan Width / lens controls (one
undoable edit, kept by box edits), the Surface lane (drag an edge, add, split, delete, a
clear error, undo, saved), and Record (a clear message without a microphone).
"""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("pytestqt")

from PySide6.QtCore import QEvent, Qt  # noqa: E402
from PySide6.QtWidgets import QMenu  # noqa: E402

from stereosync_studio.core.guide import GuideReport, GuideStep, RejectedTransient  # noqa: E402
from stereosync_studio.core.project import Project, Reference, SurfaceRegion  # noqa: E402
from stereosync_studio.core.trajectory import pan_from_x  # noqa: E402
from tests.audio_fixtures import pulse_sink  # noqa: E402,F401 (fixture)
from tests.gui_fixtures import (_send, analysed_project_file, demo_clip, drag, open_project,  # noqa: E402,F401
                                project_file, studio_home, view_to_viewport, wait_idle, window)

pytestmark = pytest.mark.gui

REASONS = ("voiced (speech or music)", "no foot contact in the picture", "inside a step (heel-toe, scuff or crunch)")


def _hover(qtbot, lane, t: float) -> str:
    top = lane.vb.viewRange()[1][1]
    p = view_to_viewport(lane.plot_widget, lane.vb, t, 0.5 * top)
    _send(lane.plot_widget.viewport(), QEvent.MouseMove, p, Qt.NoButton, Qt.NoButton)
    qtbot.wait(10)
    return lane.hover_text


def test_guide_lane_marks_kept_steps_and_rejected_transients_with_their_reason(qtbot, window, project_file):
    open_project(qtbot, window, project_file)
    lane, proj = window.lanes.guide, window.doc.project
    assert proj.guide_envelope is not None and proj.guide_report is not None  # the analysis made both
    real = proj.guide_report
    assert lane.readout.text() == f"{len(real.steps)} steps · {len(real.rejected)} rejected"
    assert len(lane.step_marks.data) == len(real.steps)
    # a report with every kind of decision, as a busy guide gives it
    report = GuideReport([GuideStep(1.0, 0.9, "audio+picture"), GuideStep(3.0, 0.6, "picture")],
                         [RejectedTransient(t, 6.0 + i, why) for i, (t, why) in enumerate(zip((1.6, 2.2, 3.1),
                                                                                               REASONS))])
    proj.guide_report = report
    lane.refresh()
    assert lane.readout.text() == "2 steps · 3 rejected"
    assert sorted(lane.rejected_marks.data["x"]) == [1.6, 2.2, 3.1]
    brushes = [s.brush().color().alpha() for s in lane.step_marks.points()]
    assert brushes[0] > 0 and brushes[1] == 0  # heard+seen filled, seen-only hollow
    for t, why in zip((1.6, 2.2, 3.1), REASONS):
        assert why in _hover(qtbot, lane, t + 0.01)
    assert "seen in the picture" in _hover(qtbot, lane, 3.0)
    assert _hover(qtbot, lane, 4.5) == ""  # nothing there
    # the designer overrules a rejection: right-click the cross, "Make it a step"
    doc = window.doc
    before = list(window.lanes.envelope.events())
    assert all(abs(s - 2.2) > 0.03 for s in before)
    menu = QMenu()
    lane.fill_menu(menu, 2.205, 0.0)
    make = menu.actions()[0]
    assert make.text() == "Make it a step (2.20 s)" and make.isEnabled()
    make.trigger()
    assert doc.source.envelope.events == sorted(before + [2.2])
    menu = QMenu()
    lane.fill_menu(menu, 2.2, 0.0)
    assert [a.text() for a in menu.actions()] == ["Make it a step (2.20 s)", "Remove the step at 2.20 s"]
    assert not menu.actions()[0].isEnabled()
    doc.undo()
    assert list(window.lanes.envelope.events()) == before
    stack = window.lanes
    qtbot.mouseClick(stack.b_guide_lane, Qt.LeftButton)
    assert not lane.isVisible()
    qtbot.mouseClick(stack.b_guide_lane, Qt.LeftButton)
    assert lane.isVisible()


def test_guide_lane_shows_the_selected_subjects_own_report(qtbot, window, project_file):
    """Several subjects share one guide: each has its own kept steps, and the other's as rejected."""
    from stereosync_studio.gui.lanes.guide_lane import reason_colour
    from stereosync_studio.jobs.guide import OTHER_SUBJECT

    open_project(qtbot, window, project_file)
    doc, lane = window.doc, window.lanes.guide
    proj = doc.project
    real = proj.guide_report
    other = proj.sources[0].copy()
    other.name = "subject2"
    other.guide_report = GuideReport([GuideStep(0.7, 0.9, "audio+picture")], [RejectedTransient(1.2, 7.0, OTHER_SUBJECT)])
    proj.sources.append(other)
    doc.select_source(1)
    assert lane.readout.text() == "1 steps · 1 rejected"
    assert list(lane.rejected_marks.data["x"]) == [1.2]
    assert "another subject" in _hover(qtbot, lane, 1.21)
    assert reason_colour(OTHER_SUBJECT) not in (reason_colour(r) for r in REASONS)  # told apart at a glance
    doc.select_source(0)  # no report of its own: the project's
    assert lane.readout.text() == f"{len(real.steps)} steps · {len(real.rejected)} rejected"


def test_width_scales_the_pan_as_one_undoable_edit_and_box_edits_keep_it(qtbot, window, project_file):
    lane = window.lanes.pan
    assert window.doc.project is None  # no clip yet: the defaults, greyed out (it read "0 %")
    assert (lane.width_box.value(), lane.width_box.isEnabled(), lane.mode_box.currentIndex()) == (100, False, 0)
    open_project(qtbot, window, project_file)
    doc, lane = window.doc, window.lanes.pan
    src, clip = doc.source, doc.project.clip
    full = src.trajectory.copy()
    assert (full.pan_mode, full.pan_width, full.follow_box) == ("screen", 1.0, True)
    assert lane.width_box.value() == 100 and not lane.hfov_box.isVisible()
    edge = np.abs(full.pan).max()
    assert edge > 0.05  # the walker is off-centre: halving is measurable
    lane.width_box.setValue(50)
    tr = doc.source.trajectory
    assert tr.pan_width == 0.5
    np.testing.assert_allclose(tr.pan, 0.5 * full.pan, atol=1e-4)  # halved (the file rounds pans to 1e-4)
    np.testing.assert_array_equal(tr.distance, full.distance)
    lane.width_box.stepDown()  # arrow steps right after fold into the same undo entry
    assert doc.source.trajectory.pan_width == pytest.approx(0.49)
    assert doc.undo_stack.undo_label() == "Pan width 100 % → 49 %"
    doc.undo()
    np.testing.assert_array_equal(doc.source.trajectory.pan, full.pan)
    assert lane.width_box.value() == 100
    doc.redo()
    # lens mode: the box centre's angle through the lens
    lane.mode_box.setCurrentIndex(1)
    lens = doc.source.trajectory
    assert lens.pan_mode == "lens" and lane.hfov_box.isVisible() and not lane.width_box.isVisible()
    b = src.track.filled()
    cx = 0.5 * (b[:, 0] + b[:, 2])
    ok = ~np.isnan(cx)
    np.testing.assert_allclose(lens.pan[ok], pan_from_x(cx[ok], clip.width, lens.hfov_deg), atol=1e-6)
    lane.mode_box.setCurrentIndex(0)
    lane.width_box.setValue(50)
    # a box edit (keyframe + re-track) keeps the subject's mapping (it used to reset it to 100 %)
    frame = 40
    box = [float(v) for v in doc.source.track.boxes[frame]]
    moved = [box[0] + 60, box[1], box[2] + 60, box[3]]
    window.editing.box_edited(frame, moved)
    wait_idle(qtbot, window)
    after = doc.source.trajectory
    assert (after.pan_mode, after.pan_width) == ("screen", 0.5)
    x = 0.5 * (moved[0] + moved[2])
    assert after.pan[frame] == pytest.approx(0.5 * (x - clip.width / 2) / (clip.width / 2), abs=1e-6)
    window.editing.follow_box()
    assert doc.source.trajectory.pan_width == 0.5


def _regions(doc) -> list[tuple[float, float, str]]:
    return [(r.start, r.end, r.reference.path) for r in sorted(doc.source.surfaces, key=lambda r: r.start)]


def test_surface_lane_edges_drag_snap_and_undo_and_the_regions_are_saved(qtbot, window, project_file, tmp_path):
    open_project(qtbot, window, project_file)
    doc, lane = window.doc, window.lanes.surface
    fps, dur = doc.project.clip.fps, doc.project.clip.duration
    grass, gravel = str(tmp_path / "grass"), str(tmp_path / "gravel.wav")
    assert lane.commit([SurfaceRegion(0.0, 2.0, Reference(grass)), SurfaceRegion(2.0, 4.0, Reference(gravel))],
                       "two surfaces")
    qtbot.wait(20)
    steps = doc.source.envelope.steps() or window.view.planned_steps
    colours = [s.brush().color().name() for s in lane.step_ticks.points()]
    assert len(colours) == len(steps)  # a tick under every step, in the colour of its surface
    in_grass = [c for t, c in zip(steps, colours) if t < 2.0]
    in_gravel = [c for t, c in zip(steps, colours) if 2.0 <= t < 4.0]
    assert in_grass and in_gravel and len(set(in_grass)) == len(set(in_gravel)) == 1 and in_grass[0] != in_gravel[0]
    # drag the boundary grass|gravel from 2.0 s to ~2.5 s: both regions follow, on the frame grid
    drag(qtbot, lane.plot_widget, lane.vb, [(2.0, 0.5), (2.2, 0.5), (2.493, 0.5)])
    (a0, a1, ra), (b0, b1, rb) = _regions(doc)
    assert (a0, ra, rb, b1) == (0.0, grass, gravel, 4.0)
    steps = doc.source.envelope.steps() or window.view.planned_steps
    px = abs(lane.pixel()[0])  # the mouse lands on whole pixels: the drop is 2.493 s +- half a pixel
    assert a1 == b0 and abs(a1 - 2.493) < 8.5 * px  # where it was dropped, give or take the snap (8 px)
    on_step = any(abs(a1 - s) < 1e-9 for s in steps)
    assert on_step or round(a1 * fps, 6) == round(a1 * fps)  # snapped onto a step, else onto the frame grid
    near = [abs(s - 2.493) for s in steps]
    assert (min(near) <= 8.5 * px) if on_step else (min(near) > 7.5 * px)
    assert doc.undo_stack.undo_label().startswith("Move surface edge")
    doc.undo()
    assert _regions(doc) == [(0.0, 2.0, grass), (2.0, 4.0, gravel)]
    # the gravel's end dragged far past the clip stops at its end
    drag(qtbot, lane.plot_widget, lane.vb, [(4.0, 0.5), (6.0, 0.5), (dur + 3.0, 0.5)])
    assert _regions(doc)[1][1] == pytest.approx(dur)
    doc.undo()
    # add in the free stretch after gravel, split it at the playhead, delete a region
    inside = 4.0 + (dur - 4.0) / 3  # the free stretch after gravel, whatever the clip's length
    cut = round((4.0 + 2 * (dur - 4.0) / 3) * fps) / fps
    window.transport.seek(inside)
    assert lane.add_at(inside)
    assert _regions(doc)[-1][:2] == (4.0, pytest.approx(dur))
    assert lane.split_at(cut)
    assert [r[:2] for r in _regions(doc)[-2:]] == [(4.0, pytest.approx(cut)), (pytest.approx(cut), pytest.approx(dur))]
    assert lane.delete_region(3) and len(_regions(doc)) == 3
    # an overlap from a bad edit is refused with the regions named, and nothing changes
    before = _regions(doc)
    messages = []
    window.lanes.message.connect(messages.append)
    bad = [SurfaceRegion(0.0, 3.0, Reference(grass)), SurfaceRegion(2.0, 4.0, Reference(gravel))]
    assert not lane.commit(bad, "bad")
    assert _regions(doc) == before
    assert "grass@0-3" in messages[-1] and "gravel.wav@2-4" in messages[-1] and "overlap" in messages[-1]
    assert "overlap" in lane.readout.text()
    # a region's own reference, then saved with the project and read back
    assert lane.set_reference(1, Reference(str(tmp_path / "snow")))
    doc.save(tmp_path / "saved.stereosync.json")
    back = Project.load(tmp_path / "saved.stereosync.json").source(doc.source.name)
    assert [(r.start, r.end, r.reference.path) for r in back.surfaces] == _regions(doc)
    assert back.surfaces[1].reference.path == str(tmp_path / "snow")


def test_record_without_a_microphone_says_so_and_changes_nothing(qtbot, window, project_file, monkeypatch):
    import sounddevice as sd

    def no_device(*_args, **_kwargs):
        raise sd.PortAudioError("Error querying device -1")

    monkeypatch.setattr(sd, "InputStream", no_device)
    open_project(qtbot, window, project_file)
    env = window.doc.source.envelope.copy()
    qtbot.mouseClick(window.transport_bar.b_record, Qt.LeftButton)
    wait_idle(qtbot, window)
    assert "Recording needs a microphone" in window.prompts.last_error
    assert "no input device was found (Error querying device -1)" in window.prompts.last_error
    assert not window.transport.playing and not window.transport_bar.b_record.isChecked()
    np.testing.assert_array_equal(window.doc.source.envelope.values, env.values)
    assert window.doc.source.envelope.events == env.events


def test_record_performs_the_envelope_from_a_virtual_microphone(qtbot, window, project_file, tmp_path,
                                                                 pulse_sink):  # noqa: F811
    """Record over the loop (1.0-4.6 s) while "tk tk tk" reaches the microphone (a PulseAudio null
    sink's monitor): the performance replaces the envelope and the steps there, one undo step."""
    import subprocess

    import soundfile as sf

    from tests.test_performed import SR, TIMES, vocal_tk

    open_project(qtbot, window, project_file)
    doc, tr = window.doc, window.transport
    window.view.guide_muted = True  # the picture plays silent: the microphone hears the performer only
    old = doc.source.envelope.copy()
    outside_before = [s for s in (old.steps() or window.view.planned_steps) if not 1.0 <= s < 4.6]
    tr.set_loop(1.0, 4.6)
    tr.set_loop_enabled(True)
    take = tmp_path / "tk.wav"
    sf.write(take, np.stack([vocal_tk(seconds=3.2)] * 2, axis=1), SR)
    qtbot.mouseClick(window.transport_bar.b_record, Qt.LeftButton)
    assert window.transport_bar.b_record.isChecked() and tr.playing
    # the performer is another program on the same sound server (as a person is another source)
    performer = subprocess.Popen(["paplay", "-d", pulse_sink.sink, str(take)])
    wait_idle(qtbot, window, 30000)
    performer.wait(10)
    env = doc.source.envelope
    assert env.origin == "performed" and not tr.playing and not window.transport_bar.b_record.isChecked()
    # On a starved CPU the virtual device's stream can glitch as it starts: at most one click in
    # the first 40 ms (a performer's first step is 0.4 s in), never anywhere else.
    inside = [s for s in env.events if 1.04 <= s < 4.6]
    assert len([s for s in env.events if 1.0 <= s < 1.04]) <= 1
    assert len(inside) == len(TIMES), env.events
    assert np.allclose(np.diff(inside), np.diff(TIMES), atol=0.015)  # the performance, step for step
    assert -0.1 < inside[0] - (1.0 + TIMES[0]) < 0.5  # only the audio path's own delays remain
    assert [s for s in env.events if not 1.0 <= s < 4.6] == outside_before  # the rest is kept
    t = env.times()
    np.testing.assert_array_equal(env.values[t < 0.99], old.values[t < 0.99])
    assert doc.undo_stack.undo_label() == "Record envelope 1.00–4.60 s"
    doc.undo()
    np.testing.assert_array_equal(doc.source.envelope.values, old.values)
    assert doc.source.envelope.events == old.events


def test_record_again_stops_without_changing_the_envelope(qtbot, window, project_file, monkeypatch):
    import time

    import sounddevice as sd

    class QuietMic:  # a device that hears nothing, in real time
        latency = 0.01

        def __init__(self, *_args, **_kwargs):
            pass

        def __enter__(self):
            return self

        def __exit__(self, *_exc):
            return False

        def read(self, n):
            time.sleep(n / 48000)
            return np.zeros((n, 1), np.float32), False

    monkeypatch.setattr(sd, "InputStream", QuietMic)
    open_project(qtbot, window, project_file)
    env, rec = window.doc.source.envelope.copy(), window.transport_bar.b_record
    window.transport.seek(2.0)
    qtbot.mouseClick(rec, Qt.LeftButton)
    assert rec.isChecked() and window.transport.playing and window.recording.recording
    qtbot.wait(300)
    qtbot.mouseClick(rec, Qt.LeftButton)
    wait_idle(qtbot, window)
    assert not rec.isChecked() and not window.transport.playing and not window.recording.recording
    assert window.statusBar().currentMessage() == "recording stopped: the envelope is unchanged"
    np.testing.assert_array_equal(window.doc.source.envelope.values, env.values)
    assert window.doc.source.envelope.events == env.events and window.prompts.last_error == ""


def test_menu_and_keys_reach_the_new_lanes(qtbot, window, project_file, tmp_path, monkeypatch):
    """View > Footstep guide lane hides the lane (and its header button follows); Delete on the
    Surface lane removes the selected region (one undo step); Shift+R starts recording."""
    open_project(qtbot, window, project_file)
    acts, lanes, doc = window.commands, window.lanes, window.doc
    assert acts.guide_lane.isChecked() and lanes.guide.isVisibleTo(window)
    acts.guide_lane.trigger()
    assert not lanes.guide.isVisibleTo(window) and not lanes.b_guide_lane.isChecked()
    lanes.b_guide_lane.click()
    assert acts.guide_lane.isChecked() and lanes.guide.isVisibleTo(window)
    lane = lanes.surface
    assert lane.commit([SurfaceRegion(0.0, 2.0, Reference(str(tmp_path / "a"))),
                        SurfaceRegion(2.0, 4.0, Reference(str(tmp_path / "b")))], "two surfaces")
    lane.selected = 1
    lanes.ctx.set_active(lane)
    n_undo = len(doc.undo_stack)
    acts.clear_range.trigger()
    assert [(r.start, r.end) for r in doc.source.surfaces] == [(0.0, 2.0)]
    assert len(doc.undo_stack) == n_undo + 1
    doc.undo()
    assert [(r.start, r.end) for r in doc.source.surfaces] == [(0.0, 2.0), (2.0, 4.0)]
    toggled = []
    monkeypatch.setattr(window.recording, "toggle", lambda: toggled.append(True))
    assert "Shift+R" in [s.toString() for s in acts.record.shortcuts()]
    acts.record.trigger()
    assert toggled == [True]

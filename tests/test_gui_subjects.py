"""Several subjects in the Studio, driven through the real window offscreen: find every walker of
the two-walker clip in the worker, the boxes drawn on the picture follow their own walkers,
the selector switches the lanes, clicking a box selects its subject, and rename / delete /
split / merge / generate-all are single undo steps that restore the sources exactly, autosave
and survive save + reopen."""

from __future__ import annotations

import json

import numpy as np
import pytest

pytest.importorskip("pytestqt")

from stereosync_studio.analysis.detect import iou  # noqa: E402
from stereosync_studio.core.project import Project  # noqa: E402
from tests.gui_fixtures import click, open_project, studio_home, wait_idle, window  # noqa: E402,F401
from tests.walker import cached_walker_clip  # noqa: E402

pytestmark = pytest.mark.gui

_FOUND: dict[str, Project] = {}  # the GUI's own "Find all subjects" result, reused by later tests


@pytest.fixture(scope="module")
def two_truth(cache_dir):
    return cached_walker_clip(cache_dir, scenario="two", duration=5.0, fps=25, size=(640, 360), seed=0)


@pytest.fixture
def two_project_file(two_truth, tmp_path):
    """A saved project with the two walkers as sources (from the first test, else found here)."""
    project = _FOUND.get("two")
    if project is None:
        from stereosync_studio import jobs

        project = jobs.find_subjects(two_truth.path, None, 90.0, 48000, str(tmp_path / "no_models"))
        _FOUND["two"] = project
    path = tmp_path / "proj" / "two.stereosync.json"
    project.copy().save(path)
    return path


def _owner(track, truth) -> int:
    """The walker whose true boxes this track overlaps most."""
    scores = [np.nanmean([iou(a, b) for a, b in zip(track.boxes, tb) if np.isfinite(a[0])] or [0.0])
              for tb in truth.boxes_per_walker]
    return int(np.argmax(scores))


def _state(project: Project) -> list[dict]:
    return [s.to_dict() for s in project.sources]


def _same_sources(a: list, b: list) -> None:
    """Exactly the same sources: names, boxes (NaN where unseen), envelopes, trajectories, takes."""
    assert [s.name for s in a] == [s.name for s in b]
    for x, y in zip(a, b):
        assert np.array_equal(x.track.boxes, y.track.boxes, equal_nan=True)
        assert np.array_equal(x.envelope.values, y.envelope.values)
        assert x.envelope.events == y.envelope.events
        assert np.array_equal(x.trajectory.pan, y.trajectory.pan)
        assert np.array_equal(x.trajectory.distance, y.trajectory.distance)
        assert x.to_dict() == y.to_dict()


def test_find_all_subjects_boxes_follow_their_walkers_and_selector_switches_lanes(qtbot, window, two_truth,
                                                                                    tmp_path):
    truth = two_truth
    window.projects.open_clip(truth.path)
    wait_idle(qtbot, window)
    assert len(window.doc.project.sources) == 1  # a clip opens on one subject
    assert not window.engine_panel.b_generate_all.isVisible()
    from stereosync_studio import jobs

    src, clip = window.doc.source, window.doc.project.clip
    window.doc.edit("trajectory", jobs.with_pan_mapping(src.trajectory, src.track, clip, "screen", 0.6), "Pan width")
    job = window.subjects.find_subjects()
    assert job is not None and window.job_bar.isVisible()
    wait_idle(qtbot, window)
    proj = window.doc.project
    assert job.state == "finished"
    assert window.doc.source_names() == ["subject1", "subject2"]
    assert window.subjects_bar.names() == ["subject1", "subject2"]
    assert window.doc.undo_stack.undo_label() == "Find all subjects (2)"
    assert window.engine_panel.b_generate_all.isVisible()
    assert all(s.reference.path or s.reference.files for s in proj.sources)  # ready to generate
    assert all((s.trajectory.pan_mode, s.trajectory.pan_width) == ("screen", 0.6) for s in proj.sources)
    assert max(float(abs(s.trajectory.pan).max()) for s in proj.sources) <= 0.6 + 1e-6  # the Width carried over
    owners = [_owner(s.track, truth) for s in proj.sources]
    assert sorted(owners) == [0, 1]
    _FOUND["two"] = proj.copy()

    # the picture: the selected box (editable ROI) and the other subject's box, frame by frame
    a, b = proj.sources
    hits = {a.name: [], b.name: []}
    for f in range(0, truth.n_frames, 3):
        window.transport.seek_frame(f)
        drawn = {a.name: window.video.roi.box(), b.name: window.video.others.shown(b.name)}
        for s, w in zip((a, b), owners):
            if np.isfinite(truth.boxes_per_walker[w][f, 0]) and np.isfinite(s.track.boxes[f, 0]):
                d = drawn[s.name]
                hits[s.name].append(d is not None and iou(d, truth.boxes_per_walker[w][f]) >= 0.6)
    for name, h in hits.items():
        assert len(h) > 30 and np.mean(h) >= 0.8, (name, np.mean(h))
    assert window.video.others.names() == [b.name]

    # selector: the lanes, the video's editable box and the panels show the other subject
    pan_a = window.lanes.pan.curve_item.getData()[1].copy()
    window.subjects_bar.combo.setCurrentIndex(1)
    assert window.doc.source.name == b.name
    _, pan = window.lanes.pan.curve_item.getData()
    assert np.allclose(pan, b.trajectory.pan) and not np.allclose(pan, pan_a)
    _, env = window.lanes.envelope.env_curve.getData()
    assert np.allclose(env, b.envelope.values)
    assert window.video.source_name == b.name and window.video.others.names() == [a.name]
    assert len(window.doc.undo_stack) == 2  # the Width and Find: choosing a subject is not an edit

    # clicking the other subject's box on the picture selects it
    far = int(np.nanargmax(np.abs(np.nanmean(a.track.boxes[:, [0, 2]], 1) - np.nanmean(b.track.boxes[:, [0, 2]], 1))))
    window.transport.seek_frame(far)
    box = window.video.others.shown(a.name)
    assert box is not None
    click(qtbot, window.video.gv, window.video.vb, 0.5 * (box[0] + box[2]), 0.5 * (box[1] + box[3]))
    assert window.doc.source.name == a.name
    assert np.allclose(window.lanes.pan.curve_item.getData()[1], a.trajectory.pan)

    # the find is one undo step back to the single subject, redo brings both back exactly
    found = [s for s in proj.sources]
    window.projects.undo()
    assert window.doc.source_names() == ["subject1"] and window.subjects_bar.names() == ["subject1"]
    window.projects.redo()
    _same_sources(window.doc.project.sources, found)


def test_rename_delete_undo_redo_restore_exactly(qtbot, window, two_project_file, studio_home):
    open_project(qtbot, window, two_project_file)
    proj = window.doc.project
    import copy

    before = copy.deepcopy(proj.sources)
    window.subjects_bar.combo.setCurrentIndex(1)
    assert window.subjects.rename_subject("walker B")
    assert window.doc.source_names() == ["subject1", "walker B"] and window.doc.source.name == "walker B"
    assert window.subjects_bar.combo.currentText() == "walker B"
    assert not window.subjects.rename_subject("subject1")  # names stay unique
    assert "already exists" in window.prompts.last_error
    window.projects.undo()
    _same_sources(proj.sources, before)
    assert window.doc.source.name == "subject2"
    window.projects.redo()
    assert window.doc.source_names() == ["subject1", "walker B"]
    renamed = copy.deepcopy(proj.sources)

    window.subjects_bar.combo.setCurrentIndex(0)
    assert window.subjects.delete_subject()
    assert window.doc.source_names() == ["walker B"] and window.video.others.names() == []
    assert not window.subjects.delete_subject()  # the last subject stays
    # autosaved like every other edit
    path = window.autosaver.tick()
    window.autosaver.flush()
    assert path is not None and [s["name"] for s in json.loads(path.read_text())["sources"]] == ["walker B"]
    window.projects.undo()
    _same_sources(proj.sources, renamed)
    assert window.doc.source.name == "subject1" and window.video.others.names() == ["walker B"]
    window.projects.undo()
    _same_sources(proj.sources, before)
    window.projects.redo()
    window.projects.redo()
    assert window.doc.source_names() == ["walker B"]
    assert window.doc.is_dirty()


def test_undo_of_an_edit_shows_the_subject_it_changes(qtbot, window, two_project_file):
    open_project(qtbot, window, two_project_file)
    proj = window.doc.project
    window.subjects.select_subject("subject2")
    env = proj.source("subject2").envelope.copy()
    edited = env.copy()
    edited.values[:40] = 0.5
    window.doc.edit("envelope", edited, "Draw envelope")
    window.subjects.select_subject("subject1")
    assert np.allclose(window.lanes.envelope.env_curve.getData()[1], proj.source("subject1").envelope.values)
    window.projects.undo()
    assert window.doc.source.name == "subject2"  # undo shows what it changes
    assert np.array_equal(proj.source("subject2").envelope.values, env.values)
    assert np.allclose(window.lanes.envelope.env_curve.getData()[1], env.values)
    window.projects.redo()
    assert np.allclose(proj.source("subject2").envelope.values[:40], 0.5)


def test_split_at_playhead_then_merge_back(qtbot, window, two_project_file):
    open_project(qtbot, window, two_project_file)
    proj = window.doc.project
    src = window.doc.source
    seen = np.isfinite(src.track.boxes[:, 0])
    frame = int(np.flatnonzero(seen)[len(np.flatnonzero(seen)) // 2])
    original = src.track.boxes.copy()
    window.transport.seek_frame(frame)
    job = window.subjects.split_at_playhead()
    assert job is not None
    wait_idle(qtbot, window)
    assert job.state == "finished", window.prompts.last_error
    assert window.doc.source_names() == ["subject1", "subject3", "subject2"]
    first, second = proj.source("subject1"), proj.source("subject3")
    assert np.isnan(first.track.boxes[frame:]).all() and np.isnan(second.track.boxes[:frame]).all()
    # each half keeps the original boxes on its own side (to the project file's 0.01 px)
    assert np.allclose(first.track.boxes[:frame], original[:frame], atol=0.006, equal_nan=True)
    assert np.allclose(second.track.boxes[frame:], original[frame:], atol=0.006, equal_nan=True)
    assert window.doc.source.name == "subject1"
    assert window.doc.undo_stack.undo_label() == f"Split subject1 at frame {frame}"  # frames count from 0

    # merging the new half back gives one subject seen on both sides again
    window.subjects.select_subject("subject3")
    assert window.doc.source.name == "subject3"
    job = window.subjects.merge_into("subject1")
    wait_idle(qtbot, window)
    assert job.state == "finished", window.prompts.last_error
    assert window.doc.source_names() == ["subject1", "subject2"]
    merged = proj.source("subject1")
    assert np.isfinite(merged.track.boxes[:, 0]).sum() == seen.sum()
    window.projects.undo()
    window.projects.undo()
    assert window.doc.source_names() == ["subject1", "subject2"]
    assert np.array_equal(proj.source("subject1").track.boxes, original, equal_nan=True)


def test_generate_all_export_and_reopen_keep_every_subject(qtbot, window, two_project_file, tmp_path):
    from stereosync_studio.gui.export_dialog import ExportChoice

    open_project(qtbot, window, two_project_file)
    window.engine_panel.n_takes.setValue(1)
    window.engine_panel.seed.setValue(5)
    job = window.generation.generate_all()
    assert job is not None
    wait_idle(qtbot, window)
    proj = window.doc.project
    assert [len(s.takes) for s in proj.sources] == [1, 1]
    assert [s.takes[0].seed for s in proj.sources] == [5, 5]
    for s in proj.sources:
        assert f"_{s.name}_take01" in s.takes[0].path
        assert s.takes[0].metrics["spatial_alignment"] >= 0.7  # heard inside its own subject's box
    assert window.doc.undo_stack.undo_label() == "Generate 2 take(s) for all subjects"
    assert window.takes_panel.tree.topLevelItemCount() == 1  # the shown subject's takes
    window.projects.undo()  # one step for the takes of every subject
    assert [len(s.takes) for s in proj.sources] == [0, 0]
    window.projects.redo()
    assert [len(s.takes) for s in proj.sources] == [1, 1]

    # takes of both subjects export, each named after its own subject
    out = tmp_path / "stems"
    takes = [s.takes[0] for s in proj.sources]
    job = window.generation.export(ExportChoice(takes, str(out), 48000, 24, 0.0, False))
    wait_idle(qtbot, window)
    assert job.state == "finished", window.prompts.last_error
    names = sorted(p.name for p in out.glob("*.wav"))
    assert names == sorted(f"{proj.name}_{s.name}_take01.wav" for s in proj.sources)

    # save + reopen keeps both subjects with their takes; the reopened window shows both
    target = tmp_path / "saved" / "two.stereosync.json"
    assert window.projects.save_to(str(target))
    reopened = Project.load(target)
    assert [s.name for s in reopened.sources] == ["subject1", "subject2"]
    for a, b in zip(reopened.sources, proj.sources):
        assert np.allclose(a.track.boxes, b.track.boxes, atol=0.006, equal_nan=True)
        assert [t.path for t in a.takes] == [t.path for t in b.takes]
    open_project(qtbot, window, target)
    assert window.subjects_bar.names() == ["subject1", "subject2"]
    assert window.video.others.names() == ["subject2"]
    assert [len(s.takes) for s in window.doc.project.sources] == [1, 1]

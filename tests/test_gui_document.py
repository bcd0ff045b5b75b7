"""The Studio's ProjectDocument on its own: part edits, gestures, source-list edits, undo/redo
that restore exactly, the dirty flag and its signals (no window, no event loop needed)."""

from __future__ import annotations

import copy

import numpy as np
import pytest

pytest.importorskip("PySide6")

from stereosync_studio.core.project import Project, TakeInfo  # noqa: E402
from stereosync_studio.gui.document import ProjectDocument  # noqa: E402
from tests.gui_fixtures import small_project  # noqa: E402


@pytest.fixture
def doc():
    d = ProjectDocument(small_project())
    d.events, d.dirty_events = [], []
    d.changed.connect(d.events.append)
    d.dirtyChanged.connect(d.dirty_events.append)
    return d


def test_part_edit_undo_redo_and_dirty_flag(doc):
    env0 = doc.source.envelope.copy()
    edited = env0.copy()
    edited.values[:100] = 0.7
    doc.edit("envelope", edited, "Draw envelope")
    assert doc.events == ["envelope"] and doc.is_dirty() and doc.dirty_events == [True]
    assert np.allclose(doc.source.envelope.values[:100], 0.7)
    edited.values[:] = 0.0  # the document keeps its own copy
    assert np.allclose(doc.source.envelope.values[:100], 0.7)
    assert doc.undo() == "Draw envelope"
    assert np.array_equal(doc.source.envelope.values, env0.values) and not doc.is_dirty()
    assert doc.dirty_events == [True, False]
    assert doc.redo() == "Draw envelope" and np.allclose(doc.source.envelope.values[:100], 0.7)
    rev = doc.revision
    doc.undo()
    assert doc.revision > rev


def test_a_gesture_is_one_undo_step_and_saving_cleans(doc, tmp_path):
    pan0 = doc.source.trajectory.pan.copy()
    gesture = doc.new_gesture("Pan")
    for v in (0.1, 0.2, 0.3):
        tr = doc.source.trajectory.copy()
        tr.pan[10:20] = v
        doc.edit("trajectory", tr, "Draw Pan", gesture)
    doc.end_gesture()
    assert len(doc.undo_stack) == 1 and np.allclose(doc.source.trajectory.pan[10:20], 0.3)
    target = doc.save(tmp_path / "small.stereosync.json")
    assert not doc.is_dirty() and doc.path == str(target)
    assert np.allclose(Project.load(target).source().trajectory.pan[10:20], 0.3)
    doc.undo()
    assert np.array_equal(doc.source.trajectory.pan, pan0) and doc.is_dirty()


def test_undo_of_another_subject_shows_it(doc):
    doc.edit("engine", ("sampler", {"min_spacing": 0.4}), "Set min_spacing", source_name="subject2")
    assert doc.source.name == "subject1" and doc.source_named("subject2").engine_options == {"min_spacing": 0.4}
    doc.events.clear()
    doc.undo()
    assert doc.source.name == "subject2" and doc.source.engine_options == {}
    assert doc.events == ["source", "engine"]


def test_replace_sources_undo_restores_both_sources_exactly(doc):
    before = copy.deepcopy(doc.project.sources)
    doc.select_source_named("subject2")
    doc.replace_sources([s for s in doc.project.sources if s.name != "subject2"], "Delete subject subject2",
                        settings={"subjects": "all"})
    assert doc.source_names() == ["subject1"] and doc.source.name == "subject1"
    assert doc.project.settings == {"subjects": "all"} and doc.events[-1] == "source"
    doc.undo()
    assert doc.source_names() == ["subject1", "subject2"] and doc.source.name == "subject2"
    assert doc.project.settings == {}
    for a, b in zip(doc.project.sources, before):
        assert np.array_equal(a.track.boxes, b.track.boxes, equal_nan=True)
        assert np.array_equal(a.envelope.values, b.envelope.values)
        assert a.to_dict() == b.to_dict()
    doc.redo()
    assert doc.source_names() == ["subject1"]


def test_takes_owner_and_source_selection_is_not_an_edit(doc):
    take = TakeInfo("/tmp/x_take01.wav", "take01", "sampler", 4, 48000)
    doc.edit("takes", [take], "Generate 1 take(s)", source_name="subject2")
    assert doc.take_owner(take.path) == "subject2" and doc.take_owner("/nope.wav") is None
    n = len(doc.undo_stack)
    assert doc.select_source_named("subject2") and not doc.select_source_named("nobody")
    assert len(doc.undo_stack) == n and doc.source.takes[0].seed == 4


def test_set_project_clears_history_and_recovered_is_dirty(doc):
    doc.edit("envelope", doc.source.envelope.copy(), "x")
    doc.set_project(small_project(1), dirty=True)
    assert len(doc.undo_stack) == 0 and doc.is_dirty() and doc.events[-1] == "project"
    doc.set_project(None)
    assert doc.source is None and doc.source_names() == [] and not doc.is_dirty()

"""Honest metrics: a take's E-L1 and Align are always against the lanes as they are now.

Through the real window: generate takes, change the envelope (draw, Video), and the takes list
marks them as made from an older envelope at once, shows '…' while they are rescored in the
background and then the new scores (the ones `jobs.evaluate_file` gives against the current
project), with no undo step; undo/redo show the scores for each target again at once. A take
rendered from a snapshot while the designer drew lands already marked. Without Qt: the
fingerprint survives save/load, and render_takes records what a take was made from.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("pytestqt")

from PySide6.QtCore import Qt  # noqa: E402

from stereosync_studio import jobs  # noqa: E402
from stereosync_studio.core.fingerprint import changed_parts, describe, source_fingerprint  # noqa: E402
from stereosync_studio.core.project import Project  # noqa: E402
from stereosync_studio.gui.take_marks import PENDING  # noqa: E402
from stereosync_studio.gui.takes_panel import C_EL1, C_NAME, E_L1_KEYS, SCORING  # noqa: E402
from tests.gui_fixtures import (analysed_project_file, demo_clip, drag, open_project, project_file,  # noqa: E402,F401
                                small_project, studio_home, wait_idle, window)

pytestmark = pytest.mark.gui


def _settled(qtbot, win) -> None:
    """Every job done and no rescoring left to start."""
    qtbot.waitUntil(lambda: not win.runner.busy() and not win.generation.scores.busy(), timeout=120000)


def _draw(qtbot, win, t0: float, t1: float, frac: float = 0.8) -> None:
    lane = win.lanes.envelope
    qtbot.mouseClick(win.lanes.tool_buttons["draw"], Qt.LeftButton)
    level = frac * lane.vb.viewRange()[1][1]
    drag(qtbot, lane.plot_widget, lane.vb, [(t0, level), ((t0 + t1) / 2, level), (t1, level)])
    qtbot.mouseClick(win.lanes.tool_buttons["select"], Qt.LeftButton)


def _rows(win) -> dict[str, object]:
    tree = win.takes_panel.tree
    items = [tree.topLevelItem(i) for i in range(tree.topLevelItemCount())]
    return {it.data(C_NAME, Qt.UserRole): it for it in items}


def _el1(take_metrics: dict) -> float:
    return next(float(take_metrics[k]) for k in E_L1_KEYS if k in take_metrics)


def test_takes_are_marked_and_rescored_after_envelope_edits(qtbot, window, project_file):
    open_project(qtbot, window, project_file)
    panel = window.engine_panel
    panel.n_takes.setValue(2)
    qtbot.mouseClick(panel.b_generate, Qt.LeftButton)
    _settled(qtbot, window)
    takes = window.doc.source.takes
    assert len(takes) == 2 and all(t.made_from and t.metrics_at_render == t.metrics for t in takes)
    rows = _rows(window)
    for t in takes:  # made from the lanes as they are: no mark, its own scores
        score = window.view.take_scores[t.path]
        assert score.stale == () and score.metrics == t.metrics
        assert rows[t.path].icon(C_NAME).isNull() and rows[t.path].text(C_EL1) == f"{_el1(t.metrics):.4f}"
    at_render = {t.path: dict(t.metrics) for t in takes}
    steps = len(window.doc.undo_stack)

    # draw on the envelope: marked at once, '…' while rescoring, then the scores against the new envelope
    _draw(qtbot, window, 1.0, 3.0)
    assert len(window.doc.undo_stack) == steps + 1
    rows = _rows(window)
    for t in takes:
        assert window.view.take_scores[t.path].stale == ("envelope",)
        assert not rows[t.path].icon(C_NAME).isNull()
        assert "Made from an older envelope" in rows[t.path].toolTip(C_NAME)
        assert rows[t.path].text(C_EL1) == PENDING
    _settled(qtbot, window)
    rows = _rows(window)
    for t in window.doc.source.takes:
        expected = jobs.evaluate_file(t.path, window.doc.project, window.doc.source.name)
        assert _el1(window.view.take_scores[t.path].metrics) == pytest.approx(_el1(expected), rel=1e-9)
        assert rows[t.path].text(C_EL1) == f"{_el1(expected):.4f}" != f"{_el1(at_render[t.path]):.4f}"
        assert t.metrics_at_render == at_render[t.path]  # what it scored when made stays in its info
        assert f"{_el1(at_render[t.path]):.4f}" in rows[t.path].toolTip(C_EL1)
        assert not rows[t.path].icon(C_NAME).isNull()
    assert len(window.doc.undo_stack) == steps + 1  # rescoring is no edit

    # undo: the takes are current again, with their own scores, at once; redo: the kept new scores
    drawn = {p: dict(s.metrics) for p, s in window.view.take_scores.items()}
    qtbot.keyClick(window, Qt.Key_Z, Qt.ControlModifier)
    rows = _rows(window)
    for t in takes:
        assert window.view.take_scores[t.path].stale == () and rows[t.path].icon(C_NAME).isNull()
        assert rows[t.path].text(C_EL1) == f"{_el1(at_render[t.path]):.4f}"
    qtbot.keyClick(window, Qt.Key_Z, Qt.ControlModifier | Qt.ShiftModifier)
    assert {p: s.metrics for p, s in window.view.take_scores.items()} == drawn
    assert all(_rows(window)[p].text(C_EL1) != PENDING for p in drawn)
    _settled(qtbot, window)

    # the Video button (steps seen in the picture) is another envelope: rescored again
    lane = window.lanes.envelope
    if lane.b_video.isEnabled():
        qtbot.mouseClick(lane.b_video, Qt.LeftButton)
        _settled(qtbot, window)
        if window.doc.source.envelope.origin == "video":
            for t in window.doc.source.takes:
                score = window.view.take_scores[t.path]
                assert score.stale == ("envelope",) and score.metrics is not None
                expected = jobs.evaluate_file(t.path, window.doc.project, window.doc.source.name)
                assert _el1(score.metrics) == pytest.approx(_el1(expected), rel=1e-9)

    # while the transport plays nothing is rescored (the audio callback needs the GIL); stop starts it
    window.transport.seek(0.0)
    window.transport.play()
    assert window.view.playing
    _draw(qtbot, window, 4.0, 5.0, 0.3)
    qtbot.wait(800)
    assert window.transport.playing and not window.runner.running("scores")
    assert all(s.metrics is None for s in window.view.take_scores.values())
    window.transport.stop()
    assert not window.view.playing
    _settled(qtbot, window)
    assert all(s.metrics is not None for s in window.view.take_scores.values())

    # saved and reopened: the marks and the scores come back from the file and the lanes
    path = window.doc.path
    window.projects.save()
    open_project(qtbot, window, Path(path))
    _settled(qtbot, window)
    for t in window.doc.source.takes:
        score = window.view.take_scores[t.path]
        assert score.stale == ("envelope",) and score.metrics is not None
        assert t.metrics_at_render == at_render[t.path]


def test_a_take_rendered_while_the_envelope_was_drawn_lands_marked(qtbot, window, project_file):
    open_project(qtbot, window, project_file)
    panel = window.engine_panel
    panel.n_takes.setValue(1)
    seen: list[tuple] = []

    def on_doc(part: str) -> None:  # the moment the take lands: is it already marked?
        if part == "takes" and window.doc.source.takes:
            t = window.doc.source.takes[-1]
            seen.append(window.view.take_scores[t.path].stale)
    window.doc.changed.connect(on_doc)
    before = {t.path for t in window.doc.source.takes}
    shown: list[str] = []  # what the takes list says in the new take's E-L1 cell as scores come in
    window.view.subscribe(lambda _n: shown.extend(it.text(C_EL1) for p, it in _rows(window).items()
                                                  if p not in before), "take_scores")
    qtbot.mouseClick(panel.b_generate, Qt.LeftButton)
    job = window.runner.job("generate")
    assert job.running
    lane = window.lanes.envelope  # an envelope edit before the worker's first take can land (no events ran yet)
    lane.commit(np.where((lane.curve()[0] > 0.5) & (lane.curve()[0] < 2.5), 0.9 * lane.vb.viewRange()[1][1],
                         lane.curve()[1]), "Draw", None)
    qtbot.waitUntil(lambda: not job.running, timeout=120000)
    assert job.state == "finished", job.error
    assert seen and seen[0] == ("envelope",)  # marked as it landed, before any rescoring ran
    take = window.doc.source.takes[-1]
    assert "older envelope" in _rows(window)[take.path].toolTip(C_NAME)
    _settled(qtbot, window)
    score = window.view.take_scores[take.path]
    expected = jobs.evaluate_file(take.path, window.doc.project, window.doc.source.name)
    assert _el1(score.metrics) == pytest.approx(_el1(expected), rel=1e-9)
    assert take.metrics_at_render == take.metrics and _el1(take.metrics) != pytest.approx(_el1(expected))
    assert shown[0] == SCORING and float(shown[-1]) == pytest.approx(_el1(expected), abs=1e-4)  # then the number


def test_fingerprint_is_stable_through_the_project_file_and_render_records_it(tmp_path):
    proj = small_project(2, duration=2.0)
    out = tmp_path / "takes"
    made = jobs.render_takes(proj, out, n_takes=1, seed=3, sources=["subject1"])
    take = made[0]
    src = proj.source("subject1")
    assert take.made_from == source_fingerprint(proj, src, take.engine)
    assert take.metrics_at_render == take.metrics and take.metrics
    path = proj.save(tmp_path / "p.stereosync.json")
    back = Project.load(path)  # rounded in the file, same fingerprints
    assert source_fingerprint(back, back.source("subject1")) == take.made_from
    # values on an exact decimal tie (a box edge over the frame width: -51/160) are written as
    # Python rounds them (-0.3187), and hash the same before and after the file
    src.trajectory.pan[:4] = [-0.31875, -0.30625, 0.00625, 0.43125]
    src.envelope.values[:2] = [0.000125, 0.012345]
    tied = source_fingerprint(proj, src, take.engine)
    reread = Project.load(proj.save(tmp_path / "tied.stereosync.json")).source("subject1")
    assert reread.trajectory.pan[0] == pytest.approx(-0.3187)
    assert source_fingerprint(back, reread, take.engine) == tied
    assert back.source("subject1").takes[0].made_from == take.made_from
    assert back.source("subject1").takes[0].metrics_at_render == pytest.approx(take.metrics_at_render)
    # each part of the source has its own hash
    src2 = back.source("subject1")
    src2.envelope.values[10] += 0.01
    src2.trajectory.pan[3] += 0.01
    src2.engine_options["min_spacing"] = 0.5
    now = source_fingerprint(back, src2)
    assert changed_parts(take.made_from, now) == ("envelope", "trajectory", "engine")
    assert describe(changed_parts(take.made_from, now)) == "an older envelope, pan/distance and engine settings"
    # rescoring against the current lanes is evaluate_file's score
    r = jobs.rescore_take(take.path, back, "subject1")
    assert r["metrics"] == pytest.approx(jobs.evaluate_file(take.path, back, "subject1"))
    assert np.isfinite(list(r["metrics"].values())).all() and r["target"]

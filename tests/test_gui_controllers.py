"""The Studio's controllers without a MainWindow: each gets a ProjectDocument, a ViewState, a
JobRunner and a recording Prompts (plus the Transport for playback), runs real jobs in workers
and leaves its results in the document and the view state."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("pytestqt")

from stereosync_studio import jobs  # noqa: E402
from stereosync_studio.core.errors import StereoSyncError  # noqa: E402
from stereosync_studio.core.project import Project, TakeInfo  # noqa: E402
from stereosync_studio.gui.audition import Mixer  # noqa: E402
from stereosync_studio.gui.autosave import Autosaver, newer_autosave  # noqa: E402
from stereosync_studio.gui.controllers import (EditingController, GenerationController,  # noqa: E402
                                               PlaybackController, ProjectController, SubjectsController)
from stereosync_studio.gui.document import ProjectDocument  # noqa: E402
from stereosync_studio.gui.job_runner import JobRunner  # noqa: E402
from stereosync_studio.gui.transport import Transport  # noqa: E402
from stereosync_studio.gui.view_state import ViewState  # noqa: E402
from tests.gui_fixtures import (RecordingPrompts, analysed_project_file, demo_clip, project_file,  # noqa: E402,F401
                                small_project, studio_home)

pytestmark = pytest.mark.gui


@dataclass
class Kit:
    doc: ProjectDocument
    view: ViewState
    runner: JobRunner
    prompts: RecordingPrompts

    def idle(self, qtbot, timeout: int = 120000) -> None:
        qtbot.waitUntil(lambda: not self.runner.busy(), timeout=timeout)


@pytest.fixture
def kit(qtbot, studio_home):
    prompts = RecordingPrompts()
    k = Kit(ProjectDocument(), ViewState(), JobRunner(prompts.error), prompts)
    yield k
    k.runner.close()


def _wave(path: Path, audio: np.ndarray, sr: int = 48000) -> str:
    import soundfile as sf

    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(str(path), audio.T, sr, subtype="FLOAT")
    return str(path)


# -- job runner ------------------------------------------------------------------------------------
def _wait_for_cancel(progress, cancel):
    while True:
        progress(0.5, "waiting")  # raises Cancelled once cancelled
        cancel.check()


def test_runner_keeps_one_job_per_key_routes_errors_and_stops_delivering_when_closed(qtbot, kit):
    activity = []
    kit.runner.activityChanged.connect(activity.append)
    first = kit.runner.start("k", _wait_for_cancel, label="Wait")
    second = kit.runner.start("k", lambda progress, cancel: 42, label="Answer")
    kit.idle(qtbot, 10000)
    assert first.state == "cancelled" and second.state == "finished" and second.result == 42
    assert kit.runner.job("k") is None and activity[0] is True and activity[-1] is False

    def fail():
        raise StereoSyncError("clip.mp4: broken")
    kit.runner.start("bad", fail, pass_progress=False)
    kit.idle(qtbot, 10000)
    assert kit.prompts.errors == ["clip.mp4: broken"]

    got = []
    job = kit.runner.start("late", lambda: 1, pass_progress=False, on_result=got.append)
    assert kit.runner.busy()
    kit.runner.close()  # the window went away before the result came back
    job.wait(5)
    qtbot.wait(50)
    assert got == []


# -- generation ------------------------------------------------------------------------------------
def test_generate_uses_the_view_state_seed_and_count(qtbot, kit, project_file):
    gen = GenerationController(kit.doc, kit.view, kit.runner, kit.prompts)
    kit.doc.set_project(Project.load(project_file))
    busy, progress = [], []
    gen.busyChanged.connect(busy.append)
    gen.progressChanged.connect(lambda f, m: progress.append(f))
    landed = []  # (takes in the document, job still rendering, the newest take's metrics) as each lands
    kit.doc.changed.connect(lambda part: part == "takes" and kit.doc.source.takes and landed.append(
        (len(kit.doc.source.takes), job.running, dict(kit.doc.source.takes[-1].metrics))))
    kit.view.update(seed=7, n_takes=3)
    job = gen.generate()
    assert job is not None and gen.generate() is None and "already generating" in kit.prompts.statuses[-1]
    kit.idle(qtbot)
    assert job.state == "finished", job.error
    takes = kit.doc.source.takes
    # each take joined the document as soon as its audio was written, before its metrics
    counts = [n for n, _, _ in landed]
    assert counts == sorted(set(counts)) and counts[-1] == 3 and any(running for _, running, _ in landed)
    assert all(m == {} for _, _, m in landed)
    qtbot.waitUntil(lambda: not gen.scores.busy() and not kit.runner.busy(), timeout=120000)
    for t in takes:  # scored afterwards, in the background: what the render itself would have stored
        want = jobs.evaluate_file(t.path, kit.doc.project, kit.doc.source.name)
        assert t.metrics == pytest.approx(want, rel=1e-9) and t.metrics_at_render == t.metrics
        assert kit.view.take_scores[t.path].metrics == pytest.approx(want, rel=1e-9)
    assert [t.seed for t in takes] == [7, 8, 9] and [t.name for t in takes] == ["take01", "take02", "take03"]
    assert all(Path(t.path).is_file() and Path(t.path).parent.parent == project_file.parent for t in takes)
    assert kit.view.seed == 10 and kit.view.selected_take == takes[-1].path
    assert busy == [True, False] and len(progress) >= 2
    assert kit.doc.undo_stack.undo_label() == "Generate 3 take(s)" and len(kit.doc.undo_stack) == 1
    kit.doc.undo()
    assert kit.doc.source.takes == [] and all(Path(t.path).is_file() for t in takes)  # files stay for redo
    kit.doc.redo()
    back = kit.doc.source.takes
    assert [t.path for t in back] == [t.path for t in takes] and not kit.doc.undo_stack.can_redo()
    assert [t.metrics for t in back] == [t.metrics for t in takes] and gen.scores.pending() == []  # not scored again


def test_generate_refuses_an_unavailable_engine(kit):
    gen = GenerationController(kit.doc, kit.view, kit.runner, kit.prompts)
    kit.doc.set_project(small_project(1))
    kit.view.update(engines={"sampler": jobs.EngineInfo("sampler", "Sampler", False, "no samples")},
                    engines_ready=True)
    assert gen.generate() is None and not kit.runner.busy()
    assert kit.prompts.errors == ["engine 'sampler' unavailable: no samples"]


# -- playback --------------------------------------------------------------------------------------
def test_the_mixer_applies_the_view_state_gains_selection_and_solo(qtbot, kit, tmp_path):
    transport = Transport(Mixer(48000))
    pb = PlaybackController(kit.doc, kit.view, kit.runner, transport, kit.prompts)
    kit.doc.set_project(small_project(1))
    sr, n = 48000, 96000
    t = np.arange(n) / sr
    a_audio = np.stack([0.5 * np.sin(2 * np.pi * 220 * t), 0.25 * np.sin(2 * np.pi * 330 * t)]).astype(np.float32)
    a = TakeInfo(_wave(tmp_path / "a.wav", a_audio), "take01", "sampler", 1, sr)
    b = TakeInfo(_wave(tmp_path / "b.wav", 0.1 * a_audio), "take02", "sampler", 2, sr)
    kit.doc.edit("takes", [a, b], "Generate 2 take(s)")
    kit.view.select_take(a.path)
    qtbot.waitUntil(lambda: a.path in kit.view.take_cache, timeout=30000)
    mixer = transport.mixer
    ta, tb = "take:" + a.path, "take:" + b.path
    assert mixer.tracks[ta].gain == 1.0 and not mixer.tracks[ta].muted and tb not in mixer.tracks
    kit.view.take_gain = 0.3
    assert mixer.tracks[ta].gain == pytest.approx(0.3)
    mixer.seek(0.5)
    assert np.allclose(mixer.render(480), 0.3 * a_audio[:, 24000:24480].T, atol=1e-6)
    # the guide sound comes in at the view state's guide gain; muting it silences it
    guide = np.full((2, n), 0.2, np.float32)
    kit.view.guide = (guide, (np.arange(3.0), np.ones(3)))
    assert mixer.tracks["guide"].gain == pytest.approx(0.5)
    mixer.seek(0.5)
    assert np.allclose(mixer.render(480), 0.3 * a_audio[:, 24000:24480].T + 0.1, atol=1e-6)
    kit.view.guide_muted = True
    assert mixer.tracks["guide"].gain == 0.0
    kit.view.update(guide_muted=False, guide_gain=0.8)
    assert mixer.tracks["guide"].gain == pytest.approx(0.8)
    # A/B: back to the other take; solo wins over the selection; muted never plays
    kit.view.select_take(b.path)
    assert pb.ab_target() == a.path
    qtbot.waitUntil(lambda: b.path in kit.view.take_cache, timeout=30000)
    assert mixer.tracks[ta].muted and not mixer.tracks[tb].muted and mixer.tracks[tb].gain == pytest.approx(0.3)
    pb.ab_switch()
    assert kit.view.selected_take == a.path and mixer.tracks[tb].muted and not mixer.tracks[ta].muted
    solo_b = copy.deepcopy(kit.doc.source.takes)
    solo_b[1].solo = True
    kit.doc.edit("takes", solo_b, "Solo take02")
    assert mixer.tracks[ta].muted and not mixer.tracks[tb].muted
    solo_b[1].muted = True
    kit.doc.edit("takes", solo_b, "Mute take02")
    assert mixer.tracks[tb].muted
    # a deleted take leaves the cache and the mix
    kit.doc.edit("takes", [solo_b[0]], "Delete 1 take(s)")
    assert b.path not in kit.view.take_cache and tb not in mixer.tracks
    pb.stop()


# -- project ---------------------------------------------------------------------------------------
def test_open_continues_seeds_recovers_autosave_and_saves(qtbot, kit, tmp_path):
    pc = ProjectController(kit.doc, kit.view, kit.runner, kit.prompts, Autosaver(kit.doc, 3600))
    proj = small_project(1)
    proj.sources[0].takes = [TakeInfo(str(tmp_path / "t.wav"), "take01", "sampler", 5, 48000)]
    path = str(proj.save(tmp_path / "small.stereosync.json"))
    kit.view.cache_take("old.wav", {"audio": None})
    assert pc.open_project(path)
    assert kit.view.seed == 6 and kit.view.take_cache == {} and not kit.doc.is_dirty()
    assert "clip not found" in kit.prompts.errors[-1] and kit.runner.job("guide") is None
    env = kit.doc.source.envelope.copy()
    env.values[:30] = 0.42
    kit.doc.edit("envelope", env, "Draw envelope")
    assert pc.confirm_discard()  # nobody to ask: the edit goes to the autosave
    assert newer_autosave(path) is not None
    assert pc.open_project(path)  # its newer autosave is recovered (the default answer)
    assert kit.prompts.questions == ["Recover changes"] and kit.doc.is_dirty()
    assert np.allclose(kit.doc.source.envelope.values[:30], 0.42) and kit.doc.path == path
    assert pc.save_to(path) and not kit.doc.is_dirty() and newer_autosave(path) is None
    assert np.allclose(Project.load(path).source().envelope.values[:30], 0.42, atol=1e-4)
    pc.open_path(str(tmp_path / "nothing.stereosync.json"))
    assert "not found" in kit.prompts.errors[-1]


# -- subjects --------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def two_walkers(cache_dir, tmp_path_factory) -> Project:
    from tests.walker import cached_walker_clip

    truth = cached_walker_clip(cache_dir, scenario="two", duration=5.0, fps=25, size=(640, 360), seed=0)
    return jobs.find_subjects(truth.path, None, 90.0, 48000, str(tmp_path_factory.mktemp("no_models")))


def _assert_same_sources(a, b) -> None:
    assert [s.name for s in a] == [s.name for s in b]
    for x, y in zip(a, b):
        assert np.array_equal(x.track.boxes, y.track.boxes, equal_nan=True)
        assert np.array_equal(x.envelope.values, y.envelope.values)
        assert np.array_equal(x.trajectory.pan, y.trajectory.pan)
        assert x.to_dict() == y.to_dict()


def test_merge_is_one_step_that_undo_restores_exactly_and_stale_results_drop(qtbot, kit, two_walkers, tmp_path):
    sub = SubjectsController(kit.doc, kit.view, kit.runner, kit.prompts, lambda: 0, str(tmp_path / "no_models"))
    kit.doc.set_project(two_walkers.copy())
    before = copy.deepcopy(kit.doc.project.sources)
    assert sub.select_subject("subject2")
    job = sub.merge_into("subject1")
    assert kit.view.busy_text == "merging…"
    kit.idle(qtbot)
    assert job.state == "finished", kit.prompts.last_error
    assert kit.doc.source_names() == ["subject1"] and kit.doc.undo_stack.undo_label() == "Merge subject2 into subject1"
    seen = [np.isfinite(s.track.boxes[:, 0]) for s in before]
    assert np.isfinite(kit.doc.source.track.boxes[:, 0]).sum() >= max(m.sum() for m in seen)
    kit.doc.undo()
    _assert_same_sources(kit.doc.project.sources, before)
    # a merge whose subjects changed while it ran is dropped, not applied over the edit
    sub.select_subject("subject2")
    job = sub.merge_into("subject1")
    env = kit.doc.source_named("subject1").envelope.copy()
    env.values[:10] = 0.9
    kit.doc.edit("envelope", env, "Draw envelope", source_name="subject1")
    kit.idle(qtbot)
    assert job.state == "finished" and kit.doc.source_names() == ["subject1", "subject2"]
    assert "merge dropped" in kit.prompts.statuses[-1]


def test_rename_and_delete_subjects_undo_exactly(kit):
    prompts = RecordingPrompts(text="walker B")
    sub = SubjectsController(kit.doc, kit.view, kit.runner, prompts, lambda: 0)
    kit.doc.set_project(small_project(2))
    before = copy.deepcopy(kit.doc.project.sources)
    kit.doc.select_source_named("subject2")
    assert sub.rename_subject()  # asks for the name
    assert kit.doc.source_names() == ["subject1", "walker B"] and kit.doc.source.name == "walker B"
    assert not sub.rename_subject("subject1") and "already exists" in prompts.last_error
    assert sub.delete_subject("subject1") and kit.doc.source_names() == ["walker B"]
    assert not sub.delete_subject() and "at least one" in prompts.statuses[-1]
    kit.doc.undo()
    kit.doc.undo()
    _assert_same_sources(kit.doc.project.sources, before)


# -- editing ---------------------------------------------------------------------------------------
def test_planned_steps_follow_box_csv_envelope_and_box_keyframe(qtbot, kit, tmp_path):
    ed = EditingController(kit.doc, kit.view, kit.runner, kit.prompts)
    kit.doc.set_project(small_project(1))
    qtbot.waitUntil(lambda: len(kit.view.planned_steps) > 0, timeout=10000)
    steps = kit.view.planned_steps
    assert all(0.0 <= s <= 2.0 for s in steps)
    assert steps == jobs.planned_steps(kit.doc.source.envelope, {})
    env = kit.doc.source.envelope.copy()
    env.events = [0.5, 1.5]
    kit.doc.edit("events", env, "Add step")  # the designer owns the steps now: none are planned
    qtbot.waitUntil(lambda: kit.view.planned_steps == [], timeout=10000)
    # Follow box: pan and distance from the boxes again after a hand-drawn pan
    proj, src = kit.doc.project, kit.doc.source
    drawn = src.trajectory.copy()
    drawn.pan[:] = -0.5
    drawn.follow_box = False
    kit.doc.edit("trajectory", drawn, "Draw Pan")
    ed.follow_box()
    expected = jobs.trajectory_from_track(src.track, proj.clip, src.trajectory.hfov_deg)
    assert kit.doc.source.trajectory.follow_box and np.allclose(kit.doc.source.trajectory.pan, expected.pan)
    # an envelope from a CSV file, as one undoable edit
    csv = tmp_path / "env.csv"
    csv.write_text("time,value\n0,0\n1,0.5\n2,0\n")
    job = ed.envelope_from_mode(str(csv))
    kit.idle(qtbot, 30000)
    assert job.state == "finished", job.error
    assert kit.doc.source.envelope.origin == "csv" and float(kit.doc.source.envelope.at(1.0)) == pytest.approx(0.5,
                                                                                                              abs=0.01)
    assert kit.doc.undo_stack.undo_label() == "Envelope from env.csv"
    # a box keyframe: an edit at once; without the clip there is nothing to re-track
    box = [300.0, 60.0, 380.0, 320.0]
    assert ed.box_edited(10, box) is None and kit.runner.job("retrack") is None
    assert kit.doc.source.track.keyframes[10] == box
    assert kit.doc.source.trajectory.pan[10] == pytest.approx(
        jobs.trajectory_from_track(kit.doc.source.track, proj.clip).pan[10])
    ed.stop()

"""The one job API, called directly (not through the CLI or the Studio).

The faces must get the same project from the same clip: defaults live in `jobs`, and a
snapshot a job works on is exactly the project the designer edited.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from stereosync_studio import jobs
from stereosync_studio.cli import main
from stereosync_studio.core.errors import Cancelled, InputError
from stereosync_studio.core.progress import CancelToken
from stereosync_studio.core.project import Project, Reference
from stereosync_studio.media.video_writer import write_video
from tests.walker import WalkerScene, cached_walker_clip

SNOW = str(Path(__file__).resolve().parents[1] / "resources" / "samples" / "snow")


@pytest.fixture(scope="module")
def walker(cache_dir):
    return cached_walker_clip(cache_dir, scenario="crossing", duration=1.5, fps=25, size=(320, 240), seed=3)


@pytest.fixture(scope="module")
def silent_clip(tmp_path_factory):
    scene = WalkerScene("crossing", 1.5, 25, (320, 240), 2, "textured", 1, None)
    clip = tmp_path_factory.mktemp("silent") / "silent.mp4"
    write_video(clip, (scene.render(i) for i in range(scene.n_frames)), 25, audio=np.zeros((2, 72000), np.float32))
    return clip


@pytest.fixture(scope="module")
def analysed(walker):
    return jobs.analyze_clip(walker.path)


def test_defaults_audible_clip_follows_its_guide_and_gets_the_bundled_reference(analysed):
    src = analysed.source()
    assert jobs.DEFAULT_ENVELOPE == "auto"
    assert src.envelope.origin == "audio"
    np.testing.assert_array_equal(src.envelope.values, analysed.guide_envelope.values)
    assert Path(src.reference.path) == jobs.DEFAULT_REFERENCE
    assert len(jobs.reference_files(src.reference)) >= 2


def test_silent_clip_gets_steps_from_the_picture_in_every_face(silent_clip, tmp_path):
    """Same clip, same behaviour: the API default and the CLI agree (the Studio calls the API)."""
    direct = jobs.analyze_clip(silent_clip)
    env = direct.source().envelope
    assert env.origin in ("video", "mapper") and direct.guide_envelope is None
    assert env.events and len(env.events) >= 1 and float(env.values.max()) > 0.05
    saved = tmp_path / "cli.stereosync.json"
    assert main(["-q", "analyze", str(silent_clip), "-o", str(tmp_path / "a.json"), "--project", str(saved)]) == 0
    via_cli = Project.load(saved).source()
    assert via_cli.envelope.origin == env.origin
    np.testing.assert_allclose(via_cli.envelope.values, env.values, atol=1e-5)  # the file rounds to 5 places
    assert Path(via_cli.reference.path).resolve() == Path(direct.source().reference.path).resolve()


def test_project_copy_is_exact_and_independent(analysed):
    p = analysed.copy()
    src = p.source()
    src.envelope.values[:] = np.float32(1 / 3) + np.arange(len(src.envelope.values), dtype=np.float32) * 1e-7
    src.track.boxes[:, 0] += 1 / 7
    src.trajectory.pan[:] = 0.123456789
    snap = p.copy()
    s2 = snap.source()
    np.testing.assert_array_equal(s2.envelope.values, src.envelope.values)  # bit for bit, no JSON rounding
    np.testing.assert_array_equal(s2.track.boxes, src.track.boxes)
    assert s2.trajectory.pan[0] == 0.123456789
    s2.envelope.values[:] = 0
    s2.reference.files.append("x.wav")
    assert float(src.envelope.values.max()) > 0.3 and "x.wav" not in src.reference.files
    assert snap.path == p.path


def test_render_takes_seeds_numbers_and_never_overwrites(analysed, tmp_path):
    project = analysed.copy()
    project.source().reference = Reference(SNOW)
    seen: list[float] = []
    made = jobs.render_takes(project, tmp_path, n_takes=2, seed=5, progress=lambda f, m="": seen.append(f))
    assert [t.seed for t in made] == [5, 6] and [t.name for t in made] == ["take01", "take02"]
    assert seen[-1] == 1.0 and all(b >= a - 1e-9 for a, b in zip(seen, seen[1:]))
    for t in made:
        audio, sr = sf.read(t.path, always_2d=True)
        assert sr == 48000 and audio.shape == (int(round(project.clip.duration * 48000)), 2)
        assert 0 <= t.metrics["e_l1"] < t.metrics["e_l1_silence"]
    (tmp_path / f"{project.name}_take03.wav").write_bytes(b"not mine")  # a file already there stays
    again = jobs.render_takes(project, tmp_path, n_takes=1, seed=9)
    # numbering comes from the project's own takes; the stray file is kept and the new one named beside it
    assert again[0].name == "take03" and (tmp_path / f"{project.name}_take03.wav").read_bytes() == b"not mine"
    assert again[0].path == str(tmp_path / f"{project.name}_take03-2.wav")
    assert [t.name for t in project.source().takes] == ["take01", "take02", "take03"]


def test_a_cancelled_render_writes_nothing(analysed, tmp_path):
    project = analysed.copy()
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        jobs.render_takes(project, tmp_path / "out", n_takes=3, cancel=token)
    assert not list((tmp_path / "out").glob("*.wav")) and not project.source().takes


def test_export_and_evaluate_a_take(analysed, tmp_path):
    project = analysed.copy()
    project.source().reference = Reference(SNOW)
    take = jobs.render_takes(project, tmp_path / "takes", n_takes=1, seed=2)[0]
    stems = jobs.export_stems(project, [("subject1", take)], tmp_path / "stems", sample_rate=44100)
    assert [p.name for p in stems] == [f"{project.name}_subject1_take01.wav"]
    info = sf.info(str(stems[0]))
    assert info.samplerate == 44100 and info.frames == int(round(project.clip.duration * 44100))
    assert info.subtype == "PCM_24"
    scores = jobs.evaluate_file(take.path, project)
    assert scores["e_l1"] == pytest.approx(take.metrics["e_l1"], rel=1e-3)
    shown = jobs.analyse_take(take.path, 48000, project, "subject1", "stereo")
    assert shown["audio"].shape[0] == 2 and shown["rms"].origin == "take"
    assert 0.0 <= shown["alignment"].recall <= 1.0


def test_reference_listing_and_bad_inputs(tmp_path):
    (tmp_path / "b.wav").write_bytes(b"")
    (tmp_path / "a.flac").write_bytes(b"")
    (tmp_path / ".hidden.wav").write_bytes(b"")
    (tmp_path / "notes.txt").write_text("x")
    assert [Path(f).name for f in jobs.reference_files(str(tmp_path))] == ["a.flac", "b.wav"]
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(InputError, match="empty"):
        jobs.reference_files(str(empty))
    with pytest.raises(InputError):
        jobs.output_dir(tmp_path / "notes.txt")
    assert jobs.parse_box("1,2,30,40@7") == ([1.0, 2.0, 30.0, 40.0], 7)


def test_planned_steps_are_the_engines_own_events(analysed):
    env = analysed.source().envelope
    steps = jobs.planned_steps(env, {})
    assert len(steps) >= 2 and steps == sorted(steps)
    assert all(0.0 <= t <= analysed.clip.duration for t in steps)

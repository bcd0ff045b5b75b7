"""End-to-end: generated walker clips through the `stereosync` CLI (analyze, render, eval, export).

These check the foundation's acceptance numbers on clips whose truth is known: the take is
rendered from the clip's guide track envelope with a *different* reference than the one the
guide was made from, then scored against the guide and the true boxes.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from stereosync_studio.analysis.detect import iou
from stereosync_studio.cli import main
from tests.walker import cached_walker_clip

pytestmark = pytest.mark.slow

GUIDE_SURFACE = "gravel"  # CC-BY-SA: fine for generated fixtures
RENDER_SURFACE = "snow"


def _files(footsteps_dir: Path, surface: str) -> list[str]:
    files = sorted(str(p) for p in footsteps_dir.rglob(f"*{surface}*.ogg"))
    assert files, f"no {surface} samples in {footsteps_dir}"
    return files


@pytest.fixture(scope="module", params=["crossing", "zigzag"])
def walker(request, cache_dir, footsteps_dir):
    guide = _files(footsteps_dir, GUIDE_SURFACE) if any(footsteps_dir.rglob("*gravel*")) else \
        _files(footsteps_dir, "hard")
    return cached_walker_clip(cache_dir, scenario=request.param, duration=6.0, fps=25, size=(640, 360),
                              guide_reference=guide, seed=1)


def test_analyze_writes_per_frame_boxes(walker, tmp_path, capsys):
    out = tmp_path / "analysis.json"
    assert main(["-q", "analyze", str(walker.path), "-o", str(out)]) == 0
    data = json.loads(out.read_text())
    assert data["width"] == walker.width and data["height"] == walker.height
    assert data["fps"] == pytest.approx(walker.fps)
    assert len(data["frames"]) == walker.n_frames
    assert data["frames"][1]["t"] == pytest.approx(1 / walker.fps, abs=1e-4)
    ious = [iou(f["box"], walker.boxes[i]) if f["box"] else 0.0 for i, f in enumerate(data["frames"])]
    assert np.mean(ious) >= 0.7
    assert all(f["distance"] is None or f["distance"] > 0 for f in data["frames"])
    assert len(data["envelope"]["values"]) > 100


def test_render_follows_steps_envelope_and_position(walker, tmp_path, footsteps_dir):
    from stereosync_studio.core.envelope import Envelope
    from stereosync_studio.core.project import Project
    from stereosync_studio.metrics.envelope_l1 import e_l1, e_l1_silence
    from stereosync_studio.dsp.onsets import detect_step_onsets
    from stereosync_studio.metrics.onsets import onset_f1

    ref_dir = tmp_path / "ref"
    ref_dir.mkdir()
    for f in _files(footsteps_dir, RENDER_SURFACE):
        (ref_dir / Path(f).name).symlink_to(f)
    out = tmp_path / "out"
    code = main(["-q", "render", str(walker.path), "--reference", str(ref_dir), "--envelope", "audio",
                 "--takes", "2", "--seed", "5", "-o", str(out)])
    assert code == 0
    stem = Path(walker.path).name.split(".")[0]
    take1, take2 = out / f"{stem}_take01.wav", out / f"{stem}_take02.wav"
    audio, sr = sf.read(take1, always_2d=True)
    assert sr == 48000 and audio.shape[1] == 2
    assert audio.shape[0] == round(walker.duration * 48000)
    assert not np.allclose(audio, sf.read(take2, always_2d=True)[0])  # seeds differ

    from stereosync_studio.analysis.envelope_audio import envelope_from_audio

    guide_env: Envelope = envelope_from_audio(walker.guide_audio, walker.sample_rate)
    take = audio.T.astype(np.float32)
    assert e_l1(take, sr, guide_env) <= 0.15 * e_l1_silence(guide_env)
    f1 = onset_f1(detect_step_onsets(take, sr), walker.step_times, tolerance=0.05)["f1"]
    assert f1 >= 0.9

    project = Project.load(out / f"{stem}.stereosync.json")
    metrics = project.source().takes[0].metrics
    assert metrics["spatial_alignment"] >= 0.95

    # eval re-reads the take and the project and agrees with the stored metrics
    ev = tmp_path / "eval.json"
    assert main(["-q", "eval", str(take1), "--project", str(out / f"{stem}.stereosync.json"),
                 "-o", str(ev)]) == 0
    scored = json.loads(ev.read_text())
    assert scored["spatial_alignment"] == pytest.approx(metrics["spatial_alignment"], abs=0.02)


def test_render_edited_project_and_export(tmp_path, cache_dir, footsteps_dir):
    from stereosync_studio.core.project import Project
    from stereosync_studio.media.bwf import read_bext

    clip = cached_walker_clip(cache_dir, scenario="crossing", duration=6.0, fps=25, size=(640, 360),
                              guide_reference=_files(footsteps_dir, "gravel"), seed=1)
    out = tmp_path / "first"
    ref = _files(footsteps_dir, RENDER_SURFACE)[0]
    assert main(["-q", "render", str(clip.path), "--reference", ref, "-o", str(out)]) == 0
    stem = Path(clip.path).name.split(".")[0]
    proj_path = out / f"{stem}.stereosync.json"
    project = Project.load(proj_path)
    src = project.source()
    src.envelope.values[:] = 0.0  # the designer silences the first half by hand
    src.envelope.values[len(src.envelope.values) // 2:] = 0.0
    src.envelope.events = [3.2, 3.7, 4.2]
    src.envelope.values[int(3.0 * src.envelope.rate):] = 0.3
    project.save(proj_path)
    assert main(["-q", "render", "--project", str(proj_path), "--seed", "9", "-o", str(out)]) == 0
    again = Project.load(proj_path)
    assert len(again.source().takes) == 2
    audio, sr = sf.read(again.source().takes[1].path, always_2d=True)
    first_half = np.abs(audio[: int(2.9 * sr)]).max()
    assert first_half < 1e-3 < np.abs(audio[int(3.1 * sr):]).max()

    stems = tmp_path / "stems"
    assert main(["-q", "export", str(proj_path), "--sr", "44100", "-o", str(stems)]) == 0
    files = sorted(stems.glob("*.wav"))
    assert [f.name for f in files] == [f"{stem}_subject1_take01.wav", f"{stem}_subject1_take02.wav"]
    info = sf.info(files[0])
    assert info.samplerate == 44100 and info.subtype == "PCM_24" and info.channels == 2
    assert read_bext(files[0]) is not None


def _run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "stereosync_studio.cli", *args], capture_output=True,
                          text=True, timeout=300)


def test_bad_clips_give_one_line_reasons(tmp_path, cache_dir, footsteps_dir):
    clip = cached_walker_clip(cache_dir, scenario="crossing", duration=6.0, fps=25, size=(640, 360),
                              guide_reference=_files(footsteps_dir, "gravel"), seed=1)
    truncated = tmp_path / "truncated.mp4"
    data = Path(clip.path).read_bytes()
    truncated.write_bytes(data[: len(data) // 3])
    text = tmp_path / "notes.mp4"
    text.write_text("this is not a video\n" * 20)
    audio_only = tmp_path / "sound.wav"
    sf.write(audio_only, np.zeros((4800, 2)), 48000)
    for bad in (truncated, text, audio_only, tmp_path / "missing.mp4"):
        r = _run_cli("analyze", str(bad), "-o", str(tmp_path / "a.json"))
        assert r.returncode != 0
        last = r.stderr.strip().splitlines()[-1]
        assert bad.name in last and "Traceback" not in r.stderr, r.stderr


@pytest.mark.parametrize("kind", ["silent", "empty", "nan", "six_channel"])
def test_bad_references(kind, tmp_path, cache_dir, footsteps_dir, capsys):
    clip = cached_walker_clip(cache_dir, scenario="crossing", duration=6.0, fps=25, size=(640, 360),
                              guide_reference=_files(footsteps_dir, "gravel"), seed=1)
    ref = tmp_path / f"{kind}.wav"
    sr = 44100
    if kind == "silent":
        sf.write(ref, np.zeros(sr), sr)
    elif kind == "empty":
        sf.write(ref, np.zeros((0, 1)), sr)
    elif kind == "nan":
        x = np.random.default_rng(0).normal(0, 0.1, sr).astype(np.float32)
        x[100:200] = np.nan
        sf.write(ref, x, sr, subtype="FLOAT")
    else:
        step, step_sr = sf.read(_files(footsteps_dir, RENDER_SURFACE)[0], always_2d=True)
        sf.write(ref, np.tile(step, (1, 6)), step_sr)
    out = tmp_path / "out"
    code = main(["-q", "render", str(clip.path), "--reference", str(ref), "-o", str(out)])
    if kind == "six_channel":
        assert code == 0  # downmixed: a 6-channel reference is valid
        assert len(list(out.glob("*.wav"))) == 1
    else:
        assert code != 0
        last = capsys.readouterr().err.strip().splitlines()[-1]
        assert ref.name in last, last


def test_render_all_subjects_gives_one_stem_each(tmp_path, cache_dir, footsteps_dir):
    from stereosync_studio.core.project import Project

    clip = cached_walker_clip(cache_dir, scenario="two", duration=5.0, fps=25, size=(640, 360),
                              guide_reference=_files(footsteps_dir, "gravel"), seed=0)
    out = tmp_path / "out"
    ref = _files(footsteps_dir, RENDER_SURFACE)[0]
    assert main(["-q", "render", str(clip.path), "--subjects", "all", "--reference", ref, "-o", str(out)]) == 0
    stem = Path(clip.path).name.split(".")[0]
    assert sorted(p.name for p in out.glob("*.wav")) == [f"{stem}_subject1_take01.wav",
                                                        f"{stem}_subject2_take01.wav"]
    project = Project.load(out / f"{stem}.stereosync.json")
    for source in project.sources:
        assert source.envelope.origin in ("audio", "video", "mapper") and source.envelope.steps()
        assert source.takes[0].metrics["spatial_alignment"] >= 0.9

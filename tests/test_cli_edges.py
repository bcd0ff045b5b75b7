"""The CLI on unusual and bad input: it works, or it ends with one line naming the file and the problem."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from stereosync_studio.cli import main
from stereosync_studio.core.project import Project
from stereosync_studio.media.video_writer import write_video
from tests.walker import WalkerScene, cached_walker_clip

SNOW = str(Path(__file__).resolve().parents[1] / "resources" / "samples" / "snow")


@pytest.fixture(scope="module")
def walker(cache_dir):
    return cached_walker_clip(cache_dir, scenario="crossing", duration=1.0, fps=25, size=(320, 240), seed=1)


def _last_error(capsys) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert err, "no message on stderr"
    assert not any("Traceback" in line for line in err)
    return err[-1]


def test_silent_audio_track_auto_envelope_falls_back_to_video(tmp_path):
    """A clip whose audio stream is pure silence has no guide: auto must find the steps in the picture."""
    scene = WalkerScene("crossing", 1.0, 25, (320, 240), 1, "textured", 1, None)
    clip = tmp_path / "silent.mp4"
    write_video(clip, (scene.render(i) for i in range(scene.n_frames)), 25,
                audio=np.zeros((2, 48000), np.float32))
    out = tmp_path / "out"
    assert main(["-q", "render", str(clip), "--reference", SNOW, "-o", str(out)]) == 0
    project = Project.load(out / "silent.stereosync.json")
    assert project.sources[0].envelope.origin == "video"
    audio, sr = sf.read(out / "silent_take01.wav", always_2d=True)
    assert sr == 48000 and audio.shape == (48000, 2)
    assert np.abs(audio).max() > 0.01


def test_box_on_frame_past_the_end_is_a_clear_error(walker, tmp_path, capsys):
    code = main(["-q", "analyze", walker.path, "--box", "100,60,160,200@999", "-o", str(tmp_path / "a.json")])
    assert code == 2
    line = _last_error(capsys)
    assert walker.path in line and "frame 999" in line and f"0..{walker.n_frames - 1}" in line
    assert not (tmp_path / "a.json").exists()


@pytest.mark.parametrize("arg,value", [("--takes", "0"), ("--takes", "-2"), ("--sr", "0")])
def test_bad_counts_are_usage_errors(walker, tmp_path, capsys, arg, value):
    with pytest.raises(SystemExit) as info:
        main(["-q", "render", walker.path, "--reference", SNOW, arg, value, "-o", str(tmp_path / "o")])
    assert info.value.code == 2
    line = _last_error(capsys)
    assert arg in line and value in line
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("command", ["render", "analyze"])
def test_output_folder_that_is_a_file(walker, tmp_path, capsys, command):
    blocker = tmp_path / "blocker"
    blocker.write_text("x")
    if command == "render":
        argv = ["-q", "render", walker.path, "--envelope", "none", "--reference", SNOW, "-o", str(blocker)]
    else:
        argv = ["-q", "analyze", walker.path, "--envelope", "none", "-o", str(blocker / "a.json")]
    assert main(argv) == 2
    line = _last_error(capsys)
    assert str(blocker) in line and "is an existing file" in line
    assert blocker.read_text() == "x"


def test_refused_write_is_one_line_not_a_traceback(walker, tmp_path, capsys, monkeypatch):
    """A read-only folder (root ignores chmod, so the refusal is simulated where the take is written)."""
    from stereosync_studio.media import audio as audio_mod

    def refuse(path, *a, **k):
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(audio_mod, "write_wav", refuse)
    out = tmp_path / "ro"
    code = main(["-q", "render", walker.path, "--envelope", "none", "--reference", SNOW, "-o", str(out)])
    assert code == 2
    line = _last_error(capsys)
    assert line.startswith(f"stereosync: error: {out}") and line.endswith("Permission denied")


def test_unknown_envelope_mode_names_itself(walker, tmp_path, capsys):
    code = main(["-q", "render", walker.path, "--envelope", "vidoe", "--reference", SNOW, "-o", str(tmp_path)])
    assert code == 2
    line = _last_error(capsys)
    assert "vidoe" in line and "not an envelope mode" in line


def test_preview_of_moved_clip_names_the_clip_before_rendering(walker, tmp_path, capsys):
    clip = tmp_path / "moved.mp4"
    clip.write_bytes(Path(walker.path).read_bytes())
    out = tmp_path / "out"
    assert main(["-q", "render", str(clip), "--envelope", "none", "--reference", SNOW, "-o", str(out)]) == 0
    clip.rename(tmp_path / "elsewhere.mp4")
    project = out / "moved.stereosync.json"
    assert main(["-q", "render", "--project", str(project), "--preview", "-o", str(out)]) == 2
    line = _last_error(capsys)
    assert str(clip) in line and "clip not found" in line
    assert sorted(p.name for p in out.glob("*.wav")) == ["moved_take01.wav"]  # nothing half-done
    assert main(["-q", "export", str(project), "--preview", "-o", str(tmp_path / "stems")]) == 2
    assert str(clip) in _last_error(capsys)
    # without the preview the clip is not needed: rendering and exporting still work
    assert main(["-q", "render", "--project", str(project), "-o", str(out)]) == 0
    assert main(["-q", "export", str(project), "-o", str(tmp_path / "stems")]) == 0
    audio, sr = sf.read(tmp_path / "stems" / "moved_subject1_take02.wav", always_2d=True)
    assert audio.shape == (int(round(walker.duration * 48000)), 2)


def test_analyze_json_and_take_length_on_29_97_and_odd_size(cache_dir, tmp_path):
    truth = cached_walker_clip(cache_dir, scenario="crossing", duration=1.0, fps=30000 / 1001, size=(321, 241),
                               seed=1)
    out = tmp_path / "a.json"
    assert main(["-q", "analyze", truth.path, "-o", str(out)]) == 0
    data = json.loads(out.read_text())
    assert data["n_frames"] == len(data["frames"]) == truth.n_frames
    assert data["frames"][1]["t"] == pytest.approx(1001 / 30000, abs=1e-4)
    assert sum(f["box"] is not None for f in data["frames"]) == truth.n_frames
    assert main(["-q", "render", truth.path, "--reference", SNOW, "--sr", "44100", "-o", str(tmp_path / "o")]) == 0
    info = sf.info(str(next((tmp_path / "o").glob("*.wav"))))
    assert info.samplerate == 44100 and info.frames == int(round(data["duration"] * 44100))

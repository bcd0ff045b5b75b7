"""The CLI on the inputs a sound designer brings: a bad reference or output path is said in one
line naming it *before* the analysis (a long clip is not tracked for nothing), and a bug ends in
one line with the traceback in a file, never on the terminal."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from stereosync_studio import jobs
from stereosync_studio.cli import main
from stereosync_studio.core.errors import StereoSyncError

SR = 48000


class AnalysisStarted(StereoSyncError):
    """Raised by the stubbed analysis: the command got past its early checks."""

    def __init__(self):
        super().__init__("the analysis started")


@pytest.fixture
def no_analysis(monkeypatch):
    def started(*args, **kwargs):
        raise AnalysisStarted()

    monkeypatch.setattr(jobs, "analyze_clip", started)


def _step(seconds: float = 0.3) -> np.ndarray:
    n = int(seconds * SR)
    return (np.random.default_rng(0).normal(0, 0.3, n) * np.exp(-np.arange(n) / (0.03 * SR))).astype(np.float32)


def _error_line(capsys) -> str:
    err = capsys.readouterr().err
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert lines, "no message on stderr"
    return lines[-1]


def _bad_reference(tmp_path: Path, kind: str) -> tuple[str, str, str]:
    """(--reference argument, the path the message must name, a word of the problem)."""
    if kind == "missing":
        return str(tmp_path / "gone.wav"), str(tmp_path / "gone.wav"), "not found"
    if kind == "silent":
        sf.write(tmp_path / "silent.wav", np.zeros(SR // 2, np.float32), SR)
        return str(tmp_path / "silent.wav"), "silent.wav", "silent"
    if kind == "not audio":
        (tmp_path / "notes.wav").write_bytes(b"not a sound")
        return str(tmp_path / "notes.wav"), "notes.wav", "not an audio file"
    if kind == "folder without audio":
        (tmp_path / "docs").mkdir()
        (tmp_path / "docs" / "readme.txt").write_text("x")
        return str(tmp_path / "docs"), str(tmp_path / "docs"), "no audio files"
    if kind == "bad region":  # a typo in @START-END reads as a file name: say how regions are written
        (tmp_path / "grass").mkdir()
        sf.write(tmp_path / "grass" / "g.wav", _step(), SR)
        return str(tmp_path / "grass") + "/@0-4,2", "grass/@0-4,2", "PATH@START-END"
    raise AssertionError(kind)


@pytest.mark.parametrize("kind", ["missing", "silent", "not audio", "folder without audio", "bad region"])
def test_bad_reference_is_said_before_the_analysis(tmp_path, capsys, no_analysis, kind):
    ref, named, problem = _bad_reference(tmp_path, kind)
    out = tmp_path / "out"
    assert main(["-q", "render", str(tmp_path / "clip.mp4"), "--reference", ref, "-o", str(out)]) == 2
    line = _error_line(capsys)
    assert named in line and problem in line, line
    assert not out.exists()


def test_good_reference_with_spaces_and_accents_passes_the_checks(tmp_path, capsys, no_analysis):
    folder = tmp_path / "pas de neige é"
    folder.mkdir()
    sf.write(folder / "pas ü 1.flac", _step(), 22050)
    (folder / "notes.txt").write_text("ignored")
    out = tmp_path / "ö ut"
    assert main(["-q", "render", str(tmp_path / "clip.mp4"), "--reference", str(folder), "-o", str(out)]) == 2
    assert _error_line(capsys) == "stereosync: error: the analysis started"


def test_output_folder_under_a_file_is_said_before_the_analysis(tmp_path, capsys, no_analysis):
    sf.write(tmp_path / "ref.wav", _step(), SR)
    blocker = tmp_path / "takes.txt"
    blocker.write_text("x")
    code = main(["-q", "render", str(tmp_path / "clip.mp4"), "--reference", str(tmp_path / "ref.wav"),
                 "-o", str(blocker / "out")])
    assert code == 2
    line = _error_line(capsys)
    assert str(blocker / "out") in line and f"{blocker} is a file" in line
    assert blocker.read_text() == "x"


def test_read_only_output_folder_is_said_before_the_analysis(tmp_path, capsys, no_analysis, monkeypatch):
    """Root ignores chmod: the refusal is simulated where the folder's permission is asked."""
    import stereosync_studio.jobs.project_files as pf

    sf.write(tmp_path / "ref.wav", _step(), SR)
    locked = tmp_path / "locked"
    locked.mkdir()
    monkeypatch.setattr(pf.os, "access", lambda path, mode: Path(path) != locked)
    code = main(["-q", "render", str(tmp_path / "clip.mp4"), "--reference", str(tmp_path / "ref.wav"),
                 "-o", str(locked / "takes")])
    assert code == 2
    line = _error_line(capsys)
    assert str(locked / "takes") in line and "read-only" in line


@pytest.mark.parametrize("option", ["-o", "--project"])
def test_analyze_into_an_existing_folder_names_it_not_a_temporary_file(tmp_path, capsys, no_analysis, option):
    folder = tmp_path / "results"
    folder.mkdir()
    argv = ["-q", "analyze", str(tmp_path / "clip.mp4"), "-o", str(folder)]
    if option == "--project":
        argv[-1:] = [str(tmp_path / "a.json"), "--project", str(folder)]
    assert main(argv) == 2
    line = _error_line(capsys)
    assert line.startswith(f"stereosync: error: {folder}: is a folder") and option in line
    assert ".tmp" not in line
    assert list(folder.iterdir()) == []


def test_a_refused_rename_names_its_target(tmp_path, capsys, monkeypatch):
    """os.replace errors carry the temporary file first and the target second: say the target."""
    import stereosync_studio.cli as cli

    target = tmp_path / "metrics.json"

    def refuse(*args, **kwargs):
        raise IsADirectoryError(21, "Is a directory", str(tmp_path / ".metrics.json.x1y2.tmp"), None, str(target))

    monkeypatch.setitem(cli.COMMANDS, "eval", refuse)
    code = main(["-q", "eval", "t.wav", "--project", "p.json", "-o", str(target)])
    assert code == 2
    assert _error_line(capsys) == f"stereosync: error: {target}: Is a directory"


def test_a_bug_is_one_line_and_the_traceback_goes_to_a_file(tmp_path, capsys, monkeypatch):
    def broken(*args, **kwargs):
        raise StopIteration

    monkeypatch.setattr(jobs, "analyze_clip", broken)
    sf.write(tmp_path / "ref.wav", _step(), SR)
    code = main(["-q", "render", str(tmp_path / "clip.mp4"), "--reference", str(tmp_path / "ref.wav"),
                 "-o", str(tmp_path / "out")])
    assert code == 70
    line = _error_line(capsys)
    assert "internal error (StopIteration)" in line and str(tmp_path / "clip.mp4") in line
    saved = Path(line.rsplit("details in ", 1)[1])
    try:
        text = saved.read_text()
        assert "Traceback" in text and "broken" in text
    finally:
        saved.unlink()


@pytest.mark.parametrize("command", ["render", "analyze"])
@pytest.mark.parametrize("name,problem", [("performed.wav", "envelope file not found"),
                                          ("levels.csv", "envelope file not found"),
                                          ("garbage.flac", "")])
def test_bad_envelope_file_is_said_before_the_analysis(tmp_path, capsys, no_analysis, command, name, problem):
    envelope = tmp_path / name
    if name == "garbage.flac":
        envelope.write_bytes(b"\x00" * 64)
    sf.write(tmp_path / "ref.wav", _step(), SR)
    argv = ["-q", command, str(tmp_path / "clip.mp4"), "--envelope", str(envelope), "-o", str(tmp_path / "o.json")]
    if command == "render":
        argv[-2:] = ["--reference", str(tmp_path / "ref.wav"), "-o", str(tmp_path / "out")]
    assert main(argv) == 2
    line = _error_line(capsys)
    assert line.startswith(f"stereosync: error: {envelope}: {problem}") and "analysis started" not in line


def test_batch_with_a_bad_reference_stops_before_the_first_clip(tmp_path, capsys, monkeypatch):
    """Not one analysis per clip, each ending in the same error: one line, nothing rendered."""
    import stereosync_studio.jobs.batch as batch

    clips = tmp_path / "clips"
    clips.mkdir()
    for name in ("a.mp4", "b.mov"):
        (clips / name).write_bytes(b"\x00")
    monkeypatch.setattr(batch, "batch_render", lambda *a, **k: (_ for _ in ()).throw(AnalysisStarted()))
    bad = tmp_path / "steps.wav"
    bad.write_bytes(b"RIFF0000WAVE")
    out = tmp_path / "out"
    assert main(["-q", "batch", str(clips), "--reference", str(bad), "-o", str(out)]) == 2
    line = _error_line(capsys)
    assert line.startswith(f"stereosync: error: {bad}: ") and "analysis started" not in line
    assert not out.exists()

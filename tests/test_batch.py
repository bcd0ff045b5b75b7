"""Batch rendering of a folder: summary.csv, resume, broken clips, worker processes, Ray.

The Ray test starts a local Ray instance on this machine (2 CPUs, no dashboard) and checks
that the same job function gives the same rows as in-process rendering.
"""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest
import soundfile as sf

from stereosync_studio.cli import main
from stereosync_studio.jobs.batch import MARKER, SUMMARY_COLUMNS, BatchSettings, batch_render
from tests.walker import cached_walker_clip

SNOW = str(Path(__file__).resolve().parents[1] / "resources" / "samples" / "snow")


@pytest.fixture(scope="module")
def clips(cache_dir, tmp_path_factory) -> Path:
    """Two short walker clips and a broken one."""
    folder = tmp_path_factory.mktemp("clips")
    for i, scenario in enumerate(["crossing", "approaching"]):
        w = cached_walker_clip(cache_dir, scenario=scenario, duration=1.2, fps=25, size=(256, 192), seed=5 + i)
        shutil.copy(w.path, folder / f"shot{i + 1}.mp4")
    (folder / "broken.mp4").write_bytes(b"\x00\x00\x00\x18ftypisom" + b"garbage" * 50)
    return folder


def read_summary(path: Path) -> list[dict[str, str]]:
    with open(path, newline="") as fh:
        reader = csv.DictReader(fh)
        assert reader.fieldnames == SUMMARY_COLUMNS
        return list(reader)


def test_batch_renders_every_clip_and_resumes(clips, tmp_path):
    out = tmp_path / "out"
    rc = main(["-q", "batch", str(clips), "--reference", SNOW, "-o", str(out), "--takes", "2"])
    assert rc == 1  # a clip failed: reported, the others done
    rows = {r["clip"]: r for r in read_summary(out / "summary.csv")}
    assert set(rows) == {"broken.mp4", "shot1.mp4", "shot2.mp4"}
    assert rows["broken.mp4"]["status"] == "error" and "broken.mp4" in rows["broken.mp4"]["error"]
    for name in ("shot1", "shot2"):
        row = rows[f"{name}.mp4"]
        assert row["status"] == "ok" and row["takes"] == "2" and row["error"] == ""
        assert 0 < float(row["e_l1"]) < 1 and 0 <= float(row["align"]) <= 1 and -60 < float(row["lufs"]) < 0
        takes = sorted((out / name / f"{name}_takes").glob(f"{name}_take*.wav"))  # the project folder layout
        assert len(takes) == 2 and sf.info(str(takes[0])).samplerate == 48000
        assert (out / name / f"{name}.stereosync.json").is_file() and (out / name / MARKER).is_file()
    first = out / "shot1" / "shot1_takes" / "shot1_take01.wav"
    mtime = first.stat().st_mtime_ns
    again = batch_render(clips, out, BatchSettings(reference=SNOW, n_takes=2))
    assert again.skipped == 2 and [r["status"] for r in again.rows] == ["error", "ok", "ok"]
    assert first.stat().st_mtime_ns == mtime  # finished clips not redone
    assert read_summary(out / "summary.csv")[1:] == [rows["shot1.mp4"], rows["shot2.mp4"]]


def test_batch_on_worker_processes_and_a_local_ray_instance(clips, tmp_path):
    pytest.importorskip("ray")
    settings = BatchSettings(reference=SNOW, n_takes=1, seed=4)
    good = tmp_path / "good"
    good.mkdir()
    for c in ("shot1.mp4", "shot2.mp4", "broken.mp4"):
        shutil.copy(clips / c, good / c)
    here = batch_render(good, tmp_path / "here", settings)
    pool = batch_render(good, tmp_path / "pool", settings, workers=2)
    on_ray = batch_render(good, tmp_path / "ray", settings, workers=2, ray="local")
    strip = [{k: r[k] for k in ("clip", "takes", "e_l1", "align", "lufs", "status")} for r in here.rows]
    for other in (pool, on_ray):
        assert [{k: r[k] for k in ("clip", "takes", "e_l1", "align", "lufs", "status")} for r in other.rows] == strip
    assert [r["status"] for r in on_ray.rows] == ["error", "ok", "ok"]
    assert "broken.mp4" in on_ray.rows[0]["error"]


def test_batch_bad_inputs_name_the_folder(tmp_path, capsys):
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["-q", "batch", str(empty), "-o", str(tmp_path / "o")]) == 2
    assert "empty" in capsys.readouterr().err
    assert main(["-q", "batch", str(empty), "--reference", str(tmp_path / "nope"), "-o", str(tmp_path / "o")]) == 2
    assert "nope" in capsys.readouterr().err

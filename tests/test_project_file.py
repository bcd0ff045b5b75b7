"""Damaged project files: one message naming the file and the field, never a traceback."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from stereosync_studio.cli import main
from stereosync_studio.core.errors import InputError
from stereosync_studio.core.project import Project

GOOD = {
    "schema": "stereosync-project", "schema_version": 1, "name": "walk", "sample_rate": 48000,
    "clip": {"path": "walk.mp4", "fps": 25.0, "width": 320, "height": 240, "duration": 1.0, "n_frames": 25},
    "sources": [{
        "name": "subject1",
        "track": {"boxes": [None] + [[10.0, 20.0, 60.0, 200.0]] * 24, "confidence": [0.0] + [1.0] * 24},
        "envelope": {"values": [0.0, 0.25, 0.5], "rate": 344.53, "events": [0.1], "origin": "drawn"},
        "trajectory": {"pan": [0.0] * 25, "distance": [1.0] * 25, "fps": 25.0},
        "reference": {"path": "", "files": [], "text": ""},
        "takes": [{"path": "walk_take01.wav", "name": "take01", "engine": "sampler", "seed": 0,
                   "sample_rate": 48000, "metrics": {"e_l1": float("nan")}}],
    }],
}

DAMAGE = {
    "a list instead of an object": (lambda d: [d], "JSON list"),
    "envelope is a string": (lambda d: _set(d, ["sources", 0, "envelope"], "loud"), "sources[0].envelope"),
    "NaN in the envelope": (lambda d: _set(d, ["sources", 0, "envelope", "values", 1], float("nan")),
                            "sources[0].envelope.values[1]: must be a finite number"),
    "negative sample rate": (lambda d: _set(d, ["sample_rate"], -48000), "sample_rate"),
    "box with three numbers": (lambda d: _set(d, ["sources", 0, "track", "boxes", 5], [1, 2, 3]),
                               "sources[0].track.boxes[5]"),
    "infinite distance": (lambda d: _set(d, ["sources", 0, "trajectory", "distance", 3], float("inf")),
                          "sources[0].trajectory.distance[3]"),
    "no trajectory": (lambda d: d["sources"][0].pop("trajectory") and d, "'trajectory' is a required property"),
    "zero fps": (lambda d: _set(d, ["clip", "fps"], 0), "clip.fps"),
    "seed is text": (lambda d: _set(d, ["sources", 0, "takes", 0, "seed"], "x"), "sources[0].takes[0].seed"),
}


def _set(d, path, value):
    target = d
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    return d


def _write(tmp_path, data, name="walk.stereosync.json"):
    p = tmp_path / name
    p.write_text(json.dumps(data))  # json writes NaN/Infinity, as a hand edit or old writer might
    return p


def test_a_good_file_loads_with_its_values(tmp_path):
    project = Project.load(_write(tmp_path, GOOD))
    src = project.source()
    assert src.envelope.values.tolist() == [0.0, 0.25, 0.5] and src.envelope.events == [0.1]
    assert src.track.box(0) is None and src.track.box(3).tolist() == [10.0, 20.0, 60.0, 200.0]


def test_a_project_whose_clip_had_no_steps_loads(tmp_path):
    """A clip where no step was found saves empty event and box lists; they must load, not
    raise (an empty list used to end the numbers check in a StopIteration)."""
    data = copy.deepcopy(GOOD)
    data["sources"][0]["envelope"]["events"] = []
    data["sources"][0]["track"]["boxes"] = [None] * 25
    project = Project.load(_write(tmp_path, data))
    assert project.source().envelope.events == [] and project.source().track.box(3) is None


@pytest.mark.parametrize("case", sorted(DAMAGE))
def test_damage_names_the_file_and_the_field(case, tmp_path):
    damage, expected = DAMAGE[case]
    path = _write(tmp_path, damage(copy.deepcopy(GOOD)))
    with pytest.raises(InputError) as info:
        Project.load(path)
    text = str(info.value)
    assert str(path) in text and expected in text, text


@pytest.mark.parametrize("command", ["render", "export"])
@pytest.mark.parametrize("case", ["a list instead of an object", "envelope is a string", "NaN in the envelope"])
def test_cli_exits_2_with_one_line(command, case, tmp_path, capsys):
    damage, expected = DAMAGE[case]
    path = _write(tmp_path, damage(copy.deepcopy(GOOD)))
    argv = ["-q", "render", "--project", str(path), "-o", str(tmp_path / "o")] if command == "render" else \
        ["-q", "export", str(path), "-o", str(tmp_path / "o")]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "Traceback" not in err[0]
    assert str(path) in err[0] and expected in err[0]


def test_a_project_with_no_subjects_is_an_error_not_silence(tmp_path, capsys):
    data = copy.deepcopy(GOOD)
    data["sources"] = []
    path = _write(tmp_path, data)
    assert main(["-q", "render", "--project", str(path), "-o", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert "no subjects" in err and str(path) in err


def _media(root):
    root.mkdir(parents=True, exist_ok=True)
    (root / "walk.mp4").write_bytes(b"clip")
    (root / "steps").mkdir(exist_ok=True)
    (root / "steps" / "a.wav").write_bytes(b"ref")
    (root / "walk_take01.wav").write_bytes(b"take")


def _project_in(root) -> Project:
    data = copy.deepcopy(GOOD)
    data["sources"][0]["reference"] = {"path": "steps", "files": ["steps/a.wav"], "text": ""}
    return Project.from_dict(data, relative_to=root)


def test_a_project_folder_moved_with_its_media_opens_complete(tmp_path):
    import shutil

    _media(tmp_path / "a")
    project = _project_in(tmp_path / "a")
    project.save(tmp_path / "a" / "walk.stereosync.json")
    shutil.move(str(tmp_path / "a"), str(tmp_path / "b"))  # the whole folder, elsewhere
    moved = Project.load(tmp_path / "b" / "walk.stereosync.json")
    assert moved.clip.path == str((tmp_path / "b" / "walk.mp4").resolve())
    assert moved.source().reference.files == [str((tmp_path / "b" / "steps" / "a.wav").resolve())]
    assert moved.source().takes[0].path == str((tmp_path / "b" / "walk_take01.wav").resolve())


def test_a_project_file_moved_alone_still_finds_its_media(tmp_path):
    _media(tmp_path / "media")
    project = _project_in(tmp_path / "media")
    saved = project.save(tmp_path / "media" / "walk.stereosync.json")
    elsewhere = tmp_path / "other" / "deep" / "walk.stereosync.json"
    elsewhere.parent.mkdir(parents=True)
    saved.rename(elsewhere)
    moved = Project.load(elsewhere)
    assert moved.clip.path == str((tmp_path / "media" / "walk.mp4").resolve())
    assert moved.source().reference.path == str((tmp_path / "media" / "steps").resolve())
    assert moved.source().takes[0].path == str((tmp_path / "media" / "walk_take01.wav").resolve())


def test_a_clip_gathered_beside_the_moved_project_is_found_by_its_name(tmp_path):
    """The clip lived outside the project folder; the designer copied it in and moved the
    folder to another disk: the original is gone, the copy beside the project is the clip."""
    import shutil

    _media(tmp_path / "shoot")
    project = _project_in(tmp_path / "shoot")
    (tmp_path / "proj").mkdir()
    project.save(tmp_path / "proj" / "walk.stereosync.json")
    shutil.copy(tmp_path / "shoot" / "walk.mp4", tmp_path / "proj" / "walk.mp4")
    shutil.move(str(tmp_path / "proj"), str(tmp_path / "disk2"))
    shutil.rmtree(tmp_path / "shoot")
    moved = Project.load(tmp_path / "disk2" / "walk.stereosync.json")
    assert moved.clip.path == str((tmp_path / "disk2" / "walk.mp4").resolve())
    # a reference file neither where it was nor beside the project stays named as it was
    assert moved.source().reference.files[0].endswith("a.wav")
    assert not (tmp_path / "disk2" / "a.wav").exists()


def test_saving_gathers_takes_into_the_project_folder(tmp_path):
    from stereosync_studio import jobs

    scratch = tmp_path / "scratch"
    _media(scratch)
    project = _project_in(scratch)
    (scratch / "walk_take01.mp4").write_bytes(b"preview")
    target = tmp_path / "proj" / "walk.stereosync.json"
    (tmp_path / "proj" / "walk_takes").mkdir(parents=True)
    (tmp_path / "proj" / "walk_takes" / "walk_take01.wav").write_bytes(b"older, not ours")
    jobs.save_project(project, target)
    take = project.source().takes[0]
    assert Path(take.path) == (tmp_path / "proj" / "walk_takes" / "walk_take01-2.wav").resolve()
    assert Path(take.path).read_bytes() == b"take" and Path(take.path).with_suffix(".mp4").is_file()
    assert not (scratch / "walk_take01.wav").exists()
    assert (tmp_path / "proj" / "walk_takes" / "walk_take01.wav").read_bytes() == b"older, not ours"
    saved = json.loads(target.read_text())
    assert saved["sources"][0]["takes"][0]["path"] == "walk_takes/walk_take01-2.wav"
    assert jobs.gather_takes(project, target) == 0  # already home

"""Projects are folders that travel, and files that go wrong end in one clear message (issue
items 2, 6, 8 and 9), driven through the real window offscreen.

- a project's takes live in `<name>_takes/` beside it (an unsaved project's in a fresh scratch
  folder of this session, moved on save); a copied project opens complete;
- a missing clip is one dialog with "Locate…", missing takes are listed once and greyed;
- the first frame and the analysis progress show while a clip is analysed;
- read-only folder, full disk on export, deleted reference files, a replaced clip, a damaged
  project file: one message naming the file, and nothing of what is open is lost.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt

pytest.importorskip("pytestqt")

from stereosync_studio import jobs  # noqa: E402
from stereosync_studio.core.project import Project, Reference  # noqa: E402
from stereosync_studio.gui import autosave  # noqa: E402
from tests.gui_fixtures import (HARD, analysed_project_file, demo_clip, open_project, project_file,  # noqa: E402,F401
                                studio_home, wait_idle, window)

pytestmark = pytest.mark.gui


@pytest.fixture
def dialogs(window):
    """Real error dialogs (non-modal) for what goes wrong; questions keep the default answers
    of a run with nobody at the screen, so nothing modal ever waits."""
    p = window.prompts
    p.interactive = True
    p.confirm, p.ask_unsaved, p.ask_recover = (lambda *a: True), (lambda *a: "discard"), (lambda *a: "recover")
    return window


def _dialogs() -> list:
    from PySide6.QtWidgets import QApplication, QMessageBox

    return [w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox) and w.isVisible()]


@pytest.fixture(scope="module")
def take_project(tmp_path_factory, analysed_project_file, demo_clip) -> Path:
    """The analysed demo with one sampler take, saved in a folder with its own copy of the clip."""
    root = tmp_path_factory.mktemp("with_take")
    shutil.copy(demo_clip, root / "demo.mp4")
    project = Project.load(analysed_project_file)
    project.clip.path = str(root / "demo.mp4")
    target = root / "proj" / "demo.stereosync.json"
    jobs.render_takes(project, jobs.takes_folder(target), n_takes=1, seed=3)
    jobs.save_project(project, target)
    return root


def _on_another_machine(project_file: Path) -> None:
    """The absolute paths a project keeps point nowhere, as on another machine: only the paths
    relative to the project file can find its files."""
    data = json.loads(project_file.read_text())

    def walk(d):
        if isinstance(d, dict):
            for k, v in d.items():
                if k == "path_abs" and v:
                    d[k] = "/nowhere" + v
                elif k == "files_abs":
                    d[k] = ["/nowhere" + f for f in v]
                else:
                    walk(v)
        elif isinstance(d, list):
            for v in d:
                walk(v)

    walk(data)
    project_file.write_text(json.dumps(data))


@pytest.fixture
def take_copy(take_project, tmp_path) -> Path:
    """A fresh copy of that folder (clip, project, takes), as if on another machine; returns the project file."""
    shutil.copytree(take_project, tmp_path / "work")
    target = tmp_path / "work" / "proj" / "demo.stereosync.json"
    _on_another_machine(target)
    return target


# -- 2. projects travel ------------------------------------------------------------------------------
def test_unsaved_takes_start_at_take01_and_move_beside_the_project_on_save(qtbot, window, project_file, tmp_path,
                                                                           studio_home):
    project = Project.load(project_file)
    project.path = None
    window.projects.set_project(project)
    wait_idle(qtbot, window)
    window.engine_panel.n_takes.setValue(1)
    qtbot.mouseClick(window.engine_panel.b_generate, Qt.LeftButton)
    qtbot.waitUntil(lambda: len(window.doc.source.takes) == 1, timeout=120000)
    take = window.doc.source.takes[0]
    scratch = Path(take.path).parent
    assert take.name == "take01" and autosave.SESSION in str(scratch) and str(studio_home) in str(scratch)
    wait_idle(qtbot, window)
    # Ctrl+S on a never-saved project asks where (the picker), then moves the take beside it
    target = tmp_path / "moved_here" / "hero.stereosync.json"
    window.prompts.ask_save_file = lambda *a: str(target)
    qtbot.keyClick(window, Qt.Key_S, Qt.ControlModifier)
    assert window.doc.path == str(target) and not window.doc.is_dirty()
    moved = window.doc.source.takes[0].path
    assert Path(moved).parent == target.parent / "hero_takes" and Path(moved).is_file()
    assert not any(scratch.iterdir()) and window.view.selected_take == moved
    data = json.loads(target.read_text())
    assert data["sources"][0]["takes"][0]["path"] == "hero_takes/" + Path(moved).name  # inside the folder
    # undo/redo of the generation gives back the take where it is now
    window.projects.undo()
    assert window.doc.source.takes == []
    window.projects.redo()
    assert window.doc.source.takes[0].path == moved
    # Save As elsewhere copies the takes: the first project keeps its own
    other = tmp_path / "other" / "villain.stereosync.json"
    window.prompts.ask_save_file = lambda *a: str(other)
    qtbot.keyClick(window, Qt.Key_S, Qt.ControlModifier | Qt.ShiftModifier)
    assert Path(window.doc.source.takes[0].path).parent == other.parent / "villain_takes"
    assert Path(moved).is_file() and Path(window.doc.source.takes[0].path).is_file()
    # the folder travels: copied elsewhere it opens complete (take found, scored, nothing missing)
    shutil.copytree(target.parent, tmp_path / "elsewhere")
    window.doc.undo_stack.set_clean()
    open_project(qtbot, window, tmp_path / "elsewhere" / target.name)
    copied = window.doc.source.takes[0]
    assert Path(copied.path) == tmp_path / "elsewhere" / "hero_takes" / Path(moved).name
    assert window.takes_panel.tree.topLevelItem(0).text(3) not in ("missing", "–")
    assert window.prompts.last_error == ""


def test_missing_clip_is_one_dialog_with_locate_and_missing_takes_are_greyed(qtbot, window, dialogs, take_copy,
                                                                             tmp_path):
    from PySide6.QtWidgets import QPushButton

    clip = take_copy.parent.parent / "demo.mp4"
    hidden = tmp_path / "somewhere" / "demo.mp4"
    hidden.parent.mkdir()
    clip.rename(hidden)
    take = Project.load(take_copy).source().takes[0]
    Path(take.path).unlink()
    assert window.projects.open_project(str(take_copy))
    wait_idle(qtbot, window)
    boxes = _dialogs()
    assert len(boxes) == 1, [b.text() for b in boxes]  # never a stack of dialogs
    text = boxes[0].text()
    assert f"{clip}: clip not found" in text and "1 take file(s) not found" in text and take.path in text
    assert text.count(take.path) == 1
    assert window.runner.job("take:" + take.path) is None  # a missing take is never loaded
    item = window.takes_panel.tree.topLevelItem(0)
    assert item.text(3) == "missing" and item.text(4) == "–" and "not found" in item.toolTip(0)
    assert "not found" in window.video.placeholder.textItem.toPlainText()
    # Locate… on the dialog: the picker, then the project shows the clip again
    window.prompts.ask_open_file = lambda *a: str(hidden)
    locate = next(b for b in boxes[0].buttons() if b.text() == "Locate…")
    qtbot.mouseClick(locate, Qt.LeftButton)
    qtbot.waitUntil(lambda: window.doc.project.clip.path == str(hidden), timeout=20000)
    wait_idle(qtbot, window)
    qtbot.waitUntil(lambda: window.video.shown_frame == window.video.frame, timeout=20000)
    assert window.view.guide is not None and window.doc.is_dirty() and window.video.roi.isVisible()
    assert window.doc.undo_stack.undo_label() == "Locate clip"
    assert isinstance(locate, QPushButton) and len(_dialogs()) == 0
    window.prompts.interactive = False
    assert window.projects.save_to(str(take_copy))
    assert Project.load(take_copy).clip.path == str(hidden)
    # File ▸ Locate clip… does the same at any time
    again = tmp_path / "again" / "demo.mp4"
    again.parent.mkdir()
    shutil.copy(hidden, again)
    window.prompts.ask_open_file = lambda *a: str(again)
    assert window.commands.locate_clip in window.commands.file_menu.actions()
    window.commands.locate_clip.trigger()
    qtbot.waitUntil(lambda: window.doc.project.clip.path == str(again), timeout=20000)
    window.projects.undo()
    assert window.doc.project.clip.path == str(hidden)


# -- 6. first start ----------------------------------------------------------------------------------
def test_a_clip_being_analysed_shows_its_first_frame_and_the_progress(qtbot, window, demo_clip):
    video = window.video
    assert video.placeholder.isVisible()
    job = window.projects.open_clip(str(demo_clip))
    qtbot.waitUntil(lambda: video.shown_frame == 0, timeout=5000)
    assert job.running, "the first frame must come while the analysis still runs"
    assert video.overlay.isVisible() and not video.placeholder.isVisible()
    assert f"Analysing {Path(demo_clip).name}" in video.overlay_title.text()
    assert video.image.image is not None and not video.roi.isVisible()
    seen = []
    job.progress.connect(lambda f, m: seen.append(video.overlay_bar.value()))
    wait_idle(qtbot, window)
    assert seen and max(seen) > 0 and not video.overlay.isVisible()
    assert video.roi.isVisible() and window.doc.project is not None


# -- 8. bad conditions -------------------------------------------------------------------------------
@pytest.fixture
def read_only(monkeypatch):
    """`read_only(folder)`: the folder refuses new files, really (chmod) for a normal user,
    simulated (EACCES from the calls that create files) for root, who may write anywhere."""
    made: list[Path] = []

    def make(folder: Path) -> None:
        if os.geteuid() != 0:
            made.extend([folder, *[p for p in folder.rglob("*") if p.is_dir()]])
            for d in made:
                d.chmod(0o555)
            return
        inside = lambda p: Path(os.path.abspath(p)).is_relative_to(folder)  # noqa: E731
        deny = lambda p: OSError(errno.EACCES, "Permission denied", str(p))  # noqa: E731
        real_mkstemp, real_mkdir, real_access = tempfile.mkstemp, os.mkdir, os.access

        def mkstemp(*a, **k):
            if k.get("dir") and inside(k["dir"]):
                raise deny(k["dir"])
            return real_mkstemp(*a, **k)

        def mkdir(p, *a, **k):
            if inside(p):
                raise deny(p)
            return real_mkdir(p, *a, **k)

        monkeypatch.setattr(tempfile, "mkstemp", mkstemp)
        monkeypatch.setattr(os, "mkdir", mkdir)
        monkeypatch.setattr(os, "access", lambda p, m, *a, **k: False if inside(p) and m & os.W_OK
                            else real_access(p, m, *a, **k))

    yield make
    for d in made:
        d.chmod(0o755)


def test_read_only_project_folder_loses_nothing(qtbot, window, take_copy, read_only, tmp_path, studio_home):
    open_project(qtbot, window, take_copy)
    env = window.doc.source.envelope.copy()
    env.values[:40] = 0.66
    window.doc.edit("envelope", env, "edit")
    read_only(take_copy.parent)
    written = window.autosaver.tick()  # beside the project: refused, so into the recovery folder
    window.autosaver.flush()
    qtbot.waitUntil(lambda: "cannot autosave there" in window.prompts.last_error, timeout=5000)
    assert written == autosave.beside_path(take_copy) and not written.exists()
    fallback = window.autosaver.target
    assert fallback.parent == studio_home / "recovery" and fallback.is_file()
    assert autosave.recoveries(project_path=str(take_copy))[0].path == fallback
    qtbot.keyClick(window, Qt.Key_S, Qt.ControlModifier)
    assert str(take_copy) in window.prompts.last_error and "Permission denied" in window.prompts.last_error
    assert "Nothing is lost" in window.prompts.last_error and "Save As" in window.prompts.last_error
    assert window.doc.is_dirty() and np.allclose(window.doc.source.envelope.values[:40], 0.66)
    assert from_the_takes_dir_of(window) != take_copy.parent / "demo_takes"  # new takes go to scratch
    # Save As… somewhere writable: the project and a copy of its take go there, the autosave goes
    old_take = window.doc.source.takes[0].path
    there = tmp_path / "writable" / "demo.stereosync.json"
    window.prompts.ask_save_file = lambda *a: str(there)
    qtbot.keyClick(window, Qt.Key_S, Qt.ControlModifier | Qt.ShiftModifier)
    assert window.doc.path == str(there) and not window.doc.is_dirty() and not fallback.exists()
    assert Path(window.doc.source.takes[0].path).parent == there.parent / "demo_takes"
    assert Path(old_take).is_file()  # the read-only folder is left as it was
    assert np.allclose(Project.load(there).source().envelope.values[:40], 0.66, atol=1e-4)


def from_the_takes_dir_of(window) -> Path:
    from stereosync_studio.gui.controllers import takes_dir

    return takes_dir(window.doc.project)


def test_full_disk_on_export_names_the_stem_and_keeps_everything(qtbot, window, take_copy, tmp_path, monkeypatch):
    """libsndfile reports a full disk as "System error": the message still names the stem and
    says the disk is full; no half-written stem stays, the project is untouched."""
    import shutil as shutil_mod
    from collections import namedtuple

    import soundfile as sf

    from stereosync_studio.gui.export_dialog import ExportChoice

    open_project(qtbot, window, take_copy)
    take = window.doc.source.takes[0]
    out = tmp_path / "stems"
    real_write, real_usage = sf.SoundFile.write, shutil_mod.disk_usage
    usage = namedtuple("usage", "total used free")

    def write(self, data):
        if str(out) in self.name:
            real_write(self, data[: len(data) // 2])  # half of it fits
            raise sf.LibsndfileError(2, "Error writing to file: ")  # SF_ERR_SYSTEM
        return real_write(self, data)

    monkeypatch.setattr(sf.SoundFile, "write", write)
    monkeypatch.setattr(shutil_mod, "disk_usage", lambda p: usage(1 << 30, 1 << 30, 0) if str(out) in str(p)
                        else real_usage(p))
    window.prompts.ask_export = lambda *a, **k: ExportChoice([take], str(out))
    qtbot.keyClick(window, Qt.Key_E, Qt.ControlModifier)
    wait_idle(qtbot, window)
    err = window.prompts.last_error
    assert "No space left on device" in err and f"{out}/{window.doc.project.name}_subject1_take01.wav" in err
    assert list(out.iterdir()) == []  # nothing half-written left behind
    assert not window.doc.is_dirty() and Path(take.path).is_file() and window.doc.source.takes == [take]


def test_reference_files_deleted_while_open_are_named_on_generate(qtbot, window, project_file, tmp_path):
    open_project(qtbot, window, project_file)
    folder = tmp_path / "refs"
    folder.mkdir()
    files = [shutil.copy(f, folder) for f in HARD[:3]]
    window.doc.edit("reference", Reference(str(folder), [str(f) for f in files]), "reference")
    env = window.doc.source.envelope.copy()
    env.values[:10] = 0.2
    window.doc.edit("envelope", env, "edit")
    Path(files[1]).unlink()
    qtbot.mouseClick(window.engine_panel.b_generate, Qt.LeftButton)
    wait_idle(qtbot, window)
    assert f"{files[1]}: reference file not found" in window.prompts.last_error
    assert window.doc.source.takes == [] and np.allclose(window.doc.source.envelope.values[:10], 0.2)


def test_clip_replaced_or_deleted_on_disk_is_one_message_with_locate(qtbot, window, dialogs, take_copy, cache_dir):
    from tests.walker import cached_walker_clip

    open_project(qtbot, window, take_copy)
    clip = Path(window.doc.project.clip.path)
    other = cached_walker_clip(cache_dir, scenario="approaching", duration=2.0, fps=25, size=(320, 180), seed=1)
    shutil.copy(other.path, clip.with_suffix(".new.mp4"))
    os.replace(clip.with_suffix(".new.mp4"), clip)  # replaced under the open project
    qtbot.waitUntil(lambda: "not the clip the project was made for" in window.prompts.last_error, timeout=15000)
    boxes = _dialogs()
    assert len(boxes) == 1 and str(clip) in boxes[0].text() and "320x180" in boxes[0].text()
    assert any(b.text() == "Locate…" for b in boxes[0].buttons())
    boxes[0].close()
    clip.unlink()
    qtbot.waitUntil(lambda: "deleted or moved away" in window.prompts.last_error, timeout=15000)
    assert len(_dialogs()) == 1 and str(clip) in window.prompts.last_error
    assert window.doc.project is not None and len(window.doc.source.takes) == 1


# -- 9. damaged project files ------------------------------------------------------------------------
def test_damaged_project_keeps_what_is_open_and_names_file_and_field(qtbot, window, dialogs, project_file,
                                                                     tmp_path):
    from PySide6.QtCore import QMimeData, QPointF, QUrl
    from PySide6.QtGui import QDropEvent

    open_project(qtbot, window, project_file)
    env = window.doc.source.envelope.copy()
    env.values[:30] = 0.55
    window.doc.edit("envelope", env, "edit")
    data = json.loads(project_file.read_text())
    data["sources"][0]["envelope"]["values"][12] = "loud"
    bad = tmp_path / "damaged.stereosync.json"
    bad.write_text(json.dumps(data))
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(bad))])
    drop = QDropEvent(QPointF(400, 300), Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier)
    window.dropEvent(drop)  # dropped on the window (Qt routes a synthetic drop only during a real drag)
    boxes = _dialogs()
    assert len(boxes) == 1
    assert f"{bad}: sources[0].envelope.values[12]" in boxes[0].text()
    assert window.doc.path == str(project_file) and window.doc.is_dirty()
    assert np.allclose(window.doc.source.envelope.values[:30], 0.55)
    window.prompts.interactive = False  # nobody to ask below: "Recover" is the default answer
    # a damaged autosave is named too; the project opens as saved and the autosave is kept
    autosave.beside_path(project_file).write_text('{"autosave": {"project_path": "x"}, "schema": 3')
    window.doc.undo_stack.set_clean()
    assert window.projects.open_project(str(project_file), recover="recover")
    assert "cannot recover the autosave" in window.prompts.last_error
    assert str(autosave.beside_path(project_file)) in window.prompts.last_error
    assert autosave.beside_path(project_file).is_file() and not window.doc.is_dirty()

"""Never lose an edit: autosave every few seconds, recovery on every start, recent files.

Only edits are autosaved: a project just analysed or opened is clean and writes nothing. Where
the autosave goes:

* a saved project: beside it, `<name>.stereosync.autosave.json`; when that folder cannot be
  written (read-only) or that file still holds another session's unrecovered edits, into the
  recovery folder instead;
* a never-saved project: the recovery folder, `<name>-<key>-<session>.autosave.json`, where
  `key` names the clip (or the project file) and `session` this run, so no run ever overwrites
  another run's recovery file.

Saving, or discarding the changes, removes the files this session wrote. A file that survives
means a session did not end cleanly: starting on the same clip or project, or with nothing,
offers it (Recover / Discard / Not now), and it stays until the designer recovers or discards it.
Takes of a never-saved project go to a scratch folder of this session (`takes/<session>/`), so
the first take is take01; saving moves them next to the project (`jobs.save_project`).
The config folder is `$STEREOSYNC_STUDIO_HOME` if set (tests), else the platform's app-data folder.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import shutil
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, QStandardPaths, QTimer, Signal

from ..core.project import PROJECT_SUFFIX, Project, atomic_write_text
from .document import ProjectDocument

log = logging.getLogger(__name__)
AUTOSAVE_SUFFIX = ".autosave.json"
MAX_RECENT = 10
SESSION = time.strftime("%Y%m%d-%H%M%S") + f"-{os.getpid()}"  # this run: names its recovery files and scratch
_SESSION_RE = re.compile(r"^\d{8}-\d{6}-\d+$")


def config_dir() -> Path:
    env = os.environ.get("STEREOSYNC_STUDIO_HOME")
    if env:
        d = Path(env)
    else:
        base = QStandardPaths.writableLocation(QStandardPaths.GenericDataLocation) or str(Path.home())
        d = Path(base) / "StereoSyncStudio"
    d.mkdir(parents=True, exist_ok=True)
    return d


def recovery_dir() -> Path:
    d = config_dir() / "recovery"
    d.mkdir(parents=True, exist_ok=True)
    return d


def _key(path: str) -> str:
    """A short, stable key for a file (its resolved path)."""
    return hashlib.sha1(str(Path(path).resolve()).encode()).hexdigest()[:10]


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("._") or "project"


def beside_path(project_path: str | Path) -> Path:
    """`<name>.stereosync.autosave.json` next to the project file."""
    p = Path(project_path)
    stem = p.name[: -len(PROJECT_SUFFIX)] if p.name.endswith(PROJECT_SUFFIX) else p.stem
    return p.with_name(stem + ".stereosync" + AUTOSAVE_SUFFIX)


def recovery_path(name: str, key_path: str, session: str = SESSION) -> Path:
    """This session's file in the recovery folder for the project or clip `key_path`."""
    return recovery_dir() / f"{_safe(name)}-{_key(key_path or name)}-{session}{AUTOSAVE_SUFFIX}"


def autosave_path_for(project_path: str | None, name: str, clip_path: str = "") -> Path:
    """Where this session autosaves a project by default: beside it, or the recovery folder."""
    return beside_path(project_path) if project_path else recovery_path(name, clip_path or name)


def scratch_dir(name: str, clip_path: str) -> Path:
    """This session's folder for the takes of a never-saved project (numbered from take01)."""
    return config_dir() / "takes" / SESSION / f"{_safe(name)}-{_key(clip_path or name)}"


# -- finding what to recover -------------------------------------------------------------------
@dataclass
class Recovery:
    """An autosave that holds edits nobody saved: the file, and the project or clip it belongs to."""

    path: Path
    project_path: str | None
    clip_path: str
    name: str
    time: float

    def describe(self) -> str:
        ago = max(0.0, time.time() - self.time)
        when = f"{int(ago // 60)} min ago" if ago >= 60 else "less than a minute ago"
        what = self.project_path if self.project_path else f"{self.clip_path} (never saved)"
        return f"{what}, autosaved {time.strftime('%H:%M', time.localtime(self.time))} ({when})"


def _header(path: Path) -> dict:
    """The `autosave` block written first in every autosave file (read without the arrays)."""
    try:
        with open(path, encoding="utf-8") as fh:
            head = fh.read(8192)
        start = head.index("{", head.index('"autosave"'))
        block, _ = json.JSONDecoder().raw_decode(head, start)
        return block if isinstance(block, dict) else {}
    except (OSError, ValueError):
        return {}


def _newer_than(autosave: Path, project_path: str | None) -> bool:
    """True unless the project file was saved after the autosave was written."""
    if not project_path:
        return True
    try:
        return autosave.stat().st_mtime > Path(project_path).stat().st_mtime
    except FileNotFoundError:
        return autosave.is_file()


def read_recovery(path: Path) -> Recovery | None:
    head = _header(path)
    try:
        mtime = path.stat().st_mtime
    except OSError:
        return None
    project_path = head.get("project_path") or None
    if path.parent != recovery_dir() and project_path is None:  # an old beside file
        project_path = str(path).replace(".stereosync" + AUTOSAVE_SUFFIX, PROJECT_SUFFIX)
    return Recovery(path, project_path, str(head.get("clip", "")), str(head.get("name", path.stem)),
                    float(head.get("time", mtime)))


def recoveries(clip_path: str | None = None, project_path: str | None = None) -> list[Recovery]:
    """Autosaves holding unsaved edits of this clip's never-saved project, or of this project file
    (beside it, or in the recovery folder when its folder was read-only); newest first."""
    files: set[Path] = set()
    if project_path:
        b = beside_path(project_path)
        if b.is_file():
            files.add(b)
        files.update(recovery_dir().glob(f"*-{_key(project_path)}-*{AUTOSAVE_SUFFIX}"))
    if clip_path:
        files.update(recovery_dir().glob(f"*-{_key(clip_path)}-*{AUTOSAVE_SUFFIX}"))
    found = [r for r in (read_recovery(f) for f in files) if r is not None]
    if project_path:
        found = [r for r in found if r.project_path is None or _newer_than(r.path, r.project_path)]
    else:  # a clip: only never-saved projects' files
        found = [r for r in found if r.project_path is None]
    return sorted(found, key=lambda r: r.path.stat().st_mtime, reverse=True)


def all_recoveries() -> list[Recovery]:
    """Every autosave left by a session that did not end cleanly (recovery folder, and beside the
    recent projects), newest first."""
    files = set(recovery_dir().glob(f"*{AUTOSAVE_SUFFIX}"))
    files.update(beside_path(p) for p in recent_files() if p.endswith(".json") and beside_path(p).is_file())
    found = [r for r in (read_recovery(f) for f in files) if r is not None]
    found = [r for r in found if _newer_than(r.path, r.project_path)]
    return sorted(found, key=lambda r: r.path.stat().st_mtime, reverse=True)


def newer_autosave(project_path: str) -> Path | None:
    """The newest autosave holding unsaved edits of `project_path`, or None."""
    found = recoveries(project_path=project_path)
    return found[0].path if found else None


def orphan_autosaves() -> list[Path]:
    """Every file in the recovery folder, newest first."""
    return sorted(recovery_dir().glob(f"*{AUTOSAVE_SUFFIX}"), key=lambda p: p.stat().st_mtime, reverse=True)


def load_recovered(path: Path) -> Project:
    """The Project stored in an autosave file (its original project path restored)."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    proj = Project.from_dict(data, relative_to=Path(path).parent.resolve())
    proj.path = (data.get("autosave") or {}).get("project_path") or None
    return proj


def discard(paths) -> None:
    for p in paths:
        try:
            Path(p).unlink()
        except FileNotFoundError:
            pass
        except OSError as exc:
            log.warning("could not remove %s: %s", p, exc)


def remove_autosave(project_path: str | None, name: str, clip_path: str = "") -> None:
    discard([autosave_path_for(project_path, name, clip_path)])


def autosave_snapshot(doc: ProjectDocument, target: Path | None = None) -> tuple[Path, dict] | None:
    """(file, JSON-ready dict) of the document now: cheap, done on the GUI thread."""
    proj = doc.project
    if proj is None:
        return None
    target = target or autosave_path_for(proj.path, proj.name, proj.clip.path)
    data = {"autosave": {"project_path": proj.path or "", "clip": proj.clip.path, "name": proj.name,
                         "time": time.time(), "session": SESSION}}
    data.update(proj.to_dict(relative_to=target.parent.resolve()))
    return target, data


def write_autosave(doc: ProjectDocument) -> Path | None:
    """Write the document's current state now (atomic) to its default place; returns the file."""
    snap = autosave_snapshot(doc)
    if snap is None:
        return None
    atomic_write_text(snap[0], json.dumps(snap[1]))
    return snap[0]


class Autosaver(QObject):
    """Every `interval_s` seconds, while the document has unsaved changes, snapshot it on the
    GUI thread and write it (JSON + fsync + rename) on a writer thread, so a slow disk never
    stalls the picture. `target` is this session's file for the open project; `files` are the
    ones it wrote or adopted (recovered), removed when the project is saved or discarded."""

    saved = Signal(str)
    failed = Signal(str)  # the autosave could not go where it should (once per problem)

    def __init__(self, doc: ProjectDocument, interval_s: float = 5.0, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.doc = doc
        self.target: Path | None = None
        self.files: set[Path] = set()
        self._written_revision = -1
        self._writer: threading.Thread | None = None
        self._last_problem = ""
        self.timer = QTimer(self)
        self.timer.setInterval(int(interval_s * 1000))
        self.timer.timeout.connect(self.tick)
        self.timer.start()

    # -- where -----------------------------------------------------------------------------------
    def reset(self, adopt: Path | None = None) -> None:
        """Another project is shown: choose its file (`adopt`: the autosave it was recovered from)."""
        self.flush()
        self.files = {Path(adopt)} if adopt else set()
        self._written_revision = -1
        self.target = Path(adopt) if adopt else self._choose()

    def _choose(self) -> Path | None:
        proj = self.doc.project
        if proj is None:
            return None
        if not proj.path:
            return recovery_path(proj.name, proj.clip.path)
        beside = beside_path(proj.path)
        theirs = beside.is_file() and beside not in self.files and _newer_than(beside, proj.path)
        return recovery_path(proj.name, proj.path) if theirs else beside  # never over unrecovered edits

    def project_saved(self) -> None:
        """The project was saved: this session's autosaves go; the next ones go beside it."""
        self.flush()
        self.discard()
        self._written_revision = self.doc.revision
        self.target = self._choose()

    def discard(self) -> None:
        """Remove the files this session wrote or recovered for the open project."""
        self.flush()
        discard(sorted(self.files))
        self.files.clear()

    # -- writing ---------------------------------------------------------------------------------
    def tick(self) -> Path | None:
        """Start an autosave if needed; returns the file it is written to (see `flush`)."""
        if self.doc.project is None or not self.doc.is_dirty() or self.doc.revision == self._written_revision:
            return None
        if self._writer is not None and self._writer.is_alive():
            return None  # the previous write is still going: next tick
        if self.target is None:
            self.target = self._choose()
        snap = autosave_snapshot(self.doc, self.target)
        if snap is None:
            return None
        self._written_revision = self.doc.revision
        proj = self.doc.project
        fallback = recovery_path(proj.name, proj.path or proj.clip.path)
        self._writer = threading.Thread(target=self._write, args=(snap[0], snap[1], fallback), name="autosave",
                                        daemon=True)
        self._writer.start()
        return snap[0]

    def write_now(self) -> Path | None:
        """Write the current state at once (nobody to ask before closing: keep the edits recoverable)."""
        self.flush()
        if self.doc.project is None:
            return None
        self._written_revision = -1
        path = self.tick()
        self.flush()
        return path

    def _write(self, path: Path, data: dict, fallback: Path) -> None:
        try:
            atomic_write_text(path, json.dumps(data))
        except OSError as exc:
            if path == fallback:
                self._problem(f"{path}: autosave failed ({exc.strerror or exc})")
                return
            try:  # e.g. a read-only project folder: keep the edits in the recovery folder
                atomic_write_text(fallback, json.dumps(data))
            except OSError as exc2:
                self._problem(f"{fallback}: autosave failed ({exc2.strerror or exc2})")
                return
            self._problem(f"{path.parent}: cannot autosave there ({exc.strerror or exc}); "
                          f"your changes are autosaved to {fallback}")
            self.target = path = fallback
        self.files.add(path)
        self.saved.emit(str(path))

    def _problem(self, message: str) -> None:
        log.warning("%s", message)
        if message != self._last_problem:
            self._last_problem = message
            self.failed.emit(message)

    def flush(self, timeout: float = 10.0) -> None:
        """Wait for a running write (tests, and before the app exits)."""
        if self._writer is not None:
            self._writer.join(timeout)


def tidy_scratch(max_age_days: float = 30.0) -> None:
    """Remove this session's empty scratch folders, and other sessions' scratch takes that are
    older than `max_age_days` and named by no recovery file (their projects were never saved)."""
    root = config_dir() / "takes"
    if not root.is_dir():
        return
    texts = None
    for d in root.iterdir():
        if not (d.is_dir() and _SESSION_RE.match(d.name)):
            continue
        if d.name == SESSION:
            for sub in list(d.iterdir()) + [d]:
                try:
                    sub.rmdir()  # only when empty
                except OSError:
                    pass
            continue
        if time.time() - d.stat().st_mtime < max_age_days * 86400:
            continue
        if texts is None:
            texts = [p.read_text(encoding="utf-8", errors="replace") for p in orphan_autosaves()]
        if not any(d.name in t for t in texts):
            shutil.rmtree(d, ignore_errors=True)


# -- recent files ------------------------------------------------------------------------------
def _settings_file() -> Path:
    return config_dir() / "settings.json"


def load_settings() -> dict:
    try:
        return json.loads(_settings_file().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def save_settings(settings: dict) -> None:
    try:
        atomic_write_text(_settings_file(), json.dumps(settings, indent=1))
    except OSError as exc:
        log.warning("settings not saved: %s", exc)


def recent_files() -> list[str]:
    return [p for p in load_settings().get("recent", []) if Path(p).exists()]


def add_recent(path: str, wait: bool = False) -> None:
    """Put `path` first in the recent files (written on a thread: the write fsyncs)."""
    p = str(Path(path).resolve())

    def write() -> None:
        with _SETTINGS_LOCK:
            s = load_settings()
            s["recent"] = ([p] + [r for r in s.get("recent", []) if r != p])[:MAX_RECENT]
            save_settings(s)

    t = threading.Thread(target=write, name="recent-files", daemon=True)
    t.start()
    if wait:
        t.join()


_SETTINGS_LOCK = threading.Lock()


__all__ = ["AUTOSAVE_SUFFIX", "Autosaver", "Recovery", "SESSION", "add_recent", "all_recoveries",
           "autosave_path_for", "beside_path", "config_dir", "discard", "load_recovered", "newer_autosave",
           "orphan_autosaves", "read_recovery", "recent_files", "recoveries", "recovery_path", "remove_autosave",
           "scratch_dir", "tidy_scratch", "write_autosave"]

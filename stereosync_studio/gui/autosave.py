"""Never lose an edit: autosave every few seconds, recovery on the next start, recent files.

A saved project autosaves next to itself as `<project>.autosave.json`; an unsaved one goes to
the per-user recovery folder. Saving (or closing without changes) removes the autosave, so an
autosave that survives means the app did not end cleanly: on the next start (or when that
project is opened again) the Studio offers to recover it when it is newer than the project.
The config folder is `$STEREOSYNC_STUDIO_HOME` if set (tests), else the platform's app-data folder.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
import time
from pathlib import Path

from PySide6.QtCore import QObject, QStandardPaths, QTimer, Signal

from ..core.project import PROJECT_SUFFIX, atomic_write_text
from .document import ProjectDocument

log = logging.getLogger(__name__)
AUTOSAVE_SUFFIX = ".autosave.json"
MAX_RECENT = 10


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


def autosave_path_for(project_path: str | None, name: str, clip_path: str = "") -> Path:
    """`<project>.autosave.json` beside a saved project; a recovery-folder file otherwise."""
    if project_path:
        p = Path(project_path)
        stem = p.name[: -len(PROJECT_SUFFIX)] if p.name.endswith(PROJECT_SUFFIX) else p.stem
        return p.with_name(stem + ".stereosync" + AUTOSAVE_SUFFIX)
    key = hashlib.sha1(str(Path(clip_path).resolve() if clip_path else name).encode()).hexdigest()[:10]
    return recovery_dir() / f"{name}-{key}{AUTOSAVE_SUFFIX}"


def autosave_snapshot(doc: ProjectDocument) -> tuple[Path, dict] | None:
    """(file, JSON-ready dict) of the document now: cheap, done on the GUI thread."""
    proj = doc.project
    if proj is None:
        return None
    target = autosave_path_for(proj.path, proj.name, proj.clip.path)
    data = proj.to_dict(relative_to=target.parent.resolve())
    data["autosave"] = {"project_path": proj.path or "", "time": time.time()}
    return target, data


def write_autosave(doc: ProjectDocument) -> Path | None:
    """Write the document's current state now (atomic); returns the file or None."""
    snap = autosave_snapshot(doc)
    if snap is None:
        return None
    atomic_write_text(snap[0], json.dumps(snap[1]))
    return snap[0]


def remove_autosave(project_path: str | None, name: str, clip_path: str = "") -> None:
    p = autosave_path_for(project_path, name, clip_path)
    try:
        p.unlink()
    except FileNotFoundError:
        pass
    except OSError as exc:
        log.warning("could not remove %s: %s", p, exc)


def newer_autosave(project_path: str) -> Path | None:
    """The autosave of `project_path` if it exists and is newer than the project file."""
    p = Path(project_path)
    a = autosave_path_for(str(p), "")
    if a.is_file() and (not p.is_file() or a.stat().st_mtime > p.stat().st_mtime):
        return a
    return None


def orphan_autosaves() -> list[Path]:
    """Autosaves of never-saved projects left by a session that did not end cleanly (newest first)."""
    return sorted(recovery_dir().glob(f"*{AUTOSAVE_SUFFIX}"), key=lambda p: p.stat().st_mtime, reverse=True)


def load_recovered(path: Path):
    """The Project stored in an autosave file (its original path restored)."""
    from ..core.project import Project

    data = json.loads(Path(path).read_text(encoding="utf-8"))
    proj = Project.from_dict(data, relative_to=Path(path).parent.resolve())
    orig = data.get("autosave", {}).get("project_path") or None
    proj.path = orig
    return proj


class Autosaver(QObject):
    """Every `interval_s` seconds, while the document has unsaved changes, snapshot it on the
    GUI thread and write it (JSON + fsync + rename) on a writer thread, so a slow disk never
    stalls the picture."""

    saved = Signal(str)

    def __init__(self, doc: ProjectDocument, interval_s: float = 5.0, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.doc = doc
        self._written_revision = -1
        self._writer: threading.Thread | None = None
        self.timer = QTimer(self)
        self.timer.setInterval(int(interval_s * 1000))
        self.timer.timeout.connect(self.tick)
        self.timer.start()

    def tick(self) -> Path | None:
        """Start an autosave if needed; returns the file it is written to (see `flush`)."""
        if self.doc.project is None or not self.doc.is_dirty() or self.doc.revision == self._written_revision:
            return None
        if self._writer is not None and self._writer.is_alive():
            return None  # the previous write is still going: next tick
        snap = autosave_snapshot(self.doc)
        if snap is None:
            return None
        self._written_revision = self.doc.revision
        path, data = snap
        self._writer = threading.Thread(target=self._write, args=(path, data), name="autosave", daemon=True)
        self._writer.start()
        return path

    def _write(self, path: Path, data: dict) -> None:
        try:
            atomic_write_text(path, json.dumps(data))
        except OSError as exc:
            log.warning("autosave failed: %s", exc)
            return
        self.saved.emit(str(path))

    def flush(self, timeout: float = 10.0) -> None:
        """Wait for a running write (tests, and before the app exits)."""
        if self._writer is not None:
            self._writer.join(timeout)


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


__all__ = ["AUTOSAVE_SUFFIX", "Autosaver", "add_recent", "autosave_path_for", "config_dir", "load_recovered",
           "newer_autosave", "orphan_autosaves", "recent_files", "remove_autosave", "write_autosave"]

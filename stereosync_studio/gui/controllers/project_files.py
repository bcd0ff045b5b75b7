"""The files a project names, as they are on disk now: a clip or takes missing, a clip replaced.

Why apart from `ProjectController`: a project copied elsewhere, a clip moved away or replaced
while the Studio runs must end in one message naming the file (never a stack of dialogs), with
"Locate…" to point the project at its clip again (also File ▸ Locate clip…). Takes whose files
are gone are listed once; the takes list shows them greyed and they are never loaded.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from PySide6.QtCore import QFileSystemWatcher, QTimer

from ...core.formats import VIDEO_EXTS, dialog_filter
from ...core.project import ClipInfo, Project
from ...media.video import probe
from ..document import ProjectDocument
from ..job_runner import JobRunner
from ..prompts import Prompts

MAX_LISTED = 6  # missing takes named one by one; the rest counted


def clip_facts(info: ClipInfo) -> str:
    return f"{info.duration:.2f} s, {info.width}x{info.height}, {info.fps:g} fps"


def same_clip(a: ClipInfo, b: ClipInfo) -> bool:
    """Whether two probes describe the same picture (frame count, size and rate)."""
    return (a.n_frames, a.width, a.height) == (b.n_frames, b.width, b.height) and abs(a.fps - b.fps) < 0.01


def missing_takes(project: Project) -> list:
    return [t for s in project.sources for t in s.takes if not Path(t.path).is_file()]


class ProjectFiles:
    """Reports missing files once, relinks the clip (Locate…) and watches it while it is open."""

    def __init__(self, doc: ProjectDocument, runner: JobRunner, prompts: Prompts,
                 on_clip_changed: Callable[[], None]) -> None:
        self.doc, self.runner, self.prompts, self.on_clip_changed = doc, runner, prompts, on_clip_changed
        self.watcher = QFileSystemWatcher()
        self.watcher.fileChanged.connect(lambda _p: self._settle.start())
        self._settle = QTimer()  # a copy over the clip changes it many times: check once it is quiet
        self._settle.setSingleShot(True)
        self._settle.setInterval(600)
        self._settle.timeout.connect(self.check_clip)
        doc.changed.connect(self._on_doc)

    def _on_doc(self, part: str) -> None:
        if part == "clip":  # relinked (or undone): watch the clip now named, load its sound
            self.watch()
            self.on_clip_changed()

    def watch(self) -> None:
        proj = self.doc.project
        if self.watcher.files():
            self.watcher.removePaths(self.watcher.files())
        if proj is not None and Path(proj.clip.path).is_file():
            self.watcher.addPath(proj.clip.path)

    # -- on open ---------------------------------------------------------------------------------
    def project_opened(self, project: Project, check: bool = True) -> None:
        """One message for everything that is missing; then make sure the clip is the one the
        project was made for (`check`: a project from a file, not a fresh analysis)."""
        self.watch()
        clip = project.clip.path
        lines = []
        if not Path(clip).is_file():
            lines.append(f"{clip}: clip not found (moved, renamed or on another disk?). Locate… it to see the "
                         "picture and hear its sound; the lanes and takes still work.")
        gone = missing_takes(project)
        if gone:
            named = "\n".join(f"  {t.name}: {t.path}" for t in gone[:MAX_LISTED])
            more = f"\n  … and {len(gone) - MAX_LISTED} more" if len(gone) > MAX_LISTED else ""
            lines.append(f"{len(gone)} take file(s) not found; they are greyed out in the takes list and not "
                         f"played:\n{named}{more}")
        if lines:
            self.prompts.error("\n\n".join(lines), actions=self._locate_action(clip))
        if check and Path(clip).is_file():
            self.check_clip()

    def _locate_action(self, clip: str) -> list:
        return [] if Path(clip).is_file() else [("Locate…", self.locate_clip)]

    # -- the clip changed on disk ----------------------------------------------------------------
    def check_clip(self) -> None:
        """Is the clip still there, and still the clip the project was made for? (probe in a worker)"""
        proj = self.doc.project
        if proj is None:
            return
        path = proj.clip.path
        if not Path(path).is_file():
            self.watch()
            self.prompts.error(f"{path}: the clip was deleted or moved away. The project, its lanes and takes "
                               "are kept; Locate… the clip to see the picture again.",
                               actions=[("Locate…", self.locate_clip)])
            return
        self.watch()  # a file replaced by a rename leaves the watch list: watch the new one
        self.runner.start("clipcheck", probe, path, pass_progress=False,
                          on_result=lambda info, p=proj, c=path: self._checked(p, c, info),
                          on_error=lambda m, _d: self.prompts.error(f"{m}. Locate… the clip the project was made "
                                                                    "for; the lanes and takes are kept.",
                                                                    actions=[("Locate…", self.locate_clip)]))

    def _checked(self, project: Project, path: str, info: ClipInfo) -> None:
        if self.doc.project is not project or project.clip.path != path or same_clip(info, project.clip):
            return
        self.prompts.error(f"{path}: this is not the clip the project was made for: it is now {clip_facts(info)}, "
                           f"the project expects {clip_facts(project.clip)} (replaced on disk?). The lanes and "
                           "takes are kept as they were; Locate… the original clip.",
                           actions=[("Locate…", self.locate_clip)])

    # -- Locate… ---------------------------------------------------------------------------------
    def locate_clip(self) -> None:
        proj = self.doc.project
        if proj is None:
            self.prompts.status("open a project first")
            return
        path = self.prompts.ask_open_file(f"Locate the clip {Path(proj.clip.path).name}",
                                          f"Video ({dialog_filter(VIDEO_EXTS)});;All files (*)")
        if path:
            self.relink(path)

    def relink(self, path: str) -> None:
        """Point the project at `path` once it is probed (asks when it differs from the original)."""
        proj = self.doc.project
        if proj is None:
            return
        self.runner.start("clipcheck", probe, path, pass_progress=False,
                          on_result=lambda info, p=proj: self._relink(p, path, info))

    def _relink(self, project: Project, path: str, info: ClipInfo) -> None:
        if self.doc.project is not project:
            return
        if not same_clip(info, project.clip) and not self.prompts.confirm(
                "Use this clip?", f"{path} is {clip_facts(info)}; the project was made for "
                                  f"{clip_facts(project.clip)}. Use it anyway?"):
            return
        self.doc.relink_clip(str(Path(path).resolve()))
        self.prompts.status(f"clip found: {path}", 8000)


__all__ = ["ProjectFiles", "clip_facts", "missing_takes", "same_clip"]

"""The project's life in the Studio: new from a clip, open, recover, save, undo, close.

Why here: opening replaces everything the window shows, so it cancels the old project's jobs,
resets the view state and loads the document in one place; analysing a clip runs
`jobs.analyze_clip` (the CLI's defaults) in a worker. Autosave files are handled by
`autosave`; this decides when they are written, recovered or removed.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ... import jobs
from ...core.errors import InputError, StereoSyncError
from ...core.formats import VIDEO_EXTS, dialog_filter
from ...core.project import PROJECT_SUFFIX, Project
from .. import autosave
from ..autosave import Autosaver
from ..document import ProjectDocument
from ..job_runner import JobRunner
from ..prompts import Prompts
from ..view_state import ViewState
from ..workers import Job

PROJECT_JOBS = ("generate", "retrack", "envelope", "events", "subjects", "guide")  # results for one project


class ProjectController:
    """Open, analyse, recover, save and close projects; undo and redo."""

    def __init__(self, doc: ProjectDocument, view: ViewState, runner: JobRunner, prompts: Prompts,
                 autosaver: Autosaver) -> None:
        self.doc, self.view, self.runner, self.prompts, self.autosaver = doc, view, runner, prompts, autosaver

    # -- opening ---------------------------------------------------------------------------------
    def open_dialog(self) -> None:
        path = self.prompts.ask_open_file("Open project or clip", f"Projects and clips (*{PROJECT_SUFFIX} *.json "
                                          f"{dialog_filter(VIDEO_EXTS)});;All files (*)")
        if path:
            self.open_path(path)

    def new_from_clip_dialog(self) -> None:
        path = self.prompts.ask_open_file("New project from clip", f"Video ({dialog_filter(VIDEO_EXTS)})")
        if path:
            self.open_path(path)

    def open_path(self, path: str) -> None:
        """A project (.json) or a clip (anything else) dropped, picked or named on the command line."""
        p = Path(path)
        if not p.exists():
            self.prompts.error(str(InputError(p, "file not found")))
            return
        if p.suffix.lower() == ".json":
            self.open_project(str(p))
        else:
            self.open_clip(str(p))

    def open_clip(self, clip: str) -> Job | None:
        """Analyse `clip` in a worker (`jobs.analyze_clip`); the result becomes the project."""
        if not self.confirm_discard():
            return None
        self.prompts.status(f"analysing {Path(clip).name}…")
        self.view.busy_text = "analysing…"
        return self.runner.start("analyze", jobs.analyze_clip, clip, on_result=self._analysed, label="Analyse")

    def _analysed(self, project: Project) -> None:
        self.set_project(project, dirty=True)  # never saved yet: autosave it, ask before closing
        autosave.add_recent(project.clip.path)
        src = project.source()
        seen = int(np.sum(~np.isnan(src.track.boxes[:, 0])))
        self.prompts.status(f"{project.name}: subject seen in {seen}/{len(src.track)} frames; "
                            f"envelope from {src.envelope.origin}")

    def open_project(self, path: str, recover: bool | None = None) -> bool:
        """Load a project file; a newer autosave of it is recovered when `recover` (asked when None)."""
        if not self.confirm_discard():
            return False
        try:
            project = Project.load(path)
        except StereoSyncError as exc:
            self.prompts.error(str(exc))
            return False
        dirty = False
        newer = autosave.newer_autosave(path)
        if newer is not None:
            if recover is None:
                recover = self.prompts.confirm("Recover changes", f"{Path(path).name} has unsaved changes from a "
                                               "session that did not end cleanly. Recover them?")
            if recover:
                try:
                    project = autosave.load_recovered(newer)
                    project.path = str(path)
                    dirty = True
                except (OSError, ValueError, StereoSyncError) as exc:
                    self.prompts.error(f"{newer}: autosave unreadable ({exc})")
        self.set_project(project, dirty=dirty)
        autosave.add_recent(path)
        self.prompts.status(f"opened {path}" + (" (recovered unsaved changes)" if dirty else ""))
        return True

    def offer_recovery(self) -> bool:
        """At start: offer the newest autosave left by a session that did not end cleanly.

        Never-saved projects leave theirs in the recovery folder; saved ones beside the project
        (`<project>.autosave.json`, newer than the project), found through the recent files.
        """
        candidates = [(p, None) for p in autosave.orphan_autosaves()]
        for recent in autosave.recent_files():
            if recent.endswith(".json"):
                newer = autosave.newer_autosave(recent)
                if newer is not None:
                    candidates.append((newer, recent))
        if not candidates:
            return False
        path, project_path = max(candidates, key=lambda c: c[0].stat().st_mtime)
        if not self.prompts.confirm("Recover session", f"A session did not end cleanly. Recover {path.name}?"):
            return False
        if project_path is not None:
            return self.open_project(project_path, recover=True)
        try:
            project = autosave.load_recovered(path)
        except (OSError, ValueError, StereoSyncError) as exc:
            self.prompts.error(f"{path}: cannot recover ({exc})")
            return False
        self.set_project(project, dirty=True)
        self.prompts.status(f"recovered {path.name}")
        return True

    def set_project(self, project: Project | None, dirty: bool = False) -> None:
        """Make `project` the one shown: the old one's jobs and view state go, the views follow the document."""
        self.runner.cancel_many(PROJECT_JOBS)
        seeds = [t.seed for s in project.sources for t in s.takes] if project is not None else []
        self.view.reset_for_project(max(seeds) + 1 if seeds else None)  # new takes continue after these
        self.doc.set_project(project, dirty=dirty)
        if project is None:
            return
        clip = project.clip
        if not Path(clip.path).is_file():
            self.prompts.error(str(InputError(clip.path, "clip not found: lanes and takes still work")))
            return
        self.runner.start("guide", jobs.load_guide, clip.path, project.sample_rate, pass_progress=False,
                          on_result=lambda r, p=project: self._guide_loaded(p, r))

    def _guide_loaded(self, project: Project, result) -> None:
        if self.doc.project is project:
            self.view.guide = result

    # -- saving ----------------------------------------------------------------------------------
    def save(self) -> bool:
        proj = self.doc.project
        if proj is None:
            return False
        if not proj.path:
            return self.save_as_dialog()
        return self.save_to(proj.path)

    def save_as_dialog(self) -> bool:
        proj = self.doc.project
        if proj is None:
            return False
        start = proj.path or str(Path(proj.clip.path).with_name(proj.name + PROJECT_SUFFIX))
        path = self.prompts.ask_save_file("Save project", start, f"Project (*{PROJECT_SUFFIX})")
        if not path:
            return False
        if not path.endswith(".json"):
            path += PROJECT_SUFFIX
        return self.save_to(path)

    def save_to(self, path: str) -> bool:
        proj = self.doc.project
        old_path, name, clip = proj.path, proj.name, proj.clip.path
        try:
            target = self.doc.save(path)
        except OSError as exc:
            self.prompts.error(f"{path}: cannot save ({exc.strerror or exc})")
            return False
        self.autosaver.flush()  # a write still in flight must not resurrect the autosave
        autosave.remove_autosave(old_path, name, clip)
        autosave.remove_autosave(str(target), name, clip)
        autosave.add_recent(str(target))
        self.prompts.status(f"saved {target}")
        return True

    def confirm_discard(self) -> bool:
        """True when it is fine to replace or close the current project (asks about unsaved edits)."""
        proj = self.doc.project
        if proj is None or not self.doc.is_dirty():
            return True
        if not self.prompts.interactive:  # nobody to ask: keep the edits in the autosave, recoverable later
            autosave.write_autosave(self.doc)
            return True
        answer = self.prompts.ask_unsaved(proj.name)
        if answer == "cancel":
            return False
        if answer == "save":
            return self.save()
        self.autosaver.flush()
        autosave.remove_autosave(proj.path, proj.name, proj.clip.path)
        return True

    # -- undo ------------------------------------------------------------------------------------
    def undo(self) -> None:
        label = self.doc.undo()
        if label:
            self.prompts.status(f"undo: {label}", 2500)

    def redo(self) -> None:
        label = self.doc.redo()
        if label:
            self.prompts.status(f"redo: {label}", 2500)


__all__ = ["PROJECT_JOBS", "ProjectController"]

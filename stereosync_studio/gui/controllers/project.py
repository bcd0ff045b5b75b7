"""The project's life in the Studio: new from a clip, open, recover, save, undo, close.

Why here: opening replaces everything the window shows, so it cancels the old project's jobs,
resets the view state and loads the document in one place; analysing a clip runs
`jobs.analyze_clip` (the CLI's defaults) in a worker. Autosave files are handled by
`autosave`; this decides when they are recovered, discarded or kept: every way in (a clip,
a project, nothing) first looks for unsaved edits a crashed session left. Missing and replaced
files are `project_files.ProjectFiles`'s.
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
from .project_files import ProjectFiles

PROJECT_JOBS = ("generate", "retrack", "envelope", "events", "subjects", "guide", "clipcheck")  # of one project


def _recover_text(found: list[autosave.Recovery]) -> str:
    older = f"\n\n({len(found) - 1} older autosave(s) of it are kept as well.)" if len(found) > 1 else ""
    return (f"A session did not end cleanly and left unsaved changes:\n\n{found[0].describe()}\n\n"
            f"Recover them, discard them, or decide later (Not now keeps them).{older}")


class ProjectController:
    """Open, analyse, recover, save and close projects; undo and redo."""

    def __init__(self, doc: ProjectDocument, view: ViewState, runner: JobRunner, prompts: Prompts,
                 autosaver: Autosaver) -> None:
        self.doc, self.view, self.runner, self.prompts, self.autosaver = doc, view, runner, prompts, autosaver
        self.files = ProjectFiles(doc, runner, prompts, self.load_guide)
        doc.takesMoved.connect(self._takes_moved)
        autosaver.failed.connect(lambda m: prompts.error(m))

    def locate_clip(self) -> None:
        """File ▸ Locate clip…: point the project at its clip moved elsewhere."""
        self.files.locate_clip()

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

    def open_clip(self, clip: str, recover: str | None = None) -> Job | None:
        """A new project from `clip`: its unsaved edits from a session that crashed, when the designer
        recovers them, else `jobs.analyze_clip` in a worker (first frame and progress in the picture)."""
        if not self.confirm_discard():
            return None
        found = autosave.recoveries(clip_path=clip)
        if found:
            choice = recover or self.prompts.ask_recover(_recover_text(found))
            if choice == "recover" and self._recover_file(found[0].path):
                return None
            if choice == "discard":
                autosave.discard(r.path for r in found)
        self.prompts.status(f"analysing {Path(clip).name}…")
        self.view.analysing = (clip, 0.0, "opening the clip")
        job = self.runner.start("analyze", jobs.analyze_clip, clip, on_result=self._analysed, label="Analyse")
        g = self.runner.guard
        job.progress.connect(g(lambda f, m, j=job: self._analysis_progress(j, clip, f, m)))
        job.done.connect(g(lambda j=job: self._analysis_done(j)))
        return job

    def _analysis_progress(self, job: Job, clip: str, fraction: float, message: str) -> None:
        if self.runner.job("analyze") is job and not job.token.cancelled:
            self.view.analysing = (clip, fraction, message)

    def _analysis_done(self, job: Job) -> None:
        if self.runner.job("analyze") in (job, None):
            self.view.analysing = None

    def _analysed(self, project: Project) -> None:
        self.set_project(project)  # untouched: clean, so it never autosaves over anything
        autosave.add_recent(project.clip.path)
        src = project.source()
        seen = int(np.sum(~np.isnan(src.track.boxes[:, 0])))
        self.prompts.status(f"{project.name}: subject seen in {seen}/{len(src.track)} frames; "
                            f"envelope from {src.envelope.origin}")

    def open_project(self, path: str, recover: str | bool | None = None) -> bool:
        """Load a project file; what is open stays when it cannot be read (one message naming the
        file and the field). Unsaved edits of it autosaved by a session that crashed are recovered,
        discarded or kept for later as `recover` says (asked when None)."""
        try:
            project = Project.load(path)
        except StereoSyncError as exc:
            self.prompts.error(f"{exc}\n\nNothing was opened; what you had open stays as it was.")
            return False
        if not self.confirm_discard():
            return False
        adopt = None
        found = autosave.recoveries(project_path=path)
        if found:
            choice = {True: "recover", False: "later"}.get(recover, recover) or \
                self.prompts.ask_recover(_recover_text(found))
            if choice == "recover":
                try:
                    project = autosave.load_recovered(found[0].path)
                    project.path, adopt = str(path), found[0].path
                except (OSError, ValueError, StereoSyncError) as exc:
                    self.prompts.error(f"{found[0].path}: cannot recover the autosave ({exc}); it is kept, "
                                       f"and {Path(path).name} opens as it was saved")
            elif choice == "discard":
                autosave.discard(r.path for r in found)
        self.prompts.status(f"opened {path}" + (" (recovered unsaved changes)" if adopt else ""))
        self.set_project(project, dirty=adopt is not None, adopt=adopt)  # what is missing is said last
        autosave.add_recent(path)
        return True

    def offer_recovery(self) -> bool:
        """At a start with nothing to open: offer the newest autosave left by a session that did not
        end cleanly (of a saved project or a never-saved one); True when it was recovered."""
        found = autosave.all_recoveries()
        if not found:
            return False
        rec = found[0]
        choice = self.prompts.ask_recover(_recover_text([rec]))
        if choice == "discard":
            autosave.discard([rec.path])
        if choice != "recover":
            return False
        if rec.project_path and Path(rec.project_path).is_file():
            return self.open_project(rec.project_path, recover="recover")
        return self._recover_file(rec.path)

    def _recover_file(self, path: Path) -> bool:
        try:
            project = autosave.load_recovered(path)
        except (OSError, ValueError, StereoSyncError) as exc:
            self.prompts.error(f"{path}: cannot recover the autosave ({exc}); the file is kept")
            return False
        self.prompts.status(f"recovered unsaved changes of {project.name} ({path.name})")
        self.set_project(project, dirty=True, adopt=path)
        return True

    def set_project(self, project: Project | None, dirty: bool = False, adopt: Path | None = None) -> None:
        """Make `project` the one shown: the old one's jobs and view state go, the views follow the
        document; `adopt` is the autosave it was recovered from (this session writes there)."""
        self.runner.cancel_many(PROJECT_JOBS)
        if self.runner.cancel("analyze"):  # another project opened while a clip was analysed
            self.view.analysing = None
        seeds = [t.seed for s in project.sources for t in s.takes] if project is not None else []
        self.view.reset_for_project(max(seeds) + 1 if seeds else None)  # new takes continue after these
        self.doc.set_project(project, dirty=dirty)
        self.autosaver.reset(adopt)
        if project is None:
            return
        self.files.project_opened(project, check=project.path is not None or adopt is not None)
        self.load_guide()

    def load_guide(self) -> None:
        """The clip's own sound, for the guide track and waveform (nothing when the clip is missing)."""
        project = self.doc.project
        self.view.guide = None
        if project is None or not Path(project.clip.path).is_file():
            return
        self.runner.start("guide", jobs.load_guide, project.clip.path, project.sample_rate, pass_progress=False,
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
        """Write the project (its takes gathered into `<name>_takes/` beside it). When that fails
        (read-only folder, full disk) one message names the file, and nothing is lost: the project
        stays open with its changes, autosaved."""
        try:
            target = self.doc.save(path)
        except (OSError, StereoSyncError) as exc:
            why = f"{path}: cannot save ({exc.strerror or exc})" if isinstance(exc, OSError) else \
                f"cannot save {path}: {exc}"
            self.autosaver.write_now()
            self.prompts.error(f"{why}.\n\nNothing is lost: the project stays open with your changes, "
                               "autosaved. Use Save As… to save it somewhere else.")
            return False
        self.autosaver.project_saved()  # this session's autosaves go (a write in flight first ends)
        autosave.add_recent(str(target))
        self.prompts.status(f"saved {target}")
        return True

    def confirm_discard(self) -> bool:
        """True when it is fine to replace or close the current project (asks about unsaved edits)."""
        proj = self.doc.project
        if proj is None or not self.doc.is_dirty():
            return True
        if not self.prompts.interactive:  # nobody to ask: keep the edits in the autosave, recoverable later
            self.autosaver.write_now()
            return True
        answer = self.prompts.ask_unsaved(Path(proj.path).name if proj.path else proj.name)  # as the window shows it
        if answer == "cancel":
            return False
        if answer == "save":
            return self.save()
        self.autosaver.discard()
        return True

    def _takes_moved(self, moved: dict[str, str]) -> None:
        """Saving moved takes into the project's folder: the selection follows them."""
        view = self.view
        view.previous_take = moved.get(view.previous_take, view.previous_take)
        view.selected_take = moved.get(view.selected_take, view.selected_take)

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

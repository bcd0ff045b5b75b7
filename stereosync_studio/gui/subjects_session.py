"""Several subjects in one clip, behind the window (mixin for MainWindow): choose the subject shown,
find every person, merge, split, delete and rename subjects.

Finding, merging and splitting re-run the motion analysis (`analysis.subjects`), so they run
in a worker on a copy of the project; the result comes back as one `replace_sources` edit,
which Ctrl+Z undoes exactly. A merge or split whose subjects were edited meanwhile is
dropped rather than overwriting the edit.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
from PySide6.QtWidgets import QInputDialog, QMenu, QMessageBox

from ..core.errors import InputError
from ..core.project import Project, Reference
from .tasks import find_subjects, merge_subjects, split_subject
from .workers import Job


class SubjectsSession:
    """Mixin for MainWindow: the Subjects menu and what its actions do."""

    def init_subjects(self) -> None:
        self.video.sourceClicked.connect(self.select_subject)
        self.engine_panel.generateAllRequested.connect(self.generate_all)
        self.doc.changed.connect(lambda _part: self._update_subject_actions())
        self._update_subject_actions()

    def build_subjects_menu(self, menubar) -> QMenu:
        """The Subjects menu (also the selector's context menu)."""
        A = self._action  # noqa: N806
        self.act_find_subjects = A("&Find all subjects", self.find_subjects, "Ctrl+Shift+F", "box",
                                   "Find every person in the clip, one subject each (replaces the subjects)")
        self.act_split_subject = A("&Split at playhead", self.split_at_playhead, None, None,
                                   "Two people on one track: the part from the playhead on becomes a new subject")
        self.act_delete_subject = A("&Delete subject", self.delete_subject, None, "delete", "Remove this subject")
        self.act_rename_subject = A("&Rename subject…", self.rename_subject, "Shift+F2", None,
                                   "Rename this subject (Shift+F2)")
        self.act_generate_all = A("Generate &all subjects", self.generate_all, "Ctrl+Shift+G", "generate",
                                  "Generate takes of every subject (Ctrl+Shift+G)")
        menu = menubar.addMenu("S&ubjects")
        menu.addAction(self.act_find_subjects)
        menu.addSeparator()
        self.merge_menu = menu.addMenu("&Merge into")
        self.merge_menu.setToolTip("One person tracked twice: merge this subject into another")
        self.merge_menu.aboutToShow.connect(self._fill_merge_menu)
        for a in (self.act_split_subject, self.act_rename_subject, self.act_delete_subject, None,
                  self.act_generate_all):
            menu.addSeparator() if a is None else menu.addAction(a)
        self.subjects_menu = menu
        return menu

    def _fill_merge_menu(self) -> None:
        self.merge_menu.clear()
        src = self.doc.source
        for name in self.doc.source_names():
            if src is not None and name != src.name:
                self.merge_menu.addAction(name, lambda n=name: self.merge_into(n))

    def _update_subject_actions(self) -> None:
        if not hasattr(self, "act_find_subjects"):
            return
        proj, src = self.doc.project, self.doc.source
        several = proj is not None and len(proj.sources) > 1
        self.act_find_subjects.setEnabled(proj is not None)
        self.merge_menu.setEnabled(several)
        self.act_delete_subject.setEnabled(several)
        self.act_split_subject.setEnabled(src is not None)
        self.act_rename_subject.setEnabled(src is not None)
        self.act_generate_all.setEnabled(several)

    # -- choosing --------------------------------------------------------------------------------
    def select_subject(self, name: str) -> bool:
        """Show subject `name` (its box, lanes, reference, engine, takes)."""
        ok = self.doc.select_source_named(name)
        if ok:
            self.status_message(f"subject: {name}", 2000)
        return ok

    # -- jobs ------------------------------------------------------------------------------------
    def _subjects_ready(self) -> bool:
        proj = self.doc.project
        if proj is None or self.doc.source is None:
            self.show_error("open a clip first")
            return False
        if "subjects" in self.jobs and self.jobs["subjects"].running:
            self.status_message("a subjects job is already running")
            return False
        if not Path(proj.clip.path).is_file():
            self.show_error(str(InputError(proj.clip.path, "clip not found: subjects need the picture")))
            return False
        return True

    def _fingerprint(self, names: list[str]) -> str:
        proj = self.doc.project
        return json.dumps([s.to_dict() for s in proj.sources if s.name in names], sort_keys=True, default=str)

    def find_subjects(self) -> Job | None:
        """Find every person (`jobs.analyze_clip(subjects="all")`) and make them the sources."""
        if not self._subjects_ready():
            return None
        proj, src = self.doc.project, self.doc.source
        n_takes = sum(len(s.takes) for s in proj.sources)
        if n_takes and self.ask("Find all subjects", f"The subjects found replace the current ones and their "
                                f"{n_takes} take(s) (Ctrl+Z brings them back). Go on?",
                                QMessageBox.Yes | QMessageBox.No, QMessageBox.Yes) != QMessageBox.Yes:
            return None
        ref = Reference(src.reference.path, list(src.reference.files), src.reference.text)
        self.video.set_busy("finding subjects…")
        return self.start_job("subjects", find_subjects, proj.clip.path, ref, src.trajectory.hfov_deg,
                              proj.sample_rate, self.models_dir, show_progress=True, label="Find subjects",
                              on_result=lambda found, p=proj: self._subjects_found(p, found))

    def _subjects_found(self, project: Project, found: Project) -> None:
        if self.doc.project is not project or not found.sources:
            return
        settings = dict(project.settings)
        settings["subjects"] = "all"
        n = len(found.sources)
        self.doc.replace_sources(found.sources, f"Find all subjects ({n})", select=found.sources[0].name,
                                 settings=settings)
        self.status_message(f"{n} subject(s) found: {', '.join(s.name for s in found.sources)}")

    def merge_into(self, target: str) -> Job | None:
        """Merge the shown subject into `target` (one person tracked twice); `target` keeps its name."""
        if not self._subjects_ready():
            return None
        proj, src = self.doc.project, self.doc.source
        if target == src.name or target not in self.doc.source_names():
            self.show_error(f"cannot merge {src.name} into {target!r}")
            return None
        fp = self._fingerprint([src.name, target])
        self.video.set_busy("merging…")
        return self.start_job("subjects", merge_subjects, proj.copy(), target, src.name, self.models_dir,
                              show_progress=True, label="Merge",
                              on_result=lambda new, p=proj, f=fp, o=src.name: self._merged(p, f, target, o, new))

    def _merged(self, project: Project, fp: str, keep: str, other: str, new) -> None:
        if self.doc.project is not project or self._fingerprint([other, keep]) != fp:
            self.status_message(f"merge dropped: {keep} or {other} changed meanwhile")
            return
        sources = [new if s.name == keep else s for s in project.sources if s.name != other]
        self.doc.replace_sources(sources, f"Merge {other} into {keep}", select=keep)
        self.status_message(f"merged {other} into {keep}")

    def split_at_playhead(self) -> Job | None:
        return self.split_subject_at(self.transport.frame)

    def split_subject_at(self, frame: int) -> Job | None:
        """Split the shown subject at `frame`: from there on it is a new subject."""
        if not self._subjects_ready():
            return None
        proj, src = self.doc.project, self.doc.source
        seen = np.isfinite(src.track.boxes[:, 0])
        if not 0 < frame < len(seen) or not seen[:frame].any() or not seen[frame:].any():
            self.show_error(f"cannot split {src.name} at frame {frame + 1}: it must be seen before and after it")
            return None
        fp = self._fingerprint([src.name])
        self.video.set_busy("splitting…")
        return self.start_job("subjects", split_subject, proj.copy(), src.name, int(frame), self.models_dir,
                              show_progress=True, label="Split",
                              on_result=lambda r, p=proj, f=fp, n=src.name: self._split_done(p, f, n, frame, r))

    def _split_done(self, project: Project, fp: str, name: str, frame: int, parts) -> None:
        if self.doc.project is not project or self._fingerprint([name]) != fp:
            self.status_message(f"split dropped: {name} changed meanwhile")
            return
        first, second = parts
        sources = []
        for s in project.sources:
            sources += [first, second] if s.name == name else [s]
        self.doc.replace_sources(sources, f"Split {name} at frame {frame + 1}", select=name)
        self.status_message(f"split {name} at frame {frame + 1}: the rest is {second.name}")

    # -- quick edits -----------------------------------------------------------------------------
    def delete_subject(self, name: str | None = None) -> bool:
        """Remove a subject (the shown one by default); a project keeps at least one."""
        proj, src = self.doc.project, self.doc.source
        name = name or (src.name if src else None)
        if proj is None or name not in self.doc.source_names():
            return False
        if len(proj.sources) < 2:
            self.status_message("a project keeps at least one subject")
            return False
        self.doc.replace_sources([s for s in proj.sources if s.name != name], f"Delete subject {name}")
        self.status_message(f"deleted {name} (Ctrl+Z brings it back)")
        return True

    def rename_subject(self, new_name: str | None = None) -> bool:
        """Rename the shown subject (asks for the name when none is given); names stay unique."""
        proj, src = self.doc.project, self.doc.source
        if proj is None or src is None:
            return False
        if new_name is None:
            if not self.interactive:
                return False
            new_name, ok = QInputDialog.getText(self, "Rename subject", "Name", text=src.name)
            if not ok:
                return False
        new_name = new_name.strip()
        if not new_name or new_name == src.name:
            return False
        if new_name in self.doc.source_names():
            self.show_error(f"a subject named {new_name!r} already exists")
            return False
        old = src.name
        sources = [dataclasses.replace(s, name=new_name) if s is src else s for s in proj.sources]
        self.doc.replace_sources(sources, f"Rename {old} to {new_name}", select=new_name)
        return True


__all__ = ["SubjectsSession"]

"""Several subjects in one clip: choose the one shown, find every person, merge, split, rename, delete.

Why here: finding, merging and splitting re-run the motion analysis (`jobs.find_subjects`,
`jobs.merge_sources`, `jobs.split_source`) in a worker on an exact copy of the project; the
result comes back as one `replace_sources` edit, which Ctrl+Z undoes exactly. A merge or
split whose subjects were edited meanwhile is dropped rather than overwriting the edit.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Callable

import numpy as np

from ... import jobs
from ...core.errors import InputError
from ...core.project import Project, Reference, Source
from ..document import ProjectDocument
from ..job_runner import JobRunner
from ..prompts import Prompts
from ..view_state import ViewState
from ..workers import Job


class SubjectsController:
    """The Subjects menu's actions; `playhead_frame()` says where *Split at playhead* splits."""

    def __init__(self, doc: ProjectDocument, view: ViewState, runner: JobRunner, prompts: Prompts,
                 playhead_frame: Callable[[], int], models_dir: str = "models") -> None:
        self.doc, self.view, self.runner, self.prompts = doc, view, runner, prompts
        self.playhead_frame = playhead_frame
        self.models_dir = models_dir

    # -- choosing --------------------------------------------------------------------------------
    def select_subject(self, name: str) -> bool:
        """Show subject `name` (its box, lanes, reference, engine, takes)."""
        ok = self.doc.select_source_named(name)
        if ok:
            self.prompts.status(f"subject: {name}", 2000)
        return ok

    # -- jobs ------------------------------------------------------------------------------------
    def _ready(self) -> bool:
        proj = self.doc.project
        if proj is None or self.doc.source is None:
            self.prompts.error("open a clip first")
            return False
        if self.runner.running("subjects"):
            self.prompts.status("a subjects job is already running")
            return False
        if not Path(proj.clip.path).is_file():
            self.prompts.error(str(InputError(proj.clip.path, "clip not found: subjects need the picture")))
            return False
        return True

    def _fingerprint(self, names: list[str]) -> str:
        proj = self.doc.project
        return json.dumps([s.to_dict() for s in proj.sources if s.name in names], sort_keys=True, default=str)

    def _start(self, fn, *args, busy: str, label: str, on_result, **kwargs) -> Job:
        self.view.busy_text = busy
        return self.runner.start("subjects", fn, *args, label=label, on_result=on_result, **kwargs)

    def find_subjects(self) -> Job | None:
        """Find every person (`jobs.find_subjects`) and make them the sources."""
        if not self._ready():
            return None
        proj, src = self.doc.project, self.doc.source
        n_takes = sum(len(s.takes) for s in proj.sources)
        if n_takes and not self.prompts.confirm("Find all subjects", f"The subjects found replace the current ones "
                                                f"and their {n_takes} take(s) (Ctrl+Z brings them back). Go on?"):
            return None
        ref = Reference(src.reference.path, list(src.reference.files), src.reference.text)
        traj = src.trajectory
        return self._start(jobs.find_subjects, proj.clip.path, ref, traj.hfov_deg, proj.sample_rate,
                           self.models_dir, busy="finding subjects…", label="Find subjects",
                           on_result=lambda found, p=proj: self._found(p, found),
                           pan_mode=traj.pan_mode, pan_width=traj.pan_width)

    def _found(self, project: Project, found: Project) -> None:
        if self.doc.project is not project or not found.sources:
            return
        settings = dict(project.settings)
        settings["subjects"] = "all"
        n = len(found.sources)
        self.doc.replace_sources(found.sources, f"Find all subjects ({n})", select=found.sources[0].name,
                                 settings=settings)
        self.prompts.status(f"{n} subject(s) found: {', '.join(s.name for s in found.sources)}")

    def merge_into(self, target: str) -> Job | None:
        """Merge the shown subject into `target` (one person tracked twice); `target` keeps its name."""
        if not self._ready():
            return None
        proj, src = self.doc.project, self.doc.source
        if target == src.name or target not in self.doc.source_names():
            self.prompts.error(f"cannot merge {src.name} into {target!r}")
            return None
        fp = self._fingerprint([src.name, target])
        return self._start(jobs.merge_sources, proj.copy(), target, src.name, self.models_dir, busy="merging…",
                           label="Merge", on_result=lambda new, p=proj, f=fp, o=src.name: self._merged(p, f, target,
                                                                                                     o, new))

    def _merged(self, project: Project, fp: str, keep: str, other: str, new: Source) -> None:
        if self.doc.project is not project or self._fingerprint([other, keep]) != fp:
            self.prompts.status(f"merge dropped: {keep} or {other} changed meanwhile")
            return
        sources = [new if s.name == keep else s for s in project.sources if s.name != other]
        self.doc.replace_sources(sources, f"Merge {other} into {keep}", select=keep)
        self.prompts.status(f"merged {other} into {keep}")

    def split_at_playhead(self) -> Job | None:
        return self.split_subject_at(self.playhead_frame())

    def split_subject_at(self, frame: int) -> Job | None:
        """Split the shown subject at `frame`: from there on it is a new subject."""
        if not self._ready():
            return None
        proj, src = self.doc.project, self.doc.source
        seen = np.isfinite(src.track.boxes[:, 0])
        if not 0 < frame < len(seen) or not seen[:frame].any() or not seen[frame:].any():
            self.prompts.error(f"cannot split {src.name} at frame {frame}: it must be seen before and after it")
            return None
        fp = self._fingerprint([src.name])
        return self._start(jobs.split_source, proj.copy(), src.name, int(frame), models_dir=self.models_dir,
                           busy="splitting…", label="Split",
                           on_result=lambda r, p=proj, f=fp, n=src.name: self._split_done(p, f, n, frame, r))

    def _split_done(self, project: Project, fp: str, name: str, frame: int, parts: tuple[Source, Source]) -> None:
        if self.doc.project is not project or self._fingerprint([name]) != fp:
            self.prompts.status(f"split dropped: {name} changed meanwhile")
            return
        first, second = parts
        sources = []
        for s in project.sources:
            sources += [first, second] if s.name == name else [s]
        self.doc.replace_sources(sources, f"Split {name} at frame {frame}", select=name)
        self.prompts.status(f"split {name} at frame {frame}: the rest is {second.name}")

    # -- quick edits -----------------------------------------------------------------------------
    def delete_subject(self, name: str | None = None) -> bool:
        """Remove a subject (the shown one by default); a project keeps at least one."""
        proj, src = self.doc.project, self.doc.source
        name = name or (src.name if src else None)
        if proj is None or name not in self.doc.source_names():
            return False
        if len(proj.sources) < 2:
            self.prompts.status("a project keeps at least one subject")
            return False
        rest = proj.copy()
        jobs.delete_source(rest, name)
        self.doc.replace_sources(rest.sources, f"Delete subject {name}")
        self.prompts.status(f"deleted {name} (Ctrl+Z brings it back)")
        return True

    def rename_subject(self, new_name: str | None = None) -> bool:
        """Rename the shown subject (asks for the name when none is given); names stay unique."""
        proj, src = self.doc.project, self.doc.source
        if proj is None or src is None:
            return False
        if new_name is None:
            new_name = self.prompts.ask_text("Rename subject", "Name", src.name)
            if new_name is None:
                return False
        new_name = new_name.strip()
        if not new_name or new_name == src.name:
            return False
        if new_name in self.doc.source_names():
            self.prompts.error(f"a subject named {new_name!r} already exists")
            return False
        old = src.name
        sources = [dataclasses.replace(s, name=new_name) if s is src else s for s in proj.sources]
        self.doc.replace_sources(sources, f"Rename {old} to {new_name}", select=new_name)
        return True


__all__ = ["SubjectsController"]

"""Generating takes and exporting stems, in workers, while the designer keeps editing.

Why here: *Generate* runs `jobs.render_takes` on an exact copy of the project (`Project.copy`)
with the view state's seed and number of takes. A take is added to the document as soon as its
audio is written (metrics are not computed in the render: `evaluate=False`; the scores
controller scores the new takes in the background, the takes list says "scoring…" until
then), and all the takes of one Generate fold into one undoable edit (one merge id); a
cancelled run keeps the takes it finished. *Generate all subjects* renders every
source with its own engine and options. Export runs `jobs.export_stems`. The engines are
probed here at start (`jobs.probe_and_warm`), and the result goes into the view state. The
takes' scores against the lanes as they are now are kept by `scores.ScoresController`.
"""

from __future__ import annotations

import dataclasses
import gc
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from ... import jobs
from ...core.project import Project, TakeInfo
from .. import autosave
from ..document import ProjectDocument
from ..export_dialog import ExportChoice, default_export_dir
from ..job_runner import JobRunner
from ..prompts import Prompts
from ..view_state import ViewState
from ..workers import Job
from .scores import ScoresController


def takes_dir(project: Project) -> Path:
    """Where new takes go: the project's `<name>_takes/`; for a never-saved project (or one in a
    read-only folder) this session's scratch folder, whose takes move beside the project on save."""
    if project.path and jobs.can_write_in(jobs.takes_folder(project.path)):
        return jobs.takes_folder(project.path)
    return autosave.scratch_dir(project.name, project.clip.path)


def _render(project: Project, source_name: str | None, outdir: str, n_takes: int, seed: int, engine: str | None,
            models_dir: str, progress, cancel) -> tuple[list[TakeInfo], Project]:
    """One source's takes, or every source's (`source_name` None, each with its own engine)."""
    made = jobs.render_takes(project, outdir, n_takes=n_takes, seed=seed, engine=engine,
                             sources=None if source_name is None else [source_name],
                             models_dir=models_dir, evaluate=False, progress=progress, cancel=cancel)
    return made, project  # on Cancelled, the takes finished so far are in `project` (a copy)


class GenerationController(QObject):
    """Probe engines, generate takes, export stems; says how generation goes through its signals."""

    busyChanged = Signal(bool)  # a generation started / ended
    progressChanged = Signal(float, str)
    failed = Signal(str)  # a generation failed (the message, for the engine panel)

    def __init__(self, doc: ProjectDocument, view: ViewState, runner: JobRunner, prompts: Prompts,
                 models_dir: str = "models") -> None:
        super().__init__()
        self.doc, self.view, self.runner, self.prompts, self.models_dir = doc, view, runner, prompts, models_dir
        self.scores = ScoresController(doc, view, runner)  # the takes' scores against the lanes now
        self.last_export_warnings: list[str] = []  # the last export's warnings (also in the status bar)

    # -- engines ---------------------------------------------------------------------------------
    def probe_engines(self) -> Job:
        return self.runner.start("engines", jobs.probe_and_warm, self.models_dir, pass_progress=False,
                                 on_result=self._engines_probed)

    def _engines_probed(self, engines: dict[str, jobs.EngineInfo]) -> None:
        self.view.engines = engines
        self.view.engines_ready = True
        # Everything imported so far lives as long as the app: keep it out of the cyclic GC, whose
        # full passes (any thread, GIL held) otherwise take ~0.1 s and stall the picture.
        gc.collect()
        gc.freeze()

    # -- generation ------------------------------------------------------------------------------
    def generate(self) -> Job | None:
        """Takes of the shown subject with its engine: `view.n_takes` of them, seeds from `view.seed`."""
        return self._start(all_sources=False)

    def generate_all(self) -> Job | None:
        """Takes of every subject (`jobs.render_takes` with sources=None), each with its own engine."""
        return self._start(all_sources=True)

    def cancel(self) -> None:
        if self.runner.cancel("generate"):
            self.prompts.status("cancelling generate…")

    def _engine_problem(self, proj: Project, all_sources: bool) -> str:
        if not self.view.engines_ready:
            return ""
        chosen = proj.sources if all_sources else [self.doc.source]
        for s in chosen:
            info = self.view.engines.get(s.engine)
            if info is None or not info.ok:
                who = f" for {s.name}" if all_sources else ""
                return f"engine {s.engine!r} unavailable{who}: {info.why if info else 'not found'}"
        return ""

    def _start(self, all_sources: bool) -> Job | None:
        proj, src = self.doc.project, self.doc.source
        if proj is None or src is None:
            self.prompts.error("open a clip first")
            return None
        if self.runner.running("generate"):
            self.prompts.status("already generating")
            return None
        problem = self._engine_problem(proj, all_sources)
        if problem:
            self.prompts.error(problem)
            return None
        n, seed = int(self.view.n_takes), int(self.view.seed)
        copy = proj.copy()  # the exact state now: the designer keeps editing meanwhile
        before = {t.path for s in proj.sources for t in s.takes}
        outdir = str(takes_dir(proj))
        if all_sources:
            job = self.runner.start("generate", _render, copy, None, outdir, n, seed, None, self.models_dir,
                                    label="Generate all", on_error=self._failed,
                                    on_result=lambda r, b=before, p=proj: self._generated_all(r[1], b, p, False),
                                    on_cancel=lambda c=copy, b=before, p=proj: self._generated_all(c, b, p, True))
            what = f"{n} take(s) for each of {len(proj.sources)} subjects"
        else:
            label, gesture = f"Generate {n} take(s)", self.doc.new_gesture("generate")
            job = self.runner.start("generate", _render, copy, src.name, outdir, n, seed, src.engine,
                                    self.models_dir, label="Generate", on_error=self._failed,
                                    on_result=lambda r, s=src.name, b=before, p=proj, a=(label, gesture):
                                    self._generated(r[1], s, b, p, *a),
                                    on_cancel=lambda c=copy, s=src.name, b=before, p=proj, a=(label, gesture):
                                    self._generated(c, s, b, p, *a, cancelled=True))
            # each take joins the document as soon as its audio is written (the worker reports it)
            job.progress.connect(self.runner.guard(lambda _f, _m, c=copy, s=src.name, b=before, p=proj,
                                                  a=(label, gesture): self._arrived(c, s, b, p, *a)))
            what = f"{n} take(s) of {src.name} with {src.engine}"
        g = self.runner.guard
        job.progress.connect(g(self.progressChanged.emit))
        job.done.connect(g(lambda: self.busyChanged.emit(False)))
        self.busyChanged.emit(True)
        self.progressChanged.emit(0.0, "starting")
        self.prompts.status(f"generating {what}, seeds {seed}..{seed + n - 1}")
        return job

    def _arrived(self, copy: Project, source_name: str, before: set[str], project: Project, label: str,
                 gesture: str) -> list[TakeInfo]:
        """Add the takes of `copy` (rendering) not in the document yet, in the Generate's undo step."""
        try:
            rendered = list(copy.source(source_name).takes)  # the worker appends; a list copy is atomic
        except Exception:  # noqa: BLE001 - the subject went away: nothing to add
            return []
        src = self.doc.source_named(source_name)
        if self.doc.project is not project or src is None:
            return []  # another project was opened (or the subject removed) meanwhile: the files stay
        have = {t.path for t in src.takes}
        new = [t for t in rendered if t.path not in before and t.path not in have]
        if new:
            self.doc.edit("takes", list(src.takes) + new, label, merge_id=gesture, source_name=source_name)
            self.view.seed = new[-1].seed + 1
            if self.doc.source is src:
                self.view.select_take(new[-1].path)
            self.scores.add_new(copy, source_name, new)  # scored against the snapshot they were made from
        return new

    def _generated(self, copy: Project, source_name: str, before: set[str], project: Project, label: str,
                   gesture: str, cancelled: bool = False) -> None:
        """The render ended (finished, or `cancelled`): the last takes in, the Generate's undo step closed."""
        self._arrived(copy, source_name, before, project, label, gesture)
        self.doc.end_gesture()
        src = self.doc.source_named(source_name) if self.doc.project is project else None
        made = [t for t in (src.takes if src is not None else []) if t.path not in before]
        self.prompts.status(f"generation cancelled; kept {len(made)} finished take(s)" if cancelled
                            else f"{len(made)} take(s) ready; scoring in the background")

    def _generated_all(self, copy: Project, before: set[str], project: Project, cancelled: bool) -> None:
        """The takes of every subject as one undoable step (the finished ones when cancelled)."""
        new = {s.name: [t for t in s.takes if t.path not in before] for s in copy.sources}
        made = [t for ts in new.values() for t in ts]
        proj = self.doc.project
        if proj is not project or not made:
            self.prompts.status("generation cancelled; no take finished" if cancelled else "no take made")
            return
        sources = [dataclasses.replace(s, takes=list(s.takes) + new.get(s.name, [])) for s in proj.sources]
        label = f"Generate {len(made)} take(s) for all subjects" + (" (cancelled)" if cancelled else "")
        self.doc.replace_sources(sources, label)
        for name, ts in new.items():  # scored in the background against the snapshot they were made from
            self.scores.add_new(copy, name, ts)
        self.view.seed = max(t.seed for t in made) + 1
        mine = new.get(self.doc.source.name) if self.doc.source else None
        if mine:
            self.view.select_take(mine[-1].path)
        self.prompts.status(f"generation cancelled; kept {len(made)} finished take(s)" if cancelled
                            else f"{len(made)} take(s) ready for {sum(1 for v in new.values() if v)} subject(s)")

    def _failed(self, message: str, details: str) -> None:
        self.doc.end_gesture()  # the takes that landed before the error stay, as one undo step
        self.failed.emit(message[:120])
        self.prompts.error(message, details)

    # -- export ----------------------------------------------------------------------------------
    def export_dialog(self, selected: list[str] | None = None) -> Job | None:
        """Ask which takes (of every subject) and how, then export them; `selected` paths start ticked."""
        proj, src = self.doc.project, self.doc.source
        pairs = [(s.name, t) for s in (proj.sources if proj else []) for t in s.takes]
        if proj is None or src is None or not pairs:
            self.prompts.status("nothing to export: generate a take first")
            return None
        outdir = str(default_export_dir(proj))  # next to the project, never inside the app's own folder
        try:
            timecode = str(jobs.start_timecode(proj))
        except Exception:  # noqa: BLE001 - an unreadable clip timecode only hides the label
            timecode = ""
        choice = self.prompts.ask_export(pairs, list(selected or []), outdir, proj.name, timecode=timecode)
        return None if choice is None else self.export(choice)

    def export(self, choice: ExportChoice) -> Job | None:
        """Write the chosen takes as stems, each named after its own subject: <clip>_<source>_takeNN.wav."""
        proj, src = self.doc.project, self.doc.source
        if proj is None or src is None or not choice.takes:
            self.prompts.status("no takes chosen")
            return None
        pairs = [(self.doc.take_owner(t.path) or src.name, TakeInfo.from_dict(t.to_dict())) for t in choice.takes]
        tref = int(round(choice.time_reference_s * choice.sample_rate))
        return self.runner.start("export", jobs.export_stems, proj.copy(), pairs, choice.outdir,
                                 sample_rate=choice.sample_rate, bits=choice.bits, preview=choice.preview,
                                 time_reference=tref, loudness=choice.loudness, daw=list(choice.daw) or None,
                                 reverb_stem=choice.reverb_stem, label="Export",
                                 on_result=lambda result, d=choice.outdir: self._exported(result, d))

    def _exported(self, result, outdir: str) -> None:
        """Say what the export wrote: the stems, the DAW sessions, and any warnings (non-modal)."""
        sessions = getattr(result, "daw", {}) or {}
        extra = f" and {', '.join(Path(p).name for p in sessions.values())}" if sessions else ""
        warnings = list(getattr(result, "warnings", []) or [])
        self.last_export_warnings = warnings
        text = f"exported {len(result)} stem(s){extra} to {outdir}"
        if warnings:
            text += f"; {len(warnings)} warning(s): " + "; ".join(warnings)
        self.prompts.status(text, 20000 if warnings else 10000)


__all__ = ["GenerationController", "takes_dir"]

"""Generation, takes audition and export, behind the window (mixin for MainWindow).

Generation runs `jobs.render_takes` on a copy of the project in a worker, so the designer can
keep editing; the new takes come back as one undoable edit. A cancelled run still keeps the
takes it finished. *Generate* renders the selected subject, *Generate all subjects* every
one (each with its own engine and options); solo works across subjects, so soloed takes of
several subjects play together.
"""

from __future__ import annotations

import dataclasses
import hashlib
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QDialog

from .. import jobs
from ..core.project import Project, TakeInfo
from . import autosave
from .export_dialog import ExportChoice, ExportDialog
from .tasks import analyse_take
from .workers import Job


def takes_dir(project: Project) -> Path:
    """Where new takes go: `<project dir>/<name>_takes`, or a per-user folder for unsaved projects."""
    if project.path:
        return Path(project.path).resolve().parent / f"{project.name}_takes"
    key = hashlib.sha1(str(Path(project.clip.path).resolve()).encode()).hexdigest()[:10]
    return autosave.config_dir() / "takes" / f"{project.name}-{key}"


def _render(project: Project, source_name: str | None, outdir: str, n_takes: int, seed: int, engine: str | None,
            models_dir: str, progress, cancel) -> tuple[list[TakeInfo], Project]:
    """One source's takes, or every source's (`source_name` None, each with its own engine)."""
    made = jobs.render_takes(project, outdir, n_takes=n_takes, seed=seed, engine=engine,
                             sources=None if source_name is None else [source_name],
                             models_dir=models_dir, progress=progress, cancel=cancel)
    return made, project  # on Cancelled, the takes finished so far are in `project` (a copy)


class TakesSession:
    """Mixin for MainWindow: generate, select, play, A/B, mix, export, reference preview."""

    # -- generation ------------------------------------------------------------------------------
    def generate(self) -> Job | None:
        """Generate takes of the selected subject with the engine panel's engine."""
        return self._start_generate(all_sources=False)

    def generate_all(self) -> Job | None:
        """Generate takes of every subject (`jobs.render_takes` with sources=None)."""
        return self._start_generate(all_sources=True)

    def _start_generate(self, all_sources: bool) -> Job | None:
        proj, src = self.doc.project, self.doc.source
        if proj is None or src is None:
            self.show_error("open a clip first")
            return None
        if "generate" in self.jobs and self.jobs["generate"].running:
            self.status_message("already generating")
            return None
        panel = self.engine_panel
        engine = panel.current_engine() if self.engines_ready else src.engine
        if self.engines_ready:
            for s in (proj.sources if all_sources else [src]):
                name = s.engine if all_sources else engine
                info = panel.engines.get(name)
                if info is None or not info.ok:
                    who = f" for {s.name}" if all_sources else ""
                    self.show_error(f"engine {name!r} unavailable{who}: {info.why if info else 'not found'}")
                    return None
        n, seed = panel.n_takes.value(), panel.seed.value()
        copy = proj.copy()
        before = {t.path for s in proj.sources for t in s.takes}
        outdir = str(takes_dir(proj))
        panel.set_busy(True)
        panel.set_progress(0.0, "starting")
        if all_sources:
            job = self.start_job("generate", _render, copy, None, outdir, n, seed, None, self.models_dir,
                                 show_progress=True, label="Generate all",
                                 on_result=lambda r, b=before, p=proj: self._generated_all(r[1], b, p, False),
                                 on_error=lambda m, d: self._generate_failed(m, d))
            job.cancelled.connect(self.guard(lambda c=copy, b=before, p=proj: self._generated_all(c, b, p, True)))
            what = f"{n} take(s) for each of {len(proj.sources)} subjects"
        else:
            job = self.start_job("generate", _render, copy, src.name, outdir, n, seed, engine, self.models_dir,
                                 show_progress=True, label="Generate",
                                 on_result=lambda r, s=src.name, p=proj: self._generated(r[0], s, n, p),
                                 on_error=lambda m, d: self._generate_failed(m, d))
            job.cancelled.connect(self.guard(lambda c=copy, s=src.name, b=before, p=proj:
                                             self._generate_cancelled(c, s, b, p)))
            what = f"{n} take(s) of {src.name} with {engine}"
        job.progress.connect(self.guard(panel.set_progress))
        job.done.connect(self.guard(lambda: panel.set_busy(False)))
        self.status_message(f"generating {what}, seeds {seed}..{seed + n - 1}")
        return job

    def _add_takes(self, made: list[TakeInfo], source_name: str, label: str, project: Project) -> None:
        src = self.doc.source_named(source_name)
        if self.doc.project is not project or src is None or not made:
            return  # another project was opened (or the subject removed) meanwhile: the files stay
        self.doc.edit("takes", list(src.takes) + list(made), label, source_name=source_name)
        self.engine_panel.seed.setValue(made[-1].seed + 1)
        if self.doc.source is src:
            self.takes_panel.select_path(made[-1].path)

    def _generated(self, made: list[TakeInfo], source_name: str, n: int, project: Project) -> None:
        self._add_takes(made, source_name, f"Generate {len(made)} take(s)", project)
        self.status_message(f"{len(made)} take(s) ready")

    def _generated_all(self, copy: Project, before: set[str], project: Project, cancelled: bool) -> None:
        """The takes of every subject as one undoable step (the finished ones when cancelled)."""
        new = {s.name: [t for t in s.takes if t.path not in before] for s in copy.sources}
        made = [t for ts in new.values() for t in ts]
        proj = self.doc.project
        if proj is not project or not made:
            self.status_message("generation cancelled; no take finished" if cancelled else "no take made")
            return
        sources = [dataclasses.replace(s, takes=list(s.takes) + new.get(s.name, [])) for s in proj.sources]
        label = f"Generate {len(made)} take(s) for all subjects" + (" (cancelled)" if cancelled else "")
        self.doc.replace_sources(sources, label)
        self.engine_panel.seed.setValue(max(t.seed for t in made) + 1)
        mine = new.get(self.doc.source.name) if self.doc.source else None
        if mine:
            self.takes_panel.select_path(mine[-1].path)
        self.status_message(f"generation cancelled; kept {len(made)} finished take(s)" if cancelled
                            else f"{len(made)} take(s) ready for {sum(1 for v in new.values() if v)} subject(s)")

    def _generate_cancelled(self, copy: Project, source_name: str, before: set[str], project: Project) -> None:
        try:
            done = [t for t in copy.source(source_name).takes if t.path not in before]
        except Exception:
            done = []
        self._add_takes(done, source_name, f"Generate {len(done)} take(s) (cancelled)", project)
        self.status_message(f"generation cancelled; kept {len(done)} finished take(s)")

    def _generate_failed(self, message: str, details: str) -> None:
        self.engine_panel.status.setText(message[:120])
        self.show_error(message, details)

    def take_owner(self, path: str) -> str | None:
        """The name of the source a take belongs to."""
        proj = self.doc.project
        for s in proj.sources if proj else []:
            if any(t.path == path for t in s.takes):
                return s.name
        return None

    # -- take selection and audition ------------------------------------------------------------
    def take_selected(self, take: TakeInfo | None) -> None:
        if take is None:
            self.lanes.envelope.set_take(None, None)
            self.lanes.heard.set_box_only()
            self.update_mix()
            return
        self.ensure_take_loaded(take, show=True)

    def ensure_take_loaded(self, take: TakeInfo, show: bool = False) -> None:
        """Load a take's audio and analysis in a worker (once); the selected take is then shown."""
        cached = self.take_cache.get(take.path)
        if cached is not None:
            if show:
                self._show_take(take, cached)
            self.update_mix()
            return
        proj, src = self.doc.project, self.doc.source
        key = "take:" + take.path
        if proj is None or src is None or (key in self.jobs and self.jobs[key].running):
            return
        mode = str(take.options.get("mode", "stereo"))
        mode = mode if mode in ("stereo", "binaural") else "stereo"
        owner = self.take_owner(take.path) or src.name  # heard-vs-box against its own subject's box
        self.start_job(key, analyse_take, take.path, proj.sample_rate, proj.copy(), owner, mode,
                       pass_progress=False, on_result=lambda r, t=take: self._take_loaded(t, r))

    def _take_loaded(self, take: TakeInfo, result: dict[str, Any]) -> None:
        self.take_cache[take.path] = result
        self.transport.mixer.set_track("take:" + take.path, result["audio"], self.take_gain)
        current = self.takes_panel.selected_take()
        if current is not None and current.path == take.path:
            self._show_take(take, result)
        self.update_mix()

    def _show_take(self, take: TakeInfo, result: dict[str, Any]) -> None:
        t, p = result["peaks"]
        self.lanes.envelope.set_take(t, p, result.get("rms"))
        al = result.get("alignment")
        proj = self.doc.project
        if al is not None and proj is not None:
            self.lanes.heard.set_alignment(al, proj.clip.width, take.name)

    def update_mix(self) -> None:
        """Audible takes: the soloed ones (of any subject), else the selected one; muted ones never."""
        proj = self.doc.project
        takes = [t for s in (proj.sources if proj else []) for t in s.takes]
        solos = {t.path for t in takes if t.solo}
        current = self.takes_panel.selected_take()
        live = set()
        for t in takes:
            live.add("take:" + t.path)
            audible = (t.path in solos) if solos else (current is not None and t.path == current.path)
            if audible and t.path not in self.take_cache:
                self.ensure_take_loaded(t)
            self.transport.mixer.set_flags("take:" + t.path, muted=not audible or t.muted)
            self.transport.mixer.set_gain("take:" + t.path, self.take_gain)
        for name in list(self.transport.mixer.tracks):  # takes no longer in the project stay silent
            if name.startswith("take:") and name not in live:
                self.transport.mixer.set_flags(name, muted=True)

    def play_take(self, take: TakeInfo | None) -> None:
        if take is None:
            return
        self.takes_panel.select_path(take.path)
        self.transport.stop()
        start = self.transport.loop_in if self.transport.loop_enabled and self.transport.loop_in is not None else 0.0
        self.transport.seek(start)
        self.transport.play()

    def ab_switch(self) -> None:
        target = self.takes_panel.ab_target()
        if target is None:
            self.status_message("A/B needs two takes")
            return
        self.takes_panel.select_path(target)
        take = self.takes_panel.selected_take()
        self.status_message(f"now hearing {take.name if take else ''}", 1500)

    def _gain_changed(self, name: str, gain: float) -> None:
        if name == "guide":
            self.transport.mixer.set_gain("guide", 0.0 if self.guide_muted else gain)
        else:
            self.take_gain = gain
            self.update_mix()

    def _guide_muted(self, muted: bool) -> None:
        self.guide_muted = muted
        self.transport.mixer.set_gain("guide", 0.0 if muted else self.transport_bar.guide_gain.value() / 100)

    def preview_reference(self, path: str) -> None:
        from ..media.audio import read_audio

        if not self.preview_player.available:
            self.status_message(f"cannot preview: {self.preview_player.reason}")
            return
        self.start_job("preview", read_audio, path, 48000, pass_progress=False,
                       on_result=lambda r: self._play_preview(r[0]))

    def _play_preview(self, audio) -> None:
        self.preview_player.mixer.set_track("ref", audio)
        self.preview_player.play(0.0)

    # -- export ----------------------------------------------------------------------------------
    def export_dialog(self) -> None:
        proj, src = self.doc.project, self.doc.source
        pairs = [(s.name, t) for s in (proj.sources if proj else []) for t in s.takes]
        if proj is None or src is None or not pairs:
            self.status_message("nothing to export: generate a take first")
            return
        selected = [t.path for t in self.takes_panel.selected_takes()]
        outdir = str((Path(proj.path).resolve().parent if proj.path else Path(proj.clip.path).resolve().parent)
                     / f"{proj.name}_stems")
        dlg = ExportDialog(pairs, selected, outdir, proj.name, self)
        if dlg.exec() != QDialog.Accepted:
            return
        self.export(dlg.choice())

    def export(self, choice: ExportChoice) -> Job | None:
        proj, src = self.doc.project, self.doc.source
        if proj is None or src is None or not choice.takes:
            self.status_message("no takes chosen")
            return None
        copy = proj.copy()  # each take is named after its own subject: <clip>_<source>_takeNN.wav
        pairs = [(self.take_owner(t.path) or src.name, TakeInfo.from_dict(t.to_dict())) for t in choice.takes]
        tref = int(round(choice.time_reference_s * choice.sample_rate))
        return self.start_job("export", jobs.export_stems, copy, pairs, choice.outdir, sample_rate=choice.sample_rate,
                              bits=choice.bits, preview=choice.preview, time_reference=tref, show_progress=True,
                              label="Export", on_result=lambda paths, d=choice.outdir: self.status_message(
                                  f"exported {len(paths)} stem(s) to {d}", 10000))


__all__ = ["TakesSession", "takes_dir"]

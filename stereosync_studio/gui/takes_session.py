"""Generation, takes audition and export, behind the window (mixin for MainWindow).

Generation runs `jobs.render_takes` on a copy of the project in a worker, so the designer can
keep editing; the new takes come back as one undoable edit. A cancelled run still keeps the
takes it finished.
"""

from __future__ import annotations

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


def _render(project: Project, source_name: str, outdir: str, n_takes: int, seed: int, engine: str,
            models_dir: str, progress, cancel) -> tuple[list[TakeInfo], Project]:
    made = jobs.render_takes(project, outdir, n_takes=n_takes, seed=seed, engine=engine, sources=[source_name],
                             models_dir=models_dir, progress=progress, cancel=cancel)
    return made, project  # on Cancelled, the takes finished so far are in `project` (a copy)


class TakesSession:
    """Mixin for MainWindow: generate, select, play, A/B, mix, export, reference preview."""

    # -- generation ------------------------------------------------------------------------------
    def generate(self) -> Job | None:
        proj, src = self.doc.project, self.doc.source
        if proj is None or src is None:
            self.show_error("open a clip first")
            return None
        if "generate" in self.jobs and self.jobs["generate"].running:
            self.status_message("already generating")
            return None
        panel = self.engine_panel
        engine = panel.current_engine() if self.engines_ready else src.engine
        if self.engines_ready and not panel.engine_ok():
            self.show_error(f"engine {engine!r} unavailable: {panel.engines[engine].why}")
            return None
        n, seed = panel.n_takes.value(), panel.seed.value()
        copy = proj.copy()
        before = {t.path for t in src.takes}
        outdir = str(takes_dir(proj))
        panel.set_busy(True)
        panel.set_progress(0.0, "starting")
        job = self.start_job("generate", _render, copy, src.name, outdir, n, seed, engine, self.models_dir,
                             show_progress=True, label="Generate",
                             on_result=lambda r, s=src.name, p=proj: self._generated(r[0], s, n, p),
                             on_error=lambda m, d: self._generate_failed(m, d))
        job.progress.connect(self.guard(panel.set_progress))
        job.cancelled.connect(self.guard(lambda c=copy, s=src.name, b=before, p=proj:
                                         self._generate_cancelled(c, s, b, p)))
        job.done.connect(self.guard(lambda: panel.set_busy(False)))
        self.status_message(f"generating {n} take(s) with {engine}, seeds {seed}..{seed + n - 1}")
        return job

    def _add_takes(self, made: list[TakeInfo], source_name: str, label: str, project: Project) -> None:
        src = self.doc.source
        if self.doc.project is not project or src is None or src.name != source_name or not made:
            return  # another project was opened meanwhile: the files stay, the takes are not added
        self.doc.edit("takes", list(src.takes) + list(made), label)
        self.engine_panel.seed.setValue(made[-1].seed + 1)
        self.takes_panel.select_path(made[-1].path)

    def _generated(self, made: list[TakeInfo], source_name: str, n: int, project: Project) -> None:
        self._add_takes(made, source_name, f"Generate {len(made)} take(s)", project)
        self.status_message(f"{len(made)} take(s) ready")

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
        self.start_job(key, analyse_take, take.path, proj.sample_rate, proj.copy(), src.name, mode,
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
        """Audible takes: the soloed ones, else the selected one; muted ones never."""
        takes = self.takes_panel.takes()
        solos = {t.path for t in takes if t.solo}
        current = self.takes_panel.selected_take()
        for t in takes:
            audible = (t.path in solos) if solos else (current is not None and t.path == current.path)
            if audible and t.path not in self.take_cache:
                self.ensure_take_loaded(t)
            self.transport.mixer.set_flags("take:" + t.path, muted=not audible or t.muted)
            self.transport.mixer.set_gain("take:" + t.path, self.take_gain)

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
        if proj is None or src is None or not src.takes:
            self.status_message("nothing to export: generate a take first")
            return
        selected = [t.path for t in self.takes_panel.selected_takes()]
        outdir = str((Path(proj.path).resolve().parent if proj.path else Path(proj.clip.path).resolve().parent)
                     / f"{proj.name}_stems")
        dlg = ExportDialog(list(src.takes), selected, outdir, proj.name, src.name, self)
        if dlg.exec() != QDialog.Accepted:
            return
        self.export(dlg.choice())

    def export(self, choice: ExportChoice) -> Job | None:
        proj, src = self.doc.project, self.doc.source
        if proj is None or src is None or not choice.takes:
            self.status_message("no takes chosen")
            return None
        copy = proj.copy()
        pairs = [(src.name, TakeInfo.from_dict(t.to_dict())) for t in choice.takes]
        tref = int(round(choice.time_reference_s * choice.sample_rate))
        return self.start_job("export", jobs.export_stems, copy, pairs, choice.outdir, sample_rate=choice.sample_rate,
                              bits=choice.bits, preview=choice.preview, time_reference=tref, show_progress=True,
                              label="Export", on_result=lambda paths, d=choice.outdir: self.status_message(
                                  f"exported {len(paths)} stem(s) to {d}", 10000))


__all__ = ["TakesSession", "takes_dir"]

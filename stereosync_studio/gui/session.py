"""What the Studio does, behind the window: open/save/recover projects, analyse clips, generate,
export, re-track after a box edit, load audio for audition. Every long step runs a `jobs`
function (the CLI's code path) in a worker; results come back as document edits.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QFileDialog, QMessageBox

from .. import jobs
from ..core.errors import InputError, StereoSyncError
from ..core.project import PROJECT_SUFFIX, Project
from . import autosave, style
from .audition import Mixer, Player
from .tasks import analyze_for_studio, auto_events, derive_trajectory, load_guide, probe_and_warm, retrack
from .workers import Job, cancel_all

log = logging.getLogger(__name__)
VIDEO_EXTS = (".mp4", ".mov", ".mkv", ".m4v", ".avi", ".webm", ".mxf")


class StudioSession:
    """Mixin for MainWindow: project lifecycle and background work."""

    def init_session(self) -> None:
        self.jobs: dict[str, Job] = {}
        self.take_cache: dict[str, dict[str, Any]] = {}
        self.guide_muted = False
        self.last_error = ""
        self.engines_ready = False
        self._events_timer = QTimer(self)
        self._events_timer.setSingleShot(True)
        self._events_timer.setInterval(120)
        self._events_timer.timeout.connect(self._update_auto_events)
        self.doc.changed.connect(self._on_doc_changed)
        self.transport.positionChanged.connect(self._on_position)
        self.video.boxEdited.connect(self.box_edited)
        self.lanes.envelope.sourceRequested.connect(self.envelope_from)
        self.lanes.pan.followRequested.connect(self.follow_box)
        self.engine_panel.generateRequested.connect(self.generate)
        self.engine_panel.cancelRequested.connect(lambda: self.cancel_job("generate"))
        self.takes_panel.takeSelected.connect(self.take_selected)
        self.takes_panel.playRequested.connect(self.play_take)
        self.takes_panel.abRequested.connect(self.ab_switch)
        self.takes_panel.exportRequested.connect(self.export_dialog)
        self.takes_panel.flagsChanged.connect(self.update_mix)
        self.reference_panel.previewRequested.connect(self.preview_reference)
        self.reference_panel.message.connect(self.status_message)
        self.transport_bar.gainChanged.connect(self._gain_changed)
        self.transport_bar.guideMuted.connect(self._guide_muted)
        self.take_gain = 1.0
        self.preview_player = Player(Mixer(48000))
        self.transport.mixer.set_gain("guide", 0.5)
        if not self.transport.player.available:
            self.status_message(self.transport.player.reason, 10000)
        self.start_job("engines", probe_and_warm, self.models_dir, pass_progress=False,
                       on_result=self._engines_probed)
        self.update_title()

    # -- jobs ------------------------------------------------------------------------------------
    def guard(self, fn):
        """Wrap a slot so a job finishing after the window closed does not touch dead widgets."""
        def call(*args):
            if not getattr(self, "_shut_down", False):
                return fn(*args)
        return call

    def start_job(self, key: str, fn, *args, on_result=None, on_error=None, show_progress: bool = False,
                  label: str = "", **kwargs) -> Job:
        """Run `fn` in a worker; one job per key (a new one cancels the old)."""
        old = self.jobs.get(key)
        if old is not None and old.running:
            old.cancel()
        job = Job(fn, *args, name=key, **kwargs)
        self.jobs[key] = job
        g = self.guard
        if on_result:
            job.finished.connect(g(on_result))
        job.failed.connect(g(on_error or (lambda msg, det: self.show_error(msg, det))))
        if show_progress:
            job.progress.connect(g(lambda f, m, lab=label: self._job_progress(lab, f, m)))
            self.job_bar.setVisible(True)
            self.job_label.setText(label)
        job.done.connect(g(lambda k=key, j=job: self._job_done(k, j)))
        return job.start()

    def _job_progress(self, label: str, fraction: float, message: str) -> None:
        self.job_bar.setValue(int(fraction * 1000))
        self.job_label.setText(f"{label}: {message}")

    def _job_done(self, key: str, job: Job) -> None:
        if self.jobs.get(key) is job:
            del self.jobs[key]
        shown = ("analyze", "generate", "export", "retrack", "subjects")  # the jobs with a progress bar
        if not any(j.running for j in self.jobs.values() if j.name in shown):
            self.job_bar.setVisible(False)
            self.job_label.setText("")
            self.video.set_busy("")

    def cancel_job(self, key: str) -> None:
        job = self.jobs.get(key)
        if job is not None and job.running:
            job.cancel()
            self.status_message(f"cancelling {key}…")

    def cancel_jobs(self) -> None:
        if self.lanes.ctx.selection is not None:
            self.lanes.ctx.set_selection(None)
        for key in ("generate", "export", "analyze", "retrack", "envelope", "subjects"):
            self.cancel_job(key)

    def busy(self) -> bool:
        return any(j.running for j in self.jobs.values())

    def _engines_probed(self, engines) -> None:
        import gc

        self.engine_panel.set_engines(engines)
        self.engines_ready = True
        # Everything imported so far lives as long as the app: keep it out of the cyclic GC, whose
        # full passes (any thread, GIL held) otherwise take ~0.1 s and stall the picture.
        gc.collect()
        gc.freeze()

    # -- opening ---------------------------------------------------------------------------------
    def open_dialog(self) -> None:
        exts = " ".join(f"*{e}" for e in VIDEO_EXTS)
        path, _ = QFileDialog.getOpenFileName(self, "Open project or clip", "",
                                              f"Projects and clips (*{PROJECT_SUFFIX} *.json {exts});;All files (*)")
        if path:
            self.open_path(path)

    def new_from_clip_dialog(self) -> None:
        exts = " ".join(f"*{e}" for e in VIDEO_EXTS)
        path, _ = QFileDialog.getOpenFileName(self, "New project from clip", "", f"Video ({exts})")
        if path:
            self.open_path(path)

    def open_path(self, path: str) -> None:
        p = Path(path)
        if not p.exists():
            self.show_error(str(InputError(p, "file not found")))
            return
        if p.suffix.lower() == ".json":
            self.open_project(str(p))
        else:
            self.open_clip(str(p))

    def open_clip(self, clip: str) -> Job | None:
        if not self.confirm_discard():
            return None
        self.status_message(f"analysing {Path(clip).name}…")
        self.video.set_busy("analysing…")
        return self.start_job("analyze", analyze_for_studio, clip, on_result=self._analysed, show_progress=True,
                              label="Analyse")

    def _analysed(self, project: Project) -> None:
        self.set_project(project, dirty=True)  # never saved yet: autosave it, ask before closing
        autosave.add_recent(project.clip.path)
        src = project.source()
        seen = int(np.sum(~np.isnan(src.track.boxes[:, 0])))
        self.status_message(f"{project.name}: subject seen in {seen}/{len(src.track)} frames; "
                            f"envelope from {src.envelope.origin}")

    def open_project(self, path: str, recover: bool | None = None) -> bool:
        if not self.confirm_discard():
            return False
        try:
            project = Project.load(path)
        except StereoSyncError as exc:
            self.show_error(str(exc))
            return False
        dirty = False
        newer = autosave.newer_autosave(path)
        if newer is not None:
            if recover is None:
                recover = self.ask("Recover changes", f"{Path(path).name} has unsaved changes from a session that "
                                   "did not end cleanly. Recover them?", QMessageBox.Yes | QMessageBox.No,
                                   QMessageBox.Yes) == QMessageBox.Yes
            if recover:
                try:
                    project = autosave.load_recovered(newer)
                    project.path = str(path)
                    dirty = True
                except (OSError, ValueError, StereoSyncError) as exc:
                    self.show_error(f"{newer}: autosave unreadable ({exc})")
        self.set_project(project, dirty=dirty)
        autosave.add_recent(path)
        self.status_message(f"opened {path}" + (" (recovered unsaved changes)" if dirty else ""))
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
        if self.ask("Recover session", f"A session did not end cleanly. Recover {path.name}?",
                    QMessageBox.Yes | QMessageBox.No, QMessageBox.Yes) != QMessageBox.Yes:
            return False
        if project_path is not None:
            return self.open_project(project_path, recover=True)
        try:
            project = autosave.load_recovered(path)
        except (OSError, ValueError, StereoSyncError) as exc:
            self.show_error(f"{path}: cannot recover ({exc})")
            return False
        self.set_project(project, dirty=True)
        self.status_message(f"recovered {path.name}")
        return True

    def set_project(self, project: Project | None, dirty: bool = False) -> None:
        for key in ("generate", "retrack", "envelope", "events", "subjects"):  # results for the old one
            self.cancel_job(key)
        self.transport.stop()
        self.take_cache.clear()
        for name in list(self.transport.mixer.tracks):
            self.transport.mixer.set_track(name, None)
        self.doc.set_project(project, dirty=dirty)
        if project is None:
            self.video.set_clip(None, 16, 9, 25)
            return
        clip = project.clip
        seeds = [t.seed for s in project.sources for t in s.takes]
        if seeds:  # new takes continue after the ones the project has
            self.engine_panel.seed.setValue(max(seeds) + 1)
        self.transport.set_clip(clip.fps, clip.duration)
        self.transport.mixer.sample_rate = project.sample_rate
        clip_ok = Path(clip.path).is_file()
        self.video.set_clip(clip.path if clip_ok else None, clip.width, clip.height, clip.fps)
        self._refresh_video_track()
        self.video.set_frame(0)
        if not clip_ok:
            self.show_error(str(InputError(clip.path, "clip not found: lanes and takes still work")))
        else:
            self.start_job("guide", load_guide, clip.path, project.sample_rate, pass_progress=False,
                           on_result=self._guide_loaded)
        self.update_title()

    def _guide_loaded(self, result) -> None:
        if result is None:
            self.lanes.envelope.set_guide_peaks(None, None)
            return
        audio, (t, p) = result
        self.transport.mixer.set_track("guide", audio, 0.0 if self.guide_muted else self.transport_bar.guide_gain.value() / 100)
        self.lanes.envelope.set_guide_peaks(t, p)

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
        if proj is None or not self.interactive:
            return False
        start = proj.path or str(Path(proj.clip.path).with_name(proj.name + PROJECT_SUFFIX))
        path, _ = QFileDialog.getSaveFileName(self, "Save project", start, f"Project (*{PROJECT_SUFFIX})")
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
            self.show_error(f"{path}: cannot save ({exc.strerror or exc})")
            return False
        self.autosaver.flush()  # a write still in flight must not resurrect the autosave
        autosave.remove_autosave(old_path, name, clip)
        autosave.remove_autosave(str(target), name, clip)
        autosave.add_recent(str(target))
        self.status_message(f"saved {target}")
        self.update_title()
        return True

    def confirm_discard(self) -> bool:
        """True when it is fine to replace or close the current project (asks about unsaved edits)."""
        proj = self.doc.project
        if proj is None or not self.doc.is_dirty():
            return True
        if not self.interactive:  # nobody to ask: keep the edits in the autosave, recoverable later
            autosave.write_autosave(self.doc)
            return True
        answer = self.ask("Unsaved changes", f"Save changes to {proj.name}?",
                          QMessageBox.Save | QMessageBox.Discard | QMessageBox.Cancel, QMessageBox.Save)
        if answer == QMessageBox.Cancel:
            return False
        if answer == QMessageBox.Save:
            return self.save()
        self.autosaver.flush()
        autosave.remove_autosave(proj.path, proj.name, proj.clip.path)
        return True

    def shutdown(self) -> None:
        if getattr(self, "_shut_down", False):
            return
        self._shut_down = True
        self.autosaver.timer.stop()
        self.autosaver.flush()
        self._events_timer.stop()
        self.transport.stop()
        self.preview_player.stop()
        cancel_all(2.0)
        self.video.fetcher.close()

    # -- undo ------------------------------------------------------------------------------------
    def undo(self) -> None:
        label = self.doc.undo()
        if label:
            self.status_message(f"undo: {label}", 2500)

    def redo(self) -> None:
        label = self.doc.redo()
        if label:
            self.status_message(f"redo: {label}", 2500)

    def delete_selection(self) -> None:
        lane = self.lanes.ctx.active_lane
        if lane is self.lanes.envelope and self.lanes.ctx.tool == "step":
            self.lanes.envelope.delete_selection()
        elif self.lanes.ctx.selection is not None:
            self.lanes.range_action("clear")
        elif self.takes_panel.tree.hasFocus():
            self.takes_panel.delete_selected()

    # -- document reactions ----------------------------------------------------------------------
    def _on_doc_changed(self, part: str) -> None:
        if part in ("project", "source", "track"):
            self._refresh_video_track()
        if part in ("project", "source", "envelope", "engine"):
            self._events_timer.start()
        if part in ("takes", "source"):
            proj = self.doc.project
            live = {t.path for s in (proj.sources if proj else []) for t in s.takes}
            for path in list(self.take_cache):
                if path not in live:
                    self.take_cache.pop(path)
                    self.transport.mixer.set_track("take:" + path, None)
        if part == "source":  # the lanes were redrawn for this source: show its selected take again
            self.take_selected(self.takes_panel.selected_take())
        self.update_title()

    def _refresh_video_track(self) -> None:
        proj, src = self.doc.project, self.doc.source
        entries = [] if proj is None else [(s.name, s.track, style.source_color(i)) for i, s in enumerate(proj.sources)]
        self.video.set_sources(entries, 0 if src is None else proj.sources.index(src))

    def _on_position(self, t: float) -> None:
        self.video.set_frame(self.transport.frame)

    def _update_auto_events(self) -> None:
        src = self.doc.source
        if src is None or src.envelope.events is not None:
            self.lanes.envelope.auto_events = []
            self.lanes.envelope.refresh_events()
            return
        self.start_job("events", auto_events, src.envelope.copy(), self.engine_panel.option_values(),
                       pass_progress=False, on_result=self._auto_events_ready)

    def _auto_events_ready(self, events: list[float]) -> None:
        self.lanes.envelope.auto_events = list(events)
        self.lanes.envelope.refresh_events()

    # -- box edits and tracking -----------------------------------------------------------------
    def box_edited(self, frame: int, box: list) -> None:
        """A keyframe now (undoable at once), then the boxes after it re-tracked in the background."""
        src, proj = self.doc.source, self.doc.project
        if src is None or proj is None:
            return
        gesture = self.doc.new_gesture("box")
        track = src.track.copy()
        track.set_keyframe(frame, box)
        parts: dict[str, Any] = {"track": track}
        if src.trajectory.follow_box:
            parts["trajectory"] = derive_trajectory(proj, track, src.trajectory.hfov_deg)
        self.doc.edit_parts(parts, f"Move box at frame {frame + 1}", gesture)
        if not Path(proj.clip.path).is_file():
            return
        expected = self.doc.source.track
        self.video.set_busy("re-tracking…")
        self.start_job("retrack", retrack, track.copy(), proj.copy(), frame, list(box), src.trajectory.follow_box,
                       src.trajectory.hfov_deg, show_progress=True, label="Re-track",
                       on_result=lambda r, g=gesture, e=expected, f=frame, n=src.name: self._retracked(r, g, e, f, n))

    def _retracked(self, result, gesture: str, expected, frame: int, name: str) -> None:
        track, trajectory = result
        src, proj = self.doc.source_named(name), self.doc.project
        if src is None or proj is None or src.track is not expected:
            self.status_message("re-track result dropped: the track changed meanwhile")
            return
        parts: dict[str, Any] = {"track": track}
        if trajectory is not None and src.trajectory.follow_box:
            parts["trajectory"] = trajectory
        self.doc.edit_parts(parts, f"Move box at frame {frame + 1}", gesture, source_name=name)
        self.doc.end_gesture()
        self.status_message(f"re-tracked from frame {frame + 1}")

    def follow_box(self) -> None:
        src, proj = self.doc.source, self.doc.project
        if src is None or proj is None:
            return
        self.doc.edit("trajectory", derive_trajectory(proj, src.track, src.trajectory.hfov_deg), "Follow box")

    # -- envelope sources ------------------------------------------------------------------------
    def envelope_from(self, mode: str) -> None:
        src, proj = self.doc.source, self.doc.project
        if src is None or proj is None:
            return
        if mode == "csv":
            path, _ = QFileDialog.getOpenFileName(self, "Envelope CSV", "", "CSV (*.csv *.txt)")
            if not path:
                return
            mode = path
        self.envelope_from_mode(mode)

    def envelope_from_mode(self, mode: str) -> Job | None:
        src, proj = self.doc.source, self.doc.project
        if src is None or proj is None:
            return None
        label = {"audio": "guide audio", "video": "video"}.get(mode, Path(mode).name)
        return self.start_job("envelope", jobs.make_envelope, mode, proj.clip.path, proj.clip, proj.guide_envelope,
                              src.track.copy(), show_progress=True, label="Envelope",
                              on_result=lambda env, lab=label, p=proj, n=src.name: self._envelope_ready(p, env, lab, n))

    def _envelope_ready(self, project: Project, env, label: str, name: str) -> None:
        if self.doc.project is project:
            self.doc.edit("envelope", env, f"Envelope from {label}", source_name=name)


__all__ = ["StudioSession", "analyze_for_studio"]

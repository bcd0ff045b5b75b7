"""Edits of the shown subject that need a job: box keyframes and re-tracking, envelope sources,
*Follow box*, and the steps the engine would place (drawn as hollow markers).

Why here: a box drag is a keyframe at once (one undoable edit) and a background re-track
(`jobs.retrack`) that folds into the same undo step when it comes back, unless the track
changed meanwhile. Envelopes from the guide, the picture or a CSV come from `jobs.make_envelope`;
the planned steps from `jobs.planned_steps`, re-run (debounced) when the envelope or engine changes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QTimer

from ... import jobs
from ...core.project import ClipInfo, Project
from ...core.track import Track
from ...core.trajectory import Trajectory
from ..document import ProjectDocument
from ..job_runner import JobRunner
from ..prompts import Prompts
from ..view_state import ViewState
from ..workers import Job

STEPS_DELAY_MS = 120  # planned steps wait for a pause in the edits


def _follow(track: Track, clip: ClipInfo, old: Trajectory) -> Trajectory:
    """Pan and distance from the boxes under the subject's own pan mapping (mode, width, lens)."""
    return jobs.trajectory_from_track(track, clip, old.hfov_deg, pan_mode=old.pan_mode, pan_width=old.pan_width)


class EditingController(QObject):
    """Box keyframes, envelope sources, Follow box, planned steps of the shown subject."""

    def __init__(self, doc: ProjectDocument, view: ViewState, runner: JobRunner, prompts: Prompts,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.doc, self.view, self.runner, self.prompts = doc, view, runner, prompts
        self.steps_timer = QTimer(self)
        self.steps_timer.setSingleShot(True)
        self.steps_timer.setInterval(STEPS_DELAY_MS)
        self.steps_timer.timeout.connect(self.update_planned_steps)
        doc.changed.connect(self._on_doc)
        view.subscribe(lambda _name: self.steps_timer.start(), "engines")

    def _on_doc(self, part: str) -> None:
        if part in ("project", "source", "envelope", "events", "engine"):
            self.steps_timer.start()

    # -- box edits and tracking ------------------------------------------------------------------
    def box_edited(self, frame: int, box: list[float]) -> Job | None:
        """A keyframe now (undoable at once), then the boxes after it re-tracked in the background."""
        src, proj = self.doc.source, self.doc.project
        if src is None or proj is None:
            return None
        gesture = self.doc.new_gesture("box")
        track = src.track.copy()
        track.set_keyframe(frame, box)
        parts: dict[str, Any] = {"track": track}
        if src.trajectory.follow_box:
            parts["trajectory"] = _follow(track, proj.clip, src.trajectory)
        self.doc.edit_parts(parts, f"Move box at frame {frame}", gesture)
        if not Path(proj.clip.path).is_file():
            return None
        expected = self.doc.source.track
        self.view.busy_text = "re-tracking…"
        tr = src.trajectory
        return self.runner.start("retrack", jobs.retrack, track.copy(), proj.copy(), frame, list(box),
                                 tr.follow_box, tr.hfov_deg, label="Re-track", pan_mode=tr.pan_mode,
                                 pan_width=tr.pan_width,
                                 on_result=lambda r, g=gesture, e=expected, f=frame, n=src.name:
                                 self._retracked(r, g, e, f, n))

    def _retracked(self, result: tuple[Track, Any], gesture: str, expected: Track, frame: int, name: str) -> None:
        track, trajectory = result
        src, proj = self.doc.source_named(name), self.doc.project
        if src is None or proj is None or src.track is not expected:
            self.prompts.status("re-track result dropped: the track changed meanwhile")
            return
        parts: dict[str, Any] = {"track": track}
        if trajectory is not None and src.trajectory.follow_box:  # derived under the subject's own pan mapping
            parts["trajectory"] = trajectory
        self.doc.edit_parts(parts, f"Move box at frame {frame}", gesture, source_name=name)
        self.doc.end_gesture()
        self.prompts.status(f"re-tracked from frame {frame}")

    def follow_box(self) -> None:
        """Pan and distance from the boxes again (after they were drawn by hand)."""
        src, proj = self.doc.source, self.doc.project
        if src is None or proj is None:
            return
        self.doc.edit("trajectory", _follow(src.track, proj.clip, src.trajectory), "Follow box")

    # -- envelope sources ------------------------------------------------------------------------
    def envelope_from(self, mode: str) -> Job | None:
        """The lane's Guide / Video / CSV… buttons (CSV asks for the file). A hand-edited envelope
        (drawn, dragged, range edits, steps) is replaced only when the designer says so."""
        src = self.doc.source
        if src is None:
            return None
        if src.envelope.origin == "drawn":
            what = {"audio": "the clip's own audio", "video": "the steps seen in the picture"}.get(mode, "a CSV file")
            if not self.prompts.confirm("Replace the envelope", f"The envelope of {src.name} was edited by hand. "
                                        f"Replace it with the envelope from {what}? (Undo brings it back.)"):
                self.prompts.status("envelope kept")
                return None
        if mode == "csv":
            path = self.prompts.ask_open_file("Envelope CSV", "CSV (*.csv *.txt)")
            if not path:
                return None
            mode = path
        return self.envelope_from_mode(mode)

    def envelope_from_mode(self, mode: str) -> Job | None:
        """Replace the shown subject's envelope by `jobs.make_envelope(mode)` ("audio", "video" or a CSV path)."""
        src, proj = self.doc.source, self.doc.project
        if src is None or proj is None:
            return None
        label = {"audio": "guide audio", "video": "video"}.get(mode, Path(mode).name)
        return self.runner.start("envelope", jobs.make_envelope, mode, proj.clip.path, proj.clip, proj.guide_envelope,
                                 src.track.copy(), label="Envelope",
                                 on_result=lambda env, lab=label, p=proj, n=src.name: self._envelope_ready(p, env,
                                                                                                         lab, n))

    def _envelope_ready(self, project: Project, env, label: str, name: str) -> None:
        if self.doc.project is project:
            self.doc.edit("envelope", env, f"Envelope from {label}", source_name=name)

    # -- planned steps ---------------------------------------------------------------------------
    def update_planned_steps(self) -> Job | None:
        """The steps the engine would place on the envelope (none when the designer owns the steps)."""
        src = self.doc.source
        if src is None or src.envelope.events is not None:
            self.view.planned_steps = []
            return None
        options = self.view.option_values(src.engine, src.engine_options)
        return self.runner.start("events", jobs.planned_steps, src.envelope.copy(), options, pass_progress=False,
                                 on_result=self._steps_ready)

    def _steps_ready(self, steps: list[float]) -> None:
        self.view.planned_steps = list(steps)

    def stop(self) -> None:
        self.steps_timer.stop()


__all__ = ["EditingController"]

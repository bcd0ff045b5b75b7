"""The Record button: perform the footsteps into the microphone while the picture plays.

Why: a designer often knows the rhythm best by doing it ("tk tk tk" on the desk, a rough
Foley pass). Record plays the picture from the playhead (or the loop's in point) to the
clip's end (or the loop's out point) and records the microphone meanwhile with
`jobs.record_envelope` (input latency taken off the start, in a worker); the performance
becomes the envelope and its steps over that stretch, the rest of the envelope kept, as one
undoable edit. No microphone (no input device, a busy one) gives a clear message and changes
nothing; pressing Record again while recording stops without changing the envelope.
"""

from __future__ import annotations

import time

import numpy as np
from PySide6.QtCore import QObject, Signal

from ... import jobs
from ...core.envelope import Envelope
from ..document import ProjectDocument
from ..job_runner import JobRunner
from ..prompts import Prompts
from ..transport import Transport
from ..view_state import ViewState
from ..workers import Job

MIN_RECORD_S = 0.5  # shorter than this there is nothing to perform: record from the start instead
NO_MIC = ("Recording needs a microphone: {problem}. Connect one or choose an input in the system's sound "
          "settings, then press Record again. The envelope is unchanged.")


def splice_envelope(old: Envelope, performed: Envelope, start: float, outside_steps: list[float]) -> Envelope:
    """`old` with [start, start + performed's duration) replaced by the performance: its values
    and its steps there, `outside_steps` (the steps the old envelope had) kept elsewhere."""
    end = start + performed.duration
    t = old.times()
    values = old.values.astype(np.float64).copy()
    inside = (t >= start) & (t < end)
    values[inside] = np.interp(t[inside] - start, performed.times(), performed.values)
    steps = [s for s in outside_steps if s < start or s >= end]
    steps += [start + float(s) for s in performed.events or [] if start + s < old.duration]
    return Envelope(values, old.rate, sorted(steps), "performed")


class RecordingController(QObject):
    """Record / stop, the microphone job, the envelope edit when it comes back."""

    recordingChanged = Signal(bool)

    def __init__(self, doc: ProjectDocument, view: ViewState, runner: JobRunner, prompts: Prompts,
                 transport: Transport, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.doc, self.view, self.runner, self.prompts, self.transport = doc, view, runner, prompts, transport
        self.device: int | str | None = None  # sounddevice input (None: the system's default)
        self.latency_s: float | None = None  # None: the input's reported latency

    @property
    def recording(self) -> bool:
        return self.runner.running("record")

    def toggle(self) -> Job | None:
        if self.recording:
            self.stop()
            return None
        job = self.start()
        if job is None:
            self.recordingChanged.emit(False)  # nothing to record: the button goes out again
        return job

    def span(self) -> tuple[float, float]:
        """What Record covers: the loop when it is on, else the playhead to the clip's end."""
        tr = self.transport
        if tr.loop_enabled and tr.loop_in is not None and tr.loop_out is not None and tr.loop_out > tr.loop_in:
            return float(tr.loop_in), float(tr.loop_out)
        end = float(tr.duration)
        start = float(tr.position)
        return (0.0, end) if end - start < MIN_RECORD_S else (start, end)

    def start(self) -> Job | None:
        src, proj = self.doc.source, self.doc.project
        if src is None or proj is None:
            return None
        start, end = self.span()
        if end - start < MIN_RECORD_S:
            self.prompts.status("the clip is too short to record a performance")
            return None
        self.transport.stop()
        self.transport.seek(start)
        outside = list(src.envelope.steps() or self.view.planned_steps)
        self.transport.play()  # the picture first: the recording is timed from this moment
        job = self.runner.start("record", jobs.record_envelope, end - start, device=self.device,
                                latency_s=self.latency_s, label="Recording", started_at=time.monotonic(),
                                on_result=lambda r, n=src.name, a=start, o=outside, p=proj:
                                self._recorded(p, n, a, o, r),
                                on_error=self._failed, on_cancel=self._cancelled)
        job.done.connect(lambda: self.recordingChanged.emit(False))
        self.recordingChanged.emit(True)
        self.prompts.status(f"recording {start:.2f}–{end:.2f} s: perform the steps (Record again stops)", 0)
        return job

    def stop(self) -> None:
        self.runner.cancel("record")
        self.transport.stop()

    def _recorded(self, project, name: str, start: float, outside: list[float], result) -> None:
        self.transport.stop()
        performed, _audio = result
        src = self.doc.source_named(name)
        if self.doc.project is not project or src is None:
            return
        new = splice_envelope(src.envelope, performed, start, outside)
        end = start + performed.duration
        self.doc.edit("envelope", new, f"Record envelope {start:.2f}–{end:.2f} s", source_name=name)
        n = len(performed.events or [])
        self.prompts.status(f"recorded {n} step{'s' if n != 1 else ''} into the envelope of {name} "
                            f"({start:.2f}–{end:.2f} s)")

    def _failed(self, message: str, details: str) -> None:
        self.transport.stop()
        if "microphone" in message or "device" in message.lower():
            problem = message.split("(", 1)[-1].rstrip(")") if "(" in message else message
            if "device -1" in problem or "no default" in problem.lower():  # PortAudio's words for "none"
                problem = f"no input device was found ({problem})"
            self.prompts.error(NO_MIC.format(problem=problem), details)
        else:
            self.prompts.error(f"Recording failed: {message}. The envelope is unchanged.", details)

    def _cancelled(self) -> None:
        self.transport.stop()
        self.prompts.status("recording stopped: the envelope is unchanged")


__all__ = ["RecordingController", "splice_envelope"]

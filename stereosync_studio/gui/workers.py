"""Run a job function off the GUI thread with progress, cancel and a result signal.

Like napari's thread_worker or Anki's QueryOp: the Studio calls the same functions as the
CLI (`jobs.analyze_clip`, `jobs.render_takes`, ...) in a worker thread and hears back
through queued Qt signals, so the window never blocks. Progress is throttled (the GUI only
needs ~20 updates a second) and the job's CancelToken is checked by the job itself.
`job_runner.JobRunner` keeps one Job per key for the controllers.
"""

from __future__ import annotations

import logging
import threading
import time
import traceback
from typing import Any, Callable

from PySide6.QtCore import QObject, Signal

from ..core.errors import Cancelled, StereoSyncError
from ..core.progress import CancelToken

log = logging.getLogger(__name__)


class Job(QObject):
    """One background job. Connect the signals, then `start()`; `cancel()` asks it to stop.

    Signals arrive on the GUI thread: progress(fraction, message), finished(result),
    failed(message, details), cancelled(), and done() last in every case.
    """

    progress = Signal(float, str)
    finished = Signal(object)
    failed = Signal(str, str)
    cancelled = Signal()
    done = Signal()
    _complete = Signal(str, object, str, str)  # worker -> GUI thread: state, result, message, details

    def __init__(self, fn: Callable[..., Any], *args: Any, name: str = "",
                 pass_progress: bool = True, throttle_s: float = 0.05, **kwargs: Any) -> None:
        super().__init__()
        self.fn, self.args, self.kwargs = fn, args, kwargs
        self.name = name or getattr(fn, "__name__", "job")
        self.pass_progress = pass_progress
        self.token = CancelToken()
        self.throttle_s = throttle_s
        self.result: Any = None
        self.error: str | None = None
        self.state = "new"  # new | running | finished | failed | cancelled
        self._thread: threading.Thread | None = None
        self._last_emit = 0.0
        self._complete.connect(self._on_complete)  # queued: runs on the GUI thread

    @property
    def running(self) -> bool:
        return self.state == "running"

    def start(self) -> "Job":
        self.state = "running"
        _ACTIVE.add(self)
        self.done.connect(lambda: _ACTIVE.discard(self))
        self._thread = threading.Thread(target=self._run, name=f"job-{self.name}", daemon=True)
        self._thread.start()
        return self

    def cancel(self) -> None:
        self.token.cancel()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the thread ends (tests and shutdown only; the GUI never waits)."""
        if self._thread is None:
            return True
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def _report(self, fraction: float, message: str = "") -> None:
        now = time.monotonic()
        if now - self._last_emit >= self.throttle_s or fraction >= 1.0:
            self._last_emit = now
            self.progress.emit(float(fraction), str(message))
        if self.token.cancelled:
            raise Cancelled()

    def _run(self) -> None:
        kwargs = dict(self.kwargs)
        if self.pass_progress:
            kwargs.setdefault("progress", self._report)
            kwargs.setdefault("cancel", self.token)
        try:
            result = self.fn(*self.args, **kwargs)
        except Cancelled:
            self._complete.emit("cancelled", None, "", "")
        except StereoSyncError as exc:
            self._complete.emit("failed", None, str(exc), "")
        except MemoryError:
            self._complete.emit("failed", None, f"{self.name}: out of memory", "")
        except Exception as exc:  # a bug: log it, show it, keep the app alive
            details = traceback.format_exc()
            log.error("job %s failed:\n%s", self.name, details)
            self._complete.emit("failed", None, f"{self.name} failed: {exc.__class__.__name__}: {exc}", details)
        else:
            self._complete.emit("finished", result, "", "")

    def _on_complete(self, state: str, result: Any, message: str, details: str) -> None:
        """On the GUI thread: the job counts as running until its result has been delivered."""
        if self._thread is not None and self._thread is not threading.current_thread():
            # the worker's last statement emitted this: let it end before the job can be dropped,
            # so the job (a QObject) is never freed on the worker thread by its last reference
            self._thread.join(1.0)
        self.result = result
        self.error = message or None
        self.state = state
        try:
            if state == "finished":
                self.finished.emit(result)
            elif state == "cancelled":
                self.cancelled.emit()
            else:
                self.failed.emit(message, details)
        finally:
            self.done.emit()


_ACTIVE: set[Job] = set()  # keeps running jobs alive until their done() signal


def active_jobs() -> list[Job]:
    return [j for j in _ACTIVE if j.running]


def cancel_all(timeout: float = 2.0) -> None:
    """Ask every running job to stop and give them a moment (used when the window closes)."""
    jobs = active_jobs()
    for j in jobs:
        j.cancel()
    deadline = time.monotonic() + timeout
    for j in jobs:
        j.wait(max(0.0, deadline - time.monotonic()))


__all__ = ["Job", "active_jobs", "cancel_all"]

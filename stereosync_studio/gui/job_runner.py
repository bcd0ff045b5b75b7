"""One running job per key for the whole Studio (like Anki's CollectionOp/QueryOp runner).

Why: every controller starts `jobs` functions in workers; a new analysis must cancel the old
one, Esc cancels whatever runs, the status bar shows the jobs with a label, and no result may
reach the widgets after the window closed. The runner does that once, for all controllers.
"""

from __future__ import annotations

from typing import Any, Callable, Iterable

from PySide6.QtCore import QObject, Signal

from .workers import Job, cancel_all

ErrorFn = Callable[[str, str], None]


class JobRunner(QObject):
    """Starts `workers.Job`s by key: `start`, `cancel`, `running`, `busy`, `close`."""

    progressed = Signal(str, float, str)  # label, fraction, message of a labelled job
    activityChanged = Signal(bool)  # a labelled job (status-bar progress) started / none is left

    def __init__(self, on_error: ErrorFn, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.on_error = on_error
        self.jobs: dict[str, Job] = {}
        self._labelled: set[str] = set()
        self.closed = False

    def guard(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        """`fn`, made a no-op once the runner is closed (the window went away)."""
        def call(*args: Any) -> Any:
            if not self.closed:
                return fn(*args)
            return None
        return call

    def start(self, key: str, fn: Callable[..., Any], *args: Any, on_result: Callable[[Any], None] | None = None,
              on_error: ErrorFn | None = None, on_cancel: Callable[[], None] | None = None,
              label: str = "", **kwargs: Any) -> Job:
        """Run `fn(*args, **kwargs)` in a worker as job `key` (a running one is cancelled first).

        A `label` puts the job's progress in the status bar; errors go to `on_error`, else to
        the runner's error route."""
        old = self.jobs.get(key)
        if old is not None and old.running:
            old.cancel()
        job = Job(fn, *args, name=key, **kwargs)
        if self.closed:  # the window went away: nothing starts, nothing would be delivered
            job.state = "cancelled"
            return job
        self.jobs[key] = job
        g = self.guard
        if on_result is not None:
            job.finished.connect(g(on_result))
        if on_cancel is not None:
            job.cancelled.connect(g(on_cancel))
        job.failed.connect(g(on_error or self.on_error))
        if label:
            self._labelled.add(key)
            job.progress.connect(g(lambda f, m, lab=label: self.progressed.emit(lab, f, f"{lab}: {m}")))
            self.progressed.emit(label, 0.0, label)
            self.activityChanged.emit(True)
        job.done.connect(g(lambda k=key, j=job: self._done(k, j)))
        return job.start()

    def _done(self, key: str, job: Job) -> None:
        if self.jobs.get(key) is job:
            del self.jobs[key]
            self._labelled.discard(key)
        if not any(self.running(k) for k in self._labelled):
            self.activityChanged.emit(False)

    def job(self, key: str) -> Job | None:
        return self.jobs.get(key)

    def running(self, key: str) -> bool:
        job = self.jobs.get(key)
        return job is not None and job.running

    def busy(self) -> bool:
        return any(j.running for j in self.jobs.values())

    def cancel(self, key: str) -> bool:
        """Ask job `key` to stop; True when one was running."""
        if self.running(key):
            self.jobs[key].cancel()
            return True
        return False

    def cancel_many(self, keys: Iterable[str]) -> list[str]:
        return [k for k in keys if self.cancel(k)]

    def close(self, timeout: float = 2.0) -> None:
        """No result is delivered from now on; running jobs are asked to stop and given a moment."""
        self.closed = True
        cancel_all(timeout)


__all__ = ["JobRunner"]

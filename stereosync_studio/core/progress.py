"""Progress reporting and cancellation shared by every long job (CLI and GUI workers)."""

from __future__ import annotations

import threading
from typing import Callable

from .errors import Cancelled

ProgressFn = Callable[[float, str], None]


def null_progress(fraction: float, message: str = "") -> None:
    """A progress callback that ignores everything."""


class CancelToken:
    """Thread-safe cancel flag; jobs call `check()` between units of work."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def check(self) -> None:
        if self._event.is_set():
            raise Cancelled()


def sub_progress(progress: ProgressFn, start: float, stop: float) -> ProgressFn:
    """Map a child job's 0..1 progress into [start, stop] of the parent's."""

    def inner(fraction: float, message: str = "") -> None:
        progress(start + (stop - start) * min(max(fraction, 0.0), 1.0), message)

    return inner

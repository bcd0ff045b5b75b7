"""Errors the user sees: each names the file and the problem in one line."""

from __future__ import annotations

from pathlib import Path


class StereoSyncError(Exception):
    """Base class for errors shown to the user as one line."""


class InputError(StereoSyncError):
    """A file the user gave cannot be used; the message names the file and why."""

    def __init__(self, path: str | Path | None, problem: str):
        self.path = str(path) if path is not None else None
        self.problem = problem
        super().__init__(f"{self.path}: {problem}" if self.path else problem)


class Cancelled(StereoSyncError):
    """A long job was cancelled by the user (not an error in the usual sense)."""

    def __init__(self, message: str = "cancelled"):
        super().__init__(message)

"""Errors the user sees: each names the file and the problem in one line."""

from __future__ import annotations

import os
from pathlib import Path


class StereoSyncError(Exception):
    """Base class for errors shown to the user as one line."""


class InputError(StereoSyncError):
    """A file the user gave cannot be used; the message names the file and why."""

    def __init__(self, path: str | Path | None, problem: str):
        self.path = str(path) if path is not None else None
        self.problem = problem
        super().__init__(f"{self.path}: {problem}" if self.path else problem)


def check_readable(path: str | Path, kind: str) -> Path:
    """`path` as a Path when it is a non-empty file this process can read, else the
    InputError that says which of those it is not (`kind`: "video file", "audio file")."""
    p = Path(path)
    if not p.exists():
        raise InputError(p, "file not found")
    if p.is_dir():
        raise InputError(p, f"is a folder, not {'an' if kind[0] in 'aeiou' else 'a'} {kind}")
    if p.stat().st_size == 0:
        raise InputError(p, "file is empty")
    if not os.access(p, os.R_OK):
        raise InputError(p, "permission denied")
    return p


class Cancelled(StereoSyncError):
    """A long job was cancelled by the user (not an error in the usual sense)."""

    def __init__(self, message: str = "cancelled"):
        super().__init__(message)

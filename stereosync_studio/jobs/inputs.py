"""What every job takes from its caller: boxes typed on a command line, reference sounds,
output folders, and the defaults both faces share (the bundled footsteps)."""

from __future__ import annotations

import re
from pathlib import Path

from ..core.errors import InputError, StereoSyncError
from ..core.formats import AUDIO_EXTS, audio_files_in
from ..core.project import Project, Reference

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_REFERENCE = ROOT / "resources" / "samples" / "hard"  # the bundled footsteps: a source is never mute

__all__ = ["AUDIO_EXTS", "DEFAULT_REFERENCE", "check_clip", "default_reference", "default_project_path",
           "output_dir", "parse_box", "reference_files"]


def parse_box(text: str) -> tuple[list[float], int]:
    """Parse the CLI's `x0,y0,x1,y1@FRAME` (frame defaults to 0)."""
    m = re.fullmatch(r"\s*([-\d.]+),([-\d.]+),([-\d.]+),([-\d.]+)(?:@(\d+))?\s*", text)
    if not m:
        raise StereoSyncError(f"bad --box {text!r}: expected x0,y0,x1,y1@FRAME")
    box = [float(m.group(i)) for i in range(1, 5)]
    if box[2] <= box[0] or box[3] <= box[1]:
        raise StereoSyncError(f"bad --box {text!r}: x1 must exceed x0 and y1 exceed y0")
    return box, int(m.group(5) or 0)


def default_reference() -> Reference:
    """The reference a new source gets: the bundled hard-floor footsteps (empty when not shipped)."""
    return Reference(str(DEFAULT_REFERENCE) if DEFAULT_REFERENCE.is_dir() else "")


def reference_files(ref: Reference | str | Path) -> list[str]:
    """Audio files named by a reference: its chosen files, or every audio file in its folder."""
    if isinstance(ref, Reference):
        if ref.files:
            return list(ref.files)
        path = Path(ref.path) if ref.path else None
    else:
        path = Path(ref)
    if path is None:
        return []
    if path.is_dir():
        return audio_files_in(path)
    if not path.exists():
        raise InputError(path, "reference not found")
    return [str(path)]


def check_clip(project: Project) -> None:
    """The preview mp4 needs the clip: say so before any work if it was moved away."""
    if not Path(project.clip.path).is_file():
        raise InputError(project.clip.path, "clip not found (moved or deleted?): the preview mp4 needs it")


def output_dir(path: str | Path) -> Path:
    """Create the output folder (and its parents); InputError when that is impossible."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise InputError(path, "output folder is an existing file")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(path, f"cannot create the output folder ({exc.strerror or exc})") from exc
    return path


def default_project_path(outdir: str | Path, project: Project) -> Path:
    return Path(outdir) / f"{project.name}.stereosync.json"

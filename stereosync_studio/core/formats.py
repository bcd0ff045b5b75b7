"""The file kinds the tool reads, and listing them in a folder: one list for every layer.

A reference folder, a training folder and the Studio's open dialogs must agree on what counts
as audio or video, so the extensions and the folder listing live here once.
"""

from __future__ import annotations

from pathlib import Path

from .errors import InputError

AUDIO_EXTS: tuple[str, ...] = (".wav", ".wave", ".bwf", ".w64", ".flac", ".ogg", ".oga", ".opus", ".mp3",
                               ".aif", ".aiff", ".aifc", ".caf", ".m4a")
VIDEO_EXTS: tuple[str, ...] = (".mp4", ".mov", ".mkv", ".m4v", ".avi", ".webm", ".mxf")


def is_audio(path: str | Path) -> bool:
    return Path(path).suffix.lower() in AUDIO_EXTS


def is_video(path: str | Path) -> bool:
    return Path(path).suffix.lower() in VIDEO_EXTS


def files_in(folder: str | Path, exts: tuple[str, ...], what: str, recursive: bool = False) -> list[str]:
    """Sorted files of `folder` whose extension is in `exts` (hidden files skipped).

    Raises InputError naming the folder when it is missing, unreadable or holds none."""
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(folder, "folder not found")
    try:
        entries = folder.rglob("*") if recursive else folder.iterdir()
        found = sorted(str(p) for p in entries
                       if not p.name.startswith(".") and p.suffix.lower() in exts and p.is_file())
    except OSError as exc:
        raise InputError(folder, f"cannot list the folder ({exc.strerror or exc})") from exc
    if not found:
        raise InputError(folder, f"folder holds no {what} ({', '.join(e.lstrip('.') for e in exts[:8])}, ...)")
    return found


def audio_files_in(folder: str | Path, recursive: bool = False) -> list[str]:
    """The audio files of a folder, sorted (InputError when there are none)."""
    return files_in(folder, AUDIO_EXTS, "audio files", recursive)


def video_files_in(folder: str | Path, recursive: bool = False) -> list[str]:
    """The video clips of a folder, sorted (InputError when there are none)."""
    return files_in(folder, VIDEO_EXTS, "video clips", recursive)


def dialog_filter(exts: tuple[str, ...]) -> str:
    """`*.wav *.flac ...` for a file dialog."""
    return " ".join(f"*{e}" for e in exts)


__all__ = ["AUDIO_EXTS", "VIDEO_EXTS", "audio_files_in", "dialog_filter", "files_in", "is_audio", "is_video",
           "video_files_in"]

"""Projects are folders that travel: `<name>.stereosync.json` with its takes in `<name>_takes/`.

Takes rendered before the first save live in a scratch folder; saving moves them next to the
project (paths in the file are relative), so copying the folder copies the work. Save As copies
the takes of the project it came from, which keeps them.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from ..core.errors import InputError
from ..core.progress import ProgressFn, null_progress
from ..core.project import PROJECT_SUFFIX, Project

__all__ = ["can_write_in", "gather_takes", "save_project", "takes_folder"]


def takes_folder(project_path: str | Path) -> Path:
    """`<dir>/<name>_takes` for the project file `<dir>/<name>.stereosync.json`."""
    p = Path(project_path)
    stem = p.name[: -len(PROJECT_SUFFIX)] if p.name.endswith(PROJECT_SUFFIX) else p.stem
    return p.resolve().parent / f"{stem}_takes"


def can_write_in(folder: str | Path) -> bool:
    """True when files can be created in `folder` (or, while it does not exist, in the nearest
    folder above it that does): a read-only project folder keeps its takes elsewhere."""
    p = Path(folder)
    while not p.exists():
        if p.parent == p:
            return False
        p = p.parent
    return p.is_dir() and os.access(p, os.W_OK | os.X_OK)


def _kept_where_it_is(take: Path) -> bool:
    """A take in another project's `<name>_takes/`, or in a folder that cannot change, is copied."""
    folder = take.parent
    owned = folder.name.endswith("_takes") and (folder.parent / (folder.name[:-6] + PROJECT_SUFFIX)).is_file()
    return owned or not os.access(folder, os.W_OK)


def _free_name(folder: Path, name: str) -> Path:
    target = folder / name
    k = 2
    while target.exists():
        target = folder / f"{Path(name).stem}-{k}{Path(name).suffix}"
        k += 1
    return target


def gather_takes(project: Project, project_path: str | Path, progress: ProgressFn = null_progress) -> int:
    """Move every take file (and its preview mp4) that is not yet in the project's takes folder
    into it (copy it when it belongs to another project, e.g. on Save As, or sits in a read-only
    folder); returns how many moved. Missing take files are left as they are (shown missing)."""
    folder = takes_folder(project_path)
    todo = [t for s in project.sources for t in s.takes
            if Path(t.path).is_file() and Path(t.path).resolve().parent != folder]
    if not todo:
        return 0
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(folder, f"cannot create the takes folder ({exc.strerror or exc})") from exc
    for i, take in enumerate(todo):
        progress(i / len(todo), f"moving {Path(take.path).name}")
        src = Path(take.path)
        target = _free_name(folder, src.name)
        # another project's take (Save As) or one in a read-only folder: copied, so it stays there too
        carry = shutil.copy2 if _kept_where_it_is(src) else shutil.move
        try:
            carry(str(src), str(target))
            for suffix in (".mp4", ".reverb.wav"):  # its preview and its Space travel with it
                side = src.with_suffix(suffix)
                if side.is_file():
                    carry(str(side), str(target.with_suffix(suffix)))
        except OSError as exc:
            raise InputError(src, f"cannot move the take into {folder} ({exc.strerror or exc})") from exc
        take.path = str(target)
    progress(1.0, f"{len(todo)} take(s) moved into {folder.name}")
    return len(todo)


def save_project(project: Project, path: str | Path | None = None) -> Path:
    """Gather the takes next to the project file, then write it (atomically)."""
    target = Path(path or project.path or f"{project.name}{PROJECT_SUFFIX}")
    gather_takes(project, target)
    return project.save(target)

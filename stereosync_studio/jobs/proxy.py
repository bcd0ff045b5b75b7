"""Scrubbing proxies as a job: made in the background on first open, cached beside the project.

Why a job: the Studio starts `make_proxy` in a worker when a clip opens, keeps showing the
original meanwhile, and attaches the proxy (`ScrubReader.attach_proxy`) when it is ready.
The proxy lives in `<project folder>/<project name>_cache/` (else in the user cache), named
after the clip's path, size and modification time, so an edited clip gets a new one. A proxy
made while the project was unsaved (in the user cache) is still found once it is saved.
Clips no bigger than the proxy itself (`needs_proxy`) seek fast enough and get none.
"""

from __future__ import annotations

from pathlib import Path

from ..core.model_paths import cache_root
from ..core.progress import CancelToken, ProgressFn, null_progress

__all__ = ["make_proxy", "needs_proxy", "open_scrub_reader", "proxy_for", "proxy_path"]


def needs_proxy(width: int, height: int) -> bool:
    """True when a clip of `width` x `height` is bigger than its proxy would be (portrait too)."""
    from ..media.proxy import PROXY_HEIGHT

    return min(int(width), int(height)) > PROXY_HEIGHT


def proxy_path(clip_path: str | Path, project_path: str | Path | None = None) -> Path:
    """Where the proxy of `clip_path` is (or will be) kept."""
    from ..media.proxy import proxy_name

    if project_path is not None:
        p = Path(project_path)
        folder = p.parent / f"{p.stem.split('.')[0]}_cache"
    else:
        folder = cache_root() / "proxies"
    return folder / proxy_name(clip_path)


def proxy_for(clip_path: str | Path, project_path: str | Path | None = None) -> Path | None:
    """The ready proxy of the clip, or None (not made yet, stale or damaged): beside the project,
    else in the user cache (made before the project was saved, or where the folder was read-only)."""
    from ..media.proxy import proxy_matches

    places = [proxy_path(clip_path, project_path)] + ([proxy_path(clip_path, None)] if project_path else [])
    return next((p for p in places if proxy_matches(clip_path, p)), None)


def make_proxy(clip_path: str | Path, project_path: str | Path | None = None,
               progress: ProgressFn = null_progress, cancel: CancelToken | None = None) -> Path:
    """Make the clip's scrubbing proxy unless a good one exists; returns its path.

    Falls back to the user cache when the project folder is not writable."""
    from ..media import proxy as mproxy

    ready = proxy_for(clip_path, project_path)
    if ready is not None:
        progress(1.0, "proxy ready")
        return ready
    target = proxy_path(clip_path, project_path)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        return mproxy.make_proxy(clip_path, target, progress=progress, cancel=cancel)
    except PermissionError:
        target = proxy_path(clip_path, None)
        target.parent.mkdir(parents=True, exist_ok=True)
        return mproxy.make_proxy(clip_path, target, progress=progress, cancel=cancel)


def open_scrub_reader(clip_path: str | Path, project_path: str | Path | None = None):
    """A `media.proxy.ScrubReader` on the clip, with its proxy attached when one is ready."""
    from ..media.proxy import ScrubReader

    return ScrubReader(clip_path, proxy_for(clip_path, project_path))

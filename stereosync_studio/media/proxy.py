"""Scrubbing proxies: a small, short-GOP copy of a clip, and a reader that picks the right source.

Why: a camera file seeks slowly (a 1080p H.264 clip with a 1-2 s GOP decodes up to 60 frames
to show one), so scrubbing stutters. The proxy is the same clip at `PROXY_HEIGHT` px with a
keyframe every `PROXY_GOP` frames and no B-frames: any frame is at most a few small decodes
away. It keeps the original's timestamps and frame count, so frame i of the proxy is frame i
of the clip (variable frame rate included), and it is written upright (rotation applied).
`ScrubReader` shows proxy frames while the Studio scrubs or plays and the original when
paused; with no proxy (not made yet, or stale) it falls back to the original.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from ..core.progress import CancelToken, ProgressFn, null_progress
from .video import VideoReader, probe
from .video_writer import write_video

__all__ = ["PROXY_GOP", "PROXY_HEIGHT", "ScrubReader", "make_proxy", "proxy_name", "proxy_matches"]

log = logging.getLogger(__name__)

PROXY_HEIGHT = 540
PROXY_GOP = 6


def proxy_name(clip: str | Path) -> str:
    """`<stem>.<key>.proxy.mp4`, the key changing whenever the clip file changes."""
    p = Path(clip).resolve()
    st = p.stat()
    key = hashlib.sha1(f"{p}|{st.st_size}|{st.st_mtime_ns}|{PROXY_HEIGHT}|{PROXY_GOP}".encode()).hexdigest()[:10]
    return f"{p.stem}.{key}.proxy.mp4"


def make_proxy(clip: str | Path, out: str | Path, height: int = PROXY_HEIGHT, gop: int = PROXY_GOP,
               progress: ProgressFn = null_progress, cancel: CancelToken | None = None) -> Path:
    """Encode the proxy of `clip` to `out` (atomically), streaming: memory stays flat."""
    with VideoReader(clip, cache_size=0, raw_budget_bytes=0) as r:
        info = r.info
        scale = min(1.0, height / max(info.height, 1))
        n = info.n_frames
        times = np.asarray(r.times, float)

        def frames() -> Iterator[np.ndarray]:
            for i, _t, rgb in r.iter_frames(0, None, scale):
                if cancel is not None and i % 16 == 0:
                    cancel.check()
                if i % 25 == 0:
                    progress(i / max(n, 1), f"proxy frame {i}/{n}")
                yield rgb

        write_video(out, frames(), info.fps, crf=26, gop=gop, preset="ultrafast",
                    pts_seconds=times if info.variable_frame_rate else None, bframes=0)
    progress(1.0, "proxy ready")
    return Path(out)


def proxy_matches(clip: str | Path, proxy: str | Path) -> bool:
    """True when `proxy` exists and has the clip's frames (same count, same duration)."""
    p = Path(proxy)
    if not p.is_file() or p.stat().st_size == 0:
        return False
    try:
        a, b = probe(clip), probe(p)
    except Exception:  # a half-written or damaged proxy is no proxy
        return False
    return a.n_frames == b.n_frames and abs(a.duration - b.duration) < 1.5 / max(a.fps, 1.0)


class ScrubReader:
    """Frames for the Studio's picture: the proxy while scrubbing or playing, the original paused.

    `frame_at(i, scrubbing=True)` returns the proxy's (smaller) picture when a proxy is attached,
    else the original's; `frame_at(i)` always the original. `attach_proxy` can be called later,
    when the background job has finished making it.
    """

    def __init__(self, clip: str | Path, proxy: str | Path | None = None, cache_size: int = 16):
        self.original = VideoReader(clip, cache_size=cache_size)
        self.info = self.original.info
        self.proxy: VideoReader | None = None
        if proxy is not None:
            self.attach_proxy(proxy)

    def attach_proxy(self, proxy: str | Path) -> bool:
        """Use `proxy` from now on if it matches the clip; returns whether it was attached."""
        if not proxy_matches(self.original.path, proxy):
            log.info("proxy %s does not match %s: scrubbing the original", proxy, self.original.path.name)
            return False
        old, self.proxy = self.proxy, VideoReader(proxy, cache_size=32)
        if old is not None:
            old.close()
        return True

    @property
    def has_proxy(self) -> bool:
        return self.proxy is not None

    def frame_at(self, index: int, scrubbing: bool = False) -> np.ndarray:
        if scrubbing and self.proxy is not None:
            return self.proxy.frame_at(index)
        return self.original.frame_at(index)

    def index_at_time(self, seconds: float) -> int:
        return self.original.index_at_time(seconds)

    def close(self) -> None:
        self.original.close()
        if self.proxy is not None:
            self.proxy.close()

    def __enter__(self) -> "ScrubReader":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

"""Frames for the picture, decoded off the GUI thread: the newest request only, proxy or original.

Why a thread of its own: decoding a 1080p frame can take tens of milliseconds, and scrubbing
asks for dozens a second. The fetcher owns the reader (`media.proxy.ScrubReader`), keeps only
the most recent request, and answers with `frameDecoded(index, picture, from_proxy)`: the
clip's proxy frame when the request says the playhead is moving and a proxy is attached, else
the original's (scaled down to `max_width` for the screen).
"""

from __future__ import annotations

import logging
import threading

from PySide6.QtCore import QObject, Signal

log = logging.getLogger(__name__)


class FrameFetcher(QObject):
    """Decode the most recently requested frame in a background thread; emit it when ready."""

    frameReady = Signal(int, object)
    frameDecoded = Signal(int, object, bool)  # index, picture, whether it came from the proxy
    failed = Signal(str)

    def __init__(self, max_width: int = 1280, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.max_width = max_width
        self._cond = threading.Condition()
        self._want: int | None = None
        self._scrub = False
        self._proxy: tuple[str, str] | None = None  # (clip, proxy) to attach
        self._path: str | None = None
        self._reader = None
        self._stop = False
        self._thread = threading.Thread(target=self._loop, name="frame-fetcher", daemon=True)
        self._thread.start()

    def open(self, path: str | None) -> None:
        with self._cond:
            self._path = path
            self._want = None
            self._proxy = None
            self._cond.notify()

    def request(self, index: int, scrubbing: bool = False) -> None:
        """Decode frame `index` next (from the proxy when `scrubbing` and one is attached)."""
        with self._cond:
            self._want = int(index)
            self._scrub = bool(scrubbing)
            self._cond.notify()

    def attach_proxy(self, clip: str, proxy: str) -> None:
        """Use `proxy` for clip `clip`'s scrubbing frames (ignored if another clip is open by then)."""
        with self._cond:
            self._proxy = (str(clip), str(proxy))
            self._cond.notify()

    def close(self) -> None:
        with self._cond:
            self._stop = True
            self._cond.notify()
        self._thread.join(2.0)

    def _loop(self) -> None:
        opened: str | None = None
        while True:
            with self._cond:
                while not self._stop and self._want is None and self._path == opened and self._proxy is None:
                    self._cond.wait()
                if self._stop:
                    break
                path, want, scrub, proxy = self._path, self._want, self._scrub, self._proxy
                self._want, self._proxy = None, None
            try:
                if path != opened:
                    self._close_reader()
                    opened = path
                    if path:
                        from ..media.proxy import ScrubReader

                        self._reader = ScrubReader(path, cache_size=24)
                if proxy is not None and self._reader is not None and proxy[0] == path:
                    self._reader.attach_proxy(proxy[1])
                if want is None or self._reader is None:
                    continue
                want = min(max(want, 0), self._reader.info.n_frames - 1)
                from_proxy = scrub and self._reader.has_proxy
                rgb = self._reader.frame_at(want, scrubbing=from_proxy)
                if rgb.shape[1] > self.max_width:
                    import cv2

                    h = int(round(rgb.shape[0] * self.max_width / rgb.shape[1]))
                    rgb = cv2.resize(rgb, (self.max_width, h), interpolation=cv2.INTER_AREA)
                self.frameDecoded.emit(want, rgb, from_proxy)
                self.frameReady.emit(want, rgb)
            except Exception as exc:  # a broken file must not kill the thread
                log.warning("frame %s: %s", want, exc)
                self.failed.emit(str(exc))
        self._close_reader()

    def _close_reader(self) -> None:
        if self._reader is not None:
            try:
                self._reader.close()
            except Exception:
                pass
            self._reader = None


__all__ = ["FrameFetcher"]

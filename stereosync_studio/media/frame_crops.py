"""The subject's part of every frame tracking decodes, kept at full size for the motion pass.

Why: opening a clip tracks the subject on a small copy of each frame, then measures its
motion (optical flow and pose on crops of the box at full size). Both need every frame, so
the clip used to be decoded twice. `FrameCrops.keeping(reader)` wraps the tracker's reader:
it decodes each frame once, hands the tracker its small copy and, once the tracker has
written that frame's box, keeps a crop around the box (a margin on each side) at full size.
The motion pass then reads the store like a reader; each frame it yields is a stand-in
(`CropFrame`) that answers slices inside its crop from memory and anything else from the
clip itself (a box that moved since: a keyframe, a filled gap), so the pixels, and every
result computed from them, are exactly those of a second decode. Memory is bounded
(`budget_bytes`, one buffer the crops are laid in one after another: thousands of separate
crop arrays fragmented the heap to 2.5x the budget on a 10-minute clip); frames past the
budget are decoded again when asked for. `tap` hands each frame, full size, with its box to
whoever wants it the moment the tracker lets go of it (the motion pass, measuring meanwhile).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor, wait
from pathlib import Path

import numpy as np

from .video import VideoReader, scaled_size

__all__ = ["CropFrame", "FrameCrops", "KeepingReader", "budget_for"]

DEFAULT_BUDGET = 256 * 1024 * 1024  # bytes of crops: a 1080p walker at 370 px is ~0.6 MB a frame


class CropFrame:
    """One frame of the clip as the motion pass sees it: `shape` of the full frame, and
    `frame[y0:y1, x0:x1]` from the kept crop when it lies inside, else from the decoded frame."""

    ndim = 3
    dtype = np.dtype(np.uint8)

    def __init__(self, store: "FrameCrops", index: int):
        self._store, self.index = store, index
        self.shape = (store.info.height, store.info.width, 3)

    def __getitem__(self, key):
        kept = self._store._crops.get(self.index)
        if kept is not None and isinstance(key, tuple) and len(key) >= 2 and all(
                isinstance(k, slice) and k.step in (None, 1) for k in key[:2]):
            (cx0, cy0, cx1, cy1), crop = kept
            y0, y1, _ = key[0].indices(self.shape[0])
            x0, x1, _ = key[1].indices(self.shape[1])
            if cy0 <= y0 < y1 <= cy1 and cx0 <= x0 < x1 <= cx1:
                self._store.hits += 1
                return crop[(slice(y0 - cy0, y1 - cy0), slice(x0 - cx0, x1 - cx0)) + key[2:]]
        return self._store._full(self.index)[key]

    def __array__(self, dtype=None, copy=None) -> np.ndarray:
        full = self._store._full(self.index)
        return full if dtype is None else full.astype(dtype)


CROP_FRACTION = 0.1  # of a frame's bytes: a walker's crop with its margins, about


def budget_for(width: int, height: int, n_frames: int, limit: int = DEFAULT_BUDGET) -> int:
    """The crop budget for a clip: `limit` when its crops (about CROP_FRACTION of each frame)
    would cover at least half of it, else 0. Crops spare a second decode only where they are
    kept; on a long clip a budget covers a small part (256 MB: 16 s of 1080p at 25 fps) and
    only adds to the peak memory while the motion pass and the guide track are held."""
    need = float(width) * float(height) * 3.0 * CROP_FRACTION * max(int(n_frames), 0)
    return int(limit) if need <= 2.0 * limit else 0


class FrameCrops:
    """Crops of the subject's box, frame by frame, at the clip's full size (see the module doc)."""

    def __init__(self, budget_bytes: int = DEFAULT_BUDGET, margin: tuple[float, float] = (0.4, 0.15)):
        self.budget_bytes = int(budget_bytes)
        self.margin = margin  # of the boxes' width / height on each side (flow and pose use less)
        self._crops: dict[int, tuple[tuple[int, int, int, int], np.ndarray]] = {}
        self.bytes = 0
        self._pool: np.ndarray | None = None  # one buffer the crops are laid in, one after another
        self.hits = self.misses = 0  # slices served from memory / frames decoded again
        self.path: Path | None = None
        self.info = None
        self.times: np.ndarray | None = None
        self._fallback: VideoReader | None = None
        self._lock = threading.Lock()
        # called as tap(index, full-size rgb, box) for each frame the tracker has placed a box
        # on, in the order it lets go of them, within the budget or past it (see KeepingReader)
        self.tap: Callable[[int, np.ndarray, np.ndarray], None] | None = None

    def keeping(self, reader) -> "KeepingReader":
        """`reader` (a VideoReader) wrapped so that the frames it decodes fill this store."""
        self.path, self.info = Path(reader.path), reader.info
        self.times = np.asarray(reader.times)
        return KeepingReader(reader, self)

    def keep(self, index: int, rgb: np.ndarray, boxes) -> None:
        """Keep the part of full-size frame `index` around the union of `boxes` (clip pixels:
        its own and its neighbours', as flow compares the union of two frames' boxes)."""
        b = np.asarray(boxes, np.float64).reshape(-1, 4)
        b = b[np.isfinite(b).all(axis=1)]
        if not len(b):
            return
        b = np.r_[b[:, :2].min(axis=0), b[:, 2:].max(axis=0)]
        h, w = rgb.shape[:2]
        mx, my = self.margin[0] * max(b[2] - b[0], 2.0), self.margin[1] * max(b[3] - b[1], 2.0)
        x0, y0 = max(0, int(np.floor(b[0] - mx))), max(0, int(np.floor(b[1] - my)))
        x1, y1 = min(w, int(np.ceil(b[2] + mx))), min(h, int(np.ceil(b[3] + my)))
        if x1 <= x0 or y1 <= y0:
            return
        self._crops.pop(index, None)  # its old bytes stay used: a frame is cropped again only rarely
        size = (y1 - y0) * (x1 - x0) * rgb.shape[2]
        if self.bytes + size > self.budget_bytes:
            return
        if self._pool is None:  # pages are committed as crops fill them: a short clip uses little
            self._pool = np.empty(self.budget_bytes, np.uint8)
        crop = self._pool[self.bytes:self.bytes + size].reshape(y1 - y0, x1 - x0, rgb.shape[2])
        crop[...] = rgb[y0:y1, x0:x1]
        self._crops[index] = ((x0, y0, x1, y1), crop)
        self.bytes += size

    def __len__(self) -> int:
        return len(self._crops)

    def iter_frames(self, start: int = 0, stop: int | None = None,
                    scale: float = 1.0) -> Iterator[tuple[int, float, CropFrame]]:
        """`(index, t_seconds, frame)` like `VideoReader.iter_frames` at full size (scale 1 only)."""
        if self.info is None:
            raise RuntimeError("FrameCrops: no clip yet (track through `keeping(reader)` first)")
        if scale != 1.0:
            raise ValueError("FrameCrops serves full-size frames only")
        n = self.info.n_frames
        start = min(max(int(start), 0), n)
        stop = n if stop is None else min(max(int(stop), start), n)
        for i in range(start, stop):
            yield i, float(self.times[i]), CropFrame(self, i)

    def _full(self, index: int) -> np.ndarray:
        """Frame `index` decoded again (in order this decodes forward, without seeking). Pose
        and flow may ask from two threads: one decoder, behind a lock."""
        with self._lock:
            if self._fallback is None:
                self._fallback = VideoReader(self.path, cache_size=2, raw_budget_bytes=0)
            self.misses += 1
            return self._fallback.frame_at(index)

    def close(self) -> None:
        """Drop the crops and the fallback decoder."""
        self._crops.clear()
        self._pool = None
        self.bytes = 0
        if self._fallback is not None:
            self._fallback.close()
            self._fallback = None


class KeepingReader:
    """A VideoReader for the tracker that fills a FrameCrops as it decodes (see the module doc).

    `watch(boxes)` names the array the tracker writes its boxes (clip pixels) into; a frame
    is cropped once the tracker has asked for the one after the next (by then the boxes of the
    frame and both its neighbours are known), around the union of those boxes."""

    def __init__(self, reader, crops: FrameCrops):
        self._reader, self._crops = reader, crops
        self._boxes: np.ndarray | None = None
        self.path, self.info = reader.path, reader.info

    def watch(self, boxes: np.ndarray | None) -> None:
        self._boxes = boxes

    @property
    def times(self) -> np.ndarray:
        return self._reader.times

    def __len__(self) -> int:
        return len(self._reader)

    def frame_at(self, index: int) -> np.ndarray:
        return self._reader.frame_at(index)

    def index_at_time(self, seconds: float) -> int:
        return self._reader.index_at_time(seconds)

    def iter_frames(self, start: int = 0, stop: int | None = None,
                    scale: float = 1.0) -> Iterator[tuple[int, float, np.ndarray]]:
        """What `VideoReader.iter_frames` gives (same pixels), each frame decoded once at full size.

        The next frame is decoded, converted and shrunk on a worker thread while the tracker
        works on this one (PyAV and OpenCV release the GIL): the same frames, sooner."""
        frames = self._prepared(start, stop, scale)
        pending = None
        with ThreadPoolExecutor(1, thread_name_prefix="decode") as pool:
            ahead = pool.submit(next, frames, None)
            try:
                while (item := ahead.result()) is not None:
                    ahead = pool.submit(next, frames, None)
                    i, t, rgb, small = item
                    yield i, t, small
                    self._keep(pending)  # the box of frame i is known now: its predecessor can be cropped
                    pending = (i, rgb)
                self._keep(pending)
            finally:
                ahead.cancel()
                wait([ahead])
                frames.close()

    def _prepared(self, start: int, stop: int | None, scale: float) -> Iterator[tuple]:
        """(index, t, full-size rgb, the tracker's copy at `scale`) of frames start..stop-1."""
        import cv2

        size = scaled_size(self.info.width, self.info.height, scale)
        last_full, small = None, None
        for i, t, rgb in self._reader.iter_frames(start, stop):
            if rgb is not last_full:  # a frame the decoder skipped repeats its neighbour
                last_full = rgb
                small = rgb if size is None or (rgb.shape[1], rgb.shape[0]) == size else \
                    np.ascontiguousarray(cv2.resize(rgb, size, interpolation=cv2.INTER_AREA))
            yield i, t, rgb, small

    def _keep(self, pending: tuple[int, np.ndarray] | None) -> None:
        if pending is None or self._boxes is None:
            return
        i, rgb = pending
        if 0 <= i < len(self._boxes) and np.isfinite(self._boxes[i]).all():
            self._crops.keep(i, rgb, self._boxes[max(i - 1, 0):i + 2])
            if self._crops.tap is not None:  # e.g. the motion pass, measuring while tracking goes on
                self._crops.tap(i, rgb, self._boxes[i])

    def close(self) -> None:
        self._reader.close()

"""Waveforms at any zoom in bounded memory: min/max per pixel column, detail read on zoom.

Why: a lane drawing a 10-minute take from its samples needs the samples (230 MB) and
draws millions of points. Here an audio source (an array or a `media.audio.AudioFileView`
that reads the file on demand) is summarised once, a block at a time, into min/max per
BASE samples and coarser levels of it (4x each: about 1 MB for 10 minutes of stereo). A
view of the whole take reads a level; a view zoomed in closer than BASE samples per
column reads just those samples from the source, through a cache with a byte budget.
Qt-free (core-level numpy): the lanes ask for `columns(t0, t1, width_px)` and draw them.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

import numpy as np

__all__ = ["WaveformView"]

BASE = 256  # samples per column of the finest stored level
FACTOR = 4  # each coarser level: this many columns of the one below
READ_BLOCK = 1 << 18  # samples read from the source at a time while summarising
CACHE_BYTES = 16 << 20  # detail samples kept for zooming back and forth
DETAIL_CHUNK = 1 << 16  # detail is read and cached in chunks of this many samples


class WaveformView:
    """Min/max (over channels) per column of `source` ((C, N) array or view) at `sample_rate`."""

    def __init__(self, source: Any, sample_rate: int, cache_bytes: int = CACHE_BYTES) -> None:
        self.source = source
        self.sample_rate = int(sample_rate)
        self.n = int(source.shape[-1])
        self.cache_bytes = int(cache_bytes)
        self._cache: "OrderedDict[int, np.ndarray]" = OrderedDict()
        self._cached = 0
        lo, hi = self._summarise()
        self.levels: list[tuple[int, np.ndarray, np.ndarray]] = [(BASE, lo, hi)]  # (samples per column, min, max)
        while len(self.levels[-1][1]) > FACTOR:
            size, lo, hi = self.levels[-1]
            pad = -len(lo) % FACTOR  # a partial last column: its own values repeated
            lo, hi = np.pad(lo, (0, pad), mode="edge"), np.pad(hi, (0, pad), mode="edge")
            self.levels.append((size * FACTOR, lo.reshape(-1, FACTOR).min(axis=1), hi.reshape(-1, FACTOR).max(axis=1)))

    def _rows(self, a: int, b: int) -> np.ndarray:
        """Samples [a, b) of the source as float32 (C, m)."""
        x = self.source[:, a:b] if np.ndim(self.source) != 1 else np.asarray(self.source)[None, a:b]
        return np.asarray(x, np.float32)

    def _summarise(self) -> tuple[np.ndarray, np.ndarray]:
        cols = -(-self.n // BASE)
        lo, hi = np.zeros(cols, np.float32), np.zeros(cols, np.float32)
        for a in range(0, self.n, READ_BLOCK):  # READ_BLOCK is a multiple of BASE
            x = self._rows(a, min(self.n, a + READ_BLOCK))
            lo_b, hi_b = _min_max(x, BASE)
            c = a // BASE
            lo[c:c + len(lo_b)], hi[c:c + len(hi_b)] = lo_b, hi_b
        return lo, hi

    def columns(self, t0: float, t1: float, width_px: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(column start times (s), min, max) covering [t0, t1) in about `width_px` columns: from
        the coarsest stored level fine enough, or from the samples themselves when zoomed in
        closer than BASE samples per column (one column per sample at most)."""
        sr = self.sample_rate
        a = int(np.clip(np.floor(t0 * sr), 0, self.n))
        b = int(np.clip(np.ceil(t1 * sr), a, self.n))
        per = max(1.0, (b - a) / max(1, int(width_px)))
        if b <= a:
            z = np.zeros(0, np.float32)
            return z.astype(np.float64), z, z
        if per < BASE:
            size = max(1, int(per))
            lo, hi = _min_max(self._detail(a, b), size)
            return (a + np.arange(len(lo)) * size) / sr, lo, hi
        size, lo, hi = next(((s, lo, hi) for s, lo, hi in reversed(self.levels) if s <= per), self.levels[0])
        c0, c1 = a // size, min(-(-b // size), len(lo))
        return np.arange(c0, c1) * size / sr, lo[c0:c1], hi[c0:c1]

    def overview(self, bins: int = 1600) -> tuple[np.ndarray, np.ndarray]:
        """(column centre times (s), rectified peaks normalised to 1) of the whole source in
        `bins` to 4 * `bins` columns: the overview the lanes draw (as `dsp.peaks.waveform_peaks`
        draws an array), read from the stored levels."""
        t, lo, hi = self.columns(0.0, self.n / self.sample_rate, bins)
        peak = np.maximum(np.abs(lo), np.abs(hi))
        top = float(peak.max()) if len(peak) else 0.0
        half = (t[1] - t[0]) / 2 if len(t) > 1 else 0.5 / self.sample_rate
        return t + half, (peak / top if top > 0 else peak)

    def _detail(self, a: int, b: int) -> np.ndarray:
        """Samples [a, b) mixed to min/max-able rows, through the byte-budgeted chunk cache."""
        parts = []
        for k in range(a // DETAIL_CHUNK, -(-b // DETAIL_CHUNK)):
            chunk = self._cache.get(k)
            if chunk is None:
                chunk = self._rows(k * DETAIL_CHUNK, min(self.n, (k + 1) * DETAIL_CHUNK))
                self._cache[k] = chunk
                self._cached += chunk.nbytes
                while self._cached > self.cache_bytes and len(self._cache) > 1:
                    self._cached -= self._cache.popitem(last=False)[1].nbytes
            else:
                self._cache.move_to_end(k)
            s = k * DETAIL_CHUNK
            parts.append(chunk[:, max(a, s) - s:min(b, s + chunk.shape[1]) - s])
        return np.concatenate(parts, axis=1)

    @property
    def nbytes(self) -> int:
        """What the view holds: its levels and the detail cache."""
        return sum(lo.nbytes + hi.nbytes for _, lo, hi in self.levels) + self._cached


def _min_max(x: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Min and max over channels and `size`-sample columns of (C, m) (last column partial)."""
    m = x.shape[1]
    full = m // size * size
    lo = x[:, :full].reshape(x.shape[0], -1, size).min(axis=(0, 2)) if full else np.zeros(0, np.float32)
    hi = x[:, :full].reshape(x.shape[0], -1, size).max(axis=(0, 2)) if full else np.zeros(0, np.float32)
    if full < m:
        lo = np.append(lo, x[:, full:].min())
        hi = np.append(hi, x[:, full:].max())
    return lo.astype(np.float32, copy=False), hi.astype(np.float32, copy=False)

"""Rectified waveform peaks for drawing a sound behind its envelope or in a file preview.

Why here: the take lanes and the reference preview both draw a waveform overview; one
definition keeps them alike and keeps the arithmetic out of the GUI.
"""

from __future__ import annotations

import numpy as np

__all__ = ["waveform_peaks"]


def waveform_peaks(audio: np.ndarray, sr: int, bins: int = 1600) -> tuple[np.ndarray, np.ndarray]:
    """(column centre times (s), peaks normalised to a maximum of 1) of (C, N) or (N,) audio.

    Each column is the largest |sample| over all channels in len // bins samples (at least
    one), so there are between `bins` and 2 * bins - 1 columns for audio of at least `bins`
    samples (the tail shorter than a column is dropped), one per sample for shorter audio.
    Silent audio gives zeros; empty audio gives two empty arrays.
    """
    a = np.asarray(audio)
    mono = np.abs(a) if a.ndim == 1 else np.abs(a).max(axis=0)
    size = max(1, len(mono) // max(1, int(bins)))
    cols = len(mono) // size
    m = mono[: cols * size].reshape(cols, size).max(axis=1) if cols else np.zeros(0, mono.dtype)
    top = float(m.max()) if len(m) else 0.0
    t = (np.arange(len(m)) + 0.5) * size / float(sr)
    return t, (m / top if top > 0 else m)

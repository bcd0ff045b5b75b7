"""Reference sounds for listening: the audio of one sound, ready to play, and its waveform overview.

Why a job: the Studio's reference panel draws a sound's waveform and plays it on headphones;
reading, resampling and reducing it to peaks is signal work that belongs below the faces
(`media` reads and summarises), and runs in a worker so a long file never stalls the picture.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["PREVIEW_BINS", "load_reference_preview"]

PREVIEW_BINS = 300


def load_reference_preview(path: str | Path, sr: int = 48000,
                           bins: int = PREVIEW_BINS) -> tuple[Any, np.ndarray]:
    """(audio (C, N) at `sr`, waveform peaks normalised to 1) of a reference sound.

    The audio is read on demand from the file when it is at `sr` already (a long recording
    costs no memory; `media.audio.open_audio_view`), else resampled in memory; the peaks come
    from a block-wise min/max summary (`media.waveform_view`), `bins` to 4 * `bins` of them.
    Raises InputError naming the file when it cannot be read or holds NaN/inf samples."""
    from ..core.errors import InputError
    from ..media.audio import open_audio_view
    from ..media.waveform_view import WaveformView

    audio = open_audio_view(path, sr)
    wave = WaveformView(audio, sr)
    _, lo, hi = wave.levels[-1]  # NaN/inf reach every level's min or max
    if not (np.isfinite(lo).all() and np.isfinite(hi).all()):
        raise InputError(path, "contains NaN/inf samples")
    return audio, wave.overview(bins)[1]

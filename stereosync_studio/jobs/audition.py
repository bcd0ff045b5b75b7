"""Reference sounds for listening: the audio of one sound, ready to play, and its waveform overview.

Why a job: the Studio's reference panel draws a sound's waveform and plays it on headphones;
reading, resampling and reducing it to peaks is signal work that belongs below the faces
(`media` reads, `dsp.peaks` reduces), and runs in a worker so a long file never stalls the picture.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

__all__ = ["PREVIEW_BINS", "load_reference_preview"]

PREVIEW_BINS = 300


def load_reference_preview(path: str | Path, sr: int = 48000,
                           bins: int = PREVIEW_BINS) -> tuple[np.ndarray, np.ndarray]:
    """(audio (C, N) float32 at `sr`, waveform peaks normalised to 1) of a reference sound.

    Raises InputError naming the file when it cannot be read."""
    from ..dsp.peaks import waveform_peaks
    from ..media.audio import read_audio

    audio, sr = read_audio(path, sr)
    return audio, waveform_peaks(audio, sr, bins)[1]

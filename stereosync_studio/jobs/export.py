"""Export takes as delivery stems: `<clip>_<source>_takeNN.wav`, BWF, atomic, exact length."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..core.progress import CancelToken, ProgressFn, null_progress
from ..core.project import Project, TakeInfo
from .inputs import check_clip, output_dir
from .render import safe_name, take_number

__all__ = ["export_stems"]


def export_stems(project: Project, takes: list[tuple[str, TakeInfo]], outdir: str | Path,
                 sample_rate: int = 48000, bits: int = 24, preview: bool = False,
                 time_reference: int = 0, progress: ProgressFn = null_progress,
                 cancel: CancelToken | None = None) -> list[Path]:
    """Write chosen takes as delivery stems `<clip>_<source>_takeNN.wav` (atomic, BWF)."""
    from ..media.audio import read_audio, write_wav

    cancel = cancel or CancelToken()
    outdir = output_dir(outdir)
    if preview:
        check_clip(project)
    written: list[Path] = []
    for i, (source_name, take) in enumerate(takes):
        cancel.check()
        progress(i / max(len(takes), 1), f"exporting {take.name}")
        audio, sr = read_audio(take.path, sample_rate)
        n = int(round(project.clip.duration * sample_rate))
        audio = _fit_length(audio, n)
        number = take_number(take, i + 1)
        path = outdir / f"{project.name}_{safe_name(source_name)}_take{number:02d}.wav"
        write_wav(path, audio, sample_rate, bits=bits, time_reference=time_reference,
                  description=f"StereoSync take {take.name} ({take.engine}, seed {take.seed})")
        written.append(path)
        if preview:
            from ..media.mux import mux_preview

            mux_preview(project.clip.path, audio, sample_rate, path.with_suffix(".mp4"))
    progress(1.0, f"exported {len(written)} stem(s)")
    return written


def _fit_length(audio: np.ndarray, n: int) -> np.ndarray:
    if audio.shape[1] >= n:
        return audio[:, :n]
    return np.pad(audio, ((0, 0), (0, n - audio.shape[1])))



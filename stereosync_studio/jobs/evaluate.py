"""Evaluate takes: the papers' measures of a take against its source's lanes, and what the
Studio draws for a take (waveform, its own RMS envelope, heard position per 100 ms).

`rescore_take` scores a take file against its source's lanes as they are *now*: the Studio
runs it in the background after an edit, so E-L1 and Align are always against the current
target (the values a take had when it was rendered stay in `TakeInfo.metrics_at_render`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from ..core.errors import InputError
from ..core.project import Project, Source

__all__ = ["analyse_take", "evaluate_audio", "evaluate_file", "rescore_take"]


def evaluate_audio(audio: np.ndarray, sr: int, project: Project, source: Source,
                   reference_audio: np.ndarray | None = None, reference_sr: int | None = None,
                   step_times: list[float] | None = None, spatial_mode: str = "stereo") -> dict[str, float]:
    """All metrics of a take against its source's lanes (see metrics.evaluate_take).

    `spatial_mode` is how the take was rendered ("binaural" takes are localised by ITD)."""
    from ..metrics import evaluate_take

    ref = reference_audio
    if ref is not None and reference_sr is not None and reference_sr != sr:
        from ..media.audio import resample

        ref = resample(ref, reference_sr, sr)
    return evaluate_take(audio, sr, source.envelope.with_duration(project.clip.duration), source.trajectory,
                         source.track, project.clip.width, source.trajectory.hfov_deg,
                         reference_audio=ref, step_times=step_times, spatial_mode=spatial_mode)


def evaluate_file(take_path: str | Path, project: Project, source_name: str | None = None,
                  reference_audio: str | Path | None = None) -> dict[str, float]:
    """Metrics for a take file (the CLI's `eval`)."""
    from ..media.audio import read_audio

    audio, sr = read_audio(take_path)
    if audio.shape[0] != 2:
        raise InputError(take_path, f"take must be stereo, it has {audio.shape[0]} channel(s)")
    ref = ref_sr = None
    if reference_audio is not None:
        ref, ref_sr = read_audio(reference_audio)
    source = project.source(source_name)
    mode = "stereo"
    for t in source.takes:  # a take of this project: score it the way it was rendered
        if Path(t.path).resolve() == Path(take_path).resolve():
            mode = str(t.options.get("mode", "stereo"))
    return evaluate_audio(audio, sr, project, source, ref, ref_sr, spatial_mode=mode)


def analyse_take(take_path: str, sr: int, project: Project, source_name: str, mode: str) -> dict[str, Any]:
    """Audio (for the mixer), waveform peaks, RMS envelope and spatial alignment of one take."""
    from ..core.envelope import Envelope
    from ..dsp.peaks import waveform_peaks
    from ..dsp.rms import rms_envelope
    from ..media.audio import read_audio
    from ..metrics.spatial_alignment import spatial_alignment

    audio, sr = read_audio(take_path, sr)
    src = project.source(source_name)
    out: dict[str, Any] = {"audio": audio, "sr": sr, "peaks": waveform_peaks(audio, sr)}
    out["rms"] = Envelope(rms_envelope(audio, sr), origin="take")  # the E-L1 metric's own envelope
    if audio.shape[0] == 2:
        out["alignment"] = spatial_alignment(audio, sr, src.track, project.clip.width, project.clip.fps,
                                             src.trajectory.hfov_deg, mode=mode, mapping=src.trajectory.mapping)
    return out


def rescore_take(take_path: str, project: Project, source_name: str, mode: str = "stereo") -> dict[str, Any]:
    """The take's metrics against `source_name`'s current lanes, with the key of that target.

    Returns {"target": core.fingerprint.target_key of the source now, "metrics": {...}}: the
    caller keeps the scores for that target and shows them while the lanes stay as they are."""
    from ..core.fingerprint import source_fingerprint, target_key
    from ..media.audio import read_audio

    source = project.source(source_name)
    audio, sr = read_audio(take_path)
    if audio.shape[0] != 2:
        raise InputError(take_path, f"take must be stereo, it has {audio.shape[0]} channel(s)")
    mode = mode if mode in ("stereo", "binaural") else "stereo"
    return {"target": target_key(source_fingerprint(project, source)),
            "metrics": evaluate_audio(audio, sr, project, source, spatial_mode=mode)}

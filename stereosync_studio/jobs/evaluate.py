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
    """Audio (for the mixer), waveform peaks (and a `WaveformView` for zoomed drawing), RMS
    envelope and spatial alignment of one take.

    The take is read on demand (`media.audio.open_audio_view`, when it is at `sr`): the waveform
    summary and the per-window cues are measured a block at a time from the file, the RMS
    envelope from the channels' mean; what is returned (and the Studio keeps while the project
    is open) holds no take-sized arrays, and the mixer reads the file as it plays."""
    from ..core.envelope import Envelope
    from ..dsp.rms import rms_envelope
    from ..media.audio import open_audio_view
    from ..media.waveform_view import WaveformView
    from ..metrics.spatial_alignment import heard_positions, spatial_alignment

    audio = open_audio_view(take_path, sr)
    src = project.source(source_name)
    wave = WaveformView(audio, sr)  # min/max per column at every zoom (~1 MB for 10 minutes), block-wise
    out: dict[str, Any] = {"audio": audio, "sr": sr, "peaks": wave.overview(), "waveform": wave}
    if audio.shape[0] == 2:
        heard = heard_positions(audio, sr, mode, cues=_cues(audio, sr))
        out["alignment"] = spatial_alignment(audio, sr, src.track, project.clip.width, project.clip.fps,
                                             src.trajectory.hfov_deg, mode=mode, mapping=src.trajectory.mapping,
                                             heard=heard)
    out["rms"] = Envelope(rms_envelope(_mono(audio), sr), origin="take")  # the E-L1 metric's own envelope
    return out


_BLOCK = 1 << 20  # samples read at a time


def _mono(audio: Any) -> np.ndarray:
    """`audio.mean(axis=0)` (the same float32 values) of an array or on-demand view, made a
    block at a time: no stereo copy of the take beside it."""
    c, n = audio.shape
    out = np.empty(n, np.float32)
    for i in range(0, n, _BLOCK):
        block = np.asarray(audio[:, i:i + _BLOCK], np.float32)
        if c == 1:
            out[i:i + block.shape[1]] = block[0]
        else:
            np.mean(block, axis=0, out=out[i:i + block.shape[1]])
    return out


def _cues(audio: Any, sr: int, window_s: float = 0.1, active_db: float = -40.0):
    """`dsp.interaural.interaural_windows` of a whole take, measured a block of whole windows at
    a time (each window is measured on its own: the same numbers; which windows are active is
    decided over the whole take, as there)."""
    from ..dsp.interaural import InterauralWindows, active_windows, interaural_windows

    size = max(1, int(round(window_s * sr)))
    step = size * max(1, _BLOCK // size)
    parts = [interaural_windows(np.asarray(audio[:, a:a + step], np.float32), sr, window_s, active_db, batch=32)
             for a in range(0, audio.shape[1], step)]
    ild, itd, ia, level = (np.concatenate([getattr(p, k) for p in parts]) for k in ("ild_db", "itd_ms", "iacc", "level_db"))
    times = (np.arange(len(ild)) + 0.5) * size / float(sr)
    return InterauralWindows(times, ild, itd, ia, level, active_windows(level, active_db))


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

"""Worker-side functions of the Studio: each is a plain function run by a Job (never touches Qt).

They are thin compositions of the shared `jobs` API and the analysis/metrics modules, so the
GUI and the CLI compute the same things.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np

from .. import jobs
from ..core.progress import sub_progress
from ..core.project import Project, Reference, Source
from ..core.trajectory import Trajectory
from .engine_panel import probe_engines

log = logging.getLogger(__name__)
ROOT = Path(__file__).resolve().parents[2]
DEFAULT_REFERENCE = ROOT / "resources" / "samples" / "hard"


def analyze_for_studio(clip: str, progress, cancel) -> Project:
    """`jobs.analyze_clip`, then the guide track as target envelope when the clip has one."""
    project = jobs.analyze_clip(clip, envelope="none", progress=sub_progress(progress, 0, 0.97), cancel=cancel)
    src = project.source()
    if project.guide_envelope is not None:
        src.envelope = jobs.make_envelope("audio", clip, project.clip, project.guide_envelope, src.track)
    if not src.reference.path and DEFAULT_REFERENCE.is_dir():
        src.reference.path = str(DEFAULT_REFERENCE)
    progress(1.0, "ready")
    return project


def find_subjects(clip: str, reference: Reference | None, hfov_deg: float, sample_rate: int, models_dir: str,
                  progress, cancel) -> Project:
    """Every person in the clip, one Source each (`jobs.analyze_clip(subjects="all")`); sources
    without a reference get `reference` (the current subject's), else the bundled footsteps."""
    project = jobs.analyze_clip(clip, subjects="all", hfov_deg=hfov_deg, sample_rate=sample_rate,
                                models_dir=models_dir, progress=progress, cancel=cancel)
    for s in project.sources:
        if s.reference.path or s.reference.files:
            continue
        if reference is not None and (reference.path or reference.files):
            s.reference = Reference(reference.path, list(reference.files), reference.text)
        elif DEFAULT_REFERENCE.is_dir():
            s.reference.path = str(DEFAULT_REFERENCE)
    return project


def merge_subjects(project: Project, keep: str, other: str, models_dir: str, progress, cancel) -> Source:
    """`analysis.subjects.merge_sources` on a copy of the project: the merged source, lanes rebuilt."""
    from ..analysis.subjects import merge_sources

    return merge_sources(project, keep, other, models_dir, progress=progress, cancel=cancel)


def split_subject(project: Project, name: str, frame: int, models_dir: str, progress, cancel
                  ) -> tuple[Source, Source]:
    """`analysis.subjects.split_source` on a copy: the part before `frame` and the new source after it."""
    from ..analysis.subjects import split_source

    return split_source(project, name, frame, models_dir=models_dir, progress=progress, cancel=cancel)


def derive_trajectory(project: Project, track, hfov_deg: float) -> Trajectory:
    """Pan and distance from the boxes, as `jobs.analyze_clip` derives them."""
    from ..jobs import trajectory_from_track

    return trajectory_from_track(track, project.clip, hfov_deg)


def retrack(track, project: Project, frame: int, box: list, follow_box: bool, hfov_deg: float,
            progress, cancel):
    """Re-track from a keyframe (`analysis.tracking.retrack_from`) and, when the trajectory
    follows the box, derive it again, all off the GUI thread."""
    from ..analysis.tracking import retrack_from

    new = retrack_from(track, project.clip.path, frame, box, progress=progress, cancel=cancel)
    return new, (derive_trajectory(project, new, hfov_deg) if follow_box else None)


def peaks(audio: np.ndarray, sr: int, duration: float, bins: int = 1600) -> tuple[np.ndarray, np.ndarray]:
    """Rectified waveform peaks on `bins` columns (for drawing behind the envelope)."""
    mono = np.abs(audio).max(axis=0)
    n = max(1, len(mono) // bins)
    m = mono[: n * (len(mono) // n)].reshape(-1, n).max(axis=1)
    top = float(m.max()) if len(m) else 0.0
    t = (np.arange(len(m)) + 0.5) * n / sr
    return t, (m / top if top > 0 else m)


def load_guide(clip_path: str, sr: int):
    from ..media.video import read_guide_audio

    audio = read_guide_audio(clip_path, sr)
    if audio is None:
        return None
    return audio, peaks(audio, sr, audio.shape[1] / sr)


def analyse_take(take_path: str, sr: int, project: Project, source_name: str, mode: str) -> dict[str, Any]:
    """Audio (for the mixer), waveform peaks, RMS envelope and spatial alignment of one take."""
    from ..core.envelope import Envelope
    from ..media.audio import read_audio
    from ..metrics.envelope_l1 import rms_envelope
    from ..metrics.spatial_alignment import spatial_alignment

    audio, sr = read_audio(take_path, sr)
    src = project.source(source_name)
    out: dict[str, Any] = {"audio": audio, "sr": sr, "peaks": peaks(audio, sr, audio.shape[1] / sr)}
    out["rms"] = Envelope(rms_envelope(audio, sr), origin="take")  # the E-L1 metric's own envelope
    if audio.shape[0] == 2:
        out["alignment"] = spatial_alignment(audio, sr, src.track, project.clip.width, project.clip.fps,
                                             src.trajectory.hfov_deg, mode=mode)
    return out


def auto_events(envelope, options: dict[str, Any]) -> list[float]:
    """The steps the sampler would place on this envelope with these options (its own function)."""
    from ..engines.events import events_for_options

    return [e.time for e in events_for_options(envelope, options)]


WARM_MODULES = tuple(f"stereosync_studio.{m}" for m in (
    "media.video", "media.audio", "media.mux", "media.bwf", "analysis.tracking", "analysis.detect",
    "analysis.pose", "analysis.flow_features", "analysis.box_features", "analysis.distance",
    "analysis.envelope_audio", "analysis.steps_video", "analysis.multi", "analysis.motion", "analysis.subjects",
    "engines.sampler", "engines.spatial", "engines.grains",
    "engines.events", "metrics", "metrics.spatial_alignment", "metrics.envelope_l1", "metrics.interaural",
    "metrics.onsets")) + ("cv2", "librosa", "librosa.feature", "soundfile", "soxr", "mediapipe.python.solutions.pose")


def probe_and_warm(models_dir: str):
    """Probe the engines, then import what later jobs need, while the user is still looking around.

    A C extension's import holds the GIL for up to ~0.2 s; done here, at start, it cannot
    stall the picture or the lanes in the middle of work.
    """
    import importlib

    engines = probe_engines(models_dir)
    for name in WARM_MODULES:
        try:
            importlib.import_module(name)
        except Exception as exc:  # an optional part missing: its job will say so when used
            log.info("warm-up: %s not imported (%s)", name, exc)
    try:  # librosa's RMS is compiled by numba on first use (~0.1 s holding the GIL): do it now
        from ..metrics.envelope_l1 import rms_envelope

        rms_envelope(np.zeros((2, 4800), np.float32), 48000)
    except Exception as exc:
        log.info("warm-up: rms not compiled (%s)", exc)
    return engines


__all__ = ["DEFAULT_REFERENCE", "WARM_MODULES", "analyse_take", "analyze_for_studio", "auto_events",
           "derive_trajectory", "find_subjects", "load_guide", "merge_subjects", "peaks", "probe_and_warm",
           "retrack", "split_subject"]

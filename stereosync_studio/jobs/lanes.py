"""A source's lanes from the clip: pan and distance from the boxes, the envelope by mode
(guide track, steps in the picture, CSV, flat), and the guide track itself."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..core.envelope import Envelope
from ..core.errors import InputError
from ..core.progress import CancelToken, ProgressFn, null_progress
from ..core.project import ClipInfo
from ..core.track import Track
from ..core.trajectory import Trajectory
from .models import video_envelope_predictor

__all__ = ["GUIDE_SR", "guide_envelope", "load_guide", "make_envelope", "trajectory_from_track"]

GUIDE_SR = 48000


def trajectory_from_track(track: Track, info: ClipInfo, hfov_deg: float = 90.0) -> Trajectory:
    """Pan from the box centres, distance from the box heights (smoothed), following the box."""
    from ..analysis.distance import distance_from_track

    traj = Trajectory.from_track(track, info.width, info.height, info.fps, hfov_deg)
    if not np.isnan(track.boxes[:, 0]).all():
        traj.distance = np.asarray(distance_from_track(track, info.height, fps=info.fps), np.float64)
        traj.__post_init__()  # re-clamp the new curve
    traj.follow_box = True
    return traj


def guide_envelope(clip_path: str | Path, info: ClipInfo) -> Envelope | None:
    """RMS envelope of the clip's own audio (None when the clip is silent or has no audio)."""
    from ..analysis.envelope_audio import envelope_from_audio
    from ..media.video import read_guide_audio

    if not info.has_audio:
        return None
    audio = read_guide_audio(str(clip_path), GUIDE_SR)
    if audio is None or not np.isfinite(audio).all() or np.abs(audio).max() < 1e-6:
        return None
    return envelope_from_audio(audio, GUIDE_SR).with_duration(info.duration)


def make_envelope(mode: str, clip_path: str | Path, info: ClipInfo, guide: Envelope | None,
                  track: Track | None = None, progress: ProgressFn = null_progress,
                  cancel: CancelToken | None = None, models_dir: str = "models") -> Envelope:
    """The target envelope for a source, by mode (auto | audio | video | none | CSV path)."""
    if mode == "auto":  # a silent audio stream is no guide: find the steps in the picture instead
        mode = "audio" if guide is not None else "video"
    if mode == "audio":
        if guide is None:
            raise InputError(clip_path, "clip has no usable audio track for --envelope audio "
                                        "(use --envelope video, a CSV file, or draw one in the Studio)")
        env = guide.copy()
        env.origin = "audio"
        return env
    if mode == "none":
        return Envelope.silent(info.duration)
    if mode == "video":
        from ..analysis.steps_video import envelope_from_video

        return envelope_from_video(str(clip_path), track, progress=progress, cancel=cancel,
                                   predictor=video_envelope_predictor(models_dir))
    from ..analysis.envelope_audio import envelope_from_csv

    if not Path(mode).exists() and Path(mode).suffix.lower() != ".csv":
        raise InputError(mode, "not an envelope mode (auto, audio, video, none) nor a CSV file")
    return envelope_from_csv(mode, info.duration)


def load_guide(clip_path: str, sr: int) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray]] | None:
    """The clip's guide audio at `sr` and its waveform peaks (None when it has no audio)."""
    from ..dsp.peaks import waveform_peaks
    from ..media.video import read_guide_audio

    audio = read_guide_audio(clip_path, sr)
    if audio is None:
        return None
    return audio, waveform_peaks(audio, sr)

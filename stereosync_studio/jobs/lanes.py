"""A source's lanes from the clip: pan and distance from the boxes (through a pan mapping:
screen width by default, or a lens), the envelope by mode (the footsteps of the guide track,
steps in the picture, a performed audio file, CSV, flat), and the guide track itself."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from ..core.envelope import Envelope
from ..core.errors import InputError
from ..core.progress import CancelToken, ProgressFn, null_progress
from ..core.project import ClipInfo
from ..core.track import Track
from ..core.formats import is_audio
from ..core.trajectory import PanMapping, Trajectory
from .guide import GUIDE_SR, footstep_guide, performed_envelope, read_guide
from .models import video_envelope_predictor

__all__ = ["GUIDE_SR", "guide_envelope", "load_guide", "make_envelope", "trajectory_from_track",
           "with_pan_mapping"]

NO_FOOTSTEPS = ("the guide track holds no footsteps (speech or music only?): use --envelope video, "
                "a performed audio file, a CSV file, or draw one in the Studio")


def trajectory_from_track(track: Track, info: ClipInfo, hfov_deg: float = 90.0, pan_mode: str = "screen",
                          pan_width: float = 1.0) -> Trajectory:
    """Pan from the box centres (screen width by default: the frame's edges are full left and
    right, `pan_width` 0..1 narrows it; or `pan_mode` "lens" through a `hfov_deg` lens),
    distance from the box heights (smoothed), following the box."""
    from ..analysis.distance import distance_from_track

    traj = Trajectory.from_track(track, info.width, info.height, info.fps, hfov_deg, pan_mode=pan_mode,
                                 pan_width=pan_width)
    if not np.isnan(track.boxes[:, 0]).all():
        traj.distance = np.asarray(distance_from_track(track, info.height, fps=info.fps), np.float64)
        traj.__post_init__()  # re-clamp the new curve
    traj.follow_box = True
    return traj


def with_pan_mapping(trajectory: Trajectory, track: Track, info: ClipInfo, pan_mode: str = "screen",
                     pan_width: float = 1.0, hfov_deg: float | None = None) -> Trajectory:
    """The trajectory under another pan mapping (the Studio's Width slider, `--pan-width`):
    its pans derived again from the box when it follows the box, else its hand-drawn pans
    moved to the same on-screen positions under the new mapping. Distances are kept."""
    hfov = trajectory.hfov_deg if hfov_deg is None else float(hfov_deg)
    mapping = PanMapping(pan_mode, pan_width, hfov)
    out = trajectory.remapped(mapping, info.width)
    if trajectory.follow_box and len(track) == len(trajectory) and not np.isnan(track.boxes[:, 0]).all():
        out.pan = Trajectory.from_track(track, info.width, info.height, info.fps, hfov, pan_mode=pan_mode,
                                        pan_width=pan_width).pan
    return out


def guide_envelope(clip_path: str | Path, info: ClipInfo) -> Envelope | None:
    """The footsteps of the clip's own audio, from the audio alone (None when the clip is
    silent or has no audio); `footstep_guide` with a subject's motion fuses the picture's
    foot contacts in."""
    audio = read_guide(clip_path, info.has_audio)
    if audio is None:
        return None
    return footstep_guide(audio, GUIDE_SR, info.duration)[0]


def make_envelope(mode: str, clip_path: str | Path, info: ClipInfo, guide: Envelope | None,
                  track: Track | None = None, progress: ProgressFn = null_progress,
                  cancel: CancelToken | None = None, models_dir: str = "models", motion=None) -> Envelope:
    """The target envelope for a source, by mode (auto | audio | video | none | audio file | CSV).

    `guide` is the footstep guide (`footstep_guide`'s envelope). "auto" uses it when it holds
    footsteps, else the steps in the picture (`motion`, when given, spares decoding the clip
    again); an audio file is a performed envelope (`guide.performed_envelope`)."""
    if mode == "auto":  # no guide, or one without footsteps: find the steps in the picture instead
        mode = "audio" if guide is not None and guide.steps() else "video"
    if mode == "audio":
        if guide is None:
            raise InputError(clip_path, "clip has no usable audio track for --envelope audio "
                                        "(use --envelope video, a CSV file, or draw one in the Studio)")
        if not guide.steps():
            raise InputError(clip_path, NO_FOOTSTEPS)
        env = guide.copy()
        env.origin = "audio"
        return env
    if mode == "none":
        return Envelope.silent(info.duration)
    if mode == "video":
        from ..analysis.steps_video import envelope_from_video

        return envelope_from_video(str(clip_path), track, progress=progress, cancel=cancel, motion=motion,
                                   predictor=video_envelope_predictor(models_dir))
    if is_audio(mode):
        return performed_envelope(mode, info.duration)
    from ..analysis.envelope_audio import envelope_from_csv

    if not Path(mode).exists() and Path(mode).suffix.lower() != ".csv":
        raise InputError(mode, "not an envelope mode (auto, audio, video, none), an audio file nor a CSV file")
    return envelope_from_csv(mode, info.duration)


def load_guide(clip_path: str, sr: int) -> tuple[Any, tuple[np.ndarray, np.ndarray], Any] | None:
    """The clip's guide audio at `sr` read on demand (an `AudioFileView` of its decoded WAV in the
    cache: a 10-minute guide would be 230 MB as an array), its waveform overview (times, peaks)
    and the `WaveformView` the lanes zoom into; None when it has no audio."""
    from ..core.model_paths import cache_root
    from ..media.guide_file import guide_audio_view
    from ..media.waveform_view import WaveformView

    try:
        audio = guide_audio_view(clip_path, sr, cache_root() / "guide_audio")
    except OSError:  # the cache folder cannot be written (read-only home, disk full): in memory
        from ..media.video import read_guide_audio

        audio = read_guide_audio(clip_path, sr)
    if audio is None:
        return None
    wave = WaveformView(audio, sr)
    return audio, wave.overview(), wave

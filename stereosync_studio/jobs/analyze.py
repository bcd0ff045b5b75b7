"""Analyse a clip: probe it, track the subject, derive its lanes (pan, distance, envelope).

The CLI's `analyze`/`render` and the Studio's "open clip" call `analyze_clip` with the same
defaults: envelope "auto" (the guide track when it is audible, else the steps seen in the
picture) and the bundled footsteps as reference, so one clip gives one project whichever
face opened it. Re-tracking after a user's box edit lives here too.
"""

from __future__ import annotations

from pathlib import Path

from ..core.errors import InputError
from ..core.progress import CancelToken, ProgressFn, null_progress, sub_progress
from ..core.project import Project, Source
from ..core.track import Track
from ..core.trajectory import Trajectory
from .inputs import default_reference
from .lanes import guide_envelope, make_envelope, trajectory_from_track
from .subjects import analyze_multi

__all__ = ["DEFAULT_ENVELOPE", "analyze_clip", "retrack"]

DEFAULT_ENVELOPE = "auto"


def analyze_clip(clip_path: str | Path, box: tuple[list[float], int] | None = None,
                 envelope: str = DEFAULT_ENVELOPE, hfov_deg: float = 90.0, sample_rate: int = 48000,
                 subjects: str = "one", max_subjects: int = 4, models_dir: str = "models",
                 progress: ProgressFn = null_progress, cancel: CancelToken | None = None) -> Project:
    """Probe, track and derive lanes for a clip; returns a new Project.

    `envelope` is "audio" (the clip's guide track), "video" (steps found in the picture),
    "auto" (audio when the clip has audible sound, else video), "none" (flat silence, to be
    drawn), or the path of a CSV file. `subjects="all"` finds every person (one Source each,
    envelopes from their own steps in the picture). Every source gets the default reference.
    """
    from ..analysis.box_features import box_features
    from ..analysis.tracking import track_clip
    from ..media.video import probe

    cancel = cancel or CancelToken()
    clip_path = Path(clip_path)
    if subjects == "all":
        project = analyze_multi(clip_path, max_subjects, hfov_deg, sample_rate, models_dir, progress=progress,
                                cancel=cancel)
    else:
        progress(0.0, f"opening {clip_path.name}")
        info = probe(clip_path)
        if box and not 0 <= box[1] < info.n_frames:
            raise InputError(clip_path, f"box frame {box[1]} is outside the clip's frames 0..{info.n_frames - 1}")
        keyframes = {box[1]: box[0]} if box else None
        track = track_clip(str(clip_path), keyframes=keyframes, progress=sub_progress(progress, 0.02, 0.8),
                           cancel=cancel)
        cancel.check()
        traj = trajectory_from_track(track, info, hfov_deg)
        progress(0.82, "envelope")
        guide = guide_envelope(clip_path, info)
        env = make_envelope(envelope, clip_path, info, guide, track, progress=sub_progress(progress, 0.82, 0.98),
                            cancel=cancel, models_dir=models_dir)
        name = clip_path.name.split(".")[0]
        features: dict[str, list] = dict(box_features(track, info.width, info.height))
        features["depth"] = [round(float(x), 4) for x in traj.distance]
        source = Source("subject1", track, env, traj, default_reference(), features=features)
        project = Project(name, info, [source], sample_rate, guide)
    for s in project.sources:
        if not s.reference.path and not s.reference.files:
            s.reference = default_reference()
    progress(1.0, "analysis done")
    return project


def retrack(track: Track, project: Project, frame: int, box: list, follow_box: bool, hfov_deg: float,
            progress: ProgressFn = null_progress, cancel: CancelToken | None = None
            ) -> tuple[Track, Trajectory | None]:
    """Re-track from a user keyframe; when the trajectory follows the box, derive it again."""
    from ..analysis.tracking import retrack_from

    new = retrack_from(track, project.clip.path, frame, box, progress=progress, cancel=cancel)
    return new, (trajectory_from_track(new, project.clip, hfov_deg) if follow_box else None)

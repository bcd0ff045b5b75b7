"""Analyse a clip: probe it, track the subject, derive its lanes (pan, distance, envelope).

The CLI's `analyze`/`render` and the Studio's "open clip" call `analyze_clip` with the same
defaults: envelope "auto" (the guide track when it is audible, else the steps seen in the
picture) and the bundled footsteps as reference, so one clip gives one project whichever
face opened it. Re-tracking after a user's box edit lives here too.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from ..core.errors import InputError
from ..core.progress import CancelToken, ProgressFn, null_progress, sub_progress
from ..core.project import Project, Source
from ..core.track import UNCERTAIN, Track
from ..core.trajectory import Trajectory
from .inputs import default_reference
from .lanes import make_envelope, trajectory_from_track, with_pan_mapping
from .subjects import analyze_multi

__all__ = ["DEFAULT_ENVELOPE", "NO_PERSON_MESSAGE", "analyze_clip", "ensure_reid_model", "interpolate_keyframes",
           "retrack", "retrack_keyframes", "subject_found", "uncertain_frames", "warm_analysis"]

DEFAULT_ENVELOPE = "auto"
NO_PERSON_MESSAGE = ("no person found in the clip: a centred default box was placed on every frame; "
                     "move it onto the subject (a keyframe) and the clip is re-tracked from there")
log = logging.getLogger(__name__)
# the subject's motion is measured while it is tracked (`analysis.motion_ahead`); False measures
# it afterwards, as before (benchmarks compare the two)
MEASURE_WHILE_TRACKING = True


def ensure_reid_model(progress: ProgressFn = null_progress) -> bool:
    """Convert the bundled appearance embedder to ONNX once (into the cache); True when it is there.

    Runs the torch export in `learned` only when the file is missing; without torch or the
    weights, analysis tracks on colour and motion only (and says so in its log)."""
    from ..core.model_paths import reid_model_path

    if reid_model_path().is_file():
        return True
    from ..learned.reid_export import export_reid_onnx, reid_available

    if not reid_available():
        return False
    progress(0.0, "preparing the person re-identification model (once)")
    try:
        export_reid_onnx()
    except Exception as exc:  # a failed export must not stop analysis
        log.warning("could not convert the re-identification model: %s", exc)
        return False
    return True


def warm_analysis() -> None:
    """Load what opening a clip needs first and importing does not (the re-identification
    model, MediaPipe's pose graph, the modules of the motion pass and of the guide), so the
    Studio's first "open clip" does not wait for them: call it from a worker at start (after
    or beside `jobs.probe_and_warm`). Anything missing is left for the job to report."""
    try:
        from ..analysis.pose import PoseTracker, available
        from ..analysis.reid import get_embedder

        if ensure_reid_model():
            get_embedder()
        if available():
            PoseTracker().close()  # the graph's first start loads TFLite's kernels (~0.1 s)
        from ..analysis import motion_ahead, step_fusion  # noqa: F401  (imported, not used here)
        from ..media import frame_crops  # noqa: F401
        from . import guide  # noqa: F401
    except Exception as exc:  # warming is a courtesy: the analysis itself says what is wrong
        log.info("analysis warm-up incomplete: %s", exc)


def subject_found(track: Track) -> bool:
    """False for a track with no box anywhere, or the centred default (confidence 0 everywhere)."""
    import numpy as np

    return bool(np.isfinite(track.boxes[:, 0]).any() and (track.confidence > 0).any())


def uncertain_frames(track: Track, threshold: float | None = None) -> list[int]:
    """Frames a designer should check (what the Studio's next/previous uncertain frame walks)."""
    return track.uncertain_frames(*(() if threshold is None else (threshold,))).tolist()


def interpolate_keyframes(track: Track, start: int, end: int | None = None) -> Track:
    """Boxes between keyframe `start` and the next keyframe (or `end`) interpolated linearly."""
    if end is None:
        end = min((k for k in track.keyframes if k > start), default=None)
        if end is None:
            raise InputError(None, f"no keyframe after frame {start} to interpolate to")
    return track.interpolate_keyframes(start, end)


def analyze_clip(clip_path: str | Path, box: tuple[list[float], int] | None = None,
                 envelope: str = DEFAULT_ENVELOPE, hfov_deg: float = 90.0, sample_rate: int = 48000,
                 subjects: str = "one", max_subjects: int = 4, models_dir: str = "models",
                 progress: ProgressFn = null_progress, cancel: CancelToken | None = None,
                 pan_mode: str = "screen", pan_width: float = 1.0) -> Project:
    """Probe, track and derive lanes for a clip; returns a new Project.

    `envelope` is "audio" (the footsteps of the clip's guide track), "video" (steps found in
    the picture), "auto" (the guide's footsteps when it holds some, else video), "none" (flat
    silence, to be drawn), an audio file (a performed envelope) or a CSV file. The guide's
    footsteps are fused with the subject's foot contacts in the picture (`jobs.guide`); the
    project keeps them as `guide_envelope` with their `guide_report`. `subjects="all"` finds
    every person (one Source each, envelopes from their own steps in the guide track, told
    apart by where each one's feet land, or in the picture). Pans follow
    `pan_mode` / `pan_width` (screen width by default). Every source gets the default reference.
    """
    from ..analysis.box_features import box_features
    from ..analysis.tracking import track_clip
    from ..media.frame_crops import FrameCrops, budget_for
    from ..media.video import probe

    cancel = cancel or CancelToken()
    clip_path = Path(clip_path)
    if subjects == "all":
        own = envelope in ("auto", "audio", "video")  # each subject's own steps (guide or picture)
        project = analyze_multi(clip_path, max_subjects, hfov_deg, sample_rate, models_dir, progress=progress,
                                cancel=cancel, envelope=envelope if own else "video")
        for s in project.sources:
            s.trajectory = with_pan_mapping(s.trajectory, s.track, project.clip, pan_mode, pan_width, hfov_deg)
            if not own:  # none, a performed take or a CSV: the same for every subject
                s.envelope = make_envelope(envelope, clip_path, project.clip, None, s.track, cancel=cancel,
                                           models_dir=models_dir)
        if not own:
            project.settings["envelope"] = "fixed"  # a merge or split keeps these envelopes as they are
    else:
        progress(0.0, f"opening {clip_path.name}")
        info = probe(clip_path)
        if box and not 0 <= box[1] < info.n_frames:
            raise InputError(clip_path, f"box frame {box[1]} is outside the clip's frames 0..{info.n_frames - 1}")
        keyframes = {box[1]: box[0]} if box else None
        ensure_reid_model()
        measure = envelope in ("auto", "video") or (envelope == "audio" and info.has_audio)
        if envelope in ("auto", "video", "audio"):  # pose will run: load MediaPipe lean, before the detector does
            from ..analysis.pose import available as pose_available

            pose_available()
        # the subject's part of each frame tracking decodes: no second decode (a short clip)
        crops = FrameCrops(budget_for(info.width, info.height, info.n_frames))
        ahead = _motion_ahead(info, crops) if measure and MEASURE_WHILE_TRACKING else None
        try:
            track = track_clip(str(clip_path), keyframes=keyframes, progress=sub_progress(progress, 0.02, 0.8),
                               cancel=cancel, keep_crops=crops)
            cancel.check()
            if not subject_found(track):
                log.warning("%s: %s", clip_path.name, NO_PERSON_MESSAGE)
                progress(0.8, NO_PERSON_MESSAGE)
                track = Track.centred_default(info.n_frames, info.width, info.height)
            traj = trajectory_from_track(track, info, hfov_deg, pan_mode, pan_width)
            progress(0.82, "envelope")
            guide, report, motion = _guide_with_picture(clip_path, info, track, envelope, crops,
                                                        sub_progress(progress, 0.82, 0.93), cancel, ahead)
            env = make_envelope(envelope, clip_path, info, guide, track, progress=sub_progress(progress, 0.93, 0.98),
                                cancel=cancel, models_dir=models_dir, motion=motion)
        finally:
            if ahead is not None:
                ahead.close()
            crops.close()
        name = clip_path.name.split(".")[0]
        features: dict[str, list] = dict(box_features(track, info.width, info.height))
        features["depth"] = [round(float(x), 4) for x in traj.distance]
        source = Source("subject1", track, env, traj, default_reference(), features=features)
        project = Project(name, info, [source], sample_rate, guide, guide_report=report)
    for s in project.sources:
        if not s.reference.path and not s.reference.files:
            s.reference = default_reference()
    progress(1.0, "analysis done")
    return project


def _motion_ahead(info, crops):
    """A `MotionAhead` fed by the tracker through `crops.tap` (the subject's motion measured
    while it is tracked, on the second core), or None where pose or flow cannot run here."""
    from ..analysis.motion_ahead import MotionAhead
    from ..analysis.pose import available as pose_available

    try:
        ahead = MotionAhead(info.fps, info.n_frames, pose_available())
    except Exception as exc:  # measured after tracking instead
        log.info("motion not measured during tracking: %s", exc)
        return None
    crops.tap = ahead.offer
    return ahead


def _guide_with_picture(clip_path: Path, info, track: Track, envelope: str, crops, progress: ProgressFn,
                        cancel: CancelToken, ahead=None):
    """(footstep guide, its report, the subject's motion) for one subject: the guide's
    footsteps fused with the subject's foot contacts when the envelope comes from the guide
    (the motion is kept for the picture's envelope: "video", or a guide without footsteps).
    The motion pass reads the frames tracking kept (`crops`) instead of decoding again, and
    takes what `ahead` measured during tracking. A cancel does not wait for the guide's read."""
    from .guide import GUIDE_SR, footstep_guide

    motion = None
    pool = ThreadPoolExecutor(1, thread_name_prefix="guide")  # the second core, meanwhile
    try:
        soon = pool.submit(_guide_audio, clip_path, info.has_audio)
        if subject_found(track) and (envelope in ("auto", "video") or (envelope == "audio" and info.has_audio)):
            from ..analysis.motion import analyze_subjects

            motion = analyze_subjects(clip_path, [track], None, sub_progress(progress, 0.0, 0.8), cancel,
                                      reader=crops, ahead=ahead)[0]
        audio = soon.result()
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)  # the read ends on its own; nobody waits for it
        raise
    pool.shutdown(wait=True)
    if audio is None:
        return None, None, motion
    fused = motion if envelope in ("auto", "audio") else None
    guide, report = footstep_guide(audio, GUIDE_SR, info.duration, fused, sub_progress(progress, 0.8, 1.0))
    if not report.has_footsteps or not report.steps:
        log.warning("%s: %s", clip_path.name, report.message or "no footsteps in the guide track")
    return guide, report, motion


def _guide_audio(clip_path: Path, has_audio: bool) -> np.ndarray | None:
    """The guide track, read while the picture is measured; the audio analysis's libraries
    (librosa's RMS, ~1 s to import) are loaded on the way, so they are ready when needed."""
    from ..dsp.rms import rms_envelope
    from .guide import read_guide

    audio = read_guide(clip_path, has_audio)
    if audio is not None:
        rms_envelope(np.zeros(1024, np.float32), 44100)
    return audio


def retrack(track: Track, project: Project, frame: int, box: list, follow_box: bool, hfov_deg: float,
            progress: ProgressFn = null_progress, cancel: CancelToken | None = None,
            pan_mode: str = "screen", pan_width: float = 1.0) -> tuple[Track, Trajectory | None]:
    """Re-track from a user keyframe with the identity model (every keyframe teaches it the
    subject's look); when the trajectory follows the box, derive it again through the pan
    mapping given."""
    from ..analysis.tracking import retrack_from

    new = retrack_from(track, project.clip.path, frame, box, progress=progress, cancel=cancel)
    traj = trajectory_from_track(new, project.clip, hfov_deg, pan_mode, pan_width) if follow_box else None
    return new, traj


def retrack_keyframes(track: Track, project: Project, keyframes: dict[int, list[float]] | None = None,
                      follow_box: bool = True, hfov_deg: float = 90.0, progress: ProgressFn = null_progress,
                      cancel: CancelToken | None = None, keep_before_first: bool = False,
                      pan_mode: str = "screen", pan_width: float = 1.0,
                      automatic: bool = False) -> tuple[Track, Trajectory | None]:
    """Re-track the whole clip from the designer's keyframes: the track's own plus `keyframes`
    (frame -> box, clip pixels; a box given for a frame replaces that frame's keyframe). With
    none, `automatic` tracks from the automatic detection (the last keyframe was deleted),
    else it is an error.

    Every keyframe is an identity anchor: the appearance model learns the subject's look from
    all of them and is refreshed at each one, gaps between two keyframes are tracked from both
    ends, and keyframed frames come back exactly as placed. `keep_before_first` keeps the
    confident frames before the first keyframe as they were (the Studio: the designer keyed
    where the tracker went wrong; what it was sure of before stays, what it doubted is
    tracked back from the key). When the trajectory follows the box it is derived again, through
    the pan mapping given (else None)."""
    from ..analysis.tracking import track_clip

    kf = {int(k): [float(x) for x in v] for k, v in track.keyframes.items()}
    kf.update({int(k): [float(x) for x in v] for k, v in (keyframes or {}).items()})
    n = project.clip.n_frames
    outside = sorted(k for k in kf if not 0 <= k < n)
    if outside:
        raise InputError(project.clip.path, f"keyframes {outside} are outside the clip's frames 0..{n - 1}")
    if not kf and not automatic:
        raise InputError(project.clip.path, "no keyframes to re-track from: place a box on the subject first")
    ensure_reid_model()
    new = track_clip(str(project.clip.path), keyframes=kf, progress=progress, cancel=cancel)
    first = min(kf, default=0)
    if keep_before_first and first > 0 and len(track) == len(new):  # the sure frames before the first key stay
        keep = np.ones(first, bool)
        if track.confidence is not None:
            keep = np.asarray(track.confidence[:first]) >= UNCERTAIN
        new.boxes[:first][keep] = track.boxes[:first][keep]
        if new.confidence is not None and track.confidence is not None:
            new.confidence[:first][keep] = track.confidence[:first][keep]
    traj = trajectory_from_track(new, project.clip, hfov_deg, pan_mode, pan_width) if follow_box else None
    return new, traj

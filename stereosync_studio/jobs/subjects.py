"""Several subjects in one clip: a Project with one Source per person, and the user's edits
(merge, split, delete) as jobs.

Each Source gets its own envelope (its own footsteps in the clip's guide track, told apart
from the other subjects' by where each one's feet land; else the steps found in the picture,
transients scaled by its speed and distance), its own trajectory (pan from its box, distance from its box height or
from the depth model in `models/depth/`) and its own per-frame features for the diffusion
engine (SpatialV2A box features, depth, step confidences). Distances share one reference
across subjects (the median box height of everyone, or one depth normalisation), so a
farther person is quieter than a nearer one. The clip is decoded once for all subjects'
motion. Merge / split / delete rebuild the lanes of the sources they touch.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from ..core.envelope import Envelope
from ..core.errors import InputError
from ..core.guide import GuideReport
from ..core.progress import CancelToken, ProgressFn, null_progress, sub_progress
from ..core.project import ClipInfo, Project, Reference, Source
from ..core.track import Track
from ..core.trajectory import Trajectory
from ..analysis.box_features import box_features
from ..analysis.footstep_guide import analyse_guide
from ..analysis.motion import SubjectMotion, analyze_subjects, working_boxes
from ..analysis.multi import merge_tracks, split_track, track_all
from .guide import GUIDE_SR, footstep_guide, footstep_guides, read_guide, seen_spans
from .inputs import default_reference
from .lanes import with_pan_mapping
from .models import video_envelope_predictor

log = logging.getLogger(__name__)


def shared_distances(path: str | Path, tracks: list[Track], info: ClipInfo, models_dir: str | Path | None,
                     progress: ProgressFn = null_progress, cancel: CancelToken | None = None
                     ) -> tuple[list[np.ndarray], str]:
    """Per-subject relative distance on one common scale, and where it came from ("depth"/"box")."""
    from ..analysis.depth import DepthModel, subject_depth
    from ..analysis.distance import distance_from_track

    model = DepthModel.from_models_dir(models_dir)
    if model is not None:
        raw = [subject_depth(path, t, model, sub_progress(progress, k / len(tracks), (k + 1) / len(tracks)),
                             cancel, normalize=False) for k, t in enumerate(tracks)]
        seen = np.concatenate([d[np.isfinite(t.boxes[:len(d), 0])] for d, t in zip(raw, tracks)] or [np.ones(1)])
        ref = float(np.median(seen)) if len(seen) else 1.0
        return [np.asarray(d, np.float64) / max(ref, 1e-9) for d in raw], "depth"
    heights = np.concatenate([t.boxes[np.isfinite(t.boxes[:, 0]), 3] - t.boxes[np.isfinite(t.boxes[:, 0]), 1]
                              for t in tracks] or [np.ones(1)])
    ref = float(np.median(heights)) / float(info.height) if len(heights) else None
    return [np.asarray(distance_from_track(t, info.height, ref=ref, fps=info.fps), np.float64) for t in tracks], "box"


def build_source(name: str, clip_path: str | Path, info: ClipInfo, track: Track, motion: SubjectMotion,
                 distance: np.ndarray, hfov_deg: float = 90.0, models_dir: str | Path | None = "models",
                 distance_source: str = "box", guide: tuple[Envelope, GuideReport] | None = None) -> Source:
    """A Source for one subject: envelope from its steps, trajectory and features from its box.

    `guide`: the subject's own footsteps in the clip's guide track and the report of how they
    were told apart (`guide.footstep_guides`); the envelope is that when it holds steps, else
    the steps seen in the picture. The source keeps the report (the Studio's guide lane).

    `distance_source` ("box" or "depth") only labels where `distance` came from (logged)."""
    from ..analysis.steps_video import envelope_from_video, steps_from_motion

    log.debug("%s: distance from %s", name, distance_source)
    if guide is not None and guide[1].has_footsteps and guide[0].steps():
        env = guide[0].copy()
    else:
        env = envelope_from_video(str(clip_path), track, motion=motion, distance=distance,
                                  predictor=video_envelope_predictor(models_dir))
    traj = Trajectory.from_track(track, info.width, info.height, info.fps, hfov_deg)
    n = len(traj)
    d = np.asarray(distance, np.float64)
    traj.distance = np.clip(np.pad(d[:n], (0, max(0, n - len(d))), mode="edge"), 0.05, 1000.0)
    features: dict[str, list] = dict(box_features(track, info.width, info.height))
    features["depth"] = [round(float(x), 4) for x in traj.distance]
    steps = steps_from_motion(motion)
    features["step_confidence"] = [float(c) for _, c in steps]
    return Source(name, track, env, traj, default_reference(), features=features,
                  guide_report=None if guide is None else guide[1])


def sources_for_tracks(clip_path: str | Path, info: ClipInfo, tracks: list[Track], names: list[str],
                       hfov_deg: float = 90.0, models_dir: str | Path | None = "models",
                       use_pose: bool | None = None, progress: ProgressFn = null_progress,
                       cancel: CancelToken | None = None, envelope: str = "auto",
                       kept: list[Source] = (), guide=None) -> list[Source]:
    """Sources for several tracks: one motion pass, one shared distance scale; each
    envelope from the subject's own steps in the guide track ("auto") or in the picture
    ("video"). `kept`: the project's other sources, not rebuilt (their steps are theirs);
    `guide`: the guide track's `FootstepGuide` when the caller analysed it (else it is read)."""
    cancel = cancel or CancelToken()
    if not tracks:
        return []
    motions = analyze_subjects(clip_path, tracks, use_pose, sub_progress(progress, 0.0, 0.7), cancel)
    dists, where = shared_distances(clip_path, tracks, info, models_dir, sub_progress(progress, 0.7, 0.82), cancel)
    guides = (_subject_guides(clip_path, info, motions, sub_progress(progress, 0.82, 0.9), kept, guide)
              if envelope in ("auto", "audio") else [None] * len(tracks))
    out = []
    for k, (name, t, m, d) in enumerate(zip(names, tracks, motions, dists)):
        cancel.check()
        progress(0.9 + 0.1 * k / len(tracks), f"lanes of {name}")
        out.append(build_source(name, clip_path, info, t, m, d, hfov_deg, models_dir, where, guides[k]))
    return out


def _subject_guides(clip_path: str | Path, info: ClipInfo, motions: list[SubjectMotion],
                    progress: ProgressFn = null_progress, kept: list[Source] = (), guide=None
                    ) -> list[tuple[Envelope, GuideReport] | None]:
    """Each subject's own footsteps in the clip's guide track and their report (None each
    without a usable guide)."""
    audio = read_guide(clip_path, info.has_audio) if guide is None else guide.audio
    if audio is None:
        return [None] * len(motions)
    def spans(track: Track) -> list[tuple[float, float]]:  # as `motion.seen()` reads it, on the clip's times
        times = motions[0].times if motions else np.arange(len(track.boxes)) / info.fps
        b = working_boxes(track)[:len(times)]
        return seen_spans(np.isfinite(b[:, 0]), np.asarray(times)[:len(b)], info.fps)

    others = [(list(s.envelope.steps() or []), spans(s.track)) for s in kept]
    out: list[tuple[Envelope, GuideReport] | None] = []
    for env, report in footstep_guides(audio, GUIDE_SR, info.duration, motions, progress, others, guide):
        if not report.has_footsteps or not env.steps():
            log.info("%s: %s", Path(clip_path).name, report.message or "no footsteps of this subject in the guide")
        out.append((env, report))
    return out


def analyze_multi(clip_path: str | Path, max_subjects: int = 4, hfov_deg: float = 90.0, sample_rate: int = 48000,
                  models_dir: str | Path | None = "models", use_pose: bool | None = None,
                  progress: ProgressFn = null_progress, cancel: CancelToken | None = None,
                  envelope: str = "auto") -> Project:
    """Find every person (up to `max_subjects`) and make a Project with one Source each.

    Sources are named subject1, subject2, ... in order of appearance; `envelope` "auto"
    takes each one's own footsteps in the guide track when it holds them, "video" the steps
    in the picture. The project's guide envelope is the clip's own audio when it has some
    (for display and evaluation).
    """
    from ..media.video import probe

    cancel = cancel or CancelToken()
    clip_path = Path(clip_path)
    progress(0.0, f"opening {clip_path.name}")
    info = probe(clip_path)
    tracks = track_all(clip_path, max_subjects, sub_progress(progress, 0.0, 0.4), cancel)
    if not tracks:
        raise InputError(clip_path, "no person was found in the clip (draw a box on the subject instead)")
    names = [f"subject{k + 1}" for k in range(len(tracks))]
    audio = read_guide(clip_path, info.has_audio)  # read and analysed once: for each subject and the display
    heard = analyse_guide(audio, GUIDE_SR) if audio is not None else None
    sources = sources_for_tracks(clip_path, info, tracks, names, hfov_deg, models_dir, use_pose,
                                 sub_progress(progress, 0.4, 0.97), cancel, envelope, guide=heard)
    guide = None if heard is None else footstep_guide(audio, GUIDE_SR, info.duration, guide=heard)[0]
    project = Project(clip_path.name.split(".")[0], info, sources, sample_rate, guide)
    project.settings["subjects"] = "all"
    project.settings["envelope"] = envelope  # a merge or split rebuilds in the same mode
    progress(1.0, f"{len(sources)} subject(s) analysed")
    return project


# ----------------------------------------------------------------------------- edits

def _rebuild(project: Project, names: list[str], tracks: list[Track], models_dir, use_pose, progress, cancel,
             keep_from: list[Source | None], gone: tuple[str, ...] = ()) -> list[Source]:
    """New sources for `tracks` (`keep_from`: the sources they replace, whose user choices
    stay; `gone`: other sources they absorb); the rest of the project's are kept as they are."""
    hfov = keep_from[0].trajectory.hfov_deg if keep_from and keep_from[0] is not None else 90.0
    touched = {s.name for s in keep_from if s is not None} | set(gone)
    mode = str(project.settings.get("envelope", "auto"))  # as the project was analysed
    heard = mode in ("auto", "audio")
    new = sources_for_tracks(project.clip.path, project.clip, tracks, names, hfov, models_dir, use_pose,
                             progress, cancel, mode if heard else "video",
                             kept=[s for s in project.sources if s.name not in touched] if heard else [])
    for s, old in zip(new, keep_from):
        if mode not in ("auto", "audio", "video") and old is not None:  # none, performed, CSV: as it was
            s.envelope = old.envelope.copy()
        if old is not None:  # the user's choices stay: reference, surfaces, engine, options, takes, pan mapping
            s.reference, s.engine, s.takes = old.reference, old.engine, old.takes
            s.engine_options, s.surfaces = dict(old.engine_options), list(old.surfaces)
            s.trajectory = with_pan_mapping(s.trajectory, s.track, project.clip, old.trajectory.pan_mode,
                                            old.trajectory.pan_width, old.trajectory.hfov_deg)
    return new


def merge_sources(project: Project, keep: str, other: str, models_dir: str | Path | None = "models",
                  use_pose: bool | None = None, progress: ProgressFn = null_progress,
                  cancel: CancelToken | None = None) -> Source:
    """Merge `other` into `keep` (one person tracked twice); `other` is removed from the project."""
    a, b = project.source(keep), project.source(other)
    if a is b:
        raise InputError(project.path, "cannot merge a source with itself")
    merged = merge_tracks(a.track, b.track)
    new = _rebuild(project, [a.name], [merged], models_dir, use_pose, progress, cancel, [a], (b.name,))[0]
    project.sources[project.sources.index(a)] = new
    project.sources.remove(b)
    return new


def split_source(project: Project, name: str, frame: int, new_name: str | None = None,
                 models_dir: str | Path | None = "models", use_pose: bool | None = None,
                 progress: ProgressFn = null_progress, cancel: CancelToken | None = None) -> tuple[Source, Source]:
    """Split a source at `frame` (two people on one track): the second part becomes a new source."""
    src = project.source(name)
    first, second = split_track(src.track, frame)
    taken = {s.name for s in project.sources}
    if new_name is None:
        k = len(project.sources) + 1
        while f"subject{k}" in taken:
            k += 1
        new_name = f"subject{k}"
    elif new_name in taken:
        raise InputError(project.path, f"a source named {new_name!r} already exists")
    a, b = _rebuild(project, [src.name, new_name], [first, second], models_dir, use_pose, progress, cancel,
                    [src, None])
    b.reference = Reference(src.reference.path, list(src.reference.files), src.reference.text)
    i = project.sources.index(src)
    project.sources[i] = a
    project.sources.insert(i + 1, b)
    return a, b


def delete_source(project: Project, name: str) -> Source:
    """Remove a source (not a person, or not wanted); returns it so an undo can put it back."""
    src = project.source(name)
    project.sources.remove(src)
    return src


def find_subjects(clip: str | Path, reference: Reference | None = None, hfov_deg: float = 90.0,
                  sample_rate: int = 48000, models_dir: str | Path | None = "models",
                  progress: ProgressFn = null_progress, cancel: CancelToken | None = None,
                  pan_mode: str = "screen", pan_width: float = 1.0) -> Project:
    """Every person in the clip, one Source each; each gets `reference` (e.g. the subject the
    designer already set up) when given, else the default reference, and the pan mapping
    given (the designer's Width and mode carry over to the subjects found)."""
    project = analyze_multi(clip, hfov_deg=hfov_deg, sample_rate=sample_rate, models_dir=models_dir,
                            progress=progress, cancel=cancel)
    for s in project.sources:
        s.trajectory = with_pan_mapping(s.trajectory, s.track, project.clip, pan_mode, pan_width, hfov_deg)
    if reference is not None and (reference.path or reference.files):
        for s in project.sources:
            s.reference = Reference(reference.path, list(reference.files), reference.text)
    return project


__all__ = ["analyze_multi", "build_source", "delete_source", "find_subjects", "merge_sources", "shared_distances",
           "sources_for_tracks", "split_source"]

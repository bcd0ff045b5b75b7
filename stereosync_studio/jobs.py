"""The jobs the CLI and the Studio share: analyze a clip, render takes, evaluate, export.

Each job is a plain function with `progress(fraction, message)` and a `CancelToken`, so the
CLI calls it directly and the GUI runs it in a worker thread. Nothing here imports Qt or torch.
"""

from __future__ import annotations

import datetime as _dt
import re
from pathlib import Path
from typing import Any

import numpy as np

from .core.envelope import Envelope
from .core.errors import InputError, StereoSyncError
from .core.progress import CancelToken, ProgressFn, null_progress, sub_progress
from .core.project import ClipInfo, Project, Reference, Source, TakeInfo
from .core.track import Track
from .core.trajectory import Trajectory

AUDIO_EXTS = (".wav", ".flac", ".ogg", ".mp3", ".aif", ".aiff", ".m4a", ".opus")


def parse_box(text: str) -> tuple[list[float], int]:
    """Parse the CLI's `x0,y0,x1,y1@FRAME` (frame defaults to 0)."""
    m = re.fullmatch(r"\s*([-\d.]+),([-\d.]+),([-\d.]+),([-\d.]+)(?:@(\d+))?\s*", text)
    if not m:
        raise StereoSyncError(f"bad --box {text!r}: expected x0,y0,x1,y1@FRAME")
    box = [float(m.group(i)) for i in range(1, 5)]
    if box[2] <= box[0] or box[3] <= box[1]:
        raise StereoSyncError(f"bad --box {text!r}: x1 must exceed x0 and y1 exceed y0")
    return box, int(m.group(5) or 0)


def reference_files(ref: Reference | str | Path) -> list[str]:
    """Audio files named by a reference: its chosen files, or every audio file in its folder."""
    if isinstance(ref, Reference):
        if ref.files:
            return list(ref.files)
        path = Path(ref.path) if ref.path else None
    else:
        path = Path(ref)
    if path is None:
        return []
    if path.is_dir():
        files = sorted(str(p) for p in path.iterdir() if p.suffix.lower() in AUDIO_EXTS and p.is_file())
        if not files:
            raise InputError(path, "folder holds no audio files (wav, flac, ogg, mp3, aiff)")
        return files
    if not path.exists():
        raise InputError(path, "reference not found")
    return [str(path)]


def analyze_clip(clip_path: str | Path, box: tuple[list[float], int] | None = None,
                 envelope: str = "audio", hfov_deg: float = 90.0, sample_rate: int = 48000,
                 subjects: str = "one", max_subjects: int = 4, models_dir: str = "models",
                 progress: ProgressFn = null_progress, cancel: CancelToken | None = None) -> Project:
    """Probe, track and derive lanes for a clip; returns a new Project.

    `envelope` is "audio" (the clip's guide track), "video" (steps found in the picture),
    "auto" (audio when the clip has audible sound, else video),
    "none" (flat silence, to be drawn), or the path of a CSV file. `subjects="all"` finds every
    person (one Source each, envelopes from their own steps in the picture).
    """
    from .analysis.box_features import box_features
    from .analysis.tracking import track_clip
    from .media.video import probe

    cancel = cancel or CancelToken()
    clip_path = Path(clip_path)
    if subjects == "all":
        from .analysis.subjects import analyze_multi

        return analyze_multi(clip_path, max_subjects, hfov_deg, sample_rate, models_dir, progress=progress,
                             cancel=cancel)
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
    source = Source("subject1", track, env, traj, Reference(), features=features)
    project = Project(name, info, [source], sample_rate, guide)
    progress(1.0, "analysis done")
    return project


def trajectory_from_track(track: Track, info: ClipInfo, hfov_deg: float = 90.0) -> Trajectory:
    """Pan from the box centres, distance from the box heights (smoothed), following the box."""
    from .analysis.distance import distance_from_track

    traj = Trajectory.from_track(track, info.width, info.height, info.fps, hfov_deg)
    if not np.isnan(track.boxes[:, 0]).all():
        traj.distance = np.asarray(distance_from_track(track, info.height, fps=info.fps), np.float64)
        traj.__post_init__()  # re-clamp the new curve
    traj.follow_box = True
    return traj


def guide_envelope(clip_path: str | Path, info: ClipInfo) -> Envelope | None:
    """RMS envelope of the clip's own audio (None when the clip is silent or has no audio)."""
    from .analysis.envelope_audio import envelope_from_audio
    from .media.video import read_guide_audio

    if not info.has_audio:
        return None
    audio = read_guide_audio(str(clip_path), 48000)
    if audio is None or not np.isfinite(audio).all() or np.abs(audio).max() < 1e-6:
        return None
    return envelope_from_audio(audio, 48000).with_duration(info.duration)


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
        from .analysis import steps_video  # issue: steps found in the picture

        return steps_video.envelope_from_video(str(clip_path), track, progress=progress, cancel=cancel,
                                               models_dir=models_dir)
    from .analysis.envelope_audio import envelope_from_csv

    if not Path(mode).exists() and Path(mode).suffix.lower() != ".csv":
        raise InputError(mode, "not an envelope mode (auto, audio, video, none) nor a CSV file")
    return envelope_from_csv(mode, info.duration)


def build_request(project: Project, source: Source, seed: int, options: dict[str, Any] | None = None,
                  models_dir: str = "models"):
    """The engine request for one take of `source`."""
    from .engines.base import GenerationRequest

    opts = dict(source.engine_options)
    opts.update(options or {})
    opts.setdefault("hfov_deg", source.trajectory.hfov_deg)
    return GenerationRequest(
        duration=project.clip.duration, sample_rate=project.sample_rate,
        envelope=source.envelope.with_duration(project.clip.duration), trajectory=source.trajectory,
        reference_files=reference_files(source.reference), seed=int(seed), options=opts,
        track=source.track, frame_size=(project.clip.width, project.clip.height), fps=project.clip.fps,
        features=source.features, reference_text=source.reference.text, models_dir=models_dir)


def take_filename(project: Project, source: Source, index: int, always_source: bool = False) -> str:
    """`<clip>_take01.wav` for one source, `<clip>_<source>_take01.wav` with several."""
    if always_source or len(project.sources) > 1:
        return f"{project.name}_{_safe(source.name)}_take{index:02d}.wav"
    return f"{project.name}_take{index:02d}.wav"


def render_takes(project: Project, outdir: str | Path, n_takes: int = 1, seed: int = 0,
                 engine: str | None = None, options: dict[str, Any] | None = None,
                 sources: list[str] | None = None, models_dir: str = "models", preview: bool = False,
                 evaluate: bool = True, progress: ProgressFn = null_progress,
                 cancel: CancelToken | None = None) -> list[TakeInfo]:
    """Generate `n_takes` takes per source, write them as WAV, add them to the project.

    Seeds are seed, seed+1, ...; take numbers continue after the source's existing takes.
    """
    from .engines.base import get_engine
    from .media.audio import write_wav

    cancel = cancel or CancelToken()
    outdir = output_dir(outdir)
    if preview:
        _check_clip(project)
    chosen = [project.source(n) for n in sources] if sources else list(project.sources)
    made: list[TakeInfo] = []
    jobs = [(s, k) for s in chosen for k in range(n_takes)]
    for j, (source, k) in enumerate(jobs):
        cancel.check()
        part = sub_progress(progress, j / len(jobs), (j + 1) / len(jobs))
        eng = get_engine(engine or source.engine, models_dir)
        ok, why = eng.availability()
        if not ok:
            raise StereoSyncError(f"engine {eng.name!r} unavailable: {why}")
        take_seed = int(seed) + k
        request = build_request(project, source, take_seed, options, models_dir)
        part(0.0, f"{source.name}: take {k + 1}/{n_takes} (seed {take_seed})")
        take = eng.generate(request, sub_progress(part, 0.0, 0.9), cancel)
        index = _next_take_index(source)
        while (outdir / take_filename(project, source, index)).exists():  # never overwrite a take on disk
            index += 1
        path = outdir / take_filename(project, source, index)
        write_wav(path, take.audio, take.sample_rate, bits=24, time_reference=0,
                  description=f"StereoSync {eng.name} seed {take_seed} source {source.name}")
        info = TakeInfo(str(path), f"take{index:02d}", eng.name, take_seed, take.sample_rate,
                        _dt.datetime.now().isoformat(timespec="seconds"), {},
                        {k2: v for k2, v in request.options.items() if _jsonable(v)})
        if evaluate:
            part(0.92, "metrics")
            info.metrics = evaluate_audio(take.audio, take.sample_rate, project, source,
                                          spatial_mode=str(request.options.get("mode", "stereo")))
        if preview:
            from .media.mux import mux_preview

            part(0.95, "preview mp4")
            mux_preview(project.clip.path, take.audio, take.sample_rate, path.with_suffix(".mp4"))
        source.takes.append(info)
        made.append(info)
        part(1.0, f"wrote {path.name}")
    progress(1.0, f"{len(made)} take(s) written")
    return made


def evaluate_audio(audio: np.ndarray, sr: int, project: Project, source: Source,
                   reference_audio: np.ndarray | None = None, reference_sr: int | None = None,
                   step_times: list[float] | None = None, spatial_mode: str = "stereo") -> dict[str, float]:
    """All metrics of a take against its source's lanes (see metrics.evaluate_take).

    `spatial_mode` is how the take was rendered ("binaural" takes are localised by ITD)."""
    from .metrics import evaluate_take

    ref = reference_audio
    if ref is not None and reference_sr is not None and reference_sr != sr:
        from .media.audio import resample

        ref = resample(ref, reference_sr, sr)
    return evaluate_take(audio, sr, source.envelope.with_duration(project.clip.duration), source.trajectory,
                         source.track, project.clip.width, source.trajectory.hfov_deg,
                         reference_audio=ref, step_times=step_times, spatial_mode=spatial_mode)


def evaluate_file(take_path: str | Path, project: Project, source_name: str | None = None,
                  reference_audio: str | Path | None = None) -> dict[str, float]:
    """Metrics for a take file (the CLI's `eval`)."""
    from .media.audio import read_audio

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


def export_stems(project: Project, takes: list[tuple[str, TakeInfo]], outdir: str | Path,
                 sample_rate: int = 48000, bits: int = 24, preview: bool = False,
                 time_reference: int = 0, progress: ProgressFn = null_progress,
                 cancel: CancelToken | None = None) -> list[Path]:
    """Write chosen takes as delivery stems `<clip>_<source>_takeNN.wav` (atomic, BWF)."""
    from .media.audio import read_audio, write_wav

    cancel = cancel or CancelToken()
    outdir = output_dir(outdir)
    if preview:
        _check_clip(project)
    written: list[Path] = []
    for i, (source_name, take) in enumerate(takes):
        cancel.check()
        progress(i / max(len(takes), 1), f"exporting {take.name}")
        audio, sr = read_audio(take.path, sample_rate)
        n = int(round(project.clip.duration * sample_rate))
        audio = _fit_length(audio, n)
        number = int(re.sub(r"\D", "", take.name) or i + 1)
        path = outdir / f"{project.name}_{_safe(source_name)}_take{number:02d}.wav"
        write_wav(path, audio, sample_rate, bits=bits, time_reference=time_reference,
                  description=f"StereoSync take {take.name} ({take.engine}, seed {take.seed})")
        written.append(path)
        if preview:
            from .media.mux import mux_preview

            mux_preview(project.clip.path, audio, sample_rate, path.with_suffix(".mp4"))
    progress(1.0, f"exported {len(written)} stem(s)")
    return written


def _check_clip(project: Project) -> None:
    """The preview mp4 needs the clip: say so before any work if it was moved away."""
    if not Path(project.clip.path).is_file():
        raise InputError(project.clip.path, "clip not found (moved or deleted?): the preview mp4 needs it")


def output_dir(path: str | Path) -> Path:
    """Create the output folder (and its parents); InputError when that is impossible."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise InputError(path, "output folder is an existing file")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(path, f"cannot create the output folder ({exc.strerror or exc})") from exc
    return path


def _fit_length(audio: np.ndarray, n: int) -> np.ndarray:
    if audio.shape[1] >= n:
        return audio[:, :n]
    return np.pad(audio, ((0, 0), (0, n - audio.shape[1])))


def _next_take_index(source: Source) -> int:
    used = [int(re.sub(r"\D", "", t.name) or 0) for t in source.takes]
    return max(used, default=0) + 1


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "-", name).strip("-") or "source"


def _jsonable(v: Any) -> bool:
    return isinstance(v, (str, int, float, bool)) or v is None


def default_project_path(outdir: str | Path, project: Project) -> Path:
    return Path(outdir) / f"{project.name}.stereosync.json"


__all__ = [
    "analyze_clip", "build_request", "default_project_path", "evaluate_audio", "evaluate_file",
    "export_stems", "guide_envelope", "make_envelope", "output_dir", "parse_box", "reference_files", "render_takes",
    "take_filename", "trajectory_from_track",
]

"""Training the learned models from the user's clips: the diffusion adapter and the mapper.

Why jobs: training needs both sides of the layering. The clips are measured with analysis
(subject tracking, motion features, the papers' RMS envelope) and the models are trained by
code that never imports analysis (`engines.diffusion`, `learned`); this module measures and
hands arrays across. Each job is a plain function with `progress(fraction, message)` and a
`CancelToken`; the CLI faces (`cli.train`, `cli.mapper`) only parse arguments. torch is
imported by the training code, never here, and only when a job runs.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..core.errors import InputError
from ..core.formats import AUDIO_EXTS, VIDEO_EXTS, files_in, is_video, video_files_in
from ..core.progress import CancelToken, ProgressFn, null_progress, sub_progress
from ..core.track import Track

if TYPE_CHECKING:  # annotations only: importing these loads torch
    from ..engines.diffusion.clap import ClapEncoder
    from ..engines.diffusion.dataset import ClipMaterial, PrepSettings
    from ..engines.diffusion.model import AdapterConfig
    from ..engines.diffusion.training import TrainResult, TrainSettings
    from ..learned.mapper_training import MapperClip

__all__ = ["MAPPER_AUDIO_SR", "adapter_clips", "default_adapter_path", "load_adapter_clip", "prepare_adapter_chunks",
           "prepare_mapper_clip", "train_adapter", "train_mapper"]

MAPPER_AUDIO_SR = 48000  # the guide audio the mapper's targets are measured on


# ----------------------------------------------------------------------------- the adapter

def default_adapter_path(base_dir: str | Path) -> Path:
    """Where a trained adapter goes by default: `<models>/stereosync/adapter.safetensors`."""
    return Path(base_dir).parent / "stereosync" / "adapter.safetensors"


def adapter_clips(clips_dir: str | Path) -> list[Path]:
    """Videos and audio files anywhere under `clips_dir` (hidden files and folders skipped)."""
    root = Path(clips_dir)
    found = [Path(p) for p in files_in(root, VIDEO_EXTS + AUDIO_EXTS, "clips", recursive=True)]
    return [p for p in found if not any(part.startswith(".") for part in p.relative_to(root).parts)]


def load_adapter_clip(path: Path, settings: PrepSettings, progress: ProgressFn = null_progress,
                      cancel: CancelToken | None = None) -> ClipMaterial:
    """Measure one training clip for the diffusion dataset (a `ClipMaterial`).

    A video's own soundtrack is the target and the tracker gives the boxes (unless the
    sidecar has them); an audio file takes fps, frame size, boxes and depth from its sidecar.
    The envelope is the papers' RMS of the (chunk-padded) audio."""
    from ..analysis.envelope_audio import envelope_from_audio
    from ..engines.diffusion.dataset import ClipMaterial, pad_to_chunk, read_sidecar

    meta = read_sidecar(path)
    sr = int(settings.sample_rate)
    if is_video(path):
        from ..media.video import probe, read_guide_audio

        info = probe(path)
        audio = read_guide_audio(path, sr)
        if audio is None:
            raise InputError(path, "has no audio track: there is no target sound to learn from")
        fps, size = float(info.fps), (int(info.width), int(info.height))
        if "track" in meta:
            track = Track.from_dict(meta["track"])
        else:
            from ..analysis.tracking import track_clip

            track = track_clip(path, progress=progress, cancel=cancel)
    else:
        from ..media.audio import read_audio, to_stereo

        audio = to_stereo(read_audio(path, sr)[0])
        fps = float(meta.get("fps", 25.0))
        size = (int(meta.get("width", 1280)), int(meta.get("height", 720)))
        track = Track.from_dict(meta["track"]) if "track" in meta else None
    depth = np.asarray(meta["depth"], np.float32) if meta.get("depth") is not None else None
    audio = pad_to_chunk(audio, settings)
    return ClipMaterial(audio, fps, size, track, depth, envelope_from_audio(audio, sr))


def prepare_adapter_chunks(clips_dir: str | Path, cache_dir: str | Path, settings: PrepSettings,
                           clap: ClapEncoder | None, progress: ProgressFn = null_progress,
                           cancel: CancelToken | None = None, clap_path: Path | None = None) -> list[Path]:
    """Prepare (or reuse from `cache_dir`) every clip's chunks; the .npz files that hold some.

    `settings` is the diffusion dataset's `PrepSettings`; `clap` embeds the chunks' audio
    (None: zeros, for tests and cached clips)."""
    from ..engines.diffusion.dataset import prepare_dataset

    files = prepare_dataset(adapter_clips(clips_dir), cache_dir, settings, clap, load_adapter_clip, progress,
                            cancel, clap_path)
    if not files:
        raise InputError(clips_dir, f"no usable chunks: every clip is shorter than "
                                    f"{settings.chunk_seconds} s or silent")
    return files


def _newest_clap(models: Path) -> Path | None:
    from ..engines.diffusion.checks import list_clap

    found = list_clap(models)
    return max(found, key=lambda q: q.stat().st_mtime) if found else None


def _settings(cls: type, value: Any) -> Any:
    """`value` as an instance of `cls`: None -> defaults, a mapping -> cls(**mapping)."""
    if value is None:
        return cls()
    return cls(**value) if isinstance(value, Mapping) else value


def train_adapter(clips_dir: str | Path, base_dir: str | Path, out: str | Path | None = None,
                  clap_path: str | Path | None = None,
                  settings: TrainSettings | Mapping[str, Any] | None = None,
                  adapter_shape: AdapterConfig | Mapping[str, Any] | None = None,
                  cache_dir: str | Path | None = None, fresh: bool = False, prepare_only: bool = False,
                  progress: ProgressFn = null_progress, cancel: CancelToken | None = None) -> TrainResult:
    """Prepare the clips and train (or continue training) the StereoSync adapter at `out`.

    `settings`: a `TrainSettings` or a mapping of its fields (steps, batch_size, lr,
    cfg_dropout, save_every, seed, device); `adapter_shape`: an `AdapterConfig` or a mapping
    of its fields, used for a new adapter only (a resumed one keeps its own). `out` defaults
    to `default_adapter_path(base_dir)`, `clap_path` to the newest `<models>/clap` checkpoint,
    `cache_dir` to `<out folder>/cache`. Returns the engine's `TrainResult`; Cancelled when
    stopped (the adapter so far is saved)."""
    from ..engines.diffusion.model import AdapterConfig
    from ..engines.diffusion.training import TrainSettings, fit, open_run

    cancel = cancel or CancelToken()
    out = Path(out) if out is not None else default_adapter_path(base_dir)
    clap_path = Path(clap_path) if clap_path is not None else _newest_clap(Path(base_dir).parent)
    run = open_run(base_dir, clap_path, out, _settings(TrainSettings, settings),
                   _settings(AdapterConfig, adapter_shape) if adapter_shape is not None else None,
                   fresh, prepare_only, progress)
    if run.done:
        return run.result()
    clap = run.clap_encoder()
    cache = Path(cache_dir) if cache_dir else out.parent / "cache"
    files = prepare_adapter_chunks(clips_dir, cache, run.prep_settings(), clap, sub_progress(progress, 0.0, 0.2),
                                   cancel, clap_path=run.clap_path)
    del clap
    return fit(run, files, sub_progress(progress, 0.2, 1.0), cancel, prepare_only)


# ----------------------------------------------------------------------------- the mapper

def prepare_mapper_clip(path: str | Path, use_pose: bool | None = None, progress: ProgressFn = null_progress,
                        cancel: CancelToken | None = None) -> MapperClip | None:
    """Track the subject, measure it and read the guide audio: a `learned` MapperClip
    (features and targets), or None if the clip has no usable audio or no subject."""
    from ..analysis.mapper_features import mapper_features, mapper_targets
    from ..analysis.motion import analyze_subjects
    from ..analysis.tracking import track_clip
    from ..learned.mapper_training import MapperClip
    from ..media.video import probe, read_guide_audio

    cancel = cancel or CancelToken()
    info = probe(path)
    if not info.has_audio:
        return None
    audio = read_guide_audio(str(path), MAPPER_AUDIO_SR)
    if audio is None or not np.isfinite(audio).all() or np.abs(audio).max() < 1e-5:
        return None
    track = track_clip(str(path), progress=sub_progress(progress, 0.0, 0.4), cancel=cancel)
    if np.isnan(track.boxes[:, 0]).all():
        return None
    motion = analyze_subjects(path, [track], use_pose, sub_progress(progress, 0.4, 1.0), cancel)[0]
    return MapperClip(str(path), mapper_features(motion), mapper_targets(audio, MAPPER_AUDIO_SR, motion.duration))


def train_mapper(clips_dir: str | Path, out_path: str | Path, epochs: int = 200, chunk_s: float = 2.0,
                 batch: int = 8, lr: float = 1e-3, seed: int = 0, use_pose: bool | None = None,
                 progress: ProgressFn = null_progress, cancel: CancelToken | None = None) -> dict:
    """Learn the video-to-envelope mapper from the video clips of `clips_dir` (their own audio
    gives the targets) and save it to `out_path`; the report as a dict.

    About a fifth of the clips (at least one, when there are three or more) are held out for
    acc@1/5/10 and E-L1. Clips without audio or without a trackable subject are skipped and
    listed under "skipped"."""
    from ..analysis.mapper_features import FEATURE_RATE, MAPPER_RATE, N_FEATURES
    from ..learned.mapper import MapperConfig
    from ..learned.mapper_training import fit_mapper

    cancel = cancel or CancelToken()
    paths = [Path(p) for p in video_files_in(clips_dir)]
    data, skipped = [], []
    for i, p in enumerate(paths):
        cancel.check()
        part = sub_progress(progress, 0.4 * i / len(paths), 0.4 * (i + 1) / len(paths))
        part(0.0, f"preparing {p.name}")
        try:
            clip = prepare_mapper_clip(p, use_pose, part, cancel)
        except InputError as exc:
            skipped.append(f"{p.name}: {exc.problem}")
            continue
        if clip is None:
            skipped.append(f"{p.name}: no audio track or no subject found")
        else:
            data.append(clip)
    if not data:
        raise InputError(clips_dir, "no clip has both a usable audio track and a trackable subject")
    n_val = max(1, round(0.2 * len(data))) if len(data) >= 3 else 0
    train, val = data[: len(data) - n_val], data[len(data) - n_val:]
    cfg = MapperConfig(N_FEATURES, FEATURE_RATE, MAPPER_RATE)
    result = fit_mapper(train, cfg, out_path, epochs=epochs, chunk_s=chunk_s, batch=batch, lr=lr,
                        val_clips=val or None, seed=seed, progress=sub_progress(progress, 0.4, 1.0), cancel=cancel)
    result["skipped"] = skipped
    return result

"""Training data for the adapter: clips -> cached 2 s chunks (StereoSync §IV.C).

Each clip gives its audio (the target), the RMS envelope of that audio (the ControlNet
input), per-frame boxes (tracked, or from a sidecar the user corrected in the Studio), depth
features (a depth model's, or the distance curve from the boxes) and, per chunk, the CLAP
embedding of the chunk's audio. Chunks are cached as one .npz per clip keyed by the clip's
size/mtime and the preparation settings, so re-running `stereosync train` only prepares new
or changed clips.

Accepted clips: videos (their own soundtrack is the target; boxes from the tracker unless a
sidecar exists) and audio files with a sidecar `<name>.stereosync.json`:
`{"fps": 25, "width": 1280, "height": 720, "track": Track.to_dict(), "depth": [[...], ...]}`
(audio without a sidecar trains the sound and the envelope with a centred, static subject).
"""

from __future__ import annotations

import hashlib
import io
import json
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch

from ...core.envelope import Envelope
from ...core.errors import InputError
from ...core.progress import CancelToken, ProgressFn, null_progress, sub_progress
from ...core.fileio import atomic_write_bytes
from ...core.track import Track
from ...core.trajectory import Trajectory
from .features import boxes_normalised, depth_per_frame, envelope_signal, tokens_over_window

VIDEO_EXTS = {".mp4", ".mov", ".mkv", ".avi", ".webm", ".m4v"}
AUDIO_EXTS = {".wav", ".flac", ".ogg", ".mp3", ".aif", ".aiff", ".m4a"}
SIDECAR = ".stereosync.json"
CACHE_VERSION = 1


@dataclass
class PrepSettings:
    """What a prepared chunk depends on (part of the cache key)."""

    sample_rate: int
    chunk_seconds: float = 2.0
    box_rate: float = 30.0
    depth_rate: float = 4.0
    depth_dim: int = 16
    depth_source: str = "distance"
    min_peak: float = 1e-4  # chunks quieter than this teach nothing and are skipped


def list_clips(clips_dir: str | Path) -> list[Path]:
    d = Path(clips_dir)
    if not d.is_dir():
        raise InputError(d, "clips folder not found")
    clips = sorted(p for p in d.rglob("*") if p.is_file() and p.suffix.lower() in VIDEO_EXTS | AUDIO_EXTS
                   and not any(part.startswith(".") for part in p.relative_to(d).parts))
    if not clips:
        raise InputError(d, f"no clips here (videos {sorted(VIDEO_EXTS)} or audio files with a "
                            f"'{SIDECAR}' sidecar)")
    return clips


def sidecar_path(clip: Path) -> Path:
    return clip.with_name(clip.stem + SIDECAR)


def envelope_of(audio: np.ndarray, sample_rate: int) -> Envelope:
    """The papers' RMS envelope of `audio` (the analysis module's definition)."""
    try:
        from ...analysis.envelope_audio import envelope_from_audio
    except ImportError:  # analysis.envelope_audio not installed yet: same definition inline
        import librosa

        from ...core.envelope import ENVELOPE_FRAME, ENVELOPE_HOP, ENVELOPE_SR
        from ...media.audio import resample

        mono = np.asarray(audio, np.float32).reshape(-1, np.shape(audio)[-1]).mean(axis=0)
        mono = resample(mono, int(sample_rate), ENVELOPE_SR)
        rms = librosa.feature.rms(y=mono, frame_length=ENVELOPE_FRAME, hop_length=ENVELOPE_HOP)[0]
        return Envelope(rms, origin="audio")
    return envelope_from_audio(audio, sample_rate)


def load_clip(path: Path, sample_rate: int, progress: ProgressFn = null_progress,
              cancel: CancelToken | None = None) -> dict:
    """Audio (2, N) at `sample_rate`, fps, frame size, Track (or None), depth features (or None)."""
    from ...media.audio import read_audio, to_stereo

    side = sidecar_path(path)
    meta = {}
    if side.is_file():
        try:
            meta = json.loads(side.read_text("utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise InputError(side, f"sidecar is not valid JSON ({exc})") from None
    if path.suffix.lower() in VIDEO_EXTS:
        from ...media.video import probe, read_guide_audio

        info = probe(path)
        audio = read_guide_audio(path, sample_rate)
        if audio is None:
            raise InputError(path, "has no audio track: there is no target sound to learn from")
        fps, size = float(info.fps), (int(info.width), int(info.height))
        if "track" in meta:
            track = Track.from_dict(meta["track"])
        else:
            from ...analysis.tracking import track_clip

            track = track_clip(path, progress=progress, cancel=cancel)
    else:
        audio, _ = read_audio(path, sample_rate)
        audio = to_stereo(audio)
        fps = float(meta.get("fps", 25.0))
        size = (int(meta.get("width", 1280)), int(meta.get("height", 720)))
        track = Track.from_dict(meta["track"]) if "track" in meta else None
    depth = np.asarray(meta["depth"], np.float32) if meta.get("depth") is not None else None
    return {"audio": audio, "fps": fps, "size": size, "track": track, "depth": depth}


def _cache_key(path: Path, settings: PrepSettings, clap_path: Path | None) -> str:
    st = path.stat()
    side = sidecar_path(path)
    parts = [CACHE_VERSION, str(path.resolve()), st.st_size, st.st_mtime_ns,
             side.stat().st_mtime_ns if side.is_file() else 0, asdict(settings),
             str(clap_path) if clap_path else ""]
    return hashlib.sha1(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:16]


def chunk_clip(material: dict, settings: PrepSettings, clap) -> dict[str, np.ndarray]:
    """Cut one clip into chunks with all their conditioning (arrays stacked over chunks)."""
    sr = settings.sample_rate
    audio = np.asarray(material["audio"], np.float32)
    L = int(round(settings.chunk_seconds * sr))
    if audio.shape[1] < L:
        audio = np.pad(audio, ((0, 0), (0, L - audio.shape[1])))
    env = envelope_of(audio, sr)
    track, fps, size = material["track"], material["fps"], material["size"]
    n_frames = max(1, int(round(audio.shape[1] / sr * fps)))
    traj = Trajectory.from_track(track, size[0], size[1], fps) if track is not None and len(track) \
        else Trajectory(np.zeros(n_frames), np.ones(n_frames), fps)
    boxes = boxes_normalised(track, size, traj)
    feats = {"depth": material["depth"]} if material.get("depth") is not None else None
    depth, _ = depth_per_frame(feats, traj.distance, settings.depth_dim, settings.depth_source)
    out = {k: [] for k in ("audio", "control", "boxes", "depth", "clap", "start")}
    for start in range(0, audio.shape[1] - L + 1, L):
        a = audio[:, start:start + L]
        if float(np.abs(a).max()) < settings.min_peak:
            continue
        s0 = start / sr
        out["audio"].append(a)
        out["control"].append(envelope_signal(env, s0, L, sr)[0])
        out["boxes"].append(tokens_over_window(boxes, fps, s0, settings.chunk_seconds, settings.box_rate))
        out["depth"].append(tokens_over_window(depth, fps, s0, settings.chunk_seconds, settings.depth_rate))
        out["clap"].append(clap.embed_audio(a, sr) if clap is not None else np.zeros(512, np.float32))
        out["start"].append(s0)
    if not out["audio"]:
        return {}
    return {k: np.stack(v).astype(np.float32) for k, v in out.items()}


def prepare_dataset(clips_dir: str | Path, cache_dir: str | Path, settings: PrepSettings, clap,
                    progress: ProgressFn = null_progress, cancel: CancelToken | None = None,
                    clap_path: Path | None = None) -> list[Path]:
    """Prepare (or reuse) every clip's chunk file; returns the .npz paths that hold chunks."""
    cancel = cancel or CancelToken()
    clips = list_clips(clips_dir)
    cache = Path(cache_dir)
    cache.mkdir(parents=True, exist_ok=True)
    out = []
    for i, clip in enumerate(clips):
        cancel.check()
        target = cache / f"{clip.stem}-{_cache_key(clip, settings, clap_path)}.npz"
        step = sub_progress(progress, i / len(clips), (i + 1) / len(clips))
        if not target.is_file():
            step(0.0, f"preparing {clip.name}")
            material = load_clip(clip, settings.sample_rate, sub_progress(step, 0.0, 0.7), cancel)
            feats = material["depth"]
            if settings.depth_source == "features" and (
                    feats is None or feats.ndim != 2 or feats.shape[1] != settings.depth_dim):
                raise InputError(sidecar_path(clip), f"depth source 'features' needs a 'depth' entry with "
                                                     f"{settings.depth_dim} values per frame")
            arrays = chunk_clip(material, settings, clap)
            buf = io.BytesIO()
            np.savez(buf, **(arrays or {"empty": np.zeros(0)}))
            atomic_write_bytes(target, buf.getvalue())
        step(1.0, f"{clip.name} ready")
        with np.load(target) as z:
            if "audio" in z.files:
                out.append(target)
    if not out:
        raise InputError(clips_dir, f"no usable chunks: every clip is shorter than "
                                    f"{settings.chunk_seconds} s or silent")
    return out


class ChunkDataset(torch.utils.data.Dataset):
    """All prepared chunks in memory: (audio (2, L), control (2, L), conditioning metadata)."""

    def __init__(self, files: list[Path]):
        parts = {k: [] for k in ("audio", "control", "boxes", "depth", "clap")}
        for f in files:
            with np.load(f) as z:
                for k in parts:
                    parts[k].append(z[k])
        self.data = {k: np.concatenate(v) for k, v in parts.items()}
        self.seconds = self.data["audio"].shape[2]

    def __len__(self) -> int:
        return len(self.data["audio"])

    def __getitem__(self, i: int):
        c = torch.from_numpy(self.data["control"][i])
        return {"audio": torch.from_numpy(self.data["audio"][i]), "control": torch.stack([c, c]),
                "clap": torch.from_numpy(self.data["clap"][i]),
                "boxes": torch.from_numpy(self.data["boxes"][i]),
                "depth": torch.from_numpy(self.data["depth"][i])}


def collate(items: list[dict], sample_rate: int) -> tuple[torch.Tensor, torch.Tensor, list[dict]]:
    audio = torch.stack([it["audio"] for it in items])
    control = torch.stack([it["control"] for it in items])
    seconds = audio.shape[-1] / float(sample_rate)
    meta = [{"clap": it["clap"], "boxes": it["boxes"], "depth": it["depth"], "seconds_start": 0.0,
             "seconds_total": seconds} for it in items]
    return audio, control, meta

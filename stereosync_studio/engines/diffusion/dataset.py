"""Training data for the adapter: prepared clips -> cached 2 s chunks (StereoSync §IV.C).

Each clip gives its audio (the target), the RMS envelope of that audio (the ControlNet
input), per-frame boxes (tracked, or from a sidecar the user corrected in the Studio), depth
features (a depth model's, or the distance curve from the boxes) and, per chunk, the CLAP
embedding of the chunk's audio. Chunks are cached as one .npz per clip keyed by the clip's
size/mtime and the preparation settings, so re-running `stereosync train` only prepares new
or changed clips.

Why no analysis here: the engines layer never imports analysis. Measuring a clip (decoding,
tracking the subject, the audio's envelope) is the training job's (`jobs.train`); it hands
this module a `ClipMaterial` of arrays and core objects, and this module cuts, conditions
and caches the chunks.

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
from typing import TYPE_CHECKING, Callable

import numpy as np
import torch

from ...core.envelope import Envelope
from ...core.errors import InputError
from ...core.fileio import atomic_write_bytes
from ...core.progress import CancelToken, ProgressFn, null_progress, sub_progress
from ...core.track import Track
from ...core.trajectory import Trajectory
from .features import boxes_normalised, depth_per_frame, envelope_signal, tokens_over_window

if TYPE_CHECKING:
    from .clap import ClapEncoder

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


def sidecar_path(clip: Path) -> Path:
    return clip.with_name(clip.stem + SIDECAR)


def read_sidecar(clip: Path) -> dict:
    """The clip's sidecar as a dict ({} when there is none); InputError when it is not JSON."""
    side = sidecar_path(clip)
    if not side.is_file():
        return {}
    try:
        return json.loads(side.read_text("utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(side, f"sidecar is not valid JSON ({exc})") from None


@dataclass
class ClipMaterial:
    """One measured clip, ready to cut: what `chunk_clip` needs and nothing it must compute."""

    audio: np.ndarray  # (2, N) float32 at PrepSettings.sample_rate, at least one chunk long
    fps: float
    size: tuple[int, int]  # frame width, height
    track: Track | None  # the subject's boxes (None: a centred, static subject)
    depth: np.ndarray | None  # (frames, depth_dim) depth-model features, or None
    envelope: Envelope  # the papers' RMS envelope of `audio`


def pad_to_chunk(audio: np.ndarray, settings: PrepSettings) -> np.ndarray:
    """float32 `audio` zero-padded at the end to at least one chunk."""
    a = np.asarray(audio, np.float32)
    n = int(round(settings.chunk_seconds * settings.sample_rate))
    return np.pad(a, ((0, 0), (0, n - a.shape[1]))) if a.shape[1] < n else a


def chunk_file(clip: Path, cache_dir: Path, settings: PrepSettings, clap_path: Path | None) -> Path:
    """The cache file of a clip: keyed by the clip, its sidecar, the settings and the CLAP."""
    st = clip.stat()
    side = sidecar_path(clip)
    parts = [CACHE_VERSION, str(clip.resolve()), st.st_size, st.st_mtime_ns,
             side.stat().st_mtime_ns if side.is_file() else 0, asdict(settings),
             str(clap_path) if clap_path else ""]
    key = hashlib.sha1(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:16]
    return Path(cache_dir) / f"{clip.stem}-{key}.npz"


def check_depth_features(clip: Path, material: ClipMaterial, settings: PrepSettings) -> None:
    """Depth source "features" needs the sidecar's per-frame vectors of the adapter's size."""
    feats = material.depth
    if settings.depth_source == "features" and (
            feats is None or feats.ndim != 2 or feats.shape[1] != settings.depth_dim):
        raise InputError(sidecar_path(clip), f"depth source 'features' needs a 'depth' entry with "
                                             f"{settings.depth_dim} values per frame")


def chunk_clip(material: ClipMaterial, settings: PrepSettings, clap: ClapEncoder | None) -> dict[str, np.ndarray]:
    """Cut one clip into chunks with all their conditioning (arrays stacked over chunks)."""
    sr = settings.sample_rate
    audio = pad_to_chunk(material.audio, settings)
    L = int(round(settings.chunk_seconds * sr))
    env = material.envelope
    track, fps, size = material.track, material.fps, material.size
    n_frames = max(1, int(round(audio.shape[1] / sr * fps)))
    traj = Trajectory.from_track(track, size[0], size[1], fps) if track is not None and len(track) \
        else Trajectory(np.zeros(n_frames), np.ones(n_frames), fps)
    boxes = boxes_normalised(track, size, traj)
    feats = {"depth": material.depth} if material.depth is not None else None
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


ClipLoader = Callable[[Path, PrepSettings, ProgressFn, CancelToken], ClipMaterial]


def prepare_dataset(clips: list[Path], cache_dir: str | Path, settings: PrepSettings, clap: ClapEncoder | None,
                    load: ClipLoader, progress: ProgressFn = null_progress, cancel: CancelToken | None = None,
                    clap_path: Path | None = None) -> list[Path]:
    """Prepare (or reuse) every clip's chunk file; returns the .npz paths that hold chunks.

    `load` measures a clip that is not cached yet (the training job's tracker and envelope);
    a cached clip is neither loaded nor embedded (no CLAP needed)."""
    cancel = cancel or CancelToken()
    cache = Path(cache_dir)
    cache.mkdir(parents=True, exist_ok=True)
    out = []
    for i, clip in enumerate(clips):
        cancel.check()
        target = chunk_file(clip, cache, settings, clap_path)
        step = sub_progress(progress, i / len(clips), (i + 1) / len(clips))
        if not target.is_file():
            step(0.0, f"preparing {clip.name}")
            material = load(clip, settings, sub_progress(step, 0.0, 0.7), cancel)
            check_depth_features(clip, material, settings)
            arrays = chunk_clip(material, settings, clap)
            buf = io.BytesIO()
            np.savez(buf, **(arrays or {"empty": np.zeros(0)}))
            atomic_write_bytes(target, buf.getvalue())
        step(1.0, f"{clip.name} ready")
        with np.load(target) as z:
            if "audio" in z.files:
                out.append(target)
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

"""The learned video-to-envelope mapper (Stable-V2A stage 1, "RMS-Mapper"), small enough for a CPU.

Stable-V2A maps per-frame video features (TC-CLIP on RGB and RAFT flow) to the RMS envelope as
a classification: the envelope is mu-law encoded into 64 classes, targets get Gaussian label
smoothing (sigma 1, neighbours only, silence stays one-hot), and a network of three
Conv1d + BatchNorm + ReLU + Upsample blocks (video rate -> envelope rate), a two-layer
bidirectional LSTM and a linear layer is trained with cross-entropy. We keep that recipe and
scale it to what a designer's machine can learn from a few clips: the features are this
package's own per-frame measurements of the subject (flow statistics of the box and the feet
band, lower-body landmarks relative to the box, both swing-foot speeds), resampled to 30 fps
as in the paper; the envelope grid is ENVELOPE_RATE / 4 (~86 Hz) and is interpolated back to
ENVELOPE_RATE at inference. Targets are the papers' RMS of the clip's guide audio, peak
normalised per clip and smoothed (kernel 15), as in the paper.

torch is imported inside functions only (DESIGN: torch stays out of the torch-free layers);
`mapper_features` and the targets are plain numpy.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..core.envelope import ENVELOPE_RATE, Envelope
from ..core.errors import InputError
from ..core.progress import CancelToken, ProgressFn, null_progress, sub_progress
from .flow_features import N_FLOW, fill_rows
from .motion import SubjectMotion
from . import pose as P

N_CLASSES = 64
MU = 255
FEATURE_RATE = 30.0  # video features are resampled to this rate (the paper converts to 30 fps)
DECIMATE = 4
MAPPER_RATE = ENVELOPE_RATE / DECIMATE  # ~86.13 envelope values per second
SMOOTH = 15  # moving-average kernel on the ENVELOPE_RATE grid (the paper's "kernel size 15")
SIGMA, WINDOW = 1.0, 3  # Gaussian label smoothing
N_FEATURES = N_FLOW + 2 * len(P.LOWER_BODY) + 4


# ----------------------------------------------------------------------------- features

def mapper_features(motion: SubjectMotion, rate: float = FEATURE_RATE) -> np.ndarray:
    """(T, N_FEATURES) float32 features at `rate` Hz over the clip's duration.

    Flow statistics (gaps filled), the ten lower-body landmarks relative to the box (x from
    the box centre, y from the box bottom, in box heights), the two swing-foot speeds, a
    "pose present" and a "subject seen" flag. Unseen frames are zeros with the flags at 0.
    """
    from .steps_video import flow_swing_speed, pose_swing_speed

    n = motion.n_frames
    seen = motion.seen()
    flow = np.where(seen[:, None], fill_rows(motion.flow), 0.0)
    lm = np.zeros((n, 2 * len(P.LOWER_BODY)), np.float32)
    have_pose = np.zeros(n, np.float32)
    pose_speed = np.zeros(n, np.float32)
    if motion.pose is not None:
        b = motion.boxes
        bh = np.maximum(b[:, 3] - b[:, 1], 1.0)
        cx = 0.5 * (b[:, 0] + b[:, 2])
        pts = motion.pose[:, list(P.LOWER_BODY), :2]
        rel = np.concatenate([(pts[..., 0] - cx[:, None]) / bh[:, None],
                              (pts[..., 1] - b[:, 3:4]) / bh[:, None]], axis=1)
        ok = np.isfinite(rel).all(axis=1) & seen
        lm[ok] = rel[ok]
        have_pose = ok.astype(np.float32)
        ps = pose_swing_speed(motion)
        pose_speed = np.where(np.isfinite(ps), ps, 0.0)
    fs = flow_swing_speed(motion)
    flow_speed = np.where(np.isfinite(fs) & seen, fs, 0.0)
    feats = np.concatenate([flow, lm, pose_speed[:, None], flow_speed[:, None], have_pose[:, None],
                            seen[:, None].astype(np.float32)], axis=1).astype(np.float32)
    feats = np.nan_to_num(feats, nan=0.0, posinf=0.0, neginf=0.0)
    t_out = np.arange(int(round(motion.duration * rate))) / rate
    src = np.asarray(motion.times, np.float64)
    return np.stack([np.interp(t_out, src, feats[:, k]) for k in range(feats.shape[1])], axis=1).astype(np.float32)


def mapper_targets(audio: np.ndarray, sample_rate: int, duration: float) -> np.ndarray:
    """Envelope target on the MAPPER_RATE grid: peak-normalised RMS, smoothed, in [0, 1]."""
    from .envelope_audio import envelope_from_audio

    a = np.asarray(audio, np.float32)
    peak = float(np.max(np.abs(a))) if a.size else 0.0
    env = envelope_from_audio(a / peak if peak > 0 else a, sample_rate).with_duration(duration).values
    if len(env) >= SMOOTH:
        env = np.convolve(env, np.ones(SMOOTH, np.float32) / SMOOTH, mode="same")
    n = int(round(duration * MAPPER_RATE))
    env = np.pad(env, (0, max(0, n * DECIMATE - len(env))))[: n * DECIMATE]
    return np.clip(env.reshape(n, DECIMATE).mean(axis=1), 0.0, 1.0).astype(np.float32)


def encode(env: np.ndarray) -> np.ndarray:
    """Envelope values in [0, 1] -> mu-law class indices 0..63."""
    import librosa

    c = librosa.mu_compress(np.clip(np.asarray(env, np.float64), 0, 1), mu=MU, quantize=False)
    return np.clip(np.round(c * (N_CLASSES - 1)), 0, N_CLASSES - 1).astype(np.int64)


def decode(classes: np.ndarray) -> np.ndarray:
    """Class indices -> envelope values in [0, 1] (the inverse of `encode`)."""
    import librosa

    c = np.asarray(classes, np.float64) / (N_CLASSES - 1)
    return np.clip(librosa.mu_expand(c, mu=MU, quantize=False), 0, 1).astype(np.float32)


def smooth_labels(classes: np.ndarray, sigma: float = SIGMA, window: int = WINDOW) -> np.ndarray:
    """(T, 64) Gaussian-smoothed targets (Stable-V2A eq. 9); silence (class 0) stays one-hot
    and never receives mass from its neighbours. Rows sum to 1."""
    c = np.asarray(classes, np.int64).reshape(-1)
    i = np.arange(N_CLASSES)[None, :]
    d = i - c[:, None]
    w = np.exp(-(d ** 2) / (2 * sigma ** 2)) * (np.abs(d) <= window)
    w[:, 0] = 0.0
    w[c == 0] = 0.0
    w[c == 0, 0] = 1.0
    return (w / w.sum(axis=1, keepdims=True)).astype(np.float32)


def topk_accuracy(logits: np.ndarray, classes: np.ndarray, ks=(1, 5, 10)) -> dict[str, float]:
    """acc@k: how often the true class is among the k most likely (the paper's acc@1/5/10)."""
    order = np.argsort(-np.asarray(logits), axis=-1)
    c = np.asarray(classes).reshape(-1)
    order = order.reshape(len(c), -1)
    return {f"acc@{k}": float((order[:, :k] == c[:, None]).any(axis=1).mean()) for k in ks}


def e_l1(pred: np.ndarray, target: np.ndarray) -> float:
    """Stable-V2A's E-L1: mean absolute difference between two envelopes."""
    n = min(len(pred), len(target))
    return float(np.mean(np.abs(np.asarray(pred[:n], np.float64) - np.asarray(target[:n], np.float64)))) if n else 0.0


# ----------------------------------------------------------------------------- the network

@dataclass
class MapperConfig:
    n_features: int = N_FEATURES
    hidden: int = 32
    lstm: int = 32
    n_classes: int = N_CLASSES
    feature_rate: float = FEATURE_RATE
    mapper_rate: float = MAPPER_RATE

    def to_dict(self) -> dict:
        return dict(self.__dict__)


def build_model(cfg: MapperConfig):
    """Conv1d x3 (BN, ReLU, upsample to the envelope grid) -> 2-layer BiLSTM -> linear (64)."""
    import torch
    from torch import nn
    import torch.nn.functional as F

    class RMSMapper(nn.Module):
        def __init__(self):
            super().__init__()
            h = cfg.hidden
            self.convs = nn.ModuleList([nn.Conv1d(cfg.n_features if k == 0 else h, h, 5, padding=2)
                                        for k in range(3)])
            self.norms = nn.ModuleList([nn.BatchNorm1d(h) for _ in range(3)])
            self.lstm = nn.LSTM(h, cfg.lstm, num_layers=2, batch_first=True, bidirectional=True)
            self.head = nn.Linear(2 * cfg.lstm, cfg.n_classes)

        def forward(self, x: torch.Tensor, n_out: int) -> torch.Tensor:
            """x (B, T_video, F) -> logits (B, n_out, 64)."""
            y = x.transpose(1, 2)
            t_in = y.shape[-1]
            # the paper's [600, 1200, 1250] for 300 -> 1250: grow in three steps to n_out
            sizes = [max(t_in, int(round(n_out * f))) for f in (0.48, 0.96)] + [n_out]
            for conv, norm, size in zip(self.convs, self.norms, sizes):
                y = F.interpolate(F.relu(norm(conv(y))), size=size, mode="linear", align_corners=False)
            y, _ = self.lstm(y.transpose(1, 2))
            return self.head(y)

    return RMSMapper()


def n_parameters(model) -> int:
    return int(sum(p.numel() for p in model.parameters()))


# ----------------------------------------------------------------------------- checkpoints

def save_checkpoint(path: str | Path, model, cfg: MapperConfig, mean: np.ndarray, std: np.ndarray,
                    info: dict) -> Path:
    """Atomic torch.save of plain tensors and numbers (loadable with weights_only=True)."""
    import io

    import torch

    from ..core.fileio import atomic_write_bytes

    buf = io.BytesIO()
    torch.save({"format": "stereosync-rms-mapper", "version": 1, "config": cfg.to_dict(),
                "state_dict": {k: v.detach().cpu() for k, v in model.state_dict().items()},
                "feat_mean": torch.from_numpy(np.asarray(mean, np.float32)),
                "feat_std": torch.from_numpy(np.asarray(std, np.float32)), "info": info}, buf)
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(target, buf.getvalue())
    return target


_CACHE: dict[tuple, tuple] = {}


def load_checkpoint(path: str | Path):
    """(model in eval mode, config, mean, std); cached by path and modification time."""
    import torch

    p = Path(path)
    if not p.is_file():
        raise InputError(p, "mapper checkpoint not found")
    key = (str(p.resolve()), p.stat().st_mtime_ns)
    if key in _CACHE:
        return _CACHE[key]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # torch's notes about foreign pickle protocols
            ck = torch.load(p, map_location="cpu", weights_only=True)
    except Exception as exc:  # pickle errors, truncated files, ...
        raise InputError(p, f"not a readable mapper checkpoint ({exc.__class__.__name__})") from None
    if not isinstance(ck, dict) or ck.get("format") != "stereosync-rms-mapper":
        raise InputError(p, "not a StereoSync mapper checkpoint")
    cfg = MapperConfig(**ck["config"])
    model = build_model(cfg)
    model.load_state_dict(ck["state_dict"])
    model.eval()
    out = (model, cfg, ck["feat_mean"].numpy(), ck["feat_std"].numpy())
    _CACHE.clear()
    _CACHE[key] = out
    return out


def predict_values(model, cfg: MapperConfig, mean: np.ndarray, std: np.ndarray,
                   feats: np.ndarray, duration: float) -> tuple[np.ndarray, np.ndarray]:
    """(logits (n, 64), envelope (n,)) on the mapper grid for one clip's features."""
    import torch

    n_out = max(1, int(round(duration * cfg.mapper_rate)))
    x = torch.from_numpy(((feats - mean) / std).astype(np.float32))[None]
    with torch.no_grad():
        logits = model(x, n_out)[0].numpy()
    return logits, decode(logits.argmax(axis=1))


def predict_envelope(checkpoint: str | Path, motion: SubjectMotion) -> Envelope:
    """The mapper's envelope for a measured subject, on the ENVELOPE_RATE grid (origin "mapper")."""
    model, cfg, mean, std = load_checkpoint(checkpoint)
    feats = mapper_features(motion, cfg.feature_rate)
    _, env = predict_values(model, cfg, mean, std, feats, motion.duration)
    n = int(round(motion.duration * ENVELOPE_RATE)) + 1
    t_src = (np.arange(len(env)) + 0.5) / cfg.mapper_rate
    values = np.interp(np.arange(n) / ENVELOPE_RATE, t_src, env)
    return Envelope(values.astype(np.float32), ENVELOPE_RATE, None, "mapper")


def default_checkpoint(models_dir: str | Path) -> Path:
    return Path(models_dir) / "mapper" / "mapper.pt"


# ----------------------------------------------------------------------------- training

@dataclass
class ClipData:
    """One training clip: features at FEATURE_RATE and targets on the mapper grid."""

    path: str
    features: np.ndarray  # (T, F)
    target: np.ndarray  # (n,) envelope in [0, 1]
    classes: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        self.classes = encode(self.target)

    @property
    def duration(self) -> float:
        return len(self.target) / MAPPER_RATE


def prepare_clip(path: str | Path, use_pose: bool | None = None, progress: ProgressFn = null_progress,
                 cancel: CancelToken | None = None) -> ClipData | None:
    """Track the subject, measure it and read the guide audio; None if the clip has no usable audio."""
    from ..media.video import probe, read_guide_audio
    from .motion import analyze_subjects
    from .tracking import track_clip

    cancel = cancel or CancelToken()
    info = probe(path)
    if not info.has_audio:
        return None
    audio = read_guide_audio(str(path), 48000)
    if audio is None or not np.isfinite(audio).all() or np.abs(audio).max() < 1e-5:
        return None
    track = track_clip(str(path), progress=sub_progress(progress, 0.0, 0.4), cancel=cancel)
    if np.isnan(track.boxes[:, 0]).all():
        return None
    motion = analyze_subjects(path, [track], use_pose, sub_progress(progress, 0.4, 1.0), cancel)[0]
    return ClipData(str(path), mapper_features(motion), mapper_targets(audio, 48000, motion.duration))


def _chunks(clips: list[ClipData], chunk_s: float, rng: np.random.Generator, batch: int):
    """Random aligned (features, soft labels, classes) chunks of `chunk_s` seconds."""
    tf = int(round(chunk_s * FEATURE_RATE))
    te = int(round(chunk_s * MAPPER_RATE))
    xs, ys, cs = [], [], []
    for _ in range(batch):
        c = clips[int(rng.integers(len(clips)))]
        span = max(c.duration - chunk_s, 0.0)
        t0 = float(rng.uniform(0, span)) if span > 0 else 0.0
        a = int(round(t0 * FEATURE_RATE))
        e = int(round(t0 * MAPPER_RATE))
        x = c.features[a:a + tf]
        y = c.classes[e:e + te]
        x = np.pad(x, ((0, tf - len(x)), (0, 0)))
        y = np.pad(y, (0, te - len(y)))
        xs.append(x)
        cs.append(y)
        ys.append(smooth_labels(y))
    return np.stack(xs), np.stack(ys), np.stack(cs)


def evaluate_mapper(model, cfg: MapperConfig, mean: np.ndarray, std: np.ndarray,
                    clips: list[ClipData]) -> dict[str, float]:
    """acc@1/5/10 and E-L1 over whole clips (frames pooled)."""
    model.eval()
    logits, classes, l1 = [], [], []
    for c in clips:
        lg, env = predict_values(model, cfg, mean, std, c.features, c.duration)
        n = min(len(lg), len(c.classes))
        logits.append(lg[:n])
        classes.append(c.classes[:n])
        l1.append(e_l1(env[:n], c.target[:n]))
    out = topk_accuracy(np.concatenate(logits), np.concatenate(classes))
    out["e_l1"] = float(np.mean(l1))
    return out


def train_mapper(clips: list[ClipData], out_path: str | Path | None = None, epochs: int = 200,
                 chunk_s: float = 2.0, batch: int = 8, lr: float = 1e-3, weight_decay: float = 1e-3,
                 val_clips: list[ClipData] | None = None, seed: int = 0, cfg: MapperConfig | None = None,
                 progress: ProgressFn = null_progress, cancel: CancelToken | None = None) -> dict:
    """Train on `clips` (Adam, lr 1e-3, weight decay 1e-3 as in the paper); save to `out_path`.

    An epoch is as many random chunks as fit in the training audio. Returns the loss history,
    the metrics on `val_clips` (or on the training clips when there are none) and the size.
    """
    import torch

    cancel = cancel or CancelToken()
    if not clips:
        raise InputError(None, "no training clips with a usable audio track")
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    cfg = cfg or MapperConfig()
    allf = np.concatenate([c.features for c in clips])
    mean = allf.mean(axis=0)
    std = np.maximum(allf.std(axis=0), 1e-3)
    model = build_model(cfg)
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    total = sum(c.duration for c in clips)
    steps = max(1, int(math.ceil(total / chunk_s / batch)))
    te = int(round(chunk_s * MAPPER_RATE))
    history: list[float] = []
    for ep in range(epochs):
        cancel.check()
        model.train()
        losses = []
        for _ in range(steps):
            x, y, _c = _chunks(clips, chunk_s, rng, batch)
            xt = torch.from_numpy((x - mean) / std)
            logits = model(xt, te)
            loss = -(torch.from_numpy(y) * torch.log_softmax(logits, dim=-1)).sum(-1).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(loss.item())
        history.append(float(np.mean(losses)))
        progress((ep + 1) / epochs, f"epoch {ep + 1}/{epochs}: loss {history[-1]:.3f}")
    metrics = evaluate_mapper(model, cfg, mean, std, val_clips or clips)
    result = {"loss_history": history, "metrics": metrics, "validation": "held-out" if val_clips else "train",
              "parameters": n_parameters(model), "clips": [c.path for c in clips],
              "val_clips": [c.path for c in (val_clips or [])], "epochs": epochs}
    if out_path is not None:
        info = {k: v for k, v in result.items() if k != "loss_history"}
        info["final_loss"] = history[-1]
        save_checkpoint(out_path, model, cfg, mean, std, info)
        result["checkpoint"] = str(out_path)
    return result


__all__ = ["N_CLASSES", "FEATURE_RATE", "MAPPER_RATE", "N_FEATURES", "MapperConfig", "mapper_features",
           "mapper_targets", "encode", "decode", "smooth_labels", "topk_accuracy", "e_l1", "build_model",
           "n_parameters", "save_checkpoint", "load_checkpoint", "predict_values", "predict_envelope",
           "default_checkpoint", "ClipData", "prepare_clip", "train_mapper", "evaluate_mapper"]

"""The learned video-to-envelope mapper (Stable-V2A stage 1, "RMS-Mapper"), small enough for a CPU.

Stable-V2A maps per-frame video features to the RMS envelope as a classification
(`envelope_classes`): a network of three Conv1d + BatchNorm + ReLU + Upsample blocks (video
rate -> envelope rate), a two-layer bidirectional LSTM and a linear layer over 64 classes,
trained with cross-entropy (`mapper_training`). We keep that recipe and scale it to what a
designer's machine can learn from a few clips. The model works on arrays only: the features
and their rate (`MapperConfig.feature_rate`) are whatever analysis measured; the output grid
is `MapperConfig.mapper_rate`, interpolated to ENVELOPE_RATE by `MapperPredictor`.

torch is imported inside functions only, so `MapperPredictor` can be built (and passed to
analysis) without loading torch until it is first called.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..core.envelope import ENVELOPE_RATE
from ..core.errors import InputError
from ..core.fileio import atomic_write_bytes
from .envelope_classes import N_CLASSES, decode

__all__ = ["CHECKPOINT_FORMAT", "MapperConfig", "MapperPredictor", "build_model", "load_checkpoint",
           "n_parameters", "predict_values", "save_checkpoint"]

CHECKPOINT_FORMAT = "stereosync-rms-mapper"


@dataclass
class MapperConfig:
    """The network's shape and the rates of its input features and output classes."""

    n_features: int
    feature_rate: float  # feature frames per second
    mapper_rate: float  # output classes per second
    hidden: int = 32
    lstm: int = 32
    n_classes: int = N_CLASSES

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
    """How many weights the model has (the report's "parameters")."""
    return int(sum(p.numel() for p in model.parameters()))


# ----------------------------------------------------------------------------- checkpoints

def save_checkpoint(path: str | Path, model, cfg: MapperConfig, mean: np.ndarray, std: np.ndarray,
                    info: dict) -> Path:
    """Atomic torch.save of plain tensors and numbers (loadable with weights_only=True)."""
    import torch

    buf = io.BytesIO()
    torch.save({"format": CHECKPOINT_FORMAT, "version": 1, "config": cfg.to_dict(),
                "state_dict": {k: v.detach().cpu() for k, v in model.state_dict().items()},
                "feat_mean": torch.from_numpy(np.asarray(mean, np.float32)),
                "feat_std": torch.from_numpy(np.asarray(std, np.float32)), "info": info}, buf)
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(target, buf.getvalue())
    return target


_CACHE: dict[tuple, tuple] = {}


def load_checkpoint(path: str | Path) -> tuple:
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
    if not isinstance(ck, dict) or ck.get("format") != CHECKPOINT_FORMAT:
        raise InputError(p, "not a StereoSync mapper checkpoint")
    cfg = MapperConfig(**ck["config"])
    model = build_model(cfg)
    model.load_state_dict(ck["state_dict"])
    model.eval()
    out = (model, cfg, ck["feat_mean"].numpy(), ck["feat_std"].numpy())
    _CACHE.clear()
    _CACHE[key] = out
    return out


# ----------------------------------------------------------------------------- inference

def predict_values(model, cfg: MapperConfig, mean: np.ndarray, std: np.ndarray,
                   feats: np.ndarray, duration: float) -> tuple[np.ndarray, np.ndarray]:
    """(logits (n, 64), envelope (n,)) on the mapper grid for one clip's features."""
    import torch

    n_out = max(1, int(round(duration * cfg.mapper_rate)))
    x = torch.from_numpy(((feats - mean) / std).astype(np.float32))[None]
    with torch.no_grad():
        logits = model(x, n_out)[0].numpy()
    return logits, decode(logits.argmax(axis=1))


class MapperPredictor:
    """A trained mapper checkpoint as a callable: features -> envelope values.

    Features are (T, n_features) at the checkpoint's feature rate; the values are on the
    ENVELOPE_RATE grid from 0 s over T / feature_rate seconds (analysis'
    `EnvelopePredictor`). The checkpoint is loaded (and torch imported) on the first call;
    a missing or broken file raises InputError there."""

    def __init__(self, checkpoint_path: str | Path):
        self.checkpoint = Path(checkpoint_path)
        self._loaded: tuple | None = None

    def __call__(self, features: np.ndarray) -> np.ndarray:
        if self._loaded is None:
            self._loaded = load_checkpoint(self.checkpoint)
        model, cfg, mean, std = self._loaded
        feats = np.asarray(features, np.float32)
        if feats.ndim != 2 or feats.shape[1] != cfg.n_features:
            raise InputError(self.checkpoint, f"expects {cfg.n_features} features per frame, "
                                              f"got an array of shape {feats.shape}")
        duration = len(feats) / cfg.feature_rate
        _, env = predict_values(model, cfg, mean, std, feats, duration)
        n = int(round(duration * ENVELOPE_RATE)) + 1
        t_src = (np.arange(len(env)) + 0.5) / cfg.mapper_rate
        return np.interp(np.arange(n) / ENVELOPE_RATE, t_src, env).astype(np.float32)

    def __repr__(self) -> str:
        return f"MapperPredictor({str(self.checkpoint)!r})"

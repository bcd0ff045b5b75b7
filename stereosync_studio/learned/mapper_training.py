"""Training the video-to-envelope mapper on clips already measured (arrays in, checkpoint out).

Why separate from `mapper`: inference needs the network and the checkpoint only; training
adds the chunk sampler, the soft-label loss and the metrics. The recipe is Stable-V2A's:
Adam (lr 1e-3, weight decay 1e-3), cross-entropy against Gaussian-smoothed mu-law classes,
random aligned chunks; acc@1/5/10 and E-L1 (`dsp.rms.envelope_l1`) on whole clips.
Preparing clips (tracking, features, targets) is the job's: see `jobs.train.train_mapper`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..core.errors import InputError
from ..core.progress import CancelToken, ProgressFn, null_progress
from ..dsp.rms import envelope_l1
from .envelope_classes import encode, smooth_labels, topk_accuracy
from .mapper import MapperConfig, build_model, n_parameters, predict_values, save_checkpoint

__all__ = ["MapperClip", "evaluate_mapper", "fit_mapper"]


@dataclass
class MapperClip:
    """One training clip: features at the config's feature rate, targets at its mapper rate."""

    name: str  # how reports name the clip (its path)
    features: np.ndarray  # (T, F)
    target: np.ndarray  # (n,) envelope in [0, 1]
    classes: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        self.classes = encode(self.target)

    def duration(self, cfg: MapperConfig) -> float:
        return len(self.target) / cfg.mapper_rate


def _chunks(clips: list[MapperClip], cfg: MapperConfig, chunk_s: float, rng: np.random.Generator, batch: int):
    """Random aligned (features, soft labels, classes) chunks of `chunk_s` seconds."""
    tf = int(round(chunk_s * cfg.feature_rate))
    te = int(round(chunk_s * cfg.mapper_rate))
    xs, ys, cs = [], [], []
    for _ in range(batch):
        c = clips[int(rng.integers(len(clips)))]
        span = max(c.duration(cfg) - chunk_s, 0.0)
        t0 = float(rng.uniform(0, span)) if span > 0 else 0.0
        a = int(round(t0 * cfg.feature_rate))
        e = int(round(t0 * cfg.mapper_rate))
        x = c.features[a:a + tf]
        y = c.classes[e:e + te]
        x = np.pad(x, ((0, tf - len(x)), (0, 0)))
        y = np.pad(y, (0, te - len(y)))
        xs.append(x)
        cs.append(y)
        ys.append(smooth_labels(y))
    return np.stack(xs), np.stack(ys), np.stack(cs)


def evaluate_mapper(model, cfg: MapperConfig, mean: np.ndarray, std: np.ndarray,
                    clips: list[MapperClip]) -> dict[str, float]:
    """acc@1/5/10 and E-L1 over whole clips (frames pooled)."""
    model.eval()
    logits, classes, l1 = [], [], []
    for c in clips:
        lg, env = predict_values(model, cfg, mean, std, c.features, c.duration(cfg))
        n = min(len(lg), len(c.classes))
        logits.append(lg[:n])
        classes.append(c.classes[:n])
        l1.append(envelope_l1(env[:n], c.target[:n]))
    out = topk_accuracy(np.concatenate(logits), np.concatenate(classes))
    out["e_l1"] = float(np.mean(l1))
    return out


def fit_mapper(clips: list[MapperClip], cfg: MapperConfig, out_path: str | Path | None = None,
                 epochs: int = 200, chunk_s: float = 2.0, batch: int = 8, lr: float = 1e-3,
                 weight_decay: float = 1e-3, val_clips: list[MapperClip] | None = None, seed: int = 0,
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
    allf = np.concatenate([c.features for c in clips])
    mean = allf.mean(axis=0)
    std = np.maximum(allf.std(axis=0), 1e-3)
    model = build_model(cfg)
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    total = sum(c.duration(cfg) for c in clips)
    steps = max(1, int(math.ceil(total / chunk_s / batch)))
    te = int(round(chunk_s * cfg.mapper_rate))
    history: list[float] = []
    for ep in range(epochs):
        cancel.check()
        model.train()
        losses = []
        for _ in range(steps):
            x, y, _c = _chunks(clips, cfg, chunk_s, rng, batch)
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
              "parameters": n_parameters(model), "clips": [c.name for c in clips],
              "val_clips": [c.name for c in (val_clips or [])], "epochs": epochs}
    if out_path is not None:
        info = {k: v for k, v in result.items() if k != "loss_history"}
        info["final_loss"] = history[-1]
        save_checkpoint(out_path, model, cfg, mean, std, info)
        result["checkpoint"] = str(out_path)
    return result

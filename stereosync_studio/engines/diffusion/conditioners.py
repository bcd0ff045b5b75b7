"""StereoSync's cross-attention conditioners on top of stable-audio-tools' `Conditioner`.

Each returns `[tokens (B, T, cond_dim), mask (B, T)]` like the upstream ones, so they plug
into `MultiConditioner` next to Stable Audio Open's own seconds_start/seconds_total.

- `ClapConditioner`: one token, a trainable projection of a (cached) 512-d CLAP embedding.
- `SequenceNumberConditioner`: the sequence version of upstream `NumberConditioner` (which
  takes one scalar per item): one token per frame. Cross-attention has no notion of token
  order, so each token also gets a learned embedding of its time within the window; without
  it the model could not tell where in the window the subject is.
- `BoxConditioner`: the paper's four box sequences x0, y0, x1, y1 (normalised to the frame).
- `DepthConditioner`: per-frame depth features projected to the conditioning width.
"""

from __future__ import annotations

from . import _upstream  # noqa: F401  (quiet stable-audio-tools import, first)

import typing as tp

import numpy as np
import torch
from stable_audio_tools.models.adp import NumberEmbedder
from stable_audio_tools.models.conditioners import Conditioner
from torch import nn

BOX_KEYS = ("x0", "y0", "x1", "y1")


def _stack(items: tp.Sequence[tp.Any], device, what: str, ndim: int) -> torch.Tensor:
    tensors = [torch.as_tensor(np.asarray(x, dtype=np.float32) if not torch.is_tensor(x) else x,
                               dtype=torch.float32) for x in items]
    shapes = {tuple(t.shape) for t in tensors}
    if len(shapes) != 1 or len(next(iter(shapes))) != ndim:
        raise ValueError(f"{what}: every batch item needs the same {ndim}-d shape, got {sorted(shapes)}")
    return torch.stack(tensors).to(device)


def _positions(n: int, device) -> torch.Tensor:
    """Centre of each of `n` equal slots of the window, in (0, 1)."""
    return (torch.arange(n, device=device, dtype=torch.float32) + 0.5) / max(n, 1)


class SequenceNumberConditioner(Conditioner):
    """One token per value of a per-frame number sequence (upstream NumberConditioner per frame)."""

    def __init__(self, output_dim: int, min_val: float = 0.0, max_val: float = 1.0,
                 time_embed: bool = True):
        super().__init__(output_dim, output_dim)
        self.min_val, self.max_val = float(min_val), float(max_val)
        self.embedder = NumberEmbedder(features=output_dim)
        self.time_embedder = NumberEmbedder(features=output_dim) if time_embed else None

    def embed(self, values: torch.Tensor) -> torch.Tensor:
        """(B, T) raw values -> (B, T, dim)."""
        dtype = next(self.embedder.parameters()).dtype
        v = (values.clamp(self.min_val, self.max_val) - self.min_val) / (self.max_val - self.min_val)
        out = self.embedder(v.to(dtype))
        if self.time_embedder is not None:
            pos = _positions(values.shape[1], values.device).to(dtype)
            out = out + self.time_embedder(pos).unsqueeze(0)
        return out

    def forward(self, seqs: tp.List[tp.Any], device=None) -> tp.Any:
        x = _stack(seqs, device, "number sequence", 1)
        emb = self.embed(x)
        return [emb, torch.ones(emb.shape[0], emb.shape[1], device=emb.device)]


class BoxConditioner(Conditioner):
    """Per-frame boxes (T, 4) = x0, y0, x1, y1 in [0, 1] -> 4*T tokens (four sequences)."""

    def __init__(self, output_dim: int):
        super().__init__(output_dim, output_dim)
        self.coords = nn.ModuleDict({k: SequenceNumberConditioner(output_dim, 0.0, 1.0) for k in BOX_KEYS})

    def forward(self, boxes: tp.List[tp.Any], device=None) -> tp.Any:
        b = _stack(boxes, device, "boxes", 2)
        if b.shape[-1] != 4:
            raise ValueError(f"boxes must be (frames, 4), got {tuple(b.shape[1:])}")
        emb = torch.cat([self.coords[k].embed(b[..., i]) for i, k in enumerate(BOX_KEYS)], dim=1)
        return [emb, torch.ones(emb.shape[0], emb.shape[1], device=emb.device)]


class DepthConditioner(Conditioner):
    """Per-frame depth features (T, D) -> T tokens: linear projection + time-in-window embedding."""

    def __init__(self, output_dim: int, input_dim: int):
        super().__init__(input_dim, output_dim, project_out=True)
        self.input_dim = int(input_dim)
        self.time_embedder = NumberEmbedder(features=output_dim)

    def forward(self, feats: tp.List[tp.Any], device=None) -> tp.Any:
        x = _stack(feats, device, "depth features", 2)
        if x.shape[-1] != self.input_dim:
            raise ValueError(f"depth features must have {self.input_dim} values per frame, got {x.shape[-1]}")
        dtype = self.proj_out.weight.dtype
        emb = self.proj_out(x.to(dtype))
        emb = emb + self.time_embedder(_positions(x.shape[1], x.device).to(dtype)).unsqueeze(0)
        return [emb, torch.ones(emb.shape[0], emb.shape[1], device=emb.device)]


class ClapConditioner(Conditioner):
    """A precomputed CLAP embedding (512,) -> one token (trainable projection)."""

    def __init__(self, output_dim: int, clap_dim: int = 512):
        super().__init__(clap_dim, output_dim, project_out=True)

    def forward(self, embeds: tp.List[tp.Any], device=None) -> tp.Any:
        x = _stack(embeds, device, "CLAP embedding", 1)
        if x.shape[-1] != self.dim:
            raise ValueError(f"CLAP embedding must have {self.dim} values, got {x.shape[-1]}")
        emb = self.proj_out(x.to(self.proj_out.weight.dtype)).unsqueeze(1)
        return [emb, torch.ones(emb.shape[0], 1, device=emb.device)]

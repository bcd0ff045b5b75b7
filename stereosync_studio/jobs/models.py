"""Where the jobs find the learned models the user dropped in `models/`.

Analysis never loads a model itself: a job looks for the checkpoint here and hands analysis
a plain callable (features in, envelope values out), so analysis stays torch-free and the
learned code stays in `learned/`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..analysis.envelope_predictor import EnvelopePredictor

__all__ = ["mapper_checkpoint", "models_root", "video_envelope_predictor"]


def models_root(models_dir: str | Path | None) -> Path:
    """`models_dir`, else $STEREOSYNC_MODELS, else ./models."""
    return Path(models_dir if models_dir is not None else os.environ.get("STEREOSYNC_MODELS", "models"))


def mapper_checkpoint(models_dir: str | Path | None) -> Path:
    """Where the trained video-to-envelope mapper lives (and `train-mapper` writes it)."""
    return models_root(models_dir) / "mapper" / "mapper.pt"


def video_envelope_predictor(models_dir: str | Path | None) -> EnvelopePredictor | None:
    """The trained video-to-envelope mapper as a callable, or None when no checkpoint is there.

    Loading is deferred to the first call (torch is imported only then); a broken file is
    reported by analysis, which falls back to its own step transients."""
    ckpt = mapper_checkpoint(models_dir)
    if not ckpt.is_file():
        return None
    from ..learned.mapper import MapperPredictor

    return MapperPredictor(ckpt)

"""Where converted models and per-machine caches live (no imports beyond the standard library).

Why here: the learned layer writes the re-identification model, analysis reads it and jobs
decide when to build it; all three must agree on one path without importing each other.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["cache_root", "reid_model_path", "REID_MODEL_NAME"]

REID_MODEL_NAME = "mobilenetv2_bottleneck_reid.onnx"


def cache_root() -> Path:
    """$STEREOSYNC_CACHE, else $XDG_CACHE_HOME/stereosync, else ~/.cache/stereosync."""
    env = os.environ.get("STEREOSYNC_CACHE")
    if env:
        return Path(env)
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "stereosync"


def reid_model_path() -> Path:
    """The person appearance embedder converted to ONNX ($STEREOSYNC_REID_MODEL overrides)."""
    env = os.environ.get("STEREOSYNC_REID_MODEL")
    return Path(env) if env else cache_root() / "models" / REID_MODEL_NAME

"""Load StereoSync from `models/`: base SAO config + weights, adapter, CLAP. safetensors only.

Every failure names the file and what to do: a missing file says where it comes from
(models/README.md), a pickle is refused (unpickling runs code), a truncated or corrupt file
or one made for another architecture says so instead of a traceback.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from pathlib import Path

import torch

from ...core.errors import InputError
from .checks import README, ModelFiles, find_files, read_safetensors_header
from .model import (AdapterConfig, BaseConfigError, adapter_state, build_model,
                    init_controlnet_from_base, is_adapter_key)
from .safetensors_io import load_safetensors, save_safetensors

ADAPTER_META_KEY = "stereosync_adapter"


def read_base_config(path: Path) -> dict:
    try:
        return json.loads(Path(path).read_text("utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(path, f"not valid JSON ({exc}); download it again (see {README})") from None


def read_adapter_config(path: Path) -> tuple[AdapterConfig, dict]:
    """The adapter's own configuration, from its safetensors metadata (no tensors loaded)."""
    _, meta = read_safetensors_header(path)
    if ADAPTER_META_KEY not in meta:
        raise InputError(path, "is not a StereoSync adapter (no 'stereosync_adapter' metadata); "
                               "train one with `stereosync train`")
    try:
        return AdapterConfig.from_dict(json.loads(meta[ADAPTER_META_KEY])), meta
    except (json.JSONDecodeError, TypeError) as exc:
        raise InputError(path, f"adapter metadata is corrupt ({exc})") from None


def build_from_files(files: ModelFiles, adapter_config: AdapterConfig | None = None):
    """Model with base weights and (if `files.adapter`) adapter weights loaded, on the CPU.

    Without an adapter the ControlNet starts as a copy of the base blocks (fresh training)."""
    cfg = read_base_config(files.base_config)
    meta: dict = {}
    if files.adapter is not None:
        adapter_config, meta = read_adapter_config(files.adapter)
    adapter_config = adapter_config or AdapterConfig()
    try:
        model = build_model(cfg, adapter_config)
    except BaseConfigError as exc:
        raise InputError(files.base_config, f"not a Stable Audio Open-style config: {exc}") from None
    except (AssertionError, KeyError, TypeError, ValueError) as exc:
        raise InputError(files.base_config, f"cannot build the model from it ({exc!r})") from None
    own = model.state_dict()
    base, _ = load_safetensors(files.base_weights)
    _check_fit(files.base_weights, model, base, adapter=False, what="model_config.json")
    model.load_state_dict({k: v for k, v in base.items() if k in own and not is_adapter_key(k)
                           and tuple(v.shape) == tuple(own[k].shape)}, strict=False)
    del base
    if files.adapter is not None:
        ad, _ = load_safetensors(files.adapter)
        _check_fit(files.adapter, model, ad, adapter=True, what="this base model")
        model.load_state_dict(ad, strict=False)
    else:
        init_controlnet_from_base(model)
    model.adapter_meta = meta
    return model


def _check_fit(path: Path, model: torch.nn.Module, loaded: dict, adapter: bool, what: str) -> None:
    """Every parameter must be there with its shape (buffers such as rotary frequencies are
    recomputed by the code and may be absent from checkpoints written by other versions)."""
    own = model.state_dict()
    expected = [k for k, _ in model.named_parameters() if is_adapter_key(k) == adapter]
    missing = [k for k in expected if k not in loaded]
    bad = [k for k in expected if k in loaded and tuple(loaded[k].shape) != tuple(own[k].shape)]
    extra = [k for k in loaded if adapter and k not in own]
    if missing or bad or extra:
        parts = []
        if missing:
            parts.append(f"{len(missing)} weights missing (e.g. {missing[0]})")
        if bad:
            parts.append(f"{len(bad)} with other shapes (e.g. {bad[0]} {tuple(loaded[bad[0]].shape)} "
                         f"vs {tuple(own[bad[0]].shape)})")
        if extra:
            parts.append(f"{len(extra)} unknown (e.g. {extra[0]})")
        raise InputError(path, f"does not match {what}: {'; '.join(parts)}")


def save_adapter(model, path: str | Path, step: int = 0, extra: dict[str, str] | None = None) -> None:
    meta = {ADAPTER_META_KEY: model.adapter_config.to_json(), "step": str(int(step))}
    meta.update(extra or {})
    save_safetensors(adapter_state(model), path, meta)


@dataclass
class Loaded:
    """A ready-to-sample StereoSync model and its CLAP encoder on one device."""

    model: torch.nn.Module
    clap: object  # ClapEncoder
    device: torch.device
    files: ModelFiles


_CACHE: dict[tuple, Loaded] = {}
_LOCK = threading.Lock()


def pick_device(choice: str = "auto") -> torch.device:
    choice = (choice or "auto").lower()
    if choice == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        mps = getattr(torch.backends, "mps", None)
        return torch.device("mps" if mps is not None and mps.is_available() else "cpu")
    if choice == "cuda" and not torch.cuda.is_available():
        raise InputError(None, "device 'cuda' was chosen but no CUDA GPU is available")
    if choice == "mps" and not (getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()):
        raise InputError(None, "device 'mps' was chosen but Apple's Metal backend is not available")
    if choice not in ("cpu", "cuda", "mps"):
        raise InputError(None, f"unknown device {choice!r} (auto, cpu, cuda, mps)")
    return torch.device(choice)


def load_for_inference(models_dir: str | Path, device: str = "auto", adapter: str | None = None) -> Loaded:
    """Load (or reuse) the model for sampling; keeps one model in memory at a time."""
    files = find_files(models_dir, adapter=adapter or None)
    dev = pick_device(device)
    key = tuple((str(p), p.stat().st_mtime_ns) for p in (files.base_config, files.base_weights,
                                                        files.adapter, files.clap)) + (str(dev),)
    with _LOCK:
        if key in _CACHE:
            return _CACHE[key]
        _CACHE.clear()
        from .clap import ClapEncoder

        model = build_from_files(files)
        model.requires_grad_(False)
        model.to(dev).eval()
        loaded = Loaded(model, ClapEncoder(files.clap, dev), dev, files)
        _CACHE[key] = loaded
        return loaded


def clear_cache() -> None:
    with _LOCK:
        _CACHE.clear()

"""Torch-free checks of the diffusion engine's checkpoint files.

The Studio asks `availability()` while drawing its engine panel, so finding and validating the
files must be cheap and must not import torch: we only stat files and read safetensors
headers (a few kB). Every problem is reported as one line naming the file, where it comes
from (models/README.md) and what to do.
"""

from __future__ import annotations

import importlib.util
import json
import struct
from dataclasses import dataclass
from pathlib import Path

from ...core.errors import InputError

BASE_DIR = "stable-audio-open-1.0"
ADAPTER_DIR = "stereosync"
CLAP_DIR = "clap"
PICKLE_SUFFIXES = {".ckpt", ".pt", ".pth", ".bin", ".pkl", ".pickle"}
TRAIN_STATE_SUFFIX = ".optim.safetensors"  # optimiser state next to an adapter, not an adapter
_DTYPES = {"F64", "F32", "F16", "BF16", "I64", "I32", "I16", "I8", "U8", "BOOL", "U16", "U32",
           "U64", "F8_E4M3", "F8_E5M2"}
README = "models/README.md"
CONVERT_HINT = "python -m stereosync_studio.engines.diffusion.convert IN.ckpt OUT.safetensors"


@dataclass
class ModelFiles:
    """Where the engine's checkpoints are; `adapter` is None when training from scratch."""

    base_config: Path
    base_weights: Path
    adapter: Path | None
    clap: Path | None


def looks_like_pickle(path: Path) -> bool:
    """True for torch/pickle checkpoints (by suffix or by their first bytes)."""
    if path.suffix.lower() in PICKLE_SUFFIXES:
        return True
    try:
        with open(path, "rb") as fh:
            head = fh.read(9)
        size = path.stat().st_size
    except OSError:
        return False
    if head.startswith(b"PK\x03\x04"):  # torch.save zip archive
        return True
    if len(head) == 9 and head[8:9] == b"{" and 8 + struct.unpack("<Q", head[:8])[0] <= size:
        return False  # a safetensors header (its length may start with byte 0x80 too)
    return head[:1] == b"\x80" and head[1:2] in (b"\x02", b"\x03", b"\x04", b"\x05")


def refuse_pickle(path: Path) -> InputError:
    return InputError(path, "is a pickle checkpoint; StereoSync loads only .safetensors files "
                            f"(unpickling can run code). Convert it once with: {CONVERT_HINT} "
                            f"(see {README})")


def read_safetensors_header(path: str | Path) -> tuple[dict, dict]:
    """Validate a safetensors file without loading it: (tensor table, metadata).

    Raises InputError for a missing, pickled, truncated or otherwise corrupt file.
    """
    p = Path(path)
    if not p.is_file():
        raise InputError(p, f"file not found (see {README} for where it comes from)")
    if looks_like_pickle(p):
        raise refuse_pickle(p)
    size = p.stat().st_size
    try:
        with open(p, "rb") as fh:
            raw = fh.read(8)
            if len(raw) < 8:
                raise ValueError("shorter than a safetensors header")
            (n,) = struct.unpack("<Q", raw)
            if n <= 1 or 8 + n > size or n > 100_000_000:
                raise ValueError(f"header length {n} does not fit a {size}-byte file")
            header = json.loads(fh.read(n).decode("utf-8"))
        if not isinstance(header, dict):
            raise ValueError("header is not a table")
        meta = header.pop("__metadata__", None) or {}
        data_len = size - 8 - n
        for name, info in header.items():
            begin, end = info["data_offsets"]
            if info["dtype"] not in _DTYPES or not 0 <= begin <= end <= data_len:
                raise ValueError(f"tensor {name!r} lies outside the file (truncated download?)")
    except (ValueError, KeyError, TypeError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(p, f"not a valid safetensors file ({exc}); download it again "
                            f"(see {README})") from None
    return header, dict(meta)


def _newest(paths: list[Path]) -> Path | None:
    return max(paths, key=lambda q: q.stat().st_mtime) if paths else None


def list_adapters(models_dir: str | Path) -> list[Path]:
    d = Path(models_dir) / ADAPTER_DIR
    if not d.is_dir():
        return []
    return sorted(q for q in d.glob("*.safetensors") if not q.name.endswith(TRAIN_STATE_SUFFIX))


def list_clap(models_dir: str | Path) -> list[Path]:
    d = Path(models_dir) / CLAP_DIR
    return sorted(d.glob("*.safetensors")) if d.is_dir() else []


def find_files(models_dir: str | Path, adapter: str | Path | None = None,
               clap: str | Path | None = None, need_adapter: bool = True,
               need_clap: bool = True, validate: bool = True) -> ModelFiles:
    """Locate (and header-check) the checkpoints under `models_dir`; raise InputError if one is
    missing, pickled or corrupt. `adapter`/`clap` may name a file (path or name in its folder)."""
    root = Path(models_dir)
    cfg, weights = check_base(root / BASE_DIR)
    adapter_path = _pick(root / ADAPTER_DIR, adapter, list_adapters(root), "adapter",
                         "train one with `stereosync train --clips DIR` or copy a StereoSync adapter "
                         f"(*.safetensors) into {root / ADAPTER_DIR}/", need_adapter)
    clap_path = _pick(root / CLAP_DIR, clap, list_clap(root), "CLAP checkpoint",
                      "convert LAION CLAP 630k-audioset-best.pt (or music_audioset_epoch_15_esc_90.14.pt) "
                      f"to safetensors into {root / CLAP_DIR}/", need_clap)
    if validate:
        for p in (weights, adapter_path, clap_path):
            if p is not None:
                read_safetensors_header(p)
    return ModelFiles(cfg, weights, adapter_path, clap_path)


def check_base(base: str | Path) -> tuple[Path, Path]:
    """(model_config.json, model.safetensors) of a Stable Audio Open folder, or InputError."""
    base = Path(base)
    cfg, weights = base / "model_config.json", base / "model.safetensors"
    hint = (f"download it from Hugging Face stabilityai/stable-audio-open-1.0 (gated: accept the "
            f"licence first) into {base}/ (see {README})")
    if not cfg.is_file():
        raise InputError(cfg, f"missing: {hint}")
    if not weights.is_file():
        pickled = sorted(q for q in base.glob("*") if q.suffix.lower() in PICKLE_SUFFIXES)
        extra = f"; {pickled[0].name} is a pickle and is refused" if pickled else ""
        raise InputError(weights, f"missing{extra}: {hint}")
    try:
        json.loads(cfg.read_text("utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(cfg, f"not valid JSON ({exc}); download it again (see {README})") from None
    return cfg, weights


def _pick(folder: Path, wanted: str | Path | None, found: list[Path], what: str, hint: str,
          required: bool) -> Path | None:
    if wanted:
        p = Path(wanted)
        if not p.is_absolute() and not p.exists():
            p = folder / p
        if p.suffix.lower() in PICKLE_SUFFIXES or (p.is_file() and looks_like_pickle(p)):
            raise refuse_pickle(p)
        if not p.is_file():
            raise InputError(p, f"{what} not found: {hint} (see {README})")
        return p
    if found:
        return _newest(found)
    if required:
        pickled = sorted(q for q in folder.glob("*") if q.suffix.lower() in PICKLE_SUFFIXES) \
            if folder.is_dir() else []
        if pickled:
            raise refuse_pickle(pickled[0])
        raise InputError(folder, f"no {what} (*.safetensors) here: {hint} (see {README})")
    return None


def missing_packages() -> list[str]:
    """Python packages the engine needs that are not installed (checked without importing)."""
    names = ["torch", "stable_audio_tools", "k_diffusion", "safetensors", "laion_clap", "einops"]
    return [n for n in names if importlib.util.find_spec(n) is None]

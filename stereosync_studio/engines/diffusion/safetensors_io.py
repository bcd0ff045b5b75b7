"""Reading and writing safetensors checkpoints, with errors that name the file.

Why its own module: the model loader and the CLAP encoder both read safetensors; with the
reader here neither has to import the other (the loader builds CLAP encoders, so CLAP must
not reach back into the loader).
"""

from __future__ import annotations

from pathlib import Path

import torch

from ...core.errors import InputError
from ...core.fileio import atomic_output
from .checks import README, read_safetensors_header

__all__ = ["load_safetensors", "save_safetensors"]


def load_safetensors(path: str | Path, device: str = "cpu") -> tuple[dict[str, torch.Tensor], dict]:
    """(tensors, metadata) of a validated safetensors file; InputError otherwise."""
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    p = Path(path)
    _, meta = read_safetensors_header(p)
    try:
        return load_file(str(p), device=device), meta
    except (SafetensorError, OSError, RuntimeError, ValueError) as exc:
        raise InputError(p, f"cannot be read as safetensors ({exc}); download it again "
                            f"(see {README})") from None


def save_safetensors(tensors: dict[str, torch.Tensor], path: str | Path, metadata: dict[str, str]) -> None:
    """Write through a temp file in the same folder and rename (never a half-written checkpoint)."""
    from safetensors.torch import save_file

    with atomic_output(path) as tmp:
        save_file({k: v.detach().contiguous().cpu() for k, v in tensors.items()}, str(tmp), metadata=metadata)

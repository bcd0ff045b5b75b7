"""One-time conversion of a torch checkpoint to safetensors (the engine loads no pickles).

    python -m stereosync_studio.engines.diffusion.convert 630k-audioset-best.pt models/clap/630k-audioset-best.safetensors

Reads with `torch.load(weights_only=True)`, which refuses arbitrary Python objects; takes the
`state_dict` entry when there is one, drops the `module.` prefix of DataParallel checkpoints
and RoBERTa's `position_ids` buffer, and writes through a temp file. If torch refuses a file
you downloaded yourself from its official source, `--trust-pickle` unpickles it fully (this
runs whatever code the file contains: only for files you trust).
"""

from __future__ import annotations

import sys
from pathlib import Path


def convert(src: str | Path, dst: str | Path, trust_pickle: bool = False) -> int:
    """Convert; returns the number of tensors written."""
    import torch

    from ...core.errors import InputError
    from .safetensors_io import save_safetensors

    src, dst = Path(src), Path(dst)
    if not src.is_file():
        raise InputError(src, "file not found")
    try:
        ckpt = torch.load(src, map_location="cpu", weights_only=not trust_pickle)
    except Exception as exc:  # noqa: BLE001 - any unpickling refusal is reported the same way
        hint = "" if trust_pickle else "; if you trust this file, add --trust-pickle"
        raise InputError(src, f"cannot be read with torch.load ({str(exc).splitlines()[0]}){hint}") from None
    state = ckpt.get("state_dict", ckpt) if isinstance(ckpt, dict) else None
    if not isinstance(state, dict):
        raise InputError(src, "holds no state dict")
    tensors = {(k[7:] if k.startswith("module.") else k): v for k, v in state.items()
               if torch.is_tensor(v) and not k.endswith("position_ids")}
    if not tensors:
        raise InputError(src, "holds no tensors")
    save_safetensors(tensors, dst, {"converted_from": src.name})
    return len(tensors)


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    trust = "--trust-pickle" in args
    args = [a for a in args if a != "--trust-pickle"]
    if len(args) != 2:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    from ...core.errors import StereoSyncError

    try:
        n = convert(args[0], args[1], trust)
    except StereoSyncError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"wrote {n} tensors to {args[1]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

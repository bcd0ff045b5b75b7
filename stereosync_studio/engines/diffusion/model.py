"""Assemble StereoSync from a Stable Audio Open config: VAE + DiT + ControlNet + conditioners.

The base config (SAO's `model_config.json`) gives the VAE, the DiT and the seconds_start /
seconds_total number conditioners. Its T5 prompt conditioner is left out (StereoSync replaces
text with a CLAP audio embedding, and T5 would need more downloads); the CLAP, box and depth
conditioners plus the ControlNet form the adapter, described by `AdapterConfig` and stored
in the adapter's safetensors metadata so a checkpoint always rebuilds the model it came from.
"""

from __future__ import annotations

from . import _upstream  # noqa: F401  (quiet stable-audio-tools import, first)

import copy
import json
import warnings
from dataclasses import asdict, dataclass, fields

import torch
from stable_audio_tools.models.conditioners import MultiConditioner, NumberConditioner
from stable_audio_tools.models.diffusion import ConditionedDiffusionModelWrapper
from stable_audio_tools.models.factory import create_pretransform_from_config

from .conditioners import BoxConditioner, ClapConditioner, DepthConditioner
from .controlnet import ControlledDiTWrapper, controlnet_depth

ADAPTER_PREFIXES = ("model.model.controlnet.", "conditioner.conditioners.clap.",
                    "conditioner.conditioners.boxes.", "conditioner.conditioners.depth.")
SECONDS_IDS = ("seconds_start", "seconds_total")


@dataclass
class AdapterConfig:
    """Everything about the adapter that is not in the base config (saved with its weights)."""

    depth_factor: float = 0.2  # fraction of DiT blocks copied into the ControlNet
    clap_dim: int = 512
    box_rate: float = 30.0  # box tokens per second (paper: 30 fps boxes)
    depth_rate: float = 4.0  # depth tokens per second (paper: depth maps at 4 fps)
    depth_dim: int = 16  # per-frame depth feature size (distance encoding unless 'features')
    depth_source: str = "distance"  # distance | features
    chunk_seconds: float = 2.0  # training chunk length (paper: 2 s)
    window_seconds: float = 0.0  # render window; 0 = the base model's sample_size

    @classmethod
    def from_dict(cls, d: dict | None) -> "AdapterConfig":
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in (d or {}).items() if k in names})

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)


class BaseConfigError(ValueError):
    """The base model_config.json is not a Stable Audio Open-style DiT config."""


def base_facts(base_config: dict) -> dict:
    """The facts StereoSync needs from the base config (raises BaseConfigError)."""
    try:
        if base_config.get("model_type") not in ("diffusion_cond", "diffusion_cond_inpaint"):
            raise BaseConfigError(f"model_type {base_config.get('model_type')!r} is not diffusion_cond")
        m = base_config["model"]
        diff = m["diffusion"]
        if diff.get("type") != "dit":
            raise BaseConfigError(f"diffusion type {diff.get('type')!r} is not 'dit'")
        conds = {c["id"]: c for c in m["conditioning"]["configs"]}
        for k in SECONDS_IDS:
            if conds.get(k, {}).get("type") != "number":
                raise BaseConfigError(f"no '{k}' number conditioner")
        return {
            "sample_rate": int(base_config["sample_rate"]),
            "sample_size": int(base_config["sample_size"]),
            "cond_dim": int(m["conditioning"]["cond_dim"]),
            "io_channels": int(m["io_channels"]),
            "dit": diff["config"],
            "pretransform": m["pretransform"],
            "seconds": {k: conds[k].get("config", {}) for k in SECONDS_IDS},
            "global_cond_ids": list(diff.get("global_cond_ids", [])),
            "prepend_cond_ids": list(diff.get("prepend_cond_ids", [])),
            "objective": diff.get("diffusion_objective", "v"),
        }
    except (KeyError, TypeError) as exc:
        raise BaseConfigError(f"missing entry {exc}") from None


def build_model(base_config: dict, adapter: AdapterConfig) -> ConditionedDiffusionModelWrapper:
    """Random-weight StereoSync model of the given shape (load weights afterwards)."""
    f = base_facts(base_config)
    if f["objective"] != "v":
        raise BaseConfigError(f"diffusion objective {f['objective']!r}: StereoSync needs 'v'")
    dit_cfg = copy.deepcopy(f["dit"])
    blocks = controlnet_depth(int(dit_cfg.get("depth", 12)), adapter.depth_factor)
    with warnings.catch_warnings():  # upstream oobleck uses the deprecated weight_norm
        warnings.simplefilter("ignore", FutureWarning)
        dit = ControlledDiTWrapper("v", controlnet_blocks=blocks, **dit_cfg)
        pretransform = create_pretransform_from_config(f["pretransform"], f["sample_rate"])
    cd = f["cond_dim"]
    conditioner = MultiConditioner({
        "clap": ClapConditioner(cd, adapter.clap_dim),
        "boxes": BoxConditioner(cd),
        "depth": DepthConditioner(cd, adapter.depth_dim),
        **{k: NumberConditioner(cd, **f["seconds"][k]) for k in SECONDS_IDS},
    })
    model = ConditionedDiffusionModelWrapper(
        dit, conditioner, io_channels=f["io_channels"], sample_rate=f["sample_rate"],
        min_input_length=pretransform.downsampling_ratio * dit.model.patch_size,
        diffusion_objective="v", pretransform=pretransform,
        cross_attn_cond_ids=["clap", "boxes", "depth", *SECONDS_IDS],
        global_cond_ids=f["global_cond_ids"], prepend_cond_ids=f["prepend_cond_ids"])
    model.sample_size = f["sample_size"]
    model.adapter_config = adapter
    return model


def is_adapter_key(name: str) -> bool:
    return name.startswith(ADAPTER_PREFIXES)


def adapter_state(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach() for k, v in model.state_dict().items() if is_adapter_key(k)}


def base_state(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach() for k, v in model.state_dict().items() if not is_adapter_key(k)}


def freeze_base(model: torch.nn.Module) -> list[torch.nn.Parameter]:
    """Only the ControlNet and the conditioning projections train; returns those parameters."""
    trainable = []
    for name, p in model.named_parameters():
        keep = is_adapter_key(name)
        p.requires_grad_(keep)
        if keep:
            trainable.append(p)
    return trainable


def init_controlnet_from_base(model: torch.nn.Module) -> None:
    dit = model.model.model
    if dit.controlnet is not None:
        dit.controlnet.init_from(dit)


@torch.no_grad()
def encode_control(model, envelope_audio: torch.Tensor) -> torch.Tensor:
    """VAE latents of the envelope signal (B, 2, N): the mean, so a take is reproducible."""
    pt = model.pretransform
    ae = pt.model
    x = envelope_audio.to(next(ae.parameters()).dtype)
    raw = ae.encode(x, skip_bottleneck=True)
    mean = raw.chunk(2, dim=1)[0] if raw.shape[1] == 2 * pt.encoded_channels else raw
    return mean / pt.scale

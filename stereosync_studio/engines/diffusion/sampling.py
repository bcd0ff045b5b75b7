"""Sampling StereoSync takes: DPM-Solver++ on the v-objective DiT, in batched windows.

Why not upstream `generate_diffusion_cond`: it seeds the global RNG and draws the noise on
the target device (one seed gives different takes on CPU and CUDA), switches TF32 off for the
whole process, prints, and can be neither followed nor cancelled. Here every random draw
(initial latent and the SDE noise of each step) comes from a CPU generator seeded from
(seed, window index), progress is reported after every step and `cancel.check()` runs
between steps. Clips longer than the window are rendered as overlapping windows (sampled
together as one batch) and joined with equal-power crossfades.
"""

from __future__ import annotations

from . import _upstream  # noqa: F401  (quiet stable-audio-tools import, first)

import contextlib
from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch
import k_diffusion as K

from ...core.progress import CancelToken, ProgressFn
from .features import chunk_plan, crossfade_stitch
from .model import encode_control

SAMPLERS = ("dpmpp-3m-sde", "dpmpp-2m-sde", "dpmpp-2m", "euler")


@dataclass
class SamplerSettings:
    steps: int = 150
    cfg_scale: float = 2.0
    sampler: str = "dpmpp-3m-sde"
    sigma_min: float = 0.3  # Stable Audio Open's published sampling range
    sigma_max: float = 500.0
    control_scale: float = 1.0
    precision: str = "auto"  # auto: bfloat16 autocast on CUDA, float32 elsewhere | fp32


@dataclass
class WindowInputs:
    """Conditioning of one window (numpy): control (2, L) at the model rate, boxes (T, 4),
    depth (Td, D), the CLAP embedding (512,) and the window length in seconds."""

    control: np.ndarray
    boxes: np.ndarray
    depth: np.ndarray
    clap: np.ndarray
    seconds: float


def window_seed(seed: int, index: int) -> int:
    """Independent, reproducible seed per window (the same on every device)."""
    return int(np.random.SeedSequence([int(seed) & 0xFFFFFFFF, int(index)]).generate_state(1)[0])


def _autocast(device: torch.device, precision: str):
    if device.type == "cuda" and precision == "auto":
        dtype = torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
        return torch.autocast("cuda", dtype=dtype)
    return contextlib.nullcontext()


def conditioning_inputs(model, inputs: list[WindowInputs], device: torch.device) -> dict:
    meta = [{"clap": torch.from_numpy(np.asarray(w.clap, np.float32)),
             "boxes": torch.from_numpy(np.asarray(w.boxes, np.float32)),
             "depth": torch.from_numpy(np.asarray(w.depth, np.float32)),
             "seconds_start": 0.0, "seconds_total": float(w.seconds)} for w in inputs]
    return model.get_conditioning_inputs(model.conditioner(meta, device))


@torch.no_grad()
def sample_windows(model, inputs: list[WindowInputs], n_samples: int, settings: SamplerSettings,
                   seeds: list[int], on_step: Callable[[int, int], None] | None = None) -> list[np.ndarray]:
    """Takes of equally long windows sampled together as one batch: [(2, n_samples)] float32
    at the model's rate. Each window's noise comes from its own CPU generator, so a window's
    take does not depend on the device or on which windows share its batch."""
    device = next(model.parameters()).device
    unit = int(model.min_input_length)  # VAE downsampling x DiT patch size
    padded = -(-int(n_samples) // unit) * unit
    shape = (1, model.io_channels, padded // int(model.pretransform.downsampling_ratio))
    gens = [torch.Generator("cpu").manual_seed(int(s)) for s in seeds]

    def draw() -> torch.Tensor:
        return torch.cat([torch.randn(shape, generator=g) for g in gens]).to(device)

    noise = draw()
    ctrl_audio = np.zeros((len(inputs), 2, padded), np.float32)
    for b, w in enumerate(inputs):
        m = min(padded, w.control.shape[1])
        ctrl_audio[b, :, :m] = w.control[:, :m]
    control = encode_control(model, torch.from_numpy(ctrl_audio).to(device)).float()  # VAE in fp32
    with _autocast(device, settings.precision):
        cond = conditioning_inputs(model, inputs, device)
    sigmas = K.sampling.get_sigmas_polyexponential(int(settings.steps), settings.sigma_min,
                                                   settings.sigma_max, 1.0, device=device)
    x = noise * sigmas[0]
    total = len(sigmas) - 1

    def callback(info):
        if on_step is not None:
            on_step(int(info["i"]) + 1, total)

    extra = dict(cond, cfg_scale=float(settings.cfg_scale), batch_cfg=True, scale_phi=0.0,
                 control=control, control_scale=float(settings.control_scale))
    denoiser = K.external.VDenoiser(model.model)
    if on_step is not None:
        on_step(0, total)
    kw = dict(extra_args=extra, callback=callback, disable=True)
    with _autocast(device, settings.precision):
        if settings.sampler == "dpmpp-3m-sde":
            out = K.sampling.sample_dpmpp_3m_sde(denoiser, x, sigmas, noise_sampler=lambda *_: draw(), **kw)
        elif settings.sampler == "dpmpp-2m-sde":
            out = K.sampling.sample_dpmpp_2m_sde(denoiser, x, sigmas, noise_sampler=lambda *_: draw(), **kw)
        elif settings.sampler == "dpmpp-2m":
            out = K.sampling.sample_dpmpp_2m(denoiser, x, sigmas, **kw)
        elif settings.sampler == "euler":
            out = K.sampling.sample_euler(denoiser, x, sigmas, **kw)
        else:
            raise ValueError(f"unknown sampler {settings.sampler!r} ({', '.join(SAMPLERS)})")
    pt = model.pretransform
    audio = pt.decode(out.to(next(pt.parameters()).dtype))[:, :, :n_samples].float().cpu().numpy()
    if audio.shape[1] == 1:
        audio = np.repeat(audio, 2, axis=1)
    return [np.ascontiguousarray(a, dtype=np.float32) for a in audio]


def sample_window(model, inputs: WindowInputs, n_samples: int, settings: SamplerSettings, seed: int,
                  on_step: Callable[[int, int], None] | None = None) -> np.ndarray:
    """One take of one window: (2, n_samples) float32 at the model's rate."""
    return sample_windows(model, [inputs], n_samples, settings, [seed], on_step)[0]


def render(model, make_inputs: Callable[[int, int], WindowInputs], n_total: int, window: int,
           overlap: int, settings: SamplerSettings, seed: int, progress: ProgressFn,
           cancel: CancelToken, max_batch: int = 8) -> tuple[np.ndarray, list[tuple[int, int]]]:
    """Render n_total samples (model rate) as overlapping windows; returns (audio, plan).

    `make_inputs(start, length)` builds the conditioning of the window [start, start+length).
    The windows (all the same length) are sampled `max_batch` at a time: on a GPU a batch of
    short windows costs about what one does."""
    plan = chunk_plan(int(n_total), int(window), int(overlap))
    length = plan[0][1]
    groups = [list(range(i, min(i + max(1, int(max_batch)), len(plan)))) for i in range(0, len(plan), max(1, int(max_batch)))]
    chunks: list[np.ndarray] = []
    for g, idx in enumerate(groups):
        cancel.check()

        def on_step(i: int, total: int, g=g, idx=idx) -> None:
            cancel.check()
            done = (idx[0] + len(idx) * i / max(total, 1)) / len(plan)
            where = f"windows {idx[0] + 1}-{idx[-1] + 1}/{len(plan)}: " if len(plan) > 1 else ""
            progress(done, f"{where}step {i}/{total}")

        chunks += sample_windows(model, [make_inputs(*plan[k]) for k in idx], length, settings,
                                 [window_seed(seed, k) for k in idx], on_step)
    cancel.check()
    return crossfade_stitch(chunks, plan, int(n_total)), plan

"""Speed of the StereoSync diffusion engine (prints figures, asserts nothing).

- tiny: the tiny random-weight model through the real loader and `get_engine("diffusion")`
  on the CPU: seconds per sampling step (CFG batch of 2) and per take.
- full: Stable Audio Open's architecture (VAE + 24-block DiT 1536 wide + 5-block ControlNet +
  all conditioners) with random weights: seconds per 10 s take at 150 steps (the paper's
  setting), per-step time, VAE decode time, and the FLOP floor of the DiT+ControlNet work.
  Runs when CUDA is available (or with --full on any device; on a CPU it times two steps
  and extrapolates).

    .venv/bin/python tests/bench/bench_diffusion.py [--full] [--steps 150] [--seconds 10]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import numpy as np  # noqa: E402


def _request(seconds: float, steps: int, **opts):
    from stereosync_studio.core import Envelope, Trajectory
    from stereosync_studio.engines.base import GenerationRequest

    t = np.arange(0, seconds, 0.5)
    env = Envelope.from_points(np.concatenate([t, t + 0.05]), np.concatenate([np.zeros_like(t), 0.4 + 0 * t]), seconds)
    n = int(seconds * 25)
    traj = Trajectory(np.linspace(-0.5, 0.5, n), np.linspace(1, 2, n), 25.0)
    return GenerationRequest(duration=seconds, sample_rate=48000, envelope=env, trajectory=traj,
                             reference_files=[], seed=0, options={"steps": steps, **opts})


def bench_tiny(steps: int = 20, seconds: float = 10.0) -> dict:
    import torch

    from stereosync_studio.core import CancelToken
    from stereosync_studio.engines.base import get_engine
    from stereosync_studio.engines.diffusion.tiny import write_tiny_models

    with tempfile.TemporaryDirectory() as d:
        write_tiny_models(d)
        eng = get_engine("diffusion", d)
        stamps = []

        def progress(f, m):
            if m.startswith("step") or "step" in m:
                stamps.append(time.perf_counter())

        eng.generate(_request(1.0, 2, device="cpu", window_s=10.0), lambda f, m: None, CancelToken())  # warm-up/load
        t0 = time.perf_counter()
        take = eng.generate(_request(seconds, steps, device="cpu", window_s=10.0), progress, CancelToken())
        total = time.perf_counter() - t0
    per_step = statistics.median(np.diff(stamps)) if len(stamps) > 2 else float("nan")
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    out = {"threads": torch.get_num_threads(), "load": load, "steps": steps, "seconds": seconds,
           "per_step_s": per_step, "take_s": total, "rtf": total / seconds, "windows": take.info["windows"]}
    print(f"tiny model, CPU ({out['threads']} threads): {steps}-step take of {seconds:.0f} s "
          f"({take.info['windows']} windows of {take.info['window_s']:.1f} s sampled as one batch, CFG x2) "
          f"in {total:.2f} s: {per_step * 1000:.1f} ms per step, real-time factor {out['rtf']:.3f} "
          f"(machine load {load:.1f})")
    return out


def dit_flops(model, latent_tokens: int, cross_tokens: int, batch: int = 2) -> float:
    """Matmul FLOPs of one DiT + ControlNet evaluation (2 per multiply-add), attention included."""
    dit = model.model.model
    tr = dit.transformer
    d = tr.dim
    n = latent_tokens + 1  # + the prepended global token
    blocks = len(tr.layers) + (len(dit.controlnet.blocks) if dit.controlnet is not None else 0)
    per_block_params = sum(p.numel() for n_, p in tr.layers[0].named_parameters() if p.dim() == 2
                           and "cross_attn.to_kv" not in n_)
    kv_params = tr.layers[0].cross_attn.to_kv.weight.numel()
    linear = 2 * per_block_params * n + 2 * kv_params * cross_tokens
    attention = 2 * 2 * n * n * d + 2 * 2 * n * cross_tokens * d
    return float(batch * blocks * (linear + attention))


def bench_full(steps: int = 150, seconds: float = 10.0, device: str | None = None) -> dict:
    import torch

    from stereosync_studio.engines.diffusion import sampling
    from stereosync_studio.engines.diffusion.model import AdapterConfig, build_model
    from stereosync_studio.engines.diffusion.tiny import sao_base_config

    dev = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
    t0 = time.perf_counter()
    with torch.device(dev):
        torch.manual_seed(0)
        model = build_model(sao_base_config(), AdapterConfig())
    model.to(dev).requires_grad_(False).eval()
    build_s = time.perf_counter() - t0
    n_params = sum(p.numel() for p in model.parameters())
    sr = model.sample_rate
    n = int(seconds * sr)
    adapter = model.adapter_config
    rng = np.random.default_rng(0)
    inputs = sampling.WindowInputs(
        control=np.abs(rng.standard_normal((2, n))).astype(np.float32) * 0.1,
        boxes=rng.uniform(0, 1, (int(seconds * adapter.box_rate), 4)).astype(np.float32),
        depth=rng.standard_normal((int(seconds * adapter.depth_rate), adapter.depth_dim)).astype(np.float32),
        clap=(v := rng.standard_normal(512).astype(np.float32)) / np.linalg.norm(v), seconds=seconds)
    latent = -(-n // model.min_input_length) * model.min_input_length // model.pretransform.downsampling_ratio
    cross = 1 + 4 * int(seconds * adapter.box_rate) + int(seconds * adapter.depth_rate) + 2
    flops_step = dit_flops(model, latent, cross)
    cuda = dev.type == "cuda"

    def sync():
        if cuda:
            torch.cuda.synchronize()

    results = {"device": str(torch.cuda.get_device_name(dev) if cuda else "cpu"), "params": n_params,
               "build_s": build_s, "latent_tokens": latent, "cross_tokens": cross,
               "tflop_per_step": flops_step / 1e12}
    print(f"full SAO-size StereoSync, random weights: {n_params / 1e9:.2f} B parameters "
          f"(ControlNet {len(model.model.model.controlnet.blocks)} blocks) on {results['device']}, "
          f"built in {build_s:.1f} s")
    print(f"  {seconds:.0f} s take = {latent} latent tokens, {cross} cross-attention tokens; "
          f"DiT+ControlNet {flops_step / 1e12:.2f} TFLOP per CFG step")
    precisions = ["auto", "fp32"] if cuda else ["fp32"]
    for precision in precisions:
        settings = sampling.SamplerSettings(steps=steps if cuda else 2, cfg_scale=2.0, precision=precision)
        stamps = []

        def on_step(i, total):
            sync()
            stamps.append(time.perf_counter())

        short = sampling.SamplerSettings(steps=3 if cuda else 1, cfg_scale=2.0, precision=precision)
        sampling.sample_window(model, inputs, n, short, 0)  # warm-up (kernels, allocator)
        sync()
        t1 = time.perf_counter()
        audio = sampling.sample_window(model, inputs, n, settings, 1, on_step)
        sync()
        take_s = time.perf_counter() - t1
        per_step = statistics.median(np.diff(stamps)) if len(stamps) > 2 else float("nan")
        with torch.no_grad(), sampling._autocast(dev, precision):
            z = torch.randn(1, model.io_channels, latent, device=dev)
            sync()
            t2 = time.perf_counter()
            model.pretransform.decode(z)
            sync()
            decode_s = time.perf_counter() - t2
        if not cuda:  # extrapolate the two timed steps to the requested count
            take_s = take_s + (steps - settings.steps) * per_step
        label = {"auto": "bf16 autocast", "fp32": "fp32"}[precision]
        tflops = flops_step / per_step / 1e12 if per_step == per_step else float("nan")
        results[precision] = {"per_step_s": per_step, "take_s": take_s, "decode_s": decode_s,
                              "achieved_tflops": tflops, "finite": bool(np.isfinite(audio).all())}
        print(f"  {label}: {per_step * 1000:.1f} ms per step -> {take_s:.2f} s per {seconds:.0f} s take at "
              f"{steps} steps{'' if cuda else ' (extrapolated from 2 steps)'} (VAE decode {decode_s:.2f} s; "
              f"{tflops:.3g} TFLOP/s achieved)")
    floor = flops_step * steps / 989e12
    print(f"  FLOP floor at H100 dense bf16 peak (989 TFLOP/s): {floor:.2f} s per take (DiT+ControlNet only)")
    results["floor_s"] = floor
    return results


def main(argv: list[str] | None = None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--full", action="store_true", help="run the full-size bench even without CUDA")
    p.add_argument("--tiny-only", action="store_true")
    p.add_argument("--steps", type=int, default=150)
    p.add_argument("--seconds", type=float, default=10.0)
    args = p.parse_args([] if argv is None else argv)
    import torch

    out = {"tiny": bench_tiny(seconds=args.seconds)}
    if args.tiny_only:
        return out
    if torch.cuda.is_available() or args.full:
        out["full"] = bench_full(args.steps, args.seconds)
    else:
        print("full SAO-size bench skipped: no CUDA GPU (run with --full to time it on this CPU)")
    return out


if __name__ == "__main__":
    main(sys.argv[1:])

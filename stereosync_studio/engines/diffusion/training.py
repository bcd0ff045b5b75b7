"""Train the StereoSync adapter (ControlNet + conditioning projections) with Lightning.

As in the paper: Stable Audio Open frozen, v-objective MSE, AdamW at a fixed 1e-4 (SAO's
betas and weight decay), classifier-free-guidance dropout of the cross-attention tokens.
Checkpoints are safetensors (adapter weights + its config as metadata, and the AdamW state in
`<name>.optim.safetensors`), written every `save_every` steps, at the end, and when the run
is cancelled or interrupted, so `stereosync train` run again continues where it stopped.

A run has two halves with the data preparation between them, which is the training job's
(`jobs.train.train_adapter`: it measures the clips with analysis): `open_run` checks the
files and builds (or resumes) the model, `fit` trains it on the prepared chunk files.
"""

from __future__ import annotations

import logging
import random
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import lightning as L
import numpy as np
import torch
from torch.nn import functional as F

from ...core.errors import Cancelled, InputError
from ...core.progress import CancelToken, ProgressFn, null_progress
from .checks import TRAIN_STATE_SUFFIX, ModelFiles, check_base, read_safetensors_header
from .dataset import ChunkDataset, PrepSettings, collate
from .loading import ADAPTER_META_KEY, build_from_files, pick_device, read_adapter_config, save_adapter
from .model import AdapterConfig, encode_control, freeze_base, is_adapter_key
from .safetensors_io import load_safetensors, save_safetensors


@dataclass
class TrainSettings:
    steps: int = 3000  # paper: 3,000 steps at batch 12
    batch_size: int = 12
    lr: float = 1e-4
    weight_decay: float = 1e-3  # Stable Audio Open's AdamW settings
    betas: tuple[float, float] = (0.9, 0.999)
    cfg_dropout: float = 0.1
    save_every: int = 500
    seed: int = 0
    device: str = "auto"
    devices: int = 1  # processes (one per GPU, or CPU processes with gloo)
    strategy: str = "auto"  # auto (ddp when devices > 1) | ddp | fsdp


@dataclass
class TrainResult:
    out: Path
    step: int  # total steps of the adapter after this run
    steps_run: int
    losses: list[float] = field(default_factory=list)
    chunks: int = 0
    seconds: float = 0.0
    rank: int = 0  # this process's rank (only rank 0 writes and reports in a multi-device run)


def optim_path(adapter: Path) -> Path:
    return adapter.with_name(adapter.name[: -len(".safetensors")] + TRAIN_STATE_SUFFIX) \
        if adapter.name.endswith(".safetensors") else adapter.with_name(adapter.name + TRAIN_STATE_SUFFIX)


class AdapterModule(L.LightningModule):
    """One v-objective training step of the ControlNet and projections on frozen SAO."""

    def __init__(self, model, settings: TrainSettings, optim_state: dict | None = None):
        super().__init__()
        self.model = model
        self.settings = settings
        self.trainable = freeze_base(model)
        self.param_names = {id(p): n for n, p in model.named_parameters()}
        self._optim_state = optim_state
        self.losses: list[float] = []
        self.sample_rate = int(model.sample_rate)

    def configure_optimizers(self):
        s = self.settings
        return torch.optim.AdamW(self.trainable, lr=s.lr, betas=s.betas, weight_decay=s.weight_decay)

    def on_train_start(self) -> None:
        self.model.pretransform.eval()
        if self._optim_state:
            opt = self.trainer.optimizers[0]
            for p in self.trainable:
                name = self.param_names[id(p)]
                if f"{name}::exp_avg" in self._optim_state:
                    opt.state[p] = {
                        "step": self._optim_state[f"{name}::step"].to(torch.float32).cpu(),
                        "exp_avg": self._optim_state[f"{name}::exp_avg"].to(p.device, p.dtype),
                        "exp_avg_sq": self._optim_state[f"{name}::exp_avg_sq"].to(p.device, p.dtype)}
            self._optim_state = None

    def training_step(self, batch, batch_idx):
        audio, control, meta = batch
        model = self.model
        with torch.no_grad(), torch.autocast(self.device.type, enabled=False):  # VAE in fp32
            x0 = model.pretransform.encode(audio.float())  # sampled VAE latents, as upstream trains
            ctrl = encode_control(model, control.float())
        t = torch.rand(x0.shape[0], device=x0.device)
        alpha, sigma = torch.cos(t * np.pi / 2)[:, None, None], torch.sin(t * np.pi / 2)[:, None, None]
        noise = torch.randn_like(x0)
        noised = x0 * alpha + noise * sigma
        target = noise * alpha - x0 * sigma  # v
        cond = model.conditioner(meta, self.device)
        out = model(noised, t, cond=cond, cfg_dropout_prob=self.settings.cfg_dropout, control=ctrl,
                    control_scale=1.0)
        loss = F.mse_loss(out.float(), target.float())
        self.losses.append(float(loss.detach()))
        return loss

    def optimizer_state(self) -> dict[str, torch.Tensor]:
        opt = self.trainer.optimizers[0]
        out = {}
        for p in self.trainable:
            st = opt.state.get(p)
            if st:
                name = self.param_names[id(p)]
                out[f"{name}::step"] = torch.as_tensor(st["step"], dtype=torch.float32).reshape(1)
                out[f"{name}::exp_avg"] = st["exp_avg"]
                out[f"{name}::exp_avg_sq"] = st["exp_avg_sq"]
        return out


class _Checkpointer(L.Callback):
    """Progress, cancellation and safetensors checkpoints (periodic, final, on interruption)."""

    def __init__(self, out: Path, offset: int, total: int, every: int, progress: ProgressFn,
                 cancel: CancelToken, meta: dict[str, str] | None = None):
        self.out, self.offset, self.total, self.every = out, offset, total, max(1, int(every))
        self.meta = dict(meta or {})
        self.progress, self.cancel = progress, cancel
        self.saved_step = -1

    def step(self, trainer) -> int:
        return self.offset + int(trainer.global_step)

    def save(self, trainer, module: AdapterModule) -> None:
        """Every rank calls this (FSDP gathers the sharded weights collectively); rank 0 writes."""
        step = self.step(trainer)
        if step == self.saved_step:
            return
        loss = module.losses[-1] if module.losses else float("nan")
        sharded = trainer.world_size > 1 and "fsdp" in type(trainer.strategy).__name__.lower()
        if sharded:
            state = _adapter_keys(trainer.strategy.lightning_module_state_dict())
        if trainer.is_global_zero:
            meta = {**self.meta, "loss": f"{loss:.6g}", "devices": str(trainer.world_size)}
            if sharded:  # the optimiser state stays sharded: a resumed FSDP run starts AdamW afresh
                save_safetensors(state, self.out, {ADAPTER_META_KEY: module.model.adapter_config.to_json(),
                                                   "step": str(step), **meta})
            else:
                save_adapter(module.model, self.out, step, meta)
                save_safetensors(module.optimizer_state(), optim_path(self.out), {"step": str(step)})
        self.saved_step = step

    def on_train_batch_end(self, trainer, module, outputs, batch, batch_idx) -> None:
        step = self.step(trainer)
        loss = module.losses[-1] if module.losses else float("nan")
        if trainer.is_global_zero:
            self.progress(step / max(self.total, 1), f"step {step}/{self.total}  loss {loss:.4f}")
        if step % self.every == 0:
            self.save(trainer, module)
        self.cancel.check()

    def on_train_end(self, trainer, module) -> None:
        self.save(trainer, module)

    def on_exception(self, trainer, module, exception) -> None:
        if isinstance(exception, (Cancelled, KeyboardInterrupt)) and trainer.global_step > 0 \
                and trainer.world_size == 1:  # several ranks cannot gather after one stopped
            self.save(trainer, module)


def _adapter_keys(state: dict) -> dict[str, torch.Tensor]:
    """The adapter's tensors of a gathered LightningModule state dict (`model.` prefix and FSDP
    wrapper names removed), on the CPU."""
    out = {}
    for k, v in state.items():
        name = k.replace("_fsdp_wrapped_module.", "")
        name = name[len("model."):] if name.startswith("model.") else name
        if is_adapter_key(name):
            out[name] = v.detach().cpu().contiguous()
    return out


def distributed_strategy(devices: int, strategy: str, accelerator: str):
    """Lightning's strategy for `devices` processes: DDP (gloo on CPU, NCCL on GPUs) or FSDP
    (the frozen base and the adapter in one sharded unit; original parameters kept, since only
    the adapter trains)."""
    name = (strategy or "auto").lower()
    if name not in ("auto", "ddp", "fsdp"):
        raise InputError(None, f"unknown training strategy {strategy!r} (ddp or fsdp)")
    if devices <= 1 and name == "auto":
        return "auto"
    if name == "fsdp":
        if accelerator != "gpu":
            raise InputError(None, "--strategy fsdp needs CUDA GPUs (Lightning's FSDP); on the CPU use ddp")
        from lightning.pytorch.strategies import FSDPStrategy

        return FSDPStrategy(use_orig_params=True)
    from lightning.pytorch.strategies import DDPStrategy

    return DDPStrategy(process_group_backend="gloo" if accelerator == "cpu" else None,
                       find_unused_parameters=False)


@dataclass
class TrainingRun:
    """An adapter about to be trained: where it goes, from which step, the model (None when
    the adapter already has all its steps) and the device."""

    out: Path
    base_dir: Path
    clap_path: Path
    settings: TrainSettings
    offset: int
    resume: bool
    t0: float
    model: torch.nn.Module | None = None
    device: torch.device | None = None

    @property
    def done(self) -> bool:
        return self.model is None

    def prep_settings(self) -> PrepSettings:
        """How the chunks must be prepared for this adapter (its sample rate and token rates)."""
        a = self.model.adapter_config
        return PrepSettings(int(self.model.sample_rate), a.chunk_seconds, a.box_rate, a.depth_rate, a.depth_dim,
                            a.depth_source)

    def clap_encoder(self):
        """The CLAP encoder that embeds the chunks' audio, on the run's device."""
        from .clap import ClapEncoder

        return ClapEncoder(self.clap_path, self.device)

    def result(self, chunks: int = 0) -> TrainResult:
        return TrainResult(self.out, self.offset, 0, chunks=chunks, seconds=time.perf_counter() - self.t0)


def open_run(base_dir: str | Path, clap_path: str | Path | None, out: str | Path,
             settings: TrainSettings | None = None, adapter_config: AdapterConfig | None = None,
             fresh: bool = False, prepare_only: bool = False,
             progress: ProgressFn = null_progress) -> TrainingRun:
    """Check the files and build the model to train: the adapter at `out` resumed (unless
    `fresh`), else a new one of `adapter_config`'s shape; `done` when nothing is left to do."""
    settings = settings or TrainSettings()
    t0 = time.perf_counter()
    out = Path(out)
    if out.suffix != ".safetensors":
        raise InputError(out, "the adapter is written as .safetensors; give a name ending in .safetensors")
    cfg, weights = check_base(base_dir)
    read_safetensors_header(weights)
    if clap_path is None:
        raise InputError(Path(base_dir).parent / "clap", "no CLAP checkpoint given or found (--clap); "
                                                         "see models/README.md")
    read_safetensors_header(clap_path)
    resume = out.is_file() and not fresh
    run = TrainingRun(out, Path(base_dir), Path(clap_path), settings, 0, resume, t0)
    if resume:
        adapter_config, meta = read_adapter_config(out)
        run.offset = int(meta.get("step", 0))
        if run.offset >= settings.steps and not prepare_only:
            return run
        progress(0.0, f"resuming {out.name} at step {run.offset}")
    files = ModelFiles(cfg, weights, out if resume else None, Path(clap_path))
    run.model = build_from_files(files, adapter_config)
    run.device = pick_device(settings.device)
    return run


def fit(run: TrainingRun, chunk_files: list[Path], progress: ProgressFn = null_progress,
        cancel: CancelToken | None = None, prepare_only: bool = False) -> TrainResult:
    """Train the run's adapter on the prepared chunks (saving as it goes); with `prepare_only`
    only count the chunks."""
    cancel = cancel or CancelToken()
    model, settings, out, offset = run.model, run.settings, run.out, run.offset
    data = ChunkDataset(chunk_files)
    result = TrainResult(out, offset, 0, chunks=len(data))
    if prepare_only:
        result.seconds = time.perf_counter() - run.t0
        return result

    optim_state = None
    if run.resume and optim_path(out).is_file():
        optim_state, _ = load_safetensors(optim_path(out))
    module = AdapterModule(model, settings, optim_state)
    seed = int(settings.seed) + offset
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    loader = torch.utils.data.DataLoader(
        data, batch_size=min(int(settings.batch_size), len(data)), shuffle=True, drop_last=True,
        collate_fn=lambda items: collate(items, int(model.sample_rate)),
        generator=torch.Generator().manual_seed(seed))
    ckpt = _Checkpointer(out, offset, int(settings.steps), settings.save_every, progress, cancel,
                         {"clap": run.clap_path.name, "base": str(run.base_dir.name)})
    device = run.device
    accel = {"cuda": "gpu"}.get(device.type, device.type)
    precision = "bf16-mixed" if device.type == "cuda" and torch.cuda.is_bf16_supported() else "32-true"
    quiet = [logging.getLogger(n) for n in ("lightning.pytorch", "lightning.fabric", "lightning")]
    levels = [lg.level for lg in quiet]
    for lg in quiet:
        lg.setLevel(logging.WARNING)
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", module=r"lightning(\.|$)")
            warnings.filterwarnings("ignore", message=".*(LeafSpec|does not have many workers).*")
            devices = max(1, int(settings.devices))
            trainer = L.Trainer(accelerator=accel, devices=devices,
                                strategy=distributed_strategy(devices, settings.strategy, accel), precision=precision,
                                max_steps=int(settings.steps) - offset, logger=False,
                                enable_checkpointing=False, enable_progress_bar=False,
                                enable_model_summary=False, callbacks=[ckpt], num_sanity_val_steps=0,
                                gradient_clip_val=1.0)
            trainer.fit(module, loader)
    finally:
        for lg, lv in zip(quiet, levels):
            lg.setLevel(lv)
    result.step = offset + int(trainer.global_step)
    result.steps_run = int(trainer.global_step)
    result.losses = list(module.losses)
    result.rank = int(trainer.global_rank)
    result.seconds = time.perf_counter() - run.t0
    return result

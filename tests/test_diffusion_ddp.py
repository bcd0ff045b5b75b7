"""Multi-device adapter training: `stereosync train --devices 2 --strategy ddp` on the CPU
(two processes, gloo), on the tiny random model. Lightning re-runs the command per rank, so
the test runs the real `stereosync` entry point in a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.diffusion_fixtures import footstep_walk, one_thread, tiny_models, write_audio_clip  # noqa: F401

SR = 44100


@pytest.fixture(scope="module")
def clips(tmp_path_factory, footsteps_dir) -> Path:
    d = tmp_path_factory.mktemp("ddp_clips")
    for i, (surface, pans) in enumerate([("gravel", (-0.6, 0.6)), ("wood", (0.5, -0.5))]):
        write_audio_clip(d, f"walk{i}", footstep_walk(footsteps_dir, 2.2, SR, surface=surface, seed=i), SR, *pans)
    return d


def test_ddp_on_two_cpu_processes(tiny_models, clips, tmp_path):
    from stereosync_studio.engines.diffusion.safetensors_io import load_safetensors

    out = tmp_path / "adapter.safetensors"
    exe = Path(sys.executable).with_name("stereosync")
    cmd = [str(exe), "train", "--clips", str(clips), "--base", str(tiny_models / "stable-audio-open-1.0"),
           "--clap", str(next((tiny_models / "clap").glob("*.safetensors"))), "--out", str(out),
           "--batch-size", "1", "--depth-factor", "0.5", "--chunk-seconds", "1", "--box-rate", "10",
           "--depth-dim", "8", "--device", "cpu", "--steps", "2", "--devices", "2", "--strategy", "ddp"]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONDONTWRITEBYTECODE": "1"}
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=600, env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.count("trained 2 steps") == 1  # only rank 0 reports
    tensors, meta = load_safetensors(out)
    assert meta["step"] == "2" and meta["devices"] == "2"  # the run had a world of two processes
    assert json.loads(meta["stereosync_adapter"])["depth_dim"] == 8 and tensors


def test_fsdp_needs_gpus_and_unknown_strategies_are_named():
    from stereosync_studio.core import InputError
    from stereosync_studio.engines.diffusion.training import distributed_strategy

    with pytest.raises(InputError, match="fsdp needs CUDA"):
        distributed_strategy(2, "fsdp", "cpu")
    with pytest.raises(InputError, match="deepspeed"):
        distributed_strategy(2, "deepspeed", "cpu")
    assert distributed_strategy(1, "auto", "cpu") == "auto"
    assert type(distributed_strategy(2, "auto", "cpu")).__name__ == "DDPStrategy"

"""Shared fixtures for the diffusion-engine tests: tiny checkpoints in the real layout, clips."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

torch = pytest.importorskip("torch")
pytest.importorskip("stable_audio_tools")


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """The tiny models are latency-bound: one thread is faster than two fighting a busy CI box."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="session")
def tiny_models(tmp_path_factory) -> Path:
    """models/ with tiny random SAO-shaped base, adapter (trained-like ControlNet) and CLAP."""
    from stereosync_studio.engines.diffusion.clap import write_tiny_tokenizer
    from stereosync_studio.engines.diffusion.tiny import write_tiny_models

    root = tmp_path_factory.mktemp("models")
    paths = write_tiny_models(root, seed=0)
    write_tiny_tokenizer(paths["clap"].parent / "roberta-base")
    return root


def footstep_walk(footsteps_dir: Path, seconds: float, sr: int = 44100, period: float = 0.5,
                  surface: str = "gravel", seed: int = 0) -> np.ndarray:
    """A mono walk: one real footstep recording every `period` seconds (float32 (N,))."""
    from stereosync_studio.media.audio import read_audio

    files = sorted(footsteps_dir.glob(f"*{surface}*.ogg"))
    assert files, f"no {surface} footsteps in {footsteps_dir}"
    grains = [read_audio(f, sr)[0].mean(axis=0) for f in files]
    rng = np.random.default_rng(seed)
    out = np.zeros(int(seconds * sr), np.float32)
    t = 0.05
    while t < seconds:
        g = grains[rng.integers(len(grains))] * float(rng.uniform(0.5, 1.0))
        s = int(t * sr)
        m = min(len(g), len(out) - s)
        out[s:s + m] += g[:m]
        t += period
    return out


def write_audio_clip(folder: Path, name: str, mono: np.ndarray, sr: int, pan_from: float,
                     pan_to: float, fps: float = 25.0, size=(1280, 720)) -> Path:
    """A stereo wav (simple pan law) plus the sidecar with the boxes that match its pan."""
    from stereosync_studio.core.track import Track

    n = len(mono)
    p = np.linspace(pan_from, pan_to, n)
    stereo = np.stack([mono * np.cos((p + 1) * np.pi / 4), mono * np.sin((p + 1) * np.pi / 4)])
    path = folder / f"{name}.wav"
    sf.write(path, stereo.T, sr)
    frames = int(n / sr * fps)
    cx = np.linspace((pan_from + 1) / 2, (pan_to + 1) / 2, frames) * size[0]
    boxes = np.stack([cx - 60, np.full(frames, 200.0), cx + 60, np.full(frames, 600.0)], axis=1)
    side = {"fps": fps, "width": size[0], "height": size[1], "track": Track(boxes).to_dict()}
    (folder / f"{name}.stereosync.json").write_text(json.dumps(side))
    return path

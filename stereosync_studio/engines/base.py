"""The engine interface shared by the DSP sampler and the diffusion model.

Every engine takes the same GenerationRequest (envelope, trajectory, boxes, reference, seed,
options) and returns a stereo Take of exactly the requested length. The CLI and the Studio
only talk to engines through `get_engine(name)`, so a new engine needs no change there.
Engines are registered by import path, so torch is imported only when the diffusion engine
is actually asked for.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from ..core.envelope import Envelope
from ..core.errors import StereoSyncError
from ..core.progress import CancelToken, ProgressFn
from ..core.track import Track
from ..core.trajectory import Trajectory


@dataclass
class GenerationRequest:
    """Everything an engine may use to make one take of one source."""

    duration: float  # seconds; the take has exactly round(duration * sample_rate) samples
    sample_rate: int
    envelope: Envelope
    trajectory: Trajectory
    reference_files: list[str]
    seed: int = 0
    options: dict[str, Any] = field(default_factory=dict)  # engine + spatial options
    track: Track | None = None
    frame_size: tuple[int, int] = (1280, 720)  # (width, height) of the picture
    fps: float = 25.0
    features: dict[str, list] = field(default_factory=dict)  # per-frame depth/box features
    reference_text: str = ""
    models_dir: str = "models"
    # surfaces along the clip: (start s, end s, files); a step whose onset falls in a region draws
    # its sound from that region's files, any other step from `reference_files`
    reference_regions: list[tuple[float, float, list[str]]] = field(default_factory=list)

    @property
    def n_samples(self) -> int:
        return int(round(self.duration * self.sample_rate))


@dataclass
class Take:
    """A generated stereo take: float32 (2, n) at `sample_rate`, plus how it was made."""

    audio: np.ndarray
    sample_rate: int
    seed: int
    engine: str
    info: dict[str, Any] = field(default_factory=dict)


@dataclass
class OptionSpec:
    """One engine option as the Studio's engine panel shows it."""

    key: str
    label: str
    kind: str  # float | int | bool | choice
    default: Any
    minimum: float | None = None
    maximum: float | None = None
    choices: list[str] | None = None
    help: str = ""


class Engine(Protocol):
    name: str
    label: str

    def availability(self) -> tuple[bool, str]:
        """(True, "") when usable; else (False, reason the user can act on)."""

    def options(self) -> list[OptionSpec]:
        """Options shown in the engine panel (spatial options are shared, see spatial.py)."""

    def generate(self, request: GenerationRequest, progress: ProgressFn, cancel: CancelToken) -> Take:
        """Make one take; call progress(fraction, message) and cancel.check() regularly."""


_REGISTRY: dict[str, str] = {
    "sampler": "stereosync_studio.engines.sampler:SamplerEngine",
    "diffusion": "stereosync_studio.engines.diffusion.engine:DiffusionEngine",
}


def register_engine(name: str, target: str) -> None:
    """Register an engine class by 'module:Class' path (imported on first use)."""
    _REGISTRY[name] = target


def list_engines() -> list[str]:
    return list(_REGISTRY)


def get_engine(name: str, models_dir: str | Path = "models") -> Engine:
    """Instantiate an engine by name; raises StereoSyncError with the reason if it cannot load."""
    if name not in _REGISTRY:
        raise StereoSyncError(f"unknown engine {name!r} (known: {', '.join(_REGISTRY)})")
    module_name, cls_name = _REGISTRY[name].split(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise StereoSyncError(f"engine {name!r} cannot be loaded: {exc}") from None
    return getattr(module, cls_name)(models_dir=str(models_dir))

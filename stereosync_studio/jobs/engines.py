"""Which engines can run here and what options they take: the faces list engines through this.

Probing may import torch (the diffusion engine looks for its checkpoints), so the Studio
runs `probe_and_warm` in a worker at start; the same call also imports the heavy modules
later jobs need, so a C extension's first import cannot stall the picture mid-work.
"""

from __future__ import annotations

import importlib
import logging
from dataclasses import dataclass, field

import numpy as np

from ..engines.base import OptionSpec

log = logging.getLogger(__name__)

__all__ = ["EngineInfo", "OptionSpec", "WARM_MODULES", "check_engine", "probe_engines", "probe_and_warm"]


@dataclass
class EngineInfo:
    name: str
    label: str
    ok: bool
    why: str = ""
    options: list[OptionSpec] = field(default_factory=list)


def probe_engines(models_dir: str = "models") -> dict[str, EngineInfo]:
    """Load every registered engine and ask whether it can run (may import torch)."""
    from ..engines.base import get_engine, list_engines

    out: dict[str, EngineInfo] = {}
    for name in list_engines():
        try:
            eng = get_engine(name, models_dir)
            ok, why = eng.availability()
            out[name] = EngineInfo(name, getattr(eng, "label", name), bool(ok), why, list(eng.options()))
        except Exception as exc:  # missing package, broken install: show why, keep going
            out[name] = EngineInfo(name, name, False, str(exc) or exc.__class__.__name__)
    return out


def check_engine(name: str, models_dir: str = "models") -> None:
    """StereoSyncError naming what is missing when engine `name` cannot run here."""
    from ..core.errors import StereoSyncError
    from ..engines.base import get_engine

    ok, why = get_engine(name, models_dir).availability()
    if not ok:
        raise StereoSyncError(f"engine {name!r} unavailable: {why}")


WARM_MODULES = tuple(f"stereosync_studio.{m}" for m in (
    "media.video", "media.audio", "media.mux", "media.bwf", "analysis.tracking", "analysis.detect",
    "analysis.pose", "analysis.flow_features", "analysis.box_features", "analysis.distance",
    "analysis.envelope_audio", "analysis.steps_video", "analysis.multi", "analysis.motion", "jobs.subjects",
    "engines.sampler", "engines.spatial", "engines.grains", "engines.events", "dsp.rms", "dsp.onsets",
    "dsp.interaural", "metrics", "metrics.spatial_alignment", "metrics.envelope_l1")) + (
    "cv2", "librosa", "librosa.feature", "soundfile", "soxr", "mediapipe.python.solutions.pose")


def probe_and_warm(models_dir: str = "models") -> dict[str, EngineInfo]:
    """Probe the engines, then import what later jobs need, while the user is still looking around."""
    engines = probe_engines(models_dir)
    for name in WARM_MODULES:
        try:
            importlib.import_module(name)
        except Exception as exc:  # an optional part missing: its job will say so when used
            log.info("warm-up: %s not imported (%s)", name, exc)
    try:  # librosa's RMS is compiled by numba on first use (~0.1 s holding the GIL): do it now
        from ..dsp.rms import rms_envelope

        rms_envelope(np.zeros((2, 4800), np.float32), 48000)
    except Exception as exc:
        log.info("warm-up: rms not compiled (%s)", exc)
    return engines

"""The seam between analysis and a learned video-to-envelope model.

Why a Protocol: analysis must not load models (no torch, no checkpoints here), yet a trained
mapper predicts a better loudness curve than step transients. A job finds the model and hands
analysis any callable that turns the subject's features (`mapper_features`, frames x dims at
FEATURE_RATE) into envelope values; analysis measures, calls it and builds the Envelope, and
falls back to its own transients when the callable fails.
"""

from __future__ import annotations

import logging
from typing import Protocol

import numpy as np

from ..core.envelope import ENVELOPE_RATE, Envelope
from .mapper_features import mapper_features
from .motion import SubjectMotion

log = logging.getLogger(__name__)

__all__ = ["EnvelopePredictor", "predicted_envelope"]


class EnvelopePredictor(Protocol):
    """features (T, N_FEATURES) at FEATURE_RATE -> envelope values on the ENVELOPE_RATE grid.

    Value i is the loudness at i / ENVELOPE_RATE seconds, covering T / FEATURE_RATE seconds
    (a shorter or longer curve is padded with silence or cut to the clip)."""

    def __call__(self, features: np.ndarray) -> np.ndarray: ...


def predicted_envelope(predictor: EnvelopePredictor, motion: SubjectMotion,
                       events: list[float]) -> Envelope | None:
    """The predictor's envelope over the clip (origin "mapper", `events` kept), or None when
    the predictor fails (logged as a warning: a broken model must not stop the analysis)."""
    try:
        values = np.asarray(predictor(mapper_features(motion)), np.float32).reshape(-1)
        if values.size == 0 or not np.isfinite(values).all():
            raise ValueError("the prediction is empty or not finite")
    except Exception as exc:  # a broken checkpoint, a missing package, a bad curve ...
        log.warning("learned envelope not used: %s", exc)
        return None
    env = Envelope(values, ENVELOPE_RATE, None, "mapper").with_duration(motion.duration)
    env.events = [float(t) for t in events]
    return env

"""Metrics of the papers: E-L1, spatial alignment, interaural cues, step timing.

`evaluate_take` scores one take the way the Studio's take list and the CLI's `eval` show it.
"""

from __future__ import annotations

import math

import numpy as np

from ..core.envelope import Envelope
from ..core.errors import InputError
from ..core.track import Track
from ..core.trajectory import Trajectory
from ..dsp.onsets import detect_step_onsets
from ..dsp.rms import rms_envelope, target_values
from .envelope_l1 import e_l1, e_l1_normalized, e_l1_silence
from .interaural import interaural_summary
from .loudness import loudness_report
from .onsets import onset_f1
from .spatial_alignment import heard_positions, pan_error, spatial_alignment

__all__ = ["evaluate_take", "loudness_report", "e_l1", "e_l1_normalized", "e_l1_silence", "rms_envelope", "spatial_alignment",
           "pan_error", "interaural_summary", "detect_step_onsets", "onset_f1"]


_CHECK_BLOCK = 1 << 20  # samples per channel checked at a time (no take-sized mask)


def _finite(audio: np.ndarray, what: str) -> np.ndarray:
    """float32 audio, or InputError: NaN/inf would turn every metric into NaN (or a librosa error)."""
    a = np.asarray(audio, np.float32)
    flat = a.reshape(a.shape[0], -1) if a.ndim > 1 else a.reshape(1, -1)
    bad = sum(int(np.count_nonzero(~np.isfinite(flat[:, i:i + _CHECK_BLOCK])))
              for i in range(0, flat.shape[1], _CHECK_BLOCK))
    if bad:
        raise InputError(None, f"the {what} contains {bad} NaN/inf sample(s): cannot score it")
    return a


def evaluate_take(audio: np.ndarray, sr: int, target_envelope: Envelope | np.ndarray | None,
                  trajectory: Trajectory | None, track: Track | None, frame_width: float, hfov_deg: float = 90.0,
                  reference_audio: np.ndarray | None = None, step_times: list[float] | None = None,
                  spatial_mode: str = "stereo") -> dict[str, float]:
    """All metrics of a (2, N) take as plain floats (keys that cannot be computed are left out).

    - e_l1, e_l1_normalized, e_l1_silence, e_l1_ratio (take / silence: < 1 beats silence);
    - spatial_alignment (the recall, + spatial_alignment_windows counted), pan_error: the heard
      direction against the box / the trajectory (`spatial_mode` "binaural" reads ITD, not ILD);
    - ild_db, itd_ms, iacc (+ per-window means): interaural cues;
    - lufs_integrated, lufs_short_term_max, true_peak_dbtp: delivery loudness (BS.1770-4);
    - onset_precision/recall/f1 against `step_times` (or the envelope's explicit events);
    - with `reference_audio` (same rate, e.g. the clip's own sound): e_l1_reference,
      onset_f1_reference and the reference's interaural cues (ild_db_reference, ...).
    A silent take scores e_l1 = e_l1_silence, spatial_alignment_windows = 0 and no
    spatial_alignment / pan_error (no window is loud enough to say where it is heard).
    Raises InputError if the take or the reference holds NaN/inf samples.
    """
    a = _finite(audio, "take")
    if a.ndim == 1:
        a = np.stack([a, a])
    out: dict[str, float] = {}
    take_env = None
    if target_envelope is not None and len(target_values(target_envelope)):
        take_env = rms_envelope(a, sr)  # measured once for both distances
        out["e_l1"] = e_l1(a, sr, target_envelope, take_env)
        out["e_l1_normalized"] = e_l1_normalized(a, sr, target_envelope, take_env)
        out["e_l1_silence"] = e_l1_silence(target_envelope)
        if out["e_l1_silence"] > 0:
            out["e_l1_ratio"] = out["e_l1"] / out["e_l1_silence"]
    if a.shape[0] == 2 and a.shape[1] > 0:
        heard = heard_positions(a, sr, spatial_mode)  # the per-window cues, measured once for all
        out.update(interaural_summary(a, sr, windows=heard.cues))
        if track is not None and trajectory is not None and len(track) and frame_width > 0:
            al = spatial_alignment(a, sr, track, frame_width, trajectory.fps, hfov_deg, spatial_mode,
                                   mapping=trajectory.mapping, heard=heard)
            out["spatial_alignment_windows"] = float(al.n_counted)
            if al.n_counted:
                out["spatial_alignment"] = al.recall
        if trajectory is not None and len(trajectory):
            pe = pan_error(a, sr, trajectory, spatial_mode, heard=heard)
            if not math.isnan(pe):
                out["pan_error"] = pe
    out.update(loudness_report(a, sr))
    detected = detect_step_onsets(a, sr)
    out["onsets_detected"] = float(len(detected))
    truth = step_times
    if truth is None and isinstance(target_envelope, Envelope):
        truth = target_envelope.steps()
    if truth is not None:
        f = onset_f1(detected, np.asarray(truth, float))
        out.update({"onset_precision": f["precision"], "onset_recall": f["recall"], "onset_f1": f["f1"]})
    if reference_audio is not None:
        ref = _finite(reference_audio, "reference audio")
        ref = np.stack([ref, ref]) if ref.ndim == 1 else ref
        ref_env = rms_envelope(ref, sr)
        if target_envelope is not None:
            ref_env = ref_env[: len(target_values(target_envelope))]
        out["e_l1_reference"] = e_l1(a, sr, ref_env, take_env)
        out["onset_f1_reference"] = onset_f1(detected, detect_step_onsets(ref, sr))["f1"]
        if ref.shape[0] == 2 and ref.shape[1] > 0:
            out.update({f"{k}_reference": v for k, v in interaural_summary(ref, sr).items()})
    return {k: float(v) for k, v in out.items()}

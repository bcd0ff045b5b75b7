"""Edge cases of the sampler engine and the metrics: silent / over-loud envelopes, odd events,
rates, extreme trajectories, and takes the metrics cannot score (silence, NaN)."""

from __future__ import annotations

import glob
import os
import warnings

import numpy as np
import pytest

from stereosync_studio.core import CancelToken, Envelope, InputError, Trajectory, null_progress
from stereosync_studio.core.envelope import ENVELOPE_RATE
from stereosync_studio.core.track import Track
from stereosync_studio.dsp.interaural import gcc_phat, ild_db
from stereosync_studio.dsp.onsets import detect_step_onsets
from stereosync_studio.engines.base import GenerationRequest
from stereosync_studio.engines.limiter import LIMIT_CEILING
from stereosync_studio.engines.limiter import peak_limit as _peak_limit
from stereosync_studio.engines.sampler import SamplerEngine
from stereosync_studio.metrics import evaluate_take

FOOTSTEPS = os.environ.get("STEREOSYNC_FOOTSTEPS", os.path.join(os.path.dirname(__file__), "data", "footsteps"))
REFS = sorted(glob.glob(os.path.join(FOOTSTEPS, "default_hard_footstep*.ogg")))
needs_refs = pytest.mark.skipif(not REFS, reason="footstep recordings not available")


def steps_envelope(dur: float, times: list[float], level: float = 0.2) -> Envelope:
    t = np.arange(int(round(dur * ENVELOPE_RATE)) + 1) / ENVELOPE_RATE
    v = np.zeros_like(t)
    for s in times:
        v += level * np.exp(-np.maximum(t - s, 0) / 0.05) * (t >= s)
    return Envelope(v)


def traj(n: int = 50, pan: float = 0.0, dist: float = 1.0, hfov: float = 90.0) -> Trajectory:
    return Trajectory(np.full(n, pan), np.full(n, dist), 25.0, hfov)


def generate(dur, env, tr, sr=48000, seed=0, **options):
    req = GenerationRequest(dur, sr, env, tr, REFS, seed=seed, options=options)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no warning spam from numpy / librosa
        take = SamplerEngine().generate(req, null_progress, CancelToken())
    a = take.audio
    assert a.dtype == np.float32 and a.shape == (2, req.n_samples)
    assert np.all(np.isfinite(a)) and float(np.max(np.abs(a))) <= 1.0
    return take


@needs_refs
def test_silent_envelope_makes_a_silent_take_with_one_warning():
    take = generate(2.0, Envelope(np.zeros(int(2.0 * ENVELOPE_RATE) + 1)), traj(), mode="binaural")
    assert not np.any(take.audio) and take.info["n_events"] == 0 and len(take.info["warnings"]) == 1


@needs_refs
@pytest.mark.parametrize("sr", [22050, 44100, 96000])
def test_length_exact_and_deterministic_at_other_rates(sr):
    env = steps_envelope(0.3, [0.05])
    a = generate(0.3, env, traj(), sr=sr, seed=3)
    b = generate(0.3, env, traj(), sr=sr, seed=3)
    assert a.audio.shape[1] == round(0.3 * sr) and np.array_equal(a.audio, b.audio)
    assert a.info["n_events"] == 1 and float(np.max(np.abs(a.audio))) > 0.05


@needs_refs
@pytest.mark.parametrize("mode", ["stereo", "binaural"])
def test_envelope_above_full_scale_is_limited_not_clipped(mode):
    """Steps at RMS 1.0 panned hard right ask for ~+11 dBFS peaks: the take is limited below
    full scale by one gain for both ears (the right ear still louder), with a warning."""
    take = generate(3.0, steps_envelope(3.0, [0.5, 1.5], level=1.0), traj(pan=1.0), mode=mode)
    a = take.audio
    peak = float(np.max(np.abs(a)))
    assert take.info["limiter_db"] > 6.0 and peak <= LIMIT_CEILING + 1e-6
    assert take.info["peak_dbfs"] == pytest.approx(20 * np.log10(peak), abs=0.01)
    assert any("limited" in w for w in take.info["warnings"])
    assert int(np.sum(np.abs(a) >= 0.999 * peak)) < 10  # no flat-topped (clipped) runs
    assert ild_db(a[0], a[1]) > 3.0


@needs_refs
def test_quiet_take_is_not_limited():
    take = generate(3.0, steps_envelope(3.0, [0.5, 1.5], level=0.05), traj())
    assert "limiter_db" not in take.info and take.info["warnings"] == []


def test_peak_limiter_is_smooth_linked_and_local():
    sr = 48000
    rng = np.random.default_rng(0)
    out = (0.1 * rng.standard_normal((2, sr))).astype(np.float32)  # peaks ~0.5 outside the burst
    out[:, 24000:24480] *= 30.0  # a 10 ms burst well above full scale
    before = out.copy()
    cut = _peak_limit(out, sr)
    assert np.max(np.abs(out)) <= LIMIT_CEILING and cut > 10.0
    gain = out[0, :] / before[0, :]
    assert np.allclose(out[1, :], before[1, :] * gain, rtol=1e-4, atol=1e-6)  # one gain for both channels
    assert np.max(np.abs(np.diff(gain[20000:30000]))) < 0.01  # ramps over ms, no steps
    assert np.array_equal(out[:, :20000], before[:, :20000])  # far from the burst: untouched
    assert np.array_equal(out[:, 30000:], before[:, 30000:])


@needs_refs
def test_explicit_events_outside_the_clip_or_unsorted_are_dropped_and_sorted():
    env = steps_envelope(3.0, [0.5, 1.2, 2.5])
    env = Envelope(env.values, events=[2.5, -0.5, 0.5, 5.0, 1.2, 3.7])
    take = generate(3.0, env, traj())
    times = take.info["event_times"]
    assert times == sorted(times) and all(0.0 <= t <= 3.0 for t in times) and len(times) == 3


@needs_refs
@pytest.mark.parametrize("pan,dist,hfov,mode", [(-1.0, 0.05, 10.0, "binaural"), (1.0, 1000.0, 170.0, "binaural"),
                                                (1.0, 0.05, 90.0, "stereo"), (0.3, 1000.0, 90.0, "stereo")])
def test_extreme_trajectories_stay_finite_and_bounded(pan, dist, hfov, mode):
    take = generate(1.5, steps_envelope(1.5, [0.3, 0.9]), traj(n=1, pan=pan, dist=dist), mode=mode, hfov_deg=hfov)
    assert float(np.max(np.abs(take.audio))) > 0.01


# ---------------------------------------------------------------- metrics

def test_gcc_phat_of_silence_is_zero_not_the_largest_lag():
    z = np.zeros(4800)
    x = np.random.default_rng(1).standard_normal(4800)
    assert gcc_phat(z, z, 48000) == 0.0 and gcc_phat(x, z, 48000) == 0.0
    batch = gcc_phat(np.stack([z, x]), np.stack([z, np.roll(x, 10)]), 48000)
    assert batch[0] == 0.0 and batch[1] == pytest.approx(-10 / 48000, abs=1e-5)


def test_evaluate_silent_take_is_defined():
    sr, n = 48000, 2 * 48000
    env = steps_envelope(2.0, [0.5, 1.0])
    track = Track(np.tile([600.0, 100.0, 700.0, 600.0], (50, 1)))
    m = evaluate_take(np.zeros((2, n), np.float32), sr, env, traj(), track, 1279)
    assert m["e_l1"] == pytest.approx(m["e_l1_silence"], rel=1e-6) and m["e_l1_ratio"] == pytest.approx(1.0)
    assert m["itd_ms"] == 0.0 and m["spatial_alignment_windows"] == 0.0
    assert "spatial_alignment" not in m and "pan_error" not in m
    assert all(np.isfinite(v) for v in m.values())


def test_evaluate_rejects_nan_take_and_reference():
    a = np.random.default_rng(2).standard_normal((2, 48000)).astype(np.float32) * 0.1
    bad = a.copy()
    bad[1, 100] = np.nan
    with pytest.raises(InputError, match="NaN"):
        evaluate_take(bad, 48000, None, None, None, 1280)
    with pytest.raises(InputError, match="reference"):
        evaluate_take(a, 48000, None, None, None, 1280, reference_audio=bad)


def test_evaluate_tiny_take_and_unseen_track_without_warnings():
    a = np.random.default_rng(3).standard_normal((2, 10)).astype(np.float32) * 0.1
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert len(detect_step_onsets(a, 48000)) == 0
        m = evaluate_take(a, 48000, None, traj(), Track(np.full((50, 4), np.nan)), 1280)
    assert m["onsets_detected"] == 0.0 and m["spatial_alignment_windows"] == 0.0

"""The signal layer (dsp) in real numbers: envelopes, E-L1, pan law, ITD, interaural cues,
onsets, waveform peaks. (Which layer may import which is checked by `make lint-imports`.)"""

from __future__ import annotations

import numpy as np
import pytest

from stereosync_studio.core.envelope import ENVELOPE_RATE, Envelope
from stereosync_studio.dsp import interaural, panning, rms
from stereosync_studio.dsp.onsets import detect_step_onsets
from stereosync_studio.dsp.peaks import waveform_peaks


def sine(freq: float, amp: float, seconds: float, sr: int) -> np.ndarray:
    return (amp * np.sin(2 * np.pi * freq * np.arange(int(seconds * sr)) / sr)).astype(np.float32)


# ------------------------------------------------------------------------------ RMS envelope

def test_rms_envelope_of_a_sine_is_amplitude_over_sqrt2_on_the_paper_grid():
    freq = 44100 / 512 * 10  # ten whole periods per 512-sample frame: the RMS is exact
    y = sine(freq, 0.5, 1.0, 44100)
    env = rms.rms_envelope(y, 44100)
    assert env.dtype == np.float32 and len(env) == 1 + len(y) // 128
    assert np.allclose(env[4:-4], 0.5 / np.sqrt(2), rtol=1e-4)
    assert env[0] == pytest.approx(0.5 / np.sqrt(2) / np.sqrt(2), rel=0.02)  # centred: half the frame is padding
    stereo = rms.rms_envelope(np.stack([y, y]), 44100)  # the mono mixdown
    assert np.array_equal(stereo, env)


def test_rms_envelope_resamples_to_the_grid_and_the_fast_variant_agrees():
    y = sine(44100 / 512 * 10, 0.3, 1.0, 48000)  # whole periods per frame once on the 44.1 kHz grid
    env = rms.rms_envelope(y, 48000)
    assert len(env) == 1 + 44100 // 128
    assert np.allclose(env[4:-4], 0.3 / np.sqrt(2), rtol=2e-3)
    fast = rms.rms_envelope_fast(y, 48000)
    assert len(fast) == len(env)
    assert np.allclose(fast[4:-4], env[4:-4], rtol=1e-2)
    assert rms.rms_envelope(np.zeros((2, 0), np.float32), 48000).tolist() == [0.0]


def test_envelope_l1_is_the_mean_absolute_difference_over_the_target():
    t = np.abs(np.sin(np.arange(200) / 9.0)) * 0.3
    assert rms.envelope_l1(t, t) == 0.0
    assert rms.envelope_l1(t + 0.1, t) == pytest.approx(0.1, abs=1e-12)
    assert rms.envelope_l1(np.ones(2), np.ones(4)) == pytest.approx(0.5)  # a short take is silent after its end
    assert rms.envelope_l1(np.ones(6), np.ones(4)) == 0.0  # a long one is trimmed
    assert rms.envelope_l1(np.ones(3), np.zeros(0)) == 0.0
    assert rms.envelope_l1(2.0 * t + 0.05, t, normalized=True) == pytest.approx(0.0, abs=1e-12)
    assert rms.envelope_l1(2.0 * t, t) == pytest.approx(float(np.mean(t)))


def test_target_values_resamples_an_envelope_to_the_grid():
    env = Envelope(np.linspace(0.0, 1.0, 101).astype(np.float32), rate=100.0)  # 1.01 s at 100 Hz
    v = rms.target_values(env)
    assert len(v) == int(round(env.duration * ENVELOPE_RATE))
    k = 100
    assert v[k] == pytest.approx(k / ENVELOPE_RATE, abs=1e-6)  # the ramp's value at that time
    assert np.array_equal(rms.target_values(np.array([[0.1, 0.2]])), np.array([0.1, 0.2]))


# ---------------------------------------------------------------------------------- panning

def test_pan_law_is_constant_power_with_minus_3_db_at_centre():
    gl, gr = panning.pan_gains(0.0)
    assert float(gl) == pytest.approx(10 ** (-3 / 20), abs=1e-3)
    assert float(gr) == pytest.approx(10 ** (-3 / 20), abs=1e-3)
    pans = np.linspace(-1.0, 1.0, 41)
    gl, gr = panning.pan_gains(pans)
    assert np.allclose(gl ** 2 + gr ** 2, 1.0)
    assert float(panning.ild_from_pan(0.5)) == pytest.approx(7.66, abs=0.01)  # frame edge, 90 deg lens


def test_pan_from_ild_inverts_the_pan_law():
    pans = np.linspace(-0.9, 0.9, 37)
    gl, gr = panning.pan_gains(pans)
    assert np.allclose(panning.pan_from_ild(20 * np.log10(gr / gl)), pans, atol=1e-3)
    assert np.allclose(panning.pan_from_ild(panning.ild_from_pan(pans)), pans, atol=1e-9)
    assert float(panning.pan_from_ild(200.0)) == pytest.approx(1.0)  # clipped


def test_azimuth_from_itd_inverts_woodworth():
    az = np.linspace(-90.0, 90.0, 73)
    itd = panning.woodworth_itd(az)
    assert float(panning.woodworth_itd(90.0)) == pytest.approx(0.0875 / 343.0 * (np.pi / 2 + 1), rel=1e-12)
    assert np.all(np.diff(itd) > 0) and float(panning.woodworth_itd(0.0)) == 0.0
    assert np.allclose(panning.azimuth_from_itd(itd), az, atol=1e-3)
    assert np.allclose(panning.pan_from_itd(itd), az / 90.0, atol=1e-5)


# ------------------------------------------------------------------------------- interaural

def test_interaural_estimates_read_a_known_delay_and_level():
    sr = 48000
    x = np.random.default_rng(0).standard_normal(sr // 2)
    d = 20  # samples: the left lags, so the right leads (a source on the right)
    left = np.concatenate([np.zeros(d), x[:-d]])
    right = 0.5 * x
    assert float(interaural.ild_db(left, right)) == pytest.approx(20 * np.log10(0.5), abs=0.05)
    assert float(interaural.gcc_phat(left, right, sr)) == pytest.approx(d / sr, abs=1 / (8 * sr))
    assert float(interaural.iacc(x, x, sr)) == pytest.approx(1.0, abs=1e-9)
    assert float(interaural.gcc_phat(np.zeros(100), x[:100], sr)) == 0.0  # a silent channel: no peak
    w = interaural.interaural_windows(np.stack([left, right]), sr, 0.1)
    assert len(w.times) == 5 and w.times[0] == pytest.approx(0.05)
    assert np.all(w.active) and np.allclose(w.itd_ms, d / sr * 1e3, atol=0.01)
    with pytest.raises(ValueError):
        interaural.stereo_pair(np.zeros((3, 10)))


# ----------------------------------------------------------------------------------- onsets

def test_step_onsets_of_a_burst_train_are_found_within_5_ms():
    sr = 48000
    times = [0.3, 0.85, 1.4, 2.1, 2.6]
    rng = np.random.default_rng(2)
    y = np.zeros(3 * sr, np.float32)
    t = np.arange(int(0.12 * sr)) / sr
    for k, t0 in enumerate(times):
        s = int(t0 * sr)
        y[s:s + len(t)] += (0.5 * np.exp(-t / 0.03) * rng.standard_normal(len(t))).astype(np.float32)
    got = detect_step_onsets(y, sr)
    assert len(got) == len(times)
    assert np.max(np.abs(got - np.array(times))) <= 0.005 + 1e-9  # one 5 ms hop: backtracked to the rise
    assert len(detect_step_onsets(np.zeros(sr, np.float32), sr)) == 0


# ------------------------------------------------------------------------------------ peaks

def test_waveform_peaks_are_rectified_column_maxima_normalised():
    sr = 1000
    y = np.zeros((2, 1000), np.float32)
    y[0, 150] = -0.4  # column 1 (samples 100..199): the loudest, rectified
    y[1, 420] = 0.2  # column 4, other channel
    t, p = waveform_peaks(y, sr, bins=10)
    assert len(t) == len(p) == 10
    assert np.allclose(t, (np.arange(10) + 0.5) * 0.1)
    assert p[1] == pytest.approx(1.0) and p[4] == pytest.approx(0.5) and p[0] == 0.0
    t, p = waveform_peaks(np.zeros(50, np.float32), sr, bins=10)
    assert len(p) == 10 and not np.any(p)
    t, p = waveform_peaks(np.zeros((2, 0), np.float32), sr)
    assert len(t) == len(p) == 0
    assert len(waveform_peaks(np.ones(1999), sr, bins=10)[1]) == 10  # 199-sample columns, the tail dropped
    assert len(waveform_peaks(np.ones(1000), sr, bins=600)[1]) == 1000  # under one column of samples each: one a sample

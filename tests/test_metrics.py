"""Metrics: E-L1 (paper definition), spatial alignment, interaural cues, step onsets."""

from __future__ import annotations

import glob
import os

import numpy as np
import pytest

from stereosync_studio.core import Envelope, Track, Trajectory
from stereosync_studio.core.trajectory import pan_from_x
from stereosync_studio.engines import spatial
from stereosync_studio.metrics import evaluate_take
from stereosync_studio.dsp.interaural import gcc_phat, iacc, ild_db, interaural_windows
from stereosync_studio.dsp.onsets import detect_step_onsets
from stereosync_studio.dsp.rms import rms_envelope, rms_envelope_fast
from stereosync_studio.metrics.envelope_l1 import e_l1, e_l1_normalized, e_l1_silence
from stereosync_studio.metrics.onsets import onset_f1
from stereosync_studio.metrics.spatial_alignment import heard_positions, pan_error, spatial_alignment

SR = 48000
FOOTSTEPS = os.environ.get("STEREOSYNC_FOOTSTEPS", os.path.join(os.path.dirname(__file__), "data", "footsteps"))


def bursts(times, sr=SR, dur=4.0, seed=0, decay=0.04, length=0.15):
    """Footstep-like noise bursts (instant attack, exponential decay) at `times`."""
    rng = np.random.default_rng(seed)
    y = np.zeros(int(dur * sr), np.float32)
    n = int(length * sr)
    shape = np.exp(-np.arange(n) / (decay * sr)).astype(np.float32)
    for t in times:
        s = int(round(t * sr))
        m = min(n, len(y) - s)
        y[s:s + m] += 0.3 * shape[:m] * rng.standard_normal(m).astype(np.float32)
    return y


# ---------------------------------------------------------------- envelope / E-L1

def test_rms_envelope_definition_on_a_sine():
    sr = 44100
    t = np.arange(sr) / sr
    f = 44100 / 512 * 6  # six whole periods per 512-sample frame: no ripple
    y = 0.5 * np.sin(2 * np.pi * f * t).astype(np.float32)
    env = rms_envelope(y, sr)
    assert len(env) == 1 + len(y) // 128  # librosa centred frames, hop 128
    assert np.allclose(env[10:-10], 0.5 / np.sqrt(2), atol=2e-3)
    # centre padding with zeros: the first frame only sees half a window of signal
    assert env[0] == pytest.approx(0.5 / np.sqrt(2) / np.sqrt(2), rel=0.05)
    # a 48 kHz stereo file is mixed down and resampled onto the same grid
    y48 = 0.5 * np.sin(2 * np.pi * f * np.arange(SR) / SR).astype(np.float32)
    env48 = rms_envelope(np.stack([y48, y48]), SR)
    assert abs(len(env48) - len(env)) <= 1
    assert np.allclose(env48[10:-10], 0.5 / np.sqrt(2), atol=3e-3)


def test_fast_envelope_matches_the_exact_one():
    from stereosync_studio.media.audio import read_audio
    files = sorted(glob.glob(os.path.join(FOOTSTEPS, "default_*_footstep.1.ogg")))
    if not files:
        pytest.skip("footstep recordings not available")
    y = np.zeros((2, 4 * SR), np.float32)
    for k, f in enumerate(files[:7]):
        a, _ = read_audio(f, SR)
        s = int((0.2 + 0.5 * k) * SR)
        m = min(a.shape[1], y.shape[1] - s)
        y[0, s:s + m] += a[0, :m]
        y[1, s:s + m] += 0.5 * a[0, :m]
    exact = rms_envelope(y, SR)
    fast = rms_envelope_fast(y, SR, len(exact))
    assert np.max(np.abs(exact - fast)) < 0.02 * exact.max()
    assert np.mean(np.abs(exact - fast)) < 0.01 * np.mean(exact)
    # white noise reads a few % high: the fast version keeps the band above 22.05 kHz
    noise = np.stack([bursts([0.2, 1.0, 2.0])] * 2)
    ex, fa = rms_envelope(noise, SR), rms_envelope_fast(noise, SR, len(rms_envelope(noise, SR)))
    assert 1.0 < np.sum(fa) / np.sum(ex) < 1.1


def test_e_l1_of_audio_against_its_own_envelope_is_zero_and_silence_is_the_mean():
    y = bursts([0.3, 1.0, 1.6, 2.5])
    target = Envelope(rms_envelope(y, SR))
    assert e_l1(y, SR, target) < 1e-6
    assert e_l1(np.zeros_like(y), SR, target) == pytest.approx(e_l1_silence(target), rel=1e-6)
    assert e_l1_silence(target) == pytest.approx(float(np.mean(target.values)), rel=1e-6)
    assert e_l1(0.5 * y, SR, target) == pytest.approx(0.5 * e_l1_silence(target), rel=0.01)


def test_e_l1_aligns_lengths_to_the_target():
    y = bursts([0.3, 1.0], dur=2.0)
    env = rms_envelope(y, SR)
    longer = np.concatenate([env, np.full(100, 0.2)])  # the take is missing 100 frames at 0.2
    assert e_l1(y, SR, longer) == pytest.approx(100 * 0.2 / len(longer), rel=1e-3)
    shorter = env[:300]  # a longer take is trimmed to the target
    assert e_l1(y, SR, shorter) < 1e-6


def test_e_l1_normalized_ignores_overall_level_but_raw_e_l1_does_not():
    y = bursts([0.3, 1.0, 1.6, 2.5])
    target = rms_envelope(y, SR)
    assert e_l1_normalized(0.25 * y, SR, target) < 1e-3
    assert e_l1(0.25 * y, SR, target) > 0.5 * e_l1_silence(target)
    other = bursts([0.6, 1.3, 2.0, 3.0])
    assert e_l1_normalized(other, SR, target) > 0.03


# ---------------------------------------------------------------- spatial alignment

def walker(dur=4.0, fps=25.0, width=1280, x0=80.0, x1=1200.0):
    n = int(dur * fps)
    cx = np.linspace(x0, x1, n)
    boxes = np.stack([cx - 60, np.full(n, 200.0), cx + 60, np.full(n, 600.0)], axis=1)
    track = Track(boxes)
    return track, Trajectory.from_track(track, width, 720, fps)


def steady_noise(dur=4.0, seed=3):
    return (0.1 * np.random.default_rng(seed).standard_normal(int(dur * SR))).astype(np.float32)


def test_alignment_recall_is_high_when_panned_with_the_box_and_low_when_mirrored():
    track, traj = walker()
    x = steady_noise()
    good = spatial.render(x, SR, traj, {"air_absorption": False})
    al = spatial_alignment(good, SR, track, 1280, traj.fps)
    assert al.n_counted >= 38 and al.recall >= 0.97
    assert pan_error(good, SR, traj) < 0.02
    # heard x follows the box centre within a few pixels
    centre = 0.5 * (al.box_x0 + al.box_x1)
    assert np.median(np.abs(al.heard_x - centre)) < 15
    mirrored = Trajectory(-traj.pan, traj.distance, traj.fps)
    bad = spatial.render(x, SR, mirrored, {"air_absorption": False})
    al_bad = spatial_alignment(bad, SR, track, 1280, traj.fps)
    assert al_bad.recall < 0.3
    assert pan_error(bad, SR, traj) > 0.2


def test_alignment_static_box_on_the_left_heard_on_the_right_scores_zero():
    track, traj = walker(x0=250.0, x1=250.0)
    right = spatial.render(steady_noise(), SR, Trajectory(-traj.pan, traj.distance, traj.fps))
    assert spatial_alignment(right, SR, track, 1280, traj.fps).recall == 0.0


def test_alignment_skips_silent_windows_and_unseen_frames():
    track, traj = walker()
    y = bursts([0.25, 1.25, 2.25, 3.25], dur=4.0)
    st = spatial.render(y, SR, traj, {"air_absorption": False})
    boxes = track.boxes.copy()
    boxes[50:] = np.nan  # subject unseen in the second half
    al = spatial_alignment(st, SR, Track(boxes), 1280, traj.fps)
    assert 0 < al.n_counted < 20  # only loud windows with a box count
    assert al.n_unseen > 0
    assert al.recall >= 0.9


def test_binaural_alignment_reads_itd():
    track, traj = walker()
    bi = spatial.render(steady_noise(), SR, traj, {"mode": "binaural", "air_absorption": False})
    al = spatial_alignment(bi, SR, track, 1280, traj.fps, mode="binaural")
    assert al.recall >= 0.9
    assert pan_error(bi, SR, traj, mode="binaural") < 0.06
    # the ILD inversion is not meant for binaural takes: it is measurably worse there
    assert pan_error(bi, SR, traj, mode="stereo") > pan_error(bi, SR, traj, mode="binaural")


# ---------------------------------------------------------------- interaural cues

def test_ild_itd_iacc_on_synthetic_signals():
    rng = np.random.default_rng(0)
    x = rng.standard_normal(SR).astype(np.float64)
    assert ild_db(x, 2 * x) == pytest.approx(20 * np.log10(2), abs=1e-6)
    d = 12  # left lags by 12 samples: the source is on the right
    left = np.concatenate([np.zeros(d), x[:-d]])
    assert gcc_phat(left, x, SR) * 1e3 == pytest.approx(d / SR * 1e3, abs=0.01)
    assert gcc_phat(x, left, SR) * 1e3 == pytest.approx(-d / SR * 1e3, abs=0.01)
    assert iacc(left, x, SR) == pytest.approx(1.0, abs=0.01)
    assert iacc(x, rng.standard_normal(SR), SR) < 0.05
    w = interaural_windows(np.stack([left, 0.5 * x]), SR)
    assert len(w.times) == 10 and np.all(w.active)
    assert np.allclose(w.ild_db, 20 * np.log10(0.5), atol=0.3)
    assert np.allclose(w.itd_ms, d / SR * 1e3, atol=0.02)


def test_heard_positions_invert_the_pan_law():
    for p in (-0.6, -0.2, 0.0, 0.35, 0.8):
        traj = Trajectory(np.full(50, p), np.ones(50), 25.0)
        st = spatial.render(steady_noise(2.0), SR, traj, {"air_absorption": False})
        hp = heard_positions(st, SR)
        assert np.allclose(hp.pan[hp.active], p, atol=0.01)


# ---------------------------------------------------------------- onsets

def test_onset_f1_on_clicks_and_shifted_sets():
    truth = [0.3, 0.8, 1.25, 1.9, 2.4, 3.0, 3.45]
    y = bursts(truth)
    det = detect_step_onsets(y, SR)
    res = onset_f1(det, truth)
    assert res["f1"] == 1.0
    assert np.max(np.abs(np.sort(det) - truth)) < 0.02
    assert onset_f1(det, np.asarray(truth) + 0.03)["f1"] == 1.0  # within 50 ms
    assert onset_f1(det, np.asarray(truth) + 0.12)["f1"] == 0.0
    half = onset_f1(det, truth[::2])
    assert half["recall"] == 1.0 and half["precision"] == pytest.approx(4 / 7)


def test_onset_f1_matches_one_to_one():
    res = onset_f1([1.00, 1.02], [1.01])
    assert res["matched"] == 1 and res["precision"] == 0.5 and res["recall"] == 1.0
    # the assignment maximises matches: 1.04 can only go to 1.08, 1.0 to 0.98
    assert onset_f1([0.98, 1.04], [1.0, 1.08])["f1"] == 1.0
    assert onset_f1([], [])["f1"] == 1.0 and onset_f1([], [1.0])["f1"] == 0.0


def test_onsets_ignore_tails_of_real_footsteps():
    files = sorted(glob.glob(os.path.join(FOOTSTEPS, "default_hard_footstep.*.ogg")))
    if not files:
        pytest.skip("footstep recordings not available")
    from stereosync_studio.media.audio import read_audio
    truth = [0.3, 0.9, 1.5]
    y = np.zeros(int(2.2 * SR), np.float32)
    for t, f in zip(truth, files):
        a, _ = read_audio(f, SR)
        y[int(t * SR):int(t * SR) + a.shape[1]] += a[0]
    assert onset_f1(detect_step_onsets(y, SR), truth)["f1"] == 1.0


# ---------------------------------------------------------------- evaluate_take

def test_evaluate_take_returns_floats_for_every_metric():
    track, traj = walker()
    times = [0.25, 0.85, 1.45, 2.05, 2.65, 3.25]
    y = bursts(times)
    target = Envelope(rms_envelope(y, SR))
    take = spatial.render(y, SR, traj, {"air_absorption": False})
    m = evaluate_take(take, SR, target, traj, track, 1280, step_times=times, reference_audio=take)
    for key in ("e_l1", "e_l1_normalized", "e_l1_silence", "e_l1_ratio", "spatial_alignment", "pan_error",
                "ild_db", "itd_ms", "iacc", "onset_f1", "e_l1_reference", "onset_f1_reference"):
        assert isinstance(m[key], float), key
    assert m["onset_f1"] == 1.0 and m["spatial_alignment"] >= 0.9
    assert m["e_l1_reference"] < 1e-6
    # the pan law's -3 dB mixdown: E-L1 of the panned take vs the dry envelope is not zero
    assert 0.1 < m["e_l1_ratio"] < 0.4
    assert pan_from_x(640, 1280) == 0.0


def _interp_envelope(energy, sr, n_frames, block):
    """The block envelope's definition as first written: np.interp on the running energy sum."""
    cum = np.concatenate([[0.0], np.cumsum(energy)])
    hop, win = 128 * sr / 44100 / block, 512 * sr / 44100 / block
    centres = np.arange(n_frames) * hop
    grid = np.arange(len(energy) + 1)
    e = (np.interp(np.clip(centres + win / 2, 0, len(energy)), grid, cum)
         - np.interp(np.clip(centres - win / 2, 0, len(energy)), grid, cum))
    return np.sqrt(np.maximum(e, 0.0) / (win * block))


def test_block_envelope_fast_paths_equal_the_interp_definition():
    from stereosync_studio.dsp.rms import (block_energy, envelope_from_blocks, frame_matrix, frame_mean_square,
                                           segment_envelopes)

    rng = np.random.default_rng(1)
    for sr in (22050, 44100, 48000):
        signals = [bursts([0.0, 0.4 * d], sr=sr, dur=d, seed=k) for k, d in enumerate((0.0002, 0.01, 0.1, 0.5))]
        signals[1][:] = 0.0  # a silent one
        for y in signals:
            for block in (8, 32):
                e = block_energy(y, block)
                for nf in (1 + int(len(y) * 44100 / sr) // 128, 3, 40):
                    want = _interp_envelope(e, sr, nf, block)
                    assert np.allclose(envelope_from_blocks(e, sr, nf, block), want, rtol=1e-6, atol=1e-9)
                    assert np.allclose(frame_matrix(len(e), sr, nf, block) @ e, frame_mean_square(e, sr, nf, block),
                                       rtol=1e-10, atol=1e-15)
        # several signals measured in one pass, their blocks back to back (8-sample aligned)
        at = np.cumsum([0] + [-(-len(y) // 8) * 8 + 8 * int(rng.integers(0, 3)) for y in signals])
        buf = np.zeros(int(at[-1]), np.float32)
        for y, a in zip(signals, at):
            buf[a:a + len(y)] = y
        frames = [1 + int(len(y) * 44100 / sr) // 128 for y in signals]
        got = segment_envelopes(block_energy(buf, 8), at[:-1] // 8, [-(-len(y) // 8) for y in signals], frames, sr)
        for y, g, nf in zip(signals, got, frames):
            want = rms_envelope_fast(y, sr, nf)
            assert g.shape == want.shape and np.allclose(g, want, rtol=1e-5, atol=1e-9)

"""Spatial renderer: pan law, motion without zipper noise, distance, head model, SOFA."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import signal

from stereosync_studio.core import InputError, StereoSyncError, Trajectory
from stereosync_studio.dsp import filters, panning
from stereosync_studio.dsp.control_rate import upsample
from stereosync_studio.dsp.interaural import gcc_phat, ild_db, interaural_windows
from stereosync_studio.engines import hrtf, spatial

SR = 48000


def noise(seconds=1.0, seed=0, band=None):
    x = np.random.default_rng(seed).standard_normal(int(seconds * SR))
    if band is not None:
        x = signal.sosfilt(signal.butter(4, band, "bandpass", fs=SR, output="sos"), x)
    return (0.1 * x).astype(np.float32)


def static(pan, distance=1.0, seconds=1.0, fps=25.0):
    n = int(seconds * fps) + 1
    return Trajectory(np.full(n, pan), np.full(n, distance), fps)


def band_energy(x, lo, hi):
    sos = signal.butter(6, [lo, hi], "bandpass", fs=SR, output="sos")
    return float(np.sum(signal.sosfilt(sos, x.astype(np.float64)) ** 2))


DRY = {"air_absorption": False, "hrtf": "head-model"}  # the spherical-head model; KEMAR: test_acoustics.py


def test_options_cover_the_documented_keys():
    keys = {o.key for o in spatial.SPATIAL_OPTIONS}
    assert {"mode", "hfov_deg", "itd", "head_shadow", "distance_gain", "air_absorption", "width",
            "sofa_path"} <= keys
    out = spatial.render(noise(0.5), SR, static(0.2))
    assert out.shape == (2, SR // 2) and out.dtype == np.float32
    # values typed on a command line are converted; nonsense is refused with the option's name
    as_text = spatial.render(noise(0.5), SR, static(0.2, 2.0), {"distance_gain": "false", "width": "1.0"})
    as_bool = spatial.render(noise(0.5), SR, static(0.2, 2.0), {"distance_gain": False})
    assert np.array_equal(as_text, as_bool)
    with pytest.raises(StereoSyncError, match="mode"):
        spatial.render(noise(0.1), SR, static(0.0), {"mode": "surround"})
    with pytest.raises(StereoSyncError, match="itd"):
        spatial.render(noise(0.1), SR, static(0.0), {"itd": "maybe"})


def test_pan_law_numbers():
    x = np.ones(SR // 2, np.float32)
    centre = spatial.render(x, SR, static(0.0), DRY)
    assert np.allclose(centre, 1 / np.sqrt(2), atol=1e-6)  # -3.01 dB each side
    left = spatial.render(x, SR, static(-1.0), DRY)
    assert np.allclose(left[0], 1.0, atol=1e-6) and np.max(np.abs(left[1])) < 1e-6
    edge = spatial.render(x, SR, static(0.5), DRY)  # frame edge with a 90 deg lens
    assert edge[0, 1000] == pytest.approx(np.cos(3 * np.pi / 8), abs=1e-6)
    assert edge[1, 1000] == pytest.approx(np.sin(3 * np.pi / 8), abs=1e-6)
    for p in np.linspace(-1, 1, 9):  # constant power
        gl, gr = panning.pan_gains(p)
        assert gl ** 2 + gr ** 2 == pytest.approx(1.0)
        assert panning.pan_from_ild(20 * np.log10(max(gr, 1e-12) / max(gl, 1e-12))) == pytest.approx(p, abs=1e-6)


def test_moving_source_ild_follows_the_pan():
    fps = 25.0
    pan = np.linspace(-0.8, 0.8, 101)  # 4 s sweep left -> right
    traj = Trajectory(pan, np.ones(101), fps)
    out = spatial.render(noise(4.0), SR, traj, DRY)
    w = interaural_windows(out, SR)
    want = traj.pan_at(w.times)
    assert np.all(np.sign(w.ild_db[np.abs(want) > 0.05]) == np.sign(want[np.abs(want) > 0.05]))
    assert np.all(np.diff(w.ild_db) > 0)  # monotonic with the sweep
    assert np.allclose(panning.pan_from_ild(w.ild_db), want, atol=0.02)


def test_distance_doubling_is_minus_six_db_and_clamped():
    x = noise(0.5)
    e1 = np.sum(spatial.render(x, SR, static(0.0, 1.0), DRY) ** 2)
    e2 = np.sum(spatial.render(x, SR, static(0.0, 2.0), DRY) ** 2)
    assert 10 * np.log10(e2 / e1) == pytest.approx(-6.02, abs=0.05)
    far = np.sum(spatial.render(x, SR, static(0.0, 100.0), DRY) ** 2)
    near = np.sum(spatial.render(x, SR, static(0.0, 0.1), DRY) ** 2)
    assert 10 * np.log10(far / e1) == pytest.approx(-24.0, abs=0.05)
    assert 10 * np.log10(near / e1) == pytest.approx(12.0, abs=0.05)
    off = np.sum(spatial.render(x, SR, static(0.0, 4.0), {**DRY, "distance_gain": False}) ** 2)
    assert off == pytest.approx(e1, rel=1e-4)


def test_air_absorption_dulls_distant_sources_only_at_high_frequency():
    x = noise(1.0)
    near = spatial.render(x, SR, static(0.0, 4.0), {"air_absorption": False, "distance_gain": False})[0]
    far = spatial.render(x, SR, static(0.0, 4.0), {"air_absorption": True, "distance_gain": False})[0]
    hf = 10 * np.log10(band_energy(far, 10000, 20000) / band_energy(near, 10000, 20000))
    lf = 10 * np.log10(band_energy(far, 100, 400) / band_energy(near, 100, 400))
    assert -5.0 < hf < -3.0  # half-way blend at 4x the reference distance: -3.8 dB measured
    assert abs(lf) < 0.3
    ref = spatial.render(x, SR, static(0.0, 1.0), {"air_absorption": True, "distance_gain": False})[0]
    assert np.allclose(ref, x / np.sqrt(2), atol=1e-6)  # nothing at the reference distance


def test_fast_motion_has_no_zipper_noise():
    """A 1 kHz tone jumping between hard-ish left and right every video frame.

    The zipper energy of stepped gains shows up far above the tone; smoothed gains keep
    the spectrum clean. A hand-made stepped version proves the measure can fail."""
    fps, seconds = 25.0, 2.0
    pan = np.where(np.arange(int(seconds * fps) + 1) % 2 == 0, -0.8, 0.8)
    traj = Trajectory(pan, np.ones(len(pan)), fps)
    t = np.arange(int(seconds * SR)) / SR
    tone = (0.5 * np.sin(2 * np.pi * 1000 * t)).astype(np.float32)
    smooth = spatial.render(tone, SR, traj, DRY)
    frame = np.minimum((t * fps).astype(int), len(pan) - 1)
    gl, _ = panning.pan_gains(pan[frame])
    stepped = tone * gl.astype(np.float32)

    def worst_hf_db(y):
        sos = signal.butter(8, 4000, "highpass", fs=SR, output="sos")
        hf = signal.sosfilt(sos, y.astype(np.float64))[SR // 10:]
        win = SR // 50
        hf_e = np.add.reduceat(hf ** 2, np.arange(0, len(hf), win))
        total = np.sum(y.astype(np.float64) ** 2) / (len(y) / win)
        return 10 * np.log10(np.max(hf_e) / total + 1e-30)

    assert worst_hf_db(stepped) > -45.0
    assert worst_hf_db(smooth[0]) < -80.0  # measured about -93 dB (float32 floor ~ -97)
    assert worst_hf_db(smooth[1]) < -80.0


def test_width_and_lens_remap():
    x = noise(0.5)
    mono = spatial.render(x, SR, static(0.6), {**DRY, "width": 0.0})
    assert np.allclose(mono[0], mono[1])
    # pan 0.5 is the frame edge of a 90 deg lens; with a 60 deg lens the edge is 30 deg = pan 1/3
    lens = static(0.5)
    lens.pan_mode = "lens"  # the lens re-map applies to lens-mapped trajectories (screen width is the default)
    narrow = spatial.render(x, SR, lens, {**DRY, "hfov_deg": 60.0})
    assert panning.pan_from_ild(ild_db(narrow[0], narrow[1])) == pytest.approx(1 / 3, abs=0.005)
    screen = spatial.render(x, SR, static(0.5), {**DRY, "hfov_deg": 60.0})  # screen-width pans stay put
    assert panning.pan_from_ild(ild_db(screen[0], screen[1])) == pytest.approx(0.5, abs=0.005)


def test_stereo_itd_and_head_shadow_options():
    x = noise(1.0)
    az = 45.0
    out = spatial.render(x, SR, static(az / 90), {**DRY, "itd": True})
    itd = gcc_phat(out[0], out[1], SR)
    assert itd == pytest.approx(float(panning.woodworth_itd(az)), abs=2e-5)
    plain = spatial.render(x, SR, static(az / 90), DRY)
    shade = spatial.render(x, SR, static(az / 90), {**DRY, "head_shadow": True})
    far_hf = 10 * np.log10(band_energy(shade[0], 6000, 12000) / band_energy(plain[0], 6000, 12000))
    far_lf = 10 * np.log10(band_energy(shade[0], 60, 200) / band_energy(plain[0], 60, 200))
    near = 10 * np.log10(band_energy(shade[1], 6000, 12000) / band_energy(plain[1], 6000, 12000))
    assert -7.0 < far_hf < -3.0 and abs(far_lf) < 0.5 and abs(near) < 0.01


# ---------------------------------------------------------------- binaural

def test_binaural_itd_matches_woodworth_and_right_leads_for_a_right_source():
    x = noise(1.0)
    for az in (-60.0, -30.0, 20.0, 45.0, 80.0):
        out = spatial.render(x, SR, static(az / 90), {**DRY, "mode": "binaural"})
        lags = np.arange(-48, 49)
        cc = [np.dot(out[0, 100:-100], out[1, 100 + k:len(x) - 100 + k]) for k in lags]
        lag = -lags[int(np.argmax(cc))] / SR  # > 0: the left ear lags, the right leads
        assert lag == pytest.approx(float(panning.woodworth_itd(az)), abs=1e-4), az
        assert np.sign(lag) == np.sign(az)


def test_binaural_ild_grows_with_azimuth_at_high_frequency():
    x = noise(1.0)
    hf, lf = [], []
    for az in (0.0, 15.0, 30.0, 45.0, 60.0):
        out = spatial.render(x, SR, static(az / 90), {**DRY, "mode": "binaural"})
        hf.append(10 * np.log10(band_energy(out[1], 4000, 12000) / band_energy(out[0], 4000, 12000)))
        lf.append(10 * np.log10(band_energy(out[1], 60, 250) / band_energy(out[0], 60, 250)))
    assert abs(hf[0]) < 0.01 and np.all(np.diff(hf) > 1.0) and hf[-1] > 15.0
    assert max(abs(v) for v in lf) < 1.5  # the head is small at low frequency


def test_binaural_pinna_option_colours_but_keeps_the_direction():
    x = noise(1.0)
    plain = spatial.render(x, SR, static(0.4), {**DRY, "mode": "binaural"})
    pinna = spatial.render(x, SR, static(0.4), {**DRY, "mode": "binaural", "pinna": True})
    assert np.all(np.isfinite(pinna)) and not np.allclose(plain, pinna)
    assert gcc_phat(pinna[0], pinna[1], SR) == pytest.approx(gcc_phat(plain[0], plain[1], SR), abs=5e-5)


# ---------------------------------------------------------------- SOFA

def write_sofa(path, sr=48000):
    """A tiny synthetic SOFA (written by sofar, the reader the app uses): per direction a pure
    delay and gain per ear (+ an elevated ring)."""
    import sofar

    az = np.arange(0, 360, 30.0)  # SOFA azimuth: counter-clockwise, 90 = left
    rows, pos = [], []
    for el in (0.0, 30.0):
        for a in az:
            rel = np.radians(-a)  # our azimuth (+ = right)
            right_gain = 1.0 + 0.5 * np.sin(rel)
            left_gain = 1.0 - 0.5 * np.sin(rel)
            ir = np.zeros((2, 64))
            ir[0, 10 + int(round(8 * np.sin(rel)))] = left_gain  # source right: left ear later
            ir[1, 10 - int(round(8 * np.sin(rel)))] = right_gain
            rows.append(ir * (0.2 if el else 1.0))
            pos.append([a, el, 1.2])
    sofa = sofar.Sofa("SimpleFreeFieldHRIR")
    sofa.Data_IR = np.asarray(rows)
    sofa.Data_SamplingRate = float(sr)
    sofa.SourcePosition = np.asarray(pos)
    sofar.write_sofa(str(path), sofa)
    return path


def test_sofa_hrtf_renders_directions_and_interpolates(tmp_path):
    path = str(write_sofa(tmp_path / "tiny.sofa"))
    x = noise(0.5)
    ilds = {}
    for az in (0.0, 30.0, 45.0, 60.0, -30.0):
        out = spatial.render(x, SR, static(az / 90), {**DRY, "mode": "binaural", "sofa_path": path})
        ilds[az] = ild_db(out[0], out[1])
        if az in (0.0, 30.0, 60.0, -30.0):  # measured directions: exact gains and delays
            s = np.sin(np.radians(az))
            assert ilds[az] == pytest.approx(20 * np.log10((1 + 0.5 * s) / (1 - 0.5 * s)), abs=0.05)
            assert gcc_phat(out[0], out[1], SR) * SR == pytest.approx(2 * round(8 * s), abs=0.2)
    assert ilds[30.0] < ilds[45.0] < ilds[60.0]  # crossfaded between the 30 and 60 deg HRIRs
    assert ilds[-30.0] == pytest.approx(-ilds[30.0], abs=0.05)


def test_sofa_errors_name_the_file(tmp_path):
    missing = tmp_path / "nope.sofa"
    with pytest.raises(InputError, match="nope.sofa"):
        spatial.render(noise(0.1), SR, static(0.0), {"mode": "binaural", "sofa_path": str(missing)})
    bad = tmp_path / "bad.sofa"
    bad.write_bytes(b"not hdf5 at all")
    with pytest.raises(InputError, match="bad.sofa"):
        spatial.render(noise(0.1), SR, static(0.0), {"mode": "binaural", "sofa_path": str(bad)})


def test_control_rate_upsampling_is_linear_interpolation():
    c = np.array([0.0, 1.0, 3.0, 2.0])
    for n in (1, 5, 12, 13, 20):
        want = np.interp(np.arange(n) / 4.0, np.arange(4), c)
        assert np.allclose(upsample(c, 4, n), want)


# ------------------------------------------------------------- fast paths against their references

def test_doubling_filters_equal_scipy_lfilter():
    x = noise(0.5, seed=3)
    peak = float(np.max(np.abs(x)))
    for sr in (16000, 44100, 48000, 96000):
        pole = float(np.exp(-2 * np.pi * spatial.AIR_CUTOFF_HZ / sr))
        want = signal.lfilter([1 - pole], [1, -pole], x.astype(np.float64))
        got = filters.one_pole_lowpass(x, pole)
        assert got.dtype == np.float32 and np.max(np.abs(got - want)) < 1e-6 * peak
        b, a = hrtf.shadow_highpass(sr)
        got = hrtf.shadow_filter(x, sr)
        want = signal.lfilter(b, a, x.astype(np.float64))
        assert got.dtype == np.float32 and np.max(np.abs(got - want)) < 1e-6 * peak


def test_fractional_delay_spans_equal_gathered_taps():
    x = noise(1.0, seed=4)
    n = len(x)
    curves = (np.linspace(0.2, 25.7, n), np.linspace(12.3, -12.3, n), np.full(n, 3.0),
              5.0 + 0.001 * np.sin(np.arange(n) / 40.0))  # the last keeps crossing 5: gathered
    for d in curves:
        d = d.astype(np.float32)
        pad = int(np.ceil(np.max(np.abs(d)))) + 3
        xp = np.zeros(n + 2 * pad, np.float32)
        xp[pad:pad + n] = x
        want = filters.fractional_delay_gather(xp, pad, d, np.floor(d))
        assert np.max(np.abs(filters.fractional_delay(x, d) - want)) < 1e-6 * float(np.max(np.abs(x)))
    assert np.allclose(filters.fractional_delay(x, np.full(n, 3.0, np.float32))[3:], x[:-3], atol=1e-7)  # whole samples


def test_air_absorption_with_known_spans_equals_scanning_for_silence():
    x = np.zeros(SR, np.float32)
    x[1000:9000] = noise(8000 / SR, seed=5)
    x[30000:40000] = noise(10000 / SR, seed=6)
    far = Trajectory(np.zeros(26), np.linspace(1.0, 8.0, 26), 25.0)
    scanned = spatial.air_absorption(x, SR, far)
    told = spatial.air_absorption(x.copy(), SR, far, inplace=True, spans=[(30000, 40000), (1000, 9000)])
    assert not np.allclose(scanned, x)  # it does filter
    assert np.allclose(told, scanned, rtol=0, atol=1e-7)

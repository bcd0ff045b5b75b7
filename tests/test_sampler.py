"""The sampler engine: follows the envelope with another reference, timing, references, errors."""

from __future__ import annotations

import glob
import os
import shutil

import numpy as np
import pytest
import soundfile as sf

from stereosync_studio.core import Cancelled, CancelToken, Envelope, InputError, Trajectory, null_progress
from stereosync_studio.dsp.interaural import gcc_phat
from stereosync_studio.dsp.onsets import detect_step_onsets
from stereosync_studio.dsp.rms import rms_envelope
from stereosync_studio.engines import get_engine, grains
from stereosync_studio.engines.base import GenerationRequest
from stereosync_studio.engines.sampler import SamplerEngine
from stereosync_studio.media.audio import read_audio
from stereosync_studio.metrics.envelope_l1 import e_l1, e_l1_silence
from stereosync_studio.metrics.onsets import onset_f1

SR = 48000
FOOTSTEPS = os.environ.get("STEREOSYNC_FOOTSTEPS", os.path.join(os.path.dirname(__file__), "data", "footsteps"))
pytestmark = pytest.mark.skipif(not glob.glob(os.path.join(FOOTSTEPS, "*.ogg")),
                                reason="footstep recordings not available")


def steps(surface: str) -> list[str]:
    return sorted(glob.glob(os.path.join(FOOTSTEPS, f"default_{surface}_footstep*.ogg")))


def target_from(surface: str, dur: float = 6.0, seed: int = 1):
    """Real steps of one surface at known times (0.4-0.7 s apart, levels over 6 dB): the RMS
    envelope of that recording is the target; the step times are the truth."""
    rng = np.random.default_rng(seed)
    files = steps(surface)
    y = np.zeros(int(dur * SR), np.float32)
    truth, t, k = [], 0.3, 0
    while t < dur - 0.5:
        a, _ = read_audio(files[k % len(files)], SR)
        s = int(round(t * SR))
        m = min(a.shape[1], len(y) - s)
        y[s:s + m] += 10 ** (rng.uniform(-6, 0) / 20) * a[0, :m]
        truth.append(t)
        t += rng.uniform(0.4, 0.7)
        k += 1
    return Envelope(rms_envelope(y, SR)).with_duration(dur), truth


TRAJECTORIES = {
    "centre": Trajectory(np.zeros(151), np.ones(151), 25.0),
    "moving": Trajectory(np.linspace(-0.5, 0.5, 151), np.linspace(1.0, 2.0, 151), 25.0),
}


def request(env, refs, seed=0, traj="centre", dur=6.0, **options):
    t = TRAJECTORIES[traj] if isinstance(traj, str) else traj
    return GenerationRequest(dur, SR, env, t, refs if isinstance(refs, list) else [refs], seed=seed,
                             options=options)


def generate(req, progress=null_progress, cancel=None):
    return SamplerEngine().generate(req, progress, cancel or CancelToken())


@pytest.fixture(scope="module")
def wood():
    return target_from("wood")


@pytest.fixture(scope="module")
def sand():
    return target_from("sand")


@pytest.mark.parametrize("traj", ["centre", "moving"])
@pytest.mark.parametrize("seed", [0, 1])
def test_take_follows_a_wood_envelope_with_metal_steps(wood, traj, seed):
    env, truth = wood
    take = generate(request(env, steps("metal"), seed, traj))
    assert take.audio.shape == (2, 6 * SR) and take.audio.dtype == np.float32
    assert take.sample_rate == SR and take.engine == "sampler" and take.seed == seed
    ratio = e_l1(take.audio, SR, env) / e_l1_silence(env)
    assert ratio <= 0.15, ratio
    assert onset_f1(detect_step_onsets(take.audio, SR), truth)["f1"] >= 0.9


@pytest.mark.parametrize("traj", ["centre", "moving"])
def test_take_follows_a_sand_envelope_with_snow_steps(sand, traj):
    env, truth = sand
    take = generate(request(env, steps("snow"), 3, traj))
    ratio = e_l1(take.audio, SR, env) / e_l1_silence(env)
    assert ratio <= 0.15, ratio
    # every step is heard on time; sand steps have a second shuffle ~0.2 s later that the
    # target (and so the take) really contains, so precision against "one per file" is lower
    f = onset_f1(detect_step_onsets(take.audio, SR), truth)
    assert f["recall"] >= 0.9 and f["precision"] >= 0.6


def test_seeds_differ_and_a_seed_repeats_exactly(wood):
    env, _ = wood
    refs = steps("metal") + steps("ice")
    a = generate(request(env, refs, 7))
    b = generate(request(env, refs, 7))
    c = generate(request(env, refs, 8))
    assert np.array_equal(a.audio, b.audio)
    assert a.info["grains_used"] != c.info["grains_used"]
    assert not np.allclose(a.audio, c.audio)
    # round robin: no grain twice in a row, every grain once before any repeats
    used = a.info["grains_used"]
    assert all(x != y for x, y in zip(used, used[1:]))
    assert len(set(used[:6])) == 6


def test_exact_length_for_odd_durations(wood):
    env, _ = wood
    for dur, sr in ((2.3456, 48000), (1.0, 44100), (0.01, 48000)):
        req = GenerationRequest(dur, sr, env, TRAJECTORIES["centre"], steps("metal"))
        take = generate(req)
        assert take.audio.shape == (2, int(round(dur * sr))) and take.sample_rate == sr


def test_explicit_events_place_the_steps(tmp_path):
    times = [0.25, 0.8, 1.3, 1.95, 2.5]
    env = Envelope(np.zeros(int(3.0 * 344.53) + 1), events=times, origin="video")
    take = generate(request(env, steps("hard"), 0, dur=3.0))
    assert take.info["n_events"] == 5
    assert onset_f1(detect_step_onsets(take.audio, SR), times, tolerance=0.02)["f1"] == 1.0
    assert 0.01 < float(np.max(rms_envelope(take.audio, SR))) < 0.5  # a usable default level


def test_silent_envelope_gives_a_silent_take_with_a_warning():
    env = Envelope.silent(2.0)
    take = generate(request(env, steps("hard"), 0, dur=2.0))
    assert take.audio.shape == (2, 2 * SR) and not np.any(take.audio)
    assert take.info["warnings"]


def test_choke_fades_a_long_step_before_the_next(tmp_path):
    times = [0.3, 0.8, 1.3]
    env = Envelope(np.zeros(int(2.0 * 344.53) + 1), events=times)
    water = steps("water")[:1]  # a 2.4 s splash, far longer than the 0.5 s between steps
    choked = generate(request(env, water, 0, dur=2.0, pitch_cents=0.0, gain_db=0.0))
    ringing = generate(request(env, water, 0, dur=2.0, pitch_cents=0.0, gain_db=0.0, choke=False))

    def before(audio, t):  # energy in the 3 ms before the next step's first sample
        s = int(t * SR) - int(0.004 * SR)
        return float(np.sum(audio[:, s:s + int(0.003 * SR)] ** 2))

    for t in times[1:]:
        assert before(choked.audio, t) < 1e-3 * before(ringing.audio, t)


def test_envelope_level_take_vs_source_with_distance(wood):
    env, _ = wood
    near = Trajectory(np.zeros(151), np.ones(151), 25.0)
    far = Trajectory(np.zeros(151), np.full(151, 2.0), 25.0)
    opts = {"air_absorption": False}
    take_near = generate(request(env, steps("metal"), 0, near, **opts))
    take_far = generate(request(env, steps("metal"), 0, far, **opts))
    # "take": the finished take follows the envelope whatever the distance
    assert np.sum(take_far.audio ** 2) / np.sum(take_near.audio ** 2) == pytest.approx(1.0, abs=0.05)
    src_near = generate(request(env, steps("metal"), 0, near, envelope_level="source", **opts))
    src_far = generate(request(env, steps("metal"), 0, far, envelope_level="source", **opts))
    ratio_db = 10 * np.log10(np.sum(src_far.audio ** 2) / np.sum(src_near.audio ** 2))
    assert ratio_db == pytest.approx(-6.02, abs=0.1)  # "source": distance gain on top


def test_binaural_take_puts_a_right_source_on_the_right(wood):
    env, truth = wood
    # at half the wood's level: a right-panned binaural take of it peaks over the -1 dBTP
    # ceiling by 3-7 dB, and this test is about following the envelope, not about the limiter
    env = Envelope(env.values * np.float32(0.5), env.rate, env.events, env.origin, env.found)
    right = Trajectory(np.full(151, 0.5), np.ones(151), 25.0)
    take = generate(request(env, steps("metal"), 0, right, mode="binaural", hrtf="head-model"))
    assert np.all(np.isfinite(take.audio)) and take.audio.shape == (2, 6 * SR)
    assert gcc_phat(take.audio[0], take.audio[1], SR) > 0.3e-3  # right ear leads (~0.49 ms)
    assert e_l1(take.audio, SR, env) / e_l1_silence(env) <= 0.2
    kemar = generate(request(env, steps("metal"), 0, right, mode="binaural"))  # the default HRTF
    assert gcc_phat(kemar.audio[0], kemar.audio[1], SR) > 0.3e-3
    assert e_l1(kemar.audio, SR, env) / e_l1_silence(env) <= 0.3


# ---------------------------------------------------------------- references

def test_folder_single_file_and_long_recording(tmp_path, wood):
    env, truth = wood
    folder = tmp_path / "metal"
    folder.mkdir()
    for f in steps("metal"):
        shutil.copy(f, folder)
    (folder / "notes.txt").write_text("not audio")
    take = generate(request(env, [str(folder)], 0))
    assert take.info["n_grains"] == 3
    single = generate(request(env, steps("metal")[2:], 0))
    assert single.info["n_grains"] == 1
    assert onset_f1(detect_step_onsets(single.audio, SR), truth)["f1"] >= 0.9
    # one long recording: five different steps with gaps, sliced back into five grains
    parts = steps("metal") + steps("hard")[:2]
    gap = np.zeros(int(0.4 * SR), np.float32)
    long = np.concatenate([np.concatenate([read_audio(f, SR)[0][0], gap]) for f in parts])
    sf.write(tmp_path / "walk.wav", long, SR)
    sliced = grains.load_grains([str(tmp_path / "walk.wav")], SR)
    assert len(sliced) == 5
    assert all(0.1 < g.duration < 0.35 for g in sliced)
    take = generate(request(env, [str(tmp_path / "walk.wav")], 0))
    assert e_l1(take.audio, SR, env) / e_l1_silence(env) <= 0.2


def test_six_channel_and_22050_hz_references(tmp_path, wood):
    env, truth = wood
    a, _ = read_audio(steps("metal")[0], SR)
    six = np.zeros((6, a.shape[1]), np.float32)
    six[0], six[2], six[4] = a[0], 0.5 * a[0], 0.25 * a[0]
    sf.write(tmp_path / "surround.wav", six.T, SR)
    b, _ = read_audio(steps("metal")[1], 22050)
    sf.write(tmp_path / "low.wav", b[0], 22050)
    refs = [str(tmp_path / "surround.wav"), str(tmp_path / "low.wav")] + steps("sand")[1:2]  # sand.2 is 22.05 kHz
    loaded = grains.load_grains(refs, SR)
    assert len(loaded) == 3 and all(g.sample_rate == SR for g in loaded)
    assert loaded[1].duration == pytest.approx(0.171, abs=0.02)  # resampled, not sped up
    take = generate(request(env, refs, 0))
    assert onset_f1(detect_step_onsets(take.audio, SR), truth)["f1"] >= 0.9


@pytest.mark.parametrize("kind", ["silent", "zero-length", "nan", "garbage", "missing", "empty-folder"])
def test_bad_references_raise_input_errors_naming_the_file(tmp_path, kind, wood):
    env, _ = wood
    path = tmp_path / f"bad_{kind}.wav"
    if kind == "silent":
        sf.write(path, np.zeros(SR // 2, np.float32), SR)
    elif kind == "zero-length":
        sf.write(path, np.zeros(0, np.float32), SR)
    elif kind == "nan":
        x = np.full(SR // 4, 0.1, np.float32)
        x[100] = np.nan
        sf.write(path, x, SR, subtype="FLOAT")
    elif kind == "garbage":
        path.write_bytes(os.urandom(2000))
    elif kind == "empty-folder":
        path = tmp_path / "bad_empty-folder"
        path.mkdir()
    with pytest.raises(InputError) as err:
        generate(request(env, steps("metal")[:1] + [str(path)], 0))
    assert path.name in str(err.value)


def test_cancel_before_and_during(wood):
    env, _ = wood
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        generate(request(env, steps("metal"), 0), cancel=token)
    token = CancelToken()
    seen = []

    def progress(fraction, message):
        seen.append(fraction)
        if fraction >= 0.4:
            token.cancel()

    with pytest.raises(Cancelled):
        generate(request(env, steps("metal"), 0), progress, token)
    assert seen and max(seen) < 1.0


def test_progress_reaches_one_and_engine_protocol(wood):
    env, _ = wood
    seen = []
    engine = get_engine("sampler")
    assert engine.name == "sampler" and engine.availability() == (True, "")
    keys = {o.key for o in engine.options()}
    assert {"min_spacing", "pitch_cents", "gain_db", "choke", "follow", "mode", "itd", "sofa_path"} <= keys
    engine.generate(request(env, steps("metal"), 0), lambda f, m: seen.append(f), CancelToken())
    assert seen[-1] == 1.0 and all(b >= a - 1e-9 for a, b in zip(seen, seen[1:]))


def test_short_file_with_two_steps_is_sliced_but_a_heel_toe_step_is_not(tmp_path):
    a, _ = read_audio(steps("wood")[0], SR)
    b, _ = read_audio(steps("hard")[0], SR)
    two = np.zeros(int(1.2 * SR), np.float32)
    two[int(0.1 * SR):int(0.1 * SR) + a.shape[1]] += a[0]
    two[int(0.7 * SR):int(0.7 * SR) + b.shape[1]] += b[0]
    sf.write(tmp_path / "two.wav", two, SR)
    got = grains.load_grains([str(tmp_path / "two.wav")], SR)
    assert [round(g.start_s, 1) for g in got] == [0.1, 0.7]
    heel_toe = np.zeros(int(0.6 * SR), np.float32)  # two transients 60 ms apart, no silence between
    heel_toe[:a.shape[1]] += a[0]
    heel_toe[int(0.06 * SR):int(0.06 * SR) + a.shape[1]] += 0.8 * a[0]
    sf.write(tmp_path / "heel_toe.wav", heel_toe, SR)
    assert len(grains.load_grains([str(tmp_path / "heel_toe.wav")], SR)) == 1


def test_extend_tail_continues_the_texture_smoothly():
    from stereosync_studio.engines.sampler import extend_tail

    y = grains.load_grains(steps("snow")[1:2], SR)[0].audio
    n = len(y)
    out = extend_tail(y, SR, 2 * n, np.random.default_rng(0))
    assert len(out) == 2 * n
    again = extend_tail(y, SR, 2 * n, np.random.default_rng(0))
    assert np.array_equal(out, again)
    joint = n - int(0.010 * SR)  # where the sound's own fade-out began
    w = int(0.03 * SR)

    def rms_db(a):
        return 10 * np.log10(np.mean(a.astype(np.float64) ** 2) + 1e-20)

    # the level carries on: the continuation's RMS is that of the sound's last 30 ms (within
    # 3 dB; snow crunches swing +-10 dB within milliseconds, so whole stretches are compared)
    cont = out[joint + w // 2:2 * n - int(0.02 * SR)]
    assert abs(rms_db(cont) - rms_db(y[joint - w:joint])) < 3.0
    # no click: sample-to-sample steps stay within the range the sound itself has
    assert np.max(np.abs(np.diff(out[joint - w:joint + 2 * w]))) <= 1.5 * np.max(np.abs(np.diff(y)))
    # same texture: spectral centroid of the continuation within 25 % of the sound's later half

    def centroid(a):
        spec = np.abs(np.fft.rfft(a * np.hanning(len(a))))
        f = np.fft.rfftfreq(len(a), 1 / SR)
        return float(np.sum(f * spec) / np.sum(spec))

    assert centroid(out[n:2 * n - int(0.02 * SR)]) == pytest.approx(centroid(y[n // 2:joint]), rel=0.25)


def test_steps_last_as_long_as_the_envelope_says(wood):
    env, truth = wood
    # a 2.4 s splash under short wood steps: faded out where each step of the envelope ends
    splash = generate(request(env, steps("water")[:1], 0))
    gaps = [(t + 0.25, t2 - 0.02) for t, t2 in zip(truth, truth[1:])]
    peak = float(np.max(np.abs(splash.audio)))
    for a, b in gaps:
        seg = splash.audio[:, int(a * SR):int(b * SR)]
        assert float(np.max(np.abs(seg))) < 1e-3 * peak  # -60 dB between steps
    # a short wood knock under long gravel steps: its texture is continued (not left empty)
    gravel, _ = target_from("gravel")
    short = {k: generate(request(gravel, steps("wood"), 0, extend=k)) for k in (True, False)}
    r_on = e_l1(short[True].audio, SR, gravel) / e_l1_silence(gravel)
    r_off = e_l1(short[False].audio, SR, gravel) / e_l1_silence(gravel)
    assert r_on < 0.3 and r_on < 0.6 * r_off


# ------------------------------------------------------------- fast paths against their references

def test_batched_level_fit_equals_the_one_step_fit(wood):
    from stereosync_studio.engines.events import fit_gain, fit_gains

    env, _ = wood
    target = np.asarray(env.values, np.float64)
    rng = np.random.default_rng(3)
    real = [g.envelope for g in grains.load_grains(steps("metal") + steps("snow"), SR)]
    items = []
    for k in range(150):
        t0 = rng.uniform(-0.2, 5.9)
        e = real[k % len(real)] * np.float32(rng.uniform(0.01, 2.0))
        if k % 11 == 0:
            e = np.zeros_like(e)  # nothing to fit
        elif k % 7 == 0:
            e = e[:int(rng.integers(1, 20))]  # far shorter than its step
        items.append((t0, t0 + rng.uniform(0.0, 1.0), e))
    for range_db in (0.0, 6.0, 30.0):
        got = fit_gains(target, items, range_db)
        want = [fit_gain(target, t0, t1, e, range_db) for t0, t1, e in items]
        assert sum(w is not None for w in want) > 100
        for g, w in zip(got, want):
            assert (g is None) == (w is None)
            if w is not None:
                assert g[0] == pytest.approx(w[0], rel=1e-12)  # the same candidate gain
                assert g[1] == pytest.approx(w[1], rel=1e-9, abs=1e-12)  # and the same error


def test_batched_tail_extension_equals_one_at_a_time():
    from stereosync_studio.engines.grains import extend_tail, extend_tails
    from stereosync_studio.dsp.rms import rms_envelope_fast

    gs = grains.load_grains(steps("snow") + steps("gravel"), SR)
    extra = [int(0.3 * SR), 5000, -100, 0, 1, 24000]
    jobs = [(g.audio, len(g.audio) + extra[k % len(extra)]) for k, g in enumerate(gs)]
    outs, envs = extend_tails(jobs, SR, np.random.default_rng(5), envelopes=True)
    rng = np.random.default_rng(5)
    for (y, length), out, env in zip(jobs, outs, envs):
        one = extend_tail(y, SR, length, rng)  # the same draws, job by job
        assert len(out) == max(length, len(y))
        assert np.allclose(out, one, rtol=1e-5, atol=1e-6 * float(np.max(np.abs(one))))
        if length <= len(y):
            assert out is y
        ref = rms_envelope_fast(out, SR)
        assert env.shape == ref.shape and np.max(np.abs(env - ref)) <= 1e-5 * float(ref.max())


def test_follow_helpers_equal_numpy_and_scipy():
    from scipy.ndimage import gaussian_filter1d

    from stereosync_studio.engines.follow import _gaussian_smooth, _interp_matrix

    rng = np.random.default_rng(0)
    for n in (1, 2, 7, 3445):
        x = rng.standard_normal(n)
        for sigma in (0.31, 0.7318, 3.0):
            assert np.allclose(_gaussian_smooth(x, sigma), gaussian_filter1d(x, sigma, mode="nearest"),
                               rtol=1e-12, atol=1e-12)
    for n_out, n_in, step, offset in ((15000, 3445, 0.2871, 0.5), (7501, 3445, 0.5742, 0.0), (9, 1, 0.3, 0.0),
                                      (30, 2, 0.1, 0.5), (40, 7, 0.25, 0.5)):
        c = rng.standard_normal(n_in)
        want = np.interp((np.arange(n_out) + offset) * step, np.arange(n_in), c)
        assert np.allclose(_interp_matrix(n_out, n_in, step, offset) @ c, want, rtol=0, atol=1e-12)

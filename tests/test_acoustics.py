"""Scene acoustics (Space) and the default measured HRTF (MIT KEMAR, read with sofar).

Checked with independent measurements: direct-to-reverberant ratios from rendered impulse
responses, reverberation times with pyroomacoustics' own RT60 estimator, reflection arrival
times from the room's geometry, interaural delays by plain cross-correlation.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import soundfile as sf
from scipy import signal

from stereosync_studio.core import InputError, Trajectory
from stereosync_studio.engines import acoustics, hrtf, spatial

SR = 48000
DRY = {"air_absorption": False}


def static(pan: float, distance: float = 1.0, seconds: float = 2.0) -> Trajectory:
    n = int(seconds * 25) + 1
    return Trajectory(np.full(n, pan), np.full(n, distance), 25.0)


def impulse_response(space: str, distance: float, mode: str = "stereo", pan: float = 0.0, **extra):
    """The rendered take (direct) and its Space (wet) for a unit impulse at 10 ms."""
    x = np.zeros(2 * SR, np.float32)
    x[480] = 1.0  # the direct sound stays here: the renderer adds no delay at the centre
    opt = {**DRY, "mode": mode, "space": space, **extra}
    traj = static(pan, distance)
    take = spatial.render(x, SR, traj, opt)
    return take, acoustics.apply_space(take, SR, traj, opt)


def drr_db(mix: np.ndarray, peak: int = 480) -> float:
    """Energy within 2.5 ms of the direct sound (the impulse at `peak`) over all energy after it."""
    w = int(0.0025 * SR)
    direct = np.sum(mix[:, max(0, peak - w):peak + w] ** 2)
    rest = np.sum(mix[:, peak + w:] ** 2)
    return 10 * math.log10(direct / rest)


def ratio_db(take: np.ndarray, wet: np.ndarray) -> float:
    """Direct (the take as rendered) over reverberant (the Space's own signal) energy."""
    return 10 * math.log10(np.sum(take ** 2) / np.sum(wet ** 2))


@pytest.mark.parametrize("space", ["small-room", "hall", "outdoor"])
def test_direct_to_reverberant_ratio_falls_with_distance(space):
    distances = (0.5, 1.0, 2.0) if space == "small-room" else (1.0, 2.0, 4.0)  # the subject stays in the room
    drr = {}
    for mode in ("stereo", "binaural"):
        drr[mode] = []
        for d in distances:
            take, spaced = impulse_response(space, d, mode)
            drr[mode].append(ratio_db(spaced.mix - spaced.wet, spaced.wet))  # the mix never clips: both scaled
            if mode == "stereo":  # the same figure read off the impulse response of the mix alone
                assert drr_db(spaced.mix) == pytest.approx(drr[mode][-1], abs=3.0)
    for mode, values in drr.items():
        steps = np.diff(values)
        assert np.all(steps < -4.5) and np.all(steps > -7.5), (mode, values)  # ~6 dB per doubling
    assert np.max(np.abs(np.subtract(drr["stereo"], drr["binaural"]))) < 2.5  # same room in both modes
    assert drr["stereo"][0] < (0.0 if space == "small-room" else 20.0)


def test_preset_reverberation_times_measured_by_pyroomacoustics():
    from pyroomacoustics.experimental import measure_rt60

    for name in ("small-room", "living-room", "hall"):
        tail = acoustics.late_response(name, SR)
        measured = measure_rt60(tail[0].astype(np.float64), SR, decay_db=30)
        assert measured == pytest.approx(acoustics.PRESETS[name].rt60, rel=0.35), name
        assert abs(np.corrcoef(tail[0], tail[1])[0, 1]) < 0.7  # two receivers: a wide tail


def test_early_reflections_arrive_as_the_room_geometry_says():
    room = acoustics.PRESETS["small-room"]
    take, spaced = impulse_response("small-room", 1.0)
    wet = spaced.wet.sum(axis=0)
    # independent geometry: camera at (w/2, 0.2 d, 1.5), source 2 m ahead on the floor
    w, d, h = room.dims
    listener = np.array([w / 2, 0.2 * d, 1.5])
    source = np.array([w / 2, 0.2 * d + 2.0, 0.05])
    direct = np.linalg.norm(source - listener)
    ceiling = np.linalg.norm(np.array([source[0], source[1], 2 * h - source[2]]) - listener)
    front = np.linalg.norm(np.array([source[0], 2 * d - source[1], source[2]]) - listener)
    for path in (ceiling, front):
        at = 480 + (path - direct) / 343.0 * SR
        near = np.abs(wet[int(at) - 3:int(at) + 4])
        assert near.max() > 0.5 * (1.0 / path * 2.0) * room.reflection * 0.707  # its image is there


def test_user_impulse_response_keeps_its_own_ratio(tmp_path):
    rng = np.random.default_rng(3)
    n = int(0.6 * SR)
    ir = np.zeros((n, 2), np.float32)
    ir[0] = 1.0
    t = np.arange(n - 400) / SR
    tail = 0.05 * rng.standard_normal((n - 400, 2)) * np.exp(-6.9 * t / 0.4)[:, None]
    ir[400:] = tail
    path = tmp_path / "church.wav"
    sf.write(path, ir, SR, subtype="FLOAT")
    own = 10 * math.log10(2.0 / np.sum(tail ** 2))
    take, spaced = impulse_response("ir", 1.0, space_ir=str(path))
    assert drr_db(spaced.mix) == pytest.approx(own, abs=1.0)
    _, farther = impulse_response("ir", 2.0, space_ir=str(path))
    assert drr_db(farther.mix) == pytest.approx(own - 6.0, abs=1.0)
    assert spaced.info["ir"] == "church.wav"


def test_bad_impulse_responses_name_the_file(tmp_path):
    corrupt = tmp_path / "corrupt.wav"
    corrupt.write_bytes(b"RIFF\x00\x00\x00\x00WAVEjunkjunk")
    for path in (corrupt, tmp_path / "missing.wav"):
        with pytest.raises(InputError, match=path.name):
            impulse_response("ir", 1.0, space_ir=str(path))
    silent = tmp_path / "silent.wav"
    sf.write(silent, np.zeros((4800, 2)), SR)
    with pytest.raises(InputError, match="silent.wav.*silent"):
        impulse_response("ir", 1.0, space_ir=str(silent))
    with pytest.raises(InputError, match="impulse response file"):
        impulse_response("ir", 1.0)


def test_dry_space_changes_nothing_and_the_mix_never_clips():
    x = np.zeros(SR, np.float32)
    x[100] = 1.0
    take = spatial.render(x, SR, static(0.0), DRY)
    spaced = acoustics.apply_space(take, SR, static(0.0), DRY)
    assert spaced.wet is None and spaced.mix is take or np.array_equal(spaced.mix, take)
    loud = np.clip(np.random.default_rng(0).standard_normal((2, SR)).astype(np.float32), -0.99, 0.99)
    hot = acoustics.apply_space(loud, SR, static(0.0, 0.5), {**DRY, "space": "hall", "space_mix_db": 12})
    assert np.max(np.abs(hot.mix)) <= 10 ** (-0.3 / 20) + 1e-6 and hot.info["gain_db"] < 0
    np.testing.assert_allclose(hot.mix, loud * 10 ** (hot.info["gain_db"] / 20) + hot.wet, atol=1e-3)


# ------------------------------------------------------------------------------- HRTF

def test_kemar_is_the_default_hrtf_read_with_sofar():
    path = hrtf.default_sofa()
    assert path and path.endswith(hrtf.KEMAR_NAME)
    assert spatial.hrtf_path({"mode": "binaural"}) == path
    assert spatial.hrtf_path({"mode": "binaural", "hrtf": "head-model"}) is None
    import sofar

    raw = sofar.read_sofa(path, verify=False)
    assert raw.Data_IR.shape == (710, 2, 512)
    kemar = hrtf.load_sofa(path, SR)
    assert len(kemar.azimuths) == 72 and kemar.azimuths.min() == -180.0  # the 5-degree horizontal ring


@pytest.mark.parametrize("az", [90.0, -90.0])
def test_kemar_interaural_delay_at_the_side(az):
    x = np.random.default_rng(1).standard_normal(SR).astype(np.float32) * 0.1
    x = signal.sosfilt(signal.butter(4, 1500, "low", fs=SR, output="sos"), x).astype(np.float32)
    out = spatial.render(x, SR, static(az / 90.0, 1.0, 1.0), {**DRY, "mode": "binaural"})
    corr = signal.correlate(out[0], out[1], mode="full", method="fft")
    lags = signal.correlation_lags(len(out[0]), len(out[1]), mode="full")
    keep = np.abs(lags) < int(0.0015 * SR)
    lag = lags[keep][np.argmax(corr[keep])] / SR  # > 0: the left ear hears it later
    assert lag * 1000 * np.sign(az) == pytest.approx(0.65, abs=0.1)


def test_corrupt_sofa_names_the_file(tmp_path):
    bad = tmp_path / "broken.sofa"
    bad.write_bytes(b"\x89HDF\r\n\x1a\n" + b"\0" * 64)
    with pytest.raises(InputError, match="broken.sofa.*not a readable SOFA"):
        spatial.render(np.ones(480, np.float32), SR, static(0.0), {"mode": "binaural", "sofa_path": str(bad)})

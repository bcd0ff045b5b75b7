"""Takes and exported stems hold a true-peak ceiling of -1 dBTP (4x oversampled, BS.1770-4),
not only a sample-peak one: an inter-sample over clips in a DAW or a codec."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from stereosync_studio import jobs
from stereosync_studio.core.project import ClipInfo, Project, TakeInfo
from stereosync_studio.engines.limiter import LIMIT_CEILING, LIMIT_CEILING_DBTP, _limit, peak_limit
from stereosync_studio.media.audio import write_wav
from stereosync_studio.metrics.loudness import integrated_lufs, true_peak_dbtp
from tests.test_engine_edges import generate, needs_refs, steps_envelope, traj

SR = 48000
TOL_DB = 0.01  # 24-bit files and float32 rounding


def bursts(seconds: float, seed: int, peak: float = 0.966) -> np.ndarray:
    """(2, n) decaying noise bursts every 0.5 s, the loudest sample at `peak` (-0.3 dBFS: what
    a sample-peak limiter leaves), with the inter-sample overs such material has."""
    rng = np.random.default_rng(seed)
    n = int(seconds * SR)
    out = np.zeros((2, n), np.float32)
    env = np.exp(-np.arange(int(0.12 * SR)) / (0.015 * SR))
    for p in range(int(0.1 * SR), n - len(env), SR // 2):
        b = rng.standard_normal(len(env)) * env * rng.uniform(0.3, 1.0)
        pan = rng.uniform(0.2, 0.8)
        out[0, p:p + len(env)] += b * np.sqrt(1 - pan)
        out[1, p:p + len(env)] += b * np.sqrt(pan)
    return (out * (peak / np.max(np.abs(out)))).astype(np.float32)


def test_inter_sample_peaks_are_limited_even_with_samples_under_the_ceiling():
    """A tone at a quarter of the rate, sampled 45 degrees off its crests: every sample is at
    -2.2 dBFS, its true peak +0.8 dBTP."""
    n = SR
    x = (1.1 * np.sin(np.pi / 2 * np.arange(n) + np.pi / 4)).astype(np.float32)
    out = np.stack([x, 0.5 * x])
    assert np.max(np.abs(out)) < LIMIT_CEILING and true_peak_dbtp(out, SR) > 0.5
    before = out.copy()
    cut = peak_limit(out, SR)
    assert true_peak_dbtp(out, SR) <= LIMIT_CEILING_DBTP + TOL_DB
    assert 1.7 < cut < 2.2  # what the true peak asks for, not more
    np.testing.assert_allclose(out[1], 0.5 * out[0], rtol=1e-5, atol=1e-7)  # one gain for both channels
    assert np.max(np.abs(out)) < np.max(np.abs(before))


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_limited_bursts_hold_the_ceiling_block_wise_as_in_one_pass(seed):
    out = bursts(4.0, seed) * np.float32(3.0)  # +9 dB over: deep cuts on every burst
    whole, blocks = out.copy(), out.copy()
    cut = _limit(whole, SR)
    assert peak_limit(blocks, SR, block=30_000 + 7_000 * seed) == pytest.approx(cut, abs=1e-9)
    np.testing.assert_array_equal(blocks, whole)
    assert true_peak_dbtp(blocks, SR) <= LIMIT_CEILING_DBTP + TOL_DB
    assert true_peak_dbtp(blocks, SR) > LIMIT_CEILING_DBTP - 0.1  # limited, not turned down


def test_a_take_under_the_ceiling_is_left_bit_identical():
    out = bursts(3.0, 4, peak=0.5)  # -6 dBFS: true peak well under -1 dBTP
    before = out.copy()
    assert peak_limit(out, SR) == 0.0
    np.testing.assert_array_equal(out, before)


@needs_refs
@pytest.mark.parametrize("mode", ["stereo", "binaural"])
def test_a_loud_take_s_true_peak_is_at_most_minus_1_dbtp(mode):
    """Steps asking for far more than full scale (a loud drawn envelope): the take's 4x
    oversampled peak stays at the ceiling, the cut shows in the take's info."""
    take = generate(3.0, steps_envelope(3.0, [0.4, 1.1, 1.9, 2.5], level=0.6), traj(pan=0.3), mode=mode)
    tp = true_peak_dbtp(take.audio, take.sample_rate)
    assert tp <= LIMIT_CEILING_DBTP + TOL_DB and take.info["limiter_db"] > 3.0
    assert tp > LIMIT_CEILING_DBTP - 0.2


def _project(tmp_path, takes: list[np.ndarray], wets: list[np.ndarray | None]) -> tuple[Project, list[TakeInfo]]:
    """A project whose takes are given WAV files (32-bit float: overs as a renderer left them)."""
    n = takes[0].shape[1]
    clip = ClipInfo(str(tmp_path / "missing.mp4"), 25.0, 320, 240, n / SR, int(n / SR * 25))
    infos = []
    for i, (take, wet) in enumerate(zip(takes, wets)):
        path = tmp_path / f"take{i + 1:02d}.wav"
        write_wav(path, take, SR, bits=32)
        if wet is not None:
            write_wav(jobs.render.reverb_path(path), wet, SR, bits=32)
        infos.append(TakeInfo(str(path), f"take{i + 1:02d}", "sampler", i, SR,
                              options={"reverb_stem": wet is not None, "space": "small-room"}))
    return Project("scene", clip), infos


def _room(dry: np.ndarray, seed: int) -> np.ndarray:
    """A room's reverb of `dry`: reflections from 2 ms on, a decaying noise tail (either polarity)."""
    rng = np.random.default_rng(100 + seed)
    ir = rng.standard_normal(int(0.3 * SR)) * np.exp(-np.arange(int(0.3 * SR)) / (0.05 * SR))
    ir[: int(0.002 * SR)] = 0.0
    ir *= 0.6 / np.sqrt(np.sum(ir ** 2))
    from scipy.signal import fftconvolve

    return fftconvolve(dry, ir[None, :], axes=1)[:, : dry.shape[1]].astype(np.float32)


def _stem_peaks(out) -> list[float]:
    return [true_peak_dbtp(sf.read(str(p), dtype="float32")[0].T, SR) for p in list(out) + list(out.reverb)]


@pytest.mark.parametrize("target", [-20.0, None])
def test_exported_stems_hold_the_ceiling_with_and_without_loudness(tmp_path, target):
    """Takes at -0.3 dBFS sample peak (true peaks over -1 dBTP), one with its reverb as its own
    stem: every stem written, dry and reverb ones too, stays at or under -1 dBTP, and the dry
    and reverb stems still sum to the (normalised) take."""
    dry = [bursts(3.0, s) for s in (5, 6, 7)]
    wets = [None, _room(dry[1], 1), _room(dry[2], 2)]
    takes = [d if w is None else d + w for d, w in zip(dry, wets)]
    takes = [(t * np.float32(0.966 / np.max(np.abs(t)))).astype(np.float32) for t in takes]
    wets = [None if w is None else w * np.float32(0.966 / np.max(np.abs(d + w))) for d, w in zip(dry, wets)]
    assert max(true_peak_dbtp(t, SR) for t in takes) > -0.3 + 0.05  # inter-sample overs
    project, infos = _project(tmp_path, takes, wets)
    out = jobs.export_stems(project, [("steps", t) for t in infos], tmp_path / "out", sample_rate=SR,
                            loudness=target)
    assert len(out) == 3 and len(out.reverb) == 2
    peaks = _stem_peaks(out)
    assert max(peaks) <= LIMIT_CEILING_DBTP + TOL_DB, peaks
    for p, w in zip(out[1:], out.reverb):  # dry + reverb = the take (one gain for both)
        d, _ = sf.read(str(p), dtype="float32")
        r, _ = sf.read(str(w), dtype="float32")
        assert abs(integrated_lufs((d + r).T, SR) - out.loudness[p.name]["lufs_integrated"]) < 0.05
    if target is not None:
        for p in out:  # at the target, or a warning says why not (too sharp for the ceiling)
            missed = [w for w in out.warnings if w.startswith(p.name) and "instead of" in w]
            assert (out.loudness[p.name]["lufs_integrated"] == pytest.approx(target, abs=0.1)) != bool(missed)
        assert sum(abs(out.loudness[p.name]["lufs_integrated"] - target) < 0.1 for p in out) >= 2
    else:
        assert any("true peak over" in w for w in out.warnings)

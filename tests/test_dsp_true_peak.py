"""The one true-peak measurement (dsp.true_peak): inter-sample peaks read as such, chunk joins
change nothing, and the limiter's cheap trace misses no value over its ceiling."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.signal import resample_poly

from stereosync_studio.dsp import true_peak as tp
from stereosync_studio.metrics.loudness import true_peak_dbtp


def one_shot(x: np.ndarray) -> float:
    """The reference: one resampling of the whole signal (BS.1770-4 Annex 2, 4x), no chunks."""
    a = np.atleast_2d(np.asarray(x, np.float32))
    return max(float(np.max(np.abs(a))), float(np.max(np.abs(resample_poly(a, 4, 1, axis=1)))))


def test_a_sine_at_a_quarter_of_the_rate_sampled_45_degrees_off_its_crests_reads_3_db_over():
    """Every sample sits at sin(pi/4) of the crest: the true peak is sqrt(2) (+3.01 dB) above."""
    n = 48000
    fade = 0.5 - 0.5 * np.cos(np.pi * np.arange(2000) / 2000)  # no edge overshoot
    env = np.ones(n)
    env[:2000], env[-2000:] = fade, fade[::-1]
    x = (0.5 * env * np.sin(np.pi / 2 * np.arange(n) + np.pi / 4)).astype(np.float32)
    over = tp.true_peak_dbtp(x) - 20 * math.log10(float(np.max(np.abs(x))))
    assert over == pytest.approx(20 * math.log10(math.sqrt(2)), abs=0.05)
    on_crest = (0.5 * env * np.sin(np.pi / 2 * np.arange(n))).astype(np.float32)  # samples on the crests
    assert tp.true_peak_dbtp(on_crest) - 20 * math.log10(float(np.max(np.abs(on_crest)))) < 0.05


@pytest.mark.parametrize("seed", [4, 11])
def test_chunk_joins_change_nothing_on_a_long_signal(seed):
    """Over 2.5 chunks of stereo noise with loud clicks placed across the joins, the chunked
    figure is the one-shot one, and the meter and dsp agree."""
    rng = np.random.default_rng(seed)
    n = int(2.5 * tp.CHUNK)
    x = (0.1 * rng.standard_normal((2, n))).astype(np.float32)
    for join in (tp.CHUNK, 2 * tp.CHUNK):
        x[:, join - 3:join + 3] = np.float32(0.9) * np.array([1, -1, 1, -1, 1, -1], np.float32)
    ref = one_shot(x)
    assert ref > float(np.max(np.abs(x))) * 1.05  # the clicks' inter-sample overs
    assert tp.true_peak([x]) == ref
    assert true_peak_dbtp(x, 48000) == 20 * math.log10(ref)


@pytest.mark.parametrize("n", [1, 255, 1000, 4097, 10_001])
def test_small_chunks_give_the_one_shot_figure_at_every_length(monkeypatch, n):
    monkeypatch.setattr(tp, "CHUNK", 1000)
    rng = np.random.default_rng(n)
    x = rng.standard_normal((2, n)).astype(np.float32) * np.float32(0.2)
    x[:, n // 2] = 0.9  # a loud sample anywhere relative to the joins, and loud pairs across them
    for join in range(1000, n, 1000):
        x[:, join - 1:join + 1] = np.array([0.9, -0.9], np.float32)
    assert tp.true_peak([x]) == one_shot(x)
    assert tp.true_peak([x[0]]) == one_shot(x[0])  # mono (n,) as one channel


def test_silence_and_empty_read_minus_infinity():
    assert tp.true_peak_dbtp(np.zeros((2, 4800), np.float32)) == -math.inf
    assert tp.true_peak_dbtp(np.zeros((2, 0), np.float32)) == -math.inf


def test_the_limiter_s_cheap_trace_keeps_every_value_over_its_ceiling():
    """Quiet segments (samples under ceiling / L1) are not oversampled; every sample whose
    oversampled level passes the ceiling still reads that level, and the trace never reads
    under the samples themselves."""
    rng = np.random.default_rng(7)
    x = np.zeros((2, 48000), np.float32)
    for p in range(1000, 47000, 9000):  # sparse bursts: most segments stay quiet
        x[:, p:p + 600] = rng.standard_normal((2, 600)) * rng.uniform(0.2, 1.5)
    ceiling = 0.89
    full = tp.peak_trace([x])
    cheap = tp.peak_trace([x], quiet=ceiling / tp.l1_bound())
    over = full > ceiling
    assert over.any() and not over.all()
    np.testing.assert_array_equal(cheap[over], full[over])
    assert np.all(cheap >= np.max(np.abs(x), axis=0)) and np.all(cheap <= full)
    assert float(np.max(full)) == one_shot(x)

"""A step's grain lands on the target's own rise to a fraction of an envelope frame."""

from __future__ import annotations

import numpy as np
import pytest

from stereosync_studio.core.envelope import ENVELOPE_RATE
from stereosync_studio.dsp.rms import rms_envelope_fast
from stereosync_studio.engines.rise_align import ALIGN_SEARCH, align_start

SR = 48000


def _click_step(seed: int) -> np.ndarray:
    """A sharp strike (1 ms rise) ringing out over 60 ms, 2 ms of silence before it."""
    rng = np.random.default_rng(seed)
    n = int(0.12 * SR)
    t = np.arange(n) / SR
    env = np.minimum(np.maximum(t - 0.002, 0) / 0.001, 1.0) * np.exp(-np.maximum(t - 0.003, 0) / 0.015)
    return (rng.normal(0, 0.3, n) * env).astype(np.float32)


@pytest.mark.parametrize("true_start, guess_off", [(0.5013, 0.003), (0.7507, -0.0035), (1.2, 0.0021)])
def test_the_grain_is_put_where_its_envelope_matches_the_target(true_start, guess_off):
    grain = _click_step(1)
    track = np.zeros(2 * SR, np.float32)
    i = int(round(true_start * SR))
    track[i:i + len(grain)] += grain * 0.5  # the target: the same sound, quieter, at a sub-frame offset
    target = rms_envelope_fast(track, SR)
    rise = true_start + 0.002
    got = align_start(target, rise, true_start + guess_off, grain, SR)
    assert abs(got - true_start) < 0.0006  # a fifth of a frame (2.9 ms)
    assert abs(got - (true_start + guess_off)) <= ALIGN_SEARCH + 1e-9


def test_nothing_to_match_leaves_the_start_alone():
    grain = _click_step(2)
    silent = np.zeros(int(2 * ENVELOPE_RATE))
    assert align_start(silent, 0.5, 0.498, grain, SR) == 0.498
    assert align_start(silent + 0.01, 0.5, 0.498, np.zeros(100, np.float32), SR) == 0.498


def test_the_follow_keeps_a_placed_attack_the_target_rises_late_to():
    """A target whose step rises 4 ms after the grain's attack (a guide's pre-echo moved the
    step early): without the attack kept the follow cuts the strike by tens of dB, with it by
    at most ATTACK_CUT_DB."""
    from stereosync_studio.engines.follow import ATTACK_CUT_DB, BLOCK, follow_gain
    from stereosync_studio.engines.sampler import SAMPLER_OPTIONS
    from stereosync_studio.core.progress import CancelToken
    from stereosync_studio.dsp.rms import block_energy

    n = 2 * SR
    mono = np.zeros(n, np.float32)
    grain = _click_step(4)
    mono[SR:SR + len(grain)] = grain  # the strike starts at 1.002 s
    target = rms_envelope_fast(np.concatenate([np.zeros(int(0.004 * SR), np.float32), mono])[:n], SR)
    opt = {o.key: o.default for o in SAMPLER_OPTIONS}
    at = 1.002
    gains = [follow_gain(block_energy(mono, BLOCK), None, n, SR, target, opt, CancelToken(), {}, attacks=a)
             for a in (None, [at])]
    hop = 64
    for dt in (0.0, 0.001):
        i = int(round((at + dt) * SR / hop))
        cut_without, cut_with = (-20 * np.log10(g[i]) for g in gains)
        assert cut_without > ATTACK_CUT_DB + 2.0
        assert cut_with <= ATTACK_CUT_DB + 0.5

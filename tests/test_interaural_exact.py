"""IACC is exact for its lag range: the batched FFT padded to n + max lag + 1 and the
whole-take lag-by-lag dot products give the brute-force correlation's numbers."""

from __future__ import annotations

import numpy as np
import pytest

from stereosync_studio.dsp import interaural as I

SR = 48000


def _brute_iacc(left: np.ndarray, right: np.ndarray, max_lag: int) -> float:
    full = np.correlate(left.astype(np.float64), right.astype(np.float64), mode="full")  # lag k at n - 1 + k
    full = np.pad(full, max_lag)  # lags beyond the signal: 0
    n = len(left)
    cc = full[max_lag + n - 1 - max_lag:max_lag + n + max_lag]
    return float(np.max(np.abs(cc)) / np.sqrt(np.dot(left, left) * np.dot(right, right)))


def _pair(n: int, delay: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.normal(0, 0.1, n + abs(delay))
    left = x[abs(delay):abs(delay) + n] if delay > 0 else x[:n]
    right = 0.7 * (x[:n] if delay > 0 else x[abs(delay):abs(delay) + n]) + 0.3 * rng.normal(0, 0.1, n)
    return left, right


@pytest.mark.parametrize("n,delay,seed", [(4800, 17, 0), (5000, -40, 1), (30, 3, 2), (9_001, 60, 3)])
def test_iacc_matches_the_brute_force_correlation(n, delay, seed, monkeypatch):
    monkeypatch.setattr(I, "_DOT_BLOCK", 1024)  # many blocks, lags across their edges
    left, right = _pair(n, delay, seed)
    want = _brute_iacc(left, right, int(np.ceil(1e-3 * SR)))
    assert I.iacc(left, right, SR) == pytest.approx(want, rel=1e-9)  # whole pair: lag-by-lag dots
    batch = I.iacc(np.stack([left, right[::-1]]), np.stack([right, left]), SR)  # batched: padded FFT
    assert batch[0] == pytest.approx(want, rel=1e-9)
    assert batch[1] == pytest.approx(_brute_iacc(right[::-1], left, int(np.ceil(1e-3 * SR))), rel=1e-9)
    if abs(delay) > 48:  # the delay is outside +-1 ms: the correlation there is only the noise's
        assert want < 0.2

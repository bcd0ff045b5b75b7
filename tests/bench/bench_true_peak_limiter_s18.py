"""The true-peak limiter's speed on a 10-minute stereo take at 48 kHz (engines.limiter.peak_limit),
and the true peak it leaves. Prints numbers, asserts nothing.

Cases: footstep-like bursts (decaying noise every 0.5 s) at a normal level (nothing over the
ceiling: only the scan), a loud level (every step over full scale), and full-scale noise (the
worst case: every sample oversampled).

Run: .venv/bin/python tests/bench/bench_true_peak_limiter_s18.py [--minutes 10]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from stereosync_studio.engines.limiter import peak_limit  # noqa: E402
from stereosync_studio.metrics.loudness import true_peak_dbtp  # noqa: E402

SR = 48000


def steps(minutes: float, peak_db: float, seed: int = 0) -> np.ndarray:
    """(2, n) float32: a decaying noise burst every 0.5 s, peaks near `peak_db` dBFS, panned."""
    rng = np.random.default_rng(seed)
    n = int(minutes * 60 * SR)
    out = np.zeros((2, n), np.float32)
    burst = int(0.15 * SR)
    env = np.exp(-np.arange(burst) / (0.02 * SR)).astype(np.float32)
    for p in range(0, n - burst, SR // 2):
        g = 10 ** ((peak_db - 12 + rng.uniform(-3, 3)) / 20)  # noise peaks ~4x its RMS
        pan = rng.uniform(0.2, 0.8)
        b = rng.standard_normal(burst).astype(np.float32) * env * np.float32(g)
        out[0, p:p + burst] += b * np.float32(np.sqrt(1 - pan))
        out[1, p:p + burst] += b * np.float32(np.sqrt(pan))
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--minutes", type=float, default=10.0)
    args = ap.parse_args()
    cases = {"steps, normal (-8 dBFS)": steps(args.minutes, -8.0),
             "steps, loud (+8 dBFS)": steps(args.minutes, 8.0),
             "full-scale noise": np.random.default_rng(1).uniform(-1.2, 1.2, (2, int(args.minutes * 60 * SR))).astype(np.float32)}
    for name, audio in cases.items():
        tp0 = true_peak_dbtp(audio, SR)
        t = time.perf_counter()
        cut = peak_limit(audio, SR)
        dt = time.perf_counter() - t
        print(f"{name:26s} {args.minutes:g} min stereo: {dt:6.2f} s, cut {cut:5.2f} dB, "
              f"true peak {tp0:+.2f} -> {true_peak_dbtp(audio, SR):+.3f} dBTP", flush=True)


if __name__ == "__main__":
    main()

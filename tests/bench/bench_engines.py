"""Real-time factor of the sampler engine (placement + spatial + envelope follow).

A 10 s, 48 kHz stereo take of a walker crossing the frame (pan -0.5 -> 0.5, distance 1 -> 2.5)
on an envelope of 18 steps from real footsteps; the reference is the snow set. Prints the
ratio of audio seconds to wall seconds for stereo and binaural output: the first take
(reference decoded and sliced), a new seed (reference cached, some pitch variants
resampled), a repeated seed (everything cached, as when auditioning), and the spatial
renderer alone. Medians over 16 seeds (new) and three passes over them (repeat), with the
fastest take in brackets. The machine's other load shows in these numbers: run it on a
quiet machine, or several times.
"""

from __future__ import annotations

import glob
import os
import time
from dataclasses import replace

import numpy as np

DATA = os.environ.get("STEREOSYNC_FOOTSTEPS", os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared",
                                                            "data", "footsteps"))
SEEDS = 16
PASSES = 3


def _request(seed: int, mode: str):
    from stereosync_studio.core import Envelope, Trajectory
    from stereosync_studio.engines.base import GenerationRequest
    from stereosync_studio.media.audio import read_audio
    from stereosync_studio.dsp.rms import rms_envelope

    sr, dur = 48000, 10.0
    steps = sorted(glob.glob(os.path.join(DATA, "default_gravel_footstep.*.ogg")))
    y = np.zeros(int(dur * sr), np.float32)
    for k, t in enumerate(np.arange(0.3, dur - 0.5, 0.52)):
        a, _ = read_audio(steps[k % len(steps)], sr)
        s = int(t * sr)
        m = min(len(y) - s, a.shape[1])
        y[s:s + m] += a[0, :m]
    env = Envelope(rms_envelope(y, sr)).with_duration(dur)
    frames = int(dur * 25)
    traj = Trajectory(np.linspace(-0.5, 0.5, frames), np.linspace(1.0, 2.5, frames), 25.0)
    refs = sorted(glob.glob(os.path.join(DATA, "default_snow_footstep.*.ogg")))
    return GenerationRequest(dur, sr, env, traj, refs, seed=seed, options={"mode": mode})


def main() -> None:
    from stereosync_studio.core import CancelToken, null_progress
    from stereosync_studio.engines import grains, spatial
    from stereosync_studio.engines.sampler import SamplerEngine

    if not glob.glob(os.path.join(DATA, "*.ogg")):
        print(f"bench_engines: no footsteps in {DATA} (set STEREOSYNC_FOOTSTEPS)")
        return
    for mode in ("stereo", "binaural"):
        grains.clear_cache()
        engine = SamplerEngine()
        base = _request(0, mode)
        t0 = time.perf_counter()
        engine.generate(base, null_progress, CancelToken())
        cold = time.perf_counter() - t0
        seeds = [replace(base, seed=s) for s in range(1, SEEDS + 1)]
        fresh = [_timed(engine, r) for r in seeds]  # new seeds: some pitch variants resampled
        again = [_timed(engine, r) for _ in range(PASSES) for r in seeds]  # auditioning them again: all cached
        dur = base.duration
        print(f"sampler {mode:8s}: first take {dur / cold:6.0f}x real time ({cold * 1e3:.0f} ms, reference decoded), "
              f"new seed {dur / np.median(fresh):6.0f}x ({np.median(fresh) * 1e3:.1f} ms) [{dur / min(fresh):.0f}x], "
              f"repeat {dur / np.median(again):6.0f}x ({np.median(again) * 1e3:.1f} ms) [{dur / min(again):.0f}x] "
              f"for a {dur:.0f} s {base.sample_rate // 1000} kHz stereo take")
        x = np.random.default_rng(0).standard_normal(base.n_samples).astype(np.float32)
        spatial.render(x, base.sample_rate, base.trajectory, {"mode": mode})
        times = []
        for _ in range(9):
            t0 = time.perf_counter()
            spatial.render(x, base.sample_rate, base.trajectory, {"mode": mode})
            times.append(time.perf_counter() - t0)
        dt = float(np.median(times))
        print(f"spatial {mode:8s}: {dur / dt:6.0f}x real time ({dt * 1e3:.1f} ms, mono noise in)")


def _timed(engine, req) -> float:
    from stereosync_studio.core import CancelToken, null_progress

    t0 = time.perf_counter()
    engine.generate(req, null_progress, CancelToken())
    return time.perf_counter() - t0


if __name__ == "__main__":
    main()

"""Delivery figures: the Space's real-time factor, loudness measure/normalise speed, export with
DAW sessions, batch clips/min with 1 and 2 worker processes, and Ray's overhead per clip.
Prints numbers, asserts nothing.

Run: .venv/bin/python tests/bench/bench_delivery.py [--clips 4 --seconds 3]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from stereosync_studio.core import Trajectory  # noqa: E402
from stereosync_studio.engines import acoustics, spatial  # noqa: E402

SR = 48000
SNOW = str(ROOT / "resources" / "samples" / "snow")


def _best(fn, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def bench_space(seconds: float = 10.0) -> None:
    """Real-time factor of apply_space on a walking take (steps every 0.5 s, panning across)."""
    rng = np.random.default_rng(0)
    n = int(seconds * SR)
    mono = np.zeros(n, np.float32)
    for t in np.arange(0.1, seconds, 0.5):
        s = int(t * SR)
        burst = rng.standard_normal(4800).astype(np.float32) * np.exp(-np.arange(4800) / 600.0).astype(np.float32)
        mono[s:s + 4800] += 0.3 * burst[: n - s]
    frames = int(seconds * 25) + 1
    traj = Trajectory(np.linspace(-0.8, 0.8, frames), np.linspace(1.0, 3.0, frames), 25.0)
    print(f"Space on a {seconds:.0f} s take at {SR} Hz (real-time factor = audio seconds / compute seconds):")
    for mode in ("stereo", "binaural"):
        opt = {"mode": mode}
        take = spatial.render(mono, SR, traj, opt)
        for space in ("small-room", "living-room", "hall", "outdoor"):
            o = {**opt, "space": space}
            acoustics.apply_space(take, SR, traj, o)  # the preset's room response is simulated once
            dt = _best(lambda: acoustics.apply_space(take, SR, traj, o))
            print(f"  {mode:8s} {space:12s} {dt * 1000:7.1f} ms  RTF {seconds / dt:7.0f}x")
    t = time.perf_counter()
    acoustics.late_response.cache_clear()
    for space in ("small-room", "living-room", "hall"):
        acoustics.late_response(space, SR)
    print(f"  room simulation (pyroomacoustics, 3 presets, once per process): {time.perf_counter() - t:.2f} s")


def bench_loudness(seconds: float = 10.0) -> None:
    from stereosync_studio.jobs.loudness import normalise_loudness
    from stereosync_studio.metrics.loudness import loudness_report

    x = (np.random.default_rng(1).standard_normal((2, int(seconds * SR))) * 0.05).astype(np.float32)
    x[:, ::9600] = 0.9  # clicks: the limiter has work at -14 LUFS
    dt = _best(lambda: loudness_report(x, SR))
    print(f"loudness report (LUFS I, max short-term, true peak), {seconds:.0f} s stereo: {dt * 1000:.0f} ms")
    dt = _best(lambda: normalise_loudness(x, SR, -14.0), 1)
    print(f"normalise to -14 LUFS under -1 dBTP, {seconds:.0f} s stereo: {dt * 1000:.0f} ms")


def _clips(folder: Path, count: int, seconds: float) -> Path:
    from tests.walker import cached_walker_clip

    cache = ROOT / "tests" / ".cache"
    cache.mkdir(parents=True, exist_ok=True)
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        w = cached_walker_clip(cache, scenario="crossing", duration=seconds, fps=25, size=(320, 240), seed=20 + i)
        shutil.copy(w.path, folder / f"clip{i:02d}.mp4")
    return folder


def bench_batch(count: int, seconds: float) -> None:
    from stereosync_studio.jobs.batch import BatchSettings, batch_render

    settings = BatchSettings(reference=SNOW, n_takes=1)
    with tempfile.TemporaryDirectory() as tmp:
        clips = _clips(Path(tmp) / "clips", count, seconds)
        print(f"batch of {count} clips of {seconds:.0f} s (320x240, 1 take each, sampler):")
        runs = {}
        for label, kwargs in (("1 worker", {"workers": 1}), ("2 workers", {"workers": 2}),
                              ("ray local, 2 CPUs", {"workers": 2, "ray": "local"})):
            out = Path(tmp) / label.replace(" ", "_").replace(",", "")
            t = time.perf_counter()
            result = batch_render(clips, out, settings, **kwargs)
            dt = time.perf_counter() - t
            runs[label] = dt
            ok = sum(r["status"] == "ok" for r in result.rows)
            per = np.mean([float(r["seconds"]) for r in result.rows])
            print(f"  {label:18s} {dt:6.1f} s  {60 * count / dt:5.1f} clips/min  ({ok}/{count} ok, "
                  f"{per:.2f} s of work per clip)")
        import ray

        t = time.perf_counter()
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, logging_level="ERROR")
        start = time.perf_counter() - t
        ray.shutdown()
        over = (runs["ray local, 2 CPUs"] - runs["2 workers"]) / count
        print(f"  Ray: instance start {start:.1f} s; overhead vs. 2 worker processes {over:+.2f} s per clip "
              f"(start included)")


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--clips", type=int, default=4)
    p.add_argument("--seconds", type=float, default=3.0)
    args = p.parse_args(argv if argv is not None else [])
    bench_space()
    bench_loudness()
    bench_batch(args.clips, args.seconds)


if __name__ == "__main__":
    main(sys.argv[1:])

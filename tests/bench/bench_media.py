"""Media speed figures: probe, decode fps, seek latency (random / backward scrub / forward step),
cache hits, guide audio, preview mux and WAV writing, and random seeks at 1080p with and without
the scrubbing proxy (goal: p95 <= 50 ms). Prints numbers, asserts nothing.

Run: .venv/bin/python tests/bench/bench_media.py [--width 1280 --height 720 --frames 300 --gop 60]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from stereosync_studio.media import audio as maudio  # noqa: E402
from stereosync_studio.media import clip_index, mux, video  # noqa: E402
from stereosync_studio.media.video_writer import write_video  # noqa: E402


def _frames(n: int, w: int, h: int):
    rng = np.random.default_rng(0)
    base = rng.integers(0, 255, (h // 8, w // 8, 3), dtype=np.uint8).repeat(8, 0).repeat(8, 1)
    for i in range(n):  # a textured background panning plus a moving box: realistic-ish motion
        img = np.roll(base, 3 * i, axis=1).copy()
        x = int((i * 7) % max(1, w - 80))
        img[h // 3:h // 3 + 160, x:x + 80] = 240
        yield img


def _ms(xs: list[float]) -> str:
    xs = sorted(xs)
    p95 = xs[min(len(xs) - 1, int(0.95 * len(xs)))]
    mean, median = 1e3 * statistics.mean(xs), 1e3 * statistics.median(xs)
    return f"mean {mean:7.2f} ms  median {median:7.2f} ms  p95 {1e3 * p95:7.2f} ms"


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--width", type=int, default=1280)
    ap.add_argument("--height", type=int, default=720)
    ap.add_argument("--frames", type=int, default=300)
    ap.add_argument("--fps", type=float, default=30.0)
    ap.add_argument("--gop", type=int, default=60)
    ap.add_argument("--seeks", type=int, default=40)
    args = ap.parse_args(argv if argv is not None else [])
    n, fps = args.frames, args.fps
    sr = 48000
    with tempfile.TemporaryDirectory() as d:
        d = Path(d)
        t = np.arange(int(n / fps * sr)) / sr
        tone = (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)[None].repeat(2, 0)
        t0 = time.perf_counter()
        clip = write_video(d / "bench.mp4", _frames(n, args.width, args.height), fps, audio=tone,
                           gop=args.gop, crf=23)
        enc = time.perf_counter() - t0
        print(f"media bench: {args.width}x{args.height}, {n} frames @ {fps:g} fps, keyframe every "
              f"{args.gop} frames ({clip.stat().st_size / 1e6:.1f} MB)")
        print(f"  write_video (x264 veryfast + AAC):   {n / enc:7.1f} fps")

        clip_index._SCAN_CACHE.clear()
        t0 = time.perf_counter()
        info = video.probe(clip)
        print(f"  probe (cold, demux index):          {1e3 * (time.perf_counter() - t0):7.2f} ms "
              f"({info.n_frames} frames)")
        t0 = time.perf_counter()
        video.probe(clip)
        print(f"  probe (cached):                     {1e3 * (time.perf_counter() - t0):7.3f} ms")

        # Cold: no RGB cache and no buffer of decoded pictures, so every jump really seeks.
        with video.VideoReader(clip, cache_size=0, raw_budget_bytes=0) as r:
            for scale in (1.0, 0.5):
                t0 = time.perf_counter()
                k = sum(1 for _ in r.iter_frames(scale=scale))
                dt = time.perf_counter() - t0
                print(f"  iter_frames scale={scale:<4g}             {k / dt:7.1f} fps "
                      f"({k / dt / fps:5.2f}x real time)")
            t0 = time.perf_counter()
            for i in range(n):
                r.frame_at(i)
            dt = time.perf_counter() - t0
            print(f"  frame_at sequential (no cache):      {n / dt:7.1f} fps, seeks={r.seeks}")

            rng = random.Random(1)
            idx = [rng.randrange(n) for _ in range(args.seeks)]
            lat = []
            for i in idx:
                t0 = time.perf_counter()
                r.frame_at(i)
                lat.append(time.perf_counter() - t0)
            print(f"  frame_at random seek:   {_ms(lat)}")

            lat, start = [], min(n - 1, args.gop * 2 - 1)
            for i in range(start, max(-1, start - args.seeks), -1):
                t0 = time.perf_counter()
                r.frame_at(i)
                lat.append(time.perf_counter() - t0)
            print(f"  frame_at backward scrub (cold):     {_ms(lat)}")

            lat = []
            r.frame_at(n // 2)
            for i in range(n // 2 + 1, min(n, n // 2 + 1 + args.seeks)):
                t0 = time.perf_counter()
                r.frame_at(i)
                lat.append(time.perf_counter() - t0)
            print(f"  frame_at forward step:  {_ms(lat)}")

        with video.VideoReader(clip) as r:  # default caches
            lat = []
            for i in range(start, max(-1, start - args.seeks), -1):
                t0 = time.perf_counter()
                r.frame_at(i)
                lat.append(time.perf_counter() - t0)
            print(f"  frame_at backward scrub (default):  {_ms(lat)}")
            lat = []
            for i in range(start, max(-1, start - args.seeks), -1):
                t0 = time.perf_counter()
                r.frame_at(i)
                lat.append(time.perf_counter() - t0)
            print(f"  frame_at cache hit:     {_ms(lat)}")

        t0 = time.perf_counter()
        g = video.read_guide_audio(clip)
        dt = time.perf_counter() - t0
        print(f"  read_guide_audio:                   {1e3 * dt:7.1f} ms "
              f"({g.shape[1] / sr / dt:6.0f}x real time)")

        take = np.random.default_rng(2).normal(0, 0.1, (2, int(n / fps * 44100))).astype(np.float32)
        for reencode in (False, True):
            t0 = time.perf_counter()
            mux.mux_preview(clip, take, 44100, d / f"prev{reencode}.mp4", reencode=reencode)
            dt = time.perf_counter() - t0
            label = "re-encode H.264" if reencode else "stream copy"
            print(f"  mux_preview ({label}):{' ' * (19 - len(label))}{1e3 * dt:7.1f} ms "
                  f"({n / fps / dt:6.1f}x real time)")

        _proxy_seeks(d, args.seeks, fps)

        long = np.random.default_rng(3).uniform(-0.5, 0.5, (2, 60 * sr)).astype(np.float32)
        t0 = time.perf_counter()
        wav = maudio.write_wav(d / "long.wav", long, sr, bits=24, time_reference=sr * 3600)
        dt = time.perf_counter() - t0
        print(f"  write_wav 60 s stereo 24-bit BWF:   {1e3 * dt:7.1f} ms")
        t0 = time.perf_counter()
        maudio.read_audio(wav, sample_rate=44100)
        print(f"  read_audio + resample to 44.1 kHz:  {1e3 * (time.perf_counter() - t0):7.1f} ms")


def _proxy_seeks(d: Path, seeks: int, fps: float) -> None:
    """Random seeks on a 1080p camera-like clip (keyframe every 2 s): the original, then the proxy."""
    from stereosync_studio.media.proxy import ScrubReader, make_proxy

    n = 300
    clip = write_video(d / "cam1080.mp4", _frames(n, 1920, 1080), fps, gop=int(2 * fps), crf=23)
    t0 = time.perf_counter()
    proxy = make_proxy(clip, d / "cam1080.proxy.mp4")
    made = time.perf_counter() - t0
    print(f"  1080p proxy (540p, GOP 6, no B-frames): made at {n / made:6.1f} fps "
          f"({n / fps / made:5.1f}x real time, {proxy.stat().st_size / 1e6:.1f} MB)")
    with ScrubReader(clip, proxy, cache_size=0) as s:
        for r in (s.original, s.proxy):  # cold: no picture caches, every jump really seeks
            r._cache_size, r._raw_max = 0, 0
        rng = random.Random(2)
        for scrub, label in ((False, "original"), (True, "proxy   ")):
            lat = []
            for _ in range(seeks):
                i = rng.randrange(n)
                t0 = time.perf_counter()
                s.frame_at(i, scrubbing=scrub)
                lat.append(time.perf_counter() - t0)
            print(f"  1080p random seek, {label}: {_ms(lat)}")


if __name__ == "__main__":
    main(sys.argv[1:])

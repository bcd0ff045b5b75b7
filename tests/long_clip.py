"""A long clip that costs little to make: for the memory tests and benches of long material.

Why: memory that grows with clip length only shows on long clips, but a real 10-minute 1080p
clip takes minutes to generate and to track. This one is 1080p and long, at a low frame rate
(frames are what cost time; audio length is what costs memory), its pictures are a short
walker loop repeated (the encoder skips most of it), and its guide track is real footsteps over
room noise for the whole length (so the default envelope comes from the guide track).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

from tests.walker import WalkerScene, load_step_samples


def long_clip(cache_dir: str | Path, minutes: float = 10.0, fps: float = 4.0, size: tuple[int, int] = (1920, 1080),
              sample_rate: int = 48000) -> Path:
    """`<cache_dir>/long_<key>.mp4`: `minutes` of H.264 (ultrafast) + AAC, made once and reused."""
    from stereosync_studio.media.video_writer import write_video

    key = hashlib.sha1(f"v2|{minutes}|{fps}|{size}|{sample_rate}".encode()).hexdigest()[:10]
    target = Path(cache_dir) / f"long_{key}.mp4"
    if target.is_file() and target.stat().st_size > 0:
        return target
    scene = WalkerScene("crossing", duration=12.0, fps=fps, size=size, seed=9, background="plain")
    loop = [scene.render(i) for i in range(scene.n_frames)]
    n = int(round(minutes * 60 * fps))
    n_audio = int(round(minutes * 60 * sample_rate))
    rng = np.random.default_rng(0)
    audio = (rng.normal(0, 0.002, (2, n_audio))).astype(np.float32)
    steps = load_step_samples()  # real footstep recordings, at walking pace: the guide holds steps
    for k, t in enumerate(np.arange(0.3, minutes * 60 - 0.5, 0.52)):
        smp = 0.5 * steps[k % len(steps)] * (1.0 if sample_rate == 48000 else 1.0)
        i = int(t * sample_rate)
        m = min(len(smp), n_audio - i)
        audio[:, i:i + m] += smp[:m]
    write_video(target, (loop[i % len(loop)] for i in range(n)), fps, audio=audio, sample_rate=sample_rate,
                crf=30, preset="ultrafast")
    return target

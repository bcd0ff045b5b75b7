"""Write small H.264 mp4 clips from RGB frames (test clips, the demo clip, the walker generator).

Kept separate from the reader so tools that only author clips do not need the decode cache.
Frames are RGB uint8 (H, W, 3); odd sizes are padded by one replicated edge pixel because
yuv420p needs even dimensions. Written atomically (temp file in the same folder + rename).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from ..core.fileio import atomic_output

_PTS_TB = Fraction(1, 90000)  # timestamp unit when explicit (VFR) timestamps are given


def write_video(path: str | Path, frames: Iterable[np.ndarray] | np.ndarray, fps: float,
                audio: np.ndarray | None = None, sample_rate: int = 48000, crf: int = 18, *,
                rotation: int = 0, pts_seconds: Sequence[float] | None = None,
                gop: int | None = None, preset: str = "veryfast", bframes: int | None = None,
                interlaced: bool = False) -> Path:
    """Encode `frames` (RGB uint8) as H.264/yuv420p mp4 at `fps`, with optional stereo AAC.

    `audio` is float (C, N) or (N,) at `sample_rate`; it is written as stereo AAC from time 0.
    `rotation` stores a display rotation (degrees clockwise, like a phone's 'rotate' tag) without
    touching the pixels; `pts_seconds` gives each frame its own timestamp (variable frame rate);
    `gop` sets the keyframe interval, `bframes` the number of B-frames (0: cheap random access);
    `interlaced` codes each picture as two fields, top first (each frame's even lines are one
    instant, its odd lines the next: what a 1080i camera writes).
    """
    target = Path(path)
    with atomic_output(target, suffix=".tmp.mp4") as tmp:
        _encode(str(tmp), frames, fps, audio, sample_rate, crf, rotation, pts_seconds, gop, preset, bframes,
                interlaced)
    return target


def _encode(tmp: str, frames, fps, audio, sample_rate, crf, rotation, pts_seconds, gop,
            preset, bframes=None, interlaced=False) -> None:
    rate = Fraction(fps).limit_denominator(1001)
    out = av.open(tmp, "w", format="mp4")
    try:
        vs = None
        astream, abuf, apos = None, None, 0
        if audio is not None:
            abuf = _stereo(np.asarray(audio, dtype=np.float32))
            astream = out.add_stream("aac", rate=int(sample_rate), layout="stereo")
            astream.bit_rate = 192000
        n = 0
        for i, rgb in enumerate(frames):
            rgb = _even(np.asarray(rgb))
            if vs is None:
                vs = out.add_stream("libx264", rate=rate)
                vs.height, vs.width = rgb.shape[:2]
                vs.pix_fmt = "yuv420p"
                vs.options = {"crf": str(int(crf)), "preset": preset}
                if bframes is not None:
                    vs.options = {**vs.options, "bf": str(int(bframes))}  # libavcodec's name ("bframes" was ignored)
                if interlaced:
                    vs.options = {**vs.options, "x264-params": "interlaced=1:tff=1"}
                if gop:
                    vs.codec_context.gop_size = int(gop)
                    vs.options = {**vs.options, "keyint": str(int(gop)), "scenecut": "0"}
                if pts_seconds is not None:
                    vs.codec_context.time_base = _PTS_TB
                if rotation % 360:
                    # PyAV's degrees are counter-clockwise; ours are clockwise like the old tag.
                    vs.set_display_rotation(-float(rotation % 360))
            frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
            if pts_seconds is not None:
                frame.pts = int(round(float(pts_seconds[i]) / _PTS_TB))
                frame.time_base = _PTS_TB
                t_now = float(pts_seconds[i])
            else:
                t_now = i / float(rate)
            for p in vs.encode(frame):
                out.mux(p)
            if astream is not None:  # keep the file interleaved: audio up to this frame's time
                apos = _mux_audio(out, astream, abuf, apos, int(round((t_now + 1.0) * sample_rate)))
            n += 1
        if vs is None or n == 0:
            raise ValueError("write_video needs at least one frame")
        for p in vs.encode():
            out.mux(p)
        if astream is not None:
            _mux_audio(out, astream, abuf, apos, abuf.shape[1])
            for p in astream.encode():
                out.mux(p)
    finally:
        out.close()


def _mux_audio(out, stream, buf: np.ndarray, pos: int, until: int, chunk: int = 1024) -> int:
    until = min(until, buf.shape[1])
    while pos < until:
        block = np.ascontiguousarray(buf[:, pos:pos + chunk])
        frame = av.AudioFrame.from_ndarray(block, format="fltp", layout="stereo")
        frame.sample_rate = stream.rate
        frame.pts = pos
        frame.time_base = Fraction(1, stream.rate)
        for p in stream.encode(frame):
            out.mux(p)
        pos += block.shape[1]
    return pos


def _stereo(audio: np.ndarray) -> np.ndarray:
    if audio.ndim == 1:
        audio = audio[None, :]
    if audio.shape[0] == 1:
        audio = np.repeat(audio, 2, axis=0)
    return np.ascontiguousarray(audio[:2], dtype=np.float32)


def _even(rgb: np.ndarray) -> np.ndarray:
    if rgb.dtype != np.uint8 or rgb.ndim != 3 or rgb.shape[2] != 3:
        raise ValueError(f"frames must be RGB uint8 (H, W, 3), got {rgb.dtype} {rgb.shape}")
    h, w = rgb.shape[:2]
    if h % 2 or w % 2:
        rgb = np.pad(rgb, ((0, h % 2), (0, w % 2), (0, 0)), mode="edge")
    return np.ascontiguousarray(rgb)

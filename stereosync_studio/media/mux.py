"""Preview movie: the clip's picture with a generated take as its sound (mp4, AAC stereo 48 kHz).

The video packets are copied as they are (no quality loss, fast) when the codec is one players
accept in mp4 (H.264, HEVC, AV1, VP9, MPEG-4); otherwise, or if the copy fails, the picture is
re-encoded as H.264. The take is aligned to the first picture, padded or
trimmed to the picture's duration, and the file is written atomically.
"""

from __future__ import annotations

import logging
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from ..core.errors import InputError
from ..core.fileio import atomic_output
from ..core.progress import CancelToken, ProgressFn, null_progress
from . import audio as _audio
from .clip_index import clip_index, open_container, video_stream

__all__ = ["mux_preview"]

log = logging.getLogger(__name__)
PREVIEW_RATE = 48000
_AAC_FRAME = 1024
_COPY_CODECS = {"h264", "hevc", "av1", "vp9", "mpeg4"}  # play in mp4 almost everywhere


def mux_preview(video_path: str | Path, audio: np.ndarray, sample_rate: int, out_path: str | Path,
                progress: ProgressFn | None = None, cancel: CancelToken | None = None, *,
                reencode: bool = False) -> Path:
    """Write `out_path` (mp4): the clip's video stream plus `audio` (C, N) as stereo AAC."""
    src, out = Path(video_path), Path(out_path)
    progress = progress or null_progress
    index = clip_index(src)
    a = np.asarray(audio, dtype=np.float32)
    if a.size == 0 or not np.isfinite(a).all():
        raise InputError(out, "preview audio is empty or contains NaN/inf samples")
    take = _audio.resample(_audio.to_stereo(a), int(sample_rate), PREVIEW_RATE)
    n_out = int(round(index.info.duration * PREVIEW_RATE))
    take = np.pad(take, ((0, 0), (0, max(0, n_out - take.shape[1]))))[:, :n_out]
    take = np.ascontiguousarray(np.clip(take, -1.0, 1.0))
    with atomic_output(out, suffix=".tmp.mp4") as tmp_path:
        tmp = str(tmp_path)
        with open_container(src) as probe_c:
            copyable = video_stream(probe_c, src).codec_context.name in _COPY_CODECS
        attempts = [False, True] if copyable and not reencode else [True]
        for i, recode in enumerate(attempts):
            try:
                _write(src, tmp, take, index, recode, progress, cancel)
                break
            except (av.error.FFmpegError, ValueError) as exc:
                if i + 1 == len(attempts):
                    raise InputError(src, f"cannot make a preview movie ({exc})") from None
                log.info("%s: stream copy failed (%s); re-encoding as H.264", src, exc)
    progress(1.0, "preview written")
    return out


def _write(src: Path, tmp: str, take: np.ndarray, index, reencode: bool,
           progress: ProgressFn, cancel: CancelToken | None) -> None:
    inp = open_container(src)
    outc = av.open(tmp, "w", format="mp4")
    try:
        vin = video_stream(inp, src)
        if reencode:
            vout = outc.add_stream("libx264", rate=vin.average_rate or vin.guessed_rate or 25)
            w, h = vin.codec_context.width, vin.codec_context.height
            vout.width, vout.height = w - w % 2, h - h % 2  # yuv420p needs even sizes
            vout.pix_fmt = "yuv420p"
            vout.options = {"crf": "18", "preset": "veryfast"}
            vout.codec_context.time_base = vin.time_base
            if index.info.rotation:
                vout.set_display_rotation(-float(index.info.rotation))
        else:
            vout = outc.add_stream_from_template(vin)
        aout = outc.add_stream("aac", rate=PREVIEW_RATE, layout="stereo")
        aout.bit_rate = 256000
        tb_in = float(vin.time_base)
        video_t0 = float(index.pts[0]) * tb_in  # the take starts with the first picture
        a_pts0 = int(round(video_t0 * PREVIEW_RATE))
        apos, duration, done = 0, max(index.info.duration, 1e-6), 0.0
        for k, packet in enumerate(inp.demux(vin)):
            if k % 16 == 0:
                if cancel is not None:
                    cancel.check()
            if packet.dts is None and packet.pts is None:
                continue  # flush packet
            t = (packet.pts if packet.pts is not None else packet.dts) * tb_in - video_t0
            if reencode:
                for frame in packet.decode():
                    frame.pict_type = av.video.frame.PictureType.NONE
                    for p in vout.encode(frame):
                        outc.mux(p)
            else:
                packet.stream = vout
                outc.mux(packet)
            apos = _mux_audio(outc, aout, take, apos, int((t + 0.5) * PREVIEW_RATE), a_pts0)
            if k % 16 == 0:
                done = max(done, min(0.99, t / duration))  # pts jump around with B-frames
                progress(done, "writing preview")
        if reencode:
            for frame in vin.decode(None):  # pictures still inside the decoder
                frame.pict_type = av.video.frame.PictureType.NONE
                for p in vout.encode(frame):
                    outc.mux(p)
            for p in vout.encode():
                outc.mux(p)
        _mux_audio(outc, aout, take, apos, take.shape[1], a_pts0)
        for p in aout.encode():
            outc.mux(p)
    finally:
        outc.close()
        inp.close()


def _mux_audio(outc, stream, take: np.ndarray, pos: int, until: int, pts0: int) -> int:
    until = min(max(until, 0), take.shape[1])
    while pos < until:
        block = np.ascontiguousarray(take[:, pos:pos + _AAC_FRAME])
        frame = av.AudioFrame.from_ndarray(block, format="fltp", layout="stereo")
        frame.sample_rate = PREVIEW_RATE
        frame.time_base = Fraction(1, PREVIEW_RATE)
        frame.pts = pts0 + pos
        for p in stream.encode(frame):
            outc.mux(p)
        pos += block.shape[1]
    return pos

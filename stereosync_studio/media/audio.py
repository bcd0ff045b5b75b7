"""Audio files in and out: read anything (soundfile, PyAV fallback), resample (soxr), write BWF WAV.

Audio inside the app is float32 (channels, samples) with an explicit sample rate. Files are
read a block at a time into that layout; what the Studio keeps open (takes, the guide) is an
`AudioFileView`, which reads the frames asked for from disk instead of holding them.
"""

from __future__ import annotations

import errno
import os
import shutil
import threading
from pathlib import Path
from typing import Any

import av
import numpy as np
import soundfile as sf
import soxr

from ..core.errors import InputError, check_readable
from ..core.fileio import atomic_output
from . import bwf

__all__ = ["read_audio", "AudioFileView", "open_audio_view", "check_audio", "resample", "to_mono", "to_stereo", "write_wav",
           "decode_av_stream"]

_SUBTYPES = {16: "PCM_16", 24: "PCM_24", 32: "FLOAT"}
_G = 0.7071067811865476  # -3 dB
# Stereo downmix for the usual channel orders (WAV/FFmpeg default layouts), per channel count:
# rows = (left gains, right gains). LFE is dropped, centre and surrounds go in at -3 dB.
_DOWNMIX = {
    3: ([1, 0, _G], [0, 1, _G]),  # L R C
    4: ([1, 0, _G, 0], [0, 1, 0, _G]),  # L R Ls Rs (quad)
    5: ([1, 0, _G, _G, 0], [0, 1, _G, 0, _G]),  # L R C Ls Rs
    6: ([1, 0, _G, 0, _G, 0], [0, 1, _G, 0, 0, _G]),  # 5.1: L R C LFE Ls Rs
    7: ([1, 0, _G, 0, _G, _G, 0], [0, 1, _G, 0, _G, 0, _G]),  # 6.1: L R C LFE Cs Ls Rs
    8: ([1, 0, _G, 0, _G, 0, _G, 0], [0, 1, _G, 0, 0, _G, 0, _G]),  # 7.1: L R C LFE Lb Rb Ls Rs
}


def read_audio(path: str | Path, sample_rate: int | None = None) -> tuple[np.ndarray, int]:
    """Read an audio file (any rate/channels) as float32 (C, N); resample if `sample_rate`.

    wav/flac/ogg/mp3 go through soundfile; anything else (m4a, video files, ...) through PyAV.
    Raises InputError for a missing, unreadable, non-audio, empty or NaN/inf-containing file.
    """
    p = check_readable(path, "audio file")
    try:
        audio, sr = _read_blocks(p)
    except (sf.LibsndfileError, RuntimeError, ValueError, TypeError):
        audio, sr = _read_with_av(p)
    if audio.shape[0] == 0 or audio.shape[1] == 0:
        raise InputError(p, "has no audio samples (zero length)")
    if not all(np.isfinite(audio[:, i:i + _WAV_BLOCK]).all() for i in range(0, audio.shape[1], _WAV_BLOCK)):
        raise InputError(p, "contains NaN/inf samples")
    if sample_rate and int(sample_rate) != int(sr):
        audio, sr = resample(audio, sr, int(sample_rate)), int(sample_rate)
    return audio.astype(np.float32, copy=False), int(sr)


def _read_blocks(p: Path) -> tuple[np.ndarray, int]:
    """A soundfile-readable file as float32 (C, N), read a block at a time straight into the
    result (no whole-file (N, C) copy beside it: half the memory of reading then transposing)."""
    with sf.SoundFile(str(p)) as f:
        n, sr = int(f.frames), int(f.samplerate)
        out = np.empty((f.channels, n), np.float32)
        got = 0
        while got < n:
            block = f.read(min(_WAV_BLOCK, n - got), dtype="float32", always_2d=True)
            if len(block) == 0:
                break
            out[:, got:got + len(block)] = block.T
            got += len(block)
    return out[:, :got], sr


class AudioFileView:
    """An audio file read on demand: float32 (channels, frames) slices, no samples kept in memory.

    Why: the Studio keeps every loaded take (and the mixer plays them) for as long as the
    project is open; a 10-minute stereo take is 230 MB as an array. Slicing `view[:, a:b]`
    (or `view.read(a, b)`) seeks and decodes just those frames (thread-safe: the audio
    callback and a worker may read at once). Made by `open_audio_view`.
    """

    ndim = 2
    dtype = np.dtype(np.float32)

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._file = sf.SoundFile(str(self.path))
        self.sample_rate = int(self._file.samplerate)
        self.shape = (int(self._file.channels), int(self._file.frames))
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return self.shape[0]

    def read(self, start: int, stop: int) -> np.ndarray:
        """Frames [start, stop) (clipped to the file) as float32 (channels, m)."""
        a, b = max(0, int(start)), min(self.shape[1], int(stop))
        if b <= a:
            return np.zeros((self.shape[0], 0), np.float32)
        with self._lock:
            self._file.seek(a)
            block = self._file.read(b - a, dtype="float32", always_2d=True)
        return np.ascontiguousarray(block.T)

    def __getitem__(self, key: Any) -> np.ndarray:
        rows, cols = key if isinstance(key, tuple) else (key, slice(None))
        if not isinstance(cols, slice) or cols.step not in (None, 1):
            raise TypeError("an AudioFileView is sliced as view[:, start:stop]")
        start, stop, _ = cols.indices(self.shape[1])
        return self.read(start, stop)[rows]

    def __array__(self, dtype=None, copy=None) -> np.ndarray:
        """The whole file in memory (what a caller that needs an array gets)."""
        out = self.read(0, self.shape[1])
        return out if dtype is None else out.astype(dtype, copy=False)

    def close(self) -> None:
        with self._lock:
            self._file.close()


def open_audio_view(path: str | Path, sample_rate: int | None = None) -> "AudioFileView | np.ndarray":
    """`path` read on demand (an AudioFileView) when soundfile reads it at `sample_rate`; else
    the whole file in memory (`read_audio`: other formats, or resampled)."""
    try:
        view = AudioFileView(path)
    except (sf.LibsndfileError, RuntimeError, ValueError, TypeError, OSError):
        return read_audio(path, sample_rate)[0]
    if (sample_rate and view.sample_rate != int(sample_rate)) or 0 in view.shape:
        view.close()
        return read_audio(path, sample_rate)[0]
    return view


def check_audio(audio: np.ndarray, path: str | Path | None, what: str = "audio") -> np.ndarray:
    """Raise InputError (naming `path`) if `audio` is empty, has NaN/inf, or is silent."""
    a = np.asarray(audio)
    if a.size == 0:
        raise InputError(path, f"{what} has no samples (zero length)")
    if not np.isfinite(a).all():
        raise InputError(path, f"{what} contains NaN/inf samples")
    peak = float(np.max(np.abs(a)))
    if peak < 1e-6:
        raise InputError(path, f"{what} is silent (peak {peak:.1e})")
    return audio


def resample(audio: np.ndarray, sr_in: int, sr_out: int, quality: str = "HQ") -> np.ndarray:
    """Resample (C, N) or (N,) float audio with soxr; returns float32 of the same layout."""
    a = np.asarray(audio, dtype=np.float32)
    if int(sr_in) == int(sr_out):
        return a.copy()
    if a.ndim == 1:
        return soxr.resample(a, sr_in, sr_out, quality=quality).astype(np.float32, copy=False)
    if a.shape[1] == 0:
        return np.zeros((a.shape[0], 0), np.float32)
    out = soxr.resample(np.ascontiguousarray(a.T), sr_in, sr_out, quality=quality)
    return np.ascontiguousarray(out.T, dtype=np.float32)


def to_mono(audio: np.ndarray) -> np.ndarray:
    """(C, N) or (N,) -> (1, N): the mean of the channels."""
    a = np.asarray(audio, dtype=np.float32)
    if a.ndim == 1:
        return a[None, :].copy()
    return a.mean(axis=0, keepdims=True).astype(np.float32)


def to_stereo(audio: np.ndarray) -> np.ndarray:
    """(C, N) or (N,) -> (2, N): mono duplicated, stereo kept, 3-8 channels downmixed (-3 dB
    centre/surrounds, LFE dropped, normalised so a full-scale input cannot exceed full scale)."""
    a = np.asarray(audio, dtype=np.float32)
    if a.ndim == 1:
        a = a[None, :]
    c = a.shape[0]
    if c == 1:
        return np.repeat(a, 2, axis=0)
    if c == 2:
        return a.copy()
    if c in _DOWNMIX:
        m = np.asarray(_DOWNMIX[c], dtype=np.float32)
        m /= m.sum(axis=1, keepdims=True)
        return (m @ a).astype(np.float32)
    return np.repeat(to_mono(a), 2, axis=0)


def write_wav(path: str | Path, audio: np.ndarray, sample_rate: int, bits: int = 24,
              time_reference: int = 0, description: str = "",
              originator: str = "StereoSync Studio") -> Path:
    """Write a Broadcast WAV: PCM 16/24-bit (clipped to [-1, 1]) or 32-bit float, with `bext`.

    `time_reference` is the position of the first sample on the timeline, in samples since
    midnight/the sequence start (BWF TimeReference). Written atomically.
    """
    p = Path(path)
    if bits not in _SUBTYPES:
        raise ValueError(f"bits must be 16, 24 or 32 (float), got {bits}")
    a = np.asarray(audio, dtype=np.float32)
    if a.ndim == 1:
        a = a[None, :]
    if a.ndim != 2 or a.shape[0] == 0:
        raise ValueError(f"audio must be (channels, samples), got shape {np.shape(audio)}")
    if not all(np.isfinite(a[:, i:i + _WAV_BLOCK]).all() for i in range(0, a.shape[1], _WAV_BLOCK)):
        raise InputError(p, "refusing to write NaN/inf samples")
    mode = {1: "mono", 2: "stereo"}.get(a.shape[0], f"{a.shape[0]}ch")
    kind = "PCM" if bits != 32 else "PCM_FLOAT"
    coding = f"A={kind},F={int(sample_rate)},W={bits},M={mode},T={originator}\r\n"
    p.parent.mkdir(parents=True, exist_ok=True)
    with atomic_output(p, suffix=".tmp.wav") as tmp:
        raw = tmp.with_name(tmp.name + ".raw.wav")
        try:  # PCM written a block at a time, then the bext chunk spliced in, streaming
            with sf.SoundFile(str(raw), "w", int(sample_rate), a.shape[0], _SUBTYPES[bits], format="WAV") as f:
                for i in range(0, a.shape[1], _WAV_BLOCK):
                    block = a[:, i:i + _WAV_BLOCK].T
                    f.write(block if bits == 32 else np.clip(block, -1.0, 1.0))  # integer PCM would wrap
            bwf.add_bext_file(raw, tmp, description=description, originator=originator,
                              time_reference=int(time_reference), coding_history=coding)
            with open(tmp, "rb+") as fh:
                os.fsync(fh.fileno())
        except sf.SoundFileRuntimeError as exc:  # libsndfile only says "System error": say which
            raise _write_error(p, exc) from exc
        finally:
            raw.unlink(missing_ok=True)
    return p


def _write_error(p: Path, exc: Exception) -> OSError:
    """An OSError naming `p` for a failed libsndfile write: a full disk when little space is left."""
    try:
        full = shutil.disk_usage(p.parent).free < (4 << 20)
    except OSError:
        full = False
    if full:
        return OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(p))
    return OSError(errno.EIO, f"cannot write the audio ({exc})", str(p))


_WAV_BLOCK = 1 << 18  # frames per write


def decode_av_stream(container, stream) -> tuple[np.ndarray, int, float]:
    """Decode one PyAV audio stream to float32 (C, N); returns (audio, rate, start seconds)."""
    resampler = None
    chunks: list[np.ndarray] = []
    t0 = None
    rate = int(stream.codec_context.sample_rate or stream.rate or 0)
    for frame in container.decode(stream):
        if t0 is None and frame.pts is not None and frame.time_base is not None:
            t0 = float(frame.pts * frame.time_base)
        if resampler is None:  # planar float, same layout and rate as the source
            rate = int(frame.sample_rate)
            resampler = av.AudioResampler(format="fltp", layout=frame.layout, rate=rate)
        for out in resampler.resample(frame):
            chunks.append(out.to_ndarray())
    if resampler is not None:
        for out in resampler.resample(None):
            chunks.append(out.to_ndarray())
    if not chunks:
        try:
            channels = int(stream.codec_context.layout.nb_channels) or 1
        except AttributeError:
            channels = 1
        return np.zeros((channels, 0), np.float32), rate, 0.0
    audio = np.concatenate(chunks, axis=1).astype(np.float32, copy=False)
    return audio, rate, float(t0 or 0.0)


def decode_av_stream_into(container, stream, sample_rate: int, n_out: int, t_origin: float,
                          out=None) -> np.ndarray:
    """Decode one PyAV audio stream straight into stereo float32 (2, n_out) at `sample_rate`,
    sample 0 at `t_origin` seconds (earlier audio cut, a late start padded with silence).

    Streaming (one decoded frame and a soxr stream at a time), so a long clip costs the
    output array only, not the decoded stream, its concatenation and its resampled copy.
    `out`: where the samples go instead of a new zeroed array, written in order as
    `out[:, a:b] = block` (`media.guide_file` writes them to a file this way)."""
    out = np.zeros((2, max(int(n_out), 0)), np.float32) if out is None else out
    resampler = soxr_stream = None
    pos: int | None = None  # where the next output sample goes (may start negative)

    def put(block: np.ndarray) -> None:
        nonlocal pos
        a, b = max(pos, 0), min(pos + block.shape[1], out.shape[1])
        if b > a:
            out[:, a:b] = block[:, a - pos:b - pos]
        pos += block.shape[1]

    def feed(chunk: np.ndarray, rate: int, last: bool = False) -> None:
        nonlocal soxr_stream
        st = to_stereo(chunk)
        if rate == int(sample_rate):
            put(st)
            return
        if soxr_stream is None:
            soxr_stream = soxr.ResampleStream(rate, int(sample_rate), 2, dtype="float32", quality="HQ")
        put(np.ascontiguousarray(soxr_stream.resample_chunk(np.ascontiguousarray(st.T), last=last).T))

    rate = 0
    for frame in container.decode(stream):
        if resampler is None:  # planar float, same layout and rate as the source
            rate = int(frame.sample_rate)
            resampler = av.AudioResampler(format="fltp", layout=frame.layout, rate=rate)
            t0 = float(frame.pts * frame.time_base) if frame.pts is not None and frame.time_base else 0.0
            pos = int(round((t0 - t_origin) * sample_rate))
        for o in resampler.resample(frame):
            feed(o.to_ndarray(), rate)
        if pos is not None and pos >= out.shape[1] and soxr_stream is None:
            break
    if resampler is not None:
        for o in resampler.resample(None):
            feed(o.to_ndarray(), rate)
        if soxr_stream is not None:
            put(np.ascontiguousarray(soxr_stream.resample_chunk(np.zeros((0, 2), np.float32), last=True).T))
    return out


def _read_with_av(p: Path) -> tuple[np.ndarray, int]:
    try:
        container = av.open(str(p), metadata_errors="ignore")
    except av.error.FFmpegError:
        raise InputError(p, "not an audio file (no decoder recognises it)") from None
    try:
        if not container.streams.audio:
            raise InputError(p, "not an audio file (no audio stream)")
        try:
            audio, sr, _ = decode_av_stream(container, container.streams.audio[0])
        except av.error.FFmpegError as exc:
            raise InputError(p, f"audio cannot be decoded ({exc})") from None
    finally:
        container.close()
    if sr <= 0:
        raise InputError(p, "audio stream has no sample rate")
    return audio, sr

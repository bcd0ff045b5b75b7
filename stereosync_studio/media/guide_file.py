"""The clip's guide audio decoded once to a WAV file and read from it on demand.

Why: the Studio plays and draws the guide track for as long as a project is open; as an
array a 10-minute guide is 230 MB (float32 stereo at 48 kHz). Decoded straight into a
float32 WAV (streamed: one decoded frame at a time, `video.read_guide_audio` writing into
the file instead of an array) in a cache folder, it is then an `audio.AudioFileView`: the
mixer and the waveform view read the frames they need. The file is named after the clip
(path, size, modification time) and the rate, so it is made once per clip and rate. The
folder has a byte budget (`FOLDER_BYTES`): making a new file removes the least recently used
others beyond it.
"""

from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path

import numpy as np
import soundfile as sf

from ..core.fileio import atomic_output
from .audio import AudioFileView
from .video import read_guide_audio

__all__ = ["FOLDER_BYTES", "guide_audio_view", "guide_file_path", "prune_folder"]

FOLDER_BYTES = 2 << 30  # decoded guides kept (about 90 minutes of clips); the oldest go first


def guide_file_path(clip_path: str | Path, sample_rate: int, folder: str | Path) -> Path:
    """Where the decoded guide of this clip (as it is now) at `sample_rate` is kept in `folder`."""
    p = Path(clip_path).resolve()
    st = p.stat()
    key = hashlib.sha1(f"{p}|{st.st_size}|{st.st_mtime_ns}|{int(sample_rate)}".encode()).hexdigest()[:16]
    return Path(folder) / f"{p.stem}_guide_{key}.wav"


def guide_audio_view(clip_path: str | Path, sample_rate: int, folder: str | Path) -> AudioFileView | None:
    """The clip's guide audio (aligned to frame 0, as `read_guide_audio` gives it) read on demand
    from its decoded WAV in `folder` (made now when missing); None when the clip has no audio."""
    target = guide_file_path(clip_path, sample_rate, folder)
    if target.is_file():
        _mark_used(target)
        return AudioFileView(target)
    try:
        with atomic_output(target, suffix=".tmp.wav") as tmp:
            with sf.SoundFile(str(tmp), "w", int(sample_rate), 2, "FLOAT", format="WAV") as f:
                sinks: list[_WavSink] = []

                def make(n: int) -> _WavSink:
                    sinks.append(_WavSink(f, n))
                    return sinks[-1]

                if read_guide_audio(clip_path, sample_rate, out=make) is None:
                    raise _NoAudio  # atomic_output then leaves no file behind
                sinks[0].finish()
    except _NoAudio:
        return None
    prune_folder(folder, FOLDER_BYTES, keep=target)
    return AudioFileView(target)


def _mark_used(path: Path) -> None:
    """Set the access time (what `prune_folder` orders by; mounts may not update it on read)."""
    try:
        os.utime(path, ns=(time.time_ns(), path.stat().st_mtime_ns))
    except OSError:
        pass


def prune_folder(folder: str | Path, budget: int, keep: Path | None = None) -> list[Path]:
    """Remove the least recently used decoded guides in `folder` until the rest fit in `budget`
    bytes (`keep` stays); returns what was removed. A file still open elsewhere is only unlinked."""
    files = []
    for f in Path(folder).glob("*_guide_*.wav"):
        try:
            st = f.stat()
        except OSError:
            continue
        files.append((st.st_atime, st.st_size, f))
    total = sum(size for _, size, _ in files)
    removed = []
    for _, size, f in sorted(files, key=lambda x: x[0]):
        if total <= budget:
            break
        if keep is not None and f == keep:
            continue
        try:
            f.unlink()
        except OSError:
            continue
        total -= size
        removed.append(f)
    return removed


class _NoAudio(Exception):
    """The clip has no audio stream."""


class _WavSink:
    """Takes `out[:, a:b] = block` writes in order (as decode_av_stream_into makes them) and
    appends them to an open SoundFile, silence filling any gap, up to `n` frames."""

    def __init__(self, f: sf.SoundFile, n: int) -> None:
        self.f, self.shape, self.done = f, (2, int(n)), 0

    def __setitem__(self, key, block: np.ndarray) -> None:
        a, b = key[1].start, key[1].stop
        if a < self.done:  # never happens in order; keep the first write of a frame
            block, a = block[:, self.done - a:], self.done
        self._silence(a - self.done)
        if b > a:
            self.f.write(np.ascontiguousarray(np.asarray(block, np.float32).T))
            self.done = b

    def _silence(self, k: int) -> None:
        for i in range(0, max(0, k), 1 << 16):
            self.f.write(np.zeros((min(1 << 16, k - i), 2), np.float32))
        self.done += max(0, k)

    def finish(self) -> None:
        self._silence(self.shape[1] - self.done)

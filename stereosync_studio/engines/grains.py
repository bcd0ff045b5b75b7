"""Reference sounds -> a library of clean one-step grains for the sampler.

A reference is one file, several files, a folder (every audio file inside) or one long
recording of many steps. Files longer than ~1.5 s, or with several steps separated by a
dip, are sliced at step onsets (the same footstep onset detector the metrics use, with
backtracking so a slice starts before its transient). Each grain is DC-free, trimmed of
leading/trailing silence, given short fades (no clicks where a recording starts or is cut
mid-sound) and measured: peak, RMS, the peak of its RMS envelope, where its transient is,
and where its envelope rises. Decoded grains are cached per (path, mtime, size, rate).
"""

from __future__ import annotations

import functools
import os
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..core.errors import InputError
from ..core.progress import CancelToken, ProgressFn, null_progress

AUDIO_EXTENSIONS = {".wav", ".wave", ".flac", ".ogg", ".oga", ".opus", ".mp3", ".aif", ".aiff", ".aifc",
                    ".m4a", ".caf", ".w64", ".bwf"}
SLICE_LONGER_THAN = 1.5  # s
RISE_FRACTION = 0.1  # a step starts where its RMS envelope first reaches this fraction of its peak
MIN_GRAIN = 0.03  # s
PRE_ROLL = 0.002  # s kept before a transient
FADE_IN = 0.0005  # s
FADE_OUT = 0.010  # s
TRIM_END_DB = -50.0  # trailing frames quieter than this (re the grain's loudest) are cut
GRAIN_FLOOR_DB = -36.0  # slices whose peak is this far below the file's peak are dropped

_CACHE: "OrderedDict[tuple, list[Grain]]" = OrderedDict()
_CACHE_LOCK = threading.Lock()
_CACHE_SIZE = 128


@dataclass
class Grain:
    """One step sound: mono float32 at `sample_rate`, with the measurements placement needs."""

    audio: np.ndarray
    sample_rate: int
    source: str  # file it came from
    start_s: float  # where it starts in that file
    peak: float
    rms: float
    env_peak: float  # peak of its RMS envelope (metric definition)
    onset: float  # s into the grain where the transient starts
    rise: float  # s into the grain where its RMS envelope first reaches RISE_FRACTION of env_peak
    envelope: np.ndarray  # its RMS envelope on the ENVELOPE_RATE grid from its first sample

    @property
    def name(self) -> str:
        return f"{os.path.basename(self.source)}@{self.start_s:.2f}s"

    @property
    def duration(self) -> float:
        return len(self.audio) / float(self.sample_rate)


def resolve_reference_files(paths: list[str] | str) -> list[str]:
    """Expand folders to the audio files inside (sorted); every file must exist."""
    items = [paths] if isinstance(paths, (str, os.PathLike)) else list(paths)
    if not items:
        raise InputError(None, "no reference sound given (choose a file or a folder of footsteps)")
    out: list[str] = []
    for item in items:
        p = Path(item)
        if p.is_dir():
            found = sorted(str(f) for f in p.iterdir()
                           if f.is_file() and not f.name.startswith(".") and f.suffix.lower() in AUDIO_EXTENSIONS)
            if not found:
                raise InputError(p, "folder contains no audio files")
            out.extend(found)
        elif p.exists():
            out.append(str(p))
        else:
            raise InputError(p, "reference file not found")
    return list(dict.fromkeys(out))


def load_grains(paths: list[str] | str, sample_rate: int, progress: ProgressFn = null_progress,
                cancel: CancelToken | None = None) -> list[Grain]:
    """All grains of all reference files at `sample_rate` (InputError names any bad file)."""
    files = resolve_reference_files(paths)
    grains: list[Grain] = []
    for i, f in enumerate(files):
        if cancel is not None:
            cancel.check()
        progress(i / len(files), f"reading {Path(f).name}")
        grains.extend(file_grains(f, sample_rate))
    progress(1.0, f"{len(grains)} grains from {len(files)} file(s)")
    return grains


def file_grains(path: str, sample_rate: int) -> list[Grain]:
    """Grains of one file, cached per (path, mtime, size, rate)."""
    st = os.stat(path)
    key = (os.path.abspath(path), st.st_mtime_ns, st.st_size, int(sample_rate))
    with _CACHE_LOCK:
        if key in _CACHE:
            _CACHE.move_to_end(key)
            return _CACHE[key]
    grains = _decode_and_slice(path, int(sample_rate))
    with _CACHE_LOCK:
        _CACHE[key] = grains
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return grains


def clear_cache() -> None:
    with _CACHE_LOCK:
        _CACHE.clear()


def _decode_and_slice(path: str, sr: int) -> list[Grain]:
    from ..media.audio import check_audio, read_audio, to_mono

    audio, _ = read_audio(path, sr)  # raises InputError: missing, unreadable, empty, NaN
    check_audio(audio, path, "reference sound")
    mono = to_mono(audio)[0]
    check_audio(mono, path, "reference sound (after mixing its channels to mono)")
    mono = mono - np.float32(np.mean(mono))
    bounds = _slice_points(mono, sr)
    file_peak = float(np.max(np.abs(mono)))
    grains = []
    for s, e in bounds:
        g = _make_grain(mono[s:e], sr, path, s / sr, file_peak)
        if g is not None:
            grains.append(g)
    if not grains:
        raise InputError(path, "reference sound has no usable step (too short or too quiet after trimming)")
    return grains


def _slice_points(mono: np.ndarray, sr: int) -> list[tuple[int, int]]:
    """Sample ranges of the steps in a file: the whole file unless it holds several steps."""
    from ..metrics.onsets import detect_step_onsets

    n = len(mono)
    if n < int(0.2 * sr):
        return [(0, n)]
    onsets = np.unique(np.round(detect_step_onsets(mono, sr) * sr).astype(np.int64))
    onsets = onsets[(onsets >= 0) & (onsets < n)]
    if len(onsets) < 2:
        return [(0, n)]
    if n <= SLICE_LONGER_THAN * sr:
        onsets = _separated(mono, sr, onsets)
        if len(onsets) < 2:
            return [(0, n)]
    cuts = [0] + [int(o) for o in onsets[1:]] + [n]
    if onsets[0] > 0.3 * sr:  # a long lead-in before the first step is its own (dropped if quiet) slice
        cuts = [0, int(onsets[0])] + cuts[1:]
    return [(a, b) for a, b in zip(cuts[:-1], cuts[1:]) if b - a > 0]


def _separated(mono: np.ndarray, sr: int, onsets: np.ndarray, dip_db: float = 15.0) -> np.ndarray:
    """Keep only onsets preceded by a dip of `dip_db` below the previous step (heel-toe stays whole)."""
    win = max(1, int(0.01 * sr))
    level = np.sqrt(np.convolve(mono.astype(np.float64) ** 2, np.ones(win) / win, mode="same")) + 1e-9
    keep = [int(onsets[0])]
    for o in onsets[1:]:
        prev_peak = float(np.max(level[keep[-1]:o]))
        dip = float(np.min(level[keep[-1] + (o - keep[-1]) // 2:o + 1]))
        if 20 * np.log10(prev_peak / dip) >= dip_db:
            keep.append(int(o))
    return np.asarray(keep)


def _make_grain(x: np.ndarray, sr: int, path: str, start_s: float, file_peak: float) -> Grain | None:
    from ..metrics.envelope_l1 import rms_envelope_fast

    if len(x) < MIN_GRAIN * sr:
        return None
    peak = float(np.max(np.abs(x)))
    if peak < file_peak * 10 ** (GRAIN_FLOOR_DB / 20):
        return None
    # Leading trim: keep PRE_ROLL before the first sample above -30 dB of the grain's peak.
    first = int(np.argmax(np.abs(x) > peak * 10 ** (-30 / 20)))
    s = max(0, first - int(PRE_ROLL * sr))
    # Trailing trim: last 5 ms frame within TRIM_END_DB of the loudest frame, plus one frame.
    hop = max(1, int(0.005 * sr))
    nfr = len(x) // hop
    if nfr > 2:
        fr = np.sqrt(np.mean(x[: nfr * hop].reshape(nfr, hop).astype(np.float64) ** 2, axis=1)) + 1e-12
        loud = np.flatnonzero(20 * np.log10(fr / fr.max()) > TRIM_END_DB)
        e = min(len(x), (int(loud[-1]) + 2) * hop)
    else:
        e = len(x)
    y = np.array(x[s:e], dtype=np.float32)
    if len(y) < MIN_GRAIN * sr:
        return None
    apply_fades(y, sr, FADE_IN, FADE_OUT)
    env = rms_envelope_fast(y, sr)
    env_peak = float(np.max(env))
    if env_peak <= 0:
        return None
    return Grain(y, sr, path, start_s + s / sr, float(np.max(np.abs(y))), float(np.sqrt(np.mean(y ** 2))),
                 env_peak, (first - s) / sr, rise_time(env, RISE_FRACTION), env)


def apply_fades(y: np.ndarray, sr: int, fade_in: float, fade_out: float) -> np.ndarray:
    """Raised-cosine fades in place (shortened to a quarter of the grain if it is short)."""
    n = len(y)
    for length, tail in ((int(fade_in * sr), False), (int(fade_out * sr), True)):
        length = min(length, n // 4)
        if length < 2:
            continue
        ramp = _ramp(length)
        if tail:
            y[n - length:] *= ramp[::-1]
        else:
            y[:length] *= ramp
    return y


@functools.lru_cache(maxsize=64)
def _ramp(length: int) -> np.ndarray:
    ramp = (0.5 - 0.5 * np.cos(np.linspace(0, np.pi, length, dtype=np.float32)))
    ramp.flags.writeable = False
    return ramp


def rise_time(env: np.ndarray, fraction: float, floor: float = 0.0) -> float:
    """Seconds (on the envelope grid) where `env` first reaches floor + fraction * (peak - floor)."""
    from ..core.envelope import ENVELOPE_RATE

    thr = floor + fraction * (float(np.max(env)) - floor)
    j = int(np.argmax(env >= thr))
    if j == 0:
        return 0.0
    v0, v1 = float(env[j - 1]), float(env[j])
    frac = (thr - v0) / (v1 - v0) if v1 > v0 else 0.0
    return (j - 1 + frac) / ENVELOPE_RATE

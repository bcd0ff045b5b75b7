"""Reference sounds -> a library of clean one-step grains for the sampler.

A reference is one file, several files, a folder (every audio file inside, as
`core.formats` lists them) or one long recording of many steps. Files longer than ~1.5 s,
or with several steps separated by a dip, are sliced at step onsets (`dsp.onsets`, the
detector the step-timing metric uses too, with backtracking so a slice starts before its
transient). Each grain is DC-free, trimmed of
leading/trailing silence, given short fades (no clicks where a recording starts or is cut
mid-sound) and measured: peak, RMS, the peak of its RMS envelope, where its transient is,
and where its envelope rises. Decoded grains are cached per (path, mtime, size, rate).
"""

from __future__ import annotations

import functools
import os
import stat
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..core.envelope import ENVELOPE_HOP, ENVELOPE_RATE, ENVELOPE_SR
from ..core.errors import InputError
from ..core.formats import audio_files_in
from ..core.progress import CancelToken, ProgressFn, null_progress
from ..dsp.onsets import detect_step_onsets
from ..dsp.rms import block_energy, rms_envelope_fast, segment_envelopes

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
    return [f for f, _ in _resolve(paths)]


def _resolve(paths: list[str] | str) -> list[tuple[str, os.stat_result | None]]:
    """`resolve_reference_files` with each file's stat where it came for free (one stat per
    given path: auditioning re-reads a reference list on every take)."""
    items = [paths] if isinstance(paths, (str, os.PathLike)) else list(paths)
    if not items:
        raise InputError(None, "no reference sound given (choose a file or a folder of footsteps)")
    out: list[tuple[str, os.stat_result | None]] = []
    for item in items:
        p = Path(item)
        try:
            st = os.stat(p)
        except (OSError, ValueError):
            raise InputError(p, "reference file not found") from None
        if stat.S_ISDIR(st.st_mode):
            out.extend((f, None) for f in audio_files_in(p))  # InputError when it holds none
        else:
            out.append((str(p), st))
    seen: dict[str, os.stat_result | None] = {}
    for f, st in out:
        seen.setdefault(f, st)
    return list(seen.items())


def load_grains(paths: list[str] | str, sample_rate: int, progress: ProgressFn = null_progress,
                cancel: CancelToken | None = None) -> list[Grain]:
    """All grains of all reference files at `sample_rate` (InputError names any bad file)."""
    files = _resolve(paths)
    grains: list[Grain] = []
    for i, (f, st) in enumerate(files):
        if cancel is not None:
            cancel.check()
        progress(i / len(files), f"reading {os.path.basename(f)}")
        grains.extend(file_grains(f, sample_rate, st))
    progress(1.0, f"{len(grains)} grains from {len(files)} file(s)")
    return grains


def file_grains(path: str, sample_rate: int, st: os.stat_result | None = None) -> list[Grain]:
    """Grains of one file, cached per (path, mtime, size, rate); `st`: its os.stat if known."""
    st = st if st is not None else os.stat(path)
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
    thr = floor + fraction * (float(np.max(env)) - floor)
    j = int(np.argmax(env >= thr))
    if j == 0:
        return 0.0
    v0, v1 = float(env[j - 1]), float(env[j])
    frac = (thr - v0) / (v1 - v0) if v1 > v0 else 0.0
    return (j - 1 + frac) / ENVELOPE_RATE


# ------------------------------------------------------------------ texture continuation

def extend_tail(y: np.ndarray, sr: int, length: int, rng: np.random.Generator, window: float = 0.03) -> np.ndarray:
    """`y` continued to `length` samples with its own texture (granular overlap-add).

    Windows are drawn at random from the later half of the sound (before its fade-out),
    levelled to the RMS where the sound ends, and overlap-added at 50 % with a sine window,
    whose squares sum to one: constant power for uncorrelated pieces, no level dip (a Hann
    window would dip 3 dB between windows). The sound crossfades into the texture the same
    way; the continuation gets the usual fade-out. Meant for noisy textures (snow, gravel,
    sand, water); the envelope follow then shapes its level. `y` itself when it cannot be
    continued (already long enough, or too short to draw windows from).
    """
    return extend_tails([(y, length)], sr, rng, window)[0][0]


def extend_tails(jobs: list[tuple[np.ndarray, int]], sr: int, rng: np.random.Generator, window: float = 0.03,
                 envelopes: bool = False) -> tuple[list[np.ndarray], list[np.ndarray] | None]:
    """`extend_tail` of every (y, length) in `jobs` (the same draws from `rng`, in job order),
    and with `envelopes` the RMS envelope of each result (`rms_envelope_fast`, same numbers).

    The sampler continues a dozen steps per take: the windows of all of them are gathered,
    measured and levelled in one pass each, written into one buffer (the results are views
    of it), and their envelopes measured from one pass of block energies.
    """
    w = max(8, int(window * sr)) // 2 * 2
    h = w // 2
    fade = int(FADE_OUT * sr)
    outs: list[np.ndarray] = [np.asarray(y) for y, _ in jobs]
    todo = []  # (job, source, length, end, count, starts)
    for k, (y, length) in enumerate(jobs):
        end = len(y) - fade
        if length <= len(y) or end < w + h:
            continue
        lo = max(0, min(len(y) // 2, end - w))
        count = int(np.ceil((length - (end - h)) / h)) + 1
        count += count % 2  # even: the windows split into two sets that do not overlap
        todo.append((k, np.asarray(y, np.float32), int(length), end, count, rng.integers(lo, end - w + 1, size=count)))
    if todo:
        src = np.concatenate([t[1] for t in todo])
        src_at = np.concatenate([[0], np.cumsum([len(t[1]) for t in todo])[:-1]])
        windows = np.lib.stride_tricks.as_strided(src, (len(src) - w + 1, w), (src.strides[0],) * 2, writeable=False)
        # every job's windows, then the last window before each job's fade-out (its level reference)
        rows = np.concatenate([at + t[5] for at, t in zip(src_at, todo)] + [src_at + [t[3] - w for t in todo]])
        pieces = windows[rows]
        rms = np.sqrt(np.einsum("ij,ij->i", pieces, pieces).astype(np.float64) / w) + 1e-12
        counts = [t[4] for t in todo]
        ref = np.repeat(rms[-len(todo):], counts)
        n_pieces = len(ref)
        win = _sine_window(w)
        pieces = pieces[:n_pieces]
        pieces *= win[None, :] * np.minimum(ref / rms[:n_pieces], 4.0)[:, None].astype(np.float32)
        # one buffer: each result starts on an 8-sample boundary, zeros after it (as block_energy pads)
        sizes = [t[3] - h + (t[4] + 1) * h for t in todo]  # >= length + 2 h
        at = np.concatenate([[0], np.cumsum([-(-z // 8) * 8 for z in sizes])])
        buf = np.zeros(int(at[-1]), np.float32)
        first = 0
        for (k, y, length, end, count, _), a in zip(todo, at[:-1]):
            out = buf[a:a + end - h + (count + 1) * h]
            out[:end] = y[:end]
            out[end - h:end] *= win[h:]  # the sound fades out as the texture fades in (power-complementary)
            p, half = end - h, count // 2
            mine = pieces[first:first + count]
            out[p:p + half * w].reshape(half, w)[...] += mine[0::2]  # windows 0, 2, 4... back to back
            out[p + h:p + h + half * w].reshape(half, w)[...] += mine[1::2]  # and 1, 3, 5... between them
            first += count
            out[length:] = 0.0
            outs[k] = apply_fades(out[:length], sr, 0.0, FADE_OUT)
    if not envelopes:
        return outs, None
    envs: list[np.ndarray | None] = [None] * len(jobs)
    if todo:
        energy = block_energy(buf, 8)
        lens = [t[2] for t in todo]
        frames = [1 + int(n_ * ENVELOPE_SR / sr) // ENVELOPE_HOP for n_ in lens]
        for t, e in zip(todo, segment_envelopes(energy, at[:-1] // 8, [-(-n_ // 8) for n_ in lens], frames, sr, 8)):
            envs[t[0]] = e
    for k, e in enumerate(envs):
        if e is None:
            envs[k] = rms_envelope_fast(outs[k], sr)
    return outs, envs  # type: ignore[return-value]


@functools.lru_cache(maxsize=4)
def _sine_window(w: int) -> np.ndarray:
    win = np.sin(np.pi * (np.arange(w) + 0.5) / w).astype(np.float32)  # squares sum to 1 at 50 % overlap
    win.flags.writeable = False
    return win

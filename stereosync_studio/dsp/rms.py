"""The loudness envelope on the papers' grid, measured once for engines, metrics and analysis.

Why here: the sampler follows a target envelope, the E-L1 metric scores a take against it and
analysis draws one from guide audio; all three must mean the same numbers, so the envelope
and the distance between two envelopes are defined in this one module.

Envelope definition (Stable-V2A, Sec. IV-B Eq. 7 and Sec. IV-C): RMS of the waveform with
librosa `feature.rms`, frame W = 512, hop h = 128, centred frames; computed on the mono
mixdown resampled to 44.1 kHz, so frame i sits at i * 128 / 44100 s, the grid of
`core.envelope.Envelope` (ENVELOPE_RATE). `rms_envelope_fast` and its block-energy helpers
give the same grid without resampling, for engines' inner loops.

E-L1 (Stable-V2A, Sec. V-C, Eq. 11): (1/k) sum_i |r_i - r^_i| over the k target frames, with
NO normalisation of either envelope (`envelope_l1`).
"""

from __future__ import annotations

import functools

import numpy as np

from ..core.envelope import ENVELOPE_FRAME, ENVELOPE_HOP, ENVELOPE_RATE, ENVELOPE_SR, Envelope

__all__ = ["rms_envelope", "rms_envelope_fast", "block_energy", "envelope_from_blocks", "frame_mean_square",
           "frame_matrix", "segment_envelopes", "target_values", "align_length", "envelope_l1", "minmax"]


def rms_envelope(audio: np.ndarray, sr: int) -> np.ndarray:
    """The papers' RMS envelope: mono mixdown, 44.1 kHz, librosa rms (512 / 128, centred).

    float32, one value per ENVELOPE_RATE frame from 0 s (1 + N // 128 frames at 44.1 kHz);
    a single 0 for empty audio."""
    import librosa

    a = np.asarray(audio, np.float32)
    mono = a if a.ndim == 1 else a.mean(axis=0)
    if int(sr) != ENVELOPE_SR and mono.size:
        mono = _resample_mono(mono, int(sr), ENVELOPE_SR)
    if mono.size == 0:
        return np.zeros(1, np.float32)
    if mono.size <= _RMS_CHUNK:
        return librosa.feature.rms(y=np.ascontiguousarray(mono, np.float32), frame_length=ENVELOPE_FRAME,
                                   hop_length=ENVELOPE_HOP, center=True)[0].astype(np.float32)
    return _rms_chunked(np.asarray(mono, np.float32))


_RMS_CHUNK = 1 << 21  # samples; librosa frames the whole signal at once (4x its size in memory)


def _rms_chunked(mono: np.ndarray) -> np.ndarray:
    """librosa's centred RMS, the same frames computed a chunk at a time: long clips (a 10-minute
    guide track) stay within a few MB of working memory instead of four times the signal."""
    import librosa

    half, hop = ENVELOPE_FRAME // 2, ENVELOPE_HOP
    n = len(mono)
    n_frames = 1 + n // hop
    out = np.empty(n_frames, np.float32)
    per = _RMS_CHUNK // hop
    for f0 in range(0, n_frames, per):
        f1 = min(n_frames, f0 + per)
        lo, hi = f0 * hop - half, (f1 - 1) * hop + half  # frame f covers [f*hop - half, f*hop + half)
        seg = np.zeros(hi - lo, np.float32)
        a, b = max(lo, 0), min(hi, n)
        seg[a - lo:b - lo] = mono[a:b]
        out[f0:f1] = librosa.feature.rms(y=seg, frame_length=ENVELOPE_FRAME, hop_length=hop, center=False)[0]
    return out


def _resample_mono(mono: np.ndarray, sr_in: int, sr_out: int) -> np.ndarray:
    """soxr HQ resampling of a mono float32 signal (as `media.audio.resample` does for (N,))."""
    import soxr

    return soxr.resample(np.asarray(mono, np.float32), sr_in, sr_out, quality="HQ").astype(np.float32, copy=False)


def rms_envelope_fast(audio: np.ndarray, sr: int, n_frames: int | None = None, block: int = 8) -> np.ndarray:
    """`rms_envelope` without resampling, on the same grid (for engines' inner loops).

    Frame i covers [t_i - W/2, t_i + W/2) with t_i = i * 128 / 44100 s and W = 512 / 44100 s,
    zeros outside the signal (librosa's constant centre padding). Energy sums come from a
    cumulative sum over blocks of `block` samples, linear inside a block. On footsteps it is
    within 1 % of the exact definition; it also counts energy above 22.05 kHz, which the
    resampling to 44.1 kHz removes (48 kHz white noise reads ~5 % high).
    """
    a = np.asarray(audio, np.float32)
    mono = a if a.ndim == 1 else (a[0] if a.shape[0] == 1 else a.mean(axis=0))
    if n_frames is None:
        n_frames = 1 + int(len(mono) * ENVELOPE_SR / sr) // ENVELOPE_HOP
    return envelope_from_blocks(block_energy(mono, block), sr, n_frames, block)


def block_energy(mono: np.ndarray, block: int = 8) -> np.ndarray:
    """Sum of squares over consecutive blocks of `block` samples (last block zero-padded)."""
    x = np.asarray(mono, np.float32).reshape(-1)
    nb = -(-len(x) // block)
    if nb * block != len(x):
        x = np.concatenate([x, np.zeros(nb * block - len(x), np.float32)])
    xb = x.reshape(nb, block)
    return np.einsum("ij,ij->i", xb, xb).astype(np.float64)


def envelope_from_blocks(energy: np.ndarray, sr: int, n_frames: int, block: int = 8) -> np.ndarray:
    """RMS envelope on the ENVELOPE_RATE grid from `block_energy` output (see rms_envelope_fast)."""
    return np.sqrt(frame_mean_square(energy, sr, n_frames, block)).astype(np.float32)


def frame_mean_square(energy: np.ndarray, sr: int, n_frames: int, block: int = 8) -> np.ndarray:
    """The squared `envelope_from_blocks` in float64 (for callers that iterate on it).

    The energy of frame i is the cumulative block energy, interpolated linearly, at the
    window's end minus at its start; the positions are fixed per (length, rate, frames, block)
    and cached, which matters to callers that measure the same length many times."""
    e64 = np.asarray(energy, np.float64)
    nb = len(e64)
    if nb == 0:
        return np.zeros(n_frames)
    cum = np.empty(nb + 1, np.float64)
    cum[0] = 0.0
    np.cumsum(e64, out=cum[1:])
    jlo, flo, jhi, fhi, norm = _frame_bounds(nb, float(sr), int(n_frames), int(block))
    e = cum[jhi] - cum[jlo]  # np.interp(x, arange(nb + 1), cum) == cum[j] + (x - j) * energy[j]
    e += fhi * e64[jhi]
    e -= flo * e64[jlo]
    np.maximum(e, 0.0, out=e)
    e *= norm
    return e


def segment_envelopes(energy: np.ndarray, starts: np.ndarray | list[int], n_blocks: np.ndarray | list[int],
                      n_frames: np.ndarray | list[int], sr: int, block: int = 8) -> list[np.ndarray]:
    """`envelope_from_blocks` of several signals whose block energies lie in one array:
    signal k's are energy[starts[k]:starts[k] + n_blocks[k]], its envelope has n_frames[k]
    frames. One pass over all of them (for engines that measure many short sounds)."""
    e64 = np.asarray(energy, np.float64)
    starts, nbs, nfr = (np.asarray(a, np.intp).reshape(-1) for a in (starts, n_blocks, n_frames))
    if len(nfr) == 0:
        return []
    cum = np.empty(len(e64) + 1, np.float64)
    cum[0] = 0.0
    np.cumsum(e64, out=cum[1:])
    hop_s = ENVELOPE_HOP * sr / ENVELOPE_SR / block  # in blocks
    win_s = ENVELOPE_FRAME * sr / ENVELOPE_SR / block
    seg = np.repeat(np.arange(len(nfr)), nfr)
    first = np.concatenate([[0], np.cumsum(nfr)[:-1]])
    centres = (np.arange(len(seg)) - first[seg]) * hop_s
    nb = nbs[seg]
    base = starts[seg]
    total = np.zeros(len(seg))
    if len(e64):
        for sign, pos in ((-1.0, np.clip(centres - win_s / 2, 0, nb)), (1.0, np.clip(centres + win_s / 2, 0, nb))):
            j = np.minimum(np.floor(pos), np.maximum(nb - 1, 0)).astype(np.intp)
            part = e64[np.minimum(base + j, len(e64) - 1)]  # cum interpolated: cum[j] + (pos - j) energy[j]
            part *= pos - j
            part += cum[base + j]
            total += sign * part
    np.maximum(total, 0.0, out=total)
    env = np.sqrt(total / (win_s * block)).astype(np.float32)
    env[nb == 0] = 0.0
    return np.split(env, np.cumsum(nfr)[:-1])


@functools.lru_cache(maxsize=8)
def frame_matrix(n_blocks: int, sr: int, n_frames: int, block: int = 8):
    """`frame_mean_square` as a sparse matrix (n_frames x n_blocks, about 19 entries a row at
    48 kHz): frame_matrix(...) @ energy gives the same numbers (summed directly, without the
    running sum's cancellation), at half the cost for callers that measure one length many
    times (an envelope follow iterating on a take). Cached; do not modify."""
    from scipy.sparse import csr_matrix

    if n_blocks == 0:
        return csr_matrix((n_frames, 0))
    jlo, flo, jhi, fhi, norm = _frame_bounds(int(n_blocks), float(sr), int(n_frames), int(block))
    count = jhi - jlo + 1  # blocks jlo..jhi: whole ones between, the partial ends weighted
    indptr = np.concatenate([[0], np.cumsum(count)])
    row = np.repeat(np.arange(n_frames), count)
    local = np.arange(len(row)) - indptr[row]
    vals = (local < count[row] - 1).astype(np.float64)
    vals[indptr[1:] - 1] += fhi
    vals[indptr[:-1]] -= flo
    vals *= norm
    return csr_matrix((vals, jlo[row] + local, indptr), shape=(n_frames, n_blocks))


@functools.lru_cache(maxsize=256)
def _frame_bounds(nb: int, sr: float, n_frames: int, block: int) -> tuple[np.ndarray, ...]:
    """Block index and fraction of each frame's window start and end (read-only, cached)."""
    hop_s = ENVELOPE_HOP * sr / ENVELOPE_SR / block  # in blocks
    win_s = ENVELOPE_FRAME * sr / ENVELOPE_SR / block
    centres = np.arange(n_frames, dtype=np.float64) * hop_s
    out = []
    for pos in (np.clip(centres - win_s / 2, 0, nb), np.clip(centres + win_s / 2, 0, nb)):
        j = np.minimum(np.floor(pos), nb - 1).astype(np.intp)
        out += [j, pos - j]
    out.append(1.0 / (win_s * block))
    for a in out[:-1]:
        a.flags.writeable = False
    return tuple(out)


def target_values(target: Envelope | np.ndarray) -> np.ndarray:
    """Target envelope values on the ENVELOPE_RATE grid (an Envelope at another rate is resampled)."""
    if isinstance(target, Envelope):
        if abs(target.rate - ENVELOPE_RATE) < 1e-6:
            return np.asarray(target.values, np.float64)
        n = int(round(target.duration * ENVELOPE_RATE))
        return target.at(np.arange(n) / ENVELOPE_RATE).astype(np.float64)
    return np.asarray(target, np.float64).reshape(-1)


def align_length(env: np.ndarray, n: int) -> np.ndarray:
    """`env` as float64 of exactly n frames: trimmed, or zero-padded (silence) at the end."""
    out = np.zeros(n, np.float64)
    m = min(n, len(env))
    out[:m] = env[:m]
    return out


def envelope_l1(env: np.ndarray, target: np.ndarray, normalized: bool = False) -> float:
    """E-L1: mean |target - env| over the target's frames (`env` trimmed / zero-padded to them).

    `normalized`: min-max normalise both envelopes to [0, 1] first (a level-independent
    variant; a flat envelope normalises to all zeros). 0.0 for an empty target."""
    t = np.asarray(target, np.float64).reshape(-1)
    if len(t) == 0:
        return 0.0
    e = align_length(np.asarray(env).reshape(-1), len(t))
    if normalized:
        t, e = minmax(t), minmax(e)
    return float(np.mean(np.abs(t - e)))


def minmax(v: np.ndarray) -> np.ndarray:
    """`v` scaled to [0, 1] by its min and max (all zeros when it is flat)."""
    lo, hi = float(np.min(v)), float(np.max(v))
    if hi - lo < 1e-12:
        return np.zeros_like(v)
    return (v - lo) / (hi - lo)

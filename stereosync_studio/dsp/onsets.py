"""Footstep onsets in audio: where each step starts.

Why here: the sampler slices a reference recording at its steps and the step-timing metric
scores a take's steps; both must find steps the same way, so the detector lives below both.

Detection is librosa's spectral-flux onset strength with peak picking, tuned for footsteps:
at most one onset per `min_spacing` (0.15 s: faster than any run, slower than a heel-toe
double transient), a low relative threshold so distant (quiet) steps are kept, and
backtracking to the preceding energy minimum so the time is where the step starts.
"""

from __future__ import annotations

import numpy as np

__all__ = ["detect_step_onsets"]

_LONG_S = 60.0  # longer signals are analysed in ~30 s chunks (the STFT of 10 minutes is gigabytes)


def _strength_and_rms(y: np.ndarray, sr: int, hop: int, n_fft: int) -> tuple[np.ndarray, np.ndarray]:
    """librosa's onset strength and frame RMS on the hop grid; chunked (with margins, so each
    kept frame sees the same samples) for signals over `_LONG_S` seconds."""
    import librosa

    if y.size <= _LONG_S * sr:
        return (librosa.onset.onset_strength(y=y, sr=sr, hop_length=hop, n_fft=n_fft),
                librosa.feature.rms(y=y, frame_length=2 * hop, hop_length=hop)[0])
    n_frames = 1 + y.size // hop
    env, rms = np.zeros(n_frames, np.float32), np.zeros(n_frames, np.float32)
    step = hop * 6000
    margin = hop * (-(-2 * n_fft // hop) + 2)
    for g0 in range(0, y.size, step):
        g1 = min(g0 + step, y.size)
        lo, hi = max(g0 - margin, 0), min(g1 + margin, y.size)
        seg = np.ascontiguousarray(y[lo:hi])
        e = librosa.onset.onset_strength(y=seg, sr=sr, hop_length=hop, n_fft=n_fft)
        r = librosa.feature.rms(y=seg, frame_length=2 * hop, hop_length=hop)[0]
        f0, f1 = g0 // hop, (n_frames if g1 == y.size else g1 // hop)
        k0 = f0 - lo // hop
        env[f0:f1] = e[k0:k0 + f1 - f0]
        rms[f0:f1] = r[k0:k0 + f1 - f0]
    return env, rms


def detect_step_onsets(audio: np.ndarray, sr: int, min_spacing: float = 0.15, delta: float = 0.05,
                       min_rise_db: float = 10.0, floor_db: float = -45.0) -> np.ndarray:
    """Onset times (s) of steps in `audio` ((C, N) or (N,)).

    A candidate is kept only if it is a new sound: the RMS in the 50 ms after its peak is
    `min_rise_db` above the RMS where it starts (backtracked), and within `floor_db` of the
    take's loudest frame. That drops wiggles in a decaying tail and background noise.
    """
    import librosa

    a = np.asarray(audio, np.float32)
    y = a if a.ndim == 1 else a.mean(axis=0)
    if y.size == 0 or not np.any(y):
        return np.zeros(0)
    hop = max(1, int(round(sr * 0.005)))
    n_fft = 2048 if sr > 30000 else 1024
    if y.size < n_fft:  # shorter than one analysis frame (~20-40 ms): no step to find
        return np.zeros(0)
    env, rms = _strength_and_rms(y, sr, hop, n_fft)
    n = min(len(env), len(rms))
    env, rms = env[:n], rms[:n]
    wait = max(1, int(round(min_spacing * sr / hop)))
    avg = int(round(0.1 * sr / hop))
    peaks = librosa.onset.onset_detect(onset_envelope=env, sr=sr, hop_length=hop, units="frames",
                                       backtrack=False, wait=wait, pre_max=3, post_max=3,
                                       pre_avg=avg, post_avg=avg + 1, delta=delta, normalize=True)
    if len(peaks) == 0:
        return np.zeros(0)
    peaks = np.asarray(peaks)
    starts = librosa.onset.onset_backtrack(peaks, rms)
    ref = float(np.max(rms)) + 1e-12
    look = max(1, int(round(0.05 * sr / hop)))
    keep = []
    for p, s in zip(peaks, starts):
        after = float(np.max(rms[p:p + look]))
        before = max(float(rms[s]), ref * 10 ** (floor_db / 20))
        if 20 * np.log10(after / ref + 1e-12) > floor_db and 20 * np.log10(after / before) >= min_rise_db:
            if not keep or (s - keep[-1]) * hop / sr >= min_spacing * 0.5:
                keep.append(int(s))
    return np.asarray(librosa.frames_to_time(np.asarray(keep, int), sr=sr, hop_length=hop), np.float64)

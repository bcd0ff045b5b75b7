"""What a real guide's samples do that a clean recording does not: the guide's edges.

* Digital silence: a sound track shorter than the picture, padded with zeros, starting
  after it, or cut at an edit. A sample is silent when |x| < SILENT_PEAK (2^-15: below one
  16-bit step, what a 16-bit file stores as 0; a decoder's residue of zero padding is far
  below it). A stretch has sound when any sample in it is not silent (`sounded`).
* Where a sound track begins after SILENT_RUN_S or more of silence and then goes on
  (CONTINUOUS_S or more with no such silence: `sound_starts`), every bin rises from nothing
  and the cut clicks: the transient detector reads a strong impact there, so transients
  within POST_SILENCE_S of it are dropped (`footstep_guide.analyse_guide`). What was
  before the cut is unknown, so a step exactly at it cannot be told from the cut: its
  picture contact still makes it (`contact_evidence` hears the level rise). A clean or
  gated guide, digital silence between its steps (sound islands shorter than
  CONTINUOUS_S), keeps every transient: there the sound beginning is the step.
* Nothing but steps: a guide whose loud moments stand ONLY_STEPS_DB or more over its quiet
  ones (after the stationary floor: `FootstepGuide.total`) holds no speech or music; there a
  periodic transient is a step ringing on a resonant floor, not a syllable (`only_steps`).
* Polarity: a stereo guide with one channel inverted (a mis-wired microphone, L = -R)
  averages to silence; when its side (L - R) / 2 carries SIDE_RATIO times the mid's energy,
  the side is the guide (`guide_mono`).
"""

from __future__ import annotations

import numpy as np

__all__ = ["SILENT_PEAK", "SILENT_RUN_S", "POST_SILENCE_S", "guide_mono", "only_steps", "sounded", "sound_starts"]

SILENT_PEAK = 2.0 ** -15  # |x| below this is digital silence
SILENT_RUN_S = 0.02  # s: silence at least this long, then sound, is where a sound track (re)starts
POST_SILENCE_S = 0.05  # s: transients this soon after such a start are the cut, not an impact
CONTINUOUS_S = 1.5  # s of sound with no such silence after it: a sound track (re)starting, not a step
SOUND_HALF_S = 0.15  # s each side of a time that `sounded` reads
ONLY_STEPS_DB = 30.0  # 95th over 20th percentile of a guide's power: clean 40-240 dB, busy mixes 6-24 dB
SIDE_RATIO = 4.0  # side energy over mid energy above which a stereo guide is polarity-inverted


def guide_mono(audio: np.ndarray) -> np.ndarray:
    """(C, N) or (N,) -> (N,) float32, NaN/inf as 0: the channels' mean, or for a stereo
    guide whose side carries SIDE_RATIO x the mid's energy (one channel inverted), the side."""
    a = np.nan_to_num(np.asarray(audio, np.float32), nan=0.0, posinf=0.0, neginf=0.0)
    if a.ndim == 1:
        return a
    if a.shape[0] == 2:  # the energies without making both signals (a long clip's are large)
        both, cross = float(np.dot(a[0], a[0])) + float(np.dot(a[1], a[1])), 2.0 * float(np.dot(a[0], a[1]))
        if both - cross > SIDE_RATIO * (both + cross):
            return 0.5 * (a[0] - a[1])
    return a.mean(axis=0)


def sounded(mono: np.ndarray, sr: int, times: list[float] | np.ndarray, half: float = SOUND_HALF_S) -> np.ndarray:
    """Per time: whether the guide has sound within `half` s of it (a time off the guide's
    end, or in its digital silence, has none)."""
    x = np.asarray(mono)
    out = np.zeros(len(times), bool)
    for i, t in enumerate(times):
        a, b = max(0, int((t - half) * sr)), min(len(x), int(np.ceil((t + half) * sr)))
        out[i] = b > a and float(np.max(np.abs(x[a:b]))) >= SILENT_PEAK
    return out


def sound_starts(mono: np.ndarray, sr: int, min_run: float = SILENT_RUN_S,
                 lasting: float = CONTINUOUS_S) -> np.ndarray:
    """Seconds where sound begins after at least `min_run` s of digital silence and goes on
    for `lasting` s or more before the next such silence (or the guide's end)."""
    x = np.asarray(mono)
    quiet = (x < SILENT_PEAK) & (x > -SILENT_PEAK)
    if not quiet.any():
        return np.zeros(0)
    edge = np.zeros(1, np.int8)
    edges = np.diff(np.concatenate([edge, quiet.view(np.int8), edge]))
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    long = ends - starts >= int(round(min_run * sr))
    starts, ends = starts[long], ends[long]
    until = np.append(starts[1:], len(quiet))  # the next long silence after each start (or the end)
    keep = (ends < len(quiet)) & (until - ends >= int(round(lasting * sr)))
    return ends[keep] / float(sr)


def only_steps(total: np.ndarray) -> bool:
    """Whether a guide holds nothing but its steps (see the module docstring); `total`: its
    power over the stationary floor, frame by frame (`FootstepGuide.total`)."""
    t = np.asarray(total, np.float64)
    if t.size < 8 or not np.any(t > 0):
        return False
    return 10.0 * np.log10((np.percentile(t, 95) + 1e-20) / (np.percentile(t, 20) + 1e-20)) >= ONLY_STEPS_DB

"""The first few milliseconds of each footstep, measured at a fine time resolution.

Why: `footstep_guide` isolates the steps with 43 ms spectra (the resolution that separates
speech harmonics from a broadband step). A hard or wooden step's strike lasts a few ms; in
those windows its energy is spread over 43 ms and read against speech, so its peak came out
3-5x low (median; the take then played it far too quiet). At the strike itself the step is the
newest sound: what was there just before it (speech, music, room tone: 45-8 ms before the
onset) hardly changes within the next 10 ms, so it can be subtracted in power, per bin, on
11 ms spectra (`TRANSIENT_S`), and what is left is the strike.

Per step: the power spectrum of the frames in BACKGROUND_S before the onset is the
background; frames within STRIKE_S of the onset keep what exceeds it (spectral subtraction
with a zero floor), everything else is dropped; the kept part is resynthesised and measured
with the metric's RMS (`dsp.rms.rms_envelope_fast`); after its peak it may only fall
(speech rising in the strike's frames is not step), and before the onset it is zero: the
11 ms windows smear the click 5 ms early, and the sampler's follow (up to +30 dB) lifted
the take's lead-in to match (take E-L1 worse although the envelope was closer). A syllable
or a drum hit that starts with the step would read as a much louder strike: a step's strike
is capped at PEAK_CAP times the median strike of the neighbouring steps (one walker's steps
are of similar level; distance changes slowly). `footstep_envelope` takes the larger of
this and its own envelope.

Cost: one 0.2 s stretch per step (~75 short FFT frames): negligible next to the isolation.
"""

from __future__ import annotations

import numpy as np

from ..core.envelope import ENVELOPE_RATE
from ..dsp.rms import rms_envelope_fast
from ..dsp.spectral import istft, pow2_length, stft

__all__ = ["strike_envelope"]

TRANSIENT_S = 0.0107  # 512 samples at 48 kHz, hop a quarter of it
BACKGROUND_S = (0.045, 0.008)  # s before the onset: the frames (centres) read as the background
STRIKE_S = (0.004, 0.010)  # s before / after the onset: the frames (centres) the strike is kept in
SPAN_S = 0.1  # s each side of the onset analysed
PEAK_CAP, CAP_NEIGHBOURS = 1.2, 3  # a strike at most this times the median of +-3 neighbours' strikes


def _one_strike(mono: np.ndarray, sr: int, t: float, n_env: int) -> tuple[int, np.ndarray]:
    """(first grid frame, the strike's RMS envelope from there) of the step at `t`."""
    n_fft = pow2_length(TRANSIENT_S, sr)
    hop = n_fft // 4
    f0 = max(0, int(np.floor((t - SPAN_S) * ENVELOPE_RATE)))
    f1 = min(n_env, int(np.ceil((t + SPAN_S) * ENVELOPE_RATE)) + 1)
    s0 = int(round(f0 / ENVELOPE_RATE * sr))  # on a grid frame: the segment's envelope is the grid's
    x = mono[s0:min(len(mono), int(round(f1 / ENVELOPE_RATE * sr)))]
    if f1 <= f0 or len(x) < n_fft:
        return f0, np.zeros(0)
    spec = stft(x, n_fft, hop)
    power = np.abs(spec) ** 2 + 1e-20
    centre = s0 / sr + np.arange(spec.shape[1]) * hop / sr - t  # frame centres, from the onset
    before = (centre >= -BACKGROUND_S[0]) & (centre <= -BACKGROUND_S[1])
    strike = (centre >= -STRIKE_S[0]) & (centre <= STRIKE_S[1])
    if not before.any() or not strike.any():
        return f0, np.zeros(0)
    background = power[:, before].mean(axis=1, keepdims=True)
    gain = np.zeros(power.shape, np.float32)
    gain[:, strike] = np.sqrt(np.maximum(power[:, strike] - background, 0.0) / power[:, strike])
    env = rms_envelope_fast(istft(spec * gain, n_fft, hop, len(x)), sr, f1 - f0).astype(np.float64)
    env[:max(0, int(np.ceil(t * ENVELOPE_RATE)) - f0)] = 0.0  # nothing before the onset (see the docstring)
    if len(env):
        top = int(np.argmax(env))
        env[top:] = np.minimum.accumulate(env[top:])  # after the strike's peak it only falls
    return f0, env


def strike_envelope(audio: np.ndarray, sr: int, steps: list[float], n_env: int) -> np.ndarray:
    """The strikes of `steps` (onsets, s) in mono `audio` on the ENVELOPE_RATE grid (n_env
    values), zero elsewhere; see the module docstring."""
    out = np.zeros(n_env)
    mono = np.asarray(audio, np.float32).reshape(-1)
    if not len(steps) or len(mono) == 0:
        return out
    strikes = [_one_strike(mono, int(sr), float(t), n_env) for t in steps]
    peaks = np.array([float(e.max()) if len(e) else 0.0 for _, e in strikes])
    for k, (f0, env) in enumerate(strikes):
        if not len(env) or peaks[k] <= 0:
            continue
        typical = float(np.median(peaks[max(0, k - CAP_NEIGHBOURS):k + CAP_NEIGHBOURS + 1]))
        env = env * min(1.0, PEAK_CAP * typical / peaks[k])
        seg = out[f0:f0 + len(env)]
        np.maximum(seg, env[:len(seg)], out=seg)
    return out

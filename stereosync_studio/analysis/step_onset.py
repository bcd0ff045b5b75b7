"""Where exactly a step heard near a foot contact starts: its onset on 11 ms spectra.

Why: the take places each footstep sound exactly at its step's time, so a step timed 20 ms
off plays 20 ms off (take E-L1 0.54 with the fused times against 0.40 with the true onsets,
same envelopes). The footstep level (`footstep_guide.contact_evidence`) is read on 43 ms
spectra and its steepest rise, searched +-35 ms around a contact, often lands on a
syllable's or a note's rise, or on a heel-toe's toe: on generated busy guides, with the
picture's real contacts, a third of the heard steps were more than 15 ms off, more than the
contacts themselves were (p90 44 ms against 16 ms).

Here the onset is the detector's own measure (`analyse_guide`: the rise over the last 20 ms
that 70 % of a band's bins share, `dsp.spectral.band_rise`; a syllable or a note lifts a
few bins, an impact all of them), on 11 ms spectra every 1.3 ms, weighted by how likely
the picture puts the step there: a Gaussian around the contact whose width is the
contact's uncertainty (SIGMA_S, about half a 25 fps frame, for a sure contact; wider as
the picture is less sure, e.g. a step filled in from the cadence). The onset is the best
weighted frame within SEARCH_SIGMAS of the contact, when the band there rises by
MIN_RISE_DB or more (else there is none), then pinned on 2.7 ms spectra within that frame
(an 11 ms window rises most 3 ms before a strike on a quiet background, on time under a
loud one; a 2.7 ms one ~1 ms before, LEAD_S, measured on clean guides: the take's sampler
plays a step placed early with its attack cut by the envelope follow). The contacts are
first moved by the clip's one offset between picture and sound (`sound_offset`, the median
of the onsets found with the widest search).

Measured (tests/busy_guide.py, tune seeds 20-27, the picture's real contacts of the clips,
every fused step, median / p90 |error|): speech 6.5 / 36 -> 3.0 / 17 ms, busy 6.8 / 35 ->
3.0 / 26 ms, music 3.4 / 12 -> 2.6 / 10 ms, drums 4.4 / 25 -> 2.8 / 19 ms, clean 2.0 / 5 ->
0.2 / 0.3 ms (under a background the onsets now read ~2 ms late, which the take tolerates);
step F1 (+-50 ms) speech 0.89 -> 0.96, busy 0.98 -> 0.99, others equal. The full pipeline's
take (tune seeds): speech E-L1 0.51 -> 0.44, take F1 0.92 -> 0.95; clean F1 0.89 -> 0.92.
Limits: a voiced onset far sharper and louder than the step inside the search (a plosive
or a note struck with the heel) can win: the largest band's rise decides (asking two bands
to rise, `band_rise` rank 2, lost the steps of band-limited surfaces on the fixtures).

Cost: one 0.3 s stretch per step (~200 frames of 512 samples): negligible.
"""

from __future__ import annotations

import numpy as np
from scipy.ndimage import uniform_filter1d

from ..dsp.spectral import band_rise, onset_rise, pow2_length, stft

__all__ = ["fine_onset", "fine_onsets", "contact_sigma", "sound_offset", "heard_onsets"]

WINDOW_S = 0.0107  # 512 samples at 48 kHz
HOP_S = 0.00133  # 64 samples at 48 kHz
BANDS = (40.0, 200.0, 2000.0, 8000.0, 16000.0)  # Hz: the detector's bands (`footstep_guide.BANDS`)
RISE_LAG_S = 0.02  # s: a bin's rise is over the loudest of this much before
SIGMA_S = 0.02  # s: how far a sure contact is from its heard onset (about half a frame at 25 fps)
MAX_SIGMA_S = 0.04  # s: ... and an unsure one at most
SEARCH_SIGMAS = 2.5  # the onset is searched this many sigmas either side of the contact
MIN_RISE_DB = 2.0  # dB: a weaker band rise is no onset (`footstep_guide.MIN_RISE_DB`)
MIN_FOR_OFFSET = 3  # contacts with an onset needed to measure the picture-to-sound offset
SHARP_S, SHARP_HOP_S = 0.00267, 0.00033  # 128 / 16 samples at 48 kHz: the onset within the frame found
LEAD_S = 0.001  # s: a 2.7 ms window rises most this much before the strike (measured on clean guides)


def contact_sigma(confidence: float | None) -> float:
    """s: the uncertainty of a contact of the picture's `confidence` (0..1; None: sure)."""
    if confidence is None:
        return SIGMA_S
    return float(min(MAX_SIGMA_S, SIGMA_S / max(float(confidence), SIGMA_S / MAX_SIGMA_S)))


def _strength(mono: np.ndarray, sr: int, t0: float, t1: float, window: float = WINDOW_S,
              hop_s: float = HOP_S) -> tuple[np.ndarray, np.ndarray]:
    """(frame centres in s, the band rise in dB) over [t0, t1], read from RISE_LAG_S before."""
    n_fft, hop = pow2_length(window, sr), max(1, int(round(hop_s * sr)))
    s0 = max(0, int(np.floor((t0 - RISE_LAG_S) * sr)) - n_fft // 2)
    x = mono[s0:min(len(mono), int(np.ceil(t1 * sr)) + n_fft // 2)]
    if len(x) < n_fft:
        return np.zeros(0), np.zeros(0)
    power = np.abs(stft(x, n_fft, hop)) ** 2
    rise = onset_rise(power, max(1, int(round(RISE_LAG_S * sr / hop))))
    freqs = np.fft.rfftfreq(n_fft, 1.0 / sr)
    edges = tuple(min(e, 0.95 * sr / 2) for e in BANDS)
    od = uniform_filter1d(band_rise(rise, freqs, edges, rank=1, quantile=0.7), 3)
    times = (s0 + np.arange(power.shape[1]) * hop) / sr
    keep = (times >= t0) & (times <= t1)
    return times[keep], od[keep]


def fine_onset(mono: np.ndarray, sr: int, t: float, sigma: float = SIGMA_S,
               within: tuple[float, float] = (-np.inf, np.inf)) -> float | None:
    """The onset of the step the picture puts at `t` (s) with uncertainty `sigma` (s), or
    None when no band rises by MIN_RISE_DB within SEARCH_SIGMAS * sigma (and `within`, s:
    halfway to another subject's contacts) (see the module docstring). `mono`: the guide,
    float at `sr`."""
    span = SEARCH_SIGMAS * sigma
    times, od = _strength(mono, sr, max(t - span, within[0]), min(t + span, within[1]))
    if len(od) == 0:
        return None
    weighted = od * np.exp(-0.5 * ((times - t) / sigma) ** 2)
    k = int(np.argmax(weighted))
    if od[k] < MIN_RISE_DB:
        return None
    near, od_near = _strength(mono, sr, times[k] - 0.5 * WINDOW_S, times[k] + 0.5 * WINDOW_S, SHARP_S, SHARP_HOP_S)
    return float(near[int(np.argmax(od_near))]) + LEAD_S if len(od_near) else float(times[k])


def fine_onsets(mono: np.ndarray, sr: int, times: list[float], sigmas: list[float],
                others: list[float] = ()) -> list[float | None]:
    """`fine_onset` of each contact time with its sigma, each searched no further than
    halfway to the nearest of `others` (other subjects' contacts: their steps are not this one's)."""
    mono = np.asarray(mono, np.float32).reshape(-1)
    o = np.sort(np.asarray(list(others), np.float64))

    def within(t: float) -> tuple[float, float]:
        i = int(np.searchsorted(o, t))
        return (0.5 * (t + o[i - 1]) if i > 0 else -np.inf, 0.5 * (t + o[i]) if i < len(o) else np.inf)

    return [fine_onset(mono, int(sr), float(t), float(s), within(float(t))) for t, s in zip(times, sigmas)]


def sound_offset(mono: np.ndarray, sr: int, contacts: list[float], others: list[float] = ()) -> float:
    """s the sound lags the picture's contacts by: the median of each contact's onset found
    as far as MAX_SIGMA_S allows, less the contact (0 with fewer than MIN_FOR_OFFSET found)."""
    found = [f - t for f, t in zip(fine_onsets(mono, sr, contacts, [MAX_SIGMA_S] * len(contacts), others), contacts)
             if f is not None]
    return float(np.median(found)) if len(found) >= MIN_FOR_OFFSET else 0.0


def heard_onsets(mono: np.ndarray, sr: int, contacts: list[float], confidence: list[float] | None = None,
                 others: list[float] = (), offset: float | None = None) -> list[float | None]:
    """The onset of the step heard at each of the picture's `contacts` (s), None where none
    is: first the clip's one offset between picture and sound (`sound_offset`: a late-timed
    landing, a sync offset), then each onset searched around its contact moved by it, as
    far as the contact's `confidence` says (`contact_sigma`). `others`: other subjects'
    contacts in the same guide (see `fine_onsets`); `offset` (s) given: the sound is that much
    after the contacts, not measured (several subjects share one: one walker's offset measured
    alone may lock onto the other's steps)."""
    if not contacts:
        return []
    mono = np.asarray(mono, np.float32).reshape(-1)
    offset = sound_offset(mono, sr, contacts, others) if offset is None else float(offset)
    conf = [None] * len(contacts) if confidence is None else list(confidence)
    return fine_onsets(mono, sr, [t + offset for t in contacts], [contact_sigma(c) for c in conf],
                       [t + offset for t in others])

"""The footsteps of a busy guide track: their transients, and an envelope of the steps alone.

A clip's own sound holds dialogue, music, room tone and traffic with the steps underneath;
its plain RMS follows whatever is loudest. Two measurements pull the steps out:

* Transients (`analyse_guide`): a footstep is an impact, so most of a band rises at once,
  while a syllable or a note lifts a few bins of it. The detector takes the largest band
  rise (70 % of a band's bins, `dsp.spectral.band_rise`) over 21 ms spectra every 5 ms, and
  measures how periodic the newly arrived sound is (`voicing` of the spectral increment: a
  syllable or a note is periodic, an impact is noise). Which transients are steps is decided
  with the picture's foot contacts in `step_fusion`, helped by `contact_evidence`: whether
  the footstep level (below) rises where the feet land, and where exactly. Where sound
  begins after digital silence (a track padded with zeros, an edit) every bin rises: the
  transients within 50 ms of it are dropped (`guide_signal.sound_starts`; not in a clean
  guide, silent between steps); contacts with no sound around them decide nothing.
* The envelope (`footstep_envelope`), given the steps: the footstep's spectral shape is
  learned from what appears at the steps' onsets; frame by frame, the footstep's level is a
  low quantile of the spectrum over that shape (speech and music are sparse in frequency: a
  harmonic or a formant lifts few bins, a broadband step lifts them all; read where the
  shape is within 40 dB of its top), less the level
  the same estimate reads just before the step (what the background leaks through it).
  Bins are kept up to a multiple of that level (louder ones are someone else's), the
  stationary floor (room tone, hum) is removed, a step's level 20 dB under its peak is
  leak, so is a rise more than LATER_RISE_DB above the step's quietest point after its
  first LATER_S (a syllable or a drum hit late in the step's window: the take would hear
  it as a new step; heel-toe doubles fall inside LATER_S), and where the quiet between the
  steps is 25-45 dB below the step (a clean guide) the guide is kept more and more as it
  is (a clean guide entirely: exactly). Outside the steps the envelope is silent. The
  result is the papers' RMS (`dsp.rms.rms_envelope`) of the resynthesised steps, with the
  steps as its `found` steps, and two corrections: each step's strike is measured on 11 ms
  spectra (`step_transient`: a hard step's click read 3-5x low in 43 ms windows), and each
  step is pulled towards the walker's typical step where its reading is unreliable
  (`step_template`).

Long clips: nothing holds the whole clip's spectrum (10 minutes at 48 kHz would be ~2 GB).
The transients are found BLOCK_S at a time (each block reads MARGIN_S more each side, so
the joins change nothing), the stationary floor is read from every 8th frame, and spectra
are computed for the frames a measurement needs (`FootstepGuide.spec`, `power`, `clean`):
the contacts' footstep level a block at a time, each step's window on its own.

Typical cost: ~20 ms per second of 48 kHz audio on two cores (FFTs and partitions).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
from scipy.ndimage import uniform_filter1d
from scipy.signal import find_peaks

from ..core.envelope import ENVELOPE_RATE, Envelope
from ..dsp.rms import align_length, rms_envelope, rms_envelope_fast
from ..dsp.spectral import (band_rise, floor_anchors, floor_at, floor_columns, low_quantile, n_frames, onset_rise,
                            overlap_add, pow2_length, stft_range, voicing, wola_norm)
from .guide_signal import POST_SILENCE_S, guide_mono, sound_starts, sounded
from .step_onset import heard_onsets
from .step_template import pull_to_template
from .step_transient import strike_envelope

__all__ = ["Transient", "FootstepGuide", "ContactEvidence", "analyse_guide", "contact_evidence", "footstep_envelope",
           "footstep_level", "footstep_shape"]

DETECT_S, DETECT_HOP_S = 0.0213, 0.00533  # 1024 / 256 at 48 kHz: onset timing
ISOLATE_S, ISOLATE_HOP_S = 0.0427, 0.00533  # 2048 / 256: frequency resolution for the steps' shape
BANDS = (40.0, 200.0, 2000.0, 8000.0, 16000.0)  # Hz: the detector's bands
MIN_RISE_DB = 2.0  # detector peaks below this are not transients
SHAPE_BINS = 1e-2  # the step's level is read in the bins where its shape is above this fraction of its top ...
EVIDENCE_BINS = 1e-3  # ... and whether a step is heard at a contact over more of them (fewer rise by chance)
QUANTILE = 0.2  # of the spectrum over the footstep shape: robust to sparse speech / music bins
KEEP_MULT = 2.0  # bins are kept up to this multiple of the footstep level
CLEAN_SNR_DB = (25.0, 45.0)  # a step this far above the quiet between steps: keep the guide as it is
PRE_ROLL = 0.012  # s kept before a step's onset
MAX_STEP = 0.6  # s: the longest a step rings
STEP_FLOOR_DB = -20.0  # a step's envelope this far below its peak is the background leaking through
ONSET_BIAS = 0.004  # s: the detector's peak lags the start of an impact by about this much
LEVEL_ONSET_BIAS = 0.007  # s: the same for the steepest rise of the footstep level
REFINE_S = (0.035, 0.035)  # s before / after a contact where its heard onset is looked for ...
REFINE_DB = 6.0  # ... when the footstep level rises at least this much there
HEARD_DB = 3.0  # the footstep level rises this much at a contact where a step is heard
CONTACT_LAG_S = tuple(round(0.02 * k, 2) for k in range(-6, 7))  # s: picture to sound (a camera's: 1-3 frames out)
FAR_MARGIN_DB = 6.0  # dB an offset past FINE_REACH_S must rise by, and beat the best within it by
FINE_REACH_S = 0.045  # s: an offset the onsets' own search finds (`step_onset.sound_offset`); past it, it is told
LAG_MARGIN_DB = 3.0  # ... taken when the level rises this much more there than at the contacts themselves
LATER_S, LATER_RISE_DB = 0.12, 8.0  # after this much of a busy step, nothing in it rises more than this
MATCH_OTHER_S = 0.03  # s: another subject's step this close after one's own onset is the same sound
BLOCK_S = 24.0  # s of audio analysed at a time (a long clip's spectrum is never held whole)
MARGIN_S = 1.0  # s each side of a block that the transient detector also reads (same result at joins)


@dataclass
class Transient:
    """A sudden broadband rise in the guide: a step candidate."""

    time: float  # s
    strength: float  # dB: the second-largest band rise
    voicing: float  # 0..1: how periodic the newly arrived sound is


@dataclass
class FootstepGuide:
    """A guide track (mono), its transients and its stationary floor: what the steps are
    isolated from. Spectra (ISOLATE_S windows) are computed for the frames asked for
    (`power`, `clean`, `spec`), a block at a time: a 10-minute clip never holds its whole
    spectrum (about 2 GB)."""

    audio: np.ndarray  # mono float32
    sr: int
    n_fft: int
    hop: int
    n_samples: int
    transients: list[Transient] = field(default_factory=list)
    floor: tuple[np.ndarray, np.ndarray] = field(default=None, repr=False)  # (centres, values): `floor_anchors`
    total: np.ndarray = field(default=None, repr=False)  # the clean power summed over bins, at `floor_columns`
    _block: tuple[int, np.ndarray] | None = field(default=None, repr=False, compare=False)  # `spec`'s cache

    @property
    def duration(self) -> float:
        return self.n_samples / float(self.sr)

    @property
    def n_frames(self) -> int:
        return n_frames(self.n_samples, self.n_fft, self.hop)

    def frames(self, seconds: float) -> int:
        return max(1, int(round(seconds * self.sr / self.hop)))

    def spec(self, k0: int, k1: int) -> np.ndarray:
        """Complex spectrum (bins, frames k0..k1-1), clipped to the clip's frames; read-only.

        The measurements ask for overlapping stretches in time order (each transient's
        voicing, the contacts' level, each step's window), so the BLOCK_S block they fall in
        is transformed once and kept (one block: ~37 MB at 48 kHz); a stretch across two
        blocks is transformed on its own."""
        k0, k1 = max(0, k0), min(k1, self.n_frames)
        size = max(1, self.frames(BLOCK_S))
        b0 = (k0 // size) * size
        if k1 <= k0 or k1 > b0 + size:
            return stft_range(self.audio, self.n_fft, self.hop, k0, k1)
        if self._block is None or self._block[0] != b0:
            block = stft_range(self.audio, self.n_fft, self.hop, b0, min(b0 + size, self.n_frames))
            block.setflags(write=False)
            self._block = (b0, block)
        return self._block[1][:, k0 - b0:k1 - b0]

    def power(self, k0: int, k1: int, spec: np.ndarray | None = None) -> np.ndarray:
        """|spec|^2 (+ a tiny floor) of frames k0..k1-1 (clipped to the clip)."""
        spec = self.spec(k0, k1) if spec is None else spec
        return (np.abs(spec) ** 2).astype(np.float32) + np.float32(1e-20)

    def clean(self, k0: int, k1: int, power: np.ndarray | None = None) -> np.ndarray:
        """The power less the stationary floor (room tone, hum) of frames k0..k1-1."""
        k0, k1 = max(0, k0), min(k1, self.n_frames)
        p = self.power(k0, k1) if power is None else power
        if self.floor is None or p.shape[1] == 0:
            return p
        return np.maximum(p - floor_at(*self.floor, np.arange(k0, k1)), 0.0).astype(np.float32)

    def blocks(self, k0: int = 0, k1: int | None = None) -> Iterator[tuple[int, int]]:
        """(k0, k1) frame blocks of BLOCK_S covering [k0, k1)."""
        k1 = self.n_frames if k1 is None else min(k1, self.n_frames)
        step = max(1, self.frames(BLOCK_S))
        for a in range(max(0, k0), k1, step):
            yield a, min(k1, a + step)


@dataclass
class ContactEvidence:
    """What the guide says at the picture's foot contacts, and its footstep level to probe."""

    times: list[float]  # where the footstep heard near each contact starts (the contact when unclear)
    rise_db: list[float]  # footstep level after vs before each contact
    has_footsteps: bool  # the footstep level rises at the contacts (not all speech or music)
    level: np.ndarray = field(default_factory=lambda: np.zeros(0))  # footstep level per frame
    frame_s: float = 0.0  # seconds per frame of `level`
    lag: float = 0.0  # s the picture's contacts are after the sound (CONTACT_LAG_S): < 0, the sound is late

    def rise_at(self, t: float) -> float:
        """dB: the footstep level in the 40 ms after `t` over the 40 ms before (10 ms back)."""
        if len(self.level) == 0 or self.frame_s <= 0:
            return 0.0
        f = lambda s: int(np.clip(round(s / self.frame_s), 0, len(self.level) - 1))  # noqa: E731
        after = self.level[f(t):f(t + 0.04) + 1].mean()
        before = self.level[f(t - 0.05):max(f(t - 0.01), f(t - 0.05) + 1)].mean()
        return float(np.clip(10.0 * np.log10((after + 1e-30) / (before + 1e-30)), -60.0, 60.0))

    def onset_near(self, t: float, before: float, after: float) -> float:
        """Where the footstep level rises most steeply in [t - before, t + after]."""
        if len(self.level) < 5 or self.frame_s <= 0:
            return t
        db = 10.0 * np.log10(self.level + 1e-4 * float(self.level.max()) + 1e-30)
        ks = np.arange(max(2, int(round((t - before) / self.frame_s))),
                       min(len(db) - 2, int(round((t + after) / self.frame_s)) + 1))
        if len(ks) == 0:
            return t
        return float(ks[np.argmax(db[ks + 2] - db[ks - 2])] * self.frame_s + LEVEL_ONSET_BIAS)


def analyse_guide(audio: np.ndarray, sr: int) -> FootstepGuide:
    """Transients and stationary floor of a guide track ((C, N) or (N,) float at `sr`),
    a block of BLOCK_S at a time (the detector reads MARGIN_S more each side: the transients
    are the ones a whole-clip analysis finds)."""
    mono = np.ascontiguousarray(guide_mono(audio))
    n_fft, hop = pow2_length(ISOLATE_S, sr), max(1, int(round(ISOLATE_HOP_S * sr)))
    guide = FootstepGuide(mono, int(sr), n_fft, hop, len(mono))
    total_frames = guide.n_frames
    cols = floor_columns(total_frames)
    step = int(cols[1] - cols[0]) if len(cols) > 1 else 1
    chunks = [(int(cols[i]), int(cols[min(len(cols), i + 512) - 1]) + 1) for i in range(0, len(cols), 512)]
    sketch = np.concatenate([(np.abs(stft_range(mono, n_fft, hop, a, b, step)) ** 2).astype(np.float32)
                             + np.float32(1e-20) for a, b in chunks], axis=1)  # the floor's frames, a block at a time
    guide.floor = floor_anchors(sketch, total_frames)
    guide.total = np.maximum(sketch - floor_at(*guide.floor, cols), 0.0).sum(axis=0)  # at `floor_columns`
    if len(mono) < n_fft or not np.any(mono):
        return guide
    d_fft, d_hop = pow2_length(DETECT_S, sr), max(1, int(round(DETECT_HOP_S * sr)))
    d_total = n_frames(len(mono), d_fft, d_hop)
    freqs = np.fft.rfftfreq(d_fft, 1.0 / sr)
    edges = tuple(min(e, 0.95 * sr / 2) for e in BANDS)
    block, margin = max(1, int(round(BLOCK_S * sr / d_hop))), int(round(MARGIN_S * sr / d_hop))
    for k0 in range(0, d_total, block):
        k1 = min(d_total, k0 + block)
        m0 = max(0, k0 - margin)
        power = np.abs(stft_range(mono, d_fft, d_hop, m0, min(d_total, k1 + margin))) ** 2
        rise = onset_rise(power, max(1, int(round(0.02 * sr / d_hop))))  # rise above the last 20 ms
        od = uniform_filter1d(band_rise(rise, freqs, edges, rank=1, quantile=0.7), 3)
        peaks, props = find_peaks(od, height=MIN_RISE_DB, distance=max(1, int(round(0.04 * sr / d_hop))))
        core = (peaks + m0 >= k0) & (peaks + m0 < k1)
        times = (peaks[core] + m0) * (d_hop / sr) - ONSET_BIAS
        guide.transients += [Transient(float(max(t, 0.0)), float(h), 0.0)
                             for t, h in zip(times, props["peak_heights"][core])]
    starts = sound_starts(mono, sr)  # a sound track (re)starting after digital silence: the cut is no impact
    cut = np.searchsorted(starts, [t.time + DETECT_S for t in guide.transients]) - 1
    guide.transients = [t for t, i in zip(guide.transients, cut) if i < 0 or t.time - starts[i] > POST_SILENCE_S]
    voiced = _increment_voicing(guide, np.array([t.time for t in guide.transients]))
    for t, v in zip(guide.transients, voiced):
        t.voicing = float(v)
    return guide


def _increment_voicing(guide: FootstepGuide, times: np.ndarray) -> np.ndarray:
    """How periodic the sound that arrived at each time is (voicing of after - before, <4 kHz)."""
    if len(times) == 0:
        return np.zeros(0)
    k = max(8, int(4000.0 * guide.n_fft / guide.sr))
    look = guide.frames(0.03)
    cols = []
    for t in times:
        i = int(round(t * guide.sr / guide.hop))
        lo = max(0, i - look)
        p = guide.power(lo, i + 1 + look)[:k]
        after = p[:, i + 1 - lo:]
        before = p[:, :max(1, i - 1) - lo]
        cols.append(np.maximum((after.mean(axis=1) if after.shape[1] else 0.0) - before.mean(axis=1), 0.0))
    return voicing(np.stack(cols, axis=1), int(guide.sr * 2 * (k - 1) / guide.n_fft))


# ----------------------------------------------------------------------------- the footstep level

def _onset_increment(guide: FootstepGuide, t: float) -> tuple[np.ndarray, np.ndarray]:
    """(what appears in the 40 ms after `t`, what was there in the 30 ms before), per bin."""
    s = int(round(t * guide.sr / guide.hop))
    lo = max(0, s - guide.frames(0.03))
    c = guide.clean(lo, s + guide.frames(0.04))
    after, before = c[:, max(0, s) - lo:], c[:, :max(0, s) - lo]
    zero = np.zeros(guide.n_fft // 2 + 1, np.float32)
    a = after.mean(axis=1) if after.shape[1] else zero
    b = before.mean(axis=1) if before.shape[1] else zero
    return np.maximum(a - b, 0.0), b


def footstep_shape(guide: FootstepGuide, onsets: list[float]) -> np.ndarray:
    """The footstep's spectral shape (per bin, sums to ~1): what appears at the onsets."""
    shape = np.zeros(guide.n_fft // 2 + 1)
    for t in onsets:
        inc, _ = _onset_increment(guide, t)
        shape += inc / (inc.sum() + 1e-20)
    return uniform_filter1d(shape / max(len(onsets), 1), 9) + 1e-20


def _shape_bins(guide: FootstepGuide, shape: np.ndarray, top: float = SHAPE_BINS) -> np.ndarray:
    freqs = np.fft.rfftfreq(guide.n_fft, 1.0 / guide.sr)
    return (shape > top * shape.max()) & (freqs > 40.0) & (freqs < 16000.0)


def footstep_level(guide: FootstepGuide, shape: np.ndarray, cols: np.ndarray | None = None,
                   clean: np.ndarray | None = None, top: float = SHAPE_BINS) -> np.ndarray:
    """Per frame (or at `cols`, or of the frames of `clean` given): the footstep's level, a low
    quantile of the spectrum over the footstep's shape (a harmonic or a formant lifts few
    bins, a step lifts them all). The whole clip is measured a block at a time."""
    use = _shape_bins(guide, shape, top)
    if clean is not None:
        if not use.any() or clean.shape[1] == 0:
            return np.zeros(clean.shape[1])
        return low_quantile(clean[use] / shape[use, None], QUANTILE) / -np.log(1.0 - QUANTILE)
    cols = np.arange(guide.n_frames) if cols is None else np.asarray(cols, np.int64)
    out = np.zeros(len(cols))
    if not use.any() or len(cols) == 0:
        return out
    order = np.argsort(cols, kind="stable")
    sc = cols[order]
    for a, b in guide.blocks(int(sc[0]), int(sc[-1]) + 1):
        i, j = np.searchsorted(sc, [a, b])
        if j > i:
            out[order[i:j]] = footstep_level(guide, shape, clean=guide.clean(a, b)[:, sc[i:j] - a], top=top)
    return out


def contact_evidence(guide: FootstepGuide, contacts: list[float], lag: float | None = None,
                     _decided: bool = False, confidence: list[float] | None = None,
                     others: list[float] = (), fine: bool = True, far: bool = True) -> ContactEvidence:
    """Where the step heard near each foot contact starts, and whether the guide holds steps.

    The footstep level is measured over the shape of what appears at the contacts: at real
    footsteps it rises, at contacts over speech or music alone it does not (by chance). A
    contact's step is timed where the level rises most steeply within REFINE_S of it, when
    it rises by REFINE_DB or more, else at the contact. Picture and sound may be a frame or
    two apart (a late-timed landing, a sync offset): one offset for all the contacts is
    found (taken when it beats none by LAG_MARGIN_DB), and the shape is measured again
    there. `lag` given: that offset, no search (several subjects share one: `jobs.footstep_guides`).
    Each step's time is then its onset on 11 ms spectra, searched as far around the contact
    as the picture is unsure of it (`confidence`, per contact; `step_onset`), never past
    halfway to another subject's contact (`others`); `fine` False: at the level's onsets.
    Only contacts with sound around them (`guide_signal.sounded`; all if none has) shape the
    level and decide the offset and whether steps are heard (a short or late track is not mute)."""
    if not contacts or guide.n_frames < 4:
        return ContactEvidence(list(contacts), [0.0] * len(contacts), False)
    heard_at = [c - (lag or 0.0) for c in contacts]
    live = sounded(guide.audio, guide.sr, heard_at)  # contacts off the guide's end or in its silence say nothing
    live = live if live.any() else np.ones(len(contacts), bool)
    shape = footstep_shape(guide, [h for h, on in zip(heard_at, live) if on])
    ev = ContactEvidence([], [], False, footstep_level(guide, shape, top=EVIDENCE_BINS), guide.hop / guide.sr,
                         float(lag or 0.0))
    at_contacts = []
    for c in heard_at:
        onset = ev.onset_near(c, *REFINE_S)  # a contact may be a frame off the heard onset
        at_contacts.append([ev.rise_at(c - d) for d in CONTACT_LAG_S])
        rise = max(ev.rise_at(c), ev.rise_at(onset - LEVEL_ONSET_BIAS))
        ev.times.append(float(onset if rise >= REFINE_DB else c))
        ev.rise_db.append(rise)
    by_lag = np.median(np.asarray(at_contacts)[live], axis=0)
    zero, pick = CONTACT_LAG_S.index(0.0), _pick_lag(by_lag, far)  # `far` False: within FINE_REACH_S
    if lag is not None:  # the offset is known (given, or found by the first pass): no search
        ev.has_footsteps = _decided or bool(by_lag[pick] >= HEARD_DB)
        if not fine:
            return ev
        if _decided and abs(lag) > FINE_REACH_S:  # past the fine search's own reach: it starts where heard
            return _at_fine_onsets(guide, ev, heard_at, confidence, [o - lag for o in others], None)
        return _at_fine_onsets(guide, ev, contacts, confidence, others, None if _decided else -lag)
    # at the contacts themselves, no search per contact (no luck): one offset for them all,
    # taken only when it is clearly better than none (a near tie moved every step 40 ms)
    ev.has_footsteps = bool(by_lag[pick] >= HEARD_DB)
    best = CONTACT_LAG_S[pick]
    if ev.has_footsteps and best != 0.0 and by_lag[pick] - by_lag[zero] >= LAG_MARGIN_DB:
        return contact_evidence(guide, contacts, best, True, confidence, others, fine)  # the first pass decided
    return _at_fine_onsets(guide, ev, contacts, confidence, others, None) if fine else ev


def _pick_lag(by_lag: np.ndarray, far: bool = True) -> int:
    """The offset the level rises most at: within FINE_REACH_S, unless one further out rises by
    FAR_MARGIN_DB and that much more (by chance: in-sync busy guides' by < 1 dB, guides with no
    steps' by up to 6; a sound 2-3 frames out, mostly by 6-50 dB; 24 seeds each)."""
    near = np.abs(np.asarray(CONTACT_LAG_S)) <= FINE_REACH_S
    j, jn = int(np.argmax(by_lag)), int(np.flatnonzero(near)[np.argmax(by_lag[near])])
    return j if far and min(by_lag[j] - by_lag[jn], by_lag[j]) >= FAR_MARGIN_DB else jn


def _at_fine_onsets(guide: FootstepGuide, ev: ContactEvidence, contacts: list[float],
                    confidence: list[float] | None, others: list[float], offset: float | None) -> ContactEvidence:
    """`ev` with each contact's time at its step's onset (`step_onset.heard_onsets`) where one is found."""
    fine = heard_onsets(guide.audio, guide.sr, contacts, confidence, others, offset)
    ev.times = [float(f) if f is not None else t for f, t in zip(fine, ev.times)]
    return ev


# ----------------------------------------------------------------------------- the envelope

def footstep_envelope(guide: FootstepGuide, steps: list[float], duration: float | None = None,
                      origin: str = "audio", others: list[float] | None = None) -> Envelope:
    """The envelope of the footsteps alone (`found` = `steps`: the analysis' steps, which the
    designer's own `events` would override), see the module docstring. The masked spectrum
    is resynthesised step by step (overlap-add): nothing outside the steps is kept.
    `others`: the steps of other people heard in the same guide; a step's window ends where
    the next of them starts (their steps are not this subject's)."""
    seconds = guide.duration if duration is None else float(duration)
    n_env = int(round(seconds * ENVELOPE_RATE)) + 1
    steps = sorted(float(t) for t in steps if 0.0 <= t < seconds)
    if not steps or guide.n_frames < 2:
        return Envelope(np.zeros(n_env, np.float32), ENVELOPE_RATE, None, origin, steps)
    pad = guide.n_fft // 2
    out = np.zeros(guide.n_samples + 2 * guide.n_fft + guide.hop, np.float32)
    clean = _masked_steps(guide, steps, out, others or [])
    if min(clean) >= 0.99:  # a clean guide (nothing but the steps): kept exactly as it is
        values = np.clip(align_length(rms_envelope(guide.audio, guide.sr), n_env), 0.0, 1.0)
        return Envelope(values.astype(np.float32), ENVELOPE_RATE, None, origin, steps)
    norm = wola_norm(guide.n_frames, guide.n_fft, guide.hop)
    y = out[pad:pad + guide.n_samples]
    y /= np.maximum(norm[pad:pad + guide.n_samples], 1e-8)
    del norm
    values = _gate_steps(np.clip(align_length(rms_envelope(y, guide.sr), n_env), 0.0, 1.0), steps, clean)
    values = np.maximum(values, np.clip(strike_envelope(guide.audio, guide.sr, steps, n_env), 0.0, 1.0))
    later = np.sort(np.asarray(list(others or []), np.float64))
    ends = [min(nxt, _next_other(later, t, seconds)) for t, nxt in zip(steps, steps[1:] + [seconds])]
    values = np.clip(pull_to_template(values, steps, ends, rms_envelope_fast(guide.audio, guide.sr, n_env)), 0.0, 1.0)
    return Envelope(values.astype(np.float32), ENVELOPE_RATE, None, origin, steps)


def _next_other(others: np.ndarray, t: float, default: float) -> float:
    """The first of `others`' onsets (sorted) after the step at `t` (within MATCH_OTHER_S
    after it: the same sound, not the next)."""
    i = int(np.searchsorted(others, t + MATCH_OTHER_S, side="right"))
    return float(others[i]) if i < len(others) else default


def _gate_steps(values: np.ndarray, steps: list[float], clean: list[float],
                rate: float = ENVELOPE_RATE) -> np.ndarray:
    """In a busy guide, a step's envelope below STEP_FLOOR_DB of its peak, or rising more than
    LATER_RISE_DB above its quietest point after LATER_S, is the background leaking through
    the mask, not step (a clean step, `clean` 1, keeps its tail); the long windows' smear
    before an onset is cut back to what rang there before it."""
    out = np.asarray(values, np.float64).copy()
    edges = [int(round(t * rate)) for t in steps] + [len(out)]
    for k in range(len(steps)):
        a, b = max(0, edges[k]), min(len(out), edges[k + 1])
        if b <= a:
            continue
        seg = out[a:b]
        seg[seg < (1.0 - clean[k]) * seg.max() * 10.0 ** (STEP_FLOOR_DB / 20.0)] = 0.0
        head = int(round(LATER_S * rate))
        if clean[k] < 1.0 and len(seg) > head:  # later rises in a busy step are the background's
            later = seg[head:]
            capped = np.minimum(later, np.minimum.accumulate(np.maximum(later, 1e-12)) * 10.0 ** (LATER_RISE_DB / 20.0))
            later[:] = clean[k] * later + (1.0 - clean[k]) * capped
        pre = max(0, a - int(round(PRE_ROLL * rate)))
        if k == 0 or pre >= edges[k - 1]:
            out[pre:a] = np.minimum(out[pre:a], out[pre])
    return out


def _windows(guide: FootstepGuide, steps: list[float], others: list[float] = ()) -> list[tuple[int, int]]:
    """Frame ranges of the steps: from just before each onset to the next step, own or
    `others`' (or MAX_STEP)."""
    total = guide.n_frames
    later = np.sort(np.asarray(list(others), np.float64))
    out = []
    for k, t in enumerate(steps):
        end = min(steps[k + 1] - 0.005 if k + 1 < len(steps) else np.inf, t + MAX_STEP)
        end = min(end, _next_other(later, t, np.inf) - PRE_ROLL)
        a = int(np.clip(np.ceil((t - PRE_ROLL) * guide.sr / guide.hop), 0, total))
        b = int(np.clip(np.ceil(end * guide.sr / guide.hop), a, total))
        out.append((a, b))
    return out


def _masked_steps(guide: FootstepGuide, steps: list[float], out: np.ndarray,
                  others: list[float] = ()) -> list[float]:
    """Add the footsteps' part of the guide, step by step, into `out` (`overlap_add`'s padded
    signal), and say how clean each step is (0: busy, the quantile estimate; 1: clean, the
    guide as it is). A frame shared by two steps' windows belongs to the later step."""
    windows = _windows(guide, steps, others)
    pre, around = guide.frames(0.03), guide.frames(1.5)
    incs = [_onset_increment(guide, t)[0] for t in steps]
    shape = uniform_filter1d(np.mean([i / (i.sum() + 1e-20) for i in incs], axis=0), 9) + 1e-20  # `footstep_shape`
    cols = floor_columns(guide.n_frames)
    cleanness = [0.0] * len(steps)

    def measured(k: int):  # (first frame, spectrum, power, clean, footstep level) of step k's window
        a, b = windows[k]
        lo = max(0, a - pre)
        spec = guide.spec(lo, b)
        power = guide.power(lo, b, spec)
        clean = guide.clean(lo, b, power)
        return lo, spec, power, clean, footstep_level(guide, shape, clean=clean)

    ahead = measured(0)
    for k, ((a, b), t) in enumerate(zip(windows, steps)):
        lo, spec, power, clean, level = ahead
        nxt = windows[k + 1][0] if k + 1 < len(windows) else None
        ahead = measured(k + 1) if nxt is not None else None
        if b <= a:
            continue
        b_own = min(b, nxt) if nxt is not None else b
        leak0 = float(np.median(level[:a - lo])) if a > 0 else 0.0
        leak1 = float(np.median(ahead[4][:nxt - ahead[0]])) if nxt and nxt > ahead[0] else leak0
        p, c = power[:, a - lo:], clean[:, a - lo:]
        step = np.maximum(level[a - lo:] - np.interp(np.arange(a, b), [a, b], [leak0, leak1]), 0.0)
        keep = np.minimum(c, KEEP_MULT * step[None, :] * shape[:, None])
        keep /= p * (1.0 - np.exp(-KEEP_MULT))
        s = int(round(t * guide.sr / guide.hop))
        near = (cols >= s - around) & (cols < s + around)
        quiet = np.percentile(guide.total[near], 15) if near.any() else 0.0  # the background between steps
        snr = 10.0 * np.log10((incs[k].sum() + 1e-20) / (quiet + 1e-20))
        w = float(np.clip((snr - CLEAN_SNR_DB[0]) / (CLEAN_SNR_DB[1] - CLEAN_SNR_DB[0]), 0.0, 1.0))
        mask = w * c / p + (1.0 - w) * np.minimum(keep, 1.0)
        overlap_add((spec[:, a - lo:b_own - lo] * np.sqrt(mask[:, :b_own - a])), a, guide.n_fft, guide.hop, out)
        cleanness[k] = w
    return cleanness


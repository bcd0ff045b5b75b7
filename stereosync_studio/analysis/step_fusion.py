"""Which guide transients are footsteps: the audio's transients fused with the picture's contacts.

The picture knows when a foot lands (`steps_video`, to a frame or so); the guide knows
exactly when an impact is heard, but hears syllables, notes and the inner transients of one
step (heel then toe, a scuff, a crunch) too. The rules, one footstep one event:

* a foot contact where the guide's footstep level rises is a heard step, timed at its onset
  on 11 ms spectra near the contact (`footstep_guide.contact_evidence`, `step_onset`);
* a contact with no audible step still makes a step, at the contact (masked by speech);
* where the walk's rhythm has a hole in the contacts (the picture missed a foot), a clear
  rise of the footstep level near the expected time is a heard step;
* a transient with no contact is rejected unless confident: a strong, unvoiced impact that
  falls where the walk's rhythm misses a step, or anywhere the picture cannot see the feet;
* a transient inside a step (after it by less than STEP_SPAN of the step interval) is part of it.

Without a picture (`contacts=None`: a performed envelope, `--envelope audio`) the strong,
unvoiced transients are steps, one per STEP_GAP. When the footstep level does not rise at
the contacts, the guide holds no footsteps (all speech or music): the report says so and
the steps are the picture's. Every rejected transient keeps its reason for the Studio.
"""

from __future__ import annotations

import numpy as np

from ..core.guide import GuideReport, GuideStep, RejectedTransient
from .footstep_guide import CONTACT_LAG_S, HEARD_DB, LEVEL_ONSET_BIAS, REFINE_DB, ContactEvidence, Transient

__all__ = ["fuse_steps", "summary", "MATCH_S", "NO_CONTACT", "INSIDE_STEP", "VOICED", "TOO_WEAK"]

MATCH_S = 0.07  # s: a transient this close to a contact is that step
SYNC_NOTE_S = 0.06  # s: a sound this far off the picture's contacts is said to be (out of sync?)
STEP_GAP = 0.2  # s: no two steps closer (faster than any run)
STEP_SPAN = 0.55  # of the step interval: a transient this soon after a step is inside it
MIN_STRENGTH = 3.0  # dB: weaker transients are not heard as steps
CONFIDENT = 9.0  # dB: a transient without a contact is a step only this strong ...
MAX_VOICING = 0.45  # ... and this unvoiced (a syllable or a note is periodic)

NO_CONTACT = "no foot contact in the picture"
INSIDE_STEP = "inside a step (heel-toe, scuff or crunch)"
VOICED = "voiced (speech or music)"
TOO_WEAK = "too weak to be a step"


def fuse_steps(transients: list[Transient], contacts: list[tuple[float, float]] | None, duration: float,
               evidence: ContactEvidence | None = None, seen: list[tuple[float, float]] | None = None,
               reject_voiced: bool = True) -> GuideReport:
    """The guide's footsteps and rejected transients (see the module docstring).

    `contacts`: (time, confidence) of the picture's foot contacts, None without a picture;
    `evidence`: what the guide's footstep level says at those contacts
    (`footstep_guide.contact_evidence`; without it, the nearest transient decides); `seen`:
    time spans where the subject's feet are in the picture (default: the whole clip);
    `reject_voiced`: False for a performed envelope, where a voice is the performer."""
    cands = sorted((t for t in transients if 0.0 <= t.time < duration), key=lambda t: t.time)
    if contacts is None:
        return _audio_only(cands, reject_voiced)
    contacts = sorted((float(t), float(c)) for t, c in contacts if 0.0 <= t < duration)
    seen = [(0.0, duration)] if seen is None else seen
    if evidence is None or len(evidence.times) != len(contacts):
        evidence = _nearest_transients(cands, [t for t, _ in contacts])
    if contacts and not evidence.has_footsteps:
        rejected = [RejectedTransient(c.time, c.strength, VOICED if c.voicing >= MAX_VOICING else NO_CONTACT)
                    for c in cands]
        picture = [GuideStep(t, round(0.5 * c, 3), "picture") for t, c in contacts]
        return GuideReport(picture, rejected, "the guide track holds no footsteps (speech or music only: the "
                                              "footstep level does not rise where the feet land, nor up to "
                                              f"{max(abs(x) for x in CONTACT_LAG_S) * 1000:.0f} ms before or "
                                              "after: or is the sound further out of sync?); the steps come "
                                              "from the picture", has_footsteps=False)
    steps = _merge([GuideStep(t, round(0.5 + 0.5 * c, 3), "audio+picture") if rise >= HEARD_DB else
                    GuideStep(t, round(0.5 * c, 3), "picture")
                    for (_, c), t, rise in zip(contacts, evidence.times, evidence.rise_db)])
    interval = _interval([s.time for s in steps])
    steps = _heard_near_seen(steps, evidence, interval, cands)
    steps = _merge(steps + _missed_by_picture(steps, evidence, interval, duration))
    rejected: list[RejectedTransient] = []
    for c in cands:
        times = np.array([s.time for s in steps])
        if len(times) and float(np.min(np.abs(times - c.time))) <= MATCH_S / 2:
            continue  # the step's own transient
        reason = _rejection(c, times, interval, seen, reject_voiced)
        if reason is None:
            steps = _merge(steps + [GuideStep(c.time, round(min(1.0, c.strength / 18.0), 3), "audio")])
        else:
            rejected.append(RejectedTransient(c.time, c.strength, reason))
    return GuideReport(steps, rejected, summary(steps, rejected) + _sync_note(evidence.lag))


def _sync_note(lag: float) -> str:
    """A word on the sound's sync when its steps are SYNC_NOTE_S or more off the picture's
    contacts (the steps stay where they are heard: the take is as in sync as the guide)."""
    if abs(lag) < SYNC_NOTE_S - 1e-9:
        return ""
    return (f"; the steps are heard {abs(lag) * 1000:.0f} ms {'after' if lag < 0 else 'before'} the feet land "
            "in the picture: is the sound in sync? (the takes follow the sound)")


def _heard_near_seen(steps: list[GuideStep], evidence: ContactEvidence, interval: float,
                     cands: list[Transient]) -> list[GuideStep]:
    """A step seen in the picture but not heard at its contact takes the heard step near it
    (within a quarter of the walk's interval, nearer to it than to any other step, on a
    confident, unvoiced transient: never a syllable or a note): the picture can time a foot
    pivoting at a turn a good 100 ms off its landing."""
    if len(evidence.level) == 0 or len(steps) < 2:
        return steps
    times = np.array([s.time for s in steps])
    out = []
    for k, st in enumerate(steps):
        if st.source == "picture":
            onset = evidence.onset_near(st.time, 0.25 * interval, 0.25 * interval)
            others = np.delete(times, k)
            sure = any(abs(c.time - onset) <= MATCH_S / 2 and c.strength >= CONFIDENT and c.voicing < MAX_VOICING
                       for c in cands)
            if sure and evidence.rise_at(onset - LEVEL_ONSET_BIAS) >= REFINE_DB and \
                    float(np.min(np.abs(others - onset))) > max(STEP_GAP, abs(onset - st.time)):
                st = GuideStep(onset, round(min(1.0, st.confidence + 0.5), 3), "audio+picture")
        out.append(st)
    return out


def _missed_by_picture(steps: list[GuideStep], evidence: ContactEvidence, interval: float,
                       duration: float) -> list[GuideStep]:
    """Heard steps where the walk's rhythm has a hole in the picture's contacts: in a gap of
    two or more intervals (and one interval before the first, after the last), where the
    footstep level rises by REFINE_DB or more near the expected time."""
    times = [s.time for s in steps]
    if len(times) < 2 or len(evidence.level) == 0:
        return []
    expected = [times[0] - interval, times[-1] + interval]
    for a, b in zip(times, times[1:]):
        m = int(round((b - a) / interval)) - 1
        if b - a >= 1.6 * interval:
            expected += [a + j * (b - a) / (m + 1) for j in range(1, m + 1)]
    found = []
    for t in expected:
        if not 0.0 <= t < duration:
            continue
        onset = evidence.onset_near(t, 0.2 * interval, 0.2 * interval)
        if evidence.rise_at(onset - LEVEL_ONSET_BIAS) >= REFINE_DB and min(abs(onset - x) for x in times) > STEP_GAP:
            found.append(GuideStep(onset, 0.5, "audio"))
    return found


def _nearest_transients(cands: list[Transient], contacts: list[float]) -> ContactEvidence:
    """Evidence from the transients alone: the nearest strong one within MATCH_S of each contact."""
    times, rises = [], []
    for t in contacts:
        near = [c for c in cands if abs(c.time - t) <= MATCH_S and c.strength >= MIN_STRENGTH]
        best = min(near, key=lambda c: abs(c.time - t)) if near else None
        times.append(best.time if best else t)
        rises.append(best.strength if best else 0.0)
    heard = sum(r >= HEARD_DB for r in rises)
    return ContactEvidence(times, rises, not contacts or heard >= 0.3 * len(contacts))


def _rejection(c: Transient, steps: np.ndarray, interval: float, seen: list[tuple[float, float]],
               reject_voiced: bool) -> str | None:
    """Why an unmatched transient is no step (None: it is one)."""
    if c.strength < MIN_STRENGTH:
        return TOO_WEAK
    if reject_voiced and c.voicing >= MAX_VOICING:  # a syllable or a note, wherever it falls
        return VOICED
    gap = float(np.min(np.abs(steps - c.time))) if len(steps) else np.inf
    since = c.time - float(steps[steps <= c.time].max()) if np.any(steps <= c.time) else np.inf
    if since < max(STEP_GAP, STEP_SPAN * interval) or gap < STEP_GAP:
        return INSIDE_STEP
    visible = any(a <= c.time <= b for a, b in seen)
    if not visible:
        return None if c.strength >= MIN_STRENGTH + 3.0 else TOO_WEAK
    if c.strength < CONFIDENT:
        return NO_CONTACT
    before = steps[steps < c.time]
    after = steps[steps > c.time]
    if len(before) and len(after):  # a step the picture missed sits in a gap of about two steps
        missing = after[0] - before[-1] >= 1.6 * interval
    else:
        missing = gap >= 0.8 * interval
    return None if missing else NO_CONTACT


def _audio_only(cands: list[Transient], reject_voiced: bool) -> GuideReport:
    """Steps from the audio alone: strong unvoiced transients, the first of each step."""
    steps: list[GuideStep] = []
    rejected: list[RejectedTransient] = []
    strong = [c.strength for c in cands if c.strength >= MIN_STRENGTH]
    floor = max(MIN_STRENGTH + 1.0, 0.35 * float(np.percentile(strong, 90))) if strong else MIN_STRENGTH
    for c in cands:
        reason = None
        if c.strength < floor:
            reason = TOO_WEAK
        elif steps and c.time - steps[-1].time < STEP_GAP:
            reason = INSIDE_STEP
        elif reject_voiced and c.voicing >= MAX_VOICING:
            reason = VOICED
        if reason is None:
            steps.append(GuideStep(c.time, round(min(1.0, c.strength / 18.0), 3), "audio"))
        else:
            rejected.append(RejectedTransient(c.time, c.strength, reason))
    return GuideReport(steps, rejected, summary(steps, rejected))


def _interval(times: list[float]) -> float:
    """The walk's step interval: the period whose whole multiples best explain the spacings
    (a missed step leaves a gap of two intervals, so the median spacing can be twice the
    interval); 0.5 s when unknown."""
    d = np.diff(sorted(times))
    d = d[(d > STEP_GAP) & (d < 3.0)]
    if len(d) == 0:
        return 0.5
    periods = np.arange(STEP_GAP + 0.05, min(1.5, float(d.max())) + 0.005, 0.005)
    if len(periods) == 0:
        return float(np.median(d))
    k = np.maximum(np.round(d[None, :] / periods[:, None]), 1.0)
    misfit = np.abs(d[None, :] / periods[:, None] - k).mean(axis=1)
    cost = misfit + 0.04 * (k - 1.0).mean(axis=1)  # a shorter period explains more, but calls steps missing
    return float(periods[int(np.argmin(cost))])


def _merge(steps: list[GuideStep]) -> list[GuideStep]:
    """Sorted, with steps closer than STEP_GAP merged (the heard one, else the surer one, stays)."""
    rank = {"audio+picture": 2, "audio": 1, "picture": 0}
    out: list[GuideStep] = []
    for s in sorted(steps, key=lambda s: s.time):
        if out and s.time - out[-1].time < STEP_GAP:
            if (rank[s.source], s.confidence) > (rank[out[-1].source], out[-1].confidence):
                out[-1] = s
            continue
        out.append(s)
    return out


def summary(steps: list[GuideStep], rejected: list[RejectedTransient]) -> str:
    """The report's message: steps by how they were known, rejected transients by reason."""
    by_source = {k: sum(s.source == k for s in steps) for k in ("audio+picture", "picture", "audio")}
    reasons: dict[str, int] = {}
    for r in rejected:
        reasons[r.reason] = reasons.get(r.reason, 0) + 1
    parts = [f"{len(steps)} footsteps ({by_source['audio+picture']} heard and seen, {by_source['picture']} seen "
             f"only, {by_source['audio']} heard only)"]
    if rejected:
        parts.append(f"{len(rejected)} transients rejected (" +
                     ", ".join(f"{n} {why}" for why, n in sorted(reasons.items(), key=lambda kv: -kv[1])) + ")")
    return "; ".join(parts)

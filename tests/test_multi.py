"""Several subjects: every walker found and tracked, one Source (envelope, trajectory, stem) each."""

from __future__ import annotations

import numpy as np
import pytest

from stereosync_studio.analysis.detect import iou
from stereosync_studio.analysis.multi import merge_tracks, split_track, track_all
from stereosync_studio.jobs.subjects import analyze_multi, delete_source, merge_sources, split_source
from stereosync_studio.core.errors import InputError
from stereosync_studio.core.progress import CancelToken, null_progress
from stereosync_studio.core.project import Project, Reference
from stereosync_studio.core.track import Track
from stereosync_studio.metrics.onsets import onset_f1
from tests.walker import cached_walker_clip

DUR = 4.0


def _mean_iou(track: Track, truth_boxes: np.ndarray) -> float:
    vals = [iou(a, b) for a, b in zip(track.boxes, truth_boxes) if np.isfinite(a[0]) and np.isfinite(b[0])]
    return float(np.mean(vals)) if vals else 0.0


@pytest.fixture(scope="module")
def two(cache_dir, tmp_path_factory):
    truth = cached_walker_clip(cache_dir, scenario="two", duration=DUR)
    project = analyze_multi(truth.path, max_subjects=4, models_dir=tmp_path_factory.mktemp("no_models"))
    return truth, project


def _owner(source, truth) -> tuple[int, float]:
    m = [_mean_iou(source.track, b) for b in truth.boxes_per_walker]
    return int(np.argmax(m)), max(m)


def test_every_walker_gets_its_own_source(two):
    truth, project = two
    assert [s.name for s in project.sources] == ["subject1", "subject2"]
    owners = [_owner(s, truth) for s in project.sources]
    assert sorted(w for w, _ in owners) == [0, 1]  # one source per walker, none twice
    assert all(m > 0.7 for _, m in owners), owners
    for s in project.sources:
        assert np.isfinite(s.track.boxes[:, 0]).mean() > 0.95  # followed through the crossing
        assert s.envelope.origin == "audio" and len(s.trajectory) == truth.n_frames  # its steps in the guide
        assert {"box_h", "box_area", "box_var", "box_lr", "box_shape", "depth"} <= set(s.features)
        assert all(len(s.features[k]) == truth.n_frames for k in ("box_h", "depth"))


def test_each_subject_has_its_own_steps_and_distance(two):
    truth, project = two
    dist = {}
    for s in project.sources:
        w, _ = _owner(s, truth)
        steps = np.array(s.envelope.steps())
        assert s.guide_report is not None and s.guide_report.step_times() == s.envelope.steps()
        assert any("another subject" in r.reason for r in s.guide_report.rejected)  # the other walker's, shown as such
        assert "another subject's step" in s.guide_report.message  # and counted in what the designer reads
        f = onset_f1(steps, truth.step_times_per_walker[w], 0.05)
        assert f["f1"] >= 0.8, (s.name, f)
        # timed by the guide track (the picture alone: 6-9 ms median), the other walker's steps left out
        assert np.median([np.min(np.abs(steps - t)) for t in truth.step_times_per_walker[w]]) <= 0.006
        assert onset_f1(steps, truth.step_times_per_walker[1 - w], 0.05)["f1"] < 0.5
        dist[w] = float(np.median(s.trajectory.distance))
    # walker 1 walks 2.2 m behind walker 0: one distance scale for both, so it is farther
    true_ratio = np.median(truth.distance_per_walker[1]) / np.median(truth.distance_per_walker[0])
    assert dist[1] / dist[0] == pytest.approx(true_ratio, rel=0.2)


def test_two_stems_are_heard_where_their_own_walker_is(two, footsteps_dir):
    from stereosync_studio import jobs
    from stereosync_studio.engines.base import get_engine
    from stereosync_studio.metrics.spatial_alignment import spatial_alignment

    truth, project = two
    engine = get_engine("sampler")
    refs = sorted(str(p) for p in footsteps_dir.glob("*gravel*"))[:2] or None
    for s in project.sources:
        w, _ = _owner(s, truth)
        s.reference = Reference(files=refs) if refs else Reference(str(footsteps_dir))
        take = engine.generate(jobs.build_request(project, s, seed=1), null_progress, CancelToken())
        assert take.audio.shape == (2, int(round(project.clip.duration * take.sample_rate)))
        own = spatial_alignment(take.audio, take.sample_rate, Track(truth.boxes_per_walker[w]), truth.width,
                                truth.fps)
        other = spatial_alignment(take.audio, take.sample_rate, Track(truth.boxes_per_walker[1 - w]),
                                  truth.width, truth.fps)
        assert own.n_counted >= 5
        assert own.recall >= 0.9, (s.name, own.recall)
        assert other.recall < own.recall - 0.2, (s.name, own.recall, other.recall)  # not just "centre"


def test_split_merge_delete_sources(two):
    truth, original = two
    project = Project.from_dict(original.to_dict())
    assert [s.guide_report.to_dict() for s in project.sources] == [s.guide_report.to_dict() for s in original.sources]
    first = project.sources[0]
    before = first.track.boxes.copy()
    first.reference = Reference("/some/where/steps.wav")
    mid = truth.n_frames // 2
    a, b = split_source(project, first.name, mid)
    assert [s.name for s in project.sources] == ["subject1", "subject3", "subject2"]
    assert np.isnan(a.track.boxes[mid:, 0]).all() and np.isnan(b.track.boxes[:mid, 0]).all()
    assert a.reference.path == b.reference.path == "/some/where/steps.wav"  # the user's choice stays
    assert all(e < mid / truth.fps + 0.05 for e in a.envelope.steps())
    assert all(e > mid / truth.fps - 0.3 for e in b.envelope.steps())
    w, _ = _owner(first, truth)  # the parts rebuilt from the guide still leave the other walker's steps alone
    for part in (a, b):
        assert onset_f1(part.envelope.steps(), truth.step_times_per_walker[1 - w], 0.05)["f1"] < 0.5
    merged = merge_sources(project, "subject1", "subject3")
    assert [s.name for s in project.sources] == ["subject1", "subject2"]
    seen = np.isfinite(before[:, 0])
    assert np.allclose(merged.track.boxes[seen], before[seen])
    gone = delete_source(project, "subject2")
    assert gone.name == "subject2" and [s.name for s in project.sources] == ["subject1"]
    with pytest.raises(InputError):
        merge_sources(project, "subject1", "subject1")


def test_single_walker_is_one_track(cache_dir):
    truth = cached_walker_clip(cache_dir, scenario="crossing", duration=DUR)
    tracks = track_all(truth.path)
    assert len(tracks) == 1
    assert _mean_iou(tracks[0], truth.boxes) > 0.8


def test_merge_and_split_tracks():
    n = 10
    a = Track(np.full((n, 4), np.nan), np.zeros(n))
    b = Track(np.full((n, 4), np.nan), np.zeros(n))
    a.boxes[:6] = [10, 10, 20, 40]
    a.confidence[:6] = 1.0
    a.confidence[5] = 0.3  # coasted
    b.boxes[4:] = [12, 10, 22, 40]
    b.confidence[4:] = 0.9
    b.set_keyframe(8, [13, 10, 23, 40])
    m = merge_tracks(a, b)
    assert np.isfinite(m.boxes[:, 0]).all()
    assert m.boxes[4, 0] == 10 and m.boxes[5, 0] == 12 and m.boxes[8, 0] == 13  # surer box, keyframe wins
    assert m.keyframes == {8: [13.0, 10.0, 23.0, 40.0]}
    first, second = split_track(m, 5)
    assert np.isfinite(first.boxes[:5, 0]).all() and np.isnan(first.boxes[5:, 0]).all()
    assert np.isnan(second.boxes[:5, 0]).all() and second.keyframes == {8: [13.0, 10.0, 23.0, 40.0]}
    assert first.confidence[7] == 0.0
    with pytest.raises(InputError):
        split_track(m, 0)
    longer = merge_tracks(Track(np.ones((3, 4))), Track(np.ones((5, 4)) * 2))
    assert len(longer) == 5 and longer.boxes[4, 0] == 2


def test_cli_says_each_subjects_guide_verdict(two, capsys):
    from stereosync_studio.cli.lanes import print_guide_note

    _, project = two
    print_guide_note(project)
    err = capsys.readouterr().err
    assert [s.name for s in project.sources] == ["subject1", "subject2"]
    for s in project.sources:
        assert f"guide track ({s.name}): {s.guide_report.message}" in err
    print_guide_note(project, quiet=True)
    assert capsys.readouterr().err == ""


def test_every_subject_takes_the_envelope_mode_asked_for(two, tmp_path):
    from stereosync_studio import jobs

    truth, auto = two
    video = jobs.analyze_clip(truth.path, envelope="video", subjects="all", models_dir=str(tmp_path))
    assert [s.envelope.origin for s in video.sources] == ["video", "video"]
    assert all(s.guide_report is None for s in video.sources)  # the guide was not asked
    silent = jobs.analyze_clip(truth.path, envelope="none", subjects="all", models_dir=str(tmp_path))
    assert len(silent.sources) == len(auto.sources) and all(not s.envelope.values.any() for s in silent.sources)
    # a split rebuilds in the mode the project was analysed in (it used to take the guide's steps)
    a, b = split_source(video, video.sources[0].name, truth.n_frames // 2, models_dir=tmp_path)
    assert (a.envelope.origin, b.envelope.origin, a.guide_report) == ("video", "video", None)
    a, _ = split_source(silent, silent.sources[0].name, truth.n_frames // 2, models_dir=tmp_path)
    assert not a.envelope.values.any()


def test_a_heard_only_step_claimed_twice_is_one_subjects():
    from stereosync_studio.core.guide import GuideReport, GuideStep
    from stereosync_studio.jobs.guide import OTHER_SUBJECT, _settle_heard_only

    heard = lambda *ts: GuideReport([GuideStep(t, 0.8, "audio") for t in ts], [], "")  # noqa: E731
    near_first = [[(0.0, 2.8)], [(4.0, 6.0)]]  # 3.0 s: 0.2 s after the first was last seen, 1 s before the second
    a, b = _settle_heard_only([heard(1.0, 3.0), heard(3.0, 5.0)], near_first, [])
    assert (a.step_times(), b.step_times()) == ([1.0, 3.0], [5.0])
    assert [(r.time, r.reason) for r in b.rejected] == [(3.0, OTHER_SUBJECT)] and "another subject" in b.message
    seen_there = GuideReport([GuideStep(3.02, 0.6, "picture")], [], "")  # the second one's foot lands there
    a, b = _settle_heard_only([heard(1.0, 3.0), seen_there], near_first, [])
    assert (a.step_times(), b.step_times()) == ([1.0], [3.02])
    a, = _settle_heard_only([heard(1.0, 3.0)], near_first[:1], [[2.99]])  # a source not rebuilt holds it
    assert a.step_times() == [1.0]


def test_someone_standing_still_gets_no_steps_from_the_walkers_guide(two):
    from stereosync_studio.analysis.motion import analyze_subjects
    from stereosync_studio.jobs.guide import GUIDE_SR, NO_CONTACTS, footstep_guides, read_guide

    truth, project = two
    walker = project.sources[0].track
    still = Track(np.tile([[560.0, 150.0, 600.0, 260.0]], (truth.n_frames, 1)))  # a box on the background
    motions = analyze_subjects(truth.path, [walker, still], use_pose=False)
    (_, mine), (env, standing) = footstep_guides(read_guide(truth.path), GUIDE_SR, truth.duration, motions)
    assert mine.has_footsteps and len(mine.steps) >= 8
    assert standing.steps == [] and not env.steps() and not standing.has_footsteps
    assert standing.message == NO_CONTACTS

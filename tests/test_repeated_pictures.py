"""A clip that shows each picture twice (animation on twos, a 12.5 fps source written at 25 fps).

Why: a repeated picture has no motion and the next one two frames' worth, so the swing of a
foot read 0, 2x, 0, 2x ... and the step detector found no step at all (picture-only step F1
0.00 on six walkers shown on twos; 0.97 on the same walkers shown normally). The steps are
read from the new pictures at their own rate (`motion.distinct_pictures`). A subject who
stands still for a while is no such pattern.
"""

from __future__ import annotations

import numpy as np
import pytest

from stereosync_studio.analysis.motion import analyze_subjects, distinct_pictures
from stereosync_studio.analysis.steps_video import steps_from_motion
from stereosync_studio.core.track import Track
from stereosync_studio.media.video import VideoReader, write_video
from stereosync_studio.metrics.onsets import onset_f1
from tests.walker import cached_walker_clip


@pytest.fixture(scope="module")
def on_twos(tmp_path_factory):
    """Two 6 s walkers at 25 fps, every picture shown twice: (clip, boxes, true steps) each."""
    d = tmp_path_factory.mktemp("twos")
    out = []
    for scenario, seed in (("crossing", 7), ("diagonal", 8)):
        truth = cached_walker_clip(d, scenario=scenario, duration=6.0, fps=25, size=(640, 360), seed=seed)
        with VideoReader(truth.path) as r:
            frames = [rgb for _, _, rgb in r.iter_frames(0, None)]
        path = d / f"{scenario}_{seed}_twos.mp4"
        write_video(path, [frames[i - i % 2] for i in range(len(frames))], 25.0)
        boxes = np.asarray(truth.boxes)
        out.append((str(path), boxes[[i - i % 2 for i in range(len(boxes))]], [t for t in truth.step_times if t >= 0.15]))
    return out


def test_steps_are_found_in_a_clip_shown_on_twos(on_twos):
    matched = total = 0
    for path, boxes, steps in on_twos:
        m = analyze_subjects(path, [Track(boxes)])[0]
        d = distinct_pictures(m)
        assert d.fps == 12.5 and d.n_frames <= m.n_frames // 2 + 2  # the new pictures, at their rate
        found = [t for t, _ in steps_from_motion(m) if t >= 0.1]
        matched += onset_f1(found, steps, 0.05)["matched"]
        total += len(steps)
    assert matched / total >= 0.75


def test_a_walker_who_stops_for_a_while_is_read_at_the_clip_rate(tmp_path):
    truth = cached_walker_clip(tmp_path, scenario="pausing", duration=6.0, fps=25, size=(640, 360), seed=3)
    m = analyze_subjects(truth.path, [Track(np.asarray(truth.boxes))], use_pose=False)[0]
    assert distinct_pictures(m) is m

"""Steps from the picture alone at low frame rates (webcams, CCTV, animation on twos).

Below steps_video.LOW_FPS a swing lasts two or three samples of the swing speed and the
hysteresis detector missed most steps; the speed is now read at DETECT_RATE, interpolated
(PCHIP) between its samples. Measured, crossing walkers (new / before): 8 fps seeds 3-5 step
F1 0.70 / 0.13, 0.42 / 0.20, 0.36 / 0.18 and steps found 12 / 5, 11 / 7, 10 / 10 of 11, 13,
12; 12.5 fps 0.82 / 0.38, 0.88 / 0.96, 1.0 / 0.75.
"""

from __future__ import annotations

import numpy as np
import pytest

import stereosync_studio.analysis.steps_video as steps_video
from stereosync_studio import jobs
from stereosync_studio.metrics.onsets import onset_f1


def _picture_steps(path: str) -> list[float]:
    return jobs.analyze_clip(path, envelope="video").source().envelope.steps() or []


@pytest.mark.parametrize("fps,seeds,want", [(8.0, (3, 4, 5), 0.45), (12.5, (3, 5), 0.85)])
def test_a_low_frame_rate_still_gives_the_picture_s_steps(fps, seeds, want, cache_dir, monkeypatch):
    from tests.walker import cached_walker_clip

    clips = [cached_walker_clip(cache_dir, scenario="crossing", seed=s, fps=fps, duration=6.0) for s in seeds]
    now = [onset_f1(_picture_steps(c.path), c.step_times, 0.05)["f1"] for c in clips]
    counts = [abs(len(_picture_steps(c.path)) - len(c.step_times)) for c in clips]
    monkeypatch.setattr(steps_video, "LOW_FPS", 0.0)  # read at the clip's own rate, as before
    before = [onset_f1(_picture_steps(c.path), c.step_times, 0.05)["f1"] for c in clips]
    assert np.mean(now) >= want and np.mean(now) > np.mean(before) + 0.2, (now, before)
    assert max(counts) <= 2  # about the right number of steps (before, at 8 fps: 5 of 11)


def test_the_interpolated_reading_keeps_unknown_samples_unknown():
    t = np.arange(40) / 8.0
    speed = 0.5 + 0.5 * np.sin(2 * np.pi * 1.0 * t)
    speed[18:22] = np.nan  # the subject hidden for half a second
    steps = steps_video.contacts_from_speed(t, speed, 8.0)
    assert steps and not any(18 / 8.0 <= s <= 21 / 8.0 for s, _ in steps)

"""Frames blended together (a frame-rate conversion by blending, a blending deinterlacer).

Why: blending smears the swinging foot into the ground texture: the optical flow barely
moves while pose still finds the feet, their correlation falls under 0.3 and pose was
thrown away as "locked on something else", leaving the blind flow: no steps, or steps half
a period off. For a walking subject whose flow sees under 0.45 of what pose sees, pose is
used alone (`steps_video._flow_blind_to_walker`). Held-out walkers with 3 frames blended:
crossing seeds 11 and 13, picture-only step F1 0.29 and 0.00 -> 0.70 and 0.88 (diagonal
walkers, whose flow was never vetoed, unchanged).
"""

from __future__ import annotations

import numpy as np

from stereosync_studio.analysis.motion import analyze_subjects
from stereosync_studio.analysis.steps_video import steps_from_motion, swing_speed
from stereosync_studio.core.track import Track
from stereosync_studio.media.video import VideoReader, write_video
from stereosync_studio.metrics.onsets import onset_f1
from tests.walker import cached_walker_clip


def test_steps_of_walkers_in_blended_frames_come_from_pose(tmp_path):
    matched = total = 0
    for seed in (11, 13):
        truth = cached_walker_clip(tmp_path, scenario="crossing", duration=6.0, fps=25, size=(640, 360), seed=seed)
        with VideoReader(truth.path) as r:
            fr = np.stack([rgb for _, _, rgb in r.iter_frames(0, None)]).astype(np.float32)
        blended = [(fr[max(i - 1, 0)] + fr[i] + fr[min(i + 1, len(fr) - 1)]) / 3 for i in range(len(fr))]
        path = tmp_path / f"blended_{seed}.mp4"
        write_video(path, [np.clip(b, 0, 255).astype(np.uint8) for b in blended], 25.0)
        m = analyze_subjects(str(path), [Track(np.asarray(truth.boxes))])[0]
        assert swing_speed(m)[2] == "pose"
        steps = [t for t in truth.step_times if t >= 0.15]
        found = [t for t, _ in steps_from_motion(m) if t >= 0.1]
        matched += onset_f1(found, steps, 0.05)["matched"]
        total += len(steps)
    assert matched / total >= 0.7

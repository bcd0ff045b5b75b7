"""A medium shot: the frame cuts the walker at the waist, the guide track holds the steps.

The picture's foot contacts are then read from the hips; where the guide's footstep level
does not rise at them, the guide was thrown away as "speech or music only" and the take got
the picture's guesses (the bundled demo cut so: 12 steps, none within 50 ms of the 16 true
ones). Now the steps are the sound's, and the report says why.
"""

from __future__ import annotations

from pathlib import Path

from stereosync_studio import jobs
from stereosync_studio.media.video import VideoReader
from stereosync_studio.media.video_writer import write_video
from stereosync_studio.metrics.onsets import onset_f1

HARD = Path(__file__).resolve().parents[1] / "resources" / "samples" / "hard"


def test_a_waist_up_shot_keeps_the_footsteps_it_hears(tmp_path, cache_dir):
    from stereosync_studio.jobs.guide import GUIDE_SR, FEET_UNSEEN, read_guide
    from tests.walker import cached_walker_clip

    demo = cached_walker_clip(cache_dir, scenario="diagonal", duration=8.0, fps=25, size=(960, 540),
                              guide_reference=sorted(str(p) for p in HARD.glob("*.ogg")), seed=7)  # the demo's
    with VideoReader(demo.path) as r:
        cut = int(0.55 * r.info.height)  # the walker's hips and above
        frames = [f[:cut] for _, _, f in r.iter_frames()]
        fps = r.info.fps
    clip = write_video(tmp_path / "waist_up.mp4", frames, fps, audio=read_guide(demo.path),
                       sample_rate=GUIDE_SR)
    project = jobs.analyze_clip(str(clip))
    report = project.guide_report
    truth = demo.step_times
    assert report.has_footsteps and FEET_UNSEEN in report.message
    assert onset_f1(report.step_times(), truth, 0.05)["f1"] >= 0.9
    assert onset_f1(project.source().envelope.steps() or [], truth, 0.05)["f1"] >= 0.9

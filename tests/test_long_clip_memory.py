"""Long clips in bounded memory: peak resident memory of each job on a 10-minute 1080p clip,
measured in a fresh process (tests/memory_probe.py). Goal: 1.5 GB each.

The clip is tests/long_clip.py's (4 frames/s, real footsteps in its guide track); making it
takes ~40 s once (cached in tests/.cache). Each job takes ~40-180 s.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.long_clip import long_clip

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.slow


def _probe(*args: str) -> dict:
    out = subprocess.run([sys.executable, "-m", "tests.memory_probe", *args], cwd=ROOT, capture_output=True,
                         text=True, timeout=900)
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads([ln for ln in out.stdout.splitlines() if ln.startswith("{")][-1])


@pytest.fixture(scope="module")
def analysed(cache_dir, tmp_path_factory):
    """The long clip analysed with the guide's footsteps (no picture-motion pass), and its figures
    (the default analysis is over budget today: see tests/bench/bench_memory.py)."""
    clip = long_clip(cache_dir)
    project = tmp_path_factory.mktemp("long") / "long.stereosync.json"
    return clip, project, _probe("analyze", str(clip), str(project), "guide")


def test_tracking_and_guide_reading_of_a_10_minute_clip_stay_in_budget(cache_dir):
    """What analysis itself holds for a long clip: frames are streamed through the tracker,
    the guide track is decoded and resampled straight into its output array."""
    r = _probe("track", str(long_clip(cache_dir)))
    assert r["peak_mb"] <= 800, r


def test_a_10_minute_clip_is_analysed(analysed):
    clip, project, r = analysed
    from stereosync_studio.core.project import Project

    p = Project.load(project)
    assert p.clip.n_frames == 2400 and abs(p.clip.duration - 600.0) < 0.5
    assert np.isfinite(p.sources[0].track.boxes[:, 0]).mean() > 0.5  # the walker loop was tracked
    env = p.sources[0].envelope
    assert env.origin == "audio" and float(np.max(env.values)) > 0  # the guide's footsteps


def test_2_takes_of_a_10_minute_clip_render_and_open_in_the_studio_within_budget(analysed, tmp_path):
    """Block-wise rendering (limiter, air absorption), metrics that measure the per-window cues
    once and never widen the whole take to float64, takes written and then let go; the Studio
    keeps takes on disk (read on demand by the mixer and the waveform view)."""
    _, project, _ = analysed
    opened = tmp_path / "with_takes.stereosync.json"
    r = _probe("render", str(project), str(tmp_path / "takes"), "2", str(opened))
    assert r["peak_mb"] <= 1536, r
    s = _probe("studio", str(opened))
    # the guide is read on demand from its decoded WAV as well (jobs.load_guide): ~870 MB measured
    # at first, 1031-1033 MB on 2026-12-07 (cause not found: nothing on the open path changed);
    # a guard well inside the 1.5 GB
    assert s["peak_mb"] <= 1100, s


# The default analysis of the long clip (with the picture's step analysis) is not within the
# 1.5 GB budget yet (streaming in analysis/steps_video and the guide analysis):
# `tests/bench/bench_memory.py` prints its peak RSS per clip minute.

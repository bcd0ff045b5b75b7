"""Screen-width panning by default, and surfaces along the clip (a reference per region).

Pan: the frame's edges are full left/right (constant power, -3 dB centre), a width narrows
it, the lens mapping stays an option, and the metric reads a take back through the same
mapping. Surfaces: each step draws from the region its onset falls in, a change of surface
adds no click, bad regions are named, and the regions are saved in the project.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from stereosync_studio.core.envelope import Envelope
from stereosync_studio.core.errors import InputError
from stereosync_studio.core.progress import CancelToken
from stereosync_studio.core.project import ClipInfo, Project, Reference, Source, SurfaceRegion
from stereosync_studio.core.surfaces import parse_region, region_problem
from stereosync_studio.core.track import Track
from stereosync_studio.core.trajectory import PanMapping, Trajectory
from stereosync_studio.engines import spatial
from stereosync_studio.metrics.spatial_alignment import heard_positions, spatial_alignment

SR = 48000


def _crossing(n=100, width=1280):
    cx = np.linspace(0.0, width, n)
    return Track(np.stack([cx - 40, np.full(n, 200.0), cx + 40, np.full(n, 600.0)], axis=1))


def test_screen_width_is_the_default_and_the_lens_an_option():
    track = _crossing()
    screen = Trajectory.from_track(track, 1280, 720, 25.0)
    assert screen.pan_mode == "screen" and screen.pan[0] == pytest.approx(-1.0) and screen.pan[-1] == pytest.approx(1.0)
    half = Trajectory.from_track(track, 1280, 720, 25.0, pan_width=0.5)
    assert half.pan[0] == pytest.approx(-0.5) and half.pan[-1] == pytest.approx(0.5)
    lens = Trajectory.from_track(track, 1280, 720, 25.0, 90.0, pan_mode="lens")
    assert lens.pan[-1] == pytest.approx(0.5)  # a 90 deg lens hears the frame's edge half-way out
    for m in (PanMapping("screen", 0.7), PanMapping("lens", 1.0, 60.0)):
        xs = np.array([100.0, 640.0, 1100.0])
        assert np.allclose(m.x(m.pan(xs, 1280), 1280), xs)
    moved = lens.remapped(PanMapping("screen", 1.0), 1280)  # hand-drawn pans keep their place on screen
    assert np.allclose(moved.pan, screen.pan, atol=1e-6)


def test_edges_are_full_left_and_right_with_minus_3_db_centre():
    x = np.ones(SR // 2, np.float32)
    for pan, (left, right) in ((-1.0, (1.0, 0.0)), (0.0, (2 ** -0.5, 2 ** -0.5)), (1.0, (0.0, 1.0))):
        traj = Trajectory(np.full(13, pan), np.ones(13), 25.0)
        out = spatial.render(x, SR, traj, {"air_absorption": False})
        assert out[0, 1000] == pytest.approx(left, abs=1e-6) and out[1, 1000] == pytest.approx(right, abs=1e-6)


def test_the_metric_reads_the_take_through_the_trajectory_mapping():
    track = _crossing()
    noise = (0.1 * np.random.default_rng(0).standard_normal(4 * SR)).astype(np.float32)
    for traj in (Trajectory.from_track(track, 1280, 720, 25.0, pan_width=0.6),
                 Trajectory.from_track(track, 1280, 720, 25.0, pan_mode="lens")):
        take = spatial.render(noise, SR, traj, {"air_absorption": False})
        al = spatial_alignment(take, SR, track, 1280, 25.0, mapping=traj.mapping)
        assert al.recall >= 0.97, traj.mapping
        centre = 0.5 * (al.box_x0 + al.box_x1)
        assert np.median(np.abs(al.heard_x - centre)) < 20


def test_pan_mapping_is_saved_and_old_projects_read_as_lens(tmp_path):
    traj = Trajectory(np.linspace(-1, 1, 5), np.ones(5), 25.0, pan_width=0.8)
    d = traj.to_dict()
    assert d["pan_mode"] == "screen" and d["pan_width"] == 0.8
    assert Trajectory.from_dict(d).mapping == traj.mapping
    del d["pan_mode"], d["pan_width"]  # a project written before pan mappings
    assert Trajectory.from_dict(d).pan_mode == "lens"


# ---------------------------------------------------------------- surfaces

def test_regions_are_parsed_and_bad_ones_named():
    assert parse_region("grass/@0-4.2") == ("grass/", 0.0, 4.2)
    assert parse_region("me@home.wav") is None and parse_region("plain.wav") is None
    assert region_problem([("grass@0-4.2", 0.0, 4.2), ("gravel@4.2-8", 4.2, 8.0)], 8.0) is None
    overlap = region_problem([("grass@0-4.5", 0.0, 4.5), ("gravel@4.2-8", 4.2, 8.0)], 8.0)
    assert "grass@0-4.5" in overlap and "gravel@4.2-8" in overlap and "overlap" in overlap
    late = region_problem([("gravel@4.2-9", 4.2, 9.0)], 8.0)
    assert "gravel@4.2-9" in late and "after the clip" in late
    assert "ends before it starts" in region_problem([("x@3-2", 3.0, 2.0)], 8.0)


def _steps_env(seconds: float, times: list[float]) -> Envelope:
    from stereosync_studio.analysis.steps_video import envelope_from_steps

    return envelope_from_steps([(t, 1.0) for t in times], np.full(len(times), 0.15), seconds, origin="drawn")


def test_each_step_draws_from_its_region_and_the_boundary_makes_no_click(footsteps_dir):
    from stereosync_studio.engines.base import GenerationRequest
    from stereosync_studio.engines.sampler import SamplerEngine

    grass = sorted(str(p) for p in footsteps_dir.glob("*grass*"))
    gravel = sorted(str(p) for p in footsteps_dir.glob("*gravel*"))
    times = list(np.arange(0.3, 7.8, 0.5))
    env = _steps_env(8.0, times)
    traj = Trajectory(np.linspace(-0.8, 0.8, 200), np.ones(200), 25.0)
    req = GenerationRequest(8.0, SR, env, traj, gravel, seed=3, reference_regions=[(0.0, 4.2, grass), (4.2, 8.0, gravel)])
    take = SamplerEngine().generate(req, lambda *a: None, CancelToken())
    used = take.info["grains_used"]
    assert all("grass" in u for u, t in zip(used, times) if t < 4.2)
    assert all("gravel" in u for u, t in zip(used, times) if t >= 4.2)
    one = SamplerEngine().generate(GenerationRequest(8.0, SR, env, traj, gravel, seed=3), lambda *a: None, CancelToken())
    jump = np.abs(np.diff(take.audio, axis=1)).max(axis=0)
    b = int(4.2 * SR)
    near = jump[b - SR // 20:b + SR // 20].max()
    own = max(np.abs(np.diff(one.audio, axis=1)).max(), jump[:b - SR // 20].max(), jump[b + SR // 20:].max())
    assert near <= own  # no sample-to-sample jump at the boundary above the takes' own


def test_surfaces_round_trip_in_the_project_and_bad_ones_are_refused(tmp_path, footsteps_dir):
    n = 10
    src = Source("subject1", Track(np.tile([10.0, 20, 30, 60], (n, 1))), Envelope(np.zeros(100)),
                 Trajectory(np.zeros(n), np.ones(n), 25.0), Reference(str(footsteps_dir)),
                 surfaces=[SurfaceRegion(0.0, 0.2, Reference(str(footsteps_dir / "default_grass_footstep.1.ogg"))),
                           SurfaceRegion(0.2, 0.4, Reference(str(footsteps_dir)))])
    proj = Project("walk", ClipInfo(str(tmp_path / "walk.mp4"), 25.0, 64, 48, 0.4, n), [src])
    path = proj.save(tmp_path / "p" / "walk.stereosync.json")
    back = Project.load(path).source()
    assert [(r.start, r.end) for r in back.surfaces] == [(0.0, 0.2), (0.2, 0.4)]
    assert back.surfaces[0].reference.path == str((footsteps_dir / "default_grass_footstep.1.ogg").resolve())
    raw = json.loads(path.read_text())
    raw["sources"][0]["surfaces"][1]["start"] = 0.1  # overlaps the first
    path.write_text(json.dumps(raw))
    with pytest.raises(InputError, match=r"surfaces.*default_grass_footstep.1.ogg@0-0.2.*overlap"):
        Project.load(path)


def test_cli_reference_regions(tmp_path, cache_dir, footsteps_dir):
    from stereosync_studio.cli import main
    from tests.walker import cached_walker_clip

    clip = cached_walker_clip(cache_dir, scenario="crossing", duration=3.0, fps=25, size=(320, 240), seed=4)
    grass, gravel = footsteps_dir / "default_grass_footstep.1.ogg", footsteps_dir / "default_gravel_footstep.1.ogg"
    out = tmp_path / "out"
    assert main(["-q", "render", clip.path, "--reference", f"{grass}@0-1.5", "--reference", f"{gravel}@1.5-3",
                 "--pan-width", "80", "-o", str(out)]) == 0
    project = Project.load(next(out.glob("*.stereosync.json")))
    src = project.source()
    assert [(r.start, r.end) for r in src.surfaces] == [(0.0, 1.5), (1.5, 3.0)]
    assert src.trajectory.pan_mode == "screen" and src.trajectory.pan_width == pytest.approx(0.8)
    assert np.abs(src.trajectory.pan).max() <= 0.8 + 1e-9
    assert main(["-q", "render", "--project", str(next(out.glob("*.stereosync.json"))), "--reference",
                 f"{gravel}@1.0-9", "-o", str(tmp_path / "bad")]) == 2
    assert main(["-q", "render", "--project", str(next(out.glob("*.stereosync.json"))), "--pan", "lens",
                 "--hfov", "90", "-o", str(tmp_path / "lens")]) == 0
    lens = Project.load(next((tmp_path / "lens").glob("*.stereosync.json"))).source().trajectory
    assert lens.pan_mode == "lens" and np.abs(lens.pan).max() <= 0.5 + 1e-6


def test_heard_position_follows_the_screen(cache_dir):
    """A walker crossing the frame is heard at the screen position of its box."""
    from tests.busy_guide import heard_pan_error
    from tests.walker import cached_walker_clip
    from stereosync_studio import jobs
    from stereosync_studio.engines.base import get_engine

    clip = cached_walker_clip(cache_dir, scenario="crossing", duration=3.0, fps=25, size=(320, 240), seed=4)
    project = jobs.analyze_clip(clip.path, envelope="video")
    take = get_engine("sampler").generate(jobs.build_request(project, project.source(), 1), lambda *a: None,
                                          CancelToken())
    assert heard_pan_error(take.audio, take.sample_rate, clip) < 0.05
    src = project.source()
    src.trajectory = jobs.with_pan_mapping(src.trajectory, src.track, project.clip, "lens", 1.0, 90.0)
    lens = get_engine("sampler").generate(jobs.build_request(project, src, 1), lambda *a: None, CancelToken())
    assert heard_pan_error(lens.audio, lens.sample_rate, clip) > 0.06  # the old default is heard half-way
    assert np.ptp(heard_positions(take.audio, SR).pan) > 1.5 * np.ptp(heard_positions(lens.audio, SR).pan)

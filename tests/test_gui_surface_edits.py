"""The Surface lane's edits as numbers (no widgets): an edge never crosses a neighbour or leaves the
clip, a shared boundary moves for both regions, snapping prefers a step to the frame grid; and a
recorded performance replaces the envelope only over the stretch it covers."""

from __future__ import annotations

import numpy as np
import pytest

from stereosync_studio.core.envelope import Envelope
from stereosync_studio.core.project import Reference, SurfaceRegion
from stereosync_studio.gui.lanes import surface_edits as se


def _spans(regions):
    return [(round(r.start, 6), round(r.end, 6)) for r in regions]


def _three():
    return [SurfaceRegion(0.0, 2.0, Reference("grass")), SurfaceRegion(2.0, 4.0, Reference("gravel")),
            SurfaceRegion(5.0, 7.0, Reference("snow"))]


def test_an_edge_stops_at_its_neighbour_the_clip_and_one_frame_of_length():
    regions = _three()
    assert _spans(se.move_edge(regions, 1, "end", 6.0, 8.0, 0.04)) == [(0, 2), (2, 5), (5, 7)]  # not into snow
    assert _spans(se.move_edge(regions, 2, "end", 9.5, 8.0, 0.04)) == [(0, 2), (2, 4), (5, 8)]  # clip's end
    assert _spans(se.move_edge(regions, 2, "start", 7.5, 8.0, 0.04)) == [(0, 2), (2, 4), (6.96, 7)]  # one frame
    assert _spans(regions) == [(0, 2), (2, 4), (5, 7)]  # the input is never changed


def test_a_shared_boundary_moves_for_both_and_keeps_each_one_frame_long():
    regions = _three()
    assert se.edge_at(regions, 2.01, 0.05) == (0, "end")  # the left region's end wins the shared edge
    assert _spans(se.move_edge(regions, 0, "end", 2.7, 8.0, 0.04)) == [(0, 2.7), (2.7, 4), (5, 7)]
    assert _spans(se.move_edge(regions, 1, "start", 1.2, 8.0, 0.04)) == [(0, 1.2), (1.2, 4), (5, 7)]
    assert _spans(se.move_edge(regions, 0, "end", 4.5, 8.0, 0.04)) == [(0, 3.96), (3.96, 4), (5, 7)]


def test_snap_prefers_a_near_step_else_the_frame_grid():
    assert se.snap(2.51, [2.53, 3.0], 0.03, fps=25) == 2.53
    assert se.snap(2.51, [2.6], 0.03, fps=25) == pytest.approx(2.52)  # frame 63 of 25 fps


def test_add_split_delete():
    regions = _three()
    added = se.add_region(regions, 4.5, 4.8, Reference("mud"), 8.0)
    assert _spans(added) == [(0, 2), (2, 4), (4.5, 4.8), (5, 7)] and added[2].reference.path == "mud"
    assert _spans(se.add_region(regions, 3.0 + 1.5, 9.0, Reference("mud"), 8.0))[2] == (4.5, 5.0)  # to the gap
    with pytest.raises(ValueError, match="already lies in a surface region"):
        se.add_region(regions, 1.0, 1.5, Reference("mud"), 8.0)
    assert se.gap_around(regions, 7.5, 8.0) == (7.0, 8.0)
    split = se.split_region(regions, 3.0, 0.04)
    assert _spans(split) == [(0, 2), (2, 3), (3, 4), (5, 7)] and split[2].reference.path == "gravel"
    with pytest.raises(ValueError, match="no surface region at 4.50 s"):
        se.split_region(regions, 4.5, 0.04)
    assert _spans(se.delete_region(regions, 1)) == [(0, 2), (5, 7)]


def test_a_recording_replaces_the_envelope_only_where_it_was_performed():
    pytest.importorskip("PySide6")
    from stereosync_studio.gui.controllers.recording import splice_envelope

    old = Envelope(np.full(int(8 * 344.53), 0.2), events=[0.5, 1.5, 3.5, 6.5])
    performed = Envelope(np.full(int(2 * 344.53), 0.7), events=[0.25, 1.0], origin="performed")
    new = splice_envelope(old, performed, 3.0, list(old.events))
    t = new.times()
    assert new.events == [0.5, 1.5, 3.25, 4.0, 6.5]  # the old step at 3.5 s gave way to the performance
    assert np.all(new.values[(t >= 3.0) & (t < 4.99)] == pytest.approx(0.7))
    assert np.all(new.values[(t < 2.99) | (t >= 5.01)] == pytest.approx(0.2))
    assert len(new.values) == len(old.values) and new.origin == "performed"

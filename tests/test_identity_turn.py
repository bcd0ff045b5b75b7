"""A subject who turns back or stands while hidden behind a kiosk, a lookalike past it (issue 9).

The tracker coasts a hidden subject on its last velocity; a subject who turns back or stops
behind something comes out where that guess is not, and someone dressed alike stands where it
is (hard footage "kiosk_turn"). Seeds 4-7 were not tuned on (nothing was, on this scenario).
The bounds below are what the tracker holds today with a margin, not the issue's goal
(kept >= 90 %, IoU >= 0.6). Seeds 4-7 gave kept 0.57 / 0.13 / 0.95 / 0.78, IoU 0.43 / 0.10 /
0.74 / 0.57, seed 4 never re-acquired, before the subject was also looked for where it went
into hiding (a turn) and the start-up check also ran while coasting (seed 5 lost at once);
since: kept 0.59 / 0.89 / 0.95 / 0.78, IoU 0.45 / 0.66 / 0.74 / 0.57, seed 4 still not
re-acquired (it took the lookalike standing past the kiosk first).
bench_hidden_turn.py prints all.
"""

from __future__ import annotations

import numpy as np
import pytest

from stereosync_studio.analysis.detect import iou
from stereosync_studio.analysis.tracking import track_clip
from stereosync_studio.core.track import UNCERTAIN
from tests.hard_footage import HardScene, cached_hard_clip, hidden_runs, reacquire_delay, score_track

SEEDS = (4, 5, 6, 7)


def _side(x: float, scene: HardScene) -> float:
    """-1 or 1: which side of the kiosk's middle `x` (a pixel column of the output frame) is on."""
    kiosk = scene.props[0].rects[0]
    ends = [scene.cam.project(np.array([k, 0.0, scene.props[0].z]))[0] for k in kiosk[:2]]
    return float(np.sign(x + scene.margin - 0.5 * sum(ends)))  # the camera stands still: canvas = frame + margin


def test_the_subject_turns_back_or_stands_while_hidden():
    moves = set()
    for seed in (4, 5, 6):
        scene = HardScene("kiosk_turn", seed)
        truth = scene.truth()
        runs = hidden_runs(truth)
        first, last = int(runs[0][0]), int(runs[-1][-1])
        assert truth.visible[first:last + 1].max() < 0.15, seed  # hidden once, a hand at most peeking out
        assert 1.0 * scene.fps <= last - first + 1 <= 2.8 * scene.fps
        out = last + 1 + int(np.argmax(truth.visible[last + 1:] >= 0.5))
        cx = 0.5 * (truth.boxes[:, 0] + truth.boxes[:, 2])
        entry, exit_ = _side(cx[first - 15], scene), _side(cx[out], scene)
        assert (exit_ == entry) == (truth.hidden_move != "stop"), (seed, truth.hidden_move)
        look = truth.others[truth.similar[0]]
        assert np.isfinite(look).all()  # the lookalike is in view all along ...
        assert _side(0.5 * (look[out, 0] + look[out, 2]), scene) == -entry  # ... past the kiosk's far side
        moves.add(truth.hidden_move)
    assert moves == {"turn", "stop_turn", "stop"}


@pytest.mark.slow
def test_a_subject_turning_back_behind_a_kiosk_today(cache_dir):
    scores, delays = [], []
    for seed in SEEDS:
        truth = cached_hard_clip(cache_dir, "kiosk_turn", seed)
        i0 = int(np.flatnonzero(np.isfinite(truth.boxes[:, 0]))[0])
        track = track_clip(truth.path, seed_box=truth.boxes[i0], seed_frame=i0)
        s = score_track(track.boxes, truth)
        scores.append(s)
        delays.append(reacquire_delay(track.boxes, truth))
        hidden = np.concatenate(hidden_runs(truth))
        assert np.median(track.confidence[hidden]) < UNCERTAIN - 0.1, (seed, s)  # the strip shows the occlusion
        look = truth.others[truth.similar[0]]
        on_look = [i for i in range(truth.n_frames)
                   if iou(track.boxes[i], look[i]) > 0.3 and iou(track.boxes[i], truth.boxes[i]) < 0.3]
        assert not on_look or track.confidence[on_look].max() < 0.6, (seed, on_look)  # never "verified" on the lookalike
    assert np.mean([s["kept"] for s in scores]) >= 0.72, scores
    assert np.mean([s["mean_iou"] for s in scores]) >= 0.5, scores
    assert sum(d is not None for d in delays) >= 3, delays

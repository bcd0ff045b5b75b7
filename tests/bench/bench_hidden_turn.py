"""A subject who turns back or stands while hidden behind a kiosk (hard footage "kiosk_turn").

Why: the tracker coasts a hidden subject on its last velocity; a subject who turns back or
stops behind something comes out where the prediction is not, and a lookalike stands where
it is. Prints per seed: what the subject did while hidden, frames fully hidden, kept, mean
IoU, ID switches, frames on the lookalike, and the re-acquisition delay (frames from when the
subject is half visible again to when the box is back on it, "never" if it is not); with
--frames the runs of frames off the subject (as bench_hard.py --frames).
Default seeds: 4-7 (held out) and 12-15 (held out too; nothing was tuned on either).

Run: .venv/bin/python tests/bench/bench_hidden_turn.py [--seeds 4,5,6,7,12,13,14,15] [--frames]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from stereosync_studio.analysis.tracking import track_clip  # noqa: E402
from tests.bench.bench_hard import _print_frames  # noqa: E402
from tests.hard_footage import HardTruth, cached_hard_clip, hidden_runs, reacquire_delay, score_track  # noqa: E402


def run_seed(cache: Path, seed: int) -> tuple[HardTruth, object, dict]:
    """Track one kiosk_turn clip from the subject's first box; score it."""
    tr = cached_hard_clip(cache, "kiosk_turn", seed)
    i0 = int(np.flatnonzero(np.isfinite(tr.boxes[:, 0]))[0])
    track = track_clip(tr.path, seed_box=tr.boxes[i0], seed_frame=i0)
    s = score_track(track.boxes, tr)
    s["move"], s["hidden"] = tr.hidden_move, sum(len(r) for r in hidden_runs(tr))
    s["delay"] = reacquire_delay(track.boxes, tr)
    return tr, track, s


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--seeds", default="4,5,6,7,12,13,14,15")
    ap.add_argument("--frames", action="store_true", help="runs of frames off the subject, and whose box it is")
    args = ap.parse_args(argv if argv is not None else [])
    cache = ROOT / "tests" / ".cache"
    rows = []
    for sd in [int(x) for x in args.seeds.split(",")]:
        tr, track, s = run_seed(cache, sd)
        rows.append(s)
        d = "never re-acquired" if s["delay"] is None else f"re-acquired after {s['delay']:d} fr"
        print(f"  seed {sd:2d} {s['move']:9s} hidden {s['hidden']:3d} fr  kept {s['kept']:5.1%}  IoU {s['mean_iou']:.3f}"
              f"  switches {s['id_switches']}  on other {s['on_other']:3d} fr  {d}")
        if args.frames:
            _print_frames("kiosk_turn", sd, tr, track)
    never = sum(r["delay"] is None for r in rows)
    print(f"kiosk_turn, {len(rows)} seeds: kept {np.mean([r['kept'] for r in rows]):.1%}, "
          f"mean IoU {np.mean([r['mean_iou'] for r in rows]):.3f}, ID switches {sum(r['id_switches'] for r in rows)}, "
          f"never re-acquired {never}")


if __name__ == "__main__":
    main(sys.argv[1:])

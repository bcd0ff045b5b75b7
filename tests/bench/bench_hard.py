"""Identity through occlusion on the generated hard footage (tests/hard_footage.py), held-out seeds.

Prints, per scenario and overall: share of frames the subject is kept (box centre inside its
true box), mean IoU, identity switches (a stay of 5+ frames on someone else), and the median
confidence while the subject is hidden (it should be low) and while it is seen.
Goal (the issue): kept >= 90 %, mean IoU >= 0.6 through occlusions of up to 1.5 s.

Run: .venv/bin/python tests/bench/bench_hard.py [--seeds 4,5,6,7]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from stereosync_studio.analysis.tracking import track_clip  # noqa: E402
from tests.hard_footage import SCENARIOS, cached_hard_clip, score_track  # noqa: E402


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--seeds", default="4,5,6,7")
    args = ap.parse_args(argv if argv is not None else [])
    seeds = [int(x) for x in args.seeds.split(",")]
    cache = ROOT / "tests" / ".cache"
    rows = []
    for sc in SCENARIOS:
        per = []
        for sd in seeds:
            small = sc == "small"
            tr = cached_hard_clip(cache, sc, sd, size=(1920, 1080) if small else (960, 540),
                                  duration=4.0 if small else None)
            i0 = int(np.flatnonzero(np.isfinite(tr.boxes[:, 0]))[0])
            t0 = time.perf_counter()
            track = track_clip(tr.path, seed_box=tr.boxes[i0], seed_frame=i0)
            dt = time.perf_counter() - t0
            s = score_track(track.boxes, tr)
            hidden = tr.visible < 0.1
            s["conf_hidden"] = float(np.median(track.confidence[hidden])) if hidden.any() else float("nan")
            s["conf_seen"] = float(np.median(track.confidence[tr.visible > 0.9]))
            s["fps"] = tr.n_frames / dt
            per.append(s)
        rows += per
        k, m = np.mean([r["kept"] for r in per]), np.mean([r["mean_iou"] for r in per])
        sw = sum(r["id_switches"] for r in per)
        hid = [r["conf_hidden"] for r in per if not np.isnan(r["conf_hidden"])]
        ch = float(np.mean(hid)) if hid else float("nan")  # nan: nothing fully hidden in these seeds
        print(f"  {sc:16s} kept {k:5.1%}  IoU {m:.3f}  ID switches {sw:2d}  "
              f"conf hidden {ch:.2f} / seen {np.mean([r['conf_seen'] for r in per]):.2f}  "
              f"({np.mean([r['fps'] for r in per]):.0f} frames/s)  per seed kept "
              + " ".join(f"{r['kept']:.2f}" for r in per))
    print(f"hard footage, seeds {seeds}: kept {np.mean([r['kept'] for r in rows]):.1%}, "
          f"mean IoU {np.mean([r['mean_iou'] for r in rows]):.3f}, "
          f"ID switches {sum(r['id_switches'] for r in rows)} over {len(rows)} clips")


if __name__ == "__main__":
    main(sys.argv[1:])

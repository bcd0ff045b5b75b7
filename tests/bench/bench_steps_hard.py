"""Step recall/precision from the picture on hard motion, per motion, on tuning and held-out seeds.

Prints, for each motion of tests/hard_motion.py, the recall, precision and F1 (+-50 ms) of
`steps_from_motion` on the true boxes; `--detail` lists each clip's missed heel strikes and
extra contacts. The tuning seeds are the ones the detector's constants were chosen on; the
held-out seeds were only looked at for the final figures. Measured motion is cached in
tests/.cache/steps_hard/ (the motion pass is the slow part), so a detector change reruns in
seconds.

`--crf N` / `--bframes N` re-encode the same pictures one factor at a time (rough clips are
crf 32 with x264's default 3 B-frames); `--by-type` splits each witness's timing (flow alone,
pose alone, the detector) by the picture type (I/P/B, from PyAV) of the frame at the contact;
`--by-swing` splits the detector's timing by how fast the foot swings in the picture (the flow's
peak over the 0.4 s before the heel strike, below / above the motion's median), to tell whether
a small image motion is what makes a contact early; `--by-gop` splits it by how many frames
after the last I or P frame (the encoder's anchors) the heel strike falls.

Run: .venv/bin/python tests/bench/bench_steps_hard.py [--detail] [--seeds 20 21 ...] [--no-pose] [--rough]
     [--crf N] [--bframes N] [--by-type] [--by-swing] [--by-gop]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from stereosync_studio.analysis.foot_speed import flow_swing_speed  # noqa: E402
from stereosync_studio.analysis.motion import SubjectMotion, analyze_subjects  # noqa: E402
from stereosync_studio.analysis.steps_video import flow_contacts, pose_contacts, steps_from_motion  # noqa: E402
from stereosync_studio.core.track import Track  # noqa: E402
from stereosync_studio.metrics.onsets import onset_f1  # noqa: E402
from tests.hard_motion import MOTIONS, VERSION, cached_motion_clip, picture_types, scored  # noqa: E402

TUNING_SEEDS = (10, 11, 12, 13)
HELD_OUT_SEEDS = (20, 21, 22, 23, 24, 25)
CACHE = ROOT / "tests" / ".cache"


def measured(motion: str, seed: int, use_pose: bool = True, rough: bool = False,
             encode: tuple[int | None, int | None] = (None, None)) -> tuple[SubjectMotion, list[float]]:
    """The measured motion of one generated clip (cached as .npz) and its heel strikes;
    `encode`: (crf, B-frames), None for the default."""
    truth = cached_motion_clip(CACHE, motion, seed, rough=rough, crf=encode[0], bframes=encode[1])
    d = CACHE / "steps_hard"
    d.mkdir(parents=True, exist_ok=True)
    f = d / f"{motion}_{seed}_v{VERSION}_{'pose' if use_pose else 'flow'}_{Path(truth.path).stem}.npz"
    if f.is_file():
        z = np.load(f)
        m = SubjectMotion(float(z["fps"]), z["times"], z["boxes"], z["flow"],
                          z["pose"] if z["pose"].ndim == 3 else None, int(z["width"]), int(z["height"]))
    else:
        m = analyze_subjects(truth.path, [Track(truth.boxes)], use_pose)[0]
        np.savez_compressed(f, fps=m.fps, times=m.times, boxes=m.boxes, flow=m.flow,
                            pose=m.pose if m.pose is not None else np.zeros(0), width=m.width, height=m.height)
    return m, list(truth.step_times)


def timing_by_type(motion: str, seeds: tuple[int, ...], rough: bool, encode: tuple) -> dict:
    """{witness: {picture type: [signed errors s]}} of the contacts within 100 ms of a heel strike,
    by the type of the first frame at or after the contact."""
    out: dict = {}
    for seed in seeds:
        m, all_truth = measured(motion, seed, True, rough, encode)
        types = picture_types(cached_motion_clip(CACHE, motion, seed, rough=rough, crf=encode[0],
                                                 bframes=encode[1]).path)
        for name, fn in (("flow", flow_contacts), ("pose", pose_contacts), ("detector", steps_from_motion)):
            found, truth = scored([t for t, _ in fn(m)], all_truth)
            fd = np.asarray(found)
            for t in truth:
                if len(fd) and np.min(np.abs(fd - t)) < 0.1:
                    c = float(fd[np.argmin(np.abs(fd - t))])
                    kind = types[min(int(np.ceil(c * m.fps - 1e-6)), len(types) - 1)]
                    out.setdefault(name, {}).setdefault(kind, []).append(c - t)
    return out


def timing_by_swing(motion: str, seeds: tuple[int, ...], rough: bool, encode: tuple) -> str:
    """One line: the detector's signed timing errors (contacts within 150 ms of a heel strike)
    split by the flow's swing peak (box heights/s) over the 0.4 s before the strike."""
    err, peak = [], []
    for seed in seeds:
        m, all_truth = measured(motion, seed, True, rough, encode)
        found, truth = scored([t for t, _ in steps_from_motion(m)], all_truth)
        fd, flow = np.asarray(found), flow_swing_speed(m)
        for t in truth:
            w = (m.times > t - 0.4) & (m.times <= t + 0.02) & np.isfinite(flow)
            if len(fd) and np.min(np.abs(fd - t)) < 0.15 and w.any():
                err.append(float(fd[np.argmin(np.abs(fd - t))] - t))
                peak.append(float(flow[w].max()))
    if len(err) < 4:
        return "too few contacts"
    e, p = np.asarray(err), np.asarray(peak)
    slow = p < np.median(p)
    cells = [f"{name} swing (peak {np.median(p[sel]):.2f}) n {sel.sum():3d} med {np.median(e[sel]) * 1000:+4.0f} ms "
             f"sd {np.std(e[sel]) * 1000:3.0f} hit {np.mean(np.abs(e[sel]) <= 0.05):.2f}"
             for name, sel in (("slow", slow), ("fast", ~slow))]
    return " | ".join(cells) + f" | corr(err, peak) {np.corrcoef(e, p)[0, 1]:+.2f}"


def timing_by_gop(motion: str, seeds: tuple[int, ...], rough: bool, encode: tuple) -> str:
    """One line: the detector's signed timing errors (contacts within 150 ms of a heel strike)
    by the frames between the last anchor (I/P frame) at or before the strike and the strike."""
    by: dict[int, list[float]] = {}
    for seed in seeds:
        m, all_truth = measured(motion, seed, True, rough, encode)
        types = picture_types(cached_motion_clip(CACHE, motion, seed, rough=rough, crf=encode[0],
                                                 bframes=encode[1]).path)
        anchors = np.array([i for i, k in enumerate(types) if k in "IP"])
        found, truth = scored([t for t, _ in steps_from_motion(m)], all_truth)
        fd = np.asarray(found)
        for t in truth:
            before = anchors[anchors <= t * m.fps]
            if len(fd) and np.min(np.abs(fd - t)) < 0.15 and len(before):
                by.setdefault(int(t * m.fps - before[-1]), []).append(float(fd[np.argmin(np.abs(fd - t))] - t))
    return " | ".join(f"+{k} fr n {len(v):3d} med {np.median(v) * 1000:+4.0f} ms hit {np.mean(np.abs(v) <= 0.05):.2f}"
                      for k, v in sorted(by.items()))


def score(motion: str, seeds: tuple[int, ...], use_pose: bool = True, detail: bool = False,
          rough: bool = False, encode: tuple[int | None, int | None] = (None, None)) -> dict:
    """Pooled recall/precision/F1 over `seeds` (matches summed over clips)."""
    matched = n_found = n_true = 0
    for seed in seeds:
        m, all_truth = measured(motion, seed, use_pose, rough, encode)
        found, truth = scored([t for t, _ in steps_from_motion(m, use_pose)], all_truth)
        f = onset_f1(found, truth, 0.05)
        matched += f["matched"]
        n_found += len(found)
        n_true += len(truth)
        if detail:
            tr, fd = np.asarray(truth), np.asarray(found)
            miss = [t for t in tr if not len(fd) or np.min(np.abs(fd - t)) > 0.05]
            extra = [t for t in fd if not len(tr) or np.min(np.abs(tr - t)) > 0.05]
            print(f"    {motion:11s} seed {seed}: R {f['recall']:.2f} P {f['precision']:.2f}  "
                  f"missed {np.round(miss, 2).tolist()}  extra {np.round(extra, 2).tolist()}")
            err = [float(fd[np.argmin(np.abs(fd - t))] - t) for t in tr if len(fd) and np.min(np.abs(fd - t)) < 0.15]
            if err:
                print(f"      timing error (near ones) median {np.median(err) * 1000:+.0f} ms")
    r = matched / max(n_true, 1)
    p = matched / max(n_found, 1)
    return {"recall": r, "precision": p, "f1": 0.0 if r + p == 0 else 2 * r * p / (r + p)}


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--detail", action="store_true")
    ap.add_argument("--no-pose", action="store_true")
    ap.add_argument("--rough", action="store_true", help="small, noisy, heavily compressed clips")
    ap.add_argument("--seeds", type=int, nargs="*")
    ap.add_argument("--crf", type=int, help="re-encode at this crf (default 32 rough, 18 normal)")
    ap.add_argument("--bframes", type=int, help="re-encode with this many B-frames (default: x264's)")
    ap.add_argument("--by-type", action="store_true", help="timing of each witness by picture type")
    ap.add_argument("--by-swing", action="store_true", help="detector timing by the foot's swing speed")
    ap.add_argument("--by-gop", action="store_true", help="detector timing by frames after the last I/P frame")
    ap.add_argument("--motions", nargs="*", default=list(MOTIONS))
    args = ap.parse_args(argv if argv is not None else [])
    groups = [("chosen", tuple(args.seeds))] if args.seeds else [("tuning", TUNING_SEEDS),
                                                                   ("held-out", HELD_OUT_SEEDS)]
    for name, seeds in groups:
        enc = (args.crf, args.bframes)
        print(f"{name} seeds {list(seeds)} ({'flow only' if args.no_pose else 'pose + flow'}"
              f"{', rough clips' if args.rough else ''}"
              f"{'' if enc == (None, None) else f', crf {args.crf} B-frames {args.bframes} (None: default)'}):")
        for motion in args.motions:
            s = score(motion, seeds, not args.no_pose, args.detail, args.rough, enc)
            print(f"  {motion:11s} recall {s['recall']:.2f}  precision {s['precision']:.2f}  F1 {s['f1']:.2f}")
            if args.by_type:
                for witness, by in timing_by_type(motion, seeds, args.rough, enc).items():
                    cells = [f"{k} n {len(v):3d} med {np.median(v) * 1000:+4.0f} ms hit {np.mean(np.abs(v) <= 0.05):.2f}"
                             for k, v in sorted(by.items())]
                    print(f"      {witness:8s} " + " | ".join(cells))
            if args.by_swing:
                print("      " + timing_by_swing(motion, seeds, args.rough, enc))
            if args.by_gop:
                print("      " + timing_by_gop(motion, seeds, args.rough, enc))


if __name__ == "__main__":
    main(sys.argv[1:])

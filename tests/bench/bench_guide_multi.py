"""Several subjects, one guide track: each subject's own footsteps out of a guide both walk in.

Two walkers (the "two" scene: the second 2.2 m behind the first) with heel-toe doubles,
scuffs and crunches, under speech 8-10 dB above the steps or alone. Per subject, with its
envelope from the picture alone (`--envelope video`) and from the guide (`auto`: the guide's
transients told apart by where each one's feet land, `jobs.footstep_guides`): step F1 against
its own walker's true steps, F1 against the other walker's (how much of the other it took),
the median timing error, and E-L1 against its own walker's clean footsteps over their
silence baseline (the papers' measure: the picture's envelope has no real level).

Run: .venv/bin/python tests/bench/bench_guide_multi.py [--seeds 0,1,2,3,4]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.busy_guide import busy_walker_clip, mix_guide  # noqa: E402

CACHE = ROOT / "tests" / ".cache"


def subject_figures(mix: str, seeds: list[int]) -> dict[str, dict[str, float]]:
    """{mode: mean figures over every subject of every seed} for `mix`."""
    from stereosync_studio.analysis.detect import iou
    from stereosync_studio.dsp.rms import envelope_l1, rms_envelope
    from stereosync_studio.jobs.subjects import analyze_multi
    from stereosync_studio.metrics.onsets import onset_f1

    def owner(track, walkers) -> int:
        return int(np.argmax([np.mean([iou(a, b) for a, b in zip(track.boxes, w) if np.isfinite(a[0])] or [0.0])
                              for w in walkers]))

    rows: dict[str, list[tuple[float, float, float, float]]] = {"video": [], "auto": []}
    for seed in seeds:
        g = busy_walker_clip(CACHE, "two", seed, mix)
        alone = mix_guide(g.walker, seed, mix)["clean_per_walker"]
        for mode in rows:
            project = analyze_multi(g.path, models_dir=tempfile.mkdtemp(), envelope=mode)
            for s in project.sources:
                w = owner(s.track, g.walker.boxes_per_walker)
                steps = np.asarray(s.envelope.steps() or [])
                own, other = g.step_times_per_walker[w], g.step_times_per_walker[1 - w]
                err = np.median([np.min(np.abs(steps - t)) for t in own]) if len(steps) else np.nan
                clean = rms_envelope(alone[w], g.sample_rate)
                rows[mode].append((onset_f1(steps, own)["f1"], onset_f1(steps, other)["f1"], float(err),
                                   envelope_l1(s.envelope.values, clean) / float(np.mean(clean))))
    return {mode: dict(zip(("f1", "f1_other", "err_s", "el1"), np.nanmean(np.asarray(v), axis=0)))
            for mode, v in rows.items()}


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", default="0,1,2,3,4")
    args, _ = ap.parse_known_args(argv)  # run_all passes its own filter words
    seeds = [int(x) for x in args.seeds.split(",")]
    for mix in ("clean", "speech"):
        for mode, f in subject_figures(mix, seeds).items():
            print(f"two walkers, {mix:6s} guide, envelope {mode:5s}: step F1 {f['f1']:.3f} (the other walker's "
                  f"{f['f1_other']:.2f}), timing {1000 * f['err_s']:.1f} ms median, E-L1 / silence {f['el1']:.2f}",
                  flush=True)


if __name__ == "__main__":
    main()

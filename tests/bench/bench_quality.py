"""End-to-end quality figures on generated walker clips, through the `stereosync` CLI only.

Prints, per scenario: tracking IoU against the true boxes (analysis JSON), and for takes
rendered from the guide envelope with a different reference (snow over a gravel guide):
E-L1 ratio (take vs guide, over silence vs guide), spatial alignment, and step-onset F1 of
the take against the true step times. Driving only the CLI keeps the figures comparable
across refactors (run this file against an older checkout to get its "before").
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

import numpy as np
import soundfile as sf

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from stereosync_studio.analysis.detect import iou  # noqa: E402
from stereosync_studio.cli import main as cli  # noqa: E402
from tests.walker import cached_walker_clip  # noqa: E402

FOOTSTEPS = ROOT / "tests" / "data" / "footsteps"
SCENARIOS = ("crossing", "zigzag", "approaching")
SEEDS = (0, 1)


def figures(scenario: str, work: Path) -> dict[str, float]:
    gravel = sorted(str(p) for p in FOOTSTEPS.rglob("*gravel*.ogg"))
    snow = str(ROOT / "resources" / "samples" / "snow")
    truth = cached_walker_clip(ROOT / "tests" / ".cache", scenario=scenario, duration=6.0, fps=25, size=(640, 360),
                               guide_reference=gravel, seed=1)
    a = work / f"{scenario}.json"
    assert cli(["-q", "analyze", truth.path, "-o", str(a)]) == 0
    frames = json.loads(a.read_text())["frames"]
    ious = [iou(f["box"], truth.boxes[i]) if f["box"] else 0.0 for i, f in enumerate(frames)]
    out = work / scenario
    e, al, f1 = [], [], []
    for seed in SEEDS:
        assert cli(["-q", "render", truth.path, "--reference", snow, "--envelope", "audio", "--seed", str(seed),
                    "-o", str(out)]) == 0
    project = json.loads(next(out.glob("*.stereosync.json")).read_text())
    from stereosync_studio.metrics.onsets import onset_f1
    try:
        from stereosync_studio.dsp.onsets import detect_step_onsets
    except ImportError:
        from stereosync_studio.metrics.onsets import detect_step_onsets
    for take in project["sources"][0]["takes"]:
        m = take["metrics"]
        e.append(m["e_l1_ratio"])
        al.append(m["spatial_alignment"])
        audio, sr = sf.read(out / Path(take["path"]).name, always_2d=True)
        det = np.asarray(detect_step_onsets(audio.T.astype(np.float32), sr))
        f1.append(onset_f1(det, np.asarray(truth.step_times))["f1"])
    return {"iou": float(np.mean(ious)), "e_l1_ratio": float(np.mean(e)), "align": float(np.mean(al)),
            "step_f1": float(np.mean(f1))}


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        for scenario in SCENARIOS:
            f = figures(scenario, Path(tmp))
            print(f"{scenario:12s} tracking IoU {f['iou']:.3f}  E-L1 ratio {f['e_l1_ratio']:.3f}  "
                  f"spatial alignment {f['align']:.3f}  step F1 {f['step_f1']:.3f}", flush=True)


if __name__ == "__main__":
    main()

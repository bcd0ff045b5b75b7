"""Render the bundled demo clip: a drawn character walking across and towards the camera.

The guide track is mixed from the bundled CC-BY "hard floor" footsteps (resources/samples/hard),
so the demo needs nothing outside the repository. Usage: python scripts/make_demo.py --out resources/demo
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.walker import make_walker_clip  # noqa: E402  (the generator the tests use)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(ROOT / "resources" / "demo"))
    ap.add_argument("--seconds", type=float, default=8.0)
    args = ap.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    guide = sorted(str(p) for p in (ROOT / "resources" / "samples" / "hard").glob("*.ogg"))
    truth = make_walker_clip(out / "demo.mp4", scenario="diagonal", duration=args.seconds, fps=25,
                             size=(960, 540), guide_reference=guide, seed=7)
    truth.save_json(out / "demo_truth.json")
    print(f"wrote {out / 'demo.mp4'} ({truth.n_frames} frames, {len(truth.step_times)} steps)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Peak resident memory per clip minute of analysis, rendering 2 takes and opening the Studio, on
a long 1080p clip.

Each job runs in its own process (tests/memory_probe.py); the clip is tests/long_clip.py's
10-minute 1080p clip (4 frames/s: frames cost time, length costs memory). Goal (the issue):
each within 1.5 GB on a 10-minute clip. Prints the whole-job figures, the analysis without the
picture-motion pass (envelope from the guide's footsteps alone), and tracking + guide reading
alone (what analysis holds besides the guide's and the picture's step analyses), and the Studio
opening the rendered project offscreen (guide, selected take, metrics loaded).

Run: .venv/bin/python tests/bench/bench_memory.py [--minutes 10]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.long_clip import long_clip  # noqa: E402


def probe(*args: str) -> dict:
    out = subprocess.run([sys.executable, "-m", "tests.memory_probe", *args], cwd=ROOT, capture_output=True,
                         text=True, timeout=1800)
    line = [ln for ln in out.stdout.splitlines() if ln.startswith("{")]
    if out.returncode or not line:
        raise RuntimeError(f"memory probe {args[0]} failed:\n{out.stderr[-2000:]}")
    return json.loads(line[-1])


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--minutes", type=float, default=10.0)
    args = ap.parse_args(argv if argv is not None else [])
    clip = long_clip(ROOT / "tests" / ".cache", minutes=args.minutes)
    mins = args.minutes
    d = Path(tempfile.mkdtemp())
    try:
        rows = [("analysis (default: guide + picture)", probe("analyze", str(clip), str(d / "a.json")))]
        rows.append(("analysis (guide footsteps, no picture)", probe("analyze", str(clip), str(d / "p.json"), "guide")))
        rows.append(("tracking + reading the guide track", probe("track", str(clip))))
        rows.append(("render 2 takes (+ metrics, WAV)", probe("render", str(d / "p.json"), str(d / "takes"), "2",
                                                              str(d / "p2.stereosync.json"))))
        rows.append(("Studio opens the project (2 takes)", probe("studio", str(d / "p2.stereosync.json"))))
        print(f"long clip: {clip.name}, {mins:g} min 1080p")
        for name, r in rows:
            print(f"  {name:38s} peak {r['peak_mb']:7.0f} MB  ({r['peak_mb'] / mins:6.1f} MB per clip minute; "
                  f"{r['seconds']:.0f} s)  {'OK' if r['peak_mb'] <= 1536 else 'over 1.5 GB'}")
    finally:
        shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    main(sys.argv[1:])

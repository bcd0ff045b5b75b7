"""From opening a clip to its first take: analysis + one take, against the clip's duration.

Goal (the issue): >= 4x real time. Uses an 8 s 1080p walker clip with a guide track (like the
demo), in a fresh process so start-up (imports, model loading) counts as a designer feels it.

Run: .venv/bin/python tests/bench/bench_first_take.py
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.walker import cached_walker_clip  # noqa: E402

_JOB = """
import sys, tempfile, time
t0 = time.perf_counter()
from stereosync_studio import jobs
p = jobs.analyze_clip(sys.argv[1])
t1 = time.perf_counter()
jobs.render_takes(p, tempfile.mkdtemp(), n_takes=1, seed=1)
print(f"{t1 - t0:.3f} {time.perf_counter() - t1:.3f}")
"""


def main(argv: list[str] | None = None) -> None:
    cache = ROOT / "tests" / ".cache"
    for size, dur in (((1920, 1080), 8.0),):
        truth = cached_walker_clip(cache, scenario="diagonal", duration=dur, fps=25, size=size, seed=1)
        t0 = time.perf_counter()
        out = subprocess.run([sys.executable, "-c", _JOB, truth.path], cwd=ROOT, capture_output=True, text=True)
        total = time.perf_counter() - t0
        if out.returncode:
            raise RuntimeError(out.stderr[-2000:])
        a, r = (float(x) for x in out.stdout.split()[-2:])
        print(f"clip to first take, {size[0]}x{size[1]} {dur:g} s: {total:5.1f} s wall "
              f"(analysis {a:.1f} s, one take {r:.1f} s, start-up {total - a - r:.1f} s) = "
              f"{dur / total:4.2f}x real time")


if __name__ == "__main__":
    main(sys.argv[1:])

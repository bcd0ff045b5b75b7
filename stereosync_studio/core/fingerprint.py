"""What a take was made from: one short, stable hash per input of a render.

`render_takes` stores `source_fingerprint(...)` in each new take (`TakeInfo.made_from`); the
Studio compares it with the source as it is now, so a take made from an older envelope,
trajectory, box, reference or engine setting says so, and its scores are recomputed against
the current lanes. The hashes survive saving: values are quantised exactly as the project file
rounds them (envelope 5 decimals, pan/distance 4, boxes 2), so a project reopened from disk
gives the same fingerprints. The trajectory part covers the pan law (fps, lens or screen
mapping) with the curves. The reference is hashed by its folder and file names and its text
prompt, surface regions included (a moved project folder keeps them), not by reading files.
The envelope part covers its values, its events and the steps an analysis found in it.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import numpy as np

PARTS = ("envelope", "trajectory", "box", "reference", "engine")
TARGET = ("envelope", "trajectory", "box")  # what E-L1 and Align are measured against
LABELS = {"envelope": "envelope", "trajectory": "pan/distance", "box": "box", "reference": "reference",
          "engine": "engine settings"}


def _digest(*chunks: bytes | str) -> str:
    h = hashlib.sha1()
    for c in chunks:
        h.update(c.encode() if isinstance(c, str) else c)
        h.update(b"|")
    return h.hexdigest()[:16]


def _quantised(values: Any, digits: int) -> bytes:
    """`values` rounded to `digits` decimals as the project file writes them, as int64 bytes.

    The file rounds with Python's `round`, which the exact binary value decides: -0.31875 is
    written -0.3187, while `rint(-0.31875 * 1e4)` meets an exact tie and gives -3188. Such
    ties are common (a box's edge over the frame width), so they are rounded as the file
    does; otherwise a take saved and reopened looked made from an older pan."""
    a = np.asarray(values, np.float64)
    scale = 10.0 ** digits
    x = a * scale
    q = np.rint(x)
    with np.errstate(invalid="ignore"):  # inf - trunc(inf)
        tie = np.isfinite(x) & (np.abs(np.abs(x - np.trunc(x)) - 0.5) < 1e-6)
    if tie.any():
        q[tie] = np.rint(np.array([round(float(v), digits) for v in a[tie]]) * scale)
    q[~np.isfinite(q)] = -(2 ** 62)  # NaN rows (a box not seen) hash alike
    return q.astype(np.int64).tobytes()


def _names(ref) -> list:
    """A reference by its folder and file names and its text prompt."""
    return [Path(ref.path).name if ref.path else "", sorted(Path(f).name for f in ref.files), ref.text]


def _json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def source_fingerprint(project, source, engine: str | None = None,
                       options: dict[str, Any] | None = None) -> dict[str, str]:
    """{part: hash} of what a take of `source` would be made from now (see PARTS).

    `engine` and `options` are what a render uses beyond the source's own engine and options."""
    env = source.envelope.with_duration(project.clip.duration)
    events = None if env.events is None else [float(t) for t in env.events]
    # the guide's steps (`found`) place the steps when there are no events: a guide analysed
    # again with other steps makes older takes stale (hashed only when present, so takes of
    # envelopes without found steps keep their fingerprints)
    found = () if env.found is None else (b"found", _quantised(env.found, 5))
    traj = source.trajectory
    lens = {k: v for k, v in traj.to_dict().items() if k not in ("pan", "distance", "follow_box")}  # fps, pan law
    boxes = np.asarray(source.track.boxes, np.float64).copy()
    boxes[np.isnan(boxes[:, 0])] = np.nan
    opts = dict(source.engine_options)
    opts.update(options or {})
    return {
        "envelope": _digest(_quantised(env.values.astype(np.float32), 5), _json(events), repr(float(env.rate)),
                            *found),
        "trajectory": _digest(_quantised(traj.pan, 4), _quantised(traj.distance, 4), _json(lens)),
        "box": _digest(_quantised(boxes, 2), str(project.clip.width), str(project.clip.height)),
        "reference": _digest(_json([_names(source.reference)] + [[float(r.start), float(r.end), _names(r.reference)]
                                                                 for r in getattr(source, "surfaces", [])])),
        "engine": _digest(engine or source.engine, _json(opts)),
    }


def target_key(fingerprint: dict[str, str]) -> str:
    """One key for what the metrics are measured against ('' when unknown)."""
    if not all(p in fingerprint for p in TARGET):
        return ""
    return "-".join(fingerprint[p] for p in TARGET)


def changed_parts(made_from: dict[str, str], now: dict[str, str]) -> tuple[str, ...]:
    """The parts a take was made from that differ now (empty when it is current or unknown)."""
    return tuple(p for p in PARTS if p in made_from and p in now and made_from[p] != now[p])


def describe(parts: tuple[str, ...]) -> str:
    """'an older envelope and box' for ('envelope', 'box')."""
    names = [LABELS.get(p, p) for p in parts]
    if not names:
        return ""
    text = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    return f"an older {text}"


__all__ = ["LABELS", "PARTS", "TARGET", "changed_parts", "describe", "source_fingerprint", "target_key"]

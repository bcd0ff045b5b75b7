"""Surfaces along a clip: time regions of one subject, each with its own reference sound.

Why: a walker crossing from grass onto gravel needs two surfaces in one take. A region is
[start, end) in seconds; each step draws its sound from the region its onset falls in, and
steps outside every region use the subject's own reference. Regions of one subject may not
overlap and must lie inside the clip: `region_problem` says which ones do not, naming them
the way the user wrote them (`gravel@4.2-9` or `surfaces[1]`), for the CLI, the project
file check and the render job alike. `parse_region` reads the CLI's `PATH@START-END`.
"""

from __future__ import annotations

import re

__all__ = ["parse_region", "region_label", "region_problem"]

_SPAN = re.compile(r"^\s*(\d+(?:\.\d*)?|\.\d+)\s*-\s*(\d+(?:\.\d*)?|\.\d+)\s*$")


def parse_region(text: str) -> tuple[str, float, float] | None:
    """`PATH@START-END` -> (path, start, end); None when `text` has no `@START-END` tail
    (a plain path, which may itself contain '@')."""
    if "@" not in text:
        return None
    path, span = text.rsplit("@", 1)
    m = _SPAN.match(span)
    if not m or not path:
        return None
    return path, float(m.group(1)), float(m.group(2))


def region_label(path: str, start: float, end: float) -> str:
    """How a region is named in messages: `name@start-end`."""
    name = re.split(r"[\\/]", path.rstrip("/\\"))[-1] or path
    return f"{name}@{start:g}-{end:g}"


def region_problem(regions: list[tuple[str, float, float]], duration: float | None = None,
                   tolerance: float = 1e-3) -> str | None:
    """None when the (label, start, end) regions are valid, else one sentence naming the bad ones.

    A region must start before it ends, start at 0 s or later, end by the clip's end (when
    `duration` is known) and overlap no other region."""
    for label, start, end in regions:
        if not (start == start and end == end):  # NaN
            return f"surface region {label}: start and end must be numbers"
        if start < 0:
            return f"surface region {label} starts before the clip (at {start:g} s)"
        if end <= start:
            return f"surface region {label} ends before it starts ({start:g} s to {end:g} s)"
        if duration is not None and end > duration + tolerance:
            return f"surface region {label} ends after the clip ({end:g} s > {duration:.2f} s)"
    order = sorted(regions, key=lambda r: (r[1], r[2]))
    for (la, sa, ea), (lb, sb, eb) in zip(order, order[1:]):
        if sb < ea - tolerance:
            return (f"surface regions {la} and {lb} overlap ({sb:g} s to {min(ea, eb):g} s): "
                    "each moment of a subject has one surface")
    return None

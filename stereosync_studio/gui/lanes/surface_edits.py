"""Qt-free edits of a subject's surface regions, as the Surface lane makes them.

Why apart from the lane: every gesture (drag an edge, add, split, delete) is a pure function
from the old list of `SurfaceRegion`s to the new one, so it is tested with numbers and the
lane only draws and commits. Edges snap to nearby targets (other edges, steps, the playhead)
and to the frame grid, never cross a neighbour and stay inside the clip, so a drag cannot
make an overlap; `jobs.check_surfaces` still checks every commit (a loaded file may be bad).
"""

from __future__ import annotations

import copy

from ...core.project import Reference, SurfaceRegion

__all__ = ["TOUCH_S", "add_region", "delete_region", "edge_at", "gap_around", "move_edge", "region_at",
           "region_name", "snap", "split_region"]

TOUCH_S = 1e-3  # regions closer than this share their boundary: dragging it moves both


def region_name(region: SurfaceRegion) -> str:
    """The region's name: its reference file or folder (without the folders above it)."""
    path = region.reference.path or (region.reference.files[0] if region.reference.files else "")
    name = path.rstrip("/\\").replace("\\", "/").rsplit("/", 1)[-1]
    return name or "no reference"


def _sorted(regions: list[SurfaceRegion]) -> list[SurfaceRegion]:
    return sorted(copy.deepcopy(list(regions)), key=lambda r: (r.start, r.end))


def region_at(regions: list[SurfaceRegion], t: float) -> int | None:
    """Index (in `regions`) of the region holding time `t`, or None."""
    for i, r in enumerate(regions):
        if r.start <= t < r.end:
            return i
    return None


def edge_at(regions: list[SurfaceRegion], t: float, tolerance: float) -> tuple[int, str] | None:
    """(index, "start" | "end") of the region edge nearest `t` within `tolerance` s, or None.
    A boundary two regions share is reported as the left region's end."""
    best: tuple[float, int, str] | None = None
    for i, r in enumerate(regions):
        for side, x in (("end", r.end), ("start", r.start)):  # "end" first: wins a shared boundary
            d = abs(x - t)
            if d <= tolerance and (best is None or d < best[0] - 1e-9):
                best = (d, i, side)
    return None if best is None else (best[1], best[2])


def snap(t: float, targets: list[float], tolerance: float, fps: float | None = None) -> float:
    """`t` moved onto the nearest target within `tolerance`, else onto the frame grid."""
    near = [x for x in targets if abs(x - t) <= tolerance]
    if near:
        return float(min(near, key=lambda x: abs(x - t)))
    if fps:
        return round(t * fps) / fps
    return float(t)


def move_edge(regions: list[SurfaceRegion], index: int, side: str, t: float, duration: float,
              min_length: float) -> list[SurfaceRegion]:
    """The regions with edge `side` of region `index` moved to `t`, clamped so that it keeps
    `min_length`, crosses no neighbour and stays in [0, duration]. A boundary shared with the
    neighbour moves for both (grass ends where gravel starts)."""
    out = copy.deepcopy(list(regions))
    r = out[index]
    others = [o for j, o in enumerate(out) if j != index]
    if side == "start":
        partner = next((o for o in others if abs(o.end - r.start) <= TOUCH_S), None)
        lo = max([0.0] + [o.end for o in others if o.end <= r.start + TOUCH_S and o is not partner])
        if partner is not None:
            lo = max(lo, partner.start + min_length)
        new = min(max(t, lo), r.end - min_length)
        r.start = new
        if partner is not None:
            partner.end = new
    else:
        partner = next((o for o in others if abs(o.start - r.end) <= TOUCH_S), None)
        hi = min([float(duration)] + [o.start for o in others if o.start >= r.end - TOUCH_S and o is not partner])
        if partner is not None:
            hi = min(hi, partner.end - min_length)
        new = max(min(t, hi), r.start + min_length)
        r.end = new
        if partner is not None:
            partner.start = new
    return out


def gap_around(regions: list[SurfaceRegion], t: float, duration: float) -> tuple[float, float] | None:
    """The free stretch (no region) holding `t`, or None when `t` lies in a region."""
    if region_at(regions, t) is not None or not 0.0 <= t <= duration:
        return None
    lo = max([0.0] + [r.end for r in regions if r.end <= t])
    hi = min([float(duration)] + [r.start for r in regions if r.start > t])
    return (lo, hi) if hi - lo > TOUCH_S else None


def add_region(regions: list[SurfaceRegion], start: float, end: float, reference: Reference,
               duration: float) -> list[SurfaceRegion]:
    """A new region over [start, end], trimmed to the free stretch it starts in (ValueError when
    there is none: the time is already another region's)."""
    a, b = sorted((float(start), float(end)))
    a = min(max(a, 0.0), float(duration))
    gap = gap_around(regions, a, duration)
    if gap is None:
        raise ValueError(f"{a:.2f} s already lies in a surface region: split or delete that one first")
    a, b = max(a, gap[0]), min(b, gap[1])
    if b - a <= TOUCH_S:
        raise ValueError("the new surface region would be empty")
    return _sorted(list(regions) + [SurfaceRegion(a, b, copy.deepcopy(reference))])


def split_region(regions: list[SurfaceRegion], t: float, min_length: float) -> list[SurfaceRegion]:
    """The region holding `t` cut in two at `t` (both keep its reference); ValueError when no
    region holds `t` or a part would be shorter than `min_length`."""
    i = region_at(regions, t)
    if i is None:
        raise ValueError(f"no surface region at {t:.2f} s to split")
    r = regions[i]
    if t - r.start < min_length or r.end - t < min_length:
        raise ValueError(f"{t:.2f} s is too close to an edge of {region_name(r)} to split it there")
    out = copy.deepcopy(list(regions))
    right = copy.deepcopy(out[i])
    out[i].end, right.start = float(t), float(t)
    return _sorted(out + [right])


def delete_region(regions: list[SurfaceRegion], index: int) -> list[SurfaceRegion]:
    out = copy.deepcopy(list(regions))
    del out[index]
    return out

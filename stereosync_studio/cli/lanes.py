"""The `analyze`/`render` options that shape a source's lanes: pan mapping, surfaces, the guide.

* `--pan screen|lens`, `--pan-width PERCENT`, `--hfov DEG`: how the box's place on screen
  becomes a pan (screen width by default: the frame's edges are full left/right).
* `--reference PATH` (the subject's sound) and `--reference PATH@START-END` (repeatable: a
  surface region, e.g. grass 0-4.2 s then gravel 4.2-8 s); bad regions end in one line
  naming them.
* After analysis, the guide track's verdict (steps kept, transients rejected, or "the guide
  holds no footsteps: the steps come from the picture") is printed as a note.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

__all__ = ["add_pan_args", "apply_pan", "apply_references", "pan_settings", "print_guide_note", "ENVELOPE_HELP"]

ENVELOPE_HELP = ("auto | audio | video | none | FILE.wav (a performed envelope: any audio file) | FILE.csv "
                 "(auto: the footsteps of the guide track, fused with the picture; the picture's steps "
                 "when the guide holds none)")


def _percent(text: str) -> float:
    try:
        value = float(text.rstrip("%"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of percent") from None
    if not 0.0 <= value <= 100.0:
        raise argparse.ArgumentTypeError(f"{value:g} is not between 0 and 100 %")
    return value


def add_pan_args(p: argparse.ArgumentParser, hfov_default: float | None) -> None:
    p.add_argument("--pan", choices=["screen", "lens"], default=None,
                   help="screen (default): the frame's edges are full left/right, as on a mixing stage; "
                        "lens: the direction through the camera's lens (--hfov)")
    p.add_argument("--pan-width", type=_percent, default=None, metavar="PERCENT",
                   help="screen panning: how far out the frame's edges are heard (0-100, default 100)")
    p.add_argument("--hfov", type=float, default=hfov_default,
                   help="camera horizontal field of view (deg), for --pan lens")


def pan_settings(args) -> tuple[str, float]:
    """(pan mode, width 0..1) the arguments ask for (defaults: screen, 100 %)."""
    return args.pan or "screen", (100.0 if args.pan_width is None else args.pan_width) / 100.0


def apply_pan(project, args) -> None:
    """A loaded project's trajectories under the pan mapping the arguments name (only when given)."""
    from .. import jobs

    if args.pan is None and args.pan_width is None and not args.hfov:
        return
    for s in project.sources:
        mode = args.pan or s.trajectory.pan_mode
        width = s.trajectory.pan_width if args.pan_width is None else args.pan_width / 100.0
        s.trajectory = jobs.with_pan_mapping(s.trajectory, s.track, project.clip, mode, width, args.hfov or None)


def apply_references(project, items: list[str]) -> None:
    """`--reference PATH` sets each subject's sound, `--reference PATH@START-END` adds a surface
    region; regions replace the subject's regions and are checked against the clip (the files
    themselves were checked before the analysis: `preflight.check_references`)."""
    from .. import jobs
    from ..core.project import Reference, SurfaceRegion
    from ..core.surfaces import parse_region

    plain = [i for i in items if parse_region(i) is None]
    regions = []
    for item in items:
        parsed = parse_region(item)
        if parsed is not None:
            path, start, end = parsed
            regions.append(SurfaceRegion(start, end, Reference(str(Path(path).resolve()))))
    for s in project.sources:
        if plain:
            s.reference = Reference(str(Path(plain[0]).resolve()))
        if regions:
            s.surfaces = [SurfaceRegion(r.start, r.end, Reference(r.reference.path)) for r in regions]
        jobs.check_surfaces(s.surfaces, project.clip.duration, "--reference")


def print_guide_note(project, quiet: bool = False) -> None:
    """The guide track's verdict on stderr (kept steps, rejected transients, or no footsteps)."""
    if quiet:
        return
    own = [(s.name, s.guide_report) for s in project.sources if s.guide_report is not None]
    for name, report in own or [("", getattr(project, "guide_report", None))]:  # several subjects: each one's
        if report is not None and report.message:
            print(f"stereosync: guide track{f' ({name})' if name else ''}: {report.message}", file=sys.stderr)

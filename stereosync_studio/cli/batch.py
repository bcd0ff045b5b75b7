"""`stereosync batch CLIPS_DIR --reference REF -o OUT`: render a whole folder of clips.

A face: it parses the arguments and reports; the work is `jobs.batch.batch_render` (which
runs `render_clip` here, in worker processes, or on a Ray cluster with `--ray`).
"""

from __future__ import annotations

import argparse
import sys


def add_batch_parser(subparsers) -> argparse.ArgumentParser:
    """Add the `batch` sub-command to `stereosync`'s sub-parsers."""
    b = subparsers.add_parser(
        "batch", help="render every clip of a folder (resumable; summary.csv)",
        description="Render every video clip of CLIPS_DIR into OUT/<clip>/ with OUT/summary.csv. "
                    "A rerun skips the clips that finished; a broken clip is reported and skipped.")
    b.add_argument("clips_dir")
    b.add_argument("--reference", default=None, help="reference sound: file or folder (default: bundled footsteps)")
    b.add_argument("-o", "--output", required=True, help="output folder")
    b.add_argument("--takes", type=int, default=1)
    b.add_argument("--seed", type=int, default=0)
    b.add_argument("--sr", type=int, default=48000, help="output sample rate")
    b.add_argument("--engine", default=None, help="sampler (default) | diffusion")
    b.add_argument("--option", action="append", default=[], metavar="KEY=VALUE", help="engine option")
    b.add_argument("--subjects", choices=["one", "all"], default="one")
    b.add_argument("--models", default="models", help="checkpoint folder")
    b.add_argument("--workers", type=int, default=1, help="clips rendered at once (processes, or Ray CPUs)")
    b.add_argument("--ray", default=None, metavar="ADDRESS|auto|local",
                   help="run the clips as Ray tasks: a cluster address, auto (the running cluster) "
                        "or local (a Ray instance on this machine)")
    b.set_defaults(handler=cmd_batch)
    return b


def cmd_batch(args, progress, cancel) -> int:
    from ..core.errors import StereoSyncError
    from ..jobs.batch import BatchSettings, batch_render
    from . import _parse_options
    from .preflight import check_output_folder, check_references

    if args.takes < 1 or args.workers < 1:
        raise StereoSyncError("--takes and --workers must be at least 1")
    if args.reference:  # said once now, not once per clip after each one's analysis
        check_references([args.reference])
    check_output_folder(args.output)
    settings = BatchSettings(reference=args.reference or "", n_takes=args.takes, seed=args.seed, engine=args.engine,
                             options=_parse_options(args.option), sample_rate=args.sr, subjects=args.subjects,
                             models_dir=args.models)
    result = batch_render(args.clips_dir, args.output, settings, workers=args.workers, ray=args.ray,
                          progress=progress, cancel=cancel)
    for row in result.failed:
        print(f"stereosync: error: {row['error']}", file=sys.stderr)
    ok = len(result.rows) - len(result.failed)
    print(f"{ok}/{len(result.rows)} clip(s) rendered ({result.skipped} finished before); summary: {result.summary}")
    return 0 if not result.failed else 1

"""`stereosync`: the Studio's jobs without a screen (analyze, render, eval, export, train).

Progress goes to stderr; on bad input the exit code is non-zero and stderr ends with one line
naming the file and the problem.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from ..core.errors import Cancelled, StereoSyncError
from .lanes import ENVELOPE_HELP, add_pan_args, apply_pan, apply_references, pan_settings, print_guide_note
from .preflight import (check_envelope_file, check_output_file, check_output_folder, check_references,
                        internal_error)
from ..core.progress import CancelToken


class StderrProgress:
    """Progress printer: a line per message change and at most ~5 updates per second."""

    def __init__(self, quiet: bool = False):
        self.quiet = quiet
        self._last = 0.0
        self._msg = ""

    def __call__(self, fraction: float, message: str = "") -> None:
        if self.quiet:
            return
        now = time.monotonic()
        if message != self._msg or now - self._last > 0.2 or fraction >= 1.0:
            self._last, self._msg = now, message
            print(f"[{fraction * 100:5.1f}%] {message}", file=sys.stderr, flush=True)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="stereosync", description=__doc__.splitlines()[0])
    p.add_argument("-q", "--quiet", action="store_true", help="no progress on stderr")
    sub = p.add_subparsers(dest="command", required=True)

    a = sub.add_parser("analyze", help="track the subject and derive envelope/trajectory")
    a.add_argument("clip")
    a.add_argument("--box", help="seed box x0,y0,x1,y1@FRAME (pixels of the original frame)")
    a.add_argument("--envelope", default="auto", help=ENVELOPE_HELP)
    add_pan_args(a, 90.0)
    a.add_argument("-o", "--output", required=True, help="analysis JSON to write")
    a.add_argument("--project", help="also save the project file here")
    _add_subject_args(a)

    r = sub.add_parser("render", help="generate spatially aligned stereo takes")
    r.add_argument("clip", nargs="?", help="video clip (or use --project)")
    r.add_argument("--project", help="render an edited project (.stereosync.json)")
    r.add_argument("--reference", action="append", default=[], metavar="PATH[@START-END]",
                   help="reference sound: file or folder; PATH@START-END (repeatable) is a surface region, "
                        "e.g. grass/@0-4.2 gravel/@4.2-8: each step draws from the region it falls in")
    r.add_argument("--envelope", default=None, help=ENVELOPE_HELP)
    r.add_argument("--box", help="seed box x0,y0,x1,y1@FRAME")
    r.add_argument("--takes", type=_at_least(1), default=1)
    r.add_argument("--seed", type=int, default=0)
    r.add_argument("--sr", type=_at_least(8000), default=48000, help="output sample rate")
    r.add_argument("--engine", default=None, help="sampler (default) | diffusion")
    r.add_argument("--binaural", action="store_true", help="binaural (head model) instead of stereo panning")
    add_pan_args(r, None)
    r.add_argument("--option", action="append", default=[], metavar="KEY=VALUE", help="engine option")
    r.add_argument("--models", default="models", help="checkpoint folder")
    r.add_argument("--preview", action="store_true", help="also write an mp4 with the take muxed")
    _add_subject_args(r)
    r.add_argument("-o", "--output", required=True, help="output folder")

    e = sub.add_parser("eval", help="metrics of a take against its project")
    e.add_argument("take")
    e.add_argument("--project", required=True)
    e.add_argument("--source", default=None)
    e.add_argument("--reference-audio", default=None, help="ground-truth audio for reference metrics")
    e.add_argument("-o", "--output", default=None, help="write JSON here (default: stdout)")

    x = sub.add_parser("export", help="export a project's takes as WAV stems")
    x.add_argument("project")
    x.add_argument("-o", "--output", required=True)
    x.add_argument("--sr", type=int, default=48000, choices=[44100, 48000, 96000])
    x.add_argument("--bits", type=int, default=24, choices=[16, 24, 32])
    x.add_argument("--preview", action="store_true")
    x.add_argument("--daw", default="", metavar="FORMATS",
                   help="also write DAW sessions beside the stems: reaper, aaf (comma-separated)")
    x.add_argument("--loudness", default=None, metavar="LUFS",
                   help="normalise each stem to this integrated loudness (e.g. -23) under a -1 dBTP ceiling")
    x.add_argument("--reverb-stem", action=argparse.BooleanOptionalAction, default=None,
                   help="deliver each take's Space as its own <stem>_reverb.wav, or mixed in "
                        "(default: as each take was set)")
    x.add_argument("--timecode", default=None, metavar="HH:MM:SS:FF",
                   help="timeline start (default: the clip's own timecode, else 00:00:00:00)")

    try:
        from .train import add_train_parser

        add_train_parser(sub)
    except ImportError:
        pass
    from .batch import add_batch_parser

    add_batch_parser(sub)
    try:
        from .mapper import add_mapper_parser

        add_mapper_parser(sub)
    except ImportError:
        pass
    return p


def _at_least(low: int):
    """argparse type: an integer >= low (a one-line usage error otherwise)."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if value < low:
            raise argparse.ArgumentTypeError(f"{value} is less than {low}")
        return value

    return parse


def _add_subject_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--subjects", choices=["one", "all"], default="one",
                   help="one: the subject of --box (or the main walker); all: every person, one stem each")
    p.add_argument("--max-subjects", type=int, default=4)
    if not any(a.dest == "models" for a in p._actions):
        p.add_argument("--models", default="models", help="checkpoint folder (depth, mapper, diffusion)")


def _parse_options(items: list[str]) -> dict:
    out: dict = {}
    for item in items:
        if "=" not in item:
            raise StereoSyncError(f"bad --option {item!r}: expected KEY=VALUE")
        k, v = item.split("=", 1)
        try:
            out[k] = json.loads(v)
        except json.JSONDecodeError:
            out[k] = v
    return out


def cmd_analyze(args, progress, cancel) -> int:
    from .. import jobs

    box = jobs.parse_box(args.box) if args.box else None
    check_envelope_file(args.envelope)  # said now, not after the analysis
    check_output_file(args.output, "-o", "analysis.json")
    if args.project:
        check_output_file(args.project, "--project", "clip.stereosync.json")
    pan_mode, pan_width = pan_settings(args)
    project = jobs.analyze_clip(args.clip, box, envelope=_auto_envelope(args.clip, args.envelope),
                                hfov_deg=args.hfov, subjects=args.subjects, max_subjects=args.max_subjects,
                                models_dir=args.models, progress=progress, cancel=cancel,
                                pan_mode=pan_mode, pan_width=pan_width)
    print_guide_note(project, args.quiet)
    times = _frame_times(args.clip, project.clip.n_frames, project.clip.fps)
    per_source = [{"name": s.name, "frames": _frames_json(s, times), "envelope": s.envelope.to_dict()}
                  for s in project.sources]
    out = {"clip": str(args.clip), "fps": project.clip.fps, "width": project.clip.width,
           "height": project.clip.height, "duration": project.clip.duration, "n_frames": project.clip.n_frames,
           "frames": per_source[0]["frames"], "envelope": per_source[0]["envelope"], "sources": per_source}
    from ..core.fileio import atomic_write_text

    jobs.output_dir(Path(args.output).parent)
    atomic_write_text(args.output, json.dumps(out))
    if args.project:
        project.save(args.project)
    progress(1.0, f"wrote {args.output}")
    return 0


def _frame_times(clip: str, n_frames: int, fps: float) -> list[float]:
    """Presentation time of each frame (real timestamps, so variable frame rate clips are right)."""
    from ..media.video import VideoReader

    with VideoReader(clip) as reader:
        times = [float(t) for t in reader.times]
    return times if len(times) == n_frames else [i / fps for i in range(n_frames)]


def _frames_json(source, times: list[float]) -> list[dict]:
    frames = []
    for i, t in enumerate(times):
        b = source.track.box(i) if i < len(source.track) else None
        seen = b is not None and i < len(source.trajectory)
        frames.append({"t": round(t, 6), "box": None if b is None else [round(float(v), 2) for v in b],
                       "distance": round(float(source.trajectory.distance[i]), 4) if seen else None,
                       "pan": round(float(source.trajectory.pan[i]), 4) if seen else None})
    return frames


def _auto_envelope(clip: str, mode: str | None) -> str:
    """Mode "auto" unless one is given: jobs.make_envelope then picks audio if audible, else video."""
    return "auto" if mode in (None, "auto") else mode


def cmd_render(args, progress, cancel) -> int:
    from .. import jobs
    from ..core.project import Project
    from ..core.progress import sub_progress

    options = _parse_options(args.option)
    if args.engine:  # say a missing checkpoint now, not after the analysis
        jobs.check_engine(args.engine, args.models)
    if args.binaural:
        options["mode"] = "binaural"
    check_references(args.reference)  # bad references, envelope or output: said now, not after the analysis
    check_envelope_file(args.envelope)
    check_output_folder(args.output)
    if args.project:
        project = Project.load(args.project)
        if args.sr:
            project.sample_rate = args.sr
        apply_pan(project, args)
        analysis_part = 0.0
    else:
        if not args.clip:
            raise StereoSyncError("render needs a CLIP or --project")
        box = jobs.parse_box(args.box) if args.box else None
        pan_mode, pan_width = pan_settings(args)
        project = jobs.analyze_clip(args.clip, box, envelope=_auto_envelope(args.clip, args.envelope),
                                    hfov_deg=args.hfov or 90.0, sample_rate=args.sr, subjects=args.subjects,
                                    max_subjects=args.max_subjects, models_dir=args.models,
                                    progress=sub_progress(progress, 0.0, 0.5), cancel=cancel,
                                    pan_mode=pan_mode, pan_width=pan_width)
        print_guide_note(project, args.quiet)
        analysis_part = 0.5
    apply_references(project, args.reference)
    for s in project.sources:
        if not s.reference.path and not s.reference.files:
            raise StereoSyncError(f"source {s.name!r} has no reference sound: pass --reference FILE_OR_DIR")
        jobs.reference_files(s.reference)  # validates paths early
    outdir = Path(args.output)
    jobs.render_takes(project, outdir, n_takes=args.takes, seed=args.seed, engine=args.engine, options=options,
                      models_dir=args.models, preview=args.preview,
                      progress=sub_progress(progress, analysis_part, 1.0), cancel=cancel)
    path = jobs.default_project_path(outdir, project) if not args.project else Path(args.project)
    if args.project and Path(args.project).resolve().parent != outdir.resolve():
        path = jobs.default_project_path(outdir, project)
    project.save(path)
    progress(1.0, f"project saved to {path}")
    return 0


def cmd_eval(args, progress, cancel) -> int:
    from .. import jobs
    from ..core.fileio import atomic_write_text
    from ..core.project import Project

    project = Project.load(args.project)
    if args.output:
        check_output_file(args.output, "-o", "metrics.json")
    metrics = jobs.evaluate_file(args.take, project, args.source, args.reference_audio)
    text = json.dumps(metrics, indent=1)
    if args.output:
        atomic_write_text(args.output, text)
    else:
        print(text)
    return 0


def cmd_export(args, progress, cancel) -> int:
    from .. import jobs
    from ..core.project import Project

    project = Project.load(args.project)
    takes = [(s.name, t) for s in project.sources for t in s.takes if not t.muted]
    if not takes:
        raise StereoSyncError(f"{args.project}: project has no takes to export")
    if args.timecode:
        project.settings["start_timecode"] = args.timecode
        _check_timecode(args.timecode, project.clip.fps)
    result = jobs.export_stems(project, takes, args.output, args.sr, args.bits, args.preview,
                               loudness=args.loudness, daw=args.daw, reverb_stem=args.reverb_stem,
                               progress=progress, cancel=cancel)
    for warning in result.warnings:
        print(f"stereosync: warning: {warning}", file=sys.stderr)
    return 0


def _check_timecode(text: str, fps: float) -> None:
    from ..media.timecode import parse_timecode

    try:
        parse_timecode(text, fps)
    except ValueError as exc:
        raise StereoSyncError(f"bad --timecode: {exc}") from None


COMMANDS = {"analyze": cmd_analyze, "render": cmd_render, "eval": cmd_eval, "export": cmd_export}


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    from ..core.runtime import tune_allocator

    tune_allocator()
    progress = StderrProgress(args.quiet)
    cancel = CancelToken()
    handler = COMMANDS.get(args.command) or getattr(args, "handler", None)
    if handler is None:
        parser.error(f"unknown command {args.command}")
    try:
        return int(handler(args, progress, cancel) or 0)
    except Cancelled:
        print("stereosync: cancelled", file=sys.stderr)
        return 130
    except KeyboardInterrupt:
        print("stereosync: interrupted", file=sys.stderr)
        return 130
    except StereoSyncError as exc:
        print(f"stereosync: error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # a write the system refused (read-only folder, disk full, ...)
        name = exc.filename2 or exc.filename  # a rename's target, not its temporary source
        where = f"{name}: " if name else ""
        print(f"stereosync: error: {where}{exc.strerror or exc}", file=sys.stderr)
        return 2
    except MemoryError:
        print("stereosync: error: out of memory", file=sys.stderr)
        return 3
    except Exception as exc:  # a bug: one line and the traceback in a file, never on the terminal
        return internal_error(argv, exc)


if __name__ == "__main__":
    sys.exit(main())

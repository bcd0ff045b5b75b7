"""Render takes: one engine request per take, WAV files that never overwrite, take metadata.

`render_takes` is what the CLI's `render`, the Studio's Generate and the batch all run; it
works on the project it is given (the Studio gives it an exact snapshot).
"""

from __future__ import annotations

import datetime as _dt
import re
from pathlib import Path
from typing import Any

from ..core.errors import InputError, StereoSyncError
from ..core.fingerprint import source_fingerprint
from ..core.progress import CancelToken, ProgressFn, null_progress, sub_progress
from ..core.project import Project, Source, SurfaceRegion, TakeInfo
from ..core.surfaces import region_problem
from .evaluate import evaluate_audio
from .inputs import check_clip, output_dir, reference_files

__all__ = ["build_request", "check_surfaces", "surface_files", "planned_steps", "render_takes", "reverb_path", "safe_name", "take_filename",
           "take_number"]


def build_request(project: Project, source: Source, seed: int, options: dict[str, Any] | None = None,
                  models_dir: str = "models"):
    """The engine request for one take of `source`."""
    from ..engines.base import GenerationRequest

    opts = dict(source.engine_options)
    opts.update(options or {})
    opts.setdefault("hfov_deg", source.trajectory.hfov_deg)
    return GenerationRequest(
        duration=project.clip.duration, sample_rate=project.sample_rate,
        envelope=source.envelope.with_duration(project.clip.duration), trajectory=source.trajectory,
        reference_files=reference_files(source.reference), seed=int(seed), options=opts,
        track=source.track, frame_size=(project.clip.width, project.clip.height), fps=project.clip.fps,
        features=source.features, reference_text=source.reference.text, models_dir=models_dir,
        reference_regions=surface_files(source, project.clip.duration))


def check_surfaces(regions: list[SurfaceRegion], duration: float, where: str | None = None) -> None:
    """InputError naming the regions when they overlap or leave the clip (the Surface lane's
    edits and `--reference PATH@START-END` are checked with this)."""
    problem = region_problem([(r.label, r.start, r.end) for r in regions], duration)
    if problem:
        raise InputError(where, problem)


def surface_files(source: Source, duration: float) -> list[tuple[float, float, list[str]]]:
    """(start, end, files) of the source's surface regions, checked, in time order."""
    check_surfaces(source.surfaces, duration, source.name)
    return [(r.start, r.end, reference_files(r.reference)) for r in sorted(source.surfaces, key=lambda r: r.start)]


def take_filename(project: Project, source: Source, index: int, always_source: bool = False) -> str:
    """`<clip>_take01.wav` for one source, `<clip>_<source>_take01.wav` with several."""
    if always_source or len(project.sources) > 1:
        return f"{project.name}_{safe_name(source.name)}_take{index:02d}.wav"
    return f"{project.name}_take{index:02d}.wav"


def render_takes(project: Project, outdir: str | Path, n_takes: int = 1, seed: int = 0,
                 engine: str | None = None, options: dict[str, Any] | None = None,
                 sources: list[str] | None = None, models_dir: str = "models", preview: bool = False,
                 evaluate: bool = True, progress: ProgressFn = null_progress,
                 cancel: CancelToken | None = None) -> list[TakeInfo]:
    """Generate `n_takes` takes per source, write them as WAV, add them to the project.

    Seeds are seed, seed+1, ...; take numbers continue after the source's existing takes (files
    already in `outdir` are never overwritten: a new take's file then gets a `-2` suffix).
    """
    from ..engines.base import get_engine
    from ..media.audio import write_wav

    cancel = cancel or CancelToken()
    outdir = output_dir(outdir)
    if preview:
        check_clip(project)
    chosen = [project.source(n) for n in sources] if sources else list(project.sources)
    if not chosen:
        raise InputError(project.path, "project has no subjects to render (analyse the clip, or find subjects)")
    made: list[TakeInfo] = []
    jobs = [(s, k) for s in chosen for k in range(n_takes)]
    for j, (source, k) in enumerate(jobs):
        cancel.check()
        part = sub_progress(progress, j / len(jobs), (j + 1) / len(jobs))
        eng = get_engine(engine or source.engine, models_dir)
        ok, why = eng.availability()
        if not ok:
            raise StereoSyncError(f"engine {eng.name!r} unavailable: {why}")
        take_seed = int(seed) + k
        request = build_request(project, source, take_seed, options, models_dir)
        part(0.0, f"{source.name}: take {k + 1}/{n_takes} (seed {take_seed})")
        take = eng.generate(request, sub_progress(part, 0.0, 0.9), cancel)
        wet = _add_space(take, request)
        index = _next_take_index(source)  # numbers come from the project's own takes, not the folder
        path = _free_path(outdir / take_filename(project, source, index))  # never overwrite a file on disk
        write_wav(path, take.audio, take.sample_rate, bits=24, time_reference=0,
                  description=f"StereoSync {eng.name} seed {take_seed} source {source.name}")
        if wet is not None:  # the room alone, beside the take: export can deliver it as a stem
            write_wav(reverb_path(path), wet, take.sample_rate, bits=24, time_reference=0,
                      description=f"StereoSync space {request.options.get('space')} of {path.name}")
        info = TakeInfo(str(path), f"take{index:02d}", eng.name, take_seed, take.sample_rate,
                        _dt.datetime.now().isoformat(timespec="seconds"), {},
                        {k2: v for k2, v in request.options.items() if _jsonable(v)})
        info.made_from = source_fingerprint(project, source, eng.name, options)  # what it was made from
        if evaluate:
            part(0.92, "metrics")
            info.metrics = evaluate_audio(take.audio, take.sample_rate, project, source,
                                          spatial_mode=str(request.options.get("mode", "stereo")))
            info.metrics_at_render = dict(info.metrics)
        if preview:
            from ..media.mux import mux_preview

            part(0.95, "preview mp4")
            mux_preview(project.clip.path, take.audio, take.sample_rate, path.with_suffix(".mp4"))
        source.takes.append(info)
        made.append(info)
        take = wet = None  # the take is on disk: the next one is made without this one in memory
        part(1.0, f"wrote {path.name}")
    progress(1.0, f"{len(made)} take(s) written")
    return made


def reverb_path(take_path: str | Path) -> Path:
    """Where a take's Space (its reverb alone) is kept: `<take>.reverb.wav` beside it."""
    return Path(take_path).with_suffix(".reverb.wav")


def _add_space(take, request) -> Any:
    """The source's Space added to the finished take in place (engines.acoustics); the wet
    signal, or None when the source is dry."""
    from ..engines.acoustics import apply_space, space_active

    if not space_active(request.options):
        return None
    spaced = apply_space(take.audio, take.sample_rate, request.trajectory, request.options)
    take.audio = spaced.mix
    take.info["space"] = spaced.info
    return spaced.wet


def planned_steps(envelope, options: dict[str, Any]) -> list[float]:
    """The step times the sampler would place on this envelope with these options."""
    from ..engines.events import events_for_options

    return [e.time for e in events_for_options(envelope, options)]


def take_number(take: TakeInfo, fallback: int = 1) -> int:
    """The number in a take's name (`take07` -> 7)."""
    return int(re.sub(r"\D", "", take.name) or fallback)


def _next_take_index(source: Source) -> int:
    return max((take_number(t, 0) for t in source.takes), default=0) + 1


def _free_path(path: Path) -> Path:
    """`path`, or `<stem>-2<suffix>`, `-3`, ... when a file (or its reverb) is already there."""
    k, target = 2, path
    while target.exists() or reverb_path(target).exists():
        target = path.with_name(f"{path.stem}-{k}{path.suffix}")
        k += 1
    return target


def safe_name(name: str) -> str:
    """A source name made safe for a file name."""
    return re.sub(r"[^A-Za-z0-9_-]+", "-", name).strip("-") or "source"


def _jsonable(v: Any) -> bool:
    return isinstance(v, (str, int, float, bool)) or v is None

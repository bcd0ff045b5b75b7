"""Batch rendering: every clip of a folder into `OUT/<clip>/`, with `OUT/summary.csv`.

Why: a studio with thousands of cinematics cannot render them one at a time in the Studio.
`render_clip` is the unit of work (analyse, render the takes, save the project, write a
`batch.json` marker); it runs in this process, in a pool of worker processes, or as Ray tasks
on a cluster (`ray="auto"`, an address, or `"local"` for an instance on this machine), and it
never raises: a broken clip becomes an error row and the batch goes on. A rerun skips every
clip whose marker says it finished, so an interrupted batch resumes where it stopped.
"""

from __future__ import annotations

import csv
import io
import json
import os
import time
import traceback
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Iterator

from ..core.errors import Cancelled, InputError, StereoSyncError
from ..core.fileio import atomic_write_text
from ..core.formats import video_files_in
from ..core.progress import CancelToken, ProgressFn, null_progress

__all__ = ["MARKER", "SUMMARY_COLUMNS", "BatchResult", "BatchSettings", "batch_render", "render_clip"]

SUMMARY_COLUMNS = ["clip", "takes", "e_l1", "align", "lufs", "seconds", "status", "error"]
MARKER = "batch.json"
_THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS")


@dataclass
class BatchSettings:
    """What every clip of a batch is rendered with (plain values: it travels to workers)."""

    reference: str = ""  # file or folder; empty = the bundled footsteps
    n_takes: int = 1
    seed: int = 0
    engine: str | None = None
    options: dict[str, Any] = field(default_factory=dict)
    sample_rate: int = 48000
    subjects: str = "one"
    models_dir: str = "models"


@dataclass
class BatchResult:
    rows: list[dict[str, Any]]
    summary: Path
    skipped: int = 0  # finished in an earlier run

    @property
    def failed(self) -> list[dict[str, Any]]:
        return [r for r in self.rows if r["status"] != "ok"]


def clip_folder_names(clips: list[Path]) -> dict[Path, str]:
    """`<stem>` per clip, or the whole file name where two clips share a stem."""
    stems = [c.stem for c in clips]
    return {c: (c.stem if stems.count(c.stem) == 1 else c.name) for c in clips}


def render_clip(clip: str, folder: str, settings: dict[str, Any]) -> dict[str, Any]:
    """Analyse and render one clip into `folder`; its summary row (status "ok" or "error")."""
    from ..core.project import Reference
    from .analyze import analyze_clip
    from .project_files import save_project
    from .render import render_takes

    t0 = time.perf_counter()
    s = BatchSettings(**settings)
    row: dict[str, Any] = {"clip": Path(clip).name, "takes": 0, "e_l1": "", "align": "", "lufs": "",
                           "seconds": 0.0, "status": "error", "error": ""}
    try:
        out = Path(folder)
        project = analyze_clip(clip, sample_rate=s.sample_rate, subjects=s.subjects, models_dir=s.models_dir)
        if s.reference:
            for src in project.sources:
                src.reference = Reference(str(Path(s.reference).resolve()))
        takes = render_takes(project, out, n_takes=s.n_takes, seed=s.seed, engine=s.engine, options=s.options,
                             models_dir=s.models_dir)
        save_project(project, out / f"{project.name}.stereosync.json")
        row.update(takes=len(takes), status="ok", **_means(t.metrics for t in takes))
    except StereoSyncError as exc:
        row["error"] = str(exc)
    except Exception as exc:  # noqa: BLE001 - one bad clip never stops the batch: report it and go on
        where = traceback.extract_tb(exc.__traceback__)[-1]
        row["error"] = f"{clip}: {exc.__class__.__name__}: {exc} (at {Path(where.filename).name}:{where.lineno})"
    row["seconds"] = round(time.perf_counter() - t0, 3)
    if row["status"] == "ok":
        atomic_write_text(Path(folder) / MARKER, json.dumps(row))
    return row


def _means(metrics) -> dict[str, Any]:
    keys = {"e_l1": "e_l1", "align": "spatial_alignment", "lufs": "lufs_integrated"}
    values: dict[str, list[float]] = {k: [] for k in keys}
    for m in metrics:
        for k, key in keys.items():
            if key in m:
                values[k].append(float(m[key]))
    return {k: round(sum(v) / len(v), 4) if v else "" for k, v in values.items()}


def _finished(folder: Path) -> dict[str, Any] | None:
    try:
        row = json.loads((folder / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return row if isinstance(row, dict) and row.get("status") == "ok" else None


def batch_render(clips_dir: str | Path, outdir: str | Path, settings: BatchSettings | None = None,
                 workers: int = 1, ray: str | None = None, progress: ProgressFn = null_progress,
                 cancel: CancelToken | None = None) -> BatchResult:
    """Render every video clip of `clips_dir` into `outdir/<clip>/` and write `outdir/summary.csv`.

    `workers`: processes on this machine (or CPUs of a local Ray instance); `ray`: None (no Ray),
    "local", "auto" (the running cluster) or a cluster address. Clips already finished are
    skipped; failures are rows with status "error" (the batch goes on)."""
    from .inputs import output_dir

    cancel = cancel or CancelToken()
    settings = settings or BatchSettings()
    if settings.reference and not Path(settings.reference).exists():
        raise InputError(settings.reference, "reference not found")
    clips = [Path(c) for c in video_files_in(clips_dir)]
    out = output_dir(outdir)
    names = clip_folder_names(clips)
    rows: dict[str, dict[str, Any]] = {}
    todo: list[Path] = []
    for clip in clips:
        done = _finished(out / names[clip])
        if done is not None:
            rows[clip.name] = done
        else:
            todo.append(clip)
    skipped = len(rows)
    summary = out / "summary.csv"
    _write_summary(summary, rows)
    if skipped:
        progress(0.0, f"{skipped} clip(s) already finished, {len(todo)} to render")
    jobs = [(str(c), str(out / names[c]), asdict(settings)) for c in todo]

    def finished(row: dict[str, Any]) -> None:
        rows[row["clip"]] = row
        _write_summary(summary, rows)
        n = len(rows) - skipped
        progress(n / max(len(todo), 1), f"{row['clip']}: {row['status']} ({n}/{len(todo)})")

    if ray:
        _run_ray(jobs, ray, max(1, workers), finished, cancel)
    elif workers > 1 and len(jobs) > 1:
        _run_pool(jobs, workers, finished, cancel)
    else:
        for job in jobs:
            cancel.check()
            finished(render_clip(*job))
    ordered = [rows[c.name] for c in clips if c.name in rows]
    progress(1.0, f"{sum(r['status'] == 'ok' for r in ordered)}/{len(ordered)} clip(s) rendered; {summary}")
    return BatchResult(ordered, summary, skipped)


def _write_summary(path: Path, rows: dict[str, dict[str, Any]]) -> None:
    buf = io.StringIO()
    w = csv.DictWriter(buf, SUMMARY_COLUMNS, extrasaction="ignore", lineterminator="\n")
    w.writeheader()
    for name in sorted(rows):
        w.writerow(rows[name])
    atomic_write_text(path, buf.getvalue())


@contextmanager
def _one_thread_each() -> Iterator[None]:
    """Worker processes started inside inherit one BLAS/OpenMP thread each (no oversubscription)."""
    before = {k: os.environ.get(k) for k in _THREAD_VARS}
    os.environ.update({k: "1" for k in _THREAD_VARS})
    try:
        yield
    finally:
        for k, v in before.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _run_pool(jobs: list[tuple], workers: int, finished, cancel: CancelToken) -> None:
    import multiprocessing

    with _one_thread_each():
        pool = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"))
        futures = {pool.submit(render_clip, *job): job for job in jobs}
    try:
        pending = set(futures)
        while pending:
            done, pending = wait(pending, timeout=0.5, return_when=FIRST_COMPLETED)
            if cancel.cancelled:
                raise Cancelled()
            for fut in done:
                clip = Path(futures[fut][0])
                try:
                    finished(fut.result())
                except Exception as exc:  # noqa: BLE001 - a worker that died (e.g. out of memory)
                    finished(_crash_row(clip, exc))
    finally:
        pool.shutdown(wait=not cancel.cancelled, cancel_futures=True)


def _crash_row(clip: Path, exc: BaseException) -> dict[str, Any]:
    return {"clip": clip.name, "takes": 0, "e_l1": "", "align": "", "lufs": "", "seconds": 0.0,
            "status": "error", "error": f"{clip}: worker failed ({exc.__class__.__name__}: {exc})"}


def _run_ray(jobs: list[tuple], address: str, workers: int, finished, cancel: CancelToken) -> None:
    """The same `render_clip` as Ray tasks (one CPU each); a local instance is started and shut
    down here, a cluster only connected to."""
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    try:
        import ray
    except ImportError:
        raise StereoSyncError("--ray needs the ray package (requirements/app.txt; `make venv`)") from None
    started = False
    if not ray.is_initialized():
        try:
            if address == "local":
                ray.init(num_cpus=workers, include_dashboard=False, log_to_driver=False, logging_level="ERROR")
            else:
                ray.init(address=address, log_to_driver=False, logging_level="ERROR")
        except (ConnectionError, RuntimeError, ValueError) as exc:
            raise StereoSyncError(f"cannot reach the Ray cluster at {address!r}: {exc}") from None
        started = True
    try:
        task = ray.remote(num_cpus=1, max_retries=1)(render_clip)
        refs = {task.remote(*job): Path(job[0]) for job in jobs}
        pending = list(refs)
        while pending:
            done, pending = ray.wait(pending, num_returns=1, timeout=0.5)
            if cancel.cancelled:
                for ref in pending:
                    ray.cancel(ref)
                raise Cancelled()
            for ref in done:
                try:
                    finished(ray.get(ref))
                except Exception as exc:  # noqa: BLE001 - a task or node that died
                    finished(_crash_row(refs[ref], exc))
    finally:
        if started:
            ray.shutdown()

"""The clip's scrubbing proxy: made in the background when a project opens, attached when ready.

Why here: a camera file (1080p and up, long GOP) seeks too slowly to scrub. When a project
opens, `jobs.make_proxy` runs in a worker (never blocking the window; Stop making proxy or
opening another project cancels it) unless a good proxy is already cached beside the project.
Its state is the view state's `proxy` (building with its fraction, then ready with its path);
the picture follows it: proxy frames while scrubbing or playing, the original when paused.
"""

from __future__ import annotations

from pathlib import Path

from ... import jobs
from ...core.project import Project
from ...jobs import needs_proxy
from ..document import ProjectDocument
from ..job_runner import JobRunner
from ..prompts import Prompts
from ..view_state import ViewState
from ..workers import Job

PROXY_JOB = "proxy"


class ProxyController:
    """Starts, cancels and publishes the open clip's proxy (`view.proxy`)."""

    def __init__(self, doc: ProjectDocument, view: ViewState, runner: JobRunner, prompts: Prompts,
                 auto: bool = True) -> None:
        self.doc, self.view, self.runner, self.prompts = doc, view, runner, prompts
        self.auto = auto  # make one on every open (off: only when asked)
        doc.changed.connect(self._on_doc)

    def _on_doc(self, part: str) -> None:
        if part in ("project", "clip"):
            self.runner.cancel(PROXY_JOB)
            self.view.proxy = None
            if self.auto:
                self.make()

    def building(self) -> bool:
        return self.runner.running(PROXY_JOB)

    def make(self, force: bool = False) -> Job | None:
        """Make (or find) the open clip's proxy in a worker; None when there is nothing to do.

        Clips no bigger than a proxy get none unless `force`."""
        proj = self.doc.project
        if proj is None or not Path(proj.clip.path).is_file() or self.building():
            return None
        if not force and not needs_proxy(proj.clip.width, proj.clip.height):
            return None
        clip = proj.clip.path
        self.view.proxy = ("building", clip, 0.0)
        job = self.runner.start(PROXY_JOB, jobs.make_proxy, clip, proj.path,
                                on_result=lambda path, p=proj: self._ready(p, clip, path),
                                on_error=lambda msg, _d, p=proj: self._failed(p, msg),
                                on_cancel=lambda p=proj: self._stopped(p))
        job.progress.connect(self.runner.guard(lambda f, _m, p=proj, j=job: self._progress(p, j, clip, f)))
        return job

    def stop(self) -> bool:
        """Stop making the proxy (the picture keeps scrubbing the original)."""
        return self.runner.cancel(PROXY_JOB)

    def _progress(self, project: Project, job: Job, clip: str, fraction: float) -> None:
        if self.doc.project is project and self.runner.job(PROXY_JOB) is job and not job.token.cancelled:
            self.view.proxy = ("building", clip, round(float(fraction), 2))

    def _ready(self, project: Project, clip: str, path) -> None:
        if self.doc.project is project:
            self.view.proxy = ("ready", clip, str(path))
            self.prompts.status(f"scrubbing proxy ready ({Path(path).name})", 3000)

    def _failed(self, project: Project, message: str) -> None:
        if self.doc.project is project:
            self.view.proxy = None
            self.prompts.status(f"no scrubbing proxy: {message}", 8000)  # scrubbing still works, slower

    def _stopped(self, project: Project) -> None:
        if self.doc.project is project:
            self.view.proxy = None
            self.prompts.status("proxy stopped: scrubbing the original", 3000)


__all__ = ["PROXY_JOB", "ProxyController"]

"""Honest metrics: every take's E-L1 and Align against its source's lanes as they are now.

Why here: a take is scored when it is rendered, against the snapshot it was rendered from.
After an envelope, pan/distance or box edit (or a take that was rendered while the designer
edited) those numbers describe an older target. This controller compares each take's
`made_from` fingerprint with its source now (`core.fingerprint`), publishes the result as
`ViewState.take_scores` at once (the takes list marks a take made from an older envelope), and
rescores the takes whose target changed in the background (`jobs.rescore_take`, one take per
job, debounced after edits; the newest edit wins; none starts while the transport plays, so
scoring never takes the GIL from the audio callback). Scores are view state, not document edits:
no undo step, and undoing an edit shows the scores kept for that target again at once.
A take Generate just added has no metrics (rendered with `evaluate=False`, so it appears as
soon as its audio is written): `add_new` queues it, first in line, to be scored against the
snapshot it was rendered from; that score becomes its own `metrics` and `metrics_at_render`,
as a render that scored it would have stored them (saved with the project). Then, like any
take, it is rescored against the lanes now if they changed meanwhile.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, QTimer

from ... import jobs
from ...core.fingerprint import changed_parts, source_fingerprint, target_key
from ...core.project import Project, TakeInfo
from ..document import ProjectDocument
from ..job_runner import JobRunner
from ..view_state import TakeScore, ViewState

DEBOUNCE_MS = 350  # rescoring starts once the edits pause this long
KEPT_TARGETS = 16  # scores kept per take (undo/redo between targets shows them at once)
JOB = "scores"


class ScoresController(QObject):
    """Publishes `view.take_scores` after every document change and rescores in the background."""

    def __init__(self, doc: ProjectDocument, view: ViewState, runner: JobRunner) -> None:
        super().__init__()
        self.doc, self.view, self.runner = doc, view, runner
        self._scores: dict[str, dict[str, dict[str, float]]] = {}  # path -> target key -> metrics
        self._errors: dict[str, str] = {}
        self._missing: dict[str, bool] = {}
        self._new: dict[str, tuple[Project, str]] = {}  # path -> (snapshot it was made from, source name)
        self._at_render: dict[str, tuple[str, dict[str, float]]] = {}  # path -> (target key, metrics)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(DEBOUNCE_MS)
        self._timer.timeout.connect(self._next)
        doc.changed.connect(self._on_doc)
        view.subscribe(lambda _name: None if view.playing else self._timer.start(), "playing")

    # -- reactions -------------------------------------------------------------------------------
    def _on_doc(self, part: str) -> None:
        if part == "project":
            self._scores.clear()
            self._errors.clear()
            self._new.clear()
            self._at_render.clear()
        if part in ("project", "source", "takes"):
            self._missing.clear()
        self.publish()
        self._timer.start()  # (re)start: rescoring waits until the edits pause

    def publish(self) -> None:
        """Set `view.take_scores` for every take of every subject (cheap: hashes, no audio)."""
        self._refill()
        proj = self.doc.project
        out: dict[str, TakeScore] = {}
        for src in proj.sources if proj is not None else []:
            now = source_fingerprint(proj, src)
            key = target_key(now)
            for t in src.takes:
                out[t.path] = TakeScore(self._current(t, key), changed_parts(t.made_from, now),
                                        dict(t.metrics_at_render or t.metrics), bool(t.made_from),
                                        self._errors.get(t.path, "") or ("file not found" if self._is_missing(t)
                                                                         else ""))
        self.view.take_scores = out

    def _current(self, take: TakeInfo, key: str) -> dict[str, float] | None:
        if take.made_from and target_key(take.made_from) == key and take.metrics:
            return dict(take.metrics)  # made from these lanes: its own scores hold
        return self._scores.get(take.path, {}).get(key)

    def _is_missing(self, take: TakeInfo) -> bool:
        if take.path not in self._missing:
            self._missing[take.path] = not Path(take.path).is_file()
        return self._missing[take.path]

    # -- background ------------------------------------------------------------------------------
    def add_new(self, snapshot: Project, source_name: str, takes: list[TakeInfo]) -> None:
        """Score these just-rendered takes (no metrics yet) against `snapshot`, the project they
        were rendered from, before anything else; the result is their render-time metrics."""
        for t in takes:
            if not t.metrics:
                self._new[t.path] = (snapshot, source_name)
        self.publish()
        self._next()  # at once (no debounce): the Studio stays busy until the new takes are scored

    def _new_first(self) -> tuple[str, Project, str] | None:
        """(path, snapshot, source name) of a just-rendered take still in the project to score."""
        proj = self.doc.project
        live = {t.path: t for s in (proj.sources if proj is not None else []) for t in s.takes}
        for path in list(self._new):
            t = live.get(path)
            if t is None or t.metrics or path in self._errors or self._is_missing(t):
                continue  # undone, scored, failed or gone: kept in case a redo brings it back
            return (path, *self._new[path])
        return None

    def pending(self) -> list[tuple[TakeInfo, str]]:
        """(take, source name) still to score against the lanes now; the shown subject's first."""
        proj = self.doc.project
        if proj is None:
            return []
        shown = self.doc.source
        sources = sorted(proj.sources, key=lambda s: s is not shown)
        todo = []
        for src in sources:
            key = target_key(source_fingerprint(proj, src))
            for t in src.takes:
                if self._current(t, key) is None and t.path not in self._errors and not self._is_missing(t):
                    todo.append((t, src.name))
        return todo

    def busy(self) -> bool:
        """Scores are still to come (not counting those waiting for playback to stop)."""
        return self._timer.isActive() or self.runner.running(JOB) or (
            not self.view.playing and (bool(self.pending()) or self._new_first() is not None))

    def _next(self) -> None:
        if self.runner.closed or self.runner.running(JOB) or self.view.playing:
            return  # its result starts the next one; playback stopping starts it
        proj = self.doc.project
        new = self._new_first()
        if new is not None:  # a just-rendered take: its render-time scores, against its own snapshot
            path, snapshot, source_name = new
            take = next(t for s in proj.sources for t in s.takes if t.path == path)
            target = snapshot
        else:
            todo = self.pending()
            if not todo:
                return
            take, source_name = todo[0]
            target = proj.copy()
        mode = str(take.options.get("mode", "stereo"))
        self.runner.start(JOB, jobs.rescore_take, take.path, target, source_name, mode, pass_progress=False,
                          on_result=lambda r, p=proj, t=take.path: self._scored(p, t, r),
                          on_error=lambda m, _d, p=proj, t=take.path: self._failed(p, t, m))

    def _scored(self, project: Project, path: str, result: dict) -> None:
        if self.doc.project is not project:
            return
        self._fill_unscored(project, path, result)
        kept = self._scores.setdefault(path, {})
        kept.pop(result["target"], None)
        kept[result["target"]] = dict(result["metrics"])
        while len(kept) > KEPT_TARGETS:
            kept.pop(next(iter(kept)))
        self.publish()
        self._next()

    def _fill_unscored(self, project: Project, path: str, result: dict) -> None:
        """A take rendered without metrics, scored against the lanes it was made from: those are
        its render-time metrics. Kept here too: undo/redo bring back copies made before them."""
        for src in project.sources:
            for t in src.takes:
                if (t.path == path and not t.metrics and not t.metrics_at_render and t.made_from
                        and target_key(t.made_from) == result["target"]):
                    self._at_render[path] = (result["target"], dict(result["metrics"]))
        self._refill()

    def _refill(self) -> None:
        """Give the takes without metrics the render-time metrics found for them (same target)."""
        proj = self.doc.project
        for src in proj.sources if proj is not None and self._at_render else []:
            for t in src.takes:
                got = self._at_render.get(t.path)
                if not got or t.metrics or t.metrics_at_render or not t.made_from:
                    continue
                if target_key(t.made_from) == got[0]:
                    t.metrics, t.metrics_at_render = dict(got[1]), dict(got[1])

    def _failed(self, project: Project, path: str, message: str) -> None:
        if self.doc.project is not project:
            return
        self._errors[path] = message  # shown on the take; not tried again until the project reloads
        self.publish()
        self._next()


__all__ = ["ScoresController"]

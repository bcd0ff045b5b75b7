"""What the headphones hear: the guide sound and the takes, their gains, solo/mute, A/B, previews.

Why here: the mixer must follow three things that change independently, the document (takes
added, soloed, muted, deleted), the view state (selected take, gains, guide mute) and the
audio loaded in workers (`jobs.analyse_take`, `jobs.load_guide`, `jobs.load_reference_preview`).
This controller subscribes to all three and is the only code that sets mixer tracks.
"""

from __future__ import annotations

from pathlib import Path

from ... import jobs
from ...core.project import Project, TakeInfo
from ..audition import Mixer, Player
from ..document import ProjectDocument
from ..job_runner import JobRunner
from ..prompts import Prompts
from ..transport import Transport
from ..view_state import ViewState

PREVIEW_SR = 48000


def take_track(path: str) -> str:
    """The mixer track name of a take."""
    return "take:" + path


class PlaybackController:
    """Keeps the transport's mixer in step with the document and the view state."""

    def __init__(self, doc: ProjectDocument, view: ViewState, runner: JobRunner, transport: Transport,
                 prompts: Prompts, preview_player: Player | None = None) -> None:
        self.doc, self.view, self.runner, self.transport, self.prompts = doc, view, runner, transport, prompts
        self.mixer: Mixer = transport.mixer
        self.preview_player = preview_player or Player(Mixer(PREVIEW_SR))
        self.mixer.set_gain("guide", view.guide_gain)
        self._stale: set[str] = set()  # loaded takes whose heard-vs-box is against an older box
        doc.changed.connect(self._on_doc)
        transport.playingChanged.connect(lambda on: setattr(view, "playing", bool(on)))
        view.subscribe(self._on_view, "selected_take", "guide", "guide_gain", "guide_muted", "take_gain")

    # -- reactions -------------------------------------------------------------------------------
    def _on_doc(self, part: str) -> None:
        if part == "project":
            self._stale.clear()
            self._load_project()
        if part in ("track", "trajectory"):
            self._realign()
        if part in ("project", "source", "takes"):
            proj = self.doc.project
            live = {t.path for s in (proj.sources if proj else []) for t in s.takes}
            for path in self.view.forget_takes(live):
                self.mixer.set_track(take_track(path), None)
            self.update_mix()

    def _load_project(self) -> None:
        self.transport.stop()
        for name in list(self.mixer.tracks):
            self.mixer.set_track(name, None)
        proj = self.doc.project
        if proj is not None:
            self.mixer.sample_rate = proj.sample_rate
            self.transport.set_clip(proj.clip.fps, proj.clip.duration)

    def _on_view(self, name: str) -> None:
        if name == "selected_take":
            take = self.selected_take()
            if take is not None:
                self.ensure_take_loaded(take)
                if take.path in self._stale and take.path in self.view.take_cache:
                    self._measure_again(take)
            self.update_mix()
        elif name == "guide":
            guide = self.view.guide
            self.mixer.set_track("guide", None if guide is None else guide[0], self.guide_level())
        elif name in ("guide_gain", "guide_muted"):
            self.mixer.set_gain("guide", self.guide_level())
        elif name == "take_gain":
            self.update_mix()

    def guide_level(self) -> float:
        return 0.0 if self.view.guide_muted else self.view.guide_gain

    # -- takes -----------------------------------------------------------------------------------
    def shown_takes(self) -> list[TakeInfo]:
        src = self.doc.source
        return [] if src is None else list(src.takes)

    def selected_take(self) -> TakeInfo | None:
        """The selected take when it belongs to the subject shown."""
        return next((t for t in self.shown_takes() if t.path == self.view.selected_take), None)

    def ensure_take_loaded(self, take: TakeInfo) -> None:
        """Load a take's audio and analysis in a worker (once); the lanes show it when it is in the cache."""
        proj, src = self.doc.project, self.doc.source
        key = "take:" + take.path
        if take.path in self.view.take_cache or proj is None or src is None or self.runner.running(key):
            return
        if not Path(take.path).is_file():  # a missing take is listed once when the project opens, never loaded
            return
        self.runner.start(key, jobs.analyse_take, *self._analysis_args(take), pass_progress=False,
                          on_result=lambda r, p=proj, t=take: self._take_loaded(p, t, r))

    def _analysis_args(self, take: TakeInfo) -> tuple:
        """`jobs.analyse_take`'s arguments: heard-vs-box against the take's own subject's box now."""
        proj = self.doc.project
        mode = str(take.options.get("mode", "stereo"))
        mode = mode if mode in ("stereo", "binaural") else "stereo"
        owner = self.doc.take_owner(take.path) or self.doc.source.name
        return take.path, proj.sample_rate, proj.copy(), owner, mode

    def _realign(self) -> None:
        """A box or pan-mapping edit: the loaded takes' heard-vs-box is against the old box. The
        selected take's is measured again now, the others' when they are selected."""
        self._stale |= set(self.view.take_cache)
        take = self.selected_take()
        if take is not None and take.path in self.view.take_cache:
            self._measure_again(take)

    def _measure_again(self, take: TakeInfo) -> None:
        self._stale.discard(take.path)
        if self.doc.project is None or not Path(take.path).is_file():
            return
        proj = self.doc.project
        self.runner.start("align:" + take.path, jobs.analyse_take, *self._analysis_args(take), pass_progress=False,
                          on_result=lambda r, p=proj, t=take: self._realigned(p, t, r))

    def _realigned(self, project: Project, take: TakeInfo, result: dict) -> None:
        """Only the alignment is new: the audio the mixer plays and the waveform stay as they are."""
        cached = self.view.take_cache.get(take.path)
        if self.doc.project is not project or cached is None or "alignment" not in result:
            return
        self.view.cache_take(take.path, {**cached, "alignment": result["alignment"]})

    def _take_loaded(self, project: Project, take: TakeInfo, result: dict) -> None:
        if self.doc.project is not project:
            return
        self.mixer.set_track(take_track(take.path), result["audio"], self.view.take_gain)
        self.view.cache_take(take.path, result)
        self.update_mix()

    def update_mix(self) -> None:
        """Audible takes: the soloed ones (of any subject), else the selected one; muted ones never."""
        proj = self.doc.project
        takes = [t for s in (proj.sources if proj else []) for t in s.takes]
        solos = {t.path for t in takes if t.solo}
        current = self.view.selected_take
        audible = {t.path for t in takes if ((t.path in solos) if solos else t.path == current)}
        for t in takes:
            if t.path in audible and t.path not in self.view.take_cache:
                self.ensure_take_loaded(t)
        # A/B without a gap: until every take to be heard is loaded, the ones heard now go on
        # (mutes still apply at once); `_take_loaded` calls this again when the audio is there.
        waiting = any(take_track(p) not in self.mixer.tracks and Path(p).is_file() for p in audible)
        live = set()
        for t in takes:
            live.add(take_track(t.path))
            name = take_track(t.path)
            now_on = name in self.mixer.tracks and not self.mixer.tracks[name].muted
            on = now_on if waiting else t.path in audible
            self.mixer.set_flags(name, muted=not on or t.muted)
            self.mixer.set_gain(name, self.view.take_gain)
        for name in list(self.mixer.tracks):  # takes no longer in the project stay silent
            if name.startswith("take:") and name not in live:
                self.mixer.set_flags(name, muted=True)

    def play_take(self, take: TakeInfo | None) -> None:
        """Select `take` and play it from the start (or from the loop's in point)."""
        if take is None:
            return
        self.view.select_take(take.path)
        t = self.transport
        t.stop()
        t.seek(t.loop_in if t.loop_enabled and t.loop_in is not None else 0.0)
        t.play()

    def ab_target(self) -> str | None:
        """The take A/B switches to: the previously selected one (or the neighbour)."""
        paths = [t.path for t in self.shown_takes()]
        prev, cur = self.view.previous_take, self.view.selected_take
        if prev in paths and prev != cur:
            return prev
        if cur in paths and len(paths) > 1:
            i = paths.index(cur)
            return paths[i - 1] if i > 0 else paths[1]
        return None

    def ab_switch(self) -> None:
        target = self.ab_target()
        if target is None:
            self.prompts.status("A/B needs two takes")
            return
        self.view.select_take(target)
        take = self.selected_take()
        self.prompts.status(f"now hearing {take.name if take else ''}", 1500)

    # -- reference sounds ------------------------------------------------------------------------
    def load_reference(self, path: str | None, play: bool = False) -> None:
        """Read a reference sound in a worker for its waveform (and play it when `play`)."""
        if path is None:
            self.view.reference_preview = None
            return
        cached = self.view.reference_preview
        if cached is not None and cached[0] == path:
            if play:
                self._play_preview(cached[1])
            return
        self.runner.start("preview" if play else "ref-wave", jobs.load_reference_preview, path, PREVIEW_SR,
                          pass_progress=False, on_result=lambda r, p=path, go=play: self._reference_loaded(p, r, go),
                          on_error=None if play else lambda _m, _d: None)  # a waveform that cannot load stays blank

    def preview_reference(self, path: str) -> None:
        if not self.preview_player.available:
            self.prompts.status(f"cannot preview: {self.preview_player.reason}")
            return
        self.load_reference(path, play=True)

    def _reference_loaded(self, path: str, result, play: bool) -> None:
        audio, peaks = result
        self.view.reference_preview = (path, audio, peaks)
        if play:
            self._play_preview(audio)

    def _play_preview(self, audio) -> None:
        self.preview_player.mixer.set_track("ref", audio)
        self.preview_player.play(0.0)

    def stop(self) -> None:
        self.transport.stop()
        self.preview_player.stop()


__all__ = ["PlaybackController", "take_track"]

"""What the Studio shows and how, beside the project: the UI state that is not saved in the file.

Why a separate, Qt-free object: the seed, the number of takes, the selected take, the mix
gains, the loaded take audio and the lanes' zoom used to live in widgets and in ~150 window
attributes shared by mixins. Here they are plain fields with change events (like napari's
ViewerModel): controllers write them, widgets and the mixer subscribe, and a plain pytest
can check them without a display. Assigning a field notifies the subscribers when the value
really changed; the take cache changes through its methods.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

Listener = Callable[[str], None]


def _same(a: Any, b: Any) -> bool:
    """True when assigning `b` over `a` changes nothing (arrays compare by identity)."""
    if a is b:
        return True
    try:
        return bool(a == b)
    except (ValueError, TypeError):  # numpy arrays inside tuples: ambiguous truth value
        return False


@dataclass(frozen=True)
class TakeScore:
    """A take's scores against its source's lanes as they are now (controllers.scores).

    `metrics` is None while they are being recomputed; `stale` names the parts the take was made
    from that have changed since (core.fingerprint.PARTS); `at_render` are its scores when made."""

    metrics: dict[str, float] | None
    stale: tuple[str, ...] = ()
    at_render: dict[str, float] = field(default_factory=dict)
    known: bool = True  # False for takes made before what they were made from was recorded
    error: str = ""  # why it could not be scored


@dataclass(eq=False)
class ViewState:
    """The Studio's view of the open project; every public field assignment is a change event."""

    seed: int = 1  # the seed of the next take
    n_takes: int = 2  # how many takes Generate renders
    selected_take: str | None = None  # path of the take shown in the lanes and heard
    previous_take: str | None = None  # the one selected before it (A/B)
    guide_gain: float = 0.5  # linear gain of the clip's own sound in the mix
    take_gain: float = 1.0  # linear gain of the takes in the mix
    guide_muted: bool = False
    guide: Any = field(default=None, repr=False)  # (audio view, (times, peaks), WaveformView) of the clip's sound, or None
    planned_steps: list[float] = field(default_factory=list)  # steps the engine would place (no explicit ones)
    visible_range: tuple[float, float] | None = None  # the lanes' time window (s)
    engines: dict[str, Any] = field(default_factory=dict, repr=False)  # name -> jobs.EngineInfo
    engines_ready: bool = False
    busy_text: str = ""  # what the picture says is running ("re-tracking…")
    smooth_strength: float = 0.2  # the lane tool bar's Smooth strength, 0.05 .. 1
    analysing: Any = None  # (clip path, fraction, message) while a clip is analysed into a new project
    reference_preview: Any = field(default=None, repr=False)  # (path, audio, peaks) of the last reference sound
    take_cache: dict[str, dict[str, Any]] = field(default_factory=dict, repr=False)  # path -> jobs.analyse_take
    take_scores: dict[str, "TakeScore"] = field(default_factory=dict, repr=False)  # path -> scores against the lanes now
    playing: bool = False  # the transport is playing (background scoring waits: the sound never starves)
    proxy: Any = None  # the clip's scrubbing proxy: ("building", clip, fraction) or ("ready", clip, proxy path)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_listeners", [])

    def __setattr__(self, name: str, value: Any) -> None:
        old = getattr(self, name, None)
        object.__setattr__(self, name, value)
        if not name.startswith("_") and "_listeners" in self.__dict__ and not _same(old, value):
            self._emit(name)

    # -- events ----------------------------------------------------------------------------------
    def subscribe(self, fn: Listener, *names: str) -> Callable[[], None]:
        """Call `fn(name)` after a field changes (only the `names` given, if any); returns an unsubscribe."""
        entry = (fn, frozenset(names))
        self._listeners.append(entry)
        return lambda: self._listeners.remove(entry) if entry in self._listeners else None

    def _emit(self, name: str) -> None:
        for fn, names in list(self._listeners):
            if not names or name in names:
                fn(name)

    def update(self, **values: Any) -> None:
        """Set several fields (each one notifies when it changed)."""
        for k, v in values.items():
            if k.startswith("_") or not hasattr(self, k):
                raise AttributeError(k)
            setattr(self, k, v)

    # -- takes -----------------------------------------------------------------------------------
    def select_take(self, path: str | None) -> None:
        """Show and hear take `path`; the one shown before becomes the A/B partner."""
        if path == self.selected_take:
            return
        if self.selected_take is not None:
            object.__setattr__(self, "previous_take", self.selected_take)
        self.selected_take = path

    def cache_take(self, path: str, result: dict[str, Any]) -> None:
        self.take_cache[path] = result
        self._emit("take_cache")

    def forget_takes(self, keep: set[str]) -> list[str]:
        """Drop the loaded audio of takes not in `keep`; returns the paths dropped."""
        gone = [p for p in self.take_cache if p not in keep]
        for p in gone:
            del self.take_cache[p]
        if gone:
            self._emit("take_cache")
        return gone

    def selected_analysis(self) -> dict[str, Any] | None:
        """The loaded audio, peaks and alignment of the selected take (None until loaded)."""
        return None if self.selected_take is None else self.take_cache.get(self.selected_take)

    # -- projects --------------------------------------------------------------------------------
    def reset_for_project(self, next_seed: int | None = None) -> None:
        """Forget what belonged to the previous project (its takes, guide sound, steps)."""
        self.forget_takes(set())
        object.__setattr__(self, "previous_take", None)
        self.update(selected_take=None, guide=None, planned_steps=[], visible_range=None, busy_text="",
                    take_scores={})
        if next_seed is not None:
            self.seed = next_seed

    def option_values(self, engine: str, options: dict[str, Any]) -> dict[str, Any]:
        """The options `engine` will use: its defaults, overridden by the source's `options`."""
        info = self.engines.get(engine)
        values = {s.key: s.default for s in info.options} if info is not None else {}
        values.update(options)
        return values


__all__ = ["TakeScore", "ViewState"]

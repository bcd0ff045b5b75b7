"""The Studio's view state without Qt: fields notify their subscribers only when they change, the
take selection keeps its A/B partner, the take cache drops what the project no longer has,
a new project starts clean, and the engine options combine defaults with the source's own."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass, field

import numpy as np
import pytest

from stereosync_studio.gui.view_state import ViewState


def _recorder(view: ViewState, *names: str) -> list[str]:
    events: list[str] = []
    view.subscribe(events.append, *names)
    return events


def test_view_state_imports_no_qt():
    code = ("import sys, stereosync_studio.gui.view_state; "
            "bad = [m for m in sys.modules if m.startswith(('PySide6', 'pyqtgraph', 'torch'))]; "
            "assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_assignments_notify_once_and_only_on_change():
    view = ViewState()
    events = _recorder(view)
    view.seed = 7
    view.n_takes = 3
    view.seed = 7  # same value: silent
    view.update(seed=7, take_gain=0.25)
    assert events == ["seed", "n_takes", "take_gain"]
    assert (view.seed, view.n_takes, view.take_gain) == (7, 3, 0.25)
    with pytest.raises(AttributeError):
        view.update(no_such_field=1)


def test_subscribe_filters_by_name_and_unsubscribes():
    view = ViewState()
    seeds = _recorder(view, "seed")
    everything = _recorder(view)
    stop = view.subscribe(lambda _n: pytest.fail("unsubscribed listener called"), "guide_muted")
    stop()
    view.guide_muted = True
    view.seed = 2
    assert seeds == ["seed"] and everything == ["guide_muted", "seed"]


def test_array_values_compare_by_identity():
    view = ViewState()
    events = _recorder(view, "guide")
    audio = np.zeros((2, 10), np.float32)
    guide = (audio, (np.arange(3.0), np.ones(3)))
    view.guide = guide
    view.guide = guide  # the same object: no event
    view.guide = (audio.copy(), guide[1])  # equal-looking but new audio: an event
    assert events == ["guide", "guide"]


def test_take_selection_keeps_the_ab_partner():
    view = ViewState()
    events = _recorder(view, "selected_take")
    view.select_take("a.wav")
    view.select_take("b.wav")
    view.select_take("b.wav")
    assert (view.selected_take, view.previous_take) == ("b.wav", "a.wav")
    view.select_take(None)
    assert view.previous_take == "b.wav" and events == ["selected_take"] * 3


def test_take_cache_events_and_forgetting():
    view = ViewState()
    events = _recorder(view, "take_cache")
    view.cache_take("a.wav", {"audio": np.zeros((2, 4))})
    view.cache_take("b.wav", {"audio": np.ones((2, 4))})
    view.select_take("b.wav")
    assert view.selected_analysis()["audio"].sum() == 8
    assert view.forget_takes({"b.wav"}) == ["a.wav"]
    assert view.forget_takes({"b.wav"}) == []  # nothing dropped: no event
    assert list(view.take_cache) == ["b.wav"] and events == ["take_cache"] * 3


def test_reset_for_project_forgets_the_old_project_and_continues_seeds():
    view = ViewState(seed=3)
    view.cache_take("a.wav", {})
    view.update(guide=("audio", "peaks"), planned_steps=[0.5, 1.0], visible_range=(1.0, 2.0), busy_text="x")
    view.select_take("a.wav")
    view.reset_for_project(next_seed=12)
    assert view.take_cache == {} and view.selected_take is None and view.previous_take is None
    assert view.guide is None and view.planned_steps == [] and view.visible_range is None and not view.busy_text
    assert view.seed == 12
    view.reset_for_project()  # a project without takes keeps the seed
    assert view.seed == 12


@dataclass
class _Spec:
    key: str
    default: float


@dataclass
class _Info:
    options: list = field(default_factory=list)


def test_option_values_are_engine_defaults_overridden_by_the_source():
    view = ViewState(engines={"sampler": _Info([_Spec("min_spacing", 0.22), _Spec("jitter", 0.1)])})
    assert view.option_values("sampler", {"jitter": 0.5}) == {"min_spacing": 0.22, "jitter": 0.5}
    assert view.option_values("unknown", {"x": 1}) == {"x": 1}

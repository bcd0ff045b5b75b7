"""The view the designer left, saved with the project: reopening shows the same subject, the same
take selected, the same lane zoom, and Generate makes as many takes from the same seed.

Why in the project and not in the app's settings: these belong to one piece of work (a second
project has its own takes and zoom), and the project file travels. They live in
`project.settings["studio"]` (saved in the project file and its autosave). Keeping them in step
is not an edit: it never marks the project changed nor adds an undo step; they are written
with the next save. Values that make no sense for the project (a take that is gone, a zoom
outside the clip, a count out of range) are ignored on opening.
"""

from __future__ import annotations

import math
from typing import Any

from PySide6.QtCore import QObject

from ..document import ProjectDocument
from ..view_state import ViewState

KEY = "studio"
WATCHED = ("n_takes", "seed", "selected_take", "visible_range", "smooth_strength")


def view_settings(doc: ProjectDocument, view: ViewState) -> dict[str, Any]:
    """What `project.settings["studio"]` holds for the view now."""
    src = doc.source
    take = None if src is None else next((t.name for t in src.takes if t.path == view.selected_take), None)
    rng = view.visible_range
    return {"n_takes": int(view.n_takes), "seed": int(view.seed), "subject": None if src is None else src.name,
            "selected_take": take, "smooth_strength": round(float(view.smooth_strength), 3),
            "visible_range": None if rng is None else [round(float(rng[0]), 4), round(float(rng[1]), 4)]}


def _int(value: Any, lo: int, hi: int) -> int | None:
    return int(value) if isinstance(value, int) and not isinstance(value, bool) and lo <= value <= hi else None


def _number(value: Any) -> float | None:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    return float(value) if ok else None


class ViewSettingsController(QObject):
    """Restores the saved view when a project opens; keeps `project.settings["studio"]` in step."""

    def __init__(self, doc: ProjectDocument, view: ViewState, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.doc, self.view = doc, view
        self._restoring = False
        self._shown: object = None  # the project whose saved view was restored (only then is it written)
        doc.changed.connect(self._on_doc)
        view.subscribe(self._on_view, *WATCHED)

    def _on_doc(self, part: str) -> None:
        if part == "project":
            self.restore()
        elif part in ("source", "takes"):  # another subject shown, or undo gave back older settings
            self.store()

    def _on_view(self, _name: str) -> None:
        if not self._restoring:
            self.store()

    def store(self) -> None:
        proj = self.doc.project
        if proj is None or self._restoring or proj is not self._shown:
            return  # (the widgets react to a new project before its saved view is read: not over it)
        now = view_settings(self.doc, self.view)
        if proj.settings.get(KEY) != now:
            proj.settings = {**proj.settings, KEY: now}  # a new dict: a snapshot being written keeps the old

    def restore(self) -> None:
        """Show the project as it was saved (runs after the widgets showed the new project)."""
        proj = self.doc.project
        self._shown = proj
        saved = proj.settings.get(KEY) if proj is not None else None
        if not isinstance(saved, dict):
            self.store()
            return
        view = self.view
        self._restoring = True
        try:
            n, seed = _int(saved.get("n_takes"), 1, 16), _int(saved.get("seed"), 0, 2**31 - 1)
            if n is not None:
                view.n_takes = n
            if seed is not None:
                view.seed = seed
            strength = _number(saved.get("smooth_strength"))
            if strength is not None and 0.05 <= strength <= 1.0:
                view.smooth_strength = strength
            if isinstance(saved.get("subject"), str):
                self.doc.select_source_named(saved["subject"])
            src = self.doc.source
            take = next((t for t in src.takes if t.name == saved.get("selected_take")), None) if src else None
            if take is not None:
                view.select_take(take.path)
            rng = saved.get("visible_range")
            if isinstance(rng, list) and len(rng) == 2:
                a, b = _number(rng[0]), _number(rng[1])
                dur = proj.clip.duration
                if a is not None and b is not None and -0.05 * dur <= a < b <= 1.05 * dur + 1e-3:
                    view.visible_range = (a, b)
        finally:
            self._restoring = False
        self.store()


__all__ = ["KEY", "ViewSettingsController", "view_settings"]

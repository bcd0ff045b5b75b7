"""The open project as the Studio edits it: one Project, one undo stack, change signals.

Every edit goes through `ProjectDocument.edit(part, value, ...)`, which snapshots the part
(envelope, track, trajectory, reference, takes, engine) of the current source before and
after, so undo/redo, autosave and the views all see the same history. Views never mutate
the Project directly; they ask the document and redraw on `changed(part)`.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal

from ..core.project import Project, Reference, Source, TakeInfo
from ..core.undo import SnapshotCommand, UndoStack

PARTS = ("envelope", "track", "trajectory", "reference", "takes", "engine", "events")


def _copy_part(source: Source, part: str) -> Any:
    if part in ("envelope", "events"):
        return source.envelope.copy()
    if part == "track":
        return source.track.copy()
    if part == "trajectory":
        return source.trajectory.copy()
    if part == "reference":
        return Reference.from_dict(source.reference.to_dict())
    if part == "takes":
        return [TakeInfo.from_dict(copy.deepcopy(t.to_dict())) for t in source.takes]
    if part == "engine":
        return (source.engine, copy.deepcopy(source.engine_options))
    raise KeyError(part)


def _set_part(source: Source, part: str, value: Any) -> None:
    if part in ("envelope", "events"):
        source.envelope = value.copy()
    elif part == "track":
        source.track = value.copy()
    elif part == "trajectory":
        source.trajectory = value.copy()
    elif part == "reference":
        source.reference = Reference.from_dict(value.to_dict())
    elif part == "takes":
        source.takes = [TakeInfo.from_dict(copy.deepcopy(t.to_dict())) for t in value]
    elif part == "engine":
        source.engine, opts = value
        source.engine_options = copy.deepcopy(opts)
    else:
        raise KeyError(part)


class ProjectDocument(QObject):
    """Owns the Project being edited; emits `changed(part)` after every edit, undo and redo."""

    changed = Signal(str)  # part name, or "project" when a whole project was loaded
    undoStateChanged = Signal()
    dirtyChanged = Signal(bool)
    pathChanged = Signal(str)

    def __init__(self, project: Project | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.project: Project | None = project
        self.source_index = 0
        self.undo_stack = UndoStack()
        self.undo_stack.add_listener(self._on_stack)
        self.revision = 0  # bumps on every change; autosave compares it
        self._gesture = 0
        self._was_clean = True

    # -- access ----------------------------------------------------------------------------------
    @property
    def source(self) -> Source | None:
        if self.project is None or not self.project.sources:
            return None
        return self.project.sources[min(self.source_index, len(self.project.sources) - 1)]

    @property
    def path(self) -> str | None:
        return None if self.project is None else self.project.path

    def is_dirty(self) -> bool:
        return not self.undo_stack.is_clean()

    def new_gesture(self, kind: str) -> str:
        """A fresh merge id: every command pushed with it folds into one undo entry."""
        self._gesture += 1
        return f"{kind}#{self._gesture}"

    # -- editing ---------------------------------------------------------------------------------
    def set_project(self, project: Project | None, dirty: bool = False) -> None:
        self.project = project
        self.source_index = 0
        self.undo_stack.clear()
        if dirty:
            self.undo_stack.set_dirty()  # recovered from autosave: not yet saved
        self.revision += 1
        self.changed.emit("project")
        self.pathChanged.emit(self.path or "")
        self._on_stack()

    def select_source(self, index: int) -> None:
        if self.project is not None and 0 <= index < len(self.project.sources):
            self.source_index = index
            self.changed.emit("project")

    def edit(self, part: str, value: Any, label: str, merge_id: str | None = None) -> None:
        """Replace `part` of the current source with `value` as one undoable step."""
        self.edit_parts({part: value}, label, merge_id)

    def edit_parts(self, values: dict[str, Any], label: str, merge_id: str | None = None) -> None:
        """Replace several parts at once (e.g. a box keyframe and the trajectory it moves)."""
        source = self.source
        if source is None or not values:
            return
        name = source.name
        before = {p: _copy_part(source, p) for p in values}
        for p, v in values.items():
            _set_part(source, p, v)
        after = {p: _copy_part(source, p) for p in values}

        def apply(state: dict[str, Any], _name: str = name) -> None:
            src = self._source_named(_name)
            if src is None:
                return
            for p, v in state.items():
                _set_part(src, p, v)
            self.revision += 1
            for p in state:
                self.changed.emit(p)

        key = None if merge_id is None else f"{merge_id}|{','.join(sorted(values))}"
        self.undo_stack.push(SnapshotCommand(label, apply, before, after, key))
        self.revision += 1
        for p in values:
            self.changed.emit(p)

    def end_gesture(self) -> None:
        self.undo_stack.close_merge()

    def undo(self) -> str:
        return self.undo_stack.undo()

    def redo(self) -> str:
        return self.undo_stack.redo()

    def mark_saved(self, path: str | Path) -> None:
        if self.project is not None:
            self.project.path = str(path)
        self.undo_stack.set_clean()
        self.pathChanged.emit(str(path))

    def save(self, path: str | Path | None = None) -> Path:
        if self.project is None:
            raise RuntimeError("no project to save")
        target = self.project.save(path)
        self.mark_saved(target)
        return target

    def _source_named(self, name: str) -> Source | None:
        if self.project is None:
            return None
        for s in self.project.sources:
            if s.name == name:
                return s
        return None

    def _on_stack(self) -> None:
        self.undoStateChanged.emit()
        clean = self.undo_stack.is_clean()
        if clean != self._was_clean:
            self._was_clean = clean
            self.dirtyChanged.emit(not clean)


__all__ = ["PARTS", "ProjectDocument"]

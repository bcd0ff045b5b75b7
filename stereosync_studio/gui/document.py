"""The open project as the Studio edits it: one Project, one undo stack, change signals.

Every edit goes through `ProjectDocument.edit(part, value, ...)`, which snapshots the part
(envelope, track, trajectory, reference, takes, engine) of the current source before and
after, so undo/redo, autosave and the views all see the same history. Views never mutate
the Project directly; they ask the document and redraw on `changed(part)`.

Edits of the list of sources (find all subjects, merge, split, delete, rename, takes of every
subject at once) go through `replace_sources`, which snapshots the whole list (deep copies,
so undo gives back exactly the sources that were there). `changed("source")` means another
source is shown, or the list changed; `changed("project")` means a whole project was loaded.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal

from .. import jobs
from ..core.project import Project, Reference, Source, TakeInfo
from ..core.undo import SnapshotCommand, UndoStack

PARTS = ("envelope", "track", "trajectory", "reference", "takes", "engine", "events", "surfaces")
WHOLE = ("project", "source")  # parts after which a view shows a (possibly) different source


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
    if part == "surfaces":
        return copy.deepcopy(source.surfaces)
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
    elif part == "surfaces":
        source.surfaces = copy.deepcopy(value)
    else:
        raise KeyError(part)


def _move_takes(state: Any, moved: dict[str, str]) -> None:
    """Give every take held in an undo snapshot its new path (lists, tuples, sources, takes)."""
    if isinstance(state, TakeInfo):
        state.path = moved.get(state.path, state.path)
    elif isinstance(state, Source):
        _move_takes(state.takes, moved)
    elif isinstance(state, (list, tuple)):
        for item in state:
            _move_takes(item, moved)
    elif isinstance(state, dict):
        for item in state.values():
            _move_takes(item, moved)


class ProjectDocument(QObject):
    """Owns the Project being edited; emits `changed(part)` after every edit, undo and redo."""

    changed = Signal(str)  # part name, or "project" when a whole project was loaded
    undoStateChanged = Signal()
    dirtyChanged = Signal(bool)
    pathChanged = Signal(str)
    takesMoved = Signal(dict)  # {old path: new path} when saving gathered takes into `<name>_takes/`

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
        """Show another source (a view choice, not an edit: not in the undo stack)."""
        if self.project is not None and 0 <= index < len(self.project.sources) and index != self.source_index:
            self.source_index = index
            self.changed.emit("source")

    def select_source_named(self, name: str) -> bool:
        names = self.source_names()
        if name not in names:
            return False
        self.select_source(names.index(name))
        return True

    def source_names(self) -> list[str]:
        return [] if self.project is None else [s.name for s in self.project.sources]

    def edit(self, part: str, value: Any, label: str, merge_id: str | None = None,
             source_name: str | None = None) -> None:
        """Replace `part` of the current source (or the one named) with `value` as one undoable step."""
        self.edit_parts({part: value}, label, merge_id, source_name)

    def edit_parts(self, values: dict[str, Any], label: str, merge_id: str | None = None,
                   source_name: str | None = None) -> None:
        """Replace several parts at once (e.g. a box keyframe and the trajectory it moves).

        Undo and redo show the source they change (it becomes the selected one)."""
        source = self.source if source_name is None else self.source_named(source_name)
        if source is None or not values:
            return
        name = source.name
        before = {p: _copy_part(source, p) for p in values}
        for p, v in values.items():
            _set_part(source, p, v)
        after = {p: _copy_part(source, p) for p in values}

        def apply(state: dict[str, Any], _name: str = name) -> None:
            src = self.source_named(_name)
            if src is None:
                return
            for p, v in state.items():
                _set_part(src, p, v)
            self.revision += 1
            if self.source is not src:
                self.source_index = self.project.sources.index(src)
                self.changed.emit("source")
            for p in state:
                self.changed.emit(p)

        key = None if merge_id is None else f"{merge_id}|{','.join(sorted(values))}"
        self.undo_stack.push(SnapshotCommand(label, apply, before, after, key))
        self.revision += 1
        for p in values:
            self.changed.emit(p)

    def replace_sources(self, sources: list[Source], label: str, select: str | None = None,
                        settings: dict[str, Any] | None = None) -> None:
        """Make `sources` (copied) the project's sources as one undoable step; `select` names the
        source shown afterwards (default: the current one if it is still there)."""
        proj = self.project
        if proj is None or not sources:
            return
        before = self._sources_state()
        proj.sources = copy.deepcopy(list(sources))
        if settings is not None:
            proj.settings = copy.deepcopy(settings)
        self._select(select or before[2])
        after = self._sources_state()
        self.undo_stack.push(SnapshotCommand(label, self._restore_sources, before, after))
        self.revision += 1
        self.changed.emit("source")

    def _sources_state(self) -> tuple[list[Source], dict[str, Any], str]:
        proj = self.project
        current = self.source
        return copy.deepcopy(proj.sources), copy.deepcopy(proj.settings), current.name if current else ""

    def _restore_sources(self, state: tuple[list[Source], dict[str, Any], str]) -> None:
        if self.project is None:
            return
        sources, settings, selected = state
        self.project.sources = copy.deepcopy(sources)
        self.project.settings = copy.deepcopy(settings)
        self._select(selected)
        self.revision += 1
        self.changed.emit("source")

    def _select(self, name: str) -> None:
        names = self.source_names()
        if name in names:
            self.source_index = names.index(name)
        else:
            self.source_index = max(0, min(self.source_index, len(names) - 1))

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
        """Write the project (`jobs.save_project`): its takes move into `<name>_takes/` beside it
        first, and the history follows them, so undo never brings back a path that moved."""
        if self.project is None:
            raise RuntimeError("no project to save")
        takes = [t for s in self.project.sources for t in s.takes]
        before = [t.path for t in takes]
        try:
            target = jobs.save_project(self.project, path)
        finally:  # also when a later move or the write failed: the takes already moved stay found
            moved = {old: t.path for old, t in zip(before, takes) if t.path != old}
            if moved:
                for cmd in self.undo_stack.commands():
                    _move_takes(cmd.before, moved)
                    _move_takes(cmd.after, moved)
                self.takesMoved.emit(moved)
                self.changed.emit("takes")
        self.mark_saved(target)
        return target

    def relink_clip(self, path: str) -> None:
        """Point the project at its clip found elsewhere (Locate…), as one undoable step."""
        if self.project is None:
            return

        def apply(p: str) -> None:
            self.project.clip.path = p
            self.revision += 1
            self.changed.emit("clip")

        before = self.project.clip.path
        apply(str(path))
        self.undo_stack.push(SnapshotCommand("Locate clip", apply, before, str(path)))

    def source_named(self, name: str) -> Source | None:
        if self.project is None:
            return None
        for s in self.project.sources:
            if s.name == name:
                return s
        return None

    def take_owner(self, path: str) -> str | None:
        """The name of the source take `path` belongs to (None when no source has it)."""
        for s in self.project.sources if self.project is not None else []:
            if any(t.path == path for t in s.takes):
                return s.name
        return None

    def _on_stack(self) -> None:
        self.undoStateChanged.emit()
        clean = self.undo_stack.is_clean()
        if clean != self._was_clean:
            self._was_clean = clean
            self.dirtyChanged.emit(not clean)


__all__ = ["PARTS", "WHOLE", "ProjectDocument"]

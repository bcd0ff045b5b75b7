"""Undo/redo for every edit in the Studio, kept Qt-free so it can be tested without a screen.

Commands are snapshots: each holds the value of one part of the project before and after an
edit plus a function that puts a value back. A gesture (a pencil stroke, a drag) pushes many
small commands with one `merge_id`; they fold into one entry, so Ctrl+Z undoes the whole stroke.
The stack remembers which entry was saved ("clean"), which drives the title bar's dirty mark.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable


@dataclass
class SnapshotCommand:
    """Set a part of the document from `before` to `after`; `apply(value)` installs a value."""

    label: str
    apply: Callable[[Any], None]
    before: Any
    after: Any
    merge_id: str | None = None

    def undo(self) -> None:
        self.apply(self.before)

    def redo(self) -> None:
        self.apply(self.after)

    def merge(self, newer: "SnapshotCommand") -> bool:
        """Absorb `newer` (same gesture): keep our `before`, take its `after`."""
        if self.merge_id is None or newer.merge_id != self.merge_id:
            return False
        self.after = newer.after
        return True


class UndoStack:
    """Linear history of commands with a clean mark and change listeners."""

    def __init__(self, limit: int = 500) -> None:
        self._commands: list[SnapshotCommand] = []
        self._index = 0  # number of applied commands
        self._clean: int | None = 0  # index at which the document matches the saved file
        self._limit = limit
        self._merge_open = True
        self._listeners: list[Callable[[], None]] = []

    # -- state -----------------------------------------------------------------------------------
    @property
    def index(self) -> int:
        return self._index

    def __len__(self) -> int:
        return len(self._commands)

    def commands(self) -> list[SnapshotCommand]:
        """Every command in the history, oldest first (to fix up the snapshots, e.g. moved files)."""
        return list(self._commands)

    def can_undo(self) -> bool:
        return self._index > 0

    def can_redo(self) -> bool:
        return self._index < len(self._commands)

    def undo_label(self) -> str:
        return self._commands[self._index - 1].label if self.can_undo() else ""

    def redo_label(self) -> str:
        return self._commands[self._index].label if self.can_redo() else ""

    def is_clean(self) -> bool:
        return self._clean == self._index

    def set_clean(self) -> None:
        self._clean = self._index
        self._notify()

    def set_dirty(self) -> None:
        """Forget the clean mark (e.g. a document recovered from an autosave, never saved)."""
        self._clean = None
        self._notify()

    def clear(self) -> None:
        self._commands.clear()
        self._index = 0
        self._clean = 0
        self._notify()

    def add_listener(self, fn: Callable[[], None]) -> None:
        self._listeners.append(fn)

    # -- editing ---------------------------------------------------------------------------------
    def push(self, cmd: SnapshotCommand, applied: bool = True) -> None:
        """Record `cmd` (already applied unless `applied` is False, then it is applied here)."""
        if not applied:
            cmd.redo()
        del self._commands[self._index:]
        if self._clean is not None and self._clean > self._index:
            self._clean = None  # the saved state was in the discarded redo branch
        top = self._commands[-1] if self._commands else None
        if (top is not None and self._merge_open and self._clean != self._index
                and top.merge(cmd)):
            self._notify()
            return
        self._commands.append(cmd)
        self._index += 1
        self._merge_open = True
        if len(self._commands) > self._limit:
            drop = len(self._commands) - self._limit
            del self._commands[:drop]
            self._index -= drop
            if self._clean is not None:
                self._clean = self._clean - drop if self._clean >= drop else None
        self._notify()

    def close_merge(self) -> None:
        """End the current gesture: the next command starts a new entry even with the same id."""
        self._merge_open = False

    def undo(self) -> str:
        if not self.can_undo():
            return ""
        self._index -= 1
        cmd = self._commands[self._index]
        cmd.undo()
        self._merge_open = False
        self._notify()
        return cmd.label

    def redo(self) -> str:
        if not self.can_redo():
            return ""
        cmd = self._commands[self._index]
        cmd.redo()
        self._index += 1
        self._merge_open = False
        self._notify()
        return cmd.label

    def _notify(self) -> None:
        for fn in list(self._listeners):
            fn()


__all__ = ["SnapshotCommand", "UndoStack"]

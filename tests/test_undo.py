"""The Qt-free undo stack (core.undo): gestures merge, the clean mark follows saves, limits hold."""

from __future__ import annotations

from stereosync_studio.core.undo import SnapshotCommand, UndoStack


class Box:
    def __init__(self) -> None:
        self.value = 0.0

    def set(self, v: float) -> None:
        self.value = v


def _edit(stack: UndoStack, box: Box, new: float, merge_id: str | None = None, label: str = "edit") -> None:
    cmd = SnapshotCommand(label, box.set, box.value, new, merge_id)
    stack.push(cmd, applied=False)


def test_undo_redo_restore_exact_values():
    stack, box = UndoStack(), Box()
    for v in (0.1, 0.2000001, 1 / 3):
        _edit(stack, box, v)
    assert box.value == 1 / 3
    assert stack.undo() == "edit" and box.value == 0.2000001
    assert stack.undo() == "edit" and box.value == 0.1
    assert stack.redo() == "edit" and box.value == 0.2000001
    assert len(stack) == 3 and stack.index == 2


def test_a_gesture_is_one_undo_step_until_closed():
    stack, box = UndoStack(), Box()
    for v in (1.0, 2.0, 3.0):
        _edit(stack, box, v, merge_id="stroke-1", label="pencil")
    assert len(stack) == 1
    stack.close_merge()
    _edit(stack, box, 4.0, merge_id="stroke-1", label="pencil")
    assert len(stack) == 2
    stack.undo()
    assert box.value == 3.0
    stack.undo()
    assert box.value == 0.0 and not stack.can_undo()


def test_clean_mark_follows_save_and_is_lost_in_a_discarded_branch():
    stack, box = UndoStack(), Box()
    _edit(stack, box, 1.0)
    _edit(stack, box, 2.0)
    stack.set_clean()
    assert stack.is_clean()
    stack.undo()
    assert not stack.is_clean()
    stack.redo()
    assert stack.is_clean()
    stack.undo()
    _edit(stack, box, 5.0)  # the saved state (2.0) is now unreachable
    assert not stack.is_clean()
    stack.undo()
    assert not stack.is_clean() and box.value == 1.0


def test_new_edit_after_undo_drops_the_redo_branch():
    stack, box = UndoStack(), Box()
    _edit(stack, box, 1.0)
    _edit(stack, box, 2.0)
    stack.undo()
    _edit(stack, box, 7.0)
    assert not stack.can_redo() and len(stack) == 2
    assert stack.redo() == "" and box.value == 7.0


def test_limit_drops_the_oldest_and_listeners_hear_every_change():
    stack, box = UndoStack(limit=3), Box()
    heard: list[int] = []
    stack.add_listener(lambda: heard.append(stack.index))
    for v in range(1, 6):
        _edit(stack, box, float(v))
    assert len(stack) == 3 and heard == [1, 2, 3, 3, 3]
    while stack.can_undo():
        stack.undo()
    assert box.value == 2.0  # edits 1 and 2 fell off the bottom: their before-values are gone

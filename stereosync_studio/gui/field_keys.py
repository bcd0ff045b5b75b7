"""Number fields of the main window give the keyboard back to the window, like a DAW's.

Why: a spin box that has focus swallows the window's shortcuts. After typing Takes = 3 (or
Width = 50 %) and Enter, Space typed a space into the field instead of playing, Ctrl+Z undid
the field's text instead of the edit, and 1/2/3 changed the value instead of the tool. Here
Enter commits the value and takes the focus off the field; Space (never part of a number)
and Undo/Redo with nothing typed in the field go to the window's actions. Dialogs keep the
usual behaviour (Enter there presses the default button).
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeyEvent, QKeySequence
from PySide6.QtWidgets import QAbstractSpinBox, QWidget

_ENTER = (Qt.Key_Return, Qt.Key_Enter)
_UNDO_REDO = (QKeySequence.Undo, QKeySequence.Redo)
_REDO_KEYS = ("Ctrl+Shift+Z", "Ctrl+Y")


def _pending(spin: QAbstractSpinBox) -> bool:
    """True while the field holds typed text that is not its value yet (its own undo matters)."""
    if not (hasattr(spin, "cleanText") and hasattr(spin, "textFromValue")):
        return True  # a date/time field: leave its keys alone
    return spin.cleanText() != spin.textFromValue(spin.value())


def _is_undo_redo(ev: QKeyEvent) -> bool:
    if any(ev.matches(k) for k in _UNDO_REDO):
        return True
    seq = QKeySequence(ev.keyCombination()).toString()
    return seq in _REDO_KEYS


class FieldKeys(QObject):
    """Application event filter for the number fields inside `window` (not its dialogs)."""

    def __init__(self, window: QWidget) -> None:
        super().__init__(window)
        self.window = window

    def _ours(self, obj: QObject) -> QAbstractSpinBox | None:
        if isinstance(obj, QAbstractSpinBox) and obj.window() is self.window:
            return obj
        return None

    def eventFilter(self, obj: QObject, ev: QEvent) -> bool:  # noqa: N802 (Qt's name)
        kind = ev.type()
        if kind not in (QEvent.KeyPress, QEvent.ShortcutOverride):
            return False
        spin = self._ours(obj)
        if spin is None:
            return False
        if kind == QEvent.KeyPress and ev.key() in _ENTER and ev.modifiers() in (Qt.NoModifier, Qt.KeypadModifier):
            spin.interpretText()  # commit what was typed (editingFinished follows on focus out)
            spin.clearFocus()
            return True
        if kind == QEvent.ShortcutOverride:
            space = ev.key() == Qt.Key_Space and ev.modifiers() == Qt.NoModifier
            if space or (_is_undo_redo(ev) and not _pending(spin)):
                spin.interpretText()
                spin.clearFocus()
                ev.ignore()  # not the field's: the window's shortcut runs
                return True
        return False


def install_field_keys(window: QWidget) -> FieldKeys:
    """Install the filter on the application (fields created later are covered too)."""
    from PySide6.QtWidgets import QApplication

    keys = FieldKeys(window)
    QApplication.instance().installEventFilter(keys)
    return keys


__all__ = ["FieldKeys", "install_field_keys"]

"""How controllers talk to the person at the screen: status lines, errors, questions, file pickers.

Why an object of its own: the controllers decide *what* to say or ask; this decides *how*
(status bar, non-blocking dialog, modal question). A Studio run without a person
(`interactive=False`: tests, --screenshot) never opens a modal dialog: questions take their
default answer and pickers return None. Tests of a controller can pass any object with the
same methods (see `Prompts`).
"""

from __future__ import annotations

from typing import Protocol

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QDialog, QFileDialog, QInputDialog, QMainWindow, QMessageBox

from . import style
from .export_dialog import ExportChoice, ExportDialog

APP_NAME = "StereoSync Studio"


class Prompts(Protocol):
    """What a controller may say or ask."""

    interactive: bool
    last_error: str

    def status(self, text: str, ms: int = 6000) -> None: ...
    def error(self, text: str, details: str = "") -> None: ...
    def confirm(self, title: str, text: str) -> bool: ...
    def ask_unsaved(self, name: str) -> str: ...
    def ask_text(self, title: str, label: str, text: str) -> str | None: ...
    def ask_open_file(self, title: str, file_filter: str) -> str | None: ...
    def ask_save_file(self, title: str, start: str, file_filter: str) -> str | None: ...
    def ask_export(self, takes: list, selected: list[str], outdir: str, name: str) -> ExportChoice | None: ...


class WindowPrompts:
    """`Prompts` through the main window's status bar and dialogs."""

    def __init__(self, window: QMainWindow, interactive: bool = True) -> None:
        self.window = window
        self.interactive = interactive
        self.last_error = ""

    def status(self, text: str, ms: int = 6000) -> None:
        self.window.statusBar().showMessage(text, ms)

    def error(self, text: str, details: str = "") -> None:
        """One clear line in the status bar and, interactively, a non-blocking dialog."""
        bar = self.window.statusBar()
        bar.setStyleSheet(f"QStatusBar {{ color: {style.ERROR}; }}")
        bar.showMessage(text, 15000)
        QTimer.singleShot(15000, bar, lambda: bar.setStyleSheet(""))  # dropped if the window goes
        self.last_error = text
        if self.interactive:
            box = QMessageBox(QMessageBox.Warning, APP_NAME, text, QMessageBox.Ok, self.window)
            if details:
                box.setDetailedText(details)
            box.setModal(False)
            box.show()

    def confirm(self, title: str, text: str) -> bool:
        """A yes/no question; yes when nobody is there to answer."""
        if not self.interactive:
            return True
        return QMessageBox.question(self.window, title, text, QMessageBox.Yes | QMessageBox.No,
                                    QMessageBox.Yes) == QMessageBox.Yes

    def ask_unsaved(self, name: str) -> str:
        """"save", "discard" or "cancel" for a project with unsaved changes."""
        if not self.interactive:
            return "discard"
        answer = QMessageBox.question(self.window, "Unsaved changes", f"Save changes to {name}?",
                                      QMessageBox.Save | QMessageBox.Discard | QMessageBox.Cancel, QMessageBox.Save)
        return {QMessageBox.Save: "save", QMessageBox.Discard: "discard"}.get(answer, "cancel")

    def ask_text(self, title: str, label: str, text: str) -> str | None:
        if not self.interactive:
            return None
        value, ok = QInputDialog.getText(self.window, title, label, text=text)
        return value if ok else None

    def ask_open_file(self, title: str, file_filter: str) -> str | None:
        if not self.interactive:
            return None
        path, _ = QFileDialog.getOpenFileName(self.window, title, "", file_filter)
        return path or None

    def ask_save_file(self, title: str, start: str, file_filter: str) -> str | None:
        if not self.interactive:
            return None
        path, _ = QFileDialog.getSaveFileName(self.window, title, start, file_filter)
        return path or None

    def ask_export(self, takes: list, selected: list[str], outdir: str, name: str) -> ExportChoice | None:
        if not self.interactive:
            return None
        dlg = ExportDialog(takes, selected, outdir, name, self.window)
        return dlg.choice() if dlg.exec() == QDialog.Accepted else None


__all__ = ["APP_NAME", "Prompts", "WindowPrompts"]

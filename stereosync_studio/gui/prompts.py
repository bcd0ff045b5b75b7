"""How controllers talk to the person at the screen: status lines, errors, questions, file pickers.

Why an object of its own: the controllers decide *what* to say or ask; this decides *how*
(status bar, non-blocking dialog, modal question). A Studio run without a person
(`interactive=False`: tests, --screenshot) never opens a modal dialog: questions take their
default answer and pickers return None. Tests of a controller can pass any object with the
same methods (see `Prompts`).

Errors never stack up: while the error dialog is open, a new message is added to it (once)
instead of opening another window; an error may offer actions, e.g. "Locate…" for a missing clip.
"""

from __future__ import annotations

from typing import Callable, Protocol, Sequence

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QDialog, QFileDialog, QInputDialog, QMainWindow, QMessageBox

from . import start_folder, style
from .export_dialog import ExportChoice, ExportDialog

APP_NAME = "StereoSync Studio"


class Prompts(Protocol):
    """What a controller may say or ask."""

    interactive: bool
    last_error: str

    def status(self, text: str, ms: int = 6000) -> None: ...
    def error(self, text: str, details: str = "", actions: Sequence[tuple[str, Callable[[], None]]] = ()) -> None: ...
    def confirm(self, title: str, text: str) -> bool: ...
    def ask_recover(self, text: str) -> str: ...
    def ask_unsaved(self, name: str) -> str: ...
    def ask_text(self, title: str, label: str, text: str) -> str | None: ...
    def ask_open_file(self, title: str, file_filter: str) -> str | None: ...
    def ask_save_file(self, title: str, start: str, file_filter: str) -> str | None: ...
    def ask_export(self, takes: list, selected: list[str], outdir: str, name: str,
                   timecode: str = "") -> ExportChoice | None: ...


class WindowPrompts:
    """`Prompts` through the main window's status bar and dialogs."""

    def __init__(self, window: QMainWindow, interactive: bool = True) -> None:
        self.window = window
        self.interactive = interactive
        self.last_error = ""
        self.error_box: QMessageBox | None = None

    def status(self, text: str, ms: int = 6000) -> None:
        self.window.statusBar().showMessage(text, ms)

    def error(self, text: str, details: str = "", actions: Sequence[tuple[str, Callable[[], None]]] = ()) -> None:
        """One clear line in the status bar and, interactively, the one non-blocking error dialog
        (a message already in it is not repeated); `actions` become buttons, e.g. ("Locate…", fn)."""
        bar = self.window.statusBar()
        bar.setStyleSheet(f"QStatusBar {{ color: {style.ERROR}; }}")
        bar.showMessage(text.split("\n")[0], 15000)
        QTimer.singleShot(15000, bar, lambda: bar.setStyleSheet(""))  # dropped if the window goes
        self.last_error = text
        if not self.interactive:
            return
        box = self.error_box
        if box is not None and box.isVisible():
            if text not in box.text().split("\n\n"):
                box.setText(box.text() + "\n\n" + text)
        else:
            if box is not None:
                box.deleteLater()
            box = QMessageBox(QMessageBox.Warning, APP_NAME, text, QMessageBox.Ok, self.window)
            box.setModal(False)
            self.error_box = box
        if details:
            box.setDetailedText((box.detailedText() + "\n\n" if box.detailedText() else "") + details)
        have = {b.text() for b in box.buttons()}
        for label, fn in actions:
            if label not in have:
                box.addButton(label, QMessageBox.ActionRole).clicked.connect(lambda _=False, f=fn: f())
        box.show()
        box.raise_()

    def confirm(self, title: str, text: str) -> bool:
        """A yes/no question; yes when nobody is there to answer."""
        if not self.interactive:
            return True
        return QMessageBox.question(self.window, title, text, QMessageBox.Yes | QMessageBox.No,
                                    QMessageBox.Yes) == QMessageBox.Yes

    def ask_recover(self, text: str) -> str:
        """"recover", "discard" or "later" (keep the autosave for another time); "recover" when
        nobody is there to answer."""
        if not self.interactive:
            return "recover"
        box = QMessageBox(QMessageBox.Question, "Recover unsaved changes", text, QMessageBox.NoButton, self.window)
        recover = box.addButton("Recover", QMessageBox.AcceptRole)
        drop = box.addButton("Discard", QMessageBox.DestructiveRole)
        later = box.addButton("Not now", QMessageBox.RejectRole)
        box.setDefaultButton(recover)
        box.setEscapeButton(later)
        box.exec()
        clicked = box.clickedButton()
        return "recover" if clicked is recover else "discard" if clicked is drop else "later"

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
        path, _ = QFileDialog.getOpenFileName(self.window, title, start_folder.start_folder(), file_filter)
        return path or None

    def ask_save_file(self, title: str, start: str, file_filter: str) -> str | None:
        if not self.interactive:
            return None
        path, _ = QFileDialog.getSaveFileName(self.window, title, start, file_filter)
        return path or None

    def ask_export(self, takes: list, selected: list[str], outdir: str, name: str,
                   timecode: str = "") -> ExportChoice | None:
        if not self.interactive:
            return None
        dlg = ExportDialog(takes, selected, outdir, name, self.window, timecode=timecode)
        return dlg.choice() if dlg.exec() == QDialog.Accepted else None


__all__ = ["APP_NAME", "Prompts", "WindowPrompts"]

"""Hooks run inside a real Studio process: `STEREOSYNC_STUDIO_TEST_HOOK=tests.studio_hooks:NAME`.

`stereosync-studio` calls `NAME(app, window)` right after its window is shown (see gui/app.py).
Each hook drives the real widgets from QTimers, as a designer's hand would (mouse events on the
lane, a click on the dialog's button), and writes what it saw into the folder `$STUDIO_HOOK_OUT`.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np


def _out() -> Path:
    return Path(os.environ["STUDIO_HOOK_OUT"])


def _when(cond, then, interval_ms: int = 100) -> None:
    from PySide6.QtCore import QTimer

    def poll():
        if cond():
            then()
        else:
            QTimer.singleShot(interval_ms, poll)

    QTimer.singleShot(interval_ms, poll)


def _ready(win) -> bool:
    return (win.doc.project is not None and not win.runner.busy() and win.view.engines_ready
            and win.video.shown_frame == win.video.frame)


class _Bot:
    """What tests.gui_fixtures.drag needs from qtbot: a wait that keeps the event loop going."""

    @staticmethod
    def wait(ms: int) -> None:
        from PySide6.QtTest import QTest

        QTest.qWait(ms)


def draw_envelope(app, win) -> None:
    """Once the clip is analysed: the Draw tool button, then a stroke across the envelope lane.
    Writes edited.npy (the envelope after the stroke) and edited.json (state before and after)."""
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    from tests.gui_fixtures import drag

    (_out() / "shown.txt").write_text(repr(__import__("time").time()))  # the window is on screen now

    def edit():
        before = {"dirty": win.doc.is_dirty(), "title": win.windowTitle(),
                  "files": sorted(p.name for p in (Path(os.environ["STEREOSYNC_STUDIO_HOME"]) / "recovery").glob("*"))}
        lane = win.lanes.envelope
        QTest.mouseClick(win.lanes.tool_buttons["draw"], Qt.LeftButton)
        level = round(0.6 * lane.vb.viewRange()[1][1], 4)
        drag(_Bot, lane.plot_widget, lane.vb, [(1.0, level), (1.5, level), (2.0, level), (2.5, level)])
        np.save(_out() / "edited.npy", win.doc.source.envelope.values)
        after = {"dirty": win.doc.is_dirty(), "title": win.windowTitle(), "level": level}
        (_out() / "edited.json").write_text(json.dumps({"before": before, "after": after}))

    _when(lambda: _ready(win), edit)


def answer_recover(app, win) -> None:
    """Click "Recover" on the recovery question when it comes (its text goes to prompt.txt); once the
    project is shown, write recovered.npy and recovered.json, then quit without saving."""
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication, QMessageBox

    def dialog():
        w = QApplication.activeModalWidget()
        return w if isinstance(w, QMessageBox) and any(b.text() == "Recover" for b in w.buttons()) else None

    def click():
        box = dialog()
        (_out() / "prompt.txt").write_text(box.text())
        QTest.mouseClick(next(b for b in box.buttons() if b.text() == "Recover"), Qt.LeftButton)

    def report():
        np.save(_out() / "recovered.npy", win.doc.source.envelope.values)
        state = {"dirty": win.doc.is_dirty(), "title": win.windowTitle(), "path": win.doc.path,
                 "autosave": str(win.autosaver.target)}
        (_out() / "recovered.json").write_text(json.dumps(state))
        win.doc.undo_stack.set_clean()  # quit without the save question (the autosave stays)
        win.close()
        app.quit()

    _when(lambda: dialog() is not None, click, 50)
    _when(lambda: _ready(win) and dialog() is None, report)

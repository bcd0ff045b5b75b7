"""Fixtures and input helpers for the Studio's pytest-qt tests (offscreen).

Mouse gestures are sent as real QMouseEvents to the widgets' viewports, so the tests go
through pyqtgraph's scene, the lanes' tools and the ROI exactly like a user's hand would.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "resources" / "demo" / "demo.mp4"
HARD = sorted(str(p) for p in (ROOT / "resources" / "samples" / "hard").glob("*.ogg"))


def demo_clip_path(cache_dir: Path) -> Path:
    """The bundled demo clip when it exists, else the same kind of clip made by the test generator."""
    if DEMO.is_file():
        return DEMO
    from tests.walker import cached_walker_clip

    truth = cached_walker_clip(cache_dir, scenario="approaching", duration=6.0, fps=25, size=(640, 360),
                               guide_reference=HARD, seed=7)
    return Path(truth.path)


@pytest.fixture
def studio_home(tmp_path, monkeypatch) -> Path:
    """A private config folder (recent files, recovery, takes of unsaved projects)."""
    home = tmp_path / "studio_home"
    monkeypatch.setenv("STEREOSYNC_STUDIO_HOME", str(home))
    return home


@pytest.fixture(scope="session")
def demo_clip(cache_dir) -> Path:
    return demo_clip_path(cache_dir)


@pytest.fixture(scope="session")
def analysed_project_file(tmp_path_factory, demo_clip) -> Path:
    """The demo analysed once per session by the Studio's own analysis job (saved as a project)."""
    from stereosync_studio.core.progress import CancelToken
    from stereosync_studio.gui.tasks import analyze_for_studio

    project = analyze_for_studio(str(demo_clip), lambda f, m="": None, CancelToken())
    path = tmp_path_factory.mktemp("analysed") / "demo.stereosync.json"
    project.save(path)
    return path


@pytest.fixture
def project_file(analysed_project_file, tmp_path) -> Path:
    """A fresh copy of the analysed demo project in this test's folder."""
    from stereosync_studio.core.project import Project

    project = Project.load(analysed_project_file)
    target = tmp_path / "proj" / "demo.stereosync.json"
    project.save(target)
    return target


@pytest.fixture
def window(qtbot, studio_home):
    """The real main window, laid out at 1600x1000, with no modal dialogs."""
    from PySide6.QtWidgets import QApplication

    from stereosync_studio.gui.main_window import MainWindow
    from stereosync_studio.gui.style import apply_style

    apply_style(QApplication.instance())
    win = MainWindow(interactive=False, autosave_interval_s=3600)
    qtbot.addWidget(win)
    win.resize(1600, 1000)
    win.show()
    qtbot.waitUntil(lambda: win.engines_ready, timeout=60000)
    yield win
    win.doc.undo_stack.set_clean()
    win.close()


def open_project(qtbot, win, path: Path) -> None:
    assert win.open_project(str(path))
    qtbot.waitUntil(lambda: not win.busy(), timeout=60000)
    qtbot.waitUntil(lambda: win.video.shown_frame == win.video.frame, timeout=20000)


def wait_idle(qtbot, win, timeout: int = 120000) -> None:
    qtbot.waitUntil(lambda: not win.busy(), timeout=timeout)


# -- mouse input -----------------------------------------------------------------------------------
def _send(viewport, kind, pos, button, buttons, modifiers=None):
    from PySide6.QtCore import QPointF, Qt
    from PySide6.QtGui import QMouseEvent
    from PySide6.QtWidgets import QApplication

    p = QPointF(pos)
    ev = QMouseEvent(kind, p, viewport.mapToGlobal(p), button, buttons,
                     modifiers if modifiers is not None else Qt.NoModifier)
    QApplication.sendEvent(viewport, ev)


def view_to_viewport(graphics_view, view_box, x: float, y: float):
    """Widget-pixel position (in the viewport) of data point (x, y) of `view_box`."""
    from PySide6.QtCore import QPointF

    scene = view_box.mapViewToScene(QPointF(x, y))
    return graphics_view.mapFromScene(scene)


def drag(qtbot, graphics_view, view_box, points: list[tuple[float, float]], button=None, modifiers=None) -> None:
    """Press at the first data point, move through the others, release at the last."""
    from PySide6.QtCore import QEvent, Qt

    button = button or Qt.LeftButton
    vp = graphics_view.viewport()
    pix = [view_to_viewport(graphics_view, view_box, x, y) for x, y in points]
    _send(vp, QEvent.MouseMove, pix[0], Qt.NoButton, Qt.NoButton, modifiers)
    qtbot.wait(15)
    _send(vp, QEvent.MouseButtonPress, pix[0], button, button, modifiers)
    for p in pix[1:]:
        qtbot.wait(15)  # pyqtgraph drops move events closer than 10 ms
        _send(vp, QEvent.MouseMove, p, Qt.NoButton, button, modifiers)
    qtbot.wait(15)
    _send(vp, QEvent.MouseButtonRelease, pix[-1], button, Qt.NoButton, modifiers)
    qtbot.wait(10)


def click(qtbot, graphics_view, view_box, x: float, y: float, button=None, modifiers=None) -> None:
    from PySide6.QtCore import QEvent, Qt

    button = button or Qt.LeftButton
    vp = graphics_view.viewport()
    p = view_to_viewport(graphics_view, view_box, x, y)
    _send(vp, QEvent.MouseMove, p, Qt.NoButton, Qt.NoButton, modifiers)
    qtbot.wait(15)
    _send(vp, QEvent.MouseButtonPress, p, button, button, modifiers)
    _send(vp, QEvent.MouseButtonRelease, p, button, Qt.NoButton, modifiers)
    qtbot.wait(10)


class LoopMonitor:
    """Records gaps between ticks of a fast QTimer: the event loop's stalls while work runs."""

    def __init__(self, interval_ms: int = 5) -> None:
        from PySide6.QtCore import QTimer

        self.ticks = 0
        self.gaps: list[float] = []
        self._last = None
        self.timer = QTimer()
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self._tick)

    def _tick(self) -> None:
        now = time.perf_counter()
        if self._last is not None:
            self.gaps.append(now - self._last)
        self._last = now
        self.ticks += 1

    def start(self) -> "LoopMonitor":
        self._last = None
        self.timer.start()
        return self

    def stop(self) -> None:
        self.timer.stop()

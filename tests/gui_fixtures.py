"""Fixtures and input helpers for the Studio's pytest-qt tests (offscreen).

Mouse gestures are sent as real QMouseEvents to the widgets' viewports, so the tests go
through pyqtgraph's scene, the lanes' tools and the ROI exactly like a user's hand would.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np
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
    """The demo analysed once per session by the job the Studio runs on open (saved as a project)."""
    from stereosync_studio import jobs

    project = jobs.analyze_clip(str(demo_clip))
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
    qtbot.waitUntil(lambda: win.view.engines_ready, timeout=60000)
    yield win
    win.doc.undo_stack.set_clean()
    win.close()


def open_project(qtbot, win, path: Path) -> None:
    assert win.projects.open_project(str(path))
    qtbot.waitUntil(lambda: not win.runner.busy(), timeout=60000)
    qtbot.waitUntil(lambda: win.video.shown_frame == win.video.frame, timeout=20000)


def wait_idle(qtbot, win, timeout: int = 120000) -> None:
    qtbot.waitUntil(lambda: not win.runner.busy(), timeout=timeout)


def generate_takes(qtbot, win, n: int) -> list:
    """Set the engine panel's Takes to `n`, click Generate, wait: the shown subject's takes."""
    from PySide6.QtCore import Qt

    win.engine_panel.n_takes.setValue(n)
    qtbot.mouseClick(win.engine_panel.b_generate, Qt.LeftButton)
    wait_idle(qtbot, win)
    return list(win.doc.source.takes)


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


# -- controllers without a window ---------------------------------------------------------------------
class RecordingPrompts:
    """A `gui.prompts.Prompts` that records what a controller says and answers its questions."""

    def __init__(self, confirm: bool = True, text: str | None = None, open_file: str | None = None) -> None:
        self.interactive = False
        self.last_error = ""
        self.statuses: list[str] = []
        self.errors: list[str] = []
        self.questions: list[str] = []
        self._confirm, self._text, self._open_file = confirm, text, open_file
        self.recover_answer = "recover"
        self.actions: list[str] = []

    def status(self, text: str, ms: int = 6000) -> None:
        self.statuses.append(text)

    def error(self, text: str, details: str = "", actions=()) -> None:
        self.errors.append(text)
        self.actions = [label for label, _fn in actions]
        self.last_error = text

    def confirm(self, title: str, text: str) -> bool:
        self.questions.append(title)
        return self._confirm

    def ask_recover(self, text: str) -> str:
        self.questions.append("Recover changes")
        return self.recover_answer

    def ask_unsaved(self, name: str) -> str:
        return "discard"

    def ask_text(self, title: str, label: str, text: str) -> str | None:
        return self._text

    def ask_open_file(self, title: str, file_filter: str) -> str | None:
        return self._open_file

    def ask_save_file(self, title: str, start: str, file_filter: str) -> str | None:
        return None

    def ask_export(self, takes, selected, outdir, name, timecode=""):
        return None


def small_project(n_sources: int = 2, duration: float = 2.0, fps: float = 25.0, clip_path: str = "missing.mp4"):
    """A Project built in memory: `n_sources` boxes walking left to right, a bumpy envelope each."""
    from stereosync_studio.core.envelope import ENVELOPE_RATE, Envelope
    from stereosync_studio.core.project import ClipInfo, Project, Reference, Source
    from stereosync_studio.core.track import Track
    from stereosync_studio.core.trajectory import Trajectory

    n = int(round(duration * fps))
    clip = ClipInfo(clip_path, fps, 640, 360, duration, n)
    rng = np.random.default_rng(3)
    sources = []
    for k in range(n_sources):
        x = np.linspace(40 + 200 * k, 200 + 200 * k, n)
        boxes = np.stack([x, np.full(n, 60.0), x + 80, np.full(n, 320.0)], 1)
        boxes[:2] = np.nan  # not seen in the first frames
        track = Track(boxes, np.full(n, 0.9))
        t = np.arange(int(duration * ENVELOPE_RATE)) / ENVELOPE_RATE
        env = Envelope((0.3 * np.maximum(0, np.sin(2 * np.pi * 2 * t)) ** 8 + 0.01 * rng.random(len(t)))
                       .astype(np.float32), origin="audio")
        traj = Trajectory.from_track(track, clip.width, clip.height, fps)
        sources.append(Source(f"subject{k + 1}", track, env, traj, Reference(str(ROOT / "resources" / "samples"
                                                                                / "hard"))))
    return Project("small", clip, sources, 48000)

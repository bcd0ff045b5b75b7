"""The Studio's layout at the screens designers use: 1280x720, 1600x1000, 1920x1080, 2560x1440 and
200 % scale (QT_SCALE_FACTOR=2 on a 2560x1440 screen: 1280x720 logical pixels).

The real window is laid out with the demo project, two takes (one renamed), five reference sounds
and a range selected; `tests/gui_layout.layout_problems` then walks every visible widget: nothing
outside the window or its parent, no two controls of one layout overlapping, no control below its
minimum size (no cut text, arrows or buttons). The splitters are dragged with the mouse to each
end: every panel keeps its minimum, and a bigger window gives the squeezed panel room back.

`STEREOSYNC_UPDATE_SCREENSHOTS=1` also writes the pictures to docs/screenshots/studio_<size>.png.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("pytestqt")

from PySide6.QtCore import QEvent, QPoint, Qt  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from stereosync_studio.core.project import Project, Reference  # noqa: E402
from tests.gui_fixtures import (ROOT, _send, analysed_project_file, demo_clip, open_project, studio_home,  # noqa: E402,F401
                                wait_idle, window)
from tests.gui_layout import layout_problems, settle, show_busiest, studio_problems  # noqa: E402

pytestmark = pytest.mark.gui

SIZES = [(1280, 720), (1600, 1000), (1920, 1080), (2560, 1440)]
SNOW = ROOT / "resources" / "samples" / "snow"  # five sounds
LONG_NAME = "take02 gravel, heavy boots"
SHOTS = ROOT / "docs" / "screenshots"


@pytest.fixture(scope="module")
def takes_project(tmp_path_factory, analysed_project_file) -> Path:
    """The analysed demo with two rendered takes (the second renamed) and five reference sounds."""
    from stereosync_studio import jobs

    project = Project.load(analysed_project_file)
    project.source().reference = Reference(str(SNOW))
    folder = tmp_path_factory.mktemp("layout")
    jobs.render_takes(project, folder / "demo_takes", n_takes=2, seed=1)
    project.source().takes[1].name = LONG_NAME
    path = folder / "demo.stereosync.json"
    project.save(path)
    return path


def _lay_out(qtbot, win, w: int, h: int) -> None:
    win.resize(w, h)
    qtbot.waitUntil(lambda: (win.width(), win.height()) == (w, h), timeout=5000)
    settle(QApplication.instance(), 8)


def _shot(win, name: str, tmp_path: Path) -> None:
    win.statusBar().clearMessage()  # no temporary paths in the pictures
    img = win.grab()
    assert img.save(str(tmp_path / f"{name}.png"))
    if os.environ.get("STEREOSYNC_UPDATE_SCREENSHOTS"):
        img.save(str(SHOTS / f"{name}.png"))


def _prepare(qtbot, win, project: Path) -> None:
    open_project(qtbot, win, project)
    wait_idle(qtbot, win)
    show_busiest(win)


def test_layout_fits_at_each_screen_size(qtbot, window, takes_project, tmp_path):
    _prepare(qtbot, window, takes_project)
    assert window.reference_panel.list.count() == 5
    report = {}
    for w, h in SIZES:
        _lay_out(qtbot, window, w, h)
        problems = layout_problems(window) + studio_problems(window, w, h)
        if problems:
            report[f"{w}x{h}"] = problems
        _shot(window, f"studio_{w}x{h}", tmp_path)
    assert not report, json.dumps(report, indent=1)
    # the whole take name is in the list, and the minimum the window asks for fits a 1280x720 screen
    names = [window.takes_panel.tree.topLevelItem(i).text(0) for i in range(2)]
    assert names == ["take01", LONG_NAME]
    hint = window.minimumSizeHint()
    assert hint.width() <= 1280 and hint.height() <= 720


def test_layout_at_200_percent_scale(takes_project, tmp_path, studio_home):
    """QT_SCALE_FACTOR=2 on a 2560x1440 screen: 1280x720 logical pixels, every control still fits."""
    out = tmp_path / "studio_200pct.png"
    env = dict(os.environ, QT_SCALE_FACTOR="2", QT_QPA_PLATFORM="offscreen")
    run = subprocess.run([sys.executable, "-m", "tests.gui_layout", str(takes_project), "1280x720", str(out)],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=240)
    line = next((ln for ln in run.stdout.splitlines() if ln.startswith("LAYOUT ")), None)
    assert line is not None, run.stdout[-2000:] + run.stderr[-3000:]
    report = json.loads(line[len("LAYOUT "):])
    assert report["size"] == [1280, 720] and report["dpr"] == 2.0
    assert report["problems"] == [], json.dumps(report["problems"], indent=1)
    from PySide6.QtGui import QImage

    img = QImage(str(out))
    assert (img.width(), img.height()) == (2560, 1440)
    if os.environ.get("STEREOSYNC_UPDATE_SCREENSHOTS"):
        img.save(str(SHOTS / "studio_200pct.png"))


def _drag_handle(qtbot, splitter, index: int, dx: int, dy: int) -> None:
    """Press on splitter handle `index`, move it by (dx, dy) pixels in steps, release: a hand on the mouse."""
    handle = splitter.handle(index)
    start = QPoint(handle.width() // 2, handle.height() // 2)
    _send(handle, QEvent.MouseButtonPress, start, Qt.LeftButton, Qt.LeftButton)
    for k in range(1, 9):
        qtbot.wait(5)
        _send(handle, QEvent.MouseMove, start + QPoint(dx * k // 8, dy * k // 8), Qt.NoButton, Qt.LeftButton)
    _send(handle, QEvent.MouseButtonRelease, start + QPoint(dx, dy), Qt.LeftButton, Qt.NoButton)
    settle(QApplication.instance(), 4)


def _on_screen(win, widget) -> bool:
    top_left = widget.mapTo(win, QPoint(0, 0))
    return win.rect().contains(top_left) and win.rect().contains(top_left + QPoint(widget.width() - 1,
                                                                                    widget.height() - 1))


def test_splitters_keep_every_panel_and_give_room_back(qtbot, window, takes_project):
    _prepare(qtbot, window, takes_project)
    _lay_out(qtbot, window, 1280, 720)
    win, main = window, window.main_split
    # side panel dragged as far right as it goes: it stops at its minimum, on screen
    _drag_handle(qtbot, main, 1, 2000, 0)
    assert main.touched
    right = win.right
    assert right.width() >= right.minimumSizeHint().width() and _on_screen(win, right)
    squeezed = right.width()
    assert layout_problems(win) == [] and studio_problems(win, 1280, 720) == []
    # a bigger window gives the squeezed panel room back (in proportion)
    _lay_out(qtbot, win, 1920, 1080)
    assert right.width() > squeezed + 100 and _on_screen(win, right)
    assert layout_problems(win) == []
    # and as far left as it goes: the picture, transport and lanes keep their minimum
    _lay_out(qtbot, win, 1280, 720)
    _drag_handle(qtbot, main, 1, -2000, 0)
    assert win.left.width() >= win.left.minimumSizeHint().width() and _on_screen(win, right)
    assert layout_problems(win) == []
    # the side panels' handles dragged to each end: every panel keeps its minimum height
    for index, dy in ((1, 2000), (2, 2000), (2, -2000), (1, -2000)):
        _drag_handle(qtbot, right, index, 0, dy)
        for panel in (win.reference_panel, win.engine_panel, win.takes_panel):
            assert panel.height() >= panel.minimumSizeHint().height(), (index, dy, type(panel).__name__)
        assert layout_problems(win) == [] and studio_problems(win, 1280, 720) == [], (index, dy)
    # the picture/lanes handle too
    for dy in (2000, -2000):
        _drag_handle(qtbot, win.left, 1, 0, dy)
        assert win.lanes.height() >= win.lanes.minimumSizeHint().height()
        assert layout_problems(win) == []


def test_spin_box_and_combo_arrows_are_visible(qtbot, window, takes_project):
    """The arrows are light on the dark buttons (they were near-black on near-black)."""
    _prepare(qtbot, window, takes_project)
    _lay_out(qtbot, window, 1600, 1000)

    def bright_pixels(widget, width: int) -> int:
        img = widget.grab().toImage()
        x0 = img.width() - width
        lum = [img.pixelColor(x, y).lightness() for x in range(x0, img.width()) for y in range(img.height())]
        return int(np.sum(np.asarray(lum) > 150))

    for spin in (window.engine_panel.n_takes, window.engine_panel.seed, window.lanes.strength):
        assert bright_pixels(spin, 18) >= 12, spin
    combo = window.engine_panel.combo
    assert bright_pixels(combo, 22) >= 6

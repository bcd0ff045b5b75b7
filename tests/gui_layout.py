"""Layout audit of a shown Qt window: what a designer would see as clipped, cramped or overlapping.

`layout_problems(window)` walks every visible widget and reports, one line each:
- a control outside the window, or outside its parent (scrolled content excepted);
- a control smaller than its `minimumSizeHint` (a button, spin box, combo, slider, line edit
  or label squeezed: its text or arrows are cut); a word-wrapped label too short for its text;
- two controls of one layout overlapping each other;
- a tool bar whose commands spill into its overflow menu.

`studio_problems(window, w, h)` adds what is particular to the Studio (take rows and names,
timecode, reference list, the window's own size).

Run as a script it lays the Studio out at one size and prints the problems as JSON, so the
200 % case can run in a subprocess with QT_SCALE_FACTOR=2:
`python -m tests.gui_layout PROJECT 1280x720 [OUT.png]`.
"""

from __future__ import annotations

import json
import os
import sys

from PySide6.QtCore import QRect
from PySide6.QtWidgets import (QAbstractButton, QAbstractScrollArea, QAbstractSlider, QAbstractSpinBox, QComboBox,
                               QLabel, QLayout, QLineEdit, QProgressBar, QScrollArea, QScrollBar, QToolBar, QWidget)

CONTROLS = (QAbstractButton, QAbstractSpinBox, QComboBox, QLineEdit, QLabel, QAbstractSlider, QProgressBar)


def _name(w: QWidget) -> str:
    text = ""
    for attr in ("text", "title", "placeholderText"):
        fn = getattr(w, attr, None)
        if callable(fn):
            try:
                text = str(fn())
            except TypeError:
                continue
            if text:
                break
    chain, p = [], w
    while p is not None and not p.isWindow():
        chain.append(p.objectName() or type(p).__name__)
        p = p.parentWidget()
    short = text.replace("\n", " ")[:40]
    return f"{type(w).__name__}{'(' + repr(short) + ')' if short else ''} in {'/'.join(reversed(chain[1:4]))}"


def _in_layout(layout: QLayout | None, w: QWidget) -> bool:
    if layout is None:
        return False
    for i in range(layout.count()):
        item = layout.itemAt(i)
        if item.widget() is w:
            return True
        if item.layout() is not None and _in_layout(item.layout(), w):
            return True
    return False


def visible_children(w: QWidget) -> list[QWidget]:
    return [c for c in w.children() if isinstance(c, QWidget) and not c.isWindow() and c.isVisible()]


def walk(root: QWidget):
    """(widget, scrolled) for every visible widget under `root`; `scrolled` when it sits in a
    scroll area's content (which is clipped by design). Composite widgets are not entered."""
    stack = [(c, False) for c in visible_children(root)]
    while stack:
        w, scrolled = stack.pop()
        yield w, scrolled
        if isinstance(w, QScrollArea) and w.widget() is not None and w.widget().isVisible():
            stack.append((w.widget(), True))
            continue
        if isinstance(w, (QAbstractScrollArea, QAbstractSpinBox, QComboBox, QScrollBar)):
            continue  # item views, plots, editors: their insides are Qt's own
        stack.extend((c, scrolled) for c in visible_children(w))


def _scroll_content(w: QWidget) -> bool:
    """The content widget of a scroll area (bigger than its viewport by design)."""
    area = w.parentWidget().parentWidget() if w.parentWidget() is not None else None
    return isinstance(area, QScrollArea) and area.widget() is w


def _too_small(w: QWidget) -> str:
    if w.property("elides"):
        return ""  # designed to elide its text (full text in the tooltip)
    if isinstance(w, QLabel) and w.wordWrap():
        need = w.heightForWidth(w.width())
        return f"height {w.height()} < {need} for its wrapped text" if need > w.height() + 1 else ""
    if isinstance(w, QLabel) and w.text() and w.width() < w.sizeHint().width():
        return f"text cut: {w.width()} px wide < {w.sizeHint().width()} px for its text"
    hint, explicit = w.minimumSizeHint(), w.minimumSize()
    if not hint.isValid():
        return ""
    # what the layout honours: an explicit minimum (set in code or by the style sheet) wins over the hint
    need_w = explicit.width() or hint.width()
    need_h = explicit.height() or hint.height()
    if w.width() < need_w or w.height() < need_h:
        return f"{w.width()}x{w.height()} < minimum {need_w}x{need_h}"
    return ""


def layout_problems(window: QWidget) -> list[str]:
    """Every clipped, squeezed or overlapping control of the shown `window` (empty when it fits)."""
    out: list[str] = []
    frame = window.rect()
    for w, scrolled in walk(window):
        g = QRect(w.mapTo(window, w.rect().topLeft()), w.size())
        parent = w.parentWidget()
        if not scrolled and not frame.adjusted(-1, -1, 1, 1).contains(g):
            out.append(f"outside the window: {_name(w)} at {g.getRect()} (window {frame.width()}x{frame.height()})")
        elif (parent is not None and not _scroll_content(w)
              and not parent.rect().adjusted(-1, -1, 1, 1).contains(w.geometry())):
            out.append(f"outside its parent: {_name(w)} at {w.geometry().getRect()} in {parent.width()}x"
                       f"{parent.height()}")
        if isinstance(w, CONTROLS):
            problem = _too_small(w)
            if problem:
                out.append(f"squeezed: {_name(w)}: {problem}")
        if isinstance(w, QToolBar):
            ext = w.findChild(QAbstractButton, "qt_toolbar_ext_button")
            if ext is not None and ext.isVisible():
                out.append(f"tool bar overflows: {_name(w)}")
    for w, _scrolled in walk(window):
        kids = [c for c in visible_children(w) if _in_layout(w.layout(), c)]
        for i, a in enumerate(kids):
            for b in kids[i + 1:]:
                if a.geometry().intersects(b.geometry()):
                    out.append(f"overlap: {_name(a)} {a.geometry().getRect()} and {_name(b)} {b.geometry().getRect()}")
    return out


def _rows_shown(tree) -> float:
    first = tree.visualItemRect(tree.topLevelItem(0)).height()
    return tree.viewport().height() / max(first, 1)


def studio_problems(win, w: int, h: int) -> list[str]:
    """What a designer looks for in the Studio beyond the generic audit, at one size (logical px):
    4 take rows with whole names, the whole timecode, every sound listed on a big screen (3 on a
    small one), and the window at the size asked for (its minimum fits)."""
    out = []
    tp = win.takes_panel
    if _rows_shown(tp.tree) < 4 - 1e-6:
        out.append(f"takes list shows {_rows_shown(tp.tree):.1f} rows < 4")
    if tp.tree.sizeHintForColumn(0) > tp.tree.columnWidth(0):
        out.append(f"take names cut: column {tp.tree.columnWidth(0)} px < {tp.tree.sizeHintForColumn(0)} px")
    tc = win.transport_bar.tc
    if tc.fontMetrics().horizontalAdvance(tc.text()) > tc.contentsRect().width():
        out.append(f"timecode cut: {tc.text()!r} in {tc.contentsRect().width()} px")
    ref = win.reference_panel.list
    need = ref.count() if (w, h) >= (1600, 1000) else 3  # every sound on a big screen, 3 on a small one
    shown = ref.viewport().height() / max(ref.visualItemRect(ref.item(0)).height(), 1)
    if shown < need - 1e-6:
        out.append(f"reference list shows {shown:.1f} of {ref.count()} sounds (want {need})")
    if not win.geometry().isValid() or (win.width(), win.height()) != (w, h):
        out.append(f"window is {win.width()}x{win.height()}, not {w}x{h}")
    return out


def show_busiest(win) -> None:
    """The widest readouts: a range selected (its times in the lane tool bar), the playhead at the end."""
    win.lanes.ctx.set_selection((2.0, 3.5), win.lanes.envelope)
    win.transport.end()


def settle(app, rounds: int = 6) -> None:
    import time

    for _ in range(rounds):
        app.processEvents()
        time.sleep(0.02)


def _main(argv: list[str]) -> int:
    """Lay the Studio out on `project` at WxH (logical pixels); print its problems as JSON."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    from stereosync_studio.gui.main_window import MainWindow
    from stereosync_studio.gui.style import apply_style

    project, size = argv[0], argv[1]
    w, h = (int(v) for v in size.split("x"))
    app = QApplication.instance() or QApplication([sys.argv[0]])
    apply_style(app)
    win = MainWindow(interactive=False, autosave_interval_s=3600)
    win.resize(w, h)
    win.show()
    assert win.projects.open_project(project)
    import time

    t0 = time.monotonic()
    while (win.runner.busy() or not win.view.engines_ready) and time.monotonic() - t0 < 60:
        settle(app, 1)
    show_busiest(win)
    settle(app)
    report = {"size": [win.width(), win.height()], "dpr": win.devicePixelRatioF(),
              "problems": layout_problems(win) + studio_problems(win, w, h)}
    if len(argv) > 2:
        win.statusBar().clearMessage()
        report["saved"] = bool(win.grab().save(argv[2]))
    print("LAYOUT " + json.dumps(report))
    win.doc.undo_stack.set_clean()
    win.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))

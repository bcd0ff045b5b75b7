"""The other subjects' boxes on the picture: dimmer, labelled with their names, click to select.

The selected subject keeps the editable BoxROI of `video_view`; every other source gets a
thin box in its own colour that follows its track frame by frame (dashed across gaps the
tracker bridged, hidden before it first appears and after it was last seen), so the designer
sees at a glance who is who and picks a subject by clicking it.
"""

from __future__ import annotations

from typing import Callable

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QFont

from . import style

Z_OTHER = 5.0  # under the selected box, which stays on top where boxes overlap


class OtherBox:
    """One non-selected subject: a clickable, non-movable ROI and a name tag."""

    def __init__(self, vb: pg.ViewBox, on_click: Callable[[str], None]) -> None:
        self.vb = vb
        self.name = ""
        self.color = style.BOX
        self.filled: np.ndarray | None = None
        self.seen: np.ndarray | None = None
        self.span = (0, -1)  # first and last frame where the subject is seen
        self.roi = pg.ROI((0, 0), (10, 10), movable=False, rotatable=False, resizable=False, removable=False)
        self.roi.setAcceptedMouseButtons(Qt.LeftButton)
        self.roi.setZValue(Z_OTHER)
        self.roi.sigClicked.connect(lambda _roi, _ev: on_click(self.name))
        self.label = pg.TextItem("", color="#0b0c0e", anchor=(0, 1))
        f = QFont(style.MONO)
        f.setPixelSize(11)
        self.label.setFont(f)
        self.label.setZValue(Z_OTHER)
        vb.addItem(self.roi)
        vb.addItem(self.label)
        self._state: tuple[bool, bool] | None = None

    def set_source(self, name: str, track, color: str) -> None:
        self.name, self.color = name, color
        self.roi.setToolTip(f"{name}: click to select")
        boxes = track.boxes if track is not None else np.zeros((0, 4))
        self.seen = np.isfinite(boxes[:, 0])
        self.filled = track.filled() if track is not None and self.seen.any() else None
        idx = np.flatnonzero(self.seen)
        self.span = (int(idx[0]), int(idx[-1])) if len(idx) else (0, -1)
        self.label.setText(f" {name} ")
        self.label.fill = pg.mkBrush(style.qcolor(color, 170))
        self._state = None

    def place(self, frame: int, visible: bool) -> None:
        show = visible and self.filled is not None and self.span[0] <= frame <= self.span[1]
        self.roi.setVisible(show)
        self.label.setVisible(show)
        if not show:
            return
        x0, y0, x1, y1 = (float(v) for v in self.filled[frame])
        self.roi.setPos((x0, y0), update=False, finish=False)
        self.roi.setSize((max(x1 - x0, 2.0), max(y1 - y0, 2.0)), update=True, finish=False)
        seen = bool(self.seen[frame])
        if self._state != (seen, True):
            self._state = (seen, True)
            self.roi.setPen(pg.mkPen(style.qcolor(self.color, 190), width=1.5,
                                     style=Qt.SolidLine if seen else Qt.DashLine))
            self.roi.hoverPen = pg.mkPen(self.color, width=2.5)
        self.label.setPos(x0, y0 - 2)

    def remove(self) -> None:
        self.vb.removeItem(self.roi)
        self.vb.removeItem(self.label)


class SubjectBoxes:
    """The boxes of every source but the selected one."""

    def __init__(self, vb: pg.ViewBox, on_click: Callable[[str], None]) -> None:
        self.vb = vb
        self.on_click = on_click
        self.boxes: list[OtherBox] = []
        self.visible = True

    def set_sources(self, entries: list[tuple[str, object, str]]) -> None:
        """`entries`: (name, track, colour) of each non-selected source."""
        while len(self.boxes) > len(entries):
            self.boxes.pop().remove()
        while len(self.boxes) < len(entries):
            self.boxes.append(OtherBox(self.vb, self.on_click))
        for box, (name, track, color) in zip(self.boxes, entries):
            box.set_source(name, track, color)

    def place(self, frame: int) -> None:
        for box in self.boxes:
            box.place(frame, self.visible)

    def names(self) -> list[str]:
        return [b.name for b in self.boxes]

    def shown(self, name: str) -> list[float] | None:
        """The box drawn for `name` now (x0, y0, x1, y1), or None when hidden (tests, hit tests)."""
        for b in self.boxes:
            if b.name == name and b.roi.isVisible():
                p, s = b.roi.pos(), b.roi.size()
                return [float(p.x()), float(p.y()), float(p.x() + s.x()), float(p.y() + s.y())]
        return None


__all__ = ["OtherBox", "SubjectBoxes"]

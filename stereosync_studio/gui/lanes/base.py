"""Lane plumbing: a header + pyqtgraph plot per lane, one shared time axis, playhead, loop, selection.

Lanes behave like DAW automation: Select (drag a range, grab and pull the curve), Draw
(freehand pencil), Step (envelope: click adds a step, right-click deletes, drag moves). The
wheel zooms time, middle-drag scrolls it. Every edit is sent to the ProjectDocument as one
undoable gesture; lanes redraw from the document, never from their own state.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QMenu, QToolButton, QVBoxLayout, QWidget

from ...core.project import TakeInfo
from .. import style
from ..document import ProjectDocument
from ..elided_label import ElidedLabel
from ..transport import Transport
from ..view_state import ViewState
from . import edit_tools as et

HEADER_WIDTH = 176  # fits the envelope's Guide / Video / CSV… buttons and every readout
AXIS_WIDTH = 38


class TimeAxis(pg.AxisItem):
    """Ticks as m:ss (or m:ss.cc when zoomed in), like a DAW's time ruler."""

    def tickStrings(self, values, scale, spacing):  # noqa: N802 - pyqtgraph API
        out = []
        for v in values:
            v = max(float(v), 0.0)
            m, s = divmod(v, 60.0)
            if spacing >= 1.0:
                out.append(f"{int(m)}:{int(round(s)):02d}")
            else:
                out.append(f"{int(m)}:{s:05.2f}")
        return out


class LaneContext(QObject):
    """State every lane shares: the document, the view state, the transport, the tool and the time selection."""

    toolChanged = Signal(str)
    selectionChanged = Signal()
    activeLaneChanged = Signal(object)

    def __init__(self, doc: ProjectDocument, view: ViewState, transport: Transport) -> None:
        super().__init__()
        self.doc, self.view, self.transport = doc, view, transport
        self.tool = "select"
        self.selection: tuple[float, float] | None = None
        self.active_lane: "Lane | None" = None

    def set_tool(self, tool: str) -> None:
        if tool != self.tool:
            self.tool = tool
            self.toolChanged.emit(tool)

    def set_selection(self, sel: tuple[float, float] | None, lane: "Lane | None" = None) -> None:
        if sel is not None:
            a, b = sorted(sel)
            sel = (a, b) if b - a > 1e-4 else None
        self.selection = sel
        if lane is not None:
            self.set_active(lane)
        self.selectionChanged.emit()

    def set_active(self, lane: "Lane | None") -> None:
        if lane is not self.active_lane:
            self.active_lane = lane
            self.activeLaneChanged.emit(lane)

    def shown_take(self) -> tuple[TakeInfo, dict] | None:
        """The selected take of the shown subject and its loaded analysis (None until it is loaded)."""
        src, result = self.doc.source, self.view.selected_analysis()
        if src is None or result is None:
            return None
        take = next((t for t in src.takes if t.path == self.view.selected_take), None)
        return None if take is None else (take, result)


class LaneViewBox(pg.ViewBox):
    """Routes left-button gestures to the lane's tools; keeps wheel zoom and middle-drag scroll on x."""

    def __init__(self, lane: "Lane") -> None:
        super().__init__(enableMenu=False)
        self.lane = lane
        self.setMouseEnabled(x=True, y=False)

    def mouseDragEvent(self, ev, axis=None):  # noqa: N802 - pyqtgraph API
        if axis is not None:
            ev.ignore()
            return
        if ev.button() == Qt.LeftButton:
            ev.accept()
            self.lane.on_drag(ev, self.mapToView(ev.buttonDownPos()), self.mapToView(ev.pos()))
        elif ev.button() == Qt.MiddleButton:
            super().mouseDragEvent(ev, axis)
        else:
            ev.ignore()

    def mouseClickEvent(self, ev):  # noqa: N802
        p = self.mapToView(ev.pos())
        if ev.button() == Qt.LeftButton:
            ev.accept()
            self.lane.on_click(p.x(), p.y(), ev.modifiers(), ev.double())
        elif ev.button() == Qt.RightButton:
            ev.accept()
            self.lane.on_context(p.x(), p.y(), ev.screenPos().toPoint())


class Lane(QWidget):
    """One row: a header on the left (name, readout, buttons), a plot on the time axis on the right."""

    title = "lane"
    colour = style.TEXT
    y_range = (0.0, 1.0)
    show_axis = True
    elide_readout = False  # a readout with free text (a take's name) shortens with "…" instead of growing

    def __init__(self, ctx: LaneContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(0)
        self.header = QFrame()
        self.header.setObjectName("laneHeader")
        self.header.setFixedWidth(HEADER_WIDTH)
        hl = QVBoxLayout(self.header)
        hl.setContentsMargins(8, 4, 6, 4)
        hl.setSpacing(3)
        self.title_label = QLabel("")
        self.title_label.setObjectName("laneTitle")
        self.set_title_note("")
        self.readout = ElidedLabel("") if self.elide_readout else QLabel("")
        self.readout.setObjectName("dim")
        self.title_row = QHBoxLayout()
        self.title_row.setSpacing(4)
        self.title_row.addWidget(self.title_label)
        self.title_row.addStretch(1)
        hl.addLayout(self.title_row)
        hl.addWidget(self.readout)
        self.buttons = QHBoxLayout()
        self.buttons.setSpacing(3)
        hl.addLayout(self.buttons)
        hl.addStretch(1)
        lay.addWidget(self.header)

        self.vb = LaneViewBox(self)
        self.plot_widget = pg.PlotWidget(viewBox=self.vb, axisItems={"bottom": TimeAxis("bottom")})
        self.plot_widget.setMinimumHeight(40)
        self.plot = self.plot_widget.getPlotItem()
        self.plot.hideButtons()
        self.plot.setMenuEnabled(False)
        self.plot.showAxis("bottom", False)
        left = self.plot.getAxis("left")
        left.setWidth(AXIS_WIDTH)
        left.setStyle(tickLength=-4, tickTextOffset=3)
        left.setPen(pg.mkPen(style.BORDER))
        left.setTextPen(pg.mkPen(style.TEXT_DIM))
        if not self.show_axis:
            left.setStyle(showValues=False)
        self.plot.showGrid(x=True, y=False, alpha=0.12)
        self.plot.layout.setContentsMargins(0, 2, 4, 2)
        self.vb.setYRange(*self.y_range, padding=0.04)
        self.vb.disableAutoRange()
        lay.addWidget(self.plot_widget, 1)

        self.loop_region = pg.LinearRegionItem((0, 0), movable=False, brush=pg.mkBrush(*style.LOOP),
                                               pen=pg.mkPen(None))
        self.loop_region.setZValue(-20)
        self.loop_region.setVisible(False)
        self.plot.addItem(self.loop_region, ignoreBounds=True)
        self.sel_region = pg.LinearRegionItem((0, 0), movable=True, brush=pg.mkBrush(*style.SELECTION),
                                              pen=pg.mkPen((120, 170, 255, 160)))
        self.sel_region.setZValue(-15)
        self.sel_region.setVisible(False)
        self.sel_region.sigRegionChangeFinished.connect(self._sel_moved)
        self.plot.addItem(self.sel_region, ignoreBounds=True)
        self.playhead = pg.InfiniteLine(0, angle=90, movable=False, pen=pg.mkPen(style.PLAYHEAD, width=1.5))
        self.playhead.setZValue(50)
        self.plot.addItem(self.playhead, ignoreBounds=True)

        ctx.transport.positionChanged.connect(self._on_position)
        ctx.transport.loopChanged.connect(self._on_loop)
        ctx.selectionChanged.connect(self._on_selection)
        ctx.toolChanged.connect(self._on_tool)
        ctx.activeLaneChanged.connect(self._on_active)
        self._on_tool(ctx.tool)

    def set_title_note(self, note: str) -> None:
        """A dim word after the lane's name (the envelope's origin: audio, video, csv, drawn)."""
        extra = f" <span style='color:{style.TEXT_DIM}; font-weight:normal'>· {note}</span>" if note else ""
        self.title_label.setText(f"<span style='color:{self.colour}'>\u25A0</span> {self.title}{extra}")

    # -- shared state ----------------------------------------------------------------------------
    def _on_position(self, t: float) -> None:
        self.playhead.setValue(t)
        self.update_readout(t)

    def update_readout(self, t: float) -> None:
        """Show the lane's value at the playhead (override)."""

    def _on_loop(self) -> None:
        tr = self.ctx.transport
        on = tr.loop_in is not None and tr.loop_out is not None
        self.loop_region.setVisible(on)
        if on:
            self.loop_region.setRegion((tr.loop_in, tr.loop_out))
            self.loop_region.setBrush(pg.mkBrush(*(style.LOOP if tr.loop_enabled else (150, 150, 150, 20))))

    def _on_selection(self) -> None:
        sel = self.ctx.selection
        self.sel_region.setVisible(sel is not None)
        if sel is not None:
            self.sel_region.blockSignals(True)
            self.sel_region.setRegion(sel)
            self.sel_region.blockSignals(False)

    def _sel_moved(self) -> None:
        a, b = self.sel_region.getRegion()
        self.ctx.set_selection((a, b), self)

    def _on_tool(self, tool: str) -> None:
        cursor = {"draw": Qt.CrossCursor, "step": Qt.PointingHandCursor}.get(tool, Qt.ArrowCursor)
        self.plot_widget.setCursor(cursor)

    def _on_active(self, lane) -> None:
        border = style.ACCENT if lane is self else style.BORDER
        self.header.setStyleSheet(f"QFrame#laneHeader {{ border-left: 3px solid "
                                  f"{border if lane is self else style.PANEL}; }}")

    def set_duration(self, duration: float) -> None:
        self.vb.setLimits(xMin=-0.02 * max(duration, 1e-3), xMax=duration * 1.02 + 1e-3, minXRange=0.05)

    def add_button(self, button) -> None:
        self.buttons.addWidget(button)

    def add_title_widget(self, widget) -> None:
        """A small control at the right of the lane's name (e.g. a lane's show/hide toggle)."""
        self.title_row.addWidget(widget)

    # -- gestures (override) ---------------------------------------------------------------------
    def on_drag(self, ev, start, now) -> None:
        if self.ctx.tool in ("select", "step"):
            self.ctx.set_selection((start.x(), now.x()), self)

    def on_click(self, x: float, y: float, modifiers, double: bool) -> None:
        self.ctx.set_active(self)
        self.ctx.set_selection(None)
        self.ctx.transport.seek(x)

    def on_context(self, x: float, y: float, screen_pos) -> None:
        menu = QMenu(self)
        self.fill_menu(menu, x, y)
        if not menu.isEmpty():
            menu.exec(screen_pos)

    def fill_menu(self, menu: QMenu, x: float, y: float) -> None:
        """Context menu entries (override)."""

    def refresh(self) -> None:
        """Redraw from the document (override)."""

    def cache_items(self, *items) -> None:
        """Curves are redrawn from a pixmap cache when only the playhead moves over them."""
        from PySide6.QtWidgets import QGraphicsItem

        for item in items:
            item.setCacheMode(QGraphicsItem.DeviceCoordinateCache)

    def pixel(self) -> tuple[float, float]:
        px = self.vb.viewPixelSize()
        return float(px[0] or 1e-3), float(px[1] or 1e-3)


class CurveLane(Lane):
    """A lane holding one dense editable curve (envelope, pan, distance)."""

    lo, hi, centre, clear_value = 0.0, 1.0, 0.0, 0.0
    drag_width_px = 40.0
    edit_label = "Edit curve"

    def __init__(self, ctx: LaneContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self._gesture: str | None = None
        self._last: tuple[float, float] | None = None
        self._orig: np.ndarray | None = None
        self._mode = ""

    # subclasses provide the curve and how to write it back
    def curve(self) -> tuple[np.ndarray, np.ndarray] | None:
        raise NotImplementedError

    def commit(self, values: np.ndarray, label: str, merge_id: str | None) -> None:
        raise NotImplementedError

    def on_drag(self, ev, start, now) -> None:
        cur = self.curve()
        if cur is None:
            return
        times, values = cur
        t, y = float(now.x()), float(now.y())
        tool = self.ctx.tool
        if ev.isStart():
            self.ctx.set_active(self)
            self._gesture = self.ctx.doc.new_gesture(self.title)
            t0, y0 = float(start.x()), float(start.y())
            if tool == "draw":
                self._mode = "draw"
                self._last = (t0, y0)
            else:
                px, py = self.pixel()
                near = abs(float(np.interp(t0, times, values)) - y0) < 9 * abs(py)
                self._mode = "drag" if near else "range"
                self._orig = values.copy()
                self._last = (t0, y0)
        if self._mode == "draw" and self._last is not None:
            lt, ly = self._last
            self.commit(et.pencil(values, times, lt, ly, t, y, self.lo, self.hi), "Draw " + self.title,
                        self._gesture)
            self._last = (t, y)
        elif self._mode == "drag" and self._orig is not None and self._last is not None:
            width = max(self.drag_width_px * self.pixel()[0], 1.5 * float(np.median(np.diff(times))))
            new = et.drag(self._orig, times, self._last[0], y - self._last[1], width, self.lo, self.hi)
            self.commit(new, "Drag " + self.title, self._gesture)
        elif self._mode == "range":
            self.ctx.set_selection((start.x(), t), self)
        if ev.isFinish():
            self.ctx.doc.end_gesture()
            self._gesture, self._last, self._orig, self._mode = None, None, None, ""

    def on_click(self, x: float, y: float, modifiers, double: bool) -> None:
        if self.ctx.tool == "draw":
            cur = self.curve()
            if cur is not None:
                times, values = cur
                self.commit(et.pencil(values, times, x, y, x, y, self.lo, self.hi), "Draw " + self.title, None)
                self.ctx.doc.end_gesture()
            self.ctx.set_active(self)
            return
        super().on_click(x, y, modifiers, double)

    # range actions (toolbar, menu, keys) -----------------------------------------------------
    def _range(self) -> tuple[float, float] | None:
        return self.ctx.selection

    def range_label(self, key: str, detail: str = "") -> str:
        """The undo entry of a range action: its one name, then the lane (`Smooth (Envelope, 20 %)`)."""
        return f"{et.RANGE_ACTIONS[key]} ({self.title}{', ' + detail if detail else ''})"

    def scale_selection(self, factor: float) -> bool:
        cur, sel = self.curve(), self._range()
        if cur is None or sel is None:
            return False
        times, values = cur
        key = "up" if factor >= 1.0 else "down"
        self.commit(et.scale_range(values, times, sel[0], sel[1], factor, self.lo, self.hi, self.centre),
                    self.range_label(key), None)
        return True

    def smooth_selection(self, strength: float | None = None) -> bool:
        """Smooth the range with `strength` in (0, 1] (default: the lane tool bar's, `view.smooth_strength`)."""
        cur, sel = self.curve(), self._range()
        if cur is None or sel is None:
            return False
        strength = self.ctx.view.smooth_strength if strength is None else float(strength)
        times, values = cur
        self.commit(et.smooth_range(values, times, sel[0], sel[1], strength),
                    self.range_label("smooth", f"{strength * 100:.0f} %"), None)
        return True

    def clear_selection(self) -> bool:
        cur, sel = self.curve(), self._range()
        if cur is None or sel is None:
            return False
        times, values = cur
        self.commit(et.clear_range(values, times, sel[0], sel[1], self.clear_value), self.range_label("clear"), None)
        return True

    def fill_menu(self, menu: QMenu, x: float, y: float) -> None:
        has_sel = self.ctx.selection is not None
        for key, fn in (("up", lambda: self.scale_selection(et.SCALE_STEP)),
                        ("down", lambda: self.scale_selection(1 / et.SCALE_STEP)),
                        ("smooth", self.smooth_selection), ("clear", self.clear_selection)):
            act = menu.addAction(et.RANGE_ACTIONS[key], fn)
            act.setEnabled(has_sel)


def small_button(text: str, tip: str, checkable: bool = False) -> QToolButton:
    """The compact button of a lane header (Guide / Video / CSV…, Follow box, + Add …)."""
    b = QToolButton()
    b.setText(text)
    b.setToolTip(tip)
    b.setCheckable(checkable)
    b.setStyleSheet("QToolButton { padding: 1px 4px; font-size: 8pt; border: 1px solid #3a3d44; }")
    return b


def value_text(v: float, digits: int = 2) -> str:
    return "–" if v is None or not math.isfinite(v) else f"{v:.{digits}f}"


class RulerLane(Lane):
    """The time ruler on top: click or drag to move the playhead; Shift+drag sets the loop."""

    title = "Time"
    show_axis = False

    def __init__(self, ctx: LaneContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.plot.showAxis("top", True)
        self.plot.setAxisItems({"top": TimeAxis("top")})
        top = self.plot.getAxis("top")
        top.setPen(pg.mkPen(style.BORDER))
        top.setTextPen(pg.mkPen(style.TEXT))
        top.setHeight(22)
        self.plot.getAxis("left").setStyle(showValues=False)
        self.plot.getAxis("left").setPen(pg.mkPen(None))
        self.plot.showGrid(x=False, y=False)
        self.plot_widget.setFixedHeight(30)
        self.setFixedHeight(30)
        self.title_label.setText("<b>TIME</b>")
        self.readout.setVisible(False)
        self.head_marker = pg.ScatterPlotItem([0], [0.5], symbol="t", size=11,
                                              brush=pg.mkBrush(style.PLAYHEAD), pen=None)
        self.plot.addItem(self.head_marker)

    def _on_position(self, t: float) -> None:
        super()._on_position(t)
        self.head_marker.setData([t], [0.5])

    def on_drag(self, ev, start, now) -> None:
        if ev.modifiers() & Qt.ShiftModifier:
            self.ctx.transport.set_loop(float(start.x()), float(now.x()))
        else:
            self.ctx.transport.seek(float(now.x()))

    def on_click(self, x: float, y: float, modifiers, double: bool) -> None:
        self.ctx.transport.seek(x)


__all__ = ["CurveLane", "Lane", "LaneContext", "LaneViewBox", "RulerLane", "TimeAxis", "HEADER_WIDTH",
           "small_button"]

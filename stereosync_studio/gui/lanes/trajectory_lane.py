"""Trajectory lanes: pan (-1 left .. 1 right) and distance from the boxes, editable like the envelope,
plus the heard-vs-box plot of the selected take (StereoSync's Fig. 4: where the sound is heard
against where the box is, with the Spatial AV-Align margin).
"""

from __future__ import annotations

import time

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QSpinBox

from ... import jobs
from ...core.trajectory import PAN_MODES, Trajectory
from .. import style
from .base import CurveLane, Lane, LaneContext, small_button

MAPPING_MERGE_S = 1.5  # Width / lens changes closer than this (arrow keys, wheel) are one undo step


class _TrajectoryLane(CurveLane):
    field = "pan"

    def trajectory(self) -> Trajectory | None:
        src = self.ctx.doc.source
        return None if src is None else src.trajectory

    def curve(self):
        tr = self.trajectory()
        if tr is None or len(tr) == 0:
            return None
        return tr.times(), getattr(tr, self.field)

    def commit(self, values: np.ndarray, label: str, merge_id: str | None) -> None:
        tr = self.trajectory()
        if tr is None:
            return
        new = tr.copy()
        setattr(new, self.field, np.asarray(values, np.float64))
        new.follow_box = False
        new.__post_init__()  # re-clip to the valid range
        self.ctx.doc.edit("trajectory", new, label, merge_id)


class PanLane(_TrajectoryLane):
    title = "Pan"
    colour = style.PAN
    y_range = (-1.0, 1.0)
    lo, hi, centre, clear_value = -1.0, 1.0, 0.0, 0.0
    field = "pan"

    followRequested = Signal()

    def __init__(self, ctx: LaneContext, parent=None) -> None:
        super().__init__(ctx, parent)
        self.edges = [pg.InfiniteLine(0, angle=0, pen=pg.mkPen((255, 255, 255, 40), style=pg.QtCore.Qt.DashLine))
                      for _ in range(2)]
        for e in self.edges:
            self.plot.addItem(e, ignoreBounds=True)
        self.centre_line = pg.InfiniteLine(0, angle=0, pen=pg.mkPen((255, 255, 255, 28)))
        self.plot.addItem(self.centre_line, ignoreBounds=True)
        self.box_curve = pg.PlotCurveItem(pen=pg.mkPen(style.qcolor(style.BOX, 120), width=1,
                                                       style=pg.QtCore.Qt.DotLine))
        self.curve_item = pg.PlotCurveItem(pen=pg.mkPen(style.PAN, width=2))
        self.plot.addItem(self.box_curve)
        self.plot.addItem(self.curve_item)
        self.cache_items(self.box_curve, self.curve_item)
        self.plot.getAxis("left").setTicks([[(-1, "L"), (-0.5, ""), (0, "C"), (0.5, ""), (1, "R")]])
        self.b_follow = small_button("Follow box", "Derive pan and distance from the tracked boxes again", True)
        self.b_follow.clicked.connect(lambda _=False: self.followRequested.emit())
        self.b_follow.setEnabled(False)  # until there is a subject to follow (`refresh`)
        self.add_button(self.b_follow)
        self._mapping_gesture: str | None = None
        self._mapping_time = 0.0
        self._mapping_from = ""
        self._mapping_row()

    # -- pan mapping: screen width or lens --------------------------------------------------------
    def _mapping_row(self) -> None:
        """Pan mode (Screen / Lens) beside Follow box, its amount (Width % / field of view °) beside
        the lane's name: the lane stays as short as the others."""
        small = "font-size: 8pt; padding: 0px 2px;"
        self.mode_box = QComboBox()
        self.mode_box.addItems([m.capitalize() for m in PAN_MODES])
        self.mode_box.setToolTip("Screen: the frame's edges are full left / right (a mixing stage's screen "
                                 "between the L/R speakers), narrowed by Width.\nLens: the angle through a "
                                 "camera of the field of view beside it.")
        self.mode_box.setStyleSheet(small)
        self.width_box = QSpinBox()
        self.width_box.setRange(0, 100)
        self.width_box.setSuffix(" %")
        self.width_box.setToolTip("Width: the pan of the frame's edges (100 % full left / right, 0 % mono)")
        self.hfov_box = QSpinBox()
        self.hfov_box.setRange(10, 170)
        self.hfov_box.setSuffix("°")
        self.hfov_box.setToolTip("Lens: the camera's horizontal field of view")
        for b in (self.width_box, self.hfov_box):
            b.setKeyboardTracking(False)  # typed digits apply on Enter, not one edit per digit
            b.setStyleSheet(small)
            b.valueChanged.connect(lambda _v: self._mapping_edited())
        self.mode_box.currentIndexChanged.connect(lambda _i: self._mapping_edited())
        self.add_button(self.mode_box)  # beside Follow box; the amount beside the lane's name
        self.add_title_widget(self.width_box)
        self.add_title_widget(self.hfov_box)
        self._show_mapping(None)

    def _show_mapping(self, tr: Trajectory | None) -> None:
        """Show the trajectory's mapping in the controls (without editing anything)."""
        widgets = (self.mode_box, self.width_box, self.hfov_box)
        for w in widgets:
            w.blockSignals(True)
            w.setEnabled(tr is not None)
        shown = tr if tr is not None else Trajectory(np.zeros(1), np.ones(1), 25.0)  # no clip: the defaults, greyed
        self.mode_box.setCurrentIndex(PAN_MODES.index(shown.pan_mode))
        self.width_box.setValue(int(round(shown.pan_width * 100)))
        self.hfov_box.setValue(int(round(shown.hfov_deg)))
        lens = tr is not None and tr.pan_mode == "lens"
        self.width_box.setVisible(not lens)
        self.hfov_box.setVisible(lens)
        for w in widgets:
            w.blockSignals(False)

    def set_pan_mapping(self, mode: str, width: float, hfov_deg: float) -> bool:
        """Re-derive the subject's pan under another mapping (`jobs.with_pan_mapping`) as one
        undoable edit; repeated changes of the same control (arrow keys, wheel) fold into one."""
        src, proj = self.ctx.doc.source, self.ctx.doc.project
        if src is None or proj is None:
            return False
        tr = src.trajectory
        width = min(max(float(width), 0.0), 1.0)
        if (mode, round(width, 4), round(float(hfov_deg), 3)) == (tr.pan_mode, round(tr.pan_width, 4),
                                                                   round(tr.hfov_deg, 3)):
            return False
        new = jobs.with_pan_mapping(tr, src.track, proj.clip, mode, width, float(hfov_deg))
        doc, kind, now = self.ctx.doc, f"pan-{mode}", time.monotonic()
        stack = doc.undo_stack
        top = stack.commands()[stack.index - 1] if stack.can_undo() else None
        if (self._mapping_gesture is None or not self._mapping_gesture.startswith(kind + "#")
                or now - self._mapping_time > MAPPING_MERGE_S or top is None
                or not (top.merge_id or "").startswith(self._mapping_gesture + "|")):
            doc.end_gesture()
            self._mapping_gesture = doc.new_gesture(kind)
            self._mapping_from = f"{tr.pan_width * 100:.0f} %" if tr.pan_mode == "screen" else f"lens {tr.hfov_deg:g}°"
        self._mapping_time = now
        to = f"{width * 100:.0f} %" if mode == "screen" else f"lens {float(hfov_deg):g}°"
        what = f"Pan width {self._mapping_from} → {to}"
        doc.edit("trajectory", new, what, self._mapping_gesture)
        stack.commands()[stack.index - 1].label = what  # a merged entry names where it ended
        return True

    def _mapping_edited(self) -> None:
        mode = PAN_MODES[max(self.mode_box.currentIndex(), 0)]
        self.set_pan_mapping(mode, self.width_box.value() / 100.0, float(self.hfov_box.value()))

    def refresh(self) -> None:
        tr = self.trajectory()
        proj = self.ctx.doc.project
        self._show_mapping(tr if proj is not None else None)
        self.b_follow.setEnabled(tr is not None and proj is not None and self.ctx.doc.source is not None)
        if tr is None or proj is None or len(tr) == 0:
            self.b_follow.setChecked(False)  # nothing to follow: not a toggle that does nothing
            self.curve_item.setData([], [])
            self.box_curve.setData([], [])
            return
        self.curve_item.setData(tr.times(), tr.pan)
        edge = float(tr.mapping.pan(proj.clip.width, proj.clip.width))  # where the frame's right edge sounds
        self.edges[0].setValue(edge)
        self.edges[1].setValue(-edge)
        self.b_follow.setChecked(tr.follow_box)
        src = self.ctx.doc.source
        if not tr.follow_box and src is not None:
            box = Trajectory.from_track(src.track, proj.clip.width, proj.clip.height, tr.fps, tr.hfov_deg,
                                        pan_mode=tr.pan_mode, pan_width=tr.pan_width)
            self.box_curve.setData(box.times(), box.pan)
        else:
            self.box_curve.setData([], [])
        self.update_readout(self.ctx.transport.position)

    def update_readout(self, t: float) -> None:
        tr = self.trajectory()
        if tr is None or len(tr) == 0:
            self.readout.setText("")
            return
        p = float(tr.pan_at(t))
        side = "C" if abs(p) < 0.02 else ("L" if p < 0 else "R")
        where = f"  ·  {p * 90:+.0f}°" if tr.pan_mode == "lens" else ""  # screen: the Width box says the rest
        self.readout.setText(f"{p:+.2f} {side}{where}" + ("" if tr.follow_box else "  ·  edited"))


class DistanceLane(_TrajectoryLane):
    title = "Distance"
    colour = style.DISTANCE
    y_range = (0.0, 3.0)
    lo, hi, centre, clear_value = 0.05, 20.0, 1.0, 1.0
    field = "distance"

    def __init__(self, ctx: LaneContext, parent=None) -> None:
        super().__init__(ctx, parent)
        self.ref_line = pg.InfiniteLine(1.0, angle=0, pen=pg.mkPen((255, 255, 255, 32),
                                                                  style=pg.QtCore.Qt.DashLine))
        self.plot.addItem(self.ref_line, ignoreBounds=True)
        self.curve_item = pg.PlotCurveItem(pen=pg.mkPen(style.DISTANCE, width=2), fillLevel=0.0,
                                           brush=pg.mkBrush(style.qcolor(style.DISTANCE, 30)))
        self.plot.addItem(self.curve_item)
        self.cache_items(self.curve_item)

    def fit_y(self) -> None:
        tr = self.trajectory()
        top = float(np.max(tr.distance)) if tr is not None and len(tr) else 1.0
        top = max(2.0, top * 1.2)
        self.vb.setYRange(0.0, top, padding=0.02)
        step = 1 if top <= 4 else 2 if top <= 10 else 5
        self.plot.getAxis("left").setTicks([[(float(v), f"{v:g}") for v in np.arange(0, top + 1e-9, step)]])

    def refresh(self) -> None:
        tr = self.trajectory()
        if tr is None or len(tr) == 0:
            self.curve_item.setData([], [])
            return
        self.curve_item.setData(tr.times(), tr.distance)
        self.update_readout(self.ctx.transport.position)

    def update_readout(self, t: float) -> None:
        tr = self.trajectory()
        if tr is None or len(tr) == 0:
            self.readout.setText("")
            return
        d = float(tr.distance_at(t))
        self.readout.setText(f"{d:.2f}× ref  ·  {20 * np.log10(1.0 / max(d, 1e-3)):+.1f} dB")


class HeardLane(Lane):
    """Read-only: box x-range on screen (band), box centre (dotted) and the heard direction (line).

    Follows the view state: the selected take's alignment once it is loaded, the box alone before."""

    title = "Heard vs box"
    colour = style.HEARD
    y_range = (0.0, 1.0)
    elide_readout = True  # it names the take, and a designer's take names can be long

    def __init__(self, ctx: LaneContext, parent=None) -> None:
        super().__init__(ctx, parent)
        self.plot.getAxis("left").setTicks([[(0, "L"), (0.5, "C"), (1, "R")]])
        self.band_lo = pg.PlotCurveItem(pen=pg.mkPen(None))
        self.band_hi = pg.PlotCurveItem(pen=pg.mkPen(None))
        self.band = pg.FillBetweenItem(self.band_lo, self.band_hi, brush=pg.mkBrush(style.qcolor(style.BOX, 80)))
        self.margin_lo = pg.PlotCurveItem(pen=pg.mkPen(style.qcolor(style.BOX, 60), width=1,
                                                       style=pg.QtCore.Qt.DashLine))
        self.margin_hi = pg.PlotCurveItem(pen=pg.mkPen(style.qcolor(style.BOX, 60), width=1,
                                                       style=pg.QtCore.Qt.DashLine))
        self.centre = pg.PlotCurveItem(pen=pg.mkPen("#ff9f43", width=1.5, style=pg.QtCore.Qt.DotLine))
        self.heard = pg.PlotCurveItem(pen=pg.mkPen(style.HEARD, width=2), connect="finite")
        self.hits = pg.ScatterPlotItem(size=4, pen=None)
        for item in (self.band_lo, self.band_hi, self.band, self.margin_lo, self.margin_hi, self.centre,
                     self.heard, self.hits):
            self.plot.addItem(item)
        self.cache_items(self.band, self.centre, self.heard, self.margin_lo, self.margin_hi)
        self.readout.setText("select a take")
        self.alignment = None
        self._take_name = ""  # the name in the readout (a renamed take is named anew)
        ctx.view.subscribe(lambda _name: self.show_take(), "selected_take", "take_cache")
        ctx.doc.changed.connect(lambda part: self.show_take() if part == "takes" else None)

    def show_take(self, force: bool = False) -> None:
        """The selected take of this subject once loaded; the box alone when nothing is selected here."""
        shown, proj = self.ctx.shown_take(), self.ctx.doc.project
        if shown is None or proj is None:
            if self.ctx.view.selected_take is None or force:
                self.set_box_only()
            return
        take, result = shown
        al = result.get("alignment")
        if al is not None and (force or al is not self.alignment or take.name != self._take_name):
            self.set_alignment(al, proj.clip.width, take.name)

    def set_box_only(self) -> None:
        """Show the box band from the track alone (before any take is selected)."""
        src, proj = self.ctx.doc.source, self.ctx.doc.project
        self.alignment = None
        if src is None or proj is None:
            for c in (self.band_lo, self.band_hi, self.centre, self.heard, self.margin_lo, self.margin_hi):
                c.setData([], [])
            self.hits.setData([], [])
            return
        boxes = src.track.boxes
        w = float(proj.clip.width)
        t = (np.arange(len(boxes)) + 0.5) / proj.clip.fps
        self._band(t, boxes[:, 0] / w, boxes[:, 2] / w, None)
        self.heard.setData([], [])
        self.hits.setData([], [])
        self.readout.setText("box only · select a take")

    def _band(self, t, x0, x1, margin: float | None) -> None:
        ok = ~np.isnan(x0)
        t, x0, x1 = t[ok], x0[ok], x1[ok]
        self.band_lo.setData(t, x0)
        self.band_hi.setData(t, x1)
        self.centre.setData(t, 0.5 * (x0 + x1))
        if margin is not None:
            self.margin_lo.setData(t, x0 - margin)
            self.margin_hi.setData(t, x1 + margin)
        else:
            self.margin_lo.setData([], [])
            self.margin_hi.setData([], [])

    def set_alignment(self, al, frame_width: float, take_name: str) -> None:
        """`al` is metrics.spatial_alignment's Alignment (per-window heard_x and box x0/x1)."""
        self.alignment, self._take_name = al, take_name
        w = float(frame_width)
        self._band(al.times, al.box_x0 / w, al.box_x1 / w, al.margin_px / w)
        hx = np.where(al.active, np.clip(al.heard_x / w, -0.2, 1.2), np.nan)
        self.heard.setData(al.times, hx)
        counted = al.active & ~np.isnan(al.box_x0)
        colours = [pg.mkBrush(style.OK) if a else pg.mkBrush(style.ERROR) for a in al.aligned[counted]]
        self.hits.setData(al.times[counted], hx[counted], brush=colours)
        score = "–" if not np.isfinite(al.recall) else f"{al.recall:.2f}"
        self.readout.setText(f"{take_name}: AV-Align {score}")


__all__ = ["DistanceLane", "HeardLane", "PanLane"]

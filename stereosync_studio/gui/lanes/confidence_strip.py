"""The confidence strip: how sure the tracker is of the shown subject, frame by frame, on the lanes' time axis.

Why: a designer cannot watch every frame of a long clip to find where the box slipped. The
strip draws `Track.confidence` as coloured runs (calm green where the subject is seen and
verified, yellow where it is doubtful or interpolated, bright red and hatched where it is
hidden and the box is only predicted, or where nothing was found), the user's keyframes as
gold diamonds, and the playhead. It is a `lanes.base.Lane`, x-linked to the lanes' ruler, so
frame i of the strip sits exactly above time i / fps of every lane; clicking or dragging on it
seeks. Next / previous uncertain frame (`controllers.keyframes`) walk the spans it shows red.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import QWidget

from ...core.track import UNCERTAIN, Track
from .. import style
from .base import Lane, LaneContext

HIDDEN = 0.35  # below this the subject is hidden and its box predicted (core.track's scale)
# (upper confidence bound of the level, colour): uncertain levels bright, confident ones calm
LEVELS = ((0.0, "#5a2228"),   # nothing found (no box)
          (HIDDEN, "#ff3d3d"),  # hidden: coasting on a predicted box
          (UNCERTAIN, "#ff8a33"),  # doubtful
          (0.6, "#d9b43c"),  # interpolated / fair
          (0.8, "#7fa84a"),
          (1.01, "#2f8a55"))  # seen and verified, keyframes
KEY_COLOR = "#ffd27a"  # the same gold as the KEY tag on the picture
STRIP_HEIGHT = 22
TIP = ("Tracking confidence of the selected subject: green seen, yellow doubtful or interpolated, "
       "red hatched hidden (the box is predicted) or not found; gold diamonds are your keyframes.\n"
       "Click or drag to move the playhead. U / Shift+U: next / previous uncertain frame.")


def confidence_levels(track: Track) -> np.ndarray:
    """The colour level (index into `LEVELS`) of every frame: 0 nothing found, 1 hidden, ... 5 sure."""
    conf = np.nan_to_num(np.asarray(track.confidence, float), nan=0.0)
    seen_box = np.isfinite(track.boxes[:, 0])
    level = np.searchsorted([hi for hi, _c in LEVELS[1:]], conf, side="right") + 1
    level = np.minimum(level, len(LEVELS) - 1)
    level[(~seen_box) | (conf <= 0.0)] = 0
    for k in track.keyframes:
        if 0 <= k < len(level):
            level[k] = len(LEVELS) - 1
    return level


def level_runs(level: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Runs of equal level as (first frames, ends (exclusive), levels)."""
    if len(level) == 0:
        return np.zeros(0, int), np.zeros(0, int), np.zeros(0, int)
    cuts = np.flatnonzero(np.diff(level)) + 1
    starts = np.r_[0, cuts]
    ends = np.r_[cuts, len(level)]
    return starts, ends, level[starts]


class ConfidenceStrip(Lane):
    """A thin lane: the shown subject's confidence runs, hidden spans hatched, keyframe diamonds."""

    title = "Confidence"
    show_axis = False

    def __init__(self, ctx: LaneContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.fps = 25.0
        self.track: Track | None = None
        self.subject_color = style.BOX  # the shown subject's colour, as on its box
        self.plot.showGrid(x=False, y=False)
        self.plot.getAxis("left").setPen(pg.mkPen(None))
        self.plot.layout.setContentsMargins(0, 1, 4, 1)
        self.plot_widget.setMinimumHeight(0)
        self.plot_widget.setFixedHeight(STRIP_HEIGHT)
        self.setFixedHeight(STRIP_HEIGHT)
        self.header.layout().setContentsMargins(8, 0, 6, 0)
        self.readout.setVisible(False)
        self.setToolTip(TIP)
        self.plot_widget.setToolTip(TIP)
        self.runs = pg.BarGraphItem(x0=[], x1=[], y0=0.1, y1=0.9, pen=None, brush=None)
        self.hatch = pg.BarGraphItem(x0=[], x1=[], y0=0.1, y1=0.9, pen=None,
                                     brush=QBrush(QColor(255, 255, 255, 110), Qt.BDiagPattern))
        self.keys = pg.ScatterPlotItem(symbol="d", size=13, brush=pg.mkBrush(KEY_COLOR),
                                       pen=pg.mkPen("#101012", width=1.5))
        for z, item in ((1, self.runs), (2, self.hatch), (60, self.keys)):  # keys over the playhead
            item.setZValue(z)
            self.plot.addItem(item)
        # the playhead with a dark halo: a red line alone vanishes on the red and orange runs
        self.halo = pg.InfiniteLine(0, angle=90, movable=False, pen=pg.mkPen((10, 10, 12, 230), width=5))
        self.halo.setZValue(49)
        self.plot.addItem(self.halo, ignoreBounds=True)
        self.playhead.setPen(pg.mkPen(style.PLAYHEAD, width=2))
        self.set_title_text("")
        ctx.doc.changed.connect(self._on_doc)

    def set_title_text(self, value: str) -> None:
        extra = f" <span style='color:{style.TEXT_DIM}'>{value}</span>" if value else ""
        mark = f"<span style='color:{self.subject_color}'>\u25A0</span> " if self.track is not None else ""
        self.title_label.setText(f"{mark}<b>CONFIDENCE</b>{extra}")

    # -- document --------------------------------------------------------------------------------
    def _on_doc(self, part: str) -> None:
        if part in ("project", "source", "track", "clip"):
            if part == "project":
                proj = self.ctx.doc.project
                self.set_duration(proj.clip.duration if proj else 1.0)
            self.refresh()

    def refresh(self) -> None:
        proj, src = self.ctx.doc.project, self.ctx.doc.source
        self.track = None if src is None else src.track
        if src is not None:
            self.subject_color = style.source_color(proj.sources.index(src))
        self.fps = float(proj.clip.fps) if proj is not None and proj.clip.fps else 25.0
        if self.track is None or not len(self.track):
            self.runs.setVisible(False)  # (pyqtgraph's bars fail on an empty list of pens)
            self.hatch.setVisible(False)
            self.keys.setData([], [])
            self.update_readout(self.ctx.transport.position)
            return
        self.runs.setVisible(True)
        self.hatch.setVisible(True)
        starts, ends, levels = level_runs(confidence_levels(self.track))
        colours = [LEVELS[int(lv)][1] for lv in levels]
        # a cosmetic pen in the run's own colour: a one-frame run stays one pixel wide when zoomed out
        self.runs.setOpts(x0=starts / self.fps, x1=ends / self.fps, y0=0.1, y1=0.9,
                          brushes=[pg.mkBrush(c) for c in colours], pens=[pg.mkPen(c, width=1) for c in colours])
        low = levels <= 1
        self.hatch.setOpts(x0=starts[low] / self.fps, x1=ends[low] / self.fps, y0=0.1, y1=0.9)
        keys = np.asarray(sorted(self.track.keyframes), float)
        self.keys.setData((keys + 0.5) / self.fps, np.full(len(keys), 0.5))
        self.update_readout(self.ctx.transport.position)

    # -- what the header says --------------------------------------------------------------------
    def _on_position(self, t: float) -> None:
        super()._on_position(t)
        self.halo.setValue(t)

    def update_readout(self, t: float) -> None:
        tr = self.track
        if tr is None or not len(tr):
            self.set_title_text("")
            return
        f = min(max(int(np.floor(t * self.fps + 1e-6)), 0), len(tr) - 1)
        c = float(tr.confidence[f])
        if f in tr.keyframes:
            text, why = "key", f"frame {f}: your keyframe"
        elif not np.isfinite(tr.boxes[f, 0]) or c <= 0.0:
            text, why = "none", f"frame {f}: the subject was not found"
        elif c < HIDDEN:
            text, why = f"{c:.2f}", f"frame {f}: the subject is hidden, its box predicted"
        elif c < UNCERTAIN:
            text, why = f"{c:.2f}", f"frame {f}: doubtful, worth a look"
        else:
            text, why = f"{c:.2f}", f"frame {f}: seen"
        self.set_title_text(text)
        self.title_label.setToolTip(why)

    def shown_runs(self) -> list[tuple[float, float, str]]:
        """(start s, end s, colour) of every run drawn (tests, screenshots)."""
        o = self.runs.opts
        if o.get("x0") is None or not len(o["x0"]):
            return []
        return [(float(a), float(b), pg.mkBrush(br).color().name()) for a, b, br in zip(o["x0"], o["x1"],
                                                                                        o["brushes"])]

    # -- gestures: the strip is for looking and seeking, not for range selection ------------------
    def on_drag(self, ev, start, now) -> None:
        self.ctx.transport.seek(float(now.x()))

    def on_click(self, x: float, y: float, modifiers, double: bool) -> None:
        self.ctx.transport.seek(x)


__all__ = ["ConfidenceStrip", "LEVELS", "confidence_levels", "level_runs"]

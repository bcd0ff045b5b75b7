"""The footstep guide lane, under the envelope: what the guide analysis heard as footsteps.

Why: `auto` takes its envelope and steps from the footsteps isolated out of the clip's own
audio (dialogue, music and room tone taken out) fused with the picture's foot contacts. A
designer must see what that decided to trust it: the isolated footstep envelope
(`Project.guide_envelope`), each kept step (filled: heard where a foot lands; hollow: seen
in the picture only; diamond: heard only, confident) and each rejected transient (a red
cross) with its reason on hover (`Project.guide_report`). Read-only: the designer's own
envelope and steps stay on the envelope lane above.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF
from PySide6.QtWidgets import QMenu, QToolTip

from ...core.guide import GuideReport
from .. import style
from . import edit_tools as et
from .base import Lane, LaneContext

ACCEPTED = style.OK
REJECTED = style.ERROR
# a rejected transient's cross is coloured by why (first word of the reason that matches)
REASON_COLOURS = (("voiced", style.ERROR), ("contact", style.WARN), ("inside", "#c8b46a"), ("weak", "#7d828b"),
                  ("another subject", "#6a9ec8"))
HOVER_PX = 7.0  # a marker this close to the pointer (in x) shows its tooltip
SOURCE_WORDS = {"audio+picture": "heard where a foot lands", "picture": "seen in the picture (no audible transient)",
                "audio": "heard only (confident, no foot contact seen)"}
SOURCE_SYMBOLS = {"audio+picture": "t", "picture": "t", "audio": "d"}


def reason_colour(reason: str) -> str:
    """The colour of a rejected transient's cross: one per kind of reason."""
    return next((c for word, c in REASON_COLOURS if word in reason), REJECTED)


class GuideLane(Lane):
    """Isolated footstep envelope + kept steps + rejected transients with their reasons (hover)."""

    title = "Footstep guide"
    colour = ACCEPTED

    def __init__(self, ctx: LaneContext, envelope_lane=None, parent=None) -> None:
        super().__init__(ctx, parent)
        self.envelope_lane = envelope_lane  # where the designer's steps are edited (overrule a decision)
        self.header.setToolTip("The footsteps found in the clip's own audio. Hover a mark for why it was kept or "
                               "rejected; right-click it to make it a step or remove the step.")
        self.plot.getAxis("left").setStyle(showValues=False)
        self.env_fill = pg.PlotCurveItem(pen=pg.mkPen(style.qcolor(ACCEPTED, 170), width=1.2), fillLevel=0.0,
                                         brush=pg.mkBrush(style.qcolor(ACCEPTED, 45)))
        self.step_lines = pg.PlotCurveItem(pen=pg.mkPen(style.qcolor(ACCEPTED, 80), width=1), connect="pairs")
        self.step_marks = pg.ScatterPlotItem(size=9)
        self.rejected_marks = pg.ScatterPlotItem(symbol="x", size=8, pen=None)
        for z, item in enumerate((self.env_fill, self.step_lines, self.step_marks, self.rejected_marks)):
            item.setZValue(z)
            self.plot.addItem(item)
        self.cache_items(self.env_fill, self.step_lines)
        self.hover_text = ""
        self._markers: list[tuple[float, str]] = []  # (time, tooltip) of every marker, in time order
        self._marker_times = np.zeros(0)
        self.plot.scene().sigMouseMoved.connect(self._hover)

    # -- document --------------------------------------------------------------------------------
    def report(self) -> GuideReport | None:
        """The current subject's own report when several share the guide, else the project's."""
        proj = self.ctx.doc.project
        if proj is None:
            return None
        src = self.ctx.doc.source
        return src.guide_report if src is not None and src.guide_report is not None else proj.guide_report

    def refresh(self) -> None:
        proj = self.ctx.doc.project
        env = None if proj is None else proj.guide_envelope
        report = self.report()
        top = max(float(env.values.max()) if env is not None and len(env.values) else 0.0, 1e-3)
        self.vb.setYRange(0.0, top * 1.15, padding=0.0)
        if env is None:
            self.env_fill.setData([], [])
        else:
            self.env_fill.setData(env.times(), env.values)
        steps = [] if report is None else list(report.steps)
        rejected = [] if report is None else list(report.rejected)
        st = np.array([s.time for s in steps], float)
        self.step_lines.setData(np.repeat(st, 2), np.tile([0.0, top * 1.15], len(st)))
        self.step_marks.setData([{"pos": (s.time, top * 1.03), "symbol": SOURCE_SYMBOLS.get(s.source, "t"),
                                  "pen": pg.mkPen(ACCEPTED, width=1.3),
                                  "brush": pg.mkBrush(ACCEPTED if s.source != "picture" else (0, 0, 0, 0))}
                                 for s in steps])
        self.rejected_marks.setData([r.time for r in rejected], [top * 0.35] * len(rejected),
                                    brush=[pg.mkBrush(style.qcolor(reason_colour(r.reason), 210)) for r in rejected])
        markers = [(s.time, f"step at {s.time:.2f} s: {SOURCE_WORDS.get(s.source, s.source)}, "
                            f"confidence {s.confidence:.2f}") for s in steps]
        markers += [(r.time, f"rejected at {r.time:.2f} s: {r.reason} (+{r.strength:.1f} dB)") for r in rejected]
        self._markers = sorted(markers)
        self._marker_times = np.array([m[0] for m in self._markers], float)
        self._summary(report, env is not None)

    def _summary(self, report: GuideReport | None, has_env: bool) -> None:
        if report is None:
            self.readout.setText("no guide analysis" if not has_env else "")
            self.readout.setToolTip("")
            return
        if not report.has_footsteps:
            self.readout.setText("no footsteps heard")
        else:
            self.readout.setText(f"{len(report.steps)} steps · {len(report.rejected)} rejected")
        counts: dict[str, int] = {}
        for r in report.rejected:
            counts[r.reason] = counts.get(r.reason, 0) + 1
        legend = "".join(f"<br><span style='color:{reason_colour(why)}'>\u2716</span> {n} {why}"
                         for why, n in sorted(counts.items(), key=lambda kv: -kv[1]))
        kept = (f"<span style='color:{ACCEPTED}'>\u25BC</span> kept: heard where a foot lands; "
                "hollow: seen only; \u25C6 heard only")
        self.readout.setToolTip(f"{report.message}<br>{kept}{legend}" if report.message else kept + legend)

    # -- overrule a decision (the designer's steps, on the envelope lane) -------------------------
    def nearest(self, t: float, tolerance: float) -> tuple[str, float] | None:
        """("step" | "rejected", time) of the guide's decision nearest `t` within `tolerance` s."""
        report = self.report()
        if report is None:
            return None
        found = [("step", s.time) for s in report.steps] + [("rejected", r.time) for r in report.rejected]
        best = min(found, key=lambda kt: abs(kt[1] - t), default=None)
        return best if best is not None and abs(best[1] - t) <= tolerance else None

    def fill_menu(self, menu: QMenu, x: float, y: float) -> None:
        lane = self.envelope_lane
        hit = self.nearest(x, 2 * HOVER_PX * abs(self.pixel()[0]))
        if lane is None or hit is None or lane.envelope() is None:
            return
        kind, t = hit
        steps = lane.events()
        has = et.nearest_event(steps, t, 0.03) is not None
        if kind == "rejected" or not has:
            act = menu.addAction(f"Make it a step ({t:.2f} s)",
                                 lambda: lane.set_events(et.add_event(steps, t), f"Step from the guide at {t:.2f} s"))
            act.setEnabled(not has)
        if has:
            menu.addAction(f"Remove the step at {t:.2f} s",
                           lambda: lane.set_events(et.remove_event(steps, t, 0.03), f"Delete step at {t:.2f} s"))

    # -- hover -----------------------------------------------------------------------------------
    def marker_text(self, t: float, tolerance: float) -> str:
        """The tooltip of the marker nearest `t` within `tolerance` seconds ('' when none)."""
        if not len(self._marker_times):
            return ""
        i = int(np.argmin(np.abs(self._marker_times - t)))
        return self._markers[i][1] if abs(self._marker_times[i] - t) <= tolerance else ""

    def _hover(self, scene_pos: QPointF) -> None:
        if not self.plot.sceneBoundingRect().contains(scene_pos):
            if self.hover_text:
                self.hover_text = ""
                QToolTip.hideText()
            return
        t = float(self.vb.mapSceneToView(scene_pos).x())
        text = self.marker_text(t, HOVER_PX * abs(self.pixel()[0]))
        if text != self.hover_text:
            self.hover_text = text
            if text:
                view_pos = self.plot_widget.mapFromScene(scene_pos)
                QToolTip.showText(self.plot_widget.viewport().mapToGlobal(view_pos), text, self.plot_widget)
            else:
                QToolTip.hideText()


__all__ = ["GuideLane"]

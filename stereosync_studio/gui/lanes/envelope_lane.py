"""The envelope lane: the target loudness curve with its step events, over the guide and take waveforms.

Steps are the sampler's grain positions. While the envelope has no explicit events the lane
shows the ones the engine would find (hollow markers, the view state's `planned_steps`); the
first step edit turns those into explicit events the user then owns. The guide waveform and
the selected take's waveform and RMS come from the view state too: the lane redraws when they change.
Zoomed out the waveforms are their overviews; zoomed in (50 ms after the view stops moving)
they are redrawn from their `WaveformView`s at one min/max column per pixel, the detail read
from the audio file on demand: bounded memory at any clip length, every click visible up close.
"""

from __future__ import annotations


import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import QMenu

from ...core.envelope import Envelope
from .. import style
from . import edit_tools as et
from .base import CurveLane, LaneContext, small_button

WAVE_REDRAW_MS = 50  # zoom / scroll settle time before the waveforms are redrawn at the new detail


class EnvelopeLane(CurveLane):
    title = "Envelope"
    colour = style.ENVELOPE
    y_range = (0.0, 1.0)
    lo, hi, centre, clear_value = 0.0, 1.0, 0.0, 0.0
    drag_width_px = 30.0

    sourceRequested = Signal(str)  # "audio" | "video" | "csv"

    def __init__(self, ctx: LaneContext, parent=None) -> None:
        super().__init__(ctx, parent)
        self.guide_fill = pg.PlotCurveItem(pen=pg.mkPen(None), fillLevel=0.0,
                                           brush=pg.mkBrush(style.qcolor(style.GUIDE_WAVE, 150)))
        self.take_fill = pg.PlotCurveItem(pen=pg.mkPen(None), fillLevel=0.0,
                                          brush=pg.mkBrush(style.qcolor(style.TAKE_WAVE, 70)))
        self.take_rms = pg.PlotCurveItem(pen=pg.mkPen(style.qcolor(style.HEARD, 200), width=1.2))
        self.env_curve = pg.PlotCurveItem(pen=pg.mkPen(style.ENVELOPE, width=2), fillLevel=0.0,
                                          brush=pg.mkBrush(style.qcolor(style.ENVELOPE, 38)))
        self.event_lines = pg.PlotCurveItem(pen=pg.mkPen(style.qcolor(style.EVENTS, 90), width=1),
                                            connect="pairs")
        self.event_marks = pg.ScatterPlotItem(symbol="t", size=9, pen=pg.mkPen(style.EVENTS),
                                              brush=pg.mkBrush(style.EVENTS))
        for z, item in enumerate((self.guide_fill, self.take_fill, self.take_rms, self.event_lines,
                                  self.env_curve, self.event_marks)):
            item.setZValue(z)
            self.plot.addItem(item)
        self.cache_items(self.guide_fill, self.take_fill, self.take_rms, self.env_curve, self.event_lines)
        self.b_guide = small_button("Guide", "Envelope and steps from the footsteps in the clip's own audio (speech, "
                                             "music and room tone taken out; see the Footstep guide lane)")
        self.b_video = small_button("Video", "Envelope from steps seen in the picture")
        self.b_csv = small_button("CSV…", "Import an envelope from a CSV file (time, value)")
        for b, mode in ((self.b_guide, "audio"), (self.b_video, "video"), (self.b_csv, "csv")):
            b.clicked.connect(lambda _=False, m=mode: self.sourceRequested.emit(m))
            self.add_button(b)
        self._take_shown: tuple | None = None
        self._waves: dict[str, tuple] = {}  # "guide" | "take" -> (overview t, peaks, WaveformView | None)
        self._wave_timer = QTimer(self)
        self._wave_timer.setSingleShot(True)
        self._wave_timer.setInterval(WAVE_REDRAW_MS)
        self._wave_timer.timeout.connect(self.redraw_waves)
        self.vb.sigXRangeChanged.connect(lambda *_: self._wave_timer.start())
        ctx.view.subscribe(lambda _name: self.refresh_events(), "planned_steps")
        ctx.view.subscribe(lambda _name: self._show_guide(), "guide")
        ctx.view.subscribe(lambda _name: self.show_take(), "selected_take", "take_cache")

    @property
    def auto_events(self) -> list[float]:
        """The steps the engine would place (shown while the envelope has no explicit ones)."""
        return self.ctx.view.planned_steps

    # -- document --------------------------------------------------------------------------------
    def envelope(self) -> Envelope | None:
        src = self.ctx.doc.source
        return None if src is None else src.envelope

    def curve(self):
        env = self.envelope()
        if env is None:
            return None
        return env.times(), env.values

    def commit(self, values: np.ndarray, label: str, merge_id: str | None) -> None:
        env = self.envelope()
        if env is None:
            return
        new = Envelope(values, env.rate, None if env.events is None else list(env.events), "drawn")
        self.ctx.doc.edit("envelope", new, label, merge_id)

    def events(self) -> list[float]:
        env = self.envelope()
        if env is None:
            return []
        return list(env.events) if env.events is not None else list(self.auto_events)

    def set_events(self, events: list[float], label: str, merge_id: str | None = None) -> None:
        env = self.envelope()
        if env is None:
            return
        new = env.copy()
        new.events = sorted(events)
        new.origin = "drawn"  # edited by hand: Guide / Video ask before replacing it
        self.ctx.doc.edit("events", new, label, merge_id)

    def fit_y(self) -> None:
        env = self.envelope()
        top = float(env.values.max()) if env is not None and len(env.values) else 0.0
        guide = self.ctx.doc.project.guide_envelope if self.ctx.doc.project else None
        if guide is not None and len(guide.values):
            top = max(top, float(guide.values.max()))
        ymax = min(1.0, max(0.1, top * 1.25))
        self.vb.setYRange(0.0, ymax, padding=0.02)

    def refresh(self) -> None:
        env = self.envelope()
        if env is None:
            self.env_curve.setData([], [])
            self.refresh_events()
            return
        self.env_curve.setData(env.times(), env.values)
        self.refresh_events()
        self.update_readout(self.ctx.transport.position)

    def refresh_events(self) -> None:
        env = self.envelope()
        self.set_title_note("" if env is None else env.origin)
        explicit = env is not None and env.events is not None
        ev = np.asarray(self.events(), float)
        top = self.vb.viewRange()[1][1]
        if len(ev):
            xs = np.repeat(ev, 2)
            ys = np.tile([0.0, top], len(ev))
            self.event_lines.setData(xs, ys)
            self.event_marks.setData(ev, np.full(len(ev), top * 0.93))
        else:
            self.event_lines.setData([], [])
            self.event_marks.setData([], [])
        brush = pg.mkBrush(style.EVENTS) if explicit else pg.mkBrush(0, 0, 0, 0)
        self.event_marks.setBrush(brush)
        self.update_readout(self.ctx.transport.position)

    def update_readout(self, t: float) -> None:
        env = self.envelope()
        if env is None:
            self.readout.setText("")
            return
        n = len(self.events())
        kind = "steps" if env.events is not None else "auto steps"
        self.readout.setText(f"{float(env.at(t)):.3f}  ·  {n} {kind}")

    def _show_guide(self) -> None:
        guide = self.ctx.view.guide
        if guide is None:
            self.set_guide_peaks(None, None)
        else:  # (audio, (t, peaks)[, WaveformView]): the view zooms into the file
            self.set_guide_peaks(*guide[1], waveform=guide[2] if len(guide) > 2 else None)

    def show_take(self, force: bool = False) -> None:
        """Draw the selected take of this subject once it is loaded; none when nothing is selected here."""
        shown = self.ctx.shown_take()
        if shown is None:
            if self.ctx.view.selected_take is None or force:
                self._take_shown = None
                self.set_take(None, None)
            return
        take, result = shown
        if force or self._take_shown != (take.path, id(result)):
            self._take_shown = (take.path, id(result))
            t, p = result["peaks"]
            self.set_take(t, p, result.get("rms"), waveform=result.get("waveform"))

    def set_guide_peaks(self, t: np.ndarray | None, peaks: np.ndarray | None, waveform=None) -> None:
        """The guide's waveform: overview `t`, `peaks` (0..1), and its `WaveformView` for zoomed detail."""
        self._set_wave("guide", self.guide_fill, t, peaks, waveform)

    def set_take(self, t: np.ndarray | None, peaks: np.ndarray | None, rms: Envelope | None = None,
                 waveform=None) -> None:
        self._set_wave("take", self.take_fill, t, peaks, waveform)
        if rms is None:
            self.take_rms.setData([], [])
        else:
            self.take_rms.setData(rms.times(), rms.values)

    def _set_wave(self, key: str, item, t, peaks, waveform) -> None:
        if t is None:
            self._waves.pop(key, None)
            item.setData([], [])
            return
        self._waves[key] = (np.asarray(t), np.asarray(peaks), waveform)
        self._draw_wave(key, item)

    def redraw_waves(self) -> None:
        """Draw the guide and take waveforms for the visible time range (called once the view settles)."""
        for key, item in (("guide", self.guide_fill), ("take", self.take_fill)):
            if key in self._waves:
                self._draw_wave(key, item)

    def _draw_wave(self, key: str, item) -> None:
        t, peaks, wave = self._waves[key]
        (x0, x1), (_, top) = self.vb.viewRange()
        width = int(self.vb.width()) or int(self.plot_widget.width()) or 800
        if wave is not None and wave.n > 0:
            duration = wave.n / wave.sample_rate
            a, b = max(0.0, x0), min(duration, x1)
            # zoomed in finer than the overview's columns: one min/max column per pixel, from the file
            if b > a and (b - a) / width < 0.5 * _overview_step(t):
                ct, lo, hi = wave.columns(a, b, width)
                if len(ct):
                    half = (ct[1] - ct[0]) / 2 if len(ct) > 1 else 0.5 / wave.sample_rate
                    t, peaks = ct + half, np.maximum(-lo, hi) / _peak_of(wave)
        item.setData(t, np.sqrt(np.clip(peaks, 0.0, None)) * top * 0.9)

    # -- step tool -------------------------------------------------------------------------------
    def _tolerance(self) -> float:
        return 7 * abs(self.pixel()[0])

    def on_click(self, x: float, y: float, modifiers, double: bool) -> None:
        if self.ctx.tool == "step":
            self.ctx.set_active(self)
            if et.nearest_event(self.events(), x, self._tolerance()) is None:
                self.set_events(et.add_event(self.events(), x), "Add step")
            return
        if double and self.ctx.tool == "select":
            self.set_events(et.add_event(self.events(), x), "Add step")
            return
        super().on_click(x, y, modifiers, double)

    def on_drag(self, ev, start, now) -> None:
        if self.ctx.tool == "step":
            if ev.isStart():
                self._step_index = et.nearest_event(self.events(), float(start.x()), self._tolerance())
                self._gesture = self.ctx.doc.new_gesture("step")
            if getattr(self, "_step_index", None) is not None:
                events = self.events()
                events[self._step_index] = max(float(now.x()), 0.0)
                order = np.argsort(events)
                self._step_index = int(np.where(order == self._step_index)[0][0])
                self.set_events(sorted(events), "Move step", self._gesture)
                if ev.isFinish():
                    self.ctx.doc.end_gesture()
                    self._step_index = None
                return
            self.ctx.set_selection((start.x(), now.x()), self)
            return
        super().on_drag(ev, start, now)

    def on_context(self, x: float, y: float, screen_pos) -> None:
        if self.ctx.tool == "step":
            i = et.nearest_event(self.events(), x, self._tolerance())
            if i is not None:
                self.set_events(et.remove_event(self.events(), x, self._tolerance()), "Delete step")
                return
        super().on_context(x, y, screen_pos)

    def delete_selection(self) -> bool:
        sel = self.ctx.selection
        if sel is None:
            return False
        self.set_events(et.remove_events_in(self.events(), *sel), f"{et.DELETE_STEPS} ({self.title})")
        return True

    def clear_selection(self) -> bool:
        sel = self.ctx.selection
        env = self.envelope()
        if sel is None or env is None:
            return False
        values = et.clear_range(env.values, env.times(), sel[0], sel[1], 0.0)
        events = None if env.events is None else et.remove_events_in(env.events, *sel)
        self.ctx.doc.edit("envelope", Envelope(values, env.rate, events, "drawn"), self.range_label("clear"))
        return True

    def fill_menu(self, menu: QMenu, x: float, y: float) -> None:
        menu.addAction("Add step here", lambda: self.set_events(et.add_event(self.events(), x), "Add step"))
        i = et.nearest_event(self.events(), x, self._tolerance() * 2)
        act = menu.addAction("Delete nearest step",
                             lambda: self.set_events(et.remove_event(self.events(), x, self._tolerance() * 2),
                                                     "Delete step"))
        act.setEnabled(i is not None)
        act = menu.addAction(et.DELETE_STEPS, self.delete_selection)
        act.setEnabled(self.ctx.selection is not None)
        menu.addSeparator()
        super().fill_menu(menu, x, y)


def _overview_step(t: np.ndarray) -> float:
    """Seconds per column of an overview (inf when it has fewer than two columns)."""
    return float(t[1] - t[0]) if len(t) > 1 else float("inf")


def _peak_of(wave) -> float:
    """The largest magnitude of the whole source (what the overview's peaks are normalised to)."""
    _, lo, hi = wave.levels[-1]
    top = max(float(np.max(-lo)) if len(lo) else 0.0, float(np.max(hi)) if len(hi) else 0.0)
    return top if top > 0 else 1.0


__all__ = ["EnvelopeLane"]

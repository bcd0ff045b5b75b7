"""All lanes stacked under the picture on one time axis, with the lane toolbar (tools, range edits).

The visible time window is the view state's `visible_range`: zooming or scrolling writes it,
and setting it (Fit, a new project) moves the lanes.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QButtonGroup, QFrame, QHBoxLayout, QLabel, QSpinBox, QToolButton, QVBoxLayout,
                               QWidget)

from .. import style
from ..document import ProjectDocument
from ..icons import icon
from ..transport import Transport
from ..view_state import ViewState
from . import edit_tools as et
from .base import LaneContext, RulerLane
from .confidence_strip import ConfidenceStrip
from .envelope_lane import EnvelopeLane
from .guide_lane import GuideLane
from .surface_lane import SurfaceLane
from .trajectory_lane import DistanceLane, HeardLane, PanLane


class LaneStack(QWidget):
    """Ruler + envelope + footstep guide + surface + pan + distance + heard-vs-box lanes, x-linked,
    redrawn from the document."""

    message = Signal(str)  # what a range action did, for the status bar

    def __init__(self, doc: ProjectDocument, view: ViewState, transport: Transport,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = LaneContext(doc, view, transport)
        self.doc, self.view = doc, view
        self.setObjectName("laneStack")
        self.setStyleSheet(f"QWidget#laneStack {{ background: {style.BORDER}; }}")
        self.setAttribute(Qt.WA_StyledBackground, True)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(1)  # the 1-px gaps show the background: lines between lanes
        lay.addWidget(self._toolbar())
        self.ruler = RulerLane(self.ctx)
        self.envelope = EnvelopeLane(self.ctx)
        self.guide = GuideLane(self.ctx, self.envelope)
        self.surface = SurfaceLane(self.ctx)
        self.pan = PanLane(self.ctx)
        self.distance = DistanceLane(self.ctx)
        self.heard = HeardLane(self.ctx)
        self.lanes = [self.ruler, self.envelope, self.guide, self.surface, self.pan, self.distance, self.heard]
        self.b_guide_lane = self._guide_toggle()
        lay.addWidget(self.ruler)
        self.confidence = ConfidenceStrip(self.ctx)  # where to look: the tracker's confidence, under the ruler
        self.confidence.plot.setXLink(self.ruler.plot)
        lay.addWidget(self.confidence)
        for lane, stretch in ((self.envelope, 28), (self.guide, 13), (self.surface, 12), (self.pan, 19),
                              (self.distance, 12), (self.heard, 16)):
            lay.addWidget(lane, stretch)
            lane.plot.setXLink(self.ruler.plot)
        self.surface.message.connect(self.message)
        doc.changed.connect(self._on_changed)
        self.ruler.vb.sigXRangeChanged.connect(self._range_moved)
        view.subscribe(lambda _name: self._show_range(), "visible_range")
        self.ctx.activeLaneChanged.connect(self._update_actions)
        self.ctx.selectionChanged.connect(self._update_actions)
        self.ctx.toolChanged.connect(self._update_actions)
        self._update_actions()

    def _toolbar(self) -> QWidget:
        bar = QFrame()
        bar.setObjectName("transport")
        h = QHBoxLayout(bar)
        h.setContentsMargins(8, 2, 8, 2)
        h.setSpacing(3)
        self.tool_group = QButtonGroup(self)
        self.tool_buttons: dict[str, QToolButton] = {}
        for name, text, tip in (("select", "Select", "Select a range, grab and pull a curve (1)"),
                                ("draw", "Draw", "Draw the curve freehand (2)"),
                                ("step", "Steps", "Click to add a step, drag to move, right-click to delete (3)")):
            b = QToolButton()
            b.setIcon(icon(name))
            b.setText(text)
            b.setToolTip(tip)
            b.setCheckable(True)
            b.setToolButtonStyle(Qt.ToolButtonTextBesideIcon)
            b.clicked.connect(lambda _=False, n=name: self.ctx.set_tool(n))
            self.tool_group.addButton(b)
            self.tool_buttons[name] = b
            h.addWidget(b)
        self.tool_buttons["select"].setChecked(True)
        sep = QFrame()
        sep.setFrameShape(QFrame.VLine)
        sep.setStyleSheet(f"color:{style.BORDER}")
        h.addSpacing(6)
        h.addWidget(sep)
        h.addSpacing(6)
        self.range_buttons: dict[str, QToolButton] = {}
        for key, tip in (("up", "Multiply the selected range by 1.2 (Ctrl+Up)"),
                         ("down", "Divide the selected range by 1.2 (Ctrl+Down)"),
                         ("smooth", "Smooth the selected range at the strength beside it (Ctrl+M)"),
                         ("clear", "Clear the selected range: silence, centre or reference distance (Delete)")):
            b = QToolButton()
            b.setText(et.RANGE_ACTIONS[key])
            b.setToolTip(tip)
            b.clicked.connect(lambda _=False, k=key: self.range_action(k))
            self.range_buttons[key] = b
            h.addWidget(b)
            if key == "smooth":
                h.addWidget(self._strength_box())
        h.addStretch(1)
        self.sel_label = QLabel("")
        self.sel_label.setObjectName("dim")
        self.sel_label.setMinimumWidth(self.sel_label.fontMetrics().horizontalAdvance("000.00–000.00 s"))
        self.sel_label.setAlignment(Qt.AlignRight | Qt.AlignVCenter)
        h.addWidget(self.sel_label)
        b = QToolButton()
        b.setText("Fit")
        b.setToolTip("Show the whole clip")
        b.clicked.connect(self.zoom_fit)
        h.addWidget(b)
        return bar

    def _strength_box(self) -> QSpinBox:
        """Smooth's strength (5-100 %), the view state's `smooth_strength`."""
        box = QSpinBox()
        box.setRange(5, 100)
        box.setSingleStep(5)
        box.setSuffix(" %")
        box.setValue(int(round(self.view.smooth_strength * 100)))
        box.setToolTip("Smooth strength: 20 % (an 8 ms window) keeps footstep peaks within ~1 dB a pass; "
                       "100 % (100 ms) flattens them into a loudness contour")
        box.valueChanged.connect(lambda v: setattr(self.view, "smooth_strength", v / 100.0))
        self.view.subscribe(lambda _n: box.setValue(int(round(self.view.smooth_strength * 100))), "smooth_strength")
        self.strength = box
        return box

    def _guide_toggle(self) -> QToolButton:
        """The footstep guide lane's show/hide button, in the time ruler's header (always visible)."""
        b = QToolButton()
        b.setText("Guide steps")
        b.setCheckable(True)
        b.setChecked(True)
        b.setToolTip("Show the footsteps found in the clip's own audio under the envelope: steps kept, "
                     "transients rejected (hover one for the reason)")
        b.setStyleSheet("QToolButton { padding: 0px 4px; font-size: 8pt; }")
        b.toggled.connect(self.show_guide_lane)
        self.ruler.add_title_widget(b)
        return b

    def show_guide_lane(self, on: bool) -> None:
        """Show or hide the footstep guide lane (a view choice: not in the undo stack)."""
        self.guide.setVisible(on)
        if self.b_guide_lane.isChecked() != on:
            self.b_guide_lane.setChecked(on)

    # -- actions ---------------------------------------------------------------------------------
    def active_curve_lane(self):
        lane = self.ctx.active_lane
        return lane if lane in (self.envelope, self.pan, self.distance) else self.envelope

    def range_action(self, key: str) -> bool:
        """Scale up / Scale down / Smooth / Clear range on the active lane's selected range."""
        lane, sel = self.active_curve_lane(), self.ctx.selection
        cur = lane.curve()
        if key == "up":
            done = lane.scale_selection(et.SCALE_STEP)
        elif key == "down":
            done = lane.scale_selection(1 / et.SCALE_STEP)
        elif key == "smooth":
            done = lane.smooth_selection()
        elif key == "clear":
            done = lane.clear_selection()
        else:
            return False
        if done and cur is not None and key != "clear":  # say what it did to the loudest value
            after = lane.curve()
            db = et.peak_change_db(cur[1], after[1], cur[0], *sel)
            what = f"{self.doc.undo_stack.undo_label()} {sel[0]:.2f}–{sel[1]:.2f} s"
            self.message.emit(f"{what}: peak {db:+.1f} dB" if lane is self.envelope else what)
        return done

    def _update_actions(self, *_args) -> None:
        sel = self.ctx.selection
        for b in self.range_buttons.values():
            b.setEnabled(sel is not None)
        lane = self.active_curve_lane()
        if sel is None:
            self.sel_label.setText("")
        else:
            self.sel_label.setText(f"{sel[0]:.2f}–{sel[1]:.2f} s")
            self.sel_label.setToolTip(f"Range selected on the {lane.title} lane")
        self.tool_buttons[self.ctx.tool].setChecked(True)

    def zoom_fit(self) -> None:
        proj = self.doc.project
        self.view.visible_range = (0.0, proj.clip.duration if proj else 1.0)
        self._show_range()  # also when the view state already held that window

    def _range_moved(self, _vb, rng) -> None:
        self.view.visible_range = (float(rng[0]), float(rng[1]))

    def _show_range(self) -> None:
        rng = self.view.visible_range
        a, b = self.ruler.vb.viewRange()[0]
        if rng is not None and (abs(a - rng[0]) > 1e-9 or abs(b - rng[1]) > 1e-9):
            self.ruler.vb.setXRange(rng[0], rng[1], padding=0.0)

    # -- document --------------------------------------------------------------------------------
    def _on_changed(self, part: str) -> None:
        if part in ("project", "source"):  # another project, or another subject: keep the zoom for the latter
            if part == "project":
                proj = self.doc.project
                dur = proj.clip.duration if proj else 1.0
                for lane in self.lanes:
                    lane.set_duration(dur)
            self.ctx.set_selection(None)
            self.envelope.fit_y()
            self.distance.fit_y()
            if part == "project":
                self.zoom_fit()
            for lane in self.lanes:
                lane.refresh()
            self.envelope.show_take(force=True)  # this subject's selected take if loaded, else none
            self.heard.show_take(force=True)  # (the box alone)
            return
        if part == "envelope":
            self.envelope.refresh()
            self.surface.refresh_steps()
        elif part == "events":
            self.envelope.refresh_events()
            self.surface.refresh_steps()
        elif part == "surfaces":
            self.surface.refresh()
        elif part == "trajectory":
            self.pan.refresh()
            self.distance.refresh()
        elif part == "track":
            self.pan.refresh()
            if self.heard.alignment is None:
                self.heard.set_box_only()


__all__ = ["LaneStack"]

"""The picture with the tracked box: frames decoded on demand off the GUI thread, a draggable box.

A `FrameFetcher` thread decodes only the newest request, so scrubbing never queues up work and
the GUI never waits on the decoder. While the playhead moves (playing, or seeks closer than
`SCRUB_GAP_S` apart) frames come from the clip's low-resolution proxy when one is attached
(`view.proxy`, made by `controllers.proxy`); `SETTLE_MS` after the playhead stops, the original
frame replaces it. A small tag in the picture's corner says when the proxy is being made and
when it is shown. Dragging or resizing the box emits `boxEdited(frame, box)`; the main window turns that into a keyframe edit and a
background re-track. With several subjects the others' boxes are drawn dimmer in their own
colours (`subject_boxes`); clicking one emits `sourceClicked(name)`.

Given the document, the view state and the transport, the view follows them itself: a new
project sets the clip, a change of subject or track redraws the boxes, the playhead picks the
frame, and the view state's `busy_text` is the label in the corner. While a clip is analysed
into a new project (the view state's `analysing`), the clip's first frame is shown at once
with the analysis progress over it.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QFrame, QLabel, QProgressBar, QVBoxLayout, QWidget

from . import style
from .document import ProjectDocument
from .frame_fetcher import FrameFetcher
from .subject_boxes import SubjectBoxes
from .transport import Transport
from .view_state import ViewState

EMPTY_TEXT = "Open a clip (Ctrl+O) or drop one here"
SCRUB_GAP_S = 0.25  # playhead moves closer together than this are scrubbing: proxy frames
SETTLE_MS = 180  # this long after the playhead stopped, the original frame replaces the proxy's


class BoxROI(pg.ROI):
    """The subject's box: drag to move, corner and edge handles to resize."""

    def __init__(self) -> None:
        super().__init__((0, 0), (10, 10), pen=pg.mkPen(style.BOX, width=2), movable=True,
                         rotatable=False, resizable=False, removable=False)
        self.hoverPen = pg.mkPen("#9bffc0", width=2)
        self.handlePen = pg.mkPen(style.BOX, width=1.5)
        self.handleHoverPen = pg.mkPen("#ffffff", width=2)
        for pos, centre in (([1, 1], [0, 0]), ([0, 0], [1, 1]), ([1, 0], [0, 1]), ([0, 1], [1, 0]),
                            ([0.5, 0], [0.5, 1]), ([0.5, 1], [0.5, 0]), ([0, 0.5], [1, 0.5]),
                            ([1, 0.5], [0, 0.5])):
            self.addScaleHandle(pos, centre)

    def set_color(self, color: str) -> None:
        """The subject's colour on the handles (the outline is set per frame by the view)."""
        self.handlePen = pg.mkPen(color, width=1.5)
        for h in self.getHandles():
            h.pen = h.currentPen = self.handlePen
            h.update()

    def box(self) -> list[float]:
        p, s = self.pos(), self.size()
        x0, y0 = float(p.x()), float(p.y())
        return [x0, y0, x0 + float(s.x()), y0 + float(s.y())]

    def set_box(self, box: list[float] | np.ndarray) -> None:
        x0, y0, x1, y1 = (float(v) for v in box)
        self.setPos((x0, y0), update=False, finish=False)
        self.setSize((max(x1 - x0, 2.0), max(y1 - y0, 2.0)), update=True, finish=False)


class VideoView(QWidget):
    """Shows frame `n` of the clip, the subject's box, its motion trail and a small HUD."""

    boxEdited = Signal(int, list)  # frame, [x0, y0, x1, y1] in source pixels
    sourceClicked = Signal(str)  # another subject's box was clicked

    def __init__(self, doc: ProjectDocument | None = None, view: ViewState | None = None,
                 transport: Transport | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.doc, self.transport = doc, transport
        self.setObjectName("videoFrame")
        self.gv = pg.GraphicsView(background="#0d0d0f")
        self.vb = pg.ViewBox(lockAspect=True, invertY=True, enableMenu=False)
        self.vb.setMouseEnabled(False, False)
        self.vb.setDefaultPadding(0.01)
        self.gv.setCentralItem(self.vb)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.gv)

        self.image = pg.ImageItem()
        self.vb.addItem(self.image)
        self.trail = pg.ScatterPlotItem(size=4, pen=None, brush=pg.mkBrush(79, 224, 138, 70))
        self.vb.addItem(self.trail)
        self.others = SubjectBoxes(self.vb, self.sourceClicked.emit)
        self.roi = BoxROI()
        self.roi.setZValue(10)
        self.vb.addItem(self.roi)
        self.roi.sigRegionChangeFinished.connect(self._roi_finished)
        self.label = pg.TextItem("", color="#0b1a10", fill=pg.mkBrush(style.BOX), anchor=(0, 1))
        f = QFont(style.MONO)
        f.setPixelSize(12)
        f.setBold(True)
        self.label.setFont(f)
        self.label.setZValue(11)
        self.vb.addItem(self.label)
        self.hud = pg.TextItem("", color=style.TEXT, anchor=(0, 0), fill=pg.mkBrush(0, 0, 0, 150))
        hf = QFont(style.MONO)
        hf.setPixelSize(11)
        self.hud.setFont(hf)
        self.vb.addItem(self.hud)
        self.busy = pg.TextItem("", color=style.WARN, anchor=(1, 0), fill=pg.mkBrush(0, 0, 0, 150))
        self.busy.setFont(hf)
        self.busy.setVisible(False)  # shown while the view state's busy_text says something runs
        self.vb.addItem(self.busy)
        self.placeholder = pg.TextItem(EMPTY_TEXT, color=style.TEXT_DIM, anchor=(0.5, 0.5))
        self.vb.addItem(self.placeholder)
        self.proxy_tag = pg.TextItem("", color=style.TEXT, anchor=(0, 1), fill=pg.mkBrush(0, 0, 0, 150))
        self.proxy_tag.setFont(hf)
        self.proxy_tag.setZValue(12)
        self.proxy_tag.setVisible(False)
        self.vb.addItem(self.proxy_tag)

        self.overlay = self._build_overlay()
        self.preview: str | None = None  # the clip shown while it is analysed (no project yet)
        self.fetcher = FrameFetcher()
        self.fetcher.frameDecoded.connect(self._on_frame)
        self.view_state = view
        self.clip_path: str | None = None
        self.shown_from_proxy = False  # the picture now is a proxy frame (scrubbing / playing)
        self._last_move = 0.0
        self._settle = QTimer(self)
        self._settle.setSingleShot(True)
        self._settle.setInterval(SETTLE_MS)
        self._settle.timeout.connect(self._settled)
        self.width_px, self.height_px = 16, 9
        self.frame = 0
        self.shown_frame = -1
        self.track = None
        self.source_name = ""
        self.color = style.BOX
        self.fps = 25.0
        self._updating = False
        self._label_state: tuple[str, str] | None = None
        self._show_empty()
        if doc is not None:
            doc.changed.connect(self._on_doc)
        if view is not None:
            view.subscribe(lambda _name: self.set_busy(view.busy_text), "busy_text")
            view.subscribe(lambda _name: self.show_analysis(view.analysing), "analysing")
            view.subscribe(lambda _name: self._on_proxy(), "proxy")
        if transport is not None:
            transport.positionChanged.connect(lambda _t: self.set_frame(transport.frame))

    def _build_overlay(self) -> QFrame:
        box = QFrame(self)
        box.setObjectName("analysisOverlay")
        box.setStyleSheet(f"#analysisOverlay {{ background: rgba(10, 10, 12, 200); border-radius: 6px; }}"
                          f"QLabel {{ color: {style.TEXT}; background: transparent; }}")
        lay = QVBoxLayout(box)
        lay.setContentsMargins(16, 12, 16, 12)
        self.overlay_title = QLabel("")
        self.overlay_title.setStyleSheet("font-weight: bold;")
        self.overlay_text = QLabel("")
        self.overlay_bar = QProgressBar()
        self.overlay_bar.setRange(0, 1000)
        self.overlay_bar.setTextVisible(False)
        self.overlay_bar.setFixedHeight(8)
        for w in (self.overlay_title, self.overlay_text, self.overlay_bar):
            lay.addWidget(w)
        box.setVisible(False)
        return box

    def show_analysis(self, state) -> None:
        """(clip, fraction, message): the clip's first frame with the progress over it; None: done."""
        if state is None:
            self.overlay.setVisible(False)
            if self.preview is not None:
                self.preview = None
                self._on_doc("project")  # the analysis failed or was cancelled: back to what is open
            return
        clip, fraction, message = state
        if self.preview != clip:
            self.preview = clip
            self.set_clip(clip, 16, 9, 25.0)  # the real size comes with the first frame
            for item in (self.roi, self.label, self.trail):
                item.setVisible(False)
            self.others.visible = False
            self.others.place(self.frame)
            self.hud.setText("")  # placed with the first frame, when the clip's size is known
            self.fetcher.request(0)
        self.overlay_title.setText(f"Analysing {Path(clip).name}")
        self.overlay_text.setText(message or "")
        self.overlay_bar.setValue(int(max(0.0, min(1.0, fraction)) * 1000))
        self.overlay.setVisible(True)
        self._place_overlay()

    def _place_overlay(self) -> None:
        w = min(460, max(200, self.width() - 40))
        self.overlay.setFixedWidth(w)
        self.overlay.adjustSize()
        self.overlay.move((self.width() - w) // 2, int(self.height() * 0.62))
        self.overlay.raise_()

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        if self.overlay.isVisible():
            self._place_overlay()

    # -- following the document ------------------------------------------------------------------
    def _on_doc(self, part: str) -> None:
        proj = self.doc.project
        if part == "project" or (part == "clip" and proj is not None):
            self.preview = None
            if proj is None:
                self.placeholder.setText(EMPTY_TEXT)
                self.set_clip(None, 16, 9, 25)
            else:
                clip = proj.clip
                found = Path(clip.path).is_file()
                self.placeholder.setText(EMPTY_TEXT if found else f"{Path(clip.path).name} not found: "
                                         "File ▸ Locate clip…")
                self.set_clip(clip.path if found else None, clip.width, clip.height, clip.fps)
        if part in ("project", "source", "track"):
            src = self.doc.source
            entries = [] if proj is None else [(s.name, s.track, style.source_color(i))
                                               for i, s in enumerate(proj.sources)]
            self.set_sources(entries, 0 if src is None else proj.sources.index(src))

    # -- clip ------------------------------------------------------------------------------------
    def set_clip(self, path: str | None, width: int, height: int, fps: float) -> None:
        self.width_px, self.height_px, self.fps = int(width), int(height), float(fps)
        self.shown_frame = -1
        self.image.clear()
        self.vb.setRange(QRectF(0, 0, self.width_px, self.height_px), padding=0.01)
        self.placeholder.setVisible(path is None)
        self.placeholder.setPos(self.width_px / 2, self.height_px / 2)
        self.roi.setVisible(path is not None)
        self.label.setVisible(path is not None)
        self.trail.setVisible(path is not None)  # no path over a missing picture
        self.others.visible = path is not None
        self.others.place(self.frame)
        self.clip_path = path
        self.shown_from_proxy = False
        self.fetcher.open(path)
        if path:
            self.fetcher.request(self.frame)
        self._on_proxy()
        self.hud.setPos(8, 6)
        self.hud.setVisible(bool(path))
        self.hud.setText(f"{Path(path).name}  {self.width_px}x{self.height_px}  {self.fps:g} fps" if path else "")
        self.busy.setPos(self.width_px - 8, 6)

    def _show_empty(self) -> None:
        self.vb.setRange(QRectF(0, 0, 16, 9))
        self.placeholder.setPos(8, 4.5)
        self.roi.setVisible(False)
        self.label.setVisible(False)
        self.hud.setVisible(False)

    def set_sources(self, entries: list[tuple[str, object, str]], selected: int) -> None:
        """Every subject as (name, track, colour); `selected` gets the editable box."""
        if not entries:
            self.others.set_sources([])
            self.set_track(None, "")
            return
        name, track, color = entries[selected]
        self.others.set_sources([e for i, e in enumerate(entries) if i != selected])
        self.set_track(track, name, color)

    def set_track(self, track, source_name: str, color: str = style.BOX) -> None:
        self.track, self.source_name = track, source_name
        if color != self.color:
            self.color = color
            self.roi.set_color(color)
            self.roi.hoverPen = pg.mkPen(color, width=3)
            self.trail.setBrush(pg.mkBrush(style.qcolor(color, 70)))
            self._label_state = None
        if track is not None and len(track):
            filled = track.filled()
            ok = ~np.isnan(filled[:, 0])
            cx = 0.5 * (filled[ok, 0] + filled[ok, 2])
            cy = filled[ok, 3]  # feet: where the steps land
            self.trail.setData(cx[::2], cy[::2])
        else:
            self.trail.setData([], [])
        self._place_box()

    def set_frame(self, frame: int) -> None:
        """Show frame `frame`: from the proxy while the playhead moves, the original once it rests."""
        self.frame = int(frame)
        now = time.monotonic()
        playing = self.transport is not None and self.transport.playing
        moving = playing or now - self._last_move < SCRUB_GAP_S
        self._last_move = now
        self.fetcher.request(self.frame, scrubbing=moving)
        if moving:
            self._settle.start()
        self._place_box()

    def _settled(self) -> None:
        """The playhead rests: the original picture (sharp) replaces the proxy's."""
        if self.transport is not None and self.transport.playing:
            self._settle.start()
            return
        if self.shown_from_proxy or self.shown_frame != self.frame:
            self.fetcher.request(self.frame, scrubbing=False)

    def _on_proxy(self) -> None:
        """The view state's proxy changed: attach a ready one, say how far a build is."""
        state = None if self.view_state is None else self.view_state.proxy
        if state is not None and state[1] != self.clip_path:
            state = None  # another clip's
        if state is not None and state[0] == "ready":
            self.fetcher.attach_proxy(state[1], state[2])
        self._update_proxy_tag(state)

    def _update_proxy_tag(self, state=None) -> None:
        if state is None and self.view_state is not None:
            state = self.view_state.proxy if self.view_state.proxy and self.view_state.proxy[1] == self.clip_path \
                else None
        text = ""
        if self.shown_from_proxy:
            text = " PROXY "
        elif state is not None and state[0] == "building":
            text = f" making proxy {int(round(100 * float(state[2])))} % "
        self.proxy_tag.setText(text)
        self.proxy_tag.setVisible(bool(text) and self.clip_path is not None)
        self.proxy_tag.setColor(style.ACCENT if self.shown_from_proxy else style.TEXT_DIM)
        self.proxy_tag.setPos(8, self.height_px - 6)

    def set_busy(self, text: str) -> None:
        self.busy.setText(text)
        self.busy.setVisible(bool(text))

    def _on_frame(self, index: int, rgb: np.ndarray, from_proxy: bool = False) -> None:
        if self.preview is not None and (rgb.shape[1], rgb.shape[0]) != (self.width_px, self.height_px):
            self.width_px, self.height_px = rgb.shape[1], rgb.shape[0]  # the clip being analysed: its shape
            self.vb.setRange(QRectF(0, 0, self.width_px, self.height_px), padding=0.01)
            self.hud.setText(Path(self.preview).name)
        self.image.setImage(rgb, autoLevels=False, levels=(0, 255))
        self.image.setRect(QRectF(0, 0, self.width_px, self.height_px))
        self.shown_frame = index
        if from_proxy != self.shown_from_proxy:
            self.shown_from_proxy = from_proxy
            self._update_proxy_tag()

    def _place_box(self) -> None:
        self.others.place(self.frame)
        if getattr(self.roi, "isMoving", False):
            return  # the user is dragging it
        t = self.track
        n = len(t) if t is not None else 0
        box = t.box(self.frame) if n else None
        seen = box is not None
        if box is None and n:
            filled = t.filled()
            if 0 <= self.frame < n and not np.isnan(filled[self.frame, 0]):
                box = filled[self.frame]
        if box is None:
            w, h = self.width_px, self.height_px
            box = [w * 0.4, h * 0.25, w * 0.6, h * 0.9]
        keyframe = t is not None and self.frame in t.keyframes
        self._updating = True
        try:
            self.roi.set_box(box)
        finally:
            self._updating = False
        pen = pg.mkPen(self.color if seen else style.WARN, width=2 if seen else 1.5,
                       style=Qt.SolidLine if seen else Qt.DashLine)
        self.roi.setPen(pen)
        if t is not None and seen:
            conf = float(t.confidence[self.frame]) if t.confidence is not None else 1.0
            text = f" {self.source_name}  KEY " if keyframe else f" {self.source_name} "
            fill = "#ffd27a" if keyframe else self.color if conf >= 0.7 else style.WARN if conf >= 0.4 else style.ERROR
        else:
            text, fill = f" {self.source_name}  not seen: drag to set ", style.WARN
        if (text, fill) != self._label_state:  # TextItem.setText costs ~8 ms: only when it changes
            self._label_state = (text, fill)
            self.label.setText(text)
            self.label.fill = pg.mkBrush(fill)
        self.label.setPos(box[0], box[1] - 2)

    def _roi_finished(self) -> None:
        if self._updating or not self.roi.isVisible():
            return
        box = self.roi.box()
        box[0], box[2] = max(box[0], 0.0), min(box[2], float(self.width_px))
        box[1], box[3] = max(box[1], 0.0), min(box[3], float(self.height_px))
        if box[2] - box[0] < 2 or box[3] - box[1] < 2:
            return
        self.boxEdited.emit(self.frame, [round(v, 2) for v in box])
        QTimer.singleShot(0, self._place_box)  # the ROI still says it is moving: label and colour after

    def closeEvent(self, event) -> None:  # noqa: N802
        self.fetcher.close()
        super().closeEvent(event)


__all__ = ["BoxROI", "FrameFetcher", "VideoView"]

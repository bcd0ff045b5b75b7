"""The transport bar under the picture: buttons, timecode, frame, loop in/out, mix gains.

The gain sliders and the guide button show and set the view state's `guide_gain`,
`take_gain` and `guide_muted`; the playback controller applies them to the mixer. The audio
output status (`audio_label`) is made here and shown by the window in its status bar, so the
bar fits under a picture 900 px wide. Frames are numbered from 0, as in the project file and
the CLI: the label reads `frame 100 / 199` on a 200-frame clip, and End shows the last frame.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QSlider, QToolButton, QVBoxLayout

from . import style
from .icons import icon
from .transport import Transport
from .view_state import ViewState

GAIN_FIELDS = {"guide": "guide_gain", "take": "take_gain"}


def _button(name: str, tip: str, checkable: bool = False) -> QToolButton:
    b = QToolButton()
    b.setIcon(icon(name))
    b.setToolTip(tip)
    b.setCheckable(checkable)
    b.setAutoRaise(True)
    return b


class TransportBar(QFrame):
    """Buttons drive the Transport; labels follow it; the mix controls edit the view state."""

    def __init__(self, transport: Transport, view: ViewState, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("transport")
        self.t = transport
        self.view = view
        h = QHBoxLayout(self)
        h.setContentsMargins(8, 4, 8, 4)
        h.setSpacing(2)
        self.b_start = _button("start", "Go to start (Home)")
        self.b_back = _button("back", "Shuttle backwards (J)")
        self.b_play = _button("play", "Play / stop (Space)")
        self.b_play.setIconSize(self.b_play.iconSize() * 1.3)
        self.b_fwd = _button("fwd", "Shuttle forwards (L)")
        self.b_end = _button("end", "Go to end (End)")
        self.b_loop = _button("loop", "Loop between in and out points (I / O to set)", checkable=True)
        for b in (self.b_start, self.b_back, self.b_play, self.b_fwd, self.b_end, self.b_loop):
            h.addWidget(b)
        h.addSpacing(4)
        self.b_record = QToolButton()
        self.b_record.setText("\u25CF Rec")
        self.b_record.setCheckable(True)
        self.b_record.setAutoRaise(True)
        self.b_record.setToolTip("Record the envelope: perform the steps into the microphone while the picture "
                                 "plays (from the playhead, or over the loop when it is on); press again to stop")
        self.set_recording(False)
        h.addWidget(self.b_record)
        h.addSpacing(10)
        self.tc = QLabel("00:00:00:00")
        self.tc.setObjectName("timecode")
        h.addWidget(self.tc)
        info = QVBoxLayout()
        info.setSpacing(0)
        self.frame_label = QLabel("frame 0 / 0")
        self.frame_label.setObjectName("dim")
        self.frame_label.setToolTip("Frames are numbered from 0, as in the project file and the CLI")
        self.loop_label = QLabel("in –  out –")
        self.loop_label.setObjectName("dim")
        info.addWidget(self.frame_label)
        info.addWidget(self.loop_label)
        h.addSpacing(6)
        h.addLayout(info)
        h.addStretch(1)
        self.rate_label = QLabel("")
        self.rate_label.setStyleSheet(f"color:{style.WARN}; font-weight:bold;")
        h.addWidget(self.rate_label)
        h.addSpacing(10)
        self.b_guide_mute = QToolButton()
        self.b_guide_mute.setText("Guide")
        self.b_guide_mute.setCheckable(True)
        self.b_guide_mute.setChecked(not view.guide_muted)
        self.b_guide_mute.setToolTip("Hear the clip's own audio (guide track)")
        self.guide_gain = self._slider("guide")
        h.addWidget(self.b_guide_mute)
        h.addWidget(self.guide_gain)
        h.addSpacing(6)
        take_label = QLabel("Take")
        h.addWidget(take_label)
        self.take_gain = self._slider("take")
        h.addWidget(self.take_gain)
        self.audio_label = QLabel("")  # placed in the window's status bar
        self.audio_label.setObjectName("dim")

        self.b_start.clicked.connect(transport.home)
        self.b_end.clicked.connect(transport.end)
        self.b_play.clicked.connect(transport.toggle)
        self.b_back.clicked.connect(lambda: transport.shuttle(-1))
        self.b_fwd.clicked.connect(lambda: transport.shuttle(1))
        self.b_loop.toggled.connect(self._loop_toggled)
        self.b_guide_mute.toggled.connect(lambda on: setattr(view, "guide_muted", not on))
        view.subscribe(self._on_view, "guide_gain", "take_gain", "guide_muted")
        transport.positionChanged.connect(self._on_position)
        transport.playingChanged.connect(self._on_playing)
        transport.loopChanged.connect(self._on_loop)
        transport.rateChanged.connect(self._on_rate)
        self.set_audio_status(transport.player.available, transport.player.reason)

    def _slider(self, name: str) -> QSlider:
        s = QSlider(Qt.Horizontal)
        s.setRange(0, 150)
        s.setValue(int(round(getattr(self.view, GAIN_FIELDS[name]) * 100)))
        s.setFixedWidth(70)
        s.setToolTip(f"{name} level")
        s.valueChanged.connect(lambda v, f=GAIN_FIELDS[name]: setattr(self.view, f, v / 100.0))
        return s

    def _on_view(self, name: str) -> None:
        """Show the view state's mix when it was changed elsewhere."""
        if name == "guide_muted":
            widget, value, setter = self.b_guide_mute, not self.view.guide_muted, self.b_guide_mute.setChecked
            current = widget.isChecked()
        else:
            widget = self.guide_gain if name == "guide_gain" else self.take_gain
            value, setter, current = int(round(getattr(self.view, name) * 100)), widget.setValue, widget.value()
        if current != value:
            widget.blockSignals(True)
            setter(value)
            widget.blockSignals(False)

    def set_recording(self, on: bool) -> None:
        """The Record button lit while the microphone records."""
        self.b_record.blockSignals(True)
        self.b_record.setChecked(on)
        self.b_record.blockSignals(False)
        colour = "#ffffff; background:" + style.PLAYHEAD if on else style.PLAYHEAD
        self.b_record.setStyleSheet(f"QToolButton {{ color:{colour}; font-weight:bold; padding: 2px 6px; }}")

    def set_audio_status(self, ok: bool, reason: str) -> None:
        if ok:
            self.audio_label.setText("\u25CF audio")
            self.audio_label.setStyleSheet(f"color:{style.OK}")
            self.audio_label.setToolTip(reason)
        else:
            self.audio_label.setText("\u25CF no audio output")
            self.audio_label.setStyleSheet(f"color:{style.WARN}")
            self.audio_label.setToolTip(reason + "\nThe picture still plays; export works.")

    def _on_position(self, t: float) -> None:
        self.tc.setText(self.t.timecode())
        last = self.t.last_frame
        self.frame_label.setText(f"frame {self.t.frame} / {last}   {t:.2f} s")
        widest = self.frame_label.fontMetrics().horizontalAdvance(f"frame {last} / {last}   {self.t.duration:.2f} s")
        if self.frame_label.minimumWidth() != widest:  # the label does not jitter as the digits change
            self.frame_label.setMinimumWidth(widest)

    def _on_playing(self, playing: bool) -> None:
        self.b_play.setIcon(icon("pause" if playing else "play"))

    def _on_rate(self, rate: float) -> None:
        self.rate_label.setText("" if rate in (0.0, 1.0) else f"{rate:+g}x")

    def _on_loop(self) -> None:
        t = self.t
        a = "–" if t.loop_in is None else f"{t.loop_in:.2f}"
        b = "–" if t.loop_out is None else f"{t.loop_out:.2f}"
        self.loop_label.setText(f"in {a}  out {b}")
        self.b_loop.blockSignals(True)
        self.b_loop.setChecked(t.loop_enabled)
        self.b_loop.blockSignals(False)

    def _loop_toggled(self, on: bool) -> None:
        if on and (self.t.loop_in is None or self.t.loop_out is None):
            self.t.set_loop(0.0, self.t.duration)
        else:
            self.t.set_loop_enabled(on)


__all__ = ["TransportBar"]

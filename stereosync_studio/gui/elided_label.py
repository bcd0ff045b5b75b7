"""A one-line label that shortens its text with "…" when there is no room, the whole text in its tooltip.

For text that can grow without bound (file paths, take names a designer typed, the project line
in the tool bar): the label never pushes its neighbours out of the window, and the designer can
still read everything by hovering. Fixed-length readouts stay plain QLabels, sized to fit.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget


class ElidedLabel(QLabel):
    """Plain text only; `elide` is where the "…" goes (Qt.ElideRight, ElideMiddle, ElideLeft)."""

    def __init__(self, text: str = "", parent: QWidget | None = None, elide=Qt.ElideRight,
                 min_chars: int = 6) -> None:
        super().__init__(parent)
        self._full = ""
        self._elide = elide
        self._min_chars = min_chars
        self.setProperty("elides", True)  # the layout audit knows this one shortens by design
        self.setTextFormat(Qt.PlainText)
        self.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Preferred)
        self.setText(text)

    def setText(self, text: str) -> None:  # noqa: N802 - Qt API
        self._full = str(text)
        super().setText(self._full)
        self.setToolTip(self._full if self._full else "")
        self.updateGeometry()
        self.update()

    def full_text(self) -> str:
        return self._full

    def shown_text(self) -> str:
        """The text as drawn at the current width (elided or whole)."""
        return self.fontMetrics().elidedText(self._full, self._elide, max(self.contentsRect().width(), 0))

    def is_elided(self) -> bool:
        return self.shown_text() != self._full

    def minimumSizeHint(self) -> QSize:  # noqa: N802
        fm = self.fontMetrics()
        m = self.contentsMargins()
        w = fm.horizontalAdvance("M" * self._min_chars if self._full else "") + m.left() + m.right()
        return QSize(min(w, super().sizeHint().width()), super().minimumSizeHint().height())

    def paintEvent(self, _event) -> None:  # noqa: N802
        p = QPainter(self)
        p.setPen(self.palette().color(self.foregroundRole()))
        p.setFont(self.font())
        r = self.contentsRect()
        p.drawText(r, int(self.alignment()) | Qt.TextSingleLine, self.shown_text())
        p.end()


__all__ = ["ElidedLabel"]

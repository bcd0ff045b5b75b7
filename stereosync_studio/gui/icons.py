"""Small vector icons painted with QPainter, so the app looks the same everywhere and ships no files."""

from __future__ import annotations

from functools import lru_cache

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPainterPath, QPen, QPixmap, QPolygonF

from . import style


def _poly(p: QPainter, pts: list[tuple[float, float]]) -> None:
    p.drawPolygon(QPolygonF([QPointF(x, y) for x, y in pts]))


def _draw(name: str, p: QPainter, c: QColor) -> None:  # noqa: C901 - a table of small drawings
    pen = QPen(c, 2.0, Qt.SolidLine, Qt.RoundCap, Qt.RoundJoin)
    p.setPen(pen)
    p.setBrush(Qt.NoBrush)
    fill = lambda: (p.setBrush(c), p.setPen(Qt.NoPen))  # noqa: E731
    if name == "play":
        fill(); _poly(p, [(7, 4), (20, 12), (7, 20)])
    elif name == "pause":
        fill(); p.drawRect(QRectF(6, 5, 4, 14)); p.drawRect(QRectF(14, 5, 4, 14))
    elif name == "stop":
        fill(); p.drawRect(QRectF(6, 6, 12, 12))
    elif name == "start":
        fill(); p.drawRect(QRectF(5, 5, 2.5, 14)); _poly(p, [(19, 5), (9, 12), (19, 19)])
    elif name == "end":
        fill(); p.drawRect(QRectF(16.5, 5, 2.5, 14)); _poly(p, [(5, 5), (15, 12), (5, 19)])
    elif name == "back":
        fill(); _poly(p, [(12, 6), (3, 12), (12, 18)]); _poly(p, [(21, 6), (12, 12), (21, 18)])
    elif name == "fwd":
        fill(); _poly(p, [(3, 6), (12, 12), (3, 18)]); _poly(p, [(12, 6), (21, 12), (12, 18)])
    elif name == "loop":
        path = QPainterPath(); path.moveTo(6, 15); path.lineTo(6, 9); path.quadTo(6, 7, 8, 7)
        path.lineTo(18, 7); p.drawPath(path)
        path = QPainterPath(); path.moveTo(18, 9); path.lineTo(18, 15); path.quadTo(18, 17, 16, 17)
        path.lineTo(6, 17); p.drawPath(path)
        fill(); _poly(p, [(16, 4), (20, 7), (16, 10)]); _poly(p, [(8, 14), (4, 17), (8, 20)])
    elif name in ("undo", "redo"):
        if name == "redo":
            p.translate(24, 0); p.scale(-1, 1)
        path = QPainterPath(); path.moveTo(6, 10); path.lineTo(14, 10)
        path.cubicTo(21, 10, 21, 19, 14, 19); path.lineTo(9, 19); p.drawPath(path)
        fill(); _poly(p, [(4, 10), (9, 5), (9, 15)])
    elif name == "new":
        p.drawRect(QRectF(6, 4, 12, 16)); p.drawLine(9, 9, 15, 9); p.drawLine(9, 13, 15, 13)
    elif name == "open":
        path = QPainterPath(); path.moveTo(4, 7); path.lineTo(9, 7); path.lineTo(11, 9); path.lineTo(20, 9)
        path.lineTo(20, 18); path.lineTo(4, 18); path.closeSubpath(); p.drawPath(path)
    elif name == "save":
        p.drawRoundedRect(QRectF(5, 5, 14, 14), 2, 2); p.drawRect(QRectF(9, 5, 6, 4))
        p.drawRect(QRectF(8, 13, 8, 6))
    elif name == "generate":
        fill()
        for x, h in ((4, 6), (8, 12), (12, 16), (16, 9), (20, 5)):
            p.drawRoundedRect(QRectF(x - 1.3, 12 - h / 2, 2.6, h), 1.2, 1.2)
    elif name == "export":
        p.drawLine(12, 4, 12, 15); p.drawLine(8, 11, 12, 15); p.drawLine(16, 11, 12, 15)
        p.drawLine(5, 15, 5, 20); p.drawLine(5, 20, 19, 20); p.drawLine(19, 20, 19, 15)
    elif name == "select":
        fill(); _poly(p, [(7, 3), (18, 14), (12.5, 14.5), (15.5, 20.5), (13, 21.5), (10, 15.5), (7, 19)])
    elif name == "draw":
        p.drawLine(6, 18, 17, 7); p.drawLine(15, 5, 19, 9); p.drawLine(5, 19, 5.5, 18.5)
        path = QPainterPath(); path.moveTo(3, 21); path.cubicTo(8, 17, 12, 23, 21, 19); p.drawPath(path)
    elif name == "step":
        p.drawLine(12, 7, 12, 21)
        fill(); _poly(p, [(7, 3), (17, 3), (12, 9)])
    elif name == "cancel":
        p.drawLine(7, 7, 17, 17); p.drawLine(17, 7, 7, 17)
    elif name == "speaker":
        fill(); _poly(p, [(4, 9), (8, 9), (13, 5), (13, 19), (8, 15), (4, 15)])
        p.setPen(pen); p.setBrush(Qt.NoBrush)
        p.drawArc(QRectF(10, 8, 8, 8), -60 * 16, 120 * 16); p.drawArc(QRectF(9, 5, 13, 14), -60 * 16, 120 * 16)
    elif name == "folder":
        path = QPainterPath(); path.moveTo(3, 6); path.lineTo(9, 6); path.lineTo(11, 8); path.lineTo(21, 8)
        path.lineTo(21, 19); path.lineTo(3, 19); path.closeSubpath(); p.drawPath(path)
    elif name == "file":
        path = QPainterPath(); path.moveTo(6, 3); path.lineTo(14, 3); path.lineTo(19, 8); path.lineTo(19, 21)
        path.lineTo(6, 21); path.closeSubpath(); p.drawPath(path)
        p.drawLine(10, 16, 10, 12); p.drawLine(13, 17, 13, 10); p.drawLine(16, 15, 16, 13)
    elif name == "ab":
        p.setFont(p.font()); f = p.font(); f.setPixelSize(11); f.setBold(True); p.setFont(f)
        p.drawText(QRectF(0, 0, 24, 24), Qt.AlignCenter, "A/B")
    elif name == "box":
        p.setPen(QPen(c, 2.0, Qt.DashLine)); p.drawRect(QRectF(5, 4, 14, 16))
    elif name == "follow":
        p.drawRect(QRectF(4, 5, 8, 12)); p.drawLine(14, 12, 21, 12); p.drawLine(18, 9, 21, 12)
        p.drawLine(18, 15, 21, 12)
    elif name == "delete":
        p.drawLine(6, 7, 18, 7); p.drawRect(QRectF(8, 7, 8, 13)); p.drawLine(10, 4, 14, 4)
    else:
        p.drawEllipse(QRectF(6, 6, 12, 12))


@lru_cache(maxsize=None)
def icon(name: str, colour: str = style.TEXT) -> QIcon:
    """A 24-px icon (painted at 2x for sharp high-DPI screens)."""
    ic = QIcon()
    for mode, col in ((QIcon.Normal, colour), (QIcon.Disabled, "#5a5e66"), (QIcon.Active, "#ffffff")):
        pm = QPixmap(48, 48)
        pm.fill(Qt.transparent)
        p = QPainter(pm)
        p.setRenderHint(QPainter.Antialiasing)
        p.scale(2, 2)
        _draw(name, p, QColor(col))
        p.end()
        pm.setDevicePixelRatio(2.0)
        ic.addPixmap(pm, mode)
    return ic


__all__ = ["icon"]

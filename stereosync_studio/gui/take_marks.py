"""How the takes list says what a take's numbers mean: against the lanes now, being
recomputed, or made from an older envelope / pan / box / reference (`ViewState.take_scores`,
kept by `controllers.scores.ScoresController`)."""

from __future__ import annotations

import math

from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QBrush, QColor, QIcon, QPainter, QPen, QPixmap, QPolygonF
from PySide6.QtWidgets import QTreeWidgetItem

from ..core.fingerprint import TARGET, describe
from ..core.project import TakeInfo
from . import style
from .view_state import TakeScore

PENDING = "…"
_ICON: list[QIcon] = []


def value(metrics: dict, keys: tuple[str, ...]) -> float | None:
    """The first finite number among `keys` in `metrics`."""
    for k in keys:
        v = metrics.get(k)
        if isinstance(v, (int, float)) and math.isfinite(v):
            return float(v)
    return None


def shown_metrics(take: TakeInfo, score: TakeScore | None) -> dict | None:
    """What the E-L1 / Align columns show: the scores against the lanes now (None while they are
    being recomputed); the take's own when no scores were published (no controller)."""
    if score is None:
        return take.metrics
    if score.metrics is None and score.error:
        return {}
    return score.metrics


def stale_icon() -> QIcon:
    """An amber warning triangle (drawn once)."""
    if not _ICON:
        pm = QPixmap(14, 14)
        pm.fill(Qt.transparent)
        p = QPainter(pm)
        p.setRenderHint(QPainter.Antialiasing)
        p.setPen(Qt.NoPen)
        p.setBrush(QColor(style.WARN))
        p.drawPolygon(QPolygonF([QPointF(7, 1), QPointF(13.5, 13), QPointF(0.5, 13)]))
        p.setPen(QPen(QColor(style.BG), 1.6))
        p.drawLine(QPointF(7, 5), QPointF(7, 9))
        p.drawPoint(QPointF(7, 11.2))
        p.end()
        _ICON.append(QIcon(pm))
    return _ICON[0]


def _scores_text(metrics: dict, el1_keys: tuple[str, ...], align_keys: tuple[str, ...]) -> str:
    el1, al = value(metrics, el1_keys), value(metrics, align_keys)
    return (f"E-L1 {'–' if el1 is None else f'{el1:.4f}'}, "
            f"Align {'–' if al is None else f'{al:.2f}'}")


def apply(it: QTreeWidgetItem, take: TakeInfo, score: TakeScore | None, name_col: int, metric_cols: tuple[int, int],
          keys: tuple[tuple[str, ...], tuple[str, ...]], missing: bool) -> None:
    """Mark row `it`: a stale take gets the warning icon, amber name and a tooltip saying what it
    was made from and how it scored then; scores being recomputed show '…'."""
    it.setIcon(name_col, QIcon())
    if score is None or missing:
        return
    when_made = _scores_text(score.at_render, *keys) if score.at_render else "not scored"
    lines = []
    if score.stale:
        target = tuple(p for p in score.stale if p in TARGET)
        it.setIcon(name_col, stale_icon())
        it.setForeground(name_col, QBrush(QColor(style.WARN)))
        lines.append(f"Made from {describe(score.stale)}.")
        if target:
            lines.append("E-L1 and Align are against the lanes now; when it was made: " + when_made + ".")
    elif not score.known:
        lines.append("Made before StereoSync recorded what takes are made from; "
                     "E-L1 and Align are against the lanes now.")
    if score.error:
        lines.append(f"Could not be rescored: {score.error}")
    if score.metrics is None and not score.error:
        for c in metric_cols:
            it.setText(c, PENDING)
            it.setForeground(c, QBrush(QColor(style.TEXT_DIM)))
        lines.append(f"Rescoring against the lanes now… (when it was made: {when_made})")
    if lines:
        it.setToolTip(name_col, it.toolTip(name_col) + "\n" + "\n".join(lines))
        for c in metric_cols:
            it.setToolTip(c, "\n".join(lines))
    else:
        for c in metric_cols:
            it.setToolTip(c, "")


__all__ = ["PENDING", "apply", "shown_metrics", "stale_icon", "value"]

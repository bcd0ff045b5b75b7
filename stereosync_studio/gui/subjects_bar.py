"""The subject selector in the top bar: one entry per source, with its colour on the picture.

Choosing an entry shows that source everywhere (its box, lanes, reference, engine settings and
takes); right-click opens the Subjects menu (find all, merge, split, delete, rename). Which
source is shown is a view choice, not an edit, so it is not in the undo stack.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPoint, QRectF, Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QMenu, QWidget

from . import style
from .document import ProjectDocument


def swatch(color: str, size: int = 12) -> QIcon:
    """A small rounded square in a subject's colour."""
    pm = QPixmap(size, size)
    pm.fill(Qt.transparent)
    p = QPainter(pm)
    p.setRenderHint(QPainter.Antialiasing)
    p.setPen(QColor(color).darker(160))
    p.setBrush(QColor(color))
    p.drawRoundedRect(QRectF(0.5, 0.5, size - 1, size - 1), 3, 3)
    p.end()
    return QIcon(pm)


class SubjectsBar(QWidget):
    """`SUBJECT [■ subject1 ▾]` for the toolbar, kept in step with the document."""

    def __init__(self, doc: ProjectDocument, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.doc = doc
        self.menu: QMenu | None = None
        h = QHBoxLayout(self)
        h.setContentsMargins(6, 0, 6, 0)
        h.setSpacing(6)
        label = QLabel("SUBJECT")
        label.setStyleSheet(f"color:{style.TEXT_DIM}; font-weight:bold; letter-spacing:1px;")
        h.addWidget(label)
        self.combo = QComboBox()
        self.combo.setMinimumWidth(150)
        self.combo.setToolTip("The subject shown and edited (right-click: find all, merge, split, delete, rename)")
        self.combo.setContextMenuPolicy(Qt.CustomContextMenu)
        self.combo.customContextMenuRequested.connect(self._context_menu)
        h.addWidget(self.combo)
        self.count = QLabel("")
        self.count.setObjectName("dim")
        h.addWidget(self.count)
        self._loading = False
        self.combo.currentIndexChanged.connect(self._chosen)
        doc.changed.connect(self._on_doc)
        self.refresh()

    def set_menu(self, menu: QMenu) -> None:
        self.menu = menu

    def names(self) -> list[str]:
        return [self.combo.itemData(i) for i in range(self.combo.count())]

    def _on_doc(self, part: str) -> None:
        if part in ("project", "source", "takes", "track"):
            self.refresh()

    def refresh(self) -> None:
        proj = self.doc.project
        sources = proj.sources if proj is not None else []
        self._loading = True
        try:
            self.combo.clear()
            for i, s in enumerate(sources):
                self.combo.addItem(swatch(style.source_color(i)), s.name, s.name)
                seen = int(np.isfinite(s.track.boxes[:, 0]).sum())
                self.combo.setItemData(i, f"{s.name}: seen in {seen}/{len(s.track)} frames, {len(s.takes)} take(s), "
                                          f"envelope from {s.envelope.origin}", Qt.ToolTipRole)
            if sources:
                self.combo.setCurrentIndex(min(self.doc.source_index, len(sources) - 1))
        finally:
            self._loading = False
        self.combo.setEnabled(bool(sources))
        self.count.setText(f"{len(sources)} subjects" if len(sources) > 1 else "")

    def _chosen(self, index: int) -> None:
        if not self._loading and index >= 0:
            self.doc.select_source(index)

    def _context_menu(self, pos: QPoint) -> None:
        if self.menu is not None:
            self.menu.exec(self.combo.mapToGlobal(pos))


__all__ = ["SubjectsBar", "swatch"]

"""Splitters that never push a panel off the window and give room back when the window grows.

Why: a plain QSplitter keeps a pane with stretch 0 at whatever width it last had, so a panel
dragged narrow stayed narrow on a bigger screen, and panes could be squeezed below what their
controls need. Here every pane keeps its minimum size (`setChildrenCollapsible(False)`) and
stretches, so a resize is shared in proportion to the panes' current sizes (QSplitter does
this for stretching panes). Until the designer drags a handle, `fit` lays the panes out for
the window's size (`share`): what each pane needs first, then what it would like.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QSplitter, QWidget


class PanelSplitter(QSplitter):
    """Panes that keep their minimum and share resizes; `touched` once the designer drags a handle."""

    def __init__(self, orientation, widgets: list[QWidget], parent: QWidget | None = None) -> None:
        super().__init__(orientation, parent)
        for i, w in enumerate(widgets):
            self.addWidget(w)
            self.setStretchFactor(i, 1)
        self.setChildrenCollapsible(False)
        self.touched = False
        self.splitterMoved.connect(self._moved)

    def _moved(self, _pos: int, _index: int) -> None:
        self.touched = True

    def length(self) -> int:
        """Room for the panes (the splitter's length less its handles)."""
        size = self.width() if self.orientation() == Qt.Horizontal else self.height()
        return max(size - self.handleWidth() * (self.count() - 1), 0)

    def minimums(self) -> list[int]:
        out = []
        for i in range(self.count()):
            w = self.widget(i)
            hint, explicit = w.minimumSizeHint(), w.minimumSize()
            if self.orientation() == Qt.Horizontal:
                out.append(max(hint.width(), explicit.width()))
            else:
                out.append(max(hint.height(), explicit.height()))
        return out

    def fit(self, wants: list[int], order: list[int], rest: int) -> None:
        """Lay the panes out anew (unless the designer dragged a handle): see `share`."""
        if self.touched or self.length() <= 0:
            return
        self.setSizes(share(self.length(), self.minimums(), wants, order, rest))


def share(total: int, minimums: list[int], wants: list[int], order: list[int], rest: int) -> list[int]:
    """Sizes for panes in `total` pixels: each its minimum; then, in `order`, up to what it wants;
    what is left goes to pane `rest`. When even the minimums do not fit they are returned as they
    are (the window's own minimum size keeps that from happening)."""
    sizes = list(minimums)
    extra = total - sum(sizes)
    for i in order:
        if extra <= 0:
            break
        give = min(extra, max(wants[i] - sizes[i], 0))
        sizes[i] += give
        extra -= give
    if extra > 0:
        sizes[rest] += extra
    return sizes


__all__ = ["PanelSplitter", "share"]

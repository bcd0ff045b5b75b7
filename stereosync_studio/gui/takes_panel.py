"""Takes list: every generated take of the source with its seed and metrics; play, A/B, solo/mute,
rename, delete. All changes are document edits (undoable; a deleted take's file stays on disk
so undo can bring it back). Which take is selected is view state: the list shows and sets
`ViewState.selected_take`.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QItemSelectionModel, Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (QAbstractItemView, QGroupBox, QHBoxLayout, QHeaderView, QPushButton,
                               QTreeWidget, QTreeWidgetItem, QVBoxLayout)

from ..core.project import TakeInfo
from . import style, take_marks
from .document import ProjectDocument
from .icons import icon
from .view_state import ViewState

COLUMNS = ["Take", "Engine", "Seed", "E-L1", "Align", "S", "M", "LUFS", "TP"]  # indices stay: S 5, M 6
C_NAME, C_ENGINE, C_SEED, C_EL1, C_ALIGN, C_SOLO, C_MUTE, C_LUFS, C_TP = range(len(COLUMNS))
E_L1_KEYS = ("e_l1", "E-L1", "el1", "e_l1_normalized")
ALIGN_KEYS = ("spatial_av_align", "spatial_alignment", "av_align")
LUFS_KEYS = ("lufs_integrated",)
TP_KEYS = ("true_peak_dbtp",)


MIN_ROWS = 4  # the list always shows at least this many takes
SCORING = "scoring…"  # a new take's E-L1 / Align while its first scores are computed


def rows_height(tree: QTreeWidget, rows: int) -> int:
    """Height of `tree` showing its header and `rows` rows (one line of text each)."""
    row = max(tree.sizeHintForRow(0), tree.fontMetrics().height() + 8)  # text, padding, the S/M boxes
    return tree.header().sizeHint().height() + rows * row + 2 * tree.frameWidth() + 4


def metric(take: TakeInfo, keys: tuple[str, ...]) -> float | None:
    return take_marks.value(take.metrics, keys)


class TakesPanel(QGroupBox):
    playRequested = Signal(object)
    abRequested = Signal()
    exportRequested = Signal()

    def __init__(self, doc: ProjectDocument, view: ViewState, parent=None) -> None:
        super().__init__("TAKES", parent)
        self.doc, self.view = doc, view
        self._loading = False
        self._seen: dict[str, list[str]] = {}  # source name -> the take paths it showed last
        lay = QVBoxLayout(self)
        lay.setSpacing(4)
        self.tree = QTreeWidget()
        self.tree.setColumnCount(len(COLUMNS))
        self.tree.setHeaderLabels(COLUMNS)
        self.tree.setRootIsDecorated(False)
        self.tree.setAlternatingRowColors(True)
        self.tree.setSelectionMode(QAbstractItemView.ExtendedSelection)
        self.tree.setEditTriggers(QAbstractItemView.DoubleClicked | QAbstractItemView.EditKeyPressed)
        hdr = self.tree.header()
        hdr.setStretchLastSection(False)
        for c in range(len(COLUMNS)):  # take names are never cut (see `_fit_name`)
            hdr.setSectionResizeMode(c, QHeaderView.Interactive if c == C_NAME else QHeaderView.ResizeToContents)
        hdr.sectionResized.connect(lambda c, _old, _new: self._fit_name() if c != C_NAME else None)
        self.tree.setMinimumHeight(rows_height(self.tree, MIN_ROWS))
        self.tree.headerItem().setToolTip(C_EL1, "Envelope L1 between target and take (lower is better)")
        self.tree.headerItem().setToolTip(C_ALIGN, "Spatial AV-Align: share of windows heard inside the box")
        self.tree.headerItem().setToolTip(C_LUFS, "Integrated loudness (LUFS, EBU R128)")
        self.tree.headerItem().setToolTip(C_TP, "True peak (dBTP)")
        self.tree.headerItem().setToolTip(C_SOLO, "Solo")
        self.tree.headerItem().setToolTip(C_MUTE, "Mute")
        lay.addWidget(self.tree, 1)
        row = QHBoxLayout()
        row.setSpacing(3)
        self.b_play = QPushButton(icon("play"), "Play")
        self.b_ab = QPushButton(icon("ab"), "A/B")
        self.b_ab.setToolTip("Switch between this take and the previous one (B)")
        self.b_delete = QPushButton(icon("delete"), "")
        self.b_delete.setToolTip("Delete the selected takes (the files stay on disk)")
        self.b_export = QPushButton(icon("export"), "Export…")
        for b in (self.b_play, self.b_ab, self.b_delete, self.b_export):
            row.addWidget(b)
        lay.addLayout(row)
        self.b_play.clicked.connect(lambda: self.playRequested.emit(self.selected_take()))
        self.b_ab.clicked.connect(self.abRequested)
        self.b_delete.clicked.connect(self.delete_selected)
        self.b_export.clicked.connect(self.exportRequested)
        self.tree.currentItemChanged.connect(self._current_changed)
        self.tree.itemChanged.connect(self._item_changed)
        doc.changed.connect(self._on_doc)
        view.subscribe(self._on_view, "selected_take")
        view.subscribe(lambda _name: self.refresh(), "take_scores")  # stale marks, scores against the lanes now
        self._update_buttons()

    # -- access ----------------------------------------------------------------------------------
    def takes(self) -> list[TakeInfo]:
        src = self.doc.source
        return [] if src is None else list(src.takes)

    def take_by_path(self, path: str | None) -> TakeInfo | None:
        for t in self.takes():
            if t.path == path:
                return t
        return None

    @property
    def current_path(self) -> str | None:
        return self.view.selected_take

    def selected_take(self) -> TakeInfo | None:
        return self.take_by_path(self.current_path)

    def selected_takes(self) -> list[TakeInfo]:
        paths = {it.data(C_NAME, Qt.UserRole) for it in self.tree.selectedItems()}
        return [t for t in self.takes() if t.path in paths]

    def selected_paths(self) -> list[str]:
        return [t.path for t in self.selected_takes()]

    def select_path(self, path: str | None) -> None:
        """Make take `path` the current and only selected row. The selection is explicit: left to
        the view, a Ctrl still held (Ctrl+Z brought the take back) would toggle it instead."""
        for i in range(self.tree.topLevelItemCount()):
            it = self.tree.topLevelItem(i)
            if it.data(C_NAME, Qt.UserRole) == path:
                self.tree.setCurrentItem(it, C_NAME, QItemSelectionModel.ClearAndSelect | QItemSelectionModel.Rows)
                return

    # -- document --------------------------------------------------------------------------------
    def _on_doc(self, part: str) -> None:
        if part == "project":
            self._seen = {}
        if part in ("project", "source", "takes"):
            self.refresh()

    def _on_view(self, _name: str) -> None:
        cur = self.tree.currentItem()
        if (None if cur is None else cur.data(C_NAME, Qt.UserRole)) != self.view.selected_take:
            self.select_path(self.view.selected_take)
        self._update_buttons()

    def refresh(self) -> None:
        """Show the document's takes; items are updated in place when the list is the same takes
        (never deleted from inside their own itemChanged signal, e.g. a solo click)."""
        keep = self.current_path
        takes = self.takes()
        items = [self.tree.topLevelItem(i) for i in range(self.tree.topLevelItemCount())]
        self._loading = True
        try:
            if [it.data(C_NAME, Qt.UserRole) for it in items] == [t.path for t in takes]:
                for it, t in zip(items, takes):
                    self._fill(it, t)
            else:
                self.tree.clear()
                for t in takes:
                    it = QTreeWidgetItem()
                    it.setFlags(it.flags() | Qt.ItemIsEditable | Qt.ItemIsUserCheckable)
                    it.setData(C_NAME, Qt.UserRole, t.path)
                    for c in (C_SEED, C_EL1, C_ALIGN, C_LUFS, C_TP):
                        it.setTextAlignment(c, Qt.AlignRight | Qt.AlignVCenter)
                    self._fill(it, t)
                    self.tree.addTopLevelItem(it)
        finally:
            self._loading = False
        self.tree.setMinimumHeight(rows_height(self.tree, MIN_ROWS))  # measured on real rows when there are
        self.tree.setColumnHidden(C_ENGINE, len({t.engine for t in takes}) <= 1)  # room for names: one engine
        self._fit_name()
        paths = [t.path for t in takes]
        src = self.doc.source
        seen = self._seen.get(src.name) if src is not None else None
        if src is not None:
            self._seen[src.name] = paths
        back = [p for p in paths if p not in seen] if seen is not None and set(seen) <= set(paths) else []
        if back:  # takes added to the list (Undo of a delete, new takes): the newest is the one to hear
            self.select_path(back[-1])
            if self.view.selected_take != back[-1]:  # already the tree's current item: the view follows
                self.view.select_take(back[-1])
        elif keep in paths:
            self.select_path(keep)
        elif paths:
            self.select_path(paths[-1])
        else:
            self._current_changed(None, None)
        self._update_buttons()

    def _fit_name(self) -> None:
        """The name column takes the room the other columns leave, and never less than its longest name
        (the list scrolls sideways instead of cutting a name)."""
        hdr = self.tree.header()
        others = sum(hdr.sectionSize(c) for c in range(hdr.count()) if c != C_NAME and not hdr.isSectionHidden(c))
        need = max(self.tree.sizeHintForColumn(C_NAME), hdr.sectionSizeHint(C_NAME))
        hdr.resizeSection(C_NAME, max(need, self.tree.viewport().width() - others))

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        self._fit_name()

    def _fill(self, it: QTreeWidgetItem, t: TakeInfo) -> None:
        it.setText(C_NAME, t.name)
        it.setToolTip(C_NAME, f"{t.path}\n{t.created}")
        it.setText(C_ENGINE, t.engine)
        it.setText(C_SEED, str(t.seed))
        score = self.view.take_scores.get(t.path)  # against the lanes now (take_marks)
        shown = take_marks.shown_metrics(t, score) or {}
        el1, al = take_marks.value(shown, E_L1_KEYS), take_marks.value(shown, ALIGN_KEYS)
        missing = not Path(t.path).is_file()  # moved or deleted: greyed, its scores not shown
        if missing:
            el1 = al = None
            it.setToolTip(C_NAME, f"file not found: {t.path}")
        for c in range(len(COLUMNS)):
            it.setData(c, Qt.ForegroundRole, QBrush(QColor(style.TEXT_DIM)) if missing else None)
        it.setText(C_EL1, "missing" if missing else "–" if el1 is None else f"{el1:.4f}")
        it.setText(C_ALIGN, "–" if al is None else f"{al:.2f}")
        if al is not None:
            it.setForeground(C_ALIGN, QBrush(QColor(style.OK if al >= 0.7 else style.WARN if al >= 0.4
                                                    else style.ERROR)))
        lufs, tp = (None, None) if missing else (metric(t, LUFS_KEYS), metric(t, TP_KEYS))
        it.setText(C_LUFS, "" if lufs is None else f"{lufs:.1f}")
        it.setText(C_TP, "" if tp is None else f"{tp:.1f}")
        short = None if missing else metric(t, ("lufs_short_term_max",))
        it.setToolTip(C_LUFS, "" if lufs is None else f"integrated {lufs:.1f} LUFS"
                      + ("" if short is None else f" · max short-term {short:.1f} LUFS")
                      + ("" if tp is None else f" · true peak {tp:.1f} dBTP"))
        it.setCheckState(C_SOLO, Qt.Checked if t.solo else Qt.Unchecked)
        it.setCheckState(C_MUTE, Qt.Checked if t.muted else Qt.Unchecked)
        take_marks.apply(it, t, score, C_NAME, (C_EL1, C_ALIGN), (E_L1_KEYS, ALIGN_KEYS), missing)
        if not missing and score is not None and score.metrics is None and not score.error and not score.at_render:
            for c in (C_EL1, C_ALIGN):  # just rendered (metrics not computed in the render): first scores coming
                it.setText(c, SCORING)
                it.setToolTip(c, "Scoring this new take in the background…")

    def _current_changed(self, cur, _prev) -> None:
        if self._loading:
            return
        self.view.select_take(None if cur is None else cur.data(C_NAME, Qt.UserRole))
        self._update_buttons()

    def _item_changed(self, item: QTreeWidgetItem, column: int) -> None:
        if self._loading:
            return
        path = item.data(C_NAME, Qt.UserRole)
        takes = [TakeInfo.from_dict(t.to_dict()) for t in self.takes()]
        target = next((t for t in takes if t.path == path), None)
        if target is None:
            return
        if column == C_NAME:
            name = item.text(C_NAME).strip()
            if not name or name == target.name:
                self.refresh()
                return
            target.name = name
            self.doc.edit("takes", takes, f"Rename take to {name}")
        elif column in (C_SOLO, C_MUTE):
            on = item.checkState(column) == Qt.Checked
            if column == C_SOLO:
                target.solo = on
            else:
                target.muted = on
            what = "Solo" if column == C_SOLO else "Mute"
            self.doc.edit("takes", takes, f"{what} {target.name}" if on else f"Un{what.lower()} {target.name}")

    def delete_selected(self) -> None:
        chosen = {t.path for t in self.selected_takes()}
        if not chosen:
            return
        keep = [t for t in self.takes() if t.path not in chosen]
        self.doc.edit("takes", keep, f"Delete {len(chosen)} take(s)")

    def _update_buttons(self) -> None:
        has = self.selected_take() is not None
        self.b_play.setEnabled(has)
        self.b_ab.setEnabled(has and len(self.takes()) > 1)
        self.b_delete.setEnabled(has)
        self.b_export.setEnabled(bool(self.takes()))


__all__ = ["TakesPanel", "metric", "rows_height", "E_L1_KEYS", "ALIGN_KEYS", "LUFS_KEYS", "TP_KEYS", "MIN_ROWS"]

"""Reference panel: the sounds to imitate. Pick (or drop) a file or folder, tick the sounds to use,
preview one on headphones. The choice is the source's Reference, edited through the document;
the waveform of the sound under the cursor is the view state's `reference_preview`, loaded
by the playback controller when the panel says which sound is current.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtWidgets import (QFileDialog, QGroupBox, QHBoxLayout, QLabel, QLineEdit, QListWidget,
                               QListWidgetItem, QPushButton, QVBoxLayout)

from ..core.errors import StereoSyncError
from ..core.formats import AUDIO_EXTS, dialog_filter
from ..core.project import Reference
from ..jobs import reference_files
from . import style
from .document import ProjectDocument
from .icons import icon
from .view_state import ViewState


TEXT_ENGINES = ("diffusion",)  # engines that read the text prompt (shown only for them)
MIN_ROWS, WANT_ROWS = 3, 8  # the sound list shows at least 3 sounds, and all of them up to 8 when there is room


class ReferencePanel(QGroupBox):
    """Lists the reference sounds of the current source; emits currentChanged(path) and previewRequested(path)."""

    previewRequested = Signal(str)
    currentChanged = Signal(object)  # the sound under the cursor (str) or None
    message = Signal(str)

    def __init__(self, doc: ProjectDocument, view: ViewState, parent=None) -> None:
        super().__init__("REFERENCE", parent)
        self.doc, self.view = doc, view
        self.setAcceptDrops(True)
        lay = QVBoxLayout(self)
        lay.setSpacing(4)
        row = QHBoxLayout()
        self.b_file = QPushButton(icon("file"), "File…")
        self.b_folder = QPushButton(icon("folder"), "Folder…")
        self.b_preview = QPushButton(icon("speaker"), "Preview")
        for b in (self.b_file, self.b_folder, self.b_preview):
            row.addWidget(b)
        lay.addLayout(row)
        self.path_label = QLabel("drop a sound or a folder here")
        self.path_label.setObjectName("dim")
        self.path_label.setTextInteractionFlags(Qt.TextSelectableByMouse)
        lay.addWidget(self.path_label)
        self.list = QListWidget()
        self.list.setAlternatingRowColors(True)
        self.list.setMinimumHeight(self._list_height(MIN_ROWS))
        lay.addWidget(self.list, 1)
        self.wave = pg.PlotWidget()
        self.wave.setFixedHeight(30)
        self.wave.hideAxis("left")
        self.wave.hideAxis("bottom")
        self.wave.setMouseEnabled(False, False)
        self.wave.setMenuEnabled(False)
        self.wave.hideButtons()
        self.wave_curve = pg.PlotCurveItem(pen=pg.mkPen(None), fillLevel=0.0,
                                           brush=pg.mkBrush(style.qcolor(style.ENVELOPE, 150)))
        self.wave_curve2 = pg.PlotCurveItem(pen=pg.mkPen(None), fillLevel=0.0,
                                            brush=pg.mkBrush(style.qcolor(style.ENVELOPE, 150)))
        self.wave.addItem(self.wave_curve)
        self.wave.addItem(self.wave_curve2)
        lay.addWidget(self.wave)
        self.text = QLineEdit()
        self.text.setPlaceholderText("text prompt (diffusion engine), e.g. footsteps on wood")
        lay.addWidget(self.text)

        self.b_file.clicked.connect(self.pick_file)
        self.b_folder.clicked.connect(self.pick_folder)
        self.b_preview.clicked.connect(self.preview_current)
        self.list.itemDoubleClicked.connect(lambda _it: self.preview_current())
        self.list.itemChanged.connect(self._checks_changed)
        self.list.currentItemChanged.connect(lambda *_: self._selection_changed())
        self.text.editingFinished.connect(self._text_changed)
        doc.changed.connect(self._on_doc)
        view.subscribe(lambda _name: self._show_wave(), "reference_preview")
        self._loading = False

    # -- size ------------------------------------------------------------------------------------
    def _row_height(self) -> int:
        return max(self.list.sizeHintForRow(0), self.list.fontMetrics().height() + 4)

    def _list_height(self, rows: int) -> int:
        return rows * self._row_height() + 2 * self.list.frameWidth() + 2

    def sizeHint(self) -> QSize:  # noqa: N802
        """Tall enough to list every sound (up to WANT_ROWS; the list scrolls beyond)."""
        hint = self.minimumSizeHint()
        rows = min(max(self.list.count(), MIN_ROWS), WANT_ROWS)
        return QSize(hint.width(), hint.height() + self._list_height(rows) - self.list.minimumHeight())

    # -- choosing --------------------------------------------------------------------------------
    def pick_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Reference sound", "", f"Audio ({dialog_filter(AUDIO_EXTS)})")
        if path:
            self.set_path(path)

    def pick_folder(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Folder of reference sounds")
        if path:
            self.set_path(path)

    def set_path(self, path: str) -> None:
        """Use a file or every sound in a folder as the reference (one undoable edit)."""
        try:
            files = reference_files(path)
        except StereoSyncError as exc:
            self.message.emit(str(exc))
            return
        ref = Reference(str(path), [], self.doc.source.reference.text if self.doc.source else "")
        if Path(path).is_file():
            ref.files = files
        self.doc.edit("reference", ref, "Choose reference")
        self.message.emit(f"reference: {len(files)} sound(s) from {Path(path).name}")

    def dragEnterEvent(self, event) -> None:  # noqa: N802
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:  # noqa: N802
        urls = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if urls:
            self.set_path(urls[0])
            event.acceptProposedAction()

    # -- document --------------------------------------------------------------------------------
    def _on_doc(self, part: str) -> None:
        if part in ("project", "source", "reference", "engine"):
            self.refresh()

    def all_files(self, ref: Reference) -> list[str]:
        if not ref.path:
            return list(ref.files)
        try:
            return reference_files(ref.path) if Path(ref.path).is_dir() else [ref.path]
        except StereoSyncError:
            return list(ref.files)

    def refresh(self) -> None:
        """List the reference's sounds; same files -> ticks updated in place (this runs from the
        list's own itemChanged signal, where deleting its items would crash Qt)."""
        src = self.doc.source
        self._loading = True
        try:
            if src is None:
                self.list.clear()
                self.path_label.setText("no project")
                return
            ref = src.reference
            files = self.all_files(ref)
            chosen = set(ref.files) if ref.files else set(files)
            shown = [self.list.item(i).data(Qt.UserRole) for i in range(self.list.count())]
            if shown != files:
                self.list.clear()
                for f in files:
                    it = QListWidgetItem(Path(f).name)
                    it.setData(Qt.UserRole, f)
                    it.setFlags(it.flags() | Qt.ItemIsUserCheckable)
                    it.setToolTip(f)
                    self.list.addItem(it)
                if self.list.count():
                    self.list.setCurrentRow(0)
            for i, f in enumerate(files):
                self.list.item(i).setCheckState(Qt.Checked if f in chosen else Qt.Unchecked)
            used = len(chosen & set(files)) if files else 0
            where = Path(ref.path).name if ref.path else "none chosen"
            self.path_label.setText(f"{where}  ·  {used}/{len(files)} sounds used" if files
                                    else "drop a sound or a folder here")
            self.text.setText(ref.text)
            self.text.setVisible(src.engine in TEXT_ENGINES or bool(ref.text))  # the sampler reads no prompt
        finally:
            self._loading = False

    def _checks_changed(self, _item) -> None:
        if self._loading or self.doc.source is None:
            return
        ref = self.doc.source.reference
        checked = [self.list.item(i).data(Qt.UserRole) for i in range(self.list.count())
                   if self.list.item(i).checkState() == Qt.Checked]
        if not checked:
            self.message.emit("at least one reference sound must stay ticked")
            self.refresh()
            return
        all_files = [self.list.item(i).data(Qt.UserRole) for i in range(self.list.count())]
        files = [] if len(checked) == len(all_files) and Path(ref.path).is_dir() else checked
        self.doc.edit("reference", Reference(ref.path, files, ref.text), "Choose reference sounds")

    def _text_changed(self) -> None:
        src = self.doc.source
        if src is None or self.text.text() == src.reference.text:
            return
        ref = src.reference
        self.doc.edit("reference", Reference(ref.path, list(ref.files), self.text.text()), "Edit text prompt")

    def current_file(self) -> str | None:
        it = self.list.currentItem()
        return None if it is None else it.data(Qt.UserRole)

    def preview_current(self) -> None:
        f = self.current_file()
        if f:
            self.previewRequested.emit(f)

    def _selection_changed(self) -> None:
        self.currentChanged.emit(self.current_file())
        self._show_wave()

    def _show_wave(self) -> None:
        """The loaded waveform when it is the sound under the cursor, else none (yet)."""
        loaded = self.view.reference_preview
        self.set_wave(loaded[2] if loaded is not None and loaded[0] == self.current_file() else None)

    def set_wave(self, peaks: np.ndarray | None) -> None:
        if peaks is None or not len(peaks):
            self.wave_curve.setData([], [])
            self.wave_curve2.setData([], [])
            return
        x = np.arange(len(peaks))
        self.wave_curve.setData(x, peaks)
        self.wave_curve2.setData(x, -peaks)
        self.wave.setXRange(0, len(peaks), padding=0)
        self.wave.setYRange(-1.05, 1.05, padding=0)


__all__ = ["ReferencePanel"]

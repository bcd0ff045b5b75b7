"""Engine panel: which generator, how many takes, seed, the engine's options, Generate/Cancel.

Engines are probed in a worker at start (`jobs.probe_and_warm`, the result lands in the view
state); one that cannot run stays in the list, greyed out, with the reason shown. Options are
built from the engine's OptionSpec list and stored in the source (undoable); the number of
takes and the seed are view state (not saved): the spin boxes show and set them.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QStandardItemModel
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDoubleSpinBox, QFileDialog, QFormLayout, QGroupBox,
                               QHBoxLayout, QLabel, QLineEdit, QProgressBar, QPushButton, QScrollArea,
                               QSizePolicy, QSpinBox, QToolButton, QVBoxLayout, QWidget)

from ..jobs import EngineInfo, OptionSpec
from .document import ProjectDocument
from .elided_label import ElidedLabel
from .icons import icon
from .view_state import ViewState


class EnginePanel(QGroupBox):
    generateRequested = Signal()
    generateAllRequested = Signal()
    cancelRequested = Signal()

    def __init__(self, doc: ProjectDocument, view: ViewState, parent=None) -> None:
        super().__init__("ENGINE", parent)
        self.doc, self.view = doc, view
        self.engines: dict[str, EngineInfo] = {}
        self._loading = False
        lay = QVBoxLayout(self)
        lay.setSpacing(4)
        self.combo = QComboBox()
        self.combo.addItem("checking engines…", "")
        self.combo.setSizeAdjustPolicy(QComboBox.AdjustToMinimumContentsLengthWithIcon)
        self.combo.setMinimumContentsLength(12)
        top = QHBoxLayout()  # engine and the Options toggle on one row; takes and seed below
        top.addWidget(self.combo, 1)
        lay.addLayout(top)
        self.reason = ElidedLabel("")  # one line; the whole reason in its tooltip
        self.reason.setObjectName("dim")
        self.reason.setVisible(False)
        lay.addWidget(self.reason)
        row = QHBoxLayout()
        row.addWidget(QLabel("Takes"))
        self.n_takes = QSpinBox()
        self.n_takes.setRange(1, 16)
        self.n_takes.setValue(view.n_takes)
        row.addWidget(self.n_takes)
        row.addSpacing(8)
        row.addWidget(QLabel("Seed"))
        self.seed = QSpinBox()
        self.seed.setRange(0, 2**31 - 1)
        self.seed.setValue(view.seed)
        row.addWidget(self.seed, 1)
        self.b_options = QToolButton()
        self.b_options.setText("Options ▾")
        self.b_options.setCheckable(True)
        self.b_options.setChecked(True)
        self.b_options.setSizePolicy(QSizePolicy.Preferred, QSizePolicy.Preferred)  # as tall as the combo
        top.addWidget(self.b_options)
        lay.addLayout(row)
        self.form_host = QWidget()
        self.form = QFormLayout(self.form_host)
        self.form.setContentsMargins(2, 2, 6, 2)
        self.form.setVerticalSpacing(3)
        self.form.setLabelAlignment(Qt.AlignRight)
        self.form.setRowWrapPolicy(QFormLayout.WrapLongRows)  # a narrow panel puts long labels above
        self.scroll = QScrollArea()
        self.scroll.setWidgetResizable(True)
        self.scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)  # options scroll down, never sideways
        self.scroll.setWidget(self.form_host)
        self.scroll.setMinimumHeight(56)  # two option rows; the rest scrolls
        lay.addWidget(self.scroll, 1)
        self.b_options.toggled.connect(self.scroll.setVisible)
        row = QHBoxLayout()
        self.b_generate = QPushButton(icon("generate", "#ffffff"), "Generate")
        self.b_generate.setObjectName("primary")
        self.b_generate.setToolTip("Generate takes in the background (Ctrl+G)")
        self.b_generate_all = QPushButton(icon("generate"), "All subjects")
        self.b_generate_all.setToolTip("Generate takes of every subject, each with its own engine and options")
        self.b_generate_all.setVisible(False)
        self.b_cancel = QPushButton(icon("cancel"), "Cancel")
        self.b_cancel.setEnabled(False)
        row.addWidget(self.b_generate, 2)
        row.addWidget(self.b_generate_all, 2)
        row.addWidget(self.b_cancel, 1)
        lay.addLayout(row)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setValue(0)
        self.progress.setFormat("")
        self.progress.setTextVisible(True)
        lay.addWidget(self.progress)
        self.status = ElidedLabel("")  # the last failure, shown only when there is one
        self.status.setObjectName("dim")
        self.status.setVisible(False)
        lay.addWidget(self.status)
        self.widgets: dict[str, QWidget] = {}
        self._form_engine = ""
        self.b_generate.clicked.connect(self.generateRequested)
        self.b_generate_all.clicked.connect(self.generateAllRequested)
        self.b_cancel.clicked.connect(self.cancelRequested)
        self.combo.currentIndexChanged.connect(self._engine_chosen)
        self.n_takes.valueChanged.connect(lambda v: setattr(view, "n_takes", int(v)))
        self.seed.valueChanged.connect(lambda v: setattr(view, "seed", int(v)))
        doc.changed.connect(self._on_doc)
        view.subscribe(self._on_view, "n_takes", "seed", "engines")

    def sizeHint(self) -> QSize:  # noqa: N802
        """Tall enough to show every option of the engine without scrolling."""
        hint = self.minimumSizeHint()
        form = self.form_host.sizeHint().height() + 2 * self.scroll.frameWidth()
        return QSize(hint.width(), hint.height() + max(form - self.scroll.minimumHeight(), 0))

    def _on_view(self, name: str) -> None:
        if name == "engines":
            self.set_engines(self.view.engines)
            return
        spin = self.n_takes if name == "n_takes" else self.seed
        value = int(getattr(self.view, name))
        if spin.value() != value:
            spin.blockSignals(True)
            spin.setValue(value)
            spin.blockSignals(False)

    # -- engines ---------------------------------------------------------------------------------
    def set_engines(self, engines: dict[str, EngineInfo]) -> None:
        self.engines = engines
        self._loading = True
        try:
            self.combo.clear()
            model: QStandardItemModel = self.combo.model()
            for i, (name, info) in enumerate(engines.items()):
                self.combo.addItem(info.label if info.ok else f"{info.label} (unavailable)", name)
                item = model.item(i)
                item.setEnabled(info.ok)
                item.setToolTip(info.why or info.label)
        finally:
            self._loading = False
        self.refresh()

    def current_engine(self) -> str:
        return self.combo.currentData() or "sampler"

    def _engine_chosen(self, _i: int) -> None:
        if self._loading:
            return
        name = self.current_engine()
        src = self.doc.source
        if src is not None and name and name != src.engine:
            self.doc.edit("engine", (name, dict(src.engine_options)), f"Engine: {name}")
        self._build_form()

    # -- options ---------------------------------------------------------------------------------
    def _update_values(self) -> None:
        """Show the document's option values in the existing widgets (undo, redo, reload)."""
        values = self.option_values()
        for key, w in self.widgets.items():
            v = values.get(key)
            w.blockSignals(True)
            try:
                if isinstance(w, QDoubleSpinBox):
                    w.setValue(float(v))
                elif isinstance(w, QSpinBox):
                    w.setValue(int(v))
                elif isinstance(w, QCheckBox):
                    w.setChecked(bool(v))
                elif isinstance(w, QComboBox):
                    w.setCurrentText(str(v))
                else:
                    edit = w.findChild(QLineEdit)
                    if edit is not None:
                        edit.setText(str(v or ""))
            finally:
                w.blockSignals(False)

    def _build_form(self) -> None:
        self._form_engine = self.current_engine()
        while self.form.rowCount():
            self.form.removeRow(0)
        self.widgets.clear()
        info = self.engines.get(self.current_engine())
        unavailable = [i for i in self.engines.values() if not i.ok]
        if unavailable:
            self.reason.setText("; ".join(f"\u26A0 {i.name} unavailable: {i.why}" for i in unavailable))
            self.reason.setToolTip("\n\n".join(f"{i.name}: {i.why}" for i in unavailable))
            self.reason.setVisible(True)
        if info is None:
            return
        values = dict(self.doc.source.engine_options) if self.doc.source else {}
        for spec in info.options:
            w = self._widget(spec, values.get(spec.key, spec.default))
            if w is None:
                continue
            w.setToolTip(spec.help)
            label = QLabel(spec.label)
            label.setToolTip(spec.help)
            self.form.addRow(label, w)
            self.widgets[spec.key] = w

    def _widget(self, spec: OptionSpec, value: Any) -> QWidget | None:
        key = spec.key
        if spec.kind == "float":
            w = QDoubleSpinBox()
            lo = spec.minimum if spec.minimum is not None else -1e6
            hi = spec.maximum if spec.maximum is not None else 1e6
            w.setRange(lo, hi)
            span = hi - lo
            w.setDecimals(3 if span <= 2 else 2 if span <= 50 else 1)
            w.setSingleStep(span / 50 if span < 1e5 else 1.0)
            w.setValue(float(value))
            w.valueChanged.connect(lambda v, k=key: self._set_option(k, float(v)))
        elif spec.kind == "int":
            w = QSpinBox()
            w.setRange(int(spec.minimum if spec.minimum is not None else -10**6),
                       int(spec.maximum if spec.maximum is not None else 10**6))
            w.setValue(int(value))
            w.valueChanged.connect(lambda v, k=key: self._set_option(k, int(v)))
        elif spec.kind == "bool":
            w = QCheckBox()
            w.setChecked(bool(value))
            w.toggled.connect(lambda v, k=key: self._set_option(k, bool(v)))
        elif spec.kind == "choice":
            w = QComboBox()
            w.addItems([str(c) for c in spec.choices or []])
            w.setCurrentText(str(value))
            w.currentTextChanged.connect(lambda v, k=key: self._set_option(k, v))
        elif spec.kind == "path":
            w = QWidget()
            h = QHBoxLayout(w)
            h.setContentsMargins(0, 0, 0, 0)
            edit = QLineEdit(str(value or ""))
            browse = QToolButton()
            browse.setText("…")
            h.addWidget(edit, 1)
            h.addWidget(browse)
            edit.editingFinished.connect(lambda e=edit, k=key: self._set_option(k, e.text()))

            def pick(_=False, e=edit, k=key):
                path, _f = QFileDialog.getOpenFileName(self, spec.label)
                if path:
                    e.setText(path)
                    self._set_option(k, path)
            browse.clicked.connect(pick)
        else:
            return None
        return w

    def _set_option(self, key: str, value: Any) -> None:
        src = self.doc.source
        if self._loading or src is None or src.engine_options.get(key) == value:
            return
        opts = dict(src.engine_options)
        opts[key] = value
        self.doc.edit("engine", (src.engine, opts), f"Set {key}", merge_id=f"option:{key}")

    def option_values(self) -> dict[str, Any]:
        src = self.doc.source
        return self.view.option_values(self.current_engine(), src.engine_options if src is not None else {})

    # -- document --------------------------------------------------------------------------------
    def _on_doc(self, part: str) -> None:
        if part in ("project", "source", "engine"):
            self.refresh()

    def refresh(self) -> None:
        src = self.doc.source
        self._loading = True
        try:
            if src is not None:
                i = self.combo.findData(src.engine)
                if i >= 0:
                    self.combo.setCurrentIndex(i)
            if self._form_engine != self.current_engine() or not self.widgets:
                self._build_form()
            else:
                self._update_values()
        finally:
            self._loading = False
        self.b_generate.setEnabled(src is not None and self.engine_ok() and not self.b_cancel.isEnabled())
        proj = self.doc.project
        several = proj is not None and len(proj.sources) > 1
        self.b_generate_all.setVisible(several)
        self.b_generate_all.setEnabled(several and not self.b_cancel.isEnabled())
        self.b_generate.setToolTip(f"Generate takes of {src.name} in the background (Ctrl+G)" if src
                                   else "Generate takes in the background (Ctrl+G)")

    def engine_ok(self) -> bool:
        info = self.engines.get(self.current_engine())
        return info is not None and info.ok

    # -- job state -------------------------------------------------------------------------------
    def set_busy(self, busy: bool) -> None:
        if busy:
            self.show_failure("")
        self.b_cancel.setEnabled(busy)
        self.b_generate.setEnabled(not busy and self.doc.source is not None and self.engine_ok())
        self.b_generate_all.setEnabled(not busy and self.doc.project is not None and len(self.doc.project.sources) > 1)
        if not busy:
            self.progress.setValue(0)
            self.progress.setFormat("")

    def show_failure(self, message: str) -> None:
        """The last generation failure under the progress bar (hidden again by an empty message)."""
        self.status.setText(message)
        self.status.setToolTip(message)
        self.status.setVisible(bool(message))

    def set_progress(self, fraction: float, message: str) -> None:
        self.progress.setValue(int(fraction * 1000))
        self.progress.setFormat(f"{fraction * 100:.0f}%  {message}")


__all__ = ["EnginePanel"]

"""Export dialog: which takes, sample rate, bit depth, BWF time reference, mp4 preview, folder;
delivery: a loudness target, DAW sessions (REAPER, AAF), reverb as its own stem, the start timecode.

The dialog lists the takes of every subject and only collects choices; the main window runs
`jobs.export_stems` in a worker, naming each stem after its own subject.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtCore import QStandardPaths, Qt
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDialog, QDialogButtonBox, QDoubleSpinBox, QFileDialog,
                               QFormLayout, QHBoxLayout, QLabel, QLineEdit, QListWidget, QListWidgetItem,
                               QToolButton, QVBoxLayout, QWidget)

from .. import jobs
from ..core.project import Project, TakeInfo

APP_TREE = Path(__file__).resolve().parents[2]  # the Studio's own files (a source checkout or the install)


def _inside(path: Path, folder: Path) -> bool:
    try:
        path.resolve().relative_to(folder.resolve())
        return True
    except ValueError:
        return False


def default_export_dir(project: Project) -> Path:
    """Where Export suggests writing the stems: `<name>_stems/` next to the project file; for a
    project not saved yet, next to its clip, unless the clip sits inside the Studio's own folder
    (the bundled demo) or a read-only one: then in the designer's documents, `StereoSync/`."""
    name = f"{project.name}_stems"
    candidates = [Path(project.path).resolve().parent] if project.path else [Path(project.clip.path).resolve().parent]
    frozen = getattr(sys, "_MEIPASS", None)
    for folder in candidates:
        own = _inside(folder, APP_TREE) or (frozen is not None and _inside(folder, Path(frozen)))
        if not own and jobs.can_write_in(folder / name):
            return folder / name
    docs = QStandardPaths.writableLocation(QStandardPaths.DocumentsLocation) or str(Path.home())
    return Path(docs) / "StereoSync" / name


@dataclass
class ExportChoice:
    takes: list[TakeInfo] = field(default_factory=list)
    outdir: str = ""
    sample_rate: int = 48000
    bits: int = 24
    time_reference_s: float = 0.0
    preview: bool = False
    loudness: str | None = None  # a `jobs.LOUDNESS_TARGETS` label; None: leave the level alone
    daw: list[str] = field(default_factory=list)  # `jobs.DAW_FORMATS` keys: "reaper", "aaf"
    reverb_stem: bool | None = None  # True: each take's Space as its own stem; None: as each take says


NO_LOUDNESS = next((label for label, target in jobs.LOUDNESS_TARGETS.items() if target is None), "None")


class ExportDialog(QDialog):
    def __init__(self, takes: list[tuple[str, TakeInfo]], selected: list[str], outdir: str, clip_name: str,
                 parent: QWidget | None = None, timecode: str = "") -> None:
        """`takes`: (source name, take) of every subject; `selected` paths start ticked (all if none);
        `timecode`: where the stems start on the timeline (shown, from `jobs.start_timecode`)."""
        super().__init__(parent)
        self.setWindowTitle("Export stems")
        self.setMinimumWidth(460)
        self._takes = [t for _s, t in takes]
        several = len({s for s, _t in takes}) > 1
        lay = QVBoxLayout(self)
        lay.addWidget(QLabel("Takes to export" + (" (all subjects)" if several else "")))
        self.list = QListWidget()
        for source, t in takes:
            who = f"{source} · " if several else ""
            it = QListWidgetItem(f"{who}{t.name}   ({t.engine}, seed {t.seed})")
            it.setFlags(it.flags() | Qt.ItemIsUserCheckable)
            it.setCheckState(Qt.Checked if (t.path in selected or not selected) else Qt.Unchecked)
            it.setData(Qt.UserRole, t.path)
            self.list.addItem(it)
        lay.addWidget(self.list)
        row = QHBoxLayout()
        for text, state in (("All", Qt.Checked), ("None", Qt.Unchecked)):
            b = QToolButton()
            b.setText(text)
            b.clicked.connect(lambda _=False, s=state: self.check_all(s))
            row.addWidget(b)
        row.addStretch(1)
        lay.addLayout(row)
        form = QFormLayout()
        self.rate = QComboBox()
        self.rate.addItem("48 kHz (film/video)", 48000)
        self.rate.addItem("44.1 kHz", 44100)
        self.bits = QComboBox()
        self.bits.addItem("24-bit", 24)
        self.bits.addItem("16-bit", 16)
        self.tref = QDoubleSpinBox()
        self.tref.setRange(0.0, 86400.0)
        self.tref.setDecimals(3)
        self.tref.setSuffix(" s")
        self.tref.setToolTip("BWF time reference: where the stem starts on the timeline (seconds)")
        self.preview = QCheckBox("Also write an mp4 preview (picture + take)")
        self.loudness = QComboBox()
        for label, target in jobs.LOUDNESS_TARGETS.items():
            self.loudness.addItem(label, label if target is not None else None)
        self.loudness.setCurrentIndex(max(0, self.loudness.findText(NO_LOUDNESS)))
        self.loudness.setToolTip("Normalise each stem to an integrated loudness (true peak kept under -1 dBTP)")
        sessions = QWidget()
        sh = QHBoxLayout(sessions)
        sh.setContentsMargins(0, 0, 0, 0)
        self.daw: dict[str, QCheckBox] = {}
        for key, text in jobs.DAW_FORMATS.items():
            box = QCheckBox({"reaper": "REAPER .rpp", "aaf": "AAF"}.get(key, key))
            box.setToolTip(f"Also write a {text} session with the stems on their tracks")
            self.daw[key] = box
            sh.addWidget(box)
        sh.addStretch(1)
        self.reverb = QCheckBox("Reverb as its own stem")
        self.reverb.setToolTip("Write each take's Space as <stem>_reverb.wav (unticked: as each take's option says)")
        self.timecode = QLabel(timecode or "00:00:00:00")
        self.timecode.setToolTip("Start timecode of the stems and sessions (the clip's, or the project's override)")
        folder = QWidget()
        fh = QHBoxLayout(folder)
        fh.setContentsMargins(0, 0, 0, 0)
        self.outdir = QLineEdit(outdir)
        browse = QToolButton()
        browse.setText("…")
        browse.clicked.connect(self._browse)
        fh.addWidget(self.outdir, 1)
        fh.addWidget(browse)
        form.addRow("Sample rate", self.rate)
        form.addRow("Bit depth", self.bits)
        form.addRow("Time reference", self.tref)
        form.addRow("Start timecode", self.timecode)
        form.addRow("Loudness", self.loudness)
        form.addRow("DAW session", sessions)
        form.addRow("Folder", folder)
        form.addRow("", self.preview)
        form.addRow("", self.reverb)
        lay.addLayout(form)
        self.names = QLabel(f"Files are named {clip_name}_<subject>_takeNN.wav")
        self.names.setObjectName("dim")
        lay.addWidget(self.names)
        buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        buttons.button(QDialogButtonBox.Ok).setText("Export")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        lay.addWidget(buttons)

    def check_all(self, state=Qt.Checked) -> None:
        for i in range(self.list.count()):
            self.list.item(i).setCheckState(state)

    def _browse(self) -> None:
        d = QFileDialog.getExistingDirectory(self, "Export folder", self.outdir.text())
        if d:
            self.outdir.setText(d)

    def choice(self) -> ExportChoice:
        paths = {self.list.item(i).data(Qt.UserRole) for i in range(self.list.count())
                 if self.list.item(i).checkState() == Qt.Checked}
        return ExportChoice([t for t in self._takes if t.path in paths], str(Path(self.outdir.text()).expanduser()),
                            int(self.rate.currentData()), int(self.bits.currentData()), float(self.tref.value()),
                            self.preview.isChecked(), self.loudness.currentData(),
                            [k for k, box in self.daw.items() if box.isChecked()],
                            True if self.reverb.isChecked() else None)


__all__ = ["NO_LOUDNESS", "ExportChoice", "ExportDialog", "default_export_dir"]

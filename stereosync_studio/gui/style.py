"""The Studio's look: a dark, low-glare palette like a DAW or a grading suite, one accent colour
per lane so the eye finds the envelope, pan and distance curves at once.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPalette, QPen, QPolygonF
from PySide6.QtWidgets import QApplication

# Surfaces
BG = "#1b1c1f"
PANEL = "#232529"
PANEL_HI = "#2b2e33"
SUNKEN = "#141517"
BORDER = "#373a40"
TEXT = "#d9dce1"
TEXT_DIM = "#8d929b"
ACCENT = "#3f8cff"
# Lanes and overlays
ENVELOPE = "#f5a524"
EVENTS = "#ffd27a"
PAN = "#3cc8d8"
DISTANCE = "#b08cff"
GUIDE_WAVE = "#4a4f57"
TAKE_WAVE = "#3f7fe0"
BOX = "#4fe08a"
HEARD = "#52a8ff"
PLAYHEAD = "#ff4f4f"
LOOP = (255, 196, 0, 34)
SELECTION = (90, 150, 255, 46)
GRID = (255, 255, 255, 18)
# One colour per subject (box on the picture, swatch in the subject selector); the first is BOX
SOURCE_COLORS = ("#4fe08a", "#ff7ad9", "#5cb8ff", "#d4ef5a", "#b892ff", "#59e0d0")
WARN = "#ffb454"
ERROR = "#ff6b6b"
OK = "#5fd38d"

MONO = "DejaVu Sans Mono"

QSS = f"""
QMainWindow, QDialog {{ background: {BG}; }}
QWidget {{ color: {TEXT}; font-size: 9pt; }}
QToolBar {{ background: {PANEL}; border: none; border-bottom: 1px solid {BORDER}; spacing: 2px; padding: 3px; }}
QToolBar::separator {{ background: {BORDER}; width: 1px; margin: 4px 6px; }}
QToolButton {{ background: transparent; border: 1px solid transparent; border-radius: 4px; padding: 3px 6px; }}
QToolButton:hover {{ background: {PANEL_HI}; border-color: {BORDER}; }}
QToolButton:pressed, QToolButton:checked {{ background: #2f4a73; border-color: {ACCENT}; }}
QToolButton:disabled {{ color: #5a5e66; }}
QPushButton {{ background: {PANEL_HI}; border: 1px solid {BORDER}; border-radius: 4px; padding: 4px 10px; }}
QPushButton:hover {{ border-color: #4d5159; background: #32353b; }}
QPushButton:pressed {{ background: #26282c; }}
QPushButton:checked {{ background: #2f4a73; border-color: {ACCENT}; }}
QPushButton:disabled {{ color: #5a5e66; background: #25272b; }}
QPushButton#primary {{ background: #2f6fd6; border-color: #4a8bf0; color: white; font-weight: bold; }}
QPushButton#primary:hover {{ background: #3a7de8; }}
QPushButton#primary:disabled {{ background: #2b3444; color: #7d8696; border-color: #3a4456; }}
QPushButton#danger {{ background: #5a2a2a; border-color: #8a3a3a; }}
QGroupBox {{ background: {PANEL}; border: 1px solid {BORDER}; border-radius: 6px; margin-top: 16px; padding: 6px; padding-top: 6px; }}
QGroupBox::title {{ subcontrol-origin: margin; left: 8px; top: 2px; padding: 0 4px; color: {TEXT_DIM};
                    font-weight: bold; letter-spacing: 1px; }}
QLineEdit, QSpinBox, QDoubleSpinBox, QComboBox {{ background: {SUNKEN}; border: 1px solid {BORDER}; border-radius: 3px;
                    padding: 2px 4px; selection-background-color: {ACCENT}; min-height: 18px; }}
QAbstractSpinBox {{ padding-right: 18px; }}
QAbstractSpinBox::up-button, QAbstractSpinBox::down-button {{ subcontrol-origin: border; width: 16px;
                    background: {PANEL_HI}; border-left: 1px solid {BORDER}; }}
QAbstractSpinBox::up-button {{ subcontrol-position: top right; border-top-right-radius: 3px;
                    border-bottom: 1px solid {BORDER}; }}
QAbstractSpinBox::down-button {{ subcontrol-position: bottom right; border-bottom-right-radius: 3px; }}
QAbstractSpinBox::up-button:hover, QAbstractSpinBox::down-button:hover {{ background: #3a3e46; }}
QAbstractSpinBox::up-button:pressed, QAbstractSpinBox::down-button:pressed {{ background: #2f4a73; }}
QAbstractSpinBox::up-arrow {{ image: url(@ARROWS@/up.png); width: 9px; height: 5px; }}
QAbstractSpinBox::down-arrow {{ image: url(@ARROWS@/down.png); width: 9px; height: 5px; }}
QAbstractSpinBox::up-arrow:disabled, QAbstractSpinBox::up-arrow:off {{ image: url(@ARROWS@/up_off.png); }}
QAbstractSpinBox::down-arrow:disabled, QAbstractSpinBox::down-arrow:off {{ image: url(@ARROWS@/down_off.png); }}
QComboBox {{ padding-right: 20px; }}
QComboBox::drop-down {{ subcontrol-origin: padding; subcontrol-position: center right; border: none; width: 18px; }}
QComboBox::down-arrow {{ image: url(@ARROWS@/down.png); width: 9px; height: 5px; }}
QComboBox::down-arrow:disabled {{ image: url(@ARROWS@/down_off.png); }}
QComboBox QAbstractItemView {{ background: {PANEL}; border: 1px solid {BORDER}; selection-background-color: #2f4a73; }}
QTreeWidget, QListWidget, QTableWidget, QTreeView, QListView {{ background: {SUNKEN}; border: 1px solid {BORDER};
                    border-radius: 3px; alternate-background-color: #191a1d; outline: none; }}
QTreeWidget::item, QListWidget::item {{ padding: 2px; }}
QTreeWidget::item:selected, QListWidget::item:selected {{ background: #2f4a73; color: white; }}
QHeaderView::section {{ background: {PANEL_HI}; color: {TEXT_DIM}; border: none; border-right: 1px solid {BORDER};
                    border-bottom: 1px solid {BORDER}; padding: 3px 5px; font-weight: bold; }}
QProgressBar {{ background: {SUNKEN}; border: 1px solid {BORDER}; border-radius: 3px; text-align: center; height: 14px; }}
QProgressBar::chunk {{ background: {ACCENT}; border-radius: 2px; }}
QSlider::groove:horizontal {{ height: 4px; background: {SUNKEN}; border-radius: 2px; }}
QSlider::sub-page:horizontal {{ background: #3a6fc2; border-radius: 2px; }}
QSlider::handle:horizontal {{ background: {TEXT}; width: 10px; height: 10px; margin: -4px 0; border-radius: 5px; }}
QSplitter::handle {{ background: {BG}; }}
QSplitter::handle:hover {{ background: {ACCENT}; }}
QStatusBar {{ background: {PANEL}; border-top: 1px solid {BORDER}; color: {TEXT_DIM}; }}
QMenuBar {{ background: {PANEL}; }}
QMenuBar::item:selected {{ background: {PANEL_HI}; }}
QMenu {{ background: {PANEL}; border: 1px solid {BORDER}; }}
QMenu::item:selected {{ background: #2f4a73; }}
QMenu::item:disabled {{ color: {TEXT_DIM}; }}
QTabWidget::pane {{ border: 1px solid {BORDER}; background: {PANEL}; }}
QTabBar::tab {{ background: {BG}; padding: 4px 10px; border: 1px solid {BORDER}; border-bottom: none; }}
QTabBar::tab:selected {{ background: {PANEL}; }}
QScrollBar:vertical {{ background: {BG}; width: 10px; }}
QScrollBar::handle:vertical {{ background: #3b3f46; border-radius: 4px; min-height: 20px; }}
QScrollBar::add-line, QScrollBar::sub-line {{ height: 0; width: 0; }}
QLabel#timecode {{ font-family: "{MONO}"; font-size: 17pt; color: #e8f0ff; background: {SUNKEN};
                    border: 1px solid {BORDER}; border-radius: 4px; padding: 1px 8px; }}
QLabel#dim {{ color: {TEXT_DIM}; }}
QLabel#laneTitle {{ font-weight: bold; }}
QFrame#laneHeader {{ background: {PANEL}; border-right: 1px solid {BORDER}; border-bottom: 1px solid {BORDER}; }}
QFrame#transport {{ background: {PANEL}; border-top: 1px solid {BORDER}; border-bottom: 1px solid {BORDER}; }}
QFrame#videoFrame {{ background: #0d0d0f; }}
QCheckBox::indicator {{ width: 13px; height: 13px; border: 1px solid #5d626b; border-radius: 2px; background: {SUNKEN}; }}
QCheckBox::indicator:hover {{ border-color: {TEXT}; }}
QCheckBox::indicator:checked {{ background: {ACCENT}; border-color: #7fb0ff; image: url(@ARROWS@/check.png); }}
QCheckBox::indicator:disabled {{ border-color: #3a3d44; }}
QTreeView::indicator, QListView::indicator {{ width: 11px; height: 11px; border: 1px solid #5d626b;
                    border-radius: 2px; background: {SUNKEN}; }}
QTreeView::indicator:checked, QListView::indicator:checked {{ background: {ACCENT}; border-color: #7fb0ff; }}
QTreeView::indicator:hover, QListView::indicator:hover {{ border-color: {TEXT}; }}
"""


def _user() -> str:
    name = os.environ.get("USER") or os.environ.get("USERNAME") or "user"
    return "".join(c for c in name if c.isalnum() or c in "-_") or "user"


def arrow_images(folder: Path | None = None) -> Path:
    """The spin-box and combo arrows as small PNGs (1x and @2x), light on the dark buttons.

    Style sheets take images only from files; these are painted here, so nothing ships."""
    folder = folder or Path(tempfile.gettempdir()) / f"stereosync-studio-{_user()}" / "arrows-v2"
    folder.mkdir(parents=True, exist_ok=True)
    for name, colour in (("up", TEXT), ("down", TEXT), ("up_off", "#5a5e66"), ("down_off", "#5a5e66")):
        for scale, suffix in ((1, ""), (2, "@2x")):
            target = folder / f"{name}{suffix}.png"
            if target.is_file():
                continue
            img = QImage(9 * scale, 5 * scale, QImage.Format_ARGB32)
            img.fill(Qt.transparent)
            p = QPainter(img)
            p.setRenderHint(QPainter.Antialiasing)
            p.setPen(Qt.NoPen)
            p.setBrush(QColor(colour))
            w, h = 9.0 * scale, 5.0 * scale
            pts = [(0, h), (w / 2, 0), (w, h)] if name.startswith("up") else [(0, 0), (w / 2, h), (w, 0)]
            p.drawPolygon(QPolygonF([QPointF(x, y) for x, y in pts]))
            p.end()
            _save(img, target)
    for scale, suffix in ((1, ""), (2, "@2x")):  # the tick of a checked box
        target = folder / f"check{suffix}.png"
        if not target.is_file():
            img = QImage(11 * scale, 11 * scale, QImage.Format_ARGB32)
            img.fill(Qt.transparent)
            p = QPainter(img)
            p.setRenderHint(QPainter.Antialiasing)
            p.setPen(QPen(QColor("#ffffff"), 1.8 * scale, Qt.SolidLine, Qt.RoundCap, Qt.RoundJoin))
            p.drawPolyline(QPolygonF([QPointF(2.2 * scale, 5.8 * scale), QPointF(4.6 * scale, 8.2 * scale),
                                      QPointF(8.8 * scale, 3.0 * scale)]))
            p.end()
            _save(img, target)
    return folder


def _save(img: QImage, target: Path) -> None:
    tmp = target.with_name(f"{target.stem}.{os.getpid()}.tmp.png")  # two Studios starting at once
    img.save(str(tmp))
    os.replace(tmp, target)


def style_sheet(arrows: Path) -> str:
    return QSS.replace("@ARROWS@", arrows.as_posix())


def apply_style(app: QApplication) -> None:
    """Fusion + a dark palette + the QSS above, and pyqtgraph's defaults to match."""
    import pyqtgraph as pg

    app.setStyle("Fusion")
    pal = QPalette()
    roles = {
        QPalette.Window: BG, QPalette.WindowText: TEXT, QPalette.Base: SUNKEN,
        QPalette.AlternateBase: "#191a1d", QPalette.ToolTipBase: PANEL_HI, QPalette.ToolTipText: TEXT,
        QPalette.Text: TEXT, QPalette.Button: PANEL_HI, QPalette.ButtonText: TEXT,
        QPalette.BrightText: "#ffffff", QPalette.Highlight: ACCENT, QPalette.HighlightedText: "#ffffff",
        QPalette.Link: ACCENT, QPalette.PlaceholderText: TEXT_DIM,
    }
    for role, colour in roles.items():
        pal.setColor(role, QColor(colour))
    for role in (QPalette.Text, QPalette.ButtonText, QPalette.WindowText):
        pal.setColor(QPalette.Disabled, role, QColor("#5a5e66"))
    app.setPalette(pal)
    font = QFont("DejaVu Sans")
    font.setPointSizeF(9.0)
    app.setFont(font)
    try:
        arrows = arrow_images()
    except OSError:  # no writable temp folder: Qt's own arrows
        arrows = Path("/nonexistent")
    app.setStyleSheet(style_sheet(arrows))
    pg.setConfigOptions(imageAxisOrder="row-major", antialias=True, background=SUNKEN, foreground=TEXT_DIM)


def qcolor(spec: str | tuple, alpha: int | None = None) -> QColor:
    c = QColor(*spec) if isinstance(spec, tuple) else QColor(spec)
    if alpha is not None:
        c.setAlpha(alpha)
    return c


def source_color(index: int) -> str:
    """The colour of the subject at `index` in the project's sources."""
    return SOURCE_COLORS[index % len(SOURCE_COLORS)]


__all__ = ["apply_style", "arrow_images", "style_sheet", "qcolor", "source_color", "SOURCE_COLORS"]

"""The Studio's look: a dark, low-glare palette like a DAW or a grading suite, one accent colour
per lane so the eye finds the envelope, pan and distance curves at once.
"""

from __future__ import annotations

from PySide6.QtGui import QColor, QFont, QPalette
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
QGroupBox {{ background: {PANEL}; border: 1px solid {BORDER}; border-radius: 6px; margin-top: 18px; padding: 6px; padding-top: 10px; }}
QGroupBox::title {{ subcontrol-origin: margin; left: 8px; top: 2px; padding: 0 4px; color: {TEXT_DIM};
                    font-weight: bold; letter-spacing: 1px; }}
QLineEdit, QSpinBox, QDoubleSpinBox, QComboBox {{ background: {SUNKEN}; border: 1px solid {BORDER}; border-radius: 3px;
                    padding: 2px 4px; selection-background-color: {ACCENT}; min-height: 18px; }}
QComboBox::drop-down {{ border: none; width: 16px; }}
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
QCheckBox::indicator {{ width: 13px; height: 13px; }}
QTreeView::indicator, QListView::indicator {{ width: 11px; height: 11px; border: 1px solid #5d626b;
                    border-radius: 2px; background: {SUNKEN}; }}
QTreeView::indicator:checked, QListView::indicator:checked {{ background: {ACCENT}; border-color: #7fb0ff; }}
QTreeView::indicator:hover, QListView::indicator:hover {{ border-color: {TEXT}; }}
"""


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
    app.setStyleSheet(QSS)
    pg.setConfigOptions(imageAxisOrder="row-major", antialias=True, background=SUNKEN, foreground=TEXT_DIM)


def qcolor(spec: str | tuple, alpha: int | None = None) -> QColor:
    c = QColor(*spec) if isinstance(spec, tuple) else QColor(spec)
    if alpha is not None:
        c.setAlpha(alpha)
    return c


def source_color(index: int) -> str:
    """The colour of the subject at `index` in the project's sources."""
    return SOURCE_COLORS[index % len(SOURCE_COLORS)]


__all__ = ["apply_style", "qcolor", "source_color", "SOURCE_COLORS"]

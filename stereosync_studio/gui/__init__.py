"""The Studio: PySide6 + pyqtgraph views that present and edit the project."""

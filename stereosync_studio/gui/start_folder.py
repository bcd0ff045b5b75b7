"""Where the Studio's file pickers open: the folder of the project or clip used last.

Why: a dialog started with no folder opens in the process's working directory, which for a
Studio started from a menu or a terminal is anywhere. The recent-files list (`autosave`, in the
Studio's settings.json) already remembers what was opened and saved last, so its newest folder
that still exists is the last used folder; on a first run, the bundled demo folder (next to the
Studio's own files), else the user's home.
"""

from __future__ import annotations

from pathlib import Path

from .autosave import load_settings
from .export_dialog import APP_TREE

DEMO_FOLDER = APP_TREE / "resources" / "demo"


def start_folder() -> str:
    """The folder an Open dialog starts in (see the module's docstring)."""
    for recent in load_settings().get("recent", []):
        folder = Path(str(recent)).parent
        if folder.is_dir():
            return str(folder)
    return str(DEMO_FOLDER if DEMO_FOLDER.is_dir() else Path.home())


__all__ = ["DEMO_FOLDER", "start_folder"]

"""`python -m stereosync_studio.gui`: the Studio (also the PyInstaller entry point)."""

import sys

from stereosync_studio.gui.app import main

if __name__ == "__main__":
    sys.exit(main())

"""Suite-wide settings: headless Qt, no hub access, a shared cache for generated clips."""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import pytest  # noqa: E402

# Real footsteps (32 files, 11 surfaces, licences in LICENSES.md), kept in the repo for the tests.
FOOTSTEPS = Path(os.environ.get("STEREOSYNC_FOOTSTEPS", ROOT / "tests" / "data" / "footsteps"))


@pytest.fixture(scope="session")
def cache_dir() -> Path:
    """Generated clips shared between tests (gitignored)."""
    d = ROOT / "tests" / ".cache"
    d.mkdir(parents=True, exist_ok=True)
    return d


@pytest.fixture(scope="session")
def footsteps_dir() -> Path:
    return FOOTSTEPS


@pytest.fixture(autouse=True)
def _qt_objects_freed_between_tests(request):
    """After a test that used Qt, free its dead Qt objects now, on the GUI thread, with the
    event loop drained: left to the cyclic garbage collector they could be freed in the middle
    of a later test's event processing (a segmentation fault far from its cause)."""
    yield
    if "qtbot" not in request.fixturenames:
        return
    import gc

    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    for _ in range(2):
        if app is not None:
            app.processEvents()
        gc.collect()

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

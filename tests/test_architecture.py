"""The house rules of docs/architecture.md, checked on the source itself.

The import rules (layers, Qt/torch confinement, no cycles) are import-linter contracts in
pyproject.toml; `make test` runs them first and this file runs them again so a plain
`pytest` run catches a broken layer too. The rest: small modules, and each shared concept
written once.
"""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "stereosync_studio"
MODULES = sorted(PACKAGE.rglob("*.py"))

# Concepts that were once written in several layers: each must now have exactly one definition.
ONE_DEFINITION = ("rms_envelope", "envelope_l1", "detect_step_onsets", "waveform_peaks", "pan_from_ild",
                  "pan_gains", "azimuth_from_itd", "reference_files", "audio_files_in", "video_files_in",
                  "trajectory_from_track", "guide_envelope", "build_source", "probe_engines", "tune_allocator",
                  "AUDIO_EXTS", "VIDEO_EXTS", "true_peak", "peak_trace", "l1_bound")


def _lint_imports() -> Path | None:
    exe = Path(sys.executable).with_name("lint-imports")
    return exe if exe.exists() else (Path(p) if (p := shutil.which("lint-imports")) else None)


def test_import_contracts_hold():
    exe = _lint_imports()
    if exe is None:
        pytest.fail("lint-imports is not installed (requirements/app.txt lists import-linter)")
    run = subprocess.run([str(exe), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    assert "broken" not in run.stdout.split("Contracts:")[-1].lower().replace("0 broken", "")


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_modules_stay_small(path):
    n = len(path.read_text(encoding="utf-8").splitlines())
    assert n < 500, f"{path.relative_to(ROOT)} has {n} lines: split it by what it holds"


def _definitions() -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for path in MODULES:
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            names: list[str] = []
            if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
                names = [node.name]
            elif isinstance(node, (ast.Assign, ast.AnnAssign)):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                names = [t.id for t in targets if isinstance(t, ast.Name)]
            for name in names:
                found.setdefault(name, []).append(str(path.relative_to(PACKAGE)))
    return found


def test_each_shared_concept_is_written_once():
    defs = _definitions()
    twice = {name: defs[name] for name in ONE_DEFINITION if len(defs.get(name, [])) > 1}
    missing = [name for name in ONE_DEFINITION if name not in defs]
    assert not twice, f"defined more than once: {twice}"
    assert not missing, f"no longer defined anywhere (update ONE_DEFINITION): {missing}"


def test_file_extension_lists_live_only_in_core_formats():
    """A second list of audio or video extensions drifts from the first (it did, three times)."""
    offenders = []
    for path in MODULES:
        if path == PACKAGE / "core" / "formats.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
                exts = [e.value for e in node.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)
                        and e.value.lower() in (".wav", ".flac", ".mp3", ".ogg", ".mp4", ".mov", ".mkv", ".avi")]
                if len(exts) >= 3:
                    offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not offenders, f"extension lists outside core/formats.py: {offenders}"

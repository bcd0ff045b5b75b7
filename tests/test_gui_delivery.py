"""Delivery from the Studio: the Export dialog's loudness target, DAW sessions, reverb stem and
start timecode, through the controller to `jobs.export_stems`; the Takes table's LUFS / TP columns."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("pytestqt")

from stereosync_studio import jobs  # noqa: E402
from tests.gui_fixtures import (analysed_project_file, demo_clip, open_project, project_file,  # noqa: E402,F401
                                studio_home, wait_idle, window)

pytestmark = pytest.mark.gui

EBU = next(label for label, target in jobs.LOUDNESS_TARGETS.items() if target == -23.0)


def test_export_with_loudness_and_daw_sessions_and_takes_show_lufs(qtbot, window, project_file, tmp_path):
    import soundfile as sf

    from stereosync_studio.gui.export_dialog import ExportChoice
    from stereosync_studio.gui.takes_panel import C_LUFS, C_NAME, C_TP
    from stereosync_studio.metrics.loudness import integrated_lufs

    open_project(qtbot, window, project_file)
    window.engine_panel.n_takes.setValue(1)
    window.generation.generate()
    wait_idle(qtbot, window)
    take = window.doc.source.takes[0]
    # the Takes table: integrated loudness and true peak, as the take's metrics say (0.1 steps)
    row = window.takes_panel.tree.topLevelItem(0)
    assert row.data(C_NAME, 0x0100) == take.path
    assert "lufs_integrated" in take.metrics and "true_peak_dbtp" in take.metrics
    assert row.text(C_LUFS) == f"{take.metrics['lufs_integrated']:.1f}"
    assert float(row.text(C_LUFS)) == pytest.approx(round(take.metrics["lufs_integrated"], 1), abs=1e-9)
    assert f"max short-term {take.metrics['lufs_short_term_max']:.1f} LUFS" in row.toolTip(C_LUFS)
    assert row.text(C_TP) == f"{take.metrics['true_peak_dbtp']:.1f}"
    # export through the controller: EBU R128 and both DAW sessions
    out = tmp_path / "stems"
    choice = ExportChoice([take], str(out), 48000, 24, 0.0, False, loudness=EBU, daw=["reaper", "aaf"])
    job = window.generation.export(choice)
    qtbot.waitUntil(lambda: not job.running, timeout=120000)
    assert job.state == "finished", job.error
    result = job.result
    stems = [Path(p) for p in result]
    assert len(stems) == 1 and stems[0].is_file() and stems[0].parent == out
    audio, sr = sf.read(str(stems[0]), always_2d=True)
    assert integrated_lufs(audio.T, sr) == pytest.approx(-23.0, abs=0.2)  # (C, N)
    assert set(result.daw) == {"reaper", "aaf"}
    rpp, aaf = Path(result.daw["reaper"]), Path(result.daw["aaf"])
    assert rpp.suffix == ".rpp" and aaf.suffix == ".aaf"
    assert rpp.is_file() and aaf.is_file() and rpp.parent == out and aaf.parent == out
    assert window.generation.last_export_warnings == list(result.warnings)


def test_export_warnings_reach_the_status_bar(qtbot, window):
    class Result(list):
        daw: dict = {}
        warnings = ["stem x: limited by 2.0 dB to keep true peak under -1 dBTP"]

    window.generation._exported(Result([Path("a.wav")]), "/tmp/out")
    shown = window.statusBar().currentMessage()
    assert "1 warning" in shown and "limited by 2.0 dB" in shown
    assert window.generation.last_export_warnings == Result.warnings


def test_export_dialog_new_controls_default_to_todays_behaviour(qtbot, window, project_file, tmp_path):
    from stereosync_studio.gui.export_dialog import ExportChoice, ExportDialog

    open_project(qtbot, window, project_file)
    window.engine_panel.n_takes.setValue(1)
    window.generation.generate()
    wait_idle(qtbot, window)
    proj = window.doc.project
    pairs = [(window.doc.source.name, t) for t in window.doc.source.takes]
    timecode = str(jobs.start_timecode(proj))
    dlg = ExportDialog(pairs, [], str(tmp_path / "out"), proj.name, window, timecode=timecode)
    qtbot.addWidget(dlg)
    dlg.show()
    # the loudness choices are the job's labels, starting at "no change"
    labels = [dlg.loudness.itemText(i) for i in range(dlg.loudness.count())]
    assert labels == list(jobs.LOUDNESS_TARGETS)
    assert jobs.LOUDNESS_TARGETS[dlg.loudness.currentText()] is None
    assert set(dlg.daw) == set(jobs.DAW_FORMATS)
    assert dlg.daw["reaper"].text().startswith("REAPER") and ".rpp" in dlg.daw["reaper"].text()
    assert dlg.daw["aaf"].text() == "AAF"
    assert not any(box.isChecked() for box in dlg.daw.values())
    assert not dlg.reverb.isChecked() and "reverb" in dlg.reverb.text().lower()
    assert dlg.timecode.text() == timecode
    choice = dlg.choice()
    default = ExportChoice()
    assert choice.loudness is None and choice.daw == [] and choice.reverb_stem is None
    assert (default.loudness, default.daw, default.reverb_stem) == (None, [], None)
    # ticking them reaches the choice
    dlg.loudness.setCurrentText(EBU)
    dlg.daw["reaper"].setChecked(True)
    dlg.daw["aaf"].setChecked(True)
    dlg.reverb.setChecked(True)
    choice = dlg.choice()
    assert choice.loudness == EBU and choice.daw == ["reaper", "aaf"] and choice.reverb_stem is True
    # it fits a 1280x720 screen
    hint = dlg.sizeHint()
    assert hint.width() <= 1280 and hint.height() <= 720 - 40
    dlg.close()

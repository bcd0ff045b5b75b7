"""GUI responsiveness: the longest event-loop stall while the Studio works in the background.

A QTimer at 5 ms records the gaps between its ticks while the real main window (offscreen)
generates 2 takes of the demo in its worker; a stall is a gap minus the 5 ms interval. Also
measured: analysing the clip (tracking) and re-tracking after a box edit. Goal: <= 50 ms.
Prints figures only (no pass/fail). The clip is resources/demo/demo.mp4 (or the same kind of
walker clip when the demo has not been made); $STEREOSYNC_BENCH_CLIP picks another.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

INTERVAL_MS = 5


def _run_until_done(app, job, monitor, timeout_s: float = 600.0) -> None:
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    job.done.connect(loop.quit)
    QTimer.singleShot(int(timeout_s * 1000), loop.quit)
    if job.running:
        loop.exec()
    monitor.stop()


def _report(name: str, gaps: list[float], seconds: float) -> None:
    import numpy as np

    g = np.asarray(gaps) * 1000.0
    if not len(g):
        print(f"{name}: no timer ticks recorded")
        return
    stall = np.maximum(g - INTERVAL_MS, 0.0)
    print(f"{name}: {seconds:.2f} s of work, {len(g)} ticks; longest stall {stall.max():.1f} ms, "
          f"p99 {np.percentile(stall, 99):.1f} ms, median gap {np.median(g):.1f} ms (goal: stall <= 50 ms)")


def main() -> None:
    from PySide6.QtWidgets import QApplication

    from stereosync_studio.gui.main_window import MainWindow
    from stereosync_studio.gui.style import apply_style
    from tests.gui_fixtures import LoopMonitor, demo_clip_path

    app = QApplication.instance() or QApplication([sys.argv[0]])
    apply_style(app)
    cache = ROOT / "tests" / ".cache"
    cache.mkdir(parents=True, exist_ok=True)
    clip = Path(os.environ["STEREOSYNC_BENCH_CLIP"]) if os.environ.get("STEREOSYNC_BENCH_CLIP") else demo_clip_path(cache)
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["STEREOSYNC_STUDIO_HOME"] = str(Path(tmp) / "home")
        win = MainWindow(interactive=False, autosave_interval_s=5.0)
        win.resize(1600, 1000)
        win.show()
        while not win.view.engines_ready:
            app.processEvents()
            time.sleep(0.01)
        print(f"clip: {clip.name}")

        monitor = LoopMonitor(INTERVAL_MS).start()
        t0 = time.perf_counter()
        job = win.projects.open_clip(str(clip))
        _run_until_done(app, job, monitor)
        _report("analyse clip (tracking)", monitor.gaps, time.perf_counter() - t0)
        if win.doc.project is None:
            print(f"analysis failed: {win.prompts.last_error}")
            return
        win.projects.save_to(str(Path(tmp) / "bench.stereosync.json"))
        while win.runner.busy():
            app.processEvents()
            time.sleep(0.01)

        win.view.n_takes = 2
        monitor = LoopMonitor(INTERVAL_MS).start()
        t0 = time.perf_counter()
        job = win.generation.generate()
        _run_until_done(app, job, monitor)
        _report("generate 2 takes (sampler)", monitor.gaps, time.perf_counter() - t0)
        print(f"  job state: {job.state}; takes: {len(win.doc.source.takes)}")

        src = win.doc.source
        box = [float(v) for v in src.track.filled()[10]]
        monitor = LoopMonitor(INTERVAL_MS).start()
        t0 = time.perf_counter()
        win.editing.box_edited(10, [box[0] + 15, box[1], box[2] + 15, box[3]])
        job = win.runner.job("retrack")
        if job is not None:
            _run_until_done(app, job, monitor)
            _report("re-track after a box edit", monitor.gaps, time.perf_counter() - t0)
        # playback: the picture following the clock (wall clock offscreen: no audio device here)
        from PySide6.QtCore import QEventLoop, QTimer

        shown = set()
        win.video.fetcher.frameReady.connect(lambda i, _rgb: shown.add(i))
        win.transport.seek(0.0)
        monitor = LoopMonitor(INTERVAL_MS).start()
        t0 = time.perf_counter()
        win.transport.play()
        loop = QEventLoop()
        QTimer.singleShot(3000, loop.quit)
        loop.exec()
        win.transport.stop()
        monitor.stop()
        secs = time.perf_counter() - t0
        _report("playback (3 s)", monitor.gaps, secs)
        print(f"  frames shown: {len(shown)} of {int(secs * win.transport.fps)} "
              f"({len(shown) / secs:.1f} fps for a {win.transport.fps:g} fps clip)")
        win.doc.undo_stack.set_clean()
        win.close()


if __name__ == "__main__":
    main()

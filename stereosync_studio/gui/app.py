"""`stereosync-studio [CLIP_OR_PROJECT] [--screenshot OUT.png]`: start the Studio.

With --screenshot the window opens the clip or project at 1600x1000, waits until the
background work (analysis, audio, metrics) is done, saves a picture of itself and exits;
it works headless with QT_QPA_PLATFORM=offscreen. Such a run writes no autosave and removes
none (unsaved edits a crashed session left are shown, as the default answer, and kept).

Every start looks for unsaved edits a crashed session left: of the clip or project given,
or, with nothing given, the newest of all; the designer recovers, discards or keeps them.

For tests, `STEREOSYNC_STUDIO_TEST_HOOK=module:function` calls `function(app, window)` right
after the window is shown, before the clip or project opens (the function drives the real
widgets, e.g. answers the recovery question or draws on a lane); `--autosave-interval`
shortens the autosave period.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
import time
import traceback
from pathlib import Path

log = logging.getLogger("stereosync_studio.gui")
_T0 = time.monotonic()


def _tidy() -> None:
    from .autosave import tidy_scratch

    try:
        tidy_scratch()
    except OSError as exc:
        log.warning("scratch takes not tidied: %s", exc)


def _warm_analysis() -> None:
    """Load what opening a clip needs (models, pose graph) on a background thread while the
    designer looks around, so "open clip -> first take" does not wait for it. Not when a clip
    is opened at start: its analysis loads them itself, at once."""
    import threading

    from ..jobs.analyze import warm_analysis

    threading.Thread(target=warm_analysis, name="warm-analysis", daemon=True).start()


def _parse(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="stereosync-studio", description="StereoSync Studio: spatial Foley from video")
    ap.add_argument("path", nargs="?", help="a clip (mp4/mov/mkv) or a project (.stereosync.json)")
    ap.add_argument("--screenshot", metavar="OUT.png", help="save a screenshot of the window and exit")
    ap.add_argument("--size", default=None,
                    help="window size WxH (default 1600x1000, or the whole screen when it is smaller)")
    ap.add_argument("--at", type=float, default=None, metavar="SECONDS", help="put the playhead here first")
    ap.add_argument("--subject", default=None, metavar="NAME", help="show this subject of the project first")
    ap.add_argument("--models", default=os.environ.get("STEREOSYNC_MODELS", "models"),
                    help="folder with the diffusion checkpoints")
    ap.add_argument("--generate", type=int, default=0, metavar="N",
                    help="generate N takes once the clip or project is open")
    ap.add_argument("--timeout", type=float, default=180.0, help="--screenshot: longest wait for background work")
    ap.add_argument("--autosave-interval", type=float, default=5.0, metavar="SECONDS",
                    help="seconds between autosaves while there are unsaved changes (default 5)")
    return ap.parse_args(argv)


def _setup_logging() -> Path | None:
    from .autosave import config_dir

    try:
        path = config_dir() / "studio.log"
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s",
                            handlers=[logging.FileHandler(path, encoding="utf-8"), logging.StreamHandler()])
        return path
    except OSError:
        logging.basicConfig(level=logging.INFO)
        return None


def install_excepthook(window) -> None:
    """Unexpected errors are logged and shown; the app (and the user's edits) stay alive."""

    def hook(exc_type, exc, tb):
        if issubclass(exc_type, KeyboardInterrupt):
            sys.__excepthook__(exc_type, exc, tb)
            return
        details = "".join(traceback.format_exception(exc_type, exc, tb))
        log.error("unhandled error:\n%s", details)
        try:
            window.prompts.error(f"unexpected error: {exc_type.__name__}: {exc} (details in the log)", details)
        except Exception:
            pass

    sys.excepthook = hook


def _wait_ready(app, win, timeout: float) -> None:
    """Let queued work finish: analysis, guide audio, engine probe, take metrics, the first frame."""
    from PySide6.QtCore import QEventLoop

    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        app.processEvents(QEventLoop.AllEvents, 50)
        time.sleep(0.02)
        if win.runner.busy() or not win.view.engines_ready:
            continue
        proj = win.doc.project
        if proj is not None and Path(proj.clip.path).is_file() and win.video.shown_frame != win.video.frame:
            continue
        take = win.takes_panel.selected_take()
        if take is not None and take.path not in win.view.take_cache and Path(take.path).is_file():
            continue
        break
    for _ in range(10):
        app.processEvents(QEventLoop.AllEvents, 30)
        time.sleep(0.02)


def _generate_when_ready(app, win, n: int, timeout: float | None) -> None:
    """Start generating N takes as soon as the project is loaded (waits when `timeout` is set)."""
    from PySide6.QtCore import QTimer

    def attempt():
        if win.runner.busy() or not win.view.engines_ready or win.doc.project is None:
            QTimer.singleShot(100, attempt)
            return
        win.view.n_takes = n
        win.generation.generate()

    if timeout is None:
        attempt()
        return
    _wait_ready(app, win, timeout)
    attempt()
    _wait_ready(app, win, timeout)


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    headless = not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY") or sys.platform != "linux")
    if args.screenshot and headless:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # a headless machine: no window needed
    elif headless and not os.environ.get("QT_QPA_PLATFORM"):
        print("stereosync-studio: no display found (DISPLAY/WAYLAND_DISPLAY unset). Run it on a desktop, "
              "under Xvfb (xvfb-run), or take a picture with --screenshot OUT.png", file=sys.stderr)
        return 2
    from PySide6.QtWidgets import QApplication

    from ..core.runtime import tune_allocator
    from .main_window import MainWindow
    from .style import apply_style

    tune_allocator()  # keeps large numpy buffers in the heap: binaural renders ~2x faster
    app = QApplication.instance() or QApplication([sys.argv[0]])
    app.setApplicationName("StereoSync Studio")
    app.setOrganizationName("StereoSync")
    apply_style(app)
    _setup_logging()
    win = MainWindow(models_dir=args.models, interactive=not args.screenshot,
                     autosave_interval_s=max(0.1, args.autosave_interval))
    if args.screenshot:
        win.autosaver.timer.stop()  # a picture is not an edit: no autosave is written or removed
    install_excepthook(win)
    try:
        w, h = (int(v) for v in (args.size or "1600x1000").lower().split("x"))
    except ValueError:
        print(f"bad --size {args.size!r}: expected WxH", file=sys.stderr)
        return 2
    win.show_sized(w, h, exact=bool(args.size or args.screenshot))
    app.processEvents()  # the window is on screen before anything is opened or asked
    log.info("window shown %.2f s after start", time.monotonic() - _T0)
    hook = os.environ.get("STEREOSYNC_STUDIO_TEST_HOOK")
    if hook:
        module, _, name = hook.partition(":")
        getattr(importlib.import_module(module), name)(app, win)
    if args.path:
        win.projects.open_path(args.path)
    elif not args.screenshot:
        _warm_analysis()
        win.projects.offer_recovery()
    if args.generate > 0:
        _generate_when_ready(app, win, args.generate, args.timeout if args.screenshot else None)
    if not args.screenshot:
        code = app.exec()
        _tidy()
        return code

    _wait_ready(app, win, args.timeout)
    if args.subject is not None:
        if not win.subjects.select_subject(args.subject):
            print(f"no subject named {args.subject!r}", file=sys.stderr)
        _wait_ready(app, win, 10.0)
    if args.at is not None:
        win.transport.seek(args.at)
        _wait_ready(app, win, 10.0)
    out = Path(args.screenshot)
    out.parent.mkdir(parents=True, exist_ok=True)
    ok = win.grab().save(str(out))
    err = win.prompts.last_error
    win.doc.undo_stack.set_clean()  # a screenshot run never asks to save
    win.close()
    _tidy()
    if not ok:
        print(f"could not write {out}", file=sys.stderr)
        return 1
    print(f"wrote {out}" + (f" (note: {err})" if err else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())

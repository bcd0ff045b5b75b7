"""The Studio's main window: picture and transport top-left, lanes below on one time axis,
reference / engine / takes panels on the right, menus and shortcuts like a DAW.

The window only lays things out and routes user actions; the work (open, analyse, generate,
export, re-track, audio loading) lives in `session.StudioSession`, `takes_session.TakesSession`
and `subjects_session.SubjectsSession` (several subjects), which run the same job functions as
the CLI in worker threads. The subject selector sits in the top bar.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (QLabel, QMainWindow, QMessageBox, QProgressBar, QSizePolicy, QSplitter, QToolBar,
                               QVBoxLayout, QWidget)

from . import style
from .audition import Mixer
from .autosave import Autosaver, recent_files
from .document import ProjectDocument
from .engine_panel import EnginePanel
from .icons import icon
from .lanes.stack import LaneStack
from .reference_panel import ReferencePanel
from .session import StudioSession
from .subjects_bar import SubjectsBar
from .subjects_session import SubjectsSession
from .takes_session import TakesSession
from .takes_panel import TakesPanel
from .transport import Transport
from .transport_bar import TransportBar
from .video_view import VideoView

APP_NAME = "StereoSync Studio"


class MainWindow(QMainWindow, StudioSession, TakesSession, SubjectsSession):
    def __init__(self, models_dir: str = "models", interactive: bool = True,
                 autosave_interval_s: float = 5.0) -> None:
        super().__init__()
        self.interactive = interactive  # False: never open modal dialogs (tests, --screenshot)
        self.models_dir = models_dir
        self.doc = ProjectDocument(parent=self)
        self.transport = Transport(Mixer(48000), self)
        self.setWindowTitle(APP_NAME)
        self.setWindowIcon(icon("generate", style.ACCENT))
        self.setAcceptDrops(True)
        self._build()
        self._build_actions()
        self.autosaver = Autosaver(self.doc, autosave_interval_s, self)
        self.autosaver.saved.connect(lambda p: self.status_message(f"autosaved {p}", 2000))
        self.init_session()
        self.init_subjects()

    # -- layout ----------------------------------------------------------------------------------
    def _build(self) -> None:
        self.video = VideoView()
        self.transport_bar = TransportBar(self.transport)
        top = QWidget()
        tl = QVBoxLayout(top)
        tl.setContentsMargins(0, 0, 0, 0)
        tl.setSpacing(0)
        tl.addWidget(self.video, 1)
        tl.addWidget(self.transport_bar)
        self.lanes = LaneStack(self.doc, self.transport)
        self.left = QSplitter(Qt.Vertical)
        self.left.addWidget(top)
        self.left.addWidget(self.lanes)
        self.left.setStretchFactor(0, 1)
        self.left.setStretchFactor(1, 1)
        self.left.setSizes([455, 465])
        self.left.setChildrenCollapsible(False)

        self.reference_panel = ReferencePanel(self.doc)
        self.engine_panel = EnginePanel(self.doc)
        self.takes_panel = TakesPanel(self.doc)
        self.right = QSplitter(Qt.Vertical)
        for w in (self.reference_panel, self.engine_panel, self.takes_panel):
            self.right.addWidget(w)
        self.right.setSizes([215, 320, 385])
        self.right.setChildrenCollapsible(False)
        self.right.setMinimumWidth(340)

        self.main_split = QSplitter(Qt.Horizontal)
        self.main_split.addWidget(self.left)
        self.main_split.addWidget(self.right)
        self.main_split.setStretchFactor(0, 1)
        self.main_split.setStretchFactor(1, 0)
        self.main_split.setSizes([1190, 410])
        self.setCentralWidget(self.main_split)

        sb = self.statusBar()
        self.job_label = QLabel("")
        self.job_label.setObjectName("dim")
        self.job_bar = QProgressBar()
        self.job_bar.setRange(0, 1000)
        self.job_bar.setFixedWidth(160)
        self.job_bar.setTextVisible(False)
        self.job_bar.setVisible(False)
        sb.addPermanentWidget(self.job_label)
        sb.addPermanentWidget(self.job_bar)

    def _action(self, text: str, slot, shortcut=None, icon_name: str | None = None, tip: str = "",
                context=Qt.WindowShortcut) -> QAction:
        a = QAction(text, self)
        if icon_name:
            a.setIcon(icon(icon_name))
        if shortcut is not None:
            seqs = shortcut if isinstance(shortcut, list) else [shortcut]
            a.setShortcuts([QKeySequence(s) for s in seqs])
            a.setShortcutContext(context)
        if tip:
            a.setToolTip(tip)
        a.triggered.connect(lambda _=False: slot())
        self.addAction(a)
        return a

    def _build_actions(self) -> None:
        t = self.transport
        A = self._action  # noqa: N806
        self.act_new = A("&New from clip…", self.new_from_clip_dialog, QKeySequence.New, "new",
                         "Open a video clip and analyse it (Ctrl+N)")
        self.act_open = A("&Open…", self.open_dialog, QKeySequence.Open, "open", "Open a project or clip (Ctrl+O)")
        self.act_save = A("&Save", self.save, QKeySequence.Save, "save", "Save the project (Ctrl+S)")
        self.act_save_as = A("Save &As…", self.save_as_dialog, "Ctrl+Shift+S")
        self.act_export = A("&Export stems…", self.export_dialog, "Ctrl+E", "export", "Export takes as WAV stems")
        self.act_quit = A("&Quit", self.close, QKeySequence.Quit)
        self.act_undo = A("&Undo", self.undo, QKeySequence.Undo, "undo", "Undo (Ctrl+Z)")
        self.act_redo = A("&Redo", self.redo, ["Ctrl+Shift+Z", "Ctrl+Y"], "redo", "Redo (Ctrl+Shift+Z)")
        self.act_generate = A("&Generate takes", self.generate, "Ctrl+G", "generate", "Generate takes (Ctrl+G)")
        self.act_cancel = A("&Cancel job", self.cancel_jobs, "Esc", "cancel")
        self.act_play = A("Play / Stop", t.toggle, "Space", "play")
        self.act_j = A("Shuttle back", lambda: t.shuttle(-1), "J")
        self.act_k = A("Stop", t.stop, "K")
        self.act_l = A("Shuttle forward", lambda: t.shuttle(1), "L")
        self.act_prev = A("Previous frame", lambda: t.step_frames(-1), "Left")
        self.act_next = A("Next frame", lambda: t.step_frames(1), "Right")
        self.act_back1 = A("Back one second", lambda: t.step_seconds(-1.0), "Shift+Left")
        self.act_fwd1 = A("Forward one second", lambda: t.step_seconds(1.0), "Shift+Right")
        self.act_home = A("Go to start", t.home, "Home")
        self.act_end = A("Go to end", t.end, "End")
        self.act_in = A("Set loop in", t.set_in, "I")
        self.act_out = A("Set loop out", t.set_out, "O")
        self.act_loop = A("Loop on/off", lambda: t.set_loop_enabled(not t.loop_enabled), "Ctrl+L")
        self.act_ab = A("A/B previous take", self.ab_switch, "B")
        self.act_tools = [A(n, lambda n=k: self.lanes.ctx.set_tool(n), s) for n, k, s in
                          (("Select tool", "select", "1"), ("Draw tool", "draw", "2"), ("Step tool", "step", "3"))]
        self.act_delete = A("Delete selection", self.delete_selection, [QKeySequence.Delete, "Backspace"])
        self.act_scale_up = A("Scale selection up", lambda: self.lanes.range_action("up"), "Ctrl+Up")
        self.act_scale_down = A("Scale selection down", lambda: self.lanes.range_action("down"), "Ctrl+Down")
        self.act_smooth = A("Smooth selection", lambda: self.lanes.range_action("smooth"), "Ctrl+M")
        self.act_fit = A("Zoom to fit", self.lanes.zoom_fit, "Ctrl+0")
        self.act_keys = A("Keyboard shortcuts", self.show_shortcuts, "F1")

        mb = self.menuBar()
        m = mb.addMenu("&File")
        for a in (self.act_new, self.act_open):
            m.addAction(a)
        self.recent_menu = m.addMenu("Open &Recent")
        self.recent_menu.aboutToShow.connect(self._fill_recent)
        m.addSeparator()
        for a in (self.act_save, self.act_save_as, None, self.act_export, None, self.act_quit):
            m.addSeparator() if a is None else m.addAction(a)
        m = mb.addMenu("&Edit")
        for a in (self.act_undo, self.act_redo, None, *self.act_tools, None, self.act_delete, self.act_scale_up,
                  self.act_scale_down, self.act_smooth):
            m.addSeparator() if a is None else m.addAction(a)
        m = mb.addMenu("&Transport")
        for a in (self.act_play, self.act_j, self.act_k, self.act_l, None, self.act_prev, self.act_next,
                  self.act_back1, self.act_fwd1, self.act_home, self.act_end, None, self.act_in, self.act_out,
                  self.act_loop, None, self.act_fit):
            m.addSeparator() if a is None else m.addAction(a)
        subjects_menu = self.build_subjects_menu(mb)
        m = mb.addMenu("&Generate")
        for a in (self.act_generate, self.act_generate_all, self.act_cancel, self.act_ab):
            m.addAction(a)
        m = mb.addMenu("&Help")
        m.addAction(self.act_keys)

        tb = QToolBar("Main")
        tb.setMovable(False)
        tb.setToolButtonStyle(Qt.ToolButtonTextBesideIcon)
        for a, text in ((self.act_new, "New"), (self.act_open, "Open"), (self.act_save, "Save"), (None, ""),
                        (self.act_undo, "Undo"), (self.act_redo, "Redo"), (None, ""),
                        (self.act_generate, "Generate"), (self.act_export, "Export")):
            if a is None:
                tb.addSeparator()
            else:
                a.setIconText(text)
                tb.addAction(a)
        tb.addSeparator()
        self.subjects_bar = SubjectsBar(self.doc)
        self.subjects_bar.set_menu(subjects_menu)
        tb.addWidget(self.subjects_bar)
        spacer = QWidget()
        spacer.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Preferred)
        tb.addWidget(spacer)
        self.project_label = QLabel("")
        self.project_label.setStyleSheet(f"color:{style.TEXT_DIM}; padding-right: 10px;")
        tb.addWidget(self.project_label)
        self.addToolBar(tb)
        self.toolbar = tb
        self.doc.undoStateChanged.connect(self._update_undo_actions)
        self.doc.dirtyChanged.connect(lambda _d: self.update_title())
        self.doc.pathChanged.connect(lambda _p: self.update_title())
        self._update_undo_actions()

    def _fill_recent(self) -> None:
        self.recent_menu.clear()
        files = recent_files()
        if not files:
            a = self.recent_menu.addAction("(none)")
            a.setEnabled(False)
        for f in files:
            self.recent_menu.addAction(f, lambda f=f: self.open_path(f))

    def _update_undo_actions(self) -> None:
        st = self.doc.undo_stack
        self.act_undo.setEnabled(st.can_undo())
        self.act_redo.setEnabled(st.can_redo())
        self.act_undo.setToolTip(f"Undo {st.undo_label()} (Ctrl+Z)" if st.can_undo() else "Nothing to undo")
        self.act_redo.setToolTip(f"Redo {st.redo_label()} (Ctrl+Shift+Z)" if st.can_redo() else "Nothing to redo")

    def update_title(self) -> None:
        proj = self.doc.project
        if proj is None:
            self.setWindowTitle(APP_NAME)
            self.project_label.setText("")
            return
        dirty = "*" if self.doc.is_dirty() else ""
        where = Path(proj.path).name if proj.path else "unsaved"
        self.setWindowTitle(f"{proj.name}{dirty} — {APP_NAME}")
        src = self.doc.source
        self.project_label.setText(f"{proj.name}{dirty}  ·  {src.name if src else ''}  ·  {proj.clip.width}x"
                                   f"{proj.clip.height}  {proj.clip.fps:g} fps  {proj.clip.duration:.2f} s  ·  {where}")

    # -- messages --------------------------------------------------------------------------------
    def status_message(self, text: str, ms: int = 6000) -> None:
        self.statusBar().showMessage(text, ms)

    def show_error(self, text: str, details: str = "") -> None:
        """Errors are one clear line in the status bar and, interactively, a non-blocking dialog."""
        self.statusBar().setStyleSheet(f"QStatusBar {{ color: {style.ERROR}; }}")
        self.statusBar().showMessage(text, 15000)
        QTimer.singleShot(15000, self, lambda: self.statusBar().setStyleSheet(""))  # dropped if the window goes
        self.last_error = text
        if self.interactive:
            box = QMessageBox(QMessageBox.Warning, APP_NAME, text, QMessageBox.Ok, self)
            if details:
                box.setDetailedText(details)
            box.setModal(False)
            box.show()

    def ask(self, title: str, text: str, buttons, default):
        """A modal question (never asked when not interactive: the default answer is used)."""
        if not self.interactive:
            return default
        return QMessageBox.question(self, title, text, buttons, default)

    def show_shortcuts(self) -> None:
        rows = [(a.text().replace("&", ""), ", ".join(s.toString() for s in a.shortcuts()))
                for a in self.actions() if a.shortcuts()]
        html = "<table>" + "".join(f"<tr><td><b>{k}</b></td><td>&nbsp;&nbsp;{t}</td></tr>" for t, k in rows) + "</table>"
        box = QMessageBox(QMessageBox.Information, "Keyboard shortcuts", html, QMessageBox.Ok, self)
        box.setModal(False)
        box.show()

    # -- events ----------------------------------------------------------------------------------
    def dragEnterEvent(self, event) -> None:  # noqa: N802
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:  # noqa: N802
        urls = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if urls:
            self.open_path(urls[0])

    def closeEvent(self, event) -> None:  # noqa: N802
        if not self.confirm_discard():
            event.ignore()
            return
        self.shutdown()
        event.accept()


__all__ = ["MainWindow", "APP_NAME"]

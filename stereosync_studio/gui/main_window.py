"""The Studio's main window: picture and transport top-left, lanes below on one time axis,
reference / engine / takes panels on the right, menus and shortcuts like a DAW.

The window builds the widgets, creates the controllers (`controllers`) and wires the
widgets' signals to them; it holds no job logic. The shared state is the `ProjectDocument`
(the project and its undo stack), the `ViewState` (seed, takes, selection, gains, loaded
audio, zoom) and the `JobRunner`; the widgets subscribe to the first two themselves.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (QApplication, QLabel, QMainWindow, QProgressBar, QSizePolicy, QVBoxLayout,
                               QWidget)

from . import style
from .actions import StudioActions
from .audition import Mixer
from .autosave import Autosaver
from .controllers import (EditingController, GenerationController, PlaybackController, ProjectController,
                          SubjectsController, ViewSettingsController)
from .controllers.keyframes import KeyframesController
from .controllers.proxy import ProxyController
from .controllers.recording import RecordingController  # issue 10: Record
from .document import ProjectDocument
from .elided_label import ElidedLabel
from .engine_panel import EnginePanel
from .field_keys import install_field_keys
from .icons import icon
from .job_runner import JobRunner
from .lanes.stack import LaneStack
from .prompts import APP_NAME, WindowPrompts
from .reference_panel import ReferencePanel
from .splitters import PanelSplitter
from .subjects_bar import SubjectsBar
from .takes_panel import TakesPanel
from .transport import Transport
from .transport_bar import TransportBar
from .video_view import VideoView
from .view_state import ViewState


class MainWindow(QMainWindow):
    """Widgets + controllers + wiring; `interactive=False` never opens a modal dialog (tests, --screenshot)."""

    def __init__(self, models_dir: str = "models", interactive: bool = True,
                 autosave_interval_s: float = 5.0) -> None:
        super().__init__()
        self.models_dir = models_dir
        self.doc = ProjectDocument(parent=self)
        self.view = ViewState()
        self.transport = Transport(Mixer(48000), self)
        self.setWindowTitle(APP_NAME)
        self.setWindowIcon(icon("generate", style.ACCENT))
        self.setAcceptDrops(True)
        self._build()
        self.prompts = WindowPrompts(self, interactive)
        self.runner = JobRunner(self.prompts.error, self)
        self.autosaver = Autosaver(self.doc, autosave_interval_s, self)
        doc, view, runner, prompts = self.doc, self.view, self.runner, self.prompts
        self.projects = ProjectController(doc, view, runner, prompts, self.autosaver)
        self.generation = GenerationController(doc, view, runner, prompts, models_dir)
        self.subjects = SubjectsController(doc, view, runner, prompts, lambda: self.transport.frame, models_dir)
        self.editing = EditingController(doc, view, runner, prompts, self)
        self.playback = PlaybackController(doc, view, runner, self.transport, prompts)
        self.keyframes = KeyframesController(doc, view, runner, prompts, self.transport,
                                             lambda: self.lanes.ctx.selection)
        self.proxy = ProxyController(doc, view, runner, prompts)
        self.view_settings = ViewSettingsController(doc, view, self)  # last: restores after the widgets
        self.commands = StudioActions(self)
        self.field_keys = install_field_keys(self)  # Enter in a number field gives the keys back
        self._wire()
        # -- issue 10 (Surface / guide / Record helper): the Record button under the picture --
        self.recording = RecordingController(doc, view, runner, prompts, self.transport, self)
        self.transport_bar.b_record.clicked.connect(lambda _=False: self.recording.toggle())
        self.recording.recordingChanged.connect(self.transport_bar.set_recording)
        # -- end issue 10 --
        self._shut_down = False
        if not self.transport.player.available:
            prompts.status(self.transport.player.reason, 10000)
        self.generation.probe_engines()
        self.update_title()

    # -- layout ----------------------------------------------------------------------------------
    def _build(self) -> None:
        doc, view = self.doc, self.view
        self.video = VideoView(doc, view, self.transport)
        self.transport_bar = TransportBar(self.transport, view)
        top = QWidget()
        tl = QVBoxLayout(top)
        tl.setContentsMargins(0, 0, 0, 0)
        tl.setSpacing(0)
        tl.addWidget(self.video, 1)
        tl.addWidget(self.transport_bar)
        self.lanes = LaneStack(doc, view, self.transport)
        self.confidence = self.lanes.confidence  # the tracker's confidence, under the lanes' ruler
        self.left = PanelSplitter(Qt.Vertical, [top, self.lanes])
        self.reference_panel = ReferencePanel(doc, view)
        self.engine_panel = EnginePanel(doc, view)
        self.takes_panel = TakesPanel(doc, view)
        self.right = PanelSplitter(Qt.Vertical, [self.reference_panel, self.engine_panel, self.takes_panel])
        self.main_split = PanelSplitter(Qt.Horizontal, [self.left, self.right])
        self.setCentralWidget(self.main_split)
        self._refit_timer = QTimer(self)
        self._refit_timer.setSingleShot(True)
        self._refit_timer.setInterval(0)
        self._refit_timer.timeout.connect(self.fit_panels)
        self.subjects_bar = SubjectsBar(doc)
        self.project_label = ElidedLabel("")
        self.project_label.setAlignment(Qt.AlignRight | Qt.AlignVCenter)
        self.project_label.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Preferred)
        self.project_label.setStyleSheet(f"color:{style.TEXT_DIM}; padding-right: 10px;")

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
        sb.addPermanentWidget(self.transport_bar.audio_label)  # the audio output, beside the job

    def show_sized(self, width: int, height: int, exact: bool = False) -> None:
        """Show the window at `width` x `height`; unless `exact`, never bigger than the screen's free
        area, and maximised when the screen is smaller than that (a 1280x720 laptop)."""
        screen = self.screen() or QApplication.primaryScreen()
        virtual = QApplication.platformName() in ("offscreen", "minimal")  # no real screen to fit
        free = screen.availableGeometry() if screen is not None and not exact and not virtual else None
        if free is not None and (free.width() < width or free.height() < height):
            self.resize(min(width, free.width()), min(height, free.height()))
            self.showMaximized()
            return
        self.resize(width, height)
        self.show()

    def fit_panels(self) -> None:
        """Lay the panels out for the window's size, each splitter until the designer drags it:
        the side panel ~22 % of the width + 100 px (at most 620), the lanes half the height,
        the reference list as tall as its sounds, the takes list 4-8 rows, the engine the rest."""
        width = self.main_split.length()
        side = max(min(int(0.22 * width) + 100, 620), 0)
        self.main_split.fit([width - side, side], [1], 0)
        left = self.left.length()
        self.left.fit([0, left // 2], [1], 0)
        takes = self.takes_panel.minimumSizeHint().height() + 4 * self.takes_panel.tree.fontMetrics().height()
        self.right.fit([self.reference_panel.sizeHint().height(), self.engine_panel.sizeHint().height(), takes],
                       [0, 2, 1], 2)

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        self.fit_panels()

    def showEvent(self, event) -> None:  # noqa: N802
        super().showEvent(event)
        self.fit_panels()

    # -- wiring ----------------------------------------------------------------------------------
    def _wire(self) -> None:
        doc, view, pb, gen, ed = self.doc, self.view, self.playback, self.generation, self.editing
        doc.changed.connect(lambda _part: self.update_title())
        doc.dirtyChanged.connect(lambda _d: self.update_title())
        doc.pathChanged.connect(lambda _p: self.update_title())
        self.autosaver.saved.connect(lambda p: self.prompts.status(f"autosaved {p}", 2000))
        doc.changed.connect(lambda part: self._refit_later() if part in ("project", "source", "reference",
                                                                         "engine") else None)
        view.subscribe(self._refit_later, "engines")
        self.runner.progressed.connect(self._job_progress)
        self.runner.activityChanged.connect(self._job_activity)
        self.video.boxEdited.connect(ed.box_edited)
        self.video.sourceClicked.connect(self.subjects.select_subject)
        self.lanes.envelope.sourceRequested.connect(ed.envelope_from)
        self.lanes.pan.followRequested.connect(ed.follow_box)
        panel = self.engine_panel
        panel.generateRequested.connect(gen.generate)
        panel.generateAllRequested.connect(gen.generate_all)
        panel.cancelRequested.connect(gen.cancel)
        gen.busyChanged.connect(panel.set_busy)
        gen.progressChanged.connect(panel.set_progress)
        gen.failed.connect(panel.show_failure)
        self.takes_panel.playRequested.connect(pb.play_take)
        self.takes_panel.abRequested.connect(pb.ab_switch)
        self.takes_panel.exportRequested.connect(self.commands.export_dialog)
        self.reference_panel.previewRequested.connect(pb.preview_reference)
        self.reference_panel.currentChanged.connect(pb.load_reference)
        self.reference_panel.message.connect(self.prompts.status)
        self.lanes.message.connect(self.prompts.status)

    def _refit_later(self, *_args) -> None:
        """Panels changed what they would like to show (engine options, reference sounds): refit
        once their layouts have settled (a timer owned by the window: it dies with it)."""
        self._refit_timer.start()

    def _job_progress(self, label: str, fraction: float, message: str) -> None:
        self.job_bar.setValue(int(fraction * 1000))
        self.job_label.setText(message)

    def _job_activity(self, active: bool) -> None:
        self.job_bar.setVisible(active)
        if not active:
            self.job_label.setText("")
            self.view.busy_text = ""

    def update_title(self) -> None:
        proj = self.doc.project
        if proj is None:
            self.setWindowTitle(APP_NAME)
            self.project_label.setText("")
            return
        dirty = "*" if self.doc.is_dirty() else ""
        where = Path(proj.path).name if proj.path else f"{proj.name} (unsaved)"
        self.setWindowTitle(f"{proj.name}{dirty} — {APP_NAME}")
        clip = proj.clip
        self.project_label.setText(f"{where}{dirty}  ·  {clip.width}x{clip.height}  ·  {clip.fps:g} fps  ·  "
                                   f"{clip.duration:.2f} s  ·  {Path(clip.path).name}")

    # -- events ----------------------------------------------------------------------------------
    def dragEnterEvent(self, event) -> None:  # noqa: N802
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:  # noqa: N802
        urls = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if urls:
            self.projects.open_path(urls[0])

    def shutdown(self) -> None:
        """Stop timers, sound and workers; write what autosave still holds (idempotent)."""
        if self._shut_down:
            return
        self._shut_down = True
        self.autosaver.timer.stop()
        self.autosaver.flush()
        self.editing.stop()
        self.playback.stop()
        self.runner.close(2.0)
        self.video.fetcher.close()

    def closeEvent(self, event) -> None:  # noqa: N802
        if not self.projects.confirm_discard():
            event.ignore()
            return
        self.shutdown()
        event.accept()


__all__ = ["APP_NAME", "MainWindow"]

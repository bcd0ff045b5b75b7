"""The Studio's commands as Qt actions: menus, toolbar and keyboard shortcuts, like a DAW.

Why apart from the window: every action only calls a controller (or the transport, or a
lane), and which ones are enabled follows the document; keeping the ~40 actions here leaves
the window with layout and wiring.
"""

from __future__ import annotations

from typing import Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMainWindow, QMenu, QMenuBar, QMessageBox, QSizePolicy, QToolBar, QWidget

from .autosave import recent_files
from .icons import icon
from .lanes.edit_tools import DELETE_STEPS, RANGE_ACTIONS

USER_JOBS = ("generate", "export", "analyze", "retrack", "envelope", "subjects")  # what Esc cancels
# Where to look and keyframes (`controllers.keyframes`): free keys, none used above
UNCERTAIN_KEYS = {"next": "U", "previous": "Shift+U"}
KEYFRAME_KEYS = {"next": "Alt+Right", "previous": "Alt+Left", "here": "Ctrl+K", "delete": "Ctrl+Shift+K",
                 "interpolate": "Ctrl+I", "retrack": "Ctrl+R"}


class StudioActions:
    """Builds the actions, the menu bar and the toolbar of `window` (a `main_window.MainWindow`: its
    controllers, lanes, panels and transport), and keeps them enabled right."""

    def __init__(self, window: QMainWindow) -> None:
        self.w = window
        self._build_actions()
        self._build_menus(window.menuBar())
        self._build_toolbar()
        window.doc.undoStateChanged.connect(self.update_undo)
        for sig in (window.lanes.ctx.toolChanged, window.lanes.ctx.activeLaneChanged):
            sig.connect(lambda *_: self.update_delete())
        window.doc.changed.connect(lambda _part: self.update_subjects())
        self.update_undo()
        self.update_subjects()

    def _action(self, text: str, slot: Callable[[], object], shortcut=None, icon_name: str | None = None,
                tip: str = "") -> QAction:
        a = QAction(text, self.w)
        if icon_name:
            a.setIcon(icon(icon_name))
        if shortcut is not None:
            seqs = shortcut if isinstance(shortcut, list) else [shortcut]
            a.setShortcuts([QKeySequence(s) for s in seqs])
            a.setShortcutContext(Qt.WindowShortcut)
        if tip:
            a.setToolTip(tip)
        a.triggered.connect(lambda _=False: slot())
        self.w.addAction(a)
        return a

    def _build_actions(self) -> None:
        w, t, A = self.w, self.w.transport, self._action  # noqa: N806
        pc, gen, sub, lanes = w.projects, w.generation, w.subjects, w.lanes
        self.new = A("&New from clip…", pc.new_from_clip_dialog, QKeySequence.New, "new",
                     "Open a video clip and analyse it (Ctrl+N)")
        self.open = A("&Open…", pc.open_dialog, QKeySequence.Open, "open", "Open a project or clip (Ctrl+O)")
        self.save = A("&Save", pc.save, QKeySequence.Save, "save", "Save the project (Ctrl+S)")
        self.save_as = A("Save &As…", pc.save_as_dialog, "Ctrl+Shift+S")
        self.locate_clip = A("&Locate clip…", pc.locate_clip, None, "open",
                             "The clip was moved or renamed: show the project where it is now")
        self.export = A("&Export stems…", self.export_dialog, "Ctrl+E", "export", "Export takes as WAV stems")
        self.quit = A("&Quit", w.close, QKeySequence.Quit)
        self.undo = A("&Undo", pc.undo, QKeySequence.Undo, "undo", "Undo (Ctrl+Z)")
        self.redo = A("&Redo", pc.redo, ["Ctrl+Shift+Z", "Ctrl+Y"], "redo", "Redo (Ctrl+Shift+Z)")
        self.generate = A("&Generate takes", gen.generate, "Ctrl+G", "generate", "Generate takes (Ctrl+G)")
        self.generate_all = A("Generate &all subjects", gen.generate_all, "Ctrl+Shift+G", "generate",
                              "Generate takes of every subject (Ctrl+Shift+G)")
        self.cancel = A("&Cancel job", self.cancel_jobs, "Esc", "cancel")
        self.transport_actions = [A("Play / Stop", t.toggle, "Space", "play"),
                          A("Shuttle back", lambda: t.shuttle(-1), "J"), A("Stop", t.stop, "K"),
                          A("Shuttle forward", lambda: t.shuttle(1), "L"), None,
                          A("Previous frame", lambda: t.step_frames(-1), "Left"),
                          A("Next frame", lambda: t.step_frames(1), "Right"),
                          A("Back one second", lambda: t.step_seconds(-1.0), "Shift+Left"),
                          A("Forward one second", lambda: t.step_seconds(1.0), "Shift+Right"),
                          A("Go to start", t.home, "Home"), A("Go to end", t.end, "End"), None,
                          A("Set loop in", t.set_in, "I"), A("Set loop out", t.set_out, "O"),
                          A("Loop on/off", lambda: t.set_loop_enabled(not t.loop_enabled), "Ctrl+L"), None,
                          A("Zoom to fit", lanes.zoom_fit, "Ctrl+0")]
        self.ab = A("A/B previous take", w.playback.ab_switch, "B")
        self.record = A("&Record envelope", lambda: w.recording.toggle(), "Shift+R", None,
                        "Perform the steps into the microphone while the picture plays: the performance "
                        "becomes the envelope and its steps (Shift+R; again to stop)")
        self.guide_lane = A("Footstep &guide lane", lambda: None, None, None,
                            "Show the footsteps found in the clip's own audio, and the transients rejected")
        self.guide_lane.setCheckable(True)
        self.guide_lane.setChecked(lanes.b_guide_lane.isChecked())
        self.guide_lane.toggled.connect(lanes.show_guide_lane)
        lanes.b_guide_lane.toggled.connect(self.guide_lane.setChecked)
        self.tools = [A(n, lambda k=k: lanes.ctx.set_tool(k), s) for n, k, s in
                      (("Select tool", "select", "1"), ("Draw tool", "draw", "2"), ("Step tool", "step", "3"))]
        names = RANGE_ACTIONS  # one name per range action: tool bar, menus and undo say the same
        self.clear_range = A(names["clear"], self.delete_selection, [QKeySequence.Delete, "Backspace"])
        self.edits = [A(names["up"], lambda: lanes.range_action("up"), "Ctrl+Up"),
                      A(names["down"], lambda: lanes.range_action("down"), "Ctrl+Down"),
                      A(names["smooth"], lambda: lanes.range_action("smooth"), "Ctrl+M"), self.clear_range]
        self.keys = A("Keyboard shortcuts", self.show_shortcuts, "F1")
        self.find_subjects = A("&Find all subjects", sub.find_subjects, "Ctrl+Shift+F", "box",
                               "Find every person in the clip, one subject each (replaces the subjects)")
        self.split_subject = A("&Split at playhead", sub.split_at_playhead, None, None,
                               "Two people on one track: the part from the playhead on becomes a new subject")
        self.delete_subject = A("&Delete subject", sub.delete_subject, None, "delete", "Remove this subject")
        self.rename_subject = A("&Rename subject…", sub.rename_subject, "Shift+F2", None,
                                "Rename this subject (Shift+F2)")
        self._build_tracking_actions()

    def _build_tracking_actions(self) -> None:
        """Where to look (the confidence strip's uncertain spans), keyframes, the scrubbing proxy."""
        A, kf, px, u, k = self._action, self.w.keyframes, self.w.proxy, UNCERTAIN_KEYS, KEYFRAME_KEYS  # noqa: N806
        self.next_uncertain = A("Next &uncertain frame", lambda: kf.go_uncertain(1), u["next"], None,
                                f"Jump to the start of the next span the tracker was unsure of ({u['next']})")
        self.prev_uncertain = A("Previous u&ncertain frame", lambda: kf.go_uncertain(-1), u["previous"], None,
                                f"Jump to the start of the previous uncertain span ({u['previous']})")
        self.next_keyframe = A("Next &keyframe", lambda: kf.go_keyframe(1), k["next"], None,
                               f"Jump to the next keyframe ({k['next']})")
        self.prev_keyframe = A("Previous k&eyframe", lambda: kf.go_keyframe(-1), k["previous"], None,
                               f"Jump to the previous keyframe ({k['previous']})")
        self.keyframe_here = A("Keyframe &here", kf.keyframe_here, k["here"], "box",
                               f"The box shown is right: make it a keyframe the tracker keeps ({k['here']}). "
                               "Dragging the box makes one too")
        self.delete_keyframe = A("&Delete keyframe here", kf.delete_keyframe_here, k["delete"], None,
                                 f"The keyframe at the playhead stops being one ({k['delete']})")
        self.interpolate = A("&Interpolate between keyframes", kf.interpolate, k["interpolate"], None,
                             "Straight-line boxes between the keyframes around the playhead, or between every "
                             f"keyframe in the selected range ({k['interpolate']})")
        self.retrack = A("&Re-track from keyframes", kf.retrack, k["retrack"], None,
                         f"Track the subject again from every keyframe with the identity model ({k['retrack']}; "
                         "Esc cancels)")
        self.make_proxy = A("Make scrubbing &proxy", lambda: self.w.proxy.make(force=True), None, None,
                            "A small copy of the clip for smooth scrubbing, made in the background")
        self.stop_proxy = A("Stop making proxy", px.stop, None, None, "Scrub the original instead")
        self.tracking_actions = [self.next_uncertain, self.prev_uncertain, None, self.next_keyframe,
                                 self.prev_keyframe, None, self.keyframe_here, self.delete_keyframe, None,
                                 self.interpolate, self.retrack, None, self.make_proxy, self.stop_proxy]

    @staticmethod
    def _fill(menu: QMenu, actions) -> None:
        for a in actions:
            menu.addSeparator() if a is None else menu.addAction(a)

    def _build_menus(self, mb: QMenuBar) -> None:
        m = self.file_menu = mb.addMenu("&File")
        self._fill(m, (self.new, self.open))
        self.recent_menu = m.addMenu("Open &Recent")
        self.recent_menu.aboutToShow.connect(self._fill_recent)
        self._fill(m, (None, self.save, self.save_as, None, self.locate_clip, None, self.export, None, self.quit))
        self._fill(mb.addMenu("&Edit"), (self.undo, self.redo, None, *self.tools, None, *self.edits))
        self._fill(mb.addMenu("&Transport"), (*self.transport_actions, None, self.record, None,
                                              self.next_uncertain, self.prev_uncertain))
        self._fill(mb.addMenu("&View"), (self.guide_lane,))
        self.tracking_menu = mb.addMenu("T&racking")
        self.tracking_menu.setToolTipsVisible(True)
        self._fill(self.tracking_menu, self.tracking_actions)
        self.tracking_menu.aboutToShow.connect(self.update_tracking)
        self.subjects_menu = mb.addMenu("S&ubjects")
        self.subjects_menu.addAction(self.find_subjects)
        self.subjects_menu.addSeparator()
        self.merge_menu = self.subjects_menu.addMenu("&Merge into")
        self.merge_menu.setToolTip("One person tracked twice: merge this subject into another")
        self.merge_menu.aboutToShow.connect(self._fill_merge_menu)
        self._fill(self.subjects_menu, (self.split_subject, self.rename_subject, self.delete_subject, None,
                                        self.generate_all))
        self._fill(mb.addMenu("&Generate"), (self.generate, self.generate_all, self.cancel, self.ab))
        mb.addMenu("&Help").addAction(self.keys)

    def _build_toolbar(self) -> None:
        w = self.w
        tb = QToolBar("Main")
        tb.setMovable(False)
        tb.setToolButtonStyle(Qt.ToolButtonTextBesideIcon)
        for a, text in ((self.new, "New"), (self.open, "Open"), (self.save, "Save"), (None, ""),
                        (self.undo, "Undo"), (self.redo, "Redo"), (None, ""),
                        (self.generate, "Generate"), (self.export, "Export")):
            if a is None:
                tb.addSeparator()
            else:
                a.setIconText(text)
                tb.addAction(a)
        tb.addSeparator()
        w.subjects_bar.set_menu(self.subjects_menu)
        tb.addWidget(w.subjects_bar)
        spacer = QWidget()
        spacer.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Preferred)
        tb.addWidget(spacer)
        tb.addWidget(w.project_label)
        w.addToolBar(tb)
        self.toolbar = tb

    # -- state -----------------------------------------------------------------------------------
    def _fill_recent(self) -> None:
        self.recent_menu.clear()
        files = recent_files()
        if not files:
            self.recent_menu.addAction("(none)").setEnabled(False)
        for f in files:
            self.recent_menu.addAction(f, lambda f=f: self.w.projects.open_path(f))

    def _fill_merge_menu(self) -> None:
        self.merge_menu.clear()
        src = self.w.doc.source
        for name in self.w.doc.source_names():
            if src is not None and name != src.name:
                self.merge_menu.addAction(name, lambda n=name: self.w.subjects.merge_into(n))

    def update_delete(self) -> None:
        """The Delete key's entry says what it does: with the step tool on the envelope it deletes
        the steps in the range, else it clears the range."""
        lanes = self.w.lanes
        steps = lanes.ctx.tool == "step" and lanes.active_curve_lane() is lanes.envelope
        self.clear_range.setText(DELETE_STEPS if steps else RANGE_ACTIONS["clear"])

    def update_undo(self) -> None:
        """Undo and Redo name what they undo and redo, in the menu and in their tooltips."""
        st = self.w.doc.undo_stack
        self.undo.setEnabled(st.can_undo())
        self.redo.setEnabled(st.can_redo())
        self.undo.setText(f"&Undo {st.undo_label()}" if st.can_undo() else "&Undo")
        self.redo.setText(f"&Redo {st.redo_label()}" if st.can_redo() else "&Redo")
        self.undo.setIconText("Undo")
        self.redo.setIconText("Redo")
        self.undo.setToolTip(f"Undo {st.undo_label()} (Ctrl+Z)" if st.can_undo() else "Nothing to undo")
        self.redo.setToolTip(f"Redo {st.redo_label()} (Ctrl+Shift+Z)" if st.can_redo() else "Nothing to redo")

    def update_subjects(self) -> None:
        proj, src = self.w.doc.project, self.w.doc.source
        several = proj is not None and len(proj.sources) > 1
        self.find_subjects.setEnabled(proj is not None)
        self.locate_clip.setEnabled(proj is not None)
        self.merge_menu.setEnabled(several)
        self.delete_subject.setEnabled(several)
        self.split_subject.setEnabled(src is not None)
        self.rename_subject.setEnabled(src is not None)
        self.generate_all.setEnabled(several)
        self.update_tracking()

    def update_tracking(self) -> None:
        """Tracking entries are enabled when they can do something (keyframes, a proxy job)."""
        src = self.w.doc.source
        keys = bool(src is not None and src.track.keyframes)
        for a in (self.next_uncertain, self.prev_uncertain, self.keyframe_here, self.make_proxy):
            a.setEnabled(src is not None)
        for a in (self.next_keyframe, self.prev_keyframe, self.retrack, self.delete_keyframe, self.interpolate):
            a.setEnabled(keys)
        self.stop_proxy.setEnabled(self.w.proxy.building())

    # -- commands that route by focus ------------------------------------------------------------
    def export_dialog(self) -> None:
        self.w.generation.export_dialog(self.w.takes_panel.selected_paths())

    def cancel_jobs(self) -> None:
        """Esc: drop the lane selection and ask every user-started job to stop."""
        lanes = self.w.lanes
        if lanes.ctx.selection is not None:
            lanes.ctx.set_selection(None)
        for key in self.w.runner.cancel_many(USER_JOBS):
            self.w.prompts.status(f"cancelling {key}…")

    def delete_selection(self) -> None:
        """Delete: the selected surface region (Surface lane), steps in the range (step tool), else
        Clear range, else the selected takes."""
        lanes, w = self.w.lanes, self.w
        if lanes.ctx.active_lane is lanes.surface and lanes.surface.selected is not None:
            lanes.surface.delete_region(lanes.surface.selected)
        elif lanes.active_curve_lane() is lanes.envelope and lanes.ctx.tool == "step":
            lanes.envelope.delete_selection()
        elif lanes.ctx.selection is not None:
            lanes.range_action("clear")
        elif w.takes_panel.tree.hasFocus():
            w.takes_panel.delete_selected()

    def show_shortcuts(self) -> None:
        rows = [(a.text().replace("&", ""), ", ".join(s.toString() for s in a.shortcuts()))
                for a in self.w.actions() if a.shortcuts()]
        cells = "".join(f"<tr><td><b>{k}</b></td><td>&nbsp;&nbsp;{t}</td></tr>" for t, k in rows)
        html = f"<table>{cells}</table>"
        box = QMessageBox(QMessageBox.Information, "Keyboard shortcuts", html, QMessageBox.Ok, self.w)
        box.setModal(False)
        box.show()


__all__ = ["StudioActions", "USER_JOBS"]

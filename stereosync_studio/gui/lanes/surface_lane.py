"""The Surface lane: where along the clip the subject walks on which surface (grass 0-4.2 s,
gravel 4.2-8 s), each region with its own reference file or folder.

Why a lane: surfaces are time regions on the same axis as the steps they colour. Drag a
region's edge (a boundary two regions share moves for both; edges snap to steps, other
edges, the playhead and the frame grid, never cross a neighbour, never leave the clip), add
a region in the free stretch (or over the selected range), split at the playhead, delete,
and pick each region's reference (right-click, or double-click). Every edit is one undoable
step in the document and is checked by `jobs.check_surfaces`: a problem is shown on the lane
and in the status bar, naming the regions. Steps outside every region use the subject's own
reference (the Reference panel).
"""

from __future__ import annotations

import copy

import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QFileDialog, QGraphicsRectItem, QMenu

from ... import jobs
from ...core.errors import InputError
from ...core.formats import AUDIO_EXTS, dialog_filter
from ...core.project import Reference, SurfaceRegion
from .. import style
from ..document import ProjectDocument
from . import surface_edits as se
from .surface_edits import region_name
from .base import HEADER_WIDTH, Lane, LaneContext, small_button

EDGE_PX = 6.0  # the pointer this close to an edge grabs it
SNAP_PX = 8.0  # an edge this close to a step, another edge or the playhead snaps onto it
PALETTE = ("#6fbf73", "#c9a66b", "#7aa6d6", "#c58ad6", "#d6c46a", "#6fc9c0")


def edit_surfaces(doc: ProjectDocument, regions: list[SurfaceRegion], label: str,
                  source_name: str | None = None) -> None:
    """Replace the surfaces of the shown source (or the one named) as one undoable step."""
    doc.edit("surfaces", list(regions), label, source_name=source_name)


def _key(region: SurfaceRegion) -> str:
    return region.reference.path or "|".join(region.reference.files)


def region_colours(regions: list[SurfaceRegion]) -> list[str]:
    """One colour per reference, in the order the references first appear along the clip, so
    neighbouring surfaces always differ (the same reference keeps its colour)."""
    order: dict[str, int] = {}
    for r in sorted(regions, key=lambda r: r.start):
        order.setdefault(_key(r), len(order))
    return [PALETTE[order[_key(r)] % len(PALETTE)] for r in regions]


def _gist(problem: str) -> str:
    """What `jobs.check_surfaces` found, short enough for the lane ("overlap: sand@0-3.5, snow@3.1-5.6");
    what is wrong comes first, so that it survives the eliding."""
    gist = problem.split(": ", 1)[-1].split(" (", 1)[0].split(": ", 1)[0]
    gist = gist.replace("surface regions ", "").replace("surface region ", "")
    if gist.endswith(" overlap"):
        return "overlap: " + gist[:-len(" overlap")].replace(" and ", ", ")
    if " " in gist:
        name, what = gist.split(" ", 1)
        return f"{what}: {name}"
    return gist


class SurfaceLane(Lane):
    """Regions of the shown subject, each with a reference; edges dragged with the mouse."""

    title = "Surface"
    colour = "#c9a66b"
    y_range = (0.0, 1.0)
    show_axis = False

    message = Signal(str)  # what an edit did or why it was refused, for the status bar

    def __init__(self, ctx: LaneContext, parent=None) -> None:
        super().__init__(ctx, parent)
        self.problem = ""
        self._flagged = False  # the readout shows a refused edit
        self.selected: int | None = None
        self._shown: str | None = None  # the subject whose regions are drawn
        self._items: list = []
        self._drag: tuple[int, str] | None = None
        self._preview: list[SurfaceRegion] | None = None
        self.b_add = small_button("+ Add", "Add a surface region over the selected range, else over the free "
                                            "stretch under the playhead")
        self.b_split = small_button("Split", "Split the region under the playhead in two")
        self.b_delete = small_button("Delete", "Delete the selected region (its steps use the subject's reference)")
        self.b_add.clicked.connect(lambda _=False: self.add_at(self.ctx.transport.position))
        self.b_split.clicked.connect(lambda _=False: self.split_at(self.ctx.transport.position))
        self.b_delete.clicked.connect(lambda _=False: self.delete_region(self.selected))
        for b in (self.b_add, self.b_split, self.b_delete):
            self.add_button(b)
        self.update_buttons()
        self.step_ticks = pg.ScatterPlotItem(symbol="t1", size=7, pen=None)  # ▲ under each step
        self.step_ticks.setZValue(5)
        self.plot.addItem(self.step_ticks)
        ctx.view.subscribe(lambda _name: self.refresh_steps(), "planned_steps")
        self.vb.sigXRangeChanged.connect(lambda *_: self._place_labels())
        self.plot.scene().sigMouseMoved.connect(self._hover)

    # -- document --------------------------------------------------------------------------------
    def regions(self) -> list[SurfaceRegion]:
        if self._preview is not None:
            return self._preview
        src = self.ctx.doc.source
        return [] if src is None else sorted(src.surfaces, key=lambda r: (r.start, r.end))

    def duration(self) -> float:
        proj = self.ctx.doc.project
        return proj.clip.duration if proj is not None else 0.0

    def min_length(self) -> float:
        proj = self.ctx.doc.project
        return 1.0 / proj.clip.fps if proj is not None and proj.clip.fps > 0 else 0.04

    def commit(self, regions: list[SurfaceRegion], label: str) -> bool:
        """Check (`jobs.check_surfaces`) and store the regions as one undoable edit; a problem is
        shown and nothing changes."""
        src = self.ctx.doc.source
        if src is None:
            return False
        try:
            jobs.check_surfaces(regions, self.duration(), src.name)
        except InputError as exc:
            self._refuse(str(exc), _gist(str(exc)))
            return False
        edit_surfaces(self.ctx.doc, sorted(regions, key=lambda r: r.start), label)
        self.message.emit(label)
        return True

    def _refuse(self, text: str, short: str | None = None) -> None:
        """An edit that was not made: said on the lane (`short`, else the sentence; all of it on
        hover) and in the status bar, until the playhead moves. Not `problem`: the regions
        themselves are still fine."""
        self.message.emit(text)
        if self.problem:
            return  # the regions' own problem stays on show
        room = HEADER_WIDTH - 16
        self.readout.setText(self.readout.fontMetrics().elidedText("⚠ " + (short or text), Qt.ElideRight, room))
        self.readout.setStyleSheet(f"color:{style.ERROR}")
        self.readout.setToolTip(text)
        self._flagged = True

    def refresh(self) -> None:
        """Redraw the regions (the document's, or the edge drag's preview)."""
        for item in self._items:
            self.plot.removeItem(item)
        self._items = []
        regions = self.regions()
        src = self.ctx.doc.source
        if self._preview is None:
            self.problem = ""
            if src is not None:
                try:
                    jobs.check_surfaces(regions, self.duration(), src.name)
                except InputError as exc:
                    self.problem = str(exc)
        shown = None if src is None else src.name
        if shown != self._shown or (self.selected is not None and self.selected >= len(regions)):
            self.selected = None  # another subject (or fewer regions): nothing selected
        self._shown = shown
        colours = region_colours(regions)
        for i, r in enumerate(regions):
            colour = QColor(style.ERROR if self.problem and self._named(r) else colours[i])
            fill = QColor(colour)
            fill.setAlpha(110 if i == self.selected else 60)
            rect = QGraphicsRectItem(QRectF(r.start, 0.18, r.end - r.start, 0.76))
            pen = pg.mkPen(colour, width=2 if i == self.selected else 1)
            pen.setCosmetic(True)
            rect.setPen(pen)
            rect.setBrush(pg.mkBrush(fill))
            rect.setToolTip(f"{region_name(r)}  ·  {r.start:.2f}–{r.end:.2f} s\n{r.reference.path}")
            self.plot.addItem(rect, ignoreBounds=True)
            text = pg.TextItem(region_name(r), color=style.TEXT, anchor=(0, 0.5))
            text.setPos(r.start, 0.56)
            self.plot.addItem(text, ignoreBounds=True)
            self._items += [rect, text]
        self._place_labels()
        self.refresh_steps()
        self._show_readout()

    def refresh_steps(self) -> None:
        """A tick under each step in the colour of the surface it draws its sound from (white
        where it uses the subject's own reference)."""
        src = self.ctx.doc.source
        steps = [] if src is None else (src.envelope.steps() or list(self.ctx.view.planned_steps))
        regions = self.regions()
        colours = region_colours(regions)
        brushes = []
        for t in steps:
            i = se.region_at(regions, t)
            brushes.append(pg.mkBrush(colours[i] if i is not None else style.TEXT))
        self.step_ticks.setData(list(steps), [0.07] * len(steps), brush=brushes)

    def _named(self, r: SurfaceRegion) -> bool:
        return r.label in self.problem

    def _place_labels(self) -> None:
        """A region's name shows only where the region is wide enough on screen to hold it."""
        px = abs(self.pixel()[0])
        regions = self.regions()
        for k, item in enumerate(self._items[1::2]):
            if k < len(regions):
                r = regions[k]
                wide = (r.end - r.start) / px > item.boundingRect().width() + 8
                item.setVisible(wide)
                item.setPos(r.start + 4 * px, 0.56)

    def _show_readout(self) -> None:
        if self.problem:  # the gist on the lane ("⚠ sand@0-3.5 and snow@3.1-5.6 overlap"), all of it on hover
            room = HEADER_WIDTH - 16
            self.readout.setText(self.readout.fontMetrics().elidedText("⚠ " + _gist(self.problem), Qt.ElideRight,
                                                                       room))
            self.readout.setStyleSheet(f"color:{style.ERROR}")
            self.readout.setToolTip(self.problem)
            return
        self.readout.setStyleSheet("")
        self.update_readout(self.ctx.transport.position)

    def update_readout(self, t: float) -> None:
        if self.problem:
            return
        regions = self.regions()
        i = se.region_at(regions, t)
        if i is not None:
            r = regions[i]
            self.readout.setText(f"{region_name(r)} · {r.start:.2f}–{r.end:.2f}")
        else:
            self.readout.setText("subject's reference")
        if self._flagged:  # a refusal was on show: back to the plain readout (not on every frame)
            self.readout.setStyleSheet("")
            self._flagged = False
        self.readout.setToolTip("The surface under the playhead (outside every region: the subject's reference "
                                "in the Reference panel)")
        self.update_buttons(i is not None)

    def update_buttons(self, has_region: bool = False) -> None:
        """Add needs a subject, Split a region under the playhead, Delete a selected region."""
        self.b_add.setEnabled(self.ctx.doc.source is not None)
        self.b_split.setEnabled(has_region)
        self.b_delete.setEnabled(self.selected is not None)

    # -- gestures --------------------------------------------------------------------------------
    def snap_targets(self, exclude: tuple[int, str]) -> list[float]:
        """Steps, other region edges and the playhead: where an edge likes to land."""
        src = self.ctx.doc.source
        targets = [self.ctx.transport.position]
        if src is not None:
            steps = src.envelope.steps()
            targets += list(steps) if steps is not None else list(self.ctx.view.planned_steps)
        for j, r in enumerate(self.regions()):
            for side, x in (("start", r.start), ("end", r.end)):
                if (j, side) != exclude:
                    targets.append(x)
        return targets

    def drag_edge(self, index: int, side: str, t: float) -> list[SurfaceRegion]:
        """The regions with that edge moved to `t`, snapped and clamped (no overlap, in the clip)."""
        base = self._drag_base if self._drag is not None else self.regions()
        fps = self.ctx.doc.project.clip.fps if self.ctx.doc.project is not None else None
        t = se.snap(t, self.snap_targets((index, side)), SNAP_PX * abs(self.pixel()[0]), fps)
        return se.move_edge(base, index, side, t, self.duration(), self.min_length())

    def on_drag(self, ev, start, now) -> None:
        if ev.isStart():
            self.ctx.set_active(self)
            hit = se.edge_at(self.regions(), float(start.x()), EDGE_PX * abs(self.pixel()[0]))
            self._drag = hit
            self._drag_base = copy.deepcopy(self.regions())
        if self._drag is None:
            super().on_drag(ev, start, now)  # a range: for + Add
            return
        index, side = self._drag
        self._preview = self.drag_edge(index, side, float(now.x()))
        self.refresh()
        if ev.isFinish():
            new, self._preview, self._drag = self._preview, None, None
            if any((a.start, a.end) != (b.start, b.end) for a, b in zip(new, self._drag_base)):
                r = new[index]
                self.commit(new, f"Move surface edge ({region_name(r)} {r.start:.2f}–{r.end:.2f} s)")
            self.refresh()

    def on_click(self, x: float, y: float, modifiers, double: bool) -> None:
        i = se.region_at(self.regions(), x)
        self.selected = i
        if double and i is not None:
            self.ctx.set_active(self)
            self.pick_reference(i, folder=False)
            return
        super().on_click(x, y, modifiers, double)
        self.refresh()

    def _hover(self, scene_pos: QPointF) -> None:
        if not self.plot.sceneBoundingRect().contains(scene_pos):
            return
        t = float(self.vb.mapSceneToView(scene_pos).x())
        near = se.edge_at(self.regions(), t, EDGE_PX * abs(self.pixel()[0])) is not None
        self.plot_widget.setCursor(Qt.SizeHorCursor if near else Qt.ArrowCursor)

    def fill_menu(self, menu: QMenu, x: float, y: float) -> None:
        regions = self.regions()
        i = se.region_at(regions, x)
        if i is None:
            menu.addAction("Add surface region here", lambda: self.add_at(x))
        else:
            self.selected = i
            name = region_name(regions[i])
            menu.addAction(f"Reference file for {name}…", lambda: self.pick_reference(i, folder=False))
            menu.addAction(f"Reference folder for {name}…", lambda: self.pick_reference(i, folder=True))
            src = self.ctx.doc.source
            act = menu.addAction("Use the subject's reference",
                                 lambda: self.set_reference(i, Reference.from_dict(src.reference.to_dict())))
            act.setEnabled(src is not None and bool(src.reference.path))
            menu.addSeparator()
            menu.addAction(f"Split {name} here", lambda: self.split_at(x))
            menu.addAction(f"Delete {name}", lambda: self.delete_region(i))

    # -- edits -----------------------------------------------------------------------------------
    def add_at(self, t: float) -> bool:
        """A new region over the selected range, else over the free stretch holding `t`; its
        reference starts as the subject's own (pick another with a right-click)."""
        src = self.ctx.doc.source
        if src is None:
            return False
        sel = self.ctx.selection
        gap = se.gap_around(self.regions(), t, self.duration())
        a, b = sel if sel is not None else gap if gap is not None else (t, t)
        try:
            regions = se.add_region(self.regions(), a, b, src.reference, self.duration())
        except ValueError as exc:
            self._refuse(str(exc))
            return False
        self.selected = next(k for k, r in enumerate(regions) if r.start <= max(a, 0.0) + se.TOUCH_S < r.end)
        r = regions[self.selected]
        return self.commit(regions, f"Add surface region {r.start:.2f}–{r.end:.2f} s")

    def split_at(self, t: float) -> bool:
        try:
            regions = se.split_region(self.regions(), t, self.min_length())
        except ValueError as exc:
            self._refuse(str(exc))
            return False
        return self.commit(regions, f"Split surface at {t:.2f} s")

    def delete_region(self, index: int | None) -> bool:
        regions = self.regions()
        if index is None or not 0 <= index < len(regions):
            return False
        name = region_name(regions[index])
        self.selected = None
        return self.commit(se.delete_region(regions, index), f"Delete surface region {name}")

    def set_reference(self, index: int, reference: Reference) -> bool:
        regions = copy.deepcopy(self.regions())
        if not 0 <= index < len(regions):
            return False
        regions[index].reference = reference
        return self.commit(regions, f"Surface {regions[index].start:.2f}–{regions[index].end:.2f} s: "
                                    f"{region_name(regions[index])}")

    def pick_reference(self, index: int, folder: bool) -> bool:
        """Ask for the region's reference file (or folder) and set it."""
        if folder:
            path = QFileDialog.getExistingDirectory(self, "Folder of reference sounds for this surface")
        else:
            path, _ = QFileDialog.getOpenFileName(self, "Reference sound for this surface", "",
                                                  f"Audio ({dialog_filter(AUDIO_EXTS)})")
        return bool(path) and self.set_reference(index, Reference(path))


__all__ = ["SurfaceLane", "edit_surfaces", "region_colours"]

"""Where to look and how to fix it: next / previous uncertain frame, keyframes, re-track, interpolate.

Why here: the confidence strip shows where the tracker was unsure; these are the commands
that walk it and repair it. A box the designer drags is a keyframe already (`editing`);
*Keyframe here* confirms the box shown as one, *Re-track from keyframes* re-runs the
identity tracker (`jobs.retrack`) from every keyframe to the next in one worker (progress in
the status bar, Esc cancels) and lands as one undo step, unless the track was edited
meanwhile. *Interpolate between keyframes* fills the frames between the keyframes around the
playhead (or every pair inside the lanes' selected range) with straight-line boxes
(`jobs.interpolate_keyframes`): one undo step too. Deleting the last keyframe leaves nothing to
re-track from, so the automatic detection tracks the subject again (`jobs.retrack_keyframes`,
`automatic`), folded into the deletion's undo step; where it cannot (no clip, nobody found,
another subject followed) the boxes stay and the status bar says why.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from ... import jobs
from ...core.track import Track
from ...core.trajectory import Trajectory
from ..document import ProjectDocument
from ..job_runner import JobRunner
from ..prompts import Prompts
from ..transport import Transport
from ..view_state import ViewState
from ..workers import Job

RETRACK_JOB = "retrack"  # the same key as a box drag's re-track: the newer one wins
BRIDGE_S = 0.2  # uncertain spans closer than this are one place to look (one occlusion, one stop)
SAME_SUBJECT_IOU = 0.3  # below this median overlap, an automatic track follows someone else


def same_subject(a: Track, b: Track) -> float:
    """Median overlap (IoU) of two tracks' boxes over the frames both see: ~1 when they follow
    the same person, ~0 for two people (0 when they share no frame)."""
    both, overlap = a.overlap(b)
    return float(np.median(overlap)) if len(both) else 0.0


def look_spans(track: Track, fps: float, bridge_s: float = BRIDGE_S) -> list[tuple[int, int]]:
    """`Track.uncertain_spans` (first, end) with gaps shorter than `bridge_s` closed: a subject that
    flickers back for a frame in the middle of an occlusion is one span to check, not seven."""
    gap = max(int(round(bridge_s * fps)), 1)
    out: list[tuple[int, int]] = []
    for a, b in track.uncertain_spans():
        if out and a - out[-1][1] <= gap and not any(out[-1][1] <= k < a for k in track.keyframes):
            out[-1] = (out[-1][0], b)
        else:
            out.append((a, b))
    return out


class KeyframesController:
    """Uncertain-frame navigation and keyframe edits of the shown subject."""

    def __init__(self, doc: ProjectDocument, view: ViewState, runner: JobRunner, prompts: Prompts,
                 transport: Transport, selection=None) -> None:
        self.doc, self.view, self.runner, self.prompts, self.transport = doc, view, runner, prompts, transport
        self.selection = selection or (lambda: None)  # the lanes' selected time range (s), or None

    # -- where to look ---------------------------------------------------------------------------
    def _track(self) -> Track | None:
        src = self.doc.source
        return None if src is None or not len(src.track) else src.track

    def go_uncertain(self, direction: int) -> int | None:
        """Move the playhead to the first frame of the next (1) or previous (-1) uncertain span."""
        track = self._track()
        if track is None:
            return None
        here = self.transport.frame
        spans = look_spans(track, self.transport.fps)
        if direction >= 0:
            span = next(((a, b) for a, b in spans if a > here), None)
        else:  # like an editor's previous marker: inside a span, its start first
            span = next(((a, b) for a, b in reversed(spans) if a < here), None)
        if span is None:
            where = "after" if direction > 0 else "before"
            self.prompts.status(f"no uncertain frame {where} frame {here}", 2500)
            return None
        target, end = span
        self.transport.stop()
        self.transport.seek_frame(target)
        fps = self.transport.fps
        hidden = float(np.min(track.confidence[target:end])) < 0.35
        self.prompts.status(f"uncertain frames {target}–{end - 1} ({(end - target) / fps:.2f} s)"
                            f"{': subject hidden' if hidden else ''}", 4000)
        return target

    def go_keyframe(self, direction: int) -> int | None:
        """Move the playhead to the next (1) or previous (-1) keyframe."""
        track = self._track()
        if track is None:
            return None
        here = self.transport.frame
        keys = sorted(track.keyframes)
        target = next((k for k in keys if k > here), None) if direction > 0 else \
            next((k for k in reversed(keys) if k < here), None)
        if target is None:
            self.prompts.status("no keyframe " + ("after" if direction > 0 else "before") + f" frame {here}", 2500)
            return None
        self.transport.stop()
        self.transport.seek_frame(target)
        return target

    # -- keyframes -------------------------------------------------------------------------------
    def _commit(self, track: Track, label: str, name: str | None = None, merge_id: str | None = None,
                trajectory: Trajectory | None = None) -> None:
        """The track (and a trajectory that follows the box: `trajectory`, else derived under the
        subject's pan mapping) as one undoable edit, folded into gesture `merge_id` when given."""
        src, proj = (self.doc.source if name is None else self.doc.source_named(name)), self.doc.project
        parts: dict[str, Any] = {"track": track}
        if src.trajectory.follow_box:
            old = src.trajectory
            parts["trajectory"] = trajectory or jobs.trajectory_from_track(
                track, proj.clip, old.hfov_deg, pan_mode=old.pan_mode, pan_width=old.pan_width)
        self.doc.edit_parts(parts, label, merge_id, source_name=src.name)

    def keyframe_here(self) -> bool:
        """Confirm the box shown at the playhead as a keyframe (the tracker will never move it)."""
        track = self._track()
        if track is None:
            return False
        f = min(self.transport.frame, len(track) - 1)
        if f in track.keyframes:
            self.prompts.status(f"frame {f} is a keyframe already", 2000)
            return False
        box = track.box(f)
        if box is None:
            filled = track.filled()[f]
            if not np.isfinite(filled[0]):
                self.prompts.status(f"no box at frame {f}: drag one on the picture", 3000)
                return False
            box = filled
        new = track.copy()
        new.set_keyframe(f, [round(float(v), 2) for v in box])
        self._commit(new, f"Keyframe at frame {f}")
        return True

    def delete_keyframe_here(self) -> bool:
        """The keyframe at the playhead stops being one (its box stays until the next re-track).
        The last one gone, nothing would re-track: the automatic detection tracks the subject
        again (`auto_retrack`), folded into the same undo step."""
        track = self._track()
        f = self.transport.frame
        if track is None or f not in track.keyframes:
            self.prompts.status(f"no keyframe at frame {f}", 2000)
            return False
        new = track.copy()
        del new.keyframes[f]
        new.confidence[f] = min(float(new.confidence[f]), 0.99)
        label = f"Delete keyframe at frame {f}"
        gesture = None if new.keyframes else self.doc.new_gesture("unkey")
        self._commit(new, label, merge_id=gesture)
        if gesture is not None:
            self.auto_retrack(label, gesture)
        return True

    def auto_retrack(self, label: str, gesture: str) -> Job | None:
        """Track the shown subject again from the automatic detection (no keyframe left to track
        from) in a worker; the result lands in undo step `label` / `gesture`. The boxes stay as
        they are where the picture is missing, or where the detection follows another subject."""
        src, proj = self.doc.source, self.doc.project
        if not Path(proj.clip.path).is_file():
            self.doc.end_gesture()
            self.prompts.status(f"last keyframe of {src.name} deleted: boxes kept as they are "
                                "(clip not found, re-tracking needs the picture)", 8000)
            return None
        self.view.busy_text = "re-tracking…"
        self.prompts.status(f"last keyframe of {src.name} deleted: re-tracking from the automatic detection…", 8000)
        tr, name, expected = src.trajectory, src.name, src.track
        return self.runner.start(RETRACK_JOB, jobs.retrack_keyframes, expected.copy(), proj.copy(), None,
                                 tr.follow_box, tr.hfov_deg, label="Re-track", pan_mode=tr.pan_mode,
                                 pan_width=tr.pan_width, automatic=True,
                                 on_result=lambda r, e=expected: self._auto_tracked(r, e, name, label, gesture),
                                 on_cancel=lambda: self._auto_kept(name, "re-track cancelled"))

    def _auto_tracked(self, result: tuple[Track, Trajectory | None], expected: Track, name: str, label: str,
                      gesture: str) -> None:
        track, trajectory = result
        src = self.doc.source_named(name)
        if src is None or src.track is not expected:
            self._auto_kept(name, "the track changed meanwhile")
            return
        if len(track) != len(expected) or not jobs.subject_found(track):
            self._auto_kept(name, "the automatic detection found nobody")
            return
        if len(self.doc.project.sources) > 1 and same_subject(track, expected) < SAME_SUBJECT_IOU:
            self._auto_kept(name, "the automatic detection follows another subject")
            return
        self._commit(track, label, name, gesture, trajectory)
        self.doc.end_gesture()
        left = len(look_spans(track, self.doc.project.clip.fps))
        self.prompts.status(f"last keyframe deleted: {name} re-tracked from the automatic detection; "
                            f"{left} uncertain span(s) left", 8000)

    def _auto_kept(self, name: str, why: str) -> None:
        """No automatic track taken. The gesture is left as it is: its id is unique (nothing else
        merges into it), and closing the stack's open merge could split a box drag made meanwhile."""
        self.prompts.status(f"last keyframe of {name} deleted: boxes kept as they are ({why}); "
                            "drag the box where it is wrong to track again", 8000)

    def keyframe_pairs(self) -> list[tuple[int, int]]:
        """The keyframe pairs Interpolate fills: consecutive ones inside the lanes' selected range,
        else the two around the playhead (on the last keyframe: it and the one before)."""
        track = self._track()
        if track is None:
            return []
        keys = sorted(track.keyframes)
        sel = self.selection()
        if sel is not None:
            a, b = self.transport.frame_of(sel[0]), self.transport.frame_of(sel[1])
            inside = [k for k in keys if a <= k <= b]
            return list(zip(inside, inside[1:]))
        here = self.transport.frame
        before = [k for k in keys if k <= here]
        after = [k for k in keys if k > here]
        if before and after:
            return [(before[-1], after[0])]
        if len(before) >= 2 and before[-1] == here:
            return [(before[-2], here)]
        return []

    def interpolate(self) -> bool:
        """Straight-line boxes between keyframes (`keyframe_pairs`), one undoable edit."""
        track = self._track()
        pairs = self.keyframe_pairs()
        if track is None or not pairs:
            self.prompts.status("interpolate needs a keyframe on each side of the playhead "
                                "(or two inside the selected range)", 4000)
            return False
        new = track
        for a, b in pairs:
            new = jobs.interpolate_keyframes(new, a, b)
        span = f"frames {pairs[0][0]}–{pairs[-1][1]}"
        self._commit(new, f"Interpolate {span}")
        self.prompts.status(f"interpolated {span} between {len(pairs) + 1} keyframes", 3000)
        return True

    def retrack(self) -> Job | None:
        """Re-track the shown subject from all its keyframes in a worker; one undo step when it lands."""
        src, proj = self.doc.source, self.doc.project
        if src is None or proj is None:
            return None
        if not src.track.keyframes:
            self.prompts.status("no keyframes yet: drag the box on the picture where it is wrong", 4000)
            return None
        if not Path(proj.clip.path).is_file():
            self.prompts.error(f"{proj.clip.path}: clip not found, re-tracking needs the picture")
            return None
        expected, name, n = src.track, src.name, len(src.track.keyframes)
        self.view.busy_text = "re-tracking…"
        tr = src.trajectory
        return self.runner.start(RETRACK_JOB, jobs.retrack_keyframes, src.track.copy(), proj.copy(), None,
                                 tr.follow_box, tr.hfov_deg, label="Re-track", keep_before_first=True,
                                 pan_mode=tr.pan_mode, pan_width=tr.pan_width,
                                 on_result=lambda r, e=expected: self._retracked(r, e, name, n),
                                 on_cancel=lambda: self.prompts.status("re-track cancelled: the track is as it was"))

    def _retracked(self, result: tuple[Track, Any], expected: Track, name: str, n: int) -> None:
        track, trajectory = result
        src = self.doc.source_named(name)
        if src is None or src.track is not expected:
            self.prompts.status("re-track result dropped: the track changed meanwhile")
            return
        parts: dict[str, Any] = {"track": track}
        if trajectory is not None and src.trajectory.follow_box:  # derived through the designer's pan mapping
            parts["trajectory"] = trajectory
        self.doc.edit_parts(parts, f"Re-track from {n} keyframe(s)", source_name=name)
        left = len(look_spans(track, self.doc.project.clip.fps))
        self.prompts.status(f"re-tracked {name} from {n} keyframe(s); {left} uncertain span(s) left")


__all__ = ["BRIDGE_S", "KeyframesController", "RETRACK_JOB", "SAME_SUBJECT_IOU", "look_spans", "same_subject"]

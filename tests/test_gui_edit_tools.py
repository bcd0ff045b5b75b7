"""The Studio's Qt-free parts: the undo stack, the lane edit functions, the audition mixer."""

from __future__ import annotations

import numpy as np
import pytest

from stereosync_studio.core.undo import SnapshotCommand, UndoStack
from stereosync_studio.gui.audition import Mixer
from stereosync_studio.gui.lanes import edit_tools as et


class Box:
    value = 0


def _cmd(box: Box, before: int, after: int, merge_id: str | None = None, label: str = "set") -> SnapshotCommand:
    box.value = after

    def apply(v: int) -> None:
        box.value = v

    return SnapshotCommand(label, apply, before, after, merge_id)


def test_undo_redo_walks_history_and_clean_mark():
    box, st = Box(), UndoStack()
    st.push(_cmd(box, 0, 1, label="one"))
    st.push(_cmd(box, 1, 2, label="two"))
    assert st.is_clean() is False and st.undo_label() == "two"
    st.set_clean()
    assert st.undo() == "two" and box.value == 1 and not st.is_clean()
    assert st.redo() == "two" and box.value == 2 and st.is_clean()
    st.undo(), st.undo()
    assert box.value == 0 and not st.can_undo() and st.redo_label() == "one"
    st.push(_cmd(box, 0, 5))  # a new edit drops the redo branch (and the clean mark in it)
    assert not st.can_redo() and box.value == 5
    st.undo()
    assert box.value == 0 and not st.is_clean()


def test_gesture_merges_into_one_entry_until_closed():
    box, st = Box(), UndoStack()
    for v in range(1, 6):
        st.push(_cmd(box, v - 1, v, merge_id="stroke#1"))
    assert len(st) == 1 and box.value == 5
    st.close_merge()
    st.push(_cmd(box, 5, 6, merge_id="stroke#1"))
    assert len(st) == 2
    st.undo()
    assert box.value == 5
    st.undo()
    assert box.value == 0
    # a saved state is never merged into: the clean mark stays meaningful
    st2, b2 = UndoStack(), Box()
    st2.push(_cmd(b2, 0, 1, merge_id="g"))
    st2.set_clean()
    st2.push(_cmd(b2, 1, 2, merge_id="g"))
    assert len(st2) == 2 and not st2.is_clean()
    st2.undo()
    assert st2.is_clean() and b2.value == 1


def test_stack_limit_drops_oldest():
    box, st = Box(), UndoStack(limit=3)
    for v in range(1, 6):
        st.push(_cmd(box, v - 1, v))
    assert len(st) == 3
    while st.can_undo():
        st.undo()
    assert box.value == 2


def test_pencil_draws_a_line_between_mouse_samples():
    t = np.arange(100) / 100.0
    v = np.zeros(100, np.float32)
    out = et.pencil(v, t, 0.2, 0.1, 0.6, 0.5, 0.0, 1.0)
    assert np.all(v == 0)  # input untouched (the document keeps it for undo)
    seg = (t >= 0.2) & (t <= 0.6)
    assert np.allclose(out[seg], 0.1 + (t[seg] - 0.2), atol=1e-6)
    assert np.all(out[~seg] == 0)
    clipped = et.pencil(v, t, 0.0, 2.0, 0.1, 2.0, 0.0, 1.0)
    assert clipped.max() == pytest.approx(1.0)
    dot = et.pencil(v, t, 0.505, 0.7, 0.505, 0.7, 0.0, 1.0)  # a click between two samples
    assert np.count_nonzero(dot) == 1 and dot.max() == pytest.approx(0.7)


def test_drag_moves_neighbours_with_falloff():
    t = np.arange(200) / 100.0
    v = np.full(200, 0.5)
    out = et.drag(v, t, 1.0, 0.2, 0.1, 0.0, 1.0)
    assert out[100] == pytest.approx(0.7)
    assert 0.5 < out[105] < 0.7  # half way out: raised cosine
    assert out[105] == pytest.approx(0.5 + 0.2 * 0.5 * (1 + np.cos(np.pi * 0.5)), abs=1e-9)
    assert np.all(out[:90] == 0.5) and np.all(out[111:] == 0.5)


def test_range_scale_smooth_clear():
    t = np.arange(100) / 10.0
    v = np.where(np.arange(100) % 2 == 0, 0.2, 0.6)
    scaled = et.scale_range(v, t, 2.0, 4.0, 1.5, 0.0, 1.0)
    m = (t >= 2.0) & (t <= 4.0)
    assert np.allclose(scaled[m], v[m] * 1.5) and np.all(scaled[~m] == v[~m])
    pan = et.scale_range(np.full(100, -0.4), t, 0, 10, 3.0, -1.0, 1.0)
    assert np.all(pan == -1.0)  # clipped to the lane's range
    tf = np.arange(3445) / 344.5  # the envelope's grid
    vf = np.where(np.arange(len(tf)) % 2 == 0, 0.2, 0.6)
    mf = (tf >= 2.0) & (tf <= 4.0)
    smooth = et.smooth_range(vf, tf, 2.0, 4.0, strength=1.0)
    assert np.std(smooth[mf]) < 0.2 * np.std(vf[mf]) and np.all(smooth[~mf] == vf[~mf])
    cleared = et.clear_range(v, t, 4.0, 2.0, 1.0)  # reversed range works too
    assert np.all(cleared[m] == 1.0) and np.all(cleared[~m] == v[~m])


def test_step_events_add_move_delete():
    ev = et.add_event([0.5, 1.5], 1.0)
    assert ev == [0.5, 1.0, 1.5]
    assert et.add_event(ev, 1.01) == ev  # too close to an existing step
    assert et.nearest_event(ev, 1.04, 0.05) == 1 and et.nearest_event(ev, 1.2, 0.05) is None
    assert et.remove_event(ev, 1.49, 0.05) == [0.5, 1.0]
    assert et.move_event(ev, 0, 2.0, 1.8) == [1.0, 1.5, 1.8]
    assert et.remove_events_in(ev, 0.9, 2.0) == [0.5]


def test_mixer_gain_mute_solo_and_loop():
    mx = Mixer(1000)
    mx.set_track("guide", np.full((2, 1000), 0.1, np.float32), gain=0.5)
    mx.set_track("take", np.vstack([np.full(1000, 0.2), np.zeros(1000)]).astype(np.float32))
    mx.seek(0.1)
    out = mx.render(100)
    assert out.shape == (100, 2) and mx.position == 200
    assert np.allclose(out[:, 0], 0.05 + 0.2) and np.allclose(out[:, 1], 0.05)
    mx.set_flags("take", muted=True)
    assert np.allclose(mx.render(10)[:, 0], 0.05)
    mx.set_flags("take", muted=False, solo=True)
    assert np.allclose(mx.render(10)[:, 0], 0.2)
    mx.loop = (500, 600)
    mx.seek(0.58)
    mx.render(50)  # 20 to the loop end, 30 from the loop start
    assert mx.position == 530
    mx.seek(0.99)
    assert mx.render(1)[0, 0] > 0 and mx.position == 501  # outside the loop: jumps to its start
    mx.loop = None
    mx.seek(0.99)
    tail = mx.render(50)  # past the end of every track: silence, no error
    assert np.all(tail[:10, 0] > 0) and np.all(tail[10:] == 0) and mx.position == 1040

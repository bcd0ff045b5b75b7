"""Audition heard for real: the Studio window plays through a PulseAudio null sink and the
sink's monitor is recorded (tests/audio_fixtures.py).

Checked against the recording: the audio callback ran and what came out is the take; A/B
switches without a gap; the loop wraps; the guide and take levels scale what is heard
(0.5 -> -6 dB); the picture shows the frame being heard (within one frame) by the audio clock.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("pytestqt")

from PySide6.QtCore import Qt  # noqa: E402

from stereosync_studio.core.project import TakeInfo  # noqa: E402
from tests.audio_fixtures import (RATE, Recorder, dominant_hz, longest_silence, onsets,  # noqa: E402,F401
                                  pulse_sink, rms_db)
from tests.gui_fixtures import (analysed_project_file, demo_clip, open_project, project_file,  # noqa: E402,F401
                                studio_home, window)

pytestmark = pytest.mark.gui

AMP = 0.3  # the takes' sine level: clicks (0.9) stand out of it
CLICK = 0.9
GAP_LIMIT_MS = 5.0


def _take(path: Path, seconds: float, hz: float, clicks: tuple[float, ...] = ()) -> str:
    import soundfile as sf

    t = np.arange(int(seconds * RATE)) / RATE
    x = (AMP * np.sin(2 * np.pi * hz * t)).astype(np.float32)
    for c in clicks:  # 2 ms square click, on both channels
        i = int(round(c * RATE))
        x[i:i + RATE // 500] = CLICK
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(str(path), np.stack([x, x], 1), RATE, subtype="FLOAT")
    return str(path)


def _setup(qtbot, window, project_file, tmp_path) -> tuple[TakeInfo, TakeInfo]:
    """The demo project with two known takes: A (330 Hz, clicks at 1.3 s and 2.0 s), B (550 Hz)."""
    open_project(qtbot, window, project_file)
    proj = window.doc.project
    assert proj.sample_rate == RATE
    d = proj.clip.duration
    a = TakeInfo(_take(tmp_path / "takes" / "a.wav", d, 330.0, (1.3, 2.0)), "takeA", "sampler", 1, RATE)
    b = TakeInfo(_take(tmp_path / "takes" / "b.wav", d, 550.0), "takeB", "sampler", 2, RATE)
    window.doc.edit("takes", [b, a], "Add test takes")  # A is the last one: selected and loaded
    qtbot.waitUntil(lambda: not window.runner.busy() and not window.generation.scores.busy(), timeout=60000)
    assert window.transport.player.available, window.transport.player.reason
    assert window.transport_bar.audio_label.text().endswith("audio")  # the bar says sound goes out
    return a, b


def _select(qtbot, window, take: TakeInfo) -> None:
    window.takes_panel.select_path(take.path)
    qtbot.waitUntil(lambda: window.view.selected_take == take.path, timeout=5000)
    qtbot.waitUntil(lambda: "take:" + take.path in window.transport.mixer.tracks, timeout=30000)


def _ticks(window) -> list[tuple[float, float, int]]:
    """(monotonic time, transport position, frame the picture shows) at every playhead update."""
    got: list[tuple[float, float, int]] = []
    window.transport.positionChanged.connect(lambda p: got.append((time.monotonic(), p, window.video.frame)))
    return got


def test_take_is_heard_in_step_with_the_picture_and_ab_has_no_gap(qtbot, window, project_file, pulse_sink,
                                                                  tmp_path):
    a, b = _setup(qtbot, window, project_file, tmp_path)
    tr, panel = window.transport, window.takes_panel
    window.transport_bar.b_guide_mute.click()  # guide off: only the take is heard
    assert window.view.guide_muted
    _select(qtbot, window, a)
    ticks = _ticks(window)
    rec = Recorder(pulse_sink.rate).start()
    qtbot.mouseClick(panel.b_play, Qt.LeftButton)  # Play: take A from the start
    qtbot.waitUntil(lambda: tr.position > 2.5, timeout=10000)
    switch_at = time.monotonic()
    assert "take:" + b.path not in tr.mixer.tracks  # B was never heard: it loads on the switch
    qtbot.mouseClick(panel.b_ab, Qt.LeftButton)  # A/B while playing
    assert window.view.selected_take == b.path
    qtbot.waitUntil(lambda: "take:" + b.path in tr.mixer.tracks, timeout=30000)  # A plays on meanwhile
    heard_b = tr.position + 0.6
    qtbot.waitUntil(lambda: tr.position > heard_b, timeout=10000)
    qtbot.keyClick(window, Qt.Key_Space)  # stop
    stopped_at = time.monotonic()
    qtbot.wait(150)
    x = rec.stop()
    assert not tr.playing and tr.player.callbacks > 20  # the audio callback fed the device

    # what came out is take A: its click, then 0.5 s of it matching the file sample for sample
    click = onsets(x[:, 0], 0.6, RATE // 10)
    assert len(click) >= 2, "the clicks of take A were not heard"
    k = click[1]  # the click at 2.0 s
    heard = x[k - RATE // 2:k, 0].astype(np.float64)
    import soundfile as sf

    ref = sf.read(a.path, dtype="float32")[0][int(1.5 * RATE):int(2.0 * RATE), 0].astype(np.float64)
    corr = float(np.corrcoef(heard, ref)[0, 1])
    assert corr > 0.99, corr
    assert (click[1] - click[0]) / RATE == pytest.approx(0.7, abs=0.003)

    # the picture at the moment the click at 2.0 s is heard: the playhead every view follows
    # (the audio clock, read at each ~60 Hz update) against the capture time of the click
    heard_at = rec.time_of(k)
    tt = np.array([(t, p) for t, p, _f in ticks])
    clock = float(np.interp(heard_at, tt[:, 0], tt[:, 1]))
    shown = [f for t, _p, f in ticks if t <= heard_at][-1]  # late when the GUI thread is busy
    offset_ms = (clock - 2.0) * 1000.0
    frame_ms = 1000.0 / tr.fps
    print(f"\npicture/audio offset at the click: {offset_ms:+.1f} ms; playhead frame {tr.frame_of(clock)}, "
          f"last picture update before it frame {shown}, click frame {tr.frame_of(2.0)}")
    assert abs(offset_ms) <= frame_ms
    assert abs(tr.frame_of(clock) - tr.frame_of(2.0)) <= 1 and tr.frame_of(2.0) - 3 <= shown <= tr.frame_of(2.0)

    # A/B: 330 Hz before, 550 Hz after, and never silence in between
    sw = rec.index_at(switch_at)
    end = rec.index_at(stopped_at) - RATE // 50
    assert dominant_hz(x[sw - RATE // 4:sw]) == pytest.approx(330, abs=5)
    assert dominant_hz(x[end - RATE // 4:end]) == pytest.approx(550, abs=5)
    gap = longest_silence(x[k + RATE // 10:end])
    print(f"A/B: longest silence around the switch {1000 * gap / RATE:.2f} ms")
    assert 1000 * gap / RATE < GAP_LIMIT_MS


def test_loop_wraps_and_levels_scale_what_is_heard(qtbot, window, project_file, pulse_sink, tmp_path):
    a, b = _setup(qtbot, window, project_file, tmp_path)
    tr, bar = window.transport, window.transport_bar
    window.transport_bar.b_guide_mute.click()
    _select(qtbot, window, a)

    # loop 1.0-1.6 s (I / O keys); the click at 1.3 s comes back every 0.6 s
    tr.seek(1.0)
    qtbot.keyClick(window, Qt.Key_I)
    tr.seek(1.6)
    qtbot.keyClick(window, Qt.Key_O)
    tr.seek(1.0)
    ticks = _ticks(window)
    rec = Recorder(pulse_sink.rate).start()
    qtbot.keyClick(window, Qt.Key_Space)
    qtbot.wait(2300)
    qtbot.keyClick(window, Qt.Key_Space)
    qtbot.wait(100)
    x = rec.stop()
    clicks = onsets(x[:, 0], 0.6, RATE // 10)
    periods = np.diff(clicks) / RATE
    print(f"\nloop: clicks every {np.round(periods, 4).tolist()} s (loop 0.6 s)")
    assert len(clicks) >= 3 and np.allclose(periods, 0.6, atol=0.002)
    positions = [p for _t, p, _f in ticks]
    assert min(positions) >= 1.0 - 1e-6 and max(positions) <= 1.6 + 0.02
    assert 1000 * longest_silence(x[clicks[0]:clicks[-1]]) / RATE < GAP_LIMIT_MS  # wraps without a gap
    qtbot.keyClick(window, Qt.Key_L, Qt.ControlModifier)  # loop off
    assert not tr.loop_enabled

    # take level: 100 then 50 on the Take slider while it plays -> -6.02 dB
    measured = {}
    for name, slider in (("take", bar.take_gain), ("guide", bar.guide_gain)):
        if name == "guide":  # the guide alone: a known 220 Hz tone in place of the clip's sound
            from stereosync_studio.dsp.peaks import waveform_peaks

            t = np.arange(int(tr.duration * RATE)) / RATE
            g = np.repeat((AMP * np.sin(2 * np.pi * 220 * t))[None].astype(np.float32), 2, 0)
            window.view.guide = (g, waveform_peaks(g, RATE))
            bar.b_guide_mute.click()
            assert not window.view.guide_muted
            bar.take_gain.setValue(0)
        slider.setValue(100)
        tr.seek(0.2)
        rec = Recorder(pulse_sink.rate).start()
        qtbot.keyClick(window, Qt.Key_Space)
        qtbot.waitUntil(lambda: tr.position > 0.7, timeout=10000)
        full_at = time.monotonic()
        slider.setValue(50)
        changed_at = time.monotonic()
        qtbot.waitUntil(lambda: tr.position > 1.35, timeout=10000)
        qtbot.keyClick(window, Qt.Key_Space)
        x = rec.stop()
        # the change is heard one output latency (~0.1 s) later: measure well clear of it
        before = x[rec.index_at(full_at) - RATE // 4:rec.index_at(full_at)]
        after = x[rec.index_at(changed_at) + RATE * 3 // 10:rec.index_at(changed_at) + RATE // 2]
        hz = 330 if name == "take" else 220
        assert dominant_hz(before) == pytest.approx(hz, abs=5) and dominant_hz(after) == pytest.approx(hz, abs=5)
        measured[name] = (rms_db(before), rms_db(after) - rms_db(before))
    print("levels: " + ", ".join(f"{k} at 100: {v[0]:.2f} dBFS, at 50: {v[1]:+.2f} dB" for k, v in measured.items()))
    full = 20 * np.log10(AMP / np.sqrt(2))
    for name, (level, step) in measured.items():
        assert level == pytest.approx(full, abs=0.5), name  # unity gain end to end
        assert step == pytest.approx(-6.02, abs=0.5), name

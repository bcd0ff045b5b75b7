"""Transport: the playhead every view follows, play/stop, J/K/L shuttle, frame steps, loop in/out.

While playing, a ~60 Hz timer reads the Player's clock (the audio device's sample count when
sound is going out) and publishes `positionChanged`; the picture and the lanes only follow it,
so audio and video cannot drift apart.

Frames are numbered from 0 to `last_frame`, as in the project file. The playhead never parks
past the start of the last frame: End, a click beyond the clip and the end of playback all
land on it, so the frame shown and the time shown agree.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QObject, QTimer, Signal

from ..core.timebase import timecode
from .audition import Mixer, Player

SHUTTLE_RATES = (1.0, 2.0, 4.0, 8.0)


class Transport(QObject):
    positionChanged = Signal(float)
    playingChanged = Signal(bool)
    loopChanged = Signal()
    rateChanged = Signal(float)

    def __init__(self, mixer: Mixer | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.mixer = mixer or Mixer()
        self.player = Player(self.mixer)
        self.fps = 25.0
        self.duration = 0.0
        self.position = 0.0
        self.loop_in: float | None = None
        self.loop_out: float | None = None
        self.loop_enabled = False
        self._timer = QTimer(self)
        self._timer.setInterval(16)
        self._timer.timeout.connect(self._tick)

    # -- setup -----------------------------------------------------------------------------------
    def set_clip(self, fps: float, duration: float) -> None:
        self.stop()
        self.fps, self.duration = float(fps or 25.0), float(duration)
        self.loop_in = self.loop_out = None
        self.loop_enabled = False
        self._sync_loop()
        self.seek(0.0)

    @property
    def playing(self) -> bool:
        return self.player.playing

    @property
    def rate(self) -> float:
        return self.player.rate if self.playing else 0.0

    @property
    def frame(self) -> int:
        return self.frame_of(self.position)

    @property
    def last_frame(self) -> int:
        """The number of the clip's last frame (frames count from 0)."""
        return max(int(math.ceil(self.duration * self.fps - 1e-6)) - 1, 0)

    @property
    def last_frame_time(self) -> float:
        """Where the last frame starts: the latest place the playhead parks."""
        return min(self.time_of_frame(self.last_frame), self.duration)

    def time_of_frame(self, frame: int) -> float:
        return (int(frame) + 1e-3) / self.fps

    def frame_of(self, seconds: float) -> int:
        return min(max(int(math.floor(seconds * self.fps + 1e-6)), 0), self.last_frame)

    def timecode(self) -> str:
        return timecode(self.position, self.fps)

    # -- motion ----------------------------------------------------------------------------------
    def seek(self, seconds: float) -> None:
        t = min(max(float(seconds), 0.0), self.last_frame_time)
        if self.playing:
            self.player.play(t, self.player.rate)
        else:
            self.player.park(t)
        self.position = t
        self.positionChanged.emit(t)

    def seek_frame(self, frame: int) -> None:
        self.seek(self.time_of_frame(frame))

    def play(self, rate: float = 1.0) -> None:
        if self.duration <= 0:
            return
        start = self.position
        if rate > 0 and start >= self.last_frame_time - 1e-3:  # at the end: play from the start
            start = self.loop_in if self.loop_enabled and self.loop_in is not None else 0.0
        self.player.play(start, rate)
        self._timer.start()
        self.playingChanged.emit(True)
        self.rateChanged.emit(rate)

    def stop(self) -> None:
        if not self.playing:
            return
        self._timer.stop()
        self.player.stop()
        self.position = min(max(self.player.position(), 0.0), self.last_frame_time)
        self.positionChanged.emit(self.position)
        self.playingChanged.emit(False)
        self.rateChanged.emit(0.0)

    def toggle(self) -> None:
        self.stop() if self.playing else self.play()

    def shuttle(self, direction: int) -> None:
        """L (direction 1) and J (-1): start, or step through 1x, 2x, 4x, 8x in that direction."""
        cur = self.rate
        if cur == 0 or math.copysign(1, cur) != direction:
            new = float(direction)
        else:
            speeds = [r for r in SHUTTLE_RATES if r > abs(cur)]
            new = direction * (speeds[0] if speeds else SHUTTLE_RATES[-1])
        self.stop()
        self.play(new)

    def step_frames(self, n: int) -> None:
        self.stop()
        self.seek_frame(self.frame + int(n))

    def step_seconds(self, s: float) -> None:
        self.stop()
        self.seek(self.position + s)

    def home(self) -> None:
        self.seek(0.0)

    def end(self) -> None:
        """The last frame (not one past it)."""
        self.stop()
        self.seek_frame(self.last_frame)

    # -- loop ------------------------------------------------------------------------------------
    def set_in(self, seconds: float | None = None) -> None:
        self.loop_in = self.position if seconds is None else float(seconds)
        if self.loop_out is not None and self.loop_out <= self.loop_in:
            self.loop_out = None
        self.loop_enabled = self.loop_out is not None
        self._sync_loop()

    def set_out(self, seconds: float | None = None) -> None:
        self.loop_out = self.position if seconds is None else float(seconds)
        if self.loop_in is None or self.loop_in >= self.loop_out:
            self.loop_in = 0.0 if self.loop_in is None or self.loop_in >= self.loop_out else self.loop_in
        self.loop_enabled = True
        self._sync_loop()

    def set_loop(self, a: float, b: float) -> None:
        self.loop_in, self.loop_out = min(a, b), max(a, b)
        self.loop_enabled = self.loop_out - self.loop_in > 1e-3
        self._sync_loop()

    def set_loop_enabled(self, on: bool) -> None:
        self.loop_enabled = bool(on) and self.loop_in is not None and self.loop_out is not None
        self._sync_loop()

    def clear_loop(self) -> None:
        self.loop_in = self.loop_out = None
        self.loop_enabled = False
        self._sync_loop()

    def _sync_loop(self) -> None:
        sr = self.mixer.sample_rate
        if self.loop_enabled and self.loop_in is not None and self.loop_out is not None:
            self.mixer.loop = (int(self.loop_in * sr), int(self.loop_out * sr))
        else:
            self.mixer.loop = None
        self.loopChanged.emit()

    # -- clock -----------------------------------------------------------------------------------
    def _tick(self) -> None:
        pos = self.player.position()
        if self.player.rate < 0 and self.loop_enabled and self.loop_in is not None and pos < self.loop_in:
            pos = self.loop_out or self.duration
            self.player.play(pos, self.player.rate)
        if pos >= self.duration or pos <= 0.0 and self.player.rate < 0:
            self.position = min(max(pos, 0.0), self.last_frame_time)  # parked on the last frame
            self._timer.stop()
            self.player.stop()
            self.player.park(self.position)
            self.positionChanged.emit(self.position)
            self.playingChanged.emit(False)
            self.rateChanged.emit(0.0)
            return
        self.position = pos
        self.positionChanged.emit(pos)


__all__ = ["Transport", "SHUTTLE_RATES"]

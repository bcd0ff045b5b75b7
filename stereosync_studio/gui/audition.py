"""Headphone audition: mix the guide track and takes, play them, and be the clock the picture follows.

Playback uses sounddevice (PortAudio). When it is missing or no output device exists, the
Studio still plays the picture from a wall clock and says once, in the status bar, why there is
no sound. The mixer is plain numpy and thread-safe, so the PortAudio callback only slices
arrays that were loaded beforehand (in a worker) and never touches Qt.

The clock the picture follows is the audio device's: each callback notes which sample starts
its buffer and when PortAudio says that buffer reaches the DAC (`outputBufferDacTime`, which
through PulseAudio/PipeWire includes the server's latency), and `Player.position()` runs on
from the newest such note. tests/test_audition_real.py plays through a PulseAudio null sink
and checks it against what the sink's monitor records: the picture is within one frame.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass
class MixTrack:
    """One audio track in the audition mix at the mixer's rate: (channels, samples), an array
    or anything sliced as `audio[:, a:b]` (a `media.audio.AudioFileView` reads a take from disk
    on demand); mono plays on both sides."""

    audio: Any
    gain: float = 1.0
    muted: bool = False
    solo: bool = False


class Mixer:
    """Sums tracks with gain/mute/solo from a play position; loops between in and out points."""

    def __init__(self, sample_rate: int = 48000) -> None:
        self.sample_rate = int(sample_rate)
        self.tracks: dict[str, MixTrack] = {}
        self.position = 0  # samples
        self.loop: tuple[int, int] | None = None
        self.block_start = 0  # the sample the last rendered block started at (after a loop wrap)
        self._lock = threading.Lock()

    def set_track(self, name: str, audio: Any, gain: float = 1.0) -> None:
        """Play `audio` ((channels, n) array or on-demand view, see MixTrack) as `name`; None removes it."""
        if audio is None:
            with self._lock:
                self.tracks.pop(name, None)
            return
        a = audio
        if isinstance(a, np.ndarray) or not hasattr(a, "shape"):  # converted outside the lock, never copied
            a = np.asarray(a, np.float32)  # when float32 already: (2, n) arrays are played as they are
            if a.ndim == 1:
                a = a[None, :]
        with self._lock:
            old = self.tracks.get(name)
            self.tracks[name] = MixTrack(a, gain, old.muted if old else False, old.solo if old else False)

    def set_gain(self, name: str, gain: float) -> None:
        with self._lock:
            if name in self.tracks:
                self.tracks[name].gain = float(gain)

    def set_flags(self, name: str, muted: bool | None = None, solo: bool | None = None) -> None:
        with self._lock:
            t = self.tracks.get(name)
            if t is not None:
                if muted is not None:
                    t.muted = bool(muted)
                if solo is not None:
                    t.solo = bool(solo)

    def seek(self, seconds: float) -> None:
        with self._lock:
            self.position = max(0, int(round(seconds * self.sample_rate)))

    def render(self, n: int) -> np.ndarray:
        """The next `n` frames as (n, 2) float32, advancing the position (wrapping at the loop)."""
        out = np.zeros((n, 2), np.float32)
        with self._lock:
            done = 0
            while done < n:
                stop = n - done
                if self.loop is not None and self.loop[1] > self.loop[0]:
                    if self.position >= self.loop[1] or self.position < self.loop[0]:
                        self.position = self.loop[0]
                    stop = min(stop, self.loop[1] - self.position)
                if done == 0:
                    self.block_start = self.position
                self._mix_into(out[done:done + stop], self.position)
                self.position += stop
                done += stop
        return out

    def _mix_into(self, out: np.ndarray, start: int) -> None:
        any_solo = any(t.solo for t in self.tracks.values())
        for t in self.tracks.values():
            if t.muted or (any_solo and not t.solo) or t.gain == 0.0:
                continue
            seg = t.audio[:, start:start + len(out)]  # (channels, m): one slice, no copy of the track
            m = seg.shape[1]
            if m:
                out[:m, 0] += seg[0] * np.float32(t.gain)
                out[:m, 1] += seg[min(1, seg.shape[0] - 1)] * np.float32(t.gain)
        np.clip(out, -1.0, 1.0, out=out)


def output_status() -> tuple[bool, str]:
    """(True, device name) when sound can be played, else (False, the reason in plain words)."""
    try:
        import sounddevice as sd
    except (ImportError, OSError) as exc:
        return False, f"no audio output: sound library unavailable ({exc}); install libportaudio2"
    try:
        dev = sd.query_devices(kind="output")
    except Exception as exc:  # PortAudioError when there is no device at all
        return False, f"no audio output device ({exc.__class__.__name__}: {exc})"
    if not dev:
        return False, "no audio output device found"
    return True, str(dev.get("name", "default output"))


OUTPUT_LATENCY_S = 0.1  # PortAudio's "low" (~9 ms) underruns through a sound server on a busy machine


class Player:
    """Plays a Mixer through sounddevice, or keeps time with a wall clock when it cannot.

    `position()` is the clock the video follows. While sound goes out it is the audio clock:
    the newest callback's first sample, heard at the DAC time PortAudio gave for it, plus the
    monotonic time since (wrapped at the loop). Until the first buffer is heard it stays at the
    start. Without sound it is monotonic time x rate.
    """

    def __init__(self, mixer: Mixer) -> None:
        self.mixer = mixer
        self.available, self.reason = output_status()
        self.playing = False
        self.rate = 1.0
        self._stream = None
        self._t0 = 0.0
        self._p0 = 0.0
        self._latency = 0.0
        self._anchor: tuple[int, float] | None = None  # (first sample of a buffer, monotonic time it is heard)
        self._first_heard = 0.0
        self.callbacks = 0  # buffers the device asked for since play (the audio callback ran)
        self.underruns = 0  # times the device ran dry since play (a gap was heard)
        self.audible = False  # True while sound actually goes out

    def play(self, position_s: float, rate: float = 1.0) -> None:
        self.stop()
        self.rate = float(rate)
        self.mixer.seek(position_s)
        self._p0, self._t0 = float(position_s), time.monotonic()
        self.playing = True
        self.audible = False
        if self.available and rate == 1.0:
            try:
                self._open_stream()
                self.audible = True
            except Exception as exc:  # device vanished, busy, ...
                self._stream = None
                self.available, self.reason = False, f"audio output failed: {exc}"

    def _open_stream(self) -> None:
        import sounddevice as sd

        self._anchor, self.callbacks, self.underruns = None, 0, 0

        def callback(outdata, frames, t, status):  # PortAudio thread: numpy only
            now = time.monotonic()
            if status.output_underflow:
                self.underruns += 1
            outdata[:] = self.mixer.render(frames)
            delay = t.outputBufferDacTime - t.currentTime if t.outputBufferDacTime > 0 else -1.0
            if not 0.0 <= delay < 2.0:  # a host API without timestamps: its nominal latency
                delay = self._latency
            if self._anchor is None:
                self._first_heard = now + delay
            self._anchor = (self.mixer.block_start, now + delay)
            self.callbacks += 1

        self._stream = sd.OutputStream(samplerate=self.mixer.sample_rate, channels=2, dtype="float32",
                                       callback=callback, latency=OUTPUT_LATENCY_S)
        self._latency = float(self._stream.latency or 0.0)
        self._stream.start()

    def stop(self) -> None:
        if self.playing:
            self._p0 = self.position()  # where the designer stopped it (what was heard)
        if self._stream is not None:
            try:
                self._stream.abort()
                self._stream.close()
            except Exception:
                pass
            self._stream = None
        self.playing = False
        self.audible = False

    def park(self, position_s: float) -> None:
        """Set the clock while stopped (a seek)."""
        self._p0 = float(position_s)
        self.mixer.seek(position_s)

    def position(self) -> float:
        if not self.playing:
            return self._p0
        sr = self.mixer.sample_rate
        loop = self.mixer.loop
        if self.audible:
            anchor, now = self._anchor, time.monotonic()
            if anchor is None or now < self._first_heard:
                return self._p0  # nothing heard yet: the picture waits for the sound
            pos = anchor[0] / sr + (now - anchor[1])
            if loop is not None and loop[1] > loop[0]:
                a, b = loop[0] / sr, loop[1] / sr
                if pos < a <= anchor[0] / sr:
                    pos += b - a  # still hearing the end of the loop before the wrap
                elif pos >= b:
                    pos = a + (pos - a) % (b - a)
            return max(0.0, pos)
        pos = self._p0 + (time.monotonic() - self._t0) * self.rate
        if loop is not None and loop[1] > loop[0] and self.rate > 0:
            a, b = loop[0] / sr, loop[1] / sr
            if pos >= b:
                pos = a + (pos - a) % (b - a)
        return max(0.0, pos)


__all__ = ["Mixer", "MixTrack", "Player", "output_status"]

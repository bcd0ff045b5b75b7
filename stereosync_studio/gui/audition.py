"""Headphone audition: mix the guide track and takes, play them, and be the clock the picture follows.

Playback uses sounddevice (PortAudio). When it is missing or no output device exists, the
Studio still plays the picture from a wall clock and says once, in the status bar, why there is
no sound. The mixer is plain numpy and thread-safe, so the PortAudio callback only slices
arrays that were loaded beforehand (in a worker) and never touches Qt.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import numpy as np


@dataclass
class MixTrack:
    """One audio track in the audition mix (stereo float32 at the mixer's rate)."""

    audio: np.ndarray
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
        self._lock = threading.Lock()

    def set_track(self, name: str, audio: np.ndarray | None, gain: float = 1.0) -> None:
        with self._lock:
            if audio is None:
                self.tracks.pop(name, None)
                return
            a = np.asarray(audio, np.float32)
            if a.ndim == 1:
                a = a[None, :]
            if a.shape[0] == 1:
                a = np.repeat(a, 2, axis=0)
            old = self.tracks.get(name)
            self.tracks[name] = MixTrack(np.ascontiguousarray(a[:2].T), gain,
                                         old.muted if old else False, old.solo if old else False)

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
                self._mix_into(out[done:done + stop], self.position)
                self.position += stop
                done += stop
        return out

    def _mix_into(self, out: np.ndarray, start: int) -> None:
        any_solo = any(t.solo for t in self.tracks.values())
        for t in self.tracks.values():
            if t.muted or (any_solo and not t.solo) or t.gain == 0.0:
                continue
            seg = t.audio[start:start + len(out)]
            if len(seg):
                out[:len(seg)] += seg * t.gain
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


class Player:
    """Plays a Mixer through sounddevice, or keeps time with a wall clock when it cannot.

    `position()` is the clock the video follows: while audio plays it counts the samples the
    callback has consumed (minus the device latency); otherwise it is monotonic time × rate.
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
                self.available, self.reason = False, f"audio output failed: {exc}"

    def _open_stream(self) -> None:
        import sounddevice as sd

        def callback(outdata, frames, _time, _status):  # PortAudio thread: numpy only
            outdata[:] = self.mixer.render(frames)

        self._stream = sd.OutputStream(samplerate=self.mixer.sample_rate, channels=2, dtype="float32",
                                       callback=callback, latency="low")
        self._latency = float(self._stream.latency or 0.0)
        self._stream.start()

    def stop(self) -> None:
        if self._stream is not None:
            try:
                self._stream.stop()
                self._stream.close()
            except Exception:
                pass
            self._stream = None
        if self.playing:
            self._p0 = self.position()
        self.playing = False
        self.audible = False

    def park(self, position_s: float) -> None:
        """Set the clock while stopped (a seek)."""
        self._p0 = float(position_s)
        self.mixer.seek(position_s)

    def position(self) -> float:
        if not self.playing:
            return self._p0
        if self.audible:
            return max(0.0, self.mixer.position / self.mixer.sample_rate - self._latency)
        pos = self._p0 + (time.monotonic() - self._t0) * self.rate
        loop = self.mixer.loop
        if loop is not None and loop[1] > loop[0] and self.rate > 0:
            a, b = loop[0] / self.mixer.sample_rate, loop[1] / self.mixer.sample_rate
            if pos >= b:
                pos = a + (pos - a) % (b - a)
        return max(0.0, pos)


__all__ = ["Mixer", "MixTrack", "Player", "output_status"]

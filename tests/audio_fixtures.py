"""A real audio path on a headless machine: a user-level PulseAudio daemon with a null sink.

`pulse_sink` (module scope) starts `pulseaudio` with a float32 48 kHz null sink in a private
runtime folder, points this process at it (PULSE_SERVER, no autospawn) and re-initialises
PortAudio, so `sounddevice`'s default device is ALSA's `pulse` plugin (Debian:
libasound2-plugins; the pulseaudio package makes it ALSA's default while a server runs).
What the Studio plays goes into the sink; `Recorder` records the sink's monitor through
PortAudio with the time each recorded sample was captured (the monotonic clock), so a test can
say what was heard and when. The tests skip, saying why, only where the daemon cannot start
(`make sysdeps` installs pulseaudio, pulseaudio-utils and libasound2-plugins).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest

SINK = "stereosync_test"
RATE = 48000


@dataclass
class PulseSink:
    folder: Path
    server: str
    sink: str = SINK
    rate: int = RATE
    device: str = ""  # PortAudio's default output while the sink runs


@dataclass
class Recorder:
    """Records the null sink's monitor (PortAudio input) with a capture time for every block."""

    rate: int = RATE
    blocks: list[np.ndarray] = field(default_factory=list)
    stamps: list[tuple[int, float]] = field(default_factory=list)  # (first sample, monotonic capture time)
    _n: int = 0
    _stream: object = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> "Recorder":
        import sounddevice as sd

        def callback(indata, frames, t, _status):
            now = time.monotonic()
            with self._lock:
                self.stamps.append((self._n, now - (t.currentTime - t.inputBufferAdcTime)))
                self.blocks.append(indata.copy())
                self._n += frames

        self._stream = sd.InputStream(samplerate=self.rate, channels=2, dtype="float32", callback=callback,
                                      latency=0.02)
        self._stream.start()
        return self

    def stop(self) -> np.ndarray:
        self._stream.stop()
        self._stream.close()
        return self.audio()

    def audio(self) -> np.ndarray:
        """(n, 2) float32: everything recorded so far."""
        with self._lock:
            return np.concatenate(self.blocks) if self.blocks else np.zeros((0, 2), np.float32)

    def time_of(self, index: int) -> float:
        """The monotonic time recorded sample `index` was captured (heard at the sink)."""
        with self._lock:
            firsts = np.array([s for s, _ in self.stamps])
            k = int(np.searchsorted(firsts, index, side="right")) - 1
            first, t = self.stamps[max(k, 0)]
        return t + (index - first) / self.rate

    def index_at(self, when: float) -> int:
        """The recorded sample captured at monotonic time `when`."""
        with self._lock:
            first, t = min(self.stamps, key=lambda st: abs(st[1] - when))
        return int(round(first + (when - t) * self.rate))


def _skip(why: str, log: Path | None = None) -> None:
    tail = ""
    if log is not None and log.is_file():
        tail = " | " + " ".join(log.read_text(errors="replace").strip().splitlines()[-3:])
    pytest.skip(f"no real audio path on this machine: {why}{tail}")


def _reinit_portaudio() -> None:
    import sounddevice as sd

    sd._terminate()  # PortAudio lists devices once, at initialisation: look again
    sd._initialize()


def _start_daemon(folder: Path, env: dict[str, str], socket: Path, log: Path) -> None:
    args = ["pulseaudio", "-n", "--daemonize=yes", "--exit-idle-time=-1", "--use-pid-file=yes",
            "--disallow-exit=no", "--disable-shm=yes", f"--log-target=file:{log}",
            "-L", f"module-null-sink sink_name={SINK} format=float32le rate={RATE} channels=2",
            "-L", f"module-native-protocol-unix auth-anonymous=1 socket={socket}"]
    try:
        r = subprocess.run(args, env=env, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as exc:
        _skip(f"pulseaudio did not start ({exc})", log)
    if r.returncode != 0:
        _skip(f"pulseaudio exited with {r.returncode}: {r.stderr.strip()[-200:]}", log)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if socket.exists() and subprocess.run(["pactl", "info"], env=env, capture_output=True).returncode == 0:
            return
        time.sleep(0.1)
    _stop_daemon(folder, env)
    _skip("pulseaudio started but its socket never answered", log)


def _stop_daemon(folder: Path, env: dict[str, str]) -> None:
    subprocess.run(["pactl", "exit"], env=env, capture_output=True, timeout=10)
    pid_file = folder / "run" / "pulse" / "pid"
    deadline = time.monotonic() + 5
    while pid_file.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    if pid_file.exists():  # it did not exit: end it by its own pid
        try:
            os.kill(int(pid_file.read_text().split()[0]), signal.SIGTERM)
        except (OSError, ValueError):
            pass


@pytest.fixture(scope="module")
def pulse_sink():
    """A running PulseAudio null sink that this process plays into (module scope)."""
    if shutil.which("pulseaudio") is None or shutil.which("pactl") is None or shutil.which("parec") is None:
        _skip("pulseaudio / pulseaudio-utils are not installed (make sysdeps installs them)")
    try:
        import sounddevice as sd
    except (ImportError, OSError) as exc:
        _skip(f"sounddevice/PortAudio unavailable ({exc}); install libportaudio2")
    folder = Path(tempfile.mkdtemp(prefix="ss-pulse-"))
    (folder / "run").mkdir(mode=0o700)
    (folder / "home").mkdir()
    conf = folder / "client.conf"
    conf.write_text("autospawn = no\n")
    socket, log = folder / "native", folder / "pulse.log"
    env = dict(os.environ, XDG_RUNTIME_DIR=str(folder / "run"), HOME=str(folder / "home"),
               PULSE_SERVER=f"unix:{socket}", PULSE_CLIENTCONFIG=str(conf))
    _start_daemon(folder, env, socket, log)
    keeper = None
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PULSE_SERVER", f"unix:{socket}")
        mp.setenv("PULSE_CLIENTCONFIG", str(conf))
        try:
            _reinit_portaudio()
            try:
                device = str(sd.query_devices(kind="output")["name"])
                sd.query_devices(kind="input")
            except Exception as exc:
                _skip(f"PortAudio finds no device on the PulseAudio server ({exc}); "
                      "ALSA's pulse plugin (libasound2-plugins) is missing?", log)
            # A low-latency client on the monitor keeps the null sink running in ~10 ms blocks; an
            # idle null sink sleeps up to 2 s before it notices a new stream (real sinks do not).
            keeper = subprocess.Popen(["parec", "-d", f"{SINK}.monitor", "--latency-msec=10", "--raw"],
                                      env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(2.2)
            yield PulseSink(folder, f"unix:{socket}", device=device)
        finally:
            if keeper is not None:
                keeper.terminate()
                keeper.wait(5)
            _stop_daemon(folder, env)
    _reinit_portaudio()  # the server is gone: PortAudio forgets its devices
    shutil.rmtree(folder, ignore_errors=True)


# -- what the recording says ------------------------------------------------------------------------
def onsets(x: np.ndarray, threshold: float, min_gap: int) -> list[int]:
    """Sample indices where |x| first rises above `threshold`, at least `min_gap` apart."""
    idx = np.flatnonzero(np.abs(x) > threshold)
    out: list[int] = []
    for i in idx:
        if not out or i - out[-1] >= min_gap:
            out.append(int(i))
    return out


def longest_silence(x: np.ndarray, floor: float = 1e-3) -> int:
    """The longest run of samples (all channels) below `floor`."""
    quiet = np.all(np.abs(x.reshape(len(x), -1)) < floor, axis=1).astype(np.int8)
    if not quiet.any():
        return 0
    edges = np.flatnonzero(np.diff(np.concatenate([[0], quiet, [0]])))
    return int((edges[1::2] - edges[::2]).max())


def rms_db(x: np.ndarray) -> float:
    return float(20 * np.log10(np.sqrt(np.mean(np.square(x, dtype=np.float64))) + 1e-12))


def dominant_hz(x: np.ndarray, rate: int = RATE) -> float:
    mono = x.reshape(len(x), -1).mean(axis=1)
    spec = np.abs(np.fft.rfft(mono * np.hanning(len(mono))))
    return float(np.fft.rfftfreq(len(mono), 1 / rate)[int(np.argmax(spec))])

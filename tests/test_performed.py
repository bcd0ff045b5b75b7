"""Performed envelopes: any audio file (a vocal 'tk tk tk', a rough Foley pass) gives envelope
and steps; the microphone is recorded through a virtual input (PulseAudio null sink)."""

from __future__ import annotations

import threading

import numpy as np
import pytest
import soundfile as sf

from stereosync_studio import jobs
from stereosync_studio.core.errors import InputError
from stereosync_studio.metrics.onsets import onset_f1
from tests.audio_fixtures import pulse_sink  # noqa: F401 (fixture)

SR = 48000
TIMES = [0.4, 0.93, 1.41, 1.95, 2.44, 2.98]


def vocal_tk(times=TIMES, seconds: float = 3.5, voiced: bool = False, seed: int = 0) -> np.ndarray:
    """A mouth imitating steps: 't' (a hiss burst) then 'k' (a darker burst) 60 ms later, or
    a voiced 'dum' (a 150 Hz buzz with a fast attack); mic hiss under it all."""
    rng = np.random.default_rng(seed)
    out = rng.normal(0, 1e-3, int(seconds * SR)).astype(np.float32)
    for t in times:
        i = int(t * SR)
        if voiced:
            n = int(0.18 * SR)
            tt = np.arange(n) / SR
            buzz = np.sign(np.sin(2 * np.pi * 150 * tt)) * np.exp(-tt / 0.06) * np.minimum(tt / 0.003, 1)
            out[i:i + n] += 0.3 * np.convolve(buzz, np.ones(8) / 8, mode="same").astype(np.float32)
            continue
        for delay, dark, amp in ((0.0, 1, 0.4), (0.06, 6, 0.25)):
            n = int(0.035 * SR)
            burst = np.convolve(rng.normal(0, 1, n), np.ones(dark) / dark, mode="same")
            burst *= np.exp(-np.arange(n) / (0.008 * SR))
            j = i + int(delay * SR)
            out[j:j + n] += (amp * burst).astype(np.float32)
    return out


@pytest.mark.parametrize("voiced", [False, True])
def test_an_audio_file_is_an_envelope_with_one_event_per_performed_step(tmp_path, voiced):
    path = tmp_path / "tk.wav"
    sf.write(path, vocal_tk(voiced=voiced), SR)
    env = jobs.performed_envelope(path, duration=4.0)
    assert env.origin == "performed" and env.duration == pytest.approx(4.0, abs=0.01)
    assert onset_f1(env.events, TIMES, 0.03)["f1"] == 1.0, env.events  # the 'k' is no second step
    assert float(env.values.max()) > 0.05
    quiet = env.at(np.array(TIMES[:-1]) + 0.3)  # between the steps the mic hiss is no level
    assert np.all(quiet < 0.02 * env.values.max())


def test_a_silent_or_stepless_performance_is_a_clear_error(tmp_path):
    silent = tmp_path / "silent.wav"
    sf.write(silent, np.zeros(SR, np.float32), SR)
    with pytest.raises(InputError, match="silent.wav: the performance is silent"):
        jobs.performed_envelope(silent)
    hum = tmp_path / "hum.wav"
    sf.write(hum, (0.2 * np.sin(2 * np.pi * 220 * np.arange(2 * SR) / SR)).astype(np.float32), SR)
    with pytest.raises(InputError, match="hum.wav: no steps found"):
        jobs.performed_envelope(hum)


def test_cli_envelope_from_an_audio_file(tmp_path, cache_dir):
    from stereosync_studio.cli import main
    from stereosync_studio.core.project import Project
    from tests.walker import cached_walker_clip

    clip = cached_walker_clip(cache_dir, scenario="crossing", duration=3.0, fps=25, size=(320, 240), seed=4)
    perf = tmp_path / "foley pass.wav"
    sf.write(perf, np.stack([vocal_tk(seconds=3.5)] * 2, axis=1), SR)
    saved = tmp_path / "p.stereosync.json"
    assert main(["-q", "analyze", clip.path, "--envelope", str(perf), "-o", str(tmp_path / "a.json"),
                 "--project", str(saved)]) == 0
    env = Project.load(saved).source().envelope
    assert env.origin == "performed" and env.duration == pytest.approx(3.0, abs=0.01)
    assert onset_f1(env.events, [t for t in TIMES if t < 3.0], 0.03)["f1"] == 1.0


def _record_while_playing(played: np.ndarray, seconds: float, latency_s: float | None):
    import sounddevice as sd

    result: dict = {}

    def record() -> None:
        result["env"], result["audio"] = jobs.record_envelope(seconds, latency_s=latency_s)

    worker = threading.Thread(target=record)
    worker.start()
    sd.play(np.stack([played, played], axis=1), SR)
    sd.wait()
    worker.join(20)
    return result["env"], result["audio"]


def test_record_from_a_virtual_microphone(pulse_sink):  # noqa: F811 (fixture)
    """What is played into the null sink is recorded from its monitor, as a microphone would be;
    the input latency is taken off the start, so the steps land where they were performed."""
    played = vocal_tk(seconds=3.2)
    env, audio = _record_while_playing(played, 4.0, None)
    assert len(audio) == 4 * SR and env.origin == "performed"
    assert len(env.events) == len(TIMES), env.events
    assert np.allclose(np.diff(env.events), np.diff(TIMES), atol=0.015)  # the performance, step for step
    assert -0.1 < env.events[0] - TIMES[0] < 0.5  # only the audio path's own delays remain
    late, _ = _record_while_playing(played, 4.0, 0.0)
    early, _ = _record_while_playing(played, 4.0, 0.3)
    shift = [min(late.events, key=lambda t: abs(t - e - 0.3)) - e for e in early.events]
    assert np.median(shift) == pytest.approx(0.3, abs=0.06)  # 0.3 s more taken off the start


class _FakeInput:
    """A sounddevice.InputStream stand-in: hands out `signal` block by block, with a latency."""

    def __init__(self, signal: np.ndarray, latency: float):
        self.signal, self.latency, self.pos = signal, latency, 0

    def __call__(self, **_kwargs):
        return self

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def read(self, n: int):
        block = np.zeros((n, 1), np.float32)
        part = self.signal[self.pos:self.pos + n]
        block[:len(part), 0] = part
        self.pos += n
        return block, False


def test_record_accounts_for_a_stream_that_opens_after_the_picture_started(monkeypatch):
    """The picture started 0.2 s before the input stream opened: the first 0.2 s of the
    performance were never heard, so the recording is shifted 0.2 s later (less the input
    latency the device reports): the steps stay where they were performed against the picture."""
    import time

    import sounddevice as sd

    played = vocal_tk(seconds=3.5)
    monkeypatch.setattr(sd, "InputStream", _FakeInput(played, 0.05))
    now, _ = jobs.record_envelope(3.5, SR, latency_s=None)
    monkeypatch.setattr(sd, "InputStream", _FakeInput(played, 0.05))
    late, _ = jobs.record_envelope(3.5, SR, latency_s=None, started_at=time.monotonic() - 0.2)
    assert len(now.events) == len(TIMES) and len(late.events) >= len(TIMES) - 1
    assert np.allclose(now.events, np.array(TIMES) - 0.05, atol=0.015)  # latency taken off the start
    shift = [min(late.events, key=lambda t: abs(t - e - 0.2)) - e for e in now.events[:-1]]
    assert np.median(shift) == pytest.approx(0.2, abs=0.01)

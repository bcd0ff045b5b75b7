"""RMS envelopes from audio (the papers' definition), from clips, and CSV in/out."""

from __future__ import annotations

import librosa
import numpy as np
import pytest
import soxr

from stereosync_studio.analysis.envelope_audio import (envelope_from_audio, envelope_from_clip,
                                                       envelope_from_csv, envelope_to_csv)
from stereosync_studio.core.envelope import ENVELOPE_RATE, Envelope
from stereosync_studio.core.errors import InputError
from stereosync_studio.media.video_writer import write_video
from tests.walker import cached_walker_clip

BURSTS = [0.5, 1.2, 2.0]


def _bursts(sr: int, seconds: float = 3.0, amp: float = 0.5, length: float = 0.05) -> np.ndarray:
    t = np.arange(int(seconds * sr)) / sr
    x = np.zeros_like(t)
    for b in BURSTS:
        on = (t >= b) & (t < b + length)
        x[on] = amp * np.sin(2 * np.pi * 1000 * t[on])
    return np.stack([x, 0.5 * x]).astype(np.float32)  # stereo, right quieter


def _peaks(env: Envelope) -> list[float]:
    v = env.values
    thr = 0.5 * v.max()
    above = v > thr
    starts = np.nonzero(above & ~np.r_[False, above[:-1]])[0]
    return [float(s / env.rate) for s in starts]


@pytest.mark.parametrize("sr", [48000, 44100, 22050])
def test_tone_bursts_show_up_at_their_times(sr):
    env = envelope_from_audio(_bursts(sr), sr)
    assert env.origin == "audio" and env.rate == ENVELOPE_RATE
    assert len(env.values) == int(round(3.0 * ENVELOPE_RATE)) + 1
    starts = _peaks(env)
    assert len(starts) == 3
    # a burst shows up within one analysis frame (512 samples ~ 11.6 ms) of its start
    np.testing.assert_allclose(starts, BURSTS, atol=0.012)
    # level: mono mix of (x, x/2) is 0.75 x; a 0.5 sine has RMS 0.5/sqrt(2)
    mid = env.at(np.array(BURSTS) + 0.025)
    np.testing.assert_allclose(mid, 0.75 * 0.5 / np.sqrt(2), rtol=0.03)
    assert env.at(0.3) < 1e-4 and env.at(2.8) < 1e-4


def test_matches_librosa_rms_exactly_at_44k():
    rng = np.random.default_rng(0)
    x = (rng.normal(0, 0.2, (2, 44100))).astype(np.float32)
    env = envelope_from_audio(x, 44100)
    ref = librosa.feature.rms(y=x.mean(0), frame_length=512, hop_length=128)[0]
    n = min(len(ref), len(env.values))
    np.testing.assert_allclose(env.values[:n], ref[:n], rtol=1e-5, atol=1e-7)
    # 48 kHz input is resampled (soxr) first: nearly the same curve
    x48 = soxr.resample(x.T, 44100, 48000).T
    env48 = envelope_from_audio(x48, 48000)
    m = min(len(env48.values), len(env.values)) - 2
    assert np.abs(env48.values[2:m] - env.values[2:m]).mean() < 0.01


def test_mono_input_clipping_and_silence():
    x = np.full(4410, 3.0, np.float32)  # far above full scale
    env = envelope_from_audio(x, 44100)
    assert env.values.max() == 1.0 and len(env.values) == int(round(0.1 * ENVELOPE_RATE)) + 1
    assert envelope_from_audio(np.zeros((2, 0), np.float32), 48000).values.tolist() == [0.0]
    assert envelope_from_audio(np.zeros((2, 4800), np.float32), 48000).values.max() == 0.0


def test_envelope_from_clip_follows_the_footsteps(cache_dir, tmp_path):
    truth = cached_walker_clip(cache_dir, scenario="crossing")
    env = envelope_from_clip(truth.path)
    assert env is not None and abs(env.duration - truth.duration) < 0.01
    hits = 0
    for t in truth.step_times:
        w = env.at(np.arange(t - 0.05, t + 0.05, 0.002))
        before = env.at(np.arange(t - 0.06, t - 0.015, 0.002)).max()
        after = env.at(np.arange(t + 0.005, t + 0.05, 0.002)).max()
        hits += after > 4 * before and w.max() > 0.02
    assert hits >= 0.9 * len(truth.step_times)
    silent = tmp_path / "silent.mp4"
    write_video(silent, [np.zeros((64, 64, 3), np.uint8)] * 5, 25)
    assert envelope_from_clip(silent) is None


def test_csv_round_trip(tmp_path):
    rng = np.random.default_rng(1)
    env = Envelope(rng.uniform(0, 1, 400).astype(np.float32), ENVELOPE_RATE, None, "audio")
    p = envelope_to_csv(env, tmp_path / "sub" / "env.csv")
    assert p.read_text().splitlines()[0] == "time_seconds,value"
    back = envelope_from_csv(p, env.duration - 1 / ENVELOPE_RATE)
    assert back.origin == "csv" and len(back.values) == len(env.values)
    np.testing.assert_allclose(back.values, env.values, atol=2e-6)
    assert not list(tmp_path.glob("sub/*.tmp"))  # written atomically


def test_csv_breakpoints_db_and_single_column(tmp_path):
    p = tmp_path / "points.csv"
    p.write_text("0,0\n1.0,1\n2.0,0.5\n")  # no header
    env = envelope_from_csv(p, 3.0)
    assert len(env.values) == int(round(3.0 * ENVELOPE_RATE)) + 1
    np.testing.assert_allclose(env.at([0.0, 0.5, 1.0, 1.5, 2.0, 2.5]), [0, 0.5, 1, 0.75, 0.5, 0.5], atol=0.01)

    db = tmp_path / "db.csv"
    db.write_text("time_seconds;level_db\n0;-60\n1;-6\n2;0\n")
    env = envelope_from_csv(db)
    np.testing.assert_allclose(env.at([0.0, 1.0, 1.999]), [0.001, 10 ** (-6 / 20), 1.0], rtol=1e-3)
    assert abs(env.duration - 2.0) < 0.01

    one = tmp_path / "one.csv"
    one.write_text("value\n" + "\n".join(["0.1", "0.9", "0.4"]) + "\n")
    env = envelope_from_csv(one)
    np.testing.assert_allclose(env.values, [0.1, 0.9, 0.4], atol=1e-6)
    assert len(envelope_from_csv(one, duration=1.0).values) == int(round(ENVELOPE_RATE)) + 1

    tabbed = tmp_path / "tab.csv"
    tabbed.write_text("# exported by a DAW\n0.0\t0.25\n0.5\t0.25\n")
    assert np.allclose(envelope_from_csv(tabbed).values, 0.25)


@pytest.mark.parametrize("content,line,words", [
    ("time,value\n0,0.1\n0.5,loud\n", 3, "not a number"),
    ("0,0.1\n0.5,0.2,7\n", 2, "column"),
    ("0,0.1\n0.5,1.7\n", 2, "outside 0..1"),
    ("0,0.1\n-1,0.2\n", 2, "negative"),
    ("0,0.1\n0.5,nan\n", 2, "finite"),
])
def test_bad_csv_names_file_and_line(tmp_path, content, line, words):
    p = tmp_path / "bad.csv"
    p.write_text(content)
    with pytest.raises(InputError) as exc:
        envelope_from_csv(p, 1.0)
    msg = str(exc.value)
    assert str(p) in msg and f"line {line}" in msg and words in msg


def test_unusable_csv_files(tmp_path):
    for name, content, words in [("empty.csv", "", "empty"), ("hdr.csv", "time,value\n", "no values"),
                                 ("cols.csv", "1,2,3\n", "columns")]:
        p = tmp_path / name
        p.write_text(content)
        with pytest.raises(InputError, match=words):
            envelope_from_csv(p)
    with pytest.raises(InputError, match="not found"):
        envelope_from_csv(tmp_path / "missing.csv")
    binary = tmp_path / "bin.csv"
    binary.write_bytes(b"\xff\xfe\x00\x81garbage")
    with pytest.raises(InputError):
        envelope_from_csv(binary)

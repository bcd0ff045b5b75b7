"""Media layer: probe, frame access, rotation, VFR, guide audio, audio files, BWF, preview mux.

Every clip is generated here with `write_video`. Each picture carries its own index as a row
of 7 black/white 16-px blocks (bit b of i at x = 16*b) plus a bright square moving 4 px per
frame, so a decoded picture can be identified after lossy H.264 coding.
"""

from __future__ import annotations

import random
import struct

import av
import cv2
import numpy as np
import pytest
import soundfile as sf

from stereosync_studio.core.errors import Cancelled, InputError
from stereosync_studio.core.progress import CancelToken
from stereosync_studio.media import audio as maudio
from stereosync_studio.media import bwf, mux, video
from stereosync_studio.media.video_writer import write_video

W, H, FPS, N = 320, 240, 25, 64
BITS = 7


def make_frame(i: int, w: int = W, h: int = H) -> np.ndarray:
    img = np.full((h, w, 3), 40, np.uint8)
    for b in range(BITS):
        img[:16, 16 * b:16 * (b + 1)] = 255 if (i >> b) & 1 else 0
    x = 8 + 4 * (i % 64)
    img[100:124, x:x + 16] = 255
    return img


def read_index(rgb: np.ndarray) -> int:
    """The frame number drawn by make_frame (block centres, thresholded)."""
    return sum(1 << b for b in range(BITS) if rgb[8, 16 * b + 8].mean() > 128)


def tone(sr: int, seconds: float, channels: int = 2, freq: float = 440.0) -> np.ndarray:
    t = np.arange(int(round(seconds * sr))) / sr
    x = 0.5 * np.sin(2 * np.pi * freq * t)
    ramp = min(len(t), int(0.02 * sr))  # soft start: AAC rings on a hard onset
    x[:ramp] *= np.linspace(0, 1, ramp)
    gains = np.linspace(1.0, 0.5, channels)[:, None] if channels > 1 else np.ones((1, 1))
    return (gains * x[None, :]).astype(np.float32)


def dominant_freq(x: np.ndarray, sr: int) -> float:
    spec = np.abs(np.fft.rfft(x * np.hanning(len(x))))
    return float(np.fft.rfftfreq(len(x), 1 / sr)[np.argmax(spec)])


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    d = tmp_path_factory.mktemp("clips")
    frames = [make_frame(i) for i in range(N)]
    sr = 44100
    out = {"dir": d, "frames": frames, "tone_sr": sr, "tone": tone(sr, N / FPS)}
    out["av"] = write_video(d / "av.mp4", frames, FPS, audio=out["tone"], sample_rate=sr, gop=16)
    out["mute"] = write_video(d / "mute.mp4", np.stack(frames), FPS)
    return out


# ---- probe / frames ---------------------------------------------------------------------------
def test_probe_numbers(clips):
    info = video.probe(clips["av"])
    assert (info.width, info.height, info.n_frames, info.rotation) == (W, H, N, 0)
    assert info.fps == pytest.approx(FPS)
    assert info.duration == pytest.approx(N / FPS, abs=1e-6)
    assert info.has_audio and not info.variable_frame_rate
    mute = video.probe(clips["mute"])
    assert not mute.has_audio and mute.n_frames == N


def test_frame_at_random_access_matches_sequential(clips):
    with video.VideoReader(clips["av"], cache_size=8) as r:
        seq = list(r.iter_frames())
        assert [i for i, _, _ in seq] == list(range(N))
        assert [read_index(f) for _, _, f in seq] == list(range(N))
        np.testing.assert_allclose([t for _, t, _ in seq], np.arange(N) / FPS, atol=1e-6)
        order = list(range(N))
        random.Random(3).shuffle(order)
        for i in order:
            f = r.frame_at(i)
            assert f.shape == (H, W, 3) and f.dtype == np.uint8
            assert np.array_equal(f, seq[i][2]), f"frame {i} differs from sequential decode"
        # Sequential access after a jump: one seek at most, then decode forward only.
        seeks = r.seeks
        for i in range(5, N):
            assert read_index(r.frame_at(i)) == i
        assert r.seeks - seeks <= 1
        # The returned array is the caller's to edit: the cache must not change.
        f = r.frame_at(N - 1)
        f[:] = 0
        assert read_index(r.frame_at(N - 1)) == N - 1


def test_iter_frames_range_and_scale(clips):
    with video.VideoReader(clips["av"]) as r:
        assert sum(1 for _ in r.iter_frames()) == r.info.n_frames == N
        part = list(r.iter_frames(start=21, stop=37))
        assert [i for i, _, _ in part] == list(range(21, 37))
        assert [read_index(f) for _, _, f in part] == list(range(21, 37))
        full = {i: f for i, _, f in r.iter_frames(start=30, stop=34)}
        half = list(r.iter_frames(start=30, stop=34, scale=0.5))
        for i, _, f in half:
            assert f.shape == (H // 2, W // 2, 3)
            expect = cv2.resize(full[i], (W // 2, H // 2), interpolation=cv2.INTER_AREA)
            assert np.array_equal(f, expect)
        assert list(r.iter_frames(start=N, stop=N + 5)) == []


def test_frame_at_time_and_bounds(clips):
    with video.VideoReader(clips["av"]) as r:
        for i in (0, 7, 33, N - 1):
            assert read_index(r.frame_at_time(i / FPS)) == i
            assert read_index(r.frame_at_time((i + 0.6) / FPS)) == i
        assert r.index_at_time(-3.0) == 0 and r.index_at_time(1e6) == N - 1
        with pytest.raises(IndexError):
            r.frame_at(N)


@pytest.mark.parametrize("rotation", [90, 270])
def test_rotation_metadata_turns_frames_upright(tmp_path, rotation):
    coded = np.full((H, W, 3), 40, np.uint8)
    coded[:32, :48] = (255, 0, 0)  # red marker in the coded top-left corner
    path = write_video(tmp_path / "rot.mp4", [coded] * 6, FPS, rotation=rotation)
    info = video.probe(path)
    assert info.rotation == rotation and (info.width, info.height) == (H, W)
    with video.VideoReader(path) as r:
        f = r.frame_at(3)
        assert f.shape == (W, H, 3)
        red = (f[..., 0] > 200) & (f[..., 1] < 60)
        ys, xs = np.nonzero(red)
        # The 48x32 (w x h) marker turns into a 32x48 one. Clockwise 90: top-left goes to
        # top-right; 270: to bottom-left.
        if rotation == 90:
            assert ys.max() < 52 and xs.min() > H - 36
        else:
            assert ys.min() > W - 52 and xs.max() < 36
        assert 1200 < red.sum() < 1900
        assert np.array_equal(next(r.iter_frames(start=3))[2], f)


def test_rotate_frame_on_arrays():
    a = np.arange(6).reshape(2, 3)
    assert np.array_equal(video.rotate_frame(a, 90), [[3, 0], [4, 1], [5, 2]])
    assert np.array_equal(video.rotate_frame(a, 180), a[::-1, ::-1])
    assert np.array_equal(video.rotate_frame(a, 270), [[2, 5], [1, 4], [0, 3]])
    assert video.rotate_frame(a, 0) is a


def test_variable_frame_rate(tmp_path):
    rng = np.random.default_rng(1)
    steps = rng.choice([1 / 30, 1 / 20, 1 / 45], size=39)
    pts = np.r_[0.0, np.cumsum(steps)]
    frames = [make_frame(i) for i in range(len(pts))]
    path = write_video(tmp_path / "vfr.mp4", frames, 30, pts_seconds=pts)
    info = video.probe(path)
    assert info.variable_frame_rate and info.n_frames == len(pts)
    assert info.fps == pytest.approx(info.n_frames / info.duration)
    assert info.duration == pytest.approx(pts[-1] + np.median(steps), abs=0.01)
    with video.VideoReader(path) as r:
        np.testing.assert_allclose(r.times, pts, atol=1e-4)
        got = [(i, t, read_index(f)) for i, t, f in r.iter_frames()]
        assert [g[2] for g in got] == list(range(len(pts)))
        np.testing.assert_allclose([g[1] for g in got], pts, atol=1e-4)
        for k in (5, 17, 38):
            assert read_index(r.frame_at_time(pts[k] + 0.3 * steps[k])) == k
    assert not video.probe(write_video(tmp_path / "cfr.mp4", frames[:10], 30)).variable_frame_rate


def _remux(src, dst, fmt):
    with av.open(str(src)) as s, av.open(str(dst), "w", format=fmt) as d:
        vs = d.add_stream_from_template(s.streams.video[0])
        for p in s.demux(s.streams.video[0]):
            if p.dts is not None:
                p.stream = vs
                d.mux(p)
    return dst


@pytest.mark.parametrize("fmt,ext", [("matroska", "mkv"), ("mov", "mov"), ("mpegts", "ts")])
def test_other_containers_ntsc_rate(tmp_path, fmt, ext):
    """29.97 fps H.264 with B-frames in containers with other time bases and seek rules
    (mkv rounds to 1 ms; MPEG-TS seeks on dts, not pts)."""
    src = write_video(tmp_path / "n.mp4", [make_frame(i) for i in range(60)], 30000 / 1001, gop=12)
    path = _remux(src, tmp_path / f"n.{ext}", fmt)
    info = video.probe(path)
    assert info.n_frames == 60 and not info.variable_frame_rate
    assert info.fps == pytest.approx(30000 / 1001, rel=1e-3)
    with video.VideoReader(path) as r:
        assert [read_index(f) for _, _, f in r.iter_frames(start=25)] == list(range(25, 60))
        for i in (41, 3, 59, 0, 24, 25, 13):
            assert read_index(r.frame_at(i)) == i
        for i in range(0, 60, 7):
            assert read_index(r.frame_at_time(i * 1001 / 30000)) == i


def _encode_with(path, codec, fmt, pix_fmt, n=20, options=None):
    c = av.open(str(path), "w", format=fmt)
    s = c.add_stream(codec, rate=FPS)
    s.width, s.height, s.pix_fmt = W, H, pix_fmt
    s.options = options or {}
    for i in range(n):
        for p in s.encode(av.VideoFrame.from_ndarray(make_frame(i), format="rgb24")):
            c.mux(p)
    for p in s.encode():
        c.mux(p)
    c.close()
    return path


@pytest.mark.parametrize("codec,fmt,ext,pix,copied", [
    ("libvpx-vp9", "webm", "webm", "yuv420p", True), ("mjpeg", "avi", "avi", "yuvj420p", False),
])
def test_other_codecs_read_and_preview(tmp_path, codec, fmt, ext, pix, copied):
    if codec not in av.codecs_available:
        pytest.skip(f"this FFmpeg build has no {codec} encoder")
    opts = {"deadline": "realtime", "cpu-used": "8", "crf": "20", "b": "0"} if "vpx" in codec else {}
    path = _encode_with(tmp_path / f"c.{ext}", codec, fmt, pix, options=opts)
    with video.VideoReader(path) as r:
        assert r.info.n_frames == 20
        assert [read_index(r.frame_at(i)) for i in (13, 2, 19, 0)] == [13, 2, 19, 0]
    out = mux.mux_preview(path, tone(48000, 0.8), 48000, tmp_path / "p.mp4")
    with av.open(str(out)) as c:
        name = c.streams.video[0].codec_context.name
    # Codecs players take in mp4 are copied; others (MJPEG) are re-encoded as H.264.
    assert name == (codec.replace("libvpx-", "") if copied else "h264")
    with video.VideoReader(out) as r:
        assert r.info.n_frames == 20 and read_index(r.frame_at(11)) == 11


# ---- guide audio ------------------------------------------------------------------------------
@pytest.mark.parametrize("sr,channels", [(44100, 2), (22050, 1), (48000, 2)])
def test_guide_audio_round_trip(tmp_path, sr, channels):
    x = tone(sr, 1.6, channels)
    path = write_video(tmp_path / "g.mp4", [make_frame(i) for i in range(40)], FPS,
                       audio=x, sample_rate=sr)
    g = video.read_guide_audio(path, sample_rate=48000)
    assert g.dtype == np.float32 and g.shape == (2, round(40 / FPS * 48000))
    ref = maudio.resample(maudio.to_stereo(x), sr, 48000)
    n = min(ref.shape[1], g.shape[1]) - 2048
    for ch in range(2):
        c = np.corrcoef(ref[ch, 2048:n], g[ch, 2048:n])[0, 1]
        assert c > 0.99, f"channel {ch} correlation {c:.3f}"
    if channels == 2:  # left/right kept apart (right was written 6 dB lower)
        ratio = np.abs(g[1, 2048:n]).max() / np.abs(g[0, 2048:n]).max()
        assert ratio == pytest.approx(0.5, abs=0.05)
    else:
        assert np.allclose(g[0], g[1])


def test_guide_audio_from_the_stream_that_has_sound(tmp_path, caplog):
    """A camera file with two audio streams, the first silent: the guide is the other one's
    (it was read from the first and came back silent, steps then from the picture alone)."""
    from fractions import Fraction

    path = tmp_path / "two_streams.mkv"
    sound = tone(48000, 1.0)
    with av.open(str(path), "w") as c:
        vs = c.add_stream("mpeg4", rate=25)
        vs.width, vs.height, vs.pix_fmt = 64, 48, "yuv420p"
        streams = [c.add_stream("pcm_s16le", rate=48000, layout="stereo") for _ in range(2)]
        for i in range(25):
            f = av.VideoFrame.from_ndarray(np.full((48, 64, 3), 8 * i, np.uint8), format="rgb24")
            f.pts, f.time_base = i, Fraction(1, 25)
            for pk in vs.encode(f):
                c.mux(pk)
        for s, audio in zip(streams, (np.zeros_like(sound), sound)):
            for a in range(0, audio.shape[1], 1024):
                fr = av.AudioFrame.from_ndarray(np.ascontiguousarray(
                    (audio[:, a:a + 1024] * 32767).astype(np.int16).T.reshape(1, -1)), format="s16", layout="stereo")
                fr.sample_rate, fr.pts = 48000, a
                for pk in s.encode(fr):
                    c.mux(pk)
        for s in (vs, *streams):
            for pk in s.encode():
                c.mux(pk)
    with caplog.at_level("WARNING"):
        guide = video.read_guide_audio(path)
    assert guide is not None and np.abs(guide).max() > 0.1
    assert "silent" in caplog.text and "two_streams.mkv" in caplog.text


def test_guide_audio_none_without_audio(clips):
    assert video.read_guide_audio(clips["mute"]) is None


# ---- audio files ------------------------------------------------------------------------------
@pytest.mark.parametrize("fmt,channels,sr", [
    ("wav", 1, 22050), ("wav", 6, 48000), ("flac", 2, 96000), ("flac", 6, 22050),
    ("ogg", 1, 22050), ("ogg", 2, 44100),
])
def test_read_audio_soundfile_formats(tmp_path, fmt, channels, sr):
    x = tone(sr, 0.5, channels)
    path = tmp_path / f"t.{fmt}"
    sf.write(path, x.T, sr, subtype={"wav": "PCM_16", "flac": "PCM_24", "ogg": "VORBIS"}[fmt])
    a, got_sr = maudio.read_audio(path)
    assert got_sr == sr and a.shape[0] == channels and a.dtype == np.float32
    if fmt == "ogg":
        assert abs(a.shape[1] - x.shape[1]) < 0.01 * sr
        assert dominant_freq(a[0], sr) == pytest.approx(440, abs=3)
    else:
        assert a.shape == x.shape and np.abs(a - x).max() < 1e-4
    b, sr48 = maudio.read_audio(path, sample_rate=48000)
    assert sr48 == 48000 and abs(b.shape[1] - a.shape[1] * 48000 / sr) <= 2
    assert dominant_freq(b[0], 48000) == pytest.approx(440, abs=3)


def _write_with_av(path, x: np.ndarray, sr: int, codec: str, fmt: str) -> None:
    layout = "mono" if x.shape[0] == 1 else "stereo"
    c = av.open(str(path), "w", format=fmt)
    s = c.add_stream(codec, rate=sr, layout=layout)
    for pos in range(0, x.shape[1], 1152):
        block = x[:, pos:pos + 1152]
        fr = av.AudioFrame.from_ndarray(np.ascontiguousarray(block), format="fltp", layout=layout)
        fr.sample_rate, fr.pts = sr, pos
        for p in s.encode(fr):
            c.mux(p)
    for p in s.encode():
        c.mux(p)
    c.close()


@pytest.mark.parametrize("codec,fmt,ext,channels,sr", [
    ("libmp3lame", "mp3", "mp3", 2, 44100), ("libmp3lame", "mp3", "mp3", 1, 22050),
    ("aac", "ipod", "m4a", 2, 48000),  # m4a: soundfile cannot read it, the PyAV path does
])
def test_read_audio_compressed(tmp_path, codec, fmt, ext, channels, sr):
    if codec not in av.codecs_available:
        pytest.skip(f"this FFmpeg build has no {codec} encoder")
    x = tone(sr, 1.0, channels)
    path = tmp_path / f"t.{ext}"
    try:
        _write_with_av(path, x, sr, codec, fmt)
    except (av.error.FFmpegError, ValueError) as exc:
        pytest.skip(f"cannot author {ext} here: {exc}")
    a, got_sr = maudio.read_audio(path)
    assert got_sr == sr and a.shape[0] == channels
    assert abs(a.shape[1] - x.shape[1]) < 0.1 * sr
    assert dominant_freq(a[0], sr) == pytest.approx(440, abs=3)
    peak = np.abs(a[0, sr // 4:3 * sr // 4]).max()
    assert peak == pytest.approx(0.5, abs=0.05)


def test_read_audio_from_video_file(clips):
    a, sr = maudio.read_audio(clips["av"])
    assert sr == clips["tone_sr"] and a.shape[0] == 2
    assert dominant_freq(a[0], sr) == pytest.approx(440, abs=3)


def test_channel_helpers():
    x = np.stack([np.full(10, v, np.float32) for v in (1.0, 0.5, 0.2, 0.9, 0.4, 0.3)])
    s = maudio.to_stereo(x)  # 5.1: L R C LFE Ls Rs
    g = 2 ** -0.5
    norm = 1 + 2 * g
    assert s.shape == (2, 10)
    assert s[0, 0] == pytest.approx((1.0 + g * 0.2 + g * 0.4) / norm, rel=1e-5)
    assert s[1, 0] == pytest.approx((0.5 + g * 0.2 + g * 0.3) / norm, rel=1e-5)
    assert np.array_equal(maudio.to_stereo(x[:1]), np.repeat(x[:1], 2, axis=0))
    assert maudio.to_mono(x[:2])[0, 0] == pytest.approx(0.75)
    assert maudio.to_mono(np.ones(5)).shape == (1, 5)
    r = maudio.resample(tone(44100, 1.0), 44100, 48000)
    assert r.shape == (2, 48000) and dominant_freq(r[0], 48000) == pytest.approx(440, abs=2)
    assert maudio.resample(np.zeros(441, np.float32), 44100, 48000).shape == (480,)


# ---- WAV / BWF --------------------------------------------------------------------------------
def test_write_wav_24bit_round_trip_with_bext(tmp_path):
    x = np.random.default_rng(0).uniform(-0.99, 0.99, (2, 48000)).astype(np.float32)
    tr = 48000 * 3600 * 25  # 25 h in samples: needs the high 32 bits
    path = maudio.write_wav(tmp_path / "take.wav", x, 48000, bits=24, time_reference=tr,
                            description="walker take 3")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["take.wav"]  # no temp file left
    y, sr = sf.read(path, dtype="float32", always_2d=True)
    info = sf.info(path)
    assert sr == 48000 and info.subtype == "PCM_24" and y.shape == (48000, 2)
    assert np.abs(y.T - x).max() < 2 ** -23 * 1.01  # one 24-bit step
    b = bwf.read_bext(path)
    assert b["time_reference"] == tr and tr > 2 ** 32
    assert b["description"] == "walker take 3" and b["originator"] == "StereoSync Studio"
    assert b["version"] == 1 and "F=48000,W=24,M=stereo" in b["coding_history"]
    assert len(b["origination_date"]) == 10 and len(b["origination_time"]) == 8
    raw = path.read_bytes()
    assert struct.unpack_from("<I", raw, 4)[0] == len(raw) - 8
    assert raw.index(b"bext") < raw.index(b"data")


@pytest.mark.parametrize("bits,subtype,tol", [(16, "PCM_16", 2 ** -15 * 1.01), (32, "FLOAT", 0.0)])
def test_write_wav_other_depths(tmp_path, bits, subtype, tol):
    x = tone(44100, 0.3, 1)
    path = maudio.write_wav(tmp_path / "m.wav", x, 44100, bits=bits, time_reference=123)
    y, sr = sf.read(path, dtype="float32", always_2d=True)
    assert sf.info(path).subtype == subtype and sr == 44100
    assert np.abs(y.T - x).max() <= tol
    assert bwf.read_bext(path)["time_reference"] == 123


def test_write_wav_clips_and_overwrites(tmp_path):
    path = tmp_path / "c.wav"
    maudio.write_wav(path, np.zeros((2, 100), np.float32), 48000)
    maudio.write_wav(path, np.array([[1.7, -2.0, 0.5]], np.float32), 48000, bits=16)
    y, _ = sf.read(path, dtype="float32")
    assert y.shape == (3,) and y.max() <= 1.0 and y.min() >= -1.0 and y[2] == pytest.approx(0.5, abs=1e-4)
    with pytest.raises(InputError, match="c.wav"):
        maudio.write_wav(path, np.array([[np.nan, 0.0]], np.float32), 48000)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.wav"]


def test_bext_splice_replaces_and_read_bext_none(tmp_path):
    plain = tmp_path / "plain.wav"
    sf.write(plain, np.zeros(10, np.float32), 8000)
    assert bwf.read_bext(plain) is None
    twice = bwf.add_bext(bwf.add_bext(plain.read_bytes(), time_reference=5), time_reference=7)
    assert twice.count(b"bext") == 1
    (tmp_path / "b.wav").write_bytes(twice)
    assert bwf.read_bext(tmp_path / "b.wav")["time_reference"] == 7
    assert sf.read(tmp_path / "b.wav")[0].shape == (10,)
    with pytest.raises(ValueError):
        bwf.add_bext(b"not a wav at all")


# ---- bad inputs -------------------------------------------------------------------------------
def test_probe_rejects_bad_files(clips, tmp_path):
    data = clips["av"].read_bytes()
    cases = {
        "trunc.mp4": data[: int(len(data) * 0.3)],
        "notes.mp4": b"this is a text file, not a movie\n" * 40,
        "empty.mp4": b"",
    }
    for name, content in cases.items():
        (tmp_path / name).write_bytes(content)
    sf.write(tmp_path / "sound.wav", tone(48000, 0.2).T, 48000)
    c = av.open(str(tmp_path / "sound.m4a"), "w")
    s = c.add_stream("aac", rate=48000, layout="stereo")
    fr = av.AudioFrame.from_ndarray(tone(48000, 1024 / 48000), format="fltp", layout="stereo")
    fr.sample_rate = 48000
    for p in [*s.encode(fr), *s.encode()]:
        c.mux(p)
    c.close()
    for name in [*cases, "missing.mp4"]:
        with pytest.raises(InputError, match=name.replace(".", r"\.")):
            video.probe(tmp_path / name)
    for name in ("sound.wav", "sound.m4a"):
        with pytest.raises(InputError, match="has no video stream"):
            video.probe(tmp_path / name)
        with pytest.raises(InputError, match=name.replace(".", r"\.")):
            video.VideoReader(tmp_path / name)


def test_probe_rejects_video_stream_without_frames(tmp_path):
    """A Matroska file keeps a video track that never got a frame (mp4 drops such tracks)."""
    path = tmp_path / "noframes.mkv"
    with av.open(str(path), "w") as c:
        vs = c.add_stream("libx264", rate=FPS)
        vs.width, vs.height, vs.pix_fmt = 64, 64, "yuv420p"
        a = c.add_stream("aac", rate=48000, layout="stereo")
        fr = av.AudioFrame.from_ndarray(tone(48000, 1024 / 48000), format="fltp", layout="stereo")
        fr.sample_rate = 48000
        c.start_encoding()
        for p in [*a.encode(fr), *a.encode()]:
            c.mux(p)
    with av.open(str(path)) as c:
        assert len(c.streams.video) == 1
    with pytest.raises(InputError, match=r"noframes\.mkv.*no video frames"):
        video.probe(path)


def test_probe_truncated_faststart_mp4(clips, tmp_path):
    """moov first (faststart): the header survives truncation, the frames do not."""
    fs = tmp_path / "fs.mp4"
    with av.open(str(clips["mute"])) as src, av.open(str(fs), "w", options={"movflags": "faststart"}) as dst:
        vs = dst.add_stream_from_template(src.streams.video[0])
        for p in src.demux(src.streams.video[0]):
            if p.dts is not None:
                p.stream = vs
                dst.mux(p)
    assert video.probe(fs).n_frames == N
    data = fs.read_bytes()
    (tmp_path / "cut.mp4").write_bytes(data[: int(len(data) * 0.3)])
    with pytest.raises(InputError, match=r"cut\.mp4.*truncated"):
        video.probe(tmp_path / "cut.mp4")


def test_an_avi_with_a_held_frame_is_not_truncated(tmp_path):
    """An AVI whose header counts a frame its stream skips (a gap in the timestamps: the
    picture before is held, as ffmpeg's AVIs with a B-frame delay have) opens with its real
    frames at their real times; it is not "truncated"."""
    from fractions import Fraction

    path = tmp_path / "held.avi"
    with av.open(str(path), "w") as c:
        s = c.add_stream("mpeg4", rate=25)
        s.width, s.height, s.pix_fmt = 64, 48, "yuv420p"
        for i in [0] + list(range(2, 20)):  # frame 1 is held
            f = av.VideoFrame.from_ndarray(np.full((48, 64, 3), 10 * i, np.uint8), format="rgb24")
            f.pts, f.time_base = i, Fraction(1, 25)
            for pk in s.encode(f):
                c.mux(pk)
        for pk in s.encode():
            c.mux(pk)
    with av.open(str(path)) as c:
        assert c.streams.video[0].frames == 20  # what the header says
    info = video.probe(path)
    assert info.n_frames == 19
    with video.VideoReader(path) as r:
        assert r.times[1] == pytest.approx(2 / 25)
        assert abs(float(r.frame_at(1).mean()) - 20) < 4


def test_read_audio_rejects_bad_files(tmp_path, clips):
    sf.write(tmp_path / "zero.wav", np.zeros((0, 2), np.float32), 48000)
    (tmp_path / "text.wav").write_text("RIFF? no, just text\n" * 20)
    nan = tone(48000, 0.1)
    nan[0, 50] = np.nan
    sf.write(tmp_path / "nan.wav", nan.T, 48000, subtype="FLOAT")
    expect = {"zero.wav": "zero length", "text.wav": "not an audio file",
              "nan.wav": "NaN/inf", "missing.flac": "not found"}
    for name, problem in expect.items():
        with pytest.raises(InputError, match=rf"{name.replace('.', '[.]')}.*{problem}"):
            maudio.read_audio(tmp_path / name)
    with pytest.raises(InputError, match=r"mute\.mp4.*no audio stream"):
        maudio.read_audio(clips["mute"])


def test_check_audio(tmp_path):
    ref = tmp_path / "ref.wav"
    good = tone(48000, 0.1)
    assert maudio.check_audio(good, ref) is good
    bad = good.copy()
    bad[1, 3] = np.inf
    cases = [(bad, "NaN/inf"), (np.zeros((2, 100), np.float32), "silent"),
             (np.full((2, 100), 1e-7, np.float32), "silent"), (np.zeros((2, 0), np.float32), "zero length")]
    for a, problem in cases:
        with pytest.raises(InputError, match=rf"ref\.wav.*reference.*{problem}"):
            maudio.check_audio(a, ref, what="reference")


# ---- preview mux ------------------------------------------------------------------------------
def _stream_facts(path):
    with av.open(str(path)) as c:
        kinds = sorted(s.type for s in c.streams)
        vpk = [bytes(p) for p in c.demux(c.streams.video[0]) if p.size]
    with av.open(str(path)) as c:
        a, sr, _ = maudio.decode_av_stream(c, c.streams.audio[0]) if c.streams.audio else (None, 0, 0)
    return kinds, vpk, a, sr


def test_mux_preview_copies_video_and_matches_duration(clips, tmp_path):
    take_sr = 44100
    take = tone(take_sr, 3.0, 2, freq=660.0)  # longer than the clip: trimmed
    seen = []
    out = mux.mux_preview(clips["av"], take, take_sr, tmp_path / "prev.mp4",
                          progress=lambda f, m: seen.append(f))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["prev.mp4"]
    kinds, vpk, a, sr = _stream_facts(out)
    assert kinds == ["audio", "video"] and sr == 48000 and a.shape[0] == 2
    _, src_pk, _, _ = _stream_facts(clips["av"])
    assert vpk == src_pk  # picture copied, not re-encoded
    info = video.probe(out)
    assert info.n_frames == N and abs(a.shape[1] / sr - info.duration) < 0.05
    assert dominant_freq(a[0, 4096:-4096], sr) == pytest.approx(660, abs=3)
    assert seen and seen[-1] == 1.0 and all(b >= a_ for a_, b in zip(seen, seen[1:]))


def test_mux_preview_short_take_reencode_and_rotation(tmp_path):
    clip = write_video(tmp_path / "rot.mp4", [make_frame(i) for i in range(30)], FPS, rotation=90)
    take = tone(48000, 0.4, 1)  # shorter than the clip: padded with silence
    for reencode in (False, True):
        out = mux.mux_preview(clip, take, 48000, tmp_path / f"p{reencode}.mp4", reencode=reencode)
        info = video.probe(out)
        assert (info.n_frames, info.rotation, info.width, info.height) == (30, 90, H, W)
        _, _, a, sr = _stream_facts(out)
        assert abs(a.shape[1] / sr - info.duration) < 0.05
        assert np.abs(a[:, int(0.6 * sr):]).max() < 1e-3
        with video.VideoReader(out) as r:
            assert read_index(video.rotate_frame(r.frame_at(12), 270)) == 12


def test_mux_preview_cancel_leaves_nothing(clips, tmp_path):
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        mux.mux_preview(clips["av"], tone(48000, 1.0), 48000, tmp_path / "x.mp4", cancel=token)
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(InputError, match="NaN"):
        mux.mux_preview(clips["av"], np.full((2, 10), np.nan, np.float32), 48000, tmp_path / "y.mp4")


def test_write_video_bframes_zero_gives_no_b_frames(tmp_path):
    """`bframes=0` (random access without B-frames) reaches the encoder; the preset's default has them."""
    base = (np.add.outer(np.arange(96), np.arange(128)) % 64 * 3).astype(np.uint8)
    frames = []
    for i in range(30):  # a still texture with a square sliding over it: predictable, as B-frames like
        f = np.repeat(base[:, :, None], 3, axis=2)
        f[30:50, 2 * i:2 * i + 20] = (220, 40, 40)
        frames.append(f)

    def kinds(path) -> set[int]:
        with av.open(str(path)) as c:
            return {int(f.pict_type) for f in c.decode(video=0)}  # AVPictureType: 1 I, 2 P, 3 B

    assert 3 in kinds(write_video(tmp_path / "default.mp4", iter(frames), 25, preset="veryfast"))
    assert 3 not in kinds(write_video(tmp_path / "no_b.mp4", iter(frames), 25, preset="veryfast", bframes=0))

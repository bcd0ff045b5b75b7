"""Long takes in bounded memory: on-demand audio views, and block-wise rendering stages that
give the same samples as the whole-take computation they replace."""

from __future__ import annotations

import numpy as np
import pytest

from stereosync_studio.core.trajectory import Trajectory
from stereosync_studio.engines import spatial
from stereosync_studio.engines.limiter import LIMIT_CEILING, _limit, peak_limit
from stereosync_studio.gui.audition import Mixer
from stereosync_studio.media.audio import AudioFileView, open_audio_view, read_audio, write_wav

SR = 48000


def _noise(n: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return (rng.normal(0, 0.2, (2, n)) * (rng.random(n) < 0.5)).astype(np.float32)


def test_an_audio_file_view_reads_the_slices_it_is_asked_for(tmp_path):
    audio = _noise(50_000)
    path = write_wav(tmp_path / "t.wav", audio, SR, bits=32)
    view = open_audio_view(path, SR)
    assert isinstance(view, AudioFileView) and view.shape == (2, 50_000)
    np.testing.assert_array_equal(view[:, 1234:5678], audio[:, 1234:5678])
    np.testing.assert_array_equal(view[1, 49_990:60_000], audio[1, 49_990:])  # clipped at the end
    assert view[:, 70_000:80_000].shape == (2, 0)
    np.testing.assert_array_equal(np.asarray(view), read_audio(path)[0])
    other = open_audio_view(path, 44100)  # another rate: resampled, in memory
    assert isinstance(other, np.ndarray) and abs(other.shape[1] - round(50_000 * 44100 / SR)) <= 1


def test_the_mixer_plays_a_take_from_disk_as_from_memory(tmp_path):
    audio = _noise(30_000, 1)
    path = write_wav(tmp_path / "t.wav", audio, SR, bits=32)
    mixes = []
    for source in (audio, open_audio_view(path, SR)):
        mx = Mixer(SR)
        mx.set_track("take", source, 0.5)
        mx.set_track("mono", audio[0], 0.25)  # mono plays on both sides
        mx.seek(10_000 / SR)
        mixes.append(np.concatenate([mx.render(4096) for _ in range(6)]))
    np.testing.assert_array_equal(mixes[0], mixes[1])
    want = np.clip(audio[:, 10_000:30_000].T * 0.5 + audio[0, 10_000:30_000, None] * 0.25, -1, 1)
    np.testing.assert_allclose(mixes[0][:20_000], want, atol=1e-7)
    assert not mixes[0][20_000:].any()  # past the end: silence


@pytest.mark.parametrize("seed", [3, 4])
def test_the_block_wise_limiter_gives_the_whole_take_limiter_s_samples(seed):
    rng = np.random.default_rng(seed)
    out = _noise(900_000, seed) * 0.3
    for _ in range(12):  # loud bursts, some near the ends and across block edges
        p = int(rng.integers(0, 900_000))
        out[:, p:p + int(rng.integers(10, 9000))] *= float(rng.uniform(4, 30))
    whole, blocks = out.copy(), out.copy()
    cut = _limit(whole, SR)  # the limiter in one pass over the whole take
    assert peak_limit(blocks, SR, block=int(rng.integers(5000, 60000))) == pytest.approx(cut, abs=1e-9)
    np.testing.assert_array_equal(blocks, whole)
    assert np.max(np.abs(blocks)) <= LIMIT_CEILING and cut > 6.0


def test_air_absorption_in_blocks_matches_one_filter_over_the_take(monkeypatch):
    n = 5 * spatial.AIR_BLOCK + 777
    traj = Trajectory(np.zeros(50), np.linspace(1.0, 12.0, 50), fps=50 / (n / SR))
    mono = _noise(n, 5)[0]
    mono[2 * spatial.AIR_BLOCK:3 * spatial.AIR_BLOCK] = 0.0  # a silent stretch (skipped)
    got = spatial.air_absorption(mono, SR, traj)
    inplace = mono.copy()
    spatial.air_absorption(inplace, SR, traj, inplace=True)
    monkeypatch.setattr(spatial, "AIR_BLOCK", 1 << 30)  # one block per span: the whole-take filter
    whole = spatial.air_absorption(mono, SR, traj)
    np.testing.assert_allclose(got, whole, atol=1e-7)
    np.testing.assert_array_equal(inplace, got)
    far = slice(n - 20_000, n)  # 12x the distance: the highs are clearly down
    assert float(np.std(np.diff(got[far]))) < 0.8 * float(np.std(np.diff(mono[far])))


def test_a_waveform_view_gives_min_max_per_column_at_any_zoom(tmp_path):
    from stereosync_studio.media.waveform_view import BASE, DETAIL_CHUNK, WaveformView

    audio = _noise(400_003, 7)
    audio[:, 100_000:100_050] = [[0.9], [-0.95]]  # a spike to find at every zoom
    path = write_wav(tmp_path / "t.wav", audio, SR, bits=32)
    view = WaveformView(open_audio_view(path, SR), SR, cache_bytes=3 * DETAIL_CHUNK * 8)
    mono_lo, mono_hi = audio.min(axis=0), audio.max(axis=0)
    t, lo, hi = view.columns(0.0, 400_003 / SR, 800)  # the whole take: a stored level
    size = int(round((t[1] - t[0]) * SR))
    assert BASE <= size <= 400_003 / 800 and 800 <= len(t) <= 4 * 800
    k = 100_000 // size
    assert hi[k] == pytest.approx(0.9) and lo[k] == pytest.approx(-0.95)
    np.testing.assert_array_equal(hi[3], mono_hi[3 * size:4 * size].max())
    t, lo, hi = view.columns(2.0, 2.01, 100)  # zoomed in: 4.8 samples per column, read from the file
    a = int(2.0 * SR)
    assert len(t) == 120 and t[0] == pytest.approx(2.0)
    np.testing.assert_array_equal(lo, mono_lo[a:a + 480].reshape(-1, 4).min(axis=1))
    np.testing.assert_array_equal(hi, mono_hi[a:a + 480].reshape(-1, 4).max(axis=1))
    for s in range(0, 8):  # zooming around the take keeps the detail cache in its budget
        view.columns(s, s + 0.5, 2000)
    assert view.nbytes < 3 * DETAIL_CHUNK * 8 + 64_000


def test_the_overview_of_a_waveform_view_draws_what_waveform_peaks_draws():
    from stereosync_studio.dsp.peaks import waveform_peaks
    from stereosync_studio.media.waveform_view import WaveformView

    audio = _noise(1_000_000, 8) * np.linspace(0.1, 1.0, 1_000_000, dtype=np.float32)
    audio[1, 600_000] = -0.99  # the loudest sample: 1.0 in both
    t, p = WaveformView(audio, SR).overview(1600)
    t_ref, p_ref = waveform_peaks(audio, SR, 1600)
    assert 1600 <= len(t) <= 4 * 1600 and p.max() == 1.0
    assert abs(t[np.argmax(p)] - 600_000 / SR) < 2 * (t[1] - t[0])
    # the same outline: resampled onto the reference's columns, within the column-size difference
    assert float(np.mean(np.abs(np.interp(t_ref, t, p) - p_ref))) < 0.05


@pytest.mark.parametrize("n", [28_800_000 // 60 * 7 + 5, 255, 1023, 100_001])
def test_waveform_columns_and_times_always_pair_up_to_the_end(n):
    from stereosync_studio.media.waveform_view import WaveformView

    audio = np.zeros((2, n), np.float32)
    audio[0, -1] = 0.5  # the very last sample is seen at every zoom
    view = WaveformView(audio, SR)
    for bins in (1, 7, 300, 1600, 5000):
        t, lo, hi = view.columns(0.0, n / SR, bins)
        assert len(t) == len(lo) == len(hi) > 0 and hi[-1] == 0.5
        tt, p = view.overview(bins)
        assert len(tt) == len(p) and p[-1] == 1.0


def test_the_guide_is_decoded_once_to_a_file_and_read_on_demand(tmp_path):
    from stereosync_studio.media.guide_file import guide_audio_view, guide_file_path
    from stereosync_studio.media.video import read_guide_audio
    from stereosync_studio.media.video_writer import write_video

    rng = np.random.default_rng(2)
    audio = (rng.normal(0, 0.1, (2, 3 * 44100))).astype(np.float32)  # 44.1 kHz in the clip: resampled
    frames = [np.full((64, 96, 3), 40 * i % 255, np.uint8) for i in range(30)]
    clip = write_video(tmp_path / "c.mp4", iter(frames), 10.0, audio=audio, sample_rate=44100)
    view = guide_audio_view(clip, SR, tmp_path / "cache")
    want = read_guide_audio(clip, SR)
    assert isinstance(view, AudioFileView) and view.shape == want.shape == (2, 3 * SR)
    np.testing.assert_array_equal(np.asarray(view), want)
    made = guide_file_path(clip, SR, tmp_path / "cache").stat().st_mtime_ns
    assert guide_audio_view(clip, SR, tmp_path / "cache").shape == want.shape  # reused, not decoded again
    assert guide_file_path(clip, SR, tmp_path / "cache").stat().st_mtime_ns == made
    silent = write_video(tmp_path / "s.mp4", iter(frames), 10.0)
    assert guide_audio_view(silent, SR, tmp_path / "cache") is None
    assert sorted(p.name for p in (tmp_path / "cache").iterdir()) == [guide_file_path(clip, SR, tmp_path / "cache").name]


def test_a_reference_preview_is_read_on_demand_and_bad_files_are_named(tmp_path):
    from stereosync_studio.core.errors import InputError
    from stereosync_studio.jobs.audition import load_reference_preview

    audio = _noise(96_000, 9)
    audio[:, 50_000] = 0.8
    path = write_wav(tmp_path / "ref.wav", audio, SR, bits=32)
    view, peaks = load_reference_preview(path, SR, bins=300)
    assert isinstance(view, AudioFileView) and 300 <= len(peaks) <= 1200 and peaks.max() == 1.0
    resampled, _ = load_reference_preview(path, 44100, bins=300)
    assert isinstance(resampled, np.ndarray) and abs(resampled.shape[1] - 88_200) <= 1
    bad = audio.copy()
    bad[0, 70_000] = np.nan
    import soundfile as sf

    sf.write(str(tmp_path / "nan.wav"), bad.T, SR, subtype="FLOAT")
    with pytest.raises(InputError, match="nan.wav.*NaN"):
        load_reference_preview(tmp_path / "nan.wav", SR)
    with pytest.raises(InputError, match="missing.wav"):
        load_reference_preview(tmp_path / "missing.wav", SR)


def test_a_take_analysed_from_disk_measures_what_the_whole_array_gives(tmp_path):
    from stereosync_studio.dsp.rms import rms_envelope
    from stereosync_studio.jobs import evaluate
    from stereosync_studio.metrics.spatial_alignment import heard_positions

    n = 2 * (1 << 20) + 3000  # three blocks, the last one short
    t = np.arange(n) / SR
    pan = np.sin(2 * np.pi * 0.2 * t)
    src = (_noise(n, 11)[0] * (np.sin(2 * np.pi * 2 * t) > 0.3)).astype(np.float32)
    audio = np.stack([src * np.sqrt((1 - pan) / 2), src * np.sqrt((1 + pan) / 2)]).astype(np.float32)
    path = write_wav(tmp_path / "take.wav", audio, SR, bits=32)
    view = open_audio_view(path, SR)
    whole = heard_positions(audio, SR).cues
    cues = evaluate._cues(view, SR)
    for k in ("times", "ild_db", "itd_ms", "iacc", "level_db", "active"):
        np.testing.assert_array_equal(getattr(cues, k), getattr(whole, k))
    np.testing.assert_array_equal(rms_envelope(evaluate._mono(view), SR), rms_envelope(audio, SR))
    assert whole.active.sum() > 100 and np.ptp(whole.ild_db[whole.active]) > 10


def test_the_guide_folder_keeps_to_its_byte_budget_dropping_the_least_recently_used(tmp_path):
    import os

    from stereosync_studio.media.guide_file import prune_folder

    files = []
    for i, size in enumerate((4000, 3000, 2000, 1000)):
        f = tmp_path / f"c{i}_guide_{i:016x}.wav"
        f.write_bytes(b"\0" * size)
        os.utime(f, (1000.0 + 10 * i, 1000.0))  # used in this order: c0 the longest ago
        files.append(f)
    (tmp_path / "other.txt").write_bytes(b"\0" * 9000)  # not a decoded guide: never removed
    os.utime(files[1], (5000.0, 1000.0))  # c1 used again last
    removed = prune_folder(tmp_path, 8000, keep=files[0])
    assert removed == [files[2]]  # c0 is kept (just made), c2 is the least recently used of the rest
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c0_guide_0000000000000000.wav",
                                                          "c1_guide_0000000000000001.wav",
                                                          "c3_guide_0000000000000003.wav", "other.txt"]
    assert prune_folder(tmp_path, 1 << 20) == []

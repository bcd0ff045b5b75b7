"""The synthetic walker clips are test material for everything else: check their truth holds."""

from __future__ import annotations

import math

import librosa
import numpy as np
import pytest

from stereosync_studio.core.trajectory import pan_from_x
from tests.walker import WalkerScene, cached_walker_clip, make_walker_clip, walker_truth

SHOE = np.array([45, 28, 18], float)


def _shoe_mask(rgb: np.ndarray) -> np.ndarray:
    """Shoe pixels (near or far side shading) of walker 0."""
    d1 = np.abs(rgb.astype(float) - SHOE).max(-1)
    d2 = np.abs(rgb.astype(float) - SHOE * 0.78).max(-1)
    return (d1 < 14) | (d2 < 14)


def _intervals(flags: np.ndarray) -> list[tuple[int, int]]:
    out, start = [], None
    for i, f in enumerate(list(flags) + [False]):
        if f and start is None:
            start = i
        elif not f and start is not None:
            out.append((start, i - 1))
            start = None
    return out


@pytest.mark.parametrize("scenario", ["crossing", "zigzag", "approaching", "pausing", "two"])
def test_truth_is_consistent(scenario):
    tr = walker_truth(scenario=scenario)
    assert tr.n_frames == 150 and tr.boxes.shape == (150, 4)
    b = tr.boxes
    assert np.isfinite(b).all()
    assert (b[:, 0] >= 0).all() and (b[:, 2] <= tr.width).all() and (b[:, 1] >= 0).all() and (b[:, 3] <= tr.height).all()
    assert (b[:, 2] - b[:, 0] > 5).all() and (b[:, 3] - b[:, 1] > 40).all()
    st = np.array(tr.step_times)
    gaps = np.diff(st)
    cadence = 1.0 / np.median(gaps)
    assert 1.8 <= cadence <= 2.2
    assert st.min() >= 0 and st.max() < tr.duration
    # the step positions are the box centres at those times, and pan follows them
    cx = 0.5 * (b[:, 0] + b[:, 2])
    t = np.arange(tr.n_frames) / tr.fps
    np.testing.assert_allclose(tr.step_x, np.interp(st, t, cx), atol=1e-6)
    # box height ~ 1 / depth (pinhole camera): height x distance is constant up to the gait
    h = b[:, 3] - b[:, 1]
    r = h * tr.distance
    assert np.ptp(r) / np.median(r) < 0.1
    assert len(tr.step_gain) == len(st)
    np.testing.assert_allclose(tr.step_gain, np.minimum(0.5 / np.interp(st, t, tr.distance), 0.9), rtol=0.02)


def test_scenarios_move_as_described():
    cross = walker_truth(scenario="crossing")
    cx = 0.5 * (cross.boxes[:, 0] + cross.boxes[:, 2])
    assert cx[-1] - cx[0] > 0.6 * cross.width and np.all(np.diff(cx[::10]) > 0)

    zig = walker_truth(scenario="zigzag")
    zx = 0.5 * (zig.boxes[:, 0] + zig.boxes[:, 2])
    v = np.convolve(np.diff(zx), np.ones(9) / 9, mode="valid")
    signs = np.sign(v[np.abs(v) > 0.5])
    assert np.count_nonzero(np.diff(signs) != 0) >= 2  # right, left, right

    app = walker_truth(scenario="approaching")
    h = app.boxes[:, 3] - app.boxes[:, 1]
    assert h[-1] / h[0] > 1.8 and np.all(np.diff(app.distance) < 0)

    pause = walker_truth(scenario="pausing")
    st = np.array(pause.step_times)
    big = np.nonzero(np.diff(st) > 1.0)[0]
    assert len(big) == 1  # one pause with no steps
    t0, t1 = st[big[0]], st[big[0] + 1]
    # standing still: the box does not move for about a second
    f0, f1 = int(math.ceil(t0 * pause.fps)) + 1, int(t1 * pause.fps) - 12
    assert f1 - f0 >= 18
    still = pause.boxes[f0:f1]
    assert np.ptp(still, axis=0).max() <= 1.0

    two = walker_truth(scenario="two")
    assert len(two.boxes_per_walker) == 2 and len(two.step_times_per_walker) == 2
    c0 = 0.5 * (two.boxes_per_walker[0][:, 0] + two.boxes_per_walker[0][:, 2])
    c1 = 0.5 * (two.boxes_per_walker[1][:, 0] + two.boxes_per_walker[1][:, 2])
    assert (c0[-1] - c0[0]) * (c1[-1] - c1[0]) < 0  # opposite directions
    assert two.step_times_per_walker[0] != two.step_times_per_walker[1]


def test_long_zigzag_stays_in_frame_with_finite_guide_audio():
    """A 60 s zig-zag once walked off its path after ~38 s: NaN boxes, NaN pan, NaN guide audio."""
    tr = WalkerScene("zigzag", duration=60.0, seed=0).truth()
    assert np.isfinite(tr.boxes).all()
    assert np.isfinite(tr.guide_audio).all() and np.abs(tr.guide_audio).max() > 0.05
    assert np.isfinite(tr.step_x).all() and len(tr.step_times) >= 100  # ~2 steps/s all along
    cx = 0.5 * (tr.boxes[:, 0] + tr.boxes[:, 2])
    assert 0 < cx.min() and cx.max() < tr.width
    late = cx[int(40 * tr.fps):]  # still zig-zagging (both ways) in the clip's last third
    v = np.convolve(np.diff(late), np.ones(9) / 9, mode="valid")
    signs = np.sign(v[np.abs(v) > 0.5])
    assert np.count_nonzero(np.diff(signs) != 0) >= 4


@pytest.mark.parametrize("scenario", ["crossing", "zigzag"])
def test_feet_are_planted_during_stance(scenario):
    scene = WalkerScene(scenario)
    tr = scene.truth()
    stances = []
    for foot in (0, 1):
        for a, b in _intervals(tr.foot_planted[:, foot]):
            if b - a >= 4:
                stances.append((foot, a, b))
                # the ankle's pixel position does not change at all while planted
                assert np.ptp(tr.feet_px[a:b + 1, foot], axis=0).max() < 1e-9
    assert len(stances) >= 6
    # and the drawn shoe pixels stay where they are (while a swinging foot moves away)
    kept, swung = [], []
    for foot, a, b in stances[:6]:
        x, y = tr.feet_px[a, foot]
        r = max(int(0.08 * (tr.boxes[a, 3] - tr.boxes[a, 1])), 4)
        win = np.s_[int(y) - r:int(y) + r + 1, int(x) - 2 * r:int(x) + 2 * r + 1]
        ma, mb = _shoe_mask(scene.render(a)[win]), _shoe_mask(scene.render(b)[win])
        m0 = ma & mb  # the planted shoe (the other foot may be in the window at one end)
        assert m0.sum() >= 6 and m0.sum() >= 0.6 * min(ma.sum(), mb.sum())
        overlaps = [(_shoe_mask(scene.render(i)[win]) & m0).sum() / m0.sum() for i in range(a, b + 1)]
        kept.append(np.percentile(overlaps, 75))  # the other leg may pass in front for a moment
        swing_end = min(b + int(0.4 * tr.fps), tr.n_frames - 1)
        moved = _shoe_mask(scene.render(swing_end)[win]) & m0
        swung.append(moved.sum() / m0.sum())
    assert min(kept) >= 0.9
    assert np.median(swung) < 0.6  # the same measure does see a foot that moved


def test_box_is_the_exact_extent_of_the_drawn_person():
    scene = WalkerScene("zigzag")
    tr = scene.truth()
    for i in range(0, tr.n_frames, 15):
        diff = np.abs(scene.render(i).astype(int) - scene.bg.astype(int)).max(-1)
        ys, xs = np.nonzero(diff > 12)  # sensor noise is far below 12
        x0, y0, x1, y1 = tr.boxes[i]
        assert xs.min() >= x0 and xs.max() < x1 and ys.min() >= y0 and ys.max() < y1
        # tight: drawn pixels reach (within antialiasing) every side of the box
        assert xs.min() - x0 <= 1.5 and x1 - 1 - xs.max() <= 1.5
        assert ys.min() - y0 <= 1.5 and y1 - 1 - ys.max() <= 1.5


def test_clip_on_disk_matches_truth(tmp_path):
    from stereosync_studio.media.video import VideoReader, probe, read_guide_audio

    tr = make_walker_clip(tmp_path / "w.mp4", scenario="crossing", duration=2.0, size=(320, 180), seed=4)
    info = probe(tr.path)
    assert (info.width, info.height, info.n_frames) == (320, 180, 50)
    assert abs(info.fps - 25.0) < 1e-6 and info.has_audio
    scene = WalkerScene("crossing", 2.0, 25, (320, 180), 4)
    with VideoReader(tr.path) as r:
        for i in (0, 20, 49):
            dec = r.frame_at(i).astype(int)
            diff = np.abs(dec - scene.bg.astype(int)).max(-1)
            ys, xs = np.nonzero(diff > 45)
            x0, y0, x1, y1 = tr.boxes[i]
            inside = (xs >= x0 - 2) & (xs < x1 + 2) & (ys >= y0 - 2) & (ys < y1 + 2)
            assert inside.mean() > 0.995
            assert np.abs(dec - scene.render(i)).mean() < 4.0  # encoded faithfully
    audio = read_guide_audio(tr.path, 48000)
    ref = tr.guide_audio
    assert audio.shape == ref.shape
    # AAC is lossy, but the steps are where the truth says (no delay): correlation peaks at lag 0
    a, b = ref.mean(0), audio.mean(0)
    lags = np.arange(-240, 241)
    corr = [np.dot(a[1000:-1000], b[1000 + k:len(b) - 1000 + k]) for k in lags]
    assert abs(int(lags[int(np.argmax(corr))])) <= 2


@pytest.mark.parametrize("scenario", ["crossing", "pausing", "two"])
def test_guide_audio_onsets_at_step_times(scenario, footsteps_dir):
    # "hard" steps have one clear transient each (gravel crunches on for 0.3 s)
    refs = sorted(footsteps_dir.rglob("default_hard_footstep.*.ogg"))
    assert refs
    tr = walker_truth(scenario=scenario, guide_reference=refs)
    steps = np.sort(np.concatenate([np.asarray(s) for s in tr.step_times_per_walker]))
    y = tr.guide_audio.mean(0)
    sr, hop = tr.sample_rate, 128
    env = librosa.onset.onset_strength(y=y, sr=sr, hop_length=hop, n_fft=512, n_mels=64)
    on = librosa.onset.onset_detect(onset_envelope=env, sr=sr, hop_length=hop, units="time")
    # every step of the (nearer, louder) first walker has an onset within 10 ms, unless
    # another step is just before or after it
    alone = [t for t in tr.step_times if np.sort(np.abs(steps - t))[1] > 0.15]
    err = np.array([np.min(np.abs(on - t)) for t in alone])
    assert len(alone) >= 0.3 * len(tr.step_times) and err.max() <= 0.010
    # the sound starts exactly at the step: quiet just before, loud just after
    for t in alone:
        i = int(round(t * sr))
        before = np.sqrt(np.mean(y[i - int(0.02 * sr):i - 48] ** 2)) if i > 0.03 * sr else 0.0
        after = np.sqrt(np.mean(y[i:i + int(0.02 * sr)] ** 2))
        assert after > 10 * max(before, 1e-6) or before == 0.0
    # between steps only the -70 dBFS noise floor (and the tails of the steps) remain
    quiet = np.concatenate([y[int((t - 0.03) * sr):int((t - 0.005) * sr)] for t in alone if t > 0.6])
    assert np.sqrt(np.mean(quiet ** 2)) < 0.01


def test_guide_audio_pan_and_level_follow_the_walker():
    tr = walker_truth(scenario="crossing", guide_reference=None)
    sr = tr.sample_rate
    angles, expect = [], []
    for t, x in zip(tr.step_times, tr.step_x):
        seg = tr.guide_audio[:, int(t * sr):int((t + 0.05) * sr)]
        e = np.sqrt((seg ** 2).sum(axis=1))
        angles.append(math.atan2(e[1], e[0]))
        expect.append((float(pan_from_x(x, tr.width, 90.0)) + 1) * math.pi / 4)
    np.testing.assert_allclose(angles, expect, atol=0.02)
    assert angles[0] < math.pi / 4 < angles[-1]  # left to right

    app = walker_truth(scenario="approaching")
    steps = [(t, g) for t, g in zip(app.step_times, app.step_gain) if t < app.duration - 0.15]
    # closer is louder: with constant-power panning the peak of sqrt(L^2 + R^2) of a step is
    # its gain (the samples are peak-normalised)
    peaks = [np.sqrt((app.guide_audio[:, int(t * sr):int((t + 0.15) * sr)] ** 2).sum(0)).max() for t, _ in steps]
    np.testing.assert_allclose(peaks, [g for _, g in steps], rtol=0.03)
    assert peaks[-1] > 1.5 * peaks[0]


def test_cached_clip_is_reused(tmp_path):
    a = cached_walker_clip(tmp_path, scenario="pausing", duration=1.0, size=(160, 90))
    mtime = (tmp_path / a.path.split("/")[-1]).stat().st_mtime_ns
    b = cached_walker_clip(tmp_path, scenario="pausing", duration=1.0, size=(160, 90))
    assert a.path == b.path and (tmp_path / b.path.split("/")[-1]).stat().st_mtime_ns == mtime
    np.testing.assert_array_equal(a.boxes, b.boxes)
    c = cached_walker_clip(tmp_path, scenario="pausing", duration=1.0, size=(160, 90), seed=1)
    assert c.path != a.path
    a.save_json(tmp_path / "t.json")
    import json

    d = json.loads((tmp_path / "t.json").read_text())
    assert d["n_frames"] == 25 and len(d["boxes"]) == 25 and d["step_times"] == a.step_times

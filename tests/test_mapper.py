"""The learned video-to-envelope mapper (Stable-V2A stage 1) on a few generated clips."""

from __future__ import annotations

import argparse
import json
import os

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from stereosync_studio.analysis import mapper_features as MF  # noqa: E402
from stereosync_studio.core.envelope import ENVELOPE_RATE  # noqa: E402
from stereosync_studio.core.errors import InputError  # noqa: E402
from stereosync_studio.core.progress import CancelToken  # noqa: E402
from stereosync_studio.dsp.rms import envelope_l1  # noqa: E402
from stereosync_studio.jobs.models import video_envelope_predictor  # noqa: E402
from stereosync_studio.learned import envelope_classes as C  # noqa: E402
from stereosync_studio.learned.mapper import MapperPredictor, load_checkpoint  # noqa: E402
from stereosync_studio.cli.mapper import add_mapper_parser  # noqa: E402
from tests.walker import cached_walker_clip  # noqa: E402

DUR = 3.0
SCENARIOS = ("crossing", "approaching", "pausing")


def test_mu_law_classes_round_trip():
    env = np.r_[0.0, np.geomspace(1e-3, 1.0, 50)]
    c = C.encode(env)
    assert c.min() == 0 and c.max() == C.N_CLASSES - 1
    assert np.all(np.diff(c) >= 0)
    back = C.decode(c)
    # one class is ~0.8 dB at the top of the range: decoding is within half a class
    loud = env > 0.05
    assert np.max(np.abs(20 * np.log10(back[loud] / env[loud]))) < 0.5


def test_gaussian_label_smoothing():
    y = C.smooth_labels(np.array([0, 1, 30, 63]))
    assert np.allclose(y.sum(axis=1), 1.0)
    assert y[0, 0] == 1.0  # silence stays one-hot
    assert y[1, 0] == 0.0 and y[1, 1] == y[1].max()  # nothing leaks into the silence class
    row = y[2]
    assert row.argmax() == 30 and row[29] == pytest.approx(row[31])
    assert row[29] / row[30] == pytest.approx(np.exp(-0.5), rel=1e-4)  # sigma 1
    assert row[34] == 0.0 and row[33] > 0  # window 3
    assert y[3, 63] == y[3].max() and y[3, 60] > 0


def test_topk_accuracy_counts_near_misses():
    logits = np.zeros((3, 64))
    logits[0, 10], logits[1, 12], logits[2, 40] = 5, 5, 5
    logits[1, 10] = 4  # true class second best
    acc = C.topk_accuracy(logits, np.array([10, 10, 10]), ks=(1, 5))
    assert acc["acc@1"] == pytest.approx(1 / 3) and acc["acc@5"] == pytest.approx(2 / 3)


@pytest.fixture(scope="module")
def trained(cache_dir, tmp_path_factory):
    """The CLI path: `train-mapper --clips DIR` on three short clips with guide audio.

    Flow features only (--no-pose) to keep the suite fast; the pose part of the features is
    checked on its own below.
    """
    folder = tmp_path_factory.mktemp("clips")
    for sc in SCENARIOS:
        truth = cached_walker_clip(cache_dir, scenario=sc, duration=DUR)
        os.symlink(truth.path, folder / f"{sc}.mp4")
    (folder / "notes.txt").write_text("not a clip")
    models = tmp_path_factory.mktemp("models")
    report = models / "report.json"
    parser = argparse.ArgumentParser()
    add_mapper_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["train-mapper", "--clips", str(folder), "--models", str(models), "--epochs", "30",
                              "--lr", "3e-3", "--chunk", "1.5", "--batch", "4", "--no-pose", "--report", str(report)])
    rc = args.handler(args, lambda f, m="": None, CancelToken())
    assert rc == 0
    return models, json.loads(report.read_text()), folder


def test_mapper_trains_and_loss_falls(trained):
    models, report, _ = trained
    ckpt = models / "mapper" / "mapper.pt"
    assert ckpt.is_file()
    assert report["loss_last"] < 0.75 * report["loss_first"], report
    assert report["parameters"] < 100_000  # tiny
    assert report["validation"] == "held-out" and len(report["val_clips"]) == 1
    m = report["metrics"]
    assert 0.0 <= m["acc@1"] <= m["acc@5"] <= m["acc@10"] <= 1.0
    assert 0.0 <= m["e_l1"] < 0.2
    # the checkpoint holds plain tensors: loadable without unpickling code
    ck = torch.load(ckpt, weights_only=True)
    assert ck["format"] == "stereosync-rms-mapper" and ck["info"]["epochs"] == 30


def test_mapper_envelope_is_used_when_a_checkpoint_exists(trained, cache_dir):
    from stereosync_studio.analysis.steps_video import envelope_from_video, measure
    from stereosync_studio.media.video import read_guide_audio

    models, _, _ = trained
    truth = cached_walker_clip(cache_dir, scenario="crossing", duration=DUR)  # a training clip
    motion = measure(truth.path, None, use_pose=False)
    predictor = video_envelope_predictor(models)
    assert isinstance(predictor, MapperPredictor)
    env = envelope_from_video(truth.path, motion=motion, predictor=predictor)
    plain = envelope_from_video(truth.path, motion=motion)
    assert env.origin == "mapper" and plain.origin == "video"
    assert env.events == plain.events and len(env.events) >= 4  # steps still from the picture
    assert abs(env.duration - plain.duration) < 0.01
    # it learnt something: closer to the clip's own (normalised) envelope than silence is
    target = MF.mapper_targets(read_guide_audio(truth.path), 48000, DUR)
    pred = env.resampled(len(target))
    assert envelope_l1(pred, target) < 0.8 * envelope_l1(np.zeros_like(target), target)


def test_predictor_is_a_callable_on_arrays(trained):
    models, _, _ = trained
    predictor = video_envelope_predictor(models)
    feats = np.zeros((45, MF.N_FEATURES), np.float32)  # 1.5 s at FEATURE_RATE
    values = predictor(feats)
    assert values.dtype == np.float32 and values.shape == (int(round(1.5 * ENVELOPE_RATE)) + 1,)
    assert np.all((values >= 0) & (values <= 1))
    with pytest.raises(InputError, match="features per frame"):
        predictor(np.zeros((45, 3), np.float32))


def test_no_checkpoint_no_predictor(tmp_path):
    assert video_envelope_predictor(tmp_path) is None
    (tmp_path / "mapper").mkdir()
    assert video_envelope_predictor(tmp_path) is None


def test_predictor_loads_torch_only_when_called(trained):
    """Analysis and the job that finds the model stay torch-free until the model runs."""
    import subprocess
    import sys

    models, _, _ = trained
    code = ("import sys, numpy as np\n"
            "from stereosync_studio.analysis.steps_video import envelope_from_video\n"
            "from stereosync_studio.analysis.mapper_features import N_FEATURES\n"
            "from stereosync_studio.jobs.models import video_envelope_predictor\n"
            f"p = video_envelope_predictor({str(models)!r})\n"
            "print('torch' in sys.modules)\n"
            "p(np.zeros((30, N_FEATURES), np.float32))\n"
            "print('torch' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["False", "True"]


def test_broken_checkpoint_falls_back_to_steps(tmp_path, cache_dir):
    from stereosync_studio.analysis.steps_video import envelope_from_video, measure

    (tmp_path / "mapper").mkdir()
    (tmp_path / "mapper" / "mapper.pt").write_bytes(b"\x80\x04 garbage")
    truth = cached_walker_clip(cache_dir, scenario="crossing", duration=DUR)
    predictor = video_envelope_predictor(tmp_path)
    assert isinstance(predictor, MapperPredictor)  # found; loaded (and found broken) on first use
    env = envelope_from_video(truth.path, motion=measure(truth.path, None, use_pose=False), predictor=predictor)
    assert env.origin == "video"
    with pytest.raises(InputError, match="not a readable mapper checkpoint"):
        load_checkpoint(tmp_path / "mapper" / "mapper.pt")


def test_features_include_the_lower_body_landmarks():
    from stereosync_studio.analysis.motion import SubjectMotion
    from stereosync_studio.analysis.flow_features import N_FLOW

    n, fps = 50, 25.0
    boxes = np.tile([100.0, 50.0, 140.0, 150.0], (n, 1))
    boxes[:5] = np.nan  # not on screen yet
    pose = np.full((n, 33, 4), np.nan, np.float32)
    pose[10:, :, 0], pose[10:, :, 1], pose[10:, :, 3] = 120.0, 150.0, 0.9  # every landmark at the feet
    flow = np.random.default_rng(0).normal(0, 1, (n, N_FLOW)).astype(np.float32)
    flow[:5] = np.nan
    m = SubjectMotion(fps, np.arange(n) / fps, boxes, flow, pose, 640, 360)
    f = MF.mapper_features(m)
    assert f.shape == (int(round(n / fps * MF.FEATURE_RATE)), MF.N_FEATURES)
    assert np.isfinite(f).all()
    late = f[-1]
    assert late[-1] == 1.0 and late[-2] == 1.0  # seen, pose present
    assert np.allclose(late[N_FLOW:N_FLOW + 20], 0.0, atol=1e-6)  # centre x and box bottom: 0 box heights
    assert f[0, -1] == 0.0 and np.allclose(f[0], 0.0)  # unseen frames are all zeros
    assert f[8, -1] == 1.0 and f[8, -2] == 0.0  # seen without pose


def test_clip_folder_errors(tmp_path):
    from stereosync_studio.jobs.train import train_mapper

    with pytest.raises(InputError, match="not found"):
        train_mapper(tmp_path / "missing", tmp_path / "m.pt")
    (tmp_path / "notes.txt").write_text("not a clip")
    with pytest.raises(InputError, match="no video clips"):
        train_mapper(tmp_path, tmp_path / "m.pt")

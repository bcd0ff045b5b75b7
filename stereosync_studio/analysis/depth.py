"""How far the subject is, per frame: a monocular depth model (ONNX) when one is installed,
the box height otherwise.

StereoSync conditions on depth maps (RollingDepth, 4 fps); what the Studio needs from them is
the subject's distance, which drives loudness and air. Any single-image depth network
exported to ONNX works (MiDaS, Depth Anything, ...): drop `models/depth/<name>.onnx` in the
models folder, optionally with `<name>.json` beside it:

    {"output": "disparity" | "depth",   # what the network predicts (default: disparity,
                                        # i.e. inverse depth, as MiDaS / Depth Anything)
     "size": [H, W],                    # input size when the model's is dynamic (default 256)
     "mean": [..3], "std": [..3],       # input normalisation of RGB in 0..1 (default ImageNet)
     "fps": 4}                          # frames per second to run it on (interpolated between)

The subject's value is the median of the map over the middle of its box (torso and legs,
not the background at the box's corners). Relative inverse depth is taken as proportional
to 1/depth (no shift); results are relative distances with median 1.0 over the clip, the
convention of `Trajectory.distance`.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import cv2
import numpy as np

from ..core.errors import InputError
from ..core.progress import CancelToken, ProgressFn, null_progress
from ..core.track import Track

log = logging.getLogger(__name__)

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


class DepthModel:
    """An ONNX single-image depth network run with onnxruntime on the CPU."""

    def __init__(self, path: str | Path, config: dict | None = None):
        import onnxruntime as ort

        self.path = Path(path)
        cfg = dict(config or {})
        side = self.path.with_suffix(".json")
        if config is None and side.is_file():
            try:
                cfg = json.loads(side.read_text(encoding="utf-8"))
            except (OSError, json.JSONDecodeError) as exc:
                raise InputError(side, f"not a readable depth model config ({exc})") from None
        opts = ort.SessionOptions()
        opts.log_severity_level = 3
        try:
            self.session = ort.InferenceSession(str(self.path), opts, providers=["CPUExecutionProvider"])
        except Exception as exc:  # onnxruntime raises its own error types
            raise InputError(self.path, f"not a usable ONNX model ({exc.__class__.__name__}: {exc})") from None
        inp = self.session.get_inputs()[0]
        self.input_name = inp.name
        shape = list(inp.shape)
        if len(shape) != 4:
            raise InputError(self.path, f"depth model input must be NCHW, it is {shape}")
        fixed = [d if isinstance(d, int) and d > 0 else None for d in shape[2:]]
        size = cfg.get("size")
        if size is None:
            size = [fixed[0] or 256, fixed[1] or 256]
        self.size = (int(size[0]), int(size[1]))  # (H, W)
        self.mean = np.asarray(cfg.get("mean", IMAGENET_MEAN), np.float32).reshape(1, 3, 1, 1)
        self.std = np.asarray(cfg.get("std", IMAGENET_STD), np.float32).reshape(1, 3, 1, 1)
        self.output = str(cfg.get("output", "disparity"))
        if self.output not in ("disparity", "depth"):
            raise InputError(side, f"'output' must be 'disparity' or 'depth', not {self.output!r}")
        self.fps = float(cfg.get("fps", 4.0))

    @classmethod
    def from_models_dir(cls, models_dir: str | Path | None) -> "DepthModel | None":
        """The first `models_dir/depth/*.onnx`, or None when there is none (or it cannot load)."""
        if models_dir is None:
            return None
        folder = Path(models_dir) / "depth"
        files = sorted(folder.glob("*.onnx")) if folder.is_dir() else []
        if not files:
            return None
        try:
            return cls(files[0])
        except (InputError, ImportError) as exc:
            log.warning("depth model not used: %s", exc)
            return None

    def predict(self, rgb: np.ndarray) -> np.ndarray:
        """The raw map (h, w) float32 for an RGB uint8 frame, at the model's output size."""
        h, w = self.size
        x = cv2.resize(rgb, (w, h), interpolation=cv2.INTER_AREA).astype(np.float32) / 255.0
        x = (x.transpose(2, 0, 1)[None] - self.mean) / self.std
        out = self.session.run(None, {self.input_name: np.ascontiguousarray(x, np.float32)})[0]
        out = np.asarray(out, np.float32)
        while out.ndim > 2:
            out = out[0]
        return out

    def depth_map(self, rgb: np.ndarray) -> np.ndarray:
        """Relative depth (larger = farther) at the frame's size."""
        m = self.predict(rgb)
        m = cv2.resize(m, (rgb.shape[1], rgb.shape[0]), interpolation=cv2.INTER_LINEAR)
        if self.output == "disparity":
            m = 1.0 / np.maximum(m, 1e-6 * max(float(np.nanmax(m)), 1e-6))
        return m


def box_core(box: np.ndarray, width: int, height: int) -> tuple[int, int, int, int]:
    """The middle of a person box: central half of the width, 20-90 % of the height."""
    x0, y0, x1, y1 = (float(v) for v in box)
    w, h = x1 - x0, y1 - y0
    a = int(np.clip(np.floor(x0 + 0.25 * w), 0, width - 1))
    b = int(np.clip(np.ceil(x1 - 0.25 * w), a + 1, width))
    c = int(np.clip(np.floor(y0 + 0.2 * h), 0, height - 1))
    d = int(np.clip(np.ceil(y0 + 0.9 * h), c + 1, height))
    return a, c, b, d


def subject_depth(reader, track: Track, model: DepthModel | None = None, progress: ProgressFn = null_progress,
                  cancel: CancelToken | None = None, fps: float | None = None,
                  normalize: bool = True) -> np.ndarray:
    """Relative distance of the subject per frame (median 1.0 over the frames it is seen).

    `normalize=False` keeps the model's own scale (to compare several subjects of one clip).

    `reader` is a VideoReader or a path. Without a model: from the box height (pinhole).
    With one: the model runs on `fps` frames per second (its config's, default 4) and the
    values are interpolated between them; frames where the subject is never seen copy the
    nearest measured value.
    """
    from .distance import distance_from_track
    from ..media.video import VideoReader

    cancel = cancel or CancelToken()
    own = not hasattr(reader, "iter_frames")
    reader = VideoReader(reader) if own else reader
    try:
        info = reader.info
        n = min(len(track), info.n_frames)
        if model is None or n == 0 or np.isnan(track.boxes[:n, 0]).all():
            return np.asarray(distance_from_track(Track(track.boxes[:n], track.confidence[:n]), info.height,
                                                  fps=info.fps), np.float64)
        boxes = track.filled()[:n]
        seen = np.flatnonzero(np.isfinite(track.boxes[:n, 0]))
        every = max(1, int(round(info.fps / float(fps or model.fps))))
        wanted = set(range(int(seen[0]), int(seen[-1]) + 1, every)) | {int(seen[-1])}
        lo, hi = min(wanted), max(wanted) + 1
        idx, vals = [], []
        for i, _t, rgb in reader.iter_frames(lo, hi):
            if i not in wanted:
                continue
            cancel.check()
            progress((i - lo) / max(hi - lo, 1), f"depth, frame {i + 1}/{n}")
            dmap = model.depth_map(rgb)
            a, c, b, d = box_core(boxes[i], info.width, info.height)
            v = float(np.nanmedian(dmap[c:d, a:b]))
            if np.isfinite(v) and v > 0:
                idx.append(i)
                vals.append(v)
        if not vals:
            return np.asarray(distance_from_track(track, info.height, fps=info.fps), np.float64)
        z = np.interp(np.arange(n), idx, vals)
        progress(1.0, "depth done")
        return z / float(np.median(z[seen[0]:seen[-1] + 1])) if normalize else z
    finally:
        if own:
            reader.close()


__all__ = ["DepthModel", "subject_depth", "box_core"]

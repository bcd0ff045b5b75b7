"""Body landmarks of one subject per frame, from MediaPipe Pose run on the subject's box crop.

Why a crop: the bundled model (0.10.21, `model_complexity=1`, the only one that works offline)
looks for one person; cropping to the tracked box tells it which one and keeps small, far
subjects big enough. Landmarks come back in pixels of the full frame. MediaPipe is optional:
when it is missing or broken, `available()` is False and every caller falls back to optical
flow; nothing here raises for that.
"""

from __future__ import annotations

import atexit
import contextlib
import importlib
import logging
import os
import sys
import threading
import types
import weakref

import cv2
import numpy as np

from .flow_features import crop_rect

log = logging.getLogger(__name__)

# MediaPipe Pose landmark indices used by the step detector and the mapper
LEFT_HIP, RIGHT_HIP = 23, 24
LEFT_KNEE, RIGHT_KNEE = 25, 26
LEFT_ANKLE, RIGHT_ANKLE = 27, 28
LEFT_HEEL, RIGHT_HEEL = 29, 30
LEFT_FOOT, RIGHT_FOOT = 31, 32  # foot index (toe)
LOWER_BODY = (LEFT_HIP, RIGHT_HIP, LEFT_KNEE, RIGHT_KNEE, LEFT_ANKLE, RIGHT_ANKLE,
              LEFT_HEEL, RIGHT_HEEL, LEFT_FOOT, RIGHT_FOOT)
N_LANDMARKS = 33

_MP = None
_MP_ERROR: str | None = None


def _mediapipe():
    """The mediapipe module, imported once; None (with the reason logged) when unusable."""
    global _MP, _MP_ERROR
    if _MP is not None or _MP_ERROR is not None:
        return _MP
    if os.environ.get("STEREOSYNC_NO_POSE"):
        _MP_ERROR = "disabled by STEREOSYNC_NO_POSE"
        return None
    os.environ.setdefault("GLOG_minloglevel", "2")  # MediaPipe's C++ logging is chatty
    try:
        with _deferred(_UNUSED_BY_POSE):
            import mediapipe as mp

        _ = mp.solutions.pose.Pose  # 0.10.21 still has the legacy solution API
        _MP = mp
    except Exception as exc:  # ImportError, or a broken install (protobuf/numpy mismatch)
        _MP_ERROR = f"{exc.__class__.__name__}: {exc}"
        log.info("pose estimation unavailable (%s); using optical flow only", _MP_ERROR)
    return _MP


# imported by MediaPipe's drawing helpers and audio tasks, never by Pose: ~0.5 s of start-up
_UNUSED_BY_POSE = ("matplotlib", "matplotlib.pyplot", "sounddevice")


class _Deferred(types.ModuleType):
    """Stands in for a module while MediaPipe imports; the first attribute asked of it imports
    the real module (so MediaPipe's drawing or audio helpers still work if anyone calls them)."""

    def __getattr__(self, attr: str):
        if attr.startswith("__") and attr.endswith("__"):  # introspection (inspect, import hooks), not use
            raise AttributeError(attr)
        if sys.modules.get(self.__name__) is self:
            del sys.modules[self.__name__]
        return getattr(importlib.import_module(self.__name__), attr)


@contextlib.contextmanager
def _deferred(names: tuple[str, ...]):
    """Stand-ins for `names` (those not imported yet) in sys.modules, removed on exit."""
    placed: dict[str, _Deferred] = {}
    for name in names:
        if name not in sys.modules:
            placed[name] = sys.modules[name] = _Deferred(name)
            parent, _, child = name.rpartition(".")
            if parent in placed:
                setattr(placed[parent], child, placed[name])
    try:
        yield
    finally:
        for name, stub in placed.items():
            if sys.modules.get(name) is stub:
                del sys.modules[name]


_QUIET_LOCK = threading.Lock()
_QUIET = {"depth": 0, "saved": -1}


@contextlib.contextmanager
def quiet_native_stderr():
    """Silence MediaPipe's C++ start-up chatter (absl/TFLite write straight to fd 2).

    Only around graph creation; Python-level stderr is flushed first.
    fd 2 is process-wide, so nested or concurrent uses share one redirection (a counter
    under a lock): the real stderr is put back when the last one leaves.
    """
    with _QUIET_LOCK:
        if _QUIET["depth"] == 0:
            try:
                sys.stderr.flush()
                saved = os.dup(2)
                null = os.open(os.devnull, os.O_WRONLY)
                os.dup2(null, 2)
                os.close(null)
                _QUIET["saved"] = saved
            except (OSError, ValueError, AttributeError):  # no real fd 2 (some GUI launchers)
                _QUIET["saved"] = -1
        _QUIET["depth"] += 1
    try:
        yield
    finally:
        with _QUIET_LOCK:
            _QUIET["depth"] -= 1
            if _QUIET["depth"] == 0 and _QUIET["saved"] >= 0:
                _flush_c_stdio()  # what the C side buffered goes to /dev/null, not to the user later
                os.dup2(_QUIET["saved"], 2)
                os.close(_QUIET["saved"])
                _QUIET["saved"] = -1


def _flush_c_stdio() -> None:
    try:
        import ctypes

        ctypes.CDLL(None).fflush(None)
    except (OSError, AttributeError, TypeError):  # no libc symbol (Windows): nothing buffered to drop
        pass


def available() -> bool:
    """True when MediaPipe Pose can run here."""
    return _mediapipe() is not None


def mediapipe_module():
    """The mediapipe module (imported once, without the libraries Pose never uses), or None
    when it is unusable (`unavailable_reason` says why). Import it through here, not directly."""
    return _mediapipe()


def unavailable_reason() -> str:
    _mediapipe()
    return _MP_ERROR or ""


class PoseTracker:
    """Landmarks of one subject, frame after frame (video mode: MediaPipe tracks between frames).

    `update(rgb, box)` returns (33, 4) float32 rows (x, y in frame pixels, z relative, visibility
    0..1), or None when no body was found. Use as a context manager or call `close()`.
    """

    def __init__(self, crop_height: int = 256, min_confidence: float = 0.5):
        self.crop_height = int(crop_height)
        self._pose = None
        self._warm = False
        mp = _mediapipe()
        if mp is None:
            return
        try:
            with quiet_native_stderr():
                self._pose = mp.solutions.pose.Pose(
                    static_image_mode=False, model_complexity=1, smooth_landmarks=True,
                    enable_segmentation=False, min_detection_confidence=min_confidence,
                    min_tracking_confidence=min_confidence)
                # the graph opens its models on worker threads; one blank frame waits for that
                # (and for its log lines) while stderr is quiet
                self._pose.process(np.zeros((64, 64, 3), np.uint8))
        except Exception as exc:  # model file missing, graph error...
            log.info("pose estimation unavailable (%s)", exc)
            self._pose = None
        if self._pose is not None:
            _LIVE.add(self)

    @property
    def ok(self) -> bool:
        return self._pose is not None

    def update(self, rgb: np.ndarray, box: np.ndarray | None) -> np.ndarray | None:
        if self._pose is None or box is None or not np.all(np.isfinite(box)):
            return None
        H, W = rgb.shape[:2]
        x0, y0, x1, y1 = crop_rect(np.asarray(box, np.float64), W, H, mx=0.25, my=0.08)
        crop = rgb[y0:y1, x0:x1]
        if crop.shape[0] < 16 or crop.shape[1] < 8:
            return None
        scale = self.crop_height / float(crop.shape[0])
        if abs(scale - 1.0) > 0.05:
            interp = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
            crop = cv2.resize(crop, (max(8, int(round(crop.shape[1] * scale))), self.crop_height),
                              interpolation=interp)
        try:
            if self._warm:
                result = self._pose.process(np.ascontiguousarray(crop))
            else:  # the landmark stage logs once, the first time it runs
                with quiet_native_stderr():
                    result = self._pose.process(np.ascontiguousarray(crop))
                self._warm = result.pose_landmarks is not None
        except Exception as exc:  # a bad frame must not end the analysis
            log.debug("pose failed on a frame: %s", exc)
            return None
        if result.pose_landmarks is None:
            return None
        out = np.empty((N_LANDMARKS, 4), np.float32)
        for k, lm in enumerate(result.pose_landmarks.landmark):
            out[k] = (x0 + lm.x * (x1 - x0), y0 + lm.y * (y1 - y0), lm.z, lm.visibility)
        return out

    def close(self) -> None:
        if self._pose is not None:
            try:
                self._pose.close()
            except Exception:
                pass
            self._pose = None

    def __enter__(self) -> "PoseTracker":
        return self

    def __exit__(self, *exc) -> None:
        self.close()



def _close_all() -> None:
    """Close live trackers before the interpreter tears MediaPipe down (else exit can hang)."""
    for tracker in list(_LIVE):
        tracker.close()


_LIVE: "weakref.WeakSet[PoseTracker]" = weakref.WeakSet()
atexit.register(_close_all)


def pose_box(landmarks: np.ndarray, min_visibility: float = 0.3) -> np.ndarray | None:
    """Tight box (x0, y0, x1, y1) around the visible landmarks (for detection/association)."""
    if landmarks is None:
        return None
    vis = landmarks[:, 3] >= min_visibility
    if vis.sum() < 6:
        return None
    xy = landmarks[vis, :2]
    x0, y0 = xy.min(axis=0)
    x1, y1 = xy.max(axis=0)
    h = y1 - y0
    return np.array([x0 - 0.1 * h, y0 - 0.1 * h, x1 + 0.1 * h, y1 + 0.05 * h], np.float64)


__all__ = ["available", "mediapipe_module", "unavailable_reason", "PoseTracker", "pose_box", "LOWER_BODY", "N_LANDMARKS",
           "LEFT_HEEL", "RIGHT_HEEL", "LEFT_ANKLE", "RIGHT_ANKLE", "LEFT_FOOT", "RIGHT_FOOT",
           "LEFT_KNEE", "RIGHT_KNEE", "LEFT_HIP", "RIGHT_HIP"]

"""Dense optical flow statistics inside a subject's box, per frame (cv2 DIS on a small crop).

Why: a planted foot does not move against the ground while the swinging foot moves at about
twice the body's speed, so the motion in the lower part of the box falls sharply at each heel
strike. That works on any footage where pose estimation fails (small, blurred, odd-looking
subjects), and the same statistics are the per-frame video features of the learned mapper.

Flow between frames i-1 and i is computed on the same rectangle of both frames (the box
grown by a margin), resized to `crop_height` pixels. Camera motion is removed by subtracting
the median flow of the margin ring around the box (the ground and background next to the
subject). Speeds are in box heights per second, so they do not depend on resolution, zoom
or distance.
"""

from __future__ import annotations

import cv2
import numpy as np

FLOW_FEATURE_NAMES = (
    "bg_dx", "bg_dy",  # camera motion (median flow of the ring around the box)
    "body_dx", "body_dy",  # median motion of the upper body, relative to the background
    "box_mag", "box_p90",  # mean / 90th percentile speed in the whole box
    "low_dx", "low_dy", "low_mag", "low_p90",  # the feet band (lower quarter of the box)
    "lowl_p90", "lowr_p90",  # left and right halves of the feet band
    "low_moving",  # fraction of the feet band moving faster than 0.5 box heights/s
    "upper_mag",  # mean speed of the upper 60 % of the box
    "box_cx_rate", "box_h_rate",  # the box's own motion: centre x and log height, per second
)
N_FLOW = len(FLOW_FEATURE_NAMES)
IDX = {k: i for i, k in enumerate(FLOW_FEATURE_NAMES)}


def flow_engine(kind: str = "dis"):
    """A dense flow function (prev_gray, gray) -> (H, W, 2) float32 flow in pixels."""
    if kind == "farneback":
        def farneback(a, b):
            return cv2.calcOpticalFlowFarneback(a, b, None, 0.5, 3, 9, 3, 5, 1.1, 0)

        return farneback
    dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_FAST)
    dis.setFinestScale(0)  # our crops are already small: refine to full crop resolution

    def run_dis(a, b):
        return dis.calc(a, b, None)

    return run_dis


def crop_rect(box: np.ndarray, width: int, height: int, mx: float = 0.35,
              my: float = 0.12) -> tuple[int, int, int, int]:
    """Integer crop (x0, y0, x1, y1): the box grown by `mx` of its width and `my` of its height."""
    x0, y0, x1, y1 = (float(v) for v in box)
    w, h = max(x1 - x0, 2.0), max(y1 - y0, 2.0)
    cx0 = int(np.floor(max(0.0, x0 - mx * w)))
    cy0 = int(np.floor(max(0.0, y0 - my * h)))
    cx1 = int(np.ceil(min(float(width), x1 + mx * w)))
    cy1 = int(np.ceil(min(float(height), y1 + my * h)))
    return cx0, cy0, max(cx1, cx0 + 2), max(cy1, cy0 + 2)


class FlowAnalyzer:
    """Feeds frames one at a time; `update` returns the flow feature row of that frame.

    One analyzer per subject. `crop_height` trades speed for detail (96 px is plenty for feet
    at walking speed). `last_flow` keeps the latest relative flow and its region masks for
    callers that want a heatmap (box features, debugging).
    """

    def __init__(self, fps: float, crop_height: int = 96, engine: str = "dis"):
        self.fps = float(fps)
        self.crop_height = int(crop_height)
        self._flow = flow_engine(engine)
        self._prev_rgb: np.ndarray | None = None
        self._prev_box: np.ndarray | None = None
        self.last_flow: np.ndarray | None = None

    def reset(self) -> None:
        self._prev_rgb = self._prev_box = None

    def update(self, rgb: np.ndarray, box: np.ndarray | None) -> np.ndarray:
        """Features of this frame (NaN row when the box is unknown or there is no previous frame)."""
        row = np.full(N_FLOW, np.nan, np.float32)
        if box is None or not np.all(np.isfinite(box)):
            self.reset()
            return row
        box = np.asarray(box, np.float64)
        prev_rgb, prev_box = self._prev_rgb, self._prev_box
        self._prev_rgb, self._prev_box = rgb, box
        if prev_rgb is None or prev_rgb.shape != rgb.shape:
            return row
        H, W = rgb.shape[:2]
        union = np.array([min(box[0], prev_box[0]), min(box[1], prev_box[1]),
                          max(box[2], prev_box[2]), max(box[3], prev_box[3])])
        cx0, cy0, cx1, cy1 = crop_rect(union, W, H)
        scale = self.crop_height / float(cy1 - cy0)
        size = (max(8, int(round((cx1 - cx0) * scale))), max(8, int(round((cy1 - cy0) * scale))))
        a = _gray_crop(prev_rgb, cx0, cy0, cx1, cy1, size)
        b = _gray_crop(rgb, cx0, cy0, cx1, cy1, size)
        flow = self._flow(a, b)
        sx, sy = size[0] / float(cx1 - cx0), size[1] / float(cy1 - cy0)
        # the current box in crop pixels
        bx0, bx1 = (box[0] - cx0) * sx, (box[2] - cx0) * sx
        by0, by1 = (box[1] - cy0) * sy, (box[3] - cy0) * sy
        bh_px = max(box[3] - box[1], 2.0)
        # crop pixels/frame -> box heights/second
        unit = np.array([1.0 / sx, 1.0 / sy], np.float32) * (self.fps / bh_px)
        flow = flow * unit
        h, w = flow.shape[:2]
        ys, xs = np.mgrid[0:h, 0:w]
        xs = xs + 0.5
        ys = ys + 0.5
        inside = (xs >= bx0) & (xs < bx1) & (ys >= by0) & (ys < by1)
        ring = ~inside & (xs >= bx0 - 0.3 * (bx1 - bx0)) & (xs < bx1 + 0.3 * (bx1 - bx0))
        bg = np.median(flow[ring], axis=0) if ring.sum() >= 20 else np.zeros(2, np.float32)
        rel = flow - bg.astype(np.float32)
        mag = np.hypot(rel[..., 0], rel[..., 1])
        bh = by1 - by0
        low = inside & (ys >= by1 - 0.25 * bh)
        # feet often stick out a little below a loose box: include a sliver under it
        low |= (xs >= bx0) & (xs < bx1) & (ys >= by1) & (ys < by1 + 0.05 * bh)
        midx = 0.5 * (bx0 + bx1)
        upper = inside & (ys < by0 + 0.6 * bh)
        row[IDX["bg_dx"]], row[IDX["bg_dy"]] = bg[0], bg[1]
        if upper.any():
            row[IDX["body_dx"]], row[IDX["body_dy"]] = np.median(rel[upper], axis=0)
            row[IDX["upper_mag"]] = mag[upper].mean()
        if inside.any():
            row[IDX["box_mag"]] = mag[inside].mean()
            row[IDX["box_p90"]] = np.percentile(mag[inside], 90)
        if low.any():
            lm = mag[low]
            row[IDX["low_dx"]], row[IDX["low_dy"]] = rel[low].mean(axis=0)
            row[IDX["low_mag"]] = lm.mean()
            row[IDX["low_p90"]] = np.percentile(lm, 90)
            row[IDX["low_moving"]] = float((lm > 0.5).mean())
            left, right = low & (xs < midx), low & (xs >= midx)
            row[IDX["lowl_p90"]] = np.percentile(mag[left], 90) if left.any() else 0.0
            row[IDX["lowr_p90"]] = np.percentile(mag[right], 90) if right.any() else 0.0
        pw = max(prev_box[3] - prev_box[1], 2.0)
        row[IDX["box_cx_rate"]] = (0.5 * (box[0] + box[2] - prev_box[0] - prev_box[2])) / bh_px * self.fps
        row[IDX["box_h_rate"]] = np.log(bh_px / pw) * self.fps
        self.last_flow = rel
        return row


def _gray_crop(rgb: np.ndarray, x0: int, y0: int, x1: int, y1: int, size: tuple[int, int]) -> np.ndarray:
    crop = rgb[y0:y1, x0:x1]
    small = cv2.resize(crop, size, interpolation=cv2.INTER_AREA)
    return cv2.cvtColor(small, cv2.COLOR_RGB2GRAY)


def fill_rows(values: np.ndarray) -> np.ndarray:
    """Rows with NaN replaced by the nearest valid row (first frames copy the next valid one)."""
    v = np.asarray(values, np.float32).copy()
    ok = np.isfinite(v).all(axis=1)
    if not ok.any():
        return np.zeros_like(v)
    idx = np.arange(len(v))
    valid = idx[ok]
    pos = np.searchsorted(valid, idx)
    left = valid[np.clip(pos - 1, 0, len(valid) - 1)]
    right = valid[np.clip(pos, 0, len(valid) - 1)]
    nearest = np.where(np.abs(idx - left) <= np.abs(right - idx), left, right)
    v[~ok] = v[nearest[~ok]]
    return v


__all__ = ["FLOW_FEATURE_NAMES", "N_FLOW", "IDX", "FlowAnalyzer", "flow_engine", "crop_rect", "fill_rows"]

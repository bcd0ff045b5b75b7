"""Spatial alignment: is the sound heard where the box is on screen? (SAVGBench's idea)

SAVGBench's Spatial AV-Align runs a stereo SELD model every 100 ms, pads its horizontal
estimate with a fixed margin and counts a true positive when that padded estimate overlaps
the detected object in the nearest video frame; the score is the recall TP / (TP + FN).
Here the SELD model is replaced by an explicit estimate, because our takes are rendered with
a known law:

- stereo: the broadband ILD of the window inverted through the constant-power pan law
  (`dsp.panning.pan_from_ild`, the law the stereo renderer uses) gives the pan;
- binaural: the GCC-PHAT ITD inverted through Woodworth's formula gives the azimuth (the
  head model's ITD is exactly Woodworth's; its level differences depend on frequency and
  are not invertible broadband), pan = azimuth / 90 deg (`dsp.panning.pan_from_itd`).

The pan goes back through the trajectory's pan mapping (`core.trajectory.PanMapping`: screen
width or a lens) to a pixel column; the window is aligned when that column lies inside the box widened by 40/256 of the frame width
on each side. Windows whose frame has no box (subject unseen) are not counted.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..core.track import Track
from ..core.trajectory import PanMapping, Trajectory
from ..dsp.interaural import InterauralWindows, interaural_windows
from ..dsp.panning import pan_from_ild, pan_from_itd

__all__ = ["SAVG_MARGIN", "HeardPositions", "heard_positions", "Alignment", "spatial_alignment", "pan_error"]

SAVG_MARGIN = 40.0 / 256.0  # of the frame width, each side
WINDOW_BATCH = 32  # windows measured at a time: ~70 MB of FFT work space (128: ~300 MB), same numbers


@dataclass
class HeardPositions:
    times: np.ndarray
    pan: np.ndarray
    active: np.ndarray
    cues: InterauralWindows


def heard_positions(audio: np.ndarray, sr: int, mode: str = "stereo", window_s: float = 0.1,
                    active_db: float = -40.0, cues: InterauralWindows | None = None) -> HeardPositions:
    """Pan heard in each `window_s` window (see the module docstring for the two modes).

    `cues`: the take's `interaural_windows` (same window and threshold) when already measured:
    they are the costly part (GCC-PHAT per window), so a caller scoring a take measures once."""
    if mode not in ("stereo", "binaural"):
        raise ValueError(f"mode must be 'stereo' or 'binaural', not {mode!r}")
    if cues is None:
        cues = interaural_windows(audio, sr, window_s, active_db, batch=WINDOW_BATCH)
    if mode == "stereo":
        pan = pan_from_ild(cues.ild_db)
    else:
        pan = pan_from_itd(cues.itd_ms / 1e3)
    return HeardPositions(cues.times, pan, cues.active, cues)


@dataclass
class Alignment:
    """Recall plus per-window arrays for the Studio's heard-vs-box plot."""

    recall: float
    times: np.ndarray
    heard_x: np.ndarray
    box_x0: np.ndarray  # NaN where the subject is unseen
    box_x1: np.ndarray
    active: np.ndarray
    aligned: np.ndarray
    margin_px: float
    n_counted: int
    n_unseen: int
    extra: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {
            "recall": self.recall, "times": self.times.tolist(), "heard_x": self.heard_x.tolist(),
            "box_x0": self.box_x0.tolist(), "box_x1": self.box_x1.tolist(), "active": self.active.tolist(),
            "aligned": self.aligned.tolist(), "margin_px": self.margin_px, "n_counted": self.n_counted,
            "n_unseen": self.n_unseen,
        }


def spatial_alignment(audio: np.ndarray, sr: int, track: Track, frame_width: float, fps: float,
                      hfov_deg: float = 90.0, mode: str = "stereo", margin_fraction: float = SAVG_MARGIN,
                      window_s: float = 0.1, active_db: float = -40.0,
                      mapping: PanMapping | None = None, heard: HeardPositions | None = None) -> Alignment:
    """Fraction of active windows whose heard position falls inside the (padded) box.

    `mapping`: how the take's pans relate to the screen (the trajectory's `mapping`); None is
    the default, screen-width panning (`hfov_deg` only matters to a lens mapping). `heard`:
    the take's `heard_positions` in this mode when already measured."""
    heard = heard if heard is not None else heard_positions(audio, sr, mode, window_s, active_db)
    heard_x = (mapping or PanMapping("screen", 1.0, hfov_deg)).x(heard.pan, frame_width)
    frames = np.floor(heard.times * fps + 1e-6).astype(np.int64)
    x0 = np.full(len(frames), np.nan)
    x1 = np.full(len(frames), np.nan)
    ok = (frames >= 0) & (frames < len(track))
    if np.any(ok):
        boxes = track.boxes[frames[ok]]
        x0[ok], x1[ok] = boxes[:, 0], boxes[:, 2]
    margin = margin_fraction * float(frame_width)
    seen = ~np.isnan(x0)
    aligned = seen & (heard_x >= x0 - margin) & (heard_x <= x1 + margin)
    counted = heard.active & seen
    n = int(np.sum(counted))
    recall = float(np.sum(aligned & counted) / n) if n else float("nan")
    return Alignment(recall, heard.times, heard_x, x0, x1, heard.active, aligned & counted, margin, n,
                     int(np.sum(heard.active & ~seen)))


def pan_error(audio: np.ndarray, sr: int, trajectory: Trajectory, mode: str = "stereo",
              window_s: float = 0.1, active_db: float = -40.0, heard: HeardPositions | None = None) -> float:
    """Mean |heard pan - trajectory pan| over active windows (NaN if none is active); `heard`:
    the take's `heard_positions` in this mode when already measured."""
    heard = heard if heard is not None else heard_positions(audio, sr, mode, window_s, active_db)
    if not np.any(heard.active) or len(trajectory) == 0:
        return float("nan")
    want = trajectory.pan_at(heard.times[heard.active])
    return float(np.mean(np.abs(heard.pan[heard.active] - want)))

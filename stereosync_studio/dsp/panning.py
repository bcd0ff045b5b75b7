"""Where a sound is heard: the stereo pan law, the spherical head's ITD, and their inverses.

Why here: the renderer places a sound with these laws and the spatial-alignment metric
reads the position back by inverting them; defining law and inverse side by side keeps
them exact inverses. Pan is in [-1, 1] (azimuth / 90 deg, + = right); the mapping from
pixels to pan (screen width or a lens) is `core.trajectory.PanMapping`, not repeated here.

Stereo pan law (constant power, -3 dB at centre), p = pan:
    gL = cos((p + 1) pi / 4),  gR = sin((p + 1) pi / 4)
so a source at the frame edge is hard left/right with screen-width panning (p = +-1), and has
an ILD of +-7.7 dB with a 90 deg lens mapping (p = +-0.5).

Binaural ITD: Woodworth's ray-tracing formula for a spherical head of radius r,
    ITD(theta) = r / c (theta + sin theta),  theta = azimuth in [-90, 90] deg,
positive when the right ear leads (source on the right).
"""

from __future__ import annotations

import numpy as np

__all__ = ["HEAD_RADIUS", "SPEED_OF_SOUND", "PAN_DEG", "pan_gains", "ild_from_pan", "pan_from_ild",
           "woodworth_itd", "azimuth_from_itd", "pan_from_itd"]

HEAD_RADIUS = 0.0875  # m, Brown-Duda's average head
SPEED_OF_SOUND = 343.0  # m/s
PAN_DEG = 90.0  # azimuth (deg) of pan 1: pan = azimuth / PAN_DEG


def pan_gains(pan: np.ndarray | float) -> tuple[np.ndarray, np.ndarray]:
    """Constant-power law: (gL, gR), both 1/sqrt(2) (-3 dB) at centre."""
    phi = (np.asarray(pan, np.float64) + 1.0) * (np.pi / 4.0)
    return np.cos(phi), np.sin(phi)


def ild_from_pan(pan: np.ndarray | float) -> np.ndarray:
    """ILD (dB, + = right louder) the pan law gives: 20 log10(gR / gL)."""
    gl, gr = pan_gains(pan)
    return 20.0 * np.log10(np.maximum(gr, 1e-12) / np.maximum(gl, 1e-12))


def pan_from_ild(ild_db: np.ndarray | float) -> np.ndarray:
    """Inverse pan law: ILD = 20 log10(gR / gL) -> pan (clipped to [-1, 1])."""
    ratio = 10.0 ** (np.asarray(ild_db, np.float64) / 20.0)
    return np.clip(np.arctan(ratio) * (4.0 / np.pi) - 1.0, -1.0, 1.0)


def woodworth_itd(azimuth_deg: np.ndarray | float, radius: float = HEAD_RADIUS) -> np.ndarray:
    """Interaural time difference (s), positive when the right ear leads (source on the right)."""
    th = np.radians(np.clip(np.asarray(azimuth_deg, np.float64), -90.0, 90.0))
    return radius / SPEED_OF_SOUND * (th + np.sin(th))


def azimuth_from_itd(itd_s: np.ndarray | float, radius: float = HEAD_RADIUS) -> np.ndarray:
    """Inverse of `woodworth_itd` (deg, clipped to +-90): ITD is monotonic in azimuth there."""
    grid = np.linspace(-90.0, 90.0, 3601)
    return np.interp(np.asarray(itd_s, np.float64), woodworth_itd(grid, radius), grid)


def pan_from_itd(itd_s: np.ndarray | float, radius: float = HEAD_RADIUS) -> np.ndarray:
    """The pan a binaural ITD says (azimuth_from_itd / 90 deg)."""
    return azimuth_from_itd(itd_s, radius) / PAN_DEG

"""Loudness envelope: RMS values in [0, 1] on a fixed hop.

The hop is the papers' one (librosa rms, frame 512, hop 128 at 44.1 kHz), so an envelope
computed from audio and one drawn in the Studio share a grid: ENVELOPE_RATE frames per second.
Step events (seconds) are optional: when set (by the user or by video analysis) the sampler
places one grain per event; when None, the steps an analysis found (`found`: the footsteps
of the guide track) are placed, and without those the engine finds steps at envelope peaks.
`found` steps are the analysis' proposal, not the designer's: the Studio shows them as the
planned steps, and setting `events` overrides them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

ENVELOPE_SR = 44100
ENVELOPE_HOP = 128
ENVELOPE_FRAME = 512
ENVELOPE_RATE = ENVELOPE_SR / ENVELOPE_HOP  # ~344.53 values per second


@dataclass
class Envelope:
    """RMS loudness curve (linear amplitude, 0..1) with optional explicit step events."""

    values: np.ndarray
    rate: float = ENVELOPE_RATE
    events: list[float] | None = None
    origin: str = "drawn"  # audio | video | csv | drawn | mapper | performed
    found: list[float] | None = None  # steps an analysis found (used when `events` is None)

    def __post_init__(self) -> None:
        v = np.asarray(self.values, dtype=np.float32).reshape(-1)
        self.values = np.clip(np.nan_to_num(v, nan=0.0, posinf=1.0, neginf=0.0), 0.0, 1.0)
        if self.events is not None:
            self.events = sorted(float(t) for t in self.events)
        if self.found is not None:
            self.found = sorted(float(t) for t in self.found)

    def steps(self) -> list[float] | None:
        """The steps to place: the designer's `events`, else the `found` ones (None: neither)."""
        return self.events if self.events is not None else self.found

    @property
    def duration(self) -> float:
        return len(self.values) / self.rate

    def times(self) -> np.ndarray:
        """Time (seconds) of each value: frame i is centred at i / rate (librosa center=True)."""
        return np.arange(len(self.values), dtype=np.float64) / self.rate

    def at(self, t: np.ndarray | float) -> np.ndarray:
        """Linear interpolation at times `t` (seconds); 0 outside."""
        return np.interp(np.asarray(t, dtype=np.float64), self.times(), self.values, left=0.0, right=0.0)

    def resampled(self, n: int) -> np.ndarray:
        """The curve on `n` evenly spaced points over its duration (for models and plots)."""
        if n <= 0:
            return np.zeros(0, np.float32)
        t = np.linspace(0.0, max(self.duration - 1.0 / self.rate, 0.0), n)
        return self.at(t).astype(np.float32)

    def with_duration(self, seconds: float) -> "Envelope":
        """Padded with zeros or cut so it covers exactly `seconds`."""
        n = int(round(seconds * self.rate)) + 1
        v = np.zeros(n, np.float32)
        m = min(n, len(self.values))
        v[:m] = self.values[:m]
        ev = None if self.events is None else [t for t in self.events if t <= seconds]
        found = None if self.found is None else [t for t in self.found if t <= seconds]
        return Envelope(v, self.rate, ev, self.origin, found)

    @classmethod
    def silent(cls, seconds: float, rate: float = ENVELOPE_RATE) -> "Envelope":
        return cls(np.zeros(int(round(seconds * rate)) + 1, np.float32), rate)

    @classmethod
    def from_points(cls, times: np.ndarray, values: np.ndarray, seconds: float,
                    rate: float = ENVELOPE_RATE, origin: str = "csv") -> "Envelope":
        """From (time, value) breakpoints, e.g. a CSV file or an automation lane."""
        grid = np.arange(int(round(seconds * rate)) + 1) / rate
        order = np.argsort(times)
        v = np.interp(grid, np.asarray(times, float)[order], np.asarray(values, float)[order])
        return cls(v.astype(np.float32), rate, None, origin)

    def to_dict(self) -> dict:
        d = {
            "rate": self.rate,
            "values": [round(float(x), 5) for x in self.values],
            "events": self.events,
            "origin": self.origin,
        }
        if self.found is not None:
            d["found"] = [round(float(t), 5) for t in self.found]
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "Envelope":
        return cls(np.asarray(d.get("values", []), np.float32), float(d.get("rate", ENVELOPE_RATE)),
                   d.get("events"), d.get("origin", "drawn"), d.get("found"))

    def copy(self) -> "Envelope":
        return Envelope(self.values.copy(), self.rate, None if self.events is None else list(self.events),
                        self.origin, None if self.found is None else list(self.found))




__all__ = ["Envelope", "ENVELOPE_RATE", "ENVELOPE_SR", "ENVELOPE_HOP", "ENVELOPE_FRAME"]

"""Time base: video frames <-> seconds <-> audio samples, and SMPTE-style timecode."""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class TimeBase:
    """Conversions for one clip: `fps` of the picture, `sample_rate` of the audio."""

    fps: float
    sample_rate: int = 48000

    def frame_to_seconds(self, frame: int | float) -> float:
        return float(frame) / self.fps

    def seconds_to_frame(self, seconds: float) -> int:
        """Index of the frame shown at `seconds` (floor, with a small tolerance)."""
        return int(math.floor(seconds * self.fps + 1e-6))

    def seconds_to_samples(self, seconds: float) -> int:
        return int(round(seconds * self.sample_rate))

    def samples_to_seconds(self, samples: int) -> float:
        return samples / float(self.sample_rate)

    def frame_to_samples(self, frame: int | float) -> int:
        return self.seconds_to_samples(self.frame_to_seconds(frame))

    def timecode(self, seconds: float) -> str:
        return timecode(seconds, self.fps)


def timecode(seconds: float, fps: float) -> str:
    """HH:MM:SS:FF (non-drop-frame, frames counted at the rounded nominal rate)."""
    nominal = max(1, int(round(fps)))
    total_frames = int(math.floor(max(seconds, 0.0) * fps + 1e-6))
    ff = total_frames % nominal
    total_s = total_frames // nominal
    return f"{total_s // 3600:02d}:{(total_s // 60) % 60:02d}:{total_s % 60:02d}:{ff:02d}"

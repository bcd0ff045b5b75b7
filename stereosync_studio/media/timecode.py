"""SMPTE timecode: the clip's start time from its metadata, and conversions for delivery.

Why: stems, the REAPER project and the AAF must land where the picture sits on the editor's
timeline, which is the clip's start timecode (a QuickTime `tmcd` track or a `timecode` tag,
as FFmpeg exposes both), else 00:00:00:00. Timecode counts frames at the nominal rate
(24, 25, 30, ...); a fractional rate (23.976, 29.97) runs 1000/1001 slower in real time, and
29.97/59.94 may drop frame numbers (';' before the frames) to stay close to the clock.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from ..core.errors import InputError

__all__ = ["ZERO", "Timecode", "clip_timecode", "exact_rate", "parse_timecode"]

ZERO = "00:00:00:00"
_TC = re.compile(r"^\s*(\d{1,2})[:;.](\d{2})[:;.](\d{2})([:;.])(\d{2,3})\s*$")


def exact_rate(fps: float) -> Fraction:
    """The frame rate as an exact fraction: 29.97 -> 30000/1001, 25.0 -> 25."""
    nominal = max(1, round(fps))
    if abs(fps - nominal) > 1e-3 and abs(fps - nominal * 1000 / 1001) < 0.01:
        return Fraction(nominal * 1000, 1001)
    return Fraction(fps).limit_denominator(1001)


@dataclass(frozen=True)
class Timecode:
    """A timecode at a frame rate: `frames` counted from 00:00:00:00 at the nominal rate."""

    frames: int
    fps: Fraction
    drop: bool = False

    @property
    def nominal(self) -> int:
        return max(1, round(float(self.fps)))

    @property
    def seconds(self) -> float:
        """Real time since midnight (the frame count at the exact rate)."""
        return float(self.frames / self.fps)

    def samples(self, sample_rate: int) -> int:
        """The BWF time reference: samples since midnight."""
        return int(round(self.frames * int(sample_rate) / self.fps))

    def __str__(self) -> str:
        f, nom = self.frames, self.nominal
        if self.drop:  # frame count -> drop-frame label (SMPTE 12M): 2 (4 at 59.94) numbers a minute, not each 10th
            d = 2 * (nom // 30)
            per10 = nom * 600 - 9 * d
            tens, rem = divmod(f, per10)
            f += 9 * d * tens + (d * ((rem - d) // (nom * 60 - d)) if rem > d else 0)
        h, rest = divmod(f, nom * 3600)
        m, rest = divmod(rest, nom * 60)
        s, fr = divmod(rest, nom)
        return f"{h:02d}:{m:02d}:{s:02d}{';' if self.drop else ':'}{fr:02d}"


def parse_timecode(text: str, fps: float) -> Timecode:
    """`HH:MM:SS:FF` (or `HH:MM:SS;FF` drop frame) at `fps`; ValueError when malformed."""
    m = _TC.match(str(text))
    if not m:
        raise ValueError(f"not a timecode: {text!r} (expected HH:MM:SS:FF)")
    h, mi, s, sep, fr = int(m.group(1)), int(m.group(2)), int(m.group(3)), m.group(4), int(m.group(5))
    rate = exact_rate(fps)
    nom = max(1, round(float(rate)))
    if mi > 59 or s > 59 or fr >= nom:
        raise ValueError(f"not a timecode at {float(rate):g} fps: {text!r}")
    drop = sep == ";" and nom in (30, 60) and rate.denominator == 1001
    frames = (h * 3600 + mi * 60 + s) * nom + fr
    if drop:
        total_minutes = 60 * h + mi
        frames -= 2 * (nom // 30) * (total_minutes - total_minutes // 10)
    return Timecode(frames, rate, drop)


def clip_timecode(path: str | Path, fps: float | None = None) -> Timecode:
    """The clip's start timecode from its metadata (container, then streams: the first
    `timecode` tag), else 00:00:00:00; InputError if the clip cannot be opened."""
    import av

    p = Path(path)
    try:
        container = av.open(str(p), metadata_errors="ignore")
    except (av.error.FFmpegError, OSError) as exc:
        raise InputError(p, f"cannot read the clip's timecode ({exc})") from None
    with container:
        video = container.streams.video[0] if container.streams.video else None
        rate = fps or (float(video.average_rate) if video is not None and video.average_rate else 25.0)
        tags = [container.metadata] + [s.metadata for s in container.streams]
        for tag in tags:
            text = tag.get("timecode")
            if text:
                try:
                    return parse_timecode(text, rate)
                except ValueError:
                    continue  # a malformed tag is ignored: the next one, or zero
    return Timecode(0, exact_rate(rate))

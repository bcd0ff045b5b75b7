"""Loudness envelopes from audio (the papers' RMS), from CSV files, and back to CSV.

The RMS is exactly the one StereoSync / Stable-V2A condition on and E-L1 measures
(`dsp.rms.rms_envelope`: mono mixdown, 44.1 kHz, librosa `rms` with frame 512 and hop 128,
centred frames), clipped to [0, 1], no smoothing, no normalisation -- so an envelope taken
from a guide track, a take or a reference means the same thing everywhere.
"""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path

import numpy as np

from ..core.envelope import ENVELOPE_RATE, ENVELOPE_SR, Envelope
from ..core.errors import InputError
from ..core.project import atomic_write_text
from ..dsp.rms import align_length, rms_envelope
from .guide_signal import guide_mono


def _grid_len(seconds: float) -> int:
    return int(round(seconds * ENVELOPE_RATE)) + 1


def envelope_from_audio(audio: np.ndarray, sample_rate: int) -> Envelope:
    """RMS envelope (origin "audio") of (C, N) or (N,) float audio on the ENVELOPE_RATE grid.

    `dsp.rms.rms_envelope` (the metric's own envelope), NaN/inf read as silence, cut or
    zero-padded to the grid length of the audio's duration and clipped to [0, 1]."""
    mono = guide_mono(audio)  # NaN/inf as 0; a stereo guide with one channel inverted is not silence
    v = align_length(rms_envelope(mono, int(sample_rate)), _grid_len(len(mono) / float(sample_rate)))
    return Envelope(np.clip(v.astype(np.float32), 0.0, 1.0), ENVELOPE_RATE, None, "audio")


def envelope_from_clip(path: str | Path) -> Envelope | None:
    """RMS envelope of a clip's own sound (the guide track), or None if it has no audio."""
    from ..media.video import read_guide_audio

    audio = read_guide_audio(path, sample_rate=ENVELOPE_SR)
    if audio is None:
        return None
    return envelope_from_audio(audio, ENVELOPE_SR)


# ----------------------------------------------------------------------------- CSV

def _rows(path: Path) -> list[tuple[int, list[str]]]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError(path, "file not found") from None
    except IsADirectoryError:
        raise InputError(path, "is a folder, not a CSV file") from None
    except UnicodeDecodeError:
        raise InputError(path, "not a text CSV file (cannot be read as UTF-8)") from None
    lines = [(i + 1, ln) for i, ln in enumerate(text.splitlines()) if ln.strip() and not ln.lstrip().startswith("#")]
    if not lines:
        raise InputError(path, "CSV file is empty")
    sample = "\n".join(ln for _, ln in lines[:20])
    delim = next((d for d in (",", ";", "\t") if d in sample), None)  # None: spaces
    out = []
    for lineno, ln in lines:
        if delim is None:
            cells = ln.split()
        else:
            cells = [c.strip() for c in next(csv.reader(io.StringIO(ln), delimiter=delim))]
            if cells and cells[-1] == "" and len(cells) > 1:  # a trailing separator
                cells = cells[:-1]
        out.append((lineno, cells))
    return out


def _number(cell: str, path: Path, lineno: int, what: str) -> float:
    try:
        x = float(cell)
    except ValueError:
        raise InputError(path, f"line {lineno}: {what} {cell!r} is not a number") from None
    if not math.isfinite(x):
        raise InputError(path, f"line {lineno}: {what} is {cell!r}, not a finite number")
    return x


def envelope_from_csv(path: str | Path, duration: float | None = None) -> Envelope:
    """Envelope (origin "csv") from `time_seconds,value` rows, or one value per line at ENVELOPE_RATE.

    A header line is optional; `,` `;` tab or spaces separate columns. Values are linear 0..1,
    or dB (all <= 0 and some below -1) which are converted to linear. `duration` sets the
    length (default: the last time in the file). Bad rows raise InputError naming file and line.
    """
    p = Path(path)
    rows = _rows(p)
    first_line, first = rows[0]
    try:
        [float(c) for c in first]
    except ValueError:
        rows = rows[1:]  # a header
        if not rows:
            raise InputError(p, "CSV file has a header but no values")
    ncol = len(rows[0][1])
    if ncol not in (1, 2):
        raise InputError(p, f"line {rows[0][0]}: expected 2 columns (time_seconds, value) or 1 (value), "
                            f"found {ncol}")
    times, values = [], []
    for lineno, cells in rows:
        if len(cells) != ncol:
            raise InputError(p, f"line {lineno}: expected {ncol} column{'s' if ncol > 1 else ''}, found {len(cells)}")
        if ncol == 2:
            t = _number(cells[0], p, lineno, "time")
            if t < 0:
                raise InputError(p, f"line {lineno}: time {t} is negative")
            times.append(t)
        values.append(_number(cells[-1], p, lineno, "value"))
    v = np.asarray(values, np.float64)
    if np.all(v <= 0) and np.any(v < -1):
        v = np.power(10.0, v / 20.0)  # dBFS
    else:
        bad = np.nonzero((v < 0) | (v > 1.0 + 1e-6))[0]
        if len(bad):
            lineno = rows[int(bad[0])][0]
            raise InputError(p, f"line {lineno}: value {values[int(bad[0])]} is outside 0..1 "
                                "(linear values must be 0..1; dB values must all be <= 0)")
    if ncol == 2:
        t = np.asarray(times, np.float64)
        seconds = float(duration) if duration is not None else float(t.max())
        if len(t) == 1:
            return Envelope(np.full(_grid_len(seconds), v[0], np.float32), ENVELOPE_RATE, None, "csv")
        return Envelope.from_points(t, v, seconds, ENVELOPE_RATE, origin="csv")
    env = Envelope(v.astype(np.float32), ENVELOPE_RATE, None, "csv")
    if duration is not None:
        env = env.with_duration(float(duration))
    return env


def envelope_to_csv(env: Envelope, path: str | Path) -> Path:
    """Write `time_seconds,value` rows (one per envelope value), atomically."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    lines = ["time_seconds,value"]
    lines += [f"{t:.9f},{x:.7f}" for t, x in zip(env.times(), env.values)]
    atomic_write_text(target, "\n".join(lines) + "\n")
    return target


__all__ = ["envelope_from_audio", "envelope_from_clip", "envelope_from_csv", "envelope_to_csv"]

"""Export takes as delivery stems: `<clip>_<source>_takeNN.wav`, BWF, atomic, exact length.

Beside the stems, on request: loudness-normalised levels (`loudness`, a target in LUFS under
a -1 dBTP ceiling), each take's Space as its own `_reverb` stem, and DAW sessions (`daw`:
REAPER .rpp, AAF) that place every stem at the clip's start timecode. The timecode comes
from the project's `start_timecode` setting, else the clip's metadata, else 00:00:00:00,
and is written into every stem's BWF time reference too.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..core.errors import InputError, StereoSyncError
from ..core.progress import CancelToken, ProgressFn, null_progress
from ..core.project import Project, TakeInfo
from .daw import DAW_FORMATS, Stem, daw_formats, step_markers, write_aaf, write_rpp
from .inputs import check_clip, output_dir
from .loudness import LOUDNESS_TARGETS, TRUE_PEAK_CEILING_DBTP, loudness_target, normalise_loudness
from .render import reverb_path, safe_name, take_number

__all__ = ["DAW_FORMATS", "ExportResult", "LOUDNESS_TARGETS", "export_stems", "start_timecode"]


class ExportResult(list):
    """The stem paths written (a list, as before), with what else the export made."""

    def __init__(self, paths: list[Path] | None = None):
        super().__init__(paths or [])
        self.reverb: list[Path] = []
        self.daw: dict[str, Path] = {}
        self.loudness: dict[str, dict[str, Any]] = {}  # stem file name -> measured/applied figures
        self.timecode: str = "00:00:00:00"
        self.warnings: list[str] = []


@dataclass
class _Planned:
    source: str
    take: TakeInfo
    path: Path
    audio: np.ndarray
    wet: np.ndarray | None = None
    dry: np.ndarray | None = None  # audio - wet, when the reverb is its own stem
    report: dict[str, Any] = field(default_factory=dict)


def start_timecode(project: Project, time_reference: int | None = None, sample_rate: int | None = None):
    """The timeline start (a media.timecode.Timecode): from `time_reference` samples when given,
    else the project's `start_timecode` setting (an override), else the clip's metadata, else zero."""
    from ..media.timecode import Timecode, clip_timecode, exact_rate, parse_timecode

    fps = project.clip.fps
    if time_reference is not None and int(time_reference) > 0:
        sr = int(sample_rate or project.sample_rate)
        return Timecode(int(round(int(time_reference) / sr * exact_rate(fps))), exact_rate(fps))
    text = str(project.settings.get("start_timecode") or "")
    if text:
        try:
            return parse_timecode(text, fps)
        except ValueError as exc:
            raise InputError(project.path, f"settings.start_timecode: {exc}") from None
    if Path(project.clip.path).is_file():
        return clip_timecode(project.clip.path, fps)
    return Timecode(0, exact_rate(fps))


def export_stems(project: Project, takes: list[tuple[str, TakeInfo]], outdir: str | Path,
                 sample_rate: int = 48000, bits: int = 24, preview: bool = False,
                 time_reference: int | None = None, loudness: float | str | None = None,
                 daw: str | list[str] | None = None, reverb_stem: bool | None = None,
                 progress: ProgressFn = null_progress, cancel: CancelToken | None = None) -> ExportResult:
    """Write chosen takes as delivery stems `<clip>_<source>_takeNN.wav` (atomic, BWF).

    `time_reference`: samples since midnight for the BWF header (None: the clip's timecode).
    `loudness`: a target (LUFS, a `LOUDNESS_TARGETS` label, or None). `daw`: "reaper,aaf" or a
    list. `reverb_stem`: deliver each take's Space as `<stem>_reverb.wav` (None: as each take's
    own `reverb_stem` option says). Stems already written stay when a later one fails."""
    from ..media.audio import read_audio

    cancel = cancel or CancelToken()
    try:
        target = loudness_target(loudness)
        formats = daw_formats(daw)
    except ValueError as exc:
        raise StereoSyncError(str(exc)) from None
    outdir = _writable(output_dir(outdir))
    if preview:
        check_clip(project)
    tc = start_timecode(project, time_reference, sample_rate)
    # a time reference the caller gave is kept to the sample; the timecode is only its label
    tref = int(time_reference) if time_reference is not None and int(time_reference) > 0 else tc.samples(sample_rate)
    result = ExportResult()
    result.timecode = str(tc)
    n = int(round(project.clip.duration * sample_rate))
    plan: list[_Planned] = []
    for i, (source_name, take) in enumerate(takes):
        cancel.check()
        progress(0.6 * i / max(len(takes), 1), f"reading {take.name}")
        audio = _fit_length(read_audio(take.path, sample_rate)[0], n)
        number = take_number(take, i + 1)
        path = outdir / f"{project.name}_{safe_name(source_name)}_take{number:02d}.wav"
        item = _Planned(source_name, take, path, audio)
        wants_reverb = bool(take.options.get("reverb_stem")) if reverb_stem is None else bool(reverb_stem)
        side = reverb_path(take.path)
        if wants_reverb and side.is_file():
            item.wet = _fit_length(read_audio(side, sample_rate)[0], n)
        elif wants_reverb and str(take.options.get("space", "dry")) != "dry":
            result.warnings.append(f"{take.path}: its reverb file {side.name} is missing; exported mixed")
        if item.wet is not None:  # dry and reverb stems follow every gain: both held under the ceiling
            item.wet = np.require(item.wet, np.float32, ["W"])
            item.dry = item.audio - item.wet
        if target is not None:
            done = normalise_loudness(audio, sample_rate, target, TRUE_PEAK_CEILING_DBTP,
                                      also=[item.wet, item.dry] if item.wet is not None else None)
            item.audio = done.audio
            item.report = {"target_lufs": target, "gain_db": round(done.gain_db, 2),
                           "limited_db": round(done.limited_db, 2)}
            if done.note:
                result.warnings.append(f"{path.name}: {done.note}")
        cut = _hold_ceiling(item, sample_rate)
        if cut > 0.0 and target is not None:
            item.report["limited_db"] = round(max(item.report["limited_db"], cut), 2)
        elif cut > 0.0:
            result.warnings.append(f"{path.name}: true peak over {TRUE_PEAK_CEILING_DBTP:g} dBTP: "
                                   f"limited by up to {cut:.1f} dB")
        plan.append(item)
    stems: list[Stem] = []
    for i, item in enumerate(plan):
        cancel.check()
        progress(0.6 + 0.3 * i / max(len(plan), 1), f"exporting {item.path.name}")
        dry = item.audio if item.dry is None else item.dry
        _write(item.path, dry, sample_rate, bits, tref, result, item.take)
        result.append(item.path)
        stems.append(Stem(item.source, item.path, dry.shape[1], sample_rate, dry.shape[0]))
        result.loudness[item.path.name] = {**_measure(item.audio, sample_rate), **item.report}
        if item.wet is not None:
            wet_path = item.path.with_name(item.path.stem + "_reverb.wav")
            _write(wet_path, item.wet, sample_rate, bits, tref, result, item.take)
            result.reverb.append(wet_path)
            stems.append(Stem(item.source, wet_path, item.wet.shape[1], sample_rate, item.wet.shape[0], "reverb"))
        if preview:
            from ..media.mux import mux_preview

            mux_preview(project.clip.path, item.audio, sample_rate, item.path.with_suffix(".mp4"))
    if formats and stems:
        progress(0.92, "DAW session")
        _write_daw(formats, outdir, project, stems, tc, result)
    progress(1.0, f"exported {len(result)} stem(s)")
    return result


def _hold_ceiling(item: _Planned, sr: int) -> float:
    """Every delivered file at or under the true-peak ceiling (a take from before the limiter
    held true peaks, one resampled to the export rate, or a dry stem split from its reverb can
    be over): one gain for the take, its dry and its reverb stems, so they still sum. The cut (dB)."""
    from ..engines.limiter import peak_limit

    ceiling = 10.0 ** (TRUE_PEAK_CEILING_DBTP / 20.0)
    item.audio = np.require(item.audio, np.float32, ["W"])
    if item.wet is None or item.dry is None:
        return peak_limit(item.audio, sr, ceiling=ceiling)
    return peak_limit(item.dry, sr, also=[item.wet, item.audio], ceiling=ceiling)


def _write_daw(formats: list[str], outdir: Path, project: Project, stems: list[Stem], tc, result: ExportResult):
    markers = step_markers(project)
    for fmt in formats:
        path = outdir / f"{project.name}.{'rpp' if fmt == 'reaper' else 'aaf'}"
        try:
            if fmt == "reaper":
                write_rpp(path, project, stems, tc, markers)
            else:
                write_aaf(path, project, stems, tc)
        except OSError as exc:
            raise InputError(path, f"cannot write the {DAW_FORMATS[fmt]} ({exc.strerror or exc}); "
                                   f"the {len(stems)} stem file(s) in {outdir} are kept") from exc
        result.daw[fmt] = path


def _write(path: Path, audio: np.ndarray, sr: int, bits: int, tref: int, result: ExportResult, take: TakeInfo):
    from ..media.audio import write_wav

    try:
        write_wav(path, audio, sr, bits=bits, time_reference=tref,
                  description=f"StereoSync take {take.name} ({take.engine}, seed {take.seed})")
    except OSError as exc:
        kept = f"; the {len(result)} stem(s) already written are kept" if len(result) else ""
        raise InputError(path, f"cannot write the stem ({exc.strerror or exc}){kept}") from exc


def _measure(audio: np.ndarray, sr: int) -> dict[str, float]:
    from ..metrics.loudness import loudness_report

    return {k: round(v, 2) for k, v in loudness_report(audio, sr).items()}


def _writable(folder: Path) -> Path:
    """InputError naming the folder when no file can be created in it (before any work)."""
    try:
        fd, probe = tempfile.mkstemp(prefix=".stereosync-", dir=folder)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise InputError(folder, f"export folder is not writable ({exc.strerror or exc})") from exc
    return folder


def _fit_length(audio: np.ndarray, n: int) -> np.ndarray:
    if audio.shape[1] >= n:
        return audio[:, :n]
    return np.pad(audio, ((0, 0), (0, n - audio.shape[1])))

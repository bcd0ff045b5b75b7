"""DAW sessions beside the stems: a REAPER project (.rpp) and an AAF (Pro Tools, Nuendo, Resolve).

Why: a designer otherwise rebuilds the session by hand. Both files put every exported stem
at the clip's position (the start of the timeline, which carries the clip's start timecode),
one track per subject (and per subject's reverb stem), the clip itself on a video track
(REAPER) and the planned steps as markers (REAPER). Written with the kept libraries `rpp`
and `pyaaf2`; the AAF links the WAV files (not embedded), each with its tape timecode.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..core.errors import InputError
from ..core.fileio import atomic_write_text
from ..core.project import Project
from ..media.timecode import Timecode

__all__ = ["DAW_FORMATS", "Stem", "daw_formats", "step_markers", "write_aaf", "write_rpp"]

DAW_FORMATS = {"reaper": "REAPER project (.rpp)", "aaf": "AAF (Pro Tools, Nuendo, Resolve)"}


@dataclass
class Stem:
    """One exported WAV: whose it is (the track), its file, its length in samples."""

    source: str
    path: Path
    frames: int
    sample_rate: int
    channels: int = 2
    kind: str = "take"  # "take" | "reverb"

    @property
    def track(self) -> str:
        return self.source if self.kind == "take" else f"{self.source} reverb"


def daw_formats(spec: str | list[str] | None) -> list[str]:
    """`"reaper,aaf"` or a list -> the known format keys (ValueError naming an unknown one)."""
    items = spec.split(",") if isinstance(spec, str) else list(spec or [])
    out = []
    for item in (i.strip().lower() for i in items):
        if not item or item == "none":
            continue
        item = {"rpp": "reaper", "protools": "aaf", "pro-tools": "aaf"}.get(item, item)
        if item not in DAW_FORMATS:
            raise ValueError(f"unknown DAW format {item!r} (known: {', '.join(DAW_FORMATS)})")
        if item not in out:
            out.append(item)
    return out


def step_markers(project: Project) -> list[tuple[float, str]]:
    """(seconds, name) of each subject's planned steps, in time order."""
    from .render import planned_steps

    marks = []
    several = len(project.sources) > 1
    for s in project.sources:
        env = s.envelope.with_duration(project.clip.duration)
        for k, t in enumerate(planned_steps(env, dict(s.engine_options))):
            marks.append((float(t), f"{s.name} step {k + 1}" if several else f"step {k + 1}"))
    return sorted(marks)


def write_rpp(path: Path, project: Project, stems: list[Stem], timecode: Timecode,
              markers: list[tuple[float, str]]) -> Path:
    """A REAPER project: video track, a track per subject with each take as an item at 0 (all but
    the first muted), markers, and the project's start time set to the clip's timecode."""
    import rpp
    from rpp import Element

    sr = stems[0].sample_rate if stems else project.sample_rate
    root = Element("REAPER_PROJECT", ["0.1", "7.0", "0"], [
        ["SAMPLERATE", str(sr), "0", "0"],
        ["PROJOFFS", _num(timecode.seconds), "0", "0"],  # the timeline starts at the clip's timecode
        ["TIMEMODE", "5", "5", "-1", "30", "0", "0", "-1"],  # rulers in timecode
    ])
    duration = project.clip.duration
    video = Path(project.clip.path)
    root.append(Element("TRACK", [], [["NAME", "video"], _item(video.name, 0.0, duration, "VIDEO",
                                                                 str(video.resolve()), muted=False)]))
    tracks: dict[str, Element] = {}
    for stem in stems:
        track = tracks.get(stem.track)
        if track is None:
            track = tracks[stem.track] = Element("TRACK", [], [["NAME", _track_name(project, stem)]])
            root.append(track)
        muted = any(isinstance(c, Element) for c in track.children)  # one take heard at a time
        track.append(_item(stem.path.stem, 0.0, stem.frames / stem.sample_rate, "WAVE", str(stem.path.resolve()),
                           muted))
    for k, (t, name) in enumerate(markers, 1):
        root.append(["MARKER", str(k), _num(t), name, "0"])
    atomic_write_text(path, rpp.dumps(root))
    return path


def _track_name(project: Project, stem: Stem) -> str:
    """The stems' own name without the take number: `<clip>_<source>` (`_reverb`)."""
    from .render import safe_name

    base = f"{project.name}_{safe_name(stem.source)}"
    return base if stem.kind == "take" else f"{base}_reverb"


def _item(name: str, position: float, length: float, kind: str, file: str, muted: bool):
    from rpp import Element

    return Element("ITEM", [], [
        ["POSITION", _num(position)], ["LENGTH", _num(length)], ["MUTE", "1" if muted else "0", "0"],
        ["NAME", name], Element("SOURCE", [kind], [["FILE", file]])])


def _num(x: float) -> str:
    return f"{x:.10f}".rstrip("0").rstrip(".") or "0"


def write_aaf(path: Path, project: Project, stems: list[Stem], timecode: Timecode) -> Path:
    """An AAF composition: a timecode track at the clip's start, then one mono slot per channel
    of every stem, each a clip at the start linked to its WAV (tape timecode = the clip's)."""
    import aaf2

    if not stems:
        raise InputError(path, "no stems to put in the AAF")
    sr = stems[0].sample_rate
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        with aaf2.open(str(tmp), "w") as f:
            comp = f.create.CompositionMob(f"{project.name} StereoSync")
            f.content.mobs.append(comp)
            longest = max(s.frames for s in stems)
            tc_slot = comp.create_timeline_slot(edit_rate=timecode.nominal)
            tc_slot.segment = _timecode(f, timecode, int(round(longest / sr * timecode.nominal)))
            for stem in stems:
                master, _, tape = f.content.link_external_wav(_wav_metadata(stem))
                master.name = stem.path.stem
                tape_tc = tape.create_timecode_slot(timecode.nominal, timecode.nominal, timecode.drop)
                tape_tc.segment = _timecode(f, timecode, int(round(stem.frames / sr * timecode.nominal)))
                for ch in range(1, stem.channels + 1):
                    slot = comp.create_sound_slot(edit_rate=stem.sample_rate)
                    slot.name = f"{_track_name(project, stem)}{'.L' if ch == 1 else '.R' if ch == 2 else f'.{ch}'}"
                    slot["PhysicalTrackNumber"].value = len([s for s in comp.slots if s.media_kind == "Sound"])
                    slot.segment.components.append(master.create_source_clip(slot_id=ch, start=0,
                                                                             length=stem.frames))
                    slot.segment.length = stem.frames
        tmp.replace(path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return path


def _timecode(f, timecode: Timecode, length: int):
    tc = f.create.Timecode(timecode.nominal, drop=timecode.drop)
    tc["Start"].value = int(timecode.frames)
    tc.length = max(1, length)
    return tc


def _wav_metadata(stem: Stem) -> dict:
    """What pyaaf2's WAV link reads (the shape of ffprobe's output)."""
    return {"format": {"filename": str(stem.path.resolve()), "format_name": "wav",
                       "format_long_name": "WAV / WAVE (Waveform Audio)"},
            "streams": [{"codec_type": "audio", "codec_name": "pcm", "sample_rate": str(stem.sample_rate),
                         "duration_ts": int(stem.frames), "channels": int(stem.channels)}]}

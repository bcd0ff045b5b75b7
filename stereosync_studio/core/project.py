"""The project: one clip, one or more sound sources, each with its lanes and takes.

Saved as `<name>.stereosync.json` (schema versioned, written atomically). Paths inside are
stored relative to the project file when possible, so a project folder can be moved.
"""

from __future__ import annotations

import copy
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .envelope import Envelope
from .fileio import atomic_write_text
from .guide import GuideReport
from .project_schema import project_problem
from .surfaces import region_label
from .errors import InputError
from .timebase import TimeBase
from .track import Track
from .trajectory import Trajectory

SCHEMA_VERSION = 1
PROJECT_SUFFIX = ".stereosync.json"


@dataclass
class ClipInfo:
    """What the media layer found out about the clip (kept so a project opens without decoding)."""

    path: str
    fps: float
    width: int
    height: int
    duration: float
    n_frames: int
    rotation: int = 0
    has_audio: bool = False
    variable_frame_rate: bool = False

    def to_dict(self) -> dict:
        return dict(self.__dict__)

    @classmethod
    def from_dict(cls, d: dict) -> "ClipInfo":
        keys = cls.__dataclass_fields__.keys()
        return cls(**{k: v for k, v in d.items() if k in keys})


@dataclass
class Reference:
    """The sound to imitate: a file, a folder of files, or one long recording to slice."""

    path: str = ""
    files: list[str] = field(default_factory=list)  # chosen files; empty = all in `path`
    text: str = ""  # text prompt for engines that accept one (diffusion)

    def to_dict(self) -> dict:
        return {"path": self.path, "files": list(self.files), "text": self.text}

    @classmethod
    def from_dict(cls, d: dict) -> "Reference":
        return cls(d.get("path", ""), list(d.get("files", [])), d.get("text", ""))


@dataclass
class SurfaceRegion:
    """A stretch of the clip [start, end) s where the subject walks on `reference`'s surface
    (`core.surfaces`: steps draw from the region their onset falls in)."""

    start: float
    end: float
    reference: Reference = field(default_factory=Reference)

    @property
    def label(self) -> str:
        return region_label(self.reference.path or (self.reference.files[0] if self.reference.files else "?"),
                            self.start, self.end)

    def to_dict(self) -> dict:
        return {"start": float(self.start), "end": float(self.end), "reference": self.reference.to_dict()}

    @classmethod
    def from_dict(cls, d: dict) -> "SurfaceRegion":
        return cls(float(d["start"]), float(d["end"]), Reference.from_dict(d.get("reference", {})))


@dataclass
class TakeInfo:
    """A generated take on disk with how it was made and how it scored."""

    path: str
    name: str
    engine: str
    seed: int
    sample_rate: int
    created: str = ""
    metrics: dict[str, float] = field(default_factory=dict)
    options: dict[str, Any] = field(default_factory=dict)
    muted: bool = False
    solo: bool = False
    made_from: dict[str, str] = field(default_factory=dict)  # core.fingerprint of its source at render time
    metrics_at_render: dict[str, float] = field(default_factory=dict)  # its scores when it was made

    def to_dict(self) -> dict:
        return dict(self.__dict__)

    @classmethod
    def from_dict(cls, d: dict) -> "TakeInfo":
        keys = cls.__dataclass_fields__.keys()
        return cls(**{k: v for k, v in d.items() if k in keys})


@dataclass
class Source:
    """One sounding subject: its track, envelope, trajectory, reference and takes."""

    name: str
    track: Track
    envelope: Envelope
    trajectory: Trajectory
    reference: Reference = field(default_factory=Reference)
    takes: list[TakeInfo] = field(default_factory=list)
    engine: str = "sampler"
    engine_options: dict[str, Any] = field(default_factory=dict)
    features: dict[str, list] = field(default_factory=dict)  # per-frame extras (depth, box stats)
    surfaces: list[SurfaceRegion] = field(default_factory=list)  # the Surface lane: regions of the clip
    guide_report: GuideReport | None = None  # its own steps in a guide several subjects share (else the project's)

    def to_dict(self) -> dict:
        d = {
            "name": self.name, "track": self.track.to_dict(), "envelope": self.envelope.to_dict(),
            "trajectory": self.trajectory.to_dict(), "reference": self.reference.to_dict(),
            "takes": [t.to_dict() for t in self.takes], "engine": self.engine,
            "engine_options": dict(self.engine_options), "features": dict(self.features),
            "surfaces": [r.to_dict() for r in self.surfaces],
        }
        if self.guide_report is not None:
            d["guide_report"] = self.guide_report.to_dict()
        return d

    def copy(self) -> "Source":
        """An exact, independent copy (arrays copied bit for bit)."""
        return copy.deepcopy(self)

    @classmethod
    def from_dict(cls, d: dict) -> "Source":
        return cls(d["name"], Track.from_dict(d["track"]), Envelope.from_dict(d["envelope"]),
                   Trajectory.from_dict(d["trajectory"]), Reference.from_dict(d.get("reference", {})),
                   [TakeInfo.from_dict(t) for t in d.get("takes", [])], d.get("engine", "sampler"),
                   dict(d.get("engine_options", {})), dict(d.get("features", {})),
                   [SurfaceRegion.from_dict(r) for r in d.get("surfaces", [])],
                   GuideReport.from_dict(d["guide_report"]) if d.get("guide_report") else None)


@dataclass
class Project:
    """Everything the designer edits for one clip; the GUI and the CLI both work on this."""

    name: str
    clip: ClipInfo
    sources: list[Source] = field(default_factory=list)
    sample_rate: int = 48000
    guide_envelope: Envelope | None = None  # the footsteps isolated from the clip's own audio (display, eval)
    path: str | None = None  # where it was last saved (not serialised)
    settings: dict[str, Any] = field(default_factory=dict)
    guide_report: GuideReport | None = None  # the guide's kept steps and rejected transients, with reasons

    @property
    def timebase(self) -> TimeBase:
        return TimeBase(self.clip.fps, self.sample_rate)

    def source(self, name: str | None = None) -> Source:
        if not self.sources:
            raise InputError(self.path, "project has no sources")
        if name is None:
            return self.sources[0]
        for s in self.sources:
            if s.name == name:
                return s
        raise InputError(self.path, f"no source named {name!r}")

    def to_dict(self, relative_to: Path | None = None) -> dict:
        clip = self.clip.to_dict()
        clip["path"], clip["path_abs"] = _rel(clip["path"], relative_to), _absolute(clip["path"])
        sources = []
        for s in self.sources:
            d = s.to_dict()
            for ref in [d["reference"]] + [r["reference"] for r in d["surfaces"]]:
                ref["path_abs"], ref["files_abs"] = _absolute(ref["path"]), [_absolute(f) for f in ref["files"]]
                ref["path"] = _rel(ref["path"], relative_to)
                ref["files"] = [_rel(f, relative_to) for f in ref["files"]]
            for t in d["takes"]:
                t["path"], t["path_abs"] = _rel(t["path"], relative_to), _absolute(t["path"])
            sources.append(d)
        return {
            "schema": "stereosync-project", "schema_version": SCHEMA_VERSION, "name": self.name,
            "sample_rate": self.sample_rate, "clip": clip, "sources": sources,
            "guide_envelope": None if self.guide_envelope is None else self.guide_envelope.to_dict(),
            "guide_report": None if self.guide_report is None else self.guide_report.to_dict(),
            "settings": dict(self.settings),
        }

    @classmethod
    def from_dict(cls, d: dict, relative_to: Path | None = None) -> "Project":
        if not isinstance(d, dict) or d.get("schema") != "stereosync-project":
            raise InputError(None, project_problem(d) or "not a StereoSync project (schema missing)")
        version = d.get("schema_version", 0)
        if isinstance(version, int) and version > SCHEMA_VERSION:
            raise InputError(None, f"project schema {version} is newer than this app ({SCHEMA_VERSION})")
        problem = project_problem(d)
        if problem:
            raise InputError(None, problem)
        clip = ClipInfo.from_dict(d["clip"])
        clip.path = _locate(clip.path, d["clip"].get("path_abs"), relative_to)
        sources = [Source.from_dict(s) for s in d.get("sources", [])]
        for s, raw in zip(sources, d.get("sources", [])):
            raw_refs = [raw.get("reference") or {}] + [r.get("reference") or {} for r in raw.get("surfaces", [])]
            for reference, ref in zip([s.reference] + [r.reference for r in s.surfaces], raw_refs):
                reference.path = _locate(reference.path, ref.get("path_abs"), relative_to)
                backups = ref.get("files_abs") or []
                reference.files = [_locate(f, backups[i] if i < len(backups) else None, relative_to)
                                   for i, f in enumerate(reference.files)]
            for t, raw_take in zip(s.takes, raw.get("takes", [])):
                t.path = _locate(t.path, raw_take.get("path_abs"), relative_to)
        ge, gr = d.get("guide_envelope"), d.get("guide_report")
        return cls(d.get("name", "untitled"), clip, sources, int(d.get("sample_rate", 48000)),
                   None if ge is None else Envelope.from_dict(ge), None, dict(d.get("settings", {})),
                   None if gr is None else GuideReport.from_dict(gr))

    def save(self, path: str | Path | None = None) -> Path:
        """Write the project JSON atomically (temp file + rename) and remember the path."""
        target = Path(path or self.path or f"{self.name}{PROJECT_SUFFIX}")
        target.parent.mkdir(parents=True, exist_ok=True)
        data = self.to_dict(relative_to=target.parent.resolve())
        atomic_write_text(target, json.dumps(data, indent=1))
        self.path = str(target)
        return target

    @classmethod
    def load(cls, path: str | Path) -> "Project":
        p = Path(path)
        if not p.is_file():
            raise InputError(p, "project file not found")
        try:
            data = json.loads(p.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise InputError(p, f"not a readable project file ({exc.__class__.__name__}: {exc})") from None
        try:
            proj = cls.from_dict(data, relative_to=p.parent.resolve())
        except InputError as exc:
            raise InputError(p, exc.problem) from None
        except (KeyError, TypeError, ValueError) as exc:
            raise InputError(p, f"project file is damaged ({exc.__class__.__name__}: {exc})") from None
        proj.path = str(p)
        return proj

    def copy(self) -> "Project":
        """An exact, independent snapshot (what a job renders is what the designer edited).

        No JSON round trip: values keep every bit; rounding happens only in the saved file."""
        return copy.deepcopy(self)


def _rel(path: str, base: Path | None) -> str:
    if not path or base is None:
        return path
    try:
        return os.path.relpath(Path(path).resolve(), base)
    except ValueError:  # other drive on Windows
        return str(path)


def _abs(path: str, base: Path | None) -> str:
    if not path or base is None or os.path.isabs(path):
        return path
    return str((base / path).resolve())


def _absolute(path: str) -> str:
    return str(Path(path).resolve()) if path else path


def _locate(path: str, absolute: str | None, base: Path | None) -> str:
    """Where a file named in a project is now: next to the project as it was (the project
    folder moved with its media), else where it was on disk (only the project moved), else
    a file of its name in the project's folder (media from elsewhere, gathered into the
    project's folder before it was moved: an editor relinks by name the same way)."""
    near = _abs(path, base)
    if not near or os.path.exists(near):
        return near
    if absolute and os.path.exists(absolute):
        return absolute
    gathered = base / Path(path).name if base is not None else None
    return str(gathered.resolve()) if gathered is not None and gathered.is_file() else near

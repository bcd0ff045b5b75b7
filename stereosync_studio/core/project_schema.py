"""What a project file must hold, checked before anything is built from it.

A hand-edited or half-written project must end in one message naming the file and the
field (`sources[0].envelope.values[12]: must be a finite number`), never in a traceback
deep inside a job. The shape is a JSON Schema (checked with the kept `jsonschema` library);
finiteness is checked separately because JSON Schema's "number" lets NaN and Infinity through.
"""

from __future__ import annotations

from typing import Any

_NUM_LIST = {"type": "array"}  # the items are checked with numpy (`_numeric_problem`): fast on long clips

_ENVELOPE = {
    "type": "object",
    "required": ["values"],
    "properties": {
        "values": _NUM_LIST,
        "rate": {"type": "number", "exclusiveMinimum": 0},
        "events": {"anyOf": [{"type": "null"}, _NUM_LIST]},
        "origin": {"type": "string"},
        "found": {"anyOf": [{"type": "null"}, _NUM_LIST]},
    },
}

_TAKE = {
    "type": "object",
    "required": ["path", "name", "engine", "seed", "sample_rate"],
    "properties": {
        "path": {"type": "string"}, "name": {"type": "string"}, "engine": {"type": "string"},
        "seed": {"type": "integer"}, "sample_rate": {"type": "integer", "minimum": 8000, "maximum": 768000},
        "created": {"type": "string"}, "metrics": {"type": "object"}, "options": {"type": "object"},
        "muted": {"type": "boolean"}, "solo": {"type": "boolean"},
        "made_from": {"type": "object", "additionalProperties": {"type": "string"}},
        "metrics_at_render": {"type": "object"},
    },
}

_REFERENCE = {
    "type": "object",
    "properties": {"path": {"type": ["string", "null"]}, "files": {"type": "array", "items": {"type": "string"}},
                   "text": {"type": "string"}},
}

_SURFACE = {
    "type": "object",
    "required": ["start", "end", "reference"],
    "properties": {"start": {"type": "number"}, "end": {"type": "number"}, "reference": _REFERENCE},
}

_GUIDE_REPORT = {
    "type": "object",
    "properties": {
        "steps": {"type": "array", "items": {"type": "object", "required": ["time"],
                                             "properties": {"time": {"type": "number"}, "confidence": {"type": "number"},
                                                            "source": {"enum": ["audio+picture", "picture", "audio"]}}}},
        "rejected": {"type": "array", "items": {"type": "object", "required": ["time", "reason"],
                                                "properties": {"time": {"type": "number"}, "strength": {"type": "number"},
                                                               "reason": {"type": "string"}}}},
        "message": {"type": "string"}, "has_footsteps": {"type": "boolean"},
    },
}

_SOURCE = {
    "type": "object",
    "required": ["name", "track", "envelope", "trajectory"],
    "properties": {
        "name": {"type": "string", "minLength": 1},
        "track": {
            "type": "object", "required": ["boxes"],
            "properties": {"boxes": {"type": "array"}, "confidence": _NUM_LIST,
                           "keyframes": {"type": "object", "additionalProperties": {"type": "array"}}},
        },
        "envelope": _ENVELOPE,
        "trajectory": {
            "type": "object", "required": ["pan", "distance", "fps"],
            "properties": {"pan": _NUM_LIST, "distance": _NUM_LIST, "fps": {"type": "number", "exclusiveMinimum": 0},
                           "hfov_deg": {"type": "number", "exclusiveMinimum": 0, "maximum": 180},
                           "follow_box": {"type": "boolean"}, "pan_mode": {"enum": ["screen", "lens"]},
                           "pan_width": {"type": "number", "minimum": 0, "maximum": 1}},
        },
        "reference": _REFERENCE,
        "surfaces": {"type": "array", "items": _SURFACE},
        "guide_report": {"anyOf": [{"type": "null"}, _GUIDE_REPORT]},
        "takes": {"type": "array", "items": _TAKE},
        "engine": {"type": "string"},
        "engine_options": {"type": "object"},
        "features": {"type": "object"},
    },
}

PROJECT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["schema", "schema_version", "clip", "sources"],
    "properties": {
        "schema": {"const": "stereosync-project"},
        "schema_version": {"type": "integer", "minimum": 1},
        "name": {"type": "string"},
        "sample_rate": {"type": "integer", "minimum": 8000, "maximum": 768000},
        "clip": {
            "type": "object",
            "required": ["path", "fps", "width", "height", "duration", "n_frames"],
            "properties": {
                "path": {"type": "string"}, "fps": {"type": "number", "exclusiveMinimum": 0},
                "width": {"type": "integer", "minimum": 1}, "height": {"type": "integer", "minimum": 1},
                "duration": {"type": "number", "exclusiveMinimum": 0}, "n_frames": {"type": "integer", "minimum": 1},
                "rotation": {"type": "integer"}, "has_audio": {"type": "boolean"},
                "variable_frame_rate": {"type": "boolean"},
            },
        },
        "sources": {"type": "array", "items": _SOURCE},
        "guide_envelope": {"anyOf": [{"type": "null"}, _ENVELOPE]},
        "guide_report": {"anyOf": [{"type": "null"}, _GUIDE_REPORT]},
        "settings": {"type": "object"},
    },
}


def _where(path) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "the file"


def _numbers(values: Any, where: list, width: int | None = None) -> str | None:
    """'field[i]: ...' for the first item of a numeric list that is not a finite number."""
    import numpy as np

    index = list(range(len(values)))
    if width is not None:  # boxes: each row null (not seen) or `width` numbers
        for i, row in enumerate(values):
            if row is not None and not (isinstance(row, list) and len(row) == width):
                return f"{_where(where + [i])}: must be null or a list of {width} numbers"
        index = [i for i, r in enumerate(values) if r is not None]
        values = [values[i] for i in index]
    if not len(values):  # nothing to check (a clip where no step was found has no events)
        return None
    try:
        arr = np.asarray(values, dtype=np.float64).reshape(len(values), -1)
        rows = np.flatnonzero((~np.isfinite(arr)).any(axis=1))
        bad = int(rows[0]) if len(rows) else None
    except (TypeError, ValueError):
        bad = next((i for i, v in enumerate(values)
                    if not _all_numbers(v if isinstance(v, list) else [v])), 0)
    if bad is None:
        return None
    return f"{_where(where + [index[bad]])}: must be {'finite numbers' if width else 'a finite number'}"


def _all_numbers(items: list) -> bool:
    return all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in items)


def _numeric_problem(data: dict) -> str | None:
    checks: list[tuple[Any, list, int | None]] = []
    if isinstance(data.get("guide_envelope"), dict):
        checks.append((data["guide_envelope"]["values"], ["guide_envelope", "values"], None))
    for k, src in enumerate(data["sources"]):
        at = ["sources", k]
        checks.append((src["envelope"]["values"], at + ["envelope", "values"], None))
        for key in ("events", "found"):
            if src["envelope"].get(key) is not None:
                checks.append((src["envelope"][key], at + ["envelope", key], None))
        checks.append((src["trajectory"]["pan"], at + ["trajectory", "pan"], None))
        checks.append((src["trajectory"]["distance"], at + ["trajectory", "distance"], None))
        checks.append((src["track"]["boxes"], at + ["track", "boxes"], 4))
        if "confidence" in src["track"]:
            checks.append((src["track"]["confidence"], at + ["track", "confidence"], None))
    for values, where, width in checks:
        problem = _numbers(values, where, width)
        if problem:
            return problem
    return _surfaces_problem(data)


def _surfaces_problem(data: dict) -> str | None:
    """'sources[k].surfaces: ...' when a subject's surface regions overlap or leave the clip."""
    from .surfaces import region_label, region_problem

    duration = data["clip"].get("duration")
    for k, src in enumerate(data["sources"]):
        regions = src.get("surfaces") or []
        for i, r in enumerate(regions):
            problem = _numbers([r["start"], r["end"]], ["sources", k, "surfaces", i], None)
            if problem:
                return problem
        named = [(region_label(str((r.get("reference") or {}).get("path") or f"surfaces[{i}]"), r["start"], r["end"]),
                  float(r["start"]), float(r["end"])) for i, r in enumerate(regions)]
        problem = region_problem(named, float(duration) if duration else None)
        if problem:
            return f"sources[{k}].surfaces: {problem}"
    return None


def project_problem(data: Any) -> str | None:
    """None when `data` (a parsed project file) is well formed, else 'field: what is wrong'."""
    import jsonschema

    if not isinstance(data, dict):
        return f"the file holds a JSON {type(data).__name__}, not a project object"
    if data.get("schema") != "stereosync-project":
        return "not a StereoSync project (schema missing)"
    validator = jsonschema.Draft202012Validator(PROJECT_SCHEMA)
    errors = sorted(validator.iter_errors(data), key=lambda e: (len(e.path), list(map(str, e.path))))
    if errors:
        e = errors[0]
        return f"{_where(e.absolute_path)}: {e.message}"
    return _numeric_problem(data)


__all__ = ["PROJECT_SCHEMA", "project_problem"]

"""The one job API: every face (the `stereosync` CLI, the Studio, a batch) calls these.

Each job is a plain function taking `progress(fraction, message)` and a `CancelToken`, with
the same defaults whichever face calls it; the CLI runs them directly, the Studio in worker
threads. Jobs compose analysis, engines, metrics and media; nothing here imports Qt or torch.

- analyze: `analyze_clip`, `retrack` (a user keyframe), lanes (`make_envelope`, `trajectory_from_track`)
- subjects: `find_subjects`, `merge_sources`, `split_source`, `delete_source`
- render: `render_takes`, `build_request`, `planned_steps`
- evaluate: `evaluate_file`, `evaluate_audio`, `analyse_take`
- export: `export_stems`
- engines: `probe_engines`, `probe_and_warm`, `check_engine`
- train: `train_adapter`, `train_mapper` (the learned models)
"""

from __future__ import annotations

from .analyze import DEFAULT_ENVELOPE, analyze_clip, retrack
from .audition import load_reference_preview
from .engines import EngineInfo, OptionSpec, check_engine, probe_and_warm, probe_engines
from .evaluate import analyse_take, evaluate_audio, evaluate_file
from .export import export_stems
from .inputs import (AUDIO_EXTS, DEFAULT_REFERENCE, check_clip, default_project_path, default_reference,
                     output_dir, parse_box, reference_files)
from .project_files import gather_takes, save_project, takes_folder
from .lanes import guide_envelope, load_guide, make_envelope, trajectory_from_track
from .render import build_request, planned_steps, render_takes, safe_name, take_filename, take_number
from .train import train_adapter, train_mapper
from .subjects import analyze_multi, delete_source, find_subjects, merge_sources, split_source

__all__ = [
    "AUDIO_EXTS", "DEFAULT_ENVELOPE", "DEFAULT_REFERENCE", "EngineInfo", "OptionSpec", "check_engine",
    "probe_and_warm", "probe_engines", "analyse_take", "analyze_clip", "analyze_multi",
    "build_request", "check_clip", "default_project_path", "default_reference", "delete_source", "evaluate_audio",
    "evaluate_file", "export_stems", "find_subjects", "gather_takes", "save_project", "takes_folder", "guide_envelope", "load_guide", "load_reference_preview",
    "make_envelope", "merge_sources", "output_dir", "parse_box", "planned_steps", "reference_files", "render_takes",
    "retrack", "safe_name", "split_source", "take_filename", "take_number", "train_adapter", "train_mapper", "trajectory_from_track",
]

"""The one job API: every face (the `stereosync` CLI, the Studio, a batch) calls these.

Each job is a plain function taking `progress(fraction, message)` and a `CancelToken`, with
the same defaults whichever face calls it; the CLI runs them directly, the Studio in worker
threads. Jobs compose analysis, engines, metrics and media; nothing here imports Qt or torch.

- guide: `footstep_guide` (the footsteps of a busy guide, fused with the picture's foot contacts),
  `performed_envelope` (an audio file as envelope), `record_envelope` (the microphone, for Record)
- analyze: `analyze_clip`, `retrack` (a user keyframe), `interpolate_keyframes`, `uncertain_frames`,
  `ensure_reid_model`; proxy: `make_proxy` (background, on first open), `open_scrub_reader`; lanes (`make_envelope`, `trajectory_from_track`)
- subjects: `find_subjects`, `merge_sources`, `split_source`, `delete_source`
- render: `render_takes`, `build_request`, `planned_steps`, `check_surfaces` (the Surface lane's regions)
- evaluate: `evaluate_file`, `evaluate_audio`, `analyse_take`, `rescore_take` (against the lanes now)
- export: `export_stems` (loudness targets, reverb stems, DAW sessions: `daw`, `loudness`)
- batch: `batch_render`, `render_clip` (a folder of clips; worker processes or Ray)
- engines: `probe_engines`, `probe_and_warm`, `check_engine`
- train: `train_adapter`, `train_mapper` (the learned models)
"""

from __future__ import annotations

from .analyze import (DEFAULT_ENVELOPE, NO_PERSON_MESSAGE, analyze_clip, ensure_reid_model, interpolate_keyframes,
                      retrack, retrack_keyframes, subject_found, uncertain_frames)
from .proxy import make_proxy, needs_proxy, open_scrub_reader, proxy_for, proxy_path
from .audition import load_reference_preview
from .engines import EngineInfo, OptionSpec, check_engine, probe_and_warm, probe_engines
from .evaluate import analyse_take, evaluate_audio, evaluate_file, rescore_take
from .batch import BatchResult, BatchSettings, batch_render
from .export import DAW_FORMATS, LOUDNESS_TARGETS, ExportResult, export_stems, start_timecode
from .inputs import (AUDIO_EXTS, DEFAULT_REFERENCE, check_clip, default_project_path, default_reference,
                     output_dir, parse_box, reference_files)
from .project_files import can_write_in, gather_takes, save_project, takes_folder
from .guide import footstep_guide, performed_envelope, performed_envelope_from_audio, read_guide, record_envelope
from .lanes import guide_envelope, load_guide, make_envelope, trajectory_from_track, with_pan_mapping
from .render import (build_request, check_surfaces, planned_steps, render_takes, safe_name, surface_files,
                     take_filename, take_number)
from .train import train_adapter, train_mapper
from .subjects import analyze_multi, delete_source, find_subjects, merge_sources, split_source

__all__ = [
    "footstep_guide", "performed_envelope", "performed_envelope_from_audio", "read_guide", "record_envelope",
    "with_pan_mapping", "check_surfaces", "surface_files",
    "NO_PERSON_MESSAGE", "ensure_reid_model", "interpolate_keyframes", "retrack_keyframes", "subject_found", "uncertain_frames",
    "make_proxy", "needs_proxy", "open_scrub_reader", "proxy_for", "proxy_path",
    "BatchResult", "BatchSettings", "DAW_FORMATS", "ExportResult", "LOUDNESS_TARGETS", "batch_render",
    "start_timecode", "space_choices", "AUDIO_EXTS", "DEFAULT_ENVELOPE", "DEFAULT_REFERENCE", "EngineInfo", "OptionSpec", "check_engine",
    "probe_and_warm", "probe_engines", "analyse_take", "analyze_clip", "analyze_multi",
    "build_request", "can_write_in", "check_clip", "default_project_path", "default_reference", "delete_source", "evaluate_audio",
    "evaluate_file", "export_stems", "find_subjects", "gather_takes", "save_project", "takes_folder", "guide_envelope", "load_guide", "load_reference_preview",
    "make_envelope", "merge_sources", "output_dir", "parse_box", "planned_steps", "reference_files", "render_takes",
    "rescore_take", "retrack", "safe_name", "split_source", "take_filename", "take_number", "train_adapter", "train_mapper", "trajectory_from_track",
]


def space_choices() -> dict[str, str]:
    """The Space setting's choices (key -> label) for a per-subject picker."""
    from ..engines.spatial import SPACE_CHOICES

    return dict(SPACE_CHOICES)

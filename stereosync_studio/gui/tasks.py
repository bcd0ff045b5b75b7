"""Transitional: the Studio's worker functions now live in `stereosync_studio.jobs` (to be removed)."""

from __future__ import annotations

from .. import jobs
from ..core.progress import sub_progress
from ..core.project import Project

DEFAULT_REFERENCE = jobs.DEFAULT_REFERENCE
find_subjects = jobs.find_subjects
analyse_take = jobs.analyse_take
load_guide = jobs.load_guide
probe_and_warm = jobs.probe_and_warm
auto_events = jobs.planned_steps


def analyze_for_studio(clip: str, progress, cancel) -> Project:
    return jobs.analyze_clip(clip, progress=sub_progress(progress, 0, 1.0), cancel=cancel)


def merge_subjects(project, keep, other, models_dir, progress, cancel):
    return jobs.merge_sources(project, keep, other, models_dir, progress=progress, cancel=cancel)


def split_subject(project, name, frame, models_dir, progress, cancel):
    return jobs.split_source(project, name, frame, models_dir=models_dir, progress=progress, cancel=cancel)


def derive_trajectory(project, track, hfov_deg):
    return jobs.trajectory_from_track(track, project.clip, hfov_deg)


def retrack(track, project, frame, box, follow_box, hfov_deg, progress, cancel):
    return jobs.retrack(track, project, frame, box, follow_box, hfov_deg, progress, cancel)

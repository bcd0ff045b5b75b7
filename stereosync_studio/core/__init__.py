"""Qt-free, torch-free, cv2-free domain model: project, sources, envelopes, trajectories, takes."""

from .errors import Cancelled, InputError, StereoSyncError
from .envelope import ENVELOPE_RATE, Envelope
from .progress import CancelToken, ProgressFn, null_progress
from .project import SCHEMA_VERSION, ClipInfo, Project, Reference, Source, TakeInfo
from .timebase import TimeBase, timecode
from .track import Track
from .trajectory import Trajectory

__all__ = [
    "Cancelled", "InputError", "StereoSyncError", "ENVELOPE_RATE", "Envelope", "CancelToken",
    "ProgressFn", "null_progress", "SCHEMA_VERSION", "ClipInfo", "Project", "Reference", "Source",
    "TakeInfo", "TimeBase", "timecode", "Track", "Trajectory",
]

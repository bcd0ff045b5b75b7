"""Footsteps found in the picture, and the loudness envelope they imply (no guide track needed).

A heel strike is the moment the swinging foot stops against the ground. Two witnesses
measure the swinging foot's speed against the ground (box heights per second, camera motion
removed, so resolution, zoom and distance do not matter):

* optical flow (always available): the fastest-moving part of the feet band of the box;
  the planted foot does not move, so this is the swinging foot. It alone finds the steps on
  footage where pose fails (small, blurred or unusual subjects).
* pose (MediaPipe heel, ankle and toe landmarks): the faster of the two feet, with feet
  re-paired frame to frame (pose models swap left and right in profile) and single-frame
  landmark glitches removed.

Where both exist the smaller of the two is used, so a step needs both to see the foot move;
where the flow is blind to the swing that pose sees (a small subject on heavily compressed
footage, a foot swinging towards the camera: the flow's swings reach under half the pose's)
their geometric mean is used, so the blind witness does not hide every step.
A hysteresis detector with levels relative to the signal's own running floor and peak marks
a contact where the signal falls through the low level, timed where the slope of that fall
meets the stance level (the heel strikes at the end of the fall, not part-way down); the
confidence is how deep and how strong that fall is. Contacts closer than `MIN_GAP` merge.
A gap of two step periods through which the body keeps moving (a swing towards the camera
in a turn hardly moves in the picture) gets its missing step from the cadence
(`step_cadence`), with a low confidence; a contact that splits two step periods very
unevenly (the flick of a foot pivoting mid-swing) is moved back onto that rhythm.

The envelope puts one footstep-shaped transient on each step, scaled by the subject's speed
(faster walking is louder) and distance (1/distance). When the caller hands in a learned
predictor (`envelope_predictor.EnvelopePredictor`, e.g. the trained mapper a job found), its
curve replaces the transients (the step events stay). Torch-free: no model is loaded here.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
from scipy.ndimage import percentile_filter
from scipy.signal import savgol_filter

from ..core.envelope import ENVELOPE_RATE, Envelope
from ..core.errors import InputError
from ..core.progress import CancelToken, ProgressFn, null_progress, sub_progress
from ..core.track import Track
from .envelope_predictor import EnvelopePredictor, predicted_envelope
from .flow_features import IDX
from .foot_speed import flow_swing_speed, pose_swing_speed
from .motion import SubjectMotion, analyze_subjects, distinct_pictures
from .step_cadence import fill_cadence_gaps, retime_to_cadence

log = logging.getLogger(__name__)

MIN_GAP = 0.25  # s: no two steps of one subject closer than this
LOW_FPS, DETECT_RATE = 20.0, 25.0  # below LOW_FPS the swing speed is read at DETECT_RATE (interpolated)
HI_FRAC, LO_FRAC = 0.3, 0.15  # hysteresis levels between the running floor and peak
TOP_FRAC = 0.3  # the high level is at least this fraction of the running peak
MIN_SWING = 0.08  # s: a swing is above the high level this long (one-frame blips are noise)
LAND_FRAC = 0.2  # a fall this close to the stance level has reached it (see _landing)
WALK_SPEED = 0.75  # box heights per second of an ordinary walk (1.3 m/s for 1.75 m)
STEP_PEAK = 0.25  # envelope peak of one step at distance 1 and walking speed
BLIND_RATIO = (0.35, 0.55)  # flow swings / pose swings: flow blind at or under the first
BLIND_WINDOW = 2.0  # s over which the two witnesses' swings are compared
BLIND_MEDIAN = 0.45  # flow / pose median foot speed under which pose not following the flow still counts
BLEND_MIN_FPS = 20.0  # ... in clips of this frame rate and up

Step = tuple[float, float]  # (time s, confidence 0..1)


# ----------------------------------------------------------------------------- detector

def contacts_from_speed(times: np.ndarray, speed: np.ndarray, fps: float, window_s: float = 1.0,
                        min_peak: float = 0.12) -> list[Step]:
    """Contacts where a speed signal falls from 'moving' to 'still' (see `_contacts`). Below
    LOW_FPS (webcams, CCTV, animation on twos) a swing lasts two or three samples and the
    hysteresis misses most steps: the signal is read at DETECT_RATE, shape-preserving
    interpolation (PCHIP) between its samples. Picture-only step F1 (+-50 ms), walkers seeds
    3-5 / held-out 20-22: 8 fps 0.17 -> 0.49 / 0.21 -> 0.32, 12.5 fps 0.70 -> 0.90 / 0.86 -> 0.93."""
    t, s = np.asarray(times, np.float64), np.asarray(speed, np.float64)
    ok = np.isfinite(s)
    if fps >= LOW_FPS or ok.sum() < 4:
        return _contacts(t, s, fps, window_s, min_peak)
    from scipy.interpolate import PchipInterpolator

    grid = np.arange(t[ok][0], t[ok][-1], 1.0 / DETECT_RATE)
    fine = PchipInterpolator(t[ok], s[ok])(grid)
    holes = np.interp(grid, t, (~ok).astype(np.float64)) > 0  # unknown stays unknown
    fine[holes] = np.nan
    return _contacts(grid, fine, DETECT_RATE, window_s, min_peak)


def _contacts(times: np.ndarray, speed: np.ndarray, fps: float, window_s: float = 1.0,
              min_peak: float = 0.12) -> list[Step]:
    """Contacts where a speed signal falls from 'moving' to 'still' (hysteresis, relative levels).

    `times` are the sample times of `speed` (box heights/s, NaN = unknown). The levels follow a
    running 10th (floor) and 90th (peak) percentile over `window_s`; the high level never drops
    below 30 % of the swing speed around it (over twice `window_s`) nor below `min_peak`, so a
    standing subject's jitter is no step while the short, slow steps of a turn on the spot or
    the foreshortened swing of a walk towards the camera still are; a swing must stay above
    the high level for MIN_SWING (at least two samples).
    """
    s = np.asarray(speed, np.float64)
    ok = np.isfinite(s)
    if ok.sum() < 4:
        return []
    idx = np.arange(len(s))
    sf = np.interp(idx, idx[ok], s[ok])
    w = max(5, int(round(window_s * fps)) | 1)
    floor = percentile_filter(sf, 10, size=w, mode="nearest")
    top = percentile_filter(sf, 90, size=w, mode="nearest")
    global_top = float(np.percentile(sf[ok], 90))
    local_top = top
    span = np.maximum(top - floor, 1e-6)
    hi = np.maximum(floor + HI_FRAC * span, np.maximum(TOP_FRAC * local_top, min_peak))
    lo = floor + LO_FRAC * span
    min_swing = max(2, int(round(MIN_SWING * fps)))
    out: list[Step] = []
    swing, peak, second, above = False, 0.0, 0.0, 0
    for i in range(len(s)):
        if not ok[i]:
            swing = False
            continue
        if not swing:
            if s[i] > hi[i]:
                swing, peak, second, above = True, s[i], 0.0, 1
            continue
        peak, second = max(peak, s[i]), max(second, min(peak, s[i]))
        above += int(s[i] > hi[i])
        if s[i] < lo[i] and above < min_swing:  # a blip, not a swing
            swing = False
            continue
        if s[i] < lo[i] and i > 0 and ok[i - 1]:
            t = _landing(times, s, i, second)  # one spiking sample must not steepen the fall
            after = np.nanmean(s[i:i + 3])
            contrast = float(np.clip((peak - after) / max(peak, 1e-9), 0.0, 1.0))
            strength = float(np.clip(peak / max(0.6 * global_top, 1e-9), 0.0, 1.0))
            out.append((float(t), contrast * strength))
            swing = False
    return out


def _landing(times: np.ndarray, s: np.ndarray, i: int, peak: float) -> float:
    """When the foot lands, for a swing (its second-highest sample: `peak`) that fell below
    the low level at sample i.

    A foot eases into its landing: its speed falls along a slope to the stance level and the
    heel strikes where the slope meets it. Timing on a level crossing is early (the more so
    the slower the fall, as in a foreshortened or short step), so the last steep stretch of
    the fall (the samples around half-way down) is extended to the stance level: the
    minimum over the next three samples. Never later than the first sample at that level.
    """
    seg = s[i:i + 3]
    low = float(np.nanmin(seg)) if np.isfinite(seg).any() else float(s[i])
    j = i
    while j + 1 < len(s) and np.isfinite(s[j + 1]) and s[j + 1] < s[j] and s[j] > low + LAND_FRAC * (peak - low):
        j += 1  # still falling towards the stance level
    half = low + 0.5 * (peak - low)
    k = j  # first sample of the fall below half-way
    while k > 0 and np.isfinite(s[k - 1]) and s[k - 1] > s[k] and s[k - 1] <= half:
        k -= 1
    if k == 0 or not np.isfinite(s[k - 1]) or s[k - 1] <= s[k]:
        return float(times[j])
    a, b = s[k - 1], s[k]
    frac = (a - low) / (a - b)
    return float(times[k - 1] + np.clip(frac, 0.0, float(j - k + 1)) * (times[k] - times[k - 1]))


def merge_close(steps: list[Step], min_gap: float = MIN_GAP) -> list[Step]:
    """Sorted steps with any two closer than `min_gap` merged (the more confident one stays)."""
    out: list[Step] = []
    for t, c in sorted(steps):
        if out and t - out[-1][0] < min_gap:
            if c > out[-1][1]:
                out[-1] = (t, c)
            continue
        out.append((t, c))
    return out


def _mid_times(times: np.ndarray) -> np.ndarray:
    """Sample time of a frame-to-frame measure: row i spans frames i-1..i."""
    t = np.asarray(times, np.float64)
    return np.r_[t[0], 0.5 * (t[1:] + t[:-1])] if len(t) else t


def swing_speed(motion: SubjectMotion, use_pose: bool = True) -> tuple[np.ndarray, np.ndarray, str]:
    """(sample times, swing-foot speed, witnesses) for the step detector.

    Both witnesses measure the same thing, the speed of the swinging foot against the ground.
    Where both are there the smaller one is used: a step needs both to see the foot moving,
    so a glitch in one (a landmark jump, a shadow in the flow) makes no step. Where the flow
    is blind to the swing that pose sees (`_flow_blindness`) their geometric mean is used.
    Pose that does not follow the flow (correlation < 0.3: it locked on something else) is
    not used, unless the flow is blind to a walking subject (`_flow_blind_to_walker`).
    """
    times = _mid_times(motion.times)
    flow = flow_swing_speed(motion)
    if not use_pose or motion.pose_coverage() < 0.3:
        return times, flow, "flow"
    pose = pose_swing_speed(motion)
    both = np.isfinite(flow) & np.isfinite(pose)
    if both.sum() < max(10, int(motion.fps)):
        return times, flow, "flow"
    r = float(np.corrcoef(flow[both], pose[both])[0, 1])
    if not np.isfinite(r) or r < 0.3:
        if _flow_blind_to_walker(flow[both], pose[both], motion):
            log.info("optical flow blind to the feet (blended frames?): steps from pose alone (r=%.2f)", r)
            return times, pose, "pose"
        log.info("pose ignored: its foot speed does not follow the optical flow (r=%.2f)", r)
        return times, flow, "flow"
    blind = _flow_blindness(flow, pose, motion.fps)
    joint = (1.0 - blind) * np.minimum(flow, pose) + blind * np.sqrt(np.maximum(flow, 0.0) * np.maximum(pose, 0.0))
    fused = np.where(both, joint, np.where(np.isfinite(flow), flow, pose))
    return times, fused, "pose+flow"


def _flow_blind_to_walker(flow: np.ndarray, pose: np.ndarray, motion: SubjectMotion) -> bool:
    """The flow sees a fraction of the foot speed pose sees (median under `BLIND_MEDIAN`) of a
    subject whose box walks (median speed 0.3 body heights/s or more): pose that does not
    follow such a flow is not on someone else, the flow is blind.

    Why: frames blended together (a frame-rate conversion by blending, a blending
    deinterlacer) smear the swinging foot into the ground texture; the flow barely moves
    while pose still finds the feet, their correlation falls under 0.3 and pose was thrown
    away: picture-only step F1 0.29 (3 frames blended) and 0.02 (5), 0.64 and 0.47 now, on
    walkers the probe degraded; no clip of the step benches changes. A standing subject
    keeps the rule (pose may be on a passer-by), and so do clips under BLEND_MIN_FPS."""
    if motion.fps < BLEND_MIN_FPS:  # a swing spans few frames: the flow's misses are not blending
        return False
    q = float(np.median(flow) / max(float(np.median(pose)), 1e-6))
    return q < BLIND_MEDIAN and float(np.nanmedian(subject_speed(motion))) >= 0.3


def _swing_range(x: np.ndarray, size: int) -> np.ndarray:
    """Running 90th - 10th percentile of a signal (gaps interpolated): how far its swings reach."""
    ok = np.isfinite(x)
    if not ok.any():
        return np.zeros(len(x))
    idx = np.arange(len(x))
    xf = np.interp(idx, idx[ok], x[ok])
    return percentile_filter(xf, 90, size=size, mode="nearest") - percentile_filter(xf, 10, size=size, mode="nearest")


def _flow_blindness(flow: np.ndarray, pose: np.ndarray, fps: float) -> np.ndarray:
    """Per sample 0..1: how blind the optical flow is to the swing that pose sees.

    A small subject on heavily compressed footage, or a foot swinging towards the camera,
    hardly moves the pixels: the flow's swings reach well under half the pose's (over
    `BLIND_WINDOW`). There the smaller of the two witnesses would be the blind one and hide
    every step, so the geometric mean is used instead (both still have to see the foot move,
    but the pose's rhythm shows through). 0 where the flow's swings reach `BLIND_RATIO[1]` of
    the pose's or more, 1 at `BLIND_RATIO[0]` or less.
    """
    size = max(5, int(round(BLIND_WINDOW * fps)) | 1)
    q = _swing_range(flow, size) / np.maximum(_swing_range(pose, size), 1e-6)
    lo, hi = BLIND_RATIO
    return np.clip((hi - q) / (hi - lo), 0.0, 1.0)


def flow_contacts(motion: SubjectMotion) -> list[Step]:
    """Steps from the optical flow alone."""
    return merge_close(contacts_from_speed(_mid_times(motion.times), flow_swing_speed(motion), motion.fps))


def pose_contacts(motion: SubjectMotion) -> list[Step]:
    """Steps from the landmarks alone (empty without pose)."""
    return merge_close(contacts_from_speed(_mid_times(motion.times), pose_swing_speed(motion), motion.fps))


def steps_from_motion(motion: SubjectMotion, use_pose: bool = True, min_confidence: float = 0.15) -> list[Step]:
    """Step times with confidence for one measured subject (steps put in from the cadence
    carry `step_cadence.FILLED_CONFIDENCE`). A clip that repeats its pictures is read at
    the rate of its new pictures (`motion.distinct_pictures`)."""
    motion = distinct_pictures(motion)
    times, speed, _source = swing_speed(motion, use_pose)
    steps = merge_close(contacts_from_speed(times, speed, motion.fps))
    steps = [(t, c) for t, c in steps if c >= min_confidence and t >= 0]
    steps = fill_cadence_gaps(steps, motion.times, subject_speed(motion, smooth_s=0.3),
                              motion.flow[:, IDX["upper_mag"]])
    steps = retime_to_cadence(steps)
    return [(round(t, 4), round(c, 3)) for t, c in steps]


def detect_steps(path: str | Path, track: Track | None = None, use_pose: bool | None = None,
                 progress: ProgressFn = null_progress, cancel: CancelToken | None = None,
                 motion: SubjectMotion | None = None) -> list[Step]:
    """(time, confidence) of each heel strike of the subject followed by `track` in the clip.

    Without a track the subject is found and tracked first (analysis.tracking).
    """
    cancel = cancel or CancelToken()
    if motion is None:
        motion = measure(path, track, use_pose, progress, cancel)
    return steps_from_motion(motion)


def measure(path: str | Path, track: Track | None, use_pose: bool | None = None,
            progress: ProgressFn = null_progress, cancel: CancelToken | None = None) -> SubjectMotion:
    """Track (when no track is given) and measure one subject."""
    cancel = cancel or CancelToken()
    if track is None:
        from .tracking import track_clip

        track = track_clip(str(path), progress=sub_progress(progress, 0.0, 0.4), cancel=cancel)
        progress = sub_progress(progress, 0.4, 1.0)
    if np.isnan(track.boxes[:, 0]).all():
        raise InputError(path, "no subject was tracked in the clip, so no steps can be found "
                               "(draw a box on the subject first)")
    return analyze_subjects(path, [track], use_pose, progress, cancel)[0]


# ----------------------------------------------------------------------------- envelope

def step_levels(steps: list[Step], motion: SubjectMotion, distance: np.ndarray | None = None,
                hfov_deg: float = 90.0) -> np.ndarray:
    """Peak envelope level of each step: STEP_PEAK x speed factor / distance, in (0, 1].
    `distance`: per clip frame (None: from the motion's boxes)."""
    if not steps:
        return np.zeros(0)
    t = np.array([s[0] for s in steps])
    speed = subject_speed(motion, hfov_deg)
    ft = motion.times
    sp = np.interp(t, ft, speed)
    if distance is None:
        from .distance import distance_from_track

        rows = np.asarray(distance_from_track(Track(motion.boxes), motion.height, fps=motion.fps), np.float64)
    else:  # per clip frame
        rows = motion.per_row(np.asarray(distance, np.float64))
    d = np.interp(t, ft[:len(rows)], rows[:len(ft)])
    factor = np.clip(np.sqrt(np.maximum(sp, 1e-6) / WALK_SPEED), 0.6, 1.5)
    return np.clip(STEP_PEAK * factor / np.clip(d, 0.25, 20.0), 0.01, 1.0)


def subject_speed(motion: SubjectMotion, hfov_deg: float = 90.0, smooth_s: float = 0.6) -> np.ndarray:
    """Walking speed in body heights/s per frame, from the box: sideways and in depth.

    Sideways: centre motion / box height. In depth (pinhole): Z = f / h body heights, so
    dZ/dt = -f dh/dt / h^2. Smoothed over `smooth_s` (the gait ripple of the box is not speed).
    """
    b = Track(motion.boxes).filled()
    n = len(b)
    if n < 3 or np.isnan(b[:, 0]).all():
        return np.full(n, WALK_SPEED)
    fps = motion.fps
    f = 0.5 * motion.width / np.tan(np.radians(hfov_deg) / 2.0)
    win = min(max(5, int(round(smooth_s * fps)) | 1), n if n % 2 else n - 1)
    if win < 3:
        return np.full(n, WALK_SPEED)
    cx = savgol_filter(0.5 * (b[:, 0] + b[:, 2]), win, 1, deriv=1) * fps
    h = np.maximum(b[:, 3] - b[:, 1], 1.0)
    hs = np.exp(savgol_filter(np.log(h), win, 1))
    dh = savgol_filter(hs, win, 1, deriv=1) * fps
    side = cx / hs
    depth = f * dh / hs ** 2
    return np.hypot(side, depth)


def step_shape(rate: float = ENVELOPE_RATE) -> tuple[np.ndarray, int]:
    """RMS shape of one footstep on the envelope grid, peak 1; and the index of the onset.

    Fast attack, a 25 ms heel decay and a quieter 90 ms tail (the median of the real footstep
    recordings in the project's data looks like this). Centred RMS frames start ~6 ms early.
    """
    pre = int(np.ceil(0.006 * rate))
    t = (np.arange(-pre, int(0.4 * rate)) + 0.5) / rate
    attack = np.clip((t + 0.006) / 0.008, 0.0, 1.0)
    body = 0.65 * np.exp(-np.maximum(t, 0) / 0.025) + 0.35 * np.exp(-np.maximum(t, 0) / 0.09)
    shape = attack * body
    return (shape / shape.max()).astype(np.float32), pre


def envelope_from_steps(steps: list[Step], levels: np.ndarray, duration: float,
                        rate: float = ENVELOPE_RATE, origin: str = "video") -> Envelope:
    """One transient per step (max-combined where they overlap); events = the step times."""
    n = int(round(duration * rate)) + 1
    v = np.zeros(n, np.float32)
    shape, pre = step_shape(rate)
    for (t, _c), level in zip(steps, levels):
        i0 = int(round(t * rate)) - pre
        a, b = max(i0, 0), min(i0 + len(shape), n)
        if b > a:
            v[a:b] = np.maximum(v[a:b], level * shape[a - i0:b - i0])
    return Envelope(v, rate, [float(t) for t, _ in steps], origin)


def envelope_from_video(path: str | Path, track: Track | None = None, progress: ProgressFn = null_progress,
                        cancel: CancelToken | None = None, motion: SubjectMotion | None = None,
                        distance: np.ndarray | None = None,
                        predictor: EnvelopePredictor | None = None) -> Envelope:
    """The subject's envelope from the picture alone, with `events` = the detected steps.

    origin is "video" (transients on the steps) or "mapper" (`predictor`, a learned model
    handed in by the caller, predicted the curve from the subject's features; the events
    still come from the steps). A predictor that fails is logged and the transients are used.
    Pass `motion` (from `measure`/`analyze_subjects`) to skip decoding, `distance` (per
    frame, e.g. from a depth model) to override the box-height distance.
    """
    cancel = cancel or CancelToken()
    if motion is None:
        motion = measure(path, track, None, sub_progress(progress, 0.0, 0.9), cancel)
    steps = steps_from_motion(motion)
    if predictor is not None:
        env = predicted_envelope(predictor, motion, [t for t, _ in steps])
        if env is not None:
            progress(1.0, f"{len(steps)} steps; envelope from the learned mapper")
            return env
    levels = step_levels(steps, motion, distance)
    progress(1.0, f"{len(steps)} steps found in the picture")
    return envelope_from_steps(steps, levels, motion.duration)


__all__ = ["Step", "contacts_from_speed", "merge_close", "flow_contacts", "pose_contacts", "swing_speed",
           "steps_from_motion", "detect_steps", "measure", "step_levels", "subject_speed", "step_shape",
           "envelope_from_steps", "envelope_from_video", "MIN_GAP"]

"""One demux pass over a clip (no decoding): its pts/keyframe index, rotation and timing.

Why apart from `video`: every reader, the proxy and the muxer need the same facts about a
file, read once and cached (by path, mtime and size); decoding lives in `video`.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from ..core.errors import InputError, check_readable
from ..core.project import ClipInfo

__all__ = ["ClipIndex", "clip_index", "decode_frames", "error_reason", "open_container", "video_stream"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ClipIndex:
    """What one demux pass learned about the clip's video stream."""

    info: ClipInfo
    pts: np.ndarray  # int64, sorted: pts of frame i (stream time base)
    times: np.ndarray  # float64 seconds of frame i, frame 0 at 0.0
    keyframes: np.ndarray  # int64 sorted frame indices that are keyframes
    seek_ts: np.ndarray  # int64 per frame: min(pts, dts), what the demuxer's seek index uses
    time_base: Fraction
    stream_index: int

    def keyframe_for(self, index: int) -> int:
        k = int(np.searchsorted(self.keyframes, index, side="right")) - 1
        return int(self.keyframes[max(k, 0)])


_SCAN_CACHE: OrderedDict[tuple, ClipIndex] = OrderedDict()
_SCAN_LOCK = threading.Lock()


def clip_index(p: Path) -> ClipIndex:
    """The index of the file at `p` (checked first: exists, not empty, readable), scanned once
    and kept while the file is unchanged."""
    check_readable(p, "video file")
    st = p.stat()
    key = (str(p.resolve()), st.st_mtime_ns, st.st_size)
    with _SCAN_LOCK:
        hit = _SCAN_CACHE.get(key)
        if hit is not None:
            _SCAN_CACHE.move_to_end(key)
            return hit
    index = _scan(p)
    with _SCAN_LOCK:
        _SCAN_CACHE[key] = index
        while len(_SCAN_CACHE) > 16:
            _SCAN_CACHE.popitem(last=False)
    return index


def open_container(p: Path):
    try:
        return av.open(str(p), metadata_errors="ignore")
    except av.error.FFmpegError as exc:
        raise InputError(p, f"not a readable video file ({error_reason(exc)})") from None


def error_reason(exc: Exception) -> str:
    return getattr(exc, "strerror", None) or str(exc)


def video_stream(container, p: Path):
    for s in container.streams.video:
        if not (s.disposition & av.stream.Disposition.attached_pic):  # skip cover art
            return s
    if container.streams.audio:
        raise InputError(p, "has no video stream (audio only)")
    raise InputError(p, "has no video stream")



def _scan(p: Path) -> ClipIndex:
    container = open_container(p)
    try:
        stream = video_stream(container, p)
        tb = stream.time_base or Fraction(1, 90000)
        pts, dts, keys, total = [], [], [], 0
        try:
            for pkt in container.demux(stream):
                if pkt.size == 0 or (pkt.pts is None and pkt.dts is None):
                    continue  # flush packet at the end
                total += 1
                if pkt.is_discard or pkt.is_corrupt:
                    continue
                pts.append(pkt.pts if pkt.pts is not None else pkt.dts)
                dts.append(pkt.dts if pkt.dts is not None else pts[-1])
                keys.append(bool(pkt.is_keyframe))
        except av.error.FFmpegError as exc:
            raise InputError(p, f"file is damaged or truncated ({error_reason(exc)})") from None
        rate = stream.average_rate or stream.guessed_rate  # an AVI's gap (a held frame) counts: no loss
        span = int(round(float((max(pts) - min(pts)) * tb * rate))) + 1 if pts and rate else total
        if stream.frames and max(total, span) < stream.frames:
            raise InputError(p, f"file is truncated: header lists {stream.frames} video frames, "
                                f"only {total} are present")
        if not pts:
            raise InputError(p, "has no video frames")
        pts_a = np.asarray(pts, np.int64)
        seek_a = np.minimum(pts_a, np.asarray(dts, np.int64))
        keys_a = np.asarray(keys, bool)
        first_key = pts_a[keys_a].min() if keys_a.any() else pts_a.min()
        keep = pts_a >= first_key  # pictures before the first keyframe cannot be decoded
        pts_a, seek_a, keys_a = pts_a[keep], seek_a[keep], keys_a[keep]
        order = np.argsort(pts_a, kind="stable")
        pts_a, seek_a, keys_a = pts_a[order], seek_a[order], keys_a[order]
        pts_a, first = np.unique(pts_a, return_index=True)
        seek_a, keys_a = seek_a[first], keys_a[first]
        key_idx = np.flatnonzero(keys_a)
        if len(key_idx) == 0 or key_idx[0] != 0:
            key_idx = np.r_[0, key_idx]
        rotation, width, height = _first_frame_facts(container, stream, int(seek_a[0]), p)
        times = (pts_a - pts_a[0]).astype(np.float64) * float(tb)
        fps, duration, vfr = _timing(times, stream)
        if rotation in (90, 270):
            width, height = height, width
        info = ClipInfo(path=str(p), fps=fps, width=width, height=height, duration=duration,
                        n_frames=int(len(pts_a)), rotation=rotation,
                        has_audio=bool(container.streams.audio), variable_frame_rate=vfr)
        arrays = (pts_a, times, key_idx.astype(np.int64), seek_a)
        for a in arrays:  # shared by every reader of this file through the scan cache
            a.flags.writeable = False
        return ClipIndex(info, *arrays, tb, stream.index)
    finally:
        container.close()


def _first_frame_facts(container, stream, first_pts: int, p: Path) -> tuple[int, int, int]:
    """Rotation (clockwise degrees) and coded size, from the first picture that decodes."""
    try:
        container.seek(first_pts, stream=stream, backward=True)
    except av.error.FFmpegError as exc:
        raise InputError(p, f"file is damaged ({error_reason(exc)})") from None
    frame = next(iter(decode_frames(container, stream, p)), None)
    if frame is None:
        raise InputError(p, "video frames cannot be decoded")
    ccw = float(frame.rotation or 0)
    if not ccw:
        try:
            ccw = -float(stream.metadata.get("rotate", 0) or 0)  # old tag is clockwise
        except ValueError:
            ccw = 0.0
    rotation = int(round(-ccw / 90.0)) * 90 % 360
    return rotation, int(frame.width), int(frame.height)


def _timing(times: np.ndarray, stream) -> tuple[float, float, bool]:
    """Average fps, duration and whether frame spacing varies (VFR)."""
    n = len(times)
    rate = stream.average_rate or stream.guessed_rate or stream.base_rate
    if n < 2:
        fps = float(rate) if rate else 25.0
        return fps, 1.0 / fps, False
    deltas = np.diff(times)
    med = float(np.median(deltas))
    if med <= 0:
        med = float(times[-1]) / (n - 1) if times[-1] > 0 else 1.0 / (float(rate) if rate else 25.0)
    tick = float(stream.time_base or 0)
    tol = max(2.0 * tick, 0.1 * med)
    vfr = bool(np.any(np.abs(deltas - med) > tol))
    if not vfr:
        # the mean spacing, not the median: immune to timestamps rounded to a coarse tick
        fps = (n - 1) / float(times[-1]) if times[-1] > 0 else 1.0 / med
        if rate and abs(float(rate) - fps) < 0.01 * fps:
            fps = float(rate)  # exact rational rate (e.g. 30000/1001) when it agrees
        return fps, n / fps, False
    duration = float(times[-1]) + med
    return n / duration, duration, True


def decode_frames(container, stream, p: Path) -> Iterator:
    """Decoded frames of `stream`; a damaged tail ends the iteration instead of raising."""
    try:
        for packet in container.demux(stream):
            try:
                yield from packet.decode()
            except av.error.InvalidDataError as exc:
                log.warning("%s: skipping undecodable packet (%s)", p, error_reason(exc))
    except av.error.EOFError:
        return
    except av.error.FFmpegError as exc:
        log.warning("%s: decoding stopped early (%s)", p, error_reason(exc))

"""Broadcast WAV (EBU Tech 3285) `bext` chunk: build, splice into a RIFF/WAVE file, read back.

libsndfile writes the PCM; we insert the `bext` chunk before `data` (where BWF readers look
first) and fix the RIFF size. Version 1 layout: Description 256, Originator 32,
OriginatorReference 32, OriginationDate 10 ("yyyy-mm-dd"), OriginationTime 8 ("hh:mm:ss"),
TimeReference as a 64-bit sample count (low, high uint32), Version uint16, UMID 64, reserved
190, then CodingHistory (ASCII lines ending CR LF).
"""

from __future__ import annotations

import datetime as _dt
import struct
from pathlib import Path

from ..core.errors import InputError

__all__ = ["build_bext", "add_bext", "read_bext", "BEXT_FIXED_SIZE"]

_FIXED = struct.Struct("<256s32s32s10s8sIIH64s190s")
BEXT_FIXED_SIZE = _FIXED.size  # 602


def _field(text: str, size: int) -> bytes:
    return text.encode("ascii", errors="replace")[:size]


def build_bext(description: str = "", originator: str = "StereoSync Studio",
               originator_reference: str = "", time_reference: int = 0,
               coding_history: str = "", when: _dt.datetime | None = None) -> bytes:
    """The `bext` chunk payload (without the 8-byte chunk header)."""
    if not 0 <= int(time_reference) < 2 ** 64:
        raise ValueError(f"time_reference must be a sample count in [0, 2**64): {time_reference}")
    when = when or _dt.datetime.now()
    tr = int(time_reference)
    payload = _FIXED.pack(
        _field(description, 256), _field(originator, 32), _field(originator_reference, 32),
        when.strftime("%Y-%m-%d").encode("ascii"), when.strftime("%H:%M:%S").encode("ascii"),
        tr & 0xFFFFFFFF, tr >> 32, 1, b"", b"")
    return payload + coding_history.encode("ascii", errors="replace")


def _chunks(data: bytes):
    """(id, payload start, payload size) of each chunk of a RIFF/WAVE byte string."""
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise ValueError("not a RIFF/WAVE file")
    pos = 12
    while pos + 8 <= len(data):
        cid = data[pos:pos + 4]
        size = struct.unpack_from("<I", data, pos + 4)[0]
        yield cid, pos + 8, size
        pos += 8 + size + (size & 1)


def add_bext(wav_bytes: bytes, *, description: str = "", originator: str = "StereoSync Studio",
             originator_reference: str = "", time_reference: int = 0, coding_history: str = "",
             when: _dt.datetime | None = None) -> bytes:
    """Return `wav_bytes` with a `bext` chunk before `data` (replacing any existing one)."""
    payload = build_bext(description, originator, originator_reference, time_reference,
                         coding_history, when)
    pad = b"\0" if len(payload) & 1 else b""
    chunk = b"bext" + struct.pack("<I", len(payload)) + payload + pad
    parts: list[bytes] = []
    inserted = False
    for cid, start, size in _chunks(wav_bytes):
        if cid == b"bext":
            continue
        if cid == b"data" and not inserted:
            parts.append(chunk)
            inserted = True
        end = min(start + size + (size & 1), len(wav_bytes))
        parts.append(wav_bytes[start - 8:end])
    if not inserted:
        raise ValueError("WAVE data has no 'data' chunk")
    body = b"WAVE" + b"".join(parts)
    if len(body) > 0xFFFFFFFF:
        raise ValueError("WAV larger than 4 GiB cannot carry a RIFF header")
    return b"RIFF" + struct.pack("<I", len(body)) + body


def add_bext_file(src: str | Path, dst: str | Path, **fields) -> None:
    """`add_bext` from file to file, streaming the audio data (long takes never sit in memory)."""
    import shutil

    payload = build_bext(**fields)
    pad = b"\0" if len(payload) & 1 else b""
    chunk = b"bext" + struct.pack("<I", len(payload)) + payload + pad
    size_src = Path(src).stat().st_size
    with open(src, "rb") as fi:
        head = fi.read(12)
        if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
            raise ValueError("not a RIFF/WAVE file")
        spans: list[tuple[bytes, int, int]] = []  # (id, offset of the chunk header, total bytes)
        pos = 12
        while pos + 8 <= size_src:
            fi.seek(pos)
            cid, size = fi.read(4), struct.unpack("<I", fi.read(4))[0]
            total = min(8 + size + (size & 1), size_src - pos)
            spans.append((cid, pos, total))
            pos += 8 + size + (size & 1)
        if not any(c == b"data" for c, _, _ in spans):
            raise ValueError("WAVE data has no 'data' chunk")
        body = 4 + len(chunk) + sum(t for c, _, t in spans if c != b"bext")
        if body > 0xFFFFFFFF:
            raise ValueError("WAV larger than 4 GiB cannot carry a RIFF header")
        with open(dst, "wb") as fo:
            fo.write(b"RIFF" + struct.pack("<I", body) + b"WAVE")
            inserted = False
            for cid, off, total in spans:
                if cid == b"bext":
                    continue
                if cid == b"data" and not inserted:
                    fo.write(chunk)
                    inserted = True
                fi.seek(off)
                left = total
                while left > 0:
                    block = fi.read(min(left, 1 << 22))
                    if not block:
                        break
                    fo.write(block)
                    left -= len(block)
            fo.flush()


def read_bext(path: str | Path) -> dict | None:
    """The `bext` fields of a WAV file as a dict, or None if it has none (or is not RIFF/WAVE)."""
    p = Path(path)
    if not p.is_file():
        raise InputError(p, "file not found")
    with open(p, "rb") as fh:
        head = fh.read(12)
        if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
            return None
        while True:
            hdr = fh.read(8)
            if len(hdr) < 8:
                return None
            cid, size = hdr[:4], struct.unpack("<I", hdr[4:])[0]
            if cid == b"bext":
                payload = fh.read(size)
                break
            fh.seek(size + (size & 1), 1)
    if len(payload) < BEXT_FIXED_SIZE:
        raise InputError(p, f"bext chunk is too short ({len(payload)} bytes)")
    (desc, orig, oref, date, time, lo, hi, version, umid, _reserved) = _FIXED.unpack_from(payload)

    def text(b: bytes) -> str:
        return b.split(b"\0", 1)[0].decode("ascii", errors="replace")

    return {
        "description": text(desc), "originator": text(orig), "originator_reference": text(oref),
        "origination_date": text(date), "origination_time": text(time),
        "time_reference": lo | (hi << 32), "version": version, "umid": umid.hex(),
        "coding_history": text(payload[BEXT_FIXED_SIZE:]),
    }

"""Process-wide tuning an application's entry point applies once (CLI and Studio alike)."""

from __future__ import annotations

__all__ = ["tune_allocator"]


def tune_allocator() -> bool:
    """Keep freed large numpy buffers in the heap instead of returning them to the OS (glibc).

    Every fresh multi-megabyte temporary otherwise comes back as new pages and page-faults
    in on first touch; on the VMs measured this doubles the binaural renderer's speed (and
    helps every numpy-heavy job). Process-wide, so only an application's entry point should
    call it. Returns False where it does not apply (not glibc).
    """
    import ctypes
    import ctypes.util

    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        m_trim_threshold, m_mmap_threshold = -1, -3
        return bool(libc.mallopt(m_mmap_threshold, 32 * 1024 * 1024)) and bool(
            libc.mallopt(m_trim_threshold, 256 * 1024 * 1024))
    except (OSError, AttributeError):
        return False

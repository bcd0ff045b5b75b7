"""Checks the command line makes before any work: a bad `--reference` or output path is said
in one line at once, not after minutes of tracking, and nothing is written.

* `check_references`: each `--reference` (plain or `PATH@START-END`) names audio files that
  exist, can be decoded and are not silent (the sampler's own checks, made early).
* `check_envelope_file`: an `--envelope` audio or CSV file exists (and the audio decodes).
* `check_output_folder` / `check_output_file`: the output can be created where `-o` points
  (not a file where a folder is wanted, not a folder where a file is wanted, not read-only).
* `internal_error`: the last resort for a bug: one line naming the command's inputs and a
  file holding the traceback, never a traceback on the terminal.
"""

from __future__ import annotations

import sys
import tempfile
import traceback
from pathlib import Path

from ..core.errors import InputError, StereoSyncError

__all__ = ["check_envelope_file", "check_output_file", "check_output_folder", "check_references", "internal_error"]


def check_references(items: list[str]) -> None:
    """Every `--reference` item names readable, audible audio (InputError naming the file)."""
    from .. import jobs
    from ..core.surfaces import parse_region
    from ..media.audio import check_audio, read_audio

    plain = [i for i in items if parse_region(i) is None]
    if len(plain) > 1:
        raise StereoSyncError(f"--reference given {len(plain)} times without @START-END: one reference per "
                              "subject (add @START-END to make the others surface regions)")
    for item in items:
        parsed = parse_region(item)
        path = Path(parsed[0] if parsed else item)
        if "@" in item and parsed is None and not path.exists():
            raise InputError(path, "reference not found (a surface region is PATH@START-END in seconds, "
                                   "e.g. grass/@0-4.2)")
        for f in jobs.reference_files(str(path)):
            audio, _ = read_audio(f)
            check_audio(audio, f, "reference sound")


def check_envelope_file(mode: str | None) -> None:
    """An `--envelope` naming an audio (performed) or CSV file: the file is there and the audio
    decodes. Modes and other words are left to `jobs.make_envelope`, which names them."""
    from ..core.formats import is_audio
    from ..media.audio import read_audio

    if not mode or not (is_audio(mode) or Path(mode).suffix.lower() == ".csv"):
        return
    if not Path(mode).is_file():
        raise InputError(mode, "envelope file not found" if not Path(mode).exists() else "is not a file")
    if is_audio(mode):
        read_audio(mode)


def check_output_folder(path: str | Path) -> None:
    """The output folder exists or can be created, and files can be written in it."""
    from .. import jobs

    p = Path(path)
    if p.exists() and not p.is_dir():
        raise InputError(p, "output folder is an existing file")
    if not jobs.can_write_in(p):
        blocker = next((a for a in p.parents if a.exists() and not a.is_dir()), None)
        if blocker is not None:
            raise InputError(p, f"cannot create the output folder ({blocker} is a file, not a folder)")
        raise InputError(p, "cannot write the output there (read-only folder or no permission)")


def check_output_file(path: str | Path, option: str, example: str) -> None:
    """`path` can be written as a file: not an existing folder, in a folder that can be written."""
    p = Path(path)
    if p.is_dir():
        raise InputError(p, f"is a folder: {option} takes a file name (e.g. {p / example})")
    check_output_folder(p.parent)


def internal_error(argv: list[str] | None, exc: BaseException) -> int:
    """A bug, not bad input: one line naming the command and the file the traceback was saved in."""
    command = "stereosync " + " ".join(sys.argv[1:] if argv is None else argv)
    try:
        with tempfile.NamedTemporaryFile("w", prefix="stereosync-error-", suffix=".txt", delete=False) as fh:
            fh.write(command + "\n\n")
            traceback.print_exception(type(exc), exc, exc.__traceback__, file=fh)
            saved = f"; details in {fh.name}"
    except OSError:
        saved = ""
    what = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    print(f"stereosync: error: internal error ({what}) in '{command}': please report it{saved}", file=sys.stderr)
    return 70

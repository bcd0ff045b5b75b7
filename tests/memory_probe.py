"""Peak resident memory of one job on one clip, measured in a fresh process.

    python -m tests.memory_probe analyze CLIP [PROJECT_OUT [ENVELOPE | guide]]
    python -m tests.memory_probe render PROJECT TAKES_DIR [N_TAKES [PROJECT_OUT]]
    python -m tests.memory_probe track CLIP        (tracking + reading the guide track only)
    python -m tests.memory_probe studio PROJECT    (the Studio opens the project offscreen, waits
                                                    until its guide, take and metrics are loaded)

Prints one JSON line: {"job", "peak_mb", "seconds", "start_mb"}. Run as a subprocess so the
figure is this job's alone (ru_maxrss of the child), not the test runner's.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path


def _peak_mb() -> float:
    """This process's peak resident memory. VmHWM starts afresh at exec; ru_maxrss does not (a
    child forked from a big test runner would report the runner's size)."""
    try:
        for line in open("/proc/self/status", encoding="ascii"):
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def main(argv: list[str]) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from stereosync_studio.core.runtime import tune_allocator

    tune_allocator()  # as the CLI and the Studio do
    from stereosync_studio import jobs

    start = _peak_mb()
    t0 = time.perf_counter()
    job = argv[0]
    if job == "analyze":
        env = argv[3] if len(argv) > 3 else jobs.DEFAULT_ENVELOPE
        # "guide": the guide's footsteps from the audio alone (no picture-motion pass)
        project = jobs.analyze_clip(argv[1], envelope="none" if env == "guide" else env)
        if env == "guide" and project.guide_envelope is not None:
            project.sources[0].envelope = project.guide_envelope.copy()
        if len(argv) > 2:
            project.save(argv[2])
    elif job == "render":
        from stereosync_studio.core.project import Project

        project = Project.load(argv[1])
        jobs.render_takes(project, argv[2], n_takes=int(argv[3]) if len(argv) > 3 else 2, seed=1)
        if len(argv) > 4:  # the project with its takes (what the Studio then opens)
            project.save(argv[4])
    elif job == "track":
        from stereosync_studio.analysis.tracking import track_clip
        from stereosync_studio.media.video import read_guide_audio

        track = track_clip(argv[1])
        audio = read_guide_audio(argv[1], 48000)
        print(json.dumps({"tracked": float((track.confidence > 0).mean()),
                          "guide_s": 0.0 if audio is None else audio.shape[1] / 48000}))
    elif job == "studio":
        import os
        import tempfile

        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        scratch = Path(tempfile.mkdtemp())
        os.environ.setdefault("STEREOSYNC_STUDIO_HOME", str(scratch / "home"))  # not the user's recent list
        from stereosync_studio.gui.app import main as studio

        shot = scratch / "open.png"
        rc = studio([argv[1], "--screenshot", str(shot), "--timeout", "900"])
        if rc or not shot.is_file():
            raise SystemExit(f"the Studio did not open {argv[1]} (exit {rc})")
    else:
        raise SystemExit(f"unknown job {job!r}")
    print(json.dumps({"job": job, "peak_mb": round(_peak_mb(), 1), "seconds": round(time.perf_counter() - t0, 2),
                      "start_mb": round(start, 1)}))


if __name__ == "__main__":
    main(sys.argv[1:])

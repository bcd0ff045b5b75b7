"""From opening a clip to its first take: analysis + one take, against the clip's duration.

Goal (the issue): >= 4x real time. Uses an 8 s 1080p walker clip with a guide track (like the
demo), in a fresh process so start-up (imports, model loading) counts as a designer feels it.
`--duration 60` times a longer clip; the 60 s "diagonal" walker starts ~60 m away, too small
to be found (no tracking, no motion pass; "approaching" likewise; long "zigzag" guides hold
NaN), so `--scenario pingpong` plays the 8 s diagonal walker forward and back for the whole
duration: a long clip the tracker follows all along.
Two figures: cold, from a fresh process's start (imports and model loading count, as for
`stereosync render` or a Studio started with the clip), and warm, from "open clip" in a Studio
that has done its start-up warm-up (`jobs.probe_and_warm`, `jobs.analyze.warm_analysis`, in
workers while the window is shown; that warm-up is timed apart and not counted). `--ab` also
times the subject's motion measured after tracking instead of during it (runs interleaved).
`--studio` renders as the Studio does (the take is scored in the background afterwards,
`evaluate=False`); by default the take is scored during the render, as the CLI does.
The machine may be shared: the child's CPU time (all its threads) is printed beside the wall
time, and `--repeat N` keeps the best of N runs. `--profile` runs the job under cProfile
(timer: process CPU time, so other processes' load does not count) and prints where the
time goes (decode, detection/tracking, motion of the subject, guide, render, metrics).

Run: .venv/bin/python tests/bench/bench_first_take.py [--duration 8] [--scenario diagonal] [--seed 1] [--fps 25] [--height 1080] [--studio]
     [--repeat 3] [--profile] [--ab]
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.walker import cached_walker_clip  # noqa: E402

_JOB = """
import sys, tempfile, time
clip, mode, warm, ahead = sys.argv[1], sys.argv[2], sys.argv[3] == "warm", sys.argv[4] == "1"
profile = sys.argv[5] if len(sys.argv) > 5 else ""
w0 = time.perf_counter()
from stereosync_studio import jobs
from stereosync_studio.jobs import analyze as _an
_an.MEASURE_WHILE_TRACKING = ahead
warmup = 0.0
if warm:  # what the Studio does at start, in workers, before a clip is opened
    jobs.probe_and_warm()
    _an.warm_analysis()
    warmup = time.perf_counter() - w0
if profile:
    import cProfile
    prof = cProfile.Profile(time.process_time)
    prof.enable()
c0 = time.process_time()
t0 = time.perf_counter()
p = jobs.analyze_clip(clip)
t1 = time.perf_counter()
jobs.render_takes(p, tempfile.mkdtemp(), n_takes=1, seed=1, evaluate=mode == "score")
t2 = time.perf_counter()
cpu = time.process_time() - c0
if profile:
    prof.disable()
    prof.dump_stats(profile)
s = p.sources[0]
seen = int((s.track.confidence > 0).sum())
steps = len(p.guide_report.step_times()) if p.guide_report else len(s.envelope.events or [])
print(f"{seen} {steps} {t1 - t0:.3f} {t2 - t1:.3f} {warmup:.3f} {cpu:.3f}")
"""

# (stage, what counts: (file part, function) whose cumulative time is the stage's; "*" = tottime of the file)
STAGES = [
    ("decode (media.video)", [("media/video.py", "*")]),
    ("detection + tracking", [("analysis/tracking.py", "track_clip")]),
    ("motion (flow + pose)", [("analysis/motion.py", "analyze_subjects")]),
    ("  of which pose", [("analysis/pose.py", "update")]),
    ("guide footsteps", [("jobs/guide.py", "footstep_guide")]),
    ("render (engine)", [("engines/sampler.py", "generate")]),
    ("metrics", [("metrics/__init__.py", "evaluate_take")]),
    ("WAV writing", [("media/audio.py", "write_wav")]),
]


def breakdown(stats_path: str) -> list[tuple[str, float]]:
    """Seconds per stage from a cProfile dump (decode: own time of media/video.py functions,
    which the tracking and motion stages also contain)."""
    import pstats

    st = pstats.Stats(stats_path).stats  # {(file, line, fn): (cc, nc, tt, ct, callers)}
    out = []
    for name, parts in STAGES:
        total = 0.0
        for file_part, fn in parts:
            for (file, _, func), (_, _, tt, ct, _) in st.items():
                if file.replace("\\\\", "/").endswith(file_part) and (fn == "*" or func == fn):
                    total += tt if fn == "*" else ct
        out.append((name, total))
    decode_c = sum(ct for (f, _, fn), (_, _, _, ct, _) in st.items()
                   if fn in ("to_ndarray", "decode") or f.endswith("media/video.py") and fn == "_to_rgb")
    out[0] = (out[0][0], max(out[0][1], decode_c))
    return out


def pingpong_clip(cache: Path, duration: float, fps: float = 25.0, size: tuple[int, int] = (1920, 1080)) -> str:
    """The 8 s 1080p diagonal walker played forward, then backward, ... for `duration` s (its
    guide track repeated), at `fps`: made once, reused."""
    import numpy as np

    from stereosync_studio.media.video import VideoReader, read_guide_audio, write_video

    tag = ("" if fps == 25 else f"_{fps:g}fps") + ("" if size == (1920, 1080) else f"_{size[1]}p")
    target = cache / f"pingpong_{duration:g}s{tag}.mp4"
    if target.is_file() and target.stat().st_size > 0:
        return str(target)
    src = cached_walker_clip(cache, scenario="diagonal", duration=8.0, fps=fps, size=size, seed=1).path
    n = int(round(duration * fps))
    sec = max(1, int(round(fps)))

    def frames():
        with VideoReader(src) as r:
            m, made, forward = r.info.n_frames, 0, True
            while made < n:
                if forward:
                    chunks = [(0, m)]
                else:  # backward, a second at a time (each decoded forward, then reversed)
                    chunks = [(max(0, hi - sec), hi) for hi in range(m, 0, -sec)]
                for lo, hi in chunks:
                    part = [rgb for _, _, rgb in r.iter_frames(lo, hi)]
                    for rgb in (part if forward else part[::-1]):
                        if made < n:
                            made += 1
                            yield rgb
                forward = not forward

    audio = read_guide_audio(src, 48000)
    reps = int(np.ceil(n / fps * 48000 / audio.shape[1]))
    write_video(target, frames(), fps, audio=np.tile(audio, reps)[:, :int(round(n / fps * 48000))])
    return str(target)


def run_once(clip: str, score: bool, prof: str | None, warm: bool = False,
             ahead: bool = True) -> tuple[float, float, list[str]]:
    """(wall s, CPU s, what it printed) of one fresh process. Cold: from the process's start
    (imports, model loading and all), CPU of the whole child. Warm: after the Studio's start-up
    warm-up (`jobs.probe_and_warm`, `warm_analysis`), which the child times on its own."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", _JOB, clip, "score" if score else "studio", "warm" if warm else "cold",
                          "1" if ahead else "0"] + ([prof] if prof else []), cwd=ROOT, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if out.returncode:
        raise RuntimeError(out.stderr[-2000:])
    fields = out.stdout.split()[-6:]
    if warm:
        return float(fields[2]) + float(fields[3]), float(fields[5]), fields
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, fields


def report(label: str, runs: list[tuple[float, float, list[str]]], dur: float, warm: bool) -> None:
    """One line per kind of run: the best wall time of the runs (and the least CPU)."""
    total, _, (seen, steps, a, r, warmup, _) = min(runs, key=lambda x: x[0])
    cpu = min(x[1] for x in runs)
    a, r = float(a), float(r)
    extra = (f"Studio start-up warm-up before it {float(warmup):.1f} s, not counted" if warm
             else f"start-up {total - a - r:.1f} s")
    print(f"  {label}: {total:5.2f} s wall (analysis {a:.2f} s, one take {r:.2f} s, {extra}; CPU {cpu:.2f} s) = "
          f"{dur / total:4.2f}x real time, {dur / cpu:4.2f}x per CPU second; best of {len(runs)}, "
          f"subject on {seen} frames, {steps} steps")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--duration", type=float, default=8.0)
    ap.add_argument("--scenario", default="diagonal")
    ap.add_argument("--seed", type=int, default=1, help="the generated clip's seed")
    ap.add_argument("--fps", type=float, default=25.0, help="the clip's frame rate (e.g. 59.94: a phone's clip)")
    ap.add_argument("--height", type=int, default=1080, help="the clip's height (16:9), e.g. 2160 for 4K")
    ap.add_argument("--studio", action="store_true", help="render as the Studio does (scored in the background)")
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--profile", action="store_true")
    ap.add_argument("--ab", action="store_true",
                    help="also time the motion measured after tracking (as before), runs interleaved")
    args = ap.parse_args(argv if argv is not None else [])
    cache = ROOT / "tests" / ".cache"
    size, dur = (args.height * 16 // 9, args.height), args.duration
    if args.scenario == "pingpong":
        clip = pingpong_clip(cache, dur, args.fps, size)
    else:
        clip = cached_walker_clip(cache, scenario=args.scenario, duration=dur, fps=args.fps, size=size,
                                  seed=args.seed).path
    prof = str(cache / "first_take.prof") if args.profile else None
    kinds = [(warm, ahead) for ahead in ((True, False) if args.ab else (True,)) for warm in (False, True)]
    runs: dict[tuple[bool, bool], list] = {k: [] for k in kinds}
    for _ in range(max(1, args.repeat)):  # interleaved: a shared machine's load falls on every kind alike
        for warm, ahead in kinds:
            runs[(warm, ahead)].append(run_once(clip, not args.studio, prof, warm, ahead))
    print(f"clip to first take, {args.scenario} {size[0]}x{size[1]} {args.fps:g} fps {dur:g} s "
          f"({'Studio: scored later' if args.studio else 'scored in the render'})"
          f"{' (under cProfile)' if args.profile else ''}:")
    for warm, ahead in kinds:
        label = ("warm (Studio open)" if warm else "cold (fresh process)") + \
            ("" if not args.ab else (", motion during tracking" if ahead else ", motion after tracking"))
        report(label, runs[(warm, ahead)], dur, warm)
    if prof:
        print("  profile of the last run:")
        for name, sec in breakdown(prof):
            print(f"  {name:24s} {sec:6.2f} s CPU")
        print("  (cProfile sees the main thread only: the CPU of worker threads (pose, the motion measured\n"
              "   during tracking, decoding ahead, the guide audio) is counted in the main-thread stage that\n"
              "   runs meanwhile)")


if __name__ == "__main__":
    main(sys.argv[1:])

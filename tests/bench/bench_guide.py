"""Real guide tracks: footstep isolation speed, and the figures of takes made from busy guides.

Prints, on held-out seeds of the generated walkers (tests/busy_guide.py: speech 8-10 dB
above the steps, music, room tone, heel-toe doubles, scuffs, crunches):
* footstep isolation speed, x real time (analysis + fusion + envelope, picture contacts given),
  and the peak memory and speed of the footstep guide of a 10-minute busy guide;
* per mix (drums: music with a drum kit), before (the old `auto`: the guide's plain RMS, its
  peaks as steps, lens panning)
  and after (the footsteps fused with the picture, one event per footstep, screen panning):
  the take's step F1 against the true steps, the guide's own F1, E-L1 against the clean
  footstep track over its silence baseline, and the heard pan's error against the box;
* step recall from the picture on hard motion (turning, zig-zag, running, stop-and-go).
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.busy_guide import busy_walker_clip, take_figures  # noqa: E402

CACHE = ROOT / "tests" / ".cache"
SEEDS = (10, 11, 12, 13)  # held out: nothing was tuned on them
MIXES = ("clean", "music", "drums", "speech", "busy")


def isolation_speed(seconds: float = 8.0, repeats: int = 5) -> float:
    """x real time of the footstep guide (analyse, fuse with contacts, envelope) on a busy mix,
    the best of `repeats` runs (other processes on a shared machine only ever slow it down)."""
    from stereosync_studio.analysis.footstep_guide import analyse_guide, contact_evidence, footstep_envelope
    from stereosync_studio.analysis.step_fusion import fuse_steps
    from tests.busy_guide import mix_guide
    from tests.walker import walker_truth

    truth = walker_truth(scenario="crossing", seed=SEEDS[0], duration=seconds)
    audio = mix_guide(truth, SEEDS[0], "busy")["busy"]
    contacts = [(t, 0.9) for t in truth.step_times]

    def run() -> None:
        guide = analyse_guide(audio, 48000)
        evidence = contact_evidence(guide, [t for t, _ in contacts])
        report = fuse_steps(guide.transients, contacts, seconds, evidence)
        footstep_envelope(guide, report.step_times(), seconds)

    run()
    best = np.inf
    for _ in range(repeats):
        t0 = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - t0)
    return seconds / best


def guide_memory(minutes: float = 10.0) -> dict:
    """Peak resident memory (MB, VmHWM of a fresh process) of the footstep guide of a
    `minutes` busy guide (analyse, contacts, fusion, envelope), and its speed."""
    import json
    import subprocess

    code = f"""
import json, sys, time
sys.path.insert(0, {str(ROOT)!r})
import numpy as np
from tests.busy_guide import mix_guide
from tests.walker import walker_truth
from stereosync_studio.analysis.footstep_guide import analyse_guide, contact_evidence, footstep_envelope
from stereosync_studio.analysis.step_fusion import fuse_steps
truth = walker_truth(scenario="crossing", seed=10, duration=6.0)
one = mix_guide(truth, 10, "busy")["busy"][:, :int(5.7 * 48000)]
reps = int(round({minutes} * 60 / 5.7))
audio = np.tile(one, (1, reps)); del one
steps = [t + 5.7 * i for i in range(reps) for t in truth.step_times if t < 5.7]
hwm = lambda: next(int(l.split()[1]) / 1024 for l in open("/proc/self/status") if l.startswith("VmHWM"))
start = hwm()
t0 = time.perf_counter()
g = analyse_guide(audio, 48000)
ev = contact_evidence(g, steps)
rep = fuse_steps(g.transients, [(t, 0.9) for t in steps], reps * 5.7, ev)
footstep_envelope(g, rep.step_times(), reps * 5.7)
print(json.dumps({{"peak_mb": hwm(), "start_mb": start, "x_real_time": reps * 5.7 / (time.perf_counter() - t0)}}))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=1200)
    return json.loads(out.stdout.strip().splitlines()[-1])


def hard_motion_recall(seeds=SEEDS) -> dict[str, float]:
    from stereosync_studio.analysis.motion import analyze_subjects
    from stereosync_studio.analysis.steps_video import steps_from_motion
    from stereosync_studio.analysis.tracking import track_clip
    from stereosync_studio.core.track import Track
    from stereosync_studio.metrics.onsets import onset_f1
    from tests.hard_motion import MOTIONS, cached_motion_clip

    out = {}
    for motion in MOTIONS:
        rec = {"tracked": [], "true boxes": []}
        for seed in seeds:
            truth = cached_motion_clip(CACHE, motion, seed)
            steps = [t for t in truth.step_times if t >= 0.15]  # a step needs its swing in the clip
            for name, track in (("tracked", track_clip(truth.path)), ("true boxes", Track(truth.boxes))):
                found = [t for t, _ in steps_from_motion(analyze_subjects(truth.path, [track])[0])]
                rec[name].append(onset_f1([t for t in found if t >= 0.1], steps, 0.05)["recall"])
        out[motion] = {k: float(np.mean(v)) for k, v in rec.items()}
    return out


def in_a_room(clean: np.ndarray, seed: int, rt60: float, wet: float = 0.5) -> np.ndarray:
    """`clean` (2, N) footsteps heard in a room: convolved with decaying noise (RT60 `rt60` s,
    its energy `wet` of the direct sound's amplitude), a different room per channel."""
    from scipy.signal import fftconvolve

    rng = np.random.default_rng([seed, 99])
    t = np.arange(int(rt60 * 48000)) / 48000.0
    ir = rng.normal(0.0, 1.0, (2, len(t))) * np.exp(-6.91 * t / rt60)
    ir *= wet / np.sqrt((ir ** 2).sum(axis=1, keepdims=True))
    ir[:, 0] += 1.0
    return np.stack([fftconvolve(clean[c], ir[c])[:clean.shape[1]] for c in range(2)]).astype(np.float32)


def room_figures(seeds=SEEDS, rooms=(0.0, 0.4, 0.8)) -> dict[float, float]:
    """E-L1 / silence of the footstep envelope of a guide that holds nothing but the steps,
    heard dry or in a room (the steps' own reverberation is theirs: it should be kept), the
    true step times given."""
    from stereosync_studio.analysis.footstep_guide import analyse_guide, footstep_envelope
    from stereosync_studio.dsp.rms import envelope_l1, rms_envelope
    from stereosync_studio.metrics import e_l1_silence
    from tests.busy_guide import mix_guide
    from tests.walker import walker_truth

    out = {}
    for rt60 in rooms:
        errs = []
        for seed in seeds:
            truth = walker_truth(scenario="crossing", seed=seed, duration=6.0)
            m = mix_guide(truth, seed, "clean")
            audio = in_a_room(m["clean"], seed, rt60) if rt60 > 0 else m["clean"]
            clean = rms_envelope(audio, 48000).astype(np.float64)
            env = footstep_envelope(analyse_guide(audio, 48000), list(m["step_times"]), 6.0)
            errs.append(envelope_l1(env.values, clean) / max(e_l1_silence(clean), 1e-12))
        out[rt60] = float(np.mean(errs))
    return out


def main() -> None:
    print(f"footstep isolation: {isolation_speed():.0f}x real time (8 s busy guide, 48 kHz)", flush=True)
    mem = guide_memory()
    print(f"footstep guide of a 10-minute busy guide: peak {mem['peak_mb']:.0f} MB (the audio loaded: "
          f"{mem['start_mb']:.0f} MB; goal: under 1500 MB), {mem['x_real_time']:.0f}x real time", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        for mix in MIXES:
            rows = [take_figures(busy_walker_clip(CACHE, "crossing", seed, mix)) for seed in SEEDS]
            mean = {k: float(np.mean([r[k] for r in rows])) for k in rows[0]}
            print(f"{mix:7s} guide F1 {mean['guide_f1']:.2f} | take F1 {mean['f1_before']:.2f} -> "
                  f"{mean['f1_after']:.2f} | E-L1 / silence {mean['el1_before']:.2f} -> {mean['el1_after']:.2f} | "
                  f"pan error {mean['pan_before']:.3f} -> {mean['pan_after']:.3f} (guide {mean['pan_guide']:.3f})",
                  flush=True)
    rooms = room_figures()
    print("footstep envelope of a guide with nothing but the steps, E-L1 / silence: "
          + ", ".join(f"{'dry' if rt == 0 else f'room RT60 {rt:g} s'} {v:.3f}" for rt, v in rooms.items()), flush=True)
    for motion, rec in hard_motion_recall().items():
        print(f"steps from the picture, {motion:11s}: recall {rec['tracked']:.2f} tracked, "
              f"{rec['true boxes']:.2f} on the true boxes", flush=True)


if __name__ == "__main__":
    main()

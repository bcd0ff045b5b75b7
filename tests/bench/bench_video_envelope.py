"""Video-to-envelope speed on a generated 1280x720 walker clip (prints figures, asserts nothing).

Frames per second of each stage of `--envelope video` for one subject whose track is known
(the tracker has its own bench): the motion pass with pose + optical flow (what the Studio
runs), the optical-flow-only fallback, the step detection and envelope from the measured
motion, and the whole `envelope_from_video` including tracking. Also the multi-subject
search (`track_all`) and the learned mapper's inference, and the step F1 for reference.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from stereosync_studio.analysis import steps_video as S  # noqa: E402
from stereosync_studio.analysis.motion import analyze_subjects  # noqa: E402
from stereosync_studio.analysis.multi import track_all  # noqa: E402
from stereosync_studio.core.track import Track  # noqa: E402
from stereosync_studio.metrics.onsets import onset_f1  # noqa: E402
from tests.walker import cached_walker_clip  # noqa: E402


def _timed(fn):
    t = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t


def main() -> None:
    cache = ROOT / "tests" / ".cache"
    t0 = time.perf_counter()
    truth = cached_walker_clip(cache, scenario="crossing", duration=8.0, fps=25, size=(1280, 720), seed=5)
    n = truth.n_frames
    print(f"clip: {Path(truth.path).name} ({n} frames 1280x720, ready in {time.perf_counter() - t0:.1f} s)")
    track = Track(truth.boxes)

    motion, t_pose = _timed(lambda: analyze_subjects(truth.path, [track], use_pose=True)[0])
    print(f"motion pass, pose + flow (decode 720p, crop):  {n / t_pose:7.1f} frames/s"
          f"   (pose on {motion.pose_coverage() * 100:.0f} % of frames)")
    flow_only, t_flow = _timed(lambda: analyze_subjects(truth.path, [track], use_pose=False)[0])
    print(f"motion pass, optical flow only:                 {n / t_flow:7.1f} frames/s")
    steps, t_steps = _timed(lambda: S.steps_from_motion(motion))
    env, t_env = _timed(lambda: S.envelope_from_steps(steps, S.step_levels(steps, motion), motion.duration))
    print(f"steps + envelope from measured motion:          {n / max(t_steps + t_env, 1e-9):7.0f} frames/s")
    env_all, t_all = _timed(lambda: S.envelope_from_video(truth.path, None))
    print(f"envelope_from_video (track + measure + steps):  {n / t_all:7.1f} frames/s   "
          f"({t_all / truth.duration:.2f} s per second of video)")
    for name, st in (("pose+flow", steps), ("flow only", S.steps_from_motion(flow_only)),
                     ("whole path", [(t, 1.0) for t in env_all.events])):
        f = onset_f1([t for t, _ in st], truth.step_times, 0.05)
        print(f"step F1 @50 ms, {name:10s}: {f['f1']:.3f} (P {f['precision']:.2f}, R {f['recall']:.2f})")
    tracks, t_multi = _timed(lambda: track_all(truth.path))
    print(f"track_all (every person, 720p -> 360p work):    {n / t_multi:7.1f} frames/s   ({len(tracks)} found)")
    try:
        _bench_mapper(motion, n)
    except ImportError as exc:
        print(f"mapper: skipped ({exc})")


def _bench_mapper(motion, n: int) -> None:
    import tempfile

    from stereosync_studio.analysis.mapper_features import FEATURE_RATE, MAPPER_RATE, N_FEATURES, mapper_features
    from stereosync_studio.learned import mapper as M

    with tempfile.TemporaryDirectory() as d:
        cfg = M.MapperConfig(N_FEATURES, FEATURE_RATE, MAPPER_RATE)
        model = M.build_model(cfg)
        feats = mapper_features(motion)
        M.save_checkpoint(Path(d) / "mapper.pt", model, cfg, feats.mean(0), feats.std(0) + 1e-3, {})
        predict = M.MapperPredictor(Path(d) / "mapper.pt")
        predict(feats)  # load + warm up
        _, t = _timed(lambda: predict(mapper_features(motion)))
        print(f"mapper inference ({M.n_parameters(model)} parameters):          {n / t:7.0f} frames/s")


if __name__ == "__main__":
    main()

"""`stereosync train`: train the StereoSync adapter on your own clips.

    stereosync train --clips DIR --base models/stable-audio-open-1.0 [--steps 3000 ...]

Clips are videos (their own soundtrack is the target) or audio files with a
`<name>.stereosync.json` sidecar (see engines/diffusion/dataset.py). The adapter is written
to models/stereosync/adapter.safetensors by default; running the command again continues
from the saved step (Ctrl-C saves and stops; `--fresh` starts over). torch is imported only
when the command runs, not when the CLI builds its parser.

A face: it parses the arguments and reports; the work is `jobs.train.train_adapter`.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time
from pathlib import Path

from ..core.errors import Cancelled, StereoSyncError
from ..core.progress import CancelToken, ProgressFn
from ..jobs.train import default_adapter_path, train_adapter


def add_train_parser(subparsers) -> argparse.ArgumentParser:
    """Add the `train` sub-command to an argparse sub-parser collection."""
    p = subparsers.add_parser(
        "train", help="train the StereoSync diffusion adapter on your clips",
        description="Train the StereoSync adapter (envelope ControlNet + CLAP/box/depth projections) "
                    "on frozen Stable Audio Open. Re-running continues from the saved step.")
    p.add_argument("--clips", required=True, help="folder of training clips (videos, or audio + sidecar)")
    p.add_argument("--base", default="models/stable-audio-open-1.0",
                   help="Stable Audio Open folder with model_config.json and model.safetensors")
    p.add_argument("--clap", default=None, help="CLAP checkpoint (.safetensors); default: newest in <models>/clap")
    p.add_argument("--out", default=None, help="adapter file; default <models>/stereosync/adapter.safetensors")
    p.add_argument("--cache", default=None, help="prepared-chunk cache folder; default <out folder>/cache")
    p.add_argument("--steps", type=int, default=3000, help="total training steps (paper: 3000)")
    p.add_argument("--batch-size", type=int, default=12, help="paper: 12")
    p.add_argument("--lr", type=float, default=1e-4, help="AdamW learning rate (paper: 1e-4)")
    p.add_argument("--cfg-dropout", type=float, default=0.1, help="classifier-free guidance dropout")
    p.add_argument("--save-every", type=int, default=500, help="checkpoint every N steps")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", choices=["auto", "cpu", "cuda", "mps"], default="auto")
    p.add_argument("--devices", type=int, default=1,
                   help="processes to train with: one per GPU (or CPU processes, gloo); the command re-runs itself per rank")
    p.add_argument("--strategy", choices=["auto", "ddp", "fsdp"], default="auto",
                   help="multi-device strategy (auto = ddp when --devices > 1)")
    g = p.add_argument_group("adapter shape (new adapters only; a resumed one keeps its own)")
    g.add_argument("--depth-factor", type=float, default=0.2, help="fraction of DiT blocks in the ControlNet")
    g.add_argument("--chunk-seconds", type=float, default=2.0, help="training chunk length (paper: 2 s)")
    g.add_argument("--box-rate", type=float, default=30.0, help="box tokens per second")
    g.add_argument("--depth-rate", type=float, default=4.0, help="depth tokens per second")
    g.add_argument("--depth-dim", type=int, default=16, help="depth features per frame")
    g.add_argument("--depth-source", choices=["distance", "features"], default="distance",
                   help="distance: encode the subject's distance curve; features: per-frame 'depth' "
                        "vectors from the clips' sidecars (a depth model's output)")
    p.add_argument("--fresh", action="store_true", help="start a new adapter even if --out exists")
    p.add_argument("--prepare-only", action="store_true", help="only prepare (cache) the chunks")
    p.add_argument("-q", "--quiet", action="store_true", default=argparse.SUPPRESS, help="no progress lines")
    # `handler(args, progress, cancel)` is how `stereosync`'s main dispatches; `func(args)` standalone
    p.set_defaults(func=run_train, handler=lambda args, progress, cancel: run_train(args, progress, cancel))
    return p


def _printer() -> ProgressFn:
    """Progress lines on stderr: one per new message, at most two a second."""
    state = {"t": 0.0, "msg": ""}

    def progress(fraction: float, message: str = "") -> None:
        now = time.monotonic()
        if message == state["msg"] or (now - state["t"] < 0.5 and fraction < 1.0):
            return
        state.update(t=now, msg=message)
        print(f"[{fraction * 100:5.1f}%] {message}", file=sys.stderr, flush=True)

    return progress


def run_train(args: argparse.Namespace, progress: ProgressFn | None = None,
              cancel: CancelToken | None = None) -> int:
    """Run `stereosync train`; 0 on success, 2 on a user error, 130 when stopped (Ctrl-C saves
    the adapter first). `progress`/`cancel` come from the main CLI when it dispatches here."""
    base = Path(args.base)
    out = Path(args.out) if args.out else default_adapter_path(base)
    quiet = bool(getattr(args, "quiet", False)) or os.environ.get("LOCAL_RANK", "0") != "0"  # rank 0 reports
    progress = (lambda f, m="": None) if quiet else (progress or _printer())
    cancel = cancel or CancelToken()
    previous = None
    try:
        previous = signal.signal(signal.SIGINT, lambda *_: cancel.cancel())
    except ValueError:  # not the main thread: Ctrl-C handling stays as it is
        pass
    try:
        adapter = {"depth_factor": args.depth_factor, "chunk_seconds": args.chunk_seconds,
                   "box_rate": args.box_rate, "depth_rate": args.depth_rate, "depth_dim": args.depth_dim,
                   "depth_source": args.depth_source}
        settings = {"steps": args.steps, "batch_size": args.batch_size, "lr": args.lr,
                    "cfg_dropout": args.cfg_dropout, "save_every": args.save_every, "seed": args.seed,
                    "device": args.device, "devices": args.devices, "strategy": args.strategy}
        result = train_adapter(args.clips, base, out, args.clap, settings, adapter, args.cache,
                               fresh=args.fresh, prepare_only=args.prepare_only, progress=progress,
                               cancel=cancel)
    except Cancelled:
        print(f"stopped; the adapter so far is in {out} (run the same command to continue)", file=sys.stderr)
        return 130
    except StereoSyncError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except ImportError as exc:
        print(f"error: the diffusion engine's packages are missing ({exc}); run `make venv`", file=sys.stderr)
        return 2
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)
    if getattr(result, "rank", 0):
        return 0  # another rank of a multi-device run: rank 0 reports
    if args.prepare_only:
        print(f"prepared {result.chunks} chunks")
    elif result.steps_run == 0:
        print(f"{out} is already at step {result.step} (>= --steps {args.steps}); nothing to do")
    else:
        last = result.losses[-1] if result.losses else float("nan")
        print(f"trained {result.steps_run} steps on {result.chunks} chunks in {result.seconds:.1f} s; "
              f"{out} is at step {result.step} (last loss {last:.4f})")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Standalone entry (`python -m stereosync_studio.cli.train train ...`)."""
    parser = argparse.ArgumentParser(prog="stereosync")
    add_train_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())

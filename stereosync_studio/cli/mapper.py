"""`stereosync train-mapper --clips DIR`: learn the video-to-envelope mapper from clips with sound.

Every video in DIR that has an audio track is a training example: its subject is tracked and
measured, and its own audio gives the target envelope. About a fifth of the clips (at least
one, when there are three or more) are held out to report acc@1/5/10 and E-L1. The
checkpoint goes to `<models>/mapper/mapper.pt`, where `--envelope video` picks it up.

A face: it parses the arguments and prints the report; the work is `jobs.train.train_mapper`.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ..core.progress import CancelToken, ProgressFn
from ..core.fileio import atomic_write_text
from ..jobs.models import mapper_checkpoint
from ..jobs.train import train_mapper

__all__ = ["add_mapper_parser", "run_train_mapper"]


def add_mapper_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register `train-mapper` on the CLI's subparsers."""
    t = subparsers.add_parser("train-mapper", help="learn the video-to-envelope mapper from clips with audio")
    t.add_argument("--clips", required=True, help="folder of video clips whose own audio gives the labels")
    t.add_argument("--models", default="models", help="models folder (checkpoint: MODELS/mapper/mapper.pt)")
    t.add_argument("-o", "--output", help="checkpoint path (default MODELS/mapper/mapper.pt)")
    t.add_argument("--epochs", type=int, default=200)
    t.add_argument("--chunk", type=float, default=2.0, help="training chunk length in seconds")
    t.add_argument("--batch", type=int, default=8)
    t.add_argument("--lr", type=float, default=1e-3)
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--no-pose", action="store_true", help="optical-flow features only (no MediaPipe)")
    t.add_argument("--report", help="also write the JSON report here")
    t.set_defaults(handler=run_train_mapper)


def run_train_mapper(args: argparse.Namespace, progress: ProgressFn, cancel: CancelToken) -> int:
    """CLI handler: train, print the report (JSON) on stdout."""
    out = Path(args.output) if args.output else mapper_checkpoint(args.models)
    result = train_mapper(args.clips, out, epochs=args.epochs, chunk_s=args.chunk, batch=args.batch,
                          lr=args.lr, seed=args.seed, use_pose=False if args.no_pose else None,
                          progress=progress, cancel=cancel)
    hist = result.pop("loss_history")
    result["loss_first"], result["loss_last"] = hist[0], hist[-1]
    text = json.dumps(result, indent=1)
    if args.report:
        atomic_write_text(args.report, text)
    print(text, file=sys.stdout)
    return 0

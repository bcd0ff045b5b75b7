"""`stereosync train-mapper --clips DIR`: learn the video-to-envelope mapper from clips with sound.

Every video in DIR that has an audio track is a training example: its subject is tracked and
measured, and its own audio gives the target envelope. About a fifth of the clips (at least
one, when there are three or more) are held out to report acc@1/5/10 and E-L1. The
checkpoint goes to `<models>/mapper/mapper.pt`, where `--envelope video` picks it up.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from ..core.errors import InputError
from ..core.progress import CancelToken, ProgressFn, sub_progress

VIDEO_EXTS = (".mp4", ".mov", ".mkv", ".avi", ".m4v", ".webm")


def add_mapper_parser(subparsers) -> None:
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


def find_clips(folder: str | Path) -> list[Path]:
    d = Path(folder)
    if not d.is_dir():
        raise InputError(d, "clips folder not found")
    clips = sorted(p for p in d.iterdir() if p.is_file() and p.suffix.lower() in VIDEO_EXTS)
    if not clips:
        raise InputError(d, f"folder holds no video clips ({', '.join(VIDEO_EXTS)})")
    return clips


def train_from_folder(folder: str | Path, out_path: str | Path, epochs: int = 200, chunk_s: float = 2.0,
                      batch: int = 8, lr: float = 1e-3, seed: int = 0, use_pose: bool | None = None,
                      progress: ProgressFn | None = None, cancel: CancelToken | None = None) -> dict:
    """Prepare every clip of `folder`, hold some out, train and save; the report as a dict."""
    from . import mapper

    progress = progress or (lambda f, m="": None)
    cancel = cancel or CancelToken()
    paths = find_clips(folder)
    data, skipped = [], []
    for i, p in enumerate(paths):
        cancel.check()
        part = sub_progress(progress, 0.4 * i / len(paths), 0.4 * (i + 1) / len(paths))
        part(0.0, f"preparing {p.name}")
        try:
            clip = mapper.prepare_clip(p, use_pose, part, cancel)
        except InputError as exc:
            skipped.append(f"{p.name}: {exc.problem}")
            continue
        if clip is None:
            skipped.append(f"{p.name}: no audio track or no subject found")
        else:
            data.append(clip)
    if not data:
        raise InputError(folder, "no clip has both a usable audio track and a trackable subject")
    n_val = max(1, round(0.2 * len(data))) if len(data) >= 3 else 0
    train, val = data[: len(data) - n_val], data[len(data) - n_val:]
    result = mapper.train_mapper(train, out_path, epochs=epochs, chunk_s=chunk_s, batch=batch, lr=lr,
                                 val_clips=val or None, seed=seed, progress=sub_progress(progress, 0.4, 1.0),
                                 cancel=cancel)
    result["skipped"] = skipped
    return result


def run_train_mapper(args, progress: ProgressFn, cancel: CancelToken) -> int:
    """CLI handler: train, print the report (JSON) on stdout."""
    from ..core.project import atomic_write_text

    out = Path(args.output) if args.output else Path(args.models) / "mapper" / "mapper.pt"
    result = train_from_folder(args.clips, out, epochs=args.epochs, chunk_s=args.chunk, batch=args.batch,
                               lr=args.lr, seed=args.seed, use_pose=False if args.no_pose else None,
                               progress=progress, cancel=cancel)
    hist = result.pop("loss_history")
    result["loss_first"], result["loss_last"] = hist[0], hist[-1]
    text = json.dumps(result, indent=1)
    if args.report:
        atomic_write_text(args.report, text)
    print(text, file=sys.stdout)
    return 0


__all__ = ["add_mapper_parser", "run_train_mapper", "train_from_folder", "find_clips"]

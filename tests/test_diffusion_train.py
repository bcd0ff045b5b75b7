"""StereoSync adapter training: dataset preparation, Lightning steps, safetensors checkpoints,
resume through the `stereosync train` CLI entry (tiny random model, CPU)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from tests.diffusion_fixtures import footstep_walk, one_thread, tiny_models, write_audio_clip  # noqa: F401

import torch  # noqa: E402

from stereosync_studio.core import InputError  # noqa: E402

SR = 44100


@pytest.fixture(scope="module")
def clips(tmp_path_factory, footsteps_dir) -> Path:
    """Three short stereo walks (wav + sidecar boxes that match their pan)."""
    d = tmp_path_factory.mktemp("clips")
    for i, (surface, pans) in enumerate([("gravel", (-0.6, 0.6)), ("wood", (0.5, -0.5)), ("snow", (0.0, 0.3))]):
        write_audio_clip(d, f"walk{i}", footstep_walk(footsteps_dir, 2.2, SR, surface=surface, seed=i), SR, *pans)
    return d


def _tiny_adapter():
    from stereosync_studio.engines.diffusion.tiny import tiny_adapter_config

    return tiny_adapter_config()


def test_prepare_chunks_and_cache(tiny_models, clips, tmp_path):
    from stereosync_studio.engines.diffusion.checks import list_clap
    from stereosync_studio.engines.diffusion.clap import ClapEncoder
    from stereosync_studio.engines.diffusion.dataset import ChunkDataset, PrepSettings
    from stereosync_studio.jobs.train import prepare_adapter_chunks

    a = _tiny_adapter()
    prep = PrepSettings(SR, a.chunk_seconds, a.box_rate, a.depth_rate, a.depth_dim)
    clap = ClapEncoder(list_clap(tiny_models)[0])
    cache = tmp_path / "cache"
    files = prepare_adapter_chunks(clips, cache, prep, clap)
    assert len(files) == 3
    data = ChunkDataset(files)
    assert len(data) == 6  # 2.2 s clips -> two whole 1 s chunks each
    item = data[0]
    assert item["audio"].shape == (2, SR) and item["control"].shape == (2, SR)
    assert item["boxes"].shape == (10, 4) and item["depth"].shape == (4, 8) and item["clap"].shape == (512,)
    # the envelope control follows the chunk's own loudness (RMS of 512-sample frames)
    mono = item["audio"].numpy().mean(axis=0)
    frames = mono[: SR // 512 * 512].reshape(-1, 512)
    loud = np.sqrt((frames ** 2).mean(axis=1))
    ctrl = item["control"][0].numpy()[: SR // 512 * 512].reshape(-1, 512).mean(axis=1)
    assert np.corrcoef(loud, ctrl)[0, 1] > 0.8
    # walk0 pans -0.6 -> 0.6 over 2.2 s: its first chunk's box centres move right
    with np.load(files[0]) as z:
        cx = (z["boxes"][0, :, 0] + z["boxes"][0, :, 2]) / 2
    assert cx[0] < 0.3 and cx[-1] > cx[0] + 0.15
    mtimes = [f.stat().st_mtime_ns for f in files]
    again = prepare_adapter_chunks(clips, cache, prep, None)  # cached: no CLAP needed, nothing rewritten
    assert again == files and [f.stat().st_mtime_ns for f in again] == mtimes


def test_training_changes_only_the_adapter(tiny_models, clips, tmp_path):
    from stereosync_studio.engines.diffusion.checks import list_clap
    from stereosync_studio.engines.diffusion.loading import read_adapter_config
    from stereosync_studio.engines.diffusion.safetensors_io import load_safetensors
    from stereosync_studio.engines.diffusion.training import TrainSettings, optim_path
    from stereosync_studio.jobs.train import train_adapter

    base_dir = tiny_models / "stable-audio-open-1.0"
    out = tmp_path / "stereosync" / "mine.safetensors"
    # start from the shipped (trained-like) adapter so "changed" is measured against real values
    out.parent.mkdir(parents=True)
    shutil.copy(tiny_models / "stereosync" / "adapter.safetensors", out)
    before, _ = load_safetensors(out)
    result = train_adapter(clips, base_dir, out, list_clap(tiny_models)[0],
                           TrainSettings(steps=3, batch_size=2, save_every=100, seed=1),
                           cache_dir=tmp_path / "cache")
    assert result.steps_run == 3 and result.step == 3 and result.chunks == 6
    assert len(result.losses) == 3 and all(np.isfinite(result.losses)) and min(result.losses) > 0
    after, meta = load_safetensors(out)
    cfg, _ = read_adapter_config(out)
    assert meta["step"] == "3" and cfg.depth_factor == 0.5
    assert set(after) == set(before)
    changed = [k for k in after if not torch.equal(after[k], before[k])]
    assert any(".controlnet." in k for k in changed)
    assert any(k.startswith("conditioner.conditioners.") for k in changed)
    assert optim_path(out).is_file()
    # the frozen base (DiT, VAE, seconds conditioners) is bit-for-bit what was loaded
    from stereosync_studio.engines.diffusion.checks import ModelFiles
    from stereosync_studio.engines.diffusion.loading import build_from_files
    from stereosync_studio.engines.diffusion.model import base_state

    base_file, _ = load_safetensors(base_dir / "model.safetensors")
    model = build_from_files(ModelFiles(base_dir / "model_config.json", base_dir / "model.safetensors",
                                        out, list_clap(tiny_models)[0]))
    for k, v in base_state(model).items():
        if k in base_file:
            assert torch.equal(v, base_file[k]), k


def test_trainer_module_keeps_base_frozen_in_memory(tiny_models, clips, tmp_path):
    """The model object Lightning trained: its base parameters did not move, not even by AdamW
    weight decay (they are not in the optimiser and get no gradient)."""
    from stereosync_studio.engines.diffusion import training
    from stereosync_studio.engines.diffusion.checks import list_clap
    from stereosync_studio.engines.diffusion.model import base_state
    from stereosync_studio.jobs.train import train_adapter

    seen = {}
    original = training.AdapterModule.__init__

    def spy(self, model, settings, optim_state=None):
        seen["model"] = model
        seen["before"] = {k: v.clone() for k, v in base_state(model).items()}
        original(self, model, settings, optim_state)

    training.AdapterModule.__init__ = spy
    try:
        train_adapter(clips, tiny_models / "stable-audio-open-1.0", tmp_path / "a.safetensors",
                      list_clap(tiny_models)[0], {"steps": 2, "batch_size": 3}, adapter_shape=_tiny_adapter(),
                      cache_dir=tmp_path / "cache")
    finally:
        training.AdapterModule.__init__ = original
    after = base_state(seen["model"])
    assert all(torch.equal(after[k].cpu(), v.cpu()) for k, v in seen["before"].items())
    assert not any(p.requires_grad for n, p in seen["model"].named_parameters()
                   if n.startswith(("pretransform.", "model.model.transformer.")))


def test_train_cli_resumes_from_its_checkpoint(tiny_models, clips, tmp_path, capsys):
    from stereosync_studio.cli.train import main

    out = tmp_path / "models" / "stereosync" / "adapter.safetensors"
    common = ["train", "--clips", str(clips), "--base", str(tiny_models / "stable-audio-open-1.0"),
              "--clap", str(next((tiny_models / "clap").glob("*.safetensors"))), "--out", str(out),
              "--batch-size", "2", "--depth-factor", "0.5", "--chunk-seconds", "1", "--box-rate", "10",
              "--depth-dim", "8", "--device", "cpu", "--quiet"]
    assert main(common + ["--steps", "2", "--save-every", "1"]) == 0
    first = json.loads(_meta(out)["stereosync_adapter"])
    assert _meta(out)["step"] == "2" and first["chunk_seconds"] == 1.0 and first["depth_dim"] == 8
    w2 = _tensors(out)
    assert main(common + ["--steps", "4"]) == 0
    msg = capsys.readouterr().out
    assert "trained 2 steps" in msg and "at step 4" in msg
    assert _meta(out)["step"] == "4"
    assert any(not torch.equal(v, w2[k]) for k, v in _tensors(out).items())
    assert main(common + ["--steps", "4"]) == 0
    assert "nothing to do" in capsys.readouterr().out
    # the result is a usable adapter for the engine
    models = tmp_path / "models"
    shutil.copytree(tiny_models / "stable-audio-open-1.0", models / "stable-audio-open-1.0")
    shutil.copytree(tiny_models / "clap", models / "clap")
    from stereosync_studio.core import CancelToken, Envelope, Trajectory
    from stereosync_studio.engines.base import GenerationRequest, get_engine

    eng = get_engine("diffusion", models)
    assert eng.availability() == (True, "")
    req = GenerationRequest(duration=1.5, sample_rate=44100, envelope=Envelope.silent(1.5),
                            trajectory=Trajectory(np.zeros(38), np.ones(38), 25.0),
                            reference_files=[str(clips / "walk0.wav")], seed=3, options={"steps": 3})
    take = eng.generate(req, lambda f, m: None, CancelToken())
    assert take.audio.shape == (2, 66150) and np.isfinite(take.audio).all()
    assert take.info["adapter"] == "adapter.safetensors" and take.info["windows"] == 2
    assert take.info["warnings"] == []  # same CLAP as in training


def test_train_cli_errors_are_one_line(tiny_models, clips, tmp_path, capsys):
    from stereosync_studio.cli.train import main

    rc = main(["train", "--clips", str(clips), "--base", str(tmp_path / "nowhere"), "--quiet"])
    err = capsys.readouterr().err
    assert rc == 2 and "model_config.json" in err and err.count("\n") == 1
    empty = tmp_path / "empty"
    empty.mkdir()
    rc = main(["train", "--clips", str(empty), "--base", str(tiny_models / "stable-audio-open-1.0"),
               "--clap", str(next((tiny_models / "clap").glob("*.safetensors"))),
               "--out", str(tmp_path / "x.safetensors"), "--quiet"])
    err = capsys.readouterr().err
    assert rc == 2 and "no clips" in err


def test_video_clip_is_tracked_for_training(tmp_path):
    """A video's own soundtrack is the target and the tracker gives its boxes."""
    from stereosync_studio.engines.diffusion.dataset import PrepSettings
    from stereosync_studio.jobs.train import prepare_adapter_chunks
    from tests.walker import make_walker_clip

    clips = tmp_path / "clips"
    clips.mkdir()
    truth = make_walker_clip(clips / "walk.mp4", scenario="crossing", duration=2.5, size=(320, 180))
    a = _tiny_adapter()
    files = prepare_adapter_chunks(clips, tmp_path / "cache", PrepSettings(SR, 1.0, a.box_rate, a.depth_rate, a.depth_dim),
                                   None)
    with np.load(files[0]) as z:
        boxes, audio = z["boxes"], z["audio"]
    assert audio.shape == (2, 2, SR) and float(np.abs(audio).max()) > 0.01
    t = (np.arange(10) + 0.5) / 10  # first chunk's box tokens
    frames = np.clip((t * truth.fps).astype(int), 0, len(truth.boxes) - 1)
    true_cx = (truth.boxes[frames, 0] + truth.boxes[frames, 2]) / 2 / truth.width
    got_cx = (boxes[0, :, 0] + boxes[0, :, 2]) / 2
    assert np.abs(got_cx - true_cx).max() < 0.1


def _meta(path: Path) -> dict:
    from stereosync_studio.engines.diffusion.checks import read_safetensors_header

    return read_safetensors_header(path)[1]


def _tensors(path: Path) -> dict:
    from stereosync_studio.engines.diffusion.safetensors_io import load_safetensors

    return load_safetensors(path)[0]


def test_clip_folder_listing(tmp_path):
    """The shared listing (core.formats): videos and audio at any depth, hidden ones skipped."""
    from stereosync_studio.jobs.train import adapter_clips

    with pytest.raises(InputError, match="folder not found"):
        adapter_clips(tmp_path / "nope")
    (tmp_path / "notes.txt").write_text("not a clip")
    with pytest.raises(InputError, match="no clips"):
        adapter_clips(tmp_path)
    for name in ("a.wav", "sub/b.MP4", "sub/c.flac", ".hidden/d.wav", ".e.wav"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(b"")
    found = [p.relative_to(tmp_path).as_posix() for p in adapter_clips(tmp_path)]
    assert found == ["a.wav", "sub/b.MP4", "sub/c.flac"]


def test_depth_model_features_from_sidecars(clips, tmp_path):
    """With depth source 'features' the sidecar's per-frame vectors become the depth tokens;
    a clip without them is refused, naming its sidecar."""
    from stereosync_studio.engines.diffusion.dataset import PrepSettings
    from stereosync_studio.jobs.train import prepare_adapter_chunks

    d = tmp_path / "clips"
    shutil.copytree(clips, d)
    side = d / "walk0.stereosync.json"
    meta = json.loads(side.read_text())
    n = len(meta["track"]["boxes"])
    feats = np.stack([np.linspace(0, 1, n)] * 3 + [np.full(n, 0.5)], axis=1)  # (frames, 4)
    meta["depth"] = feats.tolist()
    side.write_text(json.dumps(meta))
    prep = PrepSettings(SR, 1.0, 10.0, 4.0, 4, "features")
    with pytest.raises(InputError, match=r"walk1\.stereosync\.json.*'depth'"):
        prepare_adapter_chunks(d, tmp_path / "cache", prep, None)
    for other in ("walk1", "walk2"):
        (d / f"{other}.wav").unlink()
    files = prepare_adapter_chunks(d, tmp_path / "cache", prep, None)
    with np.load(files[0]) as z:
        depth = z["depth"]
    assert depth.shape == (2, 4, 4)
    t = (np.arange(4) + 0.5) / 4  # first chunk's depth tokens at 4 per second
    assert np.allclose(depth[0, :, 0], np.interp(t, (np.arange(n) + 0.5) / 25, feats[:, 0]), atol=1e-5)
    assert np.allclose(depth[:, :, 3], 0.5)


def test_cancelled_training_saves_and_resumes(tiny_models, clips, tmp_path):
    from stereosync_studio.core import CancelToken, Cancelled
    from stereosync_studio.engines.diffusion.checks import list_clap
    from stereosync_studio.engines.diffusion.training import TrainSettings
    from stereosync_studio.jobs.train import train_adapter

    out = tmp_path / "adapter.safetensors"
    cancel = CancelToken()

    def progress(f, m):
        if m.startswith("step 2/"):
            cancel.cancel()

    args = (clips, tiny_models / "stable-audio-open-1.0", out, list_clap(tiny_models)[0])
    with pytest.raises(Cancelled):
        train_adapter(*args, TrainSettings(steps=5, batch_size=2, save_every=100), _tiny_adapter(),
                      tmp_path / "cache", progress=progress, cancel=cancel)
    assert _meta(out)["step"] == "2"  # saved where it stopped although save_every is 100
    result = train_adapter(*args, TrainSettings(steps=5, batch_size=2, save_every=100), None, tmp_path / "cache")
    assert result.steps_run == 3 and result.step == 5 and _meta(out)["step"] == "5"

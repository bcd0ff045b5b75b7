"""StereoSync diffusion engine: loading, ControlNet, conditioners, sampling through get_engine.

A tiny random-weight model of the full architecture (oobleck VAE, SAO-shaped DiT with
ControlNet, CLAP/box/depth/seconds conditioners, HTSAT CLAP) is written in the real
`models/` layout and loaded through the real loader, all on the CPU.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.diffusion_fixtures import footstep_walk, one_thread, tiny_models  # noqa: F401

import torch  # noqa: E402  (diffusion_fixtures skips the module when torch is missing)

from stereosync_studio.core import CancelToken, Cancelled, Envelope, InputError, Track, Trajectory  # noqa: E402
from stereosync_studio.engines.base import GenerationRequest, get_engine  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def _request(duration: float, seed: int = 0, pan=(-0.5, 0.5), refs=(), text: str = "", **options):
    env = Envelope.from_points(np.array([0.0, 0.2, 0.25, 0.5, 0.7, 0.75, 1.0, 1.2, 1.25, 5.0]),
                               np.array([0.0, 0.0, 0.4, 0.0, 0.0, 0.3, 0.0, 0.0, 0.5, 0.0]), duration)
    n = max(2, int(duration * 25))
    traj = Trajectory(np.linspace(pan[0], pan[1], n), np.linspace(1.0, 2.0, n), 25.0)
    return GenerationRequest(duration=duration, sample_rate=48000, envelope=env, trajectory=traj,
                             reference_files=[str(r) for r in refs], seed=seed, reference_text=text,
                             options={"steps": 4, **options})


def _gen(models: Path, req: GenerationRequest, progress=None, cancel=None):
    eng = get_engine("diffusion", models)
    return eng.generate(req, progress or (lambda f, m: None), cancel or CancelToken())


# ---- availability and loading errors -----------------------------------------------------------
def test_availability_without_checkpoints_does_not_import_torch(tmp_path):
    code = ("import sys; from stereosync_studio.engines.base import get_engine; "
            f"e = get_engine('diffusion', {str(tmp_path)!r}); ok, why = e.availability(); "
            "opts = e.options(); print(ok, 'torch' in sys.modules, len(opts)); print(why)")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    first, reason = out.stdout.strip().splitlines()[:2]
    ok, torch_loaded, n_opts = first.split()
    assert ok == "False" and torch_loaded == "False" and int(n_opts) >= 8
    assert "model_config.json" in reason and "models/README.md" in reason and "stable-audio-open" in reason


@pytest.mark.parametrize("victim, words", [
    ("stable-audio-open-1.0/model_config.json", ["model_config.json", "Hugging Face"]),
    ("stable-audio-open-1.0/model.safetensors", ["model.safetensors", "gated"]),
    ("stereosync/adapter.safetensors", ["stereosync", "stereosync train"]),
    ("clap/tiny-clap.safetensors", ["clap", "630k-audioset-best"]),
])
def test_missing_file_is_named(tiny_models, tmp_path, victim, words):
    models = tmp_path / "models"
    shutil.copytree(tiny_models, models)
    (models / victim).unlink()
    ok, why = get_engine("diffusion", models).availability()
    assert not ok
    for w in words:
        assert w in why, why
    with pytest.raises(Exception) as err:
        _gen(models, _request(0.5))
    assert str(Path(victim).parent) in str(err.value)


def test_corrupt_and_truncated_safetensors_are_refused(tiny_models, tmp_path):
    from stereosync_studio.engines.diffusion.checks import find_files
    from stereosync_studio.engines.diffusion.safetensors_io import load_safetensors

    models = tmp_path / "models"
    shutil.copytree(tiny_models, models)
    weights = models / "stable-audio-open-1.0" / "model.safetensors"
    data = weights.read_bytes()
    weights.write_bytes(data[: len(data) // 2])  # truncated download
    with pytest.raises(InputError, match="model.safetensors.*(truncated|outside)"):
        find_files(models)
    weights.write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{not json at all" + b"\0" * 64)
    with pytest.raises(InputError, match="not a valid safetensors"):
        load_safetensors(weights)
    ok, why = get_engine("diffusion", models).availability()
    assert not ok and "model.safetensors" in why


def test_pickle_checkpoints_are_refused(tiny_models, tmp_path):
    from stereosync_studio.engines.diffusion.checks import find_files, read_safetensors_header

    models = tmp_path / "models"
    shutil.copytree(tiny_models, models)
    adapter = models / "stereosync" / "adapter.safetensors"
    adapter.unlink()
    torch.save({"state_dict": {"w": torch.zeros(2)}}, models / "stereosync" / "adapter.ckpt")
    with pytest.raises(InputError, match="adapter.ckpt.*pickle"):
        find_files(models)
    # a pickle renamed to .safetensors is recognised by its bytes, not its name
    shutil.copy(models / "stereosync" / "adapter.ckpt", adapter)
    with pytest.raises(InputError, match="pickle"):
        read_safetensors_header(adapter)
    with pytest.raises(InputError, match="pickle"):
        find_files(models, adapter=str(models / "stereosync" / "adapter.ckpt"))


def test_adapter_for_another_base_is_refused(tiny_models, tmp_path):
    from stereosync_studio.engines.diffusion.checks import find_files
    from stereosync_studio.engines.diffusion.loading import build_from_files

    models = tmp_path / "models"
    shutil.copytree(tiny_models, models)
    cfg = models / "stable-audio-open-1.0" / "model_config.json"
    text = cfg.read_text().replace('"embed_dim": 128', '"embed_dim": 64')
    cfg.write_text(text)
    with pytest.raises(InputError, match="model.safetensors: does not match model_config.json"):
        build_from_files(find_files(models))


# ---- the ControlNet --------------------------------------------------------------------------------
def _base_dit(model):
    """Upstream DiffusionTransformer with the model's base weights (no ControlNet)."""
    from stable_audio_tools.models.dit import DiffusionTransformer

    from stereosync_studio.engines.diffusion.tiny import tiny_base_config

    ref = DiffusionTransformer(diffusion_objective="v", **tiny_base_config()["model"]["diffusion"]["config"])
    sd = {k: v for k, v in model.model.model.state_dict().items() if not k.startswith("controlnet.")}
    ref.load_state_dict(sd, strict=True)
    return ref.eval()


def _dit_inputs(model, seed=0, length=43):
    g = torch.Generator().manual_seed(seed)
    meta = [{"clap": torch.randn(512, generator=g), "boxes": torch.rand(10, 4, generator=g),
             "depth": torch.randn(4, 8, generator=g), "seconds_start": 0.0, "seconds_total": 1.0}]
    cond = model.get_conditioning_inputs(model.conditioner(meta, "cpu"))
    x = torch.randn(1, 8, length, generator=g)
    t = torch.rand(1, generator=g)
    ctrl = torch.randn(1, 8, length, generator=g)
    return x, t, cond, ctrl


@torch.no_grad()
def test_fresh_controlnet_is_exactly_the_base_dit():
    from stereosync_studio.engines.diffusion.model import build_model, init_controlnet_from_base
    from stereosync_studio.engines.diffusion.tiny import (_randomise_zero_inits, tiny_adapter_config,
                                                          tiny_base_config)

    torch.manual_seed(1)
    model = build_model(tiny_base_config(), tiny_adapter_config())
    _randomise_zero_inits(model, 1)
    init_controlnet_from_base(model)
    model.eval()
    ref = _base_dit(model)
    x, t, cond, ctrl = _dit_inputs(model)
    for cfg in (1.0, 2.0):
        a = model.model(x, t, **cond, cfg_scale=cfg, control=ctrl, control_scale=1.0)
        b = ref(x, t, cross_attn_cond=cond["cross_attn_cond"], global_embed=cond["global_cond"], cfg_scale=cfg)
        assert float(b.abs().mean()) > 1e-3  # a real, non-constant DiT output
        assert torch.equal(a, b)
    cn = model.model.model.controlnet
    assert len(cn.blocks) == 2  # depth factor 0.5 of 4 blocks
    for blk, base in zip(cn.blocks, model.model.model.transformer.layers):
        for (n1, p1), (_, p2) in zip(blk.named_parameters(), base.named_parameters()):
            assert torch.equal(p1, p2), n1


@torch.no_grad()
def test_loaded_adapter_strength_zero_is_base_and_control_matters(tiny_models):
    from stereosync_studio.engines.diffusion.checks import find_files
    from stereosync_studio.engines.diffusion.loading import build_from_files
    from stereosync_studio.engines.diffusion.safetensors_io import load_safetensors

    files = find_files(tiny_models)
    model = build_from_files(files).eval()
    saved, meta = load_safetensors(files.adapter)
    own = model.state_dict()
    assert all(torch.equal(own[k], v) for k, v in saved.items()) and "stereosync_adapter" in meta
    ref = _base_dit(model)
    x, t, cond, ctrl = _dit_inputs(model, seed=2)
    base = ref(x, t, cross_attn_cond=cond["cross_attn_cond"], global_embed=cond["global_cond"], cfg_scale=2.0)
    off = model.model(x, t, **cond, cfg_scale=2.0, control=ctrl, control_scale=0.0)
    on = model.model(x, t, **cond, cfg_scale=2.0, control=ctrl, control_scale=1.0)
    other = model.model(x, t, **cond, cfg_scale=2.0, control=ctrl * 0.0, control_scale=1.0)
    assert torch.equal(off, base)
    assert float((on - base).abs().max()) > 1e-2
    assert float((on - other).abs().max()) > 1e-3  # the control signal itself changes the output


@torch.no_grad()
def test_box_tokens_know_their_frame():
    from stereosync_studio.engines.diffusion.conditioners import BoxConditioner

    torch.manual_seed(0)
    cond = BoxConditioner(32)
    boxes = torch.rand(12, 4)
    tokens, mask = cond([boxes], "cpu")
    assert tokens.shape == (1, 48, 32) and mask.shape == (1, 48)
    flipped, _ = cond([boxes.flip(0)], "cpu")
    # same set of values in another order must give another token set (time is encoded)
    a = torch.sort(tokens[0].sum(-1)).values
    b = torch.sort(flipped[0].sum(-1)).values
    assert float((a - b).abs().max()) > 1e-4


def test_features_for_windows():
    from stereosync_studio.engines.diffusion.features import (boxes_normalised, chunk_plan, crossfade_stitch,
                                                              encode_distance, tokens_over_window)

    track = Track(np.array([[100, 100, 300, 500], [np.nan] * 4, [300, 100, 500, 500]], float))
    b = boxes_normalised(track, (1000, 1000))
    assert np.allclose(b[1], [0.2, 0.1, 0.4, 0.5])  # gap interpolated, normalised to the frame
    traj = Trajectory(np.array([-0.5, 0.0, 0.5]), np.array([1.0, 1.0, 2.0]), 10.0, pan_mode="lens")
    synth = boxes_normalised(None, (1280, 720), traj)
    cx = (synth[:, 0] + synth[:, 2]) / 2
    assert np.allclose(cx, [0.0, 0.5, 1.0], atol=1e-6)  # pan +-0.5 = frame edges (90 deg lens)
    screen = boxes_normalised(None, (1280, 720), Trajectory(np.array([-1.0, 0.0, 0.5]), np.ones(3), 10.0))
    assert np.allclose((screen[:, 0] + screen[:, 2]) / 2, [0.0, 0.5, 0.75], atol=1e-6)  # screen width: +-1 = edges
    assert synth[2, 3] - synth[2, 1] < synth[1, 3] - synth[1, 1]  # farther = smaller box
    tok = tokens_over_window(np.arange(10, dtype=float), 10.0, 0.2, 0.5, 8.0)
    assert tok.shape == (4, 1) and np.allclose(tok[:, 0], [2.125, 3.375, 4.625, 5.875])  # frame i is at (i + 0.5) / fps
    d = encode_distance(np.array([0.5, 1.0, 2.0, 4.0]), 8)
    assert d.shape == (4, 8) and len({tuple(np.round(r, 5)) for r in d}) == 4
    plan = chunk_plan(1000, 400, 100)
    assert plan[0] == (0, 400) and plan[-1][0] + plan[-1][1] == 1000
    ones = [np.ones((2, n), np.float32) for _, n in plan]
    out = crossfade_stitch(ones, plan, 1000)
    assert np.allclose(out[:, :300], 1.0) and np.allclose(out[:, -100:], 1.0)
    rng = np.random.default_rng(0)
    noise = [rng.standard_normal((2, n)).astype(np.float32) for _, n in plan]
    joined = crossfade_stitch(noise, plan, 1000)
    assert 0.85 < float(joined.std()) < 1.15  # equal-power fades keep uncorrelated level


# ---- CLAP --------------------------------------------------------------------------------------------
def test_clap_embeddings_audio_and_text(tiny_models, footsteps_dir, tmp_path):
    from stereosync_studio.engines.diffusion.checks import list_clap
    from stereosync_studio.engines.diffusion.clap import ClapEncoder

    clap = ClapEncoder(list_clap(tiny_models)[0])
    walk = footstep_walk(footsteps_dir, 1.5, 44100)
    e1 = clap.embed_audio(walk, 44100)
    e2 = clap.embed_audio(np.stack([walk, walk]), 44100)
    e3 = clap.embed_audio(footstep_walk(footsteps_dir, 1.5, 44100, surface="metal", period=0.3), 44100)
    long = clap.embed_audio(footstep_walk(footsteps_dir, 12.0, 22050), 22050)  # two 10 s windows
    for e in (e1, e3, long):
        assert e.shape == (512,) and abs(float(np.linalg.norm(e)) - 1.0) < 1e-4
    assert np.allclose(e1, e2, atol=1e-5)
    assert float(np.abs(e1 - e3).max()) > 1e-4
    t1, t2 = clap.embed_text("footsteps on gravel"), clap.embed_text("a door slams")
    assert t1.shape == (512,) and abs(float(np.linalg.norm(t1)) - 1.0) < 1e-4
    assert float(np.abs(t1 - t2).max()) > 1e-4
    lonely = tmp_path / "clap"
    lonely.mkdir()
    shutil.copy(clap.path, lonely / clap.path.name)
    with pytest.raises(InputError, match="vocab.json"):
        ClapEncoder(lonely / clap.path.name).embed_text("x")


def test_convert_pickle_checkpoint_once(tmp_path, footsteps_dir):
    """The README's one-time conversion: a LAION-style .pt becomes a loadable safetensors."""
    from stereosync_studio.engines.diffusion.clap import ClapEncoder, tiny_clap_state
    from stereosync_studio.engines.diffusion.convert import main as convert_main

    state = tiny_clap_state(3)
    src = tmp_path / "630k-audioset-best.pt"
    torch.save({"epoch": 45, "name": "laion", "state_dict": state,
                "optimizer": {"state": {}, "param_groups": [{"lr": 1e-4, "betas": (0.9, 0.99)}]}}, src)
    dst = tmp_path / "clap" / "630k-audioset-best.safetensors"
    assert convert_main([str(src), str(dst)]) == 0
    enc = ClapEncoder(dst)
    assert all(torch.equal(enc.audio.state_dict()[k[7:]], v) for k, v in state.items()
               if k.startswith("module.audio_"))
    assert convert_main([str(tmp_path / "missing.pt"), str(dst)]) == 2


# ---- sampling through the engine interface -----------------------------------------------------
def test_take_length_rate_and_seeds(tiny_models, footsteps_dir):
    refs = sorted(footsteps_dir.glob("*gravel*.ogg"))[:2]
    a = _gen(tiny_models, _request(0.8, seed=5, refs=refs))
    b = _gen(tiny_models, _request(0.8, seed=5, refs=refs))
    c = _gen(tiny_models, _request(0.8, seed=6, refs=refs))
    assert a.audio.shape == (2, 38400) and a.audio.dtype == np.float32 and a.sample_rate == 48000
    assert a.engine == "diffusion" and a.seed == 5 and a.info["windows"] == 1
    assert a.info["semantic"] == "reference" and a.info["depth_source"] == "distance"
    assert np.isfinite(a.audio).all() and float(np.abs(a.audio).max()) > 1e-4
    assert np.array_equal(a.audio, b.audio)
    assert float(np.abs(a.audio - c.audio).max()) > 1e-3
    t = _gen(tiny_models, _request(0.8, seed=5, text="footsteps on gravel"))
    assert t.info["semantic"] == "text" and not np.array_equal(t.audio, a.audio)  # a is bit-reproducible


def test_long_clip_is_rendered_in_crossfaded_windows(tiny_models):
    progress = []
    take = _gen(tiny_models, _request(2.7, seed=1, window_s=1.0), progress=lambda f, m: progress.append((f, m)))
    assert take.audio.shape == (2, int(round(2.7 * 48000)))
    assert take.info["windows"] == 4 and take.info["window_s"] == 1.0
    assert any("windows 1-4/4: step 4/4" in m for _, m in progress)
    fractions = [f for f, _ in progress]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    # no hole or click at the joins: every 50 ms block carries signal, none jumps 10x
    blocks = take.audio.reshape(2, -1, 2400)[:, :-1]
    rms = np.sqrt((blocks ** 2).mean(axis=(0, 2)))
    assert rms.min() > 1e-4 and (rms[1:] / rms[:-1]).max() < 10


def test_cancel_stops_between_steps(tiny_models):
    cancel = CancelToken()
    seen = []

    def progress(f, m):
        seen.append(m)
        if m.startswith("step 2/"):
            cancel.cancel()

    with pytest.raises(Cancelled):
        _gen(tiny_models, _request(0.8, steps=6), progress=progress, cancel=cancel)
    assert "step 2/6" in seen and "step 3/6" not in seen


def test_spatial_lock_follows_the_trajectory(tiny_models):
    left = _gen(tiny_models, _request(0.8, seed=2, pan=(-0.8, -0.8), spatial_lock=True))
    right = _gen(tiny_models, _request(0.8, seed=2, pan=(0.8, 0.8), spatial_lock=True))

    def ild(a):
        return 10 * np.log10((a[0] ** 2).sum() / (a[1] ** 2).sum())

    assert ild(left.audio) > 6 and ild(right.audio) < -6
    assert left.info["spatial_lock"] is True


def test_bad_options_are_clear_errors(tiny_models):
    for opts, word in (({"sampler": "ddim9000"}, "sampler"), ({"cfg_scale": "lots"}, "cfg_scale"),
                       ({"steps": 10_000}, "steps"), ({"device": "tpu"}, "device")):
        with pytest.raises(InputError, match=word):
            _gen(tiny_models, _request(0.5, **opts))


# ---- surfaces along the clip --------------------------------------------------------------------

def test_surface_parts_cut_at_quiet_moments_between_steps():
    from stereosync_studio.engines.diffusion.surfaces import plan_parts

    steps = [0.1, 0.6, 1.1, 1.6]
    t = np.arange(0, 2.0, 0.01)
    level = sum(np.exp(-np.clip(t - s, 0, None) / 0.08) * (t >= s) for s in steps) * 0.5
    env = Envelope.from_points(t, level, 2.0)
    env.found = steps
    parts = plan_parts([(0.55, 1.2, ["grass.wav"]), (1.5, 3.0, [])], env, 2.0, 1000)
    assert [p.region for p in parts] == [-1, 0, -1]  # a region without files keeps the source's sound
    cuts = [p.start / 1000 for p in parts[1:]]
    for c, near in zip(cuts, (0.55, 1.2)):
        assert abs(c - near) <= 0.25 + 1e-9
        assert all(not (s - 0.01 <= c < s + 0.15) for s in steps), (c, steps)  # never inside a step
    assert parts[0].start == 0 and parts[-1].end == 2000
    assert all(a.end == b.start for a, b in zip(parts, parts[1:]))
    assert all(p.render_start <= p.start and p.render_end >= p.end for p in parts)
    assert plan_parts([], env, 2.0, 1000) == [] and plan_parts([(0.0, 1.0, [])], env, 2.0, 1000) == []


def test_a_take_crossing_two_surfaces_uses_each_regions_sound_without_a_click(tiny_models, footsteps_dir,
                                                                          monkeypatch):
    from stereosync_studio.engines.diffusion.engine import DiffusionEngine

    gravel = sorted(footsteps_dir.glob("*gravel*.ogg"))[:1]
    grass = sorted(footsteps_dir.glob("*grass*.ogg"))[:1] or sorted(footsteps_dir.glob("*.ogg"))[-1:]
    embedded = []
    real = DiffusionEngine._embed_files

    def spy(self, clap, files):
        embedded.append([Path(f).name for f in files])
        return real(self, clap, files)

    monkeypatch.setattr(DiffusionEngine, "_embed_files", spy)
    plain = _gen(tiny_models, _request(1.6, seed=3, refs=gravel))
    req = _request(1.6, seed=3, refs=gravel)
    req.reference_regions = [(0.8, 1.6, [str(f) for f in grass])]
    take = _gen(tiny_models, req)
    assert take.info["surface_parts"] == 2 and take.audio.shape == plain.audio.shape
    assert [g.name for g in grass] in embedded and [g.name for g in gravel] in embedded
    n = take.audio.shape[1]
    assert float(np.abs(take.audio[:, int(0.9 * 48000):] - plain.audio[:, int(0.9 * 48000):n]).max()) > 1e-3
    # the join: no sample-to-sample jump above the take's own largest jump away from it
    jump = np.abs(np.diff(take.audio, axis=1)).max(axis=0)
    cut = int(round(0.8 * 48000))
    near = np.zeros_like(jump, bool)
    near[max(0, cut - 12000):cut + 12000] = True
    assert jump[near].max() <= jump[~near].max() * 1.05


def test_surface_join_is_click_free_even_between_opposite_signals():
    from stereosync_studio.engines.diffusion.surfaces import Part, join_parts

    sr, n = 48000, 48000
    t = np.arange(n) / sr
    a = np.stack([0.5 * np.sin(2 * np.pi * 100 * t)] * 2).astype(np.float32)
    b = -a  # the worst case: a hard cut at a crest jumps by 1.0
    cut = int(0.5025 * sr)  # a crest of the 100 Hz sine
    parts = [Part(0, cut, -1, 0, cut + 2000), Part(cut, n, 0, cut - 2000, n)]
    out = join_parts(parts, [a[:, :cut + 2000], b[:, cut - 2000:]], n, sr)
    own = float(np.abs(np.diff(a, axis=1)).max())
    assert float(np.abs(np.diff(out, axis=1)).max()) <= 1.5 * own
    assert np.allclose(out[:, :cut - 600], a[:, :cut - 600]) and np.allclose(out[:, cut + 600:], b[:, cut + 600:])

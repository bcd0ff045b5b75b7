"""LAION-CLAP embeddings (512-d) of the reference sound, or of a text, without touching a hub.

`import laion_clap` builds a tokenizer from the Hugging Face hub at import time, and
`CLAP_Module()` downloads RoBERTa; upstream's `CLAPAudioConditioner` also crashes. So we build
only what we need from laion-clap's own modules: the HTSAT audio branch and the audio
projection, with the architecture read off the checkpoint's weights (any non-fusion LAION
checkpoint, or the tiny test one, loads the same way). The RoBERTa text branch is built from a
config inferred the same way; it needs the roberta-base tokenizer files next to the checkpoint
(`models/clap/roberta-base/{vocab.json, merges.txt}`).

Audio is mixed to mono, resampled to 48 kHz and cut into 10 s windows (CLAP's input);
a shorter sound is repeated to fill the window, a longer one is the mean of its windows.
"""

from __future__ import annotations

import importlib.util
import json
import math
import re
import sys
import types
import warnings
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from ...core.errors import InputError
from .safetensors_io import load_safetensors

CLAP_SR = 48000
CLIP_SAMPLES = 480000  # 10 s at 48 kHz
AUDIO_CFG = dict(sample_rate=CLAP_SR, window_size=1024, hop_size=480, mel_bins=64, fmin=50,
                 fmax=14000, clip_samples=CLIP_SAMPLES)
TOKENIZER_DIR = "roberta-base"


def _htsat():
    """laion_clap.clap_module.htsat without running laion_clap/__init__ (it reaches the hub)."""
    if "laion_clap" not in sys.modules:
        spec = importlib.util.find_spec("laion_clap")
        if spec is None:
            raise ImportError("laion-clap is not installed")
        pkg = types.ModuleType("laion_clap")
        pkg.__path__ = list(spec.submodule_search_locations)
        pkg.__spec__ = spec
        sys.modules["laion_clap"] = pkg
    from laion_clap.clap_module import htsat

    return htsat


def _projection(d_in: int, d_out: int) -> nn.Sequential:
    return nn.Sequential(nn.Linear(d_in, d_out), nn.ReLU(), nn.Linear(d_out, d_out))


def infer_audio_arch(state: dict[str, torch.Tensor]) -> dict:
    """HTSAT hyper-parameters from the weights (raises ValueError if they are not HTSAT's)."""
    if any("fusion_model" in k or "mel_conv2d" in k or "mel_conv1d" in k for k in state):
        raise ValueError("a feature-fusion CLAP checkpoint; use a non-fusion one such as "
                         "630k-audioset-best or music_audioset_epoch_15_esc_90.14")
    try:
        proj = state["audio_branch.patch_embed.proj.weight"]
        depths, heads = [], []
        n_layers = 1 + max(int(m.group(1)) for k in state
                           if (m := re.match(r"audio_branch\.layers\.(\d+)\.", k)))
        for i in range(n_layers):
            blocks = {int(m.group(1)) for k in state
                      if (m := re.match(rf"audio_branch\.layers\.{i}\.blocks\.(\d+)\.", k))}
            depths.append(max(blocks) + 1)
            table = state[f"audio_branch.layers.{i}.blocks.0.attn.relative_position_bias_table"]
            heads.append(int(table.shape[1]))
        # layer 0 has the largest grid, so its window is never clipped to the grid size
        table0 = state["audio_branch.layers.0.blocks.0.attn.relative_position_bias_table"]
        window = int(round((math.sqrt(table0.shape[0]) + 1) / 2))
        mel_bins = int(state["audio_branch.bn0.weight"].shape[0])
        sf = int(state["audio_branch.tscam_conv.weight"].shape[2])
        patch = int(proj.shape[-1])
        frames = AUDIO_CFG["clip_samples"] // AUDIO_CFG["hop_size"] + 1  # mel frames of 10 s
        spec = next(s for s in (64, 128, 256, 512, 1024)
                    if s // mel_bins > 0 and s * (s // mel_bins) >= frames
                    and s // 2 ** (n_layers - 1) // patch // (s // mel_bins) == sf)
        return dict(embed_dim=int(proj.shape[0]), patch_size=patch, patch_stride=(patch, patch),
                    depths=depths, num_heads=heads, window_size=window, spec_size=spec,
                    num_classes=int(state["audio_branch.head.weight"].shape[0]), mel_bins=mel_bins,
                    joint_dim=int(state["audio_projection.0.weight"].shape[0]))
    except (KeyError, ValueError, StopIteration) as exc:
        raise ValueError(f"not a LAION-CLAP HTSAT checkpoint (no usable {exc})") from None


class ClapAudio(nn.Module):
    """HTSAT audio branch + audio projection, named as in LAION checkpoints."""

    def __init__(self, arch: dict, audio_cfg: dict | None = None):
        super().__init__()
        cfg = dict(AUDIO_CFG, **(audio_cfg or {}), mel_bins=arch["mel_bins"])
        htsat = _htsat()
        with warnings.catch_warnings():  # upstream Swin code calls meshgrid without `indexing`
            warnings.simplefilter("ignore", UserWarning)
            self.audio_branch = htsat.HTSAT_Swin_Transformer(
                spec_size=arch["spec_size"], patch_size=arch["patch_size"], patch_stride=arch["patch_stride"],
                num_classes=arch["num_classes"], embed_dim=arch["embed_dim"], depths=arch["depths"],
                num_heads=arch["num_heads"], window_size=arch["window_size"], config=SimpleNamespace(**cfg))
        self.audio_projection = _projection(self.audio_branch.num_features, arch["joint_dim"])

    def forward(self, wave: torch.Tensor) -> torch.Tensor:
        """(B, 480000) at 48 kHz -> (B, 512) unit vectors."""
        out = self.audio_branch({"waveform": wave}, device=wave.device)["embedding"]
        return F.normalize(self.audio_projection(out), dim=-1)


class ClapText(nn.Module):
    """RoBERTa text branch + text projection, config inferred from the weights."""

    def __init__(self, state: dict[str, torch.Tensor]):
        super().__init__()
        from transformers import RobertaConfig, RobertaModel

        emb = state["text_branch.embeddings.word_embeddings.weight"]
        hidden = int(emb.shape[1])
        layers = 1 + max(int(m.group(1)) for k in state
                         if (m := re.match(r"text_branch\.encoder\.layer\.(\d+)\.", k)))
        cfg = RobertaConfig(
            vocab_size=int(emb.shape[0]), hidden_size=hidden, num_hidden_layers=layers,
            num_attention_heads=max(1, hidden // 64),
            intermediate_size=int(state["text_branch.encoder.layer.0.intermediate.dense.weight"].shape[0]),
            max_position_embeddings=int(state["text_branch.embeddings.position_embeddings.weight"].shape[0]),
            type_vocab_size=int(state["text_branch.embeddings.token_type_embeddings.weight"].shape[0]),
            pad_token_id=1, bos_token_id=0, eos_token_id=2, layer_norm_eps=1e-5)
        self.text_branch = RobertaModel(cfg)
        self.text_projection = _projection(hidden, int(state["text_projection.0.weight"].shape[0]))

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        pooled = self.text_branch(input_ids=input_ids, attention_mask=attention_mask)["pooler_output"]
        return F.normalize(self.text_projection(pooled), dim=-1)


class ClapEncoder:
    """CLAP audio (and, when possible, text) embeddings from a safetensors checkpoint."""

    def __init__(self, path: str | Path, device: str | torch.device = "cpu"):
        self.path = Path(path)
        state, _ = load_safetensors(self.path)
        state = {k[7:] if k.startswith("module.") else k: v for k, v in state.items()}
        sidecar = self.path.with_suffix(".json")
        audio_cfg = json.loads(sidecar.read_text("utf-8")).get("audio_cfg") if sidecar.is_file() else None
        try:
            arch = infer_audio_arch(state)
        except ValueError as exc:
            raise InputError(self.path, str(exc)) from None
        self.device = torch.device(device)
        self.audio = ClapAudio(arch, audio_cfg)
        _load_part(self.audio, state, ("audio_branch.", "audio_projection."), self.path)
        self.audio.to(self.device).eval()
        self._text_state = {k: v for k, v in state.items() if k.startswith(("text_branch.", "text_projection."))}
        self._text: ClapText | None = None
        self._tokenizer = None

    @torch.no_grad()
    def embed_audio(self, audio: np.ndarray, sample_rate: int) -> np.ndarray:
        """(C, N) or (N,) float audio -> (512,) unit embedding."""
        from ...media.audio import resample

        a = np.asarray(audio, np.float32)
        mono = a if a.ndim == 1 else a.mean(axis=0)
        if mono.size == 0:
            raise ValueError("empty audio")
        mono = resample(mono, int(sample_rate), CLAP_SR)
        mono = (np.clip(mono, -1.0, 1.0) * 32767.0).astype(np.int16).astype(np.float32) / 32767.0
        if len(mono) <= CLIP_SAMPLES:
            reps = max(1, CLIP_SAMPLES // len(mono))
            windows = [np.pad(np.tile(mono, reps), (0, CLIP_SAMPLES - len(mono) * reps))]
        else:
            starts = list(range(0, len(mono) - CLIP_SAMPLES + 1, CLIP_SAMPLES))
            if starts[-1] + CLIP_SAMPLES < len(mono):
                starts.append(len(mono) - CLIP_SAMPLES)
            windows = [mono[s:s + CLIP_SAMPLES] for s in starts]
        wave = torch.from_numpy(np.stack(windows)).to(self.device)
        emb = F.normalize(self.audio(wave).mean(dim=0), dim=-1)
        return emb.float().cpu().numpy()

    @property
    def tokenizer_dir(self) -> Path:
        return self.path.parent / TOKENIZER_DIR

    @torch.no_grad()
    def embed_text(self, text: str) -> np.ndarray:
        """A text prompt -> (512,) unit embedding in the same space as the audio ones."""
        if self._text is None:
            if not self._text_state:
                raise InputError(self.path, "this CLAP checkpoint has no text branch; "
                                            "use a reference sound instead of a text")
            vocab, merges = self.tokenizer_dir / "vocab.json", self.tokenizer_dir / "merges.txt"
            for f in (vocab, merges):
                if not f.is_file():
                    raise InputError(f, "missing: CLAP text prompts need the roberta-base tokenizer "
                                        "files (vocab.json, merges.txt from Hugging Face "
                                        "FacebookAI/roberta-base) here (see models/README.md)")
            from transformers import RobertaTokenizer

            self._tokenizer = RobertaTokenizer(vocab_file=str(vocab), merges_file=str(merges))
            text_model = ClapText(self._text_state)
            _load_part(text_model, self._text_state, ("text_branch.", "text_projection."), self.path,
                       optional=("text_branch.embeddings.position_ids",))
            self._text = text_model.to(self.device).eval()
        max_len = min(77, self._text.text_branch.config.max_position_embeddings - 2)
        tok = self._tokenizer([text], padding="max_length", truncation=True, max_length=max_len,
                              return_tensors="pt")
        emb = self._text(tok["input_ids"].to(self.device), tok["attention_mask"].to(self.device))
        return emb[0].float().cpu().numpy()


def _load_part(module: nn.Module, state: dict, prefixes: tuple[str, ...], path: Path,
               optional: tuple[str, ...] = ()) -> None:
    part = {k: v for k, v in state.items() if k.startswith(prefixes)}
    own = module.state_dict()
    missing = [k for k in own if k not in part and k not in optional and "position_ids" not in k]
    bad = [k for k, v in part.items() if k in own and tuple(own[k].shape) != tuple(v.shape)]
    if missing or bad:
        what = f"missing {missing[:3]}" if missing else f"wrong shape {bad[:3]}"
        raise InputError(path, f"CLAP weights do not fit the architecture read from them ({what})")
    module.load_state_dict({k: v for k, v in part.items() if k in own}, strict=False)


# ---- tiny random CLAP for tests ---------------------------------------------------------------
def tiny_clap_state(seed: int = 0, text: bool = True) -> dict[str, torch.Tensor]:
    """Weights of a tiny HTSAT (+ RoBERTa text branch) CLAP in LAION's key layout."""
    torch.manual_seed(seed)
    arch = dict(embed_dim=8, patch_size=4, patch_stride=(4, 4), depths=[1, 1, 1, 1],
                num_heads=[1, 1, 1, 1], window_size=8, spec_size=256, num_classes=4, mel_bins=64,
                joint_dim=512)
    audio = ClapAudio(arch)
    state = {f"module.{k}": v.detach().clone().contiguous() for k, v in audio.state_dict().items()}
    if text:
        from transformers import RobertaConfig, RobertaModel

        cfg = RobertaConfig(vocab_size=len(_tiny_vocab()), hidden_size=64, num_hidden_layers=1,
                            num_attention_heads=1, intermediate_size=128, max_position_embeddings=80,
                            type_vocab_size=1, pad_token_id=1)
        tb = RobertaModel(cfg)
        tp_ = _projection(64, 512)
        for k, v in tb.state_dict().items():
            if "position_ids" not in k:
                state[f"module.text_branch.{k}"] = v.detach().clone().contiguous()
        for k, v in tp_.state_dict().items():
            state[f"module.text_projection.{k}"] = v.detach().clone().contiguous()
    return state


def _tiny_vocab() -> dict[str, int]:
    from transformers.models.roberta.tokenization_roberta import bytes_to_unicode

    specials = ["<s>", "<pad>", "</s>", "<unk>"]
    chars = sorted(set(bytes_to_unicode().values()))
    vocab = {t: i for i, t in enumerate(specials + chars)}
    vocab["<mask>"] = len(vocab)
    return vocab


def write_tiny_tokenizer(folder: str | Path) -> None:
    """Byte-level vocabulary without merges: a valid RobertaTokenizer for the tiny text branch."""
    d = Path(folder)
    d.mkdir(parents=True, exist_ok=True)
    (d / "vocab.json").write_text(json.dumps(_tiny_vocab()), "utf-8")
    (d / "merges.txt").write_text("#version: 0.2\n", "utf-8")

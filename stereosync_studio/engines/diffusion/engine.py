"""`DiffusionEngine`: the StereoSync generator behind the common engine interface.

Importing this module and calling `availability()` or `options()` does not import torch:
the Studio can list the engine, disabled with the reason (missing checkpoint, missing
package), on a machine without the model. torch, stable-audio-tools and the model load on
the first `generate()` and stay cached for the next takes.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from ...core.errors import InputError, StereoSyncError
from ...core.progress import CancelToken, ProgressFn, sub_progress
from ..base import GenerationRequest, OptionSpec, Take
from ..limiter import peak_limit
from ..spatial import SPATIAL_OPTIONS
from . import checks
from .features import boxes_normalised, depth_per_frame, envelope_signal, tokens_over_window
from .surfaces import Part, join_parts, plan_parts

QUALITY_STEPS = {"paper": 150, "fast": 50, "draft": 20}  # the paper renders 150 steps at CFG 2
SAMPLER_CHOICES = ["dpmpp-3m-sde", "dpmpp-2m-sde", "dpmpp-2m", "euler"]  # = sampling.SAMPLERS
MAX_REFERENCES = 8
SPATIAL_KEYS = {o.key for o in SPATIAL_OPTIONS}  # validated by the spatial renderer itself


class DiffusionEngine:
    """Stable Audio Open + envelope ControlNet + CLAP/box/depth cross-attention (StereoSync)."""

    name = "diffusion"
    label = "StereoSync diffusion (Stable Audio Open)"

    def __init__(self, models_dir: str | Path = "models"):
        self.models_dir = Path(models_dir)
        self._clap_cache: dict[tuple, np.ndarray] = {}

    # ---- cheap, torch-free ------------------------------------------------------------------
    def availability(self) -> tuple[bool, str]:
        missing = checks.missing_packages()
        if missing:
            return False, (f"Python packages missing: {', '.join(missing)} "
                           "(`make venv` installs them from requirements/diffusion.txt)")
        try:
            checks.find_files(self.models_dir)
        except InputError as exc:
            return False, str(exc)
        return True, ""

    def options(self) -> list[OptionSpec]:
        adapters = [p.name for p in checks.list_adapters(self.models_dir)]
        return [
            OptionSpec("quality", "Quality", "choice", "paper", choices=list(QUALITY_STEPS),
                       help="paper: 150 steps as in StereoSync; fast: 50; draft: 20"),
            OptionSpec("steps", "Steps (0 = quality preset)", "int", 0, 0, 500),
            OptionSpec("cfg_scale", "Guidance (CFG)", "float", 2.0, 1.0, 10.0,
                       help="classifier-free guidance scale; the paper uses 2"),
            OptionSpec("control_strength", "Envelope control", "float", 1.0, 0.0, 2.0,
                       help="scale of the ControlNet residuals; 0 ignores the envelope"),
            OptionSpec("sampler", "Sampler", "choice", "dpmpp-3m-sde", choices=SAMPLER_CHOICES),
            OptionSpec("semantic", "Sound from", "choice", "auto", choices=["auto", "reference", "text"],
                       help="CLAP embedding of the reference files, or of the reference text"),
            OptionSpec("window_s", "Window (s, 0 = adapter's)", "float", 0.0, 0.0, 47.0,
                       help="longer clips are rendered in overlapping windows with crossfades"),
            OptionSpec("spatial_lock", "Spatial lock", "bool", False,
                       help="re-render the take's mid signal along the trajectory"),
            OptionSpec("device", "Device", "choice", "auto", choices=["auto", "cpu", "cuda", "mps"]),
            OptionSpec("precision", "Precision", "choice", "auto", choices=["auto", "fp32"],
                       help="auto: bfloat16 on CUDA, float32 elsewhere"),
            OptionSpec("adapter", "Adapter", "choice", "newest", choices=["newest"] + adapters,
                       help="StereoSync adapter in models/stereosync"),
        ] + list(SPATIAL_OPTIONS)  # used by the spatial lock

    def _opts(self, request: GenerationRequest) -> dict:
        specs = {o.key: o for o in self.options()}
        opts = {k: o.default for k, o in specs.items()}
        for key, value in (request.options or {}).items():
            spec = specs.get(key)
            if spec is None or value is None:
                continue
            try:
                if spec.kind == "choice" and key not in SPATIAL_KEYS:
                    if str(value) not in (spec.choices or []):
                        raise ValueError(f"one of {', '.join(spec.choices or [])}")
                elif spec.kind in ("int", "float"):
                    try:
                        value = int(value) if spec.kind == "int" else float(value)
                    except (TypeError, ValueError):
                        raise ValueError(f"a{'n integer' if spec.kind == 'int' else ' number'}") from None
                    if not np.isfinite(value) or (spec.minimum is not None and value < spec.minimum) \
                            or (spec.maximum is not None and value > spec.maximum):
                        raise ValueError(f"between {spec.minimum} and {spec.maximum}")
                elif spec.kind == "bool" and isinstance(value, str):
                    value = value.strip().lower() in ("1", "true", "yes", "on")
            except (TypeError, ValueError) as exc:
                raise InputError(None, f"diffusion option {key}={value!r}: must be {exc}") from None
            opts[key] = value
        return opts

    # ---- generation -------------------------------------------------------------------------
    def generate(self, request: GenerationRequest, progress: ProgressFn, cancel: CancelToken) -> Take:
        ok, why = self.availability()
        if not ok:
            raise StereoSyncError(f"diffusion engine unavailable: {why}")
        if request.duration <= 0 or request.n_samples <= 0:
            raise InputError(None, f"take duration must be positive (got {request.duration} s)")
        opts = self._opts(request)
        t_start = time.perf_counter()
        progress(0.0, "loading StereoSync model")
        from . import loading, sampling  # torch from here on

        adapter_name = str(opts["adapter"] or "")
        loaded = loading.load_for_inference(self.models_dir, str(opts["device"]),
                                            None if adapter_name in ("", "newest") else adapter_name)
        cancel.check()
        model, adapter = loaded.model, loaded.model.adapter_config
        sr = int(model.sample_rate)
        progress(0.03, "CLAP embedding of the reference")
        clap, semantic = self._semantic(request, loaded.clap, str(opts["semantic"]))
        cancel.check()

        traj = request.trajectory
        box_fps = request.fps if request.track is not None and len(request.track) else traj.fps
        boxes = boxes_normalised(request.track, request.frame_size, traj)
        depth, depth_src = depth_per_frame(request.features, traj.distance, adapter.depth_dim,
                                           adapter.depth_source)
        depth_fps = request.fps if depth_src == "depth-model" or depth_src == "depth-scalar" else traj.fps
        env = request.envelope

        def make_inputs(start: int, length: int, embedding: np.ndarray = clap) -> sampling.WindowInputs:
            s0, secs = start / sr, length / sr
            return sampling.WindowInputs(
                control=envelope_signal(env, s0, length, sr),
                boxes=tokens_over_window(boxes, box_fps, s0, secs, adapter.box_rate),
                depth=tokens_over_window(depth, depth_fps, s0, secs, adapter.depth_rate),
                clap=embedding, seconds=secs)

        max_window = int(model.sample_size) / sr
        window_s = float(opts["window_s"]) or adapter.window_seconds or adapter.chunk_seconds
        window_s = min(max(window_s, 0.5), max_window)
        steps = int(opts["steps"]) or QUALITY_STEPS.get(str(opts["quality"]), 150)
        settings = sampling.SamplerSettings(
            steps=steps, cfg_scale=float(opts["cfg_scale"]), sampler=str(opts["sampler"]),
            control_scale=float(opts["control_strength"]), precision=str(opts["precision"]))
        n_model = int(round(request.duration * sr))
        window = int(round(window_s * sr))
        overlap = int(round(min(0.5, window_s / 4) * sr))
        parts = plan_parts(request.reference_regions, env, request.duration, sr) if semantic != "text" else []
        if not parts:
            audio, plan = sampling.render(model, make_inputs, n_model, window, overlap, settings,
                                          int(request.seed), sub_progress(progress, 0.05, 0.95), cancel)
            n_windows = len(plan)
        else:
            audio, n_windows = self._render_parts(model, sampling, make_inputs, parts, clap, loaded.clap,
                                                  n_model, window, overlap, settings, request, progress, cancel)
        audio = self._finish(audio, sr, request, bool(opts["spatial_lock"]))
        limiter_db = 0.0
        if audio.size:  # never over the true-peak ceiling, never clipped
            audio = np.ascontiguousarray(audio, dtype=np.float32)
            limiter_db = peak_limit(audio, int(request.sample_rate))
        progress(1.0, "done")
        warnings = []
        if semantic == "text" and any(files for _, _, files in request.reference_regions):
            warnings.append("sound from the reference text: the surface regions' files are not used")
        trained_with = getattr(model, "adapter_meta", {}).get("clap")
        if trained_with and trained_with != loaded.files.clap.name:
            warnings.append(f"adapter trained with CLAP {trained_with}, using {loaded.files.clap.name}")
        if adapter.depth_source == "features" and depth_src != "depth-model":
            warnings.append("adapter trained on depth-model features; none in the request, "
                            "depth tokens come from the distance curve")
        info = {
            "steps": steps, "cfg_scale": settings.cfg_scale, "sampler": settings.sampler,
            "control_strength": settings.control_scale, "windows": n_windows, "window_s": window_s,
            "surface_parts": len(parts),
            "device": str(loaded.device), "semantic": semantic, "depth_source": depth_src,
            "adapter": loaded.files.adapter.name if loaded.files.adapter else "",
            "clap": loaded.files.clap.name,
            "model_sample_rate": sr, "spatial_lock": bool(opts["spatial_lock"]),
            "seconds": round(time.perf_counter() - t_start, 3), "warnings": warnings,
            "limiter_db": round(limiter_db, 2),
        }
        return Take(audio, int(request.sample_rate), int(request.seed), self.name, info)

    def _semantic(self, request: GenerationRequest, clap, mode: str) -> tuple[np.ndarray, str]:
        files = [f for f in request.reference_files if f][:MAX_REFERENCES]
        text = (request.reference_text or "").strip()
        if mode == "text" or (mode == "auto" and not files and text):
            if not text:
                raise InputError(None, "semantic source 'text' chosen but the reference text is empty")
            return clap.embed_text(text), "text"
        if not files:
            if mode == "reference":
                raise InputError(None, "semantic source 'reference' chosen but no reference file is set")
            return np.zeros(512, np.float32), "none"
        return self._embed_files(clap, files), "reference"

    def _embed_files(self, clap, files: list[str]) -> np.ndarray:
        """The unit-length mean CLAP embedding of reference files (cached per file and mtime)."""
        from ...media.audio import read_audio

        embs = []
        for f in files:
            p = Path(f)
            key = (str(clap.path), str(p), p.stat().st_mtime_ns if p.exists() else 0)
            if key not in self._clap_cache:
                audio, sr = read_audio(p)
                try:
                    self._clap_cache[key] = clap.embed_audio(audio, sr)
                except ValueError as exc:
                    raise InputError(p, f"cannot be embedded by CLAP ({exc})") from None
            embs.append(self._clap_cache[key])
        mean = np.mean(embs, axis=0)
        return (mean / max(float(np.linalg.norm(mean)), 1e-8)).astype(np.float32)

    def _render_parts(self, model, sampling, make_inputs, parts: list[Part], clap: np.ndarray, clap_model,
                      n_model: int, window: int, overlap: int, settings, request: GenerationRequest,
                      progress: ProgressFn, cancel: CancelToken) -> tuple[np.ndarray, int]:
        """A take crossing surfaces: each part sampled with its region's CLAP embedding (the
        source's own for the gaps between regions), joined at quiet moments (`surfaces`)."""
        sr = int(model.sample_rate)
        chunks, n_windows = [], 0
        total = max(1, sum(p.render_end - p.render_start for p in parts))
        done = 0
        for k, p in enumerate(parts):
            files = request.reference_regions[p.region][2][:MAX_REFERENCES] if p.region >= 0 else []
            embedding = self._embed_files(clap_model, files) if files else clap

            def shifted(start: int, length: int, off: int = p.render_start, e: np.ndarray = embedding):
                return make_inputs(off + start, length, e)

            length = p.render_end - p.render_start
            lo, hi = 0.05 + 0.9 * done / total, 0.05 + 0.9 * (done + length) / total
            seed = int(request.seed) if k == 0 else sampling.window_seed(int(request.seed), 1000 + k)
            audio, plan = sampling.render(model, shifted, length, window, overlap, settings, seed,
                                          sub_progress(progress, lo, hi), cancel)
            chunks.append(audio)
            n_windows += len(plan)
            done += length
        return join_parts(parts, chunks, n_model, sr), n_windows

    @staticmethod
    def _finish(audio: np.ndarray, sr: int, request: GenerationRequest, spatial_lock: bool) -> np.ndarray:
        from ...media.audio import resample

        if not np.isfinite(audio).all():
            raise StereoSyncError("the diffusion model produced NaN/inf samples (try precision fp32)")
        out = resample(audio, sr, int(request.sample_rate)) if int(request.sample_rate) != sr else audio
        n = request.n_samples
        out = out[:, :n] if out.shape[1] >= n else np.pad(out, ((0, 0), (0, n - out.shape[1])))
        if spatial_lock:
            from ..spatial import render as spatial_render

            mid = out.mean(axis=0).astype(np.float32)
            out = spatial_render(mid, int(request.sample_rate), request.trajectory, request.options)
        return np.ascontiguousarray(out, dtype=np.float32)

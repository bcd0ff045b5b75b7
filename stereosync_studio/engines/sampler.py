"""The DSP sampler: real reference steps placed on the envelope's events, then spatialised.

Pipeline (each stage is what a Foley editor would do by hand, done per step):
1. reference -> grains (engines.grains: slice, trim, fade, measure; cached);
2. step events from the envelope (engines.events: explicit, or peaks refined to onsets);
3. one grain per event, shuffled bags (every grain before any repeats, never the same grain
   twice in a row), a few cents of pitch (resampled) and a dB or two of level per step, its
   rise aligned on the event's rise, its length matched to the envelope's step (a short
   sound's texture is continued, a long ring faded out where the step has died away), its
   level fitted to the target over the step (least error left after the follow, see
   `_fit_gain`), and "choked" (faded out) before the next step;
4. spatial.render along the trajectory (stereo pan law or binaural head model);
5. envelope follow: the take's own RMS envelope (the metric's definition) against the target
   gives a smooth, limited gain curve (never boosting where the target is silent), applied
   to both channels alike (interaural cues untouched), refined in four passes.
Same seed -> identical take; another seed -> another grain order and other variations.
"""

from __future__ import annotations

import functools
import math
import threading
from collections import OrderedDict
from typing import Any

import numpy as np
from scipy.ndimage import gaussian_filter1d

from ..core.envelope import ENVELOPE_RATE, Envelope
from ..core.errors import InputError
from ..core.progress import CancelToken, ProgressFn, sub_progress
from ..metrics.envelope_l1 import block_energy, envelope_from_blocks, rms_envelope_fast, target_values
from . import spatial
from .base import GenerationRequest, OptionSpec, Take
from .events import StepEvent, envelope_floor_and_max, events_for_options
from .grains import FADE_OUT, Grain, apply_fades, load_grains

DEFAULT_LEVEL = 0.12  # RMS-envelope peak used when the envelope is flat/silent but events exist
CHOKE_FADE = 0.015  # s
STEP_RELEASE = 0.02  # s a step may ring on after the envelope's step has died away
STEP_END_FRACTION = 0.02  # a step has died away below this fraction of its peak
_UNIT_GRID = np.linspace(0.0, 1.0, 32)
BLOCK = 32  # samples per energy block in the envelope follow
PITCH_STEP = 5.0  # cents: pitch variations are quantised so resampled grains can be cached

SAMPLER_OPTIONS: list[OptionSpec] = [
    OptionSpec("min_spacing", "Min. step spacing (s)", "float", 0.22, 0.08, 1.5,
               help="peaks of the envelope closer than this are one step (ignored with explicit events)"),
    OptionSpec("sensitivity", "Step sensitivity", "float", 0.5, 0.0, 1.0,
               help="higher finds quieter steps in the envelope (prominence threshold)"),
    OptionSpec("order", "Grain order", "choice", "shuffle", choices=["shuffle", "cycle"],
               help="shuffle: random bags (each grain once per bag, no immediate repeat); "
                    "cycle: reference order, round robin"),
    OptionSpec("pitch_cents", "Pitch variation (+- cents)", "float", 35.0, 0.0, 400.0,
               help="random pitch per step (varispeed resampling)"),
    OptionSpec("gain_db", "Level variation (+- dB)", "float", 1.5, 0.0, 12.0,
               help="random level per step before the envelope follow"),
    OptionSpec("choke", "Choke", "bool", True,
               help="fade a step's tail out before the next step starts"),
    OptionSpec("extend", "Extend tails", "bool", True,
               help="when the envelope's step lasts longer than the reference sound, continue the "
                    "sound's own texture (granular) until the envelope's step ends (with the "
                    "follow on, a longer sound is faded out where the envelope's step ends)"),
    OptionSpec("follow", "Follow envelope", "bool", True,
               help="correct the take's level so its RMS envelope follows the target"),
    OptionSpec("follow_range_db", "Follow range (+- dB)", "float", 30.0, 0.0, 48.0,
               help="largest boost/cut the envelope follow may apply"),
    OptionSpec("follow_ms", "Follow smoothing (ms)", "float", 5.0, 1.0, 100.0,
               help="smoothing of the follow gain curve (shorter follows faster, longer is gentler)"),
    OptionSpec("envelope_level", "Envelope is the level of", "choice", "take", choices=["take", "source"],
               help="take: the finished stereo take follows the envelope (distance/pan gains folded "
                    "in; best for envelopes from guide audio); source: the dry sound follows it and "
                    "distance gain comes on top"),
]


class SamplerEngine:
    """Engine protocol implementation (see engines.base.Engine)."""

    name = "sampler"
    label = "Sampler (DSP, reference steps)"

    def __init__(self, models_dir: str = "models"):
        self.models_dir = models_dir
        self._pitched: "OrderedDict[tuple, np.ndarray]" = OrderedDict()
        self._lock = threading.Lock()

    def availability(self) -> tuple[bool, str]:
        return True, ""

    def options(self) -> list[OptionSpec]:
        return list(SAMPLER_OPTIONS) + list(spatial.SPATIAL_OPTIONS)

    def generate(self, request: GenerationRequest, progress: ProgressFn, cancel: CancelToken) -> Take:
        opt = spatial.coerce_options(self.options(), request.options)
        sr, n = int(request.sample_rate), request.n_samples
        if sr <= 0 or n <= 0:
            raise InputError(None, f"cannot make a take of {request.duration:.3f} s at {sr} Hz")
        cancel.check()
        grains = load_grains(request.reference_files, sr, sub_progress(progress, 0.0, 0.3), cancel)
        env = _on_grid(request.envelope, request.duration)
        target = target_values(env)
        events = events_for_options(env, opt)
        progress(0.35, f"{len(events)} steps")
        info: dict[str, Any] = {"n_events": len(events), "event_times": [round(e.time, 4) for e in events],
                                "n_grains": len(grains), "warnings": []}
        floor, top = envelope_floor_and_max(target)
        flat = top - floor < 1e-4
        if not events:
            info["warnings"].append("no steps found in the envelope: the take is silent")
            progress(1.0, "done (no steps)")
            return Take(np.zeros((2, n), np.float32), sr, request.seed, self.name, info)

        mono, used = self._place(grains, events, target, request, opt, flat, sub_progress(progress, 0.35, 0.75),
                                 cancel)
        info["grains_used"] = used
        cancel.check()
        progress(0.78, "spatialising")
        follow = bool(opt["follow"]) and not flat and float(opt["follow_range_db"]) > 0
        traj, hop = request.trajectory, spatial.CONTROL_HOP
        if not follow:
            out = spatial.render(mono, sr, traj, opt)
        elif opt["envelope_level"] == "source":  # the dry sound follows; distance etc. on top
            mono *= spatial.upsample(_follow_gain(block_energy(mono, BLOCK), None, n, sr, target, opt, cancel,
                                                  info), hop, n)
            out = spatial.render(mono, sr, traj, opt)
        else:
            mix = spatial.mixdown_gain(traj, n, sr, opt)
            if mix is not None:  # plain stereo: the mixdown is the mono times a known gain
                dry = spatial.air_absorption(mono, sr, traj, opt)
                gain = _follow_gain(block_energy(dry, BLOCK), mix, n, sr, target, opt, cancel, info)
                out = spatial.render(dry, sr, traj, {**opt, "air_absorption": False}, gain=gain)
            else:  # binaural / ITD / head shadow: measure the rendered take itself
                out = spatial.render(mono, sr, traj, opt)
                cancel.check()
                progress(0.9, "following the envelope")
                energy = block_energy(out.mean(axis=0), BLOCK)
                curve = spatial.upsample(_follow_gain(energy, None, n, sr, target, opt, cancel, info), hop, n)
                out *= curve[None, :]
        out = np.ascontiguousarray(out[:, :n], dtype=np.float32)
        peak = max(float(out.max()), -float(out.min())) if out.size else 0.0
        info["peak_dbfs"] = round(20 * math.log10(peak + 1e-12), 2)
        if peak > 1.0:
            info["warnings"].append(f"take peaks at {info['peak_dbfs']:+.1f} dBFS: "
                                    "lower the envelope to avoid clipping")
        progress(1.0, "done")
        return Take(out, sr, request.seed, self.name, info)

    # ------------------------------------------------------------------ placement
    def _place(self, grains: list[Grain], events: list[StepEvent], target: np.ndarray, request: GenerationRequest,
               opt: dict[str, Any], flat: bool, progress: ProgressFn,
               cancel: CancelToken) -> tuple[np.ndarray, list[str]]:
        sr, n = int(request.sample_rate), request.n_samples
        rng = np.random.default_rng(int(request.seed))
        order = _grain_order(len(grains), len(events), rng, str(opt["order"]))
        cents = np.round(rng.uniform(-1, 1, len(events)) * float(opt["pitch_cents"]) / PITCH_STEP) * PITCH_STEP
        gains_db = rng.uniform(-1, 1, len(events)) * float(opt["gain_db"])
        if opt["envelope_level"] == "source":
            level = np.ones(len(events))
        else:
            level = spatial.mixdown_level(request.trajectory, np.array([e.peak_time for e in events]), sr, opt)
        follow = bool(opt["follow"]) and float(opt["follow_range_db"]) > 0
        fit_range = float(opt["follow_range_db"])
        extend = bool(opt["extend"])
        floor, _ = envelope_floor_and_max(target)
        rng_tail = np.random.default_rng([int(request.seed), 1])  # own stream: extensions never shift other draws
        plan = []  # (start sample, audio, gain, name) per step
        for k, ev in enumerate(events):
            if k % 8 == 0:
                cancel.check()
                progress(0.5 * k / len(events), f"step {k + 1}/{len(events)}")
            grain = grains[order[k]]
            ratio = 2.0 ** (cents[k] / 1200.0)
            t0 = ev.time - (grain.onset if ev.explicit else grain.rise) / ratio
            audio, grain_env = self._pitched_audio(grain, float(cents[k])), grain.envelope
            gain = (DEFAULT_LEVEL if flat else ev.peak) / grain.env_peak  # peaks matched (follow off)
            nxt = events[k + 1].time if k + 1 < len(events) else request.duration
            if follow and not flat:  # level fitted; the length matched to the envelope's step
                best = None
                for variant in self._lengths(audio, grain_env, sr, t0, target, ev, nxt, floor, extend, rng_tail):
                    fit = _fit_gain(target, t0, nxt, variant[1], fit_range)
                    if fit is not None and (best is None or fit[1] < best[0]):
                        best = (fit[1], variant[0], fit[0])
                if best is not None:
                    _, audio, gain = best
            gain *= 10.0 ** (gains_db[k] / 20.0) / max(float(level[k]), 1e-3)
            plan.append((int(round(t0 * sr)), audio, gain, grain.name))
        mono = np.zeros(n, np.float32)
        guard = int(0.001 * sr)
        for k, (start, audio, gain, _) in enumerate(plan):
            if k % 8 == 0:
                cancel.check()
                progress(0.5 + 0.5 * k / len(plan), f"placing step {k + 1}/{len(plan)}")
            if bool(opt["choke"]) and k + 1 < len(plan):
                limit = plan[k + 1][0] - guard - start  # silent by the next step's first sample
                if limit < len(audio):
                    limit = max(limit, int(0.01 * sr))
                    audio = audio[:limit].copy()
                    apply_fades(audio, sr, 0.0, min(CHOKE_FADE, limit / sr / 2))
            s0, s1 = max(start, 0), min(start + len(audio), n)
            if s1 > s0:
                mono[s0:s1] += np.float32(gain) * audio[s0 - start:s1 - start]
        return mono, [p[3] for p in plan]

    @staticmethod
    def _lengths(audio: np.ndarray, env: np.ndarray, sr: int, t0: float, target: np.ndarray, ev: StepEvent,
                 t_next: float, floor: float, extend: bool, rng: np.random.Generator):
        """(audio, its envelope) candidates for `_fit_gain`, matched to the envelope's step.

        The step has died away where the target falls below STEP_END_FRACTION of its peak. A
        shorter sound leaves the step's tail empty: its texture is continued (`extend_tail`)
        and only that candidate is offered. A sound that rings on past the step cannot
        always be pulled down far enough by the follow: it is offered as it is and faded out
        there, and the fit keeps the better (a wood step cuts a metal ring; a soft snow
        crunch under a short hard envelope is cut too)."""
        want = int((_step_end(target, ev, t_next, floor, STEP_END_FRACTION) + STEP_RELEASE - t0) * sr) + 1
        if extend and want - len(audio) > 0.02 * sr:
            out = extend_tail(audio, sr, want, rng)
            yield out, rms_envelope_fast(out, sr)
            return
        yield audio, env
        if len(audio) - want > CHOKE_FADE * sr:
            cut = max(want, int(0.02 * sr))
            yield apply_fades(audio[:cut].copy(), sr, 0.0, CHOKE_FADE), env[:int(cut / sr * ENVELOPE_RATE) + 1]

    def _pitched_audio(self, grain: Grain, cents: float) -> np.ndarray:
        """The grain played `cents` higher (varispeed, soxr), cached per grain and cent."""
        if abs(cents) < 0.5:
            return grain.audio
        key = (grain.source, grain.start_s, grain.sample_rate, len(grain.audio), int(cents))
        with self._lock:
            hit = self._pitched.get(key)
            if hit is not None:
                self._pitched.move_to_end(key)
                return hit
        import soxr

        ratio = 2.0 ** (cents / 1200.0)
        y = soxr.resample(grain.audio, grain.sample_rate * ratio, grain.sample_rate).astype(np.float32)
        apply_fades(y, grain.sample_rate, 0.0, 0.002)
        with self._lock:
            self._pitched[key] = y
            while len(self._pitched) > 2048:
                self._pitched.popitem(last=False)
        return y


def _on_grid(envelope: Envelope, duration: float) -> Envelope:
    """The envelope on the metric grid (ENVELOPE_RATE), covering exactly `duration`."""
    if abs(envelope.rate - ENVELOPE_RATE) > 1e-6:
        nfr = int(round(duration * ENVELOPE_RATE)) + 1
        envelope = Envelope(envelope.at(np.arange(nfr) / ENVELOPE_RATE), ENVELOPE_RATE, envelope.events,
                            envelope.origin)
    return envelope.with_duration(duration)


def _fit_gain(target: np.ndarray, t0: float, t_next: float, grain_env: np.ndarray,
              range_db: float) -> tuple[float, float] | None:
    """(gain, error) leaving the least envelope error once the follow has done its part.

    Per frame the follow can scale by up to +-range_db; what it cannot reach stays as error:
    sum_i |clip(g G_i, T_i / R, T_i R) - T_i| (absolute error, as E-L1), plus 5 % of the
    plain error sum_i |g G_i - T_i| so that among gains the follow can fix equally well the
    one needing the least correction wins (not the edge of the range), minimised over a log
    grid of gains. The error covers the whole span up to the next step, so frames the grain
    leaves empty count too and grains of different lengths compare fairly. None when there
    is nothing to fit.
    """
    i0 = int(round(t0 * ENVELOPE_RATE))
    span = max(4, int((t_next - t0) * ENVELOPE_RATE))
    lo, hi = max(i0, 0), min(i0 + span, len(target))
    if hi - lo < 4:
        return None
    tv = np.asarray(target[lo:hi], np.float64)
    g = np.zeros(hi - lo)
    m = min(len(grain_env) - (lo - i0), hi - lo)
    if m > 0:
        g[:m] = grain_env[lo - i0:lo - i0 + m]
    if float(np.max(tv)) <= 0 or float(np.max(g)) <= 0:
        return None
    use = g > 0.02 * g.max()
    empty = float(np.sum(tv[~use]))  # frames the grain leaves (nearly) empty: error whatever the gain
    g, tv = g[use], tv[use]
    ratios = np.log(np.maximum(tv, 1e-9) / g)
    top = float(ratios.max())
    lo_r = max(float(ratios.min()), top - 12.0)  # candidates span at most ~100 dB
    cand = np.exp(lo_r + (top - lo_r) * _UNIT_GRID)
    scaled = cand[:, None] * g[None, :]
    err = np.abs(scaled - tv).sum(axis=1)
    if range_db > 0:  # what the follow cannot reach, with a small pull towards needing less of it
        r = 10.0 ** (range_db / 20.0)
        err = np.abs(np.minimum(np.maximum(scaled, tv / r), tv * r) - tv).sum(axis=1) + 0.05 * err
    best = int(np.argmin(err))
    return float(cand[best]), float(err[best]) + empty


def _step_end(target: np.ndarray, ev: StepEvent, t_next: float, floor: float, fraction: float) -> float:
    """Where the target's step has died away: the last frame before the next step above
    `fraction` of this step's peak (and above twice the envelope's noise floor)."""
    i0 = int(ev.time * ENVELOPE_RATE)
    i1 = min(len(target), int(t_next * ENVELOPE_RATE))
    if i1 <= i0:
        return ev.time
    loud = np.flatnonzero(target[i0:i1] >= max(fraction * ev.peak, 2.0 * floor))
    return (i0 + int(loud[-1]) + 1) / ENVELOPE_RATE if len(loud) else ev.time


def extend_tail(y: np.ndarray, sr: int, length: int, rng: np.random.Generator, window: float = 0.03) -> np.ndarray:
    """`y` continued to `length` samples with its own texture (granular overlap-add).

    Windows are drawn at random from the later half of the sound (before its fade-out),
    levelled to the RMS where the sound ends, and overlap-added at 50 % with a sine window,
    whose squares sum to one: constant power for uncorrelated pieces, no level dip (a Hann
    window would dip 3 dB between windows). The sound crossfades into the texture the same
    way; the continuation gets the usual fade-out. Meant for noisy textures (snow, gravel,
    sand, water); the envelope follow then shapes its level.
    """
    w = max(8, int(window * sr)) // 2 * 2
    h = w // 2
    fade = int(FADE_OUT * sr)
    end = len(y) - fade
    if length <= len(y) or end < w + h:
        return y
    lo = max(0, min(len(y) // 2, end - w))
    ref = float(np.sqrt(np.mean(np.square(y[end - w:end], dtype=np.float64)))) + 1e-12
    win = _sine_window(w)
    count = int(np.ceil((length - (end - h)) / h)) + 1
    count += count % 2  # even: the windows split into two sets that do not overlap
    starts = rng.integers(lo, end - w + 1, size=count)
    segs = np.lib.stride_tricks.sliding_window_view(y, w)[starts]  # (count, w)
    rms = np.sqrt(np.mean(np.square(segs, dtype=np.float64), axis=1)) + 1e-12
    grains = segs * (win[None, :] * np.minimum(ref / rms, 4.0)[:, None].astype(np.float32))
    out = np.zeros(end - h + (count + 1) * h, np.float32)
    out[:end] = y[:end]
    out[end - h:end] *= win[h:]  # the sound fades out as the texture fades in (power-complementary)
    p = end - h
    out[p:p + (count // 2) * w] += grains[0::2].reshape(-1)  # windows 0, 2, 4... back to back
    out[p + h:p + h + (count // 2) * w] += grains[1::2].reshape(-1)  # and 1, 3, 5... between them
    return apply_fades(out[:length], sr, 0.0, FADE_OUT)


@functools.lru_cache(maxsize=4)
def _sine_window(w: int) -> np.ndarray:
    return np.sin(np.pi * (np.arange(w) + 0.5) / w).astype(np.float32)  # squares sum to 1 at 50 % overlap


def _grain_order(n_grains: int, n_events: int, rng: np.random.Generator, mode: str) -> np.ndarray:
    """Shuffled bags with no immediate repeat across bag boundaries, or plain round robin."""
    if mode == "cycle" or n_grains == 1:
        return np.arange(n_events) % n_grains
    out: list[int] = []
    while len(out) < n_events:
        bag = [int(i) for i in rng.permutation(n_grains)]
        if out and bag[0] == out[-1]:
            bag[0], bag[-1] = bag[-1], bag[0]
        out.extend(bag)
    return np.asarray(out[:n_events])


def _follow_gain(energy: np.ndarray, mix_gain: np.ndarray | None, n: int, sr: int, target: np.ndarray,
                 opt: dict[str, Any], cancel: CancelToken, info: dict[str, Any], iterations: int = 4) -> np.ndarray:
    """Gain curve (control grid) that makes the take's RMS envelope follow `target`.

    `energy`: BLOCK-sample block energies of the signal the gain will scale; `mix_gain`
    (control grid) maps that signal to the take's mixdown when it is a plain gain (stereo
    pan law and distance), else None (the energies are the mixdown's own). Limited to
    +-follow_range_db in total, smoothed over follow_ms, never boosting where the target is
    near silent (< 2 % of its peak) or where the take has nothing to boost. Iterates on the
    block energies (the gain is smooth at that scale), so the audio is scaled only once.
    """
    rng_db = float(opt["follow_range_db"])
    hop = spatial.CONTROL_HOP
    ctrl_frames = np.arange(math.ceil(n / hop) + 1) * hop / float(sr) * ENVELOPE_RATE
    t = np.asarray(target, np.float64)
    _, top = envelope_floor_and_max(t)
    quiet = t < 0.02 * top
    sigma = float(opt["follow_ms"]) / 1000.0 * ENVELOPE_RATE / 2.355
    frames = np.arange(len(t), dtype=np.float64)
    block_frames = (np.arange(len(energy)) + 0.5) * BLOCK / float(sr) * ENVELOPE_RATE
    if mix_gain is not None:
        ctrl_blocks = np.arange(len(mix_gain)) * hop / BLOCK
        energy = energy * np.interp(np.arange(len(energy)) + 0.5, ctrl_blocks, np.square(mix_gain))
    total_db = np.zeros(len(t))
    for _ in range(iterations):
        cancel.check()
        power = 10.0 ** (np.interp(block_frames, frames, total_db) / 10.0)
        env = envelope_from_blocks(energy * power, sr, len(t), BLOCK).astype(np.float64)
        g = 20.0 * np.log10((t + 1e-7) / (env + 1e-7))
        g = np.clip(g, -rng_db - total_db, rng_db - total_db)  # the overall correction stays in range
        g[quiet] = np.minimum(g[quiet], 0.0)
        g[env < 1e-6] = 0.0
        if sigma > 0.3:
            g = gaussian_filter1d(g, sigma, mode="nearest")
        total_db = np.clip(total_db + g, -rng_db, rng_db)
    info["follow_gain_db"] = {"min": round(float(total_db.min()), 2), "max": round(float(total_db.max()), 2)}
    return 10.0 ** (np.interp(ctrl_frames, frames, total_db) / 20.0)

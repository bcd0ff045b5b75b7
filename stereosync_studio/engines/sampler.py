"""The DSP sampler: real reference steps placed on the envelope's events, then spatialised.

Pipeline (each stage is what a Foley editor would do by hand, done per step):
1. reference -> grains (engines.grains: slice, trim, fade, measure; cached);
2. step events from the envelope (engines.events: explicit, found by analysis, or peaks refined
   to onsets);
3. one grain per event (inside a step, a rise that would read as a new step is flattened, by
   filling the dips before it or lowering its top, whichever changes the level least, so a
   heel-toe double or a crunch shapes the level but adds no onset: `events.one_rise_per_step`),
   from the surface region the step falls in; shuffled bags (every grain before any repeats,
   never the same grain twice in a row), a few cents of pitch (resampled) and a dB or two of
   level per step, its rise aligned on the event's rise and then slid, to a fraction of a
   frame, to where its RMS envelope fits the target's rise best (`rise_align`), its length
   matched to the envelope's step (a short sound's texture is continued, a long ring faded
   out where the step has died away), its level fitted to the target over the step (least
   error left after the follow, see `events.fit_gain`), and "choked" (faded out) before the
   next step;
4. spatial.render along the trajectory (stereo pan law or binaural head model);
5. envelope follow (`follow`): the take's own RMS envelope (the metric's definition) against
   the target gives a smooth, limited gain curve (never boosting where the target is silent,
   never cutting the first ms of a placed step's attack by more than a few dB), applied to
   both channels alike (interaural cues untouched), refined in four passes.
Same seed -> identical take; another seed -> another grain order and other variations.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from typing import Any

import numpy as np

from ..core.envelope import ENVELOPE_RATE, Envelope
from ..core.errors import InputError
from ..core.progress import CancelToken, ProgressFn, sub_progress
from ..dsp.control_rate import upsample
from ..dsp.rms import block_energy, target_values
from . import spatial
from .base import GenerationRequest, OptionSpec, Take
from .events import (StepEvent, envelope_floor_and_max, events_for_options, fit_gains, one_rise_per_step,
                     step_end)
from .follow import BLOCK, follow_gain
from .limiter import LIMIT_CEILING_DBTP, peak_limit
from .rise_align import align_start
from .grains import Grain, apply_fades, extend_tail, extend_tails, load_grains  # noqa: F401 (extend_tail: API)
from .grains import _ramp as _fade_ramp

DEFAULT_LEVEL = 0.12  # RMS-envelope peak used when the envelope is flat/silent but events exist
CHOKE_FADE = 0.015  # s
STEP_RELEASE = 0.02  # s a step may ring on after the envelope's step has died away
STEP_END_FRACTION = 0.02  # a step has died away below this fraction of its peak
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
        pools = [grains] + [load_grains(files, sr, cancel=cancel) for _, _, files in request.reference_regions]
        env = _on_grid(request.envelope, request.duration)
        events = events_for_options(env, opt)
        target = one_rise_per_step(target_values(env), events)  # one onset per step in the take
        progress(0.35, f"{len(events)} steps")
        info: dict[str, Any] = {"n_events": len(events), "event_times": [round(e.time, 4) for e in events],
                                "n_grains": sum(len(p) for p in pools), "warnings": []}
        floor, top = envelope_floor_and_max(target)
        flat = top - floor < 1e-4
        if not events:
            info["warnings"].append("no steps found in the envelope: the take is silent")
            progress(1.0, "done (no steps)")
            return Take(np.zeros((2, n), np.float32), sr, request.seed, self.name, info)

        mono, used, spans, attacks = self._place(pools, events, target, request, opt, flat,
                                        sub_progress(progress, 0.35, 0.75), cancel)
        info["grains_used"] = used
        cancel.check()
        progress(0.78, "spatialising")
        follow = bool(opt["follow"]) and not flat and float(opt["follow_range_db"]) > 0
        traj, hop = request.trajectory, spatial.CONTROL_HOP
        dry_opt = {**opt, "air_absorption": False}  # for a mono the distance low-pass was applied to
        if not follow:
            out = spatial.render(spatial.air_absorption(mono, sr, traj, opt, True, spans), sr, traj, dry_opt)
        elif opt["envelope_level"] == "source":  # the dry sound follows; distance etc. on top
            gain = follow_gain(block_energy(mono, BLOCK), None, n, sr, target, opt, cancel, info, attacks=attacks)
            mono *= upsample(gain, hop, n)
            out = spatial.render(mono, sr, traj, opt)
        else:
            mix = spatial.mixdown_gain(traj, n, sr, opt)
            dry = spatial.air_absorption(mono, sr, traj, opt, inplace=True, spans=spans)  # mono is ours
            if mix is not None:  # plain stereo: the mixdown is the mono times a known gain
                gain = follow_gain(block_energy(dry, BLOCK), mix, n, sr, target, opt, cancel, info, attacks=attacks)
                out = spatial.render(dry, sr, traj, dry_opt, gain=gain)
            else:  # binaural / ITD / head shadow: measure the rendered take itself
                out = spatial.render(dry, sr, traj, dry_opt)
                cancel.check()
                progress(0.9, "following the envelope")
                energy = block_energy(out.mean(axis=0), BLOCK)
                curve = upsample(follow_gain(energy, None, n, sr, target, opt, cancel, info, attacks=attacks), hop, n)
                out *= curve[None, :]
        out = np.ascontiguousarray(out[:, :n], dtype=np.float32)
        peak = max(float(out.max()), -float(out.min())) if out.size else 0.0
        reduction = peak_limit(out, sr)  # true peaks over the ceiling (under it between samples too)
        if reduction > 0.0:  # the envelope asks for more than the ceiling: limit, never clip
            info["limiter_db"] = round(reduction, 2)
            info["warnings"].append(f"the envelope asks for peaks of {20 * math.log10(peak):+.1f} dBFS (true "
                                    f"peaks over {LIMIT_CEILING_DBTP:g} dBTP): "
                                    f"limited by up to {reduction:.1f} dB (lower the envelope to avoid it)")
            peak = max(float(out.max()), -float(out.min()))
        info["peak_dbfs"] = round(20 * math.log10(peak + 1e-12), 2)
        progress(1.0, "done")
        return Take(out, sr, request.seed, self.name, info)

    # ------------------------------------------------------------------ placement
    def _place(self, pools: list[list[Grain]], events: list[StepEvent], target: np.ndarray,
               request: GenerationRequest, opt: dict[str, Any], flat: bool, progress: ProgressFn,
               cancel: CancelToken) -> tuple[np.ndarray, list[str], list[tuple[int, int]], list[float]]:
        """The mono track of all steps, the grains used, the ranges the steps cover and where
        each step's transient starts (s).

        `pools`: the source's grains, then one list per surface region of the request."""
        sr, n = int(request.sample_rate), request.n_samples
        rng = np.random.default_rng(int(request.seed))
        chosen = _choose_grains(pools, request.reference_regions, events, rng, str(opt["order"]))
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
        steps = []  # (t0, next step, audio, gain, name, length variants (audio, envelope, cut)) per step
        to_extend = []  # (step, audio, length): continued all at once
        onsets: list[float] = []  # s from each step's start to its transient
        for k, ev in enumerate(events):
            if k % 8 == 0:
                cancel.check()
                progress(0.5 * k / len(events), f"step {k + 1}/{len(events)}")
            grain = chosen[k]
            ratio = 2.0 ** (cents[k] / 1200.0)
            lead = (grain.onset if ev.explicit else grain.rise) / ratio  # from the grain's start to its rise
            t0 = ev.time - lead
            audio = self._pitched_audio(grain, float(cents[k]))
            if not ev.explicit and not flat:  # on the target's own rise, to a fraction of a frame
                t0 = align_start(target, ev.time, t0, audio, sr)
            gain = (DEFAULT_LEVEL if flat else ev.peak) / grain.env_peak  # peaks matched (follow off)
            nxt = events[k + 1].time if k + 1 < len(events) else request.duration
            variants: list[tuple[np.ndarray, np.ndarray, int | None]] = []
            if follow and not flat:  # level fitted; the length matched to the envelope's step
                want = int((step_end(target, ev, nxt, floor, STEP_END_FRACTION) + STEP_RELEASE - t0) * sr) + 1
                variants = _length_variants(audio, grain.envelope, sr, want, extend)
                if variants is None:
                    to_extend.append((k, audio, want))
                    variants = []
            steps.append((t0, nxt, audio, gain, grain.name, variants))
            onsets.append(lead)
        if to_extend:
            outs, envs = extend_tails([(a, w) for _, a, w in to_extend], sr, rng_tail, envelopes=True)
            for (k, _, _), out, env in zip(to_extend, outs, envs or []):
                steps[k][5].append((out, env, None))
        fits = iter(fit_gains(target, [(t0, nxt, v[1]) for t0, nxt, *_, vs in steps for v in vs], fit_range))
        plan = []  # (start sample, audio, gain, name, cut) per step
        attacks: list[float] = []  # where each step's transient starts (s)
        for k, (t0, _, audio, gain, name, variants) in enumerate(steps):
            best = None
            for variant in variants:
                fit = next(fits)
                if fit is not None and (best is None or fit[1] < best[0]):
                    best = (fit[1], variant, fit[0])
            cut = None
            if best is not None:
                _, (audio, _, cut), gain = best
            gain *= 10.0 ** (gains_db[k] / 20.0) / max(float(level[k]), 1e-3)
            plan.append((int(round(t0 * sr)), audio, gain, name, cut))
            attacks.append(t0 + onsets[k])
        spans: list[tuple[int, int]] = []
        mono = _mix_plan(plan, n, sr, bool(opt["choke"]), progress, cancel, spans)
        return mono, [p[3] for p in plan], spans, attacks

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
                            envelope.origin, envelope.found)
    if len(envelope.values) == int(round(duration * envelope.rate)) + 1 and all(
            t <= duration for t in (envelope.events or []) + (envelope.found or [])):
        return envelope  # already exactly what with_duration would make (nothing here modifies it)
    return envelope.with_duration(duration)


def _length_variants(audio: np.ndarray, env: np.ndarray, sr: int, want: int,
                     extend: bool) -> list[tuple[np.ndarray, np.ndarray, int | None]] | None:
    """(audio, its envelope, cut) candidates for `fit_gains`, matched to the envelope's step
    of `want` samples; None: continue the sound (`extend_tails`) and offer only that.

    The step has died away where the target falls below STEP_END_FRACTION of its peak. A
    shorter sound leaves the step's tail empty: its texture is continued and only that
    candidate is offered. A sound that rings on past the step cannot always be pulled down
    far enough by the follow: it is offered as it is and faded out there (cut to `cut`
    samples with a CHOKE_FADE fade when placed), and the fit keeps the better (a wood step
    cuts a metal ring; a soft snow crunch under a short hard envelope is cut too)."""
    if extend and want - len(audio) > 0.02 * sr:
        return None
    out: list[tuple[np.ndarray, np.ndarray, int | None]] = [(audio, env, None)]
    if len(audio) - want > CHOKE_FADE * sr:
        cut = max(want, int(0.02 * sr))
        out.append((audio, env[:int(cut / sr * ENVELOPE_RATE) + 1], cut))
    return out


def _mix_plan(plan: list[tuple[int, np.ndarray, float, str, int | None]], n: int, sr: int, choke: bool,
              progress: ProgressFn, cancel: CancelToken,
              spans: list[tuple[int, int]] | None = None) -> np.ndarray:
    """The steps summed into one mono track of n samples (`spans`, when given, receives each
    step's sample range: the track is digital silence outside them).

    A step (start, audio, gain, name, cut) is `audio` cut to `cut` samples with a CHOKE_FADE
    fade-out when `cut` is set; with `choke` it is also faded out (CHOKE_FADE) and silent by
    the next step's first sample. The fades are raised-cosine as `apply_fades` makes them,
    applied to the scaled copy that is added anyway (no extra copy of the grain).
    """
    mono = np.zeros(n, np.float32)
    guard = int(0.001 * sr)
    scratch = np.empty(max((len(p[1]) for p in plan), default=0), np.float32)
    for k, (start, audio, gain, _, cut) in enumerate(plan):
        if k % 8 == 0:
            cancel.check()
            progress(0.5 + 0.5 * k / len(plan), f"placing step {k + 1}/{len(plan)}")
        fades = []  # (end of the faded audio, fade length) in the grain's samples
        if cut is not None:
            audio = audio[:cut]
            fades.append((len(audio), min(int(CHOKE_FADE * sr), len(audio) // 4)))
        if choke and k + 1 < len(plan):
            limit = plan[k + 1][0] - guard - start  # silent by the next step's first sample
            if limit < len(audio):
                limit = max(limit, int(0.01 * sr))
                audio = audio[:limit]
                fades.append((len(audio), min(int(min(CHOKE_FADE, limit / sr / 2) * sr), len(audio) // 4)))
        s0, s1 = max(start, 0), min(start + len(audio), n)
        if s1 <= s0:
            continue
        seg = np.multiply(audio[s0 - start:s1 - start], np.float32(gain), out=scratch[:s1 - s0])
        for end, fade in fades:
            if fade < 2:
                continue
            f0 = end - fade - (s0 - start)  # where the fade starts in seg
            a, b = max(f0, 0), min(len(seg), f0 + fade)
            if b > a:
                seg[a:b] *= _fade_ramp(fade)[::-1][a - f0:b - f0]
        mono[s0:s1] += seg
        if spans is not None:
            spans.append((s0, s1))
    return mono


def _choose_grains(pools: list[list[Grain]], regions: list[tuple[float, float, list[str]]],
                   events: list[StepEvent], rng: np.random.Generator, mode: str) -> list[Grain]:
    """The grain of each step: from the surface region its onset falls in (`pools[1:]`, in the
    order of `regions`), else from the source's own grains (`pools[0]`), each pool in its own
    shuffled bags. A boundary only changes where the next step's sound comes from: every step
    keeps its whole grain with its own fades, so a change of surface adds no click."""
    if not regions:
        return [pools[0][i] for i in _grain_order(len(pools[0]), len(events), rng, mode)]
    which = [next((j + 1 for j, (a, b, _) in enumerate(regions) if a <= ev.time < b), 0) for ev in events]
    out: list[Grain | None] = [None] * len(events)
    for p, pool in enumerate(pools):
        idx = [k for k, w in enumerate(which) if w == p]
        for k, g in zip(idx, _grain_order(len(pool), len(idx), rng, mode)):
            out[k] = pool[int(g)]
    return out  # type: ignore[return-value]


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

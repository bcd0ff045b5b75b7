"""Surfaces along the clip for the diffusion engine: one CLAP reference per region.

The sampler draws each step from the region its onset falls in. The diffusion model takes one
CLAP embedding per window, so a take that crosses from grass onto gravel is rendered as parts:
the clip is cut at the region boundaries, each part (with a margin on both sides) is sampled
with its own region's embedding, and the parts are joined with a short equal-power crossfade
placed at the quietest moment of the envelope near each boundary, away from any step, so the
join cuts no footstep and makes no click. Numpy only: the sampling itself stays in `sampling`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...core.envelope import Envelope

SEARCH_S = 0.25  # a boundary may move this far to reach a quiet moment between steps
FADE_S = 0.02  # the join's equal-power crossfade (centred on the cut)
MARGIN_S = SEARCH_S + FADE_S  # each part is rendered this much beyond its own span


@dataclass
class Part:
    """[start, end) of the take in samples, the region it belongs to (-1: the source's own
    references) and the span actually rendered, [render_start, render_end)."""

    start: int
    end: int
    region: int
    render_start: int
    render_end: int


def quiet_cut(env: Envelope, boundary_s: float, lo_s: float, hi_s: float) -> float:
    """The time near `boundary_s` (within SEARCH_S, inside (lo_s, hi_s)) where the envelope is
    lowest, steps kept at a distance: a step onset's next 150 ms count as loud."""
    a, b = max(lo_s + FADE_S, boundary_s - SEARCH_S), min(hi_s - FADE_S, boundary_s + SEARCH_S)
    if b <= a:
        return float(boundary_s)
    t = np.arange(a, b, 0.005)
    level = env.at(t).astype(np.float64)
    for s in env.steps() or []:
        level[(t >= s - 0.01) & (t < s + 0.15)] += 1.0
    level += 1e-3 * np.abs(t - boundary_s) / SEARCH_S  # among equals, stay near the boundary
    return float(t[int(np.argmin(level))])


def plan_parts(regions: list[tuple[float, float, list[str]]], env: Envelope, duration: float,
               sample_rate: int) -> list[Part]:
    """Cut [0, duration) into parts at the region edges (moved to quiet moments); parts of one
    region that touch stay one part. Empty when no region has files (render the clip whole)."""
    n = int(round(duration * sample_rate))
    spans = sorted((max(0.0, float(a)), min(duration, float(b)), i)
                   for i, (a, b, files) in enumerate(regions) if files and b > a and a < duration)
    if not spans:
        return []
    pieces: list[tuple[float, float, int]] = []
    t = 0.0
    for a, b, i in spans:
        if a > t + 1e-6:
            pieces.append((t, a, -1))
        a = max(a, t)
        if b > a:
            pieces.append((a, b, i))
            t = b
    if t < duration - 1e-6:
        pieces.append((t, duration, -1))
    merged: list[list] = []
    for a, b, i in pieces:
        if merged and merged[-1][2] == i:
            merged[-1][1] = b
        else:
            merged.append([a, b, i])
    cuts = [0.0] + [quiet_cut(env, merged[k][0], merged[k - 1][0], merged[k][1])
                    for k in range(1, len(merged))] + [duration]
    margin = int(round(MARGIN_S * sample_rate))
    parts = []
    for k, (_, _, i) in enumerate(merged):
        s, e = int(round(cuts[k] * sample_rate)), int(round(cuts[k + 1] * sample_rate))
        parts.append(Part(s, e, i, max(0, s - margin), min(n, e + margin)))
    return parts


def join_parts(parts: list[Part], audio: list[np.ndarray], n_total: int, sample_rate: int) -> np.ndarray:
    """The take from its rendered parts ((C, render_end - render_start) each): every cut is an
    equal-power crossfade of FADE_S centred on it, so the level is continuous across the join."""
    out = np.zeros((audio[0].shape[0], n_total), np.float32)
    half = max(1, int(round(FADE_S * sample_rate / 2)))
    for k, (p, a) in enumerate(zip(parts, audio)):
        lo = p.start - half if k > 0 else p.start
        hi = p.end + half if k + 1 < len(parts) else p.end
        lo, hi = max(lo, p.render_start), min(hi, p.render_end)
        g = np.ones(hi - lo, np.float64)
        if k > 0:
            ramp = (np.arange(hi - lo) + lo - (p.start - half) + 0.5) / (2 * half)
            g *= np.where(ramp < 1.0, np.sin(0.5 * np.pi * np.clip(ramp, 0.0, 1.0)), 1.0)
        if k + 1 < len(parts):
            ramp = (np.arange(hi - lo) + lo - (p.end - half) + 0.5) / (2 * half)
            g *= np.where(ramp > 0.0, np.cos(0.5 * np.pi * np.clip(ramp, 0.0, 1.0)), 1.0)
        out[:, lo:hi] += a[:, lo - p.render_start:hi - p.render_start] * g.astype(np.float32)
    return out

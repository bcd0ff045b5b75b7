"""Busy guide tracks for walker clips: the footsteps under dialogue, music and room tone.

A real clip's production sound holds much more than the steps. These fixtures put a known
footstep track (`clean`, the truth every envelope is scored against) under speech 8-10 dB
louder than the steps (espeak-ng when installed, else formant-synthesised speech), music
(plucked chords and a bass line), room tone (pink noise, hum, a traffic rumble), and make
the steps themselves hard: heel-toe doubles, scuffs and long crunches inside one step.

Levels are active levels (P.56-like: RMS over the 50 ms windows within 25 dB of the loudest),
so "speech 9 dB above the steps" means the talking is 9 dB louder than the stepping, not
than the clip's average. Steps are panned with screen-width panning (the frame's edges are
full left/right), as a mixing stage would.

    g = busy_walker_clip(cache_dir, scenario="crossing", seed=3, mix="busy")
    g.path, g.clean, g.busy, g.step_times, g.walker.boxes
"""

from __future__ import annotations

import hashlib
import json
import math
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr

from tests.walker import FOOTSTEP_DIR, GUIDE_SR, WalkerScene, WalkerTruth, load_step_samples

VERSION = 2  # bump when the audio or the picture changes (invalidates cached clips)
MIXES = ("busy", "speech", "music", "drums", "clean", "no_steps")  # drums: music with a drum kit
KINDS = ("plain", "heel_toe", "scuff", "crunch")
SURFACES = ("gravel", "snow", "sand", "dirt", "grass", "wood", "hard")  # picked by seed unless given
WORDS = ("the river was cold and the night came fast over the hills; she said we should turn back "
         "before the storm but nobody listened to her; tomorrow the market opens at seven and the "
         "baker sells warm bread with butter; I told you twice that the keys are in the kitchen drawer; "
         "what time does the last train leave the station tonight; they painted the fence a bright "
         "green colour last summer; please take the blue folder to the office upstairs").split()


@dataclass
class BusyGuide:
    """A walker clip whose own audio is busy, with the parts it was mixed from."""

    walker: WalkerTruth
    path: str
    clean: np.ndarray  # (2, N) the footsteps alone
    busy: np.ndarray  # (2, N) the clip's audio: footsteps + the rest
    step_times: list[float]  # onset of each footstep's first transient (s), walker 0's
    step_kinds: list[str]
    speech_db: float  # speech active level minus the steps' (dB); nan without speech
    sample_rate: int = GUIDE_SR
    parts: dict[str, np.ndarray] = field(default_factory=dict)  # speech, music, tone (2, N)
    surface: str = "gravel"  # the footstep recordings the steps were made of
    step_times_per_walker: list[list[float]] = field(default_factory=list)  # every walker's (a "two" scene)

    def surface_files(self) -> list[str]:
        return [str(p) for p in sorted(Path(FOOTSTEP_DIR).glob(f"*{self.surface}*.ogg"))]


# ----------------------------------------------------------------------------- levels

def active_level(x: np.ndarray, sr: int, window_s: float = 0.05, within_db: float = 25.0) -> float:
    """RMS over the windows within `within_db` of the loudest one (0 for silence)."""
    m = np.asarray(x, np.float64)
    m = m if m.ndim == 1 else m.mean(axis=0)
    w = max(1, int(window_s * sr))
    n = len(m) // w
    if n == 0:
        return 0.0
    ms = np.mean(m[:n * w].reshape(n, w) ** 2, axis=1)
    top = float(ms.max())
    if top <= 0:
        return 0.0
    return float(np.sqrt(np.mean(ms[ms >= top * 10 ** (-within_db / 10)])))


def _pan(mono: np.ndarray, pan: float) -> np.ndarray:
    phi = (float(np.clip(pan, -1, 1)) + 1.0) * math.pi / 4.0
    return np.stack([math.cos(phi) * mono, math.sin(phi) * mono]).astype(np.float32)


def _add(out: np.ndarray, x: np.ndarray, i0: int) -> None:
    i0 = max(i0, 0)
    m = min(x.shape[-1], out.shape[-1] - i0)
    if m > 0:
        out[..., i0:i0 + m] += x[..., :m]


# ----------------------------------------------------------------------------- footsteps

def surface_samples(surface: str) -> list[np.ndarray]:
    """Peak-normalised 48 kHz one-step recordings of a surface from tests/data/footsteps."""
    files = sorted(Path(FOOTSTEP_DIR).glob(f"*{surface}*.ogg"))
    return load_step_samples(files or None)


def footstep(kind: str, samples: list[np.ndarray], rng: np.random.Generator, sr: int = GUIDE_SR) -> np.ndarray:
    """One footstep of `kind` (mono, starting at its first transient, peak about 1).

    heel_toe: a second transient 50-120 ms later, sometimes louder than the heel; scuff: a
    sliding noise 150-350 ms long after the strike; crunch: crunches every 50-110 ms over 250-400 ms."""
    pick = lambda: samples[int(rng.integers(len(samples)))]  # noqa: E731
    x = _shorter(pick(), rng, sr)
    if kind == "heel_toe":
        toe = _shorter(pick(), rng, sr) * rng.uniform(0.6, 1.2)
        d = int(rng.uniform(0.05, 0.12) * sr)
        out = np.zeros(max(len(x), d + len(toe)), np.float32)
        out[:len(x)] += x * rng.uniform(0.6, 1.0)
        out[d:d + len(toe)] += toe
        return out
    if kind == "scuff":
        n = int(rng.uniform(0.15, 0.35) * sr)
        noise = rng.normal(0, 1, n)
        lo = rng.uniform(0.02, 0.2)
        k = max(2, int(1.0 / lo))
        noise = np.convolve(noise, np.ones(k) / k, mode="same") * math.sqrt(k)  # darker or brighter
        t = np.arange(n) / n
        shape = np.minimum(t / 0.15, 1.0) * (1.0 - t) ** 1.5
        scuff = (noise * shape).astype(np.float32)
        scuff *= rng.uniform(0.25, 0.6) * np.abs(x).max() / (np.abs(scuff).max() + 1e-9)
        d = int(rng.uniform(0.01, 0.04) * sr)
        out = np.zeros(max(len(x), d + n), np.float32)
        out[:len(x)] += x
        out[d:d + n] += scuff
        return out
    if kind == "crunch":
        end = int(rng.uniform(0.25, 0.4) * sr)
        out = np.zeros(end + int(0.1 * sr), np.float32)
        pos, gain = 0, 1.0
        while pos < end:
            g = pick()[:int(0.12 * sr)].copy()
            g[-int(0.02 * sr):] *= np.linspace(1, 0, int(0.02 * sr), dtype=np.float32)
            m = min(len(g), len(out) - pos)
            out[pos:pos + m] += gain * g[:m]
            pos += int(rng.uniform(0.05, 0.11) * sr)
            gain = rng.uniform(0.35, 0.8)
        return np.trim_zeros(out, "b")
    return x


def _shorter(x: np.ndarray, rng: np.random.Generator, sr: int) -> np.ndarray:
    """A recording cut to 0.2-0.4 s with a fade: one step ends before the next begins."""
    n = int(rng.uniform(0.2, 0.4) * sr)
    y = x[:n].copy()
    if len(x) <= n:
        return y
    y[-int(0.05 * sr):] *= np.linspace(1, 0, int(0.05 * sr), dtype=np.float32) ** 2
    return y


def footstep_track(truth: WalkerTruth, rng: np.random.Generator, kinds: tuple[str, ...] = KINDS,
                   surface: str = "gravel", jitter_s: float = 0.008,
                   walker: int = 0) -> tuple[np.ndarray, list[float], list[str]]:
    """The clean footsteps of `walker`: (2, N) audio, the onset times and each step's kind.

    Each step is at its heel strike (+- a few ms), scaled by 1/distance like the walker's own
    guide, and panned by the box centre with screen-width panning."""
    sr = GUIDE_SR
    n = int(round(truth.duration * sr))
    out = np.zeros((2, n), np.float32)
    samples = surface_samples(surface)
    times, used = [], []
    if walker == 0:
        steps = zip(truth.step_times, truth.step_x, truth.step_gain)
    else:  # the same 1/distance gain as walker 0's (tests/walker.py)
        tf = np.arange(truth.n_frames) / truth.fps
        st = truth.step_times_per_walker[walker]
        gains = [min(0.5 / float(np.interp(t, tf, truth.distance_per_walker[walker])), 0.9) for t in st]
        steps = zip(st, truth.step_x_per_walker[walker], gains)
    for t, x, g in steps:
        kind = str(rng.choice(kinds))
        t = float(max(0.0, t + rng.uniform(-jitter_s, jitter_s)))
        step = footstep(kind, samples, rng) * g
        _add(out, _pan(step, (x - truth.width / 2) / (truth.width / 2)), int(round(t * sr)))
        times.append(round(t, 5))
        used.append(kind)
    return out, times, used


# ----------------------------------------------------------------------------- speech

def _espeak(text: str, voice: str, pitch: int, speed: int) -> np.ndarray | None:
    exe = shutil.which("espeak-ng")
    if exe is None:
        return None
    with tempfile.TemporaryDirectory() as d:
        wav = Path(d) / "s.wav"
        run = subprocess.run([exe, "-v", voice, "-p", str(pitch), "-s", str(speed), "-w", str(wav), text],
                             capture_output=True, timeout=30)
        if run.returncode != 0 or not wav.is_file():
            return None
        y, sr = sf.read(str(wav), dtype="float32")
    y = y if y.ndim == 1 else y.mean(axis=1)
    return soxr.resample(y, sr, GUIDE_SR).astype(np.float32)


def formant_speech(seconds: float, rng: np.random.Generator, sr: int = GUIDE_SR) -> np.ndarray:
    """Speech-like sound without a synthesiser: voiced syllables (a glottal pulse train with a
    gliding pitch through vowel formants), fricatives and plosive bursts between them."""
    vowels = [(730, 1090, 2440), (270, 2290, 3010), (530, 1840, 2480), (570, 840, 2410), (300, 870, 2240)]
    out, pos = np.zeros(int(seconds * sr), np.float32), 0
    from scipy.signal import lfilter

    def formants(x, fs):
        y = np.zeros_like(x)
        for f, bw, amp in zip(fs, (80, 100, 120), (1.0, 0.5, 0.25)):
            r = math.exp(-math.pi * bw / sr)
            y += amp * lfilter([1 - r], [1, -2 * r * math.cos(2 * math.pi * f / sr), r * r], x)
        return y

    f0 = rng.uniform(95, 210)
    while pos < len(out) - sr // 10:
        if rng.random() < 0.45:  # consonant before the vowel
            n = int(rng.uniform(0.03, 0.12) * sr)
            c = rng.normal(0, 1, n) * np.hanning(n)
            if rng.random() < 0.5:  # plosive: a short burst
                n = int(0.015 * sr)
                c = rng.normal(0, 1, n) * np.exp(-np.arange(n) / (0.004 * sr))
            c = np.diff(np.r_[0.0, c]) * 0.6
            _add(out, c.astype(np.float32), pos)
            pos += len(c)
        n = int(rng.uniform(0.08, 0.25) * sr)
        pitch = f0 * (1 + 0.15 * np.sin(np.linspace(0, rng.uniform(1, 3), n)))
        phase = np.cumsum(pitch / sr)
        pulses = (np.diff(np.floor(np.r_[0.0, phase])) > 0).astype(np.float64)
        v = formants(pulses, vowels[int(rng.integers(len(vowels)))]) * np.hanning(n) ** 0.5
        _add(out, v.astype(np.float32), pos)
        pos += n + (int(rng.uniform(0.15, 0.6) * sr) if rng.random() < 0.25 else int(0.01 * sr))
    return out


def speech_track(seconds: float, rng: np.random.Generator) -> np.ndarray:
    """Mono dialogue filling most of `seconds`: sentences with short pauses between them."""
    n = int(seconds * GUIDE_SR)
    out = np.zeros(n, np.float32)
    pos = int(rng.uniform(0.0, 0.4) * GUIDE_SR)
    voices = ["en-us", "en", "en-us+f3", "en+m3", "en-us+f2"]
    while pos < n - GUIDE_SR // 4:
        k = int(rng.integers(5, 11))
        i = int(rng.integers(0, len(WORDS) - k))
        text = " ".join(WORDS[i:i + k]).strip(";")
        y = _espeak(text, str(rng.choice(voices)), int(rng.integers(30, 70)), int(rng.integers(150, 200)))
        if y is None:
            y = formant_speech(rng.uniform(1.0, 2.5), rng)
        y = np.trim_zeros(np.where(np.abs(y) < 1e-4, 0, y)).astype(np.float32)
        _add(out, y, pos)
        pos += len(y) + int(rng.uniform(0.15, 0.7) * GUIDE_SR)
    return out + _air(out, rng)


def _air(x: np.ndarray, rng: np.random.Generator, sr: int = GUIDE_SR, cut: float = 10000.0) -> np.ndarray:
    """The sibilance a 48 kHz recording would have above espeak-ng's 11 kHz band edge: noise
    above `cut` following the 7-10 kHz band's level frame by frame, rolling off 6 dB/octave
    (so no band of the clip is free of speech)."""
    n_fft, hop = 1024, 256
    win = np.hanning(n_fft)
    frames = 1 + max(0, len(x) - n_fft) // hop
    idx = np.arange(n_fft)[None, :] + hop * np.arange(frames)[:, None]
    spec = np.abs(np.fft.rfft(x[idx] * win, axis=1))
    f = np.fft.rfftfreq(n_fft, 1 / sr)
    ref = spec[:, (f >= 7000) & (f < cut)].mean(axis=1, keepdims=True)
    mag = np.where(f[None, :] >= cut, ref * (cut / np.maximum(f[None, :], 1.0)), 0.0)
    phase = np.exp(2j * np.pi * rng.random(mag.shape))
    y = np.fft.irfft(mag * phase, n_fft, axis=1) * win
    out = np.zeros(len(x), np.float64)
    np.add.at(out, idx, y)
    return (out * (hop / (win ** 2).sum())).astype(np.float32)


# ----------------------------------------------------------------------------- music, tone

def music_track(seconds: float, rng: np.random.Generator, sr: int = GUIDE_SR) -> np.ndarray:
    """(2, N): plucked chords (sharp attacks, harmonic), a sustained bass line, slight stereo."""
    n = int(seconds * sr)
    out = np.zeros((2, n), np.float32)
    root = rng.uniform(110, 165)
    chords = [(0, 4, 7), (5, 9, 12), (7, 11, 14), (9, 12, 16)]
    beat = 60.0 / rng.uniform(80, 125)
    t = rng.uniform(0, beat)
    k = 0
    while t < seconds:
        tones = chords[(k // 4) % len(chords)]
        m = int(min(1.6 * beat, seconds - t + 0.5) * sr)
        tt = np.arange(m) / sr
        note = np.zeros(m)
        for semi in tones:
            f = root * 2 ** (semi / 12) * 2
            for h in range(1, 6):  # plucked string: harmonics decaying faster the higher
                note += np.sin(2 * np.pi * f * h * tt + rng.uniform(0, 6.3)) * np.exp(-tt * (2.5 + 1.5 * h)) / h
        note *= np.minimum(tt / 0.003, 1.0)
        pan = rng.uniform(-0.4, 0.4)
        _add(out, _pan(note.astype(np.float32), pan) * 0.3, int(t * sr))
        if k % 4 == 0:  # bass: slow attack, sustained
            m2 = int(min(4 * beat, seconds - t + 0.5) * sr)
            tb = np.arange(m2) / sr
            bass = np.sin(2 * np.pi * root / 2 * 2 ** (tones[0] / 12) * tb) * np.minimum(tb / 0.05, 1) * np.exp(-tb / 3)
            _add(out, _pan(bass.astype(np.float32), 0.0) * 0.5, int(t * sr))
        t += beat * (0.5 if rng.random() < 0.3 else 1.0)
        k += 1
    return out


def drum_track(seconds: float, rng: np.random.Generator, sr: int = GUIDE_SR) -> np.ndarray:
    """(2, N): a drum kit on its own tempo (kick, snare, closed hi-hat): percussive, broadband
    transients that are not footsteps (only the picture tells them apart)."""
    n = int(seconds * sr)
    out = np.zeros((2, n), np.float32)
    beat = 60.0 / rng.uniform(84, 132)
    t, k = rng.uniform(0, beat), 0
    while t < seconds:
        m = int(0.25 * sr)
        tt = np.arange(m) / sr
        if k % 2 == 0:  # kick: a falling sine with a click
            f = 50 + 90 * np.exp(-tt / 0.03)
            click = rng.normal(0, 0.3, m) * np.exp(-tt / 0.004)
            hit = np.sin(2 * np.pi * np.cumsum(f) / sr) * np.exp(-tt / 0.12) + click
            _add(out, _pan(hit.astype(np.float32), 0.0), int(t * sr))
        else:  # snare: a tone and a noise burst
            noise = np.diff(np.r_[0.0, rng.normal(0, 1, m)]) * np.exp(-tt / 0.07)
            hit = 0.6 * np.sin(2 * np.pi * 190 * tt) * np.exp(-tt / 0.05) + noise
            _add(out, _pan(hit.astype(np.float32), 0.1), int(t * sr))
        for h in (0.0, 0.5):  # hi-hat on the eighths
            m2 = int(0.06 * sr)
            hat = np.diff(np.diff(np.r_[0.0, 0.0, rng.normal(0, 1, m2)])) * np.exp(-np.arange(m2) / (0.012 * sr))
            _add(out, _pan((0.25 * hat).astype(np.float32), -0.3), int((t + h * beat) * sr))
        t += beat
        k += 1
    return out


def room_tone(seconds: float, rng: np.random.Generator, sr: int = GUIDE_SR) -> np.ndarray:
    """(2, N): pink-ish noise, mains hum with harmonics and a slowly swelling traffic rumble."""
    n = int(seconds * sr)
    white = rng.normal(0, 1, (2, n))
    spec = np.fft.rfft(white, axis=1)
    f = np.fft.rfftfreq(n, 1 / sr)
    spec /= np.sqrt(np.maximum(f, 20.0))[None, :]
    pink = np.fft.irfft(spec, n, axis=1)
    pink /= pink.std()
    t = np.arange(n) / sr
    hum = sum(np.sin(2 * np.pi * 50 * h * t + h) / h for h in (1, 2, 3, 5)) * 0.3
    rumble_spec = np.fft.rfft(rng.normal(0, 1, n))
    rumble_spec[f > 120] = 0
    rumble = np.fft.irfft(rumble_spec, n)
    rumble /= rumble.std() + 1e-12
    rumble *= 0.6 + 0.4 * np.sin(2 * np.pi * t / rng.uniform(3, 7))
    return (pink * 0.5 + hum[None, :] + rumble[None, :] * 0.8).astype(np.float32)


def _scaled(x: np.ndarray, level: float) -> np.ndarray:
    return (x * (level / max(active_level(x, GUIDE_SR), 1e-12))).astype(np.float32)


def surface_of(seed: int, surface: str | None = None) -> str:
    return surface or SURFACES[seed % len(SURFACES)]


def mix_guide(truth: WalkerTruth, seed: int, mix: str = "busy", kinds: tuple[str, ...] = KINDS,
              surface: str | None = None, speech_db: tuple[float, float] = (8.0, 10.0)) -> dict:
    """The audio of a busy guide: {"clean", "busy", "step_times", "step_kinds", "speech_db", parts}."""
    surface = surface_of(seed, surface)
    if mix not in MIXES:
        raise ValueError(f"unknown mix {mix!r} (one of {', '.join(MIXES)})")
    rng = np.random.default_rng([seed, 7])
    clean, times, used = footstep_track(truth, rng, kinds, surface)
    others, alone = [], [clean]  # the other walkers' steps (a "two" scene): in one guide, each scored on its own
    for w in range(1, len(truth.step_times_per_walker)):
        more, t_w, _ = footstep_track(truth, rng, kinds, surface, walker=w)
        clean = clean + more
        others.append(t_w)
        alone.append(more)
    step_level = active_level(clean, GUIDE_SR)
    if mix == "no_steps":
        clean, times, used = np.zeros_like(clean), [], []
    sec = truth.duration
    parts: dict[str, np.ndarray] = {}
    sdb = float(rng.uniform(*speech_db))
    if mix in ("busy", "speech", "no_steps"):
        sp = speech_track(sec, rng)[:clean.shape[1]]
        sp = np.pad(sp, (0, clean.shape[1] - len(sp)))
        parts["speech"] = _scaled(_pan(sp, rng.uniform(-0.15, 0.15)), step_level * 10 ** (sdb / 20))
    if mix in ("busy", "music", "drums", "no_steps"):
        parts["music"] = _scaled(music_track(sec, rng)[:, :clean.shape[1]], step_level * 10 ** (rng.uniform(0, 3) / 20))
    if mix == "drums":  # the kit as loud as the steps, give or take 3 dB
        parts["drums"] = _scaled(drum_track(sec, rng)[:, :clean.shape[1]], step_level * 10 ** (rng.uniform(-3, 3) / 20))
    if mix != "clean":
        parts["tone"] = _scaled(room_tone(sec, rng)[:, :clean.shape[1]], step_level * 10 ** (-12 / 20))
    busy = clean + sum(parts.values()) if parts else clean.copy()
    return {"clean": clean, "busy": busy.astype(np.float32), "step_times": times, "step_kinds": used,
            "speech_db": sdb if "speech" in parts else float("nan"), "parts": parts,
            "step_times_per_walker": [times] + others, "clean_per_walker": alone}


def busy_walker_clip(cache_dir: str | Path, scenario: str = "crossing", seed: int = 0, mix: str = "busy",
                     duration: float = 6.0, kinds: tuple[str, ...] = KINDS, surface: str | None = None,
                     size: tuple[int, int] = (640, 360), fps: float = 25.0) -> BusyGuide:
    """A walker clip (H.264 + AAC) whose audio is `mix`, cached in `cache_dir` by its parameters."""
    from stereosync_studio.media.video_writer import write_video

    scene = WalkerScene(scenario, duration, fps, size, seed)
    key = json.dumps({"v": VERSION, "scenario": scenario, "seed": seed, "mix": mix, "duration": duration,
                      "kinds": list(kinds), "surface": surface, "size": list(size), "fps": fps}, sort_keys=True)
    name = f"busy_{scenario}_{mix}_{hashlib.sha1(key.encode()).hexdigest()[:10]}"
    d = Path(cache_dir)
    d.mkdir(parents=True, exist_ok=True)
    clip, data = d / f"{name}.mp4", d / f"{name}.npz"
    truth = scene.truth(clip)
    if clip.is_file() and data.is_file():
        z = np.load(data, allow_pickle=False)
        a = {k: z[k] for k in z.files}
        parts = {k[5:]: v for k, v in a.items() if k.startswith("part_")}
        per = [a["step_times"].tolist()] + [a[f"walker_steps_{w}"].tolist() for w in range(1, 8)
                                            if f"walker_steps_{w}" in a]
        return BusyGuide(truth, str(clip), a["clean"], a["busy"], a["step_times"].tolist(),
                         [str(k) for k in a["step_kinds"]], float(a["speech_db"]), GUIDE_SR, parts,
                         surface_of(seed, surface), per)
    m = mix_guide(truth, seed, mix, kinds, surface)
    write_video(clip, (scene.render(i) for i in range(scene.n_frames)), fps, audio=m["busy"], sample_rate=GUIDE_SR)
    np.savez(data, clean=m["clean"], busy=m["busy"], step_times=np.asarray(m["step_times"]),
             step_kinds=np.asarray(m["step_kinds"], dtype=str), speech_db=m["speech_db"],
             **{f"part_{k}": v for k, v in m["parts"].items()},
             **{f"walker_steps_{w}": np.asarray(t) for w, t in enumerate(m["step_times_per_walker"]) if w})
    return BusyGuide(truth, str(clip), m["clean"], m["busy"], m["step_times"], m["step_kinds"], m["speech_db"],
                     GUIDE_SR, m["parts"], surface_of(seed, surface), m["step_times_per_walker"])


# ----------------------------------------------------------------------------- scoring

def heard_pan_error(audio: np.ndarray, sr: int, truth: WalkerTruth) -> float:
    """Mean |heard pan - the box centre's screen position| over the loud 100 ms windows."""
    from stereosync_studio.metrics.spatial_alignment import heard_positions

    heard = heard_positions(audio, sr)
    tf = np.arange(truth.n_frames) / truth.fps
    cx = 0.5 * (truth.boxes[:, 0] + truth.boxes[:, 2])
    want = np.clip((np.interp(heard.times, tf, cx) - truth.width / 2) / (truth.width / 2), -1, 1)
    a = heard.active
    return float(np.mean(np.abs(heard.pan[a] - want[a]))) if a.any() else float("nan")


def take_figures(g: BusyGuide, seed: int = 0) -> dict[str, float]:
    """Before / after figures of one busy clip, each take made with the clip's own surface.

    before: the old `auto` (the guide's plain RMS, steps at its peaks, 90 deg lens panning);
    after: `jobs.analyze_clip` defaults (footsteps fused with the picture, screen panning).
    Step F1 against the true steps (+-50 ms), E-L1 against the clean footstep track over its
    silence baseline, heard pan error against the true box (`heard_pan_error`)."""
    from stereosync_studio import jobs
    from stereosync_studio.analysis.envelope_audio import envelope_from_audio
    from stereosync_studio.core.progress import CancelToken
    from stereosync_studio.core.project import Reference
    from stereosync_studio.dsp.onsets import detect_step_onsets
    from stereosync_studio.dsp.rms import envelope_l1, rms_envelope
    from stereosync_studio.engines.base import get_engine
    from stereosync_studio.metrics.onsets import onset_f1

    project = jobs.analyze_clip(g.path)
    src = project.source()
    src.reference = Reference(files=g.surface_files())
    before = src.copy()
    before.envelope = envelope_from_audio(jobs.read_guide(g.path), GUIDE_SR).with_duration(project.clip.duration)
    before.trajectory = jobs.with_pan_mapping(src.trajectory, src.track, project.clip, "lens", 1.0, 90.0)
    engine = get_engine("sampler")
    clean = rms_envelope(g.clean, g.sample_rate)
    base = float(np.mean(clean))
    out = {"guide_f1": onset_f1(detect_step_onsets(g.busy, g.sample_rate), g.step_times)["f1"],
           "pan_guide": heard_pan_error(g.clean, g.sample_rate, g.walker)}
    for name, source in (("before", before), ("after", src)):
        take = engine.generate(jobs.build_request(project, source, seed), lambda *a: None, CancelToken())
        out[f"f1_{name}"] = onset_f1(detect_step_onsets(take.audio, take.sample_rate), g.step_times)["f1"]
        out[f"el1_{name}"] = envelope_l1(rms_envelope(take.audio, take.sample_rate), clean) / base
        out[f"pan_{name}"] = heard_pan_error(take.audio, take.sample_rate, g.walker)
    out["steps_found"] = float(len(src.envelope.steps() or []))
    out["events_f1"] = onset_f1(src.envelope.steps() or [], g.step_times)["f1"]
    return {k: float(v) for k, v in out.items()}



__all__ = ["BusyGuide", "MIXES", "KINDS", "SURFACES", "active_level", "busy_walker_clip", "footstep", "footstep_track",
           "drum_track", "formant_speech", "heard_pan_error", "mix_guide", "music_track", "room_tone", "speech_track",
           "surface_of", "surface_samples", "take_figures"]

"""The onset of a step heard near a foot contact (analysis/step_onset.py)."""

import numpy as np

from stereosync_studio.analysis.step_onset import contact_sigma, fine_onset, heard_onsets, sound_offset

SR = 48000


def _guide(seed: int = 0, duration: float = 6.0, toe: bool = True):
    """Room tone 12 dB under the steps (as tests/busy_guide.py), a voiced syllable 8 dB over
    them already sounding when each step lands, and broadband heel-toe steps (the toe as
    loud, 60 ms later) every 0.5 s: (audio, true onsets)."""
    rng = np.random.default_rng(seed)
    n = int(duration * SR)
    x = 0.0055 * rng.normal(size=n)
    onsets = 0.4 + 0.5 * np.arange(11) + rng.uniform(-0.02, 0.02, 11)
    t = np.arange(int(0.3 * SR)) / SR
    m = int(0.15 * SR)
    hit = lambda: rng.normal(size=m) * np.exp(-np.arange(m) / (0.02 * SR))  # noqa: E731
    for s in onsets:
        a = int((s - 0.12) * SR)
        f0 = rng.uniform(120, 220)
        syl = sum(np.sin(2 * np.pi * k * f0 * t) / k for k in range(1, 12)) * np.minimum(t / 0.02, 1.0)
        x[a:a + len(t)] += 0.063 * syl * np.minimum(1.0, np.exp(-(t - 0.15) / 0.05))
        for d in (0.0, 0.06) if toe else (0.0,):
            i = int(round((s + d) * SR))
            x[i:i + m] += 0.05 * hit()
    return x.astype(np.float32), onsets


def test_onset_is_the_heel_under_the_syllable_not_the_toe():
    audio, onsets = _guide()
    contacts = list(onsets - 0.012)
    found = heard_onsets(audio, SR, contacts)
    err = np.abs(np.array(found, dtype=float) - onsets)
    assert all(f is not None for f in found)
    assert np.median(err) < 0.003, err
    assert np.max(err) < 0.008, err


def test_one_offset_between_picture_and_sound_is_found():
    audio, onsets = _guide(seed=1, toe=False)
    late = list(onsets + 0.045)  # the picture's contacts 45 ms late (a sync offset)
    assert abs(sound_offset(audio, SR, late) + 0.045) < 0.006
    err = np.abs(np.array(heard_onsets(audio, SR, late), dtype=float) - onsets)
    assert np.median(err) < 0.003, err


def test_no_onset_in_silence_and_unsure_contacts_search_wider():
    silent = np.zeros(SR, np.float32)
    assert fine_onset(silent, SR, 0.5) is None
    assert heard_onsets(silent, SR, [0.3, 0.6]) == [None, None]
    assert heard_onsets(silent, SR, []) == []
    assert contact_sigma(0.25) > contact_sigma(0.9) >= contact_sigma(None)


def test_another_subjects_step_is_not_taken():
    audio, onsets = _guide(seed=2, toe=False)  # every step here is another walker's
    mine = list(onsets + 0.03)  # this subject's contacts, 30 ms after theirs, unheard
    taken = [f for f in heard_onsets(audio, SR, mine) if f is not None]
    assert sum(np.min(np.abs(onsets - f)) < 0.005 for f in taken) >= 8  # alone, it takes theirs
    found = heard_onsets(audio, SR, mine, others=list(onsets))
    assert all(f is None or np.min(np.abs(onsets - f)) > 0.01 for f in found), found

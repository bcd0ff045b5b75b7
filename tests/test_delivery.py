"""Delivery: stems at the clip's timecode, REAPER and AAF sessions, loudness, reverb stems.

Every output is read back with an independent library: `rpp` for the REAPER project, `pyaaf2`
for the AAF, soundfile for lengths, a plain RIFF parse for the BWF time reference, and
FFmpeg's own EBU R128 meter (libavfilter `ebur128`, through PyAV) for loudness and true peak.
"""

from __future__ import annotations

import json
import struct
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest
import soundfile as sf

from stereosync_studio import jobs
from stereosync_studio.cli import main
from stereosync_studio.core.errors import InputError
from stereosync_studio.core.project import Reference
from stereosync_studio.media.timecode import clip_timecode, parse_timecode
from tests.walker import cached_walker_clip

SNOW = str(Path(__file__).resolve().parents[1] / "resources" / "samples" / "snow")
SR = 48000


def with_timecode(src: Path, dst: Path, tc: str) -> Path:
    """A copy of a clip whose video stream carries a start timecode (an mp4 `tmcd` track)."""
    with av.open(str(src)) as inp, av.open(str(dst), "w") as out:
        streams = {}
        for s in inp.streams:
            o = out.add_stream_from_template(s)
            if s.type == "video":
                o.metadata["timecode"] = tc
            streams[s.index] = o
        for pkt in inp.demux():
            if pkt.dts is None:
                continue
            pkt.stream = streams[pkt.stream.index]
            out.mux(pkt)
    return dst


def bwf_time_reference(path: Path) -> int:
    """TimeReference of the `bext` chunk, parsed here from the RIFF bytes (EBU Tech 3285)."""
    data = path.read_bytes()
    pos = 12
    while pos + 8 <= len(data):
        cid, size = data[pos:pos + 4], struct.unpack_from("<I", data, pos + 4)[0]
        if cid == b"bext":
            lo, hi = struct.unpack_from("<II", data, pos + 8 + 256 + 32 + 32 + 10 + 8)
            return lo | (hi << 32)
        pos += 8 + size + (size & 1)
    raise AssertionError("no bext chunk")


def ffmpeg_r128(path: Path) -> dict[str, float]:
    """FFmpeg's EBU R128 meter: integrated loudness (LUFS) and true peak (dBTP)."""
    audio, sr = sf.read(str(path), dtype="float32", always_2d=True)
    graph = av.filter.Graph()
    src = graph.add_abuffer(format="fltp", sample_rate=sr, layout="stereo", channels=2)
    meter = graph.add("ebur128", "metadata=1:peak=true")
    sink = graph.add("abuffersink")
    src.link_to(meter)
    meter.link_to(sink)
    graph.configure()
    last: dict = {}
    hop = sr // 10
    for i in range(0, len(audio), hop):
        frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(audio[i:i + hop].T), format="fltp", layout="stereo")
        frame.sample_rate, frame.pts, frame.time_base = sr, i, Fraction(1, sr)
        graph.push(frame)
        while True:
            try:
                last = dict(graph.pull().metadata)
            except (av.error.BlockingIOError, av.error.EOFError):
                break
    return {"lufs": float(last["lavfi.r128.I"]), "dbtp": 20 * np.log10(float(last["lavfi.r128.true_peak"]))}


@pytest.fixture(scope="module")
def rendered(cache_dir, tmp_path_factory):
    """A clip at 01:00:00:00 (25 fps), analysed, two takes in a small room (reverb kept)."""
    walker = cached_walker_clip(cache_dir, scenario="crossing", duration=1.5, fps=25, size=(320, 240), seed=3)
    root = tmp_path_factory.mktemp("delivery")
    clip = with_timecode(Path(walker.path), root / "scene.mp4", "01:00:00:00")
    project = jobs.analyze_clip(clip)
    src = project.source()
    src.reference = Reference(SNOW)
    src.engine_options.update(space="small-room", reverb_stem=True)
    takes = jobs.render_takes(project, root / "takes", n_takes=2, seed=1)
    project.save(root / "scene.stereosync.json")
    return project, takes, root


def test_timecode_from_metadata_and_drop_frame():
    tc = parse_timecode("01:00:00;00", 29.97)
    assert tc.drop and tc.frames == 107892 and str(tc) == "01:00:00;00"
    assert str(parse_timecode("00:10:00;00", 29.97)) == "00:10:00;00"
    assert str(type(tc)(1800, tc.fps, True)) == "00:01:00;02"  # frames 00 and 01 of minute 1 are skipped
    assert parse_timecode("10:00:00:00", 25).samples(48000) == 36000 * 48000
    with pytest.raises(ValueError):
        parse_timecode("01:00:00:25", 25)


def test_export_writes_daw_sessions_at_the_clip_timecode(rendered, tmp_path):
    project, takes, _ = rendered
    assert str(clip_timecode(project.clip.path)) == "01:00:00:00"
    out = jobs.export_stems(project, [("subject1", t) for t in takes], tmp_path, daw="reaper,aaf")
    n = int(round(project.clip.duration * SR))
    stems = list(out) + out.reverb
    assert [p.name for p in out] == ["scene_subject1_take01.wav", "scene_subject1_take02.wav"]
    assert [p.name for p in out.reverb] == ["scene_subject1_take01_reverb.wav", "scene_subject1_take02_reverb.wav"]
    for p in stems:
        assert sf.info(str(p)).frames == n
        assert bwf_time_reference(p) == 3600 * SR  # 01:00:00:00 in samples since midnight

    import rpp

    with open(out.daw["reaper"]) as fh:
        session = rpp.load(fh)
    offs = session.find("PROJOFFS")
    assert float(offs[1]) == pytest.approx(3600.0)
    tracks = session.findall("TRACK")
    names = [t.find("NAME")[1] for t in tracks]
    assert names == ["video", "scene_subject1", "scene_subject1_reverb"]
    video = tracks[0].find("ITEM").find("SOURCE")
    assert video.attrib == ["VIDEO"] and Path(video.find("FILE")[1]) == Path(project.clip.path).resolve()
    items = [i for t in tracks[1:] for i in t.findall("ITEM")]
    assert len(items) == 4
    for item, path in zip(items, stems[:2] + stems[2:]):
        assert round(float(item.find("POSITION")[1]) * SR) == 0
        assert round(float(item.find("LENGTH")[1]) * SR) == sf.info(str(path)).frames
        assert Path(item.find("SOURCE").find("FILE")[1]) == path.resolve()
    assert [i.find("MUTE")[1] for i in items] == ["0", "1", "0", "1"]  # one take heard per track
    markers = [float(m[2]) for m in session.findall("MARKER")]
    assert markers == pytest.approx(jobs.planned_steps(project.source().envelope.with_duration(
        project.clip.duration), project.source().engine_options), abs=1e-6)
    assert len(markers) >= 2

    import aaf2

    with aaf2.open(str(out.daw["aaf"]), "r") as f:
        comp = next(f.content.compositionmobs())
        slots = list(comp.slots)
        tc = [s.segment for s in slots if s.media_kind == "Timecode"][0]
        assert tc["Start"].value == 3600 * 25 and tc["FPS"].value == 25
        sound = [s for s in slots if s.media_kind == "Sound"]
        assert len(sound) == 2 * len(stems)  # a mono slot per channel of every stem
        linked = {}
        for slot in sound:
            clip = slot.segment.components[0]
            assert clip.start == 0 and clip.length == n and slot.edit_rate == SR
            source = clip.mob.slot_at(clip.slot_id).segment.components[0].mob
            url = source.descriptor["Locator"][0]["URLString"].value
            linked[clip.mob.name] = url
            tape = source.slot_at(1).segment.components[0].mob
            tape_tc = [s.segment for s in tape.slots if s.media_kind == "Timecode"][0]
            assert tape_tc["Start"].value == 3600 * 25
        assert linked == {p.stem: p.resolve().as_uri() for p in stems}


def test_reverb_stem_and_dry_stem_sum_to_the_take(rendered, tmp_path):
    project, takes, _ = rendered
    out = jobs.export_stems(project, [("subject1", takes[0])], tmp_path, sample_rate=SR, bits=32)
    take, _ = sf.read(takes[0].path, dtype="float32")
    dry, _ = sf.read(str(out[0]), dtype="float32")
    wet, _ = sf.read(str(out.reverb[0]), dtype="float32")
    n = min(len(take), len(dry))
    assert np.max(np.abs(dry[:n] + wet[:n] - take[:n])) < 2e-4  # 24-bit take on disk
    assert 10 * np.log10(np.sum(wet ** 2) / np.sum(dry ** 2)) > -20.0  # a room is heard
    plain = jobs.export_stems(project, [("subject1", takes[0])], tmp_path / "mixed", reverb_stem=False)
    assert plain.reverb == [] and sf.read(str(plain[0]))[0].shape == take.shape


@pytest.mark.parametrize("target", [-23.0, -14.0])
def test_loudness_normalised_stems_meet_target_and_ceiling(rendered, tmp_path, target):
    project, takes, _ = rendered
    out = jobs.export_stems(project, [("subject1", t) for t in takes], tmp_path, loudness=target, reverb_stem=False)
    for p in out:
        m = ffmpeg_r128(p)
        assert m["lufs"] == pytest.approx(target, abs=0.1)
        assert m["dbtp"] <= -1.0
        assert out.loudness[p.name]["lufs_integrated"] == pytest.approx(target, abs=0.1)
        assert out.loudness[p.name]["true_peak_dbtp"] <= -1.0


def test_eval_json_has_loudness_matching_ffmpeg(rendered, tmp_path):
    project, takes, root = rendered
    dest = tmp_path / "m.json"
    assert main(["-q", "eval", takes[0].path, "--project", str(root / "scene.stereosync.json"), "-o", str(dest)]) == 0
    metrics = json.loads(dest.read_text())
    ref = ffmpeg_r128(Path(takes[0].path))
    assert metrics["lufs_integrated"] == pytest.approx(ref["lufs"], abs=0.1)
    assert metrics["true_peak_dbtp"] == pytest.approx(ref["dbtp"], abs=0.2)
    assert metrics["lufs_short_term_max"] <= metrics["true_peak_dbtp"]
    assert takes[0].metrics["lufs_integrated"] == pytest.approx(metrics["lufs_integrated"], abs=0.01)


def test_export_cli_flags_and_bad_inputs(rendered, tmp_path, capsys):
    project, takes, root = rendered
    proj = str(root / "scene.stereosync.json")
    rc = main(["-q", "export", proj, "-o", str(tmp_path / "cli"), "--daw", "reaper", "--loudness", "-23",
               "--timecode", "10:00:00:00", "--no-reverb-stem"])
    assert rc == 0
    wav = sorted((tmp_path / "cli").glob("*take01.wav"))[0]
    assert bwf_time_reference(wav) == 36000 * SR and (tmp_path / "cli" / "scene.rpp").is_file()
    assert ffmpeg_r128(wav)["lufs"] == pytest.approx(-23.0, abs=0.1)
    blocker = tmp_path / "a_file"
    blocker.write_text("x")
    assert main(["-q", "export", proj, "-o", str(blocker / "stems")]) == 2
    err = capsys.readouterr().err
    assert "a_file" in err and err.count("\n") == 1
    assert main(["-q", "export", proj, "-o", str(tmp_path / "x"), "--daw", "cubase"]) == 2
    assert "cubase" in capsys.readouterr().err


def test_a_failed_write_names_the_file_and_keeps_finished_stems(rendered, tmp_path, monkeypatch):
    project, takes, _ = rendered
    from stereosync_studio.media import audio

    real = audio.write_wav

    def failing(path, *a, **k):
        if "take02" in Path(path).name:
            raise PermissionError(13, "Permission denied", str(path))
        return real(path, *a, **k)

    monkeypatch.setattr(audio, "write_wav", failing)
    with pytest.raises(InputError, match="take02.wav.*already written are kept"):
        jobs.export_stems(project, [("subject1", t) for t in takes], tmp_path, reverb_stem=False)
    assert [p.name for p in tmp_path.glob("*.wav")] == ["scene_subject1_take01.wav"]

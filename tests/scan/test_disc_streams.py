"""Stream details of discs from their navigation files: a DVD's VTS_xx_0.IFO (the audio and
subtitle languages a VOB does not carry, the film's playback time) and a Blu-ray's
BDMV/PLAYLIST/*.mpls (the main feature, spread over many .m2ts clips by seamless branching, and
the languages its .m2ts do not carry).

The IFO and MPLS bytes are built here field by field, as the players' own parsers read them:
libdvdread src/dvdread/ifo_types.h (vtsi_mat_t, audio_attr_t, subp_attr_t, pgcit_t, pgc_t) and
src/ifo_read.c; libbluray src/libbluray/bdnav/mpls_parse.c (_parse_header, _parse_appinfo,
_parse_playlist, _parse_playitem, _parse_stn, _parse_stream, _parse_playlistmark).

Checked against the libraries themselves:
- libdvdread 6.1.3 (Debian's libdvdread8): ifoOpenVTSI reads FILM_IFO as 3 audio streams (ac3 en
  6ch, ac3 fr 6ch, dts en 6ch) and 4 subpicture streams (en, fr, de, none); ifoRead_PGCIT reads
  its program chains as 01:57:03 frame_u 0x52 and 00:02:10 frame_u 0xd5.
- libbluray, through `ffprobe bluray:<folder>` (ffmpeg 5.1): bluray()'s 00800.mpls is 2:26:40,
  00001.mpls 0:15:00, the looping 00002.mpls of the obfuscation test is left out, and 00800.mpls
  is selected. libbluray 1.3.4's bd_get_playlist_info (through ctypes) reads the STN tables of
  _film_with_streams as the tests expect: clip 00011's audio 0x1100 DTS-HD MA "fre", PG 0x1200
  "ger" and text 0x1800 "dut", with and without a second angle.
"""

from __future__ import annotations

import contextlib
import logging
import os
import struct
from pathlib import Path

import pytest

from metarrd.scan import discs
from metarrd.scan.discs import read_ifo_streams, read_playlist
from metarrd.scan.streams import (
    AudioStream,
    SubtitleStream,
    disc_stream_file,
    disc_title_files,
    read_stream_details,
)

from .conftest import MEDIA, put

VOB = MEDIA / "mpeg2_mp2.mpg"  # MPEG-2 video + MPEG-1 Layer II audio in a program stream, 1 s
M2TS = MEDIA / "h264_ac3.m2ts"  # H.264 + AC-3 in a 192-byte-packet transport stream, 1 s

# --- a DVD title set's IFO -------------------------------------------------------------------

AC3, MPEG1, LPCM, DTS = 0, 2, 4, 6  # audio_attr_t.audio_format


def audio_attr(fmt: int, lang: bytes | None, channels: int) -> bytes:
    """audio_attr_t, 8 bytes: format(3) multichannel_ext(1) lang_type(2) application_mode(2) |
    quantization(2) sample_frequency(2) unknown(1) channels-1(3) | lang_code(16) |
    lang_extension | code_extension | unknown | app_info."""
    lang_type = 1 if lang is not None else 0
    return bytes([fmt << 5 | lang_type << 2, channels - 1]) + (lang or b"\0\0") + b"\0\0\0\0"


def subp_attr(lang: bytes | None) -> bytes:
    """subp_attr_t, 6 bytes: code_mode(3) zero(3) type(2) | zero | lang_code(16) | lang_extension
    | code_extension. type 1: the language code is set."""
    return bytes([1 if lang is not None else 0, 0]) + (lang or b"\0\0") + b"\0\0"


def dvd_time(hours: int, minutes: int, seconds: int, frames: int = 0, fps: int = 25) -> bytes:
    """dvd_time_t: hour, minute, second in BCD; the frame rate (01: 25, 11: 29.97) in the top 2
    bits of the last byte, the frames in BCD below."""

    def bcd(n: int) -> int:
        return (n // 10) << 4 | n % 10

    return bytes(
        [bcd(hours), bcd(minutes), bcd(seconds), (1 if fps == 25 else 3) << 6 | bcd(frames)]
    )


def pgcit(chains: list[bytes], count: int | None = None) -> bytes:
    """VTS_PGCIT: pgcit_t (count, zero, last byte), a pgci_srp_t per program chain (entry id:
    an entry PGC of title n, block flags, parental mask, start byte), then the PGCs (pgc_t,
    PGC_SIZE 236 bytes: zero, program and cell counts, playback_time...)."""
    starts = 8 + 8 * len(chains)
    pointers = b"".join(
        bytes([0x80 | (n + 1), 0]) + bytes(2) + struct.pack(">I", starts + 236 * n)
        for n in range(len(chains))
    )
    pgcs = b"".join(bytes(4) + time + bytes(228) for time in chains)  # no programs, no cells
    last_byte = starts + 236 * len(chains) - 1
    n = len(chains) if count is None else count
    return struct.pack(">HHI", n, 0, last_byte) + pointers + pgcs


def vts_ifo(
    audio: list[bytes] = (),  # type: ignore[assignment]
    subtitles: list[bytes] = (),  # type: ignore[assignment]
    *,
    n_audio: int | None = None,
    n_subp: int | None = None,
    chains: bytes | None = None,
    pgcit_sector: int = 2,
) -> bytes:
    """A VTS_xx_0.IFO: its first sector (vtsi_mat_t) with the title set's stream tables, a
    VTS_PTT_SRPT sector, then the VTS_PGCIT `chains` (none: no table, its sector 0)."""
    head = bytearray(2048)
    head[0x000:0x00C] = b"DVDVIDEO-VTS"  # vts_identifier
    struct.pack_into(">I", head, 0x00C, 0x0005_B1F7)  # vts_last_sector
    struct.pack_into(">I", head, 0x01C, 0x0000_0017)  # vtsi_last_sector
    head[0x021] = 0x10  # specification_version 1.0
    struct.pack_into(">I", head, 0x080, 0x0000_07FF)  # vtsi_last_byte
    struct.pack_into(">I", head, 0x0C4, 0x0000_0018)  # vtstt_vobs: the title VOBs' sector
    if chains is not None:
        struct.pack_into(">I", head, 0x0C8, 1)  # vts_ptt_srpt
        struct.pack_into(">I", head, 0x0CC, pgcit_sector)  # vts_pgcit
    head[0x200:0x202] = b"\x5d\x01"  # vts_video_attr: MPEG-2, PAL, 16:9
    struct.pack_into(">H", head, 0x202, len(audio) if n_audio is None else n_audio)
    for i, attr in enumerate(audio):
        head[0x204 + 8 * i : 0x20C + 8 * i] = attr
    struct.pack_into(">H", head, 0x254, len(subtitles) if n_subp is None else n_subp)
    for i, attr in enumerate(subtitles):
        head[0x256 + 6 * i : 0x25C + 6 * i] = attr
    table = chains or b""
    table += bytes(-len(table) % 2048)
    return bytes(head) + bytes(2048) + table + bytes(2048 * 2)


FILM_CHAINS = pgcit([dvd_time(1, 57, 3, 12), dvd_time(0, 2, 10, 15, fps=30)])
FILM_SECONDS_DVD = 7023  # 1:57:03 and 12 frames at 25 fps; the other chain is the trailer


FILM_IFO = vts_ifo(
    [audio_attr(AC3, b"en", 6), audio_attr(AC3, b"fr", 6), audio_attr(DTS, b"en", 6)],
    [subp_attr(b"en"), subp_attr(b"fr"), subp_attr(b"de"), subp_attr(None)],
    chains=FILM_CHAINS,
)
FILM_AUDIO = [
    AudioStream(codec="ac3", language="eng", channels=6),
    AudioStream(codec="ac3", language="fre", channels=6),
    AudioStream(codec="dts", language="eng", channels=6),
]
FILM_SUBTITLES = [
    SubtitleStream(language="eng"),
    SubtitleStream(language="fre"),
    SubtitleStream(language="ger"),
    SubtitleStream(language=""),
]


def dvd(movie: Path, ifo: bytes | None = FILM_IFO, title_set: str = "VTS_01") -> Path:
    video_ts = movie / "VIDEO_TS"
    put(video_ts, f"{title_set}_1.VOB", VOB)
    (video_ts / "VIDEO_TS.IFO").write_bytes(b"DVDVIDEO-VMG" + bytes(2036))
    if ifo is not None:
        (video_ts / f"{title_set}_0.IFO").write_bytes(ifo)
    return video_ts


def test_a_dvds_audio_and_subtitle_languages_come_from_its_ifo(tmp_path):
    # Before: the VOB's MPEG audio with no language, and no subtitles at all in the NFO.
    movie = tmp_path / "Alien (1979)"
    dvd(movie)

    details = read_stream_details(movie)

    assert details.video[0].codec == "mpeg2video"
    assert details.audio == FILM_AUDIO
    assert details.subtitles == FILM_SUBTITLES


def test_the_main_title_sets_ifo_is_read_not_another(tmp_path):
    movie = tmp_path / "Alien (1979)"
    video_ts = dvd(movie, vts_ifo([audio_attr(AC3, b"it", 2)]), title_set="VTS_01")  # a bonus
    dvd(movie, FILM_IFO, title_set="VTS_02")
    film = video_ts / "VTS_02_1.VOB"
    film.write_bytes(film.read_bytes() + bytes(4096))  # the larger title set: the film
    dvd_files = disc_title_files(movie)

    details = read_stream_details(movie)

    assert dvd_files == [film]
    assert details.audio == FILM_AUDIO


def test_the_ifos_backup_is_read_when_the_ifo_is_missing(tmp_path):
    movie = tmp_path / "Alien (1979)"
    video_ts = dvd(movie, ifo=None)
    (video_ts / "vts_01_0.bup").write_bytes(FILM_IFO)  # as libdvdread falls back to the .BUP

    assert read_stream_details(movie).audio == FILM_AUDIO


def test_a_dvd_in_the_movie_folder_itself_reads_its_ifo(tmp_path):
    movie = tmp_path / "Alien (1979)"
    put(movie, "VTS_01_1.VOB", VOB)
    (movie / "VIDEO_TS.IFO").write_bytes(b"DVDVIDEO-VMG" + bytes(2036))
    (movie / "VTS_01_0.IFO").write_bytes(FILM_IFO)

    assert read_stream_details(movie).subtitles == FILM_SUBTITLES


def test_ifo_streams_as_libdvdread_reads_them(tmp_path):
    ifo = tmp_path / "VTS_01_0.IFO"
    ifo.write_bytes(
        vts_ifo(
            [audio_attr(LPCM, b"ja", 2), audio_attr(MPEG1, None, 2), audio_attr(7, b"en", 1)],
            [subp_attr(b"zh")],
        )
    )

    declared = read_ifo_streams(ifo)

    assert [(a.codec, a.language, a.channels) for a in declared.audio] == [
        ("pcm", "jpn", 2),
        ("mp2", "", 2),  # lang_type 0: no language
        ("", "eng", 1),  # a format the DVD spec leaves unused: no codec name
    ]
    assert [s.language for s in declared.subtitles] == ["chi"]


def _fifo(path: Path) -> None:
    path.unlink(missing_ok=True)
    os.mkfifo(path)


def _to_dev_zero(path: Path) -> None:
    """A symlink to a device: followed (no `libraries` given), then refused by its fstat."""
    path.unlink(missing_ok=True)
    path.symlink_to("/dev/zero")


HOSTILE_IFOS = {
    "truncated": (lambda p: p.write_bytes(FILM_IFO[:0x230]), "truncated: 560 bytes"),
    "255 audio streams": (
        lambda p: p.write_bytes(vts_ifo(n_audio=255)),
        "says 255 audio streams, a DVD has at most 8",
    ),
    "255 subtitle streams": (
        lambda p: p.write_bytes(vts_ifo(n_subp=255)),
        "says 255 subtitle streams, a DVD has at most 32",
    ),
    "not an IFO": (lambda p: p.write_bytes(bytes(2048)), "no DVDVIDEO-VTS header"),
    "empty": (lambda p: p.write_bytes(b""), "no DVDVIDEO-VTS header"),
    "a FIFO": (_fifo, "a FIFO (named pipe), not a regular file"),
    "a folder": (lambda p: (p.unlink(), p.mkdir()), "not a regular file"),
    "a link to /dev/zero": (_to_dev_zero, "a character device, not a regular file"),
}


@pytest.mark.parametrize("case", sorted(HOSTILE_IFOS))
def test_a_hostile_ifo_is_refused_with_a_reason_and_the_scan_goes_on(
    tmp_path, caplog, finishes, case
):
    make, reason = HOSTILE_IFOS[case]
    movie = tmp_path / "Alien (1979)"
    ifo = dvd(movie) / "VTS_01_0.IFO"
    make(ifo)

    with caplog.at_level(logging.WARNING, logger="metarrd.scan.streams"):
        details = finishes(lambda: read_stream_details(movie), 60)  # a FIFO is never waited on

    assert details.video[0].codec == "mpeg2video"
    assert [(a.codec, a.language) for a in details.audio] == [("mp2", "")]  # MediaInfo's
    assert f"{ifo}: " in caplog.text
    assert reason in caplog.text
    assert "audio and subtitle languages left unknown" in caplog.text


def test_an_unreadable_ifo_is_refused_with_a_reason(tmp_path, caplog, monkeypatch):
    movie = tmp_path / "Alien (1979)"
    ifo = dvd(movie) / "VTS_01_0.IFO"
    real_open = discs.open_regular

    def refuse(path, *args, **kwargs):
        if Path(path) == ifo:  # as chmod 000 does, also when the tests run as root
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(discs, "open_regular", refuse)
    with caplog.at_level(logging.WARNING, logger="metarrd.scan.streams"):
        details = read_stream_details(movie)

    assert details.video[0].codec == "mpeg2video"
    assert f"{ifo}: permission denied" in caplog.text


def test_garbage_language_bytes_are_no_language_and_said_so(tmp_path, caplog):
    movie = tmp_path / "Alien (1979)"
    garbage = vts_ifo(
        [audio_attr(AC3, b"\xff\x07", 6), audio_attr(AC3, b"qq", 2), audio_attr(AC3, b"de", 2)],
        [subp_attr(b"\x00\x01")],
    )
    dvd(movie, garbage)

    with caplog.at_level(logging.WARNING, logger="metarrd.scan.streams"):
        details = read_stream_details(movie)

    assert details.audio == [
        AudioStream(codec="ac3", language="", channels=6),
        AudioStream(codec="ac3", language="", channels=2),
        AudioStream(codec="ac3", language="ger", channels=2),
    ]
    assert details.subtitles == [SubtitleStream(language="")]
    assert "audio stream 1: language bytes ff07 are not a language code" in caplog.text
    assert "audio stream 2: 'qq' is not a language code" in caplog.text
    assert "subtitle stream 1: language bytes 0001 are not a language code" in caplog.text


def test_only_the_ifos_headers_are_read(tmp_path, monkeypatch):
    ifo = tmp_path / "VTS_01_0.IFO"
    ifo.write_bytes(FILM_IFO + bytes(10 * 1024 * 1024))  # a large IFO: its cell and VOBU maps
    read = []
    real_open = discs.open_regular

    @contextlib.contextmanager
    def counting(path, *args, **kwargs):
        with real_open(path, *args, **kwargs) as handle:
            real_read = handle.read
            handle.read = lambda n=-1: read.append(len(data := real_read(n))) or data
            yield handle

    monkeypatch.setattr(discs, "open_regular", counting)
    declared = read_ifo_streams(ifo)

    assert (len(declared.audio), declared.duration_seconds) == (3, FILM_SECONDS_DVD)
    assert sum(read) < 2048 + 100  # the VTSI_MAT, the PGCIT's pointers, 8 bytes of each PGC


def test_a_dvds_duration_is_its_longest_program_chain(tmp_path):
    # Before: the sum of the title set's VOBs, each read by MediaInfo (here 1 s each). A DVD
    # with both cuts of a film (seamless branching) has VOBs of their union; the chain is one.
    movie = tmp_path / "Alien (1979)"
    video_ts = dvd(movie)
    put(video_ts, "VTS_01_2.VOB", VOB)

    assert read_stream_details(movie).video[0].duration_seconds == FILM_SECONDS_DVD


def test_dvd_playback_times_as_libdvdnav_converts_them(tmp_path):
    ifo = tmp_path / "VTS_01_0.IFO"
    chains = [dvd_time(0, 59, 59, 29, fps=30), dvd_time(0, 59, 59, 24), dvd_time(0, 0, 1, 12)]
    ifo.write_bytes(vts_ifo(chains=pgcit(chains)))

    assert read_ifo_streams(ifo).duration_seconds == 3600  # 59:59 + 29/29.97 s


HOSTILE_CHAINS = {
    "a table past the end of the file": (
        vts_ifo(chains=FILM_CHAINS, pgcit_sector=90_000),
        "no program chain table at sector 90000: duration from the VOBs",
    ),
    "65535 program chains": (
        vts_ifo(chains=pgcit([dvd_time(1, 0, 0)], count=65535)),
        "says 65535 program chains: duration from the VOBs",
    ),
    "a truncated table": (
        vts_ifo(chains=pgcit([dvd_time(1, 0, 0)], count=2000)),
        "the program chain table is truncated: duration from the VOBs",
    ),
    "playback times that are not BCD": (
        vts_ifo(chains=pgcit([b"\x1a\x00\x00\x40", b"\x01\x99\x00\x40"])),
        "program chain 2: no playback time, left out",
    ),
}


@pytest.mark.parametrize("case", sorted(HOSTILE_CHAINS))
def test_a_hostile_program_chain_table_is_said_and_the_vobs_give_the_duration(
    tmp_path, caplog, case
):
    ifo_bytes, reason = HOSTILE_CHAINS[case]
    movie = tmp_path / "Alien (1979)"
    ifo = dvd(movie, ifo_bytes) / "VTS_01_0.IFO"
    put(movie / "VIDEO_TS", "VTS_01_2.VOB", VOB)

    with caplog.at_level(logging.WARNING, logger="metarrd.scan.streams"):
        details = read_stream_details(movie)

    assert details.video[0].duration_seconds == 2  # its two VOBs', as before
    assert f"{ifo}: {reason}" in caplog.text


# --- a Blu-ray's playlists -------------------------------------------------------------------

TICKS = 45_000  # a PlayItem's in/out times are in 45 kHz ticks


def stn_stream(pid: int, attrs: bytes, stream_type: int = 1) -> bytes:
    """A stream_entry (type 1: a stream of the PlayItem's clip, by PID) and its attributes."""
    entry = bytes([stream_type]) + struct.pack(">H", pid) + bytes(6)
    if stream_type == 2:  # a SubPath's clip: subpath_id, subclip_id, then the PID
        entry = bytes([2, 0, 0]) + struct.pack(">H", pid) + bytes(4)
    return bytes([len(entry)]) + entry + bytes([len(attrs)]) + attrs


ENG_AC3 = stn_stream(0x1100, b"\x81\x61eng")  # AC-3, multichannel, 48 kHz, English


def stn(
    audio: tuple[bytes, ...] = (ENG_AC3,),
    subtitles: tuple[bytes, ...] = (stn_stream(0x1200, b"\x90eng\0"),),  # PG, English
    n_audio: int | None = None,
) -> bytes:
    """STN_table of a PlayItem: one H.264 video stream, then the audio and PG streams."""
    counts = [1, len(audio) if n_audio is None else n_audio, len(subtitles), 0, 0, 0, 0, 0]
    body = bytes(2) + bytes(counts) + bytes(4)
    body += stn_stream(0x1011, b"\x1b\x61\0\0\0")  # H.264, 1080p, 23.976
    body += b"".join(audio) + b"".join(subtitles)
    return struct.pack(">H", len(body)) + body


def play_item(
    clip: bytes,
    in_s: float,
    out_s: float,
    codec: bytes = b"M2TS",
    table: bytes | None = None,
    angles: tuple[bytes, ...] = (),
) -> bytes:
    flags = 0x0011 if angles else 0x0001  # is_multi_angle, connection_condition 1
    body = clip + codec + struct.pack(">H", flags)
    body += bytes([0]) + struct.pack(">II", round(in_s * TICKS), round(out_s * TICKS))
    body += bytes(8) + bytes([0x80, 0]) + bytes(2)  # UO mask, random access, still mode/time
    if angles:  # angle count, is_different_audio/is_seamless_angle, each other angle's clip
        body += bytes([1 + len(angles), 0x01]) + b"".join(a + b"M2TS\0" for a in angles)
    body += stn() if table is None else table
    return struct.pack(">H", len(body)) + body


def mpls(items: list[bytes], version: bytes = b"0200", n_items: int | None = None) -> bytes:
    """A .mpls file: header, AppInfoPlayList, PlayList (the PlayItems), PlayListMark."""
    app_info = struct.pack(">IBBH", 14, 0, 1, 0) + bytes(8) + b"\x40\x00"
    list_pos = 40 + len(app_info)
    playlist_body = bytes(2) + struct.pack(">HH", len(items) if n_items is None else n_items, 0)
    playlist_body += b"".join(items)
    playlist = struct.pack(">I", len(playlist_body)) + playlist_body
    mark_pos = list_pos + len(playlist)
    mark = struct.pack(">BBHIHI", 0, 1, 0, 0, 0xFFFF, 0)  # one entry mark: chapter 1
    marks = struct.pack(">IH", 2 + len(mark), 1) + mark
    header = b"MPLS" + version + struct.pack(">III", list_pos, mark_pos, 0) + bytes(20)
    return header + app_info + playlist + marks


FILM = [play_item(b"00010", 10, 2010), play_item(b"00011", 20, 4020), play_item(b"00012", 0, 2800)]
FILM_SECONDS = 2000 + 4000 + 2800


def bluray(movie: Path) -> Path:
    """A seamlessly branched film in three clips, a larger bonus clip, their playlists."""
    bdmv = movie / "BDMV"
    (bdmv / "PLAYLIST").mkdir(parents=True)
    (bdmv / "index.bdmv").write_bytes(b"INDX0200" + bytes(32))
    for clip in ("00010", "00011", "00012"):
        put(bdmv, f"STREAM/{clip}.m2ts", M2TS)
    bonus = put(bdmv, "STREAM/00099.m2ts", M2TS)
    bonus.write_bytes(bonus.read_bytes() + bytes(64 * 1024))  # the largest clip: not the film
    (bdmv / "PLAYLIST" / "00800.mpls").write_bytes(mpls(FILM))
    (bdmv / "PLAYLIST" / "00001.mpls").write_bytes(mpls([play_item(b"00099", 0, 900)]))
    return bdmv


def test_a_blurays_main_title_is_its_longest_playlist_not_its_largest_clip(tmp_path):
    # Before: the largest .m2ts (a 15-minute bonus) gave a 1-second "film".
    movie = tmp_path / "Blade Runner (1982)"
    stream = bluray(movie) / "STREAM"

    details = read_stream_details(movie)

    assert details.video[0].codec == "h264"
    assert details.video[0].duration_seconds == FILM_SECONDS
    assert details.audio == [AudioStream(codec="ac3", language="eng", channels=2)]  # STN's
    assert disc_title_files(movie) == [stream / f"{c}.m2ts" for c in ("00010", "00011", "00012")]
    assert disc_stream_file(movie) == stream / "00011.m2ts"  # the longest PlayItem's clip


def _film_with_streams(movie: Path, table: bytes, angles: tuple[bytes, ...] = ()) -> Path:
    bdmv = bluray(movie)
    items = [play_item(b"00010", 0, 600), play_item(b"00011", 0, 6000, table=table, angles=angles)]
    (bdmv / "PLAYLIST" / "00800.mpls").write_bytes(mpls(items))
    return bdmv


FRE_DTSHD = stn_stream(0x1100, b"\x86\x61fre")  # DTS-HD MA, multichannel, French
GER_PG, DUT_TEXT = stn_stream(0x1200, b"\x90ger\0"), stn_stream(0x1800, b"\x92\x01dut")


def test_a_blurays_languages_are_its_playlists_not_its_clips(tmp_path):
    # A Blu-ray's .m2ts carries no language (tsMuxer writes none for a Blu-ray, as the spec
    # says: MediaArea/MediaInfoLib#1588, justdan96/tsMuxer#684); the playlist's STN has them.
    # The clip here says Japanese, as an off-spec one can: the playlist's French wins (as in
    # libbluray, BDInfo: justdan96/tsMuxer#549).
    movie = tmp_path / "Blade Runner (1982)"
    _film_with_streams(movie, stn(audio=(FRE_DTSHD,), subtitles=(GER_PG, DUT_TEXT)))

    details = read_stream_details(movie)

    assert details.audio == [AudioStream(codec="ac3", language="fre", channels=2)]  # MediaInfo's
    assert details.subtitles == [SubtitleStream(language="ger"), SubtitleStream(language="dut")]


def test_a_playlist_stream_is_matched_to_the_clips_by_pid(tmp_path):
    movie = tmp_path / "Blade Runner (1982)"
    other = stn_stream(0x1101, b"\x81\x61fre")  # a PID the clip does not have
    in_subpath = stn_stream(0x1100, b"\x81\x61ita", stream_type=2)  # a SubPath clip's 0x1100
    _film_with_streams(movie, stn(audio=(other,), subtitles=()))

    assert read_stream_details(movie).audio[0].language == "jpn"  # the clip's own

    _film_with_streams(tmp_path / "Other", stn(audio=(in_subpath,), subtitles=()))
    assert read_stream_details(tmp_path / "Other").audio[0].language == "jpn"  # not that clip's


def test_a_multi_angle_playitems_streams_follow_its_angles(tmp_path):
    movie = tmp_path / "Blade Runner (1982)"
    _film_with_streams(movie, stn(audio=(FRE_DTSHD,)), angles=(b"00012",))

    assert read_stream_details(movie).audio[0].language == "fre"


HOSTILE_STN = {
    "255 audio streams": (stn(n_audio=255), "the STN table of clip 00011 is truncated"),
    "no STN table": (b"", "PlayItem of clip 00011 has no STN table"),
    "an STN longer than its PlayItem": (
        struct.pack(">H", 900) + stn()[2:],
        "the STN table of clip 00011 is truncated",
    ),
}


@pytest.mark.parametrize("case", sorted(HOSTILE_STN))
def test_a_hostile_stn_table_is_said_and_the_clips_languages_kept(tmp_path, caplog, case):
    table, reason = HOSTILE_STN[case]
    movie = tmp_path / "Blade Runner (1982)"
    _film_with_streams(movie, table)

    with caplog.at_level(logging.WARNING, logger="metarrd.scan.streams"):
        details = read_stream_details(movie)

    assert details.video[0].duration_seconds == 6600  # the playlist is still the title
    assert details.audio == [AudioStream(codec="ac3", language="jpn", channels=2)]
    assert f"00800.mpls: {reason}; audio and subtitle languages from the .m2ts" in caplog.text


def test_garbage_playlist_language_bytes_are_no_language_and_said_so(tmp_path, caplog):
    movie = tmp_path / "Blade Runner (1982)"
    garbage = (stn_stream(0x1200, b"\x90\xff\x00\x13\0"), stn_stream(0x1201, b"\x90qqq\0"))
    _film_with_streams(
        movie, stn(audio=(stn_stream(0x1100, b"\x81\x61e\x01g"),), subtitles=garbage)
    )

    with caplog.at_level(logging.WARNING, logger="metarrd.scan.streams"):
        details = read_stream_details(movie)

    assert details.audio[0].language == "jpn"  # the clip's, none in the playlist
    assert details.subtitles == [SubtitleStream(language=""), SubtitleStream(language="")]
    assert "audio stream 1 of clip 00011: language bytes 650167 are not a language" in caplog.text
    assert "subtitle stream 1 of clip 00011: language bytes ff0013 are not" in caplog.text
    assert "subtitle stream 2 of clip 00011: 'qqq' is not a language code" in caplog.text


def test_a_playlist_repeating_a_segment_is_obfuscation_not_the_film(tmp_path):
    movie = tmp_path / "Blade Runner (1982)"
    bdmv = bluray(movie)
    loop = [play_item(b"00012", 0, 2800)] * 3 + FILM  # 3 times the same segment: longer
    (bdmv / "PLAYLIST" / "00002.mpls").write_bytes(mpls(loop))
    twice = [play_item(b"00012", 0, 2800)] * 2 + [play_item(b"00010", 10, 2010)]
    (bdmv / "PLAYLIST" / "00003.mpls").write_bytes(mpls(twice))  # twice is allowed: 7600 s

    assert read_stream_details(movie).video[0].duration_seconds == FILM_SECONDS


def test_a_playlist_naming_a_missing_clip_is_not_the_title(tmp_path, caplog):
    # A rip of the main movie only (AnyDVD's, DVDFab's) keeps the playlists of the clips it left
    movie = tmp_path / "Blade Runner (1982)"
    bdmv = bluray(movie)
    (bdmv / "PLAYLIST" / "00900.mpls").write_bytes(mpls([play_item(b"00555", 0, 20000)]))

    with caplog.at_level(logging.WARNING, logger="metarrd.scan.streams"):
        assert read_stream_details(movie).video[0].duration_seconds == FILM_SECONDS
    assert caplog.text == ""  # nothing wrong with such a rip

    for name in ("00001.mpls", "00800.mpls"):
        (bdmv / "PLAYLIST" / name).unlink()
    with caplog.at_level(logging.WARNING, logger="metarrd.scan.streams"):
        assert disc_stream_file(movie) == bdmv / "STREAM" / "00099.m2ts"
    assert "1 playlists play clips that are not in STREAM (" in caplog.text
    assert "00900.mpls plays clip 00555)" in caplog.text


def test_an_avchd_playlist_and_clips(tmp_path):
    # AVCHD (a camcorder's disc): BDMV/PLAYLIST/00000.MPL and BDMV/STREAM/00000.MTS, same format
    movie = tmp_path / "Holiday (2012)"
    put(movie, "BDMV/STREAM/00000.MTS", M2TS)
    put(movie, "BDMV/STREAM/00001.MTS", M2TS)
    (movie / "BDMV" / "PLAYLIST").mkdir()
    items = [play_item(b"00000", 0, 61), play_item(b"00001", 0, 60)]
    (movie / "BDMV" / "PLAYLIST" / "00000.MPL").write_bytes(mpls(items, version=b"0100"))

    assert read_stream_details(movie).video[0].duration_seconds == 121


def test_playlist_parse_times_in_45_khz_ticks(tmp_path):
    path = tmp_path / "00800.mpls"
    path.write_bytes(mpls(FILM))

    playlist = read_playlist(path)

    assert [(i.clip, i.in_time, i.out_time) for i in playlist.items] == [
        ("00010", 450_000, 90_450_000),
        ("00011", 900_000, 180_900_000),
        ("00012", 0, 126_000_000),
    ]
    assert playlist.duration_seconds == FILM_SECONDS


HOSTILE_PLAYLISTS = {
    "truncated": (lambda p: p.write_bytes(mpls(FILM)[:300]), "PlayItem 3 of 3 is truncated"),
    "255 PlayItems": (
        lambda p: p.write_bytes(mpls(FILM, n_items=255)),
        "PlayItem 4 of 255 is truncated",
    ),
    "a clip name that is a path": (
        lambda p: p.write_bytes(mpls([play_item(b"../..", 0, 9000)])),
        "PlayItem 1 names no clip (b'../..')",
    ),
    "garbage": (lambda p: p.write_bytes(os.urandom(16) + b"MPLS"), "no MPLS header"),
    "an unknown version": (
        lambda p: p.write_bytes(mpls(FILM, version=b"9999")),
        "unknown playlist version b'9999'",
    ),
    "a PlayList outside the file": (
        lambda p: p.write_bytes(mpls(FILM)[:40] + b"\xff" * 20),
        "the PlayList at byte 58 is outside the file",
    ),
    "an item ending before it starts": (
        lambda p: p.write_bytes(mpls([play_item(b"00010", 9000, 10)])),
        "PlayItem 1 ends before it starts",
    ),
    "a FIFO": (_fifo, "a FIFO (named pipe), not a regular file"),
    "a link to /dev/zero": (_to_dev_zero, "a character device, not a regular file"),
    "too large": (
        lambda p: p.write_bytes(mpls(FILM) + bytes(2 * 1024 * 1024)),
        "over the 1 MB limit",
    ),
}


@pytest.mark.parametrize("case", sorted(HOSTILE_PLAYLISTS))
def test_a_hostile_playlist_is_refused_with_a_reason_and_the_largest_clip_is_read(
    tmp_path, caplog, finishes, case
):
    make, reason = HOSTILE_PLAYLISTS[case]
    movie = tmp_path / "Blade Runner (1982)"
    bdmv = bluray(movie)
    (bdmv / "PLAYLIST" / "00001.mpls").unlink()
    film = bdmv / "PLAYLIST" / "00800.mpls"
    make(film)

    with caplog.at_level(logging.WARNING, logger="metarrd.scan.streams"):
        details = finishes(lambda: read_stream_details(movie), 60)  # a FIFO is never waited on

    assert details.video[0].duration_seconds < 60  # the largest .m2ts's, as before playlists
    assert disc_stream_file(movie) == bdmv / "STREAM" / "00099.m2ts"
    assert f"{film}: " in caplog.text
    assert reason in caplog.text
    assert "no playlist could be used, the largest .m2ts is the title" in caplog.text


def test_an_unreadable_playlist_is_refused_and_another_is_used(tmp_path, caplog, monkeypatch):
    movie = tmp_path / "Blade Runner (1982)"
    bdmv = bluray(movie)
    film = bdmv / "PLAYLIST" / "00800.mpls"
    real_open = discs.open_regular

    def refuse(path, *args, **kwargs):
        if Path(path) == film:
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(discs, "open_regular", refuse)
    with caplog.at_level(logging.WARNING, logger="metarrd.scan.streams"):
        details = read_stream_details(movie)

    assert details.video[0].duration_seconds == 900  # 00001.mpls: the bonus, the only one left
    assert f"{film}: permission denied" in caplog.text


def test_a_bluray_without_playlists_reads_its_largest_clip(tmp_path, caplog):
    movie = tmp_path / "Blade Runner (1982)"
    bdmv = bluray(movie)
    for playlist in (bdmv / "PLAYLIST").iterdir():
        playlist.unlink()

    with caplog.at_level(logging.WARNING, logger="metarrd.scan.streams"):
        assert disc_stream_file(movie) == bdmv / "STREAM" / "00099.m2ts"
    assert caplog.text == ""  # nothing wrong: a disc some ripper left without its playlists


def test_a_library_scan_stores_the_discs_languages_and_durations(tmp_path, config_factory):
    from metarrd import db
    from metarrd.runtime import open_runtime
    from metarrd.scan import scan

    movies = tmp_path / "movies"
    dvd(movies / "Alien (1979)")
    bdmv = bluray(movies / "Blade Runner (1982)")
    os.mkfifo(bdmv / "PLAYLIST" / "00002.mpls")  # refused, logged; the others are read
    rt = open_runtime(config_factory())
    try:
        report = scan(rt)
        stored = {
            m.path.rsplit("/", 1)[-1]: (
                [v.duration_seconds for v in m.video_streams],
                [(a.codec, a.language) for a in m.audio_streams],
                [s.language for s in m.subtitle_streams],
            )
            for m in db.Movie.select()
        }
    finally:
        rt.close()

    assert len(report.new) == 2
    assert stored["Alien (1979)"] == (
        [FILM_SECONDS_DVD],
        [("ac3", "eng"), ("ac3", "fre"), ("dts", "eng")],
        ["eng", "fre", "ger", ""],
    )
    assert stored["Blade Runner (1982)"] == ([FILM_SECONDS], [("ac3", "eng")], ["eng"])


def _linked_out(path: Path, outside: Path) -> Path:
    """`path` made a symbolic link to a copy of itself in `outside`."""
    outside.mkdir(parents=True, exist_ok=True)
    target = outside / path.name
    target.write_bytes(path.read_bytes())
    path.unlink()
    path.symlink_to(target)
    return target


@pytest.mark.parametrize("follow", [False, True])
def test_navigation_files_linked_out_of_every_library_are_not_read(
    tmp_path, config_factory, caplog, follow
):
    # The rule of the user's NFOs and images (docs/failure-modes.md, "Symlinked folders"):
    # a DVD's IFO or a Blu-ray's playlist that is a link leading out of every library is not
    # opened, unless the library sets follow_symlinks; the scan says why and goes on with what
    # MediaInfo read. Before, both were read through the link.
    import dataclasses

    from metarrd import db
    from metarrd.runtime import open_runtime
    from metarrd.scan import scan

    movies, outside = tmp_path / "movies", tmp_path / "outside"
    ifo = dvd(movies / "Alien (1979)") / "VTS_01_0.IFO"
    _linked_out(ifo, outside / "dvd")
    bdmv = bluray(movies / "Blade Runner (1982)")
    playlist = bdmv / "PLAYLIST" / "00800.mpls"
    _linked_out(playlist, outside / "bd")
    (bdmv / "PLAYLIST" / "00001.mpls").unlink()
    config = config_factory()
    lib = dataclasses.replace(config.library[0], follow_symlinks=follow)
    rt = open_runtime(dataclasses.replace(config, library=(lib,)))
    try:
        with caplog.at_level(logging.WARNING, logger="metarrd.scan.streams"):
            scan(rt)
        stored = {
            m.path.rsplit("/", 1)[-1]: (
                [v.duration_seconds for v in m.video_streams],
                [a.language for a in m.audio_streams],
            )
            for m in db.Movie.select()
        }
    finally:
        rt.close()

    if follow:
        assert stored["Alien (1979)"][1] == ["eng", "fre", "eng"]
        assert stored["Blade Runner (1982)"] == ([FILM_SECONDS], ["eng"])
        assert "outside every configured library" not in caplog.text
        return
    assert stored["Alien (1979)"][1] == [""]  # MediaInfo's: a VOB has no language
    assert stored["Blade Runner (1982)"][0][0] < 60  # the largest .m2ts's
    for path in (ifo, playlist):
        assert f"{path}: leads to {outside}/" in caplog.text
    assert "outside every configured library: not read (set follow_symlinks" in caplog.text


@pytest.mark.parametrize("fuller", ["00800.mpls", "00801.mpls"])
def test_of_two_playlists_as_long_the_one_with_more_streams_is_the_title(tmp_path, fuller):
    # A film and a copy of the same length listing fewer streams (a second angle, a region's
    # cut of the languages): libbluray's _pl_guess_main_title takes the one with more audio and
    # PG streams (_pl_streams_score), whatever their names. Before, the first by name won, and
    # the NFO lost the other's languages when that one was the fuller.
    movie = tmp_path / "Blade Runner (1982)"
    bdmv = bluray(movie)
    full = stn(audio=(ENG_AC3, FRE_DTSHD), subtitles=(stn_stream(0x1200, b"\x90eng\0"), GER_PG))
    lean = stn(audio=(ENG_AC3,), subtitles=(stn_stream(0x1200, b"\x90eng\0"),))
    for name in ("00800.mpls", "00801.mpls"):
        items = [play_item(b"00010", 0, 600), play_item(b"00011", 0, 6000)]
        items[1] = play_item(b"00011", 0, 6000, table=full if name == fuller else lean)
        (bdmv / "PLAYLIST" / name).write_bytes(mpls(items))

    details = read_stream_details(movie)

    assert [s.language for s in details.subtitles] == ["eng", "ger"]
    assert discs.main_playlist(bdmv, {"00010", "00011", "00012", "00099"}, []).path.name == fuller


def test_of_two_playlists_alike_the_first_by_name_is_the_title(tmp_path, monkeypatch):
    movie = tmp_path / "Blade Runner (1982)"
    bdmv = bluray(movie)
    (bdmv / "PLAYLIST" / "00801.mpls").write_bytes(mpls(FILM))
    listed = os.listdir

    def reversed_listing(folder):  # a file system that lists the folder backwards
        return sorted(listed(folder), reverse=True)

    monkeypatch.setattr(discs.os, "listdir", reversed_listing)
    assert discs.main_playlist(bdmv, {"00010", "00011", "00012", "00099"}, []).path.name == (
        "00800.mpls"
    )


def test_a_blu_rays_files_in_the_movie_folder_itself_are_read_as_a_disc(tmp_path):
    # `Alien (1979)/index.bdmv`, `PLAYLIST/`, `STREAM/`: a BDMV folder renamed to the film's,
    # which Kodi plays as a Blu-ray. Before: "a folder, but not a DVD or Blu-ray structure".
    movie = tmp_path / "Blade Runner (1982)"
    bluray(movie).rename(tmp_path / "moved")
    movie.rmdir()
    (tmp_path / "moved").rename(movie)

    details = read_stream_details(movie)

    assert details.video[0].duration_seconds == FILM_SECONDS
    assert disc_stream_file(movie) == movie / "STREAM" / "00011.m2ts"


def test_an_avchd_cards_files_in_the_movie_folder_are_read_as_a_disc(tmp_path):
    # An AVCHD camcorder's BDMV folder copied as the film's (`Holiday 2012/INDEX.BDM`,
    # `STREAM/00000.MTS`): Kodi plays it as a disc (GetOpticalMediaPath takes `INDEX.BDM`), so
    # the walk finds a disc there, whose clip MediaInfo reads. Before: "not a DVD or Blu-ray
    # structure", no stream details.
    movie = tmp_path / "Holiday 2012"
    put(movie, "INDEX.BDM", M2TS).write_bytes(b"INDX0100" + bytes(32))
    clip = put(movie, "STREAM/00000.MTS", M2TS)

    details = read_stream_details(movie)

    assert disc_stream_file(movie) == clip
    assert [v.codec for v in details.video] == ["h264"]

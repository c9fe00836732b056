"""Stream details from real tiny media files (tests/media, made by make_samples.sh)."""

from __future__ import annotations

import gzip
import os
import shutil
from pathlib import Path

import pytest

from metarrd.scan import streams
from metarrd.scan.kodi_codecs import (
    audio_codec,
    frame_aspect,
    hdr_type,
    language_code,
    stereo_mode,
    video_codec,
)
from metarrd.scan.streams import (
    AudioStream,
    StreamDetails,
    StreamReadError,
    SubtitleStream,
    VideoStream,
    disc_stream_file,
    external_subtitle_paths,
    read_stack_details,
    read_stream_details,
)

MEDIA = Path(__file__).parent / "media"


@pytest.fixture
def sample(tmp_path):
    """Copy a committed sample into a temp dir, optionally under another name."""

    def copy(name: str, to: str | None = None) -> Path:
        target = tmp_path / (to or name)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(MEDIA / name, target)
        return target

    return copy


def test_samples_stay_small():
    total = sum(p.stat().st_size for p in MEDIA.iterdir())
    assert total < 200_000


# --- real files -----------------------------------------------------------------------------


def test_h264_with_two_audio_tracks_and_embedded_subtitle(sample):
    details = read_stream_details(sample("h264_aac_2audio_sub.mkv"))

    assert details.video == [
        VideoStream(codec="h264", width=160, height=90, aspect=1.78, duration_seconds=1)
    ]
    assert details.audio == [
        AudioStream(codec="aac", language="eng", channels=2),
        AudioStream(codec="ac3", language="fre", channels=6),
    ]
    assert details.subtitles == [SubtitleStream(language="ger", external=False, path=None)]


def test_hevc_hdr10(sample):
    details = read_stream_details(sample("hevc_hdr10.mkv"))

    (video,) = details.video
    assert (video.codec, video.hdrtype, video.width, video.height) == ("hevc", "hdr10", 160, 90)
    assert details.audio == [AudioStream(codec="eac3", language="eng", channels=6)]


def test_av1_side_by_side_3d_keeps_the_whole_frame_aspect(sample):
    details = read_stream_details(sample("av1_opus_sbs.mkv"))

    (video,) = details.video
    assert (video.codec, video.stereomode, video.aspect) == ("av1", "left_right", 1.78)
    assert details.audio == [AudioStream(codec="opus", language="", channels=2)]


def test_mp4_h264_aac_mono_four_by_three(sample):
    details = read_stream_details(sample("h264_aac_mono.mp4"))

    assert details.video[0].codec == "h264"
    assert details.video[0].aspect == 1.33
    assert details.audio == [AudioStream(codec="aac", language="ger", channels=1)]


def test_avi_xvid_mp3(sample):
    details = read_stream_details(sample("xvid_mp3.avi"))

    assert details.video[0].codec == "xvid"
    assert details.audio == [AudioStream(codec="mp3", language="", channels=2)]


def test_mpeg2_program_stream(sample):
    details = read_stream_details(sample("mpeg2_mp2.mpg"))

    assert details.video[0].codec == "mpeg2video"
    assert details.audio == [AudioStream(codec="mp2", language="", channels=1)]


def test_dvb_teletext_is_no_subtitle_stream(sample):
    """A DVB recording's teletext (its subtitle page 888 included) is no subtitle to Kodi: its
    demuxer makes a teletext stream of it (DVDDemuxFFmpeg.cpp: `AV_CODEC_ID_DVB_TELETEXT` with
    "videoplayer.teletextenabled", on by default -> STREAM_TELETEXT), which
    CDVDFileInfo::DemuxerToStreamDetails leaves out. MediaInfo lists it as a Text track
    ("Teletext Subtitle"): it was written to the NFO as a German subtitle."""
    details = read_stream_details(sample("h264_mp2_teletext.ts", "Tatort (2024).ts"))
    assert [v.codec for v in details.video] == ["h264"]
    assert [(a.codec, a.language) for a in details.audio] == [("mp2", "ger")]
    assert details.subtitles == []


def test_corrupt_file_is_a_stream_read_error_naming_the_file(sample):
    path = sample("corrupt.mkv")

    with pytest.raises(StreamReadError) as caught:
        read_stream_details(path)

    assert caught.value.path == path
    assert caught.value.reason == "not a media file"
    assert str(path) in str(caught.value)


def test_audio_only_file_has_no_video_track(sample):
    with pytest.raises(StreamReadError, match="no video track found"):
        read_stream_details(sample("audio_only.mka"))


def test_empty_and_missing_files(tmp_path):
    empty = tmp_path / "empty.mkv"
    empty.touch()

    with pytest.raises(StreamReadError, match="empty file"):
        read_stream_details(empty)
    with pytest.raises(StreamReadError, match="file not found"):
        read_stream_details(tmp_path / "gone.mkv")


def test_unreadable_file_says_permission_denied(sample, monkeypatch):
    path = sample("h264_aac_mono.mp4")

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(streams, "open_regular", refuse)  # also works when run as root

    with pytest.raises(StreamReadError, match="permission denied"):
        read_stream_details(path)


def test_a_file_that_crashes_mediainfo_is_an_error_not_a_crash(tmp_path, sample):
    # An ISO 9660 volume descriptor and nothing else: the bundled libmediainfo dies of SIGFPE
    # on it. Whatever a future libmediainfo does with it, the caller must survive.
    iso = tmp_path / "broken.iso"
    data = bytearray(36 * 1024)
    data[16 * 2048 : 16 * 2048 + 7] = b"\x01CD001\x01"
    iso.write_bytes(bytes(data))

    try:
        details = read_stream_details(iso)
    except StreamReadError as exc:
        assert exc.path == iso
    else:
        assert details == StreamDetails()

    assert read_stream_details(sample("hevc_hdr10.mkv")).video[0].codec == "hevc"


def test_a_dead_worker_is_restarted_transparently(sample):
    path = sample("h264_aac_mono.mp4")
    read_stream_details(path)
    streams._worker._process.kill()
    streams._worker._process.wait()

    assert read_stream_details(path).video[0].codec == "h264"


@pytest.mark.parametrize("setting", ["LC_ALL=C", "LC_ALL=POSIX"])
def test_a_non_ascii_name_is_read_under_the_c_locale(sample, monkeypatch, setting):
    """A NAS or a systemd unit with `LC_ALL=C` (or `POSIX`): every video with a name out of
    ASCII (`Amélie (2001).mkv`, `千と千尋の神隠し (2001).mkv`) was "MediaInfo could not read it
    (An error occured while opening ...)", and got no stream details. Python reads the names
    as UTF-8 in that locale (its UTF-8 mode), but libmediainfo turns the name back into bytes
    by the C library's locale, which in `C` knows ASCII alone."""
    for name in ("LANG", "LC_ALL", "LC_CTYPE"):
        monkeypatch.delenv(name, raising=False)
    key, value = setting.split("=")
    monkeypatch.setenv(key, value)
    worker = streams._Worker()  # started in this environment, as the daemon's would be
    try:
        for name in ("Amélie (2001).mkv", "千と千尋の神隠し (2001).mkv", "Ænima.mkv"):
            details = worker.parse(sample("hevc_hdr10.mkv", f"{setting}/{name}"))
            assert details.video[0].codec == "hevc", name
    finally:
        worker.stop()


def test_stacked_parts_add_up_their_durations(sample):
    parts = [sample("h264_aac_mono.mp4", "Movie cd1.mp4"), sample("xvid_mp3.avi", "Movie cd2.avi")]

    details = read_stack_details(parts)

    assert details.video[0].codec == "h264"
    assert details.video[0].duration_seconds == 2


def test_details_round_trip_through_a_dict(sample):
    video = sample("h264_aac_2audio_sub.mkv", "Movie/Movie.mkv")
    (video.parent / "Movie.en.srt").write_text("1\n00:00:00,000 --> 00:00:01,000\nHi\n")
    details = read_stream_details(video)

    assert StreamDetails.from_dict(details.to_dict()) == details


# --- external subtitles ---------------------------------------------------------------------


def test_external_subtitles_next_to_the_video(sample):
    video = sample("h264_aac_2audio_sub.mkv", "Movie (2000)/Movie (2000).mkv")
    folder = video.parent
    for name in [
        "Movie (2000).srt",
        "Movie (2000).en.srt",
        "Movie (2000).eng.forced.srt",
        "Movie (2000).French.ass",
        "Movie (2000).pt-BR.vtt",
        "Movie (2000).de.idx",
        "Movie (2000).de.sub",  # the VobSub pair of the .idx: one subtitle
        "Movie (2000).es.sdh.ssa",
        "Other Movie.en.srt",  # another video's
        ".Movie (2000).it.srt",  # hidden
        "Movie (2000).nfo",
    ]:
        (folder / name).write_text("x")
    (folder / "Subs").mkdir()
    (folder / "Subs" / "Movie (2000).nl.srt").write_text("x")

    details = read_stream_details(video)

    external = {s.path.relative_to(folder).as_posix(): s.language for s in details.subtitles[1:]}
    assert external == {
        "Movie (2000).srt": "",
        "Movie (2000).en.srt": "eng",
        "Movie (2000).eng.forced.srt": "eng",
        "Movie (2000).French.ass": "fre",
        "Movie (2000).pt-BR.vtt": "por",
        "Movie (2000).de.idx": "ger",
        "Movie (2000).es.sdh.ssa": "spa",
        "Subs/Movie (2000).nl.srt": "dut",
    }
    assert details.subtitles[0] == SubtitleStream(language="ger")  # the embedded one first
    assert all(s.external for s in details.subtitles[1:])


# A VobSub index as VobSub/SubRip/mkvextract write it: one `id:` line per language of the .sub
# (format as in Kodi's xbmc/cores/VideoPlayer/DVDDemuxers/DVDDemuxVobsub.cpp, which reads it).
VOBSUB_IDX = """# VobSub index file, v7 (do not modify this line!)
size: 720x576
palette: 000000, ffffff, 808080, c0c0c0, ff0000, 00ff00, 0000ff, ffff00, ff00ff, 00ffff, 800000, \
008000, 000080, 808000, 800080, 008080
langidx: 0

id: en, index: 0
# Decomment next line to activate alternative name in DirectVobSub / Windows Media Player 6.x
# alt: English
timestamp: 00:00:01:101, filepos: 000000000
timestamp: 00:00:04:004, filepos: 000000800

id: de, index: 1
timestamp: 00:00:01:101, filepos: 000001000

id: --, index: 2
timestamp: 00:00:02:000, filepos: 000001800
"""


def test_a_vobsub_lists_every_language_of_its_idx(sample):
    # Kodi lists one subtitle per `id:` of the .idx, not one per file: with our NFO it does
    # not probe the file again, so a single subtitle without a language hid the other two
    video = sample("h264_aac_2audio_sub.mkv", "Movie (2000)/Movie (2000).mkv")
    (video.parent / "Movie (2000).idx").write_text(VOBSUB_IDX)
    (video.parent / "Movie (2000).sub").write_bytes(b"\x00\x00\x01\xba")
    idx = video.parent / "Movie (2000).idx"

    external = read_stream_details(video).subtitles[1:]

    assert external == [
        SubtitleStream(language="eng", external=True, path=idx),
        SubtitleStream(language="ger", external=True, path=idx),
        SubtitleStream(language="", external=True, path=idx),
    ]


def test_an_idx_without_languages_keeps_the_name_s(sample):
    video = sample("h264_aac_2audio_sub.mkv", "Movie (2000)/Movie (2000).mkv")
    idx = video.parent / "Movie (2000).fr.idx"
    idx.write_text("# VobSub index file, v7 (do not modify this line!)\nsize: 720x576\n")

    assert read_stream_details(video).subtitles[1:] == [
        SubtitleStream(language="fre", external=True, path=idx)
    ]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        # `hi` is Hindi alone and "hearing impaired" after another language, as Kodi and
        # Jellyfin read it (jellyfin-docs#715); Bazarr writes `Movie.en.hi.srt`
        ("Movie (2000).hi.srt", "hin"),
        ("Movie (2000).en.hi.srt", "eng"),
        ("Movie (2000).hi.eng.srt", "eng"),  # mdhiggins/sickbeard_mp4_automator#1494
        ("Movie (2000).hi.forced.srt", "hin"),
        ("Movie (2000).sdh.srt", ""),
    ],
)
def test_hi_in_a_subtitle_name(name, expected):
    video = Path("/films/Movie (2000)/Movie (2000).mkv")
    assert streams.subtitle_language(video, video.parent / name) == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        # Chinese subtitle packs (SubHD, Zimuku) name the scripts `.chs.` and `.cht.`: Kodi
        # reads a tag as ISO 639-1 or 639-2 only (CUtil::GetExternalStreamDetailsFromFilename,
        # LangCodeExpander), so neither is a language; `cht` is Cholón in ISO 639-3 alone
        ("Movie (2000).cht.srt", ""),
        ("Movie (2000).chs.srt", ""),
        ("Movie (2000).chs&eng.srt", ""),  # shooter.cn's bilingual "简英" subtitles
        # ISO 639-2/T, /B, 639-1 and names still are
        ("Movie (2000).fra.srt", "fre"),
        ("Movie (2000).deu.forced.srt", "ger"),
        ("Movie (2000).zho.srt", "chi"),
        ("Movie (2000).zh-TW.srt", "chi"),
        ("Movie (2000).Portuguese.srt", "por"),
    ],
)
def test_a_subtitle_name_s_language_is_read_as_kodi_reads_it(name, expected):
    video = Path("/films/Movie (2000)/Movie (2000).mkv")
    assert streams.subtitle_language(video, video.parent / name) == expected


def test_the_video_s_folder_is_listed_once_for_its_subtitles(tmp_path, monkeypatch):
    """Once for the subtitles beside the video and its `Subs/` folder, then once `Subs/`: a
    first scan asks this of every video, and listed the movie folder twice."""
    video = tmp_path / "Movie (2000)" / "Movie (2000).mkv"
    (video.parent / "Subs").mkdir(parents=True)
    video.touch()
    (video.parent / "Movie (2000).en.srt").write_text("x")
    (video.parent / "Subs" / "Movie (2000).nl.srt").write_text("x")
    listed = []
    listdir = os.listdir

    def counted(path="."):
        listed.append(os.fspath(path))
        return listdir(path)

    monkeypatch.setattr(os, "listdir", counted)
    found = external_subtitle_paths(video)

    assert found == [
        video.parent / "Movie (2000).en.srt",
        video.parent / "Subs/Movie (2000).nl.srt",
    ]
    assert sorted(listed) == [str(video.parent), str(video.parent / "Subs")]


def test_no_external_subtitles(tmp_path):
    video = tmp_path / "Movie.mkv"
    video.touch()
    assert external_subtitle_paths(video) == []


# --- disc folders ---------------------------------------------------------------------------


def test_dvd_folder_reads_the_largest_title_vob(sample, tmp_path):
    movie = tmp_path / "Movie (1999)"
    sample("mpeg2_mp2.mpg", "Movie (1999)/VIDEO_TS/VTS_01_1.VOB")
    (movie / "VIDEO_TS" / "VTS_01_0.VOB").write_bytes(b"menu" * 30_000)  # a menu: never picked
    (movie / "VIDEO_TS" / "VTS_02_1.VOB").write_bytes(b"x" * 100)
    (movie / "VIDEO_TS" / "VIDEO_TS.IFO").write_bytes(b"DVDVIDEO-VMG")

    assert disc_stream_file(movie) == movie / "VIDEO_TS" / "VTS_01_1.VOB"
    assert read_stream_details(movie).video[0].codec == "mpeg2video"
    assert read_stream_details(movie / "VIDEO_TS").video[0].codec == "mpeg2video"


def test_dvd_duration_is_the_whole_title_set_not_one_vob(sample, tmp_path):
    # A DVD splits a title into VOBs of at most 1 GB (VTS_01_1.VOB, VTS_01_2.VOB...): the movie
    # is all of them. The largest title set is the movie, not the set of the largest VOB.
    movie = tmp_path / "Movie (1999)"
    for name in ("VTS_02_1.VOB", "VTS_02_2.VOB", "VTS_02_3.VOB"):
        sample("mpeg2_mp2.mpg", f"Movie (1999)/VIDEO_TS/{name}")
    bonus = movie / "VIDEO_TS" / "VTS_01_1.VOB"
    bonus.write_bytes((movie / "VIDEO_TS" / "VTS_02_1.VOB").read_bytes() + b"\0" * 100)

    (video,) = read_stream_details(movie).video

    assert video.duration_seconds == 3


def test_dvd_files_directly_in_the_movie_folder(sample, tmp_path):
    # `Movie (1999)/VIDEO_TS.IFO` + VOBs, no VIDEO_TS folder: a disc to the walk and to Kodi
    movie = tmp_path / "Movie (1999)"
    sample("mpeg2_mp2.mpg", "Movie (1999)/VTS_01_1.VOB")
    (movie / "VIDEO_TS.IFO").write_bytes(b"DVDVIDEO-VMG")

    assert read_stream_details(movie).video[0].codec == "mpeg2video"


def test_bluray_folder_reads_the_largest_m2ts(sample, tmp_path):
    movie = tmp_path / "Movie (2010)"
    sample("h264_ac3.m2ts", "Movie (2010)/BDMV/STREAM/00800.m2ts")
    (movie / "BDMV" / "STREAM" / "00001.m2ts").write_bytes(b"\x47" * 500)
    (movie / "BDMV" / "index.bdmv").write_bytes(b"INDX0200")

    details = read_stream_details(movie)

    assert details.video[0].codec == "h264"
    assert details.audio == [AudioStream(codec="ac3", language="jpn", channels=2)]


def test_disc_folder_without_stream_files_has_empty_details(tmp_path):
    movie = tmp_path / "Movie"
    (movie / "BDMV").mkdir(parents=True)

    assert read_stream_details(movie) == StreamDetails()


def test_plain_folder_is_not_a_video(tmp_path):
    with pytest.raises(StreamReadError, match="not a DVD or Blu-ray"):
        read_stream_details(tmp_path)


# --- MediaInfo names to Kodi names ----------------------------------------------------------


@pytest.mark.parametrize(
    ("fmt", "profile", "features", "commercial", "expected"),
    [
        ("AAC", None, "LC", "AAC", "aac"),
        ("AC-3", None, None, "Dolby Digital", "ac3"),
        ("E-AC-3", None, "JOC", "Dolby Digital Plus with Dolby Atmos", "eac3"),
        ("DTS", None, "XLL", "DTS-HD Master Audio", "dtshd_ma"),
        ("DTS", None, "XLL X", "DTS-HD Master Audio", "dtshd_ma"),
        ("DTS", None, "XBR", "DTS-HD High Resolution Audio", "dtshd_hra"),
        ("DTS", None, None, "DTS", "dts"),
        ("MLP FBA", None, "16-ch", "Dolby TrueHD with Dolby Atmos", "truehd"),
        ("FLAC", None, None, "FLAC", "flac"),
        ("MPEG Audio", "Layer 3", None, "MPEG Audio", "mp3"),
        ("PCM", None, None, "PCM", "pcm"),
        ("Opus", None, None, "Opus", "opus"),
    ],
)
def test_audio_codec_names(fmt, profile, features, commercial, expected):
    assert audio_codec(fmt, profile, features, commercial) == expected


@pytest.mark.parametrize(
    ("fmt", "version", "codec_id", "expected"),
    [
        ("AVC", None, "V_MPEG4/ISO/AVC", "h264"),
        ("HEVC", None, "hvc1", "hevc"),
        ("MPEG Video", "Version 2", None, "mpeg2video"),
        ("MPEG Video", "Version 1", None, "mpeg1video"),
        ("MPEG-4 Visual", None, "V_MPEG4/ISO/ASP", "mpeg4"),
        ("MPEG-4 Visual", None, "DX50", "dx50"),
        ("VC-1", None, "WVC1", "vc1"),
        ("VC-1", None, "WMV3", "wmv3"),
        ("VP9", None, "V_VP9", "vp9"),
    ],
)
def test_video_codec_names(fmt, version, codec_id, expected):
    assert video_codec(fmt, version, codec_id) == expected


@pytest.mark.parametrize(
    ("hdr_format", "compatibility", "transfer", "expected"),
    [
        ("Dolby Vision / SMPTE ST 2086", "Blu-ray / HDR10", "PQ", "dolbyvision"),
        ("SMPTE ST 2094 App 4", "HDR10+ Profile B", "PQ", "hdr10plus"),
        ("SMPTE ST 2086", "HDR10", "PQ", "hdr10"),
        (None, None, "PQ", "hdr10"),
        (None, None, "HLG", "hlg"),
        (None, None, "BT.709", ""),
        # HLG with ST 2086 mastering metadata is no HDR10 (MediaArea/MediaInfo#833, an HLG HDR
        # Vivid stream from DaVinci Resolve); Kodi decides by the transfer (xbmc/xbmc#21116)
        ("SMPTE ST 2086 / HDR Vivid", None, "HLG", "hlg"),
        ("SMPTE ST 2086", None, "HLG", "hlg"),
        # HLG+: HLG with ST 2094-40 dynamic metadata (MediaArea/MediaInfoLib#2674)
        ("SMPTE ST 2094 App 4", "HLG+", "HLG", "hlg"),
        ("Dolby Vision / SMPTE ST 2094 App 4", "HLG / HDR10+ Profile A", "HLG", "dolbyvision"),
    ],
)
def test_hdr_types(hdr_format, compatibility, transfer, expected):
    assert hdr_type(hdr_format, compatibility, transfer) == expected


def test_top_bottom_3d_halves_mediainfos_per_eye_aspect():
    mode = stereo_mode("Top-Bottom (left eye first)")
    assert mode == "top_bottom"
    assert frame_aspect("3.556", 1920, 1080, mode) == 1.78
    assert frame_aspect(None, 1920, 800) == 2.4


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("en", "eng"),
        ("fr", "fre"),
        ("fra", "fre"),
        ("de", "ger"),
        ("deu", "ger"),
        ("ger", "ger"),
        ("zh", "chi"),
        ("pt-BR", "por"),
        ("English", "eng"),
        ("und", ""),
        ("", ""),
        (None, ""),
        ("xx", ""),
    ],
)
def test_language_codes_are_iso_639_2_b(value, expected):
    assert language_code(value) == expected


def test_mediainfo_is_never_handed_a_fifo_or_a_device(tmp_path, finishes):
    fifo = tmp_path / "Movie (2001).mkv"
    os.mkfifo(fifo)
    zero = tmp_path / "Zero (2002).mkv"
    zero.symlink_to("/dev/zero")
    for path, kind in ((fifo, "FIFO"), (zero, "character device")):
        with pytest.raises(StreamReadError, match=kind):
            finishes(lambda path=path: read_stream_details(path))


def test_a_wtv_recording_mediainfo_cannot_look_into_has_empty_details(tmp_path):
    """Windows Media Center's `.wtv` (a video to Kodi and Jellyfin: AdvancedSettings.cpp,
    NamingOptions.cs): MediaInfo names the container ("WTV") and lists no track of it. The
    recording was given the error "no video track found"; it has no stream details instead."""
    wtv = tmp_path / "Casablanca (1942).wtv"
    wtv.write_bytes(gzip.decompress((MEDIA / "mpeg2_recording.wtv.gz").read_bytes()))
    assert read_stream_details(wtv) == StreamDetails()


@pytest.mark.parametrize("name", ["Alien (1979).iso", "Alien (1979).img", "Alien (1979).nrg"])
def test_a_disc_image_mediainfo_finds_no_video_in_has_empty_details(sample, name):
    """A disc image (Kodi takes `.iso`, `.img`, `.nrg` alike: AdvancedSettings.cpp) whose
    video MediaInfo cannot reach is a movie without stream details, not a failed item."""
    assert read_stream_details(sample("audio_only.mka", name)) == StreamDetails()

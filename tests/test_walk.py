"""The library walk: what counts as a movie, stacks, discs, and folders it must not enter."""

from __future__ import annotations

import os
import unicodedata
from pathlib import Path

import pytest

from metarrd.walk import (
    TEMP_MARKER,
    FoundVideo,
    folder_skip_rule,
    is_episode_file,
    is_excluded_file,
    is_skipped_folder,
    is_skipped_show_folder,
    is_video_path,
    kept_out_on_the_way,
    not_walked_for,
    stack_names,
    walk_library,
    walks_into,
)


def make(root: Path, *names: str, size: int = 10) -> None:
    """Create files (folders end with "/") under root."""
    for name in names:
        path = root / name
        if name.endswith("/"):
            path.mkdir(parents=True, exist_ok=True)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(b"v" * size)


def found(root: Path, **kwargs) -> dict[str, list[str]]:
    """{movie path: [part paths]} relative to root, as posix strings."""
    return {
        v.path.relative_to(root).as_posix(): [p.relative_to(root).as_posix() for p in v.parts]
        for v in walk_library(root, **kwargs)
    }


def test_a_library_with_everything_that_is_not_a_movie(tmp_path):
    make(
        tmp_path,
        "The Matrix (1999)/The Matrix (1999).mkv",
        "The Matrix (1999)/The Matrix (1999).nfo",
        "The Matrix (1999)/The Matrix (1999)-poster.jpg",
        "The Matrix (1999)/The Matrix (1999)-trailer.mkv",
        "The Matrix (1999)/The Matrix (1999).sample.mkv",
        "The Matrix (1999)/trailer.mp4",
        "The Matrix (1999)/The Matrix (1999)-featurette.mkv",
        "The Matrix (1999)/Sample/matrix-sample.mkv",
        "The Matrix (1999)/Extras/Making of.mkv",
        "The Matrix (1999)/Featurettes/Bullet Time.mkv",
        "The Matrix (1999)/Behind The Scenes/Set.mp4",
        "The Matrix (1999)/Deleted Scenes/Cut.mp4",
        "The Matrix (1999)/Interviews/Keanu.mp4",
        "The Matrix (1999)/Trailers/Teaser.mp4",
        "The Matrix (1999)/Shorts/Short.mp4",
        "The Matrix (1999)/Other/Thing.mp4",
        # an iTunes Extras bundle: Kodi's `[\/].+\.ite[\/]` (AdvancedSettings.cpp) skips it
        "The Matrix (1999)/The Matrix (iTunes Extras).ite/videos/Making Of.m4v",
        "iTunes/The Matrix.ite/videos/Interview.m4v",
        "The Matrix (1999)/extrafanart/fanart1.jpg",
        "The Matrix (1999)/.actors/Keanu_Reeves.jpg",
        f"The Matrix (1999)/{TEMP_MARKER}1234.mkv",
        "The Matrix (1999)/.hidden.mkv",
        "Heat (1995)/Heat.1995.1080p.BluRay.x264-GRP.mkv",
        "Heat (1995)/heat-sample.mkv",
        "Heat (1995)/Heat.1995.1080p.BluRay.x264-GRP.srt",
        ".Trash-1000/Old (2000)/Old.mkv",
        "@eaDir/Heat (1995)/Heat.mkv",
        "#recycle/Gone.mkv",
        "$RECYCLE.BIN/Gone.mkv",
        ".@__thumb/x.mkv",
        "lost+found/0001.mkv",
        "Loose Movie (2001).mp4",
        "Old Stuff (1985).avi",
        "Readme.txt",
    )

    assert found(tmp_path) == {
        "Heat (1995)/Heat.1995.1080p.BluRay.x264-GRP.mkv": [
            "Heat (1995)/Heat.1995.1080p.BluRay.x264-GRP.mkv"
        ],
        "Loose Movie (2001).mp4": ["Loose Movie (2001).mp4"],
        "Old Stuff (1985).avi": ["Old Stuff (1985).avi"],
        "The Matrix (1999)/The Matrix (1999).mkv": ["The Matrix (1999)/The Matrix (1999).mkv"],
    }


def test_category_folders_named_like_extras_are_walked(tmp_path):
    make(
        tmp_path,
        "Shorts/Paperman (2012)/Paperman (2012).mkv",
        "Other/Oddity (2001)/Oddity (2001).mkv",
        "Specials/Special Movie (2003).mkv",
    )

    assert set(found(tmp_path)) == {
        "Shorts/Paperman (2012)/Paperman (2012).mkv",
        "Other/Oddity (2001)/Oddity (2001).mkv",
        "Specials/Special Movie (2003).mkv",
    }


def test_size_and_mtime_come_from_the_files(tmp_path):
    make(tmp_path, "Movie (2000)/Movie (2000).mkv", size=1234)
    video = tmp_path / "Movie (2000)" / "Movie (2000).mkv"
    os.utime(video, ns=(1_600_000_000_000_000_000, 1_600_000_000_123_456_789))
    st = video.stat()

    assert list(walk_library(tmp_path)) == [
        FoundVideo(
            file=str(video),
            files=(str(video),),
            size=1234,
            mtime_ns=1_600_000_000_123_456_789,
            is_disc=False,
            file_id=f"{st.st_dev}:{st.st_ino}",  # its identity, kept by a rename
        )
    ]


def test_stacks_become_one_movie_with_ordered_parts(tmp_path):
    make(
        tmp_path,
        "Kodi (2000)/Kodi (2000) cd2.avi",
        "Kodi (2000)/Kodi (2000) cd1.avi",
        "Parts (2001)/Parts.2001.part1.mkv",
        "Parts (2001)/Parts.2001.part2.mkv",
        "Parts (2001)/Parts.2001.part3.mkv",
        "Letters (2002)/Letters-a.mkv",
        "Letters (2002)/Letters-b.mkv",
        "Discs (2003)/Discs disc1.mkv",
        "Discs (2003)/Discs disc2.mkv",
        "Discs (2003)/Discs disc10.mkv",
    )
    (tmp_path / "Kodi (2000)" / "Kodi (2000) cd2.avi").write_bytes(b"x" * 25)

    movies = {v.path.name: v for v in walk_library(tmp_path)}

    assert [p.name for p in movies["Kodi (2000) cd1.avi"].parts] == [
        "Kodi (2000) cd1.avi",
        "Kodi (2000) cd2.avi",
    ]
    assert movies["Kodi (2000) cd1.avi"].size == 35
    assert len(movies["Parts.2001.part1.mkv"].parts) == 3
    assert len(movies["Letters-a.mkv"].parts) == 2
    assert [p.name for p in movies["Discs disc1.mkv"].parts] == [
        "Discs disc1.mkv",
        "Discs disc2.mkv",
        "Discs disc10.mkv",
    ]
    assert len(movies) == 4


def test_folder_stacks(tmp_path):
    make(tmp_path, "Long (1990)/CD1/long.avi", "Long (1990)/CD2/long.avi")

    assert found(tmp_path) == {
        "Long (1990)/CD1/long.avi": ["Long (1990)/CD1/long.avi", "Long (1990)/CD2/long.avi"]
    }


@pytest.mark.parametrize(
    ("names", "groups"),
    [
        (["Movie cd1.avi", "Movie cd2.avi"], [("Movie cd1.avi", "Movie cd2.avi")]),
        (["Movie.pt1.mkv", "Movie.pt2.mkv"], [("Movie.pt1.mkv", "Movie.pt2.mkv")]),
        (["Movie-dvd1.mkv", "Movie-dvd2.mkv"], [("Movie-dvd1.mkv", "Movie-dvd2.mkv")]),
        (["Movie.CD1.mkv", "movie.cd2.MKV"], [("Movie.CD1.mkv", "movie.cd2.MKV")]),
        (["Movie partA.mkv", "Movie partB.mkv"], [("Movie partA.mkv", "Movie partB.mkv")]),
        (["The Matrix-a.mkv", "The Matrix-b.mkv"], [("The Matrix-a.mkv", "The Matrix-b.mkv")]),
        # sequels and different movies stay apart
        (
            ["Alien (1979).mkv", "Aliens (1986).mkv"],
            [("Alien (1979).mkv",), ("Aliens (1986).mkv",)],
        ),
        (["Die Hard 1.mkv", "Die Hard 2.mkv"], [("Die Hard 1.mkv",), ("Die Hard 2.mkv",)]),
        (
            ["Kill Bill Vol. 1.mkv", "Kill Bill Vol. 2.mkv"],
            [("Kill Bill Vol. 1.mkv",), ("Kill Bill Vol. 2.mkv",)],
        ),
        (["Movie cd1.avi", "Movie cd2.mkv"], [("Movie cd1.avi",), ("Movie cd2.mkv",)]),
        (["Movie cd1.avi"], [("Movie cd1.avi",)]),
        ([], []),
    ],
)
def test_stack_names_follows_kodis_default_rules(names, groups):
    assert stack_names(names) == groups


def test_dvd_and_bluray_folders(tmp_path):
    make(
        tmp_path,
        "DVD (1999)/VIDEO_TS/VIDEO_TS.IFO",
        "DVD (1999)/VIDEO_TS/VTS_01_0.VOB",
        "DVD (1999)/VIDEO_TS/VTS_01_1.VOB",
        "DVD (1999)/VIDEO_TS/VTS_01_2.VOB",
        "DVD (1999)/DVD (1999).nfo",
        "BD (2010)/BDMV/index.bdmv",
        "BD (2010)/BDMV/STREAM/00001.m2ts",
        "BD (2010)/BDMV/STREAM/00800.m2ts",
        "BD (2010)/CERTIFICATE/id.bdmv",
        "Flat DVD (2001)/VIDEO_TS.IFO",
        "Flat DVD (2001)/VTS_01_1.VOB",
        "Image (2004)/Image (2004).iso",
    )

    movies = {v.path.relative_to(tmp_path).as_posix(): v for v in walk_library(tmp_path)}

    assert set(movies) == {
        "DVD (1999)",
        "BD (2010)",
        "Flat DVD (2001)",
        "Image (2004)/Image (2004).iso",
    }
    assert movies["DVD (1999)"].is_disc and movies["DVD (1999)"].size == 30
    assert movies["BD (2010)"].is_disc and movies["BD (2010)"].size == 20
    assert movies["BD (2010)"].parts == (tmp_path / "BD (2010)",)
    assert movies["Flat DVD (2001)"].is_disc
    assert not movies["Image (2004)/Image (2004).iso"].is_disc


def test_unicode_names_are_kept_as_on_disk(tmp_path):
    nfd = unicodedata.normalize("NFD", "Amélie (2001)")
    nfc = unicodedata.normalize("NFC", "Amélie")
    make(
        tmp_path,
        f"{nfd}/{nfd}.mkv",
        f"Stack/{nfc} cd1.avi",
        f"Stack/{unicodedata.normalize('NFD', nfc)} cd2.avi",
    )

    movies = list(walk_library(tmp_path))

    assert len(movies) == 2
    assert all(v.path.exists() for v in movies)
    single = next(v for v in movies if len(v.parts) == 1)
    assert single.path.name == f"{nfd}.mkv"  # not re-normalised
    stacked = next(v for v in movies if len(v.parts) == 2)
    assert [p.name[-7:] for p in stacked.parts] == ["cd1.avi", "cd2.avi"]


def test_unreadable_folder_is_reported_and_skipped(tmp_path, monkeypatch):
    make(tmp_path, "Locked (2000)/Locked (2000).mkv", "Open (2001)/Open (2001).mkv")
    locked = tmp_path / "Locked (2000)"
    real_scandir = os.scandir

    def scandir(path):
        if Path(path) == locked:
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    errors = []

    movies = found(tmp_path, on_error=lambda path, reason: errors.append((path, reason)))

    assert list(movies) == ["Open (2001)/Open (2001).mkv"]
    assert errors == [(locked, "permission denied")]


class _Unstattable:
    """A directory entry whose `is_dir()` fails as a symlink into a share we may not read does."""

    def __init__(self, entry: os.DirEntry[str]) -> None:
        self._entry = entry

    def __getattr__(self, name: str):
        return getattr(self._entry, name)

    def is_dir(self, **_kwargs) -> bool:
        raise PermissionError(13, "Permission denied", self._entry.path)

    is_file = is_dir


def test_a_folder_that_cannot_be_told_from_a_file_is_reported_not_dropped(tmp_path, monkeypatch):
    """A symlinked folder whose target cannot be stat'ed: before, it was taken for no folder in
    silence, and the scan marked every movie known below it missing. A link loop stays junk."""
    make(tmp_path, "Linked/Heat (1995)/Heat (1995).mkv", "Open (2001)/Open (2001).mkv")
    (tmp_path / "loop").symlink_to("loop")
    linked = tmp_path / "Linked"
    real_scandir = os.scandir

    def scandir(path="."):
        entries = list(real_scandir(path))
        return [_Unstattable(e) if e.path == str(linked) else e for e in entries]

    monkeypatch.setattr(os, "scandir", scandir)
    errors = []

    movies = found(tmp_path, on_error=lambda path, reason: errors.append((path, reason)))

    assert list(movies) == ["Open (2001)/Open (2001).mkv"]
    assert errors == [(linked, "permission denied")]


class _StatFails:
    """A directory entry told a folder by its listing (or a stat cached by `is_dir`) whose own
    `stat()` then fails: ESTALE or EIO from an NFS share, EACCES under a folder we may list
    but not search."""

    def __init__(self, entry: os.DirEntry[str], exc: OSError) -> None:
        self._entry = entry
        self._exc = exc

    def __getattr__(self, name: str):
        return getattr(self._entry, name)

    def stat(self, **_kwargs):
        raise self._exc


@pytest.mark.parametrize("name", ["Linked", "Shared"])
@pytest.mark.parametrize(
    ("exc", "reason"),
    [
        (PermissionError(13, "Permission denied"), "permission denied"),
        (OSError(5, "Input/output error"), "Input/output error"),
        (OSError(116, "Stale file handle"), "Stale file handle"),
    ],
)
def test_a_folder_whose_stat_fails_is_reported_not_taken_for_gone(
    tmp_path, monkeypatch, name, exc, reason
):
    """The loop check stats every subfolder once a symlinked one is met: a stat failing there
    skipped the folder in silence, as if it had vanished, and a full scan marked every movie
    known below it missing. Only a folder gone since the listing is passed over."""
    lib, other = tmp_path / "movies", tmp_path / "other"
    make(lib, "Shared/Open (2001)/Open (2001).mkv")
    make(other, "Up (2009)/Up (2009).mkv")
    (lib / "Linked").symlink_to(other)  # another library's folder: followed
    failing = lib / name
    real_scandir = os.scandir

    def scandir(path="."):
        entries = list(real_scandir(path))
        return [_StatFails(e, exc) if e.path == str(failing) else e for e in entries]

    monkeypatch.setattr(os, "scandir", scandir)
    errors = []

    movies = found(lib, on_error=lambda p, r: errors.append((p, r)), inside=[other])

    assert errors == [(failing, reason)]
    assert (
        list(movies)
        == {
            "Linked": ["Shared/Open (2001)/Open (2001).mkv"],
            "Shared": ["Linked/Up (2009)/Up (2009).mkv"],
        }[name]
    )


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root reads through chmod 000")
def test_chmod_000_folder_is_reported_and_skipped(tmp_path):
    make(tmp_path, "Locked (2000)/Locked (2000).mkv", "Open (2001)/Open (2001).mkv")
    locked = tmp_path / "Locked (2000)"
    locked.chmod(0)
    errors = []
    try:
        movies = found(tmp_path, on_error=lambda path, reason: errors.append((path, reason)))
    finally:
        locked.chmod(0o755)

    assert list(movies) == ["Open (2001)/Open (2001).mkv"]
    assert errors == [(locked, "permission denied")]


def test_missing_root_and_a_failing_callback_never_raise(tmp_path):
    errors = []
    assert list(walk_library(tmp_path / "nope", on_error=lambda p, r: errors.append(r))) == []
    assert errors == ["folder not found"]

    def explode(path, reason):
        raise RuntimeError("callback bug")

    assert list(walk_library(tmp_path / "nope", on_error=explode)) == []


def test_symlink_loops_are_walked_once(tmp_path):
    make(tmp_path, "Movie (2000)/Movie (2000).mkv")
    (tmp_path / "Movie (2000)" / "loop").symlink_to(tmp_path)

    assert list(found(tmp_path)) == ["Movie (2000)/Movie (2000).mkv"]


@pytest.mark.parametrize(
    ("name", "excluded"),
    [
        ("Movie.mkv", False),
        # "sample" as a word, even a film's: Kodi's `[!-._ \\/]sample[-._ \\/]` matches
        # `/Sample People (2000).mkv`, Jellyfin's MovieResolver `\bsample\b` too
        ("Sample People (2000).mkv", True),
        ("Sampler (2019).mkv", False),
        ("Trailer Park Boys (2006).mkv", False),
        # "Trailer Park Boys: The Movie" (2006) and "...: Countdown to Liquor Day" (2009) are
        # films; Kodi's movie rule is `-trailer` only (AdvancedSettings.cpp, moviesexclude)
        ("Trailer.Park.Boys.The.Movie.2006.DVDRip.XviD.avi", False),
        ("Trailer.Park.Boys.Countdown.to.Liquor.Day.2009.720p.BluRay.x264.mkv", False),
        ("trailer2.mkv", True),
        ("trailer-2.mkv", True),
        ("Movie.2010.trailer.1080p.mkv", True),
        ("Movie_trailer.mkv", True),
        ("movie-sample.mkv", True),
        ("sample.mkv", True),
        ("Movie.sample.mkv", True),
        ("sample-grp-movie.mkv", True),
        ("Movie-trailer.mkv", True),
        ("Movie.trailer.mkv", True),
        ("trailer.mkv", True),
        ("Movie-behindthescenes.mkv", True),
        ("Movie-deleted2.mkv", True),
        (f"{TEMP_MARKER}abc.mkv", True),
        ("._Movie.mkv", True),
    ],
)
def test_excluded_file_names(name, excluded):
    assert is_excluded_file(name) is excluded


def test_is_video_path_for_the_watcher(tmp_path):
    root = tmp_path / "Movies"
    assert is_video_path(root / "Heat (1995)" / "Heat.mkv", root)
    assert is_video_path(root / "Heat (1995)" / "Heat.MP4")
    assert is_video_path(root / "DVD" / "VIDEO_TS" / "VTS_01_1.VOB", root)
    assert is_video_path(root / "BD" / "BDMV" / "STREAM" / "00001.m2ts", root)
    assert is_video_path(root / "Old Film (1975)" / "Old Film (1975).vob", root)
    assert is_video_path(root / "Flat DVD" / "VTS_01_1.VOB", root)  # beside its VIDEO_TS.IFO
    assert is_video_path(root / "Flat DVD" / "vts_02_3.vob", root)
    assert is_video_path(root / "Flat BD" / "STREAM" / "00800.m2ts", root)  # by its index.bdmv
    assert not is_video_path(root / "Heat (1995)" / "Heat.nfo", root)
    assert not is_video_path(root / "Heat (1995)" / "Heat-trailer.mkv", root)
    assert not is_video_path(root / "Heat (1995)" / f"{TEMP_MARKER}x.mkv", root)
    assert not is_video_path(root / "Heat (1995)" / "Extras" / "Making of.mkv", root)
    assert not is_video_path(root / "@eaDir" / "Heat.mkv", root)
    assert not is_video_path(tmp_path / "Elsewhere" / "Heat.mkv", root)
    assert is_video_path(root / "Shorts" / "Paperman.mkv", root)  # a category, by name alone


def test_is_video_path_in_a_tv_library_by_the_episode_rules(tmp_path):
    root = tmp_path / "TV"
    tpb = root / "Trailer Park Boys" / "Season 1"
    assert is_video_path(tpb / "Trailer.Park.Boys.S01E01.DVDRip.XviD.avi", root, tv=True)
    assert is_video_path(tpb / "Trailer.Park.Boys.S01E01.DVDRip.XviD.avi", root)  # movies too
    assert is_video_path(tpb / "Trailer.Park.Boys.S01E02.Trailer.1080p.mkv", root, tv=True)
    assert not is_video_path(tpb / "Trailer.Park.Boys.S01E02.Trailer.1080p.mkv", root)  # movies
    assert is_video_path(root / "Extras (2005)" / "Extras - S01E01.mkv", root, tv=True)
    assert is_video_path(root / "Proof" / "Proof.2015.S01E10.mkv", root, tv=True)
    assert not is_video_path(tpb / "Trailer Park Boys-trailer.mkv", root, tv=True)
    assert not is_video_path(tpb / "Trailer.Park.Boys.S01E01.sample.mkv", root, tv=True)
    assert not is_video_path(root / "Proof" / "Extras" / "Making of.mkv", root, tv=True)
    assert not is_video_path(root / "@eaDir" / "Show - S01E01.mkv", root, tv=True)
    # the TV scan's own extras and sample names (scan/tv.py), not the movie walk's only
    assert not is_video_path(root / "Proof" / "Shorts" / "Proof - Short.mkv", root, tv=True)
    assert not is_video_path(tpb / "Clips" / "Clip.mkv", root, tv=True)
    assert not is_video_path(tpb / "Trailer Park Boys - S01E01 - sample.mkv", root, tv=True)
    assert is_video_path(root / "Proof" / "Specials" / "Proof - S00E01.mkv", root, tv=True)
    assert is_video_path(root / "Shorts" / "Shorts - S01E01.mkv", root, tv=True)  # a show


def test_a_discs_stream_files_in_a_tv_library_are_no_episodes_to_the_watcher(tmp_path):
    """A Blu-ray or DVD folder inside a show (Kodi keeps only its index.bdmv / VIDEO_TS.IFO):
    a change to its .m2ts or .VOB scans nothing; in a movie library it is the disc's."""
    root = tmp_path / "TV"
    disc = root / "Firefly" / "Season 1" / "Disc 1"
    assert not is_video_path(disc / "BDMV" / "STREAM" / "00001.m2ts", root, tv=True)
    assert not is_video_path(
        root / "Firefly" / "Season 2" / "VIDEO_TS" / "VTS_01_1.VOB", root, tv=True
    )
    assert is_video_path(disc / "BDMV" / "STREAM" / "00001.m2ts", root)  # a movie's disc
    assert is_video_path(root / "Firefly" / "Season 1" / "Firefly - S01E01.mkv", root, tv=True)
    assert is_skipped_show_folder("BDMV") and is_skipped_show_folder("video_ts")
    assert not is_skipped_folder("BDMV", False)  # the movie walk reads it as a disc
    assert folder_skip_rule("VIDEO_TS", False, show=True).startswith("a DVD structure")
    assert folder_skip_rule("VIDEO_TS", False) is None


@pytest.mark.parametrize(
    ("name", "episode"),
    [
        # an episode whose title ends in "Trailer" (Kodi's one TV exclusion is `sample`: Kodi
        # shows it); Jellyfin's " trailer" rule hides it (jellyfin#10656, #8641), a bug there
        ("Show - S02E04 - The Trailer.mkv", True),
        ("Show.S02E04.The.Trailer.mkv", True),
        ("Show 2x04 Trailer.mkv", True),
        ("The Daily Show - 2024-01-09 - The Movie Trailer.mkv", True),  # by its air date
        ("Show.2024.01.09.Guest.720p.HDTV.x264-SCENE.mkv", True),
        # a release group that is an extras word (`-SCENE`, `-OTHER`): not an extra
        ("Show.S01E01.720p.HDTV.x264-SCENE.mkv", True),
        ("Show.S01E01.1080p.WEB.h264-OTHER.mkv", True),
        ("Show.S01E01.720p.HDTV.x264-CLiP.mkv", True),
        # what stays an extra: the `-trailer` of an episode, Jellyfin's episode extras by an
        # unambiguous suffix, names without numbers, and Kodi's `sample`
        ("Show - S01E01-trailer.mkv", False),
        ("Show - S03E05 - Fifth-featurette2.mkv", False),
        ("Show - S01E01-deleted.mkv", False),
        ("Show - Season 1 Trailer.mkv", False),
        ("Show-trailer.mkv", False),
        ("Show.Making.Of-scene.mkv", False),
        ("Show.S01E01.sample.mkv", False),
        ("Show - S01E01 - sample.mkv", False),
    ],
)
def test_an_episode_is_never_an_extra_for_its_title_or_release_group(name, episode):
    assert is_episode_file(name) is episode


def test_walks_into_judges_extras_like_names_by_their_neighbour(tmp_path):
    make(tmp_path, "Heat (1995)/Heat (1995).mkv", "Heat (1995)/Shorts/x.mkv", "Shorts/A/a.mkv")
    assert walks_into(tmp_path, tmp_path)
    assert walks_into(tmp_path / "Heat (1995)", tmp_path)
    assert not walks_into(tmp_path / "Heat (1995)" / "Shorts", tmp_path)  # beside a movie
    assert not walks_into(tmp_path / "Heat (1995)" / "Extras", tmp_path)
    assert walks_into(tmp_path / "Shorts" / "A", tmp_path)  # a category folder
    assert not walks_into(tmp_path.parent, tmp_path)
    assert set(found(tmp_path)) == {"Heat (1995)/Heat (1995).mkv", "Shorts/A/a.mkv"}


def test_a_symlinked_folder_is_followed_only_into_a_library(tmp_path):
    lib, other, outside = tmp_path / "lib", tmp_path / "other", tmp_path / "outside"
    make(lib, "Movie (2000)/Movie (2000).mkv")
    make(other, "Shared (2001)/Shared (2001).mkv")
    make(outside, "Stray (2002)/Stray (2002).mkv")
    (lib / "to-other").symlink_to(other)
    (lib / "to-outside").symlink_to(outside)
    (lib / "to-root").symlink_to("/")  # once walked the whole file system

    assert list(found(lib, inside=[other])) == [
        "Movie (2000)/Movie (2000).mkv",
        "to-other/Shared (2001)/Shared (2001).mkv",
    ]


def test_follow_symlinks_follows_anywhere_but_still_cuts_loops(tmp_path):
    lib, outside = tmp_path / "lib", tmp_path / "outside"
    make(lib, "Movie (2000)/Movie (2000).mkv")
    make(outside, "Stray (2002)/Stray (2002).mkv")
    (lib / "to-outside").symlink_to(outside)
    (outside / "back").symlink_to(lib)

    assert list(found(lib, follow_symlinks=True)) == [
        "Movie (2000)/Movie (2000).mkv",
        "to-outside/Stray (2002)/Stray (2002).mkv",
    ]


def test_a_root_that_is_itself_a_symlink_is_walked(tmp_path):
    real = tmp_path / "disk1" / "movies"
    make(real, "Movie (2000)/Movie (2000).mkv", "Movie (2000)/linked/Other (2001).mkv")
    (tmp_path / "movies").symlink_to(real)
    assert list(found(tmp_path / "movies")) == [
        "Movie (2000)/Movie (2000).mkv",
        "Movie (2000)/linked/Other (2001).mkv",
    ]


def test_a_video_name_that_is_not_utf8_is_reported_not_found(tmp_path):
    make(tmp_path, "Movie (2000)/Movie (2000).mkv")
    os.mkdir(os.fsencode(tmp_path) + b"/Caf\xe9 (2001)")
    (Path(os.fsdecode(os.fsencode(tmp_path) + b"/Caf\xe9 (2001)/Caf\xe9 (2001).mkv"))).write_bytes(
        b"v"
    )
    errors = []
    assert list(found(tmp_path, on_error=lambda p, r: errors.append((p, r)))) == [
        "Movie (2000)/Movie (2000).mkv"
    ]
    assert len(errors) == 1 and "not valid UTF-8" in errors[0][1]


def test_a_symlink_to_a_folder_walked_already_is_not_walked_again(tmp_path):
    # real folders are noted by path until the first symlinked folder; from then on by inode
    make(tmp_path, "A (2000)/A (2000).mkv", "B (2001)/B (2001).mkv", "C/D (2002)/D (2002).mkv")
    (tmp_path / "C" / "again").symlink_to(tmp_path / "A (2000)")
    (tmp_path / "C" / "ahead").symlink_to(tmp_path / "E")
    make(tmp_path, "E/F (2003)/F (2003).mkv")

    assert list(found(tmp_path)) == [
        "A (2000)/A (2000).mkv",
        "B (2001)/B (2001).mkv",
        "C/D (2002)/D (2002).mkv",  # C/again and C/ahead: E was queued with A, B and C
        "E/F (2003)/F (2003).mkv",
    ]


def known_paths(root: Path) -> set[str]:
    return {v.file for v in walk_library(root) if len(v.files) == 1}


def test_a_rescan_finds_what_a_first_scan_finds(tmp_path):
    make(
        tmp_path,
        "Heat (1995)/Heat (1995).mkv",
        "Heat (1995)/Heat (1995).nfo",
        "Kodi (2000)/Kodi (2000) cd1.avi",
        "Kodi (2000)/Kodi (2000) cd2.avi",
        "Folders (2001)/CD1/a.avi",
        "Folders (2001)/CD2/b.avi",
        "Disc (2002)/VIDEO_TS/VIDEO_TS.IFO",
        "Disc (2002)/VIDEO_TS/VTS_01_1.VOB",
        "Loose (2003).mkv",
    )
    first = list(walk_library(tmp_path))

    assert list(walk_library(tmp_path, known=known_paths(tmp_path))) == first


def test_a_known_movies_folder_is_judged_again_when_it_holds_something_new(tmp_path):
    make(tmp_path, "Heat (1995)/Heat (1995).mkv", "Matrix (1999)/Matrix (1999).mkv")
    known = known_paths(tmp_path)
    make(
        tmp_path,
        "Heat (1995)/Heat (1995)-trailer.mkv",  # a second video: names are judged again
        "Heat (1995)/Sample/heat-sample.mkv",
        "Matrix (1999)/Extras/Making of.mkv",  # a new subfolder: judged by its name
        "Matrix (1999)/Reloaded (2003)/Reloaded (2003).mkv",
    )
    os.mkfifo(tmp_path / "Matrix (1999)" / "Pipe.mkv")  # never a file

    assert list(found(tmp_path, known=known)) == [
        "Heat (1995)/Heat (1995).mkv",
        "Matrix (1999)/Matrix (1999).mkv",
        "Matrix (1999)/Reloaded (2003)/Reloaded (2003).mkv",
    ]


def test_a_known_movies_folder_that_now_holds_a_disc_is_judged_again(tmp_path):
    make(tmp_path, "Disc (2002)/Disc (2002).mkv")
    known = known_paths(tmp_path)
    make(tmp_path, "Disc (2002)/VIDEO_TS.IFO", "Disc (2002)/VTS_01_1.VOB")

    movies = list(walk_library(tmp_path, known=known))

    assert [(Path(v.file).name, v.is_disc) for v in movies] == [
        ("Disc (2002)", True),
        ("Disc (2002).mkv", False),
    ]


def test_a_stack_with_one_part_not_utf8_names_that_part(tmp_path):
    """`Movie (2001)/CD2/b\\xe9.mkv` (a Latin-1 name) in a folder stack: the error named CD1's
    file, whose name is fine, so the user looked for the wrong file."""
    make(tmp_path, "Movie (2001)/CD1/a.mkv")
    cd2 = os.fsencode(tmp_path) + b"/Movie (2001)/CD2"
    os.mkdir(cd2)
    latin1 = Path(os.fsdecode(cd2 + b"/b\xe9.mkv"))
    latin1.write_bytes(b"v")
    errors = []
    assert list(found(tmp_path, on_error=lambda p, r: errors.append((p, r)))) == []
    assert [p for p, _ in errors] == [latin1] and "not valid UTF-8" in errors[0][1]


def skips(root: Path, **kwargs) -> dict[str, str]:
    """{path relative to root: rule} of what the walk left out by name."""
    told: dict[str, str] = {}
    list(
        walk_library(
            root, on_skip=lambda p, rule: told.setdefault(os.path.relpath(p, root), rule), **kwargs
        )
    )
    return told


def test_the_walk_tells_what_it_leaves_out_by_name_and_why(tmp_path):
    """A user whose movie "does not show up" can learn it was taken for a sample or an extra;
    hidden files, our temp files and NAS junk are nobody's media and are not told."""
    make(
        tmp_path,
        "The Matrix (1999)/The Matrix (1999).mkv",
        "The Matrix (1999)/The Matrix (1999)-trailer.mkv",
        "The Matrix (1999)/The Matrix (1999).sample.mkv",
        "The Matrix (1999)/The Matrix (1999)-featurette.mkv",
        "The Matrix (1999)/The Matrix (1999).nfo",  # no video: nothing to tell
        "The Matrix (1999)/Extras/Making of.mkv",
        "The Matrix (1999)/Sample/matrix-sample.mkv",
        "The Matrix (1999)/Shorts/Short.mp4",  # beside a movie: its extras
        "The Matrix (1999)/The Matrix (iTunes Extras).ite/videos/Making Of.m4v",
        "The Matrix (1999)/.hidden.mkv",
        f"The Matrix (1999)/{TEMP_MARKER}1234.mkv",
        "Shorts/Bunny (2008).mkv",  # a category folder: walked
        "@eaDir/Heat.mkv",
        ".Trash-1000/Old.mkv",
    )

    told = skips(tmp_path)

    assert told == {
        "The Matrix (1999)/The Matrix (1999)-featurette.mkv": "an extra (its name ends in -featurette)",
        "The Matrix (1999)/The Matrix (1999)-trailer.mkv": 'a trailer ("trailer" in its name, as -trailer or .trailer)',
        "The Matrix (1999)/The Matrix (1999).sample.mkv": 'a sample ("sample" in its name, as -sample or .sample)',
        "The Matrix (1999)/Extras": "a folder of extras, by its name: not scanned",
        "The Matrix (1999)/Sample": "a folder of samples, by its name: not scanned",
        "The Matrix (1999)/The Matrix (iTunes Extras).ite": "an iTunes Extras bundle (.ite): not scanned",
        "The Matrix (1999)/Shorts": "a folder of extras, beside a movie: not scanned (elsewhere a category folder)",
    }
    # a rescan (the movie known) tells the same
    assert skips(tmp_path, known=known_paths(tmp_path)) == told


def test_a_symlink_not_followed_is_told(tmp_path):
    library, elsewhere = tmp_path / "lib", tmp_path / "elsewhere"
    make(elsewhere, "Heat (1995)/Heat (1995).mkv")
    library.mkdir()
    (library / "Heat (1995)").symlink_to(elsewhere / "Heat (1995)")

    [(path, rule)] = skips(library).items()

    assert path == "Heat (1995)"
    assert rule.startswith("a symlink to a folder outside every library: not followed")


def test_a_release_named_movie_whose_group_is_an_extras_word_is_a_movie(tmp_path):
    """A release name kept as the file's name (Radarr's `{Original Title}`) ends in its group:
    `x264-SCENE` is the generic group of many listings (Radarr's history of
    "The.Brutalist.2024.1080p.BluRay.x264-SCENE" in a public client's fixtures; HDChina's
    "The.Strain.S04.720p.HDTV.x264-Scene"). Before, the movie was taken for a Jellyfin `-scene`
    extra: never scanned, while Kodi (whose only movie exclusions are samples and trailers)
    listed it. After a title alone, `-scene` is still an extra; `-featurette` always is."""
    make(
        tmp_path,
        "The Brutalist (2024)/The.Brutalist.2024.1080p.BluRay.x264-SCENE.mkv",
        "Inception (2010)/Inception.2010.1080p.BluRay.x264-OTHER.mkv",
        "Heat (1995)/Heat (1995).mkv",
        "Heat (1995)/Opening Shootout-scene.mkv",
        "Heat (1995)/Heat.1995.1080p.BluRay-featurette.mkv",
    )
    assert sorted(found(tmp_path)) == [
        "Heat (1995)/Heat (1995).mkv",
        "Inception (2010)/Inception.2010.1080p.BluRay.x264-OTHER.mkv",
        "The Brutalist (2024)/The.Brutalist.2024.1080p.BluRay.x264-SCENE.mkv",
    ]


@pytest.mark.parametrize("disc", ["VIDEO_TS/VTS_01_1.VOB", "BDMV/STREAM/00000.m2ts"])
def test_a_disc_folder_linked_out_of_every_library_is_not_walked_into(tmp_path, disc):
    # `Alien (1979)/VIDEO_TS -> /elsewhere/VIDEO_TS` is a symlinked folder like any other: the
    # walk does not follow it out of every library (before, the disc was listed and its stream
    # files read through the link), follows it into one, and anywhere with follow_symlinks.
    lib, other, outside = tmp_path / "lib", tmp_path / "other", tmp_path / "outside"
    name = disc.split("/")[0]
    make(outside, f"a/{disc}", size=20)
    make(other, f"b/{disc}", size=30)
    make(lib, "Alien (1979)/", "Heat (1995)/")
    (lib / "Alien (1979)" / name).symlink_to(outside / "a" / name)
    (lib / "Heat (1995)" / name.lower()).symlink_to(other / "b" / name)

    assert found(lib, inside=[other]) == {"Heat (1995)": ["Heat (1995)"]}
    [(path, rule)] = skips(lib, inside=[other]).items()
    assert path == f"Alien (1979)/{name}"
    assert rule.startswith("a symlink to a folder outside every library: not followed")
    assert found(lib, follow_symlinks=True) == {
        "Alien (1979)": ["Alien (1979)"],
        "Heat (1995)": ["Heat (1995)"],
    }
    [alien] = [v for v in walk_library(lib, follow_symlinks=True) if v.path.name == "Alien (1979)"]
    assert alien.size == 20


def test_a_lower_case_blu_ray_is_sized_by_its_stream_files(tmp_path):
    # `bdmv/stream/` as a DVD or Blu-ray copied off a Linux mount (iso9660's map=normal) is
    # named: before, the walk looked for `STREAM` only and found a disc of 0 bytes, dated by
    # its folder, so replacing its .m2ts was never seen by a rescan.
    make(tmp_path, "BD (2010)/bdmv/index.bdmv", "BD (2010)/bdmv/stream/00800.m2ts", size=20)
    make(tmp_path, "BD (2010)/bdmv/stream/00001.m2ts", size=5)

    [movie] = walk_library(tmp_path)

    assert movie.is_disc and movie.size == 25
    stream = tmp_path / "BD (2010)" / "bdmv" / "stream"
    assert movie.mtime_ns == max(p.stat().st_mtime_ns for p in stream.iterdir())


def test_a_blu_rays_files_in_the_movie_folder_itself_are_one_disc(tmp_path):
    # A BDMV folder renamed to the film's (`Alien (1979)/index.bdmv`, `STREAM/`, `PLAYLIST/`):
    # Kodi takes the folder for a Blu-ray when it holds index.bdmv (CFileItem::
    # GetOpticalMediaPath), as it does a DVD's files there (VIDEO_TS.IFO). Before, the walk went
    # into STREAM/ and took each of its clips for a movie of its own (a disc has dozens).
    make(
        tmp_path,
        "Alien (1979)/index.bdmv",
        "Alien (1979)/MovieObject.bdmv",
        "Alien (1979)/PLAYLIST/00800.mpls",
        "Alien (1979)/CLIPINF/00800.clpi",
        "Alien (1979)/BACKUP/index.bdmv",
        "Alien (1979)/STREAM/00001.m2ts",
        "Alien (1979)/STREAM/00800.m2ts",
        size=20,
    )
    make(tmp_path, "Heat (1995)/CD1/INDEX.BDMV", "Heat (1995)/CD1/STREAM/00000.m2ts")

    movies = {v.path.relative_to(tmp_path).as_posix(): v for v in walk_library(tmp_path)}

    assert set(movies) == {"Alien (1979)", "Heat (1995)/CD1"}
    assert movies["Alien (1979)"].is_disc and movies["Alien (1979)"].size == 40
    assert movies["Heat (1995)/CD1"].is_disc


def test_a_stray_index_bdmv_hides_nothing(tmp_path):
    # A folder is a Blu-ray's files out of their BDMV folder only with its STREAM/ (Kodi would
    # still walk the rest of a folder holding a lone index.bdmv); the folders beside it that are
    # no part of a Blu-ray are walked as before.
    make(tmp_path, "index.bdmv", "Heat (1995)/Heat (1995).mkv")
    make(tmp_path, "Alien (1979)/index.bdmv", "Alien (1979)/STREAM/00001.m2ts")
    make(tmp_path, "Alien (1979)/Aliens (1986)/Aliens (1986).mkv")

    assert sorted(found(tmp_path)) == [
        "Alien (1979)",
        "Alien (1979)/Aliens (1986)/Aliens (1986).mkv",
        "Heat (1995)/Heat (1995).mkv",
    ]


def test_a_folder_with_a_nomedia_file_is_not_walked(tmp_path):
    """Kodi leaves a folder holding `.nomedia`, and everything below it, out of its scan
    (xbmc/video/VideoInfoScanner.cpp, DoScan: `if (HasNoMedia(strDirectory)) return true;`).
    A user who marked `Home Videos/` so had each clip taken for a movie, matched to some film
    and given its NFO and artwork; a scan of the folder alone found them too."""
    make(
        tmp_path,
        "Heat (1995)/Heat (1995).mkv",
        "Home Videos/.nomedia",
        "Home Videos/Birthday 2019.mp4",
        "Home Videos/Holiday/Beach (2021).mkv",
        "Old Rips/Alien (1979) cd1.avi",
        "Old Rips/Alien (1979) cd2.avi",
        "Old Rips/Disc Copies/.nomedia",
        "Old Rips/Disc Copies/Aliens (1986)/VIDEO_TS/VTS_01_1.VOB",
    )

    assert found(tmp_path) == {
        "Heat (1995)/Heat (1995).mkv": ["Heat (1995)/Heat (1995).mkv"],
        "Old Rips/Alien (1979) cd1.avi": [
            "Old Rips/Alien (1979) cd1.avi",
            "Old Rips/Alien (1979) cd2.avi",
        ],
    }
    assert skips(tmp_path) == {
        "Home Videos": "a folder holding a .nomedia file (Kodi does not scan it): not scanned",
        "Old Rips/Disc Copies": "a folder holding a .nomedia file (Kodi does not scan it): not scanned",
    }
    # a scan of part of the library, or the watcher, does not go there either
    assert not walks_into(tmp_path / "Home Videos" / "Holiday", tmp_path)
    assert not walks_into(tmp_path / "Old Rips" / "Disc Copies" / "Aliens (1986)", tmp_path)
    assert walks_into(tmp_path / "Old Rips", tmp_path)


def test_videos_kodi_and_jellyfin_both_take_are_movies(tmp_path):
    """Kodi's video extensions (xbmc/settings/AdvancedSettings.cpp, m_videoExtensions) and
    Jellyfin's (Emby.Naming/Common/NamingOptions.cs, VideoFileExtensions) both hold `.img`,
    `.m2t`, `.wtv`...: a disc image made by CloneCD or macOS's Disk Utility, an HDV
    camcorder's transport stream, a Windows Media Center recording were in Kodi's library
    and silently never in ours (nothing told, nothing skipped)."""
    names = [
        "Alien (1979)/Alien (1979).img",
        "Blade Runner (1982)/Blade Runner (1982).nrg",
        "Wedding (2009)/Wedding (2009).m2t",
        "Casablanca (1942)/Casablanca (1942).wtv",
        "Brazil (1985)/Brazil (1985).dvr-ms",
        "Heat (1995)/Heat (1995).f4v",
        "Heat (1995)/Heat (1995).xvid",
        "Ran (1985)/Ran (1985).tp",
    ]
    make(tmp_path, *names)

    assert sorted(found(tmp_path)) == sorted(names)
    assert all(is_video_path(tmp_path / name, tmp_path) for name in names)
    assert is_episode_file("The Office (US) - S02E01 - The Dundies.wtv")


def test_a_spaced_trailer_or_sample_suffix_is_no_movie(tmp_path):
    """Jellyfin's own names (tests/Jellyfin.Naming.Tests/Video/ExtraTests.cs:
    `300 - trailer.mp4`, `300 - sample.mp4`; FindExtrasTests.cs: `Up/Up - trailer.mkv`,
    `Up/Up - sample.mkv`) were each taken for a second movie, identified and published beside
    the film. A title ending in "Trailer" stays a movie (ExtraTests.cs: `I Live In A
    Trailer.mp4`); one with the word "sample" does not, whatever ExtraTests.cs says of its
    extra type (`The DNA Sample.mp4`): Kodi's default movie exclude expression leaves out
    `[!-._ \\/]sample[-._ \\/]` in any case (AdvancedSettings.cpp), Jellyfin's movie
    resolver `\bsample\b` (MovieResolver.cs IsIgnoredRegex; jellyfin#10656 "Video Files with
    the word Sample in them do not show up"): neither player lists it."""
    make(
        tmp_path,
        "Up (2009)/Up (2009).mkv",
        "Up (2009)/Up (2009) - trailer.mkv",
        "Up (2009)/Up (2009) - trailer2.mkv",
        "Up (2009)/Up (2009) - sample.mkv",
        "300 (2006)/300 (2006).mp4",
        "300 (2006)/300 - trailer.mp4",
        "300 (2006)/300 - sample.mp4",
        "I Live In A Trailer (2019)/I Live In A Trailer.mp4",
        "The DNA Sample (2020)/The DNA Sample.mp4",
    )

    assert sorted(found(tmp_path)) == [
        "300 (2006)/300 (2006).mp4",
        "I Live In A Trailer (2019)/I Live In A Trailer.mp4",
        "Up (2009)/Up (2009).mkv",
    ]
    assert sorted(skips(tmp_path)) == [
        "300 (2006)/300 - sample.mp4",
        "300 (2006)/300 - trailer.mp4",
        "The DNA Sample (2020)",  # Kodi leaves out the folder: `/The DNA Sample (2020)/`
        "Up (2009)/Up (2009) - sample.mkv",
        "Up (2009)/Up (2009) - trailer.mkv",
        "Up (2009)/Up (2009) - trailer2.mkv",
    ]


def test_a_folder_with_an_empty_dot_ignore_file_is_not_walked(tmp_path):
    """Jellyfin leaves a folder holding an empty or blank `.ignore` file, and everything below
    it, out of its scan (Emby.Server.Implementations/Library/DotIgnoreIgnoreRule.cs: "Empty
    file means ignore everything"; ParseIgnoreFile: `IsNullOrWhiteSpace`). A `.ignore` with
    patterns ignores only what they match, which the walk does not read: it walks on."""
    make(
        tmp_path,
        "Heat (1995)/Heat (1995).mkv",
        "Camera Roll/Clip 0001 (2019).mp4",
        "Camera Roll/Beach/Clip 0002 (2021).mp4",
        "Old Rips/Alien (1979).avi",
        "Patterns/Ran (1985).mkv",
    )
    (tmp_path / "Camera Roll" / ".ignore").touch()
    (tmp_path / "Old Rips" / ".ignore").write_text("\n  \n")
    (tmp_path / "Patterns" / ".ignore").write_text("*.nfo\n")

    assert sorted(found(tmp_path)) == ["Heat (1995)/Heat (1995).mkv", "Patterns/Ran (1985).mkv"]
    rule = "a folder holding an empty .ignore file (Jellyfin does not scan it): not scanned"
    assert skips(tmp_path) == {"Camera Roll": rule, "Old Rips": rule}
    assert not walks_into(tmp_path / "Camera Roll" / "Beach", tmp_path)
    assert walks_into(tmp_path / "Patterns", tmp_path)


def test_the_other_videos_kodi_and_jellyfin_both_take_are_movies(tmp_path):
    """The rest of the extensions both players list (xbmc/settings/AdvancedSettings.cpp
    m_videoExtensions, Emby.Naming/Common/NamingOptions.cs VideoFileExtensions): a 2000s
    RealMedia rip (`.rm`; its `.rmvb` sibling was taken), a QuickTime `.qt`, a phone's `.3g2`,
    a TiVo recording (`.ty`), an MPEG-2 video stream (`.m2v`) were in Kodi's and Jellyfin's
    library and silently never in ours, nor episodes in a show."""
    names = [
        "Ghost in the Shell (1995)/Ghost in the Shell (1995).rm",
        "Koyaanisqatsi (1982)/Koyaanisqatsi (1982).qt",
        "Tangerine (2015)/Tangerine (2015).3g2",
        "Primer (2004)/Primer (2004).ty",
        "Eraserhead (1977)/Eraserhead (1977).m2v",
        "Tron (1982)/Tron (1982).nsv",
        "Metropolis (1927)/Metropolis (1927).viv",
    ]
    make(tmp_path, *names)

    assert sorted(found(tmp_path)) == sorted(names)
    assert all(is_video_path(tmp_path / name, tmp_path) for name in names)
    assert is_episode_file("Seinfeld - S04E11 - The Contest.rm")
    assert is_episode_file("The Simpsons - 1x01 - Simpsons Roasting on an Open Fire.ty")


def test_a_hungarian_releases_minta_sample_is_no_second_movie(tmp_path):
    """Hungarian releases ship their sample as `minta` ("sample"): `minta.mkv`,
    `<release>.minta.mkv`, a `Minta/` folder (Jellyfin's IgnorePatterns.cs, issue 16237, from
    a user's downloads). It was taken for a second movie beside the film; a film named so,
    or a category folder named so with no movie beside it, is still walked."""
    release = "Saul.fia.2015.1080p.BluRay.x264.HUN-GRP"
    make(
        tmp_path,
        f"{release}/{release.lower()}.mkv",
        f"{release}/{release.lower()}.minta.mkv",
        f"{release}/Minta/minta.mkv",
        f"{release}/Minta/{release.lower()}.mkv",
        "Minta (2019)/Minta (2019).mkv",
        "Minta/Kontroll (2003)/Kontroll (2003).mkv",
    )

    assert sorted(found(tmp_path)) == [
        "Minta (2019)/Minta (2019).mkv",
        "Minta/Kontroll (2003)/Kontroll (2003).mkv",
        f"{release}/{release.lower()}.mkv",
    ]
    told = skips(tmp_path)
    assert "minta" in told[f"{release}/{release.lower()}.minta.mkv"]
    assert told[f"{release}/Minta"].startswith("a folder of samples")
    assert not walks_into(tmp_path / release / "Minta", tmp_path)
    assert not is_video_path(tmp_path / release / "Minta" / "minta.mkv")
    # in a show: the episode's sample, and a season's `Minta/` folder
    assert not is_episode_file("Aranyelet.S01E01.1080p.WEB-DL.x264.HUN-GRP.minta.mkv")
    assert is_episode_file("Aranyelet.S01E01.1080p.WEB-DL.x264.HUN-GRP.mkv")
    assert is_skipped_show_folder("Minta")


def test_a_lone_vob_is_a_movie_and_a_dvds_own_vobs_are_the_discs(tmp_path):
    """Kodi's video extensions (AdvancedSettings.cpp m_videoExtensions) and Jellyfin's
    (NamingOptions.cs VideoFileExtensions) both hold `.vob`: Kodi's movie scan takes any file of
    them its folder holds (VideoInfoScanner DoScan, RetrieveInfoForMovie), Jellyfin's
    VideoResolver.IsVideoFile too, so a lone `Old Film (1975).vob` (a VHS capture, a DVD's
    main title saved alone) is a movie there, and was silently none of ours. A DVD's own VOBs
    stay the disc's: in VIDEO_TS, or beside a VIDEO_TS.IFO (Kodi's GetOpticalMediaPath makes
    that folder the disc, Jellyfin's IsDvdFile `video_ts.ifo`), also as a folder stack's part
    (`CD1/VIDEO_TS.IFO`). A DVD's title VOBs without their IFO are no disc to either: Kodi
    never stacks them (FileItemList.cpp Stack: a VIDEO::IsDVDFile item is no file-stack
    candidate) and Jellyfin's stacking needs `cd`/`part`/`disc` in the name, so each is a
    video of its own there and here."""
    make(
        tmp_path,
        "Old Film (1975)/Old Film (1975).vob",
        "Home Movies/Wedding 1994.VOB",
        "Flat DVD (2001)/VIDEO_TS.IFO",
        "Flat DVD (2001)/VIDEO_TS.VOB",
        "Flat DVD (2001)/VTS_01_1.VOB",
        "Flat DVD (2001)/VTS_01_2.VOB",
        "DVD (1999)/VIDEO_TS/VIDEO_TS.IFO",
        "DVD (1999)/VIDEO_TS/VTS_01_1.VOB",
        "Two Discs (1990)/CD1/VIDEO_TS.IFO",
        "Two Discs (1990)/CD1/VTS_01_1.VOB",
        "Two Discs (1990)/CD2/VIDEO_TS.IFO",
        "Two Discs (1990)/CD2/VTS_01_1.VOB",
        "Rip (1980)/VTS_01_1.VOB",
        "Rip (1980)/VTS_01_2.VOB",
        "Old Film (1975)/Old Film (1975)-trailer.vob",
    )

    assert found(tmp_path) == {
        "Old Film (1975)/Old Film (1975).vob": ["Old Film (1975)/Old Film (1975).vob"],
        "Home Movies/Wedding 1994.VOB": ["Home Movies/Wedding 1994.VOB"],
        "Flat DVD (2001)": ["Flat DVD (2001)"],
        "DVD (1999)": ["DVD (1999)"],
        # each a disc; no stack of the two, nor in Kodi 20/21 (FileItemList.cpp StackFolders
        # collapses a `CDn` folder only when it holds a single video file); never a folder
        # stack of their VOBs taken for each folder's one video
        "Two Discs (1990)/CD1": ["Two Discs (1990)/CD1"],
        "Two Discs (1990)/CD2": ["Two Discs (1990)/CD2"],
        "Rip (1980)/VTS_01_1.VOB": ["Rip (1980)/VTS_01_1.VOB"],
        "Rip (1980)/VTS_01_2.VOB": ["Rip (1980)/VTS_01_2.VOB"],
    }
    assert is_video_path(tmp_path / "Home Movies" / "Wedding 1994.VOB", tmp_path)
    assert is_episode_file("The Office (US) - S02E01 - The Dundies.vob")


def test_an_avchd_camcorders_structure_is_one_disc(tmp_path):
    """An AVCHD camcorder's card (Sony, Panasonic: `PRIVATE/AVCHD/BDMV/` with `INDEX.BDM`,
    `MOVIEOBJ.BDM`, `PLAYLIST/00000.MPL`, `CLIPINF/00000.CPI`, `STREAM/00000.MTS`) is a
    Blu-ray structure to Kodi: GetOpticalMediaPath (video/VideoUtils.cpp) takes `INDEX.BDM`
    and `BDMV/INDEX.BDM` beside `index.bdmv`, so the folder holding them is one disc. Copied
    without its BDMV folder (`Holiday 2012/INDEX.BDM`, `STREAM/`...) it was no disc here: each
    `STREAM/*.MTS` clip was a movie of its own, which Kodi never lists."""
    avchd = ("INDEX.BDM", "MOVIEOBJ.BDM", "PLAYLIST/00000.MPL", "CLIPINF/00000.CPI")
    streams = ("STREAM/00000.MTS", "STREAM/00001.MTS")
    make(tmp_path, *(f"Holiday 2012/{name}" for name in avchd + streams))
    make(tmp_path, *(f"Camcorder Card/PRIVATE/AVCHD/BDMV/{name}" for name in avchd + streams))

    movies = {v.path.relative_to(tmp_path).as_posix(): v for v in walk_library(tmp_path)}

    assert set(movies) == {"Holiday 2012", "Camcorder Card/PRIVATE/AVCHD"}
    assert movies["Holiday 2012"].is_disc and movies["Holiday 2012"].size == 20
    assert is_skipped_show_folder("BDMV")


def test_windows_media_centers_live_tv_buffers_are_junk(tmp_path):
    """Windows Media Center keeps its live TV and in-progress buffers in `Recorded TV/TempRec`
    and `TempSBE`, written to all the time: Jellyfin leaves both out ("WMC temp recording
    directories that will constantly be written to", IgnorePatterns.cs `**/TempRec`,
    `**/TempSBE`). A `.wtv` there (the folder names are WMC's; the files in them stand for
    whatever it buffers) was a movie here, and in a TV library a show."""
    make(
        tmp_path,
        "Recorded TV/Heat (1995).wtv",
        "Recorded TV/TempRec/Heat (1995).wtv",
        "Recorded TV/TempSBE/Heat (1995).wtv",
    )

    assert list(found(tmp_path)) == ["Recorded TV/Heat (1995).wtv"]
    assert is_skipped_show_folder("TempRec") and is_skipped_show_folder("tempsbe")
    assert not is_video_path(tmp_path / "TempRec" / "x.wtv", tmp_path, tv=True)


class _CountedSplits:
    """`walk._DIGITS` counting its `split`s: one per sort key the walk computes."""

    def __init__(self, pattern):
        self.pattern, self.calls = pattern, 0

    def split(self, text):
        self.calls += 1
        return self.pattern.split(text)


def test_a_rescan_computes_no_sort_key_of_a_name_it_sorted_before(tmp_path, monkeypatch):
    """The top folder of a library holds thousands of movie folders, sorted in Kodi's natural
    order at every walk; their keys were computed again each time, a tenth of a rescan of
    10,000 unchanged movies (bench.scan). Now only a name not seen before costs one."""
    from metarrd import walk

    title = tmp_path.name  # names no other test's walk sorted
    names = [f"{title} {i} ({1950 + i})" for i in (1, 2, 10, 11, 100)]
    for name in names:
        make(tmp_path, f"{name}/{name}.mkv", f"{name}/{name}.nfo")
    make(tmp_path, "Loose (2003) cd1.avi", "Loose (2003) cd2.avi")
    counted = _CountedSplits(walk._DIGITS)
    monkeypatch.setattr(walk, "_DIGITS", counted)
    first = list(walk_library(tmp_path))
    assert counted.calls >= len(names)  # the first walk sorts them: one key each
    assert [v.path.parent.name for v in first[1:]] == names  # by number: 2 before 10

    counted.calls = 0
    known = {v.file for v in first if len(v.files) == 1}
    assert list(walk_library(tmp_path)) == first
    assert list(walk_library(tmp_path, known=known)) == first
    assert counted.calls == 0

    make(tmp_path, f"{title} 3 (1953)/{title} 3 (1953).mkv")  # a new one: its key only
    again = [v.path.parent.name for v in walk_library(tmp_path, known=known)]
    assert again[1:] == [*names[:2], f"{title} 3 (1953)", *names[2:]]
    assert counted.calls == 1


def python_calls_per_folder(tmp_path: Path, extra: dict[str, str] | None = None) -> float:
    """Python function calls (generator resumes included) a rescan's walk makes per unchanged
    movie folder: those of 40 folders less those of 20, over 20 (`sys.setprofile` counts them)."""
    import sys

    calls = []
    for count in (20, 40):
        root = tmp_path / str(count)
        for i in range(count):
            name = f"Movie {i} ({1950 + i})"
            make(root, f"{name}/{name}.mkv", *(f"{name}/{n}" for n in (extra or {})))
        known = known_paths(root)
        seen = [0]

        def profile(frame, event, arg, seen=seen):
            if event == "call":
                seen[0] += 1

        sys.setprofile(profile)
        try:
            movies = list(walk_library(root, known=known))
        finally:
            sys.setprofile(None)
        assert len(movies) == count
        calls.append(seen[0])
    return (calls[1] - calls[0]) / 20


def test_an_unchanged_movie_folder_costs_the_walk_few_python_calls(tmp_path):
    """A rescan walks every folder of the library, thousands, most of them a known movie's
    as it was. Each cost twelve Python calls: the folder's own checks one function each
    (`.nomedia`, the known video, its name, the file's identity, the `FoundVideo`), and its
    place in the top folder one more each (symlinked or not, a disc folder's name or not).
    Now the folder's checks are one, and the top folder's are loops."""
    assert python_calls_per_folder(tmp_path) <= 5
    # its NFO and artwork beside it change nothing
    assert python_calls_per_folder(tmp_path / "art", {"movie.nfo": "", "poster.jpg": ""}) <= 5


def test_a_published_movies_folder_costs_the_walk_as_few_python_calls(tmp_path):
    """A published movie's folder holds its `.actors/` photos, a hidden folder the walk never
    enters. Being a subfolder, it took the folder off the known movie's short way: every rule
    again, its names sorted: fifty Python calls instead of five for each movie of a published
    library."""
    published = {"movie.nfo": "", "poster.jpg": "", ".actors/Keanu_Reeves.jpg": ""}
    assert python_calls_per_folder(tmp_path, published) <= 5


def test_a_known_movies_folder_holding_a_folder_not_hidden_is_judged_again(tmp_path):
    make(tmp_path, "Heat (1995)/Heat (1995).mkv")
    known = known_paths(tmp_path)
    make(tmp_path, "Heat (1995)/.actors/Al_Pacino.jpg", "Heat (1995)/Heat 2/Heat 2.mkv")
    found = sorted(v.path.name for v in walk_library(tmp_path, known=known))
    assert found == ["Heat (1995).mkv", "Heat 2.mkv"]


def test_a_known_movies_folder_kept_out_since_is_kept_out_by_the_rescan(tmp_path):
    """The rescan's shortcut for a known movie's folder as it was gives way to `.nomedia` and
    `.ignore`, as the full rules do: a folder the user kept out of Kodi or Jellyfin after the
    first scan is not scanned; a `.ignore` of patterns changes nothing."""
    make(tmp_path, *(f"{n} (2000)/{n} (2000).mkv" for n in ("Kept", "Ignored", "Patterns")))
    known = known_paths(tmp_path)
    make(tmp_path, "Kept (2000)/.nomedia", "Ignored (2000)/.ignore", size=0)
    (tmp_path / "Patterns (2000)" / ".ignore").write_text("*.nfo\n")

    assert list(walk_library(tmp_path, known=known)) == list(walk_library(tmp_path))
    assert sorted(found(tmp_path, known=known)) == ["Patterns (2000)/Patterns (2000).mkv"]
    assert sorted(skips(tmp_path, known=known)) == ["Ignored (2000)", "Kept (2000)"]


# names whose natural order is easy to get wrong: a text that is a prefix of another, numbers
# with leading zeros, of more digits, a digit of another script (Arabic-Indic 3), case, a
# character below the space, composed and decomposed accents, a ligature
TRICKY_NAMES = [
    "", "a", "a1", "a01", "a001b", "a1b", "a b", "a 1", "1", "01", "0", "00", "a0b", "a00b",
    "a10", "a9", "a\u0663", "a3", "A3", "\u00df", "ss", "SS", "a\x01", "a1\x01", "a\x01b",
    "Movie 2 (2000)", "Movie 10 (2000)", "Movie 1a", "Movie 1 a", "x" + "9" * 30,
    "x1" + "0" * 30, "\u00e9", "e\u0301", "cd1", "cd01", "cd1.avi", "cd10.avi", "cd2.avi",
    "\u0661\u0662", "12", "1a", "1 a", "a1a1", "a1a01", "a01a1", "\ufb011", "fi1", "a.01.b",
    "a-1", "a_1", "a1_", "\x7f", "\u00ff1", "\u0100",
]  # fmt: skip


def test_the_remembered_sort_key_sorts_as_kodis_natural_order(tmp_path):
    """The walk sorts a folder's names by a key remembered between walks (`_name_key`): one
    string where `natural_key` is a list of texts and numbers. A list kept its texts and
    numbers as objects of their own, some 330 bytes a name, and two lists compared element by
    element: a third of the sorting of a 10,000-folder top folder. The string must order any
    two names as the list does, ties included (the listing's order is kept on a tie)."""
    import tracemalloc

    from metarrd.walk import _name_key, natural_key

    for a in TRICKY_NAMES:
        for b in TRICKY_NAMES:
            assert (_name_key(a) < _name_key(b)) == (natural_key(a) < natural_key(b)), (a, b)
            assert (_name_key(a) == _name_key(b)) == (natural_key(a) == natural_key(b)), (a, b)

    names = [f"{tmp_path.name} Movie {i:05d} ({1950 + i % 70})" for i in range(2000)]
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for name in names:
            _name_key(name)
        held = (tracemalloc.get_traced_memory()[0] - before) / len(names)
    finally:
        tracemalloc.stop()
    assert held < 200, held  # the key and its place in the cache


class _CountedSet(set):
    """A set that counts the look-ups made in it."""

    lookups = 0

    def __contains__(self, item):
        self.lookups += 1
        return super().__contains__(item)


def test_the_top_folder_looks_up_each_known_movie_folder_once(tmp_path):
    """A rescan classifies the library's top folder, its thousands of subfolders most of them
    known movies' folders as they were: each was looked up twice among the known folders, and
    its path put into a set and looked up in it once more to put the known ones back in
    listing order (four passes over 10,000 folders). Now one pass keeps them in order."""
    from metarrd import walk

    names = [f"Movie {i} ({1950 + i})" for i in range(30)]
    make(tmp_path, *(f"{n}/{n}.mkv" for n in names), "New (2024)/New (2024).mkv", "Extras/x.mkv")
    make(tmp_path, "Stack (2001)/CD1/a.avi", "Stack (2001)/CD2/b.avi")
    known = {p for p in known_paths(tmp_path) if "New (2024)" not in p}
    known_dirs = _CountedSet(os.path.dirname(p) for p in known)
    entries = sorted(os.scandir(tmp_path), key=walk._entry_key)

    movies, walkable = walk._classify(
        str(tmp_path), entries, walk._Reporter(None), known, known_dirs
    )
    assert not movies
    assert [os.path.basename(d.path) for d in walkable] == [
        e.name
        for e in entries
        if e.name != "Extras"  # listing order, known or not
    ]
    assert known_dirs.lookups <= len(entries)


def test_a_dot_ignore_of_patterns_leaves_out_what_they_match_as_jellyfin(tmp_path):
    """Jellyfin 10.11 reads a `.ignore` that holds lines as gitignore patterns
    (DotIgnoreIgnoreRule.cs; the example of its docs, "Excluding Files and Directories":
    `*.avi`, `sample.mkv`, `specials/`), matched ignoring case (the Ignore library's
    `RegexOptions.IgnoreCase`), and only the nearest `.ignore` counts (FindIgnoreFileCached
    stops at the first). The walk took everything they matched for movies, and wrote NFOs for
    what Jellyfin never shows."""
    make(
        tmp_path,
        "Heat (1995)/Heat (1995).mkv",
        "Alien (1979)/Alien (1979).AVI",
        "Specials/Heat - Making Of (1995).mkv",
        "Kurosawa/Ran (1985).avi",  # its own `.ignore` replaces the root's: found
        "Kurosawa/Ikiru (1952).mkv",
        # Jellyfin's test data: `SPs` then `!thebestshot.mkv` takes one file back
        "Shots/SPs/ffffff (2001).mkv",
        "Shots/Best/thebestshot (2002).mkv",
        # a pattern is no regex: `.` is a dot, `(` a parenthesis
        "Heat.(1995)/Heat.(1995).mkv",
    )
    (tmp_path / ".ignore").write_text("*.avi\nsample.mkv\nspecials/\nHeat.(1995).*\n")
    (tmp_path / "Kurosawa" / ".ignore").write_text("# mine\n*.mkv\n")
    (tmp_path / "Shots" / ".ignore").write_text("SPs\nthebestshot*\n!thebestshot (2002).mkv\n")
    known = known_paths(tmp_path)

    expected = [
        "Heat (1995)/Heat (1995).mkv",
        "Kurosawa/Ran (1985).avi",
        "Shots/Best/thebestshot (2002).mkv",
    ]
    assert sorted(found(tmp_path)) == expected
    assert sorted(found(tmp_path, known=known)) == expected  # the rescan's shortcut too
    assert skips(tmp_path) == {
        "Alien (1979)/Alien (1979).AVI": f"matched by the pattern `*.avi` in {tmp_path}/.ignore "
        "(Jellyfin does not scan it): not scanned",
        "Specials": f"matched by the pattern `specials/` in {tmp_path}/.ignore (Jellyfin does "
        "not scan it): not scanned",
        "Kurosawa/Ikiru (1952).mkv": f"matched by the pattern `*.mkv` in {tmp_path}/Kurosawa/"
        ".ignore (Jellyfin does not scan it): not scanned",
        "Shots/SPs": f"matched by the pattern `SPs` in {tmp_path}/Shots/.ignore (Jellyfin does "
        "not scan it): not scanned",
        "Heat.(1995)/Heat.(1995).mkv": f"matched by the pattern `Heat.(1995).*` in {tmp_path}/.ignore (Jellyfin "
        "does not scan it): not scanned",
    }
    # a scan of part of the library (the watcher's, a webhook's) judges the way down alike
    assert not walks_into(tmp_path / "Specials", tmp_path)
    assert not_walked_for(tmp_path / "Shots" / "SPs", tmp_path) == (
        str(tmp_path / "Shots" / "SPs"),
        f"matched by the pattern `SPs` in {tmp_path}/Shots/.ignore (Jellyfin does not scan "
        "it): not scanned",
    )
    assert walks_into(tmp_path / "Kurosawa", tmp_path)
    assert [v.file for v in walk_library(tmp_path / "Alien (1979)", library_root=tmp_path)] == []
    assert [
        os.path.basename(v.file) for v in walk_library(tmp_path / "Kurosawa", library_root=tmp_path)
    ] == ["Ran (1985).avi"]


def test_a_plexignore_leaves_out_what_its_patterns_match_as_plex(tmp_path):
    """Plex's `.plexignore` (support.plex.tv, "Excluding New Content with .plexignore"): one
    pattern a line, `#` comments, `*` within one name, patterns relative to the folder
    holding the file (`Home Videos/*`), a name alone at any depth below (`*.wmv`); the root's
    file applies to every folder below and a subfolder's adds to it. The walk read none."""
    make(
        tmp_path,
        "Heat (1995)/Heat (1995).mkv",
        "Home Videos/Birthday (2019).mp4",
        "Home Videos/Beach/Holiday (2021).mp4",
        "Old/Gladiator (2000).wmv",
        "Kurosawa/Ran (1985).mkv",
        "Kurosawa/Ikiru (1952).wmv",
        "Kurosawa/Kagemusha (1980).mkv",
    )
    (tmp_path / ".plexignore").write_text("# not for Plex\nHome Videos/*\n*.wmv\n")
    (tmp_path / "Kurosawa" / ".plexignore").write_text("Ran*\n")

    assert sorted(found(tmp_path)) == [
        "Heat (1995)/Heat (1995).mkv",
        "Kurosawa/Kagemusha (1980).mkv",
    ]
    plex = "(Plex does not scan it): not scanned"
    assert skips(tmp_path) == {
        "Home Videos/Beach": f"matched by the pattern `Home Videos/*` in {tmp_path}/.plexignore {plex}",
        "Home Videos/Birthday (2019).mp4": f"matched by the pattern `Home Videos/*` in {tmp_path}/.plexignore {plex}",
        "Old/Gladiator (2000).wmv": f"matched by the pattern `*.wmv` in {tmp_path}/.plexignore {plex}",
        "Kurosawa/Ikiru (1952).wmv": f"matched by the pattern `*.wmv` in {tmp_path}/.plexignore {plex}",
        "Kurosawa/Ran (1985).mkv": f"matched by the pattern `Ran*` in {tmp_path}/Kurosawa/.plexignore {plex}",
    }
    assert not walks_into(tmp_path / "Home Videos" / "Beach", tmp_path)
    assert walks_into(tmp_path / "Home Videos", tmp_path)  # `Home Videos/*`: what it holds


def test_the_nearest_dot_ignore_above_the_library_root_counts_as_jellyfin(tmp_path):
    """Jellyfin looks for the `.ignore` in force from the item's folder up to the file
    system's root (DotIgnoreIgnoreRule.FindIgnoreFile: `current.Parent` until there is none),
    past its library's folder: `/media/.ignore` applies to the library `/media/Movies`. The
    walk started at the library's root and read none above it: it took what Jellyfin leaves
    out for movies. Only the nearest counts: one further up is not read, and the root's own
    replaces the one above."""
    media = tmp_path / "media"
    root = media / "Movies"
    make(
        root,
        "Heat (1995)/Heat (1995).mkv",
        "Alien (1979)/Alien (1979).avi",
        "Trailers/Heat (1995).mkv",
    )
    (tmp_path / ".ignore").write_text("*.mkv\n")  # further up: not read
    (media / ".ignore").write_text("*.avi\ntrailers/\n")
    rule = "(Jellyfin does not scan it): not scanned"

    assert sorted(found(root)) == ["Heat (1995)/Heat (1995).mkv"]
    assert skips(root) == {
        "Alien (1979)/Alien (1979).avi": f"matched by the pattern `*.avi` in {media}/.ignore {rule}",
        "Trailers": f"matched by the pattern `trailers/` in {media}/.ignore {rule}",
    }
    # a scan of part of the library (the watcher's, a webhook's) judges the way down alike
    assert not walks_into(root / "Trailers", root)
    assert kept_out_on_the_way(root / "Alien (1979)" / "Alien (1979).avi", root) == (
        str(root / "Alien (1979)" / "Alien (1979).avi"),
        f"matched by the pattern `*.avi` in {media}/.ignore {rule}",
    )
    assert [v.file for v in walk_library(root / "Alien (1979)", library_root=root)] == []

    (root / ".ignore").write_text("# the library's own\nTrailers/\n")  # nearer: the one above goes
    assert sorted(found(root)) == ["Alien (1979)/Alien (1979).avi", "Heat (1995)/Heat (1995).mkv"]
    # a blank one of the library's own is the nearest too: the patterns above go (the library
    # is not left out whole, as a blank `.ignore` below it leaves its folder out)
    (root / ".ignore").write_text("\n")
    assert sorted(found(root)) == ["Alien (1979)/Alien (1979).avi", "Heat (1995)/Heat (1995).mkv"]
    assert not kept_out_on_the_way(root / "Alien (1979)" / "Alien (1979).avi", root)

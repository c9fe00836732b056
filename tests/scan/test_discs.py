"""Disc movies (a folder holding `VIDEO_TS/` or `BDMV/`) by Kodi's rules: the artwork base is the
movie folder itself, so Kodi reads bare names there (`poster.jpg`); the user's art is found under
those and under the `<folder>-poster.jpg` names older tools (and metarrd before) used."""

from __future__ import annotations

from pathlib import Path

import pytest

from metarrd import db
from metarrd.scan.local_files import (
    art_base_name,
    base_name,
    classify_image,
    find_local_artwork,
    find_nfo,
    movie_folder,
    stack_nfo_name,
)
from metarrd.walk import FoundVideo, walk_library

from .conftest import MEDIA, put

DVD = ("VIDEO_TS/VIDEO_TS.IFO", "VIDEO_TS/VTS_01_0.IFO", "VIDEO_TS/VTS_01_1.VOB")
BLURAY = ("BDMV/index.bdmv", "BDMV/STREAM/00000.m2ts")


def _disc(folder: Path, files: tuple[str, ...]) -> FoundVideo:
    for rel in files:
        put(folder, rel, MEDIA / "mpeg2_mp2.mpg")
    [video] = list(walk_library(folder.parent))
    assert video.is_disc
    return video


@pytest.mark.parametrize("files", [DVD, BLURAY, ("VIDEO_TS.IFO", "VTS_01_1.VOB")])
def test_a_discs_art_base_is_its_folder_and_its_nfo_is_named_after_it(tmp_path, files):
    video = _disc(tmp_path / "movies" / "Alien (1979)", files)
    assert movie_folder(video) == tmp_path / "movies" / "Alien (1979)"
    assert base_name(video) == "Alien (1979)"  # the NFO: Alien (1979).nfo
    assert art_base_name(video) == ""  # the artwork: poster.jpg, fanart1.jpg
    assert stack_nfo_name(video) is None


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("poster.jpg", ("poster", 1)),
        ("fanart1.jpg", ("fanart", 2)),
        ("fanart-2.jpg", ("fanart", 3)),  # Jellyfin's spelling
        ("backdrop.jpg", ("fanart", 1)),
        ("folder.jpg", ("poster", 1)),
        ("clearlogo.png", ("clearlogo", 1)),
        ("Alien (1979)-poster.jpg", None),  # another base's name: not a bare name
        ("-poster.jpg", None),
        ("poster.txt", None),
    ],
)
def test_no_base_means_bare_names_only(name, kind):
    assert classify_image(name, "", own_folder=False) == kind


def test_the_users_disc_art_is_found_under_bare_and_folder_names(tmp_path, config_factory):
    from tests.publish.conftest import image_bytes

    folder = tmp_path / "movies" / "Alien (1979)"
    video = _disc(folder, DVD)
    (folder / "poster.jpg").write_bytes(image_bytes("poster"))  # what Kodi reads
    (folder / "fanart1.jpg").write_bytes(image_bytes("fanart"))
    (folder / "Alien (1979)-clearlogo.png").write_bytes(image_bytes("clearlogo", "png"))  # older
    (folder / "VIDEO_TS" / "poster.jpg").write_bytes(image_bytes("poster"))  # not the folder's
    config = config_factory(libraries={"Movies": tmp_path / "movies"})
    found = find_local_artwork(video, config, is_ours=lambda _p: False)
    assert sorted((a.path.name, a.asset_type, a.rank) for a in found) == [
        ("Alien (1979)-clearlogo.png", "clearlogo", 1),
        ("fanart1.jpg", "fanart", 2),
        ("poster.jpg", "poster", 1),
    ]


def test_a_discs_nfo_is_the_folders_then_the_discs_own(tmp_path):
    folder = tmp_path / "movies" / "Alien (1979)"
    video = _disc(folder, DVD)
    assert find_nfo(video) is None
    (folder / "movie.nfo").write_text("<movie/>")
    assert find_nfo(video) == folder / "movie.nfo"
    (folder / "VIDEO_TS" / "VIDEO_TS.nfo").write_text("<movie/>")
    assert find_nfo(video) == folder / "VIDEO_TS" / "VIDEO_TS.nfo"
    (folder / "Alien (1979).nfo").write_text("<movie/>")
    assert find_nfo(video) == folder / "Alien (1979).nfo"


@pytest.mark.parametrize(
    ("files", "nfo"),
    [
        (("VIDEO_TS.IFO", "VTS_01_0.IFO", "VTS_01_1.VOB"), "VIDEO_TS.nfo"),
        (DVD, "VIDEO_TS.nfo"),
        (BLURAY, "BDMV.nfo"),
    ],
)
def test_a_discs_nfo_under_its_discs_name_in_its_folder_is_read(tmp_path, files, nfo):
    # Kodi stores a DVD whose files are in the movie folder itself as `<dir>/VIDEO_TS.IFO` and
    # reads `<dir>/VIDEO_TS.nfo` first (`CVideoTagLoaderNFO::FindNFO`: the item's name with
    # `.nfo`), and any disc's folder's only `.nfo`, whatever its name. tinyMediaManager names a
    # disc's NFO so (`Movie.getNfoFilename`, FILENAME_NFO of a disc: `VIDEO_TS.nfo` beside
    # VIDEO_TS.IFO or VIDEO_TS/, `BDMV.nfo` beside BDMV/).
    # Before, the scan never looked for these: the user's ids and edits were not taken in.
    folder = tmp_path / "movies" / "Alien (1979)"
    video = _disc(folder, files)
    (folder / nfo).write_text("<movie/>")
    assert find_nfo(video) == folder / nfo
    (folder / "Alien (1979).nfo").write_text("<movie/>")
    assert find_nfo(video) == folder / "Alien (1979).nfo"  # the folder's first, as for any disc


def test_a_flat_blu_rays_nfo_is_index_nfo_then_the_folders(tmp_path):
    # A Blu-ray's files in the movie folder itself: Kodi stores it as `<dir>/index.bdmv` and
    # reads `<dir>/index.nfo` first (FindNFO), the name tinyMediaManager gives it there too.
    folder = tmp_path / "movies" / "Alien (1979)"
    video = _disc(folder, ("index.bdmv", "STREAM/00000.m2ts"))
    assert movie_folder(video) == folder and art_base_name(video) == ""
    (folder / "index.nfo").write_text("<movie/>")
    assert find_nfo(video) == folder / "index.nfo"


@pytest.mark.parametrize(
    ("files", "nfo"),
    [
        (("video_ts/video_ts.ifo", "video_ts/vts_01_1.vob"), "video_ts/video_ts.nfo"),
        (("bdmv/index.bdmv", "bdmv/stream/00000.m2ts"), "bdmv/index.nfo"),
        (("video_ts.ifo", "vts_01_1.vob"), "video_ts.nfo"),
    ],
)
def test_a_lower_case_discs_own_nfo_is_read(tmp_path, files, nfo):
    # A disc copied off a Linux mount (iso9660's map=normal lower-cases every name): Kodi over a
    # share that ignores case (SMB) reads `video_ts/video_ts.nfo` as its VIDEO_TS/VIDEO_TS.nfo.
    # Before, the scan looked for the upper-case spelling only and never read it.
    folder = tmp_path / "movies" / "Alien (1979)"
    video = _disc(folder, files)
    (folder / nfo).write_text("<movie/>")
    assert find_nfo(video) == folder / nfo


def test_a_discs_folder_with_a_dot_in_its_name_gives_its_title_and_year(tmp_path, config_factory):
    """`Dr. Strangelove (1964)/VIDEO_TS/`: the disc's name was read as a file's, cut at its last
    dot ("Dr", no year), and searched so."""
    from metarrd import db
    from metarrd.runtime import open_runtime
    from metarrd.scan import scan

    _disc(tmp_path / "movies" / "Dr. Strangelove (1964)", DVD)
    rt = open_runtime(config_factory())
    try:
        (movie_id,) = scan(rt).new
    finally:
        rt.close()
    movie = db.Movie.get_by_id(movie_id)
    assert (movie.hints["name_title"], movie.hints["name_year"]) == ("Dr. Strangelove", 1964)
    assert (movie.title, movie.year) == ("Dr. Strangelove", 1964)


@pytest.mark.parametrize(
    ("files", "nfo"), [(DVD, "VIDEO_TS/VIDEO_TS.nfo"), (BLURAY, "BDMV/index.nfo")]
)
def test_a_discs_own_nfo_changed_is_taken_in_by_a_full_rescan(tmp_path, config_factory, files, nfo):
    """A disc's own NFO (`VIDEO_TS/VIDEO_TS.nfo`, Kodi's first for a DVD's folder) fixed in
    MediaElch beside the unchanged disc: the full rescan lists the disc's folder for its
    streams, and notes its NFO there too, so the fix is taken in as beside a file."""
    from metarrd.runtime import open_runtime
    from metarrd.scan import scan

    folder = tmp_path / "movies" / "Alien (1979)"
    _disc(folder, files)
    (folder / nfo).write_text("<movie><title>9</title></movie>")
    rt = open_runtime(config_factory(libraries={"Movies": tmp_path / "movies"}))
    try:
        (alien_id,) = scan(rt).new
        (folder / nfo).write_bytes(
            (Path(__file__).parents[1] / "nfo" / "mediaelch-kodi_v18_Alien_1979.nfo").read_bytes()
        )
        assert scan(rt).changed == [alien_id]
        assert db.Movie.get_by_id(alien_id).title == "Alien"
        assert scan(rt).unchanged == 1
    finally:
        rt.close()

"""Stacked movies (`Heat (1995) cd1.mkv` + `cd2.mkv`) by Kodi's rules: the stacked title Kodi
looks up art and its second-choice NFO under, the user's art found there, durations summed."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from metarrd import db
from metarrd.runtime import open_runtime
from metarrd.scan import local_files, scan
from metarrd.scan.local_files import art_base_name, base_name, find_local_artwork, find_nfo
from metarrd.scan.streams import read_stream_details
from metarrd.walk import FoundVideo, stack_names, stacked_title, walk_library

from .conftest import SAMPLE

# every stacking word of Kodi's default <moviestacking>, with every separator it allows
FORMS = [
    f"{sep}{word}{gap}{n}"
    for word in ("cd", "dvd", "part", "pt", "disc", "disk", "CD", "Part")
    for sep in (" ", ".", "-", "_")
    for gap, n in (("", "{n}"), (sep, "{n}"))
]


@pytest.mark.parametrize("form", FORMS)
def test_every_kodi_stacking_form_gives_the_stacked_title(form):
    names = [f"Heat (1995){form.format(n=n)}.mkv" for n in (1, 2)]
    assert stack_names(names) == [tuple(names)]
    assert stacked_title(names) == "Heat (1995).mkv"


@pytest.mark.parametrize(
    ("names", "title"),
    [
        (["Heat.1995.part1.1080p.mkv", "Heat.1995.part2.1080p.mkv"], "Heat.1995.1080p.mkv"),
        (["Heat (1995)a.avi", "Heat (1995)b.avi"], "Heat (1995).avi"),  # Kodi's a-d rule
        (["Heat (1995) cdA.avi", "Heat (1995) cdB.avi"], "Heat (1995).avi"),
        (["Part 1 of 2 cd1.avi", "Part 1 of 2 cd2.avi"], "Part 1 of 2.avi"),  # early match
        (["Heat (1995) cd1.mkv"], None),
        (["Heat (1995) cd1.avi", "Heat (1995) cd2.mkv"], None),  # not one stack
    ],
)
def test_stacked_title_follows_kodi(names, title):
    assert stacked_title(names) == title


def _stack(folder: Path, *names: str) -> FoundVideo:
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        (folder / name).write_bytes(b"video")
    [video] = list(walk_library(folder))
    return video


def test_art_base_is_the_stacked_title_and_the_nfo_keeps_the_first_parts_name(tmp_path):
    video = _stack(tmp_path / "Heat (1995)", "Heat (1995) cd1.mkv", "Heat (1995) cd2.mkv")
    assert base_name(video) == "Heat (1995) cd1"
    assert art_base_name(video) == "Heat (1995)"
    single = _stack(tmp_path / "Ronin (1998)", "Ronin (1998).mkv")
    assert art_base_name(single) == base_name(single) == "Ronin (1998)"
    nameless = _stack(tmp_path / "X", "cd1.avi", "cd2.avi")
    assert art_base_name(nameless) == "cd1"  # "-poster.jpg" would be no name at all


def test_a_stacks_nfo_is_the_first_parts_then_the_stacked_titles(tmp_path):
    folder = tmp_path / "Heat (1995)"
    video = _stack(folder, "Heat (1995).part1.mkv", "Heat (1995).part2.mkv")
    assert find_nfo(video) is None
    (folder / "Heat (1995).nfo").write_text("<movie/>")
    assert find_nfo(video) == folder / "Heat (1995).nfo"
    (folder / "Heat (1995).part1.nfo").write_text("<movie/>")
    assert find_nfo(video) == folder / "Heat (1995).part1.nfo"


def test_the_users_art_for_a_stack_is_found_under_both_names(tmp_path, config_factory):
    from tests.publish.conftest import image_bytes

    folder = tmp_path / "movies" / "Heat (1995)"
    folder.mkdir(parents=True)
    for name in ("Heat (1995) cd1.mkv", "Heat (1995) cd2.mkv", "Other (2001).mkv"):
        (folder / name).write_bytes(b"video")
    video = next(v for v in walk_library(folder) if len(v.parts) == 2)
    (folder / "Heat (1995)-poster.jpg").write_bytes(image_bytes("poster"))  # what Kodi reads
    (folder / "Heat (1995) cd1-fanart.jpg").write_bytes(image_bytes("fanart"))  # older tools
    (folder / "Other (2001)-poster.jpg").write_bytes(image_bytes("poster"))  # not this movie's
    config = config_factory(libraries={"Movies": tmp_path / "movies"})
    found = find_local_artwork(video, config, is_ours=lambda _p: False)
    assert sorted((a.path.name, a.asset_type) for a in found) == [
        ("Heat (1995) cd1-fanart.jpg", "fanart"),
        ("Heat (1995)-poster.jpg", "poster"),
    ]


def test_a_stacks_duration_is_the_sum_of_its_parts(tmp_path, config_factory):
    library = tmp_path / "movies"
    folder = library / "Heat (1995)"
    folder.mkdir(parents=True)
    for n in (1, 2):
        shutil.copyfile(SAMPLE, folder / f"Heat (1995) cd{n}.mkv")
    one = read_stream_details(SAMPLE).video[0].duration_seconds
    rt = open_runtime(config_factory(libraries={"Movies": library}))
    try:
        [movie_id] = scan(rt).new
        movie = db.Movie.get_by_id(movie_id)
        assert [Path(p).name for p in movie.parts] == ["Heat (1995) cd1.mkv", "Heat (1995) cd2.mkv"]
        [stream] = db.VideoStream.select().where(db.VideoStream.movie == movie_id)
        assert stream.duration_seconds == 2 * one > 0
    finally:
        rt.close()


def test_a_stack_of_parts_and_a_single_part_two_read_their_titles(tmp_path, config_factory):
    """`The Godfather part1.avi` + `part2.avi` (an old DivX rip, a stack): "The Godfather". `The
    Godfather Part II.mkv` alone, no year: its title is "The Godfather Part II", not "The
    Godfather" (which identify matched to the first film)."""
    library = tmp_path / "movies"
    (library / "Movies").mkdir(parents=True)
    for n in (1, 2):
        shutil.copyfile(SAMPLE, library / "Movies" / f"The Godfather part{n}.avi")
    shutil.copyfile(SAMPLE, library / "Movies" / "The Godfather Part II.mkv")
    rt = open_runtime(config_factory(libraries={"Movies": library}))
    try:
        scan(rt)
    finally:
        rt.close()
    titles = {Path(m.path).name: m.hints["name_title"] for m in db.Movie.select()}
    assert titles == {
        "The Godfather part1.avi": "The Godfather",
        "The Godfather Part II.mkv": "The Godfather Part II",
    }


def test_a_folder_stacks_nfo_is_read_in_the_movie_folder_above_its_parts_too(tmp_path):
    """`Heat (1995)/CD1/Heat (1995) cd1.avi` + `CD2/Heat (1995) cd2.avi` (Kodi folder-stacks
    `CD1/`, `CD2/` holding one video each and stacks the files by their names, FileItemList.cpp
    StackFolders, StackFiles). Kodi's FindNFO (VideoTagLoaderNFO.cpp) reads the first part's
    NFO, then, stripping a trailing `cd1` folder, the first part's name in the folder above,
    then the stacked title's in the parts' common folder (`GetStackedTitlePath` under
    `URIUtils::GetParentPath` of the stack): `Heat (1995)/Heat (1995).nfo`, where Kodi's own
    library export writes a stack's NFO (CVideoDatabase::ExportToXML, `GetTBNFile` with
    `.nfo`). The scan looked in `CD1/` only: the user's NFO of Kodi's export, their title and
    ids, was never read."""
    movie = tmp_path / "Heat (1995)"
    for n in (1, 2):
        (movie / f"CD{n}").mkdir(parents=True)
        shutil.copyfile(SAMPLE, movie / f"CD{n}" / f"Heat (1995) cd{n}.avi")
    [video] = list(walk_library(tmp_path))
    assert len(video.parts) == 2 and find_nfo(video) is None
    (movie / "movie.nfo").write_text("<movie/>")
    assert find_nfo(video) == movie / "movie.nfo"
    (movie / "Heat (1995).nfo").write_text("<movie/>")  # Kodi's export
    assert find_nfo(video) == movie / "Heat (1995).nfo"
    (movie / "Heat (1995) cd1.nfo").write_text("<movie/>")  # FindNFO: the `cd1` folder left out
    assert find_nfo(video) == movie / "Heat (1995) cd1.nfo"
    (movie / "CD1" / "Heat (1995) cd1.nfo").write_text("<movie/>")  # Kodi's first, and ours
    assert find_nfo(video) == movie / "CD1" / "Heat (1995) cd1.nfo"

    # a lone `CD1/` (its `CD2/` not copied yet): Kodi strips the `cd1` folder for it too
    lone = tmp_path / "Ronin (1998)"
    (lone / "CD1").mkdir(parents=True)
    shutil.copyfile(SAMPLE, lone / "CD1" / "ronin.avi")
    (lone / "ronin.nfo").write_text("<movie/>")
    [single] = list(walk_library(lone))
    assert find_nfo(single) == lone / "ronin.nfo"
    # `Disc1/` is no `cd1` folder to FindNFO: nothing is read above it
    (lone / "CD1").rename(lone / "Disc1")
    [disc1] = list(walk_library(lone))
    assert find_nfo(disc1) is None


def test_a_category_folder_whose_other_movie_is_a_symlinked_folder_is_not_the_stacks(
    tmp_path, monkeypatch
):
    """`Movies/Action/CD1/cd1.avi` + `CD2/cd2.avi` beside `Movies/Action/Ronin (1998)`, a link
    to the film's folder on another disk, which the walk follows (`follow_symlinks`): the
    check that `Action/` is the stack's alone did not enter linked folders, so the category's
    `movie.nfo` was read as the stack's (and publish wrote bare art there: every movie's)."""
    action = tmp_path / "Movies" / "Action"
    for n in (1, 2):
        (action / f"CD{n}").mkdir(parents=True)
        shutil.copyfile(SAMPLE, action / f"CD{n}" / f"cd{n}.avi")
    ronin = tmp_path / "disk2" / "Ronin (1998)"
    ronin.mkdir(parents=True)
    shutil.copyfile(SAMPLE, ronin / "Ronin (1998).avi")
    (action / "Ronin (1998)").symlink_to(ronin, target_is_directory=True)
    (action / "movie.nfo").write_text("<movie><title>Action</title></movie>")  # the category's
    walked = list(walk_library(tmp_path / "Movies", follow_symlinks=True))
    [stack] = [v for v in walked if len(v.parts) == 2]
    assert len(walked) == 2  # Ronin, through the link, and the stack
    assert find_nfo(stack) is None
    assert local_files.folder_stack_art(stack) is None  # no stacked title, no bare names
    (action / "Ronin (1998)").unlink()  # the stack's alone: its movie.nfo is Kodi's too
    assert find_nfo(stack) == action / "movie.nfo"
    assert local_files.folder_stack_art(stack) == (action, "", True)

    # a library's own folder holds no movie's bare names: it is not walked to say so
    def walked_(*_args):
        raise AssertionError("a library's root walked for its movies")

    monkeypatch.setattr(local_files, "_is_alone_above", walked_)
    assert find_nfo(stack, [action]) is None
    assert local_files.folder_stack_art(stack, [action]) is None


def test_the_users_art_for_a_folder_stack_is_found_in_the_movie_folder_above(
    tmp_path, config_factory
):
    """Kodi's art base for `stack://Heat (1995)/CD1/Heat (1995) cd1.avi , .../CD2/...` is the
    stacked title in the parts' common folder (ArtUtils GetLocalArtBaseFilename: GetParentPath
    of the stack, then GetStackedTitlePath's name): `Heat (1995)/Heat (1995)-poster.jpg`, where
    Kodi's library export writes its art; its folder art is `Heat (1995)/fanart.jpg`
    (TestArtUtils.cpp: `stack:///path/to/movie_name/cd1/... , .../cd2/...` ->
    `/path/to/movie_name/art.jpg`). The scan looked in `CD1/` only: none of it was found."""
    from tests.publish.conftest import image_bytes

    movie = tmp_path / "movies" / "Heat (1995)"
    for n in (1, 2):
        (movie / f"CD{n}").mkdir(parents=True)
        (movie / f"CD{n}" / f"Heat (1995) cd{n}.avi").write_bytes(b"video")
    (movie / "Heat (1995)-poster.jpg").write_bytes(image_bytes("poster"))  # Kodi's export
    (movie / "fanart.jpg").write_bytes(image_bytes("fanart"))  # folder art
    (movie / "Other-poster.jpg").write_bytes(image_bytes("poster"))  # no name of this movie's
    [video] = list(walk_library(tmp_path / "movies"))
    config = config_factory(libraries={"Movies": tmp_path / "movies"})
    found = find_local_artwork(video, config, is_ours=lambda _p: False)
    assert sorted((a.path.relative_to(movie).as_posix(), a.asset_type) for a in found) == [
        ("Heat (1995)-poster.jpg", "poster"),
        ("fanart.jpg", "fanart"),
    ]


def test_a_folder_stack_in_the_library_root_takes_no_bare_art_of_the_library(
    tmp_path, config_factory
):
    """`Heat (1995) CD1/` + `Heat (1995) CD2/` straight in the library's folder (Kodi folder-
    stacks them: FileItemList.cpp StackFolders, `_FOLDER_STACK`), whose folder holds no video
    of its own as every movie is in its own folder. The library's own `poster.jpg`,
    `fanart.jpg` there (Jellyfin's library image, Kodi's source thumbnail) are the whole
    library's, as publish already holds (`stage._art_home` writes no bare name there): they
    were read as this movie's poster and fanart. Its art under the stacked title still is."""
    from tests.publish.conftest import image_bytes

    root = tmp_path / "movies"
    for n in (1, 2):
        (root / f"Heat (1995) CD{n}").mkdir(parents=True)
        (root / f"Heat (1995) CD{n}" / f"Heat (1995) cd{n}.avi").write_bytes(b"video")
    (root / "Alien (1979)").mkdir()
    (root / "Alien (1979)" / "Alien (1979).mkv").write_bytes(b"video")
    (root / "poster.jpg").write_bytes(image_bytes("poster"))  # the library's
    (root / "fanart.jpg").write_bytes(image_bytes("fanart"))
    (root / "Heat (1995)-poster.jpg").write_bytes(image_bytes("poster"))  # Kodi's export
    config = config_factory(libraries={"Movies": root})
    [video] = [v for v in walk_library(root) if len(v.parts) == 2]
    found = find_local_artwork(video, config, is_ours=lambda _p: False)
    assert sorted((a.path.name, a.asset_type) for a in found) == [
        ("Heat (1995)-poster.jpg", "poster")
    ]


def test_nothing_bare_is_read_in_the_library_root_for_a_movie_there(tmp_path, config_factory):
    """`<library>/CD1/Heat (1995) cd1.avi` + `CD2/...` right in the library's folder, and a lone
    `<library>/Ronin (1998).mkv`. Kodi scans a source's own folder with `parent_name_root` off
    (VideoDatabase GetScraperForPath: `parent_name && (!recurse || iFound > 1)`, false at the
    source of a recursive movie source), so FindNFO gets `movieFolder` false there: no
    `movie.nfo`, no "only NFO in the folder", and no folder art; the names of the movie's own
    (`Heat (1995) cd1.nfo`, the stacked title's `Heat (1995).nfo`) it still reads. The
    library's `movie.nfo` was read as the stack's NFO and as Ronin's, its `poster.jpg` as
    Ronin's poster."""
    from tests.publish.conftest import image_bytes

    root = tmp_path / "movies"
    for n in (1, 2):
        (root / f"CD{n}").mkdir(parents=True)
        (root / f"CD{n}" / f"Heat (1995) cd{n}.avi").write_bytes(b"video")
    (root / "Ronin (1998).mkv").write_bytes(b"video")
    (root / "movie.nfo").write_text("<movie><title>The library</title></movie>")
    (root / "poster.jpg").write_bytes(image_bytes("poster"))
    config = config_factory(libraries={"Movies": root})
    roots = [lib.path for lib in config.library]
    videos = {v.path.name: v for v in walk_library(root)}
    stack, ronin = videos["Heat (1995) cd1.avi"], videos["Ronin (1998).mkv"]
    assert len(stack.parts) == 2
    assert find_nfo(stack, roots) is None
    assert find_nfo(ronin, roots) is None
    assert find_local_artwork(ronin, config, is_ours=lambda _p: False) == []
    (root / "Heat (1995).nfo").write_text("<movie/>")  # the stacked title's: Kodi reads it
    assert find_nfo(stack, roots) == root / "Heat (1995).nfo"
    (root / "Ronin (1998).nfo").write_text("<movie/>")
    assert find_nfo(ronin, roots) == root / "Ronin (1998).nfo"

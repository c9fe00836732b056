"""A disc movie (`Alien (1979)/VIDEO_TS/`) published the way Kodi reads it: the NFO named after the
folder, the artwork under bare names (`poster.jpg`, `fanart1.jpg`: Kodi's art base for a disc is
the folder itself); a disc published earlier as `<folder>-poster.jpg` moves to the bare names on
its next publish, and nothing of the user's is lost on the way."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from metarrd import db
from metarrd.publish import discs, preview_publish, publish_item
from metarrd.publish import stage as publish_stage
from metarrd.publish.layout import LEAVE, REMOVE, REPLACE, WRITE
from metarrd.scan import local_files, scan
from tests.caseless import caseless

TITLE = "Alien (1979)"
ART = {"poster": ["jpeg", "jpeg"], "fanart": ["jpeg", "jpeg"], "clearlogo": ["png"]}
CAST = [("Sigourney Weaver", "Ripley", "jpeg")]
BARE = {"poster.jpg", "poster1.jpg", "fanart.jpg", "fanart1.jpg", "clearlogo.png"}


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def files_in(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}


@pytest.fixture(params=["VIDEO_TS", "BDMV"])
def disc(request, build):
    """An enriched `Alien (1979)` whose video is a DVD (`VIDEO_TS/`) or Blu-ray (`BDMV/`)."""
    built = build(TITLE, art=ART, cast=CAST, title="Alien", year=1979, tmdb_id=348)
    (built.folder / f"{TITLE}.mkv").unlink()
    (built.folder / request.param).mkdir()
    db.Movie.update(path=str(built.folder), parts=[str(built.folder)], is_disc=True).where(
        db.Movie.id == built.movie.id
    ).execute()
    built.reload()
    return built


def test_a_discs_art_has_bare_names_and_its_nfo_the_folders(rt, disc):
    publish_item(rt, disc.movie)

    assert set(files_in(disc.folder)) == BARE | {f"{TITLE}.nfo"}
    poster = disc.selected["poster"][0]
    assert files_in(disc.folder)["poster.jpg"] == disc.images[poster.url]
    assert (disc.folder / ".actors" / "Sigourney_Weaver.jpg").is_file()
    ledger = {Path(e.path).name for e in db.LibraryFile.select()}
    assert BARE | {f"{TITLE}.nfo", "Sigourney_Weaver.jpg"} == ledger


def test_the_users_own_bare_poster_is_copied_into_the_cache_before_it_is_replaced(rt, disc, kit):
    own = kit.image_bytes("poster", "jpeg")
    disc.path("poster.jpg").write_bytes(own)
    own_png = kit.image_bytes("fanart", "png")
    disc.path("fanart.png").write_bytes(own_png)  # a second file for our fanart.jpg's slot
    mine = kit.image_bytes("banner", "jpeg")
    disc.path("banner.jpg").write_bytes(mine)  # a slot we do not write

    plan = preview_publish(rt, disc.movie)
    actions = {a.path.name: a for a in plan.actions}
    assert actions["poster.jpg"].action == REPLACE and actions["poster.jpg"].backup
    assert actions["fanart.png"].action == REMOVE and actions["fanart.png"].backup
    assert actions["banner.jpg"].action == LEAVE

    result = publish_item(rt, disc.movie)

    after = files_in(disc.folder)
    assert after["poster.jpg"] == disc.images[disc.selected["poster"][0].url]
    assert "fanart.png" not in after
    assert after["banner.jpg"] == mine
    assert sorted(Path(p).name for p in result.backed_up) == ["fanart.png", "poster.jpg"]
    for data in (own, own_png):
        row = db.CacheImageFile.get(db.CacheImageFile.file_hash == sha(data))
        assert row.source_type == "library" and Path(row.file_path).read_bytes() == data


def test_a_disc_published_under_its_folder_name_moves_to_bare_names_nothing_lost(
    rt, disc, kit, monkeypatch
):
    # what earlier versions did: `<folder>-poster.jpg`, which Kodi never read, in the ledger
    with monkeypatch.context() as old:
        old.setattr(publish_stage, "art_base_name", local_files.base_name)
        publish_item(rt, disc.movie)
    old_names = {f"{TITLE}-{name}" for name in BARE}
    before = files_in(disc.folder)
    assert set(before) == old_names | {f"{TITLE}.nfo"}
    assert old_names <= {Path(e.path).name for e in db.LibraryFile.select()}
    # the user edited one of ours since, has an image of their own under the old naming, and a
    # poster.jpg of their own where ours now goes
    edited = kit.image_bytes("fanart", "jpeg")
    disc.path(f"{TITLE}-fanart1.jpg").write_bytes(edited)
    banner = kit.image_bytes("banner", "jpeg")
    disc.path(f"{TITLE}-banner.jpg").write_bytes(banner)
    own_poster = kit.image_bytes("poster", "jpeg")
    disc.path("poster.jpg").write_bytes(own_poster)

    plan = preview_publish(rt, disc.movie)
    actions = {a.path.name: a for a in plan.actions}
    for name in BARE - {"poster.jpg"}:
        assert actions[name].action == WRITE, name
    assert actions["poster.jpg"].action == REPLACE and actions["poster.jpg"].backup
    for name in old_names:
        assert actions[name].action == REMOVE, name
    assert actions[f"{TITLE}-fanart1.jpg"].backup  # changed since we wrote it
    assert not actions[f"{TITLE}-poster.jpg"].backup  # ours, unchanged
    assert actions[f"{TITLE}-banner.jpg"].action == LEAVE

    result = publish_item(rt, disc.movie)

    after = files_in(disc.folder)
    assert set(after) == BARE | {f"{TITLE}.nfo", f"{TITLE}-banner.jpg"}
    for name in BARE - {"fanart1.jpg"}:
        assert after[name] == before[f"{TITLE}-{name}"]  # same bytes, the name Kodi reads
    assert after["fanart1.jpg"] == before[f"{TITLE}-fanart1.jpg"]  # ours, not the edited one
    assert after[f"{TITLE}-banner.jpg"] == banner  # the user's, left alone
    assert after[f"{TITLE}.nfo"] == before[f"{TITLE}.nfo"]  # the NFO keeps its name
    assert sorted(Path(p).name for p in result.backed_up) == sorted(
        [f"{TITLE}-fanart1.jpg", "poster.jpg"]
    )
    for data in (edited, own_poster):
        row = db.CacheImageFile.get(db.CacheImageFile.file_hash == sha(data))
        assert row.source_type == "library" and Path(row.file_path).read_bytes() == data
    ledger = {Path(e.path).name for e in db.LibraryFile.select()}
    assert not ledger & old_names
    assert ledger >= BARE

    # and from then on a publish changes nothing
    stamp = {n: os.stat(disc.path(n)).st_mtime_ns for n in after}
    again = publish_item(rt, disc.movie)
    assert not again.written and not again.removed
    assert {n: os.stat(disc.path(n)).st_mtime_ns for n in files_in(disc.folder)} == stamp


def test_the_nfo_kodi_reads_inside_a_disc_is_left_with_a_note(rt, disc):
    """Kodi stores a disc as `VIDEO_TS/VIDEO_TS.IFO` (`BDMV/index.bdmv`) and reads the NFO of
    that name, `VIDEO_TS/VIDEO_TS.nfo` (`BDMV/index.nfo`), before the movie folder's
    (`CVideoTagLoaderNFO::FindNFO`); Jellyfin reads `VIDEO_TS/VIDEO_TS.nfo` first too. There
    tinyMediaManager writes a disc's NFO (its `DISC_NFO` naming, always added for a disc): beside
    it, ours was never read, and the publish did not say so."""
    inner = "VIDEO_TS/VIDEO_TS.nfo" if disc.path("VIDEO_TS").is_dir() else "BDMV/index.nfo"
    readers, them = (
        ("Kodi and Jellyfin read", "them") if "VIDEO" in inner else ("Kodi reads", "Kodi")
    )
    disc.path(inner).write_text("<movie><title>tinyMediaManager's</title></movie>")
    note = (
        f"{inner} is left as it is: {readers} it before {TITLE}.nfo; remove it to have "
        f"{them} read the NFO published here"
    )
    assert note in preview_publish(rt, disc.movie).notes
    result = publish_item(rt, disc.movie)
    assert note in result.skipped
    # every file written: the user's NFO read first is a warning, not a file skipped
    assert f", 1 warning ({note})" in str(result) and "skipped" not in str(result)
    assert disc.path(inner).read_text() == "<movie><title>tinyMediaManager's</title></movie>"
    assert disc.path(f"{TITLE}.nfo").is_file()


def test_a_second_nfo_in_a_discs_folder_is_named_kodi_then_reads_none(rt, disc):
    """For a disc with no NFO inside it, Kodi takes the movie folder's NFO only when it is the
    only `.nfo` there, whatever its name (`FindNFO`): with a release's `grp-alien.nfo` beside
    ours it read none, and did not add the movie (docs/kodi-layout.md §5.2, seen with `movie.nfo`
    and a real Kodi 20.1)."""
    disc.path("grp-alien.nfo").write_text("ASCII art of the release group")
    note = (
        f"grp-alien.nfo is left as it is: beside {TITLE}.nfo, Kodi reads no NFO for a disc "
        "(only the one .nfo of its folder) and does not add it; remove it to have Kodi read the "
        "NFO published here"
    )
    assert note in preview_publish(rt, disc.movie).notes
    result = publish_item(rt, disc.movie)
    assert note in result.skipped
    assert f", 1 warning ({note})" in str(result) and "skipped" not in str(result)
    assert disc.path("grp-alien.nfo").read_text() == "ASCII art of the release group"
    plain = publish_item(rt, disc.movie)  # the note stays while the file does
    assert note in plain.skipped
    disc.path("grp-alien.nfo").unlink()
    assert not [n for n in preview_publish(rt, disc.movie).notes if ".nfo is left" in n]


def test_our_own_nfo_under_an_old_name_in_a_discs_folder_is_removed_not_named(
    rt, disc, monkeypatch
):
    with monkeypatch.context() as old:  # published when the folder was named "Alien"
        old.setattr(publish_stage, "base_name", lambda place: "Alien")
        publish_item(rt, disc.movie)
    assert disc.path("Alien.nfo").is_file()
    plan = preview_publish(rt, disc.movie)
    assert {a.path.name: a.action for a in plan.actions}["Alien.nfo"] == REMOVE
    assert not [n for n in plan.notes if ".nfo is left" in n]
    publish_item(rt, disc.movie)
    assert not disc.path("Alien.nfo").exists() and disc.path(f"{TITLE}.nfo").is_file()


def test_the_nfo_kodi_reads_beside_a_blu_rays_files_in_its_folder_is_left_with_a_note(rt, disc):
    """A Blu-ray's files in the movie folder itself (`index.bdmv`, no BDMV/): Kodi stores it as
    `<dir>/index.bdmv` and reads `<dir>/index.nfo` before the folder's only `.nfo`."""
    if disc.path("VIDEO_TS").is_dir():
        pytest.skip("a Blu-ray's case")
    disc.path("BDMV").rmdir()
    disc.path("index.bdmv").write_bytes(b"INDX0200" + bytes(32))
    disc.path("index.nfo").write_text("<movie><title>tinyMediaManager's</title></movie>")
    note = (
        f"index.nfo is left as it is: Kodi reads it before {TITLE}.nfo; remove it to have "
        "Kodi read the NFO published here"
    )
    assert note in publish_item(rt, disc.movie).skipped
    assert disc.path("index.nfo").read_text() == "<movie><title>tinyMediaManager's</title></movie>"


def test_the_nfo_kodi_reads_inside_a_lower_case_disc_is_left_with_a_note(rt, disc):
    """`video_ts/video_ts.nfo` (a disc copied off a Linux mount, which lower-cases names) is
    Kodi's `VIDEO_TS/VIDEO_TS.nfo` over a share that ignores case: read before ours. Before,
    the publish looked for the upper-case spelling only and said nothing."""
    upper = "VIDEO_TS" if disc.path("VIDEO_TS").is_dir() else "BDMV"
    disc.path(upper).rename(disc.path(upper.lower()))
    inner = "video_ts/video_ts.nfo" if upper == "VIDEO_TS" else "bdmv/index.nfo"
    disc.path(inner).write_text("<movie><title>tinyMediaManager's</title></movie>")
    notes = publish_item(rt, disc.movie).skipped
    assert any(n.startswith(f"{inner} is left as it is: Kodi") for n in notes), notes


@pytest.mark.parametrize("form", ["VIDEO_TS", "BDMV"])
def test_a_disc_in_the_library_root_has_its_art_under_bare_names_there(rt, build, form):
    """A DVD (Blu-ray) copied straight into the library's folder, beside the movie folders:
    `movies/VIDEO_TS/`. Kodi lists its `VIDEO_TS/` as the disc `movies/VIDEO_TS/VIDEO_TS.IFO`
    (`CFileItemList::StackFolders`: `GetOpticalMediaPath` finds `VIDEO_TS.IFO` in it) and adds
    it as a movie; its art base is the folder above `VIDEO_TS/` (`GetLocalArtBaseFilename`,
    optical media: `GetLocalMetadataPath`, `URIUtils::GetParentPath` going up past
    VIDEO_TS/BDMV), the library's folder: `movies/poster.jpg`. Its NFO is the only `.nfo`
    there (`CVideoTagLoaderNFO::FindNFO`, after `VIDEO_TS/VIDEO_TS.nfo`). So the disc is
    published there as in a folder of its own, and the movie folder beside it keeps its own."""
    heat = build("Heat (1995)", art={"poster": ["jpeg"]}, cast=[], title="Heat", year=1995)
    publish_item(rt, heat.movie)
    heat_files = files_in(heat.folder)
    root = heat.folder.parent
    alien = build(TITLE, art=ART, cast=CAST, title="Alien", year=1979, tmdb_id=348)
    (alien.folder / f"{TITLE}.mkv").unlink()
    alien.folder.rmdir()
    (root / form).mkdir()
    db.Movie.update(path=str(root), parts=[str(root)], is_disc=True).where(
        db.Movie.id == alien.movie.id
    ).execute()

    publish_item(rt, alien.reload())

    assert set(files_in(root)) == BARE | {f"{root.name}.nfo"}
    assert files_in(root)["poster.jpg"] == alien.images[alien.selected["poster"][0].url]
    assert (root / ".actors" / "Sigourney_Weaver.jpg").is_file()
    assert list((root / form).iterdir()) == []
    assert files_in(heat.folder) == heat_files
    # a movie's NFO beside it in the library's folder: Kodi reads none for the disc, named
    (root / "Ronin (1998).nfo").write_text("<movie><title>Ronin</title></movie>")
    assert (
        f"Ronin (1998).nfo is left as it is: beside {root.name}.nfo, Kodi reads no NFO for a "
        "disc (only the one .nfo of its folder) and does not add it; remove it to have Kodi "
        "read the NFO published here"
    ) in preview_publish(rt, alien.movie).notes


@pytest.mark.parametrize(("form", "warned"), [("BDMV", True), ("bdmv", True), ("VIDEO_TS", False)])
def test_a_blu_ray_in_the_library_root_is_published_with_a_warning_to_move_it(
    rt, build, form, warned, monkeypatch
):
    """A Blu-ray copied straight into the library's folder (`movies/BDMV/`) is a movie to Kodi,
    but none to Jellyfin (the library's folder is no movie, and `BDMV/` holds no disc of its
    own: MovieResolver.FindMovie, GetMultiDiscMovie; its `STREAM/` is a folder of `.m2ts`
    videos) nor to Plex: metarrd published it and told the players about the library's
    folder, with nothing said. The publish says it, and where to move it. A DVD there is
    Jellyfin's movie at its `VIDEO_TS/`: nothing said."""
    alien = build(TITLE, art=ART, cast=CAST, title="Alien", year=1979, tmdb_id=348)
    (alien.folder / f"{TITLE}.mkv").unlink()
    alien.folder.rmdir()
    root = alien.folder.parent
    (root / form).mkdir()
    db.Movie.update(path=str(root), parts=[str(root)], is_disc=True).where(
        db.Movie.id == alien.movie.id
    ).execute()
    listed: list[Path] = []
    real = discs.names_in
    monkeypatch.setattr(discs, "names_in", lambda folder: listed.append(folder) or real(folder))

    notes = publish_item(rt, alien.reload()).skipped

    assert root.parent not in listed  # outside the library: no disc stack of it is read there

    said = [n for n in notes if "straight in the library's folder" in n]
    assert said == (
        [
            f"a Blu-ray straight in the library's folder {root}: Kodi reads it, but Jellyfin and "
            "Plex have no movie for it (Jellyfin takes each .m2ts of its BDMV/STREAM/ for a "
            "movie), and each notification of it makes them scan the whole library; move BDMV/ "
            f"into a folder of its own ({root}/Title (Year)/BDMV/)"
        ]
        if warned
        else []
    )
    assert (root / f"{root.name}.nfo").is_file()  # published all the same


SOUND = "The Sound of Music (1965)"


def disc_stack(rt, build, names, form="VIDEO_TS") -> tuple[Path, list[db.Movie]]:
    """`The Sound of Music (1965)/<name>/VIDEO_TS/` (or `BDMV/`) for each of `names`: a disc each,
    as Kodi and metarrd have them, enriched."""
    above = Path(rt.config.library[0].path) / SOUND
    above.mkdir(parents=True)
    movies = []
    for name in names:
        built = build(name, art={"poster": ["jpeg"]}, cast=[], title="The Sound of Music")
        (built.folder / f"{name}.mkv").unlink()
        folder = above / name
        built.folder.rename(folder)
        (folder / form).mkdir()
        if form == "VIDEO_TS":
            (folder / form / "VIDEO_TS.IFO").write_bytes(b"DVDVIDEO-VMG")
            (folder / form / "VTS_01_1.VOB").write_bytes(b"\x00\x00\x01\xba")
        db.Movie.update(path=str(folder), parts=[str(folder)], is_disc=True).where(
            db.Movie.id == built.movie.id
        ).execute()
        movies.append(built.reload())
    return above, movies


@pytest.mark.parametrize("form", ["VIDEO_TS", "BDMV"])
def test_a_jellyfin_disc_stack_has_its_nfo_in_the_folder_above_its_discs(rt, build, form):
    """`The Sound of Music (1965)/The Sound of Music (1965) - Disc 1/VIDEO_TS` and `- Disc 2/`:
    Kodi (and metarrd) have each disc for a movie, its NFO in its folder; Jellyfin makes one
    movie of them (MovieResolver.GetMultiDiscMovie: its Path the first disc's folder, the
    other its AdditionalParts) and reads its NFO in the folder above the discs, where none
    was written: `The Sound of Music (1965).nfo` (MovieNfoSaver.GetMovieSavePaths, for a
    stacked video's ContainingFolderPath). The first disc's NFO is written there too, in the
    ledger like its own; the second disc writes nothing there."""
    names = [f"{SOUND} - Disc 1", f"{SOUND} - Disc 2"]
    above, (first, second) = disc_stack(rt, build, names, form)

    publish_item(rt, first)
    publish_item(rt, second)

    own = (above / names[0] / f"{names[0]}.nfo").read_bytes()
    assert (above / f"{SOUND}.nfo").read_bytes() == own
    assert sorted(p.name for p in above.iterdir()) == [*names, f"{SOUND}.nfo"]
    rows = db.LibraryFile.select().where(db.LibraryFile.path == str(above / f"{SOUND}.nfo"))
    assert [r.movie_id for r in rows] == [first.id]
    assert (above / names[1] / f"{names[1]}.nfo").is_file()
    assert not preview_publish(rt, db.Movie.get_by_id(first.id)).changes
    scan(rt)  # nothing of it taken for a movie of its own
    assert sorted(m.path for m in db.Movie.select()) == [str(above / n) for n in names]


def test_the_users_nfo_above_a_disc_stack_is_copied_into_the_cache_before_it_is_replaced(rt, build):
    """A user's NFO where Jellyfin reads the disc stack's (a tinyMediaManager or Jellyfin one):
    copied into the cache first, as any file of the user's metarrd writes over."""
    above, (first, _second) = disc_stack(rt, build, [f"{SOUND} (Disc 01)", f"{SOUND} (Disc 02)"])
    theirs = b"<movie><title>The Sound of Music</title><year>1965</year></movie>"
    (above / f"{SOUND}.nfo").write_bytes(theirs)

    result = publish_item(rt, first)

    assert str(above / f"{SOUND}.nfo") in result.backed_up
    assert (above / f"{SOUND}.nfo").read_bytes() != theirs


@pytest.mark.parametrize(
    "names",
    [
        ["Disc 1", "Disc 2"],  # no separator before `Disc`: no stack to Jellyfin (10.9+)
        [f"{SOUND} - Disc 1"],  # one disc: a movie of its own
        [f"{SOUND} - Disc 1", "Bonus - Disc 1"],  # two stacks
    ],
)
def test_discs_jellyfin_does_not_stack_write_nothing_above_them(rt, build, names):
    """Discs that Jellyfin does not make one movie of are each a movie in their own folder, to
    Jellyfin as to Kodi: nothing is written in the folder above them."""
    above, movies = disc_stack(rt, build, names)
    for movie in movies:
        publish_item(rt, movie)
    assert sorted(p.name for p in above.iterdir()) == sorted(names)


def test_a_disc_in_a_collections_folder_does_not_look_into_its_other_films(rt, build, monkeypatch):
    """`Alien Collection/Alien (1979)/VIDEO_TS` beside `Aliens (1986)/`, `Alien 3 (1992)/`...:
    whether the disc is the first of a Jellyfin disc stack was asked by listing every film
    folder of the collection (and their `VIDEO_TS/`), at each publish of each disc in it.
    Names that make no stack of two parts are no disc stack: nothing below them is listed."""
    above, (alien,) = disc_stack(rt, build, ["Alien (1979)"])
    for name in ("Aliens (1986)", "Alien 3 (1992)", "Alien Resurrection (1997)"):
        (above / name / "VIDEO_TS").mkdir(parents=True)
    listed: list[Path] = []
    real = discs.names_in
    monkeypatch.setattr(discs, "names_in", lambda folder: listed.append(folder) or real(folder))
    publish_item(rt, alien)
    assert [p for p in listed if p.parent == above] == []
    assert not (above / f"{above.name}.nfo").exists()


def test_no_nfo_above_discs_beside_a_video(rt, build):
    """A folder holding a video beside its disc folders is no disc stack to Jellyfin (FindMovie
    then makes no movie of the folder)."""
    above, (first, _second) = disc_stack(rt, build, [f"{SOUND} - Disc 1", f"{SOUND} - Disc 2"])
    (above / f"{SOUND}.mkv").write_bytes(b"\x1a\x45\xdf\xa3")
    publish_item(rt, first)
    assert not (above / f"{SOUND}.nfo").exists()


def test_a_users_movie_nfo_above_a_disc_stack_is_left_with_a_note(rt, build):
    """Jellyfin 10.9+ reads a `movie.nfo` in the folder above a disc stack before the stack's
    `<folder>.nfo`: the user's is left as it is, and the publish says Jellyfin reads it."""
    above, (first, _second) = disc_stack(rt, build, [f"{SOUND} - Disc 1", f"{SOUND} - Disc 2"])
    theirs = b"<movie><title>The Sound of Music</title></movie>"
    (above / "movie.nfo").write_bytes(theirs)

    notes = publish_item(rt, first).skipped

    assert (
        f"{above / 'movie.nfo'} is left as it is: Jellyfin reads it before {SOUND}.nfo, for the discs below it"
        in notes
    )
    assert (above / "movie.nfo").read_bytes() == theirs


# Radarr's folder format `{Movie Title} ({Release Year}) {tmdb-{TmdbId}}`, applied to the folder
# above the discs by hand or by Radarr's *Rename Movies* (it renames the movie's folder)
RENAMED = f"{SOUND} {{tmdb-15121}}"


def renamed_above(rt, build) -> tuple[Path, list[str], db.Movie]:
    """A disc stack published (its NFO above the discs as well), the folder above its discs
    renamed, and scanned: the discs' items follow their folders."""
    names = [f"{SOUND} - Disc 1", f"{SOUND} - Disc 2"]
    above, movies = disc_stack(rt, build, names)
    for movie in movies:
        publish_item(rt, movie)
    scan(rt)  # the discs' size and time, as a scan records them
    os.rename(above, above.with_name(RENAMED))
    scan(rt)
    first = db.Movie.get_by_id(movies[0].id)
    assert first.path == str(above.with_name(RENAMED) / names[0])
    return above.with_name(RENAMED), names, first


def test_the_nfo_above_a_disc_stack_stays_ours_when_that_folder_is_renamed(rt, build):
    """`The Sound of Music (1965)/` above the discs renamed `The Sound of Music (1965)
    {tmdb-15121}/`: the NFO published there went along, still `The Sound of Music (1965).nfo`,
    a name Jellyfin no longer reads. Its ledger row follows it as the discs' own files' rows do,
    so the next publish removes it as ours and writes the one Jellyfin reads now; it was left
    behind, a file of nobody's the user would take for theirs."""
    above, names, first = renamed_above(rt, build)
    assert db.LibraryFile.get_or_none(db.LibraryFile.path == str(above / f"{SOUND}.nfo"))

    result = publish_item(rt, first)

    assert sorted(p.name for p in above.iterdir()) == [*names, f"{RENAMED}.nfo"]
    assert not result.backed_up
    own = (above / names[0] / f"{names[0]}.nfo").read_bytes()
    assert (above / f"{RENAMED}.nfo").read_bytes() == own


def test_the_nfo_above_a_renamed_disc_stack_changed_by_the_user_is_copied_first(rt, build):
    """The NFO carried along with the renamed folder above the discs, then edited by the user:
    ours no longer, it is copied into the cache before the next publish removes it."""
    above, names, first = renamed_above(rt, build)
    moved = above / f"{SOUND}.nfo"
    moved.write_bytes(moved.read_bytes().replace(b"</movie>", b"<tag>Musicals</tag></movie>"))

    result = publish_item(rt, first)

    assert result.backed_up == [str(moved)]
    assert sorted(p.name for p in above.iterdir()) == [*names, f"{RENAMED}.nfo"]


def test_the_users_nfo_in_other_letters_is_not_named_a_second_nfo_on_a_share_that_ignores_case(
    rt, disc, monkeypatch
):
    """`Alien (1979).NFO` (Ember, Windows) IS the file at our `Alien (1979).nfo` on a share that
    ignores case: copied into backup/, then replaced. The publish warned of it as a second
    `.nfo` beside ours, for which Kodi would read none, and kept warning so at every publish
    after, of our own NFO under the letters the folder kept."""
    theirs = b"<movie><title>Ember's</title></movie>"
    disc.path(f"{TITLE}.NFO").write_bytes(theirs)
    caseless(monkeypatch)
    assert not [n for n in preview_publish(rt, disc.movie).notes if "Kodi reads no NFO" in n]

    first = publish_item(rt, disc.movie)
    again = publish_item(rt, disc.movie)

    assert [str(disc.path(f"{TITLE}.nfo"))] == first.backed_up
    assert not [n for n in first.skipped + again.skipped if "Kodi reads no NFO" in n]
    # ours: the user's file was set aside before ours took the name (atomic.Guard), so the
    # folder lists it in our letters now
    assert disc.path(f"{TITLE}.nfo").read_bytes() != theirs


def test_a_version_beside_a_disc_says_kodi_then_reads_no_nfo_for_the_disc(rt, disc, build):
    """A disc kept with another version of the film in its folder (`Alien (1979)/VIDEO_TS/`
    beside `Alien (1979) - 1080p.mkv`): Kodi reads a disc's NFO in its folder only when it is
    the folder's one `.nfo` (FindNFO), and does not add a disc it finds none for. Publishing
    the version wrote its NFO there with no word of that, and the disc's publish then told the
    user to remove that NFO, metarrd's own for the other item, as if it were theirs. Both now
    say what happens and what to do: keep the disc and the video in folders of their own."""
    built = build(TITLE, title="Alien", year=1979, tmdb_id=348)
    version = disc.folder / "Alien (1979) - 1080p.mkv"
    (disc.folder / f"{TITLE}.mkv").rename(version)
    db.Movie.update(path=str(version), parts=[str(version)]).where(
        db.Movie.id == built.movie.id
    ).execute()
    built.reload()
    publish_item(rt, disc.movie)

    result = publish_item(rt, built.movie)

    assert (disc.folder / "Alien (1979) - 1080p.nfo").is_file()
    (said,) = [s for s in result.skipped if "disc" in s]
    assert f"item {disc.movie.id}" in said and "reads no NFO for the disc" in said
    assert "folders of their own" in said

    again = publish_item(rt, db.Movie.get_by_id(disc.movie.id))

    (said,) = [s for s in again.skipped if "Alien (1979) - 1080p.nfo" in s]
    assert f"item {built.movie.id}" in said and "folders of their own" in said
    assert "remove it" not in said
    assert (disc.folder / "Alien (1979) - 1080p.nfo").is_file()  # never touched

    # an NFO inside the disc, which Kodi reads first: the version's NFO hides nothing
    inside = "VIDEO_TS/VIDEO_TS.nfo" if (disc.folder / "VIDEO_TS").is_dir() else "BDMV/index.nfo"
    disc.path(inside).write_text("<movie><title>Alien</title></movie>", encoding="utf-8")
    assert not [s for s in publish_item(rt, built.movie).skipped if "disc" in s]

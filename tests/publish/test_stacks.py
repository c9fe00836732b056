"""A stacked movie (`Heat (1995) cd1.mkv` + `cd2.mkv`) published the way Kodi reads it: artwork
under the stacked title, the NFO under the first part's name; a stack published earlier under the
first part's name is renamed on the next publish, nothing of the user's lost."""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

import pytest

from metarrd import db
from metarrd.publish import preview_publish, publish_item
from metarrd.publish import stage as publish_stage
from metarrd.publish.layout import KEEP, LEAVE, REMOVE, REPLACE, WRITE
from metarrd.scan import local_files, scan

TITLE = "Heat (1995)"
ART = {"poster": ["jpeg", "jpeg"], "fanart": ["jpeg"], "clearlogo": ["png"]}
CAST = [("Al Pacino", "Vincent Hanna", "jpeg")]


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def files_in(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}


def into_parts(built, parts: list[Path], data: bytes) -> None:
    """The built movie's video made these parts (their folders made as needed), each `data`."""
    for part in parts:
        part.parent.mkdir(exist_ok=True)
        part.write_bytes(data)
    db.Movie.update(path=str(parts[0]), parts=[str(p) for p in parts]).where(
        db.Movie.id == built.movie.id
    ).execute()


def heat_stacked(build, names: list[str], data: bytes, cast=CAST):
    """An enriched `Heat (1995)` whose video is these parts (paths under its folder)."""
    built = build(TITLE, art=ART, cast=cast, title="Heat", year=1995, tmdb_id=949)
    (built.folder / f"{TITLE}.mkv").unlink()
    into_parts(built, [built.folder / name for name in names], data)
    built.reload()
    return built


@pytest.fixture
def stack(build):
    """An enriched `Heat (1995)` whose video is `Heat (1995)<sep>cd1.mkv` + `cd2.mkv`."""

    def _stack(sep: str = " cd"):
        names = [f"{TITLE}{sep}{n}.mkv" for n in (1, 2)]
        return heat_stacked(build, names, b"\x1a\x45\xdf\xa3 part")

    return _stack


def test_a_stacks_art_is_named_after_the_stacked_title_and_its_first_part(rt, stack):
    """Kodi reads a stack's art under the stacked title only (ArtUtils
    GetLocalArtBaseFilename); Jellyfin's movie of the stack is its first part
    (MovieResolver.ResolveVideos: `Path`), and LocalImageProvider reads `<that name>-poster`
    etc., one image per type, never the stacked title's: each first image is there twice."""
    built = stack()
    publish_item(rt, built.movie)

    files = files_in(built.folder)
    assert set(files) == {
        f"{TITLE} cd1.mkv",
        f"{TITLE} cd2.mkv",
        f"{TITLE} cd1.nfo",  # Kodi reads the first part's NFO first; Jellyfin only that one
        f"{TITLE}-poster.jpg",
        f"{TITLE}-poster1.jpg",
        f"{TITLE}-fanart.jpg",
        f"{TITLE}-clearlogo.png",
        f"{TITLE} cd1-poster.jpg",  # Jellyfin's
        f"{TITLE} cd1-fanart.jpg",
        f"{TITLE} cd1-clearlogo.png",
    }
    assert (built.folder / ".actors" / "Al_Pacino.jpg").is_file()
    poster = built.selected["poster"][0]
    assert files[f"{TITLE}-poster.jpg"] == built.images[poster.url]
    for kind in ("poster.jpg", "fanart.jpg", "clearlogo.png"):
        assert files[f"{TITLE} cd1-{kind}"] == files[f"{TITLE}-{kind}"]
    ledger = {Path(e.path).name for e in db.LibraryFile.select()}
    assert f"{TITLE} cd1-poster.jpg" in ledger  # ours: replaced, removed as ours are

    # and from then on a publish changes nothing
    again = publish_item(rt, built.movie)
    assert not again.written and not again.removed


@pytest.mark.parametrize("sep", [".part", "-pt", "_disc", " DVD ", ".disk"])
def test_other_stacking_forms_take_the_stacked_title_too(rt, stack, sep):
    built = stack(sep)
    publish_item(rt, built.movie)
    names = set(files_in(built.folder))
    assert {f"{TITLE}{sep}1.nfo", f"{TITLE}-poster.jpg", f"{TITLE}-fanart.jpg"} <= names


def test_a_stack_published_under_its_first_parts_name_is_renamed_nothing_lost(
    rt, stack, kit, monkeypatch
):
    """Kodi's names are written; of the first part's, the first image of each type stays as
    Jellyfin's copy (`stage.jellyfin_stack_art`), the rest go."""
    built = stack()
    # what earlier versions did: art under the first part's name, recorded in the ledger
    with monkeypatch.context() as old:
        old.setattr(publish_stage, "art_base_name", local_files.base_name)
        publish_item(rt, built.movie)
    old_names = {f"{TITLE} cd1-{slot}" for slot in ("poster.jpg", "poster1.jpg", "fanart.jpg")}
    old_names.add(f"{TITLE} cd1-clearlogo.png")
    jellyfins = old_names - {f"{TITLE} cd1-poster1.jpg"}
    before = files_in(built.folder)
    assert old_names <= set(before)
    ledger = {Path(e.path).name for e in db.LibraryFile.select()}
    assert old_names <= ledger
    # the user edited one of ours since, and has an image of their own under the old name
    edited = kit.image_bytes("fanart", "jpeg")
    built.path(f"{TITLE} cd1-fanart.jpg").write_bytes(edited)
    own = kit.image_bytes("banner", "jpeg")
    built.path(f"{TITLE} cd1-banner.jpg").write_bytes(own)

    plan = preview_publish(rt, built.movie)
    actions = {a.path.name: a for a in plan.actions}
    for name in old_names:
        new = name.replace(" cd1-", "-")
        assert actions[new].action == WRITE, new
    assert actions[f"{TITLE} cd1-poster1.jpg"].action == REMOVE
    assert actions[f"{TITLE} cd1-poster.jpg"].action == KEEP
    assert actions[f"{TITLE} cd1-clearlogo.png"].action == KEEP
    assert actions[f"{TITLE} cd1-fanart.jpg"].action == REPLACE
    assert actions[f"{TITLE} cd1-fanart.jpg"].backup  # changed since we wrote it
    assert not actions[f"{TITLE} cd1-poster1.jpg"].backup  # ours, unchanged
    assert actions[f"{TITLE} cd1-banner.jpg"].action == LEAVE

    result = publish_item(rt, built.movie)

    after = files_in(built.folder)
    for name in old_names:
        assert after[name.replace(" cd1-", "-")] == before[name]  # same bytes, new name
    assert f"{TITLE} cd1-poster1.jpg" not in after
    for name in jellyfins:
        assert after[name] == before[name]  # the edit is backed up, ours back
    assert after[f"{TITLE} cd1-banner.jpg"] == own  # the user's, left alone
    assert after[f"{TITLE} cd1.nfo"] == before[f"{TITLE} cd1.nfo"]  # the NFO keeps its name
    assert [Path(p).name for p in result.backed_up] == [f"{TITLE} cd1-fanart.jpg"]
    row = db.CacheImageFile.get(db.CacheImageFile.file_hash == sha(edited))
    assert row.source_type == "library" and Path(row.file_path).read_bytes() == edited
    ledger = {Path(e.path).name for e in db.LibraryFile.select()}
    assert ledger & old_names == jellyfins
    assert {n.replace(" cd1-", "-") for n in old_names} <= ledger

    # and from then on a publish changes nothing
    stamp = {n: os.stat(built.path(n)).st_mtime_ns for n in after}
    again = publish_item(rt, built.movie)
    assert not again.written and not again.removed
    assert {n: os.stat(built.path(n)).st_mtime_ns for n in files_in(built.folder)} == stamp


# --- a folder stack: `Heat (1995)/CD1/Heat (1995) cd1.avi` + `CD2/Heat (1995) cd2.avi` ----------
# Kodi 20/21 folder-stacks `CDn` folders of one video each (FileItemList.cpp StackFolders,
# `((cd|dvd|dis[ck])[0-9]+)$`). It reads the NFO in CD1/ first (`Heat (1995) cd1.nfo`,
# CVideoTagLoaderNFO::FindNFO), but the art only in the folder above, common to the parts:
# ArtUtils GetLocalArtBaseFilename takes `GetParentPath` of the `stack://` path and the
# stacked title's name there (Kodi's TestArtUtils.cpp: `stack:///path/to/movie_name/cd1/... ,
# .../cd2/...` -> `/path/to/movie_name/art.jpg`).


def make_folder_stack(build, part_folder: str = "CD"):
    """An enriched `Heat (1995)` whose parts are `Heat (1995)/CD<n>/Heat (1995) cd<n>.avi`."""
    names = [f"{part_folder}{n}/{TITLE} cd{n}.avi" for n in (1, 2)]
    return heat_stacked(build, names, b"RIFF part AVI ")


@pytest.fixture
def folder_stack(build):
    return make_folder_stack(build)


ABOVE = {f"{TITLE}-poster.jpg", f"{TITLE}-poster1.jpg", f"{TITLE}-fanart.jpg"}
ABOVE.add(f"{TITLE}-clearlogo.png")


def test_a_folder_stacks_art_is_published_in_the_movie_folder_above_its_parts(rt, folder_stack):
    """Its art was published in CD1/ (`Heat (1995) cd1-poster.jpg`), where Kodi reads none."""
    built = folder_stack
    plan = preview_publish(rt, built.movie)
    assert {a.path.relative_to(built.folder).as_posix() for a in plan.by_action(WRITE)} >= ABOVE

    publish_item(rt, built.movie)

    above, cd1 = files_in(built.folder), files_in(built.folder / "CD1")
    assert set(above) == ABOVE
    assert set(cd1) == {f"{TITLE} cd1.avi", f"{TITLE} cd1.nfo"}  # the NFO stays: Kodi's first
    assert set(files_in(built.folder / "CD2")) == {f"{TITLE} cd2.avi"}
    # Kodi 20/21 reads a stack's actor pictures in URIUtils::GetBasePath: the first part's
    # folder, or the one above when that one is named `cd` + one character (Kodi 22: the
    # parts' common folder)
    assert set(files_in(built.folder / ".actors")) == {"Al_Pacino.jpg"}
    assert not (built.folder / "CD1" / ".actors").exists()
    poster = built.selected["poster"][0]
    assert above[f"{TITLE}-poster.jpg"] == built.images[poster.url]
    ledger = {Path(e.path) for e in db.LibraryFile.select()}
    assert {built.folder / n for n in ABOVE} <= ledger
    # the scan reads back what was published there as ours, not as the user's
    found = local_files.find_local_artwork(
        local_files.VideoPlace.of(built.movie),
        rt.config,
        is_ours=lambda p: p in ledger,
    )
    assert found == []
    again = publish_item(rt, built.movie)
    assert not again.written and not again.removed


def test_a_folder_stacks_art_published_in_cd1_earlier_is_moved_up_only_ours_removed(
    rt, folder_stack, kit, monkeypatch
):
    """An older metarrd published the art in CD1/ under the first part's name; the next publish
    writes it above and removes from CD1/ only what the ledger says is ours (a file of ours
    the user changed since is copied into the cache first; the user's own image is left)."""
    built = folder_stack
    cd1 = built.folder / "CD1"
    with monkeypatch.context() as old:  # what earlier versions did: no folder stack's home
        old.setattr(local_files, "_folder_stack_home", lambda _video: None)
        publish_item(rt, built.movie)
    old_names = {n.replace(f"{TITLE}-", f"{TITLE} cd1-") for n in ABOVE}
    before = files_in(cd1)
    assert old_names <= set(before)
    edited = kit.image_bytes("fanart", "jpeg")
    (cd1 / f"{TITLE} cd1-fanart.jpg").write_bytes(edited)  # ours, changed by the user since
    own = kit.image_bytes("banner", "jpeg")
    (cd1 / f"{TITLE} cd1-banner.jpg").write_bytes(own)  # never ours

    plan = preview_publish(rt, built.movie)
    actions = {a.path: a for a in plan.actions}
    for name in old_names:
        assert actions[cd1 / name].action == REMOVE, name
        assert actions[built.folder / name.replace(" cd1-", "-")].action == WRITE, name
    assert actions[cd1 / f"{TITLE} cd1-fanart.jpg"].backup
    assert not actions[cd1 / f"{TITLE} cd1-poster.jpg"].backup
    assert actions[cd1 / f"{TITLE} cd1-banner.jpg"].action == LEAVE

    result = publish_item(rt, built.movie)

    assert set(files_in(cd1)) == {f"{TITLE} cd1.avi", f"{TITLE} cd1.nfo", f"{TITLE} cd1-banner.jpg"}
    assert not (cd1 / ".actors").exists()  # ours alone: emptied, then removed
    assert set(files_in(built.folder / ".actors")) == {"Al_Pacino.jpg"}
    assert files_in(cd1)[f"{TITLE} cd1-banner.jpg"] == own
    above = files_in(built.folder)
    assert set(above) == ABOVE
    assert above[f"{TITLE}-poster.jpg"] == before[f"{TITLE} cd1-poster.jpg"]
    assert [Path(p) for p in result.backed_up] == [cd1 / f"{TITLE} cd1-fanart.jpg"]
    row = db.CacheImageFile.get(db.CacheImageFile.file_hash == sha(edited))
    assert row.source_type == "library" and Path(row.file_path).read_bytes() == edited
    ledger = {Path(e.path) for e in db.LibraryFile.select()}
    assert not ledger & {cd1 / n for n in old_names}
    assert {built.folder / n for n in ABOVE} <= ledger


def test_the_users_art_above_a_folder_stack_is_left_or_backed_up_first(rt, folder_stack, kit):
    """The user's `Heat (1995)/poster.jpg` (folder art) is left as it is; their own
    `Heat (1995)/Heat (1995)-poster.jpg` (what Kodi's library export writes there) and a
    `-fanart.png` beside our `-fanart.jpg` are copied into the cache before they go."""
    built = folder_stack
    folder_art = kit.image_bytes("poster", "jpeg")
    built.path("poster.jpg").write_bytes(folder_art)
    exported = kit.image_bytes("poster", "jpeg")
    built.path(f"{TITLE}-poster.jpg").write_bytes(exported)
    rival = kit.image_bytes("fanart", "png")
    built.path(f"{TITLE}-fanart.png").write_bytes(rival)

    plan = preview_publish(rt, built.movie)
    actions = {a.path.name: a for a in plan.actions}
    assert actions["poster.jpg"].action == LEAVE
    assert actions[f"{TITLE}-poster.jpg"].backup
    assert actions[f"{TITLE}-fanart.png"].action == REMOVE and actions[f"{TITLE}-fanart.png"].backup

    result = publish_item(rt, built.movie)

    assert built.path("poster.jpg").read_bytes() == folder_art
    assert sorted(Path(p).name for p in result.backed_up) == [
        f"{TITLE}-fanart.png",
        f"{TITLE}-poster.jpg",
    ]
    for data in (exported, rival):
        row = db.CacheImageFile.get(db.CacheImageFile.file_hash == sha(data))
        assert Path(row.file_path).read_bytes() == data
    assert built.path(f"{TITLE}-poster.jpg").read_bytes() != exported


def test_a_moved_folder_stacks_art_above_its_parts_stays_ours(rt, folder_stack):
    """`Heat (1995)/` (CD1/, CD2/ and our art above them) renamed `Heat (1995) [DVD]/`: the
    ledger rows of the art above follow it, as those in CD1/ do. They followed only the CD1/
    folder, so the next publish copied our own art into the cache as if it were the user's;
    and the scan took our art in as the user's own (only a single video's files were left out
    of what it read)."""
    built = folder_stack
    st = os.stat(built.movie.path)
    db.Movie.update(size=st.st_size * 2, mtime_ns=st.st_mtime_ns).where(
        db.Movie.id == built.movie.id
    ).execute()
    scan(rt)
    publish_item(rt, built.reload())
    moved = built.folder.with_name(f"{TITLE} [DVD]")
    built.folder.rename(moved)

    assert scan(rt).moved == [built.movie.id]
    # nor taken in by that scan as the user's own art
    library_art = db.ArtworkCandidate.provider == "library"
    assert db.ArtworkCandidate.select().where(library_art).count() == 0
    assert {Path(r.path).parent for r in db.LibraryFile.select()} == {
        moved,
        moved / "CD1",
        moved / ".actors",
    }
    result = publish_item(rt, built.reload())
    assert not result.backed_up and not result.removed
    assert set(files_in(moved)) == ABOVE


def test_a_disc_folder_stacks_actors_stay_in_its_first_part_folder(rt, build):
    """`Disc1/`, `Disc2/`: the art goes above them all the same (the stack's parent path), but
    Kodi 20/21's GetBasePath goes up from the first part's folder only for `cd` + one character,
    so the actor pictures stay in `Disc1/.actors/`, where it reads them."""
    built = make_folder_stack(build, "Disc")
    publish_item(rt, built.movie)
    assert set(files_in(built.folder)) == ABOVE
    assert set(files_in(built.folder / "Disc1")) == {f"{TITLE} cd1.avi", f"{TITLE} cd1.nfo"}
    assert set(files_in(built.folder / "Disc1" / ".actors")) == {"Al_Pacino.jpg"}
    assert not (built.folder / ".actors").exists()


def test_a_folder_stack_without_a_stacked_title_gets_folder_art_above(rt, build, kit):
    """`Heat (1995)/CD1/cd1.avi` + `CD2/cd2.avi`: the names give no stacked title, so the art
    above takes Kodi's folder-art names (`Heat (1995)/poster.jpg`, TestArtUtils.cpp's
    `/path/to/movie_name/art.jpg`); the user's own `poster.jpg` there is copied into the cache
    before ours replaces it."""
    built = heat_stacked(build, [f"CD{n}/cd{n}.avi" for n in (1, 2)], b"RIFF part AVI ", cast=[])
    theirs = kit.image_bytes("poster", "jpeg")
    built.path("poster.jpg").write_bytes(theirs)

    result = publish_item(rt, built.movie)

    assert set(files_in(built.folder)) == {
        "poster.jpg",
        "poster1.jpg",
        "fanart.jpg",
        "clearlogo.png",
    }
    assert set(files_in(built.folder / "CD1")) == {"cd1.avi", "cd1.nfo"}
    assert result.backed_up == [str(built.path("poster.jpg"))]
    row = db.CacheImageFile.get(db.CacheImageFile.file_hash == sha(theirs))
    assert Path(row.file_path).read_bytes() == theirs
    assert built.path("poster.jpg").read_bytes() == built.images[built.selected["poster"][0].url]


def test_no_folder_art_in_a_librarys_own_folder(rt, build):
    """`<library>/CD1/cd1.avi` + `CD2/cd2.avi`: bare `poster.jpg` above would be the whole
    library's folder art: the art stays beside the NFO in CD1/."""
    built = build(TITLE, art=ART, cast=[], title="Heat", year=1995, tmdb_id=949)
    root = built.folder.parent
    shutil.rmtree(built.folder)
    into_parts(built, [root / f"CD{n}" / f"cd{n}.avi" for n in (1, 2)], b"RIFF part AVI ")
    result = publish_item(rt, built.reload())
    assert not files_in(root)
    assert {"cd1.nfo", "cd1-poster.jpg", "cd1-fanart.jpg"} <= set(files_in(root / "CD1"))
    [note] = [n for n in result.skipped if "no stacked title" in n]
    assert note.startswith("artwork published in CD1/, where Kodi does not read a stack's")


def _heat_stacked_in_a_category_beside_ronin(build):
    """Heat in `Movies/Action/CD1/cd1.avi` + `CD2/cd2.avi` (names with no stacked title) beside
    `Movies/Action/Ronin (1998)/`: the built item and the category folder."""
    built = build("Action", art=ART, cast=[], title="Heat", year=1995, tmdb_id=949)
    category = built.folder
    (category / "Action.mkv").unlink()
    into_parts(built, [category / f"CD{n}" / f"cd{n}.avi" for n in (1, 2)], b"RIFF part AVI ")
    (category / "Ronin (1998)").mkdir()
    (category / "Ronin (1998)" / "Ronin (1998).mkv").write_bytes(b"\x1a\x45\xdf\xa3 other")
    return built, category


def test_no_folder_art_in_a_category_folder_holding_other_movies(rt, build):
    """`Movies/Action/CD1/cd1.avi` + `CD2/cd2.avi` beside `Movies/Action/Ronin (1998)/`: the
    names give no stacked title, and `Action/` is a category folder, not the stack's own (it
    holds no video file itself, so it passed for the stack's alone). A bare `poster.jpg` there
    becomes the category's folder art (Kodi's file view, Jellyfin's folder image) and every
    movie's below it in a player reading bare names: the art stays beside the NFO in `CD1/`,
    with a note why Kodi finds none, and the category's own `fanart.jpg` is not the stack's."""
    from tests.publish.conftest import image_bytes

    built, category = _heat_stacked_in_a_category_beside_ronin(build)
    (category / "fanart.jpg").write_bytes(image_bytes("fanart"))  # the category's
    built.reload()
    place = local_files.VideoPlace.of(built.movie)
    found = local_files.find_local_artwork(place, rt.config, is_ours=lambda _p: False)
    assert found == []

    result = publish_item(rt, built.movie)

    assert set(files_in(category)) == {"fanart.jpg"}
    assert {"cd1.nfo", "cd1-poster.jpg", "cd1-fanart.jpg"} <= set(files_in(category / "CD1"))
    assert any("no stacked title" in note for note in result.skipped)


def test_folder_art_an_older_publish_left_in_a_category_folder_goes(rt, build, monkeypatch):
    """The bare `poster.jpg`... an older metarrd published in `Movies/Action/` for the stack in
    its `CD1/`, `CD2/` are ours in the ledger: the next publish writes the art in `CD1/` and
    removes them from the category folder."""
    built, category = _heat_stacked_in_a_category_beside_ronin(build)
    with monkeypatch.context() as patched:  # the rule before: bare names above CD1/
        patched.setattr(publish_stage, "_art_home", lambda _rt, _movie: (category, "", True))
        publish_item(rt, built.reload())
    assert set(files_in(category)) == {"poster.jpg", "poster1.jpg", "fanart.jpg", "clearlogo.png"}

    result = publish_item(rt, built.reload())

    assert files_in(category) == {}
    assert {"cd1-poster.jpg", "cd1-fanart.jpg", "cd1-clearlogo.png"} <= set(
        files_in(category / "CD1")
    )
    assert sorted(Path(p).name for p in result.removed) == [
        "clearlogo.png", "fanart.jpg", "poster.jpg", "poster1.jpg"
    ]  # fmt: skip
    assert not result.backed_up


# --- a part deleted: the stack shrinks to one file, named by it ----------------------------------


@pytest.mark.parametrize("stack", ["files", "folders"])
@pytest.mark.parametrize("deleted", [1, 2], ids=["cd1", "cd2"])
def test_a_stack_left_with_one_part_is_republished_under_its_name(rt, build, kit, stack, deleted):
    """A published two-part stack, one part deleted: the scan leaves the item one file, the
    part left. Its art was under the stacked title (`Heat (1995)-poster.jpg`, above `CD1/` for
    a folder stack), which Kodi does not read for a single file: it reads `<file>-poster.jpg`.
    With `cd2` gone the item stayed "published", so nothing put it right; it is "outdated" now,
    as after a rename, and its publish writes the file's names and removes ours under the old
    ones; the user's own image there is left."""
    media = Path(__file__).resolve().parents[1] / "media" / "xvid_mp3.avi"  # an XviD CD rip
    names = [f"{TITLE} cd{n}.avi" for n in (1, 2)]
    if stack == "folders":
        names = [f"CD{n}/{name}" for n, name in enumerate(names, 1)]
    built = heat_stacked(build, names, media.read_bytes())
    publish_item(rt, built.movie)
    own = kit.image_bytes("banner", "jpeg")
    built.path(f"{TITLE}-banner.jpg").write_bytes(own)  # the user's, not ours
    gone = built.path(names[deleted - 1])
    shutil.rmtree(gone.parent) if stack == "folders" else gone.unlink()

    scan(rt, [built.folder])
    item = built.reload()
    left = built.path(names[2 - deleted])
    assert (item.path, item.parts, item.missing) == (str(left), [str(left)], False)
    assert item.publish_state == db.OUTDATED
    publish_item(rt, item)

    base = left.with_suffix("").name
    wanted = {f"{base}{end}" for end in (".avi", ".nfo", "-poster.jpg", "-poster1.jpg")}
    wanted |= {f"{base}-fanart.jpg", f"{base}-clearlogo.png", ".actors/Al_Pacino.jpg"}
    files = {p.relative_to(built.folder) for p in built.folder.rglob("*") if p.is_file()}
    beside = left.parent.relative_to(built.folder)
    assert files == {beside / name for name in wanted} | {Path(f"{TITLE}-banner.jpg")}
    assert built.path(f"{TITLE}-banner.jpg").read_bytes() == own
    assert {Path(e.path) for e in db.LibraryFile.select()} == {
        left.parent / name for name in wanted - {left.name}
    }


# --- a lone video in a `CD1/` folder (its `CD2/` not copied, or never there) --------------------


@pytest.mark.parametrize("folder", ["CD1", "cd1", "Disc1"])
def test_a_lone_video_in_a_cd1_folder_gets_its_art_and_actors_beside_it(rt, build, folder):
    """`Ronin (1998)/CD1/ronin.avi` alone. Kodi 20/21 lists it as a plain file: StackFolders
    puts a `CDn` folder's one video in its place, and StackFiles makes no stack of one file
    (FileItemList.cpp). Its art Kodi reads beside it (`CFileItem::GetLocalArtBaseFilename`
    goes to the parent path only for a stack, a RAR or ZIP, a disc: `CD1/ronin-poster.jpg`,
    folder art `CD1/poster.jpg`), its actors' pictures in `URIUtils::GetBasePath` of the file,
    which leaves a `cd` + one character folder for a stack only (`if (IsStack(strPath))`):
    `CD1/.actors/`. Kodi 22 reads `.actors/` beside the NFO (`GetParentPath` of the file).
    Jellyfin makes `CD1/` a movie of its own (MovieResolver `GetMultiDiscMovie` keeps disc
    folders only) and reads its art there too. Nothing goes in the folder above."""
    name = "ronin.avi"
    built = heat_stacked(build, [f"{folder}/{name}"], b"RIFF part AVI ")
    publish_item(rt, built.movie)

    part = built.folder / folder
    assert set(files_in(built.folder)) == set()
    assert set(files_in(part)) == {
        name,
        "ronin.nfo",
        "ronin-poster.jpg",
        "ronin-poster1.jpg",
        "ronin-fanart.jpg",
        "ronin-clearlogo.png",
    }
    assert set(files_in(part / ".actors")) == {"Al_Pacino.jpg"}
    assert not (built.folder / ".actors").exists()


def test_a_split_stacks_part_files_go_at_the_kept_items_next_publish(rt, folder_stack, monkeypatch):
    """An older metarrd's scan of `CD2/` alone made its video a movie of its own, which it
    published there (`CD2/Heat (1995) cd2.nfo`). Once merged back into the stack's item, that
    file is the stack's ledger's, no longer wanted: its next publish removes it."""
    from metarrd.scan import stage as scan_stage

    built = folder_stack
    publish_item(rt, built.movie)
    cd2 = built.folder / "CD2" / f"{TITLE} cd2.avi"
    with monkeypatch.context() as m:
        m.setattr(scan_stage, "_with_its_stack", lambda top, root: top)
        (split_id,) = scan(rt, [cd2.parent]).new
    nfo = cd2.with_suffix(".nfo")
    data = b"<movie><title>Heat</title></movie>\n"
    nfo.write_bytes(data)
    db.LibraryFile.create(
        movie=split_id, path=str(nfo), kind="nfo", sha256=sha(data), size=len(data)
    )

    assert scan(rt).merged == [split_id]
    item = built.reload()
    parts = [str(built.folder / f"CD{n}" / f"{TITLE} cd{n}.avi") for n in (1, 2)]
    assert item.publish_state == db.OUTDATED and item.parts == parts
    result = publish_item(rt, item)

    assert str(nfo) in result.removed and not result.backed_up
    assert set(files_in(cd2.parent)) == {cd2.name}
    assert not db.LibraryFile.select().where(db.LibraryFile.path == str(nfo)).exists()


def test_a_stacks_jellyfin_copy_stays_while_its_picture_cannot_be_downloaded(
    make_rt, build, image_server
):
    """Like Kodi's name (`Missing`), the copy under the first part's name is kept, not removed
    as no longer wanted, while its picture cannot be downloaded again."""
    rt = make_rt(providers={"max_retries": 0})
    built = build(TITLE, runtime=rt, art={"poster": ["jpeg"]}, cast=[], title="Heat", year=1995)
    (built.folder / f"{TITLE}.mkv").unlink()
    into_parts(built, [built.folder / f"{TITLE} cd{n}.mkv" for n in (1, 2)], b"\x1a\x45\xdf\xa3")
    built.reload()
    publish_item(rt, built.movie)
    copy = built.path(f"{TITLE} cd1-poster.jpg")
    kept = copy.read_bytes()
    image_server.statuses["/poster.jpg"] = 503
    db.ArtworkCandidate.update(url=f"{image_server.url}/poster.jpg").execute()
    db.CacheImageFile.delete().execute()  # the cache lost it

    result = publish_item(rt, built.movie)

    assert result.warnings[0].startswith("published without poster 1: tmdb: server error")
    assert copy.read_bytes() == kept
    assert built.path(f"{TITLE}-poster.jpg").read_bytes() == kept
    assert db.LibraryFile.get_or_none(db.LibraryFile.path == str(copy)) is not None


def test_the_users_other_image_for_a_stacks_jellyfin_slot_is_moved_into_the_cache(rt, stack, kit):
    """`Heat (1995) cd1-poster.png` beside our copy `Heat (1995) cd1-poster.jpg`: Jellyfin lists
    `.png` before `.jpg` (LocalImageProvider.GetFiles), so it would show that one; it goes into
    the cache first, as beside any other name of ours (it made the publish fail: the slot was
    looked up under the stacked title)."""
    built = stack()
    theirs = kit.image_bytes("poster", "png")
    built.path(f"{TITLE} cd1-poster.png").write_bytes(theirs)
    plan = preview_publish(rt, built.movie)
    actions = {a.path.name: a for a in plan.actions}
    assert actions[f"{TITLE} cd1-poster.png"].action == REMOVE
    assert actions[f"{TITLE} cd1-poster.png"].backup

    publish_item(rt, built.movie)

    assert not built.path(f"{TITLE} cd1-poster.png").exists()
    assert built.path(f"{TITLE} cd1-poster.jpg").is_file()
    row = db.CacheImageFile.get(db.CacheImageFile.file_hash == sha(theirs))
    assert row.source_type == "library" and row.format == "png"

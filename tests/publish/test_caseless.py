"""Publishing onto a share that ignores letter case and Unicode normalisation (SMB from Windows
or a NAS, macOS's APFS, ext4 with casefold): a file of the user's whose name folds to one of
ours IS the file at our name, copied into the cache before ours replaces it, never removed
with a name of ours. `tests.caseless` gives the folders that behaviour."""

from __future__ import annotations

import hashlib
import os
import unicodedata
from pathlib import Path

import pytest

from metarrd import db
from metarrd.errors import ItemError
from metarrd.publish import preview_publish, publish_item, publish_many
from metarrd.publish.layout import KEEP, REMOVE, REPLACE
from metarrd.scan import scan
from tests.caseless import caseless
from tests.publish.conftest import into_one_folder
from tests.publish.test_publish import cached_hashes, files_under

BASE = "The Matrix (1999)"


@pytest.fixture(params=["shared", "per-name"])
def inodes(request) -> str:
    """How the share numbers a file looked up in other letters (`tests.caseless`): by the file,
    or by the name, as exfat-fuse and an SMB share mounted `noserverino` do."""
    return request.param


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


def test_the_users_actor_photo_named_decomposed_is_copied_before_ours_replaces_it(
    rt, build, kit, monkeypatch, inodes
):
    """TMDB spells "Penélope Cruz" composed (NFC); the user's `.actors/Penélope_Cruz.jpg`,
    written on a Mac (HFS+ stores names decomposed, and a library copied to APFS keeps them
    so), is decomposed. APFS (and a Mac's SMB share, ext4's casefold) takes both names for one
    file: ours, renamed onto the composed name, replaces theirs. The names differ in every
    letter case, so the folder's listing said nothing was there, and theirs went uncopied."""
    built = build(cast=[("Penélope Cruz", "Sofia", "jpeg")])
    theirs = kit.image_bytes("actor", "jpeg", seed=77)
    built.path(".actors").mkdir()
    built.path(f".actors/{nfd('Penélope_Cruz.jpg')}").write_bytes(theirs)
    caseless(monkeypatch, inodes)

    ours = built.path(".actors/Penélope_Cruz.jpg")
    plan = {a.path: a for a in preview_publish(rt, built.movie).actions}
    assert (plan[ours].action, plan[ours].backup) == (REPLACE, True)
    publish_item(rt, built.movie)

    assert sha(theirs) in cached_hashes(rt)
    (stored,) = os.listdir(built.path(".actors"))  # the rename kept its spelling, as Samba does
    assert built.path(f".actors/{stored}").read_bytes() == built.images["Penélope Cruz"]


def test_our_actor_photo_respelt_in_another_unicode_form_is_not_removed(
    rt, build, monkeypatch, inodes
):
    """TMDB's name for an actor changes from decomposed to composed (an edit there, or a name
    the user typed on a Mac): our `.actors/` file under the decomposed name IS the file at the
    composed one there, kept as it is. Removed as no longer wanted after that, it took the
    actor's photo with it: it takes the new spelling instead (Kodi compares it byte for byte)."""
    built = build(cast=[(nfd("Penélope Cruz"), "Sofia", "jpeg")])
    publish_item(rt, built.movie)
    assert os.listdir(built.path(".actors")) == [nfd("Penélope_Cruz.jpg")]
    built.actors[0].name = "Penélope Cruz"
    built.actors[0].save()
    caseless(monkeypatch, inodes)

    result = publish_item(rt, built.movie)

    assert os.listdir(built.path(".actors")) == ["Penélope_Cruz.jpg"]
    assert (
        built.path(".actors/Penélope_Cruz.jpg").read_bytes() == built.images[nfd("Penélope Cruz")]
    )
    assert result.removed == []
    assert not preview_publish(rt, built.movie).changes


def test_our_file_listed_in_the_users_letters_is_not_read_back_as_theirs(
    rt, build, monkeypatch, inodes
):
    """The user's `-Poster.jpg` (Windows, MediaElch) holds the very poster we publish (both from
    TMDB): the publish keeps it and the ledger records it under our name, `-poster.jpg`, while
    the folder lists it as `-Poster.jpg`. The scan looked the listed name up in the ledger as
    spelt, took our file for the user's and made it a candidate of their own, and read it
    back at every scan of the folder."""
    built = build()
    poster = built.images[built.selected["poster"][0].url]
    built.path(f"{BASE}-Poster.jpg").write_bytes(poster)
    caseless(monkeypatch, inodes)
    plan = {a.path.name: a for a in preview_publish(rt, built.movie).actions}
    assert plan[f"{BASE}-poster.jpg"].action == KEEP
    publish_item(rt, built.movie)
    assert f"{BASE}-Poster.jpg" in os.listdir(built.folder)

    scan(rt, [built.folder])

    C = db.ArtworkCandidate
    theirs = C.select().where(C.movie == built.movie.id, C.provider == "library")
    assert [c.url for c in theirs] == []


def test_the_users_files_in_other_letters_at_our_names_are_copied_then_replaced(
    rt, build, kit, monkeypatch, inodes
):
    """Ember, MediaElch or Windows itself left `The Matrix (1999).NFO`, `-POSTER.jpg` and
    `.actors/Keanu_Reeves.JPG`: on such a share each IS the file at our name. Each is copied
    into the cache (an NFO under backup/) before ours replaces it, none is removed after the
    renames (each is set aside, and ours takes the name), and the preview does not also list it as the user's file left as it is."""
    built = build()
    theirs = {
        f"{BASE}.NFO": b"<movie><title>Matrix, The</title></movie>",
        f"{BASE}-POSTER.jpg": kit.image_bytes("poster", "jpeg", seed=78),
        ".actors/Keanu_Reeves.JPG": kit.image_bytes("actor", "jpeg", seed=79),
    }
    built.path(".actors").mkdir()
    for name, data in theirs.items():
        built.path(name).write_bytes(data)
    caseless(monkeypatch, inodes)
    ours = {f"{BASE}.nfo", f"{BASE}-poster.jpg", "Keanu_Reeves.jpg"}

    actions = preview_publish(rt, built.movie).actions
    assert {(a.path.name, a.action, a.backup) for a in actions if a.path.name in ours} == {
        (name, REPLACE, True) for name in ours
    }
    assert [a for a in actions if a.path.name in {Path(n).name for n in theirs}] == []
    result = publish_item(rt, built.movie)

    assert {sha(data) for data in theirs.values()} <= cached_hashes(rt)
    assert result.removed == []
    # each name holds ours now, under our letters: the user's file was set aside before ours
    # took the name (atomic.Guard), so the folder no longer keeps theirs
    for name in ours:
        path = built.path(name if name != "Keanu_Reeves.jpg" else f".actors/{name}")
        assert sha(path.read_bytes()) not in {sha(data) for data in theirs.values()}


def test_our_files_under_a_folder_named_in_other_letters_are_not_removed(
    rt, build, monkeypatch, inodes
):
    """The ledger names our files under the folder's old letters (`the matrix (1999)/`) once the
    folder was renamed `The Matrix (1999)/` by hand, their rows not carried along (the scan
    carries them; a row may lag all the same). There each old path IS the file at its new
    one: the publish took each for the user's, replaced it, then removed it under its old
    name as no longer wanted, and the movie was left with no NFO and no art."""
    built = build("the matrix (1999)")
    publish_item(rt, built.movie)
    before = files_under(built.folder)
    folder = built.folder.with_name(BASE)
    built.folder.rename(folder)
    video = folder / "the matrix (1999).mkv"
    db.Movie.update(path=str(video), parts=[str(video)]).where(
        db.Movie.id == built.movie.id
    ).execute()
    caseless(monkeypatch, inodes)

    result = publish_item(rt, built.reload())

    assert files_under(folder) == before
    assert result.removed == []
    assert not preview_publish(rt, built.movie).changes


def test_our_files_stay_when_the_video_is_renamed_in_other_letters(rt, build, monkeypatch, inodes):
    """`the matrix (1999).mkv` renamed `The Matrix (1999).mkv` (Radarr's renaming, by hand):
    each file of ours under the old letters is the file at its new name, kept, then renamed to
    the new letters (Kodi compares `<base>-` exactly). On exfat-fuse (a USB disk, where each
    spelling got an inode number of its own) the old names were taken for other files and
    removed: the movie was left with no NFO and no art, though published."""
    _renamed_in_other_letters_keeps_our_files(
        rt, build("the matrix (1999)"), lambda: caseless(monkeypatch, inodes)
    )


def test_on_a_real_exfat_disk_our_files_stay_when_the_video_is_renamed_in_other_letters(
    make_rt, build, exfat_dir
):
    """The case above on exFAT itself (exfat-fuse), not a stand-in: no hard links, and a file
    numbered by the spelling it is looked up by."""
    runtime = make_rt(libraries={"Movies": exfat_dir / "movies"})
    _renamed_in_other_letters_keeps_our_files(
        runtime, build("the matrix (1999)", runtime=runtime), lambda: None
    )


def _renamed_in_other_letters_keeps_our_files(runtime, built, then_caseless) -> None:
    """Publish `built`, rename its video to `BASE` in other letters, `then_caseless()` (the
    stand-in file system, or nothing on a real one), publish again: every file of ours is
    there under the new letters, none removed, none backed up, nothing left to do."""
    publish_item(runtime, built.movie)
    before = files_under(built.folder)
    assert len(before) >= 8  # the NFO, the art, `.actors/`
    old = Path(built.movie.path)
    new = old.with_name(f"{BASE}.mkv")
    old.rename(new)
    db.Movie.update(path=str(new), parts=[str(new)]).where(db.Movie.id == built.movie.id).execute()
    then_caseless()

    result = publish_item(runtime, built.reload())

    renamed = {n.replace("the matrix (1999)", BASE): data for n, data in before.items()}
    assert files_under(built.folder) == renamed
    assert result.removed == [] and result.backed_up == []
    assert not preview_publish(runtime, built.movie).changes


def test_an_actor_photo_another_movie_of_the_folder_names_in_other_letters_is_not_removed(
    rt, build, monkeypatch, inodes
):
    """`.actors/` is one per folder. One movie names "Carrie-Anne Moss", the other of its folder
    "Carrie-anne Moss" (a TMDB edit between their enrichments, a name the user typed): on a
    share that ignores case, `Carrie-Anne_Moss.jpg` and `Carrie-anne_Moss.jpg` are one file.
    The first movie losing her removed it under its name, and with it the photo the other
    movie's NFO still names: its names were compared byte for byte."""
    first = build("The Matrix (1999)", cast=[("Carrie-Anne Moss", "Trinity", "jpeg")])
    second = build("The Matrix Reloaded (2003)", cast=[("Carrie-anne Moss", "Trinity", "jpeg")])
    into_one_folder(first, second)
    caseless(monkeypatch, inodes)
    publish_item(rt, first.reload())
    publish_item(rt, second.reload())
    (stored,) = os.listdir(first.path(".actors"))
    photo = first.path(f".actors/{stored}")
    kept = photo.read_bytes()

    db.MovieActor.delete().where(db.MovieActor.movie == first.movie).execute()
    plan = {a.path.name: a.action for a in preview_publish(rt, first.reload()).actions}
    publish_item(rt, first.reload())

    assert plan.get("Carrie-Anne_Moss.jpg") != REMOVE
    assert os.listdir(first.path(".actors")) == [stored] and photo.read_bytes() == kept


def test_two_videos_whose_names_differ_in_case_only_are_refused_as_sharing_names(
    rt, build, monkeypatch, inodes
):
    """`Alien (1979).mkv` and `alien (1979).avi` in one folder: on a share that ignores case
    their `.nfo` and `-poster.jpg` are one file each, as for two videos of one base name. The
    names were compared byte for byte: the later publish took the first's NFO and poster for
    the user's, backed them up and replaced them, and so on at every publish of either."""
    first = build("Alien (1979)", art={"poster": ["jpeg"]}, cast=[])
    second = build("Alien copy", art={"poster": ["jpeg"]}, cast=[])
    avi = first.path("alien (1979).avi")
    avi.write_bytes(b"\x00" * 23)
    db.Movie.update(path=str(avi)).where(db.Movie.id == second.movie.id).execute()
    caseless(monkeypatch, inodes)

    outcomes = publish_many(rt, [first.reload(), second.reload()])  # in one batch

    assert not isinstance(outcomes[0], ItemError) and isinstance(outcomes[1], ItemError)
    assert "alien (1979)" in str(outcomes[1]) and "nothing was changed" in str(outcomes[1])
    before = files_under(first.folder)
    with pytest.raises(ItemError, match=r"is the name of .*Alien \(1979\)\.mkv"):  # the ledger's
        publish_item(rt, second.reload())
    assert files_under(first.folder) == before
    assert {r.movie_id for r in db.LibraryFile.select()} == {first.movie.id}


def test_two_videos_whose_names_differ_in_case_only_both_publish_where_case_counts(rt, build):
    """On a disk that tells `Alien (1979).nfo` from `alien (1979).nfo` (ext4, a NAS's own
    disk), each video has its own files: neither is refused."""
    first = build("Alien (1979)", art={"poster": ["jpeg"]}, cast=[])
    second = build("Alien copy", art={"poster": ["jpeg"]}, cast=[])
    avi = first.path("alien (1979).avi")
    avi.write_bytes(b"\x00" * 23)
    db.Movie.update(path=str(avi)).where(db.Movie.id == second.movie.id).execute()

    outcomes = publish_many(rt, [first.reload(), second.reload()])

    assert not any(isinstance(o, ItemError) for o in outcomes)
    assert first.path("alien (1979).nfo").exists() and first.path("Alien (1979).nfo").exists()

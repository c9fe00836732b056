"""Publishing an enriched movie into a real folder: the layout, the ledger, nothing lost."""

from __future__ import annotations

import errno
import hashlib
import io
import os
import re
import shutil
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from metarrd import atomic, db, workflow
from metarrd.atomic import TEMP_MARKER
from metarrd.enrich.choices import change_selection
from metarrd.errors import ItemError, StageDisabled
from metarrd.pipeline import jobs, queue
from metarrd.publish import movie_data, preview_publish, publish_item, publish_many
from metarrd.publish.layout import KEEP, LEAVE, REMOVE, REPLACE, WRITE
from metarrd.publish.nfo import render_nfo
from tests.publish.conftest import ImageServer, image_bytes, into_one_folder, read_only

BASE = "The Matrix (1999)"


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def files_under(folder: Path) -> dict[str, bytes]:
    out = {}
    for root, _dirs, names in os.walk(folder):
        for name in names:
            path = Path(root) / name
            out[str(path.relative_to(folder))] = path.read_bytes()
    return out


def snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    """(mtime_ns, inode) of every file and folder below `folder`."""
    out = {}
    for root, dirs, names in os.walk(folder):
        for name in names + dirs + ["."]:
            st = os.stat(Path(root) / name)
            out[str((Path(root) / name).relative_to(folder))] = (st.st_mtime_ns, st.st_ino)
    return out


def cached_hashes(rt) -> set[str]:
    """What metarrd keeps of files: images in the cache, anything else under backup/."""
    stores = (rt.config.cache_dir, rt.config.backup_dir)
    return {p.stem for store in stores for p in store.rglob("*") if p.is_file()}


# --- the layout ---------------------------------------------------------------------------------


def test_folder_matches_the_kodi_layout_exactly(rt, build):
    built = build()
    result = publish_item(rt, built.movie)

    files = files_under(built.folder)
    assert sorted(files) == sorted(
        [
            f"{BASE}.mkv",
            f"{BASE}.nfo",
            f"{BASE}-poster.jpg",
            f"{BASE}-poster1.jpg",
            f"{BASE}-poster2.jpg",
            f"{BASE}-fanart.jpg",
            f"{BASE}-fanart1.jpg",
            f"{BASE}-clearlogo.png",  # PNG stays PNG
            ".actors/Keanu_Reeves.jpg",
            ".actors/Carrie-Anne_Moss.jpg",
            ".actors/Laurence_Fishburne.png",
        ]
    )
    posters = built.selected["poster"]
    assert files[f"{BASE}-poster.jpg"] == built.images[posters[0].url]
    assert files[f"{BASE}-poster1.jpg"] == built.images[posters[1].url]
    assert files[f"{BASE}-poster2.jpg"] == built.images[posters[2].url]
    assert files[".actors/Keanu_Reeves.jpg"] == built.images["Keanu Reeves"]
    assert files[f"{BASE}.nfo"] == render_nfo(movie_data(built.reload()))
    assert len(result.written) == 10 and not result.removed
    assert "actor Hugo Weaving: no image" in result.skipped[0]

    ledger = {Path(e.path).name: e for e in db.LibraryFile.select()}
    assert len(ledger) == 10
    for name, entry in ledger.items():
        path = Path(entry.path)
        assert entry.sha256 == sha(path.read_bytes()) and entry.size == path.stat().st_size
        assert entry.movie_id == built.movie.id, name


def test_ranks_come_from_rank_then_score(rt, build):
    built = build(art={"fanart": ["jpeg", "jpeg", "jpeg"]})
    fanarts = built.selected["fanart"]
    db.ArtworkCandidate.update(rank=None).execute()  # no ranks: the score decides
    db.ArtworkCandidate.update(score=1.0).where(db.ArtworkCandidate.id == fanarts[0].id).execute()
    publish_item(rt, built.movie)
    assert built.path(f"{BASE}-fanart.jpg").read_bytes() == built.images[fanarts[1].url]
    assert built.path(f"{BASE}-fanart2.jpg").read_bytes() == built.images[fanarts[0].url]


def test_publishing_twice_changes_no_file(rt, build):
    built = build()
    publish_item(rt, built.movie)
    before = snapshot(built.folder)
    ledger_before = list(db.LibraryFile.select().tuples())

    again = publish_item(rt, built.movie)

    assert snapshot(built.folder) == before
    assert not again.written and not again.removed and len(again.kept) == 10
    assert list(db.LibraryFile.select().tuples()) == ledger_before
    assert "0 written, 10 unchanged, 0 removed" in str(again)


def test_an_edit_made_while_the_movie_is_published_leaves_it_to_republish(rt, build, monkeypatch):
    """The user edits the title while a (long, batch) publish of the movie is writing: the NFO
    written has the old title, so the movie is "Updated – Republish?", not "Published" (which
    hid the edit: the library never got it, and nothing said so)."""
    from metarrd.publish import apply

    built = build()
    real = apply._record_ledger

    def edit_meanwhile(jobs):
        db.Movie.update(title="The Matrix (edited)", updated_at=db.now()).where(
            db.Movie.id == built.movie.id
        ).execute()
        db.mark_outdated(built.movie.id)
        real(jobs)

    monkeypatch.setattr(apply, "_record_ledger", edit_meanwhile)
    result = publish_item(rt, built.movie)
    assert "<title>The Matrix</title>" in built.path(f"{BASE}.nfo").read_text("utf-8")
    movie = db.Movie.get_by_id(built.movie.id)
    assert movie.publish_state == db.OUTDATED
    assert movie.last_published_at is not None  # published, with what it was when it started
    assert any("changed while" in w for w in result.warnings)
    monkeypatch.setattr(apply, "_record_ledger", real)
    publish_item(rt, movie)  # published again: now with the edit
    assert db.Movie.get_by_id(movie.id).publish_state == db.PUBLISHED
    assert "The Matrix (edited)" in built.path(f"{BASE}.nfo").read_text("utf-8")


def test_a_shared_actor_renamed_while_the_movie_is_published_leaves_it_to_republish(
    rt, build, monkeypatch
):
    """A person is shared by every item they play in: another movie's enrich that renames them
    while this one is published marks it "Republish?" (`cast._others_outdated`,
    `db.mark_outdated`) and changes nothing of its own row. When it already was "Republish?"
    (the publish of an edit), the publish then called it "Published", its NFO naming the actor
    as before, and nothing said so."""
    from metarrd.publish import apply

    built = build()
    assert built.actors
    actor = built.actors[0]
    db.mark_outdated(built.movie.id)
    db.Movie.update(publish_state=db.OUTDATED).where(db.Movie.id == built.movie.id).execute()
    real = apply._record_ledger

    def renamed_meanwhile(jobs):
        db.Actor.update(name="Renamed Meanwhile").where(db.Actor.id == actor.id).execute()
        db.mark_outdated(built.movie.id)
        real(jobs)

    monkeypatch.setattr(apply, "_record_ledger", renamed_meanwhile)
    publish_item(rt, built.movie)
    assert "Renamed Meanwhile" not in built.path(f"{BASE}.nfo").read_text("utf-8")
    assert db.Movie.get_by_id(built.movie.id).publish_state == db.OUTDATED


def test_status_log_event_and_player_notifications(make_rt, build, tmp_path):
    rt = make_rt(
        libraries={"Movies": tmp_path / "movies", "Shows": tmp_path / "shows"},
        player=[
            {"name": "Kodi", "type": "kodi", "url": "http://127.0.0.1:9", "libraries": ["Movies"]},
            {
                "name": "Jelly",
                "type": "jellyfin",
                "url": "http://127.0.0.1:9",
                "libraries": ["Movies", "Shows"],
            },
            {"name": "Plex", "type": "plex", "url": "http://127.0.0.1:9", "libraries": ["Shows"]},
        ],
    )
    built = build(runtime=rt)
    result = publish_item(rt, built.movie)

    movie = built.reload()
    assert movie.publish_state == db.PUBLISHED
    assert movie.last_published_at is not None and movie.last_error is None
    assert movie.published_nfo_hash == sha(built.path(f"{BASE}.nfo").read_bytes())
    log = db.PublishLog.get(db.PublishLog.movie == movie.id)
    assert log.ok and len(log.written) == 10 and log.nfo_hash == movie.published_nfo_hash
    event = db.Event.get(db.Event.kind == "publish.done")
    assert event.movie_id == movie.id and event.data["written"] == 10
    notes = list(db.PlayerNotification.select().order_by(db.PlayerNotification.id))
    assert sorted(n.player.name for n in notes) == ["Jelly", "Kodi"]
    assert all(n.path == movie.path and n.state == "pending" for n in notes)
    assert result.players == ["Jelly", "Kodi"]

    publish_item(rt, built.movie)  # nothing changed: nobody needs telling again
    assert db.PlayerNotification.select().count() == 2
    assert db.PublishLog.select().count() == 2


# --- changes since the last publish ---------------------------------------------------------------


def test_files_no_longer_selected_are_removed_and_new_choices_replace_old_ones(rt, build, kit):
    built = build()
    publish_item(rt, built.movie)
    posters, fanarts = built.selected["poster"], built.selected["fanart"]
    db.ArtworkCandidate.update(is_selected=False, rank=None).where(
        db.ArtworkCandidate.id.in_([posters[2].id, fanarts[1].id])
    ).execute()
    db.ArtworkCandidate.update(is_selected=False).where(
        db.ArtworkCandidate.id == posters[0].id
    ).execute()
    new_poster, new_bytes = kit.add_asset(built.movie, "poster", rank=1, score=9.9)
    db.MovieActor.delete().where(db.MovieActor.actor == built.actors[1].id).execute()

    result = publish_item(rt, built.movie)

    files = files_under(built.folder)
    assert files[f"{BASE}-poster.jpg"] == new_bytes
    assert files[f"{BASE}-poster1.jpg"] == built.images[posters[1].url]
    for gone in (f"{BASE}-poster2.jpg", f"{BASE}-fanart1.jpg", ".actors/Carrie-Anne_Moss.jpg"):
        assert gone not in files
        assert (
            not db.LibraryFile.select()
            .where(db.LibraryFile.path == str(built.folder / gone))
            .exists()
        )
    assert len(result.removed) == 3 and not result.backed_up
    assert "Carrie-Anne Moss" not in files[f"{BASE}.nfo"].decode()


def test_a_file_no_longer_selected_the_user_saves_while_publishing_stays(
    rt, build, kit, monkeypatch
):
    """Our poster no longer selected, read by the plan (ours, unchanged: removed with no copy),
    then saved over by the user (an editor, another tool) before its removal: the save went
    with it. It stays, the user's now (no ledger row), and the publish says so."""
    built = build()
    publish_item(rt, built.movie)
    posters = built.selected["poster"]
    db.ArtworkCandidate.update(is_selected=False, rank=None).where(
        db.ArtworkCandidate.id == posters[2].id
    ).execute()
    poster2 = built.path(f"{BASE}-poster2.jpg")
    users = kit.image_bytes("poster", "png")
    land = atomic.AtomicBatch.land

    def landed_then_saved(self, *args, **kwargs):  # the item's renames, then its removals
        out = land(self, *args, **kwargs)
        poster2.write_bytes(users)
        return out

    monkeypatch.setattr(atomic.AtomicBatch, "land", landed_then_saved)

    result = publish_item(rt, built.movie)

    assert poster2.read_bytes() == users
    assert str(poster2) not in result.removed
    assert not db.LibraryFile.select().where(db.LibraryFile.path == str(poster2)).exists()
    assert any(str(poster2) in note and "left as it is" in note for note in result.skipped)
    assert not [p for p in built.folder.iterdir() if p.name.startswith(TEMP_MARKER)]


def test_a_file_the_user_made_at_a_target_name_goes_into_the_cache_first(rt, build, kit):
    built = build()
    user_poster = kit.image_bytes("poster", "jpeg")
    user_nfo = b"<movie><title>My own words</title><mytool>keep</mytool></movie>"
    built.path(f"{BASE}-poster.jpg").write_bytes(user_poster)
    built.path(f"{BASE}.nfo").write_bytes(user_nfo)
    (built.folder / ".actors").mkdir()
    built.path(".actors/Keanu_Reeves.jpg").write_bytes(b"not even an image")

    result = publish_item(rt, built.movie)

    assert len(result.backed_up) == 3
    for data, image_type in (
        (user_poster, "poster"),
        (user_nfo, "nfo"),
        (b"not even an image", "actor"),
    ):
        row = db.CacheImageFile.get(db.CacheImageFile.file_hash == sha(data))
        assert row.source_type == "library" and row.image_type == image_type
        assert Path(row.file_path).read_bytes() == data
        # images are cached by type; anything else is kept apart: cache/ holds images only
        store = rt.config.cache_dir if image_type == "poster" else rt.config.backup_dir
        assert Path(row.file_path).is_relative_to(store / image_type)
    images = [
        p for p in rt.config.cache_dir.rglob("*") if not p.is_relative_to(rt.config.backup_dir)
    ]
    assert not [p for p in images if p.suffix in (".nfo", ".bin")]  # (PostgreSQL: backup/ in it)
    assert (
        built.path(f"{BASE}-poster.jpg").read_bytes()
        == built.images[built.selected["poster"][0].url]
    )


def test_a_file_the_user_changed_after_we_wrote_it_is_kept_in_the_cache(rt, build, kit):
    built = build()
    publish_item(rt, built.movie)
    edited = kit.image_bytes("fanart", "jpeg")
    built.path(f"{BASE}-fanart1.jpg").write_bytes(edited)  # the user replaced our file
    built.path(f"{BASE}.nfo").write_bytes(b"<movie><title>hand edited</title></movie>\n")
    fanart2 = built.selected["fanart"][1]
    db.ArtworkCandidate.update(is_selected=False).where(
        db.ArtworkCandidate.id == fanart2.id
    ).execute()

    result = publish_item(rt, built.movie)

    assert not built.path(f"{BASE}-fanart1.jpg").exists()
    assert sha(edited) in cached_hashes(rt)
    assert sha(b"<movie><title>hand edited</title></movie>\n") in cached_hashes(rt)
    assert sorted(Path(p).name for p in result.backed_up) == [f"{BASE}-fanart1.jpg", f"{BASE}.nfo"]


def test_another_image_for_the_same_slot_is_moved_into_the_cache(rt, build, kit):
    built = build()
    theirs = kit.image_bytes("poster", "png")
    built.path(f"{BASE}-poster.png").write_bytes(theirs)
    built.path(f"{BASE}-fanart9.jpg").write_bytes(b"left alone")
    plan = preview_publish(rt, built.movie)
    actions = {a.path.name: a for a in plan.actions}
    assert actions[f"{BASE}-poster.png"].action == REMOVE and actions[f"{BASE}-poster.png"].backup
    assert actions[f"{BASE}-fanart9.jpg"].action == LEAVE

    publish_item(rt, built.movie)

    assert not built.path(f"{BASE}-poster.png").exists()
    assert built.path(f"{BASE}-fanart9.jpg").read_bytes() == b"left alone"
    row = db.CacheImageFile.get(db.CacheImageFile.file_hash == sha(theirs))
    assert row.source_type == "library" and row.format == "png"


def test_the_users_image_for_a_slot_in_other_letters_is_moved_into_the_cache(rt, build, kit):
    """Kodi lowers the art type and the extension it reads after `<base>-` (and the extension of
    an `.actors/` file, comparing its stem exactly): `-Poster.JPG` is a poster beside our
    `-poster.jpg`, and whichever the folder listing gives last is shown
    (`CVideoInfoScanner::AddLocalItemArtwork`, `FetchActorThumbs`)."""
    built = build()
    if built.path(f"{BASE}-POSTER.jpg").exists() or os.path.exists(str(built.folder).upper()):
        pytest.skip("a case-insensitive file system")
    poster, keanu = kit.image_bytes("poster", "jpeg"), kit.image_bytes("actor", "jpeg")
    built.path(f"{BASE}-Poster.JPG").write_bytes(poster)
    built.path(f"{BASE}-fanart.Png").write_bytes(kit.image_bytes("fanart", "png"))
    (built.folder / ".actors").mkdir()
    built.path(".actors/Keanu_Reeves.JPG").write_bytes(keanu)
    built.path(".actors/keanu_reeves.jpg").write_bytes(b"Kodi never matches this one")
    built.path(f"{BASE.lower()}-poster.jpg").write_bytes(b"nor this one (Kodi 20: base exact)")
    plan = {a.path.name: a for a in preview_publish(rt, built.movie).actions}
    for name in (f"{BASE}-Poster.JPG", f"{BASE}-fanart.Png", "Keanu_Reeves.JPG"):
        assert (plan[name].action, plan[name].backup) == (REMOVE, True), name

    publish_item(rt, built.movie)

    names = set(files_under(built.folder))
    assert f"{BASE}-Poster.JPG" not in names and f"{BASE}-fanart.Png" not in names
    assert ".actors/Keanu_Reeves.JPG" not in names and ".actors/Keanu_Reeves.jpg" in names
    assert {".actors/keanu_reeves.jpg", f"{BASE.lower()}-poster.jpg"} <= names
    assert {sha(poster), sha(keanu)} <= cached_hashes(rt)


def test_a_name_in_other_letters_that_is_the_wanted_file_itself_is_not_removed(
    rt, build, monkeypatch
):
    """On a share that ignores case, the user's `-poster.JPG` in the listing IS the file at our
    `-poster.jpg` (backed up, then replaced): removed after the rename, it would take ours with
    it. Here `lstat` finds a name in any case, as such a share does."""
    built = build()
    built.path(f"{BASE}-poster.JPG").write_bytes(b"mine, not even an image")
    real = os.lstat

    def lstat(path, *args, **kwargs):
        try:
            return real(path, *args, **kwargs)
        except FileNotFoundError:
            path = Path(path)
            names = os.listdir(path.parent) if path.parent.is_dir() else []
            same = [n for n in names if n.lower() == path.name.lower()]
            if not same:
                raise
            return real(path.parent / same[0], *args, **kwargs)

    monkeypatch.setattr(os, "lstat", lstat)
    plan = {a.path.name: a for a in preview_publish(rt, built.movie).actions}
    assert (plan[f"{BASE}-poster.jpg"].action, plan[f"{BASE}-poster.jpg"].backup) == (REPLACE, True)
    assert plan.get(f"{BASE}-poster.JPG") is None or plan[f"{BASE}-poster.JPG"].action != REMOVE


def case_blind(monkeypatch) -> None:
    """File names found in any letter case, as on a share that ignores case (SMB from Windows or
    a NAS, macOS): a name not there is looked up by its lower-case spelling for `lstat`, opening
    and `unlink`; new names are made as spelt."""
    real_lstat, real_open, real_unlink = os.lstat, os.open, os.unlink

    def found(path):
        if not isinstance(path, (str, Path)):
            return path
        try:
            real_lstat(path)
            return path
        except OSError:
            path = Path(path)
        try:
            same = [n for n in os.listdir(path.parent) if n.lower() == path.name.lower()]
        except OSError:
            return path
        return path.parent / same[0] if same else path

    monkeypatch.setattr(os, "lstat", lambda p, *a, **k: real_lstat(found(p), *a, **k))
    monkeypatch.setattr(os, "unlink", lambda p, *a, **k: real_unlink(found(p), *a, **k))
    monkeypatch.setattr(
        os,
        "open",
        lambda p, flags, *a, **k: real_open(p if flags & os.O_CREAT else found(p), flags, *a, **k),
    )


def test_an_actor_renamed_in_other_letters_keeps_its_image_on_a_share_that_ignores_case(
    rt, build, monkeypatch
):
    """TMDB respells a name in other letters ("Carrie-Anne Moss" -> "Carrie-anne Moss"): on a
    share that ignores case, our `.actors/Carrie-Anne_Moss.jpg` IS the file at the new name,
    kept as it is (same image); removed as "no longer selected" after that, it took the
    actor's image with it. It takes the new letters instead: Kodi compares the name exactly."""
    built = build()
    publish_item(rt, built.movie)
    actor = next(a for a in built.actors if a.name == "Carrie-Anne Moss")
    db.Actor.update(name="Carrie-anne Moss").where(db.Actor.id == actor.id).execute()
    case_blind(monkeypatch)

    result = publish_item(rt, built.movie)

    actors = os.listdir(built.path(".actors"))
    assert [n for n in actors if n.lower() == "carrie-anne_moss.jpg"] == ["Carrie-anne_Moss.jpg"]
    assert built.path(".actors/Carrie-anne_Moss.jpg").read_bytes() == built.images[actor.name]
    assert result.removed == []
    ledger = {Path(r.path).name for r in db.LibraryFile.select()}
    assert "Carrie-anne_Moss.jpg" in ledger and "Carrie-Anne_Moss.jpg" not in ledger
    assert not preview_publish(rt, built.movie).changes


def test_a_video_renamed_in_other_letters_keeps_its_files_on_a_share_that_ignores_case(
    rt, build, monkeypatch
):
    """`the matrix (1999).mkv` renamed `The Matrix (1999).mkv` (Radarr, by hand) on a share that
    ignores case: each file of ours under the old letters is the file at its new name. Removed
    after that, they took the NFO and every image with them; they take the new letters."""
    built = build("the matrix (1999)")
    publish_item(rt, built.movie)
    before = files_under(built.folder)
    old = Path(built.movie.path)
    new = old.with_name(f"{BASE}.mkv")
    old.rename(new)
    db.Movie.update(path=str(new), parts=[str(new)]).where(db.Movie.id == built.movie.id).execute()
    case_blind(monkeypatch)

    result = publish_item(rt, built.reload())

    after = files_under(built.folder)
    renamed = {n.replace("the matrix (1999)", BASE): data for n, data in before.items()}
    assert after == renamed
    assert result.removed == [] and result.backed_up == []
    ledger = {Path(r.path).name for r in db.LibraryFile.select()}
    assert not [n for n in ledger if n.startswith("the matrix")]
    assert not preview_publish(rt, built.movie).changes


def test_the_users_files_jellyfin_reads_first_are_left_with_a_note(rt, build):
    """Jellyfin reads `movie.nfo` before `<base>.nfo`, and takes `<base>.jpg` as the poster
    before any other name (`LocalImageProvider.PopulatePrimaryImages`; Plex too): both are the
    user's and stay, and the publish says why Jellyfin may not show what was chosen here."""
    built = build()
    built.path("movie.nfo").write_text("<movie><title>mine</title></movie>")
    built.path(f"{BASE}.jpg").write_bytes(b"my old poster")
    notes = preview_publish(rt, built.movie).notes
    assert f"movie.nfo is left as it is: Jellyfin reads it before {BASE}.nfo" in notes
    assert (
        f"{BASE}.jpg is left as it is: Jellyfin and Plex show it as the poster, before "
        f"{BASE}-poster.jpg; remove it to have them show the poster chosen here"
    ) in notes
    result = publish_item(rt, built.movie)
    assert built.path(f"{BASE}.jpg").read_bytes() == b"my old poster"
    assert any(n.startswith(f"{BASE}.jpg is left") for n in result.skipped)


def test_the_users_poster_with_an_upper_case_extension_is_noted_too(rt, build):
    """Jellyfin compares the extension without its letter case (`LocalImageProvider.GetImage`,
    `SupportedImageExtensions` with OrdinalIgnoreCase), so a `<base>.JPG` saved on Windows or an
    XBMC-era `<base>.TBN` is its poster before ours as much as `<base>.jpg`: the publish said
    nothing of them."""
    built = build()
    built.path(f"{BASE}.JPG").write_bytes(b"my old poster")
    built.path(f"{BASE}.Tbn").write_bytes(b"my older thumb")
    notes = preview_publish(rt, built.movie).notes
    for name in (f"{BASE}.JPG", f"{BASE}.Tbn"):
        assert (
            f"{name} is left as it is: Jellyfin and Plex show it as the poster, before "
            f"{BASE}-poster.jpg; remove it to have them show the poster chosen here"
        ) in notes
    publish_item(rt, built.movie)
    assert built.path(f"{BASE}.JPG").read_bytes() == b"my old poster"


def test_the_users_poster_plex_does_not_read_is_noted_for_jellyfin_alone(rt, build):
    """Plex's Local Media Assets read a poster in `.jpg`, `.jpeg`, `.png` and `.tbn` only
    (LocalMedia.bundle's `config.IMAGE_EXTS`), Jellyfin in `.webp` and `.gif` too: a user's
    `<base>.webp` hides our poster in Jellyfin alone, and the note said Plex showed it too."""
    built = build()
    built.path(f"{BASE}.webp").write_bytes(b"my webp poster")
    built.path(f"{BASE}.gif").write_bytes(b"my gif poster")
    notes = preview_publish(rt, built.movie).notes
    for name in (f"{BASE}.webp", f"{BASE}.gif"):
        assert (
            f"{name} is left as it is: Jellyfin shows it as the poster, before "
            f"{BASE}-poster.jpg; remove it to have Jellyfin show the poster chosen here"
        ) in notes
    assert not [n for n in notes if "Plex" in n]
    publish_item(rt, built.movie)
    assert built.path(f"{BASE}.webp").read_bytes() == b"my webp poster"


def test_the_users_logo_and_disc_art_jellyfin_reads_first_are_left_with_a_note(rt, build):
    """Jellyfin takes `logo` before `clearlogo`, and `disc` or `cdart` before `discart`, under
    `<base>-` and, in a movie's own folder, bare (`LocalImageProvider.PopulateImages`); its own
    saver writes `logo.png` and `disc.png` there. Beside them our clear logo and disc art were
    never shown in Jellyfin, and the publish did not say so."""
    built = build(art={"poster": ["jpeg"], "clearlogo": ["png"], "discart": ["png"]})
    for name in ("logo.png", f"{BASE}-Disc.PNG", "cdart.jpg"):
        built.path(name).write_bytes(b"Jellyfin's")
    expected = [
        f"{BASE}-Disc.PNG is left as it is: Jellyfin shows it as the disc art, before "
        f"{BASE}-discart.png; remove it to have Jellyfin show the disc art chosen here",
        f"cdart.jpg is left as it is: Jellyfin shows it as the disc art, before "
        f"{BASE}-discart.png; remove it to have Jellyfin show the disc art chosen here",
        f"logo.png is left as it is: Jellyfin shows it as the clear logo, before "
        f"{BASE}-clearlogo.png; remove it to have Jellyfin show the clear logo chosen here",
    ]
    notes = preview_publish(rt, built.movie).notes
    assert sorted(n for n in notes if "Jellyfin shows" in n) == expected
    result = publish_item(rt, built.movie)
    assert sorted(n for n in result.skipped if "Jellyfin shows" in n) == expected
    assert built.path("logo.png").read_bytes() == b"Jellyfin's"


def test_the_users_jellyfin_art_that_is_the_picture_chosen_is_no_note(rt, build):
    """A library Jellyfin saved its artwork into ("save artwork into media folders": `logo.png`,
    `disc.png`; tinyMediaManager's poster naming `<base>.jpg`), migrated: the scan took those
    pictures as the user's own, and enrich chose them, so ours are copies of theirs. Jellyfin
    shows the chosen picture from either name, yet every publish told the user to remove their
    file "to have Jellyfin show the ... chosen here". Another picture at one of those names is
    still noted."""
    built = build(art={"poster": ["jpeg"], "clearlogo": ["png"], "discart": ["png"]})
    chosen = {t: built.images[built.selected[t][0].url] for t in ("poster", "clearlogo", "discart")}
    built.path("logo.png").write_bytes(chosen["clearlogo"])
    built.path("disc.png").write_bytes(chosen["discart"])
    built.path(f"{BASE}.jpg").write_bytes(chosen["poster"])
    built.path("cdart.png").write_bytes(chosen["clearlogo"])  # another picture: noted
    notes = preview_publish(rt, built.movie).notes
    assert [n for n in notes if "Jellyfin" in n] == [
        f"cdart.png is left as it is: Jellyfin shows it as the disc art, before "
        f"{BASE}-discart.png; remove it to have Jellyfin show the disc art chosen here"
    ]
    result = publish_item(rt, built.movie)
    assert [n for n in result.skipped if "Jellyfin" in n] == [n for n in notes if "Jellyfin" in n]
    assert built.path("logo.png").read_bytes() == chosen["clearlogo"]
    assert built.path(f"{BASE}.jpg").read_bytes() == chosen["poster"]


def test_a_bare_logo_in_a_folder_of_several_movies_is_no_note(rt, build):
    """In a folder of several movies Jellyfin reads no bare name for either of them."""
    first = build()
    second = build("Heat (1995)", title="Heat", year=1995, tmdb_id=949)
    into_one_folder(first, second)
    first.path("logo.png").write_bytes(b"of the folder")
    first.path(f"{BASE}-logo.png").write_bytes(b"the Matrix's")
    notes = preview_publish(rt, first.movie).notes
    assert [n.split(" is left")[0] for n in notes if "Jellyfin shows" in n] == [f"{BASE}-logo.png"]


def test_leftover_temp_files_from_a_crash_are_removed(rt, build):
    built = build()
    (built.folder / ".actors").mkdir()
    stray = [
        built.path(f"{TEMP_MARKER}1234abcd-{BASE}-poster.jpg"),
        built.path(f".actors/{TEMP_MARKER}x"),
    ]
    for p in stray:
        p.write_bytes(b"half")
    built.path(".hidden-by-user").write_bytes(b"mine")

    publish_item(rt, built.movie)

    assert not any(p.exists() for p in stray)
    assert built.path(".hidden-by-user").read_bytes() == b"mine"


# --- refusals and failures ------------------------------------------------------------------------


def test_an_item_that_is_not_enriched_is_refused(rt, build):
    built = build(identification_status=db.IDENTIFIED)
    with pytest.raises(ItemError, match="not enriched"):
        publish_item(rt, built.movie)
    assert sorted(files_under(built.folder)) == [f"{BASE}.mkv"]
    assert built.reload().publish_state == db.UNPUBLISHED


def test_publishing_switched_off_refuses_every_publish(rt, build):
    built = build()
    workflow.set_stage("publishing", False)
    with pytest.raises(StageDisabled, match="publishing"):
        publish_item(rt, built.movie)
    assert sorted(files_under(built.folder)) == [f"{BASE}.mkv"]
    assert "switched off" in preview_publish(rt, built.movie).notes[0]


def test_read_only_folder_is_a_clear_error_and_nothing_is_half_written(rt, build, kit):
    built = build()
    with (
        read_only(built.folder),
        pytest.raises(ItemError, match="cannot write into .*nothing was changed"),
    ):
        publish_item(rt, built.movie)
    assert sorted(files_under(built.folder)) == [f"{BASE}.mkv"]
    assert built.reload().publish_state == db.UNPUBLISHED
    assert not db.PublishLog.get(db.PublishLog.movie == built.movie.id).ok

    queue.configure(rt.config, immediate=True)  # the same failure through the job runner
    jobs.bind(rt)
    with read_only(built.folder):
        job = jobs.enqueue_publish(built.movie.id)
    job = db.Job.get_by_id(job.id)
    assert job.state == jobs.FAILED and "nothing was changed" in job.error
    movie = built.reload()
    assert "cannot write into" in movie.last_error
    assert movie.publish_state == db.UNPUBLISHED
    failures = list(db.Event.select().where(db.Event.kind == "publish.failed"))
    assert [(e.level, e.movie_id) for e in failures] == [("error", movie.id)]  # recorded once

    publish_item(rt, built.movie)  # writable again: the next publish works
    before = files_under(built.folder)
    kit.add_asset(built.movie, "banner", rank=1)
    with read_only(built.folder), pytest.raises(ItemError):
        publish_item(rt, built.movie)
    assert files_under(built.folder) == before


def test_cache_deleted_between_enrich_and_publish_is_downloaded_again(rt, build, image_server):
    built = build()
    for asset in db.ArtworkCandidate.select():
        url = image_server.serve(f"art/{asset.id}.img", built.images[asset.url])
        built.images[url] = built.images[asset.url]
        db.ArtworkCandidate.update(url=url).where(db.ArtworkCandidate.id == asset.id).execute()
    for actor in built.actors:
        if actor.name in built.images:
            url = image_server.serve(f"actor/{actor.id}.img", built.images[actor.name])
            db.Actor.update(thumb_url=url).where(db.Actor.id == actor.id).execute()
    shutil.rmtree(rt.config.cache_dir)

    result = publish_item(rt, built.movie)

    assert len(result.written) == 10 and result.skipped == [
        "actor Hugo Weaving: no image, nothing written to .actors"
    ]
    assert len(image_server.requests) == 9
    files = files_under(built.folder)
    assert files[f"{BASE}-poster.jpg"] == built.images[built.selected["poster"][0].url]
    assert files[".actors/Keanu_Reeves.jpg"] == built.images["Keanu Reeves"]
    for asset in built.selected["poster"]:
        row = db.CacheImageFile.get(db.CacheImageFile.file_hash == asset.content_hash)
        assert Path(row.file_path).is_file()

    image_server.requests.clear()
    publish_item(rt, built.movie)  # the cache is whole again
    assert image_server.requests == []


def test_a_stored_address_off_the_providers_image_hosts_is_not_fetched_again(
    rt, build, image_server
):
    """The cache lost a poster whose stored address is not on TMDB's image hosts (stored
    before the rule, or from an answer that made it up: another port of the same machine, the
    cloud metadata address): publish does not fetch it (SSRF into the user's network), says
    why, and publishes the rest."""
    built = build()
    elsewhere = ImageServer()  # 127.0.0.1, another port than TMDB's images
    try:
        first, second = built.selected["poster"][:2]
        stolen = elsewhere.serve("secret.jpg", built.images[first.url])
        for asset, url in ((first, stolen), (second, "http://169.254.169.254/latest/x.jpg")):
            db.ArtworkCandidate.update(url=url).where(db.ArtworkCandidate.id == asset.id).execute()
            db.CacheImageFile.delete().where(
                db.CacheImageFile.file_hash == asset.content_hash
            ).execute()

        result = publish_item(rt, built.movie)
    finally:
        elsewhere.close()

    assert elsewhere.requests == []
    host = urlsplit(elsewhere.url).netloc
    assert any(
        f"poster 1 of The Matrix: tmdb gave an image address on {host}, not one of tmdb's" in s
        for s in result.skipped
    ), result.skipped
    assert any("poster 2" in s and "on 169.254.169.254, not one" in s for s in result.skipped)
    files = files_under(built.folder)
    assert files[f"{BASE}-poster.jpg"] == built.images[built.selected["poster"][2].url]
    assert built.reload().publish_state == db.PUBLISHED


def test_the_users_own_image_is_fetched_again_only_from_a_public_address(rt, build, image_server):
    """An image the user added by its address (checked then: a public address) that the cache
    lost was fetched again through the providers' client: any address, through any proxy. The
    name may lead to 127.0.0.1 now (its DNS changed, or its server now redirects to the
    daemon's network): it is fetched again by the rules it was added by, or not at all."""
    built = build(art={"poster": ["jpeg"]}, cast=[])
    poster = built.selected["poster"][0]
    url = image_server.serve("mine.jpg", built.images[poster.url])
    db.ArtworkCandidate.update(provider="user", url=url, selected_by="user").where(
        db.ArtworkCandidate.id == poster.id
    ).execute()
    shutil.rmtree(rt.config.cache_dir)

    result = publish_item(rt, built.movie)

    assert image_server.requests == []
    assert f"{BASE}-poster.jpg" not in files_under(built.folder)
    assert any("local or private address" in note for note in result.skipped), result.skipped


def test_the_users_own_image_too_slow_to_answer_again_is_tried_again_later(
    make_rt, build, monkeypatch
):
    """An image the user added by its address, which the cache lost, whose host takes past the
    deadline to answer at publish: it may answer later, as a provider that is down, so the
    publish goes on without it and tries again (the user's client gives up such a request at
    once, not thrice, and said so as a failure for good: skipped, never fetched again)."""
    import socket

    from metarrd import http

    # the headers' deadline is HEADERS_SECONDS or thrice the read timeout, whichever is longer;
    # a read timeout of 0.15 s (for a deadline of 0.5 s) was met by the drip's 20 ms pauses on
    # a loaded machine (2 runs in 11 beside the Chromium tests and three busy loops on 2
    # cores): a plain timeout, tried thrice
    monkeypatch.setattr(http, "HEADERS_SECONDS", 1.5)
    rt = make_rt(artwork={"user_url_allow": ["127.0.0.1/32"]}, providers={"timeout_seconds": 0.5})
    built = build(runtime=rt, art={"poster": ["jpeg"]}, cast=[])
    poster = built.selected["poster"][0]
    stop = threading.Event()

    def drip(server: socket.socket) -> None:  # a header byte within every read timeout
        conn, _ = server.accept()
        with conn:
            conn.sendall(b"HTTP/1.1 200 OK\r\nX-Slow: ")
            while not stop.wait(0.02):
                try:
                    conn.sendall(b"a")
                except OSError:  # cut at the deadline
                    return

    with socket.create_server(("127.0.0.1", 0)) as server:
        dripping = threading.Thread(target=drip, args=(server,), daemon=True)
        dripping.start()
        url = f"http://127.0.0.1:{server.getsockname()[1]}/mine.jpg"
        db.ArtworkCandidate.update(provider="user", url=url, selected_by="user").where(
            db.ArtworkCandidate.id == poster.id
        ).execute()
        shutil.rmtree(rt.config.cache_dir)
        try:
            result = publish_item(rt, built.movie)
        finally:
            stop.set()
            dripping.join(10)

    assert not any("mine.jpg" in note for note in result.skipped), result.skipped
    (warning,) = result.warnings
    assert warning.startswith("published without poster 1: user: 127.0.0.1:"), warning
    assert "did not answer within 1.5 s" in warning


def test_an_upload_the_cache_lost_is_said_to_be_uploaded_again(rt, build):
    """An upload the cache lost (a cache emptied by hand, or dropped by the publish of an
    older metarrd while it was not chosen) has no address to download it from: the preview
    said it "is downloaded again on publish", and the publish then skipped it, saying "only an
    http:// or https:// address can be fetched" of an address the user never gave. Both say
    what is wrong and what to do."""
    from metarrd.enrich import add_user_image

    built = build(art={"poster": ["jpeg"]}, cast=[])
    mine = add_user_image(rt.config, built.movie.id, "poster", data=image_bytes("poster"))
    change_selection(rt.config, mine.id, "use")
    C = db.CacheImageFile
    Path(C.get(C.file_hash == mine.content_hash).file_path).unlink()
    said = (
        "poster 1 of The Matrix: the uploaded picture is no longer in the cache and has no "
        "address to download it from: upload it again"
    )

    plan = preview_publish(rt, db.Movie.get_by_id(built.movie.id))
    result = publish_item(rt, db.Movie.get_by_id(built.movie.id))

    assert said in plan.notes
    assert not any("downloaded again" in note for note in plan.notes), plan.notes
    assert said + ", skipped" in result.skipped, result.skipped


def test_a_library_image_the_cache_lost_is_not_read_through_a_link_out_of_the_library(
    rt, build, kit, tmp_path
):
    """The user's own poster (found in the library by the scan) is copied from the library
    again when the cache lost it. A link put in its place since, to a file outside every
    library, was followed: that file went into the cache and was published beside the movie
    (the scan refuses such a link; this copy did not look)."""
    built = build(art={}, cast=[])
    mine = built.path("poster.jpg")
    mine.write_bytes(kit.image_bytes("poster"))
    asset, _ = kit.add_asset(built.movie, "poster", rank=1, data=mine.read_bytes(), cached=False)
    db.ArtworkCandidate.update(provider="library", url=str(mine)).where(
        db.ArtworkCandidate.id == asset.id
    ).execute()
    private = tmp_path / "outside" / "private.jpg"
    private.parent.mkdir()
    private.write_bytes(kit.image_bytes("poster"))
    mine.unlink()
    mine.symlink_to(private)

    result = publish_item(rt, built.movie)

    published = {
        p.name: p.read_bytes() for p in built.folder.iterdir() if p.is_file() and not p.is_symlink()
    }
    assert private.read_bytes() not in published.values()
    cached = [p.read_bytes() for p in rt.config.cache_dir.rglob("*") if p.is_file()]
    assert private.read_bytes() not in cached
    assert any("outside every configured library" in note for note in result.skipped)


def test_provider_404_on_redownload_skips_that_image_and_the_rest_publishes(
    rt, build, image_server, caplog
):
    built = build()
    lost = built.selected["poster"][0]
    for asset in built.selected["poster"]:
        name = f"poster/{asset.id}.jpg"
        if asset.id != lost.id:
            image_server.serve(name, built.images[asset.url])
        db.ArtworkCandidate.update(url=f"{image_server.url}/{name}").where(
            db.ArtworkCandidate.id == asset.id
        ).execute()
        db.CacheImageFile.delete().where(
            db.CacheImageFile.file_hash == asset.content_hash
        ).execute()

    result = publish_item(rt, built.movie)

    files = files_under(built.folder)
    # the remaining posters move up a rank: Kodi needs a -poster
    assert files[f"{BASE}-poster.jpg"] == built.images[built.selected["poster"][1].url]
    assert files[f"{BASE}-poster1.jpg"] == built.images[built.selected["poster"][2].url]
    assert f"{BASE}-poster2.jpg" not in files
    assert any("404" in s and "poster 1" in s for s in result.skipped)
    assert "404" in caplog.text
    assert built.reload().publish_state == db.PUBLISHED


def test_a_redownload_too_costly_to_decode_is_skipped_not_decoded(rt, build, image_server):
    """An image the cache lost is downloaded again at publish, from an address whose answer
    may have changed since enrich checked it (a user's own address above all). A 3600x3600
    WebP (a few KB) under the pixel cap takes 198 MB to decode: enrich refuses it from its
    header, but the re-download was decoded whole in the daemon and published."""
    import io

    from PIL import Image

    built = build(art={"poster": ["jpeg"]}, cast=[])
    poster = built.selected["poster"][0]
    buf = io.BytesIO()
    Image.new("RGB", (3600, 3600), (200, 30, 30)).save(buf, "WEBP", method=0)
    url = image_server.serve("now-a-bomb.webp", buf.getvalue())
    db.ArtworkCandidate.update(url=url).where(db.ArtworkCandidate.id == poster.id).execute()
    shutil.rmtree(rt.config.cache_dir)

    result = publish_item(rt, built.movie)

    assert not any(name.endswith("-poster.webp") for name in files_under(built.folder))
    assert any("198 MB of memory" in note for note in result.skipped), result.skipped


def test_a_full_library_names_the_file_being_written_and_the_room_needed(rt, build, monkeypatch):
    built = build()
    full: set[int] = set()  # descriptors of the fanart temp files: their write(2) finds no room
    real_open, real_write, real_close = os.open, os.write, os.close

    def open_(path, flags, *args, **kwargs):
        fd = real_open(path, flags, *args, **kwargs)
        if flags & os.O_CREAT and "-fanart.jpg" in os.fspath(path):
            full.add(fd)
        return fd

    def write(fd, data):
        if fd in full:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_write(fd, data)

    def close(fd):
        full.discard(fd)
        return real_close(fd)

    monkeypatch.setattr(os, "open", open_)
    monkeypatch.setattr(os, "write", write)
    monkeypatch.setattr(os, "close", close)
    with pytest.raises(ItemError) as failed:
        publish_item(rt, built.movie)
    message = str(failed.value)
    assert f"{BASE}-fanart.jpg" in message and ".mkv" not in message
    assert "No space left on device" in message
    assert re.search(r"needs \d+ KB in \d+ files in .*\(\d[\d.]* MB free\)", message)
    assert "needs 0.0 MB" not in message  # the test's images are small: said in kilobytes
    assert sorted(files_under(built.folder)) == [f"{BASE}.mkv"]  # nothing torn, no temp files
    assert built.reload().publish_state == db.UNPUBLISHED


def test_a_library_out_of_inodes_says_so(rt, build, monkeypatch):
    """Bytes free but no inode left: "12638 MB free" alone read as a wrong diagnosis."""
    from metarrd.publish import apply

    built = build()
    real_statvfs = os.statvfs

    def no_inodes(path):
        st = real_statvfs(path)
        return os.statvfs_result((*st[:6], 0, 0, *st[8:]))  # f_ffree, f_favail

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device", str(built.folder / "x"))

    monkeypatch.setattr(apply.os, "statvfs", no_inodes)
    monkeypatch.setattr(atomic.AtomicBatch, "stage", full)
    with pytest.raises(ItemError, match="no file can be added: it has no inodes left"):
        publish_item(rt, built.movie)


def test_provider_down_on_redownload_publishes_the_rest_and_completes_later(
    make_rt, build, image_server
):
    rt = make_rt(providers={"max_retries": 0})
    built = build(runtime=rt, art={"poster": ["jpeg"]}, cast=[])
    asset = built.selected["poster"][0]
    publish_item(rt, built.movie)
    poster = built.path(f"{BASE}-poster.jpg")
    poster_bytes = poster.read_bytes()
    image_server.statuses["/poster.jpg"] = 503
    db.ArtworkCandidate.update(url=f"{image_server.url}/poster.jpg").execute()
    db.CacheImageFile.delete().execute()  # the cache lost it
    db.Movie.update(plot="A new plot.").execute()

    result = publish_item(rt, built.movie)

    warning = result.warnings[0]
    assert result.warnings == [warning]
    assert warning.startswith("published without poster 1: tmdb: server error (HTTP 503)")
    assert "A new plot." in built.path(f"{BASE}.nfo").read_text()  # the rest is published
    assert poster.read_bytes() == poster_bytes  # our earlier poster stays meanwhile
    assert db.LibraryFile.get_or_none(db.LibraryFile.path == str(poster)) is not None
    movie = built.reload()
    assert movie.publish_state == db.PUBLISHED and movie.last_error is None
    assert movie.publish_warnings == [warning]
    assert warning in db.PublishLog.select().order_by(db.PublishLog.id.desc()).first().message
    event = db.Event.select().where(db.Event.kind == "publish.done").order_by(db.Event.id.desc())
    assert event.first().level == "warning"
    assert db.ArtworkCandidate.get_by_id(asset.id).content_hash == asset.content_hash
    plan = preview_publish(rt, movie)
    assert [a.action for a in plan.actions if a.path == poster] == [KEEP]  # not downloaded

    del image_server.statuses["/poster.jpg"]  # the provider is back: the retry completes it
    image_server.files["/poster.jpg"] = built.images[asset.url]
    again = publish_item(rt, built.movie)
    assert again.warnings == [] and built.reload().publish_warnings == []
    assert poster.read_bytes() == poster_bytes


def test_an_actor_photo_the_provider_will_not_serve_does_not_block_the_publish(
    make_rt, build, image_server
):
    rt = make_rt(providers={"max_retries": 0})
    built = build(
        runtime=rt, cast=[("Keanu Reeves", "Neo", "jpeg"), ("Hugo Weaving", "Smith", "jpeg")]
    )
    hugo = next(a for a in built.actors if a.name == "Hugo Weaving")
    image_server.statuses["/hugo.jpg"] = 500
    db.Actor.update(thumb_url=f"{image_server.url}/hugo.jpg", image_cache_path=None).where(
        db.Actor.id == hugo.id
    ).execute()
    db.CacheImageFile.delete().where(db.CacheImageFile.actor == hugo.id).execute()

    result = publish_item(rt, built.movie)

    assert len(result.warnings) == 1
    assert result.warnings[0].startswith(
        "published without Hugo Weaving's photo: tmdb: server error (HTTP 500)"
    )
    assert sorted(p.name for p in built.path(".actors").iterdir()) == ["Keanu_Reeves.jpg"]
    assert built.path(f"{BASE}-poster.jpg").exists()
    assert "<name>Hugo Weaving</name>" in built.path(f"{BASE}.nfo").read_text()
    assert built.reload().publish_warnings == result.warnings
    assert "Hugo Weaving's photo" in str(result)


def test_actor_without_an_image_is_skipped_and_stays_in_the_nfo(rt, build):
    built = build(cast=[("Nobody Pictured", "Extra", None)])
    result = publish_item(rt, built.movie)
    assert not built.path(".actors").exists()
    assert result.skipped == ["actor Nobody Pictured: no image, nothing written to .actors"]
    assert "<name>Nobody Pictured</name>" in built.path(f"{BASE}.nfo").read_text()


def test_no_actor_name_writes_outside_the_actors_folder(rt, build, tmp_path):
    hostile = ["../../escaped", "/etc/evil", ".hidden", "..", 'a\\b:c*d?e"f<g>h|i', "Z" * 300]
    built = build(art={}, cast=[(n, "x", "jpeg") for n in hostile])
    outside_before = {p for p in tmp_path.rglob("*") if built.folder not in p.parents}

    publish_item(rt, built.movie)

    outside_after = {p for p in tmp_path.rglob("*") if built.folder not in p.parents}
    assert {
        p for p in outside_after - outside_before if rt.config.data_path not in p.parents
    } == set()
    written = sorted(p.name for p in (built.folder / ".actors").iterdir())
    assert "escaped.jpg" not in written
    assert all(not n.startswith(".") and len(n.encode()) <= 255 for n in written)
    assert "hidden.jpg" in written and ".._.._escaped.jpg" not in written
    assert len(written) == 5  # ".." leaves no usable name


# --- cache clean-up and preview -------------------------------------------------------------------


def test_cache_cleanup_drops_unselected_full_size_files_only(rt, build, kit):
    built = build(unselected={"poster": 2, "fanart": 1})
    other = build("Other (2000)", art={}, cast=[])
    shared, shared_bytes = kit.add_asset(other.movie, "fanart", selected=False)
    kit.add_asset(built.movie, "fanart", selected=False, data=shared_bytes)  # same image, both
    from_library, lib_bytes = kit.add_asset(built.movie, "poster", selected=False)
    db.CacheImageFile.update(source_type="library").where(
        db.CacheImageFile.file_hash == from_library.content_hash
    ).execute()
    preview = rt.config.previews_dir / "p.jpg"
    preview.parent.mkdir(parents=True, exist_ok=True)
    preview.write_bytes(b"preview")
    db.ArtworkCandidate.update(preview_path=str(preview)).where(
        db.ArtworkCandidate.id == built.unselected[0].id
    ).execute()

    result = publish_item(rt, built.movie)

    hashes = cached_hashes(rt)
    for asset in built.unselected:
        assert asset.content_hash not in hashes
        assert (
            not db.CacheImageFile.select()
            .where(db.CacheImageFile.file_hash == asset.content_hash)
            .exists()
        )
        assert not db.ArtworkCandidate.get_by_id(asset.id).is_downloaded
    assert result.cache_removed == 3
    assert shared.content_hash in hashes  # another item still has it
    assert from_library.content_hash in hashes  # the user's own image stays
    for assets in built.selected.values():
        assert all(a.content_hash in hashes for a in assets)
    assert preview.read_bytes() == b"preview"
    assert len(list(rt.config.cache_dir.glob("actor/*/*"))) == 3


def test_the_users_own_images_not_chosen_keep_their_cached_copy(rt, build, kit, image_server):
    """Each publish dropped the cached copy of every image nobody chose, the user's with the
    providers': an upload has no address to download it from again, an address the user gave
    may not answer any more (here: a 404), and an upload of a picture saved from TMDB's page
    shares the cache row of TMDB's candidate, dropped with it. Chosen later, the user's image
    was skipped by the publish. Its copy stays while its candidate does; a provider's image
    nobody chose still goes."""
    import dataclasses

    from metarrd.enrich import add_user_image

    built = build(art={"poster": ["jpeg"]}, cast=[])
    movie = built.movie
    tmdbs, saved = kit.add_asset(movie, "poster", selected=False)
    other, _ = kit.add_asset(movie, "poster", selected=False)
    uploaded = add_user_image(rt.config, movie.id, "poster", data=saved)
    mine = kit.image_bytes("poster")
    upload = add_user_image(rt.config, movie.id, "poster", data=mine)
    served = kit.image_bytes("poster")
    url = image_server.serve("mine.jpg", served)
    art = dataclasses.replace(rt.config.artwork, user_url_allow=("127.0.0.1/32",))
    from_url = add_user_image(
        dataclasses.replace(rt.config, artwork=art), movie.id, "poster", url=url
    )
    image_server.files.clear()  # the address answers no more
    assert uploaded.content_hash == tmdbs.content_hash

    result = publish_item(rt, movie)

    assert result.cache_removed == 1
    hashes = cached_hashes(rt)
    assert other.content_hash not in hashes  # the cache's size: a provider's image goes
    A, C = db.ArtworkCandidate, db.CacheImageFile
    for own in (uploaded, upload, from_url):
        assert own.content_hash in hashes
        assert C.select().where(C.movie == movie.id, C.file_hash == own.content_hash).exists()
        assert A.get_by_id(own.id).is_downloaded
    for own, data in ((upload, mine), (from_url, served), (uploaded, saved)):
        change_selection(rt.config, own.id, "use")
        publish_item(rt, db.Movie.get_by_id(movie.id))
        assert (built.folder / f"{BASE}-poster.jpg").read_bytes() == data
    assert image_server.requests == [urlsplit(url).path]  # when it was added, not since


def test_preview_shows_every_action_and_the_nfo_diff_without_writing(rt, build):
    built = build()
    built.path(f"{BASE}.nfo").write_text("<movie><title>Mine</title></movie>\n")
    before = snapshot(built.folder)

    plan = preview_publish(rt, built.movie)

    assert snapshot(built.folder) == before
    assert db.LibraryFile.select().count() == 0
    actions = {a.path.name: a for a in plan.actions}
    assert actions[f"{BASE}.nfo"].action == REPLACE and actions[f"{BASE}.nfo"].backup
    assert actions[f"{BASE}-poster.jpg"].action == WRITE
    assert plan.nfo_current == "<movie><title>Mine</title></movie>\n"
    diff = plan.nfo_diff()
    assert "-<movie><title>Mine</title></movie>" in diff and "+  <title>The Matrix</title>" in diff
    assert plan.summary() == "9 write, 1 replace, 1 backed up first"

    publish_item(rt, built.movie)
    again = preview_publish(rt, built.movie)
    assert {a.action for a in again.actions} == {KEEP} and again.nfo_diff() == ""


def test_the_preview_never_shows_an_nfo_linked_out_of_every_library(rt, build, tmp_path):
    """The preview's diff shows the NFO there now: not what a symlink leads to outside every
    library (it would put /etc/passwd on the page); a note says why its side is empty."""
    built = build()
    secret = tmp_path / "outside" / "secret.nfo"
    secret.parent.mkdir()
    secret.write_text("root:x:0:0:root:/root:/bin/bash\n")
    built.path(f"{BASE}.nfo").symlink_to(secret)

    plan = preview_publish(rt, built.movie)

    assert plan.nfo_current is None and "root:x:0:0" not in plan.nfo_diff()
    assert any(
        f"{BASE}.nfo is a symbolic link to {secret}, outside every configured library" in n
        for n in plan.notes
    )
    inside = built.folder / "mine.nfo"  # a link into the library is shown as before
    inside.write_text("<movie><title>Mine</title></movie>\n")
    built.path(f"{BASE}.nfo").unlink()
    built.path(f"{BASE}.nfo").symlink_to(inside)
    assert "-<movie><title>Mine</title></movie>" in preview_publish(rt, built.movie).nfo_diff()


def test_preview_says_what_is_downloaded_again(rt, build):
    built = build(art={"poster": ["jpeg"]}, cast=[])
    shutil.rmtree(rt.config.cache_dir)
    plan = preview_publish(rt, built.movie)
    assert any("downloaded again" in n for n in plan.notes)
    assert {a.path.name: a.action for a in plan.actions}[f"{BASE}-poster.jpg"] == WRITE


def test_a_disc_folder_is_published_beside_its_video_ts(rt, build):
    built = build("Alien (1979)", art={"poster": ["jpeg"]}, cast=[])
    (built.folder / "VIDEO_TS").mkdir()
    db.Movie.update(path=str(built.folder / "VIDEO_TS"), is_disc=True).execute()
    publish_item(rt, built.movie)
    names = set(files_under(built.folder))
    assert {"Alien (1979).nfo", "poster.jpg"} <= names  # tests/publish/test_discs.py


def test_a_symlinked_actors_folder_is_refused_rather_than_written_through(rt, build, tmp_path):
    built = build()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (built.folder / ".actors").symlink_to(elsewhere)
    with pytest.raises(ItemError, match="is not a folder"):
        publish_item(rt, built.movie)
    assert list(elsewhere.iterdir()) == []
    assert sorted(files_under(built.folder)) == [f"{BASE}.mkv"]


def test_a_read_only_actors_folder_refuses_the_item_after_its_other_temp_files(rt, build, kit):
    """No probe file for a folder we write into: its first temp file is the probe. A refusal
    in `.actors/` after the item's art was staged still changes nothing, leaves no temp file."""
    built = build()
    publish_item(rt, built.movie)
    actors = built.folder / ".actors"
    gone = sorted(actors.iterdir())[0]
    gone.unlink()
    kit.add_asset(built.movie, "banner", rank=1)  # a new file in the movie's folder, staged first
    before = files_under(built.folder)
    with (
        read_only(actors),
        pytest.raises(ItemError, match=f"cannot write into {re.escape(str(actors))} .*nothing"),
    ):
        publish_item(rt, built.movie)
    assert files_under(built.folder) == before  # no banner, no temp file anywhere
    result = publish_item(rt, built.movie)
    assert sorted(Path(p).name for p in result.written) == sorted([gone.name, f"{BASE}-banner.jpg"])


def test_a_folder_is_probed_only_when_nothing_is_written_into_it(rt, build, kit, monkeypatch):
    built = build()
    opened: list[str] = []
    real_open = os.open
    monkeypatch.setattr(
        os, "open", lambda p, *a, **k: opened.append(str(p)) or real_open(p, *a, **k)
    )
    publish_item(rt, built.movie)
    assert not [
        p for p in opened if ".metarrd-tmp-probe-" in p
    ]  # the first temp file tells as much
    db.ArtworkCandidate.update(is_selected=False).where(
        db.ArtworkCandidate.asset_type == "fanart"
    ).execute()
    opened.clear()
    result = publish_item(rt, built.movie)  # removals only: the folder is probed first
    assert result.removed and not result.written
    assert [Path(p).parent for p in opened if ".metarrd-tmp-probe-" in p] == [built.folder]


def test_two_videos_sharing_output_names_in_one_folder_the_later_is_refused(rt, build):
    first = build("Alien (1979)", art={"poster": ["jpeg"]}, cast=[])
    second = build("Alien copy", art={"poster": ["jpeg"]}, cast=[])
    avi = first.path("Alien (1979).avi")
    avi.write_bytes(b"\x00" * 23)
    db.Movie.update(path=str(avi)).where(db.Movie.id == second.movie.id).execute()
    publish_item(rt, first.movie)
    before = files_under(first.folder)

    for _ in range(2):  # every publish, alone or in a batch with the owner
        with pytest.raises(ItemError, match=r"Alien \(1979\)-poster\.jpg is the name of .*mkv"):
            publish_item(rt, second.reload())
        outcomes = publish_many(rt, [second.reload(), first.reload()])
        assert isinstance(outcomes[0], ItemError) and not isinstance(outcomes[1], ItemError)

    assert files_under(first.folder) == before
    assert {r.movie_id for r in db.LibraryFile.select()} == {first.movie.id}
    assert not db.CacheImageFile.get_or_none(db.CacheImageFile.source_type == "library")
    assert second.reload().publish_state == db.UNPUBLISHED


def test_two_new_videos_sharing_output_names_in_one_batch_the_first_publishes(rt, build):
    first = build("Alien (1979)", art={"poster": ["jpeg"]}, cast=[])
    second = build("Alien copy", art={"poster": ["jpeg"]}, cast=[])
    avi = first.path("Alien (1979).avi")
    avi.write_bytes(b"\x00" * 23)
    db.Movie.update(path=str(avi)).where(db.Movie.id == second.movie.id).execute()

    outcomes = publish_many(rt, [first.reload(), second.reload()])

    assert not isinstance(outcomes[0], ItemError) and isinstance(outcomes[1], ItemError)
    assert {r.movie_id for r in db.LibraryFile.select()} == {first.movie.id}


def test_an_actor_image_another_movie_of_the_folder_still_shows_is_not_removed(rt, build):
    """`.actors/` is one per folder: two movies of a folder with one actor share his file,
    recorded for the movie that published last. That movie losing him (its cast edited, the
    item matched again to another film) removed the file the other movie's NFO still names."""
    first = build(
        "Alien (1979)", art={"poster": ["jpeg"]}, cast=[("Sigourney Weaver", "Ripley", "jpeg")]
    )
    second = build(
        "Aliens (1986)", art={"poster": ["jpeg"]}, cast=[("Michael Biehn", "Hicks", "jpeg")]
    )
    into_one_folder(first, second)
    weaver = first.actors[0]
    db.MovieActor.create(movie=second.movie, actor=weaver, role="Ripley", order=1)
    publish_many(rt, [first.reload(), second.reload()])
    shared = first.path(".actors/Sigourney_Weaver.jpg")
    assert shared.read_bytes() == first.images["Sigourney Weaver"]

    db.MovieActor.delete().where(
        (db.MovieActor.movie == second.movie) & (db.MovieActor.actor == weaver)
    ).execute()
    plan = {a.path.name: a for a in preview_publish(rt, second.reload()).actions}
    assert plan.get("Sigourney_Weaver.jpg") is None or plan["Sigourney_Weaver.jpg"].action != REMOVE
    publish_item(rt, second.reload())

    assert shared.read_bytes() == first.images["Sigourney Weaver"]
    assert not publish_item(rt, first.reload()).written  # still known: nothing to write again
    assert db.LibraryFile.get(db.LibraryFile.path == str(shared)).movie_id == first.movie.id


def test_the_photos_of_people_dropped_from_the_cast_go_as_any_file_of_ours(rt, build, kit):
    """TMDB dropped Tom Skerritt and John Hurt from the cast (the enrich then forgets them,
    docs/enrich.md "Cast"): the next publish removes our `.actors/Tom_Skerritt.png`, unchanged
    since we wrote it, and John Hurt's photo the user replaced is copied into the cache
    first, as any file of ours no longer wanted (docs/publish.md, "The plan")."""
    alien = build(
        "Alien (1979)",
        art={"poster": ["jpeg"]},
        cast=[
            ("Sigourney Weaver", "Ripley", "jpeg"),
            ("Tom Skerritt", "Dallas", "png"),
            ("John Hurt", "Kane", "jpeg"),
        ],
    )
    publish_item(rt, alien.reload())
    skerritt, hurt = alien.path(".actors/Tom_Skerritt.png"), alien.path(".actors/John_Hurt.jpg")
    assert skerritt.read_bytes() == alien.images["Tom Skerritt"]
    users = kit.image_bytes("actor", "jpeg")  # the user's own photo of him
    hurt.write_bytes(users)
    db.MovieActor.delete().where(
        db.MovieActor.movie == alien.movie, db.MovieActor.actor.in_(alien.actors[1:])
    ).execute()

    plan = {a.path: a.action for a in preview_publish(rt, alien.reload()).actions}
    publish_item(rt, alien.reload())

    assert plan[skerritt] == plan[hurt] == REMOVE
    assert sorted(p.name for p in alien.path(".actors").iterdir()) == ["Sigourney_Weaver.jpg"]
    assert hashlib.sha256(users).hexdigest() in cached_hashes(rt)
    assert not db.LibraryFile.select().where(db.LibraryFile.path.in_([str(skerritt), str(hurt)]))


def test_two_videos_in_one_folder_with_a_crash_leftover_both_publish(rt, build):
    """Each item removes only the leftover temp files its plan saw, not the temp files the
    other item of the folder has just written (the batch writes them before any rename)."""
    first = build("Alien (1979)", art={"poster": ["jpeg"]}, cast=[])
    second = build("Aliens (1986)", art={"poster": ["jpeg"]}, cast=[])
    into_one_folder(first, second)
    leftover = first.path(f"{atomic.TEMP_MARKER}0badc0de-Alien (1979).nfo")
    leftover.write_bytes(b"<movie>half an NFO from a crash")

    outcomes = publish_many(rt, [first.reload(), second.reload()])

    assert not [o for o in outcomes if isinstance(o, ItemError)], outcomes
    names = {p.name for p in first.folder.iterdir()}
    assert {"Alien (1979).nfo", "Aliens (1986).nfo"} <= names
    assert {"Alien (1979)-poster.jpg", "Aliens (1986)-poster.jpg"} <= names
    assert not [n for n in names if n.startswith(atomic.TEMP_MARKER)]


def test_a_batch_left_while_its_temp_files_are_written_leaves_none(tmp_path, monkeypatch):
    """`abort` (leaving the block on an error) waits for the writes `stage_soon` started:
    a temp file created after it would be left behind for good."""
    started = threading.Event()
    real = atomic._write_temp

    def slow(*args, **kwargs):
        started.set()
        time.sleep(0.2)
        return real(*args, **kwargs)

    monkeypatch.setattr(atomic, "_write_temp", slow)
    with pytest.raises(RuntimeError), atomic.AtomicBatch() as batch:
        futures = [batch.stage_soon(tmp_path / f"{n}.nfo", b"<movie/>") for n in range(4)]
        started.wait()
        raise RuntimeError("the caller failed")
    assert all(f.done() for f in futures)
    assert list(tmp_path.iterdir()) == []


def test_an_alternative_chosen_but_never_downloaded_is_in_the_preview_as_on_publish(
    rt, build, image_server
):
    """Enrich keeps the bytes of the selected images only: an alternative is analysed, then
    only its preview stays (no hash, no size). Chosen as #1 in the Artwork tab, publish
    downloads it and writes it as the poster, but the preview said "poster 1: not in the cache
    and never analysed, skipped" and showed the other posters moved up a rank in its place."""
    built = build(art={"poster": ["jpeg"]}, unselected={"poster": 1}, cast=[])
    (chosen,) = built.unselected
    data = built.images[chosen.url]
    url = image_server.serve("chosen.jpg", data)
    db.CacheImageFile.delete().where(db.CacheImageFile.file_hash == chosen.content_hash).execute()
    A = db.ArtworkCandidate
    A.update(url=url, content_hash=None, file_size=None).where(A.id == chosen.id).execute()
    change_selection(rt.config, chosen.id, "use")

    plan = preview_publish(rt, built.movie)

    posters = {a.path.name: a for a in plan.actions if "poster" in a.path.name}
    assert sorted(posters) == [f"{BASE}-poster.jpg", f"{BASE}-poster1.jpg"]
    assert posters[f"{BASE}-poster.jpg"].wanted.source == Path(url)
    assert not [n for n in plan.notes if "skipped" in n], plan.notes
    assert "poster 1 of The Matrix: not downloaded yet; it is downloaded on publish" in plan.notes
    publish_item(rt, built.movie)
    assert files_under(built.folder)[f"{BASE}-poster.jpg"] == data


@pytest.mark.parametrize(
    ("name", "fmt", "written", "said"),
    [
        # analysed: its header read PNG, whatever its address says; nothing to caveat
        ("chosen.jpg", "png", "png", ""),
        # never analysed (its analysis is retried at the next enrich): the address's type, said so
        ("chosen.png", None, "png", " (its file type, .png, is read from its address until then)"),
        # an address that names no image type: the preview said "unknown image format 'php',
        # skipped" of the poster the publish then wrote
        ("img.php?id=7", None, "jpg", " (its file type is not known until then: .jpg assumed)"),
    ],
)
def test_the_preview_names_a_never_downloaded_alternative_by_what_is_known_of_its_type(
    rt, build, image_server, name, fmt, written, said
):
    """The publish names the file by the bytes it downloads; the preview, before, by the
    format the analysis read from its header, else by its address, and says so."""
    from PIL import Image

    built = build(art={"poster": ["jpeg"]}, unselected={"poster": 1}, cast=[])
    (chosen,) = built.unselected
    out = io.BytesIO()
    Image.new("RGB", (1000, 1500), (30, 90, 150)).save(out, "PNG" if written == "png" else "JPEG")
    url = image_server.serve(name, out.getvalue())
    A = db.ArtworkCandidate
    A.update(url=url, content_hash=None, file_size=None, format=fmt).where(
        A.id == chosen.id
    ).execute()
    change_selection(rt.config, chosen.id, "use")

    plan = preview_publish(rt, built.movie)

    posters = sorted(a.path.name for a in plan.actions if "poster" in a.path.name)
    assert posters == [f"{BASE}-poster.{written}", f"{BASE}-poster1.jpg"], plan.notes
    note = f"poster 1 of The Matrix: not downloaded yet; it is downloaded on publish{said}"
    assert note in plan.notes, plan.notes
    publish_item(rt, built.movie)
    assert files_under(built.folder)[f"{BASE}-poster.{written}"] == out.getvalue()

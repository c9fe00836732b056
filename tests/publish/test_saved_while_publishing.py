"""A save of the user's landing between publish's look at a file and the rename or removal that
takes it away is never lost (docs/publish.md, "nothing of the user's is lost"). Each race is
made deterministic by the save landing from inside the step between the two: after the user's
file was copied into the cache, after the plan read our own file, after a file was set aside.
And a file set aside by a publish killed before it was done is copied into the cache by the
next publish of its folder, not removed as a mere temp file of ours."""

from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path

import pytest

from metarrd import atomic, db
from metarrd.atomic import TEMP_MARKER, remove_stale_temp_files
from metarrd.errors import ItemError
from metarrd.publish import apply, publish_item, publish_many, sources

BASE = "The Matrix (1999)"
ASIDE_MARKER = f"{TEMP_MARKER}aside-"  # the name of a file set aside (`atomic.ASIDE_MARKER`)
# tinyMediaManager's movie NFO, the user's words, saved twice
USER_NFO = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes" ?>\n'
    b"<!--created on 2024-03-02 18:11:54 - tinyMediaManager 5.0.2-->\n<movie>\n"
    b"  <title>The Matrix</title>\n  <userrating>9.0</userrating>\n</movie>\n"
)
USER_NFO_SAVED = USER_NFO.replace(b"9.0", b"10.0")


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def copied(data: bytes) -> bool:
    """A `library` row names a file in the cache (or backup/) holding `data`."""
    C = db.CacheImageFile
    rows = C.select().where(C.file_hash == sha(data), C.source_type == "library")
    return any(Path(r.file_path).read_bytes() == data for r in rows)


def _saved_after_its_copy(monkeypatch, path: Path, data: bytes) -> None:
    """The user saves `data` at `path` once publish copied the file there into the cache."""
    real = sources.back_up

    def then_saved(rt, movie_id, at, *args, **kwargs):
        sha256 = real(rt, movie_id, at, *args, **kwargs)
        if at == path and path.read_bytes() != data:
            path.write_bytes(data)  # in place, as `echo > file` or a tag editor saves
        return sha256

    monkeypatch.setattr(sources, "back_up", then_saved)


def _asides(folder: Path) -> list[str]:
    return [n for n in os.listdir(folder) if n.startswith(TEMP_MARKER)]


def test_the_users_nfo_saved_after_its_copy_is_copied_again_before_it_is_replaced(
    rt, build, monkeypatch
):
    built = build()
    nfo = built.path(f"{BASE}.nfo")
    nfo.write_bytes(USER_NFO)
    _saved_after_its_copy(monkeypatch, nfo, USER_NFO_SAVED)

    result = publish_item(rt, built.movie)

    assert copied(USER_NFO) and copied(USER_NFO_SAVED)  # the save was lost: no copy of it
    assert b"<uniqueid" in nfo.read_bytes()  # ours
    assert str(nfo) in result.backed_up
    assert any("saved while it was being published" in n for n in result.skipped)
    assert not _asides(built.folder)


def test_the_users_image_saved_after_its_copy_is_copied_again_before_it_is_removed(
    rt, build, kit, monkeypatch
):
    """Another image for the poster's slot (`-poster.png` beside our `-poster.jpg`) is copied
    into the cache, then removed after the item's renames."""
    built = build()
    theirs = built.path(f"{BASE}-poster.png")
    first, saved = kit.image_bytes("poster", "png"), kit.image_bytes("poster", "png")
    theirs.write_bytes(first)
    _saved_after_its_copy(monkeypatch, theirs, saved)

    result = publish_item(rt, built.movie)

    assert not theirs.exists() and str(theirs) in result.removed
    assert copied(first) and copied(saved)
    assert any("copied into the cache before it was removed" in n for n in result.skipped)
    assert not _asides(built.folder)


def test_our_file_saved_after_the_plan_read_it_is_copied_before_it_is_replaced(
    rt, build, kit, monkeypatch
):
    """Our poster, replaced by a newly chosen one with no copy kept (the plan found it ours):
    the user saves over it after the plan looked (a cover fixed in an image editor), before
    the rename. By its lstat at the rename it is no longer the file read: it is copied first."""
    built = build(art={"poster": ["jpeg"]})
    publish_item(rt, built.movie)
    poster = built.path(f"{BASE}-poster.jpg")
    ours = poster.read_bytes()
    kit.add_asset(built.movie, "poster", rank=0, score=10.0)
    fixed = kit.image_bytes("poster")
    real = apply._record_intent

    def then_saved(jobs):
        assert poster.read_bytes() == ours  # still ours: the plan is right until now
        poster.write_bytes(fixed)
        real(jobs)

    monkeypatch.setattr(apply, "_record_intent", then_saved)

    result = publish_item(rt, built.reload())

    assert copied(fixed)  # replaced with no copy: the user's fix was gone
    assert poster.read_bytes() not in (ours, fixed)  # the new choice
    assert str(poster) in result.written and str(poster) in result.backed_up
    assert not _asides(built.folder)


def test_our_file_unchanged_at_the_rename_is_replaced_with_no_copy(rt, build, kit, monkeypatch):
    """The usual case costs one lstat, no read and no copy."""
    built = build(art={"poster": ["jpeg"]})
    publish_item(rt, built.movie)
    kit.add_asset(built.movie, "poster", rank=0, score=10.0)
    monkeypatch.setattr(
        atomic, "set_aside", lambda *a: pytest.fail("our unchanged file was set aside")
    )

    result = publish_item(rt, built.reload())

    assert str(built.path(f"{BASE}-poster.jpg")) in result.written and not result.backed_up
    assert not db.CacheImageFile.get_or_none(db.CacheImageFile.source_type == "library")


def test_a_save_made_as_a_new_file_while_the_old_is_set_aside_is_never_replaced(
    rt, build, kit, monkeypatch
):
    """Editors save a new file and rename it over the name. One landing after publish set the
    user's file aside (to read it again) takes the free name: it is the user's newest, so it
    stays, the item's renames are put back, and the publish says to publish again."""
    built = build(art={"poster": ["jpeg"], "fanart": ["jpeg"]})
    nfo = built.path(f"{BASE}.nfo")
    nfo.write_bytes(USER_NFO)
    before = {p.name: p.read_bytes() for p in built.folder.iterdir() if p.is_file()}
    real = os.rename

    def set_aside_then_saved(src, dst):
        real(src, dst)
        if Path(src) == nfo and ASIDE_MARKER in os.fspath(dst):
            tmp = nfo.with_name("tmm-save.tmp")
            tmp.write_bytes(USER_NFO_SAVED)
            real(tmp, nfo)

    monkeypatch.setattr(os, "rename", set_aside_then_saved)

    with pytest.raises(ItemError, match="saved again while it was being replaced"):
        publish_item(rt, built.movie)

    assert nfo.read_bytes() == USER_NFO_SAVED
    after = {p.name: p.read_bytes() for p in built.folder.iterdir() if p != nfo}
    assert after == {n: b for n, b in before.items() if n != nfo.name}  # new images gone again
    assert copied(USER_NFO)
    monkeypatch.undo()
    publish_item(rt, built.reload())  # again: the save copied, then replaced
    assert copied(USER_NFO_SAVED) and b"<uniqueid" in nfo.read_bytes()


def test_a_file_set_aside_by_a_killed_publish_is_copied_by_the_next_not_removed(rt, build, kit):
    """Killed after the user's file was set aside and before ours took its name: the file set
    aside may hold a save that is nowhere else (landed after its copy). A clean-up of temp
    files (the daemon's start, a show's season folders) leaves it; the next publish of the
    folder copies it into the cache, then removes it. One that holds bytes of ours goes."""
    built = build(art={"poster": ["jpeg"]})
    publish_item(rt, built.movie)
    poster = built.path(f"{BASE}-poster.jpg")
    ours = poster.read_bytes()
    saved = kit.image_bytes("poster")
    aside = poster.with_name(f"{ASIDE_MARKER}0badcafe-{poster.name}")
    poster.rename(aside)
    aside.write_bytes(saved)
    ours_aside = built.path(f"{ASIDE_MARKER}12345678-{BASE}-fanart.jpg")
    ours_aside.write_bytes(ours)  # a poster of ours that `remove_unchanged` had set aside
    stray = built.path(f"{TEMP_MARKER}deadbeef-{BASE}.nfo")
    stray.write_bytes(b"<movie>half of ours")

    assert remove_stale_temp_files(built.folder) == [stray]
    assert aside.read_bytes() == saved

    result = publish_item(rt, built.reload())

    assert copied(saved) and str(poster) in result.backed_up
    assert not copied(ours)
    assert poster.read_bytes() == ours  # written again
    assert not _asides(built.folder)


def test_a_copy_into_the_cache_failing_on_a_full_disk_fails_its_item_alone(
    small_data_dir, rt, build, monkeypatch
):
    """The user saves their NFO again after publish copied it; at the rename its second copy
    finds the data folder's disk full (a download filling it that instant): the row of the copy
    cannot be written (`DiskFull`, no OSError). The item's images that landed before are put
    back and it fails with the reason, its NFO the user's save; the next item of the batch is
    published. It was a half-published item and the error through the whole batch."""
    if db.is_postgresql():
        pytest.skip("the database is not on the data folder's disk")
    saved, fine = build(), build("Fine (2001)")
    nfo = saved.path(f"{BASE}.nfo")
    nfo.write_bytes(USER_NFO)
    before = {p.name: p.read_bytes() for p in saved.folder.iterdir() if p.is_file()}
    # the NFO's row is owned by no item (what metarrd wrote there before the library's kind
    # changed, its removal not done yet), the user's save since: the publish takes the row
    L = db.LibraryFile
    L.create(movie=None, path=str(nfo), kind="nfo", size=90, sha256="cd" * 32)
    rows = {r.path: r.__data__ for r in L.select()}
    _saved_after_its_copy(monkeypatch, nfo, USER_NFO_SAVED)
    real = sources._library_row
    filler = small_data_dir / "download.part"

    def on_a_full_disk(movie_id, image_type, sha256, named, *args):
        if sha256 != sha(USER_NFO_SAVED):
            return real(movie_id, image_type, sha256, named, *args)
        with open(filler, "wb") as fh:  # every block the disk has left
            st = os.statvfs(small_data_dir)
            fh.write(b"\0" * (st.f_bavail * st.f_frsize))
        try:
            return real(movie_id, image_type, sha256, named, *args)
        finally:
            filler.unlink()  # the download moved away: room again for the rest

    monkeypatch.setattr(sources, "_library_row", on_a_full_disk)

    failed, published = publish_many(rt, [saved.movie, fine.movie])

    assert isinstance(failed, ItemError), failed
    assert saved.movie.label in str(failed) and "disk full" in str(failed)
    assert f"{nfo} changed while it was being published, and could not be copied" in str(failed)
    assert str(failed).endswith("; nothing was changed")
    assert nfo.read_bytes() == USER_NFO_SAVED
    after = {p.name: p.read_bytes() for p in saved.folder.iterdir() if p.is_file()}
    assert after == {**before, nfo.name: USER_NFO_SAVED}  # the images that landed: put back
    assert not _asides(saved.folder)
    assert {r.path: r.__data__ for r in L.select() if r.movie_id != fine.movie.id} == rows
    assert len(published.written) == 10
    assert db.Movie.get_by_id(fine.movie.id).publish_state == db.PUBLISHED


def test_our_nfo_left_linked_by_a_killed_publish_is_not_taken_for_a_save(rt, build, monkeypatch):
    """A worker SIGKILLed between keeping our old NFO under a hard link (`atomic._link_old`) and
    its rename; the publish that took the job over (another host's, after the lease) removed
    that leftover link, which changed the NFO's ctime (its link count) after its plan had read
    it: the NFO, our own bytes, was copied into the cache as 'saved while it was being
    published', '1 of yours' said in the job's message."""
    built = build()
    publish_item(rt, built.movie)
    nfo = built.path(f"{BASE}.nfo")
    old = nfo.read_bytes()
    os.link(nfo, built.path(f"{TEMP_MARKER}f41005cb-{BASE}.nfo"))  # what the killed one left
    built.path(f"{TEMP_MARKER}7f82b044-{BASE}.nfo").write_bytes(b"<movie>never renamed")
    db.Movie.update(plot="Edited on the web host.").where(db.Movie.id == built.movie.id).execute()
    real = apply.remove_temp_files

    def after_a_tick(paths):
        time.sleep(0.02)  # ctime is the kernel's coarse clock: a tick since the plan's look
        return real(paths)

    monkeypatch.setattr(apply, "remove_temp_files", after_a_tick)

    result = publish_item(rt, built.reload())

    assert b"Edited on the web host." in nfo.read_bytes()
    assert result.backed_up == []
    assert not [n for n in result.skipped if "saved while" in n]
    assert not copied(old)
    assert not _asides(built.folder)


# tinyMediaManager's own poster, saved where the plan found nothing: its default movie poster
# name is `<the video's name>-poster.jpg`, ours too
TMM_POSTER = "tinyMediaManager"


@pytest.mark.parametrize("also", ["", "another item of the folder writes its .actors/ too"])
def test_a_file_made_where_the_plan_found_nothing_is_copied_before_ours_takes_the_name(
    rt, build, kit, monkeypatch, also
):
    """The plan found no `-poster.jpg` (a new name: written, nothing to copy); before the
    renames, tinyMediaManager saves its own poster at that very name (its default, the same as
    ours). The rename replaced it, and its bytes were nowhere else: the name is taken only
    while it is free, and a file there is set aside and copied into the cache first, as any of
    the user's, the publish saying so. Two movies of one folder that write the same actor's
    picture into their shared `.actors/` in one batch: the second's is no file of the user's,
    written over as before, no copy kept."""
    built = build(art={"poster": ["jpeg"]})
    poster = built.path(f"{BASE}-poster.jpg")
    theirs = kit.image_bytes("poster")
    jobs = [built.movie]
    if also:
        other = build("Speed (1994)", art={"poster": ["jpeg"]})
        shared = built.folder / "Speed (1994).mkv"
        Path(other.movie.path).rename(shared)
        other.folder.rmdir()
        db.Movie.update(path=str(shared)).where(db.Movie.id == other.movie.id).execute()
        jobs.append(other.reload())
    actors = {p.name for p in (built.folder / ".actors").glob("*")} if also else set()
    assert not poster.exists() and not actors
    record_intent = apply._record_intent

    def then_saved(batch):
        record_intent(batch)
        poster.write_bytes(theirs)

    monkeypatch.setattr(apply, "_record_intent", then_saved)

    outcomes = publish_many(rt, jobs)

    result = outcomes[0]
    assert isinstance(result, apply.PublishResult), result
    assert poster.read_bytes() != theirs and copied(theirs)
    assert result.backed_up == [str(poster)]
    assert any("copied into the cache before it was replaced" in s for s in result.skipped)
    assert not _asides(built.folder)
    if also:
        assert isinstance(outcomes[1], apply.PublishResult), outcomes[1]
        pictures = {p for p in outcomes[1].written if "/.actors/" in p}
        assert pictures and pictures <= set(result.written)  # the same actors' pictures
        assert outcomes[1].backed_up == []
        C = db.CacheImageFile
        assert C.select().where(C.source_type == "library").count() == 1


def test_a_file_made_meanwhile_whose_copy_meets_sqlites_lock_waits_to_be_run_again(
    rt, build, kit, monkeypatch
):
    """As above, tinyMediaManager's poster saved between the plan and the renames; its copy's
    row then meets SQLite's write lock held past its timeout by another process. Nothing of
    the item is changed, and it fails as `DatabaseLost`, as the same copy failing before the
    renames does (`apply._back_up`): its job runs again later, not failed for good."""
    if db.is_postgresql():
        pytest.skip("SQLite's lock")
    import peewee as pw

    from metarrd.errors import DatabaseLost

    built = build(art={"poster": ["jpeg"]})
    poster = built.path(f"{BASE}-poster.jpg")
    theirs = kit.image_bytes("poster")
    record_intent = apply._record_intent

    def then_saved(batch):
        record_intent(batch)
        poster.write_bytes(theirs)

    def past_the_lock(movie_id, *args):
        raise pw.OperationalError("database is locked")

    monkeypatch.setattr(apply, "_record_intent", then_saved)
    monkeypatch.setattr(sources, "_library_row", past_the_lock)

    (outcome,) = publish_many(rt, [built.movie])

    assert isinstance(outcome, DatabaseLost), outcome
    assert "the database is locked: another process has been writing" in str(outcome)
    assert poster.read_bytes() == theirs
    assert not _asides(built.folder)


def test_our_own_file_made_meanwhile_at_a_new_name_is_no_save_of_the_users(
    rt, build, kit, monkeypatch
):
    """The plan found no `-poster.jpg`; before the renames, the very poster this publish writes
    appears there: another worker's publish of the item, frozen past its lease while this one
    took its job over, lands its renames (docs/scale-out.md). Its bytes are the ones written
    now: no copy of them is kept in the cache as the user's, nor said to be."""
    built = build(art={"poster": ["jpeg"]})
    poster = built.path(f"{BASE}-poster.jpg")
    record_intent = apply._record_intent

    def then_landed_by_the_other_worker(batch):
        record_intent(batch)
        (w,) = [w for job in batch for w in job.writes if w.path == poster]
        poster.write_bytes(w.data if w.data is not None else w.source.read_bytes())

    monkeypatch.setattr(apply, "_record_intent", then_landed_by_the_other_worker)

    (result,) = publish_many(rt, [built.movie])

    assert isinstance(result, apply.PublishResult), result
    assert result.backed_up == []
    assert not any("while it was being published" in s for s in result.skipped)
    assert not _asides(built.folder)

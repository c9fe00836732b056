"""After an edit of a published item, `edits.settle` looks whether its library files already
are what a publish would write ("Published" again rather than "Updated – Republish?"). Those
files (a whole show's: hundreds of episode NFOs and pictures on a slow NFS server) are read
outside the database's write transaction; only the short check that nothing changed meanwhile,
and the new state, are written under it."""

from __future__ import annotations

import builtins
import os
import threading

from metarrd import db
from metarrd.publish import settle
from metarrd.web import edits
from tests.web.test_tv import published_show_app


def watch_reads(monkeypatch, folder) -> list[bool]:
    """Every stat, listing and open of a file under `folder` from now on, as whether it was made
    inside a database transaction (the fake slow file system: each such read would hold the
    write lock for as long as the server takes)."""
    seen: list[bool] = []

    def hooked(real):
        def call(path, *args, **kwargs):
            if isinstance(path, (str, os.PathLike)) and os.fspath(path).startswith(str(folder)):
                seen.append(db.database.in_transaction())
            return real(path, *args, **kwargs)

        return call

    for name in ("stat", "lstat", "scandir", "listdir"):
        monkeypatch.setattr(os, name, hooked(getattr(os, name)))
    monkeypatch.setattr(builtins, "open", hooked(builtins.open))
    return seen


def test_an_edit_put_back_reads_the_shows_files_outside_the_write_transaction(
    tmp_path, monkeypatch
):
    """An episode's edit put back: the check whether the show's files already were what a
    publish would write read every one of them inside `BEGIN IMMEDIATE`; on a slow NFS server
    the daemon's jobs and every browser tab waited for as long. Now no read is made under the
    write lock (it was every one of them), and the show is "Published" again all the same."""
    client, rt, built = published_show_app(tmp_path)
    ep = next(iter(built.episodes.values()))
    old = db.Movie.get_by_id(ep.id).plot or ""
    client.post(f"/movies/{ep.id}/fields/plot", {"value": old + " More."}, htmx=True)
    assert db.Movie.get_by_id(built.show.id).publish_state == db.OUTDATED
    reads = watch_reads(monkeypatch, tmp_path / "tv")
    client.post(f"/movies/{ep.id}/fields/plot", {"value": old}, htmx=True)
    assert reads, "the check read no library file"
    assert reads.count(True) == 0, f"{reads.count(True)} of {len(reads)} reads under the lock"
    assert db.Movie.get_by_id(built.show.id).publish_state == db.PUBLISHED
    rt.close()


def test_the_same_episode_edited_again_while_the_files_are_read_stays_to_republish(
    tmp_path, monkeypatch
):
    """The files are read outside the write lock: an edit of the same episode landing then (a
    second tab) changes nothing else the check sees but the item's `updated_at`; the show and
    the episode stay "Republish?", its change not called published unwritten."""
    _client, rt, built = published_show_app(tmp_path)
    ep = next(iter(built.episodes.values()))
    db.mark_outdated(ep.id)  # an edit, then put back: the files still are what is wanted
    real_check = settle.written_as_wanted
    landed: list[bool] = []

    def check_meanwhile(rt_, show):
        answer = real_check(rt_, show)
        editor = threading.Thread(
            target=lambda: edits.set_field(ep.id, "plot", "Edited in another tab.")
        )
        editor.start()
        editor.join(10)
        landed.append(not editor.is_alive())
        return answer

    monkeypatch.setattr(settle, "written_as_wanted", check_meanwhile)
    edits.settle(rt, db.Movie.get_by_id(ep.id))
    assert landed == [True]  # it did not wait for the check
    assert db.Movie.get_by_id(ep.id).publish_state == db.OUTDATED
    assert db.Movie.get_by_id(built.show.id).publish_state == db.OUTDATED
    rt.close()


def test_a_movie_edit_put_back_is_published_again_and_an_edit_meanwhile_is_not(
    app, client, seed, monkeypatch
):
    """A movie, as a show: put back, it is "Published" again; edited again while its files were
    read, it stays "Republish?"."""
    from metarrd.publish import publish_item

    rt = app.extensions["metarrd.runtime"]
    movie = seed.movie("Heat", 1995, plot="A thief.")
    movie.video_path.parent.mkdir(parents=True)
    movie.video_path.write_bytes(b"video")
    publish_item(rt, db.Movie.get_by_id(movie.id))
    assert db.Movie.get_by_id(movie.id).publish_state == db.PUBLISHED
    client.post(f"/movies/{movie.id}/fields/plot", {"value": "A crew."}, htmx=True)
    assert db.Movie.get_by_id(movie.id).publish_state == db.OUTDATED
    client.post(f"/movies/{movie.id}/fields/plot", {"value": "A thief."}, htmx=True)
    assert db.Movie.get_by_id(movie.id).publish_state == db.PUBLISHED

    client.post(f"/movies/{movie.id}/fields/plot", {"value": "A crew."}, htmx=True)
    real_check = settle.written_as_wanted

    def check_meanwhile(rt_, item):
        answer = real_check(rt_, item)
        # another tab puts the plot back, then edits the tagline: both land while it reads
        edits.set_field(movie.id, "tagline", "Edited meanwhile.")
        return answer

    monkeypatch.setattr(settle, "written_as_wanted", check_meanwhile)
    client.post(f"/movies/{movie.id}/fields/plot", {"value": "A thief."}, htmx=True)
    assert db.Movie.get_by_id(movie.id).publish_state == db.OUTDATED


def test_a_shared_actor_renamed_while_the_files_are_read_stays_to_republish(
    app, client, seed, monkeypatch
):
    """A person is shared by every item they play in: another item's enrich that renames them
    marks this one "Republish?" (`cast._others_outdated`, `db.mark_outdated`), which it already
    was, and changes nothing of its own row. Landing while this item's files were read (outside
    the write lock), it was then called "Published", its NFO naming the actor as before."""
    from metarrd.publish import preview_publish, publish_item

    rt = app.extensions["metarrd.runtime"]
    movie = seed.movie("Heat", 1995, plot="A thief.")
    movie.video_path.parent.mkdir(parents=True)
    movie.video_path.write_bytes(b"video")
    actor = db.Actor.create(name="Al Pacino", name_normalized="al pacino")
    db.MovieActor.create(movie=movie, actor=actor, order=0, role="Hanna")
    publish_item(rt, db.Movie.get_by_id(movie.id))
    client.post(f"/movies/{movie.id}/fields/plot", {"value": "A crew."}, htmx=True)
    real_check = settle.written_as_wanted

    def check_meanwhile(rt_, item):
        answer = real_check(rt_, item)
        with db.write_transaction():  # what another movie's enrich does for a shared person
            db.Actor.update(name="Alfredo Pacino").where(db.Actor.id == actor.id).execute()
            db.mark_outdated(movie.id)
        return answer

    monkeypatch.setattr(settle, "written_as_wanted", check_meanwhile)
    client.post(f"/movies/{movie.id}/fields/plot", {"value": "A thief."}, htmx=True)
    assert preview_publish(rt, db.Movie.get_by_id(movie.id)).changes
    assert db.Movie.get_by_id(movie.id).publish_state == db.OUTDATED

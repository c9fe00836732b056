"""`publish EPISODE` (interface.md: "on an episode, that episode and what its show needs"): a
show never published is published as one unit (kodi-tv.md §7: `tvshow.nfo` and every episode's
NFO together, so Kodi's local-only scan never meets an episode without its NFO); a published
show gets that episode's NFO and thumb (and its guest stars' `.actors/` images), nothing else."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from metarrd import db
from metarrd.errors import ItemError
from metarrd.publish import preview_publish, publish_item, publish_many
from tests.publish.conftest import add_actor
from tests.publish.test_tv_publish import expected_layout, files_under
from tests.publish.tvshow import build_show, tv_runtime

PILOT = "Season 01/Breaking Bad - S01E01 - Pilot.mkv"
E2 = "Season 01/Breaking.Bad.s01.e02.mkv"
S3 = "Breaking Bad - S03E01.mkv"


@pytest.fixture
def trt(tmp_path):
    rt = tv_runtime(tmp_path)
    yield rt
    rt.close()


def stats(folder: Path) -> dict[str, tuple[int, int]]:
    out = {}
    for rel in files_under(folder):
        st = os.stat(folder / rel)
        out[rel] = (st.st_ino, st.st_mtime_ns)
    return out


def edit(item: db.Movie, title: str) -> None:
    """What an edit on the item page does to an episode: its first block and its title, and
    its show "Republish?"."""
    item = db.Movie.get_by_id(item.id)
    details = [dict(d) for d in item.episode_details]
    details[0]["title"] = title
    db.Movie.update(title=title, episode_details=details).where(db.Movie.id == item.id).execute()
    db.mark_outdated(item.id)


def test_an_episode_of_a_show_never_published_publishes_the_whole_show(trt):
    built = build_show(trt)
    publish_item(trt, built.episodes[PILOT])
    assert files_under(built.folder) == expected_layout()
    for item in [built.show, *built.seasons.values(), *built.episodes.values()]:
        assert db.Movie.get_by_id(item.id).publish_state == db.PUBLISHED


def test_an_episode_of_a_published_show_writes_only_that_episode(trt):
    """The user fixes one episode's title of a show published before: `publish EPISODE`
    rewrote `tvshow.nfo`, every season's art and every other episode's NFO (the show's own
    change too, which the user had not reviewed); now only the episode's NFO is written."""
    built = build_show(trt)
    publish_item(trt, built.show)
    before = stats(built.folder)
    ledger_before = {r.path for r in db.LibraryFile.select()}
    edit(built.episodes[PILOT], "Pilot (fixed)")
    edit(built.episodes[E2], "Cat's in the Bag (edited, not reviewed)")
    db.Movie.update(plot="A new plot, not reviewed yet.").where(
        db.Movie.id == built.show.id
    ).execute()
    pilot = db.Movie.get_by_id(built.episodes[PILOT].id)

    result = publish_item(trt, pilot)

    nfo = built.path("Season 01/Breaking Bad - S01E01 - Pilot.nfo")
    assert result.written == [str(nfo)] and result.removed == []
    assert str(result).startswith("published Breaking Bad (2008) S01E01: 1 written, ")
    assert "<title>Pilot (fixed)</title>" in nfo.read_text("utf-8")
    after = stats(built.folder)
    changed = {rel for rel in before if before[rel] != after.get(rel)}
    assert changed == {"Season 01/Breaking Bad - S01E01 - Pilot.nfo"}
    assert "A new plot" not in built.path("tvshow.nfo").read_text("utf-8")
    assert {r.path for r in db.LibraryFile.select()} == ledger_before  # nothing forgotten
    assert db.Movie.get_by_id(pilot.id).publish_state == db.PUBLISHED
    # the show's own change and E2's are still to be published: the show says so
    assert built.reload().publish_state == db.OUTDATED
    assert db.Movie.get_by_id(built.episodes[E2].id).publish_state == db.OUTDATED
    assert built.show.published_nfo_hash  # still tvshow.nfo's, not the episode NFO's
    plan = preview_publish(trt, built.show)
    changes = {a.path.name for a in plan.by_action("write", "replace", "remove")}
    assert changes == {"tvshow.nfo", "Breaking.Bad.s01.e02.nfo"}


def test_the_show_is_published_again_when_that_episode_was_all_it_lacked(trt):
    built = build_show(trt)
    publish_item(trt, built.show)
    edit(built.episodes[S3], "The Third, fixed")
    assert built.reload().publish_state == db.OUTDATED
    publish_item(trt, db.Movie.get_by_id(built.episodes[S3].id))
    assert built.reload().publish_state == db.PUBLISHED
    assert not preview_publish(trt, built.show).changes


def test_an_edit_landing_while_the_show_is_checked_is_not_called_published(trt, monkeypatch):
    """After the episode's publish, a preview tells whether anything is left to publish; an
    edit of another episode made meanwhile (the web UI, another thread) was then marked
    "Published" with the rest, its change never written. The check reads the files outside the
    write lock (the edit lands at once) and records "Published" only when nothing changed
    meanwhile: the edit stays "Republish?"."""
    import threading

    from metarrd.publish import tv

    built = build_show(trt)
    publish_item(trt, built.show)
    edit(built.episodes[S3], "The Third, fixed")
    other = built.episodes[PILOT]
    real_preview = tv.preview_show
    editor: list[threading.Thread] = []

    def preview_meanwhile(rt, item):
        plan = real_preview(rt, item)  # nothing left to publish, as far as it saw

        def user_edit():
            with db.write_transaction():
                edit(other, "Pilot, edited meanwhile")

        editor.append(threading.Thread(target=user_edit))
        editor[0].start()
        editor[0].join(10)  # lands now: the check holds no write lock
        assert not editor[0].is_alive()
        return plan

    monkeypatch.setattr(tv, "preview_show", preview_meanwhile)
    publish_item(trt, db.Movie.get_by_id(built.episodes[S3].id))
    editor[0].join()
    assert db.Movie.get_by_id(other.id).publish_state == db.OUTDATED
    assert built.reload().publish_state == db.OUTDATED
    assert "Pilot, edited meanwhile" not in built.path(
        "Season 01/Breaking Bad - S01E01 - Pilot.nfo"
    ).read_text("utf-8")


def test_the_show_is_checked_outside_the_write_transaction_after_its_episode(trt, monkeypatch):
    """After the episode's publish, the look whether the rest of the show was already written
    read the whole show's files (hundreds of episodes on a slow NFS server) inside a write
    transaction: the web UI and every other job waited as long. It reads them outside."""
    from metarrd.publish import tv

    built = build_show(trt)
    publish_item(trt, built.show)
    edit(built.episodes[S3], "The Third, fixed")
    real_preview = tv.preview_show
    inside: list[bool] = []

    def preview_watched(rt, item):
        inside.append(db.database.in_transaction())
        return real_preview(rt, item)

    monkeypatch.setattr(tv, "preview_show", preview_watched)
    publish_item(trt, db.Movie.get_by_id(built.episodes[S3].id))
    assert inside and not any(inside), inside
    assert built.reload().publish_state == db.PUBLISHED


def test_an_episode_edited_while_its_show_is_published_leaves_both_to_republish(trt, monkeypatch):
    """An edit of one episode that lands while the whole show is being written: that episode's
    NFO has the old title, so it and its show are "Republish?", the others "Published"."""
    from metarrd.publish import apply

    built = build_show(trt)
    pilot, other = built.episodes[PILOT], built.episodes[E2]
    real = apply._record_ledger

    def edit_meanwhile(jobs):
        db.Movie.update(title="Pilot (edited)", updated_at=db.now()).where(
            db.Movie.id == pilot.id
        ).execute()
        real(jobs)

    monkeypatch.setattr(apply, "_record_ledger", edit_meanwhile)
    publish_item(trt, built.show)
    assert db.Movie.get_by_id(pilot.id).publish_state == db.OUTDATED
    assert db.Movie.get_by_id(other.id).publish_state == db.PUBLISHED
    assert built.reload().publish_state == db.OUTDATED


def test_an_episode_edited_while_it_is_published_alone_leaves_its_show_to_republish(
    trt, monkeypatch
):
    """`publish EPISODE` of a published show, the episode edited while it is written: it is
    "Republish?", and so is its show (a show is one unit), which the publish's restore of the
    show's own state had put back to "Published"."""
    from metarrd.publish import apply

    built = build_show(trt)
    publish_item(trt, built.show)
    pilot = db.Movie.get_by_id(built.episodes[PILOT].id)
    assert built.reload().publish_state == db.PUBLISHED
    real = apply._record_ledger

    def edit_meanwhile(jobs):
        edit(pilot, "Pilot (edited)")  # as the item page does: its block, its title, its state
        db.Movie.update(updated_at=db.now()).where(db.Movie.id == pilot.id).execute()
        real(jobs)

    monkeypatch.setattr(apply, "_record_ledger", edit_meanwhile)
    publish_item(trt, pilot)
    assert (
        "Pilot (edited)"
        not in built.path("Season 01/Breaking Bad - S01E01 - Pilot.nfo").read_text()
    )
    assert db.Movie.get_by_id(pilot.id).publish_state == db.OUTDATED
    assert built.reload().publish_state == db.OUTDATED


def test_a_new_guest_star_and_thumb_of_the_episode_are_written(trt):
    """What the episode needs in the show folder comes with it: its guest star's image in
    `.actors/` (Kodi reads only the show's), never a removal there."""
    built = build_show(trt)
    publish_item(trt, built.show)
    e2 = built.episodes[E2]
    add_actor(trt, e2, "Giancarlo Esposito", "Gus Fring", 5, "jpeg")
    db.mark_outdated(e2.id)
    db.Movie.update(plot="Not reviewed yet.").where(db.Movie.id == built.show.id).execute()
    thumb = built.path("Season 01/Breaking.Bad.s01.e02-thumb.jpg")
    thumb.unlink()
    result = publish_item(trt, db.Movie.get_by_id(e2.id))
    assert sorted(Path(p).name for p in result.written) == [
        "Breaking.Bad.s01.e02-thumb.jpg",
        "Breaking.Bad.s01.e02.nfo",
        "Giancarlo_Esposito.jpg",
    ]
    assert built.path(".actors/Bob_Odenkirk.jpg").exists()


def test_two_episodes_of_one_show_in_one_command(trt):
    built = build_show(trt)
    publish_item(trt, built.show)
    edit(built.episodes[PILOT], "Pilot (fixed)")
    edit(built.episodes[E2], "Cat (fixed)")
    edit(built.episodes[S3], "Not reviewed yet")
    before = stats(built.folder)
    items = [db.Movie.get_by_id(built.episodes[r].id) for r in (PILOT, E2)]
    outcomes = publish_many(trt, items)
    assert not any(isinstance(o, Exception) for o in outcomes), outcomes
    after = stats(built.folder)
    assert {rel for rel in before if before[rel] != after.get(rel)} == {
        "Season 01/Breaking Bad - S01E01 - Pilot.nfo",
        "Season 01/Breaking.Bad.s01.e02.nfo",
    }
    assert built.reload().publish_state == db.OUTDATED  # S03E01 is still to be published


def test_the_art_of_a_season_never_published_comes_with_its_episode(trt):
    """A new season (its item never published, as one made when Sonarr brings its first
    episode) gets its art with that episode; the other seasons' art stays as it is."""
    built = build_show(trt)
    publish_item(trt, built.show)
    season = built.seasons[3]
    built.path("season03-poster.jpg").unlink()
    db.LibraryFile.delete().where(db.LibraryFile.path.endswith("season03-poster.jpg")).execute()
    db.Movie.update(last_published_at=None, publish_state=db.UNPUBLISHED).where(
        db.Movie.id == season.id
    ).execute()
    built.path("season01-poster.jpg").unlink()  # not this episode's season: left alone
    edit(built.episodes[S3], "The Third, fixed")
    result = publish_item(trt, db.Movie.get_by_id(built.episodes[S3].id))
    assert sorted(Path(p).name for p in result.written) == [
        "Breaking Bad - S03E01.nfo",
        "season03-poster.jpg",
    ]
    assert db.Movie.get_by_id(season.id).publish_state == db.PUBLISHED
    assert built.reload().publish_state == db.OUTDATED  # season01-poster.jpg is to be written


def test_an_episode_not_enriched_of_a_published_show_is_refused(trt):
    built = build_show(trt)
    publish_item(trt, built.show)
    e2 = built.episodes[E2]
    db.Movie.update(identification_status=db.IDENTIFIED).where(db.Movie.id == e2.id).execute()
    before = stats(built.folder)
    with pytest.raises(ItemError, match="not enriched yet"):
        publish_item(trt, db.Movie.get_by_id(e2.id))
    assert stats(built.folder) == before


def test_two_episodes_in_one_batch_one_refused_the_other_published(trt):
    """Two episodes of a published show in one batch (two queued publish jobs a worker claimed
    together, or `publish A B`): one not enriched any more is refused with its own reason; the
    other was refused with that reason too (named after the other item), its NFO never written."""
    built = build_show(trt)
    publish_item(trt, built.show)
    edit(built.episodes[PILOT], "Pilot (fixed)")
    e2 = built.episodes[E2]
    db.Movie.update(identification_status=db.IDENTIFIED).where(db.Movie.id == e2.id).execute()
    items = [db.Movie.get_by_id(built.episodes[PILOT].id), db.Movie.get_by_id(e2.id)]
    pilot_outcome, e2_outcome = publish_many(trt, items)
    assert isinstance(e2_outcome, ItemError) and "not enriched yet" in str(e2_outcome)
    assert f"item {e2.id}" in str(e2_outcome)
    assert not isinstance(pilot_outcome, Exception), pilot_outcome
    assert str(pilot_outcome).startswith("published Breaking Bad (2008) S01E01: 1 written")
    nfo = built.path("Season 01/Breaking Bad - S01E01 - Pilot.nfo")
    assert "<title>Pilot (fixed)</title>" in nfo.read_text("utf-8")
    assert db.Movie.get_by_id(items[0].id).publish_state == db.PUBLISHED


def test_a_whole_show_publish_clears_the_warnings_its_episode_kept_from_its_own(
    tmp_path, image_server
):
    """An episode published alone while its still could not be fetched keeps the warning
    ("published without thumb", tried again later). The show published whole afterwards,
    still and all, left that warning on the episode: its page said the thumb was missing for
    good, and its retry job (`picture_retry`) went on publishing it alone."""
    images = {"image_hosts": [image_server.url]}  # it stands for TMDB's image host
    trt = tv_runtime(tmp_path, providers={"max_retries": 0, "tmdb": images})
    try:
        built = build_show(trt)
        publish_item(trt, built.show)
        pilot = built.episodes[PILOT]
        thumb = db.ArtworkCandidate.get(
            db.ArtworkCandidate.movie == pilot.id, db.ArtworkCandidate.asset_type == "thumb"
        )
        stored = db.CacheImageFile.get(
            db.CacheImageFile.movie == pilot.id, db.CacheImageFile.image_type == "thumb"
        )
        image_bytes = Path(stored.file_path).read_bytes()
        image_server.statuses["/still.jpg"] = 503
        db.ArtworkCandidate.update(url=f"{image_server.url}/still.jpg").where(
            db.ArtworkCandidate.id == thumb.id
        ).execute()
        db.CacheImageFile.delete().where(db.CacheImageFile.id == stored.id).execute()
        built.path("Season 01/Breaking Bad - S01E01 - Pilot-thumb.jpg").unlink()
        edit(pilot, "Pilot (fixed)")
        result = publish_item(trt, db.Movie.get_by_id(pilot.id))
        assert result.warnings and "thumb" in result.warnings[0], result.warnings
        assert db.Movie.get_by_id(pilot.id).publish_warnings == result.warnings

        del image_server.statuses["/still.jpg"]  # the provider is back
        image_server.files["/still.jpg"] = image_bytes
        whole = publish_item(trt, built.reload())
        assert whole.warnings == []
        assert built.path("Season 01/Breaking Bad - S01E01 - Pilot-thumb.jpg").is_file()
        assert db.Movie.get_by_id(pilot.id).publish_warnings == []
    finally:
        trt.close()


def test_an_episode_not_enriched_of_a_show_never_published_is_refused_too(trt):
    """`publish EPISODE` of an episode not enriched: refused once its show is published, but
    while the show was never published the whole show was published instead and the command
    said "published" (exit 0), that episode left without its NFO."""
    built = build_show(trt)
    e2 = built.episodes[E2]
    db.Movie.update(identification_status=db.IDENTIFIED).where(db.Movie.id == e2.id).execute()
    with pytest.raises(ItemError, match="not enriched yet"):
        publish_item(trt, db.Movie.get_by_id(e2.id))
    assert files_under(built.folder) == set()
    assert built.reload().publish_state == db.UNPUBLISHED


def test_a_renamed_episode_published_alone_leaves_no_file_of_ours_under_its_old_name(trt):
    """Sonarr renamed the pilot (its Rename webhook: the item follows its file). Its publish alone wrote the NFO and thumb at the new name and left
    ours at the old one: the ledger rows of the old names were kept out of the episode's scope,
    so Kodi listed an NFO and thumb for a video that is no longer there. The user's file at the
    old name stays, and so do the other episodes' files."""
    built = build_show(trt)
    publish_item(trt, built.show)
    old = built.path(PILOT)
    users = old.with_name(old.stem + ".en.srt")
    users.write_text("1\n00:00:01,000 --> 00:00:02,000\nhi\n")
    new = built.path("Season 01/Breaking Bad (2008) - S01E01 - Pilot [HDTV-720p].mkv")
    old.rename(new)
    db.Movie.update(path=str(new)).where(db.Movie.id == built.episodes[PILOT].id).execute()
    before = stats(built.folder)

    result = publish_item(trt, db.Movie.get_by_id(built.episodes[PILOT].id))

    gone = {"Season 01/Breaking Bad - S01E01 - Pilot.nfo",
            "Season 01/Breaking Bad - S01E01 - Pilot-thumb.jpg"}  # fmt: skip
    assert set(result.removed) == {str(built.path(rel)) for rel in gone}
    after = stats(built.folder)
    assert not gone & set(after)
    assert new.with_suffix(".nfo").exists()
    assert new.with_name(new.stem + "-thumb.jpg").exists()
    assert users.exists()
    kept = {rel: st for rel, st in before.items() if rel not in gone}
    assert {rel: after[rel] for rel in kept} == kept  # nothing else touched
    ledger = {r.path for r in db.LibraryFile.select()}
    assert not {str(built.path(rel)) for rel in gone} & ledger


def test_a_webhook_rename_publishes_the_episode_alone_and_leaves_the_show_to_review(trt):
    """The chain as the daemon runs it (a Sonarr Rename's scan job, the real publish): the
    pilot's NFO and thumb follow it, ours at the old name go, and the show's change the user
    has not reviewed is not written (it was: the whole show was published)."""
    from metarrd.pipeline import jobs, queue

    queue.configure(trt.config, immediate=True)
    jobs.bind(trt)
    built = build_show(trt)
    publish_item(trt, built.show)
    db.Movie.update(plot="A new plot, not reviewed yet.").where(
        db.Movie.id == built.show.id
    ).execute()
    db.mark_outdated(built.show.id)
    old = built.path(PILOT)
    new = old.with_name("Breaking Bad (2008) - S01E01 - Pilot [HDTV-720p].mkv")
    old.rename(new)
    before = stats(built.folder)

    jobs.enqueue_scan([str(built.folder)], renames={str(old): str(new)})

    after = stats(built.folder)
    assert set(before) - set(after) == {
        "Season 01/Breaking Bad - S01E01 - Pilot.nfo",
        "Season 01/Breaking Bad - S01E01 - Pilot-thumb.jpg",
    }
    assert set(after) - set(before) == {
        "Season 01/Breaking Bad (2008) - S01E01 - Pilot [HDTV-720p].nfo",
        "Season 01/Breaking Bad (2008) - S01E01 - Pilot [HDTV-720p]-thumb.jpg",
    }
    assert {rel for rel in before if rel in after and before[rel] != after[rel]} == set()
    assert "A new plot" not in built.path("tvshow.nfo").read_text("utf-8")
    assert built.reload().publish_state == db.OUTDATED  # still "Republish?"


def test_two_episodes_upgraded_to_one_file_leave_no_file_of_ours_under_their_old_names(trt):
    """Sonarr upgraded the pilot and the second episode to one multi-episode file (its
    Download's `deletedFiles` lists both: scan.renames.follow_renames). The pilot's item
    follows the file and the second's merges into it; the publish of the pilot alone removes
    our NFO and thumb of both old names (the second's stayed: its item, missing, kept them
    as a video of the show's)."""
    from metarrd.scan import follow_renames

    built = build_show(trt)
    publish_item(trt, built.show)
    pilot, second = built.path(PILOT), built.path(E2)
    double = pilot.with_name("Breaking Bad - S01E01-E02 - Pilot + Cat's in the Bag.mkv")
    pilot.rename(double)
    second.unlink()

    assert follow_renames(trt.config, {str(pilot): str(double), str(second): str(double)}) == [
        built.episodes[PILOT].id
    ]
    result = publish_item(trt, db.Movie.get_by_id(built.episodes[PILOT].id))

    gone = {p.with_suffix(".nfo") for p in (pilot, second)}
    gone |= {p.with_name(p.stem + "-thumb.jpg") for p in (pilot, second)}
    assert {str(p) for p in gone} <= set(result.removed)
    assert not any(p.exists() for p in gone)
    assert double.with_suffix(".nfo").exists()
    assert db.Movie.get_or_none(db.Movie.id == built.episodes[E2].id) is None


def test_an_episode_before_its_show_in_one_batch_publishes_the_whole_show(trt):
    """An episode's publish job queued before its show's, both claimed in one batch: the batch
    published the episode alone (the first item's publish) and called the show's job
    "published", its own changes never written."""
    built = build_show(trt)
    publish_item(trt, built.show)
    edit(built.episodes[PILOT], "Pilot (fixed)")
    db.Movie.update(plot="A plot fixed by the user.").where(db.Movie.id == built.show.id).execute()
    items = [db.Movie.get_by_id(built.episodes[PILOT].id), db.Movie.get_by_id(built.show.id)]
    outcomes = publish_many(trt, items)
    assert not any(isinstance(o, Exception) for o in outcomes), outcomes
    assert "A plot fixed by the user." in built.path("tvshow.nfo").read_text("utf-8")
    nfo = built.path("Season 01/Breaking Bad - S01E01 - Pilot.nfo")
    assert "<title>Pilot (fixed)</title>" in nfo.read_text("utf-8")
    assert built.reload().publish_state == db.PUBLISHED

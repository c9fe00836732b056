"""An item whose video was moved or renamed by the user, a renamer or Radarr: the files we
published for it are still ours where they went, and the next publish tidies them like any
other file of ours (removed when unchanged and no longer wanted; copied into the cache first
when changed since)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from metarrd import db
from metarrd.errors import LeaseLost
from metarrd.players import kodi as kodi_protocol
from metarrd.players import process_notifications
from metarrd.publish import publish_item
from metarrd.scan import follow_renames, scan

SAMPLE = Path(__file__).resolve().parent.parent / "media" / "h264_aac_2audio_sub.mkv"


def _scanned_as_is(built) -> None:
    """The item's size and mtime as a scan records them, so a later scan knows the file."""
    st = os.stat(built.movie.path)
    db.Movie.update(size=st.st_size, mtime_ns=st.st_mtime_ns).where(
        db.Movie.id == built.movie.id
    ).execute()


def _names(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir()}


def test_a_renamed_video_leaves_no_file_of_ours_under_its_old_name(rt, build):
    """`Old Name (1999).mkv` renamed to `New Name (1999).mkv` where it is: the scan keeps the
    item, and the next publish writes the new names and removes our old ones."""
    built = build("Old Name (1999)", art={"poster": ["jpeg"], "fanart": ["jpeg"]}, cast=[])
    _scanned_as_is(built)
    publish_item(rt, built.reload())
    Path(built.movie.path).rename(built.path("New Name (1999).mkv"))

    assert scan(rt).moved == [built.movie.id]
    result = publish_item(rt, built.reload())

    assert _names(built.folder) == {
        "New Name (1999).mkv",
        "New Name (1999).nfo",
        "New Name (1999)-poster.jpg",
        "New Name (1999)-fanart.jpg",
    }
    assert len(result.removed) == 3 and not result.backed_up


def test_a_moved_folder_keeps_our_files_ours(rt, build):
    """`Heat (1995)/` renamed `Heat (1995) [1080p]/`: the item follows its video, and our files
    went with it. They are still ours: a poster no longer selected is removed at the next
    publish, not left there as if it were the user's (the ledger named the old folder)."""
    built = build("Heat (1995)", art={"poster": ["jpeg", "jpeg"]})
    _scanned_as_is(built)
    publish_item(rt, built.reload())
    moved = built.folder.with_name("Heat (1995) [1080p]")
    built.folder.rename(moved)
    assert scan(rt).moved == [built.movie.id]
    db.ArtworkCandidate.update(is_selected=False, rank=None).where(
        db.ArtworkCandidate.id == built.selected["poster"][1].id
    ).execute()
    db.MovieActor.delete().where(db.MovieActor.actor == built.actors[0].id).execute()

    result = publish_item(rt, built.reload())

    assert not (moved / "Heat (1995)-poster1.jpg").exists()
    assert not (moved / ".actors" / "Keanu_Reeves.jpg").exists()
    assert str(moved / "Heat (1995)-poster1.jpg") in result.removed
    assert not result.backed_up and result.written == [str(moved / "Heat (1995).nfo")]
    assert all(Path(r.path).parent in (moved, moved / ".actors") for r in db.LibraryFile.select())


def test_a_file_renamed_into_a_new_folder_leaves_no_file_of_ours_under_its_old_name(rt, build):
    """Radarr's rename (`renamedMovieFiles`) from `heat.1995/heat.1995.mkv` to
    `Heat (1995)/Heat (1995).mkv`, the folder renamed with it: our `heat.1995-poster.jpg` and
    NFO went into the new folder, and go at the next publish; one the user changed since is
    copied into the cache first."""
    built = build("heat.1995", art={"poster": ["jpeg"], "fanart": ["jpeg"]}, cast=[])
    publish_item(rt, built.movie)
    folder = built.folder.with_name("Heat (1995)")
    built.folder.rename(folder)
    old, new = built.movie.path, folder / "Heat (1995).mkv"
    (folder / "heat.1995.mkv").rename(new)
    (folder / "heat.1995-fanart.jpg").write_bytes(b"the user's own fanart")

    assert follow_renames(rt.config, {old: str(new)}) == [built.movie.id]
    result = publish_item(rt, built.reload())

    assert _names(folder) == {
        "Heat (1995).mkv",
        "Heat (1995).nfo",
        "Heat (1995)-poster.jpg",
        "Heat (1995)-fanart.jpg",
    }
    assert result.backed_up == [str(folder / "heat.1995-fanart.jpg")]
    assert {Path(r.path).name for r in db.LibraryFile.select()} == {
        "Heat (1995).nfo",
        "Heat (1995)-poster.jpg",
        "Heat (1995)-fanart.jpg",
    }


def test_a_folder_and_file_renamed_by_radarr_without_its_webhook_keep_our_files_ours(rt, build):
    """Radarr's *Rename Movies* with the webhook off: `The Matrix (1999)/The Matrix (1999).mkv`
    becomes `The Matrix (1999) {tmdb-603}/The Matrix (1999) {tmdb-603} [Bluray-1080p].mkv`.
    The scan knows the file (its device and inode): the item follows, and our files, gone
    with the folder, are still ours: the next publish writes the new names and removes ours
    under the old name, backing up nothing."""
    built = build(art={"poster": ["jpeg"], "fanart": ["jpeg"]}, cast=[])
    _scanned_as_is(built)
    publish_item(rt, built.reload())
    assert scan(rt).unchanged == 1  # records the file's identity
    folder = built.folder.with_name("The Matrix (1999) {tmdb-603}")
    built.folder.rename(folder)
    new = folder / "The Matrix (1999) {tmdb-603} [Bluray-1080p].mkv"
    (folder / "The Matrix (1999).mkv").rename(new)

    assert scan(rt).moved == [built.movie.id]
    result = publish_item(rt, built.reload())

    stem = new.stem
    assert _names(folder) == {new.name, f"{stem}.nfo", f"{stem}-poster.jpg", f"{stem}-fanart.jpg"}
    assert len(result.removed) == 3 and not result.backed_up
    assert {Path(r.path).parent for r in db.LibraryFile.select()} == {folder}


def test_an_upgrade_merged_into_the_old_item_leaves_no_file_of_ours_under_the_old_name(rt, build):
    """A copy-then-delete upgrade without the webhook: `The Matrix (1999) Bluray-1080p.mkv`
    copied in beside the published `The Matrix (1999).mkv` (a scan makes it an item), the old
    file deleted (the next scan merges it back into the old item). The next publish writes the
    new names and removes ours under the old one, as for a file renamed where it is."""
    built = build(art={"poster": ["jpeg"], "fanart": ["jpeg"]}, cast=[])
    _scanned_as_is(built)
    db.VideoStream.update(duration_seconds=1).execute()  # as long as the real sample below
    publish_item(rt, built.reload())
    new = built.path("The Matrix (1999) Bluray-1080p.mkv")
    shutil.copy2(SAMPLE, new)
    (extra,) = scan(rt, [built.folder]).new
    Path(built.movie.path).unlink()

    assert scan(rt, [built.folder]).merged == [extra]
    result = publish_item(rt, built.reload())

    stem = new.stem
    assert _names(built.folder) == {
        new.name, f"{stem}.nfo", f"{stem}-poster.jpg", f"{stem}-fanart.jpg"
    }  # fmt: skip
    assert len(result.removed) == 3 and not result.backed_up


def test_a_radarr_rename_publishes_the_movie_again_under_its_new_name(rt, build):
    """The chain as the daemon runs it (a Radarr Rename's scan job, the real publish): the
    published movie's NFO and art follow its file at once, as an episode's do, instead of
    staying at the old name beside no video until the user pressed Republish."""
    from metarrd.pipeline import jobs, queue

    queue.configure(rt.config, immediate=True)
    jobs.bind(rt)
    built = build("Old Name (1999)", art={"poster": ["jpeg"], "fanart": ["jpeg"]}, cast=[])
    _scanned_as_is(built)
    publish_item(rt, built.reload())
    old, new = built.movie.path, str(built.path("New Name (1999).mkv"))
    Path(old).rename(new)

    jobs.enqueue_scan([str(built.folder)], renames={old: new})

    assert _names(built.folder) == {
        "New Name (1999).mkv",
        "New Name (1999).nfo",
        "New Name (1999)-poster.jpg",
        "New Name (1999)-fanart.jpg",
    }
    assert built.reload().publish_state == db.PUBLISHED


def test_a_radarr_rename_that_moved_our_nfo_keeps_the_items_data_and_our_nfo_ours(rt, build):
    """Radarr's disk scan adopts our `Old Name (1999).nfo` as its own Kodi metadata (any NFO
    holding `<movie>` named after the video, its Kodi metadata switched on or not:
    src/NzbDrone.Core/Extras/Metadata/ExistingMetadataImporter.cs, XbmcMetadata.cs
    FindMetadataFile), and its Rename moves it after the video (MetadataService.cs
    MoveFilesAfterRename, XbmcMetadata.GetFilenameAfterMove) before the webhook's scan. That
    scan read the NFO at its new name, which the ledger did not know, as the user's: the plot
    enriched since the publish went back to the NFO's, and the next publish copied our NFO into
    the cache as "yours"."""
    from metarrd.pipeline import jobs, queue

    queue.configure(rt.config, immediate=True)
    jobs.bind(rt)
    built = build("Old Name (1999)", art={"poster": ["jpeg"]}, cast=[])
    _scanned_as_is(built)
    publish_item(rt, built.reload())
    db.Movie.update(plot="A plot enriched since.", publish_state=db.OUTDATED).where(
        db.Movie.id == built.movie.id
    ).execute()
    old, new = built.movie.path, str(built.path("New Name (1999).mkv"))
    Path(old).rename(new)
    built.path("Old Name (1999).nfo").rename(built.path("New Name (1999).nfo"))  # by Radarr

    jobs.enqueue_scan([str(built.folder)], renames={old: new})

    item = built.reload()
    assert (item.plot, item.source_nfo_hash) == ("A plot enriched since.", None)
    result = publish_item(rt, item)
    assert not result.backed_up
    assert _names(built.folder) == {
        "New Name (1999).mkv",
        "New Name (1999).nfo",
        "New Name (1999)-poster.jpg",
    }


def test_a_radarr_rename_that_moved_our_numbered_art_to_the_videos_name_keeps_it_ours(rt, build):
    """Radarr's disk scan adopts each file named after the video that no metadata importer
    claims as an "other extra file" (src/NzbDrone.Core/Extras/Others/
    ExistingOtherExtraImporter.cs: any extension, whatever `ExtraFileExtensions` says): our
    `-poster1.jpg`, `-fanart1.jpg`, `-clearlogo1.png` (XbmcMetadata.cs takes only `-poster.`,
    `-fanart.`... as its images). Its Rename moves each to the new video's name plus the
    file's extension, its suffix dropped (ExtraFileManager.MoveFile; Radarr issues #4860,
    #5472): one `.jpg` gets there, the others stay (the name is taken). That
    `New Name (1999).jpg`, our second poster, was left as the user's: Jellyfin and Plex show it
    as the movie's poster, and every publish warned about it. It is still ours, and goes."""
    from metarrd.pipeline import jobs, queue

    queue.configure(rt.config, immediate=True)
    jobs.bind(rt)
    built = build("Old Name (1999)", art={"poster": ["jpeg", "jpeg"], "fanart": ["jpeg", "jpeg"],
                                          "clearlogo": ["png", "png"]}, cast=[])  # fmt: skip
    _scanned_as_is(built)
    publish_item(rt, built.reload())
    assert {"Old Name (1999)-poster1.jpg", "Old Name (1999)-clearlogo1.png"} <= _names(built.folder)
    old, new = built.movie.path, str(built.path("New Name (1999).mkv"))
    Path(old).rename(new)
    built.path("Old Name (1999).nfo").rename(built.path("New Name (1999).nfo"))  # by Radarr
    built.path("Old Name (1999)-poster1.jpg").rename(built.path("New Name (1999).jpg"))
    built.path("Old Name (1999)-clearlogo1.png").rename(built.path("New Name (1999).png"))
    # Old Name (1999)-fanart1.jpg: its move failed, New Name (1999).jpg being there

    jobs.enqueue_scan([str(built.folder)], renames={old: new})

    result = publish_item(rt, built.reload())
    assert not result.backed_up and not result.skipped  # nor a warning that Jellyfin shows it
    assert _names(built.folder) == {
        "New Name (1999).mkv", "New Name (1999).nfo",
        "New Name (1999)-poster.jpg", "New Name (1999)-poster1.jpg",
        "New Name (1999)-fanart.jpg", "New Name (1999)-fanart1.jpg",
        "New Name (1999)-clearlogo.png", "New Name (1999)-clearlogo1.png",
    }  # fmt: skip


def test_a_users_nfo_at_the_renamed_videos_name_is_not_made_ours(rt, build):
    """Our NFO gone with the old name (Radarr's upgrade recycles the metadata files it adopted:
    ExtraFileService.cs), and an NFO of the user's at the new name (tinyMediaManager's): its
    bytes are not ours, so the ledger row does not follow onto it, and a publish that wants no
    NFO there could not remove it as ours."""
    built = build("Old Name (1999)", art={"poster": ["jpeg"]}, cast=[])
    _scanned_as_is(built)
    publish_item(rt, built.reload())
    old, new = built.movie.path, str(built.path("New Name (1999).mkv"))
    Path(old).rename(new)
    built.path("Old Name (1999).nfo").unlink()
    built.path("New Name (1999).nfo").write_text("<movie><title>The user's</title></movie>")

    assert follow_renames(rt.config, {old: new}) == [built.movie.id]

    assert str(built.path("New Name (1999).nfo")) not in {r.path for r in db.LibraryFile.select()}


def test_a_rename_without_the_webhook_that_moved_our_nfo_keeps_the_items_data(rt, build):
    """Radarr's *Rename Movies* with the webhook off: the scan finds the file renamed (same
    size and time), and our NFO that Radarr moved along (MetadataService.cs
    MoveFilesAfterRename) is still ours: not read back as the user's NFO, over what changed
    since the publish, nor copied into the cache as the user's by the next publish."""
    built = build("Old Name (1999)", art={"poster": ["jpeg"]}, cast=[])
    _scanned_as_is(built)
    publish_item(rt, built.reload())
    db.Movie.update(plot="A plot enriched since.").where(db.Movie.id == built.movie.id).execute()
    Path(built.movie.path).rename(built.path("New Name (1999).mkv"))
    built.path("Old Name (1999).nfo").rename(built.path("New Name (1999).nfo"))  # by Radarr

    assert scan(rt, [built.folder]).moved == [built.movie.id]

    item = built.reload()
    assert (item.plot, item.source_nfo_hash) == ("A plot enriched since.", None)
    assert not publish_item(rt, item).backed_up


def test_a_rename_found_by_a_scan_whose_claim_was_lost_carries_no_ledger_row(rt, build):
    """Radarr's *Rename Movies* with the webhook off (our NFO moved along: MetadataService.cs
    MoveFilesAfterRename), found by a scan job whose worker froze past its lease and whose job
    another worker took over (docs/scale-out.md, the fence): the stale scan wrote nothing of
    the rename but the ledger rows of our NFO, moved outside its write transactions, so that
    the row named the new file while the item still named the old one, whatever the job that
    took over had decided."""
    from metarrd.errors import LeaseLost

    built = build("Old Name (1999)", art={"poster": ["jpeg"]}, cast=[])
    _scanned_as_is(built)
    publish_item(rt, built.reload())
    rows = {r.id: r.path for r in db.LibraryFile.select()}
    Path(built.movie.path).rename(built.path("New Name (1999).mkv"))
    built.path("Old Name (1999).nfo").rename(built.path("New Name (1999).nfo"))  # by Radarr

    def lost() -> None:
        raise LeaseLost("job 1: taken over by other-host:4242:abcdef")

    with db.fenced_by(lost), pytest.raises(LeaseLost):
        scan(rt, [built.folder])

    assert {r.id: r.path for r in db.LibraryFile.select()} == rows
    assert built.reload().path == str(built.path("Old Name (1999).mkv"))


def test_a_folder_renamed_by_hand_reaches_the_players_though_nothing_is_written(
    make_rt, build, tmp_path, monkeypatch
):
    """`Heat (1995)/` renamed `Heat (1995) [1080p]/` by hand (no webhook), nothing else changed:
    the scan follows it and carries our files, so the publish writes nothing. Kodi was told
    about the old folder and must hear of the new one (a Scan of it), though no file changed;
    told once, not at every publish after."""
    from tests.players.player_fakes import FakeKodi
    from tests.players.player_helpers import kodi_player

    monkeypatch.setattr(kodi_protocol, "SCAN_POLL_SECONDS", 0.001)
    root = tmp_path / "movies"
    with FakeKodi(sources=["smb://nas/movies/"]) as kodi:
        rt = make_rt(
            libraries={"Movies": root},
            player=[kodi_player(kodi.url, root)],
            daemon={"notify_window_seconds": 0},
        )
        built = build("Heat (1995)", runtime=rt)
        _scanned_as_is(built)
        assert publish_item(rt, built.reload()).players == ["Kodi"]
        process_notifications(rt)
        assert kodi.scans == ["smb://nas/movies/Heat (1995)/"]
        moved = built.folder.with_name("Heat (1995) [1080p]")
        built.folder.rename(moved)
        assert scan(rt).moved == [built.movie.id]

        result = publish_item(rt, built.reload())

        assert result.written == [] and result.removed == []
        assert result.players == ["Kodi"]
        process_notifications(rt)
        assert kodi.scans[1:] == ["smb://nas/movies/Heat (1995) [1080p]/"]
        assert publish_item(rt, built.reload()).players == []  # told about this folder already
        assert not kodi.violations


def test_a_renamed_folder_of_an_item_no_player_was_told_about_needs_no_notification(rt, build):
    """No player shows the library when it was published, one is added later: a rename with
    nothing to write tells it nothing (it finds the item by its own scan)."""
    built = build("Heat (1995)")
    _scanned_as_is(built)
    publish_item(rt, built.reload())
    built.folder.rename(built.folder.with_name("Heat (1995) [1080p]"))
    assert scan(rt).moved == [built.movie.id]
    player = db.MediaPlayer.create(name="Kodi", type="kodi", url="http://127.0.0.1:9")
    db.PlayerLibrary.create(player=player, library=built.movie.library_id)

    assert publish_item(rt, built.reload()).players == []
    assert db.PlayerNotification.select().count() == 0


def test_a_notification_not_sent_yet_follows_the_renamed_folder(make_rt, build, tmp_path):
    """Published while Kodi was off (its row pending at `Heat (1995)/`), then the folder renamed
    by hand: one pending row, at the new folder; the old one, gone, is never sent."""
    rt = make_rt(
        player=[
            {"name": "Kodi", "type": "kodi", "url": "http://127.0.0.1:9", "libraries": ["Movies"]}
        ]
    )
    built = build("Heat (1995)", runtime=rt)
    _scanned_as_is(built)
    publish_item(rt, built.reload())
    moved = built.folder.with_name("Heat (1995) [1080p]")
    built.folder.rename(moved)
    assert scan(rt).moved == [built.movie.id]

    assert publish_item(rt, built.reload()).players == ["Kodi"]

    rows = [(r.path, r.state) for r in db.PlayerNotification.select()]
    assert rows == [(str(moved / "Heat (1995).mkv"), "pending")]


def test_a_rename_keeps_what_another_job_wrote_in_the_items_hints_meanwhile(rt, build, monkeypatch):
    """Radarr's rename of `Heat (1995).mkv` while an enrich of the item holds the write lock:
    the enrich commits its keywords (the hint a later identification removes them from the
    tags by) while the rename waits; the rename wrote the item's hints as it had read them
    before, and the enrich's were lost."""
    import metarrd.scan.tv as scan_tv

    built = build("Heat (1995)", art={}, cast=[])
    old, new = built.movie.path, built.path("Heat.1995.1080p.BluRay.mkv")
    Path(old).rename(new)
    real = scan_tv.holds_first_episode

    def enriched_meanwhile(item, path):
        hints = {**(db.Movie.get_by_id(item.id).hints or {}), "enrich_keywords": ["heist"]}
        db.Movie.update(hints=hints).where(db.Movie.id == item.id).execute()
        return real(item, path)

    monkeypatch.setattr(scan_tv, "holds_first_episode", enriched_meanwhile)
    assert follow_renames(rt.config, {old: str(new)}) == [built.movie.id]
    assert built.reload().path == str(new)
    assert built.reload().hints["enrich_keywords"] == ["heist"]


def test_a_replaced_in_place_upgrade_followed_by_a_job_whose_claim_is_lost_writes_nothing(
    rt, build
):
    """Radarr's upgrade named as the file it replaced, its webhook's job run by a worker frozen
    past its lease (SIGSTOP, a paused VM) whose job another worker took over: every write of
    the job is checked against its claim (`db.fenced_by`), but marking the item 'Republish?'
    was made outside a write transaction, so the stale worker wrote it all the same."""
    built = build("Heat (1995)", art={"poster": ["jpeg"]}, cast=[])
    _scanned_as_is(built)
    publish_item(rt, built.reload())
    assert built.reload().publish_state == db.PUBLISHED
    path = built.movie.path
    with open(path, "ab") as fh:  # the upgrade: another file, the same name
        fh.write(b"\0" * 4096)

    def lost() -> None:
        raise LeaseLost("taken over by another worker")

    with db.fenced_by(lost), pytest.raises(LeaseLost):
        follow_renames(rt.config, {path: path})
    assert built.reload().publish_state == db.PUBLISHED

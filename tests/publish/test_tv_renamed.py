"""Episode files renamed or moved by Sonarr (or by hand) with no webhook to say so: the scan
finds the move itself (`scan.tv._moved_episodes`), and our NFO and thumb that went along with
the file stay ours (`renames.carry_sidecars`), never read back as the user's."""

from __future__ import annotations

import re
import shutil

import pytest

from metarrd import db
from metarrd.players import kodi as kodi_protocol
from metarrd.players import process_notifications
from metarrd.publish import publish_item
from metarrd.scan import scan
from tests.publish.tvshow import build_show, tv_runtime

PILOT = "Season 1/Breaking Bad - S01E01 - Pilot.mkv"
DOUBLE = "Season 1/Breaking Bad - S01E04E05.mkv"


@pytest.fixture
def trt(tmp_path):
    rt = tv_runtime(tmp_path)
    yield rt
    rt.close()


def published(rt, files):
    """An enriched show scanned as it is, then published; its first episode's plot then
    changes (an enrich or an edit since the publish)."""
    built = build_show(rt, files=files)
    scan(rt)
    publish_item(rt, built.reload())
    for item in built.episodes.values():
        details = [dict(d, plot="A plot changed since the publish.") for d in item.episode_details]
        db.Movie.update(plot=details[0]["plot"], episode_details=details).where(
            db.Movie.id == item.id
        ).execute()
    return built


def followed_with_our_files(item: db.Movie, dst) -> None:
    """The episode's item is at `dst` with the plot it had since the publish (our NFO beside it
    not read as the user's), and our NFO and thumb there are in the ledger: still ours."""
    after = db.Movie.get_by_id(item.id)
    assert (after.path, after.plot, after.source_nfo_hash) == (
        str(dst),
        "A plot changed since the publish.",
        None,
    )
    rows = {r.path for r in db.LibraryFile.select()}
    assert {str(dst.with_suffix(".nfo")), str(dst.with_name(dst.stem + "-thumb.jpg"))} <= rows


def sonarr_rename(built, old: str, new: str) -> None:
    """Sonarr's rename with its webhook off: the video, then the NFO and `-thumb.jpg` its disk
    scan adopted as its Kodi metadata (ExistingMetadataImporter.cs), moved after it
    (MetadataService.cs MoveFilesAfterRename, XbmcMetadata.GetFilenameAfterMove)."""
    src, dst = built.path(old), built.path(new)
    dst.parent.mkdir(parents=True, exist_ok=True)
    src.rename(dst)
    for suffix in (".nfo", "-thumb.jpg"):
        src.with_name(src.stem + suffix).rename(dst.with_name(dst.stem + suffix))


@pytest.mark.parametrize(
    ("old", "new", "numbers"),
    [
        (PILOT, "Season 1/Breaking Bad (2008) - S01E01 - Pilot [HDTV-720p].mkv", (1, [1])),
        # Sonarr's season folder format changed from `Season {season}` to `Season {season:00}`
        (PILOT, "Season 01/Breaking Bad - S01E01 - Pilot.mkv", (1, [1])),
        (PILOT, "Season 01/Breaking Bad (2008) - S01E01 - Pilot.mkv", (1, [1])),
        (DOUBLE, "Season 1/Breaking Bad - S01E04-E05 - Cancer Man + Gray Matter.mkv", (1, [4, 5])),
    ],
)
def test_a_rename_without_the_webhook_keeps_our_nfo_and_thumb_ours(trt, old, new, numbers):
    """The scan read our NFO at the new name before it knew the file had moved: its stale
    values went into the item as the user's (what changed since the publish was lost), and
    the next publish backed up our NFO and thumb as the user's files."""
    built = published(trt, {old: numbers})
    item = built.episodes[old]
    sonarr_rename(built, old, new)

    report = scan(trt)

    assert report.moved == [item.id]
    dst = built.path(new)
    followed_with_our_files(item, dst)
    assert (
        not db.ArtworkCandidate.select()
        .where(db.ArtworkCandidate.url == str(dst.with_name(dst.stem + "-thumb.jpg")))
        .exists()
    )
    result = publish_item(trt, built.reload())
    assert not result.backed_up
    assert "A plot changed since the publish." in dst.with_suffix(".nfo").read_text("utf-8")


def test_jellyfins_lockdata_locks_each_episodes_air_date_of_a_multi_episode_file(trt):
    """Jellyfin keeps a multi-episode file as one item and writes one `<episodedetails>` for it
    (MediaBrowser.XbmcMetadata/Savers/EpisodeNfoSaver.cs: `<episode>`, `<episodenumberend>`),
    with `<lockdata>` its "lock this item" (BaseNfoSaver.cs): every field of the file. It
    locked the first episode's fields, not the second's own air date (`aired-2`), title and
    plot (`title-2`, `plot-2`), which the next enrich then replaced by TMDB's."""
    built = build_show(trt, files={DOUBLE: (1, [4, 5])})
    built.path(DOUBLE).with_suffix(".nfo").write_text(
        "<?xml version='1.0' encoding='utf-8' standalone='yes'?>\n<episodedetails>\n"
        "  <plot>Walt and Jesse try to dispose of the bodies.</plot>\n"
        "  <lockdata>true</lockdata>\n  <title>Cancer Man</title>\n"
        "  <episode>4</episode>\n  <episodenumberend>5</episodenumberend>\n"
        "  <season>1</season>\n  <aired>2008-02-17</aired>\n</episodedetails>",
        "utf-8",
    )

    scan(trt)

    locked = db.Movie.get_by_id(built.episodes[DOUBLE].id).locked_fields
    assert {"title", "aired", "aired-2", "title-2", "plot-2"} <= set(locked)
    assert not {"aired-3", "title-3", "plot-3"} & set(locked)


@pytest.mark.parametrize("inner", ["", "Disc 1/"])
def test_a_season_folder_renamed_by_hand_keeps_our_season_nfo_ours(trt, inner):
    """`mv "Season 1" "Season 01"` after a publish: the episodes follow their files, but our
    `season.nfo` that went along was read as the user's, its stale plot taken into the season
    and locked (enrich never updated it again), and the next publish backed it up as the
    user's file. Its episodes may be a level below (`Season 1/Disc 1/`)."""
    files = {
        f"Season 1/{inner}Breaking Bad - S01E01 - Pilot.mkv": (1, [1]),
        f"Season 1/{inner}Breaking Bad - S01E02.mkv": (1, [2]),
    }
    built = build_show(trt, files=files)
    season = built.seasons[1]
    db.Movie.update(plot="Walter White starts cooking.").where(db.Movie.id == season.id).execute()
    scan(trt)
    publish_item(trt, built.reload())
    assert built.path("Season 1/season.nfo").is_file()
    db.Movie.update(plot="A plot enriched since.").where(db.Movie.id == season.id).execute()
    db.mark_outdated(season.id)
    built.path("Season 1").rename(built.path("Season 01"))

    assert sorted(scan(trt).moved) == sorted(e.id for e in built.episodes.values())

    after = db.Movie.get_by_id(season.id)
    assert (after.plot, after.source_nfo_hash) == ("A plot enriched since.", None)
    assert "plot" not in (after.locked_fields or [])
    rows = {r.path for r in db.LibraryFile.select()}
    assert str(built.path("Season 01/season.nfo")) in rows
    assert not publish_item(trt, built.reload()).backed_up
    assert "A plot enriched since." in built.path("Season 01/season.nfo").read_text("utf-8")


def test_a_show_folder_renamed_with_its_episodes_keeps_our_nfo_and_thumb_ours(trt):
    """Sonarr renaming the series folder (its title changed, or `{tvdb-81189}` added to the
    folder format) and the episode files in it, with our NFO and thumb (MoveFilesAfterRename),
    its webhook off: the show follows its folder (`_follow_renamed_shows`), the episode its
    file, but our NFO's ledger row stayed under the old folder, and the NFO was read as the
    user's."""
    built = published(trt, {PILOT: (1, [1])})
    item = built.episodes[PILOT]
    new_folder = built.folder.with_name("Breaking Bad (2008) {tvdb-81189}")
    built.folder.rename(new_folder)
    built.folder = new_folder
    new = "Season 01/Breaking Bad (2008) - S01E01 - Pilot [HDTV-720p].mkv"
    sonarr_rename(built, PILOT, new)

    report = scan(trt)

    assert item.id in report.moved and built.show.id in report.moved
    dst = built.path(new)
    followed_with_our_files(item, dst)
    assert not publish_item(trt, built.reload()).backed_up


def test_a_season_folder_copied_then_deleted_keeps_our_files_ours(trt):
    """`cp -r "Season 1" "Season 01"`, a scan in between (the watcher), then `rm -r "Season 1"`
    (docs/tv.md: the copy's item merges back into the old one). Our NFO, thumb and season.nfo
    copied along kept their ledger rows at the gone paths: the next publish backed them up as
    the user's files, and a rescan of the NFO took our copy for the user's NFO."""
    built = published(trt, {PILOT: (1, [1])})
    item = built.episodes[PILOT]
    shutil.copytree(built.path("Season 1"), built.path("Season 01"))
    scan(trt)
    shutil.rmtree(built.path("Season 1"))

    assert item.id in scan(trt).moved

    new = built.path(PILOT.replace("Season 1/", "Season 01/"))
    rows = {r.path for r in db.LibraryFile.select()}
    ours = {new.with_suffix(".nfo"), new.with_name(new.stem + "-thumb.jpg")}
    assert {str(p) for p in ours | {built.path("Season 01/season.nfo")}} <= rows
    scan(trt, [new.parent])  # the watcher's, which reads a changed NFO again
    after = db.Movie.get_by_id(item.id)
    assert (after.plot, after.source_nfo_hash) == ("A plot changed since the publish.", None)
    assert not publish_item(trt, built.reload()).backed_up


def test_a_season_folder_copied_then_deleted_keeps_our_thumb_no_picture_of_the_users(trt):
    """The same copy, scan, delete: the copy's scan took our `-thumb.jpg` copied along for a
    picture of the user's (no ledger row named it yet). The merge moved that reading to the
    old episode before the ledger row followed the thumb (and looked only at the episodes'
    rows, where the show's publish records it under the show), so the episode's TMDB thumb
    became "the user's picture" (a library candidate, its cached copy the user's, never
    cleaned)."""
    from metarrd.config import LIBRARY_SOURCE

    built = published(trt, {PILOT: (1, [1])})
    item = built.episodes[PILOT]
    shutil.copytree(built.path("Season 1"), built.path("Season 01"))
    scan(trt)
    shutil.rmtree(built.path("Season 1"))

    assert item.id in scan(trt).moved

    A, C = db.ArtworkCandidate, db.CacheImageFile
    assert not A.select().where(A.movie == item.id, A.provider == LIBRARY_SOURCE).exists()
    assert not C.select().where(C.movie == item.id, C.source_type == LIBRARY_SOURCE).exists()


def test_the_rows_that_follow_a_renamed_video_are_found_by_the_ledgers_index(trt):
    """`carry_sidecars` runs for each video a scan finds renamed, inside its write transaction;
    a LIKE of the old name read the whole ledger each time (SQLite: SCAN library_files), 2.5
    ms a video on a 30,000-row ledger, half a minute for a naming change of 10,000 files. The
    rows are a range of the unique index on `path` now."""
    from metarrd.scan import renames

    built = published(trt, {PILOT: (1, [1])})
    new = "Season 1/Breaking Bad (2008) - S01E01 - Pilot [HDTV-720p].mkv"
    sonarr_rename(built, PILOT, new)
    statements: list[str] = []
    connection = db.database.connection()
    if not hasattr(connection, "set_trace_callback"):
        pytest.skip('reads SQLite\'s query plans (PostgreSQL compares under COLLATE "C")')
    connection.set_trace_callback(statements.append)
    try:
        assert renames.carry_sidecars(str(built.path(PILOT)), str(built.path(new))) == 2
    finally:
        connection.set_trace_callback(None)
    reads = [s for s in statements if s.startswith("SELECT") and "library_files" in s]
    assert reads
    for sql in reads:
        plan = " ".join(row[-1] for row in db.database.execute_sql("EXPLAIN QUERY PLAN " + sql))
        assert "USING" in plan and not re.search(r"SCAN (t1|library_files)\b", plan), (sql, plan)


def test_a_show_folder_renamed_by_hand_reaches_kodi_though_nothing_is_written(
    tmp_path, monkeypatch
):
    """The real-Kodi test's step 5 (tests/players/test_real_kodi.py): `Breaking Bad (2008)/`
    renamed `Breaking Bad/` by hand, nothing else changed. The scan follows the show and its
    episodes and carries our files, so the publish writes nothing; Kodi, which lists the show
    at the old folder, must still be told: the new folder scanned and, once Kodi has it, the
    old show removed."""
    from tests.players.player_fakes import FakeKodi

    monkeypatch.setattr(kodi_protocol, "SCAN_POLL_SECONDS", 0.001)
    monkeypatch.setattr(kodi_protocol, "SCAN_START_SECONDS", 0.05)
    root = tmp_path / "tv"
    with FakeKodi(sources=["smb://nas/tv/"]) as kodi:
        player = {
            "name": "Kodi",
            "type": "kodi",
            "url": kodi.url,
            "username": "kodi",
            "password": "secret",
            "libraries": ["TV"],
            "path_map": [{"from": str(root), "to": "smb://nas/tv"}],
        }
        rt = tv_runtime(tmp_path, player=[player], daemon={"notify_window_seconds": 0})
        try:
            built = build_show(rt, files={PILOT: (1, [1])})
            scan(rt)
            assert publish_item(rt, built.reload()).players == ["Kodi"]
            process_notifications(rt)
            assert kodi.scans == ["smb://nas/tv/Breaking Bad (2008)/"]
            kodi.shows[7] = ("smb://nas/tv/Breaking Bad (2008)/", {"tmdb": str(built.show.tmdb_id)})
            # Kodi's scan of the new folder adds it as a show of its own (tests/players/test_real_kodi.py)
            kodi.on_scan = lambda folder: kodi.shows.setdefault(
                8, (folder, {"tmdb": str(built.show.tmdb_id)})
            )
            renamed = built.folder.with_name("Breaking Bad")
            built.folder.rename(renamed)
            built.folder = renamed
            assert built.show.id in scan(rt).moved

            result = publish_item(rt, built.reload())

            assert result.written == [] and result.removed == []
            assert result.players == ["Kodi"]
            [sent] = process_notifications(rt)
            assert sent.done[0] == (
                "scanned smb://nas/tv/Breaking Bad/ and removed the show at "
                "smb://nas/tv/Breaking Bad (2008)/ (renamed)"
            ), sent
            assert kodi.called("VideoLibrary.RemoveTVShow") == [{"tvshowid": 7}]
            assert not kodi.violations
        finally:
            rt.close()


def test_a_sonarr_rename_into_a_new_season_folder_takes_our_season_nfo_along(trt):
    """Sonarr's season folder format changed from its default `Season {season}` to
    `Season {season:00}` and "Rename Files" run: each file moves to `Season 01/`, Sonarr removes
    the folders left empty (RenameEpisodeFileService.RenameFiles: RemoveEmptySubfolders), then
    sends its `Rename` webhook, whose publish (pipeline.steps.republish_moved) is of the
    episodes alone. Their published season went with them: its `season.nfo` stayed in
    `Season 1/`, beside no video (Sonarr could not remove that folder; Jellyfin listed a season
    folder of nothing), none was in `Season 01/`, and the show waited as "Republish?"."""
    from metarrd.pipeline import jobs, queue

    queue.configure(trt.config, immediate=True)
    jobs.bind(trt)
    files = {PILOT: (1, [1]), "Season 1/Breaking Bad - S01E02.mkv": (1, [2])}
    built = build_show(trt, files=files)
    scan(trt)
    publish_item(trt, built.reload())
    old_folder = built.path("Season 1")
    assert (old_folder / "season.nfo").is_file()
    renames = {}
    for rel in files:
        src, dst = built.path(rel), built.path("Season 01/" + rel.split("/", 1)[1])
        dst.parent.mkdir(exist_ok=True)
        src.rename(dst)
        for suffix in (".nfo", "-thumb.jpg"):  # Sonarr moves the Kodi metadata it adopted
            sidecar = src.with_name(src.stem + suffix)
            if sidecar.exists():
                sidecar.rename(dst.with_name(dst.stem + suffix))
        renames[str(src)] = str(dst)

    jobs.enqueue_scan([str(built.folder)], renames=renames)

    assert (built.path("Season 01") / "season.nfo").is_file()
    assert not old_folder.exists() or not any(old_folder.iterdir())
    assert built.reload().publish_state == db.PUBLISHED

"""What metarrd published for a video that Sonarr or Radarr then deletes: the NFO and art we
wrote (ledger rows, unchanged since) go once nothing in their folder needs them, so that a
folder with no video left holds nothing of ours and the *arr's "Delete Empty Folders" can
remove it; a delete for an upgrade (the Download follows) keeps them, and a file the user
wrote or changed stays. Payloads: Sonarr's WebhookEpisodeDeletePayload and Radarr's
WebhookMovieFileDeletePayload (src/NzbDrone.Core/Notifications/Webhook/), deleteReason the
camel-cased DeleteMediaFileReason (src/NzbDrone.Core/MediaFiles/DeleteMediaFileReason.cs:
missingFromDisk, manual, upgrade, noLinkedEpisodes, manualOverride)."""

from __future__ import annotations

from pathlib import Path

import pytest

from metarrd import db
from metarrd.publish import publish_item
from metarrd.scan import scan
from tests.daemon.conftest import webhook_client
from tests.publish.conftest import build_enriched, into_one_folder
from tests.publish.tvshow import build_show

TOKEN = "s3cret-token"
KEY = {"X-Api-Key": TOKEN}
PILOT = "Season 1/Breaking Bad - S01E01 - Pilot.mkv"
SECOND = "Season 1/Breaking Bad - S01E02 - Cat's in the Bag.mkv"
LAST = "Season 2/Breaking Bad - S02E01 - Seven Thirty-Seven.mkv"


@pytest.fixture
def tv(config_factory, tmp_path):
    (tmp_path / "tv").mkdir()
    config = config_factory(
        libraries={},
        library=[{"name": "TV", "path": str(tmp_path / "tv"), "kind": "tv"}],
        webhooks={"token": TOKEN},
    )
    client, rt = webhook_client(config)
    built = build_show(rt, files={PILOT: (1, [1]), SECOND: (1, [2]), LAST: (2, [1])})
    scan(rt)
    publish_item(rt, built.reload())
    yield client, rt, built
    rt.close()


@pytest.fixture
def movies(config_factory):
    client, rt = webhook_client(config_factory(webhooks={"token": TOKEN}))
    built = build_enriched(rt, art={"poster": ["jpeg"], "fanart": ["jpeg"]}, cast=[])
    publish_item(rt, built.reload())
    yield client, rt, built
    rt.close()


def series(folder: Path) -> dict:
    """WebhookSeries."""
    return {
        "id": 1, "title": "Breaking Bad", "titleSlug": "breaking-bad", "path": str(folder),
        "tvdbId": 81189, "tvMazeId": 169, "tmdbId": 1396, "imdbId": "tt0903747",
        "type": "standard", "year": 2008, "genres": ["Drama"], "images": [], "tags": [],
    }  # fmt: skip


def episode_delete(folder: Path, rel: str, reason: str) -> dict:
    """WebhookEpisodeDeletePayload (WebhookBase.BuildOnEpisodeFileDelete)."""
    season = int(rel.split("/")[0].split()[-1])
    return {
        "eventType": "EpisodeFileDelete", "instanceName": "Sonarr", "applicationUrl": "",
        "series": series(folder),
        "episodes": [{"id": 11, "episodeNumber": 1, "seasonNumber": season, "title": "Ep",
                      "seriesId": 1, "tvdbId": 349101}],
        "episodeFile": {"id": 7, "relativePath": rel, "path": str(folder / rel),
                        "quality": "HDTV-720p", "qualityVersion": 1, "size": 100,
                        "dateAdded": "2024-05-01T10:00:00Z"},
        "deleteReason": reason,
    }  # fmt: skip


def movie_file_delete(built, reason: str) -> dict:
    """WebhookMovieFileDeletePayload (WebhookBase.BuildOnMovieFileDelete)."""
    video = Path(built.movie.path)
    return {
        "eventType": "MovieFileDelete", "instanceName": "Radarr", "applicationUrl": "",
        "movie": {"id": 1, "title": "The Matrix", "year": 1999, "releaseDate": "1999-03-30",
                  "folderPath": str(built.folder), "tmdbId": 603, "imdbId": "tt0133093",
                  "tags": []},
        "movieFile": {"id": 3, "relativePath": video.name, "path": str(video),
                      "quality": "Bluray-1080p", "qualityVersion": 1, "size": 100,
                      "indexerFlags": "0"},
        "deleteReason": reason,
    }  # fmt: skip


def names(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}


def ledger_under(folder: Path) -> set[str]:
    prefix = str(folder) + "/"
    return {r.path for r in db.LibraryFile.select() if r.path.startswith(prefix)}


def test_the_last_episode_of_a_season_deleted_leaves_nothing_of_ours_in_its_folder(tv):
    """Sonarr's Episode File delete (deleteReason `manual`) of a season's only episode: its NFO
    and thumb, and the season's `season.nfo`, stayed there until the next publish (a delete
    queues none), so Sonarr's Delete Empty Folders never removed `Season 2/`."""
    client, rt, built = tv
    assert names(built.path("Season 2")) == {
        "Breaking Bad - S02E01 - Seven Thirty-Seven.mkv",
        "Breaking Bad - S02E01 - Seven Thirty-Seven.nfo",
        "Breaking Bad - S02E01 - Seven Thirty-Seven-thumb.jpg",
        "season.nfo",
    }
    season_1 = names(built.path("Season 1"))
    built.path(LAST).unlink()  # Sonarr deletes the file, then sends the event

    r = client.post("/api/webhooks/sonarr", json=episode_delete(built.folder, LAST, "manual"),
                    headers=KEY)  # fmt: skip

    assert r.status_code == 202
    assert db.Movie.get_by_id(built.episodes[LAST].id).missing
    assert names(built.path("Season 2")) == set()
    assert ledger_under(built.path("Season 2")) == set()
    assert names(built.path("Season 1")) == season_1  # the other season's files stay
    assert built.path("tvshow.nfo").exists()


def test_the_files_removed_are_told_as_removed_not_as_a_video_found(tv):
    """The event of our files removed for a deleted video was a `scan.found` ("a new video was
    recorded", docs/interface.md §5): the activity page showed "Found" for a delete."""
    client, rt, built = tv
    built.path(LAST).unlink()
    assert client.post("/api/webhooks/sonarr", json=episode_delete(built.folder, LAST, "manual"),
                       headers=KEY).status_code == 202  # fmt: skip
    said = [(e.kind, e.message) for e in db.Event.select() if "videos deleted" in e.message]
    assert [kind for kind, _message in said] == ["scan.removed"], said
    assert "videos deleted: 3 files metarrd published for them" in said[0][1]


def test_an_episode_deleted_beside_others_takes_its_nfo_and_thumb_the_season_nfo_stays(tv):
    client, rt, built = tv
    built.path(SECOND).unlink()

    r = client.post("/api/webhooks/sonarr", json=episode_delete(built.folder, SECOND, "manual"),
                    headers=KEY)  # fmt: skip

    assert r.status_code == 202
    assert names(built.path("Season 1")) == {
        "Breaking Bad - S01E01 - Pilot.mkv",
        "Breaking Bad - S01E01 - Pilot.nfo",
        "Breaking Bad - S01E01 - Pilot-thumb.jpg",
        "season.nfo",
    }


def test_a_season_nfo_the_user_changed_and_a_users_picture_stay(tv):
    """Only files of ours unchanged since we wrote them go: a `season.nfo` the user edited is
    theirs now, a `folder.jpg` they put there was never ours."""
    client, rt, built = tv
    season_nfo = built.path("Season 2/season.nfo")
    edited = season_nfo.read_bytes().replace(b"</season>", b"<!-- mine --></season>")
    season_nfo.write_bytes(edited)
    built.path("Season 2/folder.jpg").write_bytes(b"\xff\xd8\xff the user's own")
    built.path(LAST).unlink()

    client.post("/api/webhooks/sonarr", json=episode_delete(built.folder, LAST, "manual"),
                headers=KEY)  # fmt: skip

    assert names(built.path("Season 2")) == {"season.nfo", "folder.jpg"}
    assert season_nfo.read_bytes() == edited


def test_a_delete_for_an_upgrade_keeps_our_files_for_the_new_file(tv):
    """deleteReason `upgrade`: the Download of the new file follows (Sonarr's
    UpgradeMediaFileService deletes the old file first); removing our files meanwhile would
    only have them written again."""
    client, rt, built = tv
    before = names(built.path("Season 2"))
    built.path(LAST).unlink()

    r = client.post("/api/webhooks/sonarr", json=episode_delete(built.folder, LAST, "upgrade"),
                    headers=KEY)  # fmt: skip

    assert r.status_code == 200
    assert names(built.path("Season 2")) == before - {Path(LAST).name}


@pytest.mark.parametrize("reason", ["manual", "missingFromDisk"])
def test_a_movie_file_deleted_leaves_nothing_of_ours_in_its_folder(movies, reason):
    client, rt, built = movies
    assert names(built.folder) == {
        "The Matrix (1999).mkv", "The Matrix (1999).nfo",
        "The Matrix (1999)-poster.jpg", "The Matrix (1999)-fanart.jpg",
    }  # fmt: skip
    Path(built.movie.path).unlink()

    r = client.post("/api/webhooks/radarr", json=movie_file_delete(built, reason), headers=KEY)

    assert r.status_code == 202
    assert db.Movie.get_by_id(built.movie.id).missing
    assert names(built.folder) == set()
    assert ledger_under(built.folder) == set()


def test_a_movie_file_deleted_for_an_upgrade_keeps_our_files(movies):
    client, rt, built = movies
    Path(built.movie.path).unlink()

    r = client.post("/api/webhooks/radarr", json=movie_file_delete(built, "upgrade"), headers=KEY)

    assert r.status_code == 200
    assert len(names(built.folder)) == 3


def test_a_movie_deleted_beside_another_takes_only_the_files_named_after_it(movies):
    """Two movies in one folder (`into_one_folder`): the deleted one's NFO and art go, the
    other's, and what the folder's files are for both, stay."""
    client, rt, built = movies
    other = build_enriched(rt, "The Matrix Reloaded (2003)", title="The Matrix Reloaded",
                           year=2003, tmdb_id=604, art={"poster": ["jpeg"]}, cast=[])  # fmt: skip
    into_one_folder(built, other)
    publish_item(rt, other.reload())
    theirs = {n for n in names(built.folder) if n.startswith("The Matrix Reloaded (2003)")}
    assert len(theirs) == 3
    Path(built.movie.path).unlink()

    r = client.post("/api/webhooks/radarr", json=movie_file_delete(built, "manual"), headers=KEY)

    assert r.status_code == 202
    assert names(built.folder) == theirs


def test_a_show_folder_deleted_keeps_the_ledger_rows_of_the_files_gone_with_it(tv):
    """SeriesDelete with "Delete Files" (WebhookSeriesDeletePayload): our files went with the
    folder. Their rows stay, as before: a folder put back from Sonarr's recycle bin holds our
    files, which the next publish replaces as ours, not backs up as the user's."""
    import shutil

    client, rt, built = tv
    rows = {r.path for r in db.LibraryFile.select()}
    shutil.rmtree(built.folder)
    body = {"eventType": "SeriesDelete", "instanceName": "Sonarr", "applicationUrl": "",
            "series": series(built.folder), "deletedFiles": True}  # fmt: skip

    assert client.post("/api/webhooks/sonarr", json=body, headers=KEY).status_code == 202

    assert db.Movie.get_by_id(built.episodes[LAST].id).missing
    assert {r.path for r in db.LibraryFile.select()} == rows


def test_with_publishing_off_nothing_of_ours_is_removed(tv):
    """The `publishing` stage off: metarrd changes nothing in the libraries (docs/daemon.md,
    "Workflow stages"), our files there stay until it is on and the item is published."""
    from metarrd import workflow

    client, rt, built = tv
    workflow.set_stage("publishing", False)
    before = names(built.path("Season 2"))
    built.path(LAST).unlink()

    client.post("/api/webhooks/sonarr", json=episode_delete(built.folder, LAST, "manual"),
                headers=KEY)  # fmt: skip

    assert db.Movie.get_by_id(built.episodes[LAST].id).missing
    assert names(built.path("Season 2")) == before - {Path(LAST).name}


def test_a_movie_whose_files_went_with_its_video_is_republish_when_the_video_comes_back(movies):
    """The delete removed the NFO and art published for it, so the item is no longer as it
    was published: the same file put back (the recycle bin, a restore) is found again at its
    name, "Republish?", not "published" with nothing of its NFO or art on disk."""
    client, rt, built = movies
    video = Path(built.movie.path)
    kept = video.read_bytes()
    video.unlink()
    r = client.post("/api/webhooks/radarr", json=movie_file_delete(built, "manual"), headers=KEY)
    assert r.status_code == 202
    assert names(built.folder) == set()

    video.write_bytes(kept)
    scan(rt)

    movie = db.Movie.get_by_id(built.movie.id)
    assert not movie.missing
    assert movie.publish_state == db.OUTDATED


def test_an_episode_whose_files_went_with_its_video_is_republish_when_it_comes_back(tv):
    client, rt, built = tv
    video = built.path(LAST)
    kept = video.read_bytes()
    video.unlink()
    r = client.post("/api/webhooks/sonarr", json=episode_delete(built.folder, LAST, "manual"),
                    headers=KEY)  # fmt: skip
    assert r.status_code == 202

    video.write_bytes(kept)
    scan(rt)

    episode = db.Movie.get_by_id(built.episodes[LAST].id)
    assert not episode.missing
    assert episode.publish_state == db.OUTDATED

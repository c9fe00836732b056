"""Sonarr's `series.type` (`standard`, `daily`, `anime`: SeriesTypes.cs, sent camelCase in
WebhookSeries.cs) decides the episode order a show it sends starts in, so its files match as
Sonarr numbered them; an order already set (the user's) is kept.

Payloads are shaped as Sonarr's own classes (src/NzbDrone.Core/Notifications/Webhook/:
WebhookImportCompletePayload, WebhookSeries, WebhookEpisode, WebhookEpisodeFile); the files
are named as releases are: `[HorribleSubs] Ao Haru Ride - 06 [480p].mkv` and
`The.Daily.Show.2015.07.22.Jake.Gyllenhaal.720p.HDTV.x264-BATV.mkv` (guessit's own
tests/episodes.yml), the SubsPlease form `[SubsPlease] Frieren - 12 (1080p) [ABCD1234].mkv`,
and Sonarr's own anime and daily formats (`{Series Title} - S{season:00}E{episode:00} -
{absolute:000} - {Episode Title}`, `{Series Title} - {Air-Date} - {Episode Title}`), put on the
simulator's Naruto (TheTVDB 78857: seasons of 6 and 3 episodes, absolute 1 to 9) and The Daily
Show (TheTVDB 71256: season 29 from 2024-01-08)."""

from __future__ import annotations

from pathlib import Path

import pytest

from metarrd import db, workflow
from metarrd.config import parse_config
from tests.conftest import backend_sections
from tests.daemon.conftest import webhook_client
from tests.tv.conftest import put

TOKEN = "s3cret-token-for-sonarr"

NARUTO = {
    "id": 12, "title": "Naruto", "titleSlug": "naruto", "tvdbId": 78857, "tvMazeId": 693,
    "tmdbId": 46260, "imdbId": "tt0409591", "malIds": [20], "aniListIds": [20], "type": "anime",
    "year": 2002, "genres": ["Action", "Animation", "Anime"], "images": [], "tags": [],
    "originalLanguage": {"id": 8, "name": "Japanese"}, "originalCountry": "JP",
}  # fmt: skip
DAILY_SHOW = {
    "id": 13, "title": "The Daily Show", "titleSlug": "the-daily-show", "tvdbId": 71256,
    "tvMazeId": 249, "tmdbId": 2224, "imdbId": "tt0115147", "malIds": [], "aniListIds": [],
    "type": "daily", "year": 1996, "genres": ["Comedy", "News", "Talk Show"], "images": [],
    "tags": [], "originalLanguage": {"id": 1, "name": "English"}, "originalCountry": "US",
}  # fmt: skip
# (file under the show folder, (season, episode) Sonarr numbered it by, episode title)
ANIME_FILES = [
    ("Season 1/[SubsPlease] Naruto - 05 (1080p) [ABCD1234].mkv", (1, 5),
     "You Failed! Kakashi's Final Decision"),
    ("Season 2/[HorribleSubs] Naruto - 08 [480p].mkv", (2, 2), "The Oath of Pain"),
    ("Season 2/Naruto - S02E01 - 007 - The Assassin of the Mist! [HDTV-1080p].mkv", (2, 1),
     "The Assassin of the Mist!"),
]  # fmt: skip
DAILY_FILES = [
    ("Season 2024/The Daily Show - 2024-01-09 - Guest [WEBDL-720p].mkv", "2024-01-09"),
    ("Season 2024/The.Daily.Show.2024.01.10.Guest.720p.WEB.h264-GRP.mkv", "2024-01-10"),
]


@pytest.fixture
def sonarr(tmp_path, simulator):
    sim = simulator
    (tmp_path / "tv").mkdir()
    config = parse_config(
        {
            "data_dir": str(tmp_path / "data"),
            "library": [{"name": "TV", "path": str(tmp_path / "tv"), "kind": "tv"}],
            "providers": {
                "timeout_seconds": 5.0,
                "max_retries": 2,
                "tmdb": {"api_key": sim.keys.tmdb_key, "base_url": sim.tmdb_url},
                "fanart": {"api_key": sim.keys.fanart_key, "base_url": sim.fanart_url},
                "tvdb": {"api_key": sim.keys.tvdb_key, "base_url": sim.tvdb_url},
            },
            "webhooks": {"token": TOKEN},
            **backend_sections(),
        }
    )
    client, rt = webhook_client(config)
    workflow.set_stage("enrichment", False)  # identify is what is looked at here
    yield client, tmp_path / "tv"
    rt.close()


def import_complete(series: dict, folder: Path, rels: list[str]) -> dict:
    """WebhookImportCompletePayload ("On Import Complete", Sonarr v4): `episodeFiles`."""
    files = [
        {"id": i, "relativePath": rel, "path": str(folder / rel), "quality": "WEBDL-1080p",
         "qualityVersion": 1, "releaseGroup": "GRP", "size": 1000 + i,
         "dateAdded": "2024-05-01T10:00:00Z", "languages": [{"id": 1, "name": "English"}]}
        for i, rel in enumerate(rels, 1)
    ]  # fmt: skip
    return {
        "eventType": "Download", "instanceName": "Sonarr", "applicationUrl": "",
        "series": {**series, "path": str(folder)},
        "episodes": [{"id": 100 + i, "episodeNumber": i, "seasonNumber": 1, "title": "",
                      "seriesId": series["id"], "tvdbId": 0} for i in range(1, len(rels) + 1)],
        "episodeFiles": files, "downloadClient": "qBittorrent",
        "downloadClientType": "qBittorrent", "downloadId": "ABC",
        "sourcePath": "/downloads/x", "destinationPath": str(folder),
        "release": {"releaseTitle": "x", "indexer": "x", "size": 1},
    }  # fmt: skip


def send(client, body: dict) -> None:
    answer = client.post("/api/webhooks/sonarr", json=body, headers={"X-Api-Key": TOKEN})
    assert answer.status_code == 202, answer.get_json()


def item(path: Path) -> db.Movie:
    return db.Movie.get(db.Movie.path == str(path))


def test_an_anime_series_matches_its_absolute_numbered_files(sonarr):
    """An `anime` series' files carry the absolute number only when the release name is kept
    (`[SubsPlease] Naruto - 05`): in TheTVDB's aired order, the order every series Sonarr sent
    started in, they matched nothing ("looks like an absolute episode number") until the user
    switched the show's order. It starts in TheTVDB's absolute order, where Sonarr's own anime
    names (`S02E01 - 007`) match too."""
    client, root = sonarr
    folder = root / "Naruto"
    for rel, _numbers, _title in ANIME_FILES:
        put(folder, rel)
    send(client, import_complete(NARUTO, folder, [rel for rel, _n, _t in ANIME_FILES]))
    show = item(folder)
    assert show.tmdb_id == 46260 and show.identified_by == "webhook"
    assert show.ordering == "tvdb:absolute"
    for rel, (season, number), title in ANIME_FILES:
        ep = item(folder / rel)
        assert ep.identification_status == db.IDENTIFIED, (rel, ep.last_error)
        assert (ep.season, ep.episodes) == (season, [number]), rel
        assert ep.episode_refs[0]["title"] == title


def test_a_daily_series_matches_its_files_by_air_date(sonarr):
    """A `daily` series' files are named by air date (Sonarr's daily format, or the release
    name kept): matched by TheTVDB's air dates, as Sonarr matched them."""
    client, root = sonarr
    folder = root / "The Daily Show"
    for rel, _aired in DAILY_FILES:
        put(folder, rel)
    send(client, import_complete(DAILY_SHOW, folder, [rel for rel, _a in DAILY_FILES]))
    show = item(folder)
    assert show.ordering == "tvdb:official"
    for rel, aired in DAILY_FILES:
        ep = item(folder / rel)
        assert ep.identification_status == db.IDENTIFIED, (rel, ep.last_error)
        assert ep.identified_by == "air date" and ep.aired == aired
        assert ep.episode_refs[0]["season"] == 29


def test_an_anime_show_found_before_sonarrs_webhook_switches_to_its_order(sonarr):
    """The show was there first (a library scan, the watcher before Sonarr's call) and was
    identified by its folder's name, in TMDB's order; Sonarr's `Download` of its anime series
    named the same ids, so nothing was done and its absolute-numbered files stayed unmatched.
    An order nobody chose switches to TheTVDB's absolute order: the show is identified again."""
    from metarrd.pipeline import jobs

    client, root = sonarr
    folder = root / "Naruto"
    rel = ANIME_FILES[0][0]
    put(folder, rel)
    jobs.enqueue_scan([str(folder)])
    show = item(folder)
    assert show.identified_by == "search" and show.ordering == "tmdb:default"
    assert item(folder / rel).identification_status == db.UNIDENTIFIED
    send(client, import_complete(NARUTO, folder, [rel]))
    assert item(folder).ordering == "tvdb:absolute"
    ep = item(folder / rel)
    assert ep.identification_status == db.IDENTIFIED, ep.last_error
    assert (ep.season, ep.episodes) == (1, [5])


@pytest.mark.parametrize("identified", [False, True], ids=["new", "identified"])
def test_the_users_order_wins_over_the_series_type(sonarr, identified):
    """A show already there whose order the user chose (here TheTVDB's aired order; before or
    after it was identified) keeps it when Sonarr sends it as `anime`: the webhook's type picks
    the order of a show that has none, or that nobody chose. The absolute-numbered file stays
    unmatched, its reason saying how to switch."""
    from metarrd.identify import set_episode_order
    from metarrd.pipeline import jobs

    client, root = sonarr
    folder = root / "Naruto"
    rel = ANIME_FILES[0][0]
    put(folder, rel)
    workflow.set_stage("identification", identified)
    jobs.enqueue_scan([str(folder)])
    assert set_episode_order(item(folder), "tvdb")
    workflow.set_stage("identification", True)
    send(client, import_complete(NARUTO, folder, [rel]))
    show = item(folder)
    assert show.identification_status == db.IDENTIFIED and show.tmdb_id == 46260
    assert show.ordering == "tvdb:official"
    ep = item(folder / rel)
    assert ep.identification_status == db.UNIDENTIFIED
    assert "absolute" in ep.last_error and "metarrd tv order" in ep.last_error

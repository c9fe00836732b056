"""A published show told to Kodi: a Scan of its folder when new, RefreshTVShow when Kodi has it."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from urllib.parse import quote

from player_fakes import FakeKodi
from player_helpers import later, queue, states

from metarrd import db
from metarrd.players import kodi_kept, kodi_tv, process_notifications
from metarrd.publish.tv_nfo import EpisodeData, Rating, render_episodes

BB = "Breaking Bad (2008)"
IDS = {"tmdb": "1396", "tvdb": "81189", "imdb": "tt0903747"}


def tv_rt(make_rt, tmp_path, kodi, **extra):
    library = [
        {"name": "Movies", "path": str(tmp_path / "movies"), "kind": "movie"},
        {"name": "TV", "path": str(tmp_path / "tv"), "kind": "tv"},
    ]
    (tmp_path / "tv").mkdir(exist_ok=True)
    player = {
        "name": "Living room",
        "type": "kodi",
        "url": kodi.url,
        "username": "kodi",
        "password": "secret",
        "libraries": ["Movies", "TV"],
        "path_map": [{"from": str(tmp_path / "tv"), "to": "smb://nas/tv"}],
        "timeout_seconds": 2.0,
        **extra,
    }
    return make_rt([player], library=library)


def add_show(rt, name: str = BB, **ids) -> db.Movie:
    folder = Path(rt.config.library_named("TV").path) / name
    folder.mkdir(parents=True, exist_ok=True)
    lib = db.Library.get(db.Library.name == "TV")
    return db.Movie.create(library=lib, path=str(folder), kind=db.SHOW, title=name, **ids)


def told_of_the_show(make_rt, tmp_path, kodi: FakeKodi, **ids):
    """Breaking Bad (2008), with these ids, queued for the Living room Kodi and told: the
    batch's report."""
    rt = tv_rt(make_rt, tmp_path, kodi)
    queue(add_show(rt, **ids))
    [report] = process_notifications(rt)
    return report


def test_a_new_show_gets_a_scan_of_its_folder_and_no_refresh(make_rt, tmp_path):
    with FakeKodi(sources=["smb://nas/tv/"], busy_polls=2) as kodi:
        report = told_of_the_show(make_rt, tmp_path, kodi, tmdb_id=1396)
    assert kodi.scans == [f"smb://nas/tv/{BB}/"]
    assert kodi.called("VideoLibrary.RefreshTVShow") == []
    assert kodi.violations == []  # it waited for the running scan instead of stopping it
    assert report.done == [f"scanned smb://nas/tv/{BB}/ for 1 new show"]
    assert states("Living room") == ["sent"]


def test_a_known_show_is_refreshed_without_its_episodes_then_scanned_for_new_ones(
    make_rt, tmp_path
):
    """RefreshTVShow re-reads tvshow.nfo and the art; `refreshepisodes` would make Kodi 20.1
    delete and re-add every episode (watched state lost), so new episode files come from a
    Scan of the show folder, which leaves the known ones alone."""
    shows = {7: (f"smb://nas/tv/{BB}/", IDS), 8: ("smb://nas/tv/Other/", {"tmdb": "1"})}
    with FakeKodi(sources=["smb://nas/tv/"], shows=shows) as kodi:
        report = told_of_the_show(make_rt, tmp_path, kodi, tmdb_id=1396)
    assert kodi.called("VideoLibrary.RefreshTVShow") == [
        {"tvshowid": 7, "ignorenfo": False, "refreshepisodes": False}
    ]
    assert kodi.scans == [f"smb://nas/tv/{BB}/"]
    assert report.done == [
        "refreshed 1 known show",
        f"scanned smb://nas/tv/{BB}/ for new episodes",
    ]
    assert report.sent == 1 and kodi.violations == []


def test_a_refreshed_show_drops_kodis_cached_copies_of_its_images(make_rt, tmp_path):
    """Season posters and episode thumbs keep their names when republished: Kodi's cached
    copies under the show folder go, so it reads the new files (see the movie test)."""
    shows = {7: (f"smb://nas/tv/{BB}/", IDS)}
    textures = {
        1: f"smb://nas/tv/{BB}/season01-poster.jpg",
        2: f"smb://nas/tv/{BB}/Season 1/{BB} S01E01-thumb.jpg",
        3: "smb://nas/tv/Other/poster.jpg",
    }
    with FakeKodi(sources=["smb://nas/tv/"], shows=shows, textures=textures) as kodi:
        report = told_of_the_show(make_rt, tmp_path, kodi, tmdb_id=1396)
    assert sorted(kodi.textures) == [3]
    assert report.sent == 1


def test_a_refused_refresh_leaves_the_show_to_retry(make_rt, tmp_path):
    with FakeKodi(sources=["smb://nas/tv/"], shows={7: (f"smb://nas/tv/{BB}/", IDS)}) as kodi:
        kodi.rpc_VideoLibrary_RefreshTVShow = lambda params: (_ for _ in ()).throw(
            ValueError("no such show")
        )
        report = told_of_the_show(make_rt, tmp_path, kodi, tmdb_id=1396)
    assert kodi.scans == [f"smb://nas/tv/{BB}/"]  # the scan still went out
    assert report.retrying == 1 and "RefreshTVShow was refused" in report.error


def test_camel_case_kodi_gets_camel_case_refresh(make_rt, tmp_path):
    shows = {7: (f"smb://nas/tv/{BB}/", IDS)}
    with FakeKodi(sources=["smb://nas/tv/"], shows=shows, version=(14, 1, 0), camel=True) as kodi:
        rt = tv_rt(make_rt, tmp_path, kodi)
        queue(add_show(rt))
        process_notifications(rt)
    assert kodi.called("VideoLibrary.RefreshTVShow") == [
        {"tvshowId": 7, "ignoreNfo": False, "refreshEpisodes": False}
    ]


def test_a_renamed_show_folder_replaces_kodis_old_show_keeping_the_watched_state(make_rt, tmp_path):
    """Renamed `Breaking Bad` -> `Breaking Bad (2008)` (the old folder is gone on our side):
    RefreshTVShow would re-read the old folder. So the new folder is scanned, the same files
    there get their play count back, and then the old show is removed."""
    old = "smb://nas/tv/Breaking Bad/"
    shows = {7: (old, {"tmdb": "1396", "tvdb": "81189"})}
    watched = {"playcount": 2, "resume": {"position": 0.0, "total": 0.0}, "lastplayed": "x"}
    episodes = {
        11: {"tvshowid": 7, "file": old + PILOT, "season": 1, "episode": 1, **watched},
        12: {"tvshowid": 7, "file": old + DOUBLE, "season": 1, "episode": 4, "playcount": 0},
    }
    with FakeKodi(sources=["smb://nas/tv/"], shows=shows, episodes=episodes) as kodi:

        def scan_adds_the_new_folder(directory):
            kodi.shows[8] = (directory, {"tmdb": "1396"})
            for episodeid, rel, number in ((31, PILOT, 1), (32, DOUBLE, 4), (33, DOUBLE, 5)):
                kodi.episodes[episodeid] = {
                    "tvshowid": 8,
                    "file": directory + rel,
                    "season": 1,
                    "episode": number,
                    "playcount": 0,
                }

        kodi.on_scan = scan_adds_the_new_folder
        report = told_of_the_show(
            make_rt, tmp_path, kodi, tmdb_id=1396, tvdb_id=81189, imdb_id="tt0903747"
        )
    assert kodi.called("VideoLibrary.RefreshTVShow") == []
    assert kodi.called("VideoLibrary.RemoveTVShow") == [{"tvshowid": 7}]
    assert kodi.scans == [f"smb://nas/tv/{BB}/"]
    assert kodi.called("VideoLibrary.SetEpisodeDetails") == [
        {"episodeid": 31, "playcount": 2, "lastplayed": "x"}
    ]
    assert sorted(kodi.shows) == [8] and kodi.episodes[31]["playcount"] == 2
    order = [m for m, _p in kodi.calls if m.startswith(("VideoLibrary.S", "VideoLibrary.R"))]
    assert order == [
        "VideoLibrary.Scan",
        "VideoLibrary.SetEpisodeDetails",
        "VideoLibrary.RemoveTVShow",
    ]
    assert report.done == [
        f"scanned smb://nas/tv/{BB}/ and removed the show at {old} (renamed); "
        "kept the watched state of 1 episode"
    ]
    assert report.sent == 1 and kodi.violations == []


def test_a_renamed_show_kodis_own_scan_found_first_keeps_what_was_watched_in_either_copy(
    make_rt, tmp_path
):
    """Sonarr renamed the folder and Kodi's own scan (its library update on start-up, or
    Sonarr's "Update library") came first: Kodi 20.1 added the new folder's episodes to the
    old show, each listed twice, and the pilot was since played in the new folder's copy
    (E4 in the old). Both are kept on the show Kodi adds again at the new folder."""
    old = "smb://nas/tv/Breaking Bad/"
    new = f"smb://nas/tv/{BB}/"
    shows = {7: (old, {"tmdb": "1396", "tvdb": "81189"})}
    unplayed = {"playcount": 0, "resume": {"position": 0.0, "total": 0.0}}
    played = {"playcount": 1, "resume": {"position": 0.0, "total": 0.0}, "lastplayed": "y"}
    episodes = {
        11: {"tvshowid": 7, "file": old + PILOT, "season": 1, "episode": 1, **unplayed},
        12: {"tvshowid": 7, "file": old + DOUBLE, "season": 1, "episode": 4, **played},
        21: {"tvshowid": 7, "file": new + PILOT, "season": 1, "episode": 1, **played},
        22: {"tvshowid": 7, "file": new + DOUBLE, "season": 1, "episode": 4, **unplayed},
    }
    with FakeKodi(sources=["smb://nas/tv/"], shows=shows, episodes=episodes) as kodi:

        def scan(directory):
            if 7 in kodi.shows:
                return  # unchanged since Kodi's own scan: skipped by its hash
            kodi.shows[9] = (directory, {"tmdb": "1396"})
            for episodeid, rel, number in ((31, PILOT, 1), (32, DOUBLE, 4)):
                kodi.episodes[episodeid] = {
                    "tvshowid": 9,
                    "file": directory + rel,
                    "season": 1,
                    "episode": number,
                    **unplayed,
                }

        kodi.on_scan = scan
        report = told_of_the_show(make_rt, tmp_path, kodi, tmdb_id=1396, tvdb_id=81189)
    assert kodi.called("VideoLibrary.RemoveTVShow") == [{"tvshowid": 7}]
    assert sorted(kodi.shows) == [9] and kodi.shows[9][0] == new
    assert {e: kodi.episodes[e]["playcount"] for e in kodi.episodes} == {31: 1, 32: 1}
    assert report.sent == 1 and kodi.violations == []


def test_a_renamed_show_kodi_found_first_as_a_show_of_its_own_takes_the_old_shows_state(
    make_rt, tmp_path
):
    """Sonarr renamed the folder and Kodi's own scan added the new folder as a second show (a
    tvshow.nfo whose title or year differs from the old one's, so Kodi did not add it to the
    old show). metarrd refreshed the show at the new folder and left the old one: Kodi listed
    the show twice, the old one holding the watched episodes. Now the old show's watched
    state goes to the same files at the new folder (one played there since keeps its own),
    and the old show is removed."""
    old = "smb://nas/tv/Breaking Bad/"
    new = f"smb://nas/tv/{BB}/"
    shows = {7: (old, {"tmdb": "1396", "tvdb": "81189"}), 8: (new, {"tmdb": "1396"})}
    unplayed = {"playcount": 0, "resume": {"position": 0.0, "total": 0.0}}
    played = {"playcount": 3, "resume": {"position": 0.0, "total": 0.0}, "lastplayed": "old"}
    mine = {"playcount": 1, "resume": {"position": 0.0, "total": 0.0}, "lastplayed": "new"}
    episodes = {
        11: {"tvshowid": 7, "file": old + PILOT, "season": 1, "episode": 1, **played},
        12: {"tvshowid": 7, "file": old + DOUBLE, "season": 1, "episode": 4, **played},
        31: {"tvshowid": 8, "file": new + PILOT, "season": 1, "episode": 1, **unplayed},
        32: {"tvshowid": 8, "file": new + DOUBLE, "season": 1, "episode": 4, **mine},
    }
    with FakeKodi(sources=["smb://nas/tv/"], shows=shows, episodes=episodes) as kodi:
        report = told_of_the_show(make_rt, tmp_path, kodi, tmdb_id=1396, tvdb_id=81189)
    assert kodi.called("VideoLibrary.RefreshTVShow") == [
        {"tvshowid": 8, "ignorenfo": False, "refreshepisodes": False}
    ]
    assert kodi.called("VideoLibrary.RemoveTVShow") == [{"tvshowid": 7}]
    assert sorted(kodi.shows) == [8]
    assert kodi.episodes[31]["playcount"] == 3 and kodi.episodes[31]["lastplayed"] == "old"
    assert kodi.episodes[32]["playcount"] == 1 and kodi.episodes[32]["lastplayed"] == "new"
    assert (
        f"removed the show at {old} (renamed; Kodi had it at {new} already); "
        "kept the watched state of 1 episode"
    ) in report.done
    assert report.sent == 1 and kodi.violations == []


def test_a_renamed_show_keeps_the_users_rating_and_tags_of_the_show(make_rt, tmp_path):
    """The user rated the show 8 and tagged it "Watch with Sam" in Kodi (its information
    dialog: VideoLibrary.SetTVShowDetails userrating and tag; Kodi keeps them in its
    database, no file has them). The folder renamed, the old show was removed with them: a
    renamed movie kept its rating and tags, a renamed show lost them. Now the new show gets
    them before the old one is removed, beside the tag its tvshow.nfo gave it (an NFO
    <tag>, as tinyMediaManager writes)."""
    old = "smb://nas/tv/Breaking Bad/"
    shows = {7: (old, {"tmdb": "1396", "tvdb": "81189"})}
    episodes = {11: {"tvshowid": 7, "file": old + PILOT, "season": 1, "episode": 1}}
    details = {7: {"userrating": 8, "tag": ["Watch with Sam"]}}
    with FakeKodi(
        sources=["smb://nas/tv/"], shows=shows, episodes=episodes, show_details=details
    ) as kodi:

        def scan(directory):
            kodi.shows[8] = (directory, {"tmdb": "1396"})
            kodi.show_details[8] = {"tag": ["AMC"]}
            kodi.episodes[31] = {
                "tvshowid": 8,
                "file": directory + PILOT,
                "season": 1,
                "episode": 1,
            }

        kodi.on_scan = scan
        report = told_of_the_show(make_rt, tmp_path, kodi, tmdb_id=1396, tvdb_id=81189)
    assert report.sent == 1, report.error
    assert sorted(kodi.shows) == [8]
    assert kodi.show_details[8] == {"userrating": 8, "tag": ["AMC", "Watch with Sam"]}
    order = [m for m, _p in kodi.calls if m.endswith(("SetTVShowDetails", "RemoveTVShow"))]
    assert order == ["VideoLibrary.SetTVShowDetails", "VideoLibrary.RemoveTVShow"]
    assert kodi.violations == []


def test_a_renamed_show_kodi_found_first_as_its_own_keeps_the_old_shows_rating_and_tags(
    make_rt, tmp_path
):
    """Kodi's own scan added the renamed folder as a show of its own, and the user rated
    that one 6 since: its rating stays, the old show's tags join its own, the old one goes."""
    old = "smb://nas/tv/Breaking Bad/"
    new = f"smb://nas/tv/{BB}/"
    shows = {7: (old, {"tmdb": "1396", "tvdb": "81189"}), 8: (new, {"tmdb": "1396"})}
    details = {7: {"userrating": 9, "tag": ["Favourites"]}, 8: {"userrating": 6, "tag": ["AMC"]}}
    with FakeKodi(sources=["smb://nas/tv/"], shows=shows, show_details=details) as kodi:
        report = told_of_the_show(make_rt, tmp_path, kodi, tmdb_id=1396, tvdb_id=81189)
    assert report.sent == 1, report.error
    assert sorted(kodi.shows) == [8]
    assert kodi.show_details[8] == {"userrating": 6, "tag": ["AMC", "Favourites"]}
    assert kodi.violations == []


def test_a_renamed_show_kodi_does_not_find_at_its_new_folder_keeps_its_old_show(make_rt, tmp_path):
    """The Scan of the new folder adds nothing (Kodi 20.1 answers "OK" to a Scan of a folder
    it cannot read: a path_map to a share Kodi mounts elsewhere, a failed scan). The old show
    was removed first, and the show and every episode's watched state were gone from Kodi.
    Now the old show stays as it was and the row is retried, naming the reason."""
    old = "smb://nas/tv/Breaking Bad/"
    shows = {7: (old, {"tmdb": "1396", "tvdb": "81189"})}
    watched = {"playcount": 2, "resume": {"position": 0.0, "total": 0.0}, "lastplayed": "x"}
    episodes = {11: {"tvshowid": 7, "file": old + PILOT, "season": 1, "episode": 1, **watched}}
    with FakeKodi(sources=["smb://nas/tv/"], shows=shows, episodes=episodes) as kodi:
        report = told_of_the_show(make_rt, tmp_path, kodi, tmdb_id=1396, tvdb_id=81189)
    assert kodi.scans == [f"smb://nas/tv/{BB}/"]
    assert kodi.called("VideoLibrary.RemoveTVShow") == []
    assert sorted(kodi.shows) == [7] and kodi.episodes[11]["playcount"] == 2
    assert report.retrying == 1
    assert f"smb://nas/tv/{BB}/ did not show up in Kodi" in report.error
    assert f"the show at {old} is kept" in report.error


def test_a_show_kodi_has_under_another_folder_that_still_exists_is_only_scanned(make_rt, tmp_path):
    """Two folders of the same show (say a 4K copy): both stay; nothing is removed."""
    shows = {7: ("smb://nas/tv/Breaking Bad/", {"tmdb": "1396", "tvdb": "81189"})}
    with FakeKodi(sources=["smb://nas/tv/"], shows=shows) as kodi:
        rt = tv_rt(make_rt, tmp_path, kodi)
        (tmp_path / "tv" / "Breaking Bad").mkdir(parents=True)
        queue(add_show(rt, tmdb_id=1396, tvdb_id=81189, imdb_id="tt0903747"))
        [report] = process_notifications(rt)
    assert kodi.called("VideoLibrary.RefreshTVShow") == []
    assert kodi.called("VideoLibrary.RemoveTVShow") == []
    assert kodi.scans == [f"smb://nas/tv/{BB}/"]
    assert kodi.called("VideoLibrary.GetTVShows") == [{"properties": ["file", "uniqueid"]}]
    assert report.sent == 1


def test_shows_and_movies_in_one_batch_refresh_first_then_scan_one_at_a_time(make_rt, tmp_path):
    shows = {7: (f"smb://nas/tv/{BB}/", IDS)}
    with FakeKodi(sources=["smb://nas/tv/"], shows=shows, scan_polls=2) as kodi:
        rt = tv_rt(make_rt, tmp_path, kodi)
        queue(add_show(rt, tmdb_id=1396))
        queue(add_show(rt, "Better Call Saul (2015)", tmdb_id=60059))
        queue(add_show(rt, "Doctor Who (2005)", tmdb_id=57243))
        [report] = process_notifications(rt)
    methods = [
        m for m, _p in kodi.calls if m in ("VideoLibrary.RefreshTVShow", "VideoLibrary.Scan")
    ]
    assert methods == ["VideoLibrary.RefreshTVShow"] + ["VideoLibrary.Scan"] * 3
    assert kodi.scans == [
        f"smb://nas/tv/{BB}/",
        "smb://nas/tv/Better Call Saul (2015)/",
        "smb://nas/tv/Doctor Who (2005)/",
    ]
    assert kodi.violations == []
    assert report.sent == 3 and states("Living room") == ["sent"] * 3


# --- a republished episode NFO pushed with SetEpisodeDetails (watched state kept) ---------------

PILOT = "Season 01/Breaking Bad - S01E01 - Pilot.mkv"
DOUBLE = "Season 01/Breaking Bad S01E04E05.mkv"


def write_episode(show_dir: Path, rel: str, blocks: list[EpisodeData], thumb: str = "jpg") -> None:
    video = show_dir / rel
    video.parent.mkdir(parents=True, exist_ok=True)
    video.write_bytes(b"")
    video.with_suffix(".nfo").write_bytes(render_episodes(blocks))
    if thumb:
        video.with_name(f"{video.stem}-thumb.{thumb}").write_bytes(b"\xff\xd8")


def block(episode: int, title: str, plot: str, **extra) -> EpisodeData:
    return EpisodeData(
        title=title,
        show_title="Breaking Bad",
        season=1,
        episode=episode,
        plot=plot,
        aired="2008-01-20",
        ratings=(Rating("tmdb", 8.2, 1290, default=True),),
        tmdb_id=62085 + episode,
        tvdb_id=349232 + episode,
        directors=("Vince Gilligan",),
        writers=("Vince Gilligan",),
        **extra,
    )


def kodi_episode(rel: str, number: int, title: str, plot: str, **extra) -> dict:
    """An episode as Kodi 20.1's GetEpisodes answers (ratings as float32, image:// art)."""
    file = f"smb://nas/tv/{BB}/{rel}"
    thumb = file.rsplit(".", 1)[0] + "-thumb.jpg"
    return {
        "tvshowid": 7,
        "file": file,
        "season": 1,
        "episode": number,
        "title": title,
        "plot": plot,
        "firstaired": "2008-01-20",
        "runtime": 3480,
        "director": ["Vince Gilligan"],
        "writer": ["Vince Gilligan"],
        "ratings": {"tmdb": {"default": True, "rating": 8.19999980926514, "votes": 1290}},
        "uniqueid": {"tmdb": str(62085 + number), "tvdb": str(349232 + number)},
        "art": {"thumb": "image://" + quote(thumb, safe="") + "/"},
        "playcount": 1,
        "resume": {"position": 120.0, "total": 3480.0},
        **extra,
    }


def test_a_changed_episode_nfo_is_pushed_with_set_episode_details_keeping_watched_state(
    make_rt, tmp_path
):
    """Only the episode whose NFO says something else than Kodi gets SetEpisodeDetails, with
    only the fields that differ (RefreshEpisode would re-add it: new id, play count 0)."""
    episodes = {
        11: kodi_episode(PILOT, 1, "Pilot", "Old plot."),
        12: kodi_episode(DOUBLE, 4, "Cancer Man", "Hank and Walt."),
        13: kodi_episode(DOUBLE, 5, "Gray Matter", "Walt declines."),
    }
    with FakeKodi(sources=["smb://nas/tv/"], shows={7: (f"smb://nas/tv/{BB}/", IDS)}) as kodi:
        kodi.episodes = episodes
        rt = tv_rt(make_rt, tmp_path, kodi)
        show = add_show(rt, tmdb_id=1396)
        write_episode(Path(show.path), PILOT, [block(1, "Pilot", "A teacher's new plot.")])
        write_episode(
            Path(show.path),
            DOUBLE,
            [block(4, "Cancer Man", "Hank and Walt."), block(5, "Gray Matter!", "Walt declines.")],
        )
        queue(show)
        [report] = process_notifications(rt)
    assert kodi.called("VideoLibrary.GetEpisodes") == [
        {"tvshowid": 7, "properties": kodi_tv.EPISODE_PROPERTIES}
    ]
    assert kodi.called("VideoLibrary.SetEpisodeDetails") == [
        {"episodeid": 11, "plot": "A teacher's new plot."},
        {"episodeid": 13, "title": "Gray Matter!"},
    ]
    assert kodi.episodes[11]["playcount"] == 1 and kodi.episodes[11]["resume"]["position"] == 120
    assert report.done == [
        "refreshed 1 known show",
        "updated 2 known episodes in place",
        f"scanned smb://nas/tv/{BB}/ for new episodes",
    ]
    assert report.sent == 1 and kodi.violations == []


def test_new_ids_ratings_and_thumb_reach_kodi_and_other_folders_are_left_alone(make_rt, tmp_path):
    episodes = {
        11: kodi_episode(PILOT, 1, "Pilot", "Plot.", uniqueid={"tmdb": "62086"}),
        # the same show's episode under its old folder (before a rename): not ours to compare
        21: kodi_episode(PILOT, 1, "Pilot", "Other.", file="smb://nas/tv/Breaking Bad/x.mkv"),
    }
    with FakeKodi(
        sources=["smb://nas/tv/"], shows={7: (f"smb://nas/tv/{BB}/", IDS)}, camel=True
    ) as kodi:
        kodi.episodes = episodes
        rt = tv_rt(make_rt, tmp_path, kodi)
        show = add_show(rt, tmdb_id=1396)
        pilot = block(1, "Pilot", "Plot.", runtime=58)
        pilot = replace(pilot, ratings=(Rating("tmdb", 8.4, 1300, default=True),))
        write_episode(Path(show.path), PILOT, [pilot], thumb="png")
        queue(show)
        process_notifications(rt)
    [sent] = kodi.called("VideoLibrary.SetEpisodeDetails")
    thumb = f"smb://nas/tv/{BB}/Season 01/Breaking Bad - S01E01 - Pilot-thumb.png"
    assert sent == {
        "episodeId": 11,
        "ratings": {"tmdb": {"rating": 8.4, "votes": 1300, "default": True}},
        "uniqueid": {"tmdb": "62086", "tvdb": "349233"},
        "art": {"thumb": thumb},
    }  # the runtime is never compared: Kodi 20.1 reports the video's own duration


def test_an_episode_without_an_nfo_of_its_number_is_not_touched(make_rt, tmp_path):
    episodes = {11: kodi_episode(PILOT, 1, "Pilot", "Old plot.")}
    with FakeKodi(sources=["smb://nas/tv/"], shows={7: (f"smb://nas/tv/{BB}/", IDS)}) as kodi:
        kodi.episodes = episodes
        rt = tv_rt(make_rt, tmp_path, kodi)
        show = add_show(rt, tmdb_id=1396)
        write_episode(Path(show.path), PILOT, [block(2, "Cat's in the Bag...", "New.")])
        queue(show)
        [report] = process_notifications(rt)
    assert kodi.called("VideoLibrary.SetEpisodeDetails") == []
    assert report.sent == 1 and "updated" not in " ".join(report.done)


def test_an_episode_nfo_linked_out_of_every_library_is_not_read(make_rt, tmp_path):
    """Our episode NFO swapped for a link (or one publish left) to a file outside every library:
    what it leads to is not read and never sent to Kodi; a link into a library is read."""
    episodes = {
        11: kodi_episode(PILOT, 1, "Pilot", "Old plot."),
        12: kodi_episode(DOUBLE, 4, "Cancer Man", "Hank and Walt."),
    }
    outside = tmp_path / "elsewhere" / "private.nfo"
    outside.parent.mkdir()
    outside.write_bytes(render_episodes([block(1, "Pilot", "Something private.")]))
    with FakeKodi(sources=["smb://nas/tv/"], shows={7: (f"smb://nas/tv/{BB}/", IDS)}) as kodi:
        kodi.episodes = episodes
        rt = tv_rt(make_rt, tmp_path, kodi)
        show = add_show(rt, tmdb_id=1396)
        write_episode(Path(show.path), PILOT, [block(1, "Pilot", "Old plot.")])
        write_episode(Path(show.path), DOUBLE, [block(4, "Cancer Man", "Hank and Walt.")])
        pilot_nfo = (Path(show.path) / PILOT).with_suffix(".nfo")
        pilot_nfo.unlink()
        pilot_nfo.symlink_to(outside)
        inside = Path(show.path) / "extras.nfo"  # a link into the library is the user's choice
        inside.write_bytes(render_episodes([block(4, "Cancer Man!", "Hank and Walt.")]))
        double_nfo = (Path(show.path) / DOUBLE).with_suffix(".nfo")
        double_nfo.unlink()
        double_nfo.symlink_to(inside)
        queue(show)
        [report] = process_notifications(rt)
    assert kodi.called("VideoLibrary.SetEpisodeDetails") == [
        {"episodeid": 12, "title": "Cancer Man!"}
    ]
    assert report.sent == 1


def test_episode_nfo_blocks_parse_as_kodi_reads_them():
    data = render_episodes([block(4, "Cancer Man", "Hank."), block(5, "Gray Matter", "Walt.")])
    blocks = kodi_tv.parse_episode_nfo(data)
    assert [(b.season, b.episode, b.title, b.plot) for b in blocks] == [
        (1, 4, "Cancer Man", "Hank."),
        (1, 5, "Gray Matter", "Walt."),
    ]
    assert blocks[0].ratings == {"tmdb": (8.2, 1290, True)}
    assert blocks[0].uniqueid == {"tmdb": "62089", "tvdb": "349236"}
    assert blocks[0].firstaired == "2008-01-20" and blocks[0].writer == ("Vince Gilligan",)
    kodi = kodi_episode(DOUBLE, 4, "Cancer Man", "Hank.")
    thumb = kodi_tv.image_path(kodi["art"]["thumb"])
    assert kodi_tv.episode_changes(kodi, blocks[0], thumb) == {}
    assert kodi_tv.parse_episode_nfo(b"<?xml version='1.0'?><episodedetails><title>x") == []


def test_a_show_moved_out_of_every_kodi_source_is_not_removed_from_kodi(make_rt, tmp_path):
    """The show moved from `Drama/` to `Archive/`, a folder no Kodi source holds. Its old show
    was removed, then the Scan of the new folder added nothing (Kodi scans no folder outside
    its sources: VideoInfoScanner.cpp DoScan, content NONE), so the show and every episode's
    watched state were gone from Kodi. Nothing is removed now; the row fails naming the
    folder."""
    old = f"smb://nas/tv/Drama/{BB}/"
    shows = {7: (old, {"tmdb": "1396", "tvdb": "81189"})}
    with FakeKodi(sources=["smb://nas/tv/Drama/"], shows=shows) as kodi:
        rt = tv_rt(make_rt, tmp_path, kodi)
        queue(add_show(rt, f"Archive/{BB}", tmdb_id=1396, tvdb_id=81189))
        process_notifications(rt)
    assert kodi.called("VideoLibrary.RemoveTVShow") == []
    assert kodi.scans == [] and sorted(kodi.shows) == [7]
    row = db.PlayerNotification.get()
    assert row.state == "pending"
    assert f"no Kodi video source holds smb://nas/tv/Archive/{BB}/" in row.last_error


# --- many new shows in one batch ------------------------------------------------------------------


def test_a_batch_of_many_new_shows_means_one_scan_of_the_library_not_one_per_show(
    make_rt, tmp_path
):
    """A first publish of a TV library, or Sonarr importing a pack of several shows: one Scan per
    new show folder was 50 scans one after another (each waiting for the last to finish), and
    the batch, cut at BATCH_SECONDS, left the rest to a retry while the player's other
    notifications waited. Kodi's Scan of the TV source lists its show folders and skips each
    unchanged one by its hash (`CVideoInfoScanner::EnumerateSeriesFolder`, "Skipping dir ... due
    to no change"), so one Scan of the library adds all 50, as for movies."""
    shows = {7: (f"smb://nas/tv/{BB}/", IDS)}
    with FakeKodi(sources=["smb://nas/tv/"], shows=shows, scan_polls=2) as kodi:
        rt = tv_rt(make_rt, tmp_path, kodi)
        queue(add_show(rt, tmdb_id=1396))
        for i in range(50):
            queue(add_show(rt, f"Show {i:02d} (2010)", tmdb_id=1000 + i))
        [report] = process_notifications(rt)
    assert kodi.called("VideoLibrary.RefreshTVShow") == [
        {"tvshowid": 7, "ignorenfo": False, "refreshepisodes": False}
    ]
    # one Scan of the library, which also finds the known show's new episodes
    assert kodi.scans == ["smb://nas/tv/"]
    assert "scanned smb://nas/tv/ for 50 new shows and new episodes of 1 known" in report.done
    assert kodi.violations == []
    assert report.sent == 51 and set(states("Living room")) == {"sent"}


def test_up_to_three_new_shows_are_scanned_by_their_own_folders(make_rt, tmp_path):
    """A few new shows never cost a scan of the whole library (the users' complaint: "full-library
    rescans for one new file")."""
    names = ("Better Call Saul (2015)", "Doctor Who (2005)", "The Wire (2002)")
    with FakeKodi(sources=["smb://nas/tv/"]) as kodi:
        rt = tv_rt(make_rt, tmp_path, kodi)
        for i, name in enumerate(names):
            queue(add_show(rt, name, tmdb_id=2000 + i))
        [report] = process_notifications(rt)
    assert kodi.scans == [f"smb://nas/tv/{name}/" for name in names]
    assert report.sent == 3 and kodi.violations == []


def test_a_renamed_show_is_moved_before_the_library_scan_for_new_shows(make_rt, tmp_path):
    """A Scan of the library would add the renamed folder's episodes to Kodi's old show (each
    episode twice in Kodi 20.1) before the move: the move goes first."""
    old = "smb://nas/tv/Breaking Bad/"
    with FakeKodi(sources=["smb://nas/tv/"], shows={7: (old, {"tmdb": "1396"})}) as kodi:

        def scan(directory):
            if directory == f"smb://nas/tv/{BB}/":
                kodi.shows[8] = (directory, {"tmdb": "1396"})

        kodi.on_scan = scan
        rt = tv_rt(make_rt, tmp_path, kodi)
        for i in range(4):
            queue(add_show(rt, f"Show {i:02d} (2010)", tmdb_id=1000 + i))
        queue(add_show(rt, tmdb_id=1396))
        [report] = process_notifications(rt)
    methods = [m for m, _p in kodi.calls if m in ("VideoLibrary.RemoveTVShow", "VideoLibrary.Scan")]
    assert methods == ["VideoLibrary.Scan", "VideoLibrary.RemoveTVShow", "VideoLibrary.Scan"]
    assert kodi.scans == [f"smb://nas/tv/{BB}/", "smb://nas/tv/"]
    assert report.sent == 5 and kodi.violations == []


def test_many_known_shows_are_refreshed_each_and_scanned_for_new_episodes_once(make_rt, tmp_path):
    """Kodi already has the library (scraped by Kodi before metarrd published it): each show gets
    its RefreshTVShow (which never waits for a scan), and one Scan of the library finds every
    new episode file: since Kodi 15 the TV source itself keeps no hash (xbmc/xbmc#6646), so
    its Scan enumerates every show folder and rescans each changed season folder ("Rescanning
    dir '.../Brother vs. Brother/Season 08/' due to change", matthuisman/docker-kodi-headless
    #28). One Scan per show was 5 scans one after another."""
    names = [f"Show {i:02d} (2010)" for i in range(5)]
    shows = {10 + i: (f"smb://nas/tv/{n}/", {"tmdb": str(1000 + i)}) for i, n in enumerate(names)}
    with FakeKodi(sources=["smb://nas/tv/"], shows=shows, scan_polls=2) as kodi:
        rt = tv_rt(make_rt, tmp_path, kodi)
        for i, name in enumerate(names):
            queue(add_show(rt, name, tmdb_id=1000 + i))
        [report] = process_notifications(rt)
    refreshed = [p["tvshowid"] for p in kodi.called("VideoLibrary.RefreshTVShow")]
    assert sorted(refreshed) == sorted(shows)
    methods = [
        m for m, _p in kodi.calls if m in ("VideoLibrary.RefreshTVShow", "VideoLibrary.Scan")
    ]
    assert methods[-1] == "VideoLibrary.Scan"  # after every refresh
    assert kodi.scans == ["smb://nas/tv/"]
    assert report.done[-1] == "scanned smb://nas/tv/ for new episodes of 5 known shows"
    assert report.sent == 5 and kodi.violations == []


def test_a_show_rated_in_kodi_keeps_its_rating_and_tags_across_its_refresh(make_rt, tmp_path):
    """Kodi 20.1's RefreshTVShow sets the show's user rating to its tvshow.nfo's, none
    (CVideoDatabase::UpdateDetailsForTvShow writes `userrating = NULL`; seen in
    tests/players/test_real_kodi.py), and keeps its tags: a show the user rated in Kodi lost
    its rating each time metarrd republished it. It is given back after the refresh."""
    shows = {8: (f"smb://nas/tv/{BB}/", IDS)}
    details = {8: {"userrating": 7, "tag": ["Binge"]}}
    with FakeKodi(sources=["smb://nas/tv/"], shows=shows, show_details=details) as kodi:
        report = told_of_the_show(make_rt, tmp_path, kodi, tmdb_id=1396)
    assert report.sent == 1, report.error
    assert kodi.called("VideoLibrary.SetTVShowDetails") == [{"tvshowid": 8, "userrating": 7}]
    assert kodi.show_details[8] == {"userrating": 7, "tag": ["Binge"]}


def test_a_tag_taken_out_of_tvshow_nfo_goes_from_kodi_and_the_users_own_stays(make_rt, tmp_path):
    """Kodi 20.1's RefreshTVShow only adds tvshow.nfo's tags: `UpdateDetailsForTvShow` adds
    the NFO's tag links (AddLinksToItem), and `DeleteDetailsForTvShow` before it drops the
    genre, actor, director and studio links, not the tag links (xbmc/video/VideoDatabase.cpp).
    A tag the user took out in metarrd's review stayed on the show in Kodi for good. The
    tags of the tvshow.nfo Kodi was told to read are noted, and one the new NFO lost goes
    (SetTVShowDetails, which replaces the tags: VideoLibrary.cpp removes them first); a tag
    the user gave the show in Kodi stays."""
    shows = {8: (f"smb://nas/tv/{BB}/", IDS)}
    details = {8: {"tag": ["Anime", "Mecha"]}}
    nfo = {8: {"tag": ["Anime", "Mecha"]}}
    with FakeKodi(
        sources=["smb://nas/tv/"], shows=shows, show_details=details, show_nfo_details=nfo
    ) as kodi:
        rt = tv_rt(make_rt, tmp_path, kodi)
        show = add_show(rt, tmdb_id=1396)
        tvshow_nfo = Path(show.path) / "tvshow.nfo"
        tvshow_nfo.write_text("<tvshow><title>BB</title><tag>Anime</tag><tag>Mecha</tag></tvshow>")
        queue(show)
        process_notifications(rt)
        kodi.show_details[8]["tag"].append("Favourites")  # the user's, in Kodi
        # "Mecha" taken out in the review, published
        tvshow_nfo.write_text("<tvshow><title>BB</title><tag>Anime</tag></tvshow>")
        kodi.show_nfo_details[8] = {"tag": ["Anime"]}
        queue(show)
        [report] = process_notifications(rt, now=later(minutes=1))
    assert report.sent == 1, report.error
    assert kodi.show_details[8] == {"tag": ["Anime", "Favourites"]}
    assert kodi.violations == []


def test_a_tag_taken_out_of_tvshow_nfo_goes_from_kodi_in_the_spelling_kodi_has(make_rt, tmp_path):
    """Kodi links the tvshow.nfo's `<tag>time travel</tag>` (a TMDB keyword) to the tag
    `Time Travel` the user made in Kodi before: `CVideoDatabase::AddToTable` looks it up with
    `WHERE name LIKE` (SQLite's LIKE folds ASCII case), and the show lists it so. Taken out
    of tvshow.nfo, it stayed on the show in Kodi: the show's `Time Travel` was not the
    noted `time travel` by its spelling, so it passed for the user's own."""
    shows = {8: (f"smb://nas/tv/{BB}/", IDS)}
    nfo = {8: {"tag": ["time travel"]}}
    with FakeKodi(
        sources=["smb://nas/tv/"],
        shows=shows,
        tag_names=["Time Travel"],  # the user's, on another show first
        show_details={8: {"tag": ["time travel"]}},
        show_nfo_details=nfo,
    ) as kodi:
        assert kodi.show_details[8] == {"tag": ["Time Travel"]}
        rt = tv_rt(make_rt, tmp_path, kodi)
        show = add_show(rt, tmdb_id=1396)
        tvshow_nfo = Path(show.path) / "tvshow.nfo"
        tvshow_nfo.write_text("<tvshow><title>BB</title><tag>time travel</tag></tvshow>")
        queue(show)
        process_notifications(rt)
        tvshow_nfo.write_text("<tvshow><title>BB</title></tvshow>")  # the keyword dropped
        kodi.show_nfo_details[8] = {}
        queue(show)
        [report] = process_notifications(rt, now=later(minutes=1))
    assert report.sent == 1, report.error
    assert kodi.show_details[8] == {"tag": []}
    assert kodi.violations == []


def test_a_renamed_shows_kept_state_leaves_the_tvshow_nfo_tags_the_row_noted(make_rt, tmp_path):
    """A show row's `kept_state` holds the tags of the tvshow.nfo Kodi read, and a renamed
    show's watched state while Kodi has it nowhere: keeping that state, and clearing it once
    given back, leave the noted tags (else the next refresh would know none to take off),
    and a row that noted only tags has no watched state to give back."""
    with FakeKodi(sources=["smb://nas/tv/"]) as kodi:
        rt = tv_rt(make_rt, tmp_path, kodi)
        [row] = queue(add_show(rt, tmdb_id=1396))
    kodi_kept.note_nfo_tags({row.id: ["Anime"]})
    assert kodi_kept.load([row.id]) == {}
    pilot = kodi_tv.Watched(PILOT, 1, 1, {"playcount": 1})
    kodi_kept.keep(row.id, [pilot], {"userrating": 8})
    assert kodi_kept.load([row.id]) == {row.id: [pilot]}
    assert kodi_kept.told_tags(row.id) == ["Anime"]
    kodi_kept.clear(row.id)
    assert kodi_kept.load([row.id]) == {} and kodi_kept.told_tags(row.id) == ["Anime"]


def test_tags_are_told_apart_as_kodis_sqlite_like_does():
    """`WHERE name LIKE '<name>'`: ASCII letter case folded, other letters not (SQLite's
    LIKE without ICU; https://www.sqlite.org/lang_expr.html#like)."""
    assert kodi_tv.tags_lacking(["Time Travel", "Émile", "drama"], ["time travel", "émile"]) == [
        "Émile",
        "drama",
    ]
    assert kodi_tv.tags_among(["Time Travel", "Émile"], ["TIME TRAVEL", "émile"]) == ["Time Travel"]
    assert kodi_tv.tag_union(["Anime"], ["anime", "Mecha"]) == ["Anime", "Mecha"]


def _rated_show_refreshed_late(make_rt, tmp_path, kodi: FakeKodi, monkeypatch):
    """Breaking Bad, rated 7 and tagged "Binge" in Kodi, republished while Kodi's refresh
    job waits in its queue (CVideoLibraryQueue runs one job at a time, a long scan first)
    past the watch: the show still has its rating. The runtime and the show."""
    from metarrd.players import kodi_state

    monkeypatch.setattr(kodi_state, "REFRESH_WAIT_SECONDS", 0.3)
    kodi.queued_refresh = True
    rt = tv_rt(make_rt, tmp_path, kodi)
    show = add_show(rt, tmdb_id=1396)
    (Path(show.path) / "tvshow.nfo").write_text("<tvshow><title>BB</title><tag>AMC</tag></tvshow>")
    kodi.show_nfo_details[8] = {"tag": ["AMC"]}
    [row] = queue(show)
    [report] = process_notifications(rt)
    assert report.sent == 1 and report.looking == 1, report
    assert kodi.queued_shows == [8] and kodi.show_details[8]["userrating"] == 7
    kept = db.PlayerNotification.get_by_id(row.id).kept_state
    assert {"show_refresh": {"userrating": 7}} in kept and {"nfo_tags": ["AMC"]} in kept
    kodi.queued_refresh = False
    return rt, show


def _show_refreshes(kodi: FakeKodi) -> int:
    return len(kodi.called("VideoLibrary.RefreshTVShow"))


RATED = {8: {"userrating": 7, "tag": ["Binge"]}}


def test_a_show_refresh_kodi_runs_late_gives_the_rating_back_without_another_refresh(
    make_rt, tmp_path, monkeypatch
):
    """Kodi ran the RefreshTVShow after the watch (REFRESH_WAIT_SECONDS): it set the show's
    rating to its tvshow.nfo's, none, and a warning in the log was all: the rating the user
    gave the show was gone for good (the next publish noted none to give back). The row is
    looked at again, no RefreshTVShow sent again, and once the show's rating is reset it goes
    back. Its tags need nothing kept: the refresh only adds tvshow.nfo's, so the user's
    "Binge" stays beside the NFO's "AMC"; and the row keeps the NFO tags it noted."""
    shows = {8: (f"smb://nas/tv/{BB}/", IDS)}
    with FakeKodi(sources=["smb://nas/tv/"], shows=shows, show_details=RATED) as kodi:
        rt, _show = _rated_show_refreshed_late(make_rt, tmp_path, kodi, monkeypatch)
        assert states("Living room") == ["checking"]
        [before] = process_notifications(rt, now=later(minutes=1))  # not run yet
        assert before.looking == 1 and before.error is None
        kodi.run_queued()
        assert kodi.show_details[8]["userrating"] == 0
        [report] = process_notifications(rt, now=later(minutes=3))
    assert kodi.show_details[8] == {"userrating": 7, "tag": ["Binge", "AMC"]}
    assert _show_refreshes(kodi) == 1
    assert report.checked == 1 and report.done == [
        f"gave the show at smb://nas/tv/{BB}/ back its rating after Kodi ran its refresh late"
    ]
    assert states("Living room") == ["sent"]
    assert db.PlayerNotification.get_by_id(1).kept_state == [{"nfo_tags": ["AMC"]}]
    assert process_notifications(rt, now=later(minutes=60)) == []


def test_a_rating_the_user_gave_the_show_after_the_late_refresh_wins(
    make_rt, tmp_path, monkeypatch
):
    shows = {8: (f"smb://nas/tv/{BB}/", IDS)}
    with FakeKodi(sources=["smb://nas/tv/"], shows=shows, show_details=RATED) as kodi:
        rt, _show = _rated_show_refreshed_late(make_rt, tmp_path, kodi, monkeypatch)
        kodi.run_queued()
        kodi.show_details[8]["userrating"] = 5  # rated again in Kodi
        [report] = process_notifications(rt, now=later(minutes=2))
    assert report.checked == 1 and states("Living room") == ["sent"]
    assert kodi.show_details[8] == {"userrating": 5, "tag": ["Binge", "AMC"]}
    assert kodi.called("VideoLibrary.SetTVShowDetails") == []


def test_a_show_refresh_kodi_never_runs_in_the_looks_leaves_the_rating_to_the_next_refresh(
    make_rt, tmp_path, monkeypatch
):
    """Kodi quit with the refresh queued: the looks go on until `notify_retry_minutes` after
    it was told, then the row is sent, the rating kept. Kodi runs the refresh after all
    (started again), and the show's next publish gives the rating back."""
    shows = {8: (f"smb://nas/tv/{BB}/", IDS)}
    with FakeKodi(sources=["smb://nas/tv/"], shows=shows, show_details=RATED) as kodi:
        rt, show = _rated_show_refreshed_late(make_rt, tmp_path, kodi, monkeypatch)
        for minutes in (2, 10, 20):
            [report] = process_notifications(rt, now=later(minutes=minutes))
            assert report.looking == 1 and states("Living room") == ["checking"]
        process_notifications(rt, now=later(minutes=32))
        assert states("Living room") == ["sent"]
        assert _show_refreshes(kodi) == 1
        kodi.run_queued()
        queue(show)
        [report] = process_notifications(rt, now=later(minutes=60 * 24))
    assert report.sent == 1 and report.looking == 0, report
    assert kodi.show_details[8] == {"userrating": 7, "tag": ["Binge", "AMC"]}
    assert states("Living room") == ["sent", "sent"]
    assert not any(
        "show_refresh" in e for row in db.PlayerNotification.select() for e in row.kept_state or ()
    )


def test_a_newer_publish_of_the_show_takes_over_from_the_look(make_rt, tmp_path, monkeypatch):
    """The show published again while its row is looked at, after Kodi ran the late refresh:
    the new row's refresh gives the kept rating back; the old row is done without a look."""
    shows = {8: (f"smb://nas/tv/{BB}/", IDS)}
    with FakeKodi(sources=["smb://nas/tv/"], shows=shows, show_details=RATED) as kodi:
        rt, show = _rated_show_refreshed_late(make_rt, tmp_path, kodi, monkeypatch)
        kodi.run_queued()
        queue(show)
        [report] = process_notifications(rt, now=later(minutes=2))
    assert report.sent == 1 and _show_refreshes(kodi) == 2
    assert states("Living room") == ["sent", "sent"]
    assert kodi.show_details[8] == {"userrating": 7, "tag": ["Binge", "AMC"]}


RENAMED = (
    f"{BB} {{tvdb-81189}}"  # Sonarr's series folder format "{Series TitleYear} {tvdb-{TvdbId}}"
)


def _renamed_after_the_late_refresh(rt, show: db.Movie) -> None:
    """Sonarr renamed the show's folder, and the show is published again there."""
    new = Path(show.path).with_name(RENAMED)
    Path(show.path).rename(new)
    db.Movie.update(path=str(new)).where(db.Movie.id == show.id).execute()
    queue(db.Movie.get_by_id(show.id))


def test_a_show_renamed_after_its_late_refresh_gets_its_rating_back_at_the_move(
    make_rt, tmp_path, monkeypatch
):
    """Kodi ran the late RefreshTVShow (the show's rating reset to its tvshow.nfo's, none),
    then the folder was renamed: the move gave the new show the old one's rating as Kodi had
    it, none, and the rating kept in the row came back only at the show's next refresh,
    maybe months later. The move gives it, and the row keeps it no more."""
    shows = {8: (f"smb://nas/tv/{BB}/", IDS)}
    with FakeKodi(sources=["smb://nas/tv/"], shows=shows, show_details=RATED) as kodi:
        rt, show = _rated_show_refreshed_late(make_rt, tmp_path, kodi, monkeypatch)
        kodi.run_queued()
        assert kodi.show_details[8]["userrating"] == 0

        def scan(directory):
            kodi.shows[9] = (directory, {"tmdb": "1396"})
            kodi.show_details[9] = {"tag": ["AMC"]}

        kodi.on_scan = scan
        _renamed_after_the_late_refresh(rt, show)
        [report] = process_notifications(rt, now=later(minutes=2))
    assert report.sent == 1, report.error
    assert sorted(kodi.shows) == [9] and kodi.shows[9][0] == f"smb://nas/tv/{RENAMED}/"
    assert kodi.show_details[9] == {"userrating": 7, "tag": ["AMC", "Binge"]}
    assert _show_refreshes(kodi) == 1
    assert not any(
        "show_refresh" in e for row in db.PlayerNotification.select() for e in row.kept_state or ()
    )
    assert kodi.violations == []


def test_a_show_kodi_found_renamed_after_its_late_refresh_gets_its_rating_back(
    make_rt, tmp_path, monkeypatch
):
    """The same, with Kodi's own scan having added the renamed folder as a show of its own
    (the old show, reset by the late refresh, beside it): the new show's refresh sets the kept
    rating on it first, and gives it back after; the old show goes."""
    shows = {8: (f"smb://nas/tv/{BB}/", IDS)}
    with FakeKodi(sources=["smb://nas/tv/"], shows=shows, show_details=RATED) as kodi:
        rt, show = _rated_show_refreshed_late(make_rt, tmp_path, kodi, monkeypatch)
        kodi.run_queued()
        kodi.shows[9] = (f"smb://nas/tv/{RENAMED}/", {"tmdb": "1396"})
        kodi.show_details[9] = {"tag": ["AMC"]}
        _renamed_after_the_late_refresh(rt, show)
        [report] = process_notifications(rt, now=later(minutes=2))
    assert report.sent == 1, report.error
    assert sorted(kodi.shows) == [9]
    assert kodi.show_details[9] == {"userrating": 7, "tag": ["AMC", "Binge"]}
    assert not any(
        "show_refresh" in e for row in db.PlayerNotification.select() for e in row.kept_state or ()
    )
    assert kodi.violations == []

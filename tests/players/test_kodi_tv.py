"""A published show told to Kodi: a Scan of its folder when new, RefreshTVShow when Kodi has it."""

from __future__ import annotations

from pathlib import Path

from player_fakes import FakeKodi
from player_helpers import queue, states

from metarrd import db
from metarrd.players import process_notifications

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


def test_a_new_show_gets_a_scan_of_its_folder_and_no_refresh(make_rt, tmp_path):
    with FakeKodi(sources=["smb://nas/tv/"], busy_polls=2) as kodi:
        rt = tv_rt(make_rt, tmp_path, kodi)
        queue(add_show(rt, tmdb_id=1396))
        [report] = process_notifications(rt)
    assert kodi.scans == [f"smb://nas/tv/{BB}/"]
    assert kodi.called("VideoLibrary.RefreshTVShow") == []
    assert kodi.violations == []  # it waited for the running scan instead of stopping it
    assert report.done == [f"scanned smb://nas/tv/{BB}/ for 1 new show(s)"]
    assert states("Living room") == ["sent"]


def test_a_known_show_is_refreshed_without_its_episodes_then_scanned_for_new_ones(
    make_rt, tmp_path
):
    """RefreshTVShow re-reads tvshow.nfo and the art; `refreshepisodes` would make Kodi 20.1
    delete and re-add every episode (watched state lost), so new episode files come from a
    Scan of the show folder, which leaves the known ones alone."""
    shows = {7: (f"smb://nas/tv/{BB}/", IDS), 8: ("smb://nas/tv/Other/", {"tmdb": "1"})}
    with FakeKodi(sources=["smb://nas/tv/"], shows=shows) as kodi:
        rt = tv_rt(make_rt, tmp_path, kodi)
        queue(add_show(rt, tmdb_id=1396))
        [report] = process_notifications(rt)
    assert kodi.called("VideoLibrary.RefreshTVShow") == [
        {"tvshowid": 7, "ignorenfo": False, "refreshepisodes": False}
    ]
    assert kodi.scans == [f"smb://nas/tv/{BB}/"]
    assert report.done == [
        "refreshed 1 known show(s)",
        f"scanned smb://nas/tv/{BB}/ for new episodes",
    ]
    assert report.sent == 1 and kodi.violations == []


def test_a_refused_refresh_leaves_the_show_to_retry(make_rt, tmp_path):
    with FakeKodi(sources=["smb://nas/tv/"], shows={7: (f"smb://nas/tv/{BB}/", IDS)}) as kodi:
        kodi.rpc_VideoLibrary_RefreshTVShow = lambda params: (_ for _ in ()).throw(
            ValueError("no such show")
        )
        rt = tv_rt(make_rt, tmp_path, kodi)
        queue(add_show(rt, tmdb_id=1396))
        [report] = process_notifications(rt)
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


def test_a_show_kodi_has_under_its_old_folder_is_found_by_uniqueid_and_scanned(make_rt, tmp_path):
    """Renamed `Breaking Bad` -> `Breaking Bad (2008)`: refreshing Kodi's show would re-read
    the old folder, so the new folder is scanned (Kodi adds the episodes there)."""
    shows = {7: ("smb://nas/tv/Breaking Bad/", {"tmdb": "1396", "tvdb": "81189"})}
    with FakeKodi(sources=["smb://nas/tv/"], shows=shows) as kodi:
        rt = tv_rt(make_rt, tmp_path, kodi)
        queue(add_show(rt, tmdb_id=1396, tvdb_id=81189, imdb_id="tt0903747"))
        [report] = process_notifications(rt)
    assert kodi.called("VideoLibrary.RefreshTVShow") == []
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

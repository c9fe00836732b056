"""The queue across players: one batch per player, the right requests each, retries, no blocking."""

from __future__ import annotations

import logging
import time
from datetime import timedelta
from pathlib import Path

from player_fakes import FakeJellyfin, FakeKodi, FakePlex, PlexSection
from player_helpers import add_movie, kodi_player, later, queue, states

from metarrd import db, logs
from metarrd.players import due_in, process_notifications

TITLES = ["Alien (1979)", "Heat (1995)", "Ran (1985)"]


def players(kodi, jelly, plex, root) -> list[dict]:
    return [
        kodi_player(kodi.url, root, timeout_seconds=2.0),
        {
            "name": "Jelly",
            "type": "jellyfin",
            "url": jelly.url,
            "token": "jf-key",
            "libraries": ["Movies"],
            "path_map": [{"from": root, "to": "/media/movies"}],
            "timeout_seconds": 2.0,
        },
        {
            "name": "Plex",
            "type": "plex",
            "url": plex.url + "/",
            "token": "plex-token",
            "libraries": ["Movies"],
            "path_map": [{"from": root, "to": "/data/movies"}],
            "timeout_seconds": 2.0,
        },
    ]


def test_a_batch_reaches_kodi_jellyfin_and_plex_each_with_targeted_requests(make_rt, tmp_path):
    root = str(tmp_path / "movies")
    sections = [PlexSection("1", "TV", ["/data/tv"]), PlexSection("2", "Films", ["/data/movies"])]
    with (
        FakeKodi(
            sources=["smb://nas/movies/"],
            movies={5: "smb://nas/movies/Heat (1995)/Heat (1995).mkv"},
        ) as kodi,
        FakeJellyfin(locations=["/media/movies"]) as jelly,
        FakePlex(sections=sections) as plex,
    ):
        rt = make_rt(players(kodi, jelly, plex, root))
        for title in TITLES:
            queue(add_movie(rt, f"{title}/{title}.mkv"))

        reports = process_notifications(rt)

    assert sorted((r.player, r.sent, r.failed) for r in reports) == [
        ("Jelly", 3, 0),
        ("Kodi", 3, 0),
        ("Plex", 3, 0),
    ]
    # Kodi: the known movie refreshed, the two new ones scanned folder by folder
    assert kodi.called("VideoLibrary.RefreshMovie") == [{"movieid": 5, "ignorenfo": False}]
    assert kodi.scans == ["smb://nas/movies/Alien (1979)/", "smb://nas/movies/Ran (1985)/"]
    assert kodi.violations == []
    # Jellyfin: one request naming every changed video, with the MediaBrowser token header
    assert jelly.updates == [
        [{"Path": f"/media/movies/{t}/{t}.mkv", "UpdateType": "Modified"} for t in TITLES]
    ]
    posts = [r for r in jelly.requests if r.method == "POST"]
    assert len(posts) == 1
    assert posts[0].path == "/Library/Media/Updated"
    assert posts[0].headers["authorization"] == 'MediaBrowser Token="jf-key"'
    # Plex: the section is looked up as JSON, then a partial scan per folder in that section
    listing = [r for r in plex.requests if r.path == "/library/sections"]
    assert listing and listing[0].headers["accept"] == "application/json"
    assert {r.headers["x-plex-token"] for r in plex.requests} == {"plex-token"}
    assert all("X-Plex-Token" not in str(r.query) for r in plex.requests)
    assert plex.refreshes == [("2", f"/data/movies/{t}") for t in TITLES]
    for name in ("Kodi", "Jelly", "Plex"):
        assert states(name) == ["sent"] * 3
    assert db.Event.select().where(db.Event.kind == "notify.done").count() == 3


def test_jellyfin_refreshes_the_published_movies_not_their_whole_library(make_rt, tmp_path):
    """Jellyfin refreshes the nearest item up each reported path. A movie's item is its video
    file (MovieResolver), so a reported movie folder reached the library folder itself: every
    publish refreshed the whole library (and two folders side by side are rebased onto their
    parent anyway). The video file reaches the movie alone; a new one still reaches the
    library folder, which is how Jellyfin finds it."""
    root = str(tmp_path / "movies")
    known = [
        "/media/movies/Alien (1979)/Alien (1979).mkv",
        "/media/movies/Heat (1995)/Heat (1995).mkv",
    ]
    with (
        FakeKodi() as kodi,
        FakeJellyfin(locations=["/media/movies"], items=known) as jelly,
        FakePlex() as plex,
    ):
        rt = make_rt(players(kodi, jelly, plex, root)[1:2])
        for title in TITLES[:2]:
            queue(add_movie(rt, f"{title}/{title}.mkv"))
        process_notifications(rt)
        assert jelly.refreshed == set(known)

        queue(add_movie(rt, f"{TITLES[2]}/{TITLES[2]}.mkv"))
        process_notifications(rt, now=later(seconds=10))
        assert "/media/movies" in jelly.refreshed  # a new movie: the library folder finds it
    assert states("Jelly") == ["sent"] * 3


def test_plex_refreshes_the_parent_when_many_folders_changed(make_rt, tmp_path):
    root = str(tmp_path / "movies")
    with (
        FakeKodi(sources=["smb://nas/movies/"]) as kodi,
        FakeJellyfin() as jelly,
        FakePlex(sections=[PlexSection("2", "Films", ["/data/movies"])]) as plex,
    ):
        rt = make_rt(players(kodi, jelly, plex, root)[2:])
        for i in range(30):
            queue(add_movie(rt, f"M{i}/M{i}.mkv"))
        process_notifications(rt)

    assert plex.refreshes == [("2", "/data/movies")]
    assert states("Plex") == ["sent"] * 30


def test_plex_folder_outside_every_section_is_an_error_naming_it(make_rt, tmp_path):
    root = str(tmp_path / "movies")
    with (
        FakeKodi() as kodi,
        FakeJellyfin() as jelly,
        FakePlex(sections=[PlexSection("1", "TV", ["/data/tv"])]) as plex,
    ):
        rt = make_rt(players(kodi, jelly, plex, root)[2:])
        queue(add_movie(rt, "A/A.mkv"))
        process_notifications(rt)

    assert plex.refreshes == []
    row = db.PlayerNotification.get()
    assert "no library section has a folder holding /data/movies/A" in row.last_error


def test_a_plex_refresh_refused_fails_only_its_own_folders(make_rt, tmp_path):
    """A section removed in Plex after it was listed answers 404 to its refresh: the movies
    of that section are not told (and retried), the movies of the other sections are told and
    marked sent, not left unsent nor refreshed again and again as failures."""
    root = str(tmp_path / "movies")
    sections = [
        PlexSection("2", "Films", ["/data/movies"]),
        PlexSection("3", "Kids", ["/data/movies/Kids"]),
    ]
    with (
        FakeKodi() as kodi,
        FakeJellyfin() as jelly,
        FakePlex(sections=sections, gone={"3"}) as plex,
    ):
        rt = make_rt(players(kodi, jelly, plex, root)[2:])
        queue(add_movie(rt, "Kids/Up (2009)/Up (2009).mkv"))
        queue(add_movie(rt, "Heat (1995)/Heat (1995).mkv"))
        (report,) = process_notifications(rt)

    assert plex.refreshes == [("2", "/data/movies/Heat (1995)")]
    assert (report.sent, report.retrying) == (1, 1)
    assert states("Plex") == ["pending", "sent"]
    row = db.PlayerNotification.get(db.PlayerNotification.state == "pending")
    assert "HTTP 404" in row.last_error


def test_notifications_within_the_window_wait_and_go_together(make_rt, tmp_path):
    root = str(tmp_path / "movies")
    with FakeKodi() as kodi, FakeJellyfin() as jelly, FakePlex() as plex:
        rt = make_rt(
            players(kodi, jelly, plex, root)[1:2],
            daemon={"notify_window_seconds": 60, "notify_retry_minutes": 30},
        )
        queue(add_movie(rt, "A/A.mkv"))
        assert 59 <= due_in(rt) <= 60
        assert process_notifications(rt) == []  # still inside the window
        queue(add_movie(rt, "B/B.mkv"))

        process_notifications(rt, now=later(seconds=61))

    assert jelly.updates == [
        [
            {"Path": "/media/movies/A/A.mkv", "UpdateType": "Modified"},
            {"Path": "/media/movies/B/B.mkv", "UpdateType": "Modified"},
        ]
    ]
    assert due_in(rt) is None


def test_a_hanging_player_does_not_hold_up_the_others(make_rt, tmp_path):
    root = str(tmp_path / "movies")
    with FakeKodi() as kodi, FakeJellyfin() as jelly, FakePlex() as plex:
        config = players(kodi, jelly, plex, root)[:2]
        config[0]["timeout_seconds"] = 0.3
        kodi.hang.set()  # accepts the connection, never answers
        rt = make_rt(config)
        queue(add_movie(rt, "A/A.mkv"))

        reports = {r.player: r for r in process_notifications(rt)}

    assert reports["Jelly"].sent == 1
    assert reports["Kodi"].retrying == 1
    assert "did not answer within 0.3 s" in reports["Kodi"].error
    assert states("Jelly") == ["sent"]
    assert states("Kodi") == ["pending"]


def test_bad_jellyfin_token_is_said_plainly(make_rt, tmp_path):
    root = str(tmp_path / "movies")
    with FakeKodi() as kodi, FakeJellyfin(token="other") as jelly, FakePlex() as plex:
        rt = make_rt(players(kodi, jelly, plex, root)[1:2])
        queue(add_movie(rt, "A/A.mkv"))
        process_notifications(rt)

    assert jelly.updates == []
    error = db.MediaPlayer.get(db.MediaPlayer.name == "Jelly").last_error
    assert "refused our credentials (HTTP 401)" in error and "token" in error


def test_rows_of_removed_or_disabled_players_are_left_alone(make_rt, tmp_path):
    root = str(tmp_path / "movies")
    with FakeKodi() as kodi, FakeJellyfin() as jelly, FakePlex() as plex:
        rt = make_rt(players(kodi, jelly, plex, root)[1:2])
        queue(add_movie(rt, "A/A.mkv"))
        db.MediaPlayer.update(enabled=False).execute()
        assert process_notifications(rt) == []
        assert due_in(rt) is None
    assert jelly.requests == []


def test_a_password_in_a_kodi_path_is_sent_to_kodi_but_never_shown_or_logged(
    make_rt, tmp_path, caplog
):
    """An FTP source in Kodi's sources.xml with its login written in (`ftp://kodi:pass@nas/`,
    the form Kodi's wiki shows; Kodi keeps the login in the paths of what it scans from there,
    and strips it in its own answers for smb:// only): the path_map has to name the same
    path. The scan request carries it; the "scanned …" of the activity list, the player's
    report and the log line said it too."""
    root = str(tmp_path / "movies")
    with FakeKodi(sources=["ftp://kodi:FtpS3cret@nas/movies/"]) as kodi:
        config = players(kodi, kodi, kodi, root)[:1]
        config[0]["path_map"] = [{"from": root, "to": "ftp://kodi:FtpS3cret@nas/movies"}]
        rt = make_rt(config)
        queue(add_movie(rt, "Heat (1995)/Heat (1995).mkv"))
        before = logging.getLogRecordFactory()
        logs.install()  # as `metarrd run` does
        try:
            with caplog.at_level("INFO"):
                [report] = process_notifications(rt)
        finally:
            logging.setLogRecordFactory(before)

    assert kodi.scans == ["ftp://kodi:FtpS3cret@nas/movies/Heat (1995)/"]  # Kodi needs it
    assert report.sent == 1
    shown = [*report.done, *(e.message for e in db.Event.select()), caplog.text]
    assert any("scanned ftp://…@nas/movies/Heat (1995)/" in text for text in shown)
    assert not any("FtpS3cret" in text for text in shown)


def test_a_token_pasted_with_spaces_around_it_still_works(make_rt, tmp_path):
    """A token copied with a space around it (from Plex's 'View XML' address bar, Jellyfin's
    API key list): Plex compared `X-Plex-Token` as sent and refused it, a leading space was
    'an API key or token ... starts with a space' (requests refuses such a header), and
    Jellyfin reads `Token="..."` up to the quotes (AuthorizationContext.GetParts), spaces
    included. Neither kind of token holds a space."""
    root = str(tmp_path / "movies")
    with (
        FakeKodi() as kodi,
        FakeJellyfin(locations=["/media/movies"]) as jelly,
        FakePlex(sections=[PlexSection("2", "Films", ["/data/movies"])]) as plex,
    ):
        config = players(kodi, jelly, plex, root)[1:]
        config[0]["token"] = " jf-key "
        config[1]["token"] = " plex-token\t"
        rt = make_rt(config)
        queue(add_movie(rt, "A/A.mkv"))
        process_notifications(rt)

    assert states("Jelly") == ["sent"] and states("Plex") == ["sent"]
    assert jelly.updates and plex.refreshes == [("2", "/data/movies/A")]


def test_a_player_switched_off_is_told_nothing_until_it_is_on_again(make_rt, tmp_path):
    """`enabled = false` in its [[player]]: the player stays configured (its settings, its
    queued rows) but a publish queues nothing for it and nothing queued is sent; switched on
    again, what was queued before goes out."""
    from metarrd.publish.apply import queue_notifications

    root = str(tmp_path / "movies")
    with FakeJellyfin(locations=["/media/movies"]) as jelly:
        player = {
            "name": "Jelly",
            "type": "jellyfin",
            "url": jelly.url,
            "token": "jf-key",
            "libraries": ["Movies"],
            "path_map": [{"from": root, "to": "/media/movies"}],
            "timeout_seconds": 2.0,
        }
        rt = make_rt([player])
        heat = add_movie(rt, "Heat (1995)/Heat (1995).mkv")
        queue(heat)  # published while it was on

        rt = make_rt([{**player, "enabled": False}])
        alien = add_movie(rt, "Alien (1979)/Alien (1979).mkv")
        with db.write_transaction():
            assert queue_notifications([(alien, True)]) == {}
        assert process_notifications(rt, now=later(minutes=1)) == []
        assert due_in(rt) is None  # the daemon waits for nothing
        assert jelly.updates == [] and states("Jelly") == ["pending"]

        rt = make_rt([player])
        [report] = process_notifications(rt, now=later(minutes=2))
    assert report.sent == 1 and states("Jelly") == ["sent"]
    assert jelly.updates == [
        [{"Path": "/media/movies/Heat (1995)/Heat (1995).mkv", "UpdateType": "Modified"}]
    ]


def test_a_row_waiting_for_a_player_switched_off_follows_its_item_renamed(make_rt, tmp_path):
    """A row queued before the player was switched off waits for it; the item's folder renamed
    by hand meanwhile (the scan follows it: `tell_players_moved`, nothing published) moves
    that row to the new path, as it does for a player switched on. It went out for the old
    path once switched on: the player was told of a folder gone, and never of the new one."""
    from metarrd.publish.apply import tell_players_moved

    root = str(tmp_path / "movies")
    with FakeJellyfin(locations=["/media/movies"]) as jelly:
        player = {
            "name": "Jelly",
            "type": "jellyfin",
            "url": jelly.url,
            "token": "jf-key",
            "libraries": ["Movies"],
            "path_map": [{"from": root, "to": "/media/movies"}],
            "timeout_seconds": 2.0,
        }
        rt = make_rt([player])
        heat = add_movie(rt, "Heat/Heat.mkv")
        queue(heat)  # published while it was on

        rt = make_rt([{**player, "enabled": False}])
        renamed = tmp_path / "movies" / "Heat (1995)" / "Heat (1995).mkv"
        renamed.parent.mkdir()
        Path(heat.path).rename(renamed)
        db.Movie.update(path=str(renamed)).where(db.Movie.id == heat.id).execute()
        tell_players_moved([heat.id])
        assert states("Jelly") == ["pending"]

        rt = make_rt([player])
        [report] = process_notifications(rt, now=later(minutes=2))
    assert report.sent == 1 and states("Jelly") == ["sent"]
    assert jelly.updates == [
        [{"Path": "/media/movies/Heat (1995)/Heat (1995).mkv", "UpdateType": "Modified"}]
    ]


def test_a_clock_set_back_does_not_hold_a_notification_for_the_hours_it_went_back(
    make_rt, tmp_path, monkeypatch
):
    """A published movie's notification waits the 60 s window; NTP then sets the board's clock
    back three hours. Its row's times were the old clock's: no pass found it due for 3 h 1 min
    (the daemon's next notify job waited as long), and Kodi showed the movie hours late. The
    daemon's look that notices the clock going back (`jobs.bring_forward`) brings them
    forward too."""
    from metarrd.pipeline import jobs

    class ClockBack:  # metarrd.pipeline.jobs' `time`: the wall clock three hours back
        def time(self) -> float:
            return time.time() - 3 * 3600

        def __getattr__(self, name: str):
            return getattr(time, name)

    root = str(tmp_path / "movies")
    with FakeKodi() as kodi, FakeJellyfin() as jelly, FakePlex() as plex:
        rt = make_rt(
            players(kodi, jelly, plex, root)[1:2],
            daemon={"notify_window_seconds": 60, "notify_retry_minutes": 30},
        )
        queue(add_movie(rt, "A/A.mkv"))
        back = db.now() - timedelta(hours=3)  # what the clock reads now
        monkeypatch.setattr(jobs, "time", ClockBack())
        jobs.bring_forward(3 * 3600)
        assert due_in(rt, now=back) <= 60
        (report,) = process_notifications(rt, now=back + timedelta(seconds=61))
    assert report.sent == 1
    assert [u[0]["Path"] for u in jelly.updates] == ["/media/movies/A/A.mkv"]

"""A renamed show Kodi 20.1 merged into its old one: the old show's watched state is kept in
the notification row from before `RemoveTVShow` until it is given back, so a scan that does
not add the folder again, or a daemon killed in between, loses nothing (kodi_kept)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from player_fakes import FakeKodi
from player_helpers import later, queue, states
from test_kodi_tv import BB, PILOT, add_show, tv_rt

from metarrd import db
from metarrd.players import kodi, kodi_kept, process_notifications

OLD = "smb://nas/tv/Breaking Bad/"
NEW = f"smb://nas/tv/{BB}/"
WATCHED = {"playcount": 2, "resume": {"position": 60.0, "total": 2800.0}, "lastplayed": "x"}


def merged_kodi() -> FakeKodi:
    """Kodi 20.1 with `Breaking Bad/` (its pilot watched, resumed at 60 s) as Sonarr's rename
    to `Breaking Bad (2008)/` finds it (tests/players/test_real_kodi.py: a Scan of the new
    folder adds it to the old show, each episode listed twice)."""
    shows = {7: (OLD, {"tmdb": "1396", "tvdb": "81189"})}
    episodes = {11: {"tvshowid": 7, "file": OLD + PILOT, "season": 1, "episode": 1, **WATCHED}}
    return FakeKodi(sources=["smb://nas/tv/"], shows=shows, episodes=episodes)


def queued_show(make_rt, tmp_path, fake: FakeKodi):
    """A runtime whose Living room is `fake`, with Breaking Bad (2008) queued for it."""
    rt = tv_rt(make_rt, tmp_path, fake)
    show = add_show(rt, tmdb_id=1396, tvdb_id=81189)
    queue(show)
    return rt, show


def scans_into_old_show_then(kodi: FakeKodi, adds_again: bool):
    """The first Scan adds the new folder to the old show; once that show is removed, a Scan
    adds it as a show of its own only when `adds_again` (else: Kodi busy, crashed, nothing)."""

    def scan(directory):
        if 7 in kodi.shows:
            show = 7
        elif adds_again:
            show = 9
            kodi.shows[9] = (directory, {"tmdb": "1396"})
        else:
            return
        kodi.episodes[30 + show] = {
            "tvshowid": show,
            "file": directory + PILOT,
            "season": 1,
            "episode": 1,
            "playcount": 0,
        }

    return scan


def test_a_renamed_show_kodi_adds_to_its_old_show_is_added_again_on_its_own(make_rt, tmp_path):
    """What Kodi 20.1 does (tests/players/test_real_kodi.py, and on the same set-up): a Scan of
    the new folder of a show it has (same title and year) adds its episodes to the old show,
    each listed twice, and the show's `file` stays the old folder. That show is removed once
    the new folder's episodes are in it, and the new folder scanned again: Kodi then adds it
    as a show of its own, whose episodes get the watched state."""
    with merged_kodi() as fake:
        fake.on_scan = scans_into_old_show_then(fake, adds_again=True)
        rt, _show = queued_show(make_rt, tmp_path, fake)
        [report] = process_notifications(rt)
    assert fake.scans == [NEW, NEW]
    assert fake.called("VideoLibrary.RemoveTVShow") == [{"tvshowid": 7}]
    assert sorted(fake.shows) == [9] and fake.shows[9][0] == NEW
    assert [e["file"] for e in fake.episodes.values()] == [NEW + PILOT]
    assert fake.episodes[39]["playcount"] == 2
    assert fake.episodes[39]["resume"] == {"position": 60.0, "total": 2800.0}
    assert report.sent == 1 and fake.violations == []


def kept_state() -> list:
    return [row.kept_state for row in db.PlayerNotification.select()]


def test_a_merged_show_not_added_again_keeps_its_watched_state_for_the_next_attempt(
    make_rt, tmp_path
):
    """The second Scan adds nothing (Kodi busy, crashed): the old show is gone, and its watched
    state was only in memory. Now it is in the row: the retry, once Kodi adds the folder,
    gives it back and the row keeps nothing more."""
    with merged_kodi() as fake:
        fake.on_scan = scans_into_old_show_then(fake, adds_again=False)
        rt, _show = queued_show(make_rt, tmp_path, fake)
        [report] = process_notifications(rt)
        assert fake.called("VideoLibrary.RemoveTVShow") == [{"tvshowid": 7}]
        assert report.retrying == 1 and "is kept" in report.error
        assert fake.shows == {} and fake.episodes == {}  # Kodi has it nowhere now
        assert kept_state() == [[{"file": PILOT, "season": 1, "episode": 1, **WATCHED}]]

        fake.on_scan = scans_into_old_show_then(fake, adds_again=True)  # Kodi is back
        [report] = process_notifications(rt, now=later(minutes=1))
    assert report.sent == 1, report.error
    assert sorted(fake.shows) == [9] and fake.shows[9][0] == NEW
    assert fake.episodes[39]["playcount"] == 2
    assert fake.episodes[39]["resume"] == {"position": 60.0, "total": 2800.0}
    assert fake.episodes[39]["lastplayed"] == "x"
    assert kept_state() == [None] and states("Living room") == ["sent"]
    assert fake.violations == []


class Killed(BaseException):
    """The daemon killed (SIGKILL, a power cut): nothing after this point runs."""


def killed(*args):
    raise Killed


def test_a_daemon_killed_right_after_removing_the_merged_show_gives_it_back_next_time(
    make_rt, tmp_path, monkeypatch
):
    """Killed between `RemoveTVShow` and the Scan that re-adds the folder: the row is still
    pending, Kodi has the show nowhere; the next attempt scans it and gives the state back."""
    scan_and_wait = kodi.Kodi.scan_and_wait
    calls = []

    def killed_at_the_second(self, folder):
        calls.append(folder)
        if len(calls) == 2:
            raise Killed
        scan_and_wait(self, folder)

    with merged_kodi() as fake:
        fake.on_scan = scans_into_old_show_then(fake, adds_again=True)
        rt, _show = queued_show(make_rt, tmp_path, fake)
        monkeypatch.setattr(kodi.Kodi, "scan_and_wait", killed_at_the_second)
        with pytest.raises(Killed):
            process_notifications(rt)
        monkeypatch.setattr(kodi.Kodi, "scan_and_wait", scan_and_wait)
        assert fake.called("VideoLibrary.RemoveTVShow") == [{"tvshowid": 7}]
        assert fake.shows == {} and states("Living room") == ["pending"]

        [report] = process_notifications(rt, now=later(minutes=1))
    assert report.sent == 1, report.error
    assert sorted(fake.shows) == [9] and fake.episodes[39]["playcount"] == 2
    assert fake.episodes[39]["resume"] == {"position": 60.0, "total": 2800.0}
    assert kept_state() == [None]
    assert fake.violations == []


def test_a_kept_watched_state_whose_row_gave_up_is_given_back_with_the_next_one(make_rt, tmp_path):
    """Kodi stayed off longer than `notify_retry_minutes` after the removal: the row that kept
    the state gave up (failed). The show's next notification (a publish, a rename) gives it
    back, and neither row keeps it afterwards."""
    with merged_kodi() as fake:
        fake.on_scan = scans_into_old_show_then(fake, adds_again=False)
        rt, show = queued_show(make_rt, tmp_path, fake)
        [report] = process_notifications(rt)
        assert report.retrying == 1 and fake.shows == {}
        db.PlayerNotification.update(state="failed").execute()  # its retry time used up

        fake.on_scan = scans_into_old_show_then(fake, adds_again=True)
        queue(show, created=later(minutes=-1))  # the show published again
        [report] = process_notifications(rt)
    assert report.sent == 1, report.error
    assert sorted(fake.shows) == [9] and fake.episodes[39]["playcount"] == 2
    assert fake.episodes[39]["resume"] == {"position": 60.0, "total": 2800.0}
    assert kept_state() == [None, None] and states("Living room") == ["failed", "sent"]
    assert fake.violations == []


def test_a_merged_show_not_added_again_keeps_the_users_rating_and_tags_of_the_show(
    make_rt, tmp_path
):
    """The user rated the show 9 and tagged it "Favourites" in Kodi (its information dialog:
    VideoLibrary.SetTVShowDetails userrating and tag; tests/players/test_real_kodi.py step 5).
    RemoveTVShow drops them with the old show: they were lost with every renamed show. Now
    they are kept in the row with the episodes' state and the show Kodi adds again at the
    new folder gets them, beside the tag its tvshow.nfo gave it."""
    with merged_kodi() as fake:
        fake.show_details[7] = {"userrating": 9, "tag": ["Favourites"]}
        fake.on_scan = scans_into_old_show_then(fake, adds_again=False)
        rt, _show = queued_show(make_rt, tmp_path, fake)
        [report] = process_notifications(rt)
        assert report.retrying == 1 and fake.shows == {}
        [kept] = kept_state()
        assert {"show": {"userrating": 9, "tag": ["Favourites"]}} in kept

        def scan(directory):  # Kodi is back: the folder added, its tvshow.nfo's <tag>
            scans_into_old_show_then(fake, adds_again=True)(directory)
            fake.show_details[9] = {"tag": ["AMC"]}

        fake.on_scan = scan
        [report] = process_notifications(rt, now=later(minutes=1))
    assert report.sent == 1, report.error
    assert fake.show_details[9] == {"userrating": 9, "tag": ["AMC", "Favourites"]}
    assert fake.episodes[39]["playcount"] == 2
    assert kept_state() == [None] and fake.violations == []


def test_a_kept_show_rating_gives_no_old_value_back_over_the_users_rating_since(make_rt, tmp_path):
    """The show's rating (9) kept in a row that gave up (Kodi off for long after the old show's
    removal). Kodi's own scan added the new folder since (Sonarr's "Update library"), and the
    user rated that show 5 in Kodi. The show's next publish, a month later, gave 9 back over
    it; the user's rating since wins, as for a renamed show Kodi found first (`adopt_show`)."""
    with merged_kodi() as fake:
        fake.show_details[7] = {"userrating": 9, "tag": ["Favourites"]}
        fake.on_scan = scans_into_old_show_then(fake, adds_again=False)
        rt, show = queued_show(make_rt, tmp_path, fake)
        [report] = process_notifications(rt)
        assert report.retrying == 1 and fake.shows == {}
        db.PlayerNotification.update(state="failed").execute()  # its retry time used up

        scans_into_old_show_then(fake, adds_again=True)(NEW)  # Kodi's own scan
        fake.on_scan = None
        fake.show_details[9] = {"userrating": 5}  # rated in Kodi since
        queue(show, created=later(minutes=60 * 24 * 30))  # published again a month later
        [report] = process_notifications(rt, now=later(minutes=60 * 24 * 30 + 1))
    assert report.sent == 1, report.error
    assert fake.show_details[9] == {"userrating": 5, "tag": ["Favourites"]}
    assert fake.episodes[39]["playcount"] == 2
    assert kept_state() == [None, None] and fake.violations == []


E2 = "Season 01/Breaking.Bad.S01E02.Cats.in.the.Bag.1080p.BluRay.x264.mkv"
SEEN = {
    "playcount": 1,
    "resume": {"position": 0.0, "total": 0.0},
    "lastplayed": "2026-11-30 21:04:11",
}


def seen_kodi(*files: str) -> FakeKodi:
    """Kodi with `Breaking Bad/` whose episodes (these files of season 1, in order) were
    played through (`SEEN`)."""
    shows = {7: (OLD, {"tmdb": "1396", "tvdb": "81189"})}
    episodes = {
        10 + number: {"tvshowid": 7, "file": OLD + file, "season": 1, "episode": number, **SEEN}
        for number, file in enumerate(files, 1)
    }
    return FakeKodi(sources=["smb://nas/tv/"], shows=shows, episodes=episodes)


def given_back_then_killed(rt, monkeypatch) -> None:
    """The row's attempt gives the kept state back, and the daemon is killed before it clears
    it from the row."""
    clear = kodi_kept.clear
    monkeypatch.setattr(kodi_kept, "clear", killed)
    with pytest.raises(Killed):
        process_notifications(rt)
    monkeypatch.setattr(kodi_kept, "clear", clear)


def test_an_episode_marked_unwatched_since_its_state_was_given_back_stays_unwatched(
    make_rt, tmp_path, monkeypatch
):
    """The state kept for a merged show was given back (the pilot and E2 watched again), and
    the daemon was killed before the row's final clear. The user then marked E2 unwatched in
    Kodi ("Mark as unwatched": play count and last played time none). The row's next attempt
    gave E2 its old play count back, for it was unplayed (the row kept it whole). Each
    episode given goes out of the row at once: none is kept, none given again."""

    def scan(directory):  # into the old show first; once it is removed, a show of its own
        show = 7 if 7 in fake.shows else 9
        fake.shows.setdefault(show, (directory, {"tmdb": "1396"}))
        for number, name in ((1, PILOT), (2, E2)):
            fake.episodes[show * 10 + number] = {
                **{"tvshowid": show, "file": directory + name, "season": 1, "episode": number},
                "playcount": 0,
            }

    with seen_kodi(PILOT, E2) as fake:
        fake.on_scan = scan
        rt, _show = queued_show(make_rt, tmp_path, fake)
        given_back_then_killed(rt, monkeypatch)
        assert fake.episodes[91]["playcount"] == 1 and fake.episodes[92]["playcount"] == 1
        assert states("Living room") == ["pending"] and kept_state() == [None]

        fake.episodes[92].update(playcount=0, lastplayed="")  # marked unwatched in Kodi
        fake.on_scan = None
        [report] = process_notifications(rt, now=later(minutes=1))
    assert report.sent == 1, report.error
    assert fake.episodes[92]["playcount"] == 0 and fake.episodes[92]["lastplayed"] == ""
    assert fake.episodes[91]["playcount"] == 1
    assert kept_state() == [None] and fake.violations == []


def test_a_show_still_rated_as_kept_is_no_reset_one_its_unwatched_pilot_stays_unwatched(
    make_rt, tmp_path, monkeypatch
):
    """As above, with one episode: the pilot marked unwatched since, nothing of it held. The
    show still has the rating kept for it (9; its tvshow.nfo has none, and a RemoveTVShow
    with the scan after would have left it none): the state was given back before, so it is
    not given again."""
    with seen_kodi(PILOT) as fake:
        fake.show_details[7] = {"userrating": 9}
        fake.on_scan = scans_into_old_show_then(fake, adds_again=True)
        rt, _show = queued_show(make_rt, tmp_path, fake)
        given_back_then_killed(rt, monkeypatch)
        assert fake.episodes[39]["playcount"] == 1 and fake.show_details[9]["userrating"] == 9

        fake.episodes[39].update(playcount=0, lastplayed="")  # marked unwatched in Kodi
        fake.on_scan = None
        [report] = process_notifications(rt, now=later(minutes=1))
    assert report.sent == 1, report.error
    assert fake.episodes[39]["playcount"] == 0 and fake.show_details[9]["userrating"] == 9
    assert kept_state() == [None] and fake.violations == []


def test_a_kept_play_count_goes_back_to_an_episode_kodi_re_added_with_its_resume_point(
    make_rt, tmp_path
):
    """Kodi 20.1 re-adds the new folder after RemoveTVShow with each episode's play count none
    and its resume point kept (a bookmark of the file: docs/players.md "A renamed show
    folder", seen in tests/players/test_real_kodi.py). The pilot's copy in the new folder,
    played once and resumed at 30 s since Kodi's own scan added it to the old show, came back
    with that resume point alone: no longer unplayed, it did not get its kept play count back.
    The resume point it was kept with is no sign of a play since."""
    again = {"playcount": 1, "resume": {"position": 30.0, "total": 2800.0}, "lastplayed": "y"}
    with merged_kodi() as fake:
        rt = tv_rt(make_rt, tmp_path, fake)

        def merged(directory):  # the new folder's copy played (Kodi's own scan added it)
            scans_into_old_show_then(fake, adds_again=False)(directory)
            if 37 in fake.episodes:
                fake.episodes[37].update(again)

        fake.on_scan = merged
        queue(add_show(rt, tmdb_id=1396, tvdb_id=81189))
        [report] = process_notifications(rt)
        assert report.retrying == 1 and fake.shows == {}

        def scan(directory):  # Kodi is back: the folder added, the file's bookmark kept
            scans_into_old_show_then(fake, adds_again=True)(directory)
            fake.episodes[39]["resume"] = dict(again["resume"])

        fake.on_scan = scan
        [report] = process_notifications(rt, now=later(minutes=1))
    assert report.sent == 1, report.error
    assert fake.episodes[39]["playcount"] == 1 and fake.episodes[39]["lastplayed"] == "y"
    assert fake.episodes[39]["resume"] == {"position": 30.0, "total": 2800.0}
    assert kept_state() == [None] and fake.violations == []


def test_a_give_back_kodi_broke_off_half_way_gives_the_rest_next_time(make_rt, tmp_path):
    """Kodi went away (restarted, the network) after the pilot got its kept state back and
    before E2 did. The row kept both: on its next attempt the pilot, holding its kept play
    count, made the show look given back whole, and E2's play count was dropped. What went
    back is kept no more; the rest goes back next time."""
    adds_again = {"now": False}

    def scan(directory):  # into the old show; once it is removed, a show of its own (if back)
        if 7 not in fake.shows and not adds_again["now"]:
            return
        show = 7 if 7 in fake.shows else 9
        fake.shows.setdefault(show, (directory, {"tmdb": "1396"}))
        for number, name in ((1, PILOT), (2, E2)):
            fake.episodes.setdefault(
                show * 10 + number,
                {
                    **{"tvshowid": show, "file": directory + name, "season": 1, "episode": number},
                    "playcount": 0,
                },
            )  # an episode Kodi has already is not added again

    with seen_kodi(PILOT, E2) as fake:
        fake.on_scan = scan
        rt, _show = queued_show(make_rt, tmp_path, fake)
        [report] = process_notifications(rt)
        assert report.retrying == 1 and fake.shows == {}  # removed, not added again: kept

        set_episode = fake.rpc_VideoLibrary_SetEpisodeDetails

        def gone_after_one(params):  # the web server stops once one episode got its state
            if fake.called("VideoLibrary.SetEpisodeDetails")[1:]:
                fake.jsonrpc_enabled = False
                raise ValueError("Kodi is stopping")
            return set_episode(params)

        fake.rpc_VideoLibrary_SetEpisodeDetails = gone_after_one
        adds_again["now"] = True
        [report] = process_notifications(rt, now=later(minutes=1))
        assert report.sent == 0
        assert fake.episodes[91]["playcount"] == 1 and fake.episodes[92]["playcount"] == 0

        fake.rpc_VideoLibrary_SetEpisodeDetails = set_episode
        fake.jsonrpc_enabled = True
        [report] = process_notifications(rt, now=later(minutes=10))
    assert report.sent == 1, report.error
    assert fake.episodes[91]["playcount"] == 1 and fake.episodes[92]["playcount"] == 1
    assert fake.episodes[92]["lastplayed"] == SEEN["lastplayed"]
    assert kept_state() == [None] and fake.violations == []


def test_a_show_rating_kodi_did_not_take_goes_back_next_time(make_rt, tmp_path):
    """The episodes got their kept state back, then Kodi went away before it took the show's
    kept rating and tag (SetTVShowDetails). On the row's next attempt the pilot, holding its
    kept play count, made the show look given back whole: the rating and tag were dropped."""
    with merged_kodi() as fake:
        fake.show_details[7] = {"userrating": 9, "tag": ["Favourites"]}
        fake.on_scan = scans_into_old_show_then(fake, adds_again=False)
        rt, _show = queued_show(make_rt, tmp_path, fake)
        [report] = process_notifications(rt)
        assert report.retrying == 1 and fake.shows == {}

        set_show = fake.rpc_VideoLibrary_SetTVShowDetails

        def gone(params):  # the web server stops before the show's own state
            fake.jsonrpc_enabled = False
            raise ValueError("Kodi is stopping")

        fake.rpc_VideoLibrary_SetTVShowDetails = gone
        fake.on_scan = scans_into_old_show_then(fake, adds_again=True)
        [report] = process_notifications(rt, now=later(minutes=1))
        assert report.sent == 0 and fake.episodes[39]["playcount"] == 2
        assert fake.show_details.get(9, {}).get("userrating") is None

        fake.rpc_VideoLibrary_SetTVShowDetails = set_show
        fake.jsonrpc_enabled = True
        fake.on_scan = None
        [report] = process_notifications(rt, now=later(minutes=10))
    assert report.sent == 1, report.error
    assert fake.show_details[9] == {"userrating": 9, "tag": ["Favourites"]}
    assert fake.episodes[39]["playcount"] == 2 and fake.episodes[39]["lastplayed"] == "x"
    assert kept_state() == [None] and fake.violations == []


def killed_after_one_episode(monkeypatch) -> None:
    """The daemon killed right after Kodi took one episode's kept state (its
    `SetEpisodeDetails` answered), before the next."""
    call = kodi.Kodi.call

    def call_then_killed(self, method, params=None):
        result = call(self, method, params)
        if method == "VideoLibrary.SetEpisodeDetails":
            raise Killed
        return result

    monkeypatch.setattr(kodi.Kodi, "call", call_then_killed)


def two_episodes_scan(fake: FakeKodi, adds_again: dict):
    """Scans into the old show; once it is removed, into a show of its own (when
    `adds_again["now"]`): the pilot and E2, unplayed."""

    def scan(directory):
        if 7 not in fake.shows and not adds_again["now"]:
            return
        show = 7 if 7 in fake.shows else 9
        fake.shows.setdefault(show, (directory, {"tmdb": "1396"}))
        for number, name in ((1, PILOT), (2, E2)):
            fake.episodes.setdefault(
                show * 10 + number,
                {
                    **{"tvshowid": show, "file": directory + name, "season": 1, "episode": number},
                    "playcount": 0,
                },
            )

    return scan


def test_a_daemon_killed_between_two_episodes_of_a_merged_show_gives_the_rest_next_time(
    make_rt, tmp_path, monkeypatch
):
    """Kodi added the renamed folder to the old show, which was removed and the folder added
    again as a show of its own; the daemon was killed after the pilot got its kept state back
    and before E2 did. The row kept both: on its next attempt the pilot, holding its kept
    play count, made the show look given back whole, and E2's was dropped."""
    with seen_kodi(PILOT, E2) as fake:
        fake.on_scan = two_episodes_scan(fake, {"now": True})
        rt, _show = queued_show(make_rt, tmp_path, fake)
        with monkeypatch.context() as m, pytest.raises(Killed):
            killed_after_one_episode(m)
            process_notifications(rt)
        assert sorted(fake.shows) == [9] and states("Living room") == ["pending"]
        assert [fake.episodes[91]["playcount"], fake.episodes[92]["playcount"]] == [1, 0]

        fake.on_scan = None
        [report] = process_notifications(rt, now=later(minutes=1))
    assert report.sent == 1, report.error
    assert fake.episodes[91]["playcount"] == 1 and fake.episodes[92]["playcount"] == 1
    assert fake.episodes[92]["lastplayed"] == SEEN["lastplayed"]
    assert kept_state() == [None] and fake.violations == []


def test_a_daemon_killed_between_two_episodes_of_a_give_back_gives_the_rest_next_time(
    make_rt, tmp_path, monkeypatch
):
    """The folder was not added again after the old show's removal (kept in the row); the
    next attempt, Kodi back, gave the pilot its state and the daemon was killed before E2.
    The row kept both: on the attempt after it the pilot, holding its kept play count, made
    the show look given back whole, and E2's was dropped."""
    adds_again = {"now": False}
    with seen_kodi(PILOT, E2) as fake:
        fake.on_scan = two_episodes_scan(fake, adds_again)
        rt, _show = queued_show(make_rt, tmp_path, fake)
        [report] = process_notifications(rt)
        assert report.retrying == 1 and fake.shows == {}

        adds_again["now"] = True
        with monkeypatch.context() as m, pytest.raises(Killed):
            killed_after_one_episode(m)
            process_notifications(rt, now=later(minutes=1))
        assert [fake.episodes[91]["playcount"], fake.episodes[92]["playcount"]] == [1, 0]

        [report] = process_notifications(rt, now=later(minutes=10))
    assert report.sent == 1, report.error
    assert fake.episodes[92]["playcount"] == 1
    assert fake.episodes[92]["lastplayed"] == SEEN["lastplayed"]
    assert fake.episodes[91]["playcount"] == 1
    assert kept_state() == [None] and fake.violations == []


WORKER = Path(__file__).with_name("notify_worker.py")
REPO = Path(__file__).resolve().parents[2]


def test_a_daemon_sigkilled_between_two_episodes_gives_the_rest_on_its_next_run(make_rt, tmp_path):
    """For real: the give-back runs in a process of its own, killed with SIGKILL as soon as
    Kodi took the pilot's kept state, before E2's. The next run (the daemon started again)
    gives E2 its state; the pilot keeps what Kodi holds."""
    adds_again = {"now": False}
    with seen_kodi(PILOT, E2) as fake:
        fake.on_scan = two_episodes_scan(fake, adds_again)
        rt, _show = queued_show(make_rt, tmp_path, fake)
        [report] = process_notifications(rt)
        assert report.retrying == 1 and fake.shows == {}  # removed, not added again: kept

        adds_again["now"] = True
        set_episode = fake.rpc_VideoLibrary_SetEpisodeDetails
        worker: dict = {}

        def kill_after_it(params):  # Kodi took it; the daemon dies before it hears so
            answer = set_episode(params)
            os.kill(worker["process"].pid, signal.SIGKILL)
            return answer

        fake.rpc_VideoLibrary_SetEpisodeDetails = kill_after_it
        config = {
            "data_dir": rt.config.data_dir,
            "database": {"url": rt.config.database.url},
            "library": [
                {"name": lib.name, "path": lib.path, "kind": lib.kind} for lib in rt.config.library
            ],
            "player": [
                {
                    "name": "Living room",
                    "type": "kodi",
                    "url": fake.url,
                    "username": "kodi",
                    "password": "secret",
                    "libraries": ["Movies", "TV"],
                    "path_map": [{"from": str(tmp_path / "tv"), "to": "smb://nas/tv"}],
                    "timeout_seconds": 2.0,
                }
            ],
        }
        worker["process"] = subprocess.Popen(
            [sys.executable, str(WORKER), json.dumps(config), later(minutes=1).isoformat()],
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        _out, err = worker["process"].communicate(timeout=120)
        assert worker["process"].returncode == -signal.SIGKILL, err.decode()
        assert [fake.episodes[91]["playcount"], fake.episodes[92]["playcount"]] == [1, 0]
        assert states("Living room") == ["pending"]

        fake.rpc_VideoLibrary_SetEpisodeDetails = set_episode
        [report] = process_notifications(rt, now=later(minutes=10))
    assert report.sent == 1, report.error
    assert fake.episodes[91]["playcount"] == 1 and fake.episodes[92]["playcount"] == 1
    assert fake.episodes[92]["lastplayed"] == SEEN["lastplayed"]
    assert kept_state() == [None] and fake.violations == []

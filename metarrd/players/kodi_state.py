"""What the user did in Kodi survives a rename, a duplicate entry and a refresh.

This module owns the user's state in Kodi's database (play count, resume point, last played
time, user rating, tags: nothing a file holds) whenever an entry of ours is replaced:

- `refresh_movie`: `VideoLibrary.RefreshMovie` of a known movie; Kodi 20.1 re-adds it from
  its NFO and resets its play count, last played time and rating, and its tags to the NFO's,
  so they are given back (the tags the user gave it in Kodi, not the NFO's it last read);
  what a refresh Kodi is slow to finish could not get back is kept in the row, and given
  back by `after_late_refresh` once Kodi has run it (or by the movie's next refresh).
- `move_movie`: a movie Kodi has under a path gone on our side (matched by `uniqueid`: its
  folder or file renamed) has its new folder scanned, its state given to the new entry
  (`SetMovieDetails`), and only then the old entry removed (`RemoveMovie`); a new entry that
  does not show up leaves the old one in Kodi.
- `refresh_show`: `VideoLibrary.RefreshTVShow` of a known show; Kodi 20.1 sets the show's
  rating back to its tvshow.nfo's, so the user's is given back (by `after_late_show_refresh`
  once Kodi has run a refresh it was slow to get to).
- `move_show`: a show Kodi has under a folder gone on our side has its new folder scanned, the
  watched state of its episodes given back to the same files there, the user's rating and
  tags of the show to the new show (`SetTVShowDetails`), and the old show removed
  (`RemoveTVShow`) once the new folder is in Kodi; `adopt_show`: the same when Kodi's own scan
  already added the new folder as a show of its own; `give_back_show`: the watched state
  `move_show` kept in the notification row (`kodi_kept`) when the old show was removed and the
  new folder not added again, given back on the row's next attempt.
- Finding those entries: `find_show`, `find_moved`, `find_renamed_show`, `is_same_movie`.

The JSON-RPC calls go through `kodi.Kodi`; `kodi_batch.deliver` decides which of these runs.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from metarrd import pathmap
from metarrd.players import kodi_kept, kodi_tv, plan
from metarrd.players.kodi import Kodi, KodiShow
from metarrd.players.plan import Target
from metarrd.players.transport import LookAgain, PlayerProtocolError
from metarrd.text import count

log = logging.getLogger(__name__)

WATCHED = kodi_tv.WATCHED_PROPERTIES
# what a renamed movie's entry keeps (`movie_state`); it is found by file and uniqueid
MOVIE_STATE = ["playcount", "resume", "lastplayed", "userrating", "tag"]
# what Kodi 20.1's RefreshMovie puts back to the NFO's (the resume point stays)
RESET_BY_REFRESH = ("playcount", "lastplayed", "userrating")
# what a renamed show keeps of its own (`show_state`): the user's rating and tags (Kodi keeps
# them in its database; RemoveTVShow drops them with the show)
SHOW_STATE = ["userrating", "tag"]
# what `after_late_refresh` says it gave back
NAMES = {"playcount": "play count", "lastplayed": "last played time", "userrating": "rating",
         "tag": "tags"}  # fmt: skip
REFRESH_WAIT_SECONDS = 15.0  # how long to watch for a refreshed movie to be re-added
# once re-added, how long to watch for the rest of what its refresh resets (`_refreshed`)
REFRESH_SETTLE_SECONDS = 5.0


def move_show(
    kodi: Kodi, old: KodiShow, target: Target, kept: Sequence[kodi_tv.Watched] = ()
) -> str:
    """A show whose folder was renamed (Kodi has it at a folder gone on our side), in the
    order that loses nothing: its watched episodes are noted, the new folder scanned, and
    once that scan is over and the new folder's episodes are in Kodi, the same files there
    get their play count, resume point and last played time back; only then is the old
    show removed (`RemoveTVShow`). A new folder that does not show up (a wrong path_map, a
    folder Kodi cannot read, a failed scan) leaves the old show as it is: a
    PlayerProtocolError for this item, retried.

    Kodi 20.1 adds a new folder of a show it has (same title and year) to that show: the
    episodes of both folders under one `tvshowid`, each listed twice, and the show's `file`
    still the old folder. Such a show is removed once the new folder's episodes are seen in
    it, and the new folder scanned again: Kodi then adds it as a show of its own (the
    removal cleared the folder's hash), and that gets the watched state. That state is kept
    in the notification row (`kodi_kept`, committed) before the removal, so a scan that does
    not add the folder again, or a daemon killed in between, loses nothing: the row's next
    attempt gives it back (`give_back_show`). `kept`: what an earlier attempt kept there
    (Kodi's own state, read now, wins). The user's rating and tags of the show itself go
    the same way, to the new show before the old one is removed; a rating a refresh Kodi ran
    late reset on the old show goes with them (`_with_late_rating`), not left to the new
    show's next refresh. What was done."""
    api = kodi.api()
    old_folder = old.file.rstrip("/\\")
    watched = [*kept]
    mine = merged_state(getattr(kept, "show", {}), show_state(kodi, old.tvshowid))
    mine, late = _with_late_rating(mine, target)
    watched += kodi_tv.watched_episodes(kodi.episodes(old.tvshowid, WATCHED), old_folder)
    folder = pathmap.kodi_folder(target.mapped_folder)
    kodi.scan_and_wait(folder)
    found, here = find_show(kodi.shows(), target)
    if found is not None and here and found.tvshowid != old.tvshowid:
        tvshowid, merged = found.tvshowid, False
    elif _has_episodes_under(kodi, old.tvshowid, target.mapped_folder):
        tvshowid, merged = old.tvshowid, True
    else:
        log.warning(
            "%s: %s is not in Kodi after a Scan of it; the show at %s is kept, with the "
            "watched state of %s",
            kodi.label,
            folder,
            old.file,
            count(watched, "episode"),
        )
        raise PlayerProtocolError(
            f"{kodi.label}: {folder} did not show up in Kodi after a Scan of it, so the "
            f"show at {old.file} is kept (with its watched state); check the path_map and "
            "that Kodi can read that folder"
        )
    if merged:
        # played since in the new folder's copy (Kodi's own scan added it first): that wins
        watched += kodi_tv.watched_episodes(
            kodi.episodes(old.tvshowid, WATCHED), target.mapped_folder
        )
        if watched or mine:  # from here until it is given back, Kodi has it nowhere
            kodi_kept.keep(target.key, watched, mine)
        kodi.call("VideoLibrary.RemoveTVShow", {api.name("tvshowid"): old.tvshowid})
        kodi.scan_and_wait(folder)
        found, here = find_show(kodi.shows(), target)
        if found is None or not here:
            log.error(
                "%s: %s was not added again after the show at %s (which held it too) was "
                "removed; the watched state of %s is kept for the next attempt",
                kodi.label,
                folder,
                old.file,
                count(watched, "episode"),
            )
            raise PlayerProtocolError(
                f"{kodi.label}: {folder} was not added again after the show at {old.file} "
                f"was removed; the watched state of {count(watched, 'episode')} is kept and "
                "given back once Kodi has that folder"
            )
        tvshowid = found.tvshowid
    episodes = {int(e["episodeid"]): e for e in kodi.episodes(tvshowid, WATCHED)}
    restore = kodi_tv.restore_watched(watched, list(episodes.values()), target.mapped_folder)
    # kept in the row (merged, or an earlier attempt's): what is given goes out of it at once
    in_row = merged or bool(kept) or bool(getattr(kept, "show", None))
    _give_episodes(kodi, target, restore, episodes, watched, mine, in_row)
    give_show_state(kodi, tvshowid, mine)
    if late:  # the new show has it: no refresh of it is to give it back
        kodi_kept.clear_show_refresh(target.key)
    if not merged:
        kodi.call("VideoLibrary.RemoveTVShow", {api.name("tvshowid"): old.tvshowid})
    if (watched or mine) and (merged or kept or getattr(kept, "show", None)):
        kodi_kept.clear(target.key)
    done = f"scanned {folder} and removed the show at {old.file} (renamed)"
    return done + (f"; kept the watched state of {count(restore, 'episode')}" if watched else "")


def _with_late_rating(state: dict[str, Any], target: Target) -> tuple[dict[str, Any], bool]:
    """A renamed show's rating and tags (`state`, the old show's) with the rating a refresh
    Kodi ran late reset (`refresh_show` kept it in the row): Kodi ran it before the rename, so
    the old show holds its tvshow.nfo's rating, none, and the kept one is the user's. One the
    user gave the old show since (not its tvshow.nfo's) wins. And whether a rating was kept:
    once the new show has it, the row keeps it no more."""
    kept = kodi_kept.show_refresh_kept(target.key).get("userrating")
    if not kept:
        return state, False
    nfo_rating = kodi_tv.show_nfo_userrating(target.folder, target.libraries)
    if state.get("userrating") in (None, nfo_rating) and kept != nfo_rating:
        state = {**state, "userrating": kept}
    return state, True


def adopt_show(kodi: Kodi, old: KodiShow, tvshowid: int, target: Target) -> str:
    """Kodi has the show at its folder (`tvshowid`) and at a folder gone on our side (`old`,
    a show of its own: Kodi's own scan found the renamed folder first): the old show's
    watched episodes give their play count, resume point and last played time to the same
    files at the new folder that were not played there, and its rating and tags to the show
    (one rated there since keeps its rating), then the old show is removed."""
    api = kodi.api()
    mine = show_state(kodi, old.tvshowid)
    watched = kodi_tv.watched_episodes(kodi.episodes(old.tvshowid, WATCHED), old.file.rstrip("/\\"))
    episodes = kodi.episodes(tvshowid, WATCHED)
    unplayed = [e for e in episodes if kodi_tv.watched_details(e) is None]
    restore = kodi_tv.restore_watched(watched, unplayed, target.mapped_folder)
    for episodeid, details in restore.items():
        kodi.call("VideoLibrary.SetEpisodeDetails", {api.name("episodeid"): episodeid, **details})
    give_show_state(kodi, tvshowid, mine, own_wins=True)
    kodi.call("VideoLibrary.RemoveTVShow", {api.name("tvshowid"): old.tvshowid})
    return (
        f"removed the show at {old.file} (renamed; Kodi had it at "
        f"{pathmap.kodi_folder(target.mapped_folder)} already); kept the watched state of "
        f"{count(restore, 'episode')}"
    )


def give_back_show(kodi: Kodi, target: Target, kept: Sequence[kodi_tv.Watched]) -> str:
    """The watched state `move_show` kept in the notification row after it removed Kodi's old
    show (the new folder not added again then, or the daemon stopped before it was): once
    Kodi has the show at its folder (scanned now when it does not), the same files there that
    were not played since (no play count; no resume point but the one kept, the file's
    bookmark RemoveTVShow leaves) get it back, the show its rating unless the user rated it
    there since (Kodi's own scan added it first; a rating other than its tvshow.nfo's), and
    the row keeps nothing more. Each episode given goes out of the row at once
    (`_give_episodes`): a daemon killed, or a Kodi gone, half-way leaves the rest kept for the
    next attempt. But only when the show looks reset (`_show_holds_any`, as a movie's kept
    state goes back): one that still holds its kept rating or tags had it given back already
    (the row not cleared after), and what it holds is the user's latest: nothing is given, the
    row keeps nothing more. A folder still not in Kodi: a PlayerProtocolError, the state stays
    kept for the next attempt."""
    folder = pathmap.kodi_folder(target.mapped_folder)
    found, here = find_show(kodi.shows(), target)
    if found is None or not here:
        kodi.scan_and_wait(folder)
        found, here = find_show(kodi.shows(), target)
    if found is None or not here:
        raise PlayerProtocolError(
            f"{kodi.label}: {folder} is not in Kodi after a Scan of it; the watched state of "
            f"{count(kept, 'episode')} of its old show (removed) is kept and given back once "
            "Kodi has that folder"
        )
    episodes = {int(e["episodeid"]): e for e in kodi.episodes(found.tvshowid, WATCHED)}
    # episodeid -> the state kept for its file (same place below the show folder, same number)
    mine = kodi_tv.restore_watched(list(kept), list(episodes.values()), target.mapped_folder)
    show = getattr(kept, "show", {})
    nfo_rating = kodi_tv.show_nfo_userrating(target.folder, target.libraries)
    if _show_holds_any(kodi, found.tvshowid, show, target, nfo_rating):
        # given back before (the row not cleared after it: a daemon killed then, a refused
        # SetTVShowDetails) and no RemoveTVShow reset the show since: what it holds is the
        # user's latest (an episode marked unwatched since stays so), the kept state is old
        kodi_kept.clear(target.key)
        return (
            f"the show at {folder} holds the watched state kept for it already; an older one "
            "is not given over the user's since"
        )
    # not played since: no play count, and no resume point but the one it was kept with (the
    # file's bookmark, which RemoveTVShow leaves and the scan after finds again)
    restore = {
        episodeid: details
        for episodeid, details in mine.items()
        if not int(episodes[episodeid].get("playcount") or 0)
        and _resume(episodes[episodeid]) in (None, _resume(details))
    }
    # Kodi gone half-way (restarted, the network) or the daemon killed: the episodes given
    # theirs are kept no more, so the next attempt gives the rest (and the show's rating and
    # tags)
    _give_episodes(kodi, target, restore, episodes, list(kept), show, True)
    # a rating the user gave the show since (Kodi's own scan added it first) wins; not the
    # one its tvshow.nfo gave it
    give_show_state(kodi, found.tvshowid, show, True, nfo_rating)
    kodi_kept.clear(target.key)
    return f"gave the watched state of {count(restore, 'episode')} back to the show at {folder}"


def _give_episodes(
    kodi: Kodi,
    target: Target,
    restore: dict[int, dict[str, Any]],
    episodes: dict[int, dict[str, Any]],
    watched: Sequence[kodi_tv.Watched],
    show: dict[str, Any],
    in_row: bool,
) -> None:
    """`SetEpisodeDetails` of each episode of `restore` (episodeid -> its state; `episodes`,
    episodeid -> Kodi's entry). `in_row`: the state (`watched`, and the show's own: `show`)
    is kept in the notification row, and each episode given goes out of it in the same
    breath (`kodi_kept.keep_left`, committed): a daemon killed (or a Kodi gone) between two
    episodes leaves the rest alone kept, which the row's next attempt gives. Kept whole, the
    episodes given made the show look given back (`_show_holds_any`) and the rest was lost;
    and an episode given, then marked unwatched in Kodi, would get its old play count again.
    (Killed between an episode's call and its commit, that one episode is kept still: the
    next attempt finds it holding its state, and gives it nothing.)"""
    api = kodi.api()
    left = list(watched)
    for episodeid, details in restore.items():
        kodi.call("VideoLibrary.SetEpisodeDetails", {api.name("episodeid"): episodeid, **details})
        if in_row:
            done = [episodes[episodeid]]
            left = [w for w in left if not kodi_tv.restore_watched([w], done, target.mapped_folder)]
            kodi_kept.keep_left(target.key, left, show)


def _resume(entry: dict[str, Any]) -> float | None:
    return float((entry.get("resume") or {}).get("position") or 0) or None


def _show_holds_any(
    kodi: Kodi, tvshowid: int, show: dict[str, Any], target: Target, nfo_rating: int | None
) -> bool:
    """Whether the show Kodi has at the target's folder still holds the show's own state kept
    for it (`kodi_kept.load`: its rating and tags), as `_holds_any` asks of a movie: then no
    RemoveTVShow reset it since that state was given to it (the show Kodi adds again has its
    tvshow.nfo's rating and tags), and the episodes were given theirs before it. The show
    holds its kept rating when it is not its tvshow.nfo's, a kept tag when tvshow.nfo lacks
    it (a scan gives the NFO's). The episodes are no sign: each one given goes out of the row
    at once (`_give_episodes`), so those kept are not given yet (but perhaps the one a daemon
    killed then was giving: it holds its kept play count, which keeps it from getting it
    again, alone)."""
    if not show:
        return False
    own = show_state(kodi, tvshowid)
    rating = show.get("userrating")
    if rating and rating != nfo_rating and own.get("userrating") == rating:
        return True
    nfo = kodi_tv.show_nfo_tags(target.folder, target.libraries) or []
    mine = kodi_tv.tags_lacking(show.get("tag") or (), nfo)
    return bool(kodi_tv.tags_among(mine, own.get("tag") or ()))


def refresh_show(kodi: Kodi, tvshowid: int, target: Target) -> bool:
    """`RefreshTVShow` of a show Kodi has at the target's folder (`Kodi.refresh_show`),
    keeping the user's rating of the show. Kodi 20.1 re-reads `tvshow.nfo` and sets the
    show's rating to the NFO's, none (`CVideoDatabase::UpdateDetailsForTvShow` writes
    `userrating = NULL`), while its tags stay (the NFO's are only added): a show rated in
    Kodi lost its rating at every republish (tests/players/test_real_kodi.py). So it is noted
    before, and once the refresh shows it reset (GetTVShowDetails, looked at until
    `REFRESH_WAIT_SECONDS`) given back with `SetTVShowDetails`. A `tvshow.nfo` that holds the
    same rating: nothing to wait for.

    Its tags: the refresh only adds tvshow.nfo's (`UpdateDetailsForTvShow` adds the tag
    links, `DeleteDetailsForTvShow` leaves them), so a tag taken out of tvshow.nfo (in
    metarrd's review, or by the provider) stayed in Kodi. The tags of the tvshow.nfo Kodi last
    read (`kodi_kept.told_tags`, noted when that row was sent) that the new one lacks are
    taken off the show before the refresh (`SetTVShowDetails` replaces the show's tags); the
    user's own (not in that NFO) stay. Not known (no row noted it): none is taken off. So a
    refresh Kodi runs late takes no tag of the user's: only the rating is kept for it.

    Not reset within the wait (Kodi's video library queue runs one job at a time: the
    refresh behind a long scan, a slow NAS), the rating is kept in the row
    (`kodi_kept.keep_show_refresh`) and True returned: the row's show is looked at again
    (`after_late_show_refresh`, no other RefreshTVShow) and gets it back once Kodi has run
    the refresh. A rating an earlier row kept so (its look ran out: Kodi quit with the
    refresh queued, or ran it after) is this refresh's to give back: set on the show first
    when it was reset since (a rating the user gave it since, not its tvshow.nfo's, wins)."""
    state = show_state(kodi, tvshowid)
    rating = state.get("userrating")
    nfo_rating = kodi_tv.show_nfo_userrating(target.folder, target.libraries)
    kept = kodi_kept.show_refresh_kept(target.key).get("userrating")
    if kept and rating in (None, nfo_rating) and kept != nfo_rating:
        # reset by a refresh Kodi ran after an earlier watch: the kept rating is the user's
        kodi.call(
            "VideoLibrary.SetTVShowDetails",
            {kodi.api().name("tvshowid"): tvshowid, "userrating": kept},
        )
        rating = kept
    _drop_lost_show_tags(kodi, tvshowid, target, state.get("tag") or [])
    kodi.refresh_show(tvshowid)
    if not rating or nfo_rating == rating:
        if kept:
            kodi_kept.clear_show_refresh(target.key)
        return False
    deadline = kodi.now() + REFRESH_WAIT_SECONDS
    while show_state(kodi, tvshowid).get("userrating") == rating:
        if kodi.now() >= deadline:
            kodi_kept.keep_show_refresh(target.key, {"userrating": rating})
            log.info(
                "%s: the show at %s still has its rating %d %g s after its refresh (still "
                "queued in Kodi?); it is kept, and the show looked at again to give it back "
                "once the refresh has run",
                kodi.label,
                pathmap.kodi_folder(target.mapped_folder),
                rating,
                REFRESH_WAIT_SECONDS,
            )
            return True
        kodi.pause()
    kodi.call(
        "VideoLibrary.SetTVShowDetails",
        {kodi.api().name("tvshowid"): tvshowid, "userrating": rating},
    )
    if kept:
        kodi_kept.clear_show_refresh(target.key)
    return False


def after_late_show_refresh(kodi: Kodi, target: Target) -> str | None:
    """A look at a show whose RefreshTVShow Kodi had not run within `REFRESH_WAIT_SECONDS`
    (`refresh_show` kept the user's rating of it in the row): once the refresh has run (the
    show's rating is its tvshow.nfo's, none), the kept rating goes back with
    `SetTVShowDetails`, and the row keeps it no more. No other RefreshTVShow is sent. A
    rating the user gave the show since the reset (not its tvshow.nfo's) wins. Its tags need
    nothing: the refresh only adds tvshow.nfo's. What was done, None when there was nothing
    left to give. LookAgain while the show still has the kept rating (the refresh not run
    yet), or Kodi has no show at its folder."""
    kept = kodi_kept.show_refresh_kept(target.key).get("userrating")
    if not kept:
        return None
    folder = pathmap.kodi_folder(target.mapped_folder)
    found, here = find_show(kodi.shows(), target)
    if found is None or not here:
        raise LookAgain(
            f"{kodi.label}: has no show at {folder}; the user's rating of it ({kept}) is "
            "kept and given back once it has, or at the show's next refresh"
        )
    own = show_state(kodi, found.tvshowid).get("userrating")
    if own == kept:
        raise LookAgain(
            f"{kodi.label}: has not run the refresh of the show at {folder} yet (it still "
            f"has its rating {kept}); it is kept and given back once it has, or at the "
            "show's next refresh"
        )
    nfo_rating = kodi_tv.show_nfo_userrating(target.folder, target.libraries)
    if own and own != nfo_rating:  # rated in Kodi since the refresh reset it: the user's
        kodi_kept.clear_show_refresh(target.key)
        return None
    kodi.call(
        "VideoLibrary.SetTVShowDetails",
        {kodi.api().name("tvshowid"): found.tvshowid, "userrating": kept},
    )
    kodi_kept.clear_show_refresh(target.key)
    log.info(
        "%s: the show at %s was reset by a refresh Kodi ran late; gave back its rating %d",
        kodi.label,
        folder,
        kept,
    )
    return f"gave the show at {folder} back its rating after Kodi ran its refresh late"


def _drop_lost_show_tags(kodi: Kodi, tvshowid: int, target: Target, tags: list[str]) -> None:
    """Take off the show the tags of the tvshow.nfo Kodi last read that the new one lacks."""
    told = kodi_kept.told_tags(target.key)
    new = kodi_tv.show_nfo_tags(target.folder, target.libraries)
    if not tags or told is None or new is None:
        return
    left = kodi_tv.tags_lacking(tags, kodi_tv.tags_lacking(told, new))
    if left != tags:
        kodi.call(
            "VideoLibrary.SetTVShowDetails", {kodi.api().name("tvshowid"): tvshowid, "tag": left}
        )


def show_state(kodi: Kodi, tvshowid: int) -> dict[str, Any]:
    """The user's rating and tags of a show in Kodi (set with SetTVShowDetails or Kodi's
    menus, kept in its database), as SetTVShowDetails takes them; empty when it has none."""
    details = kodi.call(
        "VideoLibrary.GetTVShowDetails",
        {kodi.api().name("tvshowid"): tvshowid, "properties": SHOW_STATE},
    )
    show = (details or {}).get("tvshowdetails") or {}
    state: dict[str, Any] = {}
    if int(show.get("userrating") or 0):
        state["userrating"] = int(show["userrating"])
    if show.get("tag"):
        state["tag"] = [str(t) for t in show["tag"]]
    return state


def give_show_state(
    kodi: Kodi,
    tvshowid: int,
    state: dict[str, Any],
    own_wins: bool = False,
    nfo_rating: int | None = None,
) -> None:
    """A renamed show's rating and tags (`show_state` of the old one) given to its new
    entry: its tags (the NFO's, read by the scan) and the user's own; the user's rating, or
    with `own_wins` the new entry's where it has one (rated there since) other than
    `nfo_rating` (its tvshow.nfo's, which a scan gave it)."""
    if not state:
        return
    own = show_state(kodi, tvshowid)
    give = dict(state)
    if own_wins and own.get("userrating") and own["userrating"] != nfo_rating:
        give["userrating"] = own["userrating"]
    tags = kodi_tv.tag_union(own.get("tag") or [], state.get("tag") or [])
    if tags:
        give["tag"] = tags
    if give == own:
        return
    kodi.call("VideoLibrary.SetTVShowDetails", {kodi.api().name("tvshowid"): tvshowid, **give})


def _has_episodes_under(kodi: Kodi, tvshowid: int, mapped_folder: str) -> bool:
    return any(
        pathmap.is_under(str(e.get("file", "")), mapped_folder)
        for e in kodi.episodes(tvshowid, ["file"])
    )


def move_movie(kodi: Kodi, old: dict[str, Any], target: Target) -> str:
    """A movie whose folder or file was renamed (Kodi has it at a path gone on our side).
    In the order that loses nothing: its watched state and the user's rating and tags are
    noted, the new folder scanned, and once that scan is over and the new entry is there
    (by its file), the new entry gets them back and only then is the old entry removed
    (`RemoveMovie`: a Scan alone adds the movie a second time, the old entry keeping the
    watched state until Kodi's library is cleaned). A new entry that does not appear (a
    wrong path_map, a folder Kodi cannot read, a failed scan) leaves the old one as it is:
    a PlayerProtocolError for this item, retried. What was done."""
    api = kodi.api()
    keep = stored_state(kodi, old["movieid"])
    folder = pathmap.kodi_folder(target.mapped_folder)
    kodi.scan_and_wait(folder)
    new = next(
        (m for m in kodi.movie_entries(folder, ["tag"]) if is_same_movie(m["file"], target)),
        None,
    )
    if new is None:
        log.warning(
            "%s: %s is not in Kodi after a Scan of %s; its old entry %s is kept, with its "
            "watched state",
            kodi.label,
            target.mapped_path,
            folder,
            old["file"],
        )
        raise PlayerProtocolError(
            f"{kodi.label}: {target.mapped_path} did not show up in Kodi after a Scan of "
            f"{folder}, so its old entry at {old['file']} is kept (with its watched state); "
            "check the path_map and that Kodi can read that folder"
        )
    _, told = kodi_kept.movie_kept(target.key)
    if told is not None and "tag" in keep:  # the user's own: not the NFO's Kodi last read
        keep["tag"] = kodi_tv.tags_lacking(keep["tag"], told)
    if keep:
        if "tag" in keep:  # the NFO's tags (read by the scan) and the user's own
            keep["tag"] = kodi_tv.tag_union(new.get("tag") or [], keep["tag"])
        kodi.call("VideoLibrary.SetMovieDetails", {api.name("movieid"): new["movieid"], **keep})
    kodi.call("VideoLibrary.RemoveMovie", {api.name("movieid"): old["movieid"]})
    done = f"scanned {folder} and removed the movie at {old['file']} (renamed)"
    return done + ("; kept its watched state" if keep else "")


def stored_state(kodi: Kodi, movieid: int) -> dict[str, Any]:
    """A movie entry's play count, resume point, last played time, rating and tags, as
    SetMovieDetails takes them (`movie_state`); empty when it has none."""
    details = kodi.call(
        "VideoLibrary.GetMovieDetails",
        {kodi.api().name("movieid"): movieid, "properties": MOVIE_STATE},
    )
    return movie_state((details or {}).get("moviedetails") or {})


def refresh_movie(
    kodi: Kodi, movieid: int, target: Target, old: dict[str, Any] | None = None
) -> tuple[str | None, bool]:
    """`RefreshMovie` of a movie Kodi has at the target's path, keeping what the user did.

    Kodi 20.1 re-adds a refreshed movie from its NFO: the play count, last played time and
    user rating go back to the NFO's (none), and its tags are the NFO's alone (the movie's
    row is deleted, and its tag links with it: `CVideoDatabase::DeleteMovie`): a watched
    movie, republished, showed as unwatched (its resume point stays), and a tag the user gave
    it in Kodi was gone. So they are noted before, and once Kodi has re-added the movie (a
    new `movieid`, or those values reset) given back with `SetMovieDetails`. The user's own
    tags are those Kodi has that the NFO it last read did not (`kodi_kept.movie_kept`, noted
    when that row was sent): a tag the new NFO lost (removed in metarrd) stays gone. Not known
    (no row noted it: told before an upgrade): the tags Kodi has that the NFO it is to read
    lacks are given back (a tag taken out of the NFO just then stays in Kodi; none is lost).

    When Kodi is not seen to re-add the movie within `REFRESH_WAIT_SECONDS` (a big library, a
    slow NAS), what it resets is kept in the notification row (`kodi_kept.keep_movie`) and
    given to the entry as it is; with no entry at all the item fails, retried. With the entry
    there, Kodi's refresh may still be queued (its video library queue runs one job at a
    time, a long scan first): the row's entry is looked at again (`after_late_refresh`), with
    no other RefreshMovie, and gets it back once that refresh has reset it. The movie's next
    refresh (that attempt's) sets it on the entry first (the user's values since win),
    refreshes and gives it back; but only when the entry shows it reset (`_holds_any`): one
    still holding a kept value was not reset since, and holds the user's latest.

    `old`: Kodi's entry of the same movie at a path gone on our side (renamed, and Kodi's
    own scan found the new folder first, so Kodi lists it twice). Its watched state, rating
    and tags go to this entry (this entry's own win where it has them), and once this
    entry has them after its refresh, the old one is removed. What was done about `old`, and
    whether the entry is to be looked at again (its refresh not seen)."""
    api = kodi.api()
    own = stored_state(kodi, movieid)
    kept, told = kodi_kept.movie_kept(target.key)
    # the NFO a late refresh read: the one a row noted (its attempt told Kodi), or the one on
    # the disk (its attempt failed, Kodi not re-adding the movie in time: no row noted it)
    if kept and _holds_any(own, kept, [*(told or []), *(_published_nfo_tags(target) or [])]):
        # no refresh reset the entry since that state was given to it (Kodi ran it in time
        # after all, or never): what it holds now is the user's latest, the kept state is old
        kodi_kept.clear_movie(target.key)
        kept = {}
    keep = dict(own)
    carried = dict(kept)
    if old is not None:
        carried = merged_state(stored_state(kodi, old["movieid"]), carried)
    if carried:
        keep = merged_state(carried, own)
        if keep != own:  # on the entry at once: what the refresh resets is given back below
            kodi.call("VideoLibrary.SetMovieDetails", {api.name("movieid"): movieid, **keep})
    expect = {k: keep[k] for k in RESET_BY_REFRESH if keep.get(k)}
    # the rating the refresh reads back from the NFO as it is: no change to watch for (a rated
    # movie never played waited all REFRESH_WAIT_SECONDS), nothing to give back
    if (
        "userrating" in expect
        and not target.is_disc
        and kodi_tv.movie_nfo_userrating(target.path, target.libraries) == expect["userrating"]
    ):
        del expect["userrating"]
    tags = keep.get("tag") or []
    if told is not None:  # the user's own: the ones the NFO Kodi last read did not have
        mine = kodi_tv.tags_lacking(tags, told)
    elif old is not None or kept.get("tag"):  # the old entry's or a kept one's, which the NFO lacks
        mine = tags if kodi_tv.tags_lacking(tags, own.get("tag") or ()) else []
    else:  # not known (told before rows noted it): Kodi's tags the NFO it is to read lacks
        new = _published_nfo_tags(target)
        mine = kodi_tv.tags_lacking(tags, new) if new is not None else []
    if mine:
        expect["tag"] = mine
    kodi.call(
        "VideoLibrary.RefreshMovie",
        {api.name("movieid"): movieid, api.name("ignorenfo"): False},
    )
    if expect:
        again, seen = _refreshed(kodi, movieid, target, expect)
        if not seen:  # perhaps not re-added yet: it would reset what is given now
            kodi_kept.keep_movie(target.key, expect)
        if again is None:
            log.warning(
                "%s: %s was not in Kodi within %g s of its refresh; its play count, rating "
                "and tags are kept for the next attempt",
                kodi.label,
                target.mapped_path,
                REFRESH_WAIT_SECONDS,
            )
            kept_old = f", and its old entry at {old['file']} is kept" if old is not None else ""
            raise PlayerProtocolError(
                f"{kodi.label}: {target.mapped_path} was not in Kodi within "
                f"{REFRESH_WAIT_SECONDS:g} s of its refresh, so its play count, rating and "
                f"tags are kept and given back on the next attempt{kept_old}"
            )
        if "tag" in expect:  # the NFO's, read again, and the user's own
            expect["tag"] = kodi_tv.tag_union(again.get("tag") or [], expect["tag"])
        kodi.call("VideoLibrary.SetMovieDetails", {api.name("movieid"): again["movieid"], **expect})
        if not seen:
            log.info(
                "%s: %s showed no sign of its refresh within %g s (still queued in Kodi?); "
                "what it resets was given to its entry and is kept, and the entry is looked "
                "at again to give it back once the refresh has run",
                kodi.label,
                target.mapped_path,
                REFRESH_WAIT_SECONDS,
            )
            return _removed(kodi, old, target, keep), True
    if kept:
        kodi_kept.clear_movie(target.key)
    return _removed(kodi, old, target, keep), False


def after_late_refresh(kodi: Kodi, target: Target) -> str | None:
    """A look at a movie entry whose refresh Kodi had not run within `REFRESH_WAIT_SECONDS`
    (`refresh_movie` gave the kept state to the entry as it was, and kept it in the row):
    once that refresh has run (the entry holds none of the kept values: `_holds_any`, as the
    movie's next refresh asks), the kept play count, last played time, rating and the user's
    tags are given back with `SetMovieDetails`, and the row keeps them no more. No other
    RefreshMovie is sent: one as late would call for another look. Values the user set in
    Kodi since the reset win: a play count, a last played time, a rating other than its
    NFO's; the NFO's tags stay, with the user's own. What was done, None when there was
    nothing left to give (another refresh took the kept state). LookAgain while the entry
    still holds a kept value (the refresh not run yet), or Kodi has no entry of it (re-adding
    it right now)."""
    kept, told = kodi_kept.movie_kept(target.key)
    if not kept:
        return None
    folder = pathmap.kodi_folder(target.mapped_folder)
    entry = next(
        (
            m
            for m in kodi.movie_entries(folder, [*RESET_BY_REFRESH, "tag"])
            if is_same_movie(m["file"], target)
        ),
        None,
    )
    if entry is None:
        raise LookAgain(
            f"{kodi.label}: {target.mapped_path} is not in Kodi (still re-adding it after "
            "its refresh?); its play count, rating and tags are kept and given back once it is"
        )
    if _holds_any(entry, kept, [*(told or []), *(_published_nfo_tags(target) or [])]):
        raise LookAgain(
            f"{kodi.label}: has not run the refresh of {target.mapped_path} yet (its entry "
            "still holds its play count, rating or tags); they are kept and given back once "
            "it has, or at the movie's next refresh"
        )
    own = movie_state(entry)
    nfo_rating = (
        None if target.is_disc else kodi_tv.movie_nfo_userrating(target.path, target.libraries)
    )
    give = {k: v for k, v in kept.items() if k != "tag"}
    # played or rated in Kodi since the refresh reset it: the user's (a rating the NFO gave is not)
    give.update({k: v for k, v in own.items() if k in give and k != "tag" and v})
    if own.get("userrating") == nfo_rating and "userrating" in kept:
        give["userrating"] = kept["userrating"]
    if kept.get("tag"):  # the NFO's, read by the refresh, and the user's own
        give["tag"] = kodi_tv.tag_union(entry.get("tag") or [], kept["tag"])
    kodi.call(
        "VideoLibrary.SetMovieDetails", {kodi.api().name("movieid"): entry["movieid"], **give}
    )
    kodi_kept.clear_movie(target.key)
    names = [NAMES[k] for k in NAMES if k in give]
    given = " and ".join([", ".join(names[:-1]), names[-1]] if len(names) > 1 else names)
    log.info(
        "%s: %s was reset by a refresh Kodi ran late; gave back its %s",
        kodi.label,
        target.mapped_path,
        given,
    )
    return f"gave {target.mapped_path} back its {given} after Kodi ran its refresh late"


def _published_nfo_tags(target: Target) -> list[str] | None:
    """The `<tag>`s of the NFO PUBLISH wrote for the target's movie (the ledger's), which a
    refresh now reads; None when there is none or it cannot be read."""
    nfo = kodi_kept.published_nfos([target.key]).get(target.key)
    return kodi_tv.movie_nfo_tags(nfo, target.libraries) if nfo else None


def _removed(
    kodi: Kodi, old: dict[str, Any] | None, target: Target, keep: dict[str, Any]
) -> str | None:
    if old is None:
        return None
    kodi.call("VideoLibrary.RemoveMovie", {kodi.api().name("movieid"): old["movieid"]})
    return (
        f"removed the movie at {old['file']} (renamed; Kodi had it at "
        f"{target.mapped_path} already)" + ("; kept its watched state" if keep else "")
    )


def _refreshed(
    kodi: Kodi, movieid: int, target: Target, expect: dict[str, Any]
) -> tuple[dict[str, Any] | None, bool]:
    """The target's entry (movieid, file, the `expect` values) and whether Kodi was seen to
    read it again after a refresh (a new id, a value of `expect` gone back to the NFO's, or
    one of its tags gone); after `REFRESH_WAIT_SECONDS`, the entry as it is (None: there is
    none), and False. A refresh never shows in `Library.IsScanningVideo`, so this is how it
    is seen to be over.

    Kodi 20.1's refresh is not one write: the movie's row (its rating, its tags) comes back
    before the file's play count and last played time are reset. On a loaded machine a look
    fell between the two, the play count given back then was reset again and the movie showed
    unwatched (the rating kept). So once a sign is seen the watch goes on until every value of
    `expect` is back to the NFO's (`_all_reset`), for at most `REFRESH_SETTLE_SECONDS` more (a
    Kodi that keeps some of them: what it kept is given back as well)."""
    folder = pathmap.kodi_folder(target.mapped_folder)
    deadline = kodi.now() + REFRESH_WAIT_SECONDS
    settled: float | None = None  # a sign seen: until when the rest is waited for
    while True:
        entry = next(
            (
                m
                for m in kodi.movie_entries(folder, [*RESET_BY_REFRESH, "tag"])
                if is_same_movie(m["file"], target)
            ),
            None,
        )
        now = kodi.now()
        if entry is not None and (entry["movieid"] != movieid or _was_reset(entry, expect)):
            settled = now + REFRESH_SETTLE_SECONDS if settled is None else settled
            if _all_reset(entry, expect) or now >= settled:
                return entry, True
        elif now >= deadline:
            return entry, False
        kodi.pause()  # Kodi 20.1 takes ~0.4 s


def _holds_any(own: dict[str, Any], kept: dict[str, Any], told: list[str]) -> bool:
    """Whether a movie entry (`stored_state`) still holds one of the values kept for it
    (`kodi_kept.movie_kept`: what a refresh resets, given to the entry when its watch ran
    out): then no refresh reset it since, for a refresh resets them all at once (the play
    count, last played time and rating to the NFO's, the tags to the NFO's alone). A kept
    tag the NFO Kodi read then (`told`) has too is no sign: the refresh gave it."""
    for name, value in kept.items():
        if name == "tag":
            mine = kodi_tv.tags_lacking(value, told)
            if kodi_tv.tags_among(mine, own.get("tag") or ()):
                return True
        elif value and own.get(name) == value:
            return True
    return False


def _all_reset(entry: dict[str, Any], expect: dict[str, Any]) -> bool:
    """Whether every value of `expect` is gone from the entry (each tag of it too): what a
    refresh resets, all reset, so the refresh has written all it writes."""
    for name, value in expect.items():
        if name == "tag":
            if kodi_tv.tags_among(value, entry.get("tag") or ()):
                return False
        elif entry.get(name) == value:
            return False
    return True


def _was_reset(entry: dict[str, Any], expect: dict[str, Any]) -> bool:
    for name, value in expect.items():
        if name == "tag":
            if kodi_tv.tags_lacking(value, entry.get("tag") or ()):
                return True
        elif entry.get(name) != value:
            return True
    return False


def movie_state(movie: dict[str, Any]) -> dict[str, Any]:
    """What a movie entry holds that no file does, as SetMovieDetails takes it: play count,
    resume point, last played time (`kodi_tv.watched_details`), the user's rating and tags
    (Kodi keeps `userrating` and tags in its database; a scan sets only the NFO's)."""
    state = kodi_tv.watched_details(movie) or {}
    if int(movie.get("userrating") or 0):
        state["userrating"] = int(movie["userrating"])
    if movie.get("tag"):
        state["tag"] = [str(t) for t in movie["tag"]]
    return state


def merged_state(carried: dict[str, Any], own: dict[str, Any]) -> dict[str, Any]:
    """An old entry's user state given to another entry of the same movie: the other's own
    values win where it has them (played, rated there since), tags from both."""
    state = {**carried, **{k: v for k, v in own.items() if v and k != "tag"}}
    tags = [*(own.get("tag") or []), *(carried.get("tag") or [])]
    if tags:
        state["tag"] = kodi_tv.tag_union(tags)
    return state


def first_file(kodi_file: str) -> str:
    """A Kodi movie's file, or the first part of a stack (`stack://<a> , <b>`, every "," of a
    part doubled: CStackDirectory::GetPaths)."""
    if not kodi_file.startswith("stack://"):
        return kodi_file
    return kodi_file[len("stack://") :].split(" , ")[0].strip().replace(",,", ",")


def find_moved(
    movies: Sequence[dict[str, Any]], target: Target, mapped_root: str
) -> dict[str, Any] | None:
    """The movie Kodi has for `target` under another path (a shared uniqueid) that is gone on
    our side: its folder or file was renamed. A copy still there (another cut, another
    resolution) is not one."""
    for movie in movies:
        uniqueid = {str(k): str(v) for k, v in (movie.get("uniqueid") or {}).items() if v}
        if not any(uniqueid.get(kind) == value for kind, value in target.ids):
            continue
        if is_same_movie(movie["file"], target):
            continue
        if kodi_tv.folder_is_gone(first_file(movie["file"]), mapped_root, target.root):
            return movie
    return None


def find_show(shows: Sequence[KodiShow], target: Target) -> tuple[KodiShow | None, bool]:
    """The show Kodi has for `target`, and whether it is at the target's folder: by folder
    first; else by a shared uniqueid (the show folder was renamed or moved)."""
    folder = target.mapped_folder.rstrip("/\\")
    for show in shows:
        if pathmap.same_path(show.file.rstrip("/\\"), folder):
            return show, True
    for show in shows:
        if any(show.uniqueid.get(kind) == value for kind, value in target.ids):
            return show, False
    return None, False


def find_renamed_show(
    shows: Sequence[KodiShow], here: KodiShow, target: Target, mapped_root: str
) -> KodiShow | None:
    """Another show Kodi has for `target` (a shared uniqueid) besides the one at its folder,
    at a folder gone on our side: the show before its folder was renamed."""
    for show in shows:
        if show.tvshowid == here.tvshowid:
            continue
        if not any(show.uniqueid.get(kind) == value for kind, value in target.ids):
            continue
        if kodi_tv.folder_is_gone(show.file, mapped_root, target.root):
            return show
    return None


def is_same_movie(kodi_file: str, target: Target) -> bool:
    """Whether a Kodi movie's `file` is this target (plain file, stack:// or disc folder)."""
    if target.is_disc:
        return plan.is_disc_file(kodi_file, target.mapped_folder)
    if kodi_file.startswith("stack://"):
        # `stack://<part> , <part>`, every "," of a part doubled (CStackDirectory::GetPaths)
        return any(
            pathmap.same_path(part.strip().replace(",,", ","), target.mapped_path)
            for part in kodi_file[len("stack://") :].split(" , ")
        )
    return pathmap.same_path(kodi_file, target.mapped_path)

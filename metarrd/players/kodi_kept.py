"""A renamed show's watched state, kept in its notification row while Kodi has it nowhere.

Kodi 20.1 adds the renamed folder of a show it has to that show; `kodi_state.move_show` then
removes the show (`RemoveTVShow`) and scans the folder again to have it added on its own. From
the removal until that scan is over and the state given back, the state of the user's watched
episodes lived only in Kodi's old show (gone) and in memory: a scan that adds nothing, a Kodi
that crashes or a daemon killed in between lost it. So it is written here first, in the
row's `kept_state` (a JSON list, one entry per episode: its file below the show folder, its
season and number, its play count, resume point and last played time; and one `{"show": ...}`
entry: the user's rating and tags of the show itself), committed before the removal; the row's next attempt gives it back once Kodi has the folder, then clears it. The
row lives in the database every host shares, so any host's next attempt finds it.

A movie's row keeps something else there: the `<tag>`s of the NFO Kodi read when it was sent
(below), which tell the user's own tags in Kodi from the NFO's at the movie's next refresh;
and what a refresh reset that Kodi did not re-add in time to be given back. A show's row
notes its tvshow.nfo's `<tag>`s the same way: its next refresh takes out of Kodi the ones the
new tvshow.nfo lost (RefreshTVShow only adds tags); and the user's rating of the show its
refresh resets, when Kodi had not run that refresh within its watch (`show_refresh`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from metarrd import db
from metarrd.players.kodi_tv import Watched

# a show row's entries that are no renamed show's watched state (`keep`, `clear` leave them):
# the tvshow.nfo tags Kodi read, and the rating its refresh reset that was not given back
NOT_WATCHED = ("nfo_tags", "show_refresh")


class Kept(list):
    """A row's kept watched episodes (a list of `Watched`), and in `show` the user's rating
    and tags of the show itself (as SetTVShowDetails takes them; empty when none)."""

    def __init__(self, watched: Sequence[Watched] = (), show: dict[str, Any] | None = None):
        super().__init__(watched)
        self.show: dict[str, Any] = dict(show or {})


def load(keys: Sequence[int]) -> dict[int, Kept]:
    """notification row id -> the watched state kept for it: in that row, or in an earlier
    row of the same player and item that gave up retrying (Kodi off for longer than
    `notify_retry_minutes`) before it was given back; a later row's state wins. A row that
    kept only the show's rating or tags is there too (an empty list, its `show` set)."""
    if not keys:
        return {}
    N, row = db.PlayerNotification, db.PlayerNotification.alias()
    same = (N.id == row.id) | ((N.player == row.player) & (N.movie == row.movie))
    query = (
        N.select(row.id.alias("key"), N.kept_state)
        .join(row, on=same)
        .where(row.id.in_(list(keys)) & N.kept_state.is_null(False))
        .order_by(N.id)
        .dicts()
    )
    out: dict[int, Kept] = {}
    for r in query:
        # (the JSONField's value, decoded; the NFO tags a row noted are no watched state)
        for entry in r["kept_state"] or ():
            if "show" in entry:
                out.setdefault(r["key"], Kept()).show.update(entry["show"])
            elif "file" in entry:  # (a movie row's entries are not a show's)
                out.setdefault(r["key"], Kept()).append(_watched(entry))
    return out


def keep(key: int, watched: Sequence[Watched], show: dict[str, Any] | None = None) -> None:
    """Write (and commit) a row's watched state, and the show's own rating and tags (`show`),
    before Kodi's copy of them is removed."""
    with db.write_transaction():
        _keep(key, watched, show)


def _keep(key: int, watched: Sequence[Watched], show: dict[str, Any] | None) -> None:
    state: list[dict[str, Any]] = [
        {"file": w.relative, "season": w.season, "episode": w.episode, **w.details} for w in watched
    ]
    if show:
        state.append({"show": dict(show)})
    N = db.PlayerNotification
    row = N.get_or_none(N.id == key)
    told = [e for e in (row.kept_state if row else None) or () if _is(e, *NOT_WATCHED)]
    N.update(kept_state=(state + told) or None).where(N.id == key).execute()


def keep_left(key: int, watched: Sequence[Watched], show: dict[str, Any] | None = None) -> None:
    """Part of a row's kept state was given back: what is left of it (`watched`, `show`) is all
    this row keeps, and the earlier rows `load` read it from keep none of it; one transaction,
    committed. Called after each episode given back, so a daemon killed between two of them
    gives the rest on the row's next attempt (the episodes given keep what the user does in
    Kodi since)."""
    with db.write_transaction():
        _clear(key)
        _keep(key, watched, show)


def clear(key: int) -> None:
    """The watched state was given back: the row, and the earlier rows of the same player
    and item `load` read it from, keep nothing more of it (the NFO tags they noted stay)."""
    with db.write_transaction():
        _clear(key)


def _clear(key: int) -> None:
    N = db.PlayerNotification
    row = N.get_or_none(N.id == key)
    same = N.id == key
    if row is not None and row.movie_id is not None:
        same |= (N.player == row.player_id) & (N.movie == row.movie_id)
    for other in N.select(N.id, N.kept_state).where(same & N.kept_state.is_null(False)):
        left = [e for e in other.kept_state or () if _is(e, *NOT_WATCHED)]
        if left != other.kept_state:
            N.update(kept_state=left or None).where(N.id == other.id).execute()


def _watched(entry: dict) -> Watched:
    details = {k: entry[k] for k in ("playcount", "resume", "lastplayed") if k in entry}
    return Watched(str(entry["file"]), int(entry["season"]), int(entry["episode"]), details)


# --- a movie's row: the tags of the NFO Kodi read, and the state a refresh has not given back ----
#
# A movie's `kept_state` holds `{"nfo_tags": [...]}`: the `<tag>`s of the NFO Kodi was told to
# read (a Scan or a refresh) when the row was sent. Kodi 20.1's RefreshMovie drops every tag of
# the movie (`CVideoDatabase::DeleteMovie`: the `delete_movie` trigger deletes its `tag_link`
# rows) and sets the NFO's; the user's own tags (Kodi's "Manage tags", SetMovieDetails) are the
# ones Kodi has that the NFO it last read did not: those go back after the refresh, and a tag
# the new NFO lost (removed in metarrd, or by the provider) does not. And `{"movie": {...}}`:
# what a refresh reset and its watch (`kodi_state.REFRESH_WAIT_SECONDS`) ran out before it
# could be given back, kept for the row's next attempt.


def movie_kept(key: int) -> tuple[dict[str, Any], list[str] | None]:
    """A movie row's kept state: what an earlier attempt could not give back after its
    refresh (in this row, or an earlier one of the same player and movie; the latest row's
    alone, made from the earlier ones'), and the tags of the NFO Kodi last read (the latest
    row that noted them; None: no row did, as before this was noted)."""
    return _kept(key, "movie")


def _kept(key: int, name: str) -> tuple[dict[str, Any], list[str] | None]:
    """The latest `{name: {...}}` entry of a row and the earlier ones of its player and
    item, and the latest noted NFO tags."""
    N, row = db.PlayerNotification, db.PlayerNotification.alias()
    same = (N.id == row.id) | ((N.player == row.player) & (N.movie == row.movie))
    query = (
        N.select(N.kept_state)
        .join(row, on=same)
        .where((row.id == key) & N.kept_state.is_null(False))
        .order_by(N.id)
        .tuples()
    )
    state: dict[str, Any] = {}
    tags: list[str] | None = None
    for (kept,) in query:
        for entry in kept or ():
            if isinstance(entry, dict) and isinstance(entry.get(name), dict):
                state = dict(entry[name])
            if isinstance(entry, dict) and isinstance(entry.get("nfo_tags"), list):
                tags = [str(t) for t in entry["nfo_tags"]]
    return state, tags


def told_tags(key: int) -> list[str] | None:
    """The `<tag>`s of the NFO (a movie's, or a show's tvshow.nfo) Kodi last read for a
    row's item: the latest row of the same player and item that noted them; None when none
    did."""
    return movie_kept(key)[1]


def keep_movie(key: int, state: dict[str, Any]) -> None:
    """Write (and commit) what a refresh reset and was not given back, for the next attempt."""
    with db.write_transaction():
        _set_entry(key, "movie", dict(state))


def clear_movie(key: int) -> None:
    """The kept state was given back: no row of this player and movie keeps it any more (the
    NFO tags they noted stay)."""
    _clear_entry(key, "movie")


# --- a show's row: the user's rating of the show a refresh Kodi ran late reset --------------
#
# `{"show_refresh": {"userrating": n}}`: Kodi 20.1's RefreshTVShow sets the show's rating to
# its tvshow.nfo's (none); when Kodi had not run it within `kodi_state.REFRESH_WAIT_SECONDS`
# (its video library queue busy behind a scan), the rating it will reset is kept here, given
# back by `kodi_state.after_late_show_refresh` or the show's next refresh. (Not `show`: that
# is a renamed show's state, `load`.)


def show_refresh_kept(key: int) -> dict[str, Any]:
    """What a show's refresh will reset and was not given back: this row's, or an earlier
    row's of the same player and show (the latest)."""
    return _kept(key, "show_refresh")[0]


def keep_show_refresh(key: int, state: dict[str, Any]) -> None:
    """Write (and commit) the show's rating its refresh, not run yet, will reset."""
    with db.write_transaction():
        _set_entry(key, "show_refresh", dict(state))


def clear_show_refresh(key: int) -> None:
    """The kept rating was given back (or is the user's no more): no row of this player and
    show keeps it."""
    _clear_entry(key, "show_refresh")


def _clear_entry(key: int, name: str) -> None:
    N = db.PlayerNotification
    with db.write_transaction():
        row = N.get_or_none(N.id == key)
        if row is None:
            return
        same = N.id == key
        if row.movie_id is not None:
            same |= (N.player == row.player_id) & (N.movie == row.movie_id)
        for other in N.select(N.id, N.kept_state).where(same & N.kept_state.is_null(False)):
            left = [e for e in other.kept_state or () if not _is(e, name)]
            if left != other.kept_state:
                N.update(kept_state=left or None).where(N.id == other.id).execute()


def note_nfo_tags(tags: dict[int, list[str]]) -> None:
    """Note in each row (row id -> tags) the `<tag>`s of the NFO Kodi was told to read."""
    if not tags:
        return
    N = db.PlayerNotification
    with db.write_transaction():
        rows = N.select(N.id, N.kept_state).where(N.id.in_(list(tags)))
        for row in rows:
            entries = [e for e in row.kept_state or () if not _is(e, "nfo_tags")]
            entries.append({"nfo_tags": list(tags[row.id])})
            N.update(kept_state=entries).where(N.id == row.id).execute()


def published_nfos(keys: Sequence[int]) -> dict[int, str]:
    """row id -> the NFO PUBLISH wrote for the row's movie (the ledger's), for the rows that
    have one."""
    if not keys:
        return {}
    N, F = db.PlayerNotification, db.LibraryFile
    query = (
        N.select(N.id, F.path)
        .join(F, on=(F.movie == N.movie))
        .where(N.id.in_(list(keys)) & (F.kind == "nfo"))
        .order_by(F.id)
        .tuples()
    )
    return {key: path for key, path in query}


def _set_entry(key: int, name: str, value: Any) -> None:
    N = db.PlayerNotification
    row = N.get_or_none(N.id == key)
    if row is None:
        return
    entries = [e for e in row.kept_state or () if not _is(e, name)]
    entries.append({name: value})
    N.update(kept_state=entries).where(N.id == key).execute()


def _is(entry: Any, *names: str) -> bool:
    return isinstance(entry, dict) and any(name in entry for name in names)

"""A renamed show's watched state, kept in its notification row while Kodi has it nowhere.

Kodi 20.1 adds the renamed folder of a show it has to that show; `kodi_state.move_show` then
removes the show (`RemoveTVShow`) and scans the folder again to have it added on its own. From
the removal until that scan is over and the state given back, the state of the user's watched
episodes lived only in Kodi's old show (gone) and in memory: a scan that adds nothing, a Kodi
that crashes or a daemon killed in between lost it. So it is written here first, in the
row's `kept_state` (a JSON list, one entry per episode: its file below the show folder, its
season and number, its play count, resume point and last played time), committed before the
removal; the row's next attempt gives it back once Kodi has the folder, then clears it. The
row lives in the database every host shares, so any host's next attempt finds it.
"""

from __future__ import annotations

from collections.abc import Sequence

from metarrd import db
from metarrd.players.kodi_tv import Watched


def load(keys: Sequence[int]) -> dict[int, list[Watched]]:
    """notification row id -> the watched state kept in it, for the rows that keep one."""
    if not keys:
        return {}
    rows = db.PlayerNotification.select(
        db.PlayerNotification.id, db.PlayerNotification.kept_state
    ).where(
        db.PlayerNotification.id.in_(list(keys)) & db.PlayerNotification.kept_state.is_null(False)
    )
    return {row.id: [_watched(e) for e in row.kept_state] for row in rows if row.kept_state}


def keep(key: int, watched: Sequence[Watched]) -> None:
    """Write (and commit) a row's watched state before Kodi's copy of it is removed."""
    state = [
        {"file": w.relative, "season": w.season, "episode": w.episode, **w.details} for w in watched
    ]
    with db.write_transaction():
        db.PlayerNotification.update(kept_state=state).where(
            db.PlayerNotification.id == key
        ).execute()


def clear(key: int) -> None:
    """The watched state was given back: the row keeps nothing more."""
    with db.write_transaction():
        db.PlayerNotification.update(kept_state=None).where(
            db.PlayerNotification.id == key
        ).execute()


def _watched(entry: dict) -> Watched:
    details = {k: entry[k] for k in ("playcount", "resume", "lastplayed") if k in entry}
    return Watched(str(entry["file"]), int(entry["season"]), int(entry["episode"]), details)

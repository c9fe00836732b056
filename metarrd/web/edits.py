"""The user's manual choices, written to the database: the only place the web app writes rows
other than queueing jobs and the workflow switches.

Each change runs in one `BEGIN IMMEDIATE` transaction on a fresh copy of the row (the daemon may
be writing the same movie), locks what the user chose (an edited field, a hand-picked artwork
type) so that enrichment leaves it alone, records an event for the item's history and the live
updates, and turns a published item into "outdated" when the library files would change: back to
"published" (`settle`) when a publish would write nothing after all (an edit put back as it
was, an artwork choice undone), its files read outside the write transaction.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from metarrd import db
from metarrd.config import ASSET_TYPES
from metarrd.errors import EditRefused
from metarrd.fields import DETAIL_FIELDS, block_lock, follow_title, later_episode_fields
from metarrd.publish import settle_unit
from metarrd.runtime import Runtime
from metarrd.web.fields import (
    FIELD_LABELS,
    LIST_FIELDS,
    field_label,
    field_shown,
    is_field,
    parse_field,
    sent_back_as_shown,
)
from metarrd.web.ids import MAX_INT

log = logging.getLogger(__name__)


EditError = EditRefused  # what the screens catch


def _touch(movie: db.Movie, **columns: Any) -> None:
    db.Movie.update(updated_at=db.now(), **columns).where(db.Movie.id == movie.id).execute()


def settle(rt: Runtime | None, movie: db.Movie) -> None:
    """After a change to a published item (or to a show's season or episode: the show is
    published as one unit, `db.mark_outdated`) that made it "Updated – Republish?": "Published"
    again when its library files already are what a publish would write, as an edit put back as
    it was or an artwork choice undone leaves them (`settle_unit`: the files are read after the
    change's transaction and outside any other, and an edit made meanwhile in another tab stays
    "Republish?"; nothing is read while its library or the image cache hangs)."""
    M = db.Movie
    root = movie.show_id or movie.id
    if rt is None or not M.select().where(M.id == root, M.publish_state == db.OUTDATED).exists():
        return
    settle_unit(rt, root)


def set_field(
    movie_id: int,
    name: str,
    raw: str,
    rt: Runtime | None = None,
    *,
    one_per_line: bool = False,
) -> db.Movie:
    """Set a metadata field from what the user typed, and lock it. With `rt`, an item this
    turned "Updated – Republish?" is "Published" again when a publish would write nothing.
    A list comes one name per line from its text area (`one_per_line`), else comma-separated."""
    if block_lock(name) is not None:
        return _set_block_field(movie_id, name, raw, rt)
    try:
        value = parse_field(name, raw, one_per_line=one_per_line)
    except ValueError as exc:
        raise EditError(str(exc)) from None
    with db.write_transaction():
        movie = db.Movie.get_by_id(movie_id)
        if name in LIST_FIELDS and not one_per_line:  # its names' own commas kept
            value = parse_field(name, raw, known=getattr(movie, name) or ())
        if sent_back_as_shown(name, raw, getattr(movie, name), one_per_line=one_per_line):
            value = getattr(movie, name)  # sent back as shown (TMDB's 8.216): kept as it is
        changed = getattr(movie, name) != value
        locked = list(movie.locked_fields or [])
        if name not in locked:
            locked.append(name)
        columns = {name: value, "locked_fields": locked}
        if name == "title" and movie.kind == db.MOVIE and "sort_title" not in locked:
            sort = follow_title(value, movie.sort_title, movie.title)  # Kodi lists by it
            if sort != movie.sort_title:
                columns["sort_title"] = sort
                changed = True
        agree = _year_and_date_agree(movie, name, value)
        if agree:
            columns.update(agree)
            changed = True
        details = _with_detail(movie, name, value)
        if details is not None:
            columns["episode_details"] = details
            changed = True
        _touch(movie, **columns)
        _edited(movie_id, name, FIELD_LABELS[name], changed, field_shown(name, value))
    if changed:
        settle(rt, movie)
    return db.Movie.get_by_id(movie_id)


def _edited(movie_id: int, name: str, label: str, changed: bool, shown: str) -> None:
    """What every edit of a field leaves, in its transaction: the item to republish when the
    value changed, and the history's line (`review.edited`)."""
    if changed:
        db.mark_outdated(movie_id)
    db.record_event(
        "review.edited",
        f"{label} {'edited' if changed else 'kept'} and locked",
        movie=movie_id,
        field=name,
        value=shown[:200],
    )
    log.info("item %d: field %s set by the user and locked", movie_id, name)


def _set_block_field(movie_id: int, name: str, raw: str, rt: Runtime | None) -> db.Movie:
    """Set a later episode's own field of a multi-episode file (`title-2`: the second episode's
    title, written into its own `<episodedetails>` block) and lock it under that name, which
    enrich keeps (`keep_locked`). The item's columns are its first episode's: untouched."""
    base, index = block_lock(name) or (name, 0)
    try:
        value = parse_field(name, raw)
    except ValueError as exc:
        raise EditError(str(exc)) from None
    with db.write_transaction():
        movie = db.Movie.get_by_id(movie_id)
        details = list(movie.episode_details or [])
        if (
            movie.kind != db.EPISODE
            or index >= len(details)
            or not isinstance(details[index], dict)
        ):
            raise EditError("This file has no such episode now: reload the page.")
        old = details[index].get(base)
        if sent_back_as_shown(base, raw, old):
            value = old
        changed = old != value
        if changed:
            details[index] = {**details[index], base: value}
        locked = list(movie.locked_fields or [])
        if name not in locked:
            locked.append(name)
        _touch(movie, episode_details=details, locked_fields=locked)
        _edited(movie_id, name, field_label(name, details), changed, field_shown(base, value))
    if changed:
        settle(rt, movie)
    return db.Movie.get_by_id(movie_id)


def _year_and_date_agree(movie: db.Movie, name: str, value: Any) -> dict[str, Any]:
    """The other of year and premiered, where this edit of one leaves them apart: the last edit
    wins. Kodi takes the year from `<premiered>` and ignores `<year>` (kodi.md), so an edited
    year goes with no date of another year (even one the user entered before: the newer word is
    the year), and an edited date takes its year along (the page then shows what Kodi does)."""
    premiered = movie.premiered
    if name == "year" and isinstance(value, int) and premiered and premiered[:4] != f"{value:04d}":
        return {"premiered": None}
    low, high = db.INT_RANGES["year"]
    year = int(value[:4]) if name == "premiered" and isinstance(value, str) else None
    if year is not None and movie.year != year and low <= year <= high:
        return {"year": year}
    return {}


def _with_detail(movie: db.Movie, name: str, value: Any) -> list | None:
    """An episode file's `episode_details` with its first episode's `name` set to `value` (the
    episode NFO is written from the details; a re-enrich keeps them while the field is locked),
    or None when there is nothing to change."""
    details = list(movie.episode_details or [])
    if movie.kind != db.EPISODE or name not in DETAIL_FIELDS or not details:
        return None
    if not isinstance(details[0], dict) or details[0].get(name) == value:
        return None
    details[0] = {**details[0], name: value}
    return details


def toggle_field_lock(movie_id: int, name: str) -> db.Movie:
    if not is_field(name):
        raise EditError(f"{name!r} is not an editable field")
    with db.write_transaction():
        movie = db.Movie.get_by_id(movie_id)
        locked = list(movie.locked_fields or [])
        now_locked = name not in locked
        locked = locked + [name] if now_locked else [f for f in locked if f != name]
        _touch(movie, locked_fields=locked)
        what = "locked" if now_locked else "unlocked: enrichment may refresh it"
        label = field_label(name, movie.episode_details)
        db.record_event("review.locked", f"{label} {what}", movie=movie_id, field=name)
    return db.Movie.get_by_id(movie_id)


def toggle_type_lock(movie_id: int, asset_type: str) -> db.Movie:
    with db.write_transaction():
        movie = db.Movie.get_by_id(movie_id)
        locked = list(movie.locked_asset_types or [])
        now_locked = asset_type not in locked
        locked = locked + [asset_type] if now_locked else [t for t in locked if t != asset_type]
        _touch(movie, locked_asset_types=locked)
        what = "locked" if now_locked else "unlocked: enrichment may choose again"
        db.record_event(
            "review.locked", f"{asset_type} artwork {what}", movie=movie_id, asset_type=asset_type
        )
    return db.Movie.get_by_id(movie_id)


def lock_all_fields(movie_ids: list[int]) -> int:
    """Lock every editable field of these items (bulk "Lock fields"): enrichment then leaves
    their metadata as it is, a multi-episode file's later episodes' own titles, air dates and
    plots too. Returns how many items changed."""
    M = db.Movie
    changed = 0
    movies = list(
        M.select(M.id, M.kind, M.locked_fields, M.episode_details).where(M.id.in_(movie_ids))
    )
    for movie in movies:
        every = list(FIELD_LABELS)
        if movie.kind == db.EPISODE:  # and its later episodes' own (`aired-2`, `title-2`...)
            every += later_episode_fields(len(movie.episode_details or []))
        if set(movie.locked_fields or []) >= set(every):
            continue
        kept = [f for f in movie.locked_fields or [] if f not in every]  # e.g. the cast lock
        with db.write_transaction():
            _touch(movie, locked_fields=every + kept)
            db.record_event("review.locked", "every field locked", movie=movie.id)
        changed += 1
    return changed


def selection_snapshot(movie_id: int, asset_type: str) -> dict[str, Any]:
    """How one artwork type is chosen now (ranks, who chose, the lock): what Undo restores."""
    A = db.ArtworkCandidate
    rows = A.select(A.id, A.is_selected, A.rank, A.selected_by).where(
        A.movie == movie_id, A.asset_type == asset_type
    )
    movie = db.Movie.get_by_id(movie_id)
    return {
        "type": asset_type,
        "locked": asset_type in (movie.locked_asset_types or []),
        "picks": [[a.id, a.rank, a.selected_by] for a in rows if a.is_selected],
        "by": [[a.id, a.selected_by] for a in rows if not a.is_selected and a.selected_by],
    }


MAX_RANK = 1000  # far above any type's limit: a rank beyond it did not come from us
CHOOSERS = (None, "auto", "user")  # selected_by


@dataclass(frozen=True)
class Snapshot:
    """`selection_snapshot` as the Undo form sends it back, checked (`read_snapshot`)."""

    asset_type: str
    locked: bool
    picks: list[tuple[int, int | None, str | None]]  # (candidate id, rank, chosen by)
    others: list[tuple[int, str | None]]  # not selected, with who decided it


def read_snapshot(data: Any) -> Snapshot:
    """The snapshot that came back from the browser, or ValueError saying what is wrong with
    it: ids and ranks are whole numbers in range (1..MAX_RANK for a rank), choosers are ours."""
    if not isinstance(data, dict) or data.get("type") not in ASSET_TYPES:
        raise ValueError("it names no artwork type")
    picks, others = data.get("picks"), data.get("by", [])
    if not isinstance(picks, list) or any(not isinstance(p, list) or len(p) != 3 for p in picks):
        raise ValueError("its picks are not [id, rank, chooser] lists")
    if not isinstance(others, list) or any(not isinstance(o, list) or len(o) != 2 for o in others):
        raise ValueError("its other choices are not [id, chooser] lists")
    return Snapshot(
        asset_type=data["type"],
        locked=bool(data.get("locked")),
        picks=[
            (_whole(i, "id", MAX_INT), None if r is None else _whole(r, "rank", MAX_RANK), _by(b))
            for i, r, b in picks
        ],
        others=[(_whole(i, "id", MAX_INT), _by(b)) for i, b in others],
    )


def _whole(value: Any, what: str, most: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= most:
        raise ValueError(f"a {what} is not a whole number from 1 to {most}")
    return value


def _by(value: Any) -> str | None:
    if value not in CHOOSERS:
        raise ValueError("a choice was made by someone unknown")
    return value


def restore_selection(movie_id: int, snapshot: Snapshot, rt: Runtime | None = None) -> None:
    """Undo: put an artwork type back as `snapshot` had it. Only this item's candidates of that
    type are touched (the snapshot came back from the browser). With `rt`, an item this turned
    "Updated – Republish?" is "Published" again when a publish would write nothing."""
    A = db.ArtworkCandidate
    asset_type, picks, others = snapshot.asset_type, snapshot.picks, snapshot.others
    with db.write_transaction():
        own = {
            i
            for (i,) in A.select(A.id)
            .where(A.movie == movie_id, A.asset_type == asset_type, A.rejected_reason.is_null())
            .tuples()
        }
        if not own or any(i not in own for i, _r, _b in picks):
            raise EditError("the item was enriched again since; choose again by hand")
        A.update(is_selected=False, rank=None, selected_by=None).where(
            A.movie == movie_id, A.asset_type == asset_type
        ).execute()
        for i, by in others:
            if i in own:
                A.update(selected_by=by).where(A.id == i).execute()
        for i, rank, by in picks:
            A.update(is_selected=True, rank=rank, selected_by=by).where(A.id == i).execute()
        movie = db.Movie.get_by_id(movie_id)
        locked = [t for t in (movie.locked_asset_types or []) if t != asset_type]
        if snapshot.locked:
            locked.append(asset_type)
        _touch(movie, locked_asset_types=locked)
        db.mark_outdated(movie_id)
        db.record_event(
            "review.selected", f"{asset_type} choice undone", movie=movie_id, asset_type=asset_type
        )
    settle(rt, movie)

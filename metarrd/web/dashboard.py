"""The library health dashboard: items per state, artwork coverage per type, the languages of
the selected posters, TV (shows left unidentified or to review, episode files without an NFO or
without a match) and provider errors over the last two weeks, as server-rendered SVG charts (no
build step, no script). A bar links to the library filtered to what it counts, where the
library can show it (it lists movies and shows, never an episode)."""

from __future__ import annotations

import datetime as _dt
import itertools
from dataclasses import dataclass

import peewee as pw
from flask import Blueprint, current_app, render_template, url_for

from metarrd import db, preferences
from metarrd.config import ASSET_TYPES, SHOW_ART_TYPES
from metarrd.enrich import MOVIE_ART_TYPES
from metarrd.web import charts, listing, queries
from metarrd.web.formatting import language_name
from metarrd.web.states import BADGES, FILTERS, state_of

bp = Blueprint("dashboard", __name__)

DAYS = 14


# The types enrichment finds for each kind the library lists: a show has no disc art, and
# neither a movie nor a show a thumb (an episode's); counted as missing, they drew gaps (thumb
# "0 of 14") that no enrichment can fill.
KIND_TYPES = {
    db.MOVIE: MOVIE_ART_TYPES,
    db.SHOW: frozenset(SHOW_ART_TYPES),
}


def coverage() -> list[tuple[str, int, int]]:
    """(artwork type, present items with one selected, present identified items of the kinds
    that get the type), one statement per chart: the types the configuration asks for that a
    movie or a show gets."""
    limits = preferences.effective(current_app.config["METARRD"]).artwork.limits
    # a type the limits leave out is selected once (enrich: `limits.get(type, 1)`)
    types = [
        t for t in ASSET_TYPES if limits.get(t, 1) and any(t in k for k in KIND_TYPES.values())
    ]
    M, A = db.Movie, db.ArtworkCandidate
    eligible = (~M.missing) & (M.identification_status == db.ENRICHED) & listing.listed()
    totals = dict(M.select(M.kind, pw.fn.COUNT(M.id)).where(eligible).group_by(M.kind).tuples())
    have: dict[tuple[str, str], int] = {
        (t, kind): n
        for t, kind, n in A.select(A.asset_type, M.kind, pw.fn.COUNT(pw.fn.DISTINCT(A.movie)))
        .join(M, on=(A.movie == M.id))
        .where(eligible, A.is_selected, A.asset_type.in_(types))
        .group_by(A.asset_type, M.kind)
        .tuples()
    }
    return [
        (
            t,
            sum(have.get((t, kind), 0) for kind, offered in KIND_TYPES.items() if t in offered),
            sum(totals.get(kind, 0) for kind, offered in KIND_TYPES.items() if t in offered),
        )
        for t in types
    ]


def poster_languages(limit: int = 8) -> list[tuple[str | None, int]]:
    M, A = db.Movie, db.ArtworkCandidate
    rows = (
        A.select(A.language, pw.fn.COUNT(A.id))
        .join(M, on=(A.movie == M.id))
        .where(A.asset_type == "poster", A.is_selected, A.rank == 1, listing.listed())
        .group_by(A.language)
        .order_by(pw.fn.COUNT(A.id).desc())
        .limit(limit)
        .tuples()
    )
    return list(rows)


@dataclass(frozen=True)
class TvCounts:
    shows: int = 0
    episodes: int = 0  # present episode files
    unidentified_shows: int = 0
    shows_to_review: int = 0  # enriched, not published yet ("To review")
    shows_to_republish: int = 0  # changed since published ("Republish?")
    episodes_unmatched: int = 0  # no numbers in the name, or no such episode at the provider
    episodes_without_nfo: int = 0  # neither published by metarrd nor the user's own NFO


def tv_counts() -> TvCounts:
    """The TV part of the library in one grouped statement over the present shows and episodes.
    An episode has an NFO when metarrd published it (published or outdated: its NFO is written)
    or the scan found the user's own (`source_nfo_hash`)."""
    M = db.Movie
    rows = (
        M.select(
            M.kind,
            M.identification_status,
            M.publish_state,
            M.source_nfo_hash.is_null(False),
            pw.fn.COUNT(M.id),
        )
        .where(M.kind.in_([db.SHOW, db.EPISODE]), ~M.missing)
        .group_by(pw.SQL("1, 2, 3, 4"))
        .tuples()
    )
    n: dict[str, int] = dict.fromkeys(TvCounts.__dataclass_fields__, 0)
    for kind, status, publish_state, own_nfo, count in rows:
        state = state_of(status, publish_state, False)
        if kind == db.SHOW:
            n["shows"] += count
            n["unidentified_shows"] += count if state == "unidentified" else 0
            n["shows_to_review"] += count if state == "unpublished" else 0
            n["shows_to_republish"] += count if state == "outdated" else 0
            continue
        n["episodes"] += count
        n["episodes_unmatched"] += count if status == db.UNIDENTIFIED else 0
        published = publish_state in (db.PUBLISHED, db.OUTDATED)
        n["episodes_without_nfo"] += count if not (published or own_nfo) else 0
    return TvCounts(**n)


def tv_chart(counts: TvCounts) -> charts.BarChart:
    def shows(state: str) -> str:
        return url_for("library.index", filter=state, kind="show")

    c = counts
    rows = [
        ("Unidentified shows", c.unidentified_shows, c.shows, shows("unidentified"), "danger"),
        ("Shows to review", c.shows_to_review, c.shows, shows("unpublished"), "warning"),
        ("Shows to republish", c.shows_to_republish, c.shows, shows("outdated"), "info"),
        ("Episodes unmatched", c.episodes_unmatched, c.episodes, None, "danger"),
        ("Episodes without NFO", c.episodes_without_nfo, c.episodes, None, "warning"),
    ]
    # each bar is the share of its whole (shows, or episode files), its text the count
    return charts.bar_chart(
        [
            (label, value / total if total else 0.0, f"{value} of {total}", href, tone)
            for label, value, total, href, tone in rows
        ],
        maximum=1.0,
    )


def errors_per_day(days: int = DAYS) -> list[tuple[_dt.date, int]]:
    """Error events on each of the last `days` days, today last: the days of this machine's
    time zone (TZ), midnight to midnight, a DST change's 23 or 25 hours included. They were
    UTC's: with `TZ=Asia/Kolkata` an error at 00:10 counted on the day before, and in New York
    the evening's last column was tomorrow. Events are stored in UTC: each day is counted
    between its two local midnights, in UTC."""
    E = db.Event
    today = _dt.date.today()
    start = today - _dt.timedelta(days=days - 1)
    bounds = [_utc_midnight(start + _dt.timedelta(days=i)) for i in range(days + 1)]
    counts = [
        pw.fn.SUM(pw.Case(None, [((E.created_at >= low) & (E.created_at < high), 1)], 0))
        for low, high in itertools.pairwise(bounds)
    ]
    row = (
        E.select(*counts)
        .where(E.level == "error", E.created_at >= bounds[0], E.created_at < bounds[-1])
        .tuples()
        .first()
    )
    return [(start + _dt.timedelta(days=i), int((row or ())[i] or 0)) for i in range(days)]


def _utc_midnight(day: _dt.date) -> _dt.datetime:
    """The local midnight that starts `day`, as the naive UTC the database keeps."""
    return _dt.datetime.combine(day, _dt.time()).astimezone(_dt.UTC).replace(tzinfo=None)


@bp.get("/health")
def index():
    state_counts = listing.state_counts()
    states = charts.bar_chart(
        [
            (
                FILTERS[name],
                state_counts[name],
                str(state_counts[name]),
                url_for("library.index", filter=name),
                BADGES[name].tone,
            )
            for name in FILTERS
            if name != "all"
        ]
    )
    cover = coverage()
    # each bar is the share of its own total (disc art counts movies only), its text the count
    art = charts.bar_chart(
        [
            (
                t,
                have / total if total else 0.0,
                f"{have} of {total}" if total else "–",
                url_for("library.index", missing_art=t) if t in listing.FACET_ART_TYPES else None,
                "success" if total and have == total else "accent",
            )
            for t, have, total in cover
        ],
        maximum=1.0,
    )
    langs = charts.bar_chart(
        [
            (
                language_name(lang),
                n,
                str(n),
                url_for("library.index", poster_lang=lang or "none"),
                "info",
            )
            for lang, n in poster_languages()
        ]
    )
    per_day = errors_per_day()
    errors = charts.column_chart(
        [(d.strftime("%m-%d"), n, url_for("activity.index")) for d, n in per_day]
    )
    tv = tv_counts()
    return render_template(
        "dashboard.html",
        tv=tv,
        tv_chart=tv_chart(tv) if tv.shows else None,
        states=states,
        total=state_counts["all"],
        art=art,
        langs=langs,
        errors=errors,
        error_total=sum(n for _d, n in per_day),
        live_cursor=queries.live_cursor(),
    )

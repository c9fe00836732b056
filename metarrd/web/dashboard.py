"""The library health dashboard: items per state, artwork coverage per type, the languages of
the selected posters and provider errors over the last two weeks, as server-rendered SVG charts
(no build step, no script). Every bar links to the library filtered to what it counts."""

from __future__ import annotations

import datetime as _dt

import peewee as pw
from flask import Blueprint, current_app, render_template, url_for

from metarrd import db, preferences
from metarrd.config import ASSET_TYPES
from metarrd.web import charts, listing, queries
from metarrd.web.formatting import language_name
from metarrd.web.states import BADGES, FILTERS

bp = Blueprint("dashboard", __name__)

DAYS = 14


def coverage() -> list[tuple[str, int, int]]:
    """(artwork type, present items with one selected, present identified items), one statement
    per chart: the types the configuration asks for."""
    limits = preferences.effective(current_app.config["METARRD"]).artwork.limits
    types = [t for t in ASSET_TYPES if limits.get(t)]
    M, A = db.Movie, db.ArtworkCandidate
    eligible = (~M.missing) & (M.identification_status == db.ENRICHED) & db.is_movie()
    total = M.select(pw.fn.COUNT(M.id)).where(eligible).scalar() or 0
    have = dict(
        A.select(A.asset_type, pw.fn.COUNT(pw.fn.DISTINCT(A.movie)))
        .join(M, on=(A.movie == M.id))
        .where(eligible, A.is_selected, A.asset_type.in_(types))
        .group_by(A.asset_type)
        .tuples()
    )
    return [(t, have.get(t, 0), total) for t in types]


def poster_languages(limit: int = 8) -> list[tuple[str | None, int]]:
    M, A = db.Movie, db.ArtworkCandidate
    rows = (
        A.select(A.language, pw.fn.COUNT(A.id))
        .join(M, on=(A.movie == M.id))
        .where(A.asset_type == "poster", A.is_selected, A.rank == 1, db.is_movie())
        .group_by(A.language)
        .order_by(pw.fn.COUNT(A.id).desc())
        .limit(limit)
        .tuples()
    )
    return list(rows)


def errors_per_day(days: int = DAYS) -> list[tuple[_dt.date, int]]:
    E = db.Event
    today = db.now().date()
    start = today - _dt.timedelta(days=days - 1)
    counts = dict(  # the day as text: SQLite's DATE() is text, PostgreSQL's a date
        E.select(pw.fn.DATE(E.created_at).cast("TEXT").coerce(False), pw.fn.COUNT(E.id))
        .where(E.level == "error", E.created_at >= _dt.datetime.combine(start, _dt.time()))
        .group_by(pw.fn.DATE(E.created_at))
        .tuples()
    )
    return [
        (start + _dt.timedelta(days=i), int(counts.get(str(start + _dt.timedelta(days=i)), 0)))
        for i in range(days)
    ]


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
    art = charts.bar_chart(
        [
            (
                t,
                have,
                f"{have} of {total}" if total else "–",
                url_for("library.index", missing_art=t) if t in listing.FACET_ART_TYPES else None,
                "success" if total and have == total else "accent",
            )
            for t, have, total in cover
        ],
        maximum=max((total for _t, _h, total in cover), default=0),
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
    return render_template(
        "dashboard.html",
        states=states,
        total=state_counts["all"],
        art=art,
        langs=langs,
        errors=errors,
        error_total=sum(n for _d, n in per_day),
        live_cursor=queries.live_cursor(),
    )

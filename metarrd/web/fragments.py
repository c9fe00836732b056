"""Fragments that several screens send back: the toast message and the item page header."""

from __future__ import annotations

from flask import render_template

from metarrd import db
from metarrd.web import queries, tv


def toast(message: str, tone: str = "success", undo: tuple[int, dict] | None = None) -> str:
    """An out-of-band swap of the page's toast area, appended to an htmx answer; `undo`
    (movie id, snapshot) adds an Undo button that puts an artwork type back."""
    import json

    undo_args = None
    if undo:
        undo_args = {"movie_id": undo[0], "snapshot": json.dumps(undo[1], separators=(",", ":"))}
    return render_template("_toast.html", message=message, tone=tone, oob=True, undo=undo_args)


def header_context(movie: db.Movie) -> dict:
    from metarrd.web import tv
    from metarrd.web.listing import neighbours

    listed = movie.kind in (db.MOVIE, db.SHOW)
    # a season's or an episode's show: its jobs are theirs too (their Enrich and Publish queue
    # the show's, which writes their files), or the page of the one the button was pressed on
    # said nothing of it beside a button ready to be pressed again
    owner = None if listed else movie.show_id
    active = queries.active_jobs([movie.id, owner] if owner else [movie.id])
    return {
        "movie": movie,
        "crumbs": tv.crumbs(movie) if tv.is_tv(movie) else [],
        "jobs": active.get(movie.id, []),
        "show_jobs": active.get(owner, []) if owner else [],
        **_pictures(movie),
        "review": neighbours(movie.id) if listed else None,
        # a season's or an episode's show: what its action bar sends to when it is unidentified
        "show": None if listed else tv.owner(movie),
        # an episode of a published show publishes alone (its Preview & publish tab says so)
        "alone": tv.publishes_alone(movie),
        # an episode of an enriched show (its season too) is enriched alone
        "enrich_alone": tv.enriches_alone(movie),
        "show_failed": None if listed else _show_publish_failed(movie),
    }


def _show_publish_failed(movie: db.Movie) -> str | None:
    """Why the last publish of a season's or an episode's show failed, when it did (a full
    disk): their files publish with it, and only the show's page said so."""
    if not movie.show_id:
        return None
    last = (
        db.PublishLog.select(db.PublishLog.ok, db.PublishLog.message)
        .where(db.PublishLog.movie == movie.show_id)
        .order_by(db.PublishLog.id.desc())
        .first()
    )
    return None if last is None or last.ok else last.message or "(no reason recorded)"


def _pictures(movie: db.Movie) -> dict:
    """The header's poster and backdrop: an episode shows its thumb across the header and its
    season's (else its show's) poster, the season its name numbers or, for a file named by air
    date, the one identify matched (`tv.episode_numbers`); a season without fanart its show's."""
    poster = queries.first_posters([movie.id]).get(movie.id)
    backdrop = queries.first_selected([movie.id], "fanart").get(movie.id)
    if movie.kind in (db.SEASON, db.EPISODE) and movie.show_id:
        if movie.kind == db.EPISODE:
            backdrop = queries.first_selected([movie.id], "thumb").get(movie.id)
            number, _episodes = tv.episode_numbers(movie)
            season = db.Movie.select(db.Movie.id).where(
                db.Movie.show == movie.show_id,
                db.Movie.kind == db.SEASON,
                db.Movie.season == number,
            )
            posters = queries.first_posters([*(s.id for s in season), movie.show_id])
            poster = next((p for i, p in posters.items() if i != movie.show_id), None) or (
                posters.get(movie.show_id)
            )
        if backdrop is None:
            backdrop = queries.first_selected([movie.show_id], "fanart").get(movie.show_id)
    return {"poster": poster, "backdrop": backdrop}


def item_header(movie_id: int, *, oob: bool = False) -> str:
    """The item page's header, for htmx: with the page's `<title>` (htmx sets the window's
    title from a `<title>` at the top of an answer), which an edited title changes too, and a
    show's, season's or episode's breadcrumbs, which name the show (its edited title, the show
    "Change show…" chose)."""
    movie = db.Movie.get_by_id(movie_id)
    title = render_template("_page_title.html", movie=movie)
    context = header_context(movie)
    header = render_template("_item_header.html", oob=oob, **context)
    if context["crumbs"]:
        header += render_template("_crumbs.html", oob=True, **context)
    return header + title

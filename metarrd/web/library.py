"""The library page: every item as a poster wall (default) or a table, paged, searchable,
filtered by state (the states partition the library) and narrowed by facets, sorted either way,
with per-item and bulk Enrich / Publish / Lock / Re-identify. `GET /` renders the page, or only
the `_library.html` partial for htmx; `GET /counts` the state counts (they follow the rows live)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from htmx_flask import make_response

from metarrd import db
from metarrd.text import count
from metarrd.web import edits, listing, queries, tv
from metarrd.web.actions import ActionRefused, queue_action, queue_many
from metarrd.web.errors import not_found
from metarrd.web.formatting import BULK_ACTIONS
from metarrd.web.fragments import item_header, toast
from metarrd.web.ids import parse_int

bp = Blueprint("library", __name__)


def _query() -> listing.Query:
    return listing.Query.parse(request.values)


@bp.get("/")
def index():
    partial = bool(request.htmx and not request.htmx.boosted)
    page = listing.library_page(_query(), with_options=not partial)
    if partial:
        return render_template("_library.html", lib=page)
    return render_template("library.html", lib=page, live_cursor=queries.live_cursor())


@bp.get("/counts")
def counts():
    """The state chips' counts for the current search and facets (out-of-band spans)."""
    query = _query()
    return render_template("_counts.html", counts=listing.state_counts(query), query=query)


@bp.get("/movies/<int:movie_id>/row")
def row(movie_id: int):
    found = queries.row(movie_id)
    if found is None:
        not_found(f"item {movie_id} (it may have been removed)")
    view = "table" if request.args.get("view") == "table" else "wall"
    template = "_movie_row.html" if view == "table" else "_movie_card.html"
    return render_template(template, row=found)


@bp.post("/movies/<int:movie_id>/<any(enrich, publish, republish):action>")
def act(movie_id: int, action: str):
    """One item's button. htmx gets back the element that showed the button (`view`)."""
    movie = queries.movie_or_404(movie_id)
    try:
        queue_action(movie, action)
        name = tv.action_name(movie, "enrich" if action == "enrich" else "publish")
        message, tone = f"{action.capitalize()} queued for {name}", "success"
    except ActionRefused as exc:
        message, tone = str(exc), "danger"
    if not request.htmx:
        flash(message, tone)
        return redirect(_back(movie_id), code=303)
    view = request.form.get("view", "row")
    if view == "header":  # the page's own item: a season or episode page publishes its show
        page_id = parse_int(request.form.get("page"))
        if page_id is None or not db.Movie.select().where(db.Movie.id == page_id).exists():
            page_id = movie_id
        body = item_header(page_id)
    elif view == "card":
        body = render_template("_movie_card.html", row=queries.row(movie_id))
    else:
        body = render_template("_movie_row.html", row=queries.row(movie_id))
    # the navigation's "1 queued" follows at once: a bulk action's `bulk.queued` event tells the
    # live stream, a single one records none, and it read "Idle" until the daemon's next event
    return make_response(
        body + toast(message, tone), trigger="job-added" if tone == "success" else None
    )


@bp.post("/bulk")
def bulk():
    action = request.form.get("action", "")
    if action not in BULK_ACTIONS:
        abort(
            400,
            f"There is no bulk action {action[:40]!r}: choose Enrich, Publish, Lock fields or Re-identify.",
        )
    query = _query()
    if request.form.get("all_matching") == "1":
        ids = listing.matching_ids(query)
    else:
        ids = [i for i in map(parse_int, request.form.getlist("ids")) if i is not None]
    if not ids:
        message, tone = "Select at least one item first.", "danger"
    elif action == "lock":
        locked = edits.lock_all_fields(ids)
        # the ticked items still here (one deleted meanwhile is neither locked nor "already")
        found = db.Movie.select().where(db.Movie.id.in_(ids)).count()
        if locked and locked == found:
            message, tone = f"Fields locked on {count(locked, 'item')}", "success"
        elif locked:  # not "locked on 1 item" alone: where did the other tick go?
            others = found - locked
            message = (
                f"Fields locked on {locked} of {count(found, 'item')}; the "
                f"{'other' if others == 1 else f'{others} others'} had every field locked already"
            )
            tone = "success"
        elif found:  # not a green "locked on 0 items", as if the ticks were lost
            these = "this item" if found == 1 else f"these {found} items"
            message, tone = f"Every field of {these} was locked already", "info"
        else:
            message, tone = "The items selected are no longer in the library.", "danger"
    else:
        queued, skipped = queue_many(ids, action)
        message = f"{BULK_ACTIONS[action]} queued for {len(queued)} of {count(ids, 'item')}"
        if skipped:
            message += f"; {len(skipped)} skipped: " + "; ".join(skipped[:3])
            message += f" … and {len(skipped) - 3} more" if len(skipped) > 3 else ""
        # a partial result looks partial: green said all went well when some were skipped
        tone = "danger" if not queued else "warning" if skipped else "success"
    if not request.htmx:
        flash(message, tone)
        return redirect(url_for("library.index", **query.args()), code=303)
    page = listing.library_page(query, with_options=False)
    return make_response(
        render_template("_library.html", lib=page, fresh=True) + toast(message, tone)
    )


def _back(movie_id: int) -> str:
    referrer = request.referrer or ""
    if referrer.startswith(request.host_url):
        return referrer
    return url_for("item.show", movie_id=movie_id)

"""The library page: every item, paged, searchable, filtered by state, with per-item and bulk
Enrich / Publish. `GET /` renders the page, or only the `_library.html` partial for htmx."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from htmx_flask import make_response

from metarrd.web import queries
from metarrd.web.actions import ActionRefused, queue_action, queue_many
from metarrd.web.fragments import item_header, toast
from metarrd.web.ids import parse_int

bp = Blueprint("library", __name__)


def _int_arg(name: str, default: int) -> int:
    return parse_int(request.values.get(name), default)


def _page_args() -> dict:
    return {
        "q": request.values.get("q", "")[:200],
        "filter": request.values.get("filter", "all"),
        "sort": request.values.get("sort", "title"),
        "page": _int_arg("page", 1),
        "per_page": _int_arg("per_page", queries.PER_PAGE),
    }


@bp.get("/")
def index():
    page = queries.library_page(**_page_args())
    if request.htmx and not request.htmx.boosted:
        return render_template("_library.html", lib=page)
    return render_template("library.html", lib=page, live_cursor=queries.live_cursor())


@bp.get("/movies/<int:movie_id>/row")
def row(movie_id: int):
    found = queries.row(movie_id)
    if found is None:
        abort(404, f"There is no item {movie_id} (it may have been removed).")
    return render_template("_movie_row.html", row=found)


@bp.post("/movies/<int:movie_id>/<any(enrich, publish, republish):action>")
def act(movie_id: int, action: str):
    """One item's button. htmx gets back the element that showed the button (`view`)."""
    movie = queries.movie_or_404(movie_id)
    try:
        queue_action(movie, action)
        message, tone = f"{action.capitalize()} queued for {movie.title or movie.path}", "success"
    except ActionRefused as exc:
        message, tone = str(exc), "danger"
    if not request.htmx:
        flash(message, tone)
        return redirect(_back(movie_id), code=303)
    view = request.form.get("view", "row")
    if view == "header":
        body = item_header(movie_id)
    else:
        body = render_template("_movie_row.html", row=queries.row(movie_id))
    return make_response(body + toast(message, tone))


@bp.post("/bulk")
def bulk():
    action = request.form.get("action", "")
    ids = [i for i in map(parse_int, request.form.getlist("ids")) if i is not None]
    if action not in ("enrich", "publish"):
        abort(400, "Choose Enrich or Publish.")
    if not ids:
        message, tone = "Select at least one item first.", "danger"
    else:
        queued, skipped = queue_many(ids, action)
        message = f"{action.capitalize()} queued for {len(queued)} item(s)"
        if skipped:
            message += f"; {len(skipped)} skipped: " + "; ".join(skipped[:3])
            message += " …" if len(skipped) > 3 else ""
        tone = "success" if queued else "danger"
    if not request.htmx:
        flash(message, tone)
        return redirect(url_for("library.index", **_list_args()), code=303)
    page = queries.library_page(**_page_args())
    return make_response(render_template("_library.html", lib=page) + toast(message, tone))


def _list_args() -> dict:
    args = _page_args()
    return {k: v for k, v in args.items() if v not in ("", "all", "title", 1, queries.PER_PAGE)}


def _back(movie_id: int) -> str:
    referrer = request.referrer or ""
    if referrer.startswith(request.host_url):
        return referrer
    return url_for("item.show", movie_id=movie_id)

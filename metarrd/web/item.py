"""The item page: metadata fields (edit in place, lock), artwork per type (select, deselect,
reorder, lock), cast, stream details, history and the publish preview."""

from __future__ import annotations

import json
import logging
from urllib.parse import urlencode

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from htmx_flask import make_response

from metarrd import cache, db, preferences
from metarrd.config import ASSET_TYPES
from metarrd.enrich import add_user_image, change_selection, label
from metarrd.errors import MetarrdError
from metarrd.fields import block_lock
from metarrd.mounts import hung_root
from metarrd.publish import preview_publish, users_actors
from metarrd.user_urls import UnreadableAddress
from metarrd.web import edits, files, formatting, queries, tv
from metarrd.web.errors import not_found
from metarrd.web.fields import FIELD_LABELS, FIELD_ORDER, LIST_FORM, ONE_PER_LINE, TV_ONLY
from metarrd.web.fragments import header_context, item_header, toast
from metarrd.web.ids import parse_int
from metarrd.web.pictures import describe_change

log = logging.getLogger(__name__)

bp = Blueprint("item", __name__)

ARTWORK_OPS = ("use", "add", "remove", "up", "down")
# the user's NFO cast the Cast tab lists (Jellyfin's tvshow.nfo of a long-running show holds a
# few hundred <actor>s; a 5 MB NFO could hold 100,000: a 19 MB page, seconds to build)
NFO_CAST_SHOWN = 500


def _field_or_404(name: str, movie: db.Movie) -> str:
    """`name`, an editable field of this item (a show's status, an episode's air date: of
    theirs only, no other NFO writes them; a later episode's own title, air date or plot,
    `title-2`, `aired-2`, `plot-2`, of a file whose enriched details hold that episode), or a
    404."""
    if block_lock(name) is not None:
        if _episode_block(movie, name) is None:
            not_found(f"editable field {name[:40]!r} on this item")
        return name
    if name not in FIELD_LABELS or (name in TV_ONLY and name not in tv.FIELDS.get(movie.kind, ())):
        not_found(f"editable field {name[:40]!r} on this item")
    return name


def _episode_block(movie: db.Movie, name: str) -> dict | None:
    """The block of `episode_details` a later episode's field (`aired-2`) is of, on an episode
    item that has it; else None."""
    lock = block_lock(name)
    details = movie.episode_details or [] if movie.kind == db.EPISODE else []
    if lock is None or lock[1] >= len(details) or not isinstance(details[lock[1]], dict):
        return None
    return details[lock[1]]


# The item page's tabs: name -> label. Each is its own htmx-loaded panel.
TABS = {
    "overview": "Overview",
    "artwork": "Artwork",
    "cast": "Cast",
    "files": "Files & streams",
    "history": "History",
    "publish": "Preview & publish",
}


def tabs_for(movie: db.Movie) -> dict[str, str]:
    """The tabs of a movie's page, or a show's, a season's or an episode's."""
    return tv.TABS.get(movie.kind, TABS)


def tab_context(movie: db.Movie, tab: str) -> dict:
    """What one tab shows (only what it shows is read)."""
    config = preferences.effective(current_app.config["METARRD"])
    context: dict = {
        "movie": movie,
        "tab": tab,
        "tabs": tabs_for(movie),
        "field_order": tv.FIELDS.get(movie.kind, FIELD_ORDER),
    }
    if tab == "artwork":
        types = tv.ART_TYPES.get(movie.kind, ASSET_TYPES)
        groups = queries.artwork_groups(movie, config.artwork.limits, types)
        shown = {g.asset_type for g in groups}
        context["groups"] = groups
        context["no_candidates"] = [
            t
            for t in types
            if t not in shown and (config.artwork.limits.get(t) or movie.kind != db.MOVIE)
        ]
    elif tab == "cast":
        context["cast"] = [(role, role.actor) for role in movie.cast()]
        # the photos are in the image cache: while it hangs, initials (each photo's request
        # would be a 503), and why
        pictured = any(actor.image_cache_path for _, actor in context["cast"])
        context["cache_hung"] = pictured and cache.unanswered(config.cache_dir)
        # none of its own: the NFO gets the user's <actor>s, as they were (publish/nfo.py)
        nfo_cast = (
            [] if context["cast"] else users_actors(movie.nfo_extra or [], NFO_CAST_SHOWN + 1)
        )
        context["nfo_cast"] = nfo_cast[:NFO_CAST_SHOWN]
        context["nfo_cast_more"] = len(nfo_cast) > NFO_CAST_SHOWN
    elif tab == "files" and movie.kind == db.EPISODE:
        context["streams"] = queries.streams(movie.id)
        context["library_files"] = queries.episode_files(movie)
    elif tab == "files":
        context["streams"] = queries.streams(movie.id) if movie.kind == db.MOVIE else None
        context["library_files"] = queries.library_files(movie.id)
    elif tab == "episodes":
        show = movie if movie.kind == db.SHOW else tv.owner(movie)
        only = movie.season if movie.kind == db.SEASON else None
        page = max(parse_int(request.args.get("page"), 1) or 1, 1) if only is not None else 1
        context["show"] = show
        context["seasons"] = tv.seasons(show, only=only, page=page)
        paged = [s.paging for s in context["seasons"] if s.paging and s.paging.pages > 1]
        context["page"] = paged[0].page if paged else None  # the tab's own refresh keeps it
        context["episode_orders"] = tv.order_choices(show) if movie.kind == db.SHOW else []
    elif tab == "history":
        context["history"] = queries.history(movie.id)
    elif tab == "publish":
        context["scope"], context["alone"] = tv.publish_scope(movie, request.args.get("scope"))
    return context


def _unknown_tab(movie: db.Movie) -> bool:
    """A `?tab=` this item's page has none of: a stale bookmark (a tab renamed), another kind's
    tab (a movie's Cast on a season), a typo."""
    tab = request.args.get("tab")
    return tab is not None and tab not in tabs_for(movie)


@bp.get("/movies/<int:movie_id>")
def show(movie_id: int):
    movie = queries.movie_or_404(movie_id)
    if _unknown_tab(movie):
        # the page opens on its Overview, and the address says so: a 404 would strand a stale
        # bookmark, and an address still naming another tab would be what the user copies
        # the rest of the query kept as sent, every value, encoded: never as url_for's keywords
        # (`movie_id=` clashed: a 500; `_external=`, `_anchor=` changed the address made)
        args = request.args.copy()
        args.poplist("tab")
        query = urlencode(list(args.items(multi=True)))
        where = url_for("item.show", movie_id=movie.id) + (f"?{query}" if query else "")
        return redirect(where, code=302)
    context = {**header_context(movie), **tab_context(movie, request.args.get("tab", "overview"))}
    if request.htmx and not request.htmx.boosted:
        return render_template("_item.html", **context)
    return render_template("item.html", live_cursor=queries.live_cursor(), **context)


@bp.get("/movies/<int:movie_id>/tabs/<name>")
def tab(movie_id: int, name: str):
    """One tab's panel (with the tab bar, so the current tab shows)."""
    movie = queries.movie_or_404(movie_id)
    if name not in tabs_for(movie):
        not_found(f"{name[:40]!r} tab on this item's page")
    return render_template("_item_tabs.html", **tab_context(movie, name))


@bp.get("/movies/<int:movie_id>/header")
def header(movie_id: int):
    queries.movie_or_404(movie_id)
    return item_header(movie_id)


# --- fields ----------------------------------------------------------------------------------


@bp.get("/movies/<int:movie_id>/fields/<name>")
def field(movie_id: int, name: str):
    movie = queries.movie_or_404(movie_id)
    return render_template("_field.html", movie=movie, name=_field_or_404(name, movie))


@bp.get("/movies/<int:movie_id>/fields/<name>/edit")
def edit_field(movie_id: int, name: str):
    movie = queries.movie_or_404(movie_id)
    return render_template(
        "_field_form.html", movie=movie, name=_field_or_404(name, movie), error=None
    )


@bp.post("/movies/<int:movie_id>/fields/<name>")
def save_field(movie_id: int, name: str):
    movie = queries.movie_or_404(movie_id)
    _field_or_404(name, movie)
    raw = request.form.get("value", "")
    try:
        before = movie
        movie = edits.set_field(
            movie_id,
            name,
            raw,
            current_app.extensions["metarrd.runtime"],
            one_per_line=request.form.get(LIST_FORM) == ONE_PER_LINE,
        )
    except edits.EditError as exc:
        if not request.htmx:
            flash(str(exc), "danger")
            return redirect(url_for("item.show", movie_id=movie_id) + f"#field-{name}", 303)
        body = render_template("_field_form.html", movie=movie, name=name, error=str(exc), raw=raw)
        return body, 422
    if not request.htmx:
        return redirect(url_for("item.show", movie_id=movie_id) + f"#field-{name}", 303)
    body = render_template("_field.html", movie=movie, name=name)
    # the fields the edit changed along (a derived sort title, a premiered date of another
    # year, the year of an edited date), shown as they are now
    body += "".join(
        render_template("_field.html", movie=movie, name=other, oob=True)
        for other in tv.FIELDS.get(movie.kind, FIELD_ORDER)
        if other != name and getattr(before, other) != getattr(movie, other)
    )
    return make_response(body + item_header(movie.id, oob=True), trigger="item-changed")


@bp.post("/movies/<int:movie_id>/fields/<name>/lock")
def lock_field(movie_id: int, name: str):
    name = _field_or_404(name, queries.movie_or_404(movie_id))
    movie = edits.toggle_field_lock(movie_id, name)
    if not request.htmx:
        return redirect(url_for("item.show", movie_id=movie_id) + f"#field-{name}", 303)
    return render_template("_field.html", movie=movie, name=name)


# --- artwork ---------------------------------------------------------------------------------


def _group(movie: db.Movie, asset_type: str):
    config = preferences.effective(current_app.config["METARRD"])
    groups = queries.artwork_groups(movie, config.artwork.limits, ASSET_TYPES)
    return next((g for g in groups if g.asset_type == asset_type), None)


def _artwork_answer(
    movie: db.Movie,
    asset_type: str,
    message: str | None = None,
    tone="danger",
    changed=True,
    undo: dict | None = None,
    own: dict | None = None,
):
    """The type's section again (htmx), with a toast for `message`; `changed` tells the rest of
    the page (the publish preview) to refresh; `own` keeps a refused "Add your own" form open
    with the address the user typed and the reason beside it, answered with a 422 (the page's
    htmx swaps it like a 200; a script sees that nothing was added)."""
    if not request.htmx:
        if message:
            flash(message, tone)
        return redirect(url_for("item.show", movie_id=movie.id) + f"#art-{asset_type}", 303)
    movie = db.Movie.get_by_id(movie.id)
    group = _group(movie, asset_type)
    body = (
        render_template("_artwork_type.html", movie=movie, group=group, open_alts=True, own=own)
        if group
        else render_template("_art_none.html", movie=movie, t=asset_type, own=own)
    )
    body += item_header(movie.id, oob=True)
    if message:
        body += toast(message, tone, undo=(movie.id, undo) if undo else None)
    return make_response(body, 422 if own else 200, trigger="item-changed" if changed else None)


@bp.post("/assets/<int:asset_id>/<op>")
def artwork(asset_id: int, op: str):
    if op not in ARTWORK_OPS:
        not_found(f"artwork action {op[:40]!r}")
    asset = db.ArtworkCandidate.get_or_none(db.ArtworkCandidate.id == asset_id)
    if asset is None:
        not_found(f"artwork {asset_id} (the item was enriched again?)")
    movie = db.Movie.get_by_id(asset.movie_id)
    config = preferences.effective(current_app.config["METARRD"])
    before = edits.selection_snapshot(movie.id, asset.asset_type)
    try:
        change = change_selection(config, asset_id, op)
    except edits.EditError as exc:
        return _artwork_answer(movie, asset.asset_type, str(exc), changed=False)
    edits.settle(current_app.extensions["metarrd.runtime"], movie)  # e.g. moved up, then down
    after = edits.selection_snapshot(movie.id, asset.asset_type)
    labels = {
        a.id: label(a)
        for a in db.ArtworkCandidate.select().where(
            db.ArtworkCandidate.id.in_([p[0] for p in before["picks"] + after["picks"]])
        )
    }
    order = lambda snap: [i for i, _r, _b in sorted(snap["picks"], key=lambda p: p[1] or 999)]  # noqa: E731
    message = describe_change(
        op,
        asset.asset_type,
        label(asset),
        order(before),
        order(after),
        labels,
        was_locked=before["locked"],
    )
    if change.replaced:
        message = (
            f"Same picture as the selected {', '.join(change.replaced)}: this copy took its place. "
            + message
        )
    return _artwork_answer(movie, asset.asset_type, message, "info", undo=before)


@bp.post("/movies/<int:movie_id>/artwork/undo")
def undo_artwork(movie_id: int):
    """Put an artwork type back as it was before the last choice (the toast's Undo)."""
    movie = queries.movie_or_404(movie_id)
    try:
        data = json.loads(request.form.get("snapshot", ""))
    except (ValueError, RecursionError):
        abort(400, "This undo cannot be read.")
    try:
        snapshot = edits.read_snapshot(data)
    except ValueError as exc:
        abort(400, f"This undo cannot be read: {exc}.")
    try:
        edits.restore_selection(movie_id, snapshot, current_app.extensions["metarrd.runtime"])
    except edits.EditError as exc:
        return _artwork_answer(movie, snapshot.asset_type, str(exc), changed=False)
    t = snapshot.asset_type
    return _artwork_answer(movie, t, f"Undone: {t} is as it was.", "info")


MAX_UPLOAD_BYTES = 64 * 1024 * 1024  # the same cap as a provider's image


@bp.post("/movies/<int:movie_id>/artwork/<asset_type>/add")
def add_own_image(movie_id: int, asset_type: str):
    """The user's own image, uploaded or fetched from a URL (the enrich stage checks it like
    any candidate; a URL only from public addresses), then chosen as #1 of its type."""
    movie = queries.movie_or_404(movie_id)
    if asset_type not in tv.art_types(movie):
        not_found(f"artwork type {asset_type[:40]!r} for this item")
    config = preferences.effective(current_app.config["METARRD"])
    upload = request.files.get("image")
    url = request.form.get("url", "").strip()
    try:
        if cache.unanswered(config.cache_dir):  # it is stored there: the request would hang
            raise edits.EditError(
                "not added: the image cache does not answer (a hung network mount?); "
                "try again once it does"
            )
        if upload and upload.filename:
            asset = add_user_image(config, movie_id, asset_type, data=upload.stream)
        elif url:
            asset = add_user_image(config, movie_id, asset_type, url=url[:2000])
        else:
            raise edits.EditError("choose a file or paste an image address")
        before = edits.selection_snapshot(movie_id, asset_type)
        change_selection(config, asset.id, "use")
    except UnreadableAddress as exc:
        abort(400, f"Not fetched: {exc}.")
    except edits.EditError as exc:
        own = {"url": url[:2000], "error": str(exc)}
        return _artwork_answer(movie, asset_type, str(exc), changed=False, own=own)
    message = f"Your {asset_type} ({label(asset)}) is now #1; Undo gives the type back as it was."
    return _artwork_answer(movie, asset_type, message, "info", undo=before)


@bp.get("/assets/<int:asset_id>/view")
def view_asset(asset_id: int):
    """The full-size viewer of one candidate: the image, its size, format, source, language
    and score breakdown, and the buttons to choose it."""
    asset = db.ArtworkCandidate.get_or_none(db.ArtworkCandidate.id == asset_id)
    if asset is None:
        not_found(f"artwork {asset_id} (the item was enriched again?)")
    movie = db.Movie.get_by_id(asset.movie_id)
    group = _group(movie, asset.asset_type)
    template = "_art_viewer.html" if request.htmx else "art_viewer.html"
    config = current_app.config["METARRD"]
    hung = cache.unanswered(config.cache_dir)  # a hung mount: the preview, saying why
    return render_template(
        template,
        asset=asset,
        movie=movie,
        t=asset.asset_type,
        room=bool(group and len(group.selected) < group.limit),
        full=not hung and files.cached_image(config, asset) is not None,
        cache_hung=hung,
        preview_hung=hung and config.shared_cache,  # its preview is in that cache too
    )


@bp.post("/movies/<int:movie_id>/artwork/<asset_type>/lock")
def lock_artwork(movie_id: int, asset_type: str):
    movie = queries.movie_or_404(movie_id)
    if asset_type not in tv.art_types(movie):
        not_found(f"artwork type {asset_type[:40]!r} for this item")
    edits.toggle_type_lock(movie_id, asset_type)
    return _artwork_answer(movie, asset_type)


# --- publish preview -------------------------------------------------------------------------


def _shorter_paths(text: str) -> str:
    """A preview's message with a library's paths relative to it, and no data dir or cache path
    in full."""
    return formatting.shorter_paths(text, formatting.path_folders(current_app.config["METARRD"]))


@bp.get("/movies/<int:movie_id>/preview")
def preview(movie_id: int):
    """What PUBLISH would write, replace, keep, remove or leave, with the NFO diff (read-only).
    A season's page previews its whole show (a show is published as one); an episode's, of a
    published show, that episode alone (what its Publish writes: `tv.publish_scope`), or the
    whole show with `?scope=show`. The button beside the plan publishes that same item."""
    page = queries.movie_or_404(movie_id)
    scope, alone = tv.publish_scope(page, request.args.get("scope"))
    movie = page if scope == "episode" else tv.owner(page)
    plan, error = None, None
    if scope == "episode" and page.identification_status != db.ENRICHED:
        error = "Nothing to preview yet: this episode is not enriched."
    elif movie.identification_status != db.ENRICHED:
        error = "Nothing to preview yet: the item is not enriched."
    elif root := hung_root(current_app.config["METARRD"], movie.path):
        error = f"Nothing to preview now: {root} does not answer (a hung network mount?)"
    elif cache.unanswered(current_app.config["METARRD"].cache_dir):  # the pictures to copy
        error = "Nothing to preview now: the image cache does not answer (a hung network mount?)"
    else:
        try:
            plan = preview_publish(current_app.extensions["metarrd.runtime"], movie)
        except MetarrdError as exc:
            error = str(exc)
        except OSError as exc:
            error = f"cannot look at the library folder: {exc.strerror or exc}"
            if exc.filename:
                error += f" ({exc.filename})"
    view = formatting.plan_view(plan, _shorter_paths) if plan is not None else None
    if error:
        error = _shorter_paths(error)
    return render_template(
        "_preview.html",
        movie=movie,
        page=page,
        plan=plan,
        view=view,
        error=error,
        scope=scope,
        alone=alone,
    )

"""The settings page: the workflow stage switches (with the review gate explained), the media
players with a connection test, provider status (key present, last error: keys are never shown)
and how the web UI itself is protected."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

import peewee as pw
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from htmx_flask import make_response

from metarrd import db, preferences, workflow
from metarrd.config import ASSET_TYPES, Config
from metarrd.scan import skipped_by_name
from metarrd.text import count
from metarrd.web import auth, queries
from metarrd.web.errors import not_found
from metarrd.web.fragments import toast
from metarrd.web.ids import parse_int

log = logging.getLogger(__name__)

bp = Blueprint("settings", __name__)

PROVIDERS = {"tmdb": "TMDB", "fanart": "fanart.tv", "tvdb": "TheTVDB"}
PROVIDER_ROLE = {
    "tmdb": "required: identification, metadata, posters, fanart, cast",
    "fanart": "optional: logos, clear art, disc art, banners, landscape",
    "tvdb": "optional: more artwork",
}
RECENT_PROBLEMS = 500  # recent events searched for a provider's last problem


@dataclass(frozen=True)
class ProviderStatus:
    name: str
    label: str
    role: str
    key_present: bool
    host: str
    last_error: str | None
    last_error_at: datetime | None


def _provider_problem(event: db.Event, name: str) -> str | None:
    data = event.data or {}
    reason = (data.get("provider_errors") or {}).get(name)
    if reason:
        return str(reason)
    if data.get("provider") == name or event.kind.startswith(f"{name}."):
        return event.message
    return None


def provider_status(config: Config) -> list[ProviderStatus]:
    p = config.providers
    present = {
        "tmdb": bool(p.tmdb.api_key or p.tmdb.read_token),
        "fanart": bool(p.fanart.api_key),
        "tvdb": bool(p.tvdb.api_key),
    }
    urls = {"tmdb": p.tmdb.base_url, "fanart": p.fanart.base_url, "tvdb": p.tvdb.base_url}
    E = db.Event
    recent = list(
        E.select()
        .where((E.kind == "enrich.done") | E.level.in_(("warning", "error")))
        .order_by(E.id.desc())
        .limit(RECENT_PROBLEMS)
    )
    out = []
    for name, label in PROVIDERS.items():
        found = next(((e, r) for e in recent if (r := _provider_problem(e, name))), None)
        out.append(
            ProviderStatus(
                name,
                label,
                PROVIDER_ROLE[name],
                present[name],
                urlsplit(urls[name]).netloc.rpartition("@")[2],  # never a proxy's user:password
                found[1] if found else None,
                found[0].created_at if found else None,
            )
        )
    return out


def settings_context() -> dict:
    config = current_app.config["METARRD"]
    players = {row.name: row for row in db.MediaPlayer.select()}
    return {
        "stages": workflow.all_stages(config),
        "explanations": workflow.EXPLANATIONS,
        "players": [(p, players.get(p.name)) for p in config.player],
        "providers": provider_status(config),
        "probes": probe_results(),
        "web": {
            "bind": config.web.bind,
            "loopback": auth.is_loopback_bind(config.web.bind),
            "password_set": auth.password_hash() is not None,
            "session_hours": config.web.session_hours,
        },
        "libraries": _libraries(),
        "artwork": preferences.effective(config).artwork,
        "artwork_defaults": config.artwork,
        "artwork_custom": bool(preferences.stored()),
        "asset_types": ASSET_TYPES,
        "config_source": config.source or "(built in)",
        "data_dir": config.data_dir,
    }


def _count_text(kinds: dict[str, int]) -> str:
    """What a library holds, as its kinds count: "12 movies", "4 shows, 9 episode files" (its
    season items are no files of its own)."""
    if kinds.get(db.SHOW) or kinds.get(db.EPISODE):
        shows, files = kinds.get(db.SHOW, 0), kinds.get(db.EPISODE, 0)
        return f"{count(shows, 'show')}, {count(files, 'episode file')}"
    return count(kinds.get(db.MOVIE, 0), "movie")


def _libraries() -> list[dict]:
    L, M = db.Library, db.Movie
    counts: dict[int, dict[str, int]] = {}
    for library, kind, n in (
        M.select(M.library, M.kind, pw.fn.COUNT(M.id)).group_by(M.library, M.kind).tuples()
    ):
        counts.setdefault(library, {})[kind] = n
    libraries = list(L.select().order_by(L.name))
    skipped = skipped_by_name([lib.id for lib in libraries])  # the latest scans' (one query)
    scanning = (
        db.Job.select()
        .where(db.Job.kind == "scan", db.Job.state.in_(("queued", "running")))
        .exists()
    )
    return [
        {
            "id": lib.id,
            "name": lib.name,
            "path": lib.path,
            "count": _count_text(counts.get(lib.id, {})),
            "scanning": scanning,
            "skipped": skipped.get(lib.id),
        }
        for lib in libraries
    ]


def probe_results() -> dict[str, db.Event]:
    """The newest "Test connection" outcome per provider."""
    E = db.Event
    out: dict[str, db.Event] = {}
    for event in (
        E.select().where(E.kind.in_(("probe.done", "probe.failed"))).order_by(E.id.desc()).limit(30)
    ):
        out.setdefault((event.data or {}).get("provider", ""), event)
    return out


def _provider_row(name: str) -> str:
    config = current_app.config["METARRD"]
    status = next((p for p in provider_status(config) if p.name == name), None)
    if status is None:
        not_found(f"provider {name[:40]!r}")
    probing = (
        db.Job.select()
        .where(db.Job.kind == "probe", db.Job.state.in_(("queued", "running")))
        .exists()
    )
    return render_template(
        "_provider_row.html", p=status, probe=probe_results().get(name), probing=probing
    )


@bp.get("/settings/providers/<provider>")
def provider_row(provider: str):
    return _provider_row(provider)


@bp.post("/settings/providers/<provider>/test")
def test_provider(provider: str):
    """A provider's "Test connection": a probe job; the daemon talks to the provider."""
    from metarrd.pipeline import jobs

    if provider not in PROVIDERS:
        not_found(f"provider {provider[:40]!r}")
    jobs.enqueue_probe([provider])
    if not request.htmx:
        flash(f"Testing {PROVIDERS[provider]}: the result shows here in a moment.", "info")
        return redirect(url_for("settings.index") + "#providers", code=303)
    return _provider_row(provider)


@bp.post("/settings/scan")
def scan():
    """ "Scan now": a scan job for one library (or every one); the daemon runs it."""
    from metarrd.pipeline import jobs

    library_id = parse_int(request.form.get("library"))
    lib = db.Library.get_or_none(db.Library.id == library_id) if library_id else None
    if library_id and lib is None:
        not_found(f"library {library_id} (it may have been removed from the configuration)")
    job = jobs.enqueue_scan([lib.path] if lib else None)
    message = f"Scanning {lib.name if lib else 'every library'} (job {job.id}); new items show up in the library as they are found."
    if not request.htmx:
        flash(message, "info")
        return redirect(url_for("settings.index") + "#libraries", code=303)
    return make_response(
        render_template("_libraries.html", libraries=_libraries()) + toast(message, "info")
    )


@bp.post("/settings/artwork")
def save_artwork():
    """Artwork limits per type and preferred languages, stored in the database (the
    configuration's [artwork] stays the default; "Back to the configuration" forgets them)."""
    config = current_app.config["METARRD"]
    invalid = None  # the form's name of the box refused
    if request.form.get("reset") == "1":
        preferences.reset()
        message, tone, error = "Artwork settings are the configuration's again.", "success", None
    else:
        limits = {
            t: request.form[f"limit-{t}"] for t in ASSET_TYPES if f"limit-{t}" in request.form
        }
        try:
            preferences.save(preferences.parse(limits, request.form.get("languages", "")))
            message, tone, error = (
                "Artwork settings saved: the next enrichment uses them.",
                "success",
                None,
            )
        except ValueError as exc:
            message, tone, error = str(exc), "danger", str(exc)
            invalid = getattr(exc, "field", None)
    if not request.htmx:
        flash(message, tone)
        return redirect(url_for("settings.index") + "#artwork", code=303)
    body = render_template(
        "_artwork_prefs.html",
        artwork=preferences.effective(config).artwork,
        artwork_defaults=config.artwork,
        artwork_custom=bool(preferences.stored()),
        asset_types=ASSET_TYPES,
        error=error,
        invalid=invalid,
        form=request.form if error else None,
    )
    return make_response(body + toast(message, tone)), 422 if error else 200


@bp.get("/settings")
def index():
    return render_template("settings.html", live_cursor=queries.live_cursor(), **settings_context())


@bp.post("/settings/workflow/<stage>")
def set_stage(stage: str):
    if stage not in workflow.STAGES:
        not_found(f"workflow stage {stage[:40]!r}")
    value = request.form.get("value")
    if value not in ("on", "off"):
        abort(
            400, f"There is no stage setting {(value or '')[:40]!r}: a stage is switched on or off."
        )
    config = current_app.config["METARRD"]
    was = workflow.is_enabled(config, stage)
    workflow.set_stage(stage, value == "on")
    log.info("workflow stage %s switched %s from the web UI", stage, value)
    if value == "on" and not was:
        from metarrd.pipeline import jobs

        # what it skipped while it was off: one job, which queues the rest in the worker
        queued = jobs.enqueue_catch_up(stage)
        if queued:
            log.info("workflow stage %s: %s to catch up on, queued", stage, count(queued, "item"))
    if not request.htmx:
        return redirect(url_for("settings.index") + "#workflow", code=303)
    return render_template(
        "_stage.html",
        stage=stage,
        enabled=workflow.is_enabled(config, stage),
        explanation=workflow.EXPLANATIONS[stage],
    )


@bp.post("/settings/players/<int:index>/test")
def test_player(index: int):
    """The connection test for one configured player (it talks to the player, not a provider)."""
    from metarrd.players import test_players

    config = current_app.config["METARRD"]
    if not 0 <= index < len(config.player):
        not_found(f"player {index} in the configuration (it may have changed: reload the page)")
    player = config.player[index]
    results = test_players(current_app.extensions["metarrd.runtime"], player.name)
    name, ok, message = results[0] if results else (player.label, False, "not configured")
    if not request.htmx:
        flash(f"{name}: {'OK' if ok else 'FAILED'}: {message}", "success" if ok else "danger")
        return redirect(url_for("settings.index") + "#players", code=303)
    return render_template("_player_test.html", index=index, ok=ok, message=message)

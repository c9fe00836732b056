"""The settings page: the workflow stage switches (with the review gate explained), the media
players with a connection test, provider status (key present, last error: keys are never shown)
and how the web UI itself is protected."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

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

from metarrd import db, workflow
from metarrd.config import Config
from metarrd.web import auth, queries

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
                urlsplit(urls[name]).netloc,
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
        "web": {
            "bind": config.web.bind,
            "loopback": auth.is_loopback_bind(config.web.bind),
            "password_set": auth.password_hash() is not None,
            "session_hours": config.web.session_hours,
        },
        "config_source": config.source or "(built in)",
        "data_dir": config.data_dir,
    }


@bp.get("/settings")
def index():
    return render_template("settings.html", live_cursor=queries.live_cursor(), **settings_context())


@bp.post("/settings/workflow/<stage>")
def set_stage(stage: str):
    if stage not in workflow.STAGES:
        abort(404, f"There is no workflow stage {stage!r}.")
    value = request.form.get("value")
    if value not in ("on", "off"):
        abort(400, "A stage is switched on or off.")
    workflow.set_stage(stage, value == "on")
    log.info("workflow stage %s switched %s from the web UI", stage, value)
    if not request.htmx:
        return redirect(url_for("settings.index") + "#workflow", code=303)
    config = current_app.config["METARRD"]
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
        abort(404, "There is no such player.")
    player = config.player[index]
    results = test_players(current_app.extensions["metarrd.runtime"], player.name)
    name, ok, message = results[0] if results else (player.name, False, "not configured")
    if not request.htmx:
        flash(f"{name}: {'OK' if ok else 'FAILED'}: {message}", "success" if ok else "danger")
        return redirect(url_for("settings.index") + "#players", code=303)
    return render_template("_player_test.html", index=index, ok=ok, message=message)

"""Jinja globals and filters shared by every template."""

from __future__ import annotations

import json
import posixpath
import re
import unicodedata
from typing import Any

from flask import Flask, current_app, g, url_for
from markupsafe import Markup, escape

from metarrd import db
from metarrd.enrich import provider_name
from metarrd.urls import hide_credentials, redact
from metarrd.web import auth, fields, files, formatting, pictures, progress, states, tv
from metarrd.web.listing import KINDS

SORT_OPTIONS = {
    "title": "Title A–Z",
    "-title": "Title Z–A",
    "added": "Newest first",
    "-added": "Oldest first",
    "-year": "Year, newest",
    "year": "Year, oldest",
    "state": "State",
    "-state": "State, reversed",  # the table's State header, the other way
}


def preview_url(preview_path: str | None) -> str | None:
    name = files.preview_name(current_app.config["METARRD"], preview_path)
    return url_for("files.preview", name=name) if name else None


def disk_full() -> list[db.DiskFullNote]:
    """The full disks the banner names: this host's data_dir (the daemon or the CLI found it
    full) and, on a database hosts share, those the other hosts found full."""
    return db.disk_full_notes(current_app.config["METARRD"].data_path)


def item_path(movie: Any) -> str:
    """The path an item stands for on disk: a season's is its show's folder, where its
    pictures are written (`season01-poster.jpg`); its own path is a key (`…/#season-01`),
    never a file, and no user should read it."""
    if getattr(movie, "kind", db.MOVIE) == db.SEASON:
        return posixpath.dirname(movie.path)
    return movie.path


def rel_path(movie: Any) -> str:
    """An item's file relative to its library folder (the full path goes in a title)."""
    roots = g.get("library_roots")
    if roots is None:
        roots = g.library_roots = dict(db.Library.select(db.Library.id, db.Library.path).tuples())
    root = roots.get(getattr(movie, "library_id", None))
    return path_text(formatting.relative_path(item_path(movie), root))


def path_text(path: str) -> str | Markup:
    """A path as the page shows it: a path with right-to-left names has each folder and file
    name isolated (`<bdi>`), or the bidi algorithm runs the names and their separators together
    and shows "file/folder" reversed; any other path stays plain text."""
    if not any(unicodedata.bidirectional(c) in ("R", "AL") for c in path):
        return path
    return Markup("/").join(Markup("<bdi>%s</bdi>") % part for part in path.split("/"))


def path_lines(path: str) -> Markup:
    """`path_text` where a line may end after a `/`, `-`, `_` or `.` (`<wbr>`): in a phone's
    publish preview ".actors/Leonardo_DiCaprio.jpg", with no place to break, was cut anywhere
    (".actors/Leonardo_DiCaprio.jp" and "g")."""
    shown = path_text(path)
    if isinstance(shown, Markup):  # right-to-left names, each in a <bdi>: left as they are
        return shown
    return Markup(BREAK_AFTER.sub(r"\1<wbr>", str(escape(shown))))


BREAK_AFTER = re.compile(r"([-_./])(?=\S)")


def ui_text(text: str | None) -> str:
    """A stage's message as the page says it (`formatting.plain_message`), its paths shortened
    as the rest of the UI shows them: relative to their library, never the data dir's or the
    cache's in full (an error a publish or a scan recorded names the absolute path), and no
    URL's password (a player's path, in a message stored before the players hid it)."""
    folders = g.get("path_folders")
    if folders is None:
        folders = g.path_folders = formatting.path_folders(current_app.config["METARRD"])
    return formatting.shorter_paths(hide_credentials(formatting.plain_message(text)), folders)


def init_app(app: Flask) -> None:
    app.jinja_env.globals.update(
        csrf_token=auth.csrf_token,
        login_required=auth.login_required,
        logged_in=auth.is_logged_in,  # a live session, not merely an `auth` entry in the cookie
        badge_for=states.badge_for,
        actions_for=states.actions_for,
        item_actions=tv.item_actions,
        episode_code=tv.episode_code,
        episode_title=tv.episode_title,
        episode_heading=tv.episode_heading,
        page_title=tv.page_title,
        item_name=tv.item_name,
        file_code=tv.file_code,
        season_name=tv.season_name,
        field_labels=fields.FIELD_LABELS,
        field_label=fields.field_label,
        field_value=fields.field_value,
        field_base=fields.field_base,
        long_fields=fields.LONG_FIELDS,
        list_fields=fields.LIST_FIELDS,
        list_form=(fields.LIST_FORM, fields.ONE_PER_LINE),
        wide_fields=fields.WIDE_FIELDS,
        field_order=fields.FIELD_ORDER,
        block_fields=tv.BLOCK_FIELD_ORDER,
        compact_fields=fields.COMPACT_FIELDS,
        date_fields=fields.DATE_FIELDS,
        filters=states.FILTERS,
        kinds=KINDS,
        alert_filters=states.ALERT_FILTERS,
        sort_options=SORT_OPTIONS,
        preview_url=preview_url,
        plan_verbs=formatting.PLAN_VERBS,
        disk_full=disk_full,
        jobs_summary=progress.summary,
        job_kinds=formatting.JOB_KINDS,
    )
    app.jinja_env.filters.update(
        human_size=formatting.human_size,
        ago=formatting.ago,
        local_ago=formatting.local_ago,
        field_text=lambda value, name: fields.field_text(name, value),
        field_shown=lambda value, name: fields.field_shown(name, value),
        field_parts=lambda value, name: fields.field_parts(name, value),
        channels=formatting.channels_text,
        art_label=pictures.label,
        factor_reason=pictures.factor_reason,
        provider_name=provider_name,
        art_rejection=pictures.rejection,
        rel_path=rel_path,
        item_path=item_path,
        path_text=path_text,
        path_lines=path_lines,
        fromjson=json.loads,
        ui_text=ui_text,
        language_name=formatting.language_name,
        job_text=formatting.job_text,
        event_text=formatting.event_text,
        redact=redact,
    )

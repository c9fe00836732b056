"""Jinja globals and filters shared by every template."""

from __future__ import annotations

from flask import Flask, current_app, url_for

from metarrd.web import auth, files, pictures, present


def preview_url(preview_path: str | None) -> str | None:
    name = files.preview_name(current_app.config["METARRD"], preview_path)
    return url_for("files.preview", name=name) if name else None


def init_app(app: Flask) -> None:
    app.jinja_env.globals.update(
        csrf_token=auth.csrf_token,
        login_required=auth.login_required,
        badge_for=present.badge_for,
        actions_for=present.actions_for,
        field_labels=present.FIELD_LABELS,
        long_fields=present.LONG_FIELDS,
        wide_fields=present.WIDE_FIELDS,
        field_order=present.FIELD_ORDER,
        compact_fields=present.COMPACT_FIELDS,
        filters=present.FILTERS,
        preview_url=preview_url,
        plan_verbs=present.PLAN_VERBS,
    )
    app.jinja_env.filters.update(
        human_size=present.human_size,
        ago=present.ago,
        field_text=lambda value, name: present.field_text(name, value),
        channels=present.channels_text,
        art_label=pictures.label,
    )

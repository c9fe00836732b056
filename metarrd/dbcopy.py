"""`metarrd db migrate-to postgresql://…`: copy this installation's SQLite database into an empty
PostgreSQL database, so a single-host metarrd can grow to several hosts without starting over.

The target gets the current schema (the migrations), then every table's rows in foreign-key
order, in batches, through the models (so booleans, dates and JSON convert), and its id
sequences are moved past the copied ids. The image cache stays where it is (`[cache] dir`
points at it); queued jobs get their messages when the first worker starts. Stop the daemon and
the web UI first: what they write during the copy is not in it (it reads every table from one
snapshot of the source).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import peewee as pw

from metarrd import db
from metarrd.errors import MetarrdError
from metarrd.text import count

log = logging.getLogger(__name__)

BATCH = 500


@dataclass
class CopyReport:
    rows: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.rows.values())


def all_models() -> list[type[db.BaseModel]]:
    """Every model of the schema (those other modules add too), parents before children."""
    found: list[type[db.BaseModel]] = []
    todo = list(db.BaseModel.__subclasses__())
    while todo:
        model = todo.pop()
        if model not in found:
            found.append(model)
            todo.extend(model.__subclasses__())
    return pw.sort_models(found)


def migrate_to(source: Path, url: str) -> CopyReport:
    """Copy the SQLite database at `source` into the empty PostgreSQL database at `url`."""
    if not db.is_postgresql_url(url):
        raise MetarrdError(f"{url!r}: expected a postgresql://USER:PASSWORD@HOST/NAME URL")
    if not Path(source).is_file():
        raise MetarrdError(f"{source}: no SQLite database to copy")
    db.open_database(source)  # the source at the current schema version
    src = db.database.obj
    models = [m for m in all_models() if src.table_exists(m._meta.table_name)]
    db.open_database(url)  # creates the schema in the target
    target = db.database.obj
    occupied = [m._meta.table_name for m in models if m is not db.Meta and m.select().exists()]
    if occupied:
        raise MetarrdError(
            f"{db.describe(url)} is not empty (rows in {', '.join(occupied[:5])}); "
            "give an empty database (createdb metarrd)"
        )
    report = CopyReport()
    # one read transaction on the source: every table as of one moment (WAL), even when a
    # daemon or the web UI still writes to it, so no row names one the copy left out
    with src.atomic(), target.atomic():
        # a DBA's limits (ALTER ROLE … SET) are for runaway sessions, not this one-off copy:
        # the target waits idle in its transaction while each table is read from SQLite (a
        # large events table: seconds), which `idle_in_transaction_session_timeout` ended
        # ("terminating connection due to idle-in-transaction timeout")
        target.execute_sql("SET LOCAL idle_in_transaction_session_timeout = 0")
        target.execute_sql("SET LOCAL statement_timeout = 0")
        for model in models:
            report.rows[model._meta.table_name] = _copy(model, src, target)
        _advance_sequences(target, models)
    log.info("copied %d rows into %s", report.total, db.describe(url))
    return report


def _copy(model: type[db.BaseModel], src: pw.Database, target: pw.Database) -> int:
    order = [model._meta.primary_key] if model._meta.primary_key else []
    copied = 0
    batch: list[dict] = []
    with src.bind_ctx([model]):
        rows = list(model.select().order_by(*order).dicts())
    _refuse_nul(model, rows)
    with target.bind_ctx([model]):
        for row in rows:
            batch.append(row)
            if len(batch) >= BATCH:
                copied += _insert(model, batch)
                batch = []
        if batch:
            copied += _insert(model, batch)
    return copied


def _refuse_nul(model: type[db.BaseModel], rows: list[dict]) -> None:
    """PostgreSQL's text holds no NUL character, SQLite's does (a text pasted with one, a
    webhook's "\\u0000"): the copy failed with psycopg2's "A string literal cannot contain NUL
    (0x00) characters", a traceback naming no row. Say which rows and columns, before any is
    written (nothing is copied; the SQLite database is only read). JSON columns are written
    escaped ("\\u0000"), which PostgreSQL takes."""
    pk = model._meta.primary_key.name if model._meta.primary_key else None
    found = [
        f"{model._meta.table_name} {row.get(pk, '?')} {name}"
        for row in rows
        for name, value in row.items()
        if isinstance(value, str) and "\x00" in value
    ]
    if found:
        shown = ", ".join(found[:10]) + (f" and {len(found) - 10} more" if len(found) > 10 else "")
        raise MetarrdError(
            f"{count(found, 'text value')} {'holds' if len(found) == 1 else 'hold'} a NUL character (\\x00), which PostgreSQL cannot "
            f"store: {shown}. Nothing was copied and the SQLite database is unchanged; edit "
            "or clear those values (metarrd's web UI, or sqlite3), then run db migrate-to again"
        )


def _insert(model: type[db.BaseModel], rows: list[dict]) -> int:
    query = model.insert_many(rows)
    if model is db.Meta:  # schema_version is there already
        query = query.on_conflict(conflict_target=[db.Meta.key], preserve=[db.Meta.value])
    query.execute()
    return len(rows)


def _advance_sequences(target: pw.Database, models: list[type[db.BaseModel]]) -> None:
    for model in models:
        pk = model._meta.primary_key
        if not isinstance(pk, pw.AutoField):
            continue
        table, column = model._meta.table_name, pk.column_name
        target.execute_sql(
            f"SELECT setval(pg_get_serial_sequence('{table}', '{column}'), "
            f'COALESCE((SELECT MAX("{column}") FROM "{table}"), 0) + 1, false)'
        )

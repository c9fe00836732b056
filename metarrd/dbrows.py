"""Many rows written by one statement: what the stages' write transactions use for a batch.

SQLite's `executemany` steps its statement once a parameter row, each step letting go of the
interpreter lock: while the downloads and analyses keep the other threads busy, taking it back
costs up to the switch interval (5 ms) a row, all of it with the write lock held (100 rows:
0.1 ms alone, 80 ms beside two busy threads). On SQLite a batch is one statement of many rows
(chunked under its variable limit), stepped once; PostgreSQL (psycopg2) keeps `executemany`,
but for `delete_all`'s `IN (...)` and `insert_models`' rows, the same statement on both.
Driver errors come out as peewee's (`db.write_transaction` tells a full disk by them).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import peewee as pw

from metarrd import db

UPDATE_FROM = sqlite3.sqlite_version_info >= (3, 33, 0)  # UPDATE ... FROM (VALUES ...)
RETURNING = sqlite3.sqlite_version_info >= (3, 35, 0)  # INSERT ... RETURNING, on SQLite


def save_all(rows: Iterable[db.BaseModel]) -> int:
    """Save what changed in each row (rows already stored, by primary key), in one statement
    per set of changed columns instead of one UPDATE per row: peewee builds the statement once,
    and the write transaction is held for a fraction of the time. Returns how many rows were
    written (`update_all`)."""
    groups: dict[tuple[type[db.BaseModel], tuple[str, ...]], list[db.BaseModel]] = {}
    for row in rows:
        if row.dirty_fields:
            key = (type(row), tuple(f.name for f in row.dirty_fields))
            groups.setdefault(key, []).append(row)
    written = 0
    for (model, names), members in groups.items():
        meta = model._meta
        pk = meta.primary_key
        fields = [meta.fields[name] for name in names]
        params = [  # __data__: a foreign key's id, not the row it points at
            [pk.db_value(row._pk)] + [f.db_value(row.__data__.get(f.name)) for f in fields]
            for row in members
        ]
        update_all(meta.table_name, pk.column_name, [f.column_name for f in fields], params)
        for row in members:
            row._dirty.clear()
        written += len(members)
    return written


def insert_all(model: type[db.BaseModel], rows: list[dict[str, Any]]) -> int:
    """Insert `rows` (field name -> value) with one INSERT of every row (`insert_rows`): what
    `insert_many` stores, without peewee building SQL for every value of every row. Fields a
    row leaves out take their peewee default, as with `insert_many`. Returns how many rows were
    written. SQLite and PostgreSQL alike. Not for `db.Movie`: its folded title copies
    (`db.FOLDED_COLUMNS`) are kept by the model, which raw rows skip."""
    if issubclass(model, db.Movie):
        raise TypeError(
            "insert_all cannot write movies: their folded titles (db.FOLDED_COLUMNS) would "
            "be left empty; use db.Movie.insert_many"
        )
    if not rows:
        return 0
    meta = model._meta
    names = list(dict.fromkeys(k for row in rows for k in row))
    given = [meta.fields[name] for name in names]
    defaults = [  # by name: a peewee Field's == builds an expression
        f
        for f in meta.sorted_fields
        if f.name not in names and f.default is not None and f.name != meta.primary_key.name
    ]
    quotes = meta.database.quote
    columns = ", ".join(f.column_name.join(quotes) for f in given + defaults)
    params = []
    for row in rows:
        values = [f.db_value(_id_of(row.get(f.name))) for f in given]
        values += [f.db_value(f.default() if callable(f.default) else f.default) for f in defaults]
        params.append(values)
    insert_rows(f"INSERT INTO {meta.table_name.join(quotes)} ({columns}) VALUES ", params)
    return len(rows)


def insert_models(rows: Sequence[db.BaseModel], key: str | None = None) -> None:
    """Insert new rows (model instances of one model, not saved yet) with one INSERT of every
    row, each of every column (what `save` would store: a field left unset is NULL, the
    defaults and a movie's folded titles are on the instance); on PostgreSQL too, many rows in
    one statement (`INSERT ... VALUES` types each value by its column). `key`: a unique field
    whose values in `rows` are distinct, by which each row is given its id: `RETURNING` gives
    the ids with their keys, in an order neither SQLite nor PostgreSQL promises to be the
    rows'; an SQLite older than 3.35 has no `RETURNING`, and is asked for them once after."""
    if not rows:
        return
    meta = type(rows[0])._meta
    pk = meta.primary_key
    fields = [f for f in meta.sorted_fields if f is not pk]
    quotes = meta.database.quote
    table = meta.table_name.join(quotes)
    columns = ", ".join(f.column_name.join(quotes) for f in fields)
    params = [[f.db_value(row.__data__.get(f.name)) for f in fields] for row in rows]
    head, one = f"INSERT INTO {table} ({columns}) VALUES ", _placeholders(_row(len(fields)))
    if key is None:
        _execute_rows(lambda values: head + values, one, params)
        return
    by = meta.fields[key]
    keys = [by.db_value(row.__data__.get(key)) for row in rows]
    if db.is_postgresql() or RETURNING:
        tail = f" RETURNING {pk.column_name.join(quotes)}, {by.column_name.join(quotes)}"
        got = _fetch_rows(lambda values: head + values + tail, one, params)
    else:
        _execute_rows(lambda values: head + values, one, params)
        got = []
        for start in range(0, len(keys), 500):
            query = type(rows[0]).select(pk, by).where(by.in_(keys[start : start + 500]))
            got.extend(query.tuples())
    ids = {k: i for i, k in got}
    for row, k in zip(rows, keys, strict=True):
        row._pk = ids[k]
        row._dirty.clear()


def insert_rows(head: str, params: list[Sequence[Any]], one: str = "", tail: str = "") -> None:
    """`head` + a `one` (default: `(?, ...)` as wide as a row) for every row + `tail`:
    `INSERT INTO t (a, b) VALUES `, `(?, ?, 0)`, ` ON CONFLICT (a) DO UPDATE SET ...`. `?`
    stands for the database's own placeholder. Rows upserting the same key one after the other
    end as `executemany` would leave them: SQLite applies a statement's rows in order."""
    if params:
        one = _placeholders(one or _row(len(params[0])))
        _write(lambda values: f"{_placeholders(head)}{values}{_placeholders(tail)}", one, params)


def update_all(table: str, key: str, columns: Sequence[str], params: list[Sequence[Any]]) -> None:
    """`UPDATE table SET column = value, ... WHERE key = value` for every row of `params`
    (`[key's value, one value a column...]`; the keys distinct). SQLite: one
    `UPDATE ... FROM (VALUES (key, ...), ...)`; PostgreSQL: an `executemany` of the plain
    UPDATE, so every value is typed by its column."""
    if not params:
        return
    quote = db.database.quote
    table, key = table.join(quote), key.join(quote)
    if UPDATE_FROM and not db.is_postgresql():
        sets = ", ".join(f"{c.join(quote)} = v.column{n}" for n, c in enumerate(columns, 2))
        _execute_rows(
            lambda values: (
                f"UPDATE {table} SET {sets} FROM (VALUES {values}) AS v "
                f"WHERE {table}.{key} = v.column1"
            ),
            _row(len(columns) + 1),
            params,
        )
    else:
        param = db.database.param
        sets = ", ".join(f"{c.join(quote)} = {param}" for c in columns)
        sql = f"UPDATE {table} SET {sets} WHERE {key} = {param}"
        _execute_many(sql, [[*p[1:], p[0]] for p in params])


def delete_all(table: str, key: str, keys: Sequence[Any]) -> None:
    """`DELETE FROM table WHERE key IN (...)`, as many keys a statement as SQLite takes: the
    same statement on PostgreSQL."""
    quote = db.database.quote
    sql = f"DELETE FROM {table.join(quote)} WHERE {key.join(quote)} IN "
    _execute_rows(lambda values: f"{sql}({values})", db.database.param, [[k] for k in keys])


def _write(sql_for: Callable[[str], str], one: str, params: list[Sequence[Any]]) -> None:
    if db.is_postgresql():
        _execute_many(sql_for(one), params)
    else:
        _execute_rows(sql_for, one, params)


def _execute_rows(sql_for: Callable[[str], str], one: str, params: list[Sequence[Any]]) -> None:
    """`sql_for(one + ", " + one ...)`: one statement for as many parameter rows as SQLite takes
    (`one`: a row's placeholders, each row's values in its order): the connection's own limit of
    parameters, not the version's default (999 before 3.32, 32766 since), which a build
    (`SQLITE_MAX_VARIABLE_NUMBER`) or `setlimit` may lower."""
    if not params:
        return
    step = max(1, _most_parameters() // len(params[0]))
    for start in range(0, len(params), step):
        part = params[start : start + step]
        _execute(sql_for(", ".join([one] * len(part))), [v for row in part for v in row])


def _most_parameters() -> int:
    """How many parameters one statement may take: SQLite's connection says (its build's
    `SQLITE_MAX_VARIABLE_NUMBER`, or a `setlimit`); psycopg2 fills them in itself, and
    PostgreSQL's own limit of a prepared statement is 65,535: half of it, as SQLite's default."""
    if db.is_postgresql():
        return 32766
    return db.database.connection().getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)


def _fetch_rows(
    sql_for: Callable[[str], str], one: str, params: list[Sequence[Any]]
) -> list[tuple]:
    """`_execute_rows` of a statement that returns rows (`RETURNING`), on either database (many
    rows a statement on PostgreSQL too): the rows it returned."""
    got: list[tuple] = []
    step = max(1, _most_parameters() // len(params[0]))
    for start in range(0, len(params), step):
        part = params[start : start + step]
        sql = sql_for(", ".join([one] * len(part)))
        values = [v for row in part for v in row]
        _on_a_cursor(lambda cursor, sql=sql, values=values: got.extend(_run(cursor, sql, values)))
    return got


def _run(cursor: Any, sql: str, values: list[Any]) -> list[tuple]:
    cursor.execute(sql, values)
    return [tuple(row) for row in cursor.fetchall()]


def _execute(sql: str, values: list[Any]) -> None:
    _on_a_cursor(lambda cursor: cursor.execute(sql, values))


def _execute_many(sql: str, params: list[Sequence[Any]]) -> None:
    _on_a_cursor(lambda cursor: cursor.executemany(sql, params))


def _on_a_cursor(run: Callable[[Any], Any]) -> None:
    """`run(cursor)` on a cursor of the database's, closed after; driver errors come out as
    peewee's (`db.write_transaction` tells a full disk by them)."""
    with pw.__exception_wrapper__:
        cursor = db.database.cursor()
        try:
            run(cursor)
        finally:
            cursor.close()


def _row(width: int) -> str:
    return f"({', '.join(['?'] * width)})"


def _placeholders(sql: str) -> str:
    """A statement written with SQLite's `?` in the database's own (PostgreSQL: `%s`)."""
    return sql.replace("?", db.database.param)


def _id_of(value: Any) -> Any:
    """A row given for a foreign key stands for its id."""
    return value._pk if isinstance(value, pw.Model) else value


class Prepared:
    """A select that peewee builds and compiles once per kind of database, then run again with
    other values (an id, a path) as a cursor's plain tuples (`rows`) or as models (`models`):
    peewee compiles a query at each run, and a query of `db.Movie` (many columns, JSON ones)
    cost more to compile than to run: a rescan's per-show queries were most of its database
    time (bench.tv_scan). `build(*values)` makes the query; it is called with marker values
    (an integer or a string, as each value is), whose places among the compiled statement's
    parameters take the values of each call."""

    def __init__(self, build: Callable[..., pw.Query]) -> None:
        self._build = build
        self._compiled: dict[tuple, tuple[str, list[Any], list[int | None]]] = {}

    def _args(self, values: tuple) -> tuple[str, list[Any]]:
        key = (db.is_postgresql(), *(isinstance(v, str) for v in values))
        if (compiled := self._compiled.get(key)) is None:
            marks = [
                f"\0prepared {i}\0" if isinstance(v, str) else -(2**62) - i
                for i, v in enumerate(values)
            ]
            sql, params = self._build(*marks).sql()
            places = [marks.index(p) if p in marks else None for p in params]
            if sorted(p for p in places if p is not None) != list(range(len(values))):
                raise ValueError(f"each value must be a parameter of the query once: {sql}")
            compiled = self._compiled[key] = (sql, params, places)
        sql, params, places = compiled
        return sql, [p if i is None else values[i] for p, i in zip(params, places, strict=True)]

    def rows(self, *values: Any) -> list[tuple]:
        """The rows as the database's cursor gives them (no field's conversion)."""
        sql, args = self._args(values)
        return list(db.database.execute_sql(sql, args))

    def models(self, model: type[db.BaseModel], *values: Any) -> list[Any]:
        """The rows as `model`s, each column converted by its field (a raw query's)."""
        sql, args = self._args(values)
        return list(model.raw(sql, *args))

"""The database: peewee models on SQLite (WAL, foreign keys, busy timeout) or PostgreSQL, and
schema migrations.

`database` is a proxy, deferred until `open_database(path_or_url)` points it at SQLite (a path, the
default: `<data_dir>/metarrd.db`) or PostgreSQL (a `postgresql://` URL, `[database] url`), applies
the migrations above the stored schema version and returns it. Connections are per thread
(peewee's default), so Huey worker threads and web requests each get their own.

Portability (docs/scale-out.md): every read-modify-write goes through `write_transaction()`, which
is SQLite's BEGIN IMMEDIATE and, on PostgreSQL, a transaction holding one advisory lock: the
same "one writer at a time" on both, so code written against SQLite stays correct with many
processes on many hosts. Upserts use `on_conflict` (never `REPLACE`); JSON is TEXT on both.

Table names (docs/ARCHITECTURE.md, "Data") (movies, provider_assets, cache_image_files,
actors, movie_actors, publish_log, ...). `library_files` is the ledger of every file PUBLISH wrote.
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import peewee as pw

from metarrd.config import Config

log = logging.getLogger(__name__)

database = pw.DatabaseProxy()
database.initialize(pw.SqliteDatabase(None))  # deferred until open_database()

# pg_advisory_xact_lock key of write_transaction() (any constant; "metarrd" in ASCII)
WRITE_LOCK_KEY = 0x6D65746172726464

PRAGMAS = {
    "journal_mode": "wal",
    "foreign_keys": 1,
    "busy_timeout": 15000,
    "synchronous": "normal",
    "cache_size": -16000,
}


def now() -> datetime:
    """Naive UTC timestamp (what every DateTimeField stores)."""
    return datetime.now(UTC).replace(tzinfo=None)


class JSONField(pw.TextField):
    """JSON in a TEXT column; None stays NULL."""

    def db_value(self, value: Any) -> str | None:
        return None if value is None else json.dumps(value, ensure_ascii=False, sort_keys=False)

    def python_value(self, value: str | None) -> Any:
        return None if value is None else json.loads(value)


class BaseModel(pw.Model):
    class Meta:
        database = database
        legacy_table_names = False


class Meta(BaseModel):
    """Key/value store: schema version, admin password hash, web secret."""

    key = pw.CharField(primary_key=True)
    value = pw.TextField()

    class Meta:
        table_name = "meta"


class Library(BaseModel):
    name = pw.CharField(unique=True)
    path = pw.TextField()
    kind = pw.CharField(default="movie")

    class Meta:
        table_name = "libraries"


# identification_status values (docs/interface.md)
UNIDENTIFIED, IDENTIFIED, ENRICHED = "unidentified", "identified", "enriched"
# publish_state values (docs/interface.md)
UNPUBLISHED, PUBLISHED, OUTDATED = "unpublished", "published", "outdated"

# Metadata fields a user can edit and lock (column names of Movie).
EDITABLE_FIELDS = (
    "title",
    "original_title",
    "sort_title",
    "year",
    "premiered",
    "plot",
    "outline",
    "tagline",
    "runtime",
    "mpaa",
    "rating",
    "votes",
    "genres",
    "countries",
    "studios",
    "directors",
    "writers",
    "tags",
    "set_name",
    "set_overview",
    "trailer",
)


class Movie(BaseModel):
    library = pw.ForeignKeyField(Library, backref="movies", on_delete="CASCADE")
    path = pw.TextField(
        unique=True
    )  # absolute path of the video file (first part; folder for discs)
    parts = JSONField(default=list)  # stacked parts (cd1, cd2) as absolute paths
    is_disc = pw.BooleanField(default=False)
    size = pw.BigIntegerField(default=0)
    mtime_ns = pw.BigIntegerField(default=0)
    missing = pw.BooleanField(default=False, index=True)

    # identification
    title = pw.TextField(null=True, index=True)
    year = pw.IntegerField(null=True)
    tmdb_id = pw.IntegerField(null=True, index=True)
    imdb_id = pw.CharField(null=True)
    tvdb_id = pw.IntegerField(null=True)
    identification_status = pw.CharField(default=UNIDENTIFIED, index=True)
    identified_by = pw.CharField(null=True)  # nfo | name | imdb | search | manual | webhook
    candidates = JSONField(default=list)  # top search candidates with their distance explanation
    hints = JSONField(default=dict)  # what the scan learnt: ids/title/year from NFO and names
    source_nfo_hash = pw.CharField(null=True)  # SHA-256 of the user's NFO we last imported

    # metadata (what the NFO says)
    original_title = pw.TextField(null=True)
    sort_title = pw.TextField(null=True)
    premiered = pw.CharField(null=True)  # YYYY-MM-DD
    plot = pw.TextField(null=True)
    outline = pw.TextField(null=True)
    tagline = pw.TextField(null=True)
    runtime = pw.IntegerField(null=True)  # minutes
    mpaa = pw.CharField(null=True)
    rating = pw.FloatField(null=True)  # 0-10 (TMDB)
    votes = pw.IntegerField(null=True)
    genres = JSONField(default=list)
    countries = JSONField(default=list)
    studios = JSONField(default=list)
    directors = JSONField(default=list)
    writers = JSONField(default=list)
    tags = JSONField(default=list)
    set_name = pw.TextField(null=True)
    set_overview = pw.TextField(null=True)
    trailer = pw.TextField(null=True)
    date_added = pw.DateTimeField(default=now)

    # user control
    locked_fields = JSONField(default=list)
    locked_asset_types = JSONField(default=list)
    nfo_extra = JSONField(default=list)  # serialized elements of the user's NFO that we do not own

    # lifecycle
    enriched_at = pw.DateTimeField(null=True)
    last_published_at = pw.DateTimeField(null=True)
    published_nfo_hash = pw.CharField(null=True)
    publish_state = pw.CharField(default=UNPUBLISHED, index=True)
    # published without these pictures (provider down at publish); retried, cleared when complete
    publish_warnings = JSONField(default=list)
    last_error = pw.TextField(null=True)
    created_at = pw.DateTimeField(default=now)
    updated_at = pw.DateTimeField(default=now)

    class Meta:
        table_name = "movies"

    @property
    def video_path(self) -> Path:
        return Path(self.path)

    def is_locked(self, field_name: str) -> bool:
        return field_name in (self.locked_fields or [])

    @property
    def display_title(self) -> str:
        """`The Matrix (1999)`; the file name until the item has a title."""
        title = self.title or Path(self.path).stem
        return f"{title} ({self.year})" if self.year else title

    @property
    def label(self) -> str:
        """How messages name the item: `item 7 (The Matrix (1999))`."""
        return f"item {self.id} ({self.display_title})"

    def cast(self) -> list[MovieActor]:
        """The cast in billing order, each role with its actor loaded."""
        return list(
            MovieActor.select(MovieActor, Actor)
            .join(Actor)
            .where(MovieActor.movie == self.id)
            .order_by(MovieActor.order, MovieActor.id)
        )

    def as_list_entry(self) -> dict[str, Any]:
        """The `list --json` element (docs/interface.md)."""
        return {
            "id": self.id,
            "path": self.path,
            "title": self.title,
            "year": self.year,
            "tmdb_id": self.tmdb_id,
            "imdb_id": self.imdb_id,
            "identification_status": self.identification_status,
            "publish_state": self.publish_state,
            "last_error": self.last_error,
            "missing": self.missing,
        }


class VideoStream(BaseModel):
    movie = pw.ForeignKeyField(Movie, backref="video_streams", on_delete="CASCADE")
    codec = pw.CharField(default="")
    width = pw.IntegerField(null=True)
    height = pw.IntegerField(null=True)
    aspect = pw.FloatField(null=True)
    duration_seconds = pw.IntegerField(null=True)
    stereomode = pw.CharField(default="")
    hdrtype = pw.CharField(default="")
    language = pw.CharField(default="")

    class Meta:
        table_name = "video_streams"


class AudioStream(BaseModel):
    movie = pw.ForeignKeyField(Movie, backref="audio_streams", on_delete="CASCADE")
    codec = pw.CharField(default="")
    language = pw.CharField(default="")
    channels = pw.IntegerField(null=True)

    class Meta:
        table_name = "audio_streams"


class SubtitleStream(BaseModel):
    movie = pw.ForeignKeyField(Movie, backref="subtitle_streams", on_delete="CASCADE")
    language = pw.CharField(default="")
    external = pw.BooleanField(default=False)
    path = pw.TextField(null=True)

    class Meta:
        table_name = "subtitle_streams"


class ArtworkCandidate(BaseModel):
    """One artwork candidate for a movie, from a provider or from the user's own library."""

    movie = pw.ForeignKeyField(Movie, backref="assets", on_delete="CASCADE")
    asset_type = pw.CharField(index=True)  # poster, fanart, clearlogo, ... (docs/kodi-layout.md)
    provider = pw.CharField()  # tmdb | fanart | tvdb | library
    url = pw.TextField()  # provider URL; for source library: the original library path
    language = pw.CharField(null=True)  # ISO 639-1, None = no text
    vote_average = pw.FloatField(null=True)
    vote_count = pw.IntegerField(null=True)  # fanart.tv likes go here too
    api_width = pw.IntegerField(null=True)
    api_height = pw.IntegerField(null=True)
    provider_metadata = JSONField(default=dict)

    # analysis
    analyzed = pw.BooleanField(default=False)
    analyzed_at = pw.DateTimeField(null=True)
    width = pw.IntegerField(null=True)
    height = pw.IntegerField(null=True)
    format = pw.CharField(null=True)  # jpeg | png | webp | gif
    file_size = pw.IntegerField(null=True)
    content_hash = pw.CharField(null=True, index=True)
    perceptual_hash = pw.CharField(null=True)
    rejected_reason = pw.TextField(null=True)
    duplicate_of = pw.ForeignKeyField("self", null=True, on_delete="SET NULL")
    preview_path = pw.TextField(null=True)

    # scoring and selection
    score = pw.FloatField(null=True)
    score_breakdown = JSONField(default=dict)
    is_downloaded = pw.BooleanField(default=False)
    is_selected = pw.BooleanField(default=False)
    selected_at = pw.DateTimeField(null=True)
    selected_by = pw.CharField(null=True)  # auto | user
    rank = pw.IntegerField(null=True)  # 1 = the best of its type, as published
    created_at = pw.DateTimeField(default=now)

    class Meta:
        table_name = "provider_assets"
        indexes = ((("movie", "asset_type", "url"), True),)


class Actor(BaseModel):
    tmdb_id = pw.IntegerField(null=True, unique=True)
    name = pw.TextField()
    name_normalized = pw.TextField(index=True)
    profile_path = pw.TextField(null=True)
    thumb_url = pw.TextField(null=True)  # absolute provider URL (goes into the NFO)
    image_cache_path = pw.TextField(null=True)
    image_hash = pw.CharField(null=True)

    class Meta:
        table_name = "actors"


class MovieActor(BaseModel):
    movie = pw.ForeignKeyField(Movie, backref="roles", on_delete="CASCADE")
    actor = pw.ForeignKeyField(Actor, backref="roles", on_delete="CASCADE")
    role = pw.TextField(default="")
    order = pw.IntegerField(default=0)

    class Meta:
        table_name = "movie_actors"
        indexes = ((("movie", "actor"), True),)


class CacheImageFile(BaseModel):
    """A full-size image in `<data_dir>/cache/<type>/<hh>/<sha256>.<ext>`, byte-identical to its source."""

    movie = pw.ForeignKeyField(Movie, null=True, backref="cache_files", on_delete="CASCADE")
    actor = pw.ForeignKeyField(Actor, null=True, backref="cache_files", on_delete="CASCADE")
    image_type = pw.CharField(index=True)  # asset type, or "actor"
    file_path = pw.TextField()
    file_hash = pw.CharField(index=True)
    perceptual_hash = pw.CharField(null=True)
    file_size = pw.IntegerField(default=0)
    width = pw.IntegerField(null=True)
    height = pw.IntegerField(null=True)
    format = pw.CharField(null=True)
    source_type = pw.CharField(default="provider")  # provider | library
    source_url = pw.TextField(null=True)  # provider URL, or the library path it was found at
    provider_name = pw.CharField(null=True)
    created_at = pw.DateTimeField(default=now)

    class Meta:
        table_name = "cache_image_files"
        indexes = ((("movie", "actor", "image_type", "file_hash"), True),)


class LibraryFile(BaseModel):
    """Ledger: every file PUBLISH wrote into a library (only these may be replaced or removed freely)."""

    movie = pw.ForeignKeyField(Movie, null=True, backref="library_files", on_delete="SET NULL")
    path = pw.TextField(unique=True)
    kind = pw.CharField()  # nfo | art | actor
    sha256 = pw.CharField()
    size = pw.IntegerField()
    written_at = pw.DateTimeField(default=now)
    cache_file = pw.ForeignKeyField(CacheImageFile, null=True, on_delete="SET NULL")

    class Meta:
        table_name = "library_files"


class MediaPlayer(BaseModel):
    name = pw.CharField(unique=True)
    type = pw.CharField()
    url = pw.TextField()
    enabled = pw.BooleanField(default=True)
    last_ok_at = pw.DateTimeField(null=True)
    last_error = pw.TextField(null=True)

    class Meta:
        table_name = "media_players"


class PlayerLibrary(BaseModel):
    player = pw.ForeignKeyField(MediaPlayer, backref="libraries", on_delete="CASCADE")
    library = pw.ForeignKeyField(Library, backref="players", on_delete="CASCADE")

    class Meta:
        table_name = "media_player_libraries"
        indexes = ((("player", "library"), True),)


class PlayerNotification(BaseModel):
    """A pending or finished "tell this player about this path" request (coalesced per player)."""

    player = pw.ForeignKeyField(MediaPlayer, backref="notifications", on_delete="CASCADE")
    movie = pw.ForeignKeyField(Movie, null=True, on_delete="SET NULL")
    path = pw.TextField()  # our own path of the video file
    state = pw.CharField(default="pending", index=True)  # pending | sent | failed
    attempts = pw.IntegerField(default=0)
    next_attempt_at = pw.DateTimeField(default=now)
    last_error = pw.TextField(null=True)
    created_at = pw.DateTimeField(default=now)
    sent_at = pw.DateTimeField(null=True)

    class Meta:
        table_name = "player_notifications"


class PublishLog(BaseModel):
    movie = pw.ForeignKeyField(Movie, backref="publish_log", on_delete="CASCADE")
    published_at = pw.DateTimeField(default=now)
    ok = pw.BooleanField(default=True)
    nfo_hash = pw.CharField(null=True)
    written = JSONField(default=list)
    removed = JSONField(default=list)
    kept = JSONField(default=list)
    backed_up = JSONField(default=list)
    message = pw.TextField(null=True)

    class Meta:
        table_name = "publish_log"


class Event(BaseModel):
    """What happened, for the UI's history and live updates (id is the cursor)."""

    created_at = pw.DateTimeField(default=now, index=True)
    kind = pw.CharField(index=True)  # e.g. scan.found, identify.failed, enrich.done, publish.done
    level = pw.CharField(default="info")  # info | warning | error
    movie = pw.ForeignKeyField(Movie, null=True, backref="events", on_delete="CASCADE")
    message = pw.TextField(default="")
    data = JSONField(default=dict)

    class Meta:
        table_name = "events"


class WorkflowStage(BaseModel):
    name = pw.CharField(primary_key=True)
    enabled = pw.BooleanField()

    class Meta:
        table_name = "workflow_stages"


class Job(BaseModel):
    """One queued unit of work, mirrored for the UI and for de-duplication of pending work."""

    kind = pw.CharField(index=True)  # scan | identify | search | enrich | publish | notify
    movie = pw.ForeignKeyField(Movie, null=True, backref="jobs", on_delete="CASCADE")
    key = pw.TextField(index=True)  # de-duplication key, e.g. "enrich:42"
    state = pw.CharField(default="queued", index=True)  # queued | running | done | failed
    # who runs it ("host:pid:nonce") and until when; renewed by the worker's heartbeat, taken
    # over by another worker once expired (metarrd/pipeline/leases.py)
    lease_owner = pw.CharField(null=True)
    lease_until = pw.DateTimeField(null=True)
    manual = pw.BooleanField(default=False)
    payload = JSONField(default=dict)  # what the job works on: paths, ids given by a webhook...
    progress = pw.FloatField(default=0.0)
    message = pw.TextField(default="")
    error = pw.TextField(null=True)
    attempts = pw.IntegerField(default=0)
    created_at = pw.DateTimeField(default=now)
    started_at = pw.DateTimeField(null=True)
    finished_at = pw.DateTimeField(null=True)

    class Meta:
        table_name = "jobs"


MODELS: list[type[BaseModel]] = [
    Meta,
    Library,
    Movie,
    VideoStream,
    AudioStream,
    SubtitleStream,
    ArtworkCandidate,
    Actor,
    MovieActor,
    CacheImageFile,
    LibraryFile,
    MediaPlayer,
    PlayerLibrary,
    PlayerNotification,
    PublishLog,
    Event,
    WorkflowStage,
    Job,
]


class LoginFailure(BaseModel):
    """A wrong web password, per client address: the lockout is shared by every gunicorn worker
    and survives a restart."""

    addr = pw.CharField(index=True)
    at = pw.FloatField(index=True)  # time.time()

    class Meta:
        table_name = "login_failures"


class WebSession(BaseModel):
    """A logged-in web session (the cookie carries its id; the row holds its SHA-256). Logging
    out deletes the row, so a copied cookie stops working too."""

    sid_hash = pw.CharField(primary_key=True)
    created_at = pw.FloatField(index=True)  # time.time()

    class Meta:
        table_name = "web_sessions"


# --- migrations ------------------------------------------------------------------------------
# Append (version, function) pairs; never edit a released step. Each runs in a transaction.


def _migrate_1(db: pw.SqliteDatabase) -> None:
    db.create_tables(MODELS)


def _migrate_2(db: pw.SqliteDatabase) -> None:
    db.create_tables([LoginFailure, WebSession])


# Event kinds became `<stage>.<outcome>`; history recorded before keeps its place under the new names.
RENAMED_EVENTS = {
    "enrichment.complete": "enrich.done",
    "entity.published": "publish.done",
    "player.notified": "notify.done",
    "player.failed": "notify.failed",
    "player.retrying": "notify.retrying",
    "artwork.selected": "review.selected",
    "artwork.lock": "review.locked",
    "field.lock": "review.locked",
    "field.edited": "review.edited",
    "workflow.changed": "settings.changed",
    "webhook.download": "webhook.received",
}


def _migrate_3(db: pw.SqliteDatabase) -> None:
    for old, new in RENAMED_EVENTS.items():
        Event.update(kind=new).where(Event.kind == old).execute()


def _migrate_4(db: pw.SqliteDatabase) -> None:
    """movies.publish_warnings (a database made by step 1 of this version has it already)."""
    if "publish_warnings" not in {c.name for c in db.get_columns("movies")}:
        db.execute_sql("ALTER TABLE movies ADD COLUMN publish_warnings TEXT NOT NULL DEFAULT '[]'")


def _migrate_5(db: pw.Database) -> None:
    """jobs.lease_owner, jobs.lease_until (a worker's hold on a running job); on PostgreSQL the
    case-insensitive NOCASE collation that SQLite has built in (the library's sort order)."""
    from playhouse.migrate import SchemaMigrator, migrate

    have = {c.name for c in db.get_columns("jobs")}
    migrator = SchemaMigrator.from_database(db)
    steps = [
        migrator.add_column("jobs", name, field)
        for name, field in (("lease_owner", Job.lease_owner), ("lease_until", Job.lease_until))
        if name not in have
    ]
    migrate(*steps)
    if is_postgresql():
        _create_nocase_collation(db)


def _create_nocase_collation(db: pw.Database) -> None:
    exists = db.execute_sql("SELECT 1 FROM pg_collation WHERE collname = 'nocase'").fetchone()
    if exists:
        return
    try:
        with db.atomic():  # a savepoint: a server without ICU falls back below
            db.execute_sql(
                "CREATE COLLATION nocase "
                "(provider = icu, locale = 'und-u-ks-level2', deterministic = false)"
            )
    except pw.DatabaseError:
        db.execute_sql('CREATE COLLATION nocase FROM "C"')


MIGRATIONS: list[tuple[int, Callable[[pw.Database], None]]] = [
    (1, _migrate_1),
    (2, _migrate_2),
    (3, _migrate_3),
    (4, _migrate_4),
    (5, _migrate_5),
]
SCHEMA_VERSION = MIGRATIONS[-1][0]


def schema_version() -> int:
    if not database.table_exists("meta"):
        return 0
    row = Meta.get_or_none(Meta.key == "schema_version")
    return int(row.value) if row else 0


def is_postgresql_url(target: Path | str) -> bool:
    return isinstance(target, str) and target.startswith(("postgresql://", "postgres://"))


def connect_to(target: Path | str) -> pw.Database:
    """A database object (not yet connected) for a SQLite path or a PostgreSQL URL."""
    if is_postgresql_url(target):
        from playhouse.db_url import parse

        params = parse(str(target), unquote_password=True, unquote_user=True)
        params.setdefault("connect_timeout", 10)
        # a peer that vanished (host lost) is noticed in about a minute, not hours: its session
        # advisory locks (publish folders) are released then
        params.update(keepalives=1, keepalives_idle=30, keepalives_interval=10, keepalives_count=3)
        return pw.PostgresqlDatabase(params.pop("database"), **params)
    path = Path(str(target).removeprefix("sqlite:///"))
    path.parent.mkdir(parents=True, exist_ok=True)
    return pw.SqliteDatabase(str(path), pragmas=PRAGMAS, check_same_thread=False)


def is_postgresql() -> bool:
    return isinstance(database.obj, pw.PostgresqlDatabase)


def describe(target: Path | str) -> str:
    """The database for log lines, without a password."""
    if is_postgresql_url(target):
        from urllib.parse import urlsplit

        u = urlsplit(str(target))
        return f"postgresql://{u.hostname}{f':{u.port}' if u.port else ''}{u.path}"
    return str(target)


def open_database(target: Path | str) -> pw.Database:
    """Point the deferred database at `target` (a SQLite path, or a `postgresql://` URL) and bring
    its schema up to date. Several processes starting together migrate once: each step runs in
    a write transaction that re-reads the schema version first."""
    if not database.is_closed():
        database.close()
    database.initialize(connect_to(target))
    database.connect(reuse_if_open=True)
    for version, step in MIGRATIONS:
        if version <= schema_version():  # cheap check without the write lock
            continue
        with write_transaction():
            if version <= schema_version():
                continue  # another process got there first
            step(database)
            set_meta("schema_version", str(version))
        log.info("database %s migrated to schema version %d", describe(target), version)
    return database


@contextlib.contextmanager
def write_transaction() -> Iterator[None]:
    """A write transaction that takes the write lock up front.

    SQLite: BEGIN IMMEDIATE. A deferred transaction that reads and then writes fails at once with
    "database is locked" when another connection wrote in between; an immediate one waits
    (busy_timeout) instead. PostgreSQL: a transaction that first takes one advisory lock
    (`pg_advisory_xact_lock`, released at commit or rollback), so read-modify-writes are
    serialised across every process and host exactly as on SQLite. Use it for every
    read-modify-write."""
    if is_postgresql():
        with database.atomic():
            _take_write_lock()
            yield
    else:
        with database.atomic("IMMEDIATE"):
            yield


def _take_write_lock() -> None:
    database.execute_sql("SELECT pg_advisory_xact_lock(%s)", (WRITE_LOCK_KEY,))


def get_meta(key: str, default: str | None = None) -> str | None:
    row = Meta.get_or_none(Meta.key == key)
    return row.value if row else default


def set_meta(key: str, value: str) -> None:
    Meta.insert(key=key, value=value).on_conflict(
        conflict_target=[Meta.key], update={Meta.value: value}
    ).execute()


def record_event(
    kind: str,
    message: str,
    *,
    movie: Movie | int | None = None,
    level: str = "info",
    **data: Any,
) -> Event:
    """Store an event for the UI (history, activity page, live updates). Kinds are
    `<stage>.<outcome>`: `scan.found`, `enrich.done`, `publish.failed`, `review.edited`, ...

    On PostgreSQL the insert holds the write lock until its transaction ends, so events become
    visible in id order: the live updates' cursor (`id > N`) never skips an event committed late
    by another process. A NUL in the message (a hostile webhook's) becomes U+FFFD: PostgreSQL
    text cannot hold it."""
    message = message.replace("\x00", "\ufffd")
    if is_postgresql():
        with database.atomic():
            _take_write_lock()
            return Event.create(kind=kind, message=message, movie=movie, level=level, data=data)
    return Event.create(kind=kind, message=message, movie=movie, level=level, data=data)


MAX_ID = 2**63 - 1  # SQLite INTEGER, PostgreSQL bigint: larger ids in a URL are no row


def mark_outdated(movie_id: int) -> None:
    """A published item whose library files no longer match becomes "Updated – Republish?"."""
    Movie.update(publish_state=OUTDATED).where(
        Movie.id == movie_id, Movie.publish_state == PUBLISHED
    ).execute()


def record_failure(stage: str, movie_id: int | None, reason: str, **data: Any) -> None:
    """The one record of a failed stage: the item's `last_error` and one `<stage>.failed` event.
    Whoever runs the stage (the job runner, the CLI) calls it once; stages only raise."""
    with write_transaction():
        if movie_id is not None:
            Movie.update(last_error=reason, updated_at=now()).where(Movie.id == movie_id).execute()
        record_event(f"{stage}.failed", reason, movie=movie_id, level="error", **data)


def mirror_config(config: Config) -> None:
    """Libraries and players live in the config; the database mirrors them for joins and the UI."""
    with write_transaction():
        libraries = {}
        for lib in config.library:
            row, _ = Library.get_or_create(
                name=lib.name, defaults={"path": lib.path, "kind": lib.kind}
            )
            if row.path != lib.path or row.kind != lib.kind:
                row.path, row.kind = lib.path, lib.kind
                row.save()
            libraries[lib.name] = row
        names = [p.name for p in config.player]
        MediaPlayer.delete().where(MediaPlayer.name.not_in(names)).execute()
        for player in config.player:
            row, _ = MediaPlayer.get_or_create(
                name=player.name, defaults={"type": player.type, "url": player.url}
            )
            if row.type != player.type or row.url != player.url:
                row.type, row.url = player.type, player.url
                row.save()
            PlayerLibrary.delete().where(PlayerLibrary.player == row).execute()
            for lib_name in player.libraries:
                PlayerLibrary.create(player=row, library=libraries[lib_name])

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
import contextvars
import errno
import functools
import getpass
import hashlib
import json
import logging
import os
import socket
import sqlite3
import threading
import time
import unicodedata
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple

import peewee as pw

from metarrd.config import Config
from metarrd.errors import DiskFull, MetarrdError
from metarrd.text import count
from metarrd.urls import redact

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
    # statement journals and temporary b-trees in memory, not as files in /var/tmp: a write
    # transaction's multi-row INSERT or UPDATE FROM (VALUES ...) past 64 KB of pages spilled
    # its journal into a new temp file (created and unlinked; about 20 in a 6-movie enrich)
    "temp_store": "memory",
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


# Item kinds (docs/ARCHITECTURE.md "Items"): a movie; a TV show (its folder), each of its seasons
# (internal, never listed) and each episode file.
MOVIE, SHOW, SEASON, EPISODE = "movie", "show", "season", "episode"
KINDS = (MOVIE, SHOW, SEASON, EPISODE)
LISTED_KINDS = (MOVIE, SHOW, EPISODE)  # what `list --json` shows (docs/interface.md)

# identification_status values (docs/interface.md)
UNIDENTIFIED, IDENTIFIED, ENRICHED = "unidentified", "identified", "enriched"
# publish_state values (docs/interface.md)
UNPUBLISHED, PUBLISHED, OUTDATED = "unpublished", "published", "outdated"

# The whole numbers an item's INTEGER columns take, from the user's NFO (scan) or the item page
# (web.fields): PostgreSQL's INTEGER is 32 bits, SQLite's 64; the first films are of the 1870s;
# the longest film, Logistics (2012), runs 51,420 minutes (857 hours), as TMDB and IMDb list it.
INT_RANGES = {"year": (1870, 2100), "runtime": (0, 100_000), "votes": (0, 2**31 - 1)}
MAX_TEXT = 20_000  # characters of a text field (a list's: joined by ", "), the NFO's and typed
MAX_PROVIDER_ID = 2**31 - 1  # a TMDB or TheTVDB id (INTEGER columns)

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
    "status",  # a show's (tvshow.nfo <status>)
    "aired",  # an episode's (its first block's <aired>)
)


# Latin letters that Unicode does not decompose but the collation tables (ISO 14651, the
# Unicode collation's, whose ICU `nocase` sorts PostgreSQL's titles) give the base letters of:
# "Ørnen" among the O, "Æon Flux" as "Aeon Flux", "Popiół" as "Popiol"
BASE_LETTERS = str.maketrans(
    {"æ": "ae", "œ": "oe", "ø": "o", "ł": "l", "đ": "d", "ð": "d", "ħ": "h"}
)


@functools.lru_cache(maxsize=65536)
def fold(text: str) -> str:
    """`text` as the library compares titles, in its sort and its search: compatibility forms
    decomposed (NFKD: "ﬁ" is "fi", a title stored in NFC or NFD the same), case-folded ("ß" is
    "ss"), without its combining marks ("Amélie" is "amelie", "Señor" "senor"), and letters
    with a stroke or joined as their base letters (BASE_LETTERS). The search reads titles
    stored folded: a change here needs a migration that folds them again (migration 14)."""
    folded = unicodedata.normalize("NFKD", text).casefold().translate(BASE_LETTERS)
    return "".join(c for c in folded if not unicodedata.combining(c))


def _folded_value(value: Any) -> Any:
    if isinstance(value, pw.Node):
        # an SQL expression (`title = original_title`) cannot be folded here
        raise ValueError("a title written from an SQL expression has no folded copy")
    return fold(value) if isinstance(value, str) else None


# title column -> the column that holds it folded (the library's search reads those)
FOLDED_COLUMNS = {
    "title": "title_folded",
    "original_title": "original_title_folded",
    "sort_title": "sort_title_folded",
}


class _FoldedAccessor(pw.FieldAccessor):
    def __set__(self, instance, value):
        super().__set__(instance, value)
        if instance.__dict__.get("_from_row"):
            return  # a row read back: its folded copies are the database's, when selected
        folded = FOLDED_COLUMNS[self.name]
        instance.__data__[folded] = _folded_value(value)
        instance._dirty.add(folded)


class FoldedTextField(pw.TextField):
    """A title whose folded copy (FOLDED_COLUMNS) is set with it on the model instance."""

    accessor_class = _FoldedAccessor


class Movie(BaseModel):
    """One item: a movie, or a TV show, season or episode file (`kind`). Every item has its own
    artwork candidates, locks, events, jobs and ledger rows; a season or episode points at its
    show. The table keeps its first name, `movies`."""

    library = pw.ForeignKeyField(Library, backref="movies", on_delete="CASCADE")
    path = pw.TextField(
        unique=True
    )  # absolute path of the video file (first part; folder for discs; show: its folder)
    parts = JSONField(default=list)  # stacked parts (cd1, cd2) as absolute paths
    is_disc = pw.BooleanField(default=False)
    size = pw.BigIntegerField(default=0)
    mtime_ns = pw.BigIntegerField(default=0)
    missing = pw.BooleanField(default=False, index=True)
    # a single video file's "<st_dev>:<st_ino>" when last scanned (migration 11): a file renamed
    # with its folder keeps its item when nothing else has this identity (scan.stage._renamed)
    file_id = pw.TextField(null=True)

    # identification
    title = FoldedTextField(null=True, index=True)
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
    original_title = FoldedTextField(null=True)
    sort_title = FoldedTextField(null=True)
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

    # TV (migration 5): kind, and for seasons and episodes the show they belong to
    kind = pw.CharField(default=MOVIE, index=True)  # movie | show | season | episode
    show = pw.ForeignKeyField("self", null=True, backref="children", on_delete="CASCADE")
    season = pw.IntegerField(null=True)  # season and episode items
    episodes = JSONField(default=list)  # episode numbers in the file, in file-name order
    aired = pw.CharField(null=True)  # episode: YYYY-MM-DD (first episode); show: first aired
    status = pw.CharField(null=True)  # show: Continuing, Ended, ... (tvshow.nfo <status>)
    ordering = pw.CharField(null=True)  # show: numbering scheme, e.g. tmdb:default, tvdb:official
    episode_refs = JSONField(default=list)  # episode: per number {season, episode, tmdb_id, ...}
    numbering_note = pw.TextField(null=True)  # show: where TMDB's and TheTVDB's numbering differ
    # episode (migration 7): per episode of the file, what TV enrich found (season, episode,
    # title, plot, aired, runtime, rating, directors, writers, tmdb_id, tvdb_id)
    episode_details = JSONField(default=list)

    # the titles as the library's search compares them (fold(), migration 14): written with
    # the title they fold, by every write of one (FoldedTextField, _normalize_data, insert_many)
    title_folded = pw.TextField(null=True)
    original_title_folded = pw.TextField(null=True)
    sort_title_folded = pw.TextField(null=True)

    class Meta:
        table_name = "movies"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if not kwargs.get("__no_default__"):  # (peewee's mark of a row read from the database)
            super().__init__(*args, **kwargs)
            return
        self._from_row = True
        try:
            super().__init__(*args, **kwargs)
        finally:
            self._from_row = False

    @classmethod
    def _normalize_data(cls, data, kwargs):  # update(), insert(), and save() through them
        normalized = super()._normalize_data(data, kwargs)
        if isinstance(normalized, dict):
            for name, folded in FOLDED_COLUMNS.items():
                field = cls._meta.fields[name]
                if field in normalized and cls._meta.fields[folded] not in normalized:
                    normalized[cls._meta.fields[folded]] = _folded_value(normalized[field])
        return normalized

    @classmethod
    def insert_many(cls, rows, fields=None):
        rows = list(rows)
        if fields is not None:
            names = [f if isinstance(f, str) else f.name for f in fields]
            extra = [
                (names.index(name), folded)
                for name, folded in FOLDED_COLUMNS.items()
                if name in names and folded not in names
            ]
            if extra:
                fields = [*fields, *(cls._meta.fields[folded] for _, folded in extra)]
                rows = [(*row, *(_folded_value(row[i]) for i, _ in extra)) for row in rows]
        else:
            rows = [cls._normalize_data(row, {}) if isinstance(row, dict) else row for row in rows]
        return super().insert_many(rows, fields)

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

    def episode_numbers(self) -> tuple[int | None, list[int]]:
        """(season, episode numbers) of an episode file: its name's, else, for a file named by
        air date, those identify matched to that date (what its NFO says, and Kodi reads);
        (None, []) for a file matched to no episode."""
        if self.season is not None and self.episodes:
            return self.season, list(self.episodes)
        refs = [
            r
            for r in self.episode_refs or []
            if isinstance(r, dict) and r.get("season") is not None and r.get("episode") is not None
        ]
        if not refs:
            return None, []
        season = refs[0]["season"]
        return season, [r["episode"] for r in refs if r["season"] == season]

    def cast(self) -> list[MovieActor]:
        """The cast in billing order, each role with its actor loaded."""
        return list(
            MovieActor.select(MovieActor, Actor)
            .join(Actor)
            .where(MovieActor.movie == self.id)
            .order_by(MovieActor.order, MovieActor.id)
        )

    def as_list_entry(self, episode_count: int = 0) -> dict[str, Any]:
        """The `list --json` element (docs/interface.md; shows and episodes: docs/tv.md)."""
        if self.kind == SHOW:
            return {
                "id": self.id,
                "kind": SHOW,
                "path": self.path,
                "title": self.title,
                "year": self.year,
                "tmdb_id": self.tmdb_id,
                "tvdb_id": self.tvdb_id,
                "imdb_id": self.imdb_id,
                "identification_status": self.identification_status,
                "publish_state": self.publish_state,
                "last_error": self.last_error,
                "missing": self.missing,
                "episode_count": episode_count,
                "numbering_note": self.numbering_note,  # docs/tv.md "Episode orders"
            }
        if self.kind == EPISODE:
            season, numbers = self.episode_numbers()  # a file named by air date: its match's
            return {
                "id": self.id,
                "kind": EPISODE,
                "path": self.path,
                "show_id": self.show_id,
                "season": season,
                "episodes": numbers,
                "title": self.title,
                "year": self.year or _year_of(self.aired),  # every element has one
                "aired": self.aired,
                "tmdb_id": self.tmdb_id,
                "tvdb_id": self.tvdb_id,
                "imdb_id": self.imdb_id,
                "identification_status": self.identification_status,
                "publish_state": self.publish_state,
                "last_error": self.last_error,
                "missing": self.missing,
            }
        return {
            "id": self.id,
            "kind": self.kind,
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


def season_held(episode: Movie) -> int | None:
    """The season an episode item makes hold a file, for its show's season items: its name's
    season with its episode numbers, else the season identify matched a file named by air date
    (or absolute number) to (`Movie.episode_numbers`); None for one matched to no episode. The
    scan (a season of the user's art alone is kept hidden), identify (`_season_items`: a season
    another order leaves is hidden) and migration 15 all tell by it."""
    return episode.episode_numbers()[0]


def seasons_with_files(show_id: int, *, with_missing: bool = True) -> set[int]:
    """The seasons an episode item of the show is in (`season_held`): its file there, or
    missing too unless `with_missing` is False."""
    M = Movie
    query = M.select(M.season, M.episodes, M.episode_refs).where(
        M.show == show_id, M.kind == EPISODE
    )
    if not with_missing:
        query = query.where(~M.missing)
    return {n for e in query if (n := season_held(e)) is not None}


def _year_of(date: str | None) -> int | None:
    """The year of a `YYYY-MM-DD` date, else None."""
    return int(date[:4]) if date and date[:4].isascii() and date[:4].isdigit() else None


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
    preview_path = pw.TextField(null=True, index=True)  # migration 17

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
    image_cache_path = pw.TextField(null=True, index=True)  # migration 16
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
    file_path = pw.TextField(index=True)  # migration 16
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
    # the file's lstat right after we wrote it: when size, mtime and ctime still match, the file
    # holds `sha256` without being read (docs/publish.md, "Knowing a file unchanged")
    mtime_ns = pw.BigIntegerField(null=True)
    ctime_ns = pw.BigIntegerField(null=True)
    # a write under way: the SHA-256 about to be renamed onto `path` (the file holds `sha256`,
    # or this, or is gone); cleared once the file is durable. `sha256` is "" for a new path.
    pending_sha256 = pw.CharField(null=True)

    class Meta:
        table_name = "library_files"


class MediaPlayer(BaseModel):
    name = pw.CharField(unique=True)
    type = pw.CharField()
    url = pw.TextField()
    enabled = pw.BooleanField(default=True)  # its [[player]]'s `enabled`: told of publishes
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
    # pending | checking (told; the player's doing looked at again: players/notify.py) | sent
    # | failed
    state = pw.CharField(default="pending", index=True)
    attempts = pw.IntegerField(default=0)
    next_attempt_at = pw.DateTimeField(default=now)
    last_error = pw.TextField(null=True)
    created_at = pw.DateTimeField(default=now)
    sent_at = pw.DateTimeField(null=True)
    # a renamed show's watched episodes while Kodi has them nowhere (players/kodi_kept.py)
    kept_state = JSONField(null=True)

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
    """An attempt at the web password or the webhook token, per client (`addr` is
    `login <client>` or `webhook <client>`: metarrd/web/attempts.py): the lockout is shared by
    every gunicorn worker and survives a restart."""

    addr = pw.CharField(index=True)
    at = pw.DoubleField(index=True)  # time.time() (a FloatField is 4 bytes on PostgreSQL)

    class Meta:
        table_name = "login_failures"


class WebSession(BaseModel):
    """A logged-in web session (the cookie carries its id; the row holds its SHA-256). Logging
    out deletes the row, so a copied cookie stops working too."""

    sid_hash = pw.CharField(primary_key=True)
    created_at = pw.DoubleField(index=True)  # time.time()

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


# TV shows (issue 14): the items table learns kinds. Version 4 belongs to another branch.
TV_COLUMNS = (
    "kind",
    "show",
    "season",
    "episodes",
    "aired",
    "status",
    "ordering",
    "episode_refs",
    "numbering_note",
)


def _migrate_5(db: pw.SqliteDatabase) -> None:
    from playhouse.migrate import SqliteMigrator, migrate

    have = {c.name for c in db.get_columns("movies")}
    migrator = SqliteMigrator(db)
    fields = Movie._meta.fields
    operations = [
        migrator.add_column("movies", fields[name].column_name, fields[name])
        for name in TV_COLUMNS
        if fields[name].column_name not in have
    ]
    migrate(*operations)  # add_column also indexes `kind` (index=True)


def _migrate_6(db: pw.SqliteDatabase) -> None:
    """library_files.mtime_ns / ctime_ns / pending_sha256 (a database made by step 1 of this
    version has them)."""
    have = {c.name for c in db.get_columns("library_files")}
    for column, kind in (
        ("mtime_ns", "INTEGER"),
        ("ctime_ns", "INTEGER"),
        ("pending_sha256", "VARCHAR(255)"),
    ):
        if column not in have:
            db.execute_sql(f"ALTER TABLE library_files ADD COLUMN {column} {kind}")


def _migrate_7(db: pw.SqliteDatabase) -> None:
    """Indexes for the web UI's library (issue 13): the state counts read one covering index
    instead of every row; "without a clearlogo" and "posters in French" one index range."""
    db.execute_sql(
        "CREATE INDEX IF NOT EXISTS movies_state "
        "ON movies (missing, identification_status, publish_state)"
    )
    db.execute_sql(
        "CREATE INDEX IF NOT EXISTS provider_assets_selected "
        "ON provider_assets (asset_type, is_selected, rank, language, movie_id)"
    )


def _migrate_8(db: pw.SqliteDatabase) -> None:
    """movies.episode_details (TV enrich; the TV enrich branch may add the same column: a
    database that has it already is left as it is)."""
    if "episode_details" not in {c.name for c in db.get_columns("movies")}:
        db.execute_sql("ALTER TABLE movies ADD COLUMN episode_details TEXT NOT NULL DEFAULT '[]'")


def _migrate_9(db: pw.Database) -> None:
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


def _migrate_10(db: pw.Database) -> None:
    """login_failures.at and web_sessions.created_at as 8-byte floats on PostgreSQL: they were
    `real` (peewee's FloatField), whose 24-bit mantissa holds a time.time() of 1.8e9 to within
    about a minute, so the 30-second pace of the login lockout never held and windows were off
    by up to 64 s. SQLite's REAL is 8 bytes already."""
    if is_postgresql():
        db.execute_sql("ALTER TABLE login_failures ALTER COLUMN at TYPE double precision")
        db.execute_sql("ALTER TABLE web_sessions ALTER COLUMN created_at TYPE double precision")


def _migrate_11(db: pw.Database) -> None:
    """movies.file_id (a database made by step 1 of this version has it); filled in by the
    next scan of each movie."""
    if "file_id" not in {c.name for c in db.get_columns("movies")}:
        db.execute_sql("ALTER TABLE movies ADD COLUMN file_id TEXT")


def _migrate_12(db: pw.Database) -> None:
    """An index for a show's seasons and episodes by number: a season's page and an episode's
    (its season, its breadcrumbs) read `show_id = ? AND kind = ? AND season = ?`, which the
    `show_id` index answered by reading every row of the show (15,030 of a daily show's 30
    seasons of 500 files) to keep one season's."""
    db.execute_sql(
        "CREATE INDEX IF NOT EXISTS movies_show_season ON movies (show_id, kind, season)"
    )


def _migrate_13(db: pw.Database) -> None:
    """player_notifications.kept_state (a database made by step 1 of this version has it): a
    renamed show's watched state, kept there from before Kodi's old show is removed until it
    is given back (players/kodi_kept.py)."""
    if "kept_state" not in {c.name for c in db.get_columns("player_notifications")}:
        db.execute_sql("ALTER TABLE player_notifications ADD COLUMN kept_state TEXT")


def _migrate_14(db: pw.Database) -> None:
    """movies.title_folded, original_title_folded, sort_title_folded (fold()): the library's
    search ignores accents as its sort does ("amelie" finds "Amélie"), in plain LIKE on both
    databases. Filled here for the items there are. No index: a search matches anywhere in a
    title (`LIKE '%...%'`), which no B-tree index answers."""
    have = {c.name for c in db.get_columns("movies")}
    for column in FOLDED_COLUMNS.values():
        if column not in have:
            db.execute_sql(f"ALTER TABLE movies ADD COLUMN {column} TEXT")
    rows = Movie.select(Movie.id, Movie.title, Movie.original_title, Movie.sort_title).where(
        Movie.title.is_null(False)
        | Movie.original_title.is_null(False)
        | Movie.sort_title.is_null(False)
    )
    params = [
        (*(_folded_value(title) for title in titles), movie_id)
        for movie_id, *titles in rows.tuples()
    ]
    # one statement run for every row (executemany; PostgreSQL's pages of them in one round
    # trip), not a peewee UPDATE each: 100,000 items (a large TV library's episodes) took 15 s
    # so, the write lock held all along, past the 15 s other processes wait for it
    p = db.param
    sql = (
        "UPDATE movies SET "
        + ", ".join(f"{column} = {p}" for column in FOLDED_COLUMNS.values())
        + f" WHERE id = {p}"
    )
    cursor = db.cursor()
    if is_postgresql():
        from psycopg2.extras import execute_batch  # noqa: PLC0415 - PostgreSQL's driver

        execute_batch(cursor, sql, params, page_size=500)
    else:
        cursor.executemany(sql, params)


def _migrate_15(db: pw.Database) -> None:
    """Hide the seasons an older version made of the user's season art alone
    (`season02-poster.jpg` put in ahead of Season 2, `season-specials-poster.jpg` of a show
    without specials): no episode item is in them. The scan now keeps such a season hidden
    (identify/seasons.py `season_item`'s `hide`), but reads the art again only when it changes, so
    one made before stayed listed with no file. As another episode order leaves a season
    (identify/tv.py `_season_items`): a published one, and its show, to republish (what publish
    wrote for it goes at the next publish, which makes it unpublished). Not a season of a
    show whose folder is gone (missing with it, back with it)."""
    M = Movie
    shows = M.select(M.id).where(M.kind == SHOW, ~M.missing)
    seasons = list(
        M.select(M.id, M.show, M.season, M.publish_state)
        .where(M.kind == SEASON, ~M.missing, M.show.in_(shows))
        .tuples()
    )
    if not seasons:
        return
    held = set()  # (show, season) an episode item is in: its file there or missing
    episodes = M.select(M.show, M.season, M.episodes, M.episode_refs).where(M.kind == EPISODE)
    for episode in episodes.iterator():
        if (number := season_held(episode)) is not None:
            held.add((episode.show_id, number))
    empty = [(i, show, state) for i, show, number, state in seasons if (show, number) not in held]
    to_go = pw.Case(None, [(M.publish_state == PUBLISHED, OUTDATED)], M.publish_state)
    at = now()
    for start in range(0, len(empty), 500):
        ids = [i for i, _show, _state in empty[start : start + 500]]
        M.update(missing=True, publish_state=to_go, updated_at=at).where(M.id.in_(ids)).execute()
    published = sorted({show for _i, show, state in empty if state != UNPUBLISHED})
    for start in range(0, len(published), 500):
        M.update(publish_state=OUTDATED, updated_at=at).where(
            M.id.in_(published[start : start + 500]), M.publish_state == PUBLISHED
        ).execute()
    if empty:
        log.info("%s holding no episode file hidden", count(empty, "season"))


def _migrate_16(db: pw.Database) -> None:
    """Indexes for the cache's clean-up (`cache.remove_unused`): which of the files it may
    remove a cache row or a person still names is asked by `file_path IN (...)` and
    `image_cache_path IN (...)`, 500 names at a time, each of which read every row of its
    table, batch after batch (bench.actors: 100,000 people's pictures). The names are
    peewee's for `index=True`, which a new database's step 1 makes already. Plain SQL, the
    same on SQLite and PostgreSQL (as step 12's)."""
    db.execute_sql(
        "CREATE INDEX IF NOT EXISTS cache_image_files_file_path ON cache_image_files (file_path)"
    )
    db.execute_sql(
        "CREATE INDEX IF NOT EXISTS actors_image_cache_path ON actors (image_cache_path)"
    )


def _migrate_17(db: pw.Database) -> None:
    """The index of the candidates' previews, for the same clean-up: which of the previews it
    may remove a candidate still names is asked by `preview_path IN (...)`, 500 at a time,
    each of which read every candidate (tens of them per item: every item's, at each item
    that goes or is enriched again). The name is peewee's for `index=True`, as step 16's."""
    db.execute_sql(
        "CREATE INDEX IF NOT EXISTS provider_assets_preview_path ON provider_assets (preview_path)"
    )


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
    (6, _migrate_6),
    (7, _migrate_7),
    (8, _migrate_8),
    (9, _migrate_9),
    (10, _migrate_10),
    (11, _migrate_11),
    (12, _migrate_12),
    (13, _migrate_13),
    (14, _migrate_14),
    (15, _migrate_15),
    (16, _migrate_16),
    (17, _migrate_17),
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
        params: dict[str, Any] = _postgresql_params(str(target))
        params.setdefault("connect_timeout", 10)
        # a peer that vanished (host lost) is noticed in about a minute, not hours: its session
        # advisory locks (publish folders) are released then
        params.update(keepalives=1, keepalives_idle=30, keepalives_interval=10, keepalives_count=3)
        # no name: libpq's default, the user's (peewee needs one)
        name = params.pop("dbname", "") or params.get("user") or getpass.getuser()
        return _PostgresqlDatabase(name, **params)
    path = Path(str(target).removeprefix("sqlite:///"))
    path.parent.mkdir(parents=True, exist_ok=True)
    _create_private(path)
    return _SqliteDatabase(str(path), pragmas=PRAGMAS, check_same_thread=False)


def _create_private(path: Path) -> None:
    """Make a new SQLite database file 0600, before SQLite makes it 0644 (0666 less the
    umask): it holds the web UI's secret key, which signs the session cookies, and the admin
    password's hash (`meta`), and any user of the machine could read them when `data_dir` is
    not the systemd unit's 0750 folder (`metarrd --config ~/... run`, a container's volume).
    SQLite gives its `-wal` and `-shm` files the database's mode. Made with its mode at once
    (no chmod after it); a database that exists keeps its own, and a folder that refuses the
    file is left to SQLite to report."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
    except OSError:
        return
    os.close(fd)


# The library's title order: letters by their base letter, case and accents ignored ("Être" among
# the E, not after "Zorro"). SQLite's NOCASE folds only ASCII, so SQLite connections get this
# collation; PostgreSQL has its ICU `nocase` (migration 9), which orders them the same way.
TITLE_COLLATION = "title"


@functools.lru_cache(maxsize=65536)
def title_key(text: str) -> tuple[str, str, str]:
    """The sort key of the SQLite title collation: sorting by it in Python gives the order
    `ORDER BY ... COLLATE title` does, without a call back into Python per comparison."""
    return fold(text), unicodedata.normalize("NFKD", text).casefold(), text


def _collate_titles(a: str, b: str) -> int:
    ka, kb = title_key(a), title_key(b)
    return (ka > kb) - (ka < kb)


def title_collation() -> str:
    """The collation to sort titles with on the database in use."""
    return "NOCASE" if is_postgresql() else TITLE_COLLATION


class _SqliteDatabase(pw.SqliteDatabase):
    """SQLite whose new connections wait for a lock while they set their pragmas, and know the
    titles' collation.

    `PRAGMA journal_mode = wal` on a database another process holds in a write transaction
    fails at once, without the busy handler (SQLite's rule against deadlock): two gunicorn
    workers starting on a new database, one of them migrating, made the other fail to boot,
    and gunicorn stop ("database is locked"). It is tried again for `busy_timeout`."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.register_collation(_collate_titles, TITLE_COLLATION)

    def _connect(self):
        deadline = time.monotonic() + PRAGMAS["busy_timeout"] / 1000
        while True:
            try:
                return super()._connect()
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    raise
            time.sleep(0.05)


class _PostgresqlDatabase(pw.PostgresqlDatabase):
    """PostgreSQL whose connections survive a server restart or failover.

    Each thread keeps its connection (a daemon's job workers and lease heartbeat for their whole
    life); one the server dropped stays dead for psycopg2 ("connection already closed"), so after
    a restart of PostgreSQL every job failed, every lease renewal failed, and the workers never
    recovered. A statement outside a transaction, or the BEGIN of one, that finds its connection
    broken (psycopg2's `closed`) runs again once on a new connection. Inside a transaction the
    error is raised: what the transaction did is gone, and only its caller can do it again.
    So it is while the thread holds session advisory locks (`session_locks`, a publish's
    folders): they died with the connection, and a new one would go on without them."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._locks = threading.local()

    def execute_sql(self, sql, params=None):
        return self._again_if_lost(super().execute_sql, sql, params)

    def begin(self, *args, **kwargs):
        return self._again_if_lost(super().begin, *args, **kwargs)

    def _again_if_lost(self, run, *args, **kwargs):
        try:
            return run(*args, **kwargs)
        except (pw.OperationalError, pw.InterfaceError) as exc:
            conn = self._state.conn
            if self.in_transaction() or conn is None or not conn.closed or self.locks_held():
                raise
            log.warning("database connection lost (%s); connecting again", str(exc).strip())
        self.close()
        self.connect()
        return run(*args, **kwargs)

    def locks_held(self) -> int:
        return getattr(self._locks, "held", 0)

    def _initialize_connection(self, conn) -> None:
        super()._initialize_connection(conn)
        with conn.cursor() as cur:  # the DBA's limit, if any (ALTER ROLE/DATABASE ... SET)
            cur.execute("SELECT current_setting('statement_timeout')")
            self._state.statement_timeout = cur.fetchone()[0]

    def wait_for_lock(self, sql: str, params: tuple) -> None:
        """Run `sql`, a wait for an advisory lock, free of a `statement_timeout` the DBA set
        (`ALTER ROLE metarrd SET statement_timeout = '30s'`, against runaway queries): the wait
        for the write lock behind a long scan, or for a folder another host publishes, was
        cancelled ("canceling statement due to statement timeout") and the job failed as a
        bug. The limit holds again for the statements after it."""
        if getattr(self._state, "statement_timeout", "0") in ("0", ""):
            self.execute_sql(sql, params)
            return
        local = "LOCAL " if self.in_transaction() else ""
        self.execute_sql(f"SET {local}statement_timeout = 0")
        try:
            self.execute_sql(sql, params)
        except BaseException:
            if not local:  # a transaction's SET LOCAL ends with it
                with contextlib.suppress(Exception):
                    self.execute_sql("RESET statement_timeout")
            raise
        self.execute_sql(f"SET {local}statement_timeout TO DEFAULT")

    @contextlib.contextmanager
    def session_locks(self, keys: list[int]):
        """Hold these session advisory locks (`pg_advisory_lock`) on this thread's connection.
        A connection lost meanwhile is not replaced until they are let go: the work under them
        fails instead of going on unprotected (the server released them with the session)."""
        self._locks.held = self.locks_held() + 1
        taken: list[int] = []
        try:
            for key in keys:
                self.wait_for_lock("SELECT pg_advisory_lock(%s)", (key,))
                taken.append(key)
            yield
        finally:
            self._locks.held = self.locks_held() - 1
            conn = self._state.conn
            if conn is not None and not conn.closed:  # else the server let them go already
                for key in reversed(taken):
                    self.execute_sql("SELECT pg_advisory_unlock(%s)", (key,))


def connection_lost(exc: BaseException) -> bool:
    """Is `exc` the error of this thread's connection dropped by the server (PostgreSQL
    restarted or failed over; not yet connected again)?"""
    if not isinstance(exc, (pw.OperationalError, pw.InterfaceError)) or not is_postgresql():
        return False
    conn = database.obj._state.conn
    return conn is not None and bool(conn.closed)


# The SQLSTATEs of a PostgreSQL server that cannot take work now, whatever the work: shutting
# down (57P01, 57P02), starting up or in recovery (57P03), at its connection limit ("too many
# clients", 53300), a standby after a failover ("cannot execute UPDATE in a read-only
# transaction", 25006); and every connection exception (class 08).
_UNAVAILABLE_CODES = frozenset({"57P01", "57P02", "57P03", "53300", "25006"})


def unavailable(exc: BaseException) -> bool:
    """Is `exc` PostgreSQL not taking work right now (restarted, failed over, at its connection
    limit), rather than a fault of the statement? `connection_lost`, and also a connection
    that could not be made again (the server still starting, "too many clients") and a
    standby that takes no writes: what passes once the server is back, so a job waits and
    runs again, and a web request is answered 503."""
    if not isinstance(exc, (pw.DatabaseError, pw.InterfaceError)) or not is_postgresql():
        return False
    code = _pgcode(exc)
    if code:
        return code.startswith("08") or code in _UNAVAILABLE_CODES
    if not isinstance(exc, (pw.OperationalError, pw.InterfaceError)):
        return False
    conn = database.obj._state.conn
    return conn is None or bool(conn.closed)  # not connected again, or dropped


def locked(exc: BaseException) -> bool:
    """Is `exc` SQLite's "database is locked": another connection held the write lock past
    `busy_timeout`, or wrote between this transaction's read and its first write (SQLITE_BUSY_
    SNAPSHOT, raised at once; see `lock_reason`)? Nothing of the statement's transaction is
    kept; it may run again later."""
    return (
        isinstance(exc, pw.OperationalError)
        and not is_postgresql()
        and "database is locked" in str(exc)
    )


def lock_reason(exc: BaseException) -> str:
    """What a `locked` error was, truly, for a job's or an item's message. SQLite says
    "database is locked" for both: the write lock held by another process past `busy_timeout`
    (SQLITE_BUSY), and a transaction that read, then found the database written by another
    connection when it came to write (SQLITE_BUSY_SNAPSHOT, at once: its read is out of date,
    no wait would help it). Told apart by the extended result code (Python 3.11's
    `sqlite_errorcode`) of the sqlite3 error, which peewee keeps as its first argument."""
    inner = next((e for e in (*exc.args, exc.__context__) if isinstance(e, sqlite3.Error)), exc)
    if getattr(inner, "sqlite_errorcode", None) == sqlite3.SQLITE_BUSY_SNAPSHOT:
        return (
            "the database changed under a transaction: another process wrote to it between "
            "the transaction's read and its write (SQLite's BUSY_SNAPSHOT); nothing was kept"
        )
    return (
        "the database is locked: another process has been writing to it for longer than "
        f"{PRAGMAS['busy_timeout'] / 1000:g} s (a migration after an upgrade, a sqlite3 "
        "shell in a transaction?)"
    )


def is_postgresql() -> bool:
    return isinstance(database.obj, pw.PostgresqlDatabase)


def json_int(field: pw.Field, key: str) -> pw.Node:
    """A top-level integer member of a JSON text column (`JSONField`), read by the database: a
    query over every row (a rescan's) decodes no row's JSON in Python. NULL where the member is
    missing, or the text not JSON (never an error: one bad row must not fail the query). An
    integer on both: json_extract on SQLite; on PostgreSQL a pattern (a cast to json would fail
    on a bad row) whose digits are cast, at most 18 of them, so no value fails the cast. Text
    there made every row's `!= MOVIE_NAME_RULES` true: a Python call a movie, 10,000 a rescan."""
    if is_postgresql():
        digits = pw.fn.substring(field, pw.Value(f'"{key}": ?(-?[0-9]{{1,18}})(?![0-9.eE])'))
        return pw.Cast(digits, "bigint")
    return pw.Case(
        None, [(pw.fn.json_valid(field), pw.fn.json_extract(field, pw.Value(f"$.{key}")))], None
    )


def _postgresql_params(url: str) -> dict[str, str]:
    """The connection parameters of a `postgresql://` URL, read by libpq itself: every form its
    documentation gives works as it does for psql. Peewee's own reading of the URL took a Unix
    socket written in the host part (`postgresql://metarrd@%2Frun%2Fpostgresql/metarrd`) for a
    host name still percent-encoded, and failed on the several hosts of a failover setup
    (`postgresql://db1:5432,db2:5432/metarrd?target_session_attrs=read-write`)."""
    import psycopg2
    import psycopg2.extensions

    try:
        return psycopg2.extensions.parse_dsn(url)
    except psycopg2.ProgrammingError as exc:  # libpq's reason: "invalid URI query parameter"…
        raise ValueError(f"not a PostgreSQL URL libpq can read: {str(exc).strip()}") from None


def describe(target: Path | str) -> str:
    """The database for log lines, without a password."""
    if is_postgresql_url(target):
        from urllib.parse import quote

        try:
            params = _postgresql_params(str(target))
        except (ImportError, ValueError):
            return "postgresql://(unreadable URL)"
        hosts = params.get("host", "").split(",")
        ports = params.get("port", "").split(",")
        if len(ports) == 1:  # one port for every host
            ports = ports * len(hosts)
        where = ",".join(
            quote(host, safe="") + (f":{port}" if port else "")
            for host, port in zip(hosts, ports, strict=False)
        )
        return f"postgresql://{where}/{params.get('dbname', '')}"
    return str(target)


def open_database(target: Path | str, *, data_dir: Path | None = None) -> pw.Database:
    """Point the deferred database at `target` (a SQLite path, or a `postgresql://` URL) and bring
    its schema up to date. Several processes starting together migrate once: each step runs in
    a write transaction that re-reads the schema version first. `data_dir`: where the disk-full
    mark goes (else beside a SQLite file; none on PostgreSQL)."""
    global _mark_dir
    if not database.is_closed():
        database.close()
    _mark_dir = Path(data_dir) if data_dir is not None else None
    database.initialize(connect_to(target))
    database.connect(reuse_if_open=True)
    found = schema_version()
    if found > SCHEMA_VERSION:  # a newer metarrd migrated it: this one would misread its rows
        database.close()
        raise SchemaTooNew(
            f"the database {describe(target)} is at schema version {found}, newer than this "
            f"metarrd's {SCHEMA_VERSION}: a newer metarrd has upgraded it; run that version "
            "(or a later one), or restore a copy of the database made before the upgrade. "
            "Nothing was changed"
        )
    for version, step in MIGRATIONS:
        if version <= schema_version():  # cheap check without the write lock
            continue
        with write_transaction(shows_room=False):
            if version <= schema_version():
                continue  # another process got there first
            step(database)
            set_meta("schema_version", str(version))
        log.info("database %s migrated to schema version %d", describe(target), version)
    return database


class SchemaTooNew(MetarrdError):
    """The database was migrated by a newer metarrd (a downgrade): not opened, nothing written."""


class WriteLockBusy(Exception):
    """`write_transaction(wait_seconds=…)` did not get the write lock in time."""


# --- the fence: writes made for a job whose claim is lost ----------------------------------------
# A worker frozen past its lease (SIGSTOP, a paused VM) whose job another worker took over must
# not write, when it resumes, over the newer work. The job runner sets a check (`fenced_by`,
# metarrd/pipeline/leases.py `fence`) for the thread that runs a job; every write transaction
# made for it runs the check once, right after taking the write lock (a take-over needs the
# same lock, so none comes between the check and the commit), and the check raises to roll the
# transaction back. The pools a job hands work to carry the check along (`carry_fence`).
# Outside jobs (the CLI, the web UI) there is no check and no query.

_fence: contextvars.ContextVar[Callable[[], None] | None] = contextvars.ContextVar(
    "metarrd_write_fence", default=None
)
_in_write = threading.local()  # this thread's write transactions now open (nested: one check)


@contextlib.contextmanager
def fenced_by(check: Callable[[], None] | None):
    """Run every write transaction of this block (and of the pools' work it hands on with
    `carry_fence`) after `check`, which raises when the writes must not be made."""
    token = _fence.set(check)
    try:
        yield
    finally:
        _fence.reset(token)


def carry_fence(fn: Callable) -> Callable:
    """`fn`, to be run by another thread (a pool's) under this thread's fence."""
    check = _fence.get()
    if check is None:
        return fn

    @functools.wraps(fn)
    def fenced(*args, **kwargs):
        token = _fence.set(check)
        try:
            return fn(*args, **kwargs)
        finally:
            _fence.reset(token)

    return fenced


def fence_checked() -> bool:
    """This thread is inside a write transaction whose fence was checked at its start."""
    return _fence.get() is not None and getattr(_in_write, "depth", 0) > 0


def write_transaction(
    *, shows_room: bool = True, wait_seconds: float | None = None
) -> _WriteTransaction:
    """A write transaction that takes the write lock up front.

    SQLite: BEGIN IMMEDIATE. A deferred transaction that reads and then writes fails at once with
    "database is locked" when another connection wrote in between; an immediate one waits
    (busy_timeout) instead. PostgreSQL: a transaction that first takes one advisory lock
    (`pg_advisory_xact_lock`, released at commit or rollback), so read-modify-writes are
    serialised across every process and host exactly as on SQLite. Use it for every
    read-modify-write. A full disk is raised as `DiskFull` (see below);
    `shows_room=False`: this small write succeeding does not end the disk-full state.
    `wait_seconds` (PostgreSQL): wait no longer than that for the write lock (or a row lock),
    raising `WriteLockBusy`, for work that must not stall behind another process's transaction
    (the lease heartbeat)."""
    return _WriteTransaction(shows_room, wait_seconds)


# --- a full disk ---------------------------------------------------------------------------------
# SQLite answers a write on a full disk with SQLITE_FULL and rolls the transaction back itself;
# peewee's own rollback then fails with "cannot rollback - no transaction is active", which hid
# the real error. write_transaction() reports the real one, as DiskFull, and notes the state in
# `<data_dir>/disk-full` (an empty file needs no free block; its mtime says since when) for
# /healthz and the UI. The first write transaction that commits afterwards removes it.
# On a database several hosts share (PostgreSQL), each host notes it in the `meta` table too,
# under `disk.full@<host>#<data_dir's digest>`, so the web UI on another host shows a worker's
# full disk; that host's next write that commits removes its row (docs/scale-out.md).

DISK_FULL_MARK = "disk-full"
DISK_FULL_KEY = "disk.full@"  # `meta` rows on a shared database: + host + data_dir's digest
_mark_dir: Path | None = None  # the data_dir the database was opened for (open_database)
_SQLITE_FULL = "database or disk is full"


class _WriteTransaction:
    def __init__(self, shows_room: bool, wait_seconds: float | None = None) -> None:
        self.shows_room = shows_room
        self.wait_seconds = wait_seconds

    def __enter__(self) -> Any:
        postgresql = is_postgresql()
        self._atomic = database.atomic() if postgresql else database.atomic("IMMEDIATE")
        try:
            entered = self._atomic.__enter__()
        except pw.OperationalError as exc:
            if is_disk_full(exc):
                raise disk_full(exc) from exc
            raise
        if postgresql:
            try:
                if self.wait_seconds is not None:
                    database.execute_sql(
                        "SELECT set_config('lock_timeout', %s, true)",
                        (f"{max(1, int(self.wait_seconds * 1000))}ms",),
                    )
                _take_write_lock()
            except BaseException as exc:  # the transaction is ended, not left open on the thread
                with contextlib.suppress(Exception):
                    self._atomic.__exit__(type(exc), exc, exc.__traceback__)
                if isinstance(exc, pw.OperationalError) and _pgcode(exc) == "55P03":
                    raise WriteLockBusy(
                        f"the write lock stayed busy for {self.wait_seconds} s"
                    ) from exc
                raise
        depth = getattr(_in_write, "depth", 0)
        check = _fence.get() if depth == 0 else None  # a nested one: checked at the outer's
        if check is not None:
            try:
                check()
            except BaseException as exc:  # rolled back, not left open on the thread
                with contextlib.suppress(Exception):
                    self._atomic.__exit__(type(exc), exc, exc.__traceback__)
                raise
        _in_write.depth = depth + 1
        return entered

    def __exit__(self, exc_type, exc, tb) -> bool:
        _in_write.depth = getattr(_in_write, "depth", 1) - 1
        try:
            suppress = self._atomic.__exit__(exc_type, exc, tb)
        except pw.OperationalError as failure:
            if "no transaction is active" not in str(failure):
                if is_disk_full(failure):
                    raise disk_full(failure) from failure
                raise
            # SQLite already rolled back (after SQLITE_FULL, SQLITE_IOERR): report what did it
            original = exc or _cause_of(failure)
            if is_disk_full(original):
                raise disk_full(original) from original
            raise original from None
        if exc is not None and is_disk_full(exc) and not isinstance(exc, DiskFull):
            raise disk_full(exc) from exc
        if exc is None and self.shows_room and database.transaction_depth() == 0:
            _disk_has_room()
        _share_note()
        return bool(suppress)


def _pgcode(exc: BaseException) -> str | None:
    """PostgreSQL's SQLSTATE of a (peewee-wrapped) psycopg2 error."""
    for seen in (exc, *exc.args[:1], exc.__cause__, exc.__context__):
        code = getattr(seen, "pgcode", None)
        if code:
            return code
    return None


def _cause_of(failure: BaseException) -> BaseException:
    """The error before the failed ROLLBACK (COMMIT's SQLITE_FULL), following the chain."""
    seen: BaseException | None = failure
    while seen is not None:
        if "no transaction is active" not in str(seen):
            return seen
        seen = seen.__context__
    return failure


def is_disk_full(exc: BaseException | None) -> bool:
    """Is this what a full disk (or quota) looks like, from SQLite or from the file system?"""
    if isinstance(exc, DiskFull):
        return True
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return True
    if isinstance(exc, pw.OperationalError) and _postgresql_disk_full(exc):
        return True
    return isinstance(exc, pw.OperationalError | sqlite3.OperationalError) and _SQLITE_FULL in str(
        exc
    )


def _postgresql_disk_full(exc: BaseException) -> bool:
    """PostgreSQL's SQLSTATE 53100 `disk_full` ("could not extend file …: No space left on
    device"), which psycopg2 raises as `errors.DiskFull` and peewee hands on wrapped."""
    try:
        from psycopg2.errors import DiskFull as PostgresDiskFull  # noqa: PLC0415 - optional
    except ImportError:  # not installed: no PostgreSQL
        return False
    return any(
        isinstance(seen, PostgresDiskFull) or getattr(seen, "pgcode", None) == "53100"
        for seen in (exc, *exc.args[:1], exc.__cause__, exc.__context__)
    )


def disk_full(exc: BaseException) -> DiskFull:
    """The DiskFull to raise for `exc` (a full-disk error); the state is noted for the UI."""
    if isinstance(exc, DiskFull):
        return exc
    detail = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
    detail = detail.strip().splitlines()[0] if detail.strip() else detail  # PostgreSQL's HINT
    where = f" ({exc.filename})" if isinstance(exc, OSError) and exc.filename else ""
    message = f"disk full: {detail}{where}; free some space, then run it again"
    _note_disk_full(message)
    return DiskFull(message)


def _mark_path() -> Path | None:
    if _mark_dir is not None:
        return _mark_dir / DISK_FULL_MARK
    name = database.database
    if is_postgresql() or not name or name == ":memory:" or name.startswith("file:"):
        return None  # PostgreSQL's is a database name, not a file next to the data folder
    return Path(name).parent / DISK_FULL_MARK


def _note_disk_full(message: str) -> None:
    mark = _mark_path()
    if mark is not None:
        try:
            with open(mark, "x", encoding="utf-8") as f:  # its mtime: since when
                log.error("%s", message)
                f.write(message + "\n")  # when there is room for it; an empty mark is enough
        except OSError:
            pass  # already marked (or not even room for a name)
    if shared_database():
        _pending_note.note = {"host": this_host(), "since": now().isoformat(), "what": message}
        _share_note()


_pending_note = threading.local()  # a note made inside a transaction: written once it ended


def shared_database() -> bool:
    """Do other hosts use this database (PostgreSQL)? A SQLite file is one host's."""
    return is_postgresql()


INIT_PID_NAMESPACE = "pid:[4026531836]"  # Linux's first PID namespace (PROC_PID_INIT_INO)


def _pid_namespace() -> str:
    try:
        return os.readlink("/proc/self/ns/pid")
    except OSError:  # not Linux
        return INIT_PID_NAMESPACE


def this_host() -> str:
    """This host as the rows of a shared database name it (a job's lease owner,
    metarrd/pipeline/leases.py; a full disk's note): its host name, and the PID namespace of a
    process in a container of its own that shares the host's name (Docker's `network_mode:
    host`, several worker containers on one machine): pids of one namespace mean nothing in
    another, so a worker starting there must not take a live worker's jobs for a dead
    process's."""
    name, namespace = socket.gethostname(), _pid_namespace()
    if namespace == INIT_PID_NAMESPACE:
        return name
    return f"{name}~{namespace.removeprefix('pid:[').removesuffix(']')}"


def _disk_key(data_dir: Path | None = None) -> str:
    """The `meta` key of this host's disk-full note: its host and its data_dir (two processes
    of one host with one data_dir share it; another data_dir is another disk)."""
    folder = data_dir if data_dir is not None else _mark_dir
    digest = hashlib.sha256(os.fsencode(os.path.abspath(folder or ""))).hexdigest()[:12]
    return f"{DISK_FULL_KEY}{this_host()}#{digest}"


def _share_note() -> None:
    """Write the note waiting on this thread into the shared database, once no transaction is
    open (inside one that rolls back for the full disk it would go with it). The first note
    stays: its time says since when. A database that refuses it (its own disk full): logged."""
    note = getattr(_pending_note, "note", None)
    if note is None or database.transaction_depth() > 0:
        return
    _pending_note.note = None
    key = _disk_key()
    try:
        Meta.insert(key=key, value=json.dumps(note)).on_conflict_ignore().execute()
    except Exception as exc:  # noqa: BLE001 - the item's own error says what failed
        log.warning("cannot note the full disk in the database for other hosts: %s", exc)
    else:
        _noted.add(key)


# The notes this process wrote into the shared database: cleared by its next write that commits
# even when the mark in data_dir could not be made (a disk too full for a new name, a data_dir
# that was never created on a PostgreSQL host).
_noted: set[str] = set()


def _disk_has_room() -> None:
    mark = _mark_path()
    marked = mark is not None and mark.exists()
    key = _disk_key() if _noted and shared_database() else None
    if not marked and key not in _noted:
        return
    if shared_database():  # the other hosts' view first: the mark stays until it is cleared
        try:
            Meta.delete().where(Meta.key == (key or _disk_key())).execute()
        except Exception as exc:  # noqa: BLE001 - left for the next write that commits
            log.warning("cannot clear the full disk's note in the database: %s", exc)
            return
        _noted.discard(key)
    if marked:
        mark.unlink(missing_ok=True)
    log.info("disk space is back: a write to %s succeeded", database.database)


def disk_full_state(data_dir: Path) -> tuple[datetime, str] | None:
    """(since when, what failed) while this host's disk-full mark is set, else None."""
    mark = Path(data_dir) / DISK_FULL_MARK
    try:
        since = datetime.fromtimestamp(mark.stat().st_mtime, UTC).replace(tzinfo=None)
        text = mark.read_text(encoding="utf-8", errors="replace").strip()
    except OSError:
        return None
    return since, text or "disk full"


class DiskFullNote(NamedTuple):
    host: str | None  # None: this host (its data_dir); else the host that noted it
    since: datetime
    what: str


def disk_full_notes(data_dir: Path) -> list[DiskFullNote]:
    """Every full disk to show: this host's (its mark in `data_dir`) and, on a shared database,
    those other hosts noted (a worker's data folder, the shared cache or database as it found
    them), oldest first. Their rows are read once; a database that does not answer: only this
    host's."""
    notes = []
    if (own := disk_full_state(data_dir)) is not None:
        notes.append(DiskFullNote(None, *own))
    if not shared_database():
        return notes
    mine = _disk_key(Path(data_dir))
    try:
        rows = list(Meta.select().where(Meta.key.startswith(DISK_FULL_KEY)).tuples())
    except Exception as exc:  # noqa: BLE001 - the database check says what is wrong
        log.warning("cannot read the other hosts' full disks: %s", exc)
        return notes
    for key, value in rows:
        if key == mine:
            continue  # this host's: its mark says whether it still holds
        try:
            note = json.loads(value)
            since = datetime.fromisoformat(note["since"])
            notes.append(DiskFullNote(str(note["host"]), since, str(note["what"])))
        except (ValueError, TypeError, KeyError) as exc:
            log.warning("a full disk's note %s cannot be read: %s", key, exc)
    return sorted(notes, key=lambda n: n.since)


def _take_write_lock() -> None:
    database.obj.wait_for_lock("SELECT pg_advisory_xact_lock(%s)", (WRITE_LOCK_KEY,))


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
    text cannot hold it. A job's event (`fenced_by`) is written only while its claim holds."""
    message = message.replace("\x00", "\ufffd")
    if _fence.get() is not None and getattr(_in_write, "depth", 0) == 0:
        # a job's event outside a write transaction (a scan's error): under its lease check too
        with write_transaction(shows_room=False):
            return record_event(kind, message, movie=movie, level=level, **data)
    if is_postgresql():
        with database.atomic():
            _take_write_lock()
            return Event.create(kind=kind, message=message, movie=movie, level=level, data=data)
    return Event.create(kind=kind, message=message, movie=movie, level=level, data=data)


def record_events(events: list[Event]) -> None:
    """Store events (`Event` rows made, not saved: `kind`, `message`, `movie`, `level`) with
    one INSERT, as `record_event` stores each: a scan's batch of new items' (`scan.stage`).
    In a write transaction (its fence checked; on PostgreSQL its write lock held, so they
    become visible in id order); one is opened when the caller holds none."""
    from metarrd.dbrows import insert_models  # (it imports this module)

    if not events:
        return
    if getattr(_in_write, "depth", 0) == 0:
        with write_transaction(shows_room=False):
            record_events(events)
        return
    for event in events:
        event.message = event.message.replace("\x00", "\ufffd")
    insert_models(events)


MAX_ID = 2**63 - 1  # SQLite INTEGER, PostgreSQL bigint: larger ids in a URL are no row


def is_movie() -> pw.Expression:
    """The `where` term of every query that means "movies" (not TV items)."""
    return Movie.kind == MOVIE


def mark_outdated(movie_id: int) -> None:
    """A published item whose library files no longer match becomes "Updated – Republish?";
    a season's or episode's show too (a show is published as one unit). Their `updated_at`
    moves, whatever their state: what a publish writes changed even when their row did not (a
    shared actor renamed by another item's enrich), and a publish or a "Published again?" check
    that read them before (`publish.apply.changed_meanwhile`, `publish.settle_unit`) sees it."""
    state = pw.Case(None, [(Movie.publish_state == PUBLISHED, OUTDATED)], Movie.publish_state)
    at = now()
    Movie.update(publish_state=state, updated_at=at).where(Movie.id == movie_id).execute()
    Movie.update(publish_state=state, updated_at=at).where(
        Movie.id.in_(Movie.select(Movie.show).where(Movie.id == movie_id))
    ).execute()


def record_failure(
    stage: str,
    movie_id: int | None,
    reason: str,
    *,
    job_id: int | None = None,
    lease_owner: str | None = None,
    attempts: int | None = None,
    **data: Any,
) -> bool:
    """The one record of a failed stage: the item's `last_error` and one `<stage>.failed` event
    (and, for a job, its row marked failed, in the same transaction). Whoever runs the stage (the
    job runner, the CLI) calls it once; stages only raise. With `lease_owner`, nothing is
    recorded (False) unless the job still runs under that lease (and, with `attempts`, the same
    claim): a worker that lost it (frozen, then resumed) must not mark failed a job that another
    worker (or another thread of its own) took over, and maybe finished."""
    try:
        with write_transaction(
            shows_room=False
        ):  # recording a disk-full failure is no sign of room
            if job_id is not None:
                held = Job.id == job_id
                if lease_owner is not None:
                    held &= (Job.state == "running") & (Job.lease_owner == lease_owner)
                if attempts is not None:
                    held &= Job.attempts == attempts
                failed = (
                    Job.update(
                        state="failed",
                        error=reason,
                        message=reason,
                        finished_at=now(),
                        lease_owner=None,
                        lease_until=None,
                    )
                    .where(held)
                    .execute()
                )
                if not failed and lease_owner is not None:
                    log.warning(
                        "job %d: lease lost while running; its failure dropped: %s", job_id, reason
                    )
                    return False
                data["job"] = job_id
            if movie_id is not None:
                Movie.update(last_error=reason, updated_at=now()).where(
                    Movie.id == movie_id
                ).execute()
            record_event(f"{stage}.failed", reason, movie=movie_id, level="error", **data)
    except DiskFull:  # no room to record it: the log line (and the CLI's stderr) must do
        log.error("%s failed for item %s, not recorded (disk full): %s", stage, movie_id, reason)
    return True


# a library's own rows in meta, by its id: the NFOs its last full rescan saw (scan/nfos_seen.py)
# and what its scans skipped by name (scan/skipped.py); they go when it leaves the configuration
NFOS_SEEN_KEY = "nfos_seen:{}"
SKIPPED_KEY = "skipped:{}"


def mirror_config(config: Config) -> None:
    """Libraries and players live in the config; the database mirrors them for joins and the UI.
    A library's row stays when it leaves the configuration (its items keep it), its rows in
    meta do not: the list of NFOs a rescan saw is megabytes for a large library (put back, it
    is a library whose NFOs its next rescan looks at once, as a new one's)."""
    with write_transaction():
        gone = [
            key.format(i)
            for (i,) in Library.select(Library.id)
            .where(Library.name.not_in([lib.name for lib in config.library]))
            .tuples()
            for key in (NFOS_SEEN_KEY, SKIPPED_KEY)
        ]
        if gone:
            Meta.delete().where(Meta.key.in_(gone)).execute()
        libraries = {}
        for lib in config.library:
            row, _ = Library.get_or_create(
                name=lib.name, defaults={"path": lib.path, "kind": lib.kind}
            )
            if row.path != lib.path or row.kind != lib.kind:
                if row.path != lib.path:  # moved; or another host mounts it elsewhere
                    log.warning(
                        "library %s: its path is now %s (was %s)", lib.name, lib.path, row.path
                    )
                row.path, row.kind = lib.path, lib.kind
                row.save()
            libraries[lib.name] = row
        names = [p.name for p in config.player]
        MediaPlayer.delete().where(MediaPlayer.name.not_in(names)).execute()
        for player in config.player:
            url = redact(player.url)  # the requests use the configuration's, with any secret
            row, _ = MediaPlayer.get_or_create(
                name=player.name,
                defaults={"type": player.type, "url": url, "enabled": player.enabled},
            )
            if row.type != player.type or row.url != url or row.enabled != player.enabled:
                row.type, row.url, row.enabled = player.type, url, player.enabled
                row.save()
            PlayerLibrary.delete().where(PlayerLibrary.player == row).execute()
            for lib_name in player.libraries:
                PlayerLibrary.create(player=row, library=libraries[lib_name])

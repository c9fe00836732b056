"""Configuration: read once from TOML into frozen, typed objects and passed in.

Every key is declared here with its type and default; `config.example.toml` documents each one
(tests/test_config.py fails when a key is missing there). Unknown keys and wrong types are a
`ConfigError` that names the key (and `key_line` its line in the file), so `metarrd config
check` can say exactly what to fix.
"""

from __future__ import annotations

import dataclasses
import difflib
import functools
import ipaddress
import json
import math
import os
import re
import tomllib
import types
import typing
import urllib.parse
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import urllib3.exceptions
import urllib3.util

from metarrd.errors import ConfigError
from metarrd.files import NotARegularFile, TooLarge, read_regular
from metarrd.paths import is_windows
from metarrd.text import toml_string

DEFAULT_CONFIG_PATH = Path("/etc/metarrd/config.toml")
MAX_CONFIG_BYTES = 1024 * 1024  # config.example.toml, every setting explained: about 10 KB
POSTGRES_SCHEMES = ("postgresql://", "postgres://")
REDIS_SCHEMES = ("redis://", "rediss://", "unix://")
BACKUP_FOLDER = "backup"  # the user's non-image files a publish replaced (Config.backup_dir)
LIBRARY_SOURCE = "library"  # the provider name of the user's own files found in a library
# TMDB's `language`: ISO 639-1, alone or with an ISO 3166-1 country ("de", "pt-BR"); an
# artwork language is read by its first part
LANGUAGE_CODE = re.compile(r"[A-Za-z]{2}(-[A-Za-z]{2})?")
# what `[artwork] provider_priority` may name: the providers' keys, and the user's own files
ARTWORK_PROVIDERS = ("tmdb", "fanart", "tvdb", LIBRARY_SOURCE)
ASSET_TYPES = (
    "poster",
    "fanart",
    "clearlogo",
    "clearart",
    "discart",
    "banner",
    "landscape",
    "keyart",
    "thumb",
    # TV (docs/tv.md "Enrich"): a show's character art and its "all seasons" art
    "characterart",
    "season-all-poster",
    "season-all-banner",
    "season-all-landscape",
    "season-all-fanart",
)
# What each level of a TV show can have (docs/tv.md): what enrich looks for, publish names and
# the item page lists.
ALL_SEASONS = "season-all-"  # a show's `season-all-poster` is the art of every season
SEASON_ART_TYPES = ("poster", "fanart", "banner", "landscape")
SHOW_ART_TYPES = (
    "poster",
    "fanart",
    "banner",
    "clearlogo",
    "clearart",
    "landscape",
    "characterart",
    "keyart",
)
EPISODE_THUMB = "thumb"


@dataclass(frozen=True)
class LibraryConfig:
    name: str
    path: str
    kind: str = "movie"
    poll: bool = False  # polling watcher for network shares where inotify sees nothing
    poll_seconds: int = 60
    # follow symlinked folders that point outside every library (loops are cut either way)
    follow_symlinks: bool = False


@dataclass(frozen=True)
class TmdbConfig:
    api_key: str = ""
    read_token: str = ""
    base_url: str = "https://api.themoviedb.org/3"
    # where its images may come from: image_hosts.py (empty: the documented hosts)
    image_hosts: tuple[str, ...] = ()
    language: str = "en-US"
    certification_country: str = "US"


@dataclass(frozen=True)
class FanartConfig:
    api_key: str = ""  # the project key: required
    # a user's personal key (from their fanart.tv account): new images after 48 hours, not 7 days
    client_key: str = ""
    base_url: str = "https://webservice.fanart.tv/v3"
    # where its images may come from: image_hosts.py (empty: the documented hosts)
    image_hosts: tuple[str, ...] = ()


@dataclass(frozen=True)
class TvdbConfig:
    api_key: str = ""
    pin: str = ""
    base_url: str = "https://api4.thetvdb.com/v4"
    # where its images may come from: image_hosts.py (empty: the documented hosts)
    image_hosts: tuple[str, ...] = ()


@dataclass(frozen=True)
class ProvidersConfig:
    tmdb: TmdbConfig = field(default_factory=TmdbConfig)
    fanart: FanartConfig = field(default_factory=FanartConfig)
    tvdb: TvdbConfig = field(default_factory=TvdbConfig)
    timeout_seconds: float = 20.0
    max_retries: int = 4


@dataclass(frozen=True)
class WorkflowConfig:
    webhooks: bool = True
    scanning: bool = True
    identification: bool = True
    enrichment: bool = True
    auto_publish: bool = False
    publishing: bool = True


@dataclass(frozen=True)
class PathMap:
    from_: str
    to: str


PLAYER_TYPE_NAMES = {"kodi": "Kodi", "jellyfin": "Jellyfin", "plex": "Plex"}


def player_label(type_: str, name: str) -> str:
    """How every message (log, CLI, UI) names a player: its type and its quoted name,
    `Kodi "Living room"`; a `[[player]]` of the configuration or its `media_players` row."""
    return f'{PLAYER_TYPE_NAMES.get(type_, type_)} "{name}"'


@dataclass(frozen=True)
class PlayerConfig:
    name: str
    type: str
    url: str
    username: str = ""
    password: str = ""
    token: str = ""
    libraries: tuple[str, ...] = ()
    path_map: tuple[PathMap, ...] = ()
    timeout_seconds: float = 10.0  # per request; a player slower than this counts as down
    ca_file: str = ""  # a PEM file of certificates its HTTPS may use (a self-signed one)
    # false: told of no publish (its queued rows wait until it is on again); what PUBLISH
    # writes for it stays written (a Plex's poster copies: Plex reads them, told or not)
    enabled: bool = True

    @property
    def label(self) -> str:
        """`Kodi "Living room"` (`player_label`)."""
        return player_label(self.type, self.name)


@dataclass(frozen=True)
class WebhooksConfig:
    token: str = ""
    path_map: tuple[PathMap, ...] = ()  # how Radarr/Sonarr paths (e.g. in Docker) become ours


@dataclass(frozen=True)
class WebConfig:
    bind: str = "127.0.0.1:8787"
    session_hours: int = 12
    allowed_hosts: tuple[str, ...] = ()  # names besides loopback and the bind (DNS rebinding)
    # reverse proxies (networks) whose X-Forwarded-For names the client: metarrd/web/clients.py
    trusted_proxies: tuple[str, ...] = ()


@dataclass(frozen=True)
class ArtworkConfig:
    # ISO 639-1, best first; empty: the TMDB language's, then English (Config.__post_init__)
    preferred_languages: tuple[str, ...] = ()
    provider_priority: tuple[str, ...] = ("tmdb", "fanart", "tvdb")
    limits: dict[str, int] = field(
        default_factory=lambda: {
            "poster": 3,
            "fanart": 5,
            "clearlogo": 2,
            "clearart": 1,
            "discart": 1,
            "banner": 1,
            "landscape": 1,
            "keyart": 1,
            "thumb": 1,
        }
    )
    max_pixels: int = 80_000_000  # decompression-bomb cap for a candidate image
    # An image the user adds by URL (web UI) is fetched only from public addresses; these
    # networks (CIDR, e.g. "192.168.1.0/24") are allowed too, for a server on the LAN.
    user_url_allow: tuple[str, ...] = ()


@dataclass(frozen=True)
class EnrichConfig:
    concurrency: int = 10
    per_host: int = 6
    max_actors: int = 15
    items: int = 4  # `enrich --all`: movies enriched at once (sharing the per-host cap)
    # worker processes that analyse the images (-1: one per core, at most 4; 0: none, in the
    # daemon's own threads): metarrd/enrich/analysts.py
    analysis_processes: int = -1


@dataclass(frozen=True)
class DaemonConfig:
    workers: int = 2
    settle_seconds: float = 5.0
    full_rescan_hours: float = 24.0
    notify_window_seconds: float = 5.0
    notify_retry_minutes: float = 30.0


@dataclass(frozen=True)
class DatabaseConfig:
    url: str = ""  # "" = SQLite at <data_dir>/metarrd.db; postgresql://user:pass@host:5432/name


@dataclass(frozen=True)
class QueueConfig:
    url: str = ""  # "" = Huey on SQLite at <data_dir>/queue.db; redis://host:6379/0
    name: str = "metarrd"  # the Huey queue name (Redis key prefix): one per installation
    lease_seconds: float = 60.0  # a running job's lease; a dead worker's job is taken over after


@dataclass(frozen=True)
class CacheConfig:
    dir: str = ""  # "" = <data_dir>/cache; shared storage when workers run on several hosts


# data_dir by default, and in config.example.toml: the install's to make, for the user metarrd
# runs as (README's `install -d`; the systemd units' StateDirectory=), never a command's
DEFAULT_DATA_DIR = "/var/lib/metarrd"


def data_dir_not_installed(data_dir: str) -> str | None:
    """Why a command does not make `data_dir` (None: it may): the default one, not there. Made
    by whoever first tried a command with the example's configuration (root, as often as
    not), it stayed behind, theirs, and the service's user could not write in it."""
    if os.path.normpath(data_dir) != DEFAULT_DATA_DIR or os.path.lexists(data_dir):
        return None
    return (
        f"{DEFAULT_DATA_DIR} does not exist: the install makes it for the user metarrd runs as "
        f"(`install -d -m 750 -o metarrd -g metarrd {DEFAULT_DATA_DIR}`, README; the systemd "
        "units make it as they start), or set data_dir to a folder of your own"
    )


@dataclass(frozen=True)
class Config:
    data_dir: str = DEFAULT_DATA_DIR
    library: tuple[LibraryConfig, ...] = ()
    providers: ProvidersConfig = field(default_factory=ProvidersConfig)
    workflow: WorkflowConfig = field(default_factory=WorkflowConfig)
    player: tuple[PlayerConfig, ...] = ()
    webhooks: WebhooksConfig = field(default_factory=WebhooksConfig)
    web: WebConfig = field(default_factory=WebConfig)
    artwork: ArtworkConfig = field(default_factory=ArtworkConfig)
    enrich: EnrichConfig = field(default_factory=EnrichConfig)
    daemon: DaemonConfig = field(default_factory=DaemonConfig)
    database: DatabaseConfig = field(default_factory=DatabaseConfig)
    queue: QueueConfig = field(default_factory=QueueConfig)
    cache: CacheConfig = field(default_factory=CacheConfig)
    source: str = ""  # where this configuration was read from (not a TOML key)

    def __post_init__(self) -> None:
        if not self.artwork.preferred_languages:  # a German TMDB language: German art first
            art = dataclasses.replace(self.artwork, preferred_languages=default_languages(self))
            object.__setattr__(self, "artwork", art)

    # a frozen config's paths do not change: made once, not at every use (an enrich asks for
    # the cache folder for every candidate)
    @functools.cached_property
    def data_path(self) -> Path:
        return Path(self.data_dir)

    @functools.cached_property
    def cache_dir(self) -> Path:
        return Path(self.cache.dir) if self.cache.dir else self.data_path / "cache"

    @property
    def backup_dir(self) -> Path:
        """Copies of the user's non-image files (their NFO) taken before PUBLISH replaced them:
        `<data_dir>/backup` on one host; with a shared cache in its `backup/`, so that every
        host finds those another host's publish took (as `previews_dir`)."""
        if self.shared_cache:
            return self.cache_dir / BACKUP_FOLDER
        return self.data_path / BACKUP_FOLDER

    @property
    def shared_cache(self) -> bool:
        """May other hosts use the image cache (PostgreSQL, or `[cache] dir` set)?"""
        return self.uses_postgresql or bool(self.cache.dir)

    @property
    def previews_dir(self) -> Path:
        """The previews of the UI: `<data_dir>/previews` on one host; with a shared cache in
        its `previews/`, so the web UI on one host shows those a worker on another made."""
        if self.shared_cache:
            return self.cache_dir / "previews"
        return self.data_path / "previews"

    @property
    def tmp_dir(self) -> Path:
        return self.data_path / "tmp"

    @property
    def db_path(self) -> Path:
        return self.data_path / "metarrd.db"

    @property
    def queue_path(self) -> Path:
        return self.data_path / "queue.db"

    @property
    def database_url(self) -> str:
        """Where the database is: the `[database] url`, else SQLite under `data_dir`."""
        return self.database.url or f"sqlite:///{self.db_path}"

    @property
    def uses_postgresql(self) -> bool:
        return self.database.url.startswith(POSTGRES_SCHEMES)

    @property
    def uses_redis(self) -> bool:
        return bool(self.queue.url)

    def library_named(self, name: str) -> LibraryConfig | None:
        return next((lib for lib in self.library if lib.name == name), None)


# --- loading ---------------------------------------------------------------------------------


def find_config_path(explicit: str | None = None) -> Path:
    if explicit:
        return Path(explicit)
    env = os.environ.get("METARRD_CONFIG")
    if env:
        return Path(env)
    return DEFAULT_CONFIG_PATH


def load_config(path: str | Path | None = None) -> Config:
    """Read and validate the configuration file; raise ConfigError naming the key at fault,
    the file and the key's line (`web.bind: expected a string, got a number
    (/etc/metarrd/config.toml, line 164)`): the daemon's journal line had named neither."""
    cfg_path = find_config_path(str(path) if path else None)
    try:
        text = read_config_text(cfg_path)
        data = parse_toml(text)
    except ConfigError as exc:
        raise ConfigError(f"{cfg_path}: {exc}") from None
    try:
        config = parse_config(data)
    except ConfigError as exc:
        line = key_line(text, data, exc.key) if exc.key else None
        where = f"{cfg_path}, line {line}" if line else str(cfg_path)
        raise ConfigError(f"{exc} ({where})", key=exc.key) from None
    return dataclasses.replace(config, source=str(cfg_path))


def read_config_file(cfg_path: Path) -> dict[str, Any]:
    """The TOML tables of the configuration file; ConfigError saying why not (without the path)."""
    return parse_toml(read_config_text(cfg_path))


def read_config_text(cfg_path: Path) -> str:
    """The text of the configuration file; ConfigError saying why not (without the path).

    Read as every file a user names is read (`files.read_regular`): `--config` naming a FIFO
    had `metarrd list` wait forever for a writer, and a multi-gigabyte file (a disk image
    given by mistake) was read whole into memory before TOML refused it."""
    try:
        raw = read_regular(cfg_path, MAX_CONFIG_BYTES)
    except FileNotFoundError:
        # a new user's first command after the demo or the install: say where else to look
        raise ConfigError(
            "configuration file not found (name another with --config PATH or "
            "$METARRD_CONFIG; to write one, copy config.example.toml)"
        ) from None
    except NotARegularFile as exc:
        raise ConfigError(f"{exc.kind}, not a regular file") from None
    except TooLarge as exc:
        raise ConfigError(
            f"{exc.size:,} bytes, over the {MAX_CONFIG_BYTES:,} bytes a configuration file "
            "may have (is it the right file?)"
        ) from None
    except OSError as exc:
        raise ConfigError(f"cannot read: {exc.strerror}") from None
    try:
        # utf-8-sig: one leading byte order mark is dropped, as TOML allows (toml-lang/toml
        # #437); Notepad and PowerShell's Out-File write one, and a config.toml edited on a
        # NAS share from Windows was "invalid TOML: Invalid statement (at line 1, column 1)"
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ConfigError("not UTF-8 text") from None


def parse_toml(text: str) -> dict[str, Any]:
    """The TOML tables of a configuration file's text; ConfigError saying why not."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        hint = ""
        if "Unescaped '\\'" in str(exc):  # `from = "D:\Media\TV"`, Sonarr's root folder
            hint = (
                "; in double quotes a backslash starts an escape (\\n, \\t): write a Windows "
                "path in single quotes, 'D:\\Media\\TV', which keep it as it is"
            )
        raise ConfigError(f"invalid TOML: {exc}{hint}") from None
    except RecursionError:  # `a = [[[[...` thousands deep: tomllib recurses per level
        raise ConfigError("invalid TOML: arrays or tables nested too deeply") from None


# where a key is written: a table header (`[web]`, `[[library]]`) or `key =` / `a.b =` at the
# start of a line; bare or quoted key parts
_KEY_PART = r"""(?:[A-Za-z0-9_-]+|"(?:[^"\\]|\\.)*"|'[^']*')"""
_HEADER_LINE = re.compile(
    rf"\s*(\[\[?)\s*({_KEY_PART}(?:\s*\.\s*{_KEY_PART})*)\s*\]\]?\s*(?:#.*)?$"
)
_KEY_LINE = re.compile(rf"\s*({_KEY_PART}(?:\s*\.\s*{_KEY_PART})*)\s*=")
# how a problem names a setting: `web.bind`, `library "Movies".path`, `web.allowed_hosts[2]`
_KEY_SEGMENT = re.compile(r'([^\s."\[\]]+)(?: ("(?:[^"\\]|\\.)*"))?((?:\[\d+\])*)')


def _key_parts(dotted: str) -> tuple[str, ...]:
    parts = re.findall(r"""\s*("(?:[^"\\]|\\.)*"|'[^']*'|[A-Za-z0-9_-]+)\s*""", dotted)
    return tuple(_unquote(p) for p in parts)


def _unquote(part: str) -> str:
    """A key part as TOML reads it: `"a\\U0001F3AC"` has escapes JSON has not."""
    if not part.startswith(('"', "'")):
        return part
    try:
        return next(iter(tomllib.loads(f"{part} = 0")))
    except (tomllib.TOMLDecodeError, StopIteration):
        return part[1:-1]


def key_lines(text: str) -> dict[tuple, int]:
    """Where each key and table of a configuration file's text is written: its path (`("web",
    "bind")`, `("library", 1, "path")` for the second `[[library]]`) -> its line, 1-based.
    A key inside an inline table or a list (`path_map = [{ from = … }]`) is its list's line."""
    found: dict[tuple, int] = {}
    arrays: dict[tuple, int] = {}
    table: tuple = ()
    open_quote = ""  # inside a multi-line string: its quotes
    # TOML's lines end in \n (or \r\n) alone: str.splitlines also ends one at U+2028 in a value
    for number, line in enumerate(text.split("\n"), 1):
        if open_quote:
            open_quote = _open_string(line, open_quote)
            continue
        if m := _HEADER_LINE.match(line):
            parts = _key_parts(m.group(2))
            if m.group(1) == "[[":
                table = (*parts, arrays.get(parts, 0))
                arrays[parts] = table[-1] + 1
            else:
                table = parts
            path = table
        elif m := _KEY_LINE.match(line):
            path = (*table, *_key_parts(m.group(1)))
            open_quote = _open_string(line[m.end() :])
        else:  # a line of a list written over several lines, or a comment
            open_quote = _open_string(line)
            continue
        for end in range(1, len(path) + 1):
            found.setdefault(path[:end], number)
    return found


def _open_string(line: str, open_quote: str = "") -> str:
    """The quotes of the multi-line string still open at the end of `line` (the value part of
    a key's line, or a line inside the string `open_quote` opened), else "". Strings and
    comments are read as TOML reads them: three quotes in a one-line string (`"'''"`) or a
    comment open none (every key below had no line, or a wrong one); a backslash escapes a
    quote in a basic string; a multi-line string ends at the last three of up to five quotes
    in a row (`'''a''''` holds `a'`)."""
    i, n = 0, len(line)
    while i < n:
        char = line[i]
        if open_quote:
            if char == "\\" and open_quote == '"""':
                i += 2
            elif line.startswith(open_quote, i):
                i += 3
                while i < n and line[i] == open_quote[0]:
                    i += 1  # `a""""`: the string ends in one or two of its quotes
                open_quote = ""
            else:
                i += 1
        elif char == "#":
            break
        elif line.startswith(('"""', "'''"), i):
            open_quote = line[i : i + 3]
            i += 3
        elif char in "\"'":
            i += 1
            while i < n and line[i] != char:
                i += 2 if char == '"' and line[i] == "\\" else 1
            i += 1
        else:
            i += 1
    return open_quote


def key_line(text: str, data: dict[str, Any], key: str) -> int | None:
    """The line of `text` where the setting a problem names (`web.bind`, `library
    "Movies".path`, `webhooks.path_map[0].from`) is written, else that of the nearest table
    or list holding it, else None (a key the file leaves out, as the `[[library]]` it lacks)."""
    lines = key_lines(text)
    best: tuple[int, int] | None = None  # (how much of the key was found, its line)
    for alternative in key.split(" / "):  # `enrich.concurrency / enrich.per_host`
        path: list = []
        node: Any = data
        pos = 0
        while m := _KEY_SEGMENT.match(alternative, pos):
            name, quoted, indexes = m.groups()
            path.append(name)
            node = node.get(name) if isinstance(node, dict) else None
            if quoted and isinstance(node, list):  # `library "Movies"`: the entry of that name
                wanted = _unquote(quoted)
                index = next(
                    (
                        i
                        for i, e in enumerate(node)
                        if isinstance(e, dict) and e.get("name") == wanted
                    ),
                    None,
                )
                if index is None:
                    break
                path.append(index)
                node = node[index]
            for index in map(int, re.findall(r"\d+", indexes)):
                path.append(index)
                node = node[index] if isinstance(node, list) and index < len(node) else None
            pos = m.end()
            if alternative[pos : pos + 1] != ".":
                break
            pos += 1
        for end in range(len(path), 0, -1):
            if (line := lines.get(tuple(path[:end]))) is not None:
                if best is None or end > best[0]:
                    best = (end, line)
                break
    return best[1] if best else None


def default_languages(config: Config) -> tuple[str, ...]:
    """The artwork languages when `[artwork] preferred_languages` is empty or not set: the one
    of `[providers.tmdb] language` (`de-DE`: `de`), then English, as Kodi's scrapers rank
    images (the user's language, then English). A user who set TMDB to German and no artwork
    languages had English posters chosen over the German ones."""
    code = config.providers.tmdb.language.split("-")[0].strip().lower()
    return tuple(dict.fromkeys(c for c in (code, "en") if re.fullmatch(r"[a-z]{2}", c)))


def parse_config(data: dict[str, Any]) -> Config:
    """Build the Config; raise ConfigError at the first problem (what the daemon needs)."""
    problems = Problems(strict=True)
    config = _build(Config, data, "", problems)
    check_semantics(config, problems)
    return config


def collect_problems(data: dict[str, Any]) -> tuple[Config, list[Problem]]:
    """Every problem at once (`metarrd config check`): a bad value is reported and left at its
    default, a table that cannot be built (a library without a path) is left out."""
    problems = Problems(strict=False)
    config = _build(Config, data, "", problems)
    check_semantics(config, problems)
    return config, problems.found


@dataclass(frozen=True)
class Problem:
    level: str  # error | warning
    key: str  # where: `web.bind`, `library "Movies".path`
    message: str
    line: int | None = None  # the key's line in the file (`key_line`), when it is written there

    def __str__(self) -> str:
        where = f" (line {self.line})" if self.line else ""
        return f"{self.key}: {self.message}{where}"


class Problems:
    """Where problems go: raised at once (strict) or collected for `config check`."""

    def __init__(self, *, strict: bool) -> None:
        self.strict = strict
        self.found: list[Problem] = []

    def error(self, key: str, message: str) -> None:
        if self.strict:
            raise ConfigError(f"{key}: {message}", key=key)
        self.found.append(Problem("error", key, message))

    def warning(self, key: str, message: str) -> None:
        if not self.strict:
            self.found.append(Problem("warning", key, message))


def did_you_mean(word: str, choices: typing.Iterable[str], *, quote: bool = False) -> str:
    """` (did you mean poll?)` when a choice is close to `word`, else ``."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    if not close:
        return ""
    return f" (did you mean {close[0]!r}?)" if quote else f" (did you mean {close[0]}?)"


def check_library_kind(kind: str) -> str | None:
    """The one place that says which library kinds exist; None when `kind` is fine. TV
    libraries are accepted: TV support is being built, and a TV library's scan says so."""
    if kind in ("movie", "tv"):
        return None
    return f'must be "movie" or "tv", not {kind!r}'


def entry_key(table: str, index: int, name: Any, names: Sequence[Any] = ()) -> str:
    """How a message names one `[[library]]`/`[[player]]`: by its name when it has one that
    no other entry of `names` (every entry's name in that table) has. A name used twice is
    the index (`library[1]`): `key_line` finds a name's entry as its first, so the second
    "Movies" was reported at the first one's line."""
    if isinstance(name, str) and name.strip() and list(names).count(name) < 2:
        return f"{table} {json.dumps(name, ensure_ascii=False)}"
    return f"{table}[{index}]"


def _kodi_logins_clash(player: PlayerConfig) -> bool:
    """Kodi's username and password are set and differ from the login in its `url`, which
    requests sends in their place (one `Authorization` header)."""
    if not (player.username or player.password):
        return False
    parts = urllib.parse.urlsplit(player.url)
    if "@" not in parts.netloc:
        return False
    unquote = urllib.parse.unquote
    return (unquote(parts.username or ""), unquote(parts.password or "")) != (
        player.username,
        player.password,
    )


def _url_problem(url: str) -> str | None:
    """What is wrong with a player's or provider's URL. Never quotes the URL: it may hold a
    password (`http://kodi:secret@host:8080/`), and one with a "/" in it is cut by urlsplit
    so that its start passes for the port."""
    if not url.startswith(("http://", "https://")):
        return "must start with http:// or https://"
    secret = "@" in url
    hint = (
        "; a user name or password holding / \\ ? # or @ must be percent-encoded "
        "(%2F %5C %3F %23 %40)"
        if secret
        else ""
    )
    try:
        parts = urllib.parse.urlsplit(url)
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError as exc:
        return "not a valid URL" + ("" if secret else f" ({exc})") + hint
    if secret and "@" not in parts.netloc:  # `kodi:8080/s3cret@host`: the password's start
        # passed for a port, its rest went into the path (shown and logged by `urls.redact`)
        return "not a valid URL" + hint
    if "\\" in parts.netloc:  # urllib3 (as browsers) reads a backslash as the path's start:
        # `kodi\:s3cret@host` went to the host `kodi`, the password in the path
        return "not a valid URL: a backslash before the path" + hint
    if not parts.hostname:
        return "no host name in the URL" + hint
    return _host_problem(parts.hostname)


def _host_problem(host: str) -> str | None:
    """What no resolver takes in a URL's host name (`kodi..local`), which passed here and
    failed every request at connect: the socket module encodes a name with Python's `idna`
    codec, which refuses an empty label or one over 63 characters (urllib3's
    LocationParseError), and a DNS name is 253 characters at most (RFC 1035 2.3.4). An IP
    address (urlsplit checked an IPv6 one in brackets), a final dot (`kodi.local.`) and an
    underscore (a Docker Compose service, `jellyfin_server`) are fine. A non-ASCII name is
    encoded the way requests has urllib3 encode it (`parse_url`: the `idna` package, IDNA
    2008 with STD3 rules), not with Python's IDNA 2003 codec, which takes `☃.net` that
    every request then refused ("not a valid IDNA label")."""
    if ":" in host:
        return None  # an IPv6 address: urlsplit refused a malformed one
    name = host[:-1] if host.endswith(".") else host
    what = None
    if "" in name.split("."):
        what = "it has an empty part between dots (two dots in a row, or one at its start)"
    elif any(len(label) > 63 for label in name.split(".") if label.isascii()):
        what = "a part between dots is longer than 63 characters"
    else:
        try:
            encoded = name.encode("idna") if name.isascii() else _idna_2008(name)
        except (UnicodeError, urllib3.exceptions.LocationParseError):
            what = "it cannot be written as a DNS name (IDNA)"
        else:
            if len(encoded) > 253:
                what = "it is longer than 253 characters"
    if what is None:
        return None
    return f"the host name {host!r} is not valid: {what}"


def _idna_2008(name: str) -> bytes:
    """A non-ASCII host name as requests sends it: urllib3's `parse_url` encodes each
    non-ASCII label with the `idna` package (strict, STD3 rules)."""
    host = urllib3.util.parse_url(f"http://{name}").host or ""
    return host.encode("ascii")


def _web_app_problem(url: str) -> tuple[str, str] | None:
    """("error"|"warning", what): a player URL copied from the browser's address bar names its
    web app, not the server (Jellyfin's `http://nas:8096/web/#/home.html`, Plex's
    `http://nas:32400/web/index.html#!/`, Kodi's Chorus `http://htpc:8080/#home`); our paths
    went below it, a `#` cut them off, and the player answered with its web app's page. One
    with a query (Plex's "View XML" address, `...:32400/library/metadata/41?checkFiles=1&
    X-Plex-Token=...`, copied to find the token) took every request's path into the query."""
    parts = urllib.parse.urlsplit(url)
    segments = parts.path.split("/")
    if "web" in segments:
        return (
            "warning",
            "ends in the address of the player's web app (/web/...); the server's base URL is "
            "the part before /web (e.g. http://nas:8096 or https://host/jellyfin)",
        )
    if "#" in url.split("@")[-1]:
        return (
            "error",
            "holds a '#' (the address of a web app's page): the player's API is not below it; "
            "use the server's base URL, the part before '#'",
        )
    if "?" in url.split("@")[-1]:  # never quoted: Plex's "View XML" address holds the token
        return (
            "error",
            "holds a query ('?...'): every request's path would go into it, not after the "
            "server's address; use the server's base URL, the part before '?' (and put a Plex "
            "X-Plex-Token in token)",
        )
    return None


PLAYER_TOKEN_HELP = {
    "jellyfin": "an API key from Dashboard > API Keys",
    "plex": "the X-Plex-Token of the server's owner",
}


def check_semantics(config: Config, problems: Problems) -> None:
    """What the types cannot say: values that must agree with each other or have a shape."""
    names = [lib.name for lib in config.library]
    player_names = [player.name for player in config.player]
    for i, lib in enumerate(config.library):
        key = entry_key("library", i, lib.name, names)
        if (kind_problem := check_library_kind(lib.kind)) is not None:
            problems.error(f"{key}.kind", kind_problem)
        if not lib.name.strip():
            problems.error(f"{key}.name", "must not be empty")
        if not Path(lib.path).is_absolute():
            problems.error(f"{key}.path", f"must be an absolute path, not {lib.path!r}")
        if names.count(lib.name) > 1 and names.index(lib.name) < i:
            problems.error(f"{key}.name", f"library name {lib.name!r} is used twice")
        if lib.poll_seconds < 1:
            problems.error(f"{key}.poll_seconds", "must be at least 1")
        check_duration(problems, f"{key}.poll_seconds", lib.poll_seconds)
    if not Path(config.data_dir).is_absolute():
        problems.error("data_dir", f"must be an absolute path, not {config.data_dir!r}")
    for i, player in enumerate(config.player):
        key = entry_key("player", i, player.name, player_names)
        if player.type not in PLAYER_TYPE_NAMES:
            problems.error(
                f"{key}.type",
                f"must be kodi, jellyfin or plex, not {player.type!r}"
                + did_you_mean(player.type, tuple(PLAYER_TYPE_NAMES)),
            )
        if not player.libraries:  # left out: a player of no library is never told anything
            # with no [[library]] yet, the names to list would be none: `libraries = []`
            listed = ", ".join(toml_string(n) for n in names)
            problems.warning(
                f"{key}.libraries",
                "empty: this player is never told about a publish; "
                + (
                    f"list the [[library]] names it shows, e.g. libraries = [{listed}]"
                    if names
                    else 'add a [[library]] first, then list its name, e.g. libraries = ["Movies"]'
                ),
            )
        for lib_name in player.libraries:
            if lib_name not in names:
                problems.error(
                    f"{key}.libraries",
                    f"no [[library]] is named {lib_name!r}"
                    + did_you_mean(lib_name, names, quote=True),
                )
        if (url_problem := _url_problem(player.url)) is not None:
            problems.error(f"{key}.url", url_problem)
        elif (web_app := _web_app_problem(player.url)) is not None:
            level, what = web_app
            (problems.error if level == "error" else problems.warning)(f"{key}.url", what)
        elif player.type == "kodi" and _kodi_logins_clash(player):
            problems.warning(
                f"{key}.username",
                "the url holds a user and password too, and only one basic-auth login can go "
                "with a request: only the URL's is sent (username and password are not used); "
                "behind a proxy's basic auth, Kodi has to accept the same login",
            )
        if player.timeout_seconds <= 0:
            problems.error(f"{key}.timeout_seconds", "must be more than 0")
        check_duration(problems, f"{key}.timeout_seconds", player.timeout_seconds)
        if player.ca_file and not Path(player.ca_file).is_absolute():
            problems.error(f"{key}.ca_file", f"must be an absolute path, not {player.ca_file!r}")
        elif player.ca_file and not Path(player.ca_file).is_file():
            problems.error(f"{key}.ca_file", f"{player.ca_file!r} is not a file")
        if player.type in ("jellyfin", "plex") and not player.token.strip():
            label = {"jellyfin": "Jellyfin", "plex": "Plex"}[player.type]
            where = PLAYER_TOKEN_HELP[player.type]
            also = (
                "; username and password are for Kodi" if player.username or player.password else ""
            )
            problems.warning(
                f"{key}.token",
                f"empty: {label} refuses every notification without it ({where}){also}",
            )
    for asset_type, limit in config.artwork.limits.items():
        if asset_type not in ASSET_TYPES:
            problems.error(
                f"artwork.limits.{asset_type}",
                "unknown artwork type" + did_you_mean(asset_type, ASSET_TYPES),
            )
        if limit < 0:
            problems.error(f"artwork.limits.{asset_type}", "must be 0 or more")
    tmdb = config.providers.tmdb
    if not LANGUAGE_CODE.fullmatch(tmdb.language):
        problems.error(
            "providers.tmdb.language",
            'expected a language such as "en-US", "de-DE" or "pt-BR" (ISO 639-1, then a '
            f"country), not {tmdb.language!r}",
        )
    if not re.fullmatch(r"[A-Za-z]{2}", tmdb.certification_country):
        problems.error(
            "providers.tmdb.certification_country",
            'expected a two-letter country such as "US", "GB" or "DE" (ISO 3166-1), not '
            f"{tmdb.certification_country!r}",
        )
    for i, code in enumerate(config.artwork.preferred_languages):
        if not LANGUAGE_CODE.fullmatch(code):
            problems.error(
                f"artwork.preferred_languages[{i}]",
                f'expected a two-letter language such as "en" or "de" (ISO 639-1), not {code!r}',
            )
    for i, name in enumerate(config.artwork.provider_priority):
        if name not in ARTWORK_PROVIDERS:
            problems.error(
                f"artwork.provider_priority[{i}]",
                f"no provider {name!r}"
                + did_you_mean(name, ARTWORK_PROVIDERS)
                + "; "
                + ", ".join(ARTWORK_PROVIDERS[:-1])
                + f" or {ARTWORK_PROVIDERS[-1]}",
            )
    for i, entry in enumerate(config.artwork.user_url_allow):
        if not _is_network(entry):
            problems.error(
                f"artwork.user_url_allow[{i}]",
                f'expected an address or network such as "192.168.1.0/24", not {entry!r}',
            )
    if config.enrich.analysis_processes < -1:
        problems.error("enrich.analysis_processes", "must be -1 (automatic), 0 or more")
    _check_ranges(config, problems)
    providers = config.providers
    for name, url in (
        ("tmdb", providers.tmdb.base_url),
        ("fanart", providers.fanart.base_url),
        ("tvdb", providers.tvdb.base_url),
    ):
        if (url_problem := _url_problem(url)) is not None:
            problems.error(f"providers.{name}.base_url", url_problem)
        for i, origin in enumerate(getattr(providers, name).image_hosts):
            if (url_problem := _url_problem(origin)) is not None:
                problems.error(f"providers.{name}.image_hosts[{i}]", url_problem)
    for i, entry in enumerate(config.webhooks.path_map):
        # `from` is the sender's: Radarr/Sonarr on Windows send D:\... or \\nas\share\...
        if not (entry.from_.startswith("/") or is_windows(entry.from_)):
            problems.error(
                f"webhooks.path_map[{i}].from",
                "must be an absolute path (/movies, or on Windows D:\\Movies or "
                f"\\\\nas\\movies), not {entry.from_!r}",
            )
        if not entry.to.startswith("/"):
            problems.error(
                f"webhooks.path_map[{i}].to", f"must be an absolute path, not {entry.to!r}"
            )
    for i, name in enumerate(config.web.allowed_hosts):
        if not name.strip() or "/" in name or " " in name.strip():
            problems.error(
                f"web.allowed_hosts[{i}]",
                'expected a host name such as "nas.local" or '
                f'"metarrd.example.com:443", not {name!r}',
            )
    for i, entry in enumerate(config.web.trusted_proxies):
        if not _is_network(entry.strip()):
            problems.error(
                f"web.trusted_proxies[{i}]",
                f'expected an address or network such as "127.0.0.1/32", not {entry!r}',
            )
    if (
        config.web.allowed_hosts
        and not config.web.trusted_proxies
        and is_loopback_bind(config.web.bind)
    ):
        problems.warning(
            "web.trusted_proxies",
            "empty, while allowed_hosts suggests a reverse proxy in front of a loopback bind: "
            "every client then has the proxy's address, and five wrong passwords from anyone "
            'lock everyone out. List the proxy, e.g. ["127.0.0.1/32"] (docs/security.md)',
        )
    if config.database.url and not config.uses_postgresql:
        problems.error(
            "database.url",
            'expected postgresql://USER:PASSWORD@HOST:PORT/NAME (or "" for SQLite under data_dir)',
        )
    elif config.database.url and (problem := _url_unencoded(config.database.url)):
        problems.error("database.url", problem)
    if config.queue.url and not config.queue.url.startswith(REDIS_SCHEMES):
        problems.error(
            "queue.url", 'expected redis://HOST:6379/0 (or "" for the SQLite queue under data_dir)'
        )
    elif config.queue.url and (problem := _url_unencoded(config.queue.url)):
        problems.error("queue.url", problem)
    if not config.queue.name or not config.queue.name.replace("_", "").isalnum():
        problems.error("queue.name", 'letters, digits and _ only, e.g. "metarrd"')
    if config.queue.lease_seconds < 10:
        problems.error("queue.lease_seconds", "must be at least 10")
    if config.cache.dir and not Path(config.cache.dir).is_absolute():
        problems.error("cache.dir", f"must be an absolute path, not {config.cache.dir!r}")
    if (bind_problem := check_bind(config.web.bind)) is not None:
        problems.error("web.bind", bind_problem)


def _is_network(text: str) -> bool:
    """An address or a network (CIDR) as `ipaddress` reads it, host bits set or not."""
    try:
        ipaddress.ip_network(text, strict=False)
    except ValueError:
        return False
    return True


def _url_unencoded(url: str) -> str | None:
    """What is wrong with a URL whose user or password holds a character the URL syntax
    reserves, written as is (a generated password such as `p@ss#1`): the rest of it was read
    as the host ("could not translate host name "ss#1@db.lan""), and only at the first
    connection, from every command."""
    parts = urllib.parse.urlsplit(url)
    # a "/" or "?" in the password ends the host part there: the rest, "@" and all, is read
    # as the database's name or the parameters ("p/ss@db.lan/metarrd" named no host at all)
    after = parts.path if "@" not in parts.netloc else ""
    if parts.fragment or parts.netloc.count("@") > 1 or "#" in url or "@" in after:
        return (
            "the password (or user) has a character that must be percent-encoded in a URL: "
            "write @ as %40, # as %23, / as %2F, : as %3A, ? as %3F and % as %25 "
            "(python3 -c 'import urllib.parse,getpass; "
            'print(urllib.parse.quote(getpass.getpass(), safe=""))\')'
        )
    return None


def check_bind(bind: str) -> str | None:
    """What is wrong with a `HOST:PORT` to listen on (`[web] bind`, `web --bind`), else None. A
    port over 65535 would be taken modulo 65536 by the socket: another port, without a word."""
    host, _, port = bind.rpartition(":")
    if not host or not (port.isascii() and port.isdigit()):
        return f"expected HOST:PORT, not {bind!r}"
    if not 0 < int(port) < 65536:
        return f"port {int(port)} is not 1 to 65535"
    return None


def _check_ranges(config: Config, problems: Problems) -> None:
    """Numbers their type allows but the work does not: a timeout of 0 failed every provider
    call ("internal error: ValueError"), max_pixels 0 refused every image."""
    if config.providers.timeout_seconds <= 0:
        problems.error("providers.timeout_seconds", "must be more than 0")
    at_least = {
        "providers.max_retries": (config.providers.max_retries, 0),
        "web.session_hours": (config.web.session_hours, 1),
        "artwork.max_pixels": (config.artwork.max_pixels, 1),
        "enrich.concurrency": (config.enrich.concurrency, 1),
        "enrich.per_host": (config.enrich.per_host, 1),
        "enrich.items": (config.enrich.items, 1),
        "daemon.workers": (config.daemon.workers, 1),
        "enrich.max_actors": (config.enrich.max_actors, 0),
        "daemon.settle_seconds": (config.daemon.settle_seconds, 0),
        "daemon.full_rescan_hours": (config.daemon.full_rescan_hours, 0),
        "daemon.notify_window_seconds": (config.daemon.notify_window_seconds, 0),
        "daemon.notify_retry_minutes": (config.daemon.notify_retry_minutes, 0),
    }
    for key, (value, least) in at_least.items():
        if value < least:
            problems.error(key, "must be 0 or more" if least == 0 else f"must be at least {least}")
    durations = {
        "providers.timeout_seconds": config.providers.timeout_seconds,
        "web.session_hours": config.web.session_hours,
        "daemon.settle_seconds": config.daemon.settle_seconds,
        "daemon.full_rescan_hours": config.daemon.full_rescan_hours,
        "daemon.notify_window_seconds": config.daemon.notify_window_seconds,
        "daemon.notify_retry_minutes": config.daemon.notify_retry_minutes,
        "queue.lease_seconds": config.queue.lease_seconds,
    }
    for key, value in durations.items():
        check_duration(problems, key, value)


LONGEST_SECONDS = 10 * 365 * 86400  # a setting in seconds, minutes or hours: ten years at most
_UNIT_SECONDS = {"seconds": 1, "minutes": 60, "hours": 3600}


def check_duration(problems: Problems, key: str, value: float) -> None:
    """A duration no date or sleep can hold (`session_hours = 1e12`: the web server did not
    start, OverflowError at `timedelta`; a player's retry window of `1e300` minutes crashed the
    notifier at its first failure) is an error on its key: ten years at most, in its unit."""
    unit = key.rpartition("_")[2]
    most = LONGEST_SECONDS // _UNIT_SECONDS[unit]
    if value > most:
        problems.error(key, f"must be at most {most} {unit} (ten years)")


def is_loopback_bind(bind: str) -> bool:
    """`[web] bind` on a loopback address (then only this machine, or a proxy on it, reaches it)."""
    host = bind.rpartition(":")[0].strip("[]")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a host name: assume it is reachable from elsewhere


def _toml_name(f: dataclasses.Field) -> str:
    return f.name.rstrip("_")  # `from_` is spelled `from` in TOML


_INVALID = object()  # a value reported as a problem (collecting mode): left at its default


def _build(cls: type, data: Any, key: str, problems: Problems) -> Any:
    if not isinstance(data, dict):
        problems.error(key or "configuration", "expected a table")
        return _INVALID
    hints = typing.get_type_hints(cls)
    fields = {
        _toml_name(f): f
        for f in dataclasses.fields(cls)
        if not (cls is Config and f.name == "source")
    }
    for name in data:
        if name not in fields:
            problems.error(_join(key, name), "unknown key" + did_you_mean(name, fields))
    kwargs = {}
    complete = True
    for name, f in fields.items():
        if name in data:
            value = _coerce(hints[f.name], data[name], _join(key, name), problems)
            if isinstance(value, dict) and f.default_factory is not dataclasses.MISSING:
                # a table of entries (`[artwork.limits]`) sets the entries it names, the rest
                # keep their defaults: `poster = 5` alone had left fanart at 1, not the 5 that
                # config.example.toml lists (selection takes 1 for a type not listed)
                value = {**f.default_factory(), **value}
            if value is not _INVALID:
                kwargs[f.name] = value
                continue
        elif f.default is not dataclasses.MISSING or f.default_factory is not dataclasses.MISSING:
            continue
        else:
            problems.error(_join(key, name), "required key is missing")
        if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            complete = False
    return cls(**kwargs) if complete else _INVALID


def _list_hint(tp: Any, value: Any, key: str) -> str:
    """How to write the list of tables `key` where one table was written: `[library]` for
    `[[library]]` (TOML's array of tables takes two brackets), `path_map = { … }` for `[{ … }]`."""
    (item_tp, _ellipsis) = typing.get_args(tp)
    if not (isinstance(value, dict) and dataclasses.is_dataclass(item_tp)):
        return ""
    if "." not in key:  # a top-level list of tables: [[library]], [[player]]
        return f": write [[{key}]] (two brackets), one per {key}"
    name = key.rsplit(".", 1)[-1]
    fields = ", ".join(f'{_toml_name(f)} = "…"' for f in dataclasses.fields(item_tp))
    return f": write it in [ ]: {name} = [{{ {fields} }}]"


def _join(key: str, name: str) -> str:
    return f"{key}.{name}" if key else name


def _coerce(tp: Any, value: Any, key: str, problems: Problems) -> Any:
    origin = typing.get_origin(tp)
    if dataclasses.is_dataclass(tp):
        return _build(tp, value, key, problems)
    if origin is tuple:
        (item_tp, _ellipsis) = typing.get_args(tp)
        if not isinstance(value, list):
            problems.error(
                key, f"expected a list, got {_tname(value)}" + _list_hint(tp, value, key)
            )
            return _INVALID
        items = []
        for i, v in enumerate(value):
            item_key = f"{key}[{i}]"
            if dataclasses.is_dataclass(item_tp) and isinstance(v, dict):
                names = [e.get("name") for e in value if isinstance(e, dict)]
                item_key = entry_key(key, i, v.get("name"), names)  # library "Movies"
            item = _coerce(item_tp, v, item_key, problems)
            if item is not _INVALID:
                items.append(item)
        return tuple(items)
    if origin is dict:
        _k, v_tp = typing.get_args(tp)
        if not isinstance(value, dict):
            problems.error(key, f"expected a table, got {_tname(value)}")
            return _INVALID
        out = {k: _coerce(v_tp, v, f"{key}.{k}", problems) for k, v in value.items()}
        return {k: v for k, v in out.items() if v is not _INVALID}
    if origin in (typing.Union, types.UnionType):
        problems.error(key, "unsupported type")  # not used by the schema
        return _INVALID
    expected = None
    if tp is bool:
        if not isinstance(value, bool):
            expected = "true or false"
    elif tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            expected = "a whole number"
    elif tp is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            expected = "a number"
        else:
            try:
                value = float(value)
            except OverflowError:  # TOML reads a whole number of any size: 400 digits
                problems.error(key, "expected a number, got a number too large")
                return _INVALID
            if not math.isfinite(value):  # TOML's `nan`, `inf`
                problems.error(key, f"expected a finite number, got {value}")
                return _INVALID
    elif tp is str:
        if not isinstance(value, str):
            expected = "a string"
    else:
        problems.error(key, f"unsupported type {tp!r}")
        return _INVALID
    if expected is not None:
        problems.error(key, f"expected {expected}, got {_tname(value)}")
        return _INVALID
    return value


def _tname(value: Any) -> str:
    if isinstance(value, float):
        return f"a decimal number ({value:g})"
    return {
        bool: "a boolean",
        int: "a number",
        float: "a number",
        str: "a string",
        list: "a list",
        dict: "a table",
    }.get(type(value), type(value).__name__)


def declared_keys(cls: type = Config, prefix: str = "") -> list[str]:
    """Every documented key, dotted (`providers.tmdb.api_key`); lists of tables use their name."""
    keys: list[str] = []
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        if cls is Config and f.name == "source":
            continue
        name = _join(prefix, _toml_name(f))
        tp = hints[f.name]
        if typing.get_origin(tp) is tuple:
            (tp, _e) = typing.get_args(tp)
        if dataclasses.is_dataclass(tp):
            keys.extend(declared_keys(tp, name))
        else:
            keys.append(name)
    return keys

"""`metarrd config check`: every problem of a configuration file at once.

`config.parse_config` stops at the first problem (the daemon cannot start with a broken config);
this module collects them all, adds what only shows on this machine (a library folder that does
not exist, two libraries over one folder, no TMDB key), and names libraries and players by name.
Errors make `config check` exit 2; warnings are printed and leave it at 0.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import shlex
import sqlite3
import stat
import urllib.parse
from pathlib import Path

from metarrd import mounts
from metarrd.config import (
    Config,
    Problem,
    collect_problems,
    data_dir_not_installed,
    entry_key,
    find_config_path,
    key_line,
    parse_toml,
    read_config_text,
)
from metarrd.errors import ConfigError
from metarrd.files import (
    NETWORK_FILESYSTEMS,
    dangling_link,
    filesystem_type,
    network_filesystem,
)
from metarrd.paths import is_inside

# FUSE with no subtype (any network file system may be one), an automount not triggered yet:
# no telling whether the share is there
UNJUDGED_FILESYSTEMS = frozenset({"fuse", "autofs"})
MIN_WEBHOOK_TOKEN_LENGTH = 16  # shorter: `config check` warns (the webhooks still take it)


def check_file(path: str | Path | None) -> tuple[Path, Config | None, list[Problem]]:
    """(the file read, its Config when it could be built, every problem found)."""
    cfg_path = find_config_path(str(path) if path else None)
    try:
        text = read_config_text(cfg_path)
        data = parse_toml(text)
    except ConfigError as exc:
        return cfg_path, None, [Problem("error", str(cfg_path), str(exc))]
    config, problems = collect_problems(data)
    # the file's own problems name the line of their key; what this machine shows (a folder
    # missing, a database file's mode) is fixed on the disk, and its message may end in the
    # command that fixes it
    problems = [dataclasses.replace(p, line=key_line(text, data, p.key)) for p in problems]
    # a value of the wrong type was left at its default: no warning about that default (an
    # "empty" webhooks.token for `token = 5`), its error says what is wrong
    wrong = {problem.key for problem in problems if problem.level == "error"}
    problems.extend(
        problem
        for problem in environment_problems(config)
        if not (problem.level == "warning" and problem.key in wrong)
    )
    problems.extend(_secrets_readable(cfg_path, config))
    return cfg_path, config, problems


def secret_settings(config: Config) -> list[str]:
    """The settings of `config` that hold a secret (their names, never their values): API
    keys and tokens, passwords, and URLs with a password in them."""
    p = config.providers
    held = [
        name
        for name, value in (
            ("providers.tmdb.api_key", p.tmdb.api_key),
            ("providers.tmdb.read_token", p.tmdb.read_token),
            ("providers.fanart.api_key", p.fanart.api_key),
            ("providers.fanart.client_key", p.fanart.client_key),
            ("providers.tvdb.api_key", p.tvdb.api_key),
            ("providers.tvdb.pin", p.tvdb.pin),
            ("webhooks.token", config.webhooks.token),
        )
        if value.strip()
    ]
    urls = [
        ("providers.tmdb.base_url", p.tmdb.base_url),
        ("providers.fanart.base_url", p.fanart.base_url),
        ("providers.tvdb.base_url", p.tvdb.base_url),
        ("database.url", config.database.url),
        ("queue.url", config.queue.url),
    ]
    player_names = [player.name for player in config.player]
    for i, player in enumerate(config.player):
        key = entry_key("player", i, player.name, player_names)
        held += [f"{key}.{name}" for name in ("password", "token") if getattr(player, name)]
        urls.append((f"{key}.url", player.url))
    return held + [name for name, url in urls if _has_password(url)]


def _has_password(url: str) -> bool:
    try:
        return bool(urllib.parse.urlsplit(url).password)
    except ValueError:  # a URL config check reports as broken: a password may be in it
        return "@" in url


def loose_mode(mode: int, owner: int) -> int | None:
    """The mode a file holding secrets should have when its `mode` lets others in, else None.
    PostgreSQL's rule for its private key file (src/backend/libpq/be-secure-common.c,
    check_ssl_key_file): 0600 or less; owned by root, 0640 or less, since a file root owns is
    read by the service through its group (README: `install -m 640 -o root -g metarrd`)."""
    if owner == 0:
        return 0o640 if mode & 0o037 else None
    return 0o600 if mode & 0o077 else None


def _loose_file(path: Path) -> tuple[int, int] | None:
    """(its mode, the mode to chmod it to) for a regular file at `path` that lets other users
    in (`loose_mode`); None for one that does not, is no regular file, or cannot be looked at."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    mode = stat.S_IMODE(st.st_mode)
    fix = loose_mode(mode, st.st_uid)
    if fix is None or not stat.S_ISREG(st.st_mode):
        return None
    return mode, fix


# the `meta` rows of the web UI's secrets (metarrd/web/auth.py: SECRET_KEY, PASSWORD_KEY)
DATABASE_SECRETS = ("web_secret_key", "web_password_hash")


def _database_readable(path: Path) -> list[Problem]:
    """A SQLite database made 0644 by an earlier version (new ones are 0600: db.connect_to)
    that holds the web UI's secret key or password hash: any user could sign a session."""
    if (loose := _loose_file(path)) is None:
        return []
    mode, fix = loose
    try:  # read-only, never waiting long for a writer's lock; an error: not known, not said
        uri = f"{path.as_uri()}?mode=ro"
        with contextlib.closing(sqlite3.connect(uri, uri=True, timeout=2.0)) as con:
            marks = ",".join("?" * len(DATABASE_SECRETS))
            sql = f"SELECT count(*) FROM meta WHERE key IN ({marks}) AND value != ''"
            held = con.execute(sql, DATABASE_SECRETS).fetchone()[0]
    except sqlite3.Error:
        return []
    if not held:
        return []
    files = shlex.quote(str(path)) + "*"
    return [
        Problem(
            "warning",
            "data_dir",
            f"{path}: mode {mode:04o}: {_who(mode)}, and it holds the web UI's secrets (the key "
            f"that signs the login sessions, the password hash); chmod {fix:o} {files}",
        )
    ]


def _queue_writable(path: Path) -> list[Problem]:
    """The SQLite job queue (`<data_dir>/queue.db`, its -wal or -shm) when other users may
    write it: Huey unpickles every message it reads from it (huey/serializer.py), so whoever
    may write it runs code as metarrd. SQLite makes it 0644 at most (its default file
    permissions less the umask), so only a chmod of data_dir opens it (`chmod -R g+w`, a container's
    `chmod -R 777 /config`). Others reading it is no warning: its messages are "run job N"
    (the job's row id), nothing of the user's."""
    for file in (path, path.with_name(f"{path.name}-wal"), path.with_name(f"{path.name}-shm")):
        try:
            st = os.stat(file)
        except OSError:
            continue
        mode = stat.S_IMODE(st.st_mode)
        if stat.S_ISREG(st.st_mode) and mode & 0o022:
            who = "every user" if mode & 0o002 else "its group"
            return [
                Problem(
                    "warning",
                    "data_dir",
                    f"{file}: mode {mode:04o}: {who} may change it, and the job queue runs "
                    "what it reads from it (Huey unpickles its messages): whoever may write it "
                    f"runs code as metarrd; chmod go-w {shlex.quote(str(path))}*",
                )
            ]
    return []


def _who(mode: int) -> str:
    """Who else may do what with a file of `mode`: "every user may read it"."""
    bits, who = (mode & 0o007, "every user") if mode & 0o007 else ((mode >> 3) & 7, "its group")
    return f"{who} may {'read' if bits & 4 else 'change' if bits & 2 else 'run'} it"


def _secrets_readable(cfg_path: Path, config: Config) -> list[Problem]:
    """A configuration file holding secrets that other users can read (or write): a copy of
    config.example.toml made with `cp` is 0644, and everyone on the machine could read the
    TMDB key, the webhook token (then send webhooks) and the players' passwords."""
    held = secret_settings(config)
    if not held:
        return []
    if (loose := _loose_file(cfg_path)) is None:
        return []
    mode, fix = loose
    return [
        Problem(
            "warning",
            str(cfg_path),
            f"mode {mode:04o}: {_who(mode)}, and it holds secrets ({', '.join(held)}); "
            f"chmod {fix:o} {shlex.quote(str(cfg_path))}",
        )
    ]


def environment_problems(config: Config) -> list[Problem]:
    """What a config can only get wrong on this machine, or wrong for the daemon's work."""
    found: list[Problem] = []
    found.extend(_library_folders(config))
    found.extend(_path_maps_outside_libraries(config))
    tmdb = config.providers.tmdb
    if not tmdb.api_key.strip() and not tmdb.read_token.strip():
        found.append(
            Problem(
                "error",
                "providers.tmdb",
                "no api_key or read_token: identification and enrichment need one "
                "(https://www.themoviedb.org/settings/api)",
            )
        )
    if Path(config.data_dir).is_absolute():  # else already reported
        found.extend(problems := _data_folder("data_dir", Path(os.path.normpath(config.data_dir))))
        if not problems and not config.uses_postgresql:
            found.extend(_database_readable(config.db_path))
        if not problems and not config.uses_redis:
            found.extend(_queue_writable(config.queue_path))
        if not problems and not (config.uses_postgresql and config.uses_redis):
            found.extend(_sqlite_on_a_share(Path(os.path.normpath(config.data_dir))))
    if config.cache.dir and Path(config.cache.dir).is_absolute():
        cache_dir = Path(os.path.normpath(config.cache.dir))
        found.extend(problems := _data_folder("cache.dir", cache_dir))
        if config.uses_postgresql and not problems:
            found.extend(_shared_cache(cache_dir))
    fanart = config.providers.fanart
    if fanart.client_key.strip() and not fanart.api_key.strip():
        found.append(
            Problem(
                "warning",
                "providers.fanart.api_key",
                "empty, with a client_key: fanart.tv is skipped. Its API needs a project key "
                "(api_key) in every request; a personal key (client_key) only comes with one",
            )
        )
    if config.workflow.webhooks and not config.webhooks.token:
        found.append(
            Problem("warning", "webhooks.token", "empty: every webhook call will be refused")
        )
    elif config.webhooks.token and len(config.webhooks.token) < MIN_WEBHOOK_TOKEN_LENGTH:
        found.append(
            Problem(
                "warning",
                "webhooks.token",
                f"only {len(config.webhooks.token)} characters: a short token can be guessed. "
                f"Use at least {MIN_WEBHOOK_TOKEN_LENGTH}, e.g. from "
                "python3 -c 'import secrets; print(secrets.token_urlsafe(24))'",
            )
        )
    if any(ord(c) > 255 for c in config.webhooks.token):
        # their ManagedHttpDispatcher sends basic auth in ISO-8859-1 (`?` for the rest), and
        # .NET refuses a custom header beyond ASCII
        found.append(
            Problem(
                "warning",
                "webhooks.token",
                "has characters beyond ISO-8859-1 (such as €): Radarr and Sonarr cannot send "
                "it (their basic-auth password goes out in ISO-8859-1, a custom X-Api-Key "
                "header in ASCII only). Use letters, digits, - and _, e.g. from "
                "python3 -c 'import secrets; print(secrets.token_urlsafe(24))'",
            )
        )
    return found


_UNANSWERED = "{} does not answer (a hung network mount?): not checked (the daemon waits for it)"


def _unanswered(folder: Path) -> bool:
    """Does `folder` not answer (a hard NFS mount whose server is gone: its stat never
    returns)? Looked at as the daemon looks at a library root (`mounts.root_identity`), a few
    seconds at most."""
    return mounts.root_identity(str(folder), hung="%s does not answer") == mounts.UNREACHABLE


def _data_folder(key: str, folder: Path) -> list[Problem]:
    """`data_dir` or `[cache] dir`: a folder this user can write, or can make (every command
    makes it, and stops with a configuration error when it cannot)."""
    if _unanswered(folder):
        if key == "data_dir":  # its database and queue: every command would hang
            return [Problem("error", key, f"{folder} does not answer (a hung network mount?)")]
        return [Problem("warning", key, _UNANSWERED.format(folder))]  # its jobs wait for it
    if os.path.islink(folder) and (why := _cannot_look(folder)) is not None:
        return [Problem("error", key, f"{folder} {why}")]  # not made through a dangling link
    try:
        there = stat.S_ISDIR(os.stat(folder).st_mode)
    except (FileNotFoundError, NotADirectoryError):
        there = None
    except OSError as exc:  # a folder on the way this user may not enter: Path.exists raised
        return [Problem("error", key, f"{folder} cannot be looked at: {exc.strerror}")]
    if there is False:
        return [Problem("error", key, f"{folder} exists and is not a folder")]
    if there:
        if not os.access(folder, os.W_OK | os.X_OK):
            return [Problem("error", key, f"{folder} {_not_writable(folder)}")]
        return []
    if key == "data_dir" and (why := data_dir_not_installed(str(folder))) is not None:
        return [Problem("error", key, why)]
    above = next(p for p in folder.parents if p.exists())  # "/" at last
    if not above.is_dir():
        return [Problem("error", key, f"{folder} cannot be created: {above} is not a folder")]
    if not os.access(above, os.W_OK | os.X_OK):
        return [
            Problem("error", key, f"{folder} cannot be created: {above} {_not_writable(above)}")
        ]
    return []


def _cannot_look(folder: Path) -> str | None:
    """Why `folder` cannot be looked at (None: it can): not there, or a symbolic link that
    leads nowhere. A library or data_dir linked to a disk not mounted (`/srv/media/movies` ->
    `/mnt/usb1/movies`) said "does not exist" for a link that does, or, for data_dir, nothing:
    every command then stopped with "cannot create …: File exists"; a symlink loop was a
    RuntimeError traceback."""
    try:
        os.stat(folder)
    except OSError as exc:
        if not os.path.islink(folder):
            if isinstance(exc, FileNotFoundError | NotADirectoryError):
                return "does not exist"
            return f"cannot be looked at: {exc.strerror}"
        return dangling_link(folder, exc)
    return None


def _not_writable(folder: Path) -> str:
    """Why `os.access` says a folder cannot be written: its file system is mounted read-only (a
    disk ext4 remounted read-only after an I/O error, a container volume mounted `:ro`), where
    "not writable by this user" sent root looking at permissions; else this user's rights."""
    try:
        read_only = bool(os.statvfs(folder).f_flag & os.ST_RDONLY)
    except OSError:
        read_only = False
    if read_only:
        return "is on a file system mounted read-only"
    return "is not writable by this user"


def _sqlite_on_a_share(folder: Path) -> list[Problem]:
    """`data_dir` on a network share while it holds an SQLite database or queue: SQLite's WAL
    needs every process on one host and locks a share may not keep ("WAL does not work over a
    network filesystem", sqlite.org/wal.html; Sonarr#1886: its database on an SMB share). A
    NAS user's habit, a container's `/config` on the share, is named."""
    if (kind := network_filesystem(folder)) is None:
        return []
    return [
        Problem(
            "warning",
            "data_dir",
            f"{folder} is on a {kind} share: the SQLite database and job queue there may lock "
            "up or be corrupted (SQLite's write-ahead log needs this machine's own disk); "
            "keep data_dir on a local disk (the libraries may stay on the share), or use "
            "[database] url and [queue] url (docs/scale-out.md)",
        )
    ]


def _shared_cache(folder: Path) -> list[Problem]:
    """`[cache] dir` with PostgreSQL (several hosts, docs/scale-out.md) is one share each host
    mounts: on this machine's own disk, its share is not mounted (or never was)."""
    kind = filesystem_type(folder)
    if kind is None or kind in NETWORK_FILESYSTEMS or kind in UNJUDGED_FILESYSTEMS:
        return []
    return [
        Problem(
            "warning",
            "cache.dir",
            f"{folder} is on this machine's own disk ({kind}), not a network share: workers "
            "on other hosts do not see its pictures (is the share mounted?)",
        )
    ]


def _library_folders(config: Config) -> list[Problem]:
    found: list[Problem] = []
    if not config.library:  # the daemon would start, watch nothing and say nothing
        found.append(
            Problem(
                "warning",
                "library",
                "no [[library]]: nothing will be scanned, watched or published; add one per "
                'folder, e.g. [[library]] name = "Movies", path = "/srv/media/movies", '
                'kind = "movie"',
            )
        )
    seen: list[tuple[str, Path]] = []  # (key, resolved folder) of the libraries before
    names = [lib.name for lib in config.library]
    for i, lib in enumerate(config.library):
        key = entry_key("library", i, lib.name, names)
        if not Path(lib.path).is_absolute():
            continue  # already reported
        folder = Path(os.path.normpath(lib.path))
        if _unanswered(folder):  # every look there would hang the check for good
            found.append(Problem("warning", f"{key}.path", _UNANSWERED.format(folder)))
            seen.append((key, folder))  # where it really is cannot be asked
            continue
        if (why := _cannot_look(folder)) is not None:
            found.append(Problem("error", f"{key}.path", f"{folder} {why}"))
        elif not folder.is_dir():
            found.append(Problem("error", f"{key}.path", f"{folder} is not a folder"))
        elif not os.access(folder, os.R_OK | os.X_OK):
            found.append(Problem("error", f"{key}.path", f"{folder} is not readable by this user"))
        else:
            if not lib.poll and (fstype := network_filesystem(folder)) is not None:
                found.append(
                    Problem(
                        "warning",
                        f"{key}.poll",
                        f"{folder} is on a {fstype} share: inotify does not see a change made "
                        "there by another machine (the NAS, Radarr on another host), and a new "
                        "movie waits for a webhook or the periodic rescan; set poll = true to "
                        "poll it every poll_seconds",
                    )
                )
            if config.workflow.publishing:
                found.extend(_library_not_writable(key, folder))
        real = Path(os.path.realpath(folder))  # (Path.resolve raised on a symlink loop)
        for other_key, other in seen:
            if real == other:
                found.append(Problem("error", f"{key}.path", f"same folder as {other_key}"))
            elif other in real.parents:
                found.append(Problem("error", f"{key}.path", f"inside {other_key} ({other})"))
            elif real in other.parents:
                found.append(Problem("error", f"{key}.path", f"contains {other_key} ({other})"))
        seen.append((key, real))
    return found


def _library_not_writable(key: str, folder: Path) -> list[Problem]:
    """A library root this user cannot write: scan and enrich work, and every publish there
    fails (README, "Real setup": the service's user must be able to write the libraries)."""
    if os.access(folder, os.W_OK | os.X_OK):
        return []
    why = _not_writable(folder)
    if "read-only" in why:  # a volume mounted `:ro`, a disk remounted after an I/O error
        fix = "mount it read-write"
    else:
        user = _user_name()
        # quoted for the shell: `/srv/Home Movies` unquoted set ACLs on /srv/Home and ./Movies
        command = ["setfacl", "-R", "-m", f"u:{user}:rwX", "-m", f"d:u:{user}:rwX", str(folder)]
        fix = f"e.g. {shlex.join(command)}"
    return [
        Problem(
            "warning",
            f"{key}.path",
            f"{folder} {why}: publishing writes the NFOs and artwork there, and fails ({fix})",
        )
    ]


def _user_name() -> str:
    try:
        import pwd

        return pwd.getpwuid(os.geteuid()).pw_name
    except (ImportError, KeyError):
        return str(os.geteuid())


def _path_maps_outside_libraries(config: Config) -> list[Problem]:
    """A path_map whose side of ours (a webhook's `to`, a player's `from`) neither lies in a
    library nor holds one maps nothing metarrd has: the example's `/srv/media/movies` left in
    after the libraries were set elsewhere. Radarr's first import is then refused (422), and
    after 5 minutes of refusals Radarr pauses the whole connection."""
    roots = [os.path.normpath(lib.path) for lib in config.library if Path(lib.path).is_absolute()]
    if not roots:
        return []

    def reaches_a_library(ours: str) -> bool:
        ours = os.path.normpath(ours)
        return any(is_inside(ours, root) or is_inside(root, ours) for root in roots)

    sides = [
        (f"webhooks.path_map[{i}].to", entry.to, "a webhook path it maps is refused (422)")
        for i, entry in enumerate(config.webhooks.path_map)
    ]
    player_names = [player.name for player in config.player]
    sides += [
        (
            f"{entry_key('player', i, player.name, player_names)}.path_map[{j}].from",
            entry.from_,
            "it maps no path metarrd publishes, and a path no entry maps is not sent: that player's rescan of it fails",
        )
        for i, player in enumerate(config.player)
        for j, entry in enumerate(player.path_map)
    ]
    return [
        Problem(
            "warning",
            key,
            f"{ours} is in no library and holds none ({', '.join(roots)}): {why}",
        )
        for key, ours, why in sides
        if Path(ours).is_absolute() and not reaches_a_library(ours)
    ]

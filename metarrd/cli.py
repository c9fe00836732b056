"""`metarrd [--config PATH] COMMAND` (docs/interface.md). Exit status: 0 success, 1 when any item
failed (one line per failure on stderr naming the item and the reason), 2 usage or config error."""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import re
import sys
import typing
import unicodedata
from datetime import timedelta
from pathlib import Path

import peewee as pw

from metarrd import db, logs
from metarrd.config import BACKUP_FOLDER, Config, load_config
from metarrd.demo import simulator_stopped
from metarrd.errors import (
    ConfigError,
    LibraryUnreachable,
    MetarrdError,
    NotReady,
    internal_error,
)
from metarrd.files import display, is_utf8, look_refused
from metarrd.logs import escape_controls
from metarrd.paths import deepest_folder, is_inside
from metarrd.text import count

log = logging.getLogger("metarrd")

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
EXIT_PIPE = 141  # 128 + SIGPIPE: what a shell reports for a program whose reader left


class UsageError(MetarrdError):
    pass


def provider_id(text: str) -> int:
    """`--tmdb`/`--tvdb`: an id is 1 to 999,999,999 in ASCII digits (0 is "no id", and int()
    alone takes "-5" or "٣")."""
    if text.isascii() and text.isdigit() and 0 < int(text) < 10**9:
        return int(text)
    raise argparse.ArgumentTypeError(f"{text[:24]!r} is no id (a number such as 603)")


def imdb_id(text: str) -> str:
    """`--imdb`: tt and its digits (tt0133093), as IMDb and TMDB spell it."""
    if re.fullmatch(r"tt[0-9]{5,10}", text.lower()):  # ASCII: "٣" is a digit to \d
        return text.lower()
    raise argparse.ArgumentTypeError(f"{text[:24]!r} is no IMDb id (tt0133093)")


def demo_port(text: str) -> int:
    """`demo --port`: the web UI's port; the provider simulator takes the four after it."""
    if text.isascii() and text.isdigit() and 0 < int(text) <= 65535 - 4:
        return int(text)
    raise argparse.ArgumentTypeError(f"{text[:24]!r}: give a port from 1 to {65535 - 4}")


def config_path(text: str) -> str:
    """`--config PATH`, never empty: `metarrd --config "$CFG" list` with CFG unset had read
    $METARRD_CONFIG or /etc/metarrd/config.toml instead, a script's test run on the live
    configuration (its database, its libraries)."""
    if text:
        return text
    raise argparse.ArgumentTypeError(
        "empty; name the configuration file, or leave --config out to read $METARRD_CONFIG, "
        "else /etc/metarrd/config.toml"
    )


ITEM_HELP = (
    "an item id, as `metarrd list` shows it, the path of its video file, or its movie's, "
    "show's or season's folder"
)


def build_parser() -> argparse.ArgumentParser:
    from metarrd.workflow import STAGES as WORKFLOW_STAGES

    p = argparse.ArgumentParser(
        prog="metarrd", description="Keeps a Kodi-style movie and TV library tagged."
    )
    p.add_argument(
        "--config",
        type=config_path,
        metavar="PATH",
        help="configuration file (default: $METARRD_CONFIG, else /etc/metarrd/config.toml)",
    )
    p.add_argument("-v", "--verbose", action="store_true", help="log progress (INFO) on stderr")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    c = sub.add_parser("config", help="configuration commands")
    c.add_argument("action", choices=["check"], help="validate the configuration")

    s = sub.add_parser("scan", help="scan the libraries (or only PATHs) and identify new items")
    s.add_argument(
        "paths",
        nargs="*",
        metavar="PATH",
        help=(
            "a folder or video file inside a library; another file (an NFO, an image) scans "
            "its movie's, season's or show's folder (default: every library)"
        ),
    )

    i = sub.add_parser("identify", help="identify one item by hand (no search is made)")
    i.add_argument(
        "item",
        metavar="ITEM",
        help=(
            "an item id, as `metarrd list` shows it, the path of its video file, or its "
            "movie's or show's folder (an episode or season: identify its show)"
        ),
    )
    g = i.add_mutually_exclusive_group(required=True)
    g.add_argument("--tmdb", type=provider_id, metavar="ID", help="TMDB id (a TV id for a show)")
    g.add_argument("--imdb", type=imdb_id, metavar="TT", help="IMDb id (tt0133093)")
    g.add_argument("--tvdb", type=provider_id, metavar="ID", help="TheTVDB id (TV shows)")

    for name, helptext, all_help in (
        (
            "enrich",
            "fetch metadata and artwork, score, select and cache them, now",
            "every identified movie and show (enriched ones again), each show whole",
        ),
        (
            "publish",
            "write the NFO and artwork into the library now",
            "every enriched movie and show, each show whole",
        ),
    ):
        e = sub.add_parser(name, help=helptext)
        e.add_argument("--all", action="store_true", help=all_help)
        e.add_argument("items", nargs="*", metavar="ITEM", help=ITEM_HELP)

    lst = sub.add_parser("list", help="every item with its state")
    lst.add_argument("--json", action="store_true", help="one JSON array (docs/interface.md §3)")

    r = sub.add_parser("run", help="the daemon: file watcher + job consumer")
    r.add_argument(
        "--role",
        choices=["all", "watcher", "worker"],
        default="all",
        help="all (default): watch and run jobs; watcher: only scan and enqueue (one per library "
        "host); worker: only run jobs (any number, on any host; docs/scale-out.md)",
    )
    dbp = sub.add_parser("db", help="database commands")
    dbp.add_argument(
        "action", choices=["migrate-to"], help="copy the SQLite database into PostgreSQL"
    )
    dbp.add_argument(
        "url", metavar="URL", help="postgresql://USER:PASSWORD@HOST:PORT/NAME of an empty database"
    )
    w = sub.add_parser("web", help="development web server")
    w.add_argument("--bind", help="HOST:PORT (default: [web] bind)")
    d = sub.add_parser("demo", help="offline demonstration on 127.0.0.1")
    d.add_argument(
        "--port", type=demo_port, default=8787, help="web UI port on 127.0.0.1 (default: 8787)"
    )
    d.add_argument(
        "--dir",
        help="a new or empty folder (or an earlier demo's) to create the demo library and data "
        "in (default: a temp dir)",
    )

    pl = sub.add_parser("players", help="media player commands")
    pl.add_argument(
        "action",
        choices=["test"],
        help="check connection, credentials and path mapping",
    )
    pl.add_argument(
        "name", nargs="?", metavar="NAME", help="a [[player]] name (default: every player)"
    )

    wf = sub.add_parser("workflow", help="show or switch workflow stages")
    wf.add_argument("action", choices=["show", "set"], help="show the switches, or set one")
    wf.add_argument("stage", nargs="?", metavar="STAGE", help=" | ".join(WORKFLOW_STAGES))
    wf.add_argument("value", nargs="?", choices=["on", "off"], help="the new state of STAGE")

    sub.add_parser("passwd", help="set the admin password of the web UI")

    tv = sub.add_parser("tv", help="TV show commands")
    tvs = tv.add_subparsers(dest="tv_command", required=True, metavar="ACTION")
    o = tvs.add_parser(
        "order",
        help="show or set a show's episode order, then match (and enrich) its episodes again",
    )
    o.add_argument(
        "show",
        metavar="SHOW",
        help="the show's item id or folder path (a season or episode names its show)",
    )
    o.add_argument(
        "order",
        nargs="?",
        metavar="ORDER",
        help="tmdb (TMDB aired, the default) | tvdb (TheTVDB aired) | dvd (TheTVDB DVD) | "
        "absolute (TheTVDB absolute: anime files named by absolute number)",
    )
    return p


def _misplaced(extra: list[str]) -> str:
    """What follows "unrecognized arguments: …" when the words hold metarrd's own options,
    given after the command (`metarrd run --config ~/metarrd.toml`, as a user types `git`'s or
    `systemctl`'s): where they go."""
    if not any(w.split("=")[0] in ("--config", "-v", "--verbose") for w in extra):
        return ""
    return " (metarrd's own options go before the command: metarrd [--config PATH] [-v] COMMAND …)"


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)  # parse_args, its error said below
    if args.command == "workflow" and args.action == "show":
        # `workflow show publishing` had shown the switches, the word taken for STAGE unread
        extra = [word for word in (args.stage, args.value) if word is not None] + extra
    if extra:
        parser.error(f"unrecognized arguments: {' '.join(extra)}{_misplaced(extra)}")
    daemonish = args.command in ("run", "web", "demo")
    logs.install()  # untrusted text (request paths, file names) cannot forge log lines
    logs.configure(
        level=logging.INFO if (args.verbose or daemonish) else logging.ERROR,
        stream=sys.stdout if daemonish else sys.stderr,
        timed=daemonish,
    )
    try:
        if args.command == "demo":
            from metarrd.demo import run_demo

            return run_demo(args)
        with _output_named(not daemonish):
            if args.command == "config":
                status = cmd_config_check(args.config)
            else:
                config = load_config(args.config)
                daemon = args.command == "run"
                if _asks_providers(args) and (why := simulator_stopped(config, daemon=daemon)):
                    print(f"metarrd: {why}", file=sys.stderr)
                    return EXIT_FAILED
                status = COMMANDS[args.command](config, args)
            if sys.stdout is not None:  # what is still buffered fails here, not at exit (120)
                sys.stdout.flush()
        return status
    except OutputError as exc:  # `list --json > FILE` on a full disk, as cat says "write error"
        print(f"metarrd: cannot write the output: {exc}", file=sys.stderr)
        _drop_output()
        return EXIT_FAILED
    except ConfigError as exc:
        print(f"metarrd: configuration error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except UsageError as exc:
        print(f"metarrd: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except db.SchemaTooNew as exc:  # a downgrade: said, nothing changed; no retry mends it
        print(f"metarrd: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except LibraryUnreachable as exc:  # the image cache hangs: nothing done (`_cache_answers`)
        print(f"metarrd: {exc}; try again once it does", file=sys.stderr)
        return EXIT_FAILED
    except pw.OperationalError as exc:
        if db.unavailable(exc):  # PostgreSQL down, starting, full of clients, a standby
            reason = str(exc).strip().splitlines()[0]
            print(
                f"metarrd: the database cannot be reached or takes no writes now: {reason}; "
                "try again once it does",
                file=sys.stderr,
            )
            return EXIT_FAILED
        if not db.locked(exc):
            raise
        if _busy_snapshot(exc):  # no lock was waited for: said as what it was, not "15 s"
            print(f"metarrd: {db.lock_reason(exc)}; run the command again", file=sys.stderr)
            return EXIT_FAILED
        # another process held the write lock past busy_timeout: a daemon migrating a large
        # database after an upgrade had made `list --json` a traceback
        print(
            "metarrd: the database is locked: another metarrd process has been writing to it for "
            f"longer than {db.PRAGMAS['busy_timeout'] / 1000:g} s (migrating it after an "
            "upgrade?); try again once it is done",
            file=sys.stderr,
        )
        return EXIT_FAILED
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `metarrd list | head`: the reader left; end quietly, as cat does
        _drop_output()
        return EXIT_PIPE


def _asks_providers(args) -> bool:
    """The command asks TMDB, fanart.tv or TheTVDB (`scan` to identify what it finds, `tv order
    SHOW ORDER` to match and enrich the show again): on a kept demo's configuration it needs
    the demo's simulator running (`metarrd.demo.simulator_stopped`)."""
    if args.command == "tv":
        return args.order is not None
    return args.command in ("scan", "identify", "enrich", "run")


def _busy_snapshot(exc: pw.OperationalError) -> bool:
    """SQLite's other "database is locked" (SQLITE_BUSY_SNAPSHOT): another process wrote between
    this transaction's read and its write, raised at once, with no wait for any lock (the
    sqlite3 error, with its extended code, is peewee's first argument)."""
    import sqlite3

    inner = next((e for e in (*exc.args, exc.__context__) if isinstance(e, sqlite3.Error)), None)
    return getattr(inner, "sqlite_errorcode", None) == sqlite3.SQLITE_BUSY_SNAPSHOT


def _drop_output() -> None:
    """Standard output goes nowhere from now on: no second error at exit's flush."""
    with contextlib.suppress(OSError, ValueError):
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


class OutputError(Exception):
    """Standard output could not be written (a full disk under `> FILE`, /dev/full): why."""


class _Output:
    """`sys.stdout` while a command runs: a write or flush that fails says it was the output's
    (an OSError from anywhere else stays what it is); a reader that left stays BrokenPipeError."""

    def __init__(self, stream: typing.TextIO) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        try:
            return self._stream.write(text)
        except BrokenPipeError:
            raise
        except OSError as exc:
            raise OutputError(exc.strerror or str(exc)) from exc

    def flush(self) -> None:
        try:
            self._stream.flush()
        except BrokenPipeError:
            raise
        except OSError as exc:
            raise OutputError(exc.strerror or str(exc)) from exc

    def __getattr__(self, name: str) -> typing.Any:
        return getattr(self._stream, name)


@contextlib.contextmanager
def _output_named(wrap: bool) -> typing.Iterator[None]:
    # no standard output at all (closed: `>&-`): Python's None, which `print` skips
    if not wrap or sys.stdout is None:
        yield
        return
    stream = sys.stdout
    sys.stdout = _Output(stream)
    try:
        yield
    finally:
        sys.stdout = stream


def cmd_config_check(path: str | None) -> int:
    """Every problem on stderr, one line each; exit 2 when any is an error (warnings: 0)."""
    from metarrd.config_check import check_file

    cfg_path, config, problems = check_file(path)
    if config is not None and not any(p.key == "data_dir" for p in problems):  # it answers
        problems.extend(_kind_guards(config))
    errors = [p for p in problems if p.level == "error"]
    warnings = [p for p in problems if p.level == "warning"]
    for problem in problems:
        print(f"{problem.level}: {problem}", file=sys.stderr)
    if errors:
        print(
            f"{cfg_path}: {count(errors, 'error')}, {count(warnings, 'warning')}", file=sys.stderr
        )
        return EXIT_USAGE
    assert config is not None
    also = f"; {count(warnings, 'warning')}" if warnings else ""
    libraries = count(config.library, "library", "libraries")
    print(f"{cfg_path}: OK ({libraries}, {count(config.player, 'player')}){also}")
    return EXIT_OK


def _kind_guards(config: Config) -> list:
    """The guards of a library's kind changed the next scan would hold (docs/tv.md, "A
    library's kind changed"), read from the SQLite database when there is one: said here too,
    not at scan time only. Not a PostgreSQL one: a check never waits on a server."""
    if config.uses_postgresql or not Path(config.data_dir).is_absolute():
        return []
    try:
        if not config.db_path.is_file():  # never made here
            return []
    except OSError:  # not ours to look into: said of data_dir
        return []
    from metarrd.config import Problem, entry_key
    from metarrd.scan import guards_in_database

    names = [lib.name for lib in config.library]
    return [
        Problem("warning", f"{entry_key('library', names.index(name), name, names)}.kind", said)
        for name, said in guards_in_database(config.db_path, config.library)
    ]


def _runtime(config: Config):
    from metarrd.publish import follow_players
    from metarrd.runtime import open_runtime

    rt = open_runtime(config)
    follow_players()  # a Plex player added or taken off: its movies to republish
    return rt


def _cache_answers(rt, *folders: Path) -> None:
    """Before a command run by hand stores or reads pictures: the image cache (`[cache] dir` on
    a NAS) looked at as the daemon's jobs look at it, a few seconds at most. Its hung hard mount
    had hung the terminal for good, in a stat Ctrl-C cannot interrupt."""
    from metarrd.pipeline.steps import unanswered_cache

    if hung := unanswered_cache(rt, *folders):
        raise LibraryUnreachable(hung)


def _hung_roots(rt, paths: list[str] | None = None) -> list[str]:
    """The library roots (those holding `paths`, or all) whose mount does not answer."""
    from metarrd.pipeline.steps import unanswered_roots

    return unanswered_roots(rt, {} if paths is None else {"paths": paths})


def _not_answering(root: str) -> str:
    return f"library root {display(root)} does not answer (a hung network mount?)"


def _absolute(spec: str) -> str:
    """`spec` as an absolute path, a relative one read from the folder the shell says one is in
    ($PWD, which keeps the symlinks on the way) when that is the working folder: in a library
    configured through a symlink (`/srv/media/movies` -> the NAS's mount), the process's own
    working folder is the real path, which is in no library. Its look is the watcher's
    (`root_identity`, a few seconds at most on a hung mount). A `~/` the shell left (quoted:
    `"~/Movies/Heat (1995)"`, as a name with spaces is typed) is the home folder, as the
    shell's own expansion would have made it; `./~` still names a folder called `~`."""
    if spec == "~" or spec.startswith("~" + os.sep):
        spec = os.path.expanduser(spec)
    path = os.path.normpath(Path(spec).absolute())
    pwd = os.environ.get("PWD", "")
    if os.path.isabs(spec) or not os.path.isabs(pwd) or is_inside(path, pwd):
        return path
    from metarrd.mounts import UNREACHABLE, root_identity

    here = root_identity(os.getcwd())
    if here in (None, UNREACHABLE) or root_identity(pwd) != here:
        return path  # $PWD is stale (another folder): the real path
    return os.path.normpath(os.path.join(pwd, spec))


def resolve_item(spec: str, *, all_too: bool = False) -> db.Movie:
    """ITEM is an item id (as `list` shows) or the path of its video file, or a folder that
    names one item (`_item_of_folder`). `all_too`: the command takes `--all` as well, which a
    folder of several items suggests."""
    movie = None
    if spec.isdigit():
        movie = db.Movie.get_or_none(db.Movie.id == int(spec))
    path = _absolute(spec) if movie is None else ""
    if movie is None and is_utf8(path):  # a name that is not UTF-8 is never stored (walk.py)
        path = _as_stored(path, _shown(spec))
        movie = db.Movie.get_or_none(db.Movie.path == path) or _item_of_folder(
            path, _shown(spec), all_too
        )
    if movie is None:
        raise UsageError(
            f"no item {_shown(spec)} (give an id from `metarrd list`, a video file path or its folder)"
        )
    return movie


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def _as_stored(
    path: str, shown: str, instead: str = "give the item's id from `metarrd list`"
) -> str:
    """`path` as the items spell it when it was typed in the other Unicode normalisation: a
    keyboard types "Amélie (2001)" composed (NFC), a Mac's share or a NAS holds the name
    decomposed (NFD), or the reverse, and the scan stores names as the disk spells them, so
    `metarrd publish "…/Amélie (2001)"` named no item. `path` itself when an item is spelled as
    typed at or below it, or none in either form; two spellings of it (two folders "Léon" on a
    Linux disk, one NFC, one NFD) name neither: a usage error showing each one's item."""
    if path.isascii():
        return path
    typed = path.split(os.sep)
    first = next(i for i, name in enumerate(typed) if not name.isascii())
    head = os.sep.join(typed[:first]) + os.sep  # the items below its last ASCII folder
    wanted = [_nfc(name) for name in typed]
    spellings: dict[str, int] = {}  # spelling -> the first item at or below it
    M = db.Movie
    for item_id, stored in M.select(M.id, M.path).where(M.path.startswith(head)).tuples():
        names = stored.split(os.sep)
        same = 0
        while same < min(len(names), len(typed)) and _nfc(names[same]) == wanted[same]:
            same += 1
        if same > first and all(name.isascii() for name in typed[same:]):
            spelled = os.sep.join(names[:same] + typed[same:])
            spellings[spelled] = min(item_id, spellings.get(spelled, item_id))
    if path in spellings or not spellings:
        return path
    if len(spellings) == 1:
        return next(iter(spellings))
    raise UsageError(escape_controls(_two_spellings(shown, spellings, instead)))


def _two_spellings(shown: str, spellings: dict[str, int], instead: str) -> str:
    """The usage error of a path that names several folders or files whose names differ only in
    their Unicode normalisation: which form each is, an item of each, and what to do instead."""

    def form(spelled: str) -> str:
        if _nfc(spelled) == spelled:
            return "composed, NFC"
        if unicodedata.normalize("NFD", spelled) == spelled:
            return "decomposed, NFD"
        return "NFC and NFD mixed"

    each = "; ".join(
        f"{spelled} ({form(spelled)}: item {item_id})"
        for spelled, item_id in sorted(spellings.items(), key=lambda s: s[1])
    )
    return (
        f"{shown} is spelled {len(spellings)} ways in the library, their names the same but for "
        f"their Unicode normalisation: {each}; {instead}"
    )


def _as_on_disk(config: Config, path: str) -> str:
    """A scan PATH as the disk spells it (`spelling.on_disk`; `_as_stored` for an ITEM): a name
    typed in the other Unicode normalisation than its folder holds it is that one; two there,
    the same but for their normalisation, are a usage error. Only inside a library, whose root
    is read as configured."""
    from metarrd.spelling import SpelledTwice, on_disk

    roots = [lib.path for lib in config.library if is_inside(_nfc(path), _nfc(lib.path))]
    if not roots:
        return path
    try:
        return on_disk(path, max(roots, key=len))
    except SpelledTwice as exc:
        raise UsageError(f"{_shown(path)} names {exc}; scan the folder that holds them") from None


def _shown(spec: str) -> str:
    return repr(spec) if is_utf8(spec) else f"'{display(spec)}'"  # \xe9, not \\xe9


FOLDER_SHOWS = 3  # the items a folder of several names on its usage error


def _item_of_folder(path: str, shown: str, all_too: bool) -> db.Movie | None:
    """The one item a folder names, as tinyMediaManager, MediaElch and a shell's completion
    (which stops at the folder) have a user give it: a movie's folder, its disc structure's
    (`VIDEO_TS`, `BDMV`) or its stack's `CD1`/`CD2`; a show's folder (its path); a season's
    folder (`Season 01`, `Specials`: the season of the episodes in it). A folder of several
    items (a category folder, a library root) names none of them: a usage error saying how
    many and showing a few, never one picked. Items whose file is gone (`missing`) count only
    when nothing else is there. None where no item is at or below `path`."""
    from metarrd import walk

    holder = _holder_of(path)
    if holder is not None and holder.kind == db.SHOW:
        return _season_of_folder(holder, path, shown)
    if holder is not None:  # a disc's structure, or a folder in it
        return holder
    # LIKE: case-insensitive in SQLite, ILIKE in PostgreSQL, so each is checked below; a
    # library root's tens of thousands read as the few columns looked at
    tops = sorted(
        (
            m
            for m in db.Movie.select(
                db.Movie.id, db.Movie.path, db.Movie.kind, db.Movie.missing
            ).where(db.Movie.path.startswith(path + os.sep), db.Movie.kind.in_((db.MOVIE, db.SHOW)))
            if is_inside(m.path, path)
        ),
        key=lambda m: m.path,
    )
    name = os.path.basename(path)
    if not tops and walk.is_stack_folder(name):  # `CD2/`: the stack's first part is in `CD1/`
        above = os.path.dirname(path)
        tops = [
            m
            for m in db.Movie.select().where(
                db.Movie.path.startswith(above + os.sep), db.Movie.kind == db.MOVIE
            )
            if any(is_inside(part, path) for part in m.parts or ())
        ]
    tops = [m for m in tops if not m.missing] or tops
    if len(tops) <= 1:
        return db.Movie.get_by_id(tops[0].id) if tops else None
    some = ", ".join(f"item {m.id} {m.path}" for m in tops[:FOLDER_SHOWS])
    more = (
        f", and {len(tops) - FOLDER_SHOWS} more (`metarrd list`)"
        if len(tops) > FOLDER_SHOWS
        else ""
    )
    kinds = {m.kind for m in tops}
    what = "movies" if kinds == {db.MOVIE} else "shows" if kinds == {db.SHOW} else "items"
    raise UsageError(
        escape_controls(
            f"{shown} holds {len(tops)} {what}, not one: give "
            + ("--all or " if all_too else "")
            + f"one of them: {some}{more}"
        )
    )


def _holder_of(path: str) -> db.Movie | None:
    """The show, or the movie's disc structure, whose folder holds `path` (the deepest)."""
    above, ancestors = path, []
    while (up := os.path.dirname(above)) != above:
        ancestors.append(up)
        above = up
    holders = db.Movie.select().where(
        db.Movie.path.in_(ancestors),
        (db.Movie.kind == db.SHOW) | ((db.Movie.kind == db.MOVIE) & db.Movie.is_disc),
    )
    return max(holders, key=lambda m: len(m.path), default=None)


def _season_of_folder(show: db.Movie, path: str, shown: str) -> db.Movie:
    """A folder in a show's: the season of the episodes in it (`Season 01`, `Specials`)."""
    episodes = [
        e
        for e in db.Movie.select().where(
            db.Movie.show == show.id,
            db.Movie.kind == db.EPISODE,
            db.Movie.path.startswith(path + os.sep),
        )
        if is_inside(e.path, path)
    ]
    present = [e for e in episodes if not e.missing] or episodes
    # a file named by air date (a daily show's) has the season identify matched it to
    seasons = sorted({n for e in present if (n := e.episode_numbers()[0]) is not None})
    season = (
        db.Movie.get_or_none(
            db.Movie.show == show.id, db.Movie.kind == db.SEASON, db.Movie.season == seasons[0]
        )
        if len(seasons) == 1
        else None
    )
    if season is not None:
        return season
    give = f"give the show (item {show.id} or its folder {show.path}), or one episode's file"
    if not episodes:  # an empty season folder made ahead; a file not scanned yet (no stat
        # here: a hung mount would hang the command before it said so)
        raise UsageError(
            escape_controls(
                f"no item {shown}: show item {show.id} ({show.display_title}) has no episode "
                f"metarrd knows there (a new one? `metarrd scan` it first); {give}"
            )
        )
    if seasons:
        held = f"holds episodes of seasons {', '.join(map(str, seasons))}"
    else:
        held = "holds episodes with no season number"
    raise UsageError(
        escape_controls(f"{shown} {held} of show item {show.id} ({show.display_title}): {give}")
    )


def _items(args) -> list[db.Movie]:
    if args.all and args.items:
        raise UsageError("give ITEMs or --all, not both")
    if not args.all and not args.items:
        raise UsageError("give at least one ITEM, or --all")
    return [resolve_item(s, all_too=True) for s in args.items]


def _fail_line(movie: db.Movie, reason: str) -> None:
    """One line, whatever the file's name holds (a newline: `\\n`, as the logs write it); a
    reason that names the item itself (`item 3 (Heat): cannot publish…`) is not named twice."""
    reason = reason.removeprefix(f"{movie.label}: ")
    print(escape_controls(f"item {movie.id} ({movie.path}): {reason}"), file=sys.stderr)


def _failed(stage: str, movie: db.Movie, exc: Exception) -> None:
    """A stage run by hand failed: recorded once on the item, as the job runner records it. An
    exception that is none of ours (a bug) says "internal error: …" as a job's does; its
    traceback is logged, shown with --verbose. Either way the other items go on."""
    reason = str(exc)
    if not isinstance(exc, MetarrdError):
        log.info("item %d: %s: internal error", movie.id, stage, exc_info=exc)
        reason = internal_error(exc)
    if not isinstance(exc, NotReady):  # refused, not failed: its own reason stays (errors.py)
        db.record_failure(stage, movie.id, reason)
    _fail_line(movie, reason)


def _scope_of_file(config: Config, path: str) -> str:
    """A PATH that is a file but no video (an NFO edited by hand, a poster put in): the folder
    the daemon's watcher scans for that change (its movie's, season's or show's), so that the
    scan reads it. `metarrd scan "Heat (1995)/Heat (1995).nfo"` walked that one file, found
    no video, and said `scanned 0 videos` with exit 0, the edit unread."""
    from metarrd.pipeline.watch import scope_for, tv_scope
    from metarrd.walk import VIDEO_EXTENSIONS

    if Path(path).suffix.lower() in VIDEO_EXTENSIONS or not os.path.isfile(path):
        return path
    for lib in config.library:
        if is_inside(path, lib.path) and os.path.normpath(path) != os.path.normpath(lib.path):
            return tv_scope(path, lib.path) if lib.kind == "tv" else scope_for(path, lib.path)
    return path


def cmd_scan(config: Config, args) -> int:
    from metarrd.identify import identify_many
    from metarrd.pipeline.steps import after_scan_of, gone_from_library, items_on
    from metarrd.publish import tell_players_moved
    from metarrd.scan import ScanReport, mark_gone, scan, stack_folders
    from metarrd.spelling import in_configured_root

    rt = _runtime(config)
    _cache_answers(rt, config.cache_dir)  # a movie's own artwork is copied into it
    # its library's root as configured before the look at the hung roots, which compares
    # paths as they are spelled: typed in the other Unicode normalisation, the look for the
    # disk's spelling below it (`_as_on_disk`) listed a hung root, and hung for good
    roots = [lib.path for lib in config.library]
    paths = [in_configured_root(_absolute(p), roots) for p in args.paths]
    hung = _hung_roots(rt, paths or None)
    for root in hung:  # scanned by hand once it answers; the other libraries are scanned now
        print(f"{_not_answering(root)}; not scanned", file=sys.stderr)
    if hung and not paths:
        paths = [lib.path for lib in config.library if lib.path not in hung]
    elif hung:
        paths = [p for p in paths if not any(is_inside(p, root) for root in hung)]
    # only now looked at (a PATH in a hung mount would block its look for good); a name typed
    # in the other Unicode normalisation than the disk's is the disk's (`_as_on_disk`)
    spelled, ambiguous = [], 0
    for path in paths:
        try:
            spelled.append(_as_on_disk(config, path))
        except UsageError as exc:  # two names the same but for their normalisation: not scanned
            print(escape_controls(f"{exc}; not scanned"), file=sys.stderr)
            ambiguous += 1
    paths = [_scope_of_file(config, p) for p in spelled]
    # there but not to be looked at (EACCES of a folder on the way, EIO of a share): the scan's
    # own looks raised, and `metarrd scan` as a user who may not enter it was a traceback
    unseen = [(p, exc) for p in paths if (exc := look_refused(p)) is not None]
    for path, exc in unseen:
        line = f"{display(path)}: cannot be looked at: {exc.strerror}; not scanned"
        print(escape_controls(line), file=sys.stderr)
    paths = [p for p in paths if p not in dict(unseen)]
    # deleted by hand: not walked (the walk said `folder not found` and kept its items); they
    # are marked missing after the walk, as the daemon's scan of a folder the watcher saw go
    # (`gone_from_library`: never while the library's root is gone or empty, a share not
    # mounted). One where no item was ever known is a failure
    gone: dict[str, bool] = {}  # as its items spell it -> whether any item was ever there
    for path in [p for p in paths if gone_from_library(rt, p)]:
        paths.remove(path)
        try:  # the disk no longer tells how it was spelled: its items do (`_as_stored`)
            # `scan` takes no item id: a scan of the library marks what is gone
            stored = _as_stored(path, _shown(path), "scan the library to mark what is gone")
        except UsageError as exc:
            print(escape_controls(f"{exc}; not scanned"), file=sys.stderr)
            ambiguous += 1
            continue
        # a stack's later part (`cd2`): no item is named so; its stack's folder is scanned,
        # and the item keeps its other parts
        if parted := stack_folders([stored]):
            paths.extend(folder for folder in parted if folder not in paths)
            continue
        gone[stored] = items_on(stored, missing_too=True)
    # an empty list would scan every library
    report = (
        scan(rt, [Path(p) for p in paths] or None)
        if paths or not (hung or unseen or ambiguous or gone)
        else ScanReport()
    )
    failed = len(report.errors) + len(hung) + len(unseen) + ambiguous
    for path, known in gone.items():
        marked = mark_gone(rt.config, [path])  # after the walk, which may find where they went
        report.missing += marked
        if marked:
            line = f"{display(path)} is gone: {count(marked, 'item')} marked missing, data kept"
            print(escape_controls(line))
        elif not known:
            line = f"{display(path)}: not there, and no item was known there; not scanned"
            print(escape_controls(line), file=sys.stderr)
            failed += 1
    # a folder renamed by hand: the players told about the old path are told the new one, as
    # the daemon's own scan does (sent below, before the command returns); nothing may be left
    # to publish
    moved_told = tell_players_moved(report.moved)
    for item, reason in report.errors:
        # a file's problem starts with its name (for list --json and the UI): said once here
        reason = reason.removeprefix(f"{item}: ").removeprefix(f"{Path(item).name}: ")
        print(escape_controls(f"{display(item)}: {reason}"), file=sys.stderr)  # Latin-1: \xe9
    identified = unsure = 0
    # and those whose identify failed at an earlier scan (TMDB down) are tried again: found
    # unchanged, they were left unidentified for good
    scopes = paths or ([] if (hung or unseen or ambiguous or gone) else roots)
    todo = [s.movie_id for s in after_scan_of(rt, report, {}, scopes) if s.kind == "identify"]
    done: list[int] = []  # identified now: a show's files its identify left unmatched follow
    if todo:
        for outcome in identify_many(rt, todo):
            if outcome.identified:
                identified += 1
                done.append(outcome.movie_id)
            else:
                unsure += 1
                movie = db.Movie.get_by_id(outcome.movie_id)
                if outcome.error:
                    failed += 1
                    _fail_line(movie, outcome.reason)
                else:
                    line = f"unidentified: item {movie.id} ({movie.path}): {outcome.reason}"
                    print(escape_controls(line))
        unsure += _episodes_left(done, {path for path, _reason in report.errors}, set(todo))
    counts = report.counts()
    videos = {name: n["videos"] for name, n in counts.items()}
    shows = ", ".join(f"{n['shows']} {name}" for name, n in counts.items() if n["shows"])
    print(
        f"scanned {count(report.found, 'video')}: {videos['new']} new, {videos['changed']} changed, "
        f"{videos['moved']} moved, {videos['missing']} missing, {report.unchanged} unchanged; "
        + (f"shows: {shows}; " if shows else "")
        + f"{identified} identified, {unsure} left unidentified"
    )
    if report.skipped:
        print(
            f"skipped {report.skipped} by name (samples, trailers, extras): each library lists "
            "them, with the rule, on the web UI's Settings page (/settings#libraries)"
        )
    if moved_told:
        _tell_players(rt, {player.name for player in config.player})
    return EXIT_FAILED if failed else EXIT_OK


def _episodes_left(shows: list[int], said: set[str], own: set[int]) -> int:
    """The episode files of the shows identified just now that their identify left unmatched
    (`S01E07` of a show of three episodes, a number TheTVDB's order lacks), one line each as a
    film's: the show's line counted them nowhere, and the scan said nothing of them. Not those
    whose name's problem the scan printed already (`said`: their paths), nor those identified
    on their own (`own`: their outcome printed theirs). How many."""
    left = db.Movie.select().where(
        db.Movie.show.in_(shows), db.Movie.kind == db.EPISODE, ~db.Movie.missing,
        db.Movie.identification_status == db.UNIDENTIFIED,
    ).order_by(db.Movie.path)  # fmt: skip
    count = 0
    for episode in left if shows else []:
        if episode.path in said or episode.id in own:
            continue
        reason = episode.last_error or "not matched"
        print(escape_controls(f"unidentified: item {episode.id} ({episode.path}): {reason}"))
        count += 1
    return count


def cmd_identify(config: Config, args) -> int:
    from metarrd.identify import manual_identify

    rt = _runtime(config)
    movie = resolve_item(args.item)
    if movie.kind == db.MOVIE and args.tvdb:  # a wrong command line: not the item's failure
        raise UsageError("--tvdb identifies TV shows; a movie takes --tmdb or --imdb")
    if movie.kind in (db.SEASON, db.EPISODE):
        raise UsageError(
            f"item {movie.id} is part of a show: identify its show (item {movie.show_id}) "
            "instead; its episodes follow the show's numbers"
        )
    try:
        outcome = manual_identify(
            rt, movie, tmdb_id=args.tmdb, imdb_id=args.imdb, tvdb_id=args.tvdb
        )
    except Exception as exc:  # ours, or a bug: one line either way (_failed)
        _failed("identify", movie, exc)
        return EXIT_FAILED
    if not outcome.identified:
        _fail_line(movie, outcome.reason)
        return EXIT_FAILED
    print(escape_controls(outcome.reason))
    _enrich_next(rt, db.Movie.get_by_id(movie.id))
    return EXIT_OK


def _enrich_next(rt, movie: db.Movie) -> None:
    """What follows an identify by hand when the `enrichment` stage is on: a running daemon
    enriches the item, as it does one whose candidate was chosen in the UI (a job queued for
    it, `chain.after_identify`); without one, the line names the command that does it. The
    item stayed "identified" beside a running daemon, with no word of what was left to do."""
    from metarrd import workflow
    from metarrd.pipeline.chain import after_identify

    stages = workflow.all_stages(rt.config)
    for step in after_identify(movie.id, True, True, stages, movie.kind):
        if not _daemon_consuming():
            print(f"item {movie.id}: `metarrd enrich {movie.id}` fetches its metadata and artwork")
            return
        from metarrd.pipeline import jobs

        jobs.use_queue(rt.config)
        job = jobs.enqueue_enrich(step.movie_id)
        print(f"item {movie.id}: the running daemon enriches it (job {job.id})")


def cmd_enrich(config: Config, args) -> int:
    rt = _runtime(config)
    movies = _items(args) or list(
        db.Movie.select().where(
            db.Movie.identification_status.in_([db.IDENTIFIED, db.ENRICHED]),
            ~db.Movie.missing,
            db.Movie.kind.in_([db.MOVIE, db.SHOW]),  # a show brings its seasons and episodes
        )
    )
    # a show or a season enriches the whole show, once; episodes alone, those episodes
    # (enrich/tv.py `_scope`; the episodes of one show in one run: `enrich_items`)
    whole: dict[int, db.Movie] = {}
    for m in movies:
        if m.kind in (db.SHOW, db.SEASON):
            whole.setdefault(m.id if m.kind == db.SHOW else m.show_id, m)
    todo, seen = [], set()
    for movie in movies:
        show = movie.id if movie.kind == db.SHOW else movie.show_id
        if movie.kind != db.MOVIE and show in whole:
            movie = whole[show]
        if movie.id not in seen:
            seen.add(movie.id)
            todo.append(movie)
    return EXIT_FAILED if _enrich_and_report(rt, todo) else EXIT_OK


def _enrich_and_report(rt, movies: list) -> int:
    """Enrich `movies` (several at once: `[enrich] items`), a line each; how many failed."""
    from metarrd.enrich import enrich_items

    # every picture is stored in the image cache, and its preview in the data folder
    _cache_answers(rt, rt.config.cache_dir, rt.config.previews_dir)
    failed = 0
    for movie, result, exc in enrich_items(rt, movies):
        if exc is None:
            print(escape_controls(f"item {movie.id}: {result}"), flush=True)
        else:
            failed += 1
            _failed("enrich", movie, exc)
    return failed


def cmd_publish(config: Config, args) -> int:
    from metarrd.errors import StageDisabled
    from metarrd.publish import publish_many

    rt = _runtime(config)
    movies = _items(args) or list(
        db.Movie.select().where(
            db.Movie.identification_status == db.ENRICHED,
            ~db.Movie.missing,
            db.Movie.kind.in_([db.MOVIE, db.SHOW]),  # a show covers its seasons and episodes
        )
    )
    _cache_answers(rt, config.cache_dir)  # its pictures are copied from there
    failed = 0
    roots = [lib.path for lib in config.library]
    hung = _hung_roots(rt, sorted({r for m in movies if (r := deepest_folder(m.path, roots))}))
    todo = []
    for movie in movies:  # its library's mount hangs: a publish there would hang for good
        root = deepest_folder(movie.path, roots)
        if root in hung:
            failed += 1
            _fail_line(movie, _not_answering(root))
        else:
            todo.append(movie)
    try:  # in batches under one pair of durability barriers (docs/publish.md, "Writing safely")
        outcomes = publish_many(rt, todo)
    except StageDisabled as exc:  # refused for every item, as each would be
        outcomes = [exc] * len(todo)
    except Exception:  # a bug in one item ended the batch: each alone, so only that one fails
        log.info("publish: a batch failed; publishing its items one by one", exc_info=True)
        outcomes = [_publish_one(rt, movie) for movie in todo]
    for movie, outcome in zip(todo, outcomes, strict=True):
        if isinstance(outcome, Exception):
            failed += 1
            _failed("publish", movie, outcome)
        else:
            print(escape_controls(f"item {movie.id}: {outcome}"))
    _tell_players(rt, {n for o in outcomes if not isinstance(o, Exception) for n in o.players})
    return EXIT_FAILED if failed else EXIT_OK


def _left_to_the_daemon(labels: list[str]) -> str:
    """The line for players a running daemon tells: `Kodi "Living room": … tells it`, one
    player said as one (`Kodi "Living room", Plex "Den": … tells them` for several)."""
    if len(labels) == 1:
        return f"{labels[0]}: the running daemon tells it"
    return f"{', '.join(labels)}: the running daemon tells them"


def _tell_players(rt, names: set[str]) -> None:
    """Send the players a publish or scan just queued (`telling Kodi "Living room"`) now, in this
    process, without waiting for the coalescing window: a command by hand may have no daemon to
    send them. A player that does not answer keeps its notification for the daemon's retries;
    a line each."""
    if not names:
        return
    if _daemon_consuming():
        # a daemon sending the same rows beside this process told Kodi twice at once: a second
        # RefreshMovie read the first's reset play count as the movie's, and the watched state
        # the first gave back was reset again. Its queue gets one notify job instead.
        from metarrd.pipeline import jobs

        jobs.use_queue(rt.config)
        jobs.enqueue_notify()
        labels = [p.label for p in rt.config.player if p.name in names]
        labels += sorted(f'player "{n}"' for n in names - {p.name for p in rt.config.player})
        print(escape_controls(_left_to_the_daemon(labels)), flush=True)
        return
    from metarrd.players import process_notifications

    window = timedelta(seconds=rt.config.daemon.notify_window_seconds)
    for report in process_notifications(rt, now=db.now() + window, players=sorted(names)):
        line = f"{report.who}: {report}"
        if report.retrying:
            line += " (the daemon, `metarrd run`, retries it)"
        elif report.looking:
            line += " (the daemon, `metarrd run`, looks at it again)"
        print(escape_controls(line), flush=True)


def _daemon_consuming() -> bool:
    """Whether a daemon (`metarrd run`) is running its job queue: its heartbeat, as /healthz
    reads it, is fresh and its consumer alive."""
    import time

    from metarrd.heartbeat import HEARTBEAT_KEY, heartbeat_checks

    raw = db.get_meta(HEARTBEAT_KEY)
    return heartbeat_checks(raw, time.time())["consumer"].startswith("ok")


def _publish_one(rt, movie: db.Movie):
    from metarrd.publish import publish_many

    try:
        return publish_many(rt, [movie])[0]
    except Exception as exc:
        return exc


def cmd_list(config: Config, args) -> int:
    _runtime(config)
    movies = db.Movie.select().where(db.Movie.kind.in_(db.LISTED_KINDS)).order_by(db.Movie.id)
    if args.json:
        counts = dict(
            db.Movie.select(db.Movie.show, pw.fn.COUNT(db.Movie.id))
            .where(db.Movie.kind == db.EPISODE)
            .group_by(db.Movie.show)
            .tuples()
        )
        entries = [m.as_list_entry(episode_count=counts.get(m.id, 0)) for m in movies]
        waiting = dict(  # the shows not identified (yet): their episodes wait for them
            db.Movie.select(db.Movie.id, db.Movie.last_error)
            .where(db.Movie.kind == db.SHOW, db.Movie.identification_status == db.UNIDENTIFIED)
            .tuples()
        )
        for e in entries:
            if (
                e["kind"] == db.EPISODE
                and e["show_id"] in waiting
                and e["identification_status"] == db.UNIDENTIFIED
                and e["last_error"] is None
            ):
                e["last_error"] = _show_not_identified(e["show_id"], waiting[e["show_id"]])
        if sys.stdout is not None:  # closed (`>&-`): print writes nothing, json.dump would fail
            json.dump(entries, sys.stdout, ensure_ascii=False, indent=1)
        print()
        return EXIT_OK
    items = list(movies)
    counts: dict[int, tuple[int, int]] = {
        show: (n, missing)
        for show, n, missing in db.Movie.select(
            db.Movie.show,
            pw.fn.COUNT(db.Movie.id),
            pw.fn.COUNT(pw.Case(None, [(db.Movie.missing, 1)])),
        )
        .where(db.Movie.kind == db.EPISODE)
        .group_by(db.Movie.show)
        .tuples()
    }
    show_ids = {m.show_id for m in items if m.kind == db.EPISODE and m.show_id}
    shows = {
        i: title or Path(path).name
        for i, title, path in db.Movie.select(db.Movie.id, db.Movie.title, db.Movie.path)
        .where(db.Movie.id.in_(sorted(show_ids)))
        .tuples()
    }
    for m in items:
        state = "missing" if m.missing else m.identification_status
        name = _list_name(m, shows, counts)
        print(escape_controls(f"{m.id:>6}  {state:<12} {m.publish_state:<11} {name}  {m.path}"))
    return EXIT_OK


def _show_not_identified(show_id: int, reason: str | None) -> str:
    """An unidentified episode's reason when it is its show's (docs/interface.md: an episode is
    unidentified "while its show is …: `last_error` then says which")."""
    if reason:
        return f"its show (item {show_id}) is not identified: {reason}"
    return f"its show (item {show_id}) is not identified yet"


def _list_name(m: db.Movie, shows: dict[int, str], counts: dict[int, tuple[int, int]]) -> str:
    """How plain `list` names an item: a movie "Heat (1995)", a show "Breaking Bad (2008)
    [show: 62 episode files]" (those gone apart, "60 episode files, 2 missing": their items are
    listed, `missing`), after it its numbering note, `[numbering: …]`, where it has
    one (what `tv order` prints, `list --json`'s `numbering_note`: before the path, which stays
    last), an episode file after its show and its numbers ("Breaking Bad S01E04E05 Cancer Man
    / Gray Matter", a special S00E01; a file named by air date with the numbers identify
    matched), a file matched to no episode by its name."""
    if m.kind == db.SHOW:
        items, missing = counts.get(m.id, (0, 0))
        files = items - missing
        gone = f", {missing} missing" if missing else ""
        note = f" [numbering: {m.numbering_note}]" if m.numbering_note else ""
        return (
            f"{m.title or Path(m.path).name} ({m.year or '?'}) "
            f"[show: {files} episode file{'' if files == 1 else 's'}{gone}]{note}"
        )
    if m.kind != db.EPISODE:
        return f"{m.title or '?'} ({m.year or '?'})"
    season, numbers = m.episode_numbers()  # named by air date: the episodes identify matched
    show = shows.get(m.show_id) or Path(m.path).parent.name
    if season is None or not numbers:
        return f"{show} {Path(m.path).name}"
    code = f"S{season:02d}" + "".join(f"E{n:02d}" for n in numbers)
    more = [d.get("title") for d in (m.episode_details or [])[1:] if isinstance(d, dict)]
    titles = " / ".join(t for t in [m.title, *more] if t)
    return f"{show} {code} {titles}".rstrip()


def cmd_workflow(config: Config, args) -> int:
    from metarrd import workflow

    _runtime(config)
    if args.action == "set":
        if args.stage not in workflow.STAGES or args.value is None:
            raise UsageError(
                f"usage: metarrd workflow set STAGE on|off (STAGE: {', '.join(workflow.STAGES)})"
            )
        was = workflow.is_enabled(config, args.stage)
        workflow.set_stage(args.stage, args.value == "on")
        if args.value == "on" and not was:
            from metarrd.pipeline import jobs

            jobs.use_queue(config)  # the queue the daemon consumes
            queued = jobs.catch_up(args.stage)
            if queued:
                print(
                    f"{args.stage} is on again: {count(queued, 'job')} queued for what it skipped"
                )
    for stage, enabled in workflow.all_stages(config).items():
        print(f"{stage:<15} {'on ' if enabled else 'off'}  {workflow.EXPLANATIONS[stage]}")
    return EXIT_OK


def cmd_run(config: Config, args) -> int:
    from metarrd.pipeline.daemon import AlreadyRunning, run

    try:
        return run(_runtime(config), role=args.role)
    except AlreadyRunning as exc:  # a second `metarrd run` on one data_dir: nothing done
        print(f"metarrd: {exc}", file=sys.stderr)
        return EXIT_FAILED


def cmd_db(config: Config, args) -> int:
    from metarrd.dbcopy import migrate_to

    if config.database.url:
        raise UsageError(
            "db migrate-to copies the SQLite database under data_dir; this configuration already "
            f"uses {db.describe(config.database.url)}"
        )
    try:
        report = migrate_to(config.db_path, args.url)
    except MetarrdError as exc:  # not empty, a NUL it cannot store: said, not a traceback
        raise UsageError(str(exc)) from None
    for table, rows in report.rows.items():
        print(f"{table}: {count(rows, 'row')}")
    print(
        f"copied {report.total} rows into {db.describe(args.url)}; now set [database] url to it "
        f"(the cache stays in {config.cache_dir}; set [cache] dir to it on the other hosts)"
    )
    _previews_into_cache(config)
    _backups_into_cache(config)
    return EXIT_OK


def _previews_into_cache(config: Config) -> None:
    """On PostgreSQL the previews live in the shared cache (`Config.previews_dir`): move this
    host's there, a rename when the cache is `<data_dir>/cache`; else say how."""
    source, target = config.previews_dir, config.cache_dir / "previews"
    if source == target or not source.is_dir():
        return
    try:
        if target.exists():
            raise FileExistsError(0, "it exists already")
        target.parent.mkdir(parents=True, exist_ok=True)
        source.rename(target)
    except OSError as exc:  # another file system ([cache] dir set), or moved before
        print(
            f"the previews stay in {source} ({exc.strerror}): move what is in it into {target}",
            file=sys.stderr,
        )
        return
    print(f"moved the previews into the cache: {target}")


def _backups_into_cache(config: Config) -> None:
    """On PostgreSQL the copies of the user's files a publish replaced live in the shared cache
    too (`Config.backup_dir`): move this host's there when that is a rename (the cache is
    `<data_dir>/cache`), with their rows (absolute paths, in the database now open) in one
    transaction. Else they stay where they are, where their rows still name them."""
    source, target = config.data_path / BACKUP_FOLDER, config.cache_dir / BACKUP_FOLDER
    if not source.is_dir():
        return
    C = db.CacheImageFile
    renamed = False
    try:
        if target.exists():
            raise FileExistsError(0, "it exists already")
        target.parent.mkdir(parents=True, exist_ok=True)
        with db.write_transaction():
            rows = C.select(C.id, C.file_path).where(C.file_path.startswith(f"{source}{os.sep}"))
            for row_id, path in rows.tuples():
                if Path(path).is_relative_to(source):  # (LIKE's `_` matches any letter)
                    new = target / Path(path).relative_to(source)
                    C.update(file_path=str(new)).where(C.id == row_id).execute()
            source.rename(target)  # another file system: OSError, the rows roll back
            renamed = True
    except BaseException as exc:  # noqa: BLE001 - an OSError: another file system, or moved before
        if renamed:  # the rows were not written (COMMIT failed): the files go back where they name
            target.rename(source)
        if not isinstance(exc, OSError):
            raise
        print(
            f"the copies of your files a publish replaced stay in {source} ({exc.strerror}); "
            "this host finds them there",
            file=sys.stderr,
        )
        return
    print(f"moved the copies of your files a publish replaced into the cache: {target}")


def cmd_web(config: Config, args) -> int:
    from metarrd.config import check_bind
    from metarrd.web import serve_dev

    if args.bind is not None and (problem := check_bind(args.bind)) is not None:
        raise UsageError(f"--bind: {problem}")
    return serve_dev(config, bind=args.bind)


def cmd_players(config: Config, args) -> int:
    from metarrd.players import test_players

    if not config.player:
        # a configuration without players is a valid one (`config check`: "0 players"), and
        # nothing failed: exit 0 with what there is to add. It was `metarrd: no [[player]]
        # configured`, exit 2, a usage or configuration error, to the user who deleted the
        # example's "Living room" as the README says; a NAME is still one that does not exist.
        where = config.source or "the configuration"
        if args.name is not None:
            wanted = json.dumps(args.name, ensure_ascii=False)
            raise UsageError(f"no player named {wanted}: {where} has no [[player]]")
        print(
            f"no [[player]] in {where}: no media player to test. Add one for each Kodi, "
            "Jellyfin or Plex to tell after a publish (docs/players.md)"
        )
        return EXIT_OK
    rt = _runtime(config)
    results = test_players(rt, args.name)
    if not results:
        names = ", ".join(p.label for p in config.player)
        wanted = json.dumps(args.name, ensure_ascii=False)
        raise UsageError(f"no player named {wanted} (the configuration's: {names})")
    failed = 0
    for name, ok, message in results:
        print(
            f"{name}: {'OK' if ok else 'FAILED'}: {message}", file=sys.stdout if ok else sys.stderr
        )
        failed += not ok
    return EXIT_FAILED if failed else EXIT_OK


def cmd_passwd(config: Config, args) -> int:
    from metarrd.web.auth import set_password_interactive

    _runtime(config)
    return set_password_interactive()


def cmd_tv(config: Config, args) -> int:
    """`metarrd tv order SHOW [ORDER]` (docs/tv.md "Episode orders")."""
    from metarrd.identify import (
        ORDER_CHANGED,
        identify_item,
        order_label,
        order_of,
        set_episode_order,
    )

    rt = _runtime(config)
    show = resolve_item(args.show)
    if show.kind in (db.SEASON, db.EPISODE) and show.show_id:
        show = db.Movie.get_by_id(show.show_id)
    if show.kind != db.SHOW:
        raise UsageError(f"item {show.id} is no TV show")
    if args.order is None:
        name = order_of(show.ordering)
        print(
            escape_controls(
                f"item {show.id} ({show.title or show.path}): {name} ({order_label(name)})"
            )
        )
        _numbering_line(show)
        return EXIT_OK
    try:
        changed = set_episode_order(show, args.order)
    except MetarrdError as exc:
        raise UsageError(str(exc)) from None
    what = order_label(args.order)
    print(f"item {show.id}: episode order {what}" + ("" if changed else " (unchanged)"))
    if show.tmdb_id is None:
        print("its episodes are matched in that order once the show is identified")
        return EXIT_OK
    was_enriched = show.identification_status == db.ENRICHED
    try:
        outcome = identify_item(rt, show, tmdb_id=show.tmdb_id, source=ORDER_CHANGED)
    except Exception as exc:  # ours, or a bug: one line either way (_failed)
        _failed("identify", show, exc)
        return EXIT_FAILED
    print(escape_controls(outcome.reason))
    failed = 0
    for ep in db.Movie.select().where(
        db.Movie.show == show.id, db.Movie.kind == db.EPISODE, ~db.Movie.missing,
        db.Movie.identification_status == db.UNIDENTIFIED,
    ).order_by(db.Movie.path):  # fmt: skip
        failed += 1
        _fail_line(ep, ep.last_error or "not matched")
    _numbering_line(db.Movie.get_by_id(show.id))
    if was_enriched:
        failed += _enrich_and_report(rt, [db.Movie.get_by_id(show.id)])
    return EXIT_FAILED if failed else EXIT_OK


def _numbering_line(show: db.Movie) -> None:
    """The show's numbering note (`identify_episodes`), where the user chooses its order: the
    show page shows it over the order's select; `tv order` said only the order's name, so a
    show whose file names title another order's episodes was not said to be one."""
    if show.numbering_note:
        print(escape_controls(f"numbering: {show.numbering_note}"))


COMMANDS = {
    "scan": cmd_scan,
    "identify": cmd_identify,
    "enrich": cmd_enrich,
    "publish": cmd_publish,
    "list": cmd_list,
    "workflow": cmd_workflow,
    "run": cmd_run,
    "db": cmd_db,
    "web": cmd_web,
    "players": cmd_players,
    "passwd": cmd_passwd,
    "tv": cmd_tv,
}


if __name__ == "__main__":
    sys.exit(main())

"""A library whose kind changed since its last scan (docs/tv.md, "A library's kind changed").

What the scan makes of a file follows the library's kind now: a TV library's scan makes its
video files episodes (`scan.tv._film_to_episode`, for the film a movie library's scan
recorded), a movie library's makes them films. What the other kind left is dissolved here:

- A movie library that was a TV library: each episode item becomes a film, keeping its id and
  its history and the user's work a film has a place for (locked fields, the cast when locked,
  artwork chosen by hand or added: `_film_edits`, `_forget_but_the_users`; a lock it has no
  place for is said, with its value, in an event), and is read again as a new film is; a show
  whose folder is its one film's gives it a copy of the user's, its locked cast too
  (`_show_to_film`); its shows and seasons go (they have no file: a movie library has none).
  Not when at least half of its episodes still read as episodes (`episodes_kept`): its
  `kind = "tv"` was likelier removed by mistake; nothing is converted nor dropped, and the
  movie scan leaves their files.
- A TV library that was a movie library: a film its scan does not walk (a show's extras
  folder the movie walk enters, `Shorts/`) goes; it is no episode, and a TV library has no film.

The files metarrd published for an item that goes are in the ledger, and only those may be
removed: each ledger row passes to an item that stays, whose next publish removes what it does
not want (`publish.layout`: a ledger file not wanted is removed, and copied into the cache
first when changed since). A show's rows go to the film in their folder (an episode's NFO
and thumb to that episode's film), or to the show's first film; a film's rows to the show
whose folder holds them. Nothing else is removed from the disk here, but for two things:

- The cache files and previews of the rows that go (the episode's provider images, a dropped
  show's), unless another row still uses them (`cache.remove_unused`).
- The files metarrd published for an item that goes with no item left to take its rows (a show
  none of whose files became a film, a film outside any show of the TV library), and the NFOs
  of the shows, seasons and episodes of a TV library that is a movie library now (Kodi's movie
  scan reads a video's `<name>.nfo`, or the one NFO in a movie's folder, as the film's whatever
  its root: the show's or the episode's title and TMDB id were the film's until a publish of
  the film, which seldom comes: an episode's name seldom finds a film). Unchanged since metarrd
  wrote them (the ledger's SHA-256), they are ours alone and go; changed since, they are the
  user's now and stay, and the scan's event says so (`remove_disowned`). Their rows stay in
  the ledger, owned by no item (`_disown`), until the files are gone: killed between the
  commit and the removal, the next scan of the library removes them (it calls
  `remove_disowned` first), and no scan reads them as the user's meanwhile."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sqlite3
from collections.abc import Callable
from pathlib import Path

from metarrd import cache, db
from metarrd.atomic import remove_unchanged, sync_dirs
from metarrd.config import ALL_SEASONS, ASSET_TYPES, LIBRARY_SOURCE, Config, LibraryConfig
from metarrd.fields import CAST_LOCK
from metarrd.files import UnsafeFile
from metarrd.identify import absolute_numbers, episode_folders, parse_episode, show_title
from metarrd.mounts import share_gone
from metarrd.paths import ACTORS_DIR, is_inside
from metarrd.user_urls import PROVIDER as USER_IMAGE

log = logging.getLogger(__name__)

# the columns a film made of an episode keeps: its file and when it was first seen
_KEPT = {"id", "library", "path", "parts", "is_disc", "file_id", "date_added", "created_at"}


# an episode's fields a film has too: the user's edits of them (locked) stay the film's
_FILM_FIELDS = frozenset(
    {
        "title", "original_title", "sort_title", "plot", "outline", "tagline", "runtime", "mpaa",
        "rating", "votes", "genres", "countries", "studios", "directors", "writers", "tags",
    }
)  # fmt: skip


# the artwork types a film has (kodi.md, "Movie layout": `<base>-<type>`): an episode's one,
# `thumb` (kodi-tv.md 2.4: `<base>-thumb`), is a film's too; a show's character art and its
# "all seasons" art are no film's
_FILM_ART = frozenset(
    t for t in ASSET_TYPES if t != "characterart" and not t.startswith(ALL_SEASONS)
)


def _film_edits(ep: db.Movie) -> dict[str, object]:
    """What of the user's an episode keeps as a film: its locked fields a film has, with their
    values, the cast lock (its cast stays: `_forget_but_the_users`) and the locks of the
    artwork types a film has (the user's choice of its thumb)."""
    locked = [f for f in ep.locked_fields or [] if f in _FILM_FIELDS or f == CAST_LOCK]
    art = [t for t in ep.locked_asset_types or [] if t in _FILM_ART]
    out: dict[str, object] = {f: getattr(ep, f) for f in locked if f != CAST_LOCK}
    if locked:
        out["locked_fields"] = locked
    if art:
        out["locked_asset_types"] = art
    return out


def _unmapped(ep: db.Movie) -> list[str]:
    """The user's locks of an episode a film has no place for (its air date, its numbers, a
    later episode's title...), with their values: said in the scan's event, which keeps them."""
    fields = [
        f"{f} = {json.dumps(getattr(ep, f, None), default=str, ensure_ascii=False)}"
        if f in db.Movie._meta.fields
        else f
        for f in ep.locked_fields or []
        if f not in _FILM_FIELDS and f != CAST_LOCK
    ]
    return fields + [f"{t} artwork" for t in ep.locked_asset_types or [] if t not in _FILM_ART]


def _forget_but_the_users(ep: db.Movie) -> None:
    """An episode becoming a film loses what its enrich found (provider candidates, cached
    images, cast), but not the user's work a film has a place for: the candidates of an artwork
    type the user chose by hand (locked) and the images the user added (uploaded, or from an
    address) of a type a film has, with their cached images; the cast, when locked."""
    A, C = db.ArtworkCandidate, db.CacheImageFile
    art = [t for t in ep.locked_asset_types or [] if t in _FILM_ART]
    users = (A.movie == ep.id) & A.asset_type.in_(list(_FILM_ART))
    users &= A.asset_type.in_(art) | (A.provider == USER_IMAGE) if art else A.provider == USER_IMAGE
    kept = list(A.select(A.id, A.asset_type, A.content_hash).where(users).tuples())
    A.delete().where(A.movie == ep.id, A.id.not_in([i for i, *_ in kept])).execute()
    images = {(t, h) for _, t, h in kept if h}
    for row_id, image_type, file_hash in (  # the user's files in the library stay cached
        C.select(C.id, C.image_type, C.file_hash)
        .where(C.movie == ep.id, C.actor.is_null(), C.source_type != LIBRARY_SOURCE)
        .tuples()
    ):
        if (image_type, file_hash) not in images:
            C.delete().where(C.id == row_id).execute()
    if CAST_LOCK not in (ep.locked_fields or []):
        db.MovieActor.delete().where(db.MovieActor.movie == ep.id).execute()


def _defaults() -> dict[str, object]:
    """Every other column of an item at its value for a new one."""
    out: dict[str, object] = {}
    for f in db.Movie._meta.sorted_fields:
        if f.name in _KEPT:
            continue
        out[f.name] = f.default() if callable(f.default) else f.default
    return out


def _in_scope(path: str, scope: list[Path]) -> bool:
    return any(is_inside(path, str(top)) for top in scope)


def tv_items_to_films(config: Config, library: db.Library, scope: list[Path]) -> int:
    """Called by a movie library's scan before it lists its items: each episode item in
    `scope` becomes a film as a new one would be (the scan reads it again: its size is
    unknown), and the shows left with no episode go with their seasons. Returns how many
    episodes became films."""
    M = db.Movie
    with db.write_transaction():
        episodes = [
            e
            for e in M.select().where(M.library == library, M.kind == db.EPISODE)
            if _in_scope(e.path, scope)
        ]
        shows = {s.id: s for s in M.select().where(M.library == library, M.kind == db.SHOW)}
        if not episodes and not shows:
            return 0
        films: dict[int, list[db.Movie]] = {}  # show id -> its episodes, now films
        # the cache files and previews the rows that go named: its library candidates' too
        files, previews = cache.files_of(M.select(M.id).where(M.id.in_([e.id for e in episodes])))
        edits = {ep.id: _film_edits(ep) for ep in episodes}
        for ep in episodes:
            _forget_but_the_users(ep)
            show = shows.get(ep.show_id) if ep.show_id is not None else None
            name = (show.title or Path(show.path).name) if show is not None else None
            db.record_event(
                "scan.found",
                f"{ep.path}: an episode"
                + (f" of {name}" if name else "")
                + " while its library was a TV library; now a film",
                movie=ep.id,
            )
            if unmapped := _unmapped(ep):
                db.record_event(
                    "scan.warning",
                    f"{ep.path}: now a film, which has no place for these of your locks as an "
                    "episode (their values, kept in this event): " + "; ".join(unmapped),
                    movie=ep.id,
                    level="warning",
                )
            films.setdefault(ep.show_id, []).append(ep)
        # the NFOs of what it was go now, not at the films' publish, which may never come (an
        # episode's name seldom finds a film): Kodi's movie scan reads a file's `<name>.nfo`,
        # or the one NFO of a movie's folder (tvshow.nfo, season.nfo), as the film's whatever
        # its root, and took the show's or episode's title and TMDB id for the film's
        # (an episode's NFO row is most often its show's: dropped with the show's rows below)
        L = db.LibraryFile
        _disown(L.movie.in_([e.id for e in episodes]) & (L.kind == "nfo"))
        now = db.now()
        M.update({**_defaults(), "size": -1, "mtime_ns": -1, "updated_at": now}).where(
            M.id.in_([e.id for e in episodes])
        ).execute()
        for ep_id, kept in edits.items():
            if kept:
                M.update(kept).where(M.id == ep_id).execute()
        left = {
            s
            for (s,) in M.select(M.show)
            .where(M.show.in_(list(shows)), M.kind == db.EPISODE)
            .tuples()
        }
        for show in shows.values():
            if show.id in left:
                continue
            children = [i for (i,) in M.select(M.id).where(M.show == show.id).tuples()]
            own = films.get(show.id, [])
            if len(own) == 1 and os.path.dirname(own[0].path) == show.path:
                _show_to_film(show, own[0].id)  # the show's folder is the film's now
            if _users_work([show.id, *children]):  # kept, as it is, for the kind set back
                if not show.missing:
                    M.update(missing=True, updated_at=now).where(M.id == show.id).execute()
                    db.record_event(
                        "scan.warning",
                        f"{show.path}: a show while its library was a TV library, with locks or "
                        "an identification of yours: kept (missing) for the library's kind set "
                        'back to kind = "tv"; remove it on its page if the kind is right',
                        movie=show.id,
                        level="warning",
                    )
                continue
            _disown(L.movie.in_([show.id, *children]) & (L.kind == "nfo"))
            _give_ledger([show.id, *children], films.get(show.id, []))
            gone = cache.files_of(M.select(M.id).where(M.id.in_([show.id, *children])))
            files, previews = files | gone[0], previews | gone[1]
            log.info("library %s: show %s has no episode now: removed", library.name, show.path)
            M.delete().where(M.id.in_([show.id, *children])).execute()
    cache.remove_unused(config.cache_dir, config.previews_dir, files, previews)
    remove_disowned(library)
    return len(episodes)


def _show_to_film(show: db.Movie, film_id: int) -> None:
    """A show whose folder holds one video, which becomes a film (`Heat (1995)/Heat (1995).mkv`,
    scanned as a TV library's show of one episode): the film, its folder's item now, takes a
    copy of the user's work on the show a film has a place for, where it has none of its own
    (the episode's): the show's locked fields a film has, its cast when locked (the series'
    regulars the user kept, a film's cast: the episode's guest stars went with its enrichment,
    unless locked), the artwork types the user chose by hand (a show's poster, fanart, logo...
    are a film's too) and the images the user added, with their cached images. The show keeps
    its own (`_users_work`: kept, missing)."""
    M, A, C = db.Movie, db.ArtworkCandidate, db.CacheImageFile
    film = M.get_by_id(film_id)
    has = set(film.locked_fields or [])
    fields = [
        f
        for f in show.locked_fields or []
        if (f in _FILM_FIELDS or f == CAST_LOCK) and f not in has
    ]
    art = [
        t
        for t in show.locked_asset_types or []
        if t in _FILM_ART and t not in (film.locked_asset_types or [])
    ]
    users = A.select().where(A.movie == show.id, A.asset_type.in_(list(_FILM_ART)))
    taken = {t for (t,) in A.select(A.asset_type).where(A.movie == film_id).tuples()}
    copied = [
        a
        for a in users
        if a.asset_type not in taken and (a.asset_type in art or a.provider == USER_IMAGE)
    ]
    if not fields and not copied:
        return
    skip = {"id", "movie", "duplicate_of", "created_at"}
    for a in copied:
        row = {f: getattr(a, f) for f in A._meta.fields if f not in skip}
        A.create(**row, movie=film_id)
    hashes = {(a.asset_type, a.content_hash) for a in copied if a.content_hash}
    for c in C.select().where(C.movie == show.id, C.actor.is_null()):
        if (c.image_type, c.file_hash) in hashes:
            row = {
                f: getattr(c, f) for f in C._meta.fields if f not in {"id", "movie", "created_at"}
            }
            C.get_or_create(
                movie=film_id, actor=None, image_type=c.image_type, file_hash=c.file_hash,
                defaults=row,
            )  # fmt: skip
    if CAST_LOCK in fields:  # the film has none: its cast went, as it was not locked
        R = db.MovieActor
        R.delete().where(R.movie == film_id).execute()
        cast = [
            {"movie": film_id, "actor": actor, "role": role, "order": order}
            for actor, role, order in R.select(R.actor, R.role, R.order)
            .where(R.movie == show.id)
            .tuples()
        ]
        if cast:  # none: the user emptied it, and the film's stays empty
            R.insert_many(cast).execute()
    M.update(
        {f: getattr(show, f) for f in fields if f != CAST_LOCK}
        | {
            "locked_fields": [*(film.locked_fields or []), *fields],
            "locked_asset_types": [
                *(film.locked_asset_types or []),
                *sorted({a.asset_type for a in copied if a.asset_type in art}),
            ],
        }
    ).where(M.id == film_id).execute()
    db.record_event(
        "scan.found",
        f"{film.path}: its folder was the show {show.title or Path(show.path).name}'s: the "
        "film takes what you chose of the show a film has ("
        + ", ".join([*fields, *sorted({f"{a.asset_type} artwork" for a in copied})])
        + ")",
        movie=film_id,
    )


def _users_work(ids: list[int]) -> bool:
    """One of the items `ids` (a show and its seasons) carries what the user did: locked fields
    or artwork, an identification chosen by hand."""
    M = db.Movie
    return any(
        locked or assets or by == "manual"
        for locked, assets, by in M.select(M.locked_fields, M.locked_asset_types, M.identified_by)
        .where(M.id.in_(ids))
        .tuples()
    )


def _give_ledger(owners: list[int], films: list[db.Movie]) -> None:
    """The ledger rows of `owners` (a show and its seasons and episodes) pass to `films`:
    a row to the one film in its folder whose name it starts with (an episode's NFO and
    thumb), else to the one film in its folder, else to the first film. With no film, the
    rows are owned by no item (`_disown`): their files are removed (`remove_disowned`)."""
    L = db.LibraryFile
    if not films:  # nothing stays to own them
        _disown(L.movie.in_(owners))
        return
    films = sorted(films, key=lambda f: f.id)
    for row_id, path in L.select(L.id, L.path).where(L.movie.in_(owners)).tuples():
        folder, name = os.path.split(path)
        here = [f for f in films if os.path.dirname(f.path) == folder]
        named = [f for f in here if name.startswith(Path(f.path).stem + ".")]
        named = named or [f for f in here if name.startswith(Path(f.path).stem + "-")]
        owner = (named if len(named) == 1 else here if len(here) == 1 else films)[0]
        L.update(movie=owner.id).where(L.id == row_id).execute()


def _disown(where: object) -> None:
    """The ledger rows `where` selects are owned by no item from now on: their files are to
    go (`remove_disowned`, once this transaction is committed). The rows stay until then, so
    that a crash between the commit and the removal leaves them for the next scan to finish,
    and the files known as ours meanwhile (a scan reads none of them as the user's)."""
    L = db.LibraryFile
    L.update(movie=None).where(where).execute()


# what the events of `remove_disowned` say the files were published for: a library whose kind
# changed, or videos Sonarr or Radarr deleted (scan.leftovers)
DISOWNED_BY = {
    "kind": ("its kind changed", "for what it was",
             "the NFOs of its shows and episodes, the files of items that went"),
    "deleted": ("videos deleted", "for them", "their NFOs and art, a season's season.nfo"),
}  # fmt: skip


def remove_disowned(library: db.Library, why: str = "kind") -> None:
    """The files metarrd published in `library` whose ledger rows are owned by no item
    (`_disown`: what the library was before its kind changed, that no item took): the NFOs of
    its shows, seasons and episodes, the files of an item that went with no item left to take
    them; `why` "deleted": the files of videos a delete webhook named (scan.leftovers), which
    its events say instead (a scan finishing what a killed one left says "kind"). Each still
    holding what metarrd wrote is removed (ours alone: no copy is kept, as publish keeps none
    of a file of its own it removes); one changed since is the user's now and stays, and the
    event says so. Only regular files inside the library, never followed
    through a link, and never one the user saves meanwhile (`atomic.remove_unchanged`). Their
    rows go once the files are gone, in a transaction of their own: the kind change's, or a
    scan's after a crash (each scan of the library calls this first); not the row of a file
    behind a share not there (a link on the way leading nowhere, `mounts.share_gone`), which is
    not gone: it waits for the share, else our file stayed for good, known as no one's; nor
    the row of a file an I/O error left (EIO, ESTALE, an SMB server refusing to rename a file
    a player holds open), which is ours still: the next scan tries again, and the first one's
    event says so once. Not in a write transaction."""
    L = db.LibraryFile
    rows = [
        row
        for row in L.select(L.path, L.sha256, L.pending_sha256).where(L.movie.is_null()).tuples()
        if is_inside(row[0], library.path)
    ]
    if not rows:
        return
    kept: list[str] = []
    removed = 0
    emptied: set[str] = set()
    waiting: set[str] = set()  # behind a share not there: not gone, removed once it is back
    failed: dict[str, str] = {}  # not read or not removed (an I/O error): still ours, retried
    for path, sha256, pending in sorted(rows):
        try:
            gone = remove_unchanged(Path(path), (sha256, pending))
        except FileNotFoundError:
            if share_gone(path, library.path, None) is not None:
                waiting.add(path)
            continue
        except UnsafeFile as exc:  # a link, a folder, a FIFO there now: not ours to remove
            log.warning("library %s: %s left as it is: %s", library.name, path, exc)
            kept.append(path)
            continue
        except OSError as exc:  # EIO, ESTALE, a share refusing to rename an open file
            log.warning("library %s: %s not removed, tried again at the next scan: %s",
                        library.name, path, exc)  # fmt: skip
            failed[path] = exc.strerror or type(exc).__name__
            continue
        if not gone:
            kept.append(path)
            continue
        removed += 1
        emptied.add(os.path.dirname(path))
        log.info("library %s: %s removed: published for an item that is gone", library.name, path)
    for folder in sorted(emptied):  # an `.actors/` left empty goes, as a publish's does
        if os.path.basename(folder) == ACTORS_DIR:
            with contextlib.suppress(OSError):  # not empty: the user's pictures
                os.rmdir(folder)
    # the removals durable before their rows go: else a power cut could bring a file back
    # with no row left to remove it
    folders = {Path(d) if os.path.isdir(d) else Path(d).parent for d in emptied}
    sync_dirs(sorted(folders))
    with db.write_transaction():
        done = [row for row in rows if row[0] not in waiting and row[0] not in failed]
        for start in range(0, len(done), 500):
            part = [p for p, *_ in done[start : start + 500]]
            L.delete().where(L.path.in_(part), L.movie.is_null()).execute()
        after, what, which = DISOWNED_BY[why]
        if removed:
            db.record_event(
                "scan.removed",
                f"library {library.name}: {after}: {removed} files metarrd published {what} "
                f"({which}) removed, unchanged since",
            )
        if kept:
            reads = " (a player reads an NFO there as the film's)" if why == "kind" else ""
            db.record_event(
                "scan.warning",
                f"library {library.name}: {after}: files metarrd published {what} were changed "
                f"since, so are yours now and stay{reads}: " + ", ".join(kept),
                level="warning",
            )
        E = db.Event
        for path, error in sorted(failed.items()):
            said = (
                f"library {library.name}: {after}: {path}, a file metarrd published "
                f"{what}, could not be removed ({error}); each scan tries again"
            )
            if not E.select().where(E.kind == "scan.warning", E.message == said).exists():
                db.record_event("scan.warning", said, level="warning")  # said once


def reads_as_episode(path: str, root: str) -> bool:
    """The file at `path` reads as an episode to the TV scan's name parser: season and episode
    numbers (`S01E02`, `1x02`, `Episode 3` in `Season 1/`), an air date, an absolute number.
    A file at the library's root (no show's) or a film's name (`Heat (1995).mkv`) does not."""
    rel = Path(os.path.relpath(path, root)).parts
    if len(rel) < 2 or rel[0] == os.pardir:
        return False
    show_dir = Path(root, rel[0])
    folder, outer = episode_folders(Path(path), show_dir)
    try:
        name = parse_episode(Path(path).name, show_title(show_dir.name), folder, outer)
    except Exception:  # noqa: BLE001 - guessit on a hostile name: it reads as nothing
        return False
    return bool(name.episodes) or name.aired is not None or bool(absolute_numbers(name.absolute))


class EpisodesKept:
    """The episodes a movie library's scan leaves as they are (`episodes_kept`): their files
    (`holds`) are not read as films, their items and shows not converted nor dropped. Nor is
    a new file that would be an episode once the kind is set back: one in a show's folder (a
    new episode Sonarr brought meanwhile), one elsewhere whose name reads as an episode (a new
    show's): it waits with the rest, not made a film (`waits`)."""

    def __init__(
        self, episodes: list[tuple[str, str | None]], shows: list[str], root: str, warning: str
    ) -> None:
        self.warning, self.shows, self.root = warning, shows, root
        self.files = {p for path, parts in episodes for p in (path, *_parts(parts))}

    def holds(self, path: str) -> bool:
        return path in self.files

    def waits(self, path: str) -> bool:
        """`path`, no item's yet, would be an episode once the kind is set back."""
        return any(is_inside(path, s) for s in self.shows) or reads_as_episode(path, self.root)


def _parts(parts: object) -> list[str]:
    if isinstance(parts, str):
        parts = json.loads(parts)
    return [p for p in parts or () if isinstance(p, str)]


def episodes_kept(library: db.Library, name: str, root: Path) -> EpisodesKept | None:
    """Called by a movie library's scan whose scope holds episodes or shows (recorded while it
    was a TV library): when at least half of the library's episodes still read as episodes
    (`reads_as_episode`), its `kind = "tv"` is likelier removed by mistake than its episodes
    films: none is converted nor dropped, nor its shows, and the user is told. Else None: those
    in the scope become films. The library's, not the scope's: a scan of one folder (`metarrd
    scan PATH`, the watcher's, a webhook's) whose episode reads as none decides as a full scan."""
    M = db.Movie
    episodes = list(
        M.select(M.path, M.parts).where(M.library == library, M.kind == db.EPISODE).tuples()
    )
    warning = _episodes_guard(name, [path for path, _ in episodes], root)
    if warning is None:
        return None
    shows = [p for (p,) in M.select(M.path).where(M.library == library, M.kind == db.SHOW).tuples()]
    return EpisodesKept(episodes, shows, str(root), warning)


def _episodes_guard(name: str, episodes: list[str], root: Path) -> str | None:
    """`episodes_kept`'s decision on the paths of a movie library's episode items: what the user
    is told when at least half of them read as episodes, else None (none: None)."""
    if not episodes:  # the library's, even when the scope holds only a show with none yet
        return None
    numbered = sum(1 for path in episodes if reads_as_episode(path, str(root)))
    if 2 * numbered < len(episodes):
        return None
    return (
        f'library {name}: no kind = "tv" but {numbered} of its {len(episodes)} episodes read as '
        "episodes: kept as episodes, none converted nor removed, nor their shows; is kind "
        'right? (a TV library has kind = "tv" in its [[library]])'
    )


def carries_user_work(item: db.Movie) -> bool:
    """What a kind change never deletes: an item the user locked (fields, artwork), that was
    identified (by its NFO, by hand, by name) or published."""
    return (
        bool(item.locked_fields or item.locked_asset_types)
        or item.identification_status != db.UNIDENTIFIED
        or item.publish_state != db.UNPUBLISHED
    )


class FilmsKept:
    """The films a TV library's scan leaves as they are (`films_kept`): their files are not read
    as episodes (`holds`), and those the walk found (`seen`) not dropped; `guarded` says none of the
    library's is converted nor dropped (its kind is likelier wrong than its films), `warning`
    what the user is told."""

    def __init__(self, films: list[db.Movie], guarded: bool, warning: str | None) -> None:
        self.guarded, self.warning = guarded, warning
        # each file of a film (its stacked parts: `cd2`) -> the film's path; a disc's folder
        self.files = {p: f.path for f in films if not f.is_disc for p in (f.path, *f.parts)}
        self.discs = {f.path for f in films if f.is_disc}
        self.seen: set[str] = set()  # the paths of the films the walk found

    def holds(self, path: str) -> bool:
        """`path` is a kept film's file, or inside a kept disc's folder: noted as seen."""
        film = self.files.get(path) or next((d for d in self.discs if is_inside(path, d)), None)
        if film is not None:
            self.seen.add(film)
        return film is not None


def films_kept(library: db.Library, name: str, root: Path, scope: list[Path]) -> FilmsKept:
    """Called by a TV library's scan before it walks: of the library's films (recorded while it
    was a movie library), those whose files read as no episode (`reads_as_episode`) stay films:
    only a numbered file becomes an episode. When fewer than half of them and the library's
    episodes read as episodes, `kind = "tv"` is likelier a mistake than the films episodes: none
    of them is converted nor dropped (`guarded`), and the user is told. The library's, not the
    scope's: a scan of one folder (`metarrd scan PATH`, the watcher's, a webhook's) whose film
    reads as an episode decides as a full scan; a scope with no film asks nothing more."""
    M = db.Movie
    films = list(
        M.select(M.path, M.parts, M.is_disc).where(M.library == library, M.kind == db.MOVIE)
    )
    if not any(_in_scope(f.path, scope) for f in films):
        return FilmsKept([], False, None)
    # the episodes it has already (a film kept after its library's numbered ones became
    # episodes does not make the library a movie library)
    episodes = M.select().where(M.library == library, M.kind == db.EPISODE).count()
    numbered, warning = _films_guard(name, [(f.path, f.is_disc) for f in films], episodes, root)
    if warning is not None:
        return FilmsKept(films, True, warning)
    return FilmsKept([f for f in films if f.path not in numbered], False, None)


def _films_guard(
    name: str, films: list[tuple[str, bool]], episodes: int, root: Path
) -> tuple[set[str], str | None]:
    """`films_kept`'s decision on a TV library's films (path, is a disc) and how many episodes
    it has: the paths of the films that read as episodes, and what the user is told when fewer
    than half of the films and episodes do (its kind is likelier wrong), else None."""
    numbered = {p for p, disc in films if not disc and reads_as_episode(p, str(root))}
    if not films or 2 * (len(numbered) + episodes) >= len(films) + episodes:
        return numbered, None
    unread = len(films) - len(numbered)
    return numbered, (
        f'library {name}: kind = "tv" but {unread} of its {len(films)} films do not read '
        "as episodes (no season and episode numbers, air date or absolute number in their "
        "names): they are kept as films, none converted nor removed; is kind right? (a movie "
        'library has no kind, or kind = "movie")'
    )


def guards_in_database(db_path: Path, libraries: list[LibraryConfig]) -> list[tuple[str, str]]:
    """`config check`'s: the guards a scan of `libraries` would hold (`episodes_kept`,
    `films_kept`), as (the library's name, what the scan would say), from the SQLite database
    at `db_path`, read only: none when it does not exist (never made here), or cannot be read
    now (locked by a writer past 2 s, of another schema). Cheap while each library's kind is
    what its items were scanned as: the names of the items of the other kind alone are read."""
    out: list[tuple[str, str]] = []
    try:
        if not db_path.is_file():
            return []
        uri = f"{db_path.as_uri()}?mode=ro"
        with contextlib.closing(sqlite3.connect(uri, uri=True, timeout=2.0)) as con:
            for lib in libraries:
                rows = con.execute(
                    "SELECT m.path, m.is_disc, m.kind FROM movies m JOIN libraries l "
                    "ON m.library_id = l.id WHERE l.name = ? AND m.kind IN (?, ?)",
                    (lib.name, db.MOVIE, db.EPISODE),
                ).fetchall()
                films = [(p, bool(disc)) for p, disc, kind in rows if kind == db.MOVIE]
                episodes = [p for p, _, kind in rows if kind == db.EPISODE]
                root = Path(lib.path)
                if lib.kind == "tv":
                    warning = _films_guard(lib.name, films, len(episodes), root)[1]
                else:
                    warning = _episodes_guard(lib.name, episodes, root)
                if warning is not None:
                    out.append((lib.name, warning))
    except (sqlite3.Error, OSError):
        return []
    return out


def films_left_in_tv(
    config: Config,
    library: db.Library,
    scope: list[Path],
    out_of_reach: Callable[[db.Movie], bool],
    kept: FilmsKept | None = None,
) -> int:
    """Called by a TV library's scan once its shows are scanned: the films in `scope` it left
    films (their files are not walked: extras, samples; or gone) go, their ledger rows to the
    show whose folder holds them. Not those `out_of_reach` says the walk could not see (behind
    a folder it could not read, or a share not there, which it reports): they would be
    episodes once seen. Not those `kept` saw (found by the walk, their names read as no
    episode; all films when the library is `guarded`), nor a film carrying the user's work (`carries_user_work`):
    they stay films, as they were, for the library's kind set back, and are reported.
    Returns how many went."""
    M = db.Movie
    if kept is not None and kept.guarded:
        return 0
    films = [
        f
        for f in M.select().where(M.library == library, M.kind == db.MOVIE)
        if _in_scope(f.path, scope)
        and not out_of_reach(f)
        and (kept is None or f.path not in kept.seen)
    ]
    worked = [f for f in films if carries_user_work(f)]
    for film in worked:
        log.info("library %s: %s is no episode: its film item kept", library.name, film.path)
        said = (
            f"{film.path}: recorded as a film while its library was a movie library; not an "
            "episode (the TV scan leaves it out), kept as a film with its identification and "
            "locks for the library's kind set back"
        )
        E = db.Event
        if not E.select().where(E.movie == film.id, E.message == said).exists():  # said once
            db.record_event("scan.warning", said, movie=film.id, level="warning")
    films = [f for f in films if not carries_user_work(f)]
    if not films:
        return 0
    with db.write_transaction():
        # read again under the lock, the user's work too: locked (in the web, by another
        # host's job) since it was looked at above, it stays; the next scan says so
        films = [
            f
            for f in M.select().where(M.id.in_([f.id for f in films]), M.kind == db.MOVIE)
            if not carries_user_work(f)
        ]
        shows = list(M.select().where(M.library == library, M.kind == db.SHOW))
        files, previews = cache.files_of(M.select(M.id).where(M.id.in_([f.id for f in films])))
        L = db.LibraryFile
        for film in films:
            show = next((s for s in shows if is_inside(film.path, s.path)), None)
            log.info("library %s: %s is no episode: its film item removed", library.name, film.path)
            if show is not None:
                L.update(movie=show.id).where(L.movie == film.id).execute()
                db.record_event(
                    "scan.found",
                    f"{film.path}: recorded as a film while its library was a movie library; "
                    "not an episode (the TV scan leaves it out): no longer an item",
                    movie=show.id,
                )
            else:  # a film outside any show (the library's root): nothing stays to own them
                _disown(L.movie == film.id)
        M.delete().where(M.id.in_([f.id for f in films])).execute()
    cache.remove_unused(config.cache_dir, config.previews_dir, files, previews)
    remove_disowned(library)
    return len(films)

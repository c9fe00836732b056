"""PUBLISH for a TV show: the whole show as one unit (kodi-tv.md §7).

    publish_show(rt, items) -> {id: outcome}    the show of `items` (a show or season among
                                                them), its seasons and its enriched episodes;
                                                episodes of a published show: those (`_scope`)
    preview_show(rt, item) -> PublishPlan       what it would do now; writes nothing
    publishes_alone(item) -> bool               an episode of a published show: it alone

One plan covers every file of the show — `tvshow.nfo`, the show art, `seasonNN-<type>` /
`season-specials-<type>` / `season-all-<type>`, `.actors/` (the show's cast and every guest
star), each episode file's `<base>.nfo` and `<base>-thumb.<ext>`, each season folder's
`season.nfo` (Jellyfin's and Emby's; none for a flat show) — and is applied by the movie
machinery (`apply.apply_all`) under one folder lock (the show folder) and one pair of durability
barriers: same temp files, backups of the user's files, ledger (rows on the show item),
unchanged files untouched.

Renames land art first, then every episode NFO and `season.nfo`, then `tvshow.nfo` last, so a
player never meets our `tvshow.nfo` (with `episodeguide`) beside an episode that has no NFO yet. `episodeguide` is
written only when every video file of the show gets an NFO in this publish (a real Kodi 20.1
with local information only drops every episode of the show otherwise); when one cannot (no
numbers in its name, not enriched), the show gets `tvshow.nfo` without it, and the notes say why.
An NFO or thumb of ours beside an episode that is not published now (not enriched yet) is left
as it is, never removed while its video is there.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import stat
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from metarrd import db, files, workflow
from metarrd.atomic import TEMP_MARKER, remove_stale_temp_files
from metarrd.errors import ItemError, MetarrdError, not_enriched
from metarrd.files import MAX_FILE_BYTES, kind_of, read_regular
from metarrd.identify import names_no_season, season_of_folder
from metarrd.paths import folded, is_inside
from metarrd.publish import actors, apply, layout, plex, sources, tv_layout, tv_nfo
from metarrd.publish.apply import PublishResult
from metarrd.publish.gather import ItemRows, load_rows, stream_details
from metarrd.publish.layout import KEEP, REMOVE, REPLACE, WRITE, LedgerEntry, PublishPlan, Wanted
from metarrd.publish.settle import settle_unit
from metarrd.publish.stage import (
    Missing,
    Prepared,
    _folder_locks,
    _holds_ours,
    _ignores_case,
    _same_file_by_case,
    _sha,
    _taken_over,
    fitting_names,
    jellyfin_first_notes,
    name_too_long,
    plan_against_disk,
    slot_rivals,
    taken_over_error,
)
from metarrd.runtime import Runtime
from metarrd.scan import KodiOnly, classify_image, kodi_only_videos

log = logging.getLogger(__name__)


def show_of(item: db.Movie) -> db.Movie:
    """The show a TV item belongs to (a show is its own)."""
    if item.kind == db.SHOW:
        return item
    if item.show_id is None:
        raise ItemError(f"{item.label}: cannot publish: it belongs to no show")
    return db.Movie.get_by_id(item.show_id)


def publish_show(rt: Runtime, items: list[db.Movie]) -> dict[int, PublishResult | MetarrdError]:
    """Publish `items`, of one show, and one outcome each: the show with its seasons and
    enriched episodes (module docstring) when the show or a season is among them; else those
    episodes alone once the show has been published (`_scope`). An item whose job another
    worker took over while this one planned (`_taken_over`: it froze past its lease) is left
    to that worker, as a movie is: the rest is planned again without it and published."""
    workflow.require(rt.config, "publishing")
    show = show_of(items[0])
    _validate(show)
    members = _members(show)
    outcomes: dict[int, PublishResult | MetarrdError] = {}
    with _folder_locks(rt, [Path(show.path)]):
        while True:
            whole = any(i.kind != db.EPISODE for i in items)
            episodes = None if whole else items
            only = _scope(show, members, episodes)
            _check_episodes(episodes or [])  # asked for: never left out of a whole show unsaid
            before = db.Movie.get_by_id(show.id) if only is not None else None
            try:
                prepared, extra_dirs = _prepare(rt, show, members, fetch=True, only=only)
            except (MetarrdError, OSError) as exc:
                raise apply.failed(show, exc) from None
            lost = _taken_over(rt, items)
            if not lost:
                break
            outcomes.update((i.id, taken_over_error(show)) for i in items if i.id in lost)
            items = [i for i in items if i.id not in lost]
            if not items:
                return outcomes
            if whole and any(i.kind != db.EPISODE for i in items):
                break  # still the whole show, whose episodes' jobs do not change its plan
        for directory in extra_dirs:  # our temp files a crash left in season folders
            remove_stale_temp_files(directory)
        job = apply.Job(show, prepared.plan, prepared.skipped, prepared.missing, prepared.seen)
        outcome = apply.apply_all(rt, [job])[show.id]
    if isinstance(outcome, BaseException):
        raise outcome
    _finish(show, members, prepared.plan, only)
    if before is not None:
        _after_episodes(rt, before, only or set(), outcome)
        outcome.title += " " + ", ".join(_code(e) for e in episodes or [])  # which episodes
    outcomes.update((i.id, outcome) for i in items)
    return outcomes


def _code(ep: db.Movie) -> str:
    """`S01E04E05`, else the file's name."""
    if ep.season is None or not ep.episodes:
        return Path(ep.path).name
    return f"S{ep.season:02d}" + "".join(f"E{n:02d}" for n in ep.episodes)


def preview_show(rt: Runtime, item: db.Movie) -> PublishPlan:
    """What `publish_show` would do now, without downloading or writing anything."""
    show = show_of(item)
    _validate(show)
    members = _members(show)
    only = _scope(show, members, [item] if item.kind == db.EPISODE else None)
    plan = _prepare(rt, show, members, fetch=False, only=only)[0].plan
    if not workflow.is_enabled(rt.config, "publishing"):
        plan.notes.insert(0, "publishing is switched off: a publish would be refused")
    return plan


def _validate(show: db.Movie) -> None:
    if show.identification_status != db.ENRICHED:
        raise not_enriched(show, show.identification_status)
    if show.missing or not os.path.isdir(show.path):
        raise ItemError(f"{show.label}: cannot publish: the show folder is missing ({show.path})")


class _Members:
    def __init__(self, show: db.Movie) -> None:
        children = list(
            db.Movie.select().where(db.Movie.show == show.id).order_by(db.Movie.path, db.Movie.id)
        )
        # not a season another episode order left without files (identify.tv._season_items)
        self.seasons = sorted(
            (m for m in children if m.kind == db.SEASON and not m.missing),
            key=lambda m: m.season or 0,
        )
        # those it left without files: what publish wrote for them goes (`_prepare`)
        self.hidden = [m for m in children if m.kind == db.SEASON and m.missing]
        self.episodes = [m for m in children if m.kind == db.EPISODE and not m.missing]
        self.episodes.sort(key=lambda m: (m.season or 0, (m.episodes or [0])[0], m.path))
        self.published = [e for e in self.episodes if e.identification_status == db.ENRICHED]
        # filled by the plan: the enriched episodes that get no NFO, and why when the library
        # stands in the way (a FIFO at its NFO's name, a name too long, a folder outside)
        self.without_nfo: set[int] = set()
        self.blocked: dict[int, str] = {}
        # filled by the plan: the hidden seasons what publish wrote for stays (a folder that
        # cannot be written into, or leads out of every library), and why
        self.kept_hidden: dict[int, str] = {}


def _matched_to_nothing(ep: db.Movie) -> bool:
    """An episode file identify matched to no episode of its show (its refs gone with the old
    show's, `identify.tv.forget_show`, or with the numbers its name gave before)."""
    return ep.identification_status == db.UNIDENTIFIED and not ep.episode_refs


def _members(show: db.Movie) -> _Members:
    return _Members(show)


def _check_episodes(episodes: list[db.Movie]) -> None:
    """An episode asked for must be enriched and there, as a movie must: published alone, or
    with its show never published (the whole show would leave it out, and say "published")."""
    for ep in episodes:
        ep = db.Movie.get_by_id(ep.id)
        if ep.missing:
            raise ItemError(f"{ep.label}: cannot publish: its file is missing ({ep.path})")
        if ep.identification_status != db.ENRICHED:
            raise not_enriched(ep, ep.identification_status)


def refused_episodes(episodes: list[db.Movie]) -> dict[int, ItemError]:
    """Of several episodes of one show to publish together, those a publish of them refuses
    (`_check_episodes`), each with its own reason: the others are published without them."""
    refused: dict[int, ItemError] = {}
    for ep in episodes:
        try:
            _check_episodes([ep])
        except ItemError as exc:
            refused[ep.id] = exc
    return refused


def publishes_alone(item: db.Movie) -> bool:
    """Whether `publish_show` (and `preview_show`) of this item covers it alone, not its whole
    show: an episode of a published show (`_scope`). What the web UI's episode page offers."""
    return item.kind == db.EPISODE and _published(show_of(item))


def _published(show: db.Movie) -> bool:
    """A show published, with its `tvshow.nfo` there: its episodes publish alone (`_scope`)."""
    published = show.last_published_at is not None and show.publish_state != db.UNPUBLISHED
    return published and os.path.lexists(tv_layout.tvshow_nfo_path(Path(show.path)))


def _scope(show: db.Movie, members: _Members, episodes: list[db.Movie] | None) -> set[int] | None:
    """The items an episode's publish covers (interface.md: "on an episode, that episode and
    what its show needs"); None: the whole show. A show never published, or whose `tvshow.nfo`
    is gone, is published as one unit (kodi-tv.md §7: Kodi with local information only must
    never meet our `tvshow.nfo` beside an episode without its NFO). A published show: those
    episodes (their NFO, thumb and guest stars' `.actors/` images) and the seasons of theirs
    never published (a new season's art) or published as they are (nothing in them to review:
    their `season.nfo` follows the episodes into a season folder Sonarr renamed, `Season 1` to
    `Season 01`, and is left as it is otherwise); `tvshow.nfo`, the show's art and the other
    episodes are left as they are, so fixing one episode rewrites one NFO, not the show."""
    if not episodes or not _published(show):
        return None
    only = {e.id for e in episodes}
    # a file named by air date has the season of the episode it was matched to
    numbers = {e.episode_numbers()[0] for e in episodes}
    only |= {
        s.id
        for s in members.seasons
        if s.season in numbers and (s.last_published_at is None or s.publish_state == db.PUBLISHED)
    }
    return only


# --- the plan ------------------------------------------------------------------------------------


def _prepare(
    rt: Runtime,
    show: db.Movie,
    members: _Members,
    *,
    fetch: bool,
    only: set[int] | None = None,
    locked: dict[Path, str] | None = None,
    keep: frozenset[Path] = frozenset(),
) -> tuple[Prepared, list[Path]]:
    """The plan of the whole show, or (`only`: `_scope`) of those episodes and seasons alone:
    no `tvshow.nfo`, no show art, and nothing of the others written, removed or fetched.
    A season folder the plan would change but that cannot be written into (read-only: a
    mount, a `chmod a-w`) is left out, as a FIFO at an NFO's name is: planned again with
    `locked` (folder -> why), its files the first plan kept (`keep`) kept, the rest of it
    neither written nor removed, its episodes and season said to get no NFO, and the rest of
    the show published. The show folder itself stays the whole show's refusal (`apply`)."""
    locked = locked or {}
    folder = Path(show.path)
    notes: list[str] = []
    for directory, why in sorted(locked.items()):
        _note(show, notes, f"{directory}: cannot write into it ({why}): nothing there is written "
                           "or removed, the rest of the show is; publish again once it can be")  # fmt: skip
    real_paths: dict[str, str] = {}
    blocked = _outside_library(rt, show, members, real_paths)
    blocked |= _shared_names(members)
    ids = [show.id] + [s.id for s in members.seasons] + [e.id for e in members.published]
    # an episode matched to no episode of its show (the show became another, "Change show…",
    # that has not this one): the NFO and thumb we wrote for it are the old episode's, with its
    # title and ids (Kodi listed "Dalek" of the 2005 series under the 1963 one). They go, as
    # an episode's sidecars go once its video is gone; an episode not enriched yet keeps its own
    unmatched = [e for e in members.episodes if _matched_to_nothing(e)] if only is None else []
    rows = load_rows(ids + [e.id for e in unmatched])

    def mine(item: db.Movie) -> bool:
        return only is None or item.id in only

    seasons = [s for s in members.seasons if mine(s)]
    episodes = [e for e in members.published if mine(e)]
    blocked = {i: why for i, why in blocked.items() if only is None or i in only}
    missing = Missing()
    ctx = _Ctx(rt, show, notes, missing, fetch)
    if only is not None:  # the guest stars of these episodes; the others' names are reserved
        ctx.actor_scope = {r.actor.id for e in episodes if e.id in rows for r in rows[e.id].cast}
    wanted: list[Wanted] = []
    # images first (the order `apply` keeps within a kind): show, all-seasons, seasons, thumbs
    if only is None:
        wanted += ctx.show_art(rows[show.id], folder)
    for season in seasons:
        if season.id in rows:
            wanted += ctx.season_art(rows[season.id], folder)
    for ep in episodes:
        wanted += ctx.episode_thumb(rows[ep.id])
    actors_dir = folder / layout.ACTORS_DIR
    if (odd := _not_a_folder(actors_dir)) is not None:  # a symlink: no actor image goes there
        _note(show, notes, f"{actors_dir} is {odd}: no actor image is written or removed there")
    else:
        cast = ctx.actors(
            [rows[show.id]] + [rows[e.id] for e in members.published if e.id in rows], folder
        )
        scope = ctx.actor_scope
        wanted += [w for w in cast if scope is None or w.actor_id in scope]
    limits: dict[Path, int] = {}
    wanted = fitting_names(show, wanted, limits, notes)  # a thumb too long: the rest publishes
    wanted = [w for w in wanted if w.path.parent not in locked or w.path in keep]
    # episode NFOs, then tvshow.nfo last: it lands after every episode NFO
    with_nfo: set[int] = set()
    first_nfo: tuple[Path, bytes] | None = None
    for ep in episodes:
        data = _episode_blocks(show, ep, rows[ep.id])
        if not data:
            _note(show, notes, f"{Path(ep.path).name}: no episode numbers; no NFO written")
            continue
        body = tv_nfo.render_episodes(data)
        target = tv_layout.episode_nfo_path(Path(ep.path))
        if (too_long := name_too_long(target, limits)) is not None:
            blocked[ep.id] = f"its NFO's name {too_long}"
            continue
        if (what := _unusable_nfo_place(target)) is not None:
            blocked[ep.id] = f"{target.name} is {what}, where its NFO goes (remove or rename it)"
            continue
        if target.parent in locked and target not in keep:
            blocked[ep.id] = f"cannot write into {target.parent} ({locked[target.parent]})"
            continue
        wanted.append(_nfo_wanted(target, f"NFO of {target.stem}", body))
        with_nfo.add(ep.id)
        first_nfo = first_nfo or (target, body)
    for ep in filter(mine, members.episodes):
        warning = tv_layout.misread_warning(
            Path(ep.path).name, ep.season, list(ep.episodes or []), ep.aired
        )
        if warning:
            _note(show, notes, layout.Warned(warning))
    without = [e for e in members.episodes if e.id not in with_nfo and mine(e)]
    for n, ep in enumerate(without):
        why = (
            blocked.get(ep.id)
            or ep.last_error
            or (
                "no episode numbers"
                if ep.identification_status == db.ENRICHED
                else f"it is {ep.identification_status}, not enriched"
            )
        )
        # before the notes on pictures and names: the one the summary line shows (`N skipped
        # (first)`, in the activity) is an episode Kodi lists without its metadata
        _note(show, notes, f"{Path(ep.path).name} gets no NFO now: {why}", at=len(locked) + n)
    members.without_nfo = {e.id for e in without}
    members.blocked = {i: f"gets no NFO: {why}" for i, why in blocked.items()}
    taken = {w.path for w in wanted}
    wanted += _season_nfos(rt, show, members, seasons, taken, notes, real_paths, locked, keep)
    show_nfo = tv_layout.tvshow_nfo_path(folder)
    if only is None:
        others = _kodi_only_episodes(show)
        for other in others:
            _note(show, notes, f"{other.name}: Kodi reads it as an episode, and it is no "
                               f"episode of metarrd's ({other.why}): it gets no NFO")  # fmt: skip
        guide = not without and not others
        if not guide and tv_nfo.episode_guide(show.tmdb_id, show.tvdb_id, show.imdb_id):
            notes.append(
                layout.Warned(
                    "tvshow.nfo is written without episodeguide: with it, Kodi (local information "
                    "only) drops every episode of the show when one file has no NFO "
                    f"({len(without) + len(others)} here)"
                )
            )
        show_bytes = tv_nfo.render_tvshow(_show_data(show, rows[show.id], members, guide))
        wanted.append(_nfo_wanted(show_nfo, "tvshow.nfo", show_bytes))
        nfo_target = show_nfo
    else:  # the preview's diff is the (first) episode's NFO; tvshow.nfo stays as it is
        nfo_target, show_bytes = first_nfo or (show_nfo, b"")

    ledger: dict[Path, LedgerEntry] = {}
    for r in rows.values():
        ledger.update(r.ledger)
    # sidecars of an episode not published now stay while its video is there
    waiting = {(Path(e.path).parent, Path(e.path).stem) for e in members.episodes}
    waiting -= {(Path(e.path).parent, Path(e.path).stem) for e in members.published + unmatched}
    wanted_paths = {w.path for w in wanted}
    ledger = {
        p: e
        for p, e in ledger.items()
        if p in wanted_paths
        or not any(d == p.parent and tv_layout.is_episode_sidecar(p.name, s) for d, s in waiting)
    }
    # the season each of our season.nfo files says it is, for the seasons hidden: a folder's
    # name does not tell a daily show's `Season 2024/` holds season 29's
    said = _season_nfo_numbers(rt, folder, ledger) if members.hidden or only is not None else {}
    if only is not None:  # nothing of the show's other items is removed: only these episodes',
        # and the NFOs and thumbs we wrote for a video no episode has any more (an episode
        # renamed: its old names, which Kodi would list for a video that is gone)
        # nor the art and season.nfo of a season hidden for holding no file (another episode
        # order moved its files; a whole show's plan wants none of them either), and these
        # seasons' season.nfo in a folder that holds none of their files any more (Sonarr
        # renamed `Season 1/` to `Season 01/`: ours kept the emptied folder from going)
        own = {(Path(e.path).parent, Path(e.path).stem) for e in episodes}
        videos = _episode_videos(show)
        gone = [s.season for s in members.hidden if s.season is not None]
        scoped = [s.season for s in seasons if s.season is not None]
        ledger = {
            p: e
            for p, e in ledger.items()
            if p in wanted_paths
            or any(d == p.parent and tv_layout.is_episode_sidecar(p.name, s) for d, s in own)
            or _orphan_sidecar(p, videos)
            or any(tv_layout.is_season_file(folder, p, n, said) for n in gone)
            or (
                p.name == tv_layout.SEASON_NFO
                and any(tv_layout.is_season_file(folder, p, n, said) for n in scoped)
            )
        }
    # nothing is removed through a folder that leads out of every library, nor where we
    # cannot write
    stays: dict[Path, str] = {}
    for p in ledger:
        if (where := apply.outside_library(rt, p.parent, real_paths)) is not None:
            stays[p] = f"{where}outside every configured library"
        elif p.parent in locked and p not in keep:
            stays[p] = f"cannot write into {p.parent} ({locked[p.parent]})"
    ledger = {
        p: e
        for p, e in ledger.items()
        if p not in stays and (odd is None or p.parent != actors_dir)
    }
    # a hidden season whose files stay is not unpublished (`_finish`): still to do, saying why
    members.kept_hidden = {}
    for hidden in members.hidden:
        if hidden.season is None:
            continue
        why = next(
            (
                w
                for p, w in stays.items()
                if tv_layout.is_season_file(folder, p, hidden.season, said)
            ),
            None,
        )
        if why is not None:
            members.kept_hidden[hidden.id] = f"what was published for it stays: {why}"
            _note(show, notes, f"{hidden.title or f'Season {hidden.season}'} holds no episode "
                               f"file now, but {members.kept_hidden[hidden.id]}; publish again "
                               "once it can be removed")  # fmt: skip
    held = {p: missing.held[p.with_suffix("")] for p in ledger if p.with_suffix("") in missing.held}
    ledger = {p: e for p, e in ledger.items() if p not in held}

    listings: dict[Path, set[str]] = {}

    def names_in(directory: Path) -> set[str]:
        if directory not in listings:
            listings[directory] = set(files.names_in(directory))
        return listings[directory]

    conflicts = _conflicts(wanted, ledger, names_in)
    shown_first = [w for w in wanted if w.path.parent == folder]  # the show's art, not a season's
    for text in jellyfin_first_notes(shown_first, names_in(folder), (), lambda: True):
        _note(show, notes, text)
    leave: list[Path] = []
    videos_in = {Path(e.path).parent for e in members.episodes}
    for path, text in _shown_before_ours(wanted, ledger, conflicts, names_in, folder, videos_in):
        leave.append(path)
        _note(show, notes, layout.Warned(text))
    mine = {w.path for w in wanted} | set(ledger) | set(conflicts) | set(leave)
    leave += _users_art_left(folder, only is None, episodes, names_in, mine, actors_dir)
    dirs = sorted(
        ({folder, *([actors_dir] if odd is None else [])} if only is None else set())
        | {w.path.parent for w in wanted}
        | {Path(e.path).parent for e in episodes}
    )
    dirs = [d for d in dirs if d not in locked]
    stale = [d / n for d in dirs for n in names_in(d) if n.startswith(TEMP_MARKER)]
    plan, seen = plan_against_disk(
        show,
        folder,
        wanted,
        ledger,
        held,
        nfo_target=nfo_target,
        nfo_bytes=show_bytes,
        conflicts=conflicts,
        leave=leave,
        notes=notes,
        stale=stale,
        fetch=fetch,
        libraries=rt.config.library,
    )
    plan.nfo_path = nfo_target
    if not locked:
        changing = {a.path.parent for a in plan.by_action(WRITE, REPLACE, REMOVE)}
        changing |= {p.parent for p in plan.stale_temp}
        bad = {d: why for d in changing - {folder, actors_dir} if (why := _unwritable(d))}
        if bad:  # planned again without what it would change there
            keep = frozenset(a.path for a in plan.by_action(KEEP))
            return _prepare(rt, show, members, fetch=fetch, only=only, locked=bad, keep=keep)
    extra = [d for d in dirs if d not in (folder, actors_dir)]
    return Prepared(plan, notes, missing, seen), extra


def _unwritable(directory: Path) -> str | None:
    """Why nothing can be written into (or removed from) this folder, or None: a read-only
    file system, or no permission (`os.access`, as the publish's user)."""
    if not os.path.isdir(directory) or os.access(directory, os.W_OK | os.X_OK):
        return None
    try:
        read_only = bool(os.statvfs(directory).f_flag & os.ST_RDONLY)
    except OSError:
        read_only = False
    return "a read-only file system" if read_only else "no permission to write there"


def _season_nfos(
    rt: Runtime,
    show: db.Movie,
    members: _Members,
    seasons: list[db.Movie],
    taken: set[Path],
    notes: list[str],
    real_paths: dict[str, str],
    locked: dict[Path, str],
    keep: frozenset[Path],
) -> list[Wanted]:
    """Each season's `season.nfo` in its season folders (`tv_layout.season_nfo_folders`: a
    folder named for the season that holds its episodes; a flat show gets none, and no folder
    is made for it), for Jellyfin and Emby: the season's name, plot and date that Kodi takes
    from tvshow.nfo's `<namedseason>` alone. Written, backed up and recorded as every file of
    ours; not in a folder that leads out of every library, nor where a FIFO or folder stands,
    nor changed in a folder we cannot write into (`locked`: the season is not published)."""
    out: list[Wanted] = []
    folder = Path(show.path)
    # a season folder's episodes: their seasons (a file named by air date: the one matched),
    # and whether each is named by air date (no season of its name); not those matched to none
    held: dict[Path, set[tuple[int, bool]]] = {}
    for e in members.episodes:
        parts = Path(e.path).relative_to(folder).parts if is_inside(e.path, folder) else ()
        number = e.episode_numbers()[0]
        if len(parts) > 1 and number is not None:  # matched to none: no NFO, no season
            held.setdefault(folder / parts[0], set()).add((number, e.season is None))
    for season in seasons:
        if season.season is None:
            continue
        videos = [Path(e.path) for e in members.episodes if e.episode_numbers()[0] == season.season]
        dated = {f for f, seen in held.items() if seen == {(season.season, True)}}
        for where in tv_layout.season_nfo_folders(folder, season.season, videos, dated):
            named = season_of_folder(where.name, numeric=True) == season.season
            body = tv_nfo.render_season(_season_data(season, named))
            target = where / tv_layout.SEASON_NFO
            if target in taken or not os.path.isdir(where):
                continue  # an episode named `season.mkv` has that NFO name
            if apply.outside_library(rt, where, real_paths) is not None:
                continue  # its episodes' notes say so
            if (what := _unusable_nfo_place(target)) is not None:
                _note(show, notes, f"{where.name}/{target.name} is {what}; no season.nfo written")
                continue
            if where in locked and target not in keep:
                why = f"cannot write into {where} ({locked[where]})"
                _note(show, notes, f"{where.name}/{target.name}: {why}; no season.nfo written")
                members.blocked[season.id] = f"its season.nfo is not written: {why}"
                continue
            out.append(_nfo_wanted(target, f"season.nfo of {where.name}", body))
    return out


def _season_data(season: db.Movie, named: bool) -> tv_nfo.SeasonData:
    """The season item as its `season.nfo` says it; the elements of the user's own season.nfo
    that we do not write (scan keeps them: `hints["season_nfo"]["extra"]`) go back in.
    `<title>` only for a name of its own ("Season 2" is Jellyfin's default, in the user's
    language), unless the folder (`named` False) gives another number: Jellyfin names a season
    by its folder's number (`SeasonResolver`: a daily show's `Season 2024` is "Season 2024") and
    keeps that name when `<seasonnumber>` makes it 29, until a `<title>` names it
    (`BaseNfoParser`), so it gets the season's name, TMDB's "Season 29" or that default."""
    number = int(season.season)
    title = season.title if season.title and not names_no_season(season.title, number) else None
    if title is None and not named:
        title = season.title or ("Specials" if number == 0 else f"Season {number}")
    users = (season.hints or {}).get("season_nfo") or {}
    extra = users.get("extra") if isinstance(users, dict) else None
    return tv_nfo.SeasonData(
        number=number,
        title=title,
        plot=season.plot,
        premiered=season.premiered or season.aired,
        extra=tuple(e for e in extra or () if isinstance(e, str)),
    )


def _kodi_only_episodes(show: db.Movie) -> list[KodiOnly]:
    """The videos below the show folder that Kodi adds as episodes and that are no episode
    item of ours, so get no NFO (`scan.kodi_only_videos`)."""
    return kodi_only_videos(Path(show.path), {(str(d), s) for d, s in _episode_videos(show)})


def _episode_videos(show: db.Movie) -> set[tuple[Path, str]]:
    """(folder, stem) of every episode file of the show, missing ones too (a share gone for a
    while: their files stay)."""
    query = db.Movie.select(db.Movie.path).where(
        db.Movie.show == show.id, db.Movie.kind == db.EPISODE
    )
    return {(Path(path).parent, Path(path).stem) for (path,) in query.tuples()}


def _season_nfo_numbers(rt: Runtime, folder: Path, ledger: Iterable[Path]) -> dict[Path, int]:
    """The `<seasonnumber>` of each of our `season.nfo` files in a folder right in the show
    folder (`tv_layout.is_season_file`'s `said`); one that cannot be read (gone, not a regular
    file, too large, led out of every library) or says no number is left out: its folder's
    name tells its season."""
    out: dict[Path, int] = {}
    for path in ledger:
        if path.name != tv_layout.SEASON_NFO or path.parent.parent != folder:
            continue
        try:
            data = read_regular(path, MAX_FILE_BYTES, inside=rt.config.library)
        except OSError:
            continue
        if (number := tv_nfo.season_number_of(data)) is not None:
            out[path] = number
    return out


def _orphan_sidecar(path: Path, videos: set[tuple[Path, str]]) -> bool:
    """Whether a file of ours is an episode's NFO or thumb (`tv_layout.is_episode_sidecar`)
    beside no episode file of that name: written for a video since renamed or gone."""
    name = path.name
    if (
        name in (tv_layout.TVSHOW_NFO, tv_layout.SEASON_NFO)
        or path.parent.name == layout.ACTORS_DIR
    ):
        return False
    if name.endswith(f".{layout.NFO_EXT}"):
        stem = name[: -len(layout.NFO_EXT) - 1]
    elif f"-{tv_layout.EPISODE_THUMB}." in name:
        stem = name.rsplit(f"-{tv_layout.EPISODE_THUMB}.", 1)[0]
    else:
        return False
    return (path.parent, stem) not in videos


def _outside_library(
    rt: Runtime, show: db.Movie, members: _Members, real_paths: dict[str, str]
) -> dict[int, str]:
    """The published episodes whose folder leads out of every library (a season folder that is
    a symlink, with `follow_symlinks` off): taken out of `members.published`, so nothing is
    written beside them and they count as episodes without an NFO (no `episodeguide`). The rest
    of the show publishes; the movie publish refuses such a folder the same way
    (`apply.outside_library`). Returns why, per episode id."""
    blocked: dict[int, str] = {}
    for ep in members.published:
        where = apply.outside_library(rt, Path(ep.path).parent, real_paths)
        if where is not None:
            blocked[ep.id] = (
                f"its folder {where}outside every configured library (a symlinked folder? "
                "see follow_symlinks); nothing is written there"
            )
    members.published = [e for e in members.published if e.id not in blocked]
    return blocked


def _not_a_folder(actors_dir: Path) -> str | None:
    """What `.actors` is when it is there but no folder of its own (a symlink, to a shared
    folder or out of the library; a file): nothing of the show's goes through it, and the
    rest of the show publishes (`apply` would refuse the whole show). None otherwise."""
    try:
        mode = os.lstat(actors_dir).st_mode
    except OSError:
        return None  # not there yet: made with the first actor image
    if stat.S_ISDIR(mode):
        return None
    if stat.S_ISLNK(mode):
        with contextlib.suppress(OSError):
            return f"a symbolic link to {os.readlink(actors_dir)!r}"
    return kind_of(mode) if not stat.S_ISREG(mode) else "a file"


def _unusable_nfo_place(target: Path) -> str | None:
    """What is at an episode NFO's name when our NFO cannot replace it: a FIFO or folder
    (`apply.special_file`), or a symlink to one (`Pilot.nfo -> /dev/null`, to keep tools from
    writing there) or to a file too large to copy into the cache first. `apply` would refuse
    the whole show for it; here only that episode is skipped. None when the NFO can go there
    (nothing, a file we can back up, a link that leads nowhere: replaced, with a note)."""
    if (what := apply.special_file(target)) is not None:
        return what
    try:
        st = os.stat(target)  # a symlink: what it leads to is what would be copied
    except OSError:
        return None
    if not stat.S_ISREG(st.st_mode):
        return f"a symbolic link to {kind_of(st.st_mode)}"
    if st.st_size > MAX_FILE_BYTES:
        return f"a file of {st.st_size / 1e6:.0f} MB, too large to copy into the cache first"
    return None


def _shared_names(members: _Members) -> dict[int, str]:
    """The published episodes whose NFO and thumb names an earlier one of the same folder has
    (`S01E01.mkv` beside `S01E01.avi`, a Sonarr upgrade's leftover): both would write
    `S01E01.nfo`, each publish replacing the other's. The first (by season, episode, path)
    keeps the names, the others are taken out of `members.published` (no NFO, no thumb; what
    is there stays, as for an episode not enriched yet), like a movie that does not own its
    names (`stage._clashes`). In a folder that ignores case (a share), names that differ only
    in letters are one name (`Show S01E01.avi`, `show s01e01.mkv`). Returns why, per episode
    id."""
    blocked: dict[int, str] = {}
    owners: dict[tuple[Path, str], db.Movie] = {}
    caseless: dict[Path, bool] = {}  # folder -> whether it ignores case
    for ep in members.published:
        video = Path(ep.path)
        if video.parent not in caseless:
            caseless[video.parent] = _ignores_case(video)
        stem = folded(video.stem) if caseless[video.parent] else video.stem
        owner = owners.setdefault((video.parent, stem), ep)
        if owner is not ep:
            blocked[ep.id] = (
                f"{video.stem}.{layout.NFO_EXT} is the NFO name of {Path(owner.path).name} too: "
                "two videos here share their NFO and thumb names; move one into its own "
                "folder or rename it"
            )
    members.published = [e for e in members.published if e.id not in blocked]
    return blocked


_HELD = object()  # a picture that cannot be had now: its place is kept


class _Ctx:
    """What every image lookup of one show's plan shares."""

    def __init__(
        self, rt: Runtime, show: db.Movie, notes: list[str], missing: Missing, fetch: bool
    ):
        self.rt, self.show, self.notes, self.missing, self.fetch = rt, show, notes, missing, fetch
        self.actor_scope: set[int] | None = None  # an episode's publish: the actors it writes

    def image(self, rows: ItemRows, asset: db.ArtworkCandidate, label: str, slot: Path):
        """The cache file of a selected image, or None (noted; a picture that cannot be had
        now keeps its slot: `Missing`)."""
        cached = rows.asset_cache.get(asset.content_hash, []) if asset.content_hash else None
        try:
            return sources.asset_image(
                self.rt,
                rows.movie.id,
                asset,
                fetch=self.fetch,
                who=self.show.label,
                label=label,
                notes=self.notes,
                rows=cached,
            )
        except sources.PictureUnavailable as exc:
            self.missing.add(self.show, label, "art", slot, exc)
            return _HELD

    def wanted(self, path: Path, label: str, image, backup_type: str) -> Wanted:
        return Wanted(
            path,
            "art",
            label,
            image.sha256,
            image.size,
            source=image.path,
            cache_file_id=image.cache_file_id,
            backup_type=backup_type,
        )

    def ext(self, image, label: str) -> str | None:
        try:
            return layout.ext_for_format(image.format, fallback=image.path.suffix)
        except layout.LayoutError as exc:
            _note(self.show, self.notes, f"{label}: {exc}, skipped")
            return None

    def show_art(self, rows: ItemRows, folder: Path) -> list[Wanted]:
        out: list[Wanted] = []
        ranks: dict[str, int] = {}
        done_all: set[str] = set()
        for asset in rows.assets:
            kind = asset.asset_type
            if kind.startswith(tv_layout.ALL_SEASONS):
                season_kind = kind.removeprefix(tv_layout.ALL_SEASONS)
                if season_kind not in tv_layout.SEASON_ART_TYPES or season_kind in done_all:
                    continue
                label = f"all seasons {season_kind}"
                slot = folder / tv_layout.all_seasons_art_name(season_kind, "jpg")
                image = self.image(rows, asset, label, slot)
                if image is _HELD:
                    done_all.add(season_kind)
                if image in (None, _HELD) or (ext := self.ext(image, label)) is None:
                    continue
                done_all.add(season_kind)
                path = folder / tv_layout.all_seasons_art_name(season_kind, ext)
                out.append(self.wanted(path, label, image, season_kind))
                continue
            if kind not in tv_layout.SHOW_ART_TYPES:
                _note(self.show, self.notes, f"{kind} of the show: no place in the layout, skipped")
                continue
            rank = ranks.get(kind, 0) + 1
            label = f"{kind} {rank}"
            slot = folder / tv_layout.show_art_name(kind, rank, "jpg")
            image = self.image(rows, asset, label, slot)
            if image is _HELD:
                ranks[kind] = rank  # its place is kept: the others do not move up meanwhile
                continue
            if image is None or (ext := self.ext(image, label)) is None:
                continue
            ranks[kind] = rank
            path = folder / tv_layout.show_art_name(kind, rank, ext)
            out.append(self.wanted(path, label, image, kind))
        return out

    def season_art(self, rows: ItemRows, folder: Path) -> list[Wanted]:
        season = rows.movie.season
        if season is None:
            return []
        out: list[Wanted] = []
        done: set[str] = set()
        for asset in rows.assets:
            kind = asset.asset_type
            if kind not in tv_layout.SEASON_ART_TYPES or kind in done:
                continue
            # "Specials banner", as the pages name season 0 (never "season 0 banner")
            label = f"Specials {kind}" if season == 0 else f"season {season} {kind}"
            slot = folder / tv_layout.season_art_name(season, kind, "jpg")
            image = self.image(rows, asset, label, slot)
            if image is _HELD:
                done.add(kind)
            if image in (None, _HELD) or (ext := self.ext(image, label)) is None:
                continue
            done.add(kind)
            out.append(
                self.wanted(
                    folder / tv_layout.season_art_name(season, kind, ext), label, image, kind
                )
            )
        return out

    def episode_thumb(self, rows: ItemRows) -> list[Wanted]:
        video = Path(rows.movie.path)
        for asset in rows.assets:
            if asset.asset_type != tv_layout.EPISODE_THUMB:
                continue
            label = f"thumb of {video.stem}"
            image = self.image(rows, asset, label, tv_layout.episode_thumb_path(video, "jpg"))
            if image is _HELD:
                return []
            if image is None or (ext := self.ext(image, label)) is None:
                continue
            return [self.wanted(tv_layout.episode_thumb_path(video, ext), label, image, "thumb")]
        return []

    def actors(self, all_rows: list[ItemRows], folder: Path) -> list[Wanted]:
        """`.actors/` of the show folder: the show's cast, then every episode's guest stars."""
        out: list[Wanted] = []
        taken: set[str] = set()
        done: set[int] = set()
        for rows in all_rows:
            for role in rows.cast:
                actor = role.actor
                if actor.id in done:
                    continue
                done.add(actor.id)
                scope = self.actor_scope
                actor_file = actors.actor_wanted(
                    self.rt,
                    rows,
                    role,
                    folder,
                    owner=self.show,
                    taken=taken,
                    notes=self.notes if scope is None or actor.id in scope else [],
                    fetch=self.fetch and (scope is None or actor.id in scope),
                    missing=self.missing if scope is None or actor.id in scope else Missing(),
                )
                if actor_file is not None:
                    out.append(actor_file)
        return out


def _conflicts(wanted: list[Wanted], ledger, names_in) -> dict[Path, str]:
    """The user's images for a slot we write at another name a player reads for it
    (`poster.png`, `Poster.JPG` beside our `poster.jpg`: `stage.slot_rivals`): players would
    see two; copied into the cache, then removed."""
    mine = {w.path for w in wanted} | set(ledger)
    listings: dict[Path, set[str]] = {}
    indexes: dict[Path, dict[str, list[str]]] = {}
    conflicts: dict[Path, str] = {}
    for w in wanted:
        if w.kind == "nfo":
            continue
        listings.setdefault(w.path.parent, names_in(w.path.parent))
        for p in slot_rivals(w, listings, indexes, mine):
            conflicts[p] = w.backup_type or "fanart"
    return conflicts


# Jellyfin's image extensions (`BaseItem.SupportedImageExtensions`, any letter case), less
# `.svg`, which no tool writes for an episode
_JELLYFIN_EXTS = frozenset(layout.IMAGE_EXTS)


def _shown_before_ours(
    wanted: list[Wanted],
    ledger,
    conflicts: dict[Path, str],
    names_in,
    folder: Path,
    episode_dirs: set[Path],
) -> list[tuple[Path, str]]:
    """The user's images a player shows instead of our episode thumb or season poster, left as
    they are (as a movie's `<base>.jpg` is), with the note saying so:

    - `<episode>.<ext>` beside the video (tinyMediaManager's episode thumb naming `[filename].*`
      and `[filename].tbn`): Plex's Local Media Assets match `<episode>(-|-thumb)?[0-9]?` and
      rank what they find by its name (LocalMedia.bundle `localmedia.findAssets`: sorted by the
      name without extension, so `<episode>` before `<episode>-thumb`); Jellyfin takes both as
      the episode's image, and shows the first its folder listing gives
      (`EpisodeLocalImageProvider`, `ItemImageProvider.MergeImages`), in no set order. Kodi
      reads `-thumb` first (`<episode>.tbn` only without it), so it is not named. Jellyfin's
      `metadata/<episode>.jpg` comes after both there: no note.
    - for a season's poster `seasonNN-poster.<ext>`, Plex's own season names that sort before it
      (`seasonNN.jpg`, `season N.jpg`, `season-N.jpg`: `season(-|0| )?N[-a-z]?(-poster)?`)
      in the show folder or a folder holding its episodes, which Plex searches for every
      season. Jellyfin reads ours first (`PopulateSeasonImagesFromSeriesFolder` before the
      season folder's `folder.jpg`), Kodi only ours.

    Not a file that holds the very picture chosen (`stage._holds_ours`: the user's own,
    copied to our name), nor one of ours, nor one the publish replaces (`conflicts`).
    `episode_dirs`: the folders holding the show's episode files."""
    mine = {w.path for w in wanted} | set(ledger) | set(conflicts)
    found: list[tuple[Path, str]] = []
    # each episode folder's names by their stem in any letter case: looked up per thumb, not
    # read whole per thumb (a daily show's one folder of 4,000 episodes)
    stems: dict[Path, dict[str, list[str]]] = {}
    for directory in {w.path.parent for w in wanted if w.backup_type == tv_layout.EPISODE_THUMB}:
        index = stems[directory] = {}
        for other in sorted(names_in(directory)):
            o_stem, dot, _ext = other.rpartition(".")
            if dot:
                index.setdefault(o_stem.casefold(), []).append(other)
    seasons_named: dict[Path, list[str]] | None = None  # Plex's season names, listed once

    for w in wanted:
        if w.kind != "art":
            continue
        name = w.path.name
        if w.backup_type == tv_layout.EPISODE_THUMB and f"-{tv_layout.EPISODE_THUMB}." in name:
            stem = name.rsplit(f"-{tv_layout.EPISODE_THUMB}.", 1)[0].casefold()
            for other in stems.get(w.path.parent, {}).get(stem, ()):
                o_stem, dot, ext = other.rpartition(".")
                path = w.path.parent / other
                if path in mine:
                    continue
                if ext.lower() not in _JELLYFIN_EXTS or _holds_ours(path, w):
                    continue
                if ext.lower() in plex.IMAGE_EXTS:
                    text = (
                        f"{other} is left as it is: Plex shows it as the episode's thumb, "
                        f"before {name}, and Jellyfin may (it shows whichever of the two its "
                        "folder lists first); remove it to have them show the thumb chosen here"
                    )
                else:  # a .webp or .gif: no name Plex reads
                    text = (
                        f"{other} is left as it is: Jellyfin may show it as the episode's "
                        f"thumb instead of {name} (it shows whichever of the two its folder "
                        "lists first); remove it to have Jellyfin show the thumb chosen here"
                    )
                found.append((path, text))
            continue
        m = _OUR_SEASON_POSTER.match(name)
        if w.path.parent != folder or m is None:
            continue
        number = int(m.group(1))
        ours = name.rpartition(".")[0].lower()
        rule = re.compile(rf"season(?:-|0|\s)?{number}[-a-z]?(?:-poster)?", re.I)
        if seasons_named is None:  # the show folder and its episodes' folders, read once
            seasons_named = {
                where: sorted(n for n in names_in(where) if n[:6].lower() == "season")
                for where in sorted({folder} | {d for d in episode_dirs if is_inside(d, folder)})
            }
        for where, named in seasons_named.items():
            for other in named:
                o_stem, dot, ext = other.rpartition(".")
                path = where / other
                if not dot or ext.lower() not in plex.IMAGE_EXTS or path in mine:
                    continue
                if not rule.fullmatch(o_stem) or o_stem.lower() >= ours or _holds_ours(path, w):
                    continue
                shown = other if where == folder else f"{where.name}/{other}"
                found.append(
                    (
                        path,
                        f"{shown} is left as it is: Plex shows it as the season {number} "
                        f"poster, before {name}; remove it to have Plex show the poster "
                        "chosen here",
                    )
                )
    return found


# the user's season art in the show folder (`season01-poster.jpg`, `season-specials-fanart.png`,
# `season-all-banner.jpg`; Plex's `season01.jpg`, `season 1.jpg`)
_SEASON_IMAGE = re.compile(r"season(?:[ -]?\d{1,4}|-specials|-all)(?:-[a-z]+)?")


def _users_art_left(
    folder: Path,
    whole: bool,
    episodes: list[db.Movie],
    names_in,
    mine: set[Path],
    actors_dir: Path,
) -> list[Path]:
    """The user's images a player reads for the show's items that this publish neither writes
    nor replaces (`mine`: ours, and those it replaces or already names), left as they are: the
    plan lists each ("left alone"), as a movie's plan lists the user's images beside it
    (`stage._neighbours`). The whole show (`whole`): its art and season art in the show folder,
    its `.actors/`, and a season's in its own folder (`Season 1/folder.jpg`); and each of
    `episodes`' images beside its video (`<episode>.jpg`, `<episode>-thumb.png`)."""
    found: list[Path] = []
    by_case: dict[tuple[Path, str], list[Path]] = {}  # ours by folder and name in any case
    for m in mine:
        by_case.setdefault((m.parent, folded(m.name)), []).append(m)

    def add(directory: Path, name: str) -> None:
        path = directory / name
        if path in mine:
            return
        same = by_case.get((directory, folded(name)), [])
        if not same or not _same_file_by_case(path, set(same), names_in(directory)):
            found.append(path)

    def image(name: str) -> bool:
        stem, dot, ext = name.rpartition(".")
        return (
            bool(dot)
            and ext.lower() in layout.IMAGE_EXTS
            and not name.startswith((".", TEMP_MARKER))
            and (
                classify_image(name, "\0", own_folder=True, kind="show") is not None
                or _SEASON_IMAGE.fullmatch(stem.lower()) is not None
            )
        )

    if whole:
        for name in sorted(names_in(folder)):
            if image(name):
                add(folder, name)
            elif (
                not name.startswith((".", TEMP_MARKER))
                and season_of_folder(name, numeric=True) is not None
                and (folder / name).is_dir()
                and not (folder / name).is_symlink()
            ):
                for inner in sorted(names_in(folder / name)):
                    if image(inner):
                        add(folder / name, inner)
        for name in sorted(names_in(actors_dir)):
            if not name.startswith("."):
                add(actors_dir, name)
    # each episode folder's names by the `<episode>` they may belong to: `<episode>.jpg`,
    # `<episode>-thumb.jpg`, `<episode>-fanart-1.jpg` (art types hold no `-`)
    bases: dict[Path, dict[str, list[str]]] = {}
    for ep in episodes:
        video = Path(ep.path)
        if video.parent not in bases:
            index = bases[video.parent] = {}
            for name in names_in(video.parent):
                stem = name.rpartition(".")[0]
                for key in {stem, stem.rsplit("-", 1)[0], stem.rsplit("-", 2)[0]}:
                    index.setdefault(key, []).append(name)
        for name in sorted(bases[video.parent].get(video.stem, ())):
            if classify_image(name, video.stem, own_folder=False, kind="episode") is not None:
                add(video.parent, name)
    return sorted(set(found))


# our poster of a numbered season in the show folder (`season01-poster.jpg`; not
# `season-specials-poster`, which Plex reads by that name alone)
_OUR_SEASON_POSTER = re.compile(r"season(\d{2,})-poster\.[a-z]+")


def _nfo_wanted(path: Path, label: str, data: bytes) -> Wanted:
    return Wanted(path, "nfo", label, _sha(data), len(data), data=data, backup_type="nfo")


# --- NFO data ------------------------------------------------------------------------------------


def _ratings(rating, votes) -> tuple[tv_nfo.Rating, ...]:
    if not rating:
        return ()
    return (tv_nfo.Rating("tmdb", float(rating), int(votes) if votes else None, default=True),)


def _show_data(show: db.Movie, rows: ItemRows, members: _Members, guide: bool) -> tv_nfo.ShowData:
    named = tuple((s.season, s.title) for s in members.seasons if s.season is not None and s.title)
    return tv_nfo.ShowData(
        title=show.title or Path(show.path).name,
        original_title=show.original_title,
        sort_title=show.sort_title,
        outline=show.outline,
        plot=show.plot,
        tagline=show.tagline,
        runtime=show.runtime,
        mpaa=show.mpaa,
        premiered=show.premiered or show.aired,
        year=show.year,
        status=show.status,
        ratings=_ratings(show.rating, show.votes),
        tmdb_id=show.tmdb_id,
        tvdb_id=show.tvdb_id,
        imdb_id=show.imdb_id,
        genres=tuple(show.genres or ()),
        countries=tuple(show.countries or ()),
        tags=tuple(show.tags or ()),
        studios=tuple(show.studios or ()),
        trailer=show.trailer,
        actors=tv_nfo.cast_members(rows.cast),
        named_seasons=named,
        episodeguide=guide,
        date_added=show.date_added,
        extra=tuple(show.nfo_extra or ()),
    )


def _episode_blocks(show: db.Movie, ep: db.Movie, rows: ItemRows) -> list[tv_nfo.EpisodeData]:
    """One block per episode number of the file, in file-name order; the numbers are the file
    name's (Kodi's), the rest from `episode_details` (TV enrich), else the item's own fields. A
    file named by air date has no numbers in its name: Kodi keeps the NFO's (kodi-tv.md §1.2), so
    they are those identify found for that date."""
    numbers = [(ep.season, n) for n in ep.episodes or []] if ep.season is not None else []
    if not numbers and ep.aired:
        numbers = [
            (r["season"], r["episode"])
            for r in ep.episode_refs or []
            if isinstance(r, dict) and r.get("season") is not None and r.get("episode") is not None
        ]
    if not numbers:
        return []
    details = {
        (d.get("season"), d.get("episode")): d
        for d in (ep.episode_details or [])
        if isinstance(d, dict)
    }
    refs = {
        (r.get("season"), r.get("episode")): r
        for r in (ep.episode_refs or [])
        if isinstance(r, dict)
    }
    users = _users_blocks(ep, numbers)
    guests = {n: _own_guests(rows.cast, details, n, numbers) for n in numbers}
    streams = stream_details(rows)
    blocks = []
    for i, (season, number) in enumerate(numbers):
        d = details.get((season, number))
        ref = refs.get((season, number), {})
        # the item's own fields are its first episode's: the provider's, else those of the
        # user's NFO, which an empty provider value left in place (TMDB has no overview, votes,
        # runtime or crew of many episodes); a block of TMDB's without them must not drop them.
        # A file of several episodes sums the runtimes and joins the crews of all: not its first's
        own = {
            "title": ep.title,
            "plot": ep.plot,
            "aired": ep.aired,
            "runtime": ep.runtime,
            "rating": ep.rating,
            "votes": ep.votes,
            "directors": ep.directors,
            "writers": ep.writers,
            "tmdb_id": ep.tmdb_id,
            "tvdb_id": ep.tvdb_id,
        }
        # a later episode's own are those of the user's block for it (scan kept them per block)
        if i > 0:
            own = _users_values(users[i], season, number)
        if d is None:
            d = own
        else:
            single = ("runtime", "directors", "writers") if len(numbers) == 1 or i > 0 else ()
            d = {**d, **{k: own.get(k) for k in ("title", "plot", *single) if not d.get(k)}}
            if not d.get("rating"):
                d |= {"rating": own.get("rating"), "votes": own.get("votes")}
        tmdb_id = d.get("tmdb_id") or ref.get("tmdb_id")
        tvdb_id = d.get("tvdb_id") or ref.get("tvdb_id")
        blocks.append(
            tv_nfo.EpisodeData(
                title=d.get("title") or f"Episode {number}",
                show_title=show.title or Path(show.path).name,
                season=season,
                episode=number,
                plot=d.get("plot"),
                runtime=d.get("runtime"),
                aired=d.get("aired"),
                code=d.get("code"),
                ratings=_ratings(d.get("rating"), d.get("votes")),
                tmdb_id=tmdb_id,
                tvdb_id=tvdb_id,
                imdb_id=d.get("imdb_id")
                or _users_imdb_id(users[i], {"tmdb_id": tmdb_id, "tvdb_id": tvdb_id}),
                directors=tuple(d.get("directors") or ()),
                writers=tuple(d.get("writers") or ()),
                actors=guests[(season, number)],
                date_added=ep.date_added,
                extra=tuple(users[i].get("extra") or ()),
                placement=ref.get("placement"),
                **streams,
            )
        )
    return blocks


def _own_guests(
    cast: list, details: dict, key: tuple[int, int], numbers: list[tuple[int, int]]
) -> tuple[tv_nfo.CastMember, ...]:
    """The `<actor>`s of episode `key`'s block: the file's cast rows (every guest star of its
    episodes) less those TMDB lists as guests of another of its episodes and not of this one
    (`episode_details[*]["guests"]`), as Kodi's TMDB scraper gives each episode its own
    `guest_stars`; anyone else (the user's, a block enriched before guests were kept) stays.
    Each is a guest star to Jellyfin (`<type>GuestStar</type>`, as its own NFO saver and TMDB
    fetcher have them; Kodi reads no `<type>`): an episode's cast rows are its guest stars only,
    the show's cast left out (enrich `guest_stars`)."""
    own = set((details.get(key) or {}).get("guests") or ())
    others = {i for k in numbers if k != key for i in (details.get(k) or {}).get("guests") or ()}
    drop = others - own
    return tv_nfo.cast_members((r for r in cast if r.actor.tmdb_id not in drop), tv_nfo.GUEST_STAR)


def _users_blocks(ep: db.Movie, numbers: list[tuple[int, int]]) -> list[dict[str, Any]]:
    """Per block we write, the user's own block for that episode, as scan kept it
    (`hints["nfo_episodes"]`: its ids, and as `extra` its elements we do not own): the one of
    the same season and episode (Kodi's export and MediaElch need not write a file's episodes
    in name order), else the one at the same place when the user's file has as many blocks;
    `{}` for none. An item scanned before blocks kept their own elements has only its first
    block's `extra` (`nfo_extra`)."""
    read = [
        b
        for b in (ep.hints or {}).get("nfo_episodes") or []
        if isinstance(b, dict) and isinstance(b.get("extra"), list)
    ]
    by_number = {(b.get("season"), b.get("episode")): b for b in read}
    out: list[dict[str, Any]] = []
    for i, key in enumerate(numbers):
        block = by_number.get(key)
        if block is None and len(read) == len(numbers):
            block = read[i]
        if block is None and i == 0 and not read:
            block = {"extra": ep.nfo_extra or []}
        out.append(block or {})
    return out


def _users_values(block: dict[str, Any], season: int, number: int) -> dict[str, Any]:
    """The values of the user's block for episode `season`x`number` (its title, plot, runtime,
    crew, and the rating scan took as TMDB's: one so named, else an unnamed or flat `<rating>`,
    as scan kept them); none from a block that names another episode. Its other named ratings
    stay in its `extra`, each under its own name."""
    if (block.get("season"), block.get("episode")) not in ((season, number), (None, None)):
        return {}
    keys = ("title", "plot", "runtime", "directors", "writers", "rating", "votes")
    return {k: block.get(k) for k in keys}


def _users_imdb_id(block: dict[str, Any], ours: dict[str, int | None]) -> str | None:
    """The IMDb id of the user's block (`<imdbId>`, `uniqueid type="imdb"`), which no provider
    we ask gives for an episode; not when the block named another episode (a TMDB or TheTVDB
    id that is not ours)."""
    imdb_id = block.get("imdb_id")
    if not isinstance(imdb_id, str):
        return None
    for kind, value in ours.items():
        if block.get(kind) is not None and value is not None and block[kind] != value:
            return None
    return imdb_id


# --- after the publish ---------------------------------------------------------------------------


def _finish(
    show: db.Movie, members: _Members, plan: PublishPlan, only: set[int] | None = None
) -> None:
    """The show's status is `apply`'s; its seasons and the episodes that got their NFO are
    published with it (one the library kept from its NFO keeps its state, and says why in its
    `last_error`), and the show's `published_nfo_hash` is its `tvshow.nfo`'s. `only`: those
    items alone (`_scope`); the show's status is then `_after_episodes`'."""
    when = db.now()
    show_nfo = next((a.wanted for a in plan.actions if a.wanted and a.path == plan.nfo_path), None)
    if only is not None:
        show_nfo = None
    items = [
        s for s in members.seasons if (only is None or s.id in only) and s.id not in members.blocked
    ]
    items += [
        e
        for e in members.published
        if e.id not in members.without_nfo and (only is None or e.id in only)
    ]
    M = db.Movie
    with db.write_transaction():
        if show_nfo is not None:
            M.update(published_nfo_hash=show_nfo.sha256).where(M.id == show.id).execute()
        # one changed while the show was published (an edit): written as it was, to republish
        stale = apply.changed_meanwhile({i.id: i.updated_at for i in items}) if items else set()
        for state, ids in ((db.PUBLISHED, [i.id for i in items if i.id not in stale]),
                           (db.OUTDATED, sorted(stale))):  # fmt: skip
            if ids:
                M.update(
                    publish_state=state, last_published_at=when, last_error=None, updated_at=when
                ).where(M.id.in_(ids)).execute()
        if stale:  # the show is published as one unit: it is to republish too
            log.warning("item %d: %d of its items %s", show.id, len(stale), apply.CHANGED_MEANWHILE)
            M.update(publish_state=db.OUTDATED).where(
                M.id == show.id, M.publish_state == db.PUBLISHED
            ).execute()
        # a season hidden for holding no file: what publish wrote for it went (`_prepare`),
        # nothing of it is in the library now; one whose files stay is still to do
        hidden = [s for s in members.hidden if s.publish_state != db.UNPUBLISHED]
        gone = [s.id for s in hidden if s.id not in members.kept_hidden]
        if gone:
            M.update(publish_state=db.UNPUBLISHED, last_error=None, updated_at=when).where(
                M.id.in_(gone)
            ).execute()
        for season_id, why in members.kept_hidden.items():
            M.update(publish_state=db.OUTDATED, last_error=why, updated_at=when).where(
                M.id == season_id, M.publish_state != db.UNPUBLISHED
            ).execute()
        for episode_id, why in members.blocked.items():
            db.Movie.update(last_error=why, updated_at=when).where(
                db.Movie.id == episode_id
            ).execute()
        if only is None:  # the whole show: its warnings are the show's (`apply`), and what an
            # episode published alone kept ("published without thumb") is said there or done
            M.update(publish_warnings=[]).where(M.show == show.id).execute()


def _after_episodes(rt: Runtime, before: db.Movie, only: set[int], outcome: PublishResult) -> None:
    """After an episode's publish (`_scope`), the show's row as it was before (`apply` took the
    show for the item published: its state, its `tvshow.nfo` hash), the picture warnings on the
    episodes; then, when that episode was all the show lacked (a publish of the whole show would
    write nothing more), the show and every item of it "Published" again."""
    M = db.Movie
    with db.write_transaction():
        state = before.publish_state
        outdated = M.select().where(M.show == before.id, M.publish_state == db.OUTDATED)
        if state == db.PUBLISHED and outdated.exists():
            state = db.OUTDATED  # an item changed meanwhile (`_finish`): the unit is to republish
        M.update(
            publish_state=state,
            published_nfo_hash=before.published_nfo_hash,
            last_published_at=before.last_published_at,
            publish_warnings=before.publish_warnings,
        ).where(M.id == before.id).execute()
        M.update(publish_warnings=list(outcome.warnings)).where(
            M.id.in_(list(only)), M.kind == db.EPISODE, M.publish_state == db.PUBLISHED
        ).execute()
    settle_unit(rt, before.id)  # its files read outside the write lock; not if an edit landed


def _note(show: db.Movie, notes: list[str], text: str, at: int | None = None) -> None:
    """`text` among the show's publish notes (at the end, or before the note at `at`), and in
    the log."""
    notes.insert(len(notes) if at is None else at, text)
    log.warning("item %d: %s", show.id, text)

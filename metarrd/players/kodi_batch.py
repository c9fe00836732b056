"""One batch of targets for one Kodi: what to send, in which order, and what came of it.

This module owns `deliver` (the Kodi protocol as `notify` calls it) and its plan, and
`look_again` (a `checking` row's look: a refresh Kodi ran late, `kodi_state.after_late_refresh`,
`after_late_show_refresh`):

- A movie Kodi knows (found by its mapped path with `VideoLibrary.GetMovies`) gets
  `VideoLibrary.RefreshMovie` (`kodi_state.refresh_movie`: its play count, last played time
  and rating given back after it); new ones get `VideoLibrary.Scan {directory: "<folder>/"}`.
  One Kodi has under a path gone on our side (matched by `uniqueid`: its folder or file
  renamed) is moved (`kodi_state.move_movie`).
- A show Kodi has at its folder (`VideoLibrary.GetTVShows`) gets `VideoLibrary.RefreshTVShow`
  without `refreshepisodes` (which in Kodi 20.1 re-adds every episode, losing watched state),
  then `SetEpisodeDetails` for each known episode whose published NFO says something else
  (`kodi_tv`), then a Scan of its folder for new episode files; a new show gets a Scan of its
  folder (over `TARGETED_SCANS` show folders of a library to scan, new shows or known ones for
  their new episodes: one Scan of their common folder). A show Kodi has under a folder that
  is gone on our side (matched by `uniqueid`: the folder was renamed) is moved
  (`kodi_state.move_show`); under a folder that still exists (a second copy), the new folder
  is only scanned. A renamed show's watched state an earlier attempt kept (`kodi_kept`) is
  given back once Kodi has its folder (`kodi_state.give_back_show`, after the Scans).
- Refreshes go first (they never disturb a scan), then the Scans one after another.
- Kodi scans nothing of a folder no video source holds, yet answers such a Scan "OK": so the
  Scans are checked against `Files.GetSources` first, and one no source holds is an error.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from typing import Any

from metarrd import pathmap
from metarrd.config import PlayerConfig
from metarrd.http import HttpClient
from metarrd.players import kodi_kept, kodi_tv
from metarrd.players.kodi import Kodi
from metarrd.players.kodi_state import (
    adopt_show,
    after_late_refresh,
    after_late_show_refresh,
    find_moved,
    find_renamed_show,
    find_show,
    give_back_show,
    is_same_movie,
    move_movie,
    move_show,
    refresh_movie,
    refresh_show,
)
from metarrd.players.plan import Target, coalesce, per_folder
from metarrd.players.transport import (
    LookAgain,
    PlayerBusy,
    PlayerError,
    PlayerProtocolError,
    PlayerUnreachable,
)
from metarrd.text import count

log = logging.getLogger(__name__)

TARGETED_SCANS = 3  # more new folders than this in one library: one scan of their common folder
LOOKUP_PER_FOLDER = 25  # more folders than this: one GetMovies for the whole library root
BATCH_SECONDS = 300.0  # a batch still sending after this long leaves the rest for a retry


def find_known(kodi: Kodi, targets: Sequence[Target]) -> dict[int, int]:
    """target key -> Kodi movieid, for the targets Kodi already has in its library."""
    if len({t.folder for t in targets}) <= LOOKUP_PER_FOLDER:
        lookups = {pathmap.kodi_folder(t.mapped_folder) for t in targets}
    else:
        lookups = {pathmap.kodi_folder(_mapped_root(kodi.player, t)) for t in targets}
    movies = [m for folder in sorted(lookups) for m in kodi.movies_under(folder)]
    known = {}
    for t in targets:
        for movieid, file in movies:
            if is_same_movie(file, t):
                known[t.key] = movieid
                break
    return known


def _mapped_root(player: PlayerConfig, target: Target) -> str:
    try:
        return pathmap.map_path(target.root, player.path_map)
    except pathmap.PathNotMapped:
        return target.mapped_folder


def _scan_folder(kind: str, arg: Any) -> str | None:
    """The Kodi-form folder a step scans for something Kodi does not have yet (a known show's
    folder is Kodi's own), if it scans one."""
    if kind == "scan":
        return arg
    if kind == "give_back_show":
        return pathmap.kodi_folder(arg[0].mapped_folder)
    if kind in ("move_show", "move_movie"):
        return pathmap.kodi_folder(arg[1].mapped_folder)
    return None


def _inside_sources(
    kodi: Kodi, steps: list[tuple[str, Any, tuple[Target, ...]]], results: dict[int, Any]
) -> list[tuple[str, Any, tuple[Target, ...]]]:
    """The steps whose Scan lies inside a Kodi video source. Kodi scans nothing of a folder no
    source holds (`CVideoInfoScanner::DoScan`: no scraper for the path, content none, so it
    returns at once) yet answers the Scan "OK": the item never showed up and was marked sent.
    Such targets get an error naming the folder instead (retried: a source may be added), and
    a common folder above the sources becomes the Scans of each source's own folders. A move_show is not started
    (it would remove the old show with nothing to take its place). A Kodi that will not list
    its sources is trusted."""
    if not any(_scan_folder(kind, arg) for kind, arg, _ in steps):
        return steps
    try:
        sources = [path for _label, path in kodi.sources()]
    except PlayerProtocolError as exc:
        log.warning("%s; its Scans are sent unchecked", exc)
        return steps

    def holder(folder: str) -> str | None:
        return next((src for src in sources if pathmap.is_under(folder, src)), None)

    kept: list[tuple[str, Any, tuple[Target, ...]]] = []
    for kind, arg, members in steps:
        folder = _scan_folder(kind, arg)
        if folder is None or holder(folder) is not None:
            kept.append((kind, arg, members))
            continue
        outside = list(members)
        by_source: dict[str, list[Target]] = {}
        if kind == "scan":  # perhaps a common folder above the sources: each source's own
            outside = []
            for t in members:
                src = holder(pathmap.kodi_folder(t.mapped_folder))
                if src is None:
                    outside.append(t)
                else:
                    by_source.setdefault(src, []).append(t)
        for src, ts in by_source.items():
            kept += [("scan", f, group) for f, group in _scans_within(kodi.player, src, ts)]
        for t in outside:
            results[t.key] = PlayerProtocolError(
                f"{kodi.label}: no Kodi video source holds "
                f"{pathmap.kodi_folder(t.mapped_folder)}, so a Scan of it adds nothing (its "
                f"sources: {', '.join(sources) or 'none'}); check the path_map and Kodi's "
                "video sources"
            )
    return kept


def _scans_within(
    player: PlayerConfig, source: str, targets: Sequence[Target]
) -> list[tuple[str, tuple[Target, ...]]]:
    """The Scans for the `targets` of one Kodi source: as `coalesce` makes them (over
    `TARGETED_SCANS` folders: their deepest common folder, when it is inside that source);
    else one per folder."""
    folders = per_folder(targets)
    if len(folders) > TARGETED_SCANS:
        common = pathmap.common_folder([g.folder for g in folders])
        try:
            mapped = pathmap.kodi_folder(pathmap.map_path(common, player.path_map))
        except pathmap.PathNotMapped:
            mapped = ""
        if mapped and pathmap.is_under(mapped, source):
            return [(mapped, tuple(targets))]
    return [(pathmap.kodi_folder(g.mapped_folder), g.targets) for g in folders]


def _scanned(kind: str, folder: str, members: Sequence[Target], known_shows: set[int]) -> str:
    """What a Scan was for: new movies or shows, and new episodes of the known shows."""
    if kind == "scan_known":
        return f"scanned {folder} for new episodes"
    known = sum(t.key in known_shows for t in members)
    new = len(members) - known
    what = "show" if members[0].is_show else "movie"
    parts = [f"{count(new, 'new ' + what)}"] if new else []
    if known:
        parts.append(
            f"new episodes of {known} known" + ("" if new else " show" if known == 1 else " shows")
        )
    return f"scanned {folder} for " + " and ".join(parts)


def deliver(
    player: PlayerConfig, http: HttpClient, targets: Sequence[Target]
) -> tuple[dict[int, PlayerError | None], list[str]]:
    """Tell Kodi about `targets`: (key -> None when told, or the error), and what was done.

    Refreshes go first (they never disturb a scan), then the scans one after another. After
    an unreachable or busy Kodi, or `BATCH_SECONDS`, the rest is left for the next attempt."""
    kodi = Kodi(player, http)
    kodi.api()  # fails the whole batch early when Kodi is unreachable or not Kodi
    shows = [t for t in targets if t.is_show]
    targets = [t for t in targets if not t.is_show]
    known = find_known(kodi, targets)
    steps: list[tuple[str, Any, tuple[Target, ...]]] = []
    # a show Kodi has at this folder: RefreshTVShow without its episodes (tvshow.nfo, show and
    # season art), then a Scan of its folder for new episode files (known episodes, and their
    # watched state, untouched); a new show, or one Kodi has under another folder: a Scan of
    # its folder (RefreshTVShow would re-read the old folder, gone after a rename)
    moves: list[tuple[str, Any, tuple[Target, ...]]] = []
    to_scan: list[Target] = []  # show folders to scan: new shows, known ones' new episodes
    known_shows: set[int] = set()  # target keys of the shows Kodi has at their folder
    # a renamed show's watched state an earlier attempt kept after removing Kodi's old show
    # (`kodi_kept`): given back once Kodi has its folder (scanned then when it does not)
    kept = kodi_kept.load([t.key for t in shows])
    give_back: list[tuple[str, Any, tuple[Target, ...]]] = []
    if shows:
        kodi_shows = kodi.shows()
        for t in shows:
            found, here = find_show(kodi_shows, t)
            if found is not None and here:
                if t.key in kept:
                    give_back.append(("give_back_show", (t, kept[t.key]), (t,)))
                steps.append(("refresh_show", found.tvshowid, (t,)))
                steps.append(("push_show", (found.tvshowid, t), (t,)))
                old = find_renamed_show(kodi_shows, found, t, _mapped_root(player, t))
                if old is not None:  # Kodi's own scan added the new folder as a show of its own
                    steps.append(("adopt_show", (old, found.tvshowid, t), (t,)))
                to_scan.append(t)
                known_shows.add(t.key)
                continue
            mapped_root = _mapped_root(player, t)
            if found is not None and kodi_tv.folder_is_gone(found.file, mapped_root, t.root):
                moves.append(("move_show", (found, t, kept.get(t.key, [])), (t,)))
                continue
            if found is not None:  # the other folder is still there: two copies of the show
                log.info(
                    "%s: has %s under %s; scanning its new folder",
                    kodi.label,
                    t.folder,
                    found.file,
                )
            if t.key in kept:  # its Scan is the give-back's own
                give_back.append(("give_back_show", (t, kept[t.key]), (t,)))
                continue
            to_scan.append(t)
    new = [t for t in targets if t.key not in known]
    # a movie Kodi has under a path gone on our side (matched by uniqueid: its folder or file
    # was renamed): its new folder scanned, its watched state given to the new entry, then the
    # old entry removed; when Kodi has the new path already (its own scan came first), the old
    # entry's state goes to that entry (refreshed as any known one) and the old one is removed
    olds: dict[int, dict[str, Any]] = {}
    movie_moves: list[tuple[str, Any, tuple[Target, ...]]] = []
    if any(t.ids for t in targets):
        roots = {_mapped_root(player, t) for t in targets if t.ids}
        movies = [
            m
            for r in sorted(roots)
            for m in kodi.movie_entries(pathmap.kodi_folder(r), ["uniqueid"])
        ]
        for t in [t for t in targets if t.ids]:
            found = find_moved(movies, t, _mapped_root(player, t))
            if found is None:
                continue
            movies.remove(found)
            if t.key in known:
                olds[t.key] = found
            else:
                movie_moves.append(("move_movie", (found, t), (t,)))
        moved = {ts[0].key for _kind, _arg, ts in movie_moves}
        new = [t for t in new if t.key not in moved]
    refreshes = [
        ("refresh", (known[t.key], olds.get(t.key)), (t,)) for t in targets if t.key in known
    ]
    steps[:0] = refreshes  # first: a refresh never disturbs a scan
    steps += movie_moves
    steps += [
        ("scan", pathmap.kodi_folder(g.mapped_folder), g.targets)
        for g in coalesce(new, player, TARGETED_SCANS)
    ]
    # a renamed show's old one goes before any Scan that reaches its new folder (a Scan of the
    # library would add the new folder's episodes to the old show). Show folders to scan (new
    # shows, and known ones after their RefreshTVShow) coalesce as new movies do: a Scan of a
    # TV source lists every show folder (since Kodi 15 the source itself keeps no hash,
    # xbmc/xbmc#6646) and skips each whose recursive hash is unchanged
    # (`CVideoInfoScanner::EnumerateSeriesFolder`), so 50 shows cost one Scan, not 50
    steps += moves
    for g in coalesce(to_scan, player, TARGETED_SCANS):
        alone = len(g.targets) == 1 and g.targets[0].key in known_shows
        steps.append(
            ("scan_known" if alone else "scan", pathmap.kodi_folder(g.mapped_folder), g.targets)
        )
    steps += give_back
    results: dict[int, PlayerError | None] = {}
    steps = _inside_sources(kodi, steps, results)
    # the tags of the NFOs Kodi is about to read, read before it is told: one published while
    # the batch runs is not what Kodi read (its tags would be taken for the NFO's)
    nfo_tags = {**_nfo_tags(targets), **_show_nfo_tags(shows)}
    refreshed, refreshed_shows, pushed, forgotten, scanned = 0, 0, 0, 0, []
    stop: PlayerError | None = None
    deadline = time.monotonic() + BATCH_SECONDS
    for kind, arg, members in steps:
        if stop is None and time.monotonic() > deadline:
            stop = PlayerBusy(
                f"{kodi.label}: this batch took over {BATCH_SECONDS:g} s; the rest follows later"
            )
        if stop is not None:
            results.update({t.key: stop for t in members})
            continue
        try:
            if kind == "refresh":
                movieid, old = arg
                forgotten += kodi.forget_movie_images(movieid, members[0])
                replaced, late = refresh_movie(kodi, movieid, members[0], old)
                refreshed += 1
                if replaced:
                    scanned.append(replaced)
                if late:  # told; its entry is looked at again (`look_again`)
                    results[members[0].key] = LookAgain(
                        f"{kodi.label}: has not run the refresh of {members[0].mapped_path} "
                        "yet; its play count, rating and tags are kept and given back once "
                        "it has, or at the movie's next refresh"
                    )
            elif kind == "refresh_show":
                forgotten += kodi.forget_images(pathmap.kodi_folder(members[0].mapped_folder))
                late = refresh_show(kodi, arg, members[0])
                refreshed_shows += 1
                if late:  # told; the show is looked at again (`look_again`)
                    results[members[0].key] = LookAgain(
                        f"{kodi.label}: has not run the refresh of the show at "
                        f"{pathmap.kodi_folder(members[0].mapped_folder)} yet; its rating is "
                        "kept and given back once it has, or at the show's next refresh"
                    )
            elif kind == "push_show":
                pushed += kodi.push_show_files(*arg)
            elif kind == "adopt_show":
                scanned.append(adopt_show(kodi, *arg))
            elif kind == "move_show":
                if scanned:
                    kodi.wait_for_start()
                scanned.append(move_show(kodi, *arg))
            elif kind == "give_back_show":
                if scanned:
                    kodi.wait_for_start()
                scanned.append(give_back_show(kodi, *arg))
            elif kind == "move_movie":
                if scanned:
                    kodi.wait_for_start()
                scanned.append(move_movie(kodi, *arg))
            else:
                if scanned:
                    kodi.wait_for_start()
                kodi.scan(arg)
                scanned.append(_scanned(kind, arg, members, known_shows))
            # a show's refresh and scan: an error of either stays the row's outcome
            results.update({t.key: None for t in members if t.key not in results})
        except (PlayerUnreachable, PlayerBusy) as exc:
            stop = exc
            results.update({t.key: exc for t in members})
        except PlayerError as exc:
            results.update({t.key: exc for t in members})
        except Exception as exc:  # a surprise answer (a bug) fails this step's items, not the batch
            names = ", ".join(t.mapped_path for t in members)
            log.exception("%s: %s of %s failed unexpectedly", kodi.label, kind, names)
            err = PlayerError(f"{kodi.label}: unexpected error in its {kind}: {exc}")
            results.update({t.key: err for t in members})
    _note_nfo_tags(
        {
            t.key: nfo_tags[t.key]
            for t in [*targets, *shows]
            if t.key in nfo_tags
            and t.key in results
            and (results[t.key] is None or isinstance(results[t.key], LookAgain))
        }
    )
    done = [f"refreshed {count(refreshed, 'known movie')}"] if refreshed else []
    if refreshed_shows:
        done.append(f"refreshed {count(refreshed_shows, 'known show')}")
    if pushed:
        done.append(f"updated {count(pushed, 'known episode')} in place")
    if forgotten:
        done.append(f"dropped {count(forgotten, 'cached image')} of theirs")
    return results, done + scanned


def look_again(
    player: PlayerConfig, http: HttpClient, targets: Sequence[Target]
) -> tuple[dict[int, PlayerError | None], list[str]]:
    """The movies and shows whose refresh Kodi had not run when they were told (`checking`
    rows): each entry is looked at, and a movie's kept play count, rating and tags given back
    once that refresh has reset it (`kodi_state.after_late_refresh`), a show's rating
    (`after_late_show_refresh`); no RefreshMovie or RefreshTVShow is sent. key -> None when
    the row is done, LookAgain when the refresh is still to come, or the error; what was
    done. After an unreachable or busy Kodi the rest is left for the next look."""
    kodi = Kodi(player, http)
    results: dict[int, PlayerError | None] = {}
    done: list[str] = []
    stop: PlayerError | None = None
    for t in targets:
        if stop is not None:
            results[t.key] = stop
            continue
        try:
            kodi.api()
            gave = (after_late_show_refresh if t.is_show else after_late_refresh)(kodi, t)
            results[t.key] = None
            if gave:
                done.append(gave)
        except (PlayerUnreachable, PlayerBusy) as exc:
            stop = results[t.key] = exc
        except PlayerError as exc:
            results[t.key] = exc
        except Exception as exc:  # a surprise answer (a bug) fails this look, not the rest
            log.exception("%s: the look at %s failed unexpectedly", kodi.label, t.mapped_path)
            results[t.key] = PlayerError(f"{kodi.label}: unexpected error in a look: {exc}")
    return results, done


def _nfo_tags(targets: Sequence[Target]) -> dict[int, list[str]]:
    """row id -> the `<tag>`s of the published NFO of each target's movie, which Kodi is about
    to read (a Scan or a refresh); the next refresh tells the user's own tags in Kodi from
    them (`kodi_state.refresh_movie`). Read before Kodi is told: an NFO published meanwhile is
    not the one Kodi read."""
    by_key = {t.key: t for t in targets}
    tags = {}
    try:
        for key, nfo in kodi_kept.published_nfos(list(by_key)).items():
            read = kodi_tv.movie_nfo_tags(nfo, by_key[key].libraries)
            if read is not None:
                tags[key] = read
    except Exception as exc:  # Kodi is told all the same
        log.warning(
            "could not read the NFO tags of %s told to Kodi (%s); their next refresh "
            "gives back no tag set in Kodi",
            count(by_key, "movie"),
            exc,
        )
        return {}
    return tags


def _show_nfo_tags(shows: Sequence[Target]) -> dict[int, list[str]]:
    """row id -> the `<tag>`s of each show's tvshow.nfo, which Kodi is about to read (a Scan
    or a RefreshTVShow); the next RefreshTVShow takes the ones the new tvshow.nfo lost out of
    Kodi (`kodi_state.refresh_show`). Read before Kodi is told, as `_nfo_tags`."""
    tags = {}
    for t in shows:
        read = kodi_tv.show_nfo_tags(t.folder, t.libraries)
        if read is not None:
            tags[t.key] = read
    return tags


def _note_nfo_tags(tags: dict[int, list[str]]) -> None:
    """Each told movie's or show's row notes the `<tag>`s of the NFO Kodi was told to read
    (`_nfo_tags`, `_show_nfo_tags`)."""
    try:
        kodi_kept.note_nfo_tags(tags)
    except Exception as exc:  # they were told all the same: not worth telling them again
        log.warning(
            "could not note the NFO tags of %s told to Kodi (%s); their next refresh "
            "tells no tag set in Kodi from the NFO's",
            count(tags, "item"),
            exc,
        )

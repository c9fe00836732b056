"""Kodi over JSON-RPC (HTTP, basic auth): refresh the movies it knows, scan the folders it does not.

- The API version comes from `JSONRPC.Version`; the parameter spelling (lower-case `movieid`,
  `showdialogs` up to v14; camelCase `movieId`, `showDialogs` after) from `JSONRPC.Introspect`.
- A movie Kodi knows (found by its mapped path with `VideoLibrary.GetMovies`) gets
  `VideoLibrary.RefreshMovie`, and its play count, last played time and rating back after it
  (Kodi 20.1 resets them to the NFO's); new ones get `VideoLibrary.Scan {directory: "<folder>/"}`. One
  Kodi has under a path gone on our side (matched by `uniqueid`: its folder or file renamed)
  has its new folder scanned, its watched state, rating and tags given back to the new entry
  (`SetMovieDetails`), and only then the old entry removed (`RemoveMovie`); a new entry that
  does not show up leaves the old one in Kodi.
- A show Kodi has at its folder (`VideoLibrary.GetTVShows`) gets `VideoLibrary.RefreshTVShow`
  without `refreshepisodes` (which in Kodi 20.1 re-adds every episode, losing watched state),
  then `SetEpisodeDetails` for each known episode whose published NFO says something else
  (`kodi_tv`), then a Scan of its folder for new episode files; a new show gets a Scan of its
  folder (over `TARGETED_SCANS` show folders of a library to scan, new shows or known ones for
  their new episodes: one Scan of their common folder). A
  show Kodi has under a folder that is gone on our side (matched by `uniqueid`: the folder was
  renamed) has its new folder scanned, the watched state of its episodes given back to the
  same files there, and the old show removed (`RemoveTVShow`) once the new folder is in Kodi
  (`move_show`); under a folder that still exists (a second copy), the new folder is only
  scanned.
- `VideoLibrary.Scan` toggles: sent while Kodi scans, it *stops* that scan. So every Scan waits
  (bounded) until `XBMC.GetInfoBooleans ["Library.IsScanningVideo"]` is false, and scans for
  one player are sent one after another.
- Kodi scans nothing of a folder no video source holds, yet answers such a Scan "OK": so the
  Scans are checked against `Files.GetSources` first, and one no source holds is an error.
"""

from __future__ import annotations

import base64
import itertools
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from metarrd import pathmap
from metarrd.config import PlayerConfig
from metarrd.http import HttpClient
from metarrd.players import kodi_tv
from metarrd.players.plan import Target, coalesce, per_folder
from metarrd.players.transport import (
    Endpoint,
    PlayerBusy,
    PlayerError,
    PlayerProtocolError,
    PlayerUnreachable,
)

log = logging.getLogger(__name__)

SCAN_POLL_SECONDS = 1.0  # how often to ask whether Kodi is still scanning
SCAN_WAIT_SECONDS = 120.0  # how long to wait for a running scan before giving up (retry later)
SCAN_START_SECONDS = 3.0  # how long to watch for our own scan to begin before the next one
TARGETED_SCANS = 3  # more new folders than this in one library: one scan of their common folder
LOOKUP_PER_FOLDER = 25  # more folders than this: one GetMovies for the whole library root
BATCH_SECONDS = 300.0  # a batch still sending after this long leaves the rest for a retry
WATCHED = kodi_tv.WATCHED_PROPERTIES
# what a renamed movie's entry keeps (`movie_state`); it is found by file and uniqueid
MOVIE_STATE = ["playcount", "resume", "lastplayed", "userrating", "tag"]
# what Kodi 20.1's RefreshMovie puts back to the NFO's (the resume point stays)
RESET_BY_REFRESH = ("playcount", "lastplayed", "userrating")
REFRESH_WAIT_SECONDS = 15.0  # how long to watch for a refreshed movie to be re-added

CAMEL = {
    "movieid": "movieId",
    "ignorenfo": "ignoreNfo",
    "showdialogs": "showDialogs",
    "tvshowid": "tvshowId",
    "refreshepisodes": "refreshEpisodes",
    "episodeid": "episodeId",
}
SCANNING = "Library.IsScanningVideo"
JSONRPC_ERRORS = {
    -32700: "parse error",
    -32600: "invalid request",
    -32601: "method not found",
    -32602: "invalid parameters",
    -32100: "failed to execute",
}


@dataclass(frozen=True)
class KodiApi:
    version: str  # e.g. "13.5.0"
    camel: bool  # parameter names in camelCase (post-v21 Kodi)

    def name(self, lower: str) -> str:
        return CAMEL.get(lower, lower) if self.camel else lower

    def describe(self) -> str:
        spelling = "camelCase" if self.camel else "lower-case"
        return f"JSON-RPC v{self.version}, {spelling} parameters"


def spelling_from(version: tuple[int, int, int], introspect: Any) -> bool:
    """True for camelCase parameters: what Introspect says, else guessed from the version."""
    names: set[str] = set()
    methods = introspect.get("methods", {}) if isinstance(introspect, dict) else {}
    for method in methods.values():
        for param in method.get("params", []) if isinstance(method, dict) else []:
            if isinstance(param, dict) and isinstance(param.get("name"), str):
                names.add(param["name"])
    if names & set(CAMEL.values()):
        return True
    if names & set(CAMEL):
        return False
    return version[0] > 14


class Kodi:
    """One Kodi's JSON-RPC endpoint."""

    def __init__(
        self,
        player: PlayerConfig,
        http: HttpClient,
        *,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.player = player
        self.endpoint = Endpoint(
            player,
            http,
            auth_hint="username and password (Settings > Services > Control in Kodi)",
            api_hint="is this Kodi, with 'Allow remote control via HTTP' on?",
        )
        self._sleep = sleep
        self._clock = clock
        self._ids = itertools.count(1)
        self._api: KodiApi | None = None

    @property
    def label(self) -> str:
        return self.endpoint.label

    def call(self, method: str, params: dict[str, Any] | None = None) -> Any:
        """One JSON-RPC call; a JSON-RPC error becomes a PlayerProtocolError naming the method."""
        body: dict[str, Any] = {"jsonrpc": "2.0", "method": method, "id": next(self._ids)}
        if params is not None:
            body["params"] = params
        headers = {"Content-Type": "application/json"}
        if self.player.username or self.player.password:
            pair = f"{self.player.username}:{self.player.password}".encode()
            headers["Authorization"] = "Basic " + base64.b64encode(pair).decode("ascii")
        answer = self.endpoint.request("POST", "/jsonrpc", headers=headers, json=body)
        if not isinstance(answer, dict) or "jsonrpc" not in answer:
            raise PlayerProtocolError(
                f"{self.label}: {self.endpoint.url('/jsonrpc')} answered JSON that is not "
                f"JSON-RPC; {self.endpoint.api_hint}"
            )
        if "error" in answer:
            err = answer["error"] if isinstance(answer["error"], dict) else {}
            code = err.get("code")
            what = JSONRPC_ERRORS.get(code, err.get("message") or "error")
            raise PlayerProtocolError(f"{self.label}: {method} was refused ({what}, code {code})")
        return answer.get("result")

    # --- what this Kodi is ----------------------------------------------------------------

    def api(self) -> KodiApi:
        if self._api is None:
            result = self.call("JSONRPC.Version")
            v = result.get("version") if isinstance(result, dict) else None
            if not isinstance(v, dict) or not isinstance(v.get("major"), int):
                raise PlayerProtocolError(
                    f"{self.label}: JSONRPC.Version gave no version; {self.endpoint.api_hint}"
                )
            version = (v["major"], int(v.get("minor", 0)), int(v.get("patch", 0)))
            try:
                introspect = self.call(
                    "JSONRPC.Introspect",
                    {"filter": {"id": "VideoLibrary.RefreshMovie", "type": "method"}},
                )
            except PlayerProtocolError:
                introspect = None
            self._api = KodiApi(".".join(map(str, version)), spelling_from(version, introspect))
            log.debug("%s speaks %s", self.label, self._api.describe())
        return self._api

    def sources(self) -> list[tuple[str, str]]:
        """(label, path) of every video source; multipath sources give one entry per path."""
        result = self.call("Files.GetSources", {"media": "video"})
        found = []
        for src in (result or {}).get("sources") or []:
            for path in pathmap.kodi_source_paths(str(src.get("file", ""))):
                found.append((str(src.get("label", "")), path))
        return found

    def movies_under(self, folder: str) -> list[tuple[int, str]]:
        """(movieid, file) of the movies whose path starts with the Kodi-form `folder`."""
        return [(int(m["movieid"]), str(m["file"])) for m in self.movie_entries(folder, [])]

    def movie_entries(self, folder: str, properties: list[str]) -> list[dict[str, Any]]:
        """The movies whose path starts with the Kodi-form `folder`: movieid, file and
        `properties`."""
        params = {
            "filter": {"field": "path", "operator": "startswith", "value": folder},
            "properties": ["file", *(p for p in properties if p != "file")],
        }
        result = self.call("VideoLibrary.GetMovies", params)
        return [
            {**m, "movieid": int(m["movieid"]), "file": str(m.get("file", ""))}
            for m in (result or {}).get("movies") or []
            if "movieid" in m
        ]

    def shows(self) -> list[KodiShow]:
        """Every show Kodi has: its id, folder (`file`, Kodi's form) and uniqueids."""
        result = self.call("VideoLibrary.GetTVShows", {"properties": ["file", "uniqueid"]})
        return [
            KodiShow(
                int(s["tvshowid"]),
                str(s.get("file", "")),
                {str(k): str(v) for k, v in (s.get("uniqueid") or {}).items() if v},
            )
            for s in (result or {}).get("tvshows") or []
            if "tvshowid" in s
        ]

    def refresh_show(self, tvshowid: int) -> None:
        """Kodi reads `tvshow.nfo` and the show and season art again; its episodes are left
        alone. (`refreshepisodes: true` would re-read them too, but Kodi 20.1 does that by
        deleting and re-adding every episode: new episode ids, watched state lost.)"""
        api = self.api()
        self.call(
            "VideoLibrary.RefreshTVShow",
            {
                api.name("tvshowid"): tvshowid,
                api.name("ignorenfo"): False,
                api.name("refreshepisodes"): False,
            },
        )

    def episodes(self, tvshowid: int) -> list[dict[str, Any]]:
        """Every episode Kodi has of a show, with what `kodi_tv` compares."""
        return self._episodes(tvshowid, kodi_tv.EPISODE_PROPERTIES)

    def push_show_files(self, tvshowid: int, target: Target) -> int:
        """Send what the show's episode NFOs and thumbs say where Kodi shows something else
        (module `kodi_tv`); the number of episodes changed."""
        api = self.api()
        read = kodi_tv.EpisodeFiles(target.libraries)
        changed = 0
        for episode in self.episodes(tvshowid):
            kodi_file = str(episode.get("file", ""))
            video = kodi_tv.our_path(kodi_file, target.mapped_folder, target.folder)
            if video is None:
                continue  # under another folder (an old one after a rename)
            number = (episode.get("season"), episode.get("episode"))
            block = next((b for b in read.blocks(video) if (b.season, b.episode) == number), None)
            if block is None:
                continue
            thumb = kodi_tv.thumb_name(video)
            thumb = kodi_tv.mapped_sibling(kodi_file, thumb) if thumb else None
            changes = kodi_tv.episode_changes(episode, block, thumb)
            if changes:
                log.info(
                    "%s: %s S%02dE%02d: sending %s", self.label, video, *number, sorted(changes)
                )
                params = {api.name("episodeid"): int(episode["episodeid"]), **changes}
                self.call("VideoLibrary.SetEpisodeDetails", params)
                changed += 1
        return changed

    def move_show(self, old: KodiShow, target: Target) -> str:
        """A show whose folder was renamed (Kodi has it at a folder gone on our side), in the
        order that loses nothing: its watched episodes are noted, the new folder scanned, and
        once that scan is over and the new folder's episodes are in Kodi, the same files there
        get their play count, resume point and last played time back; only then is the old
        show removed (`RemoveTVShow`). A new folder that does not show up (a wrong path_map, a
        folder Kodi cannot read, a failed scan) leaves the old show as it is: a
        PlayerProtocolError for this item, retried.

        Kodi 20.1 adds a new folder of a show it has (same title and year) to that show: the
        episodes of both folders under one `tvshowid`, each listed twice, and the show's `file`
        still the old folder. Such a show is removed once the new folder's episodes are seen in
        it, and the new folder scanned again: Kodi then adds it as a show of its own (the
        removal cleared the folder's hash), and that gets the watched state. What was done."""
        api = self.api()
        old_folder = old.file.rstrip("/\\")
        watched = kodi_tv.watched_episodes(self._episodes(old.tvshowid, WATCHED), old_folder)
        folder = pathmap.kodi_folder(target.mapped_folder)
        self.scan_and_wait(folder)
        found, here = find_show(self.shows(), target)
        if found is not None and here and found.tvshowid != old.tvshowid:
            tvshowid, merged = found.tvshowid, False
        elif self._has_episodes_under(old.tvshowid, target.mapped_folder):
            tvshowid, merged = old.tvshowid, True
        else:
            log.warning(
                "%s: %s is not in Kodi after a Scan of it; the show at %s is kept, with the "
                "watched state of %d episode(s)",
                self.label,
                folder,
                old.file,
                len(watched),
            )
            raise PlayerProtocolError(
                f"{self.label}: {folder} did not show up in Kodi after a Scan of it, so the "
                f"show at {old.file} is kept (with its watched state); check the path_map and "
                "that Kodi can read that folder"
            )
        if merged:
            # played since in the new folder's copy (Kodi's own scan added it first): that wins
            watched += kodi_tv.watched_episodes(
                self._episodes(old.tvshowid, WATCHED), target.mapped_folder
            )
            self.call("VideoLibrary.RemoveTVShow", {api.name("tvshowid"): old.tvshowid})
            self.scan_and_wait(folder)
            found, here = find_show(self.shows(), target)
            if found is None or not here:
                log.error(
                    "%s: %s was not added again after the show at %s (which held it too) was "
                    "removed; %d watched episode(s) not restored",
                    self.label,
                    folder,
                    old.file,
                    len(watched),
                )
                raise PlayerProtocolError(
                    f"{self.label}: {folder} was not added again after the show at {old.file} "
                    f"was removed; the watched state of {len(watched)} episode(s) was not "
                    "given back"
                )
            tvshowid = found.tvshowid
        restore = kodi_tv.restore_watched(
            watched, self._episodes(tvshowid, WATCHED), target.mapped_folder
        )
        for episodeid, details in restore.items():
            self.call(
                "VideoLibrary.SetEpisodeDetails", {api.name("episodeid"): episodeid, **details}
            )
        if not merged:
            self.call("VideoLibrary.RemoveTVShow", {api.name("tvshowid"): old.tvshowid})
        done = f"scanned {folder} and removed the show at {old.file} (renamed)"
        return done + (f"; kept the watched state of {len(restore)} episode(s)" if watched else "")

    def adopt_show(self, old: KodiShow, tvshowid: int, target: Target) -> str:
        """Kodi has the show at its folder (`tvshowid`) and at a folder gone on our side (`old`,
        a show of its own: Kodi's own scan found the renamed folder first): the old show's
        watched episodes give their play count, resume point and last played time to the same
        files at the new folder that were not played there, then the old show is removed."""
        api = self.api()
        watched = kodi_tv.watched_episodes(
            self._episodes(old.tvshowid, WATCHED), old.file.rstrip("/\\")
        )
        episodes = self._episodes(tvshowid, WATCHED)
        unplayed = [e for e in episodes if kodi_tv.watched_details(e) is None]
        restore = kodi_tv.restore_watched(watched, unplayed, target.mapped_folder)
        for episodeid, details in restore.items():
            self.call(
                "VideoLibrary.SetEpisodeDetails", {api.name("episodeid"): episodeid, **details}
            )
        self.call("VideoLibrary.RemoveTVShow", {api.name("tvshowid"): old.tvshowid})
        return (
            f"removed the show at {old.file} (renamed; Kodi had it at "
            f"{pathmap.kodi_folder(target.mapped_folder)} already); kept the watched state of "
            f"{len(restore)} episode(s)"
        )

    def _has_episodes_under(self, tvshowid: int, mapped_folder: str) -> bool:
        return any(
            pathmap.is_under(str(e.get("file", "")), mapped_folder)
            for e in self._episodes(tvshowid, ["file"])
        )

    def move_movie(self, old: dict[str, Any], target: Target) -> str:
        """A movie whose folder or file was renamed (Kodi has it at a path gone on our side).
        In the order that loses nothing: its watched state and the user's rating and tags are
        noted, the new folder scanned, and once that scan is over and the new entry is there
        (by its file), the new entry gets them back and only then is the old entry removed
        (`RemoveMovie`: a Scan alone adds the movie a second time, the old entry keeping the
        watched state until Kodi's library is cleaned). A new entry that does not appear (a
        wrong path_map, a folder Kodi cannot read, a failed scan) leaves the old one as it is:
        a PlayerProtocolError for this item, retried. What was done."""
        api = self.api()
        keep = self.movie_state(old["movieid"])
        folder = pathmap.kodi_folder(target.mapped_folder)
        self.scan_and_wait(folder)
        new = next(
            (m for m in self.movie_entries(folder, ["tag"]) if is_same_movie(m["file"], target)),
            None,
        )
        if new is None:
            log.warning(
                "%s: %s is not in Kodi after a Scan of %s; its old entry %s is kept, with its "
                "watched state",
                self.label,
                target.mapped_path,
                folder,
                old["file"],
            )
            raise PlayerProtocolError(
                f"{self.label}: {target.mapped_path} did not show up in Kodi after a Scan of "
                f"{folder}, so its old entry at {old['file']} is kept (with its watched state); "
                "check the path_map and that Kodi can read that folder"
            )
        if keep:
            if "tag" in keep:  # the NFO's tags (read by the scan) and the user's own
                keep["tag"] = list(dict.fromkeys([*(new.get("tag") or []), *keep["tag"]]))
            self.call("VideoLibrary.SetMovieDetails", {api.name("movieid"): new["movieid"], **keep})
        self.call("VideoLibrary.RemoveMovie", {api.name("movieid"): old["movieid"]})
        done = f"scanned {folder} and removed the movie at {old['file']} (renamed)"
        return done + ("; kept its watched state" if keep else "")

    def movie_state(self, movieid: int) -> dict[str, Any]:
        """A movie entry's play count, resume point, last played time, rating and tags, as
        SetMovieDetails takes them (`movie_state`); empty when it has none."""
        details = self.call(
            "VideoLibrary.GetMovieDetails",
            {self.api().name("movieid"): movieid, "properties": MOVIE_STATE},
        )
        return movie_state((details or {}).get("moviedetails") or {})

    def scan_and_wait(self, folder: str) -> None:
        """A Scan of a Kodi-form folder, returning once it is over (what it added is there)."""
        self.scan(folder)
        self.wait_for_start()
        self.wait_until_idle(SCAN_WAIT_SECONDS)

    def _episodes(self, tvshowid: int, properties: list[str]) -> list[dict[str, Any]]:
        result = self.call(
            "VideoLibrary.GetEpisodes",
            {self.api().name("tvshowid"): tvshowid, "properties": properties},
        )
        return [e for e in (result or {}).get("episodes") or [] if "episodeid" in e]

    def forget_images(self, folder: str) -> int:
        """Drop Kodi's cached copies of the images below a Kodi-form show `folder`; how many.

        Kodi's texture cache is keyed by the image's path and checks a local file for changes
        only once a day (`lasthashcheck`), and a JSON-RPC refresh invalidates nothing (the item
        it refreshes carries no art: VideoLibraryRefreshingJob). So a poster republished under
        the same name would keep showing the old picture. Removed entries are cached again from
        the new file the next time Kodi shows them. A Kodi that refuses these calls only logs a
        warning: the refresh itself still counts."""
        return self._forget({"field": "url", "operator": "startswith", "value": folder}, folder)

    def forget_movie_images(self, movieid: int, target: Target) -> int:
        """Drop Kodi's cached copies of a movie's own images (its art and actor images below its
        folder, as Kodi lists them): not the folder's, which in a folder of several movies (or
        a library without movie folders) would be every movie's."""
        try:
            result = self.call(
                "VideoLibrary.GetMovieDetails",
                {self.api().name("movieid"): movieid, "properties": ["art", "cast"]},
            )
        except PlayerProtocolError as exc:
            log.warning("%s; cached images of %s not dropped", exc, target.mapped_path)
            return 0
        details = (result or {}).get("moviedetails") or {}
        urls = [str(u) for u in (details.get("art") or {}).values()]
        urls += [str(c.get("thumbnail", "")) for c in details.get("cast") or []]
        paths = sorted(
            {
                path
                for path in map(kodi_tv.image_path, urls)
                if path and pathmap.is_under(pathmap.parent(path), target.mapped_folder)
            }
        )
        removed = 0
        for i in range(0, len(paths), 50):
            rules = [{"field": "url", "operator": "is", "value": p} for p in paths[i : i + 50]]
            removed += self._forget({"or": rules}, target.mapped_path)
        return removed

    def _forget(self, rule: dict[str, Any], what: str) -> int:
        try:
            result = self.call("Textures.GetTextures", {"filter": rule, "properties": ["url"]})
        except PlayerProtocolError as exc:
            log.warning("%s; cached images of %s not dropped", exc, what)
            return 0
        removed = 0
        for texture in (result or {}).get("textures") or []:
            textureid = texture.get("textureid") if isinstance(texture, dict) else None
            if not isinstance(textureid, int):
                continue
            try:
                self.call("Textures.RemoveTexture", {"textureid": textureid})
            except PlayerProtocolError as exc:  # removed meanwhile (Kodi cleans its cache)
                log.debug("%s", exc)
                continue
            removed += 1
        return removed

    def refresh_movie(
        self, movieid: int, target: Target, old: dict[str, Any] | None = None
    ) -> str | None:
        """`RefreshMovie` of a movie Kodi has at the target's path, keeping what the user did.

        Kodi 20.1 re-adds a refreshed movie from its NFO, and the play count, last played time
        and user rating go back to the NFO's (none): a watched movie, republished, showed as
        unwatched (its resume point stays). So they are noted before, and once Kodi has re-added
        the movie (a new `movieid`, or those values reset) given back with `SetMovieDetails`.

        `old`: Kodi's entry of the same movie at a path gone on our side (renamed, and Kodi's
        own scan found the new folder first, so Kodi lists it twice). Its watched state, rating
        and tags go to this entry (this entry's own win where it has them), and once this
        entry has them after its refresh, the old one is removed. What was done about `old`."""
        api = self.api()
        own = self.movie_state(movieid)
        keep = dict(own)
        if old is not None:
            keep = merged_state(self.movie_state(old["movieid"]), own)
            if keep:  # on the entry at once: what the refresh resets is given back below
                self.call("VideoLibrary.SetMovieDetails", {api.name("movieid"): movieid, **keep})
        expect = {k: keep[k] for k in RESET_BY_REFRESH if keep.get(k)}
        if old is not None and set(keep.get("tag") or ()) - set(own.get("tag") or ()):
            expect["tag"] = keep["tag"]  # the old entry's tags, which the NFO's lack
        self.call(
            "VideoLibrary.RefreshMovie",
            {api.name("movieid"): movieid, api.name("ignorenfo"): False},
        )
        if expect:
            again = self._refreshed(movieid, target, expect)
            if again is None:
                log.warning(
                    "%s: %s was not back in Kodi within %g s of its refresh; its play count "
                    "and rating are not given back",
                    self.label,
                    target.mapped_path,
                    REFRESH_WAIT_SECONDS,
                )
                if old is not None:
                    raise PlayerProtocolError(
                        f"{self.label}: {target.mapped_path} was not back in Kodi after its "
                        f"refresh, so its old entry at {old['file']} is kept (with its watched "
                        "state)"
                    )
                return None
            if "tag" in expect:  # the NFO's, read again, and the old entry's
                expect["tag"] = list(dict.fromkeys([*(again.get("tag") or []), *expect["tag"]]))
            self.call(
                "VideoLibrary.SetMovieDetails", {api.name("movieid"): again["movieid"], **expect}
            )
        if old is None:
            return None
        self.call("VideoLibrary.RemoveMovie", {api.name("movieid"): old["movieid"]})
        return (
            f"removed the movie at {old['file']} (renamed; Kodi had it at "
            f"{target.mapped_path} already)" + ("; kept its watched state" if keep else "")
        )

    def _refreshed(
        self, movieid: int, target: Target, expect: dict[str, Any]
    ) -> dict[str, Any] | None:
        """The target's entry (movieid, file, the `expect` values) once Kodi has read it again
        after a refresh (a new id, or a value of `expect` gone back to the NFO's); after
        `REFRESH_WAIT_SECONDS`, the entry as it is (None: there is none). A refresh never shows
        in `Library.IsScanningVideo`, so this is how it is seen to be over."""
        folder = pathmap.kodi_folder(target.mapped_folder)
        deadline = self._clock() + REFRESH_WAIT_SECONDS
        while True:
            entry = next(
                (
                    m
                    for m in self.movie_entries(folder, [*RESET_BY_REFRESH, "tag"])
                    if is_same_movie(m["file"], target)
                ),
                None,
            )
            if entry is not None and (
                entry["movieid"] != movieid or any(entry.get(k) != v for k, v in expect.items())
            ):
                return entry
            if self._clock() >= deadline:
                return entry
            self._sleep(min(SCAN_POLL_SECONDS, 0.25))  # Kodi 20.1 takes ~0.4 s

    def is_scanning(self) -> bool:
        result = self.call("XBMC.GetInfoBooleans", {"booleans": [SCANNING]})
        values = {str(k).lower(): v for k, v in (result or {}).items()}
        return bool(values.get(SCANNING.lower()))

    def wait_until_idle(self, limit: float) -> None:
        """Return once no video scan runs; PlayerBusy after `limit` seconds of scanning."""
        deadline = self._clock() + limit
        while self.is_scanning():
            if self._clock() >= deadline:
                raise PlayerBusy(
                    f"{self.label}: busy scanning its video library for over {limit:g} s; "
                    "will try again later"
                )
            self._sleep(SCAN_POLL_SECONDS)

    def scan(self, folder: str) -> None:
        """`VideoLibrary.Scan` of a Kodi-form folder, never while another scan runs."""
        api = self.api()
        self.wait_until_idle(SCAN_WAIT_SECONDS)
        self.call("VideoLibrary.Scan", {"directory": folder, api.name("showdialogs"): False})
        log.info("%s: scanning %s", self.label, folder)

    def wait_for_start(self) -> None:
        """After a Scan, watch briefly for it to begin so the next one waits for it."""
        deadline = self._clock() + SCAN_START_SECONDS
        while not self.is_scanning() and self._clock() < deadline:
            self._sleep(min(SCAN_POLL_SECONDS, 0.25))


def movie_state(movie: dict[str, Any]) -> dict[str, Any]:
    """What a movie entry holds that no file does, as SetMovieDetails takes it: play count,
    resume point, last played time (`kodi_tv.watched_details`), the user's rating and tags
    (Kodi keeps `userrating` and tags in its database; a scan sets only the NFO's)."""
    state = kodi_tv.watched_details(movie) or {}
    if int(movie.get("userrating") or 0):
        state["userrating"] = int(movie["userrating"])
    if movie.get("tag"):
        state["tag"] = [str(t) for t in movie["tag"]]
    return state


def merged_state(carried: dict[str, Any], own: dict[str, Any]) -> dict[str, Any]:
    """An old entry's user state given to another entry of the same movie: the other's own
    values win where it has them (played, rated there since), tags from both."""
    state = {**carried, **{k: v for k, v in own.items() if v and k != "tag"}}
    tags = [*(own.get("tag") or []), *(carried.get("tag") or [])]
    if tags:
        state["tag"] = list(dict.fromkeys(tags))
    return state


def first_file(kodi_file: str) -> str:
    """A Kodi movie's file, or the first part of a stack (`stack://<a> , <b>`, every "," of a
    part doubled: CStackDirectory::GetPaths)."""
    if not kodi_file.startswith("stack://"):
        return kodi_file
    return kodi_file[len("stack://") :].split(" , ")[0].strip().replace(",,", ",")


def find_moved(
    movies: Sequence[dict[str, Any]], target: Target, mapped_root: str
) -> dict[str, Any] | None:
    """The movie Kodi has for `target` under another path (a shared uniqueid) that is gone on
    our side: its folder or file was renamed. A copy still there (another cut, another
    resolution) is not one."""
    for movie in movies:
        uniqueid = {str(k): str(v) for k, v in (movie.get("uniqueid") or {}).items() if v}
        if not any(uniqueid.get(kind) == value for kind, value in target.ids):
            continue
        if is_same_movie(movie["file"], target):
            continue
        if kodi_tv.folder_is_gone(first_file(movie["file"]), mapped_root, target.root):
            return movie
    return None


@dataclass(frozen=True)
class KodiShow:
    tvshowid: int
    file: str  # the show folder as Kodi stores it (trailing separator)
    uniqueid: dict[str, str]


def find_show(shows: Sequence[KodiShow], target: Target) -> tuple[KodiShow | None, bool]:
    """The show Kodi has for `target`, and whether it is at the target's folder: by folder
    first; else by a shared uniqueid (the show folder was renamed or moved)."""
    folder = target.mapped_folder.rstrip("/\\")
    for show in shows:
        if pathmap.same_path(show.file.rstrip("/\\"), folder):
            return show, True
    for show in shows:
        if any(show.uniqueid.get(kind) == value for kind, value in target.ids):
            return show, False
    return None, False


def find_renamed_show(
    shows: Sequence[KodiShow], here: KodiShow, target: Target, mapped_root: str
) -> KodiShow | None:
    """Another show Kodi has for `target` (a shared uniqueid) besides the one at its folder,
    at a folder gone on our side: the show before its folder was renamed."""
    for show in shows:
        if show.tvshowid == here.tvshowid:
            continue
        if not any(show.uniqueid.get(kind) == value for kind, value in target.ids):
            continue
        if kodi_tv.folder_is_gone(show.file, mapped_root, target.root):
            return show
    return None


def is_same_movie(kodi_file: str, target: Target) -> bool:
    """Whether a Kodi movie's `file` is this target (plain file, stack:// or disc folder)."""
    if target.is_disc:
        return pathmap.is_under(pathmap.parent(kodi_file), target.mapped_folder)
    if kodi_file.startswith("stack://"):
        # `stack://<part> , <part>`, every "," of a part doubled (CStackDirectory::GetPaths)
        return any(
            pathmap.same_path(part.strip().replace(",,", ","), target.mapped_path)
            for part in kodi_file[len("stack://") :].split(" , ")
        )
    return pathmap.same_path(kodi_file, target.mapped_path)


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
    parts = [f"{new} new {what}(s)"] if new else []
    if known:
        parts.append(f"new episodes of {known} known" + ("" if new else " show(s)"))
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
    if shows:
        kodi_shows = kodi.shows()
        for t in shows:
            found, here = find_show(kodi_shows, t)
            if found is not None and here:
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
                moves.append(("move_show", (found, t), (t,)))
                continue
            if found is not None:  # the other folder is still there: two copies of the show
                log.info(
                    "%s: has %s under %s; scanning its new folder",
                    kodi.label,
                    t.folder,
                    found.file,
                )
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
    results: dict[int, PlayerError | None] = {}
    steps = _inside_sources(kodi, steps, results)
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
                replaced = kodi.refresh_movie(movieid, members[0], old)
                refreshed += 1
                if replaced:
                    scanned.append(replaced)
            elif kind == "refresh_show":
                forgotten += kodi.forget_images(pathmap.kodi_folder(members[0].mapped_folder))
                kodi.refresh_show(arg)
                refreshed_shows += 1
            elif kind == "push_show":
                pushed += kodi.push_show_files(*arg)
            elif kind == "adopt_show":
                scanned.append(kodi.adopt_show(*arg))
            elif kind == "move_show":
                if scanned:
                    kodi.wait_for_start()
                scanned.append(kodi.move_show(*arg))
            elif kind == "move_movie":
                if scanned:
                    kodi.wait_for_start()
                scanned.append(kodi.move_movie(*arg))
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
    done = [f"refreshed {refreshed} known movie(s)"] if refreshed else []
    if refreshed_shows:
        done.append(f"refreshed {refreshed_shows} known show(s)")
    if pushed:
        done.append(f"updated {pushed} known episode(s) in place")
    if forgotten:
        done.append(f"dropped {forgotten} cached image(s) of theirs")
    return results, done + scanned

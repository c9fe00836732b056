"""One Kodi's JSON-RPC client (HTTP, basic auth): the calls metarrd makes, and its scans.

This module owns talking to a Kodi: one `Kodi` per player, with `call` (a JSON-RPC request
through `transport.Endpoint`, a JSON-RPC error named by its method), what this Kodi is, what
its library holds (movies, shows, episodes, video sources), a show's refresh and its changed
episodes, Kodi's texture cache, and its library scans. What to send for a batch of targets is
`kodi_batch.deliver`; keeping the user's state across a rename or a refresh is `kodi_state`.

- The API version comes from `JSONRPC.Version`; the parameter spelling (lower-case `movieid`,
  `showdialogs` up to v14; camelCase `movieId`, `showDialogs` after) from `JSONRPC.Introspect`.
- `VideoLibrary.Scan` toggles: sent while Kodi scans, it *stops* that scan. So every Scan waits
  (bounded) until `XBMC.GetInfoBooleans ["Library.IsScanningVideo"]` is false, and scans for
  one player are sent one after another.
"""

from __future__ import annotations

import base64
import itertools
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from metarrd import pathmap
from metarrd.config import PlayerConfig
from metarrd.http import HttpClient
from metarrd.players import kodi_tv
from metarrd.players.plan import Target
from metarrd.players.transport import Endpoint, PlayerBusy, PlayerProtocolError

log = logging.getLogger(__name__)

SCAN_POLL_SECONDS = 1.0  # how often to ask whether Kodi is still scanning
SCAN_WAIT_SECONDS = 120.0  # how long to wait for a running scan before giving up (retry later)
SCAN_START_SECONDS = 3.0  # how long to watch for our own scan to begin before the next one

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

    def episodes(self, tvshowid: int, properties: list[str] | None = None) -> list[dict[str, Any]]:
        """Every episode Kodi has of a show, with `properties` (by default what `kodi_tv`
        compares)."""
        if properties is None:
            properties = kodi_tv.EPISODE_PROPERTIES
        result = self.call(
            "VideoLibrary.GetEpisodes",
            {self.api().name("tvshowid"): tvshowid, "properties": properties},
        )
        return [e for e in (result or {}).get("episodes") or [] if "episodeid" in e]

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

    def scan_and_wait(self, folder: str) -> None:
        """A Scan of a Kodi-form folder, returning once it is over (what it added is there)."""
        self.scan(folder)
        self.wait_for_start()
        self.wait_until_idle(SCAN_WAIT_SECONDS)

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

    def now(self) -> float:
        """This client's clock (monotonic seconds), for a caller's own deadline."""
        return self._clock()

    def pause(self) -> None:
        """A short wait between two looks at something Kodi is doing: at most a quarter of a
        second (Kodi 20.1 re-adds a refreshed movie in about 0.4 s)."""
        self._sleep(min(SCAN_POLL_SECONDS, 0.25))

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
            self.pause()


@dataclass(frozen=True)
class KodiShow:
    tvshowid: int
    file: str  # the show folder as Kodi stores it (trailing separator)
    uniqueid: dict[str, str]

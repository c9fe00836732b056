"""Jellyfin: a refresh of each item it already has, one `POST /Library/Media/Updated` for the rest.

Authenticated with `Authorization: MediaBrowser Token="<token>"` (the form Jellyfin accepts
whatever its legacy-authorization setting); with a user and password in the URL (a reverse
proxy's basic auth, which takes `Authorization`) with `X-Emby-Token: <token>`, which Jellyfin
reads when `Authorization` is not its own scheme (Jellyfin 12 only while its
`EnableLegacyAuthorization` is on: its migration turns it off; jellyfin/jellyfin#13306). The
token is not put in the `ApiKey` query parameter, which every version reads: the proxy's access
log would hold it. Jellyfin debounces `/Library/Media/Updated` reports
(about 60 s) and then refreshes the nearest item up each path. But two reported paths side by
side (two shows of a library, two movies in one folder) are rebased onto their parent folder
(LibraryMonitor.CreateRefresher), whose item is then refreshed too: the library folder, which
means validating every item of the library (ProviderManager.RefreshItem). So up to
`TARGETED_REFRESHES` items of a batch are looked up by name and path,
`GET /Items?recursive=true&searchTerm=<name>&includeItemTypes=Movie|Series&fields=Path` (an
identified item not found so: among all items of its kind, one listing per batch), and an
item found gets `POST /Items/<Id>/Refresh` with the Default modes (what a reported path gets,
BaseItem.ChangedExternally); only the paths Jellyfin does not have yet are reported, and their
library folder finds them. A bigger batch is reported in one request, as before.
"""

from __future__ import annotations

import logging
import os
import posixpath
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

from metarrd import mounts, pathmap
from metarrd.config import PlayerConfig
from metarrd.http import HttpClient
from metarrd.jellyfin_names import is_version, stack_part
from metarrd.players.plan import Target, search_names
from metarrd.players.transport import (
    Endpoint,
    PlayerAuthError,
    PlayerError,
    PlayerNotAllowed,
    PlayerProtocolError,
    PlayerServerError,
    PlayerUnreachable,
)
from metarrd.text import count

log = logging.getLogger(__name__)

TARGETED_REFRESHES = 10  # more items than this in a batch: one report of their paths instead
LISTING_PAGE = 500  # items per request when all items of a kind are listed


def _proxy_login(url: str) -> bool:
    """The URL holds a user and password (`http://user:pass@host:8096`): requests sends them
    as `Authorization: Basic ...`, for a reverse proxy in front."""
    return "@" in urlsplit(url).netloc


class Jellyfin:
    def __init__(self, player: PlayerConfig, http: HttpClient):
        self.player = player
        self._listings: dict[str, list[dict[str, Any]]] = {}  # kind -> all its items, per batch
        self.endpoint = Endpoint(
            player,
            http,
            auth_hint="token (an API key from Dashboard > API Keys)"
            + (
                "; with a user and password in the URL (a proxy's basic auth) the token "
                "travels in X-Emby-Token, which Jellyfin 12 reads only with "
                "EnableLegacyAuthorization on (system.xml)"
                if _proxy_login(player.url)
                else ""
            ),
            api_hint="is this a Jellyfin server, and is the URL its base URL?",
        )

    @property
    def label(self) -> str:
        return self.endpoint.label

    def _auth(self) -> dict[str, str]:
        token = self.player.token.replace('"', "").strip()  # pasted with a space: no key has one
        if _proxy_login(self.player.url):
            # a reverse proxy's basic auth in the URL: `Authorization` carries that (requests
            # makes it from the URL), so the token goes where Jellyfin looks next
            return {"X-Emby-Token": token}
        return {"Authorization": f'MediaBrowser Token="{token}"'}

    def server_info(self) -> dict[str, Any]:
        """`/System/Info/Public` (no auth): proves a Jellyfin answers at this URL."""
        info = self.endpoint.request("GET", "/System/Info/Public")
        if not isinstance(info, dict) or "Version" not in info:
            raise PlayerProtocolError(
                f"{self.label}: /System/Info/Public does not look like Jellyfin's; "
                f"{self.endpoint.api_hint}"
            )
        return info

    def locations(self) -> list[tuple[str, str]]:
        """(library name, folder) of every Jellyfin library (needs an administrator's key)."""
        folders = self.endpoint.request("GET", "/Library/VirtualFolders", headers=self._auth())
        return [
            (str(f.get("Name", "")), str(loc))
            for f in (folders if isinstance(folders, list) else [])
            if isinstance(f, dict)
            for loc in f.get("Locations") or []
        ]

    def items(self, kind: str, name: str | None = None) -> list[dict[str, Any]]:
        """The items of `kind` (Movie, Series) whose name holds `name` (`searchTerm`: the clean
        name or the original title contains it), or all of them; each with its `Path`."""
        query = {
            "recursive": "true",
            **({"searchTerm": name} if name else {}),
            "includeItemTypes": kind,
            "fields": "Path",
            "enableImages": "false",
            "enableUserData": "false",
            "enableTotalRecordCount": "false" if name else "true",
        }
        found: list[dict[str, Any]] = []
        while True:  # all of them in pages, each within the timeout however big the library
            page = {} if name else {"startIndex": len(found), "limit": LISTING_PAGE}
            answer = self.endpoint.request(
                "GET", f"/Items?{urlencode({**query, **page})}", headers=self._auth()
            )
            items = answer.get("Items") if isinstance(answer, dict) else None
            if not isinstance(items, list):
                raise PlayerProtocolError(
                    f"{self.label}: /Items has no Items list; {self.endpoint.api_hint}"
                )
            before = len(found)
            found += [item for item in items if isinstance(item, dict)]
            total = answer.get("TotalRecordCount")
            if (
                name
                or len(items) != LISTING_PAGE
                or (isinstance(total, int) and len(found) >= total)
                or len({str(i.get("Id")) for i in found}) == before  # the same page again
            ):
                return found

    def find(self, target: Target) -> str | None:
        """The Id of the item Jellyfin has at the target's path (`reported_path`), or None.
        Found by name; an identified item (one with provider ids) not found so, among all items
        of its kind: `/Items` has no filter by an id's value in 10.8 to 10.11 (only
        `hasTmdbId`), so one listing per kind and batch, where its path finds it."""
        kind = "Series" if target.is_show else "Movie"
        for name in search_names(target):
            found = _at(self.items(kind, name), target)
            if found is not None:
                return found
        if not target.ids:
            return None
        if kind not in self._listings:
            self._listings[kind] = self.items(kind)
        return _at(self._listings[kind], target)

    def refresh(self, item_id: str) -> None:
        """Raises PlayerNotAllowed for a token that may search but not refresh: the
        controller wants an administrator (`RequiresElevation`), `/Items` any user."""
        query = {
            "metadataRefreshMode": "Default",  # the API's default, None, refreshes nothing
            "imageRefreshMode": "Default",
            "replaceAllMetadata": "false",
            "replaceAllImages": "false",
        }
        path = f"/Items/{quote(item_id, safe='')}/Refresh?{urlencode(query)}"
        try:
            self.endpoint.request("POST", path, headers=self._auth(), want_json=False)
        except PlayerAuthError as exc:
            status = "HTTP 401" if "(HTTP 401)" in str(exc) else "HTTP 403"
            raise PlayerNotAllowed(
                f"{self.label}: the token may not refresh items (POST /Items/<id>/Refresh "
                f"answered {status}); their paths are reported instead. An administrator's API "
                "key (Dashboard > API Keys) refreshes each item by itself"
            ) from None

    def media_updated(self, paths: Sequence[str]) -> None:
        body = {"Updates": [{"Path": p, "UpdateType": "Modified"} for p in paths]}
        self.endpoint.request(
            "POST", "/Library/Media/Updated", headers=self._auth(), json=body, want_json=False
        )


def _at(items: Sequence[dict[str, Any]], target: Target) -> str | None:
    """The Id of the item at the target's path, if one is (`_is_at`); else of the one that
    holds it as another version (`_holds`)."""
    for rule in (_is_at, _holds):
        for item in items:
            if rule(str(item.get("Path") or ""), target):
                return str(item["Id"])
    return None


def _name(path: str) -> str:
    return path.replace("\\", "/").rstrip("/").rsplit("/", 1)[-1]


def _same_disc_stack(item_folder: str, disc_folder: str) -> bool:
    """Whether two disc folders beside each other are parts of one stack to Jellyfin: a movie's
    folder holding only disc folders so named (`Movie (2000) - Disc 1/VIDEO_TS`,
    `Movie (2000) - Disc 2/VIDEO_TS`) is one movie whose `Path` is the first of them, the
    others its `AdditionalParts` (MovieResolver.GetMultiDiscMovie, `jellyfin_names`)."""
    if not pathmap.same_path(pathmap.parent(item_folder), pathmap.parent(disc_folder)):
        return False
    a, b = stack_part(_name(item_folder)), stack_part(_name(disc_folder))
    return a is not None and b is not None and a[0] == b[0] and a[1] != b[1]


def _holds(item_path: str, target: Target) -> bool:
    """Whether the Jellyfin item at `item_path` holds the target's disc as another part
    (`_same_disc_stack`: Kodi, and metarrd, have each disc for a movie of its own) or its movie
    file as another version. Jellyfin makes one movie of the files in a movie's folder that are all versions
    of it (`is_version`, with one year; VideoListResolver.GetVideosGroupedByVersion): its
    `Path` is one of them, the one named as the folder, else the highest resolution
    (`1080p` before `720p`), else the first by name; the others are its
    `LocalAlternateVersions`, no item of their own in `/Items`. So the second version (or
    disc) was never found, and reported: Jellyfin refreshed the library's folder above it, the whole
    library. Kodi (and metarrd) have each file for a movie of its own."""
    if target.is_show:
        return False
    if target.is_disc:
        return _same_disc_stack(item_path.rstrip("/\\"), target.mapped_folder)
    wanted = target.mapped_path
    folder = pathmap.parent(wanted)
    if not pathmap.same_path(pathmap.parent(item_path), folder):
        return False
    name = _name(folder)
    return is_version(name, _name(item_path)) and is_version(name, _name(wanted))


def _is_at(item_path: str, target: Target) -> bool:
    """Whether a Jellyfin item's `Path` is the target's, `item_path` (on Windows whatever the
    case). A DVD's item is its folder, the one holding its `VIDEO_TS/` (MovieResolver.
    FindMovie, `IsDvdDirectory`), but a DVD copied straight into a library's folder is the item
    at that `VIDEO_TS/`: the library's folder is no movie (`IsInvalid`: its parent is the
    root), so Jellyfin resolves `VIDEO_TS/` itself, a folder holding `VIDEO_TS.IFO`
    (`IsDvdFile`), as the movie. Missing it, the library's folder was reported and Jellyfin
    refreshed the whole library."""
    path = item_path.rstrip("/\\")
    wanted = item_path_of(target).rstrip("/\\")
    if pathmap.same_path(path, wanted):
        return True
    name = path.replace("\\", "/").rsplit("/", 1)[-1]
    return (
        target.is_disc
        and name.upper() == "VIDEO_TS"
        and pathmap.same_path(pathmap.parent(path).rstrip("/\\"), wanted)
    )


def item_path_of(target: Target) -> str:
    """The `Path` of the target's Jellyfin item: a movie's video file, a disc's or a show's
    folder."""
    if target.is_show or target.is_disc:
        return target.mapped_folder
    return target.mapped_path


def reported_path(target: Target) -> str:
    """The path whose nearest Jellyfin item is the published one: its item's path (a movie's
    video file: the movie folder is no item, so the library folder above it would be refreshed
    whole). A DVD copied straight into the library's folder: its `VIDEO_TS/`, Jellyfin's movie
    (`_is_at`), not the library's folder, which Jellyfin refreshed whole for that one disc. (A
    Blu-ray's `BDMV/` there is no Jellyfin item: its nearest item is the library's folder
    whichever is told.) Whether that `VIDEO_TS/` is there is looked at in a thread of its own,
    a few seconds at most (`mounts.root_identity`): on a hard NFS mount whose server is gone
    the look never returned, and the notify job hung with it; unanswered, the library's
    folder is reported, as when there is no `VIDEO_TS/`."""
    if target.is_disc and posixpath.normpath(target.folder) == posixpath.normpath(target.root):
        for name in ("VIDEO_TS", "video_ts"):  # as a share lists it
            found = mounts.root_identity(os.path.join(target.folder, name), hung=_HUNG_DVD)
            if found == mounts.UNREACHABLE:
                break
            if found is not None:
                sep = pathmap.separator(target.mapped_folder)
                return target.mapped_folder.rstrip("/\\") + sep + name
    return item_path_of(target)


_HUNG_DVD = (
    "%s does not answer (a hung network mount?): the library's folder is reported to "
    "Jellyfin instead"
)


def deliver(
    player: PlayerConfig, http: HttpClient, targets: Sequence[Target]
) -> tuple[dict[int, PlayerError | None], list[str]]:
    jf = Jellyfin(player, http)
    results: dict[int, PlayerError | None] = {}
    done: list[str] = []
    new: list[Target] = list(targets)
    stop: PlayerError | None = None
    refused: PlayerNotAllowed | None = None  # no item refreshes: report every path, as before
    if len({reported_path(t) for t in targets}) <= TARGETED_REFRESHES:
        new, refreshed = [], set()
        for t in targets:
            if stop is not None:
                results[t.key] = stop
                continue
            if refused is not None:
                new.append(t)
                continue
            try:
                try:
                    item_id = jf.find(t)
                except PlayerProtocolError as exc:  # no /Items here: report the path as before
                    log.warning("%s; reporting %s instead", exc, reported_path(t))
                    item_id = None
                if item_id is None:
                    new.append(t)
                    continue
                if item_id not in refreshed:
                    jf.refresh(item_id)
                    refreshed.add(item_id)
                results[t.key] = None
            except PlayerNotAllowed as exc:
                refused = exc
                log.warning("%s", exc)
                new.append(t)
            except PlayerServerError as exc:
                results[t.key] = exc
            except (PlayerUnreachable, PlayerAuthError) as exc:
                stop = results[t.key] = exc
            except PlayerError as exc:
                results[t.key] = exc
        if refreshed:
            done.append(f"refreshed {count(refreshed, 'known item')}")
    if new and stop is not None:
        results.update({t.key: stop for t in new})
    elif new:
        paths = list(dict.fromkeys(reported_path(t) for t in new))
        try:
            jf.media_updated(paths)
        except PlayerError as exc:
            results.update({t.key: exc for t in new})
        else:
            results.update({t.key: None for t in new})
            done.append(f"reported {count(paths, 'changed item')}")
            if refused is not None:
                done.append(str(refused).removeprefix(f"{jf.label}: "))
    return results, done

"""Plex: a partial scan of the changed folders, then a metadata refresh of the items Plex has.

`GET /library/sections` (header `X-Plex-Token`, `Accept: application/json`) lists the sections
with their `Location` folders; the section whose location holds the mapped folder then gets
`GET /library/sections/<key>/refresh?path=<mapped folder>`. A partial scan adds new files but
leaves a known item's metadata and artwork alone (a swapped poster kept showing the old one), so
each item Plex already has is then found by its path and gets
`PUT /library/metadata/<ratingKey>/refresh` (as Sonarr's PlexServerProxy.UpdateSeries and
python-plexapi's `PlexPartialObject.refresh` do). Finding it: the section's items whose title
contains the folder's (or a movie file's) name (`plan.search_names`),
`GET /library/sections/<key>/all?type=1|2&title=<name>` (a media query: `=` on a string is
"contains"; python-plexapi's `LibrarySection.search(title=...)`),
then a movie's `Media[].Part[].file` or a show's `Location[].path`
(`GET /library/metadata/<ratingKey>` when the listing has none) must be the published path.
An item whose title lacks that name (a folder named in another language) is found by its
provider ids in one listing of the section with `includeGuids=1` (`Guid[].id` such as
`tmdb://603`; a `guid=` filter matches only Plex's own `plex://` guid, python-plexapi #557).
More than `TARGETED_REFRESHES` movies or shows of one section: one listing of the section
instead (and for shows one `/library/metadata/<ratingKey>,...` request per `METADATA_BATCH`
candidates, those that share a name or an id with a published show).
The token travels in a header, never in the URL, so it cannot reach a log line.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

from metarrd import pathmap
from metarrd.config import PlayerConfig
from metarrd.http import HttpClient
from metarrd.players.plan import Target, coalesce, is_disc_file, per_folder, search_names
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

TARGETED_REFRESHES = 10  # more changed folders than this in one library: refresh their parent
MOVIE, SHOW = 1, 2  # Plex's metadata types (`type=` of a section listing)
LISTING_PAGE = 500  # items per request of a whole section's listing
METADATA_BATCH = 50  # shows' folders asked for in one /library/metadata/<keys> request
LEGACY_AGENTS = {  # a legacy agent's `guid` scheme -> the provider
    "com.plexapp.agents.imdb": "imdb",
    "com.plexapp.agents.themoviedb": "tmdb",
    "com.plexapp.agents.thetvdb": "tvdb",
}


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    type: str
    locations: tuple[str, ...]


class Plex:
    def __init__(self, player: PlayerConfig, http: HttpClient):
        self.player = player
        self.endpoint = Endpoint(
            player,
            http,
            auth_hint="token (X-Plex-Token of the server's owner)",
            api_hint="is this a Plex Media Server (usually port 32400)?",
        )

    @property
    def label(self) -> str:
        return self.endpoint.label

    def _headers(self) -> dict[str, str]:
        return {
            "X-Plex-Token": self.player.token.strip(),  # pasted with a space: no token has one
            "X-Plex-Product": "metarrd",
            "X-Plex-Client-Identifier": "metarrd",
        }

    def sections(self) -> list[Section]:
        answer = self.endpoint.request("GET", "/library/sections", headers=self._headers())
        container = answer.get("MediaContainer") if isinstance(answer, dict) else None
        if not isinstance(container, dict):
            raise PlayerProtocolError(
                f"{self.label}: /library/sections has no MediaContainer; {self.endpoint.api_hint}"
            )
        return [
            Section(
                key=str(d.get("key", "")),
                title=str(d.get("title", "")),
                type=str(d.get("type", "")),
                locations=tuple(
                    str(loc.get("path", "")) for loc in d.get("Location") or [] if loc.get("path")
                ),
            )
            for d in container.get("Directory") or []
            if isinstance(d, dict)
        ]

    def _admin(self, method: str, path: str, what: str) -> None:
        """A request only the server's owner may send (plex-api-spec: `token: admin`). Our
        token was good enough to list the sections, so a refusal here is a token of a shared or
        managed user: it never will be allowed, and says which token to use instead."""
        try:
            self.endpoint.request(method, path, headers=self._headers(), want_json=False)
        except PlayerAuthError as exc:
            status = "HTTP 403" if "(HTTP 403)" in str(exc) else "HTTP 401"
            raise PlayerNotAllowed(
                f"{self.label}: the token may list the library but not {what} "
                f"({method} {path.split('?')[0]} answered {status}); set token to the X-Plex-Token "
                "of the account that owns this Plex Media Server (signed in as the owner, "
                "'Get Info > View XML' of any item shows it in the URL), not a shared or "
                "managed user's"
            ) from None

    def refresh(self, section: Section, folder: str) -> None:
        path = (
            f"/library/sections/{quote(section.key, safe='')}/refresh?path={quote(folder, safe='')}"
        )
        self._admin("GET", path, "scan it")
        log.info("%s: partial scan of %s in section %r", self.label, folder, section.title)

    def _container(self, path: str) -> dict[str, Any]:
        answer = self.endpoint.request("GET", path, headers=self._headers())
        container = answer.get("MediaContainer") if isinstance(answer, dict) else None
        if not isinstance(container, dict):
            raise PlayerProtocolError(
                f"{self.label}: {path.split('?')[0]} has no MediaContainer; "
                f"{self.endpoint.api_hint}"
            )
        return container

    def _metadata(self, path: str) -> list[dict[str, Any]]:
        container = self._container(path)
        return [m for m in container.get("Metadata") or [] if isinstance(m, dict)]

    def items(
        self, section: Section, kind: int, title: str | None = None, guids: bool = False
    ) -> list[dict[str, Any]]:
        """The section's movies or shows (`kind`), those whose title contains `title` if given;
        with `guids`, each with its `Guid` list (`includeGuids=1`, Plex Media Server 1.24.3+)."""
        query = {"type": kind, **({"title": title} if title else {})}
        if guids:
            query["includeGuids"] = 1
        path = f"/library/sections/{quote(section.key, safe='')}/all?"
        if title:
            return self._metadata(path + urlencode(query))
        # a whole section in pages, so each answer comes within the timeout however big the
        # section (python-plexapi pages its listings the same way)
        found: list[dict[str, Any]] = []
        seen: set[str] = set()
        while True:
            page = {"X-Plex-Container-Start": len(found), "X-Plex-Container-Size": LISTING_PAGE}
            container = self._container(path + urlencode({**query, **page}))
            items = [m for m in container.get("Metadata") or [] if isinstance(m, dict)]
            keys = {str(m.get("ratingKey")) for m in items}
            fresh = not keys <= seen  # a Plex that ignores the paging sends the same again
            seen |= keys
            found += items if fresh else []
            total = container.get("totalSize")
            if (
                not fresh
                or len(items) != LISTING_PAGE
                or (isinstance(total, int) and len(found) >= total)
            ):
                return found

    def show_folders(self, rating_keys: Sequence[str]) -> dict[str, list[str]]:
        """Each show's folders, its `Location[].path`: a section listing has none, so
        `/library/metadata/<ratingKey>,<ratingKey>,...` (one request for them all)."""
        keys = ",".join(quote(k, safe="") for k in rating_keys)
        found = self._metadata(f"/library/metadata/{keys}")
        return {str(item.get("ratingKey")): folders_of(item) for item in found}

    def refresh_item(self, rating_key: str) -> None:
        path = f"/library/metadata/{quote(rating_key, safe='')}/refresh"
        self._admin("PUT", path, "refresh its items")
        log.info("%s: metadata refresh of item %s", self.label, rating_key)


def folders_of(item: dict[str, Any]) -> list[str]:
    return [
        str(loc.get("path"))
        for loc in item.get("Location") or []
        if isinstance(loc, dict) and loc.get("path")
    ]


def section_for(sections: Sequence[Section], mapped_folder: str) -> Section | None:
    """The section with the deepest location holding `mapped_folder`."""
    best: tuple[int, Section] | None = None
    for section in sections:
        for loc in section.locations:
            if pathmap.is_under(mapped_folder, loc) and (best is None or len(loc) > best[0]):
                best = (len(loc), section)
    return best[1] if best else None


def _same(a: str, b: str) -> bool:
    """One path, whatever a trailing separator (and the case, on Windows: `D:\\Movies` is
    `d:\\movies` in a path_map)."""
    return pathmap.same_path(a.rstrip("/\\"), b.rstrip("/\\"))


def holds(item: dict[str, Any], target: Target) -> bool:
    """Is this listed movie the target: one of its parts is the published file (for a disc, a
    file of the disc: its `VIDEO_TS/VIDEO_TS.IFO`, a VOB or a `BDMV/STREAM/` file,
    `plan.is_disc_file`; not any file below its folder, which for a disc copied straight into
    the section's folder is every movie of the section)?"""
    for media in item.get("Media") or []:
        for part in media.get("Part") or []:
            file = str(part.get("file") or "")
            if target.is_disc and is_disc_file(file, target.mapped_folder):
                return True
            if not target.is_disc and _same(file, target.mapped_path):
                return True
    return False


def item_ids(item: dict[str, Any]) -> set[tuple[str, str]]:
    """The provider ids Plex lists for an item, as (tmdb|imdb|tvdb, value): its `Guid[].id`
    (`tmdb://603`, `imdb://tt0133093`, `tvdb://81189`; the Plex Movie and TV Series agents, with
    `includeGuids=1`) and a legacy agent's `guid` (`com.plexapp.agents.imdb://tt0133093?lang=en`)."""
    guids = [g.get("id") for g in item.get("Guid") or [] if isinstance(g, dict)]
    found = set()
    for guid in [*guids, item.get("guid")]:
        if not isinstance(guid, str) or "://" not in guid:
            continue
        scheme, value = guid.split("://", 1)
        kind = LEGACY_AGENTS.get(scheme, scheme)
        value = value.split("?")[0]
        if kind in ("tmdb", "imdb", "tvdb") and value:
            found.add((kind, value))
    return found


class Lookup:
    """Finds the items Plex has for the targets of one section. A target is looked up by name
    (`plan.search_names`); one not found so, with provider ids, in one listing of the section
    with its guids. More than `TARGETED_REFRESHES` targets of a kind: that listing for all of
    them. The listing carries a movie's files; a show's folders come from
    `/library/metadata/<ratingKey>,<ratingKey>,...` for the shows that share an id or a name
    with a target, `METADATA_BATCH` at a time. The path is the proof: an item with our ids at
    another path is another copy, not ours."""

    def __init__(self, plex: Plex, section: Section, targets: Sequence[Target]):
        self.plex, self.section, self.targets = plex, section, targets
        self.listings: dict[int, list[dict[str, Any]]] = {}
        self.folders: dict[str, list[str]] = {}  # a show's ratingKey -> its folders
        kinds = [SHOW if t.is_show else MOVIE for t in targets]
        self.bulk = {kind: kinds.count(kind) > TARGETED_REFRESHES for kind in (MOVIE, SHOW)}

    def listing(self, kind: int) -> list[dict[str, Any]]:
        if kind not in self.listings:
            self.listings[kind] = self.plex.items(self.section, kind, guids=True)
            if kind == SHOW and self.bulk[SHOW]:  # every show target's candidates at once
                shows = [t for t in self.targets if t.is_show]
                self.fetch_folders([i for t in shows for i in self.candidates(t)])
        return self.listings[kind]

    def candidates(self, target: Target) -> list[dict[str, Any]]:
        """The listed shows that may be the target: same provider id, or a title holding its
        name (as Plex's `title=` search, without its case)."""
        ids = set(target.ids)
        names = [n.casefold() for n in search_names(target)] if self.bulk[SHOW] else []
        return [
            item
            for item in self.listings.get(SHOW, [])
            if ids & item_ids(item)
            or any(n in str(item.get("title") or "").casefold() for n in names)
        ]

    def fetch_folders(self, items: Sequence[dict[str, Any]]) -> None:
        for item in items:  # an answer that carries them needs no request
            if "Location" in item and item.get("ratingKey") is not None:
                self.folders[str(item["ratingKey"])] = folders_of(item)
        keys = [str(i["ratingKey"]) for i in items if i.get("ratingKey") is not None]
        keys = [k for k in dict.fromkeys(keys) if k not in self.folders]
        for start in range(0, len(keys), METADATA_BATCH):
            chunk = keys[start : start + METADATA_BATCH]
            found = self.plex.show_folders(chunk)
            self.folders.update({k: found.get(k, []) for k in chunk})

    def match(self, target: Target, items: Sequence[dict[str, Any]]) -> str | None:
        if target.is_show:
            self.fetch_folders(items)
            for item in items:
                folders = self.folders.get(str(item.get("ratingKey")), [])
                if any(_same(loc, target.mapped_folder) for loc in folders):
                    return str(item["ratingKey"])
            return None
        for item in items:
            if holds(item, target) and item.get("ratingKey") is not None:
                return str(item["ratingKey"])
        return None

    def find(self, target: Target) -> str | None:
        """The ratingKey of the item Plex has for `target`, or None (a new one: the scan adds
        it)."""
        kind = SHOW if target.is_show else MOVIE
        if not self.bulk[kind]:
            for name in search_names(target):
                found = self.match(target, self.plex.items(self.section, kind, name))
                if found is not None:
                    return found
            if not target.ids:
                return None
        listed = self.listing(kind)
        return self.match(target, self.candidates(target) if target.is_show else listed)


def refresh_known(
    plex: Plex, sections: Sequence[Section], targets: Sequence[Target]
) -> tuple[dict[int, PlayerError], int]:
    """Refresh the metadata of every target Plex already has: (key -> error for the targets
    that could not be looked up or refreshed, how many items were refreshed). A failure of one
    item leaves the others going; an unreachable Plex or refused token stops them."""
    errors: dict[int, PlayerError] = {}
    by_section: dict[str, tuple[Section, list[Target]]] = {}
    for t in targets:
        section = section_for(sections, t.mapped_folder)
        if section is not None:
            by_section.setdefault(section.key, (section, []))[1].append(t)
    refreshed: set[str] = set()
    stop: PlayerError | None = None
    refused: PlayerNotAllowed | None = None  # no refresh will be allowed: new items are fine
    for section, members in by_section.values():
        lookup = Lookup(plex, section, members)
        for t in members:
            if stop is not None:
                errors[t.key] = stop
                continue
            try:
                rating_key = lookup.find(t)
                if rating_key is not None and refused is not None:
                    errors[t.key] = refused
                elif rating_key is not None and rating_key not in refreshed:
                    plex.refresh_item(rating_key)
                    refreshed.add(rating_key)
            except PlayerNotAllowed as exc:
                refused = errors[t.key] = exc
            except PlayerServerError as exc:
                errors[t.key] = exc
            except (PlayerUnreachable, PlayerAuthError) as exc:
                stop = errors[t.key] = exc
            except PlayerError as exc:
                errors[t.key] = exc
    return errors, len(refreshed)


def deliver(
    player: PlayerConfig, http: HttpClient, targets: Sequence[Target]
) -> tuple[dict[int, PlayerError | None], list[str]]:
    """Tell Plex about `targets`: (key -> None when told, or the error), and what was done. A
    refresh Plex refuses fails its own folders only; after an unreachable Plex or refused
    credentials the rest is left for the next attempt (Kodi's `deliver` does the same)."""
    plex = Plex(player, http)
    sections = plex.sections()
    results: dict[int, PlayerError | None] = {}
    done: list[str] = []
    stop: PlayerError | None = None
    for group in coalesce(targets, player, TARGETED_REFRESHES):
        parts = [group]
        if section_for(sections, group.mapped_folder) is None and len(group.targets) > 1:
            parts = per_folder(group.targets)  # the common folder lies above every section
        for part in parts:
            section = section_for(sections, part.mapped_folder)
            if section is None:
                err = PlayerProtocolError(
                    f"{plex.label}: no library section has a folder holding "
                    f"{part.mapped_folder}; check the path_map and the section's folders"
                )
                results.update({t.key: err for t in part.targets})
                continue
            if stop is not None:
                results.update({t.key: stop for t in part.targets})
                continue
            try:
                plex.refresh(section, part.mapped_folder)
            except (PlayerUnreachable, PlayerAuthError, PlayerNotAllowed) as exc:
                stop = exc
                results.update({t.key: exc for t in part.targets})
                continue
            except PlayerError as exc:
                results.update({t.key: exc for t in part.targets})
                continue
            results.update({t.key: None for t in part.targets})
            done.append(f"refreshed {part.mapped_folder} in {section.title!r}")
    scanned = [t for t in targets if t.key in results and results[t.key] is None]
    errors, refreshed = refresh_known(plex, sections, scanned)
    results.update(errors)
    if refreshed:
        done.append(f"refreshed the metadata of {count(refreshed, 'known item')}")
    return results, done

"""fanart.tv `/v3/tv/{tvdb_id}` and TheTVDB v4 series and episode responses for the TV catalog
(docs/tv.md; docs/providers.md §2, §3)."""

from __future__ import annotations

from urllib.parse import urlencode

from metarrd.simulator.artwork import stable_int
from metarrd.simulator.fanart import NOT_FOUND
from metarrd.simulator.reply import Reply, json_reply
from metarrd.simulator.tv_catalog import Episode, Show, TvCatalog
from metarrd.simulator.tvdb import failure, not_found, success

SEASON_TYPES = {
    "default": (1, "Aired Order", "official"),
    "official": (1, "Aired Order", "official"),
    "dvd": (2, "DVD Order", "dvd"),
    "absolute": (3, "Absolute Order", "absolute"),
    "alternate": (4, "Alternate Order", "alternate"),
    "regional": (5, "Regional Order", "regional"),
}
EPISODES_PAGE_SIZE = 500  # TheTVDB's page size; tests lower it to exercise paging
# TheTVDB's episode lists as v4-api#138 shows them (`/series/350071/episodes/official/eng?page=65`
# of 63 episodes): `links.next` on every page, and pages past the last with the series and no
# episodes; a test sets it
EPISODES_ENDLESS_NEXT = False


# --- fanart.tv --------------------------------------------------------------------------------


def fanart_tv(tv: TvCatalog, tvdb_id: str, base_url: str) -> Reply:
    show = tv.by_tvdb.get(int(tvdb_id)) if tvdb_id.isdigit() else None
    if show is None:
        return json_reply(404, NOT_FOUND)
    body: dict = {"name": show.name, "thetvdb_id": str(show.tvdb_id)}
    for key, items in show.fanart.items():
        out = []
        for asset, season in items:
            item = {"id": str(asset.ident), "url": base_url + asset.key, "lang": asset.lang or "",
                    "likes": str(int(asset.rating))}  # fmt: skip
            if season is not None:
                item["season"] = season
            out.append(item)
        body[key] = out
    return json_reply(200, body)


# --- TheTVDB ----------------------------------------------------------------------------------


def _status(show: Show) -> dict:
    ended = show.status == "Ended"
    return {"id": 2 if ended else 1, "name": "Ended" if ended else "Continuing",
            "recordType": "series", "keepUpdated": not ended}  # fmt: skip


def base_record(show: Show, base_url: str) -> dict:
    poster = next((a for a, s in show.tvdb_art if a.type_id == 2), None)
    last = show.episodes[-1].aired if show.episodes else None
    return {
        "id": show.tvdb_id,
        "name": show.original_name or show.name,
        "slug": show.slug,
        "image": poster.key if poster else None,  # site-relative, as TheTVDB sometimes sends
        "nameTranslations": ["eng"],
        "overviewTranslations": ["eng"],
        "aliases": [],
        "firstAired": show.first_air_date,
        "lastAired": last,
        "nextAired": "",
        "score": int(show.popularity * 100),
        "status": _status(show),
        "originalCountry": "usa",
        "originalLanguage": {"en": "eng", "ja": "jpn", "nl": "nld"}.get(
            show.original_language, "eng"
        ),
        "defaultSeasonType": 1,
        "isOrderRandomized": False,
        "lastUpdated": "2024-05-02 09:14:27",
        "averageRuntime": show.runtime,
        "episodes": None,
        "overview": show.overview,
        "year": str(show.year),
    }


def _seasons(show: Show, base_url: str) -> list[dict]:
    out = []
    for number in sorted({e.tvdb_season for e in show.episodes + show.tvdb_extra}):
        art = next((a for a, s in show.tvdb_art if s == number), None)
        out.append(
            {"id": stable_int("tvdb-season", show.tvdb_id, number), "seriesId": show.tvdb_id,
             "type": {"id": 1, "name": "Aired Order", "type": "official", "alternateName": None},
             "number": number, "name": "Specials" if number == 0 else f"Season {number}",
             "image": base_url + art.key if art else None, "imageType": 7,
             "lastUpdated": "2024-05-02 09:14:27"}
        )  # fmt: skip
    return out


def extended_record(show: Show, base_url: str, params: dict[str, str]) -> dict:
    record = {
        **base_record(show, base_url),
        "seasons": _seasons(show, base_url),
        "seasonTypes": [
            {"id": tid, "name": name, "type": kind, "alternateName": None}
            for tid, name, kind in {v for k, v in SEASON_TYPES.items() if k != "default"}
        ],
        "genres": [],
        "remoteIds": (
            [{"id": show.imdb_id, "type": 2, "sourceName": "IMDB"}] if show.imdb_id else []
        ) + [{"id": str(show.id), "type": 12, "sourceName": "TheMovieDB.com"}],
        "originalNetwork": {"id": show.network[0], "name": show.network[1]},
        "latestNetwork": {"id": show.network[0], "name": show.network[1]},
        "companies": [],
        "contentRatings": [{"id": 1, "name": show.rating_us, "country": "usa"}],
        "characters": [
            {"id": stable_int("character", show.tvdb_id, actor), "name": role,
             "peopleId": stable_int("tvdb-person", actor), "personName": actor, "image": None,
             "personImgURL": None, "peopleType": "Actor", "type": 3, "sort": i,
             "isFeatured": i < 3, "seriesId": show.tvdb_id}
            for i, (actor, role, _g) in enumerate(show.cast)
        ],
        "artworks": [
            {"id": a.ident, "image": base_url + a.key, "thumbnail": base_url + a.thumb_key,
             "language": a.lang, "type": a.type_id, "score": int(a.rating), "width": a.width,
             "height": a.height, "includesText": True, "thumbnailWidth": a.width // 2,
             "thumbnailHeight": a.height // 2, "updatedAt": 1_700_000_000,
             "status": {"id": 1, "name": None}, "seriesId": show.tvdb_id,
             "seasonId": stable_int("tvdb-season", show.tvdb_id, s) if s is not None else None,
             "episodeId": None, "movieId": None}
            for a, s in show.tvdb_art
        ],
        "trailers": [],
    }  # fmt: skip
    if params.get("short") == "true":
        record["characters"] = None
        record["artworks"] = None
    return record


def _episode(show: Show, ep: Episode, season_type: str, language: str | None = None) -> dict:
    """One episode of a list: in the show's original language (`tvdb_original`) without
    `language`, else in English, null where it has no translation (`tvdb_untranslated`),
    "TBA" where its English name is TheTVDB's placeholder (`tvdb_tba`)."""
    season, number = ep.tvdb_numbers(season_type)
    name: str | None = ep.title
    overview: str | None = f"{show.name}: {ep.title}."
    if language is None and ep.title in show.tvdb_original:
        name = show.tvdb_original[ep.title]
        overview = f"{show.original_name or show.name}: {name}."
    elif language is not None and ep.title in show.tvdb_untranslated:
        name = overview = None
    elif language is not None and ep.title in show.tvdb_tba:
        name = "TBA"
    return {
        "id": ep.tvdb_id,
        "seriesId": show.tvdb_id,
        "name": name,
        "aired": ep.aired,
        "runtime": show.runtime,
        "nameTranslations": ["eng"],
        "overview": overview,
        "overviewTranslations": ["eng"],
        "image": None,
        "imageType": 11,
        "isMovie": 0,
        "seasons": None,
        "number": number,
        "absoluteNumber": ep.absolute or 0,
        "seasonNumber": season,
        "lastUpdated": "2024-05-02 09:14:27",
        "finaleType": None,
        "airsBeforeSeason": 1 if season == 0 else None,
        "airsBeforeEpisode": 1 if season == 0 else None,
        "airsAfterSeason": None,
        "year": ep.aired[:4],
    }


def series(tv: TvCatalog, parts: list[str], params: dict[str, str], base_url: str) -> Reply:
    """`/v4/series/...` (parts start after 'series')."""
    show = tv.by_tvdb.get(int(parts[0])) if parts and parts[0].isdigit() else None
    if show is None:
        return not_found("series")
    if len(parts) == 1:
        return success(base_record(show, base_url))
    if parts[1:] == ["extended"]:
        return success(extended_record(show, base_url, params))
    if parts[1] == "episodes" and len(parts) in (3, 4):
        season_type = parts[2]
        lang = parts[3] if len(parts) == 4 else None
        if season_type not in SEASON_TYPES:
            return failure(400, f"InvalidSeasonType: {season_type!r} is not a season type")
        try:
            page = int(params.get("page", "0") or 0)
        except ValueError:
            return failure(400, "InvalidParameter: page must be an integer")
        kind = SEASON_TYPES[season_type][2]
        episodes = sorted(show.episodes + show.tvdb_extra, key=lambda e: e.tvdb_numbers(kind))
        if params.get("season", "").isdigit():
            episodes = [e for e in episodes if e.tvdb_numbers(kind)[0] == int(params["season"])]
        if not episodes:
            return not_found("episodes")
        size = EPISODES_PAGE_SIZE
        chunk = episodes[page * size : (page + 1) * size]
        api = f"{base_url}/v4/series/{show.tvdb_id}/episodes/{season_type}"
        api += f"/{lang}" if lang else ""
        more = EPISODES_ENDLESS_NEXT or (page + 1) * size < len(episodes)
        links = {
            "prev": f"{api}?{urlencode({**params, 'page': page - 1})}" if page > 0 else None,
            "self": f"{api}?{urlencode({**params, 'page': page})}",
            "next": f"{api}?{urlencode({**params, 'page': page + 1})}" if more else None,
            "total_items": len(episodes),
            "page_size": size,
        }
        data = {
            "series": base_record(show, base_url),
            "episodes": [_episode(show, e, season_type, lang) for e in chunk],
        }
        return success(data, links)
    return not_found("series")

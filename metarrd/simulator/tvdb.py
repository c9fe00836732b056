"""TheTVDB v4 movie responses (docs/providers.md §3): envelopes, snake_case search, camelCase
records, ArtworkExtended with numeric type ids and 3-letter languages."""

from __future__ import annotations

from urllib.parse import urlencode

from metarrd.simulator.artwork import LANG3, Asset, stable_int
from metarrd.simulator.catalog import COUNTRIES, GENRES, Catalog, Movie
from metarrd.simulator.reply import Reply, json_reply

# id, name, recordType, width, height (thumbnails are half size)
ARTWORK_TYPES = [
    (1, "Banner", "series", 758, 140), (2, "Poster", "series", 680, 1000),
    (3, "Background", "series", 1920, 1080), (5, "Icon", "series", 1024, 1024),
    (6, "Banner", "season", 758, 140), (7, "Poster", "season", 680, 1000),
    (8, "Background", "season", 1920, 1080), (10, "Icon", "season", 1024, 1024),
    (11, "16:9 Screencap", "episode", 640, 360), (12, "4:3 Screencap", "episode", 640, 480),
    (13, "Photo", "actor", 300, 450), (14, "Poster", "movie", 680, 1000),
    (15, "Background", "movie", 1920, 1080), (16, "Banner", "movie", 758, 140),
    (18, "Icon", "movie", 1024, 1024), (19, "Icon", "company", 512, 512),
    (20, "Cinemagraph", "series", 1920, 1080), (21, "Cinemagraph", "movie", 1920, 1080),
    (22, "ClearArt", "series", 1000, 562), (23, "ClearLogo", "series", 800, 310),
    (24, "ClearArt", "movie", 1000, 562), (25, "ClearLogo", "movie", 800, 310),
    (26, "Icon", "award", 1024, 1024), (27, "Poster", "list", 680, 1000),
]  # fmt: skip
RELEASED = {"id": 5, "name": "Released", "recordType": "movie", "keepUpdated": True}
PAGE_SIZE = 50


def success(data: object, links: dict | None = None) -> Reply:
    body: dict = {"status": "success", "data": data}
    if links is not None:
        body["links"] = links
    return json_reply(200, body)


def failure(status: int, message: str) -> Reply:
    return json_reply(status, {"status": "failure", "message": message, "data": None})


def not_found(what: str = "movie") -> Reply:
    return failure(404, f"NotFoundException: error fetching {what}")


def artwork_types() -> Reply:
    return success(
        [
            {"id": tid, "name": name, "recordType": record, "slug": name.lower().replace(" ", "-"),
             "imageFormat": "PNG" if name.startswith("Clear") else "JPG", "width": width,
             "height": height, "thumbWidth": width // 2, "thumbHeight": height // 2}
            for tid, name, record, width, height in ARTWORK_TYPES
        ]
    )  # fmt: skip


def _lang3(code: str) -> str:
    return LANG3.get(code, code)


def _name_languages(movie: Movie) -> list[str]:
    codes = [movie.original_language, "en", *movie.translations]
    return list(dict.fromkeys(_lang3(c) for c in codes))


def _poster_url(movie: Movie, base_url: str) -> str | None:
    posters = [a for a in movie.images.tvdb if a.type_id == 14]
    return base_url + posters[0].key if posters else None


def base_record(movie: Movie, base_url: str) -> dict:
    """MovieBaseRecord; `name` is in the original language, as on TheTVDB."""
    return {
        "aliases": [{"language": "eng", "name": alias} for alias in movie.alternative_titles],
        "id": movie.tvdb_id,
        "image": _poster_url(movie, base_url),
        "lastUpdated": "2024-05-02 09:14:27",
        "name": movie.original_title,
        "nameTranslations": _name_languages(movie),
        "overviewTranslations": ["eng"],
        "score": int(movie.popularity * 1000),
        "slug": movie.slug,
        "status": RELEASED,
        "runtime": movie.runtime,
        "year": str(movie.year) if movie.year else None,
    }


def remote_ids(movie: Movie) -> list[dict]:
    ids = [{"id": str(movie.id), "type": 10, "sourceName": "TheMovieDB.com"}]
    if movie.imdb_id:
        ids.insert(0, {"id": movie.imdb_id, "type": 2, "sourceName": "IMDB"})
    if movie.wikidata_id:
        ids.append({"id": movie.wikidata_id, "type": 18, "sourceName": "Wikidata"})
    return ids


def artwork(asset: Asset, movie: Movie, base_url: str) -> dict:
    thumb_width, thumb_height = asset.thumb_size
    return {
        "id": asset.ident,
        "image": base_url + asset.key,
        "thumbnail": base_url + asset.thumb_key,
        "language": asset.lang,
        "type": asset.type_id,
        "score": int(asset.rating),
        "width": asset.width,
        "height": asset.height,
        "includesText": asset.lang is not None,
        "thumbnailWidth": thumb_width,
        "thumbnailHeight": thumb_height,
        "updatedAt": 1_700_000_000 + asset.ident % 10_000_000,
        "status": {"id": 1, "name": None},
        "tagOptions": None,
        "movieId": movie.tvdb_id,
        "seriesId": None,
        "seasonId": None,
        "episodeId": None,
        "networkId": None,
        "peopleId": None,
    }


def _translations(movie: Movie) -> dict:
    names = [{"name": movie.title, "language": "eng", "isPrimary": movie.original_language == "en"}]
    names += [
        {"name": t["title"], "language": _lang3(code), "isPrimary": code == movie.original_language}
        for code, t in movie.translations.items()
        if t.get("title") and code != "en"
    ]
    overviews = [{"overview": movie.overview, "language": "eng", "isPrimary": True}]
    return {"nameTranslations": names, "overviewTranslations": overviews, "alias": []}


def extended_record(movie: Movie, base_url: str, params: dict[str, str]) -> dict:
    origin = movie.countries[0] if movie.countries else "US"
    releases = [
        {"country": COUNTRIES.get(country, ("", country.lower()))[1], "date": day, "detail": None}
        for country, events in movie.releases().items()
        for day, kind, *_ in events
        if kind == 3
    ]
    record = {
        **base_record(movie, base_url),
        "trailers": [
            {"id": stable_int("trailer", movie.id), "language": "eng", "name": "Official Trailer",
             "url": f"https://www.youtube.com/watch?v={movie.trailer}", "runtime": 0}
        ] if movie.trailer else [],
        "genres": [
            {"id": gid, "name": GENRES[gid], "slug": GENRES[gid].lower().replace(" ", "-")}
            for gid in movie.genres
        ],
        "releases": releases,
        "artworks": [artwork(a, movie, base_url) for a in movie.images.tvdb],
        "remoteIds": remote_ids(movie),
        "characters": [
            {"id": stable_int("character", movie.id, name), "name": role,
             "peopleId": stable_int("tvdb-person", name), "personName": name, "image": None,
             "personImgURL": None, "peopleType": "Actor", "type": 3, "sort": order,
             "isFeatured": order < 3, "movieId": movie.tvdb_id, "seriesId": None,
             "episodeId": None, "url": f"https://thetvdb.com/people/{stable_int('tvdb-person', name)}"}
            for order, (name, role, _gender) in enumerate(movie.cast)
        ],
        "budget": str(movie.budget) if movie.budget else None,
        "boxOffice": str(movie.revenue) if movie.revenue else None,
        "boxOfficeUS": None,
        "originalCountry": COUNTRIES[origin][1],
        "originalLanguage": _lang3(movie.original_language),
        "audioLanguages": [_lang3(code) for code in movie.languages],
        "subtitleLanguages": ["eng"],
        "studios": [{"id": cid, "name": name, "parentStudio": None}
                    for cid, name, _country in movie.companies],
        "awards": [],
        "tagOptions": [],
        "lists": [],
        "contentRatings": [
            {"id": stable_int("rating", country, cert, high=1000), "name": cert,
             "country": COUNTRIES[country][1], "contentType": "", "order": 0,
             "fullName": None, "description": ""}
            for country, cert in movie.certifications.items() if cert
        ],
        "production_countries": [
            {"id": stable_int("country", c, high=300), "country": COUNTRIES[c][1],
             "name": COUNTRIES[c][0]} for c in movie.countries
        ],
        "inspirations": [],
        "spoken_languages": [_lang3(code) for code in movie.languages],
        "first_release": releases[0] if releases else None,
    }  # fmt: skip
    if params.get("short") == "true":
        record["characters"] = None
        record["artworks"] = None
    if "translations" in params.get("meta", ""):
        record["translations"] = _translations(movie)
    return record


def search_item(movie: Movie, base_url: str) -> dict:
    origin = movie.countries[0] if movie.countries else "US"
    poster = _poster_url(movie, base_url)
    return {
        "objectID": f"movie-{movie.tvdb_id}",
        "aliases": list(movie.alternative_titles),
        "country": COUNTRIES[origin][1],
        "director": movie.directors[0] if movie.directors else None,
        "extended_title": f"{movie.original_title} ({movie.year})",
        "genres": [GENRES[g] for g in movie.genres],
        "studios": [name for _cid, name, _country in movie.companies],
        "id": f"movie-{movie.tvdb_id}",
        "image_url": poster,
        "name": movie.original_title,
        "first_air_time": movie.release_date,
        "overview": movie.overview,
        "primary_language": _lang3(movie.original_language),
        "primary_type": "movie",
        "status": "Released",
        "type": "movie",
        "tvdb_id": str(movie.tvdb_id),
        "year": str(movie.year) if movie.year else None,
        "slug": movie.slug,
        "overviews": {"eng": movie.overview},
        "translations": {"eng": movie.title, **{
            _lang3(code): t["title"] for code, t in movie.translations.items() if t.get("title")}},
        "remote_ids": remote_ids(movie),
        "thumbnail": poster,
    }  # fmt: skip


def search(catalog: Catalog, params: dict[str, str], api_url: str, base_url: str) -> Reply:
    query = params.get("query") or params.get("q") or ""
    kind = params.get("type", "")
    year = params.get("year", "")
    hits = [] if kind not in ("", "movie") else catalog.search(query)
    hits = [m for m in hits if m.tvdb_id and (not year or str(m.year) == year)]
    try:
        offset = int(params.get("offset", "0") or 0)
        limit = min(int(params.get("limit", PAGE_SIZE) or PAGE_SIZE), 5000)
    except ValueError:
        return failure(400, "InvalidParameter: offset and limit must be integers")
    page = hits[offset : offset + limit]
    more = offset + limit < len(hits)
    links = {
        "prev": None,
        "self": f"{api_url}/search?{urlencode(params)}",
        "next": f"{api_url}/search?{urlencode({**params, 'offset': offset + limit})}"
        if more
        else None,
        "total_items": len(hits),
        "page_size": limit,
    }
    return success([search_item(m, base_url) for m in page], links)


def search_remote_id(catalog: Catalog, remote_id: str, base_url: str) -> Reply:
    movie = catalog.by_imdb.get(remote_id)
    if movie is None and remote_id.isdigit():
        movie = catalog.get(int(remote_id))
    if movie is None or not movie.tvdb_id:
        return success([])
    return success([{"movie": base_record(movie, base_url)}])


def movie(catalog: Catalog, tvdb_id: str, base_url: str, params: dict, extended: bool) -> Reply:
    found = catalog.by_tvdb.get(int(tvdb_id)) if tvdb_id.isdigit() else None
    if found is None:
        return not_found()
    if extended:
        return success(extended_record(found, base_url, params))
    return success(base_record(found, base_url))

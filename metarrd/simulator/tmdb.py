"""TMDB v3 responses built from the catalog (shapes per docs/providers.md §1)."""

from __future__ import annotations

import hashlib
from datetime import date, timedelta

from metarrd.simulator.artwork import Asset, collection_images, company_logo, stable_int
from metarrd.simulator.catalog import COUNTRIES, GENRES, LANGUAGES, Catalog, Movie
from metarrd.simulator.reply import Reply, json_reply

SIZES = {
    "backdrop_sizes": ["w300", "w780", "w1280", "original"],
    "logo_sizes": ["w45", "w92", "w154", "w185", "w300", "w500", "original"],
    "poster_sizes": ["w92", "w154", "w185", "w342", "w500", "w780", "original"],
    "profile_sizes": ["w45", "w185", "h632", "original"],
    "still_sizes": ["w92", "w185", "w300", "original"],
}
ALL_SIZES = frozenset(size for sizes in SIZES.values() for size in sizes)
ERRORS = {
    3: (401, "Authentication failed: You do not have permissions to access the service."),
    6: (404, "Invalid id: The pre-requisite id is invalid or not found."),
    7: (401, "Invalid API key: You must be granted a valid key."),
    9: (503, "Service offline: This service is temporarily offline, try again later."),
    11: (500, "Internal error: Something went wrong, contact TMDb."),
    22: (400, "Invalid page: Pages start at 1 and max at 500. They are expected to be an integer."),
    24: (504, "Your request to the backend server timed out. Try again."),
    25: (429, "Your request count (#) is over the allowed limit of (40)."),
    27: (400, "Too many append to response objects: The maximum number of remote calls is 20."),
    34: (404, "The resource you requested could not be found."),
}
STATUS_CODES = {500: 11, 502: 24, 503: 9, 504: 24}
APPENDABLE = ("images", "credits", "external_ids", "release_dates", "videos", "keywords",
              "alternative_titles", "releases", "translations")  # fmt: skip
PAGE_SIZE = 20
# a translation's country (TMDB's translations are language-country pairs)
COUNTRY_OF = {"en": "US", "ja": "JP", "ko": "KR", "zh": "CN"}


def error(code: int, headers: dict[str, str] | None = None) -> Reply:
    status, message = ERRORS[code]
    body = {"success": False, "status_code": code, "status_message": message}
    return json_reply(status, body, headers)


def configuration(image_base: str) -> dict:
    return {
        "images": {"base_url": image_base, "secure_base_url": image_base, **SIZES},
        "change_keys": ["adult", "air_date", "also_known_as", "alternative_titles", "biography",
                        "birthday", "budget", "cast", "certifications", "character_names",
                        "created_by", "crew", "deathday", "episode", "episode_number",
                        "episode_run_time", "freebase_id", "genres", "homepage", "images",
                        "imdb_id", "languages", "name", "network", "origin_country",
                        "original_name", "original_title", "overview", "parts", "place_of_birth",
                        "plot_keywords", "production_code", "production_companies",
                        "production_countries", "releases", "revenue", "runtime", "season",
                        "spoken_languages", "status", "tagline", "title", "translations",
                        "tvdb_id", "tvrage_id", "type", "video", "videos"],
    }  # fmt: skip


def _lang(params: dict[str, str]) -> str | None:
    value = params.get("language", "").strip()
    return value.split("-")[0].lower() or None


def image_item(asset: Asset) -> dict:
    return {
        "aspect_ratio": round(asset.width / asset.height, 3),
        "height": asset.height,
        "iso_639_1": asset.lang,
        "file_path": asset.file_path,
        "vote_average": asset.rating,
        "vote_count": asset.votes,
        "width": asset.width,
    }


def image_filter(params: dict[str, str]) -> set[str | None] | None:
    """Languages to keep: `language` plus `include_image_language` ('null' = untagged); None = all."""
    wanted: set[str | None] = set()
    if params.get("language"):
        wanted.add(_lang(params))
    for token in params.get("include_image_language", "").split(","):
        token = token.strip().lower()
        if token:
            wanted.add(None if token == "null" else token.split("-")[0])
    return wanted or None


def _best(assets: list[Asset]) -> Asset | None:
    return max(assets, key=lambda a: (a.rating, a.votes), default=None)


def poster_path(movie: Movie, lang: str | None) -> str | None:
    """Requested language first, then the original language, then the highest rated."""
    posters = movie.images.posters
    for wanted in (lang or "en", movie.original_language):
        best = _best([p for p in posters if p.lang == wanted])
        if best:
            return best.file_path
    best = _best(posters)
    return best.file_path if best else None


def backdrop_path(movie: Movie) -> str | None:
    backdrops = movie.images.backdrops
    best = _best([b for b in backdrops if b.lang is None]) or _best(backdrops)
    return best.file_path if best else None


def _title(movie: Movie, lang: str | None) -> str:
    return movie.translations.get(lang or "en", {}).get("title") or movie.title


def _overview(movie: Movie, lang: str | None) -> str:
    translated = movie.translations.get(lang or "en", {}).get("overview")
    if translated is not None:
        return translated
    return movie.overview if lang in (None, "en") else ""


def search_item(movie: Movie, lang: str | None) -> dict:
    return {
        "adult": False,
        "backdrop_path": backdrop_path(movie),
        "genre_ids": list(movie.genres),
        "id": movie.id,
        "original_language": movie.original_language,
        "original_title": movie.original_title,
        "overview": _overview(movie, lang),
        "popularity": movie.popularity,
        "poster_path": poster_path(movie, lang),
        "release_date": movie.release_date or "",
        "title": _title(movie, lang),
        "video": False,
        "vote_average": movie.vote_average,
        "vote_count": movie.vote_count,
    }


def _int_param(params: dict[str, str], name: str) -> int | None:
    try:
        return int(params[name]) if params.get(name) else None
    except ValueError:
        return None


def search_movies(catalog: Catalog, params: dict[str, str]) -> Reply:
    if "query" not in params:
        return json_reply(422, {"errors": ["query must be provided"]})
    try:
        page = int(params.get("page", "1"))
    except ValueError:
        return error(22)
    if not 1 <= page <= 500:
        return error(22)
    hits = catalog.search(
        params["query"], _int_param(params, "year"), _int_param(params, "primary_release_year")
    )
    lang = _lang(params)
    chunk = hits[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    return json_reply(
        200,
        {
            "page": page,
            "results": [search_item(m, lang) for m in chunk],
            "total_pages": max(1, -(-len(hits) // PAGE_SIZE)),
            "total_results": len(hits),
        },
    )


def find(catalog: Catalog, external_id: str, params: dict[str, str]) -> Reply:
    source = params.get("external_source", "")
    movie = None
    if source == "imdb_id":
        movie = catalog.by_imdb.get(external_id)
    elif source == "wikidata_id":
        movie = next((m for m in catalog.movies.values() if m.wikidata_id == external_id), None)
    results = [search_item(movie, _lang(params))] if movie else []
    return json_reply(
        200,
        {
            "movie_results": results,
            "person_results": [],
            "tv_results": [],
            "tv_episode_results": [],
            "tv_season_results": [],
        },
    )


def images(movie: Movie, params: dict[str, str]) -> dict:
    wanted = image_filter(params)

    def pick(assets: list[Asset]) -> list[dict]:
        kept = [a for a in assets if wanted is None or a.lang in wanted]
        return [image_item(a) for a in sorted(kept, key=lambda a: (-a.rating, -a.votes))]

    art = movie.images
    return {
        "backdrops": pick(art.backdrops),
        "logos": pick(art.logos),
        "posters": pick(art.posters),
    }


def _person(catalog: Catalog, name: str, department: str) -> dict:
    profile = catalog.people.get(name)
    return person(name, department, profile.file_path if profile else None)


def person(name: str, department: str, profile_path: str | None = None) -> dict:
    """A TMDB person as credits list them (the TV responses use it too)."""
    return {
        "adult": False,
        "gender": stable_int("gender", name, low=1, high=3),
        "id": stable_int("person", name),
        "known_for_department": department,
        "name": name,
        "original_name": name,
        "popularity": round(stable_int("pop", name, low=600, high=90_000) / 1000, 3),
        "profile_path": profile_path,
    }


def _credit_id(*parts: object) -> str:
    return hashlib.sha256("|".join(map(str, parts)).encode(errors="surrogatepass")).hexdigest()[:24]


def credits(catalog: Catalog, movie: Movie) -> dict:
    cast = []
    for order, (name, character, gender) in enumerate(movie.cast):
        person = {**_person(catalog, name, "Acting"), "gender": gender}
        cast.append(
            {**person, "cast_id": order + 2, "character": character,
             "credit_id": _credit_id(movie.id, name, character), "order": order}
        )  # fmt: skip
    crew = [
        {**_person(catalog, name, "Directing"), "credit_id": _credit_id(movie.id, name, "dir"),
         "department": "Directing", "job": "Director"}
        for name in movie.directors
    ] + [
        {**_person(catalog, name, "Writing"), "credit_id": _credit_id(movie.id, name, job),
         "department": "Writing", "job": job}
        for name, job in movie.writers
    ]  # fmt: skip
    return {"cast": cast, "crew": crew}


def _iso_time(day: str) -> str:
    return f"{day}T00:00:00.000Z"


def release_dates(movie: Movie) -> dict:
    return {
        "results": [
            {"iso_3166_1": country, "release_dates": [
                {"certification": cert, "descriptors": [], "iso_639_1": "", "note": note,
                 "release_date": _iso_time(day), "type": kind}
                for day, kind, cert, note in events]}
            for country, events in movie.releases().items()
        ]
    }  # fmt: skip


def releases_legacy(movie: Movie) -> dict:
    countries = []
    for country, events in movie.releases().items():
        main = next((e for e in events if e[1] == 3), events[0])
        countries.append(
            {"certification": main[2], "descriptors": [], "iso_3166_1": country,
             "primary": country == "US", "release_date": main[0]}
        )  # fmt: skip
    return {"countries": countries}


def video_filter(params: dict[str, str]) -> set[str] | None:
    """Video languages to keep: `language` plus `include_video_language` (TMDB, 2021: "the
    same way you use include_image_language"); None = all."""
    wanted = {_lang(params)} - {None}
    for token in params.get("include_video_language", "").split(","):
        if token.strip():
            wanted.add(token.strip().split("-")[0].lower())
    return wanted or None


def videos(movie: Movie, params: dict[str, str]) -> dict:
    wanted = video_filter(params)
    if not movie.trailer or (wanted is not None and "en" not in wanted):
        return {"results": []}
    published = date.fromisoformat(movie.release_date) - timedelta(days=90)
    return {
        "results": [
            {"iso_639_1": "en", "iso_3166_1": "US", "name": f"{movie.title} - Official Trailer",
             "key": movie.trailer, "site": "YouTube", "size": 1080, "type": "Trailer",
             "official": True, "published_at": f"{published.isoformat()}T18:59:47.000Z",
             "id": _credit_id(movie.id, "trailer")}
        ]
    }  # fmt: skip


def keywords(movie: Movie) -> dict:
    return {
        "keywords": [{"id": stable_int("kw", k, high=300_000), "name": k} for k in movie.keywords]
    }


def external_ids(movie: Movie) -> dict:
    return {
        "imdb_id": movie.imdb_id,
        "wikidata_id": movie.wikidata_id,
        "facebook_id": None,
        "instagram_id": None,
        "twitter_id": None,
    }


def alternative_titles(movie: Movie) -> dict:
    return {
        "titles": [
            {"iso_3166_1": "US", "title": title, "type": ""} for title in movie.alternative_titles
        ]
    }


def translations(movie: Movie) -> dict:
    """`/movie/{id}/translations`: every translation, whatever `language` asks for; the
    movie's primary (en-US) text is one of them. Fields with no translation are ""."""
    texts = {"en": {"title": movie.title, "overview": movie.overview}, **movie.translations}
    return {
        "translations": [
            {"iso_3166_1": COUNTRY_OF.get(code, code.upper()), "iso_639_1": code,
             "name": LANGUAGES.get(code, (code, code))[1],
             "english_name": LANGUAGES.get(code, (code, code))[0],
             "data": {"homepage": "", "overview": text.get("overview") or "",
                      "runtime": 0, "tagline": movie.tagline if code == "en" else "",
                      "title": text.get("title") or ""}}
            for code, text in texts.items()
        ]
    }  # fmt: skip


def sub_resource(catalog: Catalog, movie: Movie, name: str, params: dict[str, str]) -> dict:
    builders = {
        "images": lambda: images(movie, params),
        "credits": lambda: credits(catalog, movie),
        "external_ids": lambda: external_ids(movie),
        "release_dates": lambda: release_dates(movie),
        "releases": lambda: releases_legacy(movie),
        "videos": lambda: videos(movie, params),
        "keywords": lambda: keywords(movie),
        "alternative_titles": lambda: alternative_titles(movie),
        "translations": lambda: translations(movie),
    }
    return builders[name]()


def _collection(movie: Movie) -> dict | None:
    if not movie.collection:
        return None
    cid, name = movie.collection
    poster, backdrop = collection_images(cid)
    return {"id": cid, "name": name, "poster_path": poster.file_path,
            "backdrop_path": backdrop.file_path}  # fmt: skip


def details(catalog: Catalog, movie: Movie, params: dict[str, str]) -> Reply:
    appends = [a.strip() for a in params.get("append_to_response", "").split(",") if a.strip()]
    if len(appends) > 20:
        return error(27)
    lang = _lang(params)
    body = {
        "adult": False,
        "backdrop_path": backdrop_path(movie),
        "belongs_to_collection": _collection(movie),
        "budget": movie.budget,
        "genres": [{"id": g, "name": GENRES[g]} for g in movie.genres],
        "homepage": movie.homepage,
        "id": movie.id,
        "imdb_id": movie.imdb_id,
        "origin_country": movie.countries[:1],
        "original_language": movie.original_language,
        "original_title": movie.original_title,
        "overview": _overview(movie, lang),
        "popularity": movie.popularity,
        "poster_path": poster_path(movie, lang),
        "production_companies": [
            {"id": cid, "logo_path": logo.file_path if (logo := company_logo(cid)) else None,
             "name": name, "origin_country": country}
            for cid, name, country in movie.companies
        ],
        "production_countries": [{"iso_3166_1": c, "name": COUNTRIES[c][0]} for c in movie.countries],
        "release_date": movie.release_date,
        "revenue": movie.revenue,
        "runtime": movie.runtime,
        "spoken_languages": [
            {"english_name": LANGUAGES[code][0], "iso_639_1": code, "name": LANGUAGES[code][1]}
            for code in movie.languages
        ],
        "status": "Released",
        "tagline": movie.tagline,
        "title": _title(movie, lang),
        "video": False,
        "vote_average": movie.vote_average,
        "vote_count": movie.vote_count,
    }  # fmt: skip
    for name in appends:
        if name in APPENDABLE:
            body[name] = sub_resource(catalog, movie, name, params)
    return json_reply(200, body)

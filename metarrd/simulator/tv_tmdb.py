"""TMDB v3 TV responses (docs/tv.md; docs/providers.md §1): /search/tv, /tv/{id} with
append_to_response, seasons, episodes and /find's tv keys."""

from __future__ import annotations

from metarrd.simulator.artwork import Asset, person_asset, stable_int
from metarrd.simulator.catalog import LANGUAGES
from metarrd.simulator.reply import Reply, json_reply
from metarrd.simulator.tmdb import (
    COUNTRY_OF,
    PAGE_SIZE,
    _lang,
    error,
    image_filter,
    image_item,
    person,
    video_filter,
)
from metarrd.simulator.tv_catalog import TV_GENRES, Episode, Show, TvCatalog, episode_people

SHOW_APPENDS = ("images", "credits", "aggregate_credits", "external_ids", "content_ratings",
                "keywords", "videos", "episode_groups", "translations")  # fmt: skip
SEASON_APPENDS = ("images", "credits", "external_ids")
EPISODE_APPENDS = ("images", "credits", "external_ids")


def _appends(params: dict[str, str]) -> list[str] | None:
    appends = [a.strip() for a in params.get("append_to_response", "").split(",") if a.strip()]
    return None if len(appends) > 20 else appends


def _person(name: str, department: str, headliner: bool = True) -> dict:
    face = person_asset(name, headliner) if department == "Acting" else None
    return person(name, department, face.file_path if face else None)


def episode_credits(show: Show, ep: Episode) -> dict:
    """`crew` and `guest_stars` of an episode, as TMDB's season and episode bodies give them."""
    guests, director, writer = episode_people(show, ep)
    crew = [
        {**_person(director, "Directing"), "department": "Directing", "job": "Director",
         "credit_id": f"d{ep.tmdb_id}"},
        {**_person(writer, "Writing"), "department": "Writing", "job": "Writer",
         "credit_id": f"w{ep.tmdb_id}"},
    ]  # fmt: skip
    stars = [
        {**_person(name, "Acting", headliner=False), "character": role,
         "credit_id": f"g{ep.tmdb_id}{i}", "order": 500 + i}
        for i, (name, role) in enumerate(guests)
    ]  # fmt: skip
    return {"crew": crew, "guest_stars": stars}


def search_item(show: Show) -> dict:
    poster = show.posters[0].file_path if show.posters else None
    return {
        "adult": False,
        "backdrop_path": show.backdrops[0].file_path if show.backdrops else None,
        "genre_ids": list(show.genres),
        "id": show.id,
        "origin_country": list(show.countries),
        "original_language": show.original_language,
        "original_name": show.original_name or show.name,
        "overview": show.overview,
        "popularity": show.popularity,
        "poster_path": poster,
        "first_air_date": show.first_air_date,
        "name": show.name,
        "vote_average": show.vote_average,
        "vote_count": show.vote_count,
    }


def search_tv(tv: TvCatalog, params: dict[str, str]) -> Reply:
    if "query" not in params:
        return json_reply(422, {"errors": ["query must be provided"]})
    try:
        page = int(params.get("page", "1"))
        year = params.get("first_air_date_year") or params.get("year")
        year_value = int(year) if year else None
    except ValueError:
        return error(22)
    if not 1 <= page <= 500:
        return error(22)
    hits = tv.search(params["query"], year_value)
    chunk = hits[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    return json_reply(
        200,
        {
            "page": page,
            "results": [search_item(s) for s in chunk],
            "total_pages": max(1, -(-len(hits) // PAGE_SIZE)),
            "total_results": len(hits),
        },
    )


# TMDB's name of an episode nobody named in the language asked for: "Folge 2" in German
# (Cinephage#509, `/tv/{id}/season/{s}/episode/{e}?language=de`), "Epizóda 1" in Slovak
# (jellyfin-plugin-tmdb#11), "Episode 2" where TMDB has no word of the language
# (xbmc/metadata.tvshows.themoviedb.org.python#18)
STAND_IN_NAMES = {"de": "Folge", "sk": "Epizóda", "fr": "Épisode", "es": "Episodio"}


def episode_item(show: Show, ep: Episode, lang: str | None = None) -> dict:
    """An episode as TMDB's season body lists it; in another language than English its
    overview is "" and its name TMDB's stand-in (`STAND_IN_NAMES`): nobody translated the
    simulator's episodes, TMDB's answer for most."""
    english = lang in (None, "en")
    stand_in = f"{STAND_IN_NAMES.get(lang or '', 'Episode')} {ep.number}"
    return {
        "air_date": ep.aired,
        "episode_number": ep.number,
        "episode_type": "finale" if ep == show.season(ep.season)[-1] and ep.season else "standard",
        "id": ep.tmdb_id,
        "name": ep.title if english else stand_in,
        "overview": f"{show.name}, season {ep.season} episode {ep.number}." if english else "",
        "production_code": ep.production_code,
        "runtime": show.runtime,
        "season_number": ep.season,
        "show_id": show.id,
        "still_path": ep.still.file_path if ep.still else None,
        "vote_average": 7.5,
        "vote_count": 12,
    }


def find(tv: TvCatalog, external_id: str, source: str, movie_results: list) -> Reply:
    shows: list[dict] = []
    episodes: list[dict] = []
    if source == "imdb_id" and external_id in tv.by_imdb:
        shows.append(search_item(tv.by_imdb[external_id]))
    elif source == "tvdb_id" and external_id.isdigit():
        number = int(external_id)
        if number in tv.by_tvdb:
            shows.append(search_item(tv.by_tvdb[number]))
        elif number in tv.episodes_by_tvdb:
            show, ep = tv.episodes_by_tvdb[number]
            episodes.append({**episode_item(show, ep), "media_type": "tv_episode"})
    return json_reply(
        200,
        {
            "movie_results": movie_results,
            "person_results": [],
            "tv_results": shows,
            "tv_episode_results": episodes,
            "tv_season_results": [],
        },
    )


def _images(assets: dict[str, list[Asset]], params: dict[str, str]) -> dict:
    wanted = image_filter(params)
    return {
        name: [image_item(a) for a in items if wanted is None or a.lang in wanted]
        for name, items in assets.items()
    }


def _show_sub(show: Show, name: str, params: dict[str, str]) -> dict:
    if name == "images":
        return _images(
            {"backdrops": show.backdrops, "logos": show.logos, "posters": show.posters}, params
        )
    if name == "external_ids":
        return {"imdb_id": show.imdb_id, "freebase_mid": None, "freebase_id": None,
                "tvdb_id": show.tvdb_id, "tvrage_id": None, "wikidata_id": None,
                "facebook_id": None, "instagram_id": None, "twitter_id": None}  # fmt: skip
    if name == "credits":
        return {"cast": [
            {**_person(actor, "Acting"), "character": role, "credit_id": f"tv{show.id}c{i}",
             "order": i} for i, (actor, role, _g) in enumerate(show.cast)], "crew": []}  # fmt: skip
    if name == "aggregate_credits":
        total = len(show.episodes)
        return {"cast": [
            {**_person(actor, "Acting"), "roles": [
                {"credit_id": f"tv{show.id}c{i}", "character": role, "episode_count": total}],
             "total_episode_count": total, "order": i}
            for i, (actor, role, _g) in enumerate(show.cast)], "crew": []}  # fmt: skip
    if name == "content_ratings":
        return {"results": [{"descriptors": [], "iso_3166_1": "US", "rating": show.rating_us}]}
    if name == "keywords":
        return {"results": []}
    if name == "videos":
        return videos(show, params)
    if name == "translations":
        return translations(show)
    return {"results": []}  # episode_groups


def videos(show: Show, params: dict[str, str]) -> dict:
    """The show's English trailer: filtered out by `language=de-DE` alone, kept with
    `include_video_language=de,en` (TMDB, 2021)."""
    wanted = video_filter(params)
    if not show.trailer or (wanted is not None and "en" not in wanted):
        return {"results": []}
    return {
        "results": [
            {"iso_639_1": "en", "iso_3166_1": "US", "name": f"{show.name} | Official Trailer",
             "key": show.trailer, "site": "YouTube", "size": 1080, "type": "Trailer",
             "official": True, "published_at": f"{show.first_air_date}T16:00:00.000Z",
             "id": f"{stable_int('tv-trailer', show.id):024x}"[:24]}
        ]
    }  # fmt: skip


def overview(show: Show, lang: str | None) -> str:
    """The show's overview in `lang`: "" where TMDB has no translation into it."""
    if lang in (None, "en"):
        return show.overview
    return (show.translations.get(lang) or {}).get("overview") or ""


def season_overview(show: Show, number: int, lang: str | None) -> str:
    """A season's overview: English only (nobody translated the simulator's seasons)."""
    return show.season_overviews.get(str(number), "") if lang in (None, "en") else ""


def translations(show: Show) -> dict:
    """`/tv/{id}/translations`: every translation, whatever `language` asks for, the show's
    primary (en-US) text one of them; `data` holds `name`, `overview`, `homepage`, `tagline`."""
    texts = {"en": {"name": show.name, "overview": show.overview}, **show.translations}
    return {
        "translations": [
            {"iso_3166_1": COUNTRY_OF.get(code, code.upper()), "iso_639_1": code,
             "name": LANGUAGES.get(code, (code, code))[1],
             "english_name": LANGUAGES.get(code, (code, code))[0],
             "data": {"name": text.get("name") or "", "overview": text.get("overview") or "",
                      "homepage": "", "tagline": ""}}
            for code, text in texts.items()
        ]
    }  # fmt: skip


def show_details(show: Show, params: dict[str, str]) -> Reply:
    appends = _appends(params)
    if appends is None:
        return error(27)
    numbers = show.season_numbers()
    last = show.episodes[-1] if show.episodes else None
    body = {
        "adult": False,
        "backdrop_path": show.backdrops[0].file_path if show.backdrops else None,
        "created_by": [
            {"id": stable_int("person", n), "credit_id": f"cb{show.id}{i}", "name": n,
             "gender": 2, "profile_path": None} for i, n in enumerate(show.created_by)
        ],
        "episode_run_time": [show.runtime],
        "first_air_date": show.first_air_date,
        "genres": [{"id": g, "name": TV_GENRES.get(g, "Drama")} for g in show.genres],
        "homepage": "",
        "id": show.id,
        "in_production": show.status == "Returning Series",
        "languages": [show.original_language],
        "last_air_date": last.aired if last else None,
        "last_episode_to_air": episode_item(show, last, _lang(params)) if last else None,
        "name": show.name,
        "next_episode_to_air": None,
        "networks": [{"id": show.network[0], "logo_path": None, "name": show.network[1],
                      "origin_country": show.network[2]}],
        "number_of_episodes": sum(1 for e in show.episodes if e.season),
        "number_of_seasons": sum(1 for n in numbers if n),
        "origin_country": list(show.countries),
        "original_language": show.original_language,
        "original_name": show.original_name or show.name,
        "overview": overview(show, _lang(params)),
        "popularity": show.popularity,
        "poster_path": show.posters[0].file_path if show.posters else None,
        "production_companies": [],
        "production_countries": [],
        "seasons": [
            {"air_date": show.season(n)[0].aired, "episode_count": len(show.season(n)),
             "id": stable_int("tmdb-season", show.id, n), "name": _season_name(n),
             "overview": season_overview(show, n, _lang(params)),
             "poster_path": show.season_posters[n].file_path,
             "season_number": n, "vote_average": 0.0}
            for n in numbers
        ],
        "spoken_languages": [],
        "status": show.status,
        "tagline": "",
        "type": show.type,
        "vote_average": show.vote_average,
        "vote_count": show.vote_count,
    }  # fmt: skip
    for name in appends:
        if name in SHOW_APPENDS:
            body[name] = _show_sub(show, name, params)
        elif name.startswith("season/") and name[7:].isdigit():
            number = int(name[7:])
            if number in numbers:
                # in the show's language, without its appends
                body[name] = season_body(show, number, {"language": params.get("language", "")})
    return json_reply(200, body)


def _season_name(number: int) -> str:
    return "Specials" if number == 0 else f"Season {number}"


def season_body(show: Show, number: int, params: dict[str, str]) -> dict:
    episodes = show.season(number)
    body = {
        "_id": f"{stable_int('season-oid', show.id, number):024x}"[:24],
        "air_date": episodes[0].aired,
        "episodes": [
            {**episode_item(show, e, _lang(params)), **episode_credits(show, e)} for e in episodes
        ],  # fmt: skip
        "name": _season_name(number),
        "overview": season_overview(show, number, _lang(params)),
        "id": stable_int("tmdb-season", show.id, number),
        "poster_path": show.season_posters[number].file_path,
        "season_number": number,
        "vote_average": 0.0,
    }
    for name in _appends(params) or []:
        if name == "images":
            body["images"] = _images({"posters": [show.season_posters[number]]}, params)
        elif name == "credits":
            body["credits"] = _show_sub(show, "credits", params)
        elif name == "external_ids":
            body["external_ids"] = {"tvdb_id": stable_int("tvdb-season", show.tvdb_id, number)}
    return body


def episode_body(show: Show, ep: Episode, params: dict[str, str]) -> dict:
    body = {**episode_item(show, ep, _lang(params)), **episode_credits(show, ep)}
    for name in _appends(params) or []:
        if name == "images":
            body["images"] = _images({"stills": [ep.still] if ep.still else []}, params)
        elif name == "credits":
            body["credits"] = {"cast": [], **episode_credits(show, ep)}
        elif name == "external_ids":
            body["external_ids"] = {"imdb_id": None, "freebase_mid": None, "freebase_id": None,
                                    "tvdb_id": ep.tvdb_id, "tvrage_id": None,
                                    "wikidata_id": None}  # fmt: skip
    return body


def route(tv: TvCatalog, parts: list[str], params: dict[str, str]) -> Reply:
    """`/3/tv/...` (parts start after 'tv')."""
    if not parts or not parts[0].isdigit():
        return error(34)
    show = tv.get(int(parts[0]))
    if show is None:
        return error(34)
    if len(parts) == 1:
        return show_details(show, params)
    if len(parts) == 2 and parts[1] in SHOW_APPENDS:
        return json_reply(200, {"id": show.id, **_show_sub(show, parts[1], params)})
    if parts[1] != "season" or len(parts) < 3 or not parts[2].isdigit():
        return error(34)
    number = int(parts[2])
    if number not in show.season_numbers():
        return error(34)
    if len(parts) == 3:
        return json_reply(200, season_body(show, number, params))
    if len(parts) == 5 and parts[3] == "episode" and parts[4].isdigit():
        ep = show.episode(number, int(parts[4]))
        if ep is None:
            return error(34)
        return json_reply(200, episode_body(show, ep, params))
    return error(34)

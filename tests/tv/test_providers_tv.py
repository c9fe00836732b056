"""The TV methods of the provider clients, against the simulator."""

from __future__ import annotations

import pytest

from metarrd.errors import NotFound, ProviderUnavailable


def test_tmdb_search_tv_and_details(tv_rt):
    tmdb = tv_rt.tmdb
    assert [r["id"] for r in tmdb.search_tv("Doctor Who", 2005)] == [57243]
    show = tmdb.tv(1396)
    assert show["external_ids"]["tvdb_id"] == 81189 and show["content_ratings"]["results"]
    assert tmdb.tv_or_none(999_999) is None
    season = tmdb.tv_season(1396, 0)
    assert [e["name"] for e in season["episodes"]] == ["Good Cop Bad Cop", "Wedding Day"]
    ep = tmdb.tv_episode(615, 1, 10)
    assert ep["external_ids"]["tvdb_id"]
    with pytest.raises(NotFound):
        tmdb.tv_season(1396, 9)


def test_tmdb_find_by_tvdb_and_imdb(tv_rt):
    assert tv_rt.tmdb.find("81189", "tvdb_id")["tv_results"][0]["id"] == 1396
    assert tv_rt.tmdb.find("tt0056751", "imdb_id")["tv_results"][0]["id"] == 121
    assert tv_rt.tmdb.find("1", "tvdb_id")["tv_results"] == []


def test_tvdb_series_and_paged_episodes(tv_rt, monkeypatch):
    from metarrd.simulator import tv_others

    monkeypatch.setattr(tv_others, "EPISODES_PAGE_SIZE", 7)
    tvdb = tv_rt.client("tvdb")
    record = tvdb.series(73871)
    assert record["name"] == "Futurama" and [s["number"] for s in record["seasons"]] == [1, 2]
    episodes = tvdb.series_episodes(71256)
    assert len(episodes) == 30 and len({e["id"] for e in episodes}) == 30
    assert tvdb.series(1) is None and tvdb.series_episodes(1) == []


def test_tvdb_episode_pages_end_at_the_first_page_without_a_new_episode(
    tv_rt, simulator, monkeypatch
):
    """TheTVDB answered `links.next` on every page of an episode list, the pages past the last
    with the series and `"episodes": []` (v4-api#138, `/series/350071/episodes/official/eng
    ?page=65` of 63 episodes): 40 requests per show and season type, where 2 do."""
    from metarrd.simulator import tv_others

    monkeypatch.setattr(tv_others, "EPISODES_PAGE_SIZE", 20)
    monkeypatch.setattr(tv_others, "EPISODES_ENDLESS_NEXT", True)
    tvdb = tv_rt.client("tvdb")
    simulator.reset_requests()
    episodes = tvdb.series_episodes(71256)
    assert len(episodes) == 30 and len({e["id"] for e in episodes}) == 30
    assert simulator.count("/v4/series/71256/episodes") == 3  # 20, 10, then none


def test_thetvdb_episodes_of_a_foreign_show_in_the_asked_language_else_the_original(
    tv_rt, simulator
):
    """TheTVDB's `/series/{id}/episodes/default` names a Dutch show's episodes in Dutch
    (canihavesomecoffee/theTVDbAPI#41: "amika" 169161, v4-api#276); `/default/eng` in English,
    `null` where the episode has no English (v4-api#101, Sonarr#7991 asks for the original
    then). An English show's list is asked once, in no language."""
    tvdb = tv_rt.client("tvdb")
    names = {e["name"]: e["overview"] for e in tvdb.series_episodes(390211, language="eng")}
    assert names == {
        "Behind the Dike": "Polder Light: Behind the Dike.",
        "The Lock": "Polder Light: The Lock.",
        # "TBA" in English (v4-api#30): the original name, with the English plot
        "Zwart ijs": "Polder Light: Black Ice.",
        "Dooi": "Polderlicht: Dooi.",  # no English: TheTVDB's original
    }
    assert {e["name"] for e in tvdb.series_episodes(390211)} >= {"De sluis", "Achter de dijk"}
    simulator.reset_requests()
    assert tvdb.series_episodes(81189, language="eng")[0]["name"]
    assert simulator.count("/v4/series/81189/episodes") == 1


def test_fanart_tv(tv_rt):
    fanart = tv_rt.client("fanart")
    assert fanart.tv(81189)["seasonposter"]
    assert fanart.tv(1) is None


def test_a_storm_of_500s_is_provider_unavailable(tv_rt, simulator):
    simulator.fail_5xx(10, 500, prefix="/3/tv/1396")
    with pytest.raises(ProviderUnavailable):
        tv_rt.tmdb.tv(1396)


def test_a_season_poster_without_its_language_is_not_called_english(tv_rt):
    """A season's `poster_path` (all the show call's `season/N` append gives) is in the asked
    language, else the show's original language, else the best rated (TMDB image-languages
    doc). Naruto's seasons have Japanese posters only: each was tagged "en" and picked for an
    English-speaking user as their own language, ahead of TheTVDB's and fanart.tv's English
    season posters."""
    from metarrd.enrich import tv_candidates

    tmdb = tv_rt.tmdb
    base = tmdb.image_url("", "original")
    season_1 = tv_candidates.season_target(1)
    naruto = tmdb.tv(46260, append="season/1")
    assert tmdb.config.language == "en-US" and naruto["season/1"]["poster_path"]
    found = tv_candidates.from_tmdb_tv(naruto, {1: naruto["season/1"]}, base)
    assert [c.language for c in found[season_1]] == [None]  # ja or en: not known
    found = tv_candidates.from_tmdb_tv(naruto, {1: naruto["season/1"]}, base, "ja-JP")
    assert [c.language for c in found[season_1]] == ["ja"]  # asked ja, made in ja
    bb = tmdb.tv(1396, append="season/1")
    found = tv_candidates.from_tmdb_tv(bb, {1: bb["season/1"]}, base)
    assert [c.language for c in found[season_1]] == ["en"]  # asked en, made in en


def test_a_shows_4k_backgrounds_are_fanart_candidates(tv_rt):
    """fanart.tv's TV records carry `show4kbackground` beside `showbackground` (Jellyfin's and
    other clients' fanart.tv code and fixtures read it), as movies carry `movie4kbackground`;
    TV ignored the key, so a show's 3840x2160 backgrounds were never offered."""
    from metarrd.enrich import tv_candidates

    data = tv_rt.client("fanart").tv(81189)
    assert data["show4kbackground"]
    found = tv_candidates.from_fanart_tv(data)
    fanart = [c for c in found[tv_candidates.SHOW] if c.metadata["key"] == "show4kbackground"]
    assert {(c.asset_type, c.width, c.height, c.language) for c in fanart} == {
        ("fanart", 3840, 2160, None), ("season-all-fanart", 3840, 2160, None)
    }  # fmt: skip


def test_thetvdb_season_art_is_that_of_the_shows_order():
    """`/series/73871/extended` (Futurama) lists its seasons of every season type, each with
    its own id and art: aired season 1 (9 episodes), DVD season 1 (13: aired seasons 1 and 2)
    and the absolute order's one season 1 (types as v4's `seasons[].type`: `{"id": 2, "name":
    "DVD Order", "type": "dvd"}`). All three posters went to season 1, the DVD set's and the
    absolute one's beside the aired season's: in the aired order the aired season's only, in
    the DVD order the DVD season's."""
    from metarrd.enrich.tv_candidates import from_tvdb_tv, season_target, tvdb_tv_kinds

    def season(season_id: int, type_id: int, name: str, kind: str, number: int) -> dict:
        return {"id": season_id, "seriesId": 73871, "number": number, "name": None,
                "type": {"id": type_id, "name": name, "type": kind, "alternateName": None},
                "image": None, "imageType": 7, "lastUpdated": "2023-04-18 02:25:52"}  # fmt: skip

    def poster(art_id: int, season_id: int) -> dict:
        return {"id": art_id, "image": f"/banners/seasons/73871-{art_id}.jpg",
                "thumbnail": f"/banners/seasons/73871-{art_id}_t.jpg", "language": "eng",
                "type": 7, "score": 100_000, "width": 680, "height": 1000,
                "includesText": True, "seasonId": season_id, "seriesId": 73871}  # fmt: skip

    record = {
        "id": 73871,
        "seasons": [
            season(7621, 1, "Aired Order", "official", 1),
            season(7622, 1, "Aired Order", "official", 2),
            season(1832553, 2, "DVD Order", "dvd", 1),
            season(1832561, 3, "Absolute Order", "absolute", 1),
        ],
        "artworks": [poster(11, 7621), poster(12, 7622), poster(21, 1832553), poster(31, 1832561)],
    }
    kinds = tvdb_tv_kinds([{"id": 7, "name": "Poster", "recordType": "season"}])
    host = "https://artworks.thetvdb.com"

    def posters(found, number):
        return [c.metadata["id"] for c in found.get(season_target(number), [])]

    aired = from_tvdb_tv(record, kinds, host)
    assert (posters(aired, 1), posters(aired, 2)) == ([11], [12])
    dvd = from_tvdb_tv(record, kinds, host, "dvd")
    assert (posters(dvd, 1), posters(dvd, 2)) == ([21], [])

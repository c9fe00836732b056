"""The simulator's TV endpoints answer in the providers' real shapes (docs/tv.md; docs/providers.md §1-§3)."""

from __future__ import annotations

import pytest
import requests


@pytest.fixture
def tmdb(sim):
    def get(path: str, **params):
        return requests.get(sim.tmdb_url + path, params={"api_key": sim.tmdb_key, **params})

    return get


@pytest.fixture
def tvdb(sim):
    token = requests.post(sim.tvdb_url + "/login", json={"apikey": sim.tvdb_key}).json()
    headers = {"Authorization": "Bearer " + token["data"]["token"]}

    def get(path: str, **params):
        return requests.get(sim.tvdb_url + path, params=params, headers=headers)

    return get


def test_search_tv_finds_both_doctor_whos_and_filters_by_first_air_year(tmdb):
    results = tmdb("/search/tv", query="doctor who").json()["results"]
    assert [(r["id"], r["first_air_date"][:4]) for r in results] == [
        (57243, "2005"),
        (121, "1963"),
    ]
    assert set(results[0]) >= {"name", "original_name", "first_air_date", "origin_country"}
    only = tmdb("/search/tv", query="doctor who", first_air_date_year=1963).json()["results"]
    assert [r["id"] for r in only] == [121]


def test_show_details_merge_appends_without_id(tmdb):
    body = tmdb(
        "/tv/1396",
        append_to_response="external_ids,aggregate_credits,images,content_ratings,season/1",
    ).json()
    assert body["external_ids"] == {**body["external_ids"], "tvdb_id": 81189}
    assert "id" not in body["external_ids"]
    assert body["content_ratings"]["results"][0]["rating"] == "TV-MA"
    assert body["aggregate_credits"]["cast"][0]["roles"][0]["character"] == "Walter White"
    assert [s["season_number"] for s in body["seasons"]] == [0, 1, 2, 3]
    assert body["networks"][0]["name"] == "AMC"
    assert len(body["season/1"]["episodes"]) == 7


def test_seasons_and_episodes_carry_cross_ids(tmdb):
    season = tmdb("/tv/615/season/1", append_to_response="images").json()
    assert [e["episode_number"] for e in season["episodes"]] == list(range(1, 14))
    assert season["images"]["posters"]
    ep = tmdb("/tv/615/season/1/episode/10", append_to_response="external_ids,images").json()
    assert ep["name"] == "A Flight to Remember"
    assert ep["images"]["stills"]
    found = tmdb(f"/find/{ep['external_ids']['tvdb_id']}", external_source="tvdb_id").json()
    assert set(found) == {"movie_results", "person_results", "tv_results",
                          "tv_episode_results", "tv_season_results"}  # fmt: skip
    assert found["tv_episode_results"][0]["id"] == ep["id"]
    show = tmdb("/find/81189", external_source="tvdb_id").json()
    assert [r["id"] for r in show["tv_results"]] == [1396]
    assert tmdb("/find/tt0436992", external_source="imdb_id").json()["tv_results"][0]["id"] == 57243


def test_unknown_season_or_episode_is_tmdb_404(tmdb):
    for path in ("/tv/615/season/9", "/tv/615/season/1/episode/99", "/tv/999999"):
        reply = tmdb(path)
        assert reply.status_code == 404 and reply.json()["status_code"] == 34


def test_fanart_tv_has_season_keys_as_strings(sim):
    body = requests.get(sim.fanart_url + "/tv/78804", params={"api_key": sim.fanart_key}).json()
    assert body["thetvdb_id"] == "78804"
    assert {p["season"] for p in body["seasonposter"]} == {"0", "1", "all"}
    assert body["showbackground"][0]["season"] == "all"
    picture = requests.get(body["tvposter"][0]["url"])
    assert picture.headers["content-type"] == "image/jpeg" and picture.content[:2] == b"\xff\xd8"
    missing = requests.get(sim.fanart_url + "/tv/1", params={"api_key": sim.fanart_key})
    assert missing.status_code == 404


def test_tvdb_numbering_differs_where_the_catalog_says_so(tvdb, tmdb):
    data = tvdb("/series/73871/episodes/default").json()
    numbers = [(e["seasonNumber"], e["number"]) for e in data["data"]["episodes"]]
    assert numbers[8:10] == [(1, 9), (2, 1)]  # TMDB: S01E09, S01E10
    flight = next(e for e in data["data"]["episodes"] if e["name"] == "A Flight to Remember")
    ep = tmdb("/tv/615/season/1/episode/10", append_to_response="external_ids").json()
    assert flight["id"] == ep["external_ids"]["tvdb_id"]
    extended = tvdb("/series/73871/extended").json()["data"]
    assert {"id": "615", "type": 12, "sourceName": "TheMovieDB.com"} in extended["remoteIds"]
    absolute = tvdb("/series/78857/episodes/absolute").json()["data"]["episodes"]
    assert [(e["seasonNumber"], e["number"]) for e in absolute] == [(1, n) for n in range(1, 10)]
    aired = tvdb("/series/78857/episodes/official").json()["data"]["episodes"]
    assert [(e["seasonNumber"], e["number"]) for e in aired][5:7] == [(1, 6), (2, 1)]
    assert [e["id"] for e in aired] == [e["id"] for e in absolute]  # one identity, two orders


def test_firefly_dvd_order_is_not_its_broadcast_order(tvdb, tmdb):
    """TheTVDB's Firefly: aired order = Fox's broadcast order ("The Train Job" first, the
    pilot "Serenity" eleventh), DVD order = the intended one, which TMDB's seasons follow; a
    special only TheTVDB lists."""
    aired = tvdb("/series/78874/episodes/official").json()["data"]["episodes"]
    dvd = tvdb("/series/78874/episodes/dvd").json()["data"]["episodes"]
    by_name = {e["name"]: e for e in aired}
    assert [e["name"] for e in aired if e["seasonNumber"] == 1][:2] == [
        "The Train Job", "Bushwhacked"]  # fmt: skip
    assert (by_name["Serenity"]["seasonNumber"], by_name["Serenity"]["number"]) == (1, 11)
    assert [e["name"] for e in dvd if e["seasonNumber"] == 1][:2] == ["Serenity", "The Train Job"]
    assert by_name["The Train Job"]["aired"] == "2002-09-20"
    pilot = tmdb("/tv/1437/season/1/episode/1", append_to_response="external_ids").json()
    assert pilot["name"] == "Serenity"
    assert pilot["external_ids"]["tvdb_id"] == by_name["Serenity"]["id"]
    special = next(e for e in aired if e["seasonNumber"] == 0)
    assert special["name"] == "Here's How It Was: The Making of Firefly"
    found = tmdb(f"/find/{special['id']}", external_source="tvdb_id").json()
    assert found["tv_episode_results"] == []  # TMDB has no counterpart
    found = tmdb(f"/find/{by_name['Serenity']['id']}", external_source="tvdb_id").json()
    assert [(e["season_number"], e["episode_number"]) for e in found["tv_episode_results"]] == [
        (1, 1)
    ]


def test_tvdb_episodes_are_paged_from_zero(tvdb, monkeypatch):
    from metarrd.simulator import tv_others

    monkeypatch.setattr(tv_others, "EPISODES_PAGE_SIZE", 10)
    first = tvdb("/series/71256/episodes/default").json()
    assert len(first["data"]["episodes"]) == 10 and first["links"]["next"].endswith("page=1")
    last = tvdb("/series/71256/episodes/default", page=2).json()
    assert last["links"]["next"] is None and len(last["data"]["episodes"]) == 10
    assert tvdb("/series/1/extended").status_code == 404

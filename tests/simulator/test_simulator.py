"""The provider simulator speaks TMDB v3, fanart.tv v3 and TheTVDB v4 like the real services
(docs/providers.md), serves real images whose sizes match what the JSON states, and misbehaves on cue."""

from __future__ import annotations

import io
import re
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import imagehash
import pytest
import requests
from PIL import Image

from metarrd.simulator import Simulator, load_catalog
from metarrd.simulator.tv_catalog import load_tv_catalog

TMDB_401 = {
    "success": False,
    "status_code": 7,
    "status_message": "Invalid API key: You must be granted a valid key.",
}
TMDB_404 = {
    "success": False,
    "status_code": 34,
    "status_message": "The resource you requested could not be found.",
}
SEARCH_ITEM_KEYS = {
    "adult", "backdrop_path", "genre_ids", "id", "original_language", "original_title",
    "overview", "popularity", "poster_path", "release_date", "title", "video", "vote_average",
    "vote_count",
}  # fmt: skip
IMAGE_ITEM_KEYS = {
    "aspect_ratio", "height", "iso_639_1", "file_path", "vote_average", "vote_count", "width"
}  # fmt: skip


@pytest.fixture(scope="module")
def sim():
    with Simulator() as s:
        yield s


@pytest.fixture(autouse=True)
def _clean(sim):
    sim.reset_faults()
    yield
    sim.reset_faults()


@pytest.fixture(scope="module")
def http():
    with requests.Session() as session:
        yield session


def tmdb(sim, http, path, **params):
    return http.get(sim.tmdb_url + path, params={"api_key": sim.tmdb_key, **params}, timeout=10)


@pytest.fixture
def tvdb_auth(sim, http):
    reply = http.post(sim.tvdb_url + "/login", json={"apikey": sim.tvdb_key}, timeout=10)
    return {"Authorization": "Bearer " + reply.json()["data"]["token"]}


def fetch_image(http, url) -> Image.Image:
    reply = http.get(url, timeout=30)
    assert reply.status_code == 200, url
    return Image.open(io.BytesIO(reply.content))


# --- TMDB ------------------------------------------------------------------------------------


def test_addresses_follow_the_port(sim):
    assert sim.url == f"http://127.0.0.1:{sim.port}"
    assert (sim.tmdb_url, sim.fanart_url, sim.tvdb_url) == (
        sim.url + "/3",
        sim.url + "/v3",
        sim.url + "/v4",
    )


def test_tmdb_accepts_api_key_or_bearer_and_rejects_anything_else(sim, http):
    assert tmdb(sim, http, "/configuration").status_code == 200
    bearer = {"Authorization": f"Bearer {sim.tmdb_token}"}
    assert http.get(sim.tmdb_url + "/movie/603", headers=bearer).status_code == 200
    for params, headers in [({}, {}), ({"api_key": "wrong"}, {}), ({}, {"Authorization": "x"})]:
        reply = http.get(sim.tmdb_url + "/movie/603", params=params, headers=headers)
        assert (reply.status_code, reply.json()) == (401, TMDB_401)


def test_configuration_points_images_back_at_the_simulator(sim, http):
    images = tmdb(sim, http, "/configuration").json()["images"]
    assert images["secure_base_url"] == sim.image_base_url == sim.image_host("tmdb") + "/t/p/"
    assert images["poster_sizes"][-1] == "original" and "w500" in images["poster_sizes"]
    assert "h632" in images["profile_sizes"]


def test_search_tells_same_title_movies_apart_by_year_and_popularity(sim, http):
    results = tmdb(sim, http, "/search/movie", query="Dune").json()["results"]
    assert [r["id"] for r in results] == [438631, 841]  # most popular first
    assert set(results[0]) == SEARCH_ITEM_KEYS
    by_year = tmdb(sim, http, "/search/movie", query="dune", year=1984).json()
    assert [r["id"] for r in by_year["results"]] == [841]
    assert by_year["total_results"] == 1 and by_year["total_pages"] == 1
    primary = tmdb(sim, http, "/search/movie", query="The Thing", primary_release_year=2011)
    assert [r["id"] for r in primary.json()["results"]] == [60935]


@pytest.mark.parametrize(
    ("query", "movie_id"),
    [
        ("amelie", 194),
        ("Le Fabuleux Destin d'Amélie Poulain", 194),
        ("LEON", 101),
        ("千と千尋の神隠し", 129),
        ("기생충", 496243),
        ("crouching tiger", 146),
    ],
)
def test_search_matches_titles_and_original_titles_without_case_or_accents(
    sim, http, query, movie_id
):
    results = tmdb(sim, http, "/search/movie", query=query).json()["results"]
    assert movie_id in [r["id"] for r in results]


def test_search_paging_and_errors(sim, http):
    empty = tmdb(sim, http, "/search/movie", query="dune", page=2).json()
    assert empty["page"] == 2 and empty["results"] == []
    bad_page = tmdb(sim, http, "/search/movie", query="dune", page=0)
    assert bad_page.status_code == 400 and bad_page.json()["status_code"] == 22
    assert tmdb(sim, http, "/search/movie").json() == {"errors": ["query must be provided"]}


def test_find_by_imdb_id_returns_all_five_keys(sim, http):
    body = tmdb(sim, http, "/find/tt0133093", external_source="imdb_id").json()
    assert set(body) == {
        "movie_results", "person_results", "tv_results", "tv_episode_results", "tv_season_results"
    }  # fmt: skip
    assert [m["id"] for m in body["movie_results"]] == [603]
    unknown = tmdb(sim, http, "/find/tt0000001", external_source="imdb_id").json()
    assert unknown["movie_results"] == []


def test_movie_with_append_to_response_merges_sub_objects_without_id(sim, http):
    appends = "images,credits,external_ids,release_dates,videos,keywords"
    body = tmdb(sim, http, "/movie/603", append_to_response=appends).json()
    assert body["id"] == 603 and body["imdb_id"] == "tt0133093" and body["title"] == "The Matrix"
    assert body["belongs_to_collection"]["name"] == "The Matrix Collection"
    for name in appends.split(","):
        assert "id" not in body[name], name
    cast = body["credits"]["cast"]
    assert len(cast) >= 15 and [c["order"] for c in cast] == sorted(c["order"] for c in cast)
    assert any(c["profile_path"] is None for c in cast)
    crew = {(c["department"], c["job"], c["name"]) for c in body["credits"]["crew"]}
    assert ("Directing", "Director", "Lana Wachowski") in crew
    assert any(department == "Writing" for department, _, _ in crew)
    certs = {
        country["iso_3166_1"]: {d["certification"] for d in country["release_dates"]}
        for country in body["release_dates"]["results"]
    }
    assert "R" in certs["US"] and "16" in certs["DE"]
    trailer = body["videos"]["results"][0]
    assert (trailer["site"], trailer["type"]) == ("YouTube", "Trailer")
    assert body["keywords"]["keywords"] and body["external_ids"]["imdb_id"] == "tt0133093"
    standalone = tmdb(sim, http, "/movie/603/images").json()
    assert standalone["id"] == 603 and set(standalone) == {"id", "backdrops", "logos", "posters"}


def test_image_language_filters(sim, http):
    def languages(**params):
        images = tmdb(sim, http, "/movie/603/images", **params).json()
        return {i["iso_639_1"] for kind in ("posters", "backdrops", "logos") for i in images[kind]}

    everything = languages()
    assert {"en", "fr", "de", None} <= everything
    assert languages(include_image_language="en,null") == {"en", None}
    assert languages(language="fr-FR") == {"fr"}
    assert languages(language="de", include_image_language="null") == {"de", None}
    posters = tmdb(sim, http, "/movie/603/images").json()["posters"]
    assert set(posters[0]) == IMAGE_ITEM_KEYS
    backdrops = tmdb(sim, http, "/movie/603/images").json()["backdrops"]
    assert sum(b["iso_639_1"] is None for b in backdrops) > len(backdrops) / 2


def test_unknown_movie_and_path_give_tmdb_404(sim, http):
    for path in ("/movie/99999999", "/movie/abc", "/tv/1399/nothing"):
        reply = tmdb(sim, http, path)
        assert (reply.status_code, reply.json()) == (404, TMDB_404)


def test_obscure_movie_has_nulls(sim, http):
    body = tmdb(sim, http, "/movie/1184523", append_to_response="images,credits").json()
    assert body["poster_path"] is None and body["imdb_id"] is None and body["runtime"] == 0
    assert body["images"] == {"backdrops": [], "logos": [], "posters": []}


# --- image hosts -----------------------------------------------------------------------------


def test_tmdb_images_have_the_stated_size_at_original_and_scale_down(sim, http):
    posters = tmdb(sim, http, "/movie/550/images").json()["posters"]
    poster = posters[0]
    original = fetch_image(http, f"{sim.url}/t/p/original{poster['file_path']}")
    assert original.size == (poster["width"], poster["height"]) and original.format == "JPEG"
    small = fetch_image(http, f"{sim.url}/t/p/w500{poster['file_path']}")
    assert small.width == 500 and abs(small.height - 500 / poster["aspect_ratio"]) < 2
    assert http.get(f"{sim.url}/t/p/w501{poster['file_path']}").status_code == 404


def test_svg_logo_has_a_png_rendition(sim, http):
    logos = tmdb(sim, http, "/movie/603/images").json()["logos"]
    svg = next(logo for logo in logos if logo["file_path"].endswith(".svg"))
    reply = http.get(f"{sim.url}/t/p/original{svg['file_path']}")
    assert reply.headers["Content-Type"] == "image/svg+xml" and b"<svg" in reply.content
    png = fetch_image(http, f"{sim.url}/t/p/original{svg['file_path'][:-4]}.png")
    assert png.format == "PNG" and png.size == (svg["width"], svg["height"])


def test_logos_are_transparent_pngs(sim, http):
    body = http.get(sim.fanart_url + "/movies/603", params={"api_key": sim.fanart_key}).json()
    logo = fetch_image(http, body["hdmovielogo"][0]["url"])
    assert logo.format == "PNG" and logo.mode == "RGBA"
    assert logo.getchannel("A").getextrema()[0] == 0  # has transparent pixels
    assert logo.size == (800, 310)


def test_profile_images_resolve(sim, http):
    cast = tmdb(sim, http, "/movie/603/credits").json()["cast"]
    path = next(c["profile_path"] for c in cast if c["profile_path"])
    assert fetch_image(http, f"{sim.url}/t/p/h632{path}").height == 632


def test_near_duplicates_hash_close_and_distinct_pictures_far(sim, http):
    art = sim.catalog.get(603).images
    pairs = [(a, b) for a, b in art.near_duplicates() if a.style == "photo"]
    assert len(pairs) >= 3
    tmdb_poster, fanart_poster = next((a, b) for a, b in pairs if b.kind == "movieposter")

    def phash(url):
        return imagehash.phash(fetch_image(http, url))

    original = phash(sim.image_url(tmdb_poster, "w780"))
    duplicate = phash(sim.image_url(fanart_poster))
    other = phash(sim.image_url(art.posters[2], "w780"))
    assert original - duplicate <= 6
    assert original - other >= 12


# --- fanart.tv -------------------------------------------------------------------------------


def test_fanart_shape_with_header_or_query_key(sim, http):
    by_header = http.get(sim.fanart_url + "/movies/550", headers={"api-key": sim.fanart_key})
    by_imdb = http.get(sim.fanart_url + "/movies/tt0137523", params={"api_key": sim.fanart_key})
    assert by_header.json() == by_imdb.json()
    body = by_header.json()
    assert (body["name"], body["tmdb_id"], body["imdb_id"]) == ("Fight Club", "550", "tt0137523")
    disc = body["moviedisc"][0]
    assert all(isinstance(disc[k], str) for k in ("id", "likes", "disc", "disc_type", "lang"))
    assert body["movie4kbackground"] == []  # even ids list empty keys too
    poster = body["movieposter"][0]
    assert poster["url"].startswith(sim.image_host("fanart") + "/fanart/movies/550/movieposter/")
    image = fetch_image(http, poster["url"])
    assert image.size == (1000, 1426)
    preview = fetch_image(http, poster["url"].replace("/fanart/", "/preview/"))
    assert preview.width == 200


def test_fanart_omits_empty_keys_on_some_records(sim, http):
    body = http.get(sim.fanart_url + "/movies/603", params={"api_key": sim.fanart_key}).json()
    assert "movie4kbackground" not in body and body["moviebackground"]


def test_fanart_errors(sim, http):
    missing = http.get(sim.fanart_url + "/movies/1184523", params={"api_key": sim.fanart_key})
    assert (missing.status_code, missing.json()) == (
        404,
        {"status": "error", "error message": "Not found"},
    )
    no_key = http.get(sim.fanart_url + "/movies/603")
    assert no_key.status_code == 401 and no_key.json()["status"] == "error"


# --- TheTVDB ---------------------------------------------------------------------------------


def test_tvdb_login_and_bearer(sim, http, tvdb_auth):
    bad = http.post(sim.tvdb_url + "/login", json={"apikey": "nope"})
    assert bad.status_code == 401 and bad.json()["status"] == "failure"
    assert bad.json()["data"] is None
    anonymous = http.get(sim.tvdb_url + "/movies/169")
    assert anonymous.status_code == 401
    assert http.get(sim.tvdb_url + "/movies/169", headers=tvdb_auth).status_code == 200


def test_tvdb_revoked_token_needs_a_new_login(sim, http):
    login = http.post(sim.tvdb_url + "/login", json={"apikey": sim.tvdb_key}).json()
    headers = {"Authorization": "Bearer " + login["data"]["token"]}
    sim.revoke_tvdb_tokens()
    assert http.get(sim.tvdb_url + "/artwork/types", headers=headers).status_code == 401
    login = http.post(sim.tvdb_url + "/login", json={"apikey": sim.tvdb_key}).json()
    headers = {"Authorization": "Bearer " + login["data"]["token"]}
    assert http.get(sim.tvdb_url + "/artwork/types", headers=headers).status_code == 200


def test_tvdb_search_and_remote_id(sim, http, tvdb_auth):
    body = http.get(
        sim.tvdb_url + "/search", params={"query": "dune", "type": "movie", "year": "2021"},
        headers=tvdb_auth,
    ).json()  # fmt: skip
    assert body["status"] == "success" and body["links"]["total_items"] == 1
    hit = body["data"][0]
    assert (hit["tvdb_id"], hit["type"], hit["year"]) == ("12683", "movie", "2021")
    assert {"id": "tt1160419", "type": 2, "sourceName": "IMDB"} in hit["remote_ids"]
    remote = http.get(sim.tvdb_url + "/search/remoteid/tt0133093", headers=tvdb_auth).json()
    assert remote["data"][0]["movie"]["id"] == 169


def test_tvdb_extended_movie_artworks(sim, http, tvdb_auth):
    types = http.get(sim.tvdb_url + "/artwork/types", headers=tvdb_auth).json()["data"]
    movie_types = {t["id"]: t["name"] for t in types if t["recordType"] == "movie"}
    assert movie_types[14] == "Poster" and movie_types[25] == "ClearLogo"
    body = http.get(sim.tvdb_url + "/movies/169/extended", headers=tvdb_auth).json()["data"]
    assert body["name"] == "The Matrix" and body["remoteIds"][0]["id"] == "tt0133093"
    artworks = body["artworks"]
    assert {a["type"] for a in artworks} <= set(movie_types)
    assert {a["language"] for a in artworks} <= {"eng", "spa", None}
    poster = next(a for a in artworks if a["type"] == 14)
    assert fetch_image(http, poster["image"]).size == (poster["width"], poster["height"])
    thumb = fetch_image(http, poster["thumbnail"])
    assert thumb.size == (poster["thumbnailWidth"], poster["thumbnailHeight"])
    short = http.get(
        sim.tvdb_url + "/movies/169/extended", params={"short": "true"}, headers=tvdb_auth
    ).json()["data"]
    assert short["artworks"] is None and short["characters"] is None


def test_tvdb_not_found_envelope(sim, http, tvdb_auth):
    reply = http.get(sim.tvdb_url + "/movies/999999999", headers=tvdb_auth)
    assert reply.status_code == 404
    assert reply.json()["status"] == "failure" and reply.json()["data"] is None


# --- faults and accounting --------------------------------------------------------------------


def test_fail_429_then_recover(sim, http):
    sim.fail_429(2, retry_after=3, prefix="/3/")
    for _ in range(2):
        reply = tmdb(sim, http, "/configuration")
        assert reply.status_code == 429 and reply.headers["Retry-After"] == "3"
        assert reply.json()["status_code"] == 25
    assert tmdb(sim, http, "/configuration").status_code == 200


def test_fail_5xx_uses_the_provider_error_shape(sim, http):
    sim.fail_5xx(1, status=503)
    reply = tmdb(sim, http, "/movie/603")
    assert reply.status_code == 503 and reply.json()["status_code"] == 9
    assert tmdb(sim, http, "/movie/603").status_code == 200


def test_not_found_switch(sim, http):
    url = sim.image_url(sim.catalog.get(603).images.posters[0], "w500")
    sim.not_found(url)
    assert http.get(url).status_code == 404
    sim.reset_faults()
    assert http.get(url).status_code == 200


def test_corrupt_modes(sim, http):
    asset = sim.catalog.get(78).images.posters[1]
    url = sim.image_url(asset, "w342")
    whole = http.get(url).content
    sim.corrupt("/t/p/*" + asset.file_path, "truncated")
    assert http.get(url).content == whole[: len(whole) // 2]
    sim.reset_faults()
    sim.corrupt(url, "html")
    reply = http.get(url)
    assert reply.status_code == 200 and reply.headers["Content-Type"].startswith("text/html")
    sim.reset_faults()
    sim.corrupt(url, "garbage")
    with pytest.raises(Exception):  # noqa: B017 - any Pillow decode error
        Image.open(io.BytesIO(http.get(url).content)).load()


def test_bomb_claims_25000_by_25000_without_decoding(sim, http, monkeypatch):
    url = sim.image_url(sim.catalog.get(603).images.posters[0])
    sim.bomb(url)
    data = http.get(url).content
    assert len(data) < 1_000_000
    with pytest.raises(Image.DecompressionBombError):
        Image.open(io.BytesIO(data))
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", None)
    assert Image.open(io.BytesIO(data)).size == (25_000, 25_000)  # header only, lazy


def test_hang_times_out_the_client_and_latency_delays(sim, http):
    # 1.5 s, five times the client's timeout: long enough to time it out, short enough that the
    # wait below for the simulator's answers (which the next tests must not see) is short too
    sim.hang("/t/p/", seconds=1.5)
    with pytest.raises(requests.exceptions.ReadTimeout):
        requests.get(sim.url + "/t/p/original/x.jpg", timeout=0.3)
    sim.reset_faults()
    sim.set_latency(1.5, prefix="/v3/")
    with pytest.raises(requests.exceptions.ReadTimeout):
        requests.get(sim.fanart_url + "/movies/603", timeout=0.3)
    # the simulator answers (and records) the request when its 1.5 s are over: a later test that
    # counts requests from now would count it too (test_prewarm_renders_without_counting_requests
    # met it when the tests between took less than 2 s)
    for _ in range(100):
        if not sim.in_flight:
            break
        time.sleep(0.05)
    assert not sim.in_flight
    sim.reset_faults()


def test_stop_ends_hanging_requests():
    own = Simulator().start()
    own.hang("/")
    outcome = []

    def call():
        try:
            requests.get(own.url + "/3/configuration", timeout=60)
        except requests.RequestException as exc:
            outcome.append(exc)

    worker = threading.Thread(target=call)
    worker.start()
    for _ in range(200):  # until the request is being held
        if own.in_flight:
            break
        worker.join(0.05)
    own.stop()
    worker.join(20)
    assert not worker.is_alive() and outcome
    with pytest.raises(requests.ConnectionError):
        requests.get(own.url + "/3/configuration", timeout=2)


def test_request_accounting(sim, http):
    sim.reset_requests()
    tmdb(sim, http, "/movie/550")
    tmdb(sim, http, "/movie/99999999")
    assert sim.count("/3/movie/") == 2
    assert sim.count("/3/movie/", status=404) == 1
    assert sim.requests[0].method == "GET" and sim.requests[0].path.startswith("/3/movie/550?")


def test_twenty_concurrent_image_downloads(sim):
    assets = [a for m in list(sim.catalog.movies.values())[:10] for a in m.images.posters[:2]]

    def get(asset):
        with requests.Session() as session:
            reply = session.get(sim.image_url(asset, "w185"), timeout=30)
            return reply.status_code, Image.open(io.BytesIO(reply.content)).width

    with ThreadPoolExecutor(20) as pool:
        results = list(pool.map(get, assets))
    assert results == [(200, 185)] * len(assets)


# --- catalog and CLI --------------------------------------------------------------------------


def test_large_candidate_sets_for_benchmarks():
    catalog = load_catalog(extra_movies=50, candidates_per_movie=100)
    art = catalog.get(603).images
    assert 90 <= len(art.all()) <= 110
    assert len({a.key for a in art.all()}) == len(art.all())
    assert len(art.near_duplicates()) >= 10
    assert len(catalog.movies) == 68 and catalog.search("the silent harbor")


def test_cli_prints_urls_and_serves(tmp_path):
    process = subprocess.Popen(
        [sys.executable, "-m", "metarrd.simulator", "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        first = process.stdout.readline()
        url = first.split()[1]
        assert url.startswith("http://127.0.0.1:") and url.endswith("/3")
        reply = requests.get(url + "/configuration", params={"api_key": "sim-tmdb-key"}, timeout=5)
        assert reply.status_code == 200
        # its last line counts the TV shows it serves too, not only the movies and images
        summary = [process.stdout.readline() for _ in range(4)][-1]
        shows = load_tv_catalog().shows.values()
        episodes = sum(len(show.episodes) for show in shows)
        assert re.fullmatch(
            rf"18 movies, {len(shows)} TV shows \({episodes} episodes\), \d+ images\. Ctrl-C stops\.\n",
            summary,
        ), summary
    finally:
        process.terminate()
        process.wait(10)


def _ports_in_a_row(count: int) -> int:
    """A free port with the `count - 1` after it free too, below the kernel's ephemeral range:
    one that the system gave (port 0) is one it gives the next outgoing connection too, and the
    other test pass's connections could take it between the test's two starts."""
    import random
    import socket

    low = _ephemeral_low()
    for _ in range(200):
        port = random.randrange(10000, low - count)
        taken = []
        try:
            for n in range(count):
                s = socket.socket()
                taken.append(s)
                s.bind(("127.0.0.1", port + n))
        except OSError:
            continue
        finally:
            for s in taken:
                s.close()
        return port
    raise RuntimeError(f"no {count} free ports in a row")


def _ephemeral_low() -> int:
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range", encoding="ascii") as f:
            return int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def test_cli_with_a_port_serves_its_images_at_the_same_addresses_each_start():
    """`python -m metarrd.simulator --port N` (README: its URLs go into a configuration) had its
    image hosts on any free port at each start: the candidates' URLs of what was enriched were
    gone, and every actor's `<thumb>` changed, each published item "Republish?". Now N+1..N+3."""
    port = _ports_in_a_row(4)
    seen = []
    for _start in range(2):
        process = subprocess.Popen(
            [sys.executable, "-m", "metarrd.simulator", "--port", str(port)],
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            url = process.stdout.readline().split()[1]
            assert url == f"http://127.0.0.1:{port}/3"
            config = requests.get(
                url + "/configuration", params={"api_key": "sim-tmdb-key"}, timeout=5
            ).json()
            fanart = requests.get(
                f"http://127.0.0.1:{port}/v3/movies/603",
                params={"api_key": "sim-fanart-key"},
                timeout=5,
            ).json()
            seen.append((config["images"]["base_url"], fanart["hdmovielogo"][0]["url"]))
        finally:
            process.terminate()
            process.wait(10)
    assert seen[0] == seen[1]
    assert seen[0][0] == f"http://127.0.0.1:{port + 1}/t/p/"
    assert seen[0][1].startswith(f"http://127.0.0.1:{port + 2}/")


def test_prewarm_renders_without_counting_requests(sim):
    sim.reset_requests()
    assets = sim.catalog.get(27205).images.all()[:3]
    assert sim.prewarm(assets) == 3
    assert sim.requests == []


def test_each_providers_images_have_a_host_of_their_own(sim, http):
    # as image.tmdb.org, assets.fanart.tv and artworks.thetvdb.com: per-host limits and a 429's
    # Retry-After apply per provider
    hosts = {sim.url, *(sim.image_host(p) for p in ("tmdb", "fanart", "tvdb"))}
    assert len(hosts) == 4
    art = sim.catalog.get(603).images
    for asset in (art.posters[0], art.tvdb[0], next(iter(art.fanart.values()))[0]):
        url = sim.image_url(asset)
        assert url.startswith(sim.image_host(asset.provider) + "/")
        assert fetch_image(http, url).size == (asset.width, asset.height)


def test_cdn_shapes_retry_after_forms_challenge_redirect_and_cloudflare_pages(sim, http):
    sim.fail_429(1, retry_after=None, prefix="/3/")
    sim.fail_429(1, retry_after="Wed, 21 Oct 2015 07:28:00 GMT", prefix="/3/")
    first, second = (tmdb(sim, http, "/configuration") for _ in range(2))
    assert first.status_code == 429 and "Retry-After" not in first.headers
    assert second.headers["Retry-After"] == "Wed, 21 Oct 2015 07:28:00 GMT"
    sim.challenge("/v3/")
    reply = http.get(sim.fanart_url + "/movies/603", headers={"api-key": sim.fanart_key})
    assert reply.status_code == 403 and reply.headers["cf-mitigated"] == "challenge"
    assert "text/html" in reply.headers["Content-Type"] and b"Just a moment" in reply.content
    sim.reset_faults()
    sim.redirect("/v3/movies/603", "https://example.invalid/login")
    reply = http.get(sim.fanart_url + "/movies/603", allow_redirects=False, timeout=10)
    assert reply.status_code == 302 and reply.headers["Location"] == "https://example.invalid/login"
    sim.reset_faults()
    sim.fail_5xx(1, status=521, prefix="/v4/")
    reply = http.get(sim.tvdb_url + "/artwork/types", timeout=10)
    assert reply.status_code == 521 and b"Web server is down" in reply.content

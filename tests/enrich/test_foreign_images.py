"""An image address in a provider's answer that is not on that provider's image hosts
(metarrd/image_hosts.py) is neither fetched nor kept: a spoofed or compromised answer cannot
make the daemon reach into the user's network (SSRF); the rest of the enrich goes on."""

from __future__ import annotations

import json
import logging

from metarrd import db
from metarrd.enrich import enrich_item

from .conftest import make_movie

METADATA = "http://169.254.169.254/latest/meta-data/iam/security-credentials/"


def test_foreign_addresses_in_fanart_and_tvdb_answers_are_left_out(
    make_rt, simulator, monkeypatch, caplog
):
    from metarrd.simulator import fanart as sim_fanart
    from metarrd.simulator import tvdb as sim_tvdb

    secret = simulator.url + "/secret"  # 127.0.0.1, another port than any provider's images
    real_fanart, real_artwork = sim_fanart.movie_art, sim_tvdb.artwork

    def fanart_answer(*args):
        body = json.loads(real_fanart(*args).body)
        made_up = [
            {"id": "1", "url": secret + "/fanart/poster.jpg", "lang": "en", "likes": "99"},
            {"id": "2", "url": METADATA, "lang": "en", "likes": "98"},
        ]
        return sim_fanart.json_reply(200, {**body, "movieposter": made_up + body["movieposter"]})

    def tvdb_artwork(asset, movie, base_url):  # TheTVDB's posters made up, the rest as given
        art = real_artwork(asset, movie, base_url)
        if asset.kind == "Poster":
            art["image"] = f"{secret}/banners/{art['id']}.jpg"
        return art

    monkeypatch.setattr(sim_fanart, "movie_art", fanart_answer)
    monkeypatch.setattr(sim_tvdb, "artwork", tvdb_artwork)
    rt = make_rt(  # each provider's images from its own host of the simulator only
        tmdb={"image_hosts": [simulator.image_host("tmdb")]},
        fanart={"image_hosts": [simulator.image_host("fanart")]},
        tvdb={"image_hosts": [simulator.image_host("tvdb")]},
    )
    movie = make_movie(rt)
    with caplog.at_level(logging.WARNING):
        result = enrich_item(rt, movie)

    assert db.Movie.get_by_id(movie.id).identification_status == db.ENRICHED
    assert not result.provider_errors
    rows = list(db.ArtworkCandidate.select())
    assert not [r.url for r in rows if not r.url.startswith("http://127.0.0.1")]
    assert not [r.url for r in rows if r.url.startswith(secret)]
    assert not [h.path for h in simulator.requests if h.path.startswith("/secret")]
    kept = {(r.provider, r.asset_type) for r in rows}
    assert {("fanart", "poster"), ("tvdb", "fanart"), ("tmdb", "poster")} <= kept
    assert ("tvdb", "poster") not in kept
    said = [r.getMessage() for r in caplog.records]
    host = f"127.0.0.1:{simulator.port}"
    for provider, where in (("fanart", host), ("fanart", "169.254.169.254"), ("tvdb", host)):
        line = f"{provider} gave an image address on {where}, not one of {provider}'s image hosts"
        assert any(m.startswith(f"item {movie.id} ") and line in m for m in said), said

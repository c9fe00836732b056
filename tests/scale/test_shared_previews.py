"""The web UI on one host shows the pictures a worker on another host found (docs/scale-out.md:
one PostgreSQL database, every host a data_dir of its own, `[cache] dir` on shared storage).

Two "hosts" here are two configurations on one database, each with its own data_dir and the same
cache folder: host B's worker enriches and identifies, host A's web UI shows the Artwork tab's
pictures and the identify page's candidate posters. Runs only with METARRD_TEST_DATABASE_URL
(`make test` sets it for its second pass)."""

from __future__ import annotations

import pytest

from metarrd import db
from metarrd.enrich import enrich_item
from metarrd.identify.posters import add_posters
from metarrd.runtime import open_runtime
from metarrd.web import create_app
from metarrd.web.files import preview_name
from tests.conftest import TEST_DATABASE_URL, make_config
from tests.enrich.conftest import make_movie

pytestmark = pytest.mark.skipif(
    not TEST_DATABASE_URL,
    reason="needs METARRD_TEST_DATABASE_URL (.ci/services.sh)",
)


@pytest.fixture
def hosts(tmp_path, simulator):
    """(web host A's config, worker host B's config): own data_dirs, one shared cache."""
    shared = {"dir": str(tmp_path / "nfs" / "metarrd-cache")}
    libraries = {"Movies": tmp_path / "movies"}
    a, b = (
        make_config(tmp_path / host, simulator, libraries=libraries, cache=shared)
        for host in ("host-a", "host-b")
    )
    assert a.data_path != b.data_path and a.cache_dir == b.cache_dir
    return a, b


def test_the_web_host_shows_the_previews_a_worker_on_another_host_made(hosts):
    """The user opened a movie's Artwork tab on the web host after a worker on the NAS enriched
    it: every candidate the worker had not downloaded was a broken image (404), its preview
    being only in the NAS's own data_dir/previews."""
    web, worker = hosts
    rt = open_runtime(worker)
    try:
        movie = make_movie(rt)
        enrich_item(rt, movie)
        tmdb = db.ArtworkCandidate.get(
            db.ArtworkCandidate.asset_type == "poster", db.ArtworkCandidate.provider == "tmdb"
        )
        found = [{"tmdb_id": 603, "poster_path": "/" + tmdb.url.rsplit("/", 1)[1]}]
        movie.candidates = add_posters(rt, found)  # the identify page's candidate posters
        movie.save()
    finally:
        rt.close()

    rows = list(db.ArtworkCandidate.select().where(db.ArtworkCandidate.analyzed))
    assert rows and any(not r.is_downloaded for r in rows)
    poster = db.Movie.get_by_id(movie.id).candidates[0]["preview"]
    assert poster

    app = create_app(web, testing=True)
    try:
        client = app.test_client()
        for row in rows:
            name = preview_name(web, row.preview_path)
            assert name, row.preview_path
            assert client.get(f"/previews/{name}").status_code == 200, row.preview_path
            assert client.get(f"/assets/{row.id}/image").status_code == 200, row.url
        assert client.get(f"/previews/{poster}").status_code == 200
        # nothing of it in the web host's own data folder: the worker wrote it all once
        assert not any(web.data_path.rglob("*.webp")) and not any(web.data_path.rglob("*.jpg"))
    finally:
        if not db.database.is_closed():
            db.database.close()

"""The ENRICH stage end to end against the provider simulator."""

from __future__ import annotations

import errno
import hashlib
import io
import json
import os
import shutil
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests
from PIL import Image

from metarrd import cache, db, preferences, workflow
from metarrd.atomic import TEMP_MARKER
from metarrd.enrich import enrich_item
from metarrd.enrich.candidate_store import in_cache
from metarrd.errors import ItemError, MetarrdError, ProviderUnavailable, StageDisabled
from metarrd.imaging import analyse_image
from metarrd.pipeline import jobs, queue

from .conftest import had, image_requests, make_movie


def selected(movie, asset_type=None):
    query = db.ArtworkCandidate.select().where(
        (db.ArtworkCandidate.movie == movie.id) & db.ArtworkCandidate.is_selected
    )
    if asset_type:
        query = query.where(db.ArtworkCandidate.asset_type == asset_type)
    return list(query.order_by(db.ArtworkCandidate.asset_type, db.ArtworkCandidate.rank))


def leftovers(rt) -> list[Path]:
    data = rt.config.data_path
    temp = [p for p in data.rglob("*") if p.name.startswith(TEMP_MARKER)]
    return temp + list(rt.config.tmp_dir.iterdir())


def test_first_enrich_puts_everything_the_review_needs_on_disk(rt, simulator):
    movie = make_movie(rt)
    result = enrich_item(rt, movie)

    movie = db.Movie.get_by_id(movie.id)
    assert movie.identification_status == db.ENRICHED and movie.enriched_at
    assert movie.last_error is None
    assert (movie.mpaa, movie.runtime, movie.premiered) == ("R", 136, "1999-03-30")
    assert movie.set_name == "The Matrix Collection"
    assert movie.trailer == "plugin://plugin.video.youtube/play/?video_id=vKQi3bBA1y8"
    assert movie.directors == ["Lana Wachowski", "Lilly Wachowski"]
    assert movie.tvdb_id == 169
    event = db.Event.get(db.Event.kind == "enrich.done")
    assert event.movie_id == movie.id and event.data["assets_selected"] == result.selected
    assert "enriched The Matrix (1999)" in str(result) and "\n" not in str(result)

    limits = rt.config.artwork.limits
    chosen = selected(movie)
    assert len(selected(movie, "poster")) == limits["poster"]
    assert len(selected(movie, "fanart")) == limits["fanart"]
    assert {r.asset_type for r in chosen} >= {"poster", "fanart", "clearlogo", "discart"}
    for row in chosen:
        assert row.is_downloaded and row.selected_by == "auto" and row.score_breakdown["factors"]
        ext = {"jpeg": "jpg", "png": "png"}[row.format]
        path = rt.config.cache_dir / row.asset_type / row.content_hash[:2]
        path = path / f"{row.content_hash}.{ext}"
        served = requests.get(row.url, timeout=5).content
        assert path.read_bytes() == served  # byte-identical to the download
        assert hashlib.sha256(served).hexdigest() == row.content_hash
        assert db.CacheImageFile.get(
            db.CacheImageFile.movie == movie.id, db.CacheImageFile.file_hash == row.content_hash
        ).file_path == str(path)
    analysed = db.ArtworkCandidate.select().where(db.ArtworkCandidate.analyzed)
    assert analysed.count() == result.candidates
    for row in analysed:
        assert (rt.config.previews_dir / row.preview_path).is_file()
    # <data_dir>/previews on SQLite; with a shared cache (PostgreSQL) the cache's previews/
    previews = rt.config.previews_dir
    cached = {
        p.name
        for p in rt.config.cache_dir.rglob("*.*")
        if p.parent.parent.name != "actor" and not p.is_relative_to(previews)
    }
    assert cached == {Path(f.file_path).name for f in db.CacheImageFile.select() if f.movie_id}

    cast = list(
        db.MovieActor.select().where(db.MovieActor.movie == movie.id).order_by(db.MovieActor.order)
    )
    assert len(cast) == rt.config.enrich.max_actors == result.actors
    assert (cast[0].actor.name, cast[0].role, cast[0].order) == (
        "Keanu Reeves", "Thomas A. Anderson / Neo", 0,
    )  # fmt: skip
    for role in cast:
        actor = role.actor
        if actor.profile_path:
            assert actor.thumb_url.startswith("http") and "/original/" in actor.thumb_url
            assert Path(actor.image_cache_path).is_file()
            assert Path(actor.image_cache_path).parent.parent == rt.config.cache_dir / "actor"
        else:
            assert actor.thumb_url is None and actor.image_cache_path is None
    assert any(not r.actor.profile_path for r in cast)  # some people have no picture

    assert leftovers(rt) == []
    assert [p.name for p in Path(movie.path).parent.iterdir()] == [Path(movie.path).name]


def test_a_second_enrich_downloads_nothing_it_already_has(rt, simulator):
    movie = make_movie(rt)
    enrich_item(rt, movie)
    db.Movie.update(publish_state=db.PUBLISHED).where(db.Movie.id == movie.id).execute()
    before = [(r.id, r.rank, r.content_hash) for r in selected(movie)]
    already = had(movie.id)
    failed_before = db.ArtworkCandidate.select().where(
        db.ArtworkCandidate.rejected_reason.is_null(False)
    )
    simulator.reset_requests()

    result = enrich_item(rt, movie)

    assert len(already) >= 30
    assert not set(image_requests(simulator)) & already  # nothing it already has
    assert simulator.count("/t/p/h632/") == 0  # nor any cast thumbnail
    if not failed_before.count():  # (a download that failed the first time is retried)
        assert image_requests(simulator) == [] and result.downloaded == 0
    assert not result.changed
    assert [(r.id, r.rank, r.content_hash) for r in selected(movie)] == before
    assert db.Movie.get_by_id(movie.id).publish_state == db.PUBLISHED


def test_a_published_item_that_changed_becomes_outdated(rt, simulator):
    movie = make_movie(rt)
    enrich_item(rt, movie)
    db.Movie.update(publish_state=db.PUBLISHED, plot="an older plot").where(
        db.Movie.id == movie.id
    ).execute()
    result = enrich_item(rt, movie)
    movie = db.Movie.get_by_id(movie.id)
    assert movie.plot.startswith("A computer hacker")
    assert movie.publish_state == db.OUTDATED and result.outdated
    assert result.fields_changed == ["plot"]


def test_locked_fields_are_never_overwritten(rt, simulator):
    movie = make_movie(rt, title="Mine", plot="My own words", locked_fields=["title", "plot"])
    enrich_item(rt, movie)
    movie = db.Movie.get_by_id(movie.id)
    assert (movie.title, movie.plot) == ("Mine", "My own words")
    assert movie.tagline == "Welcome to the Real World."


def test_a_german_user_gets_the_english_plot_where_tmdb_has_no_german_one(make_rt, simulator):
    # the simulator answers as TMDB does: Fight Club has no German overview, so
    # /movie/550?language=de-DE says `"overview": ""`; Matrix has one
    rt = make_rt(tmdb={"language": "de-DE", "certification_country": "DE"})
    fight = make_movie(rt, tmdb_id=550, imdb_id="tt0137523", title="Fight Club", year=1999)
    matrix = make_movie(rt)
    enrich_item(rt, fight)
    enrich_item(rt, matrix)
    plot = simulator.catalog.get(550).overview
    assert plot and db.Movie.get_by_id(fight.id).plot == plot
    assert db.Movie.get_by_id(matrix.id).plot.startswith("Ein Hacker")


def test_a_german_user_gets_the_english_trailer_where_there_is_no_german_one(make_rt, simulator):
    # TMDB's `language=de-DE` filters appended videos to German ones; the Matrix's only trailer
    # is English (TMDB's include_video_language widens it, as include_image_language does images)
    rt = make_rt(tmdb={"language": "de-DE"})
    movie = make_movie(rt)
    enrich_item(rt, movie)
    key = simulator.catalog.get(603).trailer
    assert (
        db.Movie.get_by_id(movie.id).trailer
        == f"plugin://plugin.video.youtube/play/?video_id={key}"
    )


def test_user_choices_and_type_locks_survive_re_enrichment(rt, simulator):
    movie = make_movie(rt)
    enrich_item(rt, movie)
    rows = db.ArtworkCandidate.select().where(db.ArtworkCandidate.movie == movie.id)
    posters = sorted(
        (r for r in rows if r.asset_type == "poster" and r.score is not None),
        key=lambda r: r.score,
    )
    worst = posters[0]
    assert not worst.is_selected
    db.ArtworkCandidate.update(is_selected=False, rank=None).where(
        (db.ArtworkCandidate.movie == movie.id) & (db.ArtworkCandidate.asset_type == "poster")
    ).execute()
    db.ArtworkCandidate.update(is_selected=True, selected_by="user", rank=1).where(
        db.ArtworkCandidate.id == worst.id
    ).execute()
    best_fanart = selected(movie, "fanart")[0]
    db.ArtworkCandidate.update(is_selected=False, selected_by="user", rank=None).where(
        db.ArtworkCandidate.id == best_fanart.id
    ).execute()
    logos = [r for r in rows if r.asset_type == "clearlogo" and r.score is not None]
    kept_logo = next(r for r in logos if not r.is_selected)
    db.ArtworkCandidate.update(is_selected=False, rank=None).where(
        (db.ArtworkCandidate.movie == movie.id) & (db.ArtworkCandidate.asset_type == "clearlogo")
    ).execute()
    db.ArtworkCandidate.update(is_selected=True, selected_by="user", rank=1).where(
        db.ArtworkCandidate.id == kept_logo.id
    ).execute()
    db.Movie.update(locked_asset_types=["clearlogo"]).where(db.Movie.id == movie.id).execute()

    enrich_item(rt, movie)

    posters_now = selected(movie, "poster")
    assert (posters_now[0].id, posters_now[0].rank, posters_now[0].selected_by) == (
        worst.id, 1, "user",
    )  # fmt: skip
    assert len(posters_now) == rt.config.artwork.limits["poster"]
    assert posters_now[0].is_downloaded  # the user's pick is cached now
    assert best_fanart.id not in [r.id for r in selected(movie, "fanart")]
    assert [r.id for r in selected(movie, "clearlogo")] == [kept_logo.id]


def everywhere(asset) -> str:
    """A fault pattern for an image at every size the provider serves it (original, rendition)."""
    if asset.provider == "tmdb":
        return "/t/p/*" + asset.file_path
    if asset.provider == "fanart":
        return "/*/" + asset.key.split("/", 2)[2]
    stem, dot, ext = asset.key.rpartition(".")
    return f"{stem}*{dot}{ext}"


def test_bad_images_and_faults_never_fail_the_item(make_rt, simulator):
    # a read timeout that the good answers meet on a loaded machine too (at 0.4 s, with three
    # busy loops beside the test on 2 cores, the simulator's HTML page and bomb timed out
    # thrice in 3 runs of 6), shorter than the hang of the one that must time out
    rt = make_rt(providers={"timeout_seconds": 2.0, "max_retries": 2})
    art = simulator.catalog.get(603).images
    url = simulator.image_url
    simulator.fail_429(2, retry_after=1, prefix="/3/movie/603")  # TMDB rate limits us twice
    simulator.fail_429(4, retry_after=1, prefix="/t/p/")  # a short 429 storm on images
    simulator.corrupt(everywhere(art.posters[0]), "html")
    simulator.corrupt(everywhere(art.posters[1]), "truncated")
    simulator.bomb(everywhere(art.backdrops[0]))
    simulator.not_found(everywhere(art.backdrops[1]))
    simulator.fail_5xx(20, prefix=everywhere(art.logos[0]).replace(".svg", ".png"))
    simulator.hang(everywhere(art.tvdb[0]), seconds=4)
    movie = make_movie(rt)

    result = enrich_item(rt, movie)

    assert db.Movie.get_by_id(movie.id).identification_status == db.ENRICHED
    reasons = {
        r.url: r.rejected_reason
        for r in db.ArtworkCandidate.select().where(
            db.ArtworkCandidate.rejected_reason.is_null(False)
        )
    }
    assert "HTML page" in reasons[url(art.posters[0])]
    assert "truncated" in reasons[url(art.posters[1])]
    assert "decompression bomb" in reasons[url(art.backdrops[0])]
    assert "404" in reasons[url(art.backdrops[1])]
    assert "server error" in reasons[url(art.logos[0]).replace(".svg", ".png")]
    assert "timed out" in reasons[url(art.tvdb[0])]
    assert result.rejected == len(reasons) >= 6
    assert all(not r.rejected_reason for r in selected(movie))
    assert leftovers(rt) == []


def test_an_original_broken_behind_a_good_rendition_gives_its_place_up(rt, simulator):
    art = simulator.catalog.get(603).images
    posters = [simulator.image_url(a) for a in art.posters[:3]]
    for poster in posters:  # the best TMDB posters: their originals are HTML pages
        simulator.corrupt(poster, "html")
    movie = make_movie(rt)

    enrich_item(rt, movie)

    chosen = selected(movie, "poster")
    assert len(chosen) == rt.config.artwork.limits["poster"]
    assert not {r.url for r in chosen} & set(posters)
    broken = db.ArtworkCandidate.select().where(db.ArtworkCandidate.url.in_(posters))
    assert any("HTML page" in (r.rejected_reason or "") for r in broken)
    assert leftovers(rt) == []


def test_an_html_page_in_place_of_an_image_is_asked_again_next_time(rt, simulator):
    """A captive portal, an ISP's block page or a CDN error page answers an image URL with 200
    and HTML. That is the network's doing, not the picture's: it was rejected for good (never
    fetched again), so a library enriched behind such a network kept no TMDB posters."""
    art = simulator.catalog.get(603).images
    poster = art.posters[0]
    simulator.corrupt(everywhere(poster), "html")
    movie = make_movie(rt)
    enrich_item(rt, movie)
    row = db.ArtworkCandidate.get(db.ArtworkCandidate.url == simulator.image_url(poster))
    assert "HTML page" in row.rejected_reason
    simulator.reset_faults()
    simulator.reset_requests()
    enrich_item(rt, db.Movie.get_by_id(movie.id))
    assert any(poster.file_path in path for path in image_requests(simulator))
    row = db.ArtworkCandidate.get_by_id(row.id)
    assert row.analyzed and not row.rejected_reason


def test_a_fanart_answer_of_an_unexpected_shape_fails_fanart_only(rt, simulator, monkeypatch):
    """A number where fanart.tv's posters belong failed the whole item with "internal error:
    TypeError: 'int' object is not iterable"."""
    from metarrd.simulator import fanart as sim_fanart
    from metarrd.simulator.reply import json_reply

    real = sim_fanart.movie_art

    def answer(*args):
        return json_reply(200, {**json.loads(real(*args).body), "movieposter": 3})

    monkeypatch.setattr(sim_fanart, "movie_art", answer)
    movie = make_movie(rt)
    result = enrich_item(rt, movie)
    assert "movieposter is a number, not a list" in result.provider_errors["fanart"]
    assert db.Movie.get_by_id(movie.id).identification_status == db.ENRICHED


def test_one_provider_failing_never_fails_the_others(make_rt, simulator):
    rt = make_rt(tvdb={"api_key": ""})
    simulator.fail_5xx(50, prefix="/v3/")
    movie = make_movie(rt)
    result = enrich_item(rt, movie)
    assert "fanart" in result.provider_errors and result.providers_skipped == ["tvdb"]
    assert "fanart.tv failed" in str(result)
    providers = {r.provider for r in db.ArtworkCandidate.select()}
    assert providers == {"tmdb"}
    assert db.Movie.get_by_id(movie.id).identification_status == db.ENRICHED


def test_tmdb_unavailable_is_an_error_for_the_item(rt, simulator):
    simulator.fail_5xx(50, prefix="/3/movie/")
    movie = make_movie(rt)
    with pytest.raises(ProviderUnavailable):
        enrich_item(rt, movie)
    assert db.Movie.get_by_id(movie.id).identification_status == db.IDENTIFIED
    assert leftovers(rt) == []

    queue.configure(rt.config, immediate=True)  # through the job runner: waits for a retry
    jobs.bind(rt)
    job = db.Job.get_by_id(jobs.enqueue_enrich(movie.id).id)
    movie = db.Movie.get_by_id(movie.id)
    assert job.state == jobs.QUEUED and "retry 1" in job.message
    assert movie.identification_status == db.IDENTIFIED and "server error" in movie.last_error


@pytest.mark.parametrize("mode", ["html", "truncated"])
def test_a_page_or_a_cut_body_instead_of_tmdbs_json_waits_for_a_retry(rt, simulator, mode):
    """A captive portal's or a CDN's page (200, HTML) or JSON cut short in place of TMDB's
    answer says nothing about the movie: the job failed for good ("returned an HTML page") and
    every item queued behind such a network had to be started again by hand."""
    simulator.corrupt("/3/movie/603", mode)
    movie = make_movie(rt)
    queue.configure(rt.config, immediate=True)
    jobs.bind(rt)
    job = db.Job.get_by_id(jobs.enqueue_enrich(movie.id).id)
    assert job.state == jobs.QUEUED and "retry 1" in job.message
    assert db.Movie.get_by_id(movie.id).identification_status == db.IDENTIFIED


def test_a_maintenance_window_delays_the_jobs_retry_until_the_provider_said(rt, simulator):
    """TMDB down for two hours, saying so (503, Retry-After: 7200): the 503 was retried in 0.5 s,
    1 s, …, and the job's retries at 30 s, 2 min, 10 min and 30 min were all spent within the
    window: the item failed for good. The thread waits at most 60 s; the job's next try is due
    when the provider said."""
    waits: list[float] = []
    rt.http._sleep = waits.append
    simulator.fail_5xx(10, status=503, prefix="/3/movie/603", retry_after=7200)
    movie = make_movie(rt)
    queue.configure(rt.config, immediate=True)
    jobs.bind(rt)
    before = time.time()
    job = db.Job.get_by_id(jobs.enqueue_enrich(movie.id).id)
    assert waits and max(waits) == 60.0  # each wait in the thread at most the cap
    assert job.state == jobs.QUEUED and "retry 1 in 7200s" in job.message
    assert job.payload["due"] >= before + 7200
    assert "HTTP 503" in db.Movie.get_by_id(movie.id).last_error


def test_a_tmdb_answer_of_an_unexpected_shape_names_the_field_and_waits_for_a_retry(
    rt, simulator, monkeypatch
):
    """A broken mirror or caching proxy answered `keywords` with a list: the job failed for good
    with "internal error: AttributeError: 'list' object has no attribute 'get'"."""
    from metarrd.simulator import tmdb as sim_tmdb

    monkeypatch.setattr(sim_tmdb, "keywords", lambda movie: ["action", "cyberpunk"])
    movie = make_movie(rt)
    queue.configure(rt.config, immediate=True)
    jobs.bind(rt)
    job = db.Job.get_by_id(jobs.enqueue_enrich(movie.id).id)
    movie = db.Movie.get_by_id(movie.id)
    assert job.state == jobs.QUEUED and "retry 1" in job.message
    assert "/movie/603: keywords is a list, not an object" in movie.last_error
    assert "internal error" not in movie.last_error
    assert movie.identification_status == db.IDENTIFIED


def test_entries_of_a_tmdb_list_that_are_not_objects_are_left_out(rt, simulator, monkeypatch):
    """`null`, numbers or texts among the posters: the enrich failed with an AttributeError."""
    from metarrd.simulator import tmdb as sim_tmdb

    real = sim_tmdb.images

    def images(movie, params):
        found = real(movie, params)
        return {**found, "posters": [None, 7, "poster.jpg", *found["posters"]]}

    monkeypatch.setattr(sim_tmdb, "images", images)
    movie = make_movie(rt)
    enrich_item(rt, movie)
    assert db.Movie.get_by_id(movie.id).identification_status == db.ENRICHED
    assert selected(movie, "poster")


@pytest.mark.parametrize(
    "code, said, where",
    [
        (errno.EROFS, "cannot write the artwork into the data folder: .*Read-only", "temp files"),
        (errno.EACCES, "cannot write the artwork into the data folder: .*Permission", "temp files"),
        (errno.ENOSPC, "disk full: No space left on device", "temp files"),
        (errno.ENOSPC, "disk full: No space left on device", "previews"),
    ],
)
def test_a_data_folder_that_refuses_writes_fails_the_item_and_keeps_its_artwork(
    rt, simulator, monkeypatch, code, said, where
):
    """data_dir full or read-only during a re-enrich: each picture it had to fetch again was
    rejected in turn ("cannot write a temp file"), the enrich ended "done" with 0 selected, and
    the next publish would have removed the item's artwork from the library."""
    from metarrd.enrich import analysis

    movie = make_movie(rt)
    enrich_item(rt, movie)
    chosen = {r.id for r in selected(movie)}
    assert chosen
    shutil.rmtree(rt.config.cache_dir)  # every picture has to be fetched again

    def refused(path, mode="r", *args, **kwargs):  # the temp files downloads go into
        raise OSError(code, os.strerror(code), str(path))

    if where == "temp files":
        monkeypatch.setattr(analysis, "open", refused, raising=False)
    else:  # the analysis, which writes each picture's preview into data_dir/previews

        def run(processes, fn, source, previews_dir, *args):
            refused(previews_dir)

        monkeypatch.setattr(analysis.analysts, "run", run)
    with pytest.raises(MetarrdError, match=said):
        enrich_item(rt, db.Movie.get_by_id(movie.id))
    assert {r.id for r in selected(movie)} == chosen
    assert leftovers(rt) == []
    monkeypatch.undo()
    enrich_item(rt, db.Movie.get_by_id(movie.id))  # writable again: all of it comes back
    assert {r.id for r in selected(movie)} == chosen
    assert all(in_cache(rt.config.cache_dir, r) for r in selected(movie))


def test_unknown_or_unidentified_items_are_refused(rt, simulator):
    with pytest.raises(ItemError, match="identify the item again"):
        enrich_item(rt, make_movie(rt, tmdb_id=987_654_321, title="Gone"))
    with pytest.raises(ItemError, match="not identified"):
        enrich_item(rt, make_movie(rt, tmdb_id=None, title="Unknown"))


def test_automatic_runs_respect_the_enrichment_switch(rt, simulator):
    workflow.set_stage("enrichment", False)
    with pytest.raises(StageDisabled):
        enrich_item(rt, make_movie(rt), manual=False)


def test_the_same_picture_is_cached_once_and_actor_thumbnails_once_per_person(rt, simulator):
    first = make_movie(rt)
    enrich_item(rt, first)
    files = sorted(p for p in rt.config.cache_dir.rglob("*") if p.is_file())
    simulator.reset_requests()
    second = make_movie(rt, title="The Matrix copy")  # another edition of the same movie
    enrich_item(rt, second)
    assert sorted(p for p in rt.config.cache_dir.rglob("*") if p.is_file()) == files
    assert simulator.count("/t/p/h632/") == 0
    assert db.Actor.select().count() == rt.config.enrich.max_actors


def test_a_selected_image_missing_from_the_cache_is_fetched_again(rt, simulator):
    movie = make_movie(rt)
    enrich_item(rt, movie)
    row = selected(movie, "poster")[0]
    path = cache.cache_path(rt.config.cache_dir, "poster", _info(row))
    path.unlink()
    already = had(movie.id) - {urlsplit(row.url).path}
    simulator.reset_requests()
    enrich_item(rt, movie)
    fetched = image_requests(simulator)
    assert fetched.count(urlsplit(row.url).path) == 1 and not set(fetched) & already
    assert path.read_bytes() and hashlib.sha256(path.read_bytes()).hexdigest() == row.content_hash


def _info(row):
    from metarrd.enrich.candidate_store import image_info as info

    return info(row)


def _library_poster(rt, movie, source_bytes: bytes) -> db.ArtworkCandidate:
    """What scan records for the user's own `<base>-poster.jpg`: a cached copy and a candidate."""
    folder = Path(movie.path).parent
    target = folder / (Path(movie.path).stem + "-poster.jpg")
    with Image.open(io.BytesIO(source_bytes)) as im:
        im.convert("RGB").save(target, "JPEG", quality=70)  # same picture, other bytes
    info = analyse_image(target)
    stored = cache.store(rt.config.cache_dir, "poster", target, info)
    db.CacheImageFile.create(
        movie=movie, image_type="poster", file_path=str(stored), file_hash=info.sha256,
        perceptual_hash=info.phash, file_size=info.size, width=info.width, height=info.height,
        format=info.format, source_type="library", source_url=str(target),
        provider_name="library",
    )  # fmt: skip
    return db.ArtworkCandidate.create(
        movie=movie, asset_type="poster", provider="library", url=str(target), analyzed=True,
        width=info.width, height=info.height, format=info.format, file_size=info.size,
        content_hash=info.sha256, perceptual_hash=info.phash, is_downloaded=True,
    )  # fmt: skip


def test_library_artwork_competes_and_its_twins_are_not_fetched_again(rt, simulator):
    movie = make_movie(rt)
    tmdb_poster = simulator.catalog.get(603).images.posters[0]
    poster_url = simulator.image_url(tmdb_poster)
    own = _library_poster(rt, movie, requests.get(poster_url, timeout=5).content)

    enrich_item(rt, movie)

    own = db.ArtworkCandidate.get_by_id(own.id)
    twin = db.ArtworkCandidate.get(db.ArtworkCandidate.url == poster_url)
    assert own.is_selected and own.score_breakdown["factors"][3]["points"] == 20
    assert twin.duplicate_of_id == own.id and not twin.is_selected
    assert (rt.config.previews_dir / own.preview_path).is_file()

    simulator.reset_requests()
    enrich_item(rt, movie)  # phase 1B: the twin's picture is in the cache already
    twin = db.ArtworkCandidate.get_by_id(twin.id)
    assert twin.is_downloaded and twin.provider_metadata["cache_file"]
    assert urlsplit(poster_url).path not in image_requests(simulator)

    db.ArtworkCandidate.update(is_selected=True, selected_by="user", rank=1).where(
        db.ArtworkCandidate.id == twin.id
    ).execute()
    enrich_item(rt, movie)
    twin = db.ArtworkCandidate.get_by_id(twin.id)
    assert twin.is_selected and twin.provider_metadata["cache_file"]  # the link stays
    assert urlsplit(poster_url).path not in image_requests(simulator)  # chosen, not refetched


def test_a_users_choice_that_cannot_be_fetched_stays_chosen(rt, simulator):
    movie = make_movie(rt)
    enrich_item(rt, movie)
    spare = next(
        r
        for r in db.ArtworkCandidate.select().where(db.ArtworkCandidate.asset_type == "poster")
        if r.score is not None and not r.is_selected and not r.is_downloaded
    )
    db.ArtworkCandidate.update(is_selected=True, selected_by="user", rank=1).where(
        db.ArtworkCandidate.id == spare.id
    ).execute()
    simulator.not_found(spare.url)
    enrich_item(rt, movie)
    spare = db.ArtworkCandidate.get_by_id(spare.id)
    assert spare.is_selected and spare.selected_by == "user" and not spare.is_downloaded
    assert "404" in spare.rejected_reason
    assert len(selected(movie, "poster")) == rt.config.artwork.limits["poster"]
    assert db.Movie.get_by_id(movie.id).identification_status == db.ENRICHED
    simulator.reset_faults()
    enrich_item(rt, movie)  # the provider has it again: now it is cached
    spare = db.ArtworkCandidate.get_by_id(spare.id)
    assert spare.is_selected and spare.is_downloaded and spare.rejected_reason is None


def fanart_rows(movie):
    return list(
        db.ArtworkCandidate.select().where(
            (db.ArtworkCandidate.movie == movie.id) & (db.ArtworkCandidate.provider == "fanart")
        )
    )


def real_fanart(simulator) -> dict:
    images = simulator.catalog.get(603).images
    return {simulator.image_url(a): a for assets in images.fanart.values() for a in assets}


def test_fanart_images_are_sized_by_fanart_tvs_rule_without_reading_their_headers(rt, simulator):
    movie = make_movie(rt)
    simulator.reset_requests()
    enrich_item(rt, movie)

    fanart = [h for h in simulator.requests if h.path.startswith("/fanart/")]
    assert fanart and all(h.status == 200 for h in fanart)  # no Range request for a header
    real = real_fanart(simulator)
    rows = fanart_rows(movie)
    assert len(rows) >= 10
    for row in rows:
        assert (row.width, row.height) == (real[row.url].width, real[row.url].height)


def test_a_fanart_image_other_than_its_rule_is_measured_when_selected(rt, simulator, monkeypatch):
    from metarrd.enrich import candidates

    keys = {**candidates.FANART_MOVIE_KEYS, "moviebackground": ("fanart", 3840, 2160)}
    monkeypatch.setattr(candidates, "FANART_MOVIE_KEYS", keys)  # the rule says 4K: they are HD
    movie = make_movie(rt)
    enrich_item(rt, movie)

    real = real_fanart(simulator)
    rows = [r for r in fanart_rows(movie) if r.provider_metadata["key"] == "moviebackground"]
    measured = [r for r in rows if r.content_hash]  # chosen at first: downloaded in full
    assert measured and all((r.width, r.height) == (1920, 1080) for r in measured)
    for row in measured:
        assert row.score_breakdown["factors"][0]["reason"].startswith("1920x1080")
    for row in fanart_rows(movie):
        if row.is_selected:  # what stays chosen is what it really is
            assert (row.width, row.height) == (real[row.url].width, real[row.url].height)


def test_the_likely_picks_are_fetched_whole_and_the_rest_by_rendition(make_rt, simulator):
    """TMDB states each image's real size, so its score before any download is its score:
    the best `limit` of each type (the likely picks) are fetched whole once, a JPEG with no
    rendition first (it decodes at 1/8 scale), a PNG (the logo) with its rendition too, which
    gives its picture, as it does for every other candidate, analysed from its rendition alone."""
    from metarrd.imaging import analyse_with_preview

    rt = make_rt(tvdb={"api_key": ""}, fanart={"api_key": ""})
    movie = make_movie(rt)
    simulator.reset_requests()

    enrich_item(rt, movie)

    rows = list(db.ArtworkCandidate.select().where(db.ArtworkCandidate.movie == movie.id))
    assert {r.provider for r in rows} == {"tmdb"}
    chosen = [r for r in rows if r.is_selected]
    assert chosen and len(chosen) < len(rows)
    pngs = [r for r in chosen if r.url.endswith(".png")]
    assert pngs and len(pngs) < len(chosen)  # the logo; the poster and fanart are JPEGs
    for row in rows:
        whole = simulator.count(urlsplit(row.url).path, status=200)
        small = simulator.count(urlsplit(row.provider_metadata["small_url"]).path, status=200)
        expected = {False: (0, 1), True: (1, 1) if row in pngs else (1, 0)}[row.is_selected]
        assert (whole, small) == expected, (row.asset_type, row.url)
        assert row.analyzed and row.perceptual_hash and row.preview_path
    for row in pngs:  # pictured by the rendition, measured on the whole file
        rendition = requests.get(row.provider_metadata["small_url"], timeout=5).content
        original = requests.get(row.url, timeout=5).content
        assert row.perceptual_hash == analyse_with_preview(rendition)[0].phash
        assert row.content_hash == hashlib.sha256(original).hexdigest()
        with Image.open(io.BytesIO(original)) as im:
            assert (row.width, row.height) == im.size


def test_a_likely_pick_whose_whole_file_is_cut_short_is_rejected(make_rt, simulator):
    """A likely pick is fetched whole with no rendition first: its analysis is the whole
    file's, so one cut short (a broken upload, a dropped connection the server did not report)
    is rejected, never chosen, and the next best is chosen instead."""
    rt = make_rt(tvdb={"api_key": ""}, fanart={"api_key": ""})
    first = make_movie(rt)
    enrich_item(rt, first)
    poster = selected(first, "poster")[0]
    shutil.rmtree(rt.config.cache_dir)  # a second copy of the movie: its likely picks afresh
    movie = make_movie(rt, year=2000)
    simulator.corrupt(urlsplit(poster.url).path, "truncated")

    enrich_item(rt, movie)

    row = db.ArtworkCandidate.get(
        db.ArtworkCandidate.movie == movie.id, db.ArtworkCandidate.url == poster.url
    )
    assert not row.is_selected and "truncated" in (row.rejected_reason or "")
    assert selected(movie, "poster") and selected(movie, "poster")[0].url != poster.url


def test_enriching_several_the_next_one_is_asked_ahead_and_starts_when_no_download_waits(
    make_rt, simulator, monkeypatch
):
    """`enrich --all` with `[enrich] items = 1`: the second movie's providers are asked while
    the first one runs, and it starts as soon as none of the first's downloads waits to start,
    before the first has selected, cached and written everything; each still gets its own
    complete result, in the order given."""
    import time as clock

    from metarrd.enrich import enrich_items, stage

    rt = make_rt(enrich={"items": 1})
    matrix = make_movie(rt)
    fight = make_movie(rt, tmdb_id=550, imdb_id="tt0137523", title="Fight Club", year=1999)
    spans: dict[int, list[float]] = {}
    asked: dict[int, float] = {}
    real_run, real_ask = stage._Enrichment.run, stage._Enrichment.ask

    def run(self):
        spans[self.movie.id] = [clock.monotonic()]
        try:
            return real_run(self)
        finally:
            spans[self.movie.id].append(clock.monotonic())

    def ask(self, pool):
        asked[self.movie.id] = clock.monotonic()
        return real_ask(self, pool)

    monkeypatch.setattr(stage._Enrichment, "run", run)
    monkeypatch.setattr(stage._Enrichment, "ask", ask)
    out = list(enrich_items(rt, [matrix, fight]))
    assert [(m.id, e) for m, _r, e in out] == [(matrix.id, None), (fight.id, None)]
    assert [r.movie_id for _m, r, _e in out] == [matrix.id, fight.id]
    assert all(r.candidates > 20 and r.selected for _m, r, _e in out)
    assert asked[fight.id] < spans[matrix.id][1]  # asked while the first one ran
    assert asked[fight.id] < spans[fight.id][0]  # ahead of its own turn
    assert spans[fight.id][0] < spans[matrix.id][1]  # started before the first had ended
    assert {m.identification_status for m in db.Movie.select()} == {db.ENRICHED}


def _poster_rows(movie) -> dict[str, db.ArtworkCandidate]:
    A = db.ArtworkCandidate
    rows = A.select().where(A.movie == movie.id, A.asset_type == "poster", A.provider == "tmdb")
    return {r.url: r for r in rows}


def test_the_preview_of_a_candidate_the_provider_no_longer_lists_goes_with_it(
    rt, simulator, monkeypatch
):
    """TMDB removes an image (a bad upload, a duplicate): its row goes at the next enrich, and
    its preview with it, where no other row shows it (another copy of the film: it stays). A
    library refreshed for years kept every preview it ever made."""
    movie = make_movie(rt)
    other = make_movie(rt, year=2000)  # a second copy of the film: the same pictures
    enrich_item(rt, movie)
    enrich_item(rt, other)
    art = simulator.catalog.get(603).images
    posters = _poster_rows(movie)
    gone = [a for a in art.posters if simulator.image_url(a) in posters
            and not posters[simulator.image_url(a)].is_selected][:2]  # fmt: skip
    assert len(gone) == 2
    previews = {a.key: rt.config.previews_dir / posters[simulator.image_url(a)].preview_path
                for a in gone}  # fmt: skip
    assert all(p.is_file() for p in previews.values())
    monkeypatch.setattr(art, "posters", [a for a in art.posters if a not in gone])

    enrich_item(rt, movie)

    left = _poster_rows(movie)
    assert not {simulator.image_url(a) for a in gone} & set(left)
    assert all(p.is_file() for p in previews.values())  # the other copy still shows them
    assert all((rt.config.previews_dir / r.preview_path).is_file() for r in left.values())

    enrich_item(rt, other)

    assert not any(p.exists() for p in previews.values())
    for movie_ in (movie, other):
        rows = db.ArtworkCandidate.select().where(
            db.ArtworkCandidate.movie == movie_.id, db.ArtworkCandidate.preview_path.is_null(False)
        )
        assert all((rt.config.previews_dir / r.preview_path).is_file() for r in rows)


def test_a_users_choice_the_provider_no_longer_lists_keeps_its_row_and_preview(
    rt, simulator, monkeypatch
):
    movie = make_movie(rt)
    enrich_item(rt, movie)
    art = simulator.catalog.get(603).images
    posters = _poster_rows(movie)
    spare = next(a for a in art.posters if simulator.image_url(a) in posters
                 and not posters[simulator.image_url(a)].is_selected)  # fmt: skip
    row = posters[simulator.image_url(spare)]
    workflow_choose = db.ArtworkCandidate.update(is_selected=True, selected_by="user", rank=1)
    workflow_choose.where(db.ArtworkCandidate.id == row.id).execute()
    monkeypatch.setattr(art, "posters", [a for a in art.posters if a is not spare])

    enrich_item(rt, movie)

    row = db.ArtworkCandidate.get_by_id(row.id)
    assert row.is_selected and (rt.config.previews_dir / row.preview_path).is_file()


def test_a_locked_types_images_stay_when_the_provider_no_longer_lists_them(rt, simulator):
    """The user picks German artwork, locks the posters, then sets their languages to English:
    TMDB is then asked for `include_image_language=en,null` and no longer lists the German
    poster (nor would it after a moderator removed the upload). A locked type is "left exactly
    as it is" (docs/enrich.md): its selected images keep their rows."""
    preferences.save({"languages": ["de"]})
    movie = make_movie(rt)
    enrich_item(rt, movie)
    A = db.ArtworkCandidate

    def selected_posters():
        rows = A.select().where(A.movie == movie.id, A.asset_type == "poster", A.is_selected)
        return sorted((r.rank, r.url, r.language) for r in rows)

    before = selected_posters()
    assert before[0][2] == "de"
    db.Movie.update(locked_asset_types=["poster"]).where(db.Movie.id == movie.id).execute()
    preferences.save({"languages": ["en"]})

    enrich_item(rt, db.Movie.get_by_id(movie.id))

    assert selected_posters() == before
    spare = A.select().where(A.movie == movie.id, A.provider == "tmdb", A.language == "de")
    assert {r.asset_type for r in spare} == {"poster"}  # unselected German images still go


def test_a_german_users_first_poster_is_the_german_one(rt, simulator):
    """The Matrix's German TMDB poster has fewer votes than its English ones (votes gather on
    the English uploads); a user who asks for German, then English, gets it first."""
    art = simulator.catalog.get(603).images
    german = [p for p in art.posters if p.lang == "de"]
    assert german and all(
        (g.rating, g.votes) < (e.rating, e.votes) for g in german for e in art.posters
        if e.lang == "en"
    )  # fmt: skip
    preferences.save({"languages": ["de", "en"]})
    movie = make_movie(rt)
    enrich_item(rt, movie)
    A = db.ArtworkCandidate
    first = A.get(A.movie == movie.id, A.asset_type == "poster", A.rank == 1)
    assert first.language == "de"


def test_a_german_tmdb_language_without_artwork_languages_chooses_german_posters(make_rt):
    """`[providers.tmdb] language = "de-DE"` and no `[artwork] preferred_languages` (as most
    users leave it): the artwork languages were `["en"]`, so the German posters TMDB sent were
    "not one of your languages" and an English one was chosen. Unset (or empty), they are the
    TMDB language's, then English, as Kodi's scrapers rank images."""
    rt = make_rt(tmdb={"language": "de-DE"})
    assert rt.config.artwork.preferred_languages == ("de", "en")
    movie = make_movie(rt)
    enrich_item(rt, movie)
    A = db.ArtworkCandidate
    assert A.get(A.movie == movie.id, A.asset_type == "poster", A.rank == 1).language == "de"
    chosen = make_rt(tmdb={"language": "de-DE"}, artwork={"preferred_languages": ["en"]})
    assert chosen.config.artwork.preferred_languages == ("en",)  # a choice is kept

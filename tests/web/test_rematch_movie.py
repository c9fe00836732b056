""" "Change movie…" to ANOTHER film (the user's walkthrough: The Thing 1982, TMDB 1091, taken for
the 2011 prequel, TMDB 60935, or the other way round; both are "The Thing" on TMDB): the old
film's plot, tagline, rating, genres, poster and cast must not stay on the item, nor be
published under the new film's title, as tinyMediaManager and MediaElch drop the old scrape's
data on a re-scrape with another id. The user's locked fields stay."""

from __future__ import annotations

from metarrd import db, workflow


def test_changing_the_movie_drops_the_old_films_metadata(sim_stack):
    from metarrd.enrich import enrich_item

    client, seed = sim_stack
    rt = client.application.extensions["metarrd.runtime"]
    movie = seed.movie("The Thing", 1982, tmdb_id=1091, identification_status=db.IDENTIFIED)
    db.Movie.update(tags=["Favourites"]).where(db.Movie.id == movie.id).execute()  # the user's
    movie.video_path.parent.mkdir(parents=True)
    movie.video_path.write_bytes(b"video")
    enrich_item(rt, db.Movie.get_by_id(movie.id))
    old = db.Movie.get_by_id(movie.id)
    assert old.identification_status == db.ENRICHED and old.plot and old.genres
    client.post(f"/movies/{movie.id}/fields/tagline", {"value": "Mine"}, htmx=True)  # locks it
    workflow.set_stage("enrichment", False)  # the review before the new film's enrich
    client.post(f"/movies/{movie.id}/identify", {"id": "60935"}, htmx=True)
    new = db.Movie.get_by_id(movie.id)
    assert (new.tmdb_id, new.year, new.identification_status) == (60935, 2011, db.IDENTIFIED)
    assert new.tagline == "Mine"  # the user's lock
    assert new.tags == ["Favourites"], new.tags  # the old film's keywords went, not the user's
    assert new.plot != old.plot and new.rating is None and not new.genres, new.plot
    assert (
        not db.ArtworkCandidate.select()
        .where(db.ArtworkCandidate.movie == movie.id, db.ArtworkCandidate.provider != "library")
        .exists()
    )
    assert not db.MovieActor.select().where(db.MovieActor.movie == movie.id).exists()
    preview = client.get(f"/movies/{movie.id}?tab=publish").get_data(as_text=True)
    assert old.plot[:40] not in preview

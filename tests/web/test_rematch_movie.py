""" "Change movie…" to ANOTHER film (the user's walkthrough: The Thing 1982, TMDB 1091, taken for
the 2011 prequel, TMDB 60935, or the other way round; both are "The Thing" on TMDB): the old
film's plot, tagline, rating, genres, poster and cast must not stay on the item, nor be
published under the new film's title, as tinyMediaManager and MediaElch drop the old scrape's
data on a re-scrape with another id. The user's locked fields stay."""

from __future__ import annotations

from pathlib import Path

from lxml import etree

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
    assert old.plot[:40] in client.get(f"/movies/{movie.id}").get_data(as_text=True)
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
    # the review (the item's Overview: every field) shows none of the old film's
    review = client.get(f"/movies/{movie.id}").get_data(as_text=True)
    assert old.plot[:40] not in review and "Mine" in review


# MediaElch's NFO of Alien (1979) from its test data (tests/nfo/SOURCES.md), with what the user's
# own copy of it holds beside: their sort title and tag, their own rating of it (`<userrating>`),
# and the IMDb rating, Top 250 rank and Trakt id a Kodi library export or tinyMediaManager writes
# (the elements of Jellyfin's `Justice League.nfo` and of tinyMediaManager's `kodi.nfo`)
ALIEN = Path(__file__).parent.parent / "nfo" / "mediaelch-kodi_v18_Alien_1979.nfo"
USERS = """<title>Alien</title>
    <sorttitle>Alien 1</sorttitle>
    <tag>Sci-fi night</tag>
    <uniqueid type="trakt">295</uniqueid>"""
OUTLINE = "During its return to the earth, commercial spaceship Nostromo intercepts a signal."
IMDB = """</rating>
        <rating name="imdb" max="10"><value>8.5</value><votes>900123</votes></rating>"""


def _alien_enriched(client, seed, users: str = USERS) -> int:
    from metarrd.enrich import enrich_item
    from metarrd.identify import identify_many
    from metarrd.scan import scan

    rt = client.application.extensions["metarrd.runtime"]
    folder = Path(seed.library.path) / "Alien (1979)"
    folder.mkdir(parents=True)
    (folder / "Alien (1979).mkv").write_bytes(b"video")
    text = ALIEN.read_text(encoding="utf-8").replace("<title>Alien</title>", users)
    text = text.replace("</rating>", IMDB, 1).replace("<top250>0<", "<top250>55<")
    text = text.replace("<userrating>0<", "<userrating>9<")
    # tinyMediaManager writes the plot's beginning as `<outline>` (its `kodi.nfo`)
    text = text.replace("<outline></outline>", f"<outline>{OUTLINE}</outline>")
    (folder / "Alien (1979).nfo").write_text(text, encoding="utf-8")
    scan(rt)
    movie = db.Movie.get()
    identify_many(rt, [movie.id], threads=1)
    enrich_item(rt, db.Movie.get_by_id(movie.id))
    old = db.Movie.get_by_id(movie.id)
    assert (old.tmdb_id, old.outline, old.sort_title) == (348, OUTLINE, "Alien 1")
    return movie.id


def test_changing_the_movie_drops_what_the_users_nfo_said_of_the_old_film(sim_stack):
    """ "Change movie…" from Alien (TMDB 348, its NFO written by MediaElch) to The Thing (1091):
    the NFO's IMDb rating of Alien (8.5 of 900,123 votes), its Top 250 rank and its Trakt id
    stayed and were published in The Thing's NFO: Kodi showed Alien's IMDb rating on The Thing,
    and Trakt's add-on matched it as Alien. tinyMediaManager drops a film's ids and ratings when
    another film is scraped (Movie.setMetadata: "we did a search, so all existing ids should be
    different to the new ones -> remove old ones"). What is the user's own stays: their sort
    title, tag, user rating and watch state."""
    from metarrd.enrich import enrich_item
    from metarrd.publish import publish_item

    client, seed = sim_stack
    rt = client.application.extensions["metarrd.runtime"]
    movie_id = _alien_enriched(client, seed)
    workflow.set_stage("enrichment", False)  # the review before the new film's enrich
    client.post(f"/movies/{movie_id}/identify", {"id": "1091"}, htmx=True)
    new = db.Movie.get_by_id(movie_id)
    assert (new.tmdb_id, new.title, new.identification_status) == (1091, "The Thing", "identified")
    extra = "".join(new.nfo_extra)
    assert "900123" not in extra and "295" not in extra and "<top250>55" not in extra, extra
    assert "Tom Skerritt" not in extra  # the NFO's cast of Alien
    assert "<userrating>9</userrating>" in extra and "<resume>" in extra and "<playcount>" in extra
    assert new.outline is None and new.plot is None  # Alien's
    assert (new.sort_title, new.tags, new.set_name, new.set_overview) == (
        "Alien 1",
        ["Sci-fi night"],
        None,
        None,
    )
    workflow.set_stage("enrichment", True)
    enrich_item(rt, db.Movie.get_by_id(movie_id))
    publish_item(rt, db.Movie.get_by_id(movie_id))
    nfo = Path(new.path).with_suffix(".nfo").read_text(encoding="utf-8")
    root = etree.fromstring(nfo.encode())
    assert root.find("ratings/rating[@name='imdb']") is None, nfo  # Alien's
    assert root.find("uniqueid[@type='trakt']") is None and root.findtext("top250") != "55"
    assert [u.text for u in root.iter("uniqueid") if u.get("type") == "tmdb"] == ["1091"]
    assert root.findtext("userrating") == "9" and root.findtext("sorttitle") == "Alien 1"
    assert "Sci-fi night" in [t.text for t in root.iter("tag")]


def test_a_cast_the_user_locked_stays_with_the_nfo(sim_stack):
    """Jellyfin's `<lockedfields>Cast</lockedfields>` locks the cast (enrich keeps the NFO's):
    "Change movie…" keeps those `<actor>`s too, as it keeps every locked field."""
    client, seed = sim_stack
    movie_id = _alien_enriched(client, seed, USERS + "\n    <lockedfields>Cast</lockedfields>")
    assert "cast" in db.Movie.get_by_id(movie_id).locked_fields
    workflow.set_stage("enrichment", False)
    client.post(f"/movies/{movie_id}/identify", {"id": "1091"}, htmx=True)
    new = db.Movie.get_by_id(movie_id)
    assert new.tmdb_id == 1091 and "Tom Skerritt" in "".join(new.nfo_extra)
    assert "900123" not in "".join(new.nfo_extra)  # the old film's IMDb rating still goes


def test_changing_the_movie_keeps_the_users_own_set(sim_stack):
    """A `<set>` of the user's own (tinyMediaManager's `kodi.nfo`: `<set>Tim Burton
    Collection</set>`, a collection TMDB does not have) stays through the old film's enrich,
    TMDB having no collection for it; "Change movie…" from The Thing 1982 (TMDB 1091, no
    collection) to the 2011 prequel (60935) emptied it with the old film's metadata. Only what
    the old film's enrich gave goes."""
    from metarrd.enrich import enrich_item

    client, seed = sim_stack
    rt = client.application.extensions["metarrd.runtime"]
    movie = seed.movie("The Thing", 1982, tmdb_id=1091, identification_status=db.IDENTIFIED)
    mine = {"set_name": "John Carpenter's Apocalypse Trilogy", "set_overview": "Mine."}
    db.Movie.update(**mine).where(db.Movie.id == movie.id).execute()  # as scan takes a <set>
    movie.video_path.parent.mkdir(parents=True)
    movie.video_path.write_bytes(b"video")
    enrich_item(rt, db.Movie.get_by_id(movie.id))
    old = db.Movie.get_by_id(movie.id)
    assert old.plot and old.set_name == mine["set_name"]
    workflow.set_stage("enrichment", False)
    client.post(f"/movies/{movie.id}/identify", {"id": "60935"}, htmx=True)
    new = db.Movie.get_by_id(movie.id)
    assert (new.set_name, new.set_overview) == (mine["set_name"], "Mine.")
    assert new.plot is None and new.tagline is None and not new.studios  # the old film's
    page = client.get(f"/movies/{movie.id}/fields/set_name").get_data(as_text=True)
    assert "Apocalypse Trilogy" in page


def test_a_movie_identified_by_hand_reads_so_in_its_history_and_the_activity(sim_stack):
    # The history and the activity said "identified by manual as The Thing (2011)": the
    # source's code word in a sentence. As for a show (tests/web/test_identify_tv.py).
    client, seed = sim_stack
    movie = seed.movie("The Thing", 1982, tmdb_id=1091, identification_status=db.IDENTIFIED)
    client.post(f"/movies/{movie.id}/identify", {"id": "60935"}, htmx=True)
    history = client.get(f"/movies/{movie.id}?tab=history").get_data(as_text=True)
    activity = client.get("/activity").get_data(as_text=True)
    for page in (history, activity):
        assert "identified by hand as The Thing (2011)" in page
        assert "by manual" not in page


def test_a_bulk_reidentify_identifies_the_items_again(sim_stack):
    # Found walking the demo: "Re-identify" on ticked items already identified queued a job that
    # ended at once as "already identified": nothing was identified again, while the toast had
    # said "Re-identify queued". An item the user identified by hand keeps their choice: it is
    # skipped, and the toast says why and where to change it.
    client, seed = sim_stack
    wrong = seed.movie(  # The Matrix's folder, taken for another film by an older search
        "The Matrix", 1999, tmdb_id=1091, identification_status=db.IDENTIFIED,
        identified_by="search",
    )  # fmt: skip
    mine = seed.movie(
        "The Thing", 1982, tmdb_id=60935, identification_status=db.IDENTIFIED,
        identified_by="manual",
    )  # fmt: skip
    workflow.set_stage("enrichment", False)
    answer = client.post(
        "/bulk", {"action": "identify", "ids": [wrong.id, mine.id]}, htmx=True
    ).get_data(as_text=True)
    assert "Re-identify queued for 1 of 2 items; 1 skipped" in answer
    assert "The Thing (1982): identified by hand; choose another on its Identify page" in answer
    fresh = db.Movie.get_by_id(wrong.id)
    assert (fresh.tmdb_id, fresh.title, fresh.identified_by) == (603, "The Matrix", "search")
    assert db.Movie.get_by_id(mine.id).tmdb_id == 60935  # the user's choice stands

"""Locks that hold, end to end: a field the user edits on the item page (which locks it) is
what Kodi reads after the item is enriched again against the provider and published. "Locks that
do not hold" is the first complaint of tinyMediaManager's, MediaElch's and Radarr's users."""

from __future__ import annotations

import os

import pytest
from lxml import etree

from metarrd import db


@pytest.fixture
def tv_app(tmp_path, simulator, backend):
    """The web app on a TV library (tmp_path/tv) against the simulator, its jobs run at once:
    its runtime and a client; the runtime closed after. On the test backend (`tv_config`)."""
    from metarrd.pipeline import jobs, queue
    from metarrd.web import create_app
    from tests.tv.conftest import tv_config
    from tests.web.conftest import Client

    config = tv_config(tmp_path, simulator)
    app = create_app(config, testing=True)
    queue.configure(config, immediate=True)
    rt = app.extensions["metarrd.runtime"]
    jobs.bind(rt)
    yield rt, Client(app.test_client())
    rt.close()


def _enriched_show(rt, tmp_path, rel: str):
    """The episode file `rel` put in the TV library, scanned, its show identified and enriched:
    the video and the show."""
    from metarrd.enrich import enrich_item
    from metarrd.identify import identify_many
    from metarrd.scan import scan
    from tests.tv.conftest import put

    video = put(tmp_path / "tv", rel)
    scan(rt)
    show = db.Movie.get(db.Movie.kind == db.SHOW)
    identify_many(rt, [show.id], threads=1)
    enrich_item(rt, db.Movie.get_by_id(show.id))
    return video, show


def _enrich_and_publish(client, movie_id: int) -> etree._Element:
    from metarrd.enrich import enrich_item
    from metarrd.publish import publish_item

    rt = client.application.extensions["metarrd.runtime"]
    enrich_item(rt, db.Movie.get_by_id(movie_id))
    publish_item(rt, db.Movie.get_by_id(movie_id))
    nfo = db.Movie.get_by_id(movie_id).video_path.with_suffix(".nfo")
    return etree.fromstring(nfo.read_bytes())


def test_an_edited_year_is_the_year_kodi_reads_after_enrich_and_publish(sim_stack):
    """Kodi's NFO reader takes the year from `<premiered>` when it is there and ignores `<year>`
    (kodi.md: "year follows premiered"); TMDB's release date of The Matrix is 1999-03-30. A year
    the user edited (and so locked) to 2001 reached the NFO only as `<year>2001</year>` beside
    `<premiered>1999-03-30</premiered>`: Kodi showed 1999."""
    client, seed = sim_stack
    movie = seed.movie("The Matrix", 1999, tmdb_id=603, identification_status=db.IDENTIFIED)
    movie.video_path.parent.mkdir(parents=True)
    movie.video_path.write_bytes(b"video")
    client.post(f"/movies/{movie.id}/fields/year", {"value": "2001"}, htmx=True)
    assert "year" in db.Movie.get_by_id(movie.id).locked_fields
    root = _enrich_and_publish(client, movie.id)
    premiered = root.findtext("premiered")
    assert premiered is None or premiered.startswith("2001-")  # what Kodi reads
    assert root.findtext("year") == "2001"  # what Jellyfin reads
    assert db.Movie.get_by_id(movie.id).year == 2001


def test_an_edited_year_is_published_without_the_old_premiered_date(app, client, seed):
    """The year edited on a published, enriched movie and published at once (no enrich): its
    premiered date of TMDB's year stayed in the NFO, and Kodi read that year over the user's."""
    from metarrd.publish import publish_item

    rt = app.extensions["metarrd.runtime"]
    movie = seed.movie("Heat", 1995, premiered="1995-12-15")
    movie.video_path.parent.mkdir(parents=True)
    movie.video_path.write_bytes(b"video")
    client.post(f"/movies/{movie.id}/fields/year", {"value": "1996"}, htmx=True)
    publish_item(rt, db.Movie.get_by_id(movie.id))
    root = etree.fromstring(movie.video_path.with_suffix(".nfo").read_bytes())
    assert root.findtext("premiered") is None and root.findtext("year") == "1996"
    # a premiered date of the year edited stays
    client.post(f"/movies/{movie.id}/fields/premiered", {"value": "1996-01-05"}, htmx=True)
    client.post(f"/movies/{movie.id}/fields/year", {"value": "1996"}, htmx=True)
    assert db.Movie.get_by_id(movie.id).premiered == "1996-01-05"


def test_of_a_year_and_a_date_both_edited_the_last_edit_is_what_kodi_reads(sim_stack):
    """A premiered date the user entered, then a year of another: the NFO held the date (both
    locked), the year edited last was lost in Kodi; and an edited date beside the provider's
    year showed one year on the item page and another in Kodi."""
    client, seed = sim_stack
    movie = seed.movie("The Matrix", 1999, tmdb_id=603, identification_status=db.IDENTIFIED)
    movie.video_path.parent.mkdir(parents=True)
    movie.video_path.write_bytes(b"video")
    client.post(f"/movies/{movie.id}/fields/premiered", {"value": "1998-01-02"}, htmx=True)
    assert db.Movie.get_by_id(movie.id).year == 1998  # the page shows what Kodi will
    root = _enrich_and_publish(client, movie.id)
    assert (root.findtext("premiered"), root.findtext("year")) == ("1998-01-02", "1998")
    assert db.Movie.get_by_id(movie.id).year == 1998  # not TMDB's 1999 beside the date
    # "Change movie…" to the same film sets TMDB's year; the next enrich gives the date's back
    client.post(f"/movies/{movie.id}/identify", {"id": "603"}, htmx=True)
    assert _enrich_and_publish(client, movie.id).findtext("year") == "1998"
    assert db.Movie.get_by_id(movie.id).year == 1998
    client.post(f"/movies/{movie.id}/fields/year", {"value": "2001"}, htmx=True)
    root = _enrich_and_publish(client, movie.id)
    assert (root.findtext("premiered"), root.findtext("year")) == (None, "2001")
    # a date of a year no year field takes (a typo) leaves the year as it is
    client.post(f"/movies/{movie.id}/fields/premiered", {"value": "0199-03-31"}, htmx=True)
    assert db.Movie.get_by_id(movie.id).year == 2001


def test_an_edited_title_is_not_sorted_by_the_providers(sim_stack):
    """Kodi lists movies by `<sorttitle>`. The sort title derived from TMDB's title ("The
    Matrix" -> "Matrix") stayed beside the title the user edited and locked, before an enrich
    and after it: "Neo Rising" was filed under M."""
    client, seed = sim_stack
    movie = seed.movie("The Matrix", 1999, tmdb_id=603, identification_status=db.IDENTIFIED)
    movie.video_path.parent.mkdir(parents=True)
    movie.video_path.write_bytes(b"video")
    assert _enrich_and_publish(client, movie.id).findtext("sorttitle") == "Matrix"
    client.post(f"/movies/{movie.id}/fields/title", {"value": "Neo Rising"}, htmx=True)
    assert db.Movie.get_by_id(movie.id).sort_title is None
    root = _enrich_and_publish(client, movie.id)
    assert root.findtext("title") == "Neo Rising" and root.findtext("sorttitle") is None
    client.post(f"/movies/{movie.id}/fields/title", {"value": "The Neo Rising"}, htmx=True)
    assert _enrich_and_publish(client, movie.id).findtext("sorttitle") == "Neo Rising"
    # a sort title of the user's own stays whatever the title, even unlocked again
    client.post(f"/movies/{movie.id}/fields/sort_title", {"value": "Matrix 0"}, htmx=True)
    client.post(f"/movies/{movie.id}/fields/sort_title/lock", htmx=True)
    client.post(f"/movies/{movie.id}/fields/title", {"value": "A Neo"}, htmx=True)
    assert _enrich_and_publish(client, movie.id).findtext("sorttitle") == "Matrix 0"


def test_a_shows_edited_year_is_the_year_kodi_reads_in_tvshow_nfo(tmp_path, tv_app):
    """The same for a show (Firefly, first aired 2002-09-20 on TMDB): Kodi reads a show's year
    from `<premiered>` in `tvshow.nfo` too."""
    from metarrd.enrich import enrich_item
    from metarrd.publish import publish_item

    rt, client = tv_app
    video, show = _enriched_show(
        rt, tmp_path, "Firefly (2002)/Season 01/Firefly - S01E01 - The Train Job.mkv"
    )
    assert db.Movie.get_by_id(show.id).premiered == "2002-09-20"
    client.post(f"/movies/{show.id}/fields/year", {"value": "2003"}, htmx=True)
    # a movie's edited title takes its derived sort title along; no TV item has one derived
    # (enrich gives a show none, an episode's NFO writes none): an edit gives none either
    client.post(f"/movies/{show.id}/fields/title", {"value": "The Firefly"}, htmx=True)
    episode = db.Movie.get(db.Movie.kind == db.EPISODE)
    client.post(f"/movies/{episode.id}/fields/title", {"value": "The Train"}, htmx=True)
    assert db.Movie.get_by_id(episode.id).sort_title is None
    enrich_item(rt, db.Movie.get_by_id(show.id))
    publish_item(rt, db.Movie.get_by_id(show.id))
    root = etree.fromstring((video.parent.parent / "tvshow.nfo").read_bytes())
    assert (root.findtext("premiered"), root.findtext("year")) == (None, "2003")
    assert (root.findtext("title"), root.findtext("sorttitle")) == ("The Firefly", None)


def test_change_movie_takes_the_new_films_sort_title(sim_stack):
    """ "Change movie…" from The Matrix (sort title "Matrix", derived) to The Thing (TMDB 1091):
    the old film's sort title stayed, and Kodi, which lists by `<sorttitle>`, filed The Thing
    under M. A title or sort title the user locked stays as it is."""
    client, seed = sim_stack
    movie = seed.movie("The Matrix", 1999, tmdb_id=603, identification_status=db.IDENTIFIED)
    movie.video_path.parent.mkdir(parents=True)
    movie.video_path.write_bytes(b"video")
    assert _enrich_and_publish(client, movie.id).findtext("sorttitle") == "Matrix"
    client.post(f"/movies/{movie.id}/identify", {"id": "1091"}, htmx=True)
    root = _enrich_and_publish(client, movie.id)
    assert (root.findtext("title"), root.findtext("sorttitle")) == ("The Thing", "Thing")
    client.post(f"/movies/{movie.id}/fields/sort_title", {"value": "Carpenter 1"}, htmx=True)
    client.post(f"/movies/{movie.id}/identify", {"id": "603"}, htmx=True)
    root = _enrich_and_publish(client, movie.id)
    assert (root.findtext("title"), root.findtext("sorttitle")) == ("The Matrix", "Carpenter 1")


def test_the_fields_an_edit_changes_along_are_shown_as_they_now_are(app, client, seed):
    """The page swaps in the edited field; the premiered date the edited year cleared (and the
    sort title an edited title took along) still showed their old values until a reload."""
    movie = seed.movie("The Matrix", 1999, premiered="1999-03-30", sort_title="Matrix")
    page = client.post(f"/movies/{movie.id}/fields/year", {"value": "2001"}, htmx=True)
    html = page.get_data(as_text=True)
    assert 'id="field-premiered" hx-swap-oob="true"' in html
    oob = html.split('id="field-premiered" hx-swap-oob="true"', 1)[1].split("</div>", 3)
    assert "1999-03-30" not in "".join(oob[:3]) and "—" in "".join(oob[:3])
    assert 'id="field-sort_title"' not in html  # unchanged: not sent
    html = client.post(f"/movies/{movie.id}/fields/title", {"value": "Neo"}, htmx=True).get_data(
        as_text=True
    )
    assert 'id="field-sort_title" hx-swap-oob="true"' in html
    assert 'id="field-premiered"' not in html


def test_a_shows_status_and_an_episodes_air_date_edited_hold_and_reach_the_nfos(tmp_path, tv_app):
    """tinyMediaManager and MediaElch users edit a show's status (TMDB says "Returning Series"
    of shows long ended) and an episode's air date (TMDB's is wrong for a regional airing), and
    expect the edit to lock the field. Neither was on the review pages. The edit is locked, an
    enrich keeps it, and Kodi reads it: `<status>` of tvshow.nfo, `<aired>` of the episode's
    own block in a file of two episodes (kodi-tv.md 2.2, 2.4); the second keeps TMDB's."""
    from metarrd.enrich import enrich_item
    from metarrd.publish import publish_item

    rt, client = tv_app
    video, show = _enriched_show(
        rt, tmp_path, "Tenfold Harbour (2011)/Season 01/Tenfold Harbour - S01E01E02.mkv"
    )
    episode = db.Movie.get(db.Movie.kind == db.EPISODE)
    tmdbs = [block["aired"] for block in episode.episode_details]
    assert db.Movie.get_by_id(show.id).status == "Returning Series" and tmdbs[0]
    page = client.get(f"/movies/{show.id}").get_data(as_text=True)
    assert 'id="field-status"' in page
    assert 'id="field-aired"' in client.get(f"/movies/{episode.id}").get_data(as_text=True)

    assert (
        client.post(f"/movies/{show.id}/fields/status", {"value": " Ended "}, htmx=True).status_code
        == 200
    )
    for typo in ("2011-02-30", "14/09/2011", "2011-9-14x"):  # not a day of the calendar
        answer = client.post(f"/movies/{episode.id}/fields/aired", {"value": typo}, htmx=True)
        assert answer.status_code == 422 and "is not a date" in answer.get_data(as_text=True)
    assert "aired" not in db.Movie.get_by_id(episode.id).locked_fields
    client.post(f"/movies/{episode.id}/fields/aired", {"value": "2011-09-14"}, htmx=True)
    assert "status" in db.Movie.get_by_id(show.id).locked_fields
    assert "aired" in db.Movie.get_by_id(episode.id).locked_fields

    enrich_item(rt, db.Movie.get_by_id(show.id))
    publish_item(rt, db.Movie.get_by_id(show.id))
    assert db.Movie.get_by_id(show.id).status == "Ended"
    assert db.Movie.get_by_id(episode.id).aired == "2011-09-14"
    tvshow = etree.fromstring((video.parent.parent / "tvshow.nfo").read_bytes())
    assert tvshow.findtext("status") == "Ended"
    blocks = _blocks(video.with_suffix(".nfo"))
    assert [b.findtext("aired") for b in blocks] == ["2011-09-14", tmdbs[1]]

    # an empty date clears it, as a movie's premiered date, and stays locked: no `<aired>`
    client.post(f"/movies/{episode.id}/fields/aired", {"value": ""}, htmx=True)
    enrich_item(rt, db.Movie.get_by_id(show.id))
    publish_item(rt, db.Movie.get_by_id(show.id))
    blocks = _blocks(video.with_suffix(".nfo"))
    assert [b.findtext("aired") for b in blocks] == [None, tmdbs[1]]
    # unlocked, the next enrich brings TMDB's date back
    client.post(f"/movies/{episode.id}/fields/aired/lock", htmx=True)
    enrich_item(rt, db.Movie.get_by_id(show.id))
    assert db.Movie.get_by_id(episode.id).aired == tmdbs[0]


def test_a_status_or_an_air_date_is_no_field_of_a_movie(client, seed):
    """A movie's NFO writes neither (Kodi reads `<status>` and `<aired>` of TV NFOs only)."""
    movie = seed.movie("Heat", 1995)
    for name in ("status", "aired"):
        assert client.post(f"/movies/{movie.id}/fields/{name}", {"value": "x"}).status_code == 404
        assert client.get(f"/movies/{movie.id}/fields/{name}/edit").status_code == 404
    assert 'id="field-status"' not in client.get(f"/movies/{movie.id}").get_data(as_text=True)


def _blocks(path) -> etree._Element:
    """An episode file's NFO (one declaration, a block per episode) as one element."""
    return etree.fromstring(b"<r>" + path.read_bytes().split(b"?>", 1)[1] + b"</r>")


def test_an_edited_air_date_of_a_daily_shows_episode_keeps_its_episode(tmp_path, tv_app):
    """A daily show's file is matched by the date in its name (`The Daily Show - 2024-01-09`,
    Sonarr's daily format). The air date the user edited (a regional airing a day later) and
    locked was set back to the name's by the next scan and to TMDB's by the next identify, and
    an identify by the edited date would take another night's episode: the name's date picks
    the episode, the edited one is what Kodi reads."""
    from metarrd.enrich import enrich_item
    from metarrd.identify import identify_many
    from metarrd.publish import publish_item
    from metarrd.scan import scan

    rt, client = tv_app
    video, show = _enriched_show(
        rt, tmp_path, "The Daily Show/Season 29/The Daily Show - 2024-01-09 - Guest.mkv"
    )
    episode = db.Movie.get(db.Movie.kind == db.EPISODE)
    tmdb_id = episode.tmdb_id
    assert episode.aired == "2024-01-09" and tmdb_id
    client.post(f"/movies/{episode.id}/fields/aired", {"value": "2024-01-10"}, htmx=True)
    os.utime(video, ns=(video.stat().st_atime_ns, video.stat().st_mtime_ns + 10**9))
    scan(rt)
    identify_many(rt, [show.id], threads=1)
    identify_many(rt, [episode.id], threads=1)
    enrich_item(rt, db.Movie.get_by_id(show.id))
    publish_item(rt, db.Movie.get_by_id(show.id))
    episode = db.Movie.get_by_id(episode.id)
    assert (episode.tmdb_id, episode.aired) == (tmdb_id, "2024-01-10")
    assert _blocks(video.with_suffix(".nfo"))[0].findtext("aired") == "2024-01-10"


def test_a_later_episodes_edited_title_and_plot_are_what_kodi_reads_after_enrich(
    tmp_path, simulator
):
    """`Breaking Bad S01E04E05.mkv` (Sonarr's "Repeat" style): Kodi reads one `<episodedetails>`
    block per episode and shows each episode with its own block's title and plot (kodi-tv.md
    2.4). The user corrects the second episode's title and plot on the item page (TMDB's
    stand-in "Episode 5", or text in another language): the next enrich against the provider
    put TMDB's back into that block. Now the edit locks that episode's own fields: the block
    keeps them through the enrich; the first block and the item stay TMDB's, unlocked."""
    from metarrd.enrich import enrich_item
    from metarrd.publish import publish_item
    from metarrd.web import create_app
    from tests.publish.test_tv_publish import blocks
    from tests.tv.conftest import tv_config
    from tests.web.conftest import Client

    app = create_app(tv_config(tmp_path, simulator), testing=True)
    rt = app.extensions["metarrd.runtime"]
    try:
        client = Client(app.test_client())
        video, show = _enriched_show(
            rt, tmp_path, "Breaking Bad (2008)/Season 01/Breaking Bad S01E04E05.mkv"
        )
        double = db.Movie.get(db.Movie.path == str(video))
        tmdb = [(d["title"], d["plot"]) for d in double.episode_details]
        assert tmdb[1][0] == "Gray Matter"

        plot = "Walt's family stages an intervention.\r\nSkyler urges him to get treatment."
        for name, value in (("title-2", "Grey Matter"), ("plot-2", plot)):
            answer = client.post(f"/movies/{double.id}/fields/{name}", {"value": value}, htmx=True)
            assert answer.status_code == 200, name
        enrich_item(rt, db.Movie.get_by_id(show.id))
        publish_item(rt, db.Movie.get_by_id(show.id))
        e4, e5 = blocks(video.with_suffix(".nfo"))
        assert (e4.findtext("episode"), e5.findtext("episode")) == ("4", "5")
        assert (e4.findtext("title"), e4.findtext("plot")) == tmdb[0]
        assert e5.findtext("title") == "Grey Matter"
        assert e5.findtext("plot") == plot.replace("\r\n", "\n")
        assert db.Movie.get_by_id(double.id).title == tmdb[0][0]

        # unlocked, the provider's come back with the next enrich
        for name in ("title-2", "plot-2"):
            client.post(f"/movies/{double.id}/fields/{name}/lock", htmx=True)
        enrich_item(rt, db.Movie.get_by_id(show.id))
        publish_item(rt, db.Movie.get_by_id(show.id))
        e4, e5 = blocks(video.with_suffix(".nfo"))
        assert (e5.findtext("title"), e5.findtext("plot")) == tmdb[1]
    finally:
        rt.close()


def test_change_movie_gives_back_a_type_whose_chosen_image_was_the_old_films(sim_stack):
    """The user chose The Matrix's second TMDB poster (choosing locks its type), then "Change
    movie…" to The Thing: the old film's poster went, its type's lock stayed, and the new
    film's enrich, which leaves a locked type as it is, chose no poster, for good: Kodi showed
    none. The lock goes with the image it held; a type locked with nothing chosen stays locked
    (the user wants none of it), and one whose chosen image is the user's own stays too
    (tests/web/test_user_images.py)."""
    from metarrd.enrich import change_selection, enrich_item

    client, seed = sim_stack
    rt = client.application.extensions["metarrd.runtime"]
    movie = seed.movie("The Matrix", 1999, tmdb_id=603, identification_status=db.IDENTIFIED)
    movie.video_path.parent.mkdir(parents=True)
    movie.video_path.write_bytes(b"video")
    enrich_item(rt, db.Movie.get_by_id(movie.id))
    A = db.ArtworkCandidate
    posters = A.select().where(A.movie == movie.id, A.asset_type == "poster")
    second = posters.where(~A.is_selected).first()
    change_selection(seed.config, second.id, "use")
    none = "discart"  # the user wants none: its one removed, which locks it empty
    disc = A.get(A.movie == movie.id, A.asset_type == none, A.is_selected)
    change_selection(seed.config, disc.id, "remove")
    assert not A.select().where(A.movie == movie.id, A.asset_type == none, A.is_selected).exists()
    assert db.Movie.get_by_id(movie.id).locked_asset_types == ["poster", none]

    client.post(f"/movies/{movie.id}/identify", {"id": "1091"}, htmx=True)
    assert db.Movie.get_by_id(movie.id).locked_asset_types == [none]
    root = _enrich_and_publish(client, movie.id)
    assert root.findtext("title") == "The Thing"
    # the posters chosen by the new film's enrich (two by default: any row of them, unordered)
    chosen = A.select().where(A.movie == movie.id, A.asset_type == "poster", A.is_selected)
    assert sorted((c.selected_by, c.rank) for c in chosen)[0] == ("auto", 1)
    assert list(movie.video_path.parent.glob("*poster*"))
    assert not A.select().where(A.movie == movie.id, A.asset_type == none, A.is_selected).exists()

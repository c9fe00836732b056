"""A user's NFO in the library, scanned then published over: the ids and ratings of theirs that
metarrd does not manage are written back beside its own, in a file Kodi reads the same way.
The NFOs are real ones from other tools' test suites (tests/nfo/SOURCES.md)."""

from __future__ import annotations

import shutil
from pathlib import Path

from lxml import etree

from metarrd import db
from metarrd.publish import publish_item
from metarrd.publish.nfo import MovieData, render_nfo
from metarrd.publish.tv_nfo import Rating, ShowData, render_tvshow
from metarrd.scan import nfo_read as nfo
from metarrd.scan import scan
from metarrd.scan.nfo_read import read_nfo
from metarrd.scan.tv_nfo import read_show_nfo

TESTS = Path(__file__).resolve().parents[1]
NFO = TESTS / "nfo"
VIDEO = TESTS / "media" / "h264_aac_2audio_sub.mkv"


def scan_and_publish(rt, nfo_name: str, name: str, **ids) -> etree._Element:
    """Scan `<name>/<name>.mkv` beside the user's NFO, identify it as `ids`, publish; our NFO."""
    folder = Path(rt.config.library[0].path) / name
    folder.mkdir(parents=True)
    shutil.copyfile(VIDEO, folder / f"{name}.mkv")
    shutil.copyfile(NFO / nfo_name, folder / f"{name}.nfo")
    scan(rt)
    movie = db.Movie.get()
    for column, value in ids.items():
        setattr(movie, column, value)
    movie.identification_status = db.ENRICHED
    movie.save()
    publish_item(rt, db.Movie.get_by_id(movie.id))
    nfo = folder / f"{name}.nfo"
    assert nfo.read_bytes() != (NFO / nfo_name).read_bytes()  # ours now
    return etree.fromstring(nfo.read_bytes())


def ratings(root: etree._Element) -> list[tuple[str, str, str | None, str | None]]:
    return [
        (r.get("name"), r.findtext("value"), r.findtext("votes"), r.get("default"))
        for r in root.findall("ratings/rating")
    ]


def uniqueids(root: etree._Element) -> list[tuple[str, str, str | None]]:
    return [(u.get("type"), u.text, u.get("default")) for u in root.findall("uniqueid")]


def test_the_users_uniqueid_of_another_type_is_kept_and_ours_is_the_only_default(rt):
    # Jellyfin's test NFO holds only its collection id, as `uniqueid type="tmdbcol"`
    root = scan_and_publish(
        rt, "jellyfin-lilo-and-stitch.nfo", "Lilo & Stitch (2002)", tmdb_id=11544
    )
    assert uniqueids(root) == [("tmdb", "11544", "true"), ("tmdbcol", "97020", "false")]


def test_a_tvshow_nfo_keeps_the_users_tvmaze_id():
    # MediaElch's Kodi v20 tvshow.nfo: imdb (default), tvmaze, tvdb; Sonarr writes tvmaze too
    user = read_nfo(NFO / "mediaelch-kodi_v20_show_Game_of_Thrones_TvDb_episode_guide.nfo")
    show = ShowData(
        title="Game of Thrones",
        tmdb_id=1399,
        tvdb_id=user.tvdb_id,
        imdb_id=user.imdb_id,
        ratings=(Rating("tmdb", 8.4, 21000, default=True),),
        extra=tuple(user.unknown_elements),
    )
    root = etree.fromstring(render_tvshow(show))
    assert uniqueids(root) == [
        ("tmdb", "1399", "true"),
        ("tvdb", "121361", None),
        ("imdb", "tt0944947", None),
        ("tvmaze", "82", None),
    ]


def test_the_users_other_ratings_are_kept_by_name_and_theirs_stays_the_default(rt):
    # Jellyfin's Justice League: imdb (the default), metacritic, themoviedb, two tomatometers
    root = scan_and_publish(rt, "jellyfin-justice-league.nfo", "Justice League (2017)")
    assert ratings(root) == [
        ("tmdb", "6.2", "7788", None),  # TMDB's: their themoviedb one, under our name
        ("metacritic", "4.500000", "52", None),
        ("tomatometerallcritics", "7.6", "71", None),
        ("tomatometerallaudience", "6.2", "119873", None),
        ("imdb", "6.400000", "335583", "true"),  # never written as name="tmdb"
    ]
    assert all(r.get("max") == "10" for r in root.findall("ratings/rating"))


def test_a_tvshow_nfo_keeps_the_users_tvdb_rating():
    user = read_nfo(NFO / "mediaelch-kodi_v20_show_Game_of_Thrones_TvDb_episode_guide.nfo")
    show = ShowData(
        title="Game of Thrones",
        tmdb_id=1399,
        ratings=(Rating("tmdb", 8.4, 21000, default=True),),
        extra=tuple(user.unknown_elements),
    )
    root = etree.fromstring(render_tvshow(show))
    assert ratings(root) == [("tmdb", "8.4", "21000", None), ("tvdb", "9.5", "1783", "true")]


def test_jellyfins_collection_id_on_the_set_is_kept(rt):
    """Jellyfin writes a movie's TMDB collection id as `<set tmdbcolid="702342">` (its test
    NFO, Justice League) and reads it back as the collection's id; Emby does too. Published,
    the set was ours without it. It is kept while the set is the same collection (its name)."""
    root = scan_and_publish(
        rt, "jellyfin-justice-league.nfo", "Justice League (2017)", tmdb_id=141052
    )
    [collection] = root.findall("set")
    assert collection.get("tmdbcolid") == "702342"
    assert collection.findtext("name") == "Justice League Collection"
    assert collection.findtext("overview") == "Based on the DC Comics superhero team"


def test_the_collection_id_of_another_set_is_not_carried_over():
    """Enrich put the movie in another collection: the user's collection id is that other
    collection's, and is not written on ours. The pre-Jarvis `<set tmdbcolid="…">Name</set>`
    (Jellyfin's own test NFO) is matched by its text."""
    data = nfo.parse_nfo(
        (NFO / "jellyfin.nfo").read_bytes(), Path("jellyfin.nfo")
    )  # <set tmdbcolid="726871">Dune Collection</set>
    assert data.fields["set_name"] == "Dune Collection"
    same = etree.fromstring(
        render_nfo(
            MovieData(title="Dune", set_name="Dune Collection", extra=tuple(data.unknown_elements))
        )
    )
    assert same.find("set").get("tmdbcolid") == "726871"
    other = etree.fromstring(
        render_nfo(
            MovieData(title="Dune", set_name="Other Collection", extra=tuple(data.unknown_elements))
        )
    )
    assert other.find("set").get("tmdbcolid") is None and len(other.findall("set")) == 1


def test_emby_and_jellyfins_second_spellings_are_not_written_back_stale(rt):
    """Emby and Jellyfin write a movie's date twice (`<premiered>`, `<releasedate>`) and its
    writers twice (`<writer>`, `<credits>`: BaseNfoSaver), and read both, the last met winning.
    Kept as the user's elements after ours, the old date and writers came back in Jellyfin over
    what enrich found; they are read as the date and the writers, and written once, as Kodi's."""
    root = scan_and_publish(
        rt,
        "tmm-emby_multiple_sets.nfo",
        "28 Days Later (2002)",
        tmdb_id=170,
        premiered="2002-11-01",  # as enrich may find it
        writers=["Alex Garland"],
    )
    assert root.findtext("premiered") == "2002-11-01"
    assert root.find("releasedate") is None and root.find("writer") is None
    assert [c.text for c in root.iterfind("credits")] == ["Alex Garland"]


def test_a_hostile_season_number_in_the_users_tvshow_nfo_does_not_stop_the_publish():
    """A `<namedseason>` whose number has 5,000 digits (past Python's int limit) made the
    tvshow.nfo's render raise, so the show could not be published. Publish now reads the
    user's season names as the scan does (`metarrd.identify.named_seasons`): that one is left out,
    the others kept."""
    huge = '<namedseason number="' + "9" * 5000 + '">Huge</namedseason>'
    show = ShowData(
        title="T",
        extra=(huge, '<namedseason number="2">Two</namedseason>'),
        named_seasons=((1, "One"),),
    )
    root = etree.fromstring(render_tvshow(show))
    assert [(e.get("number"), e.text) for e in root.iter("namedseason")] == [
        ("1", "One"),
        ("2", "Two"),
    ]


def test_the_users_stream_details_stay_when_the_scan_has_none(rt):
    # A .strm (the URL of a stream) has nothing to read: the user's NFO is where Kodi finds its
    # codec, size and audio flags. Published over, it lost them. (Jellyfin's test NFO.)
    folder = Path(rt.config.library[0].path) / "Justice League (2017)"
    folder.mkdir(parents=True)
    (folder / "Justice League (2017).strm").write_text("http://192.0.2.1/jl.m3u8\n")
    shutil.copyfile(NFO / "jellyfin-justice-league.nfo", folder / "Justice League (2017).nfo")
    scan(rt)
    movie = db.Movie.get()
    movie.tmdb_id, movie.identification_status = 141052, db.ENRICHED
    movie.save()
    publish_item(rt, db.Movie.get_by_id(movie.id))

    root = etree.fromstring((folder / "Justice League (2017).nfo").read_bytes())
    (details,) = root.findall("fileinfo/streamdetails")
    assert details.findtext("video/codec") == "h264"
    assert [a.findtext("codec") for a in details.findall("audio")] == ["truehd", "ac3"]
    assert root.findtext("uniqueid[@type='tmdb']") == "141052"  # ours, the rest of the file


def test_our_stream_details_replace_the_users(rt):
    root = scan_and_publish(rt, "jellyfin-justice-league.nfo", "Justice League (2017)")
    (details,) = root.findall("fileinfo/streamdetails")
    assert [a.findtext("codec") for a in details.findall("audio")] == ["aac", "ac3"]


# --- the user's cast ---------------------------------------------------------------------------


def _actors(root: etree._Element) -> list[tuple[str | None, str | None, str | None]]:
    return [
        (a.findtext("name"), a.findtext("role"), a.findtext("order")) for a in root.iter("actor")
    ]


def test_the_users_cast_is_kept_when_the_cast_is_locked(config_factory, simulator, tmp_path):
    """A user who locked the cast (the item page's lock, or Jellyfin's `<lockedfields>Cast` /
    `<lockdata>true`) keeps it "as is": the cast of their NFO (MediaElch's Alien, ten actors),
    never taken into the item, came out as no `<actor>` at all in the NFO metarrd published."""
    from metarrd.enrich import enrich_item
    from metarrd.identify import identify_many
    from metarrd.runtime import open_runtime

    library = tmp_path / "movies"
    folder = library / "Alien (1979)"
    folder.mkdir(parents=True)
    shutil.copyfile(VIDEO, folder / "Alien (1979).mkv")
    shutil.copyfile(NFO / "mediaelch-kodi_v18_Alien_1979.nfo", folder / "Alien (1979).nfo")
    users = _actors(etree.parse(str(NFO / "mediaelch-kodi_v18_Alien_1979.nfo")).getroot())
    assert len(users) == 10
    rt = open_runtime(config_factory(simulator, libraries={"Movies": library}))
    try:
        scan(rt)
        movie = db.Movie.get()
        movie.locked_fields = [*(movie.locked_fields or []), "cast"]
        movie.save()
        identify_many(rt, [movie.id], threads=1)
        assert db.Movie.get_by_id(movie.id).tmdb_id == 348
        enrich_item(rt, db.Movie.get_by_id(movie.id))
        publish_item(rt, db.Movie.get_by_id(movie.id))
        root = etree.parse(str(folder / "Alien (1979).nfo")).getroot()
        assert _actors(root) == users
        assert root.find("actor/thumb").text.startswith("http://image.tmdb.org/t/p/original/")
    finally:
        rt.close()


def test_a_jellyfin_nfo_with_all_fields_locked_keeps_its_cast(rt):
    text = (NFO / "jellyfin-justice-league.nfo").read_text(encoding="utf-8")
    user = nfo.parse_nfo(
        text.replace("<title>", "<lockdata>true</lockdata><title>", 1).encode(), Path("j.nfo")
    )
    assert user.lock_all
    root = etree.fromstring(
        render_nfo(MovieData(title="Justice League", extra=tuple(user.unknown_elements)))
    )
    assert len(_actors(root)) == 16 == len(user.actors)
    assert _actors(root)[0] == ("Ben Affleck", "Batman", "0")


def test_our_cast_replaces_the_users_when_we_have_one():
    from metarrd.publish.nfo import CastMember

    user = read_nfo(NFO / "mediaelch-kodi_v18_Alien_1979.nfo")
    ours = (CastMember("Sigourney Weaver", "Ripley", 0, "https://image.tmdb.org/t/p/w1.jpg"),)
    root = etree.fromstring(
        render_nfo(MovieData(title="Alien", actors=ours, extra=tuple(user.unknown_elements)))
    )
    assert _actors(root) == [("Sigourney Weaver", "Ripley", "0")]


def test_a_tvshow_nfo_keeps_the_users_cast_when_the_show_has_none():
    """The same for a show: MediaElch's Torchwood `tvshow.nfo`, its cast locked before ENRICH."""
    user = read_show_nfo(NFO / "mediaelch-kodi_v18_show_Torchwood.nfo").data
    root = etree.fromstring(
        render_tvshow(ShowData(title="Torchwood", extra=tuple(user.unknown_elements)))
    )
    assert [name for name, _, _ in _actors(root)][:2] == ["John Barrowman", "Eve Myles"]
    assert len(_actors(root)) == len(user.actors) > 2


def test_the_users_tags_stay_beside_tmdbs_keywords(
    config_factory, simulator, tmp_path, monkeypatch
):
    """`<tag>`s are the user's collections (Kodi's smart playlists filter by them; tinyMediaManager
    and Radarr write them): MediaElch's Alien with two tags of the user's came out of enrich with
    TMDB's four keywords instead. The user's stay first; a keyword TMDB drops goes, theirs not."""
    from metarrd.enrich import enrich_item
    from metarrd.identify import identify_many
    from metarrd.runtime import open_runtime

    library = tmp_path / "movies"
    folder = library / "Alien (1979)"
    folder.mkdir(parents=True)
    shutil.copyfile(VIDEO, folder / "Alien (1979).mkv")
    text = (NFO / "mediaelch-kodi_v18_Alien_1979.nfo").read_text(encoding="utf-8")
    mine = "<tag>Favourites</tag><tag>Watched with Dad</tag>"
    (folder / "Alien (1979).nfo").write_text(text.replace("</movie>", mine + "</movie>"))
    keywords = ["spaceship", "android", "alien life-form", "space horror"]
    assert simulator.catalog.get(348).keywords == keywords
    rt = open_runtime(config_factory(simulator, libraries={"Movies": library}))
    try:
        scan(rt)
        movie = db.Movie.get()
        identify_many(rt, [movie.id], threads=1)
        enrich_item(rt, db.Movie.get_by_id(movie.id))
        assert db.Movie.get_by_id(movie.id).tags == ["Favourites", "Watched with Dad", *keywords]
        publish_item(rt, db.Movie.get_by_id(movie.id))
        root = etree.parse(str(folder / "Alien (1979).nfo")).getroot()
        assert [t.text for t in root.iter("tag")] == ["Favourites", "Watched with Dad", *keywords]

        monkeypatch.setattr(simulator.catalog.get(348), "keywords", keywords[1:])
        enrich_item(rt, db.Movie.get_by_id(movie.id))  # TMDB dropped "spaceship"
        movie = db.Movie.get_by_id(movie.id)
        assert movie.tags == ["Favourites", "Watched with Dad", *keywords[1:]]
        assert movie.publish_state == db.OUTDATED
    finally:
        rt.close()


def test_a_locked_year_beats_the_premiered_date_of_the_users_nfo_read_again(rt):
    """The user edited the year (locked) of a movie whose NFO is MediaElch's Kodi v18 NFO of
    Alien (premiered 1979-05-25), then let MediaElch write that NFO anew (a tagline changed): the
    scan read it again and took its date back, and the publish wrote `<premiered>1979-05-25`
    with `<year>1979</year>` (the year follows the date): Kodi, which reads the year from
    `<premiered>` (kodi.md), showed 1979."""
    from metarrd.web import edits

    name = "Alien (1979)"
    scan_and_publish(rt, "mediaelch-kodi_v18_Alien_1979.nfo", name, tmdb_id=348)
    movie = db.Movie.get()
    edits.set_field(movie.id, "year", "1980")  # the item page's edit
    folder = Path(rt.config.library[0].path) / name
    text = (NFO / "mediaelch-kodi_v18_Alien_1979.nfo").read_text(encoding="utf-8")
    text = text.replace("<tagline>In space", "<tagline>In deep space")
    (folder / f"{name}.nfo").write_text(text, encoding="utf-8")
    scan(rt, [folder])
    assert db.Movie.get_by_id(movie.id).tagline.startswith("In deep space")  # it was read
    publish_item(rt, db.Movie.get_by_id(movie.id))
    root = etree.fromstring((folder / f"{name}.nfo").read_bytes())
    assert (root.findtext("premiered"), root.findtext("year")) == (None, "1980")

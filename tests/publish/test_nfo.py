"""The NFO: golden files byte for byte, and every docs/kodi-layout.md rule on its own.

Regenerate the golden files deliberately with `METARRD_REGEN_GOLDEN=1 pytest tests/publish`,
then read the diff before committing it."""

from __future__ import annotations

import os
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import pytest
from lxml import etree

from metarrd import db
from metarrd.publish import movie_data
from metarrd.publish.nfo import (
    SLASH_LOOKALIKE,
    AudioDetails,
    CastMember,
    MovieData,
    Rating,
    SubtitleDetails,
    VideoDetails,
    has_scraper_url,
    premiered_and_year,
    render_nfo,
    single_values,
)

GOLDEN = Path(__file__).resolve().parent.parent / "golden"

FULL = MovieData(
    title="The Matrix",
    original_title="The Matrix",
    sort_title="Matrix 1",
    plot="A hacker learns the truth. More at https://www.themoviedb.org/movie/603 "
    "and http://www.imdb.com/title/tt0133093/.",
    outline="A hacker learns the truth.",
    tagline="Welcome to the Real World.",
    runtime=136,
    mpaa="US:R",
    premiered="1999-03-30",
    year=1998,  # wrong on purpose: the year follows premiered
    ratings=(Rating("imdb", 8.7, 2_000_000), Rating("tmdb", 8.217, 25634, default=True)),
    tmdb_id=603,
    imdb_id="tt0133093",
    tvdb_id=169,
    genres=("Action / Science Fiction", "Sci-Fi/Fantasy", "action"),
    countries=("United States of America",),
    studios=("Warner Bros. Pictures", "Village Roadshow Pictures"),
    directors=("Lana Wachowski, Lilly Wachowski",),
    writers=("Lana Wachowski", "Lilly Wachowski"),
    tags=("9/11", "artificial intelligence"),
    set_name="The Matrix Collection",
    set_overview="The Matrix films & more <3",
    trailer="plugin://plugin.video.youtube/play/?video_id=vKQi3bBA1y8",
    actors=(
        CastMember("Keanu Reeves", "Neo", 0, "https://image.tmdb.org/t/p/original/keanu.jpg"),
        CastMember("Carrie-Anne Moss", "Trinity", 1, ".actors/Carrie-Anne_Moss.jpg"),
        CastMember("Hugo Weaving", "Agent Smith", 2, None),
    ),
    video=(VideoDetails("H264", 2.39, 1920, 800, 8160, "", "hdr10", "eng"),),
    audio=(AudioDetails("DTS", "eng", 6), AudioDetails("ac3", "fra", 2)),
    subtitles=(SubtitleDetails("eng"), SubtitleDetails("fra")),
    date_added=datetime(2024, 5, 6, 7, 8, 9),
    extra=(
        "<watched>true</watched>",
        '<mytool version="2"><note>keep me, see imdb.com/title/tt0133093</note></mytool>',
        "<title>a second title the user had</title>",
        "<broken>",
    ),
)
MINIMAL = MovieData(title="Untitled", tmdb_id=1)


def check_golden(name: str, data: bytes) -> None:
    path = GOLDEN / name
    if os.environ.get("METARRD_REGEN_GOLDEN"):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    assert path.is_file(), f"{path} missing: run with METARRD_REGEN_GOLDEN=1 once"
    assert data == path.read_bytes(), f"{name} differs from the golden file"


def parse(data: bytes) -> etree._Element:
    return etree.fromstring(data)


def test_full_nfo_matches_the_golden_file():
    check_golden("full.nfo", render_nfo(FULL))


def test_minimal_nfo_matches_the_golden_file():
    check_golden("minimal.nfo", render_nfo(MINIMAL))


def test_nfo_from_the_database_matches_the_golden_file(build):
    built = build()
    for actor in built.actors:  # thumbnail URLs carry a per-run counter: pin them
        if not actor.image_cache_path:
            continue
        actor.thumb_url = f"https://image.tmdb.org/t/p/original/{actor.name.split()[0]}.jpg"
        actor.save()
    built.movie.nfo_extra = ["<mytool>keep me</mytool>"]
    built.movie.save()
    check_golden("from_db.nfo", render_nfo(movie_data(db.Movie.get_by_id(built.movie.id))))


def test_output_is_utf8_with_a_declaration_and_one_trailing_newline():
    data = render_nfo(FULL)
    assert data.startswith(b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<movie>')
    assert data.endswith(b"</movie>\n") and not data.endswith(b"\n\n")
    data.decode("utf-8")
    assert render_nfo(FULL) == data  # deterministic


def test_premiered_and_year_agree():
    root = parse(render_nfo(FULL))
    assert root.findtext("premiered") == "1999-03-30"
    assert root.findtext("year") == "1999"
    assert premiered_and_year("2021-09-15", None) == ("2021-09-15", 2021)
    assert premiered_and_year("2021-02-30", 2021) == (None, 2021)  # no such day
    assert premiered_and_year("1984", None) == (None, 1984)
    assert premiered_and_year(None, 99) == (None, None)


def test_ratings_are_on_ten_with_exactly_one_default_written_last():
    root = parse(render_nfo(FULL))
    ratings = root.findall("ratings/rating")
    assert [r.get("name") for r in ratings] == ["imdb", "tmdb"]
    assert all(r.get("max") == "10" for r in ratings)
    assert [r.get("default") for r in ratings] == [None, "true"]
    assert ratings[-1].findtext("value") == "8.2"
    assert ratings[-1].findtext("votes") == "25634"


def test_out_of_range_ratings_are_dropped_and_the_first_valid_one_becomes_default():
    movie = MovieData(title="x", ratings=(Rating("a", 0.0), Rating("b", 72.0), Rating("c", 6.5)))
    ratings = parse(render_nfo(movie)).findall("ratings/rating")
    assert [(r.get("name"), r.get("default")) for r in ratings] == [("c", "true")]
    assert (
        parse(render_nfo(MovieData(title="x", ratings=(Rating("a", -1),)))).find("ratings") is None
    )


def test_the_users_other_ratings_join_ours_with_one_default():
    extra = (
        """<ratings>
          <rating name="themoviedb" max="10" default="true"><value>7.8</value></rating>
          <rating name="metacritic" max="100"><value>78</value><votes>50</votes></rating>
          <rating name="trakt" max="10" default="false"><value>7.5</value></rating>
          <rating name="broken" max="10"><value>0</value></rating>
          <rating><value>7.1</value></rating>
        </ratings>""",
    )
    movie = MovieData(title="x", ratings=(Rating("tmdb", 7.6, 5000, default=True),), extra=extra)
    ratings = parse(render_nfo(movie)).findall("ratings/rating")
    assert [
        (r.get("name"), r.get("max"), r.findtext("value"), r.get("default")) for r in ratings
    ] == [
        ("metacritic", "100", "78", None),  # as written: Kodi scales it
        ("trakt", "10", "7.5", "false"),
        (None, None, "7.1", None),  # unnamed, not taken as TMDB's since themoviedb is there
        ("tmdb", "10", "7.6", "true"),  # theirs was TMDB's: ours replaces it, and its default
    ]
    theirs = extra[0].replace('default="false"', 'default="true"')  # trakt: the user's default
    ratings = parse(render_nfo(replace(movie, extra=(theirs,)))).findall("ratings/rating")
    assert [(r.get("name"), r.get("default")) for r in ratings][-1] == ("trakt", "true")
    assert [r.get("default") for r in ratings].count("true") == 1
    unnamed_only = MovieData(
        title="x", extra=("<ratings><rating><value>7.1</value></rating></ratings>",)
    )
    assert parse(render_nfo(unnamed_only)).find("ratings") is None  # the scan took it as ours


def jellyfin_community_rating(root) -> float | None:
    """Jellyfin 10.8 to 12 (`BaseNfoParser.FetchFromRatingNode`): each `<rating>`'s value as it
    is, whatever its `max`; one named "*tomato*" (not "audience") is the critic rating instead;
    the last one read stays."""
    found = None
    for r in root.findall("ratings/rating"):
        name = (r.get("name") or "").casefold()
        if not ("tomato" in name and "audience" not in name):
            found = float(r.findtext("value"))
    return found


def test_a_users_default_rating_on_another_scale_does_not_become_jellyfins_rating():
    """tinyMediaManager writes Metacritic's score on 0-100 (`<rating name="metascore"
    max="100">`, tests/nfo/tmm-kodi2.nfo) and marks the rating the user prefers as default. Kodi
    scales it (67 -> 6.7) and takes the default wherever it is; Jellyfin takes the last rating
    as it is, so written last it showed 67 out of 10."""
    extra = (
        """<ratings>
          <rating name="imdb" max="10"><value>8.9</value><votes>12345</votes></rating>
          <rating name="metascore" max="100" default="true"><value>67</value></rating>
          <rating name="tomatometerallcritics" max="100"><value>88</value></rating>
        </ratings>""",
    )
    movie = MovieData(title="x", ratings=(Rating("tmdb", 7.6, 5000, default=True),), extra=extra)
    root = parse(render_nfo(movie))
    ratings = root.findall("ratings/rating")
    assert [r.get("name") for r in ratings if r.get("default") == "true"] == ["metascore"]
    assert jellyfin_community_rating(root) == 7.6  # ours, on 0-10, now last
    assert {r.get("name") for r in ratings} == {
        "tmdb",
        "imdb",
        "metascore",
        "tomatometerallcritics",
    }
    # with no rating of ours, the user's own on 0-10 goes last
    root = parse(render_nfo(replace(movie, ratings=())))
    assert jellyfin_community_rating(root) == 8.9
    # a default on 0-10 stays last, as before
    on_ten = (
        extra[0]
        .replace('default="true"', "")
        .replace('name="imdb" max="10"', 'name="imdb" max="10" default="true"')
    )
    root = parse(render_nfo(replace(movie, extra=(on_ten,))))
    assert root.findall("ratings/rating")[-1].get("name") == "imdb"


def test_exactly_one_default_uniqueid_tmdb_first():
    ids = parse(render_nfo(FULL)).findall("uniqueid")
    assert [(u.get("type"), u.text, u.get("default")) for u in ids] == [
        ("tmdb", "603", "true"),
        ("imdb", "tt0133093", None),
        ("tvdb", "169", None),
    ]
    imdb_only = parse(render_nfo(MovieData(title="x", imdb_id="tt0133093"))).findall("uniqueid")
    assert [(u.get("type"), u.get("default")) for u in imdb_only] == [("imdb", "true")]
    bad = parse(render_nfo(MovieData(title="x", tmdb_id=5, imdb_id="nm0000206")))
    assert [u.get("type") for u in bad.findall("uniqueid")] == ["tmdb"]


def test_the_users_other_uniqueids_follow_ours_without_a_second_default():
    extra = (
        '<uniqueid type="tvmaze" default="true">82</uniqueid>',  # Sonarr-style, marked default
        '<uniqueid type="Tmdb">1</uniqueid>',  # ours, in another spelling: not twice
        '<uniqueid type="tvmaze">83</uniqueid>',  # one per type: Kodi's ids are a map by type
        '<uniqueid type="trakt"/>',  # empty
    )
    ids = parse(render_nfo(MovieData(title="x", tmdb_id=5, extra=extra))).findall("uniqueid")
    assert [(u.get("type"), u.text, u.get("default")) for u in ids] == [
        ("tmdb", "5", "true"),
        ("tvmaze", "82", None),
    ]
    alone = parse(render_nfo(MovieData(title="x", extra=extra))).findall("uniqueid")
    assert [(u.get("type"), u.get("default")) for u in alone] == [("tvmaze", "true")]


def test_one_value_per_element_without_separators():
    root = parse(render_nfo(FULL))
    assert [g.text for g in root.findall("genre")] == [
        "Action",
        "Science Fiction",
        f"Sci-Fi{SLASH_LOOKALIKE}Fantasy",
    ]
    assert [d.text for d in root.findall("director")] == ["Lana Wachowski", "Lilly Wachowski"]
    assert [t.text for t in root.findall("tag")][0] == f"9{SLASH_LOOKALIKE}11"
    for tag in ("genre", "country", "studio", "director", "credits", "tag"):
        for el in root.findall(tag):
            assert "/" not in el.text, (tag, el.text)
    for el in root.findall("director"):
        assert "," not in el.text


def test_name_suffixes_stay_with_their_name():
    assert single_values(["Sammy Davis, Jr., Frank Sinatra"], names=True) == [
        "Sammy Davis Jr.",
        "Frank Sinatra",
    ]
    assert single_values(["A; B | C"], names=True) == ["A", "B", "C"]
    assert single_values(["Drama", " drama ", "", "Drama / Crime"]) == ["Drama", "Crime"]


def test_set_has_name_and_overview():
    el = parse(render_nfo(FULL)).find("set")
    assert el.findtext("name") == "The Matrix Collection"
    assert el.findtext("overview") == "The Matrix films & more <3"
    assert parse(render_nfo(MovieData(title="x", set_overview="o"))).find("set") is None


def test_actor_thumbs_are_absolute_urls_only():
    actors = parse(render_nfo(FULL)).findall("actor")
    assert [a.findtext("name") for a in actors] == [
        "Keanu Reeves",
        "Carrie-Anne Moss",
        "Hugo Weaving",
    ]
    assert [a.findtext("order") for a in actors] == ["0", "1", "2"]
    assert actors[0].findtext("thumb") == "https://image.tmdb.org/t/p/original/keanu.jpg"
    assert actors[1].find("thumb") is None  # relative: Kodi would never load it
    assert actors[2].find("thumb") is None


def test_stream_details_in_kodi_spelling():
    details = parse(render_nfo(FULL)).find("fileinfo/streamdetails")
    video = details.find("video")
    assert video.findtext("codec") == "h264"
    assert video.findtext("width") == "1920" and video.findtext("height") == "800"
    assert video.findtext("durationinseconds") == "8160"
    assert video.findtext("hdrtype") == "hdr10"
    assert [a.findtext("codec") for a in details.findall("audio")] == ["dts", "ac3"]
    assert [a.findtext("channels") for a in details.findall("audio")] == ["6", "2"]
    assert [s.findtext("language") for s in details.findall("subtitle")] == ["eng", "fra"]
    assert parse(render_nfo(MINIMAL)).find("fileinfo") is None


def test_dateadded_and_trailer():
    root = parse(render_nfo(FULL))
    assert root.findtext("dateadded") == "2024-05-06 07:08:09"
    assert root.findtext("trailer").startswith("plugin://plugin.video.youtube/")


@pytest.mark.parametrize(
    "text",
    [
        "https://www.themoviedb.org/movie/603-the-matrix",
        "themoviedb.org/movie/603",
        "THEMOVIEDB.ORG/MOVIE/603",
        "http://www.imdb.com/title/tt0133093/",
        "https://m.imdb.com/title/tt0133093",
        "imdb.de/title/tt0133093",
        "http://www.imdb.com/Title?0133093",
        "imdb.com/title/tt1 imdb.com/title/tt2 themoviedb.org/movie/3 themoviedb.org/movie/4",
    ],
)
def test_no_scraper_url_survives_anywhere_and_the_text_reads_back_the_same(text):
    movie = MovieData(
        title=text,
        plot=f"See {text} for more.",
        trailer=text,
        tags=(text,),
        actors=(CastMember("A", text, 0, "https://example.org/" + text),),
        extra=(f'<link href="{text}">{text}</link>',),
    )
    data = render_nfo(movie)
    assert not has_scraper_url(data.decode("utf-8"))
    root = parse(data)
    assert root.findtext("title") == text
    assert root.findtext("plot") == f"See {text} for more."
    assert root.findtext("trailer") == text
    assert root.find("link").get("href") == text
    assert root.findtext("link") == text


def test_elements_the_user_added_are_kept_in_order_and_ours_are_not_duplicated():
    root = parse(render_nfo(FULL))
    tags = [el.tag for el in root]
    assert tags[-2:] == ["watched", "mytool"]
    assert root.find("mytool").get("version") == "2"
    assert root.findtext("mytool/note").startswith("keep me")
    assert len(root.findall("title")) == 1


def test_text_no_xml_can_hold_is_dropped_rather_than_breaking_the_file():
    movie = MovieData(title="Bad\x00 \x07title\ufffe", plot="tab\tand\nnewline stay")
    root = parse(render_nfo(movie))
    assert root.findtext("title") == "Bad title"
    assert root.findtext("plot") == "tab\tand\nnewline stay"


def test_the_users_userrating_is_kept_since_metarrd_does_not_write_one():
    data = render_nfo(MovieData(title="Heat", tmdb_id=949, extra=("<userrating>9</userrating>",)))
    assert data.count(b"<userrating>9</userrating>") == 1

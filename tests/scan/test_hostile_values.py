"""Hostile or odd numbers in the user's NFOs: a value no column can hold (PostgreSQL's INTEGER is
32 bits, SQLite's 64), that int() or float() takes and Kodi does not (`٣`, full-width digits,
`NaN`, `inf`, `1_0`), or that is out of the item page's range is a warning on the item, never
in the database, and the rest of the NFO is read."""

from __future__ import annotations

import shutil
import struct
from pathlib import Path

import pytest

from metarrd import db
from metarrd.db import MAX_TEXT
from metarrd.runtime import open_runtime
from metarrd.scan import scan
from metarrd.scan.nfo_read import parse_nfo
from metarrd.scan.tv_nfo import read_episode_nfo, read_show_nfo
from metarrd.web.fields import INT_FIELDS, parse_field
from tests.tv.conftest import put as put_tv
from tests.tv.conftest import tv_config

from .conftest import SAMPLE

HUGE = "99999999999999999999"  # above SQLite's 64 bits too


def _nfo(body: str):
    return parse_nfo(f"<movie><title>Kept</title>{body}</movie>".encode(), Path("m.nfo"))


@pytest.mark.parametrize(
    ("element", "text"),
    [
        ("votes", HUGE),
        ("votes", str(2**31)),  # PostgreSQL's INTEGER ends at 2**31 - 1
        ("votes", "-5"),
        ("votes", "1e400"),
        ("votes", "0x10"),
        ("votes", "٣٠٠"),  # Arabic-Indic digits: int() takes them
        ("votes", "１２３"),  # full-width digits
        ("votes", "NaN"),
        ("runtime", HUGE),
        ("runtime", "9" * 5000),  # int() refuses 4,300+ digits (ValueError)
        ("runtime", "-90"),
        ("runtime", "٩٠"),
        ("runtime", "inf"),
        ("year", "1"),
        ("year", "99999"),
        ("year", "١٩٩٩"),
        ("year", "１９９９"),
    ],
)
def test_a_number_no_column_takes_is_a_warning_and_the_rest_is_read(element, text):
    nfo = _nfo(f"<{element}>{text}</{element}><plot>Still read.</plot><rating>7</rating>")
    assert element not in nfo.fields and nfo.fields["rating"] == 7
    assert (nfo.fields["title"], nfo.fields["plot"]) == ("Kept", "Still read.")
    assert [w for w in nfo.warnings if w.startswith(element)], nfo.warnings


@pytest.mark.parametrize("text", ["NaN", "inf", "-inf", "1e400", "٧.٥", "7_5", "-3", "85"])
def test_a_rating_that_is_no_rating_is_a_warning(text):
    for body in (
        f"<rating>{text}</rating>",
        f'<ratings><rating name="themoviedb"><value>{text}</value></rating></ratings>',
    ):
        nfo = _nfo(body)
        assert "rating" not in nfo.fields and "ratings" not in nfo.fields
        assert [w for w in nfo.warnings if w.startswith("rating")], nfo.warnings


def test_ordinary_numbers_still_read_as_kodi_reads_them():
    nfo = _nfo(
        "<runtime>136 min</runtime><year>1999</year><votes>1,234,567</votes>"
        "<rating>8.7</rating><rating>0</rating>"
    )
    f = nfo.fields
    assert (f["runtime"], f["year"], f["votes"], f["rating"]) == (136, 1999, 1234567, 8.7)
    assert nfo.warnings == []
    assert _nfo("<rating>0</rating>").warnings == []  # Kodi's "no rating": no warning
    nfo = _nfo("<year>0</year>")  # Kodi's export's unknown year (tests/nfo/tmm-tvshowepisode-...)
    assert "year" not in nfo.fields and nfo.warnings == []


def test_a_runtime_of_0_is_kodis_none():
    """Kodi's export writes `<runtime>0</runtime>` for an item it knows no runtime of (Save
    writes GetDuration()/60 whatever it is, ParseNative reads 0 back as none): the episode
    of jellyfin/jellyfin's Test Data/The Bone Orchard.nfo (tests/nfo). Read as 0 minutes, the
    item said it ran for 0 minutes, and kept saying so where TMDB has no runtime either."""
    bone_orchard = Path(__file__).resolve().parents[1] / "nfo" / "jellyfin-The-Bone-Orchard.nfo"
    [episode] = read_episode_nfo(bone_orchard)
    assert "runtime" not in episode.data.fields and episode.data.warnings == []
    nfo = _nfo("<runtime>0</runtime>")
    assert "runtime" not in nfo.fields and nfo.warnings == []
    assert _nfo("<runtime>1</runtime>").fields["runtime"] == 1


def test_ids_only_of_ascii_digits_a_column_takes():
    for value in (HUGE, str(2**31), "٦٠٣", "9" * 5000):
        nfo = _nfo(f'<uniqueid type="tmdb">{value}</uniqueid>')
        assert nfo.tmdb_id is None
        assert any("not valid" in w for w in nfo.warnings)
    assert _nfo('<uniqueid type="imdb">tt٠١٣٣٠٩٣</uniqueid>').imdb_id is None


def test_the_longest_film_has_its_runtime():
    """Logistics (2012) runs 51,420 minutes (857 hours): the item page refused it (at most
    10,000), so its NFO's runtime could not be typed in again."""
    assert parse_field("runtime", "51420") == 51420
    assert _nfo("<runtime>51420</runtime>").fields["runtime"] == 51420


def test_the_nfo_and_the_item_page_take_the_same_ranges():
    assert INT_FIELDS == db.INT_RANGES
    for name, (low, high) in db.INT_RANGES.items():
        assert _nfo(f"<{name}>{high}</{name}><rating>7</rating>").fields[name] == high
        assert parse_field(name, str(high)) == high
        assert name not in _nfo(f"<{name}>{high + 1}</{name}><rating>7</rating>").fields
        with pytest.raises(ValueError):
            parse_field(name, str(high + 1))
        if low > 0:
            assert name not in _nfo(f"<{name}>{low - 1}</{name}>").fields


HOSTILE_MOVIE = f"""<movie>
  <title>My Title</title>
  <plot>My plot.</plot>
  <rating>7.5</rating>
  <votes>{HUGE}</votes>
  <runtime>{2**40}</runtime>
  <year>99999</year>
  <uniqueid type="tmdb">{HUGE}</uniqueid>
  <top250>{HUGE}</top250>
  <playcount>-1</playcount>
  <userrating>NaN</userrating>
</movie>
"""


def test_a_movie_nfo_of_hostile_numbers_is_scanned_with_warnings(config_factory, tmp_path):
    library = tmp_path / "movies"
    folder = library / "Heat (1995)"
    folder.mkdir(parents=True)
    shutil.copyfile(SAMPLE, folder / "Heat (1995).mkv")
    (folder / "Heat (1995).nfo").write_text(HOSTILE_MOVIE, encoding="utf-8")
    rt = open_runtime(config_factory(libraries={"Movies": library}))
    try:
        report = scan(rt)
        assert not report.errors, report.errors
        movie = db.Movie.get(db.Movie.path == str(folder / "Heat (1995).mkv"))
        assert (movie.title, movie.plot) == ("My Title", "My plot.")
        assert (movie.votes, movie.runtime, movie.tmdb_id) == (None, None, None)
        assert movie.year == 1995  # the folder's
        said = [e.message for e in db.Event.select().where(db.Event.movie == movie)]
        for element in ("votes", "runtime", "year", "tmdb id"):
            assert any(element in m and "ignored" in m for m in said), (element, said)
        # the elements metarrd does not own stay as written, for publish to write back
        assert any(HUGE in e for e in movie.nfo_extra if e.startswith("<top250"))
    finally:
        rt.close()


def test_tv_nfos_of_hostile_numbers_are_scanned_with_warnings(tmp_path, simulator):
    show_dir = tmp_path / "tv" / "Show (2010)"
    video = put_tv(show_dir, "Season 01/Show - S01E01.mkv")
    (show_dir / "tvshow.nfo").write_text(
        f'<tvshow><title>Show</title><uniqueid type="tvdb">{HUGE}</uniqueid>'
        f"<year>٢٠١٠</year><runtime>{HUGE}</runtime></tvshow>",
        encoding="utf-8",
    )
    video.with_suffix(".nfo").write_text(
        "<episodedetails><title>Pilot</title><season>1</season><episode>1</episode>"
        f"<runtime>{HUGE}</runtime><rating>7</rating><votes>{HUGE}</votes><displayseason>{HUGE}</displayseason>"
        "</episodedetails>",
        encoding="utf-8",
    )
    assert read_show_nfo(show_dir / "tvshow.nfo").tvdb_id is None
    assert [(b.season, b.episode) for b in read_episode_nfo(video.with_suffix(".nfo"))] == [(1, 1)]
    rt = open_runtime(tv_config(tmp_path, simulator))
    try:
        report = scan(rt)
        assert not report.errors, report.errors
        show = db.Movie.get(db.Movie.path == str(show_dir))
        episode = db.Movie.get(db.Movie.path == str(video))
        assert (show.title, show.tvdb_id, show.runtime, show.year) == ("Show", None, None, 2010)
        assert (episode.title, episode.runtime, episode.votes) == ("Pilot", None, None)
        said = [e.message for e in db.Event.select().where(db.Event.movie == episode)]
        assert any("runtime" in m and "ignored" in m for m in said), said
    finally:
        rt.close()


def test_an_episode_numbers_digits_are_ascii():
    from metarrd.scan.tv_nfo import _int_element

    assert _int_element("<season>٣</season>", "season") is None
    assert _int_element(f"<season>{'9' * 5000}</season>", "season") is None
    assert _int_element("<season>-1</season>", "season") == -1


def test_an_nfo_of_thousands_of_bad_values_is_a_few_warnings_not_thousands():
    """Each warning becomes an event on the item at every scan of a changed NFO: 50,000 bad
    `<rating>`s, or a Jellyfin `<lockedfields>` of 100,000 names, were as many events."""
    ratings = "".join(
        f'<rating name="site{i}"><value>5</value><votes>{HUGE}{i}</votes></rating>'
        for i in range(50_000)
    )
    locks = "|".join(f"Field{i}" for i in range(100_000))
    for body in (f"<ratings>{ratings}</ratings>", f"<lockedfields>{locks}</lockedfields>"):
        nfo = _nfo(body)
        assert len(nfo.warnings) == 21
        assert nfo.warnings[-1].startswith("… and ") and "more warnings" in nfo.warnings[-1]


def test_an_episode_nfo_of_many_blocks_is_a_few_warnings(tmp_path, simulator):
    show_dir = tmp_path / "tv" / "Show (2010)"
    video = put_tv(show_dir, "Season 01/Show - S01E01.mkv")
    video.with_suffix(".nfo").write_text(
        "".join(
            f"<episodedetails><title>E{i}</title><season>1</season><episode>{i}</episode>"
            f"<runtime>{HUGE}{i}</runtime></episodedetails>"
            for i in range(1, 2001)
        ),
        encoding="utf-8",
    )
    rt = open_runtime(tv_config(tmp_path, simulator))
    try:
        scan(rt)
        episode = db.Movie.get(db.Movie.path == str(video))
        said = db.Event.select().where(db.Event.movie == episode, db.Event.kind == "scan.warning")
        assert said.count() == 21
    finally:
        rt.close()


def _with_mkv_duration(target: Path, milliseconds: float) -> Path:
    """The sample Matroska file with its Segment Info `Duration` (EBML id 0x4489, an 8-byte
    float) set to `milliseconds`: what a corrupt or crafted header says, and MediaInfo reports."""
    data = bytearray(SAMPLE.read_bytes())
    at = data.find(b"\x44\x89\x88")
    assert at > 0
    data[at + 3 : at + 11] = struct.pack(">d", milliseconds)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    return target


@pytest.mark.parametrize("milliseconds", [1e300, 5e15, float("inf"), float("nan"), -5000.0])
def test_a_video_whose_header_says_a_huge_duration_does_not_stop_the_scan(
    config_factory, tmp_path, milliseconds
):
    """1e300 ms overflowed SQLite's INTEGER, 5e15 ms (5e12 s) PostgreSQL's: the scan of the
    whole library stopped at that file. Its duration is unknown instead (the video track's)."""
    library = tmp_path / "movies"
    crafted = _with_mkv_duration(library / "Heat (1995)" / "Heat (1995).mkv", milliseconds)
    other = library / "Alien (1979)" / "Alien (1979).mkv"
    other.parent.mkdir(parents=True)
    shutil.copyfile(SAMPLE, other)
    rt = open_runtime(config_factory(libraries={"Movies": library}))
    try:
        report = scan(rt)
        assert len(report.new) == 2 and not report.errors
        movie = db.Movie.get(db.Movie.path == str(crafted))
        (video,) = db.VideoStream.select().where(db.VideoStream.movie == movie)
        assert 0 <= video.duration_seconds < 10
    finally:
        rt.close()


def test_a_text_longer_than_the_item_page_takes_is_a_warning():
    """A 4 MB `<plot>` (the NFO may be 5 MB) went into the database, every page of the item
    and its history; the item page could not save it again (at most MAX_TEXT characters)."""
    big = "x" * (MAX_TEXT + 1)
    genres = "".join(f"<genre>{'g' * 90}{i}</genre>" for i in range(300))
    nfo = _nfo(f"<plot>{big}</plot><outline>Short.</outline>{genres}")
    assert "plot" not in nfo.fields and "genres" not in nfo.fields
    assert nfo.fields["outline"] == "Short."
    assert any(w.startswith("plot is 20,001 characters") for w in nfo.warnings)
    assert _nfo(f"<plot>{'x' * MAX_TEXT}</plot>").fields["plot"] == "x" * MAX_TEXT
    with pytest.raises(ValueError):
        parse_field("plot", big)


def test_a_warning_quotes_at_most_a_few_hundred_characters():
    nfo = _nfo(f"<premiered>{'9' * 15_000}</premiered><dateadded>{'y' * 15_000}</dateadded>")
    assert len(nfo.warnings) == 2
    assert all(len(w) <= 500 for w in nfo.warnings), [len(w) for w in nfo.warnings]

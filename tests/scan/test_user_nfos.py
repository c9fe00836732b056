"""What the user's NFOs hold survives: real NFOs from other tools' test suites (tests/nfo/SOURCES.md)
keep their `dateadded`, their non-ISO `premiered` becomes Kodi's YYYY-MM-DD, and ids in
tool-specific elements are read as hints below `uniqueid`."""

from __future__ import annotations

import os
import re
import shutil
import time
import xml.etree.ElementTree as ET
from datetime import datetime
from pathlib import Path

import pytest

from metarrd import db
from metarrd.enrich.metadata import merge_fields
from metarrd.publish import publish_item
from metarrd.runtime import open_runtime
from metarrd.scan import scan, stage
from metarrd.scan.nfo_read import kodi_date, kodi_datetime, parse_nfo, read_nfo
from metarrd.scan.stage import date_added_from_mtime

from .conftest import SAMPLE

NFO = Path(__file__).resolve().parents[1] / "nfo"


# --- dateadded ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "added"),
    [
        ("tmm-kodi.nfo", "2016-12-23 15:46:19"),  # tinyMediaManager
        ("mediaelch-kodi_v18_Alien_1979.nfo", "2019-07-05 17:35:08"),  # MediaElch, Kodi v18
        ("jellyfin-justice-league.nfo", "2019-08-06 09:01:18"),  # Jellyfin's test data
        ("tmm-emby_multiple_sets.nfo", "2022-01-25 16:49:39"),  # Emby (UTF-8 BOM)
    ],
)
def test_dateadded_of_real_nfos_is_read_as_written(name, added):
    nfo = read_nfo(NFO / name)
    assert nfo.fields["dateadded"] == added
    assert not [w for w in nfo.warnings if "dateadded" in w]


def test_dateadded_spellings_kodi_would_not_take_are_normalised_or_dropped():
    assert kodi_datetime("2019-07-05 17:35:08") == "2019-07-05 17:35:08"
    assert kodi_datetime("2019-07-05T17:35:08") == "2019-07-05 17:35:08"  # ISO
    assert kodi_datetime("2019-07-05 7:35") == "2019-07-05 07:35:00"
    assert kodi_datetime("2019-07-05") == "2019-07-05 00:00:00"
    assert kodi_datetime("05.07.2019") == "2019-07-05 00:00:00"
    assert kodi_datetime("2019-07-05 25:00:00") is None
    assert kodi_datetime("yesterday") is None
    nfo = parse_nfo(b"<movie><dateadded>soon</dateadded></movie>", Path("x.nfo"))
    assert "dateadded" not in nfo.fields
    assert nfo.warnings == ["dateadded 'soon' is not a date and time; ignored"]


@pytest.fixture
def utc_local_time(monkeypatch):
    """This process's local time zone is UTC for the test (a zoned `dateadded` is converted to
    local time, as Kodi's own are), and what it was again afterwards."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.mark.parametrize(
    ("written", "read"),
    [
        # ISO 8601 with a zone, as .NET and JavaScript tools write a timestamp: converted to
        # local time (UTC here), the clock Kodi's own `YYYY-MM-DD HH:MM:SS` is on
        ("2023-05-01T12:34:56+02:00", "2023-05-01 10:34:56"),
        ("2023-05-01T12:34:56Z", "2023-05-01 12:34:56"),
        ("2023-05-01 12:34:56 -0500", "2023-05-01 17:34:56"),
        ("2023-05-01T23:30:00-01:00", "2023-05-02 00:30:00"),  # the day changes too
        ("2023-05-01T12:34:56.1234567Z", "2023-05-01 12:34:56"),  # .NET's 7-digit fraction
        ("2023-05-01T12:34:56.123", "2023-05-01 12:34:56"),  # no zone: local already
        ("2023-05-01", "2023-05-01 00:00:00"),
    ],
)
def test_dateadded_with_a_time_zone_or_fraction_is_read(utc_local_time, written, read):
    nfo = parse_nfo(f"<movie><dateadded>{written}</dateadded></movie>".encode(), Path("x.nfo"))
    assert nfo.fields.get("dateadded") == read
    assert not nfo.warnings


def test_a_zoned_dateadded_is_on_the_local_clock(monkeypatch):
    monkeypatch.setenv("TZ", "Europe/Berlin")  # UTC+2 in May
    time.tzset()
    try:
        assert kodi_datetime("2023-05-01T10:34:56Z") == "2023-05-01 12:34:56"
        assert kodi_datetime("2023-05-01T12:34:56+02:00") == "2023-05-01 12:34:56"
        assert kodi_datetime("2023-05-01 12:34:56") == "2023-05-01 12:34:56"
        assert kodi_datetime("2023-05-01T12:34:56+25:00") is None  # no zone is that far
    finally:
        monkeypatch.undo()
        time.tzset()


def test_the_users_dateadded_survives_scan_and_every_publish(config_factory, tmp_path):
    library = tmp_path / "movies"
    folder = library / "9 (2009)"
    folder.mkdir(parents=True)
    shutil.copyfile(SAMPLE, folder / "9 (2009).mkv")
    shutil.copyfile(NFO / "tmm-kodi.nfo", folder / "9 (2009).nfo")
    bare = library / "Alien (1979)"
    bare.mkdir()
    shutil.copyfile(SAMPLE, bare / "Alien (1979).mkv")
    mtime = datetime(2011, 3, 4, 5, 6, 7).timestamp()  # local time, as Kodi reads it
    os.utime(bare / "Alien (1979).mkv", (mtime, mtime))

    rt = open_runtime(config_factory(libraries={"Movies": library}))
    try:
        assert len(scan(rt).new) == 2
        nine = db.Movie.get(db.Movie.path == str(folder / "9 (2009).mkv"))
        alien = db.Movie.get(db.Movie.path == str(bare / "Alien (1979).mkv"))
        assert nine.date_added == datetime(2016, 12, 23, 15, 46, 19)  # the user's
        assert alien.date_added == datetime(2011, 3, 4, 5, 6, 7)  # the video file's mtime

        for movie, folder_, expected in (
            (nine, folder, "2016-12-23 15:46:19"),
            (alien, bare, "2011-03-04 05:06:07"),
        ):
            movie.identification_status = db.ENRICHED
            movie.save()
            for _ in range(2):  # the second publish changes nothing
                publish_item(rt, db.Movie.get_by_id(movie.id))
                published = folder_ / f"{folder_.name}.nfo"
                assert ET.parse(published).getroot().findtext("dateadded") == expected

        # a rescan of the published library (our own NFO now) keeps the date too
        os.utime(bare / "Alien (1979).mkv", None)  # the file changed: read again
        scan(rt)
        assert db.Movie.get_by_id(alien.id).date_added == datetime(2011, 3, 4, 5, 6, 7)
        assert db.Movie.get_by_id(nine.id).date_added == datetime(2016, 12, 23, 15, 46, 19)
    finally:
        rt.close()


def test_date_added_from_mtime_is_never_in_the_future():
    now = datetime(2024, 1, 2, 3, 4, 5).timestamp()
    past = datetime(2020, 1, 1, 0, 0, 0).timestamp()
    assert date_added_from_mtime(int(past * 1e9), now=now) == datetime(2020, 1, 1)
    assert date_added_from_mtime(int((now + 86400) * 1e9), now=now) == datetime(2024, 1, 2, 3, 4, 5)
    assert date_added_from_mtime(0, now=now) == datetime(2024, 1, 2, 3, 4, 5)


class BootClock:
    """The `time` module as metarrd.scan.stage sees it on a board without a real-time clock
    that has not reached its time server yet: it reads 1970, two minutes after booting."""

    def time(self) -> float:
        return 120.0

    def __getattr__(self, name: str):
        return getattr(time, name)


def test_a_scan_before_the_clock_is_set_takes_the_files_mtime(
    config_factory, tmp_path, monkeypatch
):
    """A Raspberry Pi without a real-time clock (nor fake-hwclock) starts the daemon in 1970,
    and its first scan runs before NTP sets the clock: each new movie's mtime was "in the
    future", so its date added was the present, 1970-01-01, kept for good (Kodi's recently
    added listed them last forever). A clock earlier than any this code runs under is not set:
    the file's mtime is taken."""
    library = tmp_path / "movies"
    folder = library / "Alien (1979)"
    folder.mkdir(parents=True)
    shutil.copyfile(SAMPLE, folder / "Alien (1979).mkv")
    mtime = datetime(2026, 11, 30, 20, 15, 0).timestamp()
    os.utime(folder / "Alien (1979).mkv", (mtime, mtime))
    monkeypatch.setattr(stage, "time", BootClock())
    rt = open_runtime(config_factory(libraries={"Movies": library}))
    try:
        assert len(scan(rt).new) == 1
        assert db.Movie.get().date_added == datetime(2026, 11, 30, 20, 15, 0)
    finally:
        rt.close()


@pytest.mark.parametrize(
    "mtime",
    [0, -1.5, -400 * 86400, 4102444800],  # a copy tool's 0, FAT copies before 1970, 2100
    ids=["zero", "before-1970", "400-days-before-1970", "2100"],
)
def test_an_mtime_unset_or_in_the_future_is_a_file_like_any_other(config_factory, tmp_path, mtime):
    """Regression guard (stop 48; right already): a video whose mtime is 0 (some copy tools),
    before 1970 (a copy from an exFAT or FAT disk) or in 2100 is found once, unchanged on
    every rescan (its size and mtime are compared as they are, not against the clock), and
    its date added is the scan's time."""
    library = tmp_path / "movies"
    video = library / "Alien (1979)" / "Alien (1979).mkv"
    video.parent.mkdir(parents=True)
    shutil.copyfile(SAMPLE, video)
    os.utime(video, (mtime, mtime))
    rt = open_runtime(config_factory(libraries={"Movies": library}))
    try:
        before = datetime.now().replace(microsecond=0)
        assert len(scan(rt).new) == 1
        added = db.Movie.get().date_added
        assert before <= added <= datetime.now()
        for _ in range(2):
            result = scan(rt)
            assert (result.new, result.changed, result.unchanged) == ([], [], 1)
        assert db.Movie.get().date_added == added
    finally:
        rt.close()


# --- premiered ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "written"),
    [
        ("tmm-mp-legacy.nfo", "19.08.2009"),  # tinyMediaManager's legacy MediaPortal export
        ("tmm-kodi2.nfo", "19-08-2009"),  # tinyMediaManager's Kodi export of the same film
    ],
)
def test_non_iso_premiered_of_real_nfos_becomes_yyyy_mm_dd(name, written):
    nfo = read_nfo(NFO / name)
    assert nfo.fields["premiered"] == "2009-08-19"
    assert nfo.fields["year"] == 2009
    assert f"premiered {written!r} read as 2009-08-19" in nfo.warnings


def test_premiered_is_read_the_way_kodi_reads_it():
    assert kodi_date("2009-08-19") == "2009-08-19"
    assert kodi_date("2009/8/9") == "2009-08-09"
    assert kodi_date("19.08.2009") == "2009-08-19"
    assert kodi_date("01.02.2009") == "2009-02-01"  # day first, as Kodi reads it
    assert kodi_date("08/19/2009") == "2009-08-19"  # the day cannot be first: month first
    assert kodi_date("2009-08-19 00:00:00") == "2009-08-19"
    assert kodi_date("31.02.2009") is None
    assert kodi_date("August 2009") is None
    assert read_nfo(NFO / "kodi_full.nfo").fields["premiered"] == "1999-03-30"


def test_premiered_that_is_no_date_goes_and_a_bare_year_is_the_year():
    nfo = parse_nfo(b"<movie><premiered>2009</premiered></movie>", Path("x.nfo"))
    assert "premiered" not in nfo.fields and nfo.fields["year"] == 2009
    nfo = parse_nfo(b"<movie><premiered>soon</premiered></movie>", Path("x.nfo"))
    assert "premiered" not in nfo.fields
    assert nfo.warnings == ["premiered 'soon' is not a date; ignored"]


# --- ids in tool-specific elements ------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "tmdb", "imdb"),
    [
        ("tmm-kodi.nfo", 12244, "tt0472033"),  # tMM: <tmdbId>, <id>
        ("tmm-kodi2.nfo", 12244, "tt0472033"),  # tMM: <tmdbId>, <ids> entries, <id>
        ("tmm-mp-legacy.nfo", 12244, "tt0472033"),  # MediaPortal <imdb>, tMM <ids> only
        ("tmm-mp-myvideo.nfo", 2332, "tt0183869"),  # MediaPortal <tmdb>, <imdb>, <id>
        ("jellyfin-justice-league.nfo", 141052, "tt0974015"),  # <tmdbId> beside uniqueid
        ("tmm-emby_multiple_sets.nfo", 170, "tt0289043"),  # uniqueid type="Tmdb"
    ],
)
def test_ids_of_real_nfos(name, tmdb, imdb):
    nfo = read_nfo(NFO / name)
    assert (nfo.tmdb_id, nfo.imdb_id) == (tmdb, imdb)
    assert not [w for w in nfo.warnings if " id " in w or " says " in w], nfo.warnings


def test_tool_specific_ids_are_written_back_as_uniqueid_not_twice():
    extra = "".join(read_nfo(NFO / "tmm-mp-myvideo.nfo").unknown_elements)
    assert "<tmdb>" not in extra and "<imdb>tt" not in extra  # MediaPortal's: ours now
    extra = "".join(read_nfo(NFO / "tmm-kodi2.nfo").unknown_elements)
    assert "<tmdbId>" not in extra
    assert "<ids>" in extra  # tMM's own block (trakt...) is kept as the user's


def test_uniqueid_outranks_the_hints_and_a_disagreement_is_reported():
    nfo = parse_nfo(
        b"""<movie>
          <uniqueid type="tmdb" default="true">603</uniqueid>
          <tmdbId>604</tmdbId>
          <ids><entry key="tmdb">605</entry><entry key="imdb">tt0133093</entry></ids>
          <tmdb>606</tmdb>
        </movie>""",
        Path("x.nfo"),
    )
    assert (nfo.tmdb_id, nfo.imdb_id) == (603, "tt0133093")  # the hint fills what is missing
    assert nfo.warnings == [
        "tmdbid/imdbid/tvdbid says tmdb 604 but uniqueid says 603; using 603",
        "<ids>/<tmdb>/<imdb> says tmdb 605 but uniqueid says 603; using 603",
    ]


def test_legacy_id_outranks_the_tool_only_elements():
    nfo = parse_nfo(b"<movie><id>tt0000001</id><imdb>tt0000002</imdb></movie>", Path("x.nfo"))
    assert nfo.imdb_id == "tt0000001"
    assert "says imdb tt0000002 but <id> says tt0000001" in nfo.warnings[0]


# --- Jellyfin's locks ---------------------------------------------------------------------------


def _justice_league(locks: str) -> str:
    """jellyfin-justice-league.nfo (real, tests/nfo/SOURCES.md) with the title and plot a user
    changed and locked in Jellyfin, which writes its locks as MovieNfoSaver does."""
    text = (NFO / "jellyfin-justice-league.nfo").read_text(encoding="utf-8")
    text = text.replace("<title>Justice League</title>", f"<title>My Own Title</title>{locks}")
    return re.sub(r"<plot>.*?</plot>", "<plot>My own plot</plot>", text, count=1, flags=re.S)


def test_jellyfins_locked_fields_are_read_as_metarrd_fields():
    locks = "<lockedfields>Name|Overview|Genres|Tags|Cast|Bogus</lockedfields>"
    nfo = parse_nfo(_justice_league(locks).encode(), Path("m.nfo"))
    assert nfo.locked_fields == ["title", "plot", "genres", "tags", "cast"]
    assert not nfo.lock_all
    assert "locked field 'Bogus' has no metarrd field; ignored" in nfo.warnings
    assert locks in nfo.unknown_elements  # written back, so Jellyfin keeps its locks
    unlocked = read_nfo(NFO / "jellyfin.nfo")  # <lockdata>false</lockdata>
    assert (unlocked.lock_all, unlocked.locked_fields) == (False, [])


@pytest.mark.parametrize(
    "locks, locked",
    [
        (
            "<lockedfields>Name|Overview|Genres|Tags</lockedfields>",
            ["title", "plot", "genres", "tags"],
        ),
        ("<lockdata>true</lockdata>", [*db.EDITABLE_FIELDS, "cast"]),
    ],
)
def test_jellyfins_locks_hold_after_the_scan(config_factory, tmp_path, locks, locked):
    library = tmp_path / "movies"
    folder = library / "Justice League (2017)"
    folder.mkdir(parents=True)
    shutil.copyfile(SAMPLE, folder / "Justice League (2017).mkv")
    (folder / "Justice League (2017).nfo").write_text(_justice_league(locks), encoding="utf-8")
    rt = open_runtime(config_factory(libraries={"Movies": library}))
    try:
        scan(rt)
        movie = db.Movie.get()
        assert (movie.title, movie.plot) == ("My Own Title", "My own plot")
        assert movie.locked_fields == locked
        current = {"title": movie.title, "plot": movie.plot, "tags": movie.tags}
        tmdb = {"title": "Justice League", "plot": "TMDB overview", "tags": ["superhero"]}
        assert merge_fields(current, tmdb, movie.locked_fields) == {}
    finally:
        rt.close()


# --- ids TMDB does not have ---------------------------------------------------------------------


def test_the_users_imdb_id_survives_when_tmdb_has_none(config_factory, simulator, tmp_path):
    """TMDB's `imdb_id` is null for many small films (docs/providers.md §1.6): identifying by
    the NFO's TMDB id keeps the IMDb id the same NFO gives, and the published NFO still has it."""
    from metarrd.identify import identify_many

    library = tmp_path / "movies"
    folder = library / "Zwischen den Wellen (2017)"
    folder.mkdir(parents=True)
    shutil.copyfile(SAMPLE, folder / "Zwischen den Wellen (2017).mkv")
    (folder / "Zwischen den Wellen (2017).nfo").write_text(
        "<movie><title>Zwischen den Wellen</title>"
        '<uniqueid type="tmdb" default="true">1184523</uniqueid>'
        '<uniqueid type="imdb">tt7654321</uniqueid></movie>'
    )
    rt = open_runtime(config_factory(simulator, libraries={"Movies": library}))
    try:
        scan(rt)
        movie = db.Movie.get()
        identify_many(rt, [movie.id], threads=1)
        movie = db.Movie.get_by_id(movie.id)
        assert (movie.tmdb_id, movie.imdb_id) == (1184523, "tt7654321")

        movie.identification_status = db.ENRICHED
        movie.save()
        publish_item(rt, movie)
        ids = ET.parse(folder / "Zwischen den Wellen (2017).nfo").getroot().findall("uniqueid")
        assert [(u.get("type"), u.text) for u in ids] == [
            ("tmdb", "1184523"),
            ("imdb", "tt7654321"),
        ]
    finally:
        rt.close()


def test_jellyfins_releasedate_and_writer_are_read_as_premiered_and_credits():
    """Jellyfin's and Emby's second spellings (BaseNfoSaver writes both, BaseNfoParser reads
    both): a `<releasedate>` is the date when there is no `<premiered>`, a `<writer>` a writer."""
    nfo = parse_nfo(
        b"<movie><releasedate>2002-10-31</releasedate><credits>Alex Garland</credits>"
        b"<writer>Alex Garland</writer><writer>Danny Boyle</writer></movie>",
        Path("x.nfo"),
    )
    assert nfo.fields["premiered"] == "2002-10-31"
    assert nfo.fields["credits"] == ["Alex Garland", "Danny Boyle"]
    assert nfo.unknown_elements == []
    both = parse_nfo(
        b"<movie><releasedate>2002-10-31</releasedate><premiered>2002-11-01</premiered></movie>",
        Path("x.nfo"),
    )
    assert both.fields["premiered"] == "2002-11-01"  # Kodi's element wins


def test_moving_pictures_lists_between_bars_are_read_as_their_values():
    """MediaPortal's Moving Pictures writes a list between bars in one element and a title so
    too (tinyMediaManager's test NFO, tests/nfo/SOURCES.md; tMM splits them at the bars).
    Before, the director was '|Dan Trachtenberg|' and the original title '|10 Cloverfield
    Lane|', shown so and published back into the library's NFO."""
    nfo = read_nfo(NFO / "tmm-mp-moving_pictures.nfo")
    assert nfo.fields["originaltitle"] == "10 Cloverfield Lane"
    assert nfo.fields["directors"] == ["Dan Trachtenberg"]
    assert nfo.fields["studios"] == ["Paramount Pictures, Bad Robot, Spectrum Effects"]
    # a list without the bars is read as Kodi reads it: one value, or values between " / "
    assert nfo.fields["credits"] == ["Josh Campbell, Matthew Stuecken, Damien Chazelle"]
    assert nfo.imdb_id == "tt1179933"
    two = parse_nfo(b"<movie><studio>|A Films|B Pictures|</studio></movie>", Path("x.nfo"))
    assert two.fields["studios"] == ["A Films", "B Pictures"]
    plain = parse_nfo(b"<movie><title>Pipe | Dream</title></movie>", Path("x.nfo"))
    assert plain.fields["title"] == "Pipe | Dream"


# --- a full rescan ------------------------------------------------------------------------------


def test_a_full_rescan_takes_in_the_users_nfo_changed_beside_an_unchanged_video(
    config_factory, tmp_path
):
    """tinyMediaManager matched `Alien (1979)` to 9 (2009) and wrote its `movie.nfo`; the user
    fixed the match in MediaElch, which rewrote `movie.nfo`, while the daemon was down. The
    full rescan at start (or `metarrd scan`) passed over the unchanged video at one `stat`, and
    the item kept 9's title and ids; only a scan of the folder took the fix in. Now the rescan
    notices the NFO whose size or mtime is not the one it saw last, reads it when its content is
    not what the item took in, and leaves it alone after that; the NFO our PUBLISH wrote is
    no user's."""
    library = tmp_path / "movies"
    folder = library / "Alien (1979)"
    folder.mkdir(parents=True)
    shutil.copyfile(SAMPLE, folder / "Alien (1979).mkv")
    nfo = folder / "movie.nfo"
    shutil.copyfile(NFO / "tmm-kodi.nfo", nfo)
    rt = open_runtime(config_factory(libraries={"Movies": library}))
    try:
        (alien_id,) = scan(rt).new
        assert db.Movie.get_by_id(alien_id).title == "9"

        shutil.copyfile(NFO / "mediaelch-kodi_v18_Alien_1979.nfo", nfo)
        report = scan(rt)

        assert report.changed == [alien_id]
        alien = db.Movie.get_by_id(alien_id)
        assert alien.title == "Alien"
        assert (alien.hints["nfo_tmdb_id"], alien.hints["nfo_imdb_id"]) == (348, "tt0078748")
        # seen now: the next rescan passes over it
        report = scan(rt)
        assert report.unchanged == 1 and not report.changed

        # the NFO our PUBLISH writes over it (the user's kept aside) is no user's edit
        alien.identification_status = db.ENRICHED
        alien.save()
        publish_item(rt, db.Movie.get_by_id(alien_id))
        assert ET.parse(nfo).getroot().findtext("title") == "Alien"
        report = scan(rt)
        assert report.unchanged == 1 and not report.changed
    finally:
        rt.close()


def test_a_full_rescan_goes_on_past_an_nfo_whose_name_is_not_utf8(config_factory, tmp_path):
    """An NFO named in Latin-1 on an old share (`Amélie.nfo` as bytes `Am\\xe9lie.nfo`) beside
    the user's `movie.nfo`: the record of the NFOs seen could not be stored, and every full
    rescan of the library failed on it. Such a name is no NFO a scan reads (nor a video it
    records); the rest is scanned and the user's edit still taken in."""
    library = tmp_path / "movies"
    folder = library / "Alien (1979)"
    folder.mkdir(parents=True)
    shutil.copyfile(SAMPLE, folder / "Alien (1979).mkv")
    nfo = folder / "movie.nfo"
    shutil.copyfile(NFO / "tmm-kodi.nfo", nfo)
    latin1 = os.path.join(os.fsencode(folder), b"Am\xe9lie.nfo")
    with open(latin1, "wb") as f:
        f.write(b"<movie><title>Am\xe9lie</title></movie>")
    rt = open_runtime(config_factory(libraries={"Movies": library}))
    try:
        (alien_id,) = scan(rt).new
        shutil.copyfile(NFO / "mediaelch-kodi_v18_Alien_1979.nfo", nfo)
        report = scan(rt)
        assert report.changed == [alien_id]
        assert db.Movie.get_by_id(alien_id).title == "Alien"
        assert scan(rt).unchanged == 1
    finally:
        rt.close()


def test_a_library_taken_out_of_the_configuration_leaves_no_record_of_its_scans(
    config_factory, tmp_path
):
    """The NFOs a library's full rescan saw (path, size and mtime of each: megabytes for a large
    library) and what its scans skipped by name stayed in the database for good once the
    library was taken out of the configuration (or renamed: another library to it). They go
    with it; the other library's stay."""
    movies, old = tmp_path / "movies", tmp_path / "old"
    for root in (movies, old):
        folder = root / "Alien (1979)"
        folder.mkdir(parents=True)
        shutil.copyfile(SAMPLE, folder / "Alien (1979).mkv")
        shutil.copyfile(SAMPLE, folder / "Alien (1979)-trailer.mkv")  # skipped by name
        shutil.copyfile(NFO / "tmm-kodi.nfo", folder / "movie.nfo")
    rt = open_runtime(config_factory(libraries={"Movies": movies, "Old": old}))
    try:
        scan(rt)
        ids = {lib.name: lib.id for lib in db.Library.select()}
        kept = [f"{kind}:{ids['Movies']}" for kind in ("nfos_seen", "skipped")]
        dropped = [f"{kind}:{ids['Old']}" for kind in ("nfos_seen", "skipped")]
        assert all(db.get_meta(key) for key in kept + dropped)
    finally:
        rt.close()
    rt = open_runtime(config_factory(libraries={"Movies": movies}))
    try:
        assert [db.get_meta(key) is not None for key in kept + dropped] == [
            True,
            True,
            False,
            False,
        ]
        assert scan(rt).unchanged == 1  # the library still configured: as its rescan saw it
    finally:
        rt.close()

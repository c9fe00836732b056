"""A file name's episode title says which episode order the file is numbered in. A show matched
in one order whose files title another order's episodes (Firefly: TMDB numbers "Serenity"
first, as the DVD does; TheTVDB's aired order "The Train Job", as FOX aired it) got, for each
such file, another episode's title, plot and still: the show's numbering note says so, and
which order to switch to (docs/tv.md "Episode orders")."""

from __future__ import annotations

import json

import pytest

from metarrd import db
from metarrd.cli import main
from metarrd.identify.episodes import parse_episode
from metarrd.identify.match import normalize_title
from metarrd.identify.tv import (
    _episode_titles,
    _named_titles,
    _order_titles,
    _sonarr_title,
    _titles_named,
)

from .conftest import put
from .test_episode_orders import SONARR_TVSHOW
from .test_library_kind_changed import write_config

FIREFLY = "Firefly (2002)"
# named from TMDB's order, as Kodi's TMDB scraper, Jellyfin or tinyMediaManager scraping TMDB
# number Firefly (and the DVD): "Serenity" first
TMDB_NAMED = [
    f"{FIREFLY}/Season 1/Firefly (2002) - S01E01 - Serenity.mkv",
    f"{FIREFLY}/Season 1/Firefly (2002) - S01E02 - The Train Job.mkv",
    f"{FIREFLY}/Season 1/Firefly (2002) - S01E06 - Our Mrs. Reynolds.mkv",
]
# Sonarr's default names: TheTVDB's aired order
SONARR_NAMED = [
    f"{FIREFLY}/Season 1/Firefly - S01E01 - The Train Job WEBDL-720p.mkv",
    f"{FIREFLY}/Season 1/Firefly - S01E03 - Our Mrs. Reynolds [HDTV-720p].mkv",
]


def scan(tmp_path, simulator, names: list[str], tvshow_nfo: str | None = None, status: int = 0):
    root = tmp_path / "tv"
    for rel in names:
        put(root, rel)
    if tvshow_nfo is not None:
        (root / FIREFLY / "tvshow.nfo").write_text(tvshow_nfo)
    cfg = write_config(tmp_path, simulator, root, "tv")
    assert main(["--config", str(cfg), "scan"]) == status
    return cfg, db.Movie.get(db.Movie.kind == db.SHOW)


def titled(show: db.Movie, ending: str) -> str:
    item = db.Movie.get(db.Movie.show == show.id, db.Movie.path.endswith(ending))
    assert item.identification_status == db.IDENTIFIED, item.last_error
    return item.episode_refs[0]["title"]


def test_files_titled_in_tmdbs_order_in_thetvdbs_say_to_switch_to_tmdb(
    tmp_path, simulator, backend
):
    """The show is in TheTVDB's aired order (its tvshow.nfo marks TheTVDB's id the default:
    tinyMediaManager or Kodi's TheTVDB scraper wrote it) while its files were named from
    TMDB's order: `S01E01 - Serenity` got TheTVDB's S01E01, "The Train Job". Before, only
    TMDB's order looked at the titles: nothing was said."""
    cfg, show = scan(tmp_path, simulator, TMDB_NAMED, SONARR_TVSHOW)
    assert show.ordering == "tvdb:official"
    assert titled(show, "S01E01 - Serenity.mkv") == "The Train Job"
    assert (
        "3 file name(s) title their episode as TMDB's aired order numbers it, not TheTVDB's "
        "(e.g. S01E01 'Serenity', TheTVDB's 'The Train Job'): switch the show's episode order "
        f"to TMDB aired order: `metarrd tv order {show.id} tmdb` or the show page"
    ) in show.numbering_note
    assert "Sonarr's names" not in show.numbering_note  # Sonarr names by TheTVDB's

    assert main(["--config", str(cfg), "tv", "order", str(show.id), "tmdb"]) == 0
    show = db.Movie.get_by_id(show.id)
    assert "title their episode" not in (show.numbering_note or "")
    assert titled(show, "S01E01 - Serenity.mkv") == "Serenity"
    assert titled(show, "S01E06 - Our Mrs. Reynolds.mkv") == "Our Mrs. Reynolds"


def test_files_titled_in_thetvdbs_aired_order_in_the_dvd_order_say_so(tmp_path, simulator, backend):
    """Firefly's DVD order is TMDB's; a user who set it over Sonarr's names (TheTVDB's aired
    order) got "Serenity" on `S01E01 - The Train Job` and was told nothing."""
    cfg, show = scan(tmp_path, simulator, SONARR_NAMED)
    assert main(["--config", str(cfg), "tv", "order", str(show.id), "dvd"]) == 0
    show = db.Movie.get_by_id(show.id)
    assert titled(show, "S01E01 - The Train Job WEBDL-720p.mkv") == "Serenity"
    assert (
        "2 file name(s) title their episode as TheTVDB's aired order numbers it, not TheTVDB's "
        "DVD order's (e.g. S01E01 'The Train Job', TheTVDB's DVD order's 'Serenity'): Sonarr's "
        f"names; switch the show's episode order to TheTVDB aired order: `metarrd tv order "
        f"{show.id} tvdb` or the show page"
    ) in show.numbering_note


def test_files_titled_in_tmdbs_order_in_the_absolute_order_say_so(tmp_path, simulator, backend):
    """In the absolute order a file named by season and episode is matched in TheTVDB's aired
    order, and was never looked at: Futurama's `S02E01 - I Second That Emotion`, named from
    TMDB's order (its production seasons: 13 episodes in the first, TheTVDB's 9), got
    TheTVDB's S02E01 "A Flight to Remember" and nothing was said. The file named by its
    absolute number has no other order to be titled in: nothing said of it."""
    names = ["Futurama (1999)/Season 2/Futurama (1999) - S02E01 - I Second That Emotion.mkv",
             "Futurama (1999)/Futurama - 010 - A Flight to Remember.mkv"]  # fmt: skip
    cfg, show = scan(tmp_path, simulator, names, status=1)  # an absolute number in TMDB's
    assert main(["--config", str(cfg), "tv", "order", str(show.id), "absolute"]) == 0
    show = db.Movie.get_by_id(show.id)
    assert titled(show, "S02E01 - I Second That Emotion.mkv") == "A Flight to Remember"
    assert titled(show, "010 - A Flight to Remember.mkv") == "A Flight to Remember"
    assert (
        "1 file name(s) title their episode as TMDB's aired order numbers it, not TheTVDB's "
        "(e.g. S02E01 'I Second That Emotion', TheTVDB's 'A Flight to Remember'): name them by "
        "absolute number or switch the show's episode order to TMDB aired order: "
        f"`metarrd tv order {show.id} tmdb` or the show page"
    ) in show.numbering_note


def test_tv_order_says_the_numbering_note(tmp_path, simulator, backend, capsys):
    """`metarrd tv order SHOW` said only the order's name, and `tv order SHOW ORDER` only how
    many episodes matched: the note saying the file names title another order's episodes was
    on the show page alone. Both print it now, where the user chooses the order, and `list
    --json` gives it."""
    cfg, show = scan(tmp_path, simulator, TMDB_NAMED, SONARR_TVSHOW)
    capsys.readouterr()
    assert main(["--config", str(cfg), "tv", "order", str(show.id)]) == 0
    said = capsys.readouterr().out.splitlines()
    assert said[0].endswith(": tvdb (TheTVDB aired order)")
    assert said[1:] == [f"numbering: {show.numbering_note}"]
    assert f"`metarrd tv order {show.id} tmdb`" in said[1]
    assert main(["--config", str(cfg), "list", "--json"]) == 0
    entries = {e["id"]: e for e in json.loads(capsys.readouterr().out)}
    assert entries[show.id]["numbering_note"] == show.numbering_note  # for a script, too
    # plain `list` gave the show's line without it: after the show's own words, before the
    # path, which stays last (docs/interface.md §3)
    assert main(["--config", str(cfg), "list"]) == 0
    line = next(x for x in capsys.readouterr().out.splitlines() if x.split()[0] == str(show.id))
    name, path = line.split(None, 3)[3].rsplit("  ", 1)
    assert path == show.path
    assert name == (f"Firefly (2002) [show: 3 episode files] [numbering: {show.numbering_note}]")

    assert main(["--config", str(cfg), "tv", "order", str(show.id), "tvdb"]) == 0
    said = capsys.readouterr().out.splitlines()  # unchanged: matched again, still said
    assert f"numbering: {db.Movie.get_by_id(show.id).numbering_note}" in said

    # Firefly's DVD order is TMDB's, as these names: nothing to say
    assert main(["--config", str(cfg), "tv", "order", str(show.id), "dvd"]) == 0
    assert db.Movie.get_by_id(show.id).numbering_note is None
    assert "numbering:" not in capsys.readouterr().out


@pytest.mark.parametrize(
    "name",
    [
        "Firefly - S01E01-E02 - The Train Job + Bushwhacked [Bluray-1080p][x264]-GRP.mkv",
        # joined by `+`, and a scene name without a resolution: their titles were read as
        # "and e02 the train job..." and "...bushwhacked dvdrip xvid grp", and not counted
        "Firefly - S01E01+E02 - The Train Job + Bushwhacked.mkv",
        "Firefly.S01E01-E02.The.Train.Job.and.Bushwhacked.DVDRip.XviD-GRP.mkv",
    ],
)
def test_a_multi_episode_file_titled_in_thetvdbs_order_is_counted(
    tmp_path, simulator, backend, name
):
    """Sonarr names a file of two episodes `S01E01-E02 - Title + Title`: before, only a file of
    one episode was looked at, and this one got TMDB's "Serenity" and "The Train Job"."""
    names = [f"{FIREFLY}/Season 1/{name}"]
    _cfg, show = scan(tmp_path, simulator, names)
    assert show.ordering == "tmdb:default"
    assert (
        "1 file name(s) title their episode as TheTVDB's aired order numbers it, not TMDB's "
        "(e.g. S01E01E02 'The Train Job + Bushwhacked', TMDB's 'Serenity + The Train Job')"
    ) in show.numbering_note


def test_a_multi_episode_file_titled_as_its_order_numbers_it_says_nothing(
    tmp_path, simulator, backend
):
    names = [f"{FIREFLY}/Season 1/Firefly - S01E01-E02 - Serenity + The Train Job WEBDL-720p.mkv"]
    _cfg, show = scan(tmp_path, simulator, names)
    assert "title their episode" not in (show.numbering_note or "")


@pytest.mark.parametrize(
    ("titles", "written"),
    [
        # Sonarr's MultiEpisodeTitleFixture / EpisodeTitleCollapseFixture cases
        (["Serenity (1)", "Serenity (2)"], "Serenity"),
        (["Hell Is Other Robots: Part 1", "Hell Is Other Robots: Part 2"], "Hell Is Other Robots"),
        (["The Train Job", "Bushwhacked"], "The Train Job + Bushwhacked"),
        (["Part 1", "Part 2"], "Part 1 + Part 2"),  # should_not_collaspe_when_result_is_empty
        (["Who's There?"], "Who's There"),  # EpisodeTitleTrimCharacters
        # real two-part episodes (TheTVDB's titles): Lost, Battlestar Galactica (2004)
        (["Exodus (1)", "Exodus (2)"], "Exodus"),
        (["Kobol's Last Gleaming (1)", "Kobol's Last Gleaming (2)"], "Kobol's Last Gleaming"),
        # a part number in brackets is no MultiPartCleanupRegex match (it ends in `)`, not
        # in the number): written whole
        (["Pilot (Part 1)", "Pilot (Part 2)"], "Pilot (Part 1) + Pilot (Part 2)"),
        # unrelated titles: Doctor Who's two-part opener of series 6, and any two
        (["The Impossible Astronaut", "Day of the Moon"],
         "The Impossible Astronaut + Day of the Moon"),
        (["Pilot", "The Cat"], "Pilot + The Cat"),
    ],
)  # fmt: skip
def test_sonarrs_title_of_several_episodes(titles, written):
    assert _sonarr_title(titles) == written


class _Item:
    def __init__(self, path: str, paired_absolute: list[int] | None = None) -> None:
        self.path = path
        self.hints = {"name_paired_absolute": paired_absolute}


@pytest.mark.parametrize(
    ("name", "titles"),
    [
        ("Show - S01E01-E02 - Serenity (1) + Serenity (2) WEBDL-720p.mkv",
         [["Serenity (1)"], ["Serenity (2)"]]),
        ("Show - S01E01-E02 - Serenity WEBDL-720p.mkv", [["Serenity (1)"], ["Serenity (2)"]]),
        ("Show - S01E01E02 - Cafe and Cigarettes + Mal's Job [HDTV-720p].mkv",
         [["Café & Cigarettes"], ["Mal’s Job"]]),
        ("Show.S01E01E02.Cafe.and.Cigarettes.and.Mals.Job.720p.HDTV.x264-GRP.mkv",
         [["Café & Cigarettes"], ["Mal's Job"]]),
        # Sonarr's MultiEpisodeParserFixture: the second number after an underscore
        ("Series's Sonarr - 8x01_02 - Free Falling.mkv",
         [["Free Falling (1)"], ["Free Falling (2)"]]),
        ("Show - S01E01 - S01E02 - The Train Job + Bushwhacked.mkv",
         [["The Train Job"], ["Bushwhacked"]]),  # Sonarr's "Duplicate" style
        ("Lost - S01E24-E25 - Exodus WEBDL-720p.mkv", [["Exodus (1)"], ["Exodus (2)"]]),
        ("Battlestar Galactica (2003) - S01E12-E13 - Kobol's Last Gleaming Bluray-1080p.mkv",
         [["Kobol's Last Gleaming (1)"], ["Kobol's Last Gleaming (2)"]]),
        ("Show - S01E01-E02 - Pilot (Part 1) + Pilot (Part 2) WEBDL-720p.mkv",
         [["Pilot (Part 1)"], ["Pilot (Part 2)"]]),
        ("Doctor Who (2005) - S06E01-E02 - The Impossible Astronaut + Day of the Moon "
         "Bluray-1080p.mkv", [["The Impossible Astronaut"], ["Day of the Moon"]]),
        # `{Episode CleanTitle}` (its separator "and") in Sonarr's dotted format
        ("Doctor.Who.2005.S06E01-02.The.Impossible.Astronaut.and.Day.of.the.Moon.Bluray-1080p.mkv",
         [["The Impossible Astronaut"], ["Day of the Moon"]]),
    ],
)  # fmt: skip
def test_a_multi_episode_names_titles_are_read_as_sonarr_writes_them(name, titles):
    assert _titles_named(_named_titles(_Item(name)), titles, several=True, lenient=False)


TRAIN_JOB = [["The Train Job"], ["Bushwhacked"]]


@pytest.mark.parametrize(
    ("name", "titles"),
    [
        # episodes joined by `+` or `&`, as guessit's test names join them (`Astro.Le.Petit.
        # Robot.S01E01+02`, `Phineas and Ferb S01E00 & S01E01 & S01E02`): the title was read
        # as "and e02 the train job..."
        ("Firefly - S01E01+E02 - The Train Job + Bushwhacked.mkv", TRAIN_JOB),
        ("Firefly - S01E01 & E02 - The Train Job + Bushwhacked.mkv", TRAIN_JOB),
        ("Firefly - S01E01&E02 - The Train Job + Bushwhacked.mkv", TRAIN_JOB),
        ("Firefly.S01E01+02.The.Train.Job.and.Bushwhacked.720p.HDTV.x264-GRP.mkv", TRAIN_JOB),
        # a scene name without a resolution: its source and codec end the title, not "dvdrip
        # xvid grp" read as its words
        ("Firefly.S01E01-E02.The.Train.Job.and.Bushwhacked.DVDRip.XviD-GRP.avi", TRAIN_JOB),
        ("Firefly.S01E01E02.The.Train.Job.and.Bushwhacked.WEB.h264-TBS.mkv", TRAIN_JOB),
        # what guessit's episode title misreads, read from the name: Supernatural's "The French
        # Mistake" (guessit: "The French" and a release group), `VHS` (guessit: a source)
        ("Supernatural - S06E15-E16 - The French Mistake + ...And Then There Were None "
         "HDTV-720p.mkv", [["The French Mistake"], ["...And Then There Were None"]]),
        ("Show - S01E01-E02 - Satellite + VHS Tapes WEBDL-720p.mkv",
         [["Satellite"], ["VHS Tapes"]]),
        ("Show - S01E01-E02 - Charlotte's Web + Web of Lies WEBDL-720p.mkv",
         [["Charlotte's Web"], ["Web of Lies"]]),
    ],
)  # fmt: skip
def test_a_multi_episode_names_titles_are_read_from_the_name(name, titles):
    assert _titles_named(_named_titles(_Item(name)), titles, several=True, lenient=False)


def test_a_multi_episode_name_cut_short_as_sonarr_does_is_read():
    """Sonarr's TruncatedEpisodeTitlesFixture: titles too long for the name (255 bytes, or a
    `{Episode Title:30}` format) are the first and the last, with `...` between. Before, such a
    name titled no order's episodes: a file titled in another order was not counted."""
    titles = ["Episode Title 1", "Another Episode Title", "Yet Another Episode Title",
              "Yet Another Episode Title Take 2", "Yet Another Episode Title Take 3",
              "Yet Another Episode Title Take 4",
              "A Really Really Really Really Long Episode Title"]  # fmt: skip
    name = ("Series Title - S01E01-02-03-04-05-06-07 - Episode Title 1...A Really Really Really "
            "Really Long Episode Title HDTV-720p.mkv")  # fmt: skip
    named = _named_titles(_Item(name))
    assert _titles_named(named, [[t] for t in titles], several=True, lenient=False)
    assert not _titles_named(named, [[t] for t in reversed(titles)], True, lenient=False)
    # only the first fits (should_truncate_with_ellipsis_if_only_first_episode_title_fits)
    named = _named_titles(_Item("Series Title - S01E01-02-03-04-05-06-07 - Episode Title 1... "
                                "HDTV-720p.mkv"))  # fmt: skip
    assert _titles_named(named, [[t] for t in titles], several=True, lenient=False)
    # two episodes with `{Episode Title:30}`: "The Impossible Astronaut + Day of the Moon"
    # (42) is too long, as is the first and the last; the first and `...` fit (27)
    named = _named_titles(_Item("Doctor Who (2005) - S06E01-E02 - The Impossible "
                                "Astronaut... Bluray-1080p.mkv"))  # fmt: skip
    two = [["The Impossible Astronaut"], ["Day of the Moon"]]
    assert _titles_named(named, two, True, lenient=False)
    # not cut short: the first title alone is not Sonarr's name of both
    named = _named_titles(_Item("Doctor Who (2005) - S06E01-E02 - The Impossible Astronaut "
                                "Bluray-1080p.mkv"))  # fmt: skip
    assert not _titles_named(named, two, True, lenient=False)


def test_a_multi_episode_name_of_other_titles_is_not_theirs():
    named = _named_titles(_Item("Show - S01E01-E02 - Serenity + The Train Job WEBDL-720p.mkv"))
    assert not _titles_named(named, [["The Train Job"], ["Bushwhacked"]], True, lenient=False)
    assert not _titles_named(named, [["Serenity"], ["The Train"]], True, lenient=False)
    # Sonarr keeps "(Part 1)" whole: `Pilot` alone is not its name of these two
    named = _named_titles(_Item("Show - S01E01-E02 - Pilot WEBDL-720p.mkv"))
    assert not _titles_named(named, [["Pilot (Part 1)"], ["Pilot (Part 2)"]], True, lenient=False)


def test_one_episodes_title_is_compared_as_words():
    for named, title in [("Cafe and Cigarettes", "Café & Cigarettes"),
                         ("Mals Job", "Mal's Job"), ("OUR MRS REYNOLDS", "Our Mrs. Reynolds")]:  # fmt: skip
        assert _titles_named([normalize_title(named)], [[title]], False, lenient=False)
    # the show's own order: its title without the part number is still its (Sonarr's
    # `Pilot` of TMDB's "Pilot (1)" is no proof of another order)
    assert _titles_named(["pilot"], [["Pilot (1)"]], False, lenient=True)
    assert not _titles_named(["pilot"], [["Pilot (1)"]], False, lenient=False)


@pytest.mark.parametrize(
    ("show", "name", "title"),
    [
        # Sonarr's default format: guessit reads Supernatural's "The French Mistake" as "The
        # French" and a release group; scan's title of `Title DVD` kept Sonarr's quality
        ("Supernatural", "Supernatural - S06E15 - The French Mistake HDTV-720p.mkv",
         "The French Mistake"),
        ("Firefly", "Firefly - S01E01 - The Train Job DVD.mkv", "The Train Job"),
        ("Firefly", "Firefly - S01E01 - The Train Job DVD Proper.mkv", "The Train Job"),
        # Sonarr's `Unknown` quality after the title (`{Quality Full}`, `{Quality.Full}`), and a
        # title that is that word too (Sonarr's unknown quality or not: read both ways)
        ("Firefly", "Firefly - S01E01 - The Train Job Unknown.webm", "The Train Job"),
        ("Firefly", "Firefly.S01E01.The.Train.Job.Unknown.webm", "The Train Job"),
        ("Show", "Show - S01E05 - The Unknown Unknown REAL.webm", "The Unknown"),
        ("Show", "Show - S01E05 - The Unknown.mkv", "The Unknown"),
        ("Show", "Show - S01E05 - Into the Unknown HDTV-720p.mkv", "Into the Unknown"),
        # a title with a year in brackets (guessit's test name: "And the Winner Is")
        ("Feud", "feud.s01e05.and.the.winner.is.(the.oscars.of.1963).720p.amzn.webrip.dd5.1."
         "x264-casstudio.mkv", "And the Winner Is... (The Oscars of 1963)"),
        # Sonarr's `{_Episode.Title_}{Quality.Title}` (FileNameBuilderFixture): "city sushi
        # hdtv" read from the name
        ("South Park", "South.Park.S15E06_City.Sushi_HDTV-720p.mkv", "City Sushi"),
        # guessit's test names: a title word that is a release tag elsewhere, and the tags a
        # scene name writes after the title (the title is read without them too)
        ("Cleveland Hustles", "Cleveland.Hustles.S01E03.Downward.Dogs.and.Proper.Pigs.720p.HDTV."
         "x264-W4F.mkv", "Downward Dogs and Proper Pigs"),
        ("Running Wild With Bear Grylls", "Running.Wild.With.Bear.Grylls.S02E07.Michael.B.Jordan."
         "PROPER.HDTV.x264-W4F.avi", "Michael B. Jordan"),
        ("Pawn Stars", "Pawn.Stars.S12E20.The.Pawn.Awakens.REAL.READ.NFO.720p.HDTV.x264-DHD.mkv",
         "The Pawn Awakens"),
        ("Star Wars Rebels", "Star.Wars.Rebels.S01E01.Spark.of.Rebellion.ALTERNATE.CUT.HDTV."
         "x264-W4F.mp4", "Spark of Rebellion"),
        ("Homeland", "Homeland.S05E11.Our.Man.in.Damascus.German.Sub.720p.HDTV.x264.iNTERNAL-"
         "BaCKToRG.mkv", "Our Man in Damascus"),
        # languages and a release group with no quality after them: guessit's title
        ("Dexter", "Dexter.5x02.Hello,.Bandit.ENG.-.sub.FR.HDTV.XviD-AlFleNi-TeaM.[tvu.org.ru]"
         ".avi", "Hello, Bandit"),
        ("Fear the Walking Dead", "Fear the Walking Dead - 01x02 - So Close, Yet So Far.REPACK-"
         "KILLERS.French.C.updated.Addic7ed.com.mkv", "So Close, Yet So Far"),
        # dotted initials
        ("Marvel's Agents of S.H.I.E.L.D.", "Marvel's Agents of S.H.I.E.L.D. - S01E14 - "
         "T.A.H.I.T.I. HDTV-720p.mkv", "T.A.H.I.T.I."),
        ("Marvels Agents of S.H.I.E.L.D.", "Marvels.Agents.of.S.H.I.E.L.D.S01E06.F.Z.Z.T.720p."
         "HDTV.X264-DIMENSION.mkv", "F.Z.Z.T."),
    ],
)  # fmt: skip
def test_one_episodes_title_is_read_from_its_name(show, name, title):
    item = _Item(name)
    item.hints["name_episode_title"] = parse_episode(name, show).episode_title
    assert _titles_named(_episode_titles(item), [[title]], False, lenient=False)


def test_a_title_that_ends_in_unknown_is_not_read_short():
    """Only Sonarr's quality at the very end is read away: "The Unknown" stays itself."""
    named = _named_titles(_Item("Show - S01E05 - The Unknown.mkv"))
    assert not _titles_named(named, [["The Unknown Soldier"]], False, lenient=False)
    named = _named_titles(_Item("Show - S01E05 - Unknown.webm"))
    assert named == ["unknown"]  # no title but the word: nothing read away


def test_one_episodes_title_is_not_read_short():
    """Cleveland Hustles' "Downward Dogs and Proper Pigs": `Proper` ended the title read from
    the name (Sonarr's `HDTV-720p Proper` ends at its quality already)."""
    name = "Cleveland.Hustles.S01E03.Downward.Dogs.and.Proper.Pigs.720p.HDTV.x264-W4F.mkv"
    assert not _titles_named(_named_titles(_Item(name)), [["Downward Dogs and"]], False, False)


@pytest.mark.parametrize(
    ("quality", "ext"),
    [
        ("DVD", "mkv"),
        ("SDTV", "mkv"),
        ("DVD Proper", "mkv"),
        # Sonarr's Quality.Unknown, a `.webm` file's when neither its name nor its streams say
        # more (MediaFileExtensions, AggregateQuality, QualityFinder): read as "The Train Job
        # Unknown" before
        ("Unknown", "webm"),
        ("Unknown Proper", "webm"),
    ],
)
def test_a_file_of_sonarrs_dvd_quality_titled_in_thetvdbs_order_is_counted(
    tmp_path, simulator, backend, quality, ext
):
    """Sonarr's default format (`{Series Title} - S{season:00}E{episode:00} - {Episode Title}
    {Quality Full}`) names a DVD rip `Firefly - S01E01 - The Train Job DVD`: its quality has no
    digit to end the title at, and the title was read as "The Train Job DVD", no order's. The
    file got TMDB's "Serenity" and the show's numbering said nothing."""
    names = [
        f"{FIREFLY}/Season 1/Firefly - S01E01 - The Train Job {quality}.{ext}",
        f"{FIREFLY}/Season 1/Firefly - S01E03 - Our Mrs. Reynolds {quality}.{ext}",
    ]
    _cfg, show = scan(tmp_path, simulator, names)
    assert show.ordering == "tmdb:default"
    assert (
        "2 file name(s) title their episode as TheTVDB's aired order numbers it, not TMDB's "
        "(e.g. S01E01 'The Train Job', TMDB's 'Serenity')"
    ) in show.numbering_note


# Sonarr's TruncatedEpisodeTitlesFixture (FileNameBuilder.GetEpisodeTitle): one episode's title
# too long for the name is cut at that many bytes, mid-word too, and ends in `...`
SISKO_TITLE = (
    "This title has to be 197 characters in length, combined with the series title, quality "
    "and episode number it becomes 254ish and the extension puts it above the 255 limit and "
    "triggers the truncation"
)
LOREM = (
    "Lorem ipsum dolor sit amet, consectetur adipiscing elit Maecenas et magna sem Morbi vitae "
    "volutpat quam, id porta arcu Orci varius natoque penatibus et magnis dis parturient montes "
    "nascetur ridiculus musu Cras vestibulum"
)


@pytest.mark.parametrize(
    ("name", "title"),
    [
        (f"The Fantastic Life of Mr. Sisko - S02E18 - {SISKO_TITLE[:-6]}... Bluray-1080p.mkv",
         SISKO_TITLE),
        (f"{LOREM} - S01E01 - Episode Ti... HDTV-720p.mkv", "Episode Title 1"),
        (f"{LOREM} - S01E01 - Episod\u00e9 T... HDTV-720p.mkv", "Episod\u00e9 Title"),
    ],
)  # fmt: skip
def test_one_episodes_title_cut_short_as_sonarr_does_is_read(name, title):
    """Before, such a name titled no episode: a file titled in another order was not counted."""
    named = _named_titles(_Item(name))
    assert _titles_named(named, [[title]], False, lenient=False)
    assert not _titles_named(named, [["Another Episode Title"]], False, lenient=False)


def test_a_title_is_read_as_cut_short_only_where_sonarr_cut_it():
    named = _named_titles(_Item(f"{LOREM} - S01E01 - Episode Ti HDTV-720p.mkv"))
    assert not _titles_named(named, [["Episode Title 1"]], False, lenient=False)
    # the first of several titles, itself cut (should_truncate_first_episode_title...)
    named = _named_titles(_Item(f"{LOREM} - S01E01-E02 - Episode Ti... HDTV-720p.mkv"))
    titles = [["Episode Title 1"], ["Another Episode Title"]]
    assert _titles_named(named, titles, True, lenient=False)
    assert not _titles_named(named, list(reversed(titles)), True, lenient=False)


@pytest.mark.parametrize(
    ("show", "name", "title"),
    [
        # episodes titled by a number alone (TheTVDB's and TMDB's titles)
        ("Stargate SG-1", "Stargate SG-1 - S02E21 - 1969 Bluray-1080p.mkv", "1969"),
        ("Stargate SG-1", "Stargate.SG-1.S02E21.1969.DVDRip.XviD-GRP.avi", "1969"),
        ("Doctor Who", "Doctor Who (2005) - S03E07 - 42 HDTV-720p.mkv", "42"),
        ("Lost", "Lost - S05E06 - 316 WEBDL-1080p.mkv", "316"),
        ("The X-Files", "The X-Files - S03E10 - 731 DVD.mkv", "731"),
    ],
)
def test_a_title_that_is_a_number_proves_an_order(show, name, title):
    """A number alone was a placeholder: a file titled so in another order than the show's was
    never counted."""
    item = _Item(name)
    item.hints["name_episode_title"] = parse_episode(name, show).episode_title
    named = _order_titles(_episode_titles(item), {9})
    assert _titles_named(named, [[title]], False, lenient=False)


@pytest.mark.parametrize(
    ("name", "absolute"),
    [
        # Sonarr's anime format's `{absolute:000}` with no title after it
        ("Naruto - S01E08 - 008 HDTV-720p.mkv", set()),
        # unpadded: the episode's absolute number on TheTVDB, not its title
        ("Naruto - S07E03 - 130 HDTV-720p.mkv", {130}),
    ],
)
def test_an_absolute_number_is_no_title(name, absolute):
    item = _Item(name)
    item.hints["name_episode_title"] = parse_episode(name, "Naruto").episode_title
    assert _order_titles(_episode_titles(item), absolute) == []


# the simulator's Meridian Gate (made up, as its Tenfold Harbour is): TheTVDB ends its season 1
# two episodes before TMDB's (as the two split Futurama's), and two episodes are titled by a
# number alone, as Stargate SG-1's "1969" and Doctor Who's "42": TMDB's S01E10 "1969" is
# TheTVDB's S02E02 (TMDB's S02E02 is "Fault Lines"), TMDB's S02E03 "42" TheTVDB's S02E05
MERIDIAN = "Meridian Gate (2015)"


def test_titles_that_are_numbers_say_which_order_named_the_files(tmp_path, simulator, backend):
    """Sonarr's names (TheTVDB's order) of a show matched in TMDB's: the numbers alone are
    titles that prove the order, end to end (scan's reading of `S02E02 - 1969`, whose number
    guessit takes for a year, and identify's)."""
    names = [
        f"{MERIDIAN}/Season 2/Meridian Gate - S02E02 - 1969 WEBDL-720p.mkv",
        f"{MERIDIAN}/Season 2/Meridian Gate - S02E05 - 42 HDTV-720p.mkv",
    ]
    cfg, show = scan(tmp_path, simulator, names)
    assert show.ordering == "tmdb:default"
    assert titled(show, "S02E02 - 1969 WEBDL-720p.mkv") == "Fault Lines"
    assert (
        "2 file name(s) title their episode as TheTVDB's aired order numbers it, not TMDB's "
        "(e.g. S02E02 '1969', TMDB's 'Fault Lines'): Sonarr's names; switch the show's episode "
        f"order to TheTVDB aired order: `metarrd tv order {show.id} tvdb` or the show page"
    ) in show.numbering_note

    assert main(["--config", str(cfg), "tv", "order", str(show.id), "tvdb"]) == 0
    show = db.Movie.get_by_id(show.id)
    assert "title their episode" not in (show.numbering_note or "")
    assert titled(show, "S02E02 - 1969 WEBDL-720p.mkv") == "1969"
    assert titled(show, "S02E05 - 42 HDTV-720p.mkv") == "42"


def test_titles_that_are_numbers_of_the_shows_own_order_say_nothing(tmp_path, simulator, backend):
    names = [
        f"{MERIDIAN}/Season 1/Meridian Gate (2015) - S01E10 - 1969.mkv",
        f"{MERIDIAN}/Season 2/Meridian Gate (2015) - S02E03 - 42.mkv",
    ]
    _cfg, show = scan(tmp_path, simulator, names)
    assert show.ordering == "tmdb:default"
    assert titled(show, "S01E10 - 1969.mkv") == "1969"
    assert "title their episode" not in (show.numbering_note or "")

"""Identification hints from file and folder names."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest

from metarrd.identify.names import NameHints, parse_hints

LIB = Path("/lib")


def hints(path: str, root: Path | None = LIB) -> NameHints:
    return parse_hints(Path(path), root)


@pytest.mark.parametrize(
    ("path", "tmdb_id", "imdb_id"),
    [
        ("/lib/The Matrix (1999) {tmdb-603}.mkv", 603, None),
        ("/lib/The Matrix (1999) [tmdbid-603].mkv", 603, None),
        ("/lib/The Matrix (1999) {tmdb=603}.mkv", 603, None),
        ("/lib/The Matrix (1999) [tmdbid=603].mkv", 603, None),
        ("/lib/The Matrix (1999) {imdb-tt0133093}.mkv", None, "tt0133093"),
        ("/lib/The Matrix (1999) [imdbid-tt0133093].mkv", None, "tt0133093"),
        ("/lib/The Matrix (1999) {imdb-tt0133093} {tmdb-603}.mkv", 603, "tt0133093"),
        ("/lib/The.Matrix.1999.tt0133093.1080p.mkv", None, "tt0133093"),
        ("/lib/Movie tt12345678 (2020).mkv", None, "tt12345678"),
        ("/lib/The Matrix (1999) {tvdb-123}.mkv", None, None),
        ("/lib/The Matrix (1999) {tmdb-abc}.mkv", None, None),
        ("/lib/Matt1234567 (2020).mkv", None, None),  # not a bare id: glued to letters
    ],
)
def test_id_tags(path, tmdb_id, imdb_id):
    h = hints(path)
    assert (h.tmdb_id, h.imdb_id) == (tmdb_id, imdb_id)
    assert h.title and "tmdb" not in h.title and "tt0" not in h.title


@pytest.mark.parametrize(
    ("name", "title", "year"),
    [
        ("The Matrix (1999).mkv", "The Matrix", 1999),
        ("The.Matrix.1999.1080p.BluRay.x264-GRP.mkv", "The Matrix", 1999),
        ("2001: A Space Odyssey (1968).mkv", "2001: A Space Odyssey", 1968),
        ("2001.A.Space.Odyssey.1968.1080p.BluRay.mkv", "2001 A Space Odyssey", 1968),
        ("1917 (2019).mkv", "1917", 2019),
        ("1917.2019.1080p.BluRay.x264-GRP.mkv", "1917", 2019),
        ("1917.mkv", "1917", None),
        ("Blade Runner 2049 (2017).mkv", "Blade Runner 2049", 2017),
        ("Blade.Runner.2049.2017.2160p.UHD.mkv", "Blade Runner 2049", 2017),
        ("Mission: Impossible - Fallout (2018).mkv", "Mission: Impossible - Fallout", 2018),
        ("Mission Impossible - Fallout 2018 1080p.mkv", "Mission Impossible - Fallout", 2018),
        ("Harry Potter and the Deathly Hallows Part 2 (2011).mkv",
         "Harry Potter and the Deathly Hallows Part 2", 2011),
        ("Harry.Potter.and.the.Deathly.Hallows.Part.2.2011.1080p.mkv",
         "Harry Potter and the Deathly Hallows Part 2", 2011),
        ("Kill.Bill.Vol.1.2003.1080p.mkv", "Kill Bill Vol. 1", 2003),
        ("Matrix, The (1999).mkv", "The Matrix", 1999),
        ("Dune.mkv", "Dune", None),
        ("Movie (1879).mkv", "Movie", None),  # years 1880-2099 only
        ("Arrival of a Train at La Ciotat (1896).mkv", "Arrival of a Train at La Ciotat", 1896),
    ],
)  # fmt: skip
def test_title_and_year(name, title, year):
    h = hints(f"/lib/{name}")
    assert (h.title, h.year, h.source) == (title, year, "file")


@pytest.mark.parametrize(
    "name",
    [
        "The Matrix (1999) - cd1.avi",
        "The Matrix (1999) part2.avi",
        "The.Matrix.1999.CD2.avi",
        "The Matrix cd1.avi",
        "The Matrix - Disc 2.avi",
    ],
)
def test_stack_markers_are_not_in_the_title(name):
    assert hints(f"/lib/{name}").title == "The Matrix"


def test_edition_tag_is_removed_from_the_title():
    h = hints("/lib/Alien (1979)/Alien (1979) {edition-Director's Cut} {tmdb-348}.mkv")
    assert (h.title, h.year, h.edition, h.tmdb_id) == ("Alien", 1979, "Director's Cut", 348)


def test_edition_guessed_from_a_scene_name():
    assert hints("/lib/Alien.1979.Directors.Cut.1080p.BluRay.mkv").edition == "Director's Cut"


@pytest.mark.parametrize(
    ("name", "title", "year", "edition"),
    [  # the cuts users keep beside each other, named as Kodi's and Jellyfin's versions are
        ("Blade Runner (1982)/Blade Runner (1982) - The Final Cut.mkv", "Blade Runner", 1982,
         "Final Cut"),
        ("Blade Runner (1982)/Blade Runner (1982) - International Cut.mkv", "Blade Runner",
         1982, "International Cut"),
        ("Apocalypse Now (1979)/Apocalypse Now (1979) - Redux.mkv", "Apocalypse Now", 1979,
         "Redux"),
        ("Apocalypse Now (1979)/Apocalypse Now (1979) [Final Cut].mkv", "Apocalypse Now", 1979,
         "Final Cut"),
        ("Heat (1995)/Heat (1995) - Directors Definitive Edition.mkv", "Heat", 1995,
         "Directors Definitive Edition"),
        ("Blade.Runner.1982.The.Final.Cut.1080p.BluRay.x264-GRP.mkv", "Blade Runner", 1982,
         "Final Cut"),
        # guessit's own stay as it names them
        ("Alien (1979)/Alien (1979) - Director's Cut.mkv", "Alien", 1979, "Director's Cut"),
        ("Alien (1979)/Alien (1979) - Special Edition.mkv", "Alien", 1979, "Special"),
        # a version that is no cut: no edition
        ("Alien (1979)/Alien (1979) - 2160p.mkv", "Alien", 1979, None),
        ("Alien (1979)/Alien (1979) - 4K HDR Version.mkv", "Alien", 1979, None),
        ("Heat (1995) {tmdb-949}/Heat (1995) {tmdb-949} [Bluray-1080p].mkv", "Heat", 1995, None),
        # before the year, the words are the title's ("The Christmas Edition" is a film)
        ("The Christmas Edition (2020).mkv", "The Christmas Edition", 2020, None),
        ("The Final Cut (2004).mkv", "The Final Cut", 2004, None),
    ],
)  # fmt: skip
def test_an_edition_guessit_does_not_know_is_read_after_the_year(name, title, year, edition):
    """Editions guessit has no word for ("The Final Cut", "Redux", "Directors Definitive
    Edition") read as none: a cut kept beside the theatrical one then looked like its upgrade
    (scan/stage.py `_is_upgrade_of` compares editions)."""
    h = hints(f"/lib/{name}")
    assert (h.title, h.year, h.edition) == (title, year, edition)


def test_per_movie_folder_ids_win_over_the_files():
    h = hints("/lib/The Matrix (1999) {tmdb-603}/The Matrix (1999) {tmdb-604}.mkv")
    assert h.tmdb_id == 603


def test_ids_from_folder_when_the_file_has_none():
    h = hints("/lib/The Matrix (1999) [imdbid-tt0133093]/The.Matrix.1999.1080p.mkv")
    assert (h.imdb_id, h.title, h.year) == ("tt0133093", "The Matrix", 1999)


def test_scene_folder_names_an_obfuscated_file():
    h = hints("/lib/The.Matrix.1999.1080p.BluRay.x264-GRP/grp-tm1080.mkv")
    assert (h.title, h.year, h.source) == ("The Matrix", 1999, "folder")


@pytest.mark.parametrize("stem", ["movie", "Movie", "video", "film"])
def test_generic_file_names_use_the_folder(stem):
    h = hints(f"/lib/Dune (1984)/{stem}.mkv")
    assert (h.title, h.year, h.source) == ("Dune", 1984, "folder")


def test_folder_gives_the_year_the_file_lacks():
    assert hints("/lib/1917 (2019)/1917.mkv") == NameHints("1917", 2019, None, None, None, "folder")


def test_file_with_title_and_year_wins_over_its_folder():
    h = hints("/lib/Dune/Dune (2021).mkv")
    assert (h.title, h.year, h.source) == ("Dune", 2021, "file")


@pytest.mark.parametrize(
    "path",
    [
        "/lib/Amélie (2001) [tmdbid-194]/Le Fabuleux Destin d'Amélie Poulain (2001).mkv",
        "/lib/Amelie (2001) {tmdb-194}/Le.Fabuleux.Destin.d.Amelie.Poulain.2001.1080p.mkv",
    ],
)
def test_a_folder_of_the_same_year_under_another_title_gives_its_ids(path):
    """Radarr names folders with {Movie Title} and files with {Movie OriginalTitle} if asked:
    before, the folder's id was ignored as the titles differ."""
    assert hints(path).tmdb_id == 194


@pytest.mark.parametrize(
    ("path", "title", "year"),
    [
        ("/lib/Dune (2021) {tmdb-438631}/Dune (1984).mkv", "Dune", 1984),
        ("/lib/Dune (2021) [imdbid-tt1160419]/Dune.1984.1080p.BluRay.x264-GRP.mkv", "Dune", 1984),
        ("/lib/The Matrix (1999) {tmdb-603}/The Matrix Reloaded (2003).mkv",
         "The Matrix Reloaded", 2003),
        ("/lib/Harry Potter and the Deathly Hallows (2010) {tmdb-12444}/"
         "Harry Potter and the Deathly Hallows Part 2 (2011).mkv",
         "Harry Potter and the Deathly Hallows Part 2", 2011),
    ],
)  # fmt: skip
def test_a_film_of_another_year_in_a_films_folder_takes_none_of_its_ids(path, title, year):
    """The 1984 Dune kept in the 2021 one's folder, a sequel in its first film's: the folder's
    id tags were taken for the file's (same title, or the folder's title first), and the file
    identified as the folder's film without a search. Two years given, and not the same: two
    films."""
    h = hints(path)
    assert (h.title, h.year, h.tmdb_id, h.imdb_id) == (title, year, None, None)


def test_a_scene_year_off_by_one_under_the_folders_title_keeps_its_ids():
    """Radarr names the folder by TMDB's year; a scene file's year is now and then a year off."""
    assert hints("/lib/Heat (1995) {tmdb-949}/Heat.1996.1080p.BluRay.x264-GRP.mkv").tmdb_id == 949


def test_shared_folder_is_not_the_movie():
    h = hints("/lib/Star Wars Collection {tmdb-10}/Star Wars (1977).mkv")
    assert (h.title, h.year, h.tmdb_id) == ("Star Wars", 1977, None)


def test_never_above_the_library_root():
    assert hints("/lib/The Matrix (1999) {tmdb-603}/Matrix.mkv", Path("/lib")).tmdb_id == 603
    h = hints("/The Matrix (1999) {tmdb-603}/Matrix.mkv", Path("/The Matrix (1999) {tmdb-603}"))
    assert (h.title, h.year, h.tmdb_id, h.source) == ("Matrix", None, None, "file")
    h = hints("/lib/movie.mkv")
    assert h == NameHints(None, None, None, None, None, "none")


def test_without_a_library_root_the_parent_folder_counts():
    assert hints("/x/The Matrix (1999)/movie.mkv", None).title == "The Matrix"
    assert hints("movie.mkv", None).title is None


@pytest.mark.parametrize(
    "path",
    [
        "/lib/The Matrix (1999)/VIDEO_TS/VIDEO_TS.IFO",
        "/lib/The Matrix (1999)/VIDEO_TS",
        "/lib/The Matrix (1999)/BDMV/index.bdmv",
        "/lib/The Matrix (1999)/BDMV/STREAM/00001.m2ts",
        "/lib/The Matrix (1999)/CD1/matrix.avi",
        # a folder-stack part named with the title (the walk stacks `Heat CD1/` + `Heat CD2/`)
        "/lib/The Matrix (1999)/The Matrix CD1/matrix-a.avi",
        "/lib/The Matrix (1999)/The.Matrix.Disc.2/matrix-b.avi",
    ],
)
def test_disc_structures_and_cd_folders_use_the_movie_folder(path):
    h = hints(path)
    assert (h.title, h.year, h.source) == ("The Matrix", 1999, "folder")


def test_a_titled_stack_folder_takes_the_movie_folders_ids():
    h = hints("/lib/Heat (1995) {tmdb-949}/Heat CD2/heat-b.avi")
    assert (h.title, h.year, h.tmdb_id) == ("Heat", 1995, 949)


def test_a_titled_stack_folder_in_a_shared_folder_names_the_movie():
    h = hints("/lib/Movies/Heat CD1/heat-a.avi")
    assert (h.title, h.year, h.source) == ("Heat", None, "folder")


@pytest.mark.parametrize(
    "path",
    [
        "/lib/The Godfather/cd1.avi",  # a stack of `cd1.avi`, `cd2.avi` (an old DivX rip)
        "/lib/The Godfather/CD2.avi",
        "/lib/The Godfather/part1.mkv",
        "/lib/The Godfather/Disc 1",  # the walk's path for `The Godfather/Disc 1/VIDEO_TS`
        "/lib/The Godfather/DVD2",
    ],
)
def test_a_name_that_is_only_a_stack_marker_uses_the_folder(path):
    """Before, the title was "cd1" or "Disc 1" whenever the folder gave no year."""
    h = hints(path, Path("/lib"))
    assert (h.title, h.year, h.source) == ("The Godfather", None, "folder")


def test_disc_structure_at_the_library_root_has_no_name():
    assert hints("/lib/VIDEO_TS/VIDEO_TS.IFO").title is None


def test_unicode_is_returned_nfc():
    decomposed = unicodedata.normalize("NFD", "/lib/Amélie (2001)/Amélie (2001).mkv")
    h = hints(decomposed)
    assert h.title == unicodedata.normalize("NFC", "Amélie")
    assert unicodedata.is_normalized("NFC", h.title)
    assert hints("/lib/千と千尋の神隠し (2001).mkv").title == "千と千尋の神隠し"


# --- issue 12 §1: the kinds of mistakes the name corpus found ---------------------------------


@pytest.mark.parametrize(
    ("name", "title", "year"),
    [
        ("Annabelle.2014.HC.HDRip.XViD.AC3-juggs[ETRG].mkv", "Annabelle", 2014),
        ("Guardians Of The Galaxy 2014 R6 720p HDCAM x264-JYK.mkv", "Guardians Of The Galaxy", 2014),
        ("Blind.2014.NORDiC.1080p.BluRay.x264-TWiZTED.mkv", "Blind", 2014),
        ("These.Final.Hours.2013.WBBRip XViD.mkv", "These Final Hours", 2013),
        # ...but a subtitle before the year, or in a name without one, stays
        ("Star Wars: Episode IV - A New Hope (2004) Special Edition.mkv",
         "Star Wars: Episode IV - A New Hope", 2004),
        ("OSS_117--Cairo,_Nest_of_Spies.mkv", "OSS 117 - Cairo, Nest of Spies", None),
    ],
)  # fmt: skip
def test_a_release_tag_guessit_calls_an_alternative_title_is_not_title(name, title, year):
    h = hints(f"/lib/{name}")
    assert (h.title, h.year) == (title, year)


@pytest.mark.parametrize(
    ("name", "title", "year"),
    [
        ("[MTBB] Kimi no Na wa. (2016) v2 [97681524].mkv", "Kimi no Na wa", 2016),
        ("www.Torrenting.com - Anatomy Of A Fall (2023) 1080p.mkv", "Anatomy Of A Fall", 2023),
        ("(1)The Girl With The Dragon Tattoo (2009) BRrip 720 AAC x264.mkv",
         "The Girl With The Dragon Tattoo", 2009),
        ("09.03.08.The.Doors.(1991).BDRip.720p.AC3.X264-HiS.mkv", "The Doors", 1991),
        ("Alien DC (1979) [1080p].mkv", "Alien", 1979),
        ("Suicide Squad EXTENDED (2016) 2160p 4K UltraHD Blu-Ray x265 -DDR.mkv", "Suicide Squad", 2016),
        ("Brazil_Criterion_Edition_(1985).CD2.avi", "Brazil", 1985),
        ("The Rack (VHS) [1956] Paul Newman.mkv", "The Rack", 1956),
        ("Fake Movie Final Cut 2016.mkv", "Fake Movie", 2016),
        ("[Taxi 1998] [BDRemux Rutracker.org].mkv", "Taxi", 1998),
    ],
)  # fmt: skip
def test_junk_around_a_title_and_year_is_not_title(name, title, year):
    h = hints(f"/lib/{name}")
    assert (h.title, h.year) == (title, year)


@pytest.mark.parametrize(
    "path",
    [
        "/lib/Alice in Wonderland DVDRip.XviD-DiAMOND/dmd-aw.mkv",
        "/lib/Alice.in.Wonderland.LiMiTED.DVDRip.XviD-DiAMOND/dmd-aw.cd1.avi",
    ],
)
def test_a_release_folder_names_its_obfuscated_scene_file(path):
    h = hints(path)
    assert (h.title, h.year, h.source) == ("Alice in Wonderland", None, "folder")


def test_an_informative_file_still_wins_over_a_plain_shared_folder():
    h = hints("/lib/Movies/some-movie.mkv")
    assert (h.title, h.source) == ("some-movie", "file")


@pytest.mark.parametrize(
    ("name", "title"),
    [
        ("The.Good.German.2006.720p.BluRay.x264-RlsGrp.mkv", "The Good German"),
        ("Johnny.English.2003.720p.BluRay.x264-SiNNERS.mkv", "Johnny English"),
        ("The.Good.German.2006.GERMAN.720p.HDTV.x264-RLsGrp.mkv", "The Good German"),
        # the dub marker of German and French scene releases is a tag, as is an upper-case word
        ("Noah.German.2014.LD.1080p.BluRay.x264-HCS.mkv", "Noah"),
        ("My Movie GERMAN Extended Cut 2016.mkv", "My Movie"),
    ],
)
def test_a_title_word_that_is_also_a_language_stays(name, title):
    assert hints(f"/lib/{name}").title == title


@pytest.mark.parametrize(
    ("name", "title", "year"),
    [
        ("PT.109.1963.DVDRip.XviD.avi", "PT 109", 1963),
        ("PT.109.DVDRip.XviD.avi", "PT 109", None),
        ("En.Kongelig.Affaere.2012.DANiSH.1080p.BluRay.x264.mkv", "En Kongelig Affaere", 2012),
        ("Hi.Mom.2021.CHINESE.1080p.WEB-DL.x264.mkv", "Hi Mom", 2021),
        # a tag before the title stays a tag: set apart, or upper case before words
        ("Fr - Paris 2054, Renaissance (2005).avi", "Paris 2054, Renaissance", 2005),
        ("FR.Paris.2054.2005.DVDRip.avi", "Paris 2054", 2005),
    ],
)
def test_a_first_title_word_that_is_also_a_language_stays(name, title, year):
    """Before, "PT" (Portuguese), "En" (English), "Hi" (Hindi) were dropped as a language."""
    h = hints(f"/lib/{name}")
    assert (h.title, h.year) == (title, year)


@pytest.mark.parametrize(
    ("name", "title", "year"),
    [
        ("Leaving Movie by Movie (1897) [DVD].mp4", "Leaving Movie by Movie", 1897),
        ("Movie Name (1897).mkv", "Movie Name", 1897),
        ("Let.It.Fall.Los.Angeles.1982-1992.2017.1080p.WEB-DL.DD5.1.H264-FGT.mkv",
         "Let It Fall Los Angeles 1982-1992", 2017),
        ("xXx.2002.15th.Anniversary.Edition.1080p.BluRay.Remux.mkv", "xXx", 2002),
        ("2012.AC3.720p.BluRay.x264-XXL.mkv", "2012", None),
        # the year twice (Radarr's EditionParserFixture, QualityParserFixture): not title
        ("Prometheus.2012.(Extended.Theatrical.Version.IMAX).BluRay.1080p.2012.asdf.mkv",
         "Prometheus", 2012),
        ("Avatar 2009 3D BD 2009 UNTOUCHED.mkv", "Avatar", 2009),
        ("1984.1984.1080p.BluRay.x264-AMIABLE.mkv", "1984", 1984),
    ],
)  # fmt: skip
def test_years(name, title, year):
    h = hints(f"/lib/{name}")
    assert (h.title, h.year) == (title, year)


@pytest.mark.parametrize(
    ("name", "title", "year"),
    [  # Radarr's ParserFixture.should_parse_movie_alternative_titles
        ("Skjegg.AKA.Rox.Beard.1965.CD1.CRiTERiON.DVDRip.XviD-KG.avi", "Skjegg", 1965),
        ("Mon cousin a.k.a. My Cousin 2020 1080p Blu-ray DD 5.1 x264.mkv", "Mon cousin", 2020),
        ("Sydney A.K.A. Hard Eight 1996 1080p AMZN WEB-DL DD+ 2.0 H.264.mkv", "Sydney", 1996),
        ("Return Earth to Normal 'em High aka World 2 (2022) 1080p.mp4",
         "Return Earth to Normal 'em High", 2022),
        # AKA as the title or its first word is the title
        ("AKA.2002.DVDRip.x264-HANDJOB.mkv", "AKA", 2002),
        ("Aka Rox (2008).avi", "Aka Rox", 2008),
    ],
)  # fmt: skip
def test_of_two_titles_joined_by_aka_the_first_is_searched(name, title, year):
    """Before, "Skjegg AKA Rox Beard" was searched whole, which TMDB never finds."""
    h = hints(f"/lib/{name}")
    assert (h.title, h.year) == (title, year)


@pytest.mark.parametrize(
    ("name", "title", "year"),
    [
        ("The.Christmas.Edition.2020.720p.HDTV.x264-CRiMSON.mkv", "The Christmas Edition", 2020),
        ("The Christmas Edition (2020).mkv", "The Christmas Edition", 2020),
        ("The General Assembly (2019).mkv", "The General Assembly", 2019),
        # ...while the edition words after a word that names the edition still go
        ("Alien.3.Assembly.Cut.1992.1080p.BluRay.x264-GRP.mkv", "Alien 3", 1992),
        ("X-Men.Days.of.Future.Past.Rogue.Cut.2014.1080p.BluRay.x264.mkv",
         "X-Men Days of Future Past", 2014),
        ("Movie Directory 25 Anniversary 1990 Eng Fre Multi Subs 720p [H264 mp4].mkv",
         "Movie Directory", 1990),
        ("Prometheus 50th Anniversary Edition 2012.mkv", "Prometheus", 2012),
    ],
)  # fmt: skip
def test_cut_and_edition_are_title_words_unless_a_word_says_which(name, title, year):
    """Before, "The Christmas Edition" lost "Edition" and "Alien 3 Assembly Cut" kept "Assembly"."""
    h = hints(f"/lib/{name}")
    assert (h.title, h.year) == (title, year)


@pytest.mark.parametrize(
    ("name", "title", "year"),
    [
        ("Blade.Runner.The.Final.Cut.1982.1080p.BluRay.x264-GRP.mkv", "Blade Runner", 1982),
        ("Blade Runner - The Final Cut (1982).mkv", "Blade Runner", 1982),
        ("Apocalypse.Now.The.Final.Cut.1979.1080p.BluRay.x264-GRP.mkv", "Apocalypse Now", 1979),
        ("Kingdom.of.Heaven.The.Directors.Cut.2005.1080p.BluRay.x264-GRP.mkv",
         "Kingdom of Heaven", 2005),
        ("The.Final.Cut.2004.DVDRip.XviD.avi", "The Final Cut", 2004),
    ],
)  # fmt: skip
def test_the_before_an_edition_goes_with_it(name, title, year):
    """Before, "Blade Runner The" was searched: the edition went, its "The" stayed."""
    h = hints(f"/lib/{name}")
    assert (h.title, h.year) == (title, year)


# Radarr's CrapParserFixture.should_not_parse_crap (Radarr/Radarr@1b9662d5)
CRAP = [
    "76El6LcgLzqb426WoVFg1vVVVGx4uCYopQkfjmLe",
    "Vrq6e1Aba3U amCjuEgV5R2QvdsLEGYF3YQAQkw8",
    "TDAsqTea7k4o6iofVx3MQGuDK116FSjPobMuh8oB",
    "yp4nFodAAzoeoRc467HRh1mzuT17qeekmuJ3zFnL",
    "oxXo8S2272KE1 lfppvxo3iwEJBrBmhlQVK1gqGc",
    "dPBAtu681Ycy3A4NpJDH6kNVQooLxqtnsW1Umfiv",
    "185d86a343e39f3341e35c4dad3f9959",
    "ba27283b17c00d01193eacc02a8ba98eeb523a76",
    "45a55debe3856da318cc35882ad07e43cd32fd15",
    "86420f8ee425340d8894bf3bc636b66404b95f18",
    "ce39afb7da6cf7c04eba3090f0a309f609883862",
    "Vh1FvU3bJXw6zs8EEUX4bMo5vbbMdHghxHirc",
    "0e895c37245186812cb08aab1529cf8ee389dd05",
    "08bbc153931ce3ca5fcafe1b92d3297285feb061",
    "185d86a343e39f3341e35c4dad3ff159",
    "ah63jka93jf0jh26ahjas961",
    "qrdSD3rYzWb7cPdVIGSn4E7",
    "QZC4HDl7ncmzyUj9amucWe1ddKU1oFMZDd8r0dEDUsTd",
    "abc.xyz.af6021c37f7852",
]


@pytest.mark.parametrize("stem", CRAP)
def test_a_hash_or_random_name_gives_no_title(stem):
    """Before, the hash was the title, and TMDB was searched for it."""
    h = hints(f"/lib/{stem}.mkv")
    assert (h.title, h.year, h.source) == (None, None, "none")


@pytest.mark.parametrize(
    "path",
    [
        "/lib/Heat (1995)/0e895c37245186812cb08aab1529cf8ee389dd05.mkv",
        # a hashed folder inside the release folder (guessit's test suite)
        "/lib/Heat (1995) BRRiP XViD DD5_1/XD607ebb-BRc59935-5155473f-1c5f49/"
        "XD607ebb-BRc59935-5155473f-1c5f49.avi",
    ],
)
def test_a_hashed_file_or_folder_is_named_by_the_folder_above(path):
    h = hints(path)
    assert (h.title, h.year, h.source) == ("Heat", 1995, "folder")


@pytest.mark.parametrize(
    "path",
    [
        "/lib/Movies/0e895c37245186812cb08aab1529cf8ee389dd05.mkv",
        "/lib/Movies/XD607ebb-BRc59935-5155473f-1c5f49/XD607ebb-BRc59935-5155473f-1c5f49.avi",
    ],
)
def test_a_hashed_file_in_a_shared_folder_has_no_name(path):
    """Not "Movies": a folder without a year or release tags may hold any film."""
    assert hints(path) == NameHints(None, None, None, None, None, "none")


@pytest.mark.parametrize(
    "name", ["KillRoyWasHere.2000.BluRay.1080p.DTS.x264.mkv", "THX1138.1971.mkv", "S1m0ne.2002.mkv"]
)
def test_camel_case_and_digits_in_a_title_are_not_a_hash(name):
    assert hints(f"/lib/{name}").title == name.split(".")[0]


@pytest.mark.parametrize(
    ("name", "title", "year"),
    [
        ("Spider-Man.No.Way.Home.2021.1080p.WEB-DL.DDP5.1.x264.mkv", "Spider-Man No Way Home", 2021),
        ("Spider-Man.2002.1080p.BluRay.x264.mkv", "Spider-Man", 2002),
        ("Face-Off.1997.1080p.BluRay.x264.mkv", "Face-Off", 1997),
        ("Ju-on.The.Grudge.2002.JAPANESE.1080p.BluRay.x264.mkv", "Ju-on The Grudge", 2002),
        ("Spider-Man.No.Way.Home.mkv", "Spider-Man No Way Home", None),
        ("WALL-E.2008.1080p.BluRay.x264.mkv", "WALL-E", 2008),
        ("SPIDER-MAN.2002.1080p.BluRay.x264.mkv", "SPIDER-MAN", 2002),
        # a release group in front stays out
        ("AMIABLE-Heat.1995.1080p.mkv", "Heat", 1995),
    ],
)  # fmt: skip
def test_a_hyphenated_first_word_is_not_a_release_group(name, title, year):
    """Before, "Spider-Man.2002.1080p.BluRay.x264" was titled "Man": with no group at the end,
    guessit takes "Spider" for one."""
    h = hints(f"/lib/{name}")
    assert (h.title, h.year) == (title, year)


@pytest.mark.parametrize(
    ("name", "title", "year"),
    [  # Radarr's UrlFixture (Radarr/Radarr@1b9662d5)
        ("test.net - Movie.Title.2023.720p.HDTV.X264-DIMENSION.mkv", "Movie Title", 2023),
        ("test-hyphen123.org.au - Movie.Title.2023.720p.HDTV.X264-DIMENSION.mkv",
         "Movie Title", 2023),
        ("test123.ca - Movie Time 2023 720p HDTV x264 CRON.mkv", "Movie Time", 2023),
        ("1337x.to - Dune Part Two (2024) 1080p.mkv", "Dune Part Two", 2024),
        # a dotted title before " - " is no site
        ("Mission.Impossible - Fallout (2018).mkv", "Mission.Impossible - Fallout", 2018),
    ],
)  # fmt: skip
def test_a_site_without_www_before_the_title_is_not_title(name, title, year):
    """Before, "test.net - Movie.Title.2023" was titled "test net - Movie.Title"."""
    h = hints(f"/lib/{name}")
    assert (h.title, h.year) == (title, year)


@pytest.mark.parametrize(
    ("name", "title", "year"),
    [  # TMDB's titles: "[REC]²", "[REC]³ Génesis", "(T)Raumschiff Surprise - Periode 1",
        # "Evangelion: 1.0 You Are (Not) Alone"; the names as Radarr's {Movie Title} writes them
        ("[REC]² (2009)/[REC]² (2009) Bluray-1080p.mkv", "[REC]²", 2009),
        ("[REC]³ Génesis (2012).mkv", "[REC]³ Génesis", 2012),
        ("[REC]².2009.1080p.BluRay.x264-GRP.mkv", "[REC]²", 2009),
        ("(T)Raumschiff Surprise - Periode 1 (2004).mkv", "(T)Raumschiff Surprise - Periode 1", 2004),
        ("(T)Raumschiff.Surprise.Periode.1.2004.German.1080p.BluRay.x264.mkv",
         "(T)Raumschiff Surprise Periode 1", 2004),
        ("(T)ERROR.2015.1080p.WEB-DL.mkv", "(T)ERROR", 2015),
        ("Evangelion 1.0 You Are (Not) Alone (2007)/Evangelion 1.0 You Are (Not) Alone (2007).mkv",
         "Evangelion 1.0 You Are (Not) Alone", 2007),
        # the brackets of a title that were right already, and the tags beside them
        ("(500) Days of Summer (2009).mkv", "(500) Days of Summer", 2009),
        ("Kill Bill Vol 1 [2003].mkv", "Kill Bill Vol 1", 2003),
        ("[REC] (2007).mkv", "REC", 2007),
        ("Les Misérables (2012) [1080p].mkv", "Les Misérables", 2012),
        ("Mission Impossible [Director's Cut] (1996).mkv", "Mission Impossible", 1996),
        ("Battle Royale (Batoru Rowaiaru) (2000).mkv", "Battle Royale", 2000),
        ("[BD]Movie.Title.2008.mkv", "Movie Title", 2008),
    ],
)  # fmt: skip
def test_brackets_in_a_title_stay_and_tags_in_brackets_go(name, title, year):
    """Before, "[REC]² (2009)" was titled "²" (the bracket read as a release group's), and
    "Evangelion 1.0 You Are (Not) Alone (2007)" "Evangelion": neither is ever found on TMDB."""
    h = hints(f"/lib/{name}")
    assert (h.title, h.year) == (title, year)


@pytest.mark.parametrize(
    ("name", "title", "year"),
    [  # "[REC]" is TMDB's title (movie 8329, 2007); "1917" TMDB's 530915 (2019). A leading
        # bracket is a group when a title follows it, and when the number after it is a title
        # with its own year; a scene name (a dot after the bracket, its own `-GRP` at the end)
        # holds no leading group, so there the bracket is the title
        ("[REC].2007.1080p.BluRay.x264-GRP.mkv", "REC", 2007),
        ("[REC] 2007 720p BluRay x264-GRP.mkv", "REC", 2007),
        ("[REC].2007.mkv", "REC", 2007),
        ("[Group] 1917 (2019) [BD 1080p].mkv", "1917", 2019),
        ("[Group] 1917 [2019].mkv", "1917", 2019),
        ("[Group] 1917.2019.1080p.mkv", "1917", 2019),
        ("[Group] 1917.mkv", "1917", None),
        ("[XCT].Le.Prestige.(The.Prestige).DVDRip.mkv", "Le Prestige", None),  # names_corpus
    ],
)  # fmt: skip
def test_a_bracketed_title_before_a_year_and_a_group_before_a_year_titled_film(name, title, year):
    """Before, "[REC].2007.1080p.BluRay.x264-GRP" was titled "2007" and "[Group] 1917 (2019)"
    "Group 1917": the bracket was a group whenever letters followed it (the tags' too), and the
    title whenever none did (the year-titled film's title too). `[Group] 1917` and `[REC] 2007`
    (a space, nothing after) are the same shape: read as a group's; the folder or `(2007)`
    tells them apart."""
    h = hints(f"/lib/{name}")
    assert (h.title, h.year) == (title, year)


@pytest.mark.parametrize(
    ("name", "title", "year"),
    [  # Radarr's AnimeVersionFixture (Radarr/Radarr@1b9662d5), and the same in other forms
        ("Anime Title - 2018v2 - (BD 1080p HEVC FLAC) [Dual Audio] [Group].mkv", "Anime Title", 2018),
        ("Anime Movie - 2018v2.mkv", "Anime Movie", 2018),
        ("[Group] Anime Movie - 2018v3 (1080p).mkv", "Anime Movie", 2018),
        ("Anime.Movie.2018v2.1080p.BluRay.mkv", "Anime Movie", 2018),
        ("Anime Movie (2018v2).mkv", "Anime Movie", 2018),
    ],
)  # fmt: skip
def test_a_release_version_glued_to_the_year_is_not_part_of_it(name, title, year):
    """Before, "Anime Title - 2018v2" gave no year (and "Anime.Movie.2018v2" a title ending in
    "2018v2"), so the search ran without one."""
    h = hints(f"/lib/{name}")
    assert (h.title, h.year) == (title, year)


@pytest.mark.parametrize(
    ("name", "title", "year", "edition"),
    [  # real films whose short title words guessit reads as tags
        ("Om.Shanti.Om.2007.1080p.BluRay.x264-GRP.mkv", "Om Shanti Om", 2007, None),  # Open Matte
        ("om.shanti.om.2007.720p.bluray.x264.mkv", "om shanti om", 2007, None),
        ("Ra.One.2011.Hindi.1080p.BluRay.x264.DTS-HDC.mkv", "Ra One", 2011, None),  # RealAudio
        ("Ta.Ra.Rum.Pum.2007.720p.BluRay.mkv", "Ta Ra Rum Pum", 2007, None),
        ("DC.League.of.Super-Pets.2022.1080p.WEB-DL.DDP5.1.Atmos.x264-GRP.mkv",
         "DC League of Super-Pets", 2022, None),  # Director's Cut
        ("DC League of Super-Pets (2022).mkv", "DC League of Super-Pets", 2022, None),
        ("Evangelion.1.0.You.Are.Not.Alone.2007.1080p.BluRay.x264-GRP.mkv",
         "Evangelion 1 0 You Are Not Alone", 2007, None),  # audio channels
        # the same words as tags: after the title in capitals, or after the year
        ("Alien.DC.1979.1080p.BluRay.mkv", "Alien", 1979, "Director's Cut"),
        ("Alien DC (1979) [1080p].mkv", "Alien", 1979, "Director's Cut"),
        ("Die.Hard.1988.OM.1080p.BluRay.mkv", "Die Hard", 1988, None),
        ("Noah.German.DL.2014.1080p.mkv", "Noah", 2014, None),
    ],
)  # fmt: skip
def test_short_title_words_that_look_like_tags_stay(name, title, year, edition):
    """Before, "Om.Shanti.Om.2007" was titled "Om Shanti", "Ra.One.2011" "One" and
    "DC.League.of.Super-Pets.2022" "League of Super-Pets", with a Director's Cut edition."""
    h = hints(f"/lib/{name}")
    assert (h.title, h.year, h.edition) == (title, year, edition)


@pytest.mark.parametrize(
    ("name", "title", "others"),
    [  # Radarr's ParserFixture.should_parse_movie_alternative_titles (Radarr/Radarr@1b9662d5)
        ("Skjegg.AKA.Rox.Beard.1965.CD1.CRiTERiON.DVDRip.XviD-KG.avi", "Skjegg", ("Rox Beard",)),
        ("Radarr.Under.Water.(aka.Beneath.the.Code.Freeze).1997.DVDRip.x264.CG-Grzechsin.mkv",
         "Radarr Under Water", ("Beneath the Code Freeze",)),
        ("Mon cousin a.k.a. My Cousin 2020 1080p Blu-ray DD 5.1 x264.mkv", "Mon cousin",
         ("My Cousin",)),
        ("Title A AKA Title B (2001).mkv", "Title A", ("Title B",)),
        ("AKA.2002.DVDRip.x264-HANDJOB.mkv", "AKA", ()),
        ("Aka Rox (2008).avi", "Aka Rox", ()),
    ],
)  # fmt: skip
def test_the_titles_after_aka_are_kept_to_search_next(name, title, others):
    h = hints(f"/lib/{name}")
    assert (h.title, h.other_titles) == (title, others)


@pytest.mark.parametrize(
    ("name", "title", "others"),
    [  # TMDB's title: "Birdman or (The Unexpected Virtue of Ignorance)", Radarr's folder for it
        ("Birdman or (The Unexpected Virtue of Ignorance) (2014)/"
         "Birdman or (The Unexpected Virtue of Ignorance) (2014) Bluray-1080p.mkv", "Birdman or",
         ("Birdman or (The Unexpected Virtue of Ignorance)", "The Unexpected Virtue of Ignorance")),
        ("Birdman.or.(The.Unexpected.Virtue.of.Ignorance).2014.1080p.BluRay.x264-SPARKS.mkv",
         "Birdman or",
         ("Birdman or (The Unexpected Virtue of Ignorance)", "The Unexpected Virtue of Ignorance")),
        # guessit's movies.yml: the film's other title in parentheses
        ("[XCT].Le.Prestige.(The.Prestige).2006.DVDRip.mkv", "Le Prestige",
         ("Le Prestige (The Prestige)", "The Prestige", "XCT Le Prestige")),  # the group's last
        # a tag in parentheses is no title; a country or a word is not searched alone
        ("Sin City (BluRay) (2005).mkv", "Sin City", ()),
        ("Funny Games (US) (2007).mkv", "Funny Games", ("Funny Games (US)",)),
        ("Solaris (Tarkovsky) (1972).mkv", "Solaris", ("Solaris (Tarkovsky)",)),
        ("The Rack (VHS) [1956] Paul Newman.mkv", "The Rack", ()),
    ],
)  # fmt: skip
def test_words_in_parentheses_after_the_title_are_kept_to_search_next(name, title, others):
    """Before, "Birdman or (The Unexpected Virtue of Ignorance) (2014)" was searched as "Birdman
    or" only, which is never TMDB's title exactly: the film was always left to the user."""
    h = hints(f"/lib/{name}")
    assert (h.title, h.other_titles) == (title, others)


@pytest.mark.parametrize(
    ("name", "title", "year"),
    [  # Radarr writes "Face/Off" as "Face+Off" (FileNameBuilder.BadCharacters)
        ("Face+Off (1997)/Face+Off (1997) Bluray-1080p.mkv", "Face+Off", 1997),
        ("Face+Off.1997.1080p.BluRay.x264-GRP.mkv", "Face+Off", 1997),
        ("Romeo.+.Juliet.1996.1080p.BluRay.mkv", "Romeo + Juliet", 1996),
    ],
)
def test_a_plus_glued_between_two_words_stays_glued(name, title, year):
    h = hints(f"/lib/{name}")
    assert (h.title, h.year) == (title, year)


@pytest.mark.parametrize(
    ("path", "title", "others"),
    [
        ("/lib/Spirited Away (2001)/Sen to Chihiro no Kami Kakushi (2001).mkv",
         "Sen to Chihiro no Kami Kakushi", ("Spirited Away",)),
        # Radarr's {Movie Title} folder, {Movie OriginalTitle} file
        ("/lib/Amélie (2001) [tmdbid-194]/Le Fabuleux Destin d'Amélie Poulain (2001).mkv",
         "Le Fabuleux Destin d'Amélie Poulain", ("Amélie",)),
        # not another title: the same one, a shared folder, a folder of another year
        ("/lib/Alien (1979)/Alien.1979.1080p.BluRay.mkv", "Alien", ()),
        ("/lib/Movies/Heat (1995).mkv", "Heat", ()),
        ("/lib/Alien/Alien Resurrection (1997).mkv", "Alien Resurrection", ()),
    ],
)  # fmt: skip
def test_the_movie_folders_other_title_is_kept_to_search_next(path, title, others):
    h = hints(path)
    assert (h.title, h.other_titles) == (title, others)


@pytest.mark.parametrize(
    ("name", "title", "others"),
    [  # TMDB's titles "Jackass 3D", "Piranha 3D", "Saw 3D": Radarr's folder, and scene names
        ("Jackass 3D (2010)/Jackass 3D (2010) Bluray-1080p.mkv", "Jackass", ("Jackass 3D",)),
        ("Piranha.3D.2010.1080p.BluRay.Half-SBS.x264-GRP.mkv", "Piranha", ("Piranha 3D",)),
        ("Saw.3D.2010.1080p.ITA-ENG.BluRay.x265.AAC-V3SP4EV3R.mkv", "Saw", ("Saw 3D",)),
        # after the year, 3D is only the copy's
        ("Avatar.2009.3D.1080p.BluRay.Half-SBS.mkv", "Avatar", ()),
    ],
)  # fmt: skip
def test_3d_before_the_year_is_kept_to_search_with_the_title_next(name, title, others):
    """Before, "Jackass 3D (2010)" was searched as "Jackass" only, which is not TMDB's title
    exactly: the film always waited for the user."""
    h = hints(f"/lib/{name}")
    assert (h.title, h.other_titles) == (title, others)


@pytest.mark.parametrize(
    ("path", "title", "others"),
    [  # YTS's names of the [REC] films (TMDB: "[REC]²", "[REC]³ Génesis", "[REC]⁴ Apocalipsis"),
        # and a scene name of the same shape
        ("[REC] 3 Genesis (2012) [1080p] [YTS.AG]/[REC].3.Genesis.2012.1080p.BluRay.x264-[YTS.AG].mp4",
         "3 Genesis", ("REC 3 Genesis",)),
        ("[REC] 4 Apocalypse (2014) [1080p] [YTS.AG]/[REC].4.Apocalypse.2014.1080p.BluRay.x264-[YTS.AG].mp4",
         "4 Apocalypse", ("REC 4 Apocalypse",)),
        ("[REC] 2 2009 1080p BluRay x264-GRP.mkv", "2", ("REC 2",)),
        # a fansub group's name costs a search only when the title alone finds nothing sure
        ("[MTBB] Kimi no Na wa. (2016) [BD 1080p].mkv", "Kimi no Na wa", ("MTBB Kimi no Na wa",)),
        # what is never a title's word, and a bracket the title kept
        ("[1080p] Heat (1995).mkv", "Heat", ()),
        ("[YTS.AG] Heat (1995).mkv", "Heat", ()),
        ("[REC] (2007).mkv", "REC", ()),
        ("[REC]² (2009)/[REC]² (2009) Bluray-1080p.mkv", "[REC]²", ()),
    ],
)  # fmt: skip
def test_a_leading_bracket_read_as_a_group_is_kept_to_search_with_the_title_next(
    path, title, others
):
    """Before, "[REC] 3 Genesis (2012)" was searched as "3 Genesis" alone, which TMDB's
    "[REC]³ Génesis" never matches surely (below): the film stayed unidentified."""
    h = hints(f"/lib/{path}")
    assert (h.title, h.other_titles) == (title, others)


def test_the_title_with_its_bracket_is_sure_of_the_rec_films_where_the_title_alone_is_not():
    from metarrd.identify.match import SearchResult, is_confident, rank_candidates

    genesis = SearchResult(41439, "[REC]³ Genesis", "[REC]³ Génesis", 2012, 12.0, 900)
    assert not is_confident(rank_candidates("3 Genesis", 2012, [genesis]))
    assert is_confident(rank_candidates("REC 3 Genesis", 2012, [genesis]))


@pytest.mark.parametrize(
    ("path", "title", "year"),
    [
        ("/lib/Dr. Strangelove (1964)", "Dr. Strangelove", 1964),
        ("/lib/Movies/Mr. Smith Goes to Washington (1939)", "Mr. Smith Goes to Washington", 1939),
        ("/lib/Live.Free.or.Die.Hard.2007.NTSC.DVDR-GRP", "Live Free or Die Hard", 2007),
        ("/lib/Heat (1995)/Disc 1", "Heat", 1995),
        ("/lib/Dr. No (1962)/Disc 1", "Dr. No", 1962),
    ],
)
def test_a_discs_folder_is_read_whole_not_cut_at_its_last_dot(path, title, year):
    """The walk's path for a disc is the folder holding `VIDEO_TS`/`BDMV`: a folder has no
    extension, and "Dr. Strangelove (1964)" read as a file's name is "Dr" (its "extension":
    ". Strangelove (1964)"), no year."""
    h = parse_hints(Path(path), LIB, is_disc=True)
    assert (h.title, h.year) == (title, year)


@pytest.mark.parametrize(
    ("name", "title"),
    [
        # TMDB's "Harry Potter and the Deathly Hallows: Part 2", "The Godfather Part II"...
        ("Harry Potter and the Deathly Hallows Part 2.mkv",
         "Harry Potter and the Deathly Hallows Part 2"),
        ("Harry.Potter.and.the.Deathly.Hallows.Part.1.720p.BluRay.x264-GRP.mkv",
         "Harry Potter and the Deathly Hallows Part 1"),
        ("The Hunger Games Mockingjay - Part 1.mkv", "The Hunger Games Mockingjay - Part 1"),
        ("The Godfather Part II.mkv", "The Godfather Part II"),
        ("Ivan the Terrible, Part II.mkv", "Ivan the Terrible Part II"),
        ("Dune Part Two.mkv", "Dune Part Two"),
        ("Che.Part.2.DVDRip.XviD.avi", "Che Part 2"),
    ],
)  # fmt: skip
def test_a_part_ending_a_single_files_name_is_the_titles(name, title):
    """A file with no year whose name ends in "Part 2": the part was cut as a stack marker
    ("The Godfather Part II.mkv" searched as "The Godfather", a confident match to the first
    film). Kodi stacks only several files; a single file's "Part 2" is its title's."""
    h = hints(f"/lib/Movies/{name}")
    assert (h.title, h.year) == (title, None)


@pytest.mark.parametrize(
    "name", ["The Godfather part1.avi", "The Godfather - Part 1.avi", "The Godfather pt1.avi"]
)
def test_a_stacks_part_marker_is_not_in_the_title(name):
    h = parse_hints(Path(f"/lib/Movies/{name}"), LIB, is_stack=True)
    assert (h.title, h.year) == ("The Godfather", None)


@pytest.mark.parametrize(
    ("name", "titles"),
    [
        ("기생충 Parasite (2019).mkv", ("기생충 Parasite", "기생충", "Parasite")),
        ("霸王别姬 Farewell My Concubine (1993).mkv",
         ("霸王别姬 Farewell My Concubine", "霸王别姬", "Farewell My Concubine")),
        ("Брат 2 - Brother 2 (2000).mkv", ("Брат 2 - Brother 2", "Брат 2", "Brother 2")),
        ("Shin Godzilla シン・ゴジラ (2016).mkv", ("Shin Godzilla シン・ゴジラ", "Shin Godzilla", "シン・ゴジラ")),
        ("3 Idiots 三傻大闹宝莱坞 (2009).mkv", ("3 Idiots 三傻大闹宝莱坞", "3 Idiots", "三傻大闹宝莱坞")),
        ("千と千尋の神隠し (2001).mkv", ("千と千尋の神隠し",)),
        ("Amélie (2001).mkv", ("Amélie",)),
        ("Ζ (1969).mkv", ("Ζ",)),
    ],
)  # fmt: skip
def test_a_title_in_two_scripts_gives_each_as_another_title(name, titles):
    h = hints(f"/lib/Movies/{name}")
    assert (h.title, *h.other_titles) == titles


@pytest.mark.parametrize(
    ("path", "title", "year"),
    [
        ("/lib/Star Wars Trilogy (1977-1983)/Return of the Jedi.mkv", "Return of the Jedi", None),
        ("/lib/The Lord of the Rings (2001-2003)/The Fellowship of the Ring.mkv",
         "The Fellowship of the Ring", None),
        ("/lib/Back to the Future Trilogy [1985 - 1990]/Back.to.the.Future.Part.II.720p.mkv",
         "Back to the Future Part II", None),
        ("/lib/Indiana Jones 1981-2008/Raiders of the Lost Ark.mkv", "Raiders of the Lost Ark", None),
        # a range in a film's own title, its year after it: the film's folder
        ("/lib/Los Angeles 1982-1992 (2017)/LA.mkv", "Los Angeles 1982-1992", 2017),
        # a generic name has nothing better than the folder
        ("/lib/Star Wars Trilogy (1977-1983)/movie.mkv", "Star Wars Trilogy", 1983),
    ],
)  # fmt: skip
def test_a_collections_folder_with_a_span_of_years_does_not_name_its_films(path, title, year):
    """ "Star Wars Trilogy (1977-1983)/Return of the Jedi.mkv": the folder's year (the span's
    last) said more than the year-less file name, so every film in it was searched as "Star
    Wars Trilogy" (1983)."""
    h = hints(path)
    assert (h.title, h.year) == (title, year)


@pytest.mark.parametrize(
    ("path", "title"),
    [
        ("/lib/Toy Story (1995)/Toy Story 2.mkv", "Toy Story 2"),
        ("/lib/Toy Story (1995) {tmdb-862}/Toy.Story.3.1080p.BluRay.x264-GRP.mkv", "Toy Story 3"),
        ("/lib/Rocky (1976)/Rocky II.mkv", "Rocky II"),
        ("/lib/Harry Potter and the Deathly Hallows (2010) {tmdb-12444}/"
         "Harry Potter and the Deathly Hallows Part 2.mkv",
         "Harry Potter and the Deathly Hallows Part 2"),
    ],
)  # fmt: skip
def test_a_numbered_sequel_in_its_first_films_folder_is_read_by_its_own_name(path, title):
    """ "Toy Story (1995)/Toy Story 2.mkv": a year-less file in a film's folder took the folder's
    title, year and ids, and identify matched the sequel to the first film, sure of it."""
    h = hints(path)
    assert (h.title, h.year, h.tmdb_id, h.source) == (title, None, None, "file")


@pytest.mark.parametrize(
    "path", ["/lib/9 (2009)/9.mkv", "/lib/Heat (1995)/Heat part 1.mkv", "/lib/Heat (1995)/Heat.mkv"]
)
def test_a_film_named_by_a_number_or_a_lone_first_part_takes_its_folder(path):
    assert hints(path).source == "folder"


@pytest.mark.parametrize("name", ["!!.mkv", '"".mkv', '"[ASW] Show - S2 - 01 [1080p].mkv"'])
def test_a_file_name_of_punctuation_alone_gives_its_folders_title(name):
    # fuzzing (stop 49): a name whose title has no letter nor digit raised IndexError, and the
    # scan kept no hints at all, not even the folder's
    h = hints(f"/lib/The Matrix (1999)/{name}")
    assert (h.title, h.year) == ("The Matrix", 1999)

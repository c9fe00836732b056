"""Ranking TMDB search results: distances that explain themselves, confidence only when safe."""

from __future__ import annotations

import pytest

from metarrd.identify.match import (
    SearchResult,
    is_confident,
    normalize_title,
    rank_candidates,
    search_plan,
)

MATRIX = SearchResult(603, "The Matrix", "The Matrix", 1999, 80.0, 25000)
RELOADED = SearchResult(604, "The Matrix Reloaded", "The Matrix Reloaded", 2003, 40.0, 13000)
MATRIX_DOC = SearchResult(9001, "The Matrix", "The Matrix", 2004, 0.6, 3)  # obscure namesake
DUNE_2021 = SearchResult(438631, "Dune", "Dune", 2021, 80.0, 12000)
DUNE_1984 = SearchResult(841, "Dune", "Dune", 1984, 30.0, 5000)
DUNE_2 = SearchResult(693134, "Dune: Part Two", "Dune: Part Two", 2024, 200.0, 6000)
THING_1982 = SearchResult(1091, "The Thing", "The Thing", 1982, 40.0, 6500)
THING_2011 = SearchResult(60935, "The Thing", "The Thing", 2011, 20.0, 2900)
AMELIE = SearchResult(194, "Amélie", "Le Fabuleux Destin d'Amélie Poulain", 2001, 30.0, 11000)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Amelie", "Amélie"),
        ("Ame\u0301lie", "Amélie"),  # NFD from macOS file names
        ("The Matrix", "Matrix"),
        ("Matrix, The", "The Matrix"),
        ("Fast & Furious", "Fast and Furious"),
        ("Ocean's Eleven", "Oceans Eleven"),
        ("Rocky II", "Rocky 2"),
        ("Star Wars: Episode IV - A New Hope", "Star Wars Episode 4 A New Hope"),
        ("WALL·E", "WALL-E"),
        ("ＦＵＬＬ ＷＩＤＴＨ", "full width"),
        ("Ørnen", "Ornen"),
    ],
)
def test_normalize_title_folds(a, b):
    assert normalize_title(a) == normalize_title(b)


@pytest.mark.parametrize(
    ("a", "b"),
    [("The Matrix", "The Matrix Reloaded"), ("Dune", "Dune: Part Two"), ("I, Robot", "1 Robot")],
)
def test_normalize_title_keeps_different_titles_apart(a, b):
    assert normalize_title(a) != normalize_title(b)


def test_numbers_in_titles_stay():
    assert normalize_title("2001: A Space Odyssey") == "2001 a space odyssey"
    assert normalize_title("Blade Runner 2049") == "blade runner 2049"


def test_exact_title_and_year_is_strong():
    matches = rank_candidates("The Matrix", 1999, [RELOADED, MATRIX_DOC, MATRIX])
    assert [m.candidate.tmdb_id for m in matches] == [603, 9001, 604]
    assert matches[0].recommendation == "strong"
    assert matches[0].distance == 0.0
    assert is_confident(matches)


def test_penalties_are_named_and_add_up_to_the_distance():
    matches = rank_candidates("The Matrix", 2000, [MATRIX, RELOADED])
    for m in matches:
        assert set(m.penalties) == {"title", "year", "obscurity"}
        assert sum(m.penalties.values()) == pytest.approx(m.distance, abs=1e-3)
        assert 0.0 <= m.distance <= 1.0
    assert matches[1].penalties["title"] > 0 and matches[1].penalties["year"] > 0


@pytest.mark.parametrize(
    ("title", "year", "expected"),
    [("Dune", 2021, 438631), ("Dune", 1984, 841), ("The Thing", 1982, 1091)],
)
def test_same_title_different_years_the_year_decides(title, year, expected):
    matches = rank_candidates(title, year, [DUNE_2, DUNE_1984, DUNE_2021, THING_2011, THING_1982])
    assert matches[0].candidate.tmdb_id == expected
    assert is_confident(matches)


@pytest.mark.parametrize("candidates", [[DUNE_2021, DUNE_1984, DUNE_2], [THING_1982, THING_2011]])
def test_same_title_without_a_year_is_left_to_the_user(candidates):
    matches = rank_candidates(candidates[0].title, None, candidates)
    assert not is_confident(matches)
    assert matches[0].recommendation == "low"
    assert "same title" in matches[0].reasons[0]
    assert all(m.recommendation in ("low", "none") for m in matches)


def test_unique_title_without_a_year_is_strong_despite_an_obscure_namesake():
    matches = rank_candidates("The Matrix", None, [MATRIX, MATRIX_DOC, RELOADED])
    assert matches[0].candidate is MATRIX
    assert is_confident(matches)


def test_year_off_by_one_is_medium_when_the_title_is_unique():
    matches = rank_candidates("Amelie", 2002, [AMELIE])
    assert matches[0].recommendation == "medium"
    assert matches[0].reasons == ("year off by one",)
    assert not is_confident(matches)


def test_year_off_by_one_is_low_with_a_same_title_rival():
    matches = rank_candidates("The Thing", 1983, [THING_1982, THING_2011])
    assert matches[0].candidate is THING_1982
    assert matches[0].recommendation == "low"
    # quoted as the message around it quotes the best one: "best 'The Thing' (1982), ..."
    assert matches[0].reasons == ("year off by one, and 'The Thing' (2011) has the same title",)


def test_accents_do_not_matter():
    assert is_confident(rank_candidates("Amelie", 2001, [AMELIE]))


def test_original_title_counts_as_exact():
    leon = SearchResult(101, "Léon: The Professional", "Léon", 1994, 50.0, 14000)
    assert is_confident(rank_candidates("Leon", 1994, [leon]))


def test_partial_title_is_medium_never_strong():
    leon = SearchResult(101, "Léon: The Professional", "Léon: The Professional", 1994, 50.0, 14000)
    matches = rank_candidates("Leon", 1994, [leon])
    assert matches[0].recommendation == "medium"
    assert matches[0].reasons == ("title only partly matches",)


def test_same_title_same_year_twice_is_not_confident():
    twin = SearchResult(7, "The Matrix", "The Matrix", 1999, 10.0, 9000)
    matches = rank_candidates("The Matrix", 1999, [MATRIX, twin])
    assert not is_confident(matches)
    assert "same title and year" in matches[0].reasons[0]


def test_wrong_title_is_none():
    matches = rank_candidates("Completely Different", 1999, [MATRIX])
    assert matches[0].recommendation == "none"
    assert not is_confident(matches)


def test_duplicates_from_several_searches_count_once():
    matches = rank_candidates("The Matrix", 1999, [MATRIX, MATRIX, RELOADED, MATRIX])
    assert [m.candidate.tmdb_id for m in matches] == [603, 604]
    assert is_confident(matches)


def test_nothing_to_rank():
    assert rank_candidates("The Matrix", 1999, []) == []
    assert not is_confident([])


def test_candidate_from_tmdb_result():
    result = {"id": 21778, "title": "RRRrrrr!!!", "original_title": "RRRrrrr!!!",
              "release_date": "", "popularity": 25.0, "vote_count": 1107, "poster_path": None}  # fmt: skip
    c = SearchResult.from_tmdb(result)
    assert (c.tmdb_id, c.year, c.vote_count, c.poster_path) == (21778, None, 1107, None)
    assert (
        SearchResult.from_tmdb({"id": 1, "title": "X", "release_date": "1999-03-30"}).year == 1999
    )


def test_search_plan_follows_kodis_scraper():
    assert search_plan("The Matrix", 1999) == [
        {"query": "The Matrix", "year": 1999},
        {"query": "The Matrix", "year": 1998},
        {"query": "The Matrix", "year": 2000},
        {"query": "The Matrix"},
    ]
    assert search_plan("Matrix, The", None) == [{"query": "The Matrix"}]


@pytest.mark.parametrize(
    ("name", "tmdb"),
    [  # Radarr and Sonarr write "/" in a title as "+" (FileNameBuilder.BadCharacters)
        ("Face+Off", "Face/Off"),
        ("Frost+Nixon", "Frost/Nixon"),
        ("Fahrenheit 9+11", "Fahrenheit 9/11"),
        # with spaces around it, "+" still reads "and"
        ("Romeo and Juliet", "Romeo + Juliet"),
    ],
)
def test_a_slash_written_as_plus_in_a_file_name_is_the_same_title(name, tmdb):
    """Before, "Face+Off (1997)" (Radarr's folder for Face/Off) was "face and off" to the matcher:
    never an exact title, so never identified without the user."""
    assert normalize_title(name) == normalize_title(tmdb)
    face_off = SearchResult(754, tmdb, tmdb, 1997, 30.0, 5000)
    assert is_confident(rank_candidates(name, 1997, [face_off]))


def test_a_slash_written_as_plus_is_searched_as_a_space():
    assert search_plan("Face+Off", None) == [{"query": "Face Off"}]
    assert search_plan("Romeo + Juliet", None) == [{"query": "Romeo + Juliet"}]

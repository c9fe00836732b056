"""The 0-100 artwork score: weights, reasons, languages, providers."""

from __future__ import annotations

import pytest

from metarrd.enrich.score import ImageFacts, Preferences, score_image
from metarrd.enrich.selection import ScoredCandidate, select

PREFS = Preferences(languages=("de", "en"), provider_priority=("tmdb", "fanart", "tvdb"))


def facts(**kw) -> ImageFacts:
    base = dict(asset_type="poster", provider="tmdb", width=2000, height=3000, language="de",
                vote_average=6.0, vote_count=10**6)  # fmt: skip
    return ImageFacts(**{**base, **kw})


def points(score, name):
    return next(f.points for f in score.factors if f.name == name)


def test_the_ideal_image_scores_100_and_explains_every_factor():
    score = score_image(facts(), PREFS)
    assert score.total == pytest.approx(100, abs=0.1)
    assert [f.name for f in score.factors] == ["resolution", "aspect", "language", "votes",
                                               "provider"]  # fmt: skip
    assert [f.max_points for f in score.factors] == [30, 20, 20, 20, 10]
    assert all(f.reason for f in score.factors)
    assert score.breakdown()["factors"][0]["max"] == 30


def test_each_halving_of_pixels_costs_five_points():
    assert points(score_image(facts(width=1000, height=1500), PREFS), "resolution") == 20
    assert points(score_image(facts(width=4000, height=6000), PREFS), "resolution") == 30
    assert points(score_image(facts(width=20, height=30), PREFS), "resolution") == 0


def test_aspect_ratio_against_the_type():
    assert points(score_image(facts(width=2000, height=2000), PREFS), "aspect") == 0
    landscape = facts(asset_type="fanart", width=3840, height=2160, language=None)
    assert points(score_image(landscape, PREFS), "aspect") == 20
    slightly_off = score_image(facts(width=1000, height=1426), PREFS)
    assert 15 < points(slightly_off, "aspect") < 20


def test_languages_textless_and_foreign():
    assert points(score_image(facts(language="de"), PREFS), "language") == 20
    assert points(score_image(facts(language="en"), PREFS), "language") == 15
    textless_poster = score_image(facts(language=None), PREFS)
    assert points(textless_poster, "language") == 12 and not textless_poster.foreign
    textless_fanart = score_image(facts(asset_type="fanart", language=None), PREFS)
    assert points(textless_fanart, "language") == 20
    french = score_image(facts(language="fr"), PREFS)
    assert points(french, "language") == 0 and french.foreign


def test_votes_per_provider():
    assert points(score_image(facts(vote_average=0.0, vote_count=0), PREFS), "votes") == 0
    few = points(score_image(facts(vote_average=5.8, vote_count=1), PREFS), "votes")
    many = points(score_image(facts(vote_average=5.8, vote_count=50), PREFS), "votes")
    assert 0 < few < many <= 20
    liked = score_image(facts(provider="fanart", vote_count=5), PREFS)
    assert points(liked, "votes") == 10
    assert points(score_image(facts(provider="tvdb", vote_count=100000), PREFS), "votes") == 20


def test_provider_priority_and_the_users_library():
    assert points(score_image(facts(provider="tmdb"), PREFS), "provider") == 10
    assert points(score_image(facts(provider="fanart"), PREFS), "provider") == 9
    assert points(score_image(facts(provider="tvdb"), PREFS), "provider") == 8
    # named as the pages name the provider, not by its key ("tvdb: number 3 in priority")
    reasons = {f.name: f.reason for f in score_image(facts(provider="tvdb"), PREFS).factors}
    assert reasons["provider"] == "TheTVDB: number 3 in priority"
    alone = Preferences(("en",), ("tmdb",))
    reasons = {f.name: f.reason for f in score_image(facts(provider="fanart"), alone).factors}
    assert reasons["provider"] == "fanart.tv: not in your provider priority"
    own = score_image(facts(provider="library", language=None), PREFS)
    assert points(own, "provider") == 10 and points(own, "votes") == 20
    listed = Preferences(("en",), ("tmdb", "fanart", "library"))
    assert points(score_image(facts(provider="library"), listed), "provider") == 8


def test_an_image_without_a_size_cannot_be_scored():
    with pytest.raises(ValueError):
        score_image(facts(width=0), PREFS)


def test_a_titled_backdrop_comes_after_every_textless_one():
    # TMDB tags a backdrop with a language when it carries text (the title): Fight Club's
    # /movie/550/images has 38 of 55 backdrops with "iso_639_1": null, the others "en" and so
    # on. Kodi's scraper takes fanart from the null ones only (tmdb.py `_parse_artwork`); a
    # titled one with every vote must not beat a textless one with none.
    titled = score_image(facts(asset_type="fanart", width=3840, height=2160, language="de",
                               vote_average=7.5, vote_count=40), PREFS)  # fmt: skip
    textless = score_image(facts(asset_type="fanart", width=3840, height=2160, language=None,
                                 vote_average=0.0, vote_count=0), PREFS)  # fmt: skip
    assert titled.foreign and not textless.foreign
    assert points(titled, "language") == 12 and "text on a backdrop" in titled.factors[2].reason
    picks = [
        ScoredCandidate(1, "fanart", True, titled.total, titled.foreign, pixels=3840 * 2160),
        ScoredCandidate(2, "fanart", True, textless.total, textless.foreign, pixels=3840 * 2160),
    ]
    ranked = sorted((d for d in select(picks, {"fanart": 2}) if d.selected), key=lambda d: d.rank)
    assert [d.id for d in ranked] == [2, 1]  # both used, the textless one first
    # a poster carries its title: text in your language is what fits there
    assert not score_image(facts(language="de"), PREFS).foreign


def test_a_poster_in_the_first_language_comes_before_a_better_voted_one_in_the_second():
    # TMDB's votes gather on the English uploads: a German poster has none yet where the English
    # one has 40. Kodi's scraper lists the user's language's images first, English after
    # (tmdb.py `_get_images_with_fallback`); votes must not turn that round.
    german = score_image(facts(language="de", vote_average=0.0, vote_count=0), PREFS)
    english = score_image(facts(language="en", vote_average=7.0, vote_count=40), PREFS)
    textless = score_image(facts(language=None, vote_average=8.0, vote_count=90), PREFS)
    own = score_image(facts(provider="library", language=None), PREFS)
    assert english.total > german.total  # the score alone would pick the English one
    assert (german.tier, english.tier, textless.tier, own.tier) == (0, 1, 2, 0)
    picks = [
        ScoredCandidate(i, "poster", True, s.total, s.foreign, pixels=6_000_000, tier=s.tier)
        for i, s in enumerate((english, textless, german), start=1)
    ]
    ranked = sorted((d for d in select(picks, {"poster": 3}) if d.selected), key=lambda d: d.rank)
    assert [d.id for d in ranked] == [3, 1, 2]  # German, English, then the textless one
    assert german.breakdown()["tier"] == 0 and english.breakdown()["tier"] == 1


def test_an_enrich_scores_each_candidate_once(rt, simulator, monkeypatch):
    """A movie's enrich scored most candidates twice from the same facts: by their stated size
    (which to fetch whole) and as analysed (the analysis confirmed that size): 1,194 scores for
    ~600 candidates in bench.enrich. A score is kept for the same facts, so it is computed once."""
    from metarrd import db
    from metarrd.enrich import enrich_item
    from metarrd.enrich import score as scoring

    from .conftest import make_movie

    computed = []
    real = scoring.resolution
    monkeypatch.setattr(scoring, "resolution", lambda f: computed.append(f) or real(f))
    movie = make_movie(rt, title="The Matrix Scored Once")
    enrich_item(rt, movie)
    rows = db.ArtworkCandidate.select().where(
        (db.ArtworkCandidate.movie == movie.id) & db.ArtworkCandidate.score.is_null(False)
    )
    assert rows.count() >= 30
    assert len(computed) <= rows.count()


def test_a_kept_score_is_the_one_its_facts_give():
    """Equal facts of other types (1000 and 1000.0, 3 likes and 3.0) read differently in the
    reasons: each keeps its own."""
    whole = score_image(facts(width=1000, height=1500, provider="fanart", vote_count=3), PREFS)
    floats = score_image(
        facts(width=1000.0, height=1500.0, provider="fanart", vote_count=3.0), PREFS
    )
    assert "1000x1500" in whole.factors[0].reason and "3 likes" in whole.factors[3].reason
    assert "1000.0x1500.0" in floats.factors[0].reason and "3.0 likes" in floats.factors[3].reason
    assert score_image(facts(), Preferences(["de", "en"], ["tmdb"])) == score_image(
        facts(), Preferences(("de", "en"), ("tmdb",))
    )  # a list where a tuple belongs: scored all the same

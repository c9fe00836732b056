"""TMDB details -> metadata values; locks and empty values in the merge; the cast."""

from __future__ import annotations

from metarrd.enrich.metadata import (
    cast_members,
    certification,
    english_fallback,
    merge_fields,
    movie_fields,
    trailer,
)
from metarrd.fields import sort_title

DETAILS = {
    "id": 550,
    "title": "The Fight Club",
    "original_title": "Fight Club",
    "overview": "An insomniac office worker...",
    "tagline": "Mischief. Mayhem. Soap.",
    "runtime": 139,
    "release_date": "1999-10-15",
    "vote_average": 8.44,
    "vote_count": 27917,
    "genres": [{"id": 18, "name": "Drama"}, {"id": 53, "name": "Thriller"}],
    "production_countries": [{"iso_3166_1": "US", "name": "United States of America"}],
    "production_companies": [{"id": 711, "name": "Fox 2000 Pictures"}],
    "belongs_to_collection": None,
    "credits": {
        "cast": [
            {"id": 287, "name": "Brad Pitt", "character": "Tyler Durden", "order": 1,
             "profile_path": "/brad.jpg"},
            {"id": 819, "name": "Edward Norton", "character": "Narrator", "order": 0,
             "profile_path": "/ed.jpg"},
            {"id": 1283, "name": "Helena Bonham Carter", "character": "Marla", "order": 2,
             "profile_path": None},
        ],
        "crew": [
            {"department": "Directing", "job": "Director", "name": "David Fincher"},
            {"department": "Directing", "job": "Assistant Director", "name": "Someone"},
            {"department": "Writing", "job": "Screenplay", "name": "Jim Uhls"},
            {"department": "Writing", "job": "Novel", "name": "Chuck Palahniuk"},
        ],
    },
    "release_dates": {"results": [
        {"iso_3166_1": "US", "release_dates": [
            {"certification": "", "type": 1, "note": "Festival"},
            {"certification": "NR", "type": 4},
            {"certification": "R", "type": 3},
        ]},
        {"iso_3166_1": "DE", "release_dates": [{"certification": "18", "type": 3}]},
    ]},
    "videos": {"results": [
        {"key": "clip1", "site": "YouTube", "type": "Clip", "official": True, "iso_639_1": "en"},
        {"key": "teaser", "site": "YouTube", "type": "Teaser", "official": True},
        {"key": "vimeo", "site": "Vimeo", "type": "Trailer", "official": True},
        {"key": "fan", "site": "YouTube", "type": "Trailer", "official": False, "iso_639_1": "en"},
        {"key": "SUXWAEX2jlg", "site": "YouTube", "type": "Trailer", "official": True,
         "iso_639_1": "en", "size": 1080},
    ]},
    "keywords": {"keywords": [{"id": 851, "name": "dual identity"}, {"id": 1, "name": "soap"}]},
}  # fmt: skip


def test_movie_fields():
    f = movie_fields(DETAILS, "US")
    assert f["title"] == "The Fight Club"
    assert f["original_title"] == "Fight Club"
    assert f["sort_title"] == "Fight Club"
    assert f["plot"].startswith("An insomniac")
    assert f["tagline"] == "Mischief. Mayhem. Soap."
    assert f["runtime"] == 139
    assert (f["premiered"], f["year"]) == ("1999-10-15", 1999)
    assert (f["rating"], f["votes"]) == (8.44, 27917)
    assert f["genres"] == ["Drama", "Thriller"]
    assert f["countries"] == ["United States of America"]
    assert f["studios"] == ["Fox 2000 Pictures"]
    assert f["directors"] == ["David Fincher"]
    assert f["writers"] == ["Jim Uhls"]
    assert f["mpaa"] == "R"
    assert f["tags"] == ["dual identity", "soap"]
    assert f["set_name"] is None
    assert f["trailer"] == "plugin://plugin.video.youtube/play/?video_id=SUXWAEX2jlg"


def test_certification_prefers_theatrical_then_first_rated():
    assert certification(DETAILS, "us") == "R"
    assert certification(DETAILS, "DE") == "18"
    assert certification(DETAILS, "FR") is None
    only_digital = {"release_dates": {"results": [{"iso_3166_1": "GB", "release_dates": [
        {"certification": "", "type": 3}, {"certification": "15", "type": 4}]}]}}  # fmt: skip
    assert certification(only_digital, "GB") == "15"


def test_no_trailer_from_clips_only():
    clips = {"videos": {"results": [{"key": "c", "site": "YouTube", "type": "Featurette"}]}}
    assert trailer(clips) is None
    assert trailer({}) is None


def test_sparse_details_give_empty_values():
    f = movie_fields({"title": "X", "runtime": 0, "release_date": "", "tagline": None}, "US")
    assert f["runtime"] is None and f["premiered"] is None and f["year"] is None
    assert f["tagline"] is None and f["genres"] == [] and f["rating"] is None


def test_sort_title_only_for_leading_articles():
    assert sort_title("The Matrix") == "Matrix"
    assert sort_title("A Beautiful Mind") == "Beautiful Mind"
    assert sort_title("Theodore") is None
    assert sort_title("Matrix") is None


def test_merge_never_touches_locked_fields_and_never_erases():
    current = {"title": "My Title", "plot": "user plot", "tagline": "kept", "sort_title": None,
               "genres": ["Drama"], "year": 1999}  # fmt: skip
    new = {"title": "TMDB Title", "plot": "tmdb plot", "tagline": None, "sort_title": "Title",
           "genres": [], "year": 1999}  # fmt: skip
    changes = merge_fields(current, new, locked=["title"])
    assert changes == {"plot": "tmdb plot"}  # no sort title from TMDB's title: "My Title" has none


def test_merge_fills_a_derived_sort_title_only_when_empty():
    changes = merge_fields({"sort_title": "Mine"}, {"sort_title": "Derived"}, locked=[])
    assert changes == {}


def test_a_derived_sort_title_follows_the_items_title():
    """The sort title derived from the old title follows the new one (a locked title wins over
    TMDB's); the user's own stays."""
    derived = {"title": "The Matrix", "sort_title": "Matrix"}
    assert merge_fields(derived, {"title": "The Matrix", "sort_title": "Matrix"}, []) == {}
    changes = merge_fields(derived, {"title": "A Neo", "sort_title": "Neo"}, [])
    assert changes == {"title": "A Neo", "sort_title": "Neo"}
    locked = {"title": "Neo Rising", "sort_title": "Matrix"}
    assert merge_fields(locked, {"title": "The Matrix", "sort_title": "Matrix"}, ["title"]) == {
        "sort_title": None
    }
    own = {"title": "The Matrix", "sort_title": "Matrix 1"}
    assert merge_fields(own, {"title": "A Neo", "sort_title": "Neo"}, ["title"]) == {}


def test_a_locked_date_gives_its_year_only_a_year_the_column_takes():
    locked = ["premiered"]
    current = {"premiered": "1998-01-02", "year": 1999}
    assert merge_fields(current, {"year": 1999}, locked) == {"year": 1998}
    typo = {"premiered": "0199-03-31", "year": 1999}  # typed on the item page, locked
    assert merge_fields(typo, {"year": 1999, "premiered": "1999-03-30"}, locked) == {}


def test_the_years_a_date_may_give_are_the_year_columns():
    from metarrd.db import INT_RANGES
    from metarrd.enrich.metadata import YEARS

    assert INT_RANGES["year"] == YEARS


def test_a_new_collection_clears_the_old_overview():
    changes = merge_fields(
        {"set_name": "Old", "set_overview": "old text"}, {"set_name": "New"}, locked=[]
    )
    assert changes == {"set_name": "New", "set_overview": None}


def test_cast_in_billing_order_with_limit():
    cast = cast_members(DETAILS, 2)
    assert [(c.name, c.role, c.order) for c in cast] == [
        ("Edward Norton", "Narrator", 0),
        ("Brad Pitt", "Tyler Durden", 1),
    ]
    everyone = cast_members(DETAILS, 15)
    assert everyone[2].profile_path is None
    assert cast_members({}, 15) == []


def test_the_users_tags_come_first_and_only_the_keywords_of_now_after_them():
    from metarrd.enrich.metadata import tags_with_keywords

    # first enrich: every tag is the user's (their NFO's)
    assert tags_with_keywords(["Favourites"], None, ["android"]) == ["Favourites", "android"]
    # the next: what the last enrich added is TMDB's, not the user's
    assert tags_with_keywords(["Favourites", "android"], ["android"], ["robot"]) == [
        "Favourites",
        "robot",
    ]
    # "Change movie…": the old film's keywords go, the user's stay
    old = ["spaceship", "android"]
    assert tags_with_keywords(["Favourites", *old], old, ["heist"]) == ["Favourites", "heist"]
    # a tag of the user's that TMDB gives too is one tag, where the user put it
    assert tags_with_keywords(["android", "Favourites"], [], ["android", "robot"]) == [
        "android",
        "Favourites",
        "robot",
    ]


# `/movie/550?language=de-DE&append_to_response=translations`: a language nobody translated the
# overview into comes back as `"overview": ""` (and `"tagline": ""`); the appended translations
# hold every language's text (shape of TMDB's /movie/{id}/translations, captured for id 550).
UNTRANSLATED = {
    **DETAILS,
    "overview": "",
    "tagline": "",
    "translations": {"translations": [
        {"iso_3166_1": "DE", "iso_639_1": "de", "name": "Deutsch", "english_name": "German",
         "data": {"homepage": "", "overview": "", "runtime": 0, "tagline": "", "title": ""}},
        {"iso_3166_1": "GB", "iso_639_1": "en", "name": "English", "english_name": "English",
         "data": {"homepage": "", "overview": "", "runtime": 0, "tagline": "", "title": ""}},
        {"iso_3166_1": "US", "iso_639_1": "en", "name": "English", "english_name": "English",
         "data": {"homepage": "http://www.foxmovies.com/movies/fight-club",
                  "overview": "A ticking-time-bomb insomniac and a slippery soap salesman...",
                  "runtime": 139, "tagline": "Mischief. Mayhem. Soap.", "title": ""}},
        {"iso_3166_1": "FR", "iso_639_1": "fr", "name": "Français", "english_name": "French",
         "data": {"overview": "Le narrateur, sans identité précise...", "tagline": ""}},
    ]},
}  # fmt: skip


def test_an_untranslated_plot_falls_back_to_english_and_never_replaces_ones_own():
    fields = movie_fields(UNTRANSLATED, "DE", "de-DE")
    assert fields["plot"] is None and fields["tagline"] is None  # TMDB's "" in German
    fallback = english_fallback(UNTRANSLATED, fields)
    assert fallback == {
        "plot": "A ticking-time-bomb insomniac and a slippery soap salesman...",
        "tagline": "Mischief. Mayhem. Soap.",
    }
    # a movie with no plot gets the English one (Kodi: `overview or fallback overview`) ...
    changes = merge_fields({"plot": None}, {**fields, **fallback}, [], fallback)
    assert changes["plot"].startswith("A ticking-time-bomb")
    # ... one with a plot (its NFO's German text, an earlier enrich's) keeps it
    kept = merge_fields({"plot": "Ein Angestellter...", "tagline": "Eigener"},
                        {**fields, **fallback}, [], fallback)  # fmt: skip
    assert "plot" not in kept and "tagline" not in kept
    # a translated text needs no fallback
    assert english_fallback(UNTRANSLATED, {"plot": "Ein Angestellter", "tagline": "x"}) == {}
    assert english_fallback(DETAILS, movie_fields(DETAILS, "US")) == {}


def test_the_later_episodes_fields_of_a_file_are_its_block_locks():
    """One list of `aired-2`... for the scan (Jellyfin's `<lockdata>` of a multi-episode
    file, EpisodeNfoSaver.cs) and the review's "lock every field": each a lock `block_lock`
    reads back as the field of that later episode's block."""
    from metarrd.fields import MAX_BLOCKS, block_lock, later_episode_fields

    assert later_episode_fields(0) == later_episode_fields(1) == []
    assert later_episode_fields(3) == [
        "aired-2", "plot-2", "title-2", "aired-3", "plot-3", "title-3"]  # fmt: skip
    names = later_episode_fields(MAX_BLOCKS)
    assert [block_lock(n) for n in names] == [
        (f, i) for i in range(1, MAX_BLOCKS) for f in ("aired", "plot", "title")
    ]

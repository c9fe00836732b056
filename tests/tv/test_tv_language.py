"""A show, season or episode TMDB has no text of in `[providers.tmdb] language` gets the English
one, as Kodi's TV scraper does (xbmc/metadata.tvshows.themoviedb.org.python, nexus, tmdb.py:
`load_show_info` and `load_episode_info` ask again with `language=en-US` when `overview` is ""),
never over the user's own plot or a locked one (docs/tv.md "Enrich")."""

from __future__ import annotations

from metarrd import db
from metarrd.enrich import enrich_item
from metarrd.enrich.tv_metadata import show_english_fallback, show_fields
from metarrd.identify import identify_many
from metarrd.runtime import open_runtime
from metarrd.scan import scan

from .conftest import put, tv_config

BB = "Breaking Bad (2008)"

# `/tv/1396?language=de-DE&append_to_response=translations`: a language without a translation
# of the overview answers `"overview": ""`; the appended `/tv/{id}/translations` entries' `data`
# are `name, overview, homepage, tagline` (not a movie's `title, runtime`)
UNTRANSLATED = {
    "id": 1396,
    "name": "Breaking Bad",
    "original_name": "Breaking Bad",
    "overview": "",
    "tagline": "",
    "first_air_date": "2008-01-20",
    "translations": {"translations": [
        {"iso_3166_1": "DE", "iso_639_1": "de", "name": "Deutsch", "english_name": "German",
         "data": {"name": "", "overview": "", "homepage": "", "tagline": ""}},
        {"iso_3166_1": "US", "iso_639_1": "en", "name": "English", "english_name": "English",
         "data": {"name": "Breaking Bad",
                  "overview": "Walter White, a New Mexico chemistry teacher, is diagnosed with "
                              "Stage III cancer...",
                  "homepage": "https://www.sonypictures.com/tv/breakingbad",
                  "tagline": "Change the equation."}},
        {"iso_3166_1": "FR", "iso_639_1": "fr", "name": "Français", "english_name": "French",
         "data": {"name": "", "overview": "Walter White, 50 ans, est professeur de chimie...",
                  "homepage": "", "tagline": ""}},
    ]},
}  # fmt: skip


def test_a_shows_untranslated_plot_falls_back_to_the_english_translation():
    fields = show_fields(UNTRANSLATED, "DE")
    assert fields["plot"] is None  # TMDB's "" in German
    # the plot only: a show item's fields have no tagline of TMDB's
    assert show_english_fallback(UNTRANSLATED, fields) == {
        "plot": "Walter White, a New Mexico chemistry teacher, is diagnosed with Stage III cancer..."
    }
    translated = {**UNTRANSLATED, "overview": "Walter White, ein Chemielehrer..."}
    assert show_english_fallback(translated, show_fields(translated, "DE")) == {}


def german_runtime(tmp_path, simulator):
    return open_runtime(tv_config(tmp_path, simulator, language="de-DE"))


def identified_show(rt, root, files) -> db.Movie:
    for rel in files:
        put(root, rel)
    scan(rt)
    identify_many(rt, [m.id for m in db.Movie.select().where(db.Movie.kind == db.SHOW)], 1)
    return db.Movie.get(db.Movie.kind == db.SHOW)


def test_a_german_users_show_gets_the_english_plot_where_tmdb_has_no_german_one(
    tmp_path, simulator
):
    # the simulator answers as TMDB does: Breaking Bad has no German overview
    rt = german_runtime(tmp_path, simulator)
    try:
        show = identified_show(rt, tmp_path / "tv", [f"{BB}/Season 01/Breaking Bad - S01E01.mkv"])
        enrich_item(rt, show)
        english = simulator.router.tv.get(1396).overview
        assert english and db.Movie.get_by_id(show.id).plot == english
    finally:
        rt.close()


def test_the_users_own_plot_of_the_show_stays(tmp_path, simulator):
    rt = german_runtime(tmp_path, simulator)
    try:
        folder = tmp_path / "tv" / BB
        folder.mkdir(parents=True)
        (folder / "tvshow.nfo").write_text(  # a German user's NFO (Kodi's export)
            '<?xml version="1.0" encoding="UTF-8" standalone="yes" ?>\n<tvshow>\n'
            "  <title>Breaking Bad</title>\n  <plot>Ein Chemielehrer wird Drogenkoch.</plot>\n"
            '  <uniqueid type="tmdb" default="true">1396</uniqueid>\n</tvshow>\n',
            encoding="utf-8",
        )
        show = identified_show(rt, tmp_path / "tv", [f"{BB}/Season 01/Breaking Bad - S01E01.mkv"])
        enrich_item(rt, show)
        assert db.Movie.get_by_id(show.id).plot == "Ein Chemielehrer wird Drogenkoch."
    finally:
        rt.close()

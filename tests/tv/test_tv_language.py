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


# `/tv/1396?language=de-DE&append_to_response=season/1`: a season and episodes nobody translated
# into German come back as `"overview": ""` (the name is TMDB's German placeholder, "Staffel 1",
# and is left alone); the same with `language=en-US` holds the English text
SEASON_DE = {"name": "Staffel 1", "overview": "", "air_date": "2008-01-20", "episodes": []}
SEASON_EN = {
    "name": "Season 1",
    "overview": "High school chemistry teacher Walter White's life is suddenly transformed...",
    "air_date": "2008-01-20",
    "episodes": [],
}


def test_a_seasons_untranslated_plot_falls_back_to_english():
    from metarrd.enrich.tv_metadata import season_english_fallback, season_fields

    fields = season_fields(SEASON_DE)
    assert fields["plot"] is None
    assert season_english_fallback(fields, SEASON_EN) == {"plot": SEASON_EN["overview"]}
    assert season_english_fallback(season_fields({**SEASON_DE, "overview": "Walt..."}),
                                   SEASON_EN) == {}  # fmt: skip
    assert season_english_fallback(fields, None) == {}


def test_a_later_episodes_block_gets_the_english_plot_unless_the_users_block_has_one():
    from metarrd.enrich.tv_metadata import english_plots

    blocks = [
        {"season": 1, "episode": 4, "title": "Krebs", "plot": None},
        {"season": 1, "episode": 5, "title": "Graue Masse", "plot": None},
    ]
    english = ["Walter finally tells his family...", "Walter and Skyler attend a party..."]
    # the first block stays empty: publish writes the item's plot there (filled when it has none)
    assert [b["plot"] for b in english_plots(blocks, english, [])] == [
        None,
        "Walter and Skyler attend a party...",
    ]
    # scan's `nfo_episodes` of a German user's Kodi export of S01E04E05: its E05 plot stays
    users = [
        {"season": 1, "episode": 4, "plot": "Walter erzählt seiner Familie...", "extra": []},
        {"season": 1, "episode": 5, "plot": "Walter und Skyler gehen auf eine Party.", "extra": []},
    ]
    assert [b["plot"] for b in english_plots(blocks, english, users)] == [None, None]


def test_a_german_users_seasons_and_episodes_get_the_english_plot_in_one_more_request(
    tmp_path, simulator
):
    # the simulator answers as TMDB does: Breaking Bad's season 1 and its episodes have no
    # German overview (`"overview": ""`); season 2 has none in English either
    rt = german_runtime(tmp_path, simulator)
    try:
        files = [
            f"{BB}/Season 01/Breaking Bad - S01E01 - Pilot.mkv",
            f"{BB}/Season 01/Breaking Bad S01E04E05.mkv",
            f"{BB}/Season 02/Breaking Bad - S02E01.mkv",
        ]
        show = identified_show(rt, tmp_path / "tv", files)
        simulator.reset_requests()
        result = enrich_item(rt, show)
        assert not result.failed, str(result)
        asked = [h.path for h in simulator.requests if h.path.startswith("/3/tv/")]
        # the show with its seasons, and its seasons again in English: not one per episode
        assert len(asked) == 2 and "language=en-US" in asked[1], asked
        season = db.Movie.get(db.Movie.kind == db.SEASON, db.Movie.season == 1)
        assert season.plot == simulator.router.tv.get(1396).season_overviews["1"]
        assert db.Movie.get(db.Movie.kind == db.SEASON, db.Movie.season == 2).plot is None
        pilot = db.Movie.get(db.Movie.path.endswith("Pilot.mkv"))
        assert pilot.plot == "Breaking Bad, season 1 episode 1."  # the simulator's English one
        double = db.Movie.get(db.Movie.path.endswith("S01E04E05.mkv"))
        assert double.plot == "Breaking Bad, season 1 episode 4."
        assert [d["plot"] for d in double.episode_details] == [
            None,  # publish writes the item's plot
            "Breaking Bad, season 1 episode 5.",
        ]
        # a re-enrich changes nothing (season 2, with no text in English either, asks again)
        simulator.reset_requests()
        again = enrich_item(rt, db.Movie.get_by_id(show.id))
        assert not again.changed, str(again)
        assert len([h for h in simulator.requests if "language=en-US" in h.path]) <= 1
    finally:
        rt.close()


def test_the_users_own_episode_plot_stays(tmp_path, simulator):
    rt = german_runtime(tmp_path, simulator)
    try:
        video = put(tmp_path / "tv", f"{BB}/Season 01/Breaking Bad - S01E01 - Pilot.mkv")
        video.with_suffix(".nfo").write_text(  # a German user's episode NFO (Kodi's export)
            '<?xml version="1.0" encoding="UTF-8" standalone="yes" ?>\n<episodedetails>\n'
            "  <title>Der Einstieg</title>\n  <season>1</season>\n  <episode>1</episode>\n"
            "  <plot>Walter White erfährt, dass er Krebs hat.</plot>\n</episodedetails>\n",
            encoding="utf-8",
        )
        show = identified_show(rt, tmp_path / "tv", [])
        enrich_item(rt, show)
        pilot = db.Movie.get(db.Movie.path.endswith("Pilot.mkv"))
        assert pilot.plot == "Walter White erfährt, dass er Krebs hat."
    finally:
        rt.close()


def test_a_german_users_show_gets_the_english_trailer_where_there_is_no_german_one(
    tmp_path, simulator
):
    # TMDB's `language=de-DE` filters the appended videos to German ones; Breaking Bad's only
    # trailer is English (`include_video_language=de,en` keeps it, as Kodi's TV scraper asks:
    # tmdb.py `load_show_info`, `include_video_language`; its `_parse_trailer` takes the
    # language's trailer, else the English one)
    rt = german_runtime(tmp_path, simulator)
    try:
        show = identified_show(rt, tmp_path / "tv", [f"{BB}/Season 01/Breaking Bad - S01E01.mkv"])
        enrich_item(rt, show)
        key = simulator.router.tv.get(1396).trailer
        assert db.Movie.get_by_id(show.id).trailer == (
            f"plugin://plugin.video.youtube/play/?video_id={key}"
        )
    finally:
        rt.close()


def test_the_trailer_of_the_users_tvshow_nfo_stays(tmp_path, simulator):
    rt = german_runtime(tmp_path, simulator)
    try:
        folder = tmp_path / "tv" / BB
        folder.mkdir(parents=True)
        own = "plugin://plugin.video.youtube/play/?video_id=XZ8daibM3AE"  # the user's choice
        (folder / "tvshow.nfo").write_text(  # as Kodi's export writes it
            '<?xml version="1.0" encoding="UTF-8" standalone="yes" ?>\n<tvshow>\n'
            f"  <title>Breaking Bad</title>\n  <trailer>{own}</trailer>\n"
            '  <uniqueid type="tmdb" default="true">1396</uniqueid>\n</tvshow>\n',
            encoding="utf-8",
        )
        show = identified_show(rt, tmp_path / "tv", [f"{BB}/Season 01/Breaking Bad - S01E01.mkv"])
        assert db.Movie.get_by_id(show.id).trailer == own
        enrich_item(rt, show)
        assert db.Movie.get_by_id(show.id).trailer == own
    finally:
        rt.close()


# TMDB names an episode nobody named in the language asked for with a stand-in of its number:
# `/tv/{id}/season/2/episode/2?language=de` answers "Folge 2" (Cinephage#509), Slovak "Epizóda 1"
# (jellyfin-plugin-tmdb#11), "Episode 1" (xbmc/metadata.tvshows.themoviedb.org.python#18, whose
# scraper then takes the en-US name), anime in Japanese "第123話" (TitleCardMaker#49)
def test_tmdbs_stand_in_episode_name_is_replaced_by_the_english_one():
    from metarrd.enrich.tv_metadata import english_title, placeholder_name

    for name, number in [("Folge 2", 2), ("Epizóda 1", 1), ("Episode 05", 5), ("第123話", 123),
                         ("에피소드 123", 123), ("Épisode 3", 3), ("第 2 集", 2)]:  # fmt: skip
        assert placeholder_name(name, number), name
    # real titles: another number, more words, none
    for name, number in [("Folge 3", 2), ("Catch-22", 22), ("Kapitel 2: Der Plan", 2),
                         ("Krebs", 4), ("1x01", 1), (None, 1)]:  # fmt: skip
        assert not placeholder_name(name, number), name
    english = {"episode_number": 2, "name": "Grilled"}
    assert english_title({"episode_number": 2, "name": "Folge 2"}, english) == "Grilled"
    assert english_title({"episode_number": 2, "name": "Gegrillt"}, english) is None
    assert english_title({"episode_number": 2, "name": "Folge 2"}, None) is None
    # named nowhere yet: TMDB's English "Episode 2" is no better than the German stand-in
    stand_in = {"episode_number": 2, "name": "Episode 2"}
    assert english_title({"episode_number": 2, "name": "Folge 2"}, stand_in) is None


def test_a_german_users_episodes_get_the_english_title_not_tmdbs_folge_n(tmp_path, simulator):
    # the simulator answers `language=de-DE` as TMDB does for untranslated episodes: "Folge 4"
    rt = german_runtime(tmp_path, simulator)
    try:
        # (season 1 has an English plot, season 2 none: only the stand-in asks season 1 again)
        files = [f"{BB}/Season 02/Breaking Bad S02E04E05.mkv", f"{BB}/Season 01/S01E06.mkv"]
        show = identified_show(rt, tmp_path / "tv", files)
        tv = simulator.router.tv.get(1396)
        titles = {ep.number: ep.title for ep in tv.season(2)}
        titles[6] = next(ep.title for ep in tv.season(1) if ep.number == 6)
        assert titles[4] != "Folge 4"
        enrich_item(rt, show)
        double = db.Movie.get(db.Movie.path.endswith("S02E04E05.mkv"))
        assert double.title == titles[4]
        assert [d["title"] for d in double.episode_details] == [titles[4], titles[5]]
        # a re-enrich keeps them, also once the episode has its (English) plot
        single = db.Movie.get(db.Movie.path.endswith("S01E06.mkv"))
        assert single.plot and single.title == titles[6]
        again = enrich_item(rt, db.Movie.get_by_id(show.id))
        assert not again.changed, str(again)
        assert db.Movie.get_by_id(single.id).title == titles[6]
    finally:
        rt.close()

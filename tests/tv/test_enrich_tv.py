"""ENRICH for TV against the simulator: a show with specials and a multi-episode file enriched
end to end (docs/tv.md "Enrich": the contract with publish), re-enrich, locks, provider trouble."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from metarrd import db
from metarrd.enrich import candidate_store, enrich_item
from metarrd.enrich.choices import change_selection
from metarrd.identify import identify_many
from metarrd.scan import scan

from .conftest import put

BB = "Breaking Bad (2008)"
FILES = [
    f"{BB}/Specials/Breaking Bad - S00E01 - Good Cop.mkv",
    f"{BB}/Season 01/Breaking Bad - S01E01 - Pilot.mkv",
    f"{BB}/Season 01/Breaking Bad S01E04E05.mkv",
    f"{BB}/Season 02/Breaking Bad - S02E01.mkv",
]
SHOW_TYPES = {"poster", "fanart", "banner", "clearlogo", "clearart", "landscape",
              "characterart", "keyart", "season-all-poster", "season-all-banner",
              "season-all-landscape", "season-all-fanart"}  # fmt: skip
SEASON_TYPES = {"poster", "fanart", "banner", "landscape"}


@pytest.fixture
def rt(tv_rt):
    tv_rt.http.backoff = 0.05
    return tv_rt


def identified_show(rt, root: Path, files=FILES) -> db.Movie:
    for rel in files:
        put(root, rel)
    scan(rt)
    shows = [m.id for m in db.Movie.select().where(db.Movie.kind == db.SHOW)]
    identify_many(rt, shows, threads=1)
    return db.Movie.get(db.Movie.kind == db.SHOW)


def selected(item_id: int) -> dict[str, list[db.ArtworkCandidate]]:
    out: dict[str, list] = {}
    query = db.ArtworkCandidate.select().where(
        (db.ArtworkCandidate.movie == item_id) & db.ArtworkCandidate.is_selected
    )
    for row in query.order_by(db.ArtworkCandidate.rank):
        out.setdefault(row.asset_type, []).append(row)
    return out


def cached(item_id: int) -> set[str]:
    query = db.CacheImageFile.select().where(db.CacheImageFile.movie == item_id)
    return {c.image_type for c in query if Path(c.file_path).is_file()}


def episode(path_end: str) -> db.Movie:
    return db.Movie.get(db.Movie.path.endswith(path_end))


def test_show_seasons_and_episodes_enriched_end_to_end(rt, tmp_path):
    show = identified_show(rt, tmp_path / "tv")
    result = enrich_item(rt, show)
    assert not result.failed and not result.provider_errors, str(result)
    assert (result.seasons, result.episodes) == (3, 4), str(result)

    show = db.Movie.get_by_id(show.id)
    assert show.identification_status == db.ENRICHED and show.last_error is None
    assert (show.title, show.original_title, show.premiered, show.year) == (
        "Breaking Bad", "Breaking Bad", "2008-01-20", 2008)  # fmt: skip
    assert show.plot and show.status == "Ended" and show.studios == ["AMC"]
    assert show.genres == ["Drama", "Crime"] and show.mpaa == "TV-MA"
    assert show.rating == 8.9 and show.votes == 14120
    assert (show.tmdb_id, show.tvdb_id, show.imdb_id) == (1396, 81189, "tt0903747")
    roles = show.cast()
    assert [(r.actor.name, r.role, r.order) for r in roles][:2] == [
        ("Bryan Cranston", "Walter White", 0), ("Aaron Paul", "Jesse Pinkman", 1)]  # fmt: skip
    assert all(r.actor.image_cache_path and Path(r.actor.image_cache_path).is_file()
               for r in roles)  # fmt: skip
    assert set(selected(show.id)) == SHOW_TYPES
    assert cached(show.id) == SHOW_TYPES

    seasons = {s.season: s for s in db.Movie.select().where(db.Movie.kind == db.SEASON)}
    assert set(seasons) == {0, 1, 2}
    assert seasons[0].title == "Specials" and seasons[1].title == "Season 1"
    assert seasons[1].premiered == "2008-01-20"
    for s in seasons.values():
        assert s.identification_status == db.ENRICHED
        assert set(selected(s.id)) == SEASON_TYPES, s.season
        assert cached(s.id) == SEASON_TYPES

    multi = episode("Breaking Bad S01E04E05.mkv")
    assert multi.identification_status == db.ENRICHED
    assert multi.title == "Cancer Man" and multi.aired and multi.runtime == 2 * 47
    assert (multi.rating, multi.votes) == (7.5, 12)
    assert multi.directors and multi.writers
    details = multi.episode_details
    assert [(d["season"], d["episode"], d["title"]) for d in details] == [
        (1, 4, "Cancer Man"), (1, 5, "Gray Matter")]  # fmt: skip
    assert all(d["tmdb_id"] and d["tvdb_id"] and d["plot"] and d["aired"] for d in details)
    assert set(details[0]) >= {"season", "episode", "title", "plot", "aired", "runtime",
                               "rating", "directors", "writers", "tmdb_id", "tvdb_id"}  # fmt: skip
    guests = multi.cast()
    assert guests and min(g.order for g in guests) == len(roles)
    assert all(g.role.startswith("Visitor") for g in guests)
    assert all(g.actor.image_cache_path for g in guests if g.actor.profile_path)
    for item in db.Movie.select().where(db.Movie.kind == db.EPISODE):
        assert item.identification_status == db.ENRICHED, item.path
        assert set(selected(item.id)) == {"thumb"} and cached(item.id) == {"thumb"}
    special = episode("S00E01 - Good Cop.mkv")
    assert special.title == "Good Cop Bad Cop" and special.publish_state == db.UNPUBLISHED


IMAGES = ("/t/p/", "/fanart/", "/banners/")


def image_hits(sim) -> list[str]:
    return [h.path for h in sim.requests if h.path.startswith(IMAGES) and h.status]


def test_second_enrich_downloads_nothing_new(rt, tmp_path, simulator):
    show = identified_show(rt, tmp_path / "tv")
    enrich_item(rt, show)
    simulator.reset_requests()
    again = enrich_item(rt, show)
    assert image_hits(simulator) == [] and again.downloaded == 0, str(again)
    assert not again.changed
    assert simulator.count("/3/tv/1396") == 1  # the show with every season appended


def test_locks_and_the_users_choices_survive_a_re_enrich(rt, tmp_path):
    show = identified_show(rt, tmp_path / "tv")
    enrich_item(rt, show)
    season1 = db.Movie.get((db.Movie.kind == db.SEASON) & (db.Movie.season == 1))
    removed = selected(season1.id)["poster"][0]
    fanart = db.ArtworkCandidate.select().where(
        (db.ArtworkCandidate.movie == season1.id) & (db.ArtworkCandidate.asset_type == "fanart")
    )
    chosen = max(fanart, key=lambda r: (not r.is_selected, -(r.score or 0)))
    with db.write_transaction():
        db.Movie.update(locked_asset_types=["poster"]).where(db.Movie.id == show.id).execute()
        db.ArtworkCandidate.update(is_selected=False, rank=None, selected_by=None).where(
            db.ArtworkCandidate.movie == show.id, db.ArtworkCandidate.asset_type == "poster"
        ).execute()  # the user emptied the locked type
        db.ArtworkCandidate.update(is_selected=True, rank=1, selected_by="user").where(
            db.ArtworkCandidate.id == chosen.id
        ).execute()
        db.ArtworkCandidate.update(is_selected=False, rank=None, selected_by="user").where(
            db.ArtworkCandidate.id == removed.id
        ).execute()
        pilot = episode("S01E01 - Pilot.mkv")
        db.Movie.update(title="My Pilot", locked_fields=["title", "cast"]).where(
            db.Movie.id == pilot.id
        ).execute()
        db.MovieActor.delete().where(db.MovieActor.movie == pilot.id).execute()
    enrich_item(rt, show)
    assert "poster" not in selected(show.id)  # a locked type is left exactly as it is
    assert selected(season1.id)["fanart"][0].id == chosen.id  # the user's choice, first
    season_posters = selected(season1.id)["poster"]
    assert removed.id not in {r.id for r in season_posters} and season_posters
    pilot = db.Movie.get_by_id(pilot.id)
    assert pilot.title == "My Pilot" and pilot.cast() == []  # locked: kept as the user left it
    assert pilot.identification_status == db.ENRICHED


def _identified_episode(show: db.Movie, season: int, number: int, root: Path) -> db.Movie:
    path = put(root, f"{BB}/Season {season:02d}/Breaking Bad - S{season:02d}E{number:02d}.mkv")
    return db.Movie.create(
        library=show.library_id, path=str(path), kind=db.EPISODE, show=show, season=season,
        episodes=[number], tmdb_id=999, identification_status=db.IDENTIFIED,
        episode_refs=[{"season": season, "episode": number, "tmdb_id": 999, "tvdb_id": None}],
    )  # fmt: skip


def test_provider_trouble_stays_with_its_item(rt, tmp_path, simulator):
    show = identified_show(rt, tmp_path / "tv")
    gone_season = _identified_episode(show, 7, 1, tmp_path / "tv")  # TMDB has no season 7
    unknown = _identified_episode(show, 1, 99, tmp_path / "tv")  # nor an episode 99
    simulator.fail_5xx(200, 500, prefix="/v3/tv")  # fanart.tv: a 500 storm
    simulator.fail_429(200, retry_after=0, prefix="/v4/series")  # TheTVDB: a 429 storm
    result = enrich_item(rt, show)
    assert result.failed == {
        gone_season.id: "TMDB has no season 7 of Breaking Bad",
        unknown.id: "TMDB has no episode S01E99 of Breaking Bad",
    }
    assert set(result.provider_errors) == {"fanart", "tvdb"}
    assert "fanart.tv failed" in str(result) and "2 items not enriched" in str(result)
    for item, reason in ((gone_season, "season 7"), (unknown, "S01E99")):
        item = db.Movie.get_by_id(item.id)
        assert reason in item.last_error and item.identification_status == db.IDENTIFIED
    pilot = episode("S01E01 - Pilot.mkv")
    assert pilot.identification_status == db.ENRICHED and pilot.last_error is None
    show = db.Movie.get_by_id(show.id)
    assert show.identification_status == db.ENRICHED
    assert {"poster", "fanart", "clearlogo"} <= set(selected(show.id))  # TMDB's art
    simulator.reset_faults()
    enrich_item(rt, show)  # providers back: their art joins
    assert set(selected(show.id)) == SHOW_TYPES


def test_a_provider_that_failed_is_said_on_the_shows_history(rt, tmp_path, simulator):
    """TheTVDB answering 500 leaves the show without its art and text: the show's page says
    why (its `enrich.done` event, shown in its history and the activity), as a movie's does;
    it had been said only on the command line."""
    show = identified_show(rt, tmp_path / "tv", FILES[:2])
    simulator.fail_5xx(200, 500, prefix="/v4/series")
    result = enrich_item(rt, show)
    assert set(result.provider_errors) == {"tvdb"}
    done = db.Event.get((db.Event.movie == show.id) & (db.Event.kind == "enrich.done"))
    assert "TheTVDB failed: tvdb: server error (HTTP 500)" in done.message
    assert "api_key" not in done.message and "Traceback" not in done.message
    pilot = episode("S01E01 - Pilot.mkv")
    said = db.Event.get((db.Event.movie == pilot.id) & (db.Event.kind == "enrich.done"))
    assert "failed" not in said.message  # the show's page says it: not each episode's


def test_tmdb_storm_on_the_show_is_the_shows_error(rt, tmp_path, simulator):
    from metarrd.errors import ProviderUnavailable

    show = identified_show(rt, tmp_path / "tv", FILES[:2])
    simulator.fail_5xx(200, 500, prefix="/3/tv/1396")
    with pytest.raises(ProviderUnavailable):
        enrich_item(rt, show)
    assert db.Movie.get_by_id(show.id).identification_status == db.IDENTIFIED


def test_cli_enrich_all_includes_shows_and_an_episode_enriches_its_show(
    rt, tmp_path, monkeypatch, capsys
):
    from metarrd import cli

    show = identified_show(rt, tmp_path / "tv", FILES[:2])
    monkeypatch.setattr(cli, "load_config", lambda _path: rt.config)
    pilot = episode("S01E01 - Pilot.mkv")
    assert cli.main(["enrich", str(pilot.id)]) == 0
    assert "2 seasons, 2 episode files" in capsys.readouterr().out
    assert cli.main(["enrich", "--all"]) == 0
    out = capsys.readouterr().out
    assert out.count("enriched Breaking Bad (2008)") == 1, out
    assert db.Movie.get_by_id(show.id).identification_status == db.ENRICHED


def test_the_job_chain_enriches_a_show_after_its_identify(rt, tmp_path):
    from metarrd.pipeline import steps

    show = identified_show(rt, tmp_path / "tv", FILES[:2])
    job = db.Job.create(kind="enrich", movie=show.id, key=f"enrich:{show.id}", manual=False)
    outcome = steps.do_enrich(rt, job)
    assert outcome.follow == [] and "2 episode files" in outcome.message
    assert episode("S01E01 - Pilot.mkv").identification_status == db.ENRICHED


BIG = "Tenfold Harbour (2011)"
BIG_FILES = [f"{BIG}/Specials/Tenfold Harbour - S00E0{e}.mkv" for e in (1, 2)] + [
    f"{BIG}/Season {s:02d}/Tenfold Harbour - S{s:02d}E{e:02d}.mkv"
    for s in range(1, 11)
    for e in range(1, 21)
]


def test_a_ten_season_show_costs_a_bounded_number_of_requests(rt, tmp_path, simulator):
    show = identified_show(rt, tmp_path / "tv", BIG_FILES)
    simulator.reset_requests()
    result = enrich_item(rt, show)
    assert (result.seasons, result.episodes) == (11, 202) and not result.failed, str(result)
    assert simulator.count("/3/") == 2  # /configuration and the show with 11 seasons appended
    assert simulator.count("/v3/tv") == 1
    assert simulator.count("/v4/") <= 3  # login, artwork types, the series record
    images = image_hits(simulator)
    # each candidate: its rendition and, when its size is not stated, a 2 KB header;
    # each selected image once in full; each person's thumbnail once
    assert len(images) <= 3 * result.candidates + result.actors + 40, (len(images), str(result))
    repeats = Counter(images).most_common(1)[0][1]
    assert repeats <= 2  # an image is asked for at most twice: its header, then in full


def test_an_episode_field_the_user_edited_and_locked_stays_in_its_nfo_data_after_a_re_enrich(
    rt, tmp_path
):
    """The item page writes an edited episode field into the file's first `episode_details`
    block too (publish writes the NFO from the blocks): a re-enrich that rebuilds the blocks from
    the provider must keep the user's locked value there, or the NFO loses the edit."""
    from metarrd.web import edits

    show = identified_show(rt, tmp_path / "tv")
    enrich_item(rt, show)
    pilot = episode("S01E01 - Pilot.mkv")
    edits.set_field(pilot.id, "title", "My Pilot")
    edits.set_field(pilot.id, "plot", "My own plot.")
    enrich_item(rt, show)
    pilot = episode("S01E01 - Pilot.mkv")
    assert pilot.title == "My Pilot"
    assert pilot.episode_details[0]["title"] == "My Pilot"
    assert pilot.episode_details[0]["plot"] == "My own plot."
    assert pilot.episode_details[0]["aired"]  # the provider's other fields are still refreshed
    multi = episode("Breaking Bad S01E04E05.mkv")
    edits.set_field(multi.id, "title", "Two in one")
    edits.toggle_field_lock(multi.id, "runtime")  # locked as it is: the two runtimes summed
    enrich_item(rt, show)
    multi = episode("Breaking Bad S01E04E05.mkv")
    details = multi.episode_details
    assert [d["title"] for d in details] == ["Two in one", "Gray Matter"]  # only the first block
    assert [d["runtime"] for d in details] == [47, 47] and multi.runtime == 94


def test_a_later_episodes_air_date_edited_and_locked_survives_a_re_enrich(rt, tmp_path):
    """`Breaking Bad S01E04E05.mkv` holds two episodes, each with its own `<aired>` block
    (kodi-tv.md 2.4). The user's date of the second, edited and so locked on its own
    (`aired-2`), is kept in its block by the next enrich; the first block and the item keep
    TMDB's. Unlocked, TMDB's comes back."""
    from metarrd.web import edits

    show = identified_show(rt, tmp_path / "tv")
    enrich_item(rt, show)
    multi = episode("Breaking Bad S01E04E05.mkv")
    tmdbs = [d["aired"] for d in multi.episode_details]
    edits.set_field(multi.id, "aired-2", "2008-03-01")
    enrich_item(rt, show)
    multi = episode("Breaking Bad S01E04E05.mkv")
    assert [d["aired"] for d in multi.episode_details] == [tmdbs[0], "2008-03-01"]
    assert multi.aired == tmdbs[0] and "aired-2" in multi.locked_fields
    edits.toggle_field_lock(multi.id, "aired-2")
    enrich_item(rt, show)
    assert [d["aired"] for d in episode("Breaking Bad S01E04E05.mkv").episode_details] == tmdbs


def test_a_later_blocks_lock_keeps_its_date_only_for_the_same_episode():
    """A file renamed from `S01E04E05` to `S01E04E06` (Sonarr fixing a release): its second
    block is another episode now, whose date is TMDB's, not the one the user gave E05."""
    from metarrd.enrich.tv_metadata import keep_locked

    old = [{"season": 1, "episode": 4, "aired": "2008-02-10"},
           {"season": 1, "episode": 5, "aired": "2008-03-01"}]  # fmt: skip
    fresh = [{"season": 1, "episode": 4, "aired": "2008-02-10"},
             {"season": 1, "episode": 5, "aired": "2008-02-17"}]  # fmt: skip
    assert keep_locked(fresh, old, {}, ["aired-2"])[1]["aired"] == "2008-03-01"
    assert keep_locked(fresh, old, {}, [])[1]["aired"] == "2008-02-17"
    other = [fresh[0], {"season": 1, "episode": 6, "aired": "2008-02-24"}]
    assert keep_locked(other, old, {}, ["aired-2"])[1]["aired"] == "2008-02-24"
    assert keep_locked(fresh, old[:1], {}, ["aired-2"]) == fresh  # enriched before: none kept


def test_a_later_blocks_locked_title_and_plot_are_kept_only_for_the_same_episode():
    """The second episode's own title and plot (`title-2`, `plot-2`) as its air date: kept by
    an enrich while locked and the block is still that episode; TMDB's otherwise."""
    from metarrd.enrich.tv_metadata import keep_locked

    old = [{"season": 1, "episode": 4, "title": "Cancer Man", "plot": "A"},
           {"season": 1, "episode": 5, "title": "Grey Matter", "plot": "Mine."}]  # fmt: skip
    fresh = [{"season": 1, "episode": 4, "title": "Cancer Man", "plot": "A"},
             {"season": 1, "episode": 5, "title": "Episode 5", "plot": None}]  # fmt: skip
    kept = keep_locked(fresh, old, {}, ["title-2", "plot-2"])
    assert kept == [fresh[0], {**fresh[1], "title": "Grey Matter", "plot": "Mine."}]
    assert keep_locked(fresh, old, {}, ["title-2"])[1] == {**fresh[1], "title": "Grey Matter"}
    assert keep_locked(fresh, old, {}, ["title", "plot"])[1] == fresh[1]  # the first's locks
    other = [fresh[0], {"season": 1, "episode": 6, "title": "Crazy Handful", "plot": "B"}]
    assert keep_locked(other, old, {}, ["title-2", "plot-2"]) == other
    # never enriched: the user's NFO block of that episode (scan's `nfo_episodes`), if it has one
    users = [{"season": 1, "episode": 5, "title": "Grey Matter", "plot": None},
             {"season": 1, "episode": 4, "title": "Cancer Man", "plot": "A"}]  # fmt: skip
    first = keep_locked(fresh, [], {}, ["title-2", "plot-2"], users)
    assert first[1] == {**fresh[1], "title": "Grey Matter"}  # no plot of theirs: TMDB's stays
    assert keep_locked(other, [], {}, ["title-2", "plot-2"], users) == other
    assert keep_locked(fresh, [], {}, ["title-2", "plot-2"]) == fresh


def test_a_locked_nfos_later_blocks_keep_their_title_and_plot_through_the_first_enrich(
    rt, tmp_path
):
    """An episode NFO of two blocks (Kodi's own export and MediaElch write one per episode of
    the file, tests/nfo/SOURCES.md) with Jellyfin's `<lockdata>true</lockdata>` in its first
    (BaseNfoSaver.cs; our publish keeps it there, `extra`), found by a first scan: every field
    of the file is locked, the second episode's own title and plot too (`title-2`, `plot-2`).
    The first enrich kept the first block's (the item's, read from the NFO) but put TMDB's
    title and plot into the second: the lock held for one episode of the file only."""
    rel = "Breaking Bad (2008)/Season 01/Breaking Bad S01E04E05.mkv"
    video = put(tmp_path / "tv", rel)
    video.with_suffix(".nfo").write_text(
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        "<episodedetails>\n  <title>Cancer Man (extended)</title>\n  <season>1</season>\n"
        "  <episode>4</episode>\n  <plot>My plot of E04.</plot>\n"
        "  <lockdata>true</lockdata>\n</episodedetails>\n"
        "<episodedetails>\n  <title>Grey Matter</title>\n  <season>1</season>\n"
        "  <episode>5</episode>\n  <plot>My plot of E05.</plot>\n</episodedetails>\n",
        "utf-8",
    )
    show = identified_show(rt, tmp_path / "tv", files=[])
    assert {"title", "plot", "title-2", "plot-2"} <= set(episode(rel).locked_fields)
    enrich_item(rt, show)
    details = episode(rel).episode_details
    assert [(d["title"], d["plot"]) for d in details] == [
        ("Cancer Man (extended)", "My plot of E04."),
        ("Grey Matter", "My plot of E05."),
    ]
    assert details[1]["aired"]  # the provider's other fields of that block still come


def test_locked_fields_without_an_earlier_block_come_from_the_item():
    """Edited before the first enrich (no blocks yet): the item's value goes into the first
    block, except a multi-episode file's summed runtime and joined crews (the provider's stay)."""
    from metarrd.enrich.tv_metadata import keep_locked

    fresh = [{"title": "Cancer Man", "runtime": 47}, {"title": "Gray Matter", "runtime": 47}]
    current = {"title": "Mine", "runtime": 94}
    both = keep_locked(fresh, [], current, ["title", "runtime"])
    assert both == [{"title": "Mine", "runtime": 47}, {"title": "Gray Matter", "runtime": 47}]
    one = keep_locked(fresh[:1], [], current, ["title", "runtime"])
    assert one == [{"title": "Mine", "runtime": 94}]
    assert keep_locked(fresh, [], current, ["genres"]) == fresh


def test_a_regulars_role_is_the_named_character_they_played_most():
    """TMDB's `aggregate_credits` often lists an uncredited role (`character: ""` or null)
    beside the named one; the role is the named character with the most episodes."""
    from metarrd.enrich.tv_metadata import show_cast

    details = {"aggregate_credits": {"cast": [
        {"id": 17419, "name": "Bryan Cranston", "order": 0, "roles": [
            {"character": "", "episode_count": 40},
            {"character": "Walter White", "episode_count": 62},
        ]},
        {"id": 84497, "name": "Aaron Paul", "order": 1, "roles": [
            {"character": None, "episode_count": 70},
            {"character": "Jesse Pinkman", "episode_count": 62},
            {"character": "Jesse (voice)", "episode_count": 1},
        ]},
        {"id": 134531, "name": "Betsy Brandt", "order": 2, "roles": [
            {"character": "", "episode_count": 5},
        ]},
    ]}}  # fmt: skip
    assert [(m.name, m.role) for m in show_cast(details, 10)] == [
        ("Bryan Cranston", "Walter White"),
        ("Aaron Paul", "Jesse Pinkman"),
        ("Betsy Brandt", ""),
    ]


def test_the_preview_of_a_show_image_the_provider_no_longer_lists_goes_with_it(
    rt, tmp_path, simulator, monkeypatch
):
    """As for a movie (tests/enrich/test_enrich.py): a show's candidate that TMDB no longer
    lists loses its row at the next enrich, and its preview with it."""
    show = identified_show(rt, tmp_path / "tv")
    enrich_item(rt, show)
    art = simulator.router.tv.get(show.tmdb_id)
    A = db.ArtworkCandidate
    rows = {r.url: r for r in A.select().where(A.movie == show.id, A.asset_type == "poster")}
    gone = next(a for a in art.posters if simulator.image_url(a) in rows
                and not rows[simulator.image_url(a)].is_selected)  # fmt: skip
    preview = rt.config.previews_dir / rows[simulator.image_url(gone)].preview_path
    assert preview.is_file()
    monkeypatch.setattr(art, "posters", [a for a in art.posters if a is not gone])

    enrich_item(rt, show)

    assert not A.select().where(A.movie == show.id, A.url == simulator.image_url(gone)).exists()
    assert not preview.exists()
    kept = A.select().where(A.movie == show.id, A.preview_path.is_null(False))
    assert kept and all((rt.config.previews_dir / r.preview_path).is_file() for r in kept)


def test_a_show_image_the_user_chooses_during_the_shows_enrich_keeps_its_row(
    rt, tmp_path, simulator, monkeypatch
):
    """A show's rows are read once for its whole enrich (seasons, episodes: long). The user
    makes #1 a poster TMDB no longer lists meanwhile: it is the user's, its row stays chosen
    (docs/enrich.md: rows no longer listed are dropped unless the user chose them)."""
    show = identified_show(rt, tmp_path / "tv")
    enrich_item(rt, show)
    art = simulator.router.tv.get(show.tmdb_id)
    A = db.ArtworkCandidate
    rows = {r.url: r for r in A.select().where(A.movie == show.id, A.asset_type == "poster")}
    gone = next(a for a in art.posters if simulator.image_url(a) in rows
                and not rows[simulator.image_url(a)].is_selected)  # fmt: skip
    chosen = rows[simulator.image_url(gone)]
    monkeypatch.setattr(art, "posters", [a for a in art.posters if a is not gone])
    real = candidate_store.plan_candidates
    planned = []

    def the_user_chooses_meanwhile(movie_id, rows, answers, locked_types=()):
        stored = real(movie_id, rows, answers, locked_types)
        if movie_id == show.id:
            planned.extend(stored.gone)  # as the rows read at the show's start say
            change_selection(rt.config, chosen.id, "use")
        return stored

    monkeypatch.setattr(candidate_store, "plan_candidates", the_user_chooses_meanwhile)

    enrich_item(rt, db.Movie.get_by_id(show.id))

    assert chosen.id in planned
    row = A.get_or_none(A.id == chosen.id)
    assert row is not None and (row.is_selected, row.selected_by, row.rank) == (True, "user", 1)
    assert "poster" in db.Movie.get_by_id(show.id).locked_asset_types


def test_enrich_of_one_episode_of_an_enriched_show_enriches_that_episode_alone(
    rt, tmp_path, simulator, monkeypatch, capsys
):
    """`metarrd enrich EPISODE` (interface.md: "on an episode, that episode and what its show
    needs") of a show enriched before: the episode's metadata, still and guest stars are
    fetched again (one TMDB request, no fanart.tv or TheTVDB), the show and its other items are
    left as they are, and the show is not called enriched anew. It enriched the whole show."""
    from metarrd import cli

    show = identified_show(rt, tmp_path / "tv")
    enrich_item(rt, show)
    pilot = episode("S01E01 - Pilot.mkv")
    guests = sorted((a.actor.name, a.role, a.order) for a in pilot.cast())
    thumbs = selected(pilot.id)["thumb"]
    assert guests and thumbs
    db.Movie.update(publish_state=db.PUBLISHED).where(
        db.Movie.id.in_([show.id, pilot.id])
    ).execute()
    db.Movie.update(title="Stale title", plot=None).where(db.Movie.id == pilot.id).execute()
    db.Movie.update(plot="The show's own, not reviewed").where(db.Movie.id == show.id).execute()
    other = episode("S02E01.mkv")
    db.Movie.update(title="Another stale title").where(db.Movie.id == other.id).execute()
    show_before = db.Movie.get_by_id(show.id)
    events = db.Event.select().where(db.Event.kind == "enrich.done").count()
    simulator.reset_requests()
    monkeypatch.setattr(cli, "load_config", lambda _path: rt.config)

    assert cli.main(["enrich", str(pilot.id)]) == 0

    out = capsys.readouterr().out
    assert "enriched Breaking Bad (2008) S01E01: 0 seasons, 1 episode file" in out, out
    assert simulator.count("/3/tv/1396") == 1
    assert simulator.count("/v3/tv") == 0 and simulator.count("/v4/") == 0
    pilot = db.Movie.get_by_id(pilot.id)
    assert pilot.title == "Pilot" and pilot.plot
    assert pilot.identification_status == db.ENRICHED and pilot.publish_state == db.OUTDATED
    assert sorted((a.actor.name, a.role, a.order) for a in pilot.cast()) == guests
    assert [r.url for r in selected(pilot.id)["thumb"]] == [r.url for r in thumbs]
    assert db.Movie.get_by_id(other.id).title == "Another stale title"
    show_after = db.Movie.get_by_id(show.id)
    assert show_after.plot == "The show's own, not reviewed"
    assert show_after.enriched_at == show_before.enriched_at
    assert show_after.publish_state == db.OUTDATED  # published as one unit: "Republish?"
    done = db.Event.select().where(db.Event.kind == "enrich.done").order_by(db.Event.id)
    assert [e.movie_id for e in done][events:] == [pilot.id]


def test_enrich_of_an_episode_of_a_show_never_enriched_enriches_the_whole_show(rt, tmp_path):
    """The show has no data of its own yet (nor its seasons): the episode brings it, as the
    whole show (a publish of it will need every season's art and every episode)."""
    show = identified_show(rt, tmp_path / "tv", FILES[:2])
    result = enrich_item(rt, episode("S01E01 - Pilot.mkv"))
    assert (result.seasons, result.episodes) == (2, 2), str(result)
    assert db.Movie.get_by_id(show.id).identification_status == db.ENRICHED


def test_two_episodes_in_one_command_one_unknown_to_tmdb(
    rt, tmp_path, simulator, monkeypatch, capsys
):
    """`enrich EP EP` of one show: one run for both (one TMDB request); the one TMDB does not
    know fails with its own line and exit 1, recorded once; the other is enriched."""
    from metarrd import cli

    show = identified_show(rt, tmp_path / "tv")
    unknown = _identified_episode(show, 1, 99, tmp_path / "tv")
    enrich_item(rt, show)
    pilot = episode("S01E01 - Pilot.mkv")
    db.Movie.update(title="Stale").where(db.Movie.id == pilot.id).execute()
    failures = db.Event.select().where(db.Event.kind == "enrich.failed").count()
    monkeypatch.setattr(cli, "load_config", lambda _path: rt.config)
    simulator.reset_requests()
    assert cli.main(["enrich", str(pilot.id), str(unknown.id)]) == 1
    captured = capsys.readouterr()
    assert f"item {pilot.id}: enriched Breaking Bad (2008) S01E01: " in captured.out
    assert captured.err.strip() == (
        f"item {unknown.id} ({unknown.path}): TMDB has no episode S01E99 of Breaking Bad"
    )
    assert simulator.count("/3/tv/1396") == 1
    assert db.Movie.get_by_id(pilot.id).title == "Pilot"
    unknown = db.Movie.get_by_id(unknown.id)
    assert "S01E99" in unknown.last_error and unknown.identification_status == db.IDENTIFIED
    assert db.Event.select().where(db.Event.kind == "enrich.failed").count() == failures + 1


def test_an_episode_of_a_new_season_enriches_the_whole_show(rt, tmp_path):
    """Its season item was never enriched (its art, its name): the show is enriched whole."""
    show = identified_show(rt, tmp_path / "tv")
    enrich_item(rt, show)
    s2 = db.Movie.get(db.Movie.show == show.id, db.Movie.kind == db.SEASON, db.Movie.season == 2)
    db.Movie.update(identification_status=db.IDENTIFIED).where(db.Movie.id == s2.id).execute()
    result = enrich_item(rt, episode("S02E01.mkv"))
    assert (result.seasons, result.episodes) == (3, 4) and not result.alone, str(result)
    assert db.Movie.get_by_id(s2.id).identification_status == db.ENRICHED


def test_an_unmatched_episode_is_refused_without_a_request(rt, tmp_path, simulator):
    from metarrd.errors import ItemError

    show = identified_show(rt, tmp_path / "tv")
    enrich_item(rt, show)
    pilot = episode("S01E01 - Pilot.mkv")
    db.Movie.update(
        identification_status=db.UNIDENTIFIED, episode_refs=[], last_error="no such episode"
    ).where(db.Movie.id == pilot.id).execute()
    simulator.reset_requests()
    with pytest.raises(ItemError) as refused:
        enrich_item(rt, db.Movie.get_by_id(pilot.id))
    assert str(refused.value) == (
        "cannot enrich: matched to no episode of its show (no such episode)"
    )
    assert simulator.count("/3/") == 0
    db.record_failure("enrich", pilot.id, str(refused.value))  # as the CLI or the job does
    with pytest.raises(ItemError) as again:  # the same words, not nested in themselves
        enrich_item(rt, db.Movie.get_by_id(pilot.id))
    assert str(again.value) == str(refused.value)


def test_an_episodes_enrich_job_enriches_it_alone_and_auto_publish_publishes_it(rt, tmp_path):
    from metarrd import workflow
    from metarrd.pipeline import steps

    show = identified_show(rt, tmp_path / "tv", FILES[:2])
    enrich_item(rt, show)
    pilot = episode("S01E01 - Pilot.mkv")
    workflow.set_stage("auto_publish", True)
    job = db.Job.create(kind="enrich", movie=pilot.id, key=f"enrich:{pilot.id}", manual=False)
    outcome = steps.do_enrich(rt, job)
    assert "S01E01: 0 seasons, 1 episode file" in outcome.message, outcome.message
    assert [(s.kind, s.movie_id) for s in outcome.follow] == [("publish", pilot.id)]


def test_a_new_episode_enriched_alone_makes_its_published_show_ask_to_republish(rt, tmp_path):
    """As the whole show's enrich does: a published show with an episode enriched for the first
    time (not published yet) is "Republish?", its card saying there is something to write."""
    show = identified_show(rt, tmp_path / "tv", FILES[:2])
    enrich_item(rt, show)
    db.Movie.update(publish_state=db.PUBLISHED).where(
        (db.Movie.id == show.id) | (db.Movie.show == show.id)
    ).execute()
    new = _identified_episode(show, 1, 2, tmp_path / "tv")
    result = enrich_item(rt, new)
    assert result.alone == [new.id], str(result)
    assert db.Movie.get_by_id(new.id).publish_state == db.UNPUBLISHED
    assert db.Movie.get_by_id(show.id).publish_state == db.OUTDATED


def test_the_shows_own_enrich_event_is_not_said_to_be_with_its_show(rt, tmp_path):
    # Found walking the demo: the show's own history and the activity read "The Daily Show:
    # enriched with its show: 5 field(s) updated": the show is no item enriched with its show,
    # as its seasons and episodes are.
    show = identified_show(rt, tmp_path / "tv", FILES[:2])
    enrich_item(rt, show)
    done = {
        e.movie_id: e.message
        for e in db.Event.select().where(db.Event.kind == "enrich.done").order_by(db.Event.id)
    }
    assert done.pop(show.id).startswith("enriched: ")
    assert done and all(m.startswith("enriched with its show: ") for m in done.values()), done


def test_a_fanart_answer_naming_another_host_loses_those_images_only(
    rt, tmp_path, simulator, monkeypatch, caplog
):
    """A show's fanart.tv answer holding addresses off fanart.tv's image hosts (here the
    simulator's own host, image_hosts.py): the link-local metadata address and a router on
    the LAN are neither fetched nor kept; the rest of the show enriches."""
    import json
    import logging

    from metarrd.simulator import tv_others
    from metarrd.simulator.reply import json_reply

    real = tv_others.fanart_tv
    foreign = ["http://169.254.169.254/latest/meta-data/", "http://192.168.1.1/cgi-bin/luci"]

    def answer(*args):
        body = json.loads(real(*args).body)
        made_up = [{"id": str(n), "url": url, "lang": "en", "likes": "99"}
                   for n, url in enumerate(foreign)]  # fmt: skip
        body["tvposter"] = made_up + body.get("tvposter", [])
        body["seasonposter"] = [{**made_up[1], "season": "1"}, *body.get("seasonposter", [])]
        return json_reply(200, body)

    monkeypatch.setattr(tv_others, "fanart_tv", answer)
    show = identified_show(rt, tmp_path / "tv")
    with caplog.at_level(logging.WARNING):
        result = enrich_item(rt, show)

    assert not result.failed and not result.provider_errors, str(result)
    urls = [r.url for r in db.ArtworkCandidate.select()]
    assert not [u for u in urls if u.startswith(("http://169.254.", "http://192.168."))]
    assert any(r.provider == "fanart" for r in db.ArtworkCandidate.select())
    assert set(selected(show.id)) == SHOW_TYPES
    said = [r.getMessage() for r in caplog.records]
    for host, count in (("169.254.169.254", 1), ("192.168.1.1", 2)):
        line = f"{count} candidate{'s' if count > 1 else ''} left out: fanart gave an image address on {host}"
        assert any(m.startswith(f"item {show.id} ") and line in m for m in said), said

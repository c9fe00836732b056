""" "Change show…" to ANOTHER show (the user's walkthrough: `Doctor Who` matched as the 2005
series, the user wanted the 1963 one; Sonarr and TheTVDB name both "Doctor Who") drops what the
old show's enrichment put on the show, its seasons and its episodes, as tinyMediaManager and
MediaElch do on a re-scrape with another id: the review and the next publish show no "Rose" under
"An Unearthly Child". The user's locked fields stay. The same id again changes nothing."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

from metarrd import db, workflow
from metarrd.enrich.tv import enrich_show
from tests.web.test_identify_tv import make_show, tv_stack  # noqa: F401  (the fixture)

pytestmark = pytest.mark.usefixtures("backend")

NFO_DIR = Path(__file__).parent.parent / "nfo"  # other tools' NFOs, from their test data


def png(size: tuple[int, int], rgb: tuple[int, int, int]) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, rgb).save(buf, "PNG")
    return buf.getvalue()


def _episode_file(show: db.Movie, name: str, numbers: list[int]) -> db.Movie:
    return db.Movie.create(
        library=show.library,
        path=f"{show.path}/Season 01/{name}",
        kind=db.EPISODE,
        show=show,
        season=1,
        episodes=numbers,
        identification_status=db.UNIDENTIFIED,
    )


def _videos(*items: db.Movie) -> Path:
    """The items' video files made (a few bytes, not really episodes); the first one's path."""
    for item in items:
        video = Path(item.path)
        video.parent.mkdir(parents=True, exist_ok=True)
        video.write_bytes(b"\x1a\x45\xdf\xa3 not really an episode")
    return Path(items[0].path)


def _as_2005(client, show: db.Movie, episode: db.Movie) -> None:
    """The show identified as the 2005 series and enriched (`episode` with it)."""
    client.post(f"/movies/{show.id}/identify", {"id": "57243"}, htmx=True)
    rt = client.application.extensions["metarrd.runtime"]
    if db.Movie.get_by_id(episode.id).identification_status != db.ENRICHED:
        enrich_show(rt, db.Movie.get_by_id(show.id))


def _enriched_2005(client) -> tuple[db.Movie, db.Movie]:
    show, episode = make_show()
    # "Dalek", S01E06 of the 2005 series; the 1963 series' season 1 has four
    _episode_file(show, "Doctor Who - S01E06.mkv", [6])
    _as_2005(client, show, episode)
    ep = db.Movie.get_by_id(episode.id)
    assert ep.identification_status == db.ENRICHED and ep.title == "Rose"
    assert "Rose" in client.get(f"/movies/{episode.id}").get_data(as_text=True)
    assert "TARDIS" in client.get(f"/movies/{show.id}").get_data(as_text=True)
    return show, episode


def _locked_then_1963(client, show: db.Movie, item_id: int, locks: list[str], **values) -> None:
    """The user edits and locks `values` of an item; then "Change show…" to the 1963 series,
    the enrich stage off (or the review before the next enrich): what the user reviews and
    what a publish would write is what the items hold now."""
    db.Movie.update(locked_fields=locks, **values).where(db.Movie.id == item_id).execute()
    workflow.set_stage("enrichment", False)
    client.post(f"/movies/{show.id}/identify", {"id": "121"}, htmx=True)


def test_changing_the_show_drops_the_old_shows_episode_data(tv_stack):  # noqa: F811
    client = tv_stack
    show, episode = _enriched_2005(client)
    _locked_then_1963(client, show, show.id, ["plot"], plot="My own words")
    fresh = db.Movie.get_by_id(show.id)
    assert (fresh.tmdb_id, fresh.year, fresh.tvdb_id) == (121, 1963, 76107)
    assert fresh.plot == "My own words"  # the user's lock
    ep = db.Movie.get_by_id(episode.id)
    assert ep.episode_refs[0]["title"] == "An Unearthly Child"
    old = {"Rose", "The Doctor, a Time Lord, travels through time and space in the TARDIS."}
    assert ep.identification_status == db.IDENTIFIED and ep.enriched_at is None
    assert ep.title not in old and not ep.episode_details and ep.rating is None
    dalek = db.Movie.get(db.Movie.path == f"{show.path}/Season 01/Doctor Who - S01E06.mkv")
    assert dalek.identification_status == db.UNIDENTIFIED and dalek.title != "Dalek"
    assert (dalek.tmdb_id, dalek.tvdb_id, dalek.episode_refs) == (None, None, [])
    assert dalek.aired != "2005-04-30"  # "Dalek"'s air date: an episode of the old show
    for item in db.Movie.select().where((db.Movie.show == show.id) | (db.Movie.id == show.id)):
        assert not {item.title, item.plot} & old, (item.kind, item.title, item.plot)
        assert "Rose" not in str(item.episode_details or "")
        assert item.identification_status != db.ENRICHED, (item.kind, item.title)
        assert (
            not db.ArtworkCandidate.select()
            .where(db.ArtworkCandidate.movie == item.id, db.ArtworkCandidate.provider != "library")
            .exists()
        ), item.kind
    # the review (the episode's and the show's Overview): nothing of the 2005 series (the
    # publish preview says "not enriched" until the new show's enrich)
    for item_id in (episode.id, show.id):
        review = client.get(f"/movies/{item_id}").get_data(as_text=True)
        assert "Rose" not in review and "TARDIS" not in review, item_id
    names = {a.actor.name for a in db.MovieActor.select().join(db.Actor)
             if a.movie_id in (show.id, episode.id)}  # fmt: skip
    assert not names & {"Christopher Eccleston", "Billie Piper"}


def test_the_same_show_again_changes_nothing(tv_stack):  # noqa: F811
    client = tv_stack
    show, episode = _enriched_2005(client)
    before = db.Movie.get_by_id(episode.id)
    client.post(f"/movies/{show.id}/identify", {"id": "57243"}, htmx=True)
    ep = db.Movie.get_by_id(episode.id)
    assert (ep.title, ep.plot, ep.episode_details) == (
        before.title,
        before.plot,
        before.episode_details,
    )
    assert ep.identification_status == db.ENRICHED


def test_the_new_shows_enrich_follows_and_fills_what_went(tv_stack):  # noqa: F811
    client = tv_stack
    show, episode = _enriched_2005(client)
    client.post(f"/movies/{show.id}/identify", {"id": "121"}, htmx=True)  # the chain enriches
    ep = db.Movie.get_by_id(episode.id)
    assert ep.title == "An Unearthly Child" and ep.identification_status == db.ENRICHED
    assert [d["title"] for d in ep.episode_details] == ["An Unearthly Child"]
    assert db.Movie.get_by_id(show.id).identification_status == db.ENRICHED


def test_a_locked_air_date_stays_when_the_show_changes(tv_stack):  # noqa: F811
    client = tv_stack
    show, episode = _enriched_2005(client)
    _locked_then_1963(client, show, episode.id, ["aired"], aired="2005-03-27")
    assert db.Movie.get_by_id(episode.id).aired == "2005-03-27"  # the user's, locked


def test_a_later_episodes_lock_keeps_only_itself_when_the_show_changes(tv_stack):  # noqa: F811
    # a two-episode file ("The End of the World" and "The Unquiet Dead", S01E02-E03 of the 2005
    # series) whose second episode's air date the user edited and locked (`aired-2`): the lock
    # stays, and nothing else of the old show's blocks (titles, plots, TMDB episode ids, which
    # publish writes as each block's <uniqueid>) goes into the new show's NFO
    client = tv_stack
    show, _ = make_show()
    pair = _episode_file(show, "Doctor Who - S01E02-E03.mkv", [2, 3])
    _as_2005(client, show, pair)
    old = db.Movie.get_by_id(pair.id).episode_details
    assert len(old) == 2 and all(b.get("title") for b in old)
    blocks = [dict(old[0]), {**old[1], "aired": "2005-04-10"}]
    _locked_then_1963(client, show, pair.id, ["aired-2"], episode_details=blocks)
    fresh = db.Movie.get_by_id(pair.id)
    assert fresh.episode_details[1]["aired"] == "2005-04-10"  # the user's, locked
    for block, was in zip(fresh.episode_details, old, strict=True):
        for key in ("title", "plot", "tmdb_id", "tvdb_id", "guests"):
            assert not (was.get(key) and block.get(key) == was[key]), (key, block)


def test_changing_the_show_drops_its_rows_in_statements_that_do_not_grow(
    tv_stack,  # noqa: F811
    count_queries,
):
    # a daily show's 15,000 files: per item, forget_show read the cache rows and deleted the
    # candidates, cache rows and cast one item at a time (5 statements each, in the write
    # transaction every other writer waits for); now once for the show and all its items
    from metarrd.identify.tv import forget_show

    counts = []
    for n in (2, 8):
        show, _ = make_show(f"Show {n}")
        for e in range(2, n + 1):
            db.Movie.create(library=show.library, path=f"{show.path}/Season 01/S01E{e:02d}.mkv",
                            kind=db.EPISODE, show=show, season=1, episodes=[e])  # fmt: skip
        db.Movie.update(tmdb_id=57243).where(db.Movie.id == show.id).execute()
        with db.write_transaction(), count_queries() as q:
            forget_show(db.Movie.get_by_id(show.id))
        others = [s for s in q.statements if not s.lstrip().upper().startswith("UPDATE")]
        counts.append(len(others))
    assert counts[0] == counts[1], counts


def test_a_derived_sort_title_follows_the_new_show(tv_stack):  # noqa: F811
    # "Change show…" from The Daily Show (TMDB 2224) to Futurama (615): the sort title derived
    # from the old title ("Daily Show", as the tvshow.nfo of Kodi's library export or
    # tinyMediaManager carries `<sorttitle>`) stayed, and Kodi, which lists by `<sorttitle>`,
    # filed Futurama under D. A sort title of the user's own, or one they locked, stays.
    client = tv_stack
    show, _ = make_show("The Daily Show")
    db.Movie.update(sort_title="Daily Show").where(db.Movie.id == show.id).execute()
    workflow.set_stage("enrichment", False)
    client.post(f"/movies/{show.id}/identify", {"id": "2224"}, htmx=True)
    assert db.Movie.get_by_id(show.id).sort_title == "Daily Show"  # the same show: as it was
    client.post(f"/movies/{show.id}/identify", {"id": "615"}, htmx=True)
    fresh = db.Movie.get_by_id(show.id)
    assert (fresh.title, fresh.sort_title) == ("Futurama", None)
    preview = client.hx_get(f"/movies/{show.id}?tab=publish").get_data(as_text=True)
    assert "Daily Show</sorttitle>" not in preview.replace("&lt;/", "</")
    # the user's own sort title ("Simpsons 2", not derived from any title) stays
    db.Movie.update(sort_title="Simpsons 2").where(db.Movie.id == show.id).execute()
    client.post(f"/movies/{show.id}/identify", {"id": "2224"}, htmx=True)
    assert db.Movie.get_by_id(show.id).sort_title == "Simpsons 2"
    # as does a derived one the user locked
    db.Movie.update(sort_title="Daily Show", locked_fields=["sort_title"]).where(
        db.Movie.id == show.id
    ).execute()
    client.post(f"/movies/{show.id}/identify", {"id": "615"}, htmx=True)
    assert db.Movie.get_by_id(show.id).sort_title == "Daily Show"


def test_changing_the_show_drops_what_its_nfo_said_of_the_old_show(tv_stack):  # noqa: F811
    # the show's tvshow.nfo by MediaElch (its test data, `kodi_v18_show_Torchwood.nfo`) keeps
    # beside ours the old show's TVmaze id, TheTVDB rating, Top 250 rank, season names
    # ("Children of Earth"), episode guide and cast: after "Change show…" they named the old
    # show in the new show's tvshow.nfo (its 3rd season "Children of Earth", a TVmaze id that
    # Kodi's add-ons match it by). The user's own (`<userrating>`) stays.
    from metarrd.scan.tv_nfo import read_show_nfo

    client = tv_stack
    nfo = NFO_DIR / "mediaelch-kodi_v18_show_Torchwood.nfo"
    kept = read_show_nfo(nfo).data.unknown_elements  # what scan keeps as the show's nfo_extra
    show, episode = _enriched_2005(client)
    db.Movie.update(nfo_extra=kept).where(db.Movie.id == show.id).execute()
    workflow.set_stage("enrichment", False)
    client.post(f"/movies/{show.id}/identify", {"id": "121"}, htmx=True)
    extra = "".join(db.Movie.get_by_id(show.id).nfo_extra)
    for old in ('type="tvmaze"', "<ratings>", "Children of Earth", "<episodeguide>", "Barrowman"):
        assert old not in extra, old
    assert "<userrating>" in extra


MEDIAELCH_PAIR = (
    Path(__file__).parent.parent
    / "nfo"
    / ("mediaelch-kodi_v18_episode_American_Dad_S02E03-S02E04.nfo")
)


def _pair_with_users_nfo(client) -> tuple[db.Movie, db.Movie, Path]:
    """A two-episode file S01E02-E03 with MediaElch's NFO of two episodes beside it (renumbered
    as the file is, E3's block first as MediaElch writes it, its play count 2 and user rating
    9), scanned, then identified and enriched as the 2005 series."""
    from metarrd.scan import scan

    rt = client.application.extensions["metarrd.runtime"]
    show, _ = make_show()
    pair = _episode_file(show, "Doctor Who - S01E02-E03.mkv", [2, 3])
    video = _videos(pair)
    users = (
        MEDIAELCH_PAIR.read_text("utf-8")
        .replace("<season>2</season>", "<season>1</season>")
        .replace("<episode>3</episode>", "<episode>2</episode>")
        .replace("<episode>4</episode>", "<episode>3</episode>")
        .replace("<playcount>0</playcount>", "<playcount>2</playcount>", 1)
        .replace("<userrating>0</userrating>", "<userrating>9</userrating>", 1)
    )
    nfo = video.with_suffix(".nfo")
    nfo.write_text(users, "utf-8")
    scan(rt)
    _as_2005(client, show, pair)
    return show, pair, nfo


def test_changing_the_show_drops_what_the_episode_nfos_said_of_the_old_shows_episodes(
    tv_stack,  # noqa: F811
):
    # an episode NFO of MediaElch's (its test data, `kodi_v18_episode_American_Dad_S02E03-S02E04`:
    # two blocks, each with the episode's TVmaze id, TheTVDB rating, the show's <mpaa> and
    # <studio>, the cast) beside a two-episode file; renumbered S01E02-E03 as the file is. After
    # "Change show…" and the new show's enrich, each block of the published NFO named the old
    # episode: its TVmaze id (14152) and TheTVDB rating (7, 38 votes: the default rating Kodi
    # shows), "TV-14", "TBS". The user's own stay: play count, user rating, display numbers.
    from metarrd.publish import publish_item
    from tests.publish.test_tv_publish import blocks

    client = tv_stack
    show, pair, nfo = _pair_with_users_nfo(client)
    client.post(f"/movies/{show.id}/identify", {"id": "121"}, htmx=True)  # the chain enriches
    assert db.Movie.get_by_id(pair.id).title == "The Cave of Skulls"
    publish_item(client.application.extensions["metarrd.runtime"], db.Movie.get_by_id(show.id))

    e2, e3 = blocks(nfo)
    assert (e2.findtext("title"), e3.findtext("title")) == (
        "The Cave of Skulls",
        "The Forest of Fear",
    )
    for block in (e2, e3):
        assert [u.get("type") for u in block.iterfind("uniqueid")] == ["tmdb", "tvdb"]
        assert [r.get("name") for r in block.iterfind("ratings/rating")] == ["tmdb"]
        assert block.find("mpaa") is None and block.find("studio") is None
        assert block.find("top250") is None
        assert block.findtext("displayepisode") == "-1"  # the user's
        names = {a.findtext("name") for a in block.iterfind("actor")}
        assert not names & {"Patrick Stewart", "Seth MacFarlane", "Mike Henry"}
    # the user's copy: E3's block (the NFO's first) had the play count 2, the user rating 9
    assert (e2.findtext("playcount"), e3.findtext("playcount")) == ("0", "2")
    assert (e2.findtext("userrating"), e3.findtext("userrating")) == ("0", "9")


def test_an_episode_nfos_locked_values_and_cast_stay_when_the_show_changes(tv_stack):  # noqa: F811
    # the same MediaElch NFO: what each block said of the old episode that publish writes where
    # the new show's has none (a later episode's title and plot, its crew, its ids: identify
    # matches by its TheTVDB id) goes; the user's locks stay: E3's title ("title-2"), the cast
    # (its <actor>s), the <mpaa> ("mpaa")
    client = tv_stack
    show, pair, _ = _pair_with_users_nfo(client)
    _locked_then_1963(client, show, pair.id, ["title-2", "cast", "mpaa"])
    e3, e2 = db.Movie.get_by_id(pair.id).hints["nfo_episodes"]  # as MediaElch wrote them
    assert (e3["episode"], e2["episode"]) == (3, 2)
    assert e3["title"] == "Con Heir"  # the user's lock
    assert "title" not in e2 and not {"plot", "tvdb_id", "directors", "aired"} & (
        e3.keys() | e2.keys()
    )
    for block in (e3, e2):
        extra = "".join(block["extra"])
        assert "Patrick Stewart" in extra and "<mpaa>TV-14</mpaa>" in extra  # locked
        for old in ('type="tvmaze"', "<ratings>", "<studio>"):
            assert old not in extra, old
    assert "<playcount>2</playcount>" in "".join(e3["extra"])
    item = db.Movie.get_by_id(pair.id)
    assert (item.mpaa, item.studios) == ("TV-14", [])  # the lock keeps the item's own too


def test_the_episodes_values_its_nfo_gave_of_the_old_show_go_when_the_show_changes(
    tv_stack,  # noqa: F811
):
    # the same MediaElch NFO: scan takes each block's <mpaa>TV-14</mpaa> and <studio>TBS</studio>
    # (American Dad!'s, which MediaElch writes into every episode) on the episode item. After
    # "Change show…" and the new show's enrich, which gives an episode neither, the 1963
    # series' "The Cave of Skulls" still held "TV-14" and "TBS" (the item's row: what a lock
    # would keep, what the next NFO read compares with), though its NFO elements went
    client = tv_stack
    show, pair, _ = _pair_with_users_nfo(client)
    was = db.Movie.get_by_id(pair.id)
    assert (was.mpaa, was.studios) == ("TV-14", ["TBS"])
    client.post(f"/movies/{show.id}/identify", {"id": "121"}, htmx=True)  # the chain enriches
    fresh = db.Movie.get_by_id(pair.id)
    assert fresh.title == "The Cave of Skulls" and fresh.identification_status == db.ENRICHED
    assert (fresh.mpaa, fresh.studios) == (None, [])


def test_changing_the_show_drops_what_the_season_nfos_said_of_the_old_show(
    tv_stack,  # noqa: F811
):
    # a season.nfo as Jellyfin writes it (its test data, `Season 01.nfo`, of High School Musical:
    # The Musical: The Series): the season's TheTVDB id as `<tvdbid>` (which Jellyfin's NFO
    # reader takes as the season's TheTVDB id), the old show's cast. After "Change show…" to
    # the 1963 series and a publish, the 1963 season's season.nfo kept the old season's
    # `<tvdbid>359728` and <actor>s. The user's own (`<lockdata>`, `<art>`, `<dateadded>`) stay.
    from metarrd.publish import publish_item
    from metarrd.scan import scan

    client = tv_stack
    rt = client.application.extensions["metarrd.runtime"]
    show, episode = make_show()
    video = _videos(episode)
    season_nfo = video.parent / "season.nfo"
    season_nfo.write_bytes((NFO_DIR / "jellyfin-Season-01.nfo").read_bytes())
    scan(rt)
    _as_2005(client, show, episode)
    client.post(f"/movies/{show.id}/identify", {"id": "121"}, htmx=True)  # the chain enriches
    publish_item(rt, db.Movie.get_by_id(show.id))

    ours = season_nfo.read_text("utf-8")
    for old in ("<tvdbid>", "Olivia Rodrigo", "<year>2019", "2019-11-08"):
        assert old not in ours, old
    for users in ("<lockdata>false</lockdata>", "<art>", "<dateadded>2020-06-14 17:26:51"):
        assert users in ours, users


# a special's NFO as Sonarr's Kodi metadata writes it (XbmcMetadata.cs: `<displayseason>` and
# `<displayepisode>` from TheTVDB's airsBeforeSeason/airsBeforeEpisode): "The Christmas
# Invasion" airs before series 2's first episode
SONARR_SPECIAL = """<?xml version="1.0" encoding="utf-8" standalone="yes"?>
<episodedetails>
  <title>The Christmas Invasion</title>
  <season>0</season>
  <episode>1</episode>
  <aired>2005-12-25</aired>
  <plot>The newly regenerated Doctor falls into a coma as the Sycorax invade.</plot>
  <displayseason>2</displayseason>
  <displayepisode>1</displayepisode>
  <uniqueid type="tvdb" default="true">297864</uniqueid>
  <watched>false</watched>
</episodedetails>
"""


def test_a_specials_placement_of_the_old_show_goes_when_the_show_changes(tv_stack):  # noqa: F811
    # a show folder taken for Doctor Who (2005) whose special S00E01 has Sonarr's NFO, placed
    # before the old show's S02E01. "Change show…" to the right show (Breaking Bad, whose
    # S00E01 TheTVDB airs before S01E01): publish kept the old placement as the user's, and Kodi
    # and Jellyfin sorted "Good Cop Bad Cop" into season 2; the new show's went unwritten
    from metarrd.publish import publish_item
    from metarrd.scan import scan
    from tests.publish.test_tv_publish import blocks

    client = tv_stack
    rt = client.application.extensions["metarrd.runtime"]
    show, _ = make_show()
    special = db.Movie.create(library=show.library, path=f"{show.path}/Specials/S00E01.mkv",
                              kind=db.EPISODE, show=show, season=0, episodes=[1])  # fmt: skip
    video = _videos(special)
    nfo = video.with_suffix(".nfo")
    nfo.write_text(SONARR_SPECIAL, "utf-8")
    scan(rt)
    _as_2005(client, show, special)
    client.post(f"/movies/{show.id}/identify", {"id": "1396"}, htmx=True)  # the chain enriches
    fresh = db.Movie.get_by_id(special.id)
    assert fresh.title == "Good Cop Bad Cop"
    extra = "".join(fresh.hints["nfo_episodes"][0]["extra"])
    assert "<aired>2005-12-25</aired>" not in extra  # the old episode's date, no fallback
    assert "<watched>false</watched>" in extra  # the user's copy's
    publish_item(rt, db.Movie.get_by_id(show.id))
    (block,) = blocks(nfo)
    assert block.findtext("title") == "Good Cop Bad Cop"
    # the new show's placement (the simulator's TheTVDB: before S01E01), once each
    assert [block.findtext(n) for n in ("displayseason", "displayepisode")] == ["1", "1"]
    assert len(block.findall("displayseason")) == 1 and block.find("displayafterseason") is None
    assert block.findtext("watched") == "false"


def _season_with_users_nfo(client, edit: dict[str, str] | None = None) -> tuple[db.Movie, Path]:
    """Season 1 of a show whose folder holds Jellyfin's season.nfo (its test data, `Season
    01.nfo`) as Jellyfin writes it of the 2005 series: its name and TMDB's plot of that season,
    which scan takes and locks (Kodi reads no season.nfo); identified and enriched as the 2005
    series; the user's `edit`s of the season on its page, if any. Returns the season and the
    season.nfo."""
    from metarrd.scan import scan

    rt = client.application.extensions["metarrd.runtime"]
    show, episode = make_show()
    video = _videos(episode)
    season_nfo = video.parent / "season.nfo"
    jellyfin = (NFO_DIR / "jellyfin-Season-01.nfo").read_text("utf-8")
    season_nfo.write_text(
        jellyfin.replace("<plot />", f"<plot>{OLD_SEASON_PLOT}</plot>").replace(
            "<title>Season 1</title>", "<title>The Ninth Doctor</title>"
        ),
        "utf-8",
    )
    scan(rt)
    season = db.Movie.get(db.Movie.show == show.id, db.Movie.kind == db.SEASON)
    assert (season.title, season.plot) == ("The Ninth Doctor", OLD_SEASON_PLOT)
    assert {"title", "plot"} <= set(season.locked_fields)
    for name, value in (edit or {}).items():
        client.post(f"/movies/{season.id}/fields/{name}", {"value": value}, htmx=True)
    _as_2005(client, show, episode)
    return season, season_nfo


OLD_SEASON_PLOT = "Rose Tyler, a London shop girl, meets the Doctor and joins him in the TARDIS."


def test_a_season_name_and_plot_the_old_shows_season_nfo_gave_go_when_the_show_changes(
    tv_stack,  # noqa: F811
):
    # scan locks a season.nfo's name and plot (enrich would put TMDB's back over the user's
    # file); after "Change show…" to the 1963 series, whose first season TMDB gives no plot,
    # the 2005 series' "The Ninth Doctor" and its plot stayed, locked, in the review, in our
    # tvshow.nfo's <namedseason> (what Kodi shows) and in the new season.nfo
    from metarrd.publish import publish_item

    client = tv_stack
    season, season_nfo = _season_with_users_nfo(client)
    client.post(f"/movies/{season.show_id}/identify", {"id": "121"}, htmx=True)  # enriches
    fresh = db.Movie.get_by_id(season.id)
    assert fresh.identification_status == db.ENRICHED
    assert fresh.title != "The Ninth Doctor" and fresh.plot != OLD_SEASON_PLOT
    assert not {"title", "plot"} & set(fresh.locked_fields or [])
    review = client.get(f"/movies/{season.id}").get_data(as_text=True)
    assert "The Ninth Doctor" not in review and "Rose Tyler" not in review
    publish_item(
        client.application.extensions["metarrd.runtime"], db.Movie.get_by_id(season.show_id)
    )
    tvshow = (Path(db.Movie.get_by_id(season.show_id).path) / "tvshow.nfo").read_text("utf-8")
    ours = season_nfo.read_text("utf-8")
    for text in (tvshow, ours):
        assert "The Ninth Doctor" not in text and "Rose Tyler" not in text


def test_a_season_name_and_plot_the_user_edited_stay_when_the_show_changes(tv_stack):  # noqa: F811
    # the same season.nfo, the season's name and plot then edited on its page (locked by the
    # user; the name saved as the file gave it): they stay after "Change show…", as any field
    # the user locked
    client = tv_stack
    mine = {"title": "The Ninth Doctor", "plot": "My own words on it."}
    season, _ = _season_with_users_nfo(client, mine)
    client.post(f"/movies/{season.show_id}/identify", {"id": "121"}, htmx=True)  # enriches
    fresh = db.Movie.get_by_id(season.id)
    assert (fresh.title, fresh.plot) == (mine["title"], mine["plot"])
    assert {"title", "plot"} <= set(fresh.locked_fields)


def test_what_the_old_shows_tvshow_nfo_said_of_it_goes_when_the_show_changes(
    tv_stack,  # noqa: F811
):
    # Jellyfin's tvshow.nfo (its test data, of Torchwood): scan takes its <outline> ("Captain
    # Jack Harkness...") and <runtime> 50 on the show, which publish writes into tvshow.nfo from
    # the show alone (no TV provider gives them). After "Change show…" and the new show's
    # enrich, the 1963 series' tvshow.nfo still said them. A locked one stays.
    from metarrd.publish.tv import preview_show
    from metarrd.scan import apply_nfo_values
    from metarrd.scan.tv_nfo import read_show_nfo

    client = tv_stack
    rt = client.application.extensions["metarrd.runtime"]
    nfo = read_show_nfo(NFO_DIR / "jellyfin-tvshow.nfo").data
    show, _ = _enriched_2005(client)
    Path(show.path).mkdir(parents=True)
    item = db.Movie.get_by_id(show.id)
    apply_nfo_values(item, nfo)  # as scan takes a changed tvshow.nfo
    item.save()
    client.post(f"/movies/{show.id}/identify", {"id": "121"}, htmx=True)  # the chain enriches
    fresh = db.Movie.get_by_id(show.id)
    assert fresh.identification_status == db.ENRICHED
    assert (fresh.outline, fresh.runtime) == (None, None)
    tvshow = preview_show(rt, fresh).nfo_new
    assert "<title>Doctor Who</title>" in tvshow
    assert "Captain Jack" not in tvshow and "<runtime>" not in tvshow
    # locked, it stays
    db.Movie.update(outline="My words", locked_fields=["outline"]).where(
        db.Movie.id == show.id
    ).execute()
    client.post(f"/movies/{show.id}/identify", {"id": "57243"}, htmx=True)
    assert db.Movie.get_by_id(show.id).outline == "My words"


def test_the_old_episodes_production_code_goes_when_the_show_changes(tv_stack):  # noqa: F811
    # Kodi's library export (CVideoInfoTag::Save, here Jellyfin's test data `The Bone Orchard`)
    # writes an episode's production code as `<code>`; publish keeps the user's where the new
    # show's episode has none. "Rose", S01E01 of the 2005 series, is production 1.1: after
    # "Change show…" to the 1963 series (TMDB gives "An Unearthly Child" no code), its NFO said
    # <code>1.1</code>, which Kodi shows as the episode's production code
    from metarrd.publish import publish_item
    from metarrd.scan import scan
    from tests.publish.test_tv_publish import blocks

    client = tv_stack
    rt = client.application.extensions["metarrd.runtime"]
    show, episode = make_show()
    video = _videos(episode)
    kodi = (NFO_DIR / "jellyfin-The-Bone-Orchard.nfo").read_text("utf-8")
    assert "<code></code>" in kodi
    nfo = video.with_suffix(".nfo")
    nfo.write_text(kodi.replace("<code></code>", "<code>1.1</code>"), "utf-8")
    scan(rt)
    _as_2005(client, show, episode)
    client.post(f"/movies/{show.id}/identify", {"id": "121"}, htmx=True)  # the chain enriches
    publish_item(rt, db.Movie.get_by_id(show.id))
    (block,) = blocks(nfo)
    assert block.findtext("title") == "An Unearthly Child"
    assert block.find("code") is None


def test_an_episode_the_new_show_has_not_keeps_no_nfo_or_thumb_of_the_old_one(
    tv_stack,  # noqa: F811
):
    # "Dalek", S01E06 of the 2005 series, published: our NFO (its title, the 2005 episode's
    # TMDB and TheTVDB ids) and its still as `-thumb.jpg`. After "Change show…" to the 1963
    # series, whose season 1 has four episodes here (the simulator's TMDB), the file is matched
    # to nothing and gets no NFO; publish left ours of "Dalek" beside it, and Kodi listed
    # "Dalek", with the 2005 episode's ids and still, under the 1963 series
    from metarrd.publish import publish_item
    from metarrd.scan import scan

    client = tv_stack
    rt = client.application.extensions["metarrd.runtime"]
    show, episode = make_show()
    dalek = _episode_file(show, "Doctor Who - S01E06.mkv", [6])
    _videos(episode, dalek)
    scan(rt)
    _as_2005(client, show, episode)
    publish_item(rt, db.Movie.get_by_id(show.id))
    video = Path(dalek.path)
    nfo, thumb = video.with_suffix(".nfo"), video.with_name(video.stem + "-thumb.jpg")
    assert "<title>Dalek</title>" in nfo.read_text("utf-8") and thumb.is_file()
    client.post(f"/movies/{show.id}/identify", {"id": "121"}, htmx=True)  # the chain enriches
    assert db.Movie.get_by_id(dalek.id).identification_status == db.UNIDENTIFIED
    result = publish_item(rt, db.Movie.get_by_id(show.id))
    assert not nfo.exists() and not thumb.exists(), result
    assert video.is_file()  # the video, the user's, stays
    first = Path(episode.path).with_suffix(".nfo").read_text("utf-8")
    assert "<title>An Unearthly Child</title>" in first
    # the show's NFO says no episode guide: an episode file has no NFO (kodi-tv.md §2.2)
    assert "<episodeguide>" not in (Path(show.path) / "tvshow.nfo").read_text("utf-8")


def test_a_season_name_the_old_shows_tvshow_nfo_gave_goes_when_the_show_changes(
    tv_stack,  # noqa: F811
):
    # MediaElch's tvshow.nfo (its test data, of Torchwood) names season 3 "Children of Earth"
    # (`<namedseason number="3">`), which scan gives the season item and locks; after "Change
    # show…" the name stayed, locked, on the new show's season 3 and in our tvshow.nfo
    from metarrd.publish.tv import preview_show
    from metarrd.scan import scan

    client = tv_stack
    rt = client.application.extensions["metarrd.runtime"]
    show, episode = make_show()
    third = _episode_file(show, "Doctor Who - S03E01.mkv", [1])
    third.path, third.season = f"{show.path}/Season 03/Doctor Who - S03E01.mkv", 3
    third.save()
    _videos(episode, third)
    torchwood = NFO_DIR / "mediaelch-kodi_v18_show_Torchwood.nfo"
    (Path(show.path) / "tvshow.nfo").write_bytes(torchwood.read_bytes())
    scan(rt)
    season = db.Movie.get(
        db.Movie.show == show.id, db.Movie.season == 3, db.Movie.kind == db.SEASON
    )
    assert season.title == "Children of Earth" and "title" in season.locked_fields
    _as_2005(client, show, episode)
    client.post(f"/movies/{show.id}/identify", {"id": "121"}, htmx=True)  # the chain enriches
    fresh = db.Movie.get_by_id(season.id)
    assert fresh.title != "Children of Earth" and "title" not in (fresh.locked_fields or [])
    assert "Children of Earth" not in preview_show(rt, db.Movie.get_by_id(show.id)).nfo_new


def test_a_season_only_date_named_files_were_in_is_hidden_when_the_show_changes(
    tv_stack,  # noqa: F811
):
    """`Doctor Who - 2005-10-12.mkv` (named by air date, as Sonarr's daily format names it) is
    the 2005 series' special "The Christmas Invasion": identify made its Specials season. The
    1963 series aired nothing that day: after "Change show…" the file is matched to no episode
    and the Specials season holds no file. Its item is kept but hidden (missing), as another
    episode order leaves a season; the old show's match was dropped before the new one, so the
    season was not seen as left behind and stayed listed with no file."""
    from metarrd.web.tv import seasons as season_views

    client = tv_stack
    show, episode = make_show()
    daily = db.Movie.create(
        library=show.library,
        path=f"{show.path}/Doctor Who - 2005-10-12.mkv",
        kind=db.EPISODE,
        show=show,
        hints={"name_aired": "2005-10-12"},
        identification_status=db.UNIDENTIFIED,
    )
    client.post(f"/movies/{show.id}/identify", {"id": "57243"}, htmx=True)
    assert db.Movie.get_by_id(daily.id).episode_numbers() == (0, [1])
    special = db.Movie.get(db.Movie.show == show, db.Movie.kind == db.SEASON, db.Movie.season == 0)
    assert not special.missing

    workflow.set_stage("enrichment", False)
    client.post(f"/movies/{show.id}/identify", {"id": "121"}, htmx=True)
    assert db.Movie.get_by_id(daily.id).episode_numbers() == (None, [])
    assert db.Movie.get_by_id(special.id).missing
    # Season 1's file, and the file matched to no episode (under no season)
    assert [v.number for v in season_views(db.Movie.get_by_id(show.id))] == [1, None]


def _add_own(client, item_id: int, asset_type: str, image: bytes) -> None:
    """The user uploads `image` as the item's `asset_type` on its page (which chooses it)."""
    answer = client.post(
        f"/movies/{item_id}/artwork/{asset_type}/add",
        {"image": (io.BytesIO(image), "mine.png")},
        htmx=True,
        content_type="multipart/form-data",
    )
    assert f"Your {asset_type} (user" in answer.get_data(as_text=True)


def _own_images(item_ids: list[int]) -> dict[tuple[int, str], tuple]:
    A = db.ArtworkCandidate
    rows = A.select().where(A.movie.in_(item_ids), A.provider == "user")
    return {
        (r.movie_id, r.asset_type): (r.id, r.is_selected, r.selected_by, r.rank, r.preview_path)
        for r in rows
    }


def test_the_images_the_user_added_stay_when_the_show_changes(tv_stack):  # noqa: F811
    """ "Change show…" dropped the images the user uploaded (or added from an address) on the
    show's and its episodes' pages with the old show's provider artwork: rows, cached copies,
    previews, and so the user's choice. They stay, chosen (and their types locked) as they
    were, as the user's files in the library do, through the new show's enrich too."""
    client = tv_stack
    show, episode = _enriched_2005(client)
    _add_own(client, show.id, "poster", png((400, 600), (200, 30, 30)))
    _add_own(client, episode.id, "thumb", png((320, 180), (30, 30, 200)))
    items = [show.id, episode.id]
    before = _own_images(items)
    assert {k: v[1:4] for k, v in before.items()} == {
        (show.id, "poster"): (True, "user", 1),
        (episode.id, "thumb"): (True, "user", 1),
    }
    C = db.CacheImageFile
    cached = {c.file_path for c in C.select().where(C.movie.in_(items), C.provider_name == "user")}
    assert len(cached) == 2

    client.post(f"/movies/{show.id}/identify", {"id": "121"}, htmx=True)  # the chain enriches
    fresh = db.Movie.get_by_id(show.id)
    assert (fresh.tmdb_id, fresh.identification_status) == (121, db.ENRICHED)
    assert db.Movie.get_by_id(episode.id).title == "An Unearthly Child"
    assert _own_images(items) == before
    assert "poster" in fresh.locked_asset_types
    assert "thumb" in db.Movie.get_by_id(episode.id).locked_asset_types
    assert cached <= {c.file_path for c in C.select().where(C.movie.in_(items))}
    assert all(Path(p).is_file() for p in cached)
    previews = client.config.previews_dir
    assert all((previews / row[4]).is_file() for row in before.values())


def test_a_type_whose_chosen_image_was_the_old_shows_is_chosen_again(tv_stack):  # noqa: F811
    """The user chose the 2005 series' second poster (choosing locks its type), then "Change
    show…" to the 1963 one: the old show's poster went, the lock stayed, and the new show's
    enrich, which leaves a locked type as it is, chose no poster for the show, for good. The
    lock goes with the image it held."""
    from metarrd.enrich import change_selection

    client = tv_stack
    show, _episode = _enriched_2005(client)
    A = db.ArtworkCandidate
    second = A.select().where(A.movie == show.id, A.asset_type == "poster", ~A.is_selected).first()
    change_selection(client.config, second.id, "use")
    assert db.Movie.get_by_id(show.id).locked_asset_types == ["poster"]

    client.post(f"/movies/{show.id}/identify", {"id": "121"}, htmx=True)  # the chain enriches
    fresh = db.Movie.get_by_id(show.id)
    assert (fresh.tmdb_id, fresh.identification_status) == (121, db.ENRICHED)
    assert fresh.locked_asset_types == []
    chosen = A.select().where(A.movie == show.id, A.asset_type == "poster", A.is_selected)
    assert sorted((a.rank, a.selected_by) for a in chosen)[0] == (1, "auto")

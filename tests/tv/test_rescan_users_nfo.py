"""An episode NFO edited in another tool after metarrd enriched and published the episode
(tinyMediaManager, MediaElch, Kodi's export rewrite the file we wrote): a scan of the show's
folder takes the user's values (docs/tv.md "A scan of a show's folder"), and the next publish
writes them, each block its own, not the enriched `episode_details` they replaced."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from metarrd import db
from metarrd.enrich import enrich_item
from metarrd.publish import publish_item
from metarrd.scan import scan

from .test_enrich_tv import episode, identified_show

BB = "Breaking Bad (2008)"
PILOT = f"{BB}/Season 01/Breaking Bad - S01E01 - Pilot.mkv"
MULTI = f"{BB}/Season 01/Breaking Bad S01E04E05.mkv"


@pytest.fixture
def rt(tv_rt):
    tv_rt.http.backoff = 0.05
    return tv_rt


def titles(nfo: Path) -> list[str]:
    """Each `<episodedetails>`' title, as Kodi reads the blocks back to back."""
    body = nfo.read_bytes().split(b"?>", 1)[1]
    root = etree.fromstring(b"<blocks>" + body + b"</blocks>")
    return [b.findtext("title") for b in root.iter("episodedetails")]


def edit(nfo: Path, *changes: tuple[str, str]) -> None:
    text = nfo.read_text("utf-8")
    for old, new in changes:
        assert old in text
        text = text.replace(old, new, 1)
    nfo.write_text(text, "utf-8")


def publish(rt, show: db.Movie) -> None:
    publish_item(rt, db.Movie.get_by_id(show.id))


@pytest.mark.parametrize("lockdata", [False, True])
def test_titles_edited_in_another_tool_are_what_the_next_publish_writes(rt, tmp_path, lockdata):
    show = identified_show(rt, tmp_path / "tv", files=[PILOT, MULTI])
    enrich_item(rt, show)
    publish(rt, show)
    pilot_nfo = (tmp_path / "tv" / PILOT).with_suffix(".nfo")
    multi_nfo = (tmp_path / "tv" / MULTI).with_suffix(".nfo")
    assert titles(pilot_nfo) == ["Pilot"]
    assert titles(multi_nfo) == ["Cancer Man", "Gray Matter"]
    # Jellyfin's lock (BaseNfoSaver.cs `<lockdata>`), written by it beside the edit
    lock = ("</title>", "</title>\n  <lockdata>true</lockdata>") if lockdata else ("", "")
    edit(pilot_nfo, ("<title>Pilot</title>", "<title>Pilot (Director's Cut)</title>"), lock)
    edit(
        multi_nfo,
        ("<title>Cancer Man</title>", "<title>Cancer Man (1)</title>"),
        ("<title>Gray Matter</title>", "<title>Grey Matter</title>"),
        lock,
    )
    scan(rt, [tmp_path / "tv" / BB])  # the watcher's scan of the show's folder
    assert episode("S01E01 - Pilot.mkv").title == "Pilot (Director's Cut)"
    publish(rt, show)
    assert titles(pilot_nfo) == ["Pilot (Director's Cut)"]
    assert titles(multi_nfo) == ["Cancer Man (1)", "Grey Matter"]
    enrich_item(rt, db.Movie.get_by_id(show.id))
    publish(rt, show)
    if lockdata:  # locked: kept through enrich (keep_locked keeps the blocks' values)
        assert titles(pilot_nfo) == ["Pilot (Director's Cut)"]
        assert titles(multi_nfo) == ["Cancer Man (1)", "Grey Matter"]
    else:  # unlocked: the provider's come back with the next enrich (docs/enrich.md "Rules")
        assert titles(pilot_nfo) == ["Pilot"]
        assert titles(multi_nfo) == ["Cancer Man", "Gray Matter"]


def test_a_title_locked_on_the_item_page_stays_over_the_nfos(rt, tmp_path):
    """The item's own lock wins over an NFO's value (scan.apply_nfo_values: "except locked
    fields"), in the NFO written too."""
    from metarrd.web import edits

    show = identified_show(rt, tmp_path / "tv", files=[PILOT])
    enrich_item(rt, show)
    edits.set_field(episode("S01E01 - Pilot.mkv").id, "title", "My Pilot")
    publish(rt, show)
    nfo = (tmp_path / "tv" / PILOT).with_suffix(".nfo")
    edit(nfo, ("<title>My Pilot</title>", "<title>Their Pilot</title>"))
    scan(rt, [tmp_path / "tv" / BB])
    publish(rt, show)
    assert titles(nfo) == ["My Pilot"]


def blocks(nfo: Path, tag: str) -> list[str | None]:
    """Each `<episodedetails>`' `<tag>`, in file order."""
    body = nfo.read_bytes().split(b"?>", 1)[1]
    root = etree.fromstring(b"<blocks>" + body + b"</blocks>")
    return [b.findtext(tag) for b in root.iter("episodedetails")]


def test_each_blocks_air_date_edited_in_another_tool_is_its_own_episodes(rt, tmp_path):
    """A multi-episode NFO holds one `<aired>` per block, each its episode's (Kodi reads every
    block on its own: CVideoInfoTag::ParseNative `XMLUtils::GetDate(movie, "aired", ...)`;
    MediaElch's tests/nfo/mediaelch-kodi_v18_episode_American_Dad_S02E03-S02E04.nfo carries
    2005-10-02 and 2005-09-25). The scan took the later block's title and plot from the user's
    edit but not its date, nor the first block's: the next publish wrote TMDB's dates back over
    both. Now each lands on its own episode (the item's `aired` is the first's), and a date that
    is no date is that episode's warning while the other block's edit is still taken."""
    show = identified_show(rt, tmp_path / "tv", files=[MULTI])
    enrich_item(rt, show)
    publish(rt, show)
    nfo = (tmp_path / "tv" / MULTI).with_suffix(".nfo")
    tmdbs = blocks(nfo, "aired")
    assert len(tmdbs) == 2 and "2001-09-11" not in tmdbs and "2002-02-02" not in tmdbs
    edit(nfo, (f"<aired>{tmdbs[0]}</aired>", "<aired>2001-09-11</aired>"),
         (f"<aired>{tmdbs[1]}</aired>", "<aired>02.02.2002</aired>"))  # fmt: skip
    scan(rt, [tmp_path / "tv" / BB])
    item = episode("Breaking Bad S01E04E05.mkv")
    assert item.aired == "2001-09-11"
    assert [b["aired"] for b in item.episode_details] == ["2001-09-11", "2002-02-02"]
    publish(rt, show)
    assert blocks(nfo, "aired") == ["2001-09-11", "2002-02-02"]
    # a hand edit that is no date: S01E04's warning, S01E05's date still taken
    edit(nfo, ("<aired>2001-09-11</aired>", "<aired>2001-13-45</aired>"),
         ("<aired>2002-02-02</aired>", "<aired>2003-03-03</aired>"))  # fmt: skip
    scan(rt, [tmp_path / "tv" / BB])
    item = episode("Breaking Bad S01E04E05.mkv")
    assert [b["aired"] for b in item.episode_details] == ["2001-09-11", "2003-03-03"]
    said = [e.message for e in db.Event.select().where(db.Event.movie == item.id)]
    assert any("S01E04: <aired> '2001-13-45' is not a date; ignored" in m for m in said), said


def test_a_later_blocks_rating_edited_in_another_tool_is_its_own_episodes(rt, tmp_path):
    """The first block's `<ratings>` edited in another tool reached the item and the NFO; the
    second block's was read (`hints["nfo_episodes"]`) but the next publish wrote TMDB's back,
    since publish takes the user's only where the enriched block has none. Each block now
    takes its own rating and votes, as the first does."""
    show = identified_show(rt, tmp_path / "tv", files=[MULTI])
    enrich_item(rt, show)
    publish(rt, show)
    nfo = (tmp_path / "tv" / MULTI).with_suffix(".nfo")
    assert blocks(nfo, "ratings/rating/value") == ["7.5", "7.5"]
    first, second = nfo.read_text("utf-8").split("<episodedetails>\n  <title>Gray Matter")
    second = second.replace("<value>7.5</value>", "<value>9.1</value>", 1)
    nfo.write_text(first + "<episodedetails>\n  <title>Gray Matter" + second.replace(
        "<votes>12</votes>", "<votes>345</votes>", 1), "utf-8")  # fmt: skip
    scan(rt, [tmp_path / "tv" / BB])
    publish(rt, show)
    assert blocks(nfo, "ratings/rating/value") == ["7.5", "9.1"]
    assert blocks(nfo, "ratings/rating/votes") == ["12", "345"]


def test_an_episode_nfo_edited_while_the_daemon_was_down_is_taken_in_by_the_full_rescan(
    rt, tmp_path
):
    """The full rescan (at the daemon's start, `metarrd scan`) passed over an episode NFO the
    user edited in tinyMediaManager beside an unchanged file: only a scan of the show's folder
    read it. Now the rescan takes it in; the NFOs PUBLISH wrote, and the edit once taken in,
    are no change to it."""
    show = identified_show(rt, tmp_path / "tv", files=[PILOT, MULTI])
    enrich_item(rt, show)
    publish(rt, show)
    report = scan(rt)  # our own NFOs: nothing read again
    assert report.unchanged == 2 and not report.changed
    pilot_nfo = (tmp_path / "tv" / PILOT).with_suffix(".nfo")
    edit(pilot_nfo, ("<title>Pilot</title>", "<title>Pilot (Director's Cut)</title>"))

    report = scan(rt)

    assert episode("S01E01 - Pilot.mkv").title == "Pilot (Director's Cut)"
    assert len(report.changed) == 1 and report.unchanged == 1
    report = scan(rt)
    assert report.unchanged == 2 and not report.changed

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

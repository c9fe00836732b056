"""Each `<episodedetails>` block of a multi-episode file lists its own episode's guest stars.

TMDB's season body gives `guest_stars` per episode, and Kodi's TMDB TV scraper
(xbmc/metadata.tvshows.themoviedb.org.python, `tmdb.py` `load_episode_details`) puts an
episode's own `guest_stars` on that episode; Kodi reads each block's `<actor>` as that
episode's cast (kodi-tv.md §2.4, Kodi 20.1: "An episode's `cast` is its block's actors (the
guest stars)"). Sonarr's default multi-episode name `Breaking Bad - S02E01-E03` used to give
every block the guests of all three episodes, so Kodi listed the guests of "Grilled" on
"Seven Thirty-Seven" too."""

from __future__ import annotations

from lxml import etree

from .conftest import put

BB = "Breaking Bad (2008)"


def _blocks(path) -> list[etree._Element]:
    body = path.read_text("utf-8").split("?>", 1)[1]
    return [
        etree.fromstring((b + "</episodedetails>").encode())
        for b in body.split("</episodedetails>")
        if b.strip()
    ]


def test_each_block_of_a_multi_episode_file_has_its_own_guest_stars(
    tv_rt, tmp_path, monkeypatch, capsys
):
    from metarrd import cli

    monkeypatch.setattr(cli, "load_config", lambda _path: tv_rt.config)
    show = tmp_path / "tv" / BB
    video = put(show.parent, f"{BB}/Season 02/Breaking Bad - S02E01-E03.mkv")
    assert cli.main(["scan"]) == 0, capsys.readouterr()
    assert cli.main(["enrich", "--all"]) == 0, capsys.readouterr()
    assert cli.main(["publish", "--all"]) == 0, capsys.readouterr()

    season = tv_rt.tmdb.tv_season(1396, 2)  # the provider's answer: guests per episode
    regulars = {"Bryan Cranston", "Aaron Paul", "Anna Gunn", "Dean Norris"}
    wanted = {
        ep["episode_number"]: [g["name"] for g in ep["guest_stars"] if g["name"] not in regulars]
        for ep in season["episodes"]
    }
    blocks = _blocks(video.with_suffix(".nfo"))
    assert [int(b.findtext("episode")) for b in blocks] == [1, 2, 3]
    got = {
        int(b.findtext("episode")): [a.findtext("name") for a in b.findall("actor")] for b in blocks
    }
    assert {n: sorted(got[n]) for n in got} == {n: sorted(wanted[n]) for n in (1, 2, 3)}
    # the three episodes do not share one list (else this test would prove nothing)
    assert len({tuple(sorted(wanted[n])) for n in (1, 2, 3)}) > 1
    # `.actors/` still holds every guest of the file with an image (Kodi reads the show's folder)
    actors = {p.stem for p in (show / ".actors").iterdir()}
    for b in blocks:
        for a in b.findall("actor"):
            if a.findtext("thumb"):
                assert a.findtext("name").replace(" ", "_") in actors


def test_guest_stars_are_guest_stars_to_jellyfin_and_read_back_alike(
    tv_rt, tmp_path, monkeypatch, capsys
):
    """An episode's `<actor>`s are its TMDB `guest_stars`, but were written as plain actors:
    Jellyfin, which reads `<type>GuestStar</type>` (as its own NFO saver and TMDB fetcher have
    them), listed them as the episode's regular cast. Kodi reads only `name`, `role`, `order` and
    `thumb` of an `<actor>` (VideoInfoTag.cpp ParseNative) and its export writes no `<type>`; our
    scan reads the NFO back as it did. The show's cast stays plain actors."""
    from metarrd import cli
    from metarrd.scan.tv_nfo import read_episode_nfo

    monkeypatch.setattr(cli, "load_config", lambda _path: tv_rt.config)
    show = tmp_path / "tv" / BB
    video = put(show.parent, f"{BB}/Season 02/Breaking Bad - S02E01-E03.mkv")
    assert cli.main(["scan"]) == 0, capsys.readouterr()
    assert cli.main(["enrich", "--all"]) == 0, capsys.readouterr()
    assert cli.main(["publish", "--all"]) == 0, capsys.readouterr()

    blocks = _blocks(video.with_suffix(".nfo"))
    guests = [a for b in blocks for a in b.findall("actor")]
    # Jellyfin's PersonKind.GuestStar (Jellyfin.Data/Enums/PersonKind.cs), which its NFO reader
    # takes from `<type>` with `Enum.TryParse(..., true, ...)` (10.8: the exact "GuestStar");
    # none, or text of no member, is an Actor
    assert guests and all(a.findtext("type") == "GuestStar" for a in guests)
    # where Jellyfin's own saver puts it: after the role, before the order
    assert [c.tag for c in guests[0]][:4] == ["name", "role", "type", "order"]
    tvshow = etree.fromstring((show / "tvshow.nfo").read_bytes())
    assert tvshow.findall("actor") and all(a.find("type") is None for a in tvshow.iter("actor"))

    read = read_episode_nfo(video.with_suffix(".nfo"))
    assert [[(a.name, a.role, a.order, a.thumb) for a in block.data.actors] for block in read] == [
        [
            (a.findtext("name"), a.findtext("role"), int(a.findtext("order")), a.findtext("thumb"))
            for a in b.findall("actor")
        ]
        for b in blocks
    ]
    assert not any(block.data.warnings for block in read)

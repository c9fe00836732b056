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

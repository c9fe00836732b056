"""Hostile but real provider text in a show, end to end (tests/enrich/test_hostile_text.py for
movies and where such text was met): the show, its seasons and episodes still enrich and
publish, and every NFO is XML 1.0 Kodi can read."""

from __future__ import annotations

from lxml import etree

from metarrd import db
from metarrd.enrich import enrich_item
from metarrd.publish import publish_many

from .test_enrich_tv import identified_show

HOSTILE = "Hei\ud800sen\x00berg\x07\ufffe\uffff\x1b \u202eSay my name"
FIT = "Hei\ufffdsenberg \u202eSay my name"


def _nfos(root) -> dict[str, list[etree._Element]]:
    """Each NFO's root elements as Kodi's strict reading sees them (a multi-episode file's NFO
    holds one <episodedetails> per episode, one after the other)."""
    out = {}
    for path in sorted(root.rglob("*.nfo")):
        body = path.read_bytes().split(b"?>", 1)[1]  # the XML declaration
        out[path.name] = list(etree.fromstring(b"<nfo>" + body + b"</nfo>", etree.XMLParser()))
    return out


def test_a_hostile_text_in_a_show_still_enriches_and_publishes(tv_rt, tmp_path, simulator,
                                                               monkeypatch):  # fmt: skip
    """Show name and plot, an episode's title, a cast name and the network from TMDB: the lone
    surrogate failed the database write of the whole show, the controls its NFOs."""
    tv_rt.http.backoff = 0.05
    show = identified_show(tv_rt, tmp_path / "tv")
    bb = simulator.router.tv.get(1396)
    monkeypatch.setattr(bb, "name", HOSTILE)  # after identify: the folder's name still matches
    monkeypatch.setattr(bb, "overview", HOSTILE)
    monkeypatch.setattr(bb, "cast", [[HOSTILE, HOSTILE, 2], *bb.cast[1:]])
    monkeypatch.setattr(bb, "network", [bb.network[0], HOSTILE, bb.network[2]])
    pilot = bb.episode(1, 1)
    monkeypatch.setattr(pilot, "title", HOSTILE)

    enrich_item(tv_rt, show)
    outcomes = publish_many(tv_rt, [db.Movie.get_by_id(show.id)])
    assert not [o for o in outcomes if isinstance(o, Exception)], outcomes

    assert {i.publish_state for i in db.Movie.select()} == {db.PUBLISHED}
    nfos = _nfos(tmp_path / "tv")
    (tvshow,) = nfos["tvshow.nfo"]
    assert (tvshow.findtext("title"), tvshow.findtext("plot")) == (FIT, FIT)
    assert tvshow.findtext("studio") == FIT
    assert (tvshow.findtext("actor/name"), tvshow.findtext("actor/role")) == (FIT, FIT)
    (episode,) = nfos["Breaking Bad - S01E01 - Pilot.nfo"]
    assert (episode.findtext("title"), episode.findtext("showtitle")) == (FIT, FIT)
    assert db.Movie.get(db.Movie.kind == db.EPISODE, db.Movie.tmdb_id == pilot.tmdb_id).title == FIT

"""Hostile but real provider text, end to end: TMDB's answer holds what no database or NFO may
(metarrd/text.py), the movie still enriches and publishes, and Kodi can read its NFO.

Met in the wild: C0 controls in plots (TV-Rename/tvrename#481, TheTVDB descriptions;
omdbapi/OMDb-API#53), a provider's character that broke Jellyfin's NFO writer
(jellyfin/jellyfin#13114: "hexadecimal value 0x.., is an invalid character"), a lone surrogate
that broke the database write (pymedusa/Medusa#8365, "surrogates not allowed"); TMDB and
TheTVDB answer null for a name nobody entered."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from lxml import etree

from metarrd import db
from metarrd.enrich import enrich_item
from metarrd.identify import identify_many
from metarrd.publish import publish_many
from metarrd.scan import scan
from metarrd.simulator import catalog as sim_catalog

from .conftest import make_movie

# a lone surrogate (JSON "\ud800"), NUL, BEL, U+FFFE, U+FFFF, VT, and a bidi override (kept)
HOSTILE = "Ma\ud800trix\x00 Re\x07lo\ufffeaded\uffff\x0b \u202eII"
FIT = "Ma\ufffdtrix Reloaded \u202eII"


def _nfo(movie: db.Movie) -> etree._Element:
    """The published NFO as Kodi's strict reading sees it: well-formed XML 1.0 or an error."""
    (path,) = Path(movie.path).parent.glob("*.nfo")
    return etree.fromstring(path.read_bytes(), etree.XMLParser(recover=False))


def test_a_hostile_text_in_every_field_still_enriches_and_publishes(rt, simulator, monkeypatch):
    """The lone surrogate made the database write fail (UnicodeEncodeError), so one bad string
    in one cast name failed the whole movie at every enrich; a NUL was stored (PostgreSQL
    refuses it) and shown in the UI, while the NFO writer left it out, so the database and the
    NFO disagreed. Now the text is the same in the database and the NFO."""
    matrix = simulator.catalog.get(603)
    for field in ("title", "overview", "tagline"):
        monkeypatch.setattr(matrix, field, HOSTILE)
    monkeypatch.setattr(matrix, "cast", [[HOSTILE, HOSTILE, 2], *matrix.cast[1:]])
    monkeypatch.setattr(matrix, "directors", [HOSTILE])
    monkeypatch.setattr(matrix, "keywords", [HOSTILE, *matrix.keywords])
    monkeypatch.setattr(matrix, "collection", [matrix.collection[0], HOSTILE])
    monkeypatch.setattr(matrix, "companies", [[1, HOSTILE, "US"]])
    monkeypatch.setitem(sim_catalog.GENRES, matrix.genres[0], HOSTILE)
    movie = make_movie(rt)

    assert enrich_item(rt, movie).changed
    (outcome,) = publish_many(rt, [db.Movie.get_by_id(movie.id)])
    assert not isinstance(outcome, Exception), outcome

    movie = db.Movie.get_by_id(movie.id)
    assert movie.publish_state == db.PUBLISHED and not movie.last_error
    assert (movie.title, movie.plot, movie.tagline) == (FIT, FIT, FIT)
    nfo = _nfo(movie)
    for tag in ("title", "plot", "tagline", "director", "studio", "genre", "tag"):
        assert FIT in [e.text for e in nfo.iter(tag)], tag
    assert nfo.findtext("set/name") == FIT
    assert nfo.findtext("actor/name") == FIT and nfo.findtext("actor/role") == FIT


def test_a_null_name_is_no_name(rt, simulator, monkeypatch):
    """TMDB answers `"name": null` (or a number, a list: a broken mirror) where nobody entered
    one: that person or studio is left out, the rest of the movie is as always."""
    matrix = simulator.catalog.get(603)
    monkeypatch.setattr(matrix, "cast", [[None, "Neo", 2], [7, ["x"], 1], *matrix.cast[1:]])
    monkeypatch.setattr(matrix, "directors", [None, *matrix.directors])
    monkeypatch.setattr(matrix, "companies", [[1, None, "US"], *matrix.companies])
    monkeypatch.setattr(matrix, "tagline", None)
    movie = make_movie(rt)

    enrich_item(rt, movie)
    (outcome,) = publish_many(rt, [db.Movie.get_by_id(movie.id)])
    assert not isinstance(outcome, Exception), outcome

    nfo = _nfo(db.Movie.get_by_id(movie.id))
    names = [a.findtext("name") for a in nfo.iter("actor")]
    assert names == [name for name, _role, _gender in matrix.cast[2:]][: len(names)]
    assert len(names) == rt.config.enrich.max_actors
    assert [e.text for e in nfo.iter("director")] == matrix.directors[1:]
    assert all(e.text for tag in ("studio", "genre", "credits") for e in nfo.iter(tag))
    assert nfo.find("tagline") is None and nfo.findtext("title") == "The Matrix"


@pytest.mark.parametrize("title", [1999, ["The Matrix"], {"en": "The Matrix"}, True])
def test_a_title_that_is_no_text_is_no_title(rt, simulator, monkeypatch, title):
    """TMDB's title as a number, a list, an object (a broken mirror or caching proxy; a film
    called "1999" is the text "1999"): identification failed with "internal error: TypeError:
    expected string or bytes-like object", for good. It counts as TMDB's null: the movie keeps
    the title it has (its NFO's), is identified, enriched and published."""
    folder = Path(rt.config.library[0].path) / "The Matrix (1999)"
    folder.mkdir(parents=True)
    shutil.copy(Path(__file__).parent.parent / "media" / "h264_aac_mono.mp4", folder / "m.mp4")
    (folder / "m.nfo").write_text(
        '<movie><title>The Matrix</title><uniqueid type="tmdb">603</uniqueid></movie>'
    )
    scan(rt, None)
    monkeypatch.setattr(simulator.catalog.get(603), "title", title)

    (result,) = identify_many(rt, [db.Movie.get().id])
    assert result.identified, result.reason
    enrich_item(rt, db.Movie.get())
    (outcome,) = publish_many(rt, [db.Movie.get()])
    assert not isinstance(outcome, Exception), outcome

    movie = db.Movie.get()
    assert (movie.title, movie.original_title, movie.publish_state) == (
        "The Matrix",
        "The Matrix",
        db.PUBLISHED,
    )
    assert _nfo(movie).findtext("title") == "The Matrix"

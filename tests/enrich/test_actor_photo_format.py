"""An actor's photo is named in `.actors/` by the format of its bytes, in the publish preview
as in the publish (docs/publish.md, "The plan"), whatever the extension of its address."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from metarrd import db
from metarrd.enrich import enrich_item
from metarrd.imaging import analyse_image
from metarrd.publish import preview_publish, publish_item
from metarrd.publish.layout import WRITE

from .conftest import make_movie


@pytest.mark.parametrize(("served", "named"), [("png", "jpg"), ("jpg", "png")])
def test_a_lost_photo_is_previewed_under_the_name_the_publish_gives_it(
    rt, simulator, monkeypatch, served, named
):
    """Keanu Reeves's photo at TMDB is a PNG whose address ends in .jpg (or a JPEG behind a
    .png): enriched, then lost from the cache (a cache folder emptied). The preview named
    `.actors/Keanu_Reeves.jpg` from the address; the publish downloads the photo again and
    writes `.actors/Keanu_Reeves.png` from its bytes, so the preview showed a file the
    publish never writes."""
    catalog = simulator.catalog
    photo = catalog.people["Keanu Reeves"]
    stem = photo.key.rpartition(".")[0]
    lying = dataclasses.replace(photo, key=f"{stem}.{named}", ext=served)
    monkeypatch.setitem(catalog.people, "Keanu Reeves", lying)
    monkeypatch.setitem(catalog.images, lying.key, lying)
    movie = make_movie(rt)
    enrich_item(rt, movie)
    keanu = db.Actor.get(db.Actor.name == "Keanu Reeves")
    assert keanu.thumb_url.endswith(f".{named}")
    cached = Path(keanu.image_cache_path)
    assert analyse_image(cached).ext == {"jpg": "jpg", "png": "png"}[served]
    cached.unlink()  # the cache lost it

    plan = preview_publish(rt, db.Movie.get_by_id(movie.id))
    previewed = [a.path.name for a in plan.actions if a.path.parent.name == ".actors"]
    assert f"Keanu_Reeves.{served}" in previewed and f"Keanu_Reeves.{named}" not in previewed
    publish_item(rt, db.Movie.get_by_id(movie.id))

    written = Path(movie.path).parent / ".actors" / f"Keanu_Reeves.{served}"
    assert analyse_image(written).ext == served
    assert not written.with_suffix(f".{named}").exists()
    assert {a.action for a in plan.actions if a.path == written} == {WRITE}

"""The episode order a show starts in from Sonarr's series type (identify.tv._default_order):
only for a show its webhook sent, and only where TheTVDB can be asked."""

from __future__ import annotations

import pytest

from metarrd import db, workflow
from metarrd.identify import identify_item
from metarrd.scan import scan
from tests.tv.conftest import put, tv_rt  # noqa: F401 - the fixture

# the SubsPlease release form (`[SubsPlease] Frieren - 12 (1080p) [ABCD1234].mkv`) on the
# simulator's Naruto: absolute 5 is TheTVDB's S01E05
FILE = "Naruto/Season 1/[SubsPlease] Naruto - 05 (1080p) [ABCD1234].mkv"


@pytest.fixture
def naruto(tv_rt, tmp_path):  # noqa: F811
    put(tmp_path / "tv", FILE)
    workflow.set_stage("identification", False)
    scan(tv_rt)
    return db.Movie.get(db.Movie.path == str(tmp_path / "tv" / "Naruto"))


@pytest.mark.parametrize(
    ("source", "series_type", "order"),
    [
        ("webhook", "anime", "tvdb:absolute"),
        ("webhook", "daily", "tvdb:official"),
        ("webhook", "standard", "tvdb:official"),
        ("webhook", None, "tvdb:official"),  # a Sonarr that sends no type
        ("manual", "anime", "tmdb:default"),  # not Sonarr's numbering: TMDB's, as any show
    ],
)
def test_the_series_type_picks_the_order_of_a_show_sonarr_sent(
    tv_rt,  # noqa: F811
    naruto,
    tmp_path,
    source,
    series_type,
    order,
):
    identify_item(
        tv_rt, naruto, tmdb_id=46260, tvdb_id=78857, source=source, series_type=series_type
    )
    assert db.Movie.get_by_id(naruto.id).ordering == order
    ep = db.Movie.get(db.Movie.path == str(tmp_path / "tv" / FILE))
    matched = ep.identification_status == db.IDENTIFIED
    assert matched == (order == "tvdb:absolute"), ep.last_error
    if matched:
        assert (ep.season, ep.episodes) == (1, [5])


def test_without_thetvdb_an_anime_series_keeps_tmdbs_order(tv_rt, naruto, monkeypatch):  # noqa: F811
    """TheTVDB's absolute order needs TheTVDB: without its key the show starts in TMDB's, as
    every other show does (an order that matches nothing would be no better)."""
    real = type(tv_rt).client
    monkeypatch.setattr(  # no [providers.tvdb] api_key
        type(tv_rt), "client", lambda self, name: None if name == "tvdb" else real(self, name)
    )
    identify_item(tv_rt, naruto, tmdb_id=46260, tvdb_id=78857, source="webhook",
                  series_type="anime")  # fmt: skip
    assert db.Movie.get_by_id(naruto.id).ordering == "tmdb:default"

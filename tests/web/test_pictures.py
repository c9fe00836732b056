"""Artwork as the item page groups it: copies of one picture fold together, rejected apart."""

from __future__ import annotations

from types import SimpleNamespace

from metarrd.enrich import selection
from metarrd.web import pictures


def art(id, score=50.0, *, dup=None, selected=False, rank=None, rejected=None, **kw):
    values = {
        "provider": "tmdb",
        "width": 1000,
        "height": 1500,
        "api_width": None,
        "api_height": None,
        "selected_by": None,
    }
    values.update(kw)
    return SimpleNamespace(
        id=id,
        score=score,
        duplicate_of_id=dup,
        is_selected=selected,
        rank=rank,
        rejected_reason=rejected,
        **values,
    )


def test_same_picture_sets_follow_links_both_ways_and_transitively():
    assets = [art(1), art(2, dup=1), art(3, dup=2), art(4), art(5, dup=99)]
    sets = selection.same_picture_sets(assets)
    assert sets[1] == sets[2] == sets[3]
    assert len({sets[1], sets[4], sets[5]}) == 3  # a link outside the rows is ignored


def test_twins_are_the_other_usable_copies():
    assets = [art(1), art(2, dup=1), art(3, dup=1, rejected="404"), art(4)]
    assert selection.twins(assets, 2) == {1}
    assert selection.twins(assets, 1) == {2}
    assert selection.twins(assets, 4) == set()


def test_copies_fold_under_the_selected_copy():
    best = art(1, 88, selected=True, rank=1, width=2000, height=3000)
    other = art(2, 82, selected=True, rank=2)
    tvdb = art(3, 70, dup=1, provider="tvdb", width=680, height=1000)
    fanart = art(4, 71, dup=1, provider="fanart", width=1000, height=1426)
    spare = art(5, 60)
    bad = art(6, None, rejected="provider returned an HTML page")
    group = pictures.group("poster", [tvdb, spare, other, bad, best, fanart], locked=False, limit=3)
    assert [p.asset.id for p in group.selected] == [1, 2]
    assert [c.id for c in group.selected[0].copies] == [4, 3]  # best copy first
    assert group.selected[1].copies == ()
    assert [p.asset.id for p in group.alternatives] == [5]
    assert [a.id for a in group.rejected] == [6]
    assert group.copies == 2
    assert [pictures.label(c) for c in group.selected[0].copies] == [
        "fanart.tv 1000×1426",
        "TheTVDB 680×1000",
    ]


def test_an_unselected_picture_is_led_by_the_copy_the_others_point_at():
    head = art(1, 60, width=2000, height=3000)
    copy = art(2, 75, dup=1, provider="fanart")  # a user's choice may score higher
    group = pictures.group("poster", [copy, head], locked=False, limit=1)
    (picture,) = group.alternatives
    assert picture.asset.id == 1 and [c.id for c in picture.copies] == [2]


def test_a_picture_selected_twice_is_pointed_out():
    one = art(1, selected=True, rank=1, provider="tvdb", width=680, height=1000)
    two = art(2, selected=True, rank=2, dup=1)
    group = pictures.group("poster", [one, two], locked=True, limit=3)
    assert [(p.asset.id, p.same_as) for p in group.selected] == [(1, None), (2, 1)]
    assert group.locked and group.alternatives == []


def test_label_uses_the_api_size_before_analysis():
    assert pictures.label(art(1, width=None, height=None, api_width=500, api_height=750)) == (
        "TMDB 500×750"
    )
    assert pictures.label(art(1, width=None, height=None, provider="fanart")) == "fanart.tv"

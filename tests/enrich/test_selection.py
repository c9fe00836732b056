"""Near-duplicate collapse and top-N selection; locks and the user's choices win."""

from __future__ import annotations

import hashlib

from metarrd.enrich.selection import ScoredCandidate, collapse, hash_distance, select

LIMITS = {"poster": 2, "fanart": 3}


def pick(id_, score, **kw) -> ScoredCandidate:
    unrelated = hashlib.sha256(str(id_).encode()).hexdigest()[:16]  # ~32 bits apart
    base = dict(asset_type="poster", eligible=True, pixels=1000, phash=unrelated)
    return ScoredCandidate(id_, score=score, **{**base, **kw})


def chosen(decisions):
    return [(d.id, d.rank, d.selected_by) for d in decisions if d.selected]


def test_hash_distance():
    assert hash_distance("ffffffffffffffff", "fffffffffffffff0") == 4


def test_near_duplicates_collapse_to_the_best_copy():
    picks = [
        pick(1, 70, phash="8000000000000000", pixels=680 * 1000),
        pick(2, 90, phash="8000000000000001", pixels=2000 * 3000),  # same picture, bigger
        pick(3, 60, phash="ffff0000ffff0000"),
        pick(4, 50, content_hash="abc", phash=None),
        pick(5, 40, content_hash="abc", phash=None),  # identical bytes
        pick(6, 95, asset_type="fanart", phash="8000000000000000"),  # other type: not a twin
    ]
    assert collapse(picks) == {1: 2, 5: 4}


def test_top_n_per_type_by_score():
    picks = [pick(1, 50), pick(2, 90), pick(3, 70), pick(4, 99, eligible=False),
             pick(5, 10, asset_type="fanart"), pick(6, 10, asset_type="clearart"),
             pick(7, 20, asset_type="clearart")]  # fmt: skip
    decisions = select(picks, LIMITS)
    assert chosen(decisions) == [(2, 1, "auto"), (3, 2, "auto"), (5, 1, "auto"), (7, 1, "auto")]
    assert [d.id for d in decisions] == [1, 2, 3, 4, 5, 6, 7]


def test_foreign_images_come_after_every_fitting_one():
    picks = [pick(1, 95, foreign=True), pick(2, 60), pick(3, 55)]
    assert chosen(select(picks, LIMITS)) == [(2, 1, "auto"), (3, 2, "auto")]
    assert chosen(select([pick(1, 95, foreign=True)], LIMITS)) == [(1, 1, "auto")]


def test_duplicates_are_not_selected():
    picks = [pick(1, 90, phash="1"), pick(2, 80, phash="3"), pick(3, 10, phash="ffffff")]
    decisions = select(picks, LIMITS)
    assert chosen(decisions) == [(1, 1, "auto"), (3, 2, "auto")]
    assert decisions[1].duplicate_of == 1


def test_the_users_choice_stays_first_and_counts_against_the_limit():
    picks = [pick(1, 90), pick(2, 80), pick(3, 10, selected=True, selected_by="user", rank=1)]
    assert sorted(chosen(select(picks, LIMITS)), key=lambda c: c[1]) == [
        (3, 1, "user"),
        (1, 2, "auto"),
    ]


def test_a_users_choice_is_never_collapsed_or_dropped():
    picks = [
        pick(1, 90, phash="1"),
        pick(2, 20, phash="1", selected=True, selected_by="user"),  # twin of 1, chosen anyway
        pick(3, 5, eligible=False, selected=True, selected_by="user"),  # rejected later: kept
    ]
    decisions = select(picks, {"poster": 1})
    assert chosen(decisions) == [(2, 1, "user"), (3, 2, "user")]
    assert all(d.duplicate_of is None for d in decisions if d.id in (2, 3))


def test_an_image_the_user_removed_is_never_picked_again():
    picks = [pick(1, 90, selected=False, selected_by="user"), pick(2, 50)]
    decisions = select(picks, LIMITS)
    assert chosen(decisions) == [(2, 1, "auto")]
    assert decisions[0].selected_by == "user"


def test_a_locked_type_is_left_exactly_as_it_is():
    picks = [pick(1, 90), pick(2, 10, selected=True, selected_by="auto", rank=1),
             pick(3, 50, asset_type="fanart")]  # fmt: skip
    decisions = select(picks, LIMITS, locked_types=["poster"])
    assert decisions[0].locked and not decisions[0].selected
    assert decisions[1].locked and decisions[1].selected and decisions[1].rank == 1
    assert chosen(decisions) == [(2, 1, "auto"), (3, 1, "auto")]


def test_unlisted_types_default_to_one_and_zero_disables():
    picks = [pick(1, 9, asset_type="banner"), pick(2, 8, asset_type="banner"), pick(3, 9)]
    assert chosen(select(picks, {"poster": 0})) == [(1, 1, "auto")]

"""What happens after a job (pure): the chaining and the review gate of docs/daemon.md."""

from __future__ import annotations

from metarrd import workflow
from metarrd.paths import in_scope
from metarrd.pipeline import chain, jobs

ALL_ON = {s: True for s in workflow.STAGES} | {"auto_publish": False}


def test_after_identify_enriches_only_when_enrichment_is_on():
    assert chain.after_identify(1, True, False, ALL_ON) == [chain.Step("enrich", 1, manual=False)]
    assert chain.after_identify(1, True, False, ALL_ON | {"enrichment": False}) == []
    assert chain.after_identify(1, False, False, ALL_ON) == []


def test_after_enrich_is_the_review_gate():
    assert chain.after_enrich(1, False, ALL_ON) == []  # auto_publish off by default
    auto = ALL_ON | {"auto_publish": True}
    assert chain.after_enrich(1, False, auto) == [chain.Step("publish", 1)]
    assert chain.after_enrich(1, True, auto) == []  # a manual enrich never auto-publishes
    assert chain.after_enrich(1, False, auto | {"publishing": False}) == []


def test_after_scan_uses_webhook_ids_without_searching():
    steps = chain.after_scan([1, 2], {2: {"tmdb_id": 603, "imdb_id": None}}, ALL_ON)
    assert steps == [
        chain.Step("identify", 2, {"tmdb_id": 603, "imdb_id": None, "source": "webhook"}),
        chain.Step("identify", 1),
    ]
    assert chain.after_scan([1], {}, ALL_ON | {"identification": False}) == []


def test_covers():
    assert in_scope("/m/a/a.mkv", None)
    assert in_scope("/m/a/a.mkv", ["/m/a"])
    assert in_scope("/m/a/a.mkv", ["/m/a/a.mkv"])
    assert not in_scope("/m/ab/ab.mkv", ["/m/a"])


def test_two_renames_of_one_file_folded_into_one_scan_follow_it_to_its_last_name():
    # Sonarr's Rename webhooks, a -> b then b -> c, both queued before the scan job runs: the
    # item is still at a then, so folding them as two separate renames followed neither
    first = {"paths": ["/tv/S"], "renames": {"/tv/S/a.mkv": "/tv/S/b.mkv"}}
    second = {"paths": ["/tv/S"], "renames": {"/tv/S/b.mkv": "/tv/S/c.mkv"}}
    merged = jobs.merge_payload("scan", first, second)["renames"]
    assert merged["/tv/S/a.mkv"] == "/tv/S/c.mkv"
    again = {"paths": ["/tv/S"], "renames": {"/tv/S/a.mkv": "/tv/S/d.mkv"}}
    assert jobs.merge_payload("scan", first, again)["renames"] == {"/tv/S/a.mkv": "/tv/S/d.mkv"}


def test_merge_payload():
    merged = jobs.merge_payload("scan", {"paths": ["/a"], "gone": ["/x"]}, {"paths": ["/b"]})
    assert merged == {"paths": ["/a", "/b"], "ids": {}, "renames": {}, "gone": ["/x"]}
    assert jobs.merge_payload("scan", {"paths": ["/a"]}, {"paths": None})["paths"] is None
    given = {"tmdb_id": 603, "imdb_id": None, "source": "webhook"}
    plain = {"tmdb_id": None, "imdb_id": None, "source": None}
    assert jobs.merge_payload("identify", given, plain) == given
    assert jobs.merge_payload("identify", plain, given) == given


def test_a_shows_order_switch_merges_into_what_identifies_it_and_upgrades_a_plain_identify():
    """The show page's episode order queues an identify naming no id (the show is read when it
    runs): the user's choice queued before it stands (it matches the episodes in the order the
    show has by then), and so does a "Re-identify"; a scan's plain identify, which leaves an
    identified show as it is, becomes the switch, and stays it when one comes after."""
    switch = {"tmdb_id": None, "imdb_id": None, "source": "order"}
    chosen = {"tmdb_id": 2996, "imdb_id": None, "source": "manual"}
    plain = {"tmdb_id": None, "imdb_id": None, "source": None}
    again = {**plain, "again": True}
    assert jobs.merge_payload("identify", chosen, switch) == chosen
    assert jobs.merge_payload("identify", again, switch) == again
    assert jobs.merge_payload("identify", plain, switch) == switch
    assert jobs.merge_payload("identify", switch, plain) == switch
    assert jobs.merge_payload("identify", switch, chosen) == chosen


def test_after_publish_and_notify():
    assert chain.after_publish(True, 5.0) == [chain.Step("notify", delay=5.0)]
    assert chain.after_publish(False, 5.0) == []
    assert chain.after_notify(None) == []
    assert chain.after_notify(0.0) == [chain.Step("notify", delay=1.0)]


def test_a_publish_without_pictures_is_retried_with_backoff_then_left_to_the_user():
    delays = [
        [s.delay for s in chain.after_publish(False, 60.0, 7, True, tries) if s.kind == "publish"]
        for tries in range(len(chain.PICTURE_RETRY_DELAYS) + 1)
    ]
    assert delays == [[1800.0], [7200.0], [28800.0], [86400.0], []]
    step = chain.after_publish(True, 60.0, 7, True, 0)[1]
    assert (step.movie_id, step.payload) == (7, {"picture_retry": 1})
    assert chain.after_publish(True, 60.0, 7, False, 0) == [chain.Step("notify", delay=60.0)]


def test_a_users_publish_folded_into_a_waiting_retry_is_no_retry():
    retry = {"picture_retry": 2, "due": 5.0}
    assert "picture_retry" not in jobs.merge_payload("publish", retry, {})
    assert jobs.merge_payload("publish", retry, {"picture_retry": 3})["picture_retry"] == 3


def test_after_identify_of_a_show_enriches_the_show_once():
    assert chain.after_identify(7, True, False, ALL_ON, "show") == [chain.Step("enrich", 7)]
    assert chain.after_identify(8, True, False, ALL_ON, "episode") == []  # its show's enrich

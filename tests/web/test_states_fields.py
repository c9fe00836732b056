"""The pure presentation core: states and badges, actions, field parsing, formatting."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from metarrd import db
from metarrd.enrich import selection
from metarrd.web import fields, formatting, states


def item(status=db.ENRICHED, publish=db.UNPUBLISHED, missing=False):
    return SimpleNamespace(identification_status=status, publish_state=publish, missing=missing)


@pytest.mark.parametrize(
    ("movie", "label", "tone", "actions"),
    [
        (item(publish=db.UNPUBLISHED), "Enriched – Unpublished", "warning", ["enrich", "publish"]),
        (item(publish=db.OUTDATED), "Updated – Republish?", "info", ["enrich", "republish"]),
        (item(publish=db.PUBLISHED), "Published", "success", ["enrich"]),
        (item(status=db.UNIDENTIFIED), "Unidentified", "danger", ["identify"]),
        (item(status=db.IDENTIFIED), "Identified – Not enriched", "neutral", ["enrich"]),
        (item(missing=True), "Missing", "danger", []),
        (item(status=db.UNIDENTIFIED, missing=True), "Missing", "danger", []),
    ],
)
def test_badges_and_actions_follow_the_design_document(movie, label, tone, actions):
    badge = states.badge_for(movie)
    assert (badge.label, badge.tone) == (label, tone)
    assert states.actions_for(movie) == actions


@pytest.mark.parametrize(
    ("kind", "words"),
    [(db.MOVIE, "TMDB movie"), (db.SHOW, "TMDB TV show"), (db.EPISODE, "episode of its show")],
)
def test_an_unidentified_badge_names_what_is_missing_for_its_kind(kind, words):
    badge = states.badge_for(SimpleNamespace(**vars(item(status=db.UNIDENTIFIED)), kind=kind))
    assert badge.label == "Unidentified" and words in badge.help


def test_every_state_has_a_filter():
    assert set(states.BADGES) <= set(states.FILTERS)


@pytest.mark.parametrize(
    ("name", "raw", "value"),
    [
        ("plot", "  A hacker.\r\nThen more.  ", "A hacker.\nThen more."),
        ("tagline", "two\nlines", "two lines"),
        ("year", "1999", 1999),
        ("year", "", None),
        ("runtime", " 136 ", 136),
        ("rating", "8,2", 8.2),
        ("premiered", "1999-03-31", "1999-03-31"),
        (
            "genres",
            "Action, Science Fiction,, Action ,  Drama ",
            ["Action", "Science Fiction", "Drama"],
        ),
        ("genres", "", []),
        ("mpaa", "", None),
    ],
)
def test_parse_field_accepts(name, raw, value):
    assert fields.parse_field(name, raw) == value


def test_a_list_sent_comma_separated_keeps_the_commas_of_the_names_it_held():
    """A form of before (one line) or a script: "Sammy Davis, Jr." stays one name where the
    list held it; commas elsewhere separate names, as they did."""
    known = ["Sammy Davis, Jr.", "Dean Martin"]
    typed = "Sammy Davis, Jr., Frank Sinatra, Sammy Davis"
    assert fields.parse_field("directors", typed, known=known) == [
        "Sammy Davis, Jr.",
        "Frank Sinatra",
        "Sammy Davis",
    ]
    assert fields.parse_field("directors", typed) == ["Sammy Davis", "Jr.", "Frank Sinatra"]


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        # one name per line: a comma is part of the name (a credited "Sammy Davis, Jr.")
        (
            "Sammy Davis, Jr.\r\n Frank  Sinatra \r\n\r\nFrank Sinatra",
            ["Sammy Davis, Jr.", "Frank Sinatra"],
        ),
        ("Sammy Davis, Jr.", ["Sammy Davis, Jr."]),
        ("", []),
    ],
)
def test_a_list_from_its_text_area_is_one_name_per_line(raw, value):
    assert fields.parse_field("directors", raw, one_per_line=True) == value
    assert fields.field_text("directors", value) == "\n".join(value)  # shown as it is read


@pytest.mark.parametrize(
    ("name", "raw", "message"),
    [
        ("title", "   ", "must not be empty"),
        ("year", "nineteen", "not a whole number"),
        ("year", "1500", "between 1870 and 2100"),
        ("rating", "11", "between 0 and 10"),
        ("rating", "good", "not a number"),
        ("premiered", "31.03.1999", "not a date"),
        # the right form, a day no calendar has: "is not a date like 1999-03-31" said the form
        # was wrong (found walking the demo: 2008-02-30 typed for a premiere)
        ("premiered", "2008-02-30", "'2008-02-30' is not a date: February 2008 has 29 days"),
        ("aired", "2023-04-31", "'2023-04-31' is not a date: April 2023 has 30 days"),
        ("aired", "2023-13-01", "'2023-13-01' is not a date: a year has 12 months"),
        ("path", "/etc/passwd", "not an editable field"),
        ("plot", "x" * 20_001, "too long"),
    ],
)
def test_parse_field_refuses_with_a_reason(name, raw, message):
    with pytest.raises(ValueError, match=message):
        fields.parse_field(name, raw)


def test_field_labels_cover_exactly_the_editable_columns():
    assert tuple(fields.FIELD_LABELS) == db.EDITABLE_FIELDS
    movies = [f for f in db.EDITABLE_FIELDS if f not in fields.TV_ONLY]
    assert sorted(fields.FIELD_ORDER) == sorted(movies)  # each shown once on a movie's page
    from metarrd.web import tv

    on_tv = {f for names in tv.FIELDS.values() for f in names}
    assert set(fields.TV_ONLY) <= on_tv  # a show's status, an episode's air date


@pytest.mark.parametrize(
    ("selected", "op", "asset", "cap", "order", "dropped"),
    [
        ([1, 2, 3], "use", 9, 3, [9, 1, 2], [3]),
        ([1, 2, 3], "use", 2, 3, [2, 1, 3], []),
        ([1, 2], "add", 9, 3, [1, 2, 9], []),
        ([1, 2, 3], "add", 9, 3, [1, 2, 3], [9]),
        ([1, 2, 3], "remove", 2, 3, [1, 3], []),
        ([1, 2, 3], "up", 3, 3, [1, 3, 2], []),
        ([1, 2, 3], "up", 1, 3, [1, 2, 3], []),
        ([1, 2, 3], "down", 1, 3, [2, 1, 3], []),
        ([1, 2, 3], "down", 3, 3, [1, 2, 3], []),
        ([], "use", 5, 0, [5], []),  # a limit of 0 still lets the user pick one
    ],
)
def test_reselect(selected, op, asset, cap, order, dropped):
    assert selection.reselect(selected, op, asset, cap) == (order, dropped)


@pytest.mark.parametrize(
    ("selected", "op", "asset", "twins", "order"),
    [
        ([1, 2, 3], "use", 9, {2}, [9, 1, 3]),  # the copy replaces its twin, nothing else drops
        ([1, 2, 3], "add", 9, {2}, [1, 9, 3]),  # in the twin's place, at the limit
        ([1, 2, 3], "add", 9, {2, 3}, [1, 9]),  # the picture was in twice: once now
        ([1, 2], "add", 9, {7}, [1, 2, 9]),  # its twin is not selected: a plain add
        ([1, 2, 3], "use", 1, {3}, [1, 2]),
    ],
)
def test_reselect_replaces_copies_of_the_same_picture(selected, op, asset, twins, order):
    assert selection.reselect(selected, op, asset, 3, twins) == (order, [])


def test_reselect_refuses_unknown_operations():
    with pytest.raises(ValueError):
        selection.reselect([1], "explode", 1, 3)


def test_small_formatters():
    assert formatting.human_size(None) == "–"
    assert formatting.human_size(512) == "512 B"
    assert formatting.human_size(1536) == "1.5 KB"
    now = dt.datetime(2024, 1, 1, 12, 0, 0)
    assert formatting.ago(None) == "never"
    assert formatting.ago(now - dt.timedelta(seconds=2), now) == "just now"
    assert formatting.ago(now - dt.timedelta(minutes=5), now) == "5 min ago"
    assert formatting.ago(now - dt.timedelta(days=3), now) == "3 d ago"
    assert formatting.ago(now - dt.timedelta(days=29), now) == "29 d ago"
    old = dt.datetime(2024, 5, 20, 23, 59)
    assert formatting.ago(old, dt.datetime(2026, 12, 5)) == "on 2024-05-20"
    assert formatting.channels_text(6) == "5.1"


def test_plan_view_orders_files_and_classifies_the_diff():
    from metarrd.publish.layout import FileAction, PublishPlan

    folder = Path("/m/The Matrix (1999)")
    plan = PublishPlan(
        movie_id=1,
        title="The Matrix",
        folder=folder,
        actions=[
            FileAction(folder / "old-banner.jpg", "remove", "no longer selected", "art"),
            FileAction(folder / "The Matrix (1999)-poster.jpg", "write", "new", "art"),
            FileAction(folder / "The Matrix (1999).nfo", "replace", "changed", "nfo", backup=True),
        ],
        nfo_path=folder / "The Matrix (1999).nfo",
        nfo_current="<movie>\n  <title>Matrix</title>\n</movie>\n",
        nfo_new="<movie>\n  <title>The Matrix</title>\n</movie>\n",
    )
    view = formatting.plan_view(plan)
    assert [f[0] for f in view.files] == ["write", "replace", "remove"]
    assert view.files[1] == ("replace", "The Matrix (1999).nfo", "changed", True)
    assert ("del", "-  <title>Matrix</title>") in view.diff
    assert ("add", "+  <title>The Matrix</title>") in view.diff
    assert view.changed_lines == 2
    assert view.summary == "1 new\u00a0· 1 replace\u00a0· 1 remove"
    assert view.changes


def test_plan_view_shows_a_folder_stacks_art_above_its_cd1_folder_as_such():
    """A folder stack's plan is in `Heat (1995)/CD1/`, its art in `Heat (1995)/` (where Kodi
    reads it): shown as `../Heat (1995)-poster.jpg`, not as a path from the root."""
    from metarrd.publish.layout import FileAction, PublishPlan

    folder = Path("/m/Heat (1995)/CD1")
    actions = [
        FileAction(folder.parent / "Heat (1995)-poster.jpg", "write", "new", "art"),
        FileAction(folder / "Heat (1995) cd1-poster.jpg", "remove", "written earlier", "art"),
        FileAction(Path("/elsewhere/x.jpg"), "leave", "not metarrd's", "other"),
    ]
    view = formatting.plan_view(PublishPlan(1, "Heat", folder, actions))
    assert [f[1] for f in view.files] == [
        "../Heat (1995)-poster.jpg",
        "Heat (1995) cd1-poster.jpg",
        "/elsewhere/x.jpg",
    ]


def test_a_hostile_known_name_of_thousands_of_commas_costs_linear_work():
    """A hostile NFO's <tag> (or <credits>) of thousands of commas, up to MAX_TEXT, then a
    long comma-separated list sent for it: every run of parts was joined and looked up, n³
    character copies (minutes in one request). Counted in Python lines run in fields.py,
    stopped past a budget linear in the parts, so the count fails fast where time would not."""
    n = fields.MAX_TEXT // 4  # "a, " per part: a submission just under MAX_TEXT
    hostile = ", ".join(["a"] * (n - 1) + ["b"])  # never matches a run of "a"s: all tried
    known = [hostile, ", ".join(["a"] * (n // 2) + ["c"]), "Sammy Davis, Jr."]
    typed = ", ".join(["a"] * n + ["Sammy Davis", "Jr."])
    budget = 40 * n
    lines = 0

    def count(frame, event, arg):
        nonlocal lines
        if frame.f_code.co_filename == fields.__file__:
            if event == "line":
                lines += 1
                if lines > budget:
                    raise RuntimeError(f"more than {budget} lines for {n} parts")
            return count
        return None

    sys.settrace(count)
    try:
        value = fields.parse_field("tags", typed, known=known)
    finally:
        sys.settrace(None)
    assert value == ["a", "Sammy Davis, Jr."]


def test_a_states_filter_says_what_its_badge_says():
    """The library's state filters and the posters' badges name a state alike: the filter of
    items changed since published said "Changed – republish" where their badge said
    "Republish?" (and the table, since this round, the badge's word too)."""
    from metarrd.web.states import BADGES, FILTERS

    assert {state: FILTERS[state] for state in BADGES} == {
        state: badge.compact for state, badge in BADGES.items()
    }

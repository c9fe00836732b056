"""The health dashboard counts TV: shows left unidentified, to review or to republish (each bar
opens those shows in the library), episode files without a match or without an NFO; artwork
coverage and poster languages count shows beside movies."""

from __future__ import annotations

import re

from metarrd import db
from metarrd.web.dashboard import TvCounts, tv_counts


def show(seed, title: str, status: str, publish: str = db.UNPUBLISHED, **values) -> db.Movie:
    seed.n += 1
    return db.Movie.create(
        library=seed.library,
        path=f"{seed.library.path}/{title}",
        kind=db.SHOW,
        title=title,
        identification_status=status,
        publish_state=publish,
        **values,
    )


def episode(seed, parent: db.Movie, number: int, status: str, publish=db.UNPUBLISHED, **values):
    return db.Movie.create(
        library=seed.library,
        path=f"{parent.path}/Season 01/{parent.title} - S01E{number:02d}.mkv",
        kind=db.EPISODE,
        show=parent,
        season=1,
        episodes=[number],
        identification_status=status,
        publish_state=publish,
        **values,
    )


def seed_tv(seed) -> None:
    doctor = show(seed, "Doctor Who", db.UNIDENTIFIED)  # no year: left for the user
    for n in (1, 2):
        episode(seed, doctor, n, db.UNIDENTIFIED)
    bad = show(seed, "Breaking Bad (2008)", db.ENRICHED)  # to review
    episode(seed, bad, 1, db.ENRICHED)  # no NFO yet
    episode(seed, bad, 2, db.ENRICHED, source_nfo_hash="ab" * 32)  # the user's own NFO
    episode(seed, bad, 3, db.UNIDENTIFIED, last_error="TMDB has no episode S01E03")
    saul = show(seed, "Better Call Saul (2015)", db.ENRICHED, db.PUBLISHED)
    for n in (1, 2):
        episode(seed, saul, n, db.ENRICHED, db.PUBLISHED)
    episode(seed, saul, 3, db.ENRICHED, missing=True)  # gone from the disk: not counted
    naruto = show(seed, "Naruto (2002)", db.ENRICHED, db.OUTDATED)
    episode(seed, naruto, 1, db.ENRICHED, db.OUTDATED)  # its NFO is there, older
    seed.asset(bad, "poster", is_selected=True, rank=1, language="de")


def test_tv_counts(client, seed):
    seed.movie("The Matrix")  # movies are not TV
    seed_tv(seed)
    assert tv_counts() == TvCounts(
        shows=4,
        episodes=8,
        unidentified_shows=1,
        shows_to_review=1,
        shows_to_republish=1,
        episodes_unmatched=3,
        episodes_without_nfo=4,
    )


def test_the_dashboard_shows_tv_and_links_the_shows(client, seed):
    seed_tv(seed)
    html = client.get("/health").get_data(as_text=True)
    assert "4 shows, 8 episode files" in html
    assert (
        'href="/?filter=unidentified&amp;kind=show" aria-label="Unidentified shows: 1 of 4"' in html
    )
    assert 'href="/?filter=unpublished&amp;kind=show" aria-label="Shows to review: 1 of 4"' in html
    assert 'href="/?filter=outdated&amp;kind=show" aria-label="Shows to republish: 1 of 4"' in html
    assert ">Episodes without NFO</text>" in html and ">4 of 8</text>" in html
    assert ">Episodes unmatched</text>" in html and ">3 of 8</text>" in html
    # a show's artwork and poster language count as a movie's do
    assert 'aria-label="poster: 1 of 3"' in html  # the three enriched shows
    assert 'aria-label="German: 1"' in html
    from tests.web.test_library import titles

    assert titles(client.get("/?filter=unidentified&kind=show").get_data(as_text=True)) == [
        "Doctor Who"
    ]


def test_a_library_without_shows_has_no_tv_card(client, seed):
    seed.movie("The Matrix")
    html = client.get("/health").get_data(as_text=True)
    assert 'id="tv-health"' not in html and "Items per state" in html


def test_artwork_coverage_counts_a_type_only_where_enrichment_finds_it(client, seed):
    """A show gets no disc art and neither a movie nor a show a thumb (an episode's): the chart
    said "discart: 1 of 2" for a fully covered library and "thumb: 0 of 2", always."""
    matrix = seed.movie("The Matrix")
    seed.asset(matrix, "discart", is_selected=True, rank=1)
    seed.asset(matrix, "poster", is_selected=True, rank=1)
    firefly = show(seed, "Firefly", db.ENRICHED)
    seed.asset(firefly, "poster", is_selected=True, rank=1)
    pilot = episode(seed, firefly, 1, db.ENRICHED)
    seed.asset(pilot, "thumb", is_selected=True, rank=1)
    html = client.get("/health").get_data(as_text=True)
    chart = html[html.index('aria-label="Artwork coverage per type"') :]
    chart = chart[: chart.index("</svg>")]
    bars = dict(
        re.findall(
            r'class="bar-label"[^>]*>([a-z]+)</text>.*?class="bar-value"[^>]*>([^<]*)<', chart, re.S
        )
    )
    assert bars["poster"] == "2 of 2" and bars["discart"] == "1 of 1"
    assert "thumb" not in bars


def test_a_type_the_limits_leave_out_is_charted_at_the_one_it_gets(client, seed, config):
    """A show's character art is selected once when `[artwork.limits]` does not list it (as
    config.example.toml's does not: enrich takes 1), but the coverage chart read the missing
    entry as 0 and left the type out."""
    assert "characterart" not in config.artwork.limits
    firefly = show(seed, "Firefly", db.ENRICHED)
    seed.asset(firefly, "characterart", is_selected=True, rank=1)
    show(seed, "Futurama", db.ENRICHED)
    html = client.get("/health").get_data(as_text=True)
    chart = html[html.index('aria-label="Artwork coverage per type"') :]
    chart = chart[: chart.index("</svg>")]
    bars = dict(
        re.findall(
            r'class="bar-label"[^>]*>([a-z]+)</text>.*?class="bar-value"[^>]*>([^<]*)<', chart, re.S
        )
    )
    assert bars["characterart"] == "1 of 2"


def test_a_fully_covered_type_has_a_full_bar_whatever_its_number_of_items(client, seed):
    """Disc art counts movies only: "1 of 1" was drawn half as long as the posters' "2 of 2"
    (every bar scaled to the largest total), a full library looking half covered. A bar is the
    share of its own total, as the TV chart's are."""
    matrix = seed.movie("The Matrix")
    seed.asset(matrix, "discart", is_selected=True, rank=1)
    seed.asset(matrix, "poster", is_selected=True, rank=1)
    firefly = show(seed, "Firefly", db.ENRICHED)
    seed.asset(firefly, "poster", is_selected=True, rank=1)
    html = client.get("/health").get_data(as_text=True)
    chart = html[html.index('aria-label="Artwork coverage per type"') :]
    chart = chart[: chart.index("</svg>")]
    bars = re.findall(
        r'class="bar-label"[^>]*>([a-z]+)</text>.*?class="bar-track"[^>]*width="([\d.]+)"'
        r'.*?class="bar bar-[a-z]+"[^>]*width="([\d.]+)"',
        chart,
        re.S,
    )
    widths = {t: float(bar) / float(track) for t, track, bar in bars}  # share of the track
    assert widths["poster"] == widths["discart"] == 1.0
    assert widths["fanart"] == 0.0

"""A rescan of an unchanged published show does per show only what it must (bench.tv_scan: its
per-show work was most of what a rescan cost over a bare walk of the tree): each folder listed
once, by the walk (its art, season NFOs and the videos Kodi alone adds read that listing), its
row read once and not written, its episodes' paths not read for the look at Kodi-only videos.
What each of those looks notices is tested where it is (test_episodeguide_kodi_extras.py,
test_season_folder_art.py, test_rescan_users_nfo.py, test_show_on_a_share_gone.py)."""

from __future__ import annotations

import difflib
import os
from collections import Counter

import peewee as pw
from lxml import etree

from metarrd import cli, db
from metarrd.scan import scan
from metarrd.scan import tv as tv_scan
from tests.conftest import sqlite_statements

from .conftest import put
from .test_statements_tv import kinds

SHOW = "Breaking Bad (2008)"
EPISODES = (
    "Season 01/Breaking Bad - S01E01.mkv",
    "Season 01/Breaking Bad - S01E02.mkv",
    "Season 02/Breaking Bad - S02E01.mkv",
)


def _published(tv_rt, tmp_path, monkeypatch, capsys):
    show = tmp_path / "tv" / SHOW
    for rel in EPISODES:
        put(show.parent, f"{SHOW}/{rel}")
    monkeypatch.setattr(cli, "load_config", lambda _path: tv_rt.config)
    assert cli.main(["scan"]) == 0, capsys.readouterr()
    assert cli.main(["enrich", "--all"]) == 0, capsys.readouterr()
    assert cli.main(["publish", "--all"]) == 0, capsys.readouterr()
    # the guide: what sends a rescan to the look at the videos Kodi alone adds
    assert etree.parse(str(show / "tvshow.nfo")).getroot().find("episodeguide") is not None
    assert db.Movie.get(db.Movie.path == str(show)).publish_state == db.PUBLISHED
    assert cli.main(["scan"]) == 0, capsys.readouterr()  # the one after the publish
    return show


def _rescan_unchanged(tv_rt):
    report = scan(tv_rt)
    assert report.unchanged == len(EPISODES), report
    assert not (report.new or report.changed or report.missing or report.errors), report


def test_a_rescan_of_a_published_show_lists_each_of_its_folders_once(
    tv_rt, tmp_path, monkeypatch, capsys
):
    """The show folder was listed five times and each season folder three (the walk, the
    show's art, its season NFOs, its season folders' art, `os.walk` for the Kodi-only look),
    each season folder asked for its `.nomedia` and `.ignore` by path twice."""
    show = _published(tv_rt, tmp_path, monkeypatch, capsys)
    listed: Counter = Counter()
    scandir = os.scandir

    def counted(path="."):
        listed[os.fspath(path)] += 1
        return scandir(path)

    asked: list[str] = []
    rule = tv_scan.kept_out_rule

    def kept_out_rule(folder):
        asked.append(os.fspath(folder))
        return rule(folder)

    looped: list[int] = []  # a Python loop over a listing for its `.nomedia` and `.ignore`
    by = tv_scan.kept_out_by

    def kept_out_by(entries):
        looped.append(len(entries))
        return by(entries)

    monkeypatch.setattr(os, "scandir", counted)
    monkeypatch.setattr(tv_scan, "kept_out_rule", kept_out_rule)
    monkeypatch.setattr(tv_scan, "kept_out_by", kept_out_by)
    _rescan_unchanged(tv_rt)
    monkeypatch.undo()
    assert looped == [], looped  # none of its folders holds one: told by a call in C
    folders = {str(show / "Season 01"), str(show / "Season 02"), str(show / ".actors")}
    assert folders <= set(listed), listed
    # the show folder: the look whether it can be listed, then the walk's listing (the
    # libraries' roots, listed by more than the show's scan: not the show's work)
    again = {p: n for p, n in listed.items() if n > 1 and p.startswith(str(show))}
    assert again == {str(show): 2}, again
    assert asked == [str(show)], asked  # the root's listing asks of the show folder alone


def test_a_rescan_of_a_published_show_writes_nothing_and_reads_its_row_once(
    tv_rt, tmp_path, monkeypatch, capsys
):
    """The show's row was read twice and saved, its `updated_at` bumped, at every rescan; the
    paths of all its episodes were read for the look at the videos Kodi alone adds, and the
    artwork candidates asked of its images though all were ours (the ledger's)."""
    show = _published(tv_rt, tmp_path, monkeypatch, capsys)
    updated = db.Movie.get(db.Movie.path == str(show)).updated_at
    tables = ("movies", "library_files", "artwork_candidates")
    with sqlite_statements() as seen:
        _rescan_unchanged(tv_rt)
    counts = kinds(seen, tables)
    assert not [k for k in counts if k[0] in ("UPDATE", "INSERT", "DELETE")], counts
    assert db.Movie.get(db.Movie.path == str(show)).updated_at == updated
    shows = [sql for sql in seen if '"movies"' in sql and f"\"path\" = '{show}'" in sql]
    assert len(shows) == 1, shows  # read once: the columns compared, not whole (its JSON)
    assert '"hints"' in shows[0] and '"candidates"' not in shows[0], shows
    episode_paths = [
        sql
        for sql in seen
        if sql.startswith('SELECT "t1"."path" FROM "movies"') and '"kind" = ' in sql
    ]
    assert not episode_paths, episode_paths
    assert not counts[("SELECT", "artwork_candidates")], counts
    # the ledger: tvshow.nfo once (not again by the Kodi-only look), the show's images at once
    tvshow = [sql for sql in seen if '"library_files"' in sql and "tvshow.nfo'" in sql]
    assert len(tvshow) == 1, tvshow


def test_what_a_rescan_reads_from_the_walks_listings_is_what_is_there_now(
    tv_rt, tmp_path, monkeypatch, capsys
):
    """The listings the walk made are this scan's: a season.nfo of the user's over ours and an
    extra Kodi reads as an episode, both put in after a rescan that found the show unchanged,
    are seen by the next one."""
    show = _published(tv_rt, tmp_path, monkeypatch, capsys)
    _rescan_unchanged(tv_rt)
    put(show.parent, f"{SHOW}/Season 01/Breaking Bad - S01E01-deleted.mkv")
    assert not scan(tv_rt).errors
    item = db.Movie.get(db.Movie.path == str(show))
    assert item.publish_state == db.OUTDATED  # the extra spoils the episodeguide
    warned = [e.message for e in db.Event.select().where(db.Event.movie == item.id)]
    assert any("S01E01-deleted.mkv" in m and "episodeguide" in m for m in warned), warned
    assert (show / "Season 02" / "season.nfo").is_file()  # ours
    (show / "Season 02" / "season.nfo").write_text(
        "<season><title>The Pink Teddy Bear</title></season>\n"
    )
    assert not scan(tv_rt).errors
    season = db.Movie.get(
        db.Movie.show == item.id, db.Movie.kind == db.SEASON, db.Movie.season == 2
    )
    assert season.title == "The Pink Teddy Bear"


def test_a_rescan_compiles_each_of_an_unchanged_shows_queries_once(
    tv_rt, tmp_path, monkeypatch, capsys
):
    """Each query of an unchanged show's rescan (its row, its episodes', the ledger's, its
    publish state) was built and compiled by peewee for each show: a query of `db.Movie`, of
    many columns, cost more to compile than to run (bench.tv_scan). Compiled once a scan
    (`dbrows.Prepared`) or written as SQL: a second show adds no compiled query."""
    show = _published(tv_rt, tmp_path, monkeypatch, capsys)
    compiled: list[str] = []
    execute = db.database.obj.execute

    def counted(query, *args, **kwargs):
        if not isinstance(query, pw.RawQuery):  # its SQL given, compiled once
            compiled.append(query.sql()[0])
        return execute(query, *args, **kwargs)

    def rescan() -> list[str]:
        monkeypatch.setattr(db.database.obj, "execute", counted)
        compiled.clear()
        report = scan(tv_rt)
        monkeypatch.undo()
        assert not (report.new or report.changed or report.missing or report.errors), report
        return list(compiled)

    rescan()  # each prepared query compiled by this scan's first show
    one = rescan()
    for rel in EPISODES:
        put(show.parent, f"Better Call Saul (2015)/{rel.replace('Breaking Bad', 'Saul')}")
    assert not scan(tv_rt).errors
    two = rescan()
    assert len(two) == len(one), "\n".join(difflib.unified_diff(one, two, lineterm=""))

"""The publish plan, decided without touching a disk: what is written, replaced, kept, removed
or left, and which files are copied into the cache first."""

from __future__ import annotations

from pathlib import Path

from metarrd.publish.layout import (
    KEEP,
    LEAVE,
    REMOVE,
    REPLACE,
    WRITE,
    LedgerEntry,
    Wanted,
    plan_publish,
)

F = Path("/lib/M")
POSTER = Wanted(F / "M-poster.jpg", "art", "poster 1", "a" * 64, 10, backup_type="poster")
NFO = Wanted(F / "M.nfo", "nfo", "NFO", "n" * 64, 5, data=b"<movie/>", backup_type="nfo")


def plan(current, ledger=(), conflicts=None, leave=None, wanted=(POSTER, NFO)):
    return plan_publish(
        movie_id=1,
        title="M",
        folder=F,
        wanted=list(wanted),
        current=current,
        ledger={e.path: e for e in ledger},
        conflicts=conflicts,
        leave=leave,
        nfo_current="old\n",
        nfo_new="new\n",
    )


def action(p, path):
    return next(a for a in p.actions if a.path == path)


def test_new_files_are_written():
    p = plan({})
    assert [(a.path.name, a.action, a.backup) for a in p.actions] == [
        ("M-poster.jpg", WRITE, False),
        ("M.nfo", WRITE, False),
    ]
    assert p.changes


def test_identical_files_are_kept_even_without_a_ledger_entry():
    p = plan({POSTER.path: POSTER.sha256, NFO.path: NFO.sha256})
    assert {a.action for a in p.actions} == {KEEP}
    assert not p.changes
    assert p.summary() == "2 keep"


def test_our_own_earlier_version_is_replaced_without_a_backup():
    old = LedgerEntry(POSTER.path, "o" * 64, 9)
    a = action(plan({POSTER.path: "o" * 64}, [old]), POSTER.path)
    assert (a.action, a.backup) == (REPLACE, False)


def test_a_file_we_did_not_write_is_backed_up_before_it_is_replaced():
    a = action(plan({NFO.path: "u" * 64}), NFO.path)
    assert (a.action, a.backup, a.backup_type) == (REPLACE, True, "nfo")
    assert "not metarrd's" in a.reason


def test_a_file_the_user_changed_after_we_wrote_it_is_backed_up_too():
    ours = LedgerEntry(POSTER.path, "o" * 64, 9)
    a = action(plan({POSTER.path: "x" * 64}, [ours]), POSTER.path)
    assert (a.action, a.backup) == (REPLACE, True)
    assert "changed since metarrd wrote it" in a.reason


def test_files_no_longer_selected_are_removed_and_changed_ones_backed_up_first():
    fan = LedgerEntry(F / "M-fanart1.jpg", "f" * 64, 9)
    logo = LedgerEntry(F / "M-clearlogo.png", "l" * 64, 9)
    gone = LedgerEntry(F / "M-banner.jpg", "b" * 64, 9)
    actor = LedgerEntry(F / ".actors" / "A_B.jpg", "c" * 64, 9, "actor")
    p = plan({fan.path: fan.sha256, logo.path: "edited", actor.path: "x"}, [fan, logo, gone, actor])
    assert (action(p, fan.path).action, action(p, fan.path).backup) == (REMOVE, False)
    assert (action(p, logo.path).action, action(p, logo.path).backup) == (REMOVE, True)
    assert action(p, logo.path).backup_type == "clearlogo"
    assert (action(p, gone.path).action, action(p, gone.path).backup) == (REMOVE, False)
    assert action(p, actor.path).backup_type == "actor"


def test_another_image_for_the_same_slot_is_backed_up_and_removed():
    png = F / "M-poster.png"
    a = action(plan({}, conflicts={png: "poster"}), png)
    assert (a.action, a.backup, a.backup_type) == (REMOVE, True, "poster")


def test_other_files_of_the_user_are_left_alone():
    mine = F / "M-fanart7.jpg"
    p = plan({}, leave=[mine])
    assert action(p, mine).action == LEAVE
    assert not any(a.action == REMOVE for a in p.actions)


def test_nfo_diff_for_the_preview():
    diff = plan({}).nfo_diff()
    assert "-old" in diff and "+new" in diff
    assert "current/M.nfo" in diff

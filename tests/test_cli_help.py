"""`metarrd COMMAND --help` explains every argument (docs/interface.md §2: "`metarrd COMMAND
--help` lists the options"). A new user reading `metarrd identify --help` saw a bare `ITEM`
with no word on what an item is (an id from `list`, or a video file's path), `workflow set`
a bare `stage` with no stage named, and `enrich` "run the ENRICH job now"."""

from __future__ import annotations

import argparse

import pytest

from metarrd.cli import build_parser
from metarrd.workflow import STAGES


def _subparsers(parser: argparse.ArgumentParser, path: str = "metarrd"):
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield f"{path} {name}", sub
                yield from _subparsers(sub, f"{path} {name}")


def test_every_argument_of_every_command_has_a_help_text():
    undocumented = [
        f"{path}: {action.metavar or action.dest}"
        for path, sub in _subparsers(build_parser())
        for action in sub._actions
        if not isinstance(action, argparse._HelpAction | argparse._SubParsersAction)
        and not action.help
    ]
    assert not undocumented


def test_the_commands_say_what_they_do_without_stage_jargon():
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    lines = {c.dest: c.help for c in sub._choices_actions}
    assert "ENRICH" not in lines["enrich"] and "PUBLISH" not in lines["publish"]


def test_workflow_help_names_the_stages(capsys):
    parser = build_parser()
    with pytest.raises(SystemExit):
        parser.parse_args(["workflow", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert all(stage in out for stage in STAGES)


def test_item_is_explained_where_it_is_taken(capsys):
    for command in ("identify", "enrich", "publish"):
        with pytest.raises(SystemExit):
            build_parser().parse_args([command, "--help"])
        out = " ".join(capsys.readouterr().out.split())  # argparse wraps at the terminal's width
        assert "metarrd list" in out and "video file" in out, command


def test_all_says_which_items_it_takes(capsys):
    """`enrich --all` and `publish --all` said "every eligible item": which ones, the user
    could only guess (an unidentified movie? each episode alone?). They take what `cmd_enrich`
    and `cmd_publish` select: the identified (or enriched) movies and shows, the enriched ones,
    a show with its seasons and episodes."""
    wanted = {
        "enrich": "--all every identified movie and show (enriched ones again)",
        "publish": "--all every enriched movie and show",
    }
    for command, words in wanted.items():
        with pytest.raises(SystemExit):
            build_parser().parse_args([command, "--help"])
        out = " ".join(capsys.readouterr().out.split())  # argparse wraps at the terminal's width
        assert words in out, (command, out)


def test_the_help_says_it_tags_tv_shows_too(capsys):
    """`metarrd --help` began "Keeps a Kodi-style movie library tagged.": a user with a TV
    library read that metarrd was not for it, though every command takes shows too."""
    with pytest.raises(SystemExit):
        build_parser().parse_args(["--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert "Keeps a Kodi-style movie and TV library tagged." in out


def test_tv_order_says_a_season_or_episode_names_its_show(capsys):
    """`tv order` takes a season's or an episode's id or path for its show (`cmd_tv`,
    docs/interface.md §2); its help said only "the show's item id or folder path"."""
    with pytest.raises(SystemExit):
        build_parser().parse_args(["tv", "order", "--help"])
    out = " ".join(capsys.readouterr().out.split())  # argparse wraps at the terminal's width
    assert "SHOW the show's item id or folder path (a season or episode names its show)" in out


def test_identify_says_by_hand_as_the_rest_of_metarrd(capsys):
    """`metarrd --help` said "identify one item manually", the only "manually" of the product:
    docs/interface.md, the UI and the event (`identified by hand as …`) say "by hand", and that
    no search is made."""
    with pytest.raises(SystemExit):
        build_parser().parse_args(["--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert "identify identify one item by hand (no search is made)" in out

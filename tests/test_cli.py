"""The command line as docs/interface.md describes it: scan → enrich → publish in this process, exit
statuses 0 / 1 (an item failed, one line on stderr naming it) / 2 (usage), workflow switches."""

from __future__ import annotations

import io
import json
import os
import shutil
import socket
import subprocess
import sys
import tomllib
import unicodedata
from pathlib import Path

import pytest

from metarrd import config as config_module
from metarrd import db
from metarrd.cli import UsageError, build_parser, main, resolve_item
from metarrd.paths import is_inside
from tests.conftest import providers_toml, two_cd_rip

MEDIA = Path(__file__).resolve().parent / "media" / "h264_aac_2audio_sub.mkv"
REPO = Path(__file__).resolve().parents[1]
INTERFACE_COMMANDS = [
    "config",
    "scan",
    "identify",
    "enrich",
    "publish",
    "list",
    "run",
    "web",
    "demo",
]


@pytest.fixture
def library(tmp_path, simulator) -> tuple[Path, Path]:
    root = tmp_path / "movies"
    for name in ("Alien (1979)", "Heat (1995)", "Nobody Knows This Film (2004)"):
        (root / name).mkdir(parents=True)
        shutil.copy2(MEDIA, root / name / f"{name}.mkv")
    cfg = tmp_path / "config.toml"
    cfg.write_text(
        f'data_dir = "{tmp_path / "data"}"\n'
        f'[[library]]\nname = "Movies"\npath = "{root}"\n' + providers_toml(simulator)
    )
    return cfg, root


def cli(cfg: Path, *args: str) -> int:
    return main(["--config", str(cfg), *args])


def test_every_interface_command_exists():
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    assert set(INTERFACE_COMMANDS) <= set(sub.choices)


def test_scan_enrich_publish_by_hand(library, capsys):
    cfg, root = library
    assert cli(cfg, "scan") == 0
    alien = db.Movie.get(db.Movie.tmdb_id == 348)
    assert cli(cfg, "enrich", str(alien.id)) == 0
    assert "enriched Alien (1979)" in capsys.readouterr().out
    assert db.Movie.get_by_id(alien.id).identification_status == "enriched"
    assert not list((root / "Alien (1979)").glob("*.nfo")), "enrich never touches the library"

    assert cli(cfg, "publish", alien.path) == 0
    folder = root / "Alien (1979)"
    assert (folder / "Alien (1979).nfo").read_bytes().startswith(b"<?xml")
    assert (folder / "Alien (1979)-poster.jpg").is_file()
    assert db.Movie.get_by_id(alien.id).publish_state == "published"


def test_a_published_file_deleted_reads_republish_and_publish_writes_it_again(library, capsys):
    """The poster and NFO publish wrote, deleted by hand (or by Kodi's "Remove library items"):
    the next scan lists the item "outdated", and `publish ITEM` writes them back."""
    cfg, root = library
    assert cli(cfg, "scan") == 0
    alien = db.Movie.get(db.Movie.tmdb_id == 348)
    assert cli(cfg, "enrich", str(alien.id)) == 0
    assert cli(cfg, "publish", str(alien.id)) == 0
    folder = root / "Alien (1979)"
    poster, nfo = folder / "Alien (1979)-poster.jpg", folder / "Alien (1979).nfo"
    written = poster.read_bytes(), nfo.read_bytes()
    poster.unlink()
    nfo.unlink()
    assert cli(cfg, "scan") == 0
    capsys.readouterr()
    assert cli(cfg, "list", "--json") == 0
    states = {i["id"]: i["publish_state"] for i in json.loads(capsys.readouterr().out)}
    assert states[alien.id] == "outdated"
    assert cli(cfg, "publish", str(alien.id)) == 0
    assert (poster.read_bytes(), nfo.read_bytes()) == written
    assert cli(cfg, "scan") == 0
    assert db.Movie.get_by_id(alien.id).publish_state == "published"


def test_failures_exit_1_with_one_line_per_item(library, capsys):
    cfg, _ = library
    cli(cfg, "scan")
    capsys.readouterr()
    unknown = db.Movie.get(db.Movie.title.contains("Nobody Knows"))
    heat = db.Movie.get(db.Movie.tmdb_id == 949)
    # publishing an item that was never enriched is refused, and the other item still goes on
    assert cli(cfg, "enrich", str(heat.id)) == 0
    code = cli(cfg, "publish", str(unknown.id), str(heat.id))
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 1
    assert len(err) == 1 and err[0].startswith(f"item {unknown.id} (") and "not enriched" in err[0]
    assert db.Movie.get_by_id(heat.id).publish_state == "published"


def _bug_for(real, is_alien):
    """`real`, raising a TypeError (a bug, none of metarrd's errors) for Alien only."""

    def wrapper(rt, movie, *args, **kwargs):
        item = getattr(movie, "movie", movie)  # publish's ItemRows, or the Movie
        if is_alien(item):
            raise TypeError("'int' object is not iterable")
        return real(rt, movie, *args, **kwargs)

    return wrapper


def _is_alien(movie) -> bool:
    return "Alien" in movie.path


def _internal_error_line(err: str, movie) -> None:
    lines = err.strip().splitlines()
    assert lines == [
        f"item {movie.id} ({movie.path}): internal error: TypeError: 'int' object is not iterable"
    ]
    assert db.Movie.get_by_id(movie.id).last_error.startswith("internal error: TypeError")


def test_a_bug_in_one_item_fails_that_item_only(library, capsys, monkeypatch, caplog):
    """A bug (an exception that is none of metarrd's errors) in one item ended `enrich --all`,
    `publish --all` and `scan` with a traceback, leaving the items after it undone and unsaid;
    the daemon records it on that item's job and goes on, and so does the command line now."""
    from metarrd.enrich import stage as enrich_stage
    from metarrd.identify import stage as identify_stage
    from metarrd.publish import stage as publish_stage

    cfg, _ = library
    real_identify = identify_stage.identify_item
    monkeypatch.setattr(identify_stage, "identify_item", _bug_for(real_identify, _is_alien))
    assert cli(cfg, "scan") == 1
    out, err = capsys.readouterr()
    alien = db.Movie.get(db.Movie.path.contains("Alien"))
    _internal_error_line(err, alien)
    assert "1 identified, 2 left unidentified" in out  # Heat; Nobody Knows is no failure
    assert "Traceback" not in err
    monkeypatch.setattr(identify_stage, "identify_item", real_identify)
    assert cli(cfg, "identify", str(alien.id), "--tmdb", "348") == 0
    capsys.readouterr()

    heat = db.Movie.get(db.Movie.tmdb_id == 949)
    assert alien.id < heat.id  # the failing item comes first: the one after it goes on
    monkeypatch.setattr(enrich_stage, "_begin", _bug_for(enrich_stage._begin, _is_alien))
    with caplog.at_level("INFO", logger="metarrd"):
        assert cli(cfg, "enrich", "--all") == 1
    out, err = capsys.readouterr()
    _internal_error_line(err, alien)
    assert f"item {heat.id}: enriched" in out and "Traceback" not in err
    assert db.Movie.get_by_id(heat.id).identification_status == "enriched"
    assert any(r.exc_info for r in caplog.records)  # the traceback, shown with --verbose
    monkeypatch.undo()
    assert cli(cfg, "enrich", str(alien.id)) == 0
    capsys.readouterr()

    monkeypatch.setattr(publish_stage, "_prepare", _bug_for(publish_stage._prepare, _is_alien))
    assert cli(cfg, "publish", "--all") == 1
    out, err = capsys.readouterr()
    _internal_error_line(err, alien)
    assert f"item {heat.id}: " in out
    assert db.Movie.get_by_id(heat.id).publish_state == "published"
    assert db.Movie.get_by_id(alien.id).publish_state != "published"


def test_publishing_switched_off_refuses_every_publish(library, capsys):
    cfg, root = library
    cli(cfg, "scan")
    assert cli(cfg, "enrich", "--all") == 0
    assert cli(cfg, "workflow", "set", "publishing", "off") == 0
    assert "publishing      off" in capsys.readouterr().out
    assert cli(cfg, "publish", "--all") == 1
    assert "switched off" in capsys.readouterr().err
    assert not list(root.rglob("*.nfo"))
    assert cli(cfg, "workflow", "set", "publishing", "on") == 0
    assert cli(cfg, "publish", "--all") == 0
    assert len(list(root.rglob("*.nfo"))) == 2  # the two enriched movies


@pytest.mark.parametrize(
    "args",
    [
        ["enrich"],
        ["enrich", "--all", "1"],
        ["publish", "999"],
        ["identify", "nope", "--tmdb", "1"],
        ["workflow", "set", "warp_drive", "on"],
    ],
)
def test_usage_errors_exit_2(library, args, capsys):
    cfg, _ = library
    assert cli(cfg, *args) == 2
    assert capsys.readouterr().err.startswith("metarrd: ")


@pytest.mark.parametrize("extra", [["EXTRA"], ["publishing", "off"]])
def test_workflow_show_refuses_words_it_does_not_read(library, extra, capsys):
    """`metarrd workflow show EXTRA` printed the switches, the word taken for STAGE and
    ignored; `workflow show publishing off` read as a switch set that did not happen. Words
    no command reads are argparse's usage error, as for every other command (exit 2)."""
    cfg, _ = library
    with pytest.raises(SystemExit) as exited:
        cli(cfg, "workflow", "show", *extra)
    assert exited.value.code == 2
    out, err = capsys.readouterr()
    assert f"metarrd: error: unrecognized arguments: {' '.join(extra)}" in err
    assert not out
    with pytest.raises(SystemExit) as exited:  # the same words after any other command
        cli(cfg, "config", "check", *extra)
    assert f"metarrd: error: unrecognized arguments: {' '.join(extra)}" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["run", "--config", "/etc/metarrd/config.toml"], "--config /etc/metarrd/config.toml"),
        (["list", "--config=/etc/metarrd/config.toml"], "--config=/etc/metarrd/config.toml"),
        (["list", "-v"], "-v"),
    ],
)
def test_an_option_of_metarrd_after_the_command_says_where_it_goes(args, words, capsys):
    """`metarrd run --config ~/metarrd.toml` (a comment of db.py wrote it so) said only
    "unrecognized arguments: --config …": the user could not see that the option exists, only
    in another place."""
    with pytest.raises(SystemExit) as exited:
        main(args)
    assert exited.value.code == 2
    assert capsys.readouterr().err.splitlines()[-1] == (
        f"metarrd: error: unrecognized arguments: {words} (metarrd's own options go before the "
        "command: metarrd [--config PATH] [-v] COMMAND …)"
    )


def test_scan_says_how_many_it_skipped_and_where_they_are_listed(library, capsys):
    """A sample or an extra is left out by name; the scan says so and where the list is, after
    its usual summary line (unchanged: scripts read it)."""
    cfg, root = library
    shutil.copy2(MEDIA, root / "Alien (1979)" / "Alien (1979)-trailer.mkv")
    (root / "Heat (1995)" / "Extras").mkdir()
    shutil.copy2(MEDIA, root / "Heat (1995)" / "Extras" / "Heat.mkv")

    cli(cfg, "scan")

    lines = capsys.readouterr().out.splitlines()
    assert lines[-2].startswith("scanned 3 videos: 3 new,")
    assert lines[-1] == (
        "skipped 2 by name (samples, trailers, extras): each library lists them, with the "
        "rule, on the web UI's Settings page (/settings#libraries)"
    )


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("--tmdb", "0"),
        ("--tmdb", "-5"),
        ("--tmdb", "٣"),  # an Arabic-Indic 3: int() takes it, no one types it for 3
        ("--tvdb", "0"),
        ("--imdb", "foo"),
        ("--imdb", "0133093"),
        ("--imdb", "tt٠١٣٣٠٩٣"),  # the same digits: an IMDb id is ASCII, TMDB finds no other
    ],
)
def test_identify_refuses_an_id_that_is_no_id(library, option, value, capsys):
    """`identify ITEM --tmdb 0` said "internal error: ValueError" and `--imdb foo` asked TMDB,
    each recording a failure on the item over its real last_error (the Identify page's reason).
    An id that cannot be one is a usage error (exit 2) that leaves the item as it was."""
    cfg, _ = library
    cli(cfg, "scan")
    capsys.readouterr()
    nobody = db.Movie.get(db.Movie.path.contains("Nobody"))
    with pytest.raises(SystemExit) as exited:  # argparse's usage error
        cli(cfg, "identify", str(nobody.id), option, value)
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert option in err and "internal error" not in err
    assert db.Movie.get_by_id(nobody.id).last_error == nobody.last_error


def test_identify_takes_an_imdb_id_in_capitals(library, capsys):
    cfg, _ = library
    cli(cfg, "scan")
    nobody = db.Movie.get(db.Movie.path.contains("Nobody"))
    assert cli(cfg, "identify", str(nobody.id), "--imdb", "TT0078748") == 0  # Alien's
    assert db.Movie.get_by_id(nobody.id).tmdb_id == 348


def test_identify_by_hand_says_what_enriches_the_item_next(library, capsys):
    """`metarrd identify` beside a running daemon left the item "identified" for good, while
    the same choice in the UI was enriched by the daemon at once (the Identify page's
    warning names the command, the demo's daemon runs). With a daemon that runs its queue,
    the enrich is queued for it; without one, the line names the command."""
    import json
    import time

    cfg, _ = library
    cli(cfg, "scan")
    nobody = db.Movie.get(db.Movie.path.contains("Nobody"))
    capsys.readouterr()
    assert cli(cfg, "identify", str(nobody.id), "--tmdb", "348") == 0
    out = capsys.readouterr().out
    assert f"item {nobody.id}: `metarrd enrich {nobody.id}` fetches its metadata" in out
    assert db.Job.select().where(db.Job.kind == "enrich").count() == 0

    # the heartbeat `metarrd run` writes every HEALTH_CHECK_SECONDS (pipeline/daemon.py)
    beat = {"at": time.time(), "pid": 4242, "watcher": {"inotify": "ok"},
            "consumer": {"alive": 2, "workers": 2, "scheduler": True}}  # fmt: skip
    db.set_meta("daemon.heartbeat", json.dumps(beat))
    assert cli(cfg, "identify", str(nobody.id), "--tmdb", "949") == 0
    out = capsys.readouterr().out
    job = db.Job.get(db.Job.kind == "enrich")
    assert job.movie_id == nobody.id and job.state == "queued"
    assert f"item {nobody.id}: the running daemon enriches it (job {job.id})" in out

    assert cli(cfg, "workflow", "set", "enrichment", "off") == 0
    capsys.readouterr()
    assert cli(cfg, "identify", str(nobody.id), "--tmdb", "348") == 0
    assert "enrich" not in capsys.readouterr().out  # the stage is off: nothing follows
    assert db.Job.select().where(db.Job.kind == "enrich").count() == 1


@pytest.mark.parametrize("bind", ["nope", "127.0.0.1:99999", "127.0.0.1:"])
def test_web_refuses_a_bind_it_cannot_listen_on(library, bind, capsys):
    """`metarrd web --bind nope` ended in a ValueError traceback, and a port over 65535 was
    taken modulo 65536: 127.0.0.1:99999 served the UI on port 34463, saying so only in a log."""
    cfg, _ = library
    assert cli(cfg, "web", "--bind", bind) == 2
    assert capsys.readouterr().err.startswith("metarrd: --bind: ")


class _ClosedPipe(io.StringIO):
    """stdout after the reader left: `metarrd list | head -1` once head has its line."""

    def write(self, _text: str) -> int:
        raise BrokenPipeError(32, "Broken pipe")

    def flush(self) -> None:
        raise BrokenPipeError(32, "Broken pipe")


@pytest.mark.parametrize("args", [["list"], ["list", "--json"]])
def test_list_into_a_closed_pipe_ends_quietly(library, args, capsys, monkeypatch):
    """`metarrd list | head` printed a BrokenPipeError traceback under head's lines."""
    cfg, _ = library
    cli(cfg, "scan")
    capsys.readouterr()
    monkeypatch.setattr("sys.stdout", _ClosedPipe())
    assert cli(cfg, *args) == 141  # 128 + SIGPIPE, as a shell reports `cat` in that place
    assert "Traceback" not in capsys.readouterr().err


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs Linux's /dev/full")
@pytest.mark.parametrize("args", [["list"], ["list", "--json"], ["config", "check"]])
def test_output_into_a_full_disk_is_one_line_and_exit_1(library, args, capsys):
    """`metarrd list --json > list.json` on a full disk (/dev/full: every write is ENOSPC)
    was a traceback ending in `OSError: [Errno 28]`, or, for an output short enough to stay
    buffered until exit, Python's own exit status 120; `cat` says "write error" and exits 1."""
    cfg, _ = library
    assert cli(cfg, "scan") == 0, capsys.readouterr()
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    with open("/dev/full", "w") as full:
        done = subprocess.run(
            [sys.executable, "-m", "metarrd", "--config", str(cfg), *args],
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
    assert (done.returncode, done.stderr.splitlines()[-1:]) == (
        1,
        ["metarrd: cannot write the output: No space left on device"],
    ), done.stderr
    assert "Traceback" not in done.stderr


def test_scan_of_an_nfo_put_in_by_hand_reads_it(library, capsys):
    """`metarrd scan PATH` naming the NFO a user just wrote (tinyMediaManager's, beside the
    video): the scan walked that one file, found no video, said `scanned 0 videos` and exited
    0, the NFO unread. It scans the movie's folder, as the daemon's watcher does for it."""
    cfg, root = library
    assert cli(cfg, "scan") == 0, capsys.readouterr()
    capsys.readouterr()
    nfo = root / "Alien (1979)" / "Alien (1979).nfo"
    nfo.write_text(
        '<?xml version="1.0" encoding="UTF-8" standalone="yes" ?>\n'
        "<!--created on 2024-03-02 18:11:40 - tinyMediaManager 5.0.2-->\n"
        "<movie>\n  <title>Alien (Director's Cut)</title>\n  <year>1979</year>\n"
        '  <uniqueid default="true" type="tmdb">348</uniqueid>\n'
        '  <uniqueid default="false" type="imdb">tt0078748</uniqueid>\n</movie>\n'
    )
    assert cli(cfg, "scan", str(nfo)) == 0
    assert capsys.readouterr().out.startswith("scanned 1 video: 0 new, 1 changed")
    assert cli(cfg, "list", "--json") == 0
    items = json.loads(capsys.readouterr().out)
    alien = next(i for i in items if i["path"].endswith("Alien (1979).mkv"))
    assert (alien["title"], alien["tmdb_id"]) == ("Alien (Director's Cut)", 348)


@pytest.mark.parametrize("args", [["list"], ["list", "--json"], ["scan"], ["config", "check"]])
def test_a_closed_standard_output_is_no_error(library, args, capsys, monkeypatch):
    """Run with its standard output closed (`metarrd list >&-`, a cron job or a supervisor
    that closes it), Python has `sys.stdout` None and `print` writes nothing: the command
    ends with its own status, as before its output was watched for write errors (an
    AttributeError traceback and exit 1 at the flush after every command)."""
    cfg, _ = library
    assert cli(cfg, "scan") == 0, capsys.readouterr()
    monkeypatch.setattr(sys, "stdout", None)
    assert cli(cfg, *args) == 0


def test_identify_a_movie_with_tvdb_is_a_usage_error_that_keeps_its_reason(library, capsys):
    """`identify MOVIE --tvdb N` was recorded on the movie as its failure: its last_error, the
    reason the Identify page shows with the candidates, became "--tvdb identifies TV shows"."""
    cfg, _ = library
    cli(cfg, "scan")
    nobody = db.Movie.get(db.Movie.path.contains("Nobody"))
    capsys.readouterr()
    assert cli(cfg, "identify", str(nobody.id), "--tvdb", "81189") == 2
    assert capsys.readouterr().err.startswith("metarrd: --tvdb identifies TV shows")
    assert db.Movie.get_by_id(nobody.id).last_error == nobody.last_error


@pytest.mark.parametrize("key", ["data_dir", "cache.dir"])
def test_a_data_dir_that_cannot_be_made_is_a_configuration_error(library, key, capsys):
    """README's setup, with `data_dir = "/var/lib/metarrd"` not made yet and no right to make
    it: `metarrd scan` (or list, or run) ended in a PermissionError traceback. It is a
    configuration error naming the setting (exit 2)."""
    cfg, _ = library
    blocker = cfg.parent / "a-file"
    blocker.write_text("")
    text = cfg.read_text()
    if key == "data_dir":
        text = text.replace(f'data_dir = "{cfg.parent / "data"}"', f'data_dir = "{blocker}/data"')
    else:
        text += f'[cache]\ndir = "{blocker}/cache"\n'
    cfg.write_text(text)
    assert cli(cfg, "list") == 2
    assert capsys.readouterr().err.startswith(f"metarrd: configuration error: {key}: cannot create")


def test_the_default_data_dir_not_made_yet_is_the_installs_to_make(library, monkeypatch, capsys):
    """Root trying `metarrd scan` once with config.example.toml as it comes made
    `/var/lib/metarrd`, root's, and left it behind (with a database the service's user could
    not write). The default data_dir is the install's to make (README's `install -d`, the
    systemd units' StateDirectory=): a configuration error naming data_dir, nothing made. Once
    made, every command uses it; a data_dir set elsewhere is made as before."""
    cfg, _ = library
    default = cfg.parent / "var" / "lib" / "metarrd"  # stands for /var/lib/metarrd
    monkeypatch.setattr(config_module, "DEFAULT_DATA_DIR", str(default))
    cfg.write_text(cfg.read_text().replace(str(cfg.parent / "data"), f"{default}/"))
    for command in ("scan", "list"):
        assert cli(cfg, command) == 2
        err = capsys.readouterr().err
        assert err.startswith(f"metarrd: configuration error: data_dir: {default} does not exist")
        assert f"install -d -m 750 -o metarrd -g metarrd {default}" in err
    assert not (cfg.parent / "var").exists()
    assert cli(cfg, "config", "check") == 2
    assert f"error: data_dir: {default} does not exist" in capsys.readouterr().err
    default.mkdir(parents=True)  # the install, or systemd's StateDirectory=
    assert cli(cfg, "scan") == 0 and (default / "metarrd.db").is_file()


def test_the_default_data_dir_is_the_one_the_example_and_the_units_make():
    """What the rule above stands on: the example's data_dir is the default, which every unit
    makes as it starts (StateDirectory=metarrd: /var/lib/metarrd), so a service's first start
    finds it."""
    example = tomllib.loads((REPO / "config.example.toml").read_text())
    assert example["data_dir"] == config_module.DEFAULT_DATA_DIR == "/var/lib/metarrd"
    assert config_module.Config().data_dir == config_module.DEFAULT_DATA_DIR
    for unit in sorted((REPO / "systemd").glob("*.service")):
        assert "\nStateDirectory=metarrd\n" in unit.read_text(), unit.name


@pytest.mark.parametrize("command", ["list", "run"])
def test_a_data_dir_on_a_read_only_mount_is_a_configuration_error(library, command):
    """A NAS whose disk ext4 remounted read-only after an I/O error (`errors=remount-ro`), or
    a container's data volume mounted `:ro`: data_dir and its database are there, but cannot be
    written. `metarrd list` and `metarrd run` ended in SQLite's "unable to open database file"
    traceback. Now one configuration error naming data_dir and why, exit 2. The read-only
    mount is a real one, in a mount namespace of its own (`unshare -m`), so nothing outside
    the test sees it; without root (no mount), the folder is made read-only by its mode."""
    cfg, _ = library
    data = cfg.parent / "data"
    assert cli(cfg, "list") == 0  # data_dir, its database and folders made
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    run = [sys.executable, "-m", "metarrd", "--config", str(cfg), command]
    if os.geteuid() == 0:
        if shutil.which("unshare") is None:
            pytest.skip("no unshare(1) to mount a read-only folder in a namespace of its own")
        script = 'mount --bind "$1" "$1" && mount -o remount,ro,bind "$1" && shift && exec "$@"'
        run = ["unshare", "-m", "sh", "-c", script, "sh", str(data), *run]
    else:
        data.chmod(0o555)
    try:
        done = subprocess.run(run, capture_output=True, text=True, env=env, timeout=60)
    finally:
        data.chmod(0o755)
    if os.geteuid() == 0 and "mount" in done.stderr and "metarrd" not in done.stderr:
        pytest.skip(f"cannot mount here: {done.stderr.strip()}")
    assert done.returncode == 2, done.stderr
    reason = "Read-only file system" if os.geteuid() == 0 else "Permission denied"
    assert done.stderr == (
        f"metarrd: configuration error: data_dir: cannot write in {data}: {reason}\n"
    )


def test_a_shared_cache_read_only_to_this_host_is_no_configuration_error(library):
    """A watcher host of a scale-out (docs/scale-out.md) mounts the shared `[cache] dir`
    read-only (its unit's ProtectSystem=strict, or an NFS export `ro`): it writes nothing there.
    The write probe of data_dir (test above) must not refuse to start it for the cache."""
    cfg, _ = library
    cache = cfg.parent / "shared-cache"
    cfg.write_text(cfg.read_text() + f'[cache]\ndir = "{cache}"\n')
    assert cli(cfg, "list") == 0  # the cache and its folders made
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    run = [sys.executable, "-m", "metarrd", "--config", str(cfg), "list"]
    if os.geteuid() == 0:
        if shutil.which("unshare") is None:
            pytest.skip("no unshare(1) to mount a read-only folder in a namespace of its own")
        script = 'mount --bind "$1" "$1" && mount -o remount,ro,bind "$1" && shift && exec "$@"'
        run = ["unshare", "-m", "sh", "-c", script, "sh", str(cache), *run]
    else:
        for folder in (cache, *cache.rglob("*")):
            if folder.is_dir():
                folder.chmod(0o555)
    try:
        done = subprocess.run(run, capture_output=True, text=True, env=env, timeout=60)
    finally:
        for folder in (cache, *cache.rglob("*")):
            if folder.is_dir():
                folder.chmod(0o755)
    if os.geteuid() == 0 and "mount" in done.stderr and "metarrd" not in done.stderr:
        pytest.skip(f"cannot mount here: {done.stderr.strip()}")
    assert done.returncode == 0, done.stderr


def test_an_empty_config_path_is_a_usage_error_not_the_live_config(library, monkeypatch, capsys):
    """`metarrd --config "$CFG" list` in a script whose CFG is unset (or misspelled) read
    $METARRD_CONFIG, else /etc/metarrd/config.toml, as if no --config was given: the script's
    `scan` or `publish` ran against the live configuration. An empty --config is a usage error
    (exit 2) before anything is read."""
    cfg, _ = library
    monkeypatch.setenv("METARRD_CONFIG", str(cfg))  # the live one, which must not be used
    with pytest.raises(SystemExit) as exited:
        main(["--config", "", "list"])
    assert exited.value.code == 2
    assert "--config: empty; name the configuration file" in capsys.readouterr().err
    assert not (cfg.parent / "data").exists()


@pytest.mark.parametrize("kind", ["movie", "tv"])
def test_a_library_root_this_user_may_not_enter_is_one_line_not_a_traceback(
    library, capsys, monkeypatch, kind
):
    """`sudo -u metarrd metarrd scan` with a library in a home folder of mode 0700
    (`/home/anna/Movies`), or a CIFS share whose session expired (EACCES until it reconnects):
    Python's `Path.is_dir` raises on EACCES, and `metarrd scan` ended in a PermissionError
    traceback. It is the library's one failure line (exit 1). As root the mode does not stop
    us: the EACCES that user meets is made by os.stat then."""
    cfg, root = library
    if kind == "tv":
        cfg.write_text(cfg.read_text().replace('name = "Movies"', 'name = "Movies"\nkind = "tv"'))
    real_stat = os.stat

    def stat(path, *args, **kwargs):
        if not isinstance(path, int) and os.fspath(path).startswith(str(root)):
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return real_stat(path, *args, **kwargs)

    assert cli(cfg, "list") == 0  # the database made before the root goes away
    if os.geteuid() == 0:
        monkeypatch.setattr(os, "stat", stat)
    else:
        root.chmod(0)
    try:
        assert cli(cfg, "scan") == 1
    finally:
        root.chmod(0o755)
    err = capsys.readouterr().err.splitlines()
    assert f"{root}: library 'Movies': cannot be looked at: Permission denied" in err


def test_a_scan_path_this_user_may_not_enter_is_one_line_and_marks_nothing(
    library, capsys, monkeypatch
):
    """`metarrd scan "/srv/media/movies/Heat (1995)"` for a folder this user may not enter
    (made 0700 by another tool, or a share that answers EACCES for a moment): the scan's
    `Path.is_dir` raised, a PermissionError traceback. That path is one failure line, not
    scanned (its item is not marked missing: it is there), and the other paths are scanned."""
    cfg, root = library
    cli(cfg, "scan")  # three items
    capsys.readouterr()
    heat = root / "Heat (1995)"
    real_stat = os.stat

    def stat(path, *args, **kwargs):
        if not isinstance(path, int) and os.fspath(path).startswith(str(heat)):
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return real_stat(path, *args, **kwargs)

    if os.geteuid() == 0:  # root's looks are not refused: the EACCES that user meets
        monkeypatch.setattr(os, "stat", stat)
    else:
        heat.chmod(0)
    try:
        assert cli(cfg, "scan", str(heat), str(root / "Alien (1979)")) == 1
    finally:
        heat.chmod(0o755)
    err = capsys.readouterr().err.splitlines()
    assert err == [f"{heat}: cannot be looked at: Permission denied; not scanned"]
    assert not db.Movie.select().where(db.Movie.missing).exists()


def test_a_missing_library_folder_is_one_line_on_stderr(library):
    """Each failure is one line on stderr: a movie library whose folder is gone (a share not
    mounted) was two, a log line `ERROR: library Movies: …` and then the failure line."""
    cfg, root = library
    shutil.rmtree(root)
    # its own process: pytest's log capture would swallow the log line of an in-process run
    run = subprocess.run(
        [sys.executable, "-c", "import sys; from metarrd.cli import main; sys.exit(main())",
         "--config", str(cfg), "scan"],
        capture_output=True, text=True, timeout=120, check=False,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)},
    )  # fmt: skip
    assert run.returncode == 1
    assert run.stderr.splitlines() == [f"{root}: library 'Movies': library folder does not exist"]


@pytest.mark.parametrize("port", ["99999", "-1", "http"])
def test_demo_refuses_a_port_that_is_none(port, tmp_path, capsys):
    """`metarrd demo --port 99999` ended in an OverflowError traceback ("bind(): port must be
    0-65535") from its check that the port is free."""
    with pytest.raises(SystemExit) as exited:  # argparse's usage error, before anything starts
        main(["demo", "--port", port, "--dir", str(tmp_path / "demo")])
    assert exited.value.code == 2
    assert "--port" in capsys.readouterr().err
    assert not (tmp_path / "demo").exists()


@pytest.mark.parametrize("place", ["config-folder", "media-root", "fifo"])
def test_demo_refuses_a_dir_that_holds_the_users_files(place, tmp_path):
    """`metarrd demo --dir /etc/metarrd` (the folder README's install puts config.toml in)
    replaced the user's config.toml by the demo's; `--dir /srv/media` (Kodi's usual root,
    with its `movies/` and `tv/`) copied the sample videos into the real library and published
    the demo's NFOs beside the user's films; a config.toml that is a FIFO hung the demo. The
    demo now takes only a new or empty folder, or one an earlier demo made: exit 2, nothing
    written."""
    base = tmp_path / "dir"
    (base / "movies" / "Heat (1995)").mkdir(parents=True)
    heat = base / "movies" / "Heat (1995)" / "Heat (1995).mkv"
    heat.write_bytes(b"\x1a\x45\xdf\xa3")
    user = '# mine\ndata_dir = "/var/lib/metarrd"\n'
    if place == "config-folder":
        (base / "config.toml").write_text(user)
    elif place == "fifo":
        os.mkfifo(base / "config.toml")
    before = sorted(p.relative_to(base) for p in base.rglob("*"))
    with socket.socket() as free:  # a port the demo could take: refused for its folder only
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    try:
        done = subprocess.run(
            [sys.executable, "-m", "metarrd", "demo", "--port", str(port), "--dir", str(base)],
            capture_output=True, text=True, env=env, timeout=60, stdin=subprocess.DEVNULL,
        )  # fmt: skip
    except subprocess.TimeoutExpired:
        pytest.fail("the demo started in the user's folder (or hung on its FIFO)")
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stderr.startswith(f"metarrd demo: --dir {base}: ")
    assert "give a new or empty folder" in done.stderr
    assert sorted(p.relative_to(base) for p in base.rglob("*")) == before
    if place == "config-folder":
        assert (base / "config.toml").read_text() == user
    assert heat.read_bytes() == b"\x1a\x45\xdf\xa3"


def test_a_stage_switched_on_again_queues_what_it_skipped(library, capsys):
    """`workflow set identification on` after a scan with it off: the three films, found
    unchanged by every later scan, were never identified; now the daemon gets a job each."""
    cfg, _ = library
    assert cli(cfg, "workflow", "set", "identification", "off") == 0
    assert cli(cfg, "scan") == 0
    assert "0 identified, 0 left unidentified" in capsys.readouterr().out
    assert cli(cfg, "workflow", "set", "identification", "on") == 0
    assert (
        "identification is on again: 3 jobs queued for what it skipped\n" in capsys.readouterr().out
    )
    jobs = db.Job.select().where(db.Job.kind == "identify")
    assert sorted(j.movie_id for j in jobs) == sorted(m.id for m in db.Movie.select())
    assert cli(cfg, "workflow", "set", "identification", "on") == 0  # on already: nothing
    assert "queued" not in capsys.readouterr().out
    assert db.Job.select().where(db.Job.kind == "identify").count() == 3


@pytest.fixture
def tv_library(tmp_path, simulator) -> tuple[Path, Path]:
    """A TV library as Sonarr names it, with the simulator's Breaking Bad (TMDB 1396)."""
    root = tmp_path / "tv"
    show = root / "Breaking Bad (2008)"
    for rel in (
        "Season 01/Breaking Bad - S01E01 - Pilot.mkv",
        "Season 01/Breaking Bad - S01E04E05 - Cancer Man.mkv",
        "Specials/Breaking Bad - S00E01 - Good Cop Bad Cop.mkv",
        "Specials/Breaking Bad - Behind the Scenes.mkv",
    ):
        (show / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(MEDIA, show / rel)
    cfg = tmp_path / "config.toml"
    cfg.write_text(
        f'data_dir = "{tmp_path / "data"}"\n'
        f'[[library]]\nname = "TV"\npath = "{root}"\nkind = "tv"\n' + providers_toml(simulator)
    )
    return cfg, show


def test_list_names_shows_and_episodes_as_a_reader_knows_them(tv_library, capsys):
    """Plain `list` printed every episode as "Pilot (?)" (and "? (?)" before enrich): no show,
    no season or episode number, and a show read like a movie. Episodes read "Breaking Bad
    S01E01 Pilot", a file of two episodes S01E04E05, a special S00E01, a file matched to no
    episode by its name; a show says it is one. `list --json` keeps its fields as they were."""
    cfg, show = tv_library
    assert cli(cfg, "scan") == 1  # the file without numbers, said on stderr
    assert cli(cfg, "enrich", "--all") == 0
    capsys.readouterr()
    assert cli(cfg, "list") == 0
    names = [
        line.split(None, 3)[3].rsplit("  ", 1)[0] for line in capsys.readouterr().out.splitlines()
    ]
    assert sorted(names) == [
        "Breaking Bad (2008) [show: 4 episode files]",
        "Breaking Bad Breaking Bad - Behind the Scenes.mkv",
        "Breaking Bad S00E01 Good Cop Bad Cop",
        "Breaking Bad S01E01 Pilot",
        "Breaking Bad S01E04E05 Cancer Man / Gray Matter",
    ]
    assert cli(cfg, "list", "--json") == 0
    entries = {e["path"]: e for e in json.loads(capsys.readouterr().out)}
    pilot = entries[str(show / "Season 01/Breaking Bad - S01E01 - Pilot.mkv")]
    assert (pilot["kind"], pilot["title"], pilot["season"], pilot["episodes"]) == (
        "episode", "Pilot", 1, [1]
    )  # fmt: skip
    assert entries[str(show)]["title"] == "Breaking Bad"
    assert entries[str(show)]["episode_count"] == 4


def test_a_shows_episodes_gone_from_disk_are_counted_apart_in_plain_list(tv_library, capsys):
    """The Pilot's file deleted by hand: plain `list` said "[show: 4 episode files]" for three
    files on disk. It says the missing apart; `list --json`'s `episode_count` stays the episode
    items under the show (docs/interface.md), as many as the elements listed with its id."""
    cfg, show = tv_library
    cli(cfg, "scan")
    (show / "Season 01/Breaking Bad - S01E01 - Pilot.mkv").unlink()
    cli(cfg, "scan")
    capsys.readouterr()
    assert cli(cfg, "list") == 0
    lines = capsys.readouterr().out.splitlines()
    assert any("Breaking Bad (2008) [show: 3 episode files, 1 missing]  " in ln for ln in lines)
    assert cli(cfg, "list", "--json") == 0
    entries = json.loads(capsys.readouterr().out)
    (entry,) = [e for e in entries if e["kind"] == "show"]
    episodes = [e for e in entries if e.get("show_id") == entry["id"]]
    assert entry["episode_count"] == len(episodes) == 4
    assert [e["missing"] for e in episodes].count(True) == 1


def test_enrich_and_publish_all_with_nothing_to_do(tmp_path, capsys):
    """`enrich --all` before anything was identified (a new library, identification off)
    ended in a traceback, "ValueError: max_workers must be greater than 0": a pool of no
    threads for no items. Nothing to do is no failure."""
    root = tmp_path / "movies"
    (root / "Alien (1979)").mkdir(parents=True)
    cfg = tmp_path / "config.toml"
    cfg.write_text(
        f'data_dir = "{tmp_path / "data"}"\n[[library]]\nname = "Movies"\npath = "{root}"\n'
        '[providers.tmdb]\napi_key = "k"\nbase_url = "http://127.0.0.1:9/3"\n'
    )
    assert cli(cfg, "enrich", "--all") == 0
    assert cli(cfg, "publish", "--all") == 0
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize("command", [["enrich"], ["publish"], ["identify", "--tmdb", "603"]])
def test_an_item_path_that_is_not_utf8_is_a_usage_error(library, capsys, command):
    """`metarrd publish /srv/movies/Bébé (2001)/…` typed in a shell whose file names are Latin-1
    (an old NAS): a UnicodeEncodeError traceback from the database lookup. No item can have
    that path (a name that is not UTF-8 is never stored): `no item …`, exit 2."""
    cfg, root = library
    bad = os.fsdecode(os.fsencode(str(root)) + b"/B\xe9b\xe9 (2001)/B\xe9b\xe9 (2001).mkv")
    assert cli(cfg, command[0], bad, *command[1:]) == 2
    err = capsys.readouterr().err
    assert err.startswith("metarrd: no item ") and "B\\xe9b\\xe9 (2001).mkv" in err
    assert "Traceback" not in err


@pytest.mark.parametrize("args", [["list", "--json"], ["list"], ["workflow", "show"]])
def test_a_database_another_process_holds_is_one_line_not_a_traceback(
    library, capsys, monkeypatch, args
):
    """`metarrd list --json` (a script's) while the daemon, just upgraded, migrated a large
    database, holding its write lock past the busy timeout (15 s): a `peewee.OperationalError:
    database is locked` traceback. One line says what happens, exit 1; nothing on stdout for
    the script to take for a list."""
    import sqlite3

    cfg, _ = library
    assert cli(cfg, "list") == 0
    capsys.readouterr()
    monkeypatch.setitem(db.PRAGMAS, "busy_timeout", 200)  # not 15 s in a test
    other = sqlite3.connect(cfg.parent / "data" / "metarrd.db", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # the migrating daemon's write lock
    try:
        assert cli(cfg, *args) == 1
    finally:
        other.execute("ROLLBACK")
        other.close()
    out, err = capsys.readouterr()
    assert out == ""
    assert err.splitlines() == [
        "metarrd: the database is locked: another metarrd process has been writing to it for "
        "longer than 0.2 s (migrating it after an upgrade?); try again once it is done"
    ]


@pytest.mark.parametrize("args", [["list", "--json"], ["scan"]])
def test_a_database_a_newer_metarrd_migrated_is_one_line_and_exit_2(library, capsys, args):
    """The package downgraded after a newer metarrd migrated the database: every command (the
    daemon's `run` too) went on with it with no word. One line says why and what to do, exit 2
    (no retry mends it), nothing on stdout, nothing scanned."""
    import sqlite3

    cfg, _ = library
    assert cli(cfg, "list") == 0
    capsys.readouterr()
    db.database.close()
    path = cfg.parent / "data" / "metarrd.db"
    newer = db.SCHEMA_VERSION + 1
    with sqlite3.connect(path) as con:
        con.execute(f"UPDATE meta SET value = '{newer}' WHERE key = 'schema_version'")
    assert cli(cfg, *args) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.splitlines() == [
        f"metarrd: the database {path} is at schema version {newer}, newer than this metarrd's "
        f"{db.SCHEMA_VERSION}: a newer metarrd has upgraded it; run that version (or a later "
        "one), or restore a copy of the database made before the upgrade. Nothing was changed"
    ]
    with sqlite3.connect(path) as con:
        assert con.execute("SELECT count(*) FROM movies").fetchone() == (0,)


def test_a_write_that_found_the_database_written_meanwhile_is_not_said_to_be_a_long_lock(
    library, capsys, monkeypatch
):
    """SQLite says "database is locked" also, at once, for a transaction that read, then found
    the database written by another process when it came to write (its BUSY_SNAPSHOT). The
    command said "another metarrd process has been writing to it for longer than 15 s", which
    none had; it says what happened, and that running it again is the cure."""
    import sqlite3

    from metarrd import cli as cli_module

    cfg, _ = library

    def list_meanwhile_written(config, args):  # `list`'s read, then a write after another's
        cli_module._runtime(config)
        other = sqlite3.connect(cfg.parent / "data" / "metarrd.db", isolation_level=None)
        try:
            with db.database.atomic():
                db.Event.select().count()
                other.execute("INSERT INTO events (kind, message, level, data, created_at) "
                              "VALUES ('test', '', 'info', '{}', '2026-12-07 00:20:00')")  # fmt: skip
                db.Event.create(kind="test")
        finally:
            other.close()
        return 0

    monkeypatch.setitem(cli_module.COMMANDS, "list", list_meanwhile_written)
    assert cli(cfg, "list") == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err.splitlines() == [
        "metarrd: the database changed under a transaction: another process wrote to it between "
        "the transaction's read and its write (SQLite's BUSY_SNAPSHOT); nothing was kept; run "
        "the command again"
    ]


def test_a_scan_path_that_is_not_utf8_is_named_as_the_log_names_it(library, capsys):
    """`metarrd scan` of a Latin-1 path outside every library: its line said `\\udce9` (a
    surrogate Python made of the byte) where every other line says `\\xe9`; with a strict
    stderr (pytest's, a wrapper's), a UnicodeEncodeError traceback instead."""
    cfg, root = library
    bad = os.fsdecode(os.fsencode(str(root.parent)) + b"/B\xe9b\xe9 (2001)")
    assert cli(cfg, "scan", bad) == 1
    err = capsys.readouterr().err
    assert err.splitlines() == [
        f"{root.parent}/B\\xe9b\\xe9 (2001): not inside any configured library"
    ]


def test_a_relative_path_in_a_library_reached_through_a_symlink(library, capsys, monkeypatch):
    """A library configured as `/srv/media/movies`, a symlink to where the NAS mounts it: a
    user in a shell there (`cd /srv/media/movies/Heat (1995)`) typing `metarrd scan .` got
    `not inside any configured library`, and `metarrd publish "Heat (1995).mkv"` got `no item`:
    the process's working folder is the real one (/volume1/...), the shell's ($PWD) keeps the
    library's path. A relative path is read from $PWD when that is the same folder."""
    cfg, root = library
    link = cfg.parent / "srv-movies"
    link.symlink_to(root)
    cfg.write_text(cfg.read_text().replace(f'path = "{root}"', f'path = "{link}"'))
    monkeypatch.chdir(root / "Heat (1995)")
    monkeypatch.setenv("PWD", str(link / "Heat (1995)"))
    assert cli(cfg, "scan", ".") == 0, capsys.readouterr().err
    heat = db.Movie.get(db.Movie.tmdb_id == 949)
    assert heat.path == str(link / "Heat (1995)" / "Heat (1995).mkv")
    assert cli(cfg, "enrich", "Heat (1995).mkv") == 0, capsys.readouterr().err
    assert "enriched Heat (1995)" in capsys.readouterr().out

    monkeypatch.setenv("PWD", str(link / "Alien (1979)"))  # stale: another folder than "."
    assert cli(cfg, "enrich", "Heat (1995).mkv") == 2
    assert "no item" in capsys.readouterr().err


def test_list_json_says_why_an_episode_of_an_unidentified_show_is_unidentified(
    tmp_path, simulator, capsys
):
    """interface.md: an episode is `unidentified` "while its show is, or when no numbers can be
    read from its name, or the provider has no such episode: `last_error` then says which". A
    Sonarr-named episode (`Show - S01E01 - Title`) of a home-made series TMDB does not list had
    `last_error: null`: only its show said why. It now names its show and the show's reason;
    a show with no reason yet (identification has not run), that it is not identified yet."""
    tv = tmp_path / "tv"
    season = tv / "Our Garden Diaries (2019)" / "Season 1"
    season.mkdir(parents=True)
    shutil.copy2(MEDIA, season / "Our Garden Diaries - S01E01 - Spring.mkv")
    cfg = tmp_path / "config.toml"
    cfg.write_text(
        f'data_dir = "{tmp_path / "data"}"\n'
        f'[[library]]\nname = "TV"\npath = "{tv}"\nkind = "tv"\n'
        + providers_toml(simulator, fanart=False)
    )
    cli(cfg, "scan")
    capsys.readouterr()
    assert cli(cfg, "list", "--json") == 0
    entries = json.loads(capsys.readouterr().out)
    show = next(e for e in entries if e["kind"] == "show")
    episode = next(e for e in entries if e["kind"] == "episode")
    assert show["identification_status"] == episode["identification_status"] == "unidentified"
    assert "TMDB has no TV show matching 'Our Garden Diaries' (2019)" in show["last_error"]
    assert episode["last_error"] == (
        f"its show (item {show['id']}) is not identified: {show['last_error']}"
    )

    db.Movie.update(last_error=None).where(db.Movie.id == show["id"]).execute()
    assert cli(cfg, "list", "--json") == 0
    episode = next(e for e in json.loads(capsys.readouterr().out) if e["kind"] == "episode")
    assert episode["last_error"] == f"its show (item {show['id']}) is not identified yet"


def test_a_rescan_keeps_why_a_show_is_unidentified(tmp_path, simulator, capsys):
    """interface.md: a show's `last_error` says why it is unidentified. A second `metarrd scan`
    that found nothing new (the show's folder unchanged, so not identified again) set the show's
    `last_error` to its scan problems alone, `null`: the reason TMDB found no show was gone,
    and its episodes said only "its show (item N) is not identified yet"."""
    tv = tmp_path / "tv"
    season = tv / "Our Garden Diaries (2019)" / "Season 1"
    season.mkdir(parents=True)
    shutil.copy2(MEDIA, season / "Our Garden Diaries - S01E01 - Spring.mkv")
    cfg = tmp_path / "config.toml"
    cfg.write_text(
        f'data_dir = "{tmp_path / "data"}"\n'
        f'[[library]]\nname = "TV"\npath = "{tv}"\nkind = "tv"\n'
        + providers_toml(simulator, fanart=False)
    )
    reason = "TMDB has no TV show matching 'Our Garden Diaries' (2019)"
    for _ in range(2):
        cli(cfg, "scan")
        capsys.readouterr()
        assert cli(cfg, "list", "--json") == 0
        entries = json.loads(capsys.readouterr().out)
        show = next(e for e in entries if e["kind"] == "show")
        episode = next(e for e in entries if e["kind"] == "episode")
        assert show["identification_status"] == "unidentified"
        assert show["last_error"] == reason
        assert episode["last_error"] == f"its show (item {show['id']}) is not identified: {reason}"


def test_a_tvshow_nfo_added_to_an_unidentified_show_identifies_it_at_the_next_scan(
    tmp_path, simulator, capsys
):
    """interface.md: a show is identified by its folder's id tags, then an existing
    `tvshow.nfo`, then a search; `scan` identifies new and changed items. A show TMDB's search
    did not find, given a tvshow.nfo by the user (tinyMediaManager's), took the NFO's title at
    the next `metarrd scan` but stayed unidentified: the scan read the NFO and did not count the
    show as changed, so nothing identified it again (nor did the daemon's watcher)."""
    tv = tmp_path / "tv"
    show_dir = tv / "BrBa (2008)"
    (show_dir / "Season 1").mkdir(parents=True)
    shutil.copy2(MEDIA, show_dir / "Season 1" / "BrBa - S01E01 - Pilot.mkv")
    cfg = tmp_path / "config.toml"
    cfg.write_text(
        f'data_dir = "{tmp_path / "data"}"\n'
        f'[[library]]\nname = "TV"\npath = "{tv}"\nkind = "tv"\n'
        + providers_toml(simulator, fanart=False)
    )
    cli(cfg, "scan")
    assert "TMDB has no TV show matching 'BrBa' (2008)" in capsys.readouterr().out
    (show_dir / "tvshow.nfo").write_text(
        '<?xml version="1.0" encoding="UTF-8" standalone="yes" ?>\n'
        "<!--created on 2024-03-02 18:11:40 - tinyMediaManager 5.0.2-->\n"
        "<tvshow>\n  <title>Breaking Bad</title>\n  <year>2008</year>\n"
        '  <uniqueid default="true" type="tmdb">1396</uniqueid>\n</tvshow>\n'
    )
    assert cli(cfg, "scan") == 0, capsys.readouterr().err
    capsys.readouterr()
    assert cli(cfg, "list", "--json") == 0
    entries = json.loads(capsys.readouterr().out)
    show = next(e for e in entries if e["kind"] == "show")
    episode = next(e for e in entries if e["kind"] == "episode")
    assert (show["identification_status"], show["tmdb_id"], show["last_error"]) == (
        "identified",
        1396,
        None,
    )
    assert (episode["identification_status"], episode["tmdb_id"]) == ("identified", 896547)


def test_a_scan_failure_line_names_an_episode_file_once(tmp_path, simulator, capsys):
    """interface.md: each failure is one line on stderr naming the item and the reason. An
    episode file whose name holds no numbers was named twice, its path and then its name again
    (`…/Season 01/behind the scenes.mkv: behind the scenes.mkv: no season and episode
    numbers…`): the reason, which starts with the file's name for `list --json` and the UI,
    was printed after the path as it stood."""
    tv = tmp_path / "tv"
    season = tv / "Breaking Bad (2008)" / "Season 01"
    season.mkdir(parents=True)
    shutil.copy2(MEDIA, season / "Breaking Bad - S01E01 - Pilot.mkv")
    shutil.copy2(MEDIA, season / "behind the scenes.mkv")
    cfg = tmp_path / "config.toml"
    cfg.write_text(
        f'data_dir = "{tmp_path / "data"}"\n'
        f'[[library]]\nname = "TV"\npath = "{tv}"\nkind = "tv"\n'
        + providers_toml(simulator, fanart=False)
    )
    assert cli(cfg, "scan") == 1
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"{season / 'behind the scenes.mkv'}: no season and episode numbers")


def test_python_dash_m_metarrd_is_the_command_line(library):
    """`python -m metarrd list` (from a checkout, or a virtualenv whose bin/ is not on PATH) said "No module named metarrd.__main__" and exited
    1, whatever the command: it runs the `metarrd` command line, exit statuses included."""
    cfg, _ = library
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    run = [sys.executable, "-m", "metarrd", "--config", str(cfg)]
    done = subprocess.run([*run, "list", "--json"], capture_output=True, text=True, env=env)
    assert (done.returncode, json.loads(done.stdout)) == (0, []), done.stderr
    done = subprocess.run([*run, "enrich"], capture_output=True, text=True, env=env)
    assert done.returncode == 2 and "give at least one ITEM, or --all" in done.stderr


def test_enrich_of_two_episodes_fails_only_the_one_matched_to_no_episode(
    tmp_path, simulator, capsys
):
    """`metarrd enrich 5 7`, episode 5 Sonarr's `Breaking Bad - S01E01 - Pilot.mkv` and 7 a
    file numbered past the season's end (`S01E99`, TMDB has no such episode): episode 5 was
    enriched, then reported failed with 7's reason ("item 5 (…S01E01…): cannot enrich: matched
    to no episode of its show (TMDB has no episode S01E99 …)"), recorded as its last_error.
    interface.md: a failure is a line naming the item that failed; the others go on."""
    season = tmp_path / "tv" / "Breaking Bad (2008)" / "Season 1"
    season.mkdir(parents=True)
    shutil.copy2(MEDIA, season / "Breaking Bad - S01E01 - Pilot.mkv")
    shutil.copy2(MEDIA, season / "Breaking Bad - S01E99.mkv")
    cfg = tmp_path / "config.toml"
    cfg.write_text(
        f'data_dir = "{tmp_path / "data"}"\n'
        f'[[library]]\nname = "TV"\npath = "{tmp_path / "tv"}"\nkind = "tv"\n'
        + providers_toml(simulator, fanart=False)
    )
    cli(cfg, "scan")
    pilot = db.Movie.get(db.Movie.path.endswith("S01E01 - Pilot.mkv"))
    unknown = db.Movie.get(db.Movie.path.endswith("S01E99.mkv"))
    assert unknown.last_error == "TMDB has no episode S01E99 of Breaking Bad"
    capsys.readouterr()
    assert cli(cfg, "enrich", str(pilot.id), str(unknown.id)) == 1
    out, err = capsys.readouterr()
    assert err.splitlines() == [
        f"item {unknown.id} ({unknown.path}): cannot enrich: matched to no episode of its show "
        "(TMDB has no episode S01E99 of Breaking Bad)"
    ]
    assert out.startswith(f"item {pilot.id}: enriched Breaking Bad (2008)")
    pilot = db.Movie.get_by_id(pilot.id)
    assert (pilot.identification_status, pilot.last_error) == ("enriched", None)


def test_a_file_name_with_a_line_break_is_one_line_on_stderr_and_stdout(library, capsys):
    """A Linux file name may hold a newline (hostile, or a paste into a file manager): its
    failure line, "one line naming the item and the reason" (interface.md), became two, and a
    script reading stderr line by line read a forged `item 1 (forged): …`; `unidentified:`
    and plain `list` lines likewise. Its control characters are written as escapes (`\\n`), as
    every log line writes them (metarrd/logs.py); `list --json` keeps the name as it is."""
    cfg, root = library
    name = "Zzz Unknown\nitem 1 (forged): ok (2004)"
    (root / name).mkdir()
    shutil.copy2(MEDIA, root / name / f"{name}.mkv")
    assert cli(cfg, "scan", str(root / name)) == 0
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 2 and out[0].startswith("unidentified: item 1 (") and "\\n" in out[0]
    assert cli(cfg, "enrich", "1") == 1
    err = capsys.readouterr().err.splitlines()
    assert err == [f"item 1 ({root}/Zzz Unknown\\nitem 1 (forged): ok (2004)/Zzz Unknown\\n"
                   "item 1 (forged): ok (2004).mkv): not identified yet: choose its movie first"]  # fmt: skip
    assert cli(cfg, "list") == 0
    assert len(capsys.readouterr().out.splitlines()) == 1
    assert cli(cfg, "list", "--json") == 0
    assert json.loads(capsys.readouterr().out)[0]["path"] == str(root / name / f"{name}.mkv")


def test_a_publish_refused_before_enrich_keeps_the_items_own_reason(library, capsys):
    """`publish ITEM` of an item not enriched is refused (exit 1, one line) and is no failure
    of the item's: an unidentified movie's `last_error` said why TMDB found nothing, and the
    refusal replaced it with "cannot publish: not enriched yet (…; run `metarrd enrich 3`
    first)", advice that cannot help an unidentified item, and the line named the item twice
    (`item 3 (path): item 3 (Title): …`)."""
    cfg, _ = library
    cli(cfg, "scan")
    unknown = db.Movie.get(db.Movie.title.contains("Nobody Knows"))
    assert unknown.identification_status == "unidentified" and unknown.last_error
    why = unknown.last_error
    capsys.readouterr()
    assert cli(cfg, "publish", str(unknown.id)) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].count(f"item {unknown.id} ") == 1
    assert f"metarrd identify {unknown.id} --tmdb ID" in err[0] and "metarrd enrich" not in err[0]
    assert db.Movie.get_by_id(unknown.id).last_error == why
    assert cli(cfg, "list", "--json") == 0
    entry = next(e for e in json.loads(capsys.readouterr().out) if e["id"] == unknown.id)
    assert entry["last_error"] == why


def test_demo_takes_a_new_or_empty_dir_or_its_own_again(tmp_path):
    """`metarrd demo --dir PATH` picks up where it was (docs/failure-modes.md): a folder whose
    config.toml the demo wrote is its own."""
    from metarrd.demo import config_text, foreign_dir

    class Sim:  # what config_text reads of the simulator
        url = tmdb_url = fanart_url = tvdb_url = "http://127.0.0.1:8788"
        tmdb_key = fanart_key = tvdb_key = "k"

    assert foreign_dir(tmp_path / "new") is None
    (tmp_path / "empty").mkdir()
    assert foreign_dir(tmp_path / "empty") is None
    (tmp_path / "again" / "movies").mkdir(parents=True)
    (tmp_path / "again" / "config.toml").write_text(config_text(tmp_path / "again", Sim, 8787))
    assert foreign_dir(tmp_path / "again") is None


def _without_dac(*args: str) -> list[str] | None:
    """`args` run as root without CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH (`setpriv`): modes
    refuse as they refuse any user (a folder 0700 of another user, a file of mode 000); None
    where that cannot be done here."""
    setpriv = shutil.which("setpriv")
    if os.geteuid() != 0 or setpriv is None:
        return None
    caps = "-dac_override,-dac_read_search"
    command = [setpriv, f"--bounding-set={caps}", f"--inh-caps={caps}", *args]
    probe = subprocess.run([*command[:-len(args)], "cat", "/proc/self/status"],
                           capture_output=True, text=True, check=False)  # fmt: skip
    return command if probe.returncode == 0 else None


def test_a_scan_without_the_right_to_look_everywhere_scans_the_rest(tmp_path, simulator):
    """A real scan as a user who may not look everywhere (a NAS share of several users): a
    movie folder Radarr made 0700 as another user, a show folder and a season folder so, an
    episode file and a movie.nfo of mode 000. Each is one line naming it; nothing is missing,
    no traceback, the rest is scanned; once the modes are fixed, what could not be read is."""
    movies, tv = tmp_path / "movies", tmp_path / "tv"
    files = [
        movies / "Heat (1995)/Heat (1995).mkv", movies / "Alien (1979)/Alien (1979).mkv",
        movies / "Ronin (1998)/Ronin (1998).mkv",
        tv / "Lost (2004)/Season 01/Lost - S01E01 - Pilot.mkv",
        tv / "Dexter (2006)/Season 01/Dexter - S01E01 - Dexter.mkv",
        tv / "Dexter (2006)/Season 02/Dexter - S02E01 - It's Alive.mkv",
    ]  # fmt: skip
    for path in files:
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(MEDIA, path)
    (movies / "Ronin (1998)/movie.nfo").write_text("<movie><plot>Mine.</plot></movie>")
    cfg = tmp_path / "config.toml"
    cfg.write_text(
        f'data_dir = "{tmp_path / "data"}"\n'
        f'[[library]]\nname = "Movies"\npath = "{movies}"\n'
        f'[[library]]\nname = "TV"\npath = "{tv}"\nkind = "tv"\n'
        + providers_toml(simulator, fanart=False)
    )
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    command = _without_dac(sys.executable, "-m", "metarrd", "--config", str(cfg), "scan")
    if command is None:
        pytest.skip("setpriv cannot drop CAP_DAC_OVERRIDE here")

    def run() -> subprocess.CompletedProcess:
        return subprocess.run(command, capture_output=True, text=True, env=env, check=False)

    assert run().returncode == 0
    shutil.copy2(MEDIA, tv / "Dexter (2006)/Season 01/Dexter - S01E02 - Crocodile.mkv")
    unreadable = [
        movies / "Alien (1979)", tv / "Lost (2004)", tv / "Dexter (2006)/Season 02",
        tv / "Dexter (2006)/Season 01/Dexter - S01E02 - Crocodile.mkv",
        movies / "Ronin (1998)/movie.nfo",
    ]  # fmt: skip
    (movies / "Ronin (1998)/movie.nfo").write_text("<movie><plot>Mine, edited.</plot></movie>")
    for path in unreadable:
        path.chmod(0)
    try:
        done = run()
        again = run()
    finally:
        for path in unreadable:
            path.chmod(0o755 if path.is_dir() else 0o644)
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    lines = done.stderr.splitlines()
    assert f"{movies / 'Alien (1979)'}: permission denied" in lines
    assert f"{tv / 'Lost (2004)'}: cannot list the folder (Permission denied)" in lines
    assert f"{tv / 'Dexter (2006)/Season 02'}: cannot list the folder (Permission denied)" in lines
    assert any(line.startswith(str(unreadable[3])) for line in lines), lines
    assert f"{unreadable[4]}: cannot be read (Permission denied)" in lines  # the edited NFO
    assert "1 new" in done.stdout and "0 missing" in done.stdout, done.stdout
    assert "0 new, 0 changed, 0 moved, 0 missing" in again.stdout, again.stdout
    fixed = run()
    assert fixed.returncode == 0, fixed.stderr
    # Crocodile, and Ronin whose edited NFO the full rescan takes in now it can be read
    assert "2 changed" in fixed.stdout and "0 missing" in fixed.stdout, fixed.stdout


def test_a_folder_renamed_by_hand_found_by_metarrd_scan_is_queued_for_the_players(library):
    """`Heat (1995)/` renamed by hand, then `metarrd scan` (no daemon watching): the item
    follows its file and stays as it was published (our files went along), so no publish
    comes to tell Kodi, which was told about the old folder. The scan queues the notification
    of the new path itself, as the daemon's scan job does (the daemon sends it)."""
    cfg, root = library
    cfg.write_text(
        cfg.read_text() + '[[player]]\nname = "Kodi"\ntype = "kodi"\n'
        'url = "http://127.0.0.1:9"\nlibraries = ["Movies"]\n'
    )
    assert cli(cfg, "scan") == 0
    heat = db.Movie.get(db.Movie.path.endswith("Heat (1995).mkv"))
    kodi = db.MediaPlayer.get(db.MediaPlayer.name == "Kodi")
    db.PlayerNotification.create(player=kodi, movie=heat, path=heat.path, state="sent")
    moved = root / "Heat (1995) [1080p]"
    (root / "Heat (1995)").rename(moved)

    assert cli(cfg, "scan") == 0

    assert db.Movie.get_by_id(heat.id).path == str(moved / "Heat (1995).mkv")
    rows = db.PlayerNotification.select().order_by(db.PlayerNotification.id)
    assert [(r.path, r.state) for r in rows] == [
        (heat.path, "sent"),
        (str(moved / "Heat (1995).mkv"), "pending"),
    ]


DVD = ("VIDEO_TS/VIDEO_TS.IFO", "VIDEO_TS/VTS_01_0.IFO", "VIDEO_TS/VTS_01_1.VOB")


def _put_movies(root: Path) -> None:
    """Beside the fixture's three: a DVD's VIDEO_TS structure, and a movie split into `CD1/`
    and `CD2/` folders (Kodi's folder stacking), as walk.py models them."""
    for rel in DVD:
        (root / "Blade Runner (1982)" / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(MEDIA.parent / "mpeg2_mp2.mpg", root / "Blade Runner (1982)" / rel)
    for part in ("CD1", "CD2"):
        (root / "The Matrix (1999)" / part).mkdir(parents=True)
        shutil.copy2(MEDIA, root / "The Matrix (1999)" / part / "The Matrix (1999).mkv")


def test_a_movies_folder_names_that_movie(library, capsys, monkeypatch):
    """`metarrd enrich "/media/Movies/Heat (1995)"` (a shell's completion stops at the folder;
    tinyMediaManager and MediaElch name a movie by its folder) said `no item`, exit 2: only the
    video file's path was looked up. A movie's folder names it, with a trailing slash, read
    from $PWD, behind a quoted `~/`; a disc's folder and its VIDEO_TS, a stack's folder and
    each of its CD folders name the one movie they hold."""
    cfg, root = library
    _put_movies(root)
    assert cli(cfg, "scan") == 0, capsys.readouterr().err
    heat = db.Movie.get(db.Movie.tmdb_id == 949)
    disc = db.Movie.get(db.Movie.is_disc)
    stack = db.Movie.get(db.Movie.path.contains("CD1"))
    assert len(stack.parts) == 2
    for spec, item in [
        (f"{root}/Heat (1995)", heat),
        (f"{root}/Heat (1995)/", heat),
        (f"{root}/Blade Runner (1982)", disc),
        (f"{root}/Blade Runner (1982)/VIDEO_TS/", disc),
        (f"{root}/The Matrix (1999)", stack),
        (f"{root}/The Matrix (1999)/CD1", stack),
        (f"{root}/The Matrix (1999)/CD2", stack),
    ]:
        assert resolve_item(spec).id == item.id, spec

    monkeypatch.chdir(root)
    monkeypatch.setenv("PWD", str(root))
    capsys.readouterr()
    assert cli(cfg, "enrich", "Heat (1995)/") == 0, capsys.readouterr().err
    assert capsys.readouterr().out.startswith(f"item {heat.id}: enriched Heat (1995)")
    monkeypatch.chdir(root / "Heat (1995)")
    monkeypatch.setenv("PWD", str(root / "Heat (1995)"))
    assert cli(cfg, "publish", ".") == 0, capsys.readouterr().err
    assert (root / "Heat (1995)" / "Heat (1995).nfo").read_bytes().startswith(b"<?xml")


def test_a_folder_of_several_movies_names_none_of_them(library, capsys):
    """The library root or a category folder holds several movies: none is picked. Exit 2,
    saying how many and showing a few, and that `--all` (where the command takes it) or one of
    them is what to give; nothing is enriched."""
    cfg, root = library
    _put_movies(root)
    (root / "Sci-Fi").mkdir()
    for name in ("Inception (2010)", "Dune (2021)"):
        (root / "Sci-Fi" / name).mkdir()
        shutil.copy2(MEDIA, root / "Sci-Fi" / name / f"{name}.mkv")
    assert cli(cfg, "scan") == 0, capsys.readouterr().err
    capsys.readouterr()
    dune = db.Movie.get(db.Movie.path.contains("Dune"))
    inception = db.Movie.get(db.Movie.path.contains("Inception"))

    assert cli(cfg, "enrich", f"{root}/Sci-Fi/") == 2
    out, err = capsys.readouterr()
    assert (out, err) == (
        "",
        f"metarrd: '{root}/Sci-Fi/' holds 2 movies, not one: give --all or one of them: "
        f"item {dune.id} {dune.path}, item {inception.id} {inception.path}\n",
    )
    assert cli(cfg, "publish", str(root)) == 2
    err = capsys.readouterr().err
    assert f"'{root}' holds 7 movies, not one: give --all or one of them: item " in err
    assert err.count(f" {root}/") == 3 and err.endswith(", and 4 more (`metarrd list`)\n")
    assert cli(cfg, "identify", str(root / "Sci-Fi"), "--tmdb", "27205") == 2
    assert "not one: give one of them: item " in capsys.readouterr().err
    assert not db.Movie.select().where(db.Movie.identification_status == "enriched").exists()


def test_a_folder_outside_every_library_is_still_no_item(library, capsys):
    cfg, root = library
    assert cli(cfg, "scan") == 0
    elsewhere = cfg.parent / "downloads" / "Heat (1995)"
    elsewhere.mkdir(parents=True)
    shutil.copy2(MEDIA, elsewhere / "Heat.1995.1080p.BluRay.x264-AMIABLE.mkv")
    capsys.readouterr()
    assert cli(cfg, "enrich", str(elsewhere)) == 2
    assert capsys.readouterr().err == (
        f"metarrd: no item '{elsewhere}' (give an id from `metarrd list`, a video file path or its folder)\n"
    )


def test_a_latin1_folder_is_no_item_as_its_video_file_is(library, capsys):
    """The folder of `test_an_item_path_that_is_not_utf8_is_a_usage_error`'s file: `no item`
    with its name as the log writes it, not a traceback from the folder's lookup."""
    cfg, root = library
    bad = os.fsdecode(os.fsencode(str(root)) + b"/B\xe9b\xe9 (2001)")
    os.mkdir(bad)
    shutil.copy2(MEDIA, os.path.join(bad, "movie.mkv"))
    cli(cfg, "scan")
    capsys.readouterr()
    assert cli(cfg, "enrich", bad + "/") == 2
    err = capsys.readouterr().err
    assert (
        err
        == f"metarrd: no item '{root}/B\\xe9b\\xe9 (2001)/' (give an id from `metarrd list`, a video file path or its folder)\n"
    )


def test_a_show_or_season_folder_names_that_show_or_season(tv_library, capsys, monkeypatch):
    """`metarrd enrich "Breaking Bad (2008)/Season 01"`: the season of the episodes in it (a
    season's enrich and publish cover its show, docs/interface.md §7); `Specials` season 0;
    the show's folder the show. The library root of two shows names neither; an empty season
    folder Sonarr made ahead says what to give instead."""
    cfg, show_dir = tv_library
    firefly = show_dir.parent / "Firefly (2002)"
    firefly.mkdir()
    shutil.copy2(MEDIA, firefly / "Firefly - S01E01 - Serenity.mkv")
    (show_dir / "Season 02").mkdir()
    cli(cfg, "scan")  # the special without numbers is said on stderr
    show = db.Movie.get(db.Movie.path == str(show_dir))
    assert resolve_item(f"{show_dir}/").id == show.id
    season = resolve_item(f"{show_dir}/Season 01")
    assert (season.kind, season.show_id, season.season) == ("season", show.id, 1)
    specials = resolve_item(f"{show_dir}/Specials/")
    assert (specials.kind, specials.show_id, specials.season) == ("season", show.id, 0)

    monkeypatch.chdir(show_dir)
    monkeypatch.setenv("PWD", str(show_dir))
    capsys.readouterr()
    assert cli(cfg, "enrich", "Season 01") == 0, capsys.readouterr().err
    out = capsys.readouterr().out  # the season's item, the whole show enriched
    assert out.startswith(f"item {season.id}: enriched Breaking Bad (2008): 2 seasons, 3 ")
    assert cli(cfg, "identify", "Season 01", "--tmdb", "1396") == 2
    assert f"identify its show (item {show.id})" in capsys.readouterr().err

    assert cli(cfg, "enrich", "Season 02") == 2
    assert capsys.readouterr().err == (
        f"metarrd: no item 'Season 02': show item {show.id} (Breaking Bad (2008)) has no episode "
        "metarrd knows there (a new one? `metarrd scan` it first); give the show (item "
        f"{show.id} or its folder {show_dir}), or one episode's file\n"
    )
    # a file in the show that is no item (an NFO, an episode not scanned yet): not a "folder"
    assert cli(cfg, "enrich", "Season 01/Breaking Bad - S01E02 - Cat's in the Bag....mkv") == 2
    assert capsys.readouterr().err.startswith(
        'metarrd: no item "Season 01/Breaking Bad - S01E02 - Cat\'s in the Bag....mkv": show '
        f"item {show.id} (Breaking Bad (2008)) has no episode metarrd knows there (a new one? "
    )
    assert cli(cfg, "publish", "..") == 2
    err = capsys.readouterr().err
    assert err.startswith("metarrd: '..' holds 2 shows, not one: give --all or one of them: ")
    assert f" {show_dir}, item " in err and err.endswith(f" {firefly}\n")


def test_a_quoted_tilde_is_the_home_folder(library, capsys, monkeypatch):
    """`metarrd enrich "~/Movies/Heat (1995)"`: a name with spaces is quoted, and a shell
    expands no `~` in quotes, so the command got it as it was and looked for a folder `~` in
    the working folder: `no item`. `~/` is the home folder, for an ITEM and a scan PATH alike;
    `./~` still names a folder called `~`."""
    cfg, root = library
    monkeypatch.setenv("HOME", str(root.parent))
    assert cli(cfg, "scan", "~/movies/Heat (1995)") == 0, capsys.readouterr().err
    heat = db.Movie.get(db.Movie.tmdb_id == 949)
    assert [m.id for m in db.Movie.select()] == [heat.id]
    assert resolve_item("~/movies/Heat (1995)/Heat (1995).mkv").id == heat.id
    assert resolve_item("~/movies/Heat (1995)/").id == heat.id
    (root / "Heat (1995)" / "~").mkdir()
    monkeypatch.chdir(root / "Heat (1995)")
    monkeypatch.setenv("PWD", str(root / "Heat (1995)"))
    with pytest.raises(UsageError, match=r"no item '\./~/movies"):
        resolve_item("./~/movies/Heat (1995)")


def test_a_movies_folder_in_a_library_reached_through_a_symlink(library, capsys, monkeypatch):
    """`cd /srv/media/movies` (a symlink to the NAS's mount), `metarrd enrich "Heat (1995)"`,
    or `.` from inside it: its folder read from $PWD as a video file's path is, so the
    library's path, not the real one that no item has."""
    cfg, root = library
    link = cfg.parent / "srv-movies"
    link.symlink_to(root)
    cfg.write_text(cfg.read_text().replace(f'path = "{root}"', f'path = "{link}"'))
    assert cli(cfg, "scan") == 0, capsys.readouterr().err
    heat = db.Movie.get(db.Movie.tmdb_id == 949)
    assert heat.path == str(link / "Heat (1995)" / "Heat (1995).mkv")
    monkeypatch.chdir(root)
    monkeypatch.setenv("PWD", str(link))
    assert resolve_item("Heat (1995)/").id == heat.id
    monkeypatch.chdir(root / "Heat (1995)")
    monkeypatch.setenv("PWD", str(link / "Heat (1995)"))
    assert resolve_item(".").id == heat.id
    with pytest.raises(UsageError, match=r"holds 3 movies, not one: give one of them: item"):
        resolve_item("..")


def test_a_folder_of_several_seasons_in_a_show_says_to_give_the_show(tv_library, capsys):
    """A season pack's release folder left in the show's (`Breaking.Bad.S01-S02…-ROVERS/`):
    the episodes of two seasons, no one season. The show is what to give, and it says so."""
    cfg, show_dir = tv_library
    pack = show_dir / "Breaking.Bad.S01-S02.1080p.BluRay.x264-ROVERS"
    pack.mkdir()
    for name in ("Breaking.Bad.S01E02.1080p.BluRay.x264-ROVERS.mkv",
                 "Breaking.Bad.S02E01.1080p.BluRay.x264-ROVERS.mkv"):  # fmt: skip
        shutil.copy2(MEDIA, pack / name)
    cli(cfg, "scan")
    show = db.Movie.get(db.Movie.path == str(show_dir))
    assert db.Movie.select().where(db.Movie.path.startswith(str(pack))).count() == 2
    capsys.readouterr()
    assert cli(cfg, "publish", str(pack)) == 2
    assert capsys.readouterr().err == (
        f"metarrd: '{pack}' holds episodes of seasons 1, 2 of show item {show.id} (Breaking Bad "
        f"(2008)): give the show (item {show.id} or its folder {show_dir}), or one episode's "
        "file\n"
    )


def _nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


def test_an_item_typed_in_the_other_unicode_normalisation_is_that_item(library, capsys):
    """A Mac's share holds "Amélie (2001)" decomposed (NFD), a keyboard types it composed (NFC),
    or the reverse: `metarrd publish "…/Amélie (2001)"` said `no item`, exit 2, though the item
    is there. The one item its name means under either normalisation is it."""
    cfg, root = library
    amelie = root / _nfd("Amélie (2001)")
    amelie.mkdir()
    shutil.copy2(MEDIA, amelie / _nfd("Amélie (2001).mkv"))
    leon = root / "Léon (1994)"  # NFC on disk, typed NFD (pasted from a Mac's Finder)
    leon.mkdir()
    shutil.copy2(MEDIA, leon / "Léon (1994).mkv")
    cli(cfg, "scan")
    stored = db.Movie.get(db.Movie.path == str(amelie / _nfd("Amélie (2001).mkv")))
    other = db.Movie.get(db.Movie.path == str(leon / "Léon (1994).mkv"))
    for spec, item in [
        (f"{root}/Amélie (2001)/Amélie (2001).mkv", stored),
        (f"{root}/Amélie (2001)", stored),
        (f"{root}/Amélie (2001)/", stored),
        (_nfd(f"{root}/Léon (1994)/Léon (1994).mkv"), other),
        (_nfd(f"{root}/Léon (1994)"), other),
    ]:
        assert resolve_item(spec).id == item.id, ascii(spec)
    capsys.readouterr()
    assert cli(cfg, "identify", f"{root}/Amélie (2001)", "--tmdb", "949") == 0
    assert db.Movie.get_by_id(stored.id).tmdb_id == 949, capsys.readouterr().err


def _two_leons_scanned(cfg, root) -> None:
    """Two folders "Léon (1994)" side by side, one spelled NFC and one NFD, scanned."""
    for form in ("NFC", "NFD"):
        folder = root / unicodedata.normalize(form, "Léon (1994)")
        folder.mkdir()
        shutil.copy2(MEDIA, folder / unicodedata.normalize(form, "Léon (1994).mkv"))
    cli(cfg, "scan")


def test_a_path_two_items_spell_the_same_but_for_normalisation_names_neither(library, capsys):
    """Two folders "Léon (1994)" side by side, one NFC and one NFD (a Linux disk keeps both, a
    copy from a Mac beside the NAS's own): a path typed in neither spelling (the folder typed,
    NFC, the file name pasted from a Mac's Finder, NFD) means either; a usage error shows each
    with its form and an item to give instead, never one picked. Typed as one of them is
    spelled, byte for byte (a shell's completion, `list --json`'s path), it is that one."""
    cfg, root = library
    _two_leons_scanned(cfg, root)
    composed = db.Movie.get(db.Movie.path == f"{root}/Léon (1994)/Léon (1994).mkv")
    decomposed = db.Movie.get(db.Movie.path == _nfd(f"{root}/Léon (1994)/Léon (1994).mkv"))
    assert resolve_item(composed.path).id == composed.id
    assert resolve_item(decomposed.path).id == decomposed.id
    capsys.readouterr()
    mixed = f"{root}/Léon (1994)/" + _nfd("Léon (1994).mkv")
    assert cli(cfg, "publish", mixed) == 2
    err = capsys.readouterr().err
    each = sorted(  # by item id: which the scan met first is the file system's listing order
        [(composed.id, "composed, NFC"), (decomposed.id, "decomposed, NFD")]
    )
    shown = "; ".join(
        f"{(composed if i == composed.id else decomposed).path} ({form}: item {i})"
        for i, form in each
    )
    assert err.splitlines() == [
        f"metarrd: {mixed!r} is spelled 2 ways in the library, their names the same but for "
        f"their Unicode normalisation: {shown}; give the item's id from `metarrd list`"
    ]


def test_a_scan_path_typed_in_the_other_unicode_normalisation_scans_it(library, capsys):
    """`metarrd scan "…/Amélie (2001)"` typed NFC, the NAS holding the folder NFD: the path
    was not there, so it was scanned as a folder gone (`scanned 0 videos`, exit 0), the new
    film never found. It is the folder as the disk spells it. A name spelled on disk twice the
    same but for its normalisation (Vietnamese "Mùa hè chiều thẳng đứng": NFC and NFD, typed on
    a Windows Vietnamese keyboard, whose "ẳ" is "ă" and a combining hook, neither) is not
    guessed: one line says so, that PATH is not scanned, the others are."""
    cfg, root = library
    amelie = root / _nfd("Amélie (2001)")
    amelie.mkdir()
    shutil.copy2(MEDIA, amelie / _nfd("Amélie (2001).mkv"))
    title = "Mùa hè chiều thẳng đứng (2000)"
    for form in ("NFC", "NFD"):
        folder = root / unicodedata.normalize(form, title)
        folder.mkdir()
        shutil.copy2(MEDIA, folder / unicodedata.normalize(form, f"{title}.mkv"))
    typed = title.replace("ẳ", "ă\u0309")
    assert unicodedata.normalize("NFC", typed) == title and typed not in (title, _nfd(title))
    assert cli(cfg, "scan", f"{root}/Amélie (2001)", f"{root}/{typed}") == 1
    out, err = capsys.readouterr()
    assert out.startswith("scanned 1 video: 1 new,"), out
    assert db.Movie.get_or_none(db.Movie.path == str(amelie / _nfd("Amélie (2001).mkv")))
    names = sorted(unicodedata.normalize(form, title) for form in ("NFC", "NFD"))
    assert err.splitlines() == [
        f"{f'{root}/{typed}'!r} names 2 entries of {root} whose names are the same but for "
        f"their Unicode normalisation ({', '.join(ascii(n) for n in names)}); scan the folder "
        "that holds them; not scanned"
    ]


@pytest.mark.parametrize("deleted", ["folder", "file"])
def test_a_scan_path_deleted_by_hand_marks_its_item_missing(library, capsys, deleted):
    """`metarrd scan "/movies/Heat (1995)"` after the user deleted that folder (or its video):
    the walk said `folder not found`, exit 1, and the item stayed as if it were there, though
    a full scan marks it missing. Its item is marked missing, its data kept, as the daemon's
    scan of a folder the watcher saw go marks it; a line says so; the others are untouched."""
    cfg, root = library
    cli(cfg, "scan")
    heat = root / "Heat (1995)"
    item = db.Movie.get(db.Movie.path == str(heat / "Heat (1995).mkv"))
    db.Movie.update(tmdb_id=949).where(db.Movie.id == item.id).execute()
    path = heat if deleted == "folder" else heat / "Heat (1995).mkv"
    shutil.rmtree(heat) if deleted == "folder" else path.unlink()
    capsys.readouterr()
    assert cli(cfg, "scan", str(path)) == 0
    out, err = capsys.readouterr()
    assert err == ""
    assert out.splitlines()[0] == f"{path} is gone: 1 item marked missing, data kept"
    assert "0 new, 0 changed, 0 moved, 1 missing, 0 unchanged" in out
    assert [m.id for m in db.Movie.select().where(db.Movie.missing)] == [item.id]
    assert db.Movie.get_by_id(item.id).tmdb_id == 949
    (listed,) = [m for m in _listed(cfg, capsys) if m["id"] == item.id]
    assert listed["missing"] is True and listed["tmdb_id"] == 949


def _listed(cfg: Path, capsys) -> list[dict]:
    capsys.readouterr()
    assert cli(cfg, "list", "--json") == 0
    return json.loads(capsys.readouterr().out)


@pytest.mark.parametrize("deleted", ["show", "season", "episode"])
def test_a_show_season_or_episode_deleted_by_hand_is_marked_missing(tv_library, capsys, deleted):
    """`metarrd scan "/tv/Breaking Bad (2008)"` after the show's folder was deleted said
    `scanned 0 videos`, exit 0, and marked nothing: the show and its episodes stayed. What
    was there is missing, as a full scan makes it."""
    cfg, show = tv_library
    other = show.parent / "The Wire (2002)" / "Season 01" / "The Wire - S01E01 - The Target.mkv"
    other.parent.mkdir(parents=True)  # the root keeps a show: no share taken for unmounted
    shutil.copy2(MEDIA, other)
    cli(cfg, "scan")
    path = {
        "show": show,
        "season": show / "Season 01",
        "episode": show / "Season 01" / "Breaking Bad - S01E01 - Pilot.mkv",
    }[deleted]
    shutil.rmtree(path) if path.is_dir() else path.unlink()
    capsys.readouterr()
    assert cli(cfg, "scan", str(path)) == 0, capsys.readouterr().err
    episodes = {m.path: m.missing for m in db.Movie.select().where(db.Movie.kind == db.EPISODE)}
    assert {p for p, missing in episodes.items() if missing} == {
        p for p in episodes if is_inside(p, str(path))
    }
    shown = db.Movie.get(db.Movie.kind == db.SHOW, db.Movie.path == str(show))
    assert shown.missing is (deleted == "show")
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize("stack", ["files", "folders"])
def test_a_scan_path_of_a_deleted_second_part_rescans_its_movie(library, capsys, stack):
    """`Magnolia (1999) cd1.avi` and `cd2.avi` (or `CD1/`, `CD2/` folders: Kodi's folder
    stacking) are one item, named by its first part. The user deleted `cd2` and ran `metarrd
    scan` on it: "not there, and no item was known there; not scanned", exit 1. The movie it
    belonged to is scanned: it stays, with one part."""
    cfg, root = library
    parts = two_cd_rip(root / "Magnolia (1999)", stack)
    cli(cfg, "scan")
    item = db.Movie.get(db.Movie.path == str(parts[0]))
    assert item.parts == list(map(str, parts))
    gone = parts[1] if stack == "files" else parts[1].parent
    shutil.rmtree(gone) if gone.is_dir() else gone.unlink()
    capsys.readouterr()
    assert cli(cfg, "scan", str(gone)) == 0
    out, err = capsys.readouterr()
    assert err == ""
    assert "scanned 1 video: 0 new, 1 changed, 0 moved, 0 missing, 0 unchanged" in out
    item = db.Movie.get_by_id(item.id)
    assert not item.missing and item.path == str(parts[0]) and item.parts == [str(parts[0])]


@pytest.mark.parametrize("how", ["scan PATH", "full scan"])
@pytest.mark.parametrize("stack", ["files", "folders"])
def test_a_deleted_first_part_leaves_its_movie_with_the_parts_left(library, capsys, stack, how):
    """`Magnolia (1999) cd1.avi` and `cd2.avi` (or `CD1/`, `CD2/`) are one item, named by its
    first part. The user deleted `cd1`: `metarrd scan` on it marked the whole movie missing
    ("1 item marked missing"), and a full scan also made `cd2` a new item, unidentified, without
    the user's locks. The item stays, named by the part left, with its id and its data."""
    cfg, root = library
    parts = two_cd_rip(root / "Magnolia (1999)", stack)
    cli(cfg, "scan")
    item = db.Movie.get(db.Movie.path == str(parts[0]))
    db.Movie.update(title="Magnolia", locked_fields=["title"]).where(
        db.Movie.id == item.id
    ).execute()
    gone = parts[0] if stack == "files" else parts[0].parent
    shutil.rmtree(gone) if gone.is_dir() else gone.unlink()
    capsys.readouterr()
    assert cli(cfg, "scan", *([str(gone)] if how == "scan PATH" else [])) == 0
    out, err = capsys.readouterr()
    assert err == ""
    assert "1 changed, 0 moved, 0 missing" in out
    (left,) = db.Movie.select().where(db.Movie.path.contains("Magnolia"))
    assert (left.id, left.path, left.parts) == (item.id, str(parts[1]), [str(parts[1])])
    assert not left.missing and (left.title, left.locked_fields) == ("Magnolia", ["title"])


def test_a_scan_path_that_is_gone_and_named_no_item_is_one_failure_line(library, capsys):
    """A PATH that is not there and where no item was ever known (a typo, a folder never
    scanned): one line naming it, exit 1, nothing marked; the other PATHs are scanned."""
    cfg, root = library
    cli(cfg, "scan")
    capsys.readouterr()
    typo = root / "Haet (1995)"
    assert cli(cfg, "scan", str(typo), str(root / "Alien (1979)")) == 1
    out, err = capsys.readouterr()
    assert err.splitlines() == [f"{typo}: not there, and no item was known there; not scanned"]
    assert out.startswith("scanned 1 video: 0 new, 0 changed, 0 moved, 0 missing, 1 unchanged")
    assert not db.Movie.select().where(db.Movie.missing).exists()


def test_a_scan_path_gone_with_its_share_marks_nothing_missing(library, capsys):
    """The NAS share went away, its mount point left empty: `metarrd scan "/movies/Heat
    (1995)"` finds the folder gone, as the full scan finds every folder gone. A share not
    mounted is no deletion: nothing is marked missing, the library's line says why, exit 1."""
    cfg, root = library
    cli(cfg, "scan")
    for folder in list(root.iterdir()):
        shutil.rmtree(folder)  # what an unmounted share's mount point shows
    capsys.readouterr()
    assert cli(cfg, "scan", str(root / "Heat (1995)")) == 1
    err = capsys.readouterr().err
    assert err.splitlines() == [
        f"{root}: library 'Movies': library folder is empty (a share not mounted?): nothing is "
        "marked missing"
    ]
    assert not db.Movie.select().where(db.Movie.missing).exists()


def test_a_scan_path_linked_into_a_share_not_mounted_marks_nothing_missing(
    library, tmp_path, capsys
):
    """`Heat (1995)` is a symbolic link into a second share (`/mnt/nas2`), not mounted: the
    link leads nowhere. `metarrd scan "/movies/Heat (1995)"` marked its item missing, as if the
    user had deleted the film. The link is reported, exit 1, the item kept."""
    cfg, root = library
    cfg.write_text(
        cfg.read_text().replace(f'path = "{root}"\n', f'path = "{root}"\nfollow_symlinks = true\n')
    )
    nas2 = tmp_path / "mnt" / "nas2"
    nas2.mkdir(parents=True)
    shutil.move(root / "Heat (1995)", nas2 / "Heat (1995)")
    (root / "Heat (1995)").symlink_to(nas2 / "Heat (1995)", target_is_directory=True)
    cli(cfg, "scan")
    shutil.move(nas2 / "Heat (1995)", tmp_path / "Heat (1995)")  # nas2 unmounted: left empty
    capsys.readouterr()
    for path in (root / "Heat (1995)", root / "Heat (1995)" / "Heat (1995).mkv"):
        assert cli(cfg, "scan", str(path)) == 1, path
        err = capsys.readouterr().err
        assert err.splitlines() == [
            f"{root / 'Heat (1995)'}: is a symbolic link to {nas2 / 'Heat (1995)'}, which does not "
            "exist (a disk or share not mounted?)"
        ], path
        assert not db.Movie.select().where(db.Movie.missing).exists(), path


def test_a_scan_path_deleted_typed_in_the_other_unicode_normalisation_marks_it_missing(
    library, capsys
):
    """ "Amélie (2001)" held decomposed (NFD, a Mac's share), deleted, then `metarrd scan` typed
    composed (NFC): the disk no longer tells how the folder was spelled, so the PATH named no
    item and was a failure. It is the folder as its item spells it."""
    cfg, root = library
    amelie = root / _nfd("Amélie (2001)")
    amelie.mkdir()
    shutil.copy2(MEDIA, amelie / _nfd("Amélie (2001).mkv"))
    cli(cfg, "scan")
    item = db.Movie.get(db.Movie.path == str(amelie / _nfd("Amélie (2001).mkv")))
    shutil.rmtree(amelie)
    capsys.readouterr()
    assert cli(cfg, "scan", f"{root}/Amélie (2001)") == 0, capsys.readouterr().err
    out = capsys.readouterr().out
    assert out.splitlines()[0] == f"{amelie} is gone: 1 item marked missing, data kept"
    assert [m.id for m in db.Movie.select().where(db.Movie.missing)] == [item.id]


def test_a_deleted_scan_path_two_items_spell_says_what_to_do_instead(library, capsys):
    """Both "Léon (1994)" folders (one NFC, one NFD) deleted, then `metarrd scan` of the folder
    typed with its file name pasted in the other form: the usage error said to give an item's
    id, which `scan` does not take; a scan of the library marks what is gone."""
    cfg, root = library
    _two_leons_scanned(cfg, root)
    for form in ("NFC", "NFD"):
        shutil.rmtree(root / unicodedata.normalize(form, "Léon (1994)"))
    capsys.readouterr()
    mixed = f"{root}/Léon (1994)/" + _nfd("Léon (1994).mkv")
    assert cli(cfg, "scan", mixed) == 1
    err = capsys.readouterr().err
    assert err.rstrip().endswith("; scan the library to mark what is gone; not scanned"), err
    assert "metarrd list" not in err
    assert not db.Movie.select().where(db.Movie.missing).exists()


def test_a_plex_player_added_to_the_config_marks_its_published_movies_to_republish(library, capsys):
    """The next command (or the daemon's or web app's start) after a `[[player]]` of type
    plex is added reads the change: the movies published before lack the poster's copy Plex
    reads, and show "Republish?"; publishing them writes it (docs/players.md)."""
    cfg, root = library
    cli(cfg, "scan")
    alien = db.Movie.get(db.Movie.tmdb_id == 348)
    assert cli(cfg, "enrich", str(alien.id)) == 0
    assert cli(cfg, "publish", str(alien.id)) == 0
    capsys.readouterr()
    with cfg.open("a") as f:
        f.write(
            '[[player]]\nname = "Den"\ntype = "plex"\nurl = "http://127.0.0.1:9"\n'
            'token = "abc"\nlibraries = ["Movies"]\n'
        )

    assert cli(cfg, "list", "--json") == 0
    listed = {i["id"]: i for i in json.loads(capsys.readouterr().out)}
    assert listed[alien.id]["publish_state"] == "outdated"
    assert cli(cfg, "publish", str(alien.id)) == 0
    folder = root / "Alien (1979)"
    assert (folder / "Alien (1979).jpg").read_bytes() == (
        folder / "Alien (1979)-poster.jpg"
    ).read_bytes()
    assert db.Movie.get_by_id(alien.id).publish_state == "published"

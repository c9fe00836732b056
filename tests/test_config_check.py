"""`metarrd config check`: every problem at once, libraries by name, "did you mean", and the
problems that only show when the daemon runs (a missing library folder, no TMDB key)."""

from __future__ import annotations

import os
import shlex
from pathlib import Path

import pytest

from metarrd.cli import main
from metarrd.config import check_library_kind, parse_config
from metarrd.errors import ConfigError
from tests.conftest import HUNG_LOOK_SECONDS


def _write(tmp_path: Path, text: str, mode: int = 0o600) -> Path:
    """The config file, of `mode`: 0600 as a file holding keys should be (else every check
    of one with a key warns that others may read it)."""
    cfg = tmp_path / "config.toml"
    cfg.write_text(text)
    cfg.chmod(mode)
    return cfg


def _check(tmp_path: Path, text: str, capsys) -> tuple[int, str, str]:
    status = main(["--config", str(_write(tmp_path, text)), "config", "check"])
    out = capsys.readouterr()
    return status, out.out, out.err


def _good(tmp_path: Path) -> str:
    (tmp_path / "movies").mkdir(exist_ok=True)
    return (
        f'data_dir = "{tmp_path}/data"\n'
        f'[[library]]\nname = "Movies"\npath = "{tmp_path}/movies"\n'
        '[providers.tmdb]\napi_key = "k"\n'
    )


def test_a_good_config_is_ok(tmp_path, capsys):
    status, out, err = _check(tmp_path, _good(tmp_path), capsys)
    assert status == 0, err
    assert "OK (1 library, 0 players)" in out


def test_every_problem_is_reported_at_once_with_libraries_named(tmp_path, capsys):
    (tmp_path / "movies").mkdir()
    (tmp_path / "a-file").write_text("not a folder")
    text = f"""data_dirr = "/x"
data_dir = "{tmp_path}/data"

[[library]]
name = "Movies"
path = "{tmp_path}/movies"
kind = "movie"

[[library]]
name = "Films"
path = "{tmp_path}/gone"
kind = "music"

[[library]]
name = "Docs"
path = "{tmp_path}/a-file"
pol = true

[providers.tmdb]
api_key = ""

[web]
bind = 8787

[[player]]
name = "Kodi"
type = "kodi"
url = "http://"
libraries = ["Movie"]
"""
    status, _out, err = _check(tmp_path, text, capsys)
    assert status == 2
    lines = err.splitlines()
    expected = [
        "data_dirr: unknown key (did you mean data_dir?)",
        'library "Films".path: ',
        "does not exist",
        'library "Films".kind: must be "movie" or "tv"',
        'library "Docs".path: ',
        "is not a folder",
        'library "Docs".pol: unknown key (did you mean poll?)',
        "providers.tmdb: no api_key or read_token",
        "web.bind: expected a string",
        'player "Kodi".url: ',
        "player \"Kodi\".libraries: no [[library]] is named 'Movie' (did you mean 'Movies'?)",
    ]
    for fragment in expected:
        assert any(fragment in line for line in lines), (fragment, err)
    assert "library[" not in err and "player[" not in err
    assert lines[-1].endswith(": 9 errors, 1 warning")


PLAYER = '[[player]]\nname = "Kodi"\ntype = "kodi"\nurl = "http://127.0.0.1:8080"\n'


@pytest.mark.parametrize(
    ("text", "line"),
    [
        (PLAYER + 'path_map = [{ from = "/a", too = "/b" }]\n', 'player "Kodi".path_map[0].too: '),
        (PLAYER + 'path_map = [{ from = "/a", to = 5 }]\n', 'player "Kodi".path_map[0].to: '),
        (PLAYER + 'path_map = ["/a"]\n', 'player "Kodi".path_map[0]: expected a table'),
        ('[providers.fanart]\napikey = "x"\n', "providers.fanart.apikey: unknown key"),
        ("[providers.fanart]\nbase_url = 3\n", "providers.fanart.base_url: expected a string"),
        ("[providers.tvdb]\npin = 1234\n", "providers.tvdb.pin: expected a string"),
        ('[providers.tvdb]\napi-key = "x"\n', "providers.tvdb.api-key: unknown key"),
        ('[providers.imdb]\napi_key = "x"\n', "providers.imdb: unknown key"),
        ('[webhooks]\npath_map = [{ from = "/a", to = "/b", x = 1 }]\n', "webhooks.path_map[0].x"),
    ],
)
def test_a_nested_tables_bad_key_or_type_is_named_and_exits_2(tmp_path, capsys, text, line):
    """interface.md: unknown keys and wrong types are an error naming the key, `config check`
    exits 2; in the tables inside tables too ([[player]] path_map, [providers.*])."""
    status, _out, err = _check(tmp_path, _good(tmp_path) + text, capsys)
    assert status == 2, err
    assert any(x.startswith(f"error: {line}") for x in err.splitlines()), err


def test_duplicate_and_nested_libraries_are_errors(tmp_path, capsys):
    (tmp_path / "movies" / "kids").mkdir(parents=True)
    text = f"""data_dir = "{tmp_path}/data"
[[library]]
name = "Movies"
path = "{tmp_path}/movies"
[[library]]
name = "Movies"
path = "{tmp_path}/movies/"
[[library]]
name = "Kids"
path = "{tmp_path}/movies/kids"
[providers.tmdb]
read_token = "t"
"""
    status, _out, err = _check(tmp_path, text, capsys)
    assert status == 2
    assert "library[1].name: library name 'Movies' is used twice" in err
    assert "library[1].path: same folder as library[0]" in err
    assert 'library "Kids".path: inside library[0]' in err


def test_a_library_name_used_twice_is_reported_at_the_second_ones_line(tmp_path, capsys):
    """The second "Movies" was named `library "Movies"`, which `key_line` finds as the first
    entry of that name: the error pointed at the library that was right. An entry whose name
    another has is named by its place (`library[1]`), its own problems at its own lines."""
    (tmp_path / "movies").mkdir()
    (tmp_path / "films").mkdir()
    text = f"""data_dir = "{tmp_path}/data"
[[library]]
name = "Movies"
path = "{tmp_path}/movies"

[[library]]
name = "Movies"
path = "{tmp_path}/films"
poll_seconds = "often"
[providers.tmdb]
read_token = "t"
"""
    status, _out, err = _check(tmp_path, text, capsys)
    assert status == 2
    assert "error: library[1].name: library name 'Movies' is used twice (line 7)" in err
    assert "error: library[1].poll_seconds: expected a whole number, got a string (line 9)" in err
    # the daemon's start (the first problem only) names the same line
    cfg = tmp_path / "config.toml"
    text = text.replace('poll_seconds = "often"\n', "")
    cfg.write_text(text)
    assert main(["--config", str(cfg), "list"]) == 2
    err = capsys.readouterr().err
    assert "library[1].name: library name 'Movies' is used twice" in err
    assert "line 7)" in err


def test_a_config_without_a_library_is_a_warning_naming_the_fix(tmp_path, capsys):
    """The README's first config with its [[library]] table left out (or all of them
    commented): `config check` said "OK (0 libraries, 0 players)", and the daemon started,
    watched nothing and said nothing. A warning now says so and shows the table to add."""
    text = f'data_dir = "{tmp_path}/data"\n[providers.tmdb]\napi_key = "k"\n'
    status, out, err = _check(tmp_path, text, capsys)
    assert status == 0, err
    assert "warning: library: no [[library]]: nothing will be scanned" in err
    assert 'kind = "movie"' in err
    assert "OK (0 libraries, 0 players); 2 warnings" in out  # and the empty webhooks.token
    status, out, err = _check(tmp_path, _good(tmp_path), capsys)
    assert status == 0 and "warning: library:" not in err and "OK (1 library" in out


def test_warnings_alone_exit_0(tmp_path, capsys):
    text = _good(tmp_path) + '[webhooks]\ntoken = ""\n'
    status, out, err = _check(tmp_path, text, capsys)
    assert status == 0
    assert "warning: webhooks.token" in err
    assert "1 warning" in out


def test_tv_libraries_are_accepted_while_tv_support_is_built():
    # One place decides which library kinds exist; TV support lands on another branch.
    assert check_library_kind("movie") is None
    assert check_library_kind("tv") is None
    assert "must be" in check_library_kind("music")


def test_the_daemon_still_stops_at_the_first_error_with_the_library_name():
    with pytest.raises(ConfigError) as err:
        parse_config({"library": [{"name": "Films", "path": "rel"}]})
    assert str(err.value).startswith('library "Films".path: must be an absolute path')
    with pytest.raises(ConfigError) as err:
        parse_config({"providers": {"tmdb": {"apikey": "x"}}})
    assert "providers.tmdb.apikey: unknown key (did you mean api_key?)" in str(err.value)


def test_trusted_proxies_must_be_networks_and_a_proxy_setup_without_them_is_a_warning(
    tmp_path, capsys
):
    proxied = '[web]\nbind = "127.0.0.1:8787"\nallowed_hosts = ["metarrd.example.com"]\n'
    status, _out, err = _check(tmp_path, _good(tmp_path) + proxied, capsys)
    assert status == 0 and "warning: web.trusted_proxies: empty" in err
    status, _out, err = _check(
        tmp_path, _good(tmp_path) + proxied + 'trusted_proxies = ["127.0.0.1/32"]\n', capsys
    )
    assert status == 0 and "trusted_proxies" not in err
    status, _out, err = _check(
        tmp_path, _good(tmp_path) + proxied + 'trusted_proxies = ["nginx"]\n', capsys
    )
    assert status == 2 and "web.trusted_proxies[0]: expected an address or network" in err


def test_a_short_webhook_token_is_a_warning_that_says_how_to_make_one(tmp_path, capsys):
    status, out, err = _check(tmp_path, _good(tmp_path) + '[webhooks]\ntoken = "abc1"\n', capsys)
    assert status == 0 and "1 warning" in out
    assert "warning: webhooks.token: only 4 characters" in err
    assert "secrets.token_urlsafe(24)" in err
    long_token = '[webhooks]\ntoken = "' + "x" * 16 + '"\n'
    status, _out, err = _check(tmp_path, _good(tmp_path) + long_token, capsys)
    assert status == 0 and "webhooks.token" not in err


def test_a_webhook_token_given_as_a_number_is_only_a_type_error(tmp_path, capsys):
    """`token = 5` (TOML integer, the quotes forgotten): the type error, and no warning that the
    token is empty; the empty default it was left at is not what the user wrote."""
    status, out, err = _check(tmp_path, _good(tmp_path) + "[webhooks]\ntoken = 5\n", capsys)
    assert status == 2 and "error: webhooks.token: expected a string, got a number" in err
    assert "warning:" not in err and "1 error, 0 warnings" in out + err


def test_a_webhook_token_radarr_and_sonarr_cannot_send_is_a_warning(tmp_path, capsys):
    """Radarr and Sonarr send the basic-auth password in ISO-8859-1 (`?` for `€`) and refuse a
    custom header beyond ASCII: such a token could never match what they send. The token
    itself is not shown."""
    token = '[webhooks]\ntoken = "sesame-ouvre-toi-€-k3Zr9vQ0"\n'
    status, out, err = _check(tmp_path, _good(tmp_path) + token, capsys)
    assert status == 0 and "1 warning" in out
    assert "warning: webhooks.token: has characters beyond ISO-8859-1" in err
    assert "sesame" not in err
    latin = '[webhooks]\ntoken = "sésame-ouvre-toi-k3Zr9vQ0"\n'  # ISO-8859-1: they send it
    status, _out, err = _check(tmp_path, _good(tmp_path) + latin, capsys)
    assert status == 0 and "webhooks.token" not in err


@pytest.mark.parametrize(
    "url",
    [
        "http://kodi:s3cr%t@:8080/",  # no host after the password
        "http://kodi:s3/cr%t@192.168.1.5:8080/",  # a "/" in the password: not percent-encoded
        "http://kodi:s3cr%t@[::1:8080/",
        # the password's start is a number: urlsplit takes it for the port and the rest for
        # the path, query or fragment, and the url passed; the Settings page and the log lines
        # then showed it through `redact` as `http://kodi:8080/s3cr%t@192.168.1.5:8080/`
        "http://kodi:8080/s3cr%t@192.168.1.5:8080/",
        "http://kodi:8080?s3cr%t@192.168.1.5:8080/",
        "http://kodi:8080#s3cr%t@192.168.1.5:8080/",
    ],
)
def test_a_player_url_that_cannot_be_read_never_shows_its_password(tmp_path, capsys, url):
    """The message of a player's url that cannot be read quoted the url (or the piece urlsplit
    took for a port, the password's start when it holds a "/"): the password went to the
    terminal and, from the daemon's start, to the journal."""
    player = f'[[player]]\nname = "Kodi"\ntype = "kodi"\nurl = "{url}"\n'
    status, _out, err = _check(tmp_path, _good(tmp_path) + player, capsys)
    assert status == 2 and 'player "Kodi".url: ' in err
    assert "s3" not in err and "cr%t" not in err
    with pytest.raises(ConfigError) as raised:
        parse_config(
            {
                "data_dir": str(tmp_path / "data"),
                "library": [{"name": "Movies", "path": str(tmp_path / "movies")}],
                "player": [{"name": "Kodi", "type": "kodi", "url": url}],
            }
        )
    assert "s3" not in str(raised.value) and "cr%t" not in str(raised.value)


def test_a_bad_database_or_queue_setting_is_listed_with_the_other_problems(tmp_path, capsys):
    """A wrong `[database] url` (or queue or cache setting) stopped `config check` at once with
    "configuration error", so the other problems of the file stayed unsaid until it was fixed."""
    text = _good(tmp_path) + (
        '[database]\nurl = "mysql://db/metarrd"\n'
        '[queue]\nurl = "amqp://q"\nname = "my queue"\nlease_seconds = 1\n'
        '[cache]\ndir = "cache"\n'
        '[web]\nbind = "nope"\n'
    )
    status, _out, err = _check(tmp_path, text, capsys)
    assert status == 2
    for key in ("database.url", "queue.url", "queue.name", "queue.lease_seconds", "cache.dir"):
        assert f"error: {key}: " in err, key
    assert "error: web.bind: expected HOST:PORT" in err
    assert "5 errors" not in err and "6 errors" in err


def test_a_jellyfin_or_plex_without_its_token_is_a_warning(tmp_path, capsys):
    """The contract: "kodi: HTTP basic auth; jellyfin/plex: token". A Jellyfin or Plex given a
    username and password instead (as for Kodi), or nothing, passed `config check` as OK; every
    notification after a publish was then refused (401), found out only on the Activity page."""
    players = (
        '[[player]]\nname = "JF"\ntype = "jellyfin"\nurl = "http://127.0.0.1:8096"\n'
        'libraries = ["Movies"]\n'
        '[[player]]\nname = "Plex"\ntype = "plex"\nurl = "http://127.0.0.1:32400"\n'
        'username = "me"\npassword = "pw"\nlibraries = ["Movies"]\n'
        '[[player]]\nname = "Kodi"\ntype = "kodi"\nurl = "http://127.0.0.1:8080"\n'
        'libraries = ["Movies"]\n'
    )
    status, out, err = _check(tmp_path, _good(tmp_path) + players, capsys)
    assert status == 0 and "3 warnings" in out  # and webhooks.token's
    assert 'warning: player "JF".token: empty: Jellyfin refuses' in err
    assert 'warning: player "Plex".token: empty: Plex refuses' in err
    assert "username and password are for Kodi" in err
    assert 'player "Kodi"' not in err


def _mountinfo(tmp_path: Path, movies: Path, fstype: str, source: str) -> Path:
    """/proc/self/mountinfo as the kernel writes it (proc(5)), with the library on a share;
    a space in a mount point is written \\040."""
    info = tmp_path / "mountinfo"
    info.write_text(
        "22 27 0:21 / /proc rw,relatime - proc proc rw\n"
        "27 1 8:2 / / rw,relatime shared:1 - ext4 /dev/sda2 rw\n"
        f"98 27 0:52 / {str(movies).replace(' ', chr(92) + '040')} rw,relatime shared:60 - "
        f"{fstype} {source} rw,vers=3.1.1,cache=strict\n"
    )
    return info


@pytest.mark.parametrize(
    "fstype, source",
    [
        ("cifs", "//nas/movies"),
        ("nfs4", "nas:/volume1/movies"),
        ("fuse.sshfs", "nas:/movies"),
        # a host's folder in a VM: what the host writes there raises no inotify event in the
        # guest (kata-containers/runtime#1505, VirtualBox ticket #10660, open-vm-tools#246);
        # sources as `mount` shows them: the virtiofs tag, the VirtualBox share, VMware's
        ("virtiofs", "media"),
        ("vboxsf", "movies"),
        ("fuse.vmhgfs-fuse", "vmhgfs-fuse"),
    ],
)
def test_a_library_on_a_network_share_watched_by_inotify_is_a_warning(
    tmp_path, capsys, monkeypatch, fstype, source
):
    """inotify sees no change another machine makes on a CIFS, NFS or SSHFS share (the NAS's
    own download client, Radarr on another host): the watcher stays silent and a new movie waits
    for the daily rescan. `config check` says so and names `poll = true`."""
    from metarrd import files

    movies = tmp_path / "my movies"
    movies.mkdir()
    monkeypatch.setattr(files, "MOUNTINFO", _mountinfo(tmp_path, movies, fstype, source))
    text = _good(tmp_path).replace(f"{tmp_path}/movies", str(movies))
    status, out, err = _check(tmp_path, text, capsys)
    assert status == 0, err
    assert f'warning: library "Movies".poll: {movies} is on a {fstype} share' in err
    assert "poll = true" in err

    polled = text.replace('path = "', 'poll = true\npath = "', 1)
    status, out, err = _check(tmp_path, polled, capsys)
    assert status == 0 and "share" not in err, err


@pytest.mark.parametrize("fstype, source", [("cifs", "//nas/config"), ("nfs4", "nas:/config")])
def test_a_data_dir_on_a_network_share_is_a_warning(tmp_path, capsys, monkeypatch, fstype, source):
    """A NAS user's `/config` (data_dir) on the NAS's share, the daemon on another machine: the
    SQLite database and queue there, whose write-ahead log "does not work over a network
    filesystem" (sqlite.org/wal.html), may lock up or be corrupted; nothing said so."""
    from metarrd import files

    data = tmp_path / "data"
    monkeypatch.setattr(files, "MOUNTINFO", _mountinfo(tmp_path, data, fstype, source))
    status, out, err = _check(tmp_path, _good(tmp_path), capsys)
    assert status == 0, err
    assert f"warning: data_dir: {data} is on a {fstype} share: the SQLite database" in err
    assert "[database] url" in err


@pytest.mark.parametrize(
    "fstype, source",
    [
        ("ext4", "/dev/sdb1"),
        # a mergerfs pool of local disks (its fstab: `/mnt/disk* /mnt/pool fuse.mergerfs`):
        # inotify sees what is done through the pool (mergerfs FAQ, "Does inotify and fanotify
        # work?"), polling it would list every disk of the pool each minute for nothing
        ("fuse.mergerfs", "pool"),
    ],
)
def test_a_library_on_a_local_disk_is_no_warning(tmp_path, capsys, monkeypatch, fstype, source):
    from metarrd import files

    movies = tmp_path / "movies"
    movies.mkdir()
    monkeypatch.setattr(files, "MOUNTINFO", _mountinfo(tmp_path, movies, fstype, source))
    status, out, err = _check(tmp_path, _good(tmp_path), capsys)
    assert status == 0 and "share" not in err, err
    assert files.network_filesystem(movies) is None
    monkeypatch.setattr(files, "MOUNTINFO", tmp_path / "no-such-file")  # not Linux: no guess
    assert files.network_filesystem(movies) is None


@pytest.fixture
def hang(monkeypatch):
    """`hang(folder)`: that folder's hard NFS mount stops answering (its stat, lstat and
    listing wait until the test ends), as in tests/daemon/test_hung_cache.py."""
    import os
    import threading

    from metarrd import mounts

    release = threading.Event()
    hung: list[str] = []

    def waits(real):
        def call(path, *args, **kwargs):
            if not isinstance(path, int) and any(os.fspath(path).startswith(h) for h in hung):
                release.wait(60)  # the stat of a hard mount: until the server is back
            return real(path, *args, **kwargs)

        return call

    monkeypatch.setattr(mounts, "ROOT_CHECK_TIMEOUT", HUNG_LOOK_SECONDS)
    monkeypatch.setattr(mounts, "_hanging", {})
    for name in ("stat", "lstat", "scandir", "listdir", "access"):
        monkeypatch.setattr(os, name, waits(getattr(os, name)))
    try:
        yield lambda folder: hung.append(str(folder))
    finally:
        release.set()  # no thread of the test left waiting


def test_a_library_on_a_hung_mount_is_said_instead_of_hanging_the_check(
    tmp_path, capsys, hang, finishes
):
    """`config check`, the first thing one runs on a NAS that misbehaves, hung for good on a
    library whose NFS mount hung (its look whether the folder exists). It says which folder
    does not answer, as a warning: the configuration may well be right, and the daemon waits
    for the folder; the other libraries are checked."""
    (tmp_path / "films").mkdir()
    text = _good(tmp_path) + f'[[library]]\nname = "Films"\npath = "{tmp_path}/films"\n'
    hang(tmp_path / "movies")
    status, out, err = finishes(lambda: _check(tmp_path, text, capsys))
    assert status == 0, err
    assert err.splitlines()[0] == (
        f'warning: library "Movies".path: {tmp_path}/movies does not answer (a hung network '
        "mount?): not checked (the daemon waits for it)"
    )
    assert "Films" not in err
    text += f'[[library]]\nname = "Kids"\npath = "{tmp_path}/films/kids"\n'
    status, out, err = finishes(lambda: _check(tmp_path, text, capsys))
    assert status == 2 and 'library "Kids".path: ' in err and "does not exist" in err


@pytest.mark.parametrize("key", ["library", "data_dir"])
@pytest.mark.parametrize("link", ["unmounted-disk", "loop"])
def test_a_folder_linked_to_nowhere_is_named_so(tmp_path, capsys, key, link):
    """A NAS user's `/srv/media/movies` or `/var/lib/metarrd` is a symlink to a USB disk's
    folder (`/mnt/usb1/...`) and the disk is not mounted: `config check` said the library
    "does not exist" (it does: a link) and said nothing of data_dir, whose every command then
    stopped with "cannot create …: File exists". A symlink loop as a library made `config check`
    a RuntimeError traceback ("Symlink loop from …"). Each is now one error saying where the
    link leads and why that cannot be looked at; `metarrd list` says the same of data_dir."""
    text = _good(tmp_path)
    place = tmp_path / "linked"
    target = tmp_path / "mnt" / "usb1" / "media" if link == "unmounted-disk" else place
    place.symlink_to(target)
    if key == "library":
        text = text.replace(f'path = "{tmp_path}/movies"', f'path = "{place}"')
        where = 'library "Movies".path'
    else:
        text = text.replace(f'data_dir = "{tmp_path}/data"', f'data_dir = "{place}"')
        where = "data_dir"
    why = (
        "which does not exist (a disk or share not mounted?)"
        if link == "unmounted-disk"
        else "which cannot be looked at (Too many levels of symbolic links)"
    )
    status, out, err = _check(tmp_path, text, capsys)
    assert status == 2, err
    assert f"error: {where}: {place} is a symbolic link to {target}, {why}\n" in err
    if key == "data_dir":
        assert main(["--config", str(tmp_path / "config.toml"), "list"]) == 2
        assert capsys.readouterr().err == (
            f"metarrd: configuration error: data_dir: {place} is a symbolic link to {target}, "
            f"{why}\n"
        )
        assert not target.exists()  # nothing made through the link


@pytest.mark.parametrize("key", ["library", "data_dir"])
def test_a_folder_under_one_this_user_may_not_enter_is_an_error_not_a_traceback(
    tmp_path, capsys, monkeypatch, key
):
    """`sudo -u metarrd metarrd config check` with the data_dir or a library under a folder
    only root may enter (`/srv/private`, mode 0700): Python's `Path.exists` raises on EACCES
    (it ignores only ENOENT, ENOTDIR, EBADF, ELOOP), and `config check` ended in a
    PermissionError traceback. It is one error naming the folder and why. As root, the
    folder's mode does not stop us: the EACCES a daemon user meets is made by os.stat then."""
    private = tmp_path / "private"
    (private / "movies").mkdir(parents=True)
    real_stat = os.stat

    def stat(path, *args, **kwargs):
        if not isinstance(path, int) and os.fspath(path).startswith(f"{private}{os.sep}"):
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return real_stat(path, *args, **kwargs)

    text = _good(tmp_path)
    if key == "library":
        text = text.replace(f'path = "{tmp_path}/movies"', f'path = "{private}/movies"')
        where = f'library "Movies".path: {private}/movies'
    else:
        text = text.replace(f'data_dir = "{tmp_path}/data"', f'data_dir = "{private}/data"')
        where = f"data_dir: {private}/data"
    if os.geteuid() == 0:
        monkeypatch.setattr(os, "stat", stat)
    else:
        private.chmod(0o700 & ~0o100)  # this user may not enter it either
    try:
        status, out, err = _check(tmp_path, text, capsys)
    finally:
        private.chmod(0o755)
    assert status == 2, err
    assert f"error: {where} cannot be looked at: Permission denied\n" in err


@pytest.mark.skipif(os.geteuid() != 0, reason="a read-only mount needs root (mount --bind)")
@pytest.mark.parametrize("made", [True, False], ids=["there", "to-make"])
def test_a_data_dir_on_a_read_only_mount_is_named_so(tmp_path, made):
    """A data_dir on a disk that ext4 remounted read-only after an I/O error
    (`errors=remount-ro`), or in a container volume mounted `:ro`: `config check` said "is not
    writable by this user", which sent root looking at permissions that are fine. It says the
    file system is mounted read-only. The mount is a real one, in a mount namespace of its own
    (`unshare -m`): nothing outside the test sees it."""
    import shutil
    import subprocess
    import sys

    if shutil.which("unshare") is None:
        pytest.skip("no unshare(1)")
    cfg = _write(tmp_path, _good(tmp_path))
    ro = tmp_path / "ro"
    (ro / "data" if made else ro).mkdir(parents=True)
    cfg.write_text(cfg.read_text().replace(f"{tmp_path}/data", f"{ro}/data"))
    script = 'mount --bind "$1" "$1" && mount -o remount,ro,bind "$1" && shift && exec "$@"'
    run = [sys.executable, "-m", "metarrd", "--config", str(cfg), "config", "check"]
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    done = subprocess.run(
        ["unshare", "-m", "sh", "-c", script, "sh", str(ro), *run],
        capture_output=True, text=True, env=env, timeout=60,
    )  # fmt: skip
    if done.stderr.startswith(("mount:", "unshare:")):
        pytest.skip(f"cannot mount here: {done.stderr.strip()}")
    assert done.returncode == 2, done.stderr
    where = f"{ro}/data" if made else f"{ro}/data cannot be created: {ro}"
    assert f"error: data_dir: {where} is on a file system mounted read-only\n" in done.stderr


@pytest.mark.parametrize("key", ["data_dir", "cache.dir"])
def test_a_data_dir_or_cache_dir_that_cannot_be_made_is_an_error(tmp_path, capsys, key):
    """`config check` said OK for a `data_dir` or `[cache] dir` that cannot be made (under a
    file, or a folder this user may not write), and every other command then stopped with
    `configuration error: …: cannot create …`. It says so first. `[cache] dir` was not looked
    at at all: not even one that is a file."""
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    text = _good(tmp_path)
    if key == "data_dir":
        text = text.replace(f'data_dir = "{tmp_path}/data"', f'data_dir = "{blocker}/data"')
    else:
        text += f'[cache]\ndir = "{blocker}/cache"\n'
    status, out, err = _check(tmp_path, text, capsys)
    assert status == 2
    name = "data" if key == "data_dir" else "cache"
    assert f"error: {key}: {blocker}/{name} cannot be created: {blocker} is not a folder" in err

    if key == "cache.dir":
        text = _good(tmp_path) + f'[cache]\ndir = "{blocker}"\n'
        status, out, err = _check(tmp_path, text, capsys)
        assert status == 2 and f"error: cache.dir: {blocker} exists and is not a folder" in err


def test_a_cache_dir_on_a_hung_mount_is_said_instead_of_hanging_the_check(
    tmp_path, capsys, hang, finishes
):
    """`[cache] dir` on a NAS that stopped answering (several workers share it): a warning, as
    for a library; the daemon and its jobs wait for it. A `data_dir` there is an error."""
    cache = tmp_path / "nas-cache"
    cache.mkdir()
    hang(cache)
    text = _good(tmp_path) + f'[cache]\ndir = "{cache}"\n'
    status, out, err = finishes(lambda: _check(tmp_path, text, capsys))
    assert status == 0, err
    assert (
        f"warning: cache.dir: {cache} does not answer (a hung network mount?): not checked "
        "(the daemon waits for it)" in err
    )

    hang(tmp_path / "data")  # where the database is: no command can run
    status, out, err = finishes(lambda: _check(tmp_path, text, capsys))
    assert status == 2
    assert f"error: data_dir: {tmp_path}/data does not answer (a hung network mount?)" in err


def test_a_shared_cache_dir_on_this_machines_own_disk_is_a_warning(tmp_path, capsys, monkeypatch):
    """docs/scale-out.md: with PostgreSQL, `[cache] dir` is one share every host mounts. Its
    share not mounted (a boot that came before the NAS, an fstab typo): the folder, or the
    empty mount point, is on the host's own disk; `config check` said OK and the workers there
    stored pictures the other hosts never see. It warns, naming the file system."""
    from metarrd import files

    cache = tmp_path / "metarrd-cache"
    cache.mkdir()
    text = (
        _good(tmp_path)
        + '[database]\nurl = "postgresql://metarrd:pw@db.lan:5432/metarrd"\n'
        + f'[cache]\ndir = "{cache}"\n'
    )
    monkeypatch.setattr(
        files, "MOUNTINFO", _mountinfo(tmp_path, tmp_path / "elsewhere", "nfs4", "nas:/x")
    )
    status, out, err = _check(tmp_path, text, capsys)
    assert status == 0, err
    assert (
        f"warning: cache.dir: {cache} is on this machine's own disk (ext4), not a network "
        "share: workers on other hosts do not see its pictures (is the share mounted?)" in err
    )
    monkeypatch.setattr(files, "MOUNTINFO", _mountinfo(tmp_path, cache, "nfs4", "nas:/cache"))
    status, out, err = _check(tmp_path, text, capsys)
    assert status == 0 and "cache.dir" not in err, err
    monkeypatch.setattr(files, "MOUNTINFO", tmp_path / "no-such-file")  # not Linux: no guess
    status, out, err = _check(tmp_path, text, capsys)
    assert status == 0 and "cache.dir" not in err, err


def test_a_path_map_left_from_the_example_that_maps_into_no_library_is_a_warning(tmp_path, capsys):
    # README "Real setup": copy config.example.toml, set the libraries. Its `[webhooks] path_map`
    # (Radarr in Docker: /movies -> /srv/media/movies) and its Kodi's path_map stayed at
    # /srv/media/movies; `config check` said OK, and Radarr's first import was refused (422)
    tok = "Zq7dP0sA1vN3kL9wX2yB5mC8"
    text = _good(tmp_path) + (
        f'[webhooks]\ntoken = "{tok}"\n'
        'path_map = [{ from = "/movies", to = "/srv/media/movies" }]\n'
        '[[player]]\nname = "Living room"\ntype = "kodi"\nurl = "http://127.0.0.1:8080"\n'
        'path_map = [{ from = "/srv/media/movies", to = "smb://nas/movies" }]\n'
    )
    status, _out, err = _check(tmp_path, text, capsys)
    assert status == 0
    assert "warning: webhooks.path_map[0].to: /srv/media/movies is in no library" in err
    assert 'warning: player "Living room".path_map[0].from: /srv/media/movies is in no' in err
    # what it does: a path no entry of a non-empty path_map maps is never sent (PathNotMapped)
    assert "a path no entry maps is not sent: that player's rescan of it fails" in err
    assert "as they are" not in err


def test_a_path_map_onto_a_library_or_a_folder_holding_libraries_is_no_warning(tmp_path, capsys):
    # Radarr's Docker volume for the whole media folder: /data -> the folder above the library
    tok = "Zq7dP0sA1vN3kL9wX2yB5mC8"
    text = _good(tmp_path) + (
        f'[webhooks]\ntoken = "{tok}"\n'
        f'path_map = [{{ from = "/movies", to = "{tmp_path}/movies" }}, '
        f'{{ from = "/data", to = "{tmp_path}" }}, '
        f'{{ from = "/films/4k", to = "{tmp_path}/movies/4k" }}]\n'
    )
    status, out, err = _check(tmp_path, text, capsys)
    assert status == 0
    assert "path_map" not in err and "OK (1 library, 0 players)" in out


def test_a_missing_configuration_file_says_how_to_name_or_make_one(tmp_path, capsys, monkeypatch):
    # a new user's first `metarrd list` after `make demo` (the demo's config is elsewhere) or
    # before the install's copy: "configuration file not found" said nothing of --config,
    # $METARRD_CONFIG or config.example.toml
    monkeypatch.delenv("METARRD_CONFIG", raising=False)
    gone = tmp_path / "config.toml"
    for command in (["config", "check"], ["list"]):
        assert main(["--config", str(gone), *command]) == 2
        err = capsys.readouterr().err
        assert f"{gone}: configuration file not found" in err
        assert "--config PATH" in err and "METARRD_CONFIG" in err
        assert "config.example.toml" in err


# --- a config file holding secrets that others may read ----------------------------------------


def _not_roots(cfg: Path) -> Path:
    """`cfg` owned by a user other than root (a user's own copy), when we run as root."""
    if os.geteuid() == 0:
        os.chown(cfg, 65534, -1)  # nobody
    return cfg


def _secrets(tmp_path: Path) -> str:
    return (
        _good(tmp_path)
        + '[providers.fanart]\napi_key = "fanart-project-key"\nclient_key = "fanart-own-key"\n'
        + '[webhooks]\ntoken = "Yq3vR9sT2wX8zK4mN7pL1cF6"\n'
        + '[[player]]\nname = "Living room"\ntype = "kodi"\nurl = "http://127.0.0.1:8080"\n'
        + 'username = "kodi"\npassword = "k0di-pa55"\n'
    )


@pytest.mark.parametrize(
    ("mode", "who"),
    [
        (0o644, "every user may read"),
        (0o640, "its group may read"),
        (0o620, "its group may change"),
    ],
)
def test_a_config_file_others_may_read_is_a_warning_when_it_holds_secrets(
    tmp_path, capsys, mode, who
):
    """`cp config.example.toml ~/.config/metarrd/config.toml` makes a 0644 copy: every user of
    the machine could read the TMDB and fanart.tv keys, the webhook token (and send webhooks)
    and the Kodi password, and `config check` said OK. (OpenSSH refuses a private key with
    "Permissions 0644 ... are too open"; PostgreSQL its key file beyond 0600, 0640 for root's.)"""
    cfg = _not_roots(_write(tmp_path, _secrets(tmp_path), mode))
    status = main(["--config", str(cfg), "config", "check"])
    err = capsys.readouterr().err
    assert status == 0, err
    line = next(x for x in err.splitlines() if "chmod" in x)
    assert line.startswith(f"warning: {cfg}: mode 0{mode:o}: {who} it")
    assert line.endswith(
        "holds secrets (providers.tmdb.api_key, providers.fanart.api_key, "
        'providers.fanart.client_key, webhooks.token, player "Living room".password); '
        f"chmod 600 {cfg}"
    )
    for secret in ("fanart-project-key", "fanart-own-key", "Yq3vR9sT2wX8zK4m", "k0di-pa55"):
        assert secret not in err


def test_a_config_file_of_mode_0600_or_without_secrets_is_no_warning(tmp_path, capsys):
    cfg = _not_roots(_write(tmp_path, _secrets(tmp_path), 0o600))
    assert main(["--config", str(cfg), "config", "check"]) == 0
    assert "chmod" not in capsys.readouterr().err
    (tmp_path / "movies").mkdir(exist_ok=True)
    no_keys = f'data_dir = "{tmp_path}/data"\n[[library]]\nname = "M"\npath = "{tmp_path}/movies"\n'
    cfg = _not_roots(_write(tmp_path, no_keys, 0o644))
    assert main(["--config", str(cfg), "config", "check"]) == 2  # no TMDB key: an error
    assert "chmod" not in capsys.readouterr().err


@pytest.mark.parametrize(
    ("mode", "owner", "fix"),
    [
        (0o600, 1000, None),
        (0o400, 1000, None),
        (0o640, 1000, 0o600),
        (0o604, 1000, 0o600),
        (0o640, 0, None),  # README: install -m 640 -o root -g metarrd; the service reads it
        (0o644, 0, 0o640),
        (0o660, 0, 0o640),  # its group may rewrite it
    ],
)
def test_the_mode_a_file_holding_secrets_may_have(mode, owner, fix):
    from metarrd.config_check import loose_mode

    assert loose_mode(mode, owner) == fix


def test_passwords_in_urls_are_secrets_too(tmp_path):
    from metarrd.config_check import secret_settings

    config = parse_config(
        {
            "data_dir": str(tmp_path),
            "providers": {"tmdb": {"base_url": "https://me:pr0xy@tmdb-cache.example/3"}},
            "database": {"url": "postgresql://metarrd:pg-s3cret@db.lan:5432/metarrd"},
            "queue": {"url": "redis://:r3dis@db.lan:6379/0"},
            "player": [
                {"name": "Den", "type": "kodi", "url": "http://kodi:pw@10.0.0.5:8080"},
                {"name": "Jelly", "type": "jellyfin", "url": "http://nas:8096", "token": "t"},
            ],
        }
    )
    assert secret_settings(config) == [
        'player "Jelly".token',
        "providers.tmdb.base_url",
        "database.url",
        "queue.url",
        'player "Den".url',
    ]
    assert secret_settings(parse_config({"data_dir": str(tmp_path)})) == []


def test_a_database_others_may_read_is_a_warning_when_it_holds_the_web_secret_key(tmp_path, capsys):
    """A SQLite database made by a version before new ones were 0600 (SQLite: 0644) keeps its
    mode; once the web UI has run it holds the key that signs the login sessions."""
    from metarrd import db

    data = tmp_path / "data"
    database = data / "metarrd.db"
    db.open_database(database)
    db.database.close()
    database.chmod(0o644)
    cfg = _write(tmp_path, _good(tmp_path) + '[database]\nurl = ""\n')
    _not_roots(database)
    assert main(["--config", str(cfg), "config", "check"]) == 0
    assert "chmod" not in capsys.readouterr().err  # no secret in it yet: no warning
    db.open_database(database)
    db.set_meta("web_secret_key", "0123456789abcdef0123456789abcdef")
    db.database.close()
    assert main(["--config", str(cfg), "config", "check"]) == 0
    err = capsys.readouterr().err
    line = next(x for x in err.splitlines() if "chmod" in x)
    assert line.startswith(f"warning: data_dir: {database}: mode 0644: every user may read it")
    assert line.endswith(f"chmod 600 {database}*")  # with its -wal and -shm
    assert "0123456789abcdef" not in err
    database.chmod(0o600)
    assert main(["--config", str(cfg), "config", "check"]) == 0
    assert "chmod" not in capsys.readouterr().err


def test_a_job_queue_file_others_may_write_is_a_warning(tmp_path, capsys):
    """Huey unpickles every message it reads from `<data_dir>/queue.db` (huey 3.5
    `huey/serializer.py`: `pickle.loads`): whoever may write it, or its -wal, runs code as
    metarrd. SQLite makes it 0644 at most (SQLITE_DEFAULT_FILE_PERMISSIONS less the umask: so
    under the README's `UMask=0002` too), so only a chmod of data_dir opens it (`chmod -R g+w`, a
    container's `chmod -R 777 /config`), and `config check` said nothing of it. Others reading
    it is no warning: its messages are "run job N" (`jobs.job_task`), nothing of the user's."""
    from metarrd.pipeline import jobs, queue
    from tests.conftest import umask

    cfg = _write(tmp_path, _good(tmp_path))
    config = parse_config({"data_dir": str(tmp_path / "data")})
    path = config.queue_path
    wal = path.with_name("queue.db-wal")
    try:
        with umask(0o002):
            queue.configure(config)  # the daemon's side, running: its -wal is there
            jobs.job_task.schedule((7,), delay=3600)
        assert wal.exists() and oct(path.stat().st_mode & 0o777) == "0o644"
        assert main(["--config", str(cfg), "config", "check"]) == 0
        assert "chmod" not in capsys.readouterr().err  # others may read it: no warning
        wal.chmod(0o664)
        assert main(["--config", str(cfg), "config", "check"]) == 0
        line = next(x for x in capsys.readouterr().err.splitlines() if "chmod" in x)
        assert line.startswith(f"warning: data_dir: {wal}: mode 0664: its group may change it")
        assert line.endswith(f"chmod go-w {path}*")
        path.chmod(0o666)
        assert main(["--config", str(cfg), "config", "check"]) == 0
        line = next(x for x in capsys.readouterr().err.splitlines() if "chmod" in x)
        assert line.startswith(f"warning: data_dir: {path}: mode 0666: every user may change it")
        for file in (path, wal):
            file.chmod(0o644)
        assert main(["--config", str(cfg), "config", "check"]) == 0
        assert "chmod" not in capsys.readouterr().err
    finally:
        queue.configure(config, immediate=True)


def test_a_fanart_personal_key_without_the_project_key_is_a_warning(tmp_path, capsys):
    """fanart.tv API v3: the project key (`api_key`) is required, the personal one
    (`client_key`) optional beside it. A user who set only their personal key had fanart.tv
    skipped, with one log line in the daemon, and `config check` said OK."""
    text = _good(tmp_path) + '[providers.fanart]\nclient_key = "5c1b0b3f2e9d4a7c"\n'
    status, _out, err = _check(tmp_path, text, capsys)
    assert status == 0
    assert (
        "warning: providers.fanart.api_key: empty, with a client_key: fanart.tv is skipped" in err
    )
    assert "5c1b0b3f2e9d4a7c" not in err
    text = _good(tmp_path) + '[providers.fanart]\napi_key = "p"\nclient_key = "5c1b0b3f"\n'
    assert "providers.fanart" not in _check(tmp_path, text, capsys)[2]


# The TOML spec's "Array of Tables": `[[products]]` with two brackets, one table per element.
# One bracket, the everyday slip when copying `[[library]]` by hand (and the form INI-style
# configs such as Kodi's sources or Sonarr's settings train you to), makes a single table.
@pytest.mark.parametrize(
    ("text", "key", "fix"),
    [
        (
            '[library]\nname = "Movies"\npath = "/srv/media/movies"\n',
            "library",
            "[[library]] (two brackets)",
        ),
        (
            '[player]\nname = "Kodi"\nurl = "http://127.0.0.1:8080"\n',
            "player",
            "[[player]] (two brackets)",
        ),
        (
            '[webhooks]\npath_map = { from = "/movies", to = "/srv/media/movies" }\n',
            "webhooks.path_map",
            'path_map = [{ from = "…", to = "…" }]',
        ),
    ],
)
def test_a_table_written_where_a_list_of_tables_goes_names_the_fix(
    tmp_path, capsys, text, key, fix
):
    good = _good(tmp_path)
    if key == "library":  # in place of the good one: TOML refuses both forms of one key
        good = f'data_dir = "{tmp_path}/data"\n[providers.tmdb]\napi_key = "k"\n'
    status, _, err = _check(tmp_path, good + text, capsys)
    assert status == 2
    line = next(x for x in err.splitlines() if x.startswith(f"error: {key}:"))
    assert "expected a list, got a table" in line
    assert fix in line, line


def test_a_library_this_user_cannot_write_is_a_warning_naming_the_fix(
    tmp_path, capsys, monkeypatch
):
    """README, "Real setup": the service's user "must also be able to write into the libraries,
    where publishing puts the NFOs and artwork" (setfacl). Forgotten, `config check` (run as that
    user, as the README says) said OK, scan and enrich worked, and only PUBLISH failed, item by
    item. As root the mode does not stop us: os.access answers as for that user then."""
    text = _good(tmp_path)
    movies = tmp_path / "movies"
    if os.geteuid() == 0:
        real_access = os.access

        def access(path, mode, *args, **kwargs):
            if os.fspath(path) == str(movies) and mode & os.W_OK:
                return False
            return real_access(path, mode, *args, **kwargs)

        monkeypatch.setattr(os, "access", access)
    else:
        movies.chmod(0o555)
    try:
        status, out, err = _check(tmp_path, text, capsys)
    finally:
        movies.chmod(0o755)
    assert status == 0, err  # scan and enrich work: a warning
    line = next(x for x in err.splitlines() if x.startswith('warning: library "Movies".path:'))
    assert f"{movies} is not writable by this user" in line
    assert "setfacl" in line

    # publishing switched off: nothing is written there, nothing to say
    status, out, err = _check(tmp_path, text + "[workflow]\npublishing = false\n", capsys)
    assert 'library "Movies".path' not in err


def test_the_setfacl_named_for_a_library_with_a_space_is_one_folder(tmp_path, capsys, monkeypatch):
    """A library root with a space (Radarr's "Kids Movies" root folder, Unraid's
    /mnt/user/Media/Kids Movies) that this user cannot write: the warning's setfacl named it
    unquoted, so the command copied from it set ACLs on `.../Kids` and `./Movies` (and, -R,
    all below them), not on the library. It is quoted as the shell needs."""
    kids = tmp_path / "Kids Movies"
    kids.mkdir()
    text = (
        f'data_dir = "{tmp_path}/data"\n'
        f'[[library]]\nname = "Kids"\npath = "{kids}"\n'
        '[providers.tmdb]\napi_key = "k"\n'
    )
    real_access = os.access

    def access(path, mode, *args, **kwargs):  # as a user without the ACL (as root too)
        if os.fspath(path) == str(kids) and mode & os.W_OK:
            return False
        return real_access(path, mode, *args, **kwargs)

    monkeypatch.setattr(os, "access", access)
    status, _out, err = _check(tmp_path, text, capsys)
    assert status == 0, err
    line = next(x for x in err.splitlines() if x.startswith('warning: library "Kids".path:'))
    command = shlex.split(line[line.index("(e.g. setfacl") + 6 : line.rindex(")")])
    assert command[0] == "setfacl" and command[-1] == str(kids), command
    assert command.count("-m") == 2 and len(command) == 7, command


def test_a_player_with_no_libraries_is_a_warning_naming_them(tmp_path, capsys):
    """A [[player]] written as Kodi's own wiki gives a JSON-RPC client (a URL, a user, a
    password) without `libraries`: its default, none, meant that player was never told about
    a publish, and `config check` said OK without a word."""
    text = _good(tmp_path) + (
        '[[player]]\nname = "Living room"\ntype = "kodi"\nurl = "http://127.0.0.1:8080"\n'
        'username = "kodi"\npassword = "secret"\n'
    )
    status, out, err = _check(tmp_path, text, capsys)
    assert status == 0, err
    header = text.splitlines().index("[[player]]") + 1  # where `libraries` goes
    assert (
        'warning: player "Living room".libraries: empty: this player is never told about a '
        f'publish; list the [[library]] names it shows, e.g. libraries = ["Movies"] (line {header})'
    ) in err.splitlines()

    status, out, err = _check(tmp_path, text + 'libraries = ["Movies"]\n', capsys)
    assert ".libraries" not in err


def test_a_player_with_no_libraries_in_a_config_with_none_is_not_told_to_list_none(
    tmp_path, capsys
):
    """A new user's config with its [[player]] first and no [[library]] yet: the warning's
    example was `libraries = []`, the very value it warns about."""
    text = (
        f'data_dir = "{tmp_path}/data"\n[providers.tmdb]\napi_key = "k"\n'
        '[[player]]\nname = "Living room"\ntype = "kodi"\nurl = "http://127.0.0.1:8080"\n'
    )
    status, _out, err = _check(tmp_path, text, capsys)
    assert status == 0, err
    line = next(x for x in err.splitlines() if 'player "Living room".libraries' in x)
    assert "libraries = []" not in line
    assert 'add a [[library]] first, then list its name, e.g. libraries = ["Movies"]' in line


def test_a_windows_path_in_double_quotes_says_to_use_single_quotes(tmp_path, capsys):
    r"""Sonarr on Windows sends its root folder as D:\Media\TV (config.example.toml's own
    path_map example). Written in double quotes, as every other path in the file is, `\M` is
    no TOML escape: the check said only "invalid TOML: Unescaped '\' in a string"."""
    text = _good(tmp_path) + '[webhooks]\npath_map = [{ from = "D:\\Media\\TV", to = "/srv/tv" }]\n'
    status, _, err = _check(tmp_path, text, capsys)
    assert status == 2
    assert "Unescaped '\\' in a string" in err
    assert r"write a Windows path in single quotes, 'D:\Media\TV'" in err

    # as the hint says: read as written
    fixed = text.replace('"D:\\Media\\TV"', "'D:\\Media\\TV'")
    status, _, err = _check(tmp_path, fixed, capsys)
    assert "invalid TOML" not in err


@pytest.mark.parametrize(
    "url", ["http://kodi\\:s3cr%t@192.168.1.5:8080/", "http://kodi:s3cr\\t@192.168.1.5:8080/"]
)
def test_a_backslash_in_a_urls_password_is_refused(tmp_path, capsys, url):
    """urlsplit reads `kodi\\:s3cr%t` as the user info, and the URL passed; urllib3 (requests)
    reads the backslash as the path's start, as browsers do (WHATWG URL): every request went to
    the host `kodi`, the password in its path (`/%5C:s3cr%t@192.168.1.5:8080/`), and an error
    quoted it. The backslash must be percent-encoded (`%5C`)."""
    player = f'[[player]]\nname = "Kodi"\ntype = "kodi"\nurl = \'{url}\'\n'
    status, _out, err = _check(tmp_path, _good(tmp_path) + player, capsys)
    assert status == 2 and 'player "Kodi".url: not a valid URL' in err and "%5C" in err
    assert "s3" not in err

"""Configuration: the docs/interface.md keys, validated with errors that name the key."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from metarrd.cli import main
from metarrd.config import (
    ASSET_TYPES,
    collect_problems,
    declared_keys,
    key_line,
    load_config,
    parse_config,
    parse_toml,
)
from metarrd.errors import ConfigError

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "config.example.toml"


def test_example_config_is_valid_and_complete():
    config = parse_config(tomllib.loads(EXAMPLE.read_text()))
    assert config.providers.tmdb.certification_country == "US"
    assert config.workflow.auto_publish is False
    assert config.player[0].path_map[0].from_ == "/srv/media/movies"
    assert config.web.bind == "127.0.0.1:8787"


def _documented_keys(text: str) -> set[str]:
    """Dotted keys written in the example, tables included (inline tables count by their keys)."""
    keys: set[str] = set()
    table = ""
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if m := re.fullmatch(r"\[\[?([\w.]+)\]?\]", line):
            table = m.group(1)
        elif m := re.match(r"(\w+)\s*=", line):
            keys.add(f"{table}.{m.group(1)}" if table else m.group(1))
            for inner in re.findall(r"[{,]\s*(\w+)\s*=", line):
                keys.add(f"{table}.{m.group(1)}.{inner}")
    return keys


def test_every_setting_is_documented_in_the_example():
    documented = _documented_keys(EXAMPLE.read_text())
    missing = [k for k in declared_keys() if k not in documented]
    # dict-valued settings (artwork.limits) are documented as a table of their entries
    missing = [k for k in missing if not any(d.startswith(k + ".") for d in documented)]
    assert not missing, f"settings missing from config.example.toml: {missing}"


# What the example sets that is not its key's default: the examples of a table a user fills in
# (each says its default beside it, in words). Every other value in it is the true default.
EXAMPLE_VALUES = {
    "library",
    "player",
    "webhooks.path_map",
    "library.name",
    "library.path",
    "library.kind",  # the second one's, "tv"
    "player.name",
    "player.url",
    "player.username",
    "player.libraries",
    "player.path_map",
}


def _differences(value, default, key: str):
    """The dotted keys whose value in `value` differs from `default` (dataclasses walked)."""
    import dataclasses

    for f in dataclasses.fields(value):
        name = f"{key}.{f.name}".lstrip(".").replace("from_", "from")
        ours, theirs = getattr(value, f.name), getattr(default, f.name)
        if dataclasses.is_dataclass(ours):
            yield from _differences(ours, theirs, name)
        elif ours != theirs:
            yield name, ours, theirs


def test_the_example_gives_every_setting_its_true_default():
    """config.example.toml "lists every setting with its default": a default changed in the
    code and not in the example (or the other way round) tells a user the wrong one."""
    from metarrd.config import Config, LibraryConfig, PlayerConfig

    config = parse_config(tomllib.loads(EXAMPLE.read_text()))
    wrong = list(_differences(config, Config(), ""))
    for library in config.library:
        wrong += _differences(library, LibraryConfig(name="", path="/"), "library")
    for player in config.player:
        wrong += _differences(player, PlayerConfig(name="", type="kodi", url=""), "player")
    wrong = [w for w in wrong if w[0] not in EXAMPLE_VALUES]
    assert not wrong, f"config.example.toml's value is not the default: {wrong}"
    assert config.library[0].kind == LibraryConfig(name="", path="/").kind  # "movie"


def test_interface_keys_are_all_accepted():
    data = {
        "data_dir": "/var/lib/metarrd",
        "library": [{"name": "Movies", "path": "/srv/media/movies", "kind": "movie"}],
        "providers": {
            "tmdb": {
                "api_key": "k",
                "read_token": "",
                "base_url": "https://api.themoviedb.org/3",
                "language": "en-US",
                "certification_country": "US",
            },
            "fanart": {"api_key": "", "base_url": "https://webservice.fanart.tv/v3"},
            "tvdb": {"api_key": "", "pin": "", "base_url": "https://api4.thetvdb.com/v4"},
        },
        "workflow": {
            "webhooks": True,
            "scanning": True,
            "identification": True,
            "enrichment": True,
            "auto_publish": False,
            "publishing": True,
        },
        "player": [
            {
                "name": "Living room",
                "type": "kodi",
                "url": "http://127.0.0.1:8080",
                "username": "kodi",
                "password": "",
                "libraries": ["Movies"],
                "path_map": [{"from": "/srv/media/movies", "to": "smb://nas/movies"}],
            }
        ],
        "webhooks": {"token": ""},
        "web": {"bind": "127.0.0.1:8787"},
    }
    assert parse_config(data).library[0].name == "Movies"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"data_dirr": "/x"}, "data_dirr: unknown key"),
        ({"providers": {"tmdb": {"apikey": "x"}}}, "providers.tmdb.apikey: unknown key"),
        ({"providers": {"tmdb": {"api_key": 5}}}, "providers.tmdb.api_key: expected a string"),
        ({"workflow": {"auto_publish": "yes"}}, "workflow.auto_publish: expected true or false"),
        ({"library": [{"name": "M"}]}, 'library "M".path: required key is missing'),
        (
            {"library": [{"name": "M", "path": "rel", "kind": "movie"}]},
            'library "M".path: must be an absolute',
        ),
        ({"library": [{"name": "M", "path": "/m", "kind": "music"}]}, 'library "M".kind'),
        ({"player": [{"name": "p", "type": "vlc", "url": "http://x"}]}, 'player "p".type'),
        (
            {"player": [{"name": "p", "type": "kodi", "url": "http://x", "libraries": ["Nope"]}]},
            "player \"p\".libraries: no [[library]] is named 'Nope'",
        ),
        ({"web": {"bind": "8787"}}, "web.bind"),
        ({"web": {"bind": "127.0.0.1:99999"}}, "web.bind: port 99999 is not 1 to 65535"),
        ({"web": {"bind": "0.0.0.0:0"}}, "web.bind: port 0 is not 1 to 65535"),
        (
            {"providers": {"tmdb": {"base_url": "api.themoviedb.org/3"}}},
            "providers.tmdb.base_url: must start with http:// or https://",
        ),
        ({"artwork": {"limits": {"posterz": 1}}}, "artwork.limits.posterz: unknown artwork type"),
        # "expected a whole number, got a number" left the user to guess what was wrong
        (
            {"enrich": {"concurrency": 1.5}},
            "enrich.concurrency: expected a whole number, got a decimal number (1.5)",
        ),
        ({"enrich": {"analysis_processes": -2}}, "enrich.analysis_processes: must be -1"),
        # accepted before, then every provider call failed with "internal error: ValueError:
        # Attempted to set connect timeout to 0.0", a poll of 0 s spun, a login of 0 h expired
        # at once and max_pixels 0 rejected every image
        ({"providers": {"timeout_seconds": 0}}, "providers.timeout_seconds: must be more than 0"),
        ({"providers": {"max_retries": -1}}, "providers.max_retries: must be 0 or more"),
        (
            {"player": [{"name": "p", "type": "kodi", "url": "http://x", "timeout_seconds": -1}]},
            'player "p".timeout_seconds: must be more than 0',
        ),
        (  # a player's certificate file that is not there: the config check says so
            {
                "player": [
                    {"name": "p", "type": "kodi", "url": "https://x", "ca_file": "/nonexistent.pem"}
                ]
            },
            "player \"p\".ca_file: '/nonexistent.pem' is not a file",
        ),
        (  # Kodi's Chorus web interface, as the browser shows it: `#home` cut off /jsonrpc
            {"player": [{"name": "p", "type": "kodi", "url": "http://htpc:8080/#home"}]},
            "player \"p\".url: holds a '#' (the address of a web app's page)",
        ),
        (  # read from the daemon's working directory, which is / under systemd
            {"player": [{"name": "p", "type": "kodi", "url": "https://x", "ca_file": "kodi.pem"}]},
            "player \"p\".ca_file: must be an absolute path, not 'kodi.pem'",
        ),
        (
            {"library": [{"name": "M", "path": "/m", "poll": True, "poll_seconds": 0}]},
            'library "M".poll_seconds: must be at least 1',
        ),
        ({"web": {"session_hours": 0}}, "web.session_hours: must be at least 1"),
        ({"artwork": {"max_pixels": 0}}, "artwork.max_pixels: must be at least 1"),
        ({"enrich": {"max_actors": -1}}, "enrich.max_actors: must be 0 or more"),
        ({"daemon": {"settle_seconds": -1}}, "daemon.settle_seconds: must be 0 or more"),
        # each named alone (all three were named for any one of them, and the line was the
        # first's); workers = 0 ran one worker, without a word
        ({"enrich": {"per_host": 0}}, "enrich.per_host: must be at least 1"),
        ({"daemon": {"workers": 0}}, "daemon.workers: must be at least 1"),
        # accepted before: a provider misspelt was "not in your provider priority" at every
        # score, a network misspelt only a log line of the daemon at each image added by URL
        (
            {"artwork": {"provider_priority": ["tmdb", "fanarttv"]}},
            "artwork.provider_priority[1]: no provider 'fanarttv' (did you mean fanart?); "
            "tmdb, fanart, tvdb or library",
        ),
        # accepted before: TMDB was asked in language "en_US" (a locale's spelling) and
        # answered in its default, "USA" found no age rating in TMDB's release dates (keyed
        # "US"), and artwork in "english" was never preferred
        (
            {"providers": {"tmdb": {"language": "en_US"}}},
            'providers.tmdb.language: expected a language such as "en-US", "de-DE" or "pt-BR" '
            "(ISO 639-1, then a country), not 'en_US'",
        ),
        (
            {"providers": {"tmdb": {"certification_country": "USA"}}},
            'providers.tmdb.certification_country: expected a two-letter country such as "US", '
            '"GB" or "DE" (ISO 3166-1), not \'USA\'',
        ),
        (
            {"artwork": {"preferred_languages": ["de", "english"]}},
            'artwork.preferred_languages[1]: expected a two-letter language such as "en" or '
            "\"de\" (ISO 639-1), not 'english'",
        ),
        (
            {"artwork": {"user_url_allow": ["192.168.1.0/33"]}},
            "artwork.user_url_allow[0]: expected an address or network such as "
            "\"192.168.1.0/24\", not '192.168.1.0/33'",
        ),
    ],
)
def test_bad_values_name_the_key(data, message):
    with pytest.raises(ConfigError) as err:
        parse_config(data)
    assert message in str(err.value)


def test_the_example_names_every_artwork_type_the_limits_take():
    """`[artwork.limits]` takes every type of `ASSET_TYPES`; the example listed the movies'
    only, and a user looking for how many character art a show gets found nothing."""
    section = EXAMPLE.read_text().split("[artwork.limits]")[1].split("[enrich]")[0]
    named = set(re.findall(r"[a-z][a-z-]*[a-z]", section))
    assert set(ASSET_TYPES) - named == set()


@pytest.mark.parametrize(
    ("tmdb", "languages"),
    [
        ({"language": "de-DE", "certification_country": "DE"}, ["de", "en"]),
        ({"language": "pt-BR", "certification_country": "br"}, ["pt-BR"]),
        ({"language": "fr"}, []),
    ],
)
def test_the_language_and_country_codes_tmdb_takes_are_accepted(tmdb, languages):
    """TMDB's `language` is ISO 639-1, alone or with an ISO 3166-1 country (`pt-BR`)."""
    config = parse_config(
        {"providers": {"tmdb": tmdb}, "artwork": {"preferred_languages": languages}}
    )
    assert config.providers.tmdb.language == tmdb["language"]


def test_an_enrich_number_out_of_range_is_named_alone():
    """`items = 0` was "enrich.concurrency / enrich.per_host / enrich.items: must be at least
    1", on the line of concurrency."""
    with pytest.raises(ConfigError) as err:
        parse_config({"enrich": {"items": 0}})
    assert "enrich.items: must be at least 1" in str(err.value)
    assert "concurrency" not in str(err.value) and "per_host" not in str(err.value)


@pytest.mark.parametrize(
    "url",
    [
        "http://nas:32400/library/metadata/41?checkFiles=1&X-Plex-Token=s3cretT0ken",
        "http://nas:32400/?X-Plex-Token=s3cretT0ken",
        "http://nas:32400?",
    ],
)
def test_a_player_url_with_a_query_is_refused_without_quoting_it(url):
    """Plex's "View XML" address, copied to find the token: each request went to
    `...?checkFiles=1&X-Plex-Token=<token>/library/sections`, its path in the query (the
    token read as `<token>/library/sections`), never to the API. The message never quotes
    the URL: it holds the token."""
    player = {"name": "p", "type": "plex", "url": url, "token": "t", "libraries": []}
    with pytest.raises(ConfigError) as err:
        parse_config({"player": [player]})
    assert "player \"p\".url: holds a query ('?...')" in str(err.value)
    assert "s3cretT0ken" not in str(err.value)


def test_artwork_limits_set_in_part_keep_the_other_types_defaults():
    """`[artwork.limits]` with only the types a user changes (`poster = 5`): the others keep
    what config.example.toml lists as their defaults (fanart 5, clearlogo 2), not the 1 that
    selection takes for a type with no limit."""
    text = EXAMPLE.read_text().split("[artwork.limits]")[1].split("[enrich]")[0]
    example = tomllib.loads(text)
    limits = parse_config({"artwork": {"limits": {"poster": 5, "discart": 0}}}).artwork.limits
    assert limits == {**example, "poster": 5, "discart": 0}
    assert limits["fanart"] == 5 and limits["clearlogo"] == 2


def _line_of(text: str, written: str) -> int:
    return text.splitlines().index(written) + 1


def test_a_wrong_value_names_its_key_its_file_and_its_line(tmp_path, capsys):
    """config.example.toml copied and edited: a wrong value in the second `[[library]]` and in
    `[daemon]`. The daemon's one line (its journal) named the key, not the file nor where in
    it; `config check` names each key's line, the second `[[library]]`'s own."""
    text = (
        EXAMPLE.read_text()
        .replace('kind = "tv"', 'kind = "shows"')
        .replace("settle_seconds = 5.0 ", 'settle_seconds = "5s"')
    )
    cfg = tmp_path / "config.toml"
    cfg.write_text(text)
    kind = _line_of(text, 'kind = "shows"')
    settle = next(i for i, x in enumerate(text.splitlines(), 1) if x.startswith("settle_seconds"))
    assert main(["--config", str(cfg), "list"]) == 2
    assert capsys.readouterr().err == (
        "metarrd: configuration error: daemon.settle_seconds: expected a number, got a string "
        f"({cfg}, line {settle})\n"
    )
    assert main(["--config", str(cfg), "config", "check"]) == 2
    err = capsys.readouterr().err.splitlines()
    assert f'error: library "TV".kind: must be "movie" or "tv", not \'shows\' (line {kind})' in err
    assert f"error: daemon.settle_seconds: expected a number, got a string (line {settle})" in err


def test_a_keys_line_is_found_in_any_way_toml_writes_it():
    """Dotted keys, quoted keys, an inline table's key (its list's line), a multi-line string
    holding what looks like a table; a key the file leaves out is its table's line, or none."""
    text = (
        'providers.tmdb.api_key = "k"\n'  # 1
        "[[library]]\n"  # 2
        'name = "Movies"\n'  # 3
        "[[library]]\n"  # 4
        '"name" = "Kids.Movies"\n'  # 5
        'path = "kids"\n'  # 6
        "[webhooks]\n"  # 7
        'token = """\n'  # 8
        "[web]\n"  # 9
        'bind = 1"""\n'  # 10
        "path_map = [\n"  # 11
        '  { from = "/movies", to = "movies" },\n'  # 12
        "]\n"  # 13
        "[ web ] # the UI\n"  # 14
        "bind = 8787\n"  # 15
    )
    data = tomllib.loads(text)
    assert key_line(text, data, "providers.tmdb.api_key") == 1
    assert key_line(text, data, 'library "Kids.Movies".path') == 6
    assert key_line(text, data, "library[1].path") == 6
    assert key_line(text, data, 'library "Movies".path') == 2  # not written: its [[library]]
    assert key_line(text, data, "webhooks.path_map[0].to") == 11
    assert key_line(text, data, "web.bind") == 15
    assert key_line(text, data, "enrich.concurrency / enrich.per_host") is None
    assert key_line(text, data, "player") is None
    # TOML's escapes JSON has not, a U+2028 in a value (a line end to str.splitlines)
    text = '"\\U0001F3AC" = 1\n[web]\nsession_hours = "12\u2028h"\nbind = 8787\n'
    data = tomllib.loads(text)
    assert key_line(text, data, "\U0001f3ac") == 1
    assert key_line(text, data, "web.bind") == 4
    # three quotes in a one-line string, a comment or behind an escape open no multi-line
    # string: the keys below them kept no line, or took a wrong one
    text = (
        "[webhooks]\n"  # 1
        "token = \"'''\"  # a basic string\n"  # 2
        "[web]\n"  # 3
        "bind = 8787 # a comment's ''' or \"\"\"\n"  # 4
        'session_hours = \'"""\'\n'  # 5
        'allowed_hosts = [\n  "a\\"\\"\\"",\n]\n'  # 6-8
        'base_url = """a \\""" b"""\n'  # 9
        "trusted_proxies = '''\n\"\"\"\n'''' # a ' at its end\n"  # 10-12
        "cookie_name = 'x'\n"  # 13
    )
    data = tomllib.loads(text)
    assert key_line(text, data, "webhooks.token") == 2
    assert key_line(text, data, "web.bind") == 4
    assert key_line(text, data, "web.session_hours") == 5
    assert key_line(text, data, "web.allowed_hosts") == 6
    assert key_line(text, data, "web.base_url") == 9
    assert key_line(text, data, "web.trusted_proxies") == 10
    assert key_line(text, data, "web.cookie_name") == 13


def test_config_check_exit_codes(tmp_path, capsys):
    good = tmp_path / "good.toml"
    good.write_text(
        f'data_dir = "{tmp_path}/data"\n[[library]]\nname = "M"\npath = "{tmp_path}"\n'
        '[providers.tmdb]\napi_key = "k"\n'
    )
    assert main(["--config", str(good), "config", "check"]) == 0
    bad = tmp_path / "bad.toml"
    bad.write_text("[web]\nbind = 8787\n")
    assert main(["--config", str(bad), "config", "check"]) == 2
    assert "web.bind: expected a string" in capsys.readouterr().err
    assert main(["--config", str(tmp_path / "missing.toml"), "config", "check"]) == 2
    broken = tmp_path / "broken.toml"
    broken.write_text("[web\n")
    assert main(["--config", str(broken), "config", "check"]) == 2
    assert "invalid TOML" in capsys.readouterr().err


def _metarrd(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    """`python -m metarrd ARGS` in a child, killed after 60 s: a hang fails the test, it does
    not hang the suite."""
    env = {**os.environ, **(env or {}), "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    return subprocess.run(
        [sys.executable, "-m", "metarrd", *args], capture_output=True, text=True, env=env,
        timeout=60, stdin=subprocess.DEVNULL,
    )  # fmt: skip


@pytest.mark.parametrize("command", [["list"], ["config", "check"]])
def test_a_config_that_is_a_fifo_is_a_configuration_error_not_a_hang(tmp_path, command):
    """`metarrd --config /tmp/fifo.toml list` (a FIFO: a templating `mkfifo` + `envsubst >`
    left in place, or a hostile name in /etc/metarrd) waited forever for a writer, in an
    open() Ctrl-C could not end under systemd. Only regular files are read: exit 2, one line."""
    fifo = tmp_path / "config.toml"
    os.mkfifo(fifo)
    done = _metarrd("--config", str(fifo), *command)
    assert done.returncode == 2, done.stderr
    assert f"{fifo}: a FIFO (named pipe), not a regular file" in done.stderr
    link = tmp_path / "link.toml"  # the same through $METARRD_CONFIG and a symlink
    link.symlink_to(fifo)
    done = _metarrd(*command, env={"METARRD_CONFIG": str(link)})
    assert done.returncode == 2 and "a FIFO (named pipe), not a regular file" in done.stderr


def test_a_config_file_of_gigabytes_is_refused_before_it_is_read(tmp_path, capsys):
    """`--config` naming a 2 GB file (a disk image, a log, given by mistake) was read whole into
    memory before TOML refused it. A sparse file: no disk space is used."""
    huge = tmp_path / "config.toml"
    with open(huge, "wb") as fh:
        fh.truncate(2 << 30)
    assert main(["--config", str(huge), "list"]) == 2
    assert "2,147,483,648 bytes, over the 1,048,576 bytes" in capsys.readouterr().err


@pytest.mark.parametrize(
    "make, reason",
    [
        (lambda p: p.mkdir(), "a folder, not a regular file"),
        (lambda p: p.symlink_to(p), "cannot read: Too many levels of symbolic links"),
        (lambda p: p.write_bytes(b'data_dir = "/srv/m\xe9dia"\n'), "not UTF-8 text"),  # Latin-1
        (
            lambda p: p.write_text("a = " + "[" * 50_000 + "]" * 50_000),
            "invalid TOML: arrays or tables nested too deeply",
        ),
    ],
    ids=["folder", "symlink-loop", "latin-1", "nested"],
)
def test_a_config_that_cannot_be_read_is_one_line_exit_2(tmp_path, capsys, make, reason):
    """Each is one `configuration error` line and exit 2, for the daemon and for `config
    check`; a config nested 50,000 arrays deep was a RecursionError traceback from tomllib."""
    cfg = tmp_path / "config.toml"
    make(cfg)
    assert main(["--config", str(cfg), "list"]) == 2
    assert capsys.readouterr().err == f"metarrd: configuration error: {cfg}: {reason}\n"
    assert main(["--config", str(cfg), "config", "check"]) == 2
    assert f"error: {cfg}: {reason}\n" in capsys.readouterr().err


def test_config_found_through_environment(tmp_path, monkeypatch):
    cfg = tmp_path / "env.toml"
    cfg.write_text(f'data_dir = "{tmp_path}/d"\n')
    monkeypatch.setenv("METARRD_CONFIG", str(cfg))
    assert load_config().data_dir == f"{tmp_path}/d"


def test_the_config_is_found_by_option_then_environment_then_etc(tmp_path, monkeypatch, capsys):
    """--config PATH, else $METARRD_CONFIG, else /etc/metarrd/config.toml: the file
    `config check` names is the one it read."""
    given, env = tmp_path / "given.toml", tmp_path / "env.toml"
    for cfg in (given, env):
        cfg.write_text(f'data_dir = "{tmp_path}/d"\n[providers.tmdb]\napi_key = "k"\n')
        cfg.chmod(0o600)
    monkeypatch.setenv("METARRD_CONFIG", str(env))
    assert main(["--config", str(given), "config", "check"]) == 0
    assert capsys.readouterr().out.startswith(f"{given}: OK")
    assert main(["config", "check"]) == 0
    assert capsys.readouterr().out.startswith(f"{env}: OK")
    monkeypatch.delenv("METARRD_CONFIG")
    main(["config", "check"])  # whatever this machine's /etc holds, that file is the one read
    said = capsys.readouterr()
    assert "/etc/metarrd/config.toml" in said.out + said.err
    assert str(tmp_path) not in said.out + said.err


def test_the_example_as_copied_gets_no_warning_of_its_own():
    """README: copy config.example.toml, edit it, run `metarrd config check`. The copy itself
    drew a warning about trusted_proxies and a reverse proxy: its allowed_hosts was set to an
    example ("nas.local") rather than to its default, which a user without a proxy never set."""
    from metarrd.config import collect_problems

    config, problems = collect_problems(tomllib.loads(EXAMPLE.read_text()))
    assert problems == []
    assert config.web.allowed_hosts == ()


@pytest.mark.parametrize(
    ("name", "line"), [("fanart", "fanart.tv is skipped"), ("tvdb", "TheTVDB is skipped")]
)
def test_an_empty_provider_key_is_one_log_line_with_items_enriched_at_once(
    config_factory, name, line, caplog, monkeypatch
):
    """interface.md: `[providers.fanart] api_key = ""`: "fanart.tv is skipped, with one log
    line" (TheTVDB likewise). `metarrd -v enrich --all` enriches `[enrich] items` movies at once,
    and when two asked for the client at the same moment each made one: the line came twice
    (seen on a real run of four movies). The second asks while the first makes it: it waits
    for the first one's answer."""
    import importlib
    import threading

    from metarrd.runtime import Runtime

    config = config_factory()  # no provider keys at all
    rt = Runtime(config)
    module = importlib.import_module(f"metarrd.providers.{name}")
    real = module.make_client
    other: list = []

    def make_client(*args):
        if not other:  # another enrich thread asks now, while this one makes the client
            other.append(threading.Thread(target=rt.client, args=(name,)))
            other[0].start()
            other[0].join(1.0)  # it waits for this one (fixed), or makes its own (before)
        return real(*args)

    monkeypatch.setattr(module, "make_client", make_client)
    with caplog.at_level("INFO", logger=module.__name__):
        assert rt.client(name) is None
        other[0].join(10)
    assert not other[0].is_alive()
    assert sum(line in r.getMessage() for r in caplog.records) == 1


def test_a_config_saved_with_a_byte_order_mark_is_read(tmp_path, capsys):
    """config.toml edited from Windows on the NAS's share: Notepad and PowerShell's `Out-File`
    save UTF-8 with a byte order mark (EF BB BF), which TOML allows (toml-lang/toml#437);
    tomllib refused it as "Invalid statement (at line 1, column 1)", no hint of the cause. A
    BOM anywhere but at the start stays an error."""
    cfg = tmp_path / "config.toml"
    cfg.write_bytes(b"\xef\xbb\xbf" + f'data_dir = "{tmp_path}/data"\r\n'.encode())
    assert load_config(cfg).data_dir == f"{tmp_path}/data"
    cfg.write_bytes(f'data_dir = "{tmp_path}/data"\n'.encode() + b"\xef\xbb\xbf[web]\n")
    assert main(["--config", str(cfg), "list"]) == 2
    assert "invalid TOML" in capsys.readouterr().err


@pytest.mark.parametrize(
    "url",
    [
        "http://nas:8096/web/#/home.html",  # Jellyfin 10.9's address bar
        "http://nas:8096/web/index.html#!/home.html",  # Jellyfin 10.7's
        "https://host/jellyfin/web/",  # behind a proxy with a base path
        "http://nas:32400/web/index.html#!/",  # Plex's
    ],
)
def test_a_player_url_of_its_web_app_is_named(url):
    """Copied from the browser: the requests went below the web app (or were cut at '#') and
    the player answered with its web page: 'answered with an HTML page'."""
    _config, found = collect_problems(
        {"player": [{"name": "p", "type": "jellyfin", "url": url, "token": "k"}]}
    )
    [problem] = [p for p in found if p.key == 'player "p".url']
    assert problem.level == "warning" and "the part before /web" in problem.message


def test_a_player_url_with_a_base_path_is_fine():
    _config, found = collect_problems(
        {"player": [{"name": "p", "type": "jellyfin", "url": "https://h/jellyfin", "token": "k"}]}
    )
    assert [p for p in found if p.key == 'player "p".url'] == []


@pytest.mark.parametrize(
    "key, url",
    [
        ("database", "postgresql://metarrd:pa/ss@db.lan/metarrd"),  # "/" ends the host part
        ("database", "postgresql://metarrd:s3cr/t@db.lan:5432/metarrd?sslmode=require"),
        ("queue", "redis://:pa/ss@redis.lan:6379/0"),
    ],
)
def test_a_slash_in_a_url_password_written_as_is_is_a_configuration_error(key, url):
    """A generated password with a "/" pasted into the URL as is: the host part ended at the
    "/", and "ss@db.lan/metarrd" was read as the database's name (libpq: could not connect to
    "pa"); only "@" and "#" were caught."""
    with pytest.raises(ConfigError, match=f"{key}.url.*%2F"):
        parse_config({key: {"url": url}})


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://metarrd@%2Frun%2Fpostgresql/metarrd",
        "postgresql:///metarrd?host=/run/postgresql",
        "postgresql://metarrd:p%2Fss@db.lan/metarrd?user=me@corp",
    ],
)
def test_database_urls_libpq_documents_are_not_taken_for_unencoded_passwords(url):
    assert parse_config({"database": {"url": url}}).database.url == url


def test_a_kodi_url_with_a_login_and_another_username_and_password_is_a_warning():
    """Kodi behind a reverse proxy's basic auth (`http://proxy:pw@kodi.lan:8080`): requests
    sends the URL's login as `Authorization: Basic`, which replaces the one made of username
    and password (there is room for one), so a right username and password were never sent
    and Kodi's 401 said to check them."""
    kodi = {"name": "p", "type": "kodi", "username": "kodi", "password": "kodi-pw"}
    _config, found = collect_problems(
        {"player": [{**kodi, "url": "http://proxy:proxy-pw@kodi.lan:8080"}]}
    )
    [problem] = [p for p in found if p.key == 'player "p".username']
    assert problem.level == "warning" and "only the URL's is sent" in problem.message
    assert "proxy-pw" not in problem.message and "kodi-pw" not in problem.message
    for same in ("http://kodi:kodi-pw@kodi.lan:8080", "http://kodi.lan:8080"):
        _config, found = collect_problems({"player": [{**kodi, "url": same}]})
        assert [p for p in found if p.key == 'player "p".username'] == []


def test_a_configs_folders_are_made_once_and_follow_a_replaced_config(tmp_path):
    """An enrich asked `cache_dir` some 900 times for 6 movies (each candidate's cache check,
    each placed picture), building `Path(data_dir) / "cache"` every time: a frozen config's
    folders cannot change, so each is made once; a config made from it with another
    `data_dir` (the user's preferences applied, `dataclasses.replace`) has its own."""
    import dataclasses

    from metarrd.config import parse_config

    config = parse_config({"data_dir": str(tmp_path / "a")})
    assert config.cache_dir is config.cache_dir and config.data_path is config.data_path
    assert config.cache_dir == tmp_path / "a" / "cache"
    other = dataclasses.replace(config, data_dir=str(tmp_path / "b"))
    assert other.cache_dir == tmp_path / "b" / "cache" and other.data_path == tmp_path / "b"
    assert config.cache_dir == tmp_path / "a" / "cache"
    assert other == dataclasses.replace(other)  # what is kept is no part of its value


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://kodi..local:8080", "an empty part between dots"),
        ("http://.kodi.local:8080", "an empty part between dots"),
        (f"http://{'k' * 64}.local:8080", "longer than 63 characters"),
        (f"https://{'.'.join(['nas'] * 64)}/jellyfin", "longer than 253 characters"),
        # Python's IDNA 2003 codec takes a symbol (xn--i-7iq.ws); requests has urllib3 encode
        # the name with the `idna` package (IDNA 2008), which refuses it: "not a valid IDNA
        # label" at every request
        ("http://i❤.ws:8080", "cannot be written as a DNS name (IDNA)"),
        ("http://kodi.ǉubljana.si:8080", "cannot be written as a DNS name (IDNA)"),
    ],
)
def test_a_player_host_name_no_resolver_takes_is_a_configuration_error(url, why):
    """`kodi..local` (a typo) passed `config check`; every notification then failed at
    connect: the socket module encodes a host name with Python's `idna` codec, which refuses
    an empty or over-63-character label (urllib3's LocationParseError, "label empty or too
    long"), and a name over 253 characters is no DNS name (RFC 1035 2.3.4)."""
    _config, found = collect_problems({"player": [{"name": "p", "type": "kodi", "url": url}]})
    [problem] = [p for p in found if p.key == 'player "p".url']
    assert problem.level == "error"
    assert problem.message.startswith("the host name ") and why in problem.message


@pytest.mark.parametrize(
    "url",
    [
        "http://kodi.local.:8080",  # a fully qualified name's final dot
        "http://jellyfin_server:8096",  # a Docker Compose service name (Docker's DNS answers it)
        "http://192.168.1.5:8080",
        "http://[fd00::5]:8080",
        "http://küche.fritz.box:8080",  # IDNA
        "http://KÜCHE.fritz.box:8080",  # urllib3 lower-cases a label before encoding it
        "http://straße.fritz.box:8080",  # IDNA 2008 keeps the ß (xn--strae-oqa)
        f"http://{'k' * 63}.local:8080",
    ],
)
def test_a_player_host_name_a_resolver_takes_is_fine(url):
    _config, found = collect_problems({"player": [{"name": "p", "type": "kodi", "url": url}]})
    assert [p for p in found if p.key == 'player "p".url'] == []


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("notify_retry_minutes = 1" + "0" * 400, "a number too large"),
        ("settle_seconds = nan", "a finite number"),
        ("full_rescan_hours = inf", "a finite number"),
        ("notify_window_seconds = -inf", "a finite number"),
    ],
)
def test_a_number_no_float_can_hold_is_a_config_error_naming_its_key(tmp_path, text, said):
    """Found by fuzzing (stop 49): TOML reads a whole number of any size, which a setting in
    seconds, minutes or hours could not hold: OverflowError and a traceback instead of a
    message naming the key; `nan` and `inf` were taken as they are."""
    data = parse_toml(f"[daemon]\n{text}\n")
    key = "daemon." + text.split(" =")[0]
    with pytest.raises(ConfigError) as err:
        parse_config(data)
    assert err.value.key == key and said in str(err.value)
    _config, problems = collect_problems(data)
    assert [p.key for p in problems] == [key]


@pytest.mark.parametrize(
    "table, text, key",
    [
        ("web", "session_hours = 1000000000000", "web.session_hours"),
        ("daemon", "notify_retry_minutes = 1e300", "daemon.notify_retry_minutes"),
        ("daemon", "full_rescan_hours = 1e300", "daemon.full_rescan_hours"),
        ("daemon", "settle_seconds = 1e300", "daemon.settle_seconds"),
        ("daemon", "notify_window_seconds = 1e300", "daemon.notify_window_seconds"),
        ("queue", "lease_seconds = 1e300", "queue.lease_seconds"),
        ("providers", "timeout_seconds = 1e300", "providers.timeout_seconds"),
    ],
)
def test_a_duration_beyond_any_clock_is_a_config_error_naming_its_key(tmp_path, table, text, key):
    """A number a float holds but a date or a sleep does not (`session_hours = 1e12`): the web
    server did not start (OverflowError at `timedelta`, a traceback), and a player's retry
    window of `1e300` minutes crashed the notifier at its first failure. Ten years at most."""
    data = parse_toml(f"[{table}]\n{text}\n")
    with pytest.raises(ConfigError) as err:
        parse_config(data)
    assert err.value.key == key and "(ten years)" in str(err.value), err.value
    setting = text.split(" =")[0]
    unit = {"seconds": 1, "minutes": 60, "hours": 3600}[setting.rpartition("_")[2]]
    parse_config(parse_toml(f"[{table}]\n{setting} = {10 * 365 * 86400 // unit}\n"))  # fits


def test_a_librarys_poll_and_a_players_timeout_beyond_any_clock_are_config_errors(tmp_path):
    lib = tmp_path / "movies"
    lib.mkdir()
    text = (
        f'[[library]]\nname = "Movies"\npath = "{lib}"\npoll_seconds = {10**20}\n'
        '[[player]]\nname = "Kodi"\ntype = "kodi"\nurl = "http://127.0.0.1:8080"\n'
        'libraries = ["Movies"]\ntimeout_seconds = 1e300\n'
    )
    _config, problems = collect_problems(parse_toml(text))
    said = sorted((p.key.rpartition(".")[2], p.message) for p in problems if p.level == "error")
    assert said == [
        ("poll_seconds", "must be at most 315360000 seconds (ten years)"),
        ("timeout_seconds", "must be at most 315360000 seconds (ten years)"),
    ]

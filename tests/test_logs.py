"""Log injection: untrusted text (a request path with `%0A`, a header, a file name holding a
newline, a terminal escape) never makes a log record of more than one line."""

from __future__ import annotations

import logging

import pytest

from metarrd import logs
from metarrd.cli import main
from metarrd.web import create_app

FORGED = "2099-01-01 00:00:00,000 INFO metarrd.web.auth: web login from 10.0.0.1"


@pytest.fixture
def safe_records():
    before = logging.getLogRecordFactory()
    logs.install()
    yield
    logging.setLogRecordFactory(before)


def test_control_characters_are_escaped_tabs_kept():
    assert logs.escape_controls("a\nb\rc\x1b[31md\x00e\tf") == "a\\nb\\rc\\x1b[31md\\x00e\tf"
    assert logs.escape_controls("x\u2028y\x85z\x7f") == "x\\u2028y\\x85z\\x7f"
    assert logs.escape_controls("Amélie (2001) / 千と千尋") == "Amélie (2001) / 千と千尋"


def test_the_cli_makes_every_record_safe(tmp_path):
    before = logging.getLogRecordFactory()
    try:
        main(["--config", str(tmp_path / "none.toml"), "config", "check"])
        assert logging.getLogRecordFactory() is logs.SafeRecord
    finally:
        logging.setLogRecordFactory(before)


def test_a_record_of_untrusted_text_is_one_line(safe_records, caplog):
    log = logging.getLogger("metarrd.scan.stage")
    with caplog.at_level(logging.INFO):
        log.warning("library %s: %s unreadable", "Movies", f"/lib/a\n{FORGED}.mkv")
        log.info(f"plain \x1b]0;title\x07 {FORGED}\r\n")
    assert [r.getMessage().count("\n") for r in caplog.records] == [0, 0]
    assert caplog.text.count("\n") == 2  # one line per record
    assert "a\\n2099-01-01" in caplog.text and "\\x1b]0;title\\x07" in caplog.text


def test_a_forged_request_path_is_logged_on_one_line(safe_records, config_factory, caplog):
    """An unauthenticated visitor's `GET /%0A<a log line>` under a Host we do not answer to:
    the guard logs the path it refused, which Werkzeug decoded to a newline."""
    app = create_app(config_factory(), testing=True)
    client = app.test_client()
    with caplog.at_level(logging.WARNING, logger="metarrd.web.auth"):
        answer = client.get(
            "/x%0A" + FORGED.replace(" ", "%20"), headers={"Host": "evil.example\x1b[2J"}
        )
    assert answer.status_code == 400
    (record,) = [r for r in caplog.records if r.name == "metarrd.web.auth"]
    message = record.getMessage()
    assert "\n" not in message and "/x\\n2099-01-01 00:00:00" in message


def test_the_password_of_a_url_in_a_record_is_hidden(safe_records, caplog):
    """Kodi answers an FTP or WebDAV source with its login written in (it strips smb:// ones
    only), and the path_map that matches it holds the same: `scanning ftp://kodi:pw@nas/…`."""
    log = logging.getLogger("metarrd.players.kodi")
    with caplog.at_level(logging.INFO):
        log.info("scanning %s", "ftp://kodi:p@ss@nas/movies/Heat (1995)/")
        log.info("sources: %s", "davs://me:S3cret@dav:443/films/, smb://nas/tv/@x, /srv/a@b")
    assert [r.getMessage() for r in caplog.records] == [
        "scanning ftp://…@nas/movies/Heat (1995)/",
        "sources: davs://…@dav:443/films/, smb://nas/tv/@x, /srv/a@b",
    ]


def test_a_long_request_path_is_logged_at_once(safe_records, config_factory, caplog, finishes):
    """`metarrd web`'s server (http.server) reads a request line of up to 64 KiB, gunicorn's
    access log writes headers of up to 8 KB each: an unauthenticated `GET /a.a.a.…` under a Host
    we do not answer to is logged by the guard, and every record's message goes through
    hide_credentials. Its pattern tried each word start of the run to the run's end: 14 s of
    CPU for this one line, under the logging lock every other thread waits on."""
    app = create_app(config_factory(), testing=True)
    client = app.test_client()
    path = "/" + "a." * 32_700  # 65,401 characters: within http.server's 65,536
    with caplog.at_level(logging.WARNING, logger="metarrd.web.auth"):
        answer = finishes(lambda: client.get(path, headers={"Host": "evil.example"}), 5.0)
    assert answer.status_code == 400
    (record,) = [r for r in caplog.records if r.name == "metarrd.web.auth"]
    assert path in record.getMessage()


# a webhook token put in the URL: as Radarr's own API takes its key (`?apikey=`), as the header
# the webhooks read it from is named (`X-Api-Key`, docs/security.md), as fanart.tv names its own
@pytest.mark.parametrize("name", ["apikey", "X-Api-Key", "api-key", "key", "password"])
def test_a_key_in_a_logged_request_line_is_hidden(safe_records, config_factory, caplog, name):
    """`metarrd web` (werkzeug's server) logs each request line with its query string: a webhook
    token put in the URL was written as sent. (`?X-Api-Key=` and the others still were, after
    `?apikey=` was hidden.)"""
    import urllib.error
    import urllib.request

    from metarrd.web import DevServer

    token = "k3-Zr9vQ0xY2mW8pL5tN"
    server = DevServer(create_app(config_factory(webhooks={"token": token}))).start()
    try:
        with caplog.at_level(logging.INFO, logger="werkzeug"):
            request = urllib.request.Request(
                f"{server.url}/api/webhooks/radarr?{name}={token}", data=b"{}", method="POST"
            )
            with pytest.raises(urllib.error.HTTPError) as refused:
                urllib.request.urlopen(request, timeout=10)
            assert refused.value.code == 401
    finally:
        server.stop()
    lines = [r.getMessage() for r in caplog.records if r.name == "werkzeug"]
    assert any(f"/api/webhooks/radarr?{name}=…" in line for line in lines), lines
    assert token not in caplog.text


def test_a_daemon_line_says_its_offset_from_utc_so_the_hour_lived_twice_is_told_apart(
    monkeypatch,
):
    """The night a summer time ends, 02:00-03:00 is lived twice: lines stamped with the local
    time alone read the same in both, and a line cannot be placed beside a player's log."""
    import time

    monkeypatch.setenv("TZ", "Europe/Berlin")
    time.tzset()
    try:
        formatter = logs.LineFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
        lines = []
        for created in (1792888200.25, 1792891800.25):  # 2026-10-25 00:30 and 01:30 UTC
            record = logging.LogRecord("metarrd.scan", logging.INFO, __file__, 1, "x", (), None)
            record.created, record.msecs = created, 250.0
            lines.append(formatter.format(record))
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()
    assert lines == [
        "2026-10-25 02:30:00,250+0200 INFO metarrd.scan: x",
        "2026-10-25 02:30:00,250+0100 INFO metarrd.scan: x",
    ]


def test_the_daemons_lines_carry_the_offset_the_commands_lines_do_not(capsys, monkeypatch):
    root = logging.getLogger()
    monkeypatch.setattr(root, "handlers", [])
    monkeypatch.setattr(root, "level", root.level)
    import io

    out = io.StringIO()
    logs.configure(level=logging.INFO, stream=out, timed=True)
    logging.getLogger("metarrd.daemon").info("started")
    line = out.getvalue()
    assert line.endswith(" INFO metarrd.daemon: started\n")
    stamp = line.split(" INFO ")[0]
    assert stamp[-5] in "+-" and stamp[-4:].isdigit(), line
    root.handlers = []
    out = io.StringIO()
    logs.configure(level=logging.INFO, stream=out, timed=False)
    logging.getLogger("metarrd.cli").warning("one item failed")
    assert out.getvalue() == "WARNING: one item failed\n"

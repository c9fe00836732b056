"""gunicorn, run as the product runs it (`--config python:metarrd.web.wsgi`):

- it trusts the proxies of `[web] trusted_proxies` and no others with what a proxy says: the
  scheme (`X-Forwarded-Proto`) and the `SCRIPT_NAME` header. gunicorn's own default trusts
  127.0.0.1 and ::1, whoever sits there (docs/security.md: "the header of anyone else is
  ignored");
- its access log holds no secret a caller put where it does not belong: a webhook token typed
  as the basic-auth user name, or in the query string (`?apikey=`);
- a body it hands over chunked (no Content-Length) is read whole, spooled past 1 MB, and
  refused past its limit."""

from __future__ import annotations

import base64
import http.client
import io
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "k3-Zr9vQ0xY2mW8pL5tN"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _request(
    port: int, path: str, headers: dict[str, str], method: str = "GET", body: bytes | None = None
) -> http.client.HTTPResponse:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request(method, path, body=body, headers={"Host": f"127.0.0.1:{port}", **headers})
    response = conn.getresponse()
    response.read()
    conn.close()
    return response


@pytest.fixture
def gunicorn_with(tmp_path):
    """Start gunicorn with the shipped settings and `[web] trusted_proxies`; yields its port."""
    procs = []

    def start(trusted_proxies: list[str], log: Path | None = None) -> int:
        port = _free_port()
        library = tmp_path / "movies"
        library.mkdir(exist_ok=True)
        config = tmp_path / "config.toml"
        proxies = ", ".join(f'"{p}"' for p in trusted_proxies)
        config.write_text(
            f'data_dir = "{tmp_path}/data"\n'
            f'[[library]]\nname = "Movies"\npath = "{library}"\n'
            f'[web]\nbind = "127.0.0.1:{port}"\ntrusted_proxies = [{proxies}]\n'
            f'[webhooks]\ntoken = "{TOKEN}"\n'
        )
        gunicorn = Path(sys.executable).with_name("gunicorn")
        env = {**os.environ, "METARRD_CONFIG": str(config), "PYTHONPATH": str(ROOT)}
        env.pop("FORWARDED_ALLOW_IPS", None)
        proc = subprocess.Popen(
            [str(gunicorn), "--config", "python:metarrd.web.wsgi", "metarrd.web.wsgi:app"],
            env=env,
            stdout=log.open("ab") if log else subprocess.DEVNULL,
            stderr=subprocess.STDOUT if log else subprocess.DEVNULL,
            cwd=tmp_path,
            start_new_session=True,  # its own process group: the workers go with it
        )
        procs.append(proc)
        deadline = time.monotonic() + 30
        while True:
            try:
                if _request(port, "/healthz", {}).status == 200:
                    return port
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise
                time.sleep(0.2)

    yield start
    for proc in procs:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


def _session_cookie(response: http.client.HTTPResponse) -> str:
    cookies = [c for c in response.headers.get_all("Set-Cookie") or [] if "session" in c]
    assert cookies, response.headers
    return cookies[0]


def test_only_a_listed_proxy_says_what_the_scheme_and_the_script_name_are(gunicorn_with):
    port = gunicorn_with([])
    # a local process (or a proxy not listed) says "https": ignored, the cookie stays as it is
    cookie = _session_cookie(_request(port, "/login", {"X-Forwarded-Proto": "https"}))
    assert "Secure" not in cookie
    # nor does its SCRIPT_NAME header put another site in front of every link and redirect
    response = _request(
        port,
        "//evil.example/settings",
        {"SCRIPT_NAME": "//evil.example", "X-Forwarded-For": "203.0.113.9"},
    )
    assert not (response.headers.get("Location") or "").startswith("//evil.example")


def test_a_listed_tls_proxy_makes_the_cookie_secure_but_sets_no_script_name(gunicorn_with):
    port = gunicorn_with(["127.0.0.1/32"])
    cookie = _session_cookie(_request(port, "/login", {"X-Forwarded-Proto": "https"}))
    assert "Secure" in cookie
    # a proxy may pass the client's own headers on, SCRIPT_NAME too (nginx drops names with an
    # underscore, others do not): the UI is served at the root, no prefix is taken
    response = _request(
        port,
        "//evil.example/settings",
        {"SCRIPT_NAME": "//evil.example", "X-Forwarded-For": "203.0.113.9"},
    )
    assert not (response.headers.get("Location") or "").startswith("//evil.example")


@pytest.mark.parametrize(
    ("trusted", "version", "expected"),
    [
        ((), (27, 0), ""),
        (("127.0.0.1/32", "::1/128"), (21, 2), "127.0.0.1,::1"),
        (("10.0.0.7/24", "127.0.0.1"), (27, 0), "10.0.0.0/24,127.0.0.1"),
        # a network gunicorn before 24.1 cannot read is left to the app's own check
        (("10.0.0.0/24", "127.0.0.1"), (23, 0), "127.0.0.1"),
        (("not an address",), (27, 0), ""),
    ],
)
def test_forwarders(monkeypatch, tmp_path, trusted, version, expected):
    import importlib

    config = tmp_path / "config.toml"
    config.write_text(f'data_dir = "{tmp_path}/data"\n')
    monkeypatch.setenv("METARRD_CONFIG", str(config))
    monkeypatch.delitem(sys.modules, "metarrd.web.wsgi", raising=False)
    wsgi = importlib.import_module("metarrd.web.wsgi")
    assert wsgi.forwarders(trusted, version) == expected


def test_the_access_log_holds_no_token_sent_where_it_does_not_belong(gunicorn_with, tmp_path):
    log = tmp_path / "gunicorn.log"
    port = gunicorn_with([], log)
    test = b'{"eventType": "Test", "instanceName": "Radarr"}'
    # the token typed into Radarr's Username box, its Password left empty: refused, logged
    as_user = base64.b64encode(f"{TOKEN}:".encode()).decode()
    sent = {"Authorization": f"Basic {as_user}", "Content-Type": "application/json"}
    assert _request(port, "/api/webhooks/radarr", sent, "POST", test).status == 401
    # in the query string, as Radarr's own API takes its key
    url = f"/api/webhooks/radarr?apikey={TOKEN}"
    assert _request(port, url, {}, "POST", test).status == 401
    # the right way, for comparison: the request line is logged
    right = base64.b64encode(f"radarr:{TOKEN}".encode()).decode()
    assert (
        _request(
            port, "/api/webhooks/radarr", {"Authorization": f"Basic {right}"}, "POST", test
        ).status
        == 200
    )
    deadline = time.monotonic() + 10
    while log.read_text().count("POST /api/webhooks/radarr") < 3 and time.monotonic() < deadline:
        time.sleep(0.1)
    text = log.read_text()
    assert text.count("POST /api/webhooks/radarr") == 3, text
    assert TOKEN not in text
    assert "/api/webhooks/radarr?apikey=…" in text


def _chunked(port: int, path: str, headers: dict[str, str], body: bytes) -> tuple[int, str]:
    """POST `body` with `Transfer-Encoding: chunked` (no Content-Length), 64 KiB a chunk."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    chunks = (body[i : i + 65536] for i in range(0, len(body), 65536))
    conn.request("POST", path, body=chunks, headers={"Host": f"127.0.0.1:{port}", **headers})
    response = conn.getresponse()
    text = response.read().decode(errors="replace")
    conn.close()
    return response.status, text


def test_a_chunked_upload_of_megabytes_is_read_whole_and_the_form_past_it_too(
    gunicorn_with, tmp_path
):
    # gunicorn hands a chunked body over with `wsgi.input_terminated`; the app spools it to
    # data_dir/tmp past 1 MB (incoming.spool_body) and parses the form from there
    import re

    from werkzeug.datastructures import FileStorage
    from werkzeug.test import encode_multipart

    port = gunicorn_with([])
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", "/settings", headers={"Host": f"127.0.0.1:{port}"})
    page = conn.getresponse()
    html = page.read().decode()
    conn.close()
    cookie = _session_cookie(page).split(";")[0]
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    picture = os.urandom(3 * 1024 * 1024)  # the CSRF token after it: found only if read whole
    boundary, body = encode_multipart(
        {"image": FileStorage(io.BytesIO(picture), "mine.jpg"), "csrf_token": token}
    )
    sent = {"Cookie": cookie, "Content-Type": f"multipart/form-data; boundary={boundary}"}
    # no such movie: a 404 from the route, past the CSRF check (a 400 when the token is not seen)
    assert _chunked(port, "/movies/999999/artwork/poster/add", sent, body)[0] == 404
    assert list((tmp_path / "data" / "tmp").iterdir()) == []  # the spool went with the request
    # a form past its 1 MB, chunked: a 413, not its first megabyte read as the whole
    form = f"csrf_token={token}&languages=de&pad=".encode() + b"a" * (1024 * 1024)
    sent = {"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"}
    status, text = _chunked(port, "/settings/artwork", sent, form)
    assert status == 413, text

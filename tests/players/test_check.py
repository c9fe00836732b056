"""`metarrd players test`: one useful sentence for every failure mode."""

from __future__ import annotations

import socket
import threading
import time

import pytest
from player_fakes import (
    HOME_CA,
    HOME_LAN,
    PLEX_DIRECT,
    SELF_SIGNED,
    FakeJellyfin,
    FakeKodi,
    FakePlex,
    FakeServer,
    PlexSection,
)
from player_helpers import free_port

from metarrd import http, players
from metarrd.cli import main


def kodi(url: str, **extra) -> dict:
    return {
        "name": "Den",
        "type": "kodi",
        "url": url,
        "username": "kodi",
        "password": "secret",
        "libraries": ["Movies"],
        "timeout_seconds": 1.0,
        **extra,
    }


def jellyfin(url: str, **extra) -> dict:
    return {
        "name": "Den",
        "type": "jellyfin",
        "url": url,
        "token": "jf-key",
        "libraries": ["Movies"],
        "timeout_seconds": 1.0,
        **extra,
    }


def only(rt) -> tuple[bool, str]:
    [(name, ok, message)] = players.test_players(rt)
    assert name in ('Kodi "Den"', 'Jellyfin "Den"', 'Plex "Den"')  # as messages name it
    return ok, message


def test_kodi_that_sees_the_library(make_rt, tmp_path):
    with FakeKodi(sources=["smb://nas/movies/"]) as fake:
        rt = make_rt(
            [
                kodi(
                    fake.url,
                    path_map=[{"from": str(tmp_path / "movies"), "to": "smb://nas/movies"}],
                )
            ]
        )
        ok, message = only(rt)
    assert ok, message
    assert "JSON-RPC v13.0.0, lower-case parameters" in message
    assert "library 'Movies' (smb://nas/movies) is inside Kodi video source" in message


def test_connection_refused(make_rt):
    rt = make_rt([kodi(f"http://127.0.0.1:{free_port()}")])
    ok, message = only(rt)
    assert not ok
    assert message.startswith("connection refused at 127.0.0.1:")
    assert "is it running, and is the port right?" in message


def test_a_name_the_dns_server_stops_answering_for_is_said_within_the_timeout(make_rt, hung_dns):
    """Kodi's name was looked up for the request, which was refused (Kodi stopped); then the
    NAS's DNS server died: the look at why (`why_unreachable`) looked the name up again with
    the resolver's own timeouts (5 s a try, several tries), holding the notification. It waits
    for the player's timeout, and says what happened."""
    hung_dns.hang("kodi.lan.test", "127.0.0.1", after=1)  # the request's lookup answers
    rt = make_rt([kodi(f"http://kodi.lan.test:{free_port()}", timeout_seconds=0.5)])
    ok, message = only(rt)
    assert not ok
    assert message == "host name 'kodi.lan.test' could not be looked up within 0.5 s"
    assert not hung_dns.released.is_set()  # answered while the resolver still hung
    assert hung_dns.release()


@pytest.mark.parametrize(
    ("error", "said"),
    [
        (
            socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution"),
            "host name 'kodi.lan.test' could not be looked up: Temporary failure in name "
            "resolution",
        ),
        (
            socket.gaierror(socket.EAI_NONAME, "Name or service not known"),
            "host name 'kodi.lan.test' not found",
        ),
    ],
)
def test_a_name_the_resolver_could_not_look_up_is_not_said_not_found(
    make_rt, monkeypatch, error, said
):
    """A resolver that could not answer (glibc's EAI_AGAIN: the network or the NAS's DNS
    server down) is not a name that does not exist: "not found" sent the user to check a
    player's address that is right. A name with no address is still "not found"."""

    def failing(host, *args, **kwargs):
        if host == "kodi.lan.test":
            raise error
        return real(host, *args, **kwargs)

    real = socket.getaddrinfo
    monkeypatch.setattr(socket, "getaddrinfo", failing)
    rt = make_rt([kodi(f"http://kodi.lan.test:{free_port()}", timeout_seconds=2)])
    ok, message = only(rt)
    assert not ok
    assert message == said


def test_timeout(make_rt):
    with FakeKodi() as fake:
        fake.hang.set()
        rt = make_rt([kodi(fake.url, timeout_seconds=0.3)])
        ok, message = only(rt)
    assert not ok
    assert "accepts connections but did not answer within 0.3 s" in message


def test_a_self_signed_certificate_is_named_not_a_silent_player(make_rt, tmp_path):
    """Jellyfin's own HTTPS (port 8920, a certificate the user made with openssl) and a Kodi
    behind a NAS's reverse proxy serve certificates no CA signed: requests' SSLError was taken
    for a player that accepts connections but never answers."""
    root = str(tmp_path / "movies")
    with FakeJellyfin(locations=[root]).serve_https() as fake:
        rt = make_rt([jellyfin(fake.url)])
        ok, message = only(rt)
    assert not ok
    assert message.startswith(f"the TLS certificate of 127.0.0.1:{fake.port} is not trusted")
    assert "self-signed certificate" in message and "ca_file" in message
    assert "did not answer" not in message


def test_ca_file_trusts_the_players_own_certificate(make_rt, tmp_path):
    """The same Jellyfin, with `ca_file` naming its certificate: checked, and trusted."""
    root = str(tmp_path / "movies")
    with FakeJellyfin(locations=[root]).serve_https() as fake:
        rt = make_rt([jellyfin(fake.url, ca_file=str(SELF_SIGNED))])
        ok, message = only(rt)
    assert ok, message
    assert "Jellyfin 10.10.3" in message


def test_a_certificate_for_another_name_says_which_name_to_use(make_rt, tmp_path):
    """Plex's HTTPS certificate is for `*.<id>.plex.direct` (python-plexapi connects to
    `https://<ip-with-dashes>.<id>.plex.direct:32400`); `https://<its IP>:32400` fails on the
    name, which no ca_file cures, and was said as a player that never answers."""
    root = str(tmp_path / "movies")
    with FakePlex(sections=[PlexSection("1", "Films", [root])]).serve_https(PLEX_DIRECT) as plex:
        rt = make_rt(
            [
                {
                    "name": "Den",
                    "type": "plex",
                    "url": plex.url,
                    "token": "plex-token",
                    "libraries": ["Movies"],
                    "timeout_seconds": 1.0,
                    "ca_file": str(PLEX_DIRECT),  # trusted: only the name is wrong
                }
            ]
        )
        ok, message = only(rt)
    assert not ok
    assert message.startswith(f"the TLS certificate of 127.0.0.1:{plex.port} is for another name")
    assert "plex.direct" in message and "did not answer" not in message


def test_a_ca_file_that_holds_no_certificate_is_named(make_rt, tmp_path):
    """ca_file naming the key instead of the certificate (openssl writes both side by side), or
    a DER file: requests' SSLError again read as a player that never answers."""
    with FakeKodi().serve_https() as fake:
        rt = make_rt([kodi(fake.url, ca_file=str(SELF_SIGNED.with_suffix(".key")))])
        ok, message = only(rt)
    assert not ok
    assert message.startswith(f"cannot read the certificates of {SELF_SIGNED.with_suffix('.key')}")


class Redirects(FakeServer):
    """A reverse proxy in front of a player that sends every request on to `target` with a
    302 (a moved server, a sign-in page: nginx's `return 302 https://other$request_uri;`)."""

    def __init__(self, target: str):
        super().__init__()
        self.target = target

    def handle(self, req):
        return 302, {"Location": self.target + req.path}, b""


def test_a_ca_file_does_not_trust_another_host_a_redirect_names(make_rt, tmp_path, monkeypatch):
    """`ca_file` is documented to add no trust for any other host, but requests verifies every
    hop of a redirect against the first request's CA bundle: with the private CA of a home
    network (mkcert's rootCA.pem) as the ca_file, a redirect to another host or port that CA
    signed was trusted. Now it is checked against the usual CAs, and fails, naming the
    redirect (it was also read as a player that does not answer)."""
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    root = str(tmp_path / "movies")
    with (
        FakeJellyfin(locations=[root]).serve_https(HOME_LAN) as other,
        Redirects(other.url.replace("127.0.0.1", "localhost")).serve_https(HOME_LAN) as proxy,
    ):
        rt = make_rt([jellyfin(proxy.url, ca_file=str(HOME_CA))])
        ok, message = only(rt)
    assert not ok
    assert message.startswith(
        f"{proxy.url}/System/Info/Public redirected to "
        f"https://localhost:{other.port}/System/Info/Public, "
        "whose TLS certificate is not trusted ("
    )
    assert "the ca_file is trusted for its own host only" in message
    assert other.requests == []  # nothing was sent to it


def test_a_redirect_to_a_host_the_usual_cas_trust_is_followed(make_rt, tmp_path, monkeypatch):
    """The other way round: with a ca_file, a redirect to a host with a certificate of a public
    CA (a sign-in page on the internet) failed verification, as it was checked against the
    ca_file alone. It is checked against the usual CAs (here `REQUESTS_CA_BUNDLE`, standing in
    for the system's), and followed."""
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(SELF_SIGNED))  # the "public" CA
    root = str(tmp_path / "movies")
    with (
        FakeJellyfin(locations=[root]).serve_https(SELF_SIGNED) as other,
        Redirects(other.url.replace("127.0.0.1", "localhost")).serve_https(HOME_LAN) as proxy,
    ):
        rt = make_rt([jellyfin(proxy.url, ca_file=str(HOME_CA))])
        ok, message = only(rt)
    assert [r.path for r in other.requests][:1] == ["/System/Info/Public"]  # followed, and trusted
    assert "TLS" not in message and "did not answer" not in message


def test_a_ca_file_trusts_a_redirect_within_the_players_own_host(make_rt, tmp_path):
    """A redirect to another path of the player itself (a reverse proxy's base path,
    `/jellyfin` -> `/jellyfin/`) stays under the player's ca_file."""
    root = str(tmp_path / "movies")

    class BasePath(FakeJellyfin):
        def handle(self, req):
            if not req.path.startswith("/jellyfin/"):
                return 302, {"Location": f"{self.url}/jellyfin{req.path}"}, b""
            req.path = req.path.removeprefix("/jellyfin")
            return super().handle(req)

    with BasePath(locations=[root]).serve_https(HOME_LAN) as fake:
        rt = make_rt([jellyfin(fake.url, ca_file=str(HOME_CA))])
        ok, message = only(rt)
    assert ok, message


class ForcesHttps(FakeServer):
    """A reverse proxy in front of Kodi that sends http:// on to https:// with a 301 (nginx's
    `return 301 https://$host$request_uri;`, Traefik's redirectScheme)."""

    def handle(self, req):
        if req.path.startswith("/secure/"):  # where the redirect leads
            return 200, {}, {"jsonrpc": "2.0", "id": 1, "error": {"code": -32600}}
        return 301, {"Location": f"{self.url}/secure{req.path}"}, b""


def test_a_redirect_that_would_turn_the_post_into_a_get_is_named(make_rt):
    """requests sends a POST answered with a 301 or 302 on as a GET: Kodi's JSON-RPC and
    Jellyfin's `/Library/Media/Updated` then answered something else (an error about the
    request, a 405), with nothing about the redirect (jellyfin/jellyfin-kodi#223)."""
    with ForcesHttps() as proxy:
        rt = make_rt([kodi(proxy.url)])
        ok, message = only(rt)
    assert not ok
    assert message.startswith(f"POST {proxy.url}/jsonrpc was redirected (HTTP 301) to ")
    assert "use the URL it redirects to" in message
    assert [r.method for r in proxy.requests] == ["POST"]  # never sent on as a GET


def test_https_url_of_a_plain_http_port(make_rt):
    """`https://` in front of Kodi's web server, which speaks plain HTTP only."""
    with FakeKodi() as fake:
        rt = make_rt([kodi(fake.url.replace("http://", "https://"))])
        ok, message = only(rt)
    assert not ok
    assert message.startswith(f"127.0.0.1:{fake.port} does not speak HTTPS")
    assert "http:// or https://" in message


def test_an_ipv6_address_is_written_as_in_a_url(make_rt):
    """`url = "http://[::1]:8080"`: `::1:8080` read as one address; `[::1]:8080` is the URL's."""
    if not socket.has_ipv6:
        pytest.skip("no IPv6 here")
    with socket.socket(socket.AF_INET6) as s:
        try:
            s.bind(("::1", 0))
        except OSError:
            pytest.skip("no IPv6 loopback here")
        port = s.getsockname()[1]  # bound, not listening: refused
        rt = make_rt([kodi(f"http://[::1]:{port}")])
        ok, message = only(rt)
    assert not ok
    assert message.startswith(f"connection refused at [::1]:{port} (")


def test_bad_credentials(make_rt):
    with FakeKodi(password="something else") as fake:
        rt = make_rt([kodi(fake.url)])
        ok, message = only(rt)
    assert not ok
    assert "refused our credentials (HTTP 401)" in message
    assert "username and password" in message


class ForbiddenPage(FakeServer):
    def handle(self, req):  # a reverse proxy's allow-list in front of the player
        return 403, {"Content-Type": "text/html"}, b"<html><body>403 Forbidden</body></html>"


def test_a_forbidden_page_is_a_refusal_not_a_silent_player(make_rt):
    """The provider client reads a 403 page as a CDN's challenge, not a refused key; a player
    answering so has refused us all the same (it did answer)."""
    with ForbiddenPage() as fake:
        rt = make_rt([kodi(fake.url)])
        ok, message = only(rt)
    assert not ok
    assert "refused our credentials (HTTP 403)" in message and "did not answer" not in message


def test_json_rpc_switched_off_or_not_kodi(make_rt):
    with FakeKodi() as fake:
        fake.jsonrpc_enabled = False
        rt = make_rt([kodi(fake.url)])
        ok, message = only(rt)
    assert not ok
    assert "/jsonrpc answered HTTP 404" in message
    assert "is this Kodi, with 'Allow remote control via HTTP' on?" in message


class HtmlEverywhere(FakeServer):
    def handle(self, req):
        return 200, {"Content-Type": "text/html"}, b"<html><body>router login</body></html>"


def test_something_else_answering_html(make_rt):
    with HtmlEverywhere() as fake:
        rt = make_rt([kodi(fake.url)])
        ok, message = only(rt)
    assert not ok
    assert "answered with an HTML page" in message


def test_library_outside_every_kodi_source(make_rt, tmp_path):
    with FakeKodi(sources=["smb://nas/tv/", "/srv/other/"]) as fake:
        rt = make_rt(
            [
                kodi(
                    fake.url,
                    path_map=[{"from": str(tmp_path / "movies"), "to": "smb://nas/movies"}],
                )
            ]
        )
        ok, message = only(rt)
    assert not ok
    assert "library 'Movies' is smb://nas/movies for this player" in message
    assert "no Kodi video source holds it" in message
    assert "smb://nas/tv/" in message and "check path_map" in message


def test_library_the_path_map_does_not_cover(make_rt, tmp_path):
    with FakeKodi(sources=["smb://nas/movies/"]) as fake:
        rt = make_rt([kodi(fake.url, path_map=[{"from": "/srv/other", "to": "smb://nas/movies"}])])
        ok, message = only(rt)
    assert not ok
    assert f"no path_map entry covers {tmp_path / 'movies'}" in message


def test_jellyfin(make_rt, tmp_path):
    root = str(tmp_path / "movies")
    base = {"type": "jellyfin", "libraries": ["Movies"], "timeout_seconds": 1.0}
    with FakeJellyfin(locations=[root]) as good, FakeJellyfin(locations=["/x"]) as elsewhere:
        rt = make_rt(
            [
                {"name": "ok", "url": good.url, "token": "jf-key", **base},
                {"name": "badkey", "url": good.url, "token": "nope", **base},
                {"name": "wrongdir", "url": elsewhere.url, "token": "jf-key", **base},
            ]
        )
        results = {name: (ok, msg) for name, ok, msg in players.test_players(rt)}
    assert results['Jellyfin "ok"'][0], results['Jellyfin "ok"'][1]
    assert "Jellyfin 10.10.3" in results['Jellyfin "ok"'][1]
    assert not results['Jellyfin "badkey"'][0] and "HTTP 401" in results['Jellyfin "badkey"'][1]
    assert not results['Jellyfin "wrongdir"'][0]
    assert "no Jellyfin library folder holds it" in results['Jellyfin "wrongdir"'][1]


def test_plex(make_rt, tmp_path):
    root = str(tmp_path / "movies")
    base = {"type": "plex", "libraries": ["Movies"], "timeout_seconds": 1.0}
    with FakePlex(sections=[PlexSection("1", "Films", [root])]) as plex:
        rt = make_rt(
            [
                {"name": "ok", "url": plex.url, "token": "plex-token", **base},
                {"name": "badkey", "url": plex.url, "token": "nope", **base},
            ]
        )
        results = {name: (ok, msg) for name, ok, msg in players.test_players(rt)}
    assert results['Plex "ok"'][0], results['Plex "ok"'][1]
    assert "inside Plex section folder 'Films'" in results['Plex "ok"'][1]
    assert (
        not results['Plex "badkey"'][0] and "refused our credentials" in results['Plex "badkey"'][1]
    )


def test_cli_prints_one_line_per_player_and_exits_1_on_failure(make_rt, tmp_path, capsys):
    port = free_port()
    config = tmp_path / "config.toml"
    config.write_text(
        f"""
data_dir = "{tmp_path / "data"}"
[[library]]
name = "Movies"
path = "{tmp_path / "movies"}"
[[player]]
name = "Den"
type = "kodi"
url = "http://127.0.0.1:{port}"
libraries = ["Movies"]
"""
    )
    (tmp_path / "movies").mkdir(exist_ok=True)
    assert main(["--config", str(config), "players", "test"]) == 1
    err = capsys.readouterr().err
    assert 'Kodi "Den": FAILED: connection refused at 127.0.0.1:' in err


class Moved(FakeServer):
    """A reverse proxy answering every request with a 307 to another server (nginx's
    `return 307 http://other:8080$request_uri;`, a moved player, a captive portal)."""

    def __init__(self, target: str):
        super().__init__()
        self.target = target

    def handle(self, req):
        return 307, {"Location": self.target + req.path}, b""


def test_a_307_of_a_post_to_another_host_is_named_and_not_followed(make_rt):
    """A 307 keeps the method and the body, and requests follows it to any host, dropping only
    `Authorization`: the JSON-RPC call reached the other server without Kodi's basic auth and
    its 401 was reported as wrong credentials, with nothing about the redirect."""
    with FakeKodi() as other, Moved(other.url) as proxy:
        rt = make_rt([kodi(proxy.url)])
        ok, message = only(rt)
    assert not ok
    assert message.startswith(
        f"POST {proxy.url}/jsonrpc was redirected (HTTP 307) to {other.url}/jsonrpc, another host"
    )
    assert "secret" not in message
    assert other.requests == []


def test_jellyfin_behind_a_proxys_basic_auth_gets_both_the_proxys_login_and_its_token(
    make_rt, tmp_path
):
    """`http://user:pass@host` in front of Jellyfin (nginx `auth_basic`): requests turns the
    URL's user and password into `Authorization: Basic ...`, which replaced the
    `Authorization: MediaBrowser Token="..."` the token travelled in, so Jellyfin answered
    401 and the message said to check the token. With a login in the URL the token goes in
    `X-Emby-Token`, which Jellyfin reads when `Authorization` is not its own scheme."""
    root = str(tmp_path / "movies")
    with FakeJellyfin(locations=[root], proxy_auth=("proxy", "p@ss:word")) as fake:
        url = fake.url.replace("http://", "http://proxy:p%40ss%3Aword@")
        rt = make_rt([jellyfin(url, token="jf-key")])
        ok, message = only(rt)
    assert ok, message
    assert "p%40ss" not in message and "p@ss" not in message
    assert all(
        "x-emby-token" in r.headers for r in fake.requests if r.path != "/System/Info/Public"
    )


def test_a_jellyfin_behind_a_proxys_basic_auth_that_refuses_the_token_names_the_setting(make_rt):
    """Jellyfin 12 reads X-Emby-Token only with EnableLegacyAuthorization on (its migration
    turns it off: jellyfin/jellyfin#13306): the 401 says so, never the proxy's password."""
    with FakeJellyfin(token="other", proxy_auth=("proxy", "hunter2")) as fake:
        url = fake.url.replace("http://", "http://proxy:hunter2@")
        rt = make_rt([jellyfin(url, token="jf-key")])
        ok, message = only(rt)
    assert not ok
    assert "HTTP 401" in message and "EnableLegacyAuthorization" in message
    assert "hunter2" not in message


class DripsHeaders:
    """A player (or what stands at its address) that starts an answer, then sends its header a
    byte every 20 ms, within any read timeout, for as long as someone listens (8 s at most)."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:  # closed
                return
            threading.Thread(target=self._drip, args=(conn,), daemon=True).start()

    def _drip(self, conn: socket.socket) -> None:
        with conn:
            try:
                conn.recv(65536)
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-A: ")
                for _ in range(400):
                    conn.sendall(b"a")
                    time.sleep(0.02)
                conn.sendall(b"\r\nContent-Length: 2\r\n\r\n{}")
            except OSError:  # hung up on
                pass

    def __enter__(self) -> DripsHeaders:
        return self

    def __exit__(self, *exc) -> None:
        self.listener.close()


def test_a_player_that_drips_its_headers_is_given_up_at_the_deadline(make_rt, monkeypatch):
    """Each header byte came within the read timeout, so no timeout ever fired: past the
    headers' deadline the request is given up, said as that (not as a silent player)."""
    # (the deadline is HEADERS_SECONDS or thrice the read timeout, whichever is longer: a read
    # timeout well above the drip's 20 ms pauses, which a loaded machine stretches)
    monkeypatch.setattr(http, "HEADERS_SECONDS", 1.5)
    with DripsHeaders() as fake:
        rt = make_rt([kodi(fake.url, timeout_seconds=0.5)])
        ok, message = only(rt)
    assert not ok
    host = fake.url.removeprefix("http://")
    assert message.startswith(f"{host} did not answer within 1.5 s for {fake.url}/jsonrpc")
    assert "accepts connections" not in message

"""Talking HTTP to one media player, with failures turned into sentences a person can act on.

Every request goes through the project's `HttpClient` (with retries switched off: the
notification queue does its own, slower, retrying). Its errors become `PlayerError`s whose
message says what is wrong in plain words: connection refused, no answer in time, bad
credentials, not the kind of server we expected.
"""

from __future__ import annotations

import logging
import os
import re
import socket
import ssl
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from metarrd.config import PlayerConfig
from metarrd.deadline import OVERDUE, Overdue, lookup
from metarrd.errors import (
    MetarrdError,
    NotFound,
    ProviderAuthError,
    ProviderError,
    ProviderUnavailable,
)
from metarrd.http import HttpClient, redact
from metarrd.players.plan import label

log = logging.getLogger(__name__)

_HTML_RE = re.compile(rb"\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body)\b", re.I | re.S)


class PlayerError(MetarrdError):
    """A player could not be told or asked something; the message says why in plain words."""


class PlayerUnreachable(PlayerError):
    """Refused, timed out, unknown host or a server error: the player may come back."""


class PlayerServerError(PlayerUnreachable):
    """The player answered with a server error (HTTP 5xx): it is up, this request failed."""


class PlayerAuthError(PlayerError):
    """The player refused our credentials."""


class PlayerNotAllowed(PlayerError):
    """The player takes our credentials but refuses this action to them (a Plex token that may
    list the library but not refresh it): retrying cannot help, so it fails at once."""


class PlayerProtocolError(PlayerError):
    """Something answers, but not the player API we expected (off, wrong port, other server)."""


class PlayerBusy(PlayerError):
    """The player is busy (Kodi scanning) for longer than we are willing to wait now."""


class LookAgain(PlayerError):
    """Not a failure: the player was told, but what it does about it is still to be looked at
    (a Kodi whose refresh of a watched movie is still queued: it resets the play count when it
    runs; of a rated show: its rating). The row is `checking`: looked at again later (`notify`), never told again; the
    message says what is waited for."""


def host_port(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return parts.hostname or "", port


def _where(host: str, port: int) -> str:
    """`host:port` as a URL writes it: an IPv6 address in brackets (`[fd00::20]:8096`)."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


X509_V_ERR_HOSTNAME_MISMATCH, X509_V_ERR_IP_ADDRESS_MISMATCH = 62, 64  # OpenSSL's x509_vfy.h


def _tls_problem(sock: socket.socket, host: str, where: str, verify: bool | str) -> str | None:
    """Why a TLS handshake with `host` fails under `verify` (True or a CA bundle), or None."""
    bundle = verify if isinstance(verify, str) else None  # a file, or (as requests takes) a folder
    try:
        context = ssl.create_default_context(
            cafile=None if bundle and os.path.isdir(bundle) else bundle,
            capath=bundle if bundle and os.path.isdir(bundle) else None,
        )
    except (ssl.SSLError, OSError) as exc:
        return f"cannot read the certificates of {bundle}: {exc}"
    if verify is False:
        context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    try:
        with context.wrap_socket(sock, server_hostname=host):
            return None
    except ssl.SSLCertVerificationError as exc:
        if exc.verify_code in (X509_V_ERR_HOSTNAME_MISMATCH, X509_V_ERR_IP_ADDRESS_MISMATCH):
            return (
                f"the TLS certificate of {where} is for another name ({exc.verify_message}); "
                "put a name it is for in the URL (a Plex Media Server's is "
                "https://<its address, with - for . or :>.<its id>.plex.direct:32400), or use "
                "its http:// URL"
            )
        return (
            f"the TLS certificate of {where} is not trusted "
            f"({exc.verify_message or exc.reason}); for a self-signed certificate set this "
            "player's ca_file to it (its PEM file), or use its http:// URL"
        )
    except (ssl.SSLError, OSError) as exc:
        reason = getattr(exc, "reason", None) or exc.strerror or exc
        return (
            f"{where} does not speak HTTPS ({reason}); "
            "is the URL's scheme right (http:// or https://)?"
        )


# getaddrinfo's answers that the name has no address (glibc's EAI_NODATA too), as in http.py
_NO_SUCH_NAME = {socket.EAI_NONAME, getattr(socket, "EAI_NODATA", socket.EAI_NONAME)}


def why_unreachable(url: str, timeout: float, verify: bool | str = True) -> str:
    """Probe the port of `url` to say why a request failed: refused, silent, unknown host, or
    (https) a certificate not trusted, a port that speaks no TLS."""
    host, port = host_port(url)
    where = _where(host, port)
    try:  # the name looked up for `timeout` at most: a DNS server that died meanwhile
        infos = lookup(host, port, seconds=timeout)
    except Overdue:
        return f"host name {host!r} could not be looked up within {timeout:g} s"
    except socket.gaierror as exc:
        if exc.errno in _NO_SUCH_NAME:
            return f"host name {host!r} not found"
        # EAI_AGAIN ("Temporary failure in name resolution": the network or its DNS server
        # down) and the like: the name may well be right, the look-up itself failed
        return f"host name {host!r} could not be looked up: {exc.strerror or exc}"
    except OSError as exc:
        return f"cannot look up {host!r}: {exc.strerror or exc}"
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    try:
        with _first_answering(addresses, port, timeout) as sock:
            if urlsplit(url).scheme == "https" and (
                problem := _tls_problem(sock, host, where, verify)
            ):
                return problem
            return f"{where} accepts connections but did not answer within {timeout:g} s"
    except ConnectionRefusedError:
        return f"connection refused at {where} (is it running, and is the port right?)"
    except TimeoutError:
        return f"no answer from {where} within {timeout:g} s (switched off, or a firewall?)"
    except OSError as exc:
        return f"cannot connect to {where}: {exc.strerror or exc}"


def _first_answering(addresses: list[str], port: int, timeout: float) -> socket.socket:
    """A socket connected to the first of `addresses` that accepts; the last failure else."""
    failure: OSError = OSError("no address")
    for address in addresses:
        try:
            return socket.create_connection((address, port), timeout=timeout)
        except OSError as exc:
            failure = exc
    raise failure


@dataclass
class Endpoint:
    """One player's base URL, credentials and timeout, on the shared HTTP client."""

    player: PlayerConfig
    http: HttpClient
    auth_hint: str  # what to check after a 401, e.g. "username and password"
    api_hint: str  # what to check after a 404 or an HTML page

    @property
    def label(self) -> str:
        return label(self.player)

    def url(self, path: str) -> str:
        return self.player.url.rstrip("/") + path

    def request(
        self,
        method: str,
        path: str,
        *,
        headers: dict[str, str] | None = None,
        json: Any = None,
        want_json: bool = True,
    ) -> Any:
        """Send one request; return the decoded JSON (or None) or raise a PlayerError."""
        url = self.url(path)
        hdrs = {"Accept": "application/json", **(headers or {})}
        try:
            resp = self.http.request(
                method,
                url,
                provider=self.label,
                headers=hdrs,
                json=json,
                timeout=self.player.timeout_seconds,
                verify=self.player.ca_file or None,
            )
        except ProviderAuthError as exc:
            raise PlayerAuthError(
                f"{self.label}: {redact(url)} refused our credentials (HTTP {exc.status}); "
                f"check the {self.auth_hint}"
            ) from None
        except NotFound:
            raise PlayerProtocolError(
                f"{self.label}: {redact(url)} answered HTTP 404 (not found); {self.api_hint}"
            ) from None
        except ProviderUnavailable as exc:
            if exc.status == 403:  # a page: a provider's CDN challenge, a player's refusal
                raise PlayerAuthError(
                    f"{self.label}: {redact(url)} refused our credentials (HTTP 403); "
                    f"check the {self.auth_hint}"
                ) from None
            if "server error" in str(exc) or exc.status == 503:
                reason = str(exc).removeprefix(f"{self.label}: ")
                raise PlayerServerError(f"{self.label}: {reason}") from None
            if any(f" {what} within " in str(exc) for what in OVERDUE):  # too slow to end
                reason = str(exc).removeprefix(f"{self.label}: ")
                raise PlayerUnreachable(f"{self.label}: {reason}") from None
            reason = why_unreachable(
                url, self.player.timeout_seconds, self.player.ca_file or self.http.session.verify
            )
            raise PlayerUnreachable(f"{self.label}: {reason}") from None
        except ProviderError as exc:
            if exc.status is None:  # not sent: a redirect that would change the method, a bad URL
                reason = str(exc).removeprefix(f"{self.label}: ")
                raise PlayerProtocolError(f"{self.label}: {reason}") from None
            raise PlayerProtocolError(
                f"{self.label}: {redact(url)} answered HTTP {exc.status}; {self.api_hint}"
            ) from None
        with resp:
            kind = resp.headers.get("Content-Type", "")
            if not want_json:
                # the players answer these with no body (Jellyfin 204, Plex an empty 200); an
                # HTML page is a proxy's sign-in page or another server, which was told nothing
                if _HTML_RE.match(resp.content[:512]):
                    raise PlayerProtocolError(
                        f"{self.label}: {redact(url)} answered with an HTML page; {self.api_hint}"
                    )
                return None
            try:
                return resp.json()
            except ValueError:
                what = "an HTML page" if "html" in kind.lower() else "something that is not JSON"
                raise PlayerProtocolError(
                    f"{self.label}: {redact(url)} answered with {what}; {self.api_hint}"
                ) from None


def make_http(timeout: float) -> HttpClient:
    """An HTTP client for players: no inner retries (the queue retries), two requests per host."""
    return HttpClient(timeout=timeout, max_retries=0, per_host=2, pool_size=8)

"""The one place metarrd talks HTTP: session, timeouts, User-Agent, retries, per-host limits.

Retry policy (docs/providers.md §4): 5xx, timeouts and refused connections are retried with
exponential backoff; 429 waits for `Retry-After` (0 or missing means 1 s); 401/403 and 404 are
never retried (404 is `NotFound`, a normal outcome). Query strings are redacted in every log line
and error message, so API keys never reach a log.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import IO, Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter

from metarrd import __version__
from metarrd.errors import NotFound, ProviderAuthError, ProviderError, ProviderUnavailable

log = logging.getLogger(__name__)

USER_AGENT = f"metarrd/{__version__} (+https://github.com/metarrd/metarrd)"
RETRY_STATUSES = {500, 502, 503, 504, 520, 522, 524}
MAX_RETRY_AFTER = 60.0


def redact(url: str) -> str:
    """The URL without its query string (where API keys travel)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}" + ("?…" if parts.query else "")


_SECRET_RE = re.compile(r"(api_key|apikey|client_key|token|X-Plex-Token)=[^&\s]+", re.I)


def scrub(text: str) -> str:
    """Remove anything that looks like a key from free text (exception messages)."""
    return _SECRET_RE.sub(r"\1=…", text)


@dataclass
class Download:
    url: str
    status: int
    content_type: str
    size: int


class HttpClient:
    """A shared requests session with the project's timeouts, retries and per-host cap."""

    def __init__(
        self,
        *,
        timeout: float = 20.0,
        max_retries: int = 4,
        per_host: int = 6,
        pool_size: int = 16,
        backoff: float = 0.5,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.timeout = timeout
        self.max_retries = max_retries
        self.backoff = backoff
        self.per_host = per_host
        self._sleep = sleep
        self._hosts: dict[str, threading.BoundedSemaphore] = {}
        self._hosts_lock = threading.Lock()
        self.session = requests.Session()
        adapter = HTTPAdapter(pool_connections=8, pool_maxsize=pool_size, max_retries=0)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self.session.headers["User-Agent"] = USER_AGENT

    def close(self) -> None:
        self.session.close()

    def _host_slot(self, url: str) -> threading.BoundedSemaphore:
        host = urlsplit(url).netloc
        with self._hosts_lock:
            sem = self._hosts.get(host)
            if sem is None:
                sem = self._hosts[host] = threading.BoundedSemaphore(self.per_host)
            return sem

    def request(
        self,
        method: str,
        url: str,
        *,
        provider: str,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        json: Any = None,
        stream: bool = False,
        timeout: float | None = None,
    ) -> requests.Response:
        """Send with the retry policy; return a 2xx response or raise a ProviderError."""
        attempt = 0
        while True:
            attempt += 1
            try:
                with self._host_slot(url):
                    resp = self.session.request(
                        method,
                        url,
                        params=params,
                        headers=headers,
                        json=json,
                        stream=stream,
                        timeout=timeout or self.timeout,
                    )
            except requests.Timeout:
                reason, wait = "timed out", self._backoff(attempt)
            except (
                requests.ConnectionError,
                requests.exceptions.ChunkedEncodingError,
                requests.exceptions.ContentDecodingError,
            ) as exc:
                # refused, reset, or a body cut short: worth another try
                reason, wait = f"connection failed ({_short(exc)})", self._backoff(attempt)
            except requests.RequestException as exc:  # a bad URL and the like: retrying won't help
                raise ProviderError(
                    provider, f"cannot request {redact(url)} ({_short(exc)})"
                ) from None
            else:
                status = resp.status_code
                if status < 400:
                    return resp
                if status in (401, 403):
                    resp.close()
                    raise ProviderAuthError(
                        provider,
                        f"refused our credentials (HTTP {status}) for {redact(url)}",
                        status=status,
                    )
                if status == 404:
                    resp.close()
                    raise NotFound(provider, f"not found: {redact(url)}", status=404)
                if status == 429:
                    wait = _retry_after(resp.headers.get("Retry-After"))
                    reason = f"rate limited (HTTP 429, retry after {wait:g} s)"
                elif status in RETRY_STATUSES:
                    reason, wait = f"server error (HTTP {status})", self._backoff(attempt)
                else:
                    resp.close()
                    raise ProviderError(provider, f"HTTP {status} for {redact(url)}", status=status)
                resp.close()
            if attempt > self.max_retries:
                raise ProviderUnavailable(
                    provider, f"{reason} for {redact(url)}, gave up after {attempt} attempts"
                )
            log.info("%s: %s for %s; retrying in %.1f s", provider, reason, redact(url), wait)
            self._sleep(wait)

    def get_json(
        self,
        url: str,
        *,
        provider: str,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        method: str = "GET",
        json: Any = None,
    ) -> Any:
        hdrs = {"Accept": "application/json", **(headers or {})}
        resp = self.request(method, url, provider=provider, params=params, headers=hdrs, json=json)
        try:
            return resp.json()
        except ValueError:
            kind = "an HTML page" if "html" in resp.headers.get("Content-Type", "") else "no JSON"
            raise ProviderError(provider, f"returned {kind} for {redact(url)}") from None

    def download(
        self,
        url: str,
        out: IO[bytes],
        *,
        provider: str,
        max_bytes: int = 64 * 1024 * 1024,
        chunk_size: int = 256 * 1024,
    ) -> Download:
        """Stream `url` into the binary file `out`; refuse bodies larger than `max_bytes`."""
        resp = self.request("GET", url, provider=provider, stream=True)
        size = 0
        try:
            for chunk in resp.iter_content(chunk_size):
                size += len(chunk)
                if size > max_bytes:
                    raise ProviderError(
                        provider, f"{redact(url)} is larger than {max_bytes // 1048576} MB; skipped"
                    )
                out.write(chunk)
        except requests.RequestException as exc:
            raise ProviderUnavailable(
                provider, f"download of {redact(url)} broke off ({_short(exc)})"
            ) from None
        finally:
            resp.close()
        return Download(url, resp.status_code, resp.headers.get("Content-Type", ""), size)

    def _backoff(self, attempt: int) -> float:
        return min(self.backoff * (2 ** (attempt - 1)), 30.0)


def _retry_after(value: str | None) -> float:
    try:
        seconds = float(value) if value is not None else 1.0
    except ValueError:
        seconds = 1.0
    return min(max(seconds, 1.0), MAX_RETRY_AFTER)


def _short(exc: Exception) -> str:
    text = scrub(str(exc))
    return text if len(text) < 160 else text[:157] + "…"

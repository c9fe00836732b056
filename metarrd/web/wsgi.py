"""The production entry point: `gunicorn --config python:metarrd.web.wsgi metarrd.web.wsgi:app`
(what `systemd/metarrd-web.service` runs).

As a gunicorn config module it sets `bind` from `[web] bind` of the configuration
($METARRD_CONFIG, else /etc/metarrd/config.toml), threaded workers and access logs on stdout
for journald. `app` is created on first access, in each worker after the fork, so no database
connection crosses a fork.

Every open tab holds a live stream (`/live`), and a held stream takes a thread. Each worker
holds at most LIVE_STREAMS_PER_WORKER streams and keeps PAGE_THREADS threads for pages, so
twenty open tabs cannot starve the UI: the tabs beyond the cap are answered at once and poll
(metarrd/web/live.py). A stream lasts at most two minutes and sends a heartbeat every 2 s, so
a page the user left frees its slot within 2 s.
"""

from __future__ import annotations

import ipaddress
import logging
import sys

import gunicorn
from gunicorn.glogging import Logger

from metarrd import logs
from metarrd.config import load_config
from metarrd.urls import scrub

_config = load_config()

# gunicorn settings (read when this module is given as `--config python:metarrd.web.wsgi`)
bind = _config.web.bind
workers = 2
worker_class = "gthread"
threads = 16
PAGE_THREADS = 6  # per worker, never taken by a live stream
LIVE_STREAMS_PER_WORKER = threads - PAGE_THREADS
accesslog = "-"
errorlog = "-"
proc_name = "metarrd-web"
control_socket_disable = True  # gunicorn >= 25.1; older versions ignore unknown names


def forwarders(trusted_proxies, version=gunicorn.version_info) -> str:
    """gunicorn's `forwarded_allow_ips`: the proxies of `[web] trusted_proxies`, and no others.
    gunicorn's own default trusts 127.0.0.1 and ::1, whoever sits there: any local process, or a
    proxy not listed, made every request HTTPS (`X-Forwarded-Proto`) and set its `SCRIPT_NAME`
    (a header: each link and redirect then began with what it sent, `//evil.example/login`).
    A single address is given as one (every version); a network only to gunicorn >= 24.1,
    which reads them (an older one refused or never matched it: that proxy's scheme is then
    read by the app alone, metarrd/web/clients.py)."""
    entries = []
    for entry in trusted_proxies:
        try:
            network = ipaddress.ip_network(entry.strip(), strict=False)
        except ValueError:  # `metarrd config check` names it; the app leaves it out too
            continue
        if network.num_addresses == 1:
            entries.append(str(network.network_address))
        elif version >= (24, 1):
            entries.append(str(network))
    return ",".join(dict.fromkeys(entries))


forwarded_allow_ips = forwarders(_config.web.trusted_proxies)
# The UI is served at the root: no `SCRIPT_NAME` header is taken even from a listed proxy, which
# may pass the client's own headers on (nginx drops names with an underscore; others do not).
forwarder_headers = ""  # gunicorn >= 22; older versions ignore unknown names


class AccessLog(Logger):
    """gunicorn's logger, whose access lines leave out what a caller may have put in the wrong
    place: the basic-auth user name (a webhook token typed into Radarr's Username box, its
    Password left empty) and a key in the query string (`?apikey=`, as Radarr's own API takes
    it: `urls.scrub`). Each such call is refused, and each had written the token into the
    journal."""

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        atoms["u"] = "-"
        for name in ("r", "q"):
            if isinstance(atoms.get(name), str):
                atoms[name] = scrub(atoms[name])
        return atoms


logger_class = AccessLog


def __getattr__(name: str):
    if name == "app":
        logs.install()  # untrusted text (request paths, headers) cannot forge log lines
        if not logging.getLogger().handlers:
            logging.basicConfig(
                level=logging.INFO,
                stream=sys.stdout,
                format="%(levelname)s %(name)s: %(message)s",
            )
        from metarrd.web import create_app

        application = create_app(_config)
        application.config["LIVE_MAX_STREAMS"] = LIVE_STREAMS_PER_WORKER
        globals()["app"] = application
        return application
    raise AttributeError(name)

"""Client addresses that sent the right secret before ("known senders"), so that guessers at
other addresses cannot lock them out: the webhook's Radarr and Sonarr (metarrd/web/webhooks.py).

Past the cap over every address together (metarrd/web/attempts.py) one attempt is counted every
so many seconds, whoever makes it, and a refused attempt costs nothing: a botnet polling the
webhook takes each free comparison the moment it comes, and the real Radarr would get 429 (a
failed notification, after which Radarr pauses the whole connection). Radarr keeps no cookie
(the login's device cookie: metarrd/web/devices.py), but it calls from one address, or one
IPv6 /64 (`clients.client_group`). An address that sent the right token is remembered for
`days` after its last one, and a known address is counted on its own, outside the cap over
every address (still its own ten a window: being known buys no more guesses).

The list lives in the `meta` table as one JSON object (`<scope>_senders`: address → time of its
last right secret), the same for every gunicorn worker and across restarts. It holds at most
`keep` addresses, the most recent: only a holder of the secret adds one, and a Radarr behind a
changing address (a Docker network, IPv6 privacy addresses outside its /64) cannot fill it.
A sender's time is written again once an hour at most, not for each call (looked at again under
the write lock: calls that come together each saw it old).
"""

from __future__ import annotations

import json
import time

from metarrd import db

REFRESH_EVERY = 3600.0  # seconds: a known sender's time is written again no more often


def _meta_key(scope: str) -> str:
    return f"{scope}_senders"


def _read(scope: str) -> dict[str, float]:
    try:
        stored = json.loads(db.get_meta(_meta_key(scope)) or "{}")
    except ValueError:
        return {}
    if not isinstance(stored, dict):
        return {}
    return {
        str(group): float(at)
        for group, at in stored.items()
        if isinstance(at, (int, float)) and not isinstance(at, bool)
    }


def known(scope: str, group: str, days: float) -> bool:
    """`group` sent the right secret within the last `days`."""
    at = _read(scope).get(group)
    return at is not None and at > time.time() - days * 86400


def remember(scope: str, group: str, days: float, keep: int) -> None:
    """`group` sent the right secret now: known for `days` from now; the `keep` most recent
    senders are kept, those older than `days` dropped."""
    now = time.time()
    if _read(scope).get(group, 0.0) > now - REFRESH_EVERY:
        return  # written within the hour: no write for each call
    with db.write_transaction():
        senders = _read(scope)
        if senders.get(group, 0.0) > now - REFRESH_EVERY:
            return  # another call (a thread, a worker) wrote it since we looked
        senders[group] = now
        fresh = {g: at for g, at in senders.items() if at > now - days * 86400}
        newest = sorted(fresh.items(), key=lambda pair: pair[1], reverse=True)[:keep]
        db.set_meta(_meta_key(scope), json.dumps(dict(newest), separators=(",", ":")))

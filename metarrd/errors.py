"""The small error tree. Messages are for people: they say which item and what to do.

Errors are raised by the core and the adapters and caught only at task and request boundaries,
where they become an item's `last_error`, an event, a log line and (in the CLI) one line on stderr.
"""

from __future__ import annotations


class MetarrdError(Exception):
    """Base of every error metarrd raises on purpose."""


class ConfigError(MetarrdError):
    """The configuration file is missing, malformed, or has an unknown key or wrong type.
    `key` is the setting at fault when there is one (`web.bind`), for naming its line."""

    def __init__(self, message: str, *, key: str | None = None) -> None:
        super().__init__(message)
        self.key = key


class ProviderError(MetarrdError):
    """A metadata provider could not answer usefully (after retries)."""

    def __init__(self, provider: str, message: str, *, status: int | None = None):
        super().__init__(f"{provider}: {message}")
        self.provider = provider
        self.status = status


class ProviderAuthError(ProviderError):
    """The provider refused our key (401/403): retrying will not help."""


class ProviderUnavailable(ProviderError):
    """Rate limited, 5xx, timeout or connection refused after every retry: try again later.
    `retry_after`: the seconds the provider itself asked us to wait (a 429's or 503's
    Retry-After, uncapped), when it said; a job's retry is not due before then (pipeline/jobs.py)."""

    def __init__(
        self,
        provider: str,
        message: str,
        *,
        status: int | None = None,
        retry_after: float | None = None,
    ):
        super().__init__(provider, message, status=status)
        self.retry_after = retry_after


class LibraryUnreachable(MetarrdError):
    """A library root, or the image cache, does not answer (a hard network mount whose server is
    gone: its stat never returns): the job waits and is tried again later, as for a provider
    unavailable."""

    retry_after: float | None = None


class DatabaseLost(MetarrdError):
    """A job's database connection was dropped by the server while it ran (PostgreSQL restarted
    or failed over): what its transaction did is gone; the job is tried again later."""

    retry_after: float | None = None


class TryAgain(ProviderUnavailable):
    """A request that failed in a way worth retrying, for a caller that schedules its own
    retries (`HttpClient.request(..., patient=False)`): `wait` is how long to wait first."""

    def __init__(
        self,
        provider: str,
        message: str,
        *,
        wait: float,
        status: int | None = None,
        sent: bool = True,
    ):
        super().__init__(provider, message, status=status)
        self.wait = wait
        self.sent = sent  # False: not even asked (the host asked us to wait)


class NotFound(ProviderError):
    """The provider has no such resource (404): a normal outcome, not a failure."""


class ItemError(MetarrdError):
    """Something about one library item stops the stage for that item only."""


class NotReady(ItemError):
    """A stage asked for an item that has not reached it (a publish of an item not enriched):
    refused, and not the item's failure: its `last_error` keeps the reason it is where it is
    (the show it waits for, the episode the provider has not)."""


def not_enriched(item, status: str) -> NotReady:
    """A publish refused because `item` (a db.Movie) is not enriched, with what to do first."""
    if status == "unidentified" and item.show_id is not None:  # a season, an episode
        todo = f"its show is item {item.show_id}; `metarrd list` says why"
    elif status == "unidentified":
        todo = f"identify it first: `metarrd identify {item.id} --tmdb ID`"
    else:
        todo = f"run `metarrd enrich {item.id}` first"
    label = item.label
    return NotReady(f"{label}: cannot publish: not enriched yet (it is {status}; {todo})")


class LeaseLost(MetarrdError):
    """A job's writes refused: another worker took the job over while this one, frozen past
    its lease (SIGSTOP, a paused VM), worked on it. Not an item's error: the job is the other's."""


class StageDisabled(MetarrdError):
    """A workflow stage is switched off (e.g. publishing)."""


class EditRefused(MetarrdError):
    """A change the user asked for that cannot be made (a rejected picture, a limit reached, a
    value out of range); the message says why."""


class DiskFull(MetarrdError):
    """The disk holding data_dir (or a library) has no space left. The write that hit it was rolled
    back whole; nothing is half-written. Free some space and run the item again."""


def internal_error(exc: BaseException) -> str:
    """What an item's error says when its stage failed with an exception that is none of ours
    (a bug): as a job records it, so the CLI and the daemon say the same."""
    return f"internal error: {type(exc).__name__}: {exc}"

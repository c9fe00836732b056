"""The dashboard's errors per day are the days of the machine's time zone (TZ), as the user
lives them, not UTC's."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from metarrd import db


def error_at(local: dt.datetime) -> None:
    """An error event at the local wall-clock time `local` (stored in UTC, as every event)."""
    db.Event.create(
        kind="publish.failed",
        level="error",
        created_at=local.astimezone(dt.UTC).replace(tzinfo=None),
    )


def errors_by_day(client) -> dict[str, int]:
    page = client.get("/health").get_data(as_text=True)
    found = re.findall(r'aria-label="(\d\d-\d\d): (\d+) errors?"', page)
    return {label: int(n) for label, n in found}


@pytest.mark.parametrize("zone", ["Asia/Kolkata", "America/New_York", "Pacific/Auckland"])
def test_errors_per_day_are_counted_by_local_days(client, local_zone, zone):
    """With `TZ=Asia/Kolkata` an error at 00:10 was counted on the day before (18:40 UTC), and
    in New York one at 20:00 on the next day; the last column was UTC's today, in New York
    the evening's tomorrow. Each day is now the local one, midnight to midnight."""
    local_zone(zone)
    today = dt.date.today()
    yesterday = today - dt.timedelta(days=1)
    error_at(dt.datetime.combine(today, dt.time(0, 10)))
    error_at(dt.datetime.combine(yesterday, dt.time(23, 50)))
    error_at(dt.datetime.combine(yesterday, dt.time(20, 0)))
    days = errors_by_day(client)
    assert list(days)[-1] == f"{today:%m-%d}"
    assert days[f"{today:%m-%d}"] == 1
    assert days[f"{yesterday:%m-%d}"] == 2
    assert sum(days.values()) == 3

"""Dates of the time filters, read the same way by every edge: ``--after 2024-05-01`` on the
command line, ``"after": "2024-05-01"`` over HTTP and the page's date fields.

A day is its local midnight (what a person means by "after the 1st of May"); a time of
day may follow (``2024-05-01T14:30``, with an offset or not: without one it is local).
Years the platform cannot place in a time zone (0001, 9999) are read as UTC instead of
failing: the filter still means what it says.
"""

from __future__ import annotations

import datetime as dt

from imgsearch.errors import InvalidQuery


def day_seconds(day: dt.date) -> float:
    """Local midnight of ``day`` in POSIX seconds (UTC midnight where the platform cannot
    place the year in its time zones)."""
    return moment_seconds(dt.datetime(day.year, day.month, day.day))


def moment_seconds(moment: dt.datetime) -> float:
    """``moment`` in POSIX seconds: local time when it has no offset (UTC where the
    platform cannot place its year)."""
    try:
        return moment.timestamp()
    except (OverflowError, OSError, ValueError):
        naive = moment.replace(tzinfo=None) - (moment.utcoffset() or dt.timedelta())
        return (naive - dt.datetime(1970, 1, 1)).total_seconds()


def parse_time(text: str, name: str) -> float:
    """``text`` — ``YYYY-MM-DD``, or that with a time (``THH:MM[:SS]``, optionally an
    offset) — in POSIX seconds; :class:`~imgsearch.errors.InvalidQuery` naming ``name``
    (the option or field) when it is not one."""
    try:
        moment = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise InvalidQuery(
            f"{name} {text!r} is not a date", hint="write it as YYYY-MM-DD or YYYY-MM-DDTHH:MM"
        ) from None
    return moment_seconds(moment)

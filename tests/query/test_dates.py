"""The time filters' dates, read alike by the command line and HTTP."""

from __future__ import annotations

import datetime as dt

import pytest

from imgsearch.errors import InvalidQuery
from imgsearch.query.dates import day_seconds, parse_time


def test_a_day_is_its_local_midnight_and_a_time_may_follow() -> None:
    midnight = dt.datetime(2024, 5, 1).timestamp()
    assert parse_time("2024-05-01", "--after") == day_seconds(dt.date(2024, 5, 1)) == midnight
    assert parse_time(" 2024-05-01T14:30 ", "--after") == midnight + 14.5 * 3600
    assert parse_time("2024-05-01T00:00+00:00", "--after") == 1714521600.0  # an offset: as given


def test_years_the_platform_cannot_place_are_read_as_utc_not_refused() -> None:
    assert parse_time("0001-01-01", "--after") == day_seconds(dt.date(1, 1, 1)) == -62135596800.0
    assert parse_time("9999-12-31", "--before") == day_seconds(dt.date(9999, 12, 31))


@pytest.mark.parametrize("text", ["yesterday", "2024-13-01", "2024-02-30", "", "01/05/2024"])
def test_what_is_not_a_date_is_refused_naming_the_option(text: str) -> None:
    with pytest.raises(InvalidQuery, match=r"--before .* is not a date"):
        parse_time(text, "--before")

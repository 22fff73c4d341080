"""Local days: first instants, week starts and splitting intervals at local midnights."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from custom_components.retrowalk.progress.local_days import (
    as_utc,
    local_date,
    split_by_local_day,
    start_of_day,
    week_start_date,
)

from .builders import BERLIN, NEW_YORK, SANTIAGO, local, utc

HAVANA = ZoneInfo("America/Havana")


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="aware datetime"):
        as_utc(datetime(2026, 3, 1, 12, 0))


def test_as_utc_keeps_the_instant() -> None:
    moment = local(BERLIN, 2026, 7, 1, 12)
    assert as_utc(moment) == moment
    assert as_utc(moment).tzinfo is UTC
    assert as_utc(moment).hour == 10


def test_local_date_follows_the_zone() -> None:
    moment = utc(2026, 3, 1, 3)
    assert local_date(moment, BERLIN) == date(2026, 3, 1)
    assert local_date(moment, NEW_YORK) == date(2026, 2, 28)


def test_start_of_day_is_local_midnight_with_the_offset_of_that_day() -> None:
    assert start_of_day(date(2026, 3, 29), BERLIN).utcoffset() == timedelta(hours=1)
    assert start_of_day(date(2026, 3, 30), BERLIN).utcoffset() == timedelta(hours=2)
    assert as_utc(start_of_day(date(2026, 3, 30), BERLIN)) == utc(2026, 3, 29, 22)


def test_start_of_day_inside_a_dst_gap_is_the_first_existing_instant() -> None:
    # Chile moves its clocks from 00:00 to 01:00 on 2026-09-06: that day starts at 01:00.
    first = start_of_day(date(2026, 9, 6), SANTIAGO)
    assert (first.hour, first.minute) == (1, 0)
    assert as_utc(first) == utc(2026, 9, 6, 4)
    assert local_date(as_utc(first) - timedelta(seconds=1), SANTIAGO) == date(2026, 9, 5)


def test_start_of_day_when_midnight_happens_twice_is_the_first_one() -> None:
    # Cuba turns 01:00 back to 00:00 on 2026-11-01, so that midnight happens twice.
    first = start_of_day(date(2026, 11, 1), HAVANA)
    assert as_utc(first) == utc(2026, 11, 1, 4)
    assert local_date(as_utc(first) - timedelta(seconds=1), HAVANA) == date(2026, 10, 31)


@pytest.mark.parametrize(
    ("day", "week_start", "expected"),
    [
        (date(2026, 3, 29), 0, date(2026, 3, 23)),  # Sunday, weeks from Monday
        (date(2026, 3, 30), 0, date(2026, 3, 30)),  # Monday itself
        (date(2026, 3, 29), 6, date(2026, 3, 29)),  # Sunday, weeks from Sunday
        (date(2026, 3, 28), 6, date(2026, 3, 22)),  # Saturday, weeks from Sunday
        (date(2026, 3, 28), 5, date(2026, 3, 28)),  # Saturday, weeks from Saturday
    ],
)
def test_week_start_date(day: date, week_start: int, expected: date) -> None:
    assert week_start_date(day, week_start) == expected


def test_split_across_midnight() -> None:
    pieces = list(
        split_by_local_day(
            local(BERLIN, 2026, 5, 4, 23, 50), local(BERLIN, 2026, 5, 5, 0, 5), BERLIN
        )
    )
    assert pieces == [(date(2026, 5, 4), 600.0), (date(2026, 5, 5), 300.0)]


def test_split_over_the_short_dst_day_counts_real_seconds() -> None:
    start = local(BERLIN, 2026, 3, 28, 23)
    end = local(BERLIN, 2026, 3, 30, 1)
    pieces = list(split_by_local_day(start, end, BERLIN))
    assert pieces == [
        (date(2026, 3, 28), 3600.0),
        (date(2026, 3, 29), 23 * 3600.0),
        (date(2026, 3, 30), 3600.0),
    ]
    assert sum(seconds for _, seconds in pieces) == (as_utc(end) - as_utc(start)).total_seconds()


def test_split_over_the_long_dst_day() -> None:
    pieces = list(
        split_by_local_day(local(BERLIN, 2026, 10, 25), local(BERLIN, 2026, 10, 26), BERLIN)
    )
    assert pieces == [(date(2026, 10, 25), 25 * 3600.0)]


def test_split_of_an_empty_or_reversed_interval_yields_nothing() -> None:
    moment = local(BERLIN, 2026, 5, 4, 12)
    assert list(split_by_local_day(moment, moment, BERLIN)) == []
    assert list(split_by_local_day(moment, moment - timedelta(minutes=1), BERLIN)) == []

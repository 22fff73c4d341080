"""Local calendar days and weeks for aware datetimes.

Everything that is stored is in UTC; days and weeks are local to the person's time zone. Two
traps are handled here once, so the rest of the package never meets them:

- Subtracting two aware datetimes that share a ``tzinfo`` object compares wall-clock times and
  ignores a DST change between them. All arithmetic therefore happens on UTC datetimes.
- Local midnight may not exist (some zones, e.g. America/Santiago, start DST at 00:00) or may
  exist twice. The start of a day is defined as its first existing instant.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterator

DAYS_PER_WEEK = 7


def as_utc(moment: datetime) -> datetime:
    """Return ``moment`` in UTC; naive datetimes are refused because their instant is unknown."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        msg = f"an aware datetime is required, got naive {moment!r}"
        raise ValueError(msg)
    return moment.astimezone(UTC)


def local_date(moment: datetime, time_zone: tzinfo) -> date:
    """Return the calendar date of ``moment`` in ``time_zone``."""
    return as_utc(moment).astimezone(time_zone).date()


def start_of_day(day: date, time_zone: tzinfo) -> datetime:
    """Return the first instant of the local ``day``, as an aware datetime in ``time_zone``.

    A wall-clock midnight that falls into a DST gap is mapped (PEP 495, fold=0) with the offset
    in force before the gap; the round trip through UTC then lands on the first real instant of
    the day (01:00 where the clocks jump from 00:00 to 01:00). An ambiguous midnight resolves to
    its first occurrence.
    """
    wall_midnight = datetime.combine(day, time(), tzinfo=time_zone)
    return wall_midnight.astimezone(UTC).astimezone(time_zone)


def week_start_date(day: date, week_start: int) -> date:
    """Return the first date of the week containing ``day`` (week_start: 0=Monday .. 6=Sunday)."""
    return day - timedelta(days=(day.weekday() - week_start) % DAYS_PER_WEEK)


def split_by_local_day(
    start: datetime, end: datetime, time_zone: tzinfo
) -> Iterator[tuple[date, float]]:
    """Yield ``(local date, seconds)`` for each local day that ``[start, end)`` overlaps.

    Days are cut at local midnights, so a day may be 23 or 25 hours long around DST changes.
    An empty or reversed interval yields nothing.
    """
    cursor = as_utc(start)
    stop = as_utc(end)
    while cursor < stop:
        day = cursor.astimezone(time_zone).date()
        next_day_start = as_utc(start_of_day(day + timedelta(days=1), time_zone))
        piece_end = min(stop, next_day_start)
        yield day, (piece_end - cursor).total_seconds()
        cursor = piece_end

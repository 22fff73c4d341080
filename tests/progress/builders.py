"""Helpers that build session histories the way the Home Assistant layer would."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
import itertools
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from custom_components.retrowalk.progress.model import (
    Direction,
    EndReason,
    SessionHistory,
    SessionRecord,
)
from custom_components.retrowalk.progress.tracker import SessionTracker

if TYPE_CHECKING:
    from collections.abc import Callable

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
SANTIAGO = ZoneInfo("America/Santiago")
LORD_HOWE = ZoneInfo("Australia/Lord_Howe")
KOLKATA = ZoneInfo("Asia/Kolkata")

BACKWARD = Direction.BACKWARD
FORWARD = Direction.FORWARD
STOPPED = None
"""A phase with the belt standing still (a turnaround)."""

ONE_WEEK = timedelta(days=7)


def local(
    time_zone: tzinfo, year: int, month: int, day: int, hour: int = 0, minute: int = 0
) -> datetime:
    """A local wall-clock time as an aware datetime (fold=0 for repeated times)."""
    return datetime(year, month, day, hour, minute, tzinfo=time_zone)


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Phase:
    """A stretch of a session with the belt moving in one direction, or standing still."""

    direction: Direction | None
    seconds: int


def phases(*items: tuple[Direction | None, float]) -> tuple[Phase, ...]:
    """Phases from (direction, minutes) pairs."""
    return tuple(Phase(direction, round(minutes * 60)) for direction, minutes in items)


def numbered_ids() -> Callable[[], str]:
    """A deterministic session id factory."""
    counter = itertools.count(1)
    return lambda: f"s{next(counter)}"


def long_gap_tracker(time_zone: tzinfo, history: SessionHistory | None = None) -> SessionTracker:
    """A tracker that credits any interval between two samples (samples at phase changes only)."""
    return SessionTracker(
        time_zone,
        history=history,
        max_sample_gap=timedelta(days=30),
        new_session_id=numbered_ids(),
    )


def walk(
    tracker: SessionTracker,
    start: datetime,
    session_phases: tuple[Phase, ...],
    *,
    reason: EndReason = EndReason.FINISHED,
    level: str | None = None,
    sample_every_s: int | None = None,
) -> SessionRecord:
    """Run one session: begin, a sample at each phase change (or every N s), end."""
    tracker.begin(start, level=level)
    moment = start
    for phase in session_phases:
        direction = phase.direction or FORWARD
        moving = phase.direction is not None
        elapsed = 0
        while True:
            tracker.sample(moment + timedelta(seconds=elapsed), moving=moving, direction=direction)
            step = phase.seconds - elapsed if sample_every_s is None else sample_every_s
            elapsed = min(phase.seconds, elapsed + step)
            if elapsed >= phase.seconds:
                break
        moment += timedelta(seconds=phase.seconds)
    return tracker.end(moment, reason)


def backward_session(
    tracker: SessionTracker,
    start: datetime,
    backward_minutes: float,
    reason: EndReason = EndReason.FINISHED,
) -> SessionRecord:
    """A program-like session: 3 min forward warm-up, the backward part, 3 min cool-down."""
    return walk(
        tracker,
        start,
        phases(
            (FORWARD, 3), (STOPPED, 0.5), (BACKWARD, backward_minutes), (STOPPED, 0.5), (FORWARD, 3)
        ),
        reason=reason,
    )

"""Weekly figures: minutes, retro sessions, goal progress and streaks.

Conventions, chosen where the issue was silent:

- A week runs from the first instant of its first local date (``WeekSettings.week_start``) to
  the first instant of the same weekday seven dates later, so it is 167 or 169 hours long
  across a DST change.
- Minutes are taken from the sessions' day buckets, so a session that crosses the week boundary
  contributes to both weeks.
- A session belongs to the week of its local start date for counting (retro sessions, pain
  stops). It is a retro session once it has at least ``min_backward_minutes_for_session``
  backward minutes, including while it is still open.
- Goal progress is the smallest ratio of achieved to required over the goals that are set
  (sessions, minutes), capped at 100 %. So it reaches 100 % when the goal is met, and extra
  sessions cannot hide missing minutes (or the other way round).
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from typing import TYPE_CHECKING

from .local_days import DAYS_PER_WEEK, as_utc, local_date, start_of_day, week_start_date

if TYPE_CHECKING:
    from collections.abc import Sequence

    from .model import SessionHistory, SessionRecord

MONDAY = 0
SUNDAY = 6
DEFAULT_GOAL_SESSIONS = 3
DEFAULT_MIN_BACKWARD_MINUTES_FOR_SESSION = 3.0


@dataclass(frozen=True, slots=True, kw_only=True)
class WeekSettings:
    """The person's options for weekly figures, and their time zone.

    ``goal_sessions`` and ``goal_minutes`` (backward minutes per week) may each be None, but
    not both. ``week_start`` follows ``date.weekday()``: 0 is Monday, 6 is Sunday.
    """

    time_zone: tzinfo
    goal_sessions: int | None = DEFAULT_GOAL_SESSIONS
    goal_minutes: float | None = None
    week_start: int = MONDAY
    min_backward_minutes_for_session: float = DEFAULT_MIN_BACKWARD_MINUTES_FOR_SESSION

    def __post_init__(self) -> None:
        """Refuse settings that would make the figures meaningless."""
        if not MONDAY <= self.week_start <= SUNDAY:
            msg = f"week_start must be 0 (Monday) to 6 (Sunday), got {self.week_start}"
            raise ValueError(msg)
        if self.goal_sessions is None and self.goal_minutes is None:
            msg = "a weekly goal needs sessions, minutes or both"
            raise ValueError(msg)
        if self.goal_sessions is not None and self.goal_sessions < 1:
            msg = f"goal_sessions must be at least 1, got {self.goal_sessions}"
            raise ValueError(msg)
        if self.goal_minutes is not None and not self.goal_minutes > 0:
            msg = f"goal_minutes must be positive, got {self.goal_minutes}"
            raise ValueError(msg)
        if not self.min_backward_minutes_for_session > 0:
            msg = (
                "min_backward_minutes_for_session must be positive, "
                f"got {self.min_backward_minutes_for_session}"
            )
            raise ValueError(msg)

    def counts_as_retro_session(self, session: SessionRecord) -> bool:
        """Whether ``session`` has enough backward minutes to count as a retro session."""
        return session.backward_minutes >= self.min_backward_minutes_for_session


@dataclass(frozen=True, slots=True)
class WeeklySummary:
    """The figures of one week (see the module docstring for the conventions)."""

    week_start: datetime
    """First instant of the week, in the settings' time zone (a sensor's last_reset)."""
    week_end: datetime
    """First instant of the following week."""
    backward_minutes: float
    treadmill_minutes: float
    """Backward plus forward minutes on a moving belt."""
    retro_sessions: int
    pain_stops: int
    goal_progress_pct: float
    """0 to 100, reaching 100 when the goal is met."""
    goal_met: bool


def first_day_of_week(moment: datetime, settings: WeekSettings) -> date:
    """Return the local date on which the week containing ``moment`` starts."""
    return week_start_date(local_date(moment, settings.time_zone), settings.week_start)


def week_start_for(moment: datetime, settings: WeekSettings) -> datetime:
    """Return the first instant of the week containing ``moment``, in the local time zone."""
    return start_of_day(first_day_of_week(moment, settings), settings.time_zone)


def summarize_week(
    history: SessionHistory, moment: datetime, settings: WeekSettings
) -> WeeklySummary:
    """Return the figures of the week containing ``moment``; open sessions count as they are."""
    return _summarize(history, first_day_of_week(moment, settings), settings)


def weeks_in_a_row_goal_met(history: SessionHistory, now: datetime, settings: WeekSettings) -> int:
    """Return how many consecutive weeks, ending with the current one, met the weekly goal.

    The current week is still running, so it adds one once its goal is met and otherwise does
    not break the streak: on a Monday morning the count still shows the weeks before. The
    count reaches back as far as the retained history (at least 52 weeks).
    """
    current_first_day = first_day_of_week(now, settings)
    streak = 1 if _summarize(history, current_first_day, settings).goal_met else 0
    first_day = current_first_day - timedelta(days=DAYS_PER_WEEK)
    while _summarize(history, first_day, settings).goal_met:
        streak += 1
        first_day -= timedelta(days=DAYS_PER_WEEK)
    return streak


def last_retro_session(history: SessionHistory, settings: WeekSettings) -> SessionRecord | None:
    """Return the most recently started session that counts as a retro session, if any."""
    for session in reversed(history.sessions):
        if settings.counts_as_retro_session(session):
            return session
    return None


def total_backward_distance_m(history: SessionHistory) -> float:
    """Return the lifetime backward distance, including sessions pruned from the history."""
    return history.pruned_backward_distance_m + sum(
        session.backward_distance_m for session in history.sessions
    )


def sessions_started_in_week(
    history: SessionHistory, first_day: date, settings: WeekSettings
) -> Sequence[SessionRecord]:
    """Return the sessions whose local start date falls in the week starting on ``first_day``.

    Local dates never run backwards, so "starts on one of these dates" is "starts between the
    first instants of the first day and of the day after the last", and the sorted history can
    be bisected instead of converting every start to local time.
    """
    week_start = as_utc(start_of_day(first_day, settings.time_zone))
    week_end = as_utc(start_of_day(first_day + timedelta(days=DAYS_PER_WEEK), settings.time_zone))
    sessions = history.sessions
    first = bisect_left(sessions, week_start, key=_start)
    return sessions[first : bisect_left(sessions, week_end, lo=first, key=_start)]


def _start(session: SessionRecord) -> datetime:
    return session.start


def _summarize(history: SessionHistory, first_day: date, settings: WeekSettings) -> WeeklySummary:
    after_last_day = first_day + timedelta(days=DAYS_PER_WEEK)
    backward_s = 0.0
    forward_s = 0.0
    for session in history.sessions:
        for bucket in session.days:
            if first_day <= bucket.day < after_last_day:
                backward_s += bucket.backward_s
                forward_s += bucket.forward_s
    started = sessions_started_in_week(history, first_day, settings)
    retro_sessions = sum(1 for session in started if settings.counts_as_retro_session(session))
    backward_minutes = backward_s / 60
    return WeeklySummary(
        week_start=start_of_day(first_day, settings.time_zone),
        week_end=start_of_day(after_last_day, settings.time_zone),
        backward_minutes=backward_minutes,
        treadmill_minutes=(backward_s + forward_s) / 60,
        retro_sessions=retro_sessions,
        pain_stops=sum(1 for session in started if session.is_pain),
        goal_progress_pct=_goal_progress_pct(retro_sessions, backward_minutes, settings),
        goal_met=_goal_met(retro_sessions, backward_minutes, settings),
    )


def _goal_met(retro_sessions: int, backward_minutes: float, settings: WeekSettings) -> bool:
    sessions_met = settings.goal_sessions is None or retro_sessions >= settings.goal_sessions
    minutes_met = settings.goal_minutes is None or backward_minutes >= settings.goal_minutes
    return sessions_met and minutes_met


def _goal_progress_pct(
    retro_sessions: int, backward_minutes: float, settings: WeekSettings
) -> float:
    """Return the goal progress in percent (see the module docstring)."""
    ratios: list[float] = []
    if settings.goal_sessions is not None:
        ratios.append(retro_sessions / settings.goal_sessions)
    if settings.goal_minutes is not None:
        ratios.append(backward_minutes / settings.goal_minutes)
    return 100 * min(1.0, *ratios)

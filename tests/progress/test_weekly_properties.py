"""Property: weekly figures equal a plain recomputation from what was walked.

The reference below shares no code with the package: it finds week boundaries by stepping
through UTC in quarter hours and asking the standard library for the local date, and it
overlaps each moving stretch with the week directly, without day buckets.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo

from hypothesis import given, settings as hypothesis_settings, strategies as st

from custom_components.retrowalk.progress.model import Direction, EndReason, SessionHistory
from custom_components.retrowalk.progress.weekly import (
    WeekSettings,
    last_retro_session,
    summarize_week,
    week_start_for,
    weeks_in_a_row_goal_met,
)

from ..examples_budget import examples
from .builders import long_gap_tracker

ZONES = [
    UTC,
    ZoneInfo("Europe/Berlin"),
    ZoneInfo("America/New_York"),
    ZoneInfo("America/Santiago"),
    ZoneInfo("Australia/Lord_Howe"),
    ZoneInfo("Asia/Kolkata"),
]
# A few days before DST changes in those zones, so sessions and weeks straddle them.
ORIGINS = [
    datetime(2026, 3, 26, tzinfo=UTC),
    datetime(2026, 10, 22, tzinfo=UTC),
    datetime(2026, 3, 5, tzinfo=UTC),
    datetime(2026, 10, 29, tzinfo=UTC),
    datetime(2026, 9, 3, tzinfo=UTC),
    datetime(2026, 4, 1, tzinfo=UTC),
    datetime(2026, 10, 1, tzinfo=UTC),
]
QUARTER_HOUR = timedelta(minutes=15)


@dataclass(frozen=True)
class Walked:
    """What really happened in one session."""

    start: datetime
    stretches: list[tuple[datetime, datetime, Direction]]  # belt moving
    ended_by: EndReason | None

    @property
    def backward_s(self) -> float:
        return sum(
            (end - start).total_seconds()
            for start, end, direction in self.stretches
            if direction is Direction.BACKWARD
        )


def reference_week(moment: datetime, zone: tzinfo, week_start: int) -> tuple[datetime, datetime]:
    """The UTC bounds of the week containing ``moment``, found by brute force."""
    today = moment.astimezone(zone).date()
    first_day = today
    while first_day.weekday() != week_start:
        first_day = date.fromordinal(first_day.toordinal() - 1)
    after_last_day = date.fromordinal(first_day.toordinal() + 7)

    def first_instant_on_or_after(day: date, near: datetime) -> datetime:
        # Every modern zone offset is a whole number of quarter hours, so local midnights (and
        # the first instant after a gap) sit on the UTC quarter-hour grid.
        probe = near.replace(minute=near.minute - near.minute % 15, second=0, microsecond=0)
        while probe.astimezone(zone).date() >= day:
            probe -= QUARTER_HOUR
        while probe.astimezone(zone).date() < day:
            probe += QUARTER_HOUR
        return probe

    start = first_instant_on_or_after(first_day, moment.astimezone(UTC))
    end = first_instant_on_or_after(after_last_day, start + timedelta(days=7))
    return start, end


def overlap_s(a_start: datetime, a_end: datetime, b_start: datetime, b_end: datetime) -> float:
    return max(0.0, (min(a_end, b_end) - max(a_start, b_start)).total_seconds())


def reference_figures(
    walked: list[Walked], moment: datetime, week: WeekSettings
) -> tuple[datetime, datetime, float, float, int, int, bool]:
    start, end = reference_week(moment, week.time_zone, week.week_start)
    backward_s = forward_s = 0.0
    for session in walked:
        for a, b, direction in session.stretches:
            seconds = overlap_s(a, b, start, end)
            if direction is Direction.BACKWARD:
                backward_s += seconds
            else:
                forward_s += seconds
    started = [s for s in walked if start <= s.start < end]
    retro = sum(1 for s in started if s.backward_s >= week.min_backward_minutes_for_session * 60)
    pain = sum(1 for s in started if s.ended_by is EndReason.PAIN)
    met = (week.goal_sessions is None or retro >= week.goal_sessions) and (
        week.goal_minutes is None or backward_s / 60 >= week.goal_minutes
    )
    return start, end, backward_s / 60, (backward_s + forward_s) / 60, retro, pain, met


phase_strategy = st.tuples(
    st.sampled_from([Direction.BACKWARD, Direction.FORWARD, None]),
    # Whole minutes often, so that sessions land exactly on the counting threshold.
    st.integers(min_value=1, max_value=3000)
    | st.integers(min_value=1, max_value=12).map(lambda m: m * 30),
)
session_strategy = st.tuples(
    st.integers(min_value=0, max_value=4 * 24 * 3600),  # pause before the session
    st.lists(phase_strategy, min_size=1, max_size=5),
    st.sampled_from(list(EndReason)),
)
week_settings_strategy = st.builds(
    lambda zone, week_start, goal, minimum: WeekSettings(
        time_zone=zone,
        week_start=week_start,
        goal_sessions=goal[0],
        goal_minutes=goal[1],
        min_backward_minutes_for_session=minimum,
    ),
    st.sampled_from(ZONES),
    st.integers(min_value=0, max_value=6),
    st.sampled_from([(3, None), (1, None), (5, None), (None, 10.0), (None, 30.5), (2, 20.0)]),
    st.sampled_from([1.0, 2.5, 3.0, 5.0]),
)


def record(
    week: WeekSettings,
    origin: datetime,
    sessions: list[tuple[int, list[tuple[Direction | None, int]], EndReason]],
    leave_last_open: bool,
) -> tuple[list[Walked], SessionHistory]:
    """Feed the sessions to a tracker; return what was walked and the tracker's history."""
    tracker = long_gap_tracker(week.time_zone)
    walked: list[Walked] = []
    moment = origin
    for index, (pause_s, session_phases, reason) in enumerate(sessions):
        moment += timedelta(seconds=pause_s)
        start = moment
        tracker.begin(start)
        stretches: list[tuple[datetime, datetime, Direction]] = []
        for direction, seconds in session_phases:
            tracker.sample(
                moment, moving=direction is not None, direction=direction or Direction.FORWARD
            )
            if direction is not None:
                stretches.append((moment, moment + timedelta(seconds=seconds), direction))
            moment += timedelta(seconds=seconds)
        is_open = leave_last_open and index == len(sessions) - 1
        if is_open:
            tracker.sample(moment, moving=False, direction=Direction.FORWARD)
        else:
            tracker.end(moment, reason)
        walked.append(Walked(start, stretches, None if is_open else reason))
    return walked, tracker.history


@hypothesis_settings(max_examples=examples(150), deadline=None)
@given(
    week=week_settings_strategy,
    origin=st.sampled_from(ORIGINS),
    sessions=st.lists(session_strategy, min_size=1, max_size=12),
    leave_last_open=st.booleans(),
    probes=st.lists(st.integers(min_value=-2 * 24 * 3600, max_value=60 * 24 * 3600), max_size=6),
)
def test_weekly_figures_match_a_plain_recomputation(
    week: WeekSettings,
    origin: datetime,
    sessions: list[tuple[int, list[tuple[Direction | None, int]], EndReason]],
    leave_last_open: bool,
    probes: list[int],
) -> None:
    walked, history = record(week, origin, sessions, leave_last_open)
    moments = [s.start for s in walked] + [origin + timedelta(seconds=p) for p in probes]
    for moment in moments:
        summary = summarize_week(history, moment, week)
        start, end, backward, treadmill, retro, pain, met = reference_figures(walked, moment, week)
        assert summary.week_start == start
        assert week_start_for(moment, week) == start
        assert summary.week_end == end
        assert summary.backward_minutes == backward
        assert summary.treadmill_minutes == treadmill
        assert (summary.retro_sessions, summary.pain_stops, summary.goal_met) == (retro, pain, met)
        assert 0 <= summary.goal_progress_pct <= 100
        assert (summary.goal_progress_pct == 100) == met

        streak = 0 if not met else 1
        probe = start - timedelta(seconds=1)
        while reference_figures(walked, probe, week)[-1]:
            streak += 1
            probe = reference_week(probe, week.time_zone, week.week_start)[0] - timedelta(seconds=1)
        assert weeks_in_a_row_goal_met(history, moment, week) == streak

    threshold_s = week.min_backward_minutes_for_session * 60
    counted = [s for s in walked if s.backward_s >= threshold_s]
    latest = last_retro_session(history, week)
    assert (latest.start if latest else None) == (counted[-1].start if counted else None)

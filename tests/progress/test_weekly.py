"""Weekly figures: week boundaries in local time, minutes, retro sessions, goals, streaks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from custom_components.retrowalk.progress.local_days import as_utc
from custom_components.retrowalk.progress.model import EndReason, SessionHistory
from custom_components.retrowalk.progress.weekly import (
    SUNDAY,
    WeekSettings,
    last_retro_session,
    summarize_week,
    total_backward_distance_m,
    week_start_for,
    weeks_in_a_row_goal_met,
)

from .builders import (
    BACKWARD,
    BERLIN,
    FORWARD,
    KOLKATA,
    NEW_YORK,
    ONE_WEEK,
    SANTIAGO,
    STOPPED,
    local,
    long_gap_tracker,
    phases,
    utc,
    walk,
)

MINUTE = timedelta(minutes=1)


# -- settings ------------------------------------------------------------------------------


def test_default_settings() -> None:
    settings = WeekSettings(time_zone=BERLIN)
    assert (settings.goal_sessions, settings.goal_minutes) == (3, None)
    assert settings.week_start == 0
    assert settings.min_backward_minutes_for_session == 3


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"week_start": 7}, "week_start"),
        ({"week_start": -1}, "week_start"),
        ({"goal_sessions": None}, "sessions, minutes or both"),
        ({"goal_sessions": 0}, "goal_sessions"),
        ({"goal_minutes": 0.0}, "goal_minutes"),
        ({"min_backward_minutes_for_session": 0.0}, "min_backward_minutes_for_session"),
    ],
)
def test_invalid_settings_are_refused(changes: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        WeekSettings(time_zone=BERLIN, **changes)  # type: ignore[arg-type]


# -- week boundaries -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("moment", "expected_start", "expected_offset_h"),
    [
        # Berlin, weeks from Monday, around the last Sunday of March (clocks 02:00 -> 03:00).
        (local(BERLIN, 2026, 3, 29, 23, 30), local(BERLIN, 2026, 3, 23), 1),
        (local(BERLIN, 2026, 3, 30, 0, 30), local(BERLIN, 2026, 3, 30), 2),
        (utc(2026, 3, 29, 21, 59), local(BERLIN, 2026, 3, 23), 1),  # 23:59 CEST on Sunday
        (utc(2026, 3, 29, 22, 0), local(BERLIN, 2026, 3, 30), 2),  # Monday 00:00 CEST
        # ... and the last Sunday of October (03:00 -> 02:00).
        (local(BERLIN, 2026, 10, 25, 2, 30), local(BERLIN, 2026, 10, 19), 2),
        (local(BERLIN, 2026, 10, 26, 0, 0), local(BERLIN, 2026, 10, 26), 1),
    ],
)
def test_week_start_in_berlin(
    moment: datetime, expected_start: datetime, expected_offset_h: int
) -> None:
    start = week_start_for(moment, WeekSettings(time_zone=BERLIN))
    assert start == expected_start
    assert start.utcoffset() == timedelta(hours=expected_offset_h)
    assert (start.hour, start.minute) == (0, 0)


def test_weeks_around_dst_changes_are_167_and_169_hours_long() -> None:
    settings = WeekSettings(time_zone=BERLIN)
    empty = SessionHistory()
    spring = summarize_week(empty, local(BERLIN, 2026, 3, 25), settings)
    autumn = summarize_week(empty, local(BERLIN, 2026, 10, 21), settings)
    assert as_utc(spring.week_end) - as_utc(spring.week_start) == timedelta(hours=167)
    assert as_utc(autumn.week_end) - as_utc(autumn.week_start) == timedelta(hours=169)


def test_sunday_weeks_in_new_york_across_both_dst_changes() -> None:
    settings = WeekSettings(time_zone=NEW_YORK, week_start=SUNDAY)
    # DST starts on Sunday 2026-03-08 at 02:00: that week starts at 00:00 EST.
    start = week_start_for(local(NEW_YORK, 2026, 3, 14, 22), settings)
    assert start == local(NEW_YORK, 2026, 3, 8)
    assert start.utcoffset() == timedelta(hours=-5)
    following = week_start_for(local(NEW_YORK, 2026, 3, 15, 0, 1), settings)
    assert as_utc(following) == utc(2026, 3, 15, 4)
    # DST ends on Sunday 2026-11-01 at 02:00: that week starts at 00:00 EDT.
    start = week_start_for(utc(2026, 11, 8, 4, 59), settings)  # Saturday 23:59 EST
    assert as_utc(start) == utc(2026, 11, 1, 4)
    assert as_utc(week_start_for(utc(2026, 11, 8, 5), settings)) == utc(2026, 11, 8, 5)


def test_a_week_that_starts_inside_a_dst_gap_starts_at_the_first_real_instant() -> None:
    settings = WeekSettings(time_zone=SANTIAGO, week_start=SUNDAY)
    start = week_start_for(local(SANTIAGO, 2026, 9, 9, 12), settings)
    assert as_utc(start) == utc(2026, 9, 6, 4)
    assert (start.hour, start.minute) == (1, 0)
    assert week_start_for(utc(2026, 9, 6, 3, 59), settings) == local(SANTIAGO, 2026, 8, 30)


def test_week_start_in_a_half_hour_zone() -> None:
    settings = WeekSettings(time_zone=KOLKATA, week_start=2)  # weeks from Wednesday
    assert as_utc(week_start_for(utc(2026, 5, 5, 18, 30), settings)) == utc(2026, 5, 5, 18, 30)
    assert as_utc(week_start_for(utc(2026, 5, 5, 18, 29), settings)) == utc(2026, 4, 28, 18, 30)


# -- figures -------------------------------------------------------------------------------


def _history_around_a_week_boundary() -> SessionHistory:
    """Sessions on Sunday night 2026-03-29 (Berlin spring-forward day) and the days around."""
    tracker = long_gap_tracker(BERLIN)
    # Saturday: 5 min forward, 10 min backward.
    walk(
        tracker, local(BERLIN, 2026, 3, 28, 10), phases((FORWARD, 5), (STOPPED, 1), (BACKWARD, 10))
    )
    # Sunday 23:50 to Monday 00:10: 20 minutes backward, split 10/10 at midnight.
    walk(tracker, local(BERLIN, 2026, 3, 29, 23, 50), phases((BACKWARD, 20)), reason=EndReason.PAIN)
    # Tuesday: 4 min backward.
    walk(tracker, local(BERLIN, 2026, 3, 31, 18), phases((BACKWARD, 4)))
    return tracker.history


def test_minutes_follow_the_day_buckets_and_sessions_their_start_date() -> None:
    history = _history_around_a_week_boundary()
    monday_weeks = WeekSettings(time_zone=BERLIN)
    before = summarize_week(history, local(BERLIN, 2026, 3, 29, 23, 59), monday_weeks)
    after = summarize_week(history, local(BERLIN, 2026, 3, 30, 0, 0), monday_weeks)
    assert before.week_start == local(BERLIN, 2026, 3, 23)
    assert after.week_start == local(BERLIN, 2026, 3, 30)
    assert (before.backward_minutes, before.treadmill_minutes) == (20, 25)
    assert (before.retro_sessions, before.pain_stops) == (2, 1)
    assert (after.backward_minutes, after.treadmill_minutes) == (14, 14)
    assert (after.retro_sessions, after.pain_stops) == (1, 0)


def test_changing_the_week_start_recomputes_from_the_same_history() -> None:
    history = _history_around_a_week_boundary()
    sunday_weeks = WeekSettings(time_zone=BERLIN, week_start=SUNDAY)
    saturday_week = summarize_week(history, local(BERLIN, 2026, 3, 28, 12), sunday_weeks)
    sunday_week = summarize_week(history, local(BERLIN, 2026, 3, 29, 12), sunday_weeks)
    assert saturday_week.backward_minutes == 10
    assert saturday_week.retro_sessions == 1
    assert sunday_week.week_start == local(BERLIN, 2026, 3, 29)
    assert sunday_week.backward_minutes == 24
    assert sunday_week.retro_sessions == 2


def test_retro_sessions_need_the_minimum_backward_minutes_even_while_open() -> None:
    tracker = long_gap_tracker(BERLIN)
    walk(
        tracker, local(BERLIN, 2026, 5, 4, 18), phases((BACKWARD, 2.9), (STOPPED, 1), (FORWARD, 30))
    )
    start = local(BERLIN, 2026, 5, 5, 18)
    tracker.begin(start)
    tracker.sample(start, moving=True, direction=BACKWARD)
    settings = WeekSettings(time_zone=BERLIN)
    tracker.sample(start + 2 * MINUTE, moving=True, direction=BACKWARD)
    assert summarize_week(tracker.history, start, settings).retro_sessions == 0
    tracker.sample(start + 3 * MINUTE, moving=True, direction=BACKWARD)
    summary = summarize_week(tracker.history, start, settings)
    assert summary.retro_sessions == 1
    assert summary.treadmill_minutes == pytest.approx(2.9 + 30 + 3)
    lowered = WeekSettings(time_zone=BERLIN, min_backward_minutes_for_session=2.5)
    assert summarize_week(tracker.history, start, lowered).retro_sessions == 2


def _sessions(backward_minutes: list[float], first: datetime) -> SessionHistory:
    tracker = long_gap_tracker(BERLIN)
    for index, minutes in enumerate(backward_minutes):
        walk(tracker, first + timedelta(days=index), phases((BACKWARD, minutes)))
    return tracker.history


@pytest.mark.parametrize(
    ("goal_sessions", "goal_minutes", "backward_minutes", "progress", "met"),
    [
        (3, None, [10, 10], 200 / 3, False),
        (3, None, [10, 10, 10], 100, True),
        (3, None, [10, 10, 10, 10], 100, True),  # capped
        (None, 30, [10, 10], 200 / 3, False),
        (None, 30, [10, 10, 10], 100, True),
        (None, 30, [20, 20], 100, True),
        (3, 45, [20, 20, 20], 100, True),
        (3, 45, [20, 20], 200 / 3, False),  # minutes met, sessions not
        (3, 45, [5, 5, 5, 5], 20 / 45 * 100, False),  # sessions met, minutes not
        (2, None, [], 0, False),
    ],
)
def test_goal_progress_and_goal_met(
    goal_sessions: int | None,
    goal_minutes: float | None,
    backward_minutes: list[float],
    progress: float,
    met: bool,
) -> None:
    history = _sessions(backward_minutes, local(BERLIN, 2026, 5, 4, 18))
    settings = WeekSettings(
        time_zone=BERLIN, goal_sessions=goal_sessions, goal_minutes=goal_minutes
    )
    summary = summarize_week(history, local(BERLIN, 2026, 5, 10, 23), settings)
    assert summary.goal_progress_pct == pytest.approx(progress)
    assert summary.goal_met is met


def test_weeks_in_a_row() -> None:
    tracker = long_gap_tracker(BERLIN)
    monday = local(BERLIN, 2026, 3, 2, 18)
    # Goal met in the weeks of 2 March (missed), 9, 16, 23 March (met), 30 March (running).
    weekly_sessions = [2, 3, 3, 4, 0]
    for week, count in enumerate(weekly_sessions):
        for day in range(count):
            walk(tracker, monday + week * ONE_WEEK + timedelta(days=2 * day), phases((BACKWARD, 5)))
    settings = WeekSettings(time_zone=BERLIN)
    running_week = monday + 4 * ONE_WEEK
    # The running week has not met the goal yet: it neither counts nor breaks the streak.
    assert weeks_in_a_row_goal_met(tracker.history, running_week, settings) == 3
    for day in range(3):
        walk(tracker, running_week + timedelta(days=day, hours=1), phases((BACKWARD, 5)))
    assert weeks_in_a_row_goal_met(tracker.history, running_week + timedelta(days=3), settings) == 4
    # A week later with nothing done yet, the streak still shows; a week after that, it is gone.
    assert weeks_in_a_row_goal_met(tracker.history, running_week + ONE_WEEK, settings) == 4
    assert weeks_in_a_row_goal_met(tracker.history, running_week + 2 * ONE_WEEK, settings) == 0
    assert weeks_in_a_row_goal_met(SessionHistory(), running_week, settings) == 0


def test_last_retro_session_skips_sessions_too_short_to_count() -> None:
    settings = WeekSettings(time_zone=BERLIN)
    assert last_retro_session(SessionHistory(), settings) is None
    history = _sessions([5, 4, 2], local(BERLIN, 2026, 5, 4, 18))
    last = last_retro_session(history, settings)
    assert last is not None
    assert last.start == local(BERLIN, 2026, 5, 5, 18)


def test_total_backward_distance_includes_pruned_sessions() -> None:
    tracker = long_gap_tracker(BERLIN)
    start = local(BERLIN, 2026, 5, 4, 18)
    tracker.begin(start)
    tracker.sample(start, moving=True, direction=BACKWARD, total_distance_m=10)
    tracker.sample(start + MINUTE, moving=True, direction=FORWARD, total_distance_m=50)
    tracker.sample(start + 2 * MINUTE, moving=True, direction=FORWARD, total_distance_m=90)
    tracker.end(start + 2 * MINUTE, EndReason.USER)
    history = SessionHistory(sessions=tracker.history.sessions, pruned_backward_distance_m=1000.0)
    assert total_backward_distance_m(history) == 1040


def test_summary_times_are_in_the_settings_zone() -> None:
    summary = summarize_week(SessionHistory(), utc(2026, 5, 6), WeekSettings(time_zone=NEW_YORK))
    assert summary.week_start.tzinfo is NEW_YORK
    assert summary.week_start.astimezone(UTC) == utc(2026, 5, 4, 4)

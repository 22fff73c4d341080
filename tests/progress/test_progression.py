"""Progression: suggested backward minutes for a table of histories, and its invariants."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
import itertools

from hypothesis import given, settings as hypothesis_settings, strategies as st
import pytest

from custom_components.retrowalk.progress.model import EndReason, SessionHistory
from custom_components.retrowalk.progress.progression import (
    DEFAULT_MAXIMUM_MINUTES,
    DEFAULT_MINIMUM_MINUTES,
    ProgressionRule,
    round_down_minutes,
    suggest_next_backward,
)
from custom_components.retrowalk.progress.tracker import SessionTracker
from custom_components.retrowalk.progress.weekly import WeekSettings, summarize_week

from ..examples_budget import examples
from .builders import BACKWARD, BERLIN, ONE_WEEK, local, long_gap_tracker, phases, walk

FIN, USER, PAIN = EndReason.FINISHED, EndReason.USER, EndReason.PAIN
SAFETY, INTERRUPTED = EndReason.SAFETY, EndReason.INTERRUPTED
NOW = local(BERLIN, 2026, 6, 1, 12)  # a Monday: the running week starts today
SETTINGS = WeekSettings(time_zone=BERLIN)

SessionSpec = float | tuple[float, EndReason]


def _spec(item: SessionSpec) -> tuple[float, EndReason]:
    return item if isinstance(item, tuple) else (item, FIN)


def _history(
    weeks: list[list[SessionSpec]], this_week: Sequence[SessionSpec] = ()
) -> SessionHistory:
    """Completed weeks oldest first (the last one is last week), then sessions of today."""
    tracker = long_gap_tracker(BERLIN)
    first_monday = local(BERLIN, 2026, 6, 1, 18) - len(weeks) * ONE_WEEK
    for index, week in enumerate(weeks):
        for day, item in enumerate(week):
            minutes, reason = _spec(item)
            start = first_monday + index * ONE_WEEK + timedelta(days=day)
            walk(tracker, start, phases((BACKWARD, minutes)), reason=reason)
    for hour, item in enumerate(this_week):
        minutes, reason = _spec(item)
        walk(
            tracker, local(BERLIN, 2026, 6, 1, 6 + hour), phases((BACKWARD, minutes)), reason=reason
        )
    return tracker.history


@pytest.mark.parametrize(
    ("base", "weeks", "this_week", "minutes", "rule"),
    [
        pytest.param(10, [], [], 10.0, ProgressionRule.START, id="no-history"),
        pytest.param(10, [], [10, 10, 10], 10.0, ProgressionRule.START, id="first-week-running"),
        pytest.param(10, [[10, 10, 10]], [], 11.0, ProgressionRule.GROW, id="goal-met"),
        pytest.param(10, [[10, 10]], [], 10.0, ProgressionRule.HOLD, id="goal-missed"),
        pytest.param(10, [[10, 10, 10], [], [], []], [], 11.0, ProgressionRule.HOLD, id="break"),
        pytest.param(
            10, [[10, 10, (4, PAIN)]], [], 10.0, ProgressionRule.HOLD_AFTER_PAIN, id="pain-stop"
        ),
        pytest.param(
            10,
            [[10, (4, PAIN), (4, PAIN)]],
            [],
            9.0,
            ProgressionRule.STEP_BACK_AFTER_PAIN,
            id="two-pain-stops-in-a-week",
        ),
        pytest.param(
            10,
            [[10, 10, (4, PAIN)], [10, 10, (5, PAIN)]],
            [],
            9.0,
            ProgressionRule.STEP_BACK_AFTER_PAIN,
            id="pain-stops-in-consecutive-weeks",
        ),
        pytest.param(
            10,
            [[10, 10, (4, PAIN)], [10, 10, 10]],
            [],
            11.0,
            ProgressionRule.GROW,
            id="pain-free-week-after-a-pain-stop",
        ),
        pytest.param(
            10,
            [[20, 20, 20], [20, 20, 20]],
            [],
            12.0,  # 10 -> 11 -> 12.1, rounded down; never the 20 walked, never over 13
            ProgressionRule.GROW,
            id="30-percent-in-two-weeks",
        ),
        pytest.param(
            5,
            [[30, 30, 30]] * 4,
            [],
            7.0,  # 5 -> 5.5 -> 6.05 -> 6.655 -> 7.15, each rounded down to half minutes
            ProgressionRule.GROW,
            id="four-weeks-of-growth",
        ),
        pytest.param(10, [[5, 5, 5]], [], 5.5, ProgressionRule.GROW, id="plan-follows-shorter"),
        pytest.param(10, [[6, 6]], [], 6.0, ProgressionRule.HOLD, id="missed-with-shorter"),
        pytest.param(
            10,
            [[(6, USER), (6, USER), 10]],
            [],
            6.5,  # median 6 -> 6.6 -> 6.5
            ProgressionRule.GROW,
            id="stopped-early-by-the-person",
        ),
        pytest.param(
            10,
            [[10, 10, 10, (4, SAFETY), (4, INTERRUPTED)]],
            [],
            11.0,
            ProgressionRule.GROW,
            id="cut-short-sessions-do-not-set-the-anchor",
        ),
        pytest.param(2, [[30, 30, 30]], [], 2.2, ProgressionRule.GROW, id="small-steps"),
        pytest.param(30, [[40, 40, 40]], [], 30.0, ProgressionRule.GROW, id="ceiling"),
        pytest.param(
            1,
            [[(3, PAIN), (3, PAIN)]],
            [],
            1.0,
            ProgressionRule.STEP_BACK_AFTER_PAIN,
            id="floor",
        ),
        pytest.param(
            10,
            [[10, 10, 10]],
            [(4, PAIN), (4, PAIN)],
            9.5,  # 11 * 0.9 = 9.9, at once
            ProgressionRule.STEP_BACK_AFTER_PAIN,
            id="two-pain-stops-this-week",
        ),
        pytest.param(
            10,
            [[10, 10, 10]],
            [(4, PAIN)],
            11.0,
            ProgressionRule.HOLD_AFTER_PAIN,
            id="one-pain-stop-this-week-holds",
        ),
        pytest.param(
            10,
            [[10, 10, (4, PAIN)]],
            [(4, PAIN)],
            9.0,
            ProgressionRule.STEP_BACK_AFTER_PAIN,
            id="pain-stop-this-week-after-one-last-week",
        ),
    ],
)
def test_suggestions(
    base: float,
    weeks: list[list[SessionSpec]],
    this_week: list[SessionSpec],
    minutes: float,
    rule: ProgressionRule,
) -> None:
    history = _history(weeks, this_week)
    suggestion = suggest_next_backward(history, NOW, SETTINGS, base)
    assert (suggestion.minutes, suggestion.rule) == (minutes, rule)
    assert suggestion.week_start == local(BERLIN, 2026, 6, 1)
    assert suggest_next_backward(history, NOW, SETTINGS, base).minutes == minutes


def test_a_minutes_goal_drives_growth_too() -> None:
    minutes_goal = WeekSettings(time_zone=BERLIN, goal_sessions=None, goal_minutes=30)
    assert suggest_next_backward(_history([[10, 10, 10]]), NOW, minutes_goal, 10).minutes == 11
    assert suggest_next_backward(_history([[10, 10]]), NOW, minutes_goal, 10).minutes == 10


def test_bounds_are_options() -> None:
    history = _history([[30, 30, 30]])
    assert suggest_next_backward(history, NOW, SETTINGS, 20, maximum_minutes=21.5).minutes == 21.5
    assert (
        suggest_next_backward(SessionHistory(), NOW, SETTINGS, 0.2, minimum_minutes=2).minutes == 2
    )
    with pytest.raises(ValueError, match="minimum"):
        suggest_next_backward(history, NOW, SETTINGS, 10, minimum_minutes=0)
    with pytest.raises(ValueError, match="minimum"):
        suggest_next_backward(history, NOW, SETTINGS, 10, minimum_minutes=5, maximum_minutes=4)


@pytest.mark.parametrize(
    ("minutes", "rounded"),
    [
        (1.1 * 5, 5.5),
        (1.1 * 5.5, 6.0),
        (7.15, 7.0),
        (12.74, 12.5),
        (4.99, 4.9),
        (2.3, 2.3),
        (1.1 * 1.0, 1.1),
        (0.95, 0.9),
        (5.0, 5.0),
    ],
)
def test_round_down_minutes(minutes: float, rounded: float) -> None:
    assert round_down_minutes(minutes) == rounded


# -- invariants over random histories ------------------------------------------------------

week_strategy = st.lists(
    st.tuples(
        st.integers(min_value=1, max_value=40),
        st.sampled_from([FIN, FIN, FIN, USER, PAIN, SAFETY, INTERRUPTED]),
    ),
    max_size=5,
)


def _timeline(weeks: list[list[tuple[int, EndReason]]]) -> tuple[SessionHistory, list[datetime]]:
    tracker: SessionTracker = long_gap_tracker(BERLIN)
    first_monday = local(BERLIN, 2026, 2, 2)
    for index, week in enumerate(weeks):
        for day, (minutes, reason) in enumerate(week):
            start = first_monday + index * ONE_WEEK + timedelta(days=day, hours=18)
            walk(tracker, start, phases((BACKWARD, minutes)), reason=reason)
    week_starts = [first_monday + index * ONE_WEEK for index in range(len(weeks) + 1)]
    return tracker.history, week_starts


def _known_at(history: SessionHistory, moment: datetime) -> SessionHistory:
    """The history as the tracker knew it at ``moment``."""
    return SessionHistory(
        sessions=tuple(s for s in history.sessions if s.end is not None and s.end <= moment)
    )


@hypothesis_settings(max_examples=examples(60), deadline=None)
@given(
    weeks=st.lists(week_strategy, min_size=1, max_size=9),
    base=st.sampled_from([2.0, 5.0, 10.0, 20.0]),
)
def test_the_plan_never_grows_more_than_the_rules_allow(
    weeks: list[list[tuple[int, EndReason]]], base: float
) -> None:
    history, week_starts = _timeline(weeks)
    suggestions = [
        suggest_next_backward(_known_at(history, start), start, SETTINGS, base).minutes
        for start in week_starts
    ]
    for index, minutes in enumerate(suggestions):
        assert DEFAULT_MINIMUM_MINUTES <= minutes <= DEFAULT_MAXIMUM_MINUTES
        assert round_down_minutes(minutes) == minutes
        if index >= 1:
            previous = suggestions[index - 1]
            assert minutes <= previous * 1.1 + 1e-9
            if minutes > previous:
                last_week = summarize_week(history, week_starts[index - 1], SETTINGS)
                assert last_week.goal_met
                assert last_week.pain_stops == 0
        if index >= 2:
            assert minutes <= suggestions[index - 2] * 1.3 + 1e-9


@hypothesis_settings(max_examples=examples(60), deadline=None)
@given(
    weeks=st.lists(week_strategy, min_size=1, max_size=8),
    base=st.sampled_from([2.0, 5.0, 10.0, 20.0]),
)
def test_a_painful_session_is_not_followed_by_a_harder_one(
    weeks: list[list[tuple[int, EndReason]]], base: float
) -> None:
    history, _ = _timeline(weeks)
    sessions = history.sessions
    for painful, following in itertools.pairwise(sessions):
        if not painful.is_pain:
            continue
        before = suggest_next_backward(
            _known_at(history, painful.start), painful.start, SETTINGS, base
        ).minutes
        after = suggest_next_backward(
            _known_at(history, following.start), following.start, SETTINGS, base
        ).minutes
        assert after <= before

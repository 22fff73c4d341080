"""Suggested backward minutes for the next session, following the progression rules.

The rules (shared/retro-walking.md): the backward duration grows by 10 % after a week in which
the weekly goal was met with no pain stop; it holds after a week with a pain stop and steps back
10 % after two; never more than 30 % over two weeks; a painful session is not followed by a
harder one.

How they are applied, where the text leaves room:

- The plan is a weekly target, folded week by week over the retained history. It starts at the
  level's default backward minutes (``base_minutes``) in the week of the oldest session.
- The plan never runs ahead of the person: each completed week's anchor is the smaller of the
  plan and the typical (median) backward minutes of that week's retro sessions that ended
  normally (finished, or stopped by the person). Sessions cut short by pain, safety or a restart
  say little about what the person manages, so they do not set the anchor.
- From the anchor: a week with two or more pain stops, or with a pain stop after a week that
  also had one, steps back 10 %; a week with one pain stop holds; a week that met the goal
  grows 10 %; any other week (goal missed, or no sessions at all) holds.
- The same pain rule also applies within the running week, at once: a second pain stop (or a
  first one after a week that had one) steps back 10 % without waiting for the week to end. A
  lone pain stop in the running week changes nothing, because the target is fixed for the
  week. Either way the next session is never harder than the painful one.
- Growth is at most 10 % a week on the plan, so two weeks grow at most 21 %, inside the 30 %
  limit; rounding is always down, so it never breaks either limit.
- Targets are rounded down to half minutes from 5 minutes on (where 10 % is at least half a
  minute, so rounding never blocks growth) and to 0.1 minute below, and kept between
  ``minimum_minutes`` (1, the shortest useful bout) and ``maximum_minutes``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
import math
import statistics
from typing import TYPE_CHECKING

from .local_days import DAYS_PER_WEEK, start_of_day
from .model import EndReason
from .weekly import first_day_of_week, sessions_started_in_week, summarize_week

if TYPE_CHECKING:
    from .model import SessionHistory
    from .weekly import WeekSettings

GROWTH_FACTOR = 1.1
STEP_BACK_FACTOR = 0.9
DEFAULT_MINIMUM_MINUTES = 1.0
DEFAULT_MAXIMUM_MINUTES = 30.0
"""The advanced program's 20 minutes with room to grow, inside the 45-minute session limit."""

_HALF_MINUTE_FROM = 5.0
_NORMAL_ENDINGS = frozenset({EndReason.FINISHED, EndReason.USER})


class ProgressionRule(StrEnum):
    """The rule that produced a suggestion."""

    START = "start"
    """No completed week yet: the level's default."""
    GROW = "grow"
    """Last week met the goal without a pain stop: +10 %."""
    HOLD = "hold"
    """Last week missed the goal (or had no sessions)."""
    HOLD_AFTER_PAIN = "hold_after_pain"
    """One pain stop: no growth."""
    STEP_BACK_AFTER_PAIN = "step_back_after_pain"
    """Two pain stops (in a week, or in consecutive weeks): -10 %."""


@dataclass(frozen=True, slots=True)
class BackwardSuggestion:
    """Suggested backward minutes for the next session and why."""

    minutes: float
    rule: ProgressionRule
    week_start: datetime
    """Start of the week the suggestion belongs to."""


def suggest_next_backward(
    history: SessionHistory,
    now: datetime,
    settings: WeekSettings,
    base_minutes: float,
    *,
    minimum_minutes: float = DEFAULT_MINIMUM_MINUTES,
    maximum_minutes: float = DEFAULT_MAXIMUM_MINUTES,
) -> BackwardSuggestion:
    """Return the suggestion for the next session together with the rule that set it.

    ``history`` is the history as known at ``now`` (the tracker's). ``base_minutes`` is the
    backward part of the person's level (5, 10 or 20 minutes by default).
    """
    if not 0 < minimum_minutes <= maximum_minutes:
        msg = f"need 0 < minimum ({minimum_minutes}) <= maximum ({maximum_minutes}) minutes"
        raise ValueError(msg)

    def bounded(minutes: float) -> float:
        return round_down_minutes(min(max(minutes, minimum_minutes), maximum_minutes))

    current_week = first_day_of_week(now, settings)
    target = bounded(base_minutes)
    rule = ProgressionRule.START
    previous_pain_stops = 0
    if history.sessions:
        week = first_day_of_week(history.sessions[0].start, settings)
        while week < current_week:
            summary = summarize_week(history, start_of_day(week, settings.time_zone), settings)
            typical = _typical_minutes(history, week, settings)
            anchor = target if typical is None else min(target, typical)
            if summary.pain_stops >= 2 or (summary.pain_stops and previous_pain_stops):
                rule, target = ProgressionRule.STEP_BACK_AFTER_PAIN, anchor * STEP_BACK_FACTOR
            elif summary.pain_stops:
                rule, target = ProgressionRule.HOLD_AFTER_PAIN, anchor
            elif summary.goal_met:
                rule, target = ProgressionRule.GROW, anchor * GROWTH_FACTOR
            else:
                rule, target = ProgressionRule.HOLD, anchor
            target = bounded(target)
            previous_pain_stops = summary.pain_stops
            week += timedelta(days=DAYS_PER_WEEK)

    pain_stops_this_week = summarize_week(history, now, settings).pain_stops
    if pain_stops_this_week >= 2 or (pain_stops_this_week and previous_pain_stops):
        rule, target = ProgressionRule.STEP_BACK_AFTER_PAIN, bounded(target * STEP_BACK_FACTOR)
    elif pain_stops_this_week:
        rule = ProgressionRule.HOLD_AFTER_PAIN
    return BackwardSuggestion(target, rule, start_of_day(current_week, settings.time_zone))


def round_down_minutes(minutes: float) -> float:
    """Round down to 0.5 minute from 5 minutes on, to 0.1 minute below.

    Always down, so a rounded suggestion never exceeds what the rules allow. The tiny epsilon
    keeps binary noise (1.1 * 5 = 5.500000000000001, 2.3 / 0.1 = 22.999999999999996) from
    dropping a whole step.
    """
    step = 0.5 if minutes >= _HALF_MINUTE_FROM else 0.1
    return round(math.floor(minutes / step + 1e-9) * step, 1)


def _typical_minutes(
    history: SessionHistory, first_day: date, settings: WeekSettings
) -> float | None:
    """Median backward minutes of the week's normally ended retro sessions, if any."""
    minutes = [
        session.backward_minutes
        for session in sessions_started_in_week(history, first_day, settings)
        if session.ended_by in _NORMAL_ENDINGS and settings.counts_as_retro_session(session)
    ]
    return statistics.median(minutes) if minutes else None

"""Session history, weekly figures and progression for retro walking.

Pure Python: no Home Assistant imports; time and time zone are always passed in. The Home
Assistant layer owns a :class:`SessionTracker`, persists its :meth:`~SessionTracker.snapshot`
in a Store and shows the figures of :mod:`.weekly` and :mod:`.progression` as sensors.
"""

from .model import (
    SNAPSHOT_VERSION,
    DayBucket,
    Direction,
    EndReason,
    SessionHistory,
    SessionRecord,
)
from .progression import (
    BackwardSuggestion,
    ProgressionRule,
    round_down_minutes,
    suggest_next_backward,
)
from .tracker import DEFAULT_RESUME_WINDOW, DEFAULT_RETENTION, SessionStateError, SessionTracker
from .weekly import (
    WeeklySummary,
    WeekSettings,
    first_day_of_week,
    last_retro_session,
    sessions_started_in_week,
    summarize_week,
    total_backward_distance_m,
    week_start_for,
    weeks_in_a_row_goal_met,
)

__all__ = [
    "DEFAULT_RESUME_WINDOW",
    "DEFAULT_RETENTION",
    "SNAPSHOT_VERSION",
    "BackwardSuggestion",
    "DayBucket",
    "Direction",
    "EndReason",
    "ProgressionRule",
    "SessionHistory",
    "SessionRecord",
    "SessionStateError",
    "SessionTracker",
    "WeekSettings",
    "WeeklySummary",
    "first_day_of_week",
    "last_retro_session",
    "round_down_minutes",
    "sessions_started_in_week",
    "suggest_next_backward",
    "summarize_week",
    "total_backward_distance_m",
    "week_start_for",
    "weeks_in_a_row_goal_met",
]

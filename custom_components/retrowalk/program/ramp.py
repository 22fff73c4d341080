"""Ramp settings and the arithmetic of one ramp step.

A ramp follows an ideal, unrounded position that moves by exactly one step per tick; the value
sent is that position on the device's grid. So a 0.1 mph (0.161 km/h) step on a 0.1 km/h grid
keeps its average rate instead of becoming 0.2 km/h every tick.
"""

from collections.abc import Callable
from dataclasses import dataclass
import math
from typing import Final

from .errors import ErrorCode, LimitError
from .limits import KMH_PER_MPH, MAX_SPEED_STEP_KMH, Rounding, require_finite

MAX_INCLINE_STEP_PCT: Final = 1.0
MIN_RAMP_INTERVAL_S: Final = 1.0
_EPSILON: Final = 1e-9


def _check_step(setting: str, value: float, maximum: float) -> None:
    require_finite(setting, value)
    if value <= 0 or value > maximum + _EPSILON:
        raise LimitError(
            ErrorCode.RAMP_STEP_OUT_OF_RANGE, setting=setting, value=value, maximum=maximum
        )


def _check_interval(setting: str, value: float) -> None:
    require_finite(setting, value)
    if value < MIN_RAMP_INTERVAL_S:
        raise LimitError(
            ErrorCode.RAMP_INTERVAL_TOO_SHORT,
            setting=setting,
            value=value,
            minimum=MIN_RAMP_INTERVAL_S,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class RampSettings:
    """How fast programs change speed and incline: one step per interval."""

    speed_step_kmh: float = 0.1
    speed_interval_s: float = 2.0
    incline_step_pct: float = 0.5
    incline_interval_s: float = 5.0

    def __post_init__(self) -> None:
        """Reject steps above the largest allowed jump and intervals under a second."""
        _check_step("speed_step_kmh", self.speed_step_kmh, MAX_SPEED_STEP_KMH)
        _check_step("incline_step_pct", self.incline_step_pct, MAX_INCLINE_STEP_PCT)
        _check_interval("speed_interval_s", self.speed_interval_s)
        _check_interval("incline_interval_s", self.incline_interval_s)

    @classmethod
    def for_mph(cls) -> RampSettings:
        """Return the settings for people who think in mph: 0.1 mph every 2 s."""
        return cls(speed_step_kmh=0.1 * KMH_PER_MPH)


Snap = Callable[[float, Rounding], float]
"""Put a value on the device grid within the allowed bounds, rounding as asked."""


@dataclass(frozen=True, slots=True)
class RampStep:
    """The outcome of one tick: the new ideal position and the value to send."""

    ideal: float
    value: float


def ramp_step(
    *,
    current: float,
    ideal: float,
    goal: float,
    step: float,
    snap: Snap,
    max_jump: float | None = None,
    lag_tolerance: float = 0.0,
) -> RampStep:
    """Advance a ramp from ``current`` toward ``goal`` by one tick.

    ``value`` equals ``current`` when the grid is coarser than the step and the ideal position
    has not yet reached the next grid value: that tick sends nothing. ``value`` never passes
    ``goal`` and never moves more than ``max_jump`` away from ``current``. Rounding to the
    nearest grid value leaves the ideal up to half an increment behind the value sent; pass
    that as ``lag_tolerance`` so the ramp keeps its average rate.
    """
    if math.isclose(current, goal, abs_tol=_EPSILON):
        return RampStep(ideal=goal, value=goal)
    sign = 1.0 if goal > current else -1.0
    # The ideal position restarts from the current value when something else (a new goal on
    # the other side, a value set by hand) has left it off the way to the goal.
    if (ideal - current) * sign < -(lag_tolerance + _EPSILON) or (goal - ideal) * sign < 0:
        ideal = current
    ideal = min(ideal + step, goal) if sign > 0 else max(ideal - step, goal)
    value = snap(ideal, Rounding.NEAREST)
    if max_jump is not None and abs(value - current) > max_jump + _EPSILON:
        value = snap(current + sign * max_jump, Rounding.DOWN if sign > 0 else Rounding.UP)
    if (value - current) * sign < 0:
        value = current
    if (value - goal) * sign > 0:
        value = goal
    if (
        math.isclose(ideal, goal, abs_tol=_EPSILON)
        and math.isclose(value, current, abs_tol=_EPSILON)
        and (max_jump is None or abs(goal - current) <= max_jump + _EPSILON)
    ):
        # The ideal has arrived but the grid leaves the value where it was (the current value
        # sits off the grid): finish on the goal rather than tick forever.
        value = goal
    return RampStep(ideal=ideal, value=value)

"""What a program is made of: segments of walking in one direction, and turnarounds between.

A :class:`Plan` checks its own shape (a turnaround at every change of direction and nowhere
else); the builders in :mod:`.builders` check the numbers against the safety limits.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
import math

from .errors import ErrorCode, PlanError
from .levels import Level


class WalkingDirection(StrEnum):
    """Which way the person faces on the belt."""

    FORWARD = "forward"
    BACKWARD = "backward"


class Phase(StrEnum):
    """The phases of a program; the first and the last two are states of the runner only."""

    PRE_WORKOUT = "pre_workout"
    WARM_UP = "warm_up"
    TURNAROUND = "turnaround"
    BACKWARD = "backward"
    RECOVERY = "recovery"
    COOL_DOWN = "cool_down"
    FINISHED = "finished"
    ABORTED = "aborted"


FORWARD_PHASES = frozenset({Phase.WARM_UP, Phase.RECOVERY, Phase.COOL_DOWN})
MOVING_PHASES = FORWARD_PHASES | {Phase.BACKWARD}
TERMINAL_PHASES = frozenset({Phase.FINISHED, Phase.ABORTED})


@dataclass(frozen=True, slots=True, kw_only=True)
class Segment:
    """One part of a plan.

    A moving segment walks in ``direction`` for ``duration_s`` at ``target_speed_kmh``; its
    ``target_incline_pct`` is added once the speed has been held for ``incline_after_s``. A
    turnaround has no duration or speed: the belt stops and the runner waits for the person;
    its ``direction`` is the one the person turns to.
    """

    phase: Phase
    direction: WalkingDirection
    duration_s: float = 0.0
    target_speed_kmh: float = 0.0
    target_incline_pct: float = 0.0
    incline_after_s: float = 0.0

    @property
    def is_turnaround(self) -> bool:
        """Whether the belt stands still for a change of direction."""
        return self.phase is Phase.TURNAROUND

    def to_dict(self) -> dict[str, str | float]:
        """Return the segment as plain data, e.g. for a service response."""
        return {
            "phase": self.phase.value,
            "direction": self.direction.value,
            "duration_s": self.duration_s,
            "target_speed_kmh": self.target_speed_kmh,
            "target_incline_pct": self.target_incline_pct,
            "incline_after_s": self.incline_after_s,
        }


def _check_moving_segment(number: int, segment: Segment) -> None:
    for field in ("duration_s", "target_speed_kmh", "target_incline_pct", "incline_after_s"):
        value = getattr(segment, field)
        if not math.isfinite(value):
            raise PlanError(ErrorCode.INVALID_NUMBER, field=field, value=value)
    is_backward = segment.direction is WalkingDirection.BACKWARD
    if (segment.phase is Phase.BACKWARD) is not is_backward or segment.phase not in MOVING_PHASES:
        raise PlanError(
            ErrorCode.INVALID_PHASE,
            segment=number,
            phase=segment.phase.value,
            direction=segment.direction.value,
        )
    if segment.duration_s <= 0:
        raise PlanError(
            ErrorCode.DURATION_TOO_SHORT,
            segment=number,
            phase=segment.phase.value,
            duration_s=segment.duration_s,
            minimum_s=0,
        )
    if segment.target_speed_kmh <= 0:
        raise PlanError(
            ErrorCode.SPEED_NOT_POSITIVE,
            segment=number,
            phase=segment.phase.value,
            speed=segment.target_speed_kmh,
        )
    if segment.incline_after_s < 0:
        raise PlanError(
            ErrorCode.INCLINE_DELAY_NEGATIVE,
            segment=number,
            phase=segment.phase.value,
            delay_s=segment.incline_after_s,
        )


def _check_turnaround(
    number: int, before: Segment | None, turn: Segment, after: Segment | None
) -> None:
    if (
        before is None
        or after is None
        or before.is_turnaround
        or after.is_turnaround
        or before.direction is after.direction
        or turn.direction is not after.direction
    ):
        raise PlanError(ErrorCode.MISPLACED_TURNAROUND, segment=number)


@dataclass(frozen=True, slots=True)
class Plan:
    """An ordered, validated sequence of segments.

    The shape rules: at least one backward segment; a turnaround between every two moving
    segments of different directions and nowhere else; phases that match the direction.
    """

    segments: tuple[Segment, ...]
    level: Level | None = None

    def __post_init__(self) -> None:
        """Check the shape of the plan."""
        if not self.segments:
            raise PlanError(ErrorCode.EMPTY_PLAN)
        previous_moving: Segment | None = None
        for index, segment in enumerate(self.segments):
            number = index + 1
            if segment.is_turnaround:
                before = self.segments[index - 1] if index > 0 else None
                after = self.segments[index + 1] if number < len(self.segments) else None
                _check_turnaround(number, before, segment, after)
                continue
            _check_moving_segment(number, segment)
            if (
                previous_moving is not None
                and previous_moving.direction is not segment.direction
                and not self.segments[index - 1].is_turnaround
            ):
                raise PlanError(ErrorCode.MISSING_TURNAROUND, segment=number)
            previous_moving = segment
        if not any(s.direction is WalkingDirection.BACKWARD for s in self.moving_segments()):
            raise PlanError(ErrorCode.NO_BACKWARD_SEGMENT)

    def moving_segments(self) -> Iterator[Segment]:
        """Yield the segments in which the belt moves."""
        return (segment for segment in self.segments if not segment.is_turnaround)

    @property
    def total_duration_s(self) -> float:
        """The walking time: all moving segments, without the waits at turnarounds."""
        return sum(segment.duration_s for segment in self.moving_segments())

    @property
    def backward_duration_s(self) -> float:
        """The time walking backward."""
        return sum(
            segment.duration_s
            for segment in self.moving_segments()
            if segment.direction is WalkingDirection.BACKWARD
        )

    @property
    def backward_minutes(self) -> float:
        """The time walking backward, in minutes."""
        return self.backward_duration_s / 60.0

    @property
    def turnaround_count(self) -> int:
        """How many times the person turns around."""
        return sum(1 for segment in self.segments if segment.is_turnaround)

    def duration_after(self, index: int) -> float:
        """The walking time of the segments after ``index``."""
        return sum(
            segment.duration_s
            for segment in self.segments[index + 1 :]
            if not segment.is_turnaround
        )

    def to_dict(self) -> dict[str, object]:
        """Return the plan as plain data, e.g. for a service response."""
        return {
            "level": self.level.value if self.level is not None else None,
            "total_duration_s": self.total_duration_s,
            "backward_duration_s": self.backward_duration_s,
            "backward_minutes": self.backward_minutes,
            "turnarounds": self.turnaround_count,
            "segments": [segment.to_dict() for segment in self.segments],
        }

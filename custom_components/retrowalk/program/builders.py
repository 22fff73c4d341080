"""Build plans from a level, from explicit parameters, or from a list of segments.

Every builder checks the numbers against the safety limits and fits every target to the
treadmill's range and increment. Turnarounds are always inserted by the builder between two
segments of different directions; a caller never lists them (see :class:`SegmentSpec`).
"""

from collections.abc import Sequence
from dataclasses import dataclass
import math
from typing import Final

from .errors import ErrorCode, PlanError
from .levels import INCLINE_AFTER_S, LEVEL_PROGRAMS, Level
from .limits import DEFAULT_LIMITS, DeviceLimits, SafetyLimits, check_device
from .plan import Phase, Plan, Segment, WalkingDirection

MIN_SEGMENT_S: Final = 30.0
"""Shorter segments would be mostly ramps and belt starts."""

_LIMIT_TOLERANCE: Final = 1e-9


@dataclass(frozen=True, slots=True, kw_only=True)
class SegmentSpec:
    """A moving segment as a caller describes it; its phase follows from its position.

    Forward segments before the first backward one are the warm-up, those after the last
    backward one the cool-down, and those in between recovery.
    """

    direction: WalkingDirection
    duration_s: float
    target_speed_kmh: float
    target_incline_pct: float = 0.0
    incline_after_s: float = 0.0


def _phases(specs: Sequence[SegmentSpec]) -> list[Phase]:
    backward = [i for i, spec in enumerate(specs) if spec.direction is WalkingDirection.BACKWARD]
    if not backward:
        raise PlanError(ErrorCode.NO_BACKWARD_SEGMENT)
    phases: list[Phase] = []
    for index, spec in enumerate(specs):
        if spec.direction is WalkingDirection.BACKWARD:
            phases.append(Phase.BACKWARD)
        elif index < backward[0]:
            phases.append(Phase.WARM_UP)
        elif index > backward[-1]:
            phases.append(Phase.COOL_DOWN)
        else:
            phases.append(Phase.RECOVERY)
    return phases


def _check_spec(number: int, phase: Phase, spec: SegmentSpec, limits: SafetyLimits) -> None:
    for field in ("duration_s", "target_speed_kmh", "target_incline_pct", "incline_after_s"):
        value = getattr(spec, field)
        if not math.isfinite(value):
            raise PlanError(ErrorCode.INVALID_NUMBER, field=field, value=value)
    where = {"segment": number, "phase": phase.value}
    if spec.duration_s < MIN_SEGMENT_S:
        raise PlanError(
            ErrorCode.DURATION_TOO_SHORT,
            **where,
            duration_s=spec.duration_s,
            minimum_s=MIN_SEGMENT_S,
        )
    speed = spec.target_speed_kmh
    if speed <= 0:
        raise PlanError(ErrorCode.SPEED_NOT_POSITIVE, **where, speed=speed)
    speed_limit = limits.speed_limit_kmh(spec.direction)
    if speed > speed_limit + _LIMIT_TOLERANCE:
        code = (
            ErrorCode.TOO_FAST_BACKWARD
            if spec.direction is WalkingDirection.BACKWARD
            else ErrorCode.SPEED_ABOVE_LIMIT
        )
        raise PlanError(code, **where, speed=speed, limit=speed_limit)
    incline = spec.target_incline_pct
    if incline < 0 or incline > limits.incline_pct + _LIMIT_TOLERANCE:
        raise PlanError(
            ErrorCode.INCLINE_OUT_OF_RANGE,
            **where,
            incline=incline,
            minimum=0,
            maximum=limits.incline_pct,
        )
    if spec.incline_after_s < 0:
        raise PlanError(ErrorCode.INCLINE_DELAY_NEGATIVE, **where, delay_s=spec.incline_after_s)


def _fit(phase: Phase, spec: SegmentSpec, limits: SafetyLimits, device: DeviceLimits) -> Segment:
    incline = device.fit_incline(spec.target_incline_pct, limits.incline_pct)
    return Segment(
        phase=phase,
        direction=spec.direction,
        duration_s=float(spec.duration_s),
        target_speed_kmh=device.fit_speed(
            spec.target_speed_kmh, limits.speed_limit_kmh(spec.direction)
        ),
        # A treadmill without incline walks level; the plan says so rather than promise.
        target_incline_pct=incline if incline is not None else 0.0,
        incline_after_s=float(spec.incline_after_s),
    )


def _build(
    specs: Sequence[SegmentSpec],
    *,
    limits: SafetyLimits,
    device: DeviceLimits,
    level: Level | None = None,
) -> Plan:
    check_device(device, limits)
    if not specs:
        raise PlanError(ErrorCode.EMPTY_PLAN)
    phases = _phases(specs)
    segments: list[Segment] = []
    for number, (phase, spec) in enumerate(zip(phases, specs, strict=True), start=1):
        _check_spec(number, phase, spec, limits)
        if segments and segments[-1].direction is not spec.direction:
            segments.append(Segment(phase=Phase.TURNAROUND, direction=spec.direction))
        segments.append(_fit(phase, spec, limits, device))
    plan = Plan(tuple(segments), level)
    if plan.total_duration_s > limits.max_session_s + _LIMIT_TOLERANCE:
        raise PlanError(
            ErrorCode.SESSION_TOO_LONG,
            total_minutes=plan.total_duration_s / 60.0,
            limit_minutes=limits.max_session_s / 60.0,
        )
    return plan


def plan_from_segments(
    specs: Sequence[SegmentSpec],
    *,
    device: DeviceLimits,
    limits: SafetyLimits = DEFAULT_LIMITS,
) -> Plan:
    """Build a plan from the caller's moving segments, inserting the turnarounds.

    Raises :class:`PlanError` for a value beyond the safety limits (rather than lowering it
    silently: the caller asked for that number) and :class:`LimitError` for a treadmill the
    limits cannot be kept on.
    """
    return _build(specs, limits=limits, device=device)


def _optional_forward(minutes: float, speed_kmh: float) -> list[SegmentSpec]:
    # Zero minutes leaves the part out; anything else, negative included, is checked.
    if minutes == 0:
        return []
    return [
        SegmentSpec(
            direction=WalkingDirection.FORWARD,
            duration_s=minutes * 60.0,
            target_speed_kmh=speed_kmh,
        )
    ]


def plan_from_parameters(
    *,
    backward_minutes: float,
    backward_speed_kmh: float,
    device: DeviceLimits,
    limits: SafetyLimits = DEFAULT_LIMITS,
    incline_pct: float = 0.0,
    warm_up_minutes: float = 3.0,
    cool_down_minutes: float = 3.0,
    warm_up_speed_kmh: float = 2.5,
    cool_down_speed_kmh: float = 2.0,
    incline_after_s: float = INCLINE_AFTER_S,
) -> Plan:
    """Build warm-up, one backward part and cool-down from explicit numbers.

    A warm-up or cool-down of 0 minutes is left out. Values beyond the limits raise
    :class:`PlanError`, as in :func:`plan_from_segments`.
    """
    backward = SegmentSpec(
        direction=WalkingDirection.BACKWARD,
        duration_s=backward_minutes * 60.0,
        target_speed_kmh=backward_speed_kmh,
        target_incline_pct=incline_pct,
        incline_after_s=incline_after_s,
    )
    specs = [
        *_optional_forward(warm_up_minutes, warm_up_speed_kmh),
        backward,
        *_optional_forward(cool_down_minutes, cool_down_speed_kmh),
    ]
    return _build(specs, limits=limits, device=device)


def plan_for_level(
    level: Level | str,
    *,
    device: DeviceLimits,
    limits: SafetyLimits = DEFAULT_LIMITS,
    backward_minutes: float | None = None,
) -> Plan:
    """Build the plan of a built-in level.

    The level's speeds and incline are lowered to the user's limits (a level is a suggestion,
    the limits are the user's decision). ``backward_minutes`` replaces the level's backward
    duration, e.g. with the duration progression suggests.
    """
    try:
        level = Level(level)
    except ValueError:
        raise PlanError(ErrorCode.UNKNOWN_LEVEL, level=level) from None
    numbers = LEVEL_PROGRAMS[level]
    backward_s = numbers.backward_s if backward_minutes is None else backward_minutes * 60.0
    specs = [
        SegmentSpec(
            direction=WalkingDirection.FORWARD,
            duration_s=numbers.warm_up_s,
            target_speed_kmh=min(numbers.warm_up_speed_kmh, limits.forward_speed_kmh),
        ),
        SegmentSpec(
            direction=WalkingDirection.BACKWARD,
            duration_s=backward_s,
            target_speed_kmh=min(numbers.backward_speed_kmh, limits.backward_speed_kmh),
            target_incline_pct=min(numbers.backward_incline_pct, limits.incline_pct),
            incline_after_s=numbers.incline_after_s,
        ),
        SegmentSpec(
            direction=WalkingDirection.FORWARD,
            duration_s=numbers.cool_down_s,
            target_speed_kmh=min(numbers.cool_down_speed_kmh, limits.forward_speed_kmh),
        ),
    ]
    return _build(specs, limits=limits, device=device, level=level)

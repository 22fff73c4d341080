"""Building plans from a level, from parameters and from segments."""

import math

import pytest

from custom_components.retrowalk.program import (
    MIN_SEGMENT_S,
    DeviceLimits,
    ErrorCode,
    Level,
    LimitError,
    Phase,
    PlanError,
    SafetyLimits,
    Segment,
    SegmentSpec,
    WalkingDirection,
    plan_for_level,
    plan_from_parameters,
    plan_from_segments,
)

from .conftest import make_device

FORWARD = WalkingDirection.FORWARD
BACKWARD = WalkingDirection.BACKWARD


def moving(plan_segments: tuple[Segment, ...]) -> list[tuple[str, str, float, float, float, float]]:
    return [
        (
            s.phase.value,
            s.direction.value,
            s.duration_s,
            s.target_speed_kmh,
            s.target_incline_pct,
            s.incline_after_s,
        )
        for s in plan_segments
    ]


# The table of docs/retro-walking.md: warm-up, backward part, cool-down; turnarounds between.
LEVEL_TABLE = {
    Level.BEGINNER: [
        ("warm_up", "forward", 180.0, 2.5, 0.0, 0.0),
        ("turnaround", "backward", 0.0, 0.0, 0.0, 0.0),
        ("backward", "backward", 300.0, 1.6, 0.0, 0.0),
        ("turnaround", "forward", 0.0, 0.0, 0.0, 0.0),
        ("cool_down", "forward", 180.0, 2.0, 0.0, 0.0),
    ],
    Level.INTERMEDIATE: [
        ("warm_up", "forward", 300.0, 3.0, 0.0, 0.0),
        ("turnaround", "backward", 0.0, 0.0, 0.0, 0.0),
        ("backward", "backward", 600.0, 2.4, 2.0, 120.0),
        ("turnaround", "forward", 0.0, 0.0, 0.0, 0.0),
        ("cool_down", "forward", 180.0, 2.0, 0.0, 0.0),
    ],
    Level.ADVANCED: [
        ("warm_up", "forward", 300.0, 3.5, 0.0, 0.0),
        ("turnaround", "backward", 0.0, 0.0, 0.0, 0.0),
        ("backward", "backward", 1200.0, 3.2, 3.0, 120.0),
        ("turnaround", "forward", 0.0, 0.0, 0.0, 0.0),
        ("cool_down", "forward", 300.0, 2.5, 0.0, 0.0),
    ],
}


@pytest.mark.parametrize("level", list(Level))
def test_level_plans_match_the_documented_table(level: Level, device: DeviceLimits) -> None:
    plan = plan_for_level(level, device=device)
    assert moving(plan.segments) == LEVEL_TABLE[level]
    assert plan.level is level


def test_level_by_name(device: DeviceLimits) -> None:
    assert plan_for_level("advanced", device=device).backward_minutes == 20


def test_unknown_level(device: DeviceLimits) -> None:
    with pytest.raises(PlanError) as caught:
        plan_for_level("expert", device=device)
    assert caught.value.code is ErrorCode.UNKNOWN_LEVEL
    assert caught.value.placeholders == {"level": "expert"}


def test_level_numbers_are_lowered_to_the_users_limits(device: DeviceLimits) -> None:
    limits = SafetyLimits(backward_speed_kmh=2.0, forward_speed_kmh=3.0, incline_pct=1.0)
    plan = plan_for_level(Level.ADVANCED, device=device, limits=limits)
    warm_up, _, backward, _, cool_down = plan.segments
    assert warm_up.target_speed_kmh == 3.0
    assert backward.target_speed_kmh == 2.0
    assert backward.target_incline_pct == 1.0
    assert cool_down.target_speed_kmh == 2.5


def test_level_numbers_are_fitted_to_the_device(device: DeviceLimits) -> None:
    small = make_device(speed=(1.0, 3.0, 0.5), incline=(0.0, 10.0, 1.5))
    plan = plan_for_level(Level.ADVANCED, device=small)
    warm_up, _, backward, _, cool_down = plan.segments
    assert warm_up.target_speed_kmh == 3.0  # the device's maximum
    assert backward.target_speed_kmh == 3.0
    assert backward.target_incline_pct == 3.0
    assert cool_down.target_speed_kmh == 2.5


def test_a_treadmill_without_incline_gets_a_level_plan(device: DeviceLimits) -> None:
    plan = plan_for_level(Level.INTERMEDIATE, device=make_device(incline=None))
    assert all(segment.target_incline_pct == 0.0 for segment in plan.segments)


def test_level_with_the_backward_duration_progression_suggests(device: DeviceLimits) -> None:
    plan = plan_for_level(Level.BEGINNER, device=device, backward_minutes=5.5)
    assert plan.backward_duration_s == 330.0


def test_level_with_too_long_a_backward_part(device: DeviceLimits) -> None:
    with pytest.raises(PlanError) as caught:
        plan_for_level(Level.ADVANCED, device=device, backward_minutes=40)
    assert caught.value.code is ErrorCode.SESSION_TOO_LONG
    assert caught.value.placeholders == {"total_minutes": "50", "limit_minutes": "45"}


def test_level_on_a_device_the_limits_cannot_be_kept_on() -> None:
    with pytest.raises(LimitError) as caught:
        plan_for_level(Level.BEGINNER, device=make_device(speed=(1.0, 16.0, 1.0)))
    assert caught.value.code is ErrorCode.SPEED_INCREMENT_TOO_COARSE


def test_parameters(device: DeviceLimits) -> None:
    plan = plan_from_parameters(
        backward_minutes=8,
        backward_speed_kmh=2.83,
        incline_pct=1.5,
        warm_up_minutes=4,
        cool_down_minutes=2,
        device=device,
    )
    assert moving(plan.segments) == [
        ("warm_up", "forward", 240.0, 2.5, 0.0, 0.0),
        ("turnaround", "backward", 0.0, 0.0, 0.0, 0.0),
        ("backward", "backward", 480.0, 2.8, 1.5, 120.0),
        ("turnaround", "forward", 0.0, 0.0, 0.0, 0.0),
        ("cool_down", "forward", 120.0, 2.0, 0.0, 0.0),
    ]


def test_parameters_without_warm_up_or_cool_down(device: DeviceLimits) -> None:
    plan = plan_from_parameters(
        backward_minutes=2,
        backward_speed_kmh=1.6,
        warm_up_minutes=0,
        cool_down_minutes=0,
        device=device,
    )
    assert moving(plan.segments) == [("backward", "backward", 120.0, 1.6, 0.0, 120.0)]


@pytest.mark.parametrize(
    ("parameters", "code", "placeholders"),
    [
        (
            {"backward_speed_kmh": 3.5},
            ErrorCode.TOO_FAST_BACKWARD,
            {"segment": "2", "phase": "backward", "speed": "3.5", "limit": "3.2"},
        ),
        (
            {"warm_up_speed_kmh": 4.5},
            ErrorCode.SPEED_ABOVE_LIMIT,
            {"segment": "1", "phase": "warm_up", "speed": "4.5", "limit": "4"},
        ),
        (
            {"backward_speed_kmh": 0.0},
            ErrorCode.SPEED_NOT_POSITIVE,
            {"segment": "2", "phase": "backward", "speed": "0"},
        ),
        (
            {"incline_pct": 3.5},
            ErrorCode.INCLINE_OUT_OF_RANGE,
            {"segment": "2", "phase": "backward", "incline": "3.5", "minimum": "0", "maximum": "3"},
        ),
        (
            {"incline_pct": -1.0},
            ErrorCode.INCLINE_OUT_OF_RANGE,
            {"segment": "2", "phase": "backward", "incline": "-1", "minimum": "0", "maximum": "3"},
        ),
        (
            {"backward_minutes": 0.25},
            ErrorCode.DURATION_TOO_SHORT,
            {"segment": "2", "phase": "backward", "duration_s": "15", "minimum_s": "30"},
        ),
        (
            {"cool_down_minutes": -1},
            ErrorCode.DURATION_TOO_SHORT,
            {"segment": "3", "phase": "cool_down", "duration_s": "-60", "minimum_s": "30"},
        ),
        (
            {"incline_after_s": -5.0},
            ErrorCode.INCLINE_DELAY_NEGATIVE,
            {"segment": "2", "phase": "backward", "delay_s": "-5"},
        ),
        (
            {"backward_speed_kmh": math.nan},
            ErrorCode.INVALID_NUMBER,
            {"field": "target_speed_kmh", "value": "nan"},
        ),
        (
            {"backward_minutes": 40.0},
            ErrorCode.SESSION_TOO_LONG,
            {"total_minutes": "46", "limit_minutes": "45"},
        ),
    ],
)
def test_parameter_errors(
    parameters: dict[str, float],
    code: ErrorCode,
    placeholders: dict[str, str],
    device: DeviceLimits,
) -> None:
    arguments: dict[str, float] = {"backward_minutes": 5.0, "backward_speed_kmh": 2.0}
    arguments |= parameters
    with pytest.raises(PlanError) as caught:
        plan_from_parameters(device=device, **arguments)  # type: ignore[arg-type]
    assert caught.value.code is code
    assert caught.value.placeholders == placeholders


def test_parameters_at_the_limits_are_accepted(device: DeviceLimits) -> None:
    limits = SafetyLimits(backward_speed_kmh=5.6, incline_pct=10.0, max_session_s=90 * 60)
    plan = plan_from_parameters(
        backward_minutes=84,
        backward_speed_kmh=5.6,
        incline_pct=10.0,
        device=device,
        limits=limits,
    )
    assert plan.total_duration_s == limits.max_session_s


def test_segments_get_phases_and_turnarounds(device: DeviceLimits) -> None:
    specs = [
        SegmentSpec(direction=FORWARD, duration_s=120, target_speed_kmh=2.5),
        SegmentSpec(direction=FORWARD, duration_s=60, target_speed_kmh=3.0),
        SegmentSpec(direction=BACKWARD, duration_s=120, target_speed_kmh=1.6),
        SegmentSpec(direction=FORWARD, duration_s=60, target_speed_kmh=2.0),
        SegmentSpec(
            direction=BACKWARD,
            duration_s=120,
            target_speed_kmh=2.0,
            target_incline_pct=1.0,
            incline_after_s=30,
        ),
        SegmentSpec(direction=FORWARD, duration_s=120, target_speed_kmh=2.0),
    ]
    plan = plan_from_segments(specs, device=device)
    assert [(s.phase, s.direction) for s in plan.segments] == [
        (Phase.WARM_UP, FORWARD),
        (Phase.WARM_UP, FORWARD),
        (Phase.TURNAROUND, BACKWARD),
        (Phase.BACKWARD, BACKWARD),
        (Phase.TURNAROUND, FORWARD),
        (Phase.RECOVERY, FORWARD),
        (Phase.TURNAROUND, BACKWARD),
        (Phase.BACKWARD, BACKWARD),
        (Phase.TURNAROUND, FORWARD),
        (Phase.COOL_DOWN, FORWARD),
    ]
    assert plan.turnaround_count == 4
    assert plan.backward_duration_s == 240


def test_segments_errors_name_the_callers_segment(device: DeviceLimits) -> None:
    specs = [
        SegmentSpec(direction=FORWARD, duration_s=120, target_speed_kmh=2.5),
        SegmentSpec(direction=BACKWARD, duration_s=120, target_speed_kmh=1.6),
        SegmentSpec(direction=BACKWARD, duration_s=120, target_speed_kmh=6.0),
    ]
    with pytest.raises(PlanError) as caught:
        plan_from_segments(specs, device=device)
    assert caught.value.code is ErrorCode.TOO_FAST_BACKWARD
    assert caught.value.placeholders["segment"] == "3"


def test_segments_empty(device: DeviceLimits) -> None:
    with pytest.raises(PlanError) as caught:
        plan_from_segments([], device=device)
    assert caught.value.code is ErrorCode.EMPTY_PLAN


def test_segments_without_backward_walking(device: DeviceLimits) -> None:
    with pytest.raises(PlanError) as caught:
        plan_from_segments(
            [SegmentSpec(direction=FORWARD, duration_s=120, target_speed_kmh=2.5)], device=device
        )
    assert caught.value.code is ErrorCode.NO_BACKWARD_SEGMENT


def test_segment_minimum_is_half_a_minute(device: DeviceLimits) -> None:
    spec = SegmentSpec(direction=BACKWARD, duration_s=MIN_SEGMENT_S, target_speed_kmh=1.0)
    assert plan_from_segments([spec], device=device).total_duration_s == MIN_SEGMENT_S


def test_segment_speed_below_the_device_minimum_is_raised_to_it(device: DeviceLimits) -> None:
    spec = SegmentSpec(direction=BACKWARD, duration_s=60, target_speed_kmh=0.5)
    assert plan_from_segments([spec], device=device).segments[0].target_speed_kmh == 0.8

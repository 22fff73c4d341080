"""The shape rules of a plan, its totals and its plain-data form."""

import math

import pytest

from custom_components.retrowalk.program import (
    ErrorCode,
    Level,
    Phase,
    Plan,
    PlanError,
    Segment,
    WalkingDirection,
)

FORWARD = WalkingDirection.FORWARD
BACKWARD = WalkingDirection.BACKWARD


def walk(
    phase: Phase, direction: WalkingDirection, minutes: float = 5.0, **kwargs: float
) -> Segment:
    return Segment(
        phase=phase,
        direction=direction,
        duration_s=minutes * 60,
        target_speed_kmh=kwargs.pop("speed", 2.0),
        **kwargs,
    )


def turn(direction: WalkingDirection) -> Segment:
    return Segment(phase=Phase.TURNAROUND, direction=direction)


WARM_UP = walk(Phase.WARM_UP, FORWARD, 3)
BACK = walk(Phase.BACKWARD, BACKWARD, 10, speed=2.4, target_incline_pct=2.0, incline_after_s=120)
COOL_DOWN = walk(Phase.COOL_DOWN, FORWARD, 3)


def test_a_full_plan_and_its_totals() -> None:
    plan = Plan((WARM_UP, turn(BACKWARD), BACK, turn(FORWARD), COOL_DOWN), Level.INTERMEDIATE)
    assert plan.total_duration_s == 16 * 60
    assert plan.backward_duration_s == 10 * 60
    assert plan.backward_minutes == 10
    assert plan.turnaround_count == 2
    assert plan.duration_after(0) == 13 * 60
    assert plan.duration_after(4) == 0
    assert [s.is_turnaround for s in plan.segments] == [False, True, False, True, False]


def test_a_backward_only_plan_needs_no_turnaround() -> None:
    plan = Plan((BACK, walk(Phase.BACKWARD, BACKWARD, 2)))
    assert plan.turnaround_count == 0
    assert plan.level is None


def test_plan_to_dict_is_plain_data() -> None:
    plan = Plan((WARM_UP, turn(BACKWARD), BACK), Level.BEGINNER)
    data = plan.to_dict()
    assert data == {
        "level": "beginner",
        "total_duration_s": 780.0,
        "backward_duration_s": 600.0,
        "backward_minutes": 10.0,
        "turnarounds": 1,
        "segments": [
            {
                "phase": "warm_up",
                "direction": "forward",
                "duration_s": 180.0,
                "target_speed_kmh": 2.0,
                "target_incline_pct": 0.0,
                "incline_after_s": 0.0,
            },
            {
                "phase": "turnaround",
                "direction": "backward",
                "duration_s": 0.0,
                "target_speed_kmh": 0.0,
                "target_incline_pct": 0.0,
                "incline_after_s": 0.0,
            },
            {
                "phase": "backward",
                "direction": "backward",
                "duration_s": 600.0,
                "target_speed_kmh": 2.4,
                "target_incline_pct": 2.0,
                "incline_after_s": 120.0,
            },
        ],
    }
    assert Plan((BACK,)).to_dict()["level"] is None


def _error(segments: tuple[Segment, ...]) -> PlanError:
    with pytest.raises(PlanError) as caught:
        Plan(segments)
    return caught.value


def test_empty_plan() -> None:
    assert _error(()).code is ErrorCode.EMPTY_PLAN


def test_no_backward_segment() -> None:
    assert _error((WARM_UP,)).code is ErrorCode.NO_BACKWARD_SEGMENT


def test_missing_turnaround() -> None:
    error = _error((WARM_UP, BACK))
    assert error.code is ErrorCode.MISSING_TURNAROUND
    assert error.placeholders == {"segment": "2"}


@pytest.mark.parametrize(
    ("segments", "number"),
    [
        ((turn(BACKWARD), BACK), 1),
        ((BACK, turn(FORWARD)), 2),
        ((WARM_UP, turn(BACKWARD), turn(BACKWARD), BACK), 2),
        ((BACK, turn(BACKWARD), BACK), 2),
        ((WARM_UP, turn(FORWARD), BACK), 2),
    ],
)
def test_misplaced_turnaround(segments: tuple[Segment, ...], number: int) -> None:
    error = _error(segments)
    assert error.code is ErrorCode.MISPLACED_TURNAROUND
    assert error.placeholders == {"segment": str(number)}


@pytest.mark.parametrize(
    "segment",
    [
        walk(Phase.BACKWARD, FORWARD),
        walk(Phase.WARM_UP, BACKWARD),
        walk(Phase.FINISHED, FORWARD),
        walk(Phase.PRE_WORKOUT, BACKWARD),
    ],
)
def test_phase_must_match_direction(segment: Segment) -> None:
    error = _error((segment,))
    assert error.code is ErrorCode.INVALID_PHASE
    assert error.placeholders["segment"] == "1"


@pytest.mark.parametrize(
    ("segment", "code"),
    [
        (walk(Phase.BACKWARD, BACKWARD, 0), ErrorCode.DURATION_TOO_SHORT),
        (walk(Phase.BACKWARD, BACKWARD, speed=0.0), ErrorCode.SPEED_NOT_POSITIVE),
        (walk(Phase.BACKWARD, BACKWARD, incline_after_s=-1.0), ErrorCode.INCLINE_DELAY_NEGATIVE),
        (walk(Phase.BACKWARD, BACKWARD, speed=math.nan), ErrorCode.INVALID_NUMBER),
        (walk(Phase.BACKWARD, BACKWARD, target_incline_pct=math.inf), ErrorCode.INVALID_NUMBER),
    ],
)
def test_moving_segment_numbers(segment: Segment, code: ErrorCode) -> None:
    assert _error((segment,)).code is code

"""The errors' placeholders: formatted for a message, and kept as numbers for speeds.

Speeds in the program package are in km/h; the Home Assistant layer shows them in the user's
unit. For that it needs each speed unrounded and to know which placeholders are speeds.
"""

from collections.abc import Callable

import pytest

from custom_components.retrowalk.program import (
    DEFAULT_LIMITS,
    DeviceLimits,
    ErrorCode,
    LimitError,
    Phase,
    Plan,
    PlanError,
    ProgramError,
    Segment,
    WalkingDirection,
    check_device,
    plan_from_parameters,
)
from custom_components.retrowalk.program.errors import SPEED_PLACEHOLDERS
from custom_components.retrowalk.program.limits import KMH_PER_MPH

from .conftest import make_device

MPH_2_5 = 2.5 * KMH_PER_MPH  # 4.02336 km/h: "4.02" in a message, 2.5 mph once converted


def test_numbers_are_kept_unrounded_and_text_is_not() -> None:
    error = PlanError(
        ErrorCode.TOO_FAST_BACKWARD, segment=2, phase="backward", speed=MPH_2_5, limit=3.2
    )
    assert error.placeholders == {
        "segment": "2",
        "phase": "backward",
        "speed": "4.02",
        "limit": "3.2",
    }
    assert error.values == {"segment": 2.0, "speed": MPH_2_5, "limit": 3.2}
    # Booleans and text are no numbers.
    assert LimitError(ErrorCode.INVALID_NUMBER, field="speed", value=True).values == {}


def _parameters(**changes: float) -> Callable[[], object]:
    arguments = {"backward_minutes": 5.0, "backward_speed_kmh": 2.0} | changes
    return lambda: plan_from_parameters(device=make_device(), **arguments)  # type: ignore[arg-type]


def _plan_with_backward_speed(kmh: float) -> Callable[[], object]:
    segment = Segment(
        phase=Phase.BACKWARD,
        direction=WalkingDirection.BACKWARD,
        duration_s=60.0,
        target_speed_kmh=kmh,
    )
    return lambda: Plan((segment,))


def _device(speed: tuple[float, float, float]) -> Callable[[], object]:
    device: DeviceLimits = make_device(speed=speed)
    return lambda: check_device(device, DEFAULT_LIMITS)


# Every error with a speed the program package raises, and its speeds in km/h, unrounded.
SPEED_ERRORS: list[tuple[str, Callable[[], object], ErrorCode, dict[str, float]]] = [
    (
        "device too slow",
        _device((4.0, 16.0, 0.1)),
        ErrorCode.DEVICE_SPEED_MINIMUM_ABOVE_LIMIT,
        # The lower of the two speed limits.
        {"minimum": 4.0, "limit": 3.2},
    ),
    (
        "coarse increment",
        _device((1.0, 16.0, 1.0)),
        ErrorCode.SPEED_INCREMENT_TOO_COARSE,
        {"increment": 1.0, "maximum": 0.5},
    ),
    (
        "backward too fast",
        _parameters(backward_speed_kmh=MPH_2_5),
        ErrorCode.TOO_FAST_BACKWARD,
        {"speed": MPH_2_5, "limit": 3.2},
    ),
    (
        "forward too fast",
        _parameters(warm_up_speed_kmh=3 * KMH_PER_MPH),
        ErrorCode.SPEED_ABOVE_LIMIT,
        {"speed": 3 * KMH_PER_MPH, "limit": 4.0},
    ),
    (
        "speed not positive",
        _parameters(backward_speed_kmh=-KMH_PER_MPH),
        ErrorCode.SPEED_NOT_POSITIVE,
        {"speed": -KMH_PER_MPH},
    ),
    (
        "plan speed not positive",
        _plan_with_backward_speed(-0.5),
        ErrorCode.SPEED_NOT_POSITIVE,
        {"speed": -0.5},
    ),
]


@pytest.mark.parametrize(
    ("raise_it", "code", "speeds"),
    [case[1:] for case in SPEED_ERRORS],
    ids=[case[0] for case in SPEED_ERRORS],
)
def test_speed_placeholders_are_declared_and_kept_in_kmh(
    raise_it: Callable[[], object], code: ErrorCode, speeds: dict[str, float]
) -> None:
    with pytest.raises(ProgramError) as caught:
        raise_it()
    error = caught.value
    assert error.code is code
    assert SPEED_PLACEHOLDERS[code] == set(speeds)
    assert {name: error.values[name] for name in SPEED_PLACEHOLDERS[code]} == speeds


def test_every_code_with_speeds_is_raised_above() -> None:
    assert {case[2] for case in SPEED_ERRORS} == set(SPEED_PLACEHOLDERS)

"""Safety limits, device ranges and fitting targets to both."""

import math

import pytest

from custom_components.retrowalk.program import (
    DEFAULT_LIMITS,
    DeviceLimits,
    DeviceRange,
    ErrorCode,
    LimitError,
    SafetyLimits,
    WalkingDirection,
    check_device,
)
from custom_components.retrowalk.program.errors import ProgramError, format_number
from custom_components.retrowalk.program.limits import Rounding

from .conftest import make_device


def test_defaults_are_the_documented_ones() -> None:
    limits = SafetyLimits()
    assert limits == DEFAULT_LIMITS
    assert limits.backward_speed_kmh == 3.2
    assert limits.forward_speed_kmh == 4.0
    assert limits.incline_pct == 3.0
    assert limits.max_session_s == 45 * 60
    assert limits.max_heart_rate_bpm is None
    assert limits.presence_lost_s == 5.0
    assert limits.turnaround_wait_s == 2 * 60


def test_every_ceiling_itself_is_allowed() -> None:
    limits = SafetyLimits(
        backward_speed_kmh=5.6,
        forward_speed_kmh=6.0,
        incline_pct=10.0,
        max_session_s=90 * 60,
        max_heart_rate_bpm=250,
        presence_lost_s=30.0,
        turnaround_wait_s=10 * 60,
    )
    assert limits.speed_limit_kmh(WalkingDirection.BACKWARD) == 5.6
    assert limits.speed_limit_kmh(WalkingDirection.FORWARD) == 6.0


@pytest.mark.parametrize(
    ("field", "value", "ceiling"),
    [
        ("backward_speed_kmh", 5.7, "5.6"),
        ("forward_speed_kmh", 6.1, "6"),
        ("incline_pct", 10.5, "10"),
        ("max_session_s", 90 * 60 + 1, "5400"),
        ("presence_lost_s", 31.0, "30"),
        ("turnaround_wait_s", 601.0, "600"),
        ("max_heart_rate_bpm", 251, "250"),
    ],
)
def test_a_limit_above_its_ceiling_is_rejected(field: str, value: float, ceiling: str) -> None:
    with pytest.raises(LimitError) as caught:
        SafetyLimits(**{field: value})  # type: ignore[arg-type]
    assert caught.value.code is ErrorCode.LIMIT_ABOVE_CEILING
    assert caught.value.placeholders == {
        "limit": field,
        "value": format_number(value),
        "ceiling": ceiling,
    }


@pytest.mark.parametrize(
    ("field", "value", "minimum"),
    [
        ("backward_speed_kmh", 0.0, "0.5"),
        ("forward_speed_kmh", -1.0, "0.5"),
        ("incline_pct", -0.5, "0"),
        ("max_session_s", 30.0, "60"),
        ("presence_lost_s", -1.0, "0"),
        ("turnaround_wait_s", 10.0, "30"),
        ("max_heart_rate_bpm", 20, "40"),
    ],
)
def test_a_limit_below_its_minimum_is_rejected(field: str, value: float, minimum: str) -> None:
    with pytest.raises(LimitError) as caught:
        SafetyLimits(**{field: value})  # type: ignore[arg-type]
    assert caught.value.code is ErrorCode.LIMIT_BELOW_MINIMUM
    assert caught.value.placeholders["minimum"] == minimum
    assert caught.value.placeholders["limit"] == field


@pytest.mark.parametrize("value", [math.nan, math.inf])
def test_a_limit_that_is_not_a_number_is_rejected(value: float) -> None:
    with pytest.raises(LimitError) as caught:
        SafetyLimits(backward_speed_kmh=value)
    assert caught.value.code is ErrorCode.INVALID_NUMBER
    assert caught.value.placeholders["field"] == "backward_speed_kmh"


def test_errors_are_value_errors_with_a_readable_message() -> None:
    error = LimitError(ErrorCode.LIMIT_ABOVE_CEILING, limit="x", value=5.75, ceiling=5)
    assert isinstance(error, ValueError)
    assert isinstance(error, ProgramError)
    assert str(error) == "limit_above_ceiling: limit=x, value=5.75, ceiling=5"
    assert str(LimitError(ErrorCode.EMPTY_PLAN)) == "empty_plan"


@pytest.mark.parametrize(
    ("value", "text"),
    [(3.2, "3.2"), (45.0, "45"), (0.1609344, "0.16"), (-0.001, "0"), (math.nan, "nan"), (2, "2")],
)
def test_numbers_in_placeholders_are_short(value: float, text: str) -> None:
    assert format_number(value) == text


def test_placeholders_keep_text_and_booleans() -> None:
    error = LimitError(ErrorCode.INVALID_NUMBER, field="speed", value=True)
    assert error.placeholders == {"field": "speed", "value": "True"}


@pytest.mark.parametrize(
    ("minimum", "maximum", "increment"),
    [
        (0.8, 16.0, 0.0),
        (0.8, 16.0, -0.1),
        (5.0, 1.0, 0.1),
        (math.nan, 16.0, 0.1),
        (0.8, math.inf, 0.1),
    ],
)
def test_a_device_range_without_a_grid_is_rejected(
    minimum: float, maximum: float, increment: float
) -> None:
    with pytest.raises(LimitError) as caught:
        DeviceRange(minimum, maximum, increment)
    assert caught.value.code is ErrorCode.DEVICE_RANGE_INVALID
    assert caught.value.placeholders["quantity"] == "speed"


def test_a_negative_speed_minimum_is_rejected() -> None:
    with pytest.raises(LimitError) as caught:
        DeviceLimits(DeviceRange(-1.0, 16.0, 0.1))
    assert caught.value.code is ErrorCode.DEVICE_RANGE_INVALID


SPEED = DeviceRange(0.8, 16.0, 0.1)


@pytest.mark.parametrize(
    ("grid", "value", "lower", "upper", "rounding", "expected"),
    [
        # Round to the nearest increment, never truncate (1.16 must not become 1.1).
        (SPEED, 1.16, None, None, Rounding.NEAREST, 1.2),
        (SPEED, 1.14, None, None, Rounding.NEAREST, 1.1),
        # A tie goes to the gentler, lower value.
        (SPEED, 1.15, None, None, Rounding.NEAREST, 1.1),
        # Float noise from adding steps does not cost a whole increment.
        (SPEED, 0.8 + 0.1 + 0.1 + 0.1, None, None, Rounding.DOWN, 1.1),
        (SPEED, 3.3 - 2.2, None, None, Rounding.DOWN, 1.1),
        # Clamped into the range.
        (SPEED, 0.3, None, None, Rounding.NEAREST, 0.8),
        (SPEED, 25.0, None, None, Rounding.NEAREST, 16.0),
        # Clamped to the caller's bounds, on the grid.
        (SPEED, 3.3, None, 3.2, Rounding.NEAREST, 3.2),
        (SPEED, 0.9, 1.25, None, Rounding.NEAREST, 1.3),
        # Rounding to the nearest would pass the ceiling: the value below is taken.
        (DeviceRange(0.5, 10.0, 0.5), 3.4, None, 3.3, Rounding.NEAREST, 3.0),
        # The grid starts at the device minimum.
        (DeviceRange(0.55, 5.0, 0.1), 1.0, None, None, Rounding.NEAREST, 0.95),
        (SPEED, 1.11, None, None, Rounding.UP, 1.2),
        (SPEED, 1.19, None, None, Rounding.DOWN, 1.1),
        # A maximum off the grid: the highest grid value below it.
        (DeviceRange(0.8, 2.05, 0.1), 5.0, None, None, Rounding.NEAREST, 2.0),
    ],
)
def test_snap(
    grid: DeviceRange,
    value: float,
    lower: float | None,
    upper: float | None,
    rounding: Rounding,
    expected: float,
) -> None:
    assert grid.snap(value, lower=lower, upper=upper, rounding=rounding) == expected


def test_snap_without_a_value_in_bounds_returns_none() -> None:
    assert SPEED.snap(1.0, upper=0.5) is None
    assert SPEED.snap(1.0, lower=17.0) is None


def test_snap_rejects_not_a_number() -> None:
    with pytest.raises(LimitError) as caught:
        SPEED.snap(math.nan)
    assert caught.value.code is ErrorCode.INVALID_NUMBER


@pytest.mark.parametrize(
    ("speed", "lowest"),
    [
        ((0.8, 16.0, 0.1), 0.8),
        ((0.0, 16.0, 0.1), 0.1),
        ((0.0, 16.0, 0.5), 0.5),
        ((1.0, 8.0, 0.2), 1.0),
    ],
)
def test_lowest_moving_speed_is_above_zero(
    speed: tuple[float, float, float], lowest: float
) -> None:
    assert make_device(speed=speed).lowest_moving_speed_kmh == lowest


@pytest.mark.parametrize(
    ("kmh", "ceiling", "expected"),
    [(0.3, 3.2, 0.8), (1.6, 3.2, 1.6), (3.25, 3.2, 3.2), (5.0, 3.2, 3.2), (2.44, 5.6, 2.4)],
)
def test_fit_speed(kmh: float, ceiling: float, expected: float) -> None:
    assert make_device().fit_speed(kmh, ceiling) == expected


def test_fit_speed_never_goes_below_the_lowest_moving_speed() -> None:
    assert make_device(speed=(0.0, 10.0, 0.1)).fit_speed(0.0, 3.2) == 0.1


def test_fit_speed_on_a_short_device_clamps_to_its_maximum() -> None:
    assert make_device(speed=(0.5, 2.0, 0.1)).fit_speed(3.2, 3.2) == 2.0


def test_fit_speed_when_the_device_cannot_go_that_slowly() -> None:
    with pytest.raises(LimitError) as caught:
        make_device(speed=(4.0, 16.0, 0.1)).fit_speed(3.0, 3.2)
    assert caught.value.code is ErrorCode.DEVICE_SPEED_MINIMUM_ABOVE_LIMIT
    assert caught.value.placeholders == {"minimum": "4", "limit": "3.2"}


@pytest.mark.parametrize(
    ("incline", "pct", "ceiling", "expected"),
    [
        ((0.0, 15.0, 0.5), 2.0, 3.0, 2.0),
        ((0.0, 15.0, 0.5), 2.2, 3.0, 2.0),
        ((0.0, 15.0, 0.5), 5.0, 3.0, 3.0),
        ((0.0, 15.0, 0.5), -1.0, 3.0, 0.0),
        ((-3.0, 15.0, 0.5), -2.0, 3.0, 0.0),
        ((0.0, 15.0, 1.0), 2.5, 3.0, 2.0),
        ((1.0, 15.0, 1.0), 0.0, 3.0, 1.0),
    ],
)
def test_fit_incline(
    incline: tuple[float, float, float], pct: float, ceiling: float, expected: float
) -> None:
    assert make_device(incline=incline).fit_incline(pct, ceiling) == expected


def test_fit_incline_without_incline_support() -> None:
    device = make_device(incline=None)
    assert device.fit_incline(2.0, 3.0) is None
    assert device.incline_floor_pct is None


def test_incline_floor_is_level_or_the_device_minimum() -> None:
    assert make_device(incline=(-3.0, 15.0, 0.5)).incline_floor_pct == 0.0
    assert make_device(incline=(1.0, 15.0, 0.5)).incline_floor_pct == 1.0


def test_fit_incline_when_the_device_minimum_is_above_the_limit() -> None:
    with pytest.raises(LimitError) as caught:
        make_device(incline=(4.0, 15.0, 0.5)).fit_incline(0.0, 3.0)
    assert caught.value.code is ErrorCode.DEVICE_INCLINE_MINIMUM_ABOVE_LIMIT
    assert caught.value.placeholders == {"minimum": "4", "limit": "3"}


def test_check_device_accepts_a_typical_treadmill() -> None:
    check_device(make_device(), DEFAULT_LIMITS)
    check_device(make_device(speed=(0.8, 16.0, 0.5), incline=None), DEFAULT_LIMITS)


def test_check_device_rejects_a_coarse_speed_increment() -> None:
    with pytest.raises(LimitError) as caught:
        check_device(make_device(speed=(1.0, 16.0, 1.0)), DEFAULT_LIMITS)
    assert caught.value.code is ErrorCode.SPEED_INCREMENT_TOO_COARSE
    assert caught.value.placeholders == {"increment": "1", "maximum": "0.5"}


def test_check_device_rejects_a_minimum_above_the_backward_limit() -> None:
    limits = SafetyLimits(backward_speed_kmh=1.0)
    with pytest.raises(LimitError) as caught:
        check_device(make_device(speed=(1.2, 16.0, 0.1)), limits)
    assert caught.value.code is ErrorCode.DEVICE_SPEED_MINIMUM_ABOVE_LIMIT


def test_check_device_rejects_an_incline_minimum_above_the_limit() -> None:
    with pytest.raises(LimitError) as caught:
        check_device(make_device(incline=(5.0, 15.0, 0.5)), DEFAULT_LIMITS)
    assert caught.value.code is ErrorCode.DEVICE_INCLINE_MINIMUM_ABOVE_LIMIT

"""Ramp settings and the arithmetic of one ramp step."""

import math

import pytest

from custom_components.retrowalk.program import ErrorCode, LimitError, RampSettings
from custom_components.retrowalk.program.limits import DeviceRange, Rounding
from custom_components.retrowalk.program.ramp import RampStep, ramp_step

GRID = DeviceRange(0.8, 16.0, 0.1)


def snap_to(grid: DeviceRange, upper: float = 16.0):  # type: ignore[no-untyped-def]
    def snap(value: float, rounding: Rounding) -> float:
        snapped = grid.snap(value, upper=upper, rounding=rounding)
        assert snapped is not None
        return snapped

    return snap


def test_default_ramps_are_the_documented_ones() -> None:
    ramp = RampSettings()
    assert (ramp.speed_step_kmh, ramp.speed_interval_s) == (0.1, 2.0)
    assert (ramp.incline_step_pct, ramp.incline_interval_s) == (0.5, 5.0)


def test_mph_users_step_a_tenth_of_a_mile_per_hour() -> None:
    ramp = RampSettings.for_mph()
    assert ramp.speed_step_kmh == pytest.approx(0.1609344)
    assert ramp.speed_interval_s == 2.0


@pytest.mark.parametrize(
    ("settings", "code", "setting"),
    [
        ({"speed_step_kmh": 0.51}, ErrorCode.RAMP_STEP_OUT_OF_RANGE, "speed_step_kmh"),
        ({"speed_step_kmh": 0.0}, ErrorCode.RAMP_STEP_OUT_OF_RANGE, "speed_step_kmh"),
        ({"incline_step_pct": 1.5}, ErrorCode.RAMP_STEP_OUT_OF_RANGE, "incline_step_pct"),
        ({"speed_interval_s": 0.5}, ErrorCode.RAMP_INTERVAL_TOO_SHORT, "speed_interval_s"),
        ({"incline_interval_s": 0.0}, ErrorCode.RAMP_INTERVAL_TOO_SHORT, "incline_interval_s"),
        ({"speed_interval_s": math.nan}, ErrorCode.INVALID_NUMBER, "speed_interval_s"),
    ],
)
def test_ramp_settings_reject_steep_or_hurried_ramps(
    settings: dict[str, float], code: ErrorCode, setting: str
) -> None:
    with pytest.raises(LimitError) as caught:
        RampSettings(**settings)
    assert caught.value.code is code
    assert setting in caught.value.placeholders.values()


def test_the_largest_speed_step_is_allowed() -> None:
    assert RampSettings(speed_step_kmh=0.5).speed_step_kmh == 0.5


def test_a_ramp_steps_by_one_increment_toward_the_goal() -> None:
    result = ramp_step(current=0.8, ideal=0.8, goal=1.6, step=0.1, snap=snap_to(GRID))
    assert result == RampStep(ideal=pytest.approx(0.9), value=0.9)  # type: ignore[arg-type]
    down = ramp_step(current=1.6, ideal=1.6, goal=0.8, step=0.1, snap=snap_to(GRID))
    assert down.value == 1.5


def test_a_ramp_at_its_goal_stays() -> None:
    assert ramp_step(current=1.6, ideal=1.2, goal=1.6, step=0.1, snap=snap_to(GRID)) == RampStep(
        ideal=1.6, value=1.6
    )


def test_a_ramp_never_passes_its_goal() -> None:
    result = ramp_step(current=1.55, ideal=1.55, goal=1.6, step=0.1, snap=snap_to(GRID))
    assert result.value == 1.6
    assert result.ideal == 1.6


def test_an_mph_step_on_a_kmh_grid_keeps_its_average_rate() -> None:
    step = 0.1609344
    current = ideal = 0.8
    values = []
    for _ in range(10):
        result = ramp_step(
            current=current,
            ideal=ideal,
            goal=5.0,
            step=step,
            snap=snap_to(GRID),
            lag_tolerance=0.05,
        )
        ideal = result.ideal
        current = result.value
        values.append(current)
    assert values[-1] == pytest.approx(0.8 + 10 * step, abs=0.05)
    assert all(
        0.1 - 1e-9 <= b - a <= 0.2 + 1e-9 for a, b in zip([0.8, *values], values, strict=False)
    )


def test_a_coarse_grid_makes_some_ticks_silent() -> None:
    grid = DeviceRange(0.5, 10.0, 0.5)
    current = ideal = 1.0
    sent = []
    for _ in range(10):
        result = ramp_step(
            current=current, ideal=ideal, goal=3.0, step=0.1, snap=snap_to(grid), lag_tolerance=0.25
        )
        ideal = result.ideal
        if result.value != current:
            sent.append(result.value)
        current = result.value
    # 0.1 per tick on a 0.5 grid: a 0.5 change every fifth tick or so, never faster.
    assert sent == [1.5, 2.0]


def test_the_ideal_restarts_from_the_current_value_when_left_behind() -> None:
    # A person set 2.0 by hand while the ideal was at 1.2: the ramp goes on from 2.0.
    result = ramp_step(current=2.0, ideal=1.2, goal=3.0, step=0.1, snap=snap_to(GRID))
    assert result.value == 2.1
    # An ideal beyond the goal restarts too.
    result = ramp_step(current=2.0, ideal=3.5, goal=3.0, step=0.1, snap=snap_to(GRID))
    assert result.value == 2.1


def test_a_jump_over_the_largest_step_is_cut_down() -> None:
    grid = DeviceRange(0.8, 16.0, 0.3)
    result = ramp_step(current=0.8, ideal=0.8, goal=5.0, step=0.5, snap=snap_to(grid), max_jump=0.5)
    # The nearest grid value to 1.3 is 1.4 (a 0.6 jump); the largest within 0.5 is 1.1.
    assert result.value == pytest.approx(1.1)
    down = ramp_step(current=5.0, ideal=5.0, goal=0.8, step=0.5, snap=snap_to(grid), max_jump=0.5)
    assert 5.0 - down.value <= 0.5


def test_rounding_never_moves_away_from_the_goal() -> None:
    # An off-grid current value (set by hand) and a tiny step would round back below it.
    grid = DeviceRange(0.8, 16.0, 0.5)
    result = ramp_step(current=1.04, ideal=1.04, goal=1.8, step=0.01, snap=snap_to(grid))
    assert result.value == 1.04


def test_an_ideal_at_the_goal_finishes_on_the_goal() -> None:
    def stuck(value: float, rounding: Rounding) -> float:
        return 1.0

    result = ramp_step(current=1.0, ideal=1.0, goal=1.05, step=0.1, snap=stuck)
    assert result.value == 1.05
    # ...but not with a jump above the largest step.
    result = ramp_step(current=1.0, ideal=1.0, goal=1.7, step=1.0, snap=stuck, max_jump=0.5)
    assert result.value == 1.0


def test_a_goal_off_the_grid_is_not_passed() -> None:
    result = ramp_step(current=0.8, ideal=0.8, goal=1.07, step=0.3, snap=snap_to(GRID))
    assert result.value == 1.07  # 1.1 would be past it

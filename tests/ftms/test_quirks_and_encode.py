"""The quirks table, and encoder cases the README calls out."""

import dataclasses

import pytest

from custom_components.retrowalk.ftms import (
    DeviceQuirks,
    RequestControlMode,
    SpeedUnit,
    encode_set_target_inclination,
    encode_set_target_speed,
    quirks_for,
)
from custom_components.retrowalk.ftms.quirks import KNOWN_DEVICES

KINGSMITH = DeviceQuirks(start_before_speed=True, wait_for_belt_s=2.5)
MPH = DeviceQuirks(speed_unit=SpeedUnit.MPH)


@pytest.mark.parametrize(
    ("manufacturer", "model", "local_name", "expected"),
    [
        ("KingSmith", "WalkingPad A1", None, KINGSMITH),
        (None, None, "KS-ST-A1P", KINGSMITH),
        (None, "R1 Pro", "WalkingPad", KINGSMITH),
        ("Horizon Fitness", "7.0AT", None, MPH),
        ("Johnson Health Tech", None, "Horizon T202", MPH),
        ("BowFlex", "T9", None, MPH),
        (None, None, "Bowflex T9 1234", MPH),
        ("BowFlex", "T22", None, DeviceQuirks()),  # brand alone is not enough
        (None, "T9", None, DeviceQuirks()),  # "T9" alone is too common a token
        ("JG-0x22", "N3601-0x16", "CITYSPORTS-Linker", DeviceQuirks()),
        ("UREVO", "URTM041", "UREVO E1L", DeviceQuirks()),
        (None, None, None, DeviceQuirks()),
        ("", "", "", DeviceQuirks()),
    ],
)
def test_quirks_for_known_and_unknown_devices(
    manufacturer: str | None, model: str | None, local_name: str | None, expected: DeviceQuirks
) -> None:
    assert quirks_for(manufacturer, model, local_name) == expected


def test_defaults_are_the_specification() -> None:
    quirks = DeviceQuirks()
    assert quirks.request_control is RequestControlMode.ONCE
    assert not quirks.start_before_speed
    assert quirks.wait_for_belt_s == 0
    assert quirks.speed_unit is SpeedUnit.KMH


def test_user_options_override_with_replace_and_quirks_are_frozen() -> None:
    quirks = dataclasses.replace(
        quirks_for("KingSmith", None, None), request_control=RequestControlMode.NEVER
    )
    assert quirks == DeviceQuirks(
        request_control=RequestControlMode.NEVER, start_before_speed=True, wait_for_belt_s=2.5
    )
    with pytest.raises(dataclasses.FrozenInstanceError):
        quirks.start_before_speed = False  # type: ignore[misc]


def test_every_table_row_is_described_and_departs_from_the_defaults() -> None:
    for device in KNOWN_DEVICES:
        assert device.description
        assert device.quirks != DeviceQuirks()


def test_mode_and_unit_values_are_storable_strings() -> None:
    assert RequestControlMode("before_each") is RequestControlMode.BEFORE_EACH
    assert SpeedUnit("mph") is SpeedUnit.MPH


@pytest.mark.parametrize(
    ("kmh", "wire"),
    [
        (1.15, "027300"),  # 115: 1.15 * 100 is 114.999... in binary floating point
        (1.005, "026500"),  # 101: half away from zero
        (0, "020000"),
        (6, "025802"),
        (655.35, "02ffff"),
    ],
)
def test_speed_encoding(kmh: float, wire: str) -> None:
    assert encode_set_target_speed(kmh) == bytes.fromhex(wire)


def test_speed_in_mph() -> None:
    # 16.09344 km/h is exactly 10 mph: 1000 units of 0.01 mph
    assert encode_set_target_speed(16.09344, speed_unit=SpeedUnit.MPH) == bytes.fromhex("02e803")
    # 5 km/h = 3.10686 mph -> 311
    assert encode_set_target_speed(5, speed_unit=SpeedUnit.MPH) == bytes.fromhex("023701")


@pytest.mark.parametrize(
    ("pct", "wire"),
    [(1.15, "030c00"), (-0.05, "03ffff"), (-2.5, "03e7ff"), (15, "039600"), (0.04, "030000")],
)
def test_inclination_encoding(pct: float, wire: str) -> None:
    assert encode_set_target_inclination(pct) == bytes.fromhex(wire)


@pytest.mark.parametrize("kmh", [-0.01, 655.36, float("nan"), float("inf")])
def test_speed_out_of_range(kmh: float) -> None:
    with pytest.raises(ValueError, match="speed"):
        encode_set_target_speed(kmh)


@pytest.mark.parametrize("pct", [-3276.9, 3276.8, float("-inf")])
def test_inclination_out_of_range(pct: float) -> None:
    with pytest.raises(ValueError, match="inclination"):
        encode_set_target_inclination(pct)

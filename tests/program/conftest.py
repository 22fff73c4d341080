"""Fixtures for the program tests: a typical treadmill, a virtual clock, a recording fake."""

import pytest

from custom_components.retrowalk.program import DeviceLimits, DeviceRange, VirtualClock

from .fakes import RecordingTreadmill


def make_device(
    speed: tuple[float, float, float] = (0.8, 16.0, 0.1),
    incline: tuple[float, float, float] | None = (0.0, 15.0, 0.5),
) -> DeviceLimits:
    """A treadmill description from (minimum, maximum, increment) tuples."""
    return DeviceLimits(
        DeviceRange(*speed),
        DeviceRange(*incline, quantity="incline") if incline is not None else None,
    )


@pytest.fixture
def device() -> DeviceLimits:
    return make_device()


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock()


@pytest.fixture
def treadmill(clock: VirtualClock) -> RecordingTreadmill:
    return RecordingTreadmill(clock)

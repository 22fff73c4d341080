"""Per-device deviations from FTMS, as data: DeviceQuirks and the table of known devices.

The client applies a DeviceQuirks in one place; nothing else in the package tests for device
names. The defaults are the specification's behaviour. The table holds only what public captures
and other projects' issue trackers show (see ``shared/ftms/README.md``); the user's options
override an entry with ``dataclasses.replace``.
"""

from dataclasses import dataclass
from enum import StrEnum
import re
from typing import Final


class RequestControlMode(StrEnum):
    """When the client sends Request Control (op 00) on its own."""

    ONCE = "once"
    """Before the first command after connecting, and again after control was lost (status FF
    or a "control not permitted" answer)."""
    BEFORE_EACH = "before_each"
    """Before every command: machines that forget control after each procedure or a pause."""
    NEVER = "never"
    """Never: machines that misbehave when it is sent (``request_control()`` still sends it)."""


class SpeedUnit(StrEnum):
    """The unit in which a machine reads the Set Target Speed parameter (0.01 units)."""

    KMH = "km/h"
    MPH = "mph"


@dataclass(frozen=True, slots=True)
class DeviceQuirks:
    """How one machine departs from the specification."""

    request_control: RequestControlMode = RequestControlMode.ONCE
    start_before_speed: bool = False
    """Send Start before Set Target Speed while the belt stands (the machine ignores the speed,
    or drops the link, until the belt runs)."""
    wait_for_belt_s: float = 0.0
    """After Start, wait until the reported speed is above 0, or this many seconds, before the
    next command."""
    speed_unit: SpeedUnit = SpeedUnit.KMH
    """The machine reads the Set Target Speed parameter as 0.01 of this unit."""


@dataclass(frozen=True, slots=True)
class KnownDevice:
    """One row of the quirks table."""

    description: str
    pattern: re.Pattern[str]
    """Searched in "<manufacturer>\\n<model>\\n<local name>" (case-insensitive, DOTALL)."""
    quirks: DeviceQuirks


def _pattern(regex: str) -> re.Pattern[str]:
    return re.compile(regex, re.IGNORECASE | re.DOTALL | re.MULTILINE)


KNOWN_DEVICES: Final[tuple[KnownDevice, ...]] = (
    KnownDevice(
        "KingSmith WalkingPad: ignores Set Target Speed until the belt runs (~2.5 s spin-up)",
        # KingSmith pads advertise "KS-<model>" names; the manufacturer string may be absent.
        _pattern(r"king\s*smith|walking\s*pad|^ks-"),
        DeviceQuirks(start_before_speed=True, wait_for_belt_s=2.5),
    ),
    KnownDevice(
        "Horizon 7.0AT and T202: Set Target Speed parameter in 0.01 mph",
        _pattern(r"\b7\.0\s*at\b|\bt202\b"),
        DeviceQuirks(speed_unit=SpeedUnit.MPH),
    ),
    KnownDevice(
        "Bowflex T9: Set Target Speed parameter in 0.01 mph",
        # "T9" alone is too common a token, so the brand must appear in one of the strings too.
        _pattern(r"bowflex.*\bt\s?9\b|\bt\s?9\b.*bowflex"),
        DeviceQuirks(speed_unit=SpeedUnit.MPH),
    ),
)


def quirks_for(manufacturer: str | None, model: str | None, local_name: str | None) -> DeviceQuirks:
    """Return the quirks of the first known device matching these strings, else the defaults."""
    text = "\n".join(part or "" for part in (manufacturer, model, local_name))
    for device in KNOWN_DEVICES:
        if device.pattern.search(text):
            return device.quirks
    return DeviceQuirks()

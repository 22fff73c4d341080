"""The user's options of one treadmill, read into typed values."""

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from homeassistant.const import CONF_NAME, UnitOfSpeed
from homeassistant.core import HomeAssistant
from homeassistant.util.unit_system import US_CUSTOMARY_SYSTEM

from .const import (
    CONF_DEVICE_INFORMATION,
    CONF_HEART_RATE_ENTITY,
    CONF_HEART_RATE_LIMIT,
    CONF_LEVEL,
    CONF_MAX_BACKWARD_SPEED,
    CONF_MAX_FORWARD_SPEED,
    CONF_MAX_INCLINE,
    CONF_MAX_SESSION_MINUTES,
    CONF_PRESENCE_ENTITY,
    CONF_PRESENCE_TIMEOUT,
    CONF_QUIRK_REQUEST_CONTROL_EACH,
    CONF_QUIRK_SPEED_IN_MPH,
    CONF_SPEED_UNIT,
    CONF_TURNAROUND_TIMEOUT,
    SECTION_DEVICE,
    SECTION_PROGRAM,
    SECTION_SAFETY,
    SpeedUnitPreference,
)
from .ftms import DeviceQuirks, RequestControlMode, SpeedUnit, quirks_for
from .program import Level
from .program.limits import KMH_PER_MPH, SafetyLimits


@dataclass(frozen=True, slots=True)
class RetroWalkOptions:
    """Options as stored: speeds in km/h, durations in seconds.

    The options flow validated every value when it was saved, so reading never fails; a key
    that is missing (an entry from before the option existed) takes its default.
    """

    speed_unit: SpeedUnitPreference = SpeedUnitPreference.AUTO
    limits: SafetyLimits = field(default_factory=SafetyLimits)
    level: Level = Level.BEGINNER
    heart_rate_entity: str | None = None
    presence_entity: str | None = None
    # None: use what is known about the model (ftms.quirks_for).
    speed_in_mph: bool | None = None
    request_control_before_each: bool | None = None

    @classmethod
    def from_mapping(cls, options: Mapping[str, Any]) -> RetroWalkOptions:
        """Read stored options."""
        safety: Mapping[str, Any] = options.get(SECTION_SAFETY, {})
        program: Mapping[str, Any] = options.get(SECTION_PROGRAM, {})
        device: Mapping[str, Any] = options.get(SECTION_DEVICE, {})
        defaults = SafetyLimits()
        heart_rate_limit = safety.get(CONF_HEART_RATE_LIMIT)
        limits = SafetyLimits(
            backward_speed_kmh=safety.get(CONF_MAX_BACKWARD_SPEED, defaults.backward_speed_kmh),
            forward_speed_kmh=safety.get(CONF_MAX_FORWARD_SPEED, defaults.forward_speed_kmh),
            incline_pct=safety.get(CONF_MAX_INCLINE, defaults.incline_pct),
            max_session_s=safety.get(CONF_MAX_SESSION_MINUTES, defaults.max_session_s / 60) * 60,
            max_heart_rate_bpm=int(heart_rate_limit) if heart_rate_limit else None,
            presence_lost_s=safety.get(CONF_PRESENCE_TIMEOUT, defaults.presence_lost_s),
            turnaround_wait_s=safety.get(CONF_TURNAROUND_TIMEOUT, defaults.turnaround_wait_s / 60)
            * 60,
        )
        return cls(
            speed_unit=SpeedUnitPreference(options.get(CONF_SPEED_UNIT, SpeedUnitPreference.AUTO)),
            limits=limits,
            level=Level(program.get(CONF_LEVEL, Level.BEGINNER)),
            heart_rate_entity=options.get(CONF_HEART_RATE_ENTITY) or None,
            presence_entity=options.get(CONF_PRESENCE_ENTITY) or None,
            speed_in_mph=device.get(CONF_QUIRK_SPEED_IN_MPH),
            request_control_before_each=device.get(CONF_QUIRK_REQUEST_CONTROL_EACH),
        )

    def quirks(self, known: DeviceQuirks) -> DeviceQuirks:
        """The quirks to apply: what is known about the model, overridden by the user."""
        quirks = known
        if self.speed_in_mph is not None:
            quirks = replace(
                quirks, speed_unit=SpeedUnit.MPH if self.speed_in_mph else SpeedUnit.KMH
            )
        if self.request_control_before_each is not None:
            quirks = replace(
                quirks,
                request_control=(
                    RequestControlMode.BEFORE_EACH
                    if self.request_control_before_each
                    else RequestControlMode.ONCE
                ),
            )
        return quirks

    def speed_unit_for(self, hass: HomeAssistant) -> UnitOfSpeed:
        """The unit speeds are shown and entered in."""
        match self.speed_unit:
            case SpeedUnitPreference.KMH:
                return UnitOfSpeed.KILOMETERS_PER_HOUR
            case SpeedUnitPreference.MPH:
                return UnitOfSpeed.MILES_PER_HOUR
            case _:
                if hass.config.units is US_CUSTOMARY_SYSTEM:
                    return UnitOfSpeed.MILES_PER_HOUR
                return UnitOfSpeed.KILOMETERS_PER_HOUR


def known_quirks(entry_data: Mapping[str, Any]) -> DeviceQuirks:
    """What is known about the treadmill's model, from what it said when it was added."""
    info: Mapping[str, Any] = entry_data.get(CONF_DEVICE_INFORMATION, {})
    return quirks_for(info.get("manufacturer"), info.get("model"), entry_data.get(CONF_NAME))


def to_kmh(value: float, unit: UnitOfSpeed) -> float:
    """A speed in km/h."""
    return value * KMH_PER_MPH if unit == UnitOfSpeed.MILES_PER_HOUR else value


def from_kmh(kmh: float, unit: UnitOfSpeed) -> float:
    """A speed in km/h expressed in ``unit``."""
    return kmh / KMH_PER_MPH if unit == UnitOfSpeed.MILES_PER_HOUR else kmh

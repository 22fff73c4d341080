"""The user's options of one treadmill, read into typed values."""

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import tzinfo
from typing import Any

from homeassistant.const import CONF_NAME, UnitOfSpeed
from homeassistant.core import HomeAssistant
from homeassistant.util.unit_system import US_CUSTOMARY_SYSTEM

from .const import (
    CONF_DEVICE_INFORMATION,
    CONF_FOLLOW_PROGRESSION,
    CONF_GOAL_MINUTES,
    CONF_GOAL_SESSIONS,
    CONF_HEART_RATE_ENTITY,
    CONF_HEART_RATE_LIMIT,
    CONF_LEVEL,
    CONF_MAX_BACKWARD_SPEED,
    CONF_MAX_FORWARD_SPEED,
    CONF_MAX_INCLINE,
    CONF_MAX_SESSION_MINUTES,
    CONF_MIN_SESSION_MINUTES,
    CONF_PRESENCE_ENTITY,
    CONF_PRESENCE_TIMEOUT,
    CONF_QUIRK_REQUEST_CONTROL_EACH,
    CONF_QUIRK_SPEED_IN_MPH,
    CONF_SPEED_UNIT,
    CONF_TURNAROUND_TIMEOUT,
    CONF_WEEK_START,
    SECTION_DEVICE,
    SECTION_PROGRAM,
    SECTION_SAFETY,
    SECTION_WEEKLY,
    WEEKDAYS,
    SpeedUnitPreference,
)
from .ftms import DeviceQuirks, RequestControlMode, SpeedUnit, quirks_for
from .program import Level, ProgramError
from .program.errors import SPEED_PLACEHOLDERS, format_number
from .program.limits import KMH_PER_MPH, SafetyLimits
from .progress import WeekSettings
from .progress.weekly import DEFAULT_GOAL_SESSIONS, DEFAULT_MIN_BACKWARD_MINUTES_FOR_SESSION


@dataclass(frozen=True, slots=True)
class WeeklyOptions:
    """The weekly goal and how weeks and retro sessions are counted.

    ``goal_sessions`` and ``goal_minutes`` may each be None (no such goal); the options flow
    refuses to store neither. ``week_start`` is 0 (Monday) to 6 (Sunday).
    """

    goal_sessions: int | None = DEFAULT_GOAL_SESSIONS
    goal_minutes: float | None = None
    week_start: int = 0
    min_backward_minutes: float = DEFAULT_MIN_BACKWARD_MINUTES_FOR_SESSION
    follow_progression: bool = True

    @classmethod
    def from_mapping(cls, weekly: Mapping[str, Any]) -> WeeklyOptions:
        """Read the stored weekly section; 0 sessions or no minutes mean "no such goal"."""
        sessions = weekly.get(CONF_GOAL_SESSIONS, DEFAULT_GOAL_SESSIONS)
        minutes = weekly.get(CONF_GOAL_MINUTES)
        week_start = weekly.get(CONF_WEEK_START, WEEKDAYS[0])
        return cls(
            goal_sessions=int(sessions) if sessions else None,
            goal_minutes=float(minutes) if minutes else None,
            week_start=WEEKDAYS.index(week_start) if week_start in WEEKDAYS else 0,
            min_backward_minutes=float(
                weekly.get(CONF_MIN_SESSION_MINUTES, DEFAULT_MIN_BACKWARD_MINUTES_FOR_SESSION)
            ),
            follow_progression=bool(weekly.get(CONF_FOLLOW_PROGRESSION, True)),
        )

    def week_settings(self, time_zone: tzinfo) -> WeekSettings:
        """The settings the weekly figures are computed with."""
        goal_sessions = self.goal_sessions
        if goal_sessions is None and self.goal_minutes is None:
            # Only a hand-edited entry gets here: fall back to the default goal.
            goal_sessions = DEFAULT_GOAL_SESSIONS
        return WeekSettings(
            time_zone=time_zone,
            goal_sessions=goal_sessions,
            goal_minutes=self.goal_minutes,
            week_start=self.week_start,
            min_backward_minutes_for_session=self.min_backward_minutes,
        )


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
    weekly: WeeklyOptions = field(default_factory=WeeklyOptions)

    @classmethod
    def from_mapping(cls, options: Mapping[str, Any]) -> RetroWalkOptions:
        """Read stored options."""
        safety: Mapping[str, Any] = options.get(SECTION_SAFETY, {})
        program: Mapping[str, Any] = options.get(SECTION_PROGRAM, {})
        device: Mapping[str, Any] = options.get(SECTION_DEVICE, {})
        weekly: Mapping[str, Any] = options.get(SECTION_WEEKLY, {})
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
            weekly=WeeklyOptions.from_mapping(weekly),
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


def format_speed(kmh: float, unit: UnitOfSpeed) -> str:
    """A speed in km/h for a message: in ``unit``, to at most two decimals."""
    return format_number(from_kmh(kmh, unit))


def error_placeholders(error: ProgramError, unit: UnitOfSpeed) -> dict[str, str]:
    """The placeholders of a program error's message, with its speeds in ``unit``.

    A message that quotes speeds also gets ``unit``, the unit's name ("km/h" or "mph").
    """
    speeds = SPEED_PLACEHOLDERS.get(error.code, frozenset())
    if not speeds:
        return dict(error.placeholders)
    return {
        **error.placeholders,
        **{name: format_speed(error.values[name], unit) for name in speeds},
        "unit": unit.value,
    }

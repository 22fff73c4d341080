"""Constants for the RetroWalk integration."""

from datetime import timedelta
from enum import StrEnum
from typing import Final

from homeassistant.const import Platform

DOMAIN: Final = "retrowalk"
EVENT_SAFETY_STOP: Final = "retrowalk_safety_stop"

PLATFORMS: Final = [
    Platform.BINARY_SENSOR,
    Platform.BUTTON,
    Platform.EVENT,
    Platform.NUMBER,
    Platform.SENSOR,
    Platform.SWITCH,
]

# How long a configuration-flow probe may take: connect, read, disconnect.
PROBE_TIMEOUT: Final = 30.0
# While the treadmill is disconnected but still heard, reconnecting is retried this often.
RECONNECT_WATCHDOG_INTERVAL: Final = timedelta(seconds=15)

# Slow counters (distance, energy, steps, time) are written at most this often; live values
# (speed, incline, heart rate, status) are written as soon as they change.
SLOW_COUNTER_WRITE_INTERVAL: Final = 5.0

CONF_DEVICE_INFORMATION: Final = "device_information"
CONF_SPEED_UNIT: Final = "speed_unit"
CONF_HEART_RATE_ENTITY: Final = "heart_rate_entity"
CONF_PRESENCE_ENTITY: Final = "presence_entity"
CONF_QUIRK_SPEED_IN_MPH: Final = "quirk_speed_in_mph"
CONF_QUIRK_REQUEST_CONTROL_EACH: Final = "quirk_request_control_before_each"

SECTION_SAFETY: Final = "safety"
SECTION_PROGRAM: Final = "program"
SECTION_DEVICE: Final = "device"

CONF_MAX_BACKWARD_SPEED: Final = "max_backward_speed"
CONF_MAX_FORWARD_SPEED: Final = "max_forward_speed"
CONF_MAX_INCLINE: Final = "max_incline"
CONF_MAX_SESSION_MINUTES: Final = "max_session_minutes"
CONF_HEART_RATE_LIMIT: Final = "heart_rate_limit"
CONF_PRESENCE_TIMEOUT: Final = "presence_timeout"
CONF_TURNAROUND_TIMEOUT: Final = "turnaround_timeout"
CONF_LEVEL: Final = "level"


class SpeedUnitPreference(StrEnum):
    """Which unit speeds are shown and entered in."""

    AUTO = "auto"
    KMH = "km/h"
    MPH = "mph"

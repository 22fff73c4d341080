"""Constants for the RetroWalk integration."""

from datetime import timedelta
from enum import StrEnum
from typing import Final

from homeassistant.const import Platform

DOMAIN: Final = "retrowalk"
EVENT_SAFETY_STOP: Final = "retrowalk_safety_stop"
EVENT_SESSION_ENDED: Final = "retrowalk_session_ended"

PLATFORMS: Final = [
    Platform.BINARY_SENSOR,
    Platform.BUTTON,
    Platform.EVENT,
    Platform.NUMBER,
    Platform.SELECT,
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
SECTION_WEEKLY: Final = "weekly"

CONF_MAX_BACKWARD_SPEED: Final = "max_backward_speed"
CONF_MAX_FORWARD_SPEED: Final = "max_forward_speed"
CONF_MAX_INCLINE: Final = "max_incline"
CONF_MAX_SESSION_MINUTES: Final = "max_session_minutes"
CONF_HEART_RATE_LIMIT: Final = "heart_rate_limit"
CONF_PRESENCE_TIMEOUT: Final = "presence_timeout"
CONF_TURNAROUND_TIMEOUT: Final = "turnaround_timeout"
CONF_LEVEL: Final = "level"

CONF_GOAL_SESSIONS: Final = "goal_sessions"
CONF_GOAL_MINUTES: Final = "goal_minutes"
CONF_WEEK_START: Final = "week_start"
CONF_MIN_SESSION_MINUTES: Final = "min_backward_minutes"
CONF_FOLLOW_PROGRESSION: Final = "follow_progression"

# Weekly figures and the session history's Store are brought up to date at least this often
# while the belt moves, so a crash costs at most this much walking.
TRACKING_SAVE_INTERVAL: Final = timedelta(seconds=60)
# A belt that stands still this long outside a program ends the session (treadmills that do
# not report a stop on the console); a stop reported by the treadmill ends it at once.
MANUAL_SESSION_IDLE_END: Final = timedelta(minutes=5)

WEEKDAYS: Final = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


class SpeedUnitPreference(StrEnum):
    """Which unit speeds are shown and entered in."""

    AUTO = "auto"
    KMH = "km/h"
    MPH = "mph"

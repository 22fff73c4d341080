"""Errors of the program package.

Every error carries a stable ``code`` and string ``placeholders`` so that the Home Assistant
layer can raise a translated ``ServiceValidationError`` (``translation_key=error.code``, the
placeholders as ``translation_placeholders``) without parsing messages.

Speeds are in km/h throughout the package, and so are the speed placeholders. The codes whose
messages quote speeds name them in :data:`SPEED_PLACEHOLDERS`, and each error keeps its
numbers unrounded in ``values``, so that the Home Assistant layer can show those speeds in the
user's unit instead (its messages then also get a ``unit`` placeholder).
"""

from collections.abc import Mapping
from enum import StrEnum
import math
from types import MappingProxyType
from typing import Final


class ErrorCode(StrEnum):
    """The codes of :class:`ProgramError`; the comment lists each code's placeholders.

    Placeholders marked * are speeds in km/h, as :data:`SPEED_PLACEHOLDERS` declares.
    """

    # Safety limits and device description.
    INVALID_NUMBER = "invalid_number"  # field, value
    LIMIT_ABOVE_CEILING = "limit_above_ceiling"  # limit, value, ceiling
    LIMIT_BELOW_MINIMUM = "limit_below_minimum"  # limit, value, minimum
    DEVICE_RANGE_INVALID = "device_range_invalid"  # quantity, minimum, maximum, increment
    DEVICE_SPEED_MINIMUM_ABOVE_LIMIT = "device_speed_minimum_above_limit"  # minimum*, limit*
    DEVICE_INCLINE_MINIMUM_ABOVE_LIMIT = "device_incline_minimum_above_limit"  # minimum, limit
    SPEED_INCREMENT_TOO_COARSE = "speed_increment_too_coarse"  # increment*, maximum*
    RAMP_STEP_OUT_OF_RANGE = "ramp_step_out_of_range"  # setting, value, maximum
    RAMP_INTERVAL_TOO_SHORT = "ramp_interval_too_short"  # setting, value, minimum
    # Plans.
    UNKNOWN_LEVEL = "unknown_level"  # level
    EMPTY_PLAN = "empty_plan"  # (none)
    NO_BACKWARD_SEGMENT = "no_backward_segment"  # (none)
    INVALID_PHASE = "invalid_phase"  # segment, phase, direction
    MISSING_TURNAROUND = "missing_turnaround"  # segment
    MISPLACED_TURNAROUND = "misplaced_turnaround"  # segment
    DURATION_TOO_SHORT = "duration_too_short"  # segment, phase, duration_s, minimum_s
    SESSION_TOO_LONG = "session_too_long"  # total_minutes, limit_minutes
    SPEED_NOT_POSITIVE = "speed_not_positive"  # segment, phase, speed*
    TOO_FAST_BACKWARD = "too_fast_backward"  # segment, phase, speed*, limit*
    SPEED_ABOVE_LIMIT = "speed_above_limit"  # segment, phase, speed*, limit*
    INCLINE_OUT_OF_RANGE = "incline_out_of_range"  # segment, phase, incline, minimum, maximum
    INCLINE_DELAY_NEGATIVE = "incline_delay_negative"  # segment, phase, delay_s


SPEED_PLACEHOLDERS: Final[Mapping[ErrorCode, frozenset[str]]] = MappingProxyType(
    {
        ErrorCode.DEVICE_SPEED_MINIMUM_ABOVE_LIMIT: frozenset({"minimum", "limit"}),
        ErrorCode.SPEED_INCREMENT_TOO_COARSE: frozenset({"increment", "maximum"}),
        ErrorCode.SPEED_NOT_POSITIVE: frozenset({"speed"}),
        ErrorCode.TOO_FAST_BACKWARD: frozenset({"speed", "limit"}),
        ErrorCode.SPEED_ABOVE_LIMIT: frozenset({"speed", "limit"}),
    }
)
"""The placeholders of each code that are speeds in km/h; a code not listed quotes none."""


def format_number(value: float) -> str:
    """Format a number for a message placeholder: at most two decimals, no trailing zeros."""
    if not math.isfinite(value):
        return str(value)
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _placeholder(value: object) -> str:
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | float):
        return format_number(float(value))
    return str(value)


class ProgramError(Exception):
    """Base of the program package's errors: a code and its message placeholders.

    ``placeholders`` are all formatted as strings (speeds in km/h); ``values`` keeps the
    numeric ones unrounded, so that a speed can be shown in another unit.
    """

    def __init__(self, code: ErrorCode, /, **placeholders: object) -> None:
        """Keep the code and the placeholders, formatted as strings and as numbers."""
        self.code = code
        self.values: Mapping[str, float] = MappingProxyType(
            {
                key: float(value)
                for key, value in placeholders.items()
                if isinstance(value, int | float) and not isinstance(value, bool)
            }
        )
        self.placeholders: dict[str, str] = {
            key: _placeholder(value) for key, value in placeholders.items()
        }
        details = ", ".join(f"{key}={value}" for key, value in self.placeholders.items())
        super().__init__(f"{code.value}: {details}" if details else code.value)


class LimitError(ProgramError, ValueError):
    """A safety limit, device range or ramp setting that cannot be used."""


class PlanError(ProgramError, ValueError):
    """A plan that breaks a rule of retro walking or of the safety limits."""

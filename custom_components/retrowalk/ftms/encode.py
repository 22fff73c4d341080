"""Encoding of Fitness Machine Control Point (0x2AD9) writes.

Values are rounded to the nearest unit of the field (half away from zero), in decimal, so that
1.15 km/h goes out as 115 and not as the 114 that ``int(1.15 * 100)`` gives. A value outside the
field's type raises ValueError.
"""

from decimal import ROUND_HALF_UP, Decimal
import math
from typing import Final

from .const import KMH_PER_MPH, ControlOp, StopOrPause
from .quirks import SpeedUnit

_UINT16_MAX: Final = 0xFFFF
_SINT16_MIN: Final = -0x8000
_SINT16_MAX: Final = 0x7FFF
_KMH_PER_MPH_DECIMAL: Final = Decimal(repr(KMH_PER_MPH))


def _decimal(value: float, what: str) -> Decimal:
    if not math.isfinite(value):
        raise ValueError(f"{what} must be a finite number, got {value!r}")
    # repr() is the shortest string that reads back as the same float: the number the caller
    # wrote, without the binary representation error.
    return Decimal(repr(float(value)))


def _field_units(value: Decimal, per_unit: int) -> int:
    return int((value * per_unit).to_integral_value(rounding=ROUND_HALF_UP))


def _check_range(units: int, low: int, high: int, what: str, shown: float) -> int:
    if not low <= units <= high:
        raise ValueError(f"{what} {shown!r} is outside the range of its field")
    return units


def encode_request_control() -> bytes:
    """Request Control (op 00)."""
    return bytes((ControlOp.REQUEST_CONTROL,))


def encode_reset() -> bytes:
    """Reset (op 01)."""
    return bytes((ControlOp.RESET,))


def encode_start_resume() -> bytes:
    """Start or Resume (op 07)."""
    return bytes((ControlOp.START_OR_RESUME,))


def encode_stop() -> bytes:
    """Stop or Pause (op 08) with parameter 01, stop."""
    return bytes((ControlOp.STOP_OR_PAUSE, StopOrPause.STOP))


def encode_pause() -> bytes:
    """Stop or Pause (op 08) with parameter 02, pause."""
    return bytes((ControlOp.STOP_OR_PAUSE, StopOrPause.PAUSE))


def encode_set_target_speed(kmh: float, *, speed_unit: SpeedUnit = SpeedUnit.KMH) -> bytes:
    """Set Target Speed (op 02): uint16 in 0.01 km/h, or 0.01 mph for machines with that quirk.

    Raises ValueError for a speed that is not finite or does not fit the field.
    """
    speed = _decimal(kmh, "speed")
    if speed_unit is SpeedUnit.MPH:
        speed /= _KMH_PER_MPH_DECIMAL
    units = _check_range(_field_units(speed, 100), 0, _UINT16_MAX, "speed", kmh)
    return bytes((ControlOp.SET_TARGET_SPEED,)) + units.to_bytes(2, "little")


def encode_set_target_inclination(pct: float) -> bytes:
    """Set Target Inclination (op 03): sint16 in 0.1 %.

    Raises ValueError for an inclination that is not finite or does not fit the field.
    """
    units = _field_units(_decimal(pct, "inclination"), 10)
    _check_range(units, _SINT16_MIN, _SINT16_MAX, "inclination", pct)
    return bytes((ControlOp.SET_TARGET_INCLINATION,)) + units.to_bytes(2, "little", signed=True)

"""Safety limits, the treadmill's own ranges, and fitting a target to both.

The numbers come from the retro-walking practice guides (docs: shared/retro-walking.md): each
user-settable limit has a default and a ceiling that no setting may exceed.
"""

from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_DOWN, Decimal
from enum import Enum
import math
from typing import Final

from .errors import ErrorCode, LimitError
from .plan import WalkingDirection

MAX_SPEED_STEP_KMH: Final = 0.5
"""No single speed command may change the belt speed by more than this."""

MAX_PAUSE_S: Final = 5 * 60.0
"""A pause longer than this ends the program."""

KMH_PER_MPH: Final = 1.609344


@dataclass(frozen=True, slots=True)
class LimitBounds:
    """The default, the lowest allowed setting and the ceiling of one safety limit."""

    default: float
    minimum: float
    ceiling: float


BACKWARD_SPEED_KMH: Final = LimitBounds(default=3.2, minimum=0.5, ceiling=5.6)
FORWARD_SPEED_KMH: Final = LimitBounds(default=4.0, minimum=0.5, ceiling=6.0)
INCLINE_PCT: Final = LimitBounds(default=3.0, minimum=0.0, ceiling=10.0)
SESSION_S: Final = LimitBounds(default=45 * 60.0, minimum=60.0, ceiling=90 * 60.0)
PRESENCE_LOST_S: Final = LimitBounds(default=5.0, minimum=0.0, ceiling=30.0)
TURNAROUND_WAIT_S: Final = LimitBounds(default=2 * 60.0, minimum=30.0, ceiling=10 * 60.0)
# The heart-rate limit is off by default and otherwise the user's choice; the bounds only
# reject numbers no heart reaches, such as a typing slip.
HEART_RATE_BPM: Final = LimitBounds(default=0.0, minimum=40.0, ceiling=250.0)


def require_finite(field: str, value: float) -> None:
    """Raise ``invalid_number`` when ``value`` is NaN or infinite."""
    if not math.isfinite(value):
        raise LimitError(ErrorCode.INVALID_NUMBER, field=field, value=value)


def _check_limit(limit: str, value: float, bounds: LimitBounds) -> None:
    require_finite(limit, value)
    if value > bounds.ceiling:
        raise LimitError(
            ErrorCode.LIMIT_ABOVE_CEILING, limit=limit, value=value, ceiling=bounds.ceiling
        )
    if value < bounds.minimum:
        raise LimitError(
            ErrorCode.LIMIT_BELOW_MINIMUM, limit=limit, value=value, minimum=bounds.minimum
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class SafetyLimits:
    """The user's safety limits; construction rejects any value outside its bounds."""

    backward_speed_kmh: float = BACKWARD_SPEED_KMH.default
    forward_speed_kmh: float = FORWARD_SPEED_KMH.default
    incline_pct: float = INCLINE_PCT.default
    max_session_s: float = SESSION_S.default
    max_heart_rate_bpm: int | None = None
    presence_lost_s: float = PRESENCE_LOST_S.default
    turnaround_wait_s: float = TURNAROUND_WAIT_S.default

    def __post_init__(self) -> None:
        """Reject limits above their ceiling or below their minimum."""
        _check_limit("backward_speed_kmh", self.backward_speed_kmh, BACKWARD_SPEED_KMH)
        _check_limit("forward_speed_kmh", self.forward_speed_kmh, FORWARD_SPEED_KMH)
        _check_limit("incline_pct", self.incline_pct, INCLINE_PCT)
        _check_limit("max_session_s", self.max_session_s, SESSION_S)
        _check_limit("presence_lost_s", self.presence_lost_s, PRESENCE_LOST_S)
        _check_limit("turnaround_wait_s", self.turnaround_wait_s, TURNAROUND_WAIT_S)
        if self.max_heart_rate_bpm is not None:
            _check_limit("max_heart_rate_bpm", self.max_heart_rate_bpm, HEART_RATE_BPM)

    def speed_limit_kmh(self, direction: WalkingDirection) -> float:
        """Return the highest speed a program may command when walking in ``direction``."""
        if direction is WalkingDirection.BACKWARD:
            return self.backward_speed_kmh
        return self.forward_speed_kmh


DEFAULT_LIMITS: Final = SafetyLimits()
"""The limits with every default from the practice guides."""


class Rounding(Enum):
    """How :meth:`DeviceRange.snap` picks a value on the device's grid."""

    NEAREST = "nearest"
    """The nearest value; a tie goes to the lower value, the gentler one."""
    DOWN = "down"
    UP = "up"


_ROUNDING_MODES: Final = {
    Rounding.NEAREST: ROUND_HALF_DOWN,
    Rounding.DOWN: ROUND_FLOOR,
    Rounding.UP: ROUND_CEILING,
}
# Float arithmetic leaves noise such as 1.0999999999999999; grid positions are rounded to this
# many places before flooring or ceiling so that noise never moves a value by a whole increment.
_GRID_NOISE: Final = Decimal("1e-9")


def _decimal(value: float) -> Decimal:
    # repr gives the shortest text that round-trips, so 0.1 becomes exactly Decimal("0.1").
    return Decimal(repr(float(value)))


@dataclass(frozen=True, slots=True)
class DeviceRange:
    """A range the treadmill reports: the settable values are ``minimum + k * increment``."""

    minimum: float
    maximum: float
    increment: float
    quantity: str = "speed"

    def __post_init__(self) -> None:
        """Reject a range that has no usable grid."""
        values = (self.minimum, self.maximum, self.increment)
        if (
            not all(math.isfinite(value) for value in values)
            or self.increment <= 0
            or self.minimum > self.maximum
        ):
            raise LimitError(
                ErrorCode.DEVICE_RANGE_INVALID,
                quantity=self.quantity,
                minimum=self.minimum,
                maximum=self.maximum,
                increment=self.increment,
            )

    def snap(
        self,
        value: float,
        *,
        lower: float | None = None,
        upper: float | None = None,
        rounding: Rounding = Rounding.NEAREST,
    ) -> float | None:
        """Return the grid value for ``value`` within the range and ``[lower, upper]``.

        Rounds to the increment (never truncates), then clamps to the lowest grid value at or
        above ``lower`` and the highest at or below ``upper``. Returns None when no grid value
        lies within the bounds.
        """
        require_finite(self.quantity, value)
        minimum = _decimal(self.minimum)
        increment = _decimal(self.increment)

        def position(bound: float) -> Decimal:
            return ((_decimal(bound) - minimum) / increment).quantize(_GRID_NOISE)

        highest = int(position(self.maximum).to_integral_value(ROUND_FLOOR))
        lowest = 0
        if lower is not None and lower > self.minimum:
            lowest = int(position(lower).to_integral_value(ROUND_CEILING))
        if upper is not None:
            highest = min(highest, int(position(upper).to_integral_value(ROUND_FLOOR)))
        if lowest > highest:
            return None
        index = int(position(value).to_integral_value(_ROUNDING_MODES[rounding]))
        index = max(lowest, min(highest, index))
        return float(minimum + index * increment)


@dataclass(frozen=True, slots=True)
class DeviceLimits:
    """What the treadmill supports: its speed range, and its incline range if it has one."""

    speed: DeviceRange
    incline: DeviceRange | None = None

    def __post_init__(self) -> None:
        """Reject a negative speed minimum: a belt does not run backwards."""
        if self.speed.minimum < 0:
            raise LimitError(
                ErrorCode.DEVICE_RANGE_INVALID,
                quantity="speed",
                minimum=self.speed.minimum,
                maximum=self.speed.maximum,
                increment=self.speed.increment,
            )

    @property
    def lowest_moving_speed_kmh(self) -> float:
        """The lowest settable speed above zero: where every belt start begins."""
        if self.speed.minimum > 0:
            return self.speed.minimum
        steps = math.floor(-self.speed.minimum / self.speed.increment + 1e-9) + 1
        return float(_decimal(self.speed.minimum) + steps * _decimal(self.speed.increment))

    @property
    def incline_floor_pct(self) -> float | None:
        """The settable incline closest to level ground (None without incline support)."""
        if self.incline is None:
            return None
        return self.incline.snap(0.0, lower=0.0)

    def fit_speed(self, kmh: float, ceiling: float) -> float:
        """Return ``kmh`` on the device grid, at least the lowest moving speed, at most ``ceiling``.

        Raises ``device_speed_minimum_above_limit`` when the device cannot run that slowly.
        """
        lowest = self.lowest_moving_speed_kmh
        fitted = self.speed.snap(kmh, lower=lowest, upper=ceiling)
        if fitted is None:
            raise LimitError(
                ErrorCode.DEVICE_SPEED_MINIMUM_ABOVE_LIMIT, minimum=lowest, limit=ceiling
            )
        return fitted

    def fit_incline(self, pct: float, ceiling: float) -> float | None:
        """Return ``pct`` on the device grid between level (0 %) and ``ceiling``.

        Returns None when the device has no incline. Raises
        ``device_incline_minimum_above_limit`` when its lowest incline is above ``ceiling``.
        """
        if self.incline is None:
            return None
        fitted = self.incline.snap(pct, lower=0.0, upper=ceiling)
        if fitted is None:
            raise LimitError(
                ErrorCode.DEVICE_INCLINE_MINIMUM_ABOVE_LIMIT,
                minimum=max(self.incline.minimum, 0.0),
                limit=ceiling,
            )
        return fitted


def check_device(device: DeviceLimits, limits: SafetyLimits) -> None:
    """Raise when a program cannot respect ``limits`` on ``device``.

    A speed increment coarser than the largest allowed speed step makes every change a jump
    that is too big; a lowest speed above either speed limit leaves nothing to walk at.
    """
    if device.speed.increment > MAX_SPEED_STEP_KMH + 1e-9:
        raise LimitError(
            ErrorCode.SPEED_INCREMENT_TOO_COARSE,
            increment=device.speed.increment,
            maximum=MAX_SPEED_STEP_KMH,
        )
    device.fit_speed(0.0, min(limits.backward_speed_kmh, limits.forward_speed_kmh))
    device.fit_incline(0.0, limits.incline_pct)

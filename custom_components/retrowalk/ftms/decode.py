"""Decoding of FTMS characteristic values into frozen dataclasses.

Every parser takes the raw value (``bytes`` or the ``bytearray`` bleak hands over) and returns a
frozen dataclass in public units (km/h, %, metres, seconds, kcal, bpm). Real firmwares bend the
specification (see ``shared/ftms/README.md``), so the parsers are lenient by design:

- A field that is absent, or holds its "not available" value (all ones for unsigned types,
  0x7FFF for sint16), is ``None``. Zero is a value: idle machines send zeros and some firmwares
  send "not available" energy as 0, which decodes as 0. A heart rate of 0 (no contact) stays 0;
  the Home Assistant layer decides how to show it.
- Bit 13 of Treadmill Data, reserved in FTMS 1.0, is read as the uint24 step count that walking
  pads send there.
- Trailing bytes are ignored, reserved op and status codes are kept as plain ``int``.
- A packet shorter than its flags imply keeps every field completed before the end and is marked
  ``truncated``.

``FtmsDecodeError`` is the only exception: it means the input is too short (or of the wrong
kind) to mean anything at all.
"""

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from .const import (
    ControlOp,
    MachineFeature,
    MachineStatusOp,
    StopOrPause,
    TargetSettingFeature,
    TreadmillDataFlag,
)
from .errors import FtmsDecodeError

if TYPE_CHECKING:
    from collections.abc import Iterable

type RawValue = bytes | bytearray
"""A characteristic value as bleak delivers it."""

_SINT16_NOT_AVAILABLE: Final = 0x7FFF
_NEVER_NOT_AVAILABLE: Final = -1
"""For fields without a "not available" value: no raw value equals it."""


def _unsigned_not_available(size: int) -> int:
    return (1 << (8 * size)) - 1


@dataclass(frozen=True, slots=True, kw_only=True)
class TreadmillData:
    """One Treadmill Data record (0x2ACD); ``None`` marks an absent or unavailable field."""

    flags: int = 0
    """The raw flag bits (for a merged record: all parts' bits, More Data cleared)."""
    speed_kmh: float | None = None
    average_speed_kmh: float | None = None
    total_distance_m: int | None = None
    """As sent; some machines put a lifetime odometer here, so derive session distance."""
    inclination_pct: float | None = None
    ramp_angle_deg: float | None = None
    positive_elevation_gain_m: float | None = None
    negative_elevation_gain_m: float | None = None
    instantaneous_pace_km_min: float | None = None
    average_pace_km_min: float | None = None
    total_energy_kcal: int | None = None
    energy_per_hour_kcal: int | None = None
    energy_per_minute_kcal: int | None = None
    heart_rate_bpm: int | None = None
    """0 is what treadmills send without hand contact; it is kept as 0 here."""
    metabolic_equivalent: float | None = None
    elapsed_time_s: int | None = None
    remaining_time_s: int | None = None
    force_on_belt_n: int | None = None
    power_output_w: int | None = None
    step_count: int | None = None
    """Vendor extension on flag bit 13 (walking pads), uint24."""
    more_data: bool = False
    """More Data flag: further notifications complete this record."""
    truncated: bool = False
    """The packet ended before all fields its flags announce."""


# (field name, size in bytes, signed, divisor to public units, raw "not available" value)
type _FieldSpec = tuple[str, int, bool, int, int]


def _unsigned(name: str, size: int, divisor: int = 1) -> _FieldSpec:
    return (name, size, False, divisor, _unsigned_not_available(size))


def _sint16(name: str, divisor: int = 1) -> _FieldSpec:
    return (name, 2, True, divisor, _SINT16_NOT_AVAILABLE)


# The Treadmill Data layout: for each flag bit, the fields it announces, in wire order.
# Bit 0 is the exception: instantaneous speed is present when it is CLEAR.
_TREADMILL_FIELDS: Final[tuple[tuple[int, tuple[_FieldSpec, ...]], ...]] = (
    (0, (_unsigned("speed_kmh", 2, 100),)),
    (1, (_unsigned("average_speed_kmh", 2, 100),)),
    (2, (_unsigned("total_distance_m", 3),)),
    (3, (_sint16("inclination_pct", 10), _sint16("ramp_angle_deg", 10))),
    (
        4,
        (
            _unsigned("positive_elevation_gain_m", 2, 10),
            _unsigned("negative_elevation_gain_m", 2, 10),
        ),
    ),
    (5, (_unsigned("instantaneous_pace_km_min", 1, 10),)),
    (6, (_unsigned("average_pace_km_min", 1, 10),)),
    (
        7,
        (
            _unsigned("total_energy_kcal", 2),
            _unsigned("energy_per_hour_kcal", 2),
            _unsigned("energy_per_minute_kcal", 1),
        ),
    ),
    (8, (_unsigned("heart_rate_bpm", 1),)),
    (9, (_unsigned("metabolic_equivalent", 1, 10),)),
    (10, (_unsigned("elapsed_time_s", 2),)),
    (11, (_unsigned("remaining_time_s", 2),)),
    (12, (_sint16("force_on_belt_n"), _sint16("power_output_w"))),
    (13, (_unsigned("step_count", 3),)),
)

_MEASUREMENT_NAMES: Final = tuple(spec[0] for _, specs in _TREADMILL_FIELDS for spec in specs)


def parse_treadmill_data(data: RawValue) -> TreadmillData:
    """Decode one Treadmill Data notification (0x2ACD).

    Raises FtmsDecodeError only when the two flag bytes are missing.
    """
    end = len(data)
    if end < 2:
        raise FtmsDecodeError(f"Treadmill Data needs 2 flag bytes, got {end}")
    flags = data[0] | data[1] << 8
    values: dict[str, Any] = {}
    offset = 2
    truncated = False
    # Bit 0 inverted, so that "bit set" means "fields present" for every group.
    present = flags ^ TreadmillDataFlag.MORE_DATA
    for bit, specs in _TREADMILL_FIELDS:
        if not present >> bit & 1:
            continue
        for name, size, signed, divisor, not_available in specs:
            field_end = offset + size
            if field_end > end:
                truncated = True
                break
            raw = int.from_bytes(data[offset:field_end], "little", signed=signed)
            offset = field_end
            if raw != not_available:
                values[name] = raw if divisor == 1 else raw / divisor
        if truncated:
            break
    return TreadmillData(
        flags=flags,
        more_data=bool(flags & TreadmillDataFlag.MORE_DATA),
        truncated=truncated,
        **values,
    )


def merge_treadmill_data(parts: Iterable[TreadmillData]) -> TreadmillData:
    """Merge the notifications of one split record; a later part's field wins over an earlier."""
    values: dict[str, Any] = {}
    flags = 0
    truncated = False
    for part in parts:
        flags |= part.flags
        truncated = truncated or part.truncated
        for name in _MEASUREMENT_NAMES:
            value = getattr(part, name)
            if value is not None:
                values[name] = value
    return TreadmillData(
        flags=flags & ~TreadmillDataFlag.MORE_DATA,
        more_data=False,
        truncated=truncated,
        **values,
    )


class TreadmillDataAssembler:
    """Merges Treadmill Data records split over several notifications (More Data).

    Every notification but the last of a record has More Data set; ``feed`` returns the merged
    record when the last one arrives and ``None`` before that. A record that never ends (a lost
    final notification) is discarded after ``max_parts`` parts so that memory stays bounded.
    """

    def __init__(self, max_parts: int = 8) -> None:
        """Create an assembler holding at most ``max_parts`` unfinished notifications."""
        self._max_parts = max_parts
        self._parts: list[TreadmillData] = []

    def feed(self, data: RawValue) -> TreadmillData | None:
        """Decode one notification; return the complete record once it has arrived.

        Raises FtmsDecodeError (leaving earlier parts pending) for a packet without flags.
        """
        part = parse_treadmill_data(data)
        if part.more_data:
            if len(self._parts) >= self._max_parts:
                self._parts.clear()
            self._parts.append(part)
            return None
        if not self._parts:
            return part
        self._parts.append(part)
        merged = merge_treadmill_data(self._parts)
        self._parts.clear()
        return merged

    def reset(self) -> None:
        """Forget unfinished parts (after a reconnect, say)."""
        self._parts.clear()

    @property
    def pending_parts(self) -> int:
        """How many More Data notifications wait for the end of their record."""
        return len(self._parts)


@dataclass(frozen=True, slots=True)
class MachineFeatures:
    """Fitness Machine Feature (0x2ACC): what the machine reports and what it can be set to."""

    machine_flags: int
    target_flags: int

    @property
    def machine(self) -> MachineFeature:
        """The machine feature bits as flags (unknown bits kept)."""
        return MachineFeature(self.machine_flags)

    @property
    def targets(self) -> TargetSettingFeature:
        """The target-setting feature bits as flags (unknown bits kept)."""
        return TargetSettingFeature(self.target_flags)

    def _machine(self, feature: MachineFeature) -> bool:
        return bool(self.machine_flags & feature)

    def _target(self, feature: TargetSettingFeature) -> bool:
        return bool(self.target_flags & feature)

    @property
    def average_speed_supported(self) -> bool:
        """Treadmill Data can carry the average speed."""
        return self._machine(MachineFeature.AVERAGE_SPEED)

    @property
    def total_distance_supported(self) -> bool:
        """Treadmill Data can carry the total distance."""
        return self._machine(MachineFeature.TOTAL_DISTANCE)

    @property
    def inclination_supported(self) -> bool:
        """Treadmill Data can carry the inclination."""
        return self._machine(MachineFeature.INCLINATION)

    @property
    def elevation_gain_supported(self) -> bool:
        """Treadmill Data can carry the elevation gain."""
        return self._machine(MachineFeature.ELEVATION_GAIN)

    @property
    def pace_supported(self) -> bool:
        """Treadmill Data can carry the pace."""
        return self._machine(MachineFeature.PACE)

    @property
    def step_count_supported(self) -> bool:
        """The machine counts steps."""
        return self._machine(MachineFeature.STEP_COUNT)

    @property
    def expended_energy_supported(self) -> bool:
        """Treadmill Data can carry the expended energy."""
        return self._machine(MachineFeature.EXPENDED_ENERGY)

    @property
    def heart_rate_supported(self) -> bool:
        """Treadmill Data can carry the heart rate."""
        return self._machine(MachineFeature.HEART_RATE)

    @property
    def metabolic_equivalent_supported(self) -> bool:
        """Treadmill Data can carry the metabolic equivalent."""
        return self._machine(MachineFeature.METABOLIC_EQUIVALENT)

    @property
    def elapsed_time_supported(self) -> bool:
        """Treadmill Data can carry the elapsed time."""
        return self._machine(MachineFeature.ELAPSED_TIME)

    @property
    def remaining_time_supported(self) -> bool:
        """Treadmill Data can carry the remaining time."""
        return self._machine(MachineFeature.REMAINING_TIME)

    @property
    def power_supported(self) -> bool:
        """The machine measures power output."""
        return self._machine(MachineFeature.POWER)

    @property
    def force_on_belt_and_power_supported(self) -> bool:
        """Treadmill Data can carry force on belt and power output."""
        return self._machine(MachineFeature.FORCE_ON_BELT_AND_POWER)

    @property
    def target_speed_supported(self) -> bool:
        """Set Target Speed is supported."""
        return self._target(TargetSettingFeature.SPEED)

    @property
    def target_inclination_supported(self) -> bool:
        """Set Target Inclination is supported."""
        return self._target(TargetSettingFeature.INCLINATION)

    @property
    def target_heart_rate_supported(self) -> bool:
        """Set Target Heart Rate is supported."""
        return self._target(TargetSettingFeature.HEART_RATE)

    @property
    def targeted_distance_supported(self) -> bool:
        """Set Targeted Distance is supported."""
        return self._target(TargetSettingFeature.DISTANCE)

    @property
    def targeted_training_time_supported(self) -> bool:
        """Set Targeted Training Time is supported."""
        return self._target(TargetSettingFeature.TRAINING_TIME)


def parse_features(data: RawValue) -> MachineFeatures:
    """Decode Fitness Machine Feature (0x2ACC).

    A value cut short after the machine flags reads the missing target bytes as zero.
    """
    if len(data) < 4:
        raise FtmsDecodeError(f"Fitness Machine Feature needs 4 bytes, got {len(data)}")
    return MachineFeatures(
        machine_flags=int.from_bytes(data[0:4], "little"),
        target_flags=int.from_bytes(data[4:8], "little"),
    )


@dataclass(frozen=True, slots=True)
class SupportedRange:
    """A Supported Speed (km/h) or Inclination (%) Range."""

    minimum: float
    maximum: float
    increment: float

    @property
    def is_usable(self) -> bool:
        """Whether the range spans anything (an all-zero range, as some pads send, does not)."""
        return self.maximum > self.minimum


def _parse_range(data: RawValue, what: str, *, signed: bool, divisor: int) -> SupportedRange:
    if len(data) < 6:
        raise FtmsDecodeError(f"{what} needs 6 bytes, got {len(data)}")
    return SupportedRange(
        minimum=int.from_bytes(data[0:2], "little", signed=signed) / divisor,
        maximum=int.from_bytes(data[2:4], "little", signed=signed) / divisor,
        increment=int.from_bytes(data[4:6], "little") / divisor,
    )


def parse_speed_range(data: RawValue) -> SupportedRange:
    """Decode Supported Speed Range (0x2AD4) in km/h."""
    return _parse_range(data, "Supported Speed Range", signed=False, divisor=100)


def parse_inclination_range(data: RawValue) -> SupportedRange:
    """Decode Supported Inclination Range (0x2AD5) in %.

    The range is returned as sent; check ``is_usable`` (an all-zero range is not).
    """
    return _parse_range(data, "Supported Inclination Range", signed=True, divisor=10)


@dataclass(frozen=True, slots=True, kw_only=True)
class MachineStatus:
    """A Fitness Machine Status notification (0x2ADA).

    ``op`` is kept as sent (see ``MachineStatusOp``); the parameters of the ops a treadmill uses
    are decoded into named fields, and ``parameter`` holds the raw bytes after the op (trailing
    bytes included) for everything else.
    """

    op: int
    parameter: bytes = b""
    control_information: int | None = None
    """Op 02: 1 stop, 2 pause (other values kept as sent)."""
    target_speed_kmh: float | None = None
    """Op 05: the new target speed."""
    target_inclination_pct: float | None = None
    """Op 06: the new target inclination."""
    targeted_distance_m: int | None = None
    """Op 0D: the new targeted distance."""
    targeted_training_time_s: int | None = None
    """Op 0E: the new targeted training time."""
    truncated: bool = False
    """The op announces a parameter that is missing or cut short."""

    @property
    def stopped(self) -> bool:
        """The belt was stopped, by the user (op 02, stop) or by the safety key (op 03)."""
        return self.stopped_by_safety_key or (
            self.op == MachineStatusOp.STOPPED_OR_PAUSED_BY_USER
            and self.control_information == StopOrPause.STOP
        )

    @property
    def paused(self) -> bool:
        """The user paused the machine (op 02, pause)."""
        return (
            self.op == MachineStatusOp.STOPPED_OR_PAUSED_BY_USER
            and self.control_information == StopOrPause.PAUSE
        )

    @property
    def stopped_by_safety_key(self) -> bool:
        """The safety key was pulled (op 03)."""
        return self.op == MachineStatusOp.STOPPED_BY_SAFETY_KEY

    @property
    def started(self) -> bool:
        """The user started or resumed the machine (op 04)."""
        return self.op == MachineStatusOp.STARTED_OR_RESUMED_BY_USER

    @property
    def control_permission_lost(self) -> bool:
        """The machine revoked this central's control (op FF)."""
        return self.op == MachineStatusOp.CONTROL_PERMISSION_LOST


# op -> (field name, size, signed, divisor, raw "not available" value)
_MACHINE_STATUS_PARAMETERS: Final[dict[int, _FieldSpec]] = {
    MachineStatusOp.STOPPED_OR_PAUSED_BY_USER: (
        "control_information",
        1,
        False,
        1,
        _NEVER_NOT_AVAILABLE,
    ),
    MachineStatusOp.TARGET_SPEED_CHANGED: _unsigned("target_speed_kmh", 2, 100),
    MachineStatusOp.TARGET_INCLINE_CHANGED: _sint16("target_inclination_pct", 10),
    MachineStatusOp.TARGETED_DISTANCE_CHANGED: _unsigned("targeted_distance_m", 3),
    MachineStatusOp.TARGETED_TRAINING_TIME_CHANGED: _unsigned("targeted_training_time_s", 2),
}


def parse_machine_status(data: RawValue) -> MachineStatus:
    """Decode Fitness Machine Status (0x2ADA); trailing bytes and unknown ops are tolerated."""
    if not data:
        raise FtmsDecodeError("Fitness Machine Status is empty")
    op = data[0]
    parameter = bytes(data[1:])
    spec = _MACHINE_STATUS_PARAMETERS.get(op)
    if spec is None:
        return MachineStatus(op=op, parameter=parameter)
    name, size, signed, divisor, not_available = spec
    if len(parameter) < size:
        return MachineStatus(op=op, parameter=parameter, truncated=True)
    raw = int.from_bytes(parameter[:size], "little", signed=signed)
    if raw == not_available:
        return MachineStatus(op=op, parameter=parameter)
    decoded: dict[str, Any] = {name: raw if divisor == 1 else raw / divisor}
    return MachineStatus(op=op, parameter=parameter, **decoded)


@dataclass(frozen=True, slots=True, kw_only=True)
class TrainingStatus:
    """A Training Status value (0x2AD3)."""

    status: int
    """See ``TrainingStatusCode``; reserved values (0x10 and up) are kept as sent."""
    text: str | None = None
    """The status string; ``None`` without the string flag, "" when the flag promises one
    that is not there (seen on walking pads)."""
    extended_string: bool = False
    """The string continues in a further notification (flag bit 1)."""


def parse_training_status(data: RawValue) -> TrainingStatus:
    """Decode Training Status (0x2AD3); needs the flags and status bytes."""
    if len(data) < 2:
        raise FtmsDecodeError(f"Training Status needs 2 bytes, got {len(data)}")
    flags = data[0]
    text = None
    if flags & 0x01:
        # Padding NULs are common on fixed-size firmware buffers; undecodable bytes are replaced
        # rather than rejected, since the status byte is what matters.
        text = bytes(data[2:]).decode("utf-8", "replace").rstrip("\x00")
    return TrainingStatus(status=data[1], text=text, extended_string=bool(flags & 0x02))


@dataclass(frozen=True, slots=True)
class ControlResponse:
    """A control-point response ``80 <request op> <result> [parameter]``."""

    request_op: int
    result: int
    parameter: bytes = b""

    @property
    def succeeded(self) -> bool:
        """The procedure succeeded (result 01)."""
        return self.result == 0x01


def parse_control_response(data: RawValue) -> ControlResponse:
    """Decode a Fitness Machine Control Point indication or notification.

    Raises FtmsDecodeError for fewer than 3 bytes or a value that is not a response (op 80).
    """
    if len(data) < 3:
        raise FtmsDecodeError(f"a control-point response needs 3 bytes, got {len(data)}")
    if data[0] != ControlOp.RESPONSE_CODE:
        raise FtmsDecodeError(f"not a control-point response: op 0x{data[0]:02X}")
    return ControlResponse(request_op=data[1], result=data[2], parameter=bytes(data[3:]))

"""FTMS and Device Information constants and field encoders, as the simulated machine sees them.

Written independently of ``custom_components.retrowalk.ftms`` on purpose: tests of the
integration against the simulator only mean something when the two sides do not share code.
"""

from __future__ import annotations

from enum import IntEnum, IntFlag, StrEnum
from typing import Final

BLUETOOTH_BASE_UUID_SUFFIX: Final = "-0000-1000-8000-00805f9b34fb"


def uuid16(short_uuid: int) -> str:
    """Return the 128-bit string form of a 16-bit Bluetooth SIG UUID, lower case as bleak uses."""
    return f"0000{short_uuid:04x}{BLUETOOTH_BASE_UUID_SUFFIX}"


FTMS_SERVICE_UUID: Final = uuid16(0x1826)
DEVICE_INFORMATION_SERVICE_UUID: Final = uuid16(0x180A)
CLIENT_CHARACTERISTIC_CONFIGURATION_UUID: Final = uuid16(0x2902)


class FtmsCharacteristic(StrEnum):
    """Characteristics of the Fitness Machine Service a treadmill uses."""

    FEATURE = uuid16(0x2ACC)
    TREADMILL_DATA = uuid16(0x2ACD)
    TRAINING_STATUS = uuid16(0x2AD3)
    SUPPORTED_SPEED_RANGE = uuid16(0x2AD4)
    SUPPORTED_INCLINATION_RANGE = uuid16(0x2AD5)
    CONTROL_POINT = uuid16(0x2AD9)
    MACHINE_STATUS = uuid16(0x2ADA)


class DeviceInformationCharacteristic(StrEnum):
    """Characteristics of the Device Information Service (0x180A)."""

    MANUFACTURER_NAME = uuid16(0x2A29)
    MODEL_NUMBER = uuid16(0x2A24)
    SERIAL_NUMBER = uuid16(0x2A25)
    HARDWARE_REVISION = uuid16(0x2A27)
    FIRMWARE_REVISION = uuid16(0x2A26)
    SOFTWARE_REVISION = uuid16(0x2A28)


class ControlOp(IntEnum):
    """Fitness Machine Control Point op codes (all of FTMS 1.0, so writes can be named)."""

    REQUEST_CONTROL = 0x00
    RESET = 0x01
    SET_TARGET_SPEED = 0x02
    SET_TARGET_INCLINATION = 0x03
    SET_TARGET_RESISTANCE = 0x04
    SET_TARGET_POWER = 0x05
    SET_TARGET_HEART_RATE = 0x06
    START_OR_RESUME = 0x07
    STOP_OR_PAUSE = 0x08
    SET_TARGETED_EXPENDED_ENERGY = 0x09
    SET_TARGETED_STEPS = 0x0A
    SET_TARGETED_STRIDES = 0x0B
    SET_TARGETED_DISTANCE = 0x0C
    SET_TARGETED_TRAINING_TIME = 0x0D
    SET_TARGETED_TIME_IN_TWO_HR_ZONES = 0x0E
    SET_TARGETED_TIME_IN_THREE_HR_ZONES = 0x0F
    SET_TARGETED_TIME_IN_FIVE_HR_ZONES = 0x10
    SET_INDOOR_BIKE_SIMULATION = 0x11
    SET_WHEEL_CIRCUMFERENCE = 0x12
    SPIN_DOWN_CONTROL = 0x13
    SET_TARGETED_CADENCE = 0x14
    RESPONSE_CODE = 0x80


class ResultCode(IntEnum):
    """Result codes of a control point response ``80 <op> <result>``."""

    SUCCESS = 0x01
    OP_CODE_NOT_SUPPORTED = 0x02
    INVALID_PARAMETER = 0x03
    OPERATION_FAILED = 0x04
    CONTROL_NOT_PERMITTED = 0x05


class StopPause(IntEnum):
    """Parameter of Stop or Pause (op 08) and of machine status 02."""

    STOP = 0x01
    PAUSE = 0x02


class MachineStatusOp(IntEnum):
    """Fitness Machine Status (0x2ADA) op codes a treadmill sends."""

    RESET = 0x01
    STOPPED_OR_PAUSED_BY_USER = 0x02
    STOPPED_BY_SAFETY_KEY = 0x03
    STARTED_OR_RESUMED_BY_USER = 0x04
    TARGET_SPEED_CHANGED = 0x05
    TARGET_INCLINE_CHANGED = 0x06
    CONTROL_PERMISSION_LOST = 0xFF


class TrainingStatusCode(IntEnum):
    """Training Status (0x2AD3) values."""

    OTHER = 0x00
    IDLE = 0x01
    WARMING_UP = 0x02
    LOW_INTENSITY_INTERVAL = 0x03
    HIGH_INTENSITY_INTERVAL = 0x04
    RECOVERY_INTERVAL = 0x05
    ISOMETRIC = 0x06
    HEART_RATE_CONTROL = 0x07
    FITNESS_TEST = 0x08
    SPEED_OUTSIDE_CONTROL_REGION_LOW = 0x09
    SPEED_OUTSIDE_CONTROL_REGION_HIGH = 0x0A
    COOL_DOWN = 0x0B
    WATT_CONTROL = 0x0C
    MANUAL_MODE = 0x0D
    PRE_WORKOUT = 0x0E
    POST_WORKOUT = 0x0F


class TreadmillDataFlag(IntFlag):
    """Flags of Treadmill Data (0x2ACD); bit 13 is the vendors' step count."""

    MORE_DATA = 1 << 0
    AVERAGE_SPEED = 1 << 1
    TOTAL_DISTANCE = 1 << 2
    INCLINATION = 1 << 3
    ELEVATION_GAIN = 1 << 4
    INSTANTANEOUS_PACE = 1 << 5
    AVERAGE_PACE = 1 << 6
    EXPENDED_ENERGY = 1 << 7
    HEART_RATE = 1 << 8
    METABOLIC_EQUIVALENT = 1 << 9
    ELAPSED_TIME = 1 << 10
    REMAINING_TIME = 1 << 11
    FORCE_AND_POWER = 1 << 12
    STEP_COUNT = 1 << 13


class MachineFeature(IntFlag):
    """Fitness Machine Feature bits (first uint32 of 0x2ACC)."""

    AVERAGE_SPEED = 1 << 0
    CADENCE = 1 << 1
    TOTAL_DISTANCE = 1 << 2
    INCLINATION = 1 << 3
    ELEVATION_GAIN = 1 << 4
    PACE = 1 << 5
    STEP_COUNT = 1 << 6
    RESISTANCE_LEVEL = 1 << 7
    STRIDE_COUNT = 1 << 8
    EXPENDED_ENERGY = 1 << 9
    HEART_RATE = 1 << 10
    METABOLIC_EQUIVALENT = 1 << 11
    ELAPSED_TIME = 1 << 12
    REMAINING_TIME = 1 << 13
    POWER_MEASUREMENT = 1 << 14
    FORCE_ON_BELT_AND_POWER = 1 << 15
    USER_DATA_RETENTION = 1 << 16


class TargetSettingFeature(IntFlag):
    """Target Setting Feature bits (second uint32 of 0x2ACC)."""

    SPEED = 1 << 0
    INCLINATION = 1 << 1
    RESISTANCE = 1 << 2
    POWER = 1 << 3
    HEART_RATE = 1 << 4
    EXPENDED_ENERGY = 1 << 5
    STEP_NUMBER = 1 << 6
    STRIDE_NUMBER = 1 << 7
    DISTANCE = 1 << 8
    TRAINING_TIME = 1 << 9
    TIME_IN_TWO_HR_ZONES = 1 << 10
    TIME_IN_THREE_HR_ZONES = 1 << 11
    TIME_IN_FIVE_HR_ZONES = 1 << 12
    INDOOR_BIKE_SIMULATION = 1 << 13
    WHEEL_CIRCUMFERENCE = 1 << 14
    SPIN_DOWN = 1 << 15
    CADENCE = 1 << 16


# "Not available" markers: the all-ones value of each field type (0x7FFF for sint16).
UINT8_NOT_AVAILABLE: Final = 0xFF
UINT16_NOT_AVAILABLE: Final = 0xFFFF
SINT16_NOT_AVAILABLE: Final = 0x7FFF

# Advertised FTMS service data: flags (bit 0: machine available) + uint16 machine type (bit 0:
# treadmill).
FTMS_TREADMILL_SERVICE_DATA: Final = bytes((0x01, 0x01, 0x00))

KM_PER_MILE: Final = 1.609344


def encode_uint8(value: int) -> bytes:
    """Encode an unsigned byte, saturating at the type's limits as a console display would."""
    return max(0, min(value, 0xFF)).to_bytes(1, "little")


def encode_uint16(value: int) -> bytes:
    """Encode a little-endian uint16, saturating."""
    return max(0, min(value, 0xFFFF)).to_bytes(2, "little")


def encode_sint16(value: int) -> bytes:
    """Encode a little-endian sint16, saturating."""
    return max(-0x8000, min(value, 0x7FFF)).to_bytes(2, "little", signed=True)


def encode_uint24(value: int) -> bytes:
    """Encode a little-endian uint24, saturating."""
    return max(0, min(value, 0xFFFFFF)).to_bytes(3, "little")


def encode_uint32(value: int) -> bytes:
    """Encode a little-endian uint32."""
    return (value & 0xFFFFFFFF).to_bytes(4, "little")


def control_point_response(request_op: int, result: int) -> bytes:
    """Return the ``80 <request op> <result>`` response to a control point write."""
    return bytes((ControlOp.RESPONSE_CODE, request_op & 0xFF, result & 0xFF))

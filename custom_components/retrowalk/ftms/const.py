"""FTMS identifiers: GATT UUIDs, op codes, result codes, status codes and feature bits.

Values follow the Bluetooth SIG Fitness Machine Service 1.0 and the Device Information Service.
Decoded messages keep op and status codes as plain ``int`` so that reserved values survive;
these enums give the known values names to compare against.
"""

from enum import IntEnum, IntFlag
from typing import Final


def _sig_uuid(short: int) -> str:
    """Return the 128-bit form of a 16-bit Bluetooth SIG UUID."""
    return f"0000{short:04x}-0000-1000-8000-00805f9b34fb"


FTMS_SERVICE_UUID: Final = _sig_uuid(0x1826)
FITNESS_MACHINE_FEATURE_UUID: Final = _sig_uuid(0x2ACC)
TREADMILL_DATA_UUID: Final = _sig_uuid(0x2ACD)
TRAINING_STATUS_UUID: Final = _sig_uuid(0x2AD3)
SUPPORTED_SPEED_RANGE_UUID: Final = _sig_uuid(0x2AD4)
SUPPORTED_INCLINATION_RANGE_UUID: Final = _sig_uuid(0x2AD5)
CONTROL_POINT_UUID: Final = _sig_uuid(0x2AD9)
MACHINE_STATUS_UUID: Final = _sig_uuid(0x2ADA)

DEVICE_INFORMATION_SERVICE_UUID: Final = _sig_uuid(0x180A)
MANUFACTURER_NAME_UUID: Final = _sig_uuid(0x2A29)
MODEL_NUMBER_UUID: Final = _sig_uuid(0x2A24)
SERIAL_NUMBER_UUID: Final = _sig_uuid(0x2A25)
HARDWARE_REVISION_UUID: Final = _sig_uuid(0x2A27)
FIRMWARE_REVISION_UUID: Final = _sig_uuid(0x2A26)
SOFTWARE_REVISION_UUID: Final = _sig_uuid(0x2A28)

KMH_PER_MPH: Final = 1.609344
"""Kilometres per mile, exact by definition of the international mile."""


class ControlOp(IntEnum):
    """Fitness Machine Control Point op codes (the first byte of a write)."""

    REQUEST_CONTROL = 0x00
    RESET = 0x01
    SET_TARGET_SPEED = 0x02
    SET_TARGET_INCLINATION = 0x03
    SET_TARGET_RESISTANCE_LEVEL = 0x04
    SET_TARGET_POWER = 0x05
    SET_TARGET_HEART_RATE = 0x06
    START_OR_RESUME = 0x07
    STOP_OR_PAUSE = 0x08
    SET_TARGETED_EXPENDED_ENERGY = 0x09
    SET_TARGETED_NUMBER_OF_STEPS = 0x0A
    SET_TARGETED_NUMBER_OF_STRIDES = 0x0B
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
    """Result of a control-point procedure, the third byte of ``80 <op> <result>``."""

    SUCCESS = 0x01
    OP_CODE_NOT_SUPPORTED = 0x02
    INVALID_PARAMETER = 0x03
    OPERATION_FAILED = 0x04
    CONTROL_NOT_PERMITTED = 0x05


class StopOrPause(IntEnum):
    """Parameter of Stop or Pause (control op 08) and of machine status 02."""

    STOP = 0x01
    PAUSE = 0x02


class MachineStatusOp(IntEnum):
    """Fitness Machine Status op codes (the first byte of a 0x2ADA notification)."""

    RESET = 0x01
    STOPPED_OR_PAUSED_BY_USER = 0x02
    STOPPED_BY_SAFETY_KEY = 0x03
    STARTED_OR_RESUMED_BY_USER = 0x04
    TARGET_SPEED_CHANGED = 0x05
    TARGET_INCLINE_CHANGED = 0x06
    TARGET_RESISTANCE_LEVEL_CHANGED = 0x07
    TARGET_POWER_CHANGED = 0x08
    TARGET_HEART_RATE_CHANGED = 0x09
    TARGETED_EXPENDED_ENERGY_CHANGED = 0x0A
    TARGETED_NUMBER_OF_STEPS_CHANGED = 0x0B
    TARGETED_NUMBER_OF_STRIDES_CHANGED = 0x0C
    TARGETED_DISTANCE_CHANGED = 0x0D
    TARGETED_TRAINING_TIME_CHANGED = 0x0E
    CONTROL_PERMISSION_LOST = 0xFF


class TrainingStatusCode(IntEnum):
    """Training Status values; 0x10-0xFF are reserved and still reach callers as ints."""

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
    """Flag bits of Treadmill Data (0x2ACD); each announces the fields listed in the README."""

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
    """Reserved in FTMS 1.0; walking-pad firmwares follow it with a uint24 step count."""


class MachineFeature(IntFlag):
    """Machine feature bits, the first uint32 of Fitness Machine Feature (0x2ACC)."""

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
    POWER = 1 << 14
    FORCE_ON_BELT_AND_POWER = 1 << 15
    USER_DATA_RETENTION = 1 << 16


class TargetSettingFeature(IntFlag):
    """Target-setting feature bits, the second uint32 of Fitness Machine Feature (0x2ACC)."""

    SPEED = 1 << 0
    INCLINATION = 1 << 1
    RESISTANCE_LEVEL = 1 << 2
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

"""The simulated FTMS treadmill: machine model and GATT-level behaviour.

The machine answers the reads, writes and notifications of a real treadmill's Fitness Machine
Service and Device Information Service. It knows nothing about bleak or Home Assistant: a
central (the bleak backend in ``bleak_backend.py``) attaches through :class:`CentralLink` and
calls :meth:`~SimulatedTreadmill.read_characteristic`,
:meth:`~SimulatedTreadmill.write_characteristic` and :meth:`~SimulatedTreadmill.set_notifications`.

Time: the physics advance in fixed :data:`TICK_S` steps, either driven by a test through
``await treadmill.advance(seconds)`` or by a background task (:meth:`start_realtime`). Every step
sends one Treadmill Data notification, as real machines do at 2 Hz, idle or not.
"""

from __future__ import annotations

import asyncio
from collections import deque
import contextlib
from dataclasses import dataclass, field
from enum import StrEnum
import logging
import math
import time
from typing import TYPE_CHECKING, Final, Protocol

from .errors import (
    GattProtocolError,
    LinkBusyError,
    LinkDroppedError,
    NotConnectedError,
    TreadmillUnreachableError,
)
from .protocol import (
    DEVICE_INFORMATION_SERVICE_UUID,
    FTMS_SERVICE_UUID,
    FTMS_TREADMILL_SERVICE_DATA,
    KM_PER_MILE,
    SINT16_NOT_AVAILABLE,
    UINT8_NOT_AVAILABLE,
    UINT16_NOT_AVAILABLE,
    ControlOp,
    DeviceInformationCharacteristic,
    FtmsCharacteristic,
    MachineFeature,
    MachineStatusOp,
    ResultCode,
    StopPause,
    TargetSettingFeature,
    TrainingStatusCode,
    TreadmillDataFlag,
    control_point_response,
    encode_sint16,
    encode_uint8,
    encode_uint16,
    encode_uint24,
    encode_uint32,
)

if TYPE_CHECKING:
    from collections.abc import Callable

_LOGGER = logging.getLogger(__name__)

TICK_S: Final = 0.5
"""Simulated seconds per physics step; one Treadmill Data notification per step (2 Hz)."""

NOTIFICATION_LOG_LENGTH: Final = 2000
"""How many sent notifications :attr:`SimulatedTreadmill.notifications` keeps."""

# Floating point slack when comparing accumulated simulated time with a tick.
_TIME_EPSILON: Final = 1e-9

# Fields that travel in the first notification when a record is split (More Data set); the
# second carries the instantaneous speed and the rest, as Matrix and Technogym consoles do.
_FIRST_PART_OF_SPLIT_RECORD: Final = (
    TreadmillDataFlag.AVERAGE_SPEED
    | TreadmillDataFlag.TOTAL_DISTANCE
    | TreadmillDataFlag.INCLINATION
    | TreadmillDataFlag.ELEVATION_GAIN
)

# Oxygen cost of walking (ACSM walking equation) and its energy equivalent.
_RESTING_VO2_ML_PER_KG_MIN: Final = 3.5
_HORIZONTAL_VO2_PER_M_PER_MIN: Final = 0.1
_VERTICAL_VO2_PER_M_PER_MIN: Final = 1.8
_KCAL_PER_LITRE_O2: Final = 5.0


@dataclass(frozen=True, slots=True)
class DeviceInformation:
    """The Device Information Service strings (0x180A)."""

    manufacturer: str
    model: str
    serial_number: str
    hardware_revision: str
    firmware_revision: str
    software_revision: str


@dataclass(frozen=True, slots=True)
class SupportedRange:
    """A supported range as the machine reports it: km/h for speed, % for inclination."""

    minimum: float
    maximum: float
    increment: float


@dataclass(frozen=True, slots=True)
class TreadmillProfile:
    """What a treadmill model is: its name, identity, capabilities and mechanics.

    ``machine_features`` / ``target_setting_features`` override what 0x2ACC returns (real
    machines sometimes claim fields they never send); by default they are derived from the
    ``reports_*`` fields and the ranges.
    """

    local_name: str
    address: str
    device_information: DeviceInformation
    speed_range: SupportedRange
    inclination_range: SupportedRange | None
    acceleration_kmh_per_s: float = 0.5
    deceleration_kmh_per_s: float = 0.5
    incline_rate_pct_per_s: float = 0.5
    start_countdown_s: float = 0.0
    reports_average_speed: bool = True
    reports_distance: bool = True
    reports_inclination: bool = True
    reports_elevation_gain: bool = True
    reports_energy: bool = True
    reports_heart_rate: bool = True
    reports_elapsed_time: bool = True
    machine_features: int | None = None
    target_setting_features: int | None = None
    lowers_incline_on_stop: bool = True
    stops_belt_on_link_loss: bool = False
    post_workout_s: float = 5.0
    user_mass_kg: float = 70.0
    step_length_m: float = 0.6
    ftms_service_data: bytes = FTMS_TREADMILL_SERVICE_DATA
    rssi: int = -60

    @property
    def has_inclination(self) -> bool:
        """Whether the machine has an incline motor (and so a 0x2AD5 characteristic)."""
        return self.inclination_range is not None

    @property
    def sends_inclination(self) -> bool:
        """Whether Treadmill Data carries the inclination field."""
        return self.reports_inclination and self.has_inclination

    @property
    def sends_elevation_gain(self) -> bool:
        """Whether Treadmill Data carries the elevation gain field."""
        return self.reports_elevation_gain and self.has_inclination

    @property
    def machine_feature_bits(self) -> int:
        """The first uint32 of 0x2ACC."""
        if self.machine_features is not None:
            return self.machine_features
        bits = MachineFeature(0)
        if self.reports_average_speed:
            bits |= MachineFeature.AVERAGE_SPEED
        if self.reports_distance:
            bits |= MachineFeature.TOTAL_DISTANCE
        if self.sends_inclination:
            bits |= MachineFeature.INCLINATION
        if self.sends_elevation_gain:
            bits |= MachineFeature.ELEVATION_GAIN
        if self.reports_energy:
            bits |= MachineFeature.EXPENDED_ENERGY
        if self.reports_heart_rate:
            bits |= MachineFeature.HEART_RATE
        if self.reports_elapsed_time:
            bits |= MachineFeature.ELAPSED_TIME
        return int(bits)

    @property
    def target_setting_bits(self) -> int:
        """The second uint32 of 0x2ACC."""
        if self.target_setting_features is not None:
            return self.target_setting_features
        bits = TargetSettingFeature.SPEED
        if self.has_inclination:
            bits |= TargetSettingFeature.INCLINATION
        return int(bits)


DEMO_PROFILE: Final = TreadmillProfile(
    local_name="RetroWalk Demo Treadmill",
    address="AA:BB:CC:00:00:01",
    device_information=DeviceInformation(
        manufacturer="RetroWalk",
        model="Demo Treadmill",
        serial_number="RW-DEMO-0001",
        hardware_revision="1.0",
        firmware_revision="1.0.0",
        software_revision="1.0.0",
    ),
    speed_range=SupportedRange(minimum=0.8, maximum=12.0, increment=0.1),
    inclination_range=SupportedRange(minimum=0.0, maximum=12.0, increment=0.5),
)
"""A walking-friendly treadmill: 0.8-12 km/h in 0.1 steps, 0-12 % in 0.5 steps."""


@dataclass(slots=True)
class Misbehaviour:
    """Real-machine faults the simulator reproduces. Mutable: change it while connected.

    Fields read at connect time only (they shape the GATT table): ``respond_with_notification``.
    """

    steps_in_bit13: bool = False
    """Treadmill Data sets flag bit 13 and appends a uint24 step count (walking pads)."""
    status_trailing_bytes: bytes = b""
    """Appended to every Machine Status notification (``04 00 00``, ``02 01 00``)."""
    response_delay_s: float = 0.0
    """Real seconds between a control point write and its ``80 op result`` response."""
    drop_responses: bool = False
    """Carry out procedures but never send the ``80 op result`` response."""
    respond_with_notification: bool = False
    """The control point is declared notify (not indicate) and answers by notification."""
    control_not_permitted: bool = False
    """Answer 05 to every op but Request Control, whatever happened before."""
    require_request_control: bool = False
    """Answer 05 until Request Control succeeded; control is lost on a console pause."""
    repeated_request_control_result: int | None = None
    """Result answered to Request Control while control is already held (None: success)."""
    speed_parameter_mph: bool = False
    """Read the Set Target Speed parameter as 0.01 mph (Horizon 7.0AT, Bowflex T9)."""
    speed_range_in_mph: bool = False
    """Report 0x2AD4 in mph numbers while the spec says km/h."""
    ignore_speed_until_running: bool = False
    """Answer Set Target Speed with success but ignore it while the belt stands (KingSmith)."""
    drop_link_on_speed_until_running: bool = False
    """Drop the link on Set Target Speed while the belt stands."""
    ignore_speed_commands: bool = False
    """Answer Set Target Speed with success and never act on it."""
    report_zero_inclination_range: bool = False
    """0x2AD5 reads as all zero while inclination commands still work."""
    not_available_as_zero: bool = False
    """Send "not available" fields (energy rates, ramp angle) as 0 instead of all-ones."""
    split_data_records: bool = False
    """Split each Treadmill Data record over two notifications (More Data)."""
    truncate_data_bytes: int = 0
    """Cut this many bytes off each record: flags announce fields that are not sent."""
    distance_offset_m: int = 0
    """Added to Total Distance: a lifetime odometer instead of the session distance."""
    training_status_string_flag_without_string: bool = False
    """Training Status sets the string-present flag and sends no string."""
    unsupported_ops: set[int] = field(default_factory=set)
    """Ops answered 02 (op code not supported)."""
    result_overrides: dict[int, int] = field(default_factory=dict)
    """Op -> result code answered instead of carrying out the procedure."""
    refuse_while_busy: bool = False
    """As FTMS allows: a control point write before the previous procedure was answered is
    refused with ATT error 0xFE (procedure already in progress)."""


@dataclass(frozen=True, slots=True)
class ControlPointWrite:
    """One write received on the control point (0x2AD9)."""

    monotonic: float
    """``time.monotonic()`` when the write arrived."""
    sim_time_s: float
    """The treadmill's simulated clock when the write arrived."""
    data: bytes

    @property
    def op(self) -> ControlOp | int | None:
        """The op code (a :class:`ControlOp` when known), or None for an empty write."""
        if not self.data:
            return None
        return _op_name(self.data[0])

    @property
    def parameter(self) -> bytes:
        """The bytes after the op code."""
        return self.data[1:]


@dataclass(frozen=True, slots=True)
class SentNotification:
    """A notification or indication the machine sent (or would have, with nobody subscribed)."""

    sim_time_s: float
    characteristic: str
    data: bytes
    delivered: bool


@dataclass(frozen=True, slots=True)
class GattCharacteristicDefinition:
    """A characteristic of the machine's GATT table with its bleak property names."""

    uuid: str
    properties: tuple[str, ...]

    def __post_init__(self) -> None:
        """Store the UUID as a plain lower-case string, whatever enum it came from."""
        object.__setattr__(self, "uuid", str(self.uuid).lower())


@dataclass(frozen=True, slots=True)
class GattServiceDefinition:
    """A primary service of the machine's GATT table."""

    uuid: str
    characteristics: tuple[GattCharacteristicDefinition, ...]

    def __post_init__(self) -> None:
        """Store the UUID as a plain lower-case string, whatever enum it came from."""
        object.__setattr__(self, "uuid", str(self.uuid).lower())


class CentralLink(Protocol):
    """What the machine needs from the connected central (the bleak backend)."""

    def deliver(self, characteristic_uuid: str, data: bytes) -> None:
        """Receive a notification or indication."""

    def link_lost(self) -> None:
        """Learn that the machine dropped the link."""


class BeltState(StrEnum):
    """What the belt program is doing (the belt may still be slowing down when stopped)."""

    STOPPED = "stopped"
    STARTING = "starting"
    RUNNING = "running"
    PAUSED = "paused"


def _op_name(op: int) -> ControlOp | int:
    try:
        return ControlOp(op)
    except ValueError:
        return op


def _round_half_up(value: float) -> int:
    # Consoles round halves up; Python's round() would send 1.25 to 1.2 (half to even).
    return math.floor(value + 0.5)


def _to_units(value: float, scale: int) -> int:
    return _round_half_up(value * scale)


def _round_to_increment(value: int, minimum: int, increment: int) -> int:
    """Round to the device's grid (anchored at the minimum), halves up, as consoles do."""
    if increment <= 0:
        return value
    return minimum + _round_half_up((value - minimum) / increment) * increment


def _move_toward(current: float, target: float, max_step: float) -> float:
    if current < target:
        return min(target, current + max_step)
    return max(target, current - max_step)


class SimulatedTreadmill:
    """A treadmill with one Bluetooth link, a belt, an incline motor and a safety key."""

    def __init__(
        self, profile: TreadmillProfile = DEMO_PROFILE, misbehaviour: Misbehaviour | None = None
    ) -> None:
        """Power the machine on, idle, safety key in, advertising."""
        self.profile = profile
        self.misbehaviour = misbehaviour if misbehaviour is not None else Misbehaviour()
        self.writes: list[ControlPointWrite] = []
        self.notifications: deque[SentNotification] = deque(maxlen=NOTIFICATION_LOG_LENGTH)

        self._powered = True
        self._in_range = True
        self._central: CentralLink | None = None
        self._connection_generation = 0
        self._subscriptions: set[str] = set()
        self._control_granted = False
        self._advertising_listeners: list[Callable[[bool], None]] = []

        self._clock_s = 0.0
        self._untimed_s = 0.0
        self._belt_state = BeltState.STOPPED
        self._safety_key_inserted = True
        self._speed_kmh = 0.0
        self._target_speed_kmh: float | None = None
        self._inclination_pct = 0.0
        self._target_inclination_pct = 0.0
        self._countdown_left_s = 0.0
        self._post_workout_left_s = 0.0
        self._training_status = TrainingStatusCode.IDLE
        self._heart_rate_bpm = 0
        self._distance_m = 0.0
        self._elevation_gain_m = 0.0
        self._energy_kcal = 0.0
        self._elapsed_s = 0.0

        # Notifications produced while a control point write is being handled wait here and go
        # out after the write's response, in the order real machines send them.
        self._outbox: list[tuple[str, bytes]] | None = None
        self._response_tasks: set[asyncio.Task[None]] = set()
        # Procedures written and not answered yet (for refuse_while_busy).
        self._procedures_unanswered = 0
        self._realtime_task: asyncio.Task[None] | None = None

    # ------------------------------------------------------------------ state (read-only)

    @property
    def address(self) -> str:
        """The Bluetooth address (from the profile)."""
        return self.profile.address

    @property
    def clock_s(self) -> float:
        """Simulated seconds since power-on."""
        return self._clock_s

    @property
    def powered(self) -> bool:
        """Whether the machine is switched on."""
        return self._powered

    @property
    def in_range(self) -> bool:
        """Whether the machine is within radio range of the central."""
        return self._in_range

    @property
    def is_connected(self) -> bool:
        """Whether a central holds the link."""
        return self._central is not None

    @property
    def is_advertising(self) -> bool:
        """Powered, in range and not connected: like most peripherals, it stops when connected."""
        return self._powered and self._in_range and self._central is None

    @property
    def subscriptions(self) -> frozenset[str]:
        """Characteristics the connected central enabled notifications/indications on."""
        return frozenset(self._subscriptions)

    @property
    def control_granted(self) -> bool:
        """Whether the connected central holds control permission (Request Control)."""
        return self._control_granted

    @property
    def belt_state(self) -> BeltState:
        """What the belt program is doing."""
        return self._belt_state

    @property
    def speed_kmh(self) -> float:
        """The belt's actual speed."""
        return self._speed_kmh

    @property
    def target_speed_kmh(self) -> float | None:
        """The commanded speed, or None when nothing was set since the last stop."""
        return self._target_speed_kmh

    @property
    def inclination_pct(self) -> float:
        """The deck's actual inclination."""
        return self._inclination_pct

    @property
    def target_inclination_pct(self) -> float:
        """Where the incline motor is heading."""
        return self._target_inclination_pct

    @property
    def safety_key_inserted(self) -> bool:
        """Whether the safety key is in place (the belt cannot run without it)."""
        return self._safety_key_inserted

    @property
    def training_status(self) -> TrainingStatusCode:
        """The current Training Status."""
        return self._training_status

    @property
    def heart_rate_bpm(self) -> int:
        """The heart rate the machine reports (0: no contact)."""
        return self._heart_rate_bpm

    @property
    def distance_m(self) -> float:
        """Session distance."""
        return self._distance_m

    @property
    def elevation_gain_m(self) -> float:
        """Session positive elevation gain."""
        return self._elevation_gain_m

    @property
    def energy_kcal(self) -> float:
        """Session energy (ACSM walking equation for the profile's user mass)."""
        return self._energy_kcal

    @property
    def elapsed_s(self) -> float:
        """Session time with the belt program running."""
        return self._elapsed_s

    @property
    def steps(self) -> int:
        """Session steps (distance over the profile's step length)."""
        return int(self._distance_m / self.profile.step_length_m)

    @property
    def average_speed_kmh(self) -> float:
        """Session distance over session time."""
        if self._elapsed_s <= 0:
            return 0.0
        return self._distance_m / self._elapsed_s * 3.6

    @property
    def written_ops(self) -> list[ControlOp | int]:
        """The op codes of every control point write received, in order (empty writes left out)."""
        return [write.op for write in self.writes if write.op is not None]

    # ------------------------------------------------------------------ time

    async def advance(self, seconds: float) -> None:
        """Advance simulated time in :data:`TICK_S` steps, yielding to the loop after each.

        Time that does not fill a step is carried over to the next call. Each step sends one
        Treadmill Data notification to a subscribed central. ``advance(0)`` just lets pending
        responses and callbacks run.
        """
        if seconds < 0:
            raise ValueError("time only goes forward")
        self._untimed_s += seconds
        # Let responses and callbacks already due go out before time moves on.
        await asyncio.sleep(0)
        while self._untimed_s >= TICK_S - _TIME_EPSILON:
            self._untimed_s = max(0.0, self._untimed_s - TICK_S)
            self._tick()
            await asyncio.sleep(0)

    def start_realtime(self, time_scale: float = 1.0) -> None:
        """Advance by itself: one step every ``TICK_S * time_scale`` real seconds.

        ``time_scale`` below 1 runs faster than real time (0.1: ten times faster).
        """
        if time_scale <= 0:
            raise ValueError("time_scale must be positive")
        self.stop_realtime()
        self._realtime_task = asyncio.get_running_loop().create_task(
            self._run_realtime(time_scale), name=f"retrowalk-sim realtime {self.address}"
        )

    def stop_realtime(self) -> None:
        """Stop advancing by itself (the task is cancelled; :meth:`aclose` also awaits it)."""
        if self._realtime_task is not None:
            self._realtime_task.cancel()
            self._realtime_task = None

    @property
    def realtime_running(self) -> bool:
        """Whether the machine is advancing by itself."""
        return self._realtime_task is not None and not self._realtime_task.done()

    async def aclose(self) -> None:
        """Stop the real-time task, drop pending responses and the link; await the tasks."""
        tasks: list[asyncio.Task[None]] = list(self._response_tasks)
        if self._realtime_task is not None:
            tasks.append(self._realtime_task)
            self._realtime_task = None
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._response_tasks.clear()
        self.drop_link()

    async def _run_realtime(self, time_scale: float) -> None:
        while True:
            await asyncio.sleep(TICK_S * time_scale)
            self._tick()

    # ------------------------------------------------------------------ radio and link

    def add_advertising_listener(self, listener: Callable[[bool], None]) -> Callable[[], None]:
        """Call ``listener(is_advertising)`` whenever advertising starts or stops.

        Returns a function that removes the listener.
        """
        self._advertising_listeners.append(listener)

        def remove() -> None:
            with contextlib.suppress(ValueError):
                self._advertising_listeners.remove(listener)

        return remove

    def connect_central(self, central: CentralLink) -> None:
        """Accept a connection: only one central at a time, only when powered and in range."""
        if not self._powered or not self._in_range:
            raise TreadmillUnreachableError(f"{self.address} is not reachable")
        if self._central is central:
            return
        if self._central is not None:
            raise LinkBusyError(f"{self.address} is already connected to another central")
        was_advertising = self.is_advertising
        self._central = central
        self._connection_generation += 1
        self._subscriptions.clear()
        self._control_granted = False
        _LOGGER.debug("%s: central connected", self.address)
        self._advertising_changed(was_advertising)

    def disconnect_central(self, central: CentralLink) -> None:
        """Close the link at the central's request (no ``link_lost`` call back to it)."""
        if self._central is not central:
            return
        _LOGGER.debug("%s: central disconnected", self.address)
        self._close_link()

    def drop_link(self) -> None:
        """Drop the link from the machine's side: the central learns it through ``link_lost``."""
        central = self._central
        if central is None:
            return
        _LOGGER.debug("%s: dropping the link", self.address)
        self._close_link()
        central.link_lost()

    def power_off(self) -> None:
        """Switch off: the link drops, the belt stops dead, advertising ends."""
        was_advertising = self.is_advertising
        self.drop_link()
        self._powered = False
        self._speed_kmh = 0.0
        self._belt_state = BeltState.STOPPED
        self._target_speed_kmh = None
        self._reset_session()
        self._training_status = TrainingStatusCode.IDLE
        self._advertising_changed(was_advertising)

    def power_on(self) -> None:
        """Switch on again: idle and advertising."""
        was_advertising = self.is_advertising
        self._powered = True
        self._advertising_changed(was_advertising)

    def set_in_range(self, in_range: bool) -> None:
        """Move the machine out of (link drops, no advertising) or back into radio range."""
        was_advertising = self.is_advertising
        if not in_range:
            self.drop_link()
        self._in_range = in_range
        self._advertising_changed(was_advertising)

    def _close_link(self) -> None:
        was_advertising = self.is_advertising
        self._central = None
        self._connection_generation += 1
        self._subscriptions.clear()
        self._control_granted = False
        self._procedures_unanswered = 0
        for task in self._response_tasks:
            task.cancel()
        if self.profile.stops_belt_on_link_loss and self._belt_state is not BeltState.STOPPED:
            self._stop_or_pause(pause=False)
        self._advertising_changed(was_advertising)

    def _advertising_changed(self, was_advertising: bool) -> None:
        now_advertising = self.is_advertising
        if now_advertising == was_advertising:
            return
        for listener in list(self._advertising_listeners):
            listener(now_advertising)

    # ------------------------------------------------------------------ GATT

    def gatt_services(self) -> tuple[GattServiceDefinition, ...]:
        """Return the GATT table a central discovers now (profile and misbehaviour shape it)."""
        control_point_update = (
            "notify" if self.misbehaviour.respond_with_notification else "indicate"
        )
        ftms = [
            GattCharacteristicDefinition(FtmsCharacteristic.FEATURE, ("read",)),
            GattCharacteristicDefinition(FtmsCharacteristic.TREADMILL_DATA, ("notify",)),
            GattCharacteristicDefinition(FtmsCharacteristic.TRAINING_STATUS, ("read", "notify")),
            GattCharacteristicDefinition(FtmsCharacteristic.SUPPORTED_SPEED_RANGE, ("read",)),
        ]
        if self.profile.has_inclination:
            ftms.append(
                GattCharacteristicDefinition(
                    FtmsCharacteristic.SUPPORTED_INCLINATION_RANGE, ("read",)
                )
            )
        ftms += [
            GattCharacteristicDefinition(
                FtmsCharacteristic.CONTROL_POINT, ("write", control_point_update)
            ),
            GattCharacteristicDefinition(FtmsCharacteristic.MACHINE_STATUS, ("notify",)),
        ]
        device_information = tuple(
            GattCharacteristicDefinition(uuid, ("read",))
            for uuid in DeviceInformationCharacteristic
        )
        return (
            GattServiceDefinition(FTMS_SERVICE_UUID, tuple(ftms)),
            GattServiceDefinition(DEVICE_INFORMATION_SERVICE_UUID, device_information),
        )

    def _characteristic(self, uuid: str) -> GattCharacteristicDefinition:
        wanted = uuid.lower()
        for service in self.gatt_services():
            for characteristic in service.characteristics:
                if characteristic.uuid == wanted:
                    return characteristic
        raise GattProtocolError(GattProtocolError.ATTRIBUTE_NOT_FOUND, f"no characteristic {uuid}")

    def _require_central(self, central: CentralLink) -> None:
        if self._central is None or self._central is not central:
            raise NotConnectedError(f"{self.address}: not connected")

    def read_characteristic(self, central: CentralLink, uuid: str) -> bytes:
        """Answer a GATT read from the connected central."""
        self._require_central(central)
        characteristic = self._characteristic(uuid)
        if "read" not in characteristic.properties:
            raise GattProtocolError(GattProtocolError.READ_NOT_PERMITTED, f"{uuid} is not readable")
        return self.characteristic_value(characteristic.uuid)

    def characteristic_value(self, uuid: str) -> bytes:
        """Return the current value of a readable characteristic (no connection needed)."""
        info = self.profile.device_information
        match uuid.lower():
            case FtmsCharacteristic.FEATURE:
                return encode_uint32(self.profile.machine_feature_bits) + encode_uint32(
                    self.profile.target_setting_bits
                )
            case FtmsCharacteristic.SUPPORTED_SPEED_RANGE:
                return self._speed_range_bytes()
            case FtmsCharacteristic.SUPPORTED_INCLINATION_RANGE:
                return self._inclination_range_bytes()
            case FtmsCharacteristic.TRAINING_STATUS:
                return self._training_status_bytes()
            case DeviceInformationCharacteristic.MANUFACTURER_NAME:
                return info.manufacturer.encode()
            case DeviceInformationCharacteristic.MODEL_NUMBER:
                return info.model.encode()
            case DeviceInformationCharacteristic.SERIAL_NUMBER:
                return info.serial_number.encode()
            case DeviceInformationCharacteristic.HARDWARE_REVISION:
                return info.hardware_revision.encode()
            case DeviceInformationCharacteristic.FIRMWARE_REVISION:
                return info.firmware_revision.encode()
            case DeviceInformationCharacteristic.SOFTWARE_REVISION:
                return info.software_revision.encode()
        raise GattProtocolError(GattProtocolError.READ_NOT_PERMITTED, f"{uuid} has no value")

    def set_notifications(self, central: CentralLink, uuid: str, enabled: bool) -> None:
        """Write the CCCD of a characteristic: enable or disable notifications/indications."""
        self._require_central(central)
        characteristic = self._characteristic(uuid)
        if not {"notify", "indicate"} & set(characteristic.properties):
            raise GattProtocolError(
                GattProtocolError.REQUEST_NOT_SUPPORTED, f"{uuid} cannot notify"
            )
        if enabled:
            self._subscriptions.add(characteristic.uuid)
        else:
            self._subscriptions.discard(characteristic.uuid)

    def write_characteristic(self, central: CentralLink, uuid: str, data: bytes) -> None:
        """Take a GATT write (with response) from the connected central.

        The ``80 op result`` response follows as an indication once the write has returned
        (later with ``response_delay_s``; never with ``drop_responses``).
        """
        self._require_central(central)
        characteristic = self._characteristic(uuid)
        if "write" not in characteristic.properties:
            raise GattProtocolError(GattProtocolError.WRITE_NOT_PERMITTED, f"{uuid} is read-only")
        data = bytes(data)
        self.writes.append(ControlPointWrite(time.monotonic(), self._clock_s, data))
        _LOGGER.debug("%s: control point write %s", self.address, data.hex(" "))
        if characteristic.uuid not in self._subscriptions:
            # FTMS: a control point write without indications enabled is refused at ATT level.
            raise GattProtocolError(
                GattProtocolError.CCCD_IMPROPERLY_CONFIGURED,
                "control point indications are not enabled",
            )
        if self.misbehaviour.refuse_while_busy and self._procedures_unanswered:
            raise GattProtocolError(
                GattProtocolError.PROCEDURE_ALREADY_IN_PROGRESS,
                "a control point procedure is already in progress",
            )
        self._handle_control_point(data)

    # ------------------------------------------------------------------ person and machine

    def pull_safety_key(self) -> None:
        """Pull the safety key: the belt stops at once, status 03."""
        if not self._safety_key_inserted:
            return
        self._safety_key_inserted = False
        was_active = self._belt_state is not BeltState.STOPPED or self._speed_kmh > 0
        self._speed_kmh = 0.0
        self._belt_state = BeltState.STOPPED
        self._target_speed_kmh = None
        # The incline motor halts where it is.
        self._target_inclination_pct = self._inclination_pct
        self._send_machine_status(MachineStatusOp.STOPPED_BY_SAFETY_KEY)
        if was_active:
            self._enter_post_workout()

    def insert_safety_key(self) -> None:
        """Insert the safety key again: the machine is idle and can start again."""
        if self._safety_key_inserted:
            return
        self._safety_key_inserted = True
        self._set_training_status(TrainingStatusCode.IDLE)

    def console_start(self) -> bool:
        """Press Start on the console (status 04); False when the safety key is out."""
        if not self._safety_key_inserted:
            return False
        if self._belt_state in (BeltState.RUNNING, BeltState.STARTING):
            return True
        self._start_or_resume()
        return True

    def console_stop(self) -> None:
        """Press Stop on the console: status 02 01."""
        if self._belt_state is BeltState.STOPPED:
            return
        self._stop_or_pause(pause=False)

    def console_pause(self) -> None:
        """Press Pause on the console: status 02 02 (and FF where control is lost on pause)."""
        if self._belt_state not in (BeltState.RUNNING, BeltState.STARTING):
            return
        self._stop_or_pause(pause=True)
        if self.misbehaviour.require_request_control and self._control_granted:
            self.revoke_control()

    def console_set_speed(self, kmh: float) -> None:
        """Press the console's speed keys: target clamped to the range, status 05."""
        speed = self.profile.speed_range
        units = _round_to_increment(
            min(
                max(_to_units(kmh, 100), _to_units(speed.minimum, 100)),
                _to_units(speed.maximum, 100),
            ),
            _to_units(speed.minimum, 100),
            _to_units(speed.increment, 100),
        )
        self._target_speed_kmh = units / 100
        self._send_machine_status(MachineStatusOp.TARGET_SPEED_CHANGED, encode_uint16(units))

    def console_set_incline(self, pct: float) -> None:
        """Press the console's incline keys: target clamped to the range, status 06."""
        incline = self.profile.inclination_range
        if incline is None:
            return
        units = _round_to_increment(
            min(
                max(_to_units(pct, 10), _to_units(incline.minimum, 10)),
                _to_units(incline.maximum, 10),
            ),
            _to_units(incline.minimum, 10),
            _to_units(incline.increment, 10),
        )
        self._target_inclination_pct = units / 10
        self._send_machine_status(MachineStatusOp.TARGET_INCLINE_CHANGED, encode_sint16(units))

    def revoke_control(self) -> None:
        """Take control permission back from the central: status FF."""
        self._control_granted = False
        self._send_machine_status(MachineStatusOp.CONTROL_PERMISSION_LOST)

    def set_heart_rate(self, bpm: int | None) -> None:
        """Set what the chest strap or hand grips read (None or 0: no contact)."""
        self._heart_rate_bpm = max(0, min(bpm or 0, 255))

    # ------------------------------------------------------------------ control point

    def _handle_control_point(self, data: bytes) -> None:
        if not data:
            # Nothing to answer: a response names the op it answers.
            return
        op = data[0]
        generation = self._connection_generation
        self._outbox = []
        try:
            result = self._control_result(op, data[1:])
            follow_ups = self._outbox
        finally:
            self._outbox = None
        messages: list[tuple[str, bytes]] = []
        if not self.misbehaviour.drop_responses:
            messages.append((FtmsCharacteristic.CONTROL_POINT, control_point_response(op, result)))
            self._procedures_unanswered += 1
        messages += follow_ups
        delay = self.misbehaviour.response_delay_s
        loop = asyncio.get_running_loop()
        if delay > 0:
            task = loop.create_task(
                self._send_later(delay, generation, messages),
                name=f"retrowalk-sim response {self.address}",
            )
            self._response_tasks.add(task)
            task.add_done_callback(self._response_tasks.discard)
        else:
            # After the write returns, as an indication follows the ATT write response.
            loop.call_soon(self._send_all, generation, messages)

    async def _send_later(
        self, delay: float, generation: int, messages: list[tuple[str, bytes]]
    ) -> None:
        await asyncio.sleep(delay)
        self._send_all(generation, messages)

    def _send_all(self, generation: int, messages: list[tuple[str, bytes]]) -> None:
        if generation != self._connection_generation:
            return
        for uuid, payload in messages:
            if uuid == FtmsCharacteristic.CONTROL_POINT:
                self._procedures_unanswered = max(0, self._procedures_unanswered - 1)
            self._deliver(uuid, payload)

    def _control_result(self, op: int, parameter: bytes) -> int:
        behaviour = self.misbehaviour
        if op in behaviour.result_overrides:
            return behaviour.result_overrides[op]
        if op in behaviour.unsupported_ops:
            return ResultCode.OP_CODE_NOT_SUPPORTED
        handlers: dict[int, Callable[[bytes], int]] = {
            ControlOp.REQUEST_CONTROL: self._op_request_control,
            ControlOp.RESET: self._op_reset,
            ControlOp.SET_TARGET_SPEED: self._op_set_target_speed,
            ControlOp.SET_TARGET_INCLINATION: self._op_set_target_inclination,
            ControlOp.START_OR_RESUME: self._op_start_or_resume,
            ControlOp.STOP_OR_PAUSE: self._op_stop_or_pause,
        }
        handler = handlers.get(op)
        if handler is None:
            return ResultCode.OP_CODE_NOT_SUPPORTED
        if op != ControlOp.REQUEST_CONTROL and (
            behaviour.control_not_permitted
            or (behaviour.require_request_control and not self._control_granted)
        ):
            return ResultCode.CONTROL_NOT_PERMITTED
        return handler(parameter)

    def _op_request_control(self, _parameter: bytes) -> int:
        repeated = self.misbehaviour.repeated_request_control_result
        if self._control_granted and repeated is not None:
            return repeated
        self._control_granted = True
        return ResultCode.SUCCESS

    def _op_reset(self, _parameter: bytes) -> int:
        self._belt_state = BeltState.STOPPED
        self._target_speed_kmh = None
        self._target_inclination_pct = self._lowest_incline()
        self._reset_session()
        # FTMS: after a reset the client has to request control again.
        self._control_granted = False
        self._send_machine_status(MachineStatusOp.RESET)
        self._set_training_status(TrainingStatusCode.IDLE)
        return ResultCode.SUCCESS

    def _op_set_target_speed(self, parameter: bytes) -> int:
        if len(parameter) < 2:
            return ResultCode.INVALID_PARAMETER
        raw = int.from_bytes(parameter[:2], "little")
        behaviour = self.misbehaviour
        belt_standing = self._speed_kmh <= 0
        if behaviour.drop_link_on_speed_until_running and belt_standing:
            self.drop_link()
            raise LinkDroppedError(f"{self.address} dropped the link on Set Target Speed")
        if behaviour.ignore_speed_commands or (
            behaviour.ignore_speed_until_running and belt_standing
        ):
            return ResultCode.SUCCESS
        mph = behaviour.speed_parameter_mph
        units = _round_half_up(raw * KM_PER_MILE) if mph else raw
        speed = self.profile.speed_range
        minimum = _to_units(speed.minimum, 100)
        if not minimum <= units <= _to_units(speed.maximum, 100):
            return ResultCode.INVALID_PARAMETER
        units = _round_to_increment(units, minimum, _to_units(speed.increment, 100))
        self._target_speed_kmh = units / 100
        # The machine echoes the applied target in the unit it reads the parameter in.
        echoed = _round_half_up(units / KM_PER_MILE) if mph else units
        self._send_machine_status(MachineStatusOp.TARGET_SPEED_CHANGED, encode_uint16(echoed))
        return ResultCode.SUCCESS

    def _op_set_target_inclination(self, parameter: bytes) -> int:
        incline = self.profile.inclination_range
        if incline is None:
            return ResultCode.OP_CODE_NOT_SUPPORTED
        if len(parameter) < 2:
            return ResultCode.INVALID_PARAMETER
        units = int.from_bytes(parameter[:2], "little", signed=True)
        minimum = _to_units(incline.minimum, 10)
        if not minimum <= units <= _to_units(incline.maximum, 10):
            return ResultCode.INVALID_PARAMETER
        units = _round_to_increment(units, minimum, _to_units(incline.increment, 10))
        self._target_inclination_pct = units / 10
        self._send_machine_status(MachineStatusOp.TARGET_INCLINE_CHANGED, encode_sint16(units))
        return ResultCode.SUCCESS

    def _op_start_or_resume(self, _parameter: bytes) -> int:
        if not self._safety_key_inserted:
            return ResultCode.OPERATION_FAILED
        if self._belt_state not in (BeltState.RUNNING, BeltState.STARTING):
            self._start_or_resume()
        return ResultCode.SUCCESS

    def _op_stop_or_pause(self, parameter: bytes) -> int:
        if not parameter or parameter[0] not in (StopPause.STOP, StopPause.PAUSE):
            return ResultCode.INVALID_PARAMETER
        pause = parameter[0] == StopPause.PAUSE
        if self._belt_state is BeltState.STOPPED or (
            pause and self._belt_state is BeltState.PAUSED
        ):
            return ResultCode.SUCCESS
        self._stop_or_pause(pause=pause)
        return ResultCode.SUCCESS

    # ------------------------------------------------------------------ belt programme

    def _start_or_resume(self) -> None:
        resuming = self._belt_state is BeltState.PAUSED
        if not resuming:
            self._reset_session()
        if self._target_speed_kmh is None:
            self._target_speed_kmh = self.profile.speed_range.minimum
        self._send_machine_status(MachineStatusOp.STARTED_OR_RESUMED_BY_USER)
        if resuming or self.profile.start_countdown_s <= 0:
            self._belt_state = BeltState.RUNNING
            self._set_training_status(TrainingStatusCode.MANUAL_MODE)
        else:
            self._belt_state = BeltState.STARTING
            self._countdown_left_s = self.profile.start_countdown_s
            self._set_training_status(TrainingStatusCode.PRE_WORKOUT)

    def _stop_or_pause(self, *, pause: bool) -> None:
        if pause:
            self._belt_state = BeltState.PAUSED
            self._send_machine_status(
                MachineStatusOp.STOPPED_OR_PAUSED_BY_USER, bytes((StopPause.PAUSE,))
            )
            return
        self._belt_state = BeltState.STOPPED
        self._target_speed_kmh = None
        if self.profile.lowers_incline_on_stop:
            self._target_inclination_pct = self._lowest_incline()
        self._send_machine_status(
            MachineStatusOp.STOPPED_OR_PAUSED_BY_USER, bytes((StopPause.STOP,))
        )
        self._enter_post_workout()

    def _enter_post_workout(self) -> None:
        self._post_workout_left_s = self.profile.post_workout_s
        self._set_training_status(TrainingStatusCode.POST_WORKOUT)

    def _lowest_incline(self) -> float:
        incline = self.profile.inclination_range
        return 0.0 if incline is None else max(incline.minimum, 0.0)

    def _reset_session(self) -> None:
        self._distance_m = 0.0
        self._elevation_gain_m = 0.0
        self._energy_kcal = 0.0
        self._elapsed_s = 0.0

    def _tick(self) -> None:
        """One physics step of :data:`TICK_S`, then one Treadmill Data notification."""
        dt = TICK_S
        self._clock_s += dt
        if not self._powered:
            return
        if self._belt_state is BeltState.STARTING:
            self._countdown_left_s -= dt
            if self._countdown_left_s <= _TIME_EPSILON:
                self._belt_state = BeltState.RUNNING
                self._set_training_status(TrainingStatusCode.MANUAL_MODE)

        belt_target = 0.0
        if self._belt_state is BeltState.RUNNING and self._safety_key_inserted:
            belt_target = self._target_speed_kmh or 0.0
        previous_speed = self._speed_kmh
        rate = (
            self.profile.acceleration_kmh_per_s
            if belt_target > previous_speed
            else self.profile.deceleration_kmh_per_s
        )
        self._speed_kmh = round(_move_toward(previous_speed, belt_target, rate * dt), 6)
        self._integrate_session(previous_speed, dt)

        if self._safety_key_inserted:
            self._inclination_pct = round(
                _move_toward(
                    self._inclination_pct,
                    self._target_inclination_pct,
                    self.profile.incline_rate_pct_per_s * dt,
                ),
                6,
            )
        if (
            self._training_status is TrainingStatusCode.POST_WORKOUT
            and self._belt_state is BeltState.STOPPED
            and self._speed_kmh <= 0
        ):
            self._post_workout_left_s -= dt
            if self._post_workout_left_s <= _TIME_EPSILON:
                self._set_training_status(TrainingStatusCode.IDLE)
        for record in self.treadmill_data_notifications():
            self._send(FtmsCharacteristic.TREADMILL_DATA, record)

    def _integrate_session(self, previous_speed: float, dt: float) -> None:
        if self._belt_state is BeltState.RUNNING:
            self._elapsed_s += dt
        mean_speed_kmh = (previous_speed + self._speed_kmh) / 2
        if mean_speed_kmh <= 0:
            return
        moved_m = mean_speed_kmh / 3.6 * dt
        grade = max(self._inclination_pct, 0.0) / 100
        self._distance_m += moved_m
        self._elevation_gain_m += moved_m * grade
        speed_m_per_min = mean_speed_kmh * 1000 / 60
        vo2 = (
            _RESTING_VO2_ML_PER_KG_MIN
            + _HORIZONTAL_VO2_PER_M_PER_MIN * speed_m_per_min
            + _VERTICAL_VO2_PER_M_PER_MIN * speed_m_per_min * grade
        )
        kcal_per_min = vo2 * self.profile.user_mass_kg / 1000 * _KCAL_PER_LITRE_O2
        self._energy_kcal += kcal_per_min * dt / 60

    # ------------------------------------------------------------------ encoding

    def treadmill_data_notifications(self) -> list[bytes]:
        """Return the current Treadmill Data record as the machine sends it (1 or 2 packets)."""
        profile = self.profile
        behaviour = self.misbehaviour
        not_available_u8 = 0 if behaviour.not_available_as_zero else UINT8_NOT_AVAILABLE
        not_available_u16 = 0 if behaviour.not_available_as_zero else UINT16_NOT_AVAILABLE
        not_available_s16 = 0 if behaviour.not_available_as_zero else SINT16_NOT_AVAILABLE
        speed_field = encode_uint16(_to_units(self._speed_kmh, 100))
        fields: list[tuple[TreadmillDataFlag, bytes]] = []
        if profile.reports_average_speed:
            fields.append(
                (
                    TreadmillDataFlag.AVERAGE_SPEED,
                    encode_uint16(_to_units(self.average_speed_kmh, 100)),
                )
            )
        if profile.reports_distance:
            distance = int(self._distance_m) + behaviour.distance_offset_m
            fields.append((TreadmillDataFlag.TOTAL_DISTANCE, encode_uint24(distance)))
        if profile.sends_inclination:
            fields.append(
                (
                    TreadmillDataFlag.INCLINATION,
                    encode_sint16(_to_units(self._inclination_pct, 10))
                    + encode_sint16(not_available_s16),
                )
            )
        if profile.sends_elevation_gain:
            fields.append(
                (
                    TreadmillDataFlag.ELEVATION_GAIN,
                    encode_uint16(int(self._elevation_gain_m * 10)) + encode_uint16(0),
                )
            )
        if profile.reports_energy:
            fields.append(
                (
                    TreadmillDataFlag.EXPENDED_ENERGY,
                    encode_uint16(int(self._energy_kcal))
                    + encode_uint16(not_available_u16)
                    + encode_uint8(not_available_u8),
                )
            )
        if profile.reports_heart_rate:
            fields.append((TreadmillDataFlag.HEART_RATE, encode_uint8(self._heart_rate_bpm)))
        if profile.reports_elapsed_time:
            fields.append((TreadmillDataFlag.ELAPSED_TIME, encode_uint16(int(self._elapsed_s))))
        if behaviour.steps_in_bit13:
            fields.append((TreadmillDataFlag.STEP_COUNT, encode_uint24(self.steps)))

        if behaviour.split_data_records:
            first = [(flag, value) for flag, value in fields if flag & _FIRST_PART_OF_SPLIT_RECORD]
            rest = [
                (flag, value) for flag, value in fields if not flag & _FIRST_PART_OF_SPLIT_RECORD
            ]
            records = [
                _assemble(TreadmillDataFlag.MORE_DATA, b"", first),
                _assemble(TreadmillDataFlag(0), speed_field, rest),
            ]
        else:
            records = [_assemble(TreadmillDataFlag(0), speed_field, fields)]
        if behaviour.truncate_data_bytes > 0:
            last = records[-1]
            records[-1] = last[: max(2, len(last) - behaviour.truncate_data_bytes)]
        return records

    def _speed_range_bytes(self) -> bytes:
        speed = self.profile.speed_range
        scale = 1 / KM_PER_MILE if self.misbehaviour.speed_range_in_mph else 1.0
        return (
            encode_uint16(_to_units(speed.minimum * scale, 100))
            + encode_uint16(_to_units(speed.maximum * scale, 100))
            + encode_uint16(_to_units(speed.increment * scale, 100))
        )

    def _inclination_range_bytes(self) -> bytes:
        incline = self.profile.inclination_range
        if incline is None or self.misbehaviour.report_zero_inclination_range:
            return bytes(6)
        return (
            encode_sint16(_to_units(incline.minimum, 10))
            + encode_sint16(_to_units(incline.maximum, 10))
            + encode_uint16(_to_units(incline.increment, 10))
        )

    def _training_status_bytes(self) -> bytes:
        flags = 0x01 if self.misbehaviour.training_status_string_flag_without_string else 0x00
        return bytes((flags, self._training_status))

    # ------------------------------------------------------------------ sending

    def _set_training_status(self, status: TrainingStatusCode) -> None:
        if status == self._training_status:
            return
        self._training_status = status
        self._send(FtmsCharacteristic.TRAINING_STATUS, self._training_status_bytes())

    def _send_machine_status(self, op: MachineStatusOp, parameter: bytes = b"") -> None:
        payload = bytes((op,)) + parameter + self.misbehaviour.status_trailing_bytes
        self._send(FtmsCharacteristic.MACHINE_STATUS, payload)

    def _send(self, uuid: str, payload: bytes) -> None:
        if self._outbox is not None:
            self._outbox.append((uuid, payload))
            return
        self._deliver(uuid, payload)

    def _deliver(self, uuid: str, payload: bytes) -> None:
        uuid = str(uuid)
        central = self._central
        delivered = central is not None and uuid in self._subscriptions
        self.notifications.append(SentNotification(self._clock_s, uuid, payload, delivered))
        if delivered and central is not None:
            central.deliver(uuid, payload)


def _assemble(
    flags: TreadmillDataFlag, leading: bytes, fields: list[tuple[TreadmillDataFlag, bytes]]
) -> bytes:
    """Build one Treadmill Data packet: flags, optional instantaneous speed, fields in bit order."""
    for flag, _value in fields:
        flags |= flag
    return encode_uint16(int(flags)) + leading + b"".join(value for _flag, value in fields)

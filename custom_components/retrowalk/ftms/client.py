"""FtmsClient: one treadmill over bleak, with control-point procedures run one at a time.

How commands flow:

- Every command but ``stop()`` is queued; a single worker task runs the queue in order. A
  procedure writes its control-point value and waits for the matching ``80 <op> <result>``
  response (indication or notification) for at most ``response_timeout`` seconds.
- Responses are matched by request op, oldest waiting procedure first. The waiter is registered
  before the write, so a machine that answers before the write call returns is still matched.
- ``stop()`` does not queue. It drops every queued command (their callers get
  FtmsCommandDroppedError), bumps the *stop generation* and writes at once, even while another
  procedure still waits for its response (that one keeps waiting and gets its own response, a
  timeout or a link error). A procedure checks the generation before each of its writes, so a
  multi-step procedure (Request Control, Start, wait for the belt, Set Target Speed) never
  writes another step after a stop. The worker takes the next command only once no stop waits
  for its response.
- DeviceQuirks are applied here and nowhere else: ``_take_control_if_needed`` (Request Control
  mode), ``_set_target_speed`` (start before speed), ``_start`` (wait for the belt), the speed
  encoding and the Target Speed Changed status (mph).
- When the link drops, the running procedure, every queued command and every waiting response
  fail with FtmsNotConnectedError, and ``on_disconnect`` is called.
"""

import asyncio
from collections import deque
from dataclasses import dataclass, field, replace
import logging
from typing import TYPE_CHECKING, Any, Final

from bleak.exc import BleakError
import bleak_retry_connector
from bleak_retry_connector import BleakClientWithServiceCache, establish_connection

from .const import (
    CONTROL_POINT_UUID,
    DEVICE_INFORMATION_SERVICE_UUID,
    FIRMWARE_REVISION_UUID,
    FITNESS_MACHINE_FEATURE_UUID,
    FTMS_SERVICE_UUID,
    HARDWARE_REVISION_UUID,
    KMH_PER_MPH,
    MACHINE_STATUS_UUID,
    MANUFACTURER_NAME_UUID,
    MODEL_NUMBER_UUID,
    SERIAL_NUMBER_UUID,
    SOFTWARE_REVISION_UUID,
    SUPPORTED_INCLINATION_RANGE_UUID,
    SUPPORTED_SPEED_RANGE_UUID,
    TRAINING_STATUS_UUID,
    TREADMILL_DATA_UUID,
    ControlOp,
    ResultCode,
)
from .decode import (
    ControlResponse,
    MachineFeatures,
    MachineStatus,
    SupportedRange,
    TrainingStatus,
    TreadmillData,
    TreadmillDataAssembler,
    parse_control_response,
    parse_features,
    parse_inclination_range,
    parse_machine_status,
    parse_speed_range,
    parse_training_status,
)
from .encode import (
    encode_pause,
    encode_request_control,
    encode_reset,
    encode_set_target_inclination,
    encode_set_target_speed,
    encode_start_resume,
    encode_stop,
)
from .errors import (
    FtmsCommandDroppedError,
    FtmsDecodeError,
    FtmsError,
    FtmsNotConnectedError,
    FtmsOpNotSupportedError,
    FtmsTimeoutError,
    control_error_for,
)
from .quirks import DeviceQuirks, RequestControlMode, SpeedUnit

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Mapping

    from bleak.backends.characteristic import BleakGATTCharacteristic
    from bleak.backends.device import BLEDevice

_LOGGER = logging.getLogger(__name__)

URGENT_WRITE_ATTEMPTS: Final = 3
"""Writes of a stop (and the Request Control before it) before giving up."""
URGENT_WRITE_RETRY_S: Final = 0.1
"""Pause before writing a refused stop again when no other procedure is pending."""

DEFAULT_RESPONSE_TIMEOUT_S: Final = 5.0
"""How long a control-point procedure waits for its ``80 op result`` response."""


@dataclass(frozen=True, slots=True)
class DeviceInformation:
    """Device Information Service (0x180A) strings; ``None`` for what the machine lacks."""

    manufacturer: str | None = None
    model: str | None = None
    serial_number: str | None = None
    hardware_revision: str | None = None
    firmware_revision: str | None = None
    software_revision: str | None = None


_DEVICE_INFORMATION_FIELDS: Final = (
    ("manufacturer", MANUFACTURER_NAME_UUID),
    ("model", MODEL_NUMBER_UUID),
    ("serial_number", SERIAL_NUMBER_UUID),
    ("hardware_revision", HARDWARE_REVISION_UUID),
    ("firmware_revision", FIRMWARE_REVISION_UUID),
    ("software_revision", SOFTWARE_REVISION_UUID),
)


def _device_string(value: bytes | bytearray) -> str | None:
    # Firmwares pad these strings with NULs or spaces; an empty one says nothing.
    return bytes(value).decode("utf-8", "replace").strip("\x00 \t\r\n") or None


@dataclass(slots=True)
class _Command:
    """A queued command: its procedure and the future its caller awaits."""

    name: str
    procedure: Callable[[int], Awaitable[None]]
    """Runs the command; takes the stop generation the command started in."""
    done: asyncio.Future[None]


@dataclass(slots=True)
class _AwaitedResponse:
    """A written (or about to be written) procedure waiting for its response."""

    request_op: int
    response: asyncio.Future[ControlResponse] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )


def _answered_success(awaited: _AwaitedResponse) -> bool:
    """Whether a response has arrived already and says success (without waiting for it)."""
    future = awaited.response
    return (
        future.done()
        and not future.cancelled()
        and future.exception() is None
        and future.result().succeeded
    )


class FtmsClient:
    """A connection to one FTMS treadmill.

    Units are km/h and %; the client converts to what the machine reads (0.01 km/h, 0.01 mph
    for machines with that quirk, 0.1 %). Callbacks run in the event loop and must not block;
    an exception in a callback is logged and does not reach the connection.
    """

    def __init__(
        self,
        ble_device: BLEDevice,
        *,
        quirks: DeviceQuirks = DeviceQuirks(),  # noqa: B008 - frozen, so a shared default is safe
        response_timeout: float = DEFAULT_RESPONSE_TIMEOUT_S,
        on_data: Callable[[TreadmillData], None] | None = None,
        on_machine_status: Callable[[MachineStatus], None] | None = None,
        on_training_status: Callable[[TrainingStatus], None] | None = None,
        on_disconnect: Callable[[], None] | None = None,
        ble_device_callback: Callable[[], BLEDevice] | None = None,
        client_kwargs: Mapping[str, Any] | None = None,
    ) -> None:
        """Prepare a client; nothing happens on the radio before ``connect()``."""
        self._ble_device = ble_device
        self._quirks = quirks
        self._response_timeout = response_timeout
        self._on_data = on_data
        self._on_machine_status = on_machine_status
        self._on_training_status = on_training_status
        self._on_disconnect = on_disconnect
        self._ble_device_callback = ble_device_callback
        self._client_kwargs: dict[str, Any] = dict(client_kwargs or {})

        self._client: BleakClientWithServiceCache | None = None
        self._connected = False
        self._closing = False
        self._control_point: BleakGATTCharacteristic | None = None
        self._device_information = DeviceInformation()
        self._features: MachineFeatures | None = None
        self._speed_range: SupportedRange | None = None
        self._inclination_range: SupportedRange | None = None
        self._assembler = TreadmillDataAssembler()

        self._queue: deque[_Command] = deque()
        self._queue_changed = asyncio.Event()
        self._worker: asyncio.Task[None] | None = None
        self._running: _Command | None = None
        self._awaited: list[_AwaitedResponse] = []
        self._stop_generation = 0
        self._stops_in_flight = 0
        self._no_stop_in_flight = asyncio.Event()
        self._no_stop_in_flight.set()

        self._connect_lock = asyncio.Lock()
        self._control_held = False
        self._belt_speed_kmh = 0.0
        self._belt_halted = False
        """Set by our stop or pause (or the machine's status) while the belt may still coast."""
        self._belt_changed = asyncio.Event()

    # -- what the machine is ------------------------------------------------------------------

    @property
    def quirks(self) -> DeviceQuirks:
        """The quirks this client applies."""
        return self._quirks

    @property
    def is_connected(self) -> bool:
        """Whether the link is up and the client is ready for commands."""
        return self._connected and self._client is not None and self._client.is_connected

    @property
    def device_information(self) -> DeviceInformation:
        """Device Information strings read at connect (all ``None`` before)."""
        return self._device_information

    @property
    def features(self) -> MachineFeatures | None:
        """Fitness Machine Feature read at connect; ``None`` if missing or unreadable."""
        return self._features

    @property
    def speed_range(self) -> SupportedRange | None:
        """Supported Speed Range in km/h; ``None`` if missing, unreadable or spanning nothing."""
        return self._speed_range

    @property
    def inclination_range(self) -> SupportedRange | None:
        """Supported Inclination Range in %; ``None`` if missing, unreadable or unusable.

        Some walking pads report an all-zero range: that is not a range one can set anything
        in, so it is reported as ``None`` ("no usable range"). ``set_target_inclination`` still
        works, because some machines accept inclination while reporting a zero range.
        """
        return self._inclination_range

    # -- connection ---------------------------------------------------------------------------

    async def connect(self) -> None:
        """Connect, read Device Information, features and ranges, and subscribe.

        Raises FtmsNotConnectedError when the machine cannot be reached or the link fails
        during setup.
        """
        async with self._connect_lock:
            if not self.is_connected:
                await self._connect()

    async def _connect(self) -> None:
        await self._stop_worker()
        self._closing = False
        self._reset_session_state()
        name = self._ble_device.name or self._ble_device.address
        try:
            client = await establish_connection(
                # Looked up now, not at import: Home Assistant replaces this class with its
                # own, which routes the connection through the best adapter or proxy.
                bleak_retry_connector.BleakClientWithServiceCache,
                self._ble_device,
                name,
                disconnected_callback=self._handle_link_lost,
                ble_device_callback=self._ble_device_callback,
                **self._client_kwargs,
            )
        except (BleakError, TimeoutError) as err:
            raise FtmsNotConnectedError(f"could not connect to {name}: {err}") from err
        self._client = client
        try:
            await self._read_machine(client)
            await self._subscribe(client)
        except BaseException as err:
            self._closing = True
            self._client = None
            await self._disconnect_quietly(client)
            if isinstance(err, (BleakError, TimeoutError)):
                raise FtmsNotConnectedError(f"setting up {name} failed: {err!r}") from err
            raise
        # Ready only now: a command cannot be queued on a connection whose setup then fails.
        self._worker = asyncio.create_task(self._run_queue(), name=f"FTMS commands for {name}")
        self._connected = True

    async def disconnect(self) -> None:
        """Disconnect; commands still queued or waiting fail with FtmsNotConnectedError."""
        self._closing = True
        self._connected = False
        self._fail_everything("disconnected")
        await self._stop_worker()
        client, self._client = self._client, None
        if client is not None:
            await self._disconnect_quietly(client)

    def _reset_session_state(self) -> None:
        self._assembler.reset()
        self._control_held = False
        self._belt_speed_kmh = 0.0
        self._belt_halted = False
        self._device_information = DeviceInformation()
        self._features = None
        self._speed_range = None
        self._inclination_range = None
        self._control_point = None

    async def _stop_worker(self) -> None:
        worker, self._worker = self._worker, None
        if worker is not None:
            worker.cancel()
            await asyncio.gather(worker, return_exceptions=True)

    @staticmethod
    async def _disconnect_quietly(client: BleakClientWithServiceCache) -> None:
        try:
            await client.disconnect()
        except BleakError as err:
            _LOGGER.debug("%s: disconnect failed: %s", client.address, err)

    def _handle_link_lost(self, client: BleakClientWithServiceCache) -> None:
        if client is not self._client:
            return  # a stale client from an earlier connection or a connect retry
        was_connected = self._connected
        self._connected = False
        self._fail_everything("the link dropped")
        # The worker ends with the link, so a client dropped after a link loss leaks no task.
        if self._worker is not None:
            self._worker.cancel()
            self._worker = None
        if was_connected and not self._closing:
            _LOGGER.debug("%s: link lost", client.address)
            self._call(self._on_disconnect)

    def _fail_everything(self, reason: str) -> None:
        """Fail the running procedure, the queue and every awaited response."""
        self._drop_queued(FtmsNotConnectedError, reason)
        if self._running is not None and not self._running.done.done():
            self._running.done.set_exception(FtmsNotConnectedError(reason))
        for awaited in self._awaited:
            if not awaited.response.done():
                awaited.response.set_exception(FtmsNotConnectedError(reason))
        self._belt_changed.set()

    # -- reading and subscribing --------------------------------------------------------------

    async def _read_machine(self, client: BleakClientWithServiceCache) -> None:
        information: dict[str, str | None] = {}
        for name, uuid in _DEVICE_INFORMATION_FIELDS:
            value = await self._read_optional(client, DEVICE_INFORMATION_SERVICE_UUID, uuid)
            information[name] = None if value is None else _device_string(value)
        self._device_information = DeviceInformation(**information)

        value = await self._read_optional(client, FTMS_SERVICE_UUID, FITNESS_MACHINE_FEATURE_UUID)
        if value is not None:
            try:
                self._features = parse_features(value)
            except FtmsDecodeError as err:
                _LOGGER.debug("%s: features unreadable: %s", client.address, err)

        value = await self._read_optional(client, FTMS_SERVICE_UUID, SUPPORTED_SPEED_RANGE_UUID)
        self._speed_range = self._usable_range(client, value, parse_speed_range)
        value = await self._read_optional(
            client, FTMS_SERVICE_UUID, SUPPORTED_INCLINATION_RANGE_UUID
        )
        self._inclination_range = self._usable_range(client, value, parse_inclination_range)

    @staticmethod
    def _usable_range(
        client: BleakClientWithServiceCache,
        value: bytearray | None,
        parse: Callable[[bytearray], SupportedRange],
    ) -> SupportedRange | None:
        if value is None:
            return None
        try:
            supported = parse(value)
        except FtmsDecodeError as err:
            _LOGGER.debug("%s: range unreadable: %s", client.address, err)
            return None
        if not supported.is_usable:
            _LOGGER.debug("%s: range %s spans nothing, ignored", client.address, supported)
            return None
        return supported

    @staticmethod
    def _characteristic(
        client: BleakClientWithServiceCache, service_uuid: str, uuid: str
    ) -> BleakGATTCharacteristic | None:
        try:
            service = client.services.get_service(service_uuid)
        except BleakError:
            service = None  # duplicated services: fall back to the first characteristic
        if service is not None:
            return service.get_characteristic(uuid)
        try:
            return client.services.get_characteristic(uuid)
        except BleakError:
            return None

    async def _read_optional(
        self, client: BleakClientWithServiceCache, service_uuid: str, uuid: str
    ) -> bytearray | None:
        characteristic = self._characteristic(client, service_uuid, uuid)
        if characteristic is None:
            return None
        try:
            return await client.read_gatt_char(characteristic)
        except (BleakError, TimeoutError) as err:
            if not client.is_connected:
                raise
            _LOGGER.debug("%s: reading %s failed: %s", client.address, uuid, err)
            return None

    async def _subscribe(self, client: BleakClientWithServiceCache) -> None:
        handlers: tuple[tuple[str, Callable[[BleakGATTCharacteristic, bytearray], None]], ...] = (
            (CONTROL_POINT_UUID, self._handle_control_point),
            (TREADMILL_DATA_UUID, self._handle_treadmill_data),
            (MACHINE_STATUS_UUID, self._handle_machine_status),
            (TRAINING_STATUS_UUID, self._handle_training_status),
        )
        for uuid, handler in handlers:
            characteristic = self._characteristic(client, FTMS_SERVICE_UUID, uuid)
            if characteristic is None:
                _LOGGER.debug("%s: no characteristic %s", client.address, uuid)
                continue
            await client.start_notify(characteristic, handler)
            if uuid == CONTROL_POINT_UUID:
                self._control_point = characteristic

    # -- notifications ------------------------------------------------------------------------

    @staticmethod
    def _call(callback: Callable[..., None] | None, *args: object) -> None:
        if callback is None:
            return
        try:
            callback(*args)
        except Exception:
            _LOGGER.exception("FTMS callback %r failed", callback)

    def _handle_treadmill_data(self, _: BleakGATTCharacteristic, data: bytearray) -> None:
        try:
            record = self._assembler.feed(data)
        except FtmsDecodeError as err:
            _LOGGER.debug("ignored Treadmill Data %s: %s", data.hex(), err)
            return
        if record is None:
            return
        if record.speed_kmh is not None:
            self._belt_speed_kmh = record.speed_kmh
            if record.speed_kmh > 0:
                self._belt_changed.set()
        self._call(self._on_data, record)

    def _handle_machine_status(self, _: BleakGATTCharacteristic, data: bytearray) -> None:
        try:
            status = parse_machine_status(data)
        except FtmsDecodeError as err:
            _LOGGER.debug("ignored Machine Status %s: %s", data.hex(), err)
            return
        if status.control_permission_lost:
            self._control_held = False
        if status.stopped or status.paused:
            self._belt_halted = True
        elif status.started:
            self._belt_halted = False
        if self._quirks.speed_unit is SpeedUnit.MPH and status.target_speed_kmh is not None:
            # A machine that reads the speed parameter in mph echoes the new target in mph too.
            status = replace(
                status, target_speed_kmh=round(status.target_speed_kmh * KMH_PER_MPH, 2)
            )
        self._call(self._on_machine_status, status)

    def _handle_training_status(self, _: BleakGATTCharacteristic, data: bytearray) -> None:
        try:
            status = parse_training_status(data)
        except FtmsDecodeError as err:
            _LOGGER.debug("ignored Training Status %s: %s", data.hex(), err)
            return
        self._call(self._on_training_status, status)

    def _handle_control_point(self, _: BleakGATTCharacteristic, data: bytearray) -> None:
        try:
            response = parse_control_response(data)
        except FtmsDecodeError as err:
            _LOGGER.debug("ignored control-point value %s: %s", data.hex(), err)
            return
        for awaited in self._awaited:
            if awaited.request_op == response.request_op and not awaited.response.done():
                awaited.response.set_result(response)
                return
        _LOGGER.debug("unexpected control-point response %s", data.hex())

    # -- commands -----------------------------------------------------------------------------

    async def request_control(self) -> None:
        """Request Control (op 00), whatever the quirks' Request Control mode."""
        await self._submit("request control", self._take_control)

    async def reset(self) -> None:
        """Reset (op 01); the machine releases control afterwards."""
        await self._submit("reset", self._reset)

    async def start(self) -> None:
        """Start or Resume (op 07); with a belt-wait quirk, returns once the belt moves."""
        await self._submit("start", self._start)

    async def pause(self) -> None:
        """Stop or Pause (op 08) with pause."""
        await self._submit("pause", self._pause)

    async def set_target_speed(self, kmh: float) -> None:
        """Set Target Speed (op 02) in km/h, rounded to 0.01 of the machine's unit.

        Raises ValueError, before anything is queued, for a speed the field cannot carry.
        """
        payload = encode_set_target_speed(kmh, speed_unit=self._quirks.speed_unit)

        async def procedure(generation: int) -> None:
            await self._set_target_speed(payload, kmh, generation)

        await self._submit(f"set target speed {kmh} km/h", procedure)

    async def set_target_inclination(self, pct: float) -> None:
        """Set Target Inclination (op 03) in %, rounded to 0.1 %.

        Raises ValueError, before anything is queued, for an inclination the field cannot
        carry.
        """
        payload = encode_set_target_inclination(pct)

        async def procedure(generation: int) -> None:
            await self._command(payload, generation)

        await self._submit(f"set target inclination {pct} %", procedure)

    async def stop(self) -> None:
        """Stop the belt, ahead of everything else.

        Queued commands are dropped (FtmsCommandDroppedError) and Stop is written at once, even
        while another procedure still waits for its response.
        """
        self._require_connected()
        self._stop_generation += 1
        self._drop_queued(FtmsCommandDroppedError, "a stop jumped the queue")
        self._belt_changed.set()  # ends a wait for the belt, which then sees the stop
        self._stops_in_flight += 1
        self._no_stop_in_flight.clear()
        try:
            await self._stop()
        finally:
            self._stops_in_flight -= 1
            if not self._stops_in_flight:
                self._no_stop_in_flight.set()

    # -- the queue ----------------------------------------------------------------------------

    def _require_connected(self) -> None:
        if not self.is_connected:
            raise FtmsNotConnectedError("not connected")

    async def _submit(self, name: str, procedure: Callable[[int], Awaitable[None]]) -> None:
        self._require_connected()
        command = _Command(name, procedure, asyncio.get_running_loop().create_future())
        self._queue.append(command)
        self._queue_changed.set()
        await command.done

    def _drop_queued(self, error: type[FtmsError], reason: str) -> None:
        dropped = list(self._queue)
        self._queue.clear()
        for command in dropped:
            if not command.done.done():
                command.done.set_exception(error(f"{command.name}: {reason}"))

    async def _run_queue(self) -> None:
        while True:
            if not self._queue:
                self._queue_changed.clear()
                await self._queue_changed.wait()
                continue
            if self._stops_in_flight:
                await self._no_stop_in_flight.wait()
                continue  # the stop emptied the queue or more arrived: look again
            command = self._queue.popleft()
            if command.done.done():
                continue  # its caller was cancelled while it waited
            self._running = command
            try:
                await command.procedure(self._stop_generation)
            except Exception as err:
                if not command.done.done():
                    command.done.set_exception(err)
            else:
                if not command.done.done():
                    command.done.set_result(None)
            finally:
                self._running = None

    # -- procedures ---------------------------------------------------------------------------

    async def _write(self, payload: bytes, generation: int | None) -> None:
        """Write one control-point value; ``generation`` None means "a stop: never dropped"."""
        if generation is not None and generation != self._stop_generation:
            raise FtmsCommandDroppedError(f"op 0x{payload[0]:02X}: a stop came first")
        client = self._client
        if not self._connected or client is None:
            raise FtmsNotConnectedError("not connected")
        if self._control_point is None:
            raise FtmsOpNotSupportedError(payload[0], ResultCode.OP_CODE_NOT_SUPPORTED)
        try:
            await client.write_gatt_char(self._control_point, payload, response=True)
        except BleakError as err:
            if not client.is_connected:
                raise FtmsNotConnectedError(f"the link dropped while writing: {err}") from err
            raise FtmsError(f"writing op 0x{payload[0]:02X} failed: {err}") from err

    async def _write_urgently(self, payload: bytes, *own: _AwaitedResponse) -> None:
        """Write now; if the machine is busy with another procedure, right after it answers.

        FTMS lets a machine refuse a control point write while an earlier procedure is still
        unanswered (ATT error 0xFE, procedure already in progress). Most treadmills take the
        write at once, and then nothing waits; a strict one gets it the moment it is free.

        ``own`` are the stop's responses not written yet (this write's and any after it):
        they cannot come while this write waits, so waiting for them would hold the stop for
        the whole response timeout.
        """
        for attempt in range(1, URGENT_WRITE_ATTEMPTS + 1):
            try:
                await self._write(payload, None)
            except FtmsNotConnectedError:
                raise
            except FtmsError:
                if attempt == URGENT_WRITE_ATTEMPTS:
                    raise
                busy = [
                    awaited.response
                    for awaited in self._awaited
                    if awaited not in own and not awaited.response.done()
                ]
                _LOGGER.debug("Control point busy, writing 0x%02X again", payload[0])
                if busy:
                    await asyncio.wait(busy, timeout=self._response_timeout)
                else:
                    await asyncio.sleep(URGENT_WRITE_RETRY_S)
            else:
                return

    def _await_response_to(self, request_op: int) -> _AwaitedResponse:
        awaited = _AwaitedResponse(request_op)
        self._awaited.append(awaited)
        return awaited

    def _forget(self, awaited: _AwaitedResponse) -> None:
        self._awaited.remove(awaited)
        if awaited.response.done():
            if not awaited.response.cancelled():
                awaited.response.exception()  # retrieved: nobody waits for it any more
        else:
            awaited.response.cancel()

    async def _response(self, awaited: _AwaitedResponse) -> ControlResponse:
        try:
            async with asyncio.timeout(self._response_timeout):
                return await awaited.response
        except TimeoutError:
            raise FtmsTimeoutError(
                f"no response to op 0x{awaited.request_op:02X} within {self._response_timeout} s"
            ) from None

    async def _exchange(self, payload: bytes, generation: int | None) -> ControlResponse:
        """Write a control-point value and return the machine's response to it."""
        awaited = self._await_response_to(payload[0])
        try:
            await self._write(payload, generation)
            return await self._response(awaited)
        finally:
            self._forget(awaited)

    @staticmethod
    def _raise_unless_success(response: ControlResponse) -> None:
        if not response.succeeded:
            raise control_error_for(response.request_op, response.result)

    async def _take_control(self, generation: int | None) -> None:
        response = await self._exchange(encode_request_control(), generation)
        self._raise_unless_success(response)
        self._control_held = True

    def _control_needed(self) -> bool:
        mode = self._quirks.request_control
        return mode is RequestControlMode.BEFORE_EACH or (
            mode is RequestControlMode.ONCE and not self._control_held
        )

    async def _take_control_if_needed(self, generation: int | None) -> None:
        if self._control_needed():
            await self._take_control(generation)

    async def _command(self, payload: bytes, generation: int | None) -> None:
        """Run one procedure, with the Request Control the quirks call for."""
        await self._take_control_if_needed(generation)
        response = await self._exchange(payload, generation)
        if (
            response.result == ResultCode.CONTROL_NOT_PERMITTED
            and self._quirks.request_control is RequestControlMode.ONCE
        ):
            # Control was revoked without a status FF reaching us: take it back, once.
            self._control_held = False
            await self._take_control(generation)
            response = await self._exchange(payload, generation)
        self._raise_unless_success(response)

    async def _reset(self, generation: int) -> None:
        await self._command(encode_reset(), generation)
        # After a Reset the machine is back in its initial state: belt stopped, no controlling
        # client.
        self._control_held = False
        self._belt_halted = True

    async def _start(self, generation: int) -> None:
        await self._command(encode_start_resume(), generation)
        self._belt_halted = False
        await self._wait_for_belt(generation)

    async def _pause(self, generation: int) -> None:
        await self._command(encode_pause(), generation)
        self._belt_halted = True

    @property
    def _belt_running(self) -> bool:
        return not self._belt_halted and self._belt_speed_kmh > 0

    async def _wait_for_belt(self, generation: int) -> None:
        """After Start: until the belt reports speed, a stop, or ``wait_for_belt_s``."""
        if self._quirks.wait_for_belt_s <= 0:
            return
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._quirks.wait_for_belt_s
        # A dropped link cancels the worker, and with it this wait.
        while self._belt_speed_kmh <= 0 and generation == self._stop_generation:
            self._belt_changed.clear()
            try:
                async with asyncio.timeout_at(deadline):
                    await self._belt_changed.wait()
            except TimeoutError:
                _LOGGER.debug(
                    "belt reported no speed %s s after Start", self._quirks.wait_for_belt_s
                )
                return

    async def _set_target_speed(self, payload: bytes, kmh: float, generation: int) -> None:
        if self._quirks.start_before_speed and kmh > 0 and not self._belt_running:
            await self._start(generation)
        await self._command(payload, generation)

    async def _stop(self) -> None:
        """Write Stop now (after Request Control if needed, without waiting for its answer)."""
        control = (
            self._await_response_to(ControlOp.REQUEST_CONTROL) if self._control_needed() else None
        )
        stop = self._await_response_to(ControlOp.STOP_OR_PAUSE)
        try:
            if control is not None:
                # Written back to back: waiting for the control answer would delay the stop.
                await self._write_urgently(encode_request_control(), control, stop)
            await self._write_urgently(encode_stop(), stop)
            response = await self._response(stop)
            if control is not None and _answered_success(control):
                self._control_held = True
        finally:
            self._forget(stop)
            if control is not None:
                self._forget(control)
        if (
            response.result == ResultCode.CONTROL_NOT_PERMITTED
            and self._quirks.request_control is not RequestControlMode.NEVER
        ):
            self._control_held = False
            await self._take_control(None)
            response = await self._exchange(encode_stop(), None)
        self._raise_unless_success(response)
        self._belt_halted = True

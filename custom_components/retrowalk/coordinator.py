"""The treadmill's connection and its live state, pushed to Home Assistant entities."""

import asyncio
from collections.abc import Awaitable, Callable
from contextlib import suppress
from dataclasses import dataclass, field, replace
from datetime import datetime
import logging
from typing import TYPE_CHECKING, override

from bleak.backends.device import BLEDevice
from bleak.exc import BleakError
from homeassistant.components import bluetooth
from homeassistant.core import CALLBACK_TYPE, HassJob, HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers.event import async_track_time_interval
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator

from .const import DOMAIN, RECONNECT_WATCHDOG_INTERVAL
from .ftms import (
    DeviceInformation,
    DeviceQuirks,
    FtmsClient,
    FtmsCommandDroppedError,
    FtmsControlNotPermittedError,
    FtmsError,
    FtmsInvalidParameterError,
    FtmsNotConnectedError,
    FtmsOpNotSupportedError,
    FtmsTimeoutError,
    MachineFeatures,
    MachineStatus,
    SupportedRange,
    TrainingStatus,
    TreadmillData,
)
from .options import RetroWalkOptions, format_speed
from .program import SafetyReason, WalkingDirection
from .program_control import ProgramController
from .session import SessionCounters
from .tracking import SessionTracking

if TYPE_CHECKING:
    from . import RetroWalkConfigEntry

_LOGGER = logging.getLogger(__name__)

# Exceptions that mean "the treadmill could not be reached", as opposed to programming errors.
CONNECT_ERRORS: tuple[type[Exception], ...] = (BleakError, FtmsError, TimeoutError)


@dataclass(frozen=True, slots=True)
class TreadmillSnapshot:
    """Everything the entities show, as of the last notification."""

    connected: bool = False
    data: TreadmillData | None = None
    machine_status: MachineStatus | None = None
    training_status: TrainingStatus | None = None
    session: SessionCounters = field(default_factory=SessionCounters)

    @property
    def speed_kmh(self) -> float | None:
        """The belt's current speed, None while unknown."""
        return None if self.data is None else self.data.speed_kmh

    @property
    def belt_moving(self) -> bool:
        """Whether the belt is moving now."""
        return bool(self.speed_kmh)


@dataclass(frozen=True, slots=True)
class ConnectionEvent:
    """One line of the connection history kept for diagnostics."""

    at: datetime
    event: str
    detail: str | None = None


class RetroWalkCoordinator(DataUpdateCoordinator[TreadmillSnapshot]):
    """Owns the connection to one treadmill and publishes what it notifies.

    The treadmill pushes data about twice a second over a held connection, so there is no
    polling. Availability follows the connection: a connected treadmill stops advertising, so
    advertisements say nothing about whether it is still there.
    """

    config_entry: RetroWalkConfigEntry

    def __init__(
        self,
        hass: HomeAssistant,
        entry: RetroWalkConfigEntry,
        ble_device: BLEDevice,
        options: RetroWalkOptions,
        quirks: DeviceQuirks,
    ) -> None:
        """Prepare the coordinator; nothing is connected yet."""
        super().__init__(hass, _LOGGER, config_entry=entry, name=entry.title, always_update=False)
        self.address: str = ble_device.address
        self.setup_data = dict(entry.data)
        self.options = options
        self.quirks = quirks
        self._ble_device = ble_device
        self._client: FtmsClient | None = None
        self._lost_client: FtmsClient | None = None
        self._connect_lock = asyncio.Lock()
        self._reconnect_task: asyncio.Task[None] | None = None
        self._unavailable_logged = False
        self._closing = False
        self._unsubscribe: list[CALLBACK_TYPE] = []
        self.device_information: DeviceInformation | None = None
        self.features: MachineFeatures | None = None
        self.speed_range: SupportedRange | None = None
        self.inclination_range: SupportedRange | None = None
        self.connection_history: list[ConnectionEvent] = []
        self.rssi: int | None = None
        self.data = TreadmillSnapshot()
        self.program = ProgramController(hass, self)
        self.tracking = SessionTracking(hass, self)

    # Connection --------------------------------------------------------------------------

    @property
    def connected(self) -> bool:
        """Whether the treadmill is connected now."""
        return self._client is not None and self._client.is_connected

    def ftms_client(self) -> FtmsClient:
        """The connected FTMS client; FtmsNotConnectedError when there is none."""
        if self._client is None or not self._client.is_connected:
            raise FtmsNotConnectedError(f"{self.config_entry.title} is not connected")
        return self._client

    async def async_connect(self) -> None:
        """Connect, read what the treadmill supports and subscribe to its notifications."""
        async with self._connect_lock:
            if self.connected or self._closing:
                return
            if self._lost_client is not None:
                # Release what the dropped connection still holds before making a new one.
                lost, self._lost_client = self._lost_client, None
                await lost.disconnect()
            client = FtmsClient(
                self._ble_device,
                quirks=self.quirks,
                on_data=self._handle_data,
                on_machine_status=self._handle_machine_status,
                on_training_status=self._handle_training_status,
                on_disconnect=self._handle_disconnect,
                ble_device_callback=self._current_ble_device,
            )
            self._client = client
            try:
                await client.connect()
            except BaseException:
                self._client = None
                await asyncio.shield(client.disconnect())
                raise
            self.device_information = client.device_information
            self.features = client.features
            self.speed_range = client.speed_range
            self.inclination_range = client.inclination_range
            self._record("connected")
            self.program.observe_link(True)
            if self._unavailable_logged:
                _LOGGER.info("%s is connected again", self.config_entry.title)
                self._unavailable_logged = False
            self.async_set_updated_data(replace(self.data, connected=True))

    async def async_start(self) -> None:
        """Connect for the first time and start watching for the treadmill."""
        await self.async_connect()
        self._unsubscribe.append(
            bluetooth.async_register_callback(
                self.hass,
                self._handle_advertisement,
                bluetooth.BluetoothCallbackMatcher(address=self.address, connectable=True),
                bluetooth.BluetoothScanningMode.ACTIVE,
            )
        )
        self._unsubscribe.append(
            bluetooth.async_track_unavailable(
                self.hass, self._handle_unavailable, self.address, connectable=True
            )
        )
        self._unsubscribe.append(
            async_track_time_interval(
                self.hass,
                self._handle_watchdog,
                RECONNECT_WATCHDOG_INTERVAL,
                name=f"{DOMAIN} reconnect watchdog",
            )
        )
        # When Home Assistant stops it cancels background tasks (the program's too) without
        # waiting for them, and does not unload entries; a shutdown job runs before that and
        # is awaited: a running program's belt stop is written and answered, the history is
        # saved and the treadmill let go while Home Assistant still waits.
        self._unsubscribe.append(self.hass.async_add_shutdown_job(HassJob(self.async_shutdown)))

    @override
    async def async_shutdown(self) -> None:
        """End a program, save the history, disconnect; on unload and when HA stops."""
        if self._closing:
            return
        self._closing = True
        # A running program ends first, while the link can still carry the stop.
        await self.program.async_shutdown()
        await self.tracking.async_shutdown()
        await super().async_shutdown()
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self._unsubscribe.clear()
        if self._reconnect_task is not None:
            self._reconnect_task.cancel()
            with suppress(asyncio.CancelledError):
                await self._reconnect_task
        for client in (self._client, self._lost_client):
            if client is not None:
                await client.disconnect()
        self._client = self._lost_client = None

    @callback
    def async_apply_options(self, options: RetroWalkOptions) -> None:
        """Use new options from now on.

        A running program is guarded and run with the new safety limits and linked sensors at
        once.
        """
        self.options = options
        self.program.apply_options(options)
        self.tracking.apply_options(options)
        self.async_update_listeners()

    @callback
    def _current_ble_device(self) -> BLEDevice:
        """The best path to the treadmill now: the adapter or proxy that hears it best."""
        return (
            bluetooth.async_ble_device_from_address(self.hass, self.address, connectable=True)
            or self._ble_device
        )

    @callback
    def _handle_advertisement(
        self,
        service_info: bluetooth.BluetoothServiceInfoBleak,
        change: bluetooth.BluetoothChange,
    ) -> None:
        """Remember the freshest BLEDevice; an advertising treadmill can be reconnected."""
        self._ble_device = service_info.device
        if service_info.rssi != self.rssi:
            self.rssi = service_info.rssi
            self.async_update_listeners()
        if not self.connected:
            self._schedule_reconnect("advertisement")

    @callback
    def _handle_unavailable(self, _service_info: bluetooth.BluetoothServiceInfoBleak) -> None:
        """Home Assistant no longer hears the treadmill: its signal strength is unknown."""
        if self.rssi is not None:
            self.rssi = None
            self.async_update_listeners()

    @callback
    def _handle_watchdog(self, _now: datetime) -> None:
        # A treadmill that comes back usually advertises exactly what it advertised before,
        # and Home Assistant does not report an unchanged advertisement again: so while it is
        # still heard, reconnecting is retried here rather than left to advertisements.
        if not self.connected and bluetooth.async_address_present(
            self.hass, self.address, connectable=True
        ):
            self._schedule_reconnect("watchdog")

    @callback
    def _schedule_reconnect(self, trigger: str) -> None:
        if self._closing or (self._reconnect_task and not self._reconnect_task.done()):
            return
        self._reconnect_task = self.config_entry.async_create_background_task(
            self.hass, self._async_reconnect(trigger), f"{DOMAIN} reconnect {self.address}"
        )

    async def _async_reconnect(self, trigger: str) -> None:
        try:
            await self.async_connect()
        except CONNECT_ERRORS as err:
            self._record("reconnect_failed", f"{trigger}: {err}")
            _LOGGER.debug("Reconnecting to %s failed: %s", self.config_entry.title, err)

    @callback
    def _handle_disconnect(self) -> None:
        """The link dropped: the entities go unavailable, logged once until it is back."""
        self._lost_client, self._client = self._client, None
        self._record("disconnected")
        self.program.observe_link(False)
        self.tracking.observe_link(False)
        if not self._closing and not self._unavailable_logged:
            _LOGGER.info("%s is unavailable: the Bluetooth link was lost", self.config_entry.title)
            self._unavailable_logged = True
        self.async_set_updated_data(replace(self.data, connected=False))
        if not self._closing:
            self._schedule_reconnect("disconnect")

    def _record(self, event: str, detail: str | None = None) -> None:
        self.connection_history.append(
            ConnectionEvent(at=datetime.now().astimezone(), event=event, detail=detail)
        )
        del self.connection_history[:-20]

    # Notifications -----------------------------------------------------------------------

    @callback
    def _handle_data(self, data: TreadmillData) -> None:
        self.program.observe_data(data)
        self.tracking.observe_data(data)
        session = self.data.session.updated(data)
        self.async_set_updated_data(replace(self.data, data=data, session=session))

    @callback
    def _handle_machine_status(self, status: MachineStatus) -> None:
        self.program.observe_machine_status(status)
        self.tracking.observe_machine_status(status)
        session = self.data.session.ended() if status.stopped else self.data.session
        self.async_set_updated_data(replace(self.data, machine_status=status, session=session))

    @callback
    def _handle_training_status(self, status: TrainingStatus) -> None:
        self.async_set_updated_data(replace(self.data, training_status=status))

    @override
    async def _async_update_data(self) -> TreadmillSnapshot:
        """There is nothing to poll: the treadmill pushes everything."""
        return self.data

    # Commands ----------------------------------------------------------------------------

    async def async_start_belt(self) -> None:
        """Start or resume the belt; during a paused program, resume the program."""
        if self.program.running:
            if (refusal := self.program.resume()) is not None:
                raise self._refused(refusal)
            return
        await self._async_command(self._async_start_slowly)

    async def _async_start_slowly(self) -> None:
        """Start the belt at its lowest speed, as a program does.

        FTMS Start or Resume returns to the speed the treadmill still holds, which may be
        above the limit of the way one walks now (the direction changed during the pause).
        """
        client = self.ftms_client()
        self.program.note_start_from_home_assistant()
        await client.start()
        if self.speed_range is not None:
            try:
                await client.set_target_speed(self.program.device_limits().lowest_moving_speed_kmh)
            except FtmsError:
                # Running at a held speed nobody chose today is worse than not running.
                await client.stop()
                raise

    async def async_pause_belt(self) -> None:
        """Pause the belt; during a program, pause the program."""
        if self.program.running:
            if not self.program.pause():
                raise self._refused("cannot_pause")
            return
        await self._async_command(lambda: self.ftms_client().pause())

    async def async_stop_belt(self, reason: SafetyReason = SafetyReason.USER_STOP) -> None:
        """Stop the belt at once, ahead of any queued command; a program ends aborted."""
        await self._async_command(lambda: self.program.async_emergency_stop(reason))

    def walking_direction(self) -> WalkingDirection:
        """Which way the person walks: the program's way, else the Walking direction select."""
        snapshot = self.program.live_snapshot() if self.program.running else None
        if snapshot is not None and snapshot.direction is not None:
            return snapshot.direction
        return WalkingDirection(self.tracking.manual_direction.value)

    def speed_limit_kmh(self) -> float:
        """The highest speed RetroWalk sets now: the limit for the way the person walks."""
        return self.options.limits.speed_limit_kmh(self.walking_direction())

    async def async_set_target_speed(self, kmh: float) -> None:
        """Set the belt's target speed in km/h; a program keeps it for the segment."""
        if kmh > self.speed_limit_kmh() + 1e-9:
            unit = self.options.speed_unit_for(self.hass)
            raise self._refused(
                "speed_above_direction_limit",
                speed=format_speed(kmh, unit),
                limit=format_speed(self.speed_limit_kmh(), unit),
                unit=unit.value,
                direction=self.walking_direction().value,
            )
        self._refuse_while_program_holds_the_belt()
        self.program.note_manual_speed(kmh)
        await self._async_command(lambda: self.ftms_client().set_target_speed(kmh))

    async def async_set_target_inclination(self, pct: float) -> None:
        """Set the target inclination in percent; a program keeps it for the segment."""
        self._refuse_while_program_holds_the_belt()
        self.program.note_manual_incline(pct)
        await self._async_command(lambda: self.ftms_client().set_target_inclination(pct))

    def _refuse_while_program_holds_the_belt(self) -> None:
        # At a turnaround or in a pause the belt stands on purpose; a speed sent now could
        # start it on some treadmills. Ready or resume starts it, slowly.
        snapshot = self.program.live_snapshot()
        if self.program.running and snapshot is not None and not snapshot.belt_running:
            raise self._refused("program_holds_belt")

    def _refused(self, key: str, **placeholders: str) -> ServiceValidationError:
        return ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key=key,
            translation_placeholders={"name": self.config_entry.title, **placeholders},
        )

    async def _async_command(self, command: Callable[[], Awaitable[None]]) -> None:
        """Run a treadmill command; its failure becomes a translated error."""
        try:
            await command()
        except FtmsError as err:
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key=command_error_key(err),
                translation_placeholders={"name": self.config_entry.title},
            ) from err


def command_error_key(err: FtmsError) -> str:
    """The translation key that explains a failed treadmill command."""
    match err:
        case FtmsControlNotPermittedError():
            return "control_not_permitted"
        case FtmsOpNotSupportedError():
            return "not_supported"
        case FtmsInvalidParameterError():
            return "invalid_parameter"
        case FtmsTimeoutError():
            return "command_timeout"
        case FtmsNotConnectedError():
            return "not_connected"
        case FtmsCommandDroppedError():
            return "command_dropped"
        case _:
            return "command_failed"

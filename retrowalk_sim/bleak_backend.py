"""A bleak client backend whose peripheral is a :class:`SimulatedTreadmill`.

Use it wherever bleak accepts a backend::

    BleakClient(ble_device, backend=SimulatedBleakClient)
    establish_connection(BleakClientWithServiceCache, ble_device, name,
                         backend=SimulatedBleakClient)

or as the client of a Home Assistant Bluetooth connector (see ``ha.py``). The treadmill is
found in :mod:`retrowalk_sim.registry` by the device's address when ``connect()`` runs.

It behaves like bleak's BlueZ backend where clients can tell the difference: every GATT
operation yields to the event loop, the disconnected callback fires on any disconnection
(including one the client asked for), ``services`` is None while disconnected, and ATT errors
arrive as ``BleakGATTProtocolError``.
"""

from __future__ import annotations

import asyncio
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Final, cast

from bleak.backends.characteristic import BleakGATTCharacteristic
from bleak.backends.client import BaseBleakClient, NotifyCallback
from bleak.backends.descriptor import BleakGATTDescriptor
from bleak.backends.device import BLEDevice
from bleak.backends.service import BleakGATTService, BleakGATTServiceCollection
from bleak.exc import BleakDeviceNotFoundError, BleakError, BleakGATTProtocolError

from . import registry
from .errors import (
    GattProtocolError,
    LinkBusyError,
    LinkDroppedError,
    NotConnectedError,
    TreadmillUnreachableError,
)
from .protocol import CLIENT_CHARACTERISTIC_CONFIGURATION_UUID

if TYPE_CHECKING:
    from collections.abc import Iterator

    from bleak.args import SizedBuffer
    from bleak.assigned_numbers import CharacteristicPropertyName

    from .treadmill import GattServiceDefinition, SimulatedTreadmill

SIMULATED_MTU: Final = 247
"""The MTU the simulated link reports (what ESPHome proxies and modern adapters negotiate)."""

DEFAULT_CONNECT_TIMEOUT: Final = 10.0

# Handles the way a GATT server lays them out: each service, then per characteristic a
# declaration, a value and, for notify/indicate, a CCCD.
_FIRST_HANDLE: Final = 0x0010
_SERVICE_HANDLE_STRIDE: Final = 0x0020


class _TreadmillLink:
    """One connection between a backend and a treadmill (a new one per connect)."""

    def __init__(self, client: SimulatedBleakClient) -> None:
        self._client = client

    def deliver(self, characteristic_uuid: str, data: bytes) -> None:
        self._client._on_notification(self, characteristic_uuid, data)

    def link_lost(self) -> None:
        self._client._on_link_lost(self)


class SimulatedBleakClient(BaseBleakClient):
    """bleak ``BaseBleakClient`` talking to a simulated treadmill instead of a radio."""

    def __init__(self, address_or_ble_device: BLEDevice | str, **kwargs: Any) -> None:
        """Take the arguments every bleak backend gets; only the address matters here."""
        kwargs.setdefault("timeout", DEFAULT_CONNECT_TIMEOUT)
        super().__init__(address_or_ble_device, **kwargs)
        self._advertised_name = (
            address_or_ble_device.name if isinstance(address_or_ble_device, BLEDevice) else None
        )
        self._treadmill: SimulatedTreadmill | None = None
        self._link: _TreadmillLink | None = None
        self._notify_callbacks: dict[str, NotifyCallback] = {}

    # ------------------------------------------------------------------ identity

    @property
    def name(self) -> str:
        """The advertised name, else the treadmill's local name, else the address."""
        if self._advertised_name:
            return self._advertised_name
        treadmill = self._treadmill or registry.get(self.address)
        return treadmill.profile.local_name if treadmill is not None else self.address

    @property
    def mtu_size(self) -> int:
        """The negotiated MTU (fixed for the simulated link)."""
        return SIMULATED_MTU

    @property
    def treadmill(self) -> SimulatedTreadmill | None:
        """The treadmill this client is connected to, if any."""
        return self._treadmill

    # ------------------------------------------------------------------ connection

    @property
    def is_connected(self) -> bool:
        """Whether the link is up."""
        return self._link is not None

    async def connect(self, pair: bool = False, **kwargs: Any) -> None:
        """Connect and discover the services; bleak errors as a real stack would raise them."""
        if self._link is not None:
            return
        treadmill = registry.get(self.address)
        if treadmill is None:
            raise BleakDeviceNotFoundError(
                self.address, f"Device with address {self.address} was not found"
            )
        # The connection request is a radio exchange: let the loop run meanwhile.
        await asyncio.sleep(0)
        link = _TreadmillLink(self)
        try:
            treadmill.connect_central(link)
        except TreadmillUnreachableError as err:
            raise BleakError(
                f"{self.address}: device not found: no answer to the connection request "
                "(powered off or out of range)"
            ) from err
        except LinkBusyError as err:
            raise BleakError(
                f"{self.address}: connection failed to be established: the treadmill is "
                "connected to another central"
            ) from err
        self._treadmill = treadmill
        self._link = link
        self.services = _service_collection(treadmill.gatt_services())

    async def disconnect(self) -> None:
        """Close the link; the disconnected callback fires before this returns (as with BlueZ)."""
        link = self._link
        if link is None:
            return
        await asyncio.sleep(0)
        if self._treadmill is not None:
            self._treadmill.disconnect_central(link)
        self._forget_link()
        if self._disconnected_callback is not None:
            self._disconnected_callback()

    async def pair(self, *args: Any, **kwargs: Any) -> None:
        """Nothing to do: FTMS treadmills need no pairing."""

    async def unpair(self) -> None:
        """Unpairing also disconnects, as bleak documents."""
        await self.disconnect()

    def _forget_link(self) -> None:
        self._link = None
        self._treadmill = None
        self._notify_callbacks.clear()
        self.services = None

    def _on_link_lost(self, link: _TreadmillLink) -> None:
        if link is not self._link:
            return
        self._forget_link()
        callback = self._disconnected_callback
        if callback is not None:
            # A real stack reports a dropped link from its own event, not from inside the
            # peripheral's action: schedule it.
            asyncio.get_running_loop().call_soon(callback)

    def _on_notification(self, link: _TreadmillLink, characteristic_uuid: str, data: bytes) -> None:
        if link is not self._link:
            return
        callback = self._notify_callbacks.get(characteristic_uuid)
        if callback is not None:
            callback(bytearray(data))

    def _connected_treadmill(self) -> tuple[SimulatedTreadmill, _TreadmillLink]:
        if self._link is None or self._treadmill is None:
            raise BleakError("Not connected")
        return self._treadmill, self._link

    # ------------------------------------------------------------------ GATT

    async def read_gatt_char(
        self, characteristic: BleakGATTCharacteristic, *, use_cached: bool = False, **kwargs: Any
    ) -> bytearray:
        """Read a characteristic's value from the treadmill."""
        treadmill, link = self._connected_treadmill()
        await asyncio.sleep(0)
        with _as_bleak_errors():
            return bytearray(treadmill.read_characteristic(link, characteristic.uuid))

    async def read_gatt_descriptor(
        self, descriptor: BleakGATTDescriptor, *, use_cached: bool = False, **kwargs: Any
    ) -> bytearray:
        """Read a CCCD: 01 00 notifying, 02 00 indicating, 00 00 off."""
        treadmill, _link = self._connected_treadmill()
        await asyncio.sleep(0)
        if descriptor.uuid != CLIENT_CHARACTERISTIC_CONFIGURATION_UUID:
            raise BleakGATTProtocolError(GattProtocolError.READ_NOT_PERMITTED)
        if descriptor.characteristic_uuid not in treadmill.subscriptions:
            return bytearray(2)
        characteristic = self._services_or_raise().get_characteristic(
            descriptor.characteristic_handle
        )
        indicating = characteristic is not None and "indicate" in characteristic.properties
        return bytearray((0x02 if indicating else 0x01, 0x00))

    async def write_gatt_char(
        self, characteristic: BleakGATTCharacteristic, data: SizedBuffer, response: bool
    ) -> None:
        """Write with response to the treadmill (the control point is its only writable value)."""
        treadmill, link = self._connected_treadmill()
        if not response:
            raise BleakError(
                f"{characteristic.uuid} does not support write without response on this treadmill"
            )
        payload = bytes(cast("bytes", data))
        await asyncio.sleep(0)
        with _as_bleak_errors():
            treadmill.write_characteristic(link, characteristic.uuid, payload)

    async def write_gatt_descriptor(
        self, descriptor: BleakGATTDescriptor, data: SizedBuffer
    ) -> None:
        """Refuse: the treadmill has no writable descriptors but CCCDs (use start/stop_notify)."""
        self._connected_treadmill()
        await asyncio.sleep(0)
        raise BleakGATTProtocolError(GattProtocolError.WRITE_NOT_PERMITTED)

    async def start_notify(
        self, characteristic: BleakGATTCharacteristic, callback: NotifyCallback, **kwargs: Any
    ) -> None:
        """Enable notifications or indications; ``callback`` receives each value."""
        treadmill, link = self._connected_treadmill()
        await asyncio.sleep(0)
        with _as_bleak_errors():
            treadmill.set_notifications(link, characteristic.uuid, True)
        self._notify_callbacks[characteristic.uuid] = callback

    async def stop_notify(self, characteristic: BleakGATTCharacteristic) -> None:
        """Disable notifications or indications."""
        treadmill, link = self._connected_treadmill()
        await asyncio.sleep(0)
        with _as_bleak_errors():
            treadmill.set_notifications(link, characteristic.uuid, False)
        self._notify_callbacks.pop(characteristic.uuid, None)

    def _services_or_raise(self) -> BleakGATTServiceCollection:
        if self.services is None:
            raise BleakError("Service Discovery has not been performed yet")
        return self.services


@contextmanager
def _as_bleak_errors() -> Iterator[None]:
    """Translate the treadmill's GATT-boundary exceptions into bleak's."""
    try:
        yield
    except GattProtocolError as err:
        raise BleakGATTProtocolError(err.code) from err
    except NotConnectedError as err:
        raise BleakError("Not connected") from err
    except LinkDroppedError as err:
        raise BleakError(f"Disconnected during the operation: {err}") from err


def _service_collection(
    definitions: tuple[GattServiceDefinition, ...],
) -> BleakGATTServiceCollection:
    """Build what service discovery on the treadmill finds."""
    collection = BleakGATTServiceCollection()
    for index, service_definition in enumerate(definitions):
        handle = _FIRST_HANDLE + index * _SERVICE_HANDLE_STRIDE
        service = BleakGATTService(service_definition, handle, service_definition.uuid)
        collection.add_service(service)
        for characteristic_definition in service_definition.characteristics:
            value_handle = handle + 2
            properties = cast(
                "list[CharacteristicPropertyName]", list(characteristic_definition.properties)
            )
            characteristic = BleakGATTCharacteristic(
                characteristic_definition,
                value_handle,
                characteristic_definition.uuid,
                properties,
                lambda: SIMULATED_MTU - 3,
                service,
            )
            collection.add_characteristic(characteristic)
            handle = value_handle
            if {"notify", "indicate"} & set(characteristic_definition.properties):
                handle += 1
                collection.add_descriptor(
                    BleakGATTDescriptor(
                        None, handle, CLIENT_CHARACTERISTIC_CONFIGURATION_UUID, characteristic
                    )
                )
    return collection

"""A scripted GATT peripheral: raw bytes, missing characteristics and failures on demand.

The simulator (retrowalk_sim) models a whole machine; this covers what it does not offer yet:
byte-level edge cases a real firmware may produce (a GATT table without Device Information or
a control point, unreadable or garbage values, stray notifications, failing reads, writes and
disconnects). It is a bleak backend like the simulator's, so the client runs unpatched.
"""

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bleak.backends.characteristic import BleakGATTCharacteristic
from bleak.backends.client import BaseBleakClient, NotifyCallback
from bleak.backends.descriptor import BleakGATTDescriptor
from bleak.backends.device import BLEDevice
from bleak.backends.service import BleakGATTService, BleakGATTServiceCollection
from bleak.exc import BleakDeviceNotFoundError, BleakError


@dataclass
class ScriptedCharacteristic:
    uuid: str
    properties: tuple[str, ...] = ("read",)
    value: bytes | BaseException = b""
    """What a read returns, or raises."""


@dataclass
class ScriptedPeripheral:
    """A GATT table of (service UUID, characteristics) pairs; services may repeat."""

    address: str
    services: list[tuple[str, list[ScriptedCharacteristic]]]
    on_write: Callable[[ScriptedPeripheral, bytes], None] | None = None
    """Called for each write (after it is recorded); may notify, drop the link or raise."""
    drop_link_on_read: bool = False
    disconnect_error: BleakError | None = None
    writes: list[bytes] = field(default_factory=list)
    client: ScriptedBleakClient | None = None

    def notify(self, uuid: str, data: bytes) -> None:
        """Send a notification or indication, if the central subscribed."""
        assert self.client is not None
        callback = self.client.callbacks.get(uuid)
        if callback is not None:
            callback(bytearray(data))

    def drop_link(self) -> None:
        """Lose the link from the peripheral's side."""
        assert self.client is not None
        self.client.lose_link()


PERIPHERALS: dict[str, ScriptedPeripheral] = {}


class ScriptedBleakClient(BaseBleakClient):
    """bleak backend for a ScriptedPeripheral registered in PERIPHERALS by address."""

    def __init__(self, address_or_ble_device: BLEDevice | str, **kwargs: Any) -> None:
        kwargs.setdefault("timeout", 10.0)
        super().__init__(address_or_ble_device, **kwargs)
        self.peripheral: ScriptedPeripheral | None = None
        self.callbacks: dict[str, NotifyCallback] = {}

    @property
    def name(self) -> str:
        return self.address

    @property
    def mtu_size(self) -> int:
        return 23

    @property
    def is_connected(self) -> bool:
        return self.peripheral is not None

    async def connect(self, pair: bool = False, **kwargs: Any) -> None:
        peripheral = PERIPHERALS.get(self.address)
        if peripheral is None:
            raise BleakDeviceNotFoundError(self.address)
        await asyncio.sleep(0)
        self.peripheral = peripheral
        peripheral.client = self
        collection = BleakGATTServiceCollection()
        handle = 0x10
        for service_uuid, characteristics in peripheral.services:
            service = BleakGATTService(None, handle, service_uuid)
            collection.add_service(service)
            for scripted in characteristics:
                handle += 2
                collection.add_characteristic(
                    BleakGATTCharacteristic(
                        scripted,
                        handle,
                        scripted.uuid,
                        list(scripted.properties),  # type: ignore[arg-type]
                        lambda: 20,
                        service,
                    )
                )
            handle += 0x10
        self.services = collection

    async def disconnect(self) -> None:
        await asyncio.sleep(0)
        peripheral = self.peripheral
        self.peripheral = None
        self.callbacks.clear()
        if peripheral is not None and peripheral.disconnect_error is not None:
            raise peripheral.disconnect_error

    def lose_link(self) -> None:
        self.peripheral = None
        self.callbacks.clear()
        if self._disconnected_callback is not None:
            asyncio.get_running_loop().call_soon(self._disconnected_callback)

    async def pair(self, *args: Any, **kwargs: Any) -> None:
        """No pairing."""

    async def unpair(self) -> None:
        """No pairing."""

    def _peripheral(self) -> ScriptedPeripheral:
        if self.peripheral is None:
            raise BleakError("Not connected")
        return self.peripheral

    async def read_gatt_char(
        self, characteristic: BleakGATTCharacteristic, *, use_cached: bool = False, **kwargs: Any
    ) -> bytearray:
        peripheral = self._peripheral()
        await asyncio.sleep(0)
        if peripheral.drop_link_on_read:
            self.lose_link()
            raise BleakError("Disconnected during the read")
        scripted: ScriptedCharacteristic = characteristic.obj
        if isinstance(scripted.value, BaseException):
            raise scripted.value
        return bytearray(scripted.value)

    async def read_gatt_descriptor(
        self, descriptor: BleakGATTDescriptor, *, use_cached: bool = False, **kwargs: Any
    ) -> bytearray:
        raise BleakError("no descriptors")

    async def write_gatt_char(
        self, characteristic: BleakGATTCharacteristic, data: Any, response: bool
    ) -> None:
        peripheral = self._peripheral()
        await asyncio.sleep(0)
        peripheral.writes.append(bytes(data))
        if peripheral.on_write is not None:
            peripheral.on_write(peripheral, bytes(data))

    async def write_gatt_descriptor(self, descriptor: BleakGATTDescriptor, data: Any) -> None:
        raise BleakError("no descriptors")

    async def start_notify(
        self, characteristic: BleakGATTCharacteristic, callback: NotifyCallback, **kwargs: Any
    ) -> None:
        self._peripheral()
        await asyncio.sleep(0)
        self.callbacks[characteristic.uuid] = callback

    async def stop_notify(self, characteristic: BleakGATTCharacteristic) -> None:
        self.callbacks.pop(characteristic.uuid, None)

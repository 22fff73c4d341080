"""SimulatedBleakClient through bleak's own BleakClient and bleak-retry-connector."""

from __future__ import annotations

import asyncio
import dataclasses

from bleak import BleakClient
from bleak.backends.device import BLEDevice
from bleak.exc import BleakDeviceNotFoundError, BleakError, BleakGATTProtocolError
from bleak_retry_connector import BleakClientWithServiceCache, establish_connection
import pytest

from retrowalk_sim import (
    DEMO_PROFILE,
    Misbehaviour,
    SimulatedBleakClient,
    SimulatedTreadmill,
    registry,
)
from retrowalk_sim.protocol import (
    CLIENT_CHARACTERISTIC_CONFIGURATION_UUID,
    DEVICE_INFORMATION_SERVICE_UUID,
    FTMS_SERVICE_UUID,
    DeviceInformationCharacteristic,
    FtmsCharacteristic,
)

from .conftest import speed_of

EXPECTED_PROPERTIES = {
    FtmsCharacteristic.FEATURE: ["read"],
    FtmsCharacteristic.TREADMILL_DATA: ["notify"],
    FtmsCharacteristic.TRAINING_STATUS: ["read", "notify"],
    FtmsCharacteristic.SUPPORTED_SPEED_RANGE: ["read"],
    FtmsCharacteristic.SUPPORTED_INCLINATION_RANGE: ["read"],
    FtmsCharacteristic.CONTROL_POINT: ["write", "indicate"],
    FtmsCharacteristic.MACHINE_STATUS: ["notify"],
}


def ble_device(address: str = DEMO_PROFILE.address) -> BLEDevice:
    return BLEDevice(address, DEMO_PROFILE.local_name, {})


async def test_services_as_discovered(treadmill: SimulatedTreadmill) -> None:
    async with BleakClient(ble_device(), backend=SimulatedBleakClient) as client:
        assert client.is_connected
        assert client.name == DEMO_PROFILE.local_name
        assert client.mtu_size == 247
        assert [service.uuid for service in client.services] == [
            FTMS_SERVICE_UUID,
            DEVICE_INFORMATION_SERVICE_UUID,
        ]
        ftms = client.services.get_service(FTMS_SERVICE_UUID)
        assert ftms is not None
        assert {c.uuid: c.properties for c in ftms.characteristics} == EXPECTED_PROPERTIES
        for characteristic in ftms.characteristics:
            has_cccd = [d.uuid for d in characteristic.descriptors] == [
                CLIENT_CHARACTERISTIC_CONFIGURATION_UUID
            ]
            assert has_cccd == bool({"notify", "indicate"} & set(characteristic.properties))
        device_information = client.services.get_service(DEVICE_INFORMATION_SERVICE_UUID)
        assert device_information is not None
        assert {c.uuid for c in device_information.characteristics} == set(
            DeviceInformationCharacteristic
        )
        assert all(c.properties == ["read"] for c in device_information.characteristics)
        handles = [c.handle for c in client.services.characteristics.values()]
        assert len(set(handles)) == len(handles)


async def test_reads_writes_and_notifications(treadmill: SimulatedTreadmill) -> None:
    received: list[tuple[str, bytes]] = []

    def on_value(characteristic: object, data: bytearray) -> None:
        received.append((getattr(characteristic, "uuid", ""), bytes(data)))

    async with BleakClient(treadmill.address.lower(), backend=SimulatedBleakClient) as client:
        assert client.name == DEMO_PROFILE.local_name
        assert await client.read_gatt_char(FtmsCharacteristic.FEATURE) == bytearray.fromhex(
            "1d16000003000000"
        )
        assert await client.read_gatt_char(DeviceInformationCharacteristic.MANUFACTURER_NAME) == (
            b"RetroWalk"
        )
        for uuid in (
            FtmsCharacteristic.TREADMILL_DATA,
            FtmsCharacteristic.MACHINE_STATUS,
            FtmsCharacteristic.CONTROL_POINT,
        ):
            await client.start_notify(uuid, on_value)
        await client.write_gatt_char(FtmsCharacteristic.CONTROL_POINT, b"\x07", response=True)
        await treadmill.advance(1)
        assert received[:2] == [
            (FtmsCharacteristic.CONTROL_POINT, bytes.fromhex("800701")),
            (FtmsCharacteristic.MACHINE_STATUS, bytes.fromhex("04")),
        ]
        assert [uuid for uuid, _ in received[2:]] == [FtmsCharacteristic.TREADMILL_DATA] * 2
        assert [speed_of(data) for _, data in received[2:]] == [0.25, 0.5]
        await client.stop_notify(FtmsCharacteristic.TREADMILL_DATA)
        await treadmill.advance(1)
        assert len(received) == 4


async def test_async_callbacks_are_supported(treadmill: SimulatedTreadmill) -> None:
    received: list[bytes] = []

    async def on_data(_characteristic: object, data: bytearray) -> None:
        received.append(bytes(data))

    async with BleakClient(ble_device(), backend=SimulatedBleakClient) as client:
        await client.start_notify(FtmsCharacteristic.TREADMILL_DATA, on_data)
        await treadmill.advance(0.5)
        await asyncio.sleep(0)
    assert len(received) == 1


async def test_cccd_reads(treadmill: SimulatedTreadmill) -> None:
    async with BleakClient(ble_device(), backend=SimulatedBleakClient) as client:
        control_point = client.services.get_characteristic(FtmsCharacteristic.CONTROL_POINT)
        data = client.services.get_characteristic(FtmsCharacteristic.TREADMILL_DATA)
        assert control_point is not None
        assert data is not None
        (control_point_cccd,) = control_point.descriptors
        (data_cccd,) = data.descriptors
        assert await client.read_gatt_descriptor(control_point_cccd) == bytearray(2)
        await client.start_notify(control_point, lambda _c, _d: None)
        await client.start_notify(data, lambda _c, _d: None)
        assert await client.read_gatt_descriptor(control_point_cccd) == bytearray((2, 0))
        assert await client.read_gatt_descriptor(data_cccd) == bytearray((1, 0))
        with pytest.raises(ValueError, match="CCCD"):
            await client.write_gatt_descriptor(data_cccd, b"\x01\x00")
        with pytest.raises(BleakGATTProtocolError):
            await client._backend.write_gatt_descriptor(data_cccd, b"\x01\x00")


async def test_gatt_errors_are_bleak_errors(treadmill: SimulatedTreadmill) -> None:
    async with BleakClient(ble_device(), backend=SimulatedBleakClient) as client:
        with pytest.raises(BleakGATTProtocolError) as not_configured:
            await client.write_gatt_char(FtmsCharacteristic.CONTROL_POINT, b"\x07", response=True)
        assert not_configured.value.code == 0xFD
        with pytest.raises(BleakGATTProtocolError) as not_readable:
            await client.read_gatt_char(FtmsCharacteristic.TREADMILL_DATA)
        assert not_readable.value.code == 0x02
        with pytest.raises(BleakError, match="without response"):
            await client.write_gatt_char(FtmsCharacteristic.CONTROL_POINT, b"\x07", response=False)
        with pytest.raises(BleakError):
            await client.start_notify(FtmsCharacteristic.FEATURE, lambda _c, _d: None)
    assert [write.data for write in treadmill.writes] == [b"\x07"]


async def test_connect_failures(treadmill: SimulatedTreadmill) -> None:
    with pytest.raises(BleakDeviceNotFoundError):
        await BleakClient("11:22:33:44:55:66", backend=SimulatedBleakClient).connect()
    async with BleakClient(ble_device(), backend=SimulatedBleakClient):
        with pytest.raises(BleakError, match="another central"):
            await BleakClient(ble_device(), backend=SimulatedBleakClient).connect()
    treadmill.power_off()
    client = BleakClient(ble_device(), backend=SimulatedBleakClient)
    with pytest.raises(BleakError, match="not found"):
        await client.connect()
    assert not client.is_connected


async def test_backend_refuses_gatt_operations_when_disconnected(
    treadmill: SimulatedTreadmill,
) -> None:
    client = BleakClient(ble_device(), backend=SimulatedBleakClient)
    await client.connect()
    feature = client.services.get_characteristic(FtmsCharacteristic.FEATURE)
    assert feature is not None
    backend = client._backend
    await client.disconnect()
    with pytest.raises(BleakError, match="Not connected"):
        await backend.read_gatt_char(feature)
    with pytest.raises(BleakError, match="Not connected"):
        await backend.stop_notify(feature)


async def test_dropped_link_calls_back_and_reconnects(treadmill: SimulatedTreadmill) -> None:
    disconnects: list[BleakClient] = []
    client = BleakClient(ble_device(), disconnects.append, backend=SimulatedBleakClient)
    await client.connect()
    assert not treadmill.is_advertising
    treadmill.drop_link()
    assert not client.is_connected
    assert disconnects == []  # reported from the loop, not from inside the machine's action
    await asyncio.sleep(0)
    assert disconnects == [client]
    with pytest.raises(BleakError, match="Service Discovery"):
        _ = client.services
    assert treadmill.is_advertising
    await client.connect()
    assert client.is_connected
    await client.disconnect()
    # Like BlueZ, an asked-for disconnect calls back too.
    assert disconnects == [client, client]
    await client.disconnect()  # already disconnected: nothing happens
    assert disconnects == [client, client]


async def test_link_dropped_mid_write(treadmill: SimulatedTreadmill) -> None:
    treadmill.misbehaviour = Misbehaviour(drop_link_on_speed_until_running=True)
    disconnects: list[BleakClient] = []
    async with BleakClient(ble_device(), disconnects.append, backend=SimulatedBleakClient) as c:
        await c.start_notify(FtmsCharacteristic.CONTROL_POINT, lambda _c, _d: None)
        with pytest.raises(BleakError, match="Disconnected"):
            await c.write_gatt_char(FtmsCharacteristic.CONTROL_POINT, b"\x02\xc8\x00", True)
        assert not c.is_connected
        await asyncio.sleep(0)
    assert disconnects == [c]


async def test_pair_is_a_no_op_and_unpair_disconnects(
    treadmill: SimulatedTreadmill,
) -> None:
    client = BleakClient(ble_device(), backend=SimulatedBleakClient, pair=True)
    await client.connect()
    await client.pair()
    await client.unpair()
    assert not client.is_connected


async def test_respond_with_notification_changes_the_declared_property(
    treadmill: SimulatedTreadmill,
) -> None:
    treadmill.misbehaviour.respond_with_notification = True
    async with BleakClient(ble_device(), backend=SimulatedBleakClient) as client:
        control_point = client.services.get_characteristic(FtmsCharacteristic.CONTROL_POINT)
        assert control_point is not None
        assert control_point.properties == ["write", "notify"]
        responses: list[bytes] = []
        await client.start_notify(control_point, lambda _c, d: responses.append(bytes(d)))
        await client.write_gatt_char(control_point, b"\x00", response=True)
        await treadmill.advance(0)
        assert responses == [bytes.fromhex("800001")]


async def test_establish_connection_with_backend(treadmill: SimulatedTreadmill) -> None:
    client = await establish_connection(
        BleakClientWithServiceCache,
        ble_device(),
        DEMO_PROFILE.local_name,
        backend=SimulatedBleakClient,
    )
    try:
        assert client.is_connected
        assert await client.read_gatt_char(FtmsCharacteristic.SUPPORTED_SPEED_RANGE) == (
            bytearray.fromhex("5000b0040a00")
        )
    finally:
        await client.disconnect()


async def test_establish_connection_gives_up_when_unreachable(
    treadmill: SimulatedTreadmill,
) -> None:
    treadmill.set_in_range(False)
    with pytest.raises(BleakError, match="not found"):
        await establish_connection(
            BleakClientWithServiceCache,
            ble_device(),
            DEMO_PROFILE.local_name,
            backend=SimulatedBleakClient,
            max_attempts=2,
        )


async def test_name_without_treadmill_or_advertised_name() -> None:
    assert SimulatedBleakClient("11:22:33:44:55:66").name == "11:22:33:44:55:66"


def test_registry() -> None:
    machine = SimulatedTreadmill(dataclasses.replace(DEMO_PROFILE, address="aa:bb:cc:00:00:99"))
    registry.register(machine)
    try:
        registry.register(machine)
        assert registry.get("AA:BB:CC:00:00:99") is machine
        assert machine in registry.registered()
        with pytest.raises(ValueError, match="another"):
            registry.register(
                SimulatedTreadmill(dataclasses.replace(DEMO_PROFILE, address="AA:BB:CC:00:00:99"))
            )
    finally:
        registry.unregister("Aa:Bb:Cc:00:00:99")
    assert registry.get("AA:BB:CC:00:00:99") is None
    registry.unregister("AA:BB:CC:00:00:99")

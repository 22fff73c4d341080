"""The simulated proxy: Home Assistant's Bluetooth manager discovers and connects to treadmills.

Nothing here passes a backend to bleak: connections go through Home Assistant's client wrapper,
which finds the simulated proxy's connector by the BLEDevice's source.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
import dataclasses

from bleak import BleakClient
from bleak.exc import BleakError
import bleak_retry_connector
from bleak_retry_connector import establish_connection
from habluetooth import HaBleakClientWrapper
from homeassistant.components import bluetooth
from homeassistant.core import HomeAssistant
import pytest

from retrowalk_sim import DEMO_PROFILE, SimulatedBleakClient, SimulatedTreadmill, registry
from retrowalk_sim.ha import (
    SIMULATOR_SOURCE,
    AdvertisementStyle,
    SimulatedProxy,
    SimulatedProxyScanner,
    async_plug_in,
)
from retrowalk_sim.protocol import FTMS_SERVICE_UUID, FtmsCharacteristic

pytestmark = pytest.mark.usefixtures("enable_bluetooth")


@pytest.fixture
async def plugged_in(
    hass: HomeAssistant,
) -> AsyncIterator[tuple[SimulatedTreadmill, SimulatedProxy]]:
    """The demo treadmill in range of a simulated proxy; unplugged and closed afterwards."""
    treadmill = SimulatedTreadmill(DEMO_PROFILE)
    proxy = await async_plug_in(hass, treadmill)
    try:
        yield treadmill, proxy
    finally:
        await proxy.async_unplug()
        await treadmill.aclose()


def service_info(hass: HomeAssistant, address: str) -> bluetooth.BluetoothServiceInfoBleak:
    (info,) = (
        info for info in bluetooth.async_discovered_service_info(hass) if info.address == address
    )
    return info


async def connect(hass: HomeAssistant, address: str) -> BleakClient:
    """Connect the way an integration does: HA's BLEDevice, establish_connection, no backend."""
    device = bluetooth.async_ble_device_from_address(hass, address, connectable=True)
    assert device is not None
    # Looked up now: HA swaps in its wrapper class when the bluetooth integration starts.
    client_class = bleak_retry_connector.BleakClientWithServiceCache
    return await establish_connection(client_class, device, "test")


async def test_home_assistant_discovers_and_connects(
    hass: HomeAssistant, plugged_in: tuple[SimulatedTreadmill, SimulatedProxy]
) -> None:
    treadmill, proxy = plugged_in
    info = service_info(hass, treadmill.address)
    assert info.name == DEMO_PROFILE.local_name
    assert FTMS_SERVICE_UUID in info.service_uuids
    assert info.service_data[FTMS_SERVICE_UUID] == bytes((0x01, 0x01, 0x00))
    assert info.connectable
    assert info.source == SIMULATOR_SOURCE == proxy.source

    client = await connect(hass, treadmill.address)
    try:
        assert isinstance(client, HaBleakClientWrapper)
        assert isinstance(client._backend, SimulatedBleakClient)
        assert await client.read_gatt_char(FtmsCharacteristic.FEATURE) == bytes.fromhex(
            "1d16000003000000"
        )
        received: list[bytes] = []
        await client.start_notify(
            FtmsCharacteristic.TREADMILL_DATA, lambda _c, data: received.append(bytes(data))
        )
        await treadmill.advance(0.5)
        assert len(received) == 1
        assert received[0] == treadmill.treadmill_data_notifications()[0]
        assert treadmill.is_connected
        assert not proxy.advertise()  # a connected machine does not advertise
    finally:
        await client.disconnect()
    assert not treadmill.is_connected


@pytest.mark.parametrize(
    ("style", "uuids", "data"),
    [
        (AdvertisementStyle.SERVICE_UUID_ONLY, [FTMS_SERVICE_UUID], {}),
        (AdvertisementStyle.SERVICE_DATA_ONLY, [], {FTMS_SERVICE_UUID: b"\x01\x01\x00"}),
    ],
)
async def test_advertisement_styles(
    hass: HomeAssistant,
    style: AdvertisementStyle,
    uuids: list[str],
    data: dict[str, bytes],
) -> None:
    treadmill = SimulatedTreadmill(DEMO_PROFILE)
    proxy = await async_plug_in(hass, treadmill, style=style)
    try:
        info = service_info(hass, treadmill.address)
        assert info.service_uuids == uuids
        assert info.service_data == data
    finally:
        await proxy.async_unplug()
        await treadmill.aclose()


async def test_dropped_link_reaches_the_integration_and_the_machine_advertises_again(
    hass: HomeAssistant, plugged_in: tuple[SimulatedTreadmill, SimulatedProxy]
) -> None:
    treadmill, proxy = plugged_in
    disconnected = asyncio.Event()
    device = bluetooth.async_ble_device_from_address(hass, treadmill.address, connectable=True)
    assert device is not None
    client = await establish_connection(
        bleak_retry_connector.BleakClientWithServiceCache,
        device,
        "test",
        disconnected_callback=lambda _client: disconnected.set(),
    )
    try:
        assert proxy.advertisements_sent == 1
        treadmill.drop_link()
        async with asyncio.timeout(1):
            await disconnected.wait()
        assert not client.is_connected
        # Re-advertised as soon as the link was free.
        assert proxy.advertisements_sent == 2
        await client.connect()
        assert client.is_connected
    finally:
        await client.disconnect()


async def test_periodic_advertiser_pauses_while_connected(hass: HomeAssistant) -> None:
    treadmill = SimulatedTreadmill(DEMO_PROFILE)
    proxy = await async_plug_in(hass, treadmill, advertise=False, advertising_interval_s=0.01)
    try:
        assert proxy.advertising_periodically
        await asyncio.sleep(0.05)
        assert proxy.advertisements_sent >= 2
        first_seen = bluetooth.async_last_service_info(hass, treadmill.address)
        assert first_seen is not None
        client = await connect(hass, treadmill.address)
        count = proxy.advertisements_sent
        await asyncio.sleep(0.05)
        assert proxy.advertisements_sent == count
        await client.disconnect()
        await asyncio.sleep(0.05)
        assert proxy.advertisements_sent > count
        last_seen = bluetooth.async_last_service_info(hass, treadmill.address)
        assert last_seen is not None
        assert last_seen.time > first_seen.time
        with pytest.raises(ValueError, match="positive"):
            proxy.start_advertising(0)
    finally:
        await proxy.async_unplug()
        await treadmill.aclose()
    assert not proxy.advertising_periodically


async def test_connection_slots_of_the_proxy(hass: HomeAssistant) -> None:
    first = SimulatedTreadmill(DEMO_PROFILE)
    second = SimulatedTreadmill(dataclasses.replace(DEMO_PROFILE, address="AA:BB:CC:00:00:02"))
    first_proxy = await async_plug_in(hass, first, connection_slots=1)
    second_proxy = await async_plug_in(hass, second, connection_slots=1)
    scanner = first_proxy.scanner
    assert second_proxy.scanner is scanner
    assert isinstance(scanner, SimulatedProxyScanner)
    try:
        client = await connect(hass, first.address)
        allocations = scanner.get_allocations()
        assert (allocations.slots, allocations.free) == (1, 0)
        assert allocations.allocated == [first.address]
        device = bluetooth.async_ble_device_from_address(hass, second.address, connectable=True)
        assert device is not None
        second_client = bleak_retry_connector.BleakClientWithServiceCache(device)
        with pytest.raises(BleakError, match="connection slot"):
            await second_client.connect()
        await client.disconnect()
        await second_client.connect()
        await second_client.disconnect()
    finally:
        await first_proxy.async_unplug()
        # The scanner stays while a treadmill is still in range of it.
        assert bluetooth.async_scanner_by_source(hass, SIMULATOR_SOURCE) is scanner
        await second_proxy.async_unplug()
        assert bluetooth.async_scanner_by_source(hass, SIMULATOR_SOURCE) is None
        await first.aclose()
        await second.aclose()


async def test_unplugging_drops_the_connection_and_unregisters(hass: HomeAssistant) -> None:
    treadmill = SimulatedTreadmill(DEMO_PROFILE)
    proxy = await async_plug_in(hass, treadmill)
    client = await connect(hass, treadmill.address)
    await proxy.async_unplug()
    assert not client.is_connected
    assert not treadmill.is_connected
    assert registry.get(treadmill.address) is None
    assert bluetooth.async_scanner_by_source(hass, SIMULATOR_SOURCE) is None
    await treadmill.aclose()

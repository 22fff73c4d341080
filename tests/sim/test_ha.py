"""The simulated proxy: Home Assistant's Bluetooth manager discovers and connects to treadmills."""

from __future__ import annotations

import asyncio

import bleak_retry_connector
from bleak_retry_connector import establish_connection
import pytest

from homeassistant.components import bluetooth
from homeassistant.core import HomeAssistant

from retrowalk_sim import DEMO_PROFILE, SimulatedTreadmill
from retrowalk_sim.ha import async_plug_in
from retrowalk_sim.protocol import FTMS_SERVICE_UUID, FtmsCharacteristic


@pytest.mark.usefixtures("enable_bluetooth")
async def test_home_assistant_discovers_and_connects(hass: HomeAssistant) -> None:
    treadmill = SimulatedTreadmill(DEMO_PROFILE)
    proxy = await async_plug_in(hass, treadmill)
    try:
        infos = [
            info
            for info in bluetooth.async_discovered_service_info(hass)
            if info.address == treadmill.address
        ]
        assert len(infos) == 1
        assert FTMS_SERVICE_UUID in infos[0].service_uuids
        device = bluetooth.async_ble_device_from_address(hass, treadmill.address, connectable=True)
        assert device is not None
        client = await establish_connection(
            bleak_retry_connector.BleakClientWithServiceCache, device, "test"
        )
        print(type(client), client._backend)
        features = await client.read_gatt_char(FtmsCharacteristic.FEATURE)
        assert len(features) == 8
        received: list[bytes] = []
        await client.start_notify(FtmsCharacteristic.TREADMILL_DATA, lambda _c, d: received.append(bytes(d)))
        await treadmill.advance(0.5)
        assert received
        await client.disconnect()
    finally:
        await proxy.async_unplug()
        await treadmill.aclose()

"""The connection's life: a treadmill that is off, comes, goes away and comes back."""

import logging
import time

from bleak import BleakClient
from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.retrowalk.const import RECONNECT_WATCHDOG_INTERVAL
from retrowalk_sim import SimulatedBleakClient, SimulatedTreadmill
from retrowalk_sim.ha import SimulatedProxy, async_plug_in
from tests.conftest import entry_for

SPEED = "sensor.retrowalk_demo_treadmill_speed"
LOGGER = "custom_components.retrowalk.coordinator"


async def _advance_until_connected(
    hass: HomeAssistant, entry: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> float:
    """Let time pass in half seconds until the treadmill is connected; return how long."""
    waited = 0.0
    while not entry.runtime_data.connected:
        if waited > 4 * RECONNECT_WATCHDOG_INTERVAL.total_seconds():
            pytest.fail("not reconnected")
        freezer.tick(0.5)
        waited += 0.5
        async_fire_time_changed(hass)
        await hass.async_block_till_done()
    return waited


def _log_lines(caplog: pytest.LogCaptureFixture, text: str) -> int:
    return sum(
        1
        for record in caplog.records
        if record.name == LOGGER and record.levelno >= logging.INFO and text in record.message
    )


@pytest.mark.usefixtures("enable_bluetooth")
async def test_treadmill_off_at_setup_then_switched_on(
    hass: HomeAssistant, treadmill: SimulatedTreadmill, entry: MockConfigEntry
) -> None:
    treadmill.power_off()
    proxy = await async_plug_in(hass, treadmill)
    try:
        entry.add_to_hass(hass)
        started = time.monotonic()
        await hass.config_entries.async_setup(entry.entry_id)
        # Not blocking Home Assistant: the entry gives up at once and retries later.
        assert time.monotonic() - started < 1.0
        assert entry.state is ConfigEntryState.SETUP_RETRY
        assert "cannot be reached" in str(entry.reason)

        treadmill.power_on()
        advertised = time.monotonic()
        assert proxy.advertise()
        await hass.async_block_till_done()
        assert entry.state is ConfigEntryState.LOADED
        assert time.monotonic() - advertised < 5.0
        assert entry.runtime_data.connected
        assert hass.states.get(SPEED).state != STATE_UNAVAILABLE
    finally:
        await hass.config_entries.async_unload(entry.entry_id)
        await proxy.async_unplug()


async def test_setup_fails_when_the_connection_fails(
    hass: HomeAssistant, proxy: SimulatedProxy, treadmill: SimulatedTreadmill
) -> None:
    # The treadmill is heard but another phone holds its only connection.
    phone = BleakClient(treadmill.address, backend=SimulatedBleakClient)
    await phone.connect()
    try:
        entry = entry_for(treadmill)
        entry.add_to_hass(hass)
        await hass.config_entries.async_setup(entry.entry_id)
        assert entry.state is ConfigEntryState.SETUP_RETRY
        assert "Could not connect" in str(entry.reason)
    finally:
        await phone.disconnect()


async def test_link_lost_and_back(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    proxy: SimulatedProxy,
    treadmill: SimulatedTreadmill,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await treadmill.advance(1.0)
    await hass.async_block_till_done()
    assert hass.states.get(SPEED).state == "0.0"

    treadmill.set_in_range(False)
    await hass.async_block_till_done()
    assert hass.states.get(SPEED).state == STATE_UNAVAILABLE
    assert not loaded_entry.runtime_data.connected

    # The watchdog keeps trying while the treadmill is away, without logging each failure.
    for _ in range(3):
        freezer.tick(RECONNECT_WATCHDOG_INTERVAL)
        async_fire_time_changed(hass)
        await hass.async_block_till_done()
    assert hass.states.get(SPEED).state == STATE_UNAVAILABLE
    assert _log_lines(caplog, "is unavailable") == 1

    treadmill.set_in_range(True)
    await hass.async_block_till_done()
    # Within two watchdog beats: one may fall while a failing attempt still backs off.
    assert await _advance_until_connected(hass, loaded_entry, freezer) <= (
        2 * RECONNECT_WATCHDOG_INTERVAL.total_seconds()
    )
    await treadmill.advance(1.0)
    await hass.async_block_till_done()
    assert hass.states.get(SPEED).state == "0.0"
    assert _log_lines(caplog, "is unavailable") == 1
    assert _log_lines(caplog, "is connected again") == 1


async def test_watchdog_reconnects_when_advertisements_are_missed(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    proxy: SimulatedProxy,
    treadmill: SimulatedTreadmill,
    freezer: FrozenDateTimeFactory,
) -> None:
    treadmill.set_in_range(False)
    await hass.async_block_till_done()
    assert not loaded_entry.runtime_data.connected
    # Back in range, but its advertisement never reaches Home Assistant.
    proxy.stop_advertising()
    treadmill.set_in_range(True)
    await hass.async_block_till_done()
    # Within two watchdog beats: one may fall while a failing attempt still backs off.
    assert await _advance_until_connected(hass, loaded_entry, freezer) <= (
        2 * RECONNECT_WATCHDOG_INTERVAL.total_seconds()
    )


async def test_unload_disconnects(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, treadmill: SimulatedTreadmill
) -> None:
    assert treadmill.is_connected
    assert await hass.config_entries.async_unload(loaded_entry.entry_id)
    await hass.async_block_till_done()
    assert not treadmill.is_connected
    assert loaded_entry.state is ConfigEntryState.NOT_LOADED


async def test_signal_strength_is_unavailable_once_the_treadmill_is_no_longer_heard(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    treadmill: SimulatedTreadmill,
    freezer: FrozenDateTimeFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    signal = "sensor.retrowalk_demo_treadmill_signal_strength"
    er.async_get(hass).async_update_entity(signal, disabled_by=None)
    freezer.tick(31)  # Home Assistant reloads the entry to add the enabled entity
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    state = hass.states.get(signal)
    assert state is not None
    assert state.state != STATE_UNAVAILABLE

    treadmill.set_in_range(False)
    await hass.async_block_till_done()
    # The Bluetooth stack ages advertisements on its own monotonic clock: an hour passes.
    later = time.monotonic() + 3600
    for module in ("habluetooth.base_scanner", "habluetooth.manager"):
        monkeypatch.setattr(f"{module}.monotonic_time_coarse", lambda: later)
    for seconds in (30, 300):  # the proxy forgets the treadmill, then the manager notices
        freezer.tick(seconds)
        async_fire_time_changed(hass)
        await hass.async_block_till_done()
    assert hass.states.get(signal).state == STATE_UNAVAILABLE

"""Diagnostics: what the treadmill supports and did, without its address or serial number."""

from dataclasses import replace
import json
from typing import Any

from homeassistant.components.diagnostics import REDACTED
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.retrowalk.const import CONF_HEART_RATE_ENTITY, SECTION_SAFETY
from retrowalk_sim import DEMO_PROFILE, SimulatedTreadmill
from tests.conftest import entry_for

ADDRESS = DEMO_PROFILE.address
SERIAL = DEMO_PROFILE.device_information.serial_number

# A walking pad: no incline motor, no heart-rate contacts.
WALKING_PAD = replace(DEMO_PROFILE, inclination_range=None, reports_heart_rate=False)


def assert_nothing_identifying(diagnostics: Any) -> None:
    text = json.dumps(diagnostics)
    for secret in (ADDRESS, SERIAL):
        assert secret.lower() not in text.lower()
    # Also not written without separators, as some Bluetooth stacks do (dev_AA_BB_...).
    assert ADDRESS.replace(":", "").lower() not in text.replace("_", "").lower()


async def test_diagnostics_after_a_walk_and_a_lost_link(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    loaded_entry: MockConfigEntry,
    treadmill: SimulatedTreadmill,
) -> None:
    await hass.services.async_call(
        "button",
        "press",
        {"entity_id": "button.retrowalk_demo_treadmill_start_or_resume"},
        blocking=True,
    )
    await treadmill.advance(3.0)
    await hass.async_block_till_done()
    # Switched off mid-walk: the link drops and reconnecting fails, with errors that quote
    # the treadmill's address.
    treadmill.power_off()
    await hass.async_block_till_done(wait_background_tasks=True)

    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, loaded_entry)

    assert_nothing_identifying(diagnostics)
    assert diagnostics["entry"]["data"]["address"] == REDACTED
    assert diagnostics["entry"]["data"]["name"] == DEMO_PROFILE.local_name
    assert diagnostics["entry"]["data"]["device_information"]["serial_number"] == REDACTED
    assert diagnostics["entry"]["data"]["device_information"]["model"] == "Demo Treadmill"
    assert diagnostics["connected"] is False
    assert diagnostics["device_information"] == {
        "manufacturer": "RetroWalk",
        "model": "Demo Treadmill",
        "serial_number": REDACTED,
        "hardware_revision": "1.0",
        "firmware_revision": "1.0.0",
        "software_revision": "1.0.0",
    }
    assert diagnostics["features"] == {
        "machine_flags": f"0x{treadmill.profile.machine_feature_bits:08x}",
        "target_flags": f"0x{treadmill.profile.target_setting_bits:08x}",
    }
    assert diagnostics["speed_range"] == {"minimum": 0.8, "maximum": 12.0, "increment": 0.1}
    assert diagnostics["inclination_range"] == {"minimum": 0.0, "maximum": 12.0, "increment": 0.5}
    assert diagnostics["quirks"]["speed_unit"] == "km/h"
    assert diagnostics["last_data"]["speed_kmh"] > 0
    status = diagnostics["last_machine_status"]
    assert status is not None
    assert isinstance(status["parameter"], str)
    assert diagnostics["last_training_status"] is not None

    events = [event["event"] for event in diagnostics["connection_history"]]
    assert events[:2] == ["connected", "disconnected"]
    assert "reconnect_failed" in events
    failed = next(
        event for event in diagnostics["connection_history"] if event["event"] == "reconnect_failed"
    )
    assert REDACTED in failed["detail"]
    assert all(
        event["detail"] is None
        for event in diagnostics["connection_history"]
        if event["event"] != "reconnect_failed"
    )


@pytest.mark.parametrize("profile", [WALKING_PAD])
async def test_diagnostics_of_a_walking_pad_just_connected(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    treadmill: SimulatedTreadmill,
    proxy: Any,
) -> None:
    entry = entry_for(treadmill, **{CONF_HEART_RATE_ENTITY: "sensor.watch_heart_rate"})
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()

    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)

    assert_nothing_identifying(diagnostics)
    assert diagnostics["entry"]["options"] == {CONF_HEART_RATE_ENTITY: "sensor.watch_heart_rate"}
    assert SECTION_SAFETY not in diagnostics["entry"]["options"]
    assert diagnostics["connected"] is True
    assert diagnostics["inclination_range"] is None
    assert diagnostics["last_data"] is None
    assert diagnostics["last_machine_status"] is None
    assert diagnostics["last_training_status"] is None
    assert [event["event"] for event in diagnostics["connection_history"]] == ["connected"]

    await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()

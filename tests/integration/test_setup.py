"""Setting up a treadmill: connection, entities, control through the real Bluetooth stack."""

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er
from pytest_homeassistant_custom_component.common import MockConfigEntry

from retrowalk_sim import SimulatedTreadmill


async def test_setup_creates_entities_and_device(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, treadmill: SimulatedTreadmill
) -> None:
    assert loaded_entry.state is ConfigEntryState.LOADED
    device = dr.async_get(hass).async_get_device_by_connection(
        (dr.CONNECTION_BLUETOOTH, treadmill.address.upper()), loaded_entry.entry_id
    )
    assert device is not None
    assert device.manufacturer == "RetroWalk"
    assert device.model == "Demo Treadmill"
    entities = er.async_entries_for_config_entry(er.async_get(hass), loaded_entry.entry_id)
    keys = {entity.translation_key for entity in entities}
    assert {"speed", "distance", "target_speed", "start", "stop", "belt_moving"} <= keys
    await treadmill.advance(1.0)
    await hass.async_block_till_done()
    speed = hass.states.get("sensor.retrowalk_demo_treadmill_speed")
    assert speed is not None
    assert float(speed.state) == 0.0


async def test_start_and_set_speed_move_the_belt(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, treadmill: SimulatedTreadmill
) -> None:
    await hass.services.async_call(
        "button",
        "press",
        {"entity_id": "button.retrowalk_demo_treadmill_start_or_resume"},
        blocking=True,
    )
    await hass.services.async_call(
        "number",
        "set_value",
        {"entity_id": "number.retrowalk_demo_treadmill_target_speed", "value": 2.0},
        blocking=True,
    )
    await treadmill.advance(6.0)
    await hass.async_block_till_done()
    assert float(hass.states.get("sensor.retrowalk_demo_treadmill_speed").state) == 2.0
    assert hass.states.get("binary_sensor.retrowalk_demo_treadmill_belt_moving").state == "on"

"""Shared fixtures: Home Assistant with the simulated treadmill behind its Bluetooth manager.

The simulated treadmill joins Home Assistant's real Bluetooth manager through a simulated
proxy (retrowalk_sim.ha), the way an ESPHome Bluetooth proxy does: discovery, connection and
every GATT exchange go through Home Assistant's Bluetooth stack and the integration's own
code. Tests drive time on the treadmill with `await treadmill.advance(seconds)`.
"""

from collections.abc import AsyncIterator
from dataclasses import asdict

from homeassistant.const import CONF_ADDRESS, CONF_NAME
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.retrowalk.const import CONF_DEVICE_INFORMATION, DOMAIN
from retrowalk_sim import DEMO_PROFILE, SimulatedTreadmill, TreadmillProfile
from retrowalk_sim.ha import SimulatedProxy, async_plug_in


@pytest.fixture
def profile() -> TreadmillProfile:
    """The simulated treadmill's model; tests override it for other machines."""
    return DEMO_PROFILE


@pytest.fixture
async def treadmill(profile: TreadmillProfile) -> AsyncIterator[SimulatedTreadmill]:
    """A simulated treadmill, switched on."""
    machine = SimulatedTreadmill(profile)
    yield machine
    await machine.aclose()


@pytest.fixture
async def proxy(
    hass: HomeAssistant, enable_bluetooth: None, treadmill: SimulatedTreadmill
) -> AsyncIterator[SimulatedProxy]:
    """The treadmill in range of a simulated Bluetooth proxy, advertising once."""
    plugged = await async_plug_in(hass, treadmill)
    yield plugged
    await plugged.async_unplug()


def entry_for(treadmill: SimulatedTreadmill, **options: object) -> MockConfigEntry:
    """A config entry as the config flow creates it for this treadmill."""
    profile = treadmill.profile
    return MockConfigEntry(
        domain=DOMAIN,
        title=f"{profile.device_information.manufacturer} {profile.device_information.model}",
        unique_id=treadmill.address.upper(),
        data={
            CONF_ADDRESS: treadmill.address.upper(),
            CONF_NAME: profile.local_name,
            CONF_DEVICE_INFORMATION: asdict(profile.device_information),
        },
        options=options,
    )


@pytest.fixture
def entry(treadmill: SimulatedTreadmill) -> MockConfigEntry:
    """The treadmill's config entry, not yet added."""
    return entry_for(treadmill)


@pytest.fixture
async def loaded_entry(
    hass: HomeAssistant,
    enable_custom_integrations: None,
    proxy: SimulatedProxy,
    entry: MockConfigEntry,
) -> AsyncIterator[MockConfigEntry]:
    """The treadmill added and connected."""
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    yield entry
    await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()

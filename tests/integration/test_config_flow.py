"""Adding a treadmill: discovery, the pick list, the test connection, and reconfiguring it.

Everything goes through Home Assistant's real Bluetooth manager: the simulated proxy hands it
advertisements, its bluetooth matchers (from the manifest) start the discovery flows, and the
test connections reach the simulated treadmill through Home Assistant's own client wrapper.
"""

from collections.abc import AsyncIterator
from dataclasses import asdict, replace
from datetime import timedelta
from typing import Any

from bluetooth_data_tools import monotonic_time_coarse
from homeassistant.components import bluetooth
from homeassistant.components.bluetooth.const import UNAVAILABLE_TRACK_SECONDS
from homeassistant.config_entries import (
    SOURCE_BLUETOOTH,
    SOURCE_IGNORE,
    SOURCE_USER,
    ConfigEntryState,
)
from homeassistant.const import CONF_ADDRESS, CONF_NAME
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import device_registry as dr
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.retrowalk.const import CONF_DEVICE_INFORMATION, DOMAIN
from retrowalk_sim import (
    DEMO_PROFILE,
    SimulatedBleakClient,
    SimulatedTreadmill,
    TreadmillProfile,
)
from retrowalk_sim.ha import AdvertisementStyle, SimulatedProxy, async_plug_in
from tests.conftest import entry_for

ADDRESS = DEMO_PROFILE.address
DEMO_TITLE = "RetroWalk Demo Treadmill"

SECOND_TREADMILL = replace(
    DEMO_PROFILE,
    local_name="Hall Treadmill",
    address="AA:BB:CC:00:00:02",
    device_information=replace(DEMO_PROFILE.device_information, serial_number="RW-DEMO-0002"),
)
# FTMS service data: flags, then machine type bits (0x20 indoor bike, 0x10 rower).
BIKE = replace(
    DEMO_PROFILE,
    local_name="Demo Bike",
    address="AA:BB:CC:00:00:0B",
    ftms_service_data=b"\x01\x20\x00",
)
# A walking pad whose Device Information has no manufacturer: the title is its name.
NAMELESS_MAKER = replace(
    DEMO_PROFILE,
    local_name="WalkPad TR-7",
    address="AA:BB:CC:00:00:07",
    device_information=replace(DEMO_PROFILE.device_information, manufacturer=""),
)

HEART_RATE_SERVICE_UUID = "0000180d-0000-1000-8000-00805f9b34fb"


class Airwaves:
    """Machines in range of Home Assistant through simulated proxies, cleaned up after a test."""

    def __init__(self, hass: HomeAssistant) -> None:
        self.hass = hass
        self.proxies: list[SimulatedProxy] = []
        self.machines: list[SimulatedTreadmill] = []

    def machine(self, profile: TreadmillProfile) -> SimulatedTreadmill:
        treadmill = SimulatedTreadmill(profile)
        self.machines.append(treadmill)
        return treadmill

    async def plug_in(self, treadmill: SimulatedTreadmill, **kwargs: Any) -> SimulatedProxy:
        proxy = await async_plug_in(self.hass, treadmill, **kwargs)
        self.proxies.append(proxy)
        return proxy

    async def forget(self, proxy: SimulatedProxy) -> None:
        """The treadmill's only proxy goes away, and Home Assistant notices on its next sweep."""
        await proxy.async_unplug()
        async_fire_time_changed(
            self.hass, dt_util.utcnow() + timedelta(seconds=UNAVAILABLE_TRACK_SECONDS + 1)
        )
        await self.hass.async_block_till_done()
        address = proxy.treadmill.address
        assert bluetooth.async_ble_device_from_address(self.hass, address, True) is None

    async def aclose(self) -> None:
        for entry in self.hass.config_entries.async_entries(DOMAIN):
            if entry.state is ConfigEntryState.LOADED:
                await self.hass.config_entries.async_unload(entry.entry_id)
        await self.hass.async_block_till_done()
        for proxy in reversed(self.proxies):
            await proxy.async_unplug()
        for machine in self.machines:
            await machine.aclose()


@pytest.fixture
async def airwaves(hass: HomeAssistant, enable_bluetooth: None) -> AsyncIterator[Airwaves]:
    """Plug machines in; afterwards the entries are unloaded and the proxies unplugged."""
    radio = Airwaves(hass)
    yield radio
    await radio.aclose()


async def settle_discovery(hass: HomeAssistant) -> None:
    """Let discovery run its course.

    The Bluetooth manager starts discovery flows as background tasks, which a plain
    async_block_till_done() does not wait for.
    """
    await hass.async_block_till_done(wait_background_tasks=True)


def discovery_flows(hass: HomeAssistant, address: str = ADDRESS) -> list[Any]:
    return [
        flow
        for flow in hass.config_entries.flow.async_progress_by_handler(DOMAIN)
        if flow["context"]["source"] == SOURCE_BLUETOOTH and flow["context"]["unique_id"] == address
    ]


def heard(hass: HomeAssistant, address: str) -> bluetooth.BluetoothServiceInfoBleak:
    """Home Assistant's last advertisement of an address."""
    info = bluetooth.async_last_service_info(hass, address, connectable=True)
    assert info is not None
    return info


async def discover(hass: HomeAssistant, address: str) -> Any:
    """Start a discovery flow with what Home Assistant heard, as its Bluetooth manager does."""
    return await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_BLUETOOTH}, data=heard(hass, address)
    )


def expected_data(profile: TreadmillProfile) -> dict[str, Any]:
    return {
        CONF_ADDRESS: profile.address,
        CONF_NAME: profile.local_name,
        CONF_DEVICE_INFORMATION: {
            key: value or None for key, value in asdict(profile.device_information).items()
        },
    }


def pick_list(result: Any) -> dict[str, str]:
    return dict(result["data_schema"].schema[CONF_ADDRESS].container)


# Discovery -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("profile", "title"),
    [(DEMO_PROFILE, DEMO_TITLE), (NAMELESS_MAKER, "WalkPad TR-7")],
    ids=["device_information", "advertised_name"],
)
async def test_discovery_confirm_creates_entry(
    hass: HomeAssistant, treadmill: SimulatedTreadmill, airwaves: Airwaves, title: str
) -> None:
    await airwaves.plug_in(treadmill)
    await settle_discovery(hass)

    (flow,) = discovery_flows(hass, treadmill.address)
    assert flow["step_id"] == "confirm"
    assert flow["context"]["title_placeholders"] == {"name": treadmill.profile.local_name}

    result = await hass.config_entries.flow.async_configure(flow["flow_id"], {})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == title
    assert result["data"] == expected_data(treadmill.profile)
    entry = result["result"]
    assert entry.unique_id == treadmill.address

    # The test connection let the treadmill go, so the new entry could connect to it.
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert treadmill.is_connected


@pytest.mark.parametrize(
    "style", [AdvertisementStyle.SERVICE_UUID_ONLY, AdvertisementStyle.SERVICE_DATA_ONLY]
)
async def test_discovery_by_either_kind_of_advertisement(
    hass: HomeAssistant,
    treadmill: SimulatedTreadmill,
    airwaves: Airwaves,
    style: AdvertisementStyle,
) -> None:
    await airwaves.plug_in(treadmill, style=style)
    await settle_discovery(hass)

    info = heard(hass, ADDRESS)
    if style is AdvertisementStyle.SERVICE_UUID_ONLY:
        assert info.service_data == {}
        assert info.service_uuids
    else:
        assert info.service_uuids == []
        assert info.service_data
    (flow,) = discovery_flows(hass)
    assert flow["step_id"] == "confirm"


@pytest.mark.parametrize(
    "service_data", [b"\x01", b"\x01\x00\x00", b"\x01\x00\x01"], ids=["flags", "no_type", "swap"]
)
async def test_discovery_of_machine_that_does_not_say_what_it_is(
    hass: HomeAssistant, airwaves: Airwaves, service_data: bytes
) -> None:
    machine = airwaves.machine(replace(DEMO_PROFILE, ftms_service_data=service_data))
    await airwaves.plug_in(machine)
    await settle_discovery(hass)

    (flow,) = discovery_flows(hass)
    assert flow["step_id"] == "confirm"


async def test_discovery_of_configured_treadmill_aborts(
    hass: HomeAssistant, treadmill: SimulatedTreadmill, airwaves: Airwaves
) -> None:
    entry_for(treadmill).add_to_hass(hass)
    await airwaves.plug_in(treadmill)
    await settle_discovery(hass)

    assert discovery_flows(hass) == []
    result = await discover(hass, ADDRESS)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


@pytest.mark.parametrize(
    "service_data",
    [b"\x01\x20\x00", b"\x01\x10\x00", b"\x00\x00\x20"],
    ids=["bike", "rower", "swap"],
)
async def test_discovery_of_other_fitness_machine_aborts(
    hass: HomeAssistant, airwaves: Airwaves, service_data: bytes
) -> None:
    bike = airwaves.machine(replace(BIKE, ftms_service_data=service_data))
    await airwaves.plug_in(bike)
    await settle_discovery(hass)

    assert hass.config_entries.flow.async_progress_by_handler(DOMAIN) == []
    result = await discover(hass, bike.address)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "not_a_treadmill"


# Picking a treadmill -------------------------------------------------------------------------


def hear_heart_rate_strap(proxy: SimulatedProxy) -> str:
    """Something that is no fitness machine at all advertises near the same proxy."""
    address = "AA:BB:CC:00:00:1D"
    # How a remote scanner (an ESPHome proxy) hands Home Assistant what it heard.
    proxy.scanner._async_on_advertisement(
        address,
        -70,
        "Chest strap",
        [HEART_RATE_SERVICE_UUID],
        {},
        {},
        None,
        {"address_type": 0},
        monotonic_time_coarse(),
    )
    return address


async def test_user_lists_treadmills_not_yet_added(
    hass: HomeAssistant, treadmill: SimulatedTreadmill, airwaves: Airwaves
) -> None:
    entry_for(treadmill).add_to_hass(hass)
    proxy = await airwaves.plug_in(treadmill)
    second = airwaves.machine(SECOND_TREADMILL)
    await airwaves.plug_in(second, style=AdvertisementStyle.SERVICE_UUID_ONLY)
    await airwaves.plug_in(airwaves.machine(BIKE))
    strap = hear_heart_rate_strap(proxy)
    await settle_discovery(hass)
    assert heard(hass, strap).name == "Chest strap"

    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})

    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"
    assert pick_list(result) == {second.address: f"Hall Treadmill ({second.address})"}


async def test_user_picks_confirms_and_creates_entry(
    hass: HomeAssistant, treadmill: SimulatedTreadmill, airwaves: Airwaves
) -> None:
    await airwaves.plug_in(treadmill)
    await settle_discovery(hass)
    assert len(discovery_flows(hass)) == 1

    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    assert pick_list(result) == {ADDRESS: f"{DEMO_TITLE} ({ADDRESS})"}

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_ADDRESS: ADDRESS}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "confirm"
    assert result["description_placeholders"] == {"name": DEMO_TITLE, "address": ADDRESS}

    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == DEMO_TITLE
    assert result["data"] == expected_data(DEMO_PROFILE)
    assert result["result"].unique_id == ADDRESS
    await hass.async_block_till_done()
    assert result["result"].state is ConfigEntryState.LOADED
    # The discovery flow of the same treadmill has nothing left to do.
    assert hass.config_entries.flow.async_progress_by_handler(DOMAIN) == []


async def test_user_with_nothing_nearby_aborts(hass: HomeAssistant, airwaves: Airwaves) -> None:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "no_devices_found"


async def test_user_with_only_added_treadmills_and_other_machines_aborts(
    hass: HomeAssistant, treadmill: SimulatedTreadmill, airwaves: Airwaves
) -> None:
    entry_for(treadmill).add_to_hass(hass)
    proxy = await airwaves.plug_in(treadmill)
    await airwaves.plug_in(airwaves.machine(BIKE))
    hear_heart_rate_strap(proxy)
    await settle_discovery(hass)

    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "no_devices_found"


async def test_user_can_add_an_ignored_treadmill(
    hass: HomeAssistant, treadmill: SimulatedTreadmill, airwaves: Airwaves
) -> None:
    ignored = MockConfigEntry(domain=DOMAIN, unique_id=ADDRESS, source=SOURCE_IGNORE)
    ignored.add_to_hass(hass)
    await airwaves.plug_in(treadmill)
    await settle_discovery(hass)
    assert discovery_flows(hass) == []

    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    assert list(pick_list(result)) == [ADDRESS]
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_ADDRESS: ADDRESS}
    )
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})

    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    (entry,) = hass.config_entries.async_entries(DOMAIN)
    assert entry.source == SOURCE_USER
    assert entry.state is ConfigEntryState.LOADED


async def test_user_pick_of_treadmill_added_meanwhile_aborts(
    hass: HomeAssistant, treadmill: SimulatedTreadmill, airwaves: Airwaves
) -> None:
    await airwaves.plug_in(treadmill)
    await settle_discovery(hass)
    user = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    assert list(pick_list(user)) == [ADDRESS]

    # Meanwhile the treadmill is added from its discovery notification.
    (flow,) = discovery_flows(hass)
    added = await hass.config_entries.flow.async_configure(flow["flow_id"], {})
    assert added["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()

    result = await hass.config_entries.flow.async_configure(
        user["flow_id"], {CONF_ADDRESS: ADDRESS}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert len(hass.config_entries.async_entries(DOMAIN)) == 1


# The test connection -------------------------------------------------------------------------


async def test_confirm_when_treadmill_is_gone_then_back(
    hass: HomeAssistant, treadmill: SimulatedTreadmill, airwaves: Airwaves
) -> None:
    proxy = await airwaves.plug_in(treadmill)
    await settle_discovery(hass)
    (flow,) = discovery_flows(hass)

    treadmill.power_off()
    await airwaves.forget(proxy)
    result = await hass.config_entries.flow.async_configure(flow["flow_id"], {})

    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "confirm"
    assert result["errors"] == {"base": "not_found"}
    assert result["description_placeholders"] == {"name": DEMO_TITLE, "address": ADDRESS}

    treadmill.power_on()
    await airwaves.plug_in(treadmill)
    result = await hass.config_entries.flow.async_configure(flow["flow_id"], {})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"] == expected_data(DEMO_PROFILE)


async def test_confirm_while_phone_app_holds_the_link_then_released(
    hass: HomeAssistant, treadmill: SimulatedTreadmill, airwaves: Airwaves
) -> None:
    await airwaves.plug_in(treadmill)
    await settle_discovery(hass)
    (flow,) = discovery_flows(hass)

    phone = SimulatedBleakClient(ADDRESS)
    await phone.connect()
    result = await hass.config_entries.flow.async_configure(flow["flow_id"], {})
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "cannot_connect"}
    assert phone.is_connected

    await phone.disconnect()
    result = await hass.config_entries.flow.async_configure(flow["flow_id"], {})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == DEMO_TITLE


async def test_confirm_when_treadmill_was_switched_off_a_moment_ago(
    hass: HomeAssistant, treadmill: SimulatedTreadmill, airwaves: Airwaves
) -> None:
    """Home Assistant still has its last advertisement, but nothing answers the connection."""
    await airwaves.plug_in(treadmill)
    await settle_discovery(hass)
    (flow,) = discovery_flows(hass)

    treadmill.power_off()
    assert bluetooth.async_ble_device_from_address(hass, ADDRESS, True) is not None
    result = await hass.config_entries.flow.async_configure(flow["flow_id"], {})
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "cannot_connect"}

    treadmill.power_on()
    result = await hass.config_entries.flow.async_configure(flow["flow_id"], {})
    assert result["type"] is FlowResultType.CREATE_ENTRY


# Reconfiguring -------------------------------------------------------------------------------


def stale_entry(treadmill: SimulatedTreadmill) -> MockConfigEntry:
    """The treadmill's entry as it was added before a firmware update."""
    entry = entry_for(treadmill)
    old = replace(treadmill.profile.device_information, firmware_revision="0.9.0")
    return MockConfigEntry(
        domain=DOMAIN,
        title="Treadmill",
        unique_id=entry.unique_id,
        data={**entry.data, CONF_DEVICE_INFORMATION: asdict(old)},
    )


async def test_reconfigure_connected_treadmill_refreshes_and_reloads(
    hass: HomeAssistant, treadmill: SimulatedTreadmill, airwaves: Airwaves
) -> None:
    entry = stale_entry(treadmill)
    entry.add_to_hass(hass)
    await airwaves.plug_in(treadmill)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    coordinator = entry.runtime_data
    assert coordinator.connected

    result = await entry.start_reconfigure_flow(hass)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reconfigure"
    assert result["description_placeholders"] == {"name": "Treadmill", "address": ADDRESS}

    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()

    # The user's title stays; what the treadmill says about itself is refreshed.
    assert entry.title == "Treadmill"
    assert entry.data == expected_data(DEMO_PROFILE)
    assert entry.state is ConfigEntryState.LOADED
    assert entry.runtime_data is not coordinator
    assert entry.runtime_data.connected
    device = dr.async_get(hass).async_get_device_by_connection(
        (dr.CONNECTION_BLUETOOTH, ADDRESS), entry.entry_id
    )
    assert device is not None
    assert device.sw_version == "1.0.0"
    assert device.name == "Treadmill"


async def test_reconfigure_unchanged_treadmill_keeps_the_connection(
    hass: HomeAssistant, treadmill: SimulatedTreadmill, airwaves: Airwaves
) -> None:
    entry = entry_for(treadmill)
    entry.add_to_hass(hass)
    await airwaves.plug_in(treadmill)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    coordinator = entry.runtime_data

    result = await entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()

    assert entry.runtime_data is coordinator
    assert coordinator.connected


async def test_reconfigure_treadmill_not_connected_tests_a_connection(
    hass: HomeAssistant, treadmill: SimulatedTreadmill, airwaves: Airwaves
) -> None:
    """An entry that is not set up: the reconfiguration connects to the treadmill itself."""
    entry = stale_entry(treadmill)
    entry.add_to_hass(hass)
    await airwaves.plug_in(treadmill)
    assert entry.state is ConfigEntryState.NOT_LOADED

    result = await entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert entry.title == "Treadmill"
    assert entry.data == expected_data(DEMO_PROFILE)
    assert not treadmill.is_connected


async def test_reconfigure_when_treadmill_is_gone(
    hass: HomeAssistant, treadmill: SimulatedTreadmill, airwaves: Airwaves
) -> None:
    entry = stale_entry(treadmill)
    entry.add_to_hass(hass)
    proxy = await airwaves.plug_in(treadmill)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()

    result = await entry.start_reconfigure_flow(hass)
    treadmill.power_off()
    await airwaves.forget(proxy)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})

    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reconfigure"
    assert result["errors"] == {"base": "not_found"}
    assert entry.title == "Treadmill"

    # Back: the entry reconnects by itself, and the reconfiguration reads that connection.
    treadmill.power_on()
    await airwaves.plug_in(treadmill)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert entry.runtime_data.connected
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert entry.data == expected_data(DEMO_PROFILE)


async def test_reconfigure_while_phone_app_holds_the_link(
    hass: HomeAssistant, treadmill: SimulatedTreadmill, airwaves: Airwaves
) -> None:
    entry = stale_entry(treadmill)
    entry.add_to_hass(hass)
    await airwaves.plug_in(treadmill)
    phone = SimulatedBleakClient(ADDRESS)
    await phone.connect()

    result = await entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "cannot_connect"}
    assert entry.data[CONF_DEVICE_INFORMATION]["firmware_revision"] == "0.9.0"

    await phone.disconnect()
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert entry.data == expected_data(DEMO_PROFILE)


async def test_reconfigure_connected_takes_what_the_treadmill_reported_on_connecting(
    hass: HomeAssistant, treadmill: SimulatedTreadmill, airwaves: Airwaves
) -> None:
    """As the reconfigure step says: the held connection's reading, no new connection."""
    entry = entry_for(treadmill)
    entry.add_to_hass(hass)
    await airwaves.plug_in(treadmill)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    coordinator = entry.runtime_data
    # The firmware changes under the held connection (the simulation does not restart).
    updated = replace(treadmill.profile.device_information, firmware_revision="2.0.0")
    treadmill.profile = replace(treadmill.profile, device_information=updated)

    result = await entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()
    assert entry.data[CONF_DEVICE_INFORMATION]["firmware_revision"] == "1.0.0"
    assert entry.runtime_data is coordinator  # nothing changed, nothing reloaded

    # A new connection reports afresh, and the reconfiguration takes that.
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.runtime_data.connected
    result = await entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["reason"] == "reconfigure_successful"
    assert entry.data[CONF_DEVICE_INFORMATION]["firmware_revision"] == "2.0.0"

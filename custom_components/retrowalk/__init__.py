"""The RetroWalk integration: Bluetooth FTMS treadmills and retro-walking programs."""

import logging

from homeassistant.components import bluetooth
from homeassistant.components.bluetooth import BluetoothReachabilityIntent
from homeassistant.config_entries import ConfigEntry
from homeassistant.const import CONF_ADDRESS
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryNotReady
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers.typing import ConfigType

from .const import DOMAIN, PLATFORMS
from .coordinator import CONNECT_ERRORS, RetroWalkCoordinator
from .options import RetroWalkOptions, known_quirks
from .services import async_setup_services
from .tracking import session_store

type RetroWalkConfigEntry = ConfigEntry[RetroWalkCoordinator]

_LOGGER = logging.getLogger(__name__)

CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Register the actions, for every treadmill, once."""
    async_setup_services(hass)
    return True


async def async_setup_entry(hass: HomeAssistant, entry: RetroWalkConfigEntry) -> bool:
    """Connect to the treadmill and add its entities."""
    address: str = entry.data[CONF_ADDRESS]
    ble_device = bluetooth.async_ble_device_from_address(hass, address, connectable=True)
    if ble_device is None:
        # Raised at once, so a treadmill that is off never holds up Home Assistant's start;
        # the entry is retried, and set up as soon as the treadmill advertises again.
        raise ConfigEntryNotReady(
            translation_domain=DOMAIN,
            translation_key="treadmill_not_found",
            translation_placeholders={
                "name": entry.title,
                "reason": bluetooth.async_address_reachability_diagnostics(
                    hass, address, BluetoothReachabilityIntent.CONNECTION
                ),
            },
        )

    options = RetroWalkOptions.from_mapping(entry.options)
    coordinator = RetroWalkCoordinator(
        hass, entry, ble_device, options, options.quirks(known_quirks(entry.data))
    )
    # The history is read before the treadmill can report anything.
    await coordinator.tracking.async_load()
    try:
        await coordinator.async_start()
    except CONNECT_ERRORS as err:
        # The coordinator shuts itself down with the failed setup (it registered for unload).
        raise ConfigEntryNotReady(
            translation_domain=DOMAIN,
            translation_key="cannot_connect",
            translation_placeholders={"name": entry.title, "error": str(err) or type(err).__name__},
        ) from err

    entry.runtime_data = coordinator
    entry.async_on_unload(entry.add_update_listener(_async_options_updated))
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    return True


async def _async_options_updated(hass: HomeAssistant, entry: RetroWalkConfigEntry) -> None:
    """Apply new options at once, so a walk in progress is not interrupted by a reload.

    A reconfiguration (Device Information read again) or changed device quirks reload the
    entry, as they change how the treadmill is talked to.
    """
    coordinator = entry.runtime_data
    options = RetroWalkOptions.from_mapping(entry.options)
    if (
        dict(entry.data) != coordinator.setup_data
        or options.quirks(known_quirks(entry.data)) != coordinator.quirks
    ):
        hass.config_entries.async_schedule_reload(entry.entry_id)
        return
    coordinator.async_apply_options(options)


async def async_unload_entry(hass: HomeAssistant, entry: RetroWalkConfigEntry) -> bool:
    """Stop using the treadmill and disconnect."""
    # The coordinator disconnects by itself once the entry is unloaded.
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)


async def async_remove_entry(hass: HomeAssistant, entry: RetroWalkConfigEntry) -> None:
    """The treadmill is removed: its session history goes with it."""
    await session_store(hass, entry.entry_id).async_remove()

"""Adding a treadmill: Bluetooth discovery, a pick list, a test connection; reconfiguring."""

import asyncio
from dataclasses import asdict, dataclass
import logging
from typing import TYPE_CHECKING, Any, override

from homeassistant.components import bluetooth
from homeassistant.components.bluetooth import BluetoothServiceInfoBleak
from homeassistant.config_entries import (
    ConfigEntryState,
    ConfigFlow,
    ConfigFlowResult,
    OptionsFlow,
)
from homeassistant.const import CONF_ADDRESS, CONF_NAME
from homeassistant.core import HomeAssistant, callback
import probatio

from .const import CONF_DEVICE_INFORMATION, DOMAIN, PROBE_TIMEOUT
from .coordinator import CONNECT_ERRORS
from .ftms import DeviceInformation, FtmsClient
from .ftms.advertisement import parse_ftms_service_data
from .ftms.const import FTMS_SERVICE_UUID
from .options_flow import RetroWalkOptionsFlow

if TYPE_CHECKING:
    from . import RetroWalkConfigEntry

_LOGGER = logging.getLogger(__name__)


class TreadmillNotFound(Exception):
    """No connectable path to the treadmill, even after an active scan."""


@dataclass(frozen=True, slots=True)
class ProbedTreadmill:
    """What a test connection learned about a treadmill."""

    title: str
    device_information: DeviceInformation


def is_ftms_treadmill(service_info: BluetoothServiceInfoBleak) -> bool:
    """Whether an advertisement may come from an FTMS treadmill.

    Many treadmills only list the FTMS service; an advertisement is refused only when its
    FTMS service data says the machine is something else (a bike, a rower).
    """
    service_data = service_info.service_data.get(FTMS_SERVICE_UUID)
    if service_data is None and FTMS_SERVICE_UUID not in service_info.service_uuids:
        return False
    return parse_ftms_service_data(service_data).is_treadmill is not False


def treadmill_title(info: DeviceInformation, advertised_name: str | None) -> str:
    """The entry title: manufacturer and model from Device Information, else the name."""
    if info.manufacturer and info.model:
        return f"{info.manufacturer} {info.model}"
    return advertised_name or info.model or "Treadmill"


async def async_probe_treadmill(
    hass: HomeAssistant, address: str, advertised_name: str | None
) -> ProbedTreadmill:
    """Connect once, read what the treadmill is, and disconnect (test before configure)."""
    ble_device = bluetooth.async_ble_device_from_address(hass, address, connectable=True)
    if ble_device is None:
        await bluetooth.async_request_active_scan(hass)
        ble_device = bluetooth.async_ble_device_from_address(hass, address, connectable=True)
    if ble_device is None:
        raise TreadmillNotFound
    client = FtmsClient(ble_device)
    try:
        async with asyncio.timeout(PROBE_TIMEOUT):
            await client.connect()
        info = client.device_information
    finally:
        await client.disconnect()
    return ProbedTreadmill(
        title=treadmill_title(info, advertised_name or ble_device.name),
        device_information=info,
    )


async def async_read_configured_treadmill(
    hass: HomeAssistant, entry: RetroWalkConfigEntry
) -> ProbedTreadmill:
    """What a configured treadmill says it is now.

    A treadmill takes one connection at a time, so while the entry holds it no test connection
    can be made; the held connection read Device Information when it was established.
    """
    if entry.state is ConfigEntryState.LOADED and entry.runtime_data.connected:
        info = entry.runtime_data.device_information
        assert info is not None  # Read on connecting.
        return ProbedTreadmill(
            title=treadmill_title(info, entry.data.get(CONF_NAME)), device_information=info
        )
    return await async_probe_treadmill(hass, entry.data[CONF_ADDRESS], None)


class RetroWalkConfigFlow(ConfigFlow, domain=DOMAIN):
    """Add a Bluetooth FTMS treadmill."""

    VERSION = 1
    MINOR_VERSION = 1

    def __init__(self) -> None:
        """Start with nothing discovered."""
        self._discovery: BluetoothServiceInfoBleak | None = None
        self._candidates: dict[str, BluetoothServiceInfoBleak] = {}

    @staticmethod
    @callback
    @override
    def async_get_options_flow(config_entry: RetroWalkConfigEntry) -> OptionsFlow:
        """Safety limits, program defaults, linked sensors and device quirks."""
        return RetroWalkOptionsFlow()

    @override
    async def async_step_bluetooth(
        self, discovery_info: BluetoothServiceInfoBleak
    ) -> ConfigFlowResult:
        """A treadmill was heard advertising FTMS."""
        address = discovery_info.address.upper()
        await self.async_set_unique_id(address)
        self._abort_if_unique_id_configured()
        if not is_ftms_treadmill(discovery_info):
            return self.async_abort(reason="not_a_treadmill")
        self._discovery = discovery_info
        self.context["title_placeholders"] = {"name": discovery_info.name or address}
        return await self.async_step_confirm()

    @override
    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Pick one of the FTMS treadmills heard nearby and not yet added."""
        if user_input is not None:
            address = user_input[CONF_ADDRESS]
            await self.async_set_unique_id(address, raise_on_progress=False)
            self._abort_if_unique_id_configured()
            self._discovery = self._candidates[address]
            return await self.async_step_confirm()

        await bluetooth.async_request_active_scan(self.hass)
        configured = self._async_current_ids(include_ignore=False)
        self._candidates = {
            info.address.upper(): info
            for info in bluetooth.async_discovered_service_info(self.hass, connectable=True)
            if info.address.upper() not in configured and is_ftms_treadmill(info)
        }
        if not self._candidates:
            return self.async_abort(reason="no_devices_found")
        return self.async_show_form(
            step_id="user",
            data_schema=probatio.Schema(
                {
                    probatio.Required(CONF_ADDRESS): probatio.In(
                        {
                            address: f"{info.name or address} ({address})"
                            for address, info in self._candidates.items()
                        }
                    )
                }
            ),
        )

    async def async_step_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Confirm, then test the connection before adding the treadmill."""
        assert self._discovery is not None
        discovery = self._discovery
        address = discovery.address.upper()
        errors: dict[str, str] = {}
        if user_input is not None:
            try:
                probed = await async_probe_treadmill(self.hass, address, discovery.name)
            except TreadmillNotFound:
                errors["base"] = "not_found"
            except CONNECT_ERRORS as err:
                _LOGGER.debug("Test connection to %s failed: %s", address, err)
                errors["base"] = "cannot_connect"
            else:
                return self.async_create_entry(
                    title=probed.title,
                    data={
                        CONF_ADDRESS: address,
                        CONF_NAME: discovery.name,
                        CONF_DEVICE_INFORMATION: asdict(probed.device_information),
                    },
                )
        self._set_confirm_only()
        return self.async_show_form(
            step_id="confirm",
            description_placeholders={"name": discovery.name or address, "address": address},
            errors=errors,
        )

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Refresh what the treadmill says it is (after a firmware update).

        From the held connection when there is one, else from a test connection.
        """
        entry: RetroWalkConfigEntry = self._get_reconfigure_entry()
        address: str = entry.data[CONF_ADDRESS]
        errors: dict[str, str] = {}
        if user_input is not None:
            try:
                probed = await async_read_configured_treadmill(self.hass, entry)
            except TreadmillNotFound:
                errors["base"] = "not_found"
            except CONNECT_ERRORS as err:
                _LOGGER.debug("Test connection to %s failed: %s", address, err)
                errors["base"] = "cannot_connect"
            else:
                # The title stays: the user may have renamed the treadmill. The entry's update
                # listener reloads it when the Device Information changed.
                return self.async_update_and_abort(
                    entry,
                    data_updates={CONF_DEVICE_INFORMATION: asdict(probed.device_information)},
                )
        return self.async_show_form(
            step_id="reconfigure",
            description_placeholders={"name": entry.title, "address": address},
            errors=errors,
        )

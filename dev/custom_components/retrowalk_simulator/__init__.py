"""Development only: a simulated FTMS treadmill in range of a simulated Bluetooth proxy.

`scripts/develop` links this next to the RetroWalk integration. Home Assistant's Bluetooth
manager then discovers "RetroWalk Demo Treadmill" and connects to it exactly as it would to a
real treadmill behind an ESPHome Bluetooth proxy. The simulator package (`retrowalk_sim`, at
the repository root) is found through PYTHONPATH.
"""

import logging

from homeassistant.const import EVENT_HOMEASSISTANT_STOP
from homeassistant.core import Event, HomeAssistant
from homeassistant.helpers.typing import ConfigType
import probatio

from retrowalk_sim import DEMO_PROFILE, SimulatedTreadmill
from retrowalk_sim.ha import async_plug_in

DOMAIN = "retrowalk_simulator"
CONFIG_SCHEMA = probatio.Schema({DOMAIN: {}}, extra=probatio.ALLOW_EXTRA)

# A real treadmill advertises every second or so; every few seconds is enough here.
ADVERTISING_INTERVAL_S = 5.0

_LOGGER = logging.getLogger(__name__)


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Switch the simulated treadmill on and put it in range."""
    treadmill = SimulatedTreadmill(DEMO_PROFILE)
    treadmill.start_realtime()
    proxy = await async_plug_in(hass, treadmill, advertising_interval_s=ADVERTISING_INTERVAL_S)
    _LOGGER.warning(
        "Simulated treadmill %s (%s) is advertising through a simulated Bluetooth proxy",
        DEMO_PROFILE.local_name,
        treadmill.address,
    )

    async def _switch_off(_event: Event) -> None:
        await proxy.async_unplug()
        await treadmill.aclose()

    hass.bus.async_listen_once(EVENT_HOMEASSISTANT_STOP, _switch_off)
    return True

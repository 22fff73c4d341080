"""A simulated Bluetooth FTMS treadmill for tests and development (never shipped to users).

- :mod:`retrowalk_sim.treadmill`: the machine (:class:`SimulatedTreadmill`), what it is
  (:class:`TreadmillProfile`, :data:`DEMO_PROFILE`) and how it misbehaves (:class:`Misbehaviour`).
- :mod:`retrowalk_sim.bleak_backend`: :class:`SimulatedBleakClient`, a bleak client backend.
- :mod:`retrowalk_sim.registry`: where backends find treadmills by address.
- :mod:`retrowalk_sim.ha`: plugs treadmills into Home Assistant's Bluetooth manager (imports
  Home Assistant, so it is not imported here).
"""

from .bleak_backend import SimulatedBleakClient
from .treadmill import (
    DEMO_PROFILE,
    TICK_S,
    BeltState,
    ControlPointWrite,
    DeviceInformation,
    Misbehaviour,
    SentNotification,
    SimulatedTreadmill,
    SupportedRange,
    TreadmillProfile,
)

__all__ = [
    "DEMO_PROFILE",
    "TICK_S",
    "BeltState",
    "ControlPointWrite",
    "DeviceInformation",
    "Misbehaviour",
    "SentNotification",
    "SimulatedBleakClient",
    "SimulatedTreadmill",
    "SupportedRange",
    "TreadmillProfile",
]

"""Plug simulated treadmills into Home Assistant's real Bluetooth manager.

It works the way an ESPHome Bluetooth proxy does: a connectable habluetooth remote scanner
(:class:`SimulatedProxyScanner`, source ``retrowalk-sim``) is registered with
``bluetooth.async_register_scanner``; treadmill advertisements are injected into it, so Home
Assistant discovers the treadmill (``async_discovered_service_info``, config flow discovery
through the integration's bluetooth matchers) and hands out a ``BLEDevice`` whose details name
the scanner. When an integration connects (``establish_connection`` with HA's wrapped
``BleakClientWithServiceCache``, no backend argument), HA's client wrapper picks the scanner's
:class:`~habluetooth.HaBluetoothConnector`, whose client class is
:class:`~retrowalk_sim.bleak_backend.SimulatedBleakClient`: the connection reaches the
simulated machine through Home Assistant's own Bluetooth stack.

Several treadmills can share one scanner (one proxy with several machines in range); the
scanner is registered with the first and unregistered with the last.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Final

from bluetooth_data_tools import monotonic_time_coarse
from habluetooth import Allocations, BaseHaRemoteScanner, HaBluetoothConnector
from homeassistant.components import bluetooth
from homeassistant.util.hass_dict import HassKey

from . import registry
from .bleak_backend import SimulatedBleakClient
from .protocol import FTMS_SERVICE_UUID

if TYPE_CHECKING:
    from collections.abc import Callable

    from homeassistant.core import HomeAssistant

    from .treadmill import SimulatedTreadmill

SIMULATOR_SOURCE: Final = "retrowalk-sim"
"""Default source of the simulated proxy (like an ESPHome proxy's MAC address)."""

DEFAULT_CONNECTION_SLOTS: Final = 3
"""Connection slots of the simulated proxy: ESPHome Bluetooth proxies have 3 by default."""

DEFAULT_ADVERTISING_INTERVAL_S: Final = 2.0
"""How often a realtime advertiser re-injects an advertisement while the machine is idle."""

# Settle the loop this many times after unplugging so HA's clean-up of clients still
# connected through the scanner (a background task of its manager) finishes.
_UNPLUG_SETTLE_ITERATIONS: Final = 5

# BLE public address type, as ESPHome proxies report it in the advertisement details.
_PUBLIC_ADDRESS_TYPE: Final = 0


class AdvertisementStyle(StrEnum):
    """How a treadmill announces FTMS: real machines do either or both."""

    SERVICE_UUID_AND_DATA = "service_uuid_and_data"
    SERVICE_UUID_ONLY = "service_uuid_only"
    SERVICE_DATA_ONLY = "service_data_only"


class SimulatedProxyScanner(BaseHaRemoteScanner):
    """A connectable remote scanner with simulated treadmills in range."""

    def __init__(self, source: str, connection_slots: int) -> None:
        """Build the scanner and its connector (client class: SimulatedBleakClient)."""
        self.connection_slots = connection_slots
        self.treadmills: dict[str, SimulatedTreadmill] = {}
        connector = HaBluetoothConnector(
            client=SimulatedBleakClient, source=source, can_connect=self.has_free_slot
        )
        super().__init__(source, source, connector, True)

    def connected_addresses(self) -> list[str]:
        """Addresses of the treadmills in range that hold a connection (each takes a slot)."""
        return [address for address, machine in self.treadmills.items() if machine.is_connected]

    def has_free_slot(self) -> bool:
        """Whether one more connection fits (the connector's ``can_connect``)."""
        return len(self.connected_addresses()) < self.connection_slots

    def get_allocations(self) -> Allocations:
        """Report slot use so HA scores connection paths and explains unreachable devices."""
        allocated = self.connected_addresses()
        return Allocations(
            adapter=self.source,
            slots=self.connection_slots,
            free=max(0, self.connection_slots - len(allocated)),
            allocated=allocated,
        )

    def inject_advertisement(
        self,
        treadmill: SimulatedTreadmill,
        style: AdvertisementStyle = AdvertisementStyle.SERVICE_UUID_AND_DATA,
    ) -> None:
        """Hand one advertisement of the treadmill to Home Assistant, as if heard on air."""
        profile = treadmill.profile
        service_uuids = [] if style is AdvertisementStyle.SERVICE_DATA_ONLY else [FTMS_SERVICE_UUID]
        service_data = (
            {}
            if style is AdvertisementStyle.SERVICE_UUID_ONLY
            else {FTMS_SERVICE_UUID: profile.ftms_service_data}
        )
        self._async_on_advertisement(
            profile.address,
            profile.rssi,
            profile.local_name,
            service_uuids,
            service_data,
            {},
            None,
            {"address_type": _PUBLIC_ADDRESS_TYPE},
            monotonic_time_coarse(),
        )


@dataclass(slots=True)
class _ScannerRegistration:
    """A registered scanner and what undoes its registration."""

    scanner: SimulatedProxyScanner
    cancel_callbacks: list[Callable[[], None]] = field(default_factory=list)


_SCANNERS: HassKey[dict[str, _ScannerRegistration]] = HassKey("retrowalk_sim_scanners")


class SimulatedProxy:
    """One treadmill plugged into Home Assistant through a simulated proxy scanner."""

    def __init__(
        self,
        hass: HomeAssistant,
        treadmill: SimulatedTreadmill,
        scanner: SimulatedProxyScanner,
        style: AdvertisementStyle,
        readvertise_when_free: bool,
    ) -> None:
        """Use :func:`async_plug_in` rather than building this directly."""
        self.hass = hass
        self.treadmill = treadmill
        self.scanner = scanner
        self.style = style
        self.advertisements_sent = 0
        self._advertiser: asyncio.Task[None] | None = None
        self._remove_listener: Callable[[], None] | None = None
        if readvertise_when_free:
            self._remove_listener = treadmill.add_advertising_listener(self._on_advertising_changed)

    @property
    def source(self) -> str:
        """The scanner's source: what HA's BLEDevice details name as the connection path."""
        return self.scanner.source

    def advertise(self, style: AdvertisementStyle | None = None) -> bool:
        """Inject one advertisement now, if the machine advertises (not while connected).

        Returns whether an advertisement was injected.
        """
        if not self.treadmill.is_advertising:
            return False
        self.scanner.inject_advertisement(self.treadmill, style or self.style)
        self.advertisements_sent += 1
        return True

    def start_advertising(self, interval_s: float = DEFAULT_ADVERTISING_INTERVAL_S) -> None:
        """Re-advertise every ``interval_s`` real seconds while the machine advertises."""
        if interval_s <= 0:
            raise ValueError("interval_s must be positive")
        self.stop_advertising()
        self._advertiser = self.hass.async_create_background_task(
            self._advertise_periodically(interval_s),
            f"retrowalk-sim advertiser {self.treadmill.address}",
        )

    def stop_advertising(self) -> None:
        """Stop the realtime advertiser (cancelled; :meth:`async_unplug` also awaits it)."""
        if self._advertiser is not None:
            self._advertiser.cancel()
            self._advertiser = None

    @property
    def advertising_periodically(self) -> bool:
        """Whether the realtime advertiser runs."""
        return self._advertiser is not None and not self._advertiser.done()

    async def async_unplug(self) -> None:
        """Take the treadmill out of range of Home Assistant and clean up.

        The link drops (a proxy going away takes its connections with it), the advertiser
        stops, the treadmill leaves the registry and, with the last treadmill, the scanner is
        unregistered.
        """
        advertiser = self._advertiser
        self.stop_advertising()
        if advertiser is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await advertiser
        if self._remove_listener is not None:
            self._remove_listener()
            self._remove_listener = None
        self.treadmill.drop_link()
        address = self.treadmill.address.upper()
        self.scanner.treadmills.pop(address, None)
        if registry.get(address) is self.treadmill:
            registry.unregister(address)
        registrations = self.hass.data.get(_SCANNERS, {})
        registration = registrations.get(self.scanner.source)
        if (
            registration is not None
            and registration.scanner is self.scanner
            and not self.scanner.treadmills
        ):
            del registrations[self.scanner.source]
            for cancel in registration.cancel_callbacks:
                cancel()
        for _ in range(_UNPLUG_SETTLE_ITERATIONS):
            await asyncio.sleep(0)

    def _on_advertising_changed(self, advertising: bool) -> None:
        # A freed machine advertises again at once; tell HA instead of waiting for the
        # periodic advertiser.
        if advertising:
            self.advertise()

    async def _advertise_periodically(self, interval_s: float) -> None:
        while True:
            self.advertise()
            await asyncio.sleep(interval_s)


def _scanner_for(hass: HomeAssistant, source: str, connection_slots: int) -> SimulatedProxyScanner:
    registrations = hass.data.setdefault(_SCANNERS, {})
    if (registration := registrations.get(source)) is not None:
        return registration.scanner
    scanner = SimulatedProxyScanner(source, connection_slots)
    registration = _ScannerRegistration(scanner)
    registration.cancel_callbacks.append(bluetooth.async_register_scanner(hass, scanner))
    registration.cancel_callbacks.append(scanner.async_setup())
    registrations[source] = registration
    return scanner


async def async_plug_in(
    hass: HomeAssistant,
    treadmill: SimulatedTreadmill,
    *,
    advertise: bool = True,
    style: AdvertisementStyle = AdvertisementStyle.SERVICE_UUID_AND_DATA,
    advertising_interval_s: float | None = None,
    source: str = SIMULATOR_SOURCE,
    connection_slots: int = DEFAULT_CONNECTION_SLOTS,
) -> SimulatedProxy:
    """Put the treadmill in range of a simulated proxy registered with HA's Bluetooth manager.

    The Bluetooth integration must be set up. The treadmill is registered for
    :class:`SimulatedBleakClient`. With ``advertise`` (default) one advertisement is injected
    now and another each time the machine starts advertising again (after a dropped link);
    ``advertising_interval_s`` also re-advertises periodically, like a real machine, while it
    is not connected. ``style`` chooses service UUID and/or FTMS service data.
    """
    registry.register(treadmill)
    scanner = _scanner_for(hass, source, connection_slots)
    scanner.treadmills[treadmill.address.upper()] = treadmill
    proxy = SimulatedProxy(hass, treadmill, scanner, style, readvertise_when_free=advertise)
    if advertise:
        proxy.advertise()
    if advertising_interval_s is not None:
        proxy.start_advertising(advertising_interval_s)
    await asyncio.sleep(0)
    return proxy

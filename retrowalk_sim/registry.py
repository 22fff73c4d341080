"""Where simulated treadmills wait to be connected to, by Bluetooth address.

bleak creates a backend from an address or a BLEDevice only, so :class:`SimulatedBleakClient`
looks its treadmill up here. Addresses compare case-insensitively.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .treadmill import SimulatedTreadmill

_treadmills: dict[str, SimulatedTreadmill] = {}


def _key(address: str) -> str:
    return address.upper()


def register(treadmill: SimulatedTreadmill) -> None:
    """Make the treadmill reachable at its profile's address.

    Registering the same treadmill twice is harmless; another treadmill at a taken address is
    a mistake in the test and raises ``ValueError``.
    """
    key = _key(treadmill.address)
    existing = _treadmills.get(key)
    if existing is not None and existing is not treadmill:
        raise ValueError(f"another simulated treadmill is registered at {treadmill.address}")
    _treadmills[key] = treadmill


def unregister(address: str) -> None:
    """Forget the treadmill at this address (no error when there is none)."""
    _treadmills.pop(_key(address), None)


def get(address: str) -> SimulatedTreadmill | None:
    """Return the treadmill registered at this address, if any."""
    return _treadmills.get(_key(address))


def registered() -> tuple[SimulatedTreadmill, ...]:
    """Every registered treadmill."""
    return tuple(_treadmills.values())


def clear() -> None:
    """Forget every treadmill (test teardown)."""
    _treadmills.clear()

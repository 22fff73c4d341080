"""A simulated treadmill with an FtmsClient connected to it, the way the client tests connect."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from bleak.backends.device import BLEDevice

from custom_components.retrowalk.ftms import FtmsClient
from retrowalk_sim import (
    DEMO_PROFILE,
    Misbehaviour,
    SimulatedBleakClient,
    SimulatedTreadmill,
    TreadmillProfile,
    registry,
)


@asynccontextmanager
async def connected_client(
    misbehaviour: Misbehaviour | None = None, *, profile: TreadmillProfile = DEMO_PROFILE
) -> AsyncIterator[tuple[SimulatedTreadmill, FtmsClient]]:
    """Yield a registered simulated treadmill and a connected client; tear both down after.

    The client goes through bleak-retry-connector with the simulator's bleak backend, as in
    ``tests/ftms``. Nothing advances the treadmill's time: the caller does that.
    """
    treadmill = SimulatedTreadmill(profile, misbehaviour)
    registry.register(treadmill)
    client = FtmsClient(
        BLEDevice(treadmill.address, profile.local_name, {}),
        client_kwargs={"backend": SimulatedBleakClient},
    )
    try:
        await client.connect()
        yield treadmill, client
    finally:
        await client.disconnect()
        await treadmill.aclose()
        registry.unregister(treadmill.address)

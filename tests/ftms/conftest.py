"""Fixtures for the FTMS client tests: simulated treadmills and clients connected to them."""

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

from bleak.backends.device import BLEDevice
import pytest

from custom_components.retrowalk.ftms import (
    FtmsClient,
    MachineStatus,
    TrainingStatus,
    TreadmillData,
)
from retrowalk_sim import (
    DEMO_PROFILE,
    Misbehaviour,
    SimulatedBleakClient,
    SimulatedTreadmill,
    TreadmillProfile,
    registry,
)


@dataclass
class Recorder:
    """What the client's callbacks received."""

    data: list[TreadmillData] = field(default_factory=list)
    statuses: list[MachineStatus] = field(default_factory=list)
    training: list[TrainingStatus] = field(default_factory=list)
    disconnects: int = 0

    def disconnected(self) -> None:
        self.disconnects += 1


type TreadmillFactory = Callable[..., SimulatedTreadmill]


@pytest.fixture
async def make_treadmill() -> AsyncIterator[TreadmillFactory]:
    """Register simulated treadmills; closed and unregistered after the test."""
    made: list[SimulatedTreadmill] = []

    def make(
        profile: TreadmillProfile = DEMO_PROFILE, misbehaviour: Misbehaviour | None = None
    ) -> SimulatedTreadmill:
        machine = SimulatedTreadmill(profile, misbehaviour)
        registry.register(machine)
        made.append(machine)
        return machine

    yield make
    for machine in made:
        await machine.aclose()
        registry.unregister(machine.address)


@pytest.fixture
def treadmill(make_treadmill: TreadmillFactory) -> SimulatedTreadmill:
    """The demo treadmill (0.8-12 km/h by 0.1, 0-12 % by 0.5), behaving well."""
    return make_treadmill()


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


def ble_device_of(machine: SimulatedTreadmill) -> BLEDevice:
    return BLEDevice(machine.address, machine.profile.local_name, {})


type ClientFactory = Callable[..., Any]


@pytest.fixture
async def make_client(
    treadmill: SimulatedTreadmill, recorder: Recorder
) -> AsyncIterator[ClientFactory]:
    """Create (and by default connect) FtmsClients over the simulated backend.

    ``await make_client(machine=..., connect=False, **FtmsClient keyword arguments)``; every
    client is disconnected after the test.
    """
    clients: list[FtmsClient] = []

    async def make(
        machine: SimulatedTreadmill | None = None, *, connect: bool = True, **kwargs: Any
    ) -> FtmsClient:
        options: dict[str, Any] = {
            "client_kwargs": {"backend": SimulatedBleakClient},
            "on_data": recorder.data.append,
            "on_machine_status": recorder.statuses.append,
            "on_training_status": recorder.training.append,
            "on_disconnect": recorder.disconnected,
        }
        options.update(kwargs)
        client = FtmsClient(ble_device_of(machine or treadmill), **options)
        clients.append(client)
        if connect:
            await client.connect()
        return client

    yield make
    for client in clients:
        await client.disconnect()

"""Fixtures for the simulator's tests: a registered demo treadmill and a recording central."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from retrowalk_sim import DEMO_PROFILE, SimulatedTreadmill, registry
from retrowalk_sim.protocol import FtmsCharacteristic

NOTIFYING = (
    FtmsCharacteristic.TREADMILL_DATA,
    FtmsCharacteristic.TRAINING_STATUS,
    FtmsCharacteristic.CONTROL_POINT,
    FtmsCharacteristic.MACHINE_STATUS,
)


class RecordingCentral:
    """A central at the machine's GATT boundary that records what it receives."""

    def __init__(self, treadmill: SimulatedTreadmill) -> None:
        self.treadmill = treadmill
        self.received: list[tuple[str, bytes]] = []
        self.links_lost = 0

    def deliver(self, characteristic_uuid: str, data: bytes) -> None:
        self.received.append((characteristic_uuid, data))

    def link_lost(self) -> None:
        self.links_lost += 1

    def connect(self, subscribe: tuple[str, ...] = NOTIFYING) -> None:
        self.treadmill.connect_central(self)
        for uuid in subscribe:
            self.treadmill.set_notifications(self, uuid, True)

    def values(self, uuid: str) -> list[bytes]:
        return [data for received_uuid, data in self.received if received_uuid == uuid]

    @property
    def data(self) -> list[bytes]:
        return self.values(FtmsCharacteristic.TREADMILL_DATA)

    @property
    def statuses(self) -> list[bytes]:
        return self.values(FtmsCharacteristic.MACHINE_STATUS)

    @property
    def training(self) -> list[bytes]:
        return self.values(FtmsCharacteristic.TRAINING_STATUS)

    @property
    def responses(self) -> list[bytes]:
        return self.values(FtmsCharacteristic.CONTROL_POINT)

    def clear(self) -> None:
        self.received.clear()

    async def command(self, data: bytes) -> bytes | None:
        """Write to the control point and return the response that follows, if any."""
        before = len(self.responses)
        self.treadmill.write_characteristic(self, FtmsCharacteristic.CONTROL_POINT, data)
        await self.treadmill.advance(0)
        responses = self.responses[before:]
        return responses[-1] if responses else None


def speed_of(packet: bytes) -> float:
    """Instantaneous speed of a Treadmill Data packet with More Data clear."""
    assert not packet[0] & 0x01
    return int.from_bytes(packet[2:4], "little") / 100


@pytest.fixture
async def treadmill() -> AsyncIterator[SimulatedTreadmill]:
    """The demo treadmill, registered for SimulatedBleakClient; closed after the test."""
    machine = SimulatedTreadmill(DEMO_PROFILE)
    registry.register(machine)
    try:
        yield machine
    finally:
        await machine.aclose()
        registry.unregister(machine.address)


@pytest.fixture
def central(treadmill: SimulatedTreadmill) -> RecordingCentral:
    """A central connected to the demo treadmill, subscribed to everything that notifies."""
    recording = RecordingCentral(treadmill)
    recording.connect()
    return recording

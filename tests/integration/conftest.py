"""Fixtures of the Home Assistant tests: the integration is loadable in every one."""

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import EVENT_STATE_CHANGED
from homeassistant.core import Event, HomeAssistant, ServiceResponse, callback
from homeassistant.helpers import device_registry as dr, entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.retrowalk.const import DOMAIN, EVENT_SAFETY_STOP
from custom_components.retrowalk.program import RunnerSnapshot
from custom_components.retrowalk.program_control import ProgramController
from retrowalk_sim import SimulatedTreadmill
from retrowalk_sim.treadmill import ControlPointWrite


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Let Home Assistant load custom_components/retrowalk."""


# --------------------------------------------------------------------------------------------
# Programs through Home Assistant in accelerated time (test_programs, test_safety, test_actions)
# --------------------------------------------------------------------------------------------

TICK_S = 0.5
# Loop iterations given to work that Home Assistant does not track (the FTMS client's command
# worker, the simulator's responses) after every tick, so that a command chain (write, answer,
# next write) completes within the tick it began in, as it does in real time.
_SETTLE_ROUNDS = 3
_SETTLE_YIELDS = 12


class Op(StrEnum):
    """A control-point write, named."""

    REQUEST_CONTROL = "request_control"
    START = "start"
    STOP = "stop"
    PAUSE = "pause"
    SPEED = "speed"
    INCLINE = "incline"
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class Command:
    """One control-point write as the simulated treadmill received it."""

    op: Op
    value: float | None
    at: float
    """The treadmill's simulated clock, seconds."""


def decode(write: ControlPointWrite) -> Command:
    """Name a control-point write; speeds in km/h (0.01 units), incline in % (0.1 units)."""
    data = write.data
    value: float | None = None
    match data[0] if data else None:
        case 0x00:
            op = Op.REQUEST_CONTROL
        case 0x07:
            op = Op.START
        case 0x08 if data[1:2] == b"\x01":
            op = Op.STOP
        case 0x08 if data[1:2] == b"\x02":
            op = Op.PAUSE
        case 0x02:
            op, value = Op.SPEED, int.from_bytes(data[1:3], "little") / 100
        case 0x03:
            op, value = Op.INCLINE, int.from_bytes(data[1:3], "little", signed=True) / 10
        case _:
            op = Op.OTHER
    return Command(op, value, write.sim_time_s)


class Walk:
    """Home Assistant, one loaded treadmill and the clock, driven the way a person would.

    Time moves in half-second ticks: the frozen clock (which the runner's clock and the
    event loop's timers read), then the simulated treadmill (one notification per tick), then
    the timers that fell due. Records the program phase sensor's states, the safety-stop
    events on the bus and the belt speed at every tick.
    """

    def __init__(
        self,
        hass: HomeAssistant,
        entry: MockConfigEntry,
        treadmill: SimulatedTreadmill,
        freezer: FrozenDateTimeFactory,
    ) -> None:
        self.hass = hass
        self.entry = entry
        self.treadmill = treadmill
        self.freezer = freezer
        device = dr.async_get(hass).async_get_device_by_connection(
            (dr.CONNECTION_BLUETOOTH, treadmill.address.upper()), entry.entry_id
        )
        assert device is not None
        self.device_id = device.id
        # Kept: the entry forgets its coordinator when it is unloaded.
        self._program: ProgramController = entry.runtime_data.program
        self.phase_entity = self.entity_id("sensor", "program_phase")
        self.phases: list[str] = []
        self.safety_events: list[dict[str, Any]] = []
        self.belt: list[tuple[float, float]] = []
        # Other treadmills in the same Home Assistant, whose time moves with this one's.
        self.companions: list[SimulatedTreadmill] = []
        self._unsubscribe = [
            hass.bus.async_listen(EVENT_STATE_CHANGED, self._record_phase),
            hass.bus.async_listen(EVENT_SAFETY_STOP, self._record_safety_stop),
        ]

    def close(self) -> None:
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self._unsubscribe.clear()

    @callback
    def _record_phase(self, event: Event) -> None:
        if event.data["entity_id"] == self.phase_entity and event.data["new_state"]:
            self.phases.append(event.data["new_state"].state)

    @callback
    def _record_safety_stop(self, event: Event) -> None:
        self.safety_events.append(dict(event.data))

    # What there is to look at ------------------------------------------------------------

    def entity_id(self, platform: str, key: str) -> str:
        address = self.treadmill.address.upper()
        entity_id = er.async_get(self.hass).async_get_entity_id(
            platform, DOMAIN, f"{address}_{key}"
        )
        assert entity_id is not None, f"no {platform} {key}"
        return entity_id

    def state(self, platform: str, key: str) -> str:
        state = self.hass.states.get(self.entity_id(platform, key))
        assert state is not None
        return state.state

    @property
    def program(self) -> ProgramController:
        return self._program

    @property
    def snapshot(self) -> RunnerSnapshot:
        snapshot = self.program.snapshot
        assert snapshot is not None, "no program was started"
        return snapshot

    def check_writes_on_time(self) -> None:
        """Every write reached the treadmill in the tick it was sent in.

        The frozen clock and the treadmill's clock move together, so the gap between them is
        the same for every write unless one lagged behind its tick (too little settling):
        then timings read from the treadmill's clock would not be the program's.
        """
        gaps = {round(w.monotonic - w.sim_time_s, 6) for w in self.treadmill.writes}
        assert len(gaps) <= 1, sorted(gaps)

    def commands(self, since: int = 0) -> list[Command]:
        """The control-point writes from index ``since`` on."""
        return [decode(write) for write in self.treadmill.writes[since:]]

    @property
    def write_count(self) -> int:
        return len(self.treadmill.writes)

    # Doing things --------------------------------------------------------------------------

    async def settle(self) -> None:
        for _ in range(_SETTLE_ROUNDS):
            await self.hass.async_block_till_done()
            for _ in range(_SETTLE_YIELDS):
                await asyncio.sleep(0)
        await self.hass.async_block_till_done()

    async def tick(self, seconds: float = TICK_S) -> None:
        """Let ``seconds`` pass, half a second at a time."""
        for _ in range(round(seconds / TICK_S)):
            self.freezer.tick(TICK_S)
            await self.treadmill.advance(TICK_S)
            for companion in self.companions:
                await companion.advance(TICK_S)
            async_fire_time_changed(self.hass)
            await self.settle()
            self.belt.append((self.treadmill.clock_s, self.treadmill.speed_kmh))

    async def run_until(self, condition: Callable[[], bool], *, within_s: float) -> float:
        """Tick until ``condition`` holds; return how long that took (fails after within_s)."""
        waited = 0.0
        while not condition():
            assert waited < within_s, f"still waiting after {within_s} s"
            await self.tick()
            waited += TICK_S
        return waited

    async def call(
        self, service: str, *, return_response: bool = False, **data: Any
    ) -> ServiceResponse:
        """Call a RetroWalk action for this treadmill (device_id unless given)."""
        data.setdefault("device_id", self.device_id)
        response = await self.hass.services.async_call(
            DOMAIN, service, data, blocking=True, return_response=return_response
        )
        await self.settle()
        return response

    async def press(self, key: str) -> None:
        await self.hass.services.async_call(
            "button", "press", {"entity_id": self.entity_id("button", key)}, blocking=True
        )
        await self.settle()

    async def switch(self, on: bool) -> None:
        await self.hass.services.async_call(
            "switch",
            "turn_on" if on else "turn_off",
            {"entity_id": self.entity_id("switch", "retro_walk")},
            blocking=True,
        )
        await self.settle()

    async def walk_program(
        self,
        *,
        confirm: Callable[[], Awaitable[None]] | None = None,
        wait_at_turnaround_s: float = 5.0,
        within_s: float = 3 * 3600.0,
    ) -> list[Turnaround]:
        """Walk the running program to its end, confirming every turnaround.

        The person turns around once the belt stands, and confirms ``wait_at_turnaround_s``
        later (with the Ready button unless ``confirm`` is given). Returns what was seen at
        each turnaround.
        """
        turnarounds: list[Turnaround] = []
        elapsed = 0.0
        while self.program.running:
            assert elapsed < within_s, f"the program still runs after {within_s} s"
            if self.snapshot.waiting_for_ready:
                turnarounds.append(await self._turn_around(confirm, wait_at_turnaround_s))
                continue
            await self.tick()
            elapsed += TICK_S
        return turnarounds

    async def _turn_around(
        self, confirm: Callable[[], Awaitable[None]] | None, wait_s: float
    ) -> Turnaround:
        began = self.treadmill.clock_s
        speed_when_waiting = self.treadmill.speed_kmh
        samples: list[float] = []
        await self.run_until(lambda: self.treadmill.speed_kmh == 0, within_s=10)
        stood_after_s = self.treadmill.clock_s - began
        for _ in range(round(wait_s / TICK_S)):
            await self.tick()
            samples.append(self.treadmill.speed_kmh)
        assert self.snapshot.waiting_for_ready
        seen = Turnaround(
            began_at=began,
            speed_when_waiting_kmh=speed_when_waiting,
            belt_stood_after_s=stood_after_s,
            max_speed_while_waiting_kmh=max(samples, default=0.0),
            belt_state=self.treadmill.belt_state.value,
            direction_shown=self.state("sensor", "program_direction"),
        )
        await (confirm or (lambda: self.press("ready")))()
        return seen


@dataclass(frozen=True, slots=True)
class Turnaround:
    """What a person saw at one turnaround."""

    began_at: float
    speed_when_waiting_kmh: float
    belt_stood_after_s: float
    max_speed_while_waiting_kmh: float
    belt_state: str
    direction_shown: str


@pytest.fixture
async def walk(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    treadmill: SimulatedTreadmill,
    freezer: FrozenDateTimeFactory,
) -> Any:
    """The loaded treadmill, driven in accelerated time."""
    # Thousands of ticks: asyncio's debug mode (a traceback for every callback) would make
    # a half-hour program take a minute.
    hass.loop.set_debug(False)
    driver = Walk(hass, loaded_entry, treadmill, freezer)
    yield driver
    driver.close()

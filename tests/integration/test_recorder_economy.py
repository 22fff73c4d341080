"""State writes: a treadmill notifies twice a second, the recorder must not write that often.

Counts every state write (state_changed and state_reported events) of the treadmill's entities
during a simulated 10-minute session at 2 Hz and while idle, and what writing every entity on
every notification (Home Assistant's default for coordinator entities) would have cost.
"""

from collections.abc import Callable, Mapping
import itertools
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import EVENT_STATE_CHANGED, EVENT_STATE_REPORTED
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from retrowalk_sim import SimulatedTreadmill

TICK_S = 0.5
SESSION_MINUTES = 10
BUDGET_PER_MINUTE = 90

# A chest strap's reading drifts by a beat every few seconds.
HEART_RATES = itertools.cycle([98, 99, 100, 101, 102, 101, 100, 99])
HEART_RATE_EVERY_TICKS = 8


class WriteCounter:
    """Counts state writes of one config entry's entities."""

    def __init__(self, hass: HomeAssistant, entry: MockConfigEntry) -> None:
        registry = er.async_get(hass)
        self.entity_ids = {
            entity.entity_id
            for entity in er.async_entries_for_config_entry(registry, entry.entry_id)
            if entity.disabled_by is None
        }
        self.writes = 0
        self._unsubscribe: list[Callable[[], None]] = [
            hass.bus.async_listen(EVENT_STATE_CHANGED, self._count, self._ours),
            hass.bus.async_listen(EVENT_STATE_REPORTED, self._count, self._ours),
        ]

    @callback
    def _ours(self, event_data: Mapping[str, Any]) -> bool:
        return event_data["entity_id"] in self.entity_ids

    @callback
    def _count(self, event: Event) -> None:
        self.writes += 1

    def take(self) -> int:
        writes, self.writes = self.writes, 0
        return writes

    def close(self) -> None:
        for unsubscribe in self._unsubscribe:
            unsubscribe()


async def _run(
    hass: HomeAssistant,
    treadmill: SimulatedTreadmill,
    freezer: FrozenDateTimeFactory,
    seconds: float,
    *,
    heart_rate: bool = False,
) -> None:
    for tick in range(int(seconds / TICK_S)):
        if heart_rate and tick % HEART_RATE_EVERY_TICKS == 0:
            treadmill.set_heart_rate(next(HEART_RATES))
        await treadmill.advance(TICK_S)
        freezer.tick(TICK_S)
        async_fire_time_changed(hass)
        await hass.async_block_till_done()


@pytest.mark.usefixtures("loaded_entry")
async def test_state_writes_per_minute(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    treadmill: SimulatedTreadmill,
    freezer: FrozenDateTimeFactory,
) -> None:
    coordinator = loaded_entry.runtime_data
    notifications = 0

    @callback
    def count_notification() -> None:
        nonlocal notifications
        notifications += 1

    remove_listener = coordinator.async_add_listener(count_notification)
    counter = WriteCounter(hass, loaded_entry)
    try:
        # Idle: the treadmill keeps notifying all-zero data; nothing changes, nothing is written.
        await _run(hass, treadmill, freezer, 30)
        counter.take()
        await _run(hass, treadmill, freezer, 60)
        idle_writes = counter.take()

        # A 10-minute walk at 3 km/h with a drifting heart rate.
        await hass.services.async_call(
            "button",
            "press",
            {"entity_id": "button.retrowalk_demo_treadmill_start_or_resume"},
            blocking=True,
        )
        await hass.services.async_call(
            "number",
            "set_value",
            {"entity_id": "number.retrowalk_demo_treadmill_target_speed", "value": 3.0},
            blocking=True,
        )
        notifications = 0
        per_minute: list[int] = []
        for _minute in range(SESSION_MINUTES):
            await _run(hass, treadmill, freezer, 60, heart_rate=True)
            per_minute.append(counter.take())
    finally:
        counter.close()
        remove_listener()

    naive_per_minute = notifications * len(counter.entity_ids) / SESSION_MINUTES
    print(
        f"\nstate writes per minute: session {per_minute} (max {max(per_minute)}), "
        f"idle {idle_writes}, writing on every notification {naive_per_minute:.0f} "
        f"({len(counter.entity_ids)} entities, {notifications / SESSION_MINUTES:.0f} "
        "notifications a minute)"
    )
    assert treadmill.speed_kmh == 3.0
    assert idle_writes == 0
    assert max(per_minute) <= BUDGET_PER_MINUTE
    # The sensors kept up: distance written at most 5 s behind the treadmill.
    distance = float(hass.states.get("sensor.retrowalk_demo_treadmill_distance_this_session").state)
    assert treadmill.distance_m / 1000 - distance < 3.0 * 5 / 3600 + 0.002
    assert naive_per_minute > 5 * max(per_minute)

"""Event: every safety stop, with its reason."""

from collections.abc import Hashable
from typing import override

from homeassistant.components.event import EventEntity, EventEntityDescription
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from . import RetroWalkConfigEntry
from .entity import RetroWalkEntity
from .program import SafetyReason
from .program_control import SafetyStop

PARALLEL_UPDATES = 0

SAFETY_STOP = EventEntityDescription(
    key="safety_stop", event_types=[reason.value for reason in SafetyReason]
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: RetroWalkConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the safety stop event."""
    async_add_entities([SafetyStopEvent(entry.runtime_data, SAFETY_STOP)])


class SafetyStopEvent(RetroWalkEntity, EventEntity):
    """Fires when the belt was stopped for a safety reason."""

    @property
    @override
    def available(self) -> bool:
        """Always: a stop for a lost link is announced while the treadmill is away."""
        return True

    def shown_state(self) -> Hashable:
        """An event writes its state when it fires; otherwise only availability matters."""
        return None

    async def async_added_to_hass(self) -> None:
        """Listen for safety stops."""
        await super().async_added_to_hass()
        self.async_on_remove(
            self.coordinator.program.async_add_safety_stop_listener(self._handle_safety_stop)
        )

    @callback
    def _handle_safety_stop(self, stop: SafetyStop) -> None:
        self._trigger_event(
            stop.reason.value,
            {
                "phase": stop.phase.value if stop.phase else None,
                "speed_kmh": stop.speed_kmh,
            },
        )
        self.async_write_ha_state()

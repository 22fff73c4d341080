"""Switch: the retro walk, on to start the default program, off to stop it.

A switch is what Assist turns on and off out of the box ("turn on the retro walk").
"""

from collections.abc import Hashable
from typing import Any

from homeassistant.components.switch import SwitchEntity, SwitchEntityDescription
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from . import RetroWalkConfigEntry
from .coordinator import RetroWalkCoordinator
from .entity import RetroWalkEntity
from .program import SafetyReason
from .services import async_start_program

PARALLEL_UPDATES = 0

RETRO_WALK = SwitchEntityDescription(key="retro_walk")


async def async_setup_entry(
    hass: HomeAssistant,
    entry: RetroWalkConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the retro walk switch."""
    async_add_entities([RetroWalkSwitch(entry.runtime_data, RETRO_WALK)])


class RetroWalkSwitch(RetroWalkEntity, SwitchEntity):
    """On while a program runs."""

    def __init__(
        self, coordinator: RetroWalkCoordinator, description: SwitchEntityDescription
    ) -> None:
        """Describe the switch."""
        super().__init__(coordinator, description.key)
        self.entity_description = description

    def shown_state(self) -> Hashable:
        """Whether a program runs."""
        return self.coordinator.program.running

    @property
    def is_on(self) -> bool:
        """Whether a program runs."""
        return self.coordinator.program.running

    async def async_turn_on(self, **kwargs: Any) -> None:
        """Start the default program at the level set in the options."""
        await async_start_program(self.hass, self.coordinator, {})

    async def async_turn_off(self, **kwargs: Any) -> None:
        """Stop the belt now; the program ends."""
        if self.coordinator.program.running:
            await self.coordinator.async_stop_belt(SafetyReason.USER_STOP)

"""Switch: the retro walk, on to start the default program, off to stop it.

A switch is what Assist turns on and off with its built-in sentences ("turn on the retro walk").
"""

from collections.abc import Hashable, Mapping
from typing import Any

from homeassistant.components.switch import SwitchEntity, SwitchEntityDescription
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from . import RetroWalkConfigEntry
from .const import DOMAIN
from .entity import RetroWalkEntity
from .program import SafetyReason
from .services import async_start_program

PARALLEL_UPDATES = 0

RETRO_WALK = SwitchEntityDescription(key="retro_walk")
# Entity registry option: the short voice alias was offered once.
VOICE_ALIAS_OFFERED = "voice_alias_offered"


async def async_setup_entry(
    hass: HomeAssistant,
    entry: RetroWalkConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the retro walk switch."""
    async_add_entities([RetroWalkSwitch(entry.runtime_data, RETRO_WALK)])


class RetroWalkSwitch(RetroWalkEntity, SwitchEntity):
    """On while a program runs."""

    async def async_added_to_hass(self) -> None:
        """Offer "the retro walk" to Assist, once, when the switch is first registered.

        Assist knows the switch by its full name ("<treadmill> Retro walk"); "turn on the retro
        walk" needs the short name as an alias. It is added only the first time, so an alias
        the user removes stays removed.
        """
        await super().async_added_to_hass()
        registry = er.async_get(self.hass)
        entry = registry.async_get(self.entity_id)
        if entry is None:
            return
        our_options: Mapping[str, Any] = entry.options.get(DOMAIN) or {}
        if our_options.get(VOICE_ALIAS_OFFERED):
            return
        short_name = self.name if isinstance(self.name, str) else None
        if short_name and short_name not in entry.aliases:
            registry.async_update_entity(
                self.entity_id, aliases=[*(entry.aliases or [er.COMPUTED_NAME]), short_name]
            )
        registry.async_update_entity_options(
            self.entity_id, DOMAIN, {**our_options, VOICE_ALIAS_OFFERED: True}
        )

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
        """Stop the belt now; a program ends. Also a belt walked without a program.

        "Turn off the retro walk" is how people say stop, whatever started the belt.
        """
        if self.coordinator.program.running or self.coordinator.data.belt_moving:
            await self.coordinator.async_stop_belt(SafetyReason.USER_STOP)

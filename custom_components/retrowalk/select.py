"""Select: the walking direction for manual retro walking.

Outside programs RetroWalk cannot see which way the person faces, so they say it here (by
hand, or by voice with the RetroWalkSetDirection intent) and the minutes are counted that way.
Programs know their own direction. The choice survives restarts.
"""

from collections.abc import Hashable
from typing import override

from homeassistant.components.select import SelectEntity, SelectEntityDescription
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.restore_state import RestoreEntity

from . import RetroWalkConfigEntry
from .entity import RetroWalkEntity
from .progress import Direction

PARALLEL_UPDATES = 0

WALKING_DIRECTION = SelectEntityDescription(
    key="walking_direction", options=[direction.value for direction in Direction]
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: RetroWalkConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the walking direction select."""
    async_add_entities([WalkingDirectionSelect(entry.runtime_data, WALKING_DIRECTION)])


class WalkingDirectionSelect(RetroWalkEntity, SelectEntity, RestoreEntity):
    """Forward or backward: how manual walking is counted."""

    @property
    @override
    def available(self) -> bool:
        """A preference: it can be set while the treadmill is away, for the next walk."""
        return True

    @override
    async def async_added_to_hass(self) -> None:
        """Take up the direction chosen before the restart; follow changes by voice."""
        await super().async_added_to_hass()
        self.async_on_remove(
            self.coordinator.tracking.async_add_listener(self._handle_coordinator_update)
        )
        last = await self.async_get_last_state()
        if last is not None and last.state in self.options:
            self.coordinator.tracking.set_manual_direction(Direction(last.state))
            self._last_shown = self._current_shown()

    def shown_state(self) -> Hashable:
        """The direction chosen."""
        return self.coordinator.tracking.manual_direction

    @property
    def current_option(self) -> str:
        """The direction chosen."""
        return self.coordinator.tracking.manual_direction.value

    async def async_select_option(self, option: str) -> None:
        """Walk the other way from now on (stop the belt before turning around)."""
        self.coordinator.tracking.set_manual_direction(Direction(option))

"""Binary sensor: whether the belt is moving."""

from collections.abc import Hashable

from homeassistant.components.binary_sensor import (
    BinarySensorEntity,
    BinarySensorEntityDescription,
)
from homeassistant.components.binary_sensor.const import BinarySensorDeviceClass
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from . import RetroWalkConfigEntry
from .entity import RetroWalkEntity

PARALLEL_UPDATES = 0

BELT_MOVING = BinarySensorEntityDescription(
    key="belt_moving", device_class=BinarySensorDeviceClass.MOVING
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: RetroWalkConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the belt-moving sensor."""
    async_add_entities([BeltMovingSensor(entry.runtime_data, BELT_MOVING)])


class BeltMovingSensor(RetroWalkEntity, BinarySensorEntity):
    """On while the belt moves."""

    def shown_state(self) -> Hashable:
        """Whether the belt moves."""
        return self.coordinator.data.belt_moving

    @property
    def is_on(self) -> bool:
        """Whether the belt moves."""
        return self.coordinator.data.belt_moving

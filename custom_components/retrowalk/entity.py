"""The base of every RetroWalk entity: device, availability and economical state writes."""

from collections.abc import Hashable
import time
from typing import override

from homeassistant.core import CALLBACK_TYPE, callback
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.entity import EntityDescription
from homeassistant.helpers.event import async_call_later
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .const import DOMAIN
from .coordinator import RetroWalkCoordinator


class RetroWalkEntity(CoordinatorEntity[RetroWalkCoordinator]):
    """An entity of one treadmill.

    A treadmill notifies about twice a second. Writing a state on every notification would
    fill the recorder with identical or near-identical rows, so an entity writes only when
    what it shows changes, and slow counters (distance, energy, steps, elapsed time) at most
    every const.SLOW_COUNTER_WRITE_INTERVAL seconds; the last value is always written.
    Live values (speed, incline, heart rate, status) are written as soon as they change.
    """

    _attr_has_entity_name = True
    # Set by slow counters.
    _write_interval: float = 0.0

    def __init__(self, coordinator: RetroWalkCoordinator, description: EntityDescription) -> None:
        """Describe the entity, name it after its key and attach it to the treadmill."""
        super().__init__(coordinator)
        self.entity_description = description
        self._attr_unique_id = f"{coordinator.address}_{description.key}"
        self._attr_translation_key = description.key
        self._attr_device_info = device_info(coordinator)
        self._last_shown: Hashable = None
        self._last_write: float | None = None
        self._cancel_deferred_write: CALLBACK_TYPE | None = None

    @property
    @override
    def available(self) -> bool:
        """Available while the treadmill is connected."""
        return super().available and self.coordinator.connected

    def shown_state(self) -> Hashable:
        """What the entity shows; a state is written only when this changes."""
        raise NotImplementedError

    @override
    async def async_added_to_hass(self) -> None:
        await super().async_added_to_hass()
        self._last_shown = self._current_shown()
        self.async_on_remove(self._cancel_pending_write)
        self.async_on_remove(
            self.coordinator.program.async_add_listener(self._handle_coordinator_update)
        )

    def _current_shown(self) -> Hashable:
        available = self.available
        return (available, self.shown_state() if available else None)

    @callback
    @override
    def _handle_coordinator_update(self) -> None:
        shown = self._current_shown()
        if shown == self._last_shown:
            return
        now = time.monotonic()
        availability_changed = shown[0] != self._last_shown[0]  # type: ignore[index]
        if (
            self._write_interval
            and not availability_changed
            and self._last_write is not None
            and now - self._last_write < self._write_interval
        ):
            if self._cancel_deferred_write is None:
                self._cancel_deferred_write = async_call_later(
                    self.hass, self._last_write + self._write_interval - now, self._deferred_write
                )
            return
        self._write(shown, now)

    @callback
    def _deferred_write(self, _now: object) -> None:
        self._cancel_deferred_write = None
        shown = self._current_shown()
        if shown != self._last_shown:
            self._write(shown, time.monotonic())

    @callback
    def _write(self, shown: Hashable, now: float) -> None:
        self._cancel_pending_write()
        self._last_shown = shown
        self._last_write = now
        self.async_write_ha_state()

    @callback
    def _cancel_pending_write(self) -> None:
        if self._cancel_deferred_write is not None:
            self._cancel_deferred_write()
            self._cancel_deferred_write = None


def device_info(coordinator: RetroWalkCoordinator) -> DeviceInfo:
    """The device page: what the treadmill says about itself in Device Information."""
    info = coordinator.device_information
    return DeviceInfo(
        connections={(dr.CONNECTION_BLUETOOTH, coordinator.address)},
        identifiers={(DOMAIN, coordinator.address)},
        name=coordinator.config_entry.title,
        manufacturer=info.manufacturer if info else None,
        model=info.model if info else None,
        serial_number=info.serial_number if info else None,
        hw_version=info.hardware_revision if info else None,
        sw_version=(info.firmware_revision or info.software_revision) if info else None,
    )

"""Numbers: the belt's target speed and incline."""

from collections.abc import Hashable
import math

from homeassistant.components.number import (
    NumberDeviceClass,
    NumberEntity,
    NumberEntityDescription,
    NumberMode,
)
from homeassistant.const import UnitOfRatio, UnitOfSpeed
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from . import RetroWalkConfigEntry
from .const import DOMAIN
from .entity import RetroWalkEntity
from .ftms import MachineStatusOp, SupportedRange
from .options import from_kmh, to_kmh
from .program.errors import format_number
from .program.limits import DeviceRange

# The FTMS client serialises commands itself.
PARALLEL_UPDATES = 0

TARGET_SPEED = NumberEntityDescription(
    key="target_speed", device_class=NumberDeviceClass.SPEED, mode=NumberMode.BOX
)
TARGET_INCLINE = NumberEntityDescription(
    key="target_incline",
    native_unit_of_measurement=UnitOfRatio.PERCENTAGE,
    mode=NumberMode.BOX,
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: RetroWalkConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the targets the treadmill lets Home Assistant set."""
    coordinator = entry.runtime_data
    features = coordinator.features
    entities: list[NumberEntity] = []
    if coordinator.speed_range and (features is None or features.target_speed_supported):
        entities.append(TargetSpeedNumber(coordinator, TARGET_SPEED))
    if coordinator.inclination_range and (
        features is None or features.target_inclination_supported
    ):
        entities.append(TargetInclineNumber(coordinator, TARGET_INCLINE))
    async_add_entities(entities)


def _device_range(supported: SupportedRange, quantity: str) -> DeviceRange:
    return DeviceRange(supported.minimum, supported.maximum, supported.increment, quantity)


class TargetSpeedNumber(RetroWalkEntity, NumberEntity):
    """The belt's target speed, in the user's unit.

    Bounded by the treadmill's range and the speed limit for the way the person walks (the
    program's direction, else the Walking direction select), and sent rounded to the
    treadmill's increment. A number does not convert units by
    itself, so its unit is chosen from the options and Home Assistant's unit system.
    """

    async def async_added_to_hass(self) -> None:
        """Also follow the Walking direction select: it moves the speed limit."""
        await super().async_added_to_hass()
        self.async_on_remove(
            self.coordinator.tracking.async_add_listener(self._handle_coordinator_update)
        )

    @property
    def _unit(self) -> UnitOfSpeed:
        return self.coordinator.options.speed_unit_for(self.hass)

    @property
    def _range(self) -> DeviceRange:
        assert self.coordinator.speed_range is not None
        return _device_range(self.coordinator.speed_range, "speed")

    @property
    def native_unit_of_measurement(self) -> str:
        """km/h or mph."""
        return self._unit

    @property
    def native_min_value(self) -> float:
        """The treadmill's lowest speed."""
        return _round_up(from_kmh(self._range.minimum, self._unit), 2)

    @property
    def native_max_value(self) -> float:
        """The lower of the treadmill's top speed and the limit for the way one walks."""
        limit = min(self._range.maximum, self.coordinator.speed_limit_kmh())
        return max(self.native_min_value, _round_down(from_kmh(limit, self._unit), 2))

    @property
    def native_step(self) -> float:
        """The treadmill's increment (0.1 in mph, the values are rounded when sent)."""
        if self._unit == UnitOfSpeed.MILES_PER_HOUR:
            return 0.1
        return self._range.increment

    @property
    def native_value(self) -> float | None:
        """The last target the treadmill confirmed, else its speed."""
        snapshot = self.coordinator.data
        status = snapshot.machine_status
        kmh = (
            status.target_speed_kmh
            if status is not None and status.op == MachineStatusOp.TARGET_SPEED_CHANGED
            else snapshot.speed_kmh
        )
        return None if kmh is None else round(from_kmh(kmh, self._unit), 2)

    def shown_state(self) -> Hashable:
        """Value, unit and bounds."""
        return (self.native_value, self._unit, self.native_min_value, self.native_max_value)

    async def async_set_native_value(self, value: float) -> None:
        """Send the speed, rounded to the treadmill's increment within the limits."""
        ceiling = min(self._range.maximum, self.coordinator.speed_limit_kmh())
        kmh = self._range.snap(to_kmh(value, self._unit), upper=ceiling)
        if kmh is None:
            # The limit for the way one walks is below the treadmill's lowest speed, the only
            # value offered: the coordinator refuses it, with the limit in the message.
            kmh = self._range.minimum
        await self.coordinator.async_set_target_speed(kmh)


class TargetInclineNumber(RetroWalkEntity, NumberEntity):
    """The target incline, bounded by the treadmill's range and the incline limit."""

    @property
    def _range(self) -> DeviceRange:
        assert self.coordinator.inclination_range is not None
        return _device_range(self.coordinator.inclination_range, "incline")

    @property
    def native_min_value(self) -> float:
        """The treadmill's lowest incline."""
        return self._range.minimum

    @property
    def native_max_value(self) -> float:
        """The lower of the treadmill's steepest incline and the incline limit."""
        limit = min(self._range.maximum, self.coordinator.options.limits.incline_pct)
        return max(self.native_min_value, limit)

    @property
    def native_step(self) -> float:
        """The treadmill's increment."""
        return self._range.increment

    @property
    def native_value(self) -> float | None:
        """The last target the treadmill confirmed, else its incline."""
        snapshot = self.coordinator.data
        status = snapshot.machine_status
        if status is not None and status.op == MachineStatusOp.TARGET_INCLINE_CHANGED:
            return status.target_inclination_pct
        return None if snapshot.data is None else snapshot.data.inclination_pct

    def shown_state(self) -> Hashable:
        """Value and bounds."""
        return (self.native_value, self.native_max_value)

    async def async_set_native_value(self, value: float) -> None:
        """Send the incline, rounded to the treadmill's increment within the limits."""
        limit = self.coordinator.options.limits.incline_pct
        pct = self._range.snap(value, upper=min(self._range.maximum, limit))
        if pct is None:
            # The incline limit is below the treadmill's lowest incline, the only value offered.
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="device_incline_minimum_above_limit",
                translation_placeholders={
                    "minimum": format_number(self._range.minimum),
                    "limit": format_number(limit),
                },
            )
        await self.coordinator.async_set_target_inclination(pct)


def _round_up(value: float, digits: int) -> float:
    scale = 10.0**digits
    return math.ceil(value * scale - 1e-9) / scale


def _round_down(value: float, digits: int) -> float:
    scale = 10.0**digits
    return math.floor(value * scale + 1e-9) / scale

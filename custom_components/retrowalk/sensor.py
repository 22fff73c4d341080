"""Sensors: what the treadmill measures, and its status."""

from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, override

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import (
    SIGNAL_STRENGTH_DECIBELS_MILLIWATT,
    EntityCategory,
    UnitOfEnergy,
    UnitOfLength,
    UnitOfRatio,
    UnitOfSpeed,
    UnitOfTime,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.typing import StateType
from homeassistant.util import dt as dt_util
from homeassistant.util.unit_system import US_CUSTOMARY_SYSTEM

from . import RetroWalkConfigEntry
from .const import SLOW_COUNTER_WRITE_INTERVAL
from .coordinator import RetroWalkCoordinator, TreadmillSnapshot
from .entity import RetroWalkEntity
from .ftms import MachineFeatures, MachineStatus, MachineStatusOp
from .program import Phase, RunnerSnapshot, WalkingDirection
from .tracking import WeeklyFigures

# Entities only read the coordinator's data; the coordinator serialises everything else.
PARALLEL_UPDATES = 0

MACHINE_STATUS_OPTIONS = [
    "reset",
    "stopped_by_user",
    "paused_by_user",
    "stopped_by_safety_key",
    "started_by_user",
    "target_speed_changed",
    "target_incline_changed",
    "control_permission_lost",
    "other",
]

# FTMS training status codes 0x00-0x0F, in order; anything above is reserved.
TRAINING_STATUS_OPTIONS = [
    "other",
    "idle",
    "warming_up",
    "low_intensity_interval",
    "high_intensity_interval",
    "recovery_interval",
    "isometric",
    "heart_rate_control",
    "fitness_test",
    "speed_too_low",
    "speed_too_high",
    "cool_down",
    "watt_control",
    "manual_mode",
    "pre_workout",
    "post_workout",
]
TRAINING_STATUS_RESERVED = "reserved"


def machine_status_option(status: MachineStatus | None) -> str | None:
    """The machine status as one of MACHINE_STATUS_OPTIONS."""
    if status is None:
        return None
    match status.op:
        case MachineStatusOp.RESET:
            return "reset"
        case MachineStatusOp.STOPPED_OR_PAUSED_BY_USER:
            return "paused_by_user" if status.paused else "stopped_by_user"
        case MachineStatusOp.STOPPED_BY_SAFETY_KEY:
            return "stopped_by_safety_key"
        case MachineStatusOp.STARTED_OR_RESUMED_BY_USER:
            return "started_by_user"
        case MachineStatusOp.TARGET_SPEED_CHANGED:
            return "target_speed_changed"
        case MachineStatusOp.TARGET_INCLINE_CHANGED:
            return "target_incline_changed"
        case MachineStatusOp.CONTROL_PERMISSION_LOST:
            return "control_permission_lost"
        case _:
            return "other"


def training_status_option(snapshot: TreadmillSnapshot) -> str | None:
    """The training status as one of the options; reserved codes are kept as 'reserved'."""
    if snapshot.training_status is None:
        return None
    code = snapshot.training_status.status
    if 0 <= code < len(TRAINING_STATUS_OPTIONS):
        return TRAINING_STATUS_OPTIONS[code]
    return TRAINING_STATUS_RESERVED


def _data_field(name: str) -> Callable[[TreadmillSnapshot], StateType]:
    def value(snapshot: TreadmillSnapshot) -> StateType:
        return None if snapshot.data is None else getattr(snapshot.data, name)

    return value


@dataclass(frozen=True, kw_only=True)
class RetroWalkSensorDescription(SensorEntityDescription):
    """How one sensor reads the treadmill's snapshot."""

    value_fn: Callable[[TreadmillSnapshot], StateType]
    supported_fn: Callable[[MachineFeatures], bool] = lambda _features: True
    slow_counter: bool = False


SENSORS: tuple[RetroWalkSensorDescription, ...] = (
    RetroWalkSensorDescription(
        key="speed",
        device_class=SensorDeviceClass.SPEED,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfSpeed.KILOMETERS_PER_HOUR,
        suggested_display_precision=1,
        value_fn=_data_field("speed_kmh"),
    ),
    RetroWalkSensorDescription(
        key="average_speed",
        device_class=SensorDeviceClass.SPEED,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfSpeed.KILOMETERS_PER_HOUR,
        suggested_display_precision=1,
        entity_registry_enabled_default=False,
        value_fn=_data_field("average_speed_kmh"),
        supported_fn=lambda features: features.average_speed_supported,
        slow_counter=True,
    ),
    RetroWalkSensorDescription(
        key="inclination",
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfRatio.PERCENTAGE,
        suggested_display_precision=1,
        value_fn=_data_field("inclination_pct"),
        supported_fn=lambda features: features.inclination_supported,
    ),
    RetroWalkSensorDescription(
        key="distance",
        device_class=SensorDeviceClass.DISTANCE,
        state_class=SensorStateClass.TOTAL_INCREASING,
        native_unit_of_measurement=UnitOfLength.METERS,
        suggested_unit_of_measurement=UnitOfLength.KILOMETERS,
        suggested_display_precision=2,
        value_fn=lambda snapshot: snapshot.session.distance_m,
        supported_fn=lambda features: features.total_distance_supported,
        slow_counter=True,
    ),
    RetroWalkSensorDescription(
        key="elapsed_time",
        device_class=SensorDeviceClass.DURATION,
        native_unit_of_measurement=UnitOfTime.SECONDS,
        suggested_unit_of_measurement=UnitOfTime.MINUTES,
        suggested_display_precision=0,
        value_fn=_data_field("elapsed_time_s"),
        supported_fn=lambda features: features.elapsed_time_supported,
        slow_counter=True,
    ),
    RetroWalkSensorDescription(
        key="energy",
        device_class=SensorDeviceClass.ENERGY,
        state_class=SensorStateClass.TOTAL_INCREASING,
        native_unit_of_measurement=UnitOfEnergy.KILO_CALORIE,
        suggested_display_precision=0,
        value_fn=_data_field("total_energy_kcal"),
        supported_fn=lambda features: features.expended_energy_supported,
        slow_counter=True,
    ),
    RetroWalkSensorDescription(
        key="heart_rate",
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement="bpm",
        # 0 bpm means "no contact" on treadmills with hand grips.
        value_fn=lambda snapshot: (
            None
            if snapshot.data is None or not snapshot.data.heart_rate_bpm
            else snapshot.data.heart_rate_bpm
        ),
        supported_fn=lambda features: features.heart_rate_supported,
    ),
    RetroWalkSensorDescription(
        key="steps",
        state_class=SensorStateClass.TOTAL_INCREASING,
        native_unit_of_measurement="steps",
        value_fn=_data_field("step_count"),
        supported_fn=lambda features: features.step_count_supported,
        slow_counter=True,
    ),
    RetroWalkSensorDescription(
        key="elevation_gain",
        device_class=SensorDeviceClass.DISTANCE,
        state_class=SensorStateClass.TOTAL_INCREASING,
        native_unit_of_measurement=UnitOfLength.METERS,
        suggested_display_precision=1,
        entity_registry_enabled_default=False,
        value_fn=_data_field("positive_elevation_gain_m"),
        supported_fn=lambda features: features.elevation_gain_supported,
        slow_counter=True,
    ),
    RetroWalkSensorDescription(
        key="machine_status",
        device_class=SensorDeviceClass.ENUM,
        options=MACHINE_STATUS_OPTIONS,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda snapshot: machine_status_option(snapshot.machine_status),
    ),
    RetroWalkSensorDescription(
        key="training_status",
        device_class=SensorDeviceClass.ENUM,
        options=[*TRAINING_STATUS_OPTIONS, TRAINING_STATUS_RESERVED],
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=training_status_option,
    ),
)

PROGRAM_PHASE_IDLE = "idle"


def _program_snapshot(coordinator: RetroWalkCoordinator) -> RunnerSnapshot | None:
    return coordinator.program.live_snapshot()


def _running(coordinator: RetroWalkCoordinator) -> RunnerSnapshot | None:
    snapshot = coordinator.program.live_snapshot()
    return snapshot if snapshot is not None and not snapshot.ended else None


def _program_phase(coordinator: RetroWalkCoordinator) -> StateType:
    snapshot = _program_snapshot(coordinator)
    return PROGRAM_PHASE_IDLE if snapshot is None else snapshot.phase.value


def _program_remaining(coordinator: RetroWalkCoordinator) -> StateType:
    snapshot = _running(coordinator)
    return None if snapshot is None else round(snapshot.program_remaining_s)


def _segment_remaining(coordinator: RetroWalkCoordinator) -> StateType:
    snapshot = _running(coordinator)
    if snapshot is None or snapshot.segment_remaining_s is None:
        return None
    return round(snapshot.segment_remaining_s)


def _program_speed(coordinator: RetroWalkCoordinator) -> StateType:
    snapshot = _running(coordinator)
    return None if snapshot is None else snapshot.speed_kmh


def _program_incline(coordinator: RetroWalkCoordinator) -> StateType:
    snapshot = _running(coordinator)
    return None if snapshot is None else snapshot.incline_pct


def _program_direction(coordinator: RetroWalkCoordinator) -> StateType:
    snapshot = _running(coordinator)
    if snapshot is None or snapshot.direction is None:
        return None
    return snapshot.direction.value


@dataclass(frozen=True, kw_only=True)
class ProgramSensorDescription(SensorEntityDescription):
    """How one sensor reads the program's state."""

    value_fn: Callable[[RetroWalkCoordinator], StateType]
    slow_counter: bool = False


PROGRAM_SENSORS: tuple[ProgramSensorDescription, ...] = (
    ProgramSensorDescription(
        key="program_phase",
        device_class=SensorDeviceClass.ENUM,
        options=[PROGRAM_PHASE_IDLE, *(phase.value for phase in Phase)],
        value_fn=_program_phase,
    ),
    ProgramSensorDescription(
        key="program_time_remaining",
        device_class=SensorDeviceClass.DURATION,
        native_unit_of_measurement=UnitOfTime.SECONDS,
        suggested_unit_of_measurement=UnitOfTime.MINUTES,
        suggested_display_precision=1,
        value_fn=_program_remaining,
        slow_counter=True,
    ),
    ProgramSensorDescription(
        key="segment_time_remaining",
        device_class=SensorDeviceClass.DURATION,
        native_unit_of_measurement=UnitOfTime.SECONDS,
        suggested_unit_of_measurement=UnitOfTime.MINUTES,
        suggested_display_precision=1,
        value_fn=_segment_remaining,
        slow_counter=True,
    ),
    ProgramSensorDescription(
        key="program_target_speed",
        device_class=SensorDeviceClass.SPEED,
        native_unit_of_measurement=UnitOfSpeed.KILOMETERS_PER_HOUR,
        suggested_display_precision=1,
        value_fn=_program_speed,
    ),
    ProgramSensorDescription(
        key="program_target_incline",
        native_unit_of_measurement=UnitOfRatio.PERCENTAGE,
        suggested_display_precision=1,
        value_fn=_program_incline,
    ),
    ProgramSensorDescription(
        key="program_direction",
        device_class=SensorDeviceClass.ENUM,
        options=[direction.value for direction in WalkingDirection],
        value_fn=_program_direction,
    ),
)


@dataclass(frozen=True, kw_only=True)
class WeeklySensorDescription(SensorEntityDescription):
    """How one sensor reads the weekly figures."""

    value_fn: Callable[[WeeklyFigures], StateType | datetime]
    # Totals of the running week: last_reset is the week's first instant.
    weekly_total: bool = False
    attributes_fn: Callable[[WeeklyFigures], Mapping[str, Any]] | None = None


WEEKLY_SENSORS: tuple[WeeklySensorDescription, ...] = (
    WeeklySensorDescription(
        key="backward_minutes_this_week",
        device_class=SensorDeviceClass.DURATION,
        state_class=SensorStateClass.TOTAL,
        native_unit_of_measurement=UnitOfTime.MINUTES,
        suggested_display_precision=0,
        weekly_total=True,
        value_fn=lambda figures: round(figures.summary.backward_minutes, 1),
    ),
    WeeklySensorDescription(
        key="treadmill_minutes_this_week",
        device_class=SensorDeviceClass.DURATION,
        state_class=SensorStateClass.TOTAL,
        native_unit_of_measurement=UnitOfTime.MINUTES,
        suggested_display_precision=0,
        weekly_total=True,
        value_fn=lambda figures: round(figures.summary.treadmill_minutes, 1),
    ),
    WeeklySensorDescription(
        key="retro_sessions_this_week",
        state_class=SensorStateClass.TOTAL,
        native_unit_of_measurement="sessions",
        weekly_total=True,
        value_fn=lambda figures: figures.summary.retro_sessions,
        attributes_fn=lambda figures: {"goal": figures.goal_sessions},
    ),
    WeeklySensorDescription(
        key="weekly_goal_progress",
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfRatio.PERCENTAGE,
        suggested_display_precision=0,
        value_fn=lambda figures: round(figures.summary.goal_progress_pct, 1),
        attributes_fn=lambda figures: {
            "goal_sessions": figures.goal_sessions,
            "goal_minutes": figures.goal_minutes,
        },
    ),
    WeeklySensorDescription(
        key="weeks_goal_met_in_a_row",
        native_unit_of_measurement="weeks",
        value_fn=lambda figures: figures.weeks_in_a_row,
    ),
    WeeklySensorDescription(
        key="last_retro_session",
        device_class=SensorDeviceClass.TIMESTAMP,
        value_fn=lambda figures: figures.last_retro_session,
    ),
    WeeklySensorDescription(
        key="suggested_backward_minutes",
        device_class=SensorDeviceClass.DURATION,
        native_unit_of_measurement=UnitOfTime.MINUTES,
        suggested_display_precision=1,
        value_fn=lambda figures: figures.suggestion.minutes,
        attributes_fn=lambda figures: {"rule": figures.suggestion.rule.value},
    ),
    WeeklySensorDescription(
        key="total_backward_distance",
        device_class=SensorDeviceClass.DISTANCE,
        state_class=SensorStateClass.TOTAL_INCREASING,
        native_unit_of_measurement=UnitOfLength.METERS,
        suggested_unit_of_measurement=UnitOfLength.KILOMETERS,
        suggested_display_precision=2,
        value_fn=lambda figures: round(figures.total_backward_distance_m),
    ),
)

SIGNAL_SENSOR = SensorEntityDescription(
    key="signal_strength",
    device_class=SensorDeviceClass.SIGNAL_STRENGTH,
    state_class=SensorStateClass.MEASUREMENT,
    native_unit_of_measurement=SIGNAL_STRENGTH_DECIBELS_MILLIWATT,
    entity_category=EntityCategory.DIAGNOSTIC,
    entity_registry_enabled_default=False,
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: RetroWalkConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the sensors the treadmill supports."""
    coordinator = entry.runtime_data
    features = coordinator.features
    entities: list[SensorEntity] = [
        TreadmillSensor(coordinator, description)
        for description in SENSORS
        if features is None or description.supported_fn(features)
    ]
    entities.extend(ProgramSensor(coordinator, description) for description in PROGRAM_SENSORS)
    entities.append(SignalStrengthSensor(coordinator, SIGNAL_SENSOR))
    entities.extend(WeeklySensor(coordinator, description) for description in WEEKLY_SENSORS)
    async_add_entities(entities)


class RetroWalkSensorEntity(RetroWalkEntity, SensorEntity):
    """A RetroWalk sensor: distances shown in the user's unit system."""

    @property
    @override
    def suggested_unit_of_measurement(self) -> str | None:
        """Kilometres, or miles for US customary units (a suggestion overrides conversion)."""
        suggested = super().suggested_unit_of_measurement
        if suggested == UnitOfLength.KILOMETERS and self.hass.config.units is US_CUSTOMARY_SYSTEM:
            return UnitOfLength.MILES
        return suggested


class TreadmillSensor(RetroWalkSensorEntity):
    """A value from the treadmill's notifications."""

    entity_description: RetroWalkSensorDescription

    def __init__(
        self, coordinator: RetroWalkCoordinator, description: RetroWalkSensorDescription
    ) -> None:
        """Describe the sensor; slow counters write at most every few seconds."""
        super().__init__(coordinator, description)
        if description.slow_counter:
            self._write_interval = SLOW_COUNTER_WRITE_INTERVAL

    def shown_state(self) -> Hashable:
        """The value shown."""
        return self.entity_description.value_fn(self.coordinator.data)

    @property
    def native_value(self) -> StateType:
        """The value shown."""
        return self.entity_description.value_fn(self.coordinator.data)


class ProgramSensor(RetroWalkSensorEntity):
    """What the retro-walking program is doing."""

    entity_description: ProgramSensorDescription

    def __init__(
        self, coordinator: RetroWalkCoordinator, description: ProgramSensorDescription
    ) -> None:
        """Describe the sensor; slow counters write at most every few seconds."""
        super().__init__(coordinator, description)
        if description.slow_counter:
            self._write_interval = SLOW_COUNTER_WRITE_INTERVAL

    def shown_state(self) -> Hashable:
        """The value shown."""
        return self.entity_description.value_fn(self.coordinator)

    @property
    def native_value(self) -> StateType:
        """The value shown."""
        return self.entity_description.value_fn(self.coordinator)


class SignalStrengthSensor(RetroWalkSensorEntity):
    """Signal strength of the treadmill's last advertisement, from the best adapter or proxy."""

    @property
    @override
    def available(self) -> bool:
        """Whenever an advertisement was heard: a connected treadmill stops advertising."""
        return self.coordinator.rssi is not None

    def shown_state(self) -> Hashable:
        """The RSSI shown."""
        return self.coordinator.rssi

    @property
    def native_value(self) -> int | None:
        """The RSSI in dBm."""
        return self.coordinator.rssi


class WeeklySensor(RetroWalkSensorEntity):
    """A figure of the session history: this week's minutes, the goal, the progression.

    The figures are brought up to date at most once a minute while walking, at every stop
    and when a week begins, so these sensors write at most that often. They stay available
    while the treadmill is away: the history does not go with it.
    """

    entity_description: WeeklySensorDescription

    @property
    @override
    def available(self) -> bool:
        """Always: the figures come from the stored history."""
        return True

    @override
    async def async_added_to_hass(self) -> None:
        """Follow the weekly figures."""
        await super().async_added_to_hass()
        self.async_on_remove(
            self.coordinator.tracking.async_add_listener(self._handle_coordinator_update)
        )

    def shown_state(self) -> Hashable:
        """The value, the week it belongs to and the attributes."""
        figures = self.coordinator.tracking.figures
        attributes = self.extra_state_attributes
        return (
            self.entity_description.value_fn(figures),
            self.last_reset,
            tuple(attributes.items()) if attributes else None,
        )

    @property
    def native_value(self) -> StateType | datetime:
        """The figure shown."""
        return self.entity_description.value_fn(self.coordinator.tracking.figures)

    @property
    def last_reset(self) -> datetime | None:
        """The first instant of the running week, for weekly totals."""
        if not self.entity_description.weekly_total:
            return None
        return dt_util.as_utc(self.coordinator.tracking.figures.summary.week_start)

    @property
    def extra_state_attributes(self) -> Mapping[str, Any] | None:
        """The goal, or the progression rule behind a suggestion."""
        attributes_fn = self.entity_description.attributes_fn
        return None if attributes_fn is None else attributes_fn(self.coordinator.tracking.figures)

"""Actions: start, stop, pause and resume programs, confirm turnarounds, emergency stop.

Every invalid call is refused with a translated ServiceValidationError before anything is sent
to the treadmill. The emergency stop is the exception: it is never refused.
"""

import asyncio
from collections.abc import Mapping
import logging
from typing import Any, Final

from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import UnitOfSpeed
from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
    callback,
)
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import config_validation as cv, device_registry as dr
import probatio

from .const import DOMAIN
from .coordinator import RetroWalkCoordinator, command_error_key
from .ftms import FtmsError
from .options import error_placeholders, from_kmh, to_kmh
from .program import (
    LEVEL_PROGRAMS,
    Level,
    Plan,
    ProgramError,
    RampSettings,
    SafetyReason,
    SegmentSpec,
    WalkingDirection,
    plan_for_level,
    plan_from_parameters,
    plan_from_segments,
)

_LOGGER = logging.getLogger(__name__)

SERVICE_START_PROGRAM: Final = "start_program"
SERVICE_STOP_PROGRAM: Final = "stop_program"
SERVICE_PAUSE_PROGRAM: Final = "pause_program"
SERVICE_RESUME_PROGRAM: Final = "resume_program"
SERVICE_READY: Final = "ready"
SERVICE_EMERGENCY_STOP: Final = "emergency_stop"

ATTR_DEVICE_ID: Final = "device_id"
ATTR_LEVEL: Final = "level"
ATTR_BACKWARD_MINUTES: Final = "backward_minutes"
ATTR_BACKWARD_SPEED: Final = "backward_speed"
ATTR_INCLINE: Final = "incline"
ATTR_WARM_UP_MINUTES: Final = "warm_up_minutes"
ATTR_COOL_DOWN_MINUTES: Final = "cool_down_minutes"
ATTR_SEGMENTS: Final = "segments"
ATTR_DIRECTION: Final = "direction"
ATTR_MINUTES: Final = "minutes"
ATTR_SPEED: Final = "speed"
ATTR_INCLINE_AFTER_MINUTES: Final = "incline_after_minutes"

PARAMETER_FIELDS: Final = (
    ATTR_BACKWARD_SPEED,
    ATTR_INCLINE,
    ATTR_WARM_UP_MINUTES,
    ATTR_COOL_DOWN_MINUTES,
)

_NUMBER = probatio.Coerce(float)

SEGMENT_SCHEMA = probatio.Schema(
    {
        probatio.Required(ATTR_DIRECTION): probatio.In([d.value for d in WalkingDirection]),
        probatio.Required(ATTR_MINUTES): _NUMBER,
        probatio.Required(ATTR_SPEED): _NUMBER,
        probatio.Optional(ATTR_INCLINE, default=0.0): _NUMBER,
        probatio.Optional(ATTR_INCLINE_AFTER_MINUTES, default=0.0): _NUMBER,
    }
)

DEVICE_SCHEMA = probatio.Schema({probatio.Required(ATTR_DEVICE_ID): cv.string})

START_PROGRAM_SCHEMA = probatio.Schema(
    {
        probatio.Required(ATTR_DEVICE_ID): cv.string,
        probatio.Optional(ATTR_LEVEL): probatio.In([level.value for level in Level]),
        probatio.Optional(ATTR_BACKWARD_MINUTES): _NUMBER,
        probatio.Optional(ATTR_BACKWARD_SPEED): _NUMBER,
        probatio.Optional(ATTR_INCLINE): _NUMBER,
        probatio.Optional(ATTR_WARM_UP_MINUTES): _NUMBER,
        probatio.Optional(ATTR_COOL_DOWN_MINUTES): _NUMBER,
        probatio.Optional(ATTR_SEGMENTS): [SEGMENT_SCHEMA],
    }
)

EMERGENCY_STOP_SCHEMA = probatio.Schema(
    {probatio.Optional(ATTR_DEVICE_ID): cv.string}, extra=probatio.ALLOW_EXTRA
)


def _invalid(key: str, **placeholders: str) -> ServiceValidationError:
    return ServiceValidationError(
        translation_domain=DOMAIN, translation_key=key, translation_placeholders=placeholders
    )


def _loaded_coordinators(hass: HomeAssistant) -> list[RetroWalkCoordinator]:
    return [
        entry.runtime_data
        for entry in hass.config_entries.async_entries(DOMAIN)
        if entry.state is ConfigEntryState.LOADED
    ]


def coordinator_for_device(hass: HomeAssistant, device_id: str) -> RetroWalkCoordinator:
    """The connected treadmill behind a device, or a translated validation error."""
    device = dr.async_get(hass).async_get(device_id)
    if device is None:
        raise _invalid("unknown_device", device_id=device_id)
    entry = hass.config_entries.async_get_entry(device.config_entry_id)
    if entry is None or entry.domain != DOMAIN:
        raise _invalid("unknown_device", device_id=device_id)
    if entry.state is not ConfigEntryState.LOADED or not entry.runtime_data.connected:
        raise _invalid("not_connected", name=entry.title)
    coordinator: RetroWalkCoordinator = entry.runtime_data
    return coordinator


def _speed_kmh(value: float, unit: UnitOfSpeed, limit_kmh: float) -> float:
    """A speed given in the user's unit, in km/h.

    Limits are shown in mph rounded to 0.1 (3.2 km/h is "2.0 mph"), so a speed in mph up to
    the limit as shown means the limit itself, not a refusal by a few hundredths.
    """
    kmh = to_kmh(value, unit)
    if (
        unit == UnitOfSpeed.MILES_PER_HOUR
        and kmh > limit_kmh
        and value <= round(from_kmh(limit_kmh, unit), 1)
    ):
        return limit_kmh
    return kmh


def build_plan(
    hass: HomeAssistant, coordinator: RetroWalkCoordinator, data: Mapping[str, Any]
) -> Plan:
    """The plan a start_program call asks for; speeds arrive in the user's unit.

    Three ways to describe it, one at a time: a level (the default: the level set in the
    options), explicit parameters, or a list of segments. `backward_minutes` goes with a
    level or with parameters; without it, the progression suggests them once there is a
    session history (and the options follow the progression).
    """
    controller = coordinator.program
    options = coordinator.options
    unit = options.speed_unit_for(hass)
    parameters = [field for field in PARAMETER_FIELDS if field in data]
    if ATTR_SEGMENTS in data and (parameters or ATTR_LEVEL in data):
        raise _invalid("segments_exclusive")
    if parameters and ATTR_LEVEL in data:
        raise _invalid("level_or_parameters")
    if coordinator.speed_range is None:
        raise _invalid("speed_range_unknown", name=coordinator.config_entry.title)
    device = controller.device_limits()
    limits = options.limits
    try:
        if ATTR_SEGMENTS in data:
            return plan_from_segments(
                [
                    SegmentSpec(
                        direction=WalkingDirection(segment[ATTR_DIRECTION]),
                        duration_s=segment[ATTR_MINUTES] * 60,
                        target_speed_kmh=_speed_kmh(
                            segment[ATTR_SPEED],
                            unit,
                            limits.speed_limit_kmh(WalkingDirection(segment[ATTR_DIRECTION])),
                        ),
                        target_incline_pct=segment[ATTR_INCLINE],
                        incline_after_s=segment[ATTR_INCLINE_AFTER_MINUTES] * 60,
                    )
                    for segment in data[ATTR_SEGMENTS]
                ],
                device=device,
                limits=limits,
            )
        level = Level(data.get(ATTR_LEVEL, options.level))
        # Without backward minutes, the progression's suggestion (None: the level's own).
        backward_minutes: float | None = data.get(
            ATTR_BACKWARD_MINUTES, coordinator.tracking.planned_backward_minutes(level)
        )
        if parameters:
            numbers = LEVEL_PROGRAMS[level]
            return plan_from_parameters(
                backward_minutes=(
                    numbers.backward_s / 60 if backward_minutes is None else backward_minutes
                ),
                backward_speed_kmh=(
                    _speed_kmh(data[ATTR_BACKWARD_SPEED], unit, limits.backward_speed_kmh)
                    if ATTR_BACKWARD_SPEED in data
                    else min(numbers.backward_speed_kmh, limits.backward_speed_kmh)
                ),
                incline_pct=data.get(ATTR_INCLINE, 0.0),
                warm_up_minutes=data.get(ATTR_WARM_UP_MINUTES, numbers.warm_up_s / 60),
                cool_down_minutes=data.get(ATTR_COOL_DOWN_MINUTES, numbers.cool_down_s / 60),
                device=device,
                limits=limits,
            )
        return plan_for_level(
            level,
            device=device,
            limits=limits,
            backward_minutes=backward_minutes,
        )
    except ProgramError as err:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key=err.code.value,
            translation_placeholders=error_placeholders(err, unit),
        ) from err


def ramp_settings(hass: HomeAssistant, coordinator: RetroWalkCoordinator) -> RampSettings:
    """Speed steps of 0.1 in the user's unit."""
    if coordinator.options.speed_unit_for(hass) == UnitOfSpeed.MILES_PER_HOUR:
        return RampSettings.for_mph()
    return RampSettings()


def plan_response(plan: Plan, unit: UnitOfSpeed) -> dict[str, Any]:
    """The plan as response data, with speeds also in the user's unit."""
    response = plan.to_dict()
    response["speed_unit"] = unit.value
    response["segments"] = [
        {**segment, "target_speed": round(from_kmh(segment["target_speed_kmh"], unit), 2)}
        for segment in response["segments"]  # type: ignore[attr-defined]
    ]
    return response


async def async_start_program(
    hass: HomeAssistant, coordinator: RetroWalkCoordinator, data: Mapping[str, Any]
) -> Plan:
    """Check and start a program (also used by the switch and by voice)."""
    if coordinator.program.running:
        raise _invalid("program_running", name=coordinator.config_entry.title)
    plan = build_plan(hass, coordinator, data)
    await coordinator.program.async_start(plan, ramp_settings(hass, coordinator))
    return plan


async def _start_program(call: ServiceCall) -> ServiceResponse:
    coordinator = coordinator_for_device(call.hass, call.data[ATTR_DEVICE_ID])
    plan = await async_start_program(call.hass, coordinator, call.data)
    return plan_response(plan, coordinator.options.speed_unit_for(call.hass))


def _running_program(call: ServiceCall) -> RetroWalkCoordinator:
    coordinator = coordinator_for_device(call.hass, call.data[ATTR_DEVICE_ID])
    if not coordinator.program.running:
        raise _invalid("no_program", name=coordinator.config_entry.title)
    return coordinator


async def _stop_program(call: ServiceCall) -> None:
    _running_program(call).program.stop_gracefully()


async def _pause_program(call: ServiceCall) -> None:
    coordinator = _running_program(call)
    if not coordinator.program.pause():
        raise _invalid("cannot_pause", name=coordinator.config_entry.title)


async def _resume_program(call: ServiceCall) -> None:
    coordinator = _running_program(call)
    if (refusal := coordinator.program.resume()) is not None:
        raise _invalid(refusal, name=coordinator.config_entry.title)


async def _ready(call: ServiceCall) -> None:
    coordinator = _running_program(call)
    if (refusal := coordinator.program.confirm_ready()) is not None:
        raise _invalid(refusal, name=coordinator.config_entry.title)


async def _stop_belt(coordinator: RetroWalkCoordinator) -> FtmsError | None:
    """Stop one treadmill's belt; return the error if the stop failed."""
    try:
        await coordinator.program.async_emergency_stop(SafetyReason.USER_STOP)
    except FtmsError as err:
        return err
    return None


async def _emergency_stop(call: ServiceCall) -> None:
    """Stop the belt of the given treadmill, or of every treadmill; never refused."""
    coordinators = _loaded_coordinators(call.hass)
    device_id = call.data.get(ATTR_DEVICE_ID)
    if device_id:
        device = dr.async_get(call.hass).async_get(device_id)
        chosen = [
            coordinator
            for coordinator in coordinators
            if device is not None and coordinator.config_entry.entry_id == device.config_entry_id
        ]
        if chosen:
            coordinators = chosen
        else:
            _LOGGER.warning(
                "Emergency stop for unknown device %s: stopping every treadmill", device_id
            )
    # All at once: one treadmill slow to answer its stop must not hold back the others'.
    errors = await asyncio.gather(*(_stop_belt(coordinator) for coordinator in coordinators))
    failures = [
        (coordinator, error)
        for coordinator, error in zip(coordinators, errors, strict=True)
        if error is not None
    ]
    if failures:
        failed, error = failures[0]
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key=command_error_key(error),
            translation_placeholders={"name": failed.config_entry.title},
        ) from error


@callback
def async_setup_services(hass: HomeAssistant) -> None:
    """Register the actions (once, for every treadmill)."""
    hass.services.async_register(
        DOMAIN,
        SERVICE_START_PROGRAM,
        _start_program,
        schema=START_PROGRAM_SCHEMA,
        supports_response=SupportsResponse.OPTIONAL,
    )
    for name, handler in (
        (SERVICE_STOP_PROGRAM, _stop_program),
        (SERVICE_PAUSE_PROGRAM, _pause_program),
        (SERVICE_RESUME_PROGRAM, _resume_program),
        (SERVICE_READY, _ready),
    ):
        hass.services.async_register(DOMAIN, name, handler, schema=DEVICE_SCHEMA)
    hass.services.async_register(
        DOMAIN, SERVICE_EMERGENCY_STOP, _emergency_stop, schema=EMERGENCY_STOP_SCHEMA
    )

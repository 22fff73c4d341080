"""The options form: safety limits, program defaults, weekly goal, linked sensors, quirks."""

from typing import Any

from homeassistant.components.binary_sensor.const import DOMAIN as BINARY_SENSOR_DOMAIN
from homeassistant.components.sensor import DOMAIN as SENSOR_DOMAIN
from homeassistant.config_entries import ConfigFlowResult, OptionsFlow
from homeassistant.const import UnitOfSpeed, UnitOfTime
from homeassistant.data_entry_flow import section
from homeassistant.helpers import selector
import probatio

from .const import (
    CONF_FOLLOW_PROGRESSION,
    CONF_GOAL_MINUTES,
    CONF_GOAL_SESSIONS,
    CONF_HEART_RATE_ENTITY,
    CONF_HEART_RATE_LIMIT,
    CONF_LEVEL,
    CONF_MAX_BACKWARD_SPEED,
    CONF_MAX_FORWARD_SPEED,
    CONF_MAX_INCLINE,
    CONF_MAX_SESSION_MINUTES,
    CONF_MIN_SESSION_MINUTES,
    CONF_PRESENCE_ENTITY,
    CONF_PRESENCE_TIMEOUT,
    CONF_QUIRK_REQUEST_CONTROL_EACH,
    CONF_QUIRK_SPEED_IN_MPH,
    CONF_SPEED_UNIT,
    CONF_TURNAROUND_TIMEOUT,
    CONF_WEEK_START,
    SECTION_DEVICE,
    SECTION_PROGRAM,
    SECTION_SAFETY,
    SECTION_WEEKLY,
    WEEKDAYS,
    SpeedUnitPreference,
)
from .ftms import RequestControlMode, SpeedUnit
from .options import RetroWalkOptions, from_kmh, known_quirks, to_kmh
from .program import Level
from .program.limits import (
    BACKWARD_SPEED_KMH,
    FORWARD_SPEED_KMH,
    HEART_RATE_BPM,
    INCLINE_PCT,
    PRESENCE_LOST_S,
    SESSION_S,
    TURNAROUND_WAIT_S,
    LimitBounds,
)


def _number(minimum: float, maximum: float, step: float, unit: str) -> selector.NumberSelector:
    return selector.NumberSelector(
        selector.NumberSelectorConfig(
            min=minimum,
            max=maximum,
            step=step,
            unit_of_measurement=unit,
            mode=selector.NumberSelectorMode.BOX,
        )
    )


def _speed(bounds: LimitBounds, unit: UnitOfSpeed) -> selector.NumberSelector:
    return _number(
        round(from_kmh(bounds.minimum, unit), 1),
        round(from_kmh(bounds.ceiling, unit), 1),
        0.1,
        unit,
    )


def _shown_speed(kmh: float, unit: UnitOfSpeed) -> float:
    return round(from_kmh(kmh, unit), 1)


def _stored_speed(value: float, unit: UnitOfSpeed, bounds: LimitBounds) -> float:
    # The form shows mph bounds rounded to 0.1 (the guides call 5.6 km/h "3.5 mph"), so a
    # bound entered in mph is meant as the bound itself.
    return min(max(round(to_kmh(value, unit), 2), bounds.minimum), bounds.ceiling)


class RetroWalkOptionsFlow(OptionsFlow):
    """Change the options of a treadmill; they apply at once, without a reload."""

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Show and save the options."""
        current = RetroWalkOptions.from_mapping(self.config_entry.options)
        unit = current.speed_unit_for(self.hass)
        errors: dict[str, str] = {}
        if user_input is not None:
            # The selectors keep every value within its bounds; only the weekly goal needs
            # a check across fields.
            weekly = user_input.get(SECTION_WEEKLY, {})
            if not weekly.get(CONF_GOAL_SESSIONS) and not weekly.get(CONF_GOAL_MINUTES):
                errors["base"] = "goal_required"
            else:
                return self.async_create_entry(data=self._stored_options(user_input, unit))
        return self.async_show_form(
            step_id="init",
            data_schema=self.add_suggested_values_to_schema(
                self._schema(unit),
                user_input if user_input is not None else self._shown_options(current, unit),
            ),
            errors=errors,
        )

    def _schema(self, unit: UnitOfSpeed) -> probatio.Schema:
        safety = probatio.Schema(
            {
                probatio.Required(CONF_MAX_BACKWARD_SPEED): _speed(BACKWARD_SPEED_KMH, unit),
                probatio.Required(CONF_MAX_FORWARD_SPEED): _speed(FORWARD_SPEED_KMH, unit),
                probatio.Required(CONF_MAX_INCLINE): _number(
                    INCLINE_PCT.minimum, INCLINE_PCT.ceiling, 0.5, "%"
                ),
                probatio.Required(CONF_MAX_SESSION_MINUTES): _number(
                    SESSION_S.minimum / 60, SESSION_S.ceiling / 60, 1, UnitOfTime.MINUTES
                ),
                probatio.Optional(CONF_HEART_RATE_LIMIT): _number(
                    HEART_RATE_BPM.minimum, HEART_RATE_BPM.ceiling, 1, "bpm"
                ),
                probatio.Required(CONF_PRESENCE_TIMEOUT): _number(
                    PRESENCE_LOST_S.minimum, PRESENCE_LOST_S.ceiling, 1, UnitOfTime.SECONDS
                ),
                probatio.Required(CONF_TURNAROUND_TIMEOUT): _number(
                    TURNAROUND_WAIT_S.minimum / 60,
                    TURNAROUND_WAIT_S.ceiling / 60,
                    0.5,
                    UnitOfTime.MINUTES,
                ),
            }
        )
        program = probatio.Schema(
            {
                probatio.Required(CONF_LEVEL): selector.SelectSelector(
                    selector.SelectSelectorConfig(
                        options=[level.value for level in Level],
                        translation_key=CONF_LEVEL,
                        mode=selector.SelectSelectorMode.DROPDOWN,
                    )
                )
            }
        )
        weekly = probatio.Schema(
            {
                probatio.Required(CONF_GOAL_SESSIONS): _number(0, 14, 1, "sessions"),
                probatio.Optional(CONF_GOAL_MINUTES): _number(1, 600, 1, UnitOfTime.MINUTES),
                probatio.Required(CONF_WEEK_START): selector.SelectSelector(
                    selector.SelectSelectorConfig(
                        options=list(WEEKDAYS),
                        translation_key=CONF_WEEK_START,
                        mode=selector.SelectSelectorMode.DROPDOWN,
                    )
                ),
                probatio.Required(CONF_MIN_SESSION_MINUTES): _number(
                    0.5, 30, 0.5, UnitOfTime.MINUTES
                ),
                probatio.Required(CONF_FOLLOW_PROGRESSION): selector.BooleanSelector(),
            }
        )
        device = probatio.Schema(
            {
                probatio.Required(CONF_QUIRK_SPEED_IN_MPH): selector.BooleanSelector(),
                probatio.Required(CONF_QUIRK_REQUEST_CONTROL_EACH): selector.BooleanSelector(),
            }
        )
        return probatio.Schema(
            {
                probatio.Required(CONF_SPEED_UNIT): selector.SelectSelector(
                    selector.SelectSelectorConfig(
                        options=[preference.value for preference in SpeedUnitPreference],
                        translation_key=CONF_SPEED_UNIT,
                        mode=selector.SelectSelectorMode.DROPDOWN,
                    )
                ),
                probatio.Optional(CONF_HEART_RATE_ENTITY): selector.EntitySelector(
                    selector.EntitySelectorConfig(domain=SENSOR_DOMAIN)
                ),
                probatio.Optional(CONF_PRESENCE_ENTITY): selector.EntitySelector(
                    selector.EntitySelectorConfig(domain=BINARY_SENSOR_DOMAIN)
                ),
                probatio.Required(SECTION_SAFETY): section(safety, {"collapsed": False}),
                probatio.Required(SECTION_PROGRAM): section(program, {"collapsed": False}),
                probatio.Required(SECTION_WEEKLY): section(weekly, {"collapsed": False}),
                probatio.Required(SECTION_DEVICE): section(device, {"collapsed": True}),
            }
        )

    def _shown_options(self, current: RetroWalkOptions, unit: UnitOfSpeed) -> dict[str, Any]:
        limits = current.limits
        quirks = current.quirks(known_quirks(self.config_entry.data))
        shown: dict[str, Any] = {
            CONF_SPEED_UNIT: current.speed_unit.value,
            SECTION_SAFETY: {
                CONF_MAX_BACKWARD_SPEED: _shown_speed(limits.backward_speed_kmh, unit),
                CONF_MAX_FORWARD_SPEED: _shown_speed(limits.forward_speed_kmh, unit),
                CONF_MAX_INCLINE: limits.incline_pct,
                CONF_MAX_SESSION_MINUTES: limits.max_session_s / 60,
                CONF_PRESENCE_TIMEOUT: limits.presence_lost_s,
                CONF_TURNAROUND_TIMEOUT: limits.turnaround_wait_s / 60,
            },
            SECTION_PROGRAM: {CONF_LEVEL: current.level.value},
            SECTION_WEEKLY: {
                CONF_GOAL_SESSIONS: current.weekly.goal_sessions or 0,
                CONF_WEEK_START: WEEKDAYS[current.weekly.week_start],
                CONF_MIN_SESSION_MINUTES: current.weekly.min_backward_minutes,
                CONF_FOLLOW_PROGRESSION: current.weekly.follow_progression,
            },
            SECTION_DEVICE: {
                CONF_QUIRK_SPEED_IN_MPH: quirks.speed_unit is SpeedUnit.MPH,
                CONF_QUIRK_REQUEST_CONTROL_EACH: (
                    quirks.request_control is RequestControlMode.BEFORE_EACH
                ),
            },
        }
        if limits.max_heart_rate_bpm is not None:
            shown[SECTION_SAFETY][CONF_HEART_RATE_LIMIT] = limits.max_heart_rate_bpm
        if current.weekly.goal_minutes is not None:
            shown[SECTION_WEEKLY][CONF_GOAL_MINUTES] = current.weekly.goal_minutes
        if current.heart_rate_entity:
            shown[CONF_HEART_RATE_ENTITY] = current.heart_rate_entity
        if current.presence_entity:
            shown[CONF_PRESENCE_ENTITY] = current.presence_entity
        return shown

    @staticmethod
    def _stored_options(user_input: dict[str, Any], unit: UnitOfSpeed) -> dict[str, Any]:
        safety = dict(user_input[SECTION_SAFETY])
        safety[CONF_MAX_BACKWARD_SPEED] = _stored_speed(
            safety[CONF_MAX_BACKWARD_SPEED], unit, BACKWARD_SPEED_KMH
        )
        safety[CONF_MAX_FORWARD_SPEED] = _stored_speed(
            safety[CONF_MAX_FORWARD_SPEED], unit, FORWARD_SPEED_KMH
        )
        return {**user_input, SECTION_SAFETY: safety}

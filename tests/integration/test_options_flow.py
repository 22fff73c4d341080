"""The options form: what it shows, what it stores, and how a saved change takes effect."""

from dataclasses import replace
from typing import Any

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType, InvalidData, section
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.retrowalk.const import (
    CONF_FOLLOW_PROGRESSION,
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
)
from custom_components.retrowalk.ftms import RequestControlMode, SpeedUnit
from retrowalk_sim import DEMO_PROFILE, SimulatedTreadmill
from tests.conftest import entry_for

TARGET_SPEED = "number.retrowalk_demo_treadmill_target_speed"
HEART_RATE_SENSOR = "sensor.chest_strap_heart_rate"
PRESENCE_SENSOR = "binary_sensor.treadmill_presence"

# A model the known-device table says reads target speeds in mph.
HORIZON = replace(
    DEMO_PROFILE,
    local_name="HORIZON 7.0AT",
    device_information=replace(
        DEMO_PROFILE.device_information, manufacturer="Horizon Fitness", model="7.0AT"
    ),
)

DEFAULT_SAFETY = {
    CONF_MAX_BACKWARD_SPEED: 3.2,
    CONF_MAX_FORWARD_SPEED: 4.0,
    CONF_MAX_INCLINE: 3.0,
    CONF_MAX_SESSION_MINUTES: 45.0,
    CONF_PRESENCE_TIMEOUT: 5.0,
    CONF_TURNAROUND_TIMEOUT: 2.0,
}

DEFAULT_WEEKLY = {
    CONF_GOAL_SESSIONS: 3,
    CONF_WEEK_START: "monday",
    CONF_MIN_SESSION_MINUTES: 3.0,
    CONF_FOLLOW_PROGRESSION: True,
}


def form_input(
    *,
    speed_unit: str = "auto",
    level: str = "beginner",
    speed_in_mph: bool = False,
    request_control_each: bool = False,
    linked: dict[str, str] | None = None,
    weekly: dict[str, Any] | None = None,
    **safety: float,
) -> dict[str, Any]:
    """What the form sends: the default values, with the given changes."""
    return {
        CONF_SPEED_UNIT: speed_unit,
        **(linked or {}),
        SECTION_SAFETY: {**DEFAULT_SAFETY, **safety},
        SECTION_PROGRAM: {CONF_LEVEL: level},
        SECTION_WEEKLY: {**DEFAULT_WEEKLY, **(weekly or {})},
        SECTION_DEVICE: {
            CONF_QUIRK_SPEED_IN_MPH: speed_in_mph,
            CONF_QUIRK_REQUEST_CONTROL_EACH: request_control_each,
        },
    }


def suggested(schema: Any) -> dict[str, Any]:
    """The values the form is filled with, by key, sections nested."""
    values: dict[str, Any] = {}
    for key, value in schema.schema.items():
        if isinstance(value, section):
            values[str(key)] = suggested(value.schema)
        elif key.description and "suggested_value" in key.description:
            values[str(key)] = key.description["suggested_value"]
    return values


def speed_field(schema: Any, key: str) -> dict[str, Any]:
    """The number selector's configuration of a speed limit: unit and bounds."""
    fields = {str(marker): value for marker, value in schema.schema.items()}
    safety = {str(marker): value for marker, value in fields[SECTION_SAFETY].schema.schema.items()}
    config: dict[str, Any] = safety[key].config
    return config


async def open_options(hass: HomeAssistant, entry: MockConfigEntry) -> Any:
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "init"
    return result


async def save_options(hass: HomeAssistant, entry: MockConfigEntry, user_input: Any) -> Any:
    result = await open_options(hass, entry)
    result = await hass.config_entries.options.async_configure(result["flow_id"], user_input)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    return result


async def use_us_customary_units(hass: HomeAssistant) -> None:
    await hass.config.async_update(unit_system="us_customary")


# What the form shows --------------------------------------------------------------------------


async def test_form_shows_defaults(hass: HomeAssistant, loaded_entry: MockConfigEntry) -> None:
    result = await open_options(hass, loaded_entry)

    assert suggested(result["data_schema"]) == {
        CONF_SPEED_UNIT: "auto",
        SECTION_SAFETY: DEFAULT_SAFETY,
        SECTION_PROGRAM: {CONF_LEVEL: "beginner"},
        SECTION_WEEKLY: DEFAULT_WEEKLY,
        SECTION_DEVICE: {CONF_QUIRK_SPEED_IN_MPH: False, CONF_QUIRK_REQUEST_CONTROL_EACH: False},
    }
    backward = speed_field(result["data_schema"], CONF_MAX_BACKWARD_SPEED)
    assert (backward["unit_of_measurement"], backward["min"], backward["max"]) == (
        "km/h",
        0.5,
        5.6,
    )
    forward = speed_field(result["data_schema"], CONF_MAX_FORWARD_SPEED)
    assert (forward["min"], forward["max"]) == (0.5, 6.0)


@pytest.mark.parametrize("profile", [HORIZON])
async def test_form_shows_quirks_known_for_the_model(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    assert loaded_entry.runtime_data.quirks.speed_unit is SpeedUnit.MPH

    result = await open_options(hass, loaded_entry)

    assert suggested(result["data_schema"])[SECTION_DEVICE] == {
        CONF_QUIRK_SPEED_IN_MPH: True,
        CONF_QUIRK_REQUEST_CONTROL_EACH: False,
    }


@pytest.mark.parametrize("profile", [HORIZON])
async def test_form_shows_quirks_the_user_chose_over_the_known_ones(
    hass: HomeAssistant, treadmill: SimulatedTreadmill
) -> None:
    entry = entry_for(
        treadmill,
        **{SECTION_DEVICE: {CONF_QUIRK_SPEED_IN_MPH: False, CONF_QUIRK_REQUEST_CONTROL_EACH: True}},
    )
    entry.add_to_hass(hass)

    result = await open_options(hass, entry)

    assert suggested(result["data_schema"])[SECTION_DEVICE] == {
        CONF_QUIRK_SPEED_IN_MPH: False,
        CONF_QUIRK_REQUEST_CONTROL_EACH: True,
    }


async def test_form_in_mph_for_us_customary_units(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    await use_us_customary_units(hass)

    result = await open_options(hass, loaded_entry)

    shown = suggested(result["data_schema"])[SECTION_SAFETY]
    assert shown[CONF_MAX_BACKWARD_SPEED] == 2.0
    assert shown[CONF_MAX_FORWARD_SPEED] == 2.5
    backward = speed_field(result["data_schema"], CONF_MAX_BACKWARD_SPEED)
    assert (backward["unit_of_measurement"], backward["min"], backward["max"]) == (
        "mph",
        0.3,
        3.5,
    )
    forward = speed_field(result["data_schema"], CONF_MAX_FORWARD_SPEED)
    assert (forward["min"], forward["max"]) == (0.3, 3.7)


@pytest.mark.parametrize(
    ("speed_unit", "us_customary", "unit", "backward"),
    [("km/h", True, "km/h", 3.2), ("mph", False, "mph", 2.0)],
)
async def test_form_follows_the_chosen_speed_unit_over_home_assistant(
    hass: HomeAssistant,
    treadmill: SimulatedTreadmill,
    speed_unit: str,
    us_customary: bool,
    unit: str,
    backward: float,
) -> None:
    if us_customary:
        await use_us_customary_units(hass)
    entry = entry_for(treadmill, **{CONF_SPEED_UNIT: speed_unit})
    entry.add_to_hass(hass)

    result = await open_options(hass, entry)

    assert speed_field(result["data_schema"], CONF_MAX_BACKWARD_SPEED)["unit_of_measurement"] == (
        unit
    )
    assert suggested(result["data_schema"])[SECTION_SAFETY][CONF_MAX_BACKWARD_SPEED] == backward


# What it stores --------------------------------------------------------------------------------


async def test_saved_in_kmh(hass: HomeAssistant, loaded_entry: MockConfigEntry) -> None:
    user_input = form_input(
        speed_unit="km/h",
        level="intermediate",
        max_backward_speed=2.4,
        max_forward_speed=5.5,
        max_incline=5.0,
        max_session_minutes=30,
        presence_timeout=10,
        turnaround_timeout=3.5,
    )
    await save_options(hass, loaded_entry, user_input)

    assert loaded_entry.options == user_input
    options = loaded_entry.runtime_data.options
    assert options.limits.backward_speed_kmh == 2.4
    assert options.limits.forward_speed_kmh == 5.5
    assert options.limits.max_session_s == 30 * 60
    assert options.limits.turnaround_wait_s == 3.5 * 60
    assert options.level == "intermediate"


@pytest.mark.parametrize(
    ("backward_mph", "stored_kmh"),
    [(2.0, 3.22), (3.5, 5.6), (0.3, 0.5), (1.0, 1.61)],
    ids=["default", "ceiling", "floor", "one"],
)
async def test_saved_in_mph_stored_in_kmh(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, backward_mph: float, stored_kmh: float
) -> None:
    await use_us_customary_units(hass)

    await save_options(
        hass,
        loaded_entry,
        form_input(max_backward_speed=backward_mph, max_forward_speed=2.5),
    )

    safety = loaded_entry.options[SECTION_SAFETY]
    assert safety[CONF_MAX_BACKWARD_SPEED] == stored_kmh
    assert safety[CONF_MAX_FORWARD_SPEED] == 4.02
    assert loaded_entry.runtime_data.options.limits.backward_speed_kmh == stored_kmh

    # Shown again as the mph the user entered.
    result = await open_options(hass, loaded_entry)
    assert suggested(result["data_schema"])[SECTION_SAFETY][CONF_MAX_BACKWARD_SPEED] == (
        backward_mph
    )


@pytest.mark.parametrize(
    ("us_customary", "safety"),
    [
        (False, {CONF_MAX_FORWARD_SPEED: 6.1}),
        (False, {CONF_MAX_BACKWARD_SPEED: 0.4}),
        (False, {CONF_MAX_INCLINE: 10.5}),
        (False, {CONF_MAX_SESSION_MINUTES: 91}),
        (False, {CONF_HEART_RATE_LIMIT: 30}),
        (True, {CONF_MAX_BACKWARD_SPEED: 3.6}),
    ],
)
async def test_limits_beyond_their_bounds_are_refused(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, us_customary: bool, safety: dict[str, float]
) -> None:
    if us_customary:
        await use_us_customary_units(hass)
    result = await open_options(hass, loaded_entry)

    with pytest.raises(InvalidData):
        await hass.config_entries.options.async_configure(result["flow_id"], form_input(**safety))
    assert loaded_entry.options == {}


async def test_linked_sensors_and_heart_rate_limit_saved_shown_and_cleared(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    hass.states.async_set(HEART_RATE_SENSOR, "92", {"unit_of_measurement": "bpm"})
    hass.states.async_set(PRESENCE_SENSOR, "on")
    linked = {CONF_HEART_RATE_ENTITY: HEART_RATE_SENSOR, CONF_PRESENCE_ENTITY: PRESENCE_SENSOR}

    await save_options(hass, loaded_entry, form_input(linked=linked, heart_rate_limit=150))

    assert loaded_entry.options[CONF_HEART_RATE_ENTITY] == HEART_RATE_SENSOR
    assert loaded_entry.options[CONF_PRESENCE_ENTITY] == PRESENCE_SENSOR
    assert loaded_entry.options[SECTION_SAFETY][CONF_HEART_RATE_LIMIT] == 150
    options = loaded_entry.runtime_data.options
    assert options.heart_rate_entity == HEART_RATE_SENSOR
    assert options.presence_entity == PRESENCE_SENSOR
    assert options.limits.max_heart_rate_bpm == 150

    result = await open_options(hass, loaded_entry)
    shown = suggested(result["data_schema"])
    assert shown[CONF_HEART_RATE_ENTITY] == HEART_RATE_SENSOR
    assert shown[CONF_PRESENCE_ENTITY] == PRESENCE_SENSOR
    assert shown[SECTION_SAFETY][CONF_HEART_RATE_LIMIT] == 150

    # Emptied fields are left out of what the form sends: the links and the limit are gone.
    result = await hass.config_entries.options.async_configure(result["flow_id"], form_input())
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    options = loaded_entry.runtime_data.options
    assert (options.heart_rate_entity, options.presence_entity) == (None, None)
    assert options.limits.max_heart_rate_bpm is None


async def test_linked_sensor_of_the_wrong_kind_is_refused(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    result = await open_options(hass, loaded_entry)

    with pytest.raises(InvalidData):
        await hass.config_entries.options.async_configure(
            result["flow_id"], form_input(linked={CONF_HEART_RATE_ENTITY: PRESENCE_SENSOR})
        )


# How a change takes effect ---------------------------------------------------------------------


async def test_changed_limits_apply_at_once_without_reload(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, treadmill: SimulatedTreadmill
) -> None:
    coordinator = loaded_entry.runtime_data
    history = list(coordinator.connection_history)
    assert hass.states.get(TARGET_SPEED).attributes["max"] == 4.0

    await save_options(hass, loaded_entry, form_input(max_forward_speed=5.0))

    assert loaded_entry.state is ConfigEntryState.LOADED
    assert loaded_entry.runtime_data is coordinator
    assert coordinator.connection_history == history
    assert treadmill.is_connected
    assert coordinator.options.limits.forward_speed_kmh == 5.0
    assert hass.states.get(TARGET_SPEED).attributes["max"] == 5.0


async def test_changed_speed_unit_applies_at_once_without_reload(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    coordinator = loaded_entry.runtime_data

    await save_options(hass, loaded_entry, form_input(speed_unit="mph"))

    assert loaded_entry.runtime_data is coordinator
    state = hass.states.get(TARGET_SPEED)
    assert state.attributes["unit_of_measurement"] == "mph"
    assert state.attributes["max"] == pytest.approx(4.0 / 1.609344, abs=0.01)


async def test_unchanged_quirks_saved_explicitly_do_not_reload(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    """Saving the form as shown stores the known quirks; that changes nothing to reload for."""
    coordinator = loaded_entry.runtime_data

    await save_options(hass, loaded_entry, form_input())

    assert loaded_entry.options[SECTION_DEVICE] == {
        CONF_QUIRK_SPEED_IN_MPH: False,
        CONF_QUIRK_REQUEST_CONTROL_EACH: False,
    }
    assert loaded_entry.runtime_data is coordinator


@pytest.mark.parametrize(
    ("changes", "speed_unit", "request_control"),
    [
        ({"speed_in_mph": True}, SpeedUnit.MPH, RequestControlMode.ONCE),
        ({"request_control_each": True}, SpeedUnit.KMH, RequestControlMode.BEFORE_EACH),
    ],
)
async def test_changed_quirks_reload_the_entry(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    treadmill: SimulatedTreadmill,
    changes: dict[str, bool],
    speed_unit: SpeedUnit,
    request_control: RequestControlMode,
) -> None:
    coordinator = loaded_entry.runtime_data

    await save_options(hass, loaded_entry, form_input(**changes))

    assert loaded_entry.state is ConfigEntryState.LOADED
    reloaded = loaded_entry.runtime_data
    assert reloaded is not coordinator
    assert not coordinator.connected
    assert reloaded.connected
    assert treadmill.is_connected
    assert reloaded.quirks.speed_unit is speed_unit
    assert reloaded.quirks.request_control is request_control


async def test_speed_quirk_takes_effect_on_the_belt(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, treadmill: SimulatedTreadmill
) -> None:
    """A treadmill that reads target speeds in mph walks at the speed set once told so."""
    treadmill.misbehaviour.speed_parameter_mph = True

    await save_options(hass, loaded_entry, form_input(speed_in_mph=True))
    await hass.services.async_call(
        "button",
        "press",
        {"entity_id": "button.retrowalk_demo_treadmill_start_or_resume"},
        blocking=True,
    )
    await hass.services.async_call(
        "number", "set_value", {"entity_id": TARGET_SPEED, "value": 2.0}, blocking=True
    )

    assert treadmill.target_speed_kmh == pytest.approx(2.0, abs=0.05)

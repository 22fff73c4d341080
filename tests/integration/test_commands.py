"""Belt commands from Home Assistant, and what the user reads when the treadmill refuses them."""

import asyncio
import json
from pathlib import Path
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.retrowalk.ftms import DEFAULT_RESPONSE_TIMEOUT_S, ControlOp, ResultCode
from retrowalk_sim import SimulatedTreadmill

STRINGS = json.loads(
    (
        Path(__file__).resolve().parents[2] / "custom_components" / "retrowalk" / "strings.json"
    ).read_text()
)
TARGET_SPEED = "number.retrowalk_demo_treadmill_target_speed"
TARGET_INCLINE = "number.retrowalk_demo_treadmill_target_incline"


async def _set_speed(hass: HomeAssistant, value: float) -> None:
    await hass.services.async_call(
        "number", "set_value", {"entity_id": TARGET_SPEED, "value": value}, blocking=True
    )


async def _press(hass: HomeAssistant, key: str) -> None:
    await hass.services.async_call(
        "button", "press", {"entity_id": f"button.retrowalk_demo_treadmill_{key}"}, blocking=True
    )


def _assert_translated(err: HomeAssistantError, key: str) -> None:
    assert err.translation_key == key
    message = STRINGS["exceptions"][key]["message"]
    # Home Assistant leaves out the final full stop of translated messages.
    assert str(err) == message.format(**(err.translation_placeholders or {})).rstrip(".")


@pytest.mark.parametrize(
    ("misbehaviour", "key"),
    [
        ({"control_not_permitted": True}, "control_not_permitted"),
        ({"unsupported_ops": {ControlOp.SET_TARGET_SPEED}}, "not_supported"),
        (
            {"result_overrides": {ControlOp.SET_TARGET_SPEED: ResultCode.INVALID_PARAMETER}},
            "invalid_parameter",
        ),
        (
            {"result_overrides": {ControlOp.SET_TARGET_SPEED: ResultCode.OPERATION_FAILED}},
            "command_failed",
        ),
    ],
)
async def test_a_refused_command_gives_a_translated_error(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    treadmill: SimulatedTreadmill,
    misbehaviour: dict[str, Any],
    key: str,
) -> None:
    for name, value in misbehaviour.items():
        setattr(treadmill.misbehaviour, name, value)
    with pytest.raises(HomeAssistantError) as raised:
        await _set_speed(hass, 2.0)
    _assert_translated(raised.value, key)


async def test_a_command_without_an_answer_times_out(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    treadmill: SimulatedTreadmill,
    freezer: FrozenDateTimeFactory,
) -> None:
    treadmill.misbehaviour.drop_responses = True
    command = asyncio.ensure_future(_set_speed(hass, 2.0))
    # Not async_block_till_done: it would wait for the very command that waits for time.
    for _ in range(int(DEFAULT_RESPONSE_TIMEOUT_S / 0.5) + 2):
        freezer.tick(0.5)
        async_fire_time_changed(hass)
        for _ in range(10):
            await asyncio.sleep(0)
    with pytest.raises(HomeAssistantError) as raised:
        await command
    _assert_translated(raised.value, "command_timeout")


async def test_a_command_while_the_treadmill_is_away(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, treadmill: SimulatedTreadmill
) -> None:
    treadmill.set_in_range(False)
    await hass.async_block_till_done()
    # The entities are unavailable; an action called anyway explains why nothing happens.
    with pytest.raises(HomeAssistantError) as raised:
        await loaded_entry.runtime_data.async_start_belt()
    _assert_translated(raised.value, "not_connected")


async def test_pause_and_stop_by_button(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, treadmill: SimulatedTreadmill
) -> None:
    await _press(hass, "start_or_resume")
    await _set_speed(hass, 2.0)
    await treadmill.advance(4)
    await _press(hass, "pause")
    await treadmill.advance(6)
    assert treadmill.speed_kmh == 0.0
    assert treadmill.written_ops[-1] == ControlOp.STOP_OR_PAUSE
    assert treadmill.writes[-1].parameter == b"\x02"
    await _press(hass, "stop")
    assert treadmill.writes[-1].parameter == b"\x01"


async def test_target_incline(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, treadmill: SimulatedTreadmill
) -> None:
    state = hass.states.get(TARGET_INCLINE)
    assert state is not None
    # The treadmill goes to 12 %, the default incline limit stops the control at 3 %.
    assert state.attributes["max"] == 3.0
    assert state.attributes["step"] == 0.5
    await _press(hass, "start_or_resume")
    await hass.services.async_call(
        "number", "set_value", {"entity_id": TARGET_INCLINE, "value": 1.5}, blocking=True
    )
    await treadmill.advance(6)
    await hass.async_block_till_done()
    assert treadmill.inclination_pct == 1.5
    assert float(hass.states.get(TARGET_INCLINE).state) == 1.5
    with pytest.raises(ServiceValidationError):
        await hass.services.async_call(
            "number", "set_value", {"entity_id": TARGET_INCLINE, "value": 3.5}, blocking=True
        )


async def test_ready_without_a_turnaround_is_refused(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, treadmill: SimulatedTreadmill
) -> None:
    writes = len(treadmill.writes)
    with pytest.raises(ServiceValidationError) as raised:
        await _press(hass, "ready")
    _assert_translated(raised.value, "not_waiting_for_ready")
    assert len(treadmill.writes) == writes


async def test_start_or_resume_starts_the_belt_at_its_lowest_speed(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, treadmill: SimulatedTreadmill
) -> None:
    """Resuming would return to the speed the treadmill holds, maybe above today's limit."""
    await _press(hass, "start_or_resume")
    await _set_speed(hass, 3.9)  # forward: within the 4.0 km/h forward limit
    await treadmill.advance(10)
    await _press(hass, "pause")
    await treadmill.advance(10)
    await hass.services.async_call(
        "select",
        "select_option",
        {"entity_id": "select.retrowalk_demo_treadmill_walking_direction", "option": "backward"},
        blocking=True,
    )
    since = len(treadmill.writes)
    await _press(hass, "start_or_resume")
    await treadmill.advance(10)
    assert [write.op for write in treadmill.writes[since:]] == [
        ControlOp.START_OR_RESUME,
        ControlOp.SET_TARGET_SPEED,
    ]
    assert treadmill.speed_kmh == 0.8  # the backward limit is 3.2


async def test_turning_the_retro_walk_off_stops_a_belt_walked_without_a_program(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, treadmill: SimulatedTreadmill
) -> None:
    await _press(hass, "start_or_resume")
    await _set_speed(hass, 2.0)
    await treadmill.advance(6)
    await hass.services.async_call(
        "switch",
        "turn_off",
        {"entity_id": "switch.retrowalk_demo_treadmill_retro_walk"},
        blocking=True,
    )
    assert treadmill.written_ops[-1] == ControlOp.STOP_OR_PAUSE
    assert treadmill.writes[-1].parameter == b"\x01"
    await treadmill.advance(10)
    assert treadmill.speed_kmh == 0.0

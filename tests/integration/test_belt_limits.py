"""The controls keep to the limits of the way one walks, and to a program's hold on the belt."""

from dataclasses import replace
from typing import Any

from homeassistant.const import STATE_UNAVAILABLE, UnitOfLength
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.exceptions import ServiceValidationError
from homeassistant.util.unit_system import US_CUSTOMARY_SYSTEM
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.retrowalk.const import CONF_SPEED_UNIT, DOMAIN, EVENT_SAFETY_STOP
from custom_components.retrowalk.program import SafetyReason
from retrowalk_sim import DEMO_PROFILE, SimulatedTreadmill, SupportedRange
from tests.conftest import entry_for
from tests.integration.conftest import Op, Walk
from tests.integration.test_options_flow import form_input, save_options
from tests.integration.test_safety import walk_at_speed, walk_to_turnaround


@pytest.fixture
def entry_options() -> dict[str, Any]:
    """Options of the treadmill's entry; tests parametrize it."""
    return {}


@pytest.fixture
def entry(treadmill: SimulatedTreadmill, entry_options: dict[str, Any]) -> MockConfigEntry:
    """The treadmill's entry, with this test's options."""
    return entry_for(treadmill, **entry_options)


async def _set_speed(walk: Walk, value: float) -> None:
    await walk.hass.services.async_call(
        "number",
        "set_value",
        {"entity_id": walk.entity_id("number", "target_speed"), "value": value},
        blocking=True,
    )
    await walk.settle()


async def _choose_direction(walk: Walk, direction: str) -> None:
    await walk.hass.services.async_call(
        "select",
        "select_option",
        {"entity_id": walk.entity_id("select", "walking_direction"), "option": direction},
        blocking=True,
    )
    await walk.settle()


def _max_speed(walk: Walk) -> float:
    state = walk.hass.states.get(walk.entity_id("number", "target_speed"))
    assert state is not None
    return float(state.attributes["max"])


async def test_walking_backward_by_hand_the_backward_limit_holds(walk: Walk) -> None:
    assert _max_speed(walk) == 4.0  # forward: the forward limit
    await _choose_direction(walk, "backward")
    assert _max_speed(walk) == 3.2
    await walk.press("start")
    since = walk.write_count
    with pytest.raises(ServiceValidationError):
        await _set_speed(walk, 3.5)
    assert not [c for c in walk.commands(since) if c.op is Op.SPEED]
    await _set_speed(walk, 3.2)
    assert [c.value for c in walk.commands(since) if c.op is Op.SPEED] == [3.2]


async def test_in_a_backward_segment_the_backward_limit_holds(walk: Walk) -> None:
    await walk.call(
        "start_program",
        segments=[
            {"direction": "forward", "minutes": 0.5, "speed": 2.0},
            {"direction": "backward", "minutes": 3, "speed": 1.2},
        ],
    )
    await walk.run_until(lambda: walk.snapshot.waiting_for_ready, within_s=60)
    await walk.run_until(lambda: walk.treadmill.speed_kmh == 0, within_s=10)
    await walk.press("ready")
    await walk.run_until(lambda: walk.snapshot.belt_running, within_s=10)
    assert _max_speed(walk) == 3.2
    # The coordinator refuses too, whatever calls it.
    with pytest.raises(ServiceValidationError) as raised:
        await walk.entry.runtime_data.async_set_target_speed(3.5)
    assert raised.value.translation_key == "speed_above_direction_limit"
    assert str(raised.value) == (
        f"3.5 km/h is above your backward speed limit of 3.2 km/h for {walk.entry.title}"
    )


@pytest.mark.parametrize("entry_options", [{CONF_SPEED_UNIT: "mph"}])
async def test_a_speed_above_the_limit_is_refused_in_mph_for_an_mph_user(walk: Walk) -> None:
    since = walk.write_count
    with pytest.raises(ServiceValidationError) as raised:
        await walk.entry.runtime_data.async_set_target_speed(4.5)
    # 4.5 km/h is 2.8 mph; the forward limit, 4 km/h, 2.49 mph.
    assert str(raised.value) == (
        f"2.8 mph is above your forward speed limit of 2.49 mph for {walk.entry.title}"
    )
    assert walk.write_count == since


async def test_no_speed_or_incline_while_the_program_holds_the_belt(walk: Walk) -> None:
    await walk_to_turnaround(walk)
    since = walk.write_count
    for entity, value in (("target_speed", 2.0), ("target_incline", 1.0)):
        with pytest.raises(ServiceValidationError) as raised:
            await walk.hass.services.async_call(
                "number",
                "set_value",
                {"entity_id": walk.entity_id("number", entity), "value": value},
                blocking=True,
            )
        assert raised.value.translation_key == "program_holds_belt"
    assert walk.write_count == since
    assert walk.treadmill.speed_kmh == 0


async def test_an_owed_stop_is_sent_once_and_not_to_a_later_walk(walk: Walk) -> None:
    await walk_at_speed(walk)
    walk.treadmill.drop_link()
    await walk.settle()
    assert walk.snapshot.belt_stop_failed
    # The safety stop is announced while the treadmill is away.
    event = walk.hass.states.get(walk.entity_id("event", "safety_stop"))
    assert event is not None
    assert event.state != STATE_UNAVAILABLE
    assert event.attributes["event_type"] == SafetyReason.LINK_LOST

    await walk.run_until(lambda: walk.entry.runtime_data.connected, within_s=30)
    await walk.run_until(lambda: walk.treadmill.speed_kmh == 0, within_s=15)

    # A walk by hand afterwards, and another lost link: nothing is owed, nothing is stopped.
    await walk.press("start")
    await _set_speed(walk, 2.0)
    await walk.run_until(lambda: walk.treadmill.speed_kmh == 2.0, within_s=10)
    since = walk.write_count
    walk.treadmill.drop_link()
    await walk.settle()
    await walk.run_until(lambda: walk.entry.runtime_data.connected, within_s=30)
    await walk.tick(5)
    assert Op.STOP not in [c.op for c in walk.commands(since)]
    assert walk.treadmill.speed_kmh == 2.0


async def test_distances_in_kilometres_for_metric_units(walk: Walk) -> None:
    states = {state.entity_id: state for state in walk.hass.states.async_all("sensor")}
    distance = states[walk.entity_id("sensor", "distance")]
    assert distance.attributes["unit_of_measurement"] == UnitOfLength.KILOMETERS


@pytest.fixture
def us_units(hass: HomeAssistant) -> None:
    hass.config.units = US_CUSTOMARY_SYSTEM


@pytest.mark.usefixtures("us_units")
async def test_distances_in_miles_for_us_customary_units(walk: Walk) -> None:
    states = {state.entity_id: state for state in walk.hass.states.async_all("sensor")}
    distance = states[walk.entity_id("sensor", "distance")]
    total = states[walk.entity_id("sensor", "total_backward_distance")]
    assert distance.attributes["unit_of_measurement"] == UnitOfLength.MILES
    assert total.attributes["unit_of_measurement"] == UnitOfLength.MILES


# What the program holds, it holds ------------------------------------------------------------


async def test_ready_is_refused_while_the_belt_still_coasts(walk: Walk) -> None:
    await walk.call(
        "start_program",
        segments=[
            {"direction": "forward", "minutes": 0.5, "speed": 2.0},
            {"direction": "backward", "minutes": 0.5, "speed": 1.2},
        ],
    )
    await walk.run_until(lambda: walk.snapshot.waiting_for_ready, within_s=60)
    assert walk.treadmill.speed_kmh > 0  # the pause is answered before the belt stands
    with pytest.raises(ServiceValidationError) as raised:
        await walk.press("ready")
    assert raised.value.translation_key == "belt_still_moving"
    await walk.run_until(lambda: walk.treadmill.speed_kmh == 0, within_s=10)
    await walk.press("ready")
    await walk.run_until(lambda: walk.snapshot.belt_running, within_s=10)


async def test_a_belt_started_on_the_console_at_a_turnaround_is_stopped(walk: Walk) -> None:
    await walk_to_turnaround(walk)
    since = walk.write_count
    walk.treadmill.console_start()
    await walk.settle()
    assert walk.snapshot.abort_reason is SafetyReason.BELT_STARTED_WHILE_HELD
    await walk.run_until(lambda: walk.treadmill.speed_kmh == 0, within_s=10)
    assert Op.STOP in [c.op for c in walk.commands(since)]
    assert [e["reason"] for e in walk.safety_events] == ["belt_started_while_held"]


async def test_a_console_stop_right_after_our_pause_ends_the_program(walk: Walk) -> None:
    await walk_to_turnaround(walk)
    # Within the echo window of our own pause, but a stop, not a pause: the person's.
    walk.treadmill.console_stop()
    await walk.settle()
    assert walk.snapshot.abort_reason is SafetyReason.CONSOLE_STOP


@pytest.mark.parametrize("entry_options", [{"presence_entity": "binary_sensor.mat"}])
async def test_a_program_started_from_a_safety_stop_keeps_its_sensor_watch(walk: Walk) -> None:
    """An automation restarts the program when one ends: the new program still watches."""
    hass = walk.hass
    hass.states.async_set("binary_sensor.mat", "on")
    await walk_at_speed(walk, 1.5)

    @callback
    def start_again(event: Event) -> None:
        if not restarted:
            restarted.append(event)
            hass.async_create_task(
                hass.services.async_call(
                    DOMAIN,
                    "start_program",
                    {"device_id": walk.device_id, "level": "beginner"},
                    blocking=True,
                )
            )

    restarted: list[Event] = []
    unsubscribe = hass.bus.async_listen(EVENT_SAFETY_STOP, start_again)
    try:
        await walk.press("stop")
        await walk.tick(2)
        await walk.run_until(lambda: walk.treadmill.speed_kmh >= 1.0, within_s=60)
        hass.states.async_set("binary_sensor.mat", "off")
        await walk.run_until(lambda: not walk.program.running, within_s=30)
    finally:
        unsubscribe()
    assert walk.snapshot.abort_reason is SafetyReason.PRESENCE_LOST


@pytest.mark.parametrize(
    "entry_options",
    [
        {
            "safety": {"heart_rate_limit": 120},
            "device": {"quirk_request_control_before_each": True},
        }
    ],
)
async def test_a_safety_stop_reaches_a_strict_treadmill(walk: Walk) -> None:
    """A treadmill that refuses writes while busy still gets the stop, right after."""
    walk.treadmill.misbehaviour.refuse_while_busy = True
    await walk_at_speed(walk, 1.5)
    since = walk.write_count
    walk.treadmill.set_heart_rate(130)
    await walk.run_until(lambda: walk.treadmill.speed_kmh == 0, within_s=15)
    assert walk.snapshot.abort_reason is SafetyReason.HEART_RATE
    assert not walk.snapshot.belt_stop_failed
    assert Op.STOP in [c.op for c in walk.commands(since)]


# Options changed during a walk guard it at once ----------------------------------------------


async def test_a_heart_rate_limit_lowered_during_a_walk_stops_the_belt(walk: Walk) -> None:
    walk.treadmill.set_heart_rate(110)
    await walk_at_speed(walk, 1.5)
    await save_options(walk.hass, walk.entry, form_input(heart_rate_limit=120))
    await walk.tick(2)
    assert walk.program.running  # 110 is under 120
    await save_options(walk.hass, walk.entry, form_input(heart_rate_limit=100))
    await walk.settle()
    assert walk.snapshot.abort_reason is SafetyReason.HEART_RATE
    await walk.run_until(lambda: walk.treadmill.speed_kmh == 0, within_s=10)


@pytest.mark.parametrize("entry_options", [{"presence_entity": "binary_sensor.mat"}])
async def test_a_presence_sensor_unlinked_during_a_walk_no_longer_counts(walk: Walk) -> None:
    walk.hass.states.async_set("binary_sensor.mat", "on")
    await walk_at_speed(walk, 1.5)
    walk.hass.states.async_set("binary_sensor.mat", "off")
    await walk.tick(2)
    # The mat's batteries died; the person unlinks it before its timeout (5 s) runs out.
    await save_options(walk.hass, walk.entry, form_input())
    await walk.tick(10)
    assert walk.program.running


async def test_a_speed_limit_lowered_during_a_walk_brings_the_belt_down_to_it(
    walk: Walk,
) -> None:
    await walk_at_speed(walk, 2.0)  # the warm-up, forward, on its way to 2.5 km/h
    since = walk.write_count
    await save_options(walk.hass, walk.entry, form_input(max_forward_speed=1.2))
    await walk.run_until(lambda: walk.treadmill.speed_kmh == 1.2, within_s=30)
    await walk.tick(20)
    assert walk.program.running
    assert walk.treadmill.speed_kmh == 1.2
    speeds = [c.value for c in walk.commands(since) if c.op is Op.SPEED]
    assert speeds == sorted(speeds, reverse=True)  # down in steps, never back up
    assert speeds[-1] == 1.2


async def test_a_speed_limit_the_treadmill_cannot_keep_ends_the_walk_gently(
    walk: Walk, caplog: pytest.LogCaptureFixture
) -> None:
    await walk_at_speed(walk, 1.5)
    # The demo treadmill's lowest speed is 0.8 km/h.
    await save_options(walk.hass, walk.entry, form_input(max_forward_speed=0.5))
    await walk.run_until(lambda: not walk.program.running, within_s=60)
    await walk.run_until(lambda: walk.treadmill.speed_kmh == 0, within_s=10)
    assert walk.snapshot.ended_early
    assert walk.snapshot.abort_reason is None
    assert "cannot keep the new limits" in caplog.text


# A limit below the treadmill's lowest setting: the controls refuse, translated ----------------


def _number_bounds(walk: Walk, key: str) -> tuple[float, float]:
    state = walk.hass.states.get(walk.entity_id("number", key))
    assert state is not None
    return float(state.attributes["min"]), float(state.attributes["max"])


@pytest.mark.parametrize("entry_options", [{"safety": {"max_backward_speed": 0.5}}])
async def test_a_backward_limit_below_the_lowest_speed_refuses_it_translated(
    walk: Walk,
) -> None:
    await _choose_direction(walk, "backward")
    # The demo treadmill's lowest speed, 0.8 km/h, is above the backward limit, 0.5 km/h.
    assert _number_bounds(walk, "target_speed") == (0.8, 0.8)
    since = walk.write_count
    with pytest.raises(ServiceValidationError) as raised:
        await _set_speed(walk, 0.8)
    assert raised.value.translation_key == "speed_above_direction_limit"
    assert str(raised.value) == (
        f"0.8 km/h is above your backward speed limit of 0.5 km/h for {walk.entry.title}"
    )
    assert walk.write_count == since
    await _choose_direction(walk, "forward")
    await _set_speed(walk, 0.8)
    assert [c.value for c in walk.commands(since) if c.op is Op.SPEED] == [0.8]


@pytest.mark.parametrize(
    "entry_options", [{CONF_SPEED_UNIT: "mph", "safety": {"max_backward_speed": 0.5}}]
)
async def test_a_backward_limit_below_the_lowest_speed_refuses_it_in_mph(walk: Walk) -> None:
    await _choose_direction(walk, "backward")
    assert _number_bounds(walk, "target_speed") == (0.5, 0.5)  # 0.8 km/h is 0.497 mph
    since = walk.write_count
    with pytest.raises(ServiceValidationError) as raised:
        await _set_speed(walk, 0.5)
    assert raised.value.translation_key == "speed_above_direction_limit"
    assert str(raised.value) == (
        f"0.5 mph is above your backward speed limit of 0.31 mph for {walk.entry.title}"
    )
    assert walk.write_count == since


# A treadmill that never lies flat: its lowest incline is 1 %.
RAISED_DECK = replace(
    DEMO_PROFILE, inclination_range=SupportedRange(minimum=1.0, maximum=10.0, increment=0.5)
)


@pytest.mark.parametrize("profile", [RAISED_DECK])
@pytest.mark.parametrize("entry_options", [{"safety": {"max_incline": 0.0}}])
async def test_an_incline_limit_below_the_lowest_incline_refuses_it_translated(
    walk: Walk,
) -> None:
    assert _number_bounds(walk, "target_incline") == (1.0, 1.0)
    since = walk.write_count
    with pytest.raises(ServiceValidationError) as raised:
        await walk.hass.services.async_call(
            "number",
            "set_value",
            {"entity_id": walk.entity_id("number", "target_incline"), "value": 1.0},
            blocking=True,
        )
    assert raised.value.translation_key == "device_incline_minimum_above_limit"
    assert (
        str(raised.value)
        == "The treadmill's lowest incline (1 %) is above your incline limit (0 %)"
    )
    assert walk.write_count == since

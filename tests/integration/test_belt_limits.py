"""The controls keep to the limits of the way one walks, and to a program's hold on the belt."""

from homeassistant.const import STATE_UNAVAILABLE, UnitOfLength
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.util.unit_system import US_CUSTOMARY_SYSTEM
import pytest

from custom_components.retrowalk.program import SafetyReason
from tests.integration.conftest import Op, Walk
from tests.integration.test_safety import walk_at_speed, walk_to_turnaround


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
    await walk.press("ready")
    await walk.run_until(lambda: walk.snapshot.belt_running, within_s=10)
    assert _max_speed(walk) == 3.2
    # The coordinator refuses too, whatever calls it.
    with pytest.raises(ServiceValidationError) as raised:
        await walk.entry.runtime_data.async_set_target_speed(3.5)
    assert raised.value.translation_key == "speed_above_direction_limit"


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

"""Safety stops through Home Assistant: every trigger stops the belt and ends the program.

For each trigger the test walks a program until the belt moves, pulls the trigger the way it
happens in real life (through the simulated treadmill, a linked sensor's state, a button, an
action, Home Assistant itself) and checks the whole chain: the stop written to the treadmill
and the belt coming to a standstill, the program aborted with the trigger's reason (program
phase sensor, controller state), the retrowalk_safety_stop event on the bus and the Safety
stop event entity, and nothing sent afterwards that could move the belt again.
"""

from collections.abc import Awaitable, Callable
import itertools
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.retrowalk.ftms import ControlOp, ResultCode
from custom_components.retrowalk.program import Phase, SafetyReason
from retrowalk_sim import SimulatedTreadmill
from tests.conftest import entry_for
from tests.integration.conftest import Op, Walk
from tests.integration.test_options_flow import form_input, save_options

SETTLE_AFTER_STOP_S = 20.0


@pytest.fixture
def entry_options() -> dict[str, Any]:
    """The options stored in the entry; tests parametrize this."""
    return {}


@pytest.fixture
def entry(treadmill: SimulatedTreadmill, entry_options: dict[str, Any]) -> MockConfigEntry:
    """The treadmill's config entry with the test's options."""
    return entry_for(treadmill, **entry_options)


async def walk_at_speed(walk: Walk, kmh: float = 2.0, **program: Any) -> None:
    """Start a program (the beginner level unless told) and walk until the belt has ``kmh``."""
    await walk.call("start_program", **(program or {"level": "beginner"}))
    await walk.run_until(lambda: walk.treadmill.speed_kmh >= kmh, within_s=120)
    assert walk.program.running


async def walk_to_turnaround(walk: Walk) -> None:
    """Start a short program and walk until it waits at its first turnaround."""
    await walk.call(
        "start_program",
        segments=[
            {"direction": "forward", "minutes": 0.5, "speed": 2.0},
            {"direction": "backward", "minutes": 0.5, "speed": 1.2},
        ],
    )
    await walk.run_until(lambda: walk.snapshot.waiting_for_ready, within_s=60)
    await walk.run_until(lambda: walk.treadmill.speed_kmh == 0, within_s=5)


async def check_safety_stop(
    walk: Walk,
    reason: SafetyReason,
    *,
    phase: str,
    since: int,
    speed_kmh: float | None = None,
    entities: bool = True,
    stop_written: bool = True,
) -> None:
    """The whole chain of a safety stop, then nothing more for a while.

    ``since`` is the number of writes before the trigger; ``speed_kmh`` the belt speed the
    event should report; ``stop_written`` False when the link was down while the belt
    stood, so that there was neither a way nor a need to send it.
    """
    belt_from = len(walk.belt)
    await walk.tick(SETTLE_AFTER_STOP_S)

    # The program ended aborted, with that reason.
    snapshot = walk.snapshot
    assert snapshot.phase is Phase.ABORTED
    assert snapshot.abort_reason is reason
    assert not walk.program.running
    # The event on the bus, once, naming the treadmill, the reason, the phase and the speed.
    assert len(walk.safety_events) == 1, walk.safety_events
    event = walk.safety_events[0]
    assert event["device_id"] == walk.device_id
    assert event["reason"] == reason.value
    assert event["phase"] == phase
    if speed_kmh is not None:
        assert event["speed_kmh"] == pytest.approx(speed_kmh, abs=0.11)
    if entities:
        assert walk.state("sensor", "program_phase") == "aborted"
        assert walk.state("switch", "retro_walk") == "off"
        safety_stop = walk.hass.states.get(walk.entity_id("event", "safety_stop"))
        assert safety_stop is not None
        assert safety_stop.attributes["event_type"] == reason.value
        assert safety_stop.attributes["phase"] == phase

    # The stop went to the treadmill, and nothing that could move the belt.
    commands = walk.commands(since)
    assert (Op.STOP in [c.op for c in commands]) is stop_written, commands
    assert {c.op for c in commands} <= {Op.REQUEST_CONTROL, Op.STOP}, commands
    # The belt came to a standstill without ever speeding up again.
    speeds = [speed for _, speed in walk.belt[belt_from:]]
    assert all(after <= before for before, after in itertools.pairwise(speeds))
    assert walk.treadmill.speed_kmh == 0.0

    # Nothing more is sent, and a safety stop is never taken back.
    written = walk.write_count
    await walk.tick(SETTLE_AFTER_STOP_S)
    assert walk.write_count == written
    assert walk.treadmill.speed_kmh == 0.0
    assert len(walk.safety_events) == 1


# Heart rate -----------------------------------------------------------------------------


@pytest.mark.parametrize("entry_options", [{"safety": {"heart_rate_limit": 120}}])
async def test_heart_rate_from_the_treadmill(walk: Walk) -> None:
    walk.treadmill.set_heart_rate(110)
    await walk_at_speed(walk)
    # At the limit is not above it.
    walk.treadmill.set_heart_rate(120)
    await walk.tick(5)
    assert walk.program.running
    speed = walk.treadmill.speed_kmh
    since = walk.write_count

    walk.treadmill.set_heart_rate(121)
    await walk.tick()
    assert walk.snapshot.abort_reason is SafetyReason.HEART_RATE

    await check_safety_stop(
        walk, SafetyReason.HEART_RATE, phase="warm_up", since=since, speed_kmh=speed
    )


@pytest.mark.parametrize(
    "entry_options",
    [{"heart_rate_entity": "sensor.strap", "safety": {"heart_rate_limit": 120}}],
)
async def test_heart_rate_from_a_linked_sensor(hass: HomeAssistant, walk: Walk) -> None:
    hass.states.async_set("sensor.strap", "100")
    await walk_at_speed(walk)
    hass.states.async_set("sensor.strap", "120")
    await walk.tick(5)
    assert walk.program.running
    speed = walk.treadmill.speed_kmh
    since = walk.write_count

    hass.states.async_set("sensor.strap", "135")
    await walk.settle()
    # At once, without waiting for the next tick.
    assert walk.snapshot.abort_reason is SafetyReason.HEART_RATE
    assert [c.op for c in walk.commands(since)] == [Op.STOP]

    await check_safety_stop(
        walk, SafetyReason.HEART_RATE, phase="warm_up", since=since, speed_kmh=speed
    )


# Presence -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "entry_options",
    [{"presence_entity": "binary_sensor.mat", "safety": {"presence_timeout": 5}}],
)
async def test_presence_lost_longer_than_the_timeout(hass: HomeAssistant, walk: Walk) -> None:
    hass.states.async_set("binary_sensor.mat", "on")
    await walk_at_speed(walk)
    # A step off the mat shorter than the timeout is forgiven.
    hass.states.async_set("binary_sensor.mat", "off")
    await walk.tick(3)
    hass.states.async_set("binary_sensor.mat", "on")
    await walk.tick(10)
    assert walk.program.running

    hass.states.async_set("binary_sensor.mat", "off")
    await walk.tick(4.5)
    assert walk.program.running
    speed = walk.treadmill.speed_kmh
    since = walk.write_count
    await walk.tick(1)
    assert walk.snapshot.abort_reason is SafetyReason.PRESENCE_LOST

    await check_safety_stop(
        walk, SafetyReason.PRESENCE_LOST, phase="warm_up", since=since, speed_kmh=speed
    )


# The machine ------------------------------------------------------------------------------


async def test_safety_key_pulled(walk: Walk) -> None:
    await walk_at_speed(walk)
    speed = walk.treadmill.speed_kmh
    since = walk.write_count

    walk.treadmill.pull_safety_key()
    await walk.settle()
    assert walk.snapshot.abort_reason is SafetyReason.SAFETY_KEY

    await check_safety_stop(
        walk, SafetyReason.SAFETY_KEY, phase="warm_up", since=since, speed_kmh=speed
    )


async def test_control_permission_lost(walk: Walk) -> None:
    await walk_at_speed(walk)
    speed = walk.treadmill.speed_kmh
    since = walk.write_count

    walk.treadmill.revoke_control()
    await walk.settle()
    assert walk.snapshot.abort_reason is SafetyReason.CONTROL_LOST

    await check_safety_stop(
        walk, SafetyReason.CONTROL_LOST, phase="warm_up", since=since, speed_kmh=speed
    )


@pytest.mark.parametrize("press", ["console_stop", "console_pause"])
async def test_stop_or_pause_on_the_console(walk: Walk, press: str) -> None:
    await walk_at_speed(walk)
    speed = walk.treadmill.speed_kmh
    since = walk.write_count

    getattr(walk.treadmill, press)()
    await walk.settle()
    assert walk.snapshot.abort_reason is SafetyReason.CONSOLE_STOP

    await check_safety_stop(
        walk, SafetyReason.CONSOLE_STOP, phase="warm_up", since=since, speed_kmh=speed
    )


async def test_own_pauses_answered_late_are_not_console_stops(walk: Walk) -> None:
    """A slow machine reports our turnaround pauses late: still not the person's stop."""
    walk.treadmill.misbehaviour.response_delay_s = 1.0
    await walk.call(
        "start_program",
        segments=[
            {"direction": "forward", "minutes": 1, "speed": 2.0},
            {"direction": "backward", "minutes": 1, "speed": 1.2},
            {"direction": "forward", "minutes": 1, "speed": 2.0},
        ],
    )
    turnarounds = await walk.walk_program()

    assert len(turnarounds) == 2
    assert walk.snapshot.phase is Phase.FINISHED
    assert walk.safety_events == []
    ops = [c.op for c in walk.commands()]
    assert ops.count(Op.PAUSE) == 2
    assert ops[-1] is Op.STOP


async def test_link_lost_then_the_belt_is_stopped_on_reconnect(walk: Walk) -> None:
    await walk_at_speed(walk)
    speed = walk.treadmill.speed_kmh
    since = walk.write_count

    walk.treadmill.drop_link()
    await walk.settle()
    assert walk.snapshot.abort_reason is SafetyReason.LINK_LOST
    # The stop could not be sent; the belt of this machine runs on by itself.
    assert walk.snapshot.belt_stop_failed
    assert walk.write_count == since
    assert walk.treadmill.speed_kmh == pytest.approx(speed)

    # The treadmill advertises again, Home Assistant reconnects, sees the belt running and
    # stops it.
    waited = await walk.run_until(lambda: walk.entry.runtime_data.connected, within_s=30)
    await walk.run_until(lambda: Op.STOP in [c.op for c in walk.commands(since)], within_s=5)
    print(f"reconnected after {waited} s")

    await check_safety_stop(
        walk, SafetyReason.LINK_LOST, phase="warm_up", since=since, speed_kmh=speed
    )


# While the belt stands, the machine's events still end the program ---------------------


def _pull_safety_key(treadmill: SimulatedTreadmill) -> None:
    treadmill.pull_safety_key()


def _revoke_control(treadmill: SimulatedTreadmill) -> None:
    treadmill.revoke_control()


def _console_stop(treadmill: SimulatedTreadmill) -> None:
    treadmill.console_stop()


async def _stand_at_turnaround(walk: Walk) -> str:
    await walk_to_turnaround(walk)
    return "turnaround"


async def _stand_in_pause(walk: Walk) -> str:
    await walk_at_speed(walk)
    await walk.call("pause_program")
    await walk.run_until(lambda: walk.treadmill.speed_kmh == 0, within_s=10)
    return "warm_up"


@pytest.mark.parametrize("stand", [_stand_at_turnaround, _stand_in_pause])
@pytest.mark.parametrize(
    ("event", "reason"),
    [
        (_pull_safety_key, SafetyReason.SAFETY_KEY),
        (_revoke_control, SafetyReason.CONTROL_LOST),
        (_console_stop, SafetyReason.CONSOLE_STOP),
    ],
)
async def test_machine_events_while_the_belt_stands_end_the_program(
    walk: Walk,
    stand: Callable[[Walk], Awaitable[str]],
    event: Callable[[SimulatedTreadmill], None],
    reason: SafetyReason,
) -> None:
    """An event that needs an explicit new start ends the program even while it waits.

    Otherwise Ready or resume would start the belt again after someone else took control,
    or fail against a machine without its safety key.
    """
    phase = await stand(walk)
    await walk.tick(4)
    since = walk.write_count

    event(walk.treadmill)
    await walk.settle()
    assert walk.snapshot.abort_reason is reason

    await check_safety_stop(walk, reason, phase=phase, since=since, speed_kmh=0.0)
    # Neither Ready nor resume starts anything any more.
    written = walk.write_count
    with pytest.raises(ServiceValidationError):
        await walk.press("ready")
    with pytest.raises(ServiceValidationError):
        await walk.call("resume_program")
    await walk.tick(5)
    assert walk.write_count == written
    assert walk.treadmill.speed_kmh == 0.0


async def _press_ready(walk: Walk) -> None:
    await walk.press("ready")


async def _resume(walk: Walk) -> None:
    await walk.call("resume_program")


@pytest.mark.parametrize("entry_options", [{"safety": {"heart_rate_limit": 120}}])
@pytest.mark.parametrize(
    ("stand", "restart"), [(_stand_at_turnaround, _press_ready), (_stand_in_pause, _resume)]
)
async def test_a_heart_rate_over_the_limit_while_the_belt_stands_keeps_it_standing(
    walk: Walk,
    stand: Callable[[Walk], Awaitable[str]],
    restart: Callable[[Walk], Awaitable[None]],
) -> None:
    """Ready or resume with a racing heart ends the program instead of starting the belt."""
    walk.treadmill.set_heart_rate(110)
    phase = await stand(walk)
    walk.treadmill.set_heart_rate(140)  # on the way back to the rails
    await walk.tick(4)
    assert walk.program.running  # the belt stands: nothing to stop yet
    since = walk.write_count

    with pytest.raises(ServiceValidationError) as refused:
        await restart(walk)
    assert refused.value.translation_key == "safety_stop_while_held"
    assert Op.START not in [c.op for c in walk.commands(since)]
    await check_safety_stop(walk, SafetyReason.HEART_RATE, phase=phase, since=since, speed_kmh=0)


@pytest.mark.parametrize(
    "entry_options",
    [{"presence_entity": "binary_sensor.mat", "safety": {"presence_timeout": 5}}],
)
async def test_ready_with_nobody_on_the_belt_keeps_it_standing(
    hass: HomeAssistant, walk: Walk
) -> None:
    hass.states.async_set("binary_sensor.mat", "on")
    await walk_to_turnaround(walk)
    hass.states.async_set("binary_sensor.mat", "off")  # stepped off during the turnaround
    await walk.tick(10)
    assert walk.program.running
    since = walk.write_count
    with pytest.raises(ServiceValidationError):
        await walk.press("ready")  # from the dashboard, by someone else
    await check_safety_stop(
        walk, SafetyReason.PRESENCE_LOST, phase="turnaround", since=since, speed_kmh=0
    )


async def test_link_lost_at_a_turnaround_ends_the_program(walk: Walk) -> None:
    await walk_to_turnaround(walk)
    since = walk.write_count

    walk.treadmill.drop_link()
    await walk.settle()
    assert walk.snapshot.abort_reason is SafetyReason.LINK_LOST
    await walk.run_until(lambda: walk.entry.runtime_data.connected, within_s=30)

    # Back, with the belt standing: nothing is sent, and Ready starts nothing.
    await check_safety_stop(
        walk,
        SafetyReason.LINK_LOST,
        phase="turnaround",
        since=since,
        speed_kmh=0.0,
        stop_written=False,
    )
    with pytest.raises(ServiceValidationError):
        await walk.press("ready")
    await walk.tick(5)
    assert walk.write_count == since


# Time -----------------------------------------------------------------------------------


@pytest.mark.parametrize("entry_options", [{"safety": {"max_session_minutes": 1}}])
async def test_session_longer_than_the_limit(walk: Walk) -> None:
    # A program longer than the limit does not even start.
    with pytest.raises(ServiceValidationError) as refused:
        await walk.call("start_program", level="beginner")
    assert refused.value.translation_key == "session_too_long"
    assert walk.write_count == 0

    # A one-minute program does; the person turns the speed up on the console, and coming
    # back down from there would outlast the session limit.
    await walk_at_speed(walk, 1.6, segments=[{"direction": "backward", "minutes": 1, "speed": 1.6}])
    walk.treadmill.console_set_speed(5.0)
    await walk.run_until(lambda: walk.snapshot.ended, within_s=120)
    since = walk.write_count - 1
    assert walk.commands(since)[0].op is Op.STOP
    live = walk.program.live_snapshot()
    assert live is not None
    # The limit and its 30 s of grace.
    assert live.elapsed_s == pytest.approx(90, abs=1)

    await check_safety_stop(walk, SafetyReason.SESSION_TOO_LONG, phase="backward", since=since)


@pytest.mark.parametrize("entry_options", [{"safety": {"turnaround_timeout": 0.5}}])
async def test_nobody_ready_at_the_turnaround(walk: Walk) -> None:
    await walk_to_turnaround(walk)
    await walk.tick(25)
    assert walk.program.running
    since = walk.write_count

    await walk.run_until(lambda: walk.snapshot.ended, within_s=6)

    await check_safety_stop(
        walk, SafetyReason.TURNAROUND_TIMEOUT, phase="turnaround", since=since, speed_kmh=0.0
    )


async def test_paused_longer_than_five_minutes(walk: Walk) -> None:
    await walk_at_speed(walk)
    await walk.call("pause_program")
    await walk.tick(295)
    assert walk.program.running
    since = walk.write_count

    await walk.run_until(lambda: walk.snapshot.ended, within_s=6)

    await check_safety_stop(
        walk, SafetyReason.PAUSE_TOO_LONG, phase="warm_up", since=since, speed_kmh=0.0
    )


# The person -----------------------------------------------------------------------------


def _emergency_stop_action(walk: Walk) -> Awaitable[Any]:
    return walk.call("emergency_stop")


def _stop_button(walk: Walk) -> Awaitable[Any]:
    return walk.press("stop")


def _switch_off(walk: Walk) -> Awaitable[Any]:
    return walk.switch(on=False)


@pytest.mark.parametrize("stop", [_emergency_stop_action, _stop_button, _switch_off])
async def test_user_stop(walk: Walk, stop: Callable[[Walk], Awaitable[Any]]) -> None:
    await walk_at_speed(walk)
    speed = walk.treadmill.speed_kmh
    since = walk.write_count

    await stop(walk)
    # The stop is written before the action returns.
    assert [c.op for c in walk.commands(since)] == [Op.STOP]
    assert walk.snapshot.abort_reason is SafetyReason.USER_STOP

    await check_safety_stop(
        walk, SafetyReason.USER_STOP, phase="warm_up", since=since, speed_kmh=speed
    )


async def test_knee_pain_button(walk: Walk) -> None:
    await walk.call("start_program", level="beginner")
    await walk.run_until(lambda: walk.snapshot.waiting_for_ready, within_s=200)
    await walk.tick(3)
    await walk.press("ready")
    await walk.run_until(lambda: walk.treadmill.speed_kmh >= 1.2, within_s=30)
    speed = walk.treadmill.speed_kmh
    since = walk.write_count

    await walk.press("pain_stop")
    assert [c.op for c in walk.commands(since)] == [Op.STOP]
    assert walk.snapshot.pain_reported

    await check_safety_stop(
        walk, SafetyReason.PAIN_STOP, phase="backward", since=since, speed_kmh=speed
    )


# Home Assistant ---------------------------------------------------------------------------


async def test_entry_unloaded(hass: HomeAssistant, walk: Walk) -> None:
    await walk_at_speed(walk)
    speed = walk.treadmill.speed_kmh
    since = walk.write_count

    assert await hass.config_entries.async_unload(walk.entry.entry_id)
    await walk.settle()

    assert [c.op for c in walk.commands(since)] == [Op.STOP]
    assert not walk.treadmill.is_connected
    await check_safety_stop(
        walk,
        SafetyReason.HOME_ASSISTANT_STOPPING,
        phase="warm_up",
        since=since,
        speed_kmh=speed,
        entities=False,
    )


async def test_home_assistant_stopping(hass: HomeAssistant, walk: Walk) -> None:
    await walk_at_speed(walk)
    speed = walk.treadmill.speed_kmh
    since = walk.write_count

    await hass.async_stop()

    assert [c.op for c in walk.commands(since)][:1] == [Op.STOP]
    assert walk.snapshot.abort_reason is SafetyReason.HOME_ASSISTANT_STOPPING
    assert len(walk.safety_events) == 1
    assert walk.safety_events[0]["reason"] == "home_assistant_stopping"
    assert walk.safety_events[0]["phase"] == "warm_up"
    assert walk.safety_events[0]["speed_kmh"] == pytest.approx(speed, abs=0.11)
    # Written and answered while Home Assistant still waited.
    assert not walk.snapshot.belt_stop_failed
    for _ in range(20):
        await walk.treadmill.advance(1)
    assert walk.treadmill.speed_kmh == 0.0
    assert {c.op for c in walk.commands(since)} <= {Op.REQUEST_CONTROL, Op.STOP}


# A treadmill that reads speeds in mph ----------------------------------------------------------


@pytest.mark.parametrize("entry_options", [{"device": {"quirk_speed_in_mph": True}}])
async def test_a_treadmill_counting_in_mph_is_ramped_to_the_target(walk: Walk) -> None:
    """Its echo of 1.1 km/h is 1.09 km/h: not a change by hand that would end the ramp."""
    walk.treadmill.misbehaviour.speed_parameter_mph = True
    await walk_at_speed(walk, 2.4)  # the warm-up's 2.5 km/h, within a step
    assert walk.snapshot.segment_speed_kmh == 2.5


# A walk without a program -----------------------------------------------------------------------


async def walk_by_hand(walk: Walk, kmh: float = 2.0) -> None:
    """Start the belt from Home Assistant and set a speed, without a program."""
    await walk.press("start")
    await walk.hass.services.async_call(
        "number",
        "set_value",
        {"entity_id": walk.entity_id("number", "target_speed"), "value": kmh},
        blocking=True,
    )
    await walk.run_until(lambda: walk.treadmill.speed_kmh >= kmh, within_s=30)
    assert not walk.program.running


async def check_stop_without_a_program(walk: Walk, reason: SafetyReason, since: int) -> None:
    """The belt stopped once, announced once as a safety stop, and nothing more was sent."""
    await walk.run_until(lambda: walk.treadmill.speed_kmh == 0, within_s=15)
    await walk.tick(SETTLE_AFTER_STOP_S)
    assert [c.op for c in walk.commands(since) if c.op is not Op.REQUEST_CONTROL] == [Op.STOP]
    assert [event["reason"] for event in walk.safety_events] == [reason.value]
    assert walk.safety_events[0]["phase"] is None
    safety_stop = walk.hass.states.get(walk.entity_id("event", "safety_stop"))
    assert safety_stop is not None
    assert safety_stop.attributes["event_type"] == reason.value


@pytest.mark.parametrize("entry_options", [{"safety": {"heart_rate_limit": 120}}])
async def test_a_walk_without_a_program_stops_above_the_heart_rate_limit(walk: Walk) -> None:
    walk.treadmill.set_heart_rate(110)
    await walk_by_hand(walk)
    await walk.tick(10)
    assert walk.treadmill.speed_kmh == 2.0
    since = walk.write_count
    walk.treadmill.set_heart_rate(130)
    await check_stop_without_a_program(walk, SafetyReason.HEART_RATE, since)


@pytest.mark.parametrize(
    "entry_options",
    [{"heart_rate_entity": "sensor.strap", "safety": {"heart_rate_limit": 120}}],
)
async def test_a_walk_without_a_program_stops_on_a_linked_heart_rate(
    hass: HomeAssistant, walk: Walk
) -> None:
    hass.states.async_set("sensor.strap", "100")
    await walk_by_hand(walk)
    since = walk.write_count
    hass.states.async_set("sensor.strap", "135")
    await walk.settle()
    assert [c.op for c in walk.commands(since) if c.op is not Op.REQUEST_CONTROL] == [Op.STOP]
    await check_stop_without_a_program(walk, SafetyReason.HEART_RATE, since)


@pytest.mark.parametrize(
    "entry_options",
    [{"presence_entity": "binary_sensor.mat", "safety": {"presence_timeout": 5}}],
)
async def test_a_walk_without_a_program_stops_when_nobody_is_on_the_belt(
    hass: HomeAssistant, walk: Walk
) -> None:
    hass.states.async_set("binary_sensor.mat", "on")
    await walk_by_hand(walk)
    hass.states.async_set("binary_sensor.mat", "off")
    await walk.tick(4)
    assert walk.treadmill.speed_kmh == 2.0
    since = walk.write_count
    await walk.tick(1.5)
    await check_stop_without_a_program(walk, SafetyReason.PRESENCE_LOST, since)


@pytest.mark.parametrize("entry_options", [{"safety": {"max_session_minutes": 1}}])
async def test_a_walk_without_a_program_is_not_bound_by_the_session_limit(walk: Walk) -> None:
    await walk_by_hand(walk)
    await walk.tick(120)
    assert walk.treadmill.speed_kmh == 2.0
    assert walk.safety_events == []


@pytest.mark.parametrize("entry_options", [{"safety": {"heart_rate_limit": 120}}])
async def test_a_stop_on_the_console_during_a_walk_without_a_program_is_no_safety_stop(
    walk: Walk,
) -> None:
    walk.treadmill.set_heart_rate(110)
    await walk_by_hand(walk)
    since = walk.write_count
    walk.treadmill.console_stop()
    await walk.run_until(lambda: walk.treadmill.speed_kmh == 0, within_s=15)
    await walk.tick(SETTLE_AFTER_STOP_S)
    assert walk.commands(since) == []
    assert walk.safety_events == []
    # The next walk is watched again.
    await walk_by_hand(walk)
    since = walk.write_count
    walk.treadmill.set_heart_rate(130)
    await check_stop_without_a_program(walk, SafetyReason.HEART_RATE, since)


async def test_a_heart_rate_limit_set_during_a_walk_without_a_program_holds_at_once(
    walk: Walk,
) -> None:
    walk.treadmill.set_heart_rate(130)
    await walk_by_hand(walk)
    since = walk.write_count
    await save_options(walk.hass, walk.entry, form_input(heart_rate_limit=120))
    await check_stop_without_a_program(walk, SafetyReason.HEART_RATE, since)


@pytest.mark.parametrize("entry_options", [{"safety": {"heart_rate_limit": 120}}])
async def test_a_walk_without_a_program_is_watched_again_after_a_lost_link(walk: Walk) -> None:
    walk.treadmill.set_heart_rate(110)
    await walk_by_hand(walk)
    walk.treadmill.drop_link()
    await walk.settle()
    await walk.run_until(lambda: walk.entry.runtime_data.connected, within_s=30)
    assert walk.treadmill.speed_kmh == 2.0  # a lost link alone stops no walk by hand
    assert walk.safety_events == []
    since = walk.write_count
    walk.treadmill.set_heart_rate(130)
    await check_stop_without_a_program(walk, SafetyReason.HEART_RATE, since)


@pytest.mark.parametrize("entry_options", [{"safety": {"heart_rate_limit": 120}}])
async def test_a_walk_started_again_while_the_belt_coasts_is_watched(walk: Walk) -> None:
    walk.treadmill.set_heart_rate(110)
    await walk_by_hand(walk, 3.0)
    walk.treadmill.set_heart_rate(130)
    await walk.run_until(lambda: len(walk.safety_events) == 1, within_s=5)
    assert [event["reason"] for event in walk.safety_events] == ["heart_rate"]
    assert walk.treadmill.speed_kmh > 0  # still coasting
    await walk.press("start")  # at once, the heart rate still too high
    await walk.run_until(lambda: len(walk.safety_events) == 2, within_s=10)
    await walk.run_until(lambda: walk.treadmill.speed_kmh == 0, within_s=15)


@pytest.mark.parametrize("entry_options", [{"safety": {"heart_rate_limit": 120}}])
async def test_a_console_start_while_the_belt_coasts_is_watched_after_a_grace(
    walk: Walk,
) -> None:
    walk.treadmill.set_heart_rate(110)
    await walk_by_hand(walk, 3.0)
    walk.treadmill.set_heart_rate(130)
    await walk.run_until(lambda: len(walk.safety_events) == 1, within_s=5)
    assert walk.treadmill.speed_kmh > 0  # still coasting
    assert walk.treadmill.console_start()
    walk.treadmill.console_set_speed(2.0)
    waited = await walk.run_until(lambda: len(walk.safety_events) == 2, within_s=30)
    assert waited <= 12
    await walk.run_until(lambda: walk.treadmill.speed_kmh == 0, within_s=15)


async def test_start_is_taken_back_when_the_lowest_speed_is_refused(walk: Walk) -> None:
    walk.treadmill.misbehaviour.result_overrides[ControlOp.SET_TARGET_SPEED] = (
        ResultCode.OPERATION_FAILED
    )
    since = walk.write_count
    with pytest.raises(HomeAssistantError):
        await walk.press("start")
    ops = [c.op for c in walk.commands(since) if c.op is not Op.REQUEST_CONTROL]
    assert ops == [Op.START, Op.SPEED, Op.STOP]
    await walk.run_until(lambda: walk.treadmill.speed_kmh == 0, within_s=15)


@pytest.mark.parametrize(
    "entry_options",
    [{"presence_entity": "binary_sensor.mat", "safety": {"presence_timeout": 20}}],
)
async def test_ready_waits_for_someone_on_the_belt(hass: HomeAssistant, walk: Walk) -> None:
    hass.states.async_set("binary_sensor.mat", "on")
    await walk_to_turnaround(walk)
    hass.states.async_set("binary_sensor.mat", "off")
    await walk.tick(2)
    since = walk.write_count
    with pytest.raises(ServiceValidationError) as refused:
        await walk.press("ready")
    assert refused.value.translation_key == "nobody_on_belt"
    assert walk.program.running
    assert walk.commands(since) == []
    hass.states.async_set("binary_sensor.mat", "on")
    await walk.press("ready")
    await walk.run_until(lambda: walk.treadmill.speed_kmh > 0, within_s=10)
    assert walk.safety_events == []

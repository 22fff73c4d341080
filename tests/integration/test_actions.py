"""The actions' rules: every invalid call is refused, translated, before anything is sent.

One table row per rule: the state the treadmill and the program are in, the call (an action,
a button, the switch), and the translation key of the refusal. Each refusal must be a
ServiceValidationError whose message comes from strings.json with the placeholders it names,
and must leave the treadmill without a single write. The emergency stop is the exception to
every rule: it is never refused.
"""

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field, replace
import json
from pathlib import Path
import string
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import UnitOfSpeed
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import device_registry as dr
from homeassistant.util.unit_system import US_CUSTOMARY_SYSTEM
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.retrowalk.const import CONF_SPEED_UNIT, DOMAIN
from custom_components.retrowalk.options import error_placeholders
from custom_components.retrowalk.program import (
    DEFAULT_LIMITS,
    DeviceLimits,
    DeviceRange,
    Phase,
    ProgramError,
    SafetyReason,
    check_device,
    plan_from_parameters,
)
from custom_components.retrowalk.program.errors import SPEED_PLACEHOLDERS
from custom_components.retrowalk.program.limits import KMH_PER_MPH
from retrowalk_sim import DEMO_PROFILE, SimulatedTreadmill
from retrowalk_sim.ha import async_plug_in
from tests.conftest import entry_for
from tests.integration.conftest import Op, Walk

STRINGS = Path(__file__).parents[2] / "custom_components" / DOMAIN / "strings.json"
EXCEPTIONS: dict[str, dict[str, str]] = json.loads(STRINGS.read_text())["exceptions"]

UNKNOWN_DEVICE = "0123456789abcdef0123456789abcdef"

SECOND_PROFILE = replace(
    DEMO_PROFILE,
    local_name="RetroWalk Second Treadmill",
    address="AA:BB:CC:00:00:02",
    device_information=replace(
        DEMO_PROFILE.device_information, model="Second Treadmill", serial_number="RW-0002"
    ),
)


def placeholders_of(message: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(message) if name}


# The states a call can find --------------------------------------------------------------


async def _idle(walk: Walk) -> None:
    await walk.tick(1)


async def _running(walk: Walk) -> None:
    await walk.call("start_program", level="beginner")
    await walk.run_until(lambda: walk.treadmill.speed_kmh >= 1.5, within_s=30)


async def _waiting(walk: Walk) -> None:
    await walk.call(
        "start_program",
        segments=[
            {"direction": "forward", "minutes": 0.5, "speed": 2.0},
            {"direction": "backward", "minutes": 0.5, "speed": 1.2},
        ],
    )
    await walk.run_until(lambda: walk.snapshot.waiting_for_ready, within_s=60)
    await walk.tick(3)


async def _paused(walk: Walk) -> None:
    await _running(walk)
    await walk.call("pause_program")
    await walk.tick(3)


async def _disconnected(walk: Walk) -> None:
    walk.treadmill.set_in_range(False)
    await walk.tick(1)
    assert not walk.entry.runtime_data.connected


STATES: dict[str, Callable[[Walk], Awaitable[None]]] = {
    "idle": _idle,
    "running": _running,
    "waiting": _waiting,
    "paused": _paused,
    "disconnected": _disconnected,
}


@dataclass(frozen=True, slots=True)
class Refusal:
    """An invalid call and the translation key of its refusal."""

    state: str
    call: str
    """An action of the integration, ``button.<key>`` or ``switch.turn_on``."""
    key: str
    data: dict[str, Any] = field(default_factory=dict)
    device: str = "ours"
    """Whose device_id the call names: ours, unknown (no such device) or foreign."""


FORWARD = {"direction": "forward", "minutes": 2, "speed": 2.5}
BACKWARD = {"direction": "backward", "minutes": 2, "speed": 1.6}

REFUSALS: dict[str, Refusal] = {
    # Which treadmill.
    **{
        f"{service} unknown device": Refusal("idle", service, "unknown_device", device="unknown")
        for service in ("start_program", "stop_program", "pause_program", "resume_program", "ready")
    },
    "device of another integration": Refusal(
        "idle", "start_program", "unknown_device", device="foreign"
    ),
    "start not connected": Refusal("disconnected", "start_program", "not_connected"),
    "stop not connected": Refusal("disconnected", "stop_program", "not_connected"),
    "ready not connected": Refusal("disconnected", "ready", "not_connected"),
    # The limits.
    "backward speed above the limit": Refusal(
        "idle", "start_program", "too_fast_backward", {"backward_speed": 3.5}
    ),
    "forward speed above the limit": Refusal(
        "idle",
        "start_program",
        "speed_above_limit",
        {"segments": [{**FORWARD, "speed": 4.5}, BACKWARD]},
    ),
    "incline above the limit": Refusal(
        "idle", "start_program", "incline_out_of_range", {"incline": 3.5}
    ),
    "negative incline in a segment": Refusal(
        "idle",
        "start_program",
        "incline_out_of_range",
        {"segments": [FORWARD, {**BACKWARD, "incline": -1}]},
    ),
    "longer than the session limit": Refusal(
        "idle", "start_program", "session_too_long", {"level": "advanced", "backward_minutes": 40}
    ),
    # Segments that break the rules.
    "no backward segment": Refusal(
        "idle", "start_program", "no_backward_segment", {"segments": [FORWARD]}
    ),
    "segment too short": Refusal(
        "idle",
        "start_program",
        "duration_too_short",
        {"segments": [FORWARD, {**BACKWARD, "minutes": 0.25}]},
    ),
    "no segments": Refusal("idle", "start_program", "empty_plan", {"segments": []}),
    "segment without speed": Refusal(
        "idle",
        "start_program",
        "speed_not_positive",
        {"segments": [FORWARD, {**BACKWARD, "speed": 0}]},
    ),
    # One way to describe a program at a time.
    "level with parameters": Refusal(
        "idle",
        "start_program",
        "level_or_parameters",
        {"level": "beginner", "backward_speed": 1.6},
    ),
    "segments with a level": Refusal(
        "idle",
        "start_program",
        "segments_exclusive",
        {"level": "beginner", "segments": [FORWARD, BACKWARD]},
    ),
    "segments with parameters": Refusal(
        "idle",
        "start_program",
        "segments_exclusive",
        {"incline": 1, "segments": [FORWARD, BACKWARD]},
    ),
    # What the program is doing.
    "start while a program runs": Refusal("running", "start_program", "program_running"),
    "switch on while a program runs": Refusal("running", "switch.turn_on", "program_running"),
    **{
        f"{service} without a program": Refusal("idle", service, "no_program")
        for service in ("stop_program", "pause_program", "resume_program", "ready")
    },
    "resume while running": Refusal("running", "resume_program", "not_paused"),
    "resume button while running": Refusal("running", "button.start", "not_paused"),
    "resume at a turnaround": Refusal("waiting", "resume_program", "not_paused"),
    "ready while running": Refusal("running", "ready", "not_waiting_for_ready"),
    "ready button while running": Refusal("running", "button.ready", "not_waiting_for_ready"),
    "ready button without a program": Refusal("idle", "button.ready", "not_waiting_for_ready"),
    "ready while paused": Refusal("paused", "ready", "not_waiting_for_ready"),
    "pause at a turnaround": Refusal("waiting", "pause_program", "cannot_pause"),
    "pause button at a turnaround": Refusal("waiting", "button.pause", "cannot_pause"),
    "pause while paused": Refusal("paused", "pause_program", "cannot_pause"),
}


def foreign_device(hass: HomeAssistant) -> str:
    """A device that belongs to another integration."""
    other = MockConfigEntry(domain="other_integration")
    other.add_to_hass(hass)
    device = dr.async_get(hass).async_get_or_create(
        config_entry_id=other.entry_id, identifiers={("other_integration", "thing")}
    )
    return device.id


async def attempt(walk: Walk, refusal: Refusal) -> None:
    match refusal.call.split("."):
        case ["button", key]:
            await walk.press(key)
        case ["switch", _]:
            await walk.switch(on=True)
        case [service]:
            device_id = {
                "ours": walk.device_id,
                "unknown": UNKNOWN_DEVICE,
                "foreign": foreign_device(walk.hass) if refusal.device == "foreign" else "",
            }[refusal.device]
            await walk.call(service, device_id=device_id, **refusal.data)


@pytest.mark.parametrize("refusal", list(REFUSALS.values()), ids=list(REFUSALS))
async def test_invalid_call_is_refused_before_anything_is_sent(
    walk: Walk, refusal: Refusal
) -> None:
    await STATES[refusal.state](walk)
    written = walk.write_count
    program_before = walk.program.live_snapshot()

    with pytest.raises(ServiceValidationError) as caught:
        await attempt(walk, refusal)

    error = caught.value
    assert error.translation_domain == DOMAIN
    assert error.translation_key == refusal.key
    # Translated: the key exists, names exactly the placeholders given, and the message shown
    # is the translation with them filled in.
    assert refusal.key in EXCEPTIONS
    message = EXCEPTIONS[refusal.key]["message"]
    placeholders = error.translation_placeholders or {}
    assert placeholders_of(message) == set(placeholders)
    # (Home Assistant drops a translated message's final full stop.)
    assert str(error) == message.format(**placeholders).rstrip(".")
    # Nothing reached the treadmill, and the program (if any) goes on as before.
    await walk.settle()
    assert walk.write_count == written
    assert walk.program.live_snapshot() == program_before


async def test_the_table_covers_every_refusal_the_actions_can_give() -> None:
    """Every validation key the HA glue raises has a row (the program package's codes too)."""
    glue = {
        "unknown_device",
        "not_connected",
        "program_running",
        "no_program",
        "cannot_pause",
        "not_paused",
        "not_waiting_for_ready",
        "segments_exclusive",
        "level_or_parameters",
    }
    plan_rules = {
        "too_fast_backward",
        "speed_above_limit",
        "incline_out_of_range",
        "session_too_long",
        "no_backward_segment",
        "duration_too_short",
        "empty_plan",
        "speed_not_positive",
    }
    assert {refusal.key for refusal in REFUSALS.values()} == glue | plan_rules


# Speeds in the user's unit ----------------------------------------------------------------


@pytest.fixture
def entry_options() -> dict[str, Any]:
    """Options of the treadmill's entry; tests parametrize it."""
    return {}


@pytest.fixture
def entry(treadmill: SimulatedTreadmill, entry_options: dict[str, Any]) -> MockConfigEntry:
    """The treadmill's entry, with this test's options."""
    return entry_for(treadmill, **entry_options)


# A start_program call and its refusal for an mph user (Home Assistant drops the full stop).
MPH_REFUSALS: dict[str, tuple[dict[str, Any], str]] = {
    "backward above the backward limit": (
        {"backward_speed": 2.5},
        "Segment 2 (backward): 2.5 mph backward is above your backward speed limit of 1.99 mph",
    ),
    "forward above the forward limit": (
        {"segments": [{**FORWARD, "speed": 3}, BACKWARD]},
        "Segment 1 (warm_up): 3 mph is above your speed limit of 2.49 mph",
    ),
    "speed below zero": (
        {"segments": [FORWARD, {**BACKWARD, "speed": -1}]},
        "Segment 2 (backward): the speed must be above 0 (got -1 mph)",
    ),
}


@pytest.mark.parametrize(
    ("entry_options", "us_customary"),
    [({}, True), ({CONF_SPEED_UNIT: "mph"}, False)],
    ids=["us customary units", "mph in the options"],
)
@pytest.mark.parametrize(("data", "message"), list(MPH_REFUSALS.values()), ids=list(MPH_REFUSALS))
async def test_refusals_quote_speeds_in_mph_for_an_mph_user(
    hass: HomeAssistant, walk: Walk, us_customary: bool, data: dict[str, Any], message: str
) -> None:
    if us_customary:
        hass.config.units = US_CUSTOMARY_SYSTEM
    await walk.tick(1)
    written = walk.write_count

    with pytest.raises(ServiceValidationError) as caught:
        await walk.call("start_program", **data)

    assert str(caught.value) == message
    assert (caught.value.translation_placeholders or {})["unit"] == "mph"
    await walk.settle()
    assert walk.write_count == written


@pytest.mark.parametrize("entry_options", [{CONF_SPEED_UNIT: "km/h"}])
async def test_refusals_quote_km_h_when_chosen_over_us_customary_units(
    hass: HomeAssistant, walk: Walk
) -> None:
    hass.config.units = US_CUSTOMARY_SYSTEM
    with pytest.raises(ServiceValidationError) as caught:
        await walk.call("start_program", backward_speed=3.5)
    assert str(caught.value) == (
        "Segment 2 (backward): 3.5 km/h backward is above your backward speed limit of 3.2 km/h"
    )


def _raised(build: Callable[[], object]) -> ProgramError:
    with pytest.raises(ProgramError) as caught:
        build()
    return caught.value


def _device(speed: tuple[float, float, float]) -> Callable[[], object]:
    return lambda: check_device(DeviceLimits(DeviceRange(*speed)), DEFAULT_LIMITS)


def _parameters(**changes: float) -> Callable[[], object]:
    arguments = {"backward_minutes": 5.0, "backward_speed_kmh": 2.0} | changes
    device = DeviceLimits(DeviceRange(0.8, 16.0, 0.1))
    return lambda: plan_from_parameters(device=device, **arguments)  # type: ignore[arg-type]


# Every program error with speeds: how it arises, its message in km/h and in mph.
SPEED_MESSAGES: dict[str, tuple[Callable[[], object], str, str]] = {
    "device_speed_minimum_above_limit": (
        _device((4.0, 16.0, 0.1)),
        "The treadmill's lowest speed (4 km/h) is above your speed limit (3.2 km/h); "
        "raise the limit in the options or use another treadmill.",
        "The treadmill's lowest speed (2.49 mph) is above your speed limit (1.99 mph); "
        "raise the limit in the options or use another treadmill.",
    ),
    "speed_increment_too_coarse": (
        _device((1.0, 16.0, 1.0)),
        "The treadmill changes speed in steps of 1 km/h, more than the gentlest allowed step "
        "(0.5 km/h): RetroWalk cannot ramp it safely.",
        "The treadmill changes speed in steps of 0.62 mph, more than the gentlest allowed step "
        "(0.31 mph): RetroWalk cannot ramp it safely.",
    ),
    "too_fast_backward": (
        _parameters(backward_speed_kmh=2.5 * KMH_PER_MPH),
        "Segment 2 (backward): 4.02 km/h backward is above your backward speed limit of 3.2 km/h.",
        "Segment 2 (backward): 2.5 mph backward is above your backward speed limit of 1.99 mph.",
    ),
    "speed_above_limit": (
        _parameters(warm_up_speed_kmh=3 * KMH_PER_MPH),
        "Segment 1 (warm_up): 4.83 km/h is above your speed limit of 4 km/h.",
        "Segment 1 (warm_up): 3 mph is above your speed limit of 2.49 mph.",
    ),
    "speed_not_positive": (
        _parameters(backward_speed_kmh=-KMH_PER_MPH),
        "Segment 2 (backward): the speed must be above 0 (got -1.61 km/h).",
        "Segment 2 (backward): the speed must be above 0 (got -1 mph).",
    ),
}


@pytest.mark.parametrize(
    ("build", "in_kmh", "in_mph"), list(SPEED_MESSAGES.values()), ids=list(SPEED_MESSAGES)
)
def test_program_errors_with_speeds_read_in_the_users_unit(
    build: Callable[[], object], in_kmh: str, in_mph: str
) -> None:
    error = _raised(build)
    message = EXCEPTIONS[error.code.value]["message"]
    for unit, expected in (
        (UnitOfSpeed.KILOMETERS_PER_HOUR, in_kmh),
        (UnitOfSpeed.MILES_PER_HOUR, in_mph),
    ):
        placeholders = error_placeholders(error, unit)
        assert placeholders_of(message) == set(placeholders)
        assert message.format(**placeholders) == expected


def test_every_program_error_with_speeds_has_its_messages_above() -> None:
    assert set(SPEED_MESSAGES) == {code.value for code in SPEED_PLACEHOLDERS}


def test_no_refusal_names_a_speed_unit_of_its_own() -> None:
    """A speed's unit comes from the {unit} placeholder: the user's, never a fixed one."""
    for key, exception in EXCEPTIONS.items():
        assert "km/h" not in exception["message"], key
        assert "mph" not in exception["message"], key


# The emergency stop -----------------------------------------------------------------------


@pytest.fixture
async def second(
    hass: HomeAssistant, walk: Walk, freezer: FrozenDateTimeFactory
) -> AsyncIterator[Walk]:
    """A second treadmill in the same Home Assistant, its belt running without a program."""
    treadmill = SimulatedTreadmill(SECOND_PROFILE)
    proxy = await async_plug_in(hass, treadmill)
    entry = entry_for(treadmill)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    other = Walk(hass, entry, treadmill, freezer)
    walk.companions.append(treadmill)
    other.companions.append(walk.treadmill)
    await other.press("start")
    await walk.tick(2)
    assert treadmill.speed_kmh > 0
    yield other
    other.close()
    await hass.config_entries.async_unload(entry.entry_id)
    await proxy.async_unplug()
    await treadmill.aclose()


def stops(walk: Walk, since: int) -> int:
    return [c.op for c in walk.commands(since)].count(Op.STOP)


@pytest.mark.parametrize("device", ["none", "unknown", "foreign"])
async def test_emergency_stop_without_a_known_device_stops_every_treadmill(
    hass: HomeAssistant, walk: Walk, second: Walk, device: str
) -> None:
    await _running(walk)
    data = {
        "none": {},
        "unknown": {"device_id": UNKNOWN_DEVICE},
        "foreign": {"device_id": foreign_device(hass)},
    }[device]
    first_since, second_since = walk.write_count, second.write_count

    await hass.services.async_call(DOMAIN, "emergency_stop", data, blocking=True)

    # Both stops are written by the time the action returns.
    assert [c.op for c in walk.commands(first_since)] == [Op.STOP]
    assert [c.op for c in second.commands(second_since)] == [Op.STOP]
    await walk.tick(10)
    assert walk.treadmill.speed_kmh == 0.0
    assert second.treadmill.speed_kmh == 0.0
    assert walk.snapshot.phase is Phase.ABORTED
    assert walk.snapshot.abort_reason is SafetyReason.USER_STOP
    # Announced for each treadmill: the one without a program has no phase.
    events = {event["device_id"]: event for event in walk.safety_events}
    assert set(events) == {walk.device_id, second.device_id}
    assert events[walk.device_id]["phase"] == "warm_up"
    assert events[second.device_id]["phase"] is None
    assert {event["reason"] for event in events.values()} == {"user_stop"}


async def test_emergency_stop_of_one_treadmill(walk: Walk, second: Walk) -> None:
    await _running(walk)
    first_since, second_since = walk.write_count, second.write_count

    await second.call("emergency_stop")

    assert [c.op for c in second.commands(second_since)] == [Op.STOP]
    # The other treadmill's program goes on.
    await walk.tick(4)
    assert walk.program.running
    assert stops(walk, first_since) == 0
    assert walk.treadmill.speed_kmh > 0


async def test_emergency_stop_with_nothing_running_still_stops(walk: Walk) -> None:
    since = walk.write_count
    await walk.call("emergency_stop")
    await walk.call("emergency_stop", device_id=UNKNOWN_DEVICE)
    assert [c.op for c in walk.commands(since) if c.op is not Op.REQUEST_CONTROL] == [
        Op.STOP,
        Op.STOP,
    ]
    assert [event["reason"] for event in walk.safety_events] == ["user_stop", "user_stop"]


async def test_emergency_stop_does_not_wait_for_a_treadmill_that_does_not_answer(
    hass: HomeAssistant, walk: Walk, second: Walk
) -> None:
    """Every stop goes out at once, even when one treadmill never answers its stop."""
    await _running(walk)
    walk.treadmill.misbehaviour.drop_responses = True
    first_since, second_since = walk.write_count, second.write_count

    stopping = asyncio.create_task(
        hass.services.async_call(DOMAIN, "emergency_stop", {}, blocking=True)
    )
    await walk.settle()

    assert stops(walk, first_since) == 1
    assert stops(second, second_since) == 1
    # The silent treadmill's stop is reported as failed once its answer is overdue.
    await walk.run_until(stopping.done, within_s=10)
    with pytest.raises(HomeAssistantError) as failed:
        await stopping
    # (Reported as "not connected": the program's abort keeps only that its stop failed.)
    assert failed.value.translation_key in {"command_timeout", "not_connected"}
    assert (failed.value.translation_placeholders or {})["name"] == walk.entry.title
    await walk.tick(5)
    assert walk.treadmill.speed_kmh == 0.0
    assert second.treadmill.speed_kmh == 0.0

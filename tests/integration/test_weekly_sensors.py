"""The weekly sensors: what they show, when they start a new week, and how often they write.

The progress package's own tests cover the arithmetic of weeks, goals and progression in
depth; these show the sensors follow it inside Home Assistant: from a stored history, while
walking on the simulated treadmill, across the start of a week in a non-UTC time zone with a
DST change, and after the options change.
"""

from datetime import UTC, datetime
import itertools
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import EVENT_STATE_CHANGED
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.retrowalk.const import (
    CONF_FOLLOW_PROGRESSION,
    CONF_GOAL_MINUTES,
    CONF_GOAL_SESSIONS,
    CONF_WEEK_START,
    DOMAIN,
    SECTION_WEEKLY,
)
from custom_components.retrowalk.program import Phase
from custom_components.retrowalk.progress import EndReason, SessionRecord
from retrowalk_sim import SimulatedTreadmill
from tests.conftest import entry_for
from tests.integration.conftest import Walk
from tests.integration.history import retro_session, store_history
from tests.integration.test_options_flow import form_input, save_options

WEEKLY_KEYS = (
    "backward_minutes_this_week",
    "treadmill_minutes_this_week",
    "retro_sessions_this_week",
    "weekly_goal_progress",
    "weeks_goal_met_in_a_row",
    "last_retro_session",
    "suggested_backward_minutes",
    "total_backward_distance",
)


# Last week (Monday 9 to Sunday 15 November 2026), three retro sessions of five minutes: the
# goal of three sessions was met. The tests run on Wednesday 18 November.
LAST_WEEK_MET = [
    retro_session("2026-11-09T17:00:00+00:00"),
    retro_session("2026-11-11T17:00:00+00:00"),
    retro_session("2026-11-13T17:00:00+00:00"),
]


@pytest.fixture
def time_zone() -> str:
    return "US/Pacific"


@pytest.fixture
def stored_sessions() -> list[SessionRecord]:
    return []


@pytest.fixture
def entry_options() -> dict[str, Any]:
    return {}


@pytest.fixture
async def entry(
    hass: HomeAssistant,
    treadmill: SimulatedTreadmill,
    hass_storage: dict[str, Any],
    time_zone: str,
    stored_sessions: list[SessionRecord],
    entry_options: dict[str, Any],
) -> MockConfigEntry:
    """The entry, with Home Assistant's time zone and the history on disk set first."""
    await hass.config.async_set_time_zone(time_zone)
    entry = entry_for(treadmill, **entry_options)
    store_history(hass_storage, entry, stored_sessions)
    return entry


def shown(walk: Walk, key: str) -> str:
    return walk.state("sensor", key)


def attributes(walk: Walk, key: str) -> dict[str, Any]:
    state = walk.hass.states.get(walk.entity_id("sensor", key))
    assert state is not None
    return dict(state.attributes)


async def walk_backward(walk: Walk, seconds: float) -> None:
    """Walk backward by hand for ``seconds`` at 2 km/h, then stop."""
    await walk.hass.services.async_call(
        "select",
        "select_option",
        {"entity_id": walk.entity_id("select", "walking_direction"), "option": "backward"},
        blocking=True,
    )
    await walk.press("start")
    await walk.hass.services.async_call(
        "number",
        "set_value",
        {"entity_id": walk.entity_id("number", "target_speed"), "value": 2.0},
        blocking=True,
    )
    await walk.tick(seconds)
    await walk.press("stop")
    await walk.run_until(lambda: walk.treadmill.speed_kmh == 0, within_s=30)


async def jump_to(hass: HomeAssistant, freezer: FrozenDateTimeFactory, moment: str) -> None:
    freezer.move_to(moment)
    async_fire_time_changed(hass)
    await hass.async_block_till_done()


# What the sensors are -----------------------------------------------------------------------


@pytest.mark.freeze_time("2026-11-18T18:00:00+00:00")
async def test_sensors_of_a_first_week(walk: Walk) -> None:
    # Wednesday 10:00 in California; the week began on Monday at midnight, local time.
    monday = datetime(2026, 11, 16, 8, tzinfo=UTC)
    for key in ("backward_minutes_this_week", "treadmill_minutes_this_week"):
        state = attributes(walk, key)
        assert state["device_class"] == "duration"
        assert state["state_class"] == "total"
        assert state["unit_of_measurement"] == "min"
        assert datetime.fromisoformat(state["last_reset"]) == monday
        assert shown(walk, key) == "0.0"
    assert attributes(walk, "retro_sessions_this_week")["goal"] == 3
    assert shown(walk, "retro_sessions_this_week") == "0"
    progress = attributes(walk, "weekly_goal_progress")
    assert progress["unit_of_measurement"] == "%"
    assert progress["state_class"] == "measurement"
    assert shown(walk, "weekly_goal_progress") == "0.0"
    assert shown(walk, "weeks_goal_met_in_a_row") == "0"
    assert shown(walk, "last_retro_session") == "unknown"
    # No history: the level's own five minutes.
    assert shown(walk, "suggested_backward_minutes") == "5.0"
    assert attributes(walk, "suggested_backward_minutes")["rule"] == "start"
    distance = attributes(walk, "total_backward_distance")
    assert (distance["device_class"], distance["state_class"]) == ("distance", "total_increasing")
    assert distance["unit_of_measurement"] == "km"


@pytest.mark.freeze_time("2026-11-18T18:00:00+00:00")
async def test_sensors_stay_available_while_the_treadmill_is_away(walk: Walk) -> None:
    walk.treadmill.power_off()
    await walk.tick(2)

    assert walk.state("sensor", "speed") == "unavailable"
    for key in WEEKLY_KEYS:
        assert shown(walk, key) != "unavailable", key


@pytest.mark.freeze_time("2026-11-18T18:00:00+00:00")
@pytest.mark.parametrize("stored_sessions", [LAST_WEEK_MET])
async def test_sensors_from_the_stored_history(walk: Walk) -> None:
    assert shown(walk, "backward_minutes_this_week") == "0.0"
    assert shown(walk, "weeks_goal_met_in_a_row") == "1"
    assert datetime.fromisoformat(shown(walk, "last_retro_session")) == datetime(
        2026, 11, 13, 17, tzinfo=UTC
    )
    # Last week met the goal without pain: 10 % more.
    assert shown(walk, "suggested_backward_minutes") == "5.5"
    assert attributes(walk, "suggested_backward_minutes")["rule"] == "grow"
    assert float(shown(walk, "total_backward_distance")) == pytest.approx(0.36)

    await walk_backward(walk, 200)

    assert float(shown(walk, "backward_minutes_this_week")) == pytest.approx(200 / 60, abs=0.1)
    assert shown(walk, "retro_sessions_this_week") == "1"
    assert float(shown(walk, "weekly_goal_progress")) == pytest.approx(33.3)
    assert float(shown(walk, "total_backward_distance")) > 0.36 + 0.1


# How often they write -----------------------------------------------------------------------


@pytest.mark.freeze_time("2026-11-18T18:00:00+00:00")
async def test_sensors_write_at_most_once_a_minute_while_walking(
    hass: HomeAssistant, walk: Walk
) -> None:
    registry = er.async_get(hass)
    weekly = {
        registry.async_get_entity_id("sensor", DOMAIN, f"{walk.treadmill.address.upper()}_{key}")
        for key in WEEKLY_KEYS
    }
    writes: dict[str, list[datetime]] = {entity_id: [] for entity_id in weekly if entity_id}

    @callback
    def count(event: Event) -> None:
        if event.data["entity_id"] in writes:
            writes[event.data["entity_id"]].append(event.time_fired)

    unsubscribe = hass.bus.async_listen(EVENT_STATE_CHANGED, count)
    try:
        await walk_backward(walk, 6 * 60)
    finally:
        unsubscribe()

    minutes_entity = walk.entity_id("sensor", "backward_minutes_this_week")
    # Once a minute while walking, once at the stop.
    assert 6 <= len(writes[minutes_entity]) <= 7
    for entity_id, times in writes.items():
        assert len(times) <= 7, entity_id
        gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(times)]
        # Only the stop may follow a minute's write sooner than a minute.
        assert sum(1 for gap in gaps if gap < 59) <= 1, (entity_id, gaps)
    assert float(shown(walk, "backward_minutes_this_week")) == pytest.approx(6.0, abs=0.2)


# A new week ----------------------------------------------------------------------------------


@pytest.mark.freeze_time("2026-10-24T08:00:00+00:00")
@pytest.mark.parametrize("time_zone", ["Europe/Berlin"])
@pytest.mark.parametrize("entry_options", [{SECTION_WEEKLY: {CONF_WEEK_START: "sunday"}}])
async def test_a_new_week_begins_at_local_midnight_on_the_start_day_across_dst(
    hass: HomeAssistant, walk: Walk, freezer: FrozenDateTimeFactory
) -> None:
    # Saturday 24 October 2026, 10:00 in Berlin (summer time); weeks begin on Sunday.
    await walk_backward(walk, 4 * 60)
    assert float(shown(walk, "backward_minutes_this_week")) == pytest.approx(4.0, abs=0.1)
    assert datetime.fromisoformat(
        attributes(walk, "backward_minutes_this_week")["last_reset"]
    ) == datetime(2026, 10, 17, 22, tzinfo=UTC)

    # Sunday 25 October begins at 00:00 summer time, 22:00 UTC on Saturday.
    await jump_to(hass, freezer, "2026-10-24T21:59:59+00:00")
    assert float(shown(walk, "backward_minutes_this_week")) == pytest.approx(4.0, abs=0.1)
    await jump_to(hass, freezer, "2026-10-24T22:00:00+00:00")
    assert shown(walk, "backward_minutes_this_week") == "0.0"
    assert shown(walk, "treadmill_minutes_this_week") == "0.0"
    assert datetime.fromisoformat(
        attributes(walk, "backward_minutes_this_week")["last_reset"]
    ) == datetime(2026, 10, 24, 22, tzinfo=UTC)

    # The clocks go back that night: the week is 169 hours long and the next one begins on
    # Sunday 1 November at 00:00 winter time, 23:00 UTC on Saturday.
    await jump_to(hass, freezer, "2026-10-29T09:00:00+00:00")
    await walk_backward(walk, 200)
    assert shown(walk, "retro_sessions_this_week") == "1"
    await jump_to(hass, freezer, "2026-10-31T22:59:59+00:00")
    assert shown(walk, "retro_sessions_this_week") == "1"
    await jump_to(hass, freezer, "2026-10-31T23:00:00+00:00")
    assert shown(walk, "retro_sessions_this_week") == "0"
    assert datetime.fromisoformat(
        attributes(walk, "retro_sessions_this_week")["last_reset"]
    ) == datetime(2026, 10, 31, 23, tzinfo=UTC)
    # Totals over all weeks go on.
    assert float(shown(walk, "total_backward_distance")) > 0.2


@pytest.mark.freeze_time("2026-11-15T07:30:00+00:00")
@pytest.mark.parametrize("stored_sessions", [LAST_WEEK_MET])
async def test_the_progression_steps_up_when_the_week_ends(
    hass: HomeAssistant, walk: Walk, freezer: FrozenDateTimeFactory
) -> None:
    # Sunday night in California: this week's goal is met (three sessions), a streak of one.
    assert shown(walk, "weeks_goal_met_in_a_row") == "1"
    assert shown(walk, "weekly_goal_progress") == "100.0"
    assert shown(walk, "suggested_backward_minutes") == "5.0"

    # Monday 16 November, 00:00 in California.
    await jump_to(hass, freezer, "2026-11-16T08:00:00+00:00")
    assert shown(walk, "weekly_goal_progress") == "0.0"
    assert shown(walk, "weeks_goal_met_in_a_row") == "1"
    assert shown(walk, "suggested_backward_minutes") == "5.5"


# Options --------------------------------------------------------------------------------------


@pytest.mark.freeze_time("2026-11-13T18:00:00+00:00")
@pytest.mark.parametrize("stored_sessions", [LAST_WEEK_MET[:2]])
async def test_a_changed_goal_applies_at_once(hass: HomeAssistant, walk: Walk) -> None:
    # Two sessions of five minutes this week (Friday 13 November).
    assert shown(walk, "weekly_goal_progress") == pytest.approx("66.7")

    await save_options(
        hass,
        walk.entry,
        form_input(weekly={CONF_GOAL_SESSIONS: 2, CONF_GOAL_MINUTES: 20}),
    )

    # Both goals: two sessions are enough, ten of twenty minutes are not.
    assert shown(walk, "weekly_goal_progress") == "50.0"
    assert attributes(walk, "weekly_goal_progress")["goal_minutes"] == 20
    assert attributes(walk, "retro_sessions_this_week")["goal"] == 2

    # A week starting on Friday holds neither session.
    await save_options(hass, walk.entry, form_input(weekly={CONF_WEEK_START: "friday"}))
    assert shown(walk, "backward_minutes_this_week") == "0.0"
    assert datetime.fromisoformat(
        attributes(walk, "backward_minutes_this_week")["last_reset"]
    ) == datetime(2026, 11, 13, 8, tzinfo=UTC)


@pytest.mark.freeze_time("2026-11-13T18:00:00+00:00")
async def test_a_week_needs_a_goal(hass: HomeAssistant, walk: Walk) -> None:
    result = await hass.config_entries.options.async_init(walk.entry.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], form_input(weekly={CONF_GOAL_SESSIONS: 0})
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "goal_required"}

    result = await hass.config_entries.options.async_configure(
        result["flow_id"], form_input(weekly={CONF_GOAL_SESSIONS: 0, CONF_GOAL_MINUTES: 30})
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert attributes(walk, "retro_sessions_this_week")["goal"] is None
    assert attributes(walk, "weekly_goal_progress")["goal_minutes"] == 30


@pytest.mark.freeze_time("2026-11-13T18:00:00+00:00")
@pytest.mark.parametrize("entry_options", [{SECTION_WEEKLY: {CONF_GOAL_SESSIONS: 0}}])
async def test_an_entry_without_any_goal_counts_the_default_goal(walk: Walk) -> None:
    # Only a hand-edited entry can hold no goal at all: it counts towards 3 sessions.
    assert attributes(walk, "retro_sessions_this_week")["goal"] == 3


# The progression starts programs -------------------------------------------------------------


def backward_seconds(response: Any) -> list[float]:
    return [s["duration_s"] for s in response["segments"] if s["phase"] == "backward"]


@pytest.mark.freeze_time("2026-11-18T18:00:00+00:00")
@pytest.mark.parametrize("stored_sessions", [LAST_WEEK_MET])
async def test_programs_without_backward_minutes_follow_the_progression(walk: Walk) -> None:
    await walk.switch(on=True)
    plan = walk.program.plan
    assert plan is not None
    assert [s.duration_s for s in plan.segments if s.phase is Phase.BACKWARD] == [330]
    await walk.switch(on=False)
    await walk.tick(10)

    response = await walk.call("start_program", return_response=True)
    assert backward_seconds(response) == [330]
    await walk.call("emergency_stop")
    await walk.tick(10)

    # Given minutes win; so does another level's own progression.
    response = await walk.call("start_program", backward_minutes=7, return_response=True)
    assert backward_seconds(response) == [420]
    await walk.call("emergency_stop")
    await walk.tick(10)
    response = await walk.call("start_program", backward_speed=1.5, return_response=True)
    assert backward_seconds(response) == [330]
    await walk.call("emergency_stop")


@pytest.mark.freeze_time("2026-11-18T18:00:00+00:00")
@pytest.mark.parametrize("stored_sessions", [LAST_WEEK_MET])
@pytest.mark.parametrize("entry_options", [{SECTION_WEEKLY: {CONF_FOLLOW_PROGRESSION: False}}])
async def test_programs_keep_the_level_when_the_progression_is_off(walk: Walk) -> None:
    response = await walk.call("start_program", return_response=True)
    assert backward_seconds(response) == [300]
    await walk.call("emergency_stop")
    # The sensor still shows what the progression would suggest.
    assert shown(walk, "suggested_backward_minutes") == "5.5"


@pytest.mark.freeze_time("2026-11-18T18:00:00+00:00")
@pytest.mark.parametrize(
    "stored_sessions",
    [
        [
            *LAST_WEEK_MET,
            retro_session("2026-11-16T17:00:00+00:00", 3.0, ended_by=EndReason.PAIN),
            retro_session("2026-11-17T17:00:00+00:00", 2.0, ended_by=EndReason.PAIN),
        ]
    ],
)
async def test_two_pain_stops_this_week_step_back_at_once(walk: Walk) -> None:
    # 5.5 minutes planned for this week, 10 % less after the second pain stop.
    assert shown(walk, "suggested_backward_minutes") == "4.9"
    assert attributes(walk, "suggested_backward_minutes")["rule"] == "step_back_after_pain"
    response = await walk.call("start_program", return_response=True)
    assert backward_seconds(response) == [pytest.approx(294)]
    await walk.call("emergency_stop")

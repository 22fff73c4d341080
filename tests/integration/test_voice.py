"""Voice: Home Assistant's own conversation agent with the example sentences, and LLM tools.

The example sentences (examples/custom_sentences/en/retrowalk.yaml) are copied into the test's
configuration folder, where the default agent reads custom sentences from, and every request
goes through conversation.async_converse as a voice satellite's text would.
"""

from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
import shutil
from typing import Any

from homeassistant.components import conversation
from homeassistant.components.homeassistant.exposed_entities import async_expose_entity
from homeassistant.core import Context, Event, HomeAssistant, callback
from homeassistant.helpers import (
    area_registry as ar,
    device_registry as dr,
    entity_registry as er,
    intent,
    llm,
)
from homeassistant.setup import async_setup_component
import probatio
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.retrowalk import llm as retrowalk_llm
from custom_components.retrowalk.const import EVENT_SESSION_ENDED
from custom_components.retrowalk.program import Phase, SafetyReason
from custom_components.retrowalk.progress import DayBucket, EndReason, SessionRecord
from retrowalk_sim import DEMO_PROFILE, SimulatedTreadmill
from retrowalk_sim.ha import async_plug_in
from tests.conftest import entry_for
from tests.integration.conftest import Walk
from tests.integration.history import retro_session, store_history
from tests.integration.test_options_flow import form_input, save_options

ROOT = Path(__file__).parent.parent.parent
SENTENCES = ROOT / "examples" / "custom_sentences" / "en" / "retrowalk.yaml"
RETROWALK_TOOLS = {
    "retrowalk__RetroWalkStart",
    "retrowalk__RetroWalkStop",
    "retrowalk__RetroWalkReady",
    "retrowalk__RetroWalkPainStop",
    "retrowalk__RetroWalkWeeklyProgress",
    "retrowalk__RetroWalkSetDirection",
}


@pytest.fixture
def custom_sentences() -> bool:
    """Whether the user copied the example sentences into their configuration."""
    return True


@pytest.fixture
def hass_config_dir(hass_tmp_config_dir: str, custom_sentences: bool) -> str:
    if custom_sentences:
        target = Path(hass_tmp_config_dir, "custom_sentences", "en")
        target.mkdir(parents=True)
        shutil.copy(SENTENCES, target / "retrowalk.yaml")
    return hass_tmp_config_dir


@pytest.fixture
def stored_sessions() -> list[SessionRecord]:
    return []


@pytest.fixture
async def entry(
    hass: HomeAssistant,
    treadmill: SimulatedTreadmill,
    hass_storage: dict[str, Any],
    stored_sessions: list[SessionRecord],
) -> MockConfigEntry:
    """The entry, with a history on disk when the test gives one."""
    entry = entry_for(treadmill)
    store_history(hass_storage, entry, stored_sessions)
    return entry


@pytest.fixture
async def assist(hass: HomeAssistant, walk: Walk) -> Walk:
    """Assist set up as a fresh installation has it, with the treadmill added."""
    assert await async_setup_component(hass, "homeassistant", {})
    assert await async_setup_component(hass, "conversation", {})
    await hass.async_block_till_done()
    return walk


async def say(hass: HomeAssistant, text: str, **kwargs: Any) -> intent.IntentResponse:
    result = await conversation.async_converse(hass, text, None, Context(), language="en", **kwargs)
    await hass.async_block_till_done()
    return result.response


def speech(response: intent.IntentResponse) -> str:
    return str(response.speech["plain"]["speech"])


def backward_seconds(walk: Walk) -> float:
    plan = walk.program.plan
    assert plan is not None
    return sum(segment.duration_s for segment in plan.segments if segment.phase is Phase.BACKWARD)


@pytest.fixture
def sessions(hass: HomeAssistant) -> Any:
    ended: list[dict[str, Any]] = []

    @callback
    def record(event: Event) -> None:
        ended.append(dict(event.data))

    unsubscribe = hass.bus.async_listen(EVENT_SESSION_ENDED, record)
    yield ended
    unsubscribe()


# The example sentences ------------------------------------------------------------------------


async def test_start_a_10_minute_retro_walk(hass: HomeAssistant, assist: Walk) -> None:
    response = await say(hass, "start a 10 minute retro walk")

    assert response.response_type is intent.IntentResponseType.ACTION_DONE
    assert speech(response).startswith("Starting a retro walk with 10 minutes backward.")
    assert assist.program.running
    assert backward_seconds(assist) == 600
    assert assist.state("switch", "retro_walk") == "on"
    await assist.tick(5)
    assert assist.treadmill.speed_kmh > 0


async def test_start_at_a_level(hass: HomeAssistant, assist: Walk) -> None:
    response = await say(hass, "start an advanced retro walk")

    assert speech(response).startswith("Starting a retro walk with 20 minutes backward.")
    plan = assist.program.plan
    assert plan is not None
    assert plan.level is not None
    assert plan.level.value == "advanced"


async def test_ready_then_stop_by_voice(
    hass: HomeAssistant, assist: Walk, sessions: list[dict[str, Any]]
) -> None:
    await say(hass, "start the retro walk")
    await assist.run_until(lambda: assist.snapshot.waiting_for_ready, within_s=200)
    await assist.run_until(lambda: assist.treadmill.speed_kmh == 0, within_s=10)

    response = await say(hass, "I'm ready")
    assert speech(response) == "The belt starts slowly. Hold the rails."
    await assist.tick(60)
    assert assist.snapshot.phase is Phase.BACKWARD
    assert assist.treadmill.speed_kmh > 0

    response = await say(hass, "stop the retro walk")
    assert speech(response) == "Stopping the treadmill."
    assert not assist.program.running
    await assist.run_until(lambda: assist.treadmill.speed_kmh == 0, within_s=10)
    [ended] = sessions
    assert ended["ended_by"] == "user"
    assert ended["backward_minutes"] == pytest.approx(1.0, abs=0.1)


async def test_knee_pain_by_voice(
    hass: HomeAssistant, assist: Walk, sessions: list[dict[str, Any]]
) -> None:
    await say(hass, "start the retro walk")
    await assist.tick(30)

    response = await say(hass, "my knee hurts")

    assert speech(response).startswith("Stopping the treadmill.")
    assert assist.snapshot.abort_reason is SafetyReason.PAIN_STOP
    assert [ended["ended_by"] for ended in sessions] == ["pain"]


async def test_walking_direction_by_voice(hass: HomeAssistant, assist: Walk) -> None:
    response = await say(hass, "I'm walking backwards")

    assert speech(response) == "Counting your walking as backward."
    assert assist.state("select", "walking_direction") == "backward"
    await say(hass, "set the walking direction to forward")
    assert assist.state("select", "walking_direction") == "forward"


THIS_WEEK = [
    # Wednesday 18 November 2026: two sessions of six backward minutes this week (Monday,
    # Tuesday), none the week before.
    retro_session("2026-11-16T17:00:00+00:00", 6.0),
    retro_session("2026-11-17T17:00:00+00:00", 6.0),
]


@pytest.mark.freeze_time("2026-11-18T18:00:00+00:00")
@pytest.mark.parametrize("stored_sessions", [THIS_WEEK])
async def test_how_much_retro_walking_this_week(hass: HomeAssistant, assist: Walk) -> None:
    response = await say(hass, "how much retro walking did I do this week")

    assert response.response_type is intent.IntentResponseType.QUERY_ANSWER
    assert speech(response) == (
        "This week you walked backward for 12 minutes in 2 retro sessions. "
        "Your weekly goal needs 1 more session. Next session: 5 minutes backward."
    )
    assert response.speech_slots["backward_minutes"] == 12.0
    assert response.speech_slots["retro_sessions"] == 2
    assert response.speech_slots["goal_sessions"] == 3


@pytest.mark.freeze_time("2026-11-18T18:00:00+00:00")
@pytest.mark.parametrize(
    "stored_sessions",
    [
        [
            *THIS_WEEK,
            retro_session("2026-11-18T16:00:00+00:00", 4.5),
            retro_session("2026-11-11T17:00:00+00:00"),
            retro_session("2026-11-12T17:00:00+00:00"),
            retro_session("2026-11-13T17:00:00+00:00"),
        ]
    ],
)
async def test_a_met_goal_is_praised_with_the_streak(hass: HomeAssistant, assist: Walk) -> None:
    response = await say(hass, "how is my retro walking going")

    assert speech(response) == (
        "This week you walked backward for 16.5 minutes in 3 retro sessions. "
        "You have met this week's goal, 2 weeks in a row. Next session: 5.5 minutes backward."
    )


@pytest.mark.freeze_time("2026-11-18T18:00:00+00:00")
@pytest.mark.parametrize(
    "stored_sessions",
    [
        [
            SessionRecord(
                id="short",
                start=retro_session("2026-11-16T17:00:00+00:00").start,
                days=(DayBucket(retro_session("2026-11-16T17:00:00+00:00").start.date(), 60),),
                ended_by=EndReason.USER,
            )
        ]
    ],
)
async def test_a_minutes_goal_is_counted_down(hass: HomeAssistant, assist: Walk) -> None:
    await save_options(
        hass, assist.entry, form_input(weekly={"goal_sessions": 0, "goal_minutes": 30})
    )

    response = await say(hass, "how much did I walk backward this week")

    assert speech(response) == (
        "This week you walked backward for 1 minute in 0 retro sessions. "
        "Your weekly goal needs 29 more backward minutes. Next session: 5 minutes backward."
    )


async def test_refusals_are_said_back(hass: HomeAssistant, assist: Walk) -> None:
    response = await say(hass, "I'm ready")
    assert response.response_type is intent.IntentResponseType.ERROR
    assert speech(response).startswith("RetroWalk Demo Treadmill is not waiting at a turnaround")

    response = await say(hass, "stop the treadmill")
    assert speech(response).startswith("RetroWalk Demo Treadmill is not moving")

    await say(hass, "start the retro walk")
    response = await say(hass, "start a 5 minute retro walk")
    assert speech(response).startswith("A program is already running on RetroWalk Demo Treadmill")

    await say(hass, "stop the retro walk")
    response = await say(hass, "start a 60 minute retro walk")
    assert response.response_type is intent.IntentResponseType.ERROR
    assert "longer than your session limit of 45" in speech(response)
    assert not assist.program.running


async def test_the_treadmill_must_be_there(hass: HomeAssistant, assist: Walk) -> None:
    assist.treadmill.power_off()
    await assist.tick(1)

    response = await say(hass, "start the retro walk")

    assert response.response_type is intent.IntentResponseType.ERROR
    assert speech(response).startswith("RetroWalk Demo Treadmill is not connected")


# Built-in sentences, no setup -----------------------------------------------------------------


@pytest.mark.parametrize("custom_sentences", [False])
async def test_the_retro_walk_switch_by_voice_without_setup(
    hass: HomeAssistant, assist: Walk
) -> None:
    # The switch is exposed to Assist by default and named after the treadmill.
    response = await say(hass, "turn on RetroWalk Demo Treadmill Retro walk")
    assert response.response_type is intent.IntentResponseType.ACTION_DONE
    assert assist.program.running

    response = await say(hass, "turn off RetroWalk Demo Treadmill Retro walk")
    assert response.response_type is intent.IntentResponseType.ACTION_DONE
    assert not assist.program.running

    # Without the example sentences the RetroWalk intents do not listen.
    response = await say(hass, "start a 10 minute retro walk")
    assert response.response_type is intent.IntentResponseType.ERROR
    assert not assist.program.running

    # "The retro walk" works too: the switch offers its short name as an alias.
    response = await say(hass, "turn on the retro walk")
    assert response.response_type is intent.IntentResponseType.ACTION_DONE
    assert assist.program.running
    response = await say(hass, "turn off the retro walk")
    assert response.response_type is intent.IntentResponseType.ACTION_DONE
    assert not assist.program.running


@pytest.mark.parametrize("custom_sentences", [False])
async def test_a_removed_voice_alias_stays_removed(
    hass: HomeAssistant, assist: Walk, loaded_entry: MockConfigEntry
) -> None:
    registry = er.async_get(hass)
    switch = assist.entity_id("switch", "retro_walk")
    assert registry.async_get(switch).aliases == [er.COMPUTED_NAME, "Retro walk"]

    registry.async_update_entity(switch, aliases=[er.COMPUTED_NAME])
    assert await hass.config_entries.async_reload(loaded_entry.entry_id)
    await hass.async_block_till_done()

    assert registry.async_get(switch).aliases == [er.COMPUTED_NAME]
    response = await say(hass, "turn on the retro walk")
    assert response.response_type is intent.IntentResponseType.ERROR


# Several treadmills ---------------------------------------------------------------------------


@pytest.fixture
async def second_treadmill(hass: HomeAssistant, assist: Walk) -> AsyncIterator[MockConfigEntry]:
    profile = replace(DEMO_PROFILE, address="AA:BB:CC:00:00:02", local_name="RetroWalk Two")
    machine = SimulatedTreadmill(profile)
    proxy = await async_plug_in(hass, machine)
    entry = entry_for(machine)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    yield entry
    await hass.config_entries.async_unload(entry.entry_id)
    await proxy.async_unplug()
    await machine.aclose()


async def test_with_two_treadmills_the_satellite_area_decides(
    hass: HomeAssistant, assist: Walk, second_treadmill: MockConfigEntry
) -> None:
    response = await say(hass, "how much retro walking did I do")
    assert response.response_type is intent.IntentResponseType.ERROR
    assert speech(response).startswith("Several treadmills could be meant")

    gym = ar.async_get(hass).async_create("Gym")
    devices = dr.async_get(hass)
    treadmill = devices.async_get(assist.device_id)
    assert treadmill is not None
    devices.async_update_device(treadmill.id, area_id=gym.id)
    satellite_entry = MockConfigEntry(domain="test")
    satellite_entry.add_to_hass(hass)
    satellite = devices.async_get_or_create(
        config_entry_id=satellite_entry.entry_id,
        identifiers={("test", "satellite")},
        name="Gym satellite",
    )
    kitchen = ar.async_get(hass).async_create("Kitchen")
    devices.async_update_device(satellite.id, area_id=kitchen.id)

    # A satellite in a room without a treadmill cannot decide either.
    response = await say(hass, "I'm walking backward", device_id=satellite.id)
    assert speech(response).startswith("Several treadmills could be meant")

    devices.async_update_device(satellite.id, area_id=gym.id)
    response = await say(hass, "I'm walking backward", device_id=satellite.id)

    assert speech(response) == "Counting your walking as backward."
    assert assist.state("select", "walking_direction") == "backward"
    second = er.async_get(hass).async_get_entity_id(
        "select", "retrowalk", "AA:BB:CC:00:00:02_walking_direction"
    )
    assert second is not None
    assert hass.states.get(second).state == "forward"


# LLM conversation agents ----------------------------------------------------------------------


def _llm_context(assistant: str = conversation.DOMAIN) -> llm.LLMContext:
    return llm.LLMContext(
        platform="test", context=Context(), language="en", assistant=assistant, device_id=None
    )


async def test_llm_tools_for_an_exposed_treadmill(hass: HomeAssistant, assist: Walk) -> None:
    api = await llm.async_get_api(hass, llm.LLM_API_ASSIST, _llm_context())

    tools = {tool.name: tool for tool in api.tools}
    assert set(tools) >= RETROWALK_TOOLS
    assert all(tools[name].integration == "retrowalk" for name in RETROWALK_TOOLS)
    assert tools["retrowalk__RetroWalkWeeklyProgress"].annotations.read_only
    assert "retrowalk__RetroWalkPainStop" in api.api_prompt
    # What an LLM agent sends the model: the parameters as JSON schema.
    start = probatio.to_openapi(
        tools["retrowalk__RetroWalkStart"].parameters, custom_serializer=api.custom_serializer
    )
    assert start["properties"]["minutes"]["type"] == "number"
    assert start["properties"]["level"]["enum"] == ["beginner", "intermediate", "advanced"]
    assert start.get("required", []) == []
    direction = probatio.to_openapi(
        tools["retrowalk__RetroWalkSetDirection"].parameters,
        custom_serializer=api.custom_serializer,
    )
    assert direction["required"] == ["direction"]

    result = await api.async_call_tool(
        llm.ToolInput(tool_name="retrowalk__RetroWalkStart", tool_args={"minutes": 8})
    )
    await hass.async_block_till_done()
    assert not result.error
    assert result.data["response_type"] == "action_done"
    assert backward_seconds(assist) == 480

    result = await api.async_call_tool(
        llm.ToolInput(tool_name="retrowalk__RetroWalkWeeklyProgress", tool_args={})
    )
    assert result.data["speech"]["plain"]["speech"].startswith(
        "You have not walked backward yet this week."
    )
    assert result.data["speech_slots"]["suggested_backward_minutes"] == 5.0


async def test_llm_tools_only_for_the_assist_api(hass: HomeAssistant, assist: Walk) -> None:
    assert retrowalk_llm.async_get_tools(hass, _llm_context(), "another_api") is None
    tools = retrowalk_llm.async_get_tools(hass, _llm_context(), llm.LLM_API_ASSIST)
    assert tools is not None
    assert {tool.name for tool in tools.tools} == RETROWALK_TOOLS


async def test_llm_tools_only_when_the_treadmill_is_exposed(
    hass: HomeAssistant, assist: Walk
) -> None:
    registry = er.async_get(hass)
    for entity in er.async_entries_for_config_entry(registry, assist.entry.entry_id):
        async_expose_entity(hass, conversation.DOMAIN, entity.entity_id, False)

    api = await llm.async_get_api(hass, llm.LLM_API_ASSIST, _llm_context())

    assert not {tool.name for tool in api.tools} & RETROWALK_TOOLS
    # The intents themselves no longer reach it either.
    response = await intent.async_handle(
        hass, "test", "RetroWalkWeeklyProgress", assistant=conversation.DOMAIN
    )
    assert speech(response).startswith("No RetroWalk treadmill is connected")


async def test_with_two_treadmills_a_stop_stops_the_one_that_moves(
    hass: HomeAssistant, assist: Walk, second_treadmill: MockConfigEntry
) -> None:
    # Nothing tells which treadmill is meant; a stop is never refused for that.
    await assist.press("start")
    await assist.tick(3)
    assert assist.treadmill.speed_kmh > 0
    response = await say(hass, "stop the treadmill")
    assert response.response_type is intent.IntentResponseType.ACTION_DONE
    await assist.run_until(lambda: assist.treadmill.speed_kmh == 0, within_s=10)
    # With both standing, there is nothing to stop and still no way to tell which is meant.
    response = await say(hass, "stop the treadmill")
    assert response.response_type is intent.IntentResponseType.ERROR
    assert speech(response).startswith("Several treadmills could be meant")

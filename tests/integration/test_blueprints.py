"""The blueprints and the dashboard in the repository, loaded into Home Assistant and used.

Each blueprint is copied into the test's configuration folder (blueprints/automation/
retrowalk/, where a user's imported blueprint lands), an automation uses it, and the test
checks that it does what its description says with the simulated treadmill. Notifications
leave Home Assistant, so the notify action is the one thing stood in for.
"""

from pathlib import Path
import shutil
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components import conversation
from homeassistant.core import Context, HomeAssistant, ServiceCall
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
    async_mock_service,
)
import yaml

from custom_components.retrowalk.program import Phase
from custom_components.retrowalk.progress import SessionRecord
from retrowalk_sim import SimulatedTreadmill
from tests.conftest import entry_for
from tests.integration.conftest import Walk
from tests.integration.history import retro_session, store_history

ROOT = Path(__file__).parent.parent.parent
BLUEPRINTS = ROOT / "blueprints" / "automation" / "retrowalk"
DASHBOARD = ROOT / "examples" / "dashboard.yaml"
PHONE = "mobile_app_phone"


@pytest.fixture
def hass_config_dir(hass_tmp_config_dir: str) -> str:
    """A configuration folder holding the blueprints, as after importing them."""
    shutil.copytree(BLUEPRINTS, Path(hass_tmp_config_dir, "blueprints", "automation", "retrowalk"))
    return hass_tmp_config_dir


@pytest.fixture
def stored_sessions() -> list[SessionRecord]:
    return []


@pytest.fixture
async def entry(
    treadmill: SimulatedTreadmill,
    hass_storage: dict[str, Any],
    stored_sessions: list[SessionRecord],
) -> MockConfigEntry:
    entry = entry_for(treadmill)
    store_history(hass_storage, entry, stored_sessions)
    return entry


@pytest.fixture
def notifications(hass: HomeAssistant) -> list[ServiceCall]:
    """The phone's notify action (the edge of the world)."""
    return async_mock_service(hass, "notify", PHONE)


@pytest.fixture(autouse=True)
async def automations_off_at_the_end(hass: HomeAssistant) -> Any:
    """Turn the automations off after the test, so their time triggers do not linger."""
    yield
    if hass.services.has_service("automation", "turn_off"):
        await hass.services.async_call(
            "automation", "turn_off", {"entity_id": "all"}, blocking=True
        )


async def use_blueprint(hass: HomeAssistant, name: str, inputs: dict[str, Any]) -> None:
    assert await async_setup_component(
        hass,
        "automation",
        {
            "automation": {
                "alias": name,
                "use_blueprint": {"path": f"retrowalk/{name}.yaml", "input": inputs},
            }
        },
    )
    await hass.async_block_till_done()
    state = hass.states.get(f"automation.{name}")
    assert state is not None, f"the {name} blueprint did not load"
    assert state.state == "on"


async def jump_to(hass: HomeAssistant, freezer: FrozenDateTimeFactory, moment: str) -> None:
    freezer.move_to(moment)
    async_fire_time_changed(hass)
    await hass.async_block_till_done()


async def walk_by_hand(walk: Walk, seconds: float, direction: str = "backward") -> None:
    await walk.hass.services.async_call(
        "select",
        "select_option",
        {"entity_id": walk.entity_id("select", "walking_direction"), "option": direction},
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


def test_every_blueprint_targets_retrowalk_entities_and_devices() -> None:
    for path in BLUEPRINTS.glob("*.yaml"):
        text = path.read_text()
        assert "integration: retrowalk" in text, path.name
        blueprint = yaml.load(text, Loader=_InputLoader)["blueprint"]
        assert blueprint["domain"] == "automation"
        assert blueprint["source_url"].endswith(f"blueprints/automation/retrowalk/{path.name}")


class _InputLoader(yaml.SafeLoader):
    """Reads blueprint YAML, whose !input tags plain YAML does not know."""


_InputLoader.add_constructor("!input", lambda loader, node: loader.construct_scalar(node))


# Weekly reminder ------------------------------------------------------------------------------

# Wednesday 18 November 2026, 17:59 in California (Home Assistant's time zone in tests).
WEDNESDAY_EVENING = "2026-11-19T01:59:00+00:00"
REMINDER_TIME = "2026-11-19T02:00:00+00:00"
MONDAY = retro_session("2026-11-16T17:00:00+00:00")
TUESDAY = retro_session("2026-11-17T17:00:00+00:00")


def reminder_inputs(walk: Walk, **changes: Any) -> dict[str, Any]:
    return {
        "sessions_sensor": walk.entity_id("sensor", "retro_sessions_this_week"),
        "days": ["mon", "wed", "fri"],
        "reminder_time": "18:00:00",
        "notify_action": f"notify.{PHONE}",
        **changes,
    }


@pytest.mark.freeze_time(WEDNESDAY_EVENING)
@pytest.mark.parametrize("stored_sessions", [[MONDAY]])
async def test_reminder_when_behind_the_goal_and_its_button_starts_the_walk(
    hass: HomeAssistant,
    walk: Walk,
    freezer: FrozenDateTimeFactory,
    notifications: list[ServiceCall],
) -> None:
    await use_blueprint(hass, "weekly_reminder", reminder_inputs(walk))

    # Goal 3 over Monday, Wednesday, Friday: 2 by Wednesday, and 1 is done.
    await jump_to(hass, freezer, REMINDER_TIME)

    [notification] = notifications
    assert notification.data["title"] == "Time for a retro walk"
    assert notification.data["message"].startswith("1 of 3 retro sessions done this week.")
    [button] = notification.data["data"]["actions"]
    assert button["title"] == "Start retro walk"

    # The person taps the button on their phone.
    hass.bus.async_fire("mobile_app_notification_action", {"action": button["action"]})
    await walk.settle()
    assert walk.program.running
    assert walk.state("switch", "retro_walk") == "on"


@pytest.mark.freeze_time(WEDNESDAY_EVENING)
@pytest.mark.parametrize("stored_sessions", [[MONDAY, TUESDAY]])
async def test_no_reminder_when_on_track(
    hass: HomeAssistant,
    walk: Walk,
    freezer: FrozenDateTimeFactory,
    notifications: list[ServiceCall],
) -> None:
    await use_blueprint(hass, "weekly_reminder", reminder_inputs(walk))

    await jump_to(hass, freezer, REMINDER_TIME)

    assert notifications == []


@pytest.mark.freeze_time(WEDNESDAY_EVENING)
@pytest.mark.parametrize("stored_sessions", [[MONDAY, TUESDAY]])
async def test_the_blueprint_goal_overrides_the_options(
    hass: HomeAssistant,
    walk: Walk,
    freezer: FrozenDateTimeFactory,
    notifications: list[ServiceCall],
) -> None:
    await use_blueprint(hass, "weekly_reminder", reminder_inputs(walk, goal=5))

    await jump_to(hass, freezer, REMINDER_TIME)

    [notification] = notifications
    assert notification.data["message"].startswith("2 of 5 retro sessions done this week.")


@pytest.mark.freeze_time("2026-11-18T01:59:00+00:00")
async def test_no_reminder_on_other_days(
    hass: HomeAssistant,
    walk: Walk,
    freezer: FrozenDateTimeFactory,
    notifications: list[ServiceCall],
) -> None:
    # Tuesday evening, nothing done yet: behind, but Tuesday is not a reminder day.
    await use_blueprint(hass, "weekly_reminder", reminder_inputs(walk))

    await jump_to(hass, freezer, "2026-11-18T02:00:00+00:00")

    assert notifications == []


# Voice command --------------------------------------------------------------------------------


async def test_voice_command_starts_a_retro_walk(hass: HomeAssistant, walk: Walk) -> None:
    assert await async_setup_component(hass, "homeassistant", {})
    assert await async_setup_component(hass, "conversation", {})
    await use_blueprint(
        hass, "voice_command", {"retro_walk_switch": walk.entity_id("switch", "retro_walk")}
    )

    async def say(text: str) -> str:
        result = await conversation.async_converse(hass, text, None, Context(), language="en")
        await walk.settle()
        return str(result.response.speech["plain"]["speech"])

    assert await say("start a 12 minute retro walk") == (
        "Starting a retro walk with 12.0 minutes backward."
    )
    plan = walk.program.plan
    assert plan is not None
    assert [s.duration_s for s in plan.segments if s.phase is Phase.BACKWARD] == [720]

    assert await say("walk backwards for 7 minutes") == "A retro walk is already running."

    await walk.switch(on=False)
    assert await say("time for my retro walk") == (
        "Starting a retro walk with 5.0 minutes backward."
    )
    assert walk.program.running


# Session summary ------------------------------------------------------------------------------


async def test_summary_after_every_session(
    hass: HomeAssistant, walk: Walk, notifications: list[ServiceCall]
) -> None:
    await use_blueprint(
        hass,
        "session_summary",
        {"treadmill": walk.device_id, "notify_action": f"notify.{PHONE}"},
    )

    await walk_by_hand(walk, 4 * 60)
    await walk.press("stop")
    await walk.tick(10)

    [summary] = notifications
    assert summary.data["title"] == "Retro walk done"
    message = summary.data["message"]
    assert message.startswith("4.0 min backward, 0.0 min forward,")
    assert "This week: 4.0 min backward in 1 retro sessions (33 % of your goal)." in message
    assert "Next time: 5.0 min backward." in message

    await walk_by_hand(walk, 60)
    await walk.press("pain_stop")
    await walk.tick(10)

    assert notifications[1].data["title"] == "Retro walk stopped: knee pain"
    assert "the next session will not be" in notifications[1].data["message"]


async def test_summary_of_retro_sessions_only(
    hass: HomeAssistant, walk: Walk, notifications: list[ServiceCall]
) -> None:
    await use_blueprint(
        hass,
        "session_summary",
        {"treadmill": walk.device_id, "notify_action": f"notify.{PHONE}", "retro_only": True},
    )

    await walk_by_hand(walk, 60, direction="forward")
    await walk.press("stop")
    await walk.tick(10)

    assert notifications == []


# Safety stop ----------------------------------------------------------------------------------


@pytest.fixture
async def safety_stop(hass: HomeAssistant, walk: Walk) -> Walk:
    assert await async_setup_component(hass, "input_button", {"input_button": {"panic": {}}})
    hass.states.async_set("binary_sensor.fall", "off")
    hass.states.async_set("binary_sensor.on_the_treadmill", "on")
    hass.states.async_set("sensor.watch_heart_rate", "110", {"unit_of_measurement": "bpm"})
    await use_blueprint(
        hass,
        "safety_stop",
        {
            "treadmill": walk.device_id,
            "panic_buttons": ["input_button.panic"],
            "fall_sensors": ["binary_sensor.fall"],
            "presence_sensors": ["binary_sensor.on_the_treadmill"],
            "heart_rate_sensors": ["sensor.watch_heart_rate"],
            "heart_rate_limit": 150,
        },
    )
    return walk


async def _press_panic(hass: HomeAssistant) -> None:
    await hass.services.async_call(
        "input_button", "press", {"entity_id": "input_button.panic"}, blocking=True
    )


async def _fall(hass: HomeAssistant) -> None:
    hass.states.async_set("binary_sensor.fall", "on")


async def _heart_rate_high(hass: HomeAssistant) -> None:
    hass.states.async_set("sensor.watch_heart_rate", "162", {"unit_of_measurement": "bpm"})


@pytest.mark.parametrize("trigger", [_press_panic, _fall, _heart_rate_high])
async def test_safety_stop_stops_the_belt(
    hass: HomeAssistant, safety_stop: Walk, trigger: Any
) -> None:
    walk = safety_stop
    await walk_by_hand(walk, 30)
    assert walk.treadmill.speed_kmh == 2.0

    await trigger(hass)
    await walk.settle()

    assert walk.safety_events[-1]["reason"] == "user_stop"
    assert walk.safety_events[-1]["device_id"] == walk.device_id
    await walk.run_until(lambda: walk.treadmill.speed_kmh == 0, within_s=10)


async def test_safety_stop_when_nobody_is_on_the_moving_belt(
    hass: HomeAssistant, safety_stop: Walk
) -> None:
    walk = safety_stop
    await walk_by_hand(walk, 30)

    hass.states.async_set("binary_sensor.on_the_treadmill", "off")
    await walk.tick(3)
    assert walk.treadmill.speed_kmh == 2.0
    await walk.tick(3)

    assert [event["reason"] for event in walk.safety_events] == ["user_stop"]
    await walk.run_until(lambda: walk.treadmill.speed_kmh == 0, within_s=10)

    # Stepping off a standing belt stops nothing.
    hass.states.async_set("binary_sensor.on_the_treadmill", "on")
    await walk.tick(1)
    hass.states.async_set("binary_sensor.on_the_treadmill", "off")
    await walk.tick(10)
    assert len(walk.safety_events) == 1


# The dashboard ----------------------------------------------------------------------------------


def _entities(card: Any) -> set[str]:
    """Every entity ID a dashboard configuration names."""
    found: set[str] = set()
    if isinstance(card, dict):
        for key, value in card.items():
            if key in ("entity", "entity_id") and isinstance(value, str):
                found.add(value)
            else:
                found |= _entities(value)
    elif isinstance(card, list):
        for item in card:
            found |= _entities(item)
    return found


async def test_dashboard_shows_the_treadmill_entities(hass: HomeAssistant, walk: Walk) -> None:
    dashboard = yaml.safe_load(DASHBOARD.read_text())
    named = _entities(dashboard)

    assert len(named) >= 25
    missing = {entity_id for entity_id in named if hass.states.get(entity_id) is None}
    assert missing == set()
    cards = [
        card
        for view in dashboard["views"]
        for section in view["sections"]
        for card in section["cards"]
    ]
    [graph] = [card for card in cards if card["type"] == "statistics-graph"]
    assert graph["period"] == "week"
    assert graph["entities"][0]["entity"] == walk.entity_id("sensor", "backward_minutes_this_week")
    assert {card["type"] for card in cards} <= {"heading", "tile", "gauge", "statistics-graph"}

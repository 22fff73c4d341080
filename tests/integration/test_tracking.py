"""Session tracking through Home Assistant: every moving-belt minute goes to the right direction.

Sessions are walked on the simulated treadmill in accelerated time (the Walk driver), through
the entities and actions a person uses; the figures are read back from the weekly sensors,
the session-ended event and the Store.
"""

import copy
from datetime import UTC, datetime
from typing import Any

from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.retrowalk.const import EVENT_SESSION_ENDED
from custom_components.retrowalk.progress import EndReason, SessionHistory, SessionTracker
from custom_components.retrowalk.tracking import storage_key
from retrowalk_sim import SimulatedTreadmill
from retrowalk_sim.ha import SimulatedProxy
from tests.conftest import entry_for
from tests.integration.conftest import Walk

# Seconds: treadmill records every 0.5 s, a stop lets the belt coast a second or two.
SLACK_S = 3.0


class Sessions:
    """The session-ended events of one test."""

    def __init__(self, hass: HomeAssistant) -> None:
        self.ended: list[dict[str, Any]] = []
        self._unsubscribe = hass.bus.async_listen(EVENT_SESSION_ENDED, self._record)

    @callback
    def _record(self, event: Event) -> None:
        self.ended.append(dict(event.data))

    def close(self) -> None:
        self._unsubscribe()


@pytest.fixture
def sessions(hass: HomeAssistant) -> Any:
    recorder = Sessions(hass)
    yield recorder
    recorder.close()


def figure(walk: Walk, key: str) -> float:
    """A weekly sensor's state as a number."""
    return float(walk.state("sensor", key))


def minutes(walk: Walk, key: str) -> float:
    return figure(walk, f"{key}_minutes_this_week")


def moving_s(walk: Walk, since: int, until: int | None = None) -> float:
    """Seconds the belt moved between two of the driver's tick records."""
    return sum(0.5 for _at, kmh in walk.belt[since:until] if kmh > 0)


def stored_history(hass_storage: dict[str, Any], entry: MockConfigEntry) -> SessionHistory:
    """The history on disk, as a restart would read it."""
    data = hass_storage[storage_key(entry.entry_id)]["data"]
    return SessionTracker.from_snapshot(data, dt_util.utcnow(), UTC).history


async def set_speed(walk: Walk, kmh: float) -> None:
    await walk.hass.services.async_call(
        "number",
        "set_value",
        {"entity_id": walk.entity_id("number", "target_speed"), "value": kmh},
        blocking=True,
    )
    await walk.settle()


async def set_direction(walk: Walk, direction: str) -> None:
    await walk.hass.services.async_call(
        "select",
        "select_option",
        {"entity_id": walk.entity_id("select", "walking_direction"), "option": direction},
        blocking=True,
    )
    await walk.settle()


async def start_by_hand(walk: Walk, kmh: float = 2.0) -> None:
    """Press Start and set a speed; return once the belt runs at that speed."""
    await walk.press("start")
    await set_speed(walk, kmh)
    await walk.run_until(lambda: walk.treadmill.speed_kmh == kmh, within_s=30)


async def stand_still(walk: Walk) -> None:
    await walk.run_until(lambda: walk.treadmill.speed_kmh == 0, within_s=30)
    await walk.tick(2)


# Programs -----------------------------------------------------------------------------------


async def test_program_minutes_follow_its_phases(walk: Walk, sessions: Sessions) -> None:
    await walk.switch(on=True)
    await walk.walk_program(wait_at_turnaround_s=20)
    await stand_still(walk)

    # Beginner: 3 min forward, 5 min backward, 3 min forward; the waits at the turnarounds
    # (belt standing) count for nothing.
    assert minutes(walk, "backward") == pytest.approx(5.0, abs=SLACK_S / 60)
    assert minutes(walk, "treadmill") == pytest.approx(11.0, abs=3 * SLACK_S / 60)
    assert figure(walk, "retro_sessions_this_week") == 1
    [ended] = sessions.ended
    assert ended["ended_by"] == "finished"
    assert ended["level"] == "beginner"
    assert ended["counts_as_retro_session"]
    assert ended["backward_minutes"] == pytest.approx(5.0, abs=0.1)
    assert ended["forward_minutes"] == pytest.approx(6.0, abs=0.1)
    assert ended["device_id"] == walk.device_id
    # Backward at 0.8 km/h rising to 1.6 km/h for five minutes.
    assert 0.8 / 3.6 * 300 < ended["backward_distance_m"] < 1.6 / 3.6 * 300
    assert figure(walk, "total_backward_distance") == pytest.approx(
        ended["backward_distance_m"] / 1000, abs=0.002
    )


async def test_program_aborted_by_knee_pain_is_a_pain_stop(
    walk: Walk, sessions: Sessions, hass_storage: dict[str, Any]
) -> None:
    await walk.call("start_program", level="beginner")
    await walk.run_until(lambda: walk.snapshot.waiting_for_ready, within_s=200)
    await walk.run_until(lambda: walk.treadmill.speed_kmh == 0, within_s=10)
    await walk.press("ready")
    await walk.tick(120)

    await walk.press("pain_stop")
    await stand_still(walk)

    [ended] = sessions.ended
    assert ended["ended_by"] == "pain"
    assert ended["backward_minutes"] == pytest.approx(2.0, abs=SLACK_S / 60)
    assert ended["forward_minutes"] == pytest.approx(3.0, abs=SLACK_S / 60)
    # Saved at the stop, not a minute later.
    [record] = stored_history(hass_storage, walk.entry).sessions
    assert record.ended_by is EndReason.PAIN
    # A pain stop: no harder session next (the progression holds).
    state = walk.hass.states.get(walk.entity_id("sensor", "suggested_backward_minutes"))
    assert state is not None
    assert state.attributes["rule"] == "hold_after_pain"


async def test_program_safety_stop_keeps_its_reason(walk: Walk, sessions: Sessions) -> None:
    await walk.call("start_program", level="beginner")
    await walk.tick(60)

    walk.treadmill.pull_safety_key()
    await stand_still(walk)

    [ended] = sessions.ended
    assert (ended["ended_by"], ended["safety_reason"]) == ("safety", "safety_key")
    assert ended["forward_minutes"] == pytest.approx(1.0, abs=SLACK_S / 60)
    assert not ended["counts_as_retro_session"]


# Walking by hand ----------------------------------------------------------------------------


async def test_manual_walking_follows_the_direction_select(
    walk: Walk, sessions: Sessions, hass_storage: dict[str, Any]
) -> None:
    began = len(walk.belt)
    await start_by_hand(walk)
    await walk.tick(120)
    # The person stops the belt to turn around, says so, and walks on backward.
    await walk.press("pause")
    await stand_still(walk)
    await set_direction(walk, "backward")
    turned = len(walk.belt)
    await walk.press("start")
    await walk.tick(240)
    stopped = len(walk.belt)
    await walk.press("stop")
    await stand_still(walk)

    [record] = stored_history(hass_storage, walk.entry).sessions
    assert record.forward_s == pytest.approx(moving_s(walk, began, turned), abs=1)
    assert record.backward_s == pytest.approx(moving_s(walk, turned, stopped), abs=1)
    assert record.backward_s == pytest.approx(240, abs=SLACK_S)
    [ended] = sessions.ended
    assert ended["ended_by"] == "user"
    assert ended["level"] is None
    assert ended["counts_as_retro_session"]
    assert minutes(walk, "backward") == round(record.backward_s / 60, 1)
    assert minutes(walk, "treadmill") == round((record.backward_s + record.forward_s) / 60, 1)
    assert figure(walk, "retro_sessions_this_week") == 1


async def test_changing_direction_while_walking_splits_the_minutes(
    walk: Walk, sessions: Sessions, hass_storage: dict[str, Any]
) -> None:
    await set_direction(walk, "backward")
    began = len(walk.belt)
    await start_by_hand(walk)
    await walk.tick(90)
    await set_direction(walk, "forward")
    turned = len(walk.belt)
    await walk.tick(30)
    walk.treadmill.console_stop()
    await stand_still(walk)

    [record] = stored_history(hass_storage, walk.entry).sessions
    assert record.backward_s == pytest.approx(moving_s(walk, began, turned), abs=1)
    assert record.forward_s == pytest.approx(30, abs=1)
    [ended] = sessions.ended
    assert ended["ended_by"] == "user"
    # 1.5 backward minutes are less than the 3 a retro session needs.
    assert not ended["counts_as_retro_session"]
    assert figure(walk, "retro_sessions_this_week") == 0


@pytest.mark.parametrize(("button", "ended_by"), [("stop", "user"), ("pain_stop", "pain")])
async def test_buttons_end_a_manual_walk_with_their_reason(
    walk: Walk, sessions: Sessions, button: str, ended_by: str
) -> None:
    await set_direction(walk, "backward")
    await start_by_hand(walk)
    await walk.tick(60)

    await walk.press(button)
    await stand_still(walk)

    [ended] = sessions.ended
    assert (ended["ended_by"], ended["safety_reason"]) == (ended_by, None)


async def test_safety_key_ends_a_manual_walk(walk: Walk, sessions: Sessions) -> None:
    await start_by_hand(walk)
    await walk.tick(30)

    walk.treadmill.pull_safety_key()
    await walk.tick(2)

    [ended] = sessions.ended
    assert (ended["ended_by"], ended["safety_reason"]) == ("safety", "safety_key")


async def test_a_belt_left_standing_ends_the_walk_where_it_stopped(
    walk: Walk, sessions: Sessions
) -> None:
    began = len(walk.belt)
    await start_by_hand(walk)
    await walk.tick(60)
    # A pause that goes on: the walk is over, at the moment the belt stood.
    await walk.press("pause")
    await stand_still(walk)
    stood = len(walk.belt)
    await walk.tick(4 * 60)
    assert sessions.ended == []
    await walk.tick(60)

    [ended] = sessions.ended
    assert ended["ended_by"] == "user"
    assert ended["forward_minutes"] * 60 == pytest.approx(moving_s(walk, began, stood), abs=3)
    duration = datetime.fromisoformat(ended["end"]) - datetime.fromisoformat(ended["start"])
    assert duration.total_seconds() == pytest.approx(moving_s(walk, began, stood), abs=3)


async def test_a_program_takes_over_a_belt_started_by_hand(walk: Walk, sessions: Sessions) -> None:
    await start_by_hand(walk, 2.5)
    await walk.tick(60)

    await walk.switch(on=True)
    await walk.tick(30)

    [manual] = sessions.ended
    assert manual["ended_by"] == "user"
    assert manual["level"] is None
    await walk.walk_program()
    await stand_still(walk)
    assert [ended["level"] for ended in sessions.ended] == [None, "beginner"]
    assert sessions.ended[1]["backward_minutes"] == pytest.approx(5.0, abs=0.1)


async def test_a_coasting_belt_after_a_stop_does_not_begin_a_session(
    walk: Walk, sessions: Sessions
) -> None:
    began = len(walk.belt)
    await start_by_hand(walk, 3.0)
    await walk.tick(30)
    stopped = len(walk.belt)
    await walk.press("stop")
    await walk.tick(30)

    assert len(sessions.ended) == 1
    assert sessions.ended[0]["forward_minutes"] * 60 == pytest.approx(
        moving_s(walk, began, stopped), abs=3
    )


# Restarts and lost links --------------------------------------------------------------------


async def test_a_reload_while_walking_by_hand_continues_the_session(
    hass: HomeAssistant, walk: Walk, sessions: Sessions, hass_storage: dict[str, Any]
) -> None:
    await set_direction(walk, "backward")
    began = len(walk.belt)
    await start_by_hand(walk)
    await walk.tick(150)

    assert await hass.config_entries.async_unload(walk.entry.entry_id)
    await walk.settle()
    # The belt runs on while Home Assistant is away (its treadmill data goes nowhere).
    await walk.tick(10)
    assert await hass.config_entries.async_setup(walk.entry.entry_id)
    await walk.settle()
    assert walk.state("select", "walking_direction") == "backward"
    await walk.tick(60)
    stopped = len(walk.belt)
    await walk.press("stop")
    await stand_still(walk)

    # One walk, one session; only the seconds Home Assistant was away are missing.
    [record] = stored_history(hass_storage, walk.entry).sessions
    assert record.ended_by is EndReason.USER
    walked = moving_s(walk, began, stopped)
    assert walked - record.backward_s == pytest.approx(10, abs=2)
    assert len(sessions.ended) == 1


async def test_a_crash_loses_at_most_the_last_minute(
    hass: HomeAssistant, walk: Walk, sessions: Sessions, hass_storage: dict[str, Any]
) -> None:
    key = storage_key(walk.entry.entry_id)
    await set_direction(walk, "backward")
    began = len(walk.belt)
    await start_by_hand(walk)
    await walk.tick(5 * 60 + 50)
    # Home Assistant dies here: what is on disk is all there is.
    on_disk = copy.deepcopy(hass_storage[key])
    assert await hass.config_entries.async_unload(walk.entry.entry_id)
    await walk.settle()
    hass_storage[key] = on_disk

    assert await hass.config_entries.async_setup(walk.entry.entry_id)
    await walk.settle()
    await walk.tick(60)
    stopped = len(walk.belt)
    await walk.press("stop")
    await stand_still(walk)

    [record] = stored_history(hass_storage, walk.entry).sessions
    lost = moving_s(walk, began, stopped) - record.backward_s
    print(f"lost to the crash: {lost:.1f} s")
    assert 0 < lost <= 60
    assert record.ended_by is EndReason.USER
    assert len(sessions.ended) == 1


async def test_a_crash_long_ago_closes_the_session_as_interrupted(
    hass: HomeAssistant, walk: Walk, hass_storage: dict[str, Any]
) -> None:
    key = storage_key(walk.entry.entry_id)
    await set_direction(walk, "backward")
    await start_by_hand(walk)
    await walk.tick(150)
    on_disk = copy.deepcopy(hass_storage[key])
    assert await hass.config_entries.async_unload(walk.entry.entry_id)
    await walk.settle()
    hass_storage[key] = on_disk
    walk.treadmill.console_stop()
    await walk.tick(20)

    assert await hass.config_entries.async_setup(walk.entry.entry_id)
    await walk.settle()
    await walk.tick(10)

    # Kept up to its last save, two minutes in; counted in the week.
    [record] = stored_history(hass_storage, walk.entry).sessions
    assert record.ended_by is EndReason.INTERRUPTED
    assert record.backward_s == pytest.approx(120, abs=1)
    assert minutes(walk, "backward") == 2.0


async def test_a_lost_link_while_walking_by_hand_keeps_one_session(
    walk: Walk, sessions: Sessions, hass_storage: dict[str, Any]
) -> None:
    await set_direction(walk, "backward")
    await start_by_hand(walk)
    await walk.tick(60)

    walk.treadmill.drop_link()
    await walk.settle()
    assert sessions.ended == []
    await walk.run_until(lambda: walk.entry.runtime_data.connected, within_s=30)
    await walk.tick(60)
    await walk.press("stop")
    await stand_still(walk)

    [record] = stored_history(hass_storage, walk.entry).sessions
    assert record.ended_by is EndReason.USER
    assert record.backward_s > 120
    assert len(sessions.ended) == 1


async def test_removing_the_treadmill_removes_its_history(
    hass: HomeAssistant,
    proxy: SimulatedProxy,
    treadmill: SimulatedTreadmill,
    hass_storage: dict[str, Any],
) -> None:
    entry = entry_for(treadmill)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    key = storage_key(entry.entry_id)
    assert key in hass_storage

    await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()

    assert key not in hass_storage


async def test_a_program_started_on_a_coasting_belt_is_counted(
    walk: Walk, sessions: Sessions
) -> None:
    await start_by_hand(walk, 3.0)
    await walk.tick(30)
    await walk.press("stop")
    # Straight away, before the belt has come to a stand.
    assert walk.treadmill.speed_kmh > 0
    await walk.switch(on=True)
    await walk.walk_program()
    await stand_still(walk)

    assert [ended["level"] for ended in sessions.ended] == [None, "beginner"]
    # The warm-up on the belt that never stood counts too.
    assert sessions.ended[1]["forward_minutes"] == pytest.approx(6.0, abs=0.1)
    assert sessions.ended[1]["backward_minutes"] == pytest.approx(5.0, abs=0.1)

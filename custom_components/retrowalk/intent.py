"""Voice: intents to start, stop and confirm retro walks, report pain, and hear the week.

Integrations cannot ship sentences, so these intents do nothing until sentences point at
them: examples/custom_sentences/en/retrowalk.yaml in the repository (copied by the user into
config/custom_sentences/en/), or an LLM conversation agent through llm.py. They answer in
English and give every figure as speech slots too, so a response template of another language
can say them.

Which treadmill: the only one, or with several the one in the area of the voice assistant
that heard the request. A conversation agent only reaches treadmills with an entity exposed to
it.
"""

import asyncio
from collections.abc import Mapping
import math
from typing import Any, Final, override

from homeassistant.components.homeassistant.exposed_entities import async_should_expose
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import (
    device_registry as dr,
    entity_registry as er,
    intent,
)
import probatio

from .const import DOMAIN
from .coordinator import RetroWalkCoordinator
from .program import Level, Phase, SafetyReason
from .progress import Direction
from .services import ATTR_BACKWARD_MINUTES, ATTR_LEVEL, async_start_program
from .tracking import WeeklyFigures

INTENT_START: Final = "RetroWalkStart"
INTENT_STOP: Final = "RetroWalkStop"
INTENT_READY: Final = "RetroWalkReady"
INTENT_PAIN_STOP: Final = "RetroWalkPainStop"
INTENT_WEEKLY_PROGRESS: Final = "RetroWalkWeeklyProgress"
INTENT_SET_DIRECTION: Final = "RetroWalkSetDirection"

SLOT_MINUTES: Final = "minutes"
SLOT_LEVEL: Final = "level"
SLOT_DIRECTION: Final = "direction"


async def async_setup_intents(hass: HomeAssistant) -> None:
    """Register the RetroWalk intents."""
    for handler in (
        StartHandler(),
        StopHandler(),
        ReadyHandler(),
        PainStopHandler(),
        WeeklyProgressHandler(),
        SetDirectionHandler(),
    ):
        intent.async_register(hass, handler)


def _error(key: str, **placeholders: str) -> HomeAssistantError:
    return HomeAssistantError(
        translation_domain=DOMAIN, translation_key=key, translation_placeholders=placeholders
    )


def target_treadmill(intent_obj: intent.Intent) -> RetroWalkCoordinator:
    """The treadmill a request is about (see the module docstring)."""
    hass = intent_obj.hass
    registry = er.async_get(hass)
    coordinators: list[RetroWalkCoordinator] = [
        entry.runtime_data
        for entry in hass.config_entries.async_entries(DOMAIN)
        if entry.state is ConfigEntryState.LOADED
        and (
            intent_obj.assistant is None
            or any(
                async_should_expose(hass, intent_obj.assistant, entity.entity_id)
                for entity in er.async_entries_for_config_entry(registry, entry.entry_id)
            )
        )
    ]
    if not coordinators:
        raise _error("no_treadmill")
    if len(coordinators) == 1:
        return coordinators[0]
    devices = dr.async_get(hass)
    satellite = devices.async_get(intent_obj.device_id) if intent_obj.device_id else None
    if satellite is not None and satellite.area_id is not None:
        in_area = [
            coordinator
            for coordinator in coordinators
            if (
                device := devices.async_get_device_by_connection(
                    (dr.CONNECTION_BLUETOOTH, coordinator.address),
                    coordinator.config_entry.entry_id,
                )
            )
            is not None
            and device.area_id == satellite.area_id
        ]
        if len(in_area) == 1:
            return in_area[0]
    raise _error(
        "several_treadmills",
        names=", ".join(coordinator.config_entry.title for coordinator in coordinators),
    )


def treadmills_to_stop(intent_obj: intent.Intent) -> list[RetroWalkCoordinator]:
    """The treadmills a stop is for: the one meant, or, unsure, every one that moves.

    A stop is never refused for want of knowing which treadmill (as the emergency stop
    action): when the request does not say, every loaded treadmill whose belt moves or
    whose program runs is stopped.
    """
    try:
        return [target_treadmill(intent_obj)]
    except HomeAssistantError:
        moving = [
            coordinator
            for entry in intent_obj.hass.config_entries.async_entries(DOMAIN)
            if entry.state is ConfigEntryState.LOADED
            and (
                (coordinator := entry.runtime_data).program.running or coordinator.data.belt_moving
            )
        ]
        if not moving:
            raise
        return moving


def _connected(intent_obj: intent.Intent) -> RetroWalkCoordinator:
    coordinator = target_treadmill(intent_obj)
    if not coordinator.connected:
        raise _error("not_connected", name=coordinator.config_entry.title)
    return coordinator


def _minutes(value: float) -> str:
    """Minutes to say, to a tenth."""
    shown = round(value, 1)
    return f"{shown:g} minute" if shown == 1 else f"{shown:g} minutes"


def _count(number: int, thing: str) -> str:
    return f"{number} {thing}" if number == 1 else f"{number} {thing}s"


class RetroWalkIntentHandler(intent.IntentHandler):
    """A RetroWalk intent: a translated failure is said back, not raised."""

    @override
    async def async_handle(self, intent_obj: intent.Intent) -> intent.IntentResponse:
        """Handle the intent; a refusal is spoken as the error's translated message."""
        slots = self.async_validate_slots(intent_obj.slots)
        values = {name: slot["value"] for name, slot in slots.items() if "value" in slot}
        response = intent_obj.create_response()
        try:
            await self.async_respond(intent_obj, values, response)
        except HomeAssistantError as err:
            response.async_set_error(intent.IntentResponseErrorCode.FAILED_TO_HANDLE, str(err))
        return response

    async def async_respond(
        self,
        intent_obj: intent.Intent,
        slots: Mapping[str, Any],
        response: intent.IntentResponse,
    ) -> None:
        """Act and fill in the response."""
        raise NotImplementedError


class StartHandler(RetroWalkIntentHandler):
    """Start a retro walk: the level in the options, or the one asked for."""

    intent_type = INTENT_START
    description = (
        "Starts a retro-walking program on the treadmill: forward warm-up, the belt stops for "
        "the person to turn around, backward walking, forward cool-down. Without minutes the "
        "backward part follows the person's progression."
    )

    @property
    @override
    def slot_schema(self) -> dict[Any, Any]:
        """Optional backward minutes and level."""
        return {
            probatio.Optional(SLOT_MINUTES, description="Minutes of backward walking"): (
                probatio.Coerce(float)
            ),
            probatio.Optional(SLOT_LEVEL, description="Program level"): probatio.In(
                [level.value for level in Level]
            ),
        }

    @override
    async def async_respond(
        self,
        intent_obj: intent.Intent,
        slots: Mapping[str, Any],
        response: intent.IntentResponse,
    ) -> None:
        """Start the program and say how long the backward part is."""
        coordinator = _connected(intent_obj)
        data: dict[str, Any] = {}
        if SLOT_MINUTES in slots:
            data[ATTR_BACKWARD_MINUTES] = slots[SLOT_MINUTES]
        if SLOT_LEVEL in slots:
            data[ATTR_LEVEL] = slots[SLOT_LEVEL]
        plan = await async_start_program(intent_obj.hass, coordinator, data)
        backward_minutes = (
            sum(segment.duration_s for segment in plan.segments if segment.phase is Phase.BACKWARD)
            / 60
        )
        warm_up = plan.segments[0].phase is Phase.WARM_UP
        response.async_set_speech_slots(
            {
                "backward_minutes": round(backward_minutes, 1),
                "level": plan.level.value if plan.level else None,
            }
        )
        response.async_set_speech(
            f"Starting a retro walk with {_minutes(backward_minutes)} backward."
            + (
                " Warm up walking forward; when the belt stops, turn around and say you are ready."
                if warm_up
                else ""
            )
        )


class StopHandler(RetroWalkIntentHandler):
    """Stop the belt now; a program ends."""

    intent_type = INTENT_STOP
    description = "Stops the treadmill's belt at once; a running retro-walking program ends."

    @override
    async def async_respond(
        self,
        intent_obj: intent.Intent,
        slots: Mapping[str, Any],
        response: intent.IntentResponse,
    ) -> None:
        """Stop the belt."""
        coordinators = treadmills_to_stop(intent_obj)
        if len(coordinators) == 1:
            coordinator = coordinators[0]
            if not coordinator.connected:
                raise _error("not_connected", name=coordinator.config_entry.title)
            if not coordinator.program.running and not coordinator.data.belt_moving:
                raise _error("nothing_to_stop", name=coordinator.config_entry.title)
        await asyncio.gather(
            *(coordinator.async_stop_belt(SafetyReason.USER_STOP) for coordinator in coordinators)
        )
        response.async_set_speech("Stopping the treadmill.")


class ReadyHandler(RetroWalkIntentHandler):
    """The person has turned around at a turnaround."""

    intent_type = INTENT_READY
    description = (
        "Confirms the person has turned around while the program waits at a turnaround; "
        "the belt starts again at its lowest speed."
    )

    @override
    async def async_respond(
        self,
        intent_obj: intent.Intent,
        slots: Mapping[str, Any],
        response: intent.IntentResponse,
    ) -> None:
        """Confirm the turnaround."""
        coordinator = _connected(intent_obj)
        if (refusal := coordinator.program.confirm_ready()) is not None:
            raise _error(refusal, name=coordinator.config_entry.title)
        response.async_set_speech("The belt starts slowly. Hold the rails.")


class PainStopHandler(RetroWalkIntentHandler):
    """Knee pain: stop at once, and the progression does not ask for more next time."""

    intent_type = INTENT_PAIN_STOP
    description = (
        "The person reports knee pain: stops the belt at once and records a pain stop, so "
        "the next sessions are not made harder. Use it as soon as pain is mentioned."
    )

    @override
    async def async_respond(
        self,
        intent_obj: intent.Intent,
        slots: Mapping[str, Any],
        response: intent.IntentResponse,
    ) -> None:
        """Stop the belt with the pain reason, whatever it is doing."""
        await asyncio.gather(
            *(
                coordinator.async_stop_belt(SafetyReason.PAIN_STOP)
                for coordinator in treadmills_to_stop(intent_obj)
            )
        )
        response.async_set_speech(
            "Stopping the treadmill. Rest your knee; the next session will not be harder."
        )


class WeeklyProgressHandler(RetroWalkIntentHandler):
    """The week so far: backward minutes, retro sessions, the goal, the next session."""

    intent_type = INTENT_WEEKLY_PROGRESS
    description = (
        "Tells how much retro walking the person did this week: backward minutes, retro "
        "sessions, the weekly goal and the suggested backward minutes for the next session."
    )

    @override
    async def async_respond(
        self,
        intent_obj: intent.Intent,
        slots: Mapping[str, Any],
        response: intent.IntentResponse,
    ) -> None:
        """Say the week's figures."""
        figures = target_treadmill(intent_obj).tracking.figures
        summary = figures.summary
        response.response_type = intent.IntentResponseType.QUERY_ANSWER
        response.async_set_speech_slots(
            {
                "backward_minutes": round(summary.backward_minutes, 1),
                "treadmill_minutes": round(summary.treadmill_minutes, 1),
                "retro_sessions": summary.retro_sessions,
                "goal_sessions": figures.goal_sessions,
                "goal_minutes": figures.goal_minutes,
                "goal_progress": round(summary.goal_progress_pct),
                "goal_met": summary.goal_met,
                "weeks_in_a_row": figures.weeks_in_a_row,
                "suggested_backward_minutes": figures.suggestion.minutes,
            }
        )
        response.async_set_speech(weekly_progress_sentence(figures))


def weekly_progress_sentence(figures: WeeklyFigures) -> str:
    """The week in a few spoken sentences."""
    summary = figures.summary
    if summary.backward_minutes < 0.05:
        parts = ["You have not walked backward yet this week."]
    else:
        parts = [
            f"This week you walked backward for {_minutes(summary.backward_minutes)} in "
            f"{_count(summary.retro_sessions, 'retro session')}."
        ]
    if summary.goal_met:
        streak = figures.weeks_in_a_row
        parts.append(
            "You have met this week's goal" + (f", {streak} weeks in a row." if streak > 1 else ".")
        )
    else:
        missing: list[str] = []
        if figures.goal_sessions is not None and summary.retro_sessions < figures.goal_sessions:
            missing.append(_count(figures.goal_sessions - summary.retro_sessions, "more session"))
        if figures.goal_minutes is not None and summary.backward_minutes < figures.goal_minutes:
            left = math.ceil(figures.goal_minutes - summary.backward_minutes)
            missing.append(_count(left, "more backward minute"))
        parts.append(f"Your weekly goal needs {' and '.join(missing)}.")
    parts.append(f"Next session: {_minutes(figures.suggestion.minutes)} backward.")
    return " ".join(parts)


class SetDirectionHandler(RetroWalkIntentHandler):
    """Which way the person walks outside a program (the Walking direction select)."""

    intent_type = INTENT_SET_DIRECTION
    description = (
        "Sets which way the person faces when walking on the treadmill without a program "
        "(forward or backward), so the minutes are counted that way. Programs set it "
        "themselves."
    )

    @property
    @override
    def slot_schema(self) -> dict[Any, Any]:
        """The direction."""
        return {
            probatio.Required(SLOT_DIRECTION, description="forward or backward"): probatio.In(
                [direction.value for direction in Direction]
            )
        }

    @override
    async def async_respond(
        self,
        intent_obj: intent.Intent,
        slots: Mapping[str, Any],
        response: intent.IntentResponse,
    ) -> None:
        """Set the direction; the select shows it."""
        target_treadmill(intent_obj).tracking.set_manual_direction(Direction(slots[SLOT_DIRECTION]))
        response.async_set_speech(f"Counting your walking as {slots[SLOT_DIRECTION]}.")

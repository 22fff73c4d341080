"""LLM tools: the RetroWalk intents, for conversation agents backed by a language model.

Offered through the Assist API when a RetroWalk treadmill has an entity exposed to the
assistant (the Retro walk switch is exposed by default).
"""

from typing import Final

from homeassistant.components.homeassistant.exposed_entities import async_should_expose
from homeassistant.components.llm import LLMTools
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import entity_registry as er, intent
from homeassistant.helpers.llm import (
    LLM_API_ASSIST,
    IntentTool,
    LLMContext,
    Tool,
    ToolAnnotations,
)

from .const import DOMAIN
from .intent import (
    INTENT_PAIN_STOP,
    INTENT_READY,
    INTENT_SET_DIRECTION,
    INTENT_START,
    INTENT_STOP,
    INTENT_WEEKLY_PROGRESS,
)

# Every tool acts on the person's own treadmill, inside Home Assistant.
_STARTS = ToolAnnotations(destructive=False, open_world=False)
_SETS = ToolAnnotations(destructive=False, idempotent=True, open_world=False)
_READS = ToolAnnotations(read_only=True, destructive=False, open_world=False)

LLM_INTENTS: Final = {
    INTENT_START: ("Start retro walk", _STARTS),
    INTENT_STOP: ("Stop treadmill", _SETS),
    INTENT_READY: ("Ready after turning around", _STARTS),
    INTENT_PAIN_STOP: ("Stop for knee pain", _SETS),
    INTENT_WEEKLY_PROGRESS: ("Retro walking this week", _READS),
    INTENT_SET_DIRECTION: ("Set walking direction", _SETS),
}

PROMPT: Final = (
    "The RetroWalk tools control a treadmill used for backward (retro) walking by a person "
    "with knee pain. When the person mentions knee pain while walking, call "
    f"{DOMAIN}__{INTENT_PAIN_STOP} at once. Never start a program unless asked to."
)


@callback
def async_get_tools(hass: HomeAssistant, llm_context: LLMContext, api_id: str) -> LLMTools | None:
    """The RetroWalk tools, when a treadmill is exposed to the assistant."""
    if api_id != LLM_API_ASSIST or not llm_context.assistant:
        return None
    registry = er.async_get(hass)
    if not any(
        async_should_expose(hass, llm_context.assistant, entity.entity_id)
        for entry in hass.config_entries.async_entries(DOMAIN)
        if entry.state is ConfigEntryState.LOADED
        for entity in er.async_entries_for_config_entry(registry, entry.entry_id)
    ):
        return None
    tools: list[Tool] = [
        IntentTool(
            f"{DOMAIN}__{handler.intent_type}",
            handler,
            title=LLM_INTENTS[handler.intent_type][0],
            integration=DOMAIN,
            annotations=LLM_INTENTS[handler.intent_type][1],
        )
        for handler in intent.async_get(hass)
        if handler.intent_type in LLM_INTENTS
    ]
    return LLMTools(tools=tools, prompt=PROMPT)

"""Buttons: start or resume, pause and stop the belt; confirm a turnaround; stop for pain."""

from collections.abc import Callable, Coroutine, Hashable
from dataclasses import dataclass
from typing import Any

from homeassistant.components.button import ButtonEntity, ButtonEntityDescription
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from . import RetroWalkConfigEntry
from .const import DOMAIN
from .coordinator import RetroWalkCoordinator
from .entity import RetroWalkEntity
from .program import SafetyReason

# No limit here: the FTMS client serialises commands itself, and a stop must never wait for
# another button's command to finish.
PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class RetroWalkButtonDescription(ButtonEntityDescription):
    """What a button does."""

    press_fn: Callable[[RetroWalkCoordinator], Coroutine[Any, Any, None]]


async def _ready(coordinator: RetroWalkCoordinator) -> None:
    """Confirm a turnaround: the program starts the belt again at its lowest speed."""
    if (refusal := coordinator.program.confirm_ready()) is not None:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key=refusal,
            translation_placeholders={"name": coordinator.config_entry.title},
        )


async def async_setup_entry(
    hass: HomeAssistant,
    entry: RetroWalkConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the belt buttons."""
    async_add_entities(TreadmillButton(entry.runtime_data, description) for description in BUTTONS)


class TreadmillButton(RetroWalkEntity, ButtonEntity):
    """A belt command."""

    entity_description: RetroWalkButtonDescription

    def shown_state(self) -> Hashable:
        """A button shows only when it was last pressed, which it writes itself."""
        return None

    async def async_press(self) -> None:
        """Send the command to the treadmill."""
        await self.entity_description.press_fn(self.coordinator)


BUTTONS: tuple[RetroWalkButtonDescription, ...] = (
    RetroWalkButtonDescription(
        key="start", press_fn=lambda coordinator: coordinator.async_start_belt()
    ),
    RetroWalkButtonDescription(
        key="pause", press_fn=lambda coordinator: coordinator.async_pause_belt()
    ),
    RetroWalkButtonDescription(
        key="stop", press_fn=lambda coordinator: coordinator.async_stop_belt()
    ),
    RetroWalkButtonDescription(key="ready", press_fn=_ready),
    RetroWalkButtonDescription(
        key="pain_stop",
        press_fn=lambda coordinator: coordinator.async_stop_belt(SafetyReason.PAIN_STOP),
    ),
)

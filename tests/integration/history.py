"""Session histories written to the Store before the treadmill's entry is set up."""

from datetime import datetime, timedelta
from typing import Any

from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.retrowalk.progress import (
    DayBucket,
    EndReason,
    SessionHistory,
    SessionRecord,
)
from custom_components.retrowalk.tracking import STORAGE_VERSION, storage_key


def retro_session(start: str, backward_min: float = 5.0, **changes: Any) -> SessionRecord:
    """A finished beginner session: 3 min forward, ``backward_min`` backward, 3 min forward."""
    began = datetime.fromisoformat(start)
    backward_s = backward_min * 60
    return SessionRecord(
        id=start,
        start=began,
        end=began + timedelta(seconds=backward_s + 360),
        days=(
            DayBucket(
                began.date(),
                backward_s=backward_s,
                forward_s=360,
                backward_distance_m=backward_s * 0.4,
            ),
        ),
        distance_m=backward_s * 0.4 + 240,
        level="beginner",
        ended_by=changes.pop("ended_by", EndReason.FINISHED),
        **changes,
    )


def store_history(
    hass_storage: dict[str, Any], entry: MockConfigEntry, sessions: list[SessionRecord]
) -> None:
    """Put ``sessions`` on disk as the entry's history (nothing for an empty list)."""
    if not sessions:
        return
    key = storage_key(entry.entry_id)
    hass_storage[key] = {
        "version": STORAGE_VERSION,
        "minor_version": 1,
        "key": key,
        "data": {**SessionHistory(tuple(sessions)).to_dict(), "open_session": None},
    }

"""Stored session records and their JSON form.

A session is one continuous use of the treadmill, from the belt being started until a stop.
The person's time is kept in day buckets (one per local calendar date the session touched), so
weekly figures can be recomputed for any week start day without re-reading raw samples.

The JSON form is what the Home Assistant layer writes to its Store. Readers are tolerant: keys
they do not know are ignored, keys that are missing take neutral defaults, and an end reason
from a newer version reads as an ordinary stop.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import StrEnum
import logging
import math
from typing import Any

from .local_days import as_utc

_LOGGER = logging.getLogger(__name__)

SNAPSHOT_VERSION = 1
"""Version of the JSON layout written by :meth:`SessionHistory.to_dict` and the tracker."""


class Direction(StrEnum):
    """The way the person faces on the moving belt."""

    FORWARD = "forward"
    BACKWARD = "backward"


class EndReason(StrEnum):
    """Why a session ended.

    ``SAFETY`` carries its cause separately (:attr:`SessionRecord.safety_reason`, for example
    ``"safety_key"`` or ``"presence_lost"``), so the set of reasons stays closed while the
    safety rules can grow.
    """

    FINISHED = "finished"
    """The program ran to its end."""
    USER = "user"
    """The person stopped (button, voice, console)."""
    PAIN = "pain"
    """The person stopped because of pain."""
    SAFETY = "safety"
    """A safety rule or a machine event stopped the belt."""
    INTERRUPTED = "interrupted"
    """Home Assistant stopped or crashed; the session was closed at its last checkpoint."""


@dataclass(frozen=True, slots=True)
class DayBucket:
    """What one session contributed to one local calendar date."""

    day: date
    backward_s: float = 0.0
    forward_s: float = 0.0
    backward_distance_m: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON-safe form."""
        return {
            "date": self.day.isoformat(),
            "backward_s": self.backward_s,
            "forward_s": self.forward_s,
            "backward_distance_m": self.backward_distance_m,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DayBucket:
        """Read the JSON form; raises ``ValueError`` when the date is missing or malformed."""
        return cls(
            day=date.fromisoformat(_required_str(data, "date")),
            backward_s=_number(data, "backward_s"),
            forward_s=_number(data, "forward_s"),
            backward_distance_m=_number(data, "backward_distance_m"),
        )


@dataclass(frozen=True, slots=True)
class SessionRecord:
    """One session: when it ran, what it contributed per day, and how it ended.

    ``start`` and ``end`` are UTC. ``end`` is None while the session is open. Backward and
    forward seconds and the backward distance are the sums of the day buckets, which are the
    only stored copy. ``distance_m`` and ``energy_kcal`` cover the whole session, both
    directions.
    """

    id: str
    start: datetime
    end: datetime | None = None
    days: tuple[DayBucket, ...] = ()
    distance_m: float = 0.0
    energy_kcal: float = 0.0
    level: str | None = None
    ended_by: EndReason | None = None
    safety_reason: str | None = None

    def __post_init__(self) -> None:
        """Keep the invariants the figures rely on: UTC times, end not before start."""
        object.__setattr__(self, "start", as_utc(self.start))
        if self.end is not None:
            end = as_utc(self.end)
            if end < self.start:
                msg = f"session {self.id} ends ({end}) before it starts ({self.start})"
                raise ValueError(msg)
            object.__setattr__(self, "end", end)

    @property
    def is_open(self) -> bool:
        """Whether the session is still running."""
        return self.end is None

    @property
    def is_pain(self) -> bool:
        """Whether a pain stop ended the session."""
        return self.ended_by is EndReason.PAIN

    @property
    def is_safety(self) -> bool:
        """Whether a safety rule or machine event ended the session."""
        return self.ended_by is EndReason.SAFETY

    @property
    def backward_s(self) -> float:
        """Seconds walked backward on a moving belt."""
        return sum(bucket.backward_s for bucket in self.days)

    @property
    def forward_s(self) -> float:
        """Seconds walked forward on a moving belt."""
        return sum(bucket.forward_s for bucket in self.days)

    @property
    def backward_distance_m(self) -> float:
        """Metres walked backward."""
        return sum(bucket.backward_distance_m for bucket in self.days)

    @property
    def backward_minutes(self) -> float:
        """Minutes walked backward."""
        return self.backward_s / 60

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON-safe form."""
        return {
            "id": self.id,
            "start": self.start.isoformat(),
            "end": None if self.end is None else self.end.isoformat(),
            "level": self.level,
            "ended_by": None if self.ended_by is None else self.ended_by.value,
            "safety_reason": self.safety_reason,
            "distance_m": self.distance_m,
            "energy_kcal": self.energy_kcal,
            "days": [bucket.to_dict() for bucket in self.days],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SessionRecord:
        """Read the JSON form.

        Raises ``ValueError`` when the record cannot mean anything (no id, no or malformed
        start). Everything else is read leniently: an end reason written as
        ``"safety:<reason>"`` is split into reason and cause, and an unknown end reason reads
        as :attr:`EndReason.USER`, an ordinary stop.
        """
        raw_end = data.get("end")
        ended_by, safety_reason = _read_end_reason(data.get("ended_by"), data.get("safety_reason"))
        raw_days = data.get("days")
        return cls(
            id=_required_str(data, "id"),
            start=_aware(_required_str(data, "start")),
            end=_aware(raw_end) if isinstance(raw_end, str) else None,
            days=tuple(
                DayBucket.from_dict(item)
                for item in (raw_days if isinstance(raw_days, list) else [])
                if isinstance(item, Mapping)
            ),
            distance_m=_number(data, "distance_m"),
            energy_kcal=_number(data, "energy_kcal"),
            level=_optional_str(data, "level"),
            ended_by=ended_by,
            safety_reason=safety_reason,
        )


@dataclass(frozen=True, slots=True)
class SessionHistory:
    """The retained sessions, oldest first, and what pruning folded away.

    ``pruned_backward_distance_m`` keeps the backward distance of sessions dropped by the
    retention rule, so the lifetime total never decreases (it feeds a total_increasing sensor).
    """

    sessions: tuple[SessionRecord, ...] = ()
    pruned_backward_distance_m: float = 0.0

    def __post_init__(self) -> None:
        """Order the sessions by start so every reader can rely on it."""
        ordered = tuple(sorted(self.sessions, key=lambda session: session.start))
        object.__setattr__(self, "sessions", ordered)

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON-safe form."""
        return {
            "version": SNAPSHOT_VERSION,
            "pruned_backward_distance_m": self.pruned_backward_distance_m,
            "sessions": [session.to_dict() for session in self.sessions],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SessionHistory:
        """Read the JSON form, skipping (and logging) records that cannot be read.

        One damaged record must not cost the person their whole history.
        """
        sessions: list[SessionRecord] = []
        raw_sessions = data.get("sessions")
        for item in raw_sessions if isinstance(raw_sessions, list) else []:
            if not isinstance(item, Mapping):
                _LOGGER.warning("Skipping a stored session that is not an object: %r", item)
                continue
            try:
                sessions.append(SessionRecord.from_dict(item))
            except ValueError as err:
                _LOGGER.warning("Skipping an unreadable stored session: %s", err)
        return cls(
            sessions=tuple(sessions),
            pruned_backward_distance_m=_number(data, "pruned_backward_distance_m"),
        )


def _read_end_reason(raw: object, raw_safety_reason: object) -> tuple[EndReason | None, str | None]:
    """Decode an end reason and its safety cause, accepting the ``"safety:<cause>"`` form."""
    if not isinstance(raw, str):
        return None, None
    name, _, cause = raw.partition(":")
    try:
        reason = EndReason(name)
    except ValueError:
        return EndReason.USER, None
    if reason is not EndReason.SAFETY:
        return reason, None
    if isinstance(raw_safety_reason, str) and raw_safety_reason:
        return reason, raw_safety_reason
    return reason, cause or None


def _required_str(data: Mapping[str, Any], key: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value:
        msg = f"{key!r} must be a non-empty string, got {value!r}"
        raise ValueError(msg)
    return value


def _optional_str(data: Mapping[str, Any], key: str) -> str | None:
    value = data.get(key)
    return value if isinstance(value, str) else None


def _number(data: Mapping[str, Any], key: str) -> float:
    """Read a number, treating a missing, non-numeric or non-finite value as zero."""
    value = data.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return 0.0
    return float(value)


def _aware(text: str) -> datetime:
    """Parse an ISO timestamp; one without an offset is taken as UTC, the only zone we write."""
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return as_utc(moment)

"""Session tracking: attributes every moving-belt second to a walking direction.

The Home Assistant layer owns one :class:`SessionTracker`. It calls :meth:`~SessionTracker.begin`
when the belt is started, :meth:`~SessionTracker.sample` for each treadmill data notification
(and at least every few seconds while the belt moves), and :meth:`~SessionTracker.end` at every
stop. The direction it passes is the program's phase during a program, otherwise the "Walking
direction" select.

Attribution is a zero-order hold: the state reported by a sample (belt moving or not, direction)
is taken to hold until the next sample, so the time between two samples is credited to the
earlier sample's state. Program turnarounds stop the belt, so a direction change never falls
inside a credited interval.

Persistence: :meth:`~SessionTracker.snapshot` returns the whole state as JSON-safe data; the
open session is written as it stands, with its checkpoint time (the instant up to which it has
been credited). Calling :meth:`~SessionTracker.checkpoint` just before taking the snapshot
credits the time since the last sample, so a snapshot saved at least once a minute (and at
every stop) means a crash costs at most the minute since the last save.

Restore policy: :meth:`~SessionTracker.from_snapshot` closes a session that was open when the
snapshot was written at its checkpoint time, as :attr:`EndReason.INTERRUPTED`; the time after
the checkpoint is unknown and never credited. If the belt is still moving after a short restart
(manual walking carries on), :meth:`~SessionTracker.resume_interrupted` reopens that session so
one walk stays one session; a program never resumes by itself, so the program runner decides.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta, tzinfo
import logging
import math
from typing import TYPE_CHECKING, Any
import uuid

from .local_days import as_utc, local_date, split_by_local_day
from .model import DayBucket, Direction, EndReason, SessionHistory, SessionRecord

if TYPE_CHECKING:
    from collections.abc import Callable

_LOGGER = logging.getLogger(__name__)

DEFAULT_RETENTION = timedelta(days=400)
"""How long sessions are kept: 57 weeks, so the last 52 complete weeks are always there."""
MINIMUM_RETENTION = timedelta(weeks=53)
"""52 complete weeks plus the current one."""
DEFAULT_MAX_SAMPLE_GAP = timedelta(seconds=30)
"""Longest interval credited between two samples. Treadmills notify about once a second; after
a longer silence nobody knows what the belt did, so only this much is credited."""
DEFAULT_RESUME_WINDOW = timedelta(minutes=5)
"""How soon after an interruption a still-moving belt continues the interrupted session."""

MAX_PLAUSIBLE_BELT_SPEED_M_PER_S = 25 / 3.6
"""Faster than any home treadmill (25 km/h); a distance counter rising faster has jumped."""
DISTANCE_COUNTER_SLACK_M = 5.0
"""FTMS distance counts whole metres, so a plausible step may exceed speed x time a little."""
MAX_PLAUSIBLE_ENERGY_RATE_KCAL_PER_S = 0.5
"""30 kcal a minute, far above walking; an energy counter rising faster has jumped."""
ENERGY_COUNTER_SLACK_KCAL = 2.0
"""FTMS energy counts whole kilocalories."""


class SessionStateError(RuntimeError):
    """A call that needs an open session came without one, or the other way round."""


@dataclass(slots=True)
class _CumulativeCounter:
    """Turns a device's cumulative counter into increments for the current session.

    Counters differ between treadmills: some restart at zero for each workout, some are lifetime
    odometers, some restart after a pause or reconnect, some glitch. Only plausible increases
    are credited; a decrease (restart) or an implausible jump just sets a new baseline.
    """

    last_reading: float | None = None

    def credit(self, reading: float | None, max_plausible_increase: float) -> float:
        """Return the increase since the previous reading that belongs to this session."""
        if reading is None or not math.isfinite(reading):
            return 0.0
        previous, self.last_reading = self.last_reading, reading
        if previous is None:
            return 0.0
        increase = reading - previous
        if increase < 0 or increase > max_plausible_increase:
            return 0.0
        return increase


@dataclass(slots=True)
class _DayTotals:
    backward_s: float = 0.0
    forward_s: float = 0.0
    backward_distance_m: float = 0.0


@dataclass(slots=True)
class _OpenSession:
    """The mutable state of the session being recorded."""

    id: str
    start: datetime
    level: str | None
    last_sample_at: datetime
    days: dict[date, _DayTotals] = field(default_factory=dict)
    distance_m: float = 0.0
    energy_kcal: float = 0.0
    moving: bool = False
    direction: Direction = Direction.FORWARD
    distance_counter: _CumulativeCounter = field(default_factory=_CumulativeCounter)
    energy_counter: _CumulativeCounter = field(default_factory=_CumulativeCounter)

    @classmethod
    def resumed(cls, record: SessionRecord, now: datetime) -> _OpenSession:
        """Reopen a stored record; its counters start afresh at the next sample."""
        return cls(
            id=record.id,
            start=record.start,
            level=record.level,
            last_sample_at=now,
            days={
                bucket.day: _DayTotals(
                    bucket.backward_s, bucket.forward_s, bucket.backward_distance_m
                )
                for bucket in record.days
            },
            distance_m=record.distance_m,
            energy_kcal=record.energy_kcal,
        )

    def record(
        self,
        end: datetime | None = None,
        ended_by: EndReason | None = None,
        safety_reason: str | None = None,
    ) -> SessionRecord:
        """Return the frozen record of the session as it stands."""
        return SessionRecord(
            id=self.id,
            start=self.start,
            end=end,
            days=tuple(
                DayBucket(day, totals.backward_s, totals.forward_s, totals.backward_distance_m)
                for day, totals in sorted(self.days.items())
            ),
            distance_m=self.distance_m,
            energy_kcal=self.energy_kcal,
            level=self.level,
            ended_by=ended_by,
            safety_reason=safety_reason,
        )


class SessionTracker:
    """Records sessions and keeps the session history.

    All times are aware datetimes supplied by the caller (the clock is injected); they are
    stored in UTC. ``time_zone`` decides which local date each second is credited to.
    """

    def __init__(
        self,
        time_zone: tzinfo,
        *,
        history: SessionHistory | None = None,
        retention: timedelta = DEFAULT_RETENTION,
        max_sample_gap: timedelta = DEFAULT_MAX_SAMPLE_GAP,
        new_session_id: Callable[[], str] = lambda: uuid.uuid4().hex,
    ) -> None:
        """Create a tracker, optionally continuing an existing history (no session open)."""
        if retention < MINIMUM_RETENTION:
            msg = f"retention must be at least {MINIMUM_RETENTION}, got {retention}"
            raise ValueError(msg)
        if max_sample_gap <= timedelta(0):
            msg = f"max_sample_gap must be positive, got {max_sample_gap}"
            raise ValueError(msg)
        self._time_zone = time_zone
        self._closed = history if history is not None else SessionHistory()
        self._retention = retention
        self._max_sample_gap = max_sample_gap
        self._new_session_id = new_session_id
        self._open: _OpenSession | None = None

    @property
    def time_zone(self) -> tzinfo:
        """The zone whose calendar dates the day buckets use."""
        return self._time_zone

    @property
    def is_open(self) -> bool:
        """Whether a session is being recorded."""
        return self._open is not None

    @property
    def open_session(self) -> SessionRecord | None:
        """The session being recorded, as of its last sample (``end`` is None)."""
        return None if self._open is None else self._open.record()

    @property
    def history(self) -> SessionHistory:
        """All retained sessions, the open one included as it stands."""
        if self._open is None:
            return self._closed
        return replace(self._closed, sessions=(*self._closed.sessions, self._open.record()))

    def begin(self, now: datetime, *, level: str | None = None) -> SessionRecord:
        """Open a session at ``now`` (belt not yet moving) and return it."""
        if self._open is not None:
            msg = f"session {self._open.id} is still open"
            raise SessionStateError(msg)
        now = as_utc(now)
        self._open = _OpenSession(
            id=self._new_session_id(), start=now, level=level, last_sample_at=now
        )
        return self._open.record()

    def sample(
        self,
        now: datetime,
        *,
        moving: bool,
        direction: Direction,
        total_distance_m: float | None = None,
        total_energy_kcal: float | None = None,
    ) -> None:
        """Record the treadmill's state at ``now``.

        The time since the previous sample is credited to the previous sample's state; the new
        ``moving`` and ``direction`` hold from now on. ``total_distance_m`` and
        ``total_energy_kcal`` are the device's cumulative counters (None when not reported);
        their plausible increases are credited, to the previous sample's direction.
        """
        session = self._require_open()
        self._credit_until(session, as_utc(now), total_distance_m, total_energy_kcal)
        session.moving = moving
        session.direction = direction

    def checkpoint(self, now: datetime) -> None:
        """Credit the time since the last sample to the state in force, up to ``now``.

        The state of the last sample holds until the next one, so this is what the next
        sample would credit anyway. Call it right before :meth:`snapshot` when saving; without
        an open session it does nothing.
        """
        if self._open is not None:
            self._credit_until(self._open, as_utc(now), None, None)

    def end(
        self, now: datetime, reason: EndReason, *, safety_reason: str | None = None
    ) -> SessionRecord:
        """Close the open session at ``now`` and return its record.

        The interval since the last sample is credited to that sample's state: the belt ran
        until this stop. ``safety_reason`` names the cause of a :attr:`EndReason.SAFETY` stop.
        Sessions in which the belt never moved are not kept unless a pain stop ended them
        (that still matters for progression); the record is returned either way.
        """
        if safety_reason is not None and reason is not EndReason.SAFETY:
            msg = f"safety_reason only goes with EndReason.SAFETY, not {reason}"
            raise ValueError(msg)
        session = self._require_open()
        now = as_utc(now)
        self._credit_until(session, now, None, None)
        record = session.record(max(now, session.start), reason, safety_reason)
        self._open = None
        self._keep(record)
        self.prune(now)
        return record

    def resume_interrupted(
        self, now: datetime, *, within: timedelta = DEFAULT_RESUME_WINDOW
    ) -> SessionRecord | None:
        """Reopen the latest session if an interruption closed it less than ``within`` ago.

        Meant for the case where the belt is still moving after Home Assistant restarted. The
        interruption itself is not credited; the next sample starts crediting again. Returns
        the reopened session, or None when there is nothing to resume.
        """
        if self._open is not None:
            msg = f"session {self._open.id} is still open"
            raise SessionStateError(msg)
        now = as_utc(now)
        if not self._closed.sessions:
            return None
        latest = self._closed.sessions[-1]
        if (
            latest.ended_by is not EndReason.INTERRUPTED
            or latest.end is None
            or not timedelta(0) <= now - latest.end <= within
        ):
            return None
        self._closed = replace(self._closed, sessions=self._closed.sessions[:-1])
        self._open = _OpenSession.resumed(latest, now)
        return self._open.record()

    def prune(self, now: datetime) -> None:
        """Drop closed sessions that started more than the retention period before ``now``.

        Their backward distance is folded into the history's pruned total, so the lifetime
        distance never decreases.
        """
        cutoff = as_utc(now) - self._retention
        kept = tuple(session for session in self._closed.sessions if session.start >= cutoff)
        if len(kept) == len(self._closed.sessions):
            return
        dropped_distance = sum(
            session.backward_distance_m
            for session in self._closed.sessions
            if session.start < cutoff
        )
        self._closed = SessionHistory(
            sessions=kept,
            pruned_backward_distance_m=self._closed.pruned_backward_distance_m + dropped_distance,
        )

    def snapshot(self) -> dict[str, Any]:
        """Return the whole state as JSON-safe data for the Store.

        Layout: the history's own form (``version``, ``pruned_backward_distance_m``,
        ``sessions``: closed sessions) plus ``open_session``: the open session's record with
        ``checkpoint_at``, the time up to which it has been credited, or None.
        """
        data = self._closed.to_dict()
        if self._open is None:
            data["open_session"] = None
        else:
            data["open_session"] = {
                **self._open.record().to_dict(),
                "checkpoint_at": self._open.last_sample_at.isoformat(),
            }
        return data

    @classmethod
    def from_snapshot(
        cls,
        data: Mapping[str, Any],
        now: datetime,
        time_zone: tzinfo,
        *,
        retention: timedelta = DEFAULT_RETENTION,
        max_sample_gap: timedelta = DEFAULT_MAX_SAMPLE_GAP,
        new_session_id: Callable[[], str] = lambda: uuid.uuid4().hex,
    ) -> SessionTracker:
        """Rebuild a tracker from :meth:`snapshot` data (see the module's restore policy).

        A session that was open is closed at its checkpoint as ``INTERRUPTED``; a snapshot
        without a readable checkpoint closes it at the earliest time consistent with the
        credited minutes. Unreadable parts are skipped, never fatal.
        """
        history = SessionHistory.from_dict(data)
        # A record without an end among the closed ones can only come from a damaged or
        # hand-edited file; it is treated like an interrupted session without a checkpoint.
        closed = tuple(
            _closed_at_checkpoint(session, None) if session.is_open else session
            for session in history.sessions
        )
        tracker = cls(
            time_zone,
            history=replace(history, sessions=closed),
            retention=retention,
            max_sample_gap=max_sample_gap,
            new_session_id=new_session_id,
        )
        raw_open = data.get("open_session")
        if isinstance(raw_open, Mapping):
            try:
                open_record = SessionRecord.from_dict(raw_open)
            except ValueError as err:
                _LOGGER.warning("Dropping an unreadable open session: %s", err)
            else:
                if all(session.id != open_record.id for session in closed):
                    tracker._keep(_closed_at_checkpoint(open_record, raw_open.get("checkpoint_at")))
        tracker.prune(now)
        return tracker

    def _require_open(self) -> _OpenSession:
        if self._open is None:
            msg = "no session is open"
            raise SessionStateError(msg)
        return self._open

    def _keep(self, record: SessionRecord) -> None:
        """Add a closed record to the history unless nothing at all happened in it."""
        nothing_happened = record.backward_s == 0 and record.forward_s == 0
        if nothing_happened and record.distance_m == 0 and not record.is_pain:
            return
        self._closed = replace(self._closed, sessions=(*self._closed.sessions, record))

    def _credit_until(
        self,
        session: _OpenSession,
        now: datetime,
        total_distance_m: float | None,
        total_energy_kcal: float | None,
    ) -> None:
        """Credit ``[last sample, now)`` to the last sample's state and advance the checkpoint."""
        elapsed_s = max(0.0, (now - session.last_sample_at).total_seconds())
        distance_m = session.distance_counter.credit(
            total_distance_m,
            elapsed_s * MAX_PLAUSIBLE_BELT_SPEED_M_PER_S + DISTANCE_COUNTER_SLACK_M,
        )
        session.energy_kcal += session.energy_counter.credit(
            total_energy_kcal,
            elapsed_s * MAX_PLAUSIBLE_ENERGY_RATE_KCAL_PER_S + ENERGY_COUNTER_SLACK_KCAL,
        )
        session.distance_m += distance_m
        backward = session.direction is Direction.BACKWARD
        if session.moving and elapsed_s > 0:
            credited_end = min(now, session.last_sample_at + self._max_sample_gap)
            credited_s = (credited_end - session.last_sample_at).total_seconds()
            for day, seconds in split_by_local_day(
                session.last_sample_at, credited_end, self._time_zone
            ):
                totals = session.days.setdefault(day, _DayTotals())
                if backward:
                    totals.backward_s += seconds
                    totals.backward_distance_m += distance_m * seconds / credited_s
                else:
                    totals.forward_s += seconds
        elif backward and distance_m > 0:
            # The belt was reported still, yet the counter moved (it was still coasting to a
            # stop): the metres are real, so they go to the day they were reported on.
            day = local_date(now, self._time_zone)
            session.days.setdefault(day, _DayTotals()).backward_distance_m += distance_m
        session.last_sample_at = now


def _closed_at_checkpoint(record: SessionRecord, raw_checkpoint: object) -> SessionRecord:
    """Close a session that was open when it was stored, as ``INTERRUPTED``.

    It ends at its checkpoint (the time up to which it was credited). Without a readable
    checkpoint it ends at the earliest time consistent with its credited seconds.
    """
    end = record.start + timedelta(seconds=record.backward_s + record.forward_s)
    if isinstance(raw_checkpoint, str):
        try:
            end = max(end, as_utc(datetime.fromisoformat(raw_checkpoint)))
        except ValueError:
            _LOGGER.warning("Unreadable checkpoint %r of session %s", raw_checkpoint, record.id)
    return replace(record, end=end, ended_by=EndReason.INTERRUPTED, safety_reason=None)

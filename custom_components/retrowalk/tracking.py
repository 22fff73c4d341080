"""Session tracking: the person's walking history, fed from the treadmill and kept in a Store.

The progress package does the counting; this module feeds it and decides when:

- A session begins when the belt starts moving, and ends at every stop: the end of a program
  (finished, or stopped early by the person), every safety stop (the pain button, the Stop
  button, an emergency stop, the safety key, a lost link during a program ...), the person
  pressing stop on the console, or, outside a program, a belt that has stood still for
  ``MANUAL_SESSION_IDLE_END`` (treadmills that do not report a stop). A pause (a program's
  turnaround, the Pause button) does not end a session: one walk is one session.
- The walking direction is the program's during a program (during a turnaround the person
  still faces the way they walked until the belt stands), otherwise the "Walking direction"
  select.
- The Store is written every ``TRACKING_SAVE_INTERVAL`` while a session is open (after a
  checkpoint, so the minute just walked is in it) and at once at every stop, so a crash loses
  at most that interval. After a restart, a session that was open is closed at its checkpoint
  as interrupted; if the belt still moves outside a program it is continued.
- The weekly figures are computed at load, once per interval while walking, at every session
  end, at the start of each week and when the options change; the progression's suggestion
  (a few milliseconds for a year of history) only at load, session end, week start and option
  changes.
"""

from dataclasses import dataclass
from datetime import datetime
import logging
from typing import TYPE_CHECKING, Any

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.event import (
    async_track_point_in_utc_time,
    async_track_time_interval,
)
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util

from .const import (
    DOMAIN,
    EVENT_SESSION_ENDED,
    MANUAL_SESSION_IDLE_END,
    TRACKING_SAVE_INTERVAL,
)
from .ftms import MachineStatus, TreadmillData
from .options import RetroWalkOptions
from .program import LEVEL_PROGRAMS, Level, Phase, SafetyReason
from .program.plan import MOVING_PHASES
from .program_control import SafetyStop
from .progress import (
    BackwardSuggestion,
    Direction,
    EndReason,
    SessionRecord,
    SessionTracker,
    WeeklySummary,
    last_retro_session,
    suggest_next_backward,
    summarize_week,
    total_backward_distance_m,
    weeks_in_a_row_goal_met,
)
from .progress.progression import DEFAULT_MAXIMUM_MINUTES, DEFAULT_MINIMUM_MINUTES

if TYPE_CHECKING:
    from .coordinator import RetroWalkCoordinator

_LOGGER = logging.getLogger(__name__)

STORAGE_VERSION = 1


def storage_key(entry_id: str) -> str:
    """The Store key of one treadmill's session history."""
    return f"{DOMAIN}.{entry_id}.sessions"


def session_store(hass: HomeAssistant, entry_id: str) -> Store[dict[str, Any]]:
    """The Store of one treadmill's session history."""
    return Store(hass, STORAGE_VERSION, storage_key(entry_id))


def end_reason(reason: SafetyReason) -> tuple[EndReason, str | None]:
    """How a safety stop's reason is recorded: the person's stops, pain, or a safety cause."""
    match reason:
        case SafetyReason.USER_STOP:
            return EndReason.USER, None
        case SafetyReason.PAIN_STOP:
            return EndReason.PAIN, None
        case _:
            return EndReason.SAFETY, reason.value


@dataclass(frozen=True, slots=True)
class WeeklyFigures:
    """What the weekly sensors, voice answers and the session event show."""

    summary: WeeklySummary
    weeks_in_a_row: int
    last_retro_session: datetime | None
    total_backward_distance_m: float
    suggestion: BackwardSuggestion
    goal_sessions: int | None
    goal_minutes: float | None


class SessionTracking:
    """Records one treadmill's sessions and keeps its weekly figures up to date."""

    def __init__(self, hass: HomeAssistant, coordinator: RetroWalkCoordinator) -> None:
        """Nothing is loaded yet: call :meth:`async_load` before the entities are added."""
        self._hass = hass
        self._coordinator = coordinator
        self._store = session_store(hass, coordinator.config_entry.entry_id)
        # Day buckets and weeks follow Home Assistant's time zone as it was at setup.
        self._time_zone = dt_util.get_default_time_zone()
        self._settings = coordinator.options.weekly.week_settings(self._time_zone)
        self._tracker = SessionTracker(self._time_zone)
        self.manual_direction = Direction.FORWARD
        self._program_direction = Direction.FORWARD
        self._program_session = False
        # After a stop the belt coasts; a new session needs it to have stood still first.
        self._awaiting_still = False
        self._moving = False
        self._still_since: datetime | None = None
        self._listeners: list[CALLBACK_TYPE] = []
        self._unsubscribe: list[CALLBACK_TYPE] = []
        self._cancel_interval: CALLBACK_TYPE | None = None
        self._cancel_rollover: CALLBACK_TYPE | None = None
        self._suggestion: BackwardSuggestion | None = None
        self._loaded = False
        self.figures = self._figures(dt_util.utcnow(), suggest=True)

    # Life cycle ------------------------------------------------------------------------------

    async def async_load(self) -> None:
        """Read the stored history and start following the program and the calendar."""
        now = dt_util.utcnow()
        stored = await self._store.async_load()
        if stored is not None:
            self._tracker = SessionTracker.from_snapshot(stored, now, self._time_zone)
        self._loaded = True
        program = self._coordinator.program
        self._unsubscribe += [
            program.async_add_listener(self._handle_program),
            program.async_add_safety_stop_listener(self._handle_safety_stop),
        ]
        self._refresh(now, suggest=True)

    async def async_shutdown(self) -> None:
        """Stop following and write the history as it stands (an open session stays open).

        The coordinator calls this after a running program has ended, so a program's session
        is already closed; a manual walk is continued after a quick reload.
        """
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self._unsubscribe.clear()
        self._stop_interval()
        if self._cancel_rollover is not None:
            self._cancel_rollover()
            self._cancel_rollover = None
        if self._loaded:
            # Never overwrite a history that was not read (a setup that failed before).
            await self._store.async_save(self._snapshot())

    @callback
    def async_add_listener(self, listener: CALLBACK_TYPE) -> CALLBACK_TYPE:
        """Call ``listener`` whenever the weekly figures or the manual direction change."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    # What the treadmill says -----------------------------------------------------------------

    @callback
    def observe_data(self, data: TreadmillData) -> None:
        """A treadmill record: the belt's motion and the distance and energy counters."""
        now = dt_util.utcnow()
        moving = bool(data.speed_kmh)
        self._moving = moving
        if not moving:
            self._awaiting_still = False
        if not self._tracker.is_open:
            if not moving or self._awaiting_still:
                return
            self._open(now)
        self._tracker.sample(
            now,
            moving=moving,
            direction=self._direction(),
            total_distance_m=data.total_distance_m,
            total_energy_kcal=data.total_energy_kcal,
        )
        if moving:
            self._still_since = None
            return
        if self._still_since is None:
            self._still_since = now
        if not self._program_session and now - self._still_since >= MANUAL_SESSION_IDLE_END:
            self._end(self._still_since, EndReason.USER)

    @callback
    def observe_machine_status(self, status: MachineStatus) -> None:
        """A stop on the console or by the safety key ends a walk outside a program.

        During a program the program decides (and announces a safety stop). A stop RetroWalk
        sent itself is reported by the treadmill as "stopped by the user"; its safety stop,
        with the real reason, follows and ends the session.
        """
        if not self._tracker.is_open or self._program_session:
            return
        now = dt_util.utcnow()
        if status.stopped_by_safety_key:
            self._end(now, EndReason.SAFETY, SafetyReason.SAFETY_KEY.value)
        elif status.stopped and not self._coordinator.program.halting():
            self._end(now, EndReason.USER)

    @callback
    def observe_link(self, connected: bool) -> None:
        """A lost link interrupts a manual walk; it continues if the belt still runs later."""
        if connected or not self._tracker.is_open or self._program_session:
            return
        self._end(dt_util.utcnow(), EndReason.INTERRUPTED, await_still=False)

    @callback
    def _handle_program(self) -> None:
        program = self._coordinator.program
        snapshot = program.snapshot
        now = dt_util.utcnow()
        if program.running and snapshot is not None:
            # A program is a new start, even on a belt still coasting from the last stop.
            self._awaiting_still = False
            if self._tracker.is_open and not self._program_session:
                # A program took over a belt the person started by hand: the manual walk
                # ends here and the program's session begins at once.
                self._end(now, EndReason.USER, await_still=False)
            direction = self._program_direction
            if snapshot.phase in MOVING_PHASES and snapshot.direction is not None:
                direction = Direction(snapshot.direction.value)
            elif snapshot.phase is Phase.PRE_WORKOUT and program.plan is not None:
                first = next(program.plan.moving_segments())
                direction = Direction(first.direction.value)
            self._set_program_direction(now, direction)
        elif snapshot is not None and self._program_session and self._tracker.is_open:
            # An aborted program announced its safety stop first, which ended the session.
            self._end(now, EndReason.USER if snapshot.ended_early else EndReason.FINISHED)

    @callback
    def _handle_safety_stop(self, stop: SafetyStop) -> None:
        if self._tracker.is_open:
            self._end(stop.at, *end_reason(stop.reason))

    # What the person sets --------------------------------------------------------------------

    @callback
    def set_manual_direction(self, direction: Direction) -> None:
        """The "Walking direction" select: the way the person faces outside programs."""
        if direction is self.manual_direction:
            return
        self.manual_direction = direction
        if self._tracker.is_open and not self._program_session:
            # Credit the time so far to the old direction, from now on to the new one.
            self._tracker.sample(dt_util.utcnow(), moving=self._moving, direction=direction)
        self._notify()

    @callback
    def apply_options(self, options: RetroWalkOptions) -> None:
        """New weekly goal, week start or session minimum: the figures are computed again."""
        self._settings = options.weekly.week_settings(self._time_zone)
        self._refresh(dt_util.utcnow(), suggest=True)

    # What others read ------------------------------------------------------------------------

    def suggestion_for(self, level: Level) -> BackwardSuggestion:
        """The progression's backward minutes for the next session at ``level``.

        Kept short enough for the level's warm-up and cool-down to fit the session limit.
        """
        numbers = LEVEL_PROGRAMS[level]
        room = (
            self._coordinator.options.limits.max_session_s - numbers.warm_up_s - numbers.cool_down_s
        ) / 60
        return suggest_next_backward(
            self._tracker.history,
            dt_util.utcnow(),
            self._settings,
            numbers.backward_s / 60,
            maximum_minutes=max(DEFAULT_MINIMUM_MINUTES, min(DEFAULT_MAXIMUM_MINUTES, room)),
        )

    def planned_backward_minutes(self, level: Level) -> float | None:
        """Backward minutes for a program started without them; None: the level's own.

        The suggestion applies when the options follow the progression and there is a
        history to follow; a first session runs the level as it is.
        """
        if not self._coordinator.options.weekly.follow_progression:
            return None
        if not self._tracker.history.sessions:
            return None
        return self.suggestion_for(level).minutes

    # Sessions --------------------------------------------------------------------------------

    def _open(self, now: datetime) -> None:
        program = self._coordinator.program
        resumed = None if program.running else self._tracker.resume_interrupted(now)
        if resumed is None:
            plan = program.plan if program.running else None
            level = plan.level.value if plan is not None and plan.level is not None else None
            self._tracker.begin(now, level=level)
        self._program_session = program.running
        self._still_since = None
        self._cancel_interval = async_track_time_interval(
            self._hass,
            self._handle_interval,
            TRACKING_SAVE_INTERVAL,
            name=f"{DOMAIN} session checkpoint",
        )

    def _end(
        self,
        at: datetime,
        reason: EndReason,
        safety_reason: str | None = None,
        *,
        await_still: bool = True,
    ) -> None:
        record = self._tracker.end(at, reason, safety_reason=safety_reason)
        self._program_session = False
        self._awaiting_still = await_still
        self._still_since = None
        self._stop_interval()
        now = dt_util.utcnow()
        self._refresh(now, suggest=True)
        self._store.async_delay_save(self._snapshot)
        # An interrupted walk may still go on (the link comes back, the belt still runs).
        if reason is not EndReason.INTERRUPTED and (
            record.backward_s or record.forward_s or record.is_pain
        ):
            self._announce(record)

    @callback
    def _set_program_direction(self, now: datetime, direction: Direction) -> None:
        if direction is self._program_direction:
            return
        self._program_direction = direction
        if self._tracker.is_open and self._program_session:
            self._tracker.sample(now, moving=self._moving, direction=direction)

    def _direction(self) -> Direction:
        return self._program_direction if self._program_session else self.manual_direction

    @callback
    def _handle_interval(self, _now: datetime) -> None:
        now = dt_util.utcnow()
        self._tracker.checkpoint(now)
        self._refresh(now, suggest=False)
        self._store.async_delay_save(self._snapshot)

    def _stop_interval(self) -> None:
        if self._cancel_interval is not None:
            self._cancel_interval()
            self._cancel_interval = None

    def _snapshot(self) -> dict[str, Any]:
        """The history as it stands this instant, for the Store."""
        self._tracker.checkpoint(dt_util.utcnow())
        return self._tracker.snapshot()

    # Figures ---------------------------------------------------------------------------------

    def _figures(self, now: datetime, *, suggest: bool) -> WeeklyFigures:
        history = self._tracker.history
        if suggest or self._suggestion is None:
            self._suggestion = self.suggestion_for(self._coordinator.options.level)
        last = last_retro_session(history, self._settings)
        return WeeklyFigures(
            summary=summarize_week(history, now, self._settings),
            weeks_in_a_row=weeks_in_a_row_goal_met(history, now, self._settings),
            last_retro_session=None if last is None else last.start,
            total_backward_distance_m=total_backward_distance_m(history),
            suggestion=self._suggestion,
            goal_sessions=self._settings.goal_sessions,
            goal_minutes=self._settings.goal_minutes,
        )

    @callback
    def _refresh(self, now: datetime, *, suggest: bool) -> None:
        self.figures = self._figures(now, suggest=suggest)
        self._schedule_rollover()
        self._notify()

    @callback
    def _notify(self) -> None:
        for listener in list(self._listeners):
            listener()

    @callback
    def _schedule_rollover(self) -> None:
        """Compute everything afresh at the first instant of the next week."""
        if self._cancel_rollover is not None:
            self._cancel_rollover()
        self._cancel_rollover = async_track_point_in_utc_time(
            self._hass, self._handle_rollover, dt_util.as_utc(self.figures.summary.week_end)
        )

    @callback
    def _handle_rollover(self, _now: datetime) -> None:
        self._cancel_rollover = None
        now = dt_util.utcnow()
        self._tracker.checkpoint(now)
        self._refresh(now, suggest=True)

    # The session's end, announced ------------------------------------------------------------

    @callback
    def _announce(self, record: SessionRecord) -> None:
        figures = self.figures
        summary = figures.summary
        device = dr.async_get(self._hass).async_get_device_by_connection(
            (dr.CONNECTION_BLUETOOTH, self._coordinator.address),
            self._coordinator.config_entry.entry_id,
        )
        self._hass.bus.async_fire(
            EVENT_SESSION_ENDED,
            {
                "device_id": device.id if device else None,
                "start": record.start.isoformat(),
                "end": record.end.isoformat() if record.end else None,
                "level": record.level,
                "ended_by": record.ended_by.value if record.ended_by else None,
                "safety_reason": record.safety_reason,
                "backward_minutes": round(record.backward_minutes, 1),
                "forward_minutes": round(record.forward_s / 60, 1),
                "backward_distance_m": round(record.backward_distance_m),
                "distance_m": round(record.distance_m),
                "energy_kcal": round(record.energy_kcal),
                "counts_as_retro_session": self._settings.counts_as_retro_session(record),
                "week_backward_minutes": round(summary.backward_minutes, 1),
                "week_retro_sessions": summary.retro_sessions,
                "week_goal_progress_pct": round(summary.goal_progress_pct),
                "week_goal_met": summary.goal_met,
                "suggested_backward_minutes": figures.suggestion.minutes,
                "progression_rule": figures.suggestion.rule.value,
            },
        )

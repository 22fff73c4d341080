"""Retro-walking programs on one treadmill: the runner, the safety guard and their events.

The program package decides what to do; this module connects it to Home Assistant: it feeds
the safety guard with what the treadmill, the linked heart-rate sensor and the linked presence
sensor say, schedules the guard's time rules, and announces every safety stop (an event on
the bus and the "Safety stop" event entity).
"""

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
import logging
import time
from typing import TYPE_CHECKING

from homeassistant.const import STATE_ON, STATE_UNAVAILABLE, STATE_UNKNOWN
from homeassistant.core import (
    CALLBACK_TYPE,
    Event,
    EventStateChangedData,
    HomeAssistant,
    State,
    callback,
)
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.event import async_call_later, async_track_state_change_event
from homeassistant.util import dt as dt_util

from .const import DOMAIN, EVENT_SAFETY_STOP
from .ftms import (
    FtmsClient,
    FtmsError,
    FtmsNotConnectedError,
    MachineStatus,
    MachineStatusOp,
    StopOrPause,
    TreadmillData,
)
from .program import (
    AsyncioClock,
    DeviceLimits,
    DeviceRange,
    HeartRateSource,
    LimitError,
    Phase,
    Plan,
    ProgramRunner,
    RampSettings,
    RunnerSnapshot,
    SafetyGuard,
    SafetyReason,
)

if TYPE_CHECKING:
    from .coordinator import RetroWalkCoordinator
    from .options import RetroWalkOptions

_LOGGER = logging.getLogger(__name__)

# A stop, pause or start RetroWalk sends makes the treadmill report "stopped or paused by the
# user" (status 02) or "started by the user" (04), before or after its answer; such a status
# within this window after our own command is our own, not the person at the console.
OWN_COMMAND_ECHO_S = 3.0
# After our pause or stop a belt coasts down; still moving this long after it, it is running.
HELD_BELT_GRACE_S = 10.0

# Machine events that end a program (docs: shared/retro-walking.md), moving belt or not.
PROGRAM_ENDING_STATUSES: dict[int, SafetyReason] = {
    MachineStatusOp.STOPPED_OR_PAUSED_BY_USER: SafetyReason.CONSOLE_STOP,
    MachineStatusOp.STOPPED_BY_SAFETY_KEY: SafetyReason.SAFETY_KEY,
    MachineStatusOp.CONTROL_PERMISSION_LOST: SafetyReason.CONTROL_LOST,
}


@dataclass(frozen=True, slots=True)
class SafetyStop:
    """A program (or the belt) stopped for a safety reason."""

    reason: SafetyReason
    phase: Phase | None
    speed_kmh: float | None
    at: datetime


class ConnectedTreadmill:
    """The treadmill as the runner sees it: whatever client is connected now.

    Commands raise the FTMS layer's errors (the runner ends a program on them); a stop or
    pause is remembered so that the treadmill's own report of it is not taken for the person
    stopping the belt on the console.
    """

    def __init__(self, coordinator: RetroWalkCoordinator) -> None:
        """Follow the coordinator's connection."""
        self._coordinator = coordinator
        # What we last stopped or paused with, and until when its echo may arrive.
        self._own_halt: int | None = None
        self._own_halt_until = 0.0
        self._own_start_until = 0.0

    def _client(self) -> FtmsClient:
        return self._coordinator.ftms_client()

    async def start(self) -> None:
        """Start or resume the belt."""
        self._own_start_until = time.monotonic() + OWN_COMMAND_ECHO_S
        try:
            await self._client().start()
        finally:
            self._own_start_until = time.monotonic() + OWN_COMMAND_ECHO_S

    async def stop(self) -> None:
        """Stop the belt, ahead of anything queued."""
        await self._halt(StopOrPause.STOP, self._client().stop)

    async def pause(self) -> None:
        """Pause the belt."""
        await self._halt(StopOrPause.PAUSE, self._client().pause)

    async def _halt(self, kind: StopOrPause, command: Callable[[], Awaitable[None]]) -> None:
        self._own_halt = kind
        self._own_halt_until = time.monotonic() + OWN_COMMAND_ECHO_S
        try:
            await command()
        finally:
            self._own_halt_until = time.monotonic() + OWN_COMMAND_ECHO_S

    async def set_target_speed(self, kmh: float) -> None:
        """Set the belt speed."""
        await self._client().set_target_speed(kmh)

    async def set_target_inclination(self, pct: float) -> None:
        """Set the incline."""
        await self._client().set_target_inclination(pct)

    def halting(self) -> bool:
        """Whether a stop or pause of ours is under way or just done."""
        return time.monotonic() < self._own_halt_until

    def starting(self) -> bool:
        """Whether a start of ours is under way or just done."""
        return time.monotonic() < self._own_start_until

    def seconds_since_halt(self) -> float:
        """How long ago our last stop or pause was answered (or given up)."""
        return time.monotonic() - (self._own_halt_until - OWN_COMMAND_ECHO_S)

    def is_own_echo(self, status: MachineStatus) -> bool:
        """Whether the treadmill reports what we just did (not the person at the console).

        A stop or pause we sent comes back as "stopped or paused by the user" with the same
        parameter, a start as "started by the user"; a console stop right after our pause is
        the person's.
        """
        now = time.monotonic()
        if status.op == MachineStatusOp.STOPPED_OR_PAUSED_BY_USER:
            return now < self._own_halt_until and status.control_information == self._own_halt
        if status.op == MachineStatusOp.STARTED_OR_RESUMED_BY_USER:
            return now < self._own_start_until
        return False


class ProgramController:
    """Runs one program at a time on one treadmill and keeps it safe."""

    def __init__(self, hass: HomeAssistant, coordinator: RetroWalkCoordinator) -> None:
        """Nothing runs yet."""
        self._hass = hass
        self._coordinator = coordinator
        self._clock = AsyncioClock()
        self._treadmill = ConnectedTreadmill(coordinator)
        self._runner: ProgramRunner | None = None
        self._guard: SafetyGuard | None = None
        self._task: asyncio.Task[None] | None = None
        self._unsubscribe_sensors: list[CALLBACK_TYPE] = []
        self._cancel_deadline: CALLBACK_TYPE | None = None
        self._deadline: float | None = None
        # A stop that could not be sent (the link was down) is owed until the treadmill shows
        # its belt standing; it is sent as soon as a record shows the belt still running.
        self._stop_owed = False
        self._owed_stop_task: asyncio.Task[None] | None = None
        # A belt that moves without a program is watched too (heart rate, presence): the guard
        # then belongs to that walk. After a safety stop or a program's end a new walk begins
        # only once the belt has stood: a belt slowing down is not a walk to stop again.
        self._free_walk = False
        self._await_standing_belt = False
        self._listeners: list[CALLBACK_TYPE] = []
        self._safety_stop_listeners: list[Callable[[SafetyStop], None]] = []
        self.snapshot: RunnerSnapshot | None = None
        self.plan: Plan | None = None
        self.last_safety_stop: SafetyStop | None = None

    # What others read ----------------------------------------------------------------------

    @property
    def running(self) -> bool:
        """Whether a program is under way (not finished or aborted)."""
        return self.snapshot is not None and not self.snapshot.ended

    def live_snapshot(self) -> RunnerSnapshot | None:
        """The program's state now (times remaining counted to this moment)."""
        if self._runner is not None and self.running:
            return self._runner.snapshot()
        return self.snapshot

    @callback
    def async_add_listener(self, listener: CALLBACK_TYPE) -> CALLBACK_TYPE:
        """Call ``listener`` whenever the program's state changes."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    @callback
    def async_add_safety_stop_listener(
        self, listener: Callable[[SafetyStop], None]
    ) -> CALLBACK_TYPE:
        """Call ``listener`` at every safety stop."""
        self._safety_stop_listeners.append(listener)
        return lambda: self._safety_stop_listeners.remove(listener)

    def halting(self) -> bool:
        """Whether a stop or pause RetroWalk sent is under way or just done.

        The treadmill reports such a stop as "stopped by the user"; it is not the person
        pressing stop on the console.
        """
        return self._treadmill.halting()

    def device_limits(self) -> DeviceLimits:
        """The treadmill's ranges as the program package wants them."""
        speed = self._coordinator.speed_range
        incline = self._coordinator.inclination_range
        assert speed is not None  # Checked before a program is built.
        return DeviceLimits(
            speed=DeviceRange(speed.minimum, speed.maximum, speed.increment, "speed"),
            incline=(
                DeviceRange(incline.minimum, incline.maximum, incline.increment, "incline")
                if incline is not None
                else None
            ),
        )

    # Commands ------------------------------------------------------------------------------

    async def async_start(self, plan: Plan, ramp: RampSettings) -> None:
        """Start ``plan``; the caller checked that nothing runs and the treadmill is there."""
        options = self._coordinator.options
        data = self._coordinator.data.data
        incline = data.inclination_pct if data is not None else None
        runner = ProgramRunner(
            plan,
            self._treadmill,
            self._clock,
            device=self.device_limits(),
            limits=options.limits,
            ramp=ramp,
            initial_incline_pct=incline or 0.0,
            listener=self._handle_snapshot,
        )
        self._stop_owed = False
        self._free_walk = False
        self._runner = runner
        self._guard = SafetyGuard(options.limits)
        self.plan = plan
        self.snapshot = runner.snapshot()
        self._stop_watching()
        self._watch_linked_sensors()
        self._task = self._coordinator.config_entry.async_create_background_task(
            self._hass, self._async_run(runner), f"{DOMAIN} program {self._coordinator.address}"
        )
        self._notify()

    @callback
    def apply_options(self, options: RetroWalkOptions) -> None:
        """Guard and run a running program with new safety limits and linked sensors at once.

        The guard's limits (heart rate, presence timeout, session length) and the linked
        sensors change now, and lowered speed and incline limits bring the belt down to
        them. Limits the treadmill cannot keep (its lowest speed is above one) end the
        program with a ramp down, as the person's own stop would.
        """
        program = self._runner if self.running else None
        if self._guard is None or (program is None and not self._free_walk):
            return
        self._guard.update_limits(options.limits)
        self._stop_watching()
        self._watch_linked_sensors(options)
        self._judge(self._guard.check(self._clock.monotonic()))
        if program is None:
            return  # a walk without a program: no plan to re-limit
        try:
            program.update_limits(options.limits)
        except LimitError as err:
            _LOGGER.warning(
                "%s cannot keep the new limits (%s); ending the program",
                self._coordinator.config_entry.title,
                err,
            )
            self.stop_gracefully()

    def stop_gracefully(self) -> None:
        """Ramp down, stop and finish the program (the person ends it early).

        Returns at once; the ramp down takes as long as the ramps allow, and the program
        phase shows when it is over. A safety stop during the ramp down still wins.
        """
        if self._runner is not None and self.running:
            self._coordinator.config_entry.async_create_background_task(
                self._hass,
                self._runner.stop_gracefully(),
                f"{DOMAIN} program ramp down {self._coordinator.address}",
            )

    def confirm_ready(self) -> str | None:
        """The person has turned around: None when accepted, else why not (a translation key).

        Refused while the belt still coasts to a stop: the person turns on a standing belt.
        """
        snapshot = self.live_snapshot()
        if self._runner is None or snapshot is None or not snapshot.waiting_for_ready:
            return "not_waiting_for_ready"
        if self._coordinator.data.belt_moving:
            return "belt_still_moving"
        if (refusal := self._refuse_restart_for_safety()) is not None:
            return refusal
        return None if self._runner.ready() else "not_waiting_for_ready"

    def note_start_from_home_assistant(self) -> None:
        """The person starts the belt from Home Assistant: a stop owed from before is void.

        The walk that begins is watched at once, even if the belt has not stood since a stop.
        """
        self._stop_owed = False
        self._await_standing_belt = False

    def pause(self) -> bool:
        """Pause the program; return whether it was accepted."""
        return self._runner is not None and self._runner.pause()

    def resume(self) -> str | None:
        """Resume a paused program: None when accepted, else why not (a translation key)."""
        snapshot = self.live_snapshot()
        if (
            snapshot is not None
            and snapshot.paused
            and (refusal := self._refuse_restart_for_safety()) is not None
        ):
            return refusal
        return None if self._runner is not None and self._runner.resume() else "not_paused"

    def _refuse_restart_for_safety(self) -> str | None:
        """End the program instead of starting its standing belt when a safety rule says so.

        Nobody on the belt for less than the presence timeout refuses the restart only: the
        person may be stepping back on.
        """
        if self._guard is None:
            return None
        if (reason := self._guard.check_before_restart(self._clock.monotonic())) is None:
            return "nobody_on_belt" if self._guard.nobody_present else None
        self._judge(reason)
        return "safety_stop_while_held"

    async def async_emergency_stop(self, reason: SafetyReason) -> None:
        """Stop the belt now, with or without a program; never refused.

        A program ends aborted with ``reason``; without one the belt is stopped directly.
        Either way the stop is announced as a safety stop.
        """
        if self._runner is not None and self.running:
            await self._runner.abort(reason)
            if self._runner.snapshot().belt_stop_failed:
                # The program has ended, but the person must know the belt may still run.
                raise FtmsNotConnectedError("the stop could not be sent to the treadmill")
            return
        speed = self._coordinator.data.speed_kmh
        try:
            await self._treadmill.stop()
        except FtmsError:
            self._stop_owed = True
            raise
        finally:
            self._announce(SafetyStop(reason, None, speed, dt_util.utcnow()))

    def note_manual_speed(self, kmh: float) -> None:
        """The person set a speed by hand: the program keeps it for the rest of the segment."""
        if self._runner is not None:
            self._runner.manual_speed_change(kmh)

    def note_manual_incline(self, pct: float) -> None:
        """The person set an incline by hand: the program keeps it for the segment."""
        if self._runner is not None:
            self._runner.manual_incline_change(pct)

    async def async_shutdown(self) -> None:
        """Home Assistant stops or the entry unloads: a running program ends, the belt stops."""
        if self._runner is not None and self.running:
            await self._runner.abort(SafetyReason.HOME_ASSISTANT_STOPPING)
        if self._task is not None:
            await asyncio.wait({self._task})
        self._stop_watching()

    # What the treadmill and the linked sensors say -----------------------------------------

    @callback
    def observe_data(self, data: TreadmillData) -> None:
        """A treadmill record: its heart rate, and whether an owed stop must still be sent."""
        if self._stop_owed and data.speed_kmh is not None:
            if data.speed_kmh == 0:
                self._stop_owed = False
            elif self._owed_stop_task is None or self._owed_stop_task.done():
                _LOGGER.warning(
                    "%s: the belt still runs after a stop that could not be sent; stopping it",
                    self._coordinator.config_entry.title,
                )
                self._owed_stop_task = self._hass.async_create_task(
                    self._async_send_owed_stop(), eager_start=True
                )
        if (
            data.speed_kmh
            and self._holds_belt()
            and not self._treadmill.starting()
            and self._treadmill.seconds_since_halt() > HELD_BELT_GRACE_S
        ):
            # The program holds the belt, yet it runs (a treadmill that ignored the pause).
            self._judge(SafetyReason.BELT_STARTED_WHILE_HELD)
            return
        if not self.running:
            self._follow_free_walk(data)
        if self._guard is not None and (self.running or self._free_walk):
            # Also while the belt stands: Ready or resume must not start it for a racing heart.
            self._judge(
                self._guard.observe_heart_rate(
                    data.heart_rate_bpm, HeartRateSource.TREADMILL, self._clock.monotonic()
                )
            )

    def _holds_belt(self) -> bool:
        """Whether the program keeps the belt standing: at a turnaround or in a pause."""
        snapshot = self.snapshot
        return (
            self.running
            and snapshot is not None
            and not snapshot.belt_running
            and (snapshot.waiting_for_ready or snapshot.paused)
        )

    @callback
    def observe_machine_status(self, status: MachineStatus) -> None:
        """A machine status: console stops, the safety key, lost control, manual changes.

        Only a program's: without one the treadmill's own stops are the person's business.
        """
        if self._guard is None or self._runner is None or not self.running:
            return
        if self._treadmill.is_own_echo(status):
            return
        if status.op == MachineStatusOp.STARTED_OR_RESUMED_BY_USER and self._holds_belt():
            # Started on the console at a turnaround or in a pause: the belt would run with
            # no program watching it.
            self._judge(SafetyReason.BELT_STARTED_WHILE_HELD)
            return
        reason = self._guard.observe_machine_status(status.op, self._clock.monotonic())
        # The guard judges a moving belt; while it stands (turnaround, pause) these events
        # still end the program: they need an explicit new start, not a Ready.
        self._judge(reason or PROGRAM_ENDING_STATUSES.get(status.op))
        if self.running:
            if (
                status.op == MachineStatusOp.TARGET_SPEED_CHANGED
                and status.target_speed_kmh is not None
            ):
                self._runner.manual_speed_change(status.target_speed_kmh)
            elif (
                status.op == MachineStatusOp.TARGET_INCLINE_CHANGED
                and status.target_inclination_pct is not None
            ):
                self._runner.manual_incline_change(status.target_inclination_pct)

    @callback
    def observe_link(self, connected: bool) -> None:
        """The Bluetooth link went down or came back."""
        if connected:
            return
        if self._free_walk:
            # Nothing can be sent while the link is down; the walk is watched again when the
            # next record shows the belt moving.
            self._end_free_walk()
            return
        if self._guard is not None:
            # Even while the belt stands: a lost link needs an explicit new start.
            reason = self._guard.observe_link(False, self._clock.monotonic())
            self._judge(reason or SafetyReason.LINK_LOST)

    async def _async_send_owed_stop(self) -> None:
        try:
            await self._treadmill.stop()
        except FtmsError as err:
            # Still owed: the next record that shows the belt running tries again.
            _LOGGER.warning("Stopping the belt failed, trying again: %s", err)
        else:
            self._stop_owed = False

    def _watch_linked_sensors(self, options: RetroWalkOptions | None = None) -> None:
        options = options or self._coordinator.options
        now = self._clock.monotonic()
        guard = self._guard
        assert guard is not None
        if options.heart_rate_entity:
            guard.observe_heart_rate(
                _heart_rate(self._hass.states.get(options.heart_rate_entity)),
                HeartRateSource.SENSOR,
                now,
            )
            self._unsubscribe_sensors.append(
                async_track_state_change_event(
                    self._hass, options.heart_rate_entity, self._handle_heart_rate_sensor
                )
            )
        else:
            # Unlinked during a walk: its last reading no longer counts.
            guard.observe_heart_rate(None, HeartRateSource.SENSOR, now)
        if options.presence_entity:
            guard.observe_presence(_present(self._hass.states.get(options.presence_entity)), now)
            self._unsubscribe_sensors.append(
                async_track_state_change_event(
                    self._hass, options.presence_entity, self._handle_presence_sensor
                )
            )
        else:
            # Unlinked during a walk: an absence it reported no longer counts.
            guard.observe_presence(True, now)

    @callback
    def _handle_heart_rate_sensor(self, event: Event[EventStateChangedData]) -> None:
        if self._guard is not None:
            self._judge(
                self._guard.observe_heart_rate(
                    _heart_rate(event.data["new_state"]),
                    HeartRateSource.SENSOR,
                    self._clock.monotonic(),
                )
            )

    @callback
    def _handle_presence_sensor(self, event: Event[EventStateChangedData]) -> None:
        if self._guard is not None:
            self._judge(
                self._guard.observe_presence(
                    _present(event.data["new_state"]), self._clock.monotonic()
                )
            )

    # A walk without a program ------------------------------------------------------------

    def _follow_free_walk(self, data: TreadmillData) -> None:
        """Watch a belt that moves without a program from its first moving record to its stop."""
        if data.speed_kmh is None:
            return  # a record without a speed says nothing about the belt
        if data.speed_kmh == 0:
            self._await_standing_belt = False
            if self._free_walk:
                self._end_free_walk()
            return
        if self._free_walk:
            return
        if self._await_standing_belt:
            if self._treadmill.seconds_since_halt() <= HELD_BELT_GRACE_S:
                return  # still coasting after our stop
            # Long after our stop the belt runs: started again (before it stood), or a
            # treadmill that ignored the stop, or one silent while standing. Watch it.
            self._await_standing_belt = False
        now = self._clock.monotonic()
        self._free_walk = True
        self._guard = SafetyGuard(self._coordinator.options.limits, watch_session=False)
        self._stop_watching()
        self._guard.belt_started(now)
        self._watch_linked_sensors()
        self._judge(self._guard.check(now))

    def _end_free_walk(self) -> None:
        self._free_walk = False
        self._guard = None
        self._stop_watching()

    def _stop_free_walk(self, reason: SafetyReason) -> None:
        _LOGGER.warning(
            "%s: safety stop (%s) of a walk without a program",
            self._coordinator.config_entry.title,
            reason.value,
        )
        self._end_free_walk()
        self._await_standing_belt = True
        # Started eagerly: the stop is written before this callback returns to the loop.
        self._hass.async_create_task(self._async_stop_free_walk(reason), eager_start=True)

    async def _async_stop_free_walk(self, reason: SafetyReason) -> None:
        try:
            await self.async_emergency_stop(reason)
        except FtmsError as err:
            # Owed: the next record that shows the belt running tries again.
            _LOGGER.warning("Stopping the belt failed, trying again: %s", err)

    # The program's life --------------------------------------------------------------------

    async def _async_run(self, runner: ProgramRunner) -> None:
        try:
            final = await runner.run()
        finally:
            # A new program may already watch its own sensors: leave those alone.
            if self._runner is runner:
                self._stop_watching()
        _LOGGER.info(
            "%s: program %s%s",
            self._coordinator.config_entry.title,
            final.phase.value,
            f" ({final.abort_reason.value})" if final.abort_reason else "",
        )

    @callback
    def _handle_snapshot(self, snapshot: RunnerSnapshot) -> None:
        previous = self.snapshot
        self.snapshot = snapshot
        if snapshot.ended:
            self._await_standing_belt = True
        if snapshot.belt_stop_failed and (previous is None or not previous.belt_stop_failed):
            self._stop_owed = True
        guard = self._guard
        if guard is not None:
            now = self._clock.monotonic()
            if snapshot.belt_running and not guard.active:
                self._judge(guard.belt_started(now))
            elif not snapshot.belt_running and guard.active:
                guard.belt_stopped(now)
            self._schedule_deadline()
        if (
            snapshot.phase is Phase.ABORTED
            and snapshot.abort_reason is not None
            and (previous is None or previous.phase is not Phase.ABORTED)
        ):
            self._announce(
                SafetyStop(
                    snapshot.abort_reason,
                    previous.phase if previous is not None else None,
                    self._coordinator.data.speed_kmh,
                    dt_util.utcnow(),
                )
            )
        self._notify()

    @callback
    def _judge(self, reason: SafetyReason | None) -> None:
        """Stop at once when the guard found a reason; otherwise watch its next deadline."""
        if reason is not None and self._free_walk:
            self._stop_free_walk(reason)
            return
        runner = self._runner
        if reason is None or runner is None or not self.running:
            # An observation may have moved a deadline (someone stepped off the belt).
            self._schedule_deadline()
            return
        _LOGGER.warning("%s: safety stop (%s)", self._coordinator.config_entry.title, reason.value)
        # Started eagerly: the stop is written before this callback returns to the loop.
        self._hass.async_create_task(runner.abort(reason), eager_start=True)

    @callback
    def _schedule_deadline(self) -> None:
        deadline = self._guard.next_deadline() if self._guard is not None else None
        if deadline == self._deadline:
            return
        if self._cancel_deadline is not None:
            self._cancel_deadline()
            self._cancel_deadline = None
        self._deadline = deadline
        if deadline is not None:
            self._cancel_deadline = async_call_later(
                self._hass, max(0.0, deadline - self._clock.monotonic()), self._handle_deadline
            )

    @callback
    def _handle_deadline(self, _now: datetime) -> None:
        self._cancel_deadline = None
        self._deadline = None
        if self._guard is not None:
            self._judge(self._guard.check(self._clock.monotonic()))
            self._schedule_deadline()

    def _stop_watching(self) -> None:
        for unsubscribe in self._unsubscribe_sensors:
            unsubscribe()
        self._unsubscribe_sensors.clear()
        if self._cancel_deadline is not None:
            self._cancel_deadline()
            self._cancel_deadline = None
        self._deadline = None

    @callback
    def _announce(self, stop: SafetyStop) -> None:
        self.last_safety_stop = stop
        device = dr.async_get(self._hass).async_get_device_by_connection(
            (dr.CONNECTION_BLUETOOTH, self._coordinator.address),
            self._coordinator.config_entry.entry_id,
        )
        self._hass.bus.async_fire(
            EVENT_SAFETY_STOP,
            {
                "device_id": device.id if device else None,
                "reason": stop.reason.value,
                "phase": stop.phase.value if stop.phase else None,
                "speed_kmh": stop.speed_kmh,
            },
        )
        for listener in list(self._safety_stop_listeners):
            listener(stop)

    @callback
    def _notify(self) -> None:
        for listener in list(self._listeners):
            listener()


def _heart_rate(state: State | None) -> float | None:
    if state is None or state.state in (STATE_UNAVAILABLE, STATE_UNKNOWN):
        return None
    try:
        return float(state.state)
    except ValueError:
        return None


def _present(state: State | None) -> bool | None:
    if state is None or state.state in (STATE_UNAVAILABLE, STATE_UNKNOWN):
        return None
    return state.state == STATE_ON

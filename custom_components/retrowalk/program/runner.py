"""Runs a plan on a treadmill.

The runner is a state machine over the plan's segments (phases: pre-workout, warm-up,
turnaround, backward, recovery, cool-down, finished, aborted). Its rules:

- The belt starts at the lowest speed the treadmill allows and ramps from there; it ramps
  down to that speed (incline first, to level) before every stop, inside the walking time.
  The ramp down is planned over the whole run of the belt (all segments up to the next
  turnaround), tick by tick at the pace the device answers, and a step up is taken only if
  the way down still fits after it. A short segment therefore may not reach its targets.
- At every turnaround the belt stops (pause) and the runner waits for :meth:`ProgramRunner.ready`;
  after ``turnaround_wait_s`` without it the program is aborted (``turnaround_timeout``), which
  stops the workout on the machine.
- Speed and incline never change in the same step: incline goes down before speed changes and
  up only after the speed has been held for the segment's ``incline_after_s``; every step is
  at least one interval of its own kind after the previous step of either kind.
- No speed step moves more than 0.5 km/h; every target is clamped to the safety limits and
  put on the device's grid (rounded, not truncated).
- Steps are due at absolute deadlines: a slow command does not shift the later steps, and
  segment ends are absolute too, so slow responses do not stretch the program. A step that
  could only go out less than half an interval after the previous one is skipped, not
  crammed in.
- A speed or incline set by hand during a segment is the target for the rest of that segment,
  whether lower or higher than the plan's (the program never ramps back above it, nor
  fights a person who went faster; the ramp down before a stop still starts from it). After
  a pause the ramp up is the program's again and stops at the limit.
- Limits changed during the walk (:meth:`ProgramRunner.update_limits`) hold at once: a lowered
  speed or incline limit brings the segment's target, and a value set by hand above it, down
  to the limit at the ramp's pace.
- Pause stops the belt (pause, not stop) and program time; a pause longer than five minutes
  aborts the program (``pause_too_long``). Resuming restarts the belt at the lowest speed
  and ramps again.
- :meth:`ProgramRunner.stop_gracefully` (the user's "stop program") ramps down, stops and
  ends ``finished`` with ``ended_early``; the safety and emergency stops use ``abort``.
- A command that fails aborts the program with ``command_failed``.
- :meth:`ProgramRunner.abort` wins over everything: it cancels the runner's own work first
  and then stops the belt through the treadmill's urgent stop. Nothing is sent afterwards,
  and nothing resumes.

Program time (``elapsed_s``) runs only while the belt moves under control, as the safety
guard's session time does.
"""

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
import logging
import math
from typing import Final

from .axis import RampAxis, same
from .clock import Clock
from .limits import (
    DEFAULT_LIMITS,
    MAX_PAUSE_S,
    MAX_SPEED_STEP_KMH,
    DeviceLimits,
    SafetyLimits,
    check_device,
)
from .plan import MOVING_PHASES, TERMINAL_PHASES, Phase, Plan, Segment, WalkingDirection
from .ramp import RampSettings, RampStep
from .safety import SafetyReason
from .state import CommandKind, CommandRecord, RunnerSnapshot
from .treadmill import TreadmillControl

_LOGGER = logging.getLogger(__name__)

DEFAULT_RAMP: Final = RampSettings()
_EPSILON: Final = 1e-6
_ECHO_ROUNDING: Final = 0.02
"""How far a treadmill's echo of a value may be off: 0.01 mph is 0.016 km/h."""

SnapshotListener = Callable[[RunnerSnapshot], None]
CommandListener = Callable[[CommandRecord], None]


def _at_least_epsilon(seconds: float) -> float:
    return seconds if seconds > _EPSILON else 0.0


class _ProgramEnded(Exception):
    """Raised inside the program to end it with a safety reason (timeouts)."""

    def __init__(self, reason: SafetyReason) -> None:
        super().__init__(reason.value)
        self.reason = reason


class _Superseded(Exception):
    """Raised inside the program when an abort happened while it awaited a command."""


@dataclass(frozen=True, slots=True)
class _Step:
    kind: CommandKind
    due: float


@dataclass(frozen=True, slots=True)
class _Wait:
    until: float


class ProgramRunner:
    """Runs one plan once on one treadmill; see the module documentation for the rules."""

    def __init__(
        self,
        plan: Plan,
        treadmill: TreadmillControl,
        clock: Clock,
        *,
        device: DeviceLimits,
        limits: SafetyLimits = DEFAULT_LIMITS,
        ramp: RampSettings = DEFAULT_RAMP,
        initial_incline_pct: float = 0.0,
        listener: SnapshotListener | None = None,
        on_command: CommandListener | None = None,
    ) -> None:
        """Prepare the run; nothing is sent before :meth:`run`.

        ``initial_incline_pct`` is the incline the treadmill reports now; a higher incline
        than the first segment's is ramped down after the belt starts. ``listener`` gets a
        snapshot at every change of state and after every command; ``on_command`` gets the
        record of every command (for timing benchmarks). Raises :class:`LimitError` when
        ``limits`` cannot be kept on ``device``.
        """
        check_device(device, limits)
        self._plan = plan
        self._treadmill = treadmill
        self._clock = clock
        self._device = device
        self._limits = limits
        self._listener = listener
        self._on_command = on_command
        self._lowest_speed = device.lowest_moving_speed_kmh
        self._incline_floor = device.incline_floor_pct

        self._phase = Phase.PRE_WORKOUT
        self._index: int | None = None
        self._segment: Segment | None = None
        self._belt_running = False
        self._moving_since = 0.0
        self._elapsed_before_s = 0.0
        self._segment_end_s = 0.0
        self._run_end_s = 0.0
        self._last_in_run = True
        self._segment_entered_at = 0.0
        self._ending = False
        self._starting = False

        self._speed = RampAxis(
            CommandKind.SPEED,
            device.speed,
            step=ramp.speed_step_kmh,
            interval_s=ramp.speed_interval_s,
            lower=self._lowest_speed,
            upper=limits.forward_speed_kmh,
            value=0.0,
            max_jump=MAX_SPEED_STEP_KMH,
        )
        self._speed_goal = 0.0
        self._manual_speed: float | None = None
        self._speed_changed_at = 0.0

        self._incline: RampAxis | None = None
        if device.incline is not None:
            self._incline = RampAxis(
                CommandKind.INCLINE,
                device.incline,
                step=ramp.incline_step_pct,
                interval_s=ramp.incline_interval_s,
                lower=0.0,
                upper=limits.incline_pct,
                value=initial_incline_pct if math.isfinite(initial_incline_pct) else 0.0,
            )
        self._incline_goal: float | None = None
        self._manual_incline: float | None = None

        self._pause_requested = False
        self._resume_requested = False
        self._paused = False
        self._pause_started = 0.0
        self._ready_confirmed = False
        self._waiting_for_ready = False
        self._ready_deadline = 0.0
        self._stop_requested = False
        self._abort_reason: SafetyReason | None = None
        self._ended_early = False
        self._belt_stop_failed = False

        self._run_called = False
        self._program_task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        self._ended = asyncio.Event()
        self._commands: list[CommandRecord] = []
        self._slowest_command_s = 0.0

    # ----------------------------------------------------------------- what others read

    @property
    def plan(self) -> Plan:
        """The plan being run."""
        return self._plan

    @property
    def phase(self) -> Phase:
        """The current phase."""
        return self._phase

    @property
    def commands(self) -> tuple[CommandRecord, ...]:
        """Every command sent so far, in order."""
        return tuple(self._commands)

    @property
    def max_step_lateness_s(self) -> float:
        """The largest delay between a ramp step's deadline and its write (0 without steps)."""
        return max(
            (late for record in self._commands if (late := record.lateness_s) is not None),
            default=0.0,
        )

    def snapshot(self) -> RunnerSnapshot:
        """Return the state now."""
        now = self._clock.monotonic()
        program_time = self._program_time(now)
        in_segment = self._phase in MOVING_PHASES
        segment_remaining = max(0.0, self._segment_end_s - program_time) if in_segment else None
        if self._phase in TERMINAL_PHASES:
            program_remaining = 0.0
        elif self._index is None:
            program_remaining = self._plan.total_duration_s
        else:
            program_remaining = (segment_remaining or 0.0) + self._plan.duration_after(self._index)
        direction: WalkingDirection | None = None
        if self._segment is not None:
            direction = self._segment.direction
        speed_goal, incline_goal = self._goals() if in_segment else (None, None)
        return RunnerSnapshot(
            phase=self._phase,
            segment_index=self._index,
            segment_count=len(self._plan.segments),
            direction=direction,
            elapsed_s=program_time,
            program_remaining_s=program_remaining,
            segment_remaining_s=segment_remaining,
            speed_kmh=self._speed.value if self._belt_running else 0.0,
            incline_pct=self._incline.value if self._incline is not None else None,
            segment_speed_kmh=speed_goal,
            segment_incline_pct=incline_goal,
            belt_running=self._belt_running,
            waiting_for_ready=self._waiting_for_ready,
            ready_timeout_s=(
                max(0.0, self._ready_deadline - now) if self._waiting_for_ready else None
            ),
            paused=self._paused,
            pause_timeout_s=(
                max(0.0, self._pause_started + MAX_PAUSE_S - now) if self._paused else None
            ),
            stopping=self._stop_requested and self._phase not in TERMINAL_PHASES,
            abort_reason=self._abort_reason,
            ended_early=self._ended_early,
            belt_stop_failed=self._belt_stop_failed,
        )

    # ----------------------------------------------------------------- what others call

    async def run(self) -> RunnerSnapshot:
        """Run the program to its end and return the final snapshot.

        Cancelling the task that awaits this aborts the program with
        ``home_assistant_stopping`` (the belt is stopped) before the cancellation goes on.
        """
        if self._run_called:
            raise RuntimeError("a ProgramRunner runs only once")
        self._run_called = True
        if self._phase is Phase.PRE_WORKOUT:
            task = asyncio.create_task(self._execute(), name="retrowalk program")
            self._program_task = task
            try:
                await asyncio.wait({task})
            except asyncio.CancelledError:
                await self.abort(SafetyReason.HOME_ASSISTANT_STOPPING)
                raise
            error = None if task.cancelled() else task.exception()
            if isinstance(error, _ProgramEnded):
                await self.abort(error.reason)
            elif error is not None and not isinstance(error, _Superseded):
                _LOGGER.warning("Treadmill command failed; stopping the program: %r", error)
                await self.abort(SafetyReason.COMMAND_FAILED)
        self._ended.set()
        return self.snapshot()

    async def abort(self, reason: SafetyReason) -> None:
        """End the program now: cancel the runner's own work, then stop the belt.

        The stop goes out at once through the treadmill's urgent path, never behind a
        command of the runner. Does nothing once the program has ended. A failed stop (e.g.
        the link is down) is logged and shown as ``belt_stop_failed``: the caller stops the
        belt when the link comes back.
        """
        if self._phase in TERMINAL_PHASES:
            return
        if self._belt_running:
            self._mark_stopped(self._clock.monotonic())
        self._phase = Phase.ABORTED
        self._abort_reason = reason
        self._waiting_for_ready = False
        self._paused = False
        task = self._program_task
        own_work = task is not None and task is not asyncio.current_task()
        if own_work and task is not None:
            task.cancel()
        # The stop goes out before anyone is told: observers can wait, the belt cannot.
        try:
            await self._send(CommandKind.STOP, urgent=True)
        except Exception:  # the program ends aborted whatever the stop did
            _LOGGER.warning("Stopping the belt failed (reason: %s)", reason, exc_info=True)
            self._belt_stop_failed = True
            self._notify()
        if own_work and task is not None:
            await asyncio.wait({task})
        self._ended.set()

    async def stop_gracefully(self) -> RunnerSnapshot:
        """End the program early: ramp down (incline, then speed), stop, finish.

        Returns once the program has ended. Before :meth:`run` it just marks the program
        finished; an abort during the ramp-down wins.
        """
        if self._phase not in TERMINAL_PHASES:
            if self._program_task is None:
                self._phase = Phase.FINISHED
                self._ended_early = True
                self._ended.set()
                self._notify()
            else:
                self._stop_requested = True
                self._wake.set()
                self._notify()
                await self._ended.wait()
        return self.snapshot()

    def ready(self) -> bool:
        """Confirm the person has turned around; return whether a turnaround was waiting."""
        if not self._waiting_for_ready:
            return False
        self._ready_confirmed = True
        self._wake.set()
        return True

    def pause(self) -> bool:
        """Ask to pause (the belt stops, program time stops); return whether accepted."""
        if (
            self._phase not in MOVING_PHASES
            or not self._belt_running
            or self._paused
            or self._pause_requested
            or self._stop_requested
        ):
            return False
        self._pause_requested = True
        self._wake.set()
        return True

    def resume(self) -> bool:
        """Resume after :meth:`pause`; return whether there was a pause to resume.

        Refused once the program is asked to stop: a stopping program does not start the belt.
        """
        if self._stop_requested:
            return False
        if self._pause_requested and not self._paused:
            self._pause_requested = False
            return True
        if not self._paused:
            return False
        self._resume_requested = True
        self._wake.set()
        return True

    def manual_speed_change(self, kmh: float) -> bool:
        """Note a speed the person set on the console; it holds for the rest of the segment.

        Ignored (returns False) while the belt stands or is being started (the machine
        reports its own spin-up), for non-positive values, and for the value the runner
        itself last sent (an echo of its own command is not a change). The caller reports
        only changes the machine did not make in answer to the runner's commands.
        """
        if not self._accepts_by_hand(self._speed, kmh) or kmh <= 0:
            return False
        self._speed.set_by_hand(kmh)
        self._manual_speed = kmh
        self._speed_changed_at = self._clock.monotonic()
        self._wake.set()
        self._notify()
        return True

    def manual_incline_change(self, pct: float) -> bool:
        """Note an incline the person set on the console; it holds for the rest of the segment.

        Ignored (returns False) as :meth:`manual_speed_change`, and without incline support.
        """
        if self._incline is None or not self._accepts_by_hand(self._incline, pct):
            return False
        self._incline.set_by_hand(pct)
        self._manual_incline = pct
        self._wake.set()
        self._notify()
        return True

    def update_limits(self, limits: SafetyLimits) -> None:
        """Keep new safety limits from now on (the person changed them during the walk).

        A lowered speed or incline limit lowers the targets of the segment under way, and a
        value set by hand above it, to the limit; the ramp comes down at its usual pace.
        Raised limits never raise a target above the plan's. The turnaround wait under way
        keeps its deadline. Raises :class:`LimitError`, changing nothing, when the treadmill
        cannot keep ``limits`` (its lowest speed is above one of them).
        """
        check_device(self._device, limits)
        before = self._limits
        self._limits = limits
        if self._incline is not None:
            self._incline.upper = limits.incline_pct
        segment = self._segment
        if segment is None or segment.is_turnaround or self._phase in TERMINAL_PHASES:
            # The next moving segment takes its targets from the new limits as it begins.
            return
        self._aim_within_limits(segment)
        ceiling = self._speed.upper
        # A speed set by hand above the old limit was the person's choice; only a limit
        # lowered below it now brings it down.
        if (
            self._manual_speed is not None
            and ceiling < before.speed_limit_kmh(segment.direction)
            and self._manual_speed > ceiling
        ):
            self._manual_speed = self._device.fit_speed(self._manual_speed, ceiling)
        if (
            self._manual_incline is not None
            and limits.incline_pct < before.incline_pct
            and self._manual_incline > limits.incline_pct
        ):
            self._manual_incline = self._device.fit_incline(
                self._manual_incline, limits.incline_pct
            )
        self._wake.set()
        self._notify()

    def _accepts_by_hand(self, axis: RampAxis, value: float) -> bool:
        # Within half a step (or the echo's rounding) of the value last sent is that value: a
        # treadmill that counts in 0.01 mph echoes 1.1 km/h as 1.09, and a person on the
        # console moves a whole step.
        tolerance = max(axis.grid.increment / 2, _ECHO_ROUNDING)
        return (
            self._phase in MOVING_PHASES
            and self._belt_running
            and not self._starting
            and math.isfinite(value)
            and abs(value - axis.value) >= tolerance
        )

    # ----------------------------------------------------------------- the program

    async def _execute(self) -> None:
        segments = self._plan.segments
        for index, segment in enumerate(segments):
            if segment.is_turnaround:
                ended_early = await self._turnaround(index, segment)
            else:
                ended_early = await self._moving_segment(index, segment)
            if ended_early:
                break
        await self._finish()

    async def _moving_segment(self, index: int, segment: Segment) -> bool:
        """Walk one segment; return True when a graceful stop ended the program in it."""
        self._enter_moving_segment(index, segment)
        if self._stop_requested and not self._belt_running:
            return True
        if not self._belt_running:
            await self._start_belt()
        while True:
            if self._pause_requested:
                self._pause_requested = False
                await self._pause_belt()
                if not self._belt_running:
                    return True
                continue
            now = self._clock.monotonic()
            action = self._decide(now)
            if action is None:
                return self._stop_requested
            if isinstance(action, _Step):
                await self._take_step(action)
            else:
                await self._wait_until(action.until)

    async def _turnaround(self, index: int, segment: Segment) -> bool:
        """Stop the belt and wait for the person; return True on a graceful stop."""
        self._index = index
        self._segment = segment
        self._phase = Phase.TURNAROUND
        self._notify()
        if self._belt_running:
            await self._halt_belt(CommandKind.PAUSE)
        # A run that has turned back toward its stop stays turned back, through a pause too;
        # the next run after the turnaround plans its ramps afresh.
        self._ending = False
        self._pause_requested = False
        self._ready_confirmed = False
        self._ready_deadline = self._clock.monotonic() + self._limits.turnaround_wait_s
        self._waiting_for_ready = True
        self._notify()
        while not self._ready_confirmed:
            if self._stop_requested:
                self._waiting_for_ready = False
                return True
            if self._clock.monotonic() >= self._ready_deadline:
                raise _ProgramEnded(SafetyReason.TURNAROUND_TIMEOUT)
            await self._wait_until(self._ready_deadline)
        self._waiting_for_ready = False
        self._notify()
        return False

    async def _finish(self) -> None:
        if self._belt_running:
            self._mark_stopped(self._clock.monotonic())
        self._paused = False
        self._notify()
        await self._send(CommandKind.STOP)
        self._phase = Phase.FINISHED
        self._ended_early = self._stop_requested
        self._notify()

    # ----------------------------------------------------------------- belt start and stop

    async def _start_belt(self) -> None:
        """Start the belt at the lowest speed; ramps begin from there."""
        self._mark_moving(self._clock.monotonic())
        self._speed.restart(self._lowest_speed)
        # A faster speed set by hand was the person's while the belt ran; after a pause the
        # ramp up is the program's, and the program stays within the limits.
        if self._manual_speed is not None and self._manual_speed > self._speed.upper:
            self._manual_speed = self._device.fit_speed(self._manual_speed, self._speed.upper)
        if self._incline is not None:
            self._incline.slot = None
        self._notify()
        # Speeds the machine reports while it spins the belt up are its own, not a person's.
        self._starting = True
        try:
            await self._send(CommandKind.START)
            record = await self._send(CommandKind.SPEED, self._lowest_speed)
        finally:
            self._starting = False
        self._speed.last_sent = self._speed_changed_at = record.sent_at

    async def _halt_belt(self, kind: CommandKind) -> None:
        # The state says "stopped" before the command goes out, so that the machine's
        # "stopped" status answering our own command never looks like a stop on the console.
        self._mark_stopped(self._clock.monotonic())
        self._notify()
        await self._send(kind)

    async def _pause_belt(self) -> None:
        """Pause; return with the belt running again, or stopped after a graceful stop."""
        self._paused = True
        self._pause_started = self._clock.monotonic()
        await self._halt_belt(CommandKind.PAUSE)
        deadline = self._pause_started + MAX_PAUSE_S
        while not self._resume_requested:
            if self._stop_requested:
                return
            if self._clock.monotonic() >= deadline:
                raise _ProgramEnded(SafetyReason.PAUSE_TOO_LONG)
            await self._wait_until(deadline)
        self._resume_requested = False
        self._paused = False
        await self._start_belt()

    def _mark_moving(self, now: float) -> None:
        self._belt_running = True
        self._moving_since = now

    def _mark_stopped(self, now: float) -> None:
        self._elapsed_before_s += now - self._moving_since
        self._belt_running = False

    def _program_time(self, now: float) -> float:
        if self._belt_running:
            return self._elapsed_before_s + (now - self._moving_since)
        return self._elapsed_before_s

    # ----------------------------------------------------------------- ramps

    def _enter_moving_segment(self, index: int, segment: Segment) -> None:
        self._index = index
        self._segment = segment
        self._phase = segment.phase
        self._aim_within_limits(segment)
        self._manual_speed = self._manual_incline = None
        # Segment ends are absolute points of program time (the plan's running total), so a
        # command under way at a segment change does not push the later segments back.
        segments = self._plan.segments
        self._segment_end_s = self._plan.total_duration_s - self._plan.duration_after(index)
        # The belt stops at the next turnaround or at the end: the ramp down may have to
        # begin in an earlier segment of the same direction when the last one is short.
        run_end = index
        while run_end + 1 < len(segments) and not segments[run_end + 1].is_turnaround:
            run_end += 1
        self._run_end_s = self._plan.total_duration_s - self._plan.duration_after(run_end)
        self._last_in_run = run_end == index
        self._segment_entered_at = self._clock.monotonic()
        self._notify()

    def _aim_within_limits(self, segment: Segment) -> None:
        """Take the segment's targets within the limits: as it begins, and when they change."""
        ceiling = self._limits.speed_limit_kmh(segment.direction)
        self._speed.upper = ceiling
        self._speed_goal = self._device.fit_speed(segment.target_speed_kmh, ceiling)
        self._incline_goal = self._device.fit_incline(
            segment.target_incline_pct, self._limits.incline_pct
        )

    def _goals(self) -> tuple[float, float | None]:
        """The speed and incline the segment ramps toward now."""
        if self._ending:
            return self._lowest_speed, self._incline_floor
        speed = self._speed_goal if self._manual_speed is None else self._manual_speed
        incline = self._incline_goal if self._manual_incline is None else self._manual_incline
        return speed, incline

    def _ramp_down_time(self, after: _Step | None = None, result: RampStep | None = None) -> float:
        """The time to reach level and the lowest speed and have the belt ready to stop.

        From the current values, or from those after the step ``after`` (whose outcome is
        ``result``). Counted tick by tick at the pace the device allows, plus the wait for
        the first tick and the answer to the last.
        """
        latency = self._slowest_command_s
        speed_start = result if after is not None and after.kind is CommandKind.SPEED else None
        seconds = self._speed.ramp_time(self._lowest_speed, latency, start=speed_start)
        first_tick = self._speed.period(latency)
        if self._incline is not None and self._incline_floor is not None:
            incline_start = (
                result if after is not None and after.kind is CommandKind.INCLINE else None
            )
            incline_value = incline_start.value if incline_start else self._incline.value
            if incline_value > self._incline_floor:
                seconds += self._incline.ramp_time(
                    self._incline_floor, latency, start=incline_start
                )
            first_tick = max(first_tick, self._incline.period(latency))
        return seconds + first_tick + latency

    def _leaves_time_to_stop(self, step: _Step, now: float, to_stop: float) -> bool:
        """Whether a step up at its due time still leaves the ramp down its time."""
        axis = self._speed if step.kind is CommandKind.SPEED else self._incline
        assert axis is not None
        speed_goal, incline_goal = self._goals()
        goal = speed_goal if step.kind is CommandKind.SPEED else incline_goal
        assert goal is not None
        result = axis.next_step(goal)
        if result.value <= axis.value:
            return True
        time_left = to_stop - (step.due - now) - self._slowest_command_s
        return time_left > self._ramp_down_time(step, result) + _EPSILON

    def _decide(self, now: float) -> _Step | _Wait | None:
        """Return the step due now, how long to wait, or None when the segment is done."""
        program_time = self._program_time(now)
        # Float noise must not leave a wait of nothing, which would spin.
        remaining = _at_least_epsilon(self._segment_end_s - program_time)
        to_stop = _at_least_epsilon(self._run_end_s - program_time)
        if remaining == 0 and not self._last_in_run:
            return None
        ramp_down = 0.0
        if not self._ending:
            ramp_down = self._ramp_down_time()
            if self._stop_requested or to_stop <= ramp_down + _EPSILON:
                self._ending = True
                self._notify()
        segment_wake = math.inf if self._last_in_run else now + remaining
        ramp_down_wake = math.inf if self._ending else now + to_stop - ramp_down
        speed_goal, incline_goal = self._goals()
        incline = self._incline
        step: _Step | None = None
        if (
            incline is not None
            and incline_goal is not None
            and incline.value > incline_goal + _EPSILON
        ):
            step = _Step(CommandKind.INCLINE, incline.due(now, self._speed))
        elif not same(self._speed.value, speed_goal):
            step = _Step(CommandKind.SPEED, self._speed.due(now, incline))
        elif (
            incline is not None
            and incline_goal is not None
            and not self._ending
            and incline.value < incline_goal - _EPSILON
        ):
            assert self._segment is not None
            held_since = max(self._speed_changed_at, self._segment_entered_at)
            not_before = held_since + self._segment.incline_after_s
            step = _Step(CommandKind.INCLINE, incline.due(now, self._speed, not_before))
        # Only the ramp that steps next keeps its grid of deadlines: one that has arrived or
        # waits behind the other starts a grid of its own when its turn comes.
        for axis in (self._speed, incline):
            if axis is not None and (step is None or axis.kind is not step.kind):
                axis.slot = None
        if step is not None:
            if step.due > now + _EPSILON:
                return _Wait(min(step.due, segment_wake, ramp_down_wake))
            if self._ending or self._leaves_time_to_stop(step, now, to_stop):
                return step
            # One more step up would leave too little time to come down: turn back now.
            self._ending = True
            self._notify()
            return self._decide(now)
        if self._ending:
            if self._stop_requested or (self._last_in_run and to_stop == 0):
                return None
            return _Wait(min(segment_wake, now + to_stop))
        return _Wait(min(segment_wake, ramp_down_wake))

    async def _take_step(self, step: _Step) -> None:
        speed_goal, incline_goal = self._goals()
        if step.kind is CommandKind.SPEED:
            axis, goal = self._speed, speed_goal
        else:
            assert self._incline is not None
            assert incline_goal is not None
            axis, goal = self._incline, incline_goal
        result = axis.next_step(goal)
        axis.ideal = result.ideal
        if same(result.value, axis.value):
            axis.skip(step.due)
            return
        generation = axis.generation
        axis.value = result.value
        record = await self._send(step.kind, result.value, step.due)
        axis.stepped(step.due, record, generation)
        if axis is self._speed and generation == axis.generation:
            self._speed_changed_at = record.sent_at

    # ----------------------------------------------------------------- plumbing

    async def _send(
        self,
        kind: CommandKind,
        value: float | None = None,
        due: float | None = None,
        *,
        urgent: bool = False,
    ) -> CommandRecord:
        if not urgent and self._phase in TERMINAL_PHASES:
            raise _Superseded
        sent_at = self._clock.monotonic()
        match kind:
            case CommandKind.START:
                await self._treadmill.start()
            case CommandKind.STOP:
                await self._treadmill.stop()
            case CommandKind.PAUSE:
                await self._treadmill.pause()
            case CommandKind.SPEED:
                assert value is not None
                await self._treadmill.set_target_speed(value)
            case _:  # CommandKind.INCLINE
                assert value is not None
                await self._treadmill.set_target_inclination(value)
        record = CommandRecord(
            kind=kind, value=value, due=due, sent_at=sent_at, done_at=self._clock.monotonic()
        )
        self._commands.append(record)
        if kind in {CommandKind.SPEED, CommandKind.INCLINE}:
            # Ramps are planned at the pace the device answers settings (a start may wait
            # seconds for the belt, which says nothing about the steps).
            self._slowest_command_s = max(self._slowest_command_s, record.done_at - record.sent_at)
        if self._on_command is not None:
            try:
                self._on_command(record)
            except Exception:  # an observer must not break the program
                _LOGGER.exception("Command listener failed")
        if not urgent and self._phase in TERMINAL_PHASES:
            # The program was aborted while this command was under way (e.g. by the adapter
            # from inside it): end here instead of sending anything more.
            raise _Superseded
        self._notify()
        return record

    async def _wait_until(self, deadline: float) -> None:
        """Sleep until ``deadline`` or until a request (pause, ready, stop...) wakes us."""
        self._wake.clear()
        waiters = {
            asyncio.ensure_future(self._wake.wait()),
            asyncio.ensure_future(self._clock.sleep_until(deadline)),
        }
        try:
            await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in waiters:
                waiter.cancel()
            await asyncio.wait(waiters)

    def _notify(self) -> None:
        if self._listener is None:
            return
        try:
            self._listener(self.snapshot())
        except Exception:  # an observer must not break the program
            _LOGGER.exception("Runner listener failed")

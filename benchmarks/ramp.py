"""Ramp punctuality: a whole built-in program on the simulated treadmill with slow responses.

The runner drives a real ``FtmsClient`` connected to the simulator, whose control point answers
every write after ``DEVICE_RESPONSE_S``; the simulated person confirms each turnaround a few
seconds after the runner starts waiting. The runner records each command (``CommandRecord``):
a ramp step's deviation is ``sent_at - due``, on the runner's own clock.

Time is accelerated in one of two ways (:class:`ClockMode`):

- ``skip-idle`` (default): the loop's clock skips idle waits (:mod:`.loop_time`), the runner
  reads that clock, the treadmill ticks on it (``start_realtime(1.0)``) and its response delay
  is an ``asyncio.sleep`` on it. Device delays are therefore exactly as long on the runner's
  clock as configured, while CPU time counts at its real length, as in production.
- ``scaled``: an ordinary loop, a clock running ``speedup`` times faster than real time, and
  the treadmill's tick and response delay divided by ``speedup``. Any real scheduling hiccup is
  multiplied by ``speedup`` on the program's clock.
"""

import asyncio
from dataclasses import dataclass
from enum import StrEnum
import time
from typing import Final

from custom_components.retrowalk.ftms import FtmsClient
from custom_components.retrowalk.program import (
    DeviceLimits,
    DeviceRange,
    Level,
    Phase,
    ProgramRunner,
    RunnerSnapshot,
    plan_for_level,
)
from retrowalk_sim import Misbehaviour

from .errors import BenchmarkError
from .loop_time import IdleSkippingEventLoop, LoopClock
from .simulator import connected_client
from .stats import mean, percentile

DEVICE_RESPONSE_S: Final = 0.2
"""Control point response time of the simulated treadmill, on the runner's clock."""
TURNAROUND_S: Final = 5.0
"""How long the person takes to turn around and confirm, on the runner's clock."""
DEFAULT_SPEEDUP: Final = 60.0
"""Speed-up of the scaled clock: a 30-minute program in 30 real seconds."""
_TIMEOUT_MARGIN_S: Final = 600.0


class ClockMode(StrEnum):
    """How program time is accelerated."""

    SKIP_IDLE = "skip-idle"
    SCALED = "scaled"


@dataclass(frozen=True, slots=True, kw_only=True)
class RampTiming:
    """What one program run showed."""

    level: Level
    mode: ClockMode
    speedup: float
    deviations_ms: tuple[float, ...]
    """``sent_at - due`` of every ramp step, in milliseconds of the runner's clock."""
    responses_ms: tuple[float, ...]
    """``done_at - sent_at`` of every command but the final stop, as the runner saw them."""
    planned_s: float
    """The plan's moving time."""
    moving_s: float
    """Program time (belt moving under control) at the end of the run."""
    wall_s: float
    """Real seconds the run took."""

    @property
    def steps(self) -> int:
        """How many ramp steps were sent."""
        return len(self.deviations_ms)

    @property
    def max_deviation_ms(self) -> float:
        """The latest ramp step, relative to its deadline."""
        return max(self.deviations_ms)

    @property
    def p99_deviation_ms(self) -> float:
        """99th percentile of the ramp steps' deviations."""
        return percentile(self.deviations_ms, 0.99)

    @property
    def response_mean_ms(self) -> float:
        """Mean command duration on the runner's clock (the device's response time and more)."""
        return mean(self.responses_ms)


class _Person:
    """Confirms every turnaround ``delay_s`` loop seconds after the runner starts waiting."""

    def __init__(self, loop: asyncio.AbstractEventLoop, delay_s: float) -> None:
        self._loop = loop
        self._delay_s = delay_s
        self._runner: ProgramRunner | None = None
        self._pending: asyncio.TimerHandle | None = None

    def attach(self, runner: ProgramRunner) -> None:
        self._runner = runner

    def on_snapshot(self, snapshot: RunnerSnapshot) -> None:
        if snapshot.waiting_for_ready and self._pending is None:
            self._pending = self._loop.call_later(self._delay_s, self._confirm)

    def _confirm(self) -> None:
        self._pending = None
        if self._runner is not None:
            self._runner.ready()

    def leave(self) -> None:
        if self._pending is not None:
            self._pending.cancel()
            self._pending = None


def device_limits_of(client: FtmsClient) -> DeviceLimits:
    """The runner's view of the ranges the client read at connect."""
    speed = client.speed_range
    if speed is None:
        raise BenchmarkError("the treadmill reported no speed range")
    incline = client.inclination_range
    return DeviceLimits(
        DeviceRange(speed.minimum, speed.maximum, speed.increment, "speed"),
        None
        if incline is None
        else DeviceRange(incline.minimum, incline.maximum, incline.increment, "incline"),
    )


async def _run_program(level: Level, mode: ClockMode, speedup: float) -> RampTiming:
    loop = asyncio.get_running_loop()
    clock = LoopClock(loop, speedup)
    misbehaviour = Misbehaviour(response_delay_s=clock.loop_seconds(DEVICE_RESPONSE_S))
    started = time.perf_counter()
    async with connected_client(misbehaviour) as (treadmill, client):
        device = device_limits_of(client)
        plan = plan_for_level(level, device=device)
        person = _Person(loop, clock.loop_seconds(TURNAROUND_S))
        runner = ProgramRunner(
            plan,
            client,
            clock,
            device=device,
            initial_incline_pct=treadmill.inclination_pct,
            listener=person.on_snapshot,
        )
        person.attach(runner)
        treadmill.start_realtime(clock.loop_seconds(1.0))
        try:
            async with asyncio.timeout(
                clock.loop_seconds(plan.total_duration_s * 2 + _TIMEOUT_MARGIN_S)
            ):
                final = await runner.run()
        finally:
            person.leave()
            treadmill.stop_realtime()
    if final.phase is not Phase.FINISHED or final.ended_early:
        raise BenchmarkError(f"the program did not finish: {final.phase}, {final.abort_reason}")
    records = runner.commands
    return RampTiming(
        level=level,
        mode=mode,
        speedup=speedup,
        deviations_ms=tuple(
            (record.sent_at - record.due) * 1000 for record in records if record.due is not None
        ),
        responses_ms=tuple((record.done_at - record.sent_at) * 1000 for record in records[:-1]),
        planned_s=plan.total_duration_s,
        moving_s=final.elapsed_s,
        wall_s=time.perf_counter() - started,
    )


def measure_ramp(
    level: Level = Level.ADVANCED,
    *,
    mode: ClockMode = ClockMode.SKIP_IDLE,
    speedup: float = DEFAULT_SPEEDUP,
) -> RampTiming:
    """Run the level's whole program once in accelerated time (on a loop of its own)."""
    if mode is ClockMode.SKIP_IDLE:
        with asyncio.Runner(loop_factory=IdleSkippingEventLoop) as runner:
            return runner.run(_run_program(level, mode, 1.0))
    return asyncio.run(_run_program(level, mode, speedup))

"""Test doubles at the edge of the program package: a recording treadmill and a clock driver."""

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
import math

from custom_components.retrowalk.program import ProgramRunner, RunnerSnapshot, VirtualClock


@dataclass(frozen=True, slots=True)
class Call:
    """One command the fake treadmill received."""

    kind: str
    value: float | None
    at: float


class TreadmillFailure(Exception):
    """What the fake raises when told to fail a command."""


class RecordingTreadmill:
    """Implements TreadmillControl: records every call, optionally slow or failing."""

    def __init__(self, clock: VirtualClock, *, latency_s: float = 0.0) -> None:
        self.clock = clock
        self.latency_s = latency_s
        self.calls: list[Call] = []
        self.belt_moving = False
        self.speed = 0.0
        self.incline = 0.0
        self.fail: set[str] = set()
        self.on_call: Callable[[Call], None] | None = None

    async def _command(self, kind: str, value: float | None = None) -> None:
        call = Call(kind, value, self.clock.monotonic())
        self.calls.append(call)
        if self.on_call is not None:
            self.on_call(call)
        if kind in self.fail:
            raise TreadmillFailure(kind)
        if self.latency_s and kind != "stop":
            await self.clock.sleep_until(self.clock.monotonic() + self.latency_s)

    async def start(self) -> None:
        await self._command("start")
        self.belt_moving = True

    async def stop(self) -> None:
        await self._command("stop")
        self.belt_moving = False

    async def pause(self) -> None:
        await self._command("pause")
        self.belt_moving = False

    async def set_target_speed(self, kmh: float) -> None:
        await self._command("speed", kmh)
        self.speed = kmh

    async def set_target_inclination(self, pct: float) -> None:
        await self._command("incline", pct)
        self.incline = pct

    def kinds(self) -> list[str]:
        return [call.kind for call in self.calls]

    def values(self, kind: str) -> list[float]:
        return [call.value for call in self.calls if call.kind == kind and call.value is not None]


async def drive(
    runner: ProgramRunner,
    clock: VirtualClock,
    *,
    ready_after_s: float | None = 10.0,
    max_wakeups: int = 200_000,
) -> RunnerSnapshot:
    """Run ``runner`` to its end in virtual time, confirming each turnaround after a delay."""
    task = asyncio.create_task(runner.run())
    ready_at: float | None = None
    await clock.settle()
    for _ in range(max_wakeups):
        if task.done():
            return task.result()
        if runner.snapshot().waiting_for_ready and ready_after_s is not None:
            if ready_at is None:
                ready_at = clock.monotonic() + ready_after_s
            if clock.monotonic() >= ready_at:
                runner.ready()
                ready_at = None
                await clock.settle()
                continue
            await clock.advance_to(min(ready_at, clock.next_deadline or math.inf))
            continue
        if not await clock.advance_to_next() and not task.done():
            task.cancel()
            raise AssertionError("runner is stuck with nothing to wait for")
    task.cancel()
    raise AssertionError("runner did not finish")


def belt_runs(calls: list[Call]) -> list[list[Call]]:
    """Split the calls into runs of the belt: from a start to the next pause or stop."""
    runs: list[list[Call]] = []
    current: list[Call] | None = None
    for call in calls:
        if call.kind == "start":
            current = [call]
            runs.append(current)
        elif call.kind in {"pause", "stop"}:
            current = None
        elif current is not None:
            current.append(call)
    return runs


def assert_commands_follow_the_rules(
    calls: list[Call],
    *,
    lowest_speed: float,
    speed_ceilings: list[float],
    incline_ceiling: float,
    speed_interval_s: float = 2.0,
    incline_interval_s: float = 5.0,
    speed_grid: tuple[float, float] = (0.8, 0.1),
    incline_grid: tuple[float, float] | None = (0.0, 0.5),
) -> None:
    """Check a command sequence against the rules of retro walking.

    ``speed_ceilings`` holds the speed limit of each belt run in order (the direction of the
    walking in that run decides it).
    """
    assert calls, "no commands"
    assert calls[0].kind == "start"
    assert calls[-1].kind == "stop"
    assert sum(1 for call in calls if call.kind == "stop") == 1
    runs = belt_runs(calls)
    assert len(runs) == len(speed_ceilings)
    for run, ceiling in zip(runs, speed_ceilings, strict=True):
        # Every start is followed by the lowest speed; ramps go on from there.
        assert run[1].kind == "speed"
        assert run[1].value == lowest_speed
        speed = lowest_speed
        last: dict[str, float] = {"speed": run[1].at}
        for call in run[2:]:
            assert call.value is not None
            if call.kind == "speed":
                assert abs(call.value - speed) <= 0.5 + 1e-9, (speed, call)
                assert lowest_speed - 1e-9 <= call.value <= ceiling + 1e-9, call
                _assert_on_grid(call.value, speed_grid)
                speed = call.value
                interval = speed_interval_s
            else:
                assert incline_grid is not None, "incline sent to a treadmill without incline"
                assert -1e-9 <= call.value <= incline_ceiling + 1e-9, call
                _assert_on_grid(call.value, incline_grid)
                interval = incline_interval_s
            # Never speed and incline in the same step: each step is at least one interval
            # of its own kind after the previous step of either kind.
            for previous in last.values():
                assert call.at - previous >= interval - 1e-6, (call, last)
            last[call.kind] = call.at


def _assert_on_grid(value: float, grid: tuple[float, float]) -> None:
    minimum, increment = grid
    position = (value - minimum) / increment
    assert abs(position - round(position)) < 1e-6, (value, grid)

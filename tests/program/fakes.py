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
    for _ in range(max_wakeups):
        await clock.settle()
        if task.done():
            return task.result()
        if runner.snapshot().waiting_for_ready and ready_after_s is not None:
            if ready_at is None:
                ready_at = clock.monotonic() + ready_after_s
            if clock.monotonic() >= ready_at:
                runner.ready()
                ready_at = None
                continue
            await clock.advance_to(min(ready_at, clock.next_deadline or math.inf))
            continue
        if not await clock.advance_to_next():
            await clock.settle()
            if not task.done():
                task.cancel()
                raise AssertionError("runner is stuck with nothing to wait for")
    task.cancel()
    raise AssertionError("runner did not finish")

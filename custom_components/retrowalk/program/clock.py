"""The clock the runner reads and sleeps on, injected so tests can run hours in milliseconds."""

import asyncio
from dataclasses import dataclass, field
import heapq
import itertools
import time
from typing import Protocol


class Clock(Protocol):
    """Monotonic time in seconds and a sleep until an absolute point of it."""

    def monotonic(self) -> float:
        """Return the current time in seconds; only differences mean anything."""
        ...

    async def sleep_until(self, deadline: float) -> None:
        """Return once ``monotonic()`` has reached ``deadline`` (at once if it has)."""
        ...


class AsyncioClock:
    """The real clock: ``time.monotonic`` and ``asyncio.sleep`` (the event loop's own time)."""

    def monotonic(self) -> float:
        """Return ``time.monotonic()``."""
        return time.monotonic()

    async def sleep_until(self, deadline: float) -> None:
        """Sleep until ``deadline``; yield to the loop once even when it has passed."""
        await asyncio.sleep(max(0.0, deadline - time.monotonic()))


@dataclass(frozen=True, order=True, slots=True)
class _Sleeper:
    deadline: float
    order: int
    future: asyncio.Future[None] = field(compare=False)


class VirtualClock:
    """A clock that moves only when told to, for tests and accelerated runs.

    ``sleep_until`` completes when :meth:`advance` (or :meth:`advance_to`,
    :meth:`advance_to_next`) moves time to its deadline. After waking each sleeper the clock
    lets the event loop run ``settle_rounds`` times, so the woken tasks can act (and sleep
    again) before time moves on.
    """

    def __init__(self, start: float = 0.0, *, settle_rounds: int = 30) -> None:
        """Start at ``start`` seconds."""
        self._now = start
        self._sleepers: list[_Sleeper] = []
        self._order = itertools.count()
        self._settle_rounds = settle_rounds

    def monotonic(self) -> float:
        """Return the virtual time."""
        return self._now

    async def sleep_until(self, deadline: float) -> None:
        """Wait until virtual time reaches ``deadline``."""
        if deadline <= self._now:
            await asyncio.sleep(0)
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, _Sleeper(deadline, next(self._order), future))
        await future

    @property
    def next_deadline(self) -> float | None:
        """The earliest deadline somebody still sleeps toward, or None."""
        while self._sleepers and self._sleepers[0].future.done():
            heapq.heappop(self._sleepers)
        return self._sleepers[0].deadline if self._sleepers else None

    async def settle(self) -> None:
        """Let the event loop run the tasks that are ready."""
        for _ in range(self._settle_rounds):
            await asyncio.sleep(0)

    async def advance_to(self, target: float) -> None:
        """Move time to ``target``, waking every sleeper on the way in deadline order."""
        await self.settle()
        while (deadline := self.next_deadline) is not None and deadline <= target:
            self._wake_at(deadline)
            await self.settle()
        self._now = max(self._now, target)

    async def advance(self, seconds: float) -> None:
        """Move time forward by ``seconds``."""
        await self.advance_to(self._now + seconds)

    async def advance_to_next(self) -> bool:
        """Move time to the next deadline and wake its sleepers; False when nobody sleeps."""
        await self.settle()
        deadline = self.next_deadline
        if deadline is None:
            return False
        self._wake_at(deadline)
        await self.settle()
        return True

    def _wake_at(self, deadline: float) -> None:
        self._now = max(self._now, deadline)
        while self._sleepers and self._sleepers[0].deadline <= deadline:
            sleeper = heapq.heappop(self._sleepers)
            if not sleeper.future.done():
                sleeper.future.set_result(None)

"""Accelerated time for whole programs: an event loop that skips the time it would sit idle.

``IdleSkippingEventLoop`` is asyncio's selector loop with one change: when it would block in
``select`` until its next timer, it polls instead and moves its clock (``loop.time()``) to that
timer. Everything scheduled on the loop's clock (``asyncio.sleep``, ``call_later``, timeouts)
then happens in the same order and at the same loop times as in real time, but idle stretches
cost nothing. Work on the CPU still takes its real duration on this clock, and a real I/O event
is never skipped over. A wait with no timer at all (only I/O or a thread) blocks for real.

``LoopClock`` is the program runner's ``Clock`` on the running loop's clock (what
``AsyncioClock`` is on an ordinary loop, where ``loop.time()`` is ``time.monotonic()``), with an
optional speed-up factor for the plain "scaled clock" alternative.
"""

import asyncio
from collections.abc import Callable, Mapping
import selectors
import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from _typeshed import FileDescriptorLike


class _IdleSkippingSelector(selectors.BaseSelector):
    """The default selector, except that a wait with a timeout and no ready I/O is skipped."""

    def __init__(self, skip: Callable[[float], None]) -> None:
        self._selector = selectors.DefaultSelector()
        self._skip = skip

    def register(
        self, fileobj: FileDescriptorLike, events: int, data: Any = None
    ) -> selectors.SelectorKey:
        return self._selector.register(fileobj, events, data)

    def unregister(self, fileobj: FileDescriptorLike) -> selectors.SelectorKey:
        return self._selector.unregister(fileobj)

    def modify(
        self, fileobj: FileDescriptorLike, events: int, data: Any = None
    ) -> selectors.SelectorKey:
        return self._selector.modify(fileobj, events, data)

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        if timeout is None or timeout <= 0:
            return self._selector.select(timeout)
        ready = self._selector.select(0)
        if not ready:
            self._skip(timeout)
        return ready

    def close(self) -> None:
        self._selector.close()

    def get_key(self, fileobj: FileDescriptorLike) -> selectors.SelectorKey:
        return self._selector.get_key(fileobj)

    def get_map(self) -> Mapping[FileDescriptorLike, selectors.SelectorKey]:
        return self._selector.get_map()


class IdleSkippingEventLoop(asyncio.SelectorEventLoop):
    """A selector event loop whose clock jumps over idle waits (see the module docstring)."""

    def __init__(self) -> None:
        """Create the loop with a clock that starts at ``time.monotonic()``."""
        self._skipped_s = 0.0
        super().__init__(_IdleSkippingSelector(self._skip))

    def time(self) -> float:
        """Return ``time.monotonic()`` plus every idle wait skipped so far."""
        return time.monotonic() + self._skipped_s

    @property
    def skipped_s(self) -> float:
        """Seconds of idle waiting skipped so far."""
        return self._skipped_s

    def _skip(self, seconds: float) -> None:
        self._skipped_s += seconds


class LoopClock:
    """The runner's ``Clock`` on the running event loop's own clock, ``speedup`` times faster.

    ``speedup`` 1 on an :class:`IdleSkippingEventLoop` is real-time behaviour with idle time
    skipped; a larger ``speedup`` on an ordinary loop is a plain scaled clock.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop, speedup: float = 1.0) -> None:
        """Start the clock at 0 now."""
        if speedup <= 0:
            raise ValueError("speedup must be positive")
        self._loop = loop
        self._speedup = speedup
        self._origin = loop.time()

    @property
    def speedup(self) -> float:
        """Clock seconds per loop second."""
        return self._speedup

    def loop_seconds(self, clock_seconds: float) -> float:
        """Return how many loop seconds ``clock_seconds`` of this clock take."""
        return clock_seconds / self._speedup

    def monotonic(self) -> float:
        """Return the clock's seconds since it was created."""
        return (self._loop.time() - self._origin) * self._speedup

    async def sleep_until(self, deadline: float) -> None:
        """Sleep until the clock reads ``deadline``; yield once even when it has passed."""
        await asyncio.sleep(max(0.0, self.loop_seconds(deadline - self.monotonic())))

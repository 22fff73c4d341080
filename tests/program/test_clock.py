"""The real and the virtual clock."""

import asyncio
import time

from custom_components.retrowalk.program import AsyncioClock, VirtualClock


async def test_asyncio_clock_sleeps_until_an_absolute_time() -> None:
    clock = AsyncioClock()
    start = clock.monotonic()
    assert abs(start - time.monotonic()) < 1.0
    await clock.sleep_until(start + 0.02)
    assert clock.monotonic() >= start + 0.02
    # A deadline in the past returns at once.
    await clock.sleep_until(start - 10)


async def test_virtual_clock_wakes_sleepers_in_deadline_order() -> None:
    clock = VirtualClock(start=100.0)
    woken: list[tuple[str, float]] = []

    async def sleeper(name: str, deadline: float) -> None:
        await clock.sleep_until(deadline)
        woken.append((name, clock.monotonic()))

    tasks = [
        asyncio.create_task(sleeper("late", 110.0)),
        asyncio.create_task(sleeper("early", 105.0)),
        asyncio.create_task(sleeper("past", 50.0)),
    ]
    await clock.settle()
    assert woken == [("past", 100.0)]
    assert clock.next_deadline == 105.0
    await clock.advance(7)
    assert woken == [("past", 100.0), ("early", 105.0)]
    assert clock.monotonic() == 107.0
    assert await clock.advance_to_next()
    assert woken[-1] == ("late", 110.0)
    assert not await clock.advance_to_next()
    assert clock.next_deadline is None
    await asyncio.gather(*tasks)


async def test_virtual_clock_forgets_cancelled_sleepers() -> None:
    clock = VirtualClock()
    task = asyncio.create_task(clock.sleep_until(5.0))
    await clock.settle()
    assert clock.next_deadline == 5.0
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    assert clock.next_deadline is None
    await clock.advance_to(10.0)
    assert clock.monotonic() == 10.0


async def test_virtual_clock_never_goes_back() -> None:
    clock = VirtualClock(start=10.0)
    await clock.advance_to(5.0)
    assert clock.monotonic() == 10.0


async def test_a_sleeper_that_sleeps_again_is_woken_within_the_same_advance() -> None:
    clock = VirtualClock()
    ticks: list[float] = []

    async def ticker() -> None:
        deadline = 0.0
        for _ in range(5):
            deadline += 2.0
            await clock.sleep_until(deadline)
            ticks.append(clock.monotonic())

    task = asyncio.create_task(ticker())
    await clock.advance(9.0)
    assert ticks == [2.0, 4.0, 6.0, 8.0]
    await clock.advance(1.0)
    assert ticks == [2.0, 4.0, 6.0, 8.0, 10.0]
    await task


async def test_a_cancelled_sleeper_among_others_at_the_same_time() -> None:
    clock = VirtualClock()
    kept = asyncio.create_task(clock.sleep_until(5.0))
    dropped = asyncio.create_task(clock.sleep_until(5.0))
    await clock.settle()
    dropped.cancel()
    await asyncio.gather(dropped, return_exceptions=True)
    await clock.advance_to(5.0)
    assert kept.done()

"""Stop latency: from calling ``FtmsClient.stop()`` to its return, after the machine's ``80 08 01``.

Each repetition starts the belt (Start, Set Target Speed, two seconds of simulated time, so the
belt moves), then times one stop with ``time.perf_counter``. The treadmill's time only moves
when a repetition advances it, so nothing else happens on the loop while a stop is timed.

The busy variant has one Set Target Speed written and waiting for a slow response, and ten
more queued behind it, when the stop is called. ``Misbehaviour.response_delay_s`` applies to
every op alike, but the simulator reads it when a write arrives: it is set to the in-flight
delay for that one write and to ``stop_delay_s`` before the stop is written. With
``stop_delay_s=0`` the stop's own response is immediate, so its latency shows whether it waited
behind anything; with ``stop_delay_s`` equal to the in-flight delay the machine is uniformly
slow and the stop can do no better than its own response time.
"""

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
import time
from typing import Final

from custom_components.retrowalk.ftms import (
    FtmsClient,
    FtmsCommandDroppedError,
    encode_set_target_speed,
    encode_stop,
)
from retrowalk_sim import BeltState, SimulatedTreadmill

from .errors import BenchmarkError
from .simulator import connected_client
from .stats import mean, percentile

WALKING_SPEED_KMH: Final = 3.0
BELT_SPIN_UP_S: Final = 2.0
"""Simulated seconds between Start and the stop: the belt reaches 1 km/h."""
RAMP_STEP_KMH: Final = 0.1
QUEUED_COMMANDS: Final = 10
IN_FLIGHT_RESPONSE_DELAY_S: Final = 0.3
_MAX_LOOP_TURNS: Final = 1000
"""Loop iterations to wait for a write that needs only a handful."""


@dataclass(frozen=True, slots=True)
class StopLatencies:
    """Stop latencies of one scenario, in milliseconds, one per repetition."""

    samples_ms: tuple[float, ...]
    in_flight_ms: tuple[float, ...] = ()
    """Busy scenario: from the in-flight command's write to its completion (its response)."""

    @property
    def count(self) -> int:
        """How many stops were timed."""
        return len(self.samples_ms)

    @property
    def p50_ms(self) -> float:
        """Median latency."""
        return percentile(self.samples_ms, 0.50)

    @property
    def p99_ms(self) -> float:
        """99th percentile latency."""
        return percentile(self.samples_ms, 0.99)

    @property
    def max_ms(self) -> float:
        """Slowest stop."""
        return max(self.samples_ms)

    @property
    def in_flight_mean_ms(self) -> float | None:
        """Mean time the in-flight command took (None for the idle scenario)."""
        return mean(self.in_flight_ms) if self.in_flight_ms else None


async def _until(condition: Callable[[], bool], what: str) -> None:
    for _ in range(_MAX_LOOP_TURNS):
        if condition():
            return
        await asyncio.sleep(0)
    raise BenchmarkError(f"gave up waiting for {what}")


async def _run_belt(treadmill: SimulatedTreadmill, client: FtmsClient) -> None:
    await client.start()
    await client.set_target_speed(WALKING_SPEED_KMH)
    await treadmill.advance(BELT_SPIN_UP_S)
    if treadmill.belt_state is not BeltState.RUNNING or treadmill.speed_kmh <= 0:
        raise BenchmarkError(
            f"the belt does not run before the stop: {treadmill.belt_state}, "
            f"{treadmill.speed_kmh} km/h"
        )


async def _timed_stop(treadmill: SimulatedTreadmill, client: FtmsClient) -> float:
    """Stop and return the milliseconds until ``stop()`` returned (after ``80 08 01``)."""
    started = time.perf_counter()
    await client.stop()
    elapsed_ms = (time.perf_counter() - started) * 1000
    if treadmill.belt_state is not BeltState.STOPPED:
        raise BenchmarkError(f"stop() returned but the belt program is {treadmill.belt_state}")
    return elapsed_ms


def _require_writes(treadmill: SimulatedTreadmill, first: int, expected: list[bytes]) -> None:
    written = [write.data for write in treadmill.writes[first:]]
    if written != expected:
        raise BenchmarkError(
            f"control point writes {[w.hex() for w in written]}, "
            f"expected {[e.hex() for e in expected]}"
        )


async def measure_idle_stops(repetitions: int) -> StopLatencies:
    """Time ``repetitions`` stops of a running belt with nothing else on the control point."""
    samples: list[float] = []
    async with connected_client() as (treadmill, client):
        for _ in range(repetitions):
            await _run_belt(treadmill, client)
            first = len(treadmill.writes)
            samples.append(await _timed_stop(treadmill, client))
            _require_writes(treadmill, first, [encode_stop()])
    return StopLatencies(tuple(samples))


async def _busy_stop(
    treadmill: SimulatedTreadmill,
    client: FtmsClient,
    *,
    in_flight_delay_s: float,
    stop_delay_s: float,
    queued: int,
) -> tuple[float, float]:
    """One busy stop; return (stop latency, in-flight command duration) in milliseconds."""
    speeds = [
        round(WALKING_SPEED_KMH + RAMP_STEP_KMH * (step + 1), 1) for step in range(queued + 1)
    ]
    behaviour = treadmill.misbehaviour
    first = len(treadmill.writes)
    behaviour.response_delay_s = in_flight_delay_s
    try:
        in_flight = asyncio.create_task(client.set_target_speed(speeds[0]))
        await _until(lambda: len(treadmill.writes) > first, "the in-flight command's write")
        behaviour.response_delay_s = stop_delay_s
        waiting = [asyncio.create_task(client.set_target_speed(kmh)) for kmh in speeds[1:]]
        await asyncio.sleep(0)  # each caller runs up to its place in the queue
        if len(treadmill.writes) != first + 1 or in_flight.done():
            raise BenchmarkError("the in-flight command is not waiting for its response")
        stop_ms = await _timed_stop(treadmill, client)
        stop_written_at = treadmill.writes[first + 1].monotonic
        outcomes = await asyncio.gather(*waiting, return_exceptions=True)
        await in_flight
        in_flight_done_at = time.monotonic()
    finally:
        behaviour.response_delay_s = 0.0
    if not all(isinstance(outcome, FtmsCommandDroppedError) for outcome in outcomes):
        raise BenchmarkError(f"queued commands were not dropped by the stop: {outcomes}")
    _require_writes(treadmill, first, [encode_set_target_speed(speeds[0]), encode_stop()])
    if stop_written_at >= in_flight_done_at:
        raise BenchmarkError("the stop was written only after the in-flight command ended")
    return stop_ms, (in_flight_done_at - treadmill.writes[first].monotonic) * 1000


async def measure_busy_stops(
    repetitions: int,
    *,
    in_flight_delay_s: float = IN_FLIGHT_RESPONSE_DELAY_S,
    stop_delay_s: float = 0.0,
    queued: int = QUEUED_COMMANDS,
) -> StopLatencies:
    """Time stops called with one command awaiting a slow response and ``queued`` more queued."""
    samples: list[float] = []
    in_flight: list[float] = []
    async with connected_client() as (treadmill, client):
        for _ in range(repetitions):
            await _run_belt(treadmill, client)
            stop_ms, in_flight_ms = await _busy_stop(
                treadmill,
                client,
                in_flight_delay_s=in_flight_delay_s,
                stop_delay_s=stop_delay_s,
                queued=queued,
            )
            samples.append(stop_ms)
            in_flight.append(in_flight_ms)
    return StopLatencies(tuple(samples), tuple(in_flight))

"""Decoding cost: Treadmill Data notifications through ``TreadmillDataAssembler.feed``.

The packets are the real Treadmill Data captures in ``../shared/ftms/captures-public.json``
and what the simulated treadmill sends during a walk (well-behaved, with the walking pads'
step count in bit 13, and split over two notifications with More Data), fed in order as
``bytearray`` as bleak delivers them. Each round feeds the whole list; the figure is the
median over ``repeats`` timed runs of the mean time per notification.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
import json
from pathlib import Path
import statistics
import time
from typing import Final

from custom_components.retrowalk.ftms import TreadmillDataAssembler, parse_treadmill_data
from retrowalk_sim import DEMO_PROFILE, Misbehaviour, SimulatedTreadmill

from .errors import BenchmarkError

ROOT: Final = Path(__file__).resolve().parents[1]
CAPTURES: Final = ROOT.parent / "shared" / "ftms" / "captures-public.json"
TREADMILL_DATA: Final = "2ACD"
WALK_SPEED_KMH: Final = 3.0
WALK_S: Final = 30.0
HEART_RATE_BPM: Final = 100

SIMULATED_MACHINES: Final = (
    Misbehaviour(),
    Misbehaviour(steps_in_bit13=True),
    Misbehaviour(split_data_records=True),
)


@dataclass(frozen=True, slots=True)
class DecodeCost:
    """Mean cost of one notification, with what was decoded."""

    feed_us: float
    """Through ``TreadmillDataAssembler.feed`` (parse, and merge split records)."""
    parse_us: float
    """Through ``parse_treadmill_data`` alone."""
    captured: int
    simulated: int
    notifications: int
    """Notifications decoded per timed run."""


def captured_packets(path: Path = CAPTURES) -> list[bytes]:
    """The Treadmill Data values of the public captures."""
    if not path.is_file():
        raise BenchmarkError(f"captures not found at {path}")
    captures = json.loads(path.read_text())
    return [
        bytes.fromhex(capture["hex"].replace("-", " "))
        for capture in captures
        if capture["characteristic_uuid"].upper() == TREADMILL_DATA
    ]


async def simulated_packets(walk_s: float = WALK_S) -> list[bytes]:
    """What the simulated machines send while someone walks for ``walk_s`` seconds."""
    packets: list[bytes] = []
    for misbehaviour in SIMULATED_MACHINES:
        treadmill = SimulatedTreadmill(DEMO_PROFILE, misbehaviour)
        treadmill.console_start()
        treadmill.console_set_speed(WALK_SPEED_KMH)
        treadmill.set_heart_rate(HEART_RATE_BPM)
        try:
            elapsed = 0.0
            while elapsed < walk_s:
                await treadmill.advance(0.5)
                elapsed += 0.5
                packets.extend(treadmill.treadmill_data_notifications())
        finally:
            await treadmill.aclose()
    return packets


def _mean_us(
    decode: Callable[[bytearray], object], packets: Sequence[bytearray], rounds: int
) -> float:
    started = time.perf_counter_ns()
    for _ in range(rounds):
        for packet in packets:
            decode(packet)
    return (time.perf_counter_ns() - started) / 1000 / (rounds * len(packets))


def measure_decode(
    captured: Sequence[bytes], simulated: Sequence[bytes], *, rounds: int, repeats: int = 5
) -> DecodeCost:
    """Time ``repeats`` runs of ``rounds`` passes over every packet; keep the median run."""
    packets = [bytearray(packet) for packet in (*captured, *simulated)]
    if not packets:
        raise BenchmarkError("no Treadmill Data packets to decode")
    assembler = TreadmillDataAssembler()
    records = [assembler.feed(packet) for packet in packets]
    if not any(records):
        raise BenchmarkError("no packet decoded into a record")
    feed_runs = [_mean_us(assembler.feed, packets, rounds) for _ in range(repeats)]
    parse_runs = [_mean_us(parse_treadmill_data, packets, rounds) for _ in range(repeats)]
    return DecodeCost(
        feed_us=statistics.median(feed_runs),
        parse_us=statistics.median(parse_runs),
        captured=len(captured),
        simulated=len(simulated),
        notifications=rounds * len(packets),
    )

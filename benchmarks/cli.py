"""``python -m benchmarks``: run every measurement, print the table, then the JSON line.

Progress goes to stderr; stdout holds the table and, as its last line, one JSON object of
numbers. A measurement that fails is reported (table, stderr, ``errors`` in the JSON) and
leaves its keys out; the others still run. Exit status: 2 when a measurement failed, 1 with
``--check`` when a figure misses its target, else 0.
"""

import argparse
import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
import sys
import textwrap
import traceback
from typing import Final

from .decode import DecodeCost, captured_packets, measure_decode, simulated_packets
from .errors import BenchmarkError
from .ramp import (
    DEFAULT_SPEEDUP,
    DEVICE_RESPONSE_S,
    TURNAROUND_S,
    ClockMode,
    RampTiming,
    measure_ramp,
)
from .recorder import TEST, TEST_NAME, RecorderEconomy, measure_recorder_economy
from .report import Row, format_table, json_line
from .stop import (
    BELT_SPIN_UP_S,
    IN_FLIGHT_RESPONSE_DELAY_S,
    QUEUED_COMMANDS,
    WALKING_SPEED_KMH,
    StopLatencies,
    measure_busy_stops,
    measure_idle_stops,
)

TARGETS: Final = {
    "stop_ms_p99": 20.0,
    "stop_busy_ms_p99": 350.0,
    "ramp_max_deviation_ms": 250.0,
}
"""Upper bounds on this machine, in the JSON keys' units."""

DECODE_REPEATS: Final = 5
TITLE: Final = "RetroWalk benchmarks: simulated treadmill, one process, no network"
_NOTE_WIDTH: Final = 100


@dataclass(frozen=True, slots=True)
class Settings:
    """How much to measure."""

    stop_repetitions: int = 200
    busy_repetitions: int = 200
    uniform_repetitions: int = 20
    ramp_mode: ClockMode = ClockMode.SKIP_IDLE
    ramp_speedup: float = DEFAULT_SPEEDUP
    decode_rounds: int = 100


QUICK: Final = Settings(
    stop_repetitions=20, busy_repetitions=3, uniform_repetitions=1, decode_rounds=10
)
"""A few repetitions each: for checking that the benchmark works, not for its figures."""


@dataclass(slots=True)
class Results:
    """Everything measured (None where a measurement failed, see ``errors``)."""

    settings: Settings
    idle: StopLatencies | None = None
    busy: StopLatencies | None = None
    uniform: StopLatencies | None = None
    ramp: RampTiming | None = None
    decode: DecodeCost | None = None
    recorder: RecorderEconomy | None = None
    errors: list[str] = field(default_factory=list)


class _Runner:
    """Runs one measurement after another, keeping going when one fails."""

    def __init__(self, results: Results, progress: Callable[[str], None]) -> None:
        self._results = results
        self._progress = progress

    def attempt[T](self, what: str, measurement: Callable[[], T]) -> T | None:
        self._progress(what)
        try:
            return measurement()
        except BenchmarkError as err:
            message = str(err)
        except Exception as err:  # one broken piece must not hide the others' figures
            traceback.print_exc(file=sys.stderr)
            message = repr(err)
        self._results.errors.append(f"{what}: {message}")
        self._progress(f"FAILED: {what}: {message}")
        return None


def measure(settings: Settings, progress: Callable[[str], None]) -> Results:
    """Run every measurement; Home Assistant's comes last (its test plugin patches HA)."""
    results = Results(settings)
    run = _Runner(results, progress).attempt
    results.idle = run(
        f"stop latency, idle control point ({settings.stop_repetitions} stops)",
        lambda: asyncio.run(measure_idle_stops(settings.stop_repetitions)),
    )
    results.busy = run(
        f"stop latency, busy control point ({settings.busy_repetitions} stops)",
        lambda: asyncio.run(measure_busy_stops(settings.busy_repetitions)),
    )
    results.uniform = run(
        f"stop latency, every response slow ({settings.uniform_repetitions} stops)",
        lambda: asyncio.run(
            measure_busy_stops(
                settings.uniform_repetitions, stop_delay_s=IN_FLIGHT_RESPONSE_DELAY_S
            )
        ),
    )
    results.ramp = run(
        f"ramp timing, advanced program ({settings.ramp_mode} clock)",
        lambda: measure_ramp(mode=settings.ramp_mode, speedup=settings.ramp_speedup),
    )
    results.decode = run(
        "decoding Treadmill Data",
        lambda: measure_decode(
            captured_packets(),
            asyncio.run(simulated_packets()),
            rounds=settings.decode_rounds,
            repeats=DECODE_REPEATS,
        ),
    )
    results.recorder = run(
        "state writes through Home Assistant (recorder economy test)", measure_recorder_economy
    )
    return results


def figures(results: Results) -> dict[str, float]:
    """The JSON object: every measured figure, ``targets_missed`` and ``errors``."""
    values: dict[str, float] = {}
    if (idle := results.idle) is not None:
        values |= {
            "stop_ms_p50": idle.p50_ms,
            "stop_ms_p99": idle.p99_ms,
            "stop_ms_max": idle.max_ms,
            "stop_count": idle.count,
        }
    if (busy := results.busy) is not None:
        values |= {
            "stop_busy_ms_p50": busy.p50_ms,
            "stop_busy_ms_p99": busy.p99_ms,
            "stop_busy_ms_max": busy.max_ms,
            "stop_busy_count": busy.count,
            "stop_busy_in_flight_ms_mean": busy.in_flight_mean_ms or 0.0,
        }
    if (uniform := results.uniform) is not None:
        values |= {
            "stop_busy_uniform_ms_p50": uniform.p50_ms,
            "stop_busy_uniform_ms_p99": uniform.p99_ms,
        }
    if (ramp := results.ramp) is not None:
        values |= {
            "ramp_max_deviation_ms": ramp.max_deviation_ms,
            "ramp_p99_deviation_ms": ramp.p99_deviation_ms,
            "ramp_steps": ramp.steps,
            "ramp_response_ms_mean": ramp.response_mean_ms,
            "ramp_program_s": ramp.moving_s,
            "ramp_planned_s": ramp.planned_s,
        }
    if (recorder := results.recorder) is not None:
        values |= {
            "state_writes_per_min_session": recorder.session_max_per_minute,
            "state_writes_per_min_naive": recorder.naive_per_minute,
            "state_writes_per_min_idle": recorder.idle_per_minute,
        }
    if (decode := results.decode) is not None:
        values |= {
            "decode_us_per_notification": decode.feed_us,
            "decode_parse_us_per_notification": decode.parse_us,
        }
    values = {key: round(value, 4) for key, value in values.items()}
    values["targets_missed"] = len(missed_targets(values))
    values["errors"] = len(results.errors)
    return values


def missed_targets(values: dict[str, float]) -> list[str]:
    """The measured keys over their target."""
    return [key for key, limit in TARGETS.items() if key in values and values[key] > limit]


def _target(key: str, values: dict[str, float]) -> tuple[str, bool | None]:
    limit = TARGETS[key]
    return f"{key} <= {limit:g}", (values[key] <= limit) if key in values else None


def _latencies(latencies: StopLatencies | None) -> str:
    if latencies is None:
        return "not measured"
    return f"{latencies.p50_ms:.3f} / {latencies.p99_ms:.3f} / {latencies.max_ms:.3f}"


def rows(results: Results, values: dict[str, float]) -> list[Row]:
    """The table's rows."""
    ramp, recorder, decode = results.ramp, results.recorder, results.decode
    missing = "not measured"
    recorder_test = ""
    if recorder is not None:
        recorder_test = "test passed" if recorder.test_passed else "test FAILED"
    return [
        Row(
            "stop ms, idle (p50 / p99 / max)",
            _latencies(results.idle),
            *_target("stop_ms_p99", values),
        ),
        Row(
            "stop ms, busy (p50 / p99 / max)",
            _latencies(results.busy),
            *_target("stop_busy_ms_p99", values),
        ),
        Row("stop ms, busy, every response slow", _latencies(results.uniform)),
        Row(
            "ramp step lateness ms (max / p99)",
            missing
            if ramp is None
            else f"{ramp.max_deviation_ms:.3f} / {ramp.p99_deviation_ms:.3f}",
            *_target("ramp_max_deviation_ms", values),
        ),
        Row(
            "state writes/min, 10-min walk (max)",
            missing if recorder is None else str(recorder.session_max_per_minute),
            recorder_test,
        ),
        Row(
            "state writes/min, every notification",
            missing if recorder is None else f"{recorder.naive_per_minute:.0f}",
        ),
        Row(
            "state writes/min, idle",
            missing if recorder is None else str(recorder.idle_per_minute),
            recorder_test,
        ),
        Row(
            "decode us/notification, assembler",
            missing if decode is None else f"{decode.feed_us:.2f}",
        ),
        Row(
            "decode us/notification, parse only",
            missing if decode is None else f"{decode.parse_us:.2f}",
        ),
    ]


def _clock_note(ramp: RampTiming) -> str:
    if ramp.mode is ClockMode.SKIP_IDLE:
        return (
            "an event loop whose clock skips idle waits (benchmarks/loop_time.py): the runner "
            "reads the loop's clock, the treadmill ticks and delays its responses on it, CPU "
            "time counts at its real length"
        )
    return (
        f"a clock {ramp.speedup:g} times faster than real time, the treadmill's tick and "
        "response delay divided by the same factor (real scheduling jitter is multiplied by it)"
    )


def _repetitions(latencies: StopLatencies) -> str:
    return f"{latencies.count} repetition{'' if latencies.count == 1 else 's'}"


def notes(results: Results) -> list[str]:
    """How each figure was measured, with the run's own numbers."""
    delay_ms = IN_FLIGHT_RESPONSE_DELAY_S * 1000
    lines: list[str] = []
    if (idle := results.idle) is not None:
        lines.append(
            f"stop, idle: {_repetitions(idle)} on one FtmsClient connected to the simulator "
            f"(SimulatedBleakClient): Start, Set Target Speed {WALKING_SPEED_KMH:g} km/h, "
            f"{BELT_SPIN_UP_S:g} s of simulated time (belt moving), then stop() timed from the "
            "call to its return, which follows the treadmill's 80 08 01."
        )
    if (busy := results.busy) is not None:
        lines.append(
            f"stop, busy: {_repetitions(busy)}: one Set Target Speed written and awaiting "
            f"a {delay_ms:g} ms response (it took {busy.in_flight_mean_ms or 0.0:.1f} ms on "
            f"average), {QUEUED_COMMANDS} more queued, then stop(). The simulator has no per-op "
            "delay: Misbehaviour.response_delay_s applies to every op but is read when a write "
            "arrives, so it is set for the in-flight write and back to 0 before the stop is "
            "written. Checked each time: the stop is the next write and goes out before the "
            "in-flight response, every queued command fails with FtmsCommandDroppedError."
        )
    if (uniform := results.uniform) is not None:
        lines.append(
            f"stop, busy, every response slow: {_repetitions(uniform)} as above with the "
            f"stop's own response delayed {delay_ms:g} ms too: the stop costs its own response "
            "time, not that of the commands ahead of it."
        )
    if (ramp := results.ramp) is not None:
        lines.append(
            f"ramp: plan_for_level({ramp.level}) run by ProgramRunner on an FtmsClient, every "
            f"control-point response {DEVICE_RESPONSE_S * 1000:g} ms (commands took "
            f"{ramp.response_mean_ms:.1f} ms on average on the runner's clock), turnarounds "
            f"confirmed after {TURNAROUND_S:g} s; lateness = CommandRecord.sent_at - due of "
            f"{ramp.steps} ramp steps; {ramp.moving_s:.1f} s of program time for "
            f"{ramp.planned_s:.0f} s planned, in {ramp.wall_s:.1f} s real. Clock: "
            f"{_clock_note(ramp)}."
        )
    if (recorder := results.recorder) is not None:
        lines.append(
            f"state writes: {TEST.name}::{TEST_NAME} run in this process with pytest.main "
            "(Home Assistant with the integration, the simulated treadmill behind HA's "
            "Bluetooth manager via retrowalk_sim.ha); figures parsed from the line the test "
            f"prints. Walk minutes: {list(recorder.session_per_minute)}; every notification = "
            f"{recorder.entities} entities x {recorder.notifications_per_minute} notifications "
            "a minute."
        )
    if (decode := results.decode) is not None:
        lines.append(
            f"decode: {decode.captured} captured + {decode.simulated} simulated Treadmill Data "
            "packets (plain, step count in bit 13, split with More Data) fed in order as "
            f"bytearray; median of {DECODE_REPEATS} runs of {decode.notifications} "
            "notifications each."
        )
    lines += [f"ERROR {error}" for error in results.errors]
    return [textwrap.fill(line, _NOTE_WIDTH, subsequent_indent="  ") for line in lines]


def _given[T](value: T | None, default: T) -> T:
    return default if value is None else value


def _parse_arguments(argv: Sequence[str] | None) -> tuple[Settings, bool]:
    """Return the settings and whether to fail on a missed target."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="RetroWalk benchmarks against the simulated treadmill, in one process.",
    )
    parser.add_argument("--quick", action="store_true", help="few repetitions (a smoke run)")
    parser.add_argument("--stop-reps", type=int, help="idle stops to time")
    parser.add_argument("--busy-reps", type=int, help="busy stops to time")
    parser.add_argument("--uniform-reps", type=int, help="busy stops with every response slow")
    parser.add_argument(
        "--ramp-clock",
        choices=[mode.value for mode in ClockMode],
        help="how program time is accelerated (default: skip-idle)",
    )
    parser.add_argument("--ramp-speedup", type=float, help="speed-up of the scaled clock")
    parser.add_argument("--decode-rounds", type=int, help="passes over the packets per run")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args(argv)
    base = QUICK if args.quick else Settings()
    settings = Settings(
        stop_repetitions=_given(args.stop_reps, base.stop_repetitions),
        busy_repetitions=_given(args.busy_reps, base.busy_repetitions),
        uniform_repetitions=_given(args.uniform_reps, base.uniform_repetitions),
        ramp_mode=ClockMode(_given(args.ramp_clock, base.ramp_mode)),
        ramp_speedup=_given(args.ramp_speedup, base.ramp_speedup),
        decode_rounds=_given(args.decode_rounds, base.decode_rounds),
    )
    for name in ("stop_repetitions", "busy_repetitions", "uniform_repetitions", "decode_rounds"):
        if getattr(settings, name) < 1:
            parser.error(f"{name} must be at least 1")
    if settings.ramp_speedup <= 0:
        parser.error("the speed-up must be positive")
    return settings, bool(args.check)


def _progress(message: str) -> None:
    print(f"bench: {message}", file=sys.stderr, flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    """Measure, print the table and the JSON line; see the module docstring for the status."""
    settings, check = _parse_arguments(argv)
    results = measure(settings, _progress)
    values = figures(results)
    print(format_table(TITLE, rows(results, values), notes(results)))
    print(json_line(values), flush=True)
    if results.errors:
        return 2
    return 1 if check and missed_targets(values) else 0

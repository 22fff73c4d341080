"""The benchmarks run and report plausible figures (reduced repetitions, no timing targets)."""

import json
from pathlib import Path
import subprocess
import sys

import pytest

from benchmarks.decode import captured_packets, measure_decode, simulated_packets
from benchmarks.ramp import measure_ramp
from benchmarks.recorder import parse_figures
from benchmarks.stats import percentile
from benchmarks.stop import IN_FLIGHT_RESPONSE_DELAY_S, measure_busy_stops, measure_idle_stops

ROOT = Path(__file__).parent.parent

REQUIRED_KEYS = {
    "stop_ms_p50",
    "stop_ms_p99",
    "stop_busy_ms_p99",
    "ramp_max_deviation_ms",
    "state_writes_per_min_session",
    "state_writes_per_min_naive",
    "state_writes_per_min_idle",
    "decode_us_per_notification",
}


def test_percentiles_interpolate_between_ranks() -> None:
    samples = [float(value) for value in range(1, 201)]
    assert percentile(samples, 0.5) == pytest.approx(100.5)
    assert percentile(samples, 0.99) == pytest.approx(198.01)
    assert percentile([3.0], 0.99) == 3.0
    with pytest.raises(ValueError, match="no samples"):
        percentile([], 0.5)


async def test_a_stop_is_acknowledged_without_waiting_behind_the_queue() -> None:
    idle = await measure_idle_stops(3)
    busy = await measure_busy_stops(1)

    assert idle.count == 3
    assert 0 < idle.p50_ms <= idle.p99_ms < 100
    # The stop came back long before the in-flight command's slow response.
    assert busy.in_flight_ms[0] >= IN_FLIGHT_RESPONSE_DELAY_S * 1000
    assert busy.p99_ms < IN_FLIGHT_RESPONSE_DELAY_S * 1000 / 2


def test_a_whole_program_runs_in_accelerated_time_with_slow_responses() -> None:
    ramp = measure_ramp()

    assert ramp.steps > 50
    assert ramp.moving_s == pytest.approx(ramp.planned_s, abs=1.0)
    # The device's 200 ms responses are seen on the runner's clock.
    assert 200 <= ramp.response_mean_ms < 300
    assert -0.001 < ramp.max_deviation_ms < 250
    assert ramp.wall_s < 10


async def test_decoding_cost_covers_captured_and_simulated_packets() -> None:
    cost = measure_decode(
        captured_packets(), await simulated_packets(walk_s=2.0), rounds=2, repeats=1
    )

    assert cost.captured > 0
    assert cost.simulated > 0
    assert 0 < cost.parse_us < 1000
    assert 0 < cost.feed_us < 1000


def test_the_recorder_figures_are_read_from_the_tests_line() -> None:
    economy = parse_figures(
        "\nstate writes per minute: session [63, 44, 45] (max 63), idle 0, writing on every "
        "notification 2880 (24 entities, 120 notifications a minute)\n",
        test_passed=True,
    )

    assert economy.session_max_per_minute == 63
    assert economy.naive_per_minute == 2880
    assert economy.idle_per_minute == 0
    assert economy.entities == 24


def test_the_command_ends_with_one_json_line_of_figures() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode == 0, result.stderr[-3000:]
    lines = result.stdout.rstrip("\n").splitlines()
    assert lines[0].startswith("RetroWalk benchmarks")
    figures = json.loads(lines[-1])
    assert figures.keys() >= REQUIRED_KEYS
    assert all(
        isinstance(value, int | float) and not isinstance(value, bool) for value in figures.values()
    )
    assert figures["errors"] == 0
    assert 0 < figures["stop_ms_p50"] <= figures["stop_ms_p99"] < 100
    assert 0 < figures["stop_busy_ms_p99"] < IN_FLIGHT_RESPONSE_DELAY_S * 1000
    assert figures["ramp_response_ms_mean"] >= 200
    assert 0 <= figures["ramp_max_deviation_ms"] < 250
    assert 0 < figures["state_writes_per_min_session"] < figures["state_writes_per_min_naive"]
    assert figures["state_writes_per_min_idle"] >= 0
    assert 0 < figures["decode_us_per_notification"] < 1000

"""Whole retro-walking programs through Home Assistant, against the simulated treadmill.

Each test starts a program the way a person does (the start_program action or the Retro walk
switch), walks it to its end in accelerated time, confirms every turnaround with the Ready
button or action once the belt stands, and then reads back every command the treadmill
received: their order, their spacing in the treadmill's own time, their values against the
safety limits and the treadmill's grid, and what the program sensors showed.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
import itertools
import math
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.util.unit_system import US_CUSTOMARY_SYSTEM
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.retrowalk.options import KMH_PER_MPH
from custom_components.retrowalk.program import Phase
from retrowalk_sim import DEMO_PROFILE, SimulatedTreadmill, TreadmillProfile
from retrowalk_sim.treadmill import BeltState, SupportedRange
from tests.conftest import entry_for
from tests.integration.conftest import Command, Op, Turnaround, Walk

EPSILON = 1e-6
SPEED_INTERVAL_S = 2.0
INCLINE_INTERVAL_S = 5.0
MAX_SPEED_JUMP_KMH = 0.5

LEVEL_PHASES = [
    "pre_workout",
    "warm_up",
    "turnaround",
    "backward",
    "turnaround",
    "cool_down",
    "finished",
]

# A small walking treadmill whose grid and range differ from the limits: its lowest speed is
# 1.0 km/h, it goes no faster than 3.0 km/h, speed moves by 0.2 and the incline by whole percent.
SMALL_PROFILE = replace(
    DEMO_PROFILE,
    speed_range=SupportedRange(minimum=1.0, maximum=3.0, increment=0.2),
    inclination_range=SupportedRange(minimum=0.0, maximum=2.0, increment=1.0),
)


@pytest.fixture
def entry_options() -> dict[str, Any]:
    """The options stored in the entry; tests parametrize this."""
    return {}


@pytest.fixture
def entry(treadmill: SimulatedTreadmill, entry_options: dict[str, Any]) -> MockConfigEntry:
    """The treadmill's config entry with the test's options."""
    return entry_for(treadmill, **entry_options)


@dataclass(frozen=True, slots=True)
class Run:
    """What the belt should do between a start and the next pause or stop."""

    direction: str
    seconds: float
    speed_kmh: float
    incline_pct: float = 0.0
    incline_after_s: float = 0.0


@dataclass(frozen=True, slots=True)
class Machine:
    """What the treadmill allows and what the person's limits allow."""

    lowest_kmh: float = 0.8
    speed_max_kmh: float = 12.0
    speed_increment_kmh: float = 0.1
    incline_max_pct: float = 12.0
    incline_increment_pct: float = 0.5
    forward_limit_kmh: float = 4.0
    backward_limit_kmh: float = 3.2
    incline_limit_pct: float = 3.0


def on_grid(value: float, minimum: float, increment: float) -> bool:
    steps = (value - minimum) / increment
    return abs(steps - round(steps)) < 1e-6


def split_into_runs(commands: Sequence[Command]) -> list[list[Command]]:
    """Group the writes from each Start to the following Pause or Stop.

    Fails on a speed or incline write while the belt stands, on a second Start while it runs
    and on anything but Request Control, Start, Stop, Pause, speed and incline.
    """
    runs: list[list[Command]] = []
    current: list[Command] | None = None
    for command in commands:
        match command.op:
            case Op.REQUEST_CONTROL:
                continue
            case Op.START:
                assert current is None, f"start while the belt runs at {command.at} s"
                current = [command]
            case Op.PAUSE | Op.STOP:
                assert current is not None, f"{command} while the belt stands"
                current.append(command)
                runs.append(current)
                current = None
            case Op.SPEED | Op.INCLINE:
                assert current is not None, f"{command} while the belt stands"
                current.append(command)
            case _:
                pytest.fail(f"unexpected write {command}")
    assert current is None, "the belt was left running"
    return runs


def check_spacing(commands: Sequence[Command]) -> None:
    """Speed steps 2 s apart, incline steps 5 s apart, never both in one ramp interval.

    Every speed write is at least 2 s after the previous speed and the previous incline
    write; every incline write at least 5 s after both.
    """
    intervals = {Op.SPEED: SPEED_INTERVAL_S, Op.INCLINE: INCLINE_INTERVAL_S}
    last: dict[Op, Command] = {}
    for command in commands:
        if command.op not in intervals:
            continue
        interval = intervals[command.op]
        for previous in last.values():
            assert command.at - previous.at >= interval - EPSILON, (
                f"{command} only {command.at - previous.at} s after {previous}"
            )
        last[command.op] = command


def check_program(
    commands: Sequence[Command],
    runs: Sequence[Run],
    *,
    machine: Machine = Machine(),
    largest_step_kmh: float = 0.1,
) -> list[list[Command]]:
    """Check every write of a whole program against the plan, the limits and the grid."""
    check_spacing(commands)
    groups = split_into_runs(commands)
    assert [group[-1].op for group in groups] == [Op.PAUSE] * (len(runs) - 1) + [Op.STOP]
    for group, run in zip(groups, runs, strict=True):
        start, *ramp, end = group
        speeds = [c for c in ramp if c.op is Op.SPEED]
        inclines = [c for c in ramp if c.op is Op.INCLINE]
        where = f"{run.direction} run from {start.at} s"
        # The belt starts at the treadmill's lowest speed, set with the start.
        assert speeds[0].value == pytest.approx(machine.lowest_kmh), where
        assert speeds[0].at == start.at, where
        # The run lasts what the plan says: the ramps happen inside it.
        assert end.at - start.at == pytest.approx(run.seconds, abs=1.0), where
        # Speeds: within the limit of the direction and the treadmill's range, on its grid,
        # never a jump, up to the target and back down to the lowest speed before the halt.
        ceiling = min(
            machine.speed_max_kmh,
            machine.backward_limit_kmh
            if run.direction == "backward"
            else machine.forward_limit_kmh,
        )
        values = [c.value for c in speeds]
        assert all(v is not None for v in values)
        for value in values:
            assert value is not None
            assert machine.lowest_kmh - EPSILON <= value <= ceiling + EPSILON, where
            assert on_grid(value, machine.lowest_kmh, machine.speed_increment_kmh), (value, where)
        for before, after in itertools.pairwise(values):
            assert before is not None
            assert after is not None
            assert abs(after - before) <= min(largest_step_kmh, MAX_SPEED_JUMP_KMH) + EPSILON
        assert max(v for v in values if v is not None) == pytest.approx(run.speed_kmh), where
        assert values[-1] == pytest.approx(machine.lowest_kmh), where
        # Incline: only up to the target, on the grid, added after the speed was held,
        # back to level before the speed comes down.
        incline_values = [c.value for c in inclines if c.value is not None]
        for value in incline_values:
            assert 0 <= value <= min(machine.incline_limit_pct, machine.incline_max_pct) + EPSILON
            assert on_grid(value, 0.0, machine.incline_increment_pct), (value, where)
        assert max(incline_values, default=0.0) == pytest.approx(run.incline_pct), where
        if incline_values:
            assert incline_values[-1] == 0.0, where
            first_up = inclines[0]
            last_speed_before = max(c.at for c in speeds if c.at < first_up.at)
            assert first_up.at - last_speed_before >= run.incline_after_s - EPSILON, where
            level_again = inclines[-1].at
            top = max(values, key=lambda v: v or 0.0)
            speeds_down = [c for c in speeds if c.at > first_up.at and c.value != top]
            assert all(c.at > level_again for c in speeds_down), where
    return groups


def check_turnarounds(
    turnarounds: Sequence[Turnaround], directions: Sequence[str], *, lowest_kmh: float = 0.8
) -> None:
    """At every turnaround the belt came to a standstill at the lowest speed and stayed."""
    assert [t.direction_shown for t in turnarounds] == list(directions)
    for turnaround in turnarounds:
        assert turnaround.speed_when_waiting_kmh <= lowest_kmh + EPSILON
        assert turnaround.belt_stood_after_s <= 2.0
        assert turnaround.max_speed_while_waiting_kmh == 0.0
        assert turnaround.belt_state == BeltState.PAUSED


async def check_finished(walk: Walk) -> None:
    """The program finished as planned and the belt came to a standstill."""
    walk.check_writes_on_time()
    assert walk.snapshot.phase is Phase.FINISHED
    assert walk.snapshot.abort_reason is None
    assert not walk.snapshot.ended_early
    assert walk.state("sensor", "program_phase") == "finished"
    assert walk.state("switch", "retro_walk") == "off"
    assert walk.safety_events == []
    await walk.tick(2)
    assert walk.treadmill.speed_kmh == 0.0


LEVELS = {
    "beginner": [
        Run("forward", 180, 2.5),
        Run("backward", 300, 1.6),
        Run("forward", 180, 2.0),
    ],
    "intermediate": [
        Run("forward", 300, 3.0),
        Run("backward", 600, 2.4, 2.0, 120),
        Run("forward", 180, 2.0),
    ],
    "advanced": [
        Run("forward", 300, 3.5),
        Run("backward", 1200, 3.2, 3.0, 120),
        Run("forward", 300, 2.5),
    ],
}


async def test_beginner_through_the_action_and_the_ready_button(walk: Walk) -> None:
    response = await walk.call("start_program", level="beginner", return_response=True)
    assert response is not None
    assert response["level"] == "beginner"
    assert response["speed_unit"] == "km/h"
    assert walk.state("switch", "retro_walk") == "on"

    turnarounds = await walk.walk_program()

    await check_finished(walk)
    assert walk.phases == LEVEL_PHASES
    check_turnarounds(turnarounds, ["backward", "forward"])
    commands = walk.commands()
    assert commands[0].op is Op.REQUEST_CONTROL
    check_program(commands, LEVELS["beginner"])
    # Nothing after the final stop, however long the treadmill stays on.
    written = walk.write_count
    await walk.tick(30)
    assert walk.write_count == written


@pytest.mark.parametrize("entry_options", [{"program": {"level": "intermediate"}}])
async def test_intermediate_through_the_switch_and_the_ready_action(walk: Walk) -> None:
    await walk.switch(on=True)
    assert walk.state("switch", "retro_walk") == "on"

    async def ready() -> None:
        await walk.call("ready")

    turnarounds = await walk.walk_program(confirm=ready)

    await check_finished(walk)
    assert walk.phases == LEVEL_PHASES
    check_turnarounds(turnarounds, ["backward", "forward"])
    check_program(walk.commands(), LEVELS["intermediate"])


async def test_advanced(walk: Walk) -> None:
    await walk.call("start_program", level="advanced")
    # The person takes their time at the first turnaround: the program waits.
    turnarounds = await walk.walk_program(wait_at_turnaround_s=60)

    await check_finished(walk)
    assert walk.phases == LEVEL_PHASES
    check_turnarounds(turnarounds, ["backward", "forward"])
    check_program(walk.commands(), LEVELS["advanced"])
    # The walking time excludes the waits at the turnarounds.
    assert walk.snapshot.elapsed_s == pytest.approx(1800, abs=2)


@pytest.mark.parametrize("profile", [SMALL_PROFILE])
async def test_segments_are_clamped_to_the_treadmill(walk: Walk, profile: TreadmillProfile) -> None:
    """A custom program on a treadmill with a coarser grid and a lower top speed."""
    response = await walk.call(
        "start_program",
        return_response=True,
        segments=[
            # Faster than the treadmill goes (but within the forward limit): its top speed.
            {"direction": "forward", "minutes": 2, "speed": 3.5},
            # Between two grid values (1.4 and 1.6): the lower, gentler one; incline above
            # what the treadmill does: its highest.
            {
                "direction": "backward",
                "minutes": 2,
                "speed": 1.5,
                "incline": 2.5,
                "incline_after_minutes": 0.5,
            },
            # Between 2.0 and 2.2: 2.0.
            {"direction": "forward", "minutes": 1, "speed": 2.1},
            {"direction": "backward", "minutes": 1, "speed": 1.2},
            {"direction": "forward", "minutes": 1, "speed": 1.8},
        ],
    )
    assert response is not None
    assert [s["phase"] for s in response["segments"]] == [
        "warm_up",
        "turnaround",
        "backward",
        "turnaround",
        "recovery",
        "turnaround",
        "backward",
        "turnaround",
        "cool_down",
    ]

    turnarounds = await walk.walk_program()

    await check_finished(walk)
    assert walk.phases == [
        "pre_workout",
        "warm_up",
        "turnaround",
        "backward",
        "turnaround",
        "recovery",
        "turnaround",
        "backward",
        "turnaround",
        "cool_down",
        "finished",
    ]
    check_turnarounds(turnarounds, ["backward", "forward", "backward", "forward"], lowest_kmh=1.0)
    small = Machine(
        lowest_kmh=1.0,
        speed_max_kmh=3.0,
        speed_increment_kmh=0.2,
        incline_max_pct=2.0,
        incline_increment_pct=1.0,
    )
    check_program(
        walk.commands(),
        [
            Run("forward", 120, 3.0),
            Run("backward", 120, 1.4, 2.0, 30),
            Run("forward", 60, 2.0),
            Run("backward", 60, 1.2),
            Run("forward", 60, 1.8),
        ],
        machine=small,
        largest_step_kmh=0.2,
    )


async def test_parameters_program_ends_walking_backward(walk: Walk) -> None:
    response = await walk.call(
        "start_program",
        return_response=True,
        backward_minutes=4,
        backward_speed=2.2,
        incline=1.5,
        warm_up_minutes=2,
        cool_down_minutes=0,
    )
    assert response is not None
    assert response["level"] is None
    assert [s["phase"] for s in response["segments"]] == ["warm_up", "turnaround", "backward"]

    turnarounds = await walk.walk_program()

    await check_finished(walk)
    assert walk.phases == ["pre_workout", "warm_up", "turnaround", "backward", "finished"]
    check_turnarounds(turnarounds, ["backward"])
    # The warm-up keeps the level's speed (beginner: 2.5 km/h); the incline comes after the
    # default two minutes at speed.
    check_program(
        walk.commands(),
        [Run("forward", 120, 2.5), Run("backward", 240, 2.2, 1.5, 120)],
    )


async def test_mph_user_gives_speeds_in_mph(hass: HomeAssistant, walk: Walk) -> None:
    hass.config.units = US_CUSTOMARY_SYSTEM
    response = await walk.call(
        "start_program",
        return_response=True,
        segments=[
            {"direction": "forward", "minutes": 1, "speed": 1.5},
            {"direction": "backward", "minutes": 2, "speed": 1.5, "incline": 1},
            {"direction": "forward", "minutes": 1, "speed": 1.2},
        ],
    )
    assert response is not None
    assert response["speed_unit"] == "mph"
    moving = [s for s in response["segments"] if s["phase"] != "turnaround"]
    # 1.5 mph is 2.41 km/h: 2.4 on the treadmill's 0.1 km/h grid; 1.2 mph is 1.93: 1.9.
    assert [s["target_speed_kmh"] for s in moving] == [2.4, 2.4, 1.9]
    assert [s["target_speed"] for s in moving] == [
        round(2.4 / KMH_PER_MPH, 2),
        round(2.4 / KMH_PER_MPH, 2),
        round(1.9 / KMH_PER_MPH, 2),
    ]

    turnarounds = await walk.walk_program()

    await check_finished(walk)
    check_turnarounds(turnarounds, ["backward", "forward"])
    groups = check_program(
        walk.commands(),
        [Run("forward", 60, 2.4), Run("backward", 120, 2.4, 1.0), Run("forward", 60, 1.9)],
        # 0.1 mph steps on a 0.1 km/h grid: 0.1 or 0.2 km/h at a time.
        largest_step_kmh=0.2,
    )
    # The ramp keeps the pace of 0.1 mph every 2 s: 0.8 to 2.4 km/h (1.0 mph) in 10 steps.
    warm_up = groups[0]
    up = [c for c in warm_up if c.op is Op.SPEED]
    reached = next(c for c in up if c.value == pytest.approx(2.4))
    assert reached.at - warm_up[0].at == pytest.approx(10 * SPEED_INTERVAL_S)
    steps = [b.value - a.value for a, b in itertools.pairwise(up) if a.value and b.value]
    assert any(math.isclose(step, 0.2, abs_tol=EPSILON) for step in steps)


async def test_mph_user_at_the_limit_as_shown_in_mph(hass: HomeAssistant, walk: Walk) -> None:
    """The default backward limit, 3.2 km/h, shows as 2.0 mph: 2.0 mph is that limit."""
    hass.config.units = US_CUSTOMARY_SYSTEM
    with pytest.raises(ServiceValidationError) as refused:
        await walk.call("start_program", backward_speed=2.1)
    assert refused.value.translation_key == "too_fast_backward"
    assert walk.write_count == 0

    response = await walk.call(
        "start_program", return_response=True, backward_speed=2.0, backward_minutes=2
    )
    assert response is not None
    backward = next(s for s in response["segments"] if s["phase"] == "backward")
    assert backward["target_speed_kmh"] == 3.2
    assert backward["target_speed"] == round(3.2 / KMH_PER_MPH, 2)


async def test_pause_and_resume_restart_at_the_lowest_speed(walk: Walk) -> None:
    await walk.call("start_program", level="beginner")
    await walk.run_until(lambda: walk.treadmill.speed_kmh >= 2.5, within_s=60)
    before = walk.write_count

    await walk.call("pause_program")
    elapsed = walk.snapshot.elapsed_s
    assert [c.op for c in walk.commands(before)] == [Op.PAUSE]
    await walk.tick(60)
    assert walk.treadmill.speed_kmh == 0.0
    assert walk.snapshot.paused
    assert walk.state("sensor", "program_phase") == "warm_up"
    # Program time stood still while paused.
    live = walk.program.live_snapshot()
    assert live is not None
    assert live.elapsed_s == pytest.approx(elapsed)

    resumed = walk.write_count
    await walk.press("start")
    assert [(c.op, c.value) for c in walk.commands(resumed)] == [
        (Op.START, None),
        (Op.SPEED, 0.8),
    ]
    turnarounds = await walk.walk_program()

    await check_finished(walk)
    check_turnarounds(turnarounds, ["backward", "forward"])
    commands = walk.commands()
    check_spacing(commands)
    runs = split_into_runs(commands)
    # The warm-up was cut in two by the pause; its two halves last the warm-up's time.
    assert [run[-1].op for run in runs] == [Op.PAUSE, Op.PAUSE, Op.PAUSE, Op.STOP]
    assert (runs[0][-1].at - runs[0][0].at) + (runs[1][-1].at - runs[1][0].at) == pytest.approx(
        180, abs=1
    )


async def test_stop_program_ramps_down_and_finishes_early(walk: Walk) -> None:
    await walk.call("start_program", level="intermediate")
    await walk.run_until(lambda: walk.treadmill.speed_kmh >= 3.0, within_s=120)
    before = walk.write_count

    # The action returns at once; the program ramps down by itself.
    await walk.call("stop_program")
    assert walk.snapshot.stopping
    await walk.run_until(lambda: walk.snapshot.ended, within_s=120)

    commands = walk.commands(before)
    check_spacing(commands)
    assert commands[-1].op is Op.STOP
    speeds = [c.value for c in commands if c.op is Op.SPEED]
    assert speeds == sorted(speeds, reverse=True)
    assert speeds[-1] == 0.8
    assert walk.snapshot.phase is Phase.FINISHED
    assert walk.snapshot.ended_early
    assert walk.state("sensor", "program_phase") == "finished"
    assert walk.safety_events == []
    await walk.tick(5)
    assert walk.treadmill.speed_kmh == 0.0


# The checks themselves ----------------------------------------------------------------------


def _baseline() -> list[Command]:
    """A tiny program that keeps every rule: 10 s forward, turnaround, 10 s backward."""
    return [
        Command(Op.REQUEST_CONTROL, None, 0.0),
        Command(Op.START, None, 0.0),
        Command(Op.SPEED, 0.8, 0.0),
        Command(Op.SPEED, 0.9, 2.0),
        Command(Op.SPEED, 0.8, 6.0),
        Command(Op.PAUSE, None, 10.0),
        Command(Op.START, None, 20.0),
        Command(Op.SPEED, 0.8, 20.0),
        Command(Op.SPEED, 0.9, 22.0),
        Command(Op.INCLINE, 0.5, 27.0),
        Command(Op.INCLINE, 0.0, 32.0),
        Command(Op.SPEED, 0.8, 34.0),
        Command(Op.STOP, None, 40.0),
    ]


BASELINE_RUNS = [Run("forward", 10, 0.9), Run("backward", 20, 0.9, 0.5, 5)]


def _replace(index: int, **changes: Any) -> Callable[[list[Command]], list[Command]]:
    def mutate(commands: list[Command]) -> list[Command]:
        commands[index] = replace(commands[index], **changes)
        return commands

    return mutate


MUTATIONS: dict[str, Callable[[list[Command]], list[Command]]] = {
    "speed steps 1.5 s apart": _replace(3, at=1.5),
    "incline 3 s after a speed step": _replace(9, at=25.0),
    "speed 1 s after an incline step": _replace(11, at=33.0),
    "off the device grid": _replace(3, value=0.85),
    "above the backward limit": _replace(8, value=3.3),
    "a jump of more than one step": _replace(3, value=1.0),
    "belt started above the lowest speed": _replace(2, value=0.9),
    "no ramp down before the turnaround": _replace(4, value=0.9),
    "incline above the target": _replace(9, value=1.0),
    "speed while the belt stands": lambda c: [*c[:6], Command(Op.SPEED, 0.8, 15.0), *c[6:]],
    "no final stop": lambda c: c[:-1],
    "pause instead of the final stop": _replace(12, op=Op.PAUSE),
    "run shorter than planned": _replace(5, at=8.0),
}


def test_the_baseline_keeps_every_rule() -> None:
    check_program(_baseline(), BASELINE_RUNS)


@pytest.mark.parametrize("mutate", list(MUTATIONS.values()), ids=list(MUTATIONS))
def test_the_checks_catch_a_broken_rule(
    mutate: Callable[[list[Command]], list[Command]],
) -> None:
    with pytest.raises((AssertionError, pytest.fail.Exception)):
        check_program(mutate(_baseline()), BASELINE_RUNS)

"""The runner in virtual time against a recording treadmill."""

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
import itertools

import pytest

from custom_components.retrowalk.program import (
    MAX_PAUSE_S,
    CommandKind,
    CommandRecord,
    DeviceLimits,
    ErrorCode,
    Level,
    LimitError,
    Phase,
    Plan,
    ProgramRunner,
    RampSettings,
    RunnerSnapshot,
    SafetyLimits,
    SafetyReason,
    SegmentSpec,
    VirtualClock,
    WalkingDirection,
    plan_for_level,
    plan_from_parameters,
    plan_from_segments,
)

from .conftest import make_device
from .fakes import (
    Call,
    RecordingTreadmill,
    assert_commands_follow_the_rules,
    belt_runs,
    drive,
)

FORWARD = WalkingDirection.FORWARD
BACKWARD = WalkingDirection.BACKWARD


def backward_only(
    device: DeviceLimits, minutes: float = 5, speed: float = 2.4, incline: float = 2.0
) -> Plan:
    return plan_from_parameters(
        backward_minutes=minutes,
        backward_speed_kmh=speed,
        incline_pct=incline,
        warm_up_minutes=0,
        cool_down_minutes=0,
        device=device,
    )


Launch = Callable[[ProgramRunner], Awaitable[asyncio.Task[RunnerSnapshot]]]


@pytest.fixture
async def start(clock: VirtualClock) -> AsyncIterator[Launch]:
    """Start runners as tasks; whatever still runs at the end of the test is cancelled."""
    tasks: list[asyncio.Task[RunnerSnapshot]] = []

    async def launch(runner: ProgramRunner) -> asyncio.Task[RunnerSnapshot]:
        task = asyncio.create_task(runner.run())
        tasks.append(task)
        await clock.settle()
        return task

    yield launch
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


def calls_between(treadmill: RecordingTreadmill, begin: float, end: float) -> list[Call]:
    return [call for call in treadmill.calls if begin <= call.at < end]


# ------------------------------------------------------------------------- a whole program


async def test_a_backward_program_step_by_step(
    clock: VirtualClock, treadmill: RecordingTreadmill, device: DeviceLimits
) -> None:
    runner = ProgramRunner(backward_only(device), treadmill, clock, device=device)
    final = await drive(runner, clock)
    ramp_up = [("speed", round(0.8 + 0.1 * k, 1), 2.0 * k) for k in range(17)]
    incline_up = [("incline", 0.5 * k, 147.0 + 5 * k) for k in range(1, 5)]
    # The ramp down starts early enough to reach level and the lowest speed by the end.
    # Planned: 4 incline ticks of 5 s, 16 speed ticks of 2 s and 5 s of headroom.
    incline_down = [("incline", 2.0 - 0.5 * k, 238.0 + 5 * k) for k in range(1, 5)]
    speed_down = [("speed", round(2.4 - 0.1 * k, 1), 258.0 + 2 * k) for k in range(1, 17)]
    assert [(c.kind, c.value, c.at) for c in treadmill.calls] == [
        ("start", None, 0.0),
        *ramp_up,
        *incline_up,
        *incline_down,
        *speed_down,
        ("stop", None, 300.0),
    ]
    assert final.phase is Phase.FINISHED
    assert final.elapsed_s == 300.0
    assert final.abort_reason is None
    assert not final.ended_early
    assert final.ended


@pytest.mark.parametrize("level", list(Level))
async def test_level_programs_follow_the_rules(
    level: Level, clock: VirtualClock, treadmill: RecordingTreadmill, device: DeviceLimits
) -> None:
    plan = plan_for_level(level, device=device)
    runner = ProgramRunner(plan, treadmill, clock, device=device)
    final = await drive(runner, clock, ready_after_s=15.0)
    assert final.phase is Phase.FINISHED
    assert final.elapsed_s == pytest.approx(plan.total_duration_s)
    # Each run of the belt walks one direction: forward, backward, forward.
    assert_commands_follow_the_rules(
        treadmill.calls, lowest_speed=0.8, speed_ceilings=[4.0, 3.2, 4.0], incline_ceiling=3.0
    )
    assert treadmill.kinds().count("pause") == plan.turnaround_count
    # Every target is reached: the backward run peaks at the level's speed and incline.
    backward_run = belt_runs(treadmill.calls)[1]
    backward = plan.segments[2]
    assert max(c.value or 0 for c in backward_run if c.kind == "speed") == backward.target_speed_kmh
    inclines = [c.value for c in backward_run if c.kind == "incline"]
    assert max(inclines, default=0.0) == backward.target_incline_pct


async def test_incline_is_added_only_after_the_speed_is_held(
    clock: VirtualClock, treadmill: RecordingTreadmill, device: DeviceLimits
) -> None:
    plan = plan_for_level(Level.INTERMEDIATE, device=device)
    await drive(ProgramRunner(plan, treadmill, clock, device=device), clock)
    backward_run = belt_runs(treadmill.calls)[1]
    last_speed_up = max(c.at for c in backward_run if c.kind == "speed" and c.value == 2.4)
    first_incline = min(c.at for c in backward_run if c.kind == "incline")
    assert first_incline - last_speed_up >= 120.0
    # ...and never while the speed changes.
    speed_times = [c.at for c in backward_run if c.kind == "speed"]
    incline_times = [c.at for c in backward_run if c.kind == "incline"]
    assert not set(speed_times) & set(incline_times)


async def test_a_treadmill_without_incline_gets_no_incline_command(
    clock: VirtualClock, treadmill: RecordingTreadmill
) -> None:
    device = make_device(incline=None)
    plan = plan_for_level(Level.ADVANCED, device=device)
    final = await drive(ProgramRunner(plan, treadmill, clock, device=device), clock)
    assert final.phase is Phase.FINISHED
    assert final.incline_pct is None
    assert "incline" not in treadmill.kinds()


async def test_the_belt_starts_at_the_lowest_speed_of_the_device(
    clock: VirtualClock, treadmill: RecordingTreadmill
) -> None:
    device = make_device(speed=(0.0, 12.0, 0.1))
    plan = backward_only(device, minutes=1, speed=1.0, incline=0)
    await drive(ProgramRunner(plan, treadmill, clock, device=device), clock)
    assert treadmill.calls[1] == Call("speed", 0.1, 0.0)


async def test_mph_ramps(
    clock: VirtualClock, treadmill: RecordingTreadmill, device: DeviceLimits
) -> None:
    plan = backward_only(device, minutes=2, speed=3.2, incline=0)
    runner = ProgramRunner(plan, treadmill, clock, device=device, ramp=RampSettings.for_mph())
    await drive(runner, clock)
    ramp_up = [c for c in treadmill.calls[1:] if c.kind == "speed" and c.at <= 60.0]
    # 0.8 to 3.2 km/h is 2.4 km/h: 15 ticks of 0.161 km/h, every 2 s.
    assert ramp_up[-1].value == 3.2
    assert ramp_up[-1].at == 30.0
    assert all(c.at % 2.0 == 0 for c in ramp_up)


async def test_a_higher_incline_at_the_start_comes_down_first(
    clock: VirtualClock, treadmill: RecordingTreadmill, device: DeviceLimits
) -> None:
    plan = backward_only(device, minutes=2, speed=1.2, incline=0)
    runner = ProgramRunner(plan, treadmill, clock, device=device, initial_incline_pct=1.5)
    await drive(runner, clock)
    assert [(c.kind, c.value, c.at) for c in treadmill.calls[:7]] == [
        ("start", None, 0.0),
        ("speed", 0.8, 0.0),
        ("incline", 1.0, 5.0),
        ("incline", 0.5, 10.0),
        ("incline", 0.0, 15.0),
        ("speed", 0.9, 17.0),
        ("speed", 1.0, 19.0),
    ]


async def test_an_unknown_initial_incline_counts_as_level(
    clock: VirtualClock, treadmill: RecordingTreadmill, device: DeviceLimits
) -> None:
    plan = backward_only(device, minutes=1, speed=1.0, incline=0)
    runner = ProgramRunner(plan, treadmill, clock, device=device, initial_incline_pct=float("nan"))
    await drive(runner, clock)
    assert "incline" not in treadmill.kinds()


async def test_same_direction_segments_change_without_stopping(
    clock: VirtualClock, treadmill: RecordingTreadmill, device: DeviceLimits
) -> None:
    plan = plan_from_segments(
        [
            SegmentSpec(
                direction=BACKWARD, duration_s=60, target_speed_kmh=1.2, target_incline_pct=1.0
            ),
            SegmentSpec(direction=BACKWARD, duration_s=60, target_speed_kmh=1.6),
        ],
        device=device,
    )
    final = await drive(ProgramRunner(plan, treadmill, clock, device=device), clock)
    assert final.phase is Phase.FINISHED
    assert treadmill.kinds().count("start") == 1
    # At the change the incline comes down first, then the speed goes up.
    second = calls_between(treadmill, 60.0, 90.0)
    assert [(c.kind, c.value) for c in second[:3]] == [
        ("incline", 0.5),
        ("incline", 0.0),
        ("speed", 1.3),
    ]
    assert_commands_follow_the_rules(
        treadmill.calls, lowest_speed=0.8, speed_ceilings=[3.2], incline_ceiling=3.0
    )


async def test_a_short_fast_segment_turns_back_in_time(
    clock: VirtualClock, treadmill: RecordingTreadmill, device: DeviceLimits
) -> None:
    limits = SafetyLimits(backward_speed_kmh=5.6)
    plan = plan_from_parameters(
        backward_minutes=1,
        backward_speed_kmh=5.6,
        warm_up_minutes=0,
        cool_down_minutes=0,
        device=device,
        limits=limits,
    )
    runner = ProgramRunner(plan, treadmill, clock, device=device, limits=limits)
    final = await drive(runner, clock)
    speeds = treadmill.values("speed")
    assert max(speeds) < 5.6  # no time to get there and back
    assert speeds[-1] == 0.8
    assert treadmill.calls[-1] == Call("stop", None, 60.0)
    assert final.elapsed_s == 60.0


# ------------------------------------------------------------------------- turnarounds


async def test_turnaround_stops_the_belt_and_waits_for_ready(
    clock: VirtualClock,
    treadmill: RecordingTreadmill,
    device: DeviceLimits,
    start: Launch,
) -> None:
    plan = plan_for_level(Level.BEGINNER, device=device)
    runner = ProgramRunner(plan, treadmill, clock, device=device)
    await start(runner)
    assert not runner.ready()  # nothing to confirm while walking
    await clock.advance_to(180.0)
    snapshot = runner.snapshot()
    assert snapshot.phase is Phase.TURNAROUND
    assert snapshot.direction is BACKWARD
    assert snapshot.waiting_for_ready
    assert snapshot.ready_timeout_s == 120.0
    assert not snapshot.belt_running
    assert snapshot.speed_kmh == 0.0
    assert snapshot.segment_remaining_s is None
    assert snapshot.program_remaining_s == 480.0
    assert treadmill.calls[-1] == Call("pause", None, 180.0)
    assert treadmill.calls[-2].value == 0.8  # ramped down to the lowest speed first
    count = len(treadmill.calls)
    await clock.advance(100.0)
    assert len(treadmill.calls) == count  # nothing moves while waiting
    assert runner.snapshot().ready_timeout_s == 20.0
    assert runner.ready()
    await clock.settle()
    assert treadmill.calls[count:] == [Call("start", None, 280.0), Call("speed", 0.8, 280.0)]
    snapshot = runner.snapshot()
    assert snapshot.phase is Phase.BACKWARD
    assert not snapshot.waiting_for_ready
    assert snapshot.segment_remaining_s == 300.0


async def test_turnaround_timeout_ends_the_program(
    clock: VirtualClock, treadmill: RecordingTreadmill, device: DeviceLimits
) -> None:
    limits = SafetyLimits(turnaround_wait_s=60.0)
    plan = plan_for_level(Level.BEGINNER, device=device, limits=limits)
    runner = ProgramRunner(plan, treadmill, clock, device=device, limits=limits)
    final = await drive(runner, clock, ready_after_s=None)
    assert final.phase is Phase.ABORTED
    assert final.abort_reason is SafetyReason.TURNAROUND_TIMEOUT
    assert [(c.kind, c.at) for c in treadmill.calls[-2:]] == [("pause", 180.0), ("stop", 240.0)]
    assert not runner.ready()


async def test_ready_is_not_taken_before_the_belt_has_stopped(
    clock: VirtualClock,
    treadmill: RecordingTreadmill,
    device: DeviceLimits,
    start: Launch,
) -> None:
    plan = plan_for_level(Level.BEGINNER, device=device)
    runner = ProgramRunner(plan, treadmill, clock, device=device)
    await start(runner)
    await clock.advance_to(170.0)  # ramping down for the turnaround
    assert not runner.ready()
    await clock.advance_to(200.0)
    assert runner.snapshot().waiting_for_ready


# ------------------------------------------------------------------------- pause


async def test_pause_stops_belt_and_program_time_and_resume_ramps_again(
    clock: VirtualClock,
    treadmill: RecordingTreadmill,
    device: DeviceLimits,
    start: Launch,
) -> None:
    runner = ProgramRunner(backward_only(device, incline=0), treadmill, clock, device=device)
    task = await start(runner)
    await clock.advance_to(100.0)
    assert runner.pause()
    assert not runner.pause()  # already asked
    await clock.settle()
    assert treadmill.calls[-1] == Call("pause", None, 100.0)
    paused = runner.snapshot()
    assert paused.paused
    assert not paused.belt_running
    assert paused.elapsed_s == 100.0
    assert paused.pause_timeout_s == MAX_PAUSE_S
    assert not runner.pause()  # already paused
    await clock.advance_to(220.0)
    snapshot = runner.snapshot()
    assert snapshot.elapsed_s == 100.0  # program time stood still
    assert snapshot.segment_remaining_s == 200.0
    assert snapshot.pause_timeout_s == MAX_PAUSE_S - 120.0
    assert runner.resume()
    await clock.settle()
    assert treadmill.calls[-2:] == [Call("start", None, 220.0), Call("speed", 0.8, 220.0)]
    assert not runner.snapshot().paused
    assert not runner.resume()  # nothing paused any more
    final = await drive_task(task, clock)
    assert final.phase is Phase.FINISHED
    assert final.elapsed_s == 300.0
    assert treadmill.calls[-1] == Call("stop", None, 420.0)  # 300 s of walking + 120 s paused


async def drive_task(task: asyncio.Task[RunnerSnapshot], clock: VirtualClock) -> RunnerSnapshot:
    while not task.done():
        assert await clock.advance_to_next() or task.done()
    return task.result()


async def test_a_pause_longer_than_five_minutes_ends_the_program(
    clock: VirtualClock,
    treadmill: RecordingTreadmill,
    device: DeviceLimits,
    start: Launch,
) -> None:
    runner = ProgramRunner(backward_only(device), treadmill, clock, device=device)
    task = await start(runner)
    await clock.advance_to(50.0)
    assert runner.pause()
    final = await drive_task(task, clock)
    assert final.phase is Phase.ABORTED
    assert final.abort_reason is SafetyReason.PAUSE_TOO_LONG
    assert treadmill.calls[-2:] == [Call("pause", None, 50.0), Call("stop", None, 350.0)]
    assert not runner.resume()


async def test_resume_before_the_pause_happened_cancels_it(
    clock: VirtualClock,
    treadmill: RecordingTreadmill,
    device: DeviceLimits,
    start: Launch,
) -> None:
    runner = ProgramRunner(backward_only(device), treadmill, clock, device=device)
    task = await start(runner)
    await clock.advance_to(50.0)
    assert runner.pause()
    assert runner.resume()
    final = await drive_task(task, clock)
    assert "pause" not in treadmill.kinds()
    assert final.phase is Phase.FINISHED


async def test_pause_is_refused_while_the_belt_stands(
    clock: VirtualClock,
    treadmill: RecordingTreadmill,
    device: DeviceLimits,
    start: Launch,
) -> None:
    plan = plan_for_level(Level.BEGINNER, device=device)
    runner = ProgramRunner(plan, treadmill, clock, device=device)
    assert not runner.pause()  # not started
    assert not runner.resume()
    await start(runner)
    await clock.advance_to(190.0)  # waiting at the turnaround
    assert not runner.pause()


async def test_pause_at_the_end_of_a_segment_still_turns_around(
    clock: VirtualClock,
    treadmill: RecordingTreadmill,
    device: DeviceLimits,
    start: Launch,
) -> None:
    plan = plan_for_level(Level.BEGINNER, device=device)
    runner = ProgramRunner(plan, treadmill, clock, device=device)
    await start(runner)
    await clock.advance_to(170.0)  # ramping down for the turnaround
    assert runner.pause()
    await clock.advance_to(200.0)
    assert runner.resume()
    await clock.advance_to(215.0)
    snapshot = runner.snapshot()
    assert snapshot.phase is Phase.TURNAROUND
    assert snapshot.waiting_for_ready
    assert [c.kind for c in calls_between(treadmill, 170.0, 215.0)][-4:] == [
        "pause",
        "start",
        "speed",
        "pause",
    ]


# ------------------------------------------------------------------------- by hand


async def test_a_lower_speed_set_by_hand_holds_for_the_rest_of_the_segment(
    clock: VirtualClock,
    treadmill: RecordingTreadmill,
    device: DeviceLimits,
    start: Launch,
) -> None:
    runner = ProgramRunner(backward_only(device, incline=0), treadmill, clock, device=device)
    task = await start(runner)
    await clock.advance_to(11.0)  # ramping up, at 1.3 km/h
    assert runner.manual_speed_change(1.1)
    assert runner.snapshot().segment_speed_kmh == 1.1
    await clock.advance_to(250.0)
    assert [c.kind for c in calls_between(treadmill, 11.0, 250.0)] == []
    final = await drive_task(task, clock)
    assert final.phase is Phase.FINISHED
    after = [c.value for c in treadmill.calls if c.at >= 11.0 and c.kind == "speed"]
    assert after == [1.0, 0.9, 0.8]  # only the ramp down before the stop
    assert treadmill.calls[-1] == Call("stop", None, 300.0)


async def test_a_higher_speed_set_by_hand_is_not_ramped_back(
    clock: VirtualClock,
    treadmill: RecordingTreadmill,
    device: DeviceLimits,
    start: Launch,
) -> None:
    runner = ProgramRunner(backward_only(device, incline=0), treadmill, clock, device=device)
    task = await start(runner)
    await clock.advance_to(60.0)
    assert runner.manual_speed_change(3.0)
    await clock.advance_to(200.0)
    assert calls_between(treadmill, 60.0, 200.0) == []
    final = await drive_task(task, clock)
    assert final.phase is Phase.FINISHED
    down = [c.value for c in treadmill.calls if c.at >= 60.0 and c.kind == "speed"]
    assert down[0] == 2.9
    assert down[-1] == 0.8


async def test_a_speed_by_hand_above_the_limit_comes_down_in_steps(
    clock: VirtualClock,
    treadmill: RecordingTreadmill,
    device: DeviceLimits,
    start: Launch,
) -> None:
    runner = ProgramRunner(backward_only(device, incline=0), treadmill, clock, device=device)
    task = await start(runner)
    await clock.advance_to(60.0)
    assert runner.manual_speed_change(4.5)  # above the 3.2 limit: the person's choice
    final = await drive_task(task, clock)
    assert final.phase is Phase.FINISHED
    down = [4.5, *(c.value for c in treadmill.calls if c.at >= 60.0 and c.kind == "speed")]
    assert all(0 < a - b <= 0.5 + 1e-9 for a, b in itertools.pairwise(down))


async def test_after_a_pause_the_ramp_up_stops_at_the_limit_not_at_a_faster_speed_by_hand(
    clock: VirtualClock,
    treadmill: RecordingTreadmill,
    device: DeviceLimits,
    start: Launch,
) -> None:
    runner = ProgramRunner(backward_only(device, incline=0), treadmill, clock, device=device)
    task = await start(runner)
    await clock.advance_to(60.0)
    assert runner.manual_speed_change(4.0)  # above the 3.2 limit: the person's choice
    assert runner.pause()
    await clock.advance_to(70.0)
    assert runner.resume()
    await clock.advance_to(200.0)
    ramp_up = speeds_between(treadmill, 70.0, 200.0)
    assert ramp_up[0] == 0.8
    assert max(ramp_up) == 3.2
    assert runner.snapshot().segment_speed_kmh == 3.2
    await drive_task(task, clock)


async def test_an_echo_rounded_by_the_treadmill_is_not_a_change_by_hand(
    clock: VirtualClock,
    treadmill: RecordingTreadmill,
    device: DeviceLimits,
    start: Launch,
) -> None:
    runner = ProgramRunner(backward_only(device, incline=0), treadmill, clock, device=device)
    await start(runner)
    await clock.advance_to(6.0)
    assert runner.snapshot().speed_kmh == 1.1
    # 1.1 km/h sent as 0.68 mph comes back as 1.09 km/h from a treadmill counting in mph.
    assert not runner.manual_speed_change(1.09)
    assert not runner.manual_speed_change(1.12)
    assert runner.manual_speed_change(1.2)  # one step on the console


async def test_the_next_segment_has_its_own_targets_again(
    clock: VirtualClock,
    treadmill: RecordingTreadmill,
    device: DeviceLimits,
    start: Launch,
) -> None:
    plan = plan_from_segments(
        [
            SegmentSpec(direction=BACKWARD, duration_s=60, target_speed_kmh=1.6),
            SegmentSpec(direction=BACKWARD, duration_s=60, target_speed_kmh=1.6),
        ],
        device=device,
    )
    runner = ProgramRunner(plan, treadmill, clock, device=device)
    task = await start(runner)
    await clock.advance_to(30.0)
    assert runner.manual_speed_change(1.0)
    await clock.advance_to(59.0)
    assert treadmill.calls[-1].at < 30.0
    await clock.advance_to(80.0)
    assert [c.value for c in calls_between(treadmill, 59.0, 80.0)][:2] == [1.1, 1.2]
    await drive_task(task, clock)


async def test_an_incline_set_by_hand_holds_for_the_rest_of_the_segment(
    clock: VirtualClock,
    treadmill: RecordingTreadmill,
    device: DeviceLimits,
    start: Launch,
) -> None:
    runner = ProgramRunner(backward_only(device), treadmill, clock, device=device)
    task = await start(runner)
    await clock.advance_to(160.0)  # incline ramping up: 1.0 % so far
    assert runner.snapshot().incline_pct == 1.0
    assert runner.manual_incline_change(0.5)
    await clock.advance_to(240.0)
    assert calls_between(treadmill, 160.0, 240.0) == []
    assert runner.snapshot().segment_incline_pct == 0.5
    final = await drive_task(task, clock)
    assert final.phase is Phase.FINISHED
    inclines = [c.value for c in treadmill.calls if c.at >= 160.0 and c.kind == "incline"]
    assert inclines == [0.0]


async def test_a_speed_by_hand_delays_the_incline(
    clock: VirtualClock,
    treadmill: RecordingTreadmill,
    device: DeviceLimits,
    start: Launch,
) -> None:
    runner = ProgramRunner(backward_only(device), treadmill, clock, device=device)
    await start(runner)
    await clock.advance_to(100.0)
    assert runner.manual_speed_change(2.0)
    await clock.advance_to(219.0)
    assert "incline" not in treadmill.kinds()
    await clock.advance_to(221.0)
    assert treadmill.calls[-1] == Call("incline", 0.5, 220.0)


async def test_changes_by_hand_that_are_not_changes_are_ignored(
    clock: VirtualClock,
    treadmill: RecordingTreadmill,
    device: DeviceLimits,
    start: Launch,
) -> None:
    runner = ProgramRunner(backward_only(device), treadmill, clock, device=device)
    assert not runner.manual_speed_change(2.0)  # belt not running
    assert not runner.manual_incline_change(1.0)
    await start(runner)
    await clock.advance_to(50.0)
    assert not runner.manual_speed_change(2.4)  # the echo of the runner's own target
    assert not runner.manual_speed_change(0.0)
    assert not runner.manual_speed_change(float("nan"))
    assert not runner.manual_incline_change(0.0)  # the current incline
    assert not runner.manual_incline_change(float("inf"))
    no_incline = ProgramRunner(
        backward_only(device), treadmill, clock, device=make_device(incline=None)
    )
    assert not no_incline.manual_incline_change(1.0)


async def test_a_change_by_hand_while_a_command_is_under_way_wins(
    clock: VirtualClock,
    device: DeviceLimits,
    start: Launch,
) -> None:
    treadmill = RecordingTreadmill(clock, latency_s=0.5)
    runner = ProgramRunner(backward_only(device, incline=0), treadmill, clock, device=device)
    await start(runner)
    await clock.advance_to(10.7)  # the 1.3 km/h step is under way (steps from 0.5 s on)
    assert treadmill.calls[-1] == Call("speed", 1.3, 10.5)
    assert runner.manual_speed_change(1.0)
    await clock.advance_to(200.0)
    assert runner.snapshot().speed_kmh == 1.0
    assert treadmill.calls[-1].at == 10.5


async def test_an_incline_by_hand_while_a_command_is_under_way_wins(
    clock: VirtualClock,
    device: DeviceLimits,
    start: Launch,
) -> None:
    treadmill = RecordingTreadmill(clock, latency_s=0.5)
    runner = ProgramRunner(backward_only(device), treadmill, clock, device=device)
    await start(runner)
    await clock.advance_to(157.7)
    assert treadmill.calls[-1] == Call("incline", 1.0, 157.5)
    assert runner.manual_incline_change(0.5)
    await clock.advance_to(240.0)
    assert runner.snapshot().incline_pct == 0.5
    assert treadmill.calls[-1].at == 157.5


# ---------------------------------------------------------------- limits changed while walking


def speeds_between(treadmill: RecordingTreadmill, begin: float, end: float) -> list[float]:
    return [
        c.value
        for c in calls_between(treadmill, begin, end)
        if c.kind == "speed" and c.value is not None
    ]


async def test_a_lowered_speed_limit_brings_the_belt_down_to_it_in_steps(
    clock: VirtualClock,
    treadmill: RecordingTreadmill,
    device: DeviceLimits,
    start: Launch,
) -> None:
    runner = ProgramRunner(backward_only(device, incline=0), treadmill, clock, device=device)
    task = await start(runner)
    await clock.advance_to(60.0)
    assert runner.snapshot().speed_kmh == 2.4
    runner.update_limits(SafetyLimits(backward_speed_kmh=1.6))
    await clock.advance_to(250.0)
    assert speeds_between(treadmill, 60.0, 250.0) == [round(2.4 - 0.1 * k, 1) for k in range(1, 9)]
    assert runner.snapshot().segment_speed_kmh == 1.6
    final = await drive_task(task, clock)
    assert final.phase is Phase.FINISHED
    assert speeds_between(treadmill, 250.0, 301.0)[0] == 1.5  # the ramp down starts at it


async def test_a_lowered_speed_limit_holds_on_a_treadmill_without_incline(
    clock: VirtualClock, treadmill: RecordingTreadmill, start: Launch
) -> None:
    device = make_device(incline=None)
    runner = ProgramRunner(backward_only(device, incline=0), treadmill, clock, device=device)
    task = await start(runner)
    await clock.advance_to(60.0)
    runner.update_limits(SafetyLimits(backward_speed_kmh=2.0))
    await clock.advance_to(250.0)
    assert speeds_between(treadmill, 60.0, 250.0) == [2.3, 2.2, 2.1, 2.0]
    await drive_task(task, clock)


async def test_a_raised_speed_limit_keeps_the_plans_targets(
    clock: VirtualClock,
    treadmill: RecordingTreadmill,
    device: DeviceLimits,
    start: Launch,
) -> None:
    runner = ProgramRunner(backward_only(device, incline=0), treadmill, clock, device=device)
    task = await start(runner)
    await clock.advance_to(60.0)
    runner.update_limits(SafetyLimits(backward_speed_kmh=5.6))
    await clock.advance_to(250.0)
    assert calls_between(treadmill, 60.0, 250.0) == []
    await drive_task(task, clock)


async def test_a_speed_by_hand_above_the_limit_stays_when_other_limits_change(
    clock: VirtualClock,
    treadmill: RecordingTreadmill,
    device: DeviceLimits,
    start: Launch,
) -> None:
    runner = ProgramRunner(backward_only(device, incline=0), treadmill, clock, device=device)
    task = await start(runner)
    await clock.advance_to(60.0)
    assert runner.manual_speed_change(4.0)  # above the 3.2 limit: the person's choice
    runner.update_limits(SafetyLimits(max_heart_rate_bpm=120))
    await clock.advance_to(200.0)
    assert calls_between(treadmill, 60.0, 200.0) == []
    await drive_task(task, clock)


async def test_a_speed_limit_lowered_below_a_speed_by_hand_brings_it_down(
    clock: VirtualClock,
    treadmill: RecordingTreadmill,
    device: DeviceLimits,
    start: Launch,
) -> None:
    runner = ProgramRunner(backward_only(device, incline=0), treadmill, clock, device=device)
    task = await start(runner)
    await clock.advance_to(60.0)
    assert runner.manual_speed_change(3.0)
    runner.update_limits(SafetyLimits(backward_speed_kmh=2.5))
    await clock.advance_to(200.0)
    assert speeds_between(treadmill, 60.0, 200.0) == [2.9, 2.8, 2.7, 2.6, 2.5]
    await drive_task(task, clock)


async def test_a_lowered_incline_limit_brings_the_incline_down(
    clock: VirtualClock,
    treadmill: RecordingTreadmill,
    device: DeviceLimits,
    start: Launch,
) -> None:
    runner = ProgramRunner(backward_only(device), treadmill, clock, device=device)
    task = await start(runner)
    await clock.advance_to(170.0)
    assert runner.snapshot().incline_pct == 2.0
    runner.update_limits(SafetyLimits(incline_pct=1.0))
    await clock.advance_to(230.0)
    assert [(c.kind, c.value) for c in calls_between(treadmill, 170.0, 230.0)] == [
        ("incline", 1.5),
        ("incline", 1.0),
    ]
    await drive_task(task, clock)


async def test_an_incline_by_hand_above_a_lowered_incline_limit_comes_down(
    clock: VirtualClock,
    treadmill: RecordingTreadmill,
    device: DeviceLimits,
    start: Launch,
) -> None:
    runner = ProgramRunner(backward_only(device), treadmill, clock, device=device)
    task = await start(runner)
    await clock.advance_to(170.0)
    assert runner.manual_incline_change(2.5)
    runner.update_limits(SafetyLimits(incline_pct=2.5))  # not lowered below it: it stays
    await clock.advance_to(180.0)
    assert calls_between(treadmill, 170.0, 180.0) == []
    runner.update_limits(SafetyLimits(incline_pct=1.5))
    await clock.advance_to(230.0)
    assert [c.value for c in calls_between(treadmill, 180.0, 230.0)] == [2.0, 1.5]
    await drive_task(task, clock)


async def test_limits_changed_at_a_turnaround_hold_for_the_next_segment(
    clock: VirtualClock,
    treadmill: RecordingTreadmill,
    device: DeviceLimits,
    start: Launch,
) -> None:
    plan = plan_for_level(Level.BEGINNER, device=device)
    runner = ProgramRunner(plan, treadmill, clock, device=device)
    task = await start(runner)
    await clock.advance_to(180.0)
    assert runner.snapshot().phase is Phase.TURNAROUND
    runner.update_limits(SafetyLimits(backward_speed_kmh=1.2))
    assert runner.ready()
    await clock.advance_to(470.0)
    backward = speeds_between(treadmill, 180.0, 470.0)
    assert max(backward) == 1.2
    await drive_task(task, clock)


async def test_limits_the_treadmill_cannot_keep_are_refused_and_change_nothing(
    clock: VirtualClock,
    treadmill: RecordingTreadmill,
    device: DeviceLimits,
    start: Launch,
) -> None:
    runner = ProgramRunner(backward_only(device, incline=0), treadmill, clock, device=device)
    task = await start(runner)
    await clock.advance_to(60.0)
    with pytest.raises(LimitError) as refused:
        runner.update_limits(SafetyLimits(backward_speed_kmh=0.5))
    assert refused.value.code is ErrorCode.DEVICE_SPEED_MINIMUM_ABOVE_LIMIT
    await clock.advance_to(200.0)
    assert calls_between(treadmill, 60.0, 200.0) == []
    await drive_task(task, clock)


async def test_limits_changed_after_the_end_change_nothing(
    clock: VirtualClock, treadmill: RecordingTreadmill, device: DeviceLimits
) -> None:
    runner = ProgramRunner(backward_only(device), treadmill, clock, device=device)
    final = await drive(runner, clock)
    calls = list(treadmill.calls)
    runner.update_limits(SafetyLimits(backward_speed_kmh=1.0, incline_pct=0.0))
    await clock.settle()
    assert treadmill.calls == calls
    assert runner.snapshot() == final


# ------------------------------------------------------------------------- timing


async def test_slow_commands_do_not_shift_the_steps_or_stretch_the_program(
    clock: VirtualClock, device: DeviceLimits
) -> None:
    treadmill = RecordingTreadmill(clock, latency_s=0.2)
    records: list[CommandRecord] = []
    plan = plan_for_level(Level.INTERMEDIATE, device=device)
    runner = ProgramRunner(plan, treadmill, clock, device=device, on_command=records.append)
    final = await drive(runner, clock, ready_after_s=10.0)
    assert final.phase is Phase.FINISHED
    assert runner.max_step_lateness_s == 0.0
    steps = [r for r in records if r.due is not None]
    assert len(steps) > 50
    assert all(r.lateness_s == 0.0 for r in steps)
    assert all(r.done_at - r.sent_at == pytest.approx(0.2) for r in steps)
    # Within one ramp the steps stay exactly 2 s apart, although each takes 0.2 s.
    first_run = belt_runs(treadmill.calls)[0]
    ramp_up = [c.at for c in first_run if c.kind == "speed"][:10]
    assert [round(b - a, 9) for a, b in itertools.pairwise(ramp_up)] == [2.0] * 9
    # The walking time is the plan's; the wall time adds only the two waits for "ready"
    # and the commands sent while the belt stood (pause and its start again).
    assert final.elapsed_s == pytest.approx(plan.total_duration_s)
    waits = 2 * (0.2 + 10.0)
    assert clock.monotonic() == pytest.approx(plan.total_duration_s + waits)
    assert records[-1].kind is CommandKind.STOP


async def test_a_device_slower_than_the_interval_gets_fewer_steps_not_crammed_ones(
    clock: VirtualClock, device: DeviceLimits
) -> None:
    treadmill = RecordingTreadmill(clock, latency_s=2.5)
    runner = ProgramRunner(backward_only(device, incline=0), treadmill, clock, device=device)
    final = await drive(runner, clock)
    assert final.phase is Phase.FINISHED
    steps = [r for r in runner.commands if r.due is not None]
    # Each step goes out on time, on the grid of 2 s slots, every other slot.
    assert all(r.lateness_s == 0.0 for r in steps)
    spacing = {round(b.sent_at - a.sent_at, 9) for a, b in itertools.pairwise(steps)}
    assert min(spacing) >= 4.0
    assert final.elapsed_s == 300.0


async def test_a_late_step_never_crams_the_next_one_in(device: DeviceLimits) -> None:
    class StallingClock(VirtualClock):
        """Wakes one sleeper 1.5 s late, as a busy event loop would."""

        stalled = False

        async def sleep_until(self, deadline: float) -> None:
            if deadline == 6.0 and not self.stalled:
                self.stalled = True
                deadline = 7.5
            await super().sleep_until(deadline)

    clock = StallingClock()
    treadmill = RecordingTreadmill(clock)
    runner = ProgramRunner(backward_only(device, incline=0), treadmill, clock, device=device)
    await drive(runner, clock)
    times = [c.at for c in treadmill.calls if c.kind == "speed"][:6]
    assert times == [0.0, 2.0, 4.0, 7.5, 10.0, 12.0]
    assert runner.max_step_lateness_s == 1.5


# ------------------------------------------------------------------------- abort


async def test_abort_stops_at_once_ahead_of_a_command_under_way(
    clock: VirtualClock, device: DeviceLimits, start: Launch
) -> None:
    treadmill = RecordingTreadmill(clock, latency_s=1.5)
    snapshots: list[RunnerSnapshot] = []
    runner = ProgramRunner(
        backward_only(device), treadmill, clock, device=device, listener=snapshots.append
    )
    task = await start(runner)
    await clock.advance_to(6.0)  # the step sent at 5.5 s is under way
    assert treadmill.calls[-1] == Call("speed", 1.0, 5.5)
    await runner.abort(SafetyReason.SAFETY_KEY)
    assert treadmill.calls[-1] == Call("stop", None, 6.0)
    snapshot = runner.snapshot()
    assert snapshot.phase is Phase.ABORTED
    assert snapshot.abort_reason is SafetyReason.SAFETY_KEY
    assert not snapshot.belt_running
    assert snapshot.program_remaining_s == 0.0
    assert task.done()
    assert task.result().phase is Phase.ABORTED
    count = len(treadmill.calls)
    await clock.advance(600.0)
    assert len(treadmill.calls) == count  # nothing after the stop
    aborted = next(s for s in snapshots if s.phase is Phase.ABORTED)
    assert not aborted.belt_running
    assert aborted.abort_reason is SafetyReason.SAFETY_KEY
    await runner.abort(SafetyReason.USER_STOP)  # a second abort changes nothing
    assert runner.snapshot().abort_reason is SafetyReason.SAFETY_KEY
    assert len(treadmill.calls) == count


@pytest.mark.parametrize("reason", list(SafetyReason))
async def test_every_reason_ends_the_program_aborted(
    reason: SafetyReason,
    clock: VirtualClock,
    treadmill: RecordingTreadmill,
    device: DeviceLimits,
    start: Launch,
) -> None:
    runner = ProgramRunner(backward_only(device), treadmill, clock, device=device)
    await start(runner)
    await clock.advance_to(20.0)
    await runner.abort(reason)
    snapshot = runner.snapshot()
    assert snapshot.abort_reason is reason
    assert snapshot.pain_reported is (reason is SafetyReason.PAIN_STOP)
    assert treadmill.calls[-1].kind == "stop"


async def test_abort_while_waiting_at_a_turnaround(
    clock: VirtualClock, treadmill: RecordingTreadmill, device: DeviceLimits, start: Launch
) -> None:
    runner = ProgramRunner(
        plan_for_level(Level.BEGINNER, device=device), treadmill, clock, device=device
    )
    await start(runner)
    await clock.advance_to(200.0)
    await runner.abort(SafetyReason.PRESENCE_LOST)
    snapshot = runner.snapshot()
    assert not snapshot.waiting_for_ready
    assert not runner.ready()
    assert treadmill.calls[-1] == Call("stop", None, 200.0)


async def test_abort_while_paused(
    clock: VirtualClock, treadmill: RecordingTreadmill, device: DeviceLimits, start: Launch
) -> None:
    runner = ProgramRunner(backward_only(device), treadmill, clock, device=device)
    await start(runner)
    await clock.advance_to(20.0)
    runner.pause()
    await clock.advance_to(30.0)
    await runner.abort(SafetyReason.USER_STOP)
    assert not runner.snapshot().paused
    assert not runner.resume()
    await clock.advance(400.0)
    assert treadmill.kinds()[-2:] == ["pause", "stop"]


async def test_abort_before_the_run_stops_and_the_run_does_nothing(
    clock: VirtualClock, treadmill: RecordingTreadmill, device: DeviceLimits
) -> None:
    runner = ProgramRunner(backward_only(device), treadmill, clock, device=device)
    await runner.abort(SafetyReason.HOME_ASSISTANT_STOPPING)
    final = await runner.run()
    assert final.phase is Phase.ABORTED
    assert treadmill.kinds() == ["stop"]


async def test_abort_after_the_end_does_nothing(
    clock: VirtualClock, treadmill: RecordingTreadmill, device: DeviceLimits
) -> None:
    runner = ProgramRunner(backward_only(device, minutes=1), treadmill, clock, device=device)
    await drive(runner, clock)
    count = len(treadmill.calls)
    await runner.abort(SafetyReason.USER_STOP)
    assert runner.phase is Phase.FINISHED
    assert runner.snapshot().abort_reason is None
    assert len(treadmill.calls) == count


async def test_a_failed_stop_is_shown_so_the_belt_is_stopped_on_reconnect(
    clock: VirtualClock, treadmill: RecordingTreadmill, device: DeviceLimits, start: Launch
) -> None:
    runner = ProgramRunner(backward_only(device), treadmill, clock, device=device)
    await start(runner)
    await clock.advance_to(20.0)
    treadmill.fail = {"stop"}
    await runner.abort(SafetyReason.LINK_LOST)
    snapshot = runner.snapshot()
    assert snapshot.phase is Phase.ABORTED
    assert snapshot.belt_stop_failed


async def test_a_failed_command_ends_the_program(
    clock: VirtualClock, treadmill: RecordingTreadmill, device: DeviceLimits
) -> None:
    treadmill.fail = {"incline"}
    runner = ProgramRunner(backward_only(device), treadmill, clock, device=device)
    final = await drive(runner, clock)
    assert final.phase is Phase.ABORTED
    assert final.abort_reason is SafetyReason.COMMAND_FAILED
    assert treadmill.kinds()[-2:] == ["incline", "stop"]


async def test_an_abort_from_inside_a_command_ends_the_program_there(
    clock: VirtualClock, treadmill: RecordingTreadmill, device: DeviceLimits
) -> None:
    runner = ProgramRunner(backward_only(device), treadmill, clock, device=device)
    tasks: list[asyncio.Task[None]] = []

    def link_drops(call: Call) -> None:
        # The adapter notices the link is gone while a command is under way.
        if call.kind == "speed" and call.value == 1.5:
            tasks.append(asyncio.ensure_future(runner.abort(SafetyReason.LINK_LOST)))

    treadmill.on_call = link_drops
    treadmill.latency_s = 0.1
    final = await drive(runner, clock)
    await asyncio.gather(*tasks)
    assert final.abort_reason is SafetyReason.LINK_LOST
    assert treadmill.kinds()[-1] == "stop"
    assert treadmill.values("speed")[-1] == 1.5


async def test_an_abort_by_the_treadmill_itself_inside_a_command(
    clock: VirtualClock, device: DeviceLimits
) -> None:
    class AbortingTreadmill(RecordingTreadmill):
        """An adapter that learns, inside a command, that control was lost."""

        runner: ProgramRunner | None = None

        async def set_target_speed(self, kmh: float) -> None:
            await super().set_target_speed(kmh)
            if kmh == 1.5 and self.runner is not None:
                await self.runner.abort(SafetyReason.CONTROL_LOST)

    treadmill = AbortingTreadmill(clock)
    runner = ProgramRunner(backward_only(device), treadmill, clock, device=device)
    treadmill.runner = runner
    final = await drive(runner, clock)
    assert final.abort_reason is SafetyReason.CONTROL_LOST
    assert treadmill.kinds()[-1] == "stop"
    assert treadmill.values("speed")[-1] == 1.5


async def test_cancelling_the_run_stops_the_belt(
    clock: VirtualClock, treadmill: RecordingTreadmill, device: DeviceLimits
) -> None:
    runner = ProgramRunner(backward_only(device), treadmill, clock, device=device)
    task = asyncio.create_task(runner.run())
    await clock.advance_to(30.0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert runner.snapshot().abort_reason is SafetyReason.HOME_ASSISTANT_STOPPING
    assert treadmill.calls[-1] == Call("stop", None, 30.0)


async def test_run_only_once(
    clock: VirtualClock, treadmill: RecordingTreadmill, device: DeviceLimits
) -> None:
    runner = ProgramRunner(backward_only(device, minutes=1), treadmill, clock, device=device)
    await drive(runner, clock)
    with pytest.raises(RuntimeError):
        await runner.run()


# ------------------------------------------------------------------------- graceful stop


async def test_stop_gracefully_ramps_down_incline_then_speed(
    clock: VirtualClock, treadmill: RecordingTreadmill, device: DeviceLimits, start: Launch
) -> None:
    runner = ProgramRunner(backward_only(device), treadmill, clock, device=device)
    task = await start(runner)
    await clock.advance_to(180.0)  # at 2.4 km/h and 2 %
    stopping = asyncio.create_task(runner.stop_gracefully())
    await clock.settle()
    assert runner.snapshot().stopping
    while not stopping.done():
        await clock.advance_to_next()
    final = stopping.result()
    assert final.phase is Phase.FINISHED
    assert final.ended_early
    assert not final.stopping
    after = [(c.kind, c.value) for c in treadmill.calls if c.at >= 180.0]
    assert after[:4] == [("incline", 1.5), ("incline", 1.0), ("incline", 0.5), ("incline", 0.0)]
    assert after[-2:] == [("speed", 0.8), ("stop", None)]
    assert treadmill.calls[-1].at == 180.0 + 15.0 + 2.0 + 2 * 15
    assert (await task).phase is Phase.FINISHED


async def test_stop_gracefully_at_a_turnaround(
    clock: VirtualClock, treadmill: RecordingTreadmill, device: DeviceLimits, start: Launch
) -> None:
    runner = ProgramRunner(
        plan_for_level(Level.BEGINNER, device=device), treadmill, clock, device=device
    )
    await start(runner)
    await clock.advance_to(200.0)
    final = await runner.stop_gracefully()
    assert final.phase is Phase.FINISHED
    assert final.ended_early
    assert not final.waiting_for_ready
    assert treadmill.calls[-1] == Call("stop", None, 200.0)


async def test_stop_gracefully_while_ramping_down_for_a_turnaround(
    clock: VirtualClock, treadmill: RecordingTreadmill, device: DeviceLimits, start: Launch
) -> None:
    runner = ProgramRunner(
        plan_for_level(Level.BEGINNER, device=device), treadmill, clock, device=device
    )
    await start(runner)
    await clock.advance_to(175.0)
    stopping = asyncio.create_task(runner.stop_gracefully())
    await clock.advance_to(200.0)
    final = await stopping
    assert final.phase is Phase.FINISHED
    assert treadmill.kinds()[-2:] == ["speed", "stop"]


async def test_stop_gracefully_while_the_belt_stops_for_a_turnaround(
    clock: VirtualClock, device: DeviceLimits, start: Launch
) -> None:
    treadmill = RecordingTreadmill(clock, latency_s=0.5)
    runner = ProgramRunner(
        plan_for_level(Level.BEGINNER, device=device), treadmill, clock, device=device
    )
    await start(runner)
    await clock.advance_to(180.2)  # the pause is under way
    assert treadmill.calls[-1].kind == "pause"
    stopping = asyncio.create_task(runner.stop_gracefully())
    await clock.advance_to(200.0)
    final = await stopping
    assert final.phase is Phase.FINISHED
    assert treadmill.kinds()[-2:] == ["pause", "stop"]


async def test_stop_gracefully_while_paused(
    clock: VirtualClock, treadmill: RecordingTreadmill, device: DeviceLimits, start: Launch
) -> None:
    runner = ProgramRunner(backward_only(device), treadmill, clock, device=device)
    await start(runner)
    await clock.advance_to(50.0)
    runner.pause()
    await clock.advance_to(60.0)
    final = await runner.stop_gracefully()
    assert final.phase is Phase.FINISHED
    assert not final.paused
    assert treadmill.kinds()[-2:] == ["pause", "stop"]
    assert not runner.pause()


async def test_stop_gracefully_before_the_run(
    clock: VirtualClock, treadmill: RecordingTreadmill, device: DeviceLimits
) -> None:
    runner = ProgramRunner(backward_only(device), treadmill, clock, device=device)
    final = await runner.stop_gracefully()
    assert final.phase is Phase.FINISHED
    assert final.ended_early
    assert (await runner.run()).phase is Phase.FINISHED
    assert treadmill.calls == []
    assert (await runner.stop_gracefully()).phase is Phase.FINISHED


async def test_stop_gracefully_right_after_ready_does_not_start_the_belt(
    clock: VirtualClock, treadmill: RecordingTreadmill, device: DeviceLimits, start: Launch
) -> None:
    plan = plan_for_level(Level.BEGINNER, device=device)
    runner = ProgramRunner(plan, treadmill, clock, device=device)
    await start(runner)
    await clock.advance_to(200.0)
    assert runner.ready()
    final = await runner.stop_gracefully()
    assert final.phase is Phase.FINISHED
    assert treadmill.kinds()[-2:] == ["pause", "stop"]


async def test_an_abort_during_the_graceful_ramp_down_wins(
    clock: VirtualClock, treadmill: RecordingTreadmill, device: DeviceLimits, start: Launch
) -> None:
    runner = ProgramRunner(backward_only(device, incline=0), treadmill, clock, device=device)
    await start(runner)
    await clock.advance_to(100.0)
    stopping = asyncio.create_task(runner.stop_gracefully())
    await clock.advance_to(104.0)
    await runner.abort(SafetyReason.PAIN_STOP)
    final = await stopping
    assert final.phase is Phase.ABORTED
    assert final.pain_reported
    assert treadmill.calls[-1] == Call("stop", None, 104.0)


# ------------------------------------------------------------------------- what others see


async def test_snapshots_follow_the_program(
    clock: VirtualClock, treadmill: RecordingTreadmill, device: DeviceLimits
) -> None:
    snapshots: list[RunnerSnapshot] = []
    plan = plan_for_level(Level.BEGINNER, device=device)
    runner = ProgramRunner(plan, treadmill, clock, device=device, listener=snapshots.append)
    before = runner.snapshot()
    assert before.phase is Phase.PRE_WORKOUT
    assert before.program_remaining_s == plan.total_duration_s
    assert before.segment_index is None
    assert before.direction is None
    assert runner.plan is plan
    await drive(runner, clock)
    phases = [s.phase for s in snapshots]
    assert list(dict.fromkeys(phases)) == [
        Phase.WARM_UP,
        Phase.TURNAROUND,
        Phase.BACKWARD,
        Phase.COOL_DOWN,
        Phase.FINISHED,
    ]
    remaining = [s.program_remaining_s for s in snapshots]
    assert remaining == sorted(remaining, reverse=True)
    walking = next(s for s in snapshots if s.phase is Phase.BACKWARD and s.speed_kmh == 1.6)
    assert walking.direction is BACKWARD
    assert walking.segment_speed_kmh == 1.6
    assert walking.segment_incline_pct == 0.0
    assert walking.segment_count == 5
    data = snapshots[-1].to_dict()
    assert data["phase"] == "finished"
    assert data["abort_reason"] is None
    assert data["direction"] == "forward"


async def test_observers_that_fail_do_not_break_the_program(
    clock: VirtualClock,
    treadmill: RecordingTreadmill,
    device: DeviceLimits,
    caplog: pytest.LogCaptureFixture,
) -> None:
    def broken(_: object) -> None:
        raise RuntimeError("observer bug")

    runner = ProgramRunner(
        backward_only(device, minutes=1),
        treadmill,
        clock,
        device=device,
        listener=broken,
        on_command=broken,
    )
    final = await drive(runner, clock)
    assert final.phase is Phase.FINISHED
    assert "Runner listener failed" in caplog.text
    assert "Command listener failed" in caplog.text


def test_a_runner_checks_the_device_against_the_limits(
    clock: VirtualClock, treadmill: RecordingTreadmill, device: DeviceLimits
) -> None:
    coarse = make_device(speed=(1.0, 10.0, 1.0))
    with pytest.raises(ValueError, match="speed_increment_too_coarse"):
        ProgramRunner(backward_only(device), treadmill, clock, device=coarse)


async def test_a_coarse_grid_changes_less_often_but_never_faster(
    clock: VirtualClock, treadmill: RecordingTreadmill
) -> None:
    device = make_device(speed=(0.5, 10.0, 0.5), incline=(0.0, 10.0, 1.0))
    plan = backward_only(device, minutes=5, speed=2.5, incline=2.0)
    final = await drive(ProgramRunner(plan, treadmill, clock, device=device), clock)
    assert final.phase is Phase.FINISHED
    ramp_up = [(c.value, c.at) for c in treadmill.calls if c.kind == "speed"][:5]
    # 0.1 km/h every 2 s on a 0.5 km/h grid: 0.5 km/h about every 10 s.
    assert ramp_up == [(0.5, 0.0), (1.0, 6.0), (1.5, 16.0), (2.0, 26.0), (2.5, 36.0)]
    inclines = [(c.value, c.at) for c in treadmill.calls if c.kind == "incline"][:2]
    # 0.5 % every 5 s on a 1 % grid, from 120 s after the speed was reached.
    assert inclines == [(1.0, 161.0), (2.0, 171.0)]
    assert_commands_follow_the_rules(
        treadmill.calls,
        lowest_speed=0.5,
        speed_ceilings=[3.2],
        incline_ceiling=3.0,
        speed_grid=(0.5, 0.5),
        incline_grid=(0.0, 1.0),
    )


@pytest.mark.parametrize(
    ("phase", "last_two"),
    [
        # As the turnaround begins, before the pause goes out.
        (Phase.TURNAROUND, ["speed", "stop"]),
        # As the belt is about to start again after the turnaround.
        (Phase.BACKWARD, ["pause", "stop"]),
    ],
)
async def test_an_abort_started_eagerly_from_the_listener_sends_nothing_more(
    phase: Phase,
    last_two: list[str],
    clock: VirtualClock,
    treadmill: RecordingTreadmill,
    device: DeviceLimits,
) -> None:
    aborts: list[asyncio.Task[None]] = []
    plan = plan_for_level(Level.BEGINNER, device=device)

    def listener(snapshot: RunnerSnapshot) -> None:
        if (
            snapshot.phase is phase
            and not aborts
            and (snapshot.belt_running or phase is Phase.TURNAROUND)
        ):
            aborts.append(asyncio.Task(runner.abort(SafetyReason.PRESENCE_LOST), eager_start=True))

    runner = ProgramRunner(plan, treadmill, clock, device=device, listener=listener)
    final = await drive(runner, clock)
    await asyncio.gather(*aborts)
    assert final.abort_reason is SafetyReason.PRESENCE_LOST
    assert treadmill.kinds()[-2:] == last_two


async def test_the_ramp_down_begins_in_an_earlier_segment_when_the_last_is_short(
    clock: VirtualClock, treadmill: RecordingTreadmill, device: DeviceLimits
) -> None:
    plan = plan_from_segments(
        [
            SegmentSpec(direction=BACKWARD, duration_s=120, target_speed_kmh=3.2),
            SegmentSpec(direction=BACKWARD, duration_s=30, target_speed_kmh=3.2),
        ],
        device=device,
    )
    final = await drive(ProgramRunner(plan, treadmill, clock, device=device), clock)
    # 3.2 to 0.8 km/h takes 24 steps of 2 s: longer than the last segment.
    first_down = next(c for c in treadmill.calls if c.kind == "speed" and c.value == 3.1)
    assert first_down.at < 120.0
    assert treadmill.calls[-2].value == 0.8
    assert treadmill.calls[-1] == Call("stop", None, 150.0)
    assert final.elapsed_s == 150.0


async def test_a_segment_change_during_a_slow_command_keeps_the_plan_s_times(
    clock: VirtualClock, device: DeviceLimits
) -> None:
    treadmill = RecordingTreadmill(clock, latency_s=1.3)
    plan = plan_from_segments(
        [
            # Still climbing when the segment ends...
            SegmentSpec(
                direction=BACKWARD,
                duration_s=30,
                target_speed_kmh=0.8,
                target_incline_pct=3.0,
                incline_after_s=3.7,
            ),
            # ...and the next segment waits long before climbing on: the ramp down to the
            # stop must start a grid of its own, not reuse the stale one of the climb.
            SegmentSpec(
                direction=BACKWARD,
                duration_s=50,
                target_speed_kmh=0.8,
                target_incline_pct=3.0,
                incline_after_s=53.0,
            ),
        ],
        device=device,
    )
    runner = ProgramRunner(plan, treadmill, clock, device=device)
    final = await drive(runner, clock)
    assert final.elapsed_s == 80.0
    assert abs(runner.max_step_lateness_s) < 1e-9
    assert treadmill.values("incline")[-1] == 0.0


async def test_speeds_reported_while_the_belt_starts_are_not_changes_by_hand(
    clock: VirtualClock, device: DeviceLimits, start: Launch
) -> None:
    treadmill = RecordingTreadmill(clock, latency_s=1.0)
    runner = ProgramRunner(backward_only(device, incline=0), treadmill, clock, device=device)
    await start(runner)
    await clock.advance_to(0.5)  # Start is under way: the machine spins up at its own speed
    assert not runner.manual_speed_change(1.0)
    await clock.advance_to(1.5)  # the lowest speed is being set
    assert not runner.manual_speed_change(1.0)
    await clock.advance_to(40.0)
    assert runner.snapshot().speed_kmh == 2.4


async def test_resume_is_refused_once_a_stop_is_asked_for(
    clock: VirtualClock,
    treadmill: RecordingTreadmill,
    device: DeviceLimits,
    start: Launch,
) -> None:
    runner = ProgramRunner(backward_only(device, incline=0), treadmill, clock, device=device)
    task = await start(runner)
    await clock.advance_to(100.0)
    assert runner.pause()
    await clock.settle()
    stopping = asyncio.create_task(runner.stop_gracefully())
    await asyncio.sleep(0)
    # Both land before the program wakes: the stop wins, the belt is not started again.
    assert not runner.resume()
    final = await drive_task(task, clock)
    await stopping
    assert final.phase is Phase.FINISHED
    assert "start" not in [call.kind for call in treadmill.calls if call.at >= 100.0]
